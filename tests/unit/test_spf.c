/*
 * test_spf.c - SPF (RFC 7208): the record parser (valid and invalid
 * records and their reasons), macro expansion with section 7.4's
 * examples, addresses and CIDR matching, and check_host() end to end over
 * libunbound's local data, hostile records included.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth/spf.h"
#include "auth/spf_eval.h"
#include "core/buf.h"
#include "core/mem.h"
#include "dns/resolver.h"
#include "harness.h"

/* ---- parser --------------------------------------------------------- */

static void
test_parse(void)
{
	static const struct {
		const char	*rec;
		int		 nterm;		/* -1: a permerror */
		int		 dns_terms;
		const char	*why;		/* a part of the reason */
	} t[] = {
		{ "v=spf1", 0, 0, NULL },
		{ "V=SpF1 -all", 1, 0, NULL },
		{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all", 3, 0, NULL },
		{ "v=spf1  a  mx  -all   ", 3, 2, NULL },
		{ "v=spf1 a/24//64 mx:example.com/26 ptr ptr:example.org "
		  "exists:%{i}.bl.example.net include:_spf.example.com ?all",
		  7, 6, NULL },
		{ "v=spf1 redirect=_spf.example.com", 1, 1, NULL },
		{ "v=spf1 -all exp=explain._spf.%{d}", 2, 0, NULL },
		{ "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", 3, 0,
		  NULL },
		{ "v=spf1 a:foo:bar/baz.example.com", 1, 1, NULL },
		{ "v=spf1 a:foo.example.xn--zckzah -all", 2, 1, NULL },
		{ "v=spf1 default=+", 1, 0, NULL },
		{ "v=spf1 a:%{H}.bar -all", 2, 1, NULL },
		{ "v=spf1 a:mail.example...com", 1, 1, NULL },
		{ "v=spf10", -1, 0, "not an SPF record" },
		{ "spf1 -all", -1, 0, "not an SPF record" },
		{ "v=spf1 -all moo", -1, 0, "unknown mechanism" },
		{ "v=spf1 -all.", -1, 0, "unknown mechanism" },
		{ "v=spf1 -all:foobar", -1, 0, "after all" },
		{ "v=spf1 -all/8", -1, 0, "after all" },
		{ "v=spf1 ip4:1.2.3.4/33", -1, 0, "prefix length" },
		{ "v=spf1 ip4:1.2.3.4/032", -1, 0, "prefix length" },
		{ "v=spf1 ip4:1.2.3", -1, 0, "not an IPv4" },
		{ "v=spf1 ip4:01.2.3.4", -1, 0, "not an IPv4" },
		{ "v=spf1 ip4:1.2.3.4:8080", -1, 0, "not an IPv4" },
		{ "v=spf1 ip4:1.2.3.4//32", -1, 0, "prefix length" },
		{ "v=spf1 ip4", -1, 0, "needs an address" },
		{ "v=spf1 ip6:::1.1.1.1/129", -1, 0, "prefix length" },
		{ "v=spf1 ip6:::1.1.1.1//33", -1, 0, "prefix length" },
		{ "v=spf1 ip6::CAFE::BABE", -1, 0, "not an IPv6" },
		{ "v=spf1 a//129 -all", -1, 0, "IPv6 prefix" },
		{ "v=spf1 a/33", -1, 0, "IPv4 prefix" },
		{ "v=spf1 a/24/64 -all", -1, 0, "IPv4 prefix" },
		{ "v=spf1 a:", -1, 0, "empty domain-spec" },
		{ "v=spf1 a:museum", -1, 0, "top-level label" },
		{ "v=spf1 a:museum.", -1, 0, "top-level label" },
		{ "v=spf1 a:111.222.33.44", -1, 0, "top-level label" },
		{ "v=spf1 a:example.-com", -1, 0, "top-level label" },
		{ "v=spf1 mx:example.com:8080", -1, 0, "top-level label" },
		{ "v=spf1 include", -1, 0, "needs :domain-spec" },
		{ "v=spf1 include:ip5.example.com/24", -1, 0, "top-level" },
		{ "v=spf1 exists:mail.example.com/24", -1, 0, "top-level" },
		{ "v=spf1 ptr/0 -all", -1, 0, "after ptr" },
		{ "v=spf1 redirect:t2.example.com", -1, 0, "unknown mechanism" },
		{ "v=spf1 moo.cow/far_out=man:dog/cat", -1, 0, "unknown" },
		{ "v=spf1 =all", -1, 0, "modifier name" },
		{ "v=spf1 1up=foo", -1, 0, "modifier name" },
		{ "v=spf1 -all foo=%abc", -1, 0, "not a macro" },
		{ "v=spf1 exp= -all", -1, 0, "empty domain-spec" },
		{ "v=spf1 exp=a.example.com exp=b.example.com", -1, 0, "twice" },
		{ "v=spf1 redirect=a.example.com redirect=a.example.com", -1, 0,
		  "twice" },
		{ "v=spf1 redirect=-all", -1, 0, "top-level" },
		{ "v=spf1 -all exp=%{r}.example.com", -1, 0, "outside exp" },
		{ "v=spf1 a:%{a}.example.com", -1, 0, "not a macro letter" },
		{ "v=spf1 exists:%(ir).sbl.example.com", -1, 0, "not a macro" },
		{ "v=spf1 exists:foo%.sbl.example.com", -1, 0, "not a macro" },
		{ "v=spf1 exists:%{d0}.example.com", -1, 0, "nonzero" },
		{ "v=spf1 exists:%{d.example.com", -1, 0, "not closed" },
		{ "v=spf1 a:ctrl.example.com\rptr -all", -1, 0, "0x0d" },
		{ "v=spf1 ip4:192.0.2.5\n include:x.example.com", -1, 0, "0x0a" },
		{ "v=spf1 a:example.net \x96" "all", -1, 0, "0x96" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct spf_record *r = NULL;
		char why[SPF_REASON_MAX] = "";
		int rc = spf_record_parse(t[i].rec, strlen(t[i].rec), &r, why);

		if (t[i].nterm < 0) {
			CHECK(rc == -1 && r == NULL);
			if (rc != -1 || strstr(why, t[i].why) == NULL)
				fprintf(stderr, "  record '%s': reason '%s', want "
				    "'%s'\n", t[i].rec, why, t[i].why);
			CHECK(strstr(why, t[i].why) != NULL);
			continue;
		}
		CHECK(rc == 0);
		if (rc != 0) {
			fprintf(stderr, "  record '%s': %s\n", t[i].rec, why);
			continue;
		}
		CHECK_INT(r->nterm, t[i].nterm);
		CHECK_INT(r->dns_terms, t[i].dns_terms);
		spf_record_free(r);
	}
}

static void
test_parse_fields(void)
{
	struct spf_record *r;
	char why[SPF_REASON_MAX];
	const char *rec = "v=spf1 ~a:foo:bar/baz.example.com/24//64 -mx/0 "
	    "?ip4:192.0.2.128/25 +ip6:2001:db8::/32 exp=x.%{d} "
	    "redirect=_spf.example.com";

	CHECK(spf_record_parse(rec, strlen(rec), &r, why) == 0);
	CHECK_INT(r->nterm, 6);
	CHECK_INT(r->term[0].qual, SPF_SOFTFAIL);
	CHECK_INT(r->term[0].mech, SPF_M_A);
	CHECK_STR(r->term[0].spec, "foo:bar/baz.example.com");
	CHECK_INT(r->term[0].cidr4, 24);
	CHECK_INT(r->term[0].cidr6, 64);
	CHECK_INT(r->term[1].qual, SPF_FAIL);
	CHECK(r->term[1].spec == NULL);
	CHECK_INT(r->term[1].cidr4, 0);
	CHECK_INT(r->term[1].cidr6, 128);
	CHECK_INT(r->term[2].qual, SPF_NEUTRAL);
	CHECK_INT(r->term[2].addr[3], 128);
	CHECK_INT(r->term[2].cidr4, 25);
	CHECK_INT(r->term[3].qual, SPF_PASS);
	CHECK_INT(r->term[3].addr[2], 0x0d);
	CHECK_INT(r->exp, 4);
	CHECK(r->term[4].spec_macro);
	CHECK_INT(r->redirect, 5);
	CHECK_STR(r->term[5].spec, "_spf.example.com");
	CHECK_INT(r->dns_terms, 3);
	spf_record_free(r);
	CHECK(spf_record_free(NULL) == NULL);
}

static void
test_is_record(void)
{
	CHECK(spf_is_record("v=spf1", 6));
	CHECK(spf_is_record("v=spf1 -all", 11));
	CHECK(spf_is_record("V=SPF1 ", 7));
	CHECK(!spf_is_record("v=spf10", 7));
	CHECK(!spf_is_record("v=spf1\t-all", 11));
	CHECK(!spf_is_record("v=spf", 5));
	CHECK(!spf_is_record(" v=spf1", 7));
}

/* ---- macros (section 7.4) ------------------------------------------ */

static void
test_macros(void)
{
	struct spf_addr a4, a6;
	struct spf_macro_ctx c = {
		.sender = "strong-bad@email.example.com",
		.local = "strong-bad",
		.sender_domain = "email.example.com",
		.domain = "email.example.com",
		.helo = "mx.example.org",
		.validated = "mx.example.org",
		.receiver = "mx.receiver.example",
		.now = 1700000000,
	};
	static const struct {
		const char	*in;
		unsigned	 flags;
		int		 v6;
		const char	*want;
	} t[] = {
		{ "%{s}", 0, 0, "strong-bad@email.example.com" },
		{ "%{o}", 0, 0, "email.example.com" },
		{ "%{d}", 0, 0, "email.example.com" },
		{ "%{d4}", 0, 0, "email.example.com" },
		{ "%{d3}", 0, 0, "email.example.com" },
		{ "%{d2}", 0, 0, "example.com" },
		{ "%{d1}", 0, 0, "com" },
		{ "%{dr}", 0, 0, "com.example.email" },
		{ "%{d2r}", 0, 0, "example.email" },
		{ "%{l}", 0, 0, "strong-bad" },
		{ "%{l-}", 0, 0, "strong.bad" },
		{ "%{lr}", 0, 0, "strong-bad" },
		{ "%{lr-}", 0, 0, "bad.strong" },
		{ "%{l1r-}", 0, 0, "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", 0, 0,
		  "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", 0, 0, "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", 0, 0,
		  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", 0, 0,
		  "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net", 0, 0,
		  "example.com.trusted-domains.example.net" },
		{ "%{ir}.%{v}._spf.%{d2}", 0, 1,
		  "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0."
		  "2.ip6._spf.example.com" },
		/* Literals and escapes (7.1), upper case URL-escapes (7.3). */
		{ "%%%_%-", 0, 0, "% %20" },
		{ "%{L}", 0, 0, "strong-bad" },
		{ "%{S}", 0, 0, "strong-bad%40email.example.com" },
		{ "%{p}", 0, 0, "mx.example.org" },
		{ "%{h}", 0, 0, "mx.example.org" },
		{ "%{i}", 0, 0, "192.0.2.3" },
		{ "%{c} %{r} %{t}", SPF_MACRO_EXP, 0,
		  "192.0.2.3 mx.receiver.example 1700000000" },
		{ "%{c}", SPF_MACRO_EXP, 1, "2001:db8::cb01" },
		{ "%{d999}", 0, 0, "email.example.com" },
		{ "%{l2r+-}", 0, 0, "bad.strong" },
		/* Target names: a final dot goes. */
		{ "%{d}.", SPF_MACRO_DOMAIN, 0, "email.example.com" },
	};
	struct buf b;
	char why[SPF_REASON_MAX];
	size_t i;

	CHECK(spf_addr_parse("192.0.2.3", &a4) == 0);
	CHECK(spf_addr_parse("2001:db8::cb01", &a6) == 0);
	buf_init(&b, SPF_MACRO_OUT_MAX);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct spf_addr *a = t[i].v6 ? &a6 : &a4;
		int rc;

		c.ip = a->dots;
		c.ip_text = a->text;
		c.ip_version = t[i].v6 ? "ip6" : "in-addr";
		rc = spf_macro_expand(&c, sv_cstr(t[i].in), t[i].flags, &b, why);
		CHECK_INT(rc, SPF_MACRO_OK);
		CHECK_STR(buf_cstr(&b), t[i].want);
	}
	/* The test suite's upper-macro case. */
	c.local = "~jack&jill=up-a_b3.c";
	CHECK_INT(spf_macro_expand(&c, sv_cstr("l=%{L}"), SPF_MACRO_EXP, &b,
	    why), SPF_MACRO_OK);
	CHECK_STR(buf_cstr(&b), "l=~jack%26jill%3Dup-a_b3.c");
	/* %{p} before the PTR lookups. */
	c.validated = NULL;
	CHECK_INT(spf_macro_expand(&c, sv_cstr("%{p}.x"), 0, &b, why),
	    SPF_MACRO_NEED_P);
	buf_release(&b);
}

static void
test_macro_errors(void)
{
	static const struct {
		const char	*in;
		unsigned	 flags;
		const char	*why;
	} t[] = {
		{ "%", 0, "at the end" },
		{ "%x", 0, "not a macro" },
		{ "%{", 0, "not closed" },
		{ "%{d", 0, "not closed" },
		{ "%{dx}", 0, "not closed" },
		{ "%{x}", 0, "not a macro letter" },
		{ "%{c}", 0, "outside exp" },
		{ "%{t}", 0, "outside exp" },
		{ "%{d0}", 0, "nonzero" },
		{ "a b", 0, "0x20" },
		{ "The %{x}-files.", SPF_MACRO_EXP, "not a macro letter" },
		{ "\xef\xbb\xbf" "Explanation", SPF_MACRO_EXP, "0xef" },
	};
	char why[SPF_REASON_MAX];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why[0] = '\0';
		CHECK(spf_macro_check(sv_cstr(t[i].in), t[i].flags, why) == -1);
		if (strstr(why, t[i].why) == NULL)
			fprintf(stderr, "  macro '%s': reason '%s', want '%s'\n",
			    t[i].in, why, t[i].why);
		CHECK(strstr(why, t[i].why) != NULL);
	}
	CHECK(spf_macro_check(sv_cstr("Hello %{l} at %{d}, ask %{r}"),
	    SPF_MACRO_EXP, why) == 0);
	CHECK(spf_macro_check(sv_make("a\0b", 3), 0, why) == -1);
}

