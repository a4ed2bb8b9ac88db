/*
 * cmd_spf.c - `mxdoc spf [DOMAIN] --ip IP`: check_host() (RFC 7208) with
 * the trace of every term, the lookup counts and the explanation, as text
 * or as the JSON document of doc/spf.md. Both come from one spf_outcome.
 * Exit: 0 pass, 1 any other result, 2 bad usage, 3 no DNS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth/spf.h"
#include "auth/spf_eval.h"
#include "classify/finding.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"
#include "dns/dns_cache.h"
#include "dns/resolver.h"
#include "report/json.h"
#include "report/text.h"

enum {
	OPT_IP = OPT_FIRST_LOCAL, OPT_SENDER, OPT_HELO, OPT_RECEIVER,
	OPT_BATCH,
};

/* --batch: evaluations started and not yet printed, at most. */
#define BATCH_WINDOW	256
/* --batch: every line is held until it is printed, so a FILE has at most
 * this many evaluations, and a line at most this many bytes (the longest
 * words allowed, IP, a 512-byte sender, a HELO and a domain name, fit many
 * times over). */
#define BATCH_MAX	1000000
#define BATCH_LINE_MAX	4096
/* --batch --json: one compact document per line. */
static bool json_lines;

static const char help[] =
"Arguments:\n"
"  DOMAIN                 the domain whose SPF record is checked; default:\n"
"                         the sender's domain, or the HELO name when the\n"
"                         sender is empty (RFC 7208 2.4: postmaster@HELO)\n"
"Options:\n"
"  --ip IP                the client address to check (required)\n"
"  --sender ADDR          the MAIL FROM address (\"\" for the null sender)\n"
"  --helo NAME            the HELO/EHLO name (for %{h}, and the identity of\n"
"                         the null sender)\n"
"  --receiver NAME        this host's name for %{r} in explanations\n"
"                         (default: unknown)\n"
"  --batch FILE           evaluate every line of FILE ('-': stdin), each\n"
"                         \"IP SENDER [HELO] [DOMAIN]\" ('<>' or '\"\"' for\n"
"                         the null sender, '-' for no HELO), on one\n"
"                         resolver, and print \"IP SENDER RESULT\" per line\n"
"                         in input order (--json: JSON Lines)\n";

extern const struct cmd_entry cmd_spf_entry;

struct spf_run {
	struct event_base	*base;
	struct spf_outcome	*o;
};

static void
on_done(void *arg, struct spf_outcome *o)
{
	struct spf_run *r = arg;

	r->o = o;
	event_base_loopbreak(r->base);
}

/* The verdict: cause, severity and words for each result. */
static void
verdict(const struct spf_outcome *o, struct finding *f)
{
	const char *d = o->domain, *ip = o->ip;

	switch (o->result) {
	case SPF_PASS:
		finding_init(f, "ok", SEV_OK, "SPF pass: %s authorizes %s to "
		    "send its mail", d, ip);
		break;
	case SPF_FAIL:
		finding_init(f, "auth.spf", SEV_ERROR, "SPF fail: %s "
		    "does not authorize %s; receivers may reject its mail", d, ip);
		f->remedy_first = xasprintf("Send %s's mail through a host its "
		    "SPF record lists, or add %s%s to the record", d,
		    strchr(ip, ':') ? "ip6:" : "ip4:", ip);
		break;
	case SPF_SOFTFAIL:
		finding_init(f, "auth.spf", SEV_WARNING, "SPF "
		    "softfail: %s says %s is probably not allowed; mail is "
		    "likely marked as spam", d, ip);
		f->remedy_first = xasprintf("Add %s%s to %s's SPF record if "
		    "this host sends its mail", strchr(ip, ':') ? "ip6:" :
		    "ip4:", ip, d);
		break;
	case SPF_NEUTRAL:
		finding_init(f, "auth.spf", SEV_WARNING, "SPF "
		    "neutral: %s makes no assertion about %s", d, ip);
		f->remedy_first = xasprintf("List this host in %s's SPF record "
		    "and end it with -all or ~all", d);
		break;
	case SPF_NONE:
		finding_init(f, "auth.spf", SEV_WARNING, "SPF none: "
		    "%s: %s", d, o->reason ? o->reason : "no SPF record");
		f->remedy_first = xasprintf("Publish one TXT record at %s: "
		    "\"v=spf1 <the hosts that send its mail> -all\"", d);
		break;
	case SPF_PERMERROR:
		finding_init(f, "auth.spf", SEV_ERROR, "SPF "
		    "permerror: %s's SPF record cannot be evaluated: %s", d,
		    o->reason ? o->reason : "?");
		f->remedy_first = xasprintf("Fix the record (RFC 7208): %s",
		    o->reason ? o->reason : "see the trace");
		break;
	case SPF_TEMPERROR:
		finding_init(f, "dns.failure", SEV_WARNING, "SPF temperror: a "
		    "DNS lookup failed: %s", o->reason ? o->reason : "?");
		f->remedy_first = xasprintf("Receivers defer mail while this "
		    "lasts: check that the name servers of the domains in the "
		    "trace answer TXT, A and MX queries (dig TXT %s)", d);
		break;
	}
	if (o->record != NULL)
		finding_evidence(f, "record: %s", o->record);
	finding_evidence(f, "%d of %d DNS-querying terms, %d of %d void "
	    "lookups", o->lookups, SPF_LOOKUP_LIMIT, o->void_lookups,
	    SPF_VOID_LIMIT);
	if (o->match_step >= 0 && o->step[o->match_step].term != NULL)
		finding_evidence(f, "matched %s in %s",
		    o->step[o->match_step].term, o->step[o->match_step].domain);
	if (o->explanation != NULL)
		finding_evidence(f, "explanation: %s", o->explanation);
}

