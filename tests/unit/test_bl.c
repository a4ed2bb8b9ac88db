/*
 * test_bl.c - the blocklist feature without a network: the catalogue
 * parser (good input, each malformed line named by its number), answer
 * codes and their meaning, refusals (Spamhaus 127.255.255.x, URIBL
 * 127.0.0.1, REFUSED) never read as listings, targets and query names, and
 * the check engine over libunbound's local data, canaries included.
 */
#include "harness.h"

#include <event2/event.h>
#include <stdlib.h>

#include "bl/answer.h"
#include "bl/catalogue.h"
#include "bl/check.h"
#include "bl/target.h"
#include "core/buf.h"
#include "core/mem.h"

static struct bl_catalogue *
parse(const char *text, char *err)
{
	return bl_catalogue_parse(text, strlen(text), err, 256);
}

static void
test_catalogue_good(void)
{
	static const char text[] =
	    "# a comment\n"
	    "\n"
	    "notes,Kind,zone,extra,codes,refused,enabled,test,access,impact,role,delist\r\n"
	    "\"a note, with a comma and \"\"quotes\"\"\",ipv4+ipv6,ZEN.Example.,x,"
	    "\"127.0.0.2=spam;127.0.0.4-7=exploit\",127.255.255.254=public resolver,"
	    "yes,,no-public-resolver,high,block,https://example/delist\n"
	    "  # an indented comment\n"
	    ",domain,dbl.example,,127.0.1.&4=phish; 127.0.1.&2=spam,,no,dbltest.com,key+register,,allow,\n"
	    ",ipv4,short.example\n";
	char err[256] = "";
	struct bl_catalogue *c = parse(text, err);
	const struct bl_zone *z;

	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_INT(c->nzones, 3);
	CHECK_INT(c->nenabled, 2);
	z = &c->zones[0];
	CHECK_STR(z->name, "zen.example");
	CHECK_INT(z->kinds, BL_KIND_IPV4 | BL_KIND_IPV6);
	CHECK_INT(z->ncodes, 2);
	CHECK_INT(z->nrefused, 1);
	CHECK_STR(z->codes[1].meaning, "exploit");
	CHECK_INT(z->codes[1].lo, 4);
	CHECK_INT(z->codes[1].hi, 7);
	CHECK_STR(z->notes, "a note, with a comma and \"quotes\"");
	CHECK_INT(z->access, BL_ACCESS_NO_PUBLIC);
	CHECK_INT(z->impact, BL_IMPACT_HIGH);
	CHECK_STR(z->delist, "https://example/delist");
	CHECK(z->test == NULL);
	CHECK_INT(z->line, 4);
	z = bl_catalogue_find(c, "DBL.example.");
	CHECK(z != NULL && z == &c->zones[1]);
	if (z != NULL) {
		CHECK(!z->enabled);
		CHECK_INT(z->role, BL_ROLE_ALLOW);
		CHECK_INT(z->kinds, BL_KIND_DOMAIN);
		CHECK_INT(z->codes[0].bit, 4);
		CHECK_STR(z->test, "dbltest.com");
		CHECK_INT(z->access, BL_ACCESS_KEY | BL_ACCESS_REGISTER);
		CHECK_INT(z->line, 6);
	}
	z = &c->zones[2];
	CHECK(z->enabled);
	CHECK_INT(z->ncodes, 0);
	CHECK_INT(z->impact, BL_IMPACT_LOW);
	CHECK_STR(z->status, "active");
	CHECK(bl_catalogue_find(c, "nope.example") == NULL);
	bl_catalogue_free(c);
}

