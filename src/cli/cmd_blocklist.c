/*
 * cmd_blocklist.c - `mxdoc blocklist TARGET...`: checks addresses, host
 * names and domains against the DNS blocklists of the catalogue (bl/), then
 * prints the human report or the JSON document (doc/blocklist.md), both
 * rendered from the same struct bl_run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bl/catalogue.h"
#include "bl/check.h"
#include "bl/target.h"
#include "classify/finding.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "dns/bulk.h"
#include "report/json.h"
#include "report/text.h"

extern const struct cmd_entry cmd_blocklist_entry;

/* The run is compact (a clean answer in 2 bytes, check.h) and the JSON
 * document is streamed, so 10,000 addresses against 50 zones hold about
 * 1 MB of results; the engine stops at BL_RESULTS_MAX results whatever
 * the zones (a host name's addresses past it are reported, not checked).
 * The document cannot be streamed as the targets complete: the verdict,
 * the counts and the listings come before the results, and a zone's
 * canary may discard its answers until its last one. */
#define TARGETS_MAX	10000

/* From this many lookups (targets x zones) on, the zones are asked through
 * the stub client of dns/bulk.h rather than libunbound, unless --no-bulk:
 * below it the run takes a few round trips either way. */
#define BULK_AUTO_LOOKUPS	2000

enum {
	OPT_ZONES = OPT_FIRST_LOCAL, OPT_ONLY, OPT_SKIP, OPT_CONCURRENCY,
	OPT_NO_CANARY, OPT_LIST_ZONES, OPT_BULK, OPT_NO_BULK,
};

static const char help[] =
"Options:\n"
"  --zones FILE           read the zone catalogue from FILE (CSV with at least\n"
"                         the columns zone and kind; see doc/blocklist.md)\n"
"                         instead of the built-in one\n"
"  --only LIST            check only these zones (comma-separated; disabled\n"
"                         ones included)\n"
"  --skip LIST            do not check these zones (comma-separated)\n"
"  --concurrency N        queries in flight at once (default 1024)\n"
"  --bulk, --no-bulk      ask the zones through mxdoc's own stub client\n"
"                         (UDP to the resolver, batched) or through\n"
"                         libunbound (same results); default: the stub\n"
"                         client from 2000 lookups (targets x zones) on\n"
"  --no-canary            skip the RFC 5782 test queries that catch dead zones\n"
"  --list-zones           print the catalogue and exit\n"
"\n"
"Targets: IPv4 or IPv6 addresses (checked against address lists), host names\n"
"(their A/AAAA addresses against address lists, the name against domain\n"
"lists) and domains (domain lists: RHSBL, URIBL). Ask through your own\n"
"resolver: Spamhaus, URIBL and SURBL refuse public ones (reported as\n"
"unchecked, never as listed).\n";

struct ctx {
	const struct bl_zone	**zones;
	int			  nzones;
	const struct bl_catalogue *cat;
	struct bl_run		 *run;
	int			 *listed;	/* result indexes, most important first */
	int			  nlisted;
};

/* ---- the verdict ---------------------------------------------------- */

static const struct bl_zone *
zone_of(const struct ctx *x, const struct bl_result *res)
{
	return x->zones[res->zone];
}

static const char *
query_of(const struct ctx *x, const struct bl_result *res)
{
	return x->run->items[res->item].target->text;
}

static const struct ctx *sort_ctx;

/* Result i of the run: every one but a clean answer is in kept[]. */
static const struct bl_result *
result_of(const struct ctx *x, int i, struct bl_result *buf)
{
	return bl_run_result(x->run, i, buf);
}

static int
cmp_listed(const void *a, const void *b)
{
	struct bl_result ba, bb;
	const struct bl_result *ra = result_of(sort_ctx, *(const int *)a, &ba);
	const struct bl_result *rb = result_of(sort_ctx, *(const int *)b, &bb);
	const struct bl_zone *za = zone_of(sort_ctx, ra);
	const struct bl_zone *zb = zone_of(sort_ctx, rb);
	int c;

	if (za->impact != zb->impact)
		return (int)za->impact - (int)zb->impact;
	if ((c = strcmp(za->name, zb->name)) != 0)
		return c;
	return ra->item - rb->item;
}

