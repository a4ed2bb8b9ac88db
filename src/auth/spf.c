/*
 * spf.c - SPF record selection and the record parser (RFC 7208 sections
 * 4.5, 4.6.1, 5, 6 and the ABNF of section 12).
 *
 * The whole record is checked before any term is evaluated (4.6: syntax
 * errors anywhere are a permerror, even after an "all" that would match).
 * The grammar leaves two ambiguities the parser settles the way the RFC
 * 7208 test suite expects:
 * - a term is a modifier only when a valid name is followed by '=' (an
 *   unknown modifier is not greedy: "redirect:x" is a bad mechanism and
 *   "moo.cow/x=y" a bad term, not a modifier);
 * - a domain-spec may hold '/' (any visible character but '%'), so the
 *   dual-cidr-length of a and mx is taken from the end: "//N" then "/N".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/spf.h"
#include "core/mem.h"

const char *
spf_result_name(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:		return "none";
	case SPF_NEUTRAL:	return "neutral";
	case SPF_PASS:		return "pass";
	case SPF_FAIL:		return "fail";
	case SPF_SOFTFAIL:	return "softfail";
	case SPF_TEMPERROR:	return "temperror";
	case SPF_PERMERROR:	return "permerror";
	}
	return "?";
}

static const char *const mech_names[] = {
	[SPF_M_ALL] = "all", [SPF_M_INCLUDE] = "include", [SPF_M_A] = "a",
	[SPF_M_MX] = "mx", [SPF_M_PTR] = "ptr", [SPF_M_IP4] = "ip4",
	[SPF_M_IP6] = "ip6", [SPF_M_EXISTS] = "exists",
};

const char *
spf_mech_name(enum spf_mech m)
{
	if ((size_t)m >= sizeof(mech_names) / sizeof(mech_names[0]))
		return "?";
	return mech_names[m];
}

bool
spf_is_record(const char *txt, size_t n)
{
	return n >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 &&
	    (n == 6 || txt[6] == ' ');
}

bool
spf_name_ok(const char *name, bool multi_label)
{
	size_t n = strlen(name), i, label = 0;
	bool dot = false;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			dot = true;
		} else if (++label > 63 || c < ' ' || c >= 0x7f)
			return false;
	}
	return !multi_label || dot;
}

bool
spf_prefix_match(const uint8_t *a, const uint8_t *b, size_t len, int bits)
{
	size_t full = (size_t)bits / 8;
	int rest = bits % 8;
	uint8_t mask;

	if (bits < 0 || full > len || (full == len && rest != 0))
		return false;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* A decimal number of at most 3 digits, without a leading zero (the ABNF
 * of ip4-cidr-length and ip6-cidr-length). */
static int
parse_small(struct sv s, int max)
{
	int v = 0;
	size_t i;

	if (s.n == 0 || s.n > 3 || (s.p[0] == '0' && s.n > 1))
		return -1;
	for (i = 0; i < s.n; i++) {
		if (!isdigit((unsigned char)s.p[i]))
			return -1;
		v = v * 10 + (s.p[i] - '0');
	}
	return v <= max ? v : -1;
}

int
spf_parse_ip4(struct sv s, uint8_t out[4])
{
	size_t i = 0;
	int k;

	for (k = 0; k < 4; k++) {
		size_t start = i;
		int v;

		while (i < s.n && isdigit((unsigned char)s.p[i]))
			i++;
		if ((v = parse_small(sv_make(s.p + start, i - start), 255)) < 0)
			return -1;
		out[k] = (uint8_t)v;
		if (k < 3) {
			if (i >= s.n || s.p[i] != '.')
				return -1;
			i++;
		}
	}
	return i == s.n ? 0 : -1;
}