static void
test_macro_limits(void)
{
	struct spf_macro_ctx c = { .sender = "x@y.example", .local = "x",
	    .sender_domain = "y.example", .domain = "y.example", .ip = "1.2.3.4",
	    .ip_text = "1.2.3.4", .ip_version = "in-addr", .helo = "h.example",
	    .receiver = "r", .validated = "unknown" };
	struct buf in, out;
	char why[SPF_REASON_MAX];
	int i;

	/* 7.3: the right-most 253 bytes, at a label boundary. */
	buf_init(&in, BUF_UNBOUNDED);
	buf_init(&out, SPF_MACRO_OUT_MAX);
	for (i = 0; i < 30; i++)
		buf_puts(&in, "%{d}.");
	buf_puts(&in, "example.com");
	CHECK_INT(spf_macro_expand(&c, sv_make(in.data, in.len),
	    SPF_MACRO_DOMAIN, &out, why), SPF_MACRO_OK);
	CHECK(out.len <= 253 && out.len > 240);
	CHECK(out.data[0] != '.');
	CHECK(strcmp(out.data + out.len - 12, ".example.com") == 0);
	/* A macro bomb ends in an error, not in memory. */
	buf_reset(&in);
	for (i = 0; i < 30000; i++)
		buf_puts(&in, "%{s}");
	CHECK_INT(spf_macro_expand(&c, sv_make(in.data, in.len), 0, &out,
	    why), SPF_MACRO_ERROR);
	CHECK(strstr(why, "longer") != NULL);
	buf_release(&in);
	buf_release(&out);
}

