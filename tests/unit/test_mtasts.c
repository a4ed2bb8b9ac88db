/* MTA-STS (RFC 8461): the TXT record, the policy file, mx: patterns; and
 * TLS-RPT records (RFC 8460), which share the suite. */
#include <string.h>

#include "auth/mtasts.h"
#include "auth/tlsrpt.h"
#include "harness.h"

static int
note_has(const struct mtasts_note *n, int count, enum severity sev,
    const char *text)
{
	int i;

	for (i = 0; i < count; i++)
		if (n[i].sev == sev && strstr(n[i].text, text))
			return 1;
	return 0;
}

void
run_tests(void)
{
	static struct mtasts_txt tx;
	static struct mtasts_policy p;
	static struct tlsrpt_record tr;
	static const struct {
		const char	*rec;
		int		 rc;
		const char	*reason;
	} txt[] = {
		{ "v=STSv1; id=20160831085700Z;", 0, NULL },
		{ "v=STSv1;id=1", 0, NULL },
		{ "v=STSv1; id=abc; ext=1", 0, NULL },
		{ "v=STSv2; id=1", -1, "v=STSv1" },
		{ "id=1; v=STSv1", -1, "v=STSv1" },
		{ "v=STSv1", -1, "id= is missing" },
		{ "v=STSv1; id=", -1, "letters and digits" },
		{ "v=STSv1; id=2024-01-01", -1, "letters and digits" },
		{ "v=STSv1; id=123456789012345678901234567890123", -1,
		  "1 to 32" },
		{ "v=STSv1; id=1; id=2", -1, "twice" },
	};
	static const struct {
		const char	*body;
		int		 rc;
		enum severity	 sev;
		const char	*reason;
	} pol[] = {
		{ "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
		  "mx: *.example.net\r\nmax_age: 604800\r\n", 0, SEV_OK, NULL },
		{ "version: STSv1\nmode: testing\nmx: a.b\nmax_age: 86400", 0,
		  SEV_OK, NULL },
		{ "version: STSv1\nmode: none\nmax_age: 86400\n", 0, SEV_OK,
		  NULL },
		{ "mode: enforce\nmx: a.b\nmax_age: 86400\n", -1, SEV_ERROR,
		  "no version" },
		{ "version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 86400\n",
		  -1, SEV_ERROR, "must be STSv1" },
		{ "version: STSv1\nmode: strict\nmx: a.b\nmax_age: 86400\n",
		  -1, SEV_ERROR, "enforce, testing or none" },
		{ "version: STSv1\nmode: enforce\nmax_age: 86400\n", -1,
		  SEV_ERROR, "no mx:" },
		{ "version: STSv1\nmode: enforce\nmx: a.b\n", -1, SEV_ERROR,
		  "no max_age" },
		{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601\n",
		  -1, SEV_ERROR, "over the maximum" },
		{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1d\n", -1,
		  SEV_ERROR, "number of seconds" },
		{ "version: STSv1\nmode: enforce\nmx: a.*.b\nmax_age: 86400\n",
		  -1, SEV_ERROR, "pattern" },
		{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 60\n", 0,
		  SEV_INFO, "under a day" },
		{ "version: STSv1\nmode enforce\nmx: a.b\nmax_age: 86400\n",
		  -1, SEV_ERROR, "not 'key: value'" },
		{ "version: STSv1\nmode: enforce\nmode: none\nmx: a.b\n"
		  "max_age: 86400\n", 0, SEV_WARNING, "second mode" },
	};
	size_t i;

	t_suite = "mtasts";
	for (i = 0; i < sizeof(txt) / sizeof(txt[0]); i++) {
		int rc = mtasts_txt_parse(txt[i].rec, strlen(txt[i].rec), &tx);

		if (rc != txt[i].rc)
			fprintf(stderr, "txt %zu: %s\n", i, txt[i].rec);
		CHECK_INT(rc, txt[i].rc);
		if (txt[i].reason != NULL)
			CHECK(note_has(tx.note, tx.nnote, SEV_ERROR,
			    txt[i].reason) || (tx.nnote > 0 &&
			    strstr(tx.note[0].text, txt[i].reason)));
	}
	CHECK_INT(mtasts_txt_parse("v=STSv1; id=abc123", 18, &tx), 0);
	CHECK_STR(tx.id, "abc123");
	CHECK(mtasts_is_txt("v=STSv1; id=1", 13));
	CHECK(!mtasts_is_txt("v=spf1", 6));

	for (i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
		int rc = mtasts_policy_parse(pol[i].body, strlen(pol[i].body),
		    &p);

		if (rc != pol[i].rc)
			fprintf(stderr, "policy %zu: %d notes, first: %s\n", i,
			    p.nnote, p.nnote ? p.note[0].text : "-");
		CHECK_INT(rc, pol[i].rc);
		if (pol[i].reason != NULL)
			CHECK(note_has(p.note, p.nnote, pol[i].sev,
			    pol[i].reason));
		else
			CHECK_INT(p.nnote, 0);
	}
	CHECK_INT(mtasts_policy_parse(pol[0].body, strlen(pol[0].body), &p), 0);
	CHECK_INT(p.mode, MTASTS_MODE_ENFORCE);
	CHECK_INT(p.max_age, 604800);
	CHECK_INT(p.nmx, 2);
	CHECK_STR(p.mx[1], "*.example.net");
	CHECK_INT(mtasts_policy_parse("a\0b", 3, &p), -1);
	CHECK_STR(mtasts_mode_name(MTASTS_MODE_TESTING), "testing");

	/* mx: patterns (4.1). */
	CHECK(mtasts_mx_match("mail.example.com", "mail.example.com"));
	CHECK(mtasts_mx_match("mail.example.com", "MAIL.Example.com."));
	CHECK(mtasts_mx_match("*.example.com", "mx1.example.com"));
	CHECK(!mtasts_mx_match("*.example.com", "a.mx1.example.com"));
	CHECK(!mtasts_mx_match("*.example.com", "example.com"));
	CHECK(!mtasts_mx_match("*.example.com", ".example.com"));
	CHECK(!mtasts_mx_match("mail.example.com", "mail.example.net"));
	CHECK(!mtasts_mx_match("", "a.b"));

	/* TLS-RPT (RFC 8460 3). */
	CHECK_INT(tlsrpt_parse("v=TLSRPTv1; rua=mailto:r@example.com", 36,
	    &tr), 0);
	CHECK_INT(tr.nrua, 1);
	CHECK_STR(tr.rua[0], "mailto:r@example.com");
	CHECK_INT(tlsrpt_parse("v=TLSRPTv1;rua=mailto:a@b.c,https://r.b.c/x",
	    43, &tr), 0);
	CHECK_INT(tr.nrua, 2);
	CHECK_INT(tlsrpt_parse("v=TLSRPTv1", 10, &tr), -1);
	CHECK(strstr(tr.note[0].text, "rua= is missing") != NULL);
	CHECK_INT(tlsrpt_parse("v=TLSRPTv2; rua=mailto:a@b.c", 28, &tr), -1);
	CHECK_INT(tlsrpt_parse("v=TLSRPTv1; rua=http://a.b/", 27, &tr), -1);
	CHECK_INT(tlsrpt_parse("v=TLSRPTv1; rua=mailto:nobody", 29, &tr), -1);
	CHECK(tlsrpt_is_record("v=TLSRPTv1;", 11));
	CHECK(!tlsrpt_is_record("v=STSv1;", 8));
}
