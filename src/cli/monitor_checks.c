/*
 * monitor_checks.c - the auth audit and diagnose rounds of `mxdoc monitor`
 * (monitor_int.h).
 *
 * The audits of a round run at once on the monitor's loop, the way
 * `mxdoc auth --file` runs a list: one resolver (its cache shared: the
 * includes and MX hosts domains have in common are asked once), one
 * window of DNS questions (audit_pool) and one set of HTTPS transfers
 * (http_multi), at most `jobs` audits in flight. Each audit's findings are
 * folded into one observation per section, so that the history compares a
 * section's worst severity round after round and an alert names the
 * section that changed.
 *
 * A diagnose drives the loop itself (diag_run) and is bounded by its own
 * total time, so the diagnoses of a round run one after the other: at
 * most one SMTP session set on the wire at a time, the peers asked no more
 * often than the interval.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth/audit.h"
#include "classify/finding.h"
#include "cli/cli.h"
#include "cli/monitor_int.h"
#include "core/buf.h"
#include "core/mem.h"
#include "diag/diag.h"
#include "diag/target.h"

/* Under libunbound's table of 1024 queries a context, with room for the
 * SPF walks, which ask outside the window (as auth --file). */
#define MON_DNS_WINDOW	768

/* Every section an audit reports, in the order alerts and --history list
 * them; one observation each, even without a finding, so that a section
 * whose findings went away is seen to be well again. */
static const char *const sections[] = {
	"spf", "dmarc", "dkim", "mta_sts", "tls_rpt", "mx", "dane", NULL
};

static struct mon_obs *
add_obs(struct mon_round *r, const char *target, const char *check,
    const char *subject, const char *query)
{
	struct mon_obs *o;

	r->obs = xrealloc(r->obs, (size_t)(r->nobs + 1) * sizeof(*r->obs));
	o = &r->obs[r->nobs++];
	memset(o, 0, sizeof(*o));
	o->target = xstrdup(target);
	o->check = check;
	o->subject = xstrdup(subject);
	o->query = xstrdup(query);
	o->severity = -1;
	return o;
}

/* The finding's remedies, one a line; the cause's own only for a problem
 * (as `mxdoc auth` prints them). NULL when there is none. */
static char *
remedies(const struct finding *f)
{
	struct buf b;
	size_t i;

	buf_init(&b, 16384);
	if (f->remedy_first != NULL)
		buf_printf(&b, "%s\n", f->remedy_first);
	if (f->severity >= SEV_WARNING)
		for (i = 0; i < f->cause->nremedy; i++)
			buf_printf(&b, "%s\n", f->cause->remedy[i]);
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	b.data[--b.len] = '\0';
	return buf_steal(&b);
}

static void
fold_audit(struct mon_round *r, const char *target,
    const struct audit_result *res)
{
	int s, i;

	for (s = 0; sections[s] != NULL; s++) {
		const struct audit_finding *worst = NULL;
		struct mon_obs *o;
		struct buf ids;

		buf_init(&ids, 8192);
		for (i = 0; i < res->nfinding; i++) {
			const struct audit_finding *af = &res->finding[i];

			if (strcmp(af->section, sections[s]) != 0)
				continue;
			if (worst == NULL || af->f.severity > worst->f.severity)
				worst = af;
			/* The ids of the problems, once each. */
			if (af->f.severity >= SEV_WARNING) {
				const char *p = ids.data;
				size_t n = strlen(af->check);
				bool seen = false;

				while (p != NULL && ids.len > 0) {
					if (strncmp(p, af->check, n) == 0 &&
					    (p[n] == ',' || p[n] == '\0'))
						seen = true;
					if ((p = strchr(p, ',')) != NULL)
						p++;
				}
				if (!seen)
					buf_printf(&ids, "%s%s", ids.len ? "," :
					    "", af->check);
			}
		}
		o = add_obs(r, target, "auth", sections[s], res->domain);
		if (worst == NULL) {
			o->severity = SEV_OK;
			o->status = "ok";
			o->cause = "ok";
		} else {
			o->severity = (int)worst->f.severity;
			o->status = severity_name(worst->f.severity);
			o->cause = worst->f.cause->id;
			o->detail = xstrdup(worst->f.summary);
			o->remedy = remedies(&worst->f);
		}
		if (ids.len > 0)
			o->codes = buf_steal(&ids);
		buf_release(&ids);
		if (o->severity == SEV_ERROR)
			r->failing++;
	}
}