int
spf_addr_parse(const char *ip, struct spf_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	uint8_t a6[16];
	int i;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, ip, a->addr) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, ip, a6) == 1) {
		if (memcmp(a6, mapped, 12) == 0) {
			a->family = 4;
			memcpy(a->addr, a6 + 12, 4);
		} else {
			a->family = 6;
			memcpy(a->addr, a6, 16);
		}
	} else
		return -1;
	if (a->family == 4) {
		/* The dotted quad, written without the formatter: a batch
		 * parses one address per line. */
		char *o = a->text;

		for (i = 0; i < 4; i++) {
			unsigned v = a->addr[i];

			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		memcpy(a->dots, a->text, sizeof(a->text));
		return 0;
	}
	if (inet_ntop(AF_INET6, a->addr, a->text, sizeof(a->text)) == NULL)
		return -1;
	/* 7.3: IPv6 as dot-separated nibbles, most significant first. */
	for (i = 0; i < 32; i++) {
		int nib = (a->addr[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;

		a->dots[i * 2] = "0123456789abcdef"[nib];
		a->dots[i * 2 + 1] = i < 31 ? '.' : '\0';
	}
	return 0;
}

static bool
all_digits(struct sv s)
{
	size_t i;

	if (s.n == 0)
		return false;
	for (i = 0; i < s.n; i++)
		if (!isdigit((unsigned char)s.p[i]))
			return false;
	return true;
}

/* Takes "//N" and then "/N" off the end of s. Returns -1 with reason when
 * a length is there but out of range or badly written. */
static int
strip_dual_cidr(struct sv *s, int *c4, int *c6, char *reason)
{
	const char *slash;
	struct sv digits;

	slash = s->n ? memrchr(s->p, '/', s->n) : NULL;
	if (slash == NULL)
		return 0;
	digits = sv_make(slash + 1, (size_t)(s->p + s->n - slash - 1));
	if (!all_digits(digits))
		return 0;
	if (slash > s->p && slash[-1] == '/') {
		if ((*c6 = parse_small(digits, 128)) < 0) {
			snprintf(reason, SPF_REASON_MAX, "bad IPv6 prefix "
			    "length /%.*s (0 to 128, no leading zero)",
			    (int)digits.n, digits.p);
			return -1;
		}
		s->n = (size_t)(slash - 1 - s->p);
		slash = s->n ? memrchr(s->p, '/', s->n) : NULL;
		if (slash == NULL)
			return 0;
		digits = sv_make(slash + 1, (size_t)(s->p + s->n - slash - 1));
		if (!all_digits(digits))
			return 0;
	}
	if ((*c4 = parse_small(digits, 32)) < 0) {
		snprintf(reason, SPF_REASON_MAX, "bad IPv4 prefix length /%.*s "
		    "(0 to 32, no leading zero)", (int)digits.n, digits.p);
		return -1;
	}
	s->n = (size_t)(slash - s->p);
	return 0;
}

static bool
alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
toplabel_ok(struct sv t)
{
	bool alpha = false, dash = false;
	size_t i;

	if (t.n == 0)
		return false;
	for (i = 0; i < t.n; i++) {
		if (t.p[i] == '-')
			dash = true;
		else if (!alnum(t.p[i]))
			return false;
		else if (isalpha((unsigned char)t.p[i]))
			alpha = true;
	}
	if (dash)
		return alnum(t.p[0]) && alnum(t.p[t.n - 1]);
	return alpha;
}

int
spf_domain_spec_check(struct sv s, bool *has_macro, char reason[SPF_REASON_MAX])
{
	const char *dot;
	struct sv end;
	size_t i, last_macro_end = (size_t)-1;

	*has_macro = false;
	if (s.n == 0) {
		snprintf(reason, SPF_REASON_MAX, "empty domain-spec");
		return -1;
	}
	if (spf_macro_check(s, 0, reason) < 0)
		return -1;
	/* Where the last macro-expand ends (the syntax is valid by now). */
	for (i = 0; i < s.n; i++) {
		if (s.p[i] != '%')
			continue;
		*has_macro = true;
		if (s.p[i + 1] == '{') {
			const char *close = memchr(s.p + i, '}', s.n - i);

			i = (size_t)(close - s.p);
		} else
			i++;
		last_macro_end = i + 1;
	}
	if (last_macro_end == s.n)
		return 0;
	end = s;
	if (end.n > 0 && end.p[end.n - 1] == '.')
		end.n--;
	dot = end.n ? memrchr(end.p, '.', end.n) : NULL;
	if (dot == NULL || (last_macro_end != (size_t)-1 &&
	    (size_t)(dot - s.p) < last_macro_end) ||
	    !toplabel_ok(sv_make(dot + 1, (size_t)(end.p + end.n - dot - 1)))) {
		snprintf(reason, SPF_REASON_MAX, "domain-spec '%.*s' must end "
		    "in a top-level label (letters, digits, inner dashes, not "
		    "all digits) or a macro", (int)(s.n > 80 ? 80 : s.n), s.p);
		return -1;
	}
	return 0;
}

/* Copies a domain-spec into the term after checking it. */
static int
take_spec(struct spf_term *t, struct sv s, const char *what,
    char reason[SPF_REASON_MAX])
{
	char why[SPF_REASON_MAX];

	if (spf_domain_spec_check(s, &t->spec_macro, why) < 0) {
		snprintf(reason, SPF_REASON_MAX, "%s: %s", what, why);
		return -1;
	}
	t->spec = xstrndup(s.p, s.n);
	return 0;
}

static int
parse_modifier(struct spf_term *t, struct sv name, struct sv val,
    char reason[SPF_REASON_MAX])
{
	char why[SPF_REASON_MAX];

	if (sv_eq_ci(name, "redirect")) {
		t->kind = SPF_T_REDIRECT;
		return take_spec(t, val, "redirect=", reason);
	}
	if (sv_eq_ci(name, "exp")) {
		t->kind = SPF_T_EXP;
		return take_spec(t, val, "exp=", reason);
	}
	t->kind = SPF_T_UNKNOWN;
	if (spf_macro_check(val, 0, why) < 0) {
		snprintf(reason, SPF_REASON_MAX, "modifier %.*s=: %s",
		    (int)(name.n > 40 ? 40 : name.n), name.p, why);
		return -1;
	}
	t->spec = xstrndup(val.p, val.n);
	return 0;
}

static int
parse_mechanism(struct spf_term *t, struct sv s, char reason[SPF_REASON_MAX])
{
	struct sv name, rest, spec;
	const char *slash;
	char ip[64];
	size_t i;
	int m;

	t->kind = SPF_T_MECH;
	t->qual = SPF_PASS;
	switch (s.n > 0 ? s.p[0] : '\0') {
	case '+': t->qual = SPF_PASS; break;
	case '-': t->qual = SPF_FAIL; break;
	case '~': t->qual = SPF_SOFTFAIL; break;
	case '?': t->qual = SPF_NEUTRAL; break;
	default: goto named;
	}
	s.p++;
	s.n--;
named:
	for (i = 0; i < s.n && s.p[i] != ':' && s.p[i] != '/'; i++)
		;
	name = sv_make(s.p, i);
	rest = sv_make(s.p + i, s.n - i);
	for (m = 0; m <= SPF_M_EXISTS; m++)
		if (sv_eq_ci(name, mech_names[m]))
			break;
	if (m > SPF_M_EXISTS) {
		snprintf(reason, SPF_REASON_MAX, "unknown mechanism '%.*s'",
		    (int)(name.n > 40 ? 40 : name.n), name.p);
		return -1;
	}
	t->mech = (enum spf_mech)m;
	t->cidr4 = 32;
	t->cidr6 = 128;
	switch (t->mech) {
	case SPF_M_ALL:
		if (rest.n != 0)
			goto trailing;
		return 0;
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
		if (rest.n == 0 || rest.p[0] != ':') {
			snprintf(reason, SPF_REASON_MAX, "%s needs "
			    ":domain-spec", mech_names[m]);
			return -1;
		}
		return take_spec(t, sv_make(rest.p + 1, rest.n - 1),
		    mech_names[m], reason);
	case SPF_M_PTR:
		if (rest.n == 0)
			return 0;
		if (rest.p[0] != ':')
			goto trailing;
		return take_spec(t, sv_make(rest.p + 1, rest.n - 1), "ptr",
		    reason);
	case SPF_M_A:
	case SPF_M_MX:
		spec = rest;
		if (strip_dual_cidr(&spec, &t->cidr4, &t->cidr6, reason) < 0)
			return -1;
		if (spec.n == 0)
			return 0;
		if (spec.p[0] != ':')
			goto trailing;
		return take_spec(t, sv_make(spec.p + 1, spec.n - 1),
		    mech_names[m], reason);
	case SPF_M_IP4:
	case SPF_M_IP6:
		if (rest.n < 2 || rest.p[0] != ':') {
			snprintf(reason, SPF_REASON_MAX, "%s needs an address",
			    mech_names[m]);
			return -1;
		}
		spec = sv_make(rest.p + 1, rest.n - 1);
		slash = memchr(spec.p, '/', spec.n);
		if (slash != NULL) {
			struct sv len = sv_make(slash + 1,
			    (size_t)(spec.p + spec.n - slash - 1));
			int max = t->mech == SPF_M_IP4 ? 32 : 128;
			int v = parse_small(len, max);

			if (v < 0) {
				snprintf(reason, SPF_REASON_MAX, "%s: bad prefix "
				    "length '/%.*s' (0 to %d, no leading zero)",
				    mech_names[m], (int)(len.n > 20 ? 20 : len.n),
				    len.p, max);
				return -1;
			}
			if (t->mech == SPF_M_IP4)
				t->cidr4 = v;
			else
				t->cidr6 = v;
			spec.n = (size_t)(slash - spec.p);
		}
		if (t->mech == SPF_M_IP4 ? spf_parse_ip4(spec, t->addr) < 0 :
		    (spec.n >= sizeof(ip) ||
		    (memcpy(ip, spec.p, spec.n), ip[spec.n] = '\0',
		    inet_pton(AF_INET6, ip, t->addr) != 1))) {
			snprintf(reason, SPF_REASON_MAX, "%s: '%.*s' is not an "
			    "%s address", mech_names[m],
			    (int)(spec.n > 60 ? 60 : spec.n), spec.p,
			    t->mech == SPF_M_IP4 ? "IPv4" : "IPv6");
			return -1;
		}
		return 0;
	}
trailing:
	snprintf(reason, SPF_REASON_MAX, "unexpected '%.*s' after %s",
	    (int)(rest.n > 40 ? 40 : rest.n), rest.p, mech_names[m]);
	return -1;
}

static int
parse_term(struct spf_term *t, struct sv s, char reason[SPF_REASON_MAX])
{
	size_t i = 0;

	t->text = xstrndup(s.p, s.n);
	/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=". */
	if (isalpha((unsigned char)s.p[0])) {
		for (i = 1; i < s.n && (isalnum((unsigned char)s.p[i]) ||
		    s.p[i] == '-' || s.p[i] == '_' || s.p[i] == '.'); i++)
			;
		if (i < s.n && s.p[i] == '=')
			return parse_modifier(t, sv_make(s.p, i),
			    sv_make(s.p + i + 1, s.n - i - 1), reason);
	}
	if (s.p[0] == '=' || (isdigit((unsigned char)s.p[0]) &&
	    memchr(s.p, '=', s.n) != NULL)) {
		snprintf(reason, SPF_REASON_MAX, "a modifier name starts with a "
		    "letter");
		return -1;
	}
	return parse_mechanism(t, s, reason);
}

static void
term_release(struct spf_term *t)
{
	free(t->text);
	free(t->spec);
}

struct spf_record *
spf_record_ref(struct spf_record *r)
{
	r->refs++;
	return r;
}

struct spf_record *
spf_record_free(struct spf_record *r)
{
	int i;

	if (r == NULL || --r->refs > 0)
		return NULL;
	for (i = 0; i < r->nterm; i++)
		term_release(&r->term[i]);
	free(r->term);
	free(r);
	return NULL;
}

int
spf_record_parse(const char *txt, size_t n, struct spf_record **out,
    char reason[SPF_REASON_MAX])
{
	struct spf_record *r;
	char why[SPF_REASON_MAX];
	size_t i, cap = 0;

	*out = NULL;
	if (n > SPF_RECORD_MAX) {
		snprintf(reason, SPF_REASON_MAX, "record longer than %d bytes",
		    SPF_RECORD_MAX);
		return -1;
	}
	if (!spf_is_record(txt, n)) {
		snprintf(reason, SPF_REASON_MAX, "not an SPF record (no "
		    "\"v=spf1\" followed by a space or the end)");
		return -1;
	}
	/* Only printable ASCII and spaces (3.1, the ABNF): a control
	 * character or a non-ASCII byte is not a separator. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)txt[i];

		if (c < 0x20 || c >= 0x7f) {
			snprintf(reason, SPF_REASON_MAX, "byte 0x%02x at offset "
			    "%zu: only printable ASCII and spaces are allowed",
			    c, i);
			return -1;
		}
	}
	r = xcalloc(1, sizeof(*r));
	r->redirect = r->exp = -1;
	r->refs = 1;
	i = 6;
	while (i < n) {
		struct spf_term *t;
		size_t start;

		while (i < n && txt[i] == ' ')
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && txt[i] != ' ')
			i++;
		if (r->nterm >= SPF_TERMS_MAX) {
			snprintf(reason, SPF_REASON_MAX, "more than %d terms",
			    SPF_TERMS_MAX);
			goto bad;
		}
		if ((size_t)r->nterm == cap) {
			cap = cap ? cap * 2 : 8;
			r->term = xrealloc(r->term, cap * sizeof(*r->term));
		}
		t = &r->term[r->nterm++];
		memset(t, 0, sizeof(*t));
		if (parse_term(t, sv_make(txt + start, i - start), why) < 0) {
			snprintf(reason, SPF_REASON_MAX, "term %d '%.*s': %s",
			    r->nterm, (int)(i - start > 60 ? 60 : i - start),
			    txt + start, why);
			goto bad;
		}
		if (t->kind == SPF_T_REDIRECT || t->kind == SPF_T_EXP) {
			int *slot = t->kind == SPF_T_REDIRECT ? &r->redirect :
			    &r->exp;

			/* 6: each at most once. */
			if (*slot >= 0) {
				snprintf(reason, SPF_REASON_MAX, "%s= given twice",
				    t->kind == SPF_T_REDIRECT ? "redirect" :
				    "exp");
				goto bad;
			}
			*slot = r->nterm - 1;
		}
		if (t->kind == SPF_T_REDIRECT || (t->kind == SPF_T_MECH &&
		    (t->mech == SPF_M_INCLUDE || t->mech == SPF_M_A ||
		    t->mech == SPF_M_MX || t->mech == SPF_M_PTR ||
		    t->mech == SPF_M_EXISTS)))
			r->dns_terms++;
	}
	*out = r;
	return 0;
bad:
	spf_record_free(r);
	return -1;
}
