#include "core/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/mem.h"
#include "core/mtime.h"

int
netaddr_parse(const char *text, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

void
netaddr_format(const struct sockaddr *sa, char out[64])
{
	const void *a = sa->sa_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, a, out, 64) == NULL)
		snprintf(out, 64, "?");
}

int
netaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

struct tcp_probe {
	int		 fd;
	struct event	*ev, *timer;
	tcp_probe_cb	 cb;
	void		*arg;
	int64_t		 start;
	bool		 done;
	enum tcp_probe_status st;
	int		 err;
};

static const char *const probe_names[] = {
	"open", "refused", "timeout", "unreachable", "error",
};

const char *
tcp_probe_status_name(enum tcp_probe_status st)
{
	return probe_names[st];
}

static void
probe_end(struct tcp_probe *p, enum tcp_probe_status st, int err)
{
	if (p->done)
		return;
	p->done = true;
	p->st = st;
	p->err = err;
	event_del(p->ev);
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	/* The timer doubles as the deferred completion. */
	event_del(p->timer);
	event_active(p->timer, EV_TIMEOUT, 1);
}

static enum tcp_probe_status
status_of(int err)
{
	switch (err) {
	case 0:			return TCP_PROBE_OPEN;
	case ECONNREFUSED:	return TCP_PROBE_REFUSED;
	case ETIMEDOUT:		return TCP_PROBE_TIMEOUT;
	case ENETUNREACH: case EHOSTUNREACH: case ENETDOWN:
		return TCP_PROBE_UNREACHABLE;
	default:		return TCP_PROBE_ERROR;
	}
}

static void
on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_probe *p = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)what;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	probe_end(p, status_of(err), err);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_probe *p = arg;

	(void)fd;
	(void)what;
	if (!p->done) {
		probe_end(p, TCP_PROBE_TIMEOUT, ETIMEDOUT);
		return;
	}
	p->cb(p->arg, p->st, p->err, mtime_ms(p->start, mtime_mono_us()));
}

struct tcp_probe *
tcp_probe_start(struct event_base *base, const struct sockaddr_storage *ss,
    socklen_t len, const struct sockaddr_storage *source, socklen_t sourcelen,
    int timeout_ms, tcp_probe_cb cb, void *arg)
{
	struct tcp_probe *p;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int serr;

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->cb = cb;
	p->arg = arg;
	p->start = mtime_mono_us();
	p->timer = evtimer_new(base, on_timer, p);
	p->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	serr = errno;	/* before libevent can touch it */
	p->ev = event_new(base, p->fd, EV_WRITE, on_ready, p);
	evtimer_add(p->timer, &tv);
	if (p->fd < 0) {
		probe_end(p, TCP_PROBE_ERROR, serr);
		return p;
	}
	if (source != NULL && source->ss_family == ss->ss_family &&
	    bind(p->fd, (const struct sockaddr *)source, sourcelen) < 0) {
		probe_end(p, TCP_PROBE_ERROR, errno);
		return p;
	}
	if (connect(p->fd, (const struct sockaddr *)ss, len) < 0 &&
	    errno != EINPROGRESS) {
		probe_end(p, status_of(errno), errno);
		return p;
	}
	event_add(p->ev, NULL);
	return p;
}

void
tcp_probe_free(struct tcp_probe *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	event_free(p->ev);
	event_free(p->timer);
	free(p);
}
