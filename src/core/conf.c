/*
 * conf.c - the `key = value` / `[section]` configuration parser (conf.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/conf.h"
#include "core/mem.h"
#include "core/sv.h"

static bool
name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '-' ||
	    ch == '.';
}

static char *
lower_dup(struct sv v)
{
	char *s = xstrndup(v.p, v.n);
	size_t i;

	for (i = 0; i < v.n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	return s;
}

static void
add_section(struct conf *c, struct sv name, const char *arg, int line)
{
	struct conf_section *s;

	c->sections = xrealloc(c->sections, (size_t)(c->nsections + 1) *
	    sizeof(*c->sections));
	s = &c->sections[c->nsections++];
	s->name = lower_dup(name);
	s->arg = arg != NULL ? xstrdup(arg) : NULL;
	s->line = line;
}

/* "[name]" or "[name arg]"; v is the trimmed line. */
static int
parse_section(struct conf *c, struct sv v, int line, char *err, size_t errlen)
{
	struct sv in, name, arg;
	size_t i;
	char *a = NULL;

	if (v.n < 2 || v.p[v.n - 1] != ']') {
		snprintf(err, errlen, "line %d: a section header ends with ']'",
		    line);
		return -1;
	}
	in = sv_trim(sv_make(v.p + 1, v.n - 2));
	for (i = 0; i < in.n && name_char(in.p[i]); i++)
		;
	name = sv_make(in.p, i);
	arg = sv_trim(sv_make(in.p + i, in.n - i));
	if (name.n == 0 || name.n > CONF_NAME_MAX) {
		snprintf(err, errlen, "line %d: a section name is 1 to %d "
		    "letters, digits, '_', '-' or '.'", line, CONF_NAME_MAX);
		return -1;
	}
	if (i < in.n && in.p[i] != ' ' && in.p[i] != '\t') {
		snprintf(err, errlen, "line %d: unexpected '%c' in the section "
		    "name", line, in.p[i]);
		return -1;
	}
	if (arg.n >= 2 && arg.p[0] == '"' && arg.p[arg.n - 1] == '"')
		arg = sv_make(arg.p + 1, arg.n - 2);
	if (memchr(arg.p, ']', arg.n) != NULL || memchr(arg.p, '[', arg.n) !=
	    NULL || memchr(arg.p, '"', arg.n) != NULL) {
		snprintf(err, errlen, "line %d: brackets and quotes are not "
		    "allowed in a section's argument", line);
		return -1;
	}
	if (c->nsections >= CONF_SECTIONS_MAX) {
		snprintf(err, errlen, "line %d: more than %d sections", line,
		    CONF_SECTIONS_MAX);
		return -1;
	}
	if (i < in.n && arg.n == 0) {
		snprintf(err, errlen, "line %d: an empty section argument",
		    line);
		return -1;
	}
	if (arg.n > 0)
		a = xstrndup(arg.p, arg.n);
	add_section(c, name, a, line);
	free(a);
	return 0;
}

/* A value in double quotes: \" and \\ are the only escapes. */
static int
unquote(struct sv v, struct buf *out, int line, char *err, size_t errlen)
{
	size_t i;

	for (i = 1; i < v.n; i++) {
		char ch = v.p[i];

		if (ch == '\\' && i + 1 < v.n && (v.p[i + 1] == '"' ||
		    v.p[i + 1] == '\\')) {
			buf_putc(out, v.p[++i]);
			continue;
		}
		if (ch == '"') {
			if (sv_trim(sv_make(v.p + i + 1, v.n - i - 1)).n != 0) {
				snprintf(err, errlen, "line %d: text after the "
				    "closing quote", line);
				return -1;
			}
			return 0;
		}
		buf_putc(out, ch);
	}
	snprintf(err, errlen, "line %d: unterminated quoted value", line);
	return -1;
}