static void
test_catalogue_errors(void)
{
	static const struct {
		const char	*text;
		const char	*err;	/* a prefix of the reason */
	} t[] = {
		{ "", "no header" },
		{ "# only comments\n", "no header" },
		{ "zone,kind\n", "no zones" },
		{ "zone,codes\nx.example,\n", "line 1: the header must name" },
		{ "zone,kind,zone\n", "line 1: column zone named twice" },
		{ "zone,kind\na.example,ipv4\nb.example,ip4\n",
		    "line 3: kind 'ip4'" },
		{ "zone,kind\n\n\na..example,ipv4\n", "line 4: 'a..example' is not" },
		{ "zone,kind\n-a.example,ipv4\n", NULL },	/* '-' is allowed */
		{ "zone,kind\na.example,ipv4\nA.example.,domain\n",
		    "line 3: zone a.example is already on line 2" },
		{ "zone,kind,codes\na.example,ipv4,127.0.0=x\n",
		    "line 2: '127.0.0' is not an answer code" },
		{ "zone,kind,codes\na.example,ipv4,127.0.0.256=x\n",
		    "line 2: '127.0.0.256' is not" },
		{ "zone,kind,codes\na.example,ipv4,127.0.0.7-4=x\n",
		    "line 2: '127.0.0.7-4' is not" },
		{ "zone,kind,codes\na.example,ipv4,127.0.0.&0=x\n",
		    "line 2: '127.0.0.&0' is not" },
		{ "zone,kind\na.example,\"ipv4\n", "line 2: a quoted field is not closed" },
		{ "zone,kind\na.example,\"ipv4\"x\n", "line 2: text after a closing quote" },
		{ "zone,kind\na.exa\"mple,ipv4\n", "line 2: a quote inside" },
		{ "zone,kind,enabled\na.example,ipv4,maybe\n", "line 2: enabled" },
		{ "zone,kind,role\na.example,ipv4,deny\n", "line 2: role" },
		{ "zone,kind,impact\na.example,ipv4,huge\n", "line 2: impact" },
		{ "zone,kind,access\na.example,ipv4,closed\n", "line 2: access" },
		{ "zone,kind,delist\na.example,ipv4,ftp://x\n", "line 2: delist" },
		{ "zone,kind,test\na.example,ipv4,a b\n", "line 2: test" },
		{ "zone,kind\na.example,ipv4,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
		    "17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32\n",
		    "line 2: more than 32 fields" },
		{ "zone,kind\na.example,ip\x01v4\n", "line 2: a control character" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char err[256] = "";
		struct bl_catalogue *c = parse(t[i].text, err);

		if (t[i].err == NULL) {
			CHECK(c != NULL);
		} else {
			CHECK(c == NULL);
			if (strncmp(err, t[i].err, strlen(t[i].err)) != 0) {
				t_fail++;
				fprintf(stderr, "case %zu: error '%s', want '%s'\n",
				    i, err, t[i].err);
			} else
				t_pass++;
		}
		bl_catalogue_free(c);
	}
}

static void
test_catalogue_limits(void)
{
	struct buf b;
	char err[256] = "";
	struct bl_catalogue *c;
	int i;

	/* A long line is refused with its number, not truncated. */
	buf_init(&b, BUF_UNBOUNDED);
	buf_puts(&b, "zone,kind,notes\na.example,ipv4,");
	for (i = 0; i < BL_LINE_MAX; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\n");
	c = bl_catalogue_parse(b.data, b.len, err, sizeof(err));
	CHECK(c == NULL);
	CHECK(strncmp(err, "line 2: longer than", 19) == 0);
	buf_release(&b);

	/* More codes than a field may hold. */
	buf_init(&b, BUF_UNBOUNDED);
	buf_puts(&b, "zone,kind,codes\na.example,ipv4,");
	for (i = 0; i <= BL_CODES_MAX; i++)
		buf_printf(&b, "127.0.0.%d=x;", i % 250 + 2);
	buf_puts(&b, "\n");
	c = bl_catalogue_parse(b.data, b.len, err, sizeof(err));
	CHECK(c == NULL);
	CHECK(strstr(err, "more than 64 answer codes") != NULL);
	buf_release(&b);

	/* Text that is not NUL-terminated where the length says it ends. */
	c = bl_catalogue_parse("zone,kind\na.example,ipv4\nGARBAGE", 25, err,
	    sizeof(err));
	CHECK(c != NULL && c->nzones == 1);
	bl_catalogue_free(c);
}

static void
test_catalogue_builtin(void)
{
	char err[256] = "";
	struct bl_catalogue *c = bl_catalogue_builtin(err, sizeof(err));
	const struct bl_zone *z;
	int i, dead_on = 0, allow_on = 0, active_on = 0;

	CHECK(c != NULL);
	if (c == NULL) {
		fprintf(stderr, "  builtin: %s\n", err);
		return;
	}
	CHECK(c->nzones > 800);
	CHECK(c->nenabled >= 200);
	for (i = 0; i < c->nzones; i++) {
		z = &c->zones[i];
		if (z->enabled && strcmp(z->status, "dead") == 0)
			dead_on++;
		if (z->enabled && z->role != BL_ROLE_BLOCK)
			allow_on++;
		if (z->enabled && (strcmp(z->status, "active") == 0 ||
		    strcmp(z->status, "unverified") == 0))
			active_on++;
	}
	CHECK_INT(dead_on, 0);
	CHECK_INT(allow_on, 0);
	CHECK_INT(active_on, c->nenabled);
	z = bl_catalogue_find(c, "zen.spamhaus.org");
	CHECK(z != NULL && z->enabled && z->nrefused == 3 &&
	    (z->access & BL_ACCESS_NO_PUBLIC));
	z = bl_catalogue_find(c, "dnsbl.sorbs.net");
	CHECK(z != NULL && !z->enabled && strcmp(z->status, "dead") == 0 &&
	    z->notes != NULL && strstr(z->notes, "SORBS") != NULL);
	z = bl_catalogue_find(c, "dnsbl.njabl.org");
	CHECK(z != NULL && !z->enabled);
	z = bl_catalogue_find(c, "dnsbl.ahbl.org");
	CHECK(z != NULL && !z->enabled);
	z = bl_catalogue_find(c, "multi.uribl.com");
	CHECK(z != NULL && z->enabled && z->kinds == BL_KIND_DOMAIN);
	bl_catalogue_free(c);
}

static uint32_t
ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)(a << 24 | b << 16 | c << 8 | d);
}

