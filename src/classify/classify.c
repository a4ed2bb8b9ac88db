/*
 * classify.c - the reply rules of data/rules.txt and the matcher over them.
 *
 * The rules are compiled once, on first use, from the text embedded in the
 * binary; an error there is a bug in mxdoc (test_classify loads them), so
 * the matching functions abort on it rather than guess. Matching is a linear
 * walk over a few hundred rules with a precompiled regex each: cheap next to
 * the network round trip that produced the reply, and the order of the file
 * stays the whole policy. Thread-unsafe lazy initialisation on purpose:
 * mxdoc runs one thread.
 *
 * Reply texts come from the outside world (a live peer, a log, a bounce),
 * so every input is bounded: at most CLASSIFY_TEXT_MAX bytes are looked at,
 * NULs and control bytes become spaces before the regex sees them.
 */
#include "classify/classify.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/mem.h"
#include "core/sv.h"
#include "smtp/reply.h"

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replies longer than this are cut: the reason is always near the start,
 * and a hostile peer must not make each of ~200 regexes scan megabytes. */
#define CLASSIFY_TEXT_MAX	(16 * 1024)
#define RULE_FIELDS		7

struct rule {
	const char		*id;
	const char		*provider;	/* NULL for a generic rule */
	const struct cause	*cause;
	const char		*codes;		/* NULL: any code */
	const char		*esc;		/* NULL: any esc, or none */
	const char		*note;
	bool			 any_text;
	regex_t			 re;
	unsigned		 line;
};

struct ruleset {
	struct rule	*rules;
	size_t		 n;
	char		*storage;
};

static struct ruleset	active;
static bool		loaded;
static char		load_err[256];

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One glob item (not NUL-terminated: ends at gn) against s: 'x' is any
 * digit, '*' any run of bytes, everything else itself. Items are short
 * ("4.7.*"), so the recursion on '*' is shallow. */
static bool
glob_item(const char *g, size_t gn, const char *s)
{
	while (gn > 0) {
		if (*g == '*') {
			for (;;) {
				if (glob_item(g + 1, gn - 1, s))
					return true;
				if (*s == '\0')
					return false;
				s++;
			}
		}
		if (*s == '\0')
			return false;
		if (*g == 'x' || *g == 'X') {
			if (!is_digit(*s))
				return false;
		} else if (*g != *s)
			return false;
		g++;
		gn--;
		s++;
	}
	return *s == '\0';
}

static bool
glob_list(const char *list, const char *s)
{
	struct sv rest = sv_cstr(list), item;

	while (rest.n > 0) {
		item = sv_cut(&rest, ',');
		if (glob_item(item.p, item.n, s))
			return true;
	}
	return false;
}

/* With no reply code known (free text where only "#5.1.1" survived), a code
 * glob matches on the class the enhanced status code gives: "5xx" and "550"
 * both take a 5.x.x. Without either, only "*" matches. */
static bool
code_match(const struct rule *r, int code, char esc_class)
{
	char s[8];
	struct sv rest, item;

	if (r->codes == NULL)
		return true;
	if (code >= 100 && code <= 999) {
		snprintf(s, sizeof(s), "%d", code);
		return glob_list(r->codes, s);
	}
	if (esc_class == '\0')
		return false;
	rest = sv_cstr(r->codes);
	while (rest.n > 0) {
		item = sv_cut(&rest, ',');
		if (item.n > 0 && (item.p[0] == esc_class || item.p[0] == '*'))
			return true;
	}
	return false;
}

static bool
esc_match(const struct rule *r, const char *esc)
{
	if (r->esc == NULL)
		return true;
	if (esc == NULL || esc[0] == '\0')
		return false;
	return glob_list(r->esc, esc);
}

static bool
valid_glob(const char *s, const char *allowed)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (strchr(allowed, *s) == NULL)
			return false;
	return true;
}

static void
ruleset_free(struct ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (!rs->rules[i].any_text)
			regfree(&rs->rules[i].re);
	free(rs->rules);
	free(rs->storage);
	memset(rs, 0, sizeof(*rs));
}

