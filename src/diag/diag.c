#include "diag/diag.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/mem.h"
#include "core/mtime.h"
#include "core/netaddr.h"
#include "diag/verdict.h"

struct run;

struct addr_query {
	struct run		*run;
	int			 host;
	uint16_t		 type;
	struct dns_query	*q;	/* NULL once answered */
};

struct session_ref {
	struct run	*run;
	int		 host, addr;
	int		 try_;		/* -1: the main probe, else a TLS try */
};

struct control {
	struct run		*run;
	int			 port;
	struct tcp_probe	*probe;
};

/* The run: one struct on diag_run()'s stack, walked by callbacks from the
 * loop. Everything a callback points at lives in it, so that ending the
 * run early (its total time is up) cancels what is in flight and nothing
 * is left to call back into a stack frame that is gone. */
struct run {
	struct event_base	*base;
	const struct diag_params *p;
	struct diag_result	*r;
	int			 pending_dns;
	int			 running, next_host, next_addr;
	int			 concurrency;
	int			 pending_probes;
	struct control		 control[2];
	struct event		*total;
	struct dns_query	*mx_query;
	struct addr_query	 aq[DIAG_MAX_HOSTS * 2];
	struct session_ref	 ref[DIAG_MAX_HOSTS][DIAG_MAX_ADDRS];
	struct session_ref	 tref[DIAG_MAX_HOSTS][DIAG_MAX_ADDRS][DIAG_TLS_TRIES];
	struct smtp_session	*tsess[DIAG_MAX_HOSTS][DIAG_MAX_ADDRS][DIAG_TLS_TRIES];
	struct tls_ctx		*tctx[DIAG_TLS_TRIES];
	bool			 tctx_failed;
	bool			 done;
	int64_t			 start_us;
};

static void probe_next(struct run *run);
static void all_probed(struct run *run);

static void
end_run(struct run *run)
{
	if (run->done)
		return;
	run->done = true;
	if (!run->r->total_timeout)
		diag_verdict(run->r);
	event_base_loopbreak(run->base);
}

static int
default_port(const struct target *t)
{
	switch (t->kind) {
	case TARGET_SMTPS:	return 465;
	case TARGET_SUBMISSION:	return 587;
	default:		return 25;
	}
}

static void
add_address(struct diag_host *h, const char *addr, int family, int port)
{
	struct diag_addr *a;

	if (h->naddrs >= DIAG_MAX_ADDRS)
		return;
	a = &h->addrs[h->naddrs++];
	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	a->family = family;
	a->port = port;
}

static void
on_addr(void *arg, const struct dns_answer *ans)
{
	struct addr_query *q = arg;
	struct run *run = q->run;
	struct diag_host *h = &run->r->hosts[q->host];
	int i;

	if (q->type == DNS_T_A)
		h->a_status = ans->status;
	else
		h->aaaa_status = ans->status;
	if (ans->sec > h->sec)
		h->sec = ans->sec;
	for (i = 0; i < ans->nrr; i++) {
		char text[64];

		if (ans->rr[i]->type == DNS_T_A) {
			inet_ntop(AF_INET, &ans->rr[i]->u.a, text, sizeof(text));
			add_address(h, text, 4, run->r->port);
		} else if (ans->rr[i]->type == DNS_T_AAAA) {
			inet_ntop(AF_INET6, &ans->rr[i]->u.aaaa, text,
			    sizeof(text));
			add_address(h, text, 6, run->r->port);
		}
	}
	q->q = NULL;
	if (--run->pending_dns == 0)
		probe_next(run);
}

static void
ask_addresses(struct run *run, int host)
{
	static const uint16_t types[2] = { DNS_T_AAAA, DNS_T_A };
	struct diag_host *h = &run->r->hosts[host];
	int i;

	for (i = 0; i < 2; i++) {
		struct addr_query *q;

		if ((types[i] == DNS_T_A && run->p->family == 6) ||
		    (types[i] == DNS_T_AAAA && run->p->family == 4))
			continue;
		q = &run->aq[host * 2 + i];
		q->run = run;
		q->host = host;
		q->type = types[i];
		if (types[i] == DNS_T_A)
			h->a_asked = true;
		else
			h->aaaa_asked = true;
		run->pending_dns++;
		q->q = dns_query(run->p->dns, h->name, types[i], on_addr, q);
		if (q->q == NULL) {
			run->pending_dns--;
			if (types[i] == DNS_T_A)
				h->a_status = DNS_ERROR;
			else
				h->aaaa_status = DNS_ERROR;
		}
	}
}

