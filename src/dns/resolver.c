/*
 * resolver.c - asynchronous DNS on libunbound's event API.
 *
 * libunbound runs its state machines on our event_base and hands back the
 * raw reply, which dns_msg decodes. Three of its habits shape this file:
 *
 * - It may call back before ub_resolve_event returns (local data, cache),
 *   and it calls back from deep inside its own stack. So its callback only
 *   records the result, and the user's callback runs from our own timer
 *   event: never inside dns_query, never inside libunbound, which is what
 *   lets a callback start queries, cancel others or free everything.
 * - ub_cancel only marks a query; the query keeps running and dies
 *   silently. After ub_cancel no callback arrives, so our query object may
 *   go. ub_ctx_delete calls back every query still running, so dns_free
 *   cancels them all first.
 * - It turns an upstream REFUSED into SERVFAIL (the iterator takes REFUSED
 *   for a lame server and gives up); see upstream_refused().
 *
 * Each query has one libevent timer: its timeout while libunbound works,
 * then, set to zero, the delivery of the answer.
 */
#include "dns/resolver.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unbound-event.h>
#include <unbound.h>

#include "core/mem.h"
#include "core/mtime.h"

#define DNS_TIMEOUT_DEFAULT	5000
#define CNAME_HOPS_MAX		8	/* follow-up queries along a chain */
#define RCODE_NOERROR		0
#define RCODE_SERVFAIL		2
#define RCODE_NXDOMAIN		3
#define RCODE_REFUSED		5

struct dns {
	struct event_base	*base;
	struct ub_ctx		*ctx;
	int			 timeout_ms;
	bool			 validating;
	struct dns_query	*head;		/* outstanding queries */
};

struct dns_query {
	struct dns		*d;
	struct dns_query	*prev, *next;
	dns_cb			 cb;
	void			*arg;
	uint16_t		 type;
	char			 qname[DNS_NAME_MAX];	/* normalised */
	char			 asked[DNS_NAME_MAX];	/* last name sent */
	char			 follow[DNS_NAME_MAX];	/* next name, or "" */
	int			 hops;
	struct event		*timer;
	int64_t			 start_us;
	int			 async_id;	/* valid while in_ub */
	bool			 in_ub;		/* libunbound works on it */
	bool			 ready;		/* ans is final */
	bool			 replied;	/* a reply was decoded */
	int			 sec;		/* worst libunbound sec seen */
	struct dns_answer	 ans;
};

/* Names in default zones libunbound answers by itself (RFC 6761 and kin).
 * mxdoc asks the servers it was given: an answer made up locally would
 * hide what those servers say (a lab serving "example.test", a resolver
 * with PTRs for 127.0.0.1 or a home.arpa zone). */
static const char *const default_zones[] = {
	"localhost.", "127.in-addr.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"onion.", "test.", "invalid.", "home.arpa.", "resolver.arpa.",
	"service.arpa.", NULL,
};

static bool
resolvconf_has_server(void)
{
	FILE *f = fopen("/etc/resolv.conf", "r");
	char line[512];
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		const char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		found = strncmp(p, "nameserver", 10) == 0 &&
		    (p[10] == ' ' || p[10] == '\t');
	}
	fclose(f);
	return found;
}

static int
set_option(struct ub_ctx *ctx, const char *opt, const char *val, char **err)
{
	int r = ub_ctx_set_option(ctx, opt, val);

	if (r != 0)
		*err = xasprintf("libunbound option %s %s: %s", opt, val,
		    ub_strerror(r));
	return r != 0 ? -1 : 0;
}

static int
add_local_data(struct ub_ctx *ctx, const char **lines, char **err)
{
	char zone[DNS_NAME_MAX + 2];
	const char *l;
	size_t n;
	int i, r;

	for (i = 0; lines[i] != NULL; i++) {
		l = lines[i];
		if (strncmp(l, "local-zone:", 11) != 0) {
			r = ub_ctx_data_add(ctx, l);
		} else {
			l += 11 + strspn(l + 11, " \t");
			n = strcspn(l, " \t");
			if (n >= sizeof(zone)) {
				r = UB_SYNTAX;
			} else {
				memcpy(zone, l, n);
				zone[n] = '\0';
				l += n + strspn(l + n, " \t");
				r = ub_ctx_zone_add(ctx, zone, l);
			}
		}
		if (r != 0) {
			*err = xasprintf("local data \"%s\": %s", lines[i],
			    ub_strerror(r));
			return -1;
		}
	}
	return 0;
}

