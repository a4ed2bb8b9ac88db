/*
 * sv.h - string views: a pointer and a length into memory someone else owns.
 *
 * Parsers walk their input with views and never copy until they hand a
 * result to the caller. A view is not NUL-terminated.
 */
#ifndef MXDOC_CORE_SV_H
#define MXDOC_CORE_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct sv {
	const char	*p;
	size_t		 n;
};

static inline struct sv
sv_make(const char *p, size_t n)
{
	struct sv v = { p, n };
	return v;
}

static inline struct sv
sv_cstr(const char *s)
{
	return sv_make(s, s != NULL ? strlen(s) : 0);
}

static inline bool
sv_eq_ci(struct sv a, const char *b)
{
	size_t n = strlen(b);

	return a.n == n && strncasecmp(a.p, b, n) == 0;
}

static inline bool
sv_starts_ci(struct sv a, const char *prefix)
{
	size_t n = strlen(prefix);

	return a.n >= n && strncasecmp(a.p, prefix, n) == 0;
}

static inline struct sv
sv_trim(struct sv v)
{
	while (v.n > 0 && (v.p[0] == ' ' || v.p[0] == '\t' || v.p[0] == '\r' ||
	    v.p[0] == '\n')) {
		v.p++;
		v.n--;
	}
	while (v.n > 0 && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t' ||
	    v.p[v.n - 1] == '\r' || v.p[v.n - 1] == '\n'))
		v.n--;
	return v;
}

/* Splits v at the first c: returns the part before, leaves v after it. */
static inline struct sv
sv_cut(struct sv *v, char c)
{
	const char *q = v->n ? memchr(v->p, c, v->n) : NULL;
	struct sv head;

	if (q == NULL) {
		head = *v;
		v->p += v->n;
		v->n = 0;
		return head;
	}
	head = sv_make(v->p, (size_t)(q - v->p));
	v->n -= head.n + 1;
	v->p = q + 1;
	return head;
}

/* Case-insensitive search for needle; returns its offset or -1. */
static inline long
sv_find_ci(struct sv hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0)
		return 0;
	for (i = 0; i + n <= hay.n; i++)
		if (strncasecmp(hay.p + i, needle, n) == 0)
			return (long)i;
	return -1;
}

#endif