static const char *
step_kind_name(enum spf_step_kind k)
{
	switch (k) {
	case SPF_STEP_RECORD:	return "record";
	case SPF_STEP_TERM:	return "term";
	case SPF_STEP_DEFAULT:	return "default";
	default:		return "exp";
	}
}

static void
render_json(const struct spf_outcome *o, const struct finding *v)
{
	struct buf out;
	struct jw *w;
	int i;

	buf_init(&out, BUF_UNBOUNDED);
	w = jw_new(&out);
	if (json_lines)
		jw_compact(w);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "spf");
	jw_str(w, "result", spf_result_name(o->result));
	jw_str(w, "explanation", o->explanation);
	jw_str(w, "reason", o->reason);
	jw_str(w, "domain", o->domain);
	jw_str(w, "ip", o->ip);
	jw_str(w, "sender", o->sender);
	jw_str(w, "helo", o->helo);
	jw_str(w, "record", o->record);
	jw_int(w, "lookups", o->lookups);
	jw_int(w, "lookup_limit", SPF_LOOKUP_LIMIT);
	jw_int(w, "void_lookups", o->void_lookups);
	jw_int(w, "void_limit", SPF_VOID_LIMIT);
	jw_ms(w, "duration_ms", o->duration_ms);
	if (o->match_step >= 0)
		jw_int(w, "match_step", o->match_step);
	else
		jw_null(w, "match_step");
	jw_arr_begin(w, "checks");
	for (i = 0; i < o->ncheck; i++) {
		const struct spf_check *c = &o->check[i];

		jw_obj_begin(w, NULL);
		jw_str(w, "domain", c->domain);
		jw_str(w, "via", spf_via_name(c->via));
		if (c->parent >= 0)
			jw_int(w, "parent", c->parent);
		else
			jw_null(w, "parent");
		if (c->parent_step >= 0)
			jw_int(w, "parent_step", c->parent_step);
		else
			jw_null(w, "parent_step");
		jw_int(w, "depth", c->depth);
		jw_str(w, "record", c->record);
		jw_int(w, "dns_terms", c->dns_terms);
		jw_str(w, "result", spf_result_name(c->result));
		jw_str(w, "error", c->error);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "trace");
	for (i = 0; i < o->nstep; i++) {
		const struct spf_step *s = &o->step[i];

		jw_obj_begin(w, NULL);
		jw_int(w, "check", s->check);
		jw_int(w, "depth", s->depth);
		jw_str(w, "domain", s->domain);
		jw_str(w, "kind", step_kind_name(s->kind));
		jw_str(w, "term", s->term);
		jw_str(w, "target", s->target);
		jw_bool(w, "match", s->matched);
		jw_str(w, "result", s->result != SPF_NONE ||
		    s->kind == SPF_STEP_RECORD ? (s->result == SPF_NONE ?
		    NULL : spf_result_name(s->result)) : NULL);
		jw_bool(w, "counted", s->counted);
		jw_int(w, "lookups", s->lookups);
		jw_int(w, "void_lookups", s->void_lookups);
		jw_str(w, "detail", s->detail);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	finding_json(w, "verdict", v);
	jw_obj_end(w);
	if (json_lines)
		buf_puts(&out, "\n");
	fwrite(out.data, 1, out.len, stdout);
	jw_free(w);
	buf_release(&out);
}

