/*
 * cmd_auth.c - `mxdoc auth DOMAIN`: the sending domain's audit (SPF with
 * its lookup budget, DKIM selectors, DMARC, MTA-STS, TLS-RPT, MX sanity,
 * DANE), as text or as the JSON document of doc/auth.md. Both come from
 * one audit_result.
 *
 * `--file LIST` audits many domains, --jobs at a time (16 by default), in
 * this one process: the audits run side by side on one event loop and one
 * resolver (its cache shared, so the includes and MX hosts many domains
 * have in common are asked once), the MTA-STS fetches on libcurl's multi
 * interface on the same loop. bench/auth measured it against a process
 * per domain: about a third of the CPU time per domain. Results are
 * printed in the order of the list as soon as each is complete (with
 * --json one document per line, JSON Lines); a progress line goes to
 * stderr when it is a terminal.
 * Exit: 0 no warning or error, 1 a problem found, 2 bad usage, 3 no DNS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth/audit.h"
#include "auth/spf.h"
#include "classify/finding.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"
#include "dns/resolver.h"
#include "report/json.h"
#include "report/text.h"

enum { OPT_CA_FILE = OPT_FIRST_LOCAL, OPT_HTTPS_PORT, OPT_SELECTOR,
	OPT_SELECTORS_ONLY, OPT_SMTP_PORT, OPT_FILE, OPT_JOBS, OPT_HELO };

#define AUTH_JOBS_MAX	64
#define AUTH_LIST_MAX	100000	/* domains in one --file */
#define AUTH_STALL_S	600	/* no audit finished in that long: give up */
/* DNS questions of the audits in flight at once; libunbound takes 1024
 * a context, and the SPF walks ask beside this window. */
#define AUTH_DNS_WINDOW	512

static const char help[] =
"Arguments:\n"
"  DOMAIN                 the sending domain to audit\n"
"Options:\n"
"  --selector S           a DKIM selector to check (repeatable), before the\n"
"                         common ones mxdoc tries\n"
"  --selectors-only       try only the --selector ones\n"
"  --file LIST            audit every domain of LIST (one a line, # comments;\n"
"                         - for stdin); --json prints JSON Lines\n"
"  --jobs N               domains audited at once with --file (default 16)\n"
"  --helo NAME            the EHLO name of the DANE probes (default localhost)\n"
"  --smtp-port PORT       connect to MX hosts on PORT instead of 25 (tests)\n"
"  --ca-file FILE         PEM certificates trusted for the MTA-STS policy\n"
"                         host (default: the system's CAs)\n"
"  --https-port PORT      connect to the policy host on PORT instead of 443\n"
"                         (the name checked stays mta-sts.DOMAIN; tests)\n";

extern const struct cmd_entry cmd_auth_entry;

static void
jw_dns(struct jw *w, const char *key, enum dns_status s)
{
	jw_str(w, key, dns_status_name(s));
}