/* Parses and compiles a rules text into rs. On error fills err with
 * "data/rules.txt:LINE: what" and leaves rs empty. */
static int
ruleset_parse(struct ruleset *rs, const char *text, size_t n, char *err,
    size_t errlen)
{
	struct sv rest, line, f[RULE_FIELDS], cut;
	struct rule *r;
	size_t cap = 0, i, nf;
	unsigned lineno = 0;
	int rc;

	memset(rs, 0, sizeof(*rs));
	rs->storage = xmalloc(n + 1);
	memcpy(rs->storage, text, n);
	rs->storage[n] = '\0';
	rest = sv_make(rs->storage, n);
	while (rest.n > 0) {
		line = sv_cut(&rest, '\n');
		lineno++;
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		if (sv_trim(line).n == 0 || sv_trim(line).p[0] == '#')
			continue;
		if (memchr(line.p, '\0', line.n) != NULL) {
			snprintf(err, errlen, "data/rules.txt:%u: NUL byte",
			    lineno);
			goto fail;
		}
		for (nf = 1, i = 0; i < line.n; i++)
			if (line.p[i] == '\t')
				nf++;
		if (nf != RULE_FIELDS) {
			snprintf(err, errlen, "data/rules.txt:%u: %zu fields, "
			    "want %d (TAB-separated)", lineno, nf, RULE_FIELDS);
			goto fail;
		}
		cut = line;
		for (i = 0; i < RULE_FIELDS; i++)
			f[i] = sv_cut(&cut, '\t');
		for (i = 0; i < RULE_FIELDS; i++) {
			f[i] = sv_trim(f[i]);
			if (f[i].n == 0) {
				snprintf(err, errlen, "data/rules.txt:%u: "
				    "field %zu is empty", lineno, i + 1);
				goto fail;
			}
			((char *)f[i].p)[f[i].n] = '\0';
		}
		if (rs->n == cap) {
			cap = cap ? cap * 2 : 256;
			rs->rules = xrealloc(rs->rules, cap * sizeof(*rs->rules));
		}
		r = &rs->rules[rs->n];
		memset(r, 0, sizeof(*r));
		r->line = lineno;
		r->id = f[0].p;
		r->provider = strcmp(f[1].p, "-") == 0 ? NULL : f[1].p;
		r->cause = cause_get(f[2].p);
		if (r->cause == NULL) {
			snprintf(err, errlen, "data/rules.txt:%u: unknown cause "
			    "\"%s\"", lineno, f[2].p);
			goto fail;
		}
		r->codes = strcmp(f[3].p, "*") == 0 ? NULL : f[3].p;
		if (r->codes != NULL && !valid_glob(r->codes, "0123456789xX*,")) {
			snprintf(err, errlen, "data/rules.txt:%u: bad codes "
			    "\"%s\"", lineno, f[3].p);
			goto fail;
		}
		r->esc = strcmp(f[4].p, "*") == 0 ? NULL : f[4].p;
		if (r->esc != NULL && !valid_glob(r->esc, "0123456789xX*.,")) {
			snprintf(err, errlen, "data/rules.txt:%u: bad esc "
			    "\"%s\"", lineno, f[4].p);
			goto fail;
		}
		r->note = f[6].p;
		r->any_text = strcmp(f[5].p, "*") == 0;
		if (!r->any_text) {
			rc = regcomp(&r->re, f[5].p,
			    REG_EXTENDED | REG_ICASE | REG_NOSUB);
			if (rc != 0) {
				char msg[128];

				regerror(rc, &r->re, msg, sizeof(msg));
				snprintf(err, errlen, "data/rules.txt:%u: "
				    "regex: %s", lineno, msg);
				goto fail;
			}
		}
		for (i = 0; i < rs->n; i++)
			if (strcmp(rs->rules[i].id, r->id) == 0) {
				if (!r->any_text)
					regfree(&r->re);
				snprintf(err, errlen, "data/rules.txt:%u: "
				    "duplicate rule id \"%s\"", lineno, r->id);
				goto fail;
			}
		rs->n++;
	}
	if (rs->n == 0) {
		snprintf(err, errlen, "data/rules.txt: no rules");
		goto fail;
	}
	return (int)rs->n;
fail:
	ruleset_free(rs);
	return -1;
}

