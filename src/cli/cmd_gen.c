/*
 * cmd_gen.c - `mxdoc gen spf|dmarc|mta-sts|tls-rpt|tlsa`: builds a record
 * from flags (auth/gen.h), reads it back through the parsers, and for SPF
 * counts the worst-case lookup budget through the includes when DNS may be
 * asked (--resolver, or --check for the system's resolver). Text and
 * --json come from one gen_out (doc/gen.md).
 * Exit: 0 publishable, 1 warnings or errors, 2 bad usage, 3 no DNS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "auth/gen.h"
#include "auth/spf.h"
#include "auth/spf_eval.h"
#include "classify/finding.h"
#include "cli/cli.h"
#include "core/file.h"
#include "core/buf.h"
#include "core/mem.h"
#include "dns/resolver.h"
#include "report/json.h"
#include "report/text.h"
#include "smtp/session.h"
#include "tls/tls.h"

#define CERT_FILE_MAX	(1024 * 1024)

enum {
	OPT_DOMAIN = OPT_FIRST_LOCAL, OPT_IP4, OPT_IP6, OPT_INCLUDE, OPT_A,
	OPT_MX, OPT_ALL, OPT_CHECK, OPT_POLICY, OPT_RUA, OPT_RUF, OPT_PCT,
	OPT_ADKIM, OPT_ASPF, OPT_SP, OPT_FO, OPT_MODE, OPT_MAX_AGE, OPT_ID,
	OPT_CERT, OPT_HOST, OPT_PORT,
};

static const char help[] =
"Subcommands:\n"
"  spf [--ip4 CIDR]... [--ip6 CIDR]... [--a] [--mx] [--include DOMAIN]...\n"
"      [--all fail|softfail|neutral|pass] [--check]\n"
"                         the SPF record; with --resolver or --check, the\n"
"                         worst-case DNS lookups through the includes\n"
"  dmarc --policy none|quarantine|reject [--rua URI]... [--ruf URI]...\n"
"      [--pct N] [--adkim r|s] [--aspf r|s] [--sp POLICY] [--fo OPTS]\n"
"  mta-sts --mode enforce|testing|none --mx PATTERN... [--max-age SECONDS]\n"
"      [--id ID]          the policy file and the _mta-sts record (id: the\n"
"                         UTC time now)\n"
"  tls-rpt --rua mailto:ADDR|https://URL...\n"
"  tlsa --cert FILE|--mx HOST [--host NAME] [--port N]\n"
"                         the DANE-EE record 3 1 1 of the leaf certificate:\n"
"                         from a PEM file, or the one HOST presents after\n"
"                         STARTTLS on port N (default 25)\n"
"Options of spf, dmarc, mta-sts and tls-rpt:\n"
"  --domain DOMAIN        write fully qualified owner names for DOMAIN\n"
"                         (default: names relative to the zone)\n";

extern const struct cmd_entry cmd_gen_entry;

static const char *const subs[] = { "spf", "dmarc", "mta-sts", "tls-rpt",
    "tlsa" };

/* The options of each subcommand: one table each, since --mx is a flag
 * for SPF and takes a pattern for MTA-STS. */
static const struct option spf_opts[] = {
	CLI_GLOBAL_OPTIONS,
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "ip4", required_argument, NULL, OPT_IP4 },
	{ "ip6", required_argument, NULL, OPT_IP6 },
	{ "include", required_argument, NULL, OPT_INCLUDE },
	{ "a", no_argument, NULL, OPT_A },
	{ "mx", no_argument, NULL, OPT_MX },
	{ "all", required_argument, NULL, OPT_ALL },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ NULL, 0, NULL, 0 }
};
static const struct option dmarc_opts[] = {
	CLI_GLOBAL_OPTIONS,
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "rua", required_argument, NULL, OPT_RUA },
	{ "ruf", required_argument, NULL, OPT_RUF },
	{ "pct", required_argument, NULL, OPT_PCT },
	{ "adkim", required_argument, NULL, OPT_ADKIM },
	{ "aspf", required_argument, NULL, OPT_ASPF },
	{ "sp", required_argument, NULL, OPT_SP },
	{ "fo", required_argument, NULL, OPT_FO },
	{ NULL, 0, NULL, 0 }
};
static const struct option sts_opts[] = {
	CLI_GLOBAL_OPTIONS,
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "mx", required_argument, NULL, OPT_MX },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "id", required_argument, NULL, OPT_ID },
	{ NULL, 0, NULL, 0 }
};
static const struct option tlsrpt_opts[] = {
	CLI_GLOBAL_OPTIONS,
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "rua", required_argument, NULL, OPT_RUA },
	{ NULL, 0, NULL, 0 }
};
static const struct option tlsa_opts[] = {
	CLI_GLOBAL_OPTIONS,
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "mx", required_argument, NULL, OPT_MX },
	{ NULL, 0, NULL, 0 }
};

