/* DMARC records (RFC 7489 6.3): valid and invalid records with reasons,
 * report URIs, record selection, the organizational domain. */
#include <string.h>

#include "auth/dmarc.h"
#include "harness.h"

/* True when some note of severity sev mentions text. */
static int
has_note(const struct dmarc_record *r, enum severity sev, const char *text)
{
	int i;

	for (i = 0; i < r->nnote; i++)
		if (r->note[i].sev == sev && strstr(r->note[i].text, text))
			return 1;
	return 0;
}

static int
parse(const char *s, struct dmarc_record *r)
{
	return dmarc_parse(s, strlen(s), r);
}

void
run_tests(void)
{
	static struct dmarc_record r;
	char org[256];
	static const struct {
		const char	*rec;
		int		 rc;
		enum severity	 sev;
		const char	*reason;	/* NULL: no warning or error */
	} t[] = {
		{ "v=DMARC1; p=reject", 0, SEV_OK, NULL },
		{ "v=DMARC1;p=none;", 0, SEV_OK, NULL },
		{ "v=DMARC1; p=quarantine; sp=reject; pct=50; adkim=s; "
		  "aspf=r; fo=0:1:d:s; rf=afrf; ri=3600; ruf=mailto:f@x.org",
		  0, SEV_OK, NULL },
		{ "v=DMARC1; p=reject; np=reject; psd=n; t=y", 0, SEV_OK, NULL },
		{ "p=reject; v=DMARC1", -1, SEV_ERROR, "start with v=DMARC1" },
		{ "v=DMARC2; p=reject", -1, SEV_ERROR, "exactly DMARC1" },
		{ "v=dmarc1; p=reject", -1, SEV_ERROR, "exactly DMARC1" },
		{ "v=DMARC1", -1, SEV_ERROR, "p= is missing" },
		{ "v=DMARC1; rua=mailto:a@x.org", 0, SEV_ERROR,
		  "with a valid rua=" },
		{ "v=DMARC1; p=block", -1, SEV_ERROR, "p=block" },
		{ "v=DMARC1; p=reject; sp=all", 0, SEV_ERROR, "sp=all" },
		{ "v=DMARC1; p=reject; pct=101", 0, SEV_ERROR, "pct=101" },
		{ "v=DMARC1; p=reject; pct=-1", 0, SEV_ERROR, "pct=-1" },
		{ "v=DMARC1; p=reject; adkim=relaxed", 0, SEV_ERROR, "adkim" },
		{ "v=DMARC1; p=reject; aspf=S", 0, SEV_ERROR, "aspf" },
		{ "v=DMARC1; p=reject; fo=1:x", 0, SEV_ERROR, "fo=1:x" },
		{ "v=DMARC1; p=reject; fo=1:", 0, SEV_ERROR, "fo=" },
		{ "v=DMARC1; p=reject; rf=iodef", 0, SEV_ERROR, "afrf" },
		{ "v=DMARC1; p=reject; ri=1h", 0, SEV_ERROR, "ri=1h" },
		{ "v=DMARC1; p=reject; rua=dmarc@x.org", 0, SEV_ERROR,
		  "not a URI" },
		{ "v=DMARC1; p=reject; rua=mailto:x.org", 0, SEV_ERROR,
		  "no address" },
		{ "v=DMARC1; p=reject; rua=mailto:a@x.org!10q", 0, SEV_ERROR,
		  "size limit" },
		{ "v=DMARC1; p=reject; rua=https://x.org/r", 0, SEV_WARNING,
		  "not a mailto" },
		{ "v=DMARC1; p=reject; rua=", 0, SEV_ERROR, "empty" },
		{ "v=DMARC1; p=reject; rua=mailto:a@x.org,", 0, SEV_ERROR,
		  "empty URI" },
		{ "v=DMARC1; p=reject; fo=1", 0, SEV_INFO, "without ruf" },
		{ "v=DMARC1; p=reject; foo=bar", 0, SEV_INFO, "unknown tag" },
		{ "v=DMARC1; p=reject; p=none", -1, SEV_ERROR, "twice" },
		{ "v=DMARC1; p=reject; t=maybe", 0, SEV_ERROR, "t=maybe" },
		{ "v=DMARC1; sp=none; p=reject", 0, SEV_WARNING, "follow v=" },
		{ "", -1, SEV_ERROR, "start with v=DMARC1" },
	};
	size_t i;

	t_suite = "dmarc";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = parse(t[i].rec, &r);

		if (rc != t[i].rc)
			fprintf(stderr, "case %zu: %s\n", i, t[i].rec);
		CHECK_INT(rc, t[i].rc);
		if (t[i].reason != NULL) {
			if (!has_note(&r, t[i].sev, t[i].reason))
				fprintf(stderr, "case %zu: no note '%s' (%d "
				    "notes, first: %s)\n", i, t[i].reason,
				    r.nnote, r.nnote ? r.note[0].text : "-");
			CHECK(has_note(&r, t[i].sev, t[i].reason));
		} else {
			CHECK(!has_note(&r, SEV_ERROR, "") &&
			    !has_note(&r, SEV_WARNING, ""));
		}
	}

	/* Values and defaults. */
	CHECK_INT(parse("v=DMARC1; p=reject", &r), 0);
	CHECK_INT(r.p, DMARC_P_REJECT);
	CHECK_INT(r.sp, DMARC_P_UNSET);
	CHECK_INT(r.pct, 100);
	CHECK_INT(r.adkim, 'r');
	CHECK_INT(r.ri, 86400);
	CHECK_INT(parse("v=DMARC1; p=none; sp=quarantine; pct=25; aspf=s; "
	    "rua=mailto:a@Example.ORG!10m, mailto:b@y.net?subject=x!2k",
	    &r), 0);
	CHECK_INT(r.p, DMARC_P_NONE);
	CHECK_INT(r.sp, DMARC_P_QUARANTINE);
	CHECK_INT(r.pct, 25);
	CHECK_INT(r.aspf, 's');
	CHECK_INT(r.nrua, 2);
	CHECK_STR(r.rua[0].uri, "mailto:a@Example.ORG");
	CHECK_STR(r.rua[0].domain, "example.org");
	CHECK_INT(r.rua[0].max_size, 10 * 1048576);
	CHECK_STR(r.rua[1].domain, "y.net");
	CHECK_INT(r.rua[1].max_size, 2048);
	CHECK_STR(dmarc_policy_name(DMARC_P_QUARANTINE), "quarantine");

	/* Selection (6.6.3). */
	CHECK(dmarc_is_record("v=DMARC1; p=none", 16));
	CHECK(dmarc_is_record(" v = DMARC1;p=none", 18));
	CHECK(dmarc_is_record("v=dmarc1", 8));
	CHECK(!dmarc_is_record("v=spf1 -all", 11));
	CHECK(!dmarc_is_record("p=none; v=DMARC1", 16));
	CHECK(!dmarc_is_record("", 0));

	/* Organizational domains through the public suffix list. */
	CHECK_INT(dmarc_org_domain("mail.example.com", org), 0);
	CHECK_STR(org, "example.com");
	CHECK_INT(dmarc_org_domain("a.b.example.co.uk", org), 0);
	CHECK_STR(org, "example.co.uk");
	CHECK_INT(dmarc_org_domain("Sub.Org.Test.", org), 0);
	CHECK_STR(org, "org.test");
	CHECK_INT(dmarc_org_domain("co.uk", org), -1);
	CHECK_INT(dmarc_org_domain("", org), -1);
}