static void
collect_listed(struct ctx *x)
{
	int i;

	x->listed = xcalloc((size_t)x->run->count[BL_LISTED] + 1, sizeof(int));
	for (i = 0; i < x->run->nkept; i++)
		if (x->run->kept[i].status == BL_LISTED)
			x->listed[x->nlisted++] = x->run->kept[i].index;
	sort_ctx = x;
	qsort(x->listed, (size_t)x->nlisted, sizeof(int), cmp_listed);
}

static void
build_verdict(const struct ctx *x, struct finding *v)
{
	const struct bl_run *r = x->run;
	struct bl_result buf, buf2;
	int answered = r->count[BL_LISTED] + r->count[BL_CLEAN], i;

	if (x->nlisted > 0) {
		struct buf names;
		int shown = 0;

		buf_init(&names, 600);
		for (i = 0; i < x->nlisted; i++) {
			const struct bl_zone *z = zone_of(x,
			    result_of(x, x->listed[i], &buf));
			int k;

			for (k = 0; k < i; k++)
				if (zone_of(x, result_of(x, x->listed[k],
				    &buf2)) == z)
					break;
			if (k < i)
				continue;	/* named already */
			if (shown == 5) {
				buf_printf(&names, ", ...");
				break;
			}
			buf_printf(&names, "%s%s", shown ? ", " : "", z->name);
			shown++;
		}
		finding_init(v, "bl.listed", SEV_ERROR, "%d listing%s on %d "
		    "zone%s checked: %s", x->nlisted, x->nlisted == 1 ? "" :
		    "s", x->nzones, x->nzones == 1 ? "" : "s", buf_cstr(&names));
		buf_release(&names);
		for (i = 0; i < x->nlisted && v->nevidence <
		    FINDING_MAX_EVIDENCE; i++) {
			const struct bl_result *res = result_of(x, x->listed[i],
			    &buf);
			const struct bl_zone *z = zone_of(x, res);
			char a[16];

			finding_evidence(v, "%s on %s: %s %s%s%s", query_of(x,
			    res), z->name, bl_addr_format(bl_result_addr(r, res,
			    0), a), bl_result_meaning(r, res) ? bl_result_meaning(r, res) :
			    "", bl_result_txt(r, res) ? "; " : "", bl_result_txt(r, res) ?
			    bl_result_txt(r, res) : "");
		}
		for (i = 0; i < x->nlisted; i++) {
			const struct bl_zone *z = zone_of(x,
			    result_of(x, x->listed[i], &buf));

			if (z->delist != NULL) {
				v->remedy_first = xasprintf("Start with %s, the "
				    "list that matters most here: %s", z->name,
				    z->delist);
				break;
			}
		}
	} else if (answered == 0 && r->nresults > 0) {
		finding_init(v, "dns.failure", SEV_ERROR, "no blocklist "
		    "answered: %d unchecked, %d errors", r->count[BL_UNCHECKED],
		    r->count[BL_ERROR]);
		for (i = 0; i < r->nresults && v->nevidence < 3; i++) {
			const struct bl_result *res = result_of(x, i, &buf);

			finding_evidence(v, "%s: %s", zone_of(x, res)->name,
			    bl_result_reason(r, res) ?
			    bl_result_reason(r, res) : "");
		}
		v->remedy_first = xstrdup("Check that this host reaches a "
		    "resolver of its own (--resolver ADDR): blocklists refuse "
		    "public resolvers, and a timeout on every zone means no "
		    "DNS at all");
	} else if (r->nresults == 0) {
		finding_init(v, "ok", SEV_INFO, "no zone of the selection "
		    "takes these targets");
	} else {
		int skipped = r->count[BL_UNCHECKED] + r->count[BL_ERROR];

		finding_init(v, "ok", skipped ? SEV_INFO : SEV_OK, "not listed: "
		    "%d answer%s clean on %d zone%s", r->count[BL_CLEAN],
		    r->count[BL_CLEAN] == 1 ? "" : "s", x->nzones,
		    x->nzones == 1 ? "" : "s");
		if (skipped)
			finding_evidence(v, "%d answer%s unchecked and %d "
			    "error%s: those lists said nothing either way",
			    r->count[BL_UNCHECKED], r->count[BL_UNCHECKED] == 1 ?
			    " was" : "s were", r->count[BL_ERROR],
			    r->count[BL_ERROR] == 1 ? "" : "s");
	}
}