static enum tcolor
result_color(enum spf_result r)
{
	switch (r) {
	case SPF_PASS:		return TC_GREEN;
	case SPF_FAIL:
	case SPF_PERMERROR:	return TC_RED;
	default:		return TC_YELLOW;
	}
}

static void
render_text(const struct spf_outcome *o, const struct finding *v,
    const struct cli_globals *g)
{
	struct table *t;
	char lk[64], vd[64], ind[64];
	size_t i;
	int k;

	printf("%s%s%s%s\n", tc(TC_BOLD), tc(result_color(o->result)),
	    v->summary, tc(TC_RESET));
	if (g->quiet)
		return;
	printf("\n");
	t = table_new(2);
	snprintf(lk, sizeof(lk), "%d of %d", o->lookups, SPF_LOOKUP_LIMIT);
	snprintf(vd, sizeof(vd), "%d of %d", o->void_lookups, SPF_VOID_LIMIT);
	{
		const char *rows[][2] = {
			{ "result", spf_result_name(o->result) },
			{ "domain", o->domain },
			{ "ip", o->ip },
			{ "sender", o->sender },
			{ "helo", o->helo },
			{ "record", o->record ? o->record : "(none)" },
			{ "lookups", lk },
			{ "void lookups", vd },
		};

		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			table_row(t, rows[i]);
	}
	if (o->explanation != NULL) {
		const char *row[2] = { "explanation", o->explanation };

		table_row(t, row);
	}
	if (o->reason != NULL && o->result != SPF_PASS) {
		const char *row[2] = { "reason", o->reason };

		table_row(t, row);
	}
	table_print(t, stdout, 2);
	table_free(t);

	printf("\n%sTrace%s\n", tc(TC_BOLD), tc(TC_RESET));
	t = table_new(5);
	{
		const char *hdr[5] = { "#", "term", "outcome", "lookups",
		    "detail" };

		table_row(t, hdr);
	}
	for (k = 0; k < o->nstep; k++) {
		const struct spf_step *s = &o->step[k];
		const char *cells[5];
		char num[16], term[600], outcome[32], counts[32];

		snprintf(num, sizeof(num), "%d", k);
		snprintf(ind, sizeof(ind), "%*s", s->depth * 2, "");
		if (s->kind == SPF_STEP_RECORD)
			snprintf(term, sizeof(term), "%s%s (TXT)", ind,
			    s->domain);
		else if (s->kind == SPF_STEP_DEFAULT)
			snprintf(term, sizeof(term), "%s(default)", ind);
		else
			snprintf(term, sizeof(term), "%s%s%s%s%s", ind,
			    s->term ? s->term : "", s->target &&
			    s->term && strstr(s->term, s->target) == NULL ?
			    " -> " : "", s->target && s->term &&
			    strstr(s->term, s->target) == NULL ? s->target : "",
			    "");
		if (s->result == SPF_PERMERROR || s->result == SPF_TEMPERROR ||
		    (s->kind == SPF_STEP_RECORD && s->result != SPF_NONE))
			snprintf(outcome, sizeof(outcome), "%s",
			    spf_result_name(s->result));
		else if (s->kind == SPF_STEP_TERM)
			snprintf(outcome, sizeof(outcome), "%s", s->matched ?
			    spf_result_name(s->result) : "no match");
		else if (s->kind == SPF_STEP_DEFAULT)
			snprintf(outcome, sizeof(outcome), "neutral");
		else
			snprintf(outcome, sizeof(outcome), "-");
		snprintf(counts, sizeof(counts), "%d/%d void %d", s->lookups,
		    SPF_LOOKUP_LIMIT, s->void_lookups);
		cells[0] = num;
		cells[1] = term;
		cells[2] = outcome;
		cells[3] = counts;
		cells[4] = s->detail ? s->detail : "";
		table_row(t, cells);
	}
	table_print(t, stdout, 2);
	table_free(t);
	if (v->remedy_first != NULL || v->cause->nremedy > 0) {
		printf("\n%sWhat to do%s\n", tc(TC_BOLD), tc(TC_RESET));
		k = 1;
		if (v->remedy_first != NULL) {
			printf("  %d. ", k++);
			text_wrap(stdout, v->remedy_first, 5, 5, 100);
		}
		for (i = 0; i < v->cause->nremedy; i++) {
			printf("  %d. ", k++);
			text_wrap(stdout, v->cause->remedy[i], 5, 5, 100);
		}
	}
}

