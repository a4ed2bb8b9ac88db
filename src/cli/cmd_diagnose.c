/*
 * cmd_diagnose.c - `mxdoc diagnose TARGET`: options, then the diagnosis
 * from diag/, then the human report or the JSON document (doc/diagnose.md).
 * Both are rendered from the same struct diag_result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "core/netaddr.h"
#include "diag/diag.h"
#include "diag/verdict.h"
#include "report/json.h"
#include "report/text.h"

enum {
	OPT_PORT = OPT_FIRST_LOCAL, OPT_RCPT, OPT_FROM, OPT_HELO, OPT_SOURCE,
	OPT_USER, OPT_CA_FILE, OPT_NO_PORT_CHECK, OPT_CONCURRENCY,
};

static const char help[] =
"Options:\n"
"  --rcpt ADDR            also test MAIL FROM and RCPT TO for ADDR (never DATA);\n"
"                         implied by a user@domain target\n"
"  --from ADDR            the MAIL FROM address (default: <>, the null sender)\n"
"  --helo NAME            the EHLO name (default: this host's name)\n"
"  --port N               probe port N instead of 25 (465 smtps, 587 submission)\n"
"  --source ADDR          bind this local address (probe from the sending IP\n"
"                         that has the problem)\n"
"  --user NAME            authenticate (submission://, smtps://) as NAME; the\n"
"                         password comes from MXDOC_PASSWORD or a prompt\n"
"  --ca-file FILE         trust these CAs instead of the system's\n"
"  --concurrency N        sessions at once (default 8)\n"
"  --no-port-check        skip the 443/80 control connections\n"
"\n"
"Targets: example.com (MX lookup), user@example.com (and an RCPT probe),\n"
"[host] or [host]:port (no MX lookup), smtps://host[:465] (implicit TLS),\n"
"submission://host[:587] (STARTTLS, then AUTH with --user).\n";

/* ---- JSON ---------------------------------------------------------- */

static void
json_ehlo(struct jw *w, const char *key, const struct smtp_ehlo *e)
{
	uint32_t bit;
	int i;

	jw_obj_begin(w, key);
	jw_str(w, "name", e->name);
	jw_arr_begin(w, "capabilities");
	for (bit = 1; bit != 0 && bit <= SMTP_CAP_VRFY; bit <<= 1)
		if (e->caps & bit)
			jw_str(w, NULL, smtp_cap_name(bit));
	for (i = 0; i < e->nother; i++)
		jw_str(w, NULL, e->other[i]);
	jw_arr_end(w);
	if (e->size_given)
		jw_int(w, "size", (int64_t)e->size);
	else
		jw_null(w, "size");
	jw_arr_begin(w, "auth");
	for (bit = 1; bit != 0 && bit <= SMTP_AUTH_NTLM; bit <<= 1)
		if (e->auth & bit)
			jw_str(w, NULL, smtp_auth_name(bit));
	jw_arr_end(w);
	jw_int(w, "masked_keywords", e->masked);
	jw_obj_end(w);
}

static void
json_time(struct jw *w, const char *key, int64_t unix_s)
{
	char t[32];

	if (unix_s == 0) {
		jw_null(w, key);
		return;
	}
	mtime_rfc3339(unix_s * 1000000, t);
	jw_str(w, key, t);
}