static void
test_domain_spec(void)
{
	static const struct {
		const char	*spec;
		int		 ok;
		int		 macro;
	} t[] = {
		{ "example.com", 1, 0 }, { "example.com.", 1, 0 },
		{ "%{d}", 1, 1 }, { "x.%{d2}", 1, 1 }, { "%{H}.bar", 1, 1 },
		{ "foo.example.xn--zckzah", 1, 0 }, { "a.b-c", 1, 0 },
		{ "a.1-2", 1, 0 }, { "_spf.%{d}.", 0, 1 }, { "com", 0, 0 },
		{ "a.123", 0, 0 }, { "a.-com", 0, 0 }, { "a.com-", 0, 0 },
		{ "", 0, 0 }, { "%{d}x", 0, 1 }, { "a.com/24", 0, 0 },
		{ "%%", 1, 1 },
	};
	char why[SPF_REASON_MAX];
	size_t i;
	bool m;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = spf_domain_spec_check(sv_cstr(t[i].spec), &m, why);

		if ((rc == 0) != t[i].ok)
			fprintf(stderr, "  domain-spec '%s': %d\n", t[i].spec, rc);
		CHECK((rc == 0) == t[i].ok);
		if (rc == 0)
			CHECK(m == (bool)t[i].macro);
	}
}

