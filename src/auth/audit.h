/*
 * audit.h - the domain audit behind `mxdoc auth DOMAIN`: SPF (one record,
 * its syntax, the lookup budget counted through every include, void
 * lookups, the all qualifier, ptr, record and answer sizes), DMARC (the
 * record at _dmarc.DOMAIN or the organizational domain's, every tag, the
 * authorization of external report destinations, RFC 7489 7.1), MTA-STS
 * (the TXT record, the policy fetched over HTTPS, its mx: patterns against
 * the real MX set), TLS-RPT, MX sanity (CNAME targets, IP literals,
 * missing addresses, null MX), DKIM keys at the selectors given and the
 * common ones of data/dkim-selectors.txt, and DANE (RFC 7672): the TLSA
 * records at _25._tcp.MX (at the MX's CNAME-expanded name first when the
 * chain is DNSSEC secure, 2.2.2) with their DNSSEC status, matched against
 * the chain each MX presents on STARTTLS.
 *
 * An audit asks every question at once on the caller's event loop
 * through the caller's resolver and waits for the last answer (each query
 * has the resolver's timeout, the SPF walk its deadline). The MTA-STS
 * policy is then fetched with libcurl's multi interface on the same loop
 * (core/http.h), with its own timeout, through the address mxdoc's
 * resolver gave for mta-sts.DOMAIN (CURLOPT_CONNECT_TO), so tests reach a
 * loopback server. Last, every MX that publishes TLSA records is visited
 * at once with an SMTP session
 * (greeting, EHLO, STARTTLS, handshake, QUIT; each stage bounded by
 * smtp_timeout_ms) for its certificate chain. The result owns
 * every string; findings are plain struct finding with the section and
 * check id they belong to (doc/auth.md lists the ids).
 */
#ifndef MXDOC_AUTH_AUDIT_H
#define MXDOC_AUTH_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/dane.h"
#include "auth/dmarc.h"
#include "auth/mtasts.h"
#include "auth/spf_eval.h"
#include "auth/tlsrpt.h"
#include "classify/finding.h"
#include "dns/resolver.h"

struct event_base;
struct http_multi;
struct audit;
struct audit_pool;

#define AUDIT_FINDINGS_MAX	192
#define AUDIT_MX_MAX		16
#define AUDIT_ADDR_MAX		4
#define AUDIT_REPORT_MAX	16
#define SPF_TXT_WARN		450	/* bytes of record: RFC 7208 3.4 */
#define DNS_UDP_LIMIT		512
#define AUDIT_SELECTORS_MAX	96	/* DKIM selectors tried */
#define AUDIT_SELECTOR_LEN	64
#define AUDIT_TLSA_MAX		8	/* TLSA records kept per MX */

struct audit_params {
	struct dns	*dns;
	const char	*domain;
	const char	*ca_file;	/* PEM CAs for the policy host; NULL:
					 * the system's */
	int		 https_port;	/* the policy host's port; 0: 443 */
	int		 timeout_ms;	/* the HTTPS fetch; 0: 10000 */
	int		 spf_deadline_ms;	/* 0: spf_eval's default */
	const char	*const *selectors;	/* DKIM selectors asked first */
	int		 nselectors;
	bool		 no_common_selectors;	/* only those */
	int		 smtp_port;	/* DANE probes; 0: 25 */
	int		 smtp_timeout_ms;	/* each SMTP stage; 0: 10000 */
	const char	*helo;		/* EHLO name; NULL: "localhost" */
	/* Audits that run at once share these (NULL: the audit's own, or
	 * no limit): */
	struct http_multi *http;	/* the policy fetches' transfers */
	struct audit_pool *pool;	/* the window of DNS questions */
};

struct audit_finding {
	const char	*section;	/* "spf", "dmarc", "mta_sts", ... */
	const char	*check;		/* "spf.lookups" */
	struct finding	 f;
};

struct audit_spf {
	enum dns_status	 status;	/* of TXT DOMAIN */
	int		 ntxt;		/* TXT records at the name */
	int		 nrecords;	/* of them SPF */
	char		*record;	/* the first SPF record, or NULL */
	size_t		 record_len;
	int		 nstrings;	/* its character-strings */
	size_t		 answer_bytes;	/* estimated size of the TXT answer */
	struct spf_outcome *budget;	/* the budget walk, or NULL */
};

struct audit_report_auth {
	char		 dest[DMARC_URI_MAX];	/* the destination's domain */
	char		*name;		/* the TXT name asked */
	bool		 external;
	enum dns_status	 status;
	bool		 authorized;
};

struct audit_dmarc {
	enum dns_status	 status;	/* of the last TXT asked */
	char		 org[256];	/* organizational domain, or "" */
	char		*found_at;	/* the domain whose record applies */
	bool		 fallback;	/* found at the organizational domain */
	int		 nrecords;
	char		*record;
	struct dmarc_record rec;
	int		 nauth;
	struct audit_report_auth auth[AUDIT_REPORT_MAX];
};

struct audit_mtasts {
	enum dns_status	 status;	/* of TXT _mta-sts.DOMAIN */
	int		 nrecords;
	char		*record;
	struct mtasts_txt txt;
	char		 host_addr[64];	/* mta-sts.DOMAIN's address, or "" */
	bool		 fetched;	/* a fetch was tried */
	char		*url;
	long		 http_status;	/* 0 without a reply */
	char		*content_type;
	char		*error;		/* why the fetch failed, or NULL */
	bool		 cert_error;
	char		*body;		/* the policy text, or NULL */
	size_t		 body_len;
	bool		 have_policy;
	struct mtasts_policy policy;
};

