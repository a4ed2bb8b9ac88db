/*
 * test_dkim.c - DKIM: the canonicalisations of RFC 6376 3.4 (with the
 * 3.4.5 example), the signature and key record parsers, the RFC 8463
 * Appendix A example verified with its keys served by libunbound's local
 * data, sign-then-verify round trips, tampering, and the Mail::DKIM
 * verifier corpus (read from ../shared when it is there) with the
 * agreement printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth/dkim.h"
#include "core/mem.h"
#include "dns/resolver.h"
#include "harness.h"
#include "../dkim/canon_ref.h"

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t k;

	if (f == NULL)
		return NULL;
	buf_init(&b, BUF_UNBOUNDED);
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, k);
	fclose(f);
	*n = b.len;
	return buf_steal(&b);
}

static void
check_body(enum dkim_canon c, const char *in, const char *want)
{
	struct buf out;

	buf_init(&out, 1 << 20);
	dkim_canon_body(c, in, strlen(in), &out);
	CHECK_STR(buf_cstr(&out), want);
	buf_release(&out);
}

/*
 * The header canonicalisation written the slow way, one byte at a time,
 * straight from RFC 6376 3.4 (the body's is in tests/dkim/canon_ref.h):
 * the definitions the span-wise code of dkim_canon.c must match byte for
 * byte, on any input, cut into chunks anywhere.
 */
static void
ref_header(bool relaxed, struct sv raw, struct buf *out)
{
	size_t i, colon, end;
	bool space = false, any = false;

	if (!relaxed) {
		buf_append(out, raw.p, raw.n);
		buf_append(out, "\r\n", 2);
		return;
	}
	for (colon = 0; colon < raw.n && raw.p[colon] != ':'; colon++)
		;
	end = colon;
	while (end > 0 && strchr(" \t\r\n", raw.p[end - 1]) != NULL)
		end--;
	for (i = 0; i < end; i++)
		buf_putc(out, (char)(raw.p[i] >= 'A' && raw.p[i] <= 'Z' ?
		    raw.p[i] + 32 : raw.p[i]));
	buf_putc(out, ':');
	for (i = colon + 1; i < raw.n; i++) {
		if (raw.p[i] == '\r' || raw.p[i] == '\n')
			continue;
		if (raw.p[i] == ' ' || raw.p[i] == '\t') {
			space = true;
			continue;
		}
		if (space && any)
			buf_putc(out, ' ');
		space = false;
		any = true;
		buf_putc(out, raw.p[i]);
	}
	buf_append(out, "\r\n", 2);
}

/* Where the body starts, the slow way: the first LF followed by LF or by
 * CRLF (or an empty first line). */
static long
ref_body_offset(const char *p, size_t n, size_t *hdr_len)
{
	size_t i;

	if (n >= 1 && p[0] == '\n') {
		*hdr_len = 0;
		return 1;
	}
	if (n >= 2 && p[0] == '\r' && p[1] == '\n') {
		*hdr_len = 0;
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 >= n)
			return -1;
		if (p[i + 1] == '\n') {
			*hdr_len = i + 1;
			return (long)(i + 2);
		}
		if (p[i + 1] == '\r') {
			if (i + 2 >= n)
				return -1;
			if (p[i + 2] == '\n') {
				*hdr_len = i + 1;
				return (long)(i + 3);
			}
		}
	}
	return -1;
}

static unsigned long rnd_state = 88172645463325252UL;

static unsigned long
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random bodies and header sections, heavy in the bytes that matter (SP,
 * HTAB, CR, LF), fed whole and in random chunks, with and without an l=
 * cut: the digest, the canonical length and (whole) the bytes agree with
 * the reference. */
