/*
 * spf_macro.c - SPF macro syntax and expansion (RFC 7208 section 7).
 *
 * One walker serves the syntax check (ctx NULL) and the expansion, so the
 * two cannot disagree. Limits: a letter's value is split into at most
 * SPF_PARTS_MAX + 1 kept parts, a transformer above that keeps them all,
 * and the output stops at SPF_MACRO_OUT_MAX bytes (a record of thousands
 * of %{s} is an error, not a megabyte of name). Target names keep their
 * right-most 253 bytes, cut at a label boundary (7.3).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/spf.h"
#include "core/mem.h"

static bool
is_delim(char c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

static const char *
letter_value(const struct spf_macro_ctx *c, char letter, char tbuf[24])
{
	switch (letter) {
	case 's': return c->sender;
	case 'l': return c->local;
	case 'o': return c->sender_domain;
	case 'd': return c->domain;
	case 'i': return c->ip;
	case 'p': return c->validated;
	case 'v': return c->ip_version;
	case 'h': return c->helo;
	case 'c': return c->ip_text;
	case 'r': return c->receiver;
	case 't':
		snprintf(tbuf, 24, "%lld", (long long)c->now);
		return tbuf;
	}
	return NULL;
}

/* Appends v transformed: split on delims (default "."), reversed with
 * rev, the right-most keep parts (0: all), joined with ".". */