/* ---- JSON ------------------------------------------------------------ */

/* The document of a bulk check runs to hundreds of megabytes (a result is
 * about 400 bytes): it goes out as it is written, so memory holds one
 * chunk of it, never the whole. */
#define JSON_CHUNK	65536

static void
json_flush(struct buf *b, bool all)
{
	if (b->len == 0 || (!all && b->len < JSON_CHUNK))
		return;
	fwrite(b->data, 1, b->len, stdout);
	buf_reset(b);
}

static void
json_result(struct jw *w, const struct ctx *x, const struct bl_result *res)
{
	const struct bl_run *r = x->run;
	const struct bl_item *it = &r->items[res->item];
	const struct bl_zone *z = zone_of(x, res);
	char a[16];
	int i;

	jw_obj_begin(w, NULL);
	jw_str(w, "target", r->inputs[it->input].text);
	jw_str(w, "query", it->target->text);
	jw_str(w, "query_kind", it->target->kind == BL_T_NAME ? "domain" :
	    bl_target_kind_name(it->target->kind));
	jw_str(w, "via", it->via);
	jw_str(w, "zone", z->name);
	jw_str(w, "status", bl_status_name(res->status));
	jw_str(w, "impact", bl_impact_name(z->impact));
	jw_arr_begin(w, "codes");
	for (i = 0; i < bl_result_naddr(r, res); i++)
		jw_str(w, NULL, bl_addr_format(bl_result_addr(r, res, i), a));
	jw_arr_end(w);
	jw_str(w, "meaning", res->status == BL_LISTED ?
	    bl_result_meaning(r, res) :
	    NULL);
	jw_str(w, "txt", bl_result_txt(r, res));
	jw_str(w, "reason", bl_result_reason(r, res));
	jw_str(w, "delist", res->status == BL_LISTED ? z->delist : NULL);
	jw_str(w, "dns_status", res->answer == BL_ANS_ERROR &&
	    res->dns == DNS_OK ? NULL :
	    dns_status_name((enum dns_status)res->dns));
	jw_ms(w, "duration_ms", res->ms);
	jw_bool(w, "canary_discarded", (res->flags & BL_RES_DISCARDED) != 0);
	jw_obj_end(w);
}

static void
render_json(const struct ctx *x, const struct finding *v)
{
	const struct bl_run *r = x->run;
	struct bl_result buf;
	struct buf b;
	struct jw *w;
	char t[32];
	int i, k;

	buf_init(&b, BUF_UNBOUNDED);
	w = jw_new(&b);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "blocklist");
	mtime_rfc3339(r->started_wall_us, t);
	jw_str(w, "started_at", t);
	jw_ms(w, "duration_ms", r->duration_ms);
	finding_json(w, "verdict", v);
	jw_arr_begin(w, "targets");
	for (i = 0; i < r->ninputs; i++) {
		const struct bl_input *in = &r->inputs[i];

		jw_obj_begin(w, NULL);
		jw_str(w, "input", in->text);
		jw_str(w, "kind", in->target->kind == BL_T_NAME ? "name" :
		    bl_target_kind_name(in->target->kind));
		jw_str(w, "name", in->target->kind == BL_T_NAME ?
		    in->target->text : NULL);
		jw_arr_begin(w, "addresses");
		for (k = 0; k < r->nitems; k++)
			if (r->items[k].input == i &&
			    r->items[k].target->kind != BL_T_NAME)
				jw_str(w, NULL, r->items[k].target->text);
		jw_arr_end(w);
		jw_str(w, "a_status", in->resolved ?
		    dns_status_name(in->a_status) : NULL);
		jw_str(w, "aaaa_status", in->resolved ?
		    dns_status_name(in->aaaa_status) : NULL);
		jw_obj_end(w);
		json_flush(&b, false);
	}
	jw_arr_end(w);
	jw_int(w, "zones_checked", x->nzones);
	jw_int(w, "queries", r->queries);
	jw_obj_begin(w, "counts");
	jw_int(w, "listed", r->count[BL_LISTED]);
	jw_int(w, "clean", r->count[BL_CLEAN]);
	jw_int(w, "unchecked", r->count[BL_UNCHECKED]);
	jw_int(w, "error", r->count[BL_ERROR]);
	jw_obj_end(w);
	jw_arr_begin(w, "listings");
	for (i = 0; i < x->nlisted; i++) {
		json_result(w, x, result_of(x, x->listed[i], &buf));
		json_flush(&b, false);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "results");
	for (i = 0; i < r->nresults; i++) {
		json_result(w, x, result_of(x, i, &buf));
		json_flush(&b, false);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "canaries");
	for (i = 0; i < r->ncanaries; i++) {
		const struct bl_canary *k2 = &r->canaries[i];

		jw_obj_begin(w, NULL);
		jw_str(w, "zone", x->zones[k2->zone]->name);
		jw_str(w, "kind", k2->domain ? "domain" : "address");
		jw_str(w, "listed_entry", k2->pos_asked ? k2->pos_name : NULL);
		jw_str(w, "listed_answer", k2->pos_asked ?
		    bl_answer_name(k2->pos.answer) : NULL);
		jw_str(w, "unlisted_entry", k2->neg_name);
		jw_str(w, "unlisted_answer", k2->neg_asked ?
		    bl_answer_name(k2->neg.answer) : NULL);
		jw_str(w, "status", bl_canary_verdict_name(k2->verdict));
		jw_str(w, "detail", k2->detail[0] ? k2->detail : NULL);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "warnings");
	for (i = 0; i < r->nwarnings; i++)
		jw_str(w, NULL, r->warnings[i]);
	jw_arr_end(w);
	jw_obj_end(w);
	json_flush(&b, true);
	jw_free(w);
	buf_release(&b);
}

