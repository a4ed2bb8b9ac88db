/*
 * cmd_logs.c - `mxdoc logs [FILE...]`: what is failing in mail-server logs,
 * since when, to whom, why, and what to do. Options, then one pass of
 * logs/ over the files, then the human report or the JSON document
 * (doc/logs.md), both rendered from the same struct logs_result.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/finding.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "logs/logs.h"
#include "report/json.h"
#include "report/text.h"

/* cli.h declares the entries of the commands it knew when written. */
extern const struct cmd_entry cmd_logs_entry;

enum {
	OPT_SINCE = OPT_FIRST_LOCAL, OPT_UNTIL, OPT_DOMAIN, OPT_CAUSE,
	OPT_MESSAGE, OPT_YEAR, OPT_TZ, OPT_ESCALATE, OPT_HTML, OPT_FOLLOW,
	OPT_JOBS, OPT_PART,
};

#define TEXT_DESTS	20
#define TEXT_REPLIES	3
#define JSON_REPLIES	10
#define RATE_DESTS	10	/* rate series in --json */
#define TEXT_RATES	5

static const char help[] =
"Arguments:\n"
"  FILE                   a mail log: plain or .gz, a rotated set in any order\n"
"                         (mail.log.2.gz mail.log.1 mail.log), or - for\n"
"                         standard input; none: standard input\n"
"Options:\n"
"  --since TIME           only events at or after TIME: 2026-11-28,\n"
"                         '2026-11-28 08:00', RFC 3339, or 30m/12h/7d ago\n"
"  --until TIME           only events before TIME\n"
"  --domain DOMAIN        only recipients at DOMAIN\n"
"  --cause CAUSE          only failures of CAUSE: an id (net.refused), a\n"
"                         prefix (net) or a category (reputation)\n"
"  --message ID           the history of one message: queue id or Message-ID\n"
"  --year YEAR            the year of the first syslog stamp (default: from\n"
"                         each file's modification time)\n"
"  --tz ZONE              the zone of stamps without one: local (default),\n"
"                         UTC, +0100\n"
"  --escalate DOMAIN      Markdown for a provider's support case about\n"
"                         DOMAIN (recipients at or under it, or its hosts)\n"
"  --html FILE            also write the report as one self-contained HTML\n"
"                         file with charts (- for standard output)\n"
"  --follow               follow one live log across rotation: a line per\n"
"                         new failure; the report on SIGINT or SIGTERM\n"
"  --jobs N               threads that parse a plain file, 1 to 64 (default:\n"
"                         the CPUs online); the report is the same\n"
"\n"
"Postfix, Exim, Sendmail and OpenSMTPD lines are recognised per line, so\n"
"mixed syslog files work; Exchange message tracking logs and Exchange\n"
"Online message trace exports (CSV) by their header. -v lists the line\n"
"numbers of unparsed lines.\n";

/* RFC 3339 UTC to the second, as logs give it. */
static void
stamp(int64_t us, char out[32])
{
	if (us == 0) {
		memcpy(out, "-", 2);
		return;
	}
	mtime_rfc3339(us, out);
	memcpy(out + 19, "Z", 2);
}

static const char *const delay_names[] = {
	"before_queue_manager", "in_queue_manager", "connection_setup",
	"transmission",
};
static const char *const delay_labels[] = {
	"before the queue manager (a)", "in the queue manager (b)",
	"connection setup (c)", "transmission (d)",
};

/* ---- JSON ---------------------------------------------------------- */

static void
json_time(struct jw *w, const char *key, int64_t us)
{
	char t[32];

	if (us == 0) {
		jw_null(w, key);
		return;
	}
	stamp(us, t);
	jw_str(w, key, t);
}

static void
json_delays(struct jw *w, const char *key, const struct logs_delays *d)
{
	int i;

	jw_obj_begin(w, key);
	jw_int(w, "count", (int64_t)d->n);
	for (i = 0; i < 4; i++) {
		jw_obj_begin(w, delay_names[i]);
		jw_ms(w, "avg_ms", d->n ? d->sum[i] * 1000.0 / (double)d->n : 0);
		jw_ms(w, "max_ms", d->max[i] * 1000.0);
		jw_obj_end(w);
	}
	jw_obj_begin(w, "total");
	jw_int(w, "count", (int64_t)d->ndelay);
	jw_ms(w, "avg_ms", d->ndelay ? d->delay_sum * 1000.0 /
	    (double)d->ndelay : 0);
	jw_ms(w, "max_ms", d->delay_max * 1000.0);
	jw_obj_end(w);
	jw_obj_end(w);
}

