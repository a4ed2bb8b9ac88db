/*
 * test_dns_msg.c - DNS wire decoding on hand-built packets: every record
 * type mxdoc reads, compression, and the malformed packets a hostile or
 * broken server can send.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>

#include "dns/dns_msg.h"

struct pk {
	uint8_t	b[1024];
	size_t	n;
};

static void
u8(struct pk *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void
u16(struct pk *p, unsigned v)
{
	u8(p, v >> 8);
	u8(p, v & 0xff);
}

static void
u32(struct pk *p, unsigned long v)
{
	u16(p, (unsigned)(v >> 16));
	u16(p, (unsigned)(v & 0xffff));
}

static void
bytes(struct pk *p, const void *s, size_t n)
{
	memcpy(p->b + p->n, s, n);
	p->n += n;
}

/* Writes "a.b.c" as labels; ends with the root unless ptr >= 0, then with
 * a compression pointer to offset ptr. */
static void
name_ptr(struct pk *p, const char *s, int ptr)
{
	while (*s != '\0') {
		size_t l = strcspn(s, ".");

		u8(p, (unsigned)l);
		bytes(p, s, l);
		s += l;
		if (*s == '.')
			s++;
	}
	if (ptr >= 0)
		u16(p, 0xc000 | (unsigned)ptr);
	else
		u8(p, 0);
}

static void
name(struct pk *p, const char *s)
{
	name_ptr(p, s, -1);
}

static void
hdr(struct pk *p, unsigned flags, unsigned qd, unsigned an)
{
	p->n = 0;
	u16(p, 0x1234);
	u16(p, flags);
	u16(p, qd);
	u16(p, an);
	u16(p, 0);
	u16(p, 0);
}

static void
question(struct pk *p, const char *qn, unsigned type)
{
	name(p, qn);
	u16(p, type);
	u16(p, 1);
}

/* Fixed part of an RR; returns where RDLENGTH is, to patch it later. */
static size_t
rr_begin(struct pk *p, unsigned type)
{
	size_t at;

	u16(p, type);
	u16(p, 1);
	u32(p, 300);
	at = p->n;
	u16(p, 0);
	return at;
}

static void
rr_end(struct pk *p, size_t at)
{
	size_t len = p->n - at - 2;

	p->b[at] = (uint8_t)(len >> 8);
	p->b[at + 1] = (uint8_t)len;
}

static int
decode(struct pk *p, struct dns_msg *m, const char **err)
{
	*err = NULL;
	return dns_msg_decode(p->b, p->n, m, err);
}

static void
test_header_and_rcodes(void)
{
	static const struct {
		unsigned	flags;
		int		rcode;
		int		aa, tc, rd, ra, ad;
	} cases[] = {
		{ 0x8180, 0, 0, 0, 1, 1, 0 },
		{ 0x8183, 3, 0, 0, 1, 1, 0 },
		{ 0x8502, 2, 1, 0, 1, 0, 0 },	/* AA, SERVFAIL */
		{ 0x8385, 5, 0, 1, 1, 1, 0 },	/* TC, REFUSED */
		{ 0x81a0, 0, 0, 0, 1, 1, 1 },	/* AD */
	};
	struct dns_msg m;
	const char *err;
	struct pk p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hdr(&p, cases[i].flags, 1, 0);
		question(&p, "example.com", DNS_T_MX);
		CHECK_INT(decode(&p, &m, &err), 0);
		CHECK_INT(m.id, 0x1234);
		CHECK_INT(m.rcode, cases[i].rcode);
		CHECK_INT(m.aa, cases[i].aa);
		CHECK_INT(m.tc, cases[i].tc);
		CHECK_INT(m.rd, cases[i].rd);
		CHECK_INT(m.ra, cases[i].ra);
		CHECK_INT(m.ad, cases[i].ad);
		CHECK_INT(m.nanswer, 0);
		dns_msg_release(&m);
	}
}

