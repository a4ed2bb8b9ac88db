/*
 * logs_html.c - `mxdoc logs --html FILE`: the report as one HTML file
 * that needs nothing else (logs.h). CSS and SVG are inline and there is
 * no script, so it opens offline, in a mail client's viewer or attached
 * to a support case. Every text from the log is escaped; the charts are
 * drawn from the same struct logs_result as the text and JSON reports.
 *
 * Charts carry data-* attributes and <title>s (the tooltip a browser
 * shows), which tests/logs/html.sh looks for in the rendered page.
 */
#include "logs/logs.h"

#include <stdio.h>
#include <string.h>

#include "classify/finding.h"
#include "core/mtime.h"

#define H_BARS		60	/* time buckets of the charts, at most */
#define H_CAUSES	6	/* causes drawn; the rest are "other" */
#define H_DESTS		10	/* destinations in the bar chart */
#define H_RATES		5	/* destinations in the rate chart */
#define H_REPLIES	3

static const char *const palette[] = {
	"#d62728", "#ff7f0e", "#1f77b4", "#9467bd", "#8c564b", "#e377c2",
	"#7f7f7f",
};

static void
esc(FILE *o, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '&':	fputs("&amp;", o); break;
		case '<':	fputs("&lt;", o); break;
		case '>':	fputs("&gt;", o); break;
		case '"':	fputs("&quot;", o); break;
		case '\'':	fputs("&#39;", o); break;
		default:
			/* control bytes from a log have no place in a page */
			if ((unsigned char)*s < 0x20 && *s != '\n' &&
			    *s != '\t')
				fputc('?', o);
			else
				fputc(*s, o);
		}
}

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

/* "08:30" or "11-28 08:30" of a minute, as an axis label. */
static void
label(int64_t minute, bool day, char out[32])
{
	char t[32];

	stamp(minute * 60000000, t);
	if (day)
		snprintf(out, 32, "%.5s %.5s", t + 5, t + 11);
	else
		snprintf(out, 32, "%.5s", t + 11);
}

/* The time axis shared by the charts: nb buckets of bw minutes. */
struct axis {
	int64_t	 start;
	int64_t	 bw;
	int	 nb;
	bool	 days;
};

static void
axis_init(struct axis *a, const struct logs_result *r)
{
	int64_t first = r->first_us / 60000000, last = r->last_us / 60000000;
	int64_t span = last - first + 1;
	static const int64_t steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 180,
	    360, 720, 1440, 2880, 10080 };
	size_t i;

	a->bw = steps[sizeof(steps) / sizeof(steps[0]) - 1];
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] < H_BARS) {
			a->bw = steps[i];
			break;
		}
	a->start = first - first % a->bw;
	a->nb = (int)((last - a->start) / a->bw + 1);
	if (a->nb > H_BARS * 8)
		a->nb = H_BARS * 8;
	a->days = span > 1440 || first / 1440 != last / 1440;
}

static void
x_labels(FILE *o, const struct axis *a, int x0, double bwpx, int y)
{
	int i, every = a->nb > 12 ? (a->nb + 5) / 6 : 1;
	char t[32];

	for (i = 0; i < a->nb; i += every) {
		label(a->start + i * a->bw, a->days, t);
		fprintf(o, "<text x=\"%.1f\" y=\"%d\" class=\"ax\">%s</text>\n",
		    x0 + i * bwpx, y, t);
	}
}

