/*
 * test_ehlo.c - the EHLO parser against replies of Postfix, Exchange,
 * Gmail, Exim and a Cisco ASA that masks keywords (field guide B1).
 */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "smtp/ehlo.h"
#include "smtp/reply.h"

struct ecase {
	const char	*reply;		/* the whole reply, as the wire has it */
	const char	*name;
	uint32_t	 caps;
	uint32_t	 auth;
	uint64_t	 size;
	bool		 size_given;
	int		 masked;
	const char	*other;		/* other[] joined by ",", in order */
};

#define C(x)	SMTP_CAP_##x
#define A(x)	SMTP_AUTH_##x

static const struct ecase cases[] = {
	/* Postfix 3.7, Debian defaults with smtpd_tls_security_level=may. */
	{ "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	  "250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"
	  "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
	  "mail.example.com",
	  C(PIPELINING) | C(SIZE) | C(VRFY) | C(ETRN) | C(STARTTLS) |
	  C(ENHANCEDSTATUSCODES) | C(8BITMIME) | C(DSN) | C(SMTPUTF8) | C(CHUNKING),
	  0, 10240000, true, 0, "" },
	/* Postfix submission after STARTTLS, with the old AUTH= line too
	 * (broken_sasl_auth_clients = yes). */
	{ "250-smtp.example.org\n250-PIPELINING\n250-SIZE 52428800\n"
	  "250-AUTH PLAIN LOGIN\n250-AUTH=PLAIN LOGIN\n250-ENHANCEDSTATUSCODES\n"
	  "250-8BITMIME\n250 DSN\n",
	  "smtp.example.org",
	  C(PIPELINING) | C(SIZE) | C(AUTH) | C(ENHANCEDSTATUSCODES) |
	  C(8BITMIME) | C(DSN),
	  A(PLAIN) | A(LOGIN), 52428800, true, 0, "" },
	/* Only the old form. */
	{ "250-old.example.net\n250 AUTH=LOGIN CRAM-MD5\n", "old.example.net",
	  C(AUTH), A(LOGIN) | A(CRAM_MD5), 0, false, 0, "" },
	/* Exchange Server 2016, anonymous receive connector. */
	{ "250-mail.contoso.com Hello [192.0.2.1]\r\n250-SIZE 37748736\r\n"
	  "250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n"
	  "250-X-ANONYMOUSTLS\r\n250-AUTH NTLM\r\n250-X-EXPS GSSAPI NTLM\r\n"
	  "250-8BITMIME\r\n250-BINARYMIME\r\n250-CHUNKING\r\n250 XRDST\r\n",
	  "mail.contoso.com",
	  C(SIZE) | C(PIPELINING) | C(DSN) | C(ENHANCEDSTATUSCODES) |
	  C(STARTTLS) | C(AUTH) | C(8BITMIME) | C(BINARYMIME) | C(CHUNKING),
	  A(NTLM), 37748736, true, 0, "X-ANONYMOUSTLS,X-EXPS,XRDST" },
	/* Exchange Online MX. */
	{ "250-AM0PR02CA0001.outlook.office365.com Hello [192.0.2.1]\r\n"
	  "250-SIZE 157286400\r\n250-PIPELINING\r\n250-DSN\r\n"
	  "250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-8BITMIME\r\n"
	  "250-BINARYMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
	  "AM0PR02CA0001.outlook.office365.com",
	  C(SIZE) | C(PIPELINING) | C(DSN) | C(ENHANCEDSTATUSCODES) |
	  C(STARTTLS) | C(8BITMIME) | C(BINARYMIME) | C(CHUNKING) | C(SMTPUTF8),
	  0, 157286400, true, 0, "" },
	/* Gmail MX. */
	{ "250-mx.google.com at your service, [192.0.2.1]\r\n250-SIZE 157286400\r\n"
	  "250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"
	  "250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
	  "mx.google.com",
	  C(SIZE) | C(8BITMIME) | C(STARTTLS) | C(ENHANCEDSTATUSCODES) |
	  C(PIPELINING) | C(CHUNKING) | C(SMTPUTF8),
	  0, 157286400, true, 0, "" },
	/* Gmail submission after STARTTLS: unknown mechanisms are ignored. */
	{ "250-smtp.gmail.com at your service, [192.0.2.1]\r\n250-SIZE 35882577\r\n"
	  "250-8BITMIME\r\n"
	  "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n"
	  "250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n"
	  "250 SMTPUTF8\r\n",
	  "smtp.gmail.com",
	  C(SIZE) | C(8BITMIME) | C(AUTH) | C(ENHANCEDSTATUSCODES) |
	  C(PIPELINING) | C(CHUNKING) | C(SMTPUTF8),
	  A(LOGIN) | A(PLAIN) | A(XOAUTH2) | A(OAUTHBEARER), 35882577, true, 0, "" },
	/* Exim 4.96. */
	{ "250-mx.example.com Hello client.example.net [192.0.2.1]\n"
	  "250-SIZE 52428800\n250-8BITMIME\n250-PIPELINING\n"
	  "250-PIPECONNECT\n250-AUTH CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 GSSAPI\n"
	  "250-CHUNKING\n250-STARTTLS\n250-PRDR\n250 HELP\n",
	  "mx.example.com",
	  C(SIZE) | C(8BITMIME) | C(PIPELINING) | C(AUTH) | C(CHUNKING) |
	  C(STARTTLS),
	  A(CRAM_MD5) | A(SCRAM_SHA_1) | A(SCRAM_SHA_256) | A(GSSAPI),
	  52428800, true, 0, "PIPECONNECT,PRDR,HELP" },
	/* Cisco ASA "inspect esmtp": STARTTLS, ENHANCEDSTATUSCODES and
	 * CHUNKING overwritten with X's. */
	{ "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	  "250-XXXXXXXA\r\n250-XXXXXXXXXXXXXXXXXXX\r\n250-8BITMIME\r\n"
	  "250 XXXXXXXB\r\n",
	  "mail.example.com", C(PIPELINING) | C(SIZE) | C(8BITMIME),
	  0, 10240000, true, 3, "" },
	/* Keywords are case-insensitive; "SIZE" alone and "SIZE 0" differ. */
	{ "250-host\n250-starttls\n250-Size\n250-auth plain\n250 ReQuIrEtLs",
	  "host", C(STARTTLS) | C(SIZE) | C(AUTH) | C(REQUIRETLS), A(PLAIN),
	  0, false, 0, "" },
	{ "250-host\n250 SIZE 0", "host", C(SIZE), 0, 0, true, 0, "" },
	/* Overflowing and malformed sizes. */
	{ "250-host\n250 SIZE 99999999999999999999999", "host", C(SIZE), 0,
	  UINT64_MAX, true, 0, "" },
	{ "250-host\n250 SIZE 18446744073709551615", "host", C(SIZE), 0,
	  UINT64_MAX, true, 0, "" },
	{ "250-host\n250 SIZE 18446744073709551614", "host", C(SIZE), 0,
	  UINT64_MAX - 1, true, 0, "" },
	{ "250-host\n250 SIZE 10M", "host", C(SIZE), 0, 0, false, 0, "" },
	{ "250-host\n250 SIZE -1", "host", C(SIZE), 0, 0, false, 0, "" },
	/* Not masked: too few X's, X's not at the front, real X- names. */
	{ "250-host\n250-XXXA\n250-XAXXXX\n250-XCLIENT NAME ADDR\n250 XXXX",
	  "host", 0, 0, 0, false, 1, "XXXA,XAXXXX,XCLIENT" },
	/* Duplicates kept once. */
	{ "250-host\n250-X-FOO\n250-x-foo\n250 X-FOO", "host", 0, 0, 0, false, 0,
	  "X-FOO" },
	/* Blank lines, stray spaces and tabs. */
	{ "250-host   greeting\n250-\n250-  8BITMIME  \n250 \tDSN\t", "host",
	  C(8BITMIME) | C(DSN), 0, 0, false, 0, "" },
	/* A bare 250 has no name. */
	{ "250", "", 0, 0, 0, false, 0, "" },
};