/* ---- the audits ------------------------------------------------------ */

struct auth_run {
	const char *const	*targets;
	struct audit_result	**res;
	struct mon_round	*r;
	int			 ndone;
};

static void
on_audit(void *arg, int i, struct audit_result *res, const char *err)
{
	struct auth_run *ar = arg;

	ar->ndone++;
	if (res == NULL) {
		/* The configuration checked the name: a bug, or a name the
		 * audit reads differently. */
		fprintf(stderr, "mxdoc monitor: auth %s: %s\n",
		    ar->targets[i], err);
		ar->r->errors++;
		return;
	}
	ar->res[i] = res;
}

void
mon_auth_round(struct event_base *base, const struct mon_auth_params *mp,
    const char *const *targets, const char *const *domains, int n,
    struct mon_round *r)
{
	struct auth_run ar;
	struct audit_params p;
	int i;

	if (n <= 0)
		return;
	memset(&p, 0, sizeof(p));
	p.dns = mp->dns;
	p.timeout_ms = (int)mp->timeout_ms;
	p.smtp_timeout_ms = (int)mp->timeout_ms;
	p.ca_file = mp->ca_file;
	ar.targets = targets;
	ar.res = xcalloc((size_t)n, sizeof(*ar.res));
	ar.r = r;
	ar.ndone = 0;
	switch (audit_many(base, &p, domains, n, mp->jobs > 0 ? mp->jobs : 16,
	    MON_DNS_WINDOW, MON_AUTH_STALL_S, on_audit, NULL, &ar)) {
	case -2:
		fprintf(stderr, "mxdoc monitor: cannot create a timer\n");
		exit(EXIT_INTERNAL);
	case -1:
		fprintf(stderr, "mxdoc monitor: no audit finished in %d s; "
		    "%d of %d not done\n", MON_AUTH_STALL_S, n - ar.ndone, n);
		/* The audits still running hold the resolver and the loop:
		 * the process ends rather than free under them (as auth
		 * --file). */
		exit(EXIT_INTERNAL);
	}
	for (i = 0; i < n; i++)
		if (ar.res[i] != NULL) {
			fold_audit(r, targets[i], ar.res[i]);
			audit_free(ar.res[i]);
		}
	free(ar.res);
}

/* ---- diagnose -------------------------------------------------------- */

int
mon_diag_one(struct event_base *base, const struct mon_diag_params *mp,
    const char *target, const char *what, int port, struct mon_round *r)
{
	struct diag_params p;
	struct diag_result *res;
	struct mon_obs *o;
	const char *err = NULL;
	char q[300];
	int h, a;

	memset(&p, 0, sizeof(p));
	if (target_parse(what, &p.target, &err) < 0) {
		fprintf(stderr, "mxdoc monitor: diagnose %s: %s\n", what,
		    err ? err : "?");
		r->errors++;
		return -1;
	}
	p.helo = mp->helo;
	p.family = mp->family;
	p.timeout_ms = (int)mp->timeout_ms;
	p.port = port > 0 ? port : 25;
	p.concurrency = 4;
	p.tls = mp->tls;
	p.dns = mp->dns;
	res = diag_run(base, &p);
	snprintf(q, sizeof(q), "%s:%d", what, p.port);
	o = add_obs(r, target, "diagnose", "verdict", q);
	o->status = res->verdict.cause->id;
	o->cause = res->verdict.cause->id;
	o->severity = (int)res->verdict.severity;
	o->detail = xstrdup(res->verdict.summary);
	o->remedy = remedies(&res->verdict);
	if (o->severity == SEV_ERROR)
		r->failing++;
	for (h = 0; h < res->nhosts; h++) {
		const struct diag_host *dh = &res->hosts[h];

		for (a = 0; a < dh->naddrs; a++) {
			const struct diag_addr *d = &dh->addrs[a];
			if (d->cause == NULL)
				continue;
			snprintf(q, sizeof(q), d->family == 6 ? "[%s]:%d" :
			    "%s:%d", d->addr, d->port);
			o = add_obs(r, target, "diagnose", dh->name[0] ?
			    dh->name : d->addr, q);
			o->status = d->cause->id;
			o->cause = d->cause->id;
			o->severity = (int)d->severity;
			o->detail = d->summary ? xstrdup(d->summary) : NULL;
			o->quiet = true;
		}
	}
	diag_result_free(res);
	return 0;
}
