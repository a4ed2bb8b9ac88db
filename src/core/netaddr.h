/*
 * netaddr.h - socket addresses from and to text, and a timed TCP connect
 * probe on the event loop.
 *
 * The probe answers one question: does anything at ADDR:PORT answer a SYN
 * within the time given? "refused" counts as an answer (a host or a
 * firewall sent a RST), which is what tells a blocked outbound port from a
 * dead host (field guide C1).
 */
#ifndef MXDOC_CORE_NETADDR_H
#define MXDOC_CORE_NETADDR_H

#include <stdbool.h>
#include <sys/socket.h>

struct event_base;
struct tcp_probe;

/* Parses an IPv4 or IPv6 literal (no brackets) with a port into ss.
 * Returns 0, or -1 when text is not an address. */
int	netaddr_parse(const char *text, int port, struct sockaddr_storage *ss,
	    socklen_t *len);
/* "192.0.2.1" or "2001:db8::1"; out holds 64 bytes. */
void	netaddr_format(const struct sockaddr *sa, char out[64]);
int	netaddr_port(const struct sockaddr *sa);

enum tcp_probe_status {
	TCP_PROBE_OPEN,		/* connected */
	TCP_PROBE_REFUSED,	/* RST: something answered */
	TCP_PROBE_TIMEOUT,	/* nothing answered in time */
	TCP_PROBE_UNREACHABLE,	/* no route, or ICMP unreachable */
	TCP_PROBE_ERROR,	/* local failure */
};

typedef void (*tcp_probe_cb)(void *arg, enum tcp_probe_status st, int err,
    double ms);

/* Starts a connect to ss with a timeout; the callback runs exactly once,
 * from the loop. source may be NULL. Returns NULL only on bad arguments. */
struct tcp_probe *tcp_probe_start(struct event_base *base,
	    const struct sockaddr_storage *ss, socklen_t len,
	    const struct sockaddr_storage *source, socklen_t sourcelen,
	    int timeout_ms, tcp_probe_cb cb, void *arg);
/* Cancels (no callback) or releases a finished probe. */
void	 tcp_probe_free(struct tcp_probe *p);
const char *tcp_probe_status_name(enum tcp_probe_status st);	/* "open" */

#endif