static void
chart_deferrals(FILE *o, const struct logs_result *r, const struct axis *a)
{
	const struct logs_cause_stat *cs[H_CAUSES];
	double v[H_BARS * 8][H_CAUSES + 1], max = 0;
	int nc = 0, i, k, W = 760, H = 220, x0 = 50, y0 = 20;
	size_t j;
	double bwpx;
	char t[32];

	for (j = 0; j < r->ncauses && nc < H_CAUSES; j++)
		if (r->causes[j]->deferrals.n > 0)
			cs[nc++] = r->causes[j];
	fprintf(o, "<h2>Deferrals over time by cause</h2>\n");
	if (nc == 0) {
		fprintf(o, "<p class=\"none\">No deferral.</p>\n");
		return;
	}
	memset(v, 0, sizeof(v));
	for (i = 0; i < a->nb; i++) {
		double tot = 0;
		int64_t b0 = a->start + i * a->bw;

		for (k = 0; k < nc; k++)
			tot += v[i][k] = logs_series_sum(&cs[k]->deferrals, b0,
			    b0 + a->bw);
		for (j = 0; j < r->ncauses; j++) {
			for (k = 0; k < nc; k++)
				if (cs[k] == r->causes[j])
					break;
			if (k == nc)
				tot += v[i][nc] += logs_series_sum(
				    &r->causes[j]->deferrals, b0, b0 + a->bw);
		}
		if (tot > max)
			max = tot;
	}
	if (max <= 0)
		max = 1;
	bwpx = (double)(W - x0 - 10) / a->nb;
	fprintf(o, "<svg class=\"chart\" data-chart=\"deferrals\" "
	    "data-bucket-minutes=\"%lld\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	    "height=\"%d\" role=\"img\"><title>Deferrals per %lld minute%s, "
	    "by cause</title>\n", (long long)a->bw, W, H + 40, W, H + 40,
	    (long long)a->bw, a->bw == 1 ? "" : "s");
	fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "class=\"axl\"/>\n<text x=\"%d\" y=\"%d\" class=\"ax\" "
	    "text-anchor=\"end\">%.0f</text>\n", x0, y0 + H, W - 10, y0 + H,
	    x0 - 4, y0 + 8, max);
	for (i = 0; i < a->nb; i++) {
		double y = y0 + H;

		label(a->start + i * a->bw, a->days, t);
		for (k = 0; k <= nc; k++) {
			double h = v[i][k] / max * H;

			if (v[i][k] <= 0)
				continue;
			y -= h;
			fprintf(o, "<rect class=\"bar\" data-cause=\"%s\" "
			    "data-count=\"%.0f\" data-bucket=\"%s\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"%s\"><title>%s %s: %.0f deferred</title>"
			    "</rect>\n", k < nc ? cs[k]->cause->id : "other",
			    v[i][k], t, x0 + i * bwpx + 1, y, bwpx > 3 ?
			    bwpx - 2 : bwpx, h, palette[k], t, k < nc ?
			    cs[k]->cause->id : "other causes", v[i][k]);
		}
	}
	x_labels(o, a, x0, bwpx, y0 + H + 16);
	fprintf(o, "</svg>\n<p class=\"legend\">");
	for (k = 0; k < nc; k++) {
		fprintf(o, "<span><i style=\"background:%s\"></i>", palette[k]);
		esc(o, cs[k]->cause->id);
		fprintf(o, "</span> ");
	}
	if ((size_t)nc < r->ncauses)
		fprintf(o, "<span><i style=\"background:%s\"></i>other</span>",
		    palette[H_CAUSES]);
	fprintf(o, "</p>\n");
}

static void
chart_dests(FILE *o, const struct logs_result *r)
{
	int W = 760, row = 22, x0 = 200, i, n = 0;
	uint64_t max = 1;
	size_t j;

	for (j = 0; j < r->ndests && n < H_DESTS; j++, n++) {
		uint64_t ev = logs_dest_failures(r->dests[j]) +
		    r->dests[j]->st[LOG_ST_SENT];

		if (ev > max)
			max = ev;
	}
	fprintf(o, "<h2>Top destinations</h2>\n");
	if (n == 0) {
		fprintf(o, "<p class=\"none\">No destination.</p>\n");
		return;
	}
	fprintf(o, "<svg class=\"chart\" data-chart=\"destinations\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">"
	    "<title>Delivery events per destination</title>\n", W,
	    n * row + 10, W, n * row + 10);
	for (i = 0; i < n; i++) {
		const struct logs_dest *d = r->dests[i];
		uint64_t fail = logs_dest_failures(d), ok = d->st[LOG_ST_SENT];
		double wf = (double)fail / (double)max * (W - x0 - 80),
		    wo = (double)ok / (double)max * (W - x0 - 80);
		int y = 5 + i * row;

		fprintf(o, "<text x=\"%d\" y=\"%d\" class=\"lab\" "
		    "text-anchor=\"end\">", x0 - 6, y + 14);
		esc(o, d->domain);
		fprintf(o, "</text>\n<g class=\"dest\" data-domain=\"");
		esc(o, d->domain);
		fprintf(o, "\" data-failures=\"%llu\" data-delivered=\"%llu\">"
		    "<title>", (unsigned long long)fail,
		    (unsigned long long)ok);
		esc(o, d->domain);
		fprintf(o, ": %llu failed, %llu delivered</title>"
		    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" "
		    "fill=\"#d62728\"/><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		    "height=\"16\" fill=\"#2ca02c\"/></g>\n<text x=\"%.1f\" "
		    "y=\"%d\" class=\"ax\">%llu / %llu</text>\n",
		    (unsigned long long)fail, (unsigned long long)ok, x0, y, wf,
		    x0 + wf, y, wo, x0 + wf + wo + 4, y + 13,
		    (unsigned long long)fail, (unsigned long long)(fail + ok));
	}
	fprintf(o, "</svg>\n<p class=\"legend\"><span><i style=\"background:"
	    "#d62728\"></i>failed</span> <span><i style=\"background:#2ca02c\">"
	    "</i>delivered</span></p>\n");
}