static void
json_tls(struct jw *w, const struct tls_facts *t, bool attempted)
{
	int i, k;

	jw_obj_begin(w, "tls");
	jw_bool(w, "attempted", attempted);
	jw_bool(w, "established", t->done);
	jw_str(w, "version", t->done ? t->version : NULL);
	jw_str(w, "cipher", t->done ? t->cipher : NULL);
	if (t->done) {
		jw_bool(w, "verified", t->verified);
		jw_str(w, "verify_error", t->verified ? NULL : t->verify_error);
		if (t->name_checked)
			jw_bool(w, "name_matched", t->name_matched);
		else
			jw_null(w, "name_matched");
		jw_bool(w, "expired", t->expired);
	} else {
		jw_null(w, "verified");
		jw_null(w, "verify_error");
		jw_null(w, "name_matched");
		jw_null(w, "expired");
	}
	jw_str(w, "alert", t->alert_received[0] ? t->alert_received :
	    (t->alert_sent[0] ? t->alert_sent : NULL));
	jw_str(w, "alert_received", t->alert_received[0] ? t->alert_received :
	    NULL);
	jw_str(w, "alert_sent", t->alert_sent[0] ? t->alert_sent : NULL);
	jw_str(w, "error", t->error[0] ? t->error : NULL);
	if (t->nchain > 0) {
		jw_obj_begin(w, "peer_certificate");
		jw_str(w, "subject", t->chain[0].subject);
		jw_str(w, "issuer", t->chain[0].issuer);
		jw_arr_begin(w, "sans");
		for (k = 0; k < t->chain[0].nsans; k++)
			jw_str(w, NULL, t->chain[0].sans[k]);
		jw_arr_end(w);
		json_time(w, "not_before", t->chain[0].not_before);
		json_time(w, "not_after", t->chain[0].not_after);
		jw_str(w, "key", t->chain[0].key);
		jw_obj_end(w);
	} else
		jw_null(w, "peer_certificate");
	jw_arr_begin(w, "chain");
	for (i = 0; i < t->nchain; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "subject", t->chain[i].subject);
		jw_str(w, "issuer", t->chain[i].issuer);
		json_time(w, "not_after", t->chain[i].not_after);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static const char *const phase_status[] = { "skipped", "ok", "failed" };

static void
json_addr(struct jw *w, const struct diag_host *h, const struct diag_addr *a)
{
	const struct smtp_result *s = a->session ?
	    smtp_session_result(a->session) : NULL;
	int i;

	jw_obj_begin(w, NULL);
	jw_str(w, "address", a->addr);
	jw_str(w, "family", a->family == 6 ? "ipv6" : "ipv4");
	jw_int(w, "port", a->port);
	jw_str(w, "cause", a->cause ? a->cause->id : NULL);
	jw_str(w, "severity", a->cause ? severity_name(a->severity) : NULL);
	jw_str(w, "summary", a->summary);
	jw_str(w, "failed_phase", a->failed ? smtp_stage_name(a->failed_stage) :
	    NULL);
	if (a->have_cr) {
		jw_obj_begin(w, "rule");
		jw_str(w, "id", a->cr.rule);
		jw_str(w, "provider", a->cr.provider);
		jw_str(w, "note", a->cr.note);
		jw_obj_end(w);
	} else
		jw_null(w, "rule");
	jw_arr_begin(w, "phases");
	for (i = 0; s != NULL && i < SMTP_S_NUM; i++) {
		const struct smtp_phase *p = &s->phase[i];

		if (p->status == SMTP_PH_SKIPPED && p->start_us == 0)
			continue;
		jw_obj_begin(w, NULL);
		jw_str(w, "name", smtp_stage_name((enum smtp_stage)i));
		jw_str(w, "status", p->start_us != 0 && p->end_us == 0 ?
		    "failed" : phase_status[p->status]);
		jw_ms(w, "duration_ms", p->end_us ?
		    mtime_ms(p->start_us, p->end_us) : -1);
		if (p->code != 0) {
			jw_obj_begin(w, "reply");
			jw_int(w, "code", p->code);
			jw_str(w, "enhanced", p->esc[0] ? p->esc : NULL);
			jw_str(w, "text", p->text);
			jw_obj_end(w);
		} else
			jw_null(w, "reply");
		jw_str(w, "error", p->error);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (s != NULL && s->have_ehlo)
		json_ehlo(w, "ehlo", &s->ehlo);
	else
		jw_null(w, "ehlo");
	if (s != NULL && s->have_ehlo_tls)
		json_ehlo(w, "ehlo_tls", &s->ehlo_tls);
	else
		jw_null(w, "ehlo_tls");
	if (s != NULL)
		json_tls(w, &s->tls, s->phase[SMTP_S_TLS].start_us != 0);
	else
		jw_null(w, "tls");
	jw_arr_begin(w, "tls_tries");
	for (i = 0; i < DIAG_TLS_TRIES; i++) {
		const struct diag_tls_try *t = &a->tls_try[i];

		if (!t->tried)
			continue;
		jw_obj_begin(w, NULL);
		jw_str(w, "offer", diag_tls_try_label(i));
		jw_bool(w, "ok", t->ok);
		jw_bool(w, "conclusive", t->conclusive);
		jw_str(w, "version", t->ok ? t->version : NULL);
		jw_str(w, "error", t->ok ? NULL : t->error);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "transcript");
	for (i = 0; s != NULL && i < s->nlines; i++) {
		char d[2] = { s->line[i].dir, '\0' };

		jw_obj_begin(w, NULL);
		jw_ms(w, "t_ms", (double)s->line[i].t_us / 1000.0);
		jw_str(w, "dir", d[0] == '>' ? "sent" : d[0] == '<' ?
		    "received" : "event");
		jw_str(w, "line", s->line[i].text);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	(void)h;
	jw_obj_end(w);
}

static void
render_json(const struct diag_result *r, const char *input)
{
	struct buf b;
	struct jw *w;
	char t[32];
	int i, a;

	buf_init(&b, BUF_UNBOUNDED);
	w = jw_new(&b);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "diagnose");
	mtime_rfc3339(r->started_wall_us, t);
	jw_str(w, "started_at", t);
	jw_ms(w, "duration_ms", r->duration_ms);
	finding_json(w, "verdict", &r->verdict);
	jw_obj_begin(w, "target");
	jw_str(w, "input", input);
	jw_str(w, "kind", target_kind_name(r->target.kind));
	jw_str(w, "domain", r->target.host);
	jw_str(w, "address", r->target.address[0] ? r->target.address : NULL);
	jw_str(w, "rcpt", r->rcpt);
	jw_int(w, "port", r->port);
	jw_obj_end(w);
	jw_obj_begin(w, "dns");
	if (r->mx_asked) {
		jw_str(w, "status", dns_status_name(r->mx_status));
		jw_str(w, "dnssec", dns_sec_name(r->mx_sec));
		jw_ms(w, "duration_ms", r->mx_ms);
	} else {
		jw_null(w, "status");
		jw_null(w, "dnssec");
		jw_null(w, "duration_ms");
	}
	jw_bool(w, "implicit_mx", r->implicit_mx);
	jw_bool(w, "null_mx", r->null_mx);
	jw_int(w, "mx_records", r->mx_total);
	jw_obj_end(w);
	jw_arr_begin(w, "hosts");
	for (i = 0; i < r->nhosts; i++) {
		const struct diag_host *h = &r->hosts[i];

		jw_obj_begin(w, NULL);
		jw_str(w, "name", h->name[0] ? h->name : NULL);
		if (h->pref >= 0)
			jw_int(w, "preference", h->pref);
		else
			jw_null(w, "preference");
		jw_str(w, "dns_status", h->a_asked || h->aaaa_asked ?
		    dns_status_name(h->naddrs > 0 ? DNS_OK : (h->a_asked ?
		    h->a_status : h->aaaa_status)) : NULL);
		jw_str(w, "a_status", h->a_asked ? dns_status_name(h->a_status) :
		    NULL);
		jw_str(w, "aaaa_status", h->aaaa_asked ?
		    dns_status_name(h->aaaa_status) : NULL);
		jw_str(w, "dnssec", h->a_asked || h->aaaa_asked ?
		    dns_sec_name(h->sec) : NULL);
		jw_str(w, "cause", h->cause ? h->cause->id : NULL);
		jw_str(w, "severity", h->cause ? severity_name(h->severity) :
		    NULL);
		jw_str(w, "summary", h->summary);
		jw_arr_begin(w, "addresses");
		for (a = 0; a < h->naddrs; a++)
			json_addr(w, h, &h->addrs[a]);
		jw_arr_end(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_begin(w, "port_check");
	jw_bool(w, "performed", r->port_check.performed);
	jw_str(w, "address", r->port_check.performed ? r->port_check.addr :
	    NULL);
	jw_str(w, "port_443", r->port_check.port_443);
	jw_str(w, "port_80", r->port_check.port_80);
	jw_obj_end(w);
	jw_bool(w, "total_timeout", r->total_timeout);
	jw_arr_begin(w, "findings");
	for (i = 0; i < r->nfindings; i++)
		finding_json(w, NULL, &r->findings[i]);
	jw_arr_end(w);
	jw_obj_end(w);
	fwrite(b.data, 1, b.len, stdout);
	jw_free(w);
	buf_release(&b);
}

/* ---- the human report ---------------------------------------------- */

static void
print_finding_head(const struct finding *f, const char *indent)
{
	printf("%s%s%s%-7s%s  ", indent, tc(TC_BOLD), tc(cli_sev_color(f->severity)),
	    cli_sev_label(f->severity), tc(TC_RESET));
	text_wrap(stdout, f->summary, (int)strlen(indent) + 9,
	    (int)strlen(indent) + 9, 100);
	printf("%s%*s%scause: %s (%s)%s\n", indent, 9, "", tc(TC_DIM),
	    f->cause->id, f->cause->title, tc(TC_RESET));
}

static void
phase_cell(char *out, size_t n, const struct smtp_result *s,
    enum smtp_stage st)
{
	const struct smtp_phase *p = &s->phase[st];

	if (p->start_us == 0) {
		snprintf(out, n, "%s-%s", tc(TC_DIM), tc(TC_RESET));
		return;
	}
	if (p->status == SMTP_PH_FAILED || p->end_us == 0) {
		if (p->end_us != 0)
			snprintf(out, n, "%s✗ %.1f%s", tc(TC_RED),
			    mtime_ms(p->start_us, p->end_us), tc(TC_RESET));
		else
			snprintf(out, n, "%s✗%s", tc(TC_RED), tc(TC_RESET));
		return;
	}
	snprintf(out, n, "%.1f", mtime_ms(p->start_us, p->end_us));
}

static void
print_table(const struct diag_result *r)
{
	static const enum smtp_stage cols[] = {
		SMTP_S_CONNECT, SMTP_S_GREETING, SMTP_S_EHLO, SMTP_S_STARTTLS,
		SMTP_S_TLS, SMTP_S_AUTH, SMTP_S_RCPT,
	};
	const char *head[] = { "PREF", "HOST", "ADDRESS", "CONNECT", "GREETING",
	    "EHLO", "STARTTLS", "TLS", "AUTH", "RCPT", "RESULT" };
	struct table *t = table_new(11);
	char cells[11][160];
	const char *row[11];
	int i, a, c;

	for (c = 0; c < 11; c++)
		row[c] = cells[c];
	table_row(t, head);
	for (i = 0; i < r->nhosts; i++) {
		const struct diag_host *h = &r->hosts[i];

		if (h->naddrs == 0) {
			snprintf(cells[0], sizeof(cells[0]), "%d", h->pref);
			snprintf(cells[1], sizeof(cells[1]), "%s", h->name);
			snprintf(cells[2], sizeof(cells[2]), "%s(no address)%s",
			    tc(TC_RED), tc(TC_RESET));
			for (c = 3; c < 10; c++)
				cells[c][0] = '\0';
			snprintf(cells[10], sizeof(cells[10]), "%s%s%s",
			    tc(cli_sev_color(h->severity)), h->cause->id, tc(TC_RESET));
			table_row(t, row);
			continue;
		}
		for (a = 0; a < h->naddrs; a++) {
			const struct diag_addr *d = &h->addrs[a];
			const struct smtp_result *s = d->session ?
			    smtp_session_result(d->session) : NULL;

			if (h->pref >= 0 && a == 0)
				snprintf(cells[0], sizeof(cells[0]), "%d", h->pref);
			else
				cells[0][0] = '\0';
			snprintf(cells[1], sizeof(cells[1]), "%s",
			    a == 0 ? h->name : "");
			snprintf(cells[2], sizeof(cells[2]), d->family == 6 ?
			    "[%s]:%d" : "%s:%d", d->addr, d->port);
			for (c = 0; c < 7; c++) {
				if (s == NULL)
					cells[3 + c][0] = '\0';
				else
					phase_cell(cells[3 + c], sizeof(cells[0]),
					    s, cols[c]);
			}
			if (s != NULL && s->phase[SMTP_S_TLS].status == SMTP_PH_OK)
				snprintf(cells[7] + strlen(cells[7]),
				    sizeof(cells[7]) - strlen(cells[7]), " %s",
				    s->tls.version);
			snprintf(cells[10], sizeof(cells[10]), "%s%s%s",
			    tc(cli_sev_color(d->severity)), d->cause ? d->cause->id :
			    "?", tc(TC_RESET));
			table_row(t, row);
		}
	}
	table_print(t, stdout, 2);
	printf("  %s(milliseconds per phase; ✗ marks the phase that failed)%s\n",
	    tc(TC_DIM), tc(TC_RESET));
	table_free(t);
}

static void
print_tls(const struct diag_result *r)
{
	int i, a;
	bool head = false;

	for (i = 0; i < r->nhosts; i++)
		for (a = 0; a < r->hosts[i].naddrs; a++) {
			const struct diag_addr *d = &r->hosts[i].addrs[a];
			const struct smtp_result *s = d->session ?
			    smtp_session_result(d->session) : NULL;
			const struct tls_cert *c;
			char label[320], exp[32];

			if (s == NULL || !s->tls.done || s->tls.nchain == 0)
				continue;
			if (!head) {
				printf("\n%sTLS%s\n", tc(TC_BOLD), tc(TC_RESET));
				head = true;
			}
			c = &s->tls.chain[0];
			diag_addr_label(&r->hosts[i], d, label);
			mtime_rfc3339(c->not_after * 1000000, exp);
			printf("  %s: %s %s\n", label, s->tls.version,
			    s->tls.cipher);
			printf("    certificate %s (%s), issuer %s\n", c->subject,
			    c->key, c->issuer);
			printf("    expires %.10s; chain %s%s%s; name %s%s%s\n",
			    exp, s->tls.verified ? tc(TC_GREEN) : tc(TC_YELLOW),
			    s->tls.verified ? "verified" : s->tls.verify_error,
			    tc(TC_RESET), s->tls.name_matched ? tc(TC_GREEN) :
			    tc(TC_YELLOW), !s->tls.name_checked ? "not checked" :
			    s->tls.name_matched ? "matches" : "does not match",
			    tc(TC_RESET));
		}
}

static void
print_transcripts(const struct diag_result *r)
{
	int i, a, k;

	for (i = 0; i < r->nhosts; i++)
		for (a = 0; a < r->hosts[i].naddrs; a++) {
			const struct diag_addr *d = &r->hosts[i].addrs[a];
			const struct smtp_result *s = d->session ?
			    smtp_session_result(d->session) : NULL;
			char label[320];

			if (s == NULL)
				continue;
			diag_addr_label(&r->hosts[i], d, label);
			printf("\n%sTranscript%s %s\n", tc(TC_BOLD), tc(TC_RESET),
			    label);
			for (k = 0; k < s->nlines; k++) {
				const struct smtp_line *l = &s->line[k];
				enum tcolor col = l->dir == '>' ? TC_CYAN :
				    l->dir == '<' ? TC_RESET : TC_DIM;

				printf("  %s%9.1f ms %c %s%s\n", tc(col),
				    (double)l->t_us / 1000.0, l->dir, l->text,
				    tc(TC_RESET));
			}
			if (s->transcript_truncated)
				printf("  (transcript truncated)\n");
		}
}

static void
print_remedies(const struct finding *f)
{
	size_t i;
	int n = 1;

	if (f->cause->nremedy == 0 && f->remedy_first == NULL)
		return;
	printf("\n%sWhat to do%s\n", tc(TC_BOLD), tc(TC_RESET));
	if (f->remedy_first != NULL) {
		printf("  %d. ", n++);
		text_wrap(stdout, f->remedy_first, 5, 5, 100);
	}
	for (i = 0; i < f->cause->nremedy; i++) {
		printf("  %d. ", n++);
		text_wrap(stdout, f->cause->remedy[i], 5, 5, 100);
	}
}

static void
render_text(const struct diag_result *r, const struct cli_globals *g,
    const char *input)
{
	const struct finding *v = &r->verdict;
	int i;

	print_finding_head(v, "");
	if (g->quiet)
		return;
	printf("  %s", tc(TC_DIM));
	text_wrap(stdout, v->cause->explanation, 2, 2, 100);
	printf("%s", tc(TC_RESET));

	printf("\n%sDNS%s\n", tc(TC_BOLD), tc(TC_RESET));
	if (r->mx_asked) {
		printf("  MX %s: %s", r->target.host,
		    dns_status_name(r->mx_status));
		if (r->null_mx)
			printf(" (null MX)");
		else if (r->implicit_mx)
			printf(" (no MX: the domain's own address is the "
			    "implicit MX, RFC 5321 5.1)");
		else if (r->mx_status == DNS_OK)
			printf(", %d host%s", r->mx_total,
			    r->mx_total == 1 ? "" : "s");
		printf("; DNSSEC %s; %.1f ms\n", dns_sec_name(r->mx_sec),
		    r->mx_ms);
	} else
		printf("  no MX lookup for %s\n", input);

	if (r->nhosts > 0 && (r->hosts[0].naddrs > 0 || r->nhosts > 1 ||
	    r->hosts[0].name[0])) {
		printf("\n%sHosts%s\n", tc(TC_BOLD), tc(TC_RESET));
		print_table(r);
	}
	print_tls(r);
	if (r->port_check.performed)
		printf("\n%sPort check%s\n  control connections to %s: 443 %s, "
		    "80 %s\n", tc(TC_BOLD), tc(TC_RESET), r->port_check.addr,
		    r->port_check.port_443 ? r->port_check.port_443 : "-",
		    r->port_check.port_80 ? r->port_check.port_80 : "-");
	if (v->nevidence > 0) {
		printf("\n%sEvidence%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (i = 0; i < v->nevidence; i++) {
			printf("  - ");
			text_wrap(stdout, v->evidence[i], 4, 4, 100);
		}
	}
	print_remedies(v);
	if (r->nfindings > 0) {
		printf("\n%sOther findings%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (i = 0; i < r->nfindings; i++)
			print_finding_head(&r->findings[i], "  ");
	}
	if (r->total_timeout)
		printf("\n%sThe diagnosis ran out of time; results are "
		    "partial.%s\n", tc(TC_YELLOW), tc(TC_RESET));
	if (g->verbose > 0)
		print_transcripts(r);
	else if (r->nhosts > 0)
		printf("\n%s(-v shows the SMTP transcript)%s\n", tc(TC_DIM),
		    tc(TC_RESET));
}

/* ---- options and the run ------------------------------------------- */

static char *
read_password(void)
{
	const char *env = getenv("MXDOC_PASSWORD");
	struct termios old, quiet;
	char line[512];
	FILE *tty;
	size_t n;
	bool restore = false;

	if (env != NULL)
		return xstrdup(env);
	tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return NULL;
	fprintf(tty, "Password: ");
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(line, sizeof(line), tty) == NULL)
		line[0] = '\0';
	if (restore)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fprintf(tty, "\n");
	fclose(tty);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	env = xstrdup(line);
	memset(line, 0, sizeof(line));
	return (char *)env;
}

static int
exit_for(const struct diag_result *r)
{
	return r->verdict.severity <= SEV_INFO ? EXIT_OK : EXIT_PROBLEM;
}

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ "port", required_argument, NULL, OPT_PORT },
		{ "rcpt", required_argument, NULL, OPT_RCPT },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "helo", required_argument, NULL, OPT_HELO },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "user", required_argument, NULL, OPT_USER },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "no-port-check", no_argument, NULL, OPT_NO_PORT_CHECK },
		{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
		{ NULL, 0, NULL, 0 }
	};
	struct diag_params p;
	struct tls_params tp;
	struct event_base *base = NULL;
	struct diag_result *res = NULL;
	const char *err, *source = NULL, *input;
	char *password = NULL, *derr = NULL, hostname[256];
	int c, rc = EXIT_INTERNAL;
	long v;

	memset(&p, 0, sizeof(p));
	memset(&tp, 0, sizeof(tp));
	int stop = EXIT_OK;

	while ((c = cli_next_option(argc, argv, opts, g, &cmd_diagnose_entry,
	    &stop)) != -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		switch (c) {
		case OPT_PORT:
			if (cli_parse_int(optarg, 1, 65535, &v) < 0)
				return cli_usage_error("diagnose",
				    "--port takes 1 to 65535: '%s'", optarg);
			p.port = (int)v;
			break;
		case OPT_RCPT:
			if (strchr(optarg, '@') == NULL || strlen(optarg) > 320 ||
			    strpbrk(optarg, " <>\r\n\t") != NULL)
				return cli_usage_error("diagnose",
				    "--rcpt takes an address user@domain: '%s'",
				    optarg);
			p.rcpt = optarg;
			break;
		case OPT_FROM:
			if (strlen(optarg) > 320 ||
			    strpbrk(optarg, " <>\r\n\t") != NULL)
				return cli_usage_error("diagnose",
				    "--from takes an address: '%s'", optarg);
			p.mail_from = optarg;
			break;
		case OPT_HELO:
			if (target_check_domain(optarg, &err) < 0 &&
			    optarg[0] != '[')
				return cli_usage_error("diagnose",
				    "--helo: %s: '%s'", err, optarg);
			p.helo = optarg;
			break;
		case OPT_SOURCE:
			source = optarg;
			break;
		case OPT_USER:
			if (strlen(optarg) > 255 || strpbrk(optarg, "\r\n") != NULL)
				return cli_usage_error("diagnose",
				    "--user: a name of at most 255 characters");
			p.auth_user = optarg;
			break;
		case OPT_CA_FILE:
			tp.ca_file = optarg;
			break;
		case OPT_NO_PORT_CHECK:
			p.no_port_check = true;
			break;
		case OPT_CONCURRENCY:
			if (cli_parse_int(optarg, 1, 64, &v) < 0)
				return cli_usage_error("diagnose",
				    "--concurrency takes 1 to 64: '%s'", optarg);
			p.concurrency = (int)v;
			break;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("diagnose", optind >= argc ?
		    "a target is needed (try 'mxdoc diagnose --help')" :
		    "one target at a time");
	input = argv[optind];
	if (target_parse(input, &p.target, &err) < 0)
		return cli_usage_error("diagnose", "%s: '%s'", err, input);
	if (source != NULL && netaddr_parse(source, 0, &p.source,
	    &p.sourcelen) < 0)
		return cli_usage_error("diagnose",
		    "--source takes an IPv4 or IPv6 address: '%s'", source);
	if (p.auth_user != NULL && p.target.kind != TARGET_SUBMISSION &&
	    p.target.kind != TARGET_SMTPS)
		return cli_usage_error("diagnose", "--user goes with a "
		    "submission:// or smtps:// target");
	text_color_init(g->color);

	if (p.auth_user != NULL) {
		password = read_password();
		if (password == NULL)
			return cli_usage_error("diagnose", "--user needs a "
			    "password: set MXDOC_PASSWORD or run on a terminal");
		p.auth_pass = password;
	}
	if (p.helo == NULL) {
		if (gethostname(hostname, sizeof(hostname)) != 0 ||
		    hostname[0] == '\0')
			snprintf(hostname, sizeof(hostname), "localhost");
		hostname[sizeof(hostname) - 1] = '\0';
		p.helo = hostname;
	}
	p.family = g->family;
	p.timeout_ms = g->timeout_ms;

	base = event_base_new();
	if (base == NULL) {
		fprintf(stderr, "mxdoc diagnose: cannot create the event loop\n");
		goto out;
	}
	p.dns = cli_dns_new(base, g, 10000, "diagnose");
	if (p.dns == NULL)
		goto out;
	p.tls = tls_ctx_new(&tp, &derr);
	if (p.tls == NULL) {
		fprintf(stderr, "mxdoc diagnose: %s\n", derr ? derr : "TLS");
		rc = tp.ca_file != NULL ? EXIT_USAGE : EXIT_INTERNAL;
		goto out;
	}
	if (!g->json && !g->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "diagnosing %s...\n", input);
	res = diag_run(base, &p);
	if (g->json)
		render_json(res, input);
	else
		render_text(res, g, input);
	rc = exit_for(res);
out:
	diag_result_free(res);
	if (p.dns != NULL)
		dns_free(p.dns);
	tls_ctx_free(p.tls);
	if (base != NULL)
		event_base_free(base);
	if (password != NULL) {
		memset(password, 0, strlen(password));
		free(password);
	}
	free(derr);
	return rc;
}

const struct cmd_entry cmd_diagnose_entry = {
	.name = "diagnose",
	.usage = "[OPTIONS] TARGET",
	.summary = "probe a mail destination live and name why mail fails",
	.help = help,
	.run = run,
};