/* A domain given on the command line: something DNS can be asked. */
static bool
domain_arg_ok(const char *d)
{
	return spf_name_ok(d, true) && d[0] != '[' && d[0] != '.' &&
	    strchr(d, ' ') == NULL;
}

/* ---- --batch ---------------------------------------------------------- */

/* One line of a batch; its words point into line. */
struct batch_item {
	struct batch		*b;
	char			*line;
	const char		*ip, *sender_text, *sender, *helo, *domain;
	struct spf_outcome	*o;
	bool			 done;
};

struct batch {
	struct spf_params	 p;		/* dns and receiver: shared */
	struct event_base	*base;
	const struct cli_globals *g;
	struct batch_item	*item;
	size_t			 n, started, printed, npass;
	int			 rc;
};

static void
batch_print(struct batch *b, struct batch_item *it)
{
	struct finding v;

	if (it->o->result == SPF_PASS)
		b->npass++;
	if (b->g->json) {
		verdict(it->o, &v);
		render_json(it->o, &v);
		finding_release(&v);
	} else {
		/* Without the formatter: a batch from the cache prints a
		 * line every few microseconds. */
		fputs(it->ip, stdout);
		putc(' ', stdout);
		fputs(it->sender_text, stdout);
		putc(' ', stdout);
		fputs(spf_result_name(it->o->result), stdout);
		putc('\n', stdout);
	}
	it->o = spf_outcome_free(it->o);
	free(it->line);
	it->line = NULL;
}

static void batch_done(void *arg, struct spf_outcome *o);

/* Prints what is finished at the head, in input order, and starts lines
 * while fewer than BATCH_WINDOW are started and unprinted. */
static void
batch_pump(struct batch *b)
{
	struct batch_item *it;
	char *err = NULL;

	for (;;) {
		while (b->printed < b->started && b->item[b->printed].done)
			batch_print(b, &b->item[b->printed++]);
		if (b->started >= b->n || b->started - b->printed >=
		    BATCH_WINDOW)
			break;
		it = &b->item[b->started++];
		b->p.ip = it->ip;
		b->p.sender = it->sender;
		b->p.helo = it->helo;
		b->p.domain = it->domain;
		if (spf_eval_start(b->base, &b->p, batch_done, it, &err) ==
		    NULL) {
			/* The lines were checked before: should not happen. */
			fprintf(stderr, "mxdoc spf: %s %s: %s\n", it->ip,
			    it->sender_text, err ? err : "?");
			free(err);
			err = NULL;
			b->rc = EXIT_INTERNAL;
			b->n = b->started - 1;
			break;
		}
	}
	if (b->printed >= b->n)
		event_base_loopbreak(b->base);
}

static void
batch_done(void *arg, struct spf_outcome *o)
{
	struct batch_item *it = arg;

	it->o = o;
	it->done = true;
	batch_pump(it->b);
}

/* Splits one line into its words. Returns 0, 1 for a blank or comment
 * line, or -1 with *why. */
