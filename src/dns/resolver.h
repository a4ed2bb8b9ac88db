/*
 * resolver.h - asynchronous DNS on libunbound, on mxdoc's libevent loop.
 *
 * One struct dns per process, created over the event_base every other part
 * uses (ub_ctx_create_event), so queries run in the same thread as the SMTP
 * probes. Upstreams: the servers given (ADDR or ADDR@PORT, forwarded to,
 * what tests use to reach their own DNS server on loopback), or the system's
 * resolv.conf. DNSSEC is validated when a trust anchor is configured; the
 * answer says whether it was secure, insecure or bogus.
 *
 * A query either fails to start (returns NULL, never calls back) or calls
 * its callback exactly once, unless cancelled first (then never). Every
 * query has a timeout of its own, enforced with a libevent timer even when
 * libunbound's own retries would take longer.
 */
#ifndef MXDOC_DNS_RESOLVER_H
#define MXDOC_DNS_RESOLVER_H

#include <stdbool.h>

#include "dns/dns_msg.h"

struct event_base;
struct dns;
struct dns_query;

enum dns_status {
	DNS_OK,		/* NOERROR with records of the type asked */
	DNS_NODATA,	/* NOERROR, the name exists, no records of the type */
	DNS_NXDOMAIN,
	DNS_SERVFAIL,
	DNS_REFUSED,
	DNS_TIMEOUT,	/* no answer within the query's timeout */
	DNS_ERROR,	/* other rcode, malformed answer, local failure */
};

enum dns_sec {
	DNS_SEC_UNCHECKED,	/* no trust anchor: not validated */
	DNS_SEC_INSECURE,	/* validated: provably unsigned */
	DNS_SEC_SECURE,
	DNS_SEC_BOGUS,
};

struct dns_answer {
	enum dns_status	 status;
	enum dns_sec	 sec;
	char		*why_bogus;	/* owned, or NULL */
	const char	*error;		/* static detail for DNS_ERROR, or NULL */
	int		 rcode;		/* of the last reply; -1 without one */
	double		 duration_ms;
	/* Records of the queried type whose owner is the final name of the
	 * CNAME chain, in the order the server gave; CNAMEs are in msg too. */
	struct dns_msg	 msg;
	int		 nrr;
	struct dns_rr	**rr;		/* pointers into msg.answer, owned array */
	char		*canonical;	/* the name after CNAMEs, owned */
};

struct dns_params {
	const char	**servers;	/* NULL-terminated "ADDR[@PORT]", or NULL */
	const char	 *trust_anchor;	/* file in zone format, or NULL */
	int		  timeout_ms;	/* per query; 0 = 5000 */
	/* Test seam: a NULL-terminated list of zone lines answered by
	 * libunbound itself, with no server: an RR in zone format
	 * ("a.example.net. A 192.0.2.1") or "local-zone: NAME TYPE"
	 * ("local-zone: example.net. static" makes unknown names NXDOMAIN).
	 * Such answers are not CNAME-chased by libunbound; dns_query follows
	 * the chain itself. NULL outside tests. */
	const char	**local_data;
};

typedef void (*dns_cb)(void *arg, const struct dns_answer *ans);

/* Creates the resolver; NULL with *err (an owned string) on failure. */
struct dns	*dns_new(struct event_base *base, const struct dns_params *p,
		    char **err);
/* Cancels every outstanding query (no callbacks) and frees. */
struct dns	*dns_free(struct dns *d);
/* Starts a query; the answer passed to cb is only valid during the call.
 * name is in presentation form: "\DDD" and "\X" escapes are read, so a
 * caller holding raw bytes (an SPF macro's output) escapes them first. It
 * is compared with answers in dns_msg's canonical form (LDH and '_' lower
 * case, every other byte \DDD), whatever escapes the caller used.
 * The callback is never called from inside dns_query or from inside
 * libunbound, so it may start queries, cancel others, or dns_free. The
 * handle is dead once the callback runs. A name that is not a valid
 * domain name is answered DNS_ERROR. */
struct dns_query *dns_query(struct dns *d, const char *name, uint16_t type,
		    dns_cb cb, void *arg);
void		 dns_cancel(struct dns_query *q);

const char	*dns_status_name(enum dns_status s);	/* "nxdomain" */
const char	*dns_sec_name(enum dns_sec s);		/* "secure" */

/* Reverse names: "4.3.2.1.in-addr.arpa" or the nibble form for IPv6.
 * Returns 0, or -1 when addr is not an address. out holds 80 bytes. */
int		 dns_reverse_name(const char *addr, char out[80]);

#endif