int
classify_load(const char **err)
{
	if (!loaded) {
		if (ruleset_parse(&active, embedded_rules_txt,
		    embedded_rules_txt_len, load_err, sizeof(load_err)) < 0) {
			if (err != NULL)
				*err = load_err;
			return -1;
		}
		loaded = true;
	}
	return (int)active.n;
}

int
classify_check(const char *text, size_t n, char *err, size_t errlen)
{
	struct ruleset rs;
	int count;

	count = ruleset_parse(&rs, text, n, err, errlen);
	if (count >= 0)
		ruleset_free(&rs);
	return count;
}

static void
must_load(void)
{
	const char *err;

	if (classify_load(&err) < 0) {
		fprintf(stderr, "mxdoc: %s\n", err);
		abort();
	}
}

/* "550-" or "550 " at p (a reply code as servers and MTAs write it). */
static bool
code_at(const char *p, size_t n, bool dash_only)
{
	if (n < 4 || p[0] < '2' || p[0] > '5' || !is_digit(p[1]) ||
	    !is_digit(p[2]))
		return false;
	return p[3] == '-' || (!dash_only && p[3] == ' ');
}

/* The text the regexes see: bounded, one line, single spaces. The code and
 * esc that start each continuation line ("550-5.1.1 ") are dropped so that
 * a phrase split across lines still matches, as the catalogue quotes it. */
static void
normalise(const char *text, size_t n, struct buf *out)
{
	size_t i = 0, k;
	bool line_start = true, space = false;
	char esc[16];

	if (n > CLASSIFY_TEXT_MAX)
		n = CLASSIFY_TEXT_MAX;
	buf_reset(out);
	while (i < n) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n' || c == '\r') {
			line_start = true;
			space = out->len > 0;
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = out->len > 0;
			i++;
			continue;
		}
		if ((line_start || space) &&
		    code_at(text + i, n - i, !line_start)) {
			i += 4;
			k = smtp_esc_scan(text + i, n - i, esc);
			i += k;
			line_start = false;
			continue;
		}
		line_start = false;
		if (space)
			(void)buf_putc(out, ' ');
		space = false;
		(void)buf_putc(out, (char)c);
		i++;
	}
}

static void
fill(struct classify_result *out, const struct rule *r)
{
	out->cause = r->cause;
	out->rule = r->id;
	out->provider = r->provider;
	out->note = r->note;
}

/* The first rule that matches, or NULL. With text_only, rules that do not
 * look at the text (esc and class rules) are skipped: classify_text() asks
 * the quoted reply first and the whole text second. */
static const struct rule *
match(int code, const char *esc, const char *text, size_t n, bool text_only)
{
	struct buf norm;
	const struct rule *found = NULL;
	char esc_class = '\0';
	size_t i;

	if (esc != NULL && (esc[0] == '2' || esc[0] == '4' || esc[0] == '5'))
		esc_class = esc[0];
	buf_init(&norm, CLASSIFY_TEXT_MAX + 1);
	normalise(text != NULL ? text : "", text != NULL ? n : 0, &norm);
	for (i = 0; i < active.n && found == NULL; i++) {
		const struct rule *r = &active.rules[i];

		if (r->any_text && text_only)
			continue;
		if (!code_match(r, code, esc_class) || !esc_match(r, esc))
			continue;
		if (!r->any_text && regexec(&r->re, norm.len ? buf_cstr(&norm) :
		    "", 0, NULL, 0) != 0)
			continue;
		found = r;
	}
	buf_release(&norm);
	return found;
}