static int
configure(struct dns *d, const struct dns_params *p, char **err)
{
	struct ub_ctx *ctx = d->ctx;
	int r, i;

	/* Tests and labs run their DNS server on loopback; by default
	 * libunbound refuses to send queries there. */
	if (set_option(ctx, "do-not-query-localhost:", "no", err) == -1 ||
	    set_option(ctx, "qname-minimisation:", "no", err) == -1 ||
	    set_option(ctx, "unblock-lan-zones:", "yes", err) == -1 ||
	    set_option(ctx, "insecure-lan-zones:", "yes", err) == -1)
		return -1;
	/* libunbound keeps 16 UDP ports for outgoing queries unless told
	 * otherwise, which caps a blocklist check of 200 zones (600 queries
	 * with the canaries) at 16 in flight: forty round trips instead of
	 * one. main() raises the descriptor limit to make room. */
	if (set_option(ctx, "outgoing-range:", "1024", err) == -1 ||
	    set_option(ctx, "num-queries-per-thread:", "1024", err) == -1)
		return -1;
	/* Without an anchor the validator has nothing to check against;
	 * leaving it out keeps libunbound from asking for DS and DNSKEY. */
	if (!d->validating &&
	    set_option(ctx, "module-config:", "iterator", err) == -1)
		return -1;
	/* harden-below-nxdomain (RFC 8020) only ever acts on DNSSEC-secure
	 * NXDOMAINs, which an iterator without a validator never has; yet it
	 * looks up every parent of every name asked in the cache, which is
	 * 8% of libunbound's work per query in a blocklist check (callgrind:
	 * 5,000 lookups, 329 M instructions with it, 304 M without). */
	if (!d->validating &&
	    set_option(ctx, "harden-below-nxdomain:", "no", err) == -1)
		return -1;
	if (p->servers != NULL && p->servers[0] != NULL) {
		for (i = 0; p->servers[i] != NULL; i++) {
			if ((r = ub_ctx_set_fwd(ctx, p->servers[i])) != 0) {
				*err = xasprintf("bad resolver address %s: %s",
				    p->servers[i], ub_strerror(r));
				return -1;
			}
		}
	} else if (p->local_data == NULL && resolvconf_has_server()) {
		if ((r = ub_ctx_resolvconf(ctx, NULL)) != 0) {
			*err = xasprintf("cannot use /etc/resolv.conf: %s",
			    ub_strerror(r));
			return -1;
		}
	}
	/* else: no server anywhere; libunbound recurses from the root. */
	if (p->trust_anchor != NULL &&
	    (r = ub_ctx_add_ta_file(ctx, p->trust_anchor)) != 0) {
		*err = xasprintf("trust anchor %s: %s", p->trust_anchor,
		    ub_strerror(r));
		return -1;
	}
	/* Each call below finalises the context first, so every option is
	 * set by now, and a broken configuration (an unreadable anchor) shows
	 * up here rather than in the first answer. The test seam keeps the
	 * default zones: its own zones may overlap them. */
	if (p->local_data != NULL)
		return add_local_data(ctx, p->local_data, err);
	for (i = 0; default_zones[i] != NULL; i++) {
		if ((r = ub_ctx_zone_remove(ctx, default_zones[i])) != 0) {
			*err = xasprintf("cannot start libunbound: %s",
			    ub_strerror(r));
			return -1;
		}
	}
	return 0;
}

struct dns *
dns_new(struct event_base *base, const struct dns_params *p, char **err)
{
	static const struct dns_params none;
	struct dns *d;

	if (p == NULL)
		p = &none;
	d = xcalloc(1, sizeof(*d));
	d->base = base;
	d->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : DNS_TIMEOUT_DEFAULT;
	d->validating = p->trust_anchor != NULL;
	if ((d->ctx = ub_ctx_create_event(base)) == NULL) {
		*err = xstrdup("cannot create the libunbound context");
		free(d);
		return NULL;
	}
	if (configure(d, p, err) == -1) {
		ub_ctx_delete(d->ctx);
		free(d);
		return NULL;
	}
	return d;
}

