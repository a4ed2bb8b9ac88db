/*
 * test_dns_bulk.c - the bulk stub client: its query encoder, its matcher
 * of replies (ids, question names up to case, type and class; what is
 * ignored, what is settled, what is handed back), and the client itself
 * against a small server of this file on a loopback UDP socket that
 * answers right, answers after spoofed datagrams, truncates, drops the
 * first send, or never answers.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/mem.h"
#include "dns/bulk.h"

/* ---- the encoder --------------------------------------------------------- */

static void
test_encode(void)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		1, '2', 1, '0', 1, '0', 3, '1', '2', '7', 3, 'z', 'e', 'n',
		4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
	};
	static const struct {
		const char	*name;
		int		 len;	/* -1: refused */
	} t[] = {
		{ "2.0.0.127.zen.test", (int)sizeof(want) },
		{ "2.0.0.127.zen.test.", (int)sizeof(want) },
		{ "", -1 },
		{ "a..test", -1 },
		{ ".test", -1 },
		{ "a.test..", -1 },
		{ ".", 12 + 1 + 4 },
		{ "\\065b.test", 12 + 3 + 5 + 1 + 4 },
		{ "a\\.b.test", 12 + 4 + 5 + 1 + 4 },
		{ "a\\", -1 },
		{ "a\\256.test", -1 },
		{ "tab\there.test", -1 },
	};
	uint8_t out[DNS_BULK_QUERY_MAX];
	char name[400];
	size_t i;
	int n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = dns_bulk_encode(out, sizeof(out), 0x1234, t[i].name,
		    DNS_T_A);
		if (n != t[i].len)
			fprintf(stderr, "encode \"%s\": %d\n", t[i].name, n);
		CHECK_INT(n, t[i].len);
	}
	n = dns_bulk_encode(out, sizeof(out), 0x1234, "2.0.0.127.zen.test",
	    DNS_T_A);
	CHECK(n == (int)sizeof(want) && memcmp(out, want, sizeof(want)) == 0);
	n = dns_bulk_encode(out, sizeof(out), 1, "\\065b.test", DNS_T_TXT);
	CHECK(n > 0 && out[12] == 2 && out[13] == 'A' && out[14] == 'b' &&
	    out[n - 3] == DNS_T_TXT);
	n = dns_bulk_encode(out, sizeof(out), 1, "a\\.b.test", DNS_T_A);
	CHECK(n > 0 && out[12] == 3 && out[14] == '.');
	/* A label of 63 bytes is the most; a name of 253 characters too. */
	memset(name, 'a', 63);
	snprintf(name + 63, sizeof(name) - 63, ".test");
	CHECK(dns_bulk_encode(out, sizeof(out), 1, name, DNS_T_A) > 0);
	memset(name, 'a', 64);
	snprintf(name + 64, sizeof(name) - 64, ".test");
	CHECK_INT(dns_bulk_encode(out, sizeof(out), 1, name, DNS_T_A), -1);
	for (i = 0; i < 4; i++) {
		memset(name + i * 64, 'a', 63);
		name[i * 64 + 63] = '.';
	}
	name[4 * 64 - 1] = '\0';	/* 4 labels of 63: 255 on the wire */
	CHECK_INT(dns_bulk_encode(out, sizeof(out), 1, name, DNS_T_A), -1);
	name[3 * 64 + 61] = '\0';	/* 253 characters: 255 on the wire */
	CHECK(dns_bulk_encode(out, sizeof(out), 1, name, DNS_T_A) > 0);
	name[3 * 64 + 61] = 'a';
	name[3 * 64 + 62] = 'a';
	name[3 * 64 + 63] = '\0';	/* 255 characters: too long */
	CHECK_INT(dns_bulk_encode(out, sizeof(out), 1, name, DNS_T_A), -1);
	CHECK_INT(dns_bulk_encode(out, 100, 1, "a.test", DNS_T_A), -1);
}

/* ---- the matcher --------------------------------------------------------- */

/* A reply to q: the query with QR and rcode, and records. */
struct reply {
	uint8_t	 p[600];
	size_t	 len;
};

static void
reply_start(struct reply *r, const uint8_t *q, size_t qlen, int rcode)
{
	memcpy(r->p, q, qlen);
	r->len = qlen;
	r->p[2] |= 0x80;
	r->p[3] = (uint8_t)(0x80 | rcode);	/* RA */
}

/* An A record owned by the question's name (a pointer to offset 12). */
static void
reply_a(struct reply *r, uint8_t last)
{
	static const uint8_t rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
	    127, 0, 0 };

	memcpy(r->p + r->len, rr, sizeof(rr));
	r->len += sizeof(rr);
	r->p[r->len++] = last;
	r->p[7]++;
}

