/*
 * cause.c - the cause table, parsed once from data/causes.txt.
 *
 * The text is compiled into the binary, so a table that does not parse is a
 * bug in mxdoc, not something the world did: the parser aborts with the line
 * number and what is wrong, and test_cause makes sure that never ships. The
 * parsed strings point into one private copy of the text, which lives until
 * exit; callers get pointers that stay valid for the life of the process.
 */
#include "classify/cause.h"
#include "core/embedded.h"
#include "core/mem.h"
#include "core/sv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cause	*causes;
static size_t		 ncauses;

static const char *const category_names[] = {
	[CAT_OK] = "ok",
	[CAT_SERVER] = "server",
	[CAT_DNS] = "dns",
	[CAT_TLS] = "tls",
	[CAT_NETWORK] = "network",
	[CAT_SENDER] = "sender",
	[CAT_REPUTATION] = "reputation",
	[CAT_RECIPIENT] = "recipient",
	[CAT_LOCAL] = "local",
};

static const char *const severity_names[] = {
	[SEV_OK] = "ok",
	[SEV_INFO] = "info",
	[SEV_WARNING] = "warning",
	[SEV_ERROR] = "error",
};

#define NCATEGORIES (sizeof(category_names) / sizeof(category_names[0]))

static void __attribute__((noreturn))
table_bug(unsigned line, const char *what, struct sv v)
{
	fprintf(stderr, "mxdoc: data/causes.txt:%u: %s: %.*s\n", line, what,
	    (int)v.n, v.p);
	abort();
}

/* Terminates the view in place: the storage is our private copy. */
static const char *
sv_zstr(struct sv v)
{
	((char *)v.p)[v.n] = '\0';
	return v.p;
}

/* Every field is required, so a cause missing one is caught at the section's
 * end rather than shown to a user as an empty line. */
static void
check_cause(const struct cause *c, unsigned line, int have_cat, int have_retry)
{
	struct sv id = sv_cstr(c->id);

	if (!have_cat)
		table_bug(line, "cause without category", id);
	if (!have_retry)
		table_bug(line, "cause without retry", id);
	if (c->title == NULL || c->explanation == NULL)
		table_bug(line, "cause without title or explain", id);
	if (c->nremedy == 0)
		table_bug(line, "cause without remedy", id);
}

static enum cause_category
parse_category(struct sv v, unsigned line)
{
	size_t i;

	for (i = 0; i < NCATEGORIES; i++)
		if (sv_eq_ci(v, category_names[i]))
			return (enum cause_category)i;
	table_bug(line, "unknown category", v);
}

static void
parse_table(void)
{
	char *copy = xmalloc(embedded_causes_txt_len + 1);
	struct sv rest, line, key, val;
	struct cause *c = NULL;
	size_t cap = 0, i;
	unsigned lineno = 0, sect_line = 0;
	int have_cat = 0, have_retry = 0;

	memcpy(copy, embedded_causes_txt, embedded_causes_txt_len);
	copy[embedded_causes_txt_len] = '\0';
	rest = sv_make(copy, embedded_causes_txt_len);
	while (rest.n > 0) {
		line = sv_cut(&rest, '\n');
		lineno++;
		line = sv_trim(line);
		if (line.n == 0 || line.p[0] == '#')
			continue;
		if (line.p[0] == '[') {
			if (line.p[line.n - 1] != ']' || line.n < 3)
				table_bug(lineno, "bad section", line);
			if (c != NULL)
				check_cause(c, sect_line, have_cat, have_retry);
			line = sv_trim(sv_make(line.p + 1, line.n - 2));
			for (i = 0; i < ncauses; i++)
				if (sv_eq_ci(line, causes[i].id))
					table_bug(lineno, "duplicate id", line);
			if (ncauses == cap) {
				cap = cap ? cap * 2 : 48;
				causes = xrealloc(causes, cap * sizeof(*causes));
			}
			c = &causes[ncauses++];
			memset(c, 0, sizeof(*c));
			c->id = sv_zstr(line);
			sect_line = lineno;
			have_cat = have_retry = 0;
			continue;
		}
		if (c == NULL)
			table_bug(lineno, "key outside a section", line);
		if (memchr(line.p, '=', line.n) == NULL)
			table_bug(lineno, "line is not key = value", line);
		val = line;
		key = sv_trim(sv_cut(&val, '='));
		val = sv_trim(val);
		if (val.n == 0)
			table_bug(lineno, "empty value", key);
		if (sv_eq_ci(key, "category")) {
			c->category = parse_category(val, lineno);
			have_cat = 1;
		} else if (sv_eq_ci(key, "retry")) {
			if (sv_eq_ci(val, "yes"))
				c->retry = true;
			else if (sv_eq_ci(val, "no"))
				c->retry = false;
			else
				table_bug(lineno, "retry must be yes or no", val);
			have_retry = 1;
		} else if (sv_eq_ci(key, "title")) {
			if (c->title != NULL)
				table_bug(lineno, "second title", val);
			c->title = sv_zstr(val);
		} else if (sv_eq_ci(key, "explain")) {
			if (c->explanation != NULL)
				table_bug(lineno, "second explain", val);
			c->explanation = sv_zstr(val);
		} else if (sv_eq_ci(key, "remedy")) {
			if (c->nremedy == CAUSE_MAX_REMEDIES)
				table_bug(lineno, "too many remedies", val);
			c->remedy[c->nremedy++] = sv_zstr(val);
		} else
			table_bug(lineno, "unknown key", key);
	}
	if (c == NULL)
		table_bug(lineno, "no causes", sv_cstr(""));
	check_cause(c, sect_line, have_cat, have_retry);
}

static void
load(void)
{
	if (causes == NULL)
		parse_table();
}

const struct cause *
cause_get(const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	load();
	for (i = 0; i < ncauses; i++)
		if (strcmp(causes[i].id, id) == 0)
			return &causes[i];
	return NULL;
}

const struct cause *
cause_must(const char *id)
{
	const struct cause *c = cause_get(id);

	if (c == NULL) {
		fprintf(stderr, "mxdoc: unknown cause id \"%s\"\n",
		    id != NULL ? id : "(null)");
		abort();
	}
	return c;
}

const struct cause *
cause_all(size_t *n)
{
	load();
	*n = ncauses;
	return causes;
}

const char *
cause_category_name(enum cause_category c)
{
	if ((size_t)c >= NCATEGORIES)
		return "unknown";
	return category_names[c];
}

const char *
severity_name(enum severity s)
{
	if ((size_t)s >= sizeof(severity_names) / sizeof(severity_names[0]))
		return "unknown";
	return severity_names[s];
}