static void
test_interpret(void)
{
	static const char text[] =
	    "zone,kind,codes,refused\n"
	    "zen.example,ipv4,\"127.0.0.2=SBL;127.0.0.3=CSS;127.0.0.4-7=XBL;"
	    "127.0.0.10-11=PBL\",\"127.255.255.252=typo;127.255.255.254="
	    "public resolver;127.255.255.255=too many queries\"\n"
	    "multi.example,domain,127.0.0.&2=black;127.0.0.&4=grey;127.0.0.&8=red,"
	    "127.0.0.1=query refused\n"
	    "plain.example,ipv4,,\n";
	char err[256] = "";
	struct bl_catalogue *c = parse(text, err);
	const struct bl_zone *zen, *multi, *plain;
	struct bl_interp r;
	uint32_t a[3];

	CHECK(c != NULL);
	if (c == NULL)
		return;
	zen = &c->zones[0];
	multi = &c->zones[1];
	plain = &c->zones[2];

	a[0] = ip(127, 0, 0, 2);
	bl_interpret(zen, DNS_OK, a, 1, &r);
	CHECK_INT(r.answer, BL_ANS_LISTED);
	CHECK_STR(r.meaning, "SBL");
	a[0] = ip(127, 0, 0, 6);
	bl_interpret(zen, DNS_OK, a, 1, &r);
	CHECK_STR(r.meaning, "XBL");
	a[0] = ip(127, 0, 0, 4);
	a[1] = ip(127, 0, 0, 11);
	a[2] = ip(127, 0, 0, 5);
	bl_interpret(zen, DNS_OK, a, 3, &r);
	CHECK_INT(r.answer, BL_ANS_LISTED);
	CHECK_STR(r.meaning, "XBL; PBL");
	CHECK_INT(r.naddr, 3);

	/* Spamhaus refusing the querier: unchecked, never listed. */
	a[0] = ip(127, 255, 255, 254);
	bl_interpret(zen, DNS_OK, a, 1, &r);
	CHECK_INT(r.answer, BL_ANS_REFUSED);
	CHECK_STR(r.meaning, "public resolver");
	a[0] = ip(127, 255, 255, 255);
	bl_interpret(zen, DNS_OK, a, 1, &r);
	CHECK_STR(r.meaning, "too many queries");
	a[0] = ip(127, 0, 0, 2);
	a[1] = ip(127, 255, 255, 252);
	bl_interpret(zen, DNS_OK, a, 2, &r);
	CHECK_INT(r.answer, BL_ANS_REFUSED);

	/* URIBL's 127.0.0.1 is a refusal; bits are listings. */
	a[0] = ip(127, 0, 0, 1);
	bl_interpret(multi, DNS_OK, a, 1, &r);
	CHECK_INT(r.answer, BL_ANS_REFUSED);
	CHECK_STR(r.meaning, "query refused");
	a[0] = ip(127, 0, 0, 14);
	bl_interpret(multi, DNS_OK, a, 1, &r);
	CHECK_INT(r.answer, BL_ANS_LISTED);
	CHECK_STR(r.meaning, "black; grey; red");
	a[0] = ip(127, 0, 0, 4);
	bl_interpret(multi, DNS_OK, a, 1, &r);
	CHECK_STR(r.meaning, "grey");

	/* A zone that documents nothing still knows the conventions. */
	a[0] = ip(127, 0, 0, 2);
	bl_interpret(plain, DNS_OK, a, 1, &r);
	CHECK_INT(r.answer, BL_ANS_LISTED);
	CHECK_STR(r.meaning, "listed (code 127.0.0.2)");
	a[0] = ip(127, 0, 0, 1);
	bl_interpret(plain, DNS_OK, a, 1, &r);
	CHECK_INT(r.answer, BL_ANS_REFUSED);
	a[0] = ip(127, 255, 255, 254);
	bl_interpret(plain, DNS_OK, a, 1, &r);
	CHECK_INT(r.answer, BL_ANS_REFUSED);
	a[0] = ip(192, 0, 2, 99);
	bl_interpret(plain, DNS_OK, a, 1, &r);
	CHECK_INT(r.answer, BL_ANS_BOGUS);
	CHECK(strstr(r.meaning, "outside 127.0.0.0/8") != NULL);
	a[0] = ip(127, 0, 0, 2);
	a[1] = ip(198, 51, 100, 1);
	bl_interpret(zen, DNS_OK, a, 2, &r);
	CHECK_INT(r.answer, BL_ANS_BOGUS);

	/* DNS statuses. */
	bl_interpret(zen, DNS_NXDOMAIN, NULL, 0, &r);
	CHECK_INT(r.answer, BL_ANS_CLEAN);
	bl_interpret(zen, DNS_NODATA, NULL, 0, &r);
	CHECK_INT(r.answer, BL_ANS_CLEAN);
	bl_interpret(zen, DNS_OK, NULL, 0, &r);
	CHECK_INT(r.answer, BL_ANS_CLEAN);
	bl_interpret(zen, DNS_REFUSED, NULL, 0, &r);
	CHECK_INT(r.answer, BL_ANS_REFUSED);
	bl_interpret(zen, DNS_SERVFAIL, NULL, 0, &r);
	CHECK_INT(r.answer, BL_ANS_ERROR);
	CHECK_STR(r.meaning, "servfail");
	bl_interpret(zen, DNS_TIMEOUT, NULL, 0, &r);
	CHECK_INT(r.answer, BL_ANS_ERROR);
	CHECK_STR(r.meaning, "timeout");
	CHECK_STR(bl_answer_name(BL_ANS_REFUSED), "refused");
	bl_catalogue_free(c);
}