static void
reply_cname(struct reply *r, const char *label)
{
	size_t l = strlen(label);
	static const uint8_t rr[] = { 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60 };

	memcpy(r->p + r->len, rr, sizeof(rr));
	r->len += sizeof(rr);
	r->p[r->len++] = 0;
	r->p[r->len++] = (uint8_t)(l + 1 + 2);
	r->p[r->len++] = (uint8_t)l;
	memcpy(r->p + r->len, label, l);
	r->len += l;
	/* then the query name's last two labels: "zen.test" at 12 + 10 */
	r->p[r->len++] = 0xc0;
	r->p[r->len++] = 12 + 10;
	r->p[7]++;
}

static void
test_match(void)
{
	uint8_t q[DNS_BULK_QUERY_MAX];
	struct reply r;
	struct dns_answer a;
	char ip[16];
	int qlen;

	/* "2.0.0.127.zen.test": labels at 12, "zen" at 12 + 10. */
	qlen = dns_bulk_encode(q, sizeof(q), 0xbeef, "2.0.0.127.zen.test",
	    DNS_T_A);
	CHECK(qlen > 0);

	reply_start(&r, q, (size_t)qlen, 3);
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_SETTLED);
	CHECK_INT(a.status, DNS_NXDOMAIN);
	CHECK_INT(a.nrr, 0);
	CHECK_INT(a.rcode, 3);
	dns_bulk_answer_release(&a);

	reply_start(&r, q, (size_t)qlen, 0);
	reply_a(&r, 2);
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_SETTLED);
	CHECK_INT(a.status, DNS_OK);
	CHECK_INT(a.nrr, 1);
	CHECK_STR(a.nrr == 1 ? inet_ntop(AF_INET, &a.rr[0]->u.a, ip,
	    sizeof(ip)) : NULL, "127.0.0.2");
	CHECK_STR(a.canonical, "2.0.0.127.zen.test");
	dns_bulk_answer_release(&a);

	/* A record twice is kept once, as libunbound keeps an RRset. */
	reply_start(&r, q, (size_t)qlen, 0);
	reply_a(&r, 2);
	reply_a(&r, 4);
	reply_a(&r, 2);
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_SETTLED);
	CHECK_INT(a.nrr, 2);
	CHECK(a.nrr == 2 && a.rr[0]->u.a.s_addr == htonl(0x7f000002) &&
	    a.rr[1]->u.a.s_addr == htonl(0x7f000004));
	dns_bulk_answer_release(&a);

	/* The question's name may come back in another case (0x20). */
	reply_start(&r, q, (size_t)qlen, 0);
	r.p[12 + 11] = 'Z';
	r.p[12 + 13] = 'N';
	reply_a(&r, 2);
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_SETTLED);
	CHECK_INT(a.nrr, 1);
	dns_bulk_answer_release(&a);

	/* NOERROR without records. */
	reply_start(&r, q, (size_t)qlen, 0);
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_SETTLED);
	CHECK_INT(a.status, DNS_NODATA);
	dns_bulk_answer_release(&a);

	/* Not ours: wrong id, name, type, class; not a reply; no question;
	 * too short; another opcode. Nothing to release. */
	reply_start(&r, q, (size_t)qlen, 0);
	reply_a(&r, 2);
	r.p[1] ^= 1;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	CHECK(a.rr == NULL && a.canonical == NULL && a.msg.answer == NULL);
	r.p[1] ^= 1;
	r.p[12 + 11] = 'x';		/* "xen" */
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	r.p[12 + 11] = 'z';
	r.p[qlen - 3] = DNS_T_TXT;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	r.p[qlen - 3] = DNS_T_A;
	r.p[qlen - 1] = 3;		/* class CH */
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	r.p[qlen - 1] = 1;
	r.p[2] &= 0x7f;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	r.p[2] |= 0x80;
	r.p[2] |= 0x28;			/* opcode 5 */
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	r.p[2] &= (uint8_t)~0x28;
	r.p[5] = 0;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	r.p[5] = 1;
	CHECK_INT(dns_bulk_answer(r.p, 11, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	CHECK_INT(dns_bulk_answer(r.p, (size_t)qlen - 1, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	/* A question written with a compression pointer is not the one
	 * asked. */
	r.p[12] = 0xc0;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_IGNORED);
	r.p[12] = 1;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_SETTLED);
	dns_bulk_answer_release(&a);

	/* Replies handed back: TC, SERVFAIL, REFUSED, FORMERR, malformed,
	 * a CNAME not followed. */
	reply_start(&r, q, (size_t)qlen, 0);
	r.p[2] |= 0x02;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_UNSETTLED);
	CHECK_STR(a.error, "truncated reply");
	dns_bulk_answer_release(&a);
	reply_start(&r, q, (size_t)qlen, 2);
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_UNSETTLED);
	CHECK_INT(a.status, DNS_SERVFAIL);
	dns_bulk_answer_release(&a);
	reply_start(&r, q, (size_t)qlen, 5);
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_UNSETTLED);
	CHECK_INT(a.status, DNS_REFUSED);
	dns_bulk_answer_release(&a);
	reply_start(&r, q, (size_t)qlen, 1);
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_UNSETTLED);
	CHECK_INT(a.status, DNS_ERROR);
	dns_bulk_answer_release(&a);
	reply_start(&r, q, (size_t)qlen, 0);
	reply_a(&r, 2);
	r.len -= 2;			/* the record's data cut short */
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_UNSETTLED);
	CHECK_INT(a.status, DNS_ERROR);
	CHECK(a.error != NULL);
	dns_bulk_answer_release(&a);
	/* No AA, no RA: a referral, not an answer. With AA it is one. */
	reply_start(&r, q, (size_t)qlen, 3);
	r.p[3] &= 0x7f;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_UNSETTLED);
	dns_bulk_answer_release(&a);
	r.p[2] |= 0x04;
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_SETTLED);
	CHECK_INT(a.status, DNS_NXDOMAIN);
	dns_bulk_answer_release(&a);
	reply_start(&r, q, (size_t)qlen, 0);
	reply_cname(&r, "other");
	CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
	    DNS_BULK_UNSETTLED);
	dns_bulk_answer_release(&a);
	/* A CNAME whose target's record came with it: settled, as the
	 * resolver reads it. */
	{
		static const uint8_t target_a[] = { 5, 'o', 't', 'h', 'e', 'r',
		    0xc0, 12 + 10, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0,
		    4 };

		memcpy(r.p + r.len, target_a, sizeof(target_a));
		r.len += sizeof(target_a);
		r.p[7]++;
		CHECK_INT(dns_bulk_answer(r.p, r.len, q, (size_t)qlen, &a),
		    DNS_BULK_SETTLED);
		CHECK_INT(a.nrr, 1);
		CHECK_STR(a.canonical, "other.zen.test");
		dns_bulk_answer_release(&a);
	}
}