static void
chart_rates(FILE *o, const struct logs_result *r, const struct axis *a)
{
	static const char *const col[] = { "#1f77b4", "#ff7f0e", "#2ca02c",
	    "#9467bd", "#8c564b" };
	const struct logs_dest *ds[H_RATES];
	int W = 760, H = 200, x0 = 50, y0 = 20, n = 0, i, k;
	double max = 0, bwpx;
	size_t j;

	for (j = 0; j < r->ndests && n < H_RATES; j++)
		if (r->dests[j]->rate.n > 0)
			ds[n++] = r->dests[j];
	fprintf(o, "<h2>Sending rate per destination</h2>\n");
	if (n == 0) {
		fprintf(o, "<p class=\"none\">No timed delivery.</p>\n");
		return;
	}
	for (k = 0; k < n; k++)
		for (i = 0; i < a->nb; i++) {
			int64_t b0 = a->start + i * a->bw;
			double v = logs_series_sum(&ds[k]->rate, b0, b0 + a->bw) /
			    (double)a->bw;

			if (v > max)
				max = v;
		}
	if (max <= 0)
		max = 1;
	bwpx = (double)(W - x0 - 10) / a->nb;
	fprintf(o, "<svg class=\"chart\" data-chart=\"rates\" viewBox=\"0 0 "
	    "%d %d\" width=\"%d\" height=\"%d\" role=\"img\"><title>Delivery "
	    "attempts per minute (average over %lld minute%s)</title>\n",
	    W, H + 40, W, H + 40, (long long)a->bw, a->bw == 1 ? "" : "s");
	fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "class=\"axl\"/>\n<text x=\"%d\" y=\"%d\" class=\"ax\" "
	    "text-anchor=\"end\">%.1f/min</text>\n", x0, y0 + H, W - 10,
	    y0 + H, x0 + 40, y0 - 6, max);
	for (k = 0; k < n; k++) {
		const struct logs_throttle *t = &ds[k]->throttle;

		fprintf(o, "<polyline class=\"rate\" data-domain=\"");
		esc(o, ds[k]->domain);
		fprintf(o, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
		    "points=\"", col[k]);
		for (i = 0; i < a->nb; i++) {
			int64_t b0 = a->start + i * a->bw;
			double v = logs_series_sum(&ds[k]->rate, b0, b0 + a->bw) /
			    (double)a->bw;

			fprintf(o, "%.1f,%.1f ", x0 + (i + 0.5) * bwpx,
			    y0 + H - v / max * H);
		}
		fprintf(o, "\"><title>");
		esc(o, ds[k]->domain);
		fprintf(o, ": attempts per minute</title></polyline>\n");
		if (t->first_us != 0) {
			double w, rate = logs_throttle_rate(t, &w);
			double x = x0 + (double)(t->first_us / 60000000 -
			    a->start) / (double)a->bw * bwpx;
			char ts[32];

			stamp(t->first_us, ts);
			fprintf(o, "<line class=\"throttle\" data-domain=\"");
			esc(o, ds[k]->domain);
			fprintf(o, "\" data-per-minute-before=\"%.1f\" x1=\"%.1f\" "
			    "y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
			    "stroke-dasharray=\"4 3\"><title>", rate, x, y0, x,
			    y0 + H, col[k]);
			esc(o, ds[k]->domain);
			fprintf(o, " throttled from %s, after %.1f attempts per "
			    "minute</title></line>\n", ts, rate);
		}
	}
	x_labels(o, a, x0, bwpx, y0 + H + 16);
	fprintf(o, "</svg>\n<p class=\"legend\">");
	for (k = 0; k < n; k++) {
		fprintf(o, "<span><i style=\"background:%s\"></i>", col[k]);
		esc(o, ds[k]->domain);
		fprintf(o, "</span> ");
	}
	fprintf(o, "(dashed: the first throttling reply)</p>\n");
}