static void
test_codes(void)
{
	struct bl_code *c;
	char err[256];
	int n;

	CHECK(bl_codes_parse("", 0, &c, &n, err, sizeof(err)) == 0 && n == 0);
	CHECK(bl_codes_parse(" ; ;", 4, &c, &n, err, sizeof(err)) == 0 &&
	    n == 0);
	CHECK(bl_codes_parse("127.0.1.2", 9, &c, &n, err, sizeof(err)) == 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(c[0].meaning, "listed");
		CHECK(bl_code_match(&c[0], ip(127, 0, 1, 2)));
		CHECK(!bl_code_match(&c[0], ip(127, 0, 0, 2)));
		CHECK(!bl_code_match(&c[0], ip(127, 0, 1, 3)));
	}
	bl_codes_free(c, n);
	CHECK(bl_codes_parse("127.0.0.&128=cr", 15, &c, &n, err,
	    sizeof(err)) == 0);
	if (n == 1) {
		CHECK(bl_code_match(&c[0], ip(127, 0, 0, 128 + 8)));
		CHECK(!bl_code_match(&c[0], ip(127, 0, 0, 64)));
	}
	bl_codes_free(c, n);
	CHECK(bl_codes_parse("127.0.0.1234=x", 14, &c, &n, err,
	    sizeof(err)) < 0);
	CHECK(bl_codes_parse("127.0.0.2 x=y", 13, &c, &n, err,
	    sizeof(err)) < 0);
}

