#include "auth/dmarc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libpsl.h>

#include "auth/tagvalue.h"
#include "core/sv.h"

static void note(struct dmarc_record *r, enum severity sev, const char *tag,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
note(struct dmarc_record *r, enum severity sev, const char *tag,
    const char *fmt, ...)
{
	struct dmarc_note *n;
	va_list ap;

	if (r->nnote >= DMARC_NOTES_MAX)
		return;
	n = &r->note[r->nnote++];
	n->sev = sev;
	snprintf(n->tag, sizeof(n->tag), "%s", tag);
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

/* A value for a note: at most 60 bytes, control bytes as '?'. */
static const char *
show(struct sv v, char out[64])
{
	size_t i, n = v.n < 60 ? v.n : 60;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)v.p[i] < 0x20 ||
		    (unsigned char)v.p[i] > 0x7e ? '?' : v.p[i];
	out[n] = '\0';
	return out;
}

static bool
all_digits(struct sv v, size_t max)
{
	size_t i;

	if (v.n == 0 || v.n > max)
		return false;
	for (i = 0; i < v.n; i++)
		if (!isdigit((unsigned char)v.p[i]))
			return false;
	return true;
}

static long long
digits_value(struct sv v)
{
	long long x = 0;
	size_t i;

	for (i = 0; i < v.n; i++)
		x = x * 10 + (v.p[i] - '0');
	return x;
}

bool
dmarc_is_record(const char *txt, size_t n)
{
	struct sv v = sv_make(txt, n);

	while (v.n > 0 && (v.p[0] == ' ' || v.p[0] == '\t')) {
		v.p++;
		v.n--;
	}
	if (!sv_starts_ci(v, "v"))
		return false;
	v.p++;
	v.n--;
	while (v.n > 0 && (v.p[0] == ' ' || v.p[0] == '\t')) {
		v.p++;
		v.n--;
	}
	if (v.n == 0 || v.p[0] != '=')
		return false;
	v.p++;
	v.n--;
	while (v.n > 0 && (v.p[0] == ' ' || v.p[0] == '\t')) {
		v.p++;
		v.n--;
	}
	return sv_starts_ci(v, "DMARC1");
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_P_NONE:		return "none";
	case DMARC_P_QUARANTINE:	return "quarantine";
	case DMARC_P_REJECT:		return "reject";
	case DMARC_P_INVALID:		return "invalid";
	default:			return "unset";
	}
}

static enum dmarc_policy
policy_of(struct sv v)
{
	if (v.n == 4 && memcmp(v.p, "none", 4) == 0)
		return DMARC_P_NONE;
	if (v.n == 10 && memcmp(v.p, "quarantine", 10) == 0)
		return DMARC_P_QUARANTINE;
	if (v.n == 6 && memcmp(v.p, "reject", 6) == 0)
		return DMARC_P_REJECT;
	return DMARC_P_INVALID;
}

/* One URI of a rua/ruf list (6.2, 6.4): "mailto:addr[!size[kmgt]]". */
static void
parse_uri(struct dmarc_record *r, const char *tag, struct sv u,
    struct dmarc_uri *out)
{
	char tmp[64];
	const char *bang, *at;
	struct sv size = { NULL, 0 }, addr;
	size_t i;