static void
test_a_aaaa(void)
{
	struct dns_msg m;
	const char *err;
	struct pk p;
	uint8_t v6[16];
	char txt[64];
	size_t at;

	hdr(&p, 0x8180, 1, 2);
	question(&p, "Mail.Example.COM", DNS_T_A);
	name_ptr(&p, "", 12);		/* the question's name */
	at = rr_begin(&p, DNS_T_A);
	bytes(&p, "\xc0\x00\x02\x01", 4);
	rr_end(&p, at);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_A);
	bytes(&p, "\xc0\x00\x02\x02", 4);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), 0);
	CHECK_INT(m.nanswer, 2);
	if (m.nanswer == 2) {
		CHECK_STR(m.answer[0].name, "mail.example.com");
		CHECK_INT(m.answer[0].type, DNS_T_A);
		CHECK_INT(m.answer[0].rclass, 1);
		CHECK_INT(m.answer[0].ttl, 300);
		CHECK_STR(inet_ntop(AF_INET, &m.answer[1].u.a, txt,
		    sizeof(txt)), "192.0.2.2");
	}
	dns_msg_release(&m);

	hdr(&p, 0x8180, 1, 1);
	question(&p, "example.com", DNS_T_AAAA);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_AAAA);
	inet_pton(AF_INET6, "2001:db8::25", v6);
	bytes(&p, v6, 16);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), 0);
	CHECK_INT(m.nanswer, 1);
	if (m.nanswer == 1)
		CHECK_STR(inet_ntop(AF_INET6, &m.answer[0].u.aaaa, txt,
		    sizeof(txt)), "2001:db8::25");
	dns_msg_release(&m);

	/* An A record of 5 bytes is malformed, not truncated to 4. */
	hdr(&p, 0x8180, 1, 1);
	question(&p, "example.com", DNS_T_A);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_A);
	bytes(&p, "\x01\x02\x03\x04\x05", 5);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "bad A record length");
	CHECK_INT(m.nanswer, 0);
	CHECK(m.answer == NULL);
}

static void
test_mx(void)
{
	static const struct {
		unsigned	 pref;
		const char	*host;
		const char	*want;
	} cases[] = {
		{ 10, "mx1.example.com", "mx1.example.com" },
		{ 20, "MX2.Example.Com", "mx2.example.com" },
		{ 0, "", "" },			/* null MX, RFC 7505 */
	};
	struct dns_msg m;
	const char *err;
	struct pk p;
	size_t i, at;

	hdr(&p, 0x8180, 1, 3);
	question(&p, "example.com", DNS_T_MX);
	for (i = 0; i < 3; i++) {
		name_ptr(&p, "", 12);
		at = rr_begin(&p, DNS_T_MX);
		u16(&p, cases[i].pref);
		name(&p, cases[i].host);
		rr_end(&p, at);
	}
	CHECK_INT(decode(&p, &m, &err), 0);
	CHECK_INT(m.nanswer, 3);
	for (i = 0; i < 3 && (int)i < m.nanswer; i++) {
		CHECK_STR(m.answer[i].name, "example.com");
		CHECK_INT(m.answer[i].u.mx.pref, cases[i].pref);
		CHECK_STR(m.answer[i].u.mx.host, cases[i].want);
	}
	dns_msg_release(&m);

	/* MX host compressed against the owner: "mx" + pointer. */
	hdr(&p, 0x8180, 1, 1);
	question(&p, "example.com", DNS_T_MX);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_MX);
	u16(&p, 5);
	name_ptr(&p, "mx", 12);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), 0);
	if (m.nanswer == 1)
		CHECK_STR(m.answer[0].u.mx.host, "mx.example.com");
	dns_msg_release(&m);

	/* The host runs past RDLENGTH: the name must end inside the data. */
	hdr(&p, 0x8180, 1, 1);
	question(&p, "example.com", DNS_T_MX);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_MX);
	u16(&p, 5);
	name(&p, "mx.example.com");
	rr_end(&p, at);
	p.b[at + 1] -= 4;
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "truncated name");

	/* MX with only a preference. */
	hdr(&p, 0x8180, 1, 1);
	question(&p, "example.com", DNS_T_MX);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_MX);
	u8(&p, 0);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "truncated MX record");
}

