/* The record builders of `mxdoc gen` (auth/gen.h): each record is read back
 * by the parsers, and the notes say what would break before publishing. */
#include <stdlib.h>
#include <string.h>

#include "auth/gen.h"
#include "harness.h"

static int
has_note(const struct gen_out *o, enum severity sev, const char *text)
{
	int i;

	for (i = 0; i < o->nnote; i++)
		if (o->note[i].sev == sev && strstr(o->note[i].text, text))
			return 1;
	return 0;
}

/* The cause of the first note whose text holds text, or "". */
static const char *
note_cause(const struct gen_out *o, const char *text)
{
	int i;

	for (i = 0; i < o->nnote; i++)
		if (strstr(o->note[i].text, text) && o->note[i].cause != NULL)
			return o->note[i].cause;
	return "";
}

/* A self-signed certificate for mx1.example.com (RSA 2048, valid to 2036);
 * its SPKI's SHA-256 was computed with `openssl pkey -pubin -outform DER |
 * sha256sum`. */
#define CERT_SPKI_SHA256 "2c7eadbb9506532b6ae177308280c3de5fac65a3694abb7e42d23d98976b4f62"

static const char cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDMTCCAhmgAwIBAgIUWTheoJ4YLp3UxjmmtqmU9n26M5AwDQYJKoZIhvcNAQEL\n"
    "BQAwGjEYMBYGA1UEAwwPbXgxLmV4YW1wbGUuY29tMB4XDTI2MTEyODEwMDkyMVoX\n"
    "DTM2MTEyNTEwMDkyMVowGjEYMBYGA1UEAwwPbXgxLmV4YW1wbGUuY29tMIIBIjAN\n"
    "BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnvyRL9y7h6JHKvzOnjItYRQU82Io\n"
    "RUtsLRfZJWVbSbfXFwZqnUeWllRWAYbxJkiYDNN+Axk/OMG6RegF6M6HTQhb+OzY\n"
    "RwoXQzyfgHXxq0XZMhceofW1wHZIL3pjYWm4QAdyRTum5coSTomFwInEKik3HfGF\n"
    "jED6VkEI0dl7mLnA/HPLn8tiqNQhJdZ5+/CbkxM77EC05azpgkUSUeO7ikMwx3Wr\n"
    "936j1YXygYT4j7yJ0GmNh8pevf86aKT6ZcwXyMQZjcX9Y4/QzB0y09it+ybfRwDH\n"
    "CnJWfnykE3NQ77IZr5HiEeMczGizhcVvm+NaWyxbIrL/vvX0VnfGwzKKtQIDAQAB\n"
    "o28wbTAdBgNVHQ4EFgQU9ngDBeqekEwHtuelzDoInK+wF2swHwYDVR0jBBgwFoAU\n"
    "9ngDBeqekEwHtuelzDoInK+wF2swDwYDVR0TAQH/BAUwAwEB/zAaBgNVHREEEzAR\n"
    "gg9teDEuZXhhbXBsZS5jb20wDQYJKoZIhvcNAQELBQADggEBAC0qERc3pfM2qgUo\n"
    "E54HX2YsnhhqsTvEG9zpAT2IWehfv7qfsWqIJUpi1Jr4S9llCTSMgZqWttQd44SX\n"
    "SjGAtTkzu0w0YtXoPp0mu+c8QVl48L3XhI2qXiwzTOQvDE3CHg4E4vK4C1Gzj91p\n"
    "L1NWzeGsrmShSJWMtz3tCifzJmaUmZbFoM+ALg+cCTQ2OAwY6BVBVqlQQUVh7XEw\n"
    "zrZm0tqFD00TgEQyZ1d53F6p+kxDJlL9jkPsCl2H5pTeJaOFuszCvmTYR1SlfFcI\n"
    "sxtkQ7SDk2wRoar5CFWlkzM7vzo9oIgr/HqHDv9IxYhvuntYYGEB4gDXuUE4FL6v\n"
    "qG8rO4k=\n"
    "-----END CERTIFICATE-----\n";