/* ---- The SPF lookup budget ----------------------------------------- */

struct budget {
	struct event_base	*base;
	int			 pending;
	struct spf_outcome	*o[GEN_ITEMS_MAX];
	int			 lookups;	/* worst case, whole record */
	bool			 checked;
};

struct budget_ref {
	struct budget	*b;
	int		 i;
};

static void
on_budget(void *arg, struct spf_outcome *o)
{
	struct budget_ref *r = arg;

	r->b->o[r->i] = o;
	if (--r->b->pending == 0)
		event_base_loopbreak(r->b->base);
}

/* Walks every include with spf_eval's budget mode (a client matching
 * nothing, every branch followed) and adds the notes. Returns 0, or -1
 * when no resolver could be made (exit 3). */
static int
spf_budget(struct gen_out *out, const struct cli_globals *g,
    struct budget *b)
{
	static struct budget_ref ref[GEN_ITEMS_MAX];
	struct spf_eval *ev[GEN_ITEMS_MAX];
	struct spf_params sp;
	struct dns *dns = NULL;
	struct buf ev_text;
	char *err = NULL;
	int i, voids = 0, rc = -1;

	memset(b, 0, sizeof(*b));
	memset(ev, 0, sizeof(ev));
	b->lookups = out->dns_terms;
	b->base = event_base_new();
	if (b->base == NULL) {
		fprintf(stderr, "mxdoc gen: cannot create the event loop\n");
		return -1;
	}
	dns = cli_dns_new(b->base, g, 5000, "gen");
	if (dns == NULL)
		goto out;
	for (i = 0; i < out->ninclude; i++) {
		const char *d = out->include[i];

		/* A macro include depends on the client: its worst case
		 * cannot be known before a message arrives. */
		if (strchr(d, '%') != NULL || !spf_name_ok(d, true)) {
			gen_note(out, SEV_INFO, "auth.spf",
			    "include:%s depends on the message; its lookups are "
			    "not counted", d);
			continue;
		}
		memset(&sp, 0, sizeof(sp));
		sp.dns = dns;
		sp.ip = "192.0.2.1";
		sp.domain = d;
		sp.budget = true;
		/* Limits far above RFC 7208's, so the walk counts the
		 * whole worst case; the notes compare it with 10. */
		sp.max_lookups = 100;
		sp.max_void = 50;
		sp.deadline_ms = g->timeout_ms * 3 > 20000 ?
		    g->timeout_ms * 3 : 20000;
		ref[i].b = b;
		ref[i].i = i;
		ev[i] = spf_eval_start(b->base, &sp, on_budget, &ref[i], &err);
		if (ev[i] == NULL) {
			gen_note(out, SEV_WARNING, "auth.spf",
			    "include:%s: %s", d, err ? err : "?");
			free(err);
			err = NULL;
			continue;
		}
		b->pending++;
	}
	if (b->pending > 0)
		event_base_dispatch(b->base);
	b->checked = true;
	buf_init(&ev_text, BUF_UNBOUNDED);
	buf_printf(&ev_text, "the record's own %d", out->dns_terms);
	for (i = 0; i < out->ninclude; i++) {
		struct spf_outcome *o = b->o[i];

		if (o == NULL) {
			if (ev[i] != NULL) {
				spf_eval_cancel(ev[i]);
				gen_note(out, SEV_WARNING, "dns.failure",
				    "include:%s: the walk did not finish",
				    out->include[i]);
			}
			continue;
		}
		b->lookups += o->lookups;
		voids += o->void_lookups;
		buf_printf(&ev_text, ", include:%s %d", out->include[i],
		    o->lookups);
		if (o->result == SPF_NONE)
			gen_note(out, SEV_ERROR, "auth.spf",
			    "include:%s has no SPF record: receivers return "
			    "permerror (RFC 7208 5.2)%s%s", out->include[i],
			    o->reason ? ": " : "", o->reason ? o->reason : "");
		else if (o->result == SPF_PERMERROR)
			gen_note(out, SEV_ERROR, "auth.spf",
			    "include:%s gives permerror: %s", out->include[i],
			    o->reason ? o->reason : "?");
		else if (o->result == SPF_TEMPERROR)
			gen_note(out, SEV_WARNING, "dns.failure", "include:%s: "
			    "a DNS lookup failed, the count is incomplete: %s",
			    out->include[i], o->reason ? o->reason : "?");
	}
	if (b->lookups > SPF_LOOKUP_LIMIT)
		gen_note(out, SEV_ERROR, "auth.spf", "%d "
		    "DNS-querying terms in the worst case, over the limit of %d "
		    "(RFC 7208 4.6.4), so receivers can return permerror (%s); "
		    "replace includes by the ip4:/ip6: terms they list",
		    b->lookups, SPF_LOOKUP_LIMIT,
		    buf_cstr(&ev_text));
	else
		gen_note(out, SEV_INFO, "auth.spf", "%d of %d "
		    "DNS-querying terms in the worst case (%s)", b->lookups,
		    SPF_LOOKUP_LIMIT, buf_cstr(&ev_text));
	if (voids > SPF_VOID_LIMIT)
		gen_note(out, SEV_ERROR, "auth.spf", "%d void "
		    "lookups (names with no answer) through the includes in "
		    "the worst case, over the limit of %d (RFC 7208 4.6.4)",
		    voids, SPF_VOID_LIMIT);
	buf_release(&ev_text);
	rc = 0;
out:
	for (i = 0; i < GEN_ITEMS_MAX; i++)
		b->o[i] = spf_outcome_free(b->o[i]);
	if (dns != NULL)
		dns_free(dns);
	event_base_free(b->base);
	b->base = NULL;
	free(err);
	return rc;
}


