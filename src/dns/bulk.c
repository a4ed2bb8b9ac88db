/*
 * bulk.c - the bulk stub client (bulk.h).
 *
 * Cost per query is what this file is for, so its shapes are chosen for
 * it: a fixed table of `window` slots, each holding the query's packet as
 * sent (a retry patches the id in place); per socket, a table from id to
 * slot (65,536 entries of 2 bytes: the lookup of an answer is one load);
 * sends and receives in batches of BATCH datagrams, one system call each.
 * Timeouts are not one libevent timer per query: one tick, running while
 * anything is in flight, scans the slots (a few thousand compares, TICK_MS
 * apart) and resends or expires what is due.
 */
#include "dns/bulk.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/mem.h"
#include "core/mtime.h"

#define TIMEOUT_DEFAULT	5000
#define WINDOW_DEFAULT	1024
#define CWND_START	128	/* in flight at first; see rtt_sample */
#define SOCKETS_DEFAULT	16
#define BATCH		64	/* datagrams per sendmmsg / recvmmsg */
#define RECV_ROUNDS	8	/* recvmmsg calls per readable event */
#define TRIES		6	/* sends per query at most */
#define RTO_MIN_MS	100
#define TICK_MS_MAX	50
#define RAND_BATCH	256
#define BIND_TRIES	16
#define RCODE_NOERROR	0
#define RCODE_NXDOMAIN	3
#define RCODE_SERVFAIL	2
#define RCODE_REFUSED	5
#define CLASS_IN	1

struct bsock {
	struct dns_bulk	*b;
	int		 fd;
	int		 server;
	struct event	*ev;
	uint16_t	*ids;		/* id -> slot + 1, or 0 */
	int		*pending;	/* slots to send */
	int		 npending, pcap;
};

struct slot {
	dns_bulk_cb	 cb;
	void		*arg;
	int64_t		 start_us, due_us, end_us;
	int		 next_free;
	uint16_t	 id, pktlen;
	uint8_t		 sock, tries;
	bool		 used;
	uint8_t		 pkt[DNS_BULK_QUERY_MAX];
};

struct dns_bulk {
	struct event_base	*base;
	struct sockaddr_storage	 server[DNS_BULK_SERVERS_MAX];
	socklen_t		 server_len[DNS_BULK_SERVERS_MAX];
	int			 nservers;
	struct bsock		*socks;
	int			 nsocks, per_server;
	unsigned		 cursor[DNS_BULK_SERVERS_MAX];
	struct slot		*slots;
	int			 window, nused, free_head;
	/* In flight now: see rtt_sample. */
	int			 cwnd;
	int64_t			 min_rtt_us;
	int			 timeout_ms;
	/* Round-trip estimate (RFC 6298) from replies to first sends. */
	int64_t			 srtt_us, rttvar_us;
	bool			 have_rtt;
	struct event		*tick, *flush;
	bool			 tick_on, flush_on;
	uint16_t		 rnd[RAND_BATCH];
	int			 nrnd;
	int			 busy;		/* handlers on the stack */
	bool			 dying;
	uint8_t			*rbuf;		/* BATCH x DNS_BULK_REPLY_MAX */
	struct mmsghdr		 rmsg[BATCH], smsg[BATCH];
	struct iovec		 riov[BATCH], siov[BATCH];
	struct dns_bulk_stats	 st;
};

/* ---- the pure parts ---------------------------------------------------- */