static int
transform(struct buf *out, const char *v, int keep, bool rev,
    const char *delims, size_t ndelims, bool escape)
{
	size_t n = strlen(v), nparts = 0, i, start = 0, first;
	struct sv *parts;
	struct buf tmp;
	int rc = 0;

	parts = xcalloc(n + 1, sizeof(*parts));
	for (i = 0; i <= n; i++) {
		bool d = i < n && (ndelims == 0 ? v[i] == '.' :
		    memchr(delims, v[i], ndelims) != NULL);

		if (i == n || d) {
			parts[nparts++] = sv_make(v + start, i - start);
			start = i + 1;
		}
	}
	if (rev)
		for (i = 0; i < nparts / 2; i++) {
			struct sv x = parts[i];

			parts[i] = parts[nparts - 1 - i];
			parts[nparts - 1 - i] = x;
		}
	first = keep > 0 && (size_t)keep < nparts ? nparts - (size_t)keep : 0;
	buf_init(&tmp, SPF_MACRO_OUT_MAX);
	for (i = first; i < nparts && rc == 0; i++) {
		if (i > first)
			rc = buf_putc(&tmp, '.');
		if (rc == 0)
			rc = buf_append(&tmp, parts[i].p, parts[i].n);
	}
	free(parts);
	/* 7.3: upper-case letters are URL-escaped; unreserved characters
	 * (RFC 3986: ALPHA DIGIT - . _ ~) stay. */
	for (i = 0; i < tmp.len && rc == 0; i++) {
		unsigned char ch = (unsigned char)tmp.data[i];

		if (!escape || isalnum(ch) || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~')
			rc = buf_putc(out, (char)ch);
		else
			rc = buf_printf(out, "%%%02X", ch);
	}
	buf_release(&tmp);
	return rc;
}

static int
walk(const struct spf_macro_ctx *c, struct sv s, unsigned flags,
    struct buf *out, char reason[SPF_REASON_MAX])
{
	size_t i = 0;
	int rc = 0;

	while (i < s.n && rc == 0) {
		unsigned char ch = (unsigned char)s.p[i];
		const char *delims, *v;
		char letter, tbuf[24];
		size_t ndelims;
		bool rev = false, upper;
		int keep = 0, digits = 0;

		if (ch != '%') {
			size_t run = i;

			/* A run of literal bytes, appended at once. */
			for (; run < s.n && s.p[run] != '%'; run++) {
				ch = (unsigned char)s.p[run];
				if ((ch < 0x21 || ch > 0x7e) &&
				    !(ch == ' ' && (flags & SPF_MACRO_EXP))) {
					snprintf(reason, SPF_REASON_MAX, "byte "
					    "0x%02x is not allowed here", ch);
					return SPF_MACRO_ERROR;
				}
			}
			if (out != NULL)
				rc = buf_append(out, s.p + i, run - i);
			i = run;
			continue;
		}
		if (i + 1 >= s.n) {
			snprintf(reason, SPF_REASON_MAX, "'%%' at the end: write "
			    "%%%% for a percent sign");
			return SPF_MACRO_ERROR;
		}
		switch (s.p[i + 1]) {
		case '%':
		case '_':
		case '-':
			if (out != NULL)
				rc = buf_puts(out, s.p[i + 1] == '%' ? "%" :
				    s.p[i + 1] == '_' ? " " : "%20");
			i += 2;
			continue;
		case '{':
			break;
		default:
			snprintf(reason, SPF_REASON_MAX, "'%%%c' is not a macro: "
			    "'%%' is followed by {, %%, _ or -", isprint(
			    (unsigned char)s.p[i + 1]) ? s.p[i + 1] : '?');
			return SPF_MACRO_ERROR;
		}
		i += 2;
		if (i >= s.n)
			goto unterminated;
		letter = (char)tolower((unsigned char)s.p[i]);
		upper = isupper((unsigned char)s.p[i]) != 0;
		if (letter == '\0' || (strchr("slodiphv", letter) == NULL &&
		    !((flags & SPF_MACRO_EXP) && strchr("crt", letter) != NULL))) {
			snprintf(reason, SPF_REASON_MAX, "'%%{%c' is not a macro "
			    "letter%s", isprint((unsigned char)s.p[i]) ? s.p[i] :
			    '?', strchr("crt", letter) != NULL && letter ?
			    " outside exp= text" : "");
			return SPF_MACRO_ERROR;
		}
		i++;
		while (i < s.n && isdigit((unsigned char)s.p[i])) {
			if (keep <= SPF_PARTS_MAX)
				keep = keep * 10 + (s.p[i] - '0');
			digits++;
			i++;
		}
		if (digits > 0 && keep == 0) {
			snprintf(reason, SPF_REASON_MAX, "a macro keeps at least "
			    "one part (7.3: the digit is nonzero)");
			return SPF_MACRO_ERROR;
		}
		if (keep > SPF_PARTS_MAX)
			keep = 0;
		if (i < s.n && (s.p[i] == 'r' || s.p[i] == 'R')) {
			rev = true;
			i++;
		}
		delims = s.p + i;
		while (i < s.n && is_delim(s.p[i]))
			i++;
		ndelims = (size_t)(s.p + i - delims);
		if (i >= s.n || s.p[i] != '}')
			goto unterminated;
		i++;
		if (out == NULL)
			continue;
		v = letter_value(c, letter, tbuf);
		if (v == NULL) {
			if (letter == 'p')
				return SPF_MACRO_NEED_P;
			v = "";
		}
		rc = transform(out, v, keep, rev, delims, ndelims, upper);
	}
	if (rc != 0) {
		snprintf(reason, SPF_REASON_MAX, "expansion longer than %d bytes",
		    SPF_MACRO_OUT_MAX);
		return SPF_MACRO_ERROR;
	}
	return SPF_MACRO_OK;
unterminated:
	snprintf(reason, SPF_REASON_MAX, "a '%%{' macro is not closed by '}' "
	    "(letter, digits, 'r', delimiters . - + , / _ =)");
	return SPF_MACRO_ERROR;
}

int
spf_macro_check(struct sv s, unsigned flags, char reason[SPF_REASON_MAX])
{
	return walk(NULL, s, flags, NULL, reason) == SPF_MACRO_OK ? 0 : -1;
}

int
spf_macro_expand(const struct spf_macro_ctx *c, struct sv s, unsigned flags,
    struct buf *out, char reason[SPF_REASON_MAX])
{
	int r;

	buf_reset(out);
	if ((r = walk(c, s, flags, out, reason)) != SPF_MACRO_OK)
		return r;
	if (flags & SPF_MACRO_DOMAIN) {
		size_t cut = 0;

		if (out->len > 0 && out->data[out->len - 1] == '.')
			out->data[--out->len] = '\0';
		/* 7.3: drop labels on the left until 253 bytes remain. */
		while (out->len - cut > 253) {
			const char *dot = memchr(out->data + cut, '.',
			    out->len - cut);

			if (dot == NULL)
				break;
			cut = (size_t)(dot - out->data) + 1;
		}
		if (cut > 0)
			buf_consume(out, cut);
	}
	return SPF_MACRO_OK;
}