/* ---- The certificate an MX presents (gen tlsa --mx) ------------------ */

struct fetch {
	struct event_base	*base;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	bool			 have_addr, done;
	char			 why[128];
};

static void
on_addr(void *arg, const struct dns_answer *a)
{
	struct fetch *f = arg;
	int i;

	for (i = 0; i < a->nrr && !f->have_addr; i++) {
		const struct dns_rr *rr = a->rr[i];

		if (rr->type == DNS_T_A) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&f->addr;

			sin->sin_family = AF_INET;
			sin->sin_addr = rr->u.a;
			f->addrlen = sizeof(*sin);
			f->have_addr = true;
		} else if (rr->type == DNS_T_AAAA) {
			struct sockaddr_in6 *s6 =
			    (struct sockaddr_in6 *)&f->addr;

			s6->sin6_family = AF_INET6;
			s6->sin6_addr = rr->u.aaaa;
			f->addrlen = sizeof(*s6);
			f->have_addr = true;
		}
	}
	if (!f->have_addr)
		snprintf(f->why, sizeof(f->why), "no %s address: %s",
		    a->nrr > 0 ? "usable" : "A", dns_status_name(a->status));
	event_base_loopbreak(f->base);
}

static void
on_session(void *arg, struct smtp_session *s)
{
	struct fetch *f = arg;

	(void)s;
	f->done = true;
	event_base_loopbreak(f->base);
}

/* Connects to host on port, says EHLO, STARTTLS, and hands the leaf's DER
 * to gen_tlsa(). Returns an exit status; the reason is on stderr. */
static int
tlsa_from_mx(const char *host, int port, const struct cli_globals *g,
    struct gen_tlsa_params *ap, struct gen_out *o)
{
	static struct fetch f;
	struct tls_params tparams;
	struct smtp_params sp;
	struct dns *dns = NULL;
	struct tls_ctx *tctx = NULL;
	struct smtp_session *s = NULL;
	const struct smtp_result *res;
	struct sockaddr_in *sin;
	struct sockaddr_in6 *s6;
	char *err = NULL, helo[256];
	int rc = EXIT_INTERNAL;