static int
parse_entry(struct conf *c, struct sv v, int line, char *err, size_t errlen)
{
	struct conf_entry *e;
	struct sv key, val;
	struct buf b;
	size_t i;

	for (i = 0; i < v.n && name_char(v.p[i]); i++)
		;
	key = sv_make(v.p, i);
	if (key.n == 0) {
		snprintf(err, errlen, "line %d: a key (letters, digits, '_', "
		    "'-', '.') expected, not '%c'", line, v.p[0]);
		return -1;
	}
	if (key.n > CONF_NAME_MAX) {
		snprintf(err, errlen, "line %d: a key longer than %d bytes",
		    line, CONF_NAME_MAX);
		return -1;
	}
	while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
		i++;
	if (i >= v.n || v.p[i] != '=') {
		snprintf(err, errlen, "line %d: '=' expected after the key "
		    "'%.*s'", line, (int)key.n, key.p);
		return -1;
	}
	val = sv_trim(sv_make(v.p + i + 1, v.n - i - 1));
	if (c->nentries >= CONF_ENTRIES_MAX) {
		snprintf(err, errlen, "line %d: more than %d keys", line,
		    CONF_ENTRIES_MAX);
		return -1;
	}
	buf_init(&b, CONF_LINE_MAX);
	if (val.n > 0 && val.p[0] == '"') {
		if (unquote(val, &b, line, err, errlen) < 0) {
			buf_release(&b);
			return -1;
		}
	} else
		buf_append(&b, val.p, val.n);
	c->entries = xrealloc(c->entries, (size_t)(c->nentries + 1) *
	    sizeof(*c->entries));
	e = &c->entries[c->nentries++];
	e->section = c->nsections - 1;
	e->key = lower_dup(key);
	e->value = b.len ? buf_steal(&b) : xstrdup("");
	e->line = line;
	buf_release(&b);
	return 0;
}

struct conf *
conf_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	size_t pos = 0;
	int line = 0;

	add_section(c, sv_make("", 0), NULL, 0);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		struct sv v = sv_make(text + pos, n);
		size_t i;

		pos += n + (nl != NULL);
		if (++line > 1000000) {
			snprintf(err, errlen, "more than 1000000 lines");
			return conf_free(c);
		}
		if (v.n > 0 && v.p[v.n - 1] == '\r')
			v.n--;
		if (v.n > CONF_LINE_MAX) {
			snprintf(err, errlen, "line %d: longer than %d bytes",
			    line, CONF_LINE_MAX);
			return conf_free(c);
		}
		for (i = 0; i < v.n; i++)
			if (((unsigned char)v.p[i] < 0x20 && v.p[i] != '\t') ||
			    v.p[i] == 0x7f) {
				snprintf(err, errlen, "line %d: control byte "
				    "0x%02x", line, (unsigned char)v.p[i]);
				return conf_free(c);
			}
		v = sv_trim(v);
		if (v.n == 0 || v.p[0] == '#' || v.p[0] == ';')
			continue;
		if (v.p[0] == '[') {
			if (parse_section(c, v, line, err, errlen) < 0)
				return conf_free(c);
		} else if (parse_entry(c, v, line, err, errlen) < 0)
			return conf_free(c);
	}
	return c;
}

struct conf *
conf_free(struct conf *c)
{
	int i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->nsections; i++) {
		free(c->sections[i].name);
		free(c->sections[i].arg);
	}
	for (i = 0; i < c->nentries; i++) {
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	free(c->sections);
	free(c->entries);
	free(c);
	return NULL;
}

const struct conf_entry *
conf_find(const struct conf *c, int sec, const char *key)
{
	int i;

	for (i = c->nentries - 1; i >= 0; i--)
		if (c->entries[i].section == sec &&
		    strcasecmp(c->entries[i].key, key) == 0)
			return &c->entries[i];
	return NULL;
}

const char *
conf_get(const struct conf *c, int sec, const char *key)
{
	const struct conf_entry *e = conf_find(c, sec, key);

	return e != NULL ? e->value : NULL;
}

int
conf_section(const struct conf *c, const char *name)
{
	int i;

	for (i = 0; i < c->nsections; i++)
		if (strcasecmp(c->sections[i].name, name) == 0)
			return i;
	return -1;
}

int
conf_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int
conf_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	if (*v == '\0' || isspace((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int
conf_seconds(const char *v, long min_ms, long max_ms, long *out_ms)
{
	char *end;
	double d;

	if (*v == '\0' || isspace((unsigned char)*v) || *v == '-' ||
	    *v == '+')
		return -1;
	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || *end != '\0' || !(d >= 0) || d > 1e9)
		return -1;
	d = d * 1000.0 + 0.5;
	if (d < (double)min_ms || d > (double)max_ms)
		return -1;
	*out_ms = (long)d;
	return 0;
}