/* ---- the client against a loopback server ------------------------------- */

static struct event_base *base;
static int srv_fd;
static int drop1_seen;
static uint16_t drop1_ids[4];
static int in_query;
static int called_inside;
static int pending;

struct got {
	int		 calls;
	bool		 settled;
	enum dns_status	 status;
	int		 nrr;
	uint32_t	 addr;
	const char	*error;
};

static void
on_got(void *arg, const struct dns_answer *a, bool settled)
{
	struct got *g = arg;

	if (in_query)
		called_inside++;
	g->calls++;
	g->settled = settled;
	g->status = a->status;
	g->nrr = a->nrr;
	g->error = a->error;
	if (a->nrr > 0)
		g->addr = ntohl(a->rr[0]->u.a.s_addr);
	if (--pending == 0)
		event_base_loopbreak(base);
}

static void
srv_send(int fd, const struct sockaddr_storage *to, socklen_t tl,
    const uint8_t *p, size_t len)
{
	(void)sendto(fd, p, len, 0, (const struct sockaddr *)to, tl);
}

/* What the server does is named by the first label of the question. */
static void
on_srv(evutil_socket_t fd, short what, void *arg)
{
	uint8_t q[600];
	struct reply r;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	char label[64];

	(void)what;
	(void)arg;
	while ((n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT,
	    (struct sockaddr *)&from, &fl)) > 0) {
		size_t l;

		if (n < 17 || q[12] == 0 || q[12] > 63 || (size_t)n < 13u + q[12])
			continue;
		l = q[12];
		memcpy(label, q + 13, l);
		label[l] = '\0';
		if (strcmp(label, "silent") == 0)
			continue;
		if (strcmp(label, "drop1") == 0) {
			if (drop1_seen < 4)
				drop1_ids[drop1_seen] = (uint16_t)(q[0] << 8 |
				    q[1]);
			if (drop1_seen++ == 0)
				continue;
		}
		reply_start(&r, q, (size_t)n, 0);
		if (strcmp(label, "tc") == 0)
			r.p[2] |= 0x02;
		else
			reply_a(&r, 2);
		if (strcmp(label, "spoof") == 0) {
			/* A wrong id, then the wrong name, then a datagram too
			 * short to be DNS: all ignored; then the reply. */
			r.p[1] ^= 0x5a;
			srv_send(fd, &from, fl, r.p, r.len);
			r.p[1] ^= 0x5a;
			r.p[14] = 'X';	/* "sXoof" */
			srv_send(fd, &from, fl, r.p, r.len);
			r.p[14] = 'p';
			srv_send(fd, &from, fl, r.p, 5);
			r.p[r.len - 1] = 9;	/* the real one says .9 */
		}
		srv_send(fd, &from, fl, r.p, r.len);
		fl = sizeof(from);
	}
}