/* ---- addresses ------------------------------------------------------ */

static void
test_addresses(void)
{
	static const struct {
		const char	*a, *b;
		int		 bits;
		int		 match;
	} t[] = {
		{ "192.0.2.1", "192.0.2.1", 32, 1 },
		{ "192.0.2.1", "192.0.2.2", 32, 0 },
		{ "192.0.2.1", "192.0.2.255", 24, 1 },
		{ "192.0.2.1", "192.0.3.1", 24, 0 },
		{ "192.0.2.1", "192.0.3.1", 23, 1 },
		{ "192.0.2.129", "192.0.2.128", 25, 1 },
		{ "192.0.2.127", "192.0.2.128", 25, 0 },
		{ "1.2.3.4", "200.1.1.1", 0, 1 },
		{ "2001:db8::1", "2001:db8::2", 128, 0 },
		{ "2001:db8::1", "2001:db8:ffff::", 32, 1 },
		{ "2001:db8::1", "2001:db9::", 32, 0 },
		{ "cafe:babe:8000::", "cafe:babe:8000::", 33, 1 },
		{ "cafe:babe:8000::", "cafe:babe::", 33, 0 },
		{ "1234::1", "::", 0, 1 },
	};
	struct spf_addr x, y;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK(spf_addr_parse(t[i].a, &x) == 0);
		CHECK(spf_addr_parse(t[i].b, &y) == 0);
		CHECK(x.family == y.family);
		CHECK_INT(spf_prefix_match(x.addr, y.addr, x.family == 4 ? 4 : 16,
		    t[i].bits), t[i].match);
	}
	/* Lengths past the address never match. */
	CHECK(!spf_prefix_match(x.addr, y.addr, 4, 33));
	CHECK(!spf_prefix_match(x.addr, y.addr, 4, -1));

	CHECK(spf_addr_parse("::FFFF:1.2.3.4", &x) == 0);
	CHECK_INT(x.family, 4);
	CHECK_STR(x.text, "1.2.3.4");
	CHECK(spf_addr_parse("CAFE:BABE::1", &x) == 0);
	CHECK_STR(x.text, "cafe:babe::1");
	CHECK_STR(x.dots, "c.a.f.e.b.a.b.e.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.1");
	CHECK(spf_addr_parse("1.2.3", &x) == -1);
	CHECK(spf_addr_parse("example.com", &x) == -1);

	{
		uint8_t q[4];

		CHECK(spf_parse_ip4(sv_cstr("255.255.255.255"), q) == 0);
		CHECK(spf_parse_ip4(sv_cstr("0.0.0.0"), q) == 0);
		CHECK(spf_parse_ip4(sv_cstr("256.0.0.0"), q) == -1);
		CHECK(spf_parse_ip4(sv_cstr("1.2.3.04"), q) == -1);
		CHECK(spf_parse_ip4(sv_cstr("1.2.3.4."), q) == -1);
	}
	CHECK(spf_name_ok("a.example.com", true));
	CHECK(spf_name_ok("a.example.com.", true));
	CHECK(!spf_name_ok("localhost", true));
	CHECK(spf_name_ok("localhost", false));
	CHECK(!spf_name_ok("a..example.com", false));
	CHECK(!spf_name_ok("", false));
	CHECK(!spf_name_ok("a1234567890123456789012345678901234567890123456789"
	    "01234567890123.example.com", false));
	CHECK_STR(spf_result_name(SPF_SOFTFAIL), "softfail");
	CHECK_STR(spf_mech_name(SPF_M_EXISTS), "exists");
}