static void
test_split(void)
{
	char *p[GEN_STRINGS_MAX], big[700], joined[800];
	int n, i;

	n = gen_split("v=spf1 -all", p, GEN_STRINGS_MAX);
	CHECK_INT(n, 1);
	CHECK_STR(p[0], "v=spf1 -all");
	free(p[0]);
	/* No space at all: hard cuts at 255. */
	memset(big, 'x', 600);
	big[600] = '\0';
	n = gen_split(big, p, GEN_STRINGS_MAX);
	CHECK_INT(n, 3);
	CHECK_INT(strlen(p[0]), 255);
	CHECK_INT(strlen(p[1]), 255);
	CHECK_INT(strlen(p[2]), 90);
	for (i = 0; i < n; i++)
		free(p[i]);
	/* Spaces: a piece ends after the last space before 255, and
	 * joining the pieces gives the record back. */
	for (i = 0; i < 600; i++)
		big[i] = (i % 10 == 9) ? ' ' : 'a';
	big[600] = '\0';
	n = gen_split(big, p, GEN_STRINGS_MAX);
	CHECK_INT(n, 3);
	CHECK_INT(strlen(p[0]), 250);
	CHECK(p[0][249] == ' ');
	joined[0] = '\0';
	for (i = 0; i < n; i++) {
		CHECK(strlen(p[i]) <= 255);
		memcpy(joined + strlen(joined), p[i], strlen(p[i]) + 1);
		free(p[i]);
	}
	CHECK_STR(joined, big);
	/* Too many pieces for the room given. */
	CHECK_INT(gen_split(big, p, 2), -1);
	n = gen_split("", p, 1);
	CHECK_INT(n, 1);
	free(p[0]);
}

static void
test_spf(void)
{
	static struct gen_spf_params p;
	static struct gen_out o;
	char *zone;
	int i;

	memset(&p, 0, sizeof(p));
	p.ip4[p.nip4++] = "192.0.2.0/24";
	p.include[p.ninclude++] = "_spf.google.com";
	p.all = '-';
	CHECK_INT(gen_spf(&p, &o), 0);
	CHECK_STR(o.record, "v=spf1 ip4:192.0.2.0/24 include:_spf.google.com "
	    "-all");
	CHECK_STR(o.name, "@");
	CHECK_STR(o.type, "TXT");
	CHECK_INT(o.nstring, 1);
	CHECK_INT(o.dns_terms, 1);
	CHECK_INT(o.ninclude, 1);
	CHECK_INT(gen_worst(&o), SEV_OK);
	zone = gen_zone_line(&o);
	CHECK_STR(zone, "@ IN TXT \"v=spf1 ip4:192.0.2.0/24 "
	    "include:_spf.google.com -all\"");
	free(zone);
	gen_out_release(&o);

	/* Order: addresses, a, mx, includes, all; a domain qualifies the
	 * owner name. */
	memset(&p, 0, sizeof(p));
	p.domain = "example.com";
	p.include[p.ninclude++] = "a.example.net";
	p.ip6[p.nip6++] = "2001:db8::/32";
	p.a = p.mx = true;
	p.all = '~';
	gen_spf(&p, &o);
	CHECK_STR(o.record, "v=spf1 ip6:2001:db8::/32 a mx "
	    "include:a.example.net ~all");
	CHECK_STR(o.name, "example.com.");
	CHECK_INT(o.dns_terms, 3);
	CHECK_INT(gen_worst(&o), SEV_OK);
	gen_out_release(&o);

	/* The parser's reason for a bad term; +all. */
	memset(&p, 0, sizeof(p));
	p.ip4[p.nip4++] = "192.0.2.0/33";
	p.all = '+';
	gen_spf(&p, &o);
	CHECK(has_note(&o, SEV_ERROR, "permerror"));
	CHECK(has_note(&o, SEV_ERROR, "/33"));
	CHECK(has_note(&o, SEV_ERROR, "+all"));
	gen_out_release(&o);

	/* ?all and a missing all are warnings. */
	memset(&p, 0, sizeof(p));
	p.a = true;
	p.all = '?';
	gen_spf(&p, &o);
	CHECK_INT(gen_worst(&o), SEV_WARNING);
	gen_out_release(&o);
	p.all = 0;
	gen_spf(&p, &o);
	CHECK(has_note(&o, SEV_WARNING, "no all"));
	gen_out_release(&o);

	/* 30 addresses: three strings and the 450-byte warning. */
	memset(&p, 0, sizeof(p));
	{
		static char ips[30][32];

		for (i = 0; i < 30; i++) {
			snprintf(ips[i], sizeof(ips[i]), "198.51.100.%d", i + 1);
			p.ip4[p.nip4++] = ips[i];
		}
	}
	p.all = '-';
	gen_spf(&p, &o);
	CHECK_INT(o.nstring, 3);
	CHECK(has_note(&o, SEV_WARNING, "over 450"));
	for (i = 0; i < o.nstring; i++)
		CHECK(strlen(o.string[i]) <= 255);
	gen_out_release(&o);

	/* Eleven includes: over the limit in the record itself. */
	memset(&p, 0, sizeof(p));
	for (i = 0; i < 11; i++)
		p.include[p.ninclude++] = "x.example.net";
	p.all = '-';
	gen_spf(&p, &o);
	CHECK_INT(o.dns_terms, 11);
	CHECK(has_note(&o, SEV_ERROR, "over the limit of 10"));
	gen_out_release(&o);
}