static void
fallback(int code, const char *esc, struct classify_result *out)
{
	char esc_class = esc != NULL ? esc[0] : '\0';

	/* No rule, not even a class rule: the reply gave neither code nor
	 * esc. Something failed, and nothing says it is final. */
	out->cause = cause_must(code / 100 == 5 || esc_class == '5' ?
	    "smtp.permanent" : code / 100 == 2 || esc_class == '2' ? "ok" :
	    "smtp.temporary");
	out->rule = "unmatched";
	out->provider = NULL;
	out->note = NULL;
}

static bool
invalid_code(int code, struct classify_result *out)
{
	/* RFC 5321 4.2: the first digit is 2..5. Anything else is not a
	 * reply a rule could describe. */
	if (code == 0 || (code >= 200 && code <= 599))
		return false;
	out->cause = cause_must("smtp.protocol");
	out->rule = "invalid-code";
	out->provider = NULL;
	out->note = "the reply code is outside 200-599";
	return true;
}

void
classify_reply(int code, const char *esc, const char *text, size_t n,
    struct classify_result *out)
{
	const struct rule *r;

	must_load();
	if (invalid_code(code, out))
		return;
	if ((r = match(code, esc, text, n, false)) != NULL)
		fill(out, r);
	else
		fallback(code, esc, out);
}

/* A reply code as a token: at the start or after a separator, followed by
 * a space, a dash or the end. "1543:" or an IP's "192." are not codes. */
static bool
code_token(const char *t, size_t n, size_t i)
{
	if (i > 0) {
		char b = t[i - 1];

		if (b != ' ' && b != '\t' && b != '\n' && b != ':' &&
		    b != ';' && b != '"' && b != '\'' && b != '(' &&
		    b != '[' && b != '<' && b != '=')
			return false;
	}
	if (n - i < 3 || t[i] < '2' || t[i] > '5' || !is_digit(t[i + 1]) ||
	    !is_digit(t[i + 2]))
		return false;
	return n - i == 3 || t[i + 3] == ' ' || t[i + 3] == '-' ||
	    t[i + 3] == '\n' || t[i + 3] == '\r';
}

/* An enhanced status code standing alone in the text ("(#5.1.1)", "Status:
 * 5.2.2"): class 4 or 5 only, since a lone "2.x.y" is too often a version
 * number. Returns true and fills esc. */
static bool
esc_token(const char *t, size_t n, size_t i, char esc[16])
{
	char tok[16];
	size_t k = 0;

	if (i > 0 && (is_digit(t[i - 1]) || t[i - 1] == '.' ||
	    (t[i - 1] >= 'a' && t[i - 1] <= 'z') ||
	    (t[i - 1] >= 'A' && t[i - 1] <= 'Z')))
		return false;
	if (t[i] != '4' && t[i] != '5')
		return false;
	while (i + k < n && k < sizeof(tok) - 1 &&
	    (is_digit(t[i + k]) || t[i + k] == '.'))
		k++;
	if (k < 5 || k == sizeof(tok) - 1)
		return false;
	memcpy(tok, t + i, k);
	tok[k] = '\0';
	if (tok[k - 1] == '.')		/* a sentence's full stop */
		tok[--k] = '\0';
	return smtp_esc_scan(tok, k, esc) == k;
}

/* Where a quoted reply starts after one of these, the code is the first
 * code token within the next few hundred bytes (Exim puts "host X [ip]: "
 * between its marker and the code). */
static const char *const markers[] = {
	/* Only the smtp type: "X-Unix; 255" is a program's exit status. */
	"Diagnostic-Code: smtp;",
	"said: ",
	"refused to talk to me: ",
	"SMTP error from remote mail server after ",
	"responded with: ",
	"Remote Server returned '",
	"The error that the other server returned was:",
	"reason: ",
	"<<< ",
};
#define MARKER_REACH	512