struct audit_tlsrpt {
	enum dns_status	 status;
	int		 nrecords;
	char		*record;
	struct tlsrpt_record rec;
};

struct audit_dkim_key {
	char		 selector[AUDIT_SELECTOR_LEN];
	enum dns_status	 status;	/* of TXT SELECTOR._domainkey.DOMAIN */
	bool		 found;		/* a key record is there */
	int		 nrecords;	/* key records at the name */
	char		*record;	/* the first, or NULL */
	const char	*error;		/* the parser's reason, or NULL */
	bool		 ed25519;
	int		 bits;		/* RSA modulus size; 0 unknown */
	bool		 testing, revoked;
};

struct audit_dkim {
	int		 ntried;
	int		 nfound;
	int		 nfailed;	/* lookups that failed (timeouts...) */
	struct audit_dkim_key sel[AUDIT_SELECTORS_MAX];
};

struct audit_tlsa {
	uint8_t		 usage, selector, mtype;
	unsigned char	*data;		/* owned */
	size_t		 len;
	enum dane_result match;		/* DANE_NO_CHAIN until probed */
	int		 depth;		/* matched chain element */
	const char	*why;		/* static, or NULL */
};

struct audit_dane_probe {
	bool		 tried;
	char		 addr[64];
	int		 port;
	bool		 tls;		/* the handshake completed */
	char		 tls_version[16];
	int		 nchain;
	char		 leaf_subject[256];
	char		*error;		/* why no chain was seen, or NULL */
	const char	*cause;		/* its cause id */
};

struct audit_mx_host {
	int		 pref;
	char		 host[256];	/* "" for the null MX */
	char		 canonical[256];	/* after CNAMEs */
	bool		 cname;
	bool		 literal;	/* the name is an IP address */
	enum dns_status	 status_a, status_aaaa;
	int		 naddr;
	char		 addr[AUDIT_ADDR_MAX][64];
	/* DANE: TLSA _25._tcp.BASE, where BASE is the CNAME-expanded name
	 * when the chain is DNSSEC secure and TLSA records (or a failure)
	 * are there, else the MX name (RFC 7672 2.2.2) */
	char		 tlsa_base[256];
	bool		 tlsa_expanded;	/* the expanded name was asked */
	enum dns_status	 status_tlsa;
	enum dns_sec	 sec_tlsa;
	char		*why_bogus;
	int		 ntlsa;
	struct audit_tlsa tlsa[AUDIT_TLSA_MAX];
	struct audit_dane_probe probe;
};

struct audit_mx {
	enum dns_status	 status;
	enum dns_sec	 sec;		/* of the MX answer */
	bool		 null_mx;
	int		 nhost;
	int		 ntotal;	/* MX records in the answer */
	struct audit_mx_host host[AUDIT_MX_MAX];
};

struct audit_result {
	char		*domain;
	struct audit_spf spf;
	struct audit_dmarc dmarc;
	struct audit_mtasts mta_sts;
	struct audit_tlsrpt tls_rpt;
	struct audit_mx	 mx;
	struct audit_dkim dkim;
	bool		 dnssec;	/* answers were validated */
	int		 nfinding;
	struct audit_finding finding[AUDIT_FINDINGS_MAX];
	struct finding	 verdict;
	int		 errors, warnings;
	double		 duration_ms;
};

typedef void (*audit_cb)(void *arg, struct audit_result *r);

/* Starts the audit of p->domain on base (p is copied; the strings and
 * objects it points to must outlive the audit). Returns a handle, and cb
 * gets the result (the callee frees it) exactly once, from the loop,
 * never from inside audit_start; the handle is dead by then. Or returns
 * NULL with *err (owned), never calling back: a bad domain. Many audits
 * may run at once on one loop and one resolver (its cache shared: the
 * includes and MX hosts domains have in common are asked once). */
struct audit	*audit_start(struct event_base *base,
		    const struct audit_params *p, audit_cb cb, void *arg,
		    char **err);
/* audit_start, then the loop until the result: one domain. */
struct audit_result *audit_run(struct event_base *base,
		    const struct audit_params *p, char **err);
struct audit_result *audit_free(struct audit_result *r);

/* A window of DNS questions shared by audits that run at once: past
 * max_inflight, questions wait their turn in the order asked (libunbound
 * fails what exceeds its own table of queries, 1024 a context). The
 * pool must outlive the audits that use it. */
struct audit_pool *audit_pool_new(int max_inflight);
struct audit_pool *audit_pool_free(struct audit_pool *pl);

/* One audit of a batch finished: i is its index in the domains given;
 * r is its result (the callee frees it), or NULL when the audit could not
 * start (err says why). */
typedef void (*audit_many_cb)(void *arg, int i, struct audit_result *r,
		    const char *err);

/* Audits domains[0..n-1] on base, at most jobs at once, sharing tmpl's
 * resolver, one window of `window` DNS questions (audit_pool) and one set
 * of HTTPS transfers (without libcurl each policy fetch says so). done is
 * called once per domain as each finishes; tick, if not NULL, once a
 * second. Returns 0 when every audit is done; -1 when none finished in
 * stall_s seconds: the audits still running then hold the loop and the
 * resolver, so the caller ends the process rather than free under them;
 * -2, with nothing started, when the loop cannot take a timer. */
int		 audit_many(struct event_base *base,
		    const struct audit_params *tmpl,
		    const char *const *domains, int n, int jobs, int window,
		    int stall_s, audit_many_cb done, void (*tick)(void *),
		    void *arg);

#endif