	memset(&f, 0, sizeof(f));
	memset(&tparams, 0, sizeof(tparams));
	f.base = event_base_new();
	if (f.base == NULL)
		return EXIT_INTERNAL;
	sin = (struct sockaddr_in *)&f.addr;
	s6 = (struct sockaddr_in6 *)&f.addr;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		f.addrlen = sizeof(*sin);
		f.have_addr = true;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		f.addrlen = sizeof(*s6);
		f.have_addr = true;
	} else {
		dns = cli_dns_new(f.base, g, 5000, "gen tlsa");
		if (dns == NULL)
			goto out;
		if (dns_query(dns, host, g->family == 6 ? DNS_T_AAAA : DNS_T_A,
		    on_addr, &f) == NULL) {
			fprintf(stderr, "mxdoc gen tlsa: cannot ask DNS for "
			    "%s\n", host);
			goto out;
		}
		event_base_dispatch(f.base);
		if (!f.have_addr) {
			fprintf(stderr, "mxdoc gen tlsa: %s: %s\n", host,
			    f.why[0] ? f.why : "no address");
			rc = EXIT_PROBLEM;
			goto out;
		}
	}
	if (f.addr.ss_family == AF_INET)
		sin->sin_port = htons((uint16_t)port);
	else
		s6->sin6_port = htons((uint16_t)port);
	tctx = tls_ctx_new(&tparams, &err);
	if (tctx == NULL) {
		fprintf(stderr, "mxdoc gen tlsa: TLS: %s\n", err ? err : "?");
		goto out;
	}
	if (gethostname(helo, sizeof(helo)) != 0 || helo[0] == '\0')
		snprintf(helo, sizeof(helo), "localhost");
	helo[sizeof(helo) - 1] = '\0';
	memset(&sp, 0, sizeof(sp));
	memcpy(&sp.addr, &f.addr, sizeof(f.addr));
	sp.addrlen = f.addrlen;
	sp.helo = helo;
	sp.server_name = host;
	sp.tls_mode = port == 465 ? SMTP_TLS_IMPLICIT : SMTP_TLS_REQUIRED;
	sp.tls = tctx;
	if (g->timeout_ms > 0) {
		int k;

		for (k = 0; k < SMTP_S_NUM; k++)
			sp.timeout_ms[k] = g->timeout_ms;
	}
	s = smtp_session_start(f.base, &sp, on_session, &f);
	if (s == NULL) {
		fprintf(stderr, "mxdoc gen tlsa: cannot start the SMTP "
		    "session\n");
		goto out;
	}
	event_base_dispatch(f.base);
	res = smtp_session_result(s);
	if (!f.done || !res->tls.done || res->tls.nchain < 1 ||
	    res->tls.der_len[0] == 0) {
		fprintf(stderr, "mxdoc gen tlsa: %s port %d: no certificate: "
		    "%s%s%s\n", host, port, !f.done ? "unfinished" :
		    smtp_fail_name(res->fail), res->tls.error[0] ? ": " : "",
		    res->tls.error);
		rc = EXIT_PROBLEM;
		goto out;
	}
	ap->pem = NULL;
	ap->der = res->tls.der[0];
	ap->der_len = res->tls.der_len[0];
	if (ap->host == NULL && inet_pton(AF_INET, host, &sin->sin_addr) != 1
	    && strchr(host, ':') == NULL)
		ap->host = host;
	rc = gen_tlsa(ap, o) < 0 ? EXIT_PROBLEM : EXIT_OK;
	if (rc != EXIT_OK)
		fprintf(stderr, "mxdoc gen tlsa: %s: %s\n", host,
		    o->nnote > 0 ? o->note[0].text : "unreadable");
out:
	smtp_session_free(s);
	tls_ctx_free(tctx);
	if (dns != NULL)
		dns_free(dns);
	event_base_free(f.base);
	free(err);
	return rc;
}

/* ---- Rendering ------------------------------------------------------ */

static const char *
kind_title(const char *kind)
{
	if (strcmp(kind, "spf") == 0)
		return "SPF";
	if (strcmp(kind, "dmarc") == 0)
		return "DMARC";
	if (strcmp(kind, "mta-sts") == 0)
		return "MTA-STS";
	if (strcmp(kind, "tls-rpt") == 0)
		return "TLS-RPT";
	return "TLSA";
}

