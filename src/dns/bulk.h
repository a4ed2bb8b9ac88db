/*
 * bulk.h - a stub DNS client for bulk work: hundreds of thousands of small
 * UDP questions to one recursive resolver, as fast as it answers.
 *
 * mxdoc asks DNS through libunbound (resolver.h). libunbound spends about
 * 20 us of CPU on every query (its mesh and caches, a new socket per query
 * for port randomisation), which caps a blocklist check of 500,000 lookups
 * at a tenth of what the DNS server itself can answer. This client is for
 * that one case, where every question is an independent lookup a resolver
 * answers in one datagram. It does not recurse, validate, cache, follow
 * CNAMEs or speak TCP: an answer it cannot take as final (truncated,
 * malformed, SERVFAIL, REFUSED, another rcode, a CNAME chain left to the
 * client, a reply with neither AA nor RA) is handed back unsettled, and
 * the caller asks that question again through dns_query(), so the result
 * is the one libunbound gives.
 *
 * On the same libevent loop: a small pool of UDP sockets, each bound to a
 * random port (getrandom) and connected to one server; random 16-bit ids
 * (never two queries outstanding with the same id on one socket); queries
 * leave in batches (sendmmsg), answers are read in batches (recvmmsg). A
 * datagram is taken only when it comes on the query's socket (so from the
 * server it is connected to and to its random port) with the query's id,
 * QR set, and the very question asked: name (ASCII case folded), type and
 * class (RFC 5452 3). Anything else is ignored and the query keeps waiting.
 * A query unanswered after the retransmission timeout (from the round trips
 * measured, RFC 6298, between 100 ms and a quarter of the query's timeout;
 * doubled at each send) is sent again, with a new id, to the next server;
 * at most 6 sends, and DNS_TIMEOUT at the query's timeout.
 *
 * Servers: the "ADDR[@PORT]" list given (IPv4 or IPv6), else the
 * nameservers of /etc/resolv.conf (at most DNS_BULK_SERVERS_MAX).
 * Bounded: at most `window` queries in flight, fewer for a server near
 * by (dns_bulk_full; dns_bulk_query refuses more), receive buffers of
 * DNS_BULK_REPLY_MAX bytes (no EDNS is sent, so a server answers at most
 * 512 bytes or sets TC).
 */
#ifndef MXDOC_DNS_BULK_H
#define MXDOC_DNS_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/resolver.h"

struct event_base;
struct dns_bulk;

#define DNS_BULK_SERVERS_MAX	8
#define DNS_BULK_SOCKETS_MAX	32
#define DNS_BULK_WINDOW_MAX	4096
#define DNS_BULK_QUERY_MAX	(12 + 255 + 4)	/* header, name, type, class */
#define DNS_BULK_REPLY_MAX	1232

struct dns_bulk_params {
	const char	**servers;	/* NULL-terminated "ADDR[@PORT]", or NULL */
	int		  timeout_ms;	/* per query, every try; 0 = 5000 */
	int		  window;	/* in flight at most; 0 = 1024 */
	int		  nsockets;	/* 0 = 16; at least one a server */
	/* Test seam: read this file instead of /etc/resolv.conf. */
	const char	 *resolv_conf;
};

/* settled: ans is final (an answer or DNS_TIMEOUT), as dns_query would
 * give it. Unsettled: the server's reply cannot be taken here (ans->status
 * and ans->error say what it was); ask again through dns_query(). ans is
 * only valid during the call. */
typedef void (*dns_bulk_cb)(void *arg, const struct dns_answer *ans,
    bool settled);

/* NULL with *err (owned) when no server is known or a socket cannot be
 * made. */
struct dns_bulk	*dns_bulk_new(struct event_base *base,
		    const struct dns_bulk_params *p, char **err);
/* Drops every query in flight without a callback. May be called from a
 * callback. */
struct dns_bulk	*dns_bulk_free(struct dns_bulk *b);
/* Starts a query for name (presentation form, as dns_query takes it).
 * Returns 0 and calls cb exactly once, never from inside this call; or -1
 * when dns_bulk_full() or name is not a domain name (no callback). */
int		 dns_bulk_query(struct dns_bulk *b, const char *name,
		    uint16_t type, dns_bulk_cb cb, void *arg);
/* The most queries in flight (the params' window). */
int		 dns_bulk_window(const struct dns_bulk *b);
/* Whether a query would be refused now: the queries in flight fill the
 * window in use, 128 for a server that answers within a millisecond
 * (more would overflow its socket buffer), 128 more for each millisecond
 * of the shortest round trip seen, up to the params' window. A callback
 * of this client comes before it has room again. */
bool		 dns_bulk_full(const struct dns_bulk *b);

struct dns_bulk_stats {
	long	sent;		/* datagrams sent, retries included */
	long	answered;	/* replies taken (settled or not) */
	long	ignored;	/* datagrams that answered no query */
	long	retries;
	long	timeouts;
};
void		 dns_bulk_stats(const struct dns_bulk *b,
		    struct dns_bulk_stats *st);

/* ---- the pure parts, for tests and fuzzing ---- */

/* Writes a query (RD set, class IN, no EDNS) for name and type with id
 * into out. Returns its length, or -1 when name is not a domain name
 * (RFC 1035 lengths, empty labels) or cap is too small. */
int		 dns_bulk_encode(uint8_t *out, size_t cap, uint16_t id,
		    const char *name, uint16_t type);

enum dns_bulk_outcome {
	DNS_BULK_IGNORED,	/* not a reply to the query: keep waiting */
	DNS_BULK_SETTLED,	/* *a is the final answer */
	DNS_BULK_UNSETTLED,	/* a reply, not taken as final: ask again */
};

/* Whether pkt (len bytes as received) answers the query q (qlen bytes as
 * dns_bulk_encode wrote it), and what it says. On SETTLED and UNSETTLED,
 * *a is filled (duration_ms left 0) and must be released with
 * dns_bulk_answer_release; on IGNORED it holds nothing. Pure, bounded. */
enum dns_bulk_outcome dns_bulk_answer(const uint8_t *pkt, size_t len,
		    const uint8_t *q, size_t qlen, struct dns_answer *a);
void		 dns_bulk_answer_release(struct dns_answer *a);

#endif