static int
cmp_pref(const void *a, const void *b)
{
	const struct dns_rr *x = *(const struct dns_rr *const *)a;
	const struct dns_rr *y = *(const struct dns_rr *const *)b;

	return (int)x->u.mx.pref - (int)y->u.mx.pref;
}

static void
on_mx(void *arg, const struct dns_answer *ans)
{
	struct run *run = arg;
	struct diag_result *r = run->r;
	const struct dns_rr **mx;
	int i, n = 0;

	run->mx_query = NULL;
	run->pending_dns--;
	r->mx_status = ans->status;
	r->mx_sec = ans->sec;
	r->mx_ms = ans->duration_ms;
	if (ans->why_bogus != NULL)
		r->mx_why_bogus = xstrdup(ans->why_bogus);
	if (ans->status == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, so the domain itself is the implicit
		 * MX with preference 0. */
		r->implicit_mx = true;
		r->nhosts = 1;
		snprintf(r->hosts[0].name, sizeof(r->hosts[0].name), "%s",
		    r->target.host);
		r->hosts[0].pref = 0;
		ask_addresses(run, 0);
		if (run->pending_dns == 0)
			probe_next(run);
		return;
	}
	if (ans->status != DNS_OK || ans->sec == DNS_SEC_BOGUS) {
		end_run(run);
		return;
	}
	mx = xcalloc((size_t)ans->nrr + 1, sizeof(*mx));
	for (i = 0; i < ans->nrr; i++)
		if (ans->rr[i]->type == DNS_T_MX)
			mx[n++] = ans->rr[i];
	qsort(mx, (size_t)n, sizeof(*mx), cmp_pref);
	r->mx_total = n;
	/* RFC 7505: a single MX of "." means the domain takes no mail. */
	for (i = 0; i < n; i++)
		if (mx[i]->u.mx.host[0] == '\0')
			r->null_mx = true;
	if (r->null_mx || n == 0) {
		free(mx);
		end_run(run);
		return;
	}
	for (i = 0; i < n && r->nhosts < DIAG_MAX_HOSTS; i++) {
		struct diag_host *h = &r->hosts[r->nhosts++];

		snprintf(h->name, sizeof(h->name), "%s", mx[i]->u.mx.host);
		h->pref = mx[i]->u.mx.pref;
	}
	free(mx);
	for (i = 0; i < r->nhosts; i++)
		ask_addresses(run, i);
	if (run->pending_dns == 0)
		probe_next(run);
}

static const char *const try_labels[DIAG_TLS_TRIES] = {
	"TLS 1.3 only", "TLS 1.2 only", "TLS 1.0-1.1, security level 0",
};

const char *
diag_tls_try_label(int k)
{
	return k >= 0 && k < DIAG_TLS_TRIES ? try_labels[k] : "?";
}

static void start_session(struct run *run, int hi, int ai, int try_);

static bool
make_try_contexts(struct run *run)
{
	static const struct tls_params tp[DIAG_TLS_TRIES] = {
		{ NULL, TLS1_3_VERSION, TLS1_3_VERSION, false },
		{ NULL, TLS1_2_VERSION, TLS1_2_VERSION, false },
		{ NULL, TLS1_VERSION, TLS1_1_VERSION, true },
	};
	int k;

	if (run->tctx[0] != NULL)
		return true;
	if (run->tctx_failed)
		return false;
	for (k = 0; k < DIAG_TLS_TRIES; k++) {
		char *err = NULL;

		run->tctx[k] = tls_ctx_new(&tp[k], &err);
		free(err);
		if (run->tctx[k] == NULL) {
			run->tctx_failed = true;
			return false;
		}
	}
	return true;
}