static void
unlink_query(struct dns_query *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		q->d->head = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

static void
answer_release(struct dns_answer *a)
{
	free(a->why_bogus);
	free(a->rr);
	free(a->canonical);
	dns_msg_release(&a->msg);
	memset(a, 0, sizeof(*a));
}

void
dns_cancel(struct dns_query *q)
{
	if (q == NULL)
		return;
	if (q->in_ub)
		(void)ub_cancel(q->d->ctx, q->async_id);
	event_free(q->timer);
	unlink_query(q);
	answer_release(&q->ans);
	free(q);
}

struct dns *
dns_free(struct dns *d)
{
	if (d == NULL)
		return NULL;
	while (d->head != NULL)
		dns_cancel(d->head);
	ub_ctx_delete(d->ctx);
	free(d);
	return NULL;
}

/* Appends the records of src to dst and takes ownership of them. */
static void
msg_merge(struct dns_msg *dst, struct dns_msg *src)
{
	int n;

	if (dst->answer == NULL && dst->nanswer == 0) {
		*dst = *src;
		memset(src, 0, sizeof(*src));
		return;
	}
	n = dst->nanswer + src->nanswer;
	dst->answer = xrealloc(dst->answer, (size_t)n * sizeof(*dst->answer));
	if (src->nanswer > 0)
		memcpy(dst->answer + dst->nanswer, src->answer,
		    (size_t)src->nanswer * sizeof(*src->answer));
	dst->nanswer = n;
	dst->id = src->id;
	dst->rcode = src->rcode;
	dst->aa = src->aa;
	dst->tc = src->tc;
	dst->ra = src->ra;
	dst->ad = dst->ad && src->ad;
	free(src->answer);
	memset(src, 0, sizeof(*src));
}

/* libunbound answers SERVFAIL when every forwarder said REFUSED, and
 * documents the packet of such a callback as not to be read. It is in
 * fact its receive buffer, still holding the last reply that came in. We
 * look at it, read-only and within len, and believe a REFUSED there only
 * when it is a reply to this very question; otherwise SERVFAIL stands.
 * Both are the same cause (dns.failure), so a wrong guess costs a word of
 * evidence, not a verdict. */
static bool
upstream_refused(const uint8_t *pkt, int len, const char *name, uint16_t type)
{
	size_t off = 12, n = (size_t)(len > 0 ? len : 0);
	const char *p = name;

	if (pkt == NULL || n < 12 || (pkt[2] & 0x80) == 0 ||
	    (pkt[3] & 0x0f) != RCODE_REFUSED || pkt[4] != 0 || pkt[5] != 1 ||
	    strchr(name, '\\') != NULL)
		return false;
	while (*p != '\0') {
		size_t l = strcspn(p, ".");

		if (off >= n || pkt[off] != l || l > n - off - 1 ||
		    strncasecmp((const char *)pkt + off + 1, p, l) != 0)
			return false;
		off += 1 + l;
		p += l;
		if (*p == '.')
			p++;
	}
	return off + 3 <= n && pkt[off] == 0 && pkt[off + 1] == (type >> 8) &&
	    pkt[off + 2] == (type & 0xff);
}

static enum dns_status
rcode_status(int rcode)
{
	switch (rcode) {
	case RCODE_SERVFAIL:	return DNS_SERVFAIL;
	case RCODE_NXDOMAIN:	return DNS_NXDOMAIN;
	case RCODE_REFUSED:	return DNS_REFUSED;
	}
	return DNS_ERROR;
}

static void
arm(struct dns_query *q, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_del(q->timer);
	evtimer_add(q->timer, &tv);
}

static void
finish_error(struct dns_query *q, enum dns_status s, const char *error,
    int rcode)
{
	q->ans.status = s;
	q->ans.error = error;
	q->ans.rcode = rcode;
	q->follow[0] = '\0';
	q->ready = true;
	arm(q, 0);
}

/* libunbound's callback: records, decides whether the chain needs another
 * query, and leaves the rest to on_timer. */
static void
on_ub(void *arg, int rcode, void *pkt, int len, int sec, char *why_bogus,
    int was_ratelimited)
{
	struct dns_query *q = arg;
	struct dns_msg m;
	const char *err;
	char end[DNS_NAME_MAX];

	(void)was_ratelimited;
	q->in_ub = false;
	q->async_id = 0;
	if (rcode != RCODE_NOERROR) {
		if (rcode == RCODE_SERVFAIL &&
		    upstream_refused(pkt, len, q->asked, q->type))
			rcode = RCODE_REFUSED;
		finish_error(q, rcode_status(rcode), NULL, rcode);
		return;
	}
	if (pkt == NULL || len <= 0 ||
	    dns_msg_decode(pkt, (size_t)len, &m, &err) == -1) {
		finish_error(q, DNS_ERROR, pkt == NULL || len <= 0 ?
		    "empty answer from libunbound" : err, -1);
		return;
	}
	/* The chain is as strong as its weakest link: 1 bogus < 0 insecure
	 * < 2 secure in libunbound's numbering. */
	if (q->hops == 0 || sec == 1 || (sec == 0 && q->sec == 2))
		q->sec = sec;
	if (why_bogus != NULL && q->ans.why_bogus == NULL)
		q->ans.why_bogus = xstrdup(why_bogus);
	msg_merge(&q->ans.msg, &m);
	q->replied = true;
	q->ans.rcode = q->ans.msg.rcode;
	q->follow[0] = '\0';
	if (q->ans.rcode == RCODE_NOERROR &&
	    dns_msg_chain_end(&q->ans.msg, q->qname, q->type, end) == 0 &&
	    strcmp(end, q->asked) != 0 && strcmp(end, q->qname) != 0 &&
	    q->hops < CNAME_HOPS_MAX)
		snprintf(q->follow, sizeof(q->follow), "%s", end);
	q->ready = q->follow[0] == '\0';
	arm(q, 0);
}

static void
ask(struct dns_query *q, const char *name)
{
	int id = 0, r;

	snprintf(q->asked, sizeof(q->asked), "%s", name);
	q->in_ub = true;
	r = ub_resolve_event(q->d->ctx, name[0] != '\0' ? name : ".", q->type,
	    1, q, on_ub, &id);
	if (r != 0) {
		q->in_ub = false;
		finish_error(q, DNS_ERROR, ub_strerror(r), -1);
		return;
	}
	/* Only a query still running has an id worth cancelling: one that
	 * was answered inside ub_resolve_event is gone already. */
	if (q->in_ub)
		q->async_id = id;
}

static void
deliver(struct dns_query *q)
{
	struct dns_answer a = q->ans;
	dns_cb cb = q->cb;
	void *arg = q->arg;
	char end[DNS_NAME_MAX];
	int i, n = 0;

	a.duration_ms = mtime_ms(q->start_us, mtime_mono_us());
	if (a.error == NULL && a.status != DNS_TIMEOUT && a.rcode >= 0) {
		a.nrr = dns_msg_chain_end(&a.msg, q->qname, q->type, end);
		a.canonical = xstrdup(end);
		if (a.nrr > 0) {
			a.rr = xcalloc((size_t)a.nrr, sizeof(*a.rr));
			for (i = 0; i < a.msg.nanswer; i++)
				if (a.msg.answer[i].type == q->type &&
				    strcmp(a.msg.answer[i].name, end) == 0)
					a.rr[n++] = &a.msg.answer[i];
		}
		if (a.rcode == RCODE_NOERROR)
			a.status = a.nrr > 0 ? DNS_OK : DNS_NODATA;
		else if ((a.status = rcode_status(a.rcode)) == DNS_ERROR)
			a.error = "unexpected rcode";
	}
	/* libunbound validates answers, not failures: a SERVFAIL tells
	 * nothing about signatures (a bogus answer comes with its sec). */
	if (!q->d->validating || !q->replied || a.status == DNS_TIMEOUT ||
	    a.status == DNS_ERROR || a.status == DNS_SERVFAIL ||
	    a.status == DNS_REFUSED)
		a.sec = DNS_SEC_UNCHECKED;
	else if (q->sec == 2)
		a.sec = DNS_SEC_SECURE;
	else if (q->sec == 1)
		a.sec = DNS_SEC_BOGUS;
	else
		a.sec = DNS_SEC_INSECURE;
	/* The query goes before the callback runs: the callback may cancel
	 * other queries, start new ones or free the resolver. */
	memset(&q->ans, 0, sizeof(q->ans));
	event_free(q->timer);
	unlink_query(q);
	free(q);
	cb(arg, &a);
	answer_release(&a);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;
	int64_t left_ms;

	(void)fd;
	(void)what;
	if (!q->ready && q->follow[0] != '\0' && !q->in_ub) {
		left_ms = q->d->timeout_ms -
		    (mtime_mono_us() - q->start_us) / 1000;
		if (left_ms > 0) {
			q->hops++;
			arm(q, (int)left_ms);
			ask(q, q->follow);
			return;
		}
	}
	if (!q->ready) {
		if (q->in_ub)
			(void)ub_cancel(q->d->ctx, q->async_id);
		q->in_ub = false;
		dns_msg_release(&q->ans.msg);
		q->ans.status = DNS_TIMEOUT;
		q->ans.rcode = -1;
		q->ans.error = NULL;
	}
	deliver(q);
}

/* Lower-cases the name and drops one final dot; -1 when it cannot be a
 * domain name (RFC 1035 2.3.4 lengths, empty labels). */
static int
normalise(const char *name, char out[DNS_NAME_MAX])
{
	size_t n = strlen(name), i, o = 0, label = 0, wire = 1;

	/* The canonical text form is dns_msg's: LDH and underscore lower-cased,
	 * every other byte \DDD. Owner names in answers are compared with it,
	 * so a name asked with ':' or '%' (SPF macros make such names) must be
	 * written the same way. Escapes in the input (\DDD, \X) are read. */
	if (n == 0)
		return -1;
	if (name[n - 1] == '.' && (n < 2 || name[n - 2] != '\\'))
		n--;
	if (n == 0) {		/* the root */
		out[0] = '\0';
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned int c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			wire += label + 1;
			label = 0;
			if (o + 1 >= DNS_NAME_MAX)
				return -1;
			out[o++] = '.';
			continue;
		}
		if (c == '\\') {
			if (i + 3 < n &&
			    isdigit((unsigned char)name[i + 1]) &&
			    isdigit((unsigned char)name[i + 2]) &&
			    isdigit((unsigned char)name[i + 3])) {
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
		if (++label > 63)
			return -1;
		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_') {
			if (o + 1 >= DNS_NAME_MAX)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= DNS_NAME_MAX)
				return -1;
			snprintf(out + o, 5, "\\%03u", c);
			o += 4;
		}
	}
	if (label == 0)
		return -1;
	wire += label + 1;
	if (wire > 255)
		return -1;
	out[o] = '\0';
	return 0;
}

