/*
 * test_conf.c - the `key = value` / `[section]` configuration parser.
 */
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/mem.h"
#include "harness.h"

static struct conf *
parse(const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return conf_parse(text, strlen(text), err, errlen);
}

static void
test_good(void)
{
	static const char text[] =
	    "\xef\xbb\xbf# a comment\n"
	    "top = level\n"
	    "\n"
	    "   ; another comment\n"
	    "[Monitor]\n"
	    "Interval = 300\r\n"
	    "db=/var/lib/mxdoc/monitor.db\n"
	    "webhook = http://127.0.0.1:8080/hook#frag\n"
	    "empty =\n"
	    "quoted = \"  keep \\\"blanks\\\" \\\\ \"\n"
	    "resolver = 127.0.0.1@53\n"
	    "resolver = 127.0.0.2@53\n"
	    "\t[ target   192.0.2.1 ]\n"
	    "checks = blocklist\n"
	    "[target \"mail.example.com\"]\n"
	    "[alert]\n"
	    "alert_command = cat > /tmp/x # not a comment";
	char err[256];
	struct conf *c = parse(text, err, sizeof(err));
	int m;

	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_INT(c->nsections, 5);
	CHECK_STR(c->sections[0].name, "");
	CHECK_STR(conf_get(c, 0, "top"), "level");
	m = conf_section(c, "monitor");
	CHECK_INT(m, 1);
	CHECK_INT(c->sections[1].line, 5);
	CHECK(c->sections[1].arg == NULL);
	CHECK_STR(conf_get(c, m, "interval"), "300");
	CHECK_STR(conf_get(c, m, "INTERVAL"), "300");
	CHECK_INT(conf_find(c, m, "interval")->line, 6);
	CHECK_STR(conf_get(c, m, "db"), "/var/lib/mxdoc/monitor.db");
	CHECK_STR(conf_get(c, m, "webhook"), "http://127.0.0.1:8080/hook#frag");
	CHECK_STR(conf_get(c, m, "empty"), "");
	CHECK_STR(conf_get(c, m, "quoted"), "  keep \"blanks\" \\ ");
	CHECK_STR(conf_get(c, m, "resolver"), "127.0.0.2@53");
	CHECK_INT(conf_find(c, m, "resolver")->line, 12);
	CHECK(conf_get(c, m, "nosuch") == NULL);
	CHECK(conf_get(c, 0, "interval") == NULL);
	CHECK_STR(c->sections[2].name, "target");
	CHECK_STR(c->sections[2].arg, "192.0.2.1");
	CHECK_STR(conf_get(c, 2, "checks"), "blocklist");
	CHECK_STR(c->sections[3].arg, "mail.example.com");
	CHECK_INT(conf_section(c, "alert"), 4);
	CHECK_STR(conf_get(c, 4, "alert_command"),
	    "cat > /tmp/x # not a comment");
	CHECK_INT(c->nentries, 10);
	conf_free(c);

	c = parse("", err, sizeof(err));
	CHECK(c != NULL && c->nsections == 1 && c->nentries == 0);
	conf_free(c);
	CHECK(conf_free(NULL) == NULL);
}

static void
test_bad(void)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "a = 1\nb\n", "line 2: '=' expected after the key 'b'" },
		{ "[monitor\n", "line 1: a section header ends with ']'" },
		{ "\n\n[]\n", "line 3: a section name is 1 to 64 letters, digits, '_', '-' or '.'" },
		{ "[a/b]\n", "line 1: unexpected '/' in the section name" },
		{ "[a [b]]\n", "line 1: brackets and quotes are not allowed in a section's argument" },
		{ "= 1\n", "line 1: a key (letters, digits, '_', '-', '.') expected, not '='" },
		{ "key value\n", "line 1: '=' expected after the key 'key'" },
		{ "k = \"abc\n", "line 1: unterminated quoted value" },
		{ "k = \"abc\" d\n", "line 1: text after the closing quote" },
		{ "ok = 1\nk = a\001b\n", "line 2: control byte 0x01" },
		{ "# x\n\n\nk = a\0b", "line 4: control byte 0x00" },
		{ "[s]\nk\x7f = 1\n", "line 2: control byte 0x7f" },
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);
		struct conf *c;

		if (i == 10)
			len += 2;	/* the NUL inside, and "b" */
		err[0] = '\0';
		c = conf_parse(cases[i].text, len, err, sizeof(err));
		CHECK(c == NULL);
		CHECK_STR(err, cases[i].err);
		conf_free(c);
	}
}