static void
on_session(void *arg, struct smtp_session *s)
{
	struct session_ref *ref = arg;
	struct run *run = ref->run;
	struct diag_addr *a = &run->r->hosts[ref->host].addrs[ref->addr];
	const struct smtp_result *res = smtp_session_result(s);
	int k;

	run->running--;
	if (ref->try_ >= 0) {
		struct diag_tls_try *t = &a->tls_try[ref->try_];

		t->ok = res->tls.done;
		t->conclusive = res->tls.done || (res->fail != SMTP_F_NONE &&
		    res->fail_stage == SMTP_S_TLS);
		if (t->ok)
			snprintf(t->version, sizeof(t->version), "%s",
			    res->tls.version);
		else if (t->conclusive)
			snprintf(t->error, sizeof(t->error), "%s",
			    res->phase[SMTP_S_TLS].error ?
			    res->phase[SMTP_S_TLS].error : "failed");
		else
			snprintf(t->error, sizeof(t->error), "%s%s%s",
			    smtp_stage_phrase(res->fail_stage),
			    res->phase[res->fail_stage].error ? ": " : "",
			    res->phase[res->fail_stage].error ?
			    res->phase[res->fail_stage].error : "");
		run->tsess[ref->host][ref->addr][ref->try_] =
		    smtp_session_free(s);
		probe_next(run);
		return;
	}
	diag_classify_addr(run->r, &run->r->hosts[ref->host], a);
	/* A peer that answered our ClientHello with plain text (a mode
	 * mismatch) would only say so three more times. */
	if (res->fail == SMTP_F_TLS && !run->p->no_tls_tries &&
	    strstr(res->tls.error, "wrong version number") == NULL &&
	    strstr(res->tls.error, "packet length too long") == NULL &&
	    make_try_contexts(run))
		for (k = 0; k < DIAG_TLS_TRIES; k++)
			start_session(run, ref->host, ref->addr, k);
	probe_next(run);
}

static enum smtp_tls_mode
tls_mode(const struct target *t)
{
	switch (t->kind) {
	case TARGET_SMTPS:	return SMTP_TLS_IMPLICIT;
	case TARGET_SUBMISSION:	return SMTP_TLS_REQUIRED;
	default:		return SMTP_TLS_OPPORTUNISTIC;
	}
}

static void
start_session(struct run *run, int hi, int ai, int try_)
{
	const struct diag_params *p = run->p;
	struct diag_host *h = &run->r->hosts[hi];
	struct diag_addr *a = &h->addrs[ai];
	struct smtp_params sp;
	struct session_ref *ref;
	int i;

	memset(&sp, 0, sizeof(sp));
	if (netaddr_parse(a->addr, a->port, &sp.addr, &sp.addrlen) < 0)
		abort();	/* we wrote the address ourselves */
	if (p->source.ss_family == sp.addr.ss_family) {
		sp.source = p->source;
		sp.sourcelen = p->sourcelen;
	}
	sp.helo = p->helo;
	sp.server_name = h->name[0] ? h->name : NULL;
	sp.tls_mode = tls_mode(&run->r->target);
	sp.tls = p->tls;
	sp.mail_from = p->mail_from != NULL ? p->mail_from : "";
	for (i = 0; i < SMTP_S_NUM; i++)
		sp.timeout_ms[i] = p->timeout_ms;
	if (try_ >= 0) {
		struct smtp_session *ts;

		/* A TLS try stops after the handshake's EHLO: no
		 * credentials, no recipient. */
		sp.tls = run->tctx[try_];
		if (sp.tls_mode == SMTP_TLS_OPPORTUNISTIC)
			sp.tls_mode = SMTP_TLS_REQUIRED;
		ref = &run->tref[hi][ai][try_];
		ref->run = run;
		ref->host = hi;
		ref->addr = ai;
		ref->try_ = try_;
		ts = smtp_session_start(run->base, &sp, on_session, ref);
		if (ts == NULL)
			return;
		a->tls_try[try_].tried = true;
		run->tsess[hi][ai][try_] = ts;
		run->running++;
		return;
	}
	sp.rcpt = run->r->rcpt;
	sp.auth_user = p->auth_user;
	sp.auth_pass = p->auth_pass;
	ref = &run->ref[hi][ai];
	ref->run = run;
	ref->host = hi;
	ref->addr = ai;
	ref->try_ = -1;
	a->session = smtp_session_start(run->base, &sp, on_session, ref);
	if (a->session == NULL) {
		diag_classify_addr(run->r, h, a);
		return;
	}
	run->running++;
}