static void
test_canon_reference(void)
{
	static const char alpha[] = "ab:  \t\r\n\r\n\r\nxyZ.\r\n";
	char in[600];
	int round, bad = 0, hbad = 0;

	for (round = 0; round < 4000; round++) {
		size_t n = rnd() % sizeof(in), i;
		bool relaxed = round & 1;
		enum dkim_canon c = relaxed ? DKIM_CANON_RELAXED :
		    DKIM_CANON_SIMPLE;
		struct buf want, got;
		struct dkim_body *b;
		unsigned char h1[64], h2[64];
		int64_t limit, clen = -2;
		size_t hl, off;

		for (i = 0; i < n; i++)
			in[i] = round % 7 == 0 ? (char)(rnd() & 0xff) :
			    alpha[rnd() % (sizeof(alpha) - 1)];
		/* Long plain runs now and then, as real text has. */
		if (round % 5 == 0)
			for (i = 0; i + 40 < n; i += 41)
				memset(in + i, 'q', 30);
		{
			size_t h1n = 7, h2n = 7;

			if (ref_body_offset(in, n, &h1n) !=
			    dkim_body_offset(in, n, &h2n) || h1n != h2n)
				bad++;
		}
		buf_init(&want, 1 << 20);
		buf_init(&got, 1 << 20);
		ref_body(relaxed, in, n, &want);
		dkim_canon_body(c, in, n, &got);
		if (want.len != got.len || (want.len > 0 &&
		    memcmp(want.data, got.data, want.len) != 0))
			bad++;
		limit = round % 3 == 0 ? (int64_t)(rnd() % (want.len + 2)) : -1;
		b = dkim_body_new(c, "sha256", limit);
		for (off = 0; off < n; ) {
			size_t k = 1 + rnd() % (round % 4 == 0 ? 3 : 64);

			if (k > n - off)
				k = n - off;
			dkim_body_update(b, in + off, k);
			off += k;
		}
		hl = dkim_body_final(b, h1, &clen);
		dkim_body_free(b);
		EVP_Digest(want.data, limit >= 0 && (size_t)limit < want.len ?
		    (size_t)limit : want.len, h2, NULL, EVP_sha256(), NULL);
		if (hl != 32 || memcmp(h1, h2, 32) != 0 ||
		    clen != (int64_t)want.len)
			bad++;
		buf_release(&want);
		buf_release(&got);

		/* Header fields: split, then each canonicalised. */
		{
			struct dkim_hdrs h;
			const char *err;
			char hdr[600];
			size_t hn = 0;
			int k;

			while (hn + 40 < sizeof(hdr) && rnd() % 8 != 0) {
				int len = (int)(rnd() % 30);

				hn += (size_t)snprintf(hdr + hn, sizeof(hdr) - hn,
				    "%sN%d :", rnd() % 3 ? "" : "X-", len);
				for (k = 0; k < len; k++)
					hdr[hn++] = alpha[rnd() % (sizeof(alpha) -
					    1)];
				/* A line end must be followed by WSP inside. */
				if (hn > 0 && hdr[hn - 1] == '\n')
					hdr[hn++] = ' ';
				if (hn > 1 && hdr[hn - 2] == '\r' &&
				    hdr[hn - 1] != '\n')
					hdr[hn - 1] = 'z';
				hn += (size_t)snprintf(hdr + hn, sizeof(hdr) - hn,
				    "%s", rnd() % 2 ? "\r\n" : "\n");
			}
			if (dkim_hdrs_parse(hdr, hn, &h, &err) == 0)
				for (k = 0; k < h.n; k++) {
					buf_init(&want, 1 << 20);
					buf_init(&got, 1 << 20);
					ref_header(relaxed, h.h[k].raw, &want);
					dkim_canon_header(c, h.h[k].raw, true,
					    &got);
					if (want.len != got.len ||
					    (want.len > 0 && memcmp(want.data,
					    got.data, want.len) != 0))
						hbad++;
					buf_release(&want);
					buf_release(&got);
				}
			dkim_hdrs_release(&h);
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(hbad, 0);
}

static void
test_canon(void)
{
	/* RFC 6376 3.4.5. */
	static const char hdr[] = "A: X\r\nB : Y\t\r\n\tZ  \r\n";
	static const char body[] = " C \r\nD \t E\r\n\r\n\r\n";
	struct dkim_hdrs h;
	struct buf out;
	const char *err = NULL;
	int i;

	CHECK_INT(dkim_hdrs_parse(hdr, strlen(hdr), &h, &err), 0);
	CHECK_INT(h.n, 2);
	buf_init(&out, 4096);
	for (i = 0; i < h.n; i++)
		dkim_canon_header(DKIM_CANON_RELAXED, h.h[i].raw, true, &out);
	CHECK_STR(buf_cstr(&out), "a:X\r\nb:Y Z\r\n");
	buf_reset(&out);
	for (i = 0; i < h.n; i++)
		dkim_canon_header(DKIM_CANON_SIMPLE, h.h[i].raw, true, &out);
	CHECK_STR(buf_cstr(&out), hdr);
	buf_release(&out);
	dkim_hdrs_release(&h);

	check_body(DKIM_CANON_RELAXED, body, " C\r\nD E\r\n");
	check_body(DKIM_CANON_SIMPLE, body, " C \r\nD \t E\r\n");
	/* The empty body (3.4.3, 3.4.4), and bodies of empty lines only. */
	check_body(DKIM_CANON_SIMPLE, "", "\r\n");
	check_body(DKIM_CANON_RELAXED, "", "");
	check_body(DKIM_CANON_SIMPLE, "\r\n\r\n", "\r\n");
	check_body(DKIM_CANON_RELAXED, " \r\n\t\r\n", "");
	/* LF-only input is the CRLF message it stands for; a last line
	 * without an end gets one. */
	check_body(DKIM_CANON_SIMPLE, "a\nb\n\n\n", "a\r\nb\r\n");
	check_body(DKIM_CANON_RELAXED, "a  b \nc", "a b\r\nc\r\n");
	check_body(DKIM_CANON_SIMPLE, "x\ry\r\n", "x\ry\r\n");
	check_body(DKIM_CANON_RELAXED, "\r\n\r\nx", "\r\n\r\nx\r\n");

	/* LF-only headers become CRLF; folding is kept in simple. */
	CHECK_INT(dkim_hdrs_parse("Subject: a\n b\nTo: c\n", 20, &h, &err), 0);
	CHECK_INT(h.n, 2);
	buf_init(&out, 4096);
	dkim_canon_header(DKIM_CANON_SIMPLE, h.h[0].raw, true, &out);
	CHECK_STR(buf_cstr(&out), "Subject: a\r\n b\r\n");
	buf_release(&out);
	dkim_hdrs_release(&h);
	CHECK_INT(dkim_hdrs_parse(" x: y\r\n", 7, &h, &err), -1);
	dkim_hdrs_release(&h);
	CHECK_INT(dkim_hdrs_parse("no colon\r\n", 10, &h, &err), -1);
	dkim_hdrs_release(&h);

	{
		size_t hl = 0;

		CHECK_INT(dkim_body_offset("A: b\r\n\r\nbody", 12, &hl), 8);
		CHECK_INT(hl, 6);
		CHECK_INT(dkim_body_offset("A: b\n\nbody", 10, &hl), 6);
		CHECK_INT(dkim_body_offset("\r\nbody", 6, &hl), 2);
		CHECK_INT(dkim_body_offset("A: b\r\n", 6, &hl), -1);
	}
}

static const struct {
	const char	*value;
	int		 ok;
	const char	*err;	/* a word of the reason */
} sig_cases[] = {
	{ "v=1; a=rsa-sha256; d=example.com; s=s1; h=from:to; bh=AAAA; "
	  "b=AAAA", 0, NULL },
	{ "v=1; a=ed25519-sha256; c=relaxed/simple; d=example.com; s=s1;\r\n"
	  " h=From : To; i=joe@sub.example.com; l=10; t=100; x=200; "
	  "q=dns/txt; bh=AA AA; b=AA\r\n AA", 0, NULL },
	{ "v=2; a=rsa-sha256; d=e.com; s=s; h=from; bh=AAAA; b=AAAA", -1,
	  "version" },
	{ "a=rsa-sha256; d=e.com; s=s; h=from; bh=AAAA; b=AAAA", -1, "v=" },
	{ "v=1; a=rsa-md5; d=e.com; s=s; h=from; bh=AAAA; b=AAAA", -1,
	  "algorithm" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=to:subject; bh=AAAA; b=AAAA",
	  -1, "From" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=AAAA", -1, "b=" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=AAAA; b=", -1,
	  "empty" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=A!AA; b=AAAA", -1,
	  "base64" },
	{ "v=1; a=rsa-sha256; c=future; d=e.com; s=s; h=from; bh=AAAA; "
	  "b=AAAA", -1, "canonicalization" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; i=x@other.com; bh=AAAA; "
	  "b=AAAA", -1, "i=" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; i=x@xe.com; bh=AAAA; "
	  "b=AAAA", -1, "i=" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; q=http; bh=AAAA; "
	  "b=AAAA", -1, "query" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; t=20; x=10; bh=AAAA; "
	  "b=AAAA", -1, "x=" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; l=x; bh=AAAA; b=AAAA",
	  -1, "l=" },
	{ "v=1; v=1; a=rsa-sha256", -1, "twice" },
	{ "v=1; a=rsa-sha256; s=s; h=from; bh=AAAA; b=AAAA", -1, "d=" },
	{ "v=1; a=rsa-sha256; d=e.com; h=from; bh=AAAA; b=AAAA", -1, "s=" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from::to; bh=AAAA; b=AAAA", -1,
	  "empty" },
	{ "v=1; a=rsa-sha256; d=e.com; s=s; h=from; i=a=4@e.com; bh=AAAA; "
	  "b=AAAA", -1, "quoted" },
};

static void
test_sig(void)
{
	size_t i;

	for (i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
		struct dkim_sig s;
		const char *err = NULL;
		const char *v = sig_cases[i].value;
		int rc = dkim_sig_parse(v, strlen(v), &s, &err);

		CHECK_INT(rc, sig_cases[i].ok);
		if (rc < 0 && sig_cases[i].err != NULL &&
		    (err == NULL || strstr(err, sig_cases[i].err) == NULL)) {
			t_fail++;
			fprintf(stderr, "sig case %zu: reason '%s' lacks '%s'\n",
			    i, err ? err : "(null)", sig_cases[i].err);
		}
		if (rc == 0)
			dkim_sig_release(&s);
	}
	{
		const char *v = sig_cases[1].value, *err;
		struct dkim_sig s;

		CHECK_INT(dkim_sig_parse(v, strlen(v), &s, &err), 0);
		CHECK_INT(s.alg, DKIM_ALG_ED25519_SHA256);
		CHECK_INT(s.hcanon, DKIM_CANON_RELAXED);
		CHECK_INT(s.bcanon, DKIM_CANON_SIMPLE);
		CHECK_INT(s.nh, 2);
		CHECK_STR(s.h[0], "From");
		CHECK_STR(s.h[1], "To");
		CHECK_STR(s.identity, "joe@sub.example.com");
		CHECK_INT(s.length, 10);
		CHECK_INT(s.timestamp, 100);
		CHECK_INT(s.expire, 200);
		CHECK_INT(s.bhlen, 3);
		CHECK_INT(s.blen, 3);
		/* The b= value and the white space before it are what the
		 * signature's own hash leaves out. */
		CHECK(strncmp(v + s.b_start - 2, "b=AA\r\n AA", 9) == 0 ||
		    strncmp(v + s.b_start - 2, " b=", 3) == 0);
		CHECK_INT(s.b_end, strlen(v));
		dkim_sig_release(&s);
	}
	{
		const char *v = "v=1; a=rsa-sha256; d=e.com; s=s; h=from; "
		    "i=jl=40x@e.com; b=AAAA; bh=AAAA", *err;
		struct dkim_sig s;

		CHECK_INT(dkim_sig_parse(v, strlen(v), &s, &err), 0);
		CHECK_STR(s.identity, "jl@x@e.com");
		CHECK_STR(v + s.b_end, "; bh=AAAA");
		dkim_sig_release(&s);
	}
}

static const struct {
	const char	*txt;
	int		 ok;
	int		 type;
	int		 revoked;
} key_cases[] = {
	{ "v=DKIM1; k=rsa; p=AAAA", 0, DKIM_KEY_RSA, 0 },
	{ "p=AAAA", 0, DKIM_KEY_RSA, 0 },
	{ "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	  0, DKIM_KEY_ED25519, 0 },
	{ "v=DKIM1; p=", 0, DKIM_KEY_RSA, 1 },
	{ "v=DKIM1; t=y:s; s=email:*; h=sha1:sha256; n=note; p=AAAA", 0,
	  DKIM_KEY_RSA, 0 },
	{ "v=DKIM3; p=AAAA", -1, 0, 0 },
	{ "k=foobar; p=AAAA", -1, 0, 0 },
	{ "v=DKIM1; s=chat; p=AAAA", -1, 0, 0 },
	{ "v=DKIM1; k=rsa", -1, 0, 0 },
	{ "v=DKIM1; k=rsa; t; p=AAAA", -1, 0, 0 },
	{ "v=DKIM1; p=A!AA", -1, 0, 0 },
	{ "v=DKIM1; k=ed25519; p=AAAA", -1, 0, 0 },
};

static void
test_key(void)
{
	size_t i;

	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		struct dkim_key k;
		const char *err = NULL;
		int rc = dkim_key_parse(key_cases[i].txt,
		    strlen(key_cases[i].txt), &k, &err);

		CHECK_INT(rc, key_cases[i].ok);
		if (rc == 0) {
			CHECK_INT(k.type, key_cases[i].type);
			CHECK_INT(k.revoked, key_cases[i].revoked);
		} else
			CHECK(err != NULL);
	}
	{
		struct dkim_key k;
		const char *err, *t = "v=DKIM1; t=y:s; h=sha256; p=AAAA";

		CHECK_INT(dkim_key_parse(t, strlen(t), &k, &err), 0);
		CHECK(k.testing && k.strict && k.allow_sha256 && !k.allow_sha1);
	}
}

/* ---- verification over local DNS data ------------------------------ */

struct vdone {
	struct event_base	*base;
	int			 done;
};

static void
on_done(void *arg, struct dkim_verify *v)
{
	struct vdone *d = arg;

	(void)v;
	d->done = 1;
	event_base_loopbreak(d->base);
}

/* Verifies msg against the zone lines in data; returns the verifier (the
 * caller frees it) or NULL. */
static struct dkim_verify *
verify(const char *msg, size_t n, const char **data, int64_t now)
{
	struct event_base *base = event_base_new();
	struct dns_params dp;
	struct dns *dns;
	struct dkim_verify *v = NULL;
	struct vdone d = { base, 0 };
	const char *err = NULL;
	char *derr = NULL;
	size_t hl;
	long off = dkim_body_offset(msg, n, &hl);

	memset(&dp, 0, sizeof(dp));
	dp.local_data = data;
	dp.timeout_ms = 2000;
	dns = dns_new(base, &dp, &derr);
	if (dns == NULL) {
		fprintf(stderr, "dns_new: %s\n", derr ? derr : "?");
		free(derr);
		event_base_free(base);
		return NULL;
	}
	if (off < 0) {
		hl = n;
		off = (long)n;
	}
	v = dkim_verify_new(msg, hl, now, &err);
	if (v != NULL) {
		size_t i;

		/* Odd chunk sizes: the body is a stream. */
		for (i = (size_t)off; i < n; i += 7)
			dkim_verify_body(v, msg + i, n - i < 7 ? n - i : 7);
		if (dkim_verify_keys(v, base, dns, on_done, &d) == 0)
			event_base_dispatch(base);
		if (!d.done)
			v = dkim_verify_free(v);
	}
	dns_free(dns);
	event_base_free(base);
	return v;
}

/* A TXT record line for local data, split into 255-byte strings. */
static char *
txt_line(const char *name, const char *value)
{
	struct buf b;
	size_t n = strlen(value), i;

	buf_init(&b, BUF_UNBOUNDED);
	buf_printf(&b, "%s. 300 IN TXT", name);
	for (i = 0; i < n || i == 0; i += 255) {
		buf_printf(&b, " \"%.*s\"", (int)(n - i > 255 ? 255 : n - i),
		    value + i);
		if (n == 0)
			break;
	}
	return buf_steal(&b);
}

static const char *rfc8463_data[] = {
	"local-zone: football.example.com. static",
	"brisbane._domainkey.football.example.com. TXT \"v=DKIM1; "
	    "k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"",
	"test._domainkey.football.example.com. TXT \"v=DKIM1; k=rsa; "
	    "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3id"
	    "Y6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/"
	    "BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
	    "Ip3G+2kryOTIKT+l/K4w3QIDAQAB\"",
	NULL
};

static char *
replace(const char *s, size_t n, const char *from, const char *to,
    size_t *outn)
{
	const char *at = memmem(s, n, from, strlen(from));
	struct buf b;

	buf_init(&b, BUF_UNBOUNDED);
	if (at == NULL) {
		buf_append(&b, s, n);
	} else {
		buf_append(&b, s, (size_t)(at - s));
		buf_puts(&b, to);
		buf_append(&b, at + strlen(from), n - (size_t)(at - s) -
		    strlen(from));
	}
	*outn = b.len;
	return buf_steal(&b);
}

static void
test_rfc8463(void)
{
	const char *src = getenv("MXDOC_SRC");
	char path[1024], *msg, *bad;
	size_t n, bn;
	struct dkim_verify *v;

	snprintf(path, sizeof(path), "%s/tests/data/dkim/signed-message.eml",
	    src ? src : ".");
	msg = slurp(path, &n);
	CHECK(msg != NULL);
	if (msg == NULL)
		return;
	v = verify(msg, n, rfc8463_data, 1528637909);
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK_INT(dkim_verify_count(v), 2);
		CHECK_INT(dkim_verify_result(v, 0)->result, DKIM_PASS);
		CHECK_STR(dkim_verify_result(v, 0)->algorithm, "ed25519-sha256");
		CHECK_INT(dkim_verify_result(v, 1)->result, DKIM_PASS);
		CHECK_INT(dkim_verify_result(v, 1)->key_bits, 1024);
		dkim_verify_free(v);
	}
	/* A changed body breaks both body hashes. */
	bad = replace(msg, n, "We lost", "We won", &bn);
	v = verify(bad, bn, rfc8463_data, 1528637909);
	if (v != NULL) {
		CHECK_INT(dkim_verify_result(v, 0)->result, DKIM_FAIL);
		CHECK(strstr(dkim_verify_result(v, 0)->reason, "body hash"));
		CHECK_INT(dkim_verify_result(v, 1)->result, DKIM_FAIL);
		dkim_verify_free(v);
	}
	free(bad);
	/* A changed signed header breaks the signatures. */
	bad = replace(msg, n, "dinner ready", "lunch ready", &bn);
	v = verify(bad, bn, rfc8463_data, 1528637909);
	if (v != NULL) {
		CHECK_INT(dkim_verify_result(v, 0)->result, DKIM_FAIL);
		CHECK(strstr(dkim_verify_result(v, 0)->reason, "signature "
		    "mismatch"));
		CHECK_INT(dkim_verify_result(v, 1)->result, DKIM_FAIL);
		dkim_verify_free(v);
	}
	free(bad);
	/* Unsigned header fields may change; LF-only line ends verify. */
	{
		struct buf lf;
		size_t i;

		buf_init(&lf, BUF_UNBOUNDED);
		for (i = 0; i < n; i++)
			if (msg[i] != '\r')
				buf_putc(&lf, msg[i]);
		v = verify(lf.data, lf.len, rfc8463_data, 1528637909);
		if (v != NULL) {
			CHECK_INT(dkim_verify_result(v, 0)->result, DKIM_PASS);
			CHECK_INT(dkim_verify_result(v, 1)->result, DKIM_PASS);
			dkim_verify_free(v);
		}
		buf_release(&lf);
	}
	/* No key: permerror, key not found. */
	{
		const char *none[] = { "local-zone: football.example.com. "
		    "static", NULL };

		v = verify(msg, n, none, 1528637909);
		if (v != NULL) {
			CHECK_INT(dkim_verify_result(v, 0)->result,
			    DKIM_PERMERROR);
			CHECK(strstr(dkim_verify_result(v, 0)->reason,
			    "key not found"));
			dkim_verify_free(v);
		}
	}
	/* Revoked key. */
	{
		const char *rev[] = { "local-zone: football.example.com. "
		    "static", "brisbane._domainkey.football.example.com. TXT "
		    "\"v=DKIM1; k=ed25519; p=\"", NULL };

		v = verify(msg, n, rev, 1528637909);
		if (v != NULL) {
			CHECK(strstr(dkim_verify_result(v, 0)->reason,
			    "revoked"));
			dkim_verify_free(v);
		}
	}
	free(msg);
}

/* Signs msg with key, then verifies it against the record of that key. */
static void
roundtrip(EVP_PKEY *key, enum dkim_canon hc, enum dkim_canon bc,
    const char *msg, int tamper)
{
	struct dkim_sign_params sp;
	struct dkim_hdrs h;
	struct dkim_body *b;
	struct buf out, rec;
	unsigned char bh[64];
	size_t bhlen, hl;
	long off = dkim_body_offset(msg, strlen(msg), &hl);
	const char *err = NULL, *data[3];
	char *line;
	struct dkim_verify *v;

	memset(&sp, 0, sizeof(sp));
	sp.domain = "example.test";
	sp.selector = "sel";
	sp.key = key;
	sp.hcanon = hc;
	sp.bcanon = bc;
	sp.now = 1700000000;
	CHECK_INT(dkim_hdrs_parse(msg, hl, &h, &err), 0);
	b = dkim_body_new(bc, "sha256", -1);
	dkim_body_update(b, msg + off, strlen(msg + off));
	bhlen = dkim_body_final(b, bh, NULL);
	dkim_body_free(b);
	buf_init(&out, BUF_UNBOUNDED);
	CHECK_INT(dkim_sign(&sp, &h, bh, bhlen, &out, &err), 0);
	dkim_hdrs_release(&h);
	{
		/* Folded at 78 columns. */
		const char *p = out.data, *q;
		int longest = 0;

		while ((q = strstr(p, "\r\n")) != NULL) {
			if (q - p > longest)
				longest = (int)(q - p);
			p = q + 2;
		}
		CHECK(longest <= 78);
	}
	buf_puts(&out, msg);
	if (tamper)
		out.data[out.len - 3] ^= 1;
	buf_init(&rec, 4096);
	dkim_key_record(key, &rec);
	line = txt_line("sel._domainkey.example.test", rec.data);
	data[0] = "local-zone: example.test. static";
	data[1] = line;
	data[2] = NULL;
	v = verify(out.data, out.len, data, 1700000001);
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK_INT(dkim_verify_count(v), 1);
		CHECK_INT(dkim_verify_result(v, 0)->result, tamper ? DKIM_FAIL :
		    DKIM_PASS);
		if (dkim_verify_result(v, 0)->reason && !tamper)
			fprintf(stderr, "roundtrip: %s\n",
			    dkim_verify_result(v, 0)->reason);
		CHECK(strncmp(dkim_verify_result(v, 0)->headers,
		    "from:from:subject:date:to", 25) == 0);
		dkim_verify_free(v);
	}
	free(line);
	buf_release(&rec);
	buf_release(&out);
}