int
dns_bulk_encode(uint8_t *out, size_t cap, uint16_t id, const char *name,
    uint16_t type)
{
	size_t n = strlen(name), i, o = 12, lab;

	if (cap < DNS_BULK_QUERY_MAX || n == 0)
		return -1;
	/* One final dot is the root's, unless escaped. */
	if (n > 0 && name[n - 1] == '.' && (n < 2 || name[n - 2] != '\\'))
		n--;
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = 0x01;		/* RD */
	out[3] = 0;
	out[4] = 0, out[5] = 1;	/* QDCOUNT */
	memset(out + 6, 0, 6);
	lab = o++;
	out[lab] = 0;
	for (i = 0; i < n; i++) {
		unsigned c = (unsigned char)name[i];

		if (c == '.') {
			if (out[lab] == 0)
				return -1;
			lab = o++;
			out[lab] = 0;
			continue;
		}
		if (c == '\\') {
			if (i + 3 < n && name[i + 1] >= '0' &&
			    name[i + 1] <= '9' && name[i + 2] >= '0' &&
			    name[i + 2] <= '9' && name[i + 3] >= '0' &&
			    name[i + 3] <= '9') {
				c = (unsigned)(name[i + 1] - '0') * 100 +
				    (unsigned)(name[i + 2] - '0') * 10 +
				    (unsigned)(name[i + 3] - '0');
				if (c > 255)
					return -1;
				i += 3;
			} else if (i + 1 < n) {
				c = (unsigned char)name[++i];
			} else
				return -1;
		} else if (c < ' ' || c == 0x7f)
			return -1;
		if (out[lab] == 63 || o - 12 >= 254)
			return -1;
		out[lab]++;
		out[o++] = (uint8_t)c;
	}
	if (out[lab] == 0) {
		if (o - 12 != 1)	/* an empty label that is not the root */
			return -1;
		o--;			/* the root: its one zero byte */
	} else if (o - 12 > 254)
		return -1;
	out[o++] = 0;
	out[o++] = (uint8_t)(type >> 8);
	out[o++] = (uint8_t)type;
	out[o++] = 0;
	out[o++] = CLASS_IN;
	return (int)o;
}

static uint8_t
fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* The question of q (from offset 12 to its end) against the one of pkt:
 * the same labels, byte for byte up to ASCII case, then type and class.
 * A compression pointer never matches: a question is written in full. */
static bool
same_question(const uint8_t *pkt, size_t len, const uint8_t *q, size_t qlen)
{
	size_t qn = qlen - 12, i;

	if (len < 12 + qn)
		return false;
	for (i = 0; i < qn; i++)
		if (fold(pkt[12 + i]) != fold(q[12 + i]))
			return false;
	/* Byte equality up to case cannot make a label length differ: label
	 * lengths are below 64, never letters. */
	return true;
}

/* The name of a query packet in dns_msg's text form (LDH and '_' lower
 * case, every other byte \DDD, no final dot). */
static void
query_name_text(const uint8_t *q, size_t qlen, char out[DNS_NAME_MAX])
{
	size_t off = 12, o = 0;

	while (off < qlen && q[off] != 0) {
		size_t l = q[off++], k;

		if (o > 0 && o + 1 < DNS_NAME_MAX)
			out[o++] = '.';
		for (k = 0; k < l && off < qlen; k++, off++) {
			uint8_t c = fold(q[off]);

			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_') {
				if (o + 1 < DNS_NAME_MAX)
					out[o++] = (char)c;
			} else if (o + 4 < DNS_NAME_MAX) {
				snprintf(out + o, 5, "\\%03u", (unsigned)c);
				o += 4;
			}
		}
	}
	out[o] = '\0';
}

/* Whether rr repeats one of the n records kept: libunbound keeps an
 * RRset's records once each (RFC 2181 5), so a server's duplicates of A,
 * AAAA or TXT data must not reach the caller twice here either. */
static bool
seen_before(struct dns_rr *const *kept, int n, const struct dns_rr *rr)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct dns_rr *k = kept[i];

		if (rr->type == DNS_T_A &&
		    k->u.a.s_addr == rr->u.a.s_addr)
			return true;
		if (rr->type == DNS_T_AAAA &&
		    memcmp(&k->u.aaaa, &rr->u.aaaa, sizeof(rr->u.aaaa)) == 0)
			return true;
		if (rr->type == DNS_T_TXT && k->u.txt.len == rr->u.txt.len &&
		    k->u.txt.nstrings == rr->u.txt.nstrings &&
		    memcmp(k->u.txt.data, rr->u.txt.data, rr->u.txt.len) == 0)
			return true;
	}
	return false;
}