static void
table_throttles(FILE *o, const struct logs_result *r)
{
	size_t j;
	bool any = false;

	for (j = 0; j < r->ndests; j++) {
		const struct logs_throttle *t = &r->dests[j]->throttle;
		double w, rate;
		char ts[32];

		if (t->first_us == 0)
			continue;
		if (!any)
			fprintf(o, "<h2>Sending rate before throttling</h2>\n"
			    "<table class=\"throttles\"><tr><th>Destination</th>"
			    "<th>First throttled</th><th>Attempts in the %d "
			    "minutes before</th><th>Per minute</th><th>Busiest "
			    "minute</th><th>Reply</th></tr>\n", LOGS_RATE_WINDOW);
		any = true;
		rate = logs_throttle_rate(t, &w);
		stamp(t->first_us, ts);
		fprintf(o, "<tr><td>");
		esc(o, r->dests[j]->domain);
		fprintf(o, "</td><td>%s</td><td class=\"n\">%llu</td><td "
		    "class=\"n\">%.1f</td><td class=\"n\">%u</td><td>", ts,
		    (unsigned long long)t->attempts, rate, t->peak);
		esc(o, t->reply);
		fprintf(o, "</td></tr>\n");
	}
	if (any)
		fprintf(o, "</table>\n");
}

static void
table_dests(FILE *o, const struct logs_result *r)
{
	size_t j;

	if (r->ndests == 0)
		return;
	fprintf(o, "<h2>Destinations</h2>\n<table><tr><th>Domain</th>"
	    "<th>Messages</th><th>Delivered</th><th>Deferred</th><th>Bounced"
	    "</th><th>Expired</th><th>Fail %%</th><th>First failure</th>"
	    "<th>Last failure</th><th>Top cause</th><th>Relay</th></tr>\n");
	for (j = 0; j < r->ndests; j++) {
		const struct logs_dest *d = r->dests[j];
		uint64_t fail = logs_dest_failures(d), ev = fail +
		    d->st[LOG_ST_SENT];
		char t1[32], t2[32];

		stamp(d->first_fail_us, t1);
		stamp(d->last_fail_us, t2);
		fprintf(o, "<tr><td>");
		esc(o, d->domain);
		fprintf(o, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu"
		    "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
		    "<td class=\"n\">%llu</td><td class=\"n\">%.0f</td><td>%s"
		    "</td><td>%s</td><td>%s</td><td>",
		    (unsigned long long)d->messages,
		    (unsigned long long)d->st[LOG_ST_SENT],
		    (unsigned long long)d->st[LOG_ST_DEFERRED],
		    (unsigned long long)d->st[LOG_ST_BOUNCED],
		    (unsigned long long)d->st[LOG_ST_EXPIRED],
		    ev ? (double)fail * 100.0 / (double)ev : 0.0, t1, t2,
		    d->ncauses ? d->causes[0].cause->id : "-");
		if (d->nrelays > 0) {
			esc(o, d->relays[0].host);
			if (d->relays[0].ip[0]) {
				fputc('[', o);
				esc(o, d->relays[0].ip);
				fputc(']', o);
			}
		} else
			fputc('-', o);
		fprintf(o, "</td></tr>\n");
	}
	fprintf(o, "</table>\n");
}

static void
table_causes(FILE *o, const struct logs_result *r)
{
	size_t j, k;

	if (r->ncauses == 0)
		return;
	fprintf(o, "<h2>Causes</h2>\n");
	for (j = 0; j < r->ncauses; j++) {
		const struct logs_cause_stat *c = r->causes[j];

		fprintf(o, "<div class=\"cause\" data-cause=\"");
		esc(o, c->cause->id);
		fprintf(o, "\"><h3>");
		esc(o, c->cause->id);
		fprintf(o, " <small>%llu event%s (%llu deferred, %llu bounced, "
		    "%llu expired)</small></h3>\n<p><b>",
		    (unsigned long long)c->events, c->events == 1 ? "" : "s",
		    (unsigned long long)c->st[LOG_ST_DEFERRED],
		    (unsigned long long)c->st[LOG_ST_BOUNCED],
		    (unsigned long long)c->st[LOG_ST_EXPIRED]);
		esc(o, c->cause->title);
		fprintf(o, ":</b> ");
		esc(o, c->cause->explanation);
		fprintf(o, "</p>\n");
		if (c->nreplies > 0) {
			fprintf(o, "<table class=\"replies\"><tr><th>Count</th>"
			    "<th>Reply</th><th>Example</th></tr>\n");
			for (k = 0; k < c->nreplies && k < H_REPLIES; k++) {
				const struct logs_reply *p = &c->replies[k];

				fprintf(o, "<tr><td class=\"n\">%llu</td><td>",
				    (unsigned long long)p->count);
				esc(o, p->text);
				fprintf(o, "</td><td>");
				if (p->nsamples > 0) {
					esc(o, p->qid[0]);
					if (p->msgid[0] != NULL) {
						fputc(' ', o);
						esc(o, p->msgid[0]);
					}
				}
				fprintf(o, "</td></tr>\n");
			}
			fprintf(o, "</table>\n");
		}
		if (c->cause->nremedy > 0) {
			fprintf(o, "<ol>");
			for (k = 0; k < c->cause->nremedy; k++) {
				fprintf(o, "<li>");
				esc(o, c->cause->remedy[k]);
				fprintf(o, "</li>");
			}
			fprintf(o, "</ol>\n");
		}
		fprintf(o, "</div>\n");
	}
}

