/*
 * cmd_auth.c - `mxdoc auth DOMAIN`: the sending domain's audit (SPF with
 * its lookup budget, DMARC, MTA-STS, TLS-RPT, MX sanity), as text or as
 * the JSON document of doc/auth.md. Both come from one audit_result.
 * Exit: 0 no warning or error, 1 a problem found, 2 bad usage, 3 no DNS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

enum { OPT_CA_FILE = OPT_FIRST_LOCAL, OPT_HTTPS_PORT };

static const char help[] =
"Arguments:\n"
"  DOMAIN                 the sending domain to audit\n"
"Options:\n"
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
render_json(const struct audit_result *r)
{
	struct buf out;
	struct jw *w;
	int i;

	buf_init(&out, BUF_UNBOUNDED);
	w = jw_new(&out);
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
	jw_obj_end(w);
	fwrite(out.data, 1, out.len, stdout);
	jw_free(w);
	buf_release(&out);
}

static const char *const sections[][2] = {
	{ "spf", "SPF" }, { "dmarc", "DMARC" }, { "mta_sts", "MTA-STS" },
	{ "tls_rpt", "TLS-RPT" }, { "mx", "MX" },
};

static void
render_text(const struct audit_result *r, const struct cli_globals *g)
{
	const struct finding *v = &r->verdict;
	size_t s, i;
	int k, e, n;

	printf("%s%s%s%s\n", tc(TC_BOLD), tc(cli_sev_color(v->severity)),
	    v->summary, tc(TC_RESET));
	if (g->quiet)
		return;
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		printf("\n%s%s%s\n", tc(TC_BOLD), sections[s][1], tc(TC_RESET));
		for (k = 0; k < r->nfinding; k++) {
			const struct audit_finding *af = &r->finding[k];
			const struct finding *f = &af->f;

			if (strcmp(af->section, sections[s][0]) != 0)
				continue;
			if (f->severity == SEV_INFO && !g->verbose &&
			    strcmp(af->check, "dmarc.tag") == 0)
				continue;
			printf("  %s%-8s%s ", tc(cli_sev_color(f->severity)),
			    cli_sev_label(f->severity), tc(TC_RESET));
			text_wrap(stdout, f->summary, 11, 11, 100);
			for (e = 0; e < f->nevidence; e++) {
				printf("%11s%s", "", tc(TC_DIM));
				text_wrap(stdout, f->evidence[e], 11, 13, 100);
				printf("%s", tc(TC_RESET));
			}
			if (f->remedy_first != NULL && f->severity >=
			    SEV_WARNING) {
				printf("%11s-> ", "");
				text_wrap(stdout, f->remedy_first, 14, 14, 100);
			}
		}
	}
	if (v->severity >= SEV_WARNING && v->cause->nremedy > 0) {
		printf("\n%sWhat to do%s\n", tc(TC_BOLD), tc(TC_RESET));
		n = 1;
		for (i = 0; i < v->cause->nremedy; i++) {
			printf("  %d. ", n++);
			text_wrap(stdout, v->cause->remedy[i], 5, 5, 100);
		}
	}
}

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "https-port", required_argument, NULL, OPT_HTTPS_PORT },
		{ NULL, 0, NULL, 0 }
	};
	struct audit_params p;
	struct dns_params dp;
	struct event_base *base = NULL;
	struct audit_result *r = NULL;
	char *err = NULL;
	const char *domain;
	long port;
	int c, rc = EXIT_INTERNAL;

	memset(&p, 0, sizeof(p));
	memset(&dp, 0, sizeof(dp));
	int stop = EXIT_OK;

	while ((c = cli_next_option(argc, argv, opts, g, &cmd_auth_entry,
	    &stop)) != -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		switch (c) {
		case OPT_CA_FILE:
			p.ca_file = optarg;
			break;
		case OPT_HTTPS_PORT:
			if (cli_parse_int(optarg, 1, 65535, &port) < 0)
				return cli_usage_error("auth", "--https-port "
				    "takes a port number: '%s'", optarg);
			p.https_port = (int)port;
			break;
		}
	}
	if (optind >= argc)
		return cli_usage_error("auth", "give the DOMAIN to audit (try "
		    "'mxdoc auth --help')");
	if (optind + 1 < argc)
		return cli_usage_error("auth", "one domain at a time");
	domain = argv[optind];
	if (!spf_name_ok(domain, true) || domain[0] == '.' ||
	    domain[0] == '[' || strchr(domain, '@') != NULL ||
	    strchr(domain, ' ') != NULL)
		return cli_usage_error("auth", "'%s' is not a domain name",
		    domain);
	text_color_init(g->color);

	base = event_base_new();
	if (base == NULL) {
		fprintf(stderr, "mxdoc auth: cannot create the event loop\n");
		goto out;
	}
	dp.servers = g->nresolver > 0 ? g->resolver : NULL;
	dp.trust_anchor = g->trust_anchor;
	dp.timeout_ms = g->timeout_ms > 0 ? g->timeout_ms : 5000;
	p.dns = dns_new(base, &dp, &err);
	if (p.dns == NULL) {
		fprintf(stderr, "mxdoc auth: DNS: %s\n", err ? err : "?");
		goto out;
	}
	p.domain = domain;
	p.timeout_ms = g->timeout_ms > 0 ? g->timeout_ms : 10000;
	if (dp.timeout_ms * 3 > 20000)
		p.spf_deadline_ms = dp.timeout_ms * 3;
	r = audit_run(base, &p, &err);
	if (r == NULL) {
		rc = cli_usage_error("auth", "%s", err ? err : "?");
		goto out;
	}
	if (g->json)
		render_json(r);
	else
		render_text(r, g);
	rc = r->errors + r->warnings > 0 ? EXIT_PROBLEM : EXIT_OK;
out:
	audit_free(r);
	if (p.dns != NULL)
		dns_free(p.dns);
	if (base != NULL)
		event_base_free(base);
	free(err);
	return rc;
}

const struct cmd_entry cmd_auth_entry = {
	.name = "auth",
	.usage = "[OPTIONS] DOMAIN",
	.summary = "audit a sending domain: SPF lookup budget, DMARC, "
	    "MTA-STS, TLS-RPT, MX",
	.help = help,
	.run = run,
};