static enum dns_bulk_outcome
unsettled(struct dns_answer *a, enum dns_status s, const char *why, int rcode)
{
	a->status = s;
	a->error = why;
	a->rcode = rcode;
	return DNS_BULK_UNSETTLED;
}

enum dns_bulk_outcome
dns_bulk_answer(const uint8_t *pkt, size_t len, const uint8_t *q, size_t qlen,
    struct dns_answer *a)
{
	char qname[DNS_NAME_MAX], end[DNS_NAME_MAX];
	const char *err;
	uint16_t type;
	int rcode, i, n;

	memset(a, 0, sizeof(*a));
	if (qlen < 12 + 5 || qlen > DNS_BULK_QUERY_MAX || len < 12)
		return DNS_BULK_IGNORED;
	/* Id, QR, opcode QUERY, exactly one question: the question's. */
	if (pkt[0] != q[0] || pkt[1] != q[1] || (pkt[2] & 0x80) == 0 ||
	    (pkt[2] & 0x78) != 0 || pkt[4] != 0 || pkt[5] != 1 ||
	    !same_question(pkt, len, q, qlen))
		return DNS_BULK_IGNORED;
	type = (uint16_t)(q[qlen - 4] << 8 | q[qlen - 3]);
	rcode = pkt[3] & 0x0f;
	a->sec = DNS_SEC_UNCHECKED;
	if (pkt[2] & 0x02)
		return unsettled(a, DNS_ERROR, "truncated reply", rcode);
	if (rcode == RCODE_SERVFAIL)
		return unsettled(a, DNS_SERVFAIL, NULL, rcode);
	if (rcode == RCODE_REFUSED)
		return unsettled(a, DNS_REFUSED, NULL, rcode);
	if (rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN)
		return unsettled(a, DNS_ERROR, "unexpected rcode", rcode);
	/* Neither AA nor RA: a referral or a lame server, whose "no
	 * answer" is not an answer; libunbound knows what to make of it. */
	if ((pkt[2] & 0x04) == 0 && (pkt[3] & 0x80) == 0)
		return unsettled(a, DNS_ERROR, "neither authoritative nor "
		    "recursive", rcode);
	if (dns_msg_decode(pkt, len, &a->msg, &err) == -1)
		return unsettled(a, DNS_ERROR, err, -1);
	query_name_text(q, qlen, qname);
	a->rcode = rcode;
	if (rcode == RCODE_NXDOMAIN) {
		/* As the resolver reports an NXDOMAIN: no records. */
		dns_msg_release(&a->msg);
		a->status = DNS_NXDOMAIN;
		a->canonical = xstrdup(qname);
		return DNS_BULK_SETTLED;
	}
	n = dns_msg_chain_end(&a->msg, qname, type, end);
	if (n == 0 && strcmp(end, qname) != 0) {
		/* A CNAME whose target the server did not follow: the
		 * resolver asks for it, this client does not. */
		dns_bulk_answer_release(a);
		return unsettled(a, DNS_ERROR, "CNAME chain not followed",
		    rcode);
	}
	a->canonical = xstrdup(end);
	a->nrr = n;
	a->status = n > 0 ? DNS_OK : DNS_NODATA;
	if (n > 0) {
		a->rr = xcalloc((size_t)n, sizeof(*a->rr));
		for (n = 0, i = 0; i < a->msg.nanswer; i++)
			if (a->msg.answer[i].type == type &&
			    strcmp(a->msg.answer[i].name, end) == 0 &&
			    !seen_before(a->rr, n, &a->msg.answer[i]))
				a->rr[n++] = &a->msg.answer[i];
		a->nrr = n;
	}
	return DNS_BULK_SETTLED;
}

void
dns_bulk_answer_release(struct dns_answer *a)
{
	free(a->why_bogus);
	free(a->rr);
	free(a->canonical);
	dns_msg_release(&a->msg);
	memset(a, 0, sizeof(*a));
}

/* ---- randomness, servers, sockets -------------------------------------- */