static void
verdict(const struct gen_out *o, struct finding *v)
{
	enum severity w = gen_worst(o);
	int i, nerr = 0, nwarn = 0;
	const struct gen_note *first = NULL;

	for (i = 0; i < o->nnote; i++) {
		if (o->note[i].sev == SEV_ERROR)
			nerr++;
		else if (o->note[i].sev == SEV_WARNING)
			nwarn++;
		if (first == NULL && o->note[i].sev == w)
			first = &o->note[i];
	}
	if (w <= SEV_INFO) {
		finding_init(v, "ok", SEV_OK, "the %s record is ready to "
		    "publish at %s", kind_title(o->kind), o->name);
		return;
	}
	finding_init(v, first->cause, w, "the %s record %s: %s",
	    kind_title(o->kind), nerr > 0 ? "must not be published as is" :
	    "works, with a warning", first->text);
	for (i = 0; i < o->nnote; i++)
		if (o->note[i].sev >= SEV_WARNING)
			finding_evidence(v, "%s", o->note[i].text);
	(void)nwarn;
}

static void
render_json(const struct gen_out *o, const struct finding *v,
    const struct budget *b, const char *zone)
{
	struct finding f;
	struct buf out;
	struct jw *w;
	int i;

	buf_init(&out, BUF_UNBOUNDED);
	w = jw_new(&out);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "gen");
	jw_str(w, "kind", o->kind);
	jw_str(w, "name", o->name);
	jw_str(w, "type", o->type);
	jw_str(w, "record", o->record);
	jw_arr_begin(w, "strings");
	for (i = 0; i < o->nstring; i++)
		jw_str(w, NULL, o->string[i]);
	jw_arr_end(w);
	jw_str(w, "zone", zone);
	jw_str(w, "policy", o->policy);
	jw_str(w, "policy_url", o->policy_url);
	if (b != NULL && b->checked)
		jw_int(w, "lookups", b->lookups);
	else
		jw_null(w, "lookups");
	finding_json(w, "verdict", v);
	jw_arr_begin(w, "findings");
	for (i = 0; i < o->nnote; i++) {
		finding_init(&f, o->note[i].cause, o->note[i].sev, "%s",
		    o->note[i].text);
		finding_json(w, NULL, &f);
		finding_release(&f);
	}
	jw_arr_end(w);
	jw_obj_end(w);
	fwrite(out.data, 1, out.len, stdout);
	jw_free(w);
	buf_release(&out);
}

static void
render_text(const struct gen_out *o, const struct finding *v,
    const struct budget *b, const char *zone, const struct cli_globals *g)
{
	enum tcolor col = cli_sev_color(v->severity);
	struct table *t;
	char size[64], lk[64];
	const char *p, *e;
	int i;

	printf("%s%s%s: %s%s\n", tc(TC_BOLD), tc(col),
	    cli_sev_label(v->severity), v->summary, tc(TC_RESET));
	if (g->quiet)
		return;
	printf("\n");
	t = table_new(2);
	{
		const char *rows[][2] = {
			{ "name", o->name },
			{ "type", o->type },
			{ "record", o->record },
		};

		for (i = 0; i < 3; i++)
			table_row(t, rows[i]);
	}
	if (strcmp(o->type, "TXT") == 0) {
		size_t n = 0;
		const char *row[2] = { "size", size };

		for (i = 0; i < o->nstring; i++)
			n += strlen(o->string[i]) + 1;
		snprintf(size, sizeof(size), "%zu bytes in %d string%s", n,
		    o->nstring, o->nstring == 1 ? "" : "s");
		table_row(t, row);
	}
	if (b != NULL && b->checked) {
		const char *row[2] = { "lookups", lk };

		snprintf(lk, sizeof(lk), "%d of %d (worst case)", b->lookups,
		    SPF_LOOKUP_LIMIT);
		table_row(t, row);
	}
	table_print(t, stdout, 2);
	table_free(t);

	printf("\n%sZone file%s\n  %s\n", tc(TC_BOLD), tc(TC_RESET), zone);
	if (o->policy != NULL) {
		printf("\n%sPolicy file%s (%s)\n", tc(TC_BOLD), tc(TC_RESET),
		    o->policy_url);
		for (p = o->policy; *p != '\0'; p = *e ? e + 1 : e) {
			e = strchr(p, '\n');
			if (e == NULL)
				e = p + strlen(p);
			printf("  %.*s\n", (int)(e - p), p);
		}
	}
	if (o->nnote > 0) {
		printf("\n%sFindings%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (i = 0; i < o->nnote; i++) {
			printf("  %s%-7s%s  ", tc(cli_sev_color(o->note[i].sev)),
			    cli_sev_label(o->note[i].sev), tc(TC_RESET));
			text_wrap(stdout, o->note[i].text, 11, 11, 100);
		}
	}
}