static void
finding_obj(struct jw *w, const struct audit_finding *af)
{
	const struct finding *f = &af->f;
	size_t i;
	int k;

	jw_obj_begin(w, NULL);
	jw_str(w, "section", af->section);
	jw_str(w, "check", af->check);
	jw_str(w, "cause", f->cause->id);
	jw_str(w, "category", cause_category_name(f->cause->category));
	jw_str(w, "severity", severity_name(f->severity));
	jw_bool(w, "retry", f->cause->retry);
	jw_str(w, "title", f->cause->title);
	jw_str(w, "summary", f->summary);
	jw_str(w, "explanation", f->cause->explanation);
	jw_arr_begin(w, "evidence");
	for (k = 0; k < f->nevidence; k++)
		jw_str(w, NULL, f->evidence[k]);
	jw_arr_end(w);
	jw_arr_begin(w, "remedy");
	if (f->remedy_first != NULL)
		jw_str(w, NULL, f->remedy_first);
	if (f->severity >= SEV_WARNING)
		for (i = 0; i < f->cause->nremedy; i++)
			jw_str(w, NULL, f->cause->remedy[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_spf(struct jw *w, const struct audit_spf *s)
{
	const struct spf_outcome *o = s->budget;
	int i;

	jw_obj_begin(w, "spf");
	jw_dns(w, "dns", s->status);
	jw_int(w, "records", s->nrecords);
	jw_str(w, "record", s->record);
	jw_int(w, "record_bytes", (int64_t)s->record_len);
	jw_int(w, "strings", s->nstrings);
	jw_int(w, "answer_bytes", (int64_t)s->answer_bytes);
	if (o != NULL) {
		jw_str(w, "result", spf_result_name(o->result));
		jw_str(w, "reason", o->reason);
		jw_int(w, "lookups", o->lookups);
		jw_int(w, "void_lookups", o->void_lookups);
	} else {
		jw_null(w, "result");
		jw_null(w, "reason");
		jw_null(w, "lookups");
		jw_null(w, "void_lookups");
	}
	jw_int(w, "lookup_limit", SPF_LOOKUP_LIMIT);
	jw_int(w, "void_limit", SPF_VOID_LIMIT);
	jw_arr_begin(w, "tree");
	for (i = 0; o != NULL && i < o->ncheck; i++) {
		const struct spf_check *c = &o->check[i];

		jw_obj_begin(w, NULL);
		jw_str(w, "domain", c->domain);
		jw_str(w, "via", spf_via_name(c->via));
		if (c->parent >= 0)
			jw_int(w, "parent", c->parent);
		else
			jw_null(w, "parent");
		jw_int(w, "depth", c->depth);
		jw_int(w, "lookups", c->dns_terms);
		jw_str(w, "record", c->record);
		jw_str(w, "error", c->error);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "terms");
	for (i = 0; o != NULL && i < o->nstep; i++) {
		const struct spf_step *st = &o->step[i];

		if (st->kind != SPF_STEP_TERM || !st->counted)
			continue;
		jw_obj_begin(w, NULL);
		jw_str(w, "domain", st->domain);
		jw_str(w, "term", st->term);
		jw_int(w, "lookups", st->lookups);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_dmarc(struct jw *w, const struct audit_dmarc *d)
{
	int i, k;

	jw_obj_begin(w, "dmarc");
	jw_dns(w, "dns", d->status);
	jw_str(w, "organizational_domain", d->org[0] ? d->org : NULL);
	jw_str(w, "found_at", d->found_at);
	jw_bool(w, "fallback", d->fallback);
	jw_int(w, "records", d->nrecords);
	jw_str(w, "record", d->record);
	if (d->record != NULL) {
		jw_bool(w, "valid", d->rec.valid);
		jw_str(w, "p", dmarc_policy_name(d->rec.p));
		jw_str(w, "sp", dmarc_policy_name(d->rec.sp));
		jw_int(w, "pct", d->rec.pct);
		jw_strn(w, "adkim", &d->rec.adkim, 1);
		jw_strn(w, "aspf", &d->rec.aspf, 1);
		jw_str(w, "fo", d->rec.fo);
		jw_int(w, "ri", d->rec.ri);
		for (k = 0; k < 2; k++) {
			const struct dmarc_uri *u = k ? d->rec.ruf : d->rec.rua;
			int n = k ? d->rec.nruf : d->rec.nrua;

			jw_arr_begin(w, k ? "ruf" : "rua");
			for (i = 0; i < n; i++) {
				jw_obj_begin(w, NULL);
				jw_str(w, "uri", u[i].uri);
				jw_str(w, "domain", u[i].domain[0] ?
				    u[i].domain : NULL);
				jw_int(w, "max_size", (int64_t)u[i].max_size);
				jw_obj_end(w);
			}
			jw_arr_end(w);
		}
	}
	jw_arr_begin(w, "report_authorization");
	for (i = 0; i < d->nauth; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "destination", d->auth[i].dest);
		jw_bool(w, "external", d->auth[i].external);
		jw_str(w, "name", d->auth[i].name);
		jw_bool(w, "authorized", d->auth[i].authorized);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_mtasts(struct jw *w, const struct audit_mtasts *m)
{
	int i;

	jw_obj_begin(w, "mta_sts");
	jw_dns(w, "dns", m->status);
	jw_int(w, "records", m->nrecords);
	jw_str(w, "record", m->record);
	jw_str(w, "id", m->txt.id[0] ? m->txt.id : NULL);
	jw_str(w, "policy_url", m->url);
	jw_str(w, "policy_address", m->host_addr[0] ? m->host_addr : NULL);
	jw_int(w, "http_status", m->http_status);
	jw_str(w, "content_type", m->content_type);
	jw_str(w, "fetch_error", m->error);
	if (m->have_policy) {
		jw_obj_begin(w, "policy");
		jw_bool(w, "valid", m->policy.valid);
		jw_str(w, "mode", mtasts_mode_name(m->policy.mode));
		if (m->policy.max_age >= 0)
			jw_int(w, "max_age", m->policy.max_age);
		else
			jw_null(w, "max_age");
		jw_arr_begin(w, "mx");
		for (i = 0; i < m->policy.nmx; i++)
			jw_str(w, NULL, m->policy.mx[i]);
		jw_arr_end(w);
		jw_strn(w, "text", m->body, m->body_len);
		jw_obj_end(w);
	} else {
		jw_null(w, "policy");
	}
	jw_obj_end(w);
}

static void
json_mx(struct jw *w, const struct audit_mx *m)
{
	int i, k;

	jw_obj_begin(w, "mx");
	jw_dns(w, "dns", m->status);
	jw_bool(w, "null_mx", m->null_mx);
	jw_arr_begin(w, "hosts");
	for (i = 0; i < m->nhost; i++) {
		const struct audit_mx_host *h = &m->host[i];

		jw_obj_begin(w, NULL);
		jw_int(w, "preference", h->pref);
		jw_str(w, "host", h->host);
		jw_str(w, "cname_target", h->cname ? h->canonical : NULL);
		jw_bool(w, "ip_literal", h->literal);
		jw_arr_begin(w, "addresses");
		for (k = 0; k < h->naddr; k++)
			jw_str(w, NULL, h->addr[k]);
		jw_arr_end(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_dkim(struct jw *w, const struct audit_dkim *d)
{
	int i;

	jw_obj_begin(w, "dkim");
	jw_int(w, "selectors_tried", d->ntried);
	jw_int(w, "lookups_failed", d->nfailed);
	jw_arr_begin(w, "keys");
	for (i = 0; i < d->ntried; i++) {
		const struct audit_dkim_key *k = &d->sel[i];

		if (!k->found)
			continue;
		jw_obj_begin(w, NULL);
		jw_str(w, "selector", k->selector);
		jw_int(w, "records", k->nrecords);
		jw_str(w, "record", k->record);
		jw_str(w, "error", k->error);
		jw_str(w, "type", k->error != NULL ? NULL : k->ed25519 ?
		    "ed25519" : "rsa");
		if (k->bits > 0)
			jw_int(w, "bits", k->bits);
		else
			jw_null(w, "bits");
		jw_bool(w, "testing", k->testing);
		jw_bool(w, "revoked", k->revoked);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_dane(struct jw *w, const struct audit_mx *m)
{
	static const char hex[] = "0123456789abcdef";
	struct buf hx;
	int i, k;
	size_t j;

	jw_obj_begin(w, "dane");
	jw_arr_begin(w, "hosts");
	for (i = 0; i < m->nhost; i++) {
		const struct audit_mx_host *h = &m->host[i];
		const struct audit_dane_probe *pr = &h->probe;

		if (h->literal)
			continue;
		jw_obj_begin(w, NULL);
		jw_str(w, "host", h->host);
		jw_dns(w, "dns", h->status_tlsa);
		jw_str(w, "dnssec", dns_sec_name(h->sec_tlsa));
		jw_str(w, "why_bogus", h->why_bogus);
		jw_arr_begin(w, "tlsa");
		for (k = 0; k < h->ntlsa; k++) {
			const struct audit_tlsa *t = &h->tlsa[k];

			buf_init(&hx, BUF_UNBOUNDED);
			for (j = 0; j < t->len; j++) {
				(void)buf_append(&hx, &hex[t->data[j] >> 4], 1);
				(void)buf_append(&hx, &hex[t->data[j] & 15], 1);
			}
			jw_obj_begin(w, NULL);
			jw_int(w, "usage", t->usage);
			jw_int(w, "selector", t->selector);
			jw_int(w, "matching_type", t->mtype);
			jw_strn(w, "data", hx.data != NULL ? hx.data : "",
			    hx.len);
			jw_str(w, "match", pr->tls ? dane_result_name(t->match) :
			    NULL);
			if (t->match == DANE_MATCH)
				jw_int(w, "chain_depth", t->depth);
			else
				jw_null(w, "chain_depth");
			jw_obj_end(w);
			buf_release(&hx);
		}
		jw_arr_end(w);
		if (pr->tried) {
			jw_obj_begin(w, "probe");
			jw_str(w, "address", pr->addr);
			jw_int(w, "port", pr->port);
			jw_bool(w, "tls", pr->tls);
			jw_str(w, "tls_version", pr->tls ? pr->tls_version :
			    NULL);
			jw_int(w, "chain_length", pr->nchain);
			jw_str(w, "leaf_subject", pr->tls ? pr->leaf_subject :
			    NULL);
			jw_str(w, "error", pr->error);
			jw_obj_end(w);
		} else {
			jw_null(w, "probe");
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
render_json(FILE *fp, const struct audit_result *r, bool lines)
{
	struct buf out;
	struct jw *w;
	int i;

	buf_init(&out, BUF_UNBOUNDED);
	w = jw_new(&out);
	if (lines)
		jw_compact(w);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "auth");
	jw_str(w, "domain", r->domain);
	jw_ms(w, "duration_ms", r->duration_ms);
	finding_json(w, "verdict", &r->verdict);
	jw_int(w, "errors", r->errors);
	jw_int(w, "warnings", r->warnings);
	jw_arr_begin(w, "findings");
	for (i = 0; i < r->nfinding; i++)
		finding_obj(w, &r->finding[i]);
	jw_arr_end(w);
	json_spf(w, &r->spf);
	json_dkim(w, &r->dkim);
	json_dmarc(w, &r->dmarc);
	json_mtasts(w, &r->mta_sts);
	jw_obj_begin(w, "tls_rpt");
	jw_dns(w, "dns", r->tls_rpt.status);
	jw_int(w, "records", r->tls_rpt.nrecords);
	jw_str(w, "record", r->tls_rpt.record);
	jw_arr_begin(w, "rua");
	for (i = 0; i < r->tls_rpt.rec.nrua; i++)
		jw_str(w, NULL, r->tls_rpt.rec.rua[i]);
	jw_arr_end(w);
	jw_obj_end(w);
	json_mx(w, &r->mx);
	json_dane(w, &r->mx);
	jw_obj_end(w);
	if (lines)
		(void)buf_append(&out, "\n", 1);
	fwrite(out.data, 1, out.len, fp);
	jw_free(w);
	buf_release(&out);
}

static const char *const sections[][2] = {
	{ "spf", "SPF" }, { "dkim", "DKIM" }, { "dmarc", "DMARC" },
	{ "mta_sts", "MTA-STS" }, { "tls_rpt", "TLS-RPT" }, { "mx", "MX" },
	{ "dane", "DANE" },
};

static void
render_text(FILE *fp, const struct audit_result *r,
    const struct cli_globals *g)
{
	const struct finding *v = &r->verdict;
	size_t s, i;
	int k, e, n;

	fprintf(fp, "%s%s%s%s\n", tc(TC_BOLD), tc(cli_sev_color(v->severity)),
	    v->summary, tc(TC_RESET));
	if (g->quiet)
		return;
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		fprintf(fp, "\n%s%s%s\n", tc(TC_BOLD), sections[s][1], tc(TC_RESET));
		for (k = 0; k < r->nfinding; k++) {
			const struct audit_finding *af = &r->finding[k];
			const struct finding *f = &af->f;

			if (strcmp(af->section, sections[s][0]) != 0)
				continue;
			if (f->severity == SEV_INFO && !g->verbose &&
			    strcmp(af->check, "dmarc.tag") == 0)
				continue;
			fprintf(fp, "  %s%-8s%s ", tc(cli_sev_color(f->severity)),
			    cli_sev_label(f->severity), tc(TC_RESET));
			text_wrap(fp, f->summary, 11, 11, 100);
			for (e = 0; e < f->nevidence; e++) {
				fprintf(fp, "%11s%s", "", tc(TC_DIM));
				text_wrap(fp, f->evidence[e], 11, 13, 100);
				fprintf(fp, "%s", tc(TC_RESET));
			}
			if (f->remedy_first != NULL && f->severity >=
			    SEV_WARNING) {
				fprintf(fp, "%11s-> ", "");
				text_wrap(fp, f->remedy_first, 14, 14, 100);
			}
		}
	}
	if (v->severity >= SEV_WARNING && v->cause->nremedy > 0) {
		fprintf(fp, "\n%sWhat to do%s\n", tc(TC_BOLD), tc(TC_RESET));
		n = 1;
		for (i = 0; i < v->cause->nremedy; i++) {
			fprintf(fp, "  %d. ", n++);
			text_wrap(fp, v->cause->remedy[i], 5, 5, 100);
		}
	}
}

static bool
domain_ok(const char *domain)
{
	return spf_name_ok(domain, true) && domain[0] != '.' &&
	    domain[0] != '[' && strchr(domain, '@') == NULL &&
	    strchr(domain, ' ') == NULL;
}

static void
set_timeouts(struct audit_params *p, const struct cli_globals *g)
{
	p->timeout_ms = g->timeout_ms > 0 ? g->timeout_ms : 10000;
	p->smtp_timeout_ms = g->timeout_ms > 0 ? g->timeout_ms : 10000;
	if (g->timeout_ms * 3 > 20000)
		p->spf_deadline_ms = g->timeout_ms * 3;
}

/* Audits one domain on a loop and resolver of its own and prints the
 * result. Returns the exit status. */
static int
audit_one(const char *domain, const struct audit_params *tmpl,
    struct cli_globals *g, bool lines)
{
	struct audit_params p = *tmpl;
	struct event_base *base = NULL;
	struct audit_result *r = NULL;
	char *err = NULL;
	int rc = EXIT_INTERNAL;

	base = event_base_new();
	if (base == NULL) {
		fprintf(stderr, "mxdoc auth: cannot create the event loop\n");
		goto out;
	}
	p.dns = cli_dns_new(base, g, 5000, "auth");
	if (p.dns == NULL)
		goto out;
	p.domain = domain;
	set_timeouts(&p, g);
	r = audit_run(base, &p, &err);
	if (r == NULL) {
		rc = cli_usage_error("auth", "%s", err ? err : "?");
		goto out;
	}
	if (g->json)
		render_json(stdout, r, lines);
	else
		render_text(stdout, r, g);
	rc = r->errors + r->warnings > 0 ? EXIT_PROBLEM : EXIT_OK;
out:
	fflush(stdout);
	audit_free(r);
	if (p.dns != NULL)
		dns_free(p.dns);
	if (base != NULL)
		event_base_free(base);
	free(err);
	return rc;
}

/* ---- --file: many domains, one process ------------------------------ */

struct list_run;

struct job {
	char		*domain;
	char		*out;		/* the rendered result, or NULL */
	size_t		 outlen;
	bool		 done;
	int		 rc;
};

struct list_run {
	struct cli_globals	*g;
	struct job		*job;
	int			 njob, jobs;
	int			 ndone, printed;
	int			 rc;
	bool			 tty;
};

static int
read_list(const char *path, struct job **jobs, int *njob)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char line[1024];
	int lineno = 0, bad = 0, cap = 0;

	*jobs = NULL;
	*njob = 0;
	if (fp == NULL) {
		fprintf(stderr, "mxdoc auth: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s = line, *e;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int ch;

			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			fprintf(stderr, "mxdoc auth: %s:%d: line too long\n",
			    path, lineno);
			bad++;
			continue;
		}
		if ((e = strchr(s, '#')) != NULL)
			*e = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0')
			continue;
		if (!domain_ok(s)) {
			fprintf(stderr, "mxdoc auth: %s:%d: '%s' is not a "
			    "domain name\n", path, lineno, s);
			bad++;
			continue;
		}
		if (*njob >= AUTH_LIST_MAX) {
			fprintf(stderr, "mxdoc auth: %s: more than %d domains; "
			    "the rest is ignored\n", path, AUTH_LIST_MAX);
			bad++;
			break;
		}
		if (*njob == cap) {
			cap = cap ? cap * 2 : 64;
			*jobs = xrealloc(*jobs, (size_t)cap * sizeof(**jobs));
		}
		memset(&(*jobs)[*njob], 0, sizeof(**jobs));
		(*jobs)[*njob].domain = xstrdup(s);
		(*njob)++;
	}
	if (fp != stdin)
		fclose(fp);
	return bad;
}

static void
progress(void *arg)
{
	struct list_run *lr = arg;
	int left = lr->njob - lr->ndone;

	/* audit_many starts the next audit as each ends: the window stays
	 * full while domains are left. */
	if (lr->tty)
		fprintf(stderr, "\r\033[Kmxdoc auth: %d/%d done, %d running",
		    lr->ndone, lr->njob, left < lr->jobs ? left : lr->jobs);
}

/* In the order of the list, as soon as each is complete. */
static void
flush_done(struct list_run *lr)
{
	while (lr->printed < lr->njob && lr->job[lr->printed].done) {
		struct job *j = &lr->job[lr->printed];

		if (lr->tty)
			fprintf(stderr, "\r\033[K");
		if (!lr->g->json && lr->printed > 0 && j->outlen > 0)
			fputc('\n', stdout);
		if (j->outlen > 0)
			fwrite(j->out, 1, j->outlen, stdout);
		fflush(stdout);
		free(j->out);
		j->out = NULL;
		if (j->rc > lr->rc)
			lr->rc = j->rc;
		lr->printed++;
	}
}

static void
on_job(void *arg, int i, struct audit_result *r, const char *err)
{
	struct list_run *lr = arg;
	struct job *j = &lr->job[i];
	FILE *fp;

	if (r == NULL)
		j->rc = cli_usage_error("auth", "%s", err);
	else {
		if ((fp = open_memstream(&j->out, &j->outlen)) == NULL) {
			fprintf(stderr, "mxdoc auth: out of memory\n");
			exit(EXIT_INTERNAL);
		}
		if (lr->g->json)
			render_json(fp, r, true);
		else
			render_text(fp, r, lr->g);
		fclose(fp);
		j->rc = r->errors + r->warnings > 0 ? EXIT_PROBLEM : EXIT_OK;
		audit_free(r);
	}
	j->done = true;
	lr->ndone++;
	flush_done(lr);
	progress(lr);
}

static int
run_list(const char *path, int jobs, const struct audit_params *tmpl,
    struct cli_globals *g)
{
	struct list_run lr;
	struct audit_params p = *tmpl;
	struct event_base *base = NULL;
	const char **domains = NULL;
	int bad, i, rc;

	memset(&lr, 0, sizeof(lr));
	bad = read_list(path, &lr.job, &lr.njob);
	if (bad < 0)
		return EXIT_USAGE;
	if (lr.njob == 0) {
		fprintf(stderr, "mxdoc auth: %s: no domain to audit\n", path);
		return EXIT_USAGE;
	}
	lr.g = g;
	lr.jobs = jobs;
	lr.tty = isatty(STDERR_FILENO);
	set_timeouts(&p, g);
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "mxdoc auth: cannot create the event loop\n");
		rc = EXIT_INTERNAL;
		goto out;
	}
	/* One resolver for every domain, its cache shared; one window of
	 * questions under libunbound's own limit, with room left for the
	 * SPF walks, which ask outside it. */
	if ((p.dns = cli_dns_new(base, g, 5000, "auth")) == NULL) {
		rc = EXIT_INTERNAL;
		goto out;
	}
	domains = xcalloc((size_t)lr.njob, sizeof(*domains));
	for (i = 0; i < lr.njob; i++)
		domains[i] = lr.job[i].domain;
	progress(&lr);
	switch (audit_many(base, &p, domains, lr.njob, jobs, AUTH_DNS_WINDOW,
	    AUTH_STALL_S, on_job, progress, &lr)) {
	case -2:
		fprintf(stderr, "mxdoc auth: cannot create the event loop\n");
		rc = EXIT_INTERNAL;
		goto out;
	case -1:
		fprintf(stderr, "%smxdoc auth: no audit finished in %d s; "
		    "%d of %d domains not done\n", lr.tty ? "\r\033[K" : "",
		    AUTH_STALL_S, lr.njob - lr.printed, lr.njob);
		/* The audits still running hold the resolver and the loop:
		 * the process ends here rather than free under them. */
		fflush(stdout);
		exit(EXIT_INTERNAL);
	}
	rc = lr.rc;
	if (lr.tty)
		fprintf(stderr, "\r\033[K");
	if (bad > 0 && rc < EXIT_PROBLEM)
		rc = EXIT_PROBLEM;
out:
	free(domains);
	if (p.dns != NULL)
		dns_free(p.dns);
	if (base != NULL)
		event_base_free(base);
	for (i = 0; i < lr.njob; i++) {
		free(lr.job[i].domain);
		free(lr.job[i].out);
	}
	free(lr.job);
	return rc;
}

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "https-port", required_argument, NULL, OPT_HTTPS_PORT },
		{ "selector", required_argument, NULL, OPT_SELECTOR },
		{ "selectors-only", no_argument, NULL, OPT_SELECTORS_ONLY },
		{ "smtp-port", required_argument, NULL, OPT_SMTP_PORT },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "helo", required_argument, NULL, OPT_HELO },
		{ NULL, 0, NULL, 0 }
	};
	const char *selectors[AUDIT_SELECTORS_MAX];
	struct audit_params p;
	const char *domain, *list = NULL;
	long port, jobs = 16;
	int c, stop = EXIT_OK;

	memset(&p, 0, sizeof(p));
	p.selectors = selectors;
	while ((c = cli_next_option(argc, argv, opts, g, &cmd_auth_entry,
	    &stop)) != -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		switch (c) {
		case OPT_CA_FILE:
			p.ca_file = optarg;
			break;
		case OPT_HTTPS_PORT:
		case OPT_SMTP_PORT:
			if (cli_parse_int(optarg, 1, 65535, &port) < 0)
				return cli_usage_error("auth", "--%s takes a "
				    "port number: '%s'", c == OPT_HTTPS_PORT ?
				    "https-port" : "smtp-port", optarg);
			if (c == OPT_HTTPS_PORT)
				p.https_port = (int)port;
			else
				p.smtp_port = (int)port;
			break;
		case OPT_SELECTOR:
			if (optarg[0] == '\0' || strlen(optarg) >=
			    AUDIT_SELECTOR_LEN || strspn(optarg,
			    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789-_.") != strlen(optarg))
				return cli_usage_error("auth", "'%s' is not a "
				    "DKIM selector", optarg);
			if (p.nselectors >= AUDIT_SELECTORS_MAX)
				return cli_usage_error("auth", "at most %d "
				    "selectors", AUDIT_SELECTORS_MAX);
			selectors[p.nselectors++] = optarg;
			break;
		case OPT_SELECTORS_ONLY:
			p.no_common_selectors = true;
			break;
		case OPT_FILE:
			list = optarg;
			break;
		case OPT_JOBS:
			if (cli_parse_int(optarg, 1, AUTH_JOBS_MAX, &jobs) < 0)
				return cli_usage_error("auth", "--jobs takes "
				    "1 to %d: '%s'", AUTH_JOBS_MAX, optarg);
			break;
		case OPT_HELO:
			if (!domain_ok(optarg))
				return cli_usage_error("auth", "--helo takes a "
				    "host name: '%s'", optarg);
			p.helo = optarg;
			break;
		}
	}
	if (p.no_common_selectors && p.nselectors == 0)
		return cli_usage_error("auth", "--selectors-only needs "
		    "--selector");
	if (list != NULL) {
		if (optind < argc)
			return cli_usage_error("auth", "give --file or a "
			    "DOMAIN, not both");
		text_color_init(g->color);
		return run_list(list, (int)jobs, &p, g);
	}
	if (optind >= argc)
		return cli_usage_error("auth", "give the DOMAIN to audit (try "
		    "'mxdoc auth --help')");
	if (optind + 1 < argc)
		return cli_usage_error("auth", "one domain at a time (many: "
		    "--file LIST)");
	domain = argv[optind];
	if (!domain_ok(domain))
		return cli_usage_error("auth", "'%s' is not a domain name",
		    domain);
	text_color_init(g->color);
	return audit_one(domain, &p, g, false);
}

const struct cmd_entry cmd_auth_entry = {
	.name = "auth",
	.usage = "[OPTIONS] DOMAIN | --file LIST",
	.summary = "audit a sending domain: SPF lookup budget, DKIM, DMARC, "
	    "MTA-STS, TLS-RPT, MX, DANE",
	.help = help,
	.run = run,
};
