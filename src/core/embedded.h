/*
 * embedded.h - the data/ files compiled into the binary (scripts/embed.py).
 * Each is NUL-terminated; the _len variable holds its size.
 */
#ifndef MXDOC_CORE_EMBEDDED_H
#define MXDOC_CORE_EMBEDDED_H

#include <stddef.h>

extern const char embedded_causes_txt[];
extern const size_t embedded_causes_txt_len;
extern const char embedded_rules_txt[];
extern const size_t embedded_rules_txt_len;

#endif
