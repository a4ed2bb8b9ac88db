/*
 * mem.h - allocation wrappers.
 *
 * Out of memory is not an error mxdoc recovers from: every wrapper prints a
 * message and exits with status 3 (mxdoc could not do its work), so callers
 * never carry OOM branches. Sizes that come from the outside world are
 * bounded by the caller before they reach these functions.
 */
#ifndef MXDOC_CORE_MEM_H
#define MXDOC_CORE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates; s need not be terminated. */
char *xstrndup(const char *s, size_t n);
/* Formats into a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