static int
fill_random(void *p, size_t n)
{
	uint8_t *o = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(o + got, n - got, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static uint16_t
rand16(struct dns_bulk *b)
{
	if (b->nrnd == 0) {
		/* dns_bulk_new has read it once: it does not fail later. */
		if (fill_random(b->rnd, sizeof(b->rnd)) == -1)
			abort();
		b->nrnd = RAND_BATCH;
	}
	return b->rnd[--b->nrnd];
}

/* "ADDR", "ADDR@PORT"; IPv6 with a scope ("fe80::1%eth0") too. */
static int
parse_server(const char *s, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[128], port[8] = "53";
	const char *at = strrchr(s, '@');
	struct addrinfo hints, *res;
	size_t hl = at != NULL ? (size_t)(at - s) : strlen(s);

	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (at != NULL) {
		size_t pl = strlen(at + 1);

		if (pl == 0 || pl >= sizeof(port) ||
		    strspn(at + 1, "0123456789") != pl)
			return -1;
		memcpy(port, at + 1, pl + 1);
		if (strtol(port, NULL, 10) < 1 || strtol(port, NULL, 10) > 65535)
			return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	if (res->ai_addrlen > sizeof(*sa)) {
		freeaddrinfo(res);
		return -1;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
read_resolv_conf(struct dns_bulk *b, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];

	if (f == NULL)
		return -1;
	while (b->nservers < DNS_BULK_SERVERS_MAX &&
	    fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *e;

		p += strspn(p, " \t");
		if (strncmp(p, "nameserver", 10) != 0 ||
		    (p[10] != ' ' && p[10] != '\t'))
			continue;
		p += 10 + strspn(p + 10, " \t");
		e = p + strcspn(p, " \t\r\n#;");
		*e = '\0';
		/* A bare address: "@" is not resolv.conf syntax. */
		if (*p == '\0' || strchr(p, '@') != NULL)
			continue;
		if (parse_server(p, &b->server[b->nservers],
		    &b->server_len[b->nservers]) == 0)
			b->nservers++;
	}
	fclose(f);
	return 0;
}

static void
port_range(int *lo, int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	char line[64];
	long a, c;
	char *e;

	*lo = 32768;
	*hi = 60999;
	if (f == NULL)
		return;
	if (fgets(line, sizeof(line), f) != NULL) {
		a = strtol(line, &e, 10);
		c = strtol(e, NULL, 10);
		if (a >= 1024 && c <= 65535 && c > a) {
			*lo = (int)a;
			*hi = (int)c;
		}
	}
	fclose(f);
}

static void on_read(evutil_socket_t fd, short what, void *arg);

/* A socket bound to a random port of the ephemeral range (RFC 5452 10),
 * connected to its server, so that the kernel drops what comes from
 * anywhere else. */
static int
open_socket(struct dns_bulk *b, struct bsock *s, int lo, int hi, char **err)
{
	const struct sockaddr_storage *sv = &b->server[s->server];
	struct sockaddr_storage me;
	socklen_t mlen;
	int i;

	s->fd = socket(sv->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s->fd < 0) {
		*err = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i <= BIND_TRIES; i++) {
		/* The last try lets the kernel choose. */
		in_port_t port = i < BIND_TRIES ? htons((in_port_t)(lo +
		    rand16(b) % (hi - lo + 1))) : 0;

		memset(&me, 0, sizeof(me));
		me.ss_family = sv->ss_family;
		if (sv->ss_family == AF_INET6) {
			((struct sockaddr_in6 *)&me)->sin6_port = port;
			mlen = sizeof(struct sockaddr_in6);
		} else {
			((struct sockaddr_in *)&me)->sin_port = port;
			mlen = sizeof(struct sockaddr_in);
		}
		if (bind(s->fd, (struct sockaddr *)&me, mlen) == 0)
			break;
		if (errno != EADDRINUSE || i == BIND_TRIES) {
			*err = xasprintf("bind: %s", strerror(errno));
			return -1;
		}
	}
	if (connect(s->fd, (const struct sockaddr *)sv,
	    b->server_len[s->server]) < 0) {
		*err = xasprintf("connect: %s", strerror(errno));
		return -1;
	}
	s->ev = event_new(b->base, s->fd, EV_READ | EV_PERSIST, on_read, s);
	if (s->ev == NULL || event_add(s->ev, NULL) < 0) {
		*err = xstrdup("cannot watch the socket");
		return -1;
	}
	return 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg);
static void on_flush(evutil_socket_t fd, short what, void *arg);

static void
really_free(struct dns_bulk *b)
{
	int i;

	for (i = 0; b->socks != NULL && i < b->nsocks; i++) {
		struct bsock *s = &b->socks[i];

		if (s->ev != NULL)
			event_free(s->ev);
		if (s->fd >= 0)
			close(s->fd);
		free(s->ids);
		free(s->pending);
	}
	if (b->tick != NULL)
		event_free(b->tick);
	if (b->flush != NULL)
		event_free(b->flush);
	free(b->socks);
	free(b->slots);
	free(b->rbuf);
	free(b);
}

struct dns_bulk *
dns_bulk_new(struct event_base *base, const struct dns_bulk_params *p,
    char **err)
{
	static const struct dns_bulk_params none;
	struct dns_bulk *b;
	int i, lo, hi, want;

	if (p == NULL)
		p = &none;
	b = xcalloc(1, sizeof(*b));
	b->base = base;
	b->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : TIMEOUT_DEFAULT;
	b->window = p->window > 0 ? p->window : WINDOW_DEFAULT;
	if (b->window > DNS_BULK_WINDOW_MAX)
		b->window = DNS_BULK_WINDOW_MAX;
	b->cwnd = b->window < CWND_START ? b->window : CWND_START;
	if (fill_random(b->rnd, sizeof(b->rnd)) == -1) {
		*err = xasprintf("getrandom: %s", strerror(errno));
		free(b);
		return NULL;
	}
	b->nrnd = RAND_BATCH;
	if (p->servers != NULL && p->servers[0] != NULL) {
		for (i = 0; p->servers[i] != NULL; i++) {
			if (i == DNS_BULK_SERVERS_MAX)
				break;
			if (parse_server(p->servers[i], &b->server[i],
			    &b->server_len[i]) == -1) {
				*err = xasprintf("bad resolver address %s",
				    p->servers[i]);
				free(b);
				return NULL;
			}
			b->nservers++;
		}
	} else
		(void)read_resolv_conf(b, p->resolv_conf != NULL ?
		    p->resolv_conf : "/etc/resolv.conf");
	if (b->nservers == 0) {
		*err = xstrdup("no DNS server: none given and none in "
		    "resolv.conf");
		free(b);
		return NULL;
	}
	want = p->nsockets > 0 ? p->nsockets : SOCKETS_DEFAULT;
	if (want > DNS_BULK_SOCKETS_MAX)
		want = DNS_BULK_SOCKETS_MAX;
	b->per_server = want / b->nservers > 0 ? want / b->nservers : 1;
	b->nsocks = b->per_server * b->nservers;
	b->socks = xcalloc((size_t)b->nsocks, sizeof(*b->socks));
	for (i = 0; i < b->nsocks; i++)
		b->socks[i].fd = -1;
	b->slots = xcalloc((size_t)b->window, sizeof(*b->slots));
	for (i = 0; i < b->window; i++)
		b->slots[i].next_free = i + 1 < b->window ? i + 1 : -1;
	b->free_head = 0;
	b->rbuf = xmalloc((size_t)BATCH * DNS_BULK_REPLY_MAX);
	b->tick = event_new(base, -1, EV_PERSIST, on_tick, b);
	b->flush = event_new(base, -1, 0, on_flush, b);
	if (b->tick == NULL || b->flush == NULL) {
		*err = xstrdup("cannot create the timers");
		really_free(b);
		return NULL;
	}
	port_range(&lo, &hi);
	for (i = 0; i < b->nsocks; i++) {
		struct bsock *s = &b->socks[i];

		s->b = b;
		s->server = i % b->nservers;
		s->ids = xcalloc(65536, sizeof(*s->ids));
		s->pcap = b->window < BATCH ? b->window : BATCH;
		s->pending = xmalloc((size_t)s->pcap * sizeof(int));
		if (open_socket(b, s, lo, hi, err) == -1) {
			really_free(b);
			return NULL;
		}
	}
	return b;
}

struct dns_bulk *
dns_bulk_free(struct dns_bulk *b)
{
	if (b == NULL)
		return NULL;
	if (b->busy > 0) {
		/* A handler is on the stack: it frees when it unwinds. */
		b->dying = true;
		return NULL;
	}
	really_free(b);
	return NULL;
}

int
dns_bulk_window(const struct dns_bulk *b)
{
	return b->window;
}

bool
dns_bulk_full(const struct dns_bulk *b)
{
	return b->nused >= b->cwnd || b->free_head < 0;
}

void
dns_bulk_stats(const struct dns_bulk *b, struct dns_bulk_stats *st)
{
	*st = b->st;
}

/* ---- sending ------------------------------------------------------------ */

static void
flush_sock(struct dns_bulk *b, struct bsock *s)
{
	int done = 0, i, n, r;

	while (done < s->npending) {
		n = s->npending - done < BATCH ? s->npending - done : BATCH;
		for (i = 0; i < n; i++) {
			struct slot *sl = &b->slots[s->pending[done + i]];

			b->siov[i].iov_base = sl->pkt;
			b->siov[i].iov_len = sl->pktlen;
			memset(&b->smsg[i], 0, sizeof(b->smsg[i]));
			b->smsg[i].msg_hdr.msg_iov = &b->siov[i];
			b->smsg[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(s->fd, b->smsg, (unsigned)n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;	/* the rest go again at their retry time */
		b->st.sent += r;
		done += r;
	}
	s->npending = 0;
	/* The next batch goes out of the server's next socket: the queries
	 * of one batch share a socket, so they leave in one system call. */
	b->cursor[s->server]++;
}

static void
flush_all(struct dns_bulk *b)
{
	int i;

	for (i = 0; i < b->nsocks; i++)
		if (b->socks[i].npending > 0)
			flush_sock(b, &b->socks[i]);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct dns_bulk *b = arg;

	(void)fd;
	(void)what;
	b->flush_on = false;
	flush_all(b);
}

/* Gives slot si an id unused on the socket of server srv, and queues it
 * there. */
static void
place(struct dns_bulk *b, int si, int srv)
{
	struct slot *sl = &b->slots[si];
	struct bsock *s = &b->socks[srv + (int)(b->cursor[srv] %
	    (unsigned)b->per_server) * b->nservers];
	uint16_t id;
	int i;

	/* At most window of 65,536 ids are taken: a draw is free with odds
	 * of 15 in 16 or better; a bounded number of draws, then a scan. */
	for (i = 0, id = rand16(b); i < 64 && s->ids[id] != 0; i++)
		id = rand16(b);
	while (s->ids[id] != 0)
		id++;
	s->ids[id] = (uint16_t)(si + 1);
	sl->id = id;
	sl->sock = (uint8_t)(s - b->socks);
	sl->pkt[0] = (uint8_t)(id >> 8);
	sl->pkt[1] = (uint8_t)id;
	sl->tries++;
	/* A slot resent before its batch left (a loop turn longer than its
	 * timeout) is in it twice: the bound holds anyway. */
	if (s->npending == s->pcap)
		flush_sock(b, s);
	s->pending[s->npending++] = si;
	if (s->npending == s->pcap)
		flush_sock(b, s);
}

/* When the send just made is due again: after the retransmission
 * timeout, doubled at each send (RFC 6298 5.5), or at the query's end.
 * The timeout follows the replies (a datagram lost in a server's full
 * socket buffer costs a few round trips, not seconds) between RTO_MIN_MS
 * and a quarter of the query's time, which it is before any reply. */
static int64_t
due_after(const struct dns_bulk *b, const struct slot *sl, int64_t now)
{
	int64_t max = (int64_t)b->timeout_ms * 1000 / 4, rto = max, due;

	if (sl->tries >= TRIES)
		return sl->end_us;
	if (b->have_rtt) {
		rto = b->srtt_us + 4 * b->rttvar_us;
		if (rto < RTO_MIN_MS * 1000)
			rto = RTO_MIN_MS * 1000;
		if (rto > max)
			rto = max;
	}
	due = now + (rto << (sl->tries - 1));
	return due < sl->end_us ? due : sl->end_us;
}

/* A round trip r of a first send: the estimate, and the window. A
 * server next door (a DNS server on loopback or the LAN) answers 128
 * queries long before they fill its socket buffer (rbldnsd, the kernel's
 * default, drops past about 200 waiting), and each drop holds a slot for
 * a retransmission timeout: 128 in flight keep it busy. A server 20 ms
 * away answers at most window / 20 ms, so the window grows with the
 * shortest round trip seen, 128 a millisecond, up to the params' window
 * (where libunbound's 1,024 in flight stand). */
static void
rtt_sample(struct dns_bulk *b, int64_t r)
{
	int64_t want, d;

	if (!b->have_rtt) {
		b->srtt_us = r;
		b->rttvar_us = r / 2;
		b->min_rtt_us = r;
		b->have_rtt = true;
	} else {
		d = b->srtt_us > r ? b->srtt_us - r : r - b->srtt_us;
		b->rttvar_us = (3 * b->rttvar_us + d) / 4;
		b->srtt_us = (7 * b->srtt_us + r) / 8;
		if (r < b->min_rtt_us)
			b->min_rtt_us = r;
	}
	want = CWND_START * (b->min_rtt_us / 1000 > 1 ? b->min_rtt_us / 1000 :
	    1);
	b->cwnd = want < b->window ? (int)want : b->window;
}

static void
tick_start(struct dns_bulk *b)
{
	int ms = b->timeout_ms / 16;
	struct timeval tv;

	if (b->tick_on)
		return;
	if (ms > TICK_MS_MAX)
		ms = TICK_MS_MAX;
	if (ms < 1)
		ms = 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(b->tick, &tv);
	b->tick_on = true;
}

int
dns_bulk_query(struct dns_bulk *b, const char *name, uint16_t type,
    dns_bulk_cb cb, void *arg)
{
	struct slot *sl;
	int si, len;

	if (b == NULL || b->dying || cb == NULL || dns_bulk_full(b))
		return -1;
	si = b->free_head;
	sl = &b->slots[si];
	len = dns_bulk_encode(sl->pkt, sizeof(sl->pkt), 0, name, type);
	if (len < 0)
		return -1;
	b->free_head = sl->next_free;
	sl->used = true;
	sl->pktlen = (uint16_t)len;
	sl->cb = cb;
	sl->arg = arg;
	sl->tries = 0;
	sl->start_us = mtime_mono_us();
	sl->end_us = sl->start_us + (int64_t)b->timeout_ms * 1000;
	b->nused++;
	place(b, si, 0);
	sl->due_us = due_after(b, sl, sl->start_us);
	tick_start(b);
	if (b->busy == 0 && !b->flush_on) {
		/* Called from outside the client's handlers: what is queued
		 * leaves on the next loop turn, with whatever follows it. */
		event_active(b->flush, 0, 0);
		b->flush_on = true;
	}
	return 0;
}

/* ---- answers and timeouts ----------------------------------------------- */

static void
release_slot(struct dns_bulk *b, int si)
{
	struct slot *sl = &b->slots[si];

	b->socks[sl->sock].ids[sl->id] = 0;
	sl->used = false;
	sl->next_free = b->free_head;
	b->free_head = si;
	b->nused--;
}

static void
datagram(struct dns_bulk *b, struct bsock *s, const uint8_t *pkt, size_t len,
    bool cut)
{
	struct dns_answer a;
	enum dns_bulk_outcome o;
	struct slot *sl;
	dns_bulk_cb cb;
	void *arg;
	int64_t now;
	int si;

	if (len < 12 || s->ids[pkt[0] << 8 | pkt[1]] == 0) {
		b->st.ignored++;
		return;
	}
	si = s->ids[pkt[0] << 8 | pkt[1]] - 1;
	sl = &b->slots[si];
	if (cut) {
		/* Larger than any reply to a query without EDNS may be. */
		if (dns_bulk_answer(pkt, len, sl->pkt, sl->pktlen, &a) ==
		    DNS_BULK_IGNORED) {
			b->st.ignored++;
			return;
		}
		dns_bulk_answer_release(&a);
		o = unsettled(&a, DNS_ERROR, "reply larger than 1232 bytes",
		    -1);
	} else if ((o = dns_bulk_answer(pkt, len, sl->pkt, sl->pktlen, &a)) ==
	    DNS_BULK_IGNORED) {
		b->st.ignored++;
		return;
	}
	b->st.answered++;
	now = mtime_mono_us();
	/* Karn: a reply after a resend may answer either send. */
	if (sl->tries == 1)
		rtt_sample(b, now - sl->start_us);
	a.duration_ms = mtime_ms(sl->start_us, now);
	cb = sl->cb;
	arg = sl->arg;
	release_slot(b, si);
	cb(arg, &a, o == DNS_BULK_SETTLED);
	dns_bulk_answer_release(&a);
}

static void
leave(struct dns_bulk *b)
{
	if (--b->busy > 0)
		return;
	if (b->dying) {
		really_free(b);
		return;
	}
	flush_all(b);
	if (b->nused == 0 && b->tick_on) {
		event_del(b->tick);
		b->tick_on = false;
	}
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct bsock *s = arg;
	struct dns_bulk *b = s->b;
	int round, i, n;

	(void)what;
	b->busy++;
	for (i = 0; i < BATCH; i++) {
		b->riov[i].iov_base = b->rbuf + (size_t)i * DNS_BULK_REPLY_MAX;
		b->riov[i].iov_len = DNS_BULK_REPLY_MAX;
	}
	for (round = 0; round < RECV_ROUNDS && !b->dying; round++) {
		for (i = 0; i < BATCH; i++) {
			memset(&b->rmsg[i], 0, sizeof(b->rmsg[i]));
			b->rmsg[i].msg_hdr.msg_iov = &b->riov[i];
			b->rmsg[i].msg_hdr.msg_iovlen = 1;
		}
		/* Errors (an ICMP unreachable on the connected socket, no
		 * more data) end the round: the queries time out. */
		n = recvmmsg(fd, b->rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (i = 0; i < n && !b->dying; i++)
			datagram(b, s, b->riov[i].iov_base, b->rmsg[i].msg_len,
			    (b->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) != 0);
		if (n < BATCH)
			break;
	}
	leave(b);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dns_bulk *b = arg;
	int64_t now = mtime_mono_us();
	int si;

	(void)fd;
	(void)what;
	b->busy++;
	for (si = 0; si < b->window && !b->dying; si++) {
		struct slot *sl = &b->slots[si];
		struct dns_answer a;
		dns_bulk_cb cb;
		void *arg2;

		if (!sl->used || sl->due_us > now)
			continue;
		if (sl->tries < TRIES && now < sl->end_us) {
			/* Again, with a new id, to the next server. */
			b->socks[sl->sock].ids[sl->id] = 0;
			b->st.retries++;
			place(b, si, sl->tries % b->nservers);
			sl->due_us = due_after(b, sl, now);
			continue;
		}
		memset(&a, 0, sizeof(a));
		a.status = DNS_TIMEOUT;
		a.rcode = -1;
		a.duration_ms = mtime_ms(sl->start_us, now);
		cb = sl->cb;
		arg2 = sl->arg;
		release_slot(b, si);
		b->st.timeouts++;
		cb(arg2, &a, true);
	}
	leave(b);
}
