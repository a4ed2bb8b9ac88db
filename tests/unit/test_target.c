/*
 * test_target.c - every target form of DESIGN.md, and what users get wrong.
 */
#include <stdlib.h>

#include "diag/target.h"
#include "harness.h"

#define OK	NULL

/* Rows that expect an error leave the expected result out. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct tcase {
	const char		*in;
	const char		*err;	/* OK, or the reason expected */
	enum target_kind	 kind;
	const char		*host;
	bool			 ip;
	const char		*address;
	int			 port;
};

static const char E_LABEL[] = "domain label longer than 63 characters";
static const char E_PORT[] = "port out of range (1-65535)";
static const char E_LDH[] =
    "domain name holds a character other than letters, digits, hyphens and dots";
static const char E_HYPHEN[] = "domain label starts or ends with a hyphen";
static const char E_EMPTY_LABEL[] = "empty label in domain name";
static const char E_SCHEME[] = "unknown scheme (use smtps:// or submission://)";
static const char E_V6[] = "an IPv6 address needs brackets, as in [2001:db8::1]:465";
static const char E_DIGITS[] =
    "not a valid IP address, and a domain name cannot end in an all-digit label";

#define L63 "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" \
	    "abcdefghij" "abc"

static const struct tcase cases[] = {
	/* Domains. */
	{ "example.com", OK, TARGET_DOMAIN, "example.com", false, "", 0 },
	{ "  Example.COM.  ", OK, TARGET_DOMAIN, "example.com", false, "", 0 },
	{ "\texample.com\r\n", OK, TARGET_DOMAIN, "example.com", false, "", 0 },
	{ "xn--bcher-kva.example", OK, TARGET_DOMAIN, "xn--bcher-kva.example",
	  false, "", 0 },
	{ "localhost", OK, TARGET_DOMAIN, "localhost", false, "", 0 },
	{ "a-b.c0.example", OK, TARGET_DOMAIN, "a-b.c0.example", false, "", 0 },
	{ "3com.com", OK, TARGET_DOMAIN, "3com.com", false, "", 0 },
	{ L63 ".example", OK, TARGET_DOMAIN, L63 ".example", false, "", 0 },
	{ L63 "x.example", E_LABEL },
	{ "", "empty target" },
	{ "   ", "empty target" },
	{ ".", "empty domain name" },
	{ "example..com", E_EMPTY_LABEL },
	{ ".example.com", E_EMPTY_LABEL },
	{ "example.com..", E_EMPTY_LABEL },
	{ "-example.com", E_HYPHEN },
	{ "example-.com", E_HYPHEN },
	{ "example.-com", E_HYPHEN },
	{ "_dmarc.example.com", E_LDH },
	{ "exa_mple.com", E_LDH },
	{ "example.com/", E_LDH },
	{ "b\xc3\xbc" "cher.example", "domain name is not ASCII: give its xn-- "
	  "(A-label) form" },
	{ "exa mple.com", "space inside the target" },
	{ "example.com\n.evil", "control character in the target" },
	{ "exam\x7fple.com", "control character in the target" },
	{ "example.com:25", "a port needs the [host]:port form, as in "
	  "[mx.example.com]:2525" },
	{ "192.0.2.1:25", "a port needs the [host]:port form, as in "
	  "[mx.example.com]:2525" },
	{ "192.0.2.300", E_DIGITS },
	{ "1.2.3", E_DIGITS },
	/* Addresses. */
	{ "user@example.com", OK, TARGET_ADDRESS, "example.com", false,
	  "user@example.com", 0 },
	{ " First.Last+tag@Example.COM. ", OK, TARGET_ADDRESS, "example.com",
	  false, "First.Last+tag@example.com", 0 },
	{ "postmaster@localhost", OK, TARGET_ADDRESS, "localhost", false,
	  "postmaster@localhost", 0 },
	{ "@example.com", "empty local part before '@'" },
	{ "user@", "empty domain after '@'" },
	{ "a@b@example.com", "more than one '@' in the address" },
	{ L63 "xy@example.com", "local part longer than 64 characters" },
	{ L63 "x@example.com", OK, TARGET_ADDRESS, "example.com", false,
	  L63 "x@example.com", 0 },
	{ "user@exa_mple.com", E_LDH },
	{ "user@[192.0.2.1]", E_LDH },
	{ "us er@example.com", "space inside the target" },
	/* [host] and [host]:port. */
	{ "[mx.example.com]", OK, TARGET_HOST, "mx.example.com", false, "", 0 },
	{ "[MX.Example.com.]:2525", OK, TARGET_HOST, "mx.example.com", false, "", 2525 },
	{ "[192.0.2.1]", OK, TARGET_HOST, "192.0.2.1", true, "", 0 },
	{ "[192.0.2.1]:25", OK, TARGET_HOST, "192.0.2.1", true, "", 25 },
	{ "[2001:DB8:0:0::1]:587", OK, TARGET_HOST, "2001:db8::1", true, "", 587 },
	{ "[IPv6:2001:db8::1]", OK, TARGET_HOST, "2001:db8::1", true, "", 0 },
	{ "[ipv6:::1]:25", OK, TARGET_HOST, "::1", true, "", 25 },
	{ "[::ffff:192.0.2.1]", OK, TARGET_HOST, "::ffff:192.0.2.1", true, "", 0 },
	{ "[h]:65535", OK, TARGET_HOST, "h", false, "", 65535 },
	{ "[h]:1", OK, TARGET_HOST, "h", false, "", 1 },
	{ "[h]:0", E_PORT },
	{ "[h]:65536", E_PORT },
	{ "[h]:99999999999999999999999", E_PORT },
	{ "[h]:", "missing port number after ':'" },
	{ "[h]:2x", "port is not a number" },
	{ "[h]:-1", "port is not a number" },
	{ "[h]x", "unexpected text after ']' (a port is written [host]:port)" },
	{ "[h", "missing ']' after the host" },
	{ "[]", "empty host in brackets" },
	{ "[]:25", "empty host in brackets" },
	{ "[IPv6:192.0.2.1]", "not a valid IPv6 address after \"IPv6:\"" },
	{ "[2001:db8::g]", "not a valid IPv6 address" },
	{ "[fe80::1%eth0]", "not a valid IPv6 address" },
	{ "[192.0.2.256]", E_DIGITS },
	{ "[a@b]", "unexpected '@' in the host name" },
	/* Bare IP addresses are hosts. */
	{ "192.0.2.1", OK, TARGET_HOST, "192.0.2.1", true, "", 0 },
	{ "2001:db8::25", OK, TARGET_HOST, "2001:db8::25", true, "", 0 },
	{ "::1", OK, TARGET_HOST, "::1", true, "", 0 },
	/* URLs. */
	{ "smtps://smtp.example.com", OK, TARGET_SMTPS, "smtp.example.com", false,
	  "", 0 },
	{ "SMTPS://Smtp.Example.com:465/", OK, TARGET_SMTPS, "smtp.example.com",
	  false, "", 465 },
	{ "smtps://192.0.2.1:2465", OK, TARGET_SMTPS, "192.0.2.1", true, "", 2465 },
	{ "smtps://[2001:db8::1]:465", OK, TARGET_SMTPS, "2001:db8::1", true, "", 465 },
	{ "smtps://[smtp.example.com]", OK, TARGET_SMTPS, "smtp.example.com",
	  false, "", 0 },
	{ "submission://smtp.example.com:587", OK, TARGET_SUBMISSION,
	  "smtp.example.com", false, "", 587 },
	{ "submission://smtp.example.com", OK, TARGET_SUBMISSION,
	  "smtp.example.com", false, "", 0 },
	{ "smtps://2001:db8::1", E_V6 },
	{ "smtps://2001:db8::1:465", E_V6 },
	{ "smtps://", "empty host name" },
	{ "smtps://:465", "empty host name" },
	{ "smtps://h:0", E_PORT },
	{ "smtps://h:70000", E_PORT },
	{ "smtps://h:", "missing port number after ':'" },
	{ "smtps://h/x", "unexpected path after the host" },
	{ "smtps://user@h", "unexpected '@' in the host name" },
	{ "smtps://exa_mple.com", E_LDH },
	{ "smtp://mx.example.com", E_SCHEME },
	{ "https://example.com/", E_SCHEME },
	{ "://example.com", E_SCHEME },
	{ "mailto://user@example.com", E_SCHEME },
};