/* ---- the human report ------------------------------------------------ */

static void
print_status_table(const struct ctx *x, enum bl_status st, const char *title,
    int limit)
{
	const struct bl_run *r = x->run;
	const char *head[] = { "TARGET", "ZONE", "WHY" };
	struct table *t;
	int i, n = 0, shown = 0;

	/* A clean answer is never kept: the others are all in kept[], in
	 * order. */
	for (i = 0; i < r->nkept; i++)
		n += r->kept[i].status == st;
	if (n == 0)
		return;
	printf("\n%s%s%s (%d)\n", tc(TC_BOLD), title, tc(TC_RESET), n);
	t = table_new(3);
	table_row(t, head);
	for (i = 0; i < r->nkept; i++) {
		const struct bl_result *res = &r->kept[i];
		const char *row[3];

		if (res->status != st)
			continue;
		if (limit > 0 && shown == limit)
			break;
		row[0] = query_of(x, res);
		row[1] = zone_of(x, res)->name;
		row[2] = bl_result_reason(r, res) != NULL ?
		    bl_result_reason(r, res) : "";
		table_row(t, row);
		shown++;
	}
	table_print(t, stdout, 2);
	table_free(t);
	if (shown < n)
		printf("  %s(%d more; -v lists them all)%s\n", tc(TC_DIM),
		    n - shown, tc(TC_RESET));
}