static void
test_sign(void)
{
	static const char msg[] =
	    "From: Joe <joe@example.test>\r\nTo: Sue <sue@example.net>\r\n"
	    "Subject: a  folded\r\n  subject\r\nDate: Mon, 1 Jan 2024 "
	    "00:00:00 +0000\r\nX-Other: not signed\r\n\r\nHello  \r\n\r\n"
	    "body\r\n\r\n";
	static const char lfmsg[] =
	    "From: joe@example.test\nTo: sue@example.net\nSubject: lf\n"
	    "Date: Mon, 1 Jan 2024 00:00:00 +0000\n\nline\n";
	EVP_PKEY *rsa = dkim_keygen(DKIM_KEY_RSA, 2048);
	EVP_PKEY *ed = dkim_keygen(DKIM_KEY_ED25519, 0);
	struct dkim_sign_params sp;
	struct dkim_hdrs h;
	struct buf out;
	const char *err = NULL, *noFrom[] = { "to", NULL };
	unsigned char bh[32] = { 0 };

	CHECK(rsa != NULL && ed != NULL);
	CHECK_STR(dkim_key_alg(rsa), "rsa-sha256");
	CHECK_STR(dkim_key_alg(ed), "ed25519-sha256");
	roundtrip(rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, msg, 0);
	roundtrip(rsa, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, msg, 0);
	roundtrip(ed, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, msg, 0);
	roundtrip(ed, DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED, msg, 0);
	roundtrip(ed, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, lfmsg, 0);
	roundtrip(rsa, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, msg, 1);
	roundtrip(ed, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, msg, 1);

	/* h= without From is refused; default headers need a From. */
	memset(&sp, 0, sizeof(sp));
	sp.domain = "example.test";
	sp.selector = "s";
	sp.key = ed;
	sp.headers = noFrom;
	CHECK_INT(dkim_hdrs_parse("To: x\r\n", 7, &h, &err), 0);
	buf_init(&out, 65536);
	CHECK_INT(dkim_sign(&sp, &h, bh, 32, &out, &err), -1);
	sp.headers = NULL;
	CHECK_INT(dkim_sign(&sp, &h, bh, 32, &out, &err), -1);
	CHECK(strstr(err, "From") != NULL);
	buf_release(&out);
	dkim_hdrs_release(&h);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

/* ---- the Mail::DKIM corpus ----------------------------------------- */

/* Zone lines from FAKE_DNS.dat: "name value", "name NXDOMAIN", or an error
 * marker (left out: those names then answer NXDOMAIN here). */
static char **
fake_dns(const char *path, int *count)
{
	size_t n, i = 0;
	char *text = slurp(path, &n), **lines;
	int k = 0;

	*count = 0;
	if (text == NULL)
		return NULL;
	lines = xcalloc(256, sizeof(*lines));
	lines[k++] = xstrdup("local-zone: messiah.edu. static");
	while (i < n && k < 250) {
		char *eol = memchr(text + i, '\n', n - i), *line, *sp;
		size_t len = eol ? (size_t)(eol - (text + i)) : n - i;

		line = xstrndup(text + i, len);
		i += len + 1;
		if (line[0] == '#' || line[0] == '\0' ||
		    (sp = strchr(line, ' ')) == NULL) {
			free(line);
			continue;
		}
		*sp++ = '\0';
		while (*sp == ' ')
			sp++;
		if (strcmp(sp, "NXDOMAIN") != 0 && strncmp(sp, "~~", 2) != 0)
			lines[k++] = txt_line(line, sp);
		free(line);
	}
	free(text);
	*count = k;
	return lines;
}

/* Does the key a signature of msg names carry a g= tag? */
static bool
g_tag(char **zone, const char *msg, size_t n)
{
	const char *s = memmem(msg, n, "s=", 2);
	char sel[64];
	size_t k = 0;
	int i;

	if (s == NULL)
		return false;
	s += 2;
	while (k + 1 < sizeof(sel) && s < msg + n && *s != ';' && *s != ' ')
		sel[k++] = *s++;
	sel[k] = '\0';
	for (i = 0; zone[i] != NULL; i++)
		if (strncmp(zone[i], sel, k) == 0 && zone[i][k] == '.' &&
		    strstr(zone[i], "g=") != NULL)
			return true;
	return false;
}

static void
test_perl_corpus(void)
{
	const char *shared = getenv("MXDOC_SHARED");
	char dir[1024], path[1200], *tsv, **zone;
	size_t n, i = 0;
	int nzone, agree = 0, weak = 0, differ = 0, total = 0, k;
	int prestd = 0, gtag = 0;

	snprintf(dir, sizeof(dir), "%s/testdata/dkim/perl-mail-dkim",
	    shared ? shared : "../shared");
	snprintf(path, sizeof(path), "%s/expected.tsv", dir);
	tsv = slurp(path, &n);
	if (tsv == NULL) {
		printf("Mail::DKIM corpus: %s not found, skipped\n", path);
		return;
	}
	snprintf(path, sizeof(path), "%s/FAKE_DNS.dat", dir);
	zone = fake_dns(path, &nzone);
	CHECK(zone != NULL);
	if (zone == NULL) {
		free(tsv);
		return;
	}
	while (i < n) {
		char *eol = memchr(tsv + i, '\n', n - i), *line, *file, *want;
		size_t len = eol ? (size_t)(eol - (tsv + i)) : n - i;
		struct dkim_verify *v;
		const char *got = "none", *reason = "";
		char *msg;
		size_t mn;
		int s;

		line = xstrndup(tsv + i, len);
		i += len + 1;
		file = line;
		want = strchr(line, '\t');
		if (want == NULL || strcmp(file, "file\texpected_result") == 0 ||
		    strncmp(file, "file\t", 5) == 0) {
			free(line);
			continue;
		}
		*want++ = '\0';
		if (strchr(want, '\t'))
			*strchr(want, '\t') = '\0';
		snprintf(path, sizeof(path), "%s/corpus/%s", dir, file);
		msg = slurp(path, &mn);
		if (msg == NULL) {
			free(line);
			continue;
		}
		/* Mail::DKIM's verify() result: the best signature's. */
		v = verify(msg, mn, (const char **)zone, 1230000000);
		if (v != NULL) {
			int best = 9;

			for (s = 0; s < dkim_verify_count(v); s++) {
				const struct dkim_sigresult *r =
				    dkim_verify_result(v, s);
				int rank = r->result == DKIM_PASS ? 0 :
				    r->result == DKIM_FAIL ? 1 : 2;

				if (rank < best) {
					best = rank;
					got = rank == 0 ? "pass" : rank == 1 ?
					    "fail" : "invalid";
					reason = r->reason ? r->reason : "";
				}
			}
		}
		total++;
		if (strcmp(got, want) == 0)
			agree++;
		else if (strcmp(want, "pass") == 0 && strstr(reason, "weak") &&
		    strstr(reason, "otherwise valid"))
			weak++;		/* RFC 8301 rejects what 2013 passed */
		else if (strstr(reason, "v=") != NULL)
			prestd++;	/* drafts before RFC 4871: no v=1 */
		else if (strstr(want, "invalid") && strstr(reason, "weak") &&
		    strstr(file, "badkey_") != NULL && g_tag(zone, msg, mn))
			gtag++;		/* g= left DKIM with RFC 6376 */
		else {
			differ++;
			printf("  differs: %-20s Mail::DKIM %-7s mxdoc %s (%s)\n",
			    file, want, got, reason);
		}
		dkim_verify_free(v);
		free(msg);
		free(line);
	}
	printf("Mail::DKIM corpus: %d messages: %d agree; known differences: "
	    "%d pass there but fail here under RFC 8301 (rsa-sha1 or a key "
	    "under 1024 bits, otherwise valid), %d pre-standard signatures "
	    "without v=1, %d keys whose g= RFC 6376 no longer has; %d "
	    "differ otherwise\n", total, agree, weak, prestd, gtag, differ);
	CHECK(total >= 50);
	CHECK(agree >= 20);
	/* Every difference is a known one (doc/dkim.md). */
	CHECK_INT(differ, 0);
	for (k = 0; k < nzone; k++)
		free(zone[k]);
	free(zone);
	free(tsv);
}

/* The key cache: one parse per (name, record), the record text part of
 * the key (a rotated or revoked record is a new entry), errors cached
 * too, and past its bound a record is parsed for its caller alone. */
static void
test_keycache(void)
{
	static const char ed[] = "v=DKIM1; k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
	static const char revoked[] = "v=DKIM1; k=ed25519; p=";
	struct dkim_keycache *c = dkim_keycache_new(3);
	const struct dkim_keyent *a, *b, *e;
	size_t n, hits;

	a = dkim_keycache_get(c, "s._domainkey.example.com", ed, strlen(ed));
	CHECK_INT(a->rc, 0);
	CHECK(a->pkey != NULL);
	CHECK_INT(a->bits, 256);
	b = dkim_keycache_get(c, "s._domainkey.example.com", ed, strlen(ed));
	CHECK(a == b);
	dkim_keycache_put(a);
	dkim_keycache_put(b);
	e = dkim_keycache_get(c, "s._domainkey.example.com", revoked,
	    strlen(revoked));
	CHECK_INT(e->rc, 0);
	CHECK(e->key.revoked);
	CHECK(e->pkey == NULL);
	dkim_keycache_put(e);
	e = dkim_keycache_get(c, "t._domainkey.example.com", "k=dsa; p=AAAA",
	    13);
	CHECK_INT(e->rc, -1);
	CHECK_STR(e->err, "unsupported key type (k=)");
	dkim_keycache_put(e);
	dkim_keycache_stats(c, &n, &hits);
	CHECK_INT((int)n, 3);
	CHECK_INT((int)hits, 1);
	/* Full: parsed, not kept, freed by put (ASan would tell). */
	e = dkim_keycache_get(c, "u._domainkey.example.com", ed, strlen(ed));
	CHECK_INT(e->rc, 0);
	CHECK(e->pkey != NULL);
	dkim_keycache_put(e);
	dkim_keycache_stats(c, &n, &hits);
	CHECK_INT((int)n, 3);
	/* Without a cache. */
	e = dkim_keycache_get(NULL, "u._domainkey.example.com", ed,
	    strlen(ed));
	CHECK(e->pkey != NULL);
	dkim_keycache_put(e);
	dkim_keycache_free(c);
}

void
run_tests(void)
{
	t_suite = "dkim";
	test_canon();
	test_canon_reference();
	test_sig();
	test_key();
	test_keycache();
	test_rfc8463();
	test_sign();
	test_perl_corpus();
}