/* Starts sessions in MX order until the concurrency bound is reached. */
static void
probe_next(struct run *run)
{
	struct diag_result *r = run->r;

	if (run->done)
		return;
	while (run->running < run->concurrency && run->next_host < r->nhosts) {
		struct diag_host *h = &r->hosts[run->next_host];

		if (run->next_addr >= h->naddrs) {
			run->next_host++;
			run->next_addr = 0;
			continue;
		}
		start_session(run, run->next_host, run->next_addr++, -1);
	}
	if (run->running == 0 && run->next_host >= r->nhosts)
		all_probed(run);
}

static void
on_control(void *arg, enum tcp_probe_status st, int err, double ms)
{
	struct control *c = arg;
	struct run *run = c->run;
	struct diag_port_check *pc = &run->r->port_check;

	(void)err;
	if (c->port == 443) {
		pc->port_443 = tcp_probe_status_name(st);
		pc->ms_443 = ms;
	} else {
		pc->port_80 = tcp_probe_status_name(st);
		pc->ms_80 = ms;
	}
	if (--run->pending_probes == 0)
		end_run(run);
}

/* Field guide C1: when every address timed out on the SMTP port, a
 * connection to 443 and 80 of the same host tells a block near the sender
 * (those answer, even with a refusal) from a host that is down (nothing
 * answers). */
static void
all_probed(struct run *run)
{
	static const int ports[2] = { 443, 80 };
	struct diag_result *r = run->r;
	const struct diag_addr *first = NULL;
	const struct cause *ct = cause_must("net.connect_timeout");
	int h, a, i, total = 0, timeouts = 0, ms;

	for (h = 0; h < r->nhosts; h++)
		for (a = 0; a < r->hosts[h].naddrs; a++) {
			const struct diag_addr *d = &r->hosts[h].addrs[a];

			total++;
			if (d->failed && d->cause == ct) {
				timeouts++;
				if (first == NULL)
					first = d;
			}
		}
	if (run->p->no_port_check || total == 0 || timeouts != total ||
	    r->port == 443 || r->port == 80) {
		end_run(run);
		return;
	}
	r->port_check.performed = true;
	snprintf(r->port_check.addr, sizeof(r->port_check.addr), "%s",
	    first->addr);
	ms = run->p->timeout_ms > 0 ? run->p->timeout_ms :
	    smtp_stage_default_timeout_ms(SMTP_S_CONNECT);
	for (i = 0; i < 2; i++) {
		struct control *c = &run->control[i];
		struct sockaddr_storage ss;
		socklen_t len;

		c->run = run;
		c->port = ports[i];
		if (netaddr_parse(first->addr, c->port, &ss, &len) < 0)
			continue;
		run->pending_probes++;
		c->probe = tcp_probe_start(run->base, &ss, len,
		    run->p->source.ss_family ? &run->p->source : NULL,
		    run->p->sourcelen, ms, on_control, c);
		if (c->probe == NULL)
			run->pending_probes--;
	}
	if (run->pending_probes == 0)
		end_run(run);
}

static void
on_total(evutil_socket_t fd, short what, void *arg)
{
	struct run *run = arg;

	(void)fd;
	(void)what;
	run->r->total_timeout = true;
	end_run(run);
}