static void
test_txt(void)
{
	struct dns_msg m;
	const char *err;
	struct pk p;
	size_t at;

	hdr(&p, 0x8180, 1, 2);
	question(&p, "example.com", DNS_T_TXT);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_TXT);
	u8(&p, 14);
	bytes(&p, "v=spf1 ip4:192", 14);
	u8(&p, 15);
	bytes(&p, ".0.2.0/24 -all\"", 15);
	u8(&p, 0);
	rr_end(&p, at);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_TXT);
	rr_end(&p, at);			/* no strings at all */
	CHECK_INT(decode(&p, &m, &err), 0);
	CHECK_INT(m.nanswer, 2);
	if (m.nanswer == 2) {
		CHECK_STR(m.answer[0].u.txt.data,
		    "v=spf1 ip4:192.0.2.0/24 -all\"");
		CHECK_INT(m.answer[0].u.txt.len, 29);
		CHECK_INT(m.answer[0].u.txt.nstrings, 3);
		CHECK_STR(m.answer[1].u.txt.data, "");
		CHECK_INT(m.answer[1].u.txt.nstrings, 0);
	}
	dns_msg_release(&m);

	/* A string length that passes the record's end. */
	hdr(&p, 0x8180, 1, 1);
	question(&p, "example.com", DNS_T_TXT);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_TXT);
	u8(&p, 3);
	bytes(&p, "abc", 3);
	u8(&p, 9);
	bytes(&p, "abc", 3);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "truncated TXT string");
}

static void
test_cname_chain_and_tlsa(void)
{
	static const uint8_t digest[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };
	struct dns_msg m;
	const char *err;
	struct pk p;
	size_t at, mx_at;

	hdr(&p, 0x8180, 1, 3);
	question(&p, "_25._tcp.mail.example.com", DNS_T_TLSA);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_CNAME);
	mx_at = p.n;
	name(&p, "mx.example.net");
	rr_end(&p, at);
	name_ptr(&p, "", (int)mx_at);
	at = rr_begin(&p, DNS_T_CNAME);
	name_ptr(&p, "mx2", (int)mx_at + 3);	/* mx2.example.net */
	rr_end(&p, at);
	name_ptr(&p, "mx2", (int)mx_at + 3);
	at = rr_begin(&p, DNS_T_TLSA);
	u8(&p, 3);
	u8(&p, 1);
	u8(&p, 1);
	bytes(&p, digest, sizeof(digest));
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), 0);
	CHECK_INT(m.nanswer, 3);
	if (m.nanswer == 3) {
		CHECK_STR(m.answer[0].name, "_25._tcp.mail.example.com");
		CHECK_INT(m.answer[0].type, DNS_T_CNAME);
		CHECK_STR(m.answer[0].u.target, "mx.example.net");
		CHECK_STR(m.answer[1].name, "mx.example.net");
		CHECK_STR(m.answer[1].u.target, "mx2.example.net");
		CHECK_STR(m.answer[2].name, "mx2.example.net");
		CHECK_INT(m.answer[2].u.tlsa.usage, 3);
		CHECK_INT(m.answer[2].u.tlsa.selector, 1);
		CHECK_INT(m.answer[2].u.tlsa.mtype, 1);
		CHECK_INT(m.answer[2].u.tlsa.len, sizeof(digest));
		CHECK(memcmp(m.answer[2].u.tlsa.data, digest,
		    sizeof(digest)) == 0);
	}
	dns_msg_release(&m);

	/* TLSA shorter than its three fixed fields. */
	hdr(&p, 0x8180, 0, 1);
	name(&p, "x");
	at = rr_begin(&p, DNS_T_TLSA);
	u16(&p, 0x0301);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "truncated TLSA record");
}

static void
test_names(void)
{
	static const struct {
		const char	*label;		/* one label, raw bytes */
		size_t		 n;
		const char	*want;
	} cases[] = {
		{ "ABC-def_9", 9, "abc-def_9" },
		{ "a.b", 3, "a\\046b" },
		{ "sp ce", 5, "sp\\032ce" },
		{ "\x00\xff", 2, "\\000\\255" },
		{ "\\", 1, "\\092" },
	};
	struct dns_msg m;
	const char *err;
	struct pk p;
	size_t i, at;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hdr(&p, 0x8180, 0, 1);
		u8(&p, (unsigned)cases[i].n);
		bytes(&p, cases[i].label, cases[i].n);
		name(&p, "org");
		at = rr_begin(&p, 99);		/* an unknown type */
		bytes(&p, "\x01\x02", 2);
		rr_end(&p, at);
		CHECK_INT(decode(&p, &m, &err), 0);
		if (m.nanswer == 1) {
			char want[64];

			snprintf(want, sizeof(want), "%s.org", cases[i].want);
			CHECK_STR(m.answer[0].name, want);
			CHECK_INT(m.answer[0].u.raw.len, 2);
		}
		dns_msg_release(&m);
	}

	/* The root as an owner is "". */
	hdr(&p, 0x8180, 0, 1);
	name(&p, "");
	at = rr_begin(&p, DNS_T_NS);
	name(&p, "a.root-servers.net");
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), 0);
	if (m.nanswer == 1) {
		CHECK_STR(m.answer[0].name, "");
		CHECK_STR(m.answer[0].u.target, "a.root-servers.net");
	}
	dns_msg_release(&m);

	CHECK_STR(dns_type_name(DNS_T_MX), "MX");
	CHECK_STR(dns_type_name(DNS_T_TLSA), "TLSA");
	CHECK_STR(dns_type_name(65), "TYPE65");
}