	memset(out, 0, sizeof(*out));
	bang = u.n ? memchr(u.p, '!', u.n) : NULL;
	if (bang != NULL) {
		size = sv_make(bang + 1, u.n - (size_t)(bang + 1 - u.p));
		u.n = (size_t)(bang - u.p);
	}
	if (u.n == 0) {
		note(r, SEV_ERROR, tag, "an empty URI in %s=", tag);
		return;
	}
	if (u.n >= DMARC_URI_MAX) {
		note(r, SEV_ERROR, tag, "a URI of %zu bytes in %s= (at most %d)",
		    u.n, tag, DMARC_URI_MAX - 1);
		return;
	}
	memcpy(out->uri, u.p, u.n);
	out->uri[u.n] = '\0';
	if (size.p != NULL) {
		uint64_t mul = 1;
		char unit = size.n > 0 ? (char)tolower((unsigned char)
		    size.p[size.n - 1]) : '\0';

		if (unit == 'k' || unit == 'm' || unit == 'g' || unit == 't') {
			mul = unit == 'k' ? 1024ULL : unit == 'm' ?
			    1048576ULL : unit == 'g' ? 1073741824ULL :
			    1099511627776ULL;
			size.n--;
		}
		if (!all_digits(size, 9))
			note(r, SEV_ERROR, tag, "bad size limit '!%s' after %s "
			    "(digits, then k, m, g or t)", show(size, tmp),
			    out->uri);
		else
			out->max_size = (uint64_t)digits_value(size) * mul;
	}
	for (i = 0; i < u.n && (isalnum((unsigned char)u.p[i]) ||
	    u.p[i] == '+' || u.p[i] == '-' || u.p[i] == '.'); i++)
		;
	if (i == 0 || i >= u.n || u.p[i] != ':') {
		note(r, SEV_ERROR, tag, "'%s' in %s= is not a URI (mailto:"
		    "address expected)", out->uri, tag);
		out->uri[0] = '\0';
		return;
	}
	if (!(i == 6 && strncasecmp(u.p, "mailto", 6) == 0)) {
		note(r, SEV_WARNING, tag, "'%s' in %s= is not a mailto: URI; "
		    "receivers need only support mailto: (RFC 7489 6.2)",
		    out->uri, tag);
		return;
	}
	out->mailto = true;
	addr = sv_make(u.p + 7, u.n - 7);
	addr.n = sv_cut(&addr, '?').n;
	addr = sv_make(u.p + 7, addr.n);
	at = NULL;
	for (i = 0; i < addr.n; i++)
		if (addr.p[i] == '@')
			at = addr.p + i;
	if (at == NULL || at == addr.p || at + 1 == addr.p + addr.n) {
		note(r, SEV_ERROR, tag, "'%s' in %s= has no address "
		    "(mailto:local@domain)", out->uri, tag);
		out->uri[0] = '\0';
		return;
	}
	for (i = 0; at + 1 + i < addr.p + addr.n; i++)
		out->domain[i] = (char)tolower((unsigned char)at[1 + i]);
	out->domain[i] = '\0';
	if (strchr(out->domain, '.') == NULL)
		note(r, SEV_ERROR, tag, "'%s' in %s=: '%s' is not a domain",
		    out->uri, tag, out->domain);
}

static void
parse_uris(struct dmarc_record *r, const char *tag, struct sv v,
    struct dmarc_uri *list, int *count)
{
	*count = 0;
	if (v.n == 0) {
		note(r, SEV_ERROR, tag, "%s= is empty", tag);
		return;
	}
	for (;;) {
		const char *comma = memchr(v.p, ',', v.n);
		struct sv one = sv_trim(sv_make(v.p, comma != NULL ?
		    (size_t)(comma - v.p) : v.n));

		if (*count >= DMARC_URIS_MAX) {
			note(r, SEV_WARNING, tag, "more than %d URIs in %s=; "
			    "the rest are not checked", DMARC_URIS_MAX, tag);
			return;
		}
		parse_uri(r, tag, one, &list[*count]);
		if (list[*count].uri[0] != '\0')
			(*count)++;
		if (comma == NULL)
			break;
		v.n -= (size_t)(comma + 1 - v.p);
		v.p = comma + 1;
	}
}

static bool
fo_ok(struct sv v)
{
	while (v.n > 0) {
		struct sv t = sv_trim(sv_cut(&v, ':'));

		if (t.n != 1 || strchr("01ds", t.p[0]) == NULL)
			return false;
		if (v.n == 0 && v.p[-1] == ':')
			return false;
	}
	return true;
}