static void
on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(base);
}

static void
free_inside(void *arg, const struct dns_answer *a, bool settled)
{
	struct dns_bulk **b = arg;

	(void)a;
	(void)settled;
	*b = dns_bulk_free(*b);
	/* The other query died with the client: no callback to wait for. */
	pending--;
	event_base_loopbreak(base);
}

static void
test_client(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct dns_bulk_params p;
	struct dns_bulk_stats st;
	struct dns_bulk *b;
	struct event *ev, *guard;
	struct timeval tv = { 10, 0 };
	struct got ok, spoof, tc, drop1, silent, bad, full;
	char server[64];
	const char *servers[2] = { server, NULL };
	char *err = NULL;
	int i;

	base = event_base_new();
	srv_fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(srv_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(getsockname(srv_fd, (struct sockaddr *)&sa, &sl) == 0);
	snprintf(server, sizeof(server), "127.0.0.1@%u", ntohs(sa.sin_port));
	ev = event_new(base, srv_fd, EV_READ | EV_PERSIST, on_srv, NULL);
	event_add(ev, NULL);
	guard = evtimer_new(base, on_guard, NULL);
	evtimer_add(guard, &tv);

	memset(&p, 0, sizeof(p));
	p.servers = servers;
	p.timeout_ms = 800;
	p.window = 6;
	p.nsockets = 4;
	b = dns_bulk_new(base, &p, &err);
	CHECK(b != NULL);
	if (b == NULL) {
		fprintf(stderr, "dns_bulk_new: %s\n", err);
		free(err);
		return;
	}
	CHECK_INT(dns_bulk_window(b), 6);
	memset(&ok, 0, sizeof(ok));
	memset(&spoof, 0, sizeof(spoof));
	memset(&tc, 0, sizeof(tc));
	memset(&drop1, 0, sizeof(drop1));
	memset(&silent, 0, sizeof(silent));
	memset(&bad, 0, sizeof(bad));
	memset(&full, 0, sizeof(full));
	in_query = 1;
	CHECK_INT(dns_bulk_query(b, "ok.zen.test", DNS_T_A, on_got, &ok), 0);
	CHECK_INT(dns_bulk_query(b, "spoof.zen.test", DNS_T_A, on_got, &spoof),
	    0);
	CHECK_INT(dns_bulk_query(b, "tc.zen.test", DNS_T_A, on_got, &tc), 0);
	CHECK_INT(dns_bulk_query(b, "drop1.zen.test", DNS_T_A, on_got, &drop1),
	    0);
	CHECK_INT(dns_bulk_query(b, "silent.zen.test", DNS_T_A, on_got,
	    &silent), 0);
	/* Refused, no callback: a bad name; past the window. */
	CHECK_INT(dns_bulk_query(b, "bad..test", DNS_T_A, on_got, &bad), -1);
	CHECK_INT(dns_bulk_query(b, "ok2.zen.test", DNS_T_A, on_got, &ok), 0);
	CHECK_INT(dns_bulk_query(b, "ok3.zen.test", DNS_T_A, on_got, &full),
	    -1);
	in_query = 0;
	pending = 6;
	event_base_dispatch(base);
	CHECK_INT(called_inside, 0);
	CHECK_INT(pending, 0);
	CHECK_INT(ok.calls, 2);
	CHECK(ok.settled && ok.status == DNS_OK && ok.addr == 0x7f000002);
	CHECK_INT(spoof.calls, 1);
	CHECK(spoof.settled && spoof.status == DNS_OK);
	CHECK_INT(spoof.addr, 0x7f000009);	/* the real reply, not a spoof */
	CHECK_INT(tc.calls, 1);
	CHECK(!tc.settled);
	CHECK_STR(tc.error, "truncated reply");
	CHECK_INT(drop1.calls, 1);
	CHECK(drop1.settled && drop1.status == DNS_OK);
	CHECK(drop1_seen >= 2);
	CHECK(drop1_seen >= 2 && drop1_ids[0] != drop1_ids[1]);	/* new id */
	CHECK_INT(silent.calls, 1);
	CHECK(silent.settled && silent.status == DNS_TIMEOUT);
	CHECK_INT(bad.calls, 0);
	CHECK_INT(full.calls, 0);
	dns_bulk_stats(b, &st);
	CHECK(st.ignored >= 3);
	CHECK(st.retries >= 2);		/* drop1 once, silent up to 5 */
	CHECK_INT(st.timeouts, 1);
	CHECK_INT(st.answered, 5);

	/* The window is free again; a callback may free the client. */
	pending = 2;
	CHECK_INT(dns_bulk_query(b, "ok4.zen.test", DNS_T_A, free_inside, &b),
	    0);
	CHECK_INT(dns_bulk_query(b, "ok5.zen.test", DNS_T_A, free_inside, &b),
	    0);
	event_base_dispatch(base);
	CHECK(b == NULL);
	CHECK_INT(pending, 1);		/* the other query died with it */

	/* A server on IPv6, where the host has ::1. */
	{
		struct sockaddr_in6 s6;
		socklen_t l6 = sizeof(s6);
		int fd6 = socket(AF_INET6, SOCK_DGRAM, 0);
		struct event *ev6;

		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_addr = in6addr_loopback;
		if (fd6 >= 0 && bind(fd6, (struct sockaddr *)&s6,
		    sizeof(s6)) == 0 && getsockname(fd6,
		    (struct sockaddr *)&s6, &l6) == 0) {
			snprintf(server, sizeof(server), "::1@%u",
			    ntohs(s6.sin6_port));
			ev6 = event_new(base, fd6, EV_READ | EV_PERSIST, on_srv,
			    NULL);
			event_add(ev6, NULL);
			memset(&p, 0, sizeof(p));
			p.servers = servers;
			p.timeout_ms = 800;
			b = dns_bulk_new(base, &p, &err);
			CHECK(b != NULL);
			memset(&ok, 0, sizeof(ok));
			pending = 1;
			if (b != NULL && dns_bulk_query(b, "spoof.zen.test",
			    DNS_T_A, on_got, &ok) == 0)
				event_base_dispatch(base);
			CHECK_INT(ok.calls, 1);
			CHECK(ok.settled && ok.status == DNS_OK &&
			    ok.addr == 0x7f000009);
			b = dns_bulk_free(b);
			free(err);
			err = NULL;
			event_free(ev6);
		} else
			fprintf(stderr, "no ::1 here: the IPv6 server is not "
			    "tried\n");
		if (fd6 >= 0)
			close(fd6);
	}

	/* Servers from resolv.conf: IPv4 and IPv6; none is an error. */
	{
		char path[] = "/tmp/mxdoc-test-bulk.XXXXXX";
		int fd = mkstemp(path);
		const char *conf = "# test\nsearch example\nnameserver ::1\n"
		    "nameserver   127.0.0.1 # local\noptions ndots:1\n";

		CHECK(fd >= 0 && write(fd, conf, strlen(conf)) ==
		    (ssize_t)strlen(conf));
		close(fd);
		memset(&p, 0, sizeof(p));
		p.resolv_conf = path;
		b = dns_bulk_new(base, &p, &err);
		/* ::1 may be missing where IPv6 is off: then the error
		 * names the socket. */
		CHECK(b != NULL || (err != NULL && strstr(err, "resolv") ==
		    NULL));
		b = dns_bulk_free(b);
		free(err);
		err = NULL;
		fd = open(path, O_WRONLY | O_TRUNC);
		CHECK(fd >= 0);
		close(fd);
		CHECK(dns_bulk_new(base, &p, &err) == NULL);
		CHECK(err != NULL && strstr(err, "resolv.conf") != NULL);
		free(err);
		err = NULL;
		unlink(path);
	}
	/* Bad addresses given. */
	for (i = 0; i < 4; i++) {
		static const char *const badsrv[] = { "nonsense", "127.0.0.1@",
		    "127.0.0.1@70000", "127.0.0.1@53x" };
		const char *list[2] = { badsrv[i], NULL };

		memset(&p, 0, sizeof(p));
		p.servers = list;
		CHECK(dns_bulk_new(base, &p, &err) == NULL);
		free(err);
		err = NULL;
	}
	event_free(ev);
	event_free(guard);
	close(srv_fd);
	event_base_free(base);
}

void
run_tests(void)
{
	t_suite = "dns_bulk";
	test_encode();
	test_match();
	test_client();
}