/* ---- check_host() over local data ----------------------------------- */

static struct event_base *base;
static struct spf_outcome *got;
static int callbacks;

static void
on_done(void *arg, struct spf_outcome *o)
{
	(void)arg;
	got = o;
	callbacks++;
}

static void
on_expire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

static struct spf_outcome *
evaluate(struct dns *d, const char *domain, const char *ip,
    const char *sender, const char *helo)
{
	struct spf_params p = { .dns = d, .ip = ip, .sender = sender,
	    .helo = helo, .domain = domain, .receiver = "mx.example.org" };
	struct timeval tv = { 15, 0 };
	struct spf_eval *e;
	struct event *ev;
	char *err = NULL;
	int expired = 0;

	got = NULL;
	e = spf_eval_start(base, &p, on_done, NULL, &err);
	if (e == NULL) {
		fprintf(stderr, "  spf_eval_start: %s\n", err);
		free(err);
		return NULL;
	}
	ev = evtimer_new(base, on_expire, &expired);
	evtimer_add(ev, &tv);
	while (got == NULL && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	if (got == NULL)
		spf_eval_cancel(e);
	return got;
}

static void
test_eval(void)
{
	static const char *fixed[] = {
		"local-zone: example.net. static",
		"pass.example.net. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
		"a.example.net. A 192.0.2.10",
		"a.example.net. AAAA 2001:db8::10",
		"a.example.net. TXT \"v=spf1 a -all\"",
		"mx.example.net. MX 10 a.example.net.",
		"mx.example.net. TXT \"v=spf1 mx ~all\"",
		"inc.example.net. TXT \"v=spf1 include:pass.example.net "
		    "include:a.example.net ?all\"",
		"loop.example.net. TXT \"v=spf1 include:loop.example.net -all\"",
		"redir.example.net. TXT \"v=spf1 redirect=redir.example.net\"",
		"r2.example.net. TXT \"v=spf1 exp=no.example.net "
		    "redirect=exp.example.net\"",
		"many.example.net. TXT \"v=spf1 a:a.example.net a:a.example.net "
		    "a:a.example.net a:a.example.net a:a.example.net "
		    "a:a.example.net a:a.example.net a:a.example.net "
		    "a:a.example.net a:a.example.net a:a.example.net -all\"",
		"void.example.net. TXT \"v=spf1 a:x1.example.net "
		    "a:x2.example.net a:x3.example.net -all\"",
		"exp.example.net. TXT \"v=spf1 -all exp=why.example.net\"",
		"why.example.net. TXT \"%{i} is not one of %{d}'s senders, %{l}\"",
		"no.example.net. TXT \"wrong explanation\"",
		"10.2.0.192.in-addr.arpa. PTR a.example.net.",
		"ptr.example.net. TXT \"v=spf1 ptr:example.net -all\"",
		"pm.example.net. TXT \"v=spf1 exists:%{p}.ok.example.net -all\"",
		"a.example.net.ok.example.net. A 127.0.0.2",
		"two.example.net. TXT \"v=spf1 -all\"",
		"two.example.net. TXT \"v=spf1 +all\"",
		"other.example.net. TXT \"google-site-verification=x\"",
		"bad.example.net. TXT \"v=spf1 a:museum -all\"",
		"null.example.net. TXT \"v=spf1 ip4:\" \"192.0.2.5 -all\"",
		NULL,
	};
	static const struct {
		const char	*domain, *ip, *sender, *helo;
		enum spf_result	 want;
		int		 lookups;	/* -1: not checked */
		const char	*expl;		/* NULL: none */
		const char	*reason;	/* a part of it, or NULL */
	} t[] = {
		{ "pass.example.net", "192.0.2.77", NULL, NULL, SPF_PASS, 0,
		  NULL, NULL },
		{ "pass.example.net", "198.51.100.1", NULL, NULL, SPF_FAIL, 0,
		  NULL, NULL },
		{ "a.example.net", "192.0.2.10", NULL, NULL, SPF_PASS, 1, NULL,
		  NULL },
		{ "a.example.net", "2001:db8::10", NULL, NULL, SPF_PASS, 1, NULL,
		  NULL },
		{ "a.example.net", "::ffff:192.0.2.10", NULL, NULL, SPF_PASS, 1,
		  NULL, NULL },
		{ "mx.example.net", "192.0.2.10", NULL, NULL, SPF_PASS, 1, NULL,
		  NULL },
		{ "mx.example.net", "192.0.2.11", NULL, NULL, SPF_SOFTFAIL, 1,
		  NULL, NULL },
		{ "inc.example.net", "192.0.2.1", NULL, NULL, SPF_PASS, 1, NULL,
		  NULL },
		{ "inc.example.net", "198.51.100.1", NULL, NULL, SPF_NEUTRAL, 3,
		  NULL, NULL },
		{ "loop.example.net", "192.0.2.1", NULL, NULL, SPF_PERMERROR, 11,
		  NULL, "more than 10" },
		{ "redir.example.net", "192.0.2.1", NULL, NULL, SPF_PERMERROR, 11,
		  NULL, "more than 10" },
		{ "many.example.net", "198.51.100.1", NULL, NULL, SPF_PERMERROR,
		  11, NULL, "more than 10" },
		{ "void.example.net", "198.51.100.1", NULL, NULL, SPF_PERMERROR,
		  3, NULL, "void" },
		{ "exp.example.net", "192.0.2.99", "joe@exp.example.net", NULL,
		  SPF_FAIL, 0, "192.0.2.99 is not one of exp.example.net's "
		  "senders, joe", NULL },
		/* 6.2: the redirect target's exp=, not the redirecting one's. */
		{ "r2.example.net", "192.0.2.99", "@r2.example.net", NULL,
		  SPF_FAIL, 1, "192.0.2.99 is not one of exp.example.net's "
		  "senders, postmaster", NULL },
		{ "ptr.example.net", "192.0.2.10", NULL, NULL, SPF_PASS, 1, NULL,
		  NULL },
		{ "ptr.example.net", "192.0.2.11", NULL, NULL, SPF_FAIL, 1, NULL,
		  NULL },
		{ "pm.example.net", "192.0.2.10", NULL, NULL, SPF_PASS, 1, NULL,
		  NULL },
		{ "two.example.net", "192.0.2.1", NULL, NULL, SPF_PERMERROR, 0,
		  NULL, "more than one" },
		{ "other.example.net", "192.0.2.1", NULL, NULL, SPF_NONE, 0, NULL,
		  NULL },
		{ "nowhere.example.net", "192.0.2.1", NULL, NULL, SPF_NONE, 0,
		  NULL, NULL },
		{ "bad.example.net", "192.0.2.1", NULL, NULL, SPF_PERMERROR, 0,
		  NULL, "top-level label" },
		{ "null.example.net", "192.0.2.5", NULL, NULL, SPF_PASS, 0, NULL,
		  NULL },
		/* Identities (2.4, 4.3). */
		{ NULL, "192.0.2.1", "", "pass.example.net", SPF_PASS, 0, NULL,
		  NULL },
		{ NULL, "192.0.2.1", "joe@pass.example.net", "x", SPF_PASS, 0,
		  NULL, NULL },
		{ NULL, "192.0.2.1", "joe@[192.0.2.1]", "x", SPF_NONE, 0, NULL,
		  "4.3" },
		{ NULL, "192.0.2.1", "", "localhost", SPF_NONE, 0, NULL, "4.3" },
	};
	struct dns_params dp = { .local_data = fixed, .timeout_ms = 2000 };
	struct dns *d;
	char *err = NULL;
	size_t i;

	d = dns_new(base, &dp, &err);
	CHECK(d != NULL);
	if (d == NULL) {
		fprintf(stderr, "  dns_new: %s\n", err);
		free(err);
		return;
	}
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct spf_outcome *o = evaluate(d, t[i].domain, t[i].ip,
		    t[i].sender, t[i].helo);

		CHECK(o != NULL);
		if (o == NULL)
			continue;
		if (o->result != t[i].want)
			fprintf(stderr, "  case %zu (%s %s): %s, want %s: %s\n",
			    i, o->domain, o->ip, spf_result_name(o->result),
			    spf_result_name(t[i].want), o->reason ? o->reason :
			    "");
		CHECK_INT(o->result, t[i].want);
		if (t[i].lookups >= 0)
			CHECK_INT(o->lookups, t[i].lookups);
		CHECK_STR(o->explanation, t[i].expl);
		if (t[i].reason != NULL && (o->reason == NULL ||
		    strstr(o->reason, t[i].reason) == NULL))
			fprintf(stderr, "  case %zu: reason '%s', want '%s'\n", i,
			    o->reason ? o->reason : "(null)", t[i].reason);
		if (t[i].reason != NULL)
			CHECK(o->reason != NULL &&
			    strstr(o->reason, t[i].reason) != NULL);
		CHECK(o->ncheck >= 1 && o->nstep >= 1);
		spf_outcome_free(o);
	}
	/* The include tree of inc.example.net. */
	{
		struct spf_outcome *o = evaluate(d, "inc.example.net",
		    "198.51.100.1", NULL, NULL);

		CHECK(o != NULL);
		if (o != NULL) {
			CHECK_INT(o->ncheck, 3);
			CHECK_STR(o->check[1].domain, "pass.example.net");
			CHECK_INT(o->check[1].via, SPF_VIA_INCLUDE);
			CHECK_INT(o->check[1].parent, 0);
			CHECK_INT(o->check[1].result, SPF_FAIL);
			CHECK_INT(o->check[2].result, SPF_FAIL);
			CHECK_INT(o->step[o->check[1].parent_step].kind,
			    SPF_STEP_TERM);
			CHECK_STR(o->step[o->check[1].parent_step].term,
			    "include:pass.example.net");
			spf_outcome_free(o);
		}
	}
	/* The budget walk follows every include, past the match. */
	{
		struct spf_params p = { .dns = d, .ip = "192.0.2.1",
		    .domain = "inc.example.net", .budget = true };
		struct spf_eval *e;
		struct timeval tv = { 10, 0 };
		struct event *ev;
		int expired = 0;

		got = NULL;
		e = spf_eval_start(base, &p, on_done, NULL, &err);
		CHECK(e != NULL);
		ev = evtimer_new(base, on_expire, &expired);
		evtimer_add(ev, &tv);
		while (got == NULL && !expired)
			event_base_loop(base, EVLOOP_ONCE);
		event_free(ev);
		CHECK(got != NULL);
		if (got != NULL) {
			CHECK_INT(got->lookups, 3);
			CHECK_INT(got->ncheck, 3);
			CHECK_INT(got->result, SPF_NEUTRAL);
			CHECK(got->step[3].matched && got->step[3].kind == SPF_STEP_TERM);
			got = spf_outcome_free(got);
		}
	}
	/* Cancel: no callback, nothing left behind. */
	{
		struct spf_params p = { .dns = d, .ip = "192.0.2.1",
		    .domain = "pass.example.net" };
		struct spf_eval *e;
		int before = callbacks;

		e = spf_eval_start(base, &p, on_done, NULL, &err);
		CHECK(e != NULL);
		spf_eval_cancel(e);
		event_base_loop(base, EVLOOP_NONBLOCK);
		CHECK_INT(callbacks, before);
	}
	/* Bad parameters: no handle, a reason. */
	{
		struct spf_params p = { .dns = d, .ip = "192.0.2.300",
		    .domain = "pass.example.net" };

		CHECK(spf_eval_start(base, &p, on_done, NULL, &err) == NULL);
		CHECK(err != NULL);
		free(err);
		err = NULL;
		p.ip = "192.0.2.1";
		p.domain = NULL;
		CHECK(spf_eval_start(base, &p, on_done, NULL, &err) == NULL);
		free(err);
		err = NULL;
	}
	dns_free(d);
}