static size_t
find_code(const char *t, size_t n, int *code)
{
	size_t i, m, lim;
	long at;

	i = 0;
	while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' ||
	    t[i] == '\n'))
		i++;
	if (code_token(t, n, i))
		goto found;
	for (m = 0; m < sizeof(markers) / sizeof(markers[0]); m++) {
		at = sv_find_ci(sv_make(t, n), markers[m]);
		if (at < 0)
			continue;
		lim = (size_t)at + strlen(markers[m]) + MARKER_REACH;
		if (lim > n)
			lim = n;
		for (i = (size_t)at + strlen(markers[m]); i < lim; i++)
			if (code_token(t, n, i))
				goto found;
	}
	/* Last resort: a code followed by an esc anywhere ("550 5.1.1"). */
	for (i = 0; i + 9 <= n; i++) {
		char esc[16];

		if (code_token(t, n, i) &&
		    smtp_esc_scan(t + i + 4, n - i - 4, esc) > 0)
			goto found;
	}
	return n;
found:
	/* Gmail's bounces quote "550 550 5.7.1 ...": the esc follows the
	 * second copy. */
	while (i + 8 <= n && t[i + 3] == ' ' && memcmp(t + i, t + i + 4, 3) == 0 &&
	    code_token(t, n, i + 4))
		i += 4;
	*code = (t[i] - '0') * 100 + (t[i + 1] - '0') * 10 + (t[i + 2] - '0');
	return i;
}

/* The quoted reply that starts at a code: up to a blank line, or to a line
 * that starts with another code (a transcript's next reply, or the MTA's
 * own verdict after it), at most a few lines' worth. */
static size_t
reply_span(const char *t, size_t n, size_t at)
{
	size_t i, lim = at + SMTP_LINE_MAX * 2;

	if (lim > n)
		lim = n;
	for (i = at; i < lim; i++) {
		if (t[i] != '\n')
			continue;
		if (i + 1 < n && (t[i + 1] == '\n' || (t[i + 1] == '\r' &&
		    i + 2 < n && t[i + 2] == '\n')))
			return i - at;
		if (code_token(t, n, i + 1) && memcmp(t + i + 1, t + at, 3) != 0)
			return i - at;
	}
	return lim - at;
}

void
classify_text(const char *text, size_t n, struct classify_result *out)
{
	struct smtp_reply r;
	const struct rule *rule = NULL;
	char esc[16] = "";
	int code = 0;
	size_t at, end, i, span = 0;

	must_load();
	if (text == NULL)
		n = 0;
	if (n > CLASSIFY_TEXT_MAX)
		n = CLASSIFY_TEXT_MAX;
	at = find_code(text, n, &code);
	if (code != 0) {
		/* The reply parser knows the line's grammar and sanitises the
		 * esc; it sees the one line the code starts. */
		const char *nl = memchr(text + at, '\n', n - at);

		end = nl != NULL ? (size_t)(nl - text) : n;
		smtp_reply_init(&r);
		if (smtp_reply_feed(&r, text + at, end - at) != SMTP_REPLY_BAD &&
		    r.code == code)
			memcpy(esc, r.esc, sizeof(esc));
		smtp_reply_release(&r);
		/* "550 #5.1.0 Address rejected": an esc on the code's line
		 * is the reply's own, before any elsewhere in the text. */
		for (i = at + 4; esc[0] == '\0' && i < end; i++)
			if (esc_token(text, n, i, esc))
				break;
		span = reply_span(text, n, at);
	}
	if (esc[0] == '\0')
		for (i = 0; i < n; i++)
			if (esc_token(text, n, i, esc))
				break;
	if (code != 0)
		(void)smtp_esc_sanitise(code, esc);
	if (invalid_code(code, out))
		return;
	/* The quoted reply's own words first: around it, an MTA may add its
	 * own verdict ("Deferred: Connection reset") about a later attempt. */
	if (span > 0)
		rule = match(code, esc, text + at, span, true);
	if (rule == NULL)
		rule = match(code, esc, text, n, false);
	if (rule != NULL)
		fill(out, rule);
	else
		fallback(code, esc, out);
}