static void
test_malformed(void)
{
	struct dns_msg m;
	const char *err;
	struct pk p;
	size_t at, i;
	int r;

	/* A pointer to itself, and two pointing at each other. */
	hdr(&p, 0x8180, 1, 0);
	u16(&p, 0xc000 | 12);
	u16(&p, 1);
	u16(&p, 1);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "compression pointer loop");

	hdr(&p, 0x8180, 1, 0);
	u16(&p, 0xc000 | 14);
	u16(&p, 0xc000 | 12);
	u16(&p, 1);
	u16(&p, 1);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "compression pointer loop");

	/* A pointer past the end. */
	hdr(&p, 0x8180, 1, 0);
	u16(&p, 0xc000 | 500);
	u16(&p, 1);
	u16(&p, 1);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "truncated name");

	/* Labels of 0x40 and 0x80 types are not for us. */
	hdr(&p, 0x8180, 1, 0);
	u8(&p, 0x41);
	u8(&p, 0);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "unsupported label type");

	/* A name over 255 bytes, built from labels of 63. */
	hdr(&p, 0x8180, 1, 0);
	for (i = 0; i < 5; i++) {
		u8(&p, 63);
		memset(p.b + p.n, 'a', 63);
		p.n += 63;
	}
	u8(&p, 0);
	u16(&p, 1);
	u16(&p, 1);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "name too long");

	/* More answers claimed than the packet could hold. */
	hdr(&p, 0x8180, 1, 200);
	question(&p, "example.com", DNS_T_A);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "truncated answer section");

	/* Every proper prefix of a good packet fails cleanly. */
	hdr(&p, 0x8180, 1, 2);
	question(&p, "example.com", DNS_T_MX);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_MX);
	u16(&p, 10);
	name_ptr(&p, "mx", 12);
	rr_end(&p, at);
	name_ptr(&p, "", 12);
	at = rr_begin(&p, DNS_T_TXT);
	u8(&p, 4);
	bytes(&p, "spf1", 4);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), 0);
	dns_msg_release(&m);
	r = 0;
	for (i = 0; i < p.n; i++) {
		err = NULL;
		if (dns_msg_decode(p.b, i, &m, &err) != -1 || err == NULL)
			r++;
	}
	CHECK_INT(r, 0);
	/* The header alone is too short by one byte. */
	CHECK_INT(dns_msg_decode(p.b, 11, &m, &err), -1);
	CHECK_STR(err, "truncated header");

	/* Record data longer than an A record's contents: RDLENGTH claims
	 * more than the packet has. */
	hdr(&p, 0x8180, 0, 1);
	name(&p, "x");
	at = rr_begin(&p, DNS_T_A);
	bytes(&p, "\x01\x02\x03\x04", 4);
	rr_end(&p, at);
	p.b[at + 1] = 40;
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "truncated resource record");

	/* A CNAME whose target ends before RDLENGTH does. */
	hdr(&p, 0x8180, 0, 1);
	name(&p, "x");
	at = rr_begin(&p, DNS_T_CNAME);
	name(&p, "y");
	u8(&p, 0);
	rr_end(&p, at);
	CHECK_INT(decode(&p, &m, &err), -1);
	CHECK_STR(err, "record data longer than its contents");
}

void
run_tests(void)
{
	test_header_and_rcodes();
	test_a_aaaa();
	test_mx();
	test_txt();
	test_cname_chain_and_tlsa();
	test_names();
	test_malformed();
}