static void
test_targets(void)
{
	static const struct {
		const char		*in;
		int			 ok;
		enum bl_target_kind	 kind;
		const char		*text;
		const char		*qname;	/* in zone "bl.example" */
	} t[] = {
		{ "192.0.2.1", 1, BL_T_IPV4, "192.0.2.1", "1.2.0.192.bl.example" },
		{ "2001:DB8::1", 1, BL_T_IPV6, "2001:db8::1",
		    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example" },
		{ "[2001:db8::2]", 1, BL_T_IPV6, "2001:db8::2", NULL },
		{ "Mail.Example.COM.", 1, BL_T_NAME, "mail.example.com",
		    "mail.example.com.bl.example" },
		{ "_dmarc.example.com", 1, BL_T_NAME, "_dmarc.example.com", NULL },
		{ "300.1.2.3", 0, 0, NULL, NULL },
		{ "1.2.3", 0, 0, NULL, NULL },
		{ "2001:db8::zz", 0, 0, NULL, NULL },
		{ "localhost", 0, 0, NULL, NULL },
		{ "-bad.example", 0, 0, NULL, NULL },
		{ "bad-.example", 0, 0, NULL, NULL },
		{ "a..example", 0, 0, NULL, NULL },
		{ "a b.example", 0, 0, NULL, NULL },
		{ "", 0, 0, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct bl_target bt;
		const char *err = NULL;
		char q[BL_QNAME_MAX];
		int r = bl_target_parse(t[i].in, &bt, &err);

		if ((r == 0) != t[i].ok) {
			t_fail++;
			fprintf(stderr, "target '%s': %s\n", t[i].in,
			    err ? err : "accepted");
			continue;
		}
		t_pass++;
		if (!t[i].ok) {
			CHECK(err != NULL);
			continue;
		}
		CHECK_INT(bt.kind, t[i].kind);
		CHECK_STR(bt.text, t[i].text);
		if (t[i].qname != NULL) {
			char prefix[BL_PREFIX_MAX], q2[BL_QNAME_MAX];

			CHECK(bl_query_name(&bt, "bl.example", q) == 0);
			CHECK_STR(q, t[i].qname);
			/* The prefix once, then a zone: the same name. */
			CHECK(bl_query_prefix(&bt, prefix) == 0);
			CHECK(bl_query_join(prefix, "bl.example", q2) == 0);
			CHECK_STR(q2, t[i].qname);
		}
	}
	{
		struct bl_target bt;
		const char *err;
		char q[BL_QNAME_MAX], name[256];

		/* A name that does not fit in front of the zone. */
		memset(name, 'a', 63);
		memcpy(name + 63, ".", 1);
		memset(name + 64, 'b', 63);
		memcpy(name + 127, ".", 1);
		memset(name + 128, 'c', 63);
		memcpy(name + 191, ".example", 9);
		CHECK(bl_target_parse(name, &bt, &err) == 0);
		CHECK(bl_query_name(&bt, "a-rather-long-zone.example", q) == 0);
		CHECK(bl_query_name(&bt, "an.even.longer.blocklist.zone.name."
		    "that.goes.over.the.limit.example", q) < 0);
		/* 253 characters is the most a name may have, 254 too many. */
		memset(name, 'a', 240);
		name[240] = '\0';
		CHECK(bl_query_join(name, "abcdefghijkl", q) == 0);
		CHECK_INT((int)strlen(q), 253);
		CHECK(bl_query_join(name, "abcdefghijklm", q) < 0);
	}
}

/* The engine over libunbound's local data: no server at all. */
static const char *const local[] = {
	"local-zone: good.test. static",
	"2.0.0.127.good.test. A 127.0.0.2",
	"1.2.0.192.good.test. A 127.0.0.2",
	"1.2.0.192.good.test. TXT \"spam from 192.0.2.1\"",
	"local-zone: blocked.test. static",
	"2.0.0.127.blocked.test. A 127.255.255.254",
	"1.0.0.127.blocked.test. A 127.255.255.254",
	"1.2.0.192.blocked.test. A 127.255.255.254",
	"local-zone: all.test. static",
	"2.0.0.127.all.test. A 127.0.0.2",
	"1.0.0.127.all.test. A 127.0.0.2",
	"1.2.0.192.all.test. A 127.0.0.2",
	"local-zone: stale.test. static",
	"1.2.0.192.stale.test. A 127.0.0.2",
	"local-zone: dom.test. static",
	"test.dom.test. A 127.0.1.2",
	"bad.example.dom.test. A 127.0.1.2",
	"local-zone: hosts.test. static",
	/* bad.example is also resolved as a host name: answer it here,
	 * so nothing leaves the process. */
	"local-zone: example. static",
	"mail.hosts.test. A 192.0.2.1",
	NULL
};

static const struct bl_result *
find(const struct bl_run *r, const struct bl_zone *const *zones,
    const char *query, const char *zone)
{
	int i;

	for (i = 0; i < r->nresults; i++)
		if (strcmp(r->items[r->results[i].item].target->text, query) == 0
		    && strcmp(zones[r->results[i].zone]->name, zone) == 0)
			return &r->results[i];
	return NULL;
}

static void
test_engine(void)
{
	static const char text[] =
	    "zone,kind,codes,refused\n"
	    "good.test,ipv4,127.0.0.2=spam source,\n"
	    "blocked.test,ipv4,,127.255.255.254=public resolver\n"
	    "all.test,ipv4,,\n"
	    "stale.test,ipv4,,\n"
	    "dom.test,domain,127.0.1.2=spam domain,\n";
	const char *inputs[] = { "192.0.2.1", "192.0.2.2", "bad.example",
	    "mail.hosts.test" };
	struct bl_target targets[4];
	const struct bl_zone *zones[8];
	struct dns_params dp = { .local_data = (const char **)local,
	    .timeout_ms = 2000 };
	struct bl_params bp;
	struct event_base *b = event_base_new();
	char err[256] = "", *derr = NULL;
	struct bl_catalogue *c = parse(text, err);
	struct bl_run *r;
	const struct bl_result *res;
	const char *why;
	int i;

	CHECK(c != NULL && b != NULL);
	if (c == NULL || b == NULL)
		return;
	for (i = 0; i < 4; i++)
		CHECK(bl_target_parse(inputs[i], &targets[i], &why) == 0);
	memset(&bp, 0, sizeof(bp));
	bp.dns = dns_new(b, &dp, &derr);
	CHECK(bp.dns != NULL);
	if (bp.dns == NULL) {
		fprintf(stderr, "  dns_new: %s\n", derr ? derr : "?");
		free(derr);
		return;
	}
	for (i = 0; i < c->nzones; i++)
		zones[i] = &c->zones[i];
	bp.zones = zones;
	bp.nzones = c->nzones;
	bp.max_inflight = 3;	/* the queue must drain through a small window */
	r = bl_check(b, &bp, inputs, targets, 4);

	res = find(r, zones, "192.0.2.1", "good.test");
	CHECK(res != NULL && res->status == BL_LISTED);
	if (res != NULL) {
		CHECK_STR(bl_result_meaning(r, res), "spam source");
		CHECK_STR(bl_result_txt(r, res), "spam from 192.0.2.1");
		CHECK_INT(bl_result_naddr(r, res), 1);
		CHECK_INT(bl_result_addr(r, res, 0), 0x7f000002);
		CHECK(bl_result_reason(r, res) == NULL);
	}
	res = find(r, zones, "192.0.2.2", "good.test");
	CHECK(res != NULL && res->status == BL_CLEAN);
	/* A clean answer carries nothing more. */
	CHECK(res != NULL && res->more == 0);
	res = find(r, zones, "192.0.2.1", "blocked.test");
	CHECK(res != NULL && res->status == BL_UNCHECKED);
	if (res != NULL)
		CHECK(bl_result_reason(r, res) != NULL &&
		    strstr(bl_result_reason(r, res), "public resolver") != NULL);
	res = find(r, zones, "192.0.2.1", "all.test");
	CHECK(res != NULL && res->status == BL_UNCHECKED &&
	    (res->flags & BL_RES_DISCARDED));
	res = find(r, zones, "192.0.2.2", "all.test");
	CHECK(res != NULL && res->status == BL_UNCHECKED &&
	    (res->flags & BL_RES_DISCARDED));
	res = find(r, zones, "192.0.2.1", "stale.test");
	CHECK(res != NULL && res->status == BL_UNCHECKED &&
	    (res->flags & BL_RES_DISCARDED));
	res = find(r, zones, "bad.example", "dom.test");
	CHECK(res != NULL && res->status == BL_LISTED);
	res = find(r, zones, "mail.hosts.test", "dom.test");
	CHECK(res != NULL && res->status == BL_CLEAN);
	CHECK_INT(r->inputs[3].naddrs, 1);
	/* 192.0.2.1 twice: typed, and as mail.hosts.test's address. */
	CHECK_INT(r->count[BL_LISTED], 3);
	CHECK_INT(r->nwarnings >= 2, 1);
	for (i = 0; i < r->ncanaries; i++)
		if (strcmp(zones[r->canaries[i].zone]->name, "good.test") == 0)
			CHECK_INT(r->canaries[i].verdict, BL_CANARY_OK);
		else if (strcmp(zones[r->canaries[i].zone]->name, "all.test") == 0)
			CHECK_INT(r->canaries[i].verdict, BL_CANARY_EVERYTHING);
		else if (strcmp(zones[r->canaries[i].zone]->name, "stale.test") == 0)
			CHECK_INT(r->canaries[i].verdict, BL_CANARY_DEAD);
		else if (strcmp(zones[r->canaries[i].zone]->name, "dom.test") == 0)
			CHECK_INT(r->canaries[i].verdict, BL_CANARY_OK);
	bl_run_free(r);
	dns_free(bp.dns);
	event_base_free(b);
	bl_catalogue_free(c);
}

/* The unlisted-entry canary is asked only once the zone lists something:
 * a clean target costs a lookup and the listed-entry canary a zone, a
 * listed one adds the unlisted entry and the TXT. */
static void
test_engine_canary_queries(void)
{
	static const char text[] =
	    "zone,kind,codes\n"
	    "good.test,ipv4,127.0.0.2=spam source\n";
	const char *clean[] = { "192.0.2.2" }, *listed[] = { "192.0.2.1" };
	struct bl_target tc, tl;
	const struct bl_zone *zones[1];
	struct dns_params dp = { .local_data = (const char **)local,
	    .timeout_ms = 2000 };
	struct bl_params bp;
	struct event_base *b = event_base_new();
	char err[256] = "", *derr = NULL;
	struct bl_catalogue *c = parse(text, err);
	struct bl_run *r;
	const char *why;

	CHECK(c != NULL && b != NULL);
	if (c == NULL || b == NULL)
		return;
	CHECK(bl_target_parse(clean[0], &tc, &why) == 0);
	CHECK(bl_target_parse(listed[0], &tl, &why) == 0);
	memset(&bp, 0, sizeof(bp));
	bp.dns = dns_new(b, &dp, &derr);
	CHECK(bp.dns != NULL);
	if (bp.dns == NULL) {
		free(derr);
		return;
	}
	zones[0] = &c->zones[0];
	bp.zones = zones;
	bp.nzones = 1;

	r = bl_check(b, &bp, clean, &tc, 1);
	CHECK_INT(r->queries, 2);
	CHECK_INT(r->count[BL_CLEAN], 1);
	CHECK_INT(r->ncanaries, 1);
	if (r->ncanaries == 1) {
		CHECK(r->canaries[0].pos_asked);
		CHECK(!r->canaries[0].neg_asked);
		CHECK_INT(r->canaries[0].verdict, BL_CANARY_OK);
	}
	bl_run_free(r);

	r = bl_check(b, &bp, listed, &tl, 1);
	CHECK_INT(r->queries, 4);
	CHECK_INT(r->count[BL_LISTED], 1);
	if (r->ncanaries == 1) {
		CHECK(r->canaries[0].neg_asked);
		CHECK_INT(r->canaries[0].neg.answer, BL_ANS_CLEAN);
		CHECK_INT(r->canaries[0].verdict, BL_CANARY_OK);
	}
	bl_run_free(r);
	dns_free(bp.dns);
	event_base_free(b);
	bl_catalogue_free(c);
}

/* max_results bounds a run: lookups past it are not made, and a warning
 * says how many. */
static void
test_engine_cap(void)
{
	static const char text[] =
	    "zone,kind,codes\n"
	    "good.test,ipv4,127.0.0.2=spam source\n"
	    "stale.test,ipv4,\n";
	const char *inputs[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3" };
	struct bl_target targets[3];
	const struct bl_zone *zones[2];
	struct dns_params dp = { .local_data = (const char **)local,
	    .timeout_ms = 2000 };
	struct bl_params bp;
	struct event_base *b = event_base_new();
	char err[256] = "", *derr = NULL;
	struct bl_catalogue *c = parse(text, err);
	struct bl_run *r;
	const char *why;
	int i, found = 0;

	CHECK(c != NULL && b != NULL);
	if (c == NULL || b == NULL)
		return;
	for (i = 0; i < 3; i++)
		CHECK(bl_target_parse(inputs[i], &targets[i], &why) == 0);
	memset(&bp, 0, sizeof(bp));
	bp.dns = dns_new(b, &dp, &derr);
	CHECK(bp.dns != NULL);
	if (bp.dns == NULL) {
		free(derr);
		return;
	}
	zones[0] = &c->zones[0];
	zones[1] = &c->zones[1];
	bp.zones = zones;
	bp.nzones = 2;
	bp.max_results = 5;
	r = bl_check(b, &bp, inputs, targets, 3);
	CHECK_INT(r->nresults, 5);
	CHECK_INT(r->count[BL_LISTED] + r->count[BL_CLEAN] +
	    r->count[BL_UNCHECKED] + r->count[BL_ERROR], 5);
	for (i = 0; i < r->nwarnings; i++)
		found += strstr(r->warnings[i], "1 lookup not made") != NULL;
	CHECK_INT(found, 1);
	bl_run_free(r);
	dns_free(bp.dns);
	event_base_free(b);
	bl_catalogue_free(c);
}

void
run_tests(void)
{
	test_catalogue_good();
	test_catalogue_errors();
	test_catalogue_limits();
	test_catalogue_builtin();
	test_codes();
	test_interpret();
	test_targets();
	test_engine();
	test_engine_cap();
	test_engine_canary_queries();
}