/* ---- Options -------------------------------------------------------- */

static int
add_item(const char *sub, const char *opt, const char **arr, int *n,
    const char *val)
{
	if (*n >= GEN_ITEMS_MAX)
		return cli_usage_error("gen", "%s %s: at most %d", sub, opt,
		    GEN_ITEMS_MAX);
	if (val[0] == '\0' || strpbrk(val, " \t\r\n\";") != NULL)
		return cli_usage_error("gen", "%s %s: '%s' has a space, quote "
		    "or ';'", sub, opt, val);
	arr[(*n)++] = val;
	return 0;
}

static char
spf_all(const char *s)
{
	if (strcmp(s, "fail") == 0 || strcmp(s, "-") == 0)
		return '-';
	if (strcmp(s, "softfail") == 0 || strcmp(s, "~") == 0)
		return '~';
	if (strcmp(s, "neutral") == 0 || strcmp(s, "?") == 0)
		return '?';
	if (strcmp(s, "pass") == 0 || strcmp(s, "+") == 0)
		return '+';
	return 0;
}

static bool
one_of(const char *s, const char *a, const char *b, const char *c)
{
	return strcmp(s, a) == 0 || strcmp(s, b) == 0 || strcmp(s, c) == 0;
}

static int
read_file(const char *path, char **data, size_t *len)
{
	char err[128];

	*data = file_read(path, CERT_FILE_MAX, len, err, sizeof(err));
	if (*data == NULL)
		return cli_usage_error("gen", "--cert %s: %s", path, err);
	return 0;
}

/* Finds the subcommand word and removes it from argv: the global options
 * may stand before it, so skip them and the values of those that take
 * one. Returns its index in subs[], -1 when none, -2 for an unknown one. */