static void
start(struct run *run)
{
	struct diag_result *r = run->r;
	const struct target *t = &r->target;
	struct diag_host *h;

	if (t->kind == TARGET_DOMAIN || t->kind == TARGET_ADDRESS) {
		r->mx_asked = true;
		run->pending_dns++;
		run->mx_query = dns_query(run->p->dns, t->host, DNS_T_MX, on_mx,
		    run);
		if (run->mx_query == NULL) {
			run->pending_dns--;
			r->mx_status = DNS_ERROR;
			end_run(run);
		}
		return;
	}
	r->nhosts = 1;
	h = &r->hosts[0];
	h->pref = -1;
	if (t->host_is_ip) {
		add_address(h, t->host, strchr(t->host, ':') ? 6 : 4, r->port);
		probe_next(run);
		return;
	}
	snprintf(h->name, sizeof(h->name), "%s", t->host);
	ask_addresses(run, 0);
	if (run->pending_dns == 0)
		probe_next(run);
}

struct diag_result *
diag_run(struct event_base *base, const struct diag_params *p)
{
	struct diag_result *r = xcalloc(1, sizeof(*r));
	struct run run;
	struct timeval tv;
	int phase = p->timeout_ms > 0 ? p->timeout_ms : 30000;
	int i, a;

	memset(&run, 0, sizeof(run));
	run.base = base;
	run.p = p;
	run.r = r;
	run.concurrency = p->concurrency > 0 ? p->concurrency : 8;
	r->target = p->target;
	r->port = p->port > 0 ? p->port : (p->target.port > 0 ?
	    p->target.port : default_port(&p->target));
	if (p->rcpt != NULL)
		r->rcpt = xstrdup(p->rcpt);
	else if (p->target.kind == TARGET_ADDRESS)
		r->rcpt = xstrdup(p->target.address);
	r->started_wall_us = mtime_wall_us();
	run.start_us = mtime_mono_us();
	/* The whole run is bounded: DNS, the slowest session's stages and
	 * the control connections, with room to spare. */
	tv.tv_sec = (phase / 1000) * 16 + 30;
	tv.tv_usec = 0;
	run.total = evtimer_new(base, on_total, &run);
	evtimer_add(run.total, &tv);
	start(&run);
	if (!run.done)
		event_base_dispatch(base);
	if (!run.done)
		end_run(&run);
	/* Stop whatever is still in flight (the total time is up): results
	 * so far stay, nothing calls back any more. */
	if (run.mx_query != NULL)
		dns_cancel(run.mx_query);
	for (i = 0; i < DIAG_MAX_HOSTS * 2; i++)
		if (run.aq[i].q != NULL)
			dns_cancel(run.aq[i].q);
	for (i = 0; i < r->nhosts; i++)
		for (a = 0; a < r->hosts[i].naddrs; a++) {
			struct diag_addr *d = &r->hosts[i].addrs[a];

			if (d->session != NULL && d->cause == NULL) {
				smtp_session_abort(d->session,
				    "the diagnosis ran out of time");
				diag_classify_addr(r, &r->hosts[i], d);
			}
		}
	for (i = 0; i < r->nhosts; i++)
		for (a = 0; a < r->hosts[i].naddrs; a++) {
			int k;

			for (k = 0; k < DIAG_TLS_TRIES; k++)
				smtp_session_free(run.tsess[i][a][k]);
		}
	for (i = 0; i < DIAG_TLS_TRIES; i++)
		tls_ctx_free(run.tctx[i]);
	tcp_probe_free(run.control[0].probe);
	tcp_probe_free(run.control[1].probe);
	event_free(run.total);
	if (r->total_timeout)
		diag_verdict(r);
	r->duration_ms = mtime_ms(run.start_us, mtime_mono_us());
	return r;
}

struct diag_result *
diag_result_free(struct diag_result *r)
{
	int i, a;

	if (r == NULL)
		return NULL;
	for (i = 0; i < r->nhosts; i++) {
		for (a = 0; a < r->hosts[i].naddrs; a++) {
			smtp_session_free(r->hosts[i].addrs[a].session);
			free(r->hosts[i].addrs[a].summary);
		}
		free(r->hosts[i].summary);
	}
	finding_release(&r->verdict);
	for (i = 0; i < r->nfindings; i++)
		finding_release(&r->findings[i]);
	free(r->findings);
	free(r->rcpt);
	free(r->mx_why_bogus);
	free(r);
	return NULL;
}