static void
check_case(const struct tcase *c, size_t idx)
{
	struct target t;
	const char *err = NULL;
	int before = t_fail, r;

	r = target_parse(c->in, &t, &err);
	if (c->err != NULL) {
		CHECK_INT(r, -1);
		CHECK_STR(err, c->err);
		CHECK_STR(t.host, "");
	} else {
		CHECK_INT(r, 0);
		CHECK_STR(err, NULL);
		CHECK_INT(t.kind, c->kind);
		CHECK_STR(t.host, c->host);
		CHECK_INT(t.host_is_ip, c->ip);
		CHECK_STR(t.address, c->address);
		CHECK_INT(t.port, c->port);
	}
	if (t_fail != before)
		fprintf(stderr, "  in case %zu: \"%.70s\"\n", idx, c->in);
}

static void
test_lengths(void)
{
	char name[600], addr[700];
	struct target t;
	const char *err = NULL;
	size_t n = 0;

	/* 4 labels of 63 and one of 1: 4*64 + 1 = 257 characters. Shorten
	 * to exactly 253, then 254. */
	while (n < 4 * 64) {
		memcpy(name + n, L63 ".", 64);
		n += 64;
	}
	name[253] = '\0';	/* "...abc.abcdefghij...ab"-style, ends in a letter */
	CHECK_INT(target_check_domain(name, &err), 0);
	CHECK_INT(target_parse(name, &t, &err), 0);
	CHECK_INT(strlen(t.host), 253);
	snprintf(addr, sizeof(addr), "%s.", name);	/* a trailing dot is free */
	CHECK_INT(target_parse(addr, &t, &err), 0);
	CHECK_INT(strlen(t.host), 253);
	snprintf(addr, sizeof(addr), "%s@%s", L63 "x", name);
	CHECK_INT(target_parse(addr, &t, &err), 0);
	CHECK_INT(strlen(t.address), 64 + 1 + 253);
	name[253] = 'x';
	name[254] = '\0';
	CHECK_INT(target_check_domain(name, &err), -1);
	CHECK_STR(err, "domain name longer than 253 characters");
	CHECK_INT(target_parse(name, &t, &err), -1);
	CHECK_STR(err, "domain name longer than 253 characters");

	/* Very long input is refused without being walked. */
	{
		char *big = malloc(100000);

		memset(big, 'a', 99999);
		big[99999] = '\0';
		CHECK_INT(target_parse(big, &t, &err), -1);
		CHECK_STR(err, "target too long");
		free(big);
	}

	CHECK_INT(target_parse(NULL, &t, &err), -1);
	CHECK_STR(err, "empty target");
	/* err may be NULL. */
	CHECK_INT(target_parse("[h]:0", &t, NULL), -1);
	CHECK_INT(target_check_domain(NULL, &err), -1);
	CHECK_INT(target_check_domain("Mail.Example.", &err), 0);
	CHECK_INT(target_check_domain("example..com", &err), -1);
}

static void
test_names(void)
{
	CHECK_STR(target_kind_name(TARGET_DOMAIN), "domain");
	CHECK_STR(target_kind_name(TARGET_ADDRESS), "address");
	CHECK_STR(target_kind_name(TARGET_HOST), "host");
	CHECK_STR(target_kind_name(TARGET_SMTPS), "smtps");
	CHECK_STR(target_kind_name(TARGET_SUBMISSION), "submission");
	CHECK_STR(target_kind_name((enum target_kind)99), "unknown");
}

void
run_tests(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], i);
	test_lengths();
	test_names();
}