int
logs_html(FILE *o, const struct logs_result *r, const struct finding *v,
    const char *title)
{
	struct axis a;
	char t1[32], t2[32];
	int i;

	memset(&a, 0, sizeof(a));
	if (r->first_us != 0)
		axis_init(&a, r);
	stamp(r->first_us, t1);
	stamp(r->last_us, t2);
	fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset="
	    "\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content="
	    "\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>mxdoc "
	    "logs: ");
	esc(o, title);
	fprintf(o, "</title>\n<style>\n"
	    "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;"
	    "max-width:1000px;color:#222;padding:0 12px}\n"
	    "h1{font-size:20px}h2{font-size:17px;margin-top:28px;border-bottom:"
	    "1px solid #ddd}h3{font-size:15px;margin-bottom:4px}\n"
	    ".verdict{padding:10px 14px;border-left:6px solid #888;background:"
	    "#f6f6f6}.verdict.error{border-color:#d62728}.verdict.warning{"
	    "border-color:#ff7f0e}.verdict.ok{border-color:#2ca02c}\n"
	    "table{border-collapse:collapse;margin:6px 0;font-size:13px;"
	    "display:block;overflow-x:auto;max-width:100%%}"
	    "td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;"
	    "vertical-align:top}th{background:#f0f0f0}td.n{text-align:right}\n"
	    ".chart{max-width:100%%;height:auto;display:block}.ax{font-size:"
	    "11px;fill:#555}.lab{font-size:12px;fill:#222}.axl{stroke:#999}\n"
	    ".legend span{margin-right:12px;font-size:12px}.legend i{display:"
	    "inline-block;width:10px;height:10px;margin-right:4px}\n"
	    ".none{color:#777}small{color:#666;font-weight:normal}\n"
	    "</style></head><body>\n<h1>mxdoc logs: ");
	esc(o, title);
	fprintf(o, "</h1>\n<div class=\"verdict %s\" data-cause=\"",
	    severity_name(v->severity));
	esc(o, v->cause->id);
	fprintf(o, "\"><p><b>");
	esc(o, v->summary);
	fprintf(o, "</b></p>\n<p>cause: ");
	esc(o, v->cause->id);
	fprintf(o, " (");
	esc(o, v->cause->title);
	fprintf(o, ")</p>\n");
	if (v->nevidence > 0) {
		fprintf(o, "<ul>");
		for (i = 0; i < v->nevidence; i++) {
			fprintf(o, "<li>");
			esc(o, v->evidence[i]);
			fprintf(o, "</li>");
		}
		fprintf(o, "</ul>\n");
	}
	fprintf(o, "</div>\n<p>%llu line%s of %zu file%s, %s to %s: delivered "
	    "%llu, deferred %llu, bounced %llu, expired %llu; %llu unparsed."
	    "</p>\n", (unsigned long long)r->lines, r->lines == 1 ? "" : "s",
	    r->nfiles, r->nfiles == 1 ? "" : "s", t1, t2,
	    (unsigned long long)r->st[LOG_ST_SENT],
	    (unsigned long long)r->st[LOG_ST_DEFERRED],
	    (unsigned long long)r->st[LOG_ST_BOUNCED],
	    (unsigned long long)r->st[LOG_ST_EXPIRED],
	    (unsigned long long)r->unparsed);
	if (a.nb > 0) {
		chart_deferrals(o, r, &a);
		chart_dests(o, r);
		chart_rates(o, r, &a);
	} else
		chart_dests(o, r);
	table_throttles(o, r);
	table_dests(o, r);
	table_causes(o, r);
	fprintf(o, "<p class=\"none\">mxdoc logs</p>\n</body></html>\n");
	fflush(o);
	return ferror(o) ? -1 : 0;
}