/* Hostile records: thousands of terms, a macro bomb, a 64 KB TXT. */
static void
test_hostile(void)
{
	const char *zone[5];
	struct buf ip4s, bomb, big;
	struct dns_params dp = { .timeout_ms = 2000 };
	struct spf_outcome *o;
	struct dns *d;
	char *err = NULL;
	int i;

	buf_init(&ip4s, BUF_UNBOUNDED);
	buf_init(&bomb, BUF_UNBOUNDED);
	buf_init(&big, BUF_UNBOUNDED);
	/* 3000 ip4 terms in 255-byte strings: evaluated, no lookups. */
	buf_puts(&ip4s, "ip4s.example.net. TXT \"v=spf1 ");
	for (i = 0; i < 3000; i++) {
		buf_printf(&ip4s, "ip4:10.%d.%d.1 ", i / 250, i % 250);
		if (i % 15 == 14)
			buf_puts(&ip4s, "\" \"");
	}
	buf_puts(&ip4s, "-all\"");
	/* exists: with 14000 %{s}: the expansion passes its bound. */
	buf_puts(&bomb, "bomb.example.net. TXT \"v=spf1 exists:");
	for (i = 0; i < 14000; i++) {
		buf_puts(&bomb, "%{s}");
		if (i % 60 == 59)
			buf_puts(&bomb, "\" \"");
	}
	buf_puts(&bomb, ".example.com -all\"");
	/* A record of nearly 64 KB (a TXT record's RDATA ends at 65535
	 * bytes) with its error at the very end. */
	buf_puts(&big, "big.example.net. TXT \"v=spf1 ");
	for (i = 0; i < 245; i++)
		buf_printf(&big, "%s\" \"", "ip4:192.0.2.1 ip4:192.0.2.2 "
		    "ip4:192.0.2.3 ip4:192.0.2.4 ip4:192.0.2.5 ip4:192.0.2.6 "
		    "ip4:192.0.2.7 ip4:192.0.2.8 ip4:192.0.2.9 ip4:192.0.2.10 "
		    "ip4:192.0.2.11 ip4:192.0.2.12 ip4:192.0.2.13 "
		    "ip4:192.0.2.14 ip4:192.0.2.15 ip4:192.0.2.16 ip4:10.1.1.1 ");
	buf_puts(&big, "-all moo\"");
	zone[0] = "local-zone: example.net. static";
	zone[1] = ip4s.data;
	zone[2] = bomb.data;
	zone[3] = big.data;
	zone[4] = NULL;
	dp.local_data = zone;
	d = dns_new(base, &dp, &err);
	CHECK(d != NULL);
	if (d == NULL) {
		fprintf(stderr, "  dns_new: %s\n", err);
		free(err);
		goto out;
	}
	o = evaluate(d, "ip4s.example.net", "10.11.249.1", NULL, NULL);
	CHECK(o != NULL && o->result == SPF_PASS && o->lookups == 0);
	spf_outcome_free(o);
	o = evaluate(d, "ip4s.example.net", "192.0.2.1", NULL, NULL);
	CHECK(o != NULL && o->result == SPF_FAIL && o->nstep == 3002);
	spf_outcome_free(o);
	o = evaluate(d, "bomb.example.net", "192.0.2.1", "abcdefghij@"
	    "bomb.example.net", NULL);
	CHECK(o != NULL && o->result == SPF_PERMERROR);
	if (o != NULL && (o->reason == NULL ||
	    strstr(o->reason, "longer") == NULL))
		fprintf(stderr, "  bomb: %s\n", o->reason ? o->reason : "");
	CHECK(o != NULL && o->reason != NULL &&
	    strstr(o->reason, "longer") != NULL);
	spf_outcome_free(o);
	o = evaluate(d, "big.example.net", "192.0.2.1", NULL, NULL);
	CHECK(o != NULL);
	if (o != NULL && o->result != SPF_PERMERROR)
		fprintf(stderr, "  big: %s %s %zu\n", spf_result_name(o->result),
		    o->reason ? o->reason : "", o->record ? strlen(o->record) : 0);
	CHECK(o != NULL && o->result == SPF_PERMERROR && o->record != NULL &&
	    strlen(o->record) > 59000);
	spf_outcome_free(o);
	dns_free(d);
out:
	buf_release(&ip4s);
	buf_release(&bomb);
	buf_release(&big);
}

void
run_tests(void)
{
	test_parse();
	test_parse_fields();
	test_is_record();
	test_macros();
	test_macro_errors();
	test_macro_limits();
	test_domain_spec();
	test_addresses();
	base = event_base_new();
	test_eval();
	test_hostile();
	event_base_free(base);
}
