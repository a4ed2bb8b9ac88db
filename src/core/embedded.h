/*
 * embedded.h - the data/ files compiled into the binary (scripts/embed.py).
 * Every file data/NAME.EXT becomes embedded_NAME_EXT (lower case, other
 * characters as '_'), NUL-terminated, with its size in embedded_NAME_EXT_len.
 * A module that reads its own data file declares it next to its code.
 */
#ifndef MXDOC_CORE_EMBEDDED_H
#define MXDOC_CORE_EMBEDDED_H

#include <stddef.h>

extern const char embedded_causes_txt[];
extern const size_t embedded_causes_txt_len;
extern const char embedded_rules_txt[];
extern const size_t embedded_rules_txt_len;

#endif
