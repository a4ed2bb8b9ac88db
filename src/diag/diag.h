/*
 * diag.h - the live path probe behind `mxdoc diagnose`.
 *
 * Given a target it resolves the MX set (RFC 5321 5.1: MX in preference
 * order, else the implicit MX of the domain's own A/AAAA; RFC 7505 null MX),
 * the addresses of every MX host, probes every address concurrently (a
 * bounded number at once) with an SMTP session, tells a blocked outbound
 * port from a dead host with control connections on 443 and 80, and ends
 * with one verdict and the findings behind it.
 *
 * diag_run() drives the caller's event loop until the diagnosis is complete
 * or its total time is up; it returns a result the caller frees. Errors of
 * the world are results (causes), never return codes.
 */
#ifndef MXDOC_DIAG_DIAG_H
#define MXDOC_DIAG_DIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "classify/classify.h"
#include "classify/finding.h"
#include "core/netaddr.h"
#include "diag/target.h"
#include "dns/resolver.h"
#include "smtp/session.h"

struct event_base;

#define DIAG_MAX_HOSTS		20
#define DIAG_MAX_ADDRS		8	/* per host */
/* After a failed handshake, the same address is tried again with one TLS
 * version at a time (field guide T6): TLS 1.3 only, TLS 1.2 only, and TLS
 * 1.0-1.1 at security level 0. Which of them work tells a version mismatch
 * (A1) from a cipher mismatch (A2) from a peer that breaks on any TLS. */
#define DIAG_TLS_TRIES		3

struct diag_tls_try {
	bool		 tried, ok;
	bool		 conclusive;	/* reached the handshake */
	char		 version[16];	/* negotiated, when ok */
	char		 error[200];	/* when not ok */
};

struct diag_params {
	struct target		 target;
	const char		*rcpt;		/* --rcpt, or NULL: the target's */
	const char		*mail_from;	/* "" for <> */
	const char		*helo;
	int			 port;		/* 0: 25, 465 or 587 by kind */
	int			 family;	/* 0 both, 4 or 6 */
	struct sockaddr_storage	 source;	/* ss_family 0: none */
	socklen_t		 sourcelen;
	const char		*auth_user;
	const char		*auth_pass;
	int			 timeout_ms;	/* per phase; 0: defaults */
	int			 concurrency;	/* sessions at once; 0: 8 */
	bool			 no_port_check;
	bool			 no_tls_tries;	/* skip the TLS version matrix */
	struct tls_ctx		*tls;
	struct dns		*dns;
};

struct diag_addr {
	char			 addr[64];
	int			 family;	/* 4 or 6 */
	int			 port;
	struct smtp_session	*session;	/* owns the phases, NULL if not probed */
	const struct cause	*cause;
	enum severity		 severity;
	char			*summary;
	enum smtp_stage		 failed_stage;
	bool			 failed;
	struct classify_result	 cr;		/* for reply failures */
	bool			 have_cr;
	const char		*hint;		/* what the evidence points at,
						 * from the field guide; static */
	struct diag_tls_try	 tls_try[DIAG_TLS_TRIES];
};

struct diag_host {
	char			 name[256];	/* "" for an address target */
	int			 pref;		/* -1: not from MX */
	enum dns_status		 a_status, aaaa_status;
	enum dns_sec		 sec;
	bool			 a_asked, aaaa_asked;
	int			 naddrs;
	struct diag_addr	 addrs[DIAG_MAX_ADDRS];
	const struct cause	*cause;
	enum severity		 severity;
	char			*summary;
};

struct diag_port_check {
	bool		 performed;
	char		 addr[64];
	const char	*port_443;	/* tcp_probe_status_name, or NULL */
	const char	*port_80;
	double		 ms_443, ms_80;
};

struct diag_result {
	struct target		 target;
	int			 port;
	char			*rcpt;
	int64_t			 started_wall_us;
	double			 duration_ms;
	/* DNS */
	bool			 mx_asked;
	enum dns_status		 mx_status;
	enum dns_sec		 mx_sec;
	char			*mx_why_bogus;	/* the validator's reason, or NULL */
	double			 mx_ms;
	bool			 implicit_mx, null_mx;
	int			 mx_total;	/* MX records before the cap */
	int			 nhosts;
	struct diag_host	 hosts[DIAG_MAX_HOSTS];
	struct diag_port_check	 port_check;
	bool			 total_timeout;
	struct finding		 verdict;
	int			 nfindings;
	struct finding		*findings;
};

/* "TLS 1.3 only" and the like, for try k. */
const char		*diag_tls_try_label(int k);
struct diag_result	*diag_run(struct event_base *base,
			    const struct diag_params *p);
struct diag_result	*diag_result_free(struct diag_result *r);

#endif