static void
join_other(const struct smtp_ehlo *e, char *out, size_t n)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < e->nother; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "," : "",
		    e->other[i]);
}

static void
check_case(const struct ecase *c, size_t idx)
{
	struct smtp_reply r;
	struct smtp_ehlo e;
	char other[1024];
	int before = t_fail;

	CHECK_INT(smtp_reply_parse(&r, c->reply, strlen(c->reply)),
	    SMTP_REPLY_DONE);
	smtp_ehlo_parse(&e, r.text.data, r.text.len);
	CHECK_STR(e.name, c->name);
	CHECK_INT(e.caps, c->caps);
	CHECK_INT(e.auth, c->auth);
	CHECK(e.size == c->size);
	CHECK_INT(e.size_given, c->size_given);
	CHECK_INT(e.masked, c->masked);
	join_other(&e, other, sizeof(other));
	CHECK_STR(other, c->other);
	if (t_fail != before)
		fprintf(stderr, "  in case %zu: \"%.50s\"\n", idx, c->reply);
	smtp_ehlo_release(&e);
	smtp_reply_release(&r);
}

static void
test_bounds(void)
{
	struct smtp_ehlo e;
	char text[4096];
	size_t n = 0;
	int i;

	/* The name is cut to fit. */
	memset(text, 'a', 400);
	smtp_ehlo_parse(&e, text, 400);
	CHECK_INT(strlen(e.name), SMTP_EHLO_NAME_MAX - 1);
	smtp_ehlo_release(&e);

	/* other[] holds SMTP_EHLO_MAX_OTHER keywords, each at most 64 bytes. */
	n = (size_t)snprintf(text, sizeof(text), "host");
	for (i = 0; i < SMTP_EHLO_MAX_OTHER + 10; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\nX-EXT%d", i);
	smtp_ehlo_parse(&e, text, n);
	CHECK_INT(e.nother, SMTP_EHLO_MAX_OTHER);
	CHECK_STR(e.other[SMTP_EHLO_MAX_OTHER - 1], "X-EXT31");
	smtp_ehlo_release(&e);
	CHECK_INT(e.nother, 0);

	n = (size_t)snprintf(text, sizeof(text), "host\nY");
	memset(text + n, 'Z', 100);
	smtp_ehlo_parse(&e, text, n + 100);
	CHECK_INT(e.nother, 1);
	CHECK_INT(strlen(e.other[0]), 64);
	smtp_ehlo_release(&e);

	/* Embedded NULs and binary bytes are survived. */
	{
		static const char bin[] = "h\0st\nSTART\0TLS\n\xff\xfe SIZE\n8BITMIME";

		smtp_ehlo_parse(&e, bin, sizeof(bin) - 1);
	}
	CHECK_STR(e.name, "h");
	CHECK_INT(e.caps, SMTP_CAP_8BITMIME);
	CHECK_INT(e.nother, 2);
	smtp_ehlo_release(&e);

	smtp_ehlo_parse(&e, NULL, 0);
	CHECK_STR(e.name, "");
	CHECK_INT(e.caps, 0);
	smtp_ehlo_release(&e);
}

static void
test_names(void)
{
	uint32_t bit;
	int ncap = 0, nauth = 0;

	CHECK_STR(smtp_cap_name(SMTP_CAP_STARTTLS), "STARTTLS");
	CHECK_STR(smtp_cap_name(SMTP_CAP_ENHANCEDSTATUSCODES), "ENHANCEDSTATUSCODES");
	CHECK_STR(smtp_auth_name(SMTP_AUTH_CRAM_MD5), "CRAM-MD5");
	CHECK_STR(smtp_auth_name(SMTP_AUTH_SCRAM_SHA_256), "SCRAM-SHA-256");
	CHECK(smtp_cap_name(0) == NULL);
	CHECK(smtp_cap_name(SMTP_CAP_STARTTLS | SMTP_CAP_SIZE) == NULL);
	CHECK(smtp_auth_name(1u << 31) == NULL);
	/* Every bit up to the last has a name, and the names parse back. */
	for (bit = 1; bit != 0; bit <<= 1) {
		const char *name = smtp_cap_name(bit);
		char line[64];
		struct smtp_ehlo e;

		if (name == NULL)
			continue;
		ncap++;
		snprintf(line, sizeof(line), "h\n%s", name);
		smtp_ehlo_parse(&e, line, strlen(line));
		CHECK_INT(e.caps, bit);
		smtp_ehlo_release(&e);
		if (smtp_auth_name(bit) != NULL) {
			nauth++;
			snprintf(line, sizeof(line), "h\nAUTH %s", smtp_auth_name(bit));
			smtp_ehlo_parse(&e, line, strlen(line));
			CHECK_INT(e.auth, bit);
			smtp_ehlo_release(&e);
		}
	}
	CHECK_INT(ncap, 14);
	CHECK_INT(nauth, 9);
}

void
run_tests(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], i);
	test_bounds();
	test_names();
}