int
dmarc_parse(const char *txt, size_t n, struct dmarc_record *r)
{
	struct tv_list l;
	const char *err;
	char tmp[64];
	size_t at;
	int i;
	bool v_ok = false, p_ok = false, has_ruf = false, has_fo = false;

	memset(r, 0, sizeof(*r));
	r->pct = 100;
	r->adkim = r->aspf = 'r';
	snprintf(r->fo, sizeof(r->fo), "0");
	r->ri = 86400;
	if (tv_parse(txt, n, &l, &err, &at) < 0) {
		note(r, SEV_ERROR, "", "not a tag=value list: %s at byte %zu",
		    err, at);
		return -1;
	}
	if (l.n == 0 || !(l.tag[0].name.n == 1 && l.tag[0].name.p[0] == 'v'))
		note(r, SEV_ERROR, "v", "the record must start with "
		    "v=DMARC1 (RFC 7489 6.4)");
	else if (!(l.tag[0].value.n == 6 &&
	    memcmp(l.tag[0].value.p, "DMARC1", 6) == 0))
		note(r, SEV_ERROR, "v", "v=%s: the version must be exactly "
		    "DMARC1", show(l.tag[0].value, tmp));
	else
		v_ok = true;

	for (i = 0; i < l.n; i++) {
		struct sv name = l.tag[i].name, val = l.tag[i].value;
		char tn[8];

		snprintf(tn, sizeof(tn), "%.*s", (int)(name.n < 7 ?
		    name.n : 7), name.p);
		if (name.n == 1 && name.p[0] == 'v') {
			if (i > 0)
				note(r, SEV_ERROR, "v", "v= must be the first "
				    "tag");
		} else if (name.n == 1 && name.p[0] == 'p') {
			r->p = policy_of(val);
			if (r->p == DMARC_P_INVALID)
				note(r, SEV_ERROR, "p", "p=%s: the policy must be "
				    "none, quarantine or reject", show(val, tmp));
			else
				p_ok = true;
			if (i != 1)
				note(r, SEV_WARNING, "p", "p= should follow v= "
				    "directly (RFC 7489 6.4)");
		} else if (name.n == 2 && memcmp(name.p, "sp", 2) == 0) {
			r->sp = policy_of(val);
			if (r->sp == DMARC_P_INVALID)
				note(r, SEV_ERROR, "sp", "sp=%s: the subdomain "
				    "policy must be none, quarantine or reject",
				    show(val, tmp));
		} else if (name.n == 2 && memcmp(name.p, "np", 2) == 0) {
			r->np = policy_of(val);
			if (r->np == DMARC_P_INVALID)
				note(r, SEV_ERROR, "np", "np=%s: the "
				    "non-existent subdomain policy (DMARCbis) "
				    "must be none, quarantine or reject",
				    show(val, tmp));
		} else if (name.n == 3 && memcmp(name.p, "pct", 3) == 0) {
			if (!all_digits(val, 3) || digits_value(val) > 100)
				note(r, SEV_ERROR, "pct", "pct=%s: a percentage "
				    "0-100 is required", show(val, tmp));
			else
				r->pct = (int)digits_value(val);
		} else if (name.n == 3 && memcmp(name.p, "rua", 3) == 0) {
			parse_uris(r, "rua", val, r->rua, &r->nrua);
		} else if (name.n == 3 && memcmp(name.p, "ruf", 3) == 0) {
			has_ruf = true;
			parse_uris(r, "ruf", val, r->ruf, &r->nruf);
		} else if (name.n == 5 && memcmp(name.p, "adkim", 5) == 0) {
			if (val.n != 1 || (val.p[0] != 'r' && val.p[0] != 's'))
				note(r, SEV_ERROR, "adkim", "adkim=%s: alignment "
				    "mode must be r (relaxed) or s (strict)",
				    show(val, tmp));
			else
				r->adkim = val.p[0];
		} else if (name.n == 4 && memcmp(name.p, "aspf", 4) == 0) {
			if (val.n != 1 || (val.p[0] != 'r' && val.p[0] != 's'))
				note(r, SEV_ERROR, "aspf", "aspf=%s: alignment "
				    "mode must be r (relaxed) or s (strict)",
				    show(val, tmp));
			else
				r->aspf = val.p[0];
		} else if (name.n == 2 && memcmp(name.p, "fo", 2) == 0) {
			has_fo = true;
			if (val.n == 0 || val.n >= sizeof(r->fo) || !fo_ok(val))
				note(r, SEV_ERROR, "fo", "fo=%s: failure "
				    "options are 0, 1, d and s separated by "
				    "colons", show(val, tmp));
			else
				snprintf(r->fo, sizeof(r->fo), "%.*s",
				    (int)val.n, val.p);
		} else if (name.n == 2 && memcmp(name.p, "rf", 2) == 0) {
			if (!(val.n == 4 && memcmp(val.p, "afrf", 4) == 0))
				note(r, SEV_ERROR, "rf", "rf=%s: the only "
				    "failure report format is afrf",
				    show(val, tmp));
		} else if (name.n == 2 && memcmp(name.p, "ri", 2) == 0) {
			if (!all_digits(val, 10) ||
			    digits_value(val) > 4294967295LL)
				note(r, SEV_ERROR, "ri", "ri=%s: the report "
				    "interval is a number of seconds",
				    show(val, tmp));
			else
				r->ri = (long)digits_value(val);
		} else if (name.n == 3 && memcmp(name.p, "psd", 3) == 0) {
			if (val.n != 1 || strchr("ynu", val.p[0]) == NULL)
				note(r, SEV_ERROR, "psd", "psd=%s: DMARCbis "
				    "allows y, n or u", show(val, tmp));
		} else if (name.n == 1 && name.p[0] == 't') {
			if (val.n != 1 || strchr("yn", val.p[0]) == NULL)
				note(r, SEV_ERROR, "t", "t=%s: DMARCbis allows "
				    "y or n", show(val, tmp));
		} else {
			note(r, SEV_INFO, tn, "unknown tag %s= is ignored",
			    show(name, tmp));
		}
	}
	if (r->p == DMARC_P_UNSET) {
		if (r->nrua > 0)
			note(r, SEV_ERROR, "p", "p= is missing; with a valid "
			    "rua= receivers apply p=none (RFC 7489 6.6.3)");
		else
			note(r, SEV_ERROR, "p", "p= is missing: receivers "
			    "ignore the record (RFC 7489 6.3)");
	} else if (r->p == DMARC_P_INVALID && r->nrua > 0) {
		note(r, SEV_INFO, "p", "with a valid rua= receivers apply "
		    "p=none (RFC 7489 6.6.3)");
	}
	if (has_fo && !has_ruf)
		note(r, SEV_INFO, "fo", "fo= has no effect without ruf=");
	if (!p_ok && r->nrua > 0)
		p_ok = true;
	r->valid = v_ok && p_ok;
	return r->valid ? 0 : -1;
}

int
dmarc_org_domain(const char *domain, char out[256])
{
	static const psl_ctx_t *psl;
	const char *reg;
	char low[256];
	size_t i, n = strlen(domain);

	if (n == 0 || n >= sizeof(low))
		return -1;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)domain[i]);
	if (low[n - 1] == '.')
		n--;
	low[n] = '\0';
	if (psl == NULL)
		psl = psl_latest(NULL);
	if (psl == NULL)
		psl = psl_builtin();
	if (psl == NULL)
		return -1;
	reg = psl_registrable_domain(psl, low);
	if (reg == NULL)
		return -1;
	snprintf(out, 256, "%s", reg);
	return 0;
}
