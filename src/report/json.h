/*
 * json.h - a streaming JSON writer.
 *
 * Writes one document into a struct buf, pretty-printed with two-space
 * indentation, keys in the order the caller gives them. It escapes every
 * string (control bytes as \u00XX, invalid UTF-8 bytes as U+FFFD) so that
 * whatever a remote server sent us comes out as valid JSON. Misuse (ending
 * an object that was not begun) is a bug and aborts.
 */
#ifndef MXDOC_REPORT_JSON_H
#define MXDOC_REPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct jw;

struct jw	*jw_new(struct buf *out);
struct jw	*jw_free(struct jw *w);
/* Writes without indentation or newlines (for JSON Lines output). */
void		 jw_compact(struct jw *w);

/* key is NULL inside arrays and at the top level. */
void	jw_obj_begin(struct jw *w, const char *key);
void	jw_obj_end(struct jw *w);
void	jw_arr_begin(struct jw *w, const char *key);
void	jw_arr_end(struct jw *w);
void	jw_str(struct jw *w, const char *key, const char *val); /* NULL: null */
void	jw_strn(struct jw *w, const char *key, const char *val, size_t n);
void	jw_int(struct jw *w, const char *key, int64_t val);
/* Durations: milliseconds rounded to 0.1. */
void	jw_ms(struct jw *w, const char *key, double ms);
void	jw_num(struct jw *w, const char *key, double val);
void	jw_bool(struct jw *w, const char *key, bool val);
void	jw_null(struct jw *w, const char *key);

/* Appends s as a JSON string literal (with quotes) to b. */
void	json_escape(struct buf *b, const char *s, size_t n);

#endif
