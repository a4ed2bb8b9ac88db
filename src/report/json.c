#include "report/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define JW_DEPTH 64

struct jw {
	struct buf	*out;
	int		 depth;
	bool		 first[JW_DEPTH];
	char		 kind[JW_DEPTH];	/* '{' or '[' */
	bool		 compact;
};

struct jw *
jw_new(struct buf *out)
{
	struct jw *w = xcalloc(1, sizeof(*w));

	w->out = out;
	w->first[0] = true;
	return w;
}

struct jw *
jw_free(struct jw *w)
{
	free(w);
	return NULL;
}

void
jw_compact(struct jw *w)
{
	w->compact = true;
}

static void
put(struct jw *w, const char *s)
{
	(void)buf_puts(w->out, s);
}

static void
newline(struct jw *w)
{
	int i;

	if (w->compact)
		return;
	put(w, "\n");
	for (i = 0; i < w->depth; i++)
		put(w, "  ");
}

/* Comma, newline, indentation and key before a value. */
static void
prefix(struct jw *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			put(w, ",");
		w->first[w->depth] = false;
		newline(w);
		if (w->kind[w->depth] == '{') {
			if (key == NULL)
				abort();
			json_escape(w->out, key, strlen(key));
			put(w, w->compact ? ":" : ": ");
		}
	}
}

static void
open(struct jw *w, const char *key, char kind)
{
	prefix(w, key);
	if (w->depth + 1 >= JW_DEPTH)
		abort();
	w->depth++;
	w->kind[w->depth] = kind;
	w->first[w->depth] = true;
	put(w, kind == '{' ? "{" : "[");
}

static void
close_(struct jw *w, char kind)
{
	bool empty;

	if (w->depth == 0 || w->kind[w->depth] != kind)
		abort();
	empty = w->first[w->depth];
	w->depth--;
	if (!empty)
		newline(w);
	put(w, kind == '{' ? "}" : "]");
	if (w->depth == 0 && !w->compact)
		put(w, "\n");
}

void jw_obj_begin(struct jw *w, const char *key) { open(w, key, '{'); }
void jw_obj_end(struct jw *w) { close_(w, '{'); }
void jw_arr_begin(struct jw *w, const char *key) { open(w, key, '['); }
void jw_arr_end(struct jw *w) { close_(w, '['); }

void
jw_strn(struct jw *w, const char *key, const char *val, size_t n)
{
	prefix(w, key);
	if (val == NULL)
		put(w, "null");
	else
		json_escape(w->out, val, n);
}

void
jw_str(struct jw *w, const char *key, const char *val)
{
	jw_strn(w, key, val, val != NULL ? strlen(val) : 0);
}

void
jw_int(struct jw *w, const char *key, int64_t val)
{
	prefix(w, key);
	(void)buf_printf(w->out, "%lld", (long long)val);
}

void
jw_num(struct jw *w, const char *key, double val)
{
	prefix(w, key);
	if (!isfinite(val))
		put(w, "null");
	else
		(void)buf_printf(w->out, "%.15g", val);
}

void
jw_ms(struct jw *w, const char *key, double ms)
{
	prefix(w, key);
	if (!isfinite(ms) || ms < 0)
		put(w, "null");
	else
		(void)buf_printf(w->out, "%.1f", ms);
}

void
jw_bool(struct jw *w, const char *key, bool val)
{
	prefix(w, key);
	put(w, val ? "true" : "false");
}

void
jw_null(struct jw *w, const char *key)
{
	prefix(w, key);
	put(w, "null");
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void
json_escape(struct buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, l;

	(void)buf_putc(b, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t run = i;

		/* Most text is plain printable ASCII: copy it in one go. */
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f &&
		    s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			(void)buf_append(b, s + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"':  (void)buf_puts(b, "\\\""); i++; continue;
		case '\\': (void)buf_puts(b, "\\\\"); i++; continue;
		case '\n': (void)buf_puts(b, "\\n"); i++; continue;
		case '\r': (void)buf_puts(b, "\\r"); i++; continue;
		case '\t': (void)buf_puts(b, "\\t"); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			(void)buf_printf(b, "\\u%04x", c);
			i++;
			continue;
		}
		l = utf8_len(s + i, n - i);
		if (l == 0) {
			(void)buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		(void)buf_append(b, s + i, l);
		i += l;
	}
	(void)buf_putc(b, '"');
}