static void
test_limits(void)
{
	char err[256];
	char *big = xmalloc(CONF_LINE_MAX + 16);
	struct conf *c;
	size_t n;
	int i;

	/* A line of exactly CONF_LINE_MAX bytes is fine, one more is not. */
	memset(big, 'v', CONF_LINE_MAX + 8);
	memcpy(big, "k = ", 4);
	c = conf_parse(big, CONF_LINE_MAX, err, sizeof(err));
	CHECK(c != NULL);
	CHECK_INT(c != NULL ? (long long)strlen(conf_get(c, 0, "k")) : -1,
	    CONF_LINE_MAX - 4);
	conf_free(c);
	c = conf_parse(big, CONF_LINE_MAX + 1, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_STR(err, "line 1: longer than 4096 bytes");
	free(big);

	/* A key of CONF_NAME_MAX bytes, then one too long. */
	big = xmalloc(CONF_NAME_MAX + 16);
	memset(big, 'k', CONF_NAME_MAX + 1);
	memcpy(big + CONF_NAME_MAX, "=1", 2);
	c = conf_parse(big, CONF_NAME_MAX + 2, err, sizeof(err));
	CHECK(c != NULL);
	conf_free(c);
	memset(big, 'k', CONF_NAME_MAX + 1);
	memcpy(big + CONF_NAME_MAX + 1, "=1", 2);
	c = conf_parse(big, CONF_NAME_MAX + 3, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_STR(err, "line 1: a key longer than 64 bytes");
	free(big);

	/* Too many sections and too many keys. */
	n = (CONF_SECTIONS_MAX + 1) * 4;
	big = xmalloc(n + 1);
	for (i = 0; i < CONF_SECTIONS_MAX + 1; i++)
		memcpy(big + i * 4, "[s]\n", 4);
	c = conf_parse(big, n, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_STR(err, "line 1000: more than 1000 sections");
	free(big);
	n = (CONF_ENTRIES_MAX + 1) * 4;
	big = xmalloc(n + 1);
	for (i = 0; i < CONF_ENTRIES_MAX + 1; i++)
		memcpy(big + i * 4, "k=\n\n", 4);
	c = conf_parse(big, n, err, sizeof(err));
	CHECK(c == NULL);
	CHECK_STR(err, "line 20001: more than 10000 keys");
	free(big);
}

static void
test_values(void)
{
	long v;
	int b;

	CHECK_INT(conf_bool("yes", &b), 0);
	CHECK_INT(b, 1);
	CHECK_INT(conf_bool("Off", &b), 0);
	CHECK_INT(b, 0);
	CHECK_INT(conf_bool("maybe", &b), -1);
	CHECK_INT(conf_long("300", 1, 1000, &v), 0);
	CHECK_INT(v, 300);
	CHECK_INT(conf_long("0", 1, 1000, &v), -1);
	CHECK_INT(conf_long("12x", 1, 1000, &v), -1);
	CHECK_INT(conf_long("", 1, 1000, &v), -1);
	CHECK_INT(conf_long(" 5", 1, 1000, &v), -1);
	CHECK_INT(conf_long("99999999999999999999999", 1, 1000, &v), -1);
	CHECK_INT(conf_seconds("2.5", 1, 60000, &v), 0);
	CHECK_INT(v, 2500);
	CHECK_INT(conf_seconds("0", 1, 60000, &v), -1);
	CHECK_INT(conf_seconds("-1", 0, 60000, &v), -1);
	CHECK_INT(conf_seconds("nan", 0, 60000, &v), -1);
	CHECK_INT(conf_seconds("inf", 0, 60000, &v), -1);
	CHECK_INT(conf_seconds("61", 0, 60000, &v), -1);
}

void
run_tests(void)
{
	test_good();
	test_bad();
	test_limits();
	test_values();
}