static void
render_text(const struct ctx *x, const struct finding *v,
    const struct cli_globals *g)
{
	const struct bl_run *r = x->run;
	size_t k;
	int i, n = 1;

	printf("%s%s%-7s%s  ", tc(TC_BOLD), tc(v->severity == SEV_ERROR ?
	    TC_RED : v->severity == SEV_WARNING ? TC_YELLOW : TC_GREEN),
	    x->nlisted ? "LISTED" : v->severity == SEV_ERROR ? "ERROR" : "OK",
	    tc(TC_RESET));
	text_wrap(stdout, v->summary, 9, 9, 100);
	printf("%*s%scause: %s (%s)%s\n", 9, "", tc(TC_DIM), v->cause->id,
	    v->cause->title, tc(TC_RESET));
	if (g->quiet)
		return;
	printf("  checked %d target%s (%d name%s and address%s) against %d zone%s: %d "
	    "listed, %d clean, %d unchecked, %d error%s in %.0f ms\n",
	    r->ninputs, r->ninputs == 1 ? "" : "s", r->nitems,
	    r->nitems == 1 ? "" : "s", r->nitems == 1 ? "" : "es", x->nzones, x->nzones == 1 ? "" : "s",
	    r->count[BL_LISTED], r->count[BL_CLEAN], r->count[BL_UNCHECKED],
	    r->count[BL_ERROR], r->count[BL_ERROR] == 1 ? "" : "s",
	    r->duration_ms);
	if (x->nlisted > 0) {
		printf("\n%sListings%s (most important first)\n", tc(TC_BOLD),
		    tc(TC_RESET));
		for (i = 0; i < x->nlisted; i++) {
			struct bl_result buf;
			const struct bl_result *res = result_of(x, x->listed[i],
			    &buf);
			const struct bl_zone *z = zone_of(x, res);
			const struct bl_item *it = &r->items[res->item];
			char a[16];
			int c;

			printf("  %s%s%s on %s%s%s (%s impact)%s%s\n", tc(TC_RED),
			    it->target->text, tc(TC_RESET), tc(TC_BOLD), z->name,
			    tc(TC_RESET), bl_impact_name(z->impact),
			    it->via ? ", " : "", it->via ? it->via : "");
			printf("    answer ");
			for (c = 0; c < bl_result_naddr(r, res); c++)
				printf("%s%s", c ? ", " : "",
				    bl_addr_format(bl_result_addr(r, res, c), a));
			printf(": ");
			text_wrap(stdout, bl_result_meaning(r, res) ?
			    bl_result_meaning(r, res) : "", 20, 6, 100);
			if (bl_result_txt(r, res) != NULL) {
				printf("    reason: ");
				text_wrap(stdout, bl_result_txt(r, res), 12, 12,
				    100);
			}
			if (z->delist != NULL)
				printf("    delist: %s\n", z->delist);
		}
	}
	print_status_table(x, BL_UNCHECKED, "Unchecked", g->verbose ? 0 : 20);
	print_status_table(x, BL_ERROR, "Errors", g->verbose ? 0 : 10);
	if (r->nwarnings > 0) {
		printf("\n%sWarnings%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (i = 0; i < r->nwarnings; i++) {
			printf("  - ");
			text_wrap(stdout, r->warnings[i], 4, 4, 100);
		}
	}
	if (v->nevidence > 0 && x->nlisted == 0) {
		printf("\n%sEvidence%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (i = 0; i < v->nevidence; i++) {
			printf("  - ");
			text_wrap(stdout, v->evidence[i], 4, 4, 100);
		}
	}
	if (v->severity >= SEV_WARNING && (v->remedy_first != NULL ||
	    v->cause->nremedy > 0)) {
		printf("\n%sWhat to do%s\n", tc(TC_BOLD), tc(TC_RESET));
		if (v->remedy_first != NULL) {
			printf("  %d. ", n++);
			text_wrap(stdout, v->remedy_first, 5, 5, 100);
		}
		for (k = 0; k < v->cause->nremedy; k++) {
			printf("  %d. ", n++);
			text_wrap(stdout, v->cause->remedy[k], 5, 5, 100);
		}
	}
}