struct dns_query *
dns_query(struct dns *d, const char *name, uint16_t type, dns_cb cb,
    void *arg)
{
	struct dns_query *q;

	if (d == NULL || name == NULL || cb == NULL)
		return NULL;
	q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->type = type;
	q->start_us = mtime_mono_us();
	q->timer = evtimer_new(d->base, on_timer, q);
	if (q->timer == NULL) {
		free(q);
		return NULL;
	}
	q->next = d->head;
	if (d->head != NULL)
		d->head->prev = q;
	d->head = q;
	arm(q, d->timeout_ms);
	if (normalise(name, q->qname) == -1) {
		finish_error(q, DNS_ERROR, "invalid domain name", -1);
		return q;
	}
	ask(q, q->qname);
	return q;
}

const char *
dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_OK:		return "ok";
	case DNS_NODATA:	return "nodata";
	case DNS_NXDOMAIN:	return "nxdomain";
	case DNS_SERVFAIL:	return "servfail";
	case DNS_REFUSED:	return "refused";
	case DNS_TIMEOUT:	return "timeout";
	case DNS_ERROR:		return "error";
	}
	return "error";
}

const char *
dns_sec_name(enum dns_sec s)
{
	switch (s) {
	case DNS_SEC_UNCHECKED:	return "unchecked";
	case DNS_SEC_INSECURE:	return "insecure";
	case DNS_SEC_SECURE:	return "secure";
	case DNS_SEC_BOGUS:	return "bogus";
	}
	return "unchecked";
}

int
dns_reverse_name(const char *addr, char out[80])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t n = 0;
	int i;

	if (addr == NULL)
		return -1;
	if (inet_pton(AF_INET, addr, b) == 1) {
		snprintf(out, 80, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1],
		    b[0]);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, b) != 1)
		return -1;
	for (i = 15; i >= 0; i--) {
		out[n++] = hex[b[i] & 0x0f];
		out[n++] = '.';
		out[n++] = hex[b[i] >> 4];
		out[n++] = '.';
	}
	snprintf(out + n, 80 - n, "ip6.arpa");
	return 0;
}