static void
json_dest(struct jw *w, const struct logs_dest *d)
{
	uint64_t fail = logs_dest_failures(d), ev = fail + d->st[LOG_ST_SENT];
	size_t i;
	int k;

	jw_obj_begin(w, NULL);
	jw_str(w, "domain", d->domain);
	jw_int(w, "messages", (int64_t)d->messages);
	jw_int(w, "delivered", (int64_t)d->st[LOG_ST_SENT]);
	jw_int(w, "deferred", (int64_t)d->st[LOG_ST_DEFERRED]);
	jw_int(w, "bounced", (int64_t)d->st[LOG_ST_BOUNCED]);
	jw_int(w, "expired", (int64_t)d->st[LOG_ST_EXPIRED]);
	jw_num(w, "failure_rate", ev ? (double)((int64_t)((double)fail *
	    10000.0 / (double)ev + 0.5)) / 10000.0 : 0);
	jw_obj_begin(w, "causes");
	for (i = 0; i < d->ncauses; i++)
		jw_int(w, d->causes[i].cause->id, (int64_t)d->causes[i].n);
	jw_obj_end(w);
	json_time(w, "first_seen", d->first_us);
	json_time(w, "last_seen", d->last_us);
	json_time(w, "first_failure", d->first_fail_us);
	json_time(w, "last_failure", d->last_fail_us);
	jw_arr_begin(w, "relays");
	for (i = 0; i < d->nrelays; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "host", d->relays[i].host[0] ? d->relays[i].host :
		    NULL);
		jw_str(w, "address", d->relays[i].ip[0] ? d->relays[i].ip :
		    NULL);
		jw_int(w, "events", (int64_t)d->relays[i].events);
		jw_int(w, "failures", (int64_t)d->relays[i].failures);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_int(w, "relays_other_events", (int64_t)d->relays_other);
	jw_arr_begin(w, "samples");
	for (k = 0; k < d->nsamples; k++) {
		const struct logs_sample *s = &d->samples[k];

		jw_obj_begin(w, NULL);
		jw_str(w, "queue_id", s->qid);
		jw_str(w, "message_id", s->msgid);
		jw_str(w, "status", log_status_name(s->status));
		jw_str(w, "cause", s->cause ? s->cause->id : NULL);
		json_time(w, "time", s->time_us);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	json_delays(w, "delays", &d->delays);
	jw_obj_end(w);
}

static void
json_cause(struct jw *w, const struct logs_result *r,
    const struct logs_cause_stat *c)
{
	size_t i, k;
	int j;

	jw_obj_begin(w, NULL);
	jw_str(w, "cause", c->cause->id);
	jw_str(w, "title", c->cause->title);
	jw_str(w, "category", cause_category_name(c->cause->category));
	jw_bool(w, "retry", c->cause->retry);
	jw_int(w, "events", (int64_t)c->events);
	jw_int(w, "deferred", (int64_t)c->st[LOG_ST_DEFERRED]);
	jw_int(w, "bounced", (int64_t)c->st[LOG_ST_BOUNCED]);
	jw_int(w, "expired", (int64_t)c->st[LOG_ST_EXPIRED]);
	json_time(w, "first_seen", c->first_us);
	json_time(w, "last_seen", c->last_us);
	jw_obj_begin(w, "destinations");
	for (i = 0; i < r->ndests; i++)
		for (k = 0; k < r->dests[i]->ncauses; k++)
			if (r->dests[i]->causes[k].cause == c->cause)
				jw_int(w, r->dests[i]->domain,
				    (int64_t)r->dests[i]->causes[k].n);
	jw_obj_end(w);
	jw_arr_begin(w, "replies");
	for (i = 0; i < c->nreplies && i < JSON_REPLIES; i++) {
		const struct logs_reply *p = &c->replies[i];

		jw_obj_begin(w, NULL);
		jw_str(w, "text", p->text);
		jw_int(w, "count", (int64_t)p->count);
		jw_arr_begin(w, "queue_ids");
		for (j = 0; j < p->nsamples; j++)
			jw_str(w, NULL, p->qid[j]);
		jw_arr_end(w);
		jw_arr_begin(w, "message_ids");
		for (j = 0; j < p->nsamples; j++)
			if (p->msgid[j] != NULL)
				jw_str(w, NULL, p->msgid[j]);
		jw_arr_end(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_int(w, "distinct_replies", (int64_t)c->nreplies);
	jw_int(w, "other_replies", (int64_t)c->other_replies);
	jw_str(w, "explanation", c->cause->explanation);
	jw_arr_begin(w, "remedy");
	for (i = 0; i < c->cause->nremedy; i++)
		jw_str(w, NULL, c->cause->remedy[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
json_rates(struct jw *w, const struct logs_result *r)
{
	size_t i;
	uint32_t k;
	int shown = 0;

	jw_obj_begin(w, "rates");
	jw_int(w, "window_minutes", LOGS_RATE_WINDOW);
	jw_arr_begin(w, "destinations");
	for (i = 0; i < r->ndests; i++) {
		const struct logs_dest *d = r->dests[i];
		const struct logs_series *s = &d->rate;
		const struct logs_throttle *t = &d->throttle;
		int64_t at;
		double peak;

		if (s->n == 0 || (shown >= RATE_DESTS && t->first_us == 0))
			continue;
		shown++;
		peak = logs_series_peak(s, &at);
		jw_obj_begin(w, NULL);
		jw_str(w, "domain", d->domain);
		json_time(w, "start", s->start * 60000000);
		jw_int(w, "bucket_minutes", s->width);
		jw_arr_begin(w, "attempts");
		for (k = 0; k < s->n; k++)
			jw_int(w, NULL, s->v[k]);
		jw_arr_end(w);
		jw_num(w, "peak_per_minute", peak);
		json_time(w, "peak_at", at * 60000000);
		if (t->first_us != 0) {
			double win, rate = logs_throttle_rate(t, &win);

			jw_obj_begin(w, "throttled");
			json_time(w, "first", t->first_us);
			jw_str(w, "cause", t->cause->id);
			jw_str(w, "reply", t->reply);
			jw_int(w, "attempts_before", (int64_t)t->attempts);
			jw_num(w, "window_minutes", (double)(int64_t)(win *
			    100 + 0.5) / 100);
			jw_num(w, "per_minute_before", (double)(int64_t)(rate *
			    10 + 0.5) / 10);
			jw_int(w, "peak_minute_before", t->peak);
			jw_obj_end(w);
		} else
			jw_null(w, "throttled");
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static const char *
step_event(const struct logs_step *s)
{
	switch (s->kind) {
	case LOG_EV_MSGID:	return "message-id";
	case LOG_EV_ARRIVAL:	return "queued";
	case LOG_EV_DONE:	return "removed";
	case LOG_EV_EXPIRED:	return "expired";
	default:		return log_status_name(s->status);
	}
}

static void
render_json(const struct logs_result *r, const struct finding *v,
    const char *message, const char *scope)
{
	struct buf b;
	struct jw *w;
	size_t i;

	buf_init(&b, BUF_UNBOUNDED);
	w = jw_new(&b);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "logs");
	finding_json(w, "verdict", v);
	jw_arr_begin(w, "files");
	for (i = 0; i < r->nfiles; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "name", r->files[i].name);
		jw_int(w, "lines", (int64_t)r->files[i].lines);
		jw_int(w, "bytes", (int64_t)r->files[i].bytes);
		jw_bool(w, "compressed", r->files[i].compressed);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_begin(w, "totals");
	jw_int(w, "lines", (int64_t)r->lines);
	jw_int(w, "delivered", (int64_t)r->st[LOG_ST_SENT]);
	jw_int(w, "deferred", (int64_t)r->st[LOG_ST_DEFERRED]);
	jw_int(w, "bounced", (int64_t)r->st[LOG_ST_BOUNCED]);
	jw_int(w, "expired", (int64_t)r->st[LOG_ST_EXPIRED]);
	jw_int(w, "unparsed", (int64_t)r->unparsed);
	jw_int(w, "other", (int64_t)r->other);
	jw_int(w, "filtered", (int64_t)r->filtered);
	jw_int(w, "messages", (int64_t)r->messages);
	jw_int(w, "destinations", (int64_t)r->ndests);
	jw_obj_begin(w, "dialects");
	for (i = LOG_D_POSTFIX; i < LOG_D_NUM; i++)
		jw_int(w, log_dialect_name((enum log_dialect)i),
		    (int64_t)r->dialect[i]);
	jw_obj_end(w);
	json_time(w, "first_seen", r->first_us);
	json_time(w, "last_seen", r->last_us);
	jw_obj_end(w);
	jw_arr_begin(w, "destinations");
	for (i = 0; i < r->ndests; i++)
		json_dest(w, r->dests[i]);
	jw_arr_end(w);
	jw_arr_begin(w, "causes");
	for (i = 0; i < r->ncauses; i++)
		json_cause(w, r, r->causes[i]);
	jw_arr_end(w);
	json_delays(w, "delays", &r->delays);
	json_rates(w, r);
	jw_arr_begin(w, "unparsed");
	for (i = 0; i < r->nunparsed_lines; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "file", r->unparsed_lines[i].file);
		jw_int(w, "line", (int64_t)r->unparsed_lines[i].line);
		jw_str(w, "reason", r->unparsed_lines[i].reason);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	if (message != NULL) {
		jw_obj_begin(w, "message");
		jw_str(w, "id", message);
		jw_bool(w, "found", r->message_found);
		jw_arr_begin(w, "events");
		for (i = 0; i < r->nsteps; i++) {
			const struct logs_step *s = &r->steps[i];

			jw_obj_begin(w, NULL);
			json_time(w, "time", s->time_us);
			jw_str(w, "file", s->file);
			jw_int(w, "line", (int64_t)s->line);
			jw_str(w, "event", step_event(s));
			jw_str(w, "queue_id", s->qid);
			jw_str(w, "recipient", s->rcpt);
			jw_str(w, "relay", s->relay);
			jw_str(w, "text", s->text);
			jw_str(w, "cause", s->cause ? s->cause->id : NULL);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		jw_obj_end(w);
	} else
		jw_null(w, "message");
	if (scope != NULL) {
		char *md = logs_escalation(r, scope, v);

		jw_obj_begin(w, "escalation");
		jw_str(w, "scope", scope);
		jw_int(w, "recipients", (int64_t)r->scope_rcpts);
		jw_int(w, "messages", (int64_t)r->scope_messages);
		jw_str(w, "markdown", md);
		jw_obj_end(w);
		free(md);
	}
	jw_obj_end(w);
	fwrite(b.data, 1, b.len, stdout);
	jw_free(w);
	buf_release(&b);
}

/* ---- the human report ---------------------------------------------- */

static void
print_totals(const struct logs_result *r, const struct cli_globals *g)
{
	char t1[32], t2[32];
	uint64_t ev = r->st[LOG_ST_SENT] + r->st[LOG_ST_DEFERRED] +
	    r->st[LOG_ST_BOUNCED] + r->st[LOG_ST_EXPIRED];
	size_t i;

	printf("\n%sTotals%s\n", tc(TC_BOLD), tc(TC_RESET));
	stamp(r->first_us, t1);
	stamp(r->last_us, t2);
	printf("  %llu delivery event%s in %llu line%s of %zu file%s",
	    (unsigned long long)ev, ev == 1 ? "" : "s",
	    (unsigned long long)r->lines, r->lines == 1 ? "" : "s", r->nfiles,
	    r->nfiles == 1 ? "" : "s");
	if (r->first_us != 0)
		printf(", %s to %s", t1, t2);
	printf("\n  delivered %llu, deferred %s%llu%s, bounced %s%llu%s, "
	    "expired %s%llu%s; %llu unparsed, %llu other",
	    (unsigned long long)r->st[LOG_ST_SENT],
	    r->st[LOG_ST_DEFERRED] ? tc(TC_YELLOW) : "",
	    (unsigned long long)r->st[LOG_ST_DEFERRED], tc(TC_RESET),
	    r->st[LOG_ST_BOUNCED] ? tc(TC_RED) : "",
	    (unsigned long long)r->st[LOG_ST_BOUNCED], tc(TC_RESET),
	    r->st[LOG_ST_EXPIRED] ? tc(TC_RED) : "",
	    (unsigned long long)r->st[LOG_ST_EXPIRED], tc(TC_RESET),
	    (unsigned long long)r->unparsed, (unsigned long long)r->other);
	if (r->filtered)
		printf(", %llu left out by filters",
		    (unsigned long long)r->filtered);
	printf("\n");
	if (r->unparsed > 0 && g->verbose > 0) {
		for (i = 0; i < r->nunparsed_lines; i++)
			printf("  %sunparsed %s:%llu: %s%s\n", tc(TC_DIM),
			    r->unparsed_lines[i].file,
			    (unsigned long long)r->unparsed_lines[i].line,
			    r->unparsed_lines[i].reason, tc(TC_RESET));
		if (r->unparsed > r->nunparsed_lines)
			printf("  %s(%llu more unparsed lines)%s\n", tc(TC_DIM),
			    (unsigned long long)(r->unparsed -
			    r->nunparsed_lines), tc(TC_RESET));
	} else if (r->unparsed > 0)
		printf("  %s(-v lists the unparsed lines)%s\n", tc(TC_DIM),
		    tc(TC_RESET));
}

static void
print_dests(const struct logs_result *r)
{
	const char *head[] = { "DOMAIN", "MSGS", "DELIVERED", "DEFERRED",
	    "BOUNCED", "EXPIRED", "FAIL%", "FIRST FAILURE", "LAST FAILURE",
	    "TOP CAUSE", "RELAY" };
	struct table *t;
	char cells[11][300];
	const char *row[11];
	size_t i;
	int c;

	if (r->ndests == 0)
		return;
	printf("\n%sDestinations%s (by failures)\n", tc(TC_BOLD), tc(TC_RESET));
	t = table_new(11);
	table_row(t, head);
	for (c = 0; c < 11; c++)
		row[c] = cells[c];
	for (i = 0; i < r->ndests && i < TEXT_DESTS; i++) {
		const struct logs_dest *d = r->dests[i];
		uint64_t fail = logs_dest_failures(d), ev = fail +
		    d->st[LOG_ST_SENT];

		snprintf(cells[0], sizeof(cells[0]), "%s", d->domain);
		snprintf(cells[1], sizeof(cells[1]), "%llu",
		    (unsigned long long)d->messages);
		snprintf(cells[2], sizeof(cells[2]), "%llu",
		    (unsigned long long)d->st[LOG_ST_SENT]);
		snprintf(cells[3], sizeof(cells[3]), "%llu",
		    (unsigned long long)d->st[LOG_ST_DEFERRED]);
		snprintf(cells[4], sizeof(cells[4]), "%llu",
		    (unsigned long long)d->st[LOG_ST_BOUNCED]);
		snprintf(cells[5], sizeof(cells[5]), "%llu",
		    (unsigned long long)d->st[LOG_ST_EXPIRED]);
		snprintf(cells[6], sizeof(cells[6]), "%s%.0f%s",
		    fail ? tc(TC_RED) : "", ev ? (double)fail * 100.0 /
		    (double)ev : 0.0, fail ? tc(TC_RESET) : "");
		stamp(d->first_fail_us, cells[7]);
		stamp(d->last_fail_us, cells[8]);
		snprintf(cells[9], sizeof(cells[9]), "%s", d->ncauses ?
		    d->causes[0].cause->id : "-");
		if (d->nrelays > 0)
			snprintf(cells[10], sizeof(cells[10]), d->relays[0].ip[0] ?
			    "%s[%s]" : "%s", d->relays[0].host, d->relays[0].ip);
		else
			snprintf(cells[10], sizeof(cells[10]), "-");
		table_row(t, row);
	}
	table_print(t, stdout, 2);
	table_free(t);
	if (r->ndests > TEXT_DESTS)
		printf("  %s(%zu more destinations; --json lists all)%s\n",
		    tc(TC_DIM), r->ndests - TEXT_DESTS, tc(TC_RESET));
}

static void
print_causes(const struct logs_result *r, bool verbose)
{
	size_t i, k, j;
	int shown;

	if (r->ncauses == 0)
		return;
	printf("\n%sCauses%s\n", tc(TC_BOLD), tc(TC_RESET));
	for (i = 0; i < r->ncauses; i++) {
		const struct logs_cause_stat *c = r->causes[i];

		printf("%s  %s%s%s  %llu event%s (%llu deferred, %llu bounced, "
		    "%llu expired)", i ? "\n" : "", tc(TC_BOLD), c->cause->id,
		    tc(TC_RESET), (unsigned long long)c->events,
		    c->events == 1 ? "" : "s",
		    (unsigned long long)c->st[LOG_ST_DEFERRED],
		    (unsigned long long)c->st[LOG_ST_BOUNCED],
		    (unsigned long long)c->st[LOG_ST_EXPIRED]);
		shown = 0;
		for (k = 0; k < r->ndests && shown < 3; k++)
			for (j = 0; j < r->dests[k]->ncauses; j++)
				if (r->dests[k]->causes[j].cause == c->cause) {
					printf("%s %s %llu", shown ? "," : ";",
					    r->dests[k]->domain,
					    (unsigned long long)
					    r->dests[k]->causes[j].n);
					shown++;
				}
		printf("\n    %s%s: ", tc(TC_DIM), c->cause->title);
		text_wrap(stdout, c->cause->explanation, 6 + (int)strlen(
		    c->cause->title), 4, 100);
		printf("%s", tc(TC_RESET));
		for (k = 0; k < c->nreplies && k < TEXT_REPLIES; k++) {
			const struct logs_reply *p = &c->replies[k];
			char cnt[32];

			snprintf(cnt, sizeof(cnt), "%llu×",
			    (unsigned long long)p->count);
			printf("    %6s  ", cnt);
			text_wrap(stdout, p->text, 14, 14, 100);
			if (p->nsamples > 0)
				printf("            %se.g. %s%s%s%s\n", tc(TC_DIM),
				    p->qid[0], p->msgid[0] ? " " : "",
				    p->msgid[0] ? p->msgid[0] : "",
				    tc(TC_RESET));
		}
		if (c->nreplies > TEXT_REPLIES || c->other_replies > 0)
			printf("    %s(%zu distinct texts; --json shows %d)%s\n",
			    tc(TC_DIM), c->nreplies, JSON_REPLIES, tc(TC_RESET));
		if (i >= 3 && !verbose && c->cause->nremedy > 0)
			printf("    %s(remedies: -v, or mxdoc explain)%s\n",
			    tc(TC_DIM), tc(TC_RESET));
		/* The remedies of the main causes; -v: of all. */
		for (k = 0; k < c->cause->nremedy && (i < 3 || verbose); k++) {
			printf("    %zu. ", k + 1);
			text_wrap(stdout, c->cause->remedy[k], 7, 7, 100);
		}
	}
}

static void
print_delays(const struct logs_result *r)
{
	const struct logs_delays *d = &r->delays;
	int i;

	if (d->n == 0 && d->ndelay == 0)
		return;
	printf("\n%sDelays of deliveries%s (seconds)\n", tc(TC_BOLD),
	    tc(TC_RESET));
	if (d->n > 0)
		for (i = 0; i < 4; i++)
			printf("  %-30s avg %8.2f  max %8.2f\n", delay_labels[i],
			    d->sum[i] / (double)d->n, d->max[i]);
	if (d->ndelay > 0)
		printf("  %-30s avg %8.2f  max %8.2f\n", "total (delay=)",
		    d->delay_sum / (double)d->ndelay, d->delay_max);
}

/* The sending rate before each throttling; -v: the busiest minute of the
 * main destinations too. */
static void
print_rates(const struct logs_result *r, bool verbose)
{
	size_t i;
	int shown = 0;
	bool head = false;

	for (i = 0; i < r->ndests; i++) {
		const struct logs_dest *d = r->dests[i];
		const struct logs_throttle *t = &d->throttle;
		double win, rate, peak;
		int64_t at;
		char t1[32];

		if (d->rate.n == 0 || (t->first_us == 0 && (!verbose ||
		    shown >= TEXT_RATES)))
			continue;
		if (!head)
			printf("\n%sSending rates%s (delivery attempts per "
			    "minute)\n", tc(TC_BOLD), tc(TC_RESET));
		head = true;
		shown++;
		peak = logs_series_peak(&d->rate, &at);
		stamp(at * 60000000, t1);
		printf("  %-24s busiest %.1f/min at %s", d->domain, peak, t1);
		if (d->rate.width > 1)
			printf(" (%u-minute average)", d->rate.width);
		printf("\n");
		if (t->first_us == 0)
			continue;
		rate = logs_throttle_rate(t, &win);
		stamp(t->first_us, t1);
		if (t->attempts == 0)
			printf("    %sthrottled from %s with no attempt in the %d "
			    "minutes before%s\n", tc(TC_YELLOW), t1,
			    LOGS_RATE_WINDOW, tc(TC_RESET));
		else
			printf("    %s%llu attempt%s in the %d minutes before the "
			    "first throttling reply at %s: %.1f/min, busiest "
			    "minute %u%s\n", tc(TC_YELLOW),
			    (unsigned long long)t->attempts, t->attempts == 1 ?
			    "" : "s", LOGS_RATE_WINDOW, t1, rate, t->peak,
			    tc(TC_RESET));
		printf("    ");
		text_wrap(stdout, t->reply, 4, 6, 100);
	}
}

static void
print_message(const struct logs_result *r, const char *id)
{
	const char *head[] = { "TIME", "LINE", "EVENT", "QUEUE ID",
	    "RECIPIENT", "RELAY", "CAUSE", "TEXT" };
	struct table *t;
	char cells[8][512];
	const char *row[8];
	size_t i;
	int c;

	printf("\n%sMessage%s %s\n", tc(TC_BOLD), tc(TC_RESET), id);
	if (r->nsteps == 0) {
		printf("  not found\n");
		return;
	}
	t = table_new(8);
	table_row(t, head);
	for (c = 0; c < 8; c++)
		row[c] = cells[c];
	for (i = 0; i < r->nsteps; i++) {
		const struct logs_step *s = &r->steps[i];

		stamp(s->time_us, cells[0]);
		snprintf(cells[1], sizeof(cells[1]), "%s:%llu", s->file,
		    (unsigned long long)s->line);
		snprintf(cells[2], sizeof(cells[2]), "%s", step_event(s));
		snprintf(cells[3], sizeof(cells[3]), "%s", s->qid);
		snprintf(cells[4], sizeof(cells[4]), "%s", s->rcpt ? s->rcpt : "");
		snprintf(cells[5], sizeof(cells[5]), "%s", s->relay ? s->relay :
		    "");
		snprintf(cells[6], sizeof(cells[6]), "%s", s->cause ?
		    s->cause->id : "");
		snprintf(cells[7], sizeof(cells[7]), "%.120s", s->text ? s->text :
		    "");
		table_row(t, row);
	}
	table_print(t, stdout, 2);
	table_free(t);
}

static void
render_text(const struct logs_result *r, const struct finding *v,
    const struct cli_globals *g, const char *message)
{
	int i;

	printf("%s%s%-7s%s  ", tc(TC_BOLD), tc(cli_sev_color(v->severity)),
	    cli_sev_label(v->severity), tc(TC_RESET));
	text_wrap(stdout, v->summary, 9, 9, 100);
	printf("         %scause: %s (%s)%s\n", tc(TC_DIM), v->cause->id,
	    v->cause->title, tc(TC_RESET));
	if (g->quiet)
		return;
	if (v->nevidence > 0) {
		printf("\n%sEvidence%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (i = 0; i < v->nevidence; i++) {
			printf("  - ");
			text_wrap(stdout, v->evidence[i], 4, 4, 100);
		}
	}
	if (message != NULL)
		print_message(r, message);
	print_totals(r, g);
	print_dests(r);
	print_causes(r, g->verbose > 0);
	print_delays(r);
	print_rates(r, g->verbose > 0);
}

/* ---- --follow ------------------------------------------------------- */

static volatile sig_atomic_t follow_stop;

static void
on_stop(int sig)
{
	(void)sig;
	follow_stop = 1;
}

struct follow_state {
	bool	live;		/* past the content that was there */
	bool	json;
};

static void
follow_ready(void *arg)
{
	struct follow_state *fs = arg;

	fs->live = true;
	fprintf(stderr, "mxdoc logs: following; Ctrl-C for the report\n");
}

/* One line per failure as it is logged: time, status, cause, recipient,
 * reply. */
static void
follow_failure(void *arg, const struct log_event *ev, struct sv rcpt,
    const struct cause *c)
{
	struct follow_state *fs = arg;
	struct sv t = ev->reply.n > 0 ? ev->reply : ev->text;
	char ts[32];

	if (!fs->live || fs->json)
		return;
	stamp(ev->time_us, ts);
	printf("%s  %s%-8s%s %-24s %.*s  %.*s\n", ts,
	    ev->status == LOG_ST_DEFERRED ? tc(TC_YELLOW) : tc(TC_RED),
	    log_status_name(ev->status), tc(TC_RESET), c->id,
	    (int)(rcpt.n > 254 ? 254 : rcpt.n), rcpt.p,
	    (int)(t.n > LOGS_REPLY_TEXT_MAX ? LOGS_REPLY_TEXT_MAX : t.n), t.p);
	fflush(stdout);
}

static int
follow_signals(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_stop : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the poll's sleep ends at once */
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return -1;
	return 0;
}

/* ---- options and the run ------------------------------------------- */

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "cause", required_argument, NULL, OPT_CAUSE },
		{ "message", required_argument, NULL, OPT_MESSAGE },
		{ "year", required_argument, NULL, OPT_YEAR },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "escalate", required_argument, NULL, OPT_ESCALATE },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		/* the bytes of a part for --jobs: for tests, which cut files
		 * into parts of a line or a few */
		{ "part-bytes", required_argument, NULL, OPT_PART },
		{ NULL, 0, NULL, 0 }
	};
	struct logs_params p;
	struct logtime tz;
	const char *since = NULL, *until = NULL, **files = NULL, *html = NULL;
	struct follow_state fs = { false, false };
	bool follow = false;
	const char *stdin_only[] = { "-" };
	const struct logs_result *r;
	struct finding v;
	struct logs *l;
	size_t nfiles, i, k;
	int c, rc;
	long val;

	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_LOCAL;
	val = sysconf(_SC_NPROCESSORS_ONLN);
	p.jobs = val < 1 ? 1 : val > LOGS_JOBS_MAX ? LOGS_JOBS_MAX : (int)val;
	int stop = EXIT_OK;

	while ((c = cli_next_option(argc, argv, opts, g, &cmd_logs_entry,
	    &stop)) != -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		switch (c) {
		case OPT_SINCE:
			since = optarg;
			break;
		case OPT_UNTIL:
			until = optarg;
			break;
		case OPT_DOMAIN:
			if (optarg[0] == '\0' || strlen(optarg) > 253 ||
			    strpbrk(optarg, " @<>\t") != NULL)
				return cli_usage_error("logs", "--domain takes "
				    "a domain: '%s'", optarg);
			p.domain = optarg;
			break;
		case OPT_CAUSE: {
			size_t n, j;
			const struct cause *all = cause_all(&n);

			for (j = 0; j < n; j++)
				if (logs_cause_matches(&all[j], optarg))
					break;
			if (j == n)
				return cli_usage_error("logs", "--cause: no cause "
				    "'%s' (see 'mxdoc explain' or DESIGN.md)",
				    optarg);
			p.cause = optarg;
			break;
		}
		case OPT_MESSAGE:
			if (optarg[0] == '\0' || strlen(optarg) > 998)
				return cli_usage_error("logs", "--message takes "
				    "a queue id or a Message-ID");
			p.message = optarg;
			break;
		case OPT_ESCALATE:
			if (optarg[0] == '\0' || strlen(optarg) > 253 ||
			    strpbrk(optarg, " @<>\t|`") != NULL)
				return cli_usage_error("logs", "--escalate takes "
				    "a domain: '%s'", optarg);
			p.scope = optarg;
			break;
		case OPT_HTML:
			if (optarg[0] == '\0')
				return cli_usage_error("logs", "--html takes a "
				    "file name");
			html = optarg;
			break;
		case OPT_FOLLOW:
			follow = true;
			break;
		case OPT_YEAR:
			if (cli_parse_int(optarg, 1970, 9999, &val) < 0)
				return cli_usage_error("logs", "--year takes "
				    "1970 to 9999: '%s'", optarg);
			p.year = (int)val;
			break;
		case OPT_JOBS:
			if (cli_parse_int(optarg, 1, LOGS_JOBS_MAX, &val) < 0)
				return cli_usage_error("logs", "--jobs takes 1 "
				    "to %d: '%s'", LOGS_JOBS_MAX, optarg);
			p.jobs = (int)val;
			break;
		case OPT_PART:
			if (cli_parse_int(optarg, 1, 1L << 26, &val) < 0)
				return cli_usage_error("logs", "--part-bytes "
				    "takes 1 to 2^26: '%s'", optarg);
			p.part = (size_t)val;
			break;
		case OPT_TZ:
			if (logtime_parse_zone(optarg, &p.zone, &p.off_s) < 0)
				return cli_usage_error("logs", "--tz takes local, "
				    "UTC or an offset like +0100: '%s'", optarg);
			break;
		}
	}
	logtime_init(&tz, 0, p.zone, p.off_s);
	if (since != NULL && logtime_parse_arg(&tz, since,
	    mtime_wall_us() / 1000000, &p.since_us) < 0)
		return cli_usage_error("logs", "--since: not a time: '%s'", since);
	if (until != NULL && logtime_parse_arg(&tz, until,
	    mtime_wall_us() / 1000000, &p.until_us) < 0)
		return cli_usage_error("logs", "--until: not a time: '%s'", until);
	if (p.since_us != 0 && p.until_us != 0 && p.until_us <= p.since_us)
		return cli_usage_error("logs", "--until is not after --since");
	text_color_init(g->color);

	nfiles = (size_t)(argc - optind);
	if (follow && (nfiles != 1 || strcmp(argv[optind], "-") == 0))
		return cli_usage_error("logs", "--follow takes one log file");
	if (html != NULL && strcmp(html, "-") == 0 && (g->json ||
	    p.scope != NULL))
		return cli_usage_error("logs", "--html - and --json or "
		    "--escalate would share standard output");
	if (follow) {
		fs.json = g->json;
		p.on_failure = follow_failure;
		p.arg = &fs;
	}
	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	} else {
		files = xcalloc(nfiles, sizeof(*files));
		for (i = 0; i < nfiles; i++)
			files[i] = argv[optind + (int)i];
		logs_sort_files(files, nfiles);
	}
	/* A missing file is bad input: say so before reading anything. */
	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i], "-") == 0)
			continue;
		if (access(files[i], R_OK) != 0) {
			rc = cli_usage_error("logs", "%s: cannot read: %s",
			    files[i], strerror(errno));
			if (files != stdin_only)
				free(files);
			return rc;
		}
	}
	l = logs_new(&p);
	rc = EXIT_OK;
	if (follow) {
		char *err = NULL;

		follow_stop = 0;
		if (follow_signals(true) < 0 || logs_follow(l, files[0],
		    &follow_stop, 1000, follow_ready, &fs, &err) < 0) {
			fprintf(stderr, "mxdoc logs: %s\n", err != NULL ? err :
			    strerror(errno));
			free(err);
			rc = EXIT_INTERNAL;
		}
		(void)follow_signals(false);
		nfiles = 0;	/* read */
	}
	for (i = 0; i < nfiles; i++) {
		char *err = NULL;

		for (k = 0; k < i; k++)
			if (strcmp(files[k], "-") == 0 &&
			    strcmp(files[i], "-") == 0)
				break;
		if (k < i)
			continue;	/* standard input once */
		if (logs_read_file(l, files[i], &err) < 0) {
			fprintf(stderr, "mxdoc logs: %s\n", err);
			free(err);
			rc = EXIT_USAGE;
		}
	}
	r = logs_finish(l);
	logs_verdict(r, &v);
	if (g->json)
		render_json(r, &v, p.message, p.scope);
	else if (p.scope != NULL) {
		char *md = logs_escalation(r, p.scope, &v);

		fputs(md, stdout);
		free(md);
	} else if (html == NULL || strcmp(html, "-") != 0)
		render_text(r, &v, g, p.message);
	if (html != NULL) {
		FILE *o = strcmp(html, "-") == 0 ? stdout : fopen(html, "w");

		if (o == NULL || logs_html(o, r, &v, files[0]) < 0) {
			fprintf(stderr, "mxdoc logs: %s: %s\n", html,
			    strerror(errno));
			rc = EXIT_INTERNAL;
		}
		if (o != NULL && o != stdout)
			fclose(o);
	}
	if (rc == EXIT_OK)
		rc = v.severity >= SEV_WARNING ? EXIT_PROBLEM : EXIT_OK;
	finding_release(&v);
	logs_free(l);
	if (files != stdin_only)
		free(files);
	return rc;
}

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.usage = "[OPTIONS] [FILE...]",
	.summary = "what is failing in mail-server logs, since when, why",
	.help = help,
	.run = run,
};