static int
list_zones(const struct bl_catalogue *cat, const struct cli_globals *g)
{
	const char *head[] = { "ZONE", "KIND", "ROLE", "ON", "STATUS",
	    "IMPACT", "NOTES" };
	char kinds[32];
	int i;

	if (g->json) {
		struct buf b;
		struct jw *w;

		buf_init(&b, BUF_UNBOUNDED);
		w = jw_new(&b);
		jw_obj_begin(w, NULL);
		jw_str(w, "mxdoc_version", MXDOC_VERSION);
		jw_str(w, "command", "blocklist");
		jw_arr_begin(w, "zones");
		for (i = 0; i < cat->nzones; i++) {
			const struct bl_zone *z = &cat->zones[i];

			jw_obj_begin(w, NULL);
			jw_str(w, "zone", z->name);
			jw_str(w, "kind", bl_kinds_format(z->kinds, kinds));
			jw_str(w, "role", bl_role_name(z->role));
			jw_bool(w, "enabled", z->enabled);
			jw_str(w, "status", z->status);
			jw_str(w, "impact", bl_impact_name(z->impact));
			jw_bool(w, "refuses_public_resolvers",
			    (z->access & BL_ACCESS_NO_PUBLIC) != 0);
			jw_bool(w, "needs_registration",
			    (z->access & BL_ACCESS_REGISTER) != 0);
			jw_bool(w, "needs_key", (z->access & BL_ACCESS_KEY) != 0);
			jw_str(w, "delist", z->delist);
			jw_str(w, "notes", z->notes);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		jw_obj_end(w);
		fwrite(b.data, 1, b.len, stdout);
		jw_free(w);
		buf_release(&b);
	} else {
		struct table *t = table_new(7);

		table_row(t, head);
		for (i = 0; i < cat->nzones; i++) {
			const struct bl_zone *z = &cat->zones[i];
			char notes[64];
			const char *row[7];

			snprintf(notes, sizeof(notes), "%s", z->notes ?
			    z->notes : "");
			row[0] = z->name;
			row[1] = bl_kinds_format(z->kinds, kinds);
			row[2] = bl_role_name(z->role);
			row[3] = z->enabled ? "yes" : "no";
			row[4] = z->status;
			row[5] = bl_impact_name(z->impact);
			row[6] = notes;
			table_row(t, row);
		}
		table_print(t, stdout, 0);
		table_free(t);
		printf("%d zones, %d enabled by default\n", cat->nzones,
		    cat->nenabled);
	}
	return EXIT_OK;
}

/* ---- options and the run --------------------------------------------- */

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ "zones", required_argument, NULL, OPT_ZONES },
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
		{ "no-canary", no_argument, NULL, OPT_NO_CANARY },
		{ "list-zones", no_argument, NULL, OPT_LIST_ZONES },
		{ "bulk", no_argument, NULL, OPT_BULK },
		{ "no-bulk", no_argument, NULL, OPT_NO_BULK },
		{ NULL, 0, NULL, 0 }
	};
	const char *zones_file = NULL, *only = NULL, *skip = NULL;
	struct bl_catalogue *cat = NULL;
	struct bl_target *targets = NULL;
	struct bl_params bp;
	struct event_base *base = NULL;
	struct finding verdict;
	struct ctx x;
	bool list = false, have_verdict = false;
	int bulk = -1;		/* --bulk 1, --no-bulk 0, else by size */
	char err[512];
	int c, i, ntargets, rc = EXIT_INTERNAL;
	long v;

	memset(&bp, 0, sizeof(bp));
	memset(&x, 0, sizeof(x));
	int stop = EXIT_OK;

	while ((c = cli_next_option(argc, argv, opts, g, &cmd_blocklist_entry,
	    &stop)) != -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		switch (c) {
		case OPT_ZONES:
			zones_file = optarg;
			break;
		case OPT_ONLY:
			only = optarg;
			break;
		case OPT_SKIP:
			skip = optarg;
			break;
		case OPT_CONCURRENCY:
			if (cli_parse_int(optarg, 1, 4096, &v) < 0)
				return cli_usage_error("blocklist",
				    "--concurrency takes 1 to 4096: '%s'", optarg);
			bp.max_inflight = (int)v;
			break;
		case OPT_NO_CANARY:
			bp.no_canary = true;
			break;
		case OPT_LIST_ZONES:
			list = true;
			break;
		case OPT_BULK:
			bulk = 1;
			break;
		case OPT_NO_BULK:
			bulk = 0;
			break;
		}
	}
	text_color_init(g->color);
	if ((cat = bl_catalogue_load(zones_file, err, sizeof(err))) == NULL) {
		if (zones_file != NULL)
			return cli_usage_error("blocklist", "--zones %s: %s",
			    zones_file, err);
		fprintf(stderr, "mxdoc blocklist: the built-in catalogue: %s\n",
		    err);
		return EXIT_INTERNAL;
	}
	if (list) {
		rc = list_zones(cat, g);
		bl_catalogue_free(cat);
		return rc;
	}
	ntargets = argc - optind;
	if (ntargets <= 0) {
		bl_catalogue_free(cat);
		return cli_usage_error("blocklist", "a target is needed (try "
		    "'mxdoc blocklist --help')");
	}
	if (ntargets > TARGETS_MAX) {
		bl_catalogue_free(cat);
		return cli_usage_error("blocklist", "at most %d targets at a "
		    "time", TARGETS_MAX);
	}
	targets = xcalloc((size_t)ntargets, sizeof(*targets));
	for (i = 0; i < ntargets; i++) {
		const char *why;

		if (bl_target_parse(argv[optind + i], &targets[i], &why) < 0) {
			rc = cli_usage_error("blocklist", "%s: '%s'", why,
			    argv[optind + i]);
			goto out;
		}
	}
	x.cat = cat;
	x.nzones = bl_catalogue_select(cat, only, skip, "--only", "--skip",
	    &x.zones, err, sizeof(err));
	if (x.nzones < 0) {
		x.nzones = 0;
		rc = cli_usage_error("blocklist", "%s%s", err,
		    strstr(err, "not in the catalogue") != NULL ?
		    " (--list-zones shows them)" : "");
		goto out;
	}
	if ((long)ntargets * x.nzones > BL_RESULTS_MAX) {
		rc = cli_usage_error("blocklist", "at most %d lookups a run: "
		    "%d targets x %d zones is %ld (fewer targets, or --only)",
		    BL_RESULTS_MAX, ntargets, x.nzones,
		    (long)ntargets * x.nzones);
		goto out;
	}

	base = event_base_new();
	if (base == NULL) {
		fprintf(stderr, "mxdoc blocklist: cannot create the event "
		    "loop\n");
		goto out;
	}
	bp.dns = cli_dns_new(base, g, 5000, "blocklist");
	if (bp.dns == NULL)
		goto out;
	/* The stub client neither validates nor recurses: with a trust
	 * anchor, or with no server to forward to, libunbound does it all. */
	if (bulk == 1 && g->trust_anchor != NULL) {
		rc = cli_usage_error("blocklist", "--bulk does not validate "
		    "DNSSEC: leave out --trust-anchor or --bulk");
		goto out;
	}
	if (bulk == 1 || (bulk == -1 && g->trust_anchor == NULL &&
	    (long)ntargets * x.nzones >= BULK_AUTO_LOOKUPS)) {
		struct dns_bulk_params sp;
		char *berr = NULL;

		memset(&sp, 0, sizeof(sp));
		sp.servers = g->nresolver > 0 ? (const char **)g->resolver :
		    NULL;
		sp.timeout_ms = g->timeout_ms > 0 ? g->timeout_ms : 5000;
		sp.window = bp.max_inflight;
		bp.bulk = dns_bulk_new(base, &sp, &berr);
		if (bp.bulk == NULL && bulk == 1) {
			fprintf(stderr, "mxdoc blocklist: --bulk: %s\n", berr);
			free(berr);
			goto out;
		}
		free(berr);
	}
	bp.zones = x.zones;
	bp.nzones = x.nzones;
	bp.family = g->family;
	bp.compact = true;
	if (!g->json && !g->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "checking %d target%s against %d zones...\n",
		    ntargets, ntargets == 1 ? "" : "s", x.nzones);
	x.run = bl_check(base, &bp, (const char *const *)(argv + optind),
	    targets, ntargets);
	if (bp.bulk != NULL && g->verbose > 0) {
		struct dns_bulk_stats st;

		dns_bulk_stats(bp.bulk, &st);
		fprintf(stderr, "mxdoc blocklist: stub client: %ld datagrams "
		    "sent, %ld replies taken, %ld ignored, %ld retries, %ld "
		    "timeouts; queries %.0f ms\n", st.sent, st.answered,
		    st.ignored, st.retries, st.timeouts, x.run->duration_ms);
	}
	collect_listed(&x);
	build_verdict(&x, &verdict);
	have_verdict = true;
	if (g->json)
		render_json(&x, &verdict);
	else
		render_text(&x, &verdict, g);
	if (x.nlisted > 0)
		rc = EXIT_PROBLEM;
	else if (strcmp(verdict.cause->id, "dns.failure") == 0)
		rc = EXIT_INTERNAL;
	else
		rc = EXIT_OK;
out:
	if (have_verdict)
		finding_release(&verdict);
	bl_run_free(x.run);
	free(x.listed);
	free(x.zones);
	dns_bulk_free(bp.bulk);
	if (bp.dns != NULL)
		dns_free(bp.dns);
	if (base != NULL)
		event_base_free(base);
	free(targets);
	bl_catalogue_free(cat);
	return rc;
}

const struct cmd_entry cmd_blocklist_entry = {
	.name = "blocklist",
	.usage = "[OPTIONS] TARGET...",
	.summary = "check addresses, hosts and domains against DNS blocklists",
	.help = help,
	.run = run,
};