static void
test_dmarc(void)
{
	static struct gen_dmarc_params p;
	static struct gen_out o;

	memset(&p, 0, sizeof(p));
	p.policy = "reject";
	p.rua[p.nrua++] = "mailto:d@example.com";
	p.rua[p.nrua++] = "mailto:x@example.net";
	p.pct = -1;
	p.adkim = 's';
	gen_dmarc(&p, &o);
	CHECK_STR(o.record, "v=DMARC1; p=reject; rua=mailto:d@example.com,"
	    "mailto:x@example.net; adkim=s");
	CHECK_STR(o.name, "_dmarc");
	CHECK_INT(gen_worst(&o), SEV_OK);
	gen_out_release(&o);

	memset(&p, 0, sizeof(p));
	p.domain = "example.com";
	p.policy = "none";
	p.pct = 50;
	p.sp = "quarantine";
	p.fo = "1";
	p.aspf = 'r';
	gen_dmarc(&p, &o);
	CHECK_STR(o.record, "v=DMARC1; p=none; sp=quarantine; pct=50; aspf=r; "
	    "fo=1");
	CHECK_STR(o.name, "_dmarc.example.com.");
	CHECK(has_note(&o, SEV_WARNING, "only monitors"));
	CHECK(has_note(&o, SEV_INFO, "no rua="));
	gen_out_release(&o);

	/* The parser's notes come through: a bad rua and bad fo. */
	memset(&p, 0, sizeof(p));
	p.policy = "quarantine";
	p.pct = -1;
	p.rua[p.nrua++] = "http//x";
	p.fo = "2";
	gen_dmarc(&p, &o);
	CHECK(gen_worst(&o) >= SEV_WARNING);
	CHECK(has_note(&o, gen_worst(&o), "rua") ||
	    has_note(&o, gen_worst(&o), "fo"));
	gen_out_release(&o);
}

static void
test_sts(void)
{
	static struct gen_sts_params p;
	static struct gen_out o;
	char id[16];

	gen_sts_id(0, id);
	CHECK_STR(id, "19700101000000Z");
	gen_sts_id(1767225600LL, id);
	CHECK_STR(id, "20260101000000Z");

	memset(&p, 0, sizeof(p));
	p.domain = "example.com";
	p.mode = "enforce";
	p.mx[p.nmx++] = "mail.example.com";
	p.mx[p.nmx++] = "*.example.net";
	p.max_age = -1;
	p.id = "20260101000000Z";
	gen_sts(&p, &o);
	CHECK_STR(o.record, "v=STSv1; id=20260101000000Z");
	CHECK_STR(o.name, "_mta-sts.example.com.");
	CHECK_STR(o.policy, "version: STSv1\nmode: enforce\n"
	    "mx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n");
	CHECK_STR(o.policy_url,
	    "https://mta-sts.example.com/.well-known/mta-sts.txt");
	CHECK_INT(gen_worst(&o), SEV_INFO);
	gen_out_release(&o);

	/* Short max_age under enforce; a bad id; testing is info. */
	p.max_age = 3600;
	p.id = "2026-01-01";
	gen_sts(&p, &o);
	CHECK(has_note(&o, SEV_WARNING, "under a day"));
	CHECK(has_note(&o, SEV_ERROR, "TXT record"));
	gen_out_release(&o);
	p.max_age = -1;
	p.id = "1";
	p.mode = "testing";
	gen_sts(&p, &o);
	CHECK(has_note(&o, SEV_INFO, "mode testing"));
	CHECK_INT(gen_worst(&o), SEV_INFO);
	gen_out_release(&o);

	/* An mx pattern the policy parser refuses. */
	memset(&p, 0, sizeof(p));
	p.mode = "enforce";
	p.mx[p.nmx++] = "mail.*.example.com";
	p.max_age = -1;
	p.id = "1";
	gen_sts(&p, &o);
	CHECK_STR(o.name, "_mta-sts");
	CHECK(gen_worst(&o) >= SEV_WARNING);
	gen_out_release(&o);
}

