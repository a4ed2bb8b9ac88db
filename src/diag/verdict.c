#include "diag/verdict.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "core/mtime.h"

void
diag_addr_label(const struct diag_host *h, const struct diag_addr *a,
    char out[320])
{
	const char *lb = a->family == 6 ? "[" : "", *rb = a->family == 6 ? "]" : "";

	if (h->name[0] != '\0')
		snprintf(out, 320, "%s [%s]:%d", h->name, a->addr, a->port);
	else
		snprintf(out, 320, "%s%s%s:%d", lb, a->addr, rb, a->port);
}

static void
set_addr(struct diag_addr *a, const char *cause, enum severity sev,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set_addr(struct diag_addr *a, const char *cause, enum severity sev,
    const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	char tmp[2048];
	int n;

	a->cause = cause_must(cause);
	a->severity = sev;
	/* A reply may hold 16 KiB of text: the summary keeps its start, cut
	 * visibly, rather than nothing (the whole reply is in the phases). */
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_init(&b, sizeof(tmp) + 8);
	(void)buf_puts(&b, tmp);
	if (n >= (int)sizeof(tmp))
		(void)buf_puts(&b, "...");
	free(a->summary);
	a->summary = buf_steal(&b);
}

static bool
tls_required(const struct diag_result *r)
{
	return r->target.kind == TARGET_SMTPS ||
	    r->target.kind == TARGET_SUBMISSION;
}

/* What is wrong with a certificate, in words, or NULL when nothing is. */
static const char *
cert_problem(const struct tls_facts *t, char *buf, size_t n)
{
	if (!t->done)
		return NULL;
	if (t->expired) {
		char when[32];

		mtime_rfc3339(t->chain[0].not_after * 1000000, when);
		snprintf(buf, n, "the certificate expired on %.10s", when);
		return buf;
	}
	if (t->name_checked && !t->name_matched) {
		snprintf(buf, n, "the certificate does not name this host%s%s",
		    t->nchain > 0 && t->chain[0].nsans > 0 ? " (it names " : "",
		    t->nchain > 0 && t->chain[0].nsans > 0 ? t->chain[0].sans[0] :
		    "");
		if (t->nchain > 0 && t->chain[0].nsans > 0)
			snprintf(buf + strlen(buf), n - strlen(buf), ")");
		return buf;
	}
	if (!t->verified) {
		snprintf(buf, n, "the certificate does not verify: %s",
		    t->verify_error);
		return buf;
	}
	return NULL;
}

/* A session that worked but far slower than a healthy path: a connect
 * above a second (a round trip on the Internet is tens of milliseconds),
 * or a greeting above five seconds (field guide D5/D6: tarpits, greeting
 * delays, a receiver slowed by its own DNS checks on the sender). */
#define SLOW_CONNECT_MS		1000.0
#define SLOW_GREETING_MS	5000.0

static bool
slow_phase(const struct smtp_result *s, char *buf, size_t n)
{
	const struct smtp_phase *c = &s->phase[SMTP_S_CONNECT];
	const struct smtp_phase *g = &s->phase[SMTP_S_GREETING];
	double cms = c->end_us ? mtime_ms(c->start_us, c->end_us) : 0;
	double gms = g->end_us ? mtime_ms(g->start_us, g->end_us) : 0;

	if (cms > SLOW_CONNECT_MS)
		snprintf(buf, n, "accepts mail, but the TCP connect took %.0f ms "
		    "(congestion or a distant, overloaded path)", cms);
	else if (gms > SLOW_GREETING_MS)
		snprintf(buf, n, "accepts mail, but the greeting took %.1f s (a "
		    "greeting delay or tarpit, or the server's own DNS checks "
		    "on this sender are slow)", gms / 1000.0);
	else
		return false;
	return true;
}

static void
classify_ok(struct diag_result *r, struct diag_addr *a,
    const struct smtp_result *s)
{
	char buf[400];
	const char *cp = cert_problem(&s->tls, buf, sizeof(buf));
	bool req = tls_required(r);

	/* A crawling path is what turns into timeouts on a busy day: it
	 * comes before the TLS warnings, which do not stop mail. */
	if (slow_phase(s, buf, sizeof(buf))) {
		set_addr(a, "net.slow", SEV_WARNING, "%s", buf);
		return;
	}
	if (s->tls.done && cp != NULL) {
		set_addr(a, "tls.certificate", req ? SEV_ERROR : SEV_WARNING,
		    "TLS works, but %s", cp);
		return;
	}
	if (!s->tls.done && !req) {
		if (s->phase[SMTP_S_STARTTLS].status == SMTP_PH_FAILED)
			set_addr(a, "tls.unavailable", SEV_WARNING,
			    "STARTTLS is offered but refused: %d %s",
			    s->phase[SMTP_S_STARTTLS].code,
			    s->phase[SMTP_S_STARTTLS].text ?
			    s->phase[SMTP_S_STARTTLS].text : "");
		else
			set_addr(a, "tls.unavailable", SEV_WARNING,
			    "accepts mail, but does not offer STARTTLS: mail "
			    "to it travels unencrypted");
		return;
	}
	if (r->rcpt != NULL && s->phase[SMTP_S_RCPT].status == SMTP_PH_OK)
		set_addr(a, "ok", SEV_OK, "accepts mail for <%s> (%s)",
		    r->rcpt, s->tls.version);
	else if (s->phase[SMTP_S_AUTH].status == SMTP_PH_OK)
		set_addr(a, "ok", SEV_OK, "authentication accepted (%s)",
		    s->tls.version);
	else
		set_addr(a, "ok", SEV_OK, "answers and offers %s",
		    s->tls.done ? s->tls.version : "no TLS");
}

static void
classify_reply_fail(struct diag_result *r, struct diag_addr *a,
    const struct smtp_result *s)
{
	const char *id;
	const char *text = s->text != NULL ? s->text : "";
	enum severity sev = SEV_ERROR;

	classify_reply(s->code, s->esc, text, strlen(text), &a->cr);
	a->have_cr = true;
	id = a->cr.cause->id;
	/* The classifier knows replies; the stage adds what a generic reply
	 * means here. */
	if (strcmp(id, "smtp.temporary") == 0 || strcmp(id, "smtp.permanent") == 0) {
		if (s->fail_stage == SMTP_S_GREETING && s->code == 421)
			id = "smtp.server_busy";
		else if (s->fail_stage == SMTP_S_AUTH)
			id = "smtp.auth_failed";
		else if (s->fail_stage == SMTP_S_STARTTLS)
			id = "tls.unavailable";
	}
	if (strcmp(id, "smtp.greylisted") == 0)
		sev = SEV_WARNING;
	set_addr(a, id, sev, "%s: %d %s", smtp_stage_phrase(s->fail_stage),
	    s->code, text);
	(void)r;
}

/* The field guide's decision tree (sections 5 and 8): what a failure in
 * this phase, with this signal, most likely is. */
static const char *
hint_for(const struct smtp_result *s)
{
	const struct tls_facts *t = &s->tls;
	const char *ar = t->alert_received;

	switch (s->fail) {
	case SMTP_F_TLS:
		if (strstr(t->error, "wrong version number") != NULL ||
		    strstr(t->error, "packet length too long") != NULL ||
		    strstr(t->error, "record layer failure") != NULL)
			return "the server does not start TLS on this port: it "
			    "speaks plain SMTP (use STARTTLS on 25 and 587; "
			    "implicit TLS is for 465 only)";
		if (strstr(t->error, "unsupported protocol") != NULL ||
		    strstr(ar, "protocol version") != NULL ||
		    strstr(t->error, "no protocols available") != NULL)
			return "no TLS version in common: one side allows only "
			    "TLS 1.0/1.1 (Microsoft 365 refuses them) or only "
			    "TLS 1.3";
		if (strstr(ar, "handshake failure") != NULL ||
		    strstr(ar, "insufficient security") != NULL ||
		    strstr(t->error, "no shared cipher") != NULL ||
		    strstr(t->error, "dh key too small") != NULL ||
		    strstr(t->error, "legacy sigalg") != NULL)
			return "no cipher, key exchange or signature algorithm "
			    "in common (often an OpenSSL 3 security level "
			    "against an old server)";
		if (s->sys_errno != 0)
			return "a reset during the handshake: the server or a "
			    "middlebox refuses this TLS version or inspects TLS";
		return "the peer gave up during the handshake: a TLS version "
		    "or cipher it refuses, or a TLS-inspecting middlebox";
	case SMTP_F_TLS_TIMEOUT:
		return "the handshake stalled after the ClientHello: the server's "
		    "certificate flight never arrived (a path-MTU black hole), "
		    "or a middlebox holds TLS";
	case SMTP_F_TIMEOUT:
		if (s->fail_stage == SMTP_S_GREETING)
			return "no banner: a greeting delay or tarpit, a server "
			    "slowed by its own DNS checks on us, or overload "
			    "(RFC 5321 allows 5 minutes for the greeting)";
		return NULL;
	case SMTP_F_RESET:
	case SMTP_F_CLOSED:
		if (s->fail_stage == SMTP_S_GREETING)
			return "dropped before any banner: a policy against "
			    "this sender (blocklist, missing PTR) or an "
			    "SMTP-inspecting firewall";
		if (s->fail_stage == SMTP_S_EHLO || s->fail_stage == SMTP_S_HELO)
			return "dropped after EHLO: an SMTP-inspecting firewall "
			    "(Cisco ASA inspect esmtp) or a policy against "
			    "this EHLO name";
		return NULL;
	default:
		return NULL;
	}
}

void
diag_classify_addr(struct diag_result *r, struct diag_host *h,
    struct diag_addr *a)
{
	const struct smtp_result *s;
	const char *err, *phrase;

	(void)h;
	if (a->session == NULL) {
		set_addr(a, "local.config", SEV_ERROR,
		    "the probe could not start (bad address or TLS setup)");
		a->failed = true;
		a->failed_stage = SMTP_S_CONNECT;
		return;
	}
	s = smtp_session_result(a->session);
	if (s->fail == SMTP_F_NONE) {
		a->failed = false;
		classify_ok(r, a, s);
		return;
	}
	a->failed = true;
	a->failed_stage = s->fail_stage;
	a->hint = hint_for(s);
	err = s->phase[s->fail_stage].error ? s->phase[s->fail_stage].error : "";
	phrase = smtp_stage_phrase(s->fail_stage);
	switch (s->fail) {
	case SMTP_F_REFUSED:
		set_addr(a, "net.refused", SEV_ERROR, "connection refused");
		break;
	case SMTP_F_UNREACHABLE:
		set_addr(a, "net.unreachable", SEV_ERROR, "unreachable: %s", err);
		break;
	case SMTP_F_CONNECT_TIMEOUT:
		set_addr(a, "net.connect_timeout", SEV_ERROR, "%s", err);
		break;
	case SMTP_F_TIMEOUT:
		set_addr(a, "net.timeout", SEV_ERROR, "%s: %s", phrase, err);
		break;
	case SMTP_F_RESET:
		set_addr(a, "net.reset", SEV_ERROR, "%s", err);
		break;
	case SMTP_F_CLOSED:
		set_addr(a, "net.closed", SEV_ERROR, "%s", err);
		break;
	case SMTP_F_PROTOCOL:
		set_addr(a, "smtp.protocol", SEV_ERROR, "%s: %s", phrase, err);
		break;
	case SMTP_F_REPLY:
		classify_reply_fail(r, a, s);
		break;
	case SMTP_F_NO_STARTTLS:
		set_addr(a, "tls.unavailable", SEV_ERROR, "%s", err);
		break;
	case SMTP_F_TLS:
		set_addr(a, "tls.handshake_failed", SEV_ERROR, "%s", err);
		break;
	case SMTP_F_TLS_TIMEOUT:
		set_addr(a, "tls.handshake_timeout", SEV_ERROR, "%s", err);
		break;
	case SMTP_F_NO_AUTH:
		set_addr(a, "smtp.auth_failed", SEV_ERROR, "%s", err);
		break;
	case SMTP_F_LOCAL:
	default:
		set_addr(a, s->sys_errno == EMFILE || s->sys_errno == ENFILE ||
		    s->sys_errno == ENOBUFS || s->sys_errno == ENOMEM ?
		    "local.resource" : "local.config", SEV_ERROR, "%s", err);
		break;
	}
}

/* What the TLS tries say (field guide 5a, 5b): a peer that only talks
 * TLS 1.0/1.1 is a version mismatch; one that talks with a single version
 * forced breaks on the default ClientHello; one that talks with none
 * refuses our ciphers, our certificate-less hello, or TLS itself. */
static void
tls_tries_hint(struct diag_addr *a)
{
	const struct diag_tls_try *t = a->tls_try;

	if (!t[0].tried && !t[1].tried && !t[2].tried)
		return;
	/* A retry that never reached the handshake (a busy server refusing
	 * the extra connections) says nothing about TLS versions. */
	if (!t[0].conclusive || !t[1].conclusive || !t[2].conclusive)
		return;
	if (t[2].ok && !t[1].ok && !t[0].ok)
		a->hint = "the server only speaks TLS 1.0/1.1, which current "
		    "senders (OpenSSL 3, Microsoft 365, Gmail) refuse: it must "
		    "enable TLS 1.2";
	else if (t[1].ok && !t[0].ok)
		a->hint = "the handshake works when only TLS 1.2 is offered: "
		    "the server or a middlebox breaks on a TLS 1.3 ClientHello; "
		    "update it, or cap the sender at TLS 1.2 for this destination";
	else if (t[0].ok || t[1].ok)
		a->hint = "the handshake works with a single TLS version "
		    "forced: the server mishandles the default ClientHello "
		    "(its size or its extensions)";
	else if (!t[2].ok)
		a->hint = "no TLS version works, not even TLS 1.0 at security "
		    "level 0: a broken TLS setup on the server (missing "
		    "certificate or key) or a middlebox that blocks TLS";
}

static void
host_no_address(struct diag_result *r, struct diag_host *h)
{
	const char *id = "dns.failure";
	bool nx = (!h->a_asked || h->a_status == DNS_NXDOMAIN) &&
	    (!h->aaaa_asked || h->aaaa_status == DNS_NXDOMAIN);
	bool nodata = (!h->a_asked || h->a_status == DNS_NODATA ||
	    h->a_status == DNS_NXDOMAIN) && (!h->aaaa_asked ||
	    h->aaaa_status == DNS_NODATA || h->aaaa_status == DNS_NXDOMAIN);

	if (r->implicit_mx && nodata)
		id = "dns.no_mail";
	h->cause = cause_must(id);
	h->severity = SEV_ERROR;
	free(h->summary);
	h->summary = xasprintf("%s has no usable address (A: %s, AAAA: %s)%s",
	    h->name, h->a_asked ? dns_status_name(h->a_status) : "not asked",
	    h->aaaa_asked ? dns_status_name(h->aaaa_status) : "not asked",
	    nx && !r->implicit_mx ? ": the MX record points to a name that "
	    "does not exist" : "");
}

static void
aggregate_host(struct diag_result *r, struct diag_host *h)
{
	const struct diag_addr *best = NULL;
	int i;

	if (h->naddrs == 0) {
		host_no_address(r, h);
		return;
	}
	for (i = 0; i < h->naddrs; i++) {
		const struct diag_addr *a = &h->addrs[i];

		if (a->cause == NULL)
			continue;
		if (best == NULL || a->severity < best->severity)
			best = a;
	}
	if (best == NULL) {
		h->cause = cause_must("net.timeout");
		h->severity = SEV_ERROR;
		h->summary = xstrdup("not probed: the diagnosis ran out of time");
		return;
	}
	h->cause = best->cause;
	h->severity = best->severity;
	free(h->summary);
	h->summary = xstrdup(best->summary);
}

static void
add_finding(struct diag_result *r, struct finding *f)
{
	r->findings = xrealloc(r->findings, sizeof(*r->findings) *
	    (size_t)(r->nfindings + 1));
	r->findings[r->nfindings++] = *f;
}

static void
addr_evidence(struct finding *f, const struct diag_host *h,
    const struct diag_addr *a)
{
	char label[320];
	int k;

	diag_addr_label(h, a, label);
	finding_evidence(f, "%s: %s", label, a->summary ? a->summary : "");
	if (a->have_cr && a->cr.note != NULL)
		finding_evidence(f, "%s%s%s", a->cr.provider ? a->cr.provider : "",
		    a->cr.provider ? ": " : "", a->cr.note);
	for (k = 0; k < DIAG_TLS_TRIES; k++)
		if (a->tls_try[k].tried)
			finding_evidence(f, "retried with %s: %s%s",
			    diag_tls_try_label(k), a->tls_try[k].ok ?
			    "handshake works, " : !a->tls_try[k].conclusive ?
			    "inconclusive, stopped before TLS: " : "fails: ",
			    a->tls_try[k].ok ? a->tls_try[k].version :
			    a->tls_try[k].error);
	if (a->hint != NULL)
		finding_evidence(f, "likely: %s", a->hint);
}

static void
host_evidence(struct finding *f, const struct diag_host *h)
{
	int i;

	if (h->naddrs == 0) {
		finding_evidence(f, "%s", h->summary);
		return;
	}
	for (i = 0; i < h->naddrs; i++)
		addr_evidence(f, h, &h->addrs[i]);
}

static bool
works(const struct diag_host *h)
{
	return h->cause != NULL && h->severity <= SEV_WARNING;
}

static const char *
domain_of(const struct diag_result *r)
{
	return r->target.host;
}

static bool
dns_verdict(struct diag_result *r)
{
	struct finding *v = &r->verdict;
	const char *d = domain_of(r);

	if (!r->mx_asked)
		return false;
	if (r->mx_sec == DNS_SEC_BOGUS) {
		finding_init(v, "dns.dnssec_bogus", SEV_ERROR,
		    "DNSSEC validation of the MX records of %s failed", d);
		if (r->mx_why_bogus != NULL)
			finding_evidence(v, "validator: %s", r->mx_why_bogus);
		return true;
	}
	switch (r->mx_status) {
	case DNS_NXDOMAIN:
		finding_init(v, "dns.nxdomain", SEV_ERROR,
		    "The domain %s does not exist (NXDOMAIN)", d);
		finding_evidence(v, "MX %s: nxdomain, %.1f ms", d, r->mx_ms);
		return true;
	case DNS_OK:
	case DNS_NODATA:
		break;
	default:
		finding_init(v, "dns.failure", SEV_ERROR,
		    "The MX lookup of %s failed: %s", d,
		    dns_status_name(r->mx_status));
		finding_evidence(v, "MX %s: %s after %.1f ms", d,
		    dns_status_name(r->mx_status), r->mx_ms);
		return true;
	}
	if (r->null_mx) {
		finding_init(v, "dns.no_mail", SEV_ERROR,
		    "%s publishes a null MX (RFC 7505): it accepts no mail", d);
		finding_evidence(v, "MX %s: 0 .", d);
		return true;
	}
	if (r->mx_status == DNS_OK && r->nhosts == 0) {
		finding_init(v, "dns.no_mail", SEV_ERROR,
		    "%s has MX records but none usable", d);
		return true;
	}
	if (r->implicit_mx && r->nhosts == 1 && r->hosts[0].naddrs == 0 &&
	    r->hosts[0].cause == cause_must("dns.no_mail")) {
		finding_init(v, "dns.no_mail", SEV_ERROR,
		    "%s has no MX record and no A/AAAA record: it takes no mail",
		    d);
		finding_evidence(v, "MX %s: nodata; %s", d, r->hosts[0].summary);
		return true;
	}
	return false;
}

void
diag_verdict(struct diag_result *r)
{
	struct finding *v = &r->verdict;
	const struct diag_host *primary = NULL, *backup = NULL, *failing = NULL;
	int i, a, nworking = 0;
	bool all_timeout = true, any_addr = false;

	finding_release(v);
	for (i = 0; i < r->nfindings; i++)
		finding_release(&r->findings[i]);
	r->nfindings = 0;
	for (i = 0; i < r->nhosts; i++) {
		for (a = 0; a < r->hosts[i].naddrs; a++)
			tls_tries_hint(&r->hosts[i].addrs[a]);
		aggregate_host(r, &r->hosts[i]);
	}
	if (dns_verdict(r))
		return;
	if (r->nhosts == 0) {
		finding_init(v, "dns.failure", SEV_ERROR,
		    "No host to probe for %s", domain_of(r));
		return;
	}
	primary = &r->hosts[0];
	for (i = 0; i < r->nhosts; i++) {
		const struct diag_host *h = &r->hosts[i];

		if (works(h)) {
			nworking++;
			if (backup == NULL && i > 0)
				backup = h;
		} else if (failing == NULL)
			failing = h;
		for (a = 0; a < h->naddrs; a++) {
			any_addr = true;
			if (h->addrs[a].cause != cause_must("net.connect_timeout"))
				all_timeout = false;
		}
		if (h->naddrs == 0)
			all_timeout = false;
	}

	if (any_addr && all_timeout) {
		const struct diag_port_check *pc = &r->port_check;
		bool answered = pc->performed && ((pc->port_443 &&
		    (strcmp(pc->port_443, "open") == 0 ||
		    strcmp(pc->port_443, "refused") == 0)) || (pc->port_80 &&
		    (strcmp(pc->port_80, "open") == 0 ||
		    strcmp(pc->port_80, "refused") == 0)));

		if (answered) {
			finding_init(v, "net.port_blocked", SEV_ERROR,
			    "Outbound port %d is blocked near this sender: every "
			    "MX times out on %d, but %s answers on other ports",
			    r->port, r->port, pc->addr);
		} else {
			finding_init(v, "net.connect_timeout", SEV_ERROR,
			    "No MX host answers: every connection on port %d "
			    "timed out%s", r->port, pc->performed ?
			    ", and ports 443 and 80 do not answer either" : "");
		}
		if (pc->performed)
			finding_evidence(v, "control connections to %s: "
			    "443 %s (%.0f ms), 80 %s (%.0f ms)", pc->addr,
			    pc->port_443 ? pc->port_443 : "not tried",
			    pc->ms_443, pc->port_80 ? pc->port_80 : "not tried",
			    pc->ms_80);
		for (i = 0; i < r->nhosts; i++)
			host_evidence(v, &r->hosts[i]);
		return;
	}

	if (works(primary)) {
		if (failing != NULL) {
			finding_init(v, failing->cause->id, SEV_WARNING,
			    "%s works, but %s fails: %s", primary->name[0] ?
			    primary->name : "the host", failing->name,
			    failing->summary);
		} else {
			finding_init(v, primary->cause->id, primary->severity,
			    "%s%s%s", r->nhosts > 1 || primary->name[0] ?
			    (primary->name[0] ? primary->name : "") : "",
			    primary->name[0] ? ": " : "", primary->summary);
		}
		if (primary->severity == SEV_OK && failing == NULL) {
			free(v->summary);
			if (r->rcpt != NULL)
				v->summary = xasprintf("Mail to <%s> would be "
				    "accepted: %s", r->rcpt, primary->summary);
			else if (r->mx_asked)
				v->summary = xasprintf("Mail to %s would be "
				    "accepted: %d of %d MX host%s answer%s",
				    domain_of(r), nworking, r->nhosts,
				    r->nhosts == 1 ? "" : "s",
				    nworking == 1 ? "s" : "");
			else
				v->summary = xasprintf("%s %s: %s",
				    target_kind_name(r->target.kind),
				    domain_of(r), primary->summary);
		}
	} else if (backup != NULL) {
		finding_init(v, primary->cause->id, SEV_WARNING,
		    "The preferred MX %s fails (%s); %s accepts the mail "
		    "instead, with a delay", primary->name, primary->summary,
		    backup->name);
	} else {
		finding_init(v, primary->cause->id, SEV_ERROR, "%s%s%s",
		    primary->name[0] ? primary->name : "",
		    primary->name[0] ? ": " : "", primary->summary);
	}
	for (i = 0; i < r->nhosts; i++)
		host_evidence(v, &r->hosts[i]);

	/* The secondary findings: each address whose own cause differs
	 * from the verdict's, so that nothing seen is hidden. */
	for (i = 0; i < r->nhosts; i++) {
		const struct diag_host *h = &r->hosts[i];

		for (a = 0; a < h->naddrs; a++) {
			const struct diag_addr *d = &h->addrs[a];
			struct finding f;
			char label[320];

			if (d->cause == NULL || d->cause == v->cause ||
			    d->severity == SEV_OK)
				continue;
			diag_addr_label(h, d, label);
			finding_init(&f, d->cause->id, d->severity == SEV_ERROR &&
			    works(h) ? SEV_WARNING : d->severity, "%s: %s", label,
			    d->summary);
			addr_evidence(&f, h, d);
			add_finding(r, &f);
		}
		if (h->naddrs == 0 && h->cause != v->cause) {
			struct finding f;

			finding_init(&f, h->cause->id, SEV_ERROR, "%s", h->summary);
			add_finding(r, &f);
		}
	}
}