static int
batch_parse(struct batch_item *it, const char **why)
{
	char *w[5], *p = it->line, *save = NULL;
	int n = 0;
	char dom[256];
	struct spf_addr a;

	p[strcspn(p, "\r\n")] = '\0';
	for (p = strtok_r(p, " \t", &save); p != NULL && n < 5;
	    p = strtok_r(NULL, " \t", &save))
		w[n++] = p;
	if (n == 0 || w[0][0] == '#')
		return 1;
	if (n < 2 || n > 4) {
		*why = "want IP SENDER [HELO] [DOMAIN]";
		return -1;
	}
	it->ip = w[0];
	if (spf_addr_parse(it->ip, &a) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	it->sender_text = w[1];
	it->sender = strcmp(w[1], "<>") == 0 || strcmp(w[1], "\"\"") == 0 ?
	    "" : w[1];
	if (strlen(it->sender) > 512) {
		*why = "a sender of at most 512 bytes";
		return -1;
	}
	it->helo = n > 2 && strcmp(w[2], "-") != 0 ? w[2] : NULL;
	if (it->helo != NULL && strlen(it->helo) > 255) {
		*why = "a HELO name of at most 255 bytes";
		return -1;
	}
	it->domain = n > 3 ? w[3] : NULL;
	if (it->domain != NULL && !domain_arg_ok(it->domain)) {
		*why = "the DOMAIN is not a domain name";
		return -1;
	}
	if (it->domain == NULL && spf_identity_domain(it->sender, it->helo,
	    dom) < 0) {
		*why = "no domain: the sender has none and there is no HELO "
		    "name";
		return -1;
	}
	return 0;
}

/* Reads every line first, so that a bad line stops the batch before any
 * query. */
static int
batch_read(const char *path, struct batch *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct batch_item *it;
	size_t cap = 0, lineno = 0;
	const char *why = NULL;
	char line[BATCH_LINE_MAX + 2];
	int r, rc = EXIT_OK;

	if (f == NULL)
		return cli_usage_error("spf", "--batch: %s: %s", path,
		    strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = cli_usage_error("spf", "%s:%zu: a line of more "
			    "than %d bytes", strcmp(path, "-") == 0 ?
			    "stdin" : path, lineno, BATCH_LINE_MAX);
			break;
		}
		if (b->n == cap) {
			cap = cap ? cap * 2 : 1024;
			b->item = xrealloc(b->item, cap * sizeof(*b->item));
		}
		it = &b->item[b->n];
		memset(it, 0, sizeof(*it));
		it->b = b;
		it->line = xstrdup(line);
		r = batch_parse(it, &why);
		if (r < 0) {
			rc = cli_usage_error("spf", "%s:%zu: %s", strcmp(path,
			    "-") == 0 ? "stdin" : path, lineno, why);
			free(it->line);
			break;
		}
		if (r > 0) {
			free(it->line);
			continue;
		}
		if (b->n >= BATCH_MAX) {
			rc = cli_usage_error("spf", "%s:%zu: more than %d "
			    "evaluations", strcmp(path, "-") == 0 ? "stdin" :
			    path, lineno, BATCH_MAX);
			free(it->line);
			break;
		}
		b->n++;
	}
	if (rc == EXIT_OK && ferror(f))
		rc = cli_usage_error("spf", "--batch: %s: %s", path,
		    strerror(errno));
	if (rc == EXIT_OK && b->n == 0)
		rc = cli_usage_error("spf", "--batch: no evaluations in %s",
		    strcmp(path, "-") == 0 ? "stdin" : path);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int
run_batch(const char *path, const char *receiver, struct cli_globals *g)
{
	struct batch b;
	char *err = NULL;
	size_t i, nread = 0;
	int rc;

	memset(&b, 0, sizeof(b));
	b.g = g;
	b.rc = EXIT_OK;
	b.p.receiver = receiver;
	rc = batch_read(path, &b);
	if (rc != EXIT_OK)
		goto out;
	rc = EXIT_INTERNAL;
	json_lines = g->json;
	b.base = event_base_new();
	if (b.base == NULL) {
		fprintf(stderr, "mxdoc spf: cannot create the event loop\n");
		goto out;
	}
	if (g->timeout_ms * 3 > 20000)
		b.p.deadline_ms = g->timeout_ms * 3;
	b.p.dns = cli_dns_new(b.base, g, 5000, "spf");
	if (b.p.dns == NULL)
		goto out;
	/* One answer cache for the run, as an MTA's resolver has: the same
	 * policy asked again is answered from it (its TTLs honoured), with
	 * the record parsed once. Lines print only the result unless --json
	 * wants the whole document. */
	b.p.cache = dns_cache_new(0, 0);
	b.p.no_trace = !g->json;
	nread = b.n;
	batch_pump(&b);
	if (b.printed < b.n)
		event_base_dispatch(b.base);
	if (b.printed < b.n) {
		fprintf(stderr, "mxdoc spf: %zu of %zu evaluations did not "
		    "finish\n", b.n - b.printed, b.n);
		goto out;
	}
	if (fflush(stdout) != 0)
		goto out;
	rc = b.rc != EXIT_OK ? b.rc : b.npass == b.n ? EXIT_OK : EXIT_PROBLEM;
out:
	/* Freeing the resolver cancels what still runs (no callbacks). */
	if (b.p.dns != NULL)
		dns_free(b.p.dns);
	dns_cache_free(b.p.cache);
	for (i = 0; i < (nread > b.n ? nread : b.n); i++) {
		spf_outcome_free(b.item[i].o);
		free(b.item[i].line);
	}
	free(b.item);
	if (b.base != NULL)
		event_base_free(b.base);
	free(err);
	return rc;
}

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ "ip", required_argument, NULL, OPT_IP },
		{ "sender", required_argument, NULL, OPT_SENDER },
		{ "helo", required_argument, NULL, OPT_HELO },
		{ "receiver", required_argument, NULL, OPT_RECEIVER },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ NULL, 0, NULL, 0 }
	};
	struct spf_params p;
	struct event_base *base = NULL;
	struct spf_eval *ev;
	struct spf_run r = { NULL, NULL };
	struct finding v;
	char *err = NULL;
	const char *batch = NULL;
	int c, rc = EXIT_INTERNAL;

	memset(&p, 0, sizeof(p));
	int stop = EXIT_OK;

	while ((c = cli_next_option(argc, argv, opts, g, &cmd_spf_entry,
	    &stop)) != -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		switch (c) {
		case OPT_IP:
			p.ip = optarg;
			break;
		case OPT_SENDER:
			if (strlen(optarg) > 512 ||
			    strpbrk(optarg, "\r\n") != NULL)
				return cli_usage_error("spf", "--sender: an "
				    "address of at most 512 bytes: '%s'", optarg);
			p.sender = optarg;
			break;
		case OPT_HELO:
			if (strlen(optarg) > 255 ||
			    strpbrk(optarg, "\r\n") != NULL)
				return cli_usage_error("spf", "--helo: a name of "
				    "at most 255 bytes");
			p.helo = optarg;
			break;
		case OPT_RECEIVER:
			if (!spf_name_ok(optarg, false))
				return cli_usage_error("spf", "--receiver takes a "
				    "domain name: '%s'", optarg);
			p.receiver = optarg;
			break;
		case OPT_BATCH:
			batch = optarg;
			break;
		}
	}
	if (batch != NULL) {
		if (optind < argc || p.ip != NULL || p.sender != NULL ||
		    p.helo != NULL)
			return cli_usage_error("spf", "--batch takes the "
			    "addresses, senders, HELO names and domains from "
			    "its lines");
		text_color_init(g->color);
		return run_batch(batch, p.receiver, g);
	}
	if (optind + 1 < argc)
		return cli_usage_error("spf", "one domain at a time");
	if (optind < argc) {
		p.domain = argv[optind];
		if (!domain_arg_ok(p.domain))
			return cli_usage_error("spf", "'%s' is not a domain "
			    "name", p.domain);
	}
	if (p.ip == NULL)
		return cli_usage_error("spf", "--ip is required (the client "
		    "address to check; try 'mxdoc spf --help')");
	if (p.domain == NULL && (p.sender == NULL || p.sender[0] == '\0') &&
	    (p.helo == NULL || p.helo[0] == '\0'))
		return cli_usage_error("spf", "give a DOMAIN, a --sender or a "
		    "--helo name");
	text_color_init(g->color);

	base = event_base_new();
	if (base == NULL) {
		fprintf(stderr, "mxdoc spf: cannot create the event loop\n");
		goto out;
	}
	/* The whole check may take a few query timeouts, and at least the
	 * 20 s RFC 7208 4.6.4 asks for. */
	if (g->timeout_ms * 3 > 20000)
		p.deadline_ms = g->timeout_ms * 3;
	p.dns = cli_dns_new(base, g, 5000, "spf");
	if (p.dns == NULL)
		goto out;
	/* A name asked twice in one evaluation (a and mx of one domain,
	 * an include reached twice) is asked once. */
	p.cache = dns_cache_new(256, 0);
	r.base = base;
	ev = spf_eval_start(base, &p, on_done, &r, &err);
	if (ev == NULL) {
		rc = cli_usage_error("spf", "%s", err ? err : "?");
		goto out;
	}
	event_base_dispatch(base);
	if (r.o == NULL) {
		fprintf(stderr, "mxdoc spf: the evaluation did not finish\n");
		spf_eval_cancel(ev);
		goto out;
	}
	verdict(r.o, &v);
	if (g->json)
		render_json(r.o, &v);
	else
		render_text(r.o, &v, g);
	finding_release(&v);
	rc = r.o->result == SPF_PASS ? EXIT_OK : EXIT_PROBLEM;
out:
	spf_outcome_free(r.o);
	if (p.dns != NULL)
		dns_free(p.dns);
	dns_cache_free(p.cache);
	if (base != NULL)
		event_base_free(base);
	free(err);
	return rc;
}

const struct cmd_entry cmd_spf_entry = {
	.name = "spf",
	.usage = "[OPTIONS] [DOMAIN] --ip IP [--sender ADDR] [--helo NAME] | "
	    "--batch FILE",
	.summary = "evaluate a domain's SPF record for a client address, "
	    "with a trace",
	.help = help,
	.run = run,
};
