/*
 * catalogue.c - the blocklist catalogue parser (catalogue.h).
 *
 * CSV as RFC 4180 writes it, one record a line: fields may be quoted with
 * '"' and a quote inside doubled; a quoted field does not span lines (no
 * catalogue needs it, and it keeps every error on one line number).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bl/catalogue.h"
#include "core/file.h"
#include "core/mem.h"
#include "core/sv.h"

extern const char embedded_dnsbl_zones_csv[];
extern const size_t embedded_dnsbl_zones_csv_len;

#define MAX_FIELDS 32

enum col {
	C_ZONE, C_KIND, C_ROLE, C_ENABLED, C_STATUS, C_IMPACT, C_CODES,
	C_REFUSED, C_TEST, C_ACCESS, C_DELIST, C_NOTES, C_NUM
};

static const char *const col_name[C_NUM] = {
	"zone", "kind", "role", "enabled", "status", "impact", "codes",
	"refused", "test", "access", "delist", "notes",
};

/* Splits one line into fields, unquoting into storage (which holds at
 * least line.n bytes). Returns the number of fields, or -1 with err. */
static int
split_csv(struct sv line, char *storage, struct sv *f, int max, char *err,
    size_t errlen)
{
	size_t i = 0, o = 0;
	int n = 0;

	for (;;) {
		size_t start = o;

		if (n == max) {
			snprintf(err, errlen, "more than %d fields", max);
			return -1;
		}
		if (i < line.n && line.p[i] == '"') {
			i++;
			for (;;) {
				if (i >= line.n) {
					snprintf(err, errlen,
					    "a quoted field is not closed");
					return -1;
				}
				if (line.p[i] == '"') {
					if (i + 1 < line.n && line.p[i + 1] == '"') {
						storage[o++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				storage[o++] = line.p[i++];
			}
			if (i < line.n && line.p[i] != ',') {
				snprintf(err, errlen, "text after a closing quote");
				return -1;
			}
		} else {
			while (i < line.n && line.p[i] != ',') {
				if (line.p[i] == '"') {
					snprintf(err, errlen, "a quote inside an "
					    "unquoted field");
					return -1;
				}
				storage[o++] = line.p[i++];
			}
		}
		f[n++] = sv_trim(sv_make(storage + start, o - start));
		if (i >= line.n)
			return n;
		i++;	/* the comma */
	}
}

static bool
printable(struct sv v)
{
	size_t i;

	for (i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] < 0x20 || v.p[i] == 0x7f)
			return false;
	return true;
}

/* A zone or test name: dot-separated labels of letters, digits, '-' and
 * '_' (DNSBL zones such as _vouch.dwl use it), each 1 to 63 long. */
static bool
valid_name(struct sv v, size_t max)
{
	size_t i, label = 0;

	if (v.n > 0 && v.p[v.n - 1] == '.')
		v.n--;
	if (v.n == 0 || v.n > max)
		return false;
	for (i = 0; i < v.n; i++) {
		char c = v.p[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0;
}

static char *
lower_dup(struct sv v)
{
	char *s;
	size_t i;

	if (v.n > 0 && v.p[v.n - 1] == '.')
		v.n--;
	s = xstrndup(v.p, v.n);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	return s;
}

/* Reads a decimal byte; advances *v. */
static int
read_byte(struct sv *v, uint8_t *out)
{
	unsigned val = 0;
	size_t i = 0;

	while (i < v->n && v->p[i] >= '0' && v->p[i] <= '9' && i < 3)
		val = val * 10 + (unsigned)(v->p[i++] - '0');
	if (i == 0 || val > 255 || (i < v->n && v->p[i] >= '0' &&
	    v->p[i] <= '9'))
		return -1;
	v->p += i;
	v->n -= i;
	*out = (uint8_t)val;
	return 0;
}

static int
parse_code(struct sv item, struct bl_code *c, char *err, size_t errlen)
{
	struct sv addr = sv_trim(sv_cut(&item, '=')), meaning = sv_trim(item);
	struct sv orig = addr;
	int k;

	memset(c, 0, sizeof(*c));
	for (k = 0; k < 3; k++) {
		if (read_byte(&addr, &c->net[k]) < 0 || addr.n == 0 ||
		    addr.p[0] != '.')
			goto bad;
		addr.p++;
		addr.n--;
	}
	if (addr.n > 0 && addr.p[0] == '&') {
		addr.p++;
		addr.n--;
		if (read_byte(&addr, &c->bit) < 0 || c->bit == 0)
			goto bad;
		c->lo = 0;
		c->hi = 255;
	} else {
		if (read_byte(&addr, &c->lo) < 0)
			goto bad;
		c->hi = c->lo;
		if (addr.n > 0 && addr.p[0] == '-') {
			addr.p++;
			addr.n--;
			if (read_byte(&addr, &c->hi) < 0 || c->hi < c->lo)
				goto bad;
		}
	}
	if (addr.n != 0)
		goto bad;
	if (meaning.n > BL_MEANING_MAX) {
		snprintf(err, errlen, "the meaning of %.*s is longer than %d",
		    (int)orig.n, orig.p, BL_MEANING_MAX);
		return -1;
	}
	if (!printable(meaning)) {
		snprintf(err, errlen, "a control character in a meaning");
		return -1;
	}
	c->meaning = meaning.n ? xstrndup(meaning.p, meaning.n) :
	    xstrdup("listed");
	return 0;
bad:
	snprintf(err, errlen, "'%.*s' is not an answer code (127.0.0.2, "
	    "127.0.0.4-7 or 127.0.0.&8)", (int)(orig.n > 40 ? 40 : orig.n),
	    orig.p);
	return -1;
}

int
bl_codes_parse(const char *text, size_t len, struct bl_code **out, int *n,
    char *err, size_t errlen)
{
	struct sv v = sv_make(text, len);
	struct bl_code *c = NULL;
	int nc = 0;

	*out = NULL;
	*n = 0;
	while (v.n > 0) {
		struct sv item = sv_trim(sv_cut(&v, ';'));

		if (item.n == 0)
			continue;
		if (nc == BL_CODES_MAX) {
			snprintf(err, errlen, "more than %d answer codes",
			    BL_CODES_MAX);
			bl_codes_free(c, nc);
			return -1;
		}
		if (nc == 0)
			c = xcalloc(BL_CODES_MAX, sizeof(*c));
		if (parse_code(item, &c[nc], err, errlen) < 0) {
			bl_codes_free(c, nc);
			return -1;
		}
		nc++;
	}
	*out = c;
	*n = nc;
	return 0;
}

void
bl_codes_free(struct bl_code *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(c[i].meaning);
	free(c);
}

bool
bl_code_match(const struct bl_code *c, uint32_t a)
{
	uint8_t last = (uint8_t)(a & 0xff);

	if ((uint8_t)(a >> 24) != c->net[0] || (uint8_t)(a >> 16) != c->net[1] ||
	    (uint8_t)(a >> 8) != c->net[2])
		return false;
	if (c->bit != 0)
		return (last & c->bit) == c->bit;
	return last >= c->lo && last <= c->hi;
}

static void
zone_release(struct bl_zone *z)
{
	free(z->name);
	free(z->status);
	bl_codes_free(z->codes, z->ncodes);
	bl_codes_free(z->refused, z->nrefused);
	free(z->test);
	free(z->delist);
	free(z->notes);
}

struct bl_catalogue *
bl_catalogue_free(struct bl_catalogue *c)
{
	int i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->nzones; i++)
		zone_release(&c->zones[i]);
	free(c->zones);
	free(c);
	return NULL;
}

static int
parse_kinds(struct sv v, unsigned *out)
{
	*out = 0;
	while (v.n > 0) {
		struct sv k = sv_trim(sv_cut(&v, '+'));

		if (sv_eq_ci(k, "ipv4"))
			*out |= BL_KIND_IPV4;
		else if (sv_eq_ci(k, "ipv6"))
			*out |= BL_KIND_IPV6;
		else if (sv_eq_ci(k, "domain"))
			*out |= BL_KIND_DOMAIN;
		else
			return -1;
	}
	return *out != 0 ? 0 : -1;
}

static int
parse_access(struct sv v, unsigned *out)
{
	*out = 0;
	while (v.n > 0) {
		struct sv k = sv_trim(sv_cut(&v, '+'));

		if (sv_eq_ci(k, "open") || k.n == 0)
			continue;
		else if (sv_eq_ci(k, "no-public-resolver"))
			*out |= BL_ACCESS_NO_PUBLIC;
		else if (sv_eq_ci(k, "register"))
			*out |= BL_ACCESS_REGISTER;
		else if (sv_eq_ci(k, "key"))
			*out |= BL_ACCESS_KEY;
		else
			return -1;
	}
	return 0;
}

static bool
is_ipv4_text(struct sv v)
{
	uint8_t b;
	int k;

	for (k = 0; k < 4; k++) {
		if (read_byte(&v, &b) < 0)
			return false;
		if (k < 3) {
			if (v.n == 0 || v.p[0] != '.')
				return false;
			v.p++;
			v.n--;
		}
	}
	return v.n == 0;
}

/* Fills z from the fields of one record. Returns 0 or -1 with err. */
static int
parse_zone(const struct sv *f, int nf, const int *col, struct bl_zone *z,
    char *err, size_t errlen)
{
	struct sv v[C_NUM];
	int c;

	for (c = 0; c < C_NUM; c++)
		v[c] = col[c] >= 0 && col[c] < nf ? f[col[c]] : sv_make("", 0);
	for (c = 0; c < C_NUM; c++)
		if (!printable(v[c])) {
			snprintf(err, errlen, "a control character in %s",
			    col_name[c]);
			return -1;
		}
	if (!valid_name(v[C_ZONE], BL_ZONE_NAME_MAX)) {
		snprintf(err, errlen, "'%.*s' is not a zone name (labels of "
		    "letters, digits, '-' and '_', at most %d characters)",
		    (int)(v[C_ZONE].n > 60 ? 60 : v[C_ZONE].n), v[C_ZONE].p,
		    BL_ZONE_NAME_MAX);
		return -1;
	}
	z->name = lower_dup(v[C_ZONE]);
	if (parse_kinds(v[C_KIND], &z->kinds) < 0) {
		snprintf(err, errlen, "kind '%.*s' is not ipv4, ipv6 or domain "
		    "(joined with +)", (int)(v[C_KIND].n > 40 ? 40 :
		    v[C_KIND].n), v[C_KIND].p);
		return -1;
	}
	if (v[C_ROLE].n == 0 || sv_eq_ci(v[C_ROLE], "block"))
		z->role = BL_ROLE_BLOCK;
	else if (sv_eq_ci(v[C_ROLE], "allow"))
		z->role = BL_ROLE_ALLOW;
	else if (sv_eq_ci(v[C_ROLE], "info"))
		z->role = BL_ROLE_INFO;
	else {
		snprintf(err, errlen, "role is not block, allow or info");
		return -1;
	}
	if (v[C_ENABLED].n == 0 || sv_eq_ci(v[C_ENABLED], "yes") ||
	    sv_eq_ci(v[C_ENABLED], "true") || sv_eq_ci(v[C_ENABLED], "1"))
		z->enabled = true;
	else if (sv_eq_ci(v[C_ENABLED], "no") || sv_eq_ci(v[C_ENABLED], "false")
	    || sv_eq_ci(v[C_ENABLED], "0"))
		z->enabled = false;
	else {
		snprintf(err, errlen, "enabled is not yes or no");
		return -1;
	}
	if (v[C_STATUS].n > 32) {
		snprintf(err, errlen, "status longer than 32 characters");
		return -1;
	}
	z->status = v[C_STATUS].n ? lower_dup(v[C_STATUS]) : xstrdup("active");
	if (v[C_IMPACT].n == 0 || sv_eq_ci(v[C_IMPACT], "low"))
		z->impact = BL_IMPACT_LOW;
	else if (sv_eq_ci(v[C_IMPACT], "medium"))
		z->impact = BL_IMPACT_MEDIUM;
	else if (sv_eq_ci(v[C_IMPACT], "high"))
		z->impact = BL_IMPACT_HIGH;
	else {
		snprintf(err, errlen, "impact is not high, medium or low");
		return -1;
	}
	if (bl_codes_parse(v[C_CODES].p, v[C_CODES].n, &z->codes, &z->ncodes,
	    err, errlen) < 0 ||
	    bl_codes_parse(v[C_REFUSED].p, v[C_REFUSED].n, &z->refused,
	    &z->nrefused, err, errlen) < 0)
		return -1;
	if (sv_eq_ci(v[C_TEST], "-"))
		z->test = xstrdup("");
	else if (v[C_TEST].n > 0) {
		if (!is_ipv4_text(v[C_TEST]) && !valid_name(v[C_TEST], 63)) {
			snprintf(err, errlen, "test is not an IPv4 address, a "
			    "name of at most 63 characters, or -");
			return -1;
		}
		z->test = lower_dup(v[C_TEST]);
	}
	if (parse_access(v[C_ACCESS], &z->access) < 0) {
		snprintf(err, errlen, "access is not open, no-public-resolver, "
		    "register or key (joined with +)");
		return -1;
	}
	if (v[C_DELIST].n > 0) {
		if (v[C_DELIST].n > 300 || (!sv_starts_ci(v[C_DELIST],
		    "https://") && !sv_starts_ci(v[C_DELIST], "http://"))) {
			snprintf(err, errlen, "delist is not an http(s) URL of "
			    "at most 300 characters");
			return -1;
		}
		z->delist = xstrndup(v[C_DELIST].p, v[C_DELIST].n);
	}
	if (v[C_NOTES].n > 0)
		z->notes = xstrndup(v[C_NOTES].p, v[C_NOTES].n > 1000 ? 1000 :
		    v[C_NOTES].n);
	return 0;
}

static int
parse_header(const struct sv *f, int nf, int *col, char *err, size_t errlen)
{
	int i, c;

	for (c = 0; c < C_NUM; c++)
		col[c] = -1;
	for (i = 0; i < nf; i++)
		for (c = 0; c < C_NUM; c++)
			if (sv_eq_ci(f[i], col_name[c])) {
				if (col[c] >= 0) {
					snprintf(err, errlen, "column %s named "
					    "twice", col_name[c]);
					return -1;
				}
				col[c] = i;
			}
	if (col[C_ZONE] < 0 || col[C_KIND] < 0) {
		snprintf(err, errlen, "the header must name the columns zone "
		    "and kind");
		return -1;
	}
	return 0;
}

struct bl_catalogue *
bl_catalogue_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct bl_catalogue *cat = xcalloc(1, sizeof(*cat));
	struct sv rest = sv_make(text, len), f[MAX_FIELDS];
	char *storage = xmalloc(BL_LINE_MAX + 1), why[256];
	int col[C_NUM], lineno = 0, nf, cap = 0, i;
	bool header = false;

	while (rest.n > 0) {
		struct sv line = sv_cut(&rest, '\n');
		struct sv t;

		lineno++;
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		t = sv_trim(line);
		if (t.n == 0 || t.p[0] == '#')
			continue;
		if (line.n > BL_LINE_MAX) {
			snprintf(why, sizeof(why), "longer than %d bytes",
			    BL_LINE_MAX);
			goto bad;
		}
		if (memchr(line.p, '\0', line.n) != NULL) {
			snprintf(why, sizeof(why), "a NUL byte");
			goto bad;
		}
		nf = split_csv(line, storage, f, MAX_FIELDS, why, sizeof(why));
		if (nf < 0)
			goto bad;
		if (!header) {
			if (parse_header(f, nf, col, why, sizeof(why)) < 0)
				goto bad;
			header = true;
			continue;
		}
		if (cat->nzones == BL_ZONES_MAX) {
			snprintf(why, sizeof(why), "more than %d zones",
			    BL_ZONES_MAX);
			goto bad;
		}
		if (cat->nzones == cap) {
			cap = cap ? cap * 2 : 256;
			cat->zones = xrealloc(cat->zones, (size_t)cap *
			    sizeof(*cat->zones));
		}
		memset(&cat->zones[cat->nzones], 0, sizeof(cat->zones[0]));
		cat->zones[cat->nzones].line = lineno;
		if (parse_zone(f, nf, col, &cat->zones[cat->nzones], why,
		    sizeof(why)) < 0) {
			zone_release(&cat->zones[cat->nzones]);
			goto bad;
		}
		/* Catalogues are a few hundred lines: a linear scan for
		 * duplicates is O(n^2) on purpose, bounded by BL_ZONES_MAX. */
		for (i = 0; i < cat->nzones; i++)
			if (strcmp(cat->zones[i].name,
			    cat->zones[cat->nzones].name) == 0) {
				snprintf(why, sizeof(why), "zone %s is already "
				    "on line %d", cat->zones[i].name,
				    cat->zones[i].line);
				zone_release(&cat->zones[cat->nzones]);
				goto bad;
			}
		if (cat->zones[cat->nzones].enabled)
			cat->nenabled++;
		cat->nzones++;
	}
	free(storage);
	if (!header) {
		snprintf(err, errlen, "no header line (zone,kind,...)");
		return bl_catalogue_free(cat);
	}
	if (cat->nzones == 0) {
		snprintf(err, errlen, "no zones after the header");
		return bl_catalogue_free(cat);
	}
	return cat;
bad:
	snprintf(err, errlen, "line %d: %s", lineno, why);
	free(storage);
	return bl_catalogue_free(cat);
}

struct bl_catalogue *
bl_catalogue_builtin(char *err, size_t errlen)
{
	return bl_catalogue_parse(embedded_dnsbl_zones_csv,
	    embedded_dnsbl_zones_csv_len, err, errlen);
}

const struct bl_zone *
bl_catalogue_find(const struct bl_catalogue *c, const char *name)
{
	size_t n = strlen(name);
	int i;

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (i = 0; i < c->nzones; i++)
		if (strlen(c->zones[i].name) == n &&
		    strncasecmp(c->zones[i].name, name, n) == 0)
			return &c->zones[i];
	return NULL;
}

const char *
bl_role_name(enum bl_role r)
{
	return r == BL_ROLE_ALLOW ? "allow" : r == BL_ROLE_INFO ? "info" :
	    "block";
}

const char *
bl_impact_name(enum bl_impact i)
{
	return i == BL_IMPACT_HIGH ? "high" : i == BL_IMPACT_MEDIUM ?
	    "medium" : "low";
}

const char *
bl_kinds_format(unsigned kinds, char out[32])
{
	out[0] = '\0';
	if (kinds & BL_KIND_IPV4)
		snprintf(out, 32, "ipv4");
	if (kinds & BL_KIND_IPV6)
		snprintf(out + strlen(out), 32 - strlen(out), "%sipv6",
		    out[0] ? "+" : "");
	if (kinds & BL_KIND_DOMAIN)
		snprintf(out + strlen(out), 32 - strlen(out), "%sdomain",
		    out[0] ? "+" : "");
	return out;
}

struct bl_catalogue *
bl_catalogue_load(const char *path, char *err, size_t errlen)
{
	struct bl_catalogue *c;
	size_t len = 0;
	char *text;

	if (path == NULL)
		return bl_catalogue_builtin(err, errlen);
	text = file_read(path, BL_CATALOGUE_FILE_MAX, &len, err, errlen);
	if (text == NULL)
		return NULL;
	c = bl_catalogue_parse(text, len, err, errlen);
	free(text);
	return c;
}

/* Marks the zones named in list (comma-separated) in mark[]. */
static int
mark_zones(const struct bl_catalogue *c, const char *list, bool *mark,
    const char *label, char *err, size_t errlen)
{
	char *copy = xstrdup(list), *p = copy, *name;
	int rc = 0;

	while ((name = strsep(&p, ",")) != NULL) {
		const struct bl_zone *z;

		while (*name == ' ')
			name++;
		if (*name == '\0')
			continue;
		if ((z = bl_catalogue_find(c, name)) == NULL) {
			snprintf(err, errlen, "%s: zone '%s' is not in the "
			    "catalogue", label, name);
			rc = -1;
			break;
		}
		mark[z - c->zones] = true;
	}
	free(copy);
	return rc;
}

int
bl_catalogue_select(const struct bl_catalogue *c, const char *only,
    const char *skip, const char *only_label, const char *skip_label,
    const struct bl_zone ***out, char *err, size_t errlen)
{
	bool *on = xcalloc((size_t)c->nzones + 1, sizeof(bool));
	bool *off = xcalloc((size_t)c->nzones + 1, sizeof(bool));
	const struct bl_zone **z = NULL;
	int i, n = -1;

	if ((only != NULL && mark_zones(c, only, on, only_label, err,
	    errlen) < 0) || (skip != NULL && mark_zones(c, skip, off,
	    skip_label, err, errlen) < 0))
		goto out;
	z = xcalloc((size_t)c->nzones + 1, sizeof(*z));
	n = 0;
	for (i = 0; i < c->nzones; i++)
		if ((only != NULL ? on[i] : c->zones[i].enabled) && !off[i])
			z[n++] = &c->zones[i];
	if (n == 0) {
		snprintf(err, errlen, "no zone left to check");
		free(z);
		z = NULL;
		n = -1;
	}
out:
	free(on);
	free(off);
	*out = z;
	return n;
}
