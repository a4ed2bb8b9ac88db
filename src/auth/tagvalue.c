#include "auth/tagvalue.h"

#include <string.h>

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* FWS as RFC 6376 sees it in a header value that may still be folded:
 * spaces, tabs, and CRLF (or a bare LF) followed by white space. */
static size_t
skip_fws(const char *s, size_t n, size_t i)
{
	for (;;) {
		if (i < n && is_wsp(s[i])) {
			i++;
			continue;
		}
		if (i + 2 < n && s[i] == '\r' && s[i + 1] == '\n' &&
		    is_wsp(s[i + 2])) {
			i += 3;
			continue;
		}
		if (i + 1 < n && s[i] == '\n' && is_wsp(s[i + 1])) {
			i += 2;
			continue;
		}
		return i;
	}
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_valchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

int
tv_parse(const char *s, size_t n, struct tv_list *out, const char **err,
    size_t *at)
{
	size_t i = 0;
	const char *why = NULL;

	out->n = 0;
	for (;;) {
		struct tv_pair *p;
		size_t start, end;
		int k;

		i = skip_fws(s, n, i);
		if (i >= n)
			break;		/* an empty list, or a trailing ";" */
		if (!is_alpha(s[i])) {
			why = "a tag name must start with a letter";
			goto bad;
		}
		start = i;
		while (i < n && (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_'))
			i++;
		if (out->n >= TV_MAX_TAGS) {
			why = "too many tags";
			goto bad;
		}
		p = &out->tag[out->n];
		p->name = sv_make(s + start, i - start);
		for (k = 0; k < out->n; k++)
			if (out->tag[k].name.n == p->name.n &&
			    memcmp(out->tag[k].name.p, p->name.p, p->name.n) == 0) {
				i = start;
				why = "a tag appears twice";
				goto bad;
			}
		i = skip_fws(s, n, i);
		if (i >= n || s[i] != '=') {
			why = "a tag name must be followed by '='";
			goto bad;
		}
		i = skip_fws(s, n, i + 1);
		start = end = i;
		while (i < n && s[i] != ';') {
			size_t j = skip_fws(s, n, i);

			if (j != i) {		/* white space inside the value */
				i = j;
				continue;
			}
			if (!is_valchar((unsigned char)s[i])) {
				why = "a tag value holds a character not allowed "
				    "there (a control byte or non-ASCII)";
				goto bad;
			}
			end = ++i;
		}
		p->value = sv_make(s + start, end - start);
		out->n++;
		if (i >= n)
			break;
		i++;			/* the ';' */
	}
	return 0;
bad:
	if (err != NULL)
		*err = why;
	if (at != NULL)
		*at = i;
	return -1;
}

const struct sv *
tv_get(const struct tv_list *l, const char *name)
{
	size_t len = strlen(name);
	int i;

	for (i = 0; i < l->n; i++)
		if (l->tag[i].name.n == len &&
		    memcmp(l->tag[i].name.p, name, len) == 0)
			return &l->tag[i].value;
	return NULL;
}

long
tv_nows(struct sv v, char *out, size_t max)
{
	size_t i, o = 0;

	for (i = 0; i < v.n; i++) {
		char c = v.p[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (o + 1 >= max)
			return -1;
		out[o++] = c;
	}
	if (max == 0)
		return -1;
	out[o] = '\0';
	return (long)o;
}