static void
test_tlsrpt(void)
{
	static struct gen_tlsrpt_params p;
	static struct gen_out o;

	memset(&p, 0, sizeof(p));
	p.rua[p.nrua++] = "mailto:tls@example.com";
	p.rua[p.nrua++] = "https://r.example.com/tlsrpt";
	gen_tlsrpt(&p, &o);
	CHECK_STR(o.record, "v=TLSRPTv1; rua=mailto:tls@example.com,"
	    "https://r.example.com/tlsrpt");
	CHECK_STR(o.name, "_smtp._tls");
	CHECK_INT(gen_worst(&o), SEV_OK);
	gen_out_release(&o);

	memset(&p, 0, sizeof(p));
	p.domain = "example.com";
	p.rua[p.nrua++] = "ftp://x.example.com/";
	gen_tlsrpt(&p, &o);
	CHECK_STR(o.name, "_smtp._tls.example.com.");
	CHECK_INT(gen_worst(&o), SEV_ERROR);
	CHECK(o.nnote > 0);
	if (o.nnote > 0)
		CHECK_STR(o.note[0].cause, "auth.tls_rpt");
	gen_out_release(&o);
}

static void
test_tlsa(void)
{
	static struct gen_tlsa_params p;
	static struct gen_out o;
	char *zone;

	memset(&p, 0, sizeof(p));
	p.pem = cert_pem;
	p.pem_len = strlen(cert_pem);
	p.now = 1767225600LL;
	CHECK_INT(gen_tlsa(&p, &o), 0);
	CHECK_STR(o.type, "TLSA");
	CHECK_STR(o.name, "_25._tcp.mx1.example.com.");
	CHECK_STR(o.record, "3 1 1 " CERT_SPKI_SHA256);
	CHECK_INT(o.nstring, 0);
	CHECK_INT(gen_worst(&o), SEV_INFO);
	zone = gen_zone_line(&o);
	CHECK_STR(zone, "_25._tcp.mx1.example.com. IN TLSA 3 1 1 "
	    CERT_SPKI_SHA256);
	free(zone);
	gen_out_release(&o);

	/* --host and --port name the owner; a date past notAfter warns. */
	p.host = "mail.example.org";
	p.port = 587;
	p.now = 4102444800LL;
	gen_tlsa(&p, &o);
	CHECK_STR(o.name, "_587._tcp.mail.example.org.");
	CHECK(has_note(&o, SEV_WARNING, "expired"));
	/* The certificate's own dates are a certificate problem; the
	 * advice about the record is DANE's. */
	CHECK_STR(note_cause(&o, "expired"), "tls.certificate");
	CHECK_STR(note_cause(&o, "DNSSEC-signed zone"), "auth.dane");
	gen_out_release(&o);

	/* Not a certificate. */
	p.pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
	p.pem_len = strlen(p.pem);
	CHECK_INT(gen_tlsa(&p, &o), -1);
	CHECK(has_note(&o, SEV_ERROR, "no PEM certificate"));
	CHECK_STR(note_cause(&o, "no PEM certificate"), "auth.dane");
	gen_out_release(&o);
}

/* Each record's notes carry the cause of its own record family, not a
 * delivery cause. */
static void
test_causes(void)
{
	static struct gen_spf_params sp;
	static struct gen_dmarc_params dp;
	static struct gen_sts_params tp;
	static struct gen_out o;

	memset(&sp, 0, sizeof(sp));
	sp.all = '+';
	gen_spf(&sp, &o);
	CHECK_STR(note_cause(&o, "+all"), "auth.spf");
	gen_out_release(&o);

	memset(&dp, 0, sizeof(dp));
	dp.policy = "none";
	dp.pct = -1;
	gen_dmarc(&dp, &o);
	CHECK_STR(note_cause(&o, "p=none"), "auth.dmarc");
	CHECK_STR(note_cause(&o, "no rua="), "auth.dmarc");
	gen_out_release(&o);

	memset(&tp, 0, sizeof(tp));
	tp.domain = "example.com";
	tp.mode = "testing";
	tp.mx[tp.nmx++] = "mail.example.com";
	tp.max_age = -1;
	tp.id = "20260101000000Z";
	gen_sts(&tp, &o);
	CHECK_STR(note_cause(&o, "mode testing"), "auth.mta_sts");
	CHECK_STR(note_cause(&o, "serve the policy"), "auth.mta_sts");
	gen_out_release(&o);
}

void
run_tests(void)
{
	test_split();
	test_spf();
	test_dmarc();
	test_sts();
	test_tlsrpt();
	test_tlsa();
	test_causes();
}