static int
take_sub(int *argc, char **argv, const char **word)
{
	int i, k;

	for (i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return -1;
		if (a[0] == '-' && a[1] != '\0') {
			if (strcmp(a, "--resolver") == 0 ||
			    strcmp(a, "--timeout") == 0 ||
			    strcmp(a, "--trust-anchor") == 0)
				i++;
			continue;
		}
		*word = a;
		for (k = 0; k < (int)(sizeof(subs) / sizeof(subs[0])); k++)
			if (strcmp(a, subs[k]) == 0) {
				memmove(&argv[i], &argv[i + 1],
				    (size_t)(*argc - i) * sizeof(argv[0]));
				(*argc)--;
				return k;
			}
		return -2;
	}
	return -1;
}

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option *tables[] = { spf_opts, dmarc_opts,
	    sts_opts, tlsrpt_opts, tlsa_opts };
	static struct gen_spf_params sp;
	static struct gen_dmarc_params dp;
	static struct gen_sts_params stp;
	static struct gen_tlsrpt_params tp;
	struct gen_tlsa_params ap;
	static struct gen_out o;
	struct budget b;
	struct finding v;
	const char *word = NULL, *domain = NULL, *cert = NULL, *mxhost = NULL;
	char id[16], *pem = NULL, *zone = NULL, sub_name[32];
	bool check = false, have_budget = false;
	struct cmd_entry e = cmd_gen_entry;
	int sub, c, stop = EXIT_OK, rc;
	long n;

	memset(&sp, 0, sizeof(sp));
	memset(&dp, 0, sizeof(dp));
	memset(&stp, 0, sizeof(stp));
	memset(&tp, 0, sizeof(tp));
	memset(&ap, 0, sizeof(ap));
	memset(&b, 0, sizeof(b));
	sp.all = '~';
	dp.pct = -1;
	stp.max_age = -1;
	sub = take_sub(&argc, argv, &word);
	if (sub == -2)
		return cli_usage_error("gen", "unknown record '%s' (spf, dmarc, "
		    "mta-sts, tls-rpt or tlsa)", word);
	if (sub == -1) {
		/* Only the global options: --help or a usage error. */
		while ((c = cli_next_option(argc, argv, spf_opts, g, &e,
		    &stop)) != -1)
			if (c == CLI_OPT_STOP)
				return stop;
		return cli_usage_error("gen", "which record? spf, dmarc, "
		    "mta-sts, tls-rpt or tlsa (try 'mxdoc gen --help')");
	}
	snprintf(sub_name, sizeof(sub_name), "gen %s", subs[sub]);
	e.name = sub_name;
	e.usage = "[OPTIONS] (the options of this record in the list below)";
	while ((c = cli_next_option(argc, argv, tables[sub], g, &e, &stop)) !=
	    -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		rc = 0;
		switch (c) {
		case OPT_DOMAIN:
			if (!spf_name_ok(optarg, true) || optarg[0] == '.')
				return cli_usage_error("gen", "--domain: '%s' is "
				    "not a domain name", optarg);
			domain = optarg;
			break;
		case OPT_IP4:
			rc = add_item("spf", "--ip4", sp.ip4, &sp.nip4, optarg);
			break;
		case OPT_IP6:
			rc = add_item("spf", "--ip6", sp.ip6, &sp.nip6, optarg);
			break;
		case OPT_INCLUDE:
			rc = add_item("spf", "--include", sp.include,
			    &sp.ninclude, optarg);
			break;
		case OPT_A:
			sp.a = true;
			break;
		case OPT_MX:
			if (sub == 0)
				sp.mx = true;
			else if (sub == 2)
				rc = add_item("mta-sts", "--mx", stp.mx, &stp.nmx,
				    optarg);
			else if (spf_name_ok(optarg, false) ||
			    strchr(optarg, ':') != NULL)
				mxhost = optarg;
			else
				return cli_usage_error("gen", "tlsa --mx: '%s' is "
				    "not a host name or address", optarg);
			break;
		case OPT_ALL:
			sp.all = spf_all(optarg);
			if (sp.all == 0)
				return cli_usage_error("gen", "spf --all: fail, "
				    "softfail, neutral or pass, not '%s'", optarg);
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_POLICY:
		case OPT_SP:
			if (!one_of(optarg, "none", "quarantine", "reject"))
				return cli_usage_error("gen", "dmarc %s: none, "
				    "quarantine or reject, not '%s'", c ==
				    OPT_SP ? "--sp" : "--policy", optarg);
			if (c == OPT_SP)
				dp.sp = optarg;
			else
				dp.policy = optarg;
			break;
		case OPT_RUA:
			if (sub == 1)
				rc = add_item("dmarc", "--rua", dp.rua, &dp.nrua,
				    optarg);
			else
				rc = add_item("tls-rpt", "--rua", tp.rua,
				    &tp.nrua, optarg);
			break;
		case OPT_RUF:
			rc = add_item("dmarc", "--ruf", dp.ruf, &dp.nruf, optarg);
			break;
		case OPT_PCT:
			if (cli_parse_int(optarg, 0, 100, &n) < 0)
				return cli_usage_error("gen", "dmarc --pct: 0 to "
				    "100, not '%s'", optarg);
			dp.pct = (int)n;
			break;
		case OPT_ADKIM:
		case OPT_ASPF:
			if (strcmp(optarg, "r") != 0 && strcmp(optarg, "s") != 0)
				return cli_usage_error("gen", "dmarc %s: r "
				    "(relaxed) or s (strict), not '%s'", c ==
				    OPT_ADKIM ? "--adkim" : "--aspf", optarg);
			if (c == OPT_ADKIM)
				dp.adkim = optarg[0];
			else
				dp.aspf = optarg[0];
			break;
		case OPT_FO:
			if (optarg[0] == '\0' || strpbrk(optarg, " ;\"") != NULL)
				return cli_usage_error("gen", "dmarc --fo: "
				    "options like 0, 1, d, s or 1:d");
			dp.fo = optarg;
			break;
		case OPT_MODE:
			if (!one_of(optarg, "enforce", "testing", "none"))
				return cli_usage_error("gen", "mta-sts --mode: "
				    "enforce, testing or none, not '%s'", optarg);
			stp.mode = optarg;
			break;
		case OPT_MAX_AGE:
			if (cli_parse_int(optarg, 0, 31557600, &n) < 0)
				return cli_usage_error("gen", "mta-sts --max-age: "
				    "seconds, 0 to 31557600, not '%s'", optarg);
			stp.max_age = n;
			break;
		case OPT_ID:
			stp.id = optarg;
			break;
		case OPT_CERT:
			cert = optarg;
			break;
		case OPT_HOST:
			if (!spf_name_ok(optarg, true))
				return cli_usage_error("gen", "tlsa --host: '%s' "
				    "is not a host name", optarg);
			ap.host = optarg;
			break;
		case OPT_PORT:
			if (cli_parse_int(optarg, 1, 65535, &n) < 0)
				return cli_usage_error("gen", "tlsa --port: 1 to "
				    "65535, not '%s'", optarg);
			ap.port = (int)n;
			break;
		}
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("gen", "unexpected argument '%s'",
		    argv[optind]);
	text_color_init(g->color);

	switch (sub) {
	case 0:
		sp.domain = domain;
		gen_spf(&sp, &o);
		if ((check || g->nresolver > 0) && gen_worst(&o) < SEV_ERROR &&
		    o.ninclude > 0) {
			if (spf_budget(&o, g, &b) < 0) {
				gen_out_release(&o);
				return EXIT_INTERNAL;
			}
			have_budget = true;
		} else if ((check || g->nresolver > 0) && o.ninclude == 0) {
			b.checked = true;
			b.lookups = o.dns_terms;
			have_budget = true;
		}
		break;
	case 1:
		if (dp.policy == NULL)
			return cli_usage_error("gen", "dmarc: --policy none, "
			    "quarantine or reject is required");
		dp.domain = domain;
		gen_dmarc(&dp, &o);
		break;
	case 2:
		if (stp.mode == NULL)
			return cli_usage_error("gen", "mta-sts: --mode enforce, "
			    "testing or none is required");
		if (stp.nmx == 0 && strcmp(stp.mode, "none") != 0)
			return cli_usage_error("gen", "mta-sts: at least one --mx "
			    "PATTERN (mail.example.com or *.example.com)");
		if (stp.id == NULL) {
			gen_sts_id((long long)time(NULL), id);
			stp.id = id;
		}
		stp.domain = domain;
		gen_sts(&stp, &o);
		break;
	case 3:
		if (tp.nrua == 0)
			return cli_usage_error("gen", "tls-rpt: at least one "
			    "--rua mailto:ADDRESS or https://URL");
		tp.domain = domain;
		gen_tlsrpt(&tp, &o);
		break;
	default:
		ap.now = (long long)time(NULL);
		if (mxhost != NULL && cert != NULL)
			return cli_usage_error("gen", "tlsa: --cert or --mx, not "
			    "both");
		if (mxhost != NULL) {
			rc = tlsa_from_mx(mxhost, ap.port > 0 ? ap.port : 25, g,
			    &ap, &o);
			if (rc != EXIT_OK) {
				gen_out_release(&o);
				return rc;
			}
			break;
		}
		if (cert == NULL)
			return cli_usage_error("gen", "tlsa: --cert FILE (PEM, the "
			    "leaf first) or --mx HOST is required");
		if ((rc = read_file(cert, &pem, &ap.pem_len)) != 0)
			return rc;
		ap.pem = pem;
		if (gen_tlsa(&ap, &o) < 0) {
			fprintf(stderr, "mxdoc gen tlsa: %s: %s\n", cert,
			    o.nnote > 0 ? o.note[0].text : "unreadable");
			free(pem);
			gen_out_release(&o);
			return EXIT_USAGE;
		}
		free(pem);
		break;
	}
	zone = gen_zone_line(&o);
	verdict(&o, &v);
	if (g->json)
		render_json(&o, &v, have_budget ? &b : NULL, zone);
	else
		render_text(&o, &v, have_budget ? &b : NULL, zone, g);
	rc = gen_worst(&o) <= SEV_INFO ? EXIT_OK : EXIT_PROBLEM;
	finding_release(&v);
	free(zone);
	gen_out_release(&o);
	return rc;
}

const struct cmd_entry cmd_gen_entry = {
	.name = "gen",
	.usage = "spf|dmarc|mta-sts|tls-rpt|tlsa [OPTIONS]",
	.summary = "build an SPF, DMARC, MTA-STS, TLS-RPT or TLSA record and "
	    "check it before it is published",
	.help = help,
	.run = run,
};
