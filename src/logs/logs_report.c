/*
 * logs_report.c - the verdict of a log analysis (logs.h), built once from
 * the result so that the human report and --json say the same thing.
 */
#include "logs/logs.h"

#include <string.h>

#include "classify/finding.h"
#include "core/mtime.h"

const struct logs_dest *
logs_top_dest(const struct logs_result *r, const struct cause *c,
    uint64_t *n)
{
	const struct logs_dest *best = NULL;
	size_t i, k;

	*n = 0;
	for (i = 0; i < r->ndests; i++)
		for (k = 0; k < r->dests[i]->ncauses; k++)
			if (r->dests[i]->causes[k].cause == c &&
			    r->dests[i]->causes[k].n > *n) {
				*n = r->dests[i]->causes[k].n;
				best = r->dests[i];
			}
	return best;
}

static void
stamp(int64_t us, char out[32])
{
	if (us == 0) {
		memcpy(out, "?", 2);
		return;
	}
	mtime_rfc3339(us, out);
	/* seconds are what logs give */
	memcpy(out + 19, "Z", 2);
}

double
logs_throttle_rate(const struct logs_throttle *t, double *window)
{
	/* the ten whole minutes before, and the part of the minute of the
	 * reply that had passed */
	*window = LOGS_RATE_WINDOW + (double)(t->first_us % 60000000) / 6e7;
	return t->first_us != 0 ? (double)t->attempts / *window : 0;
}

void
logs_verdict(const struct logs_result *r, struct finding *f)
{
	uint64_t fail = r->st[LOG_ST_DEFERRED] + r->st[LOG_ST_BOUNCED] +
	    r->st[LOG_ST_EXPIRED], events = fail + r->st[LOG_ST_SENT], n;
	const struct logs_cause_stat *top;
	const struct logs_dest *d;
	bool hard = r->st[LOG_ST_BOUNCED] + r->st[LOG_ST_EXPIRED] > 0;
	char t1[32], t2[32];
	size_t i;
	int shown = 0;

	if (events == 0) {
		finding_init(f, "ok", SEV_INFO, "no delivery found in %llu "
		    "line%s (%llu unparsed)", (unsigned long long)r->lines,
		    r->lines == 1 ? "" : "s", (unsigned long long)r->unparsed);
		return;
	}
	if (fail == 0) {
		finding_init(f, "ok", SEV_OK, "all %llu deliver%s to %zu "
		    "destination%s succeeded", (unsigned long long)events,
		    events == 1 ? "y" : "ies", r->ndests,
		    r->ndests == 1 ? "" : "s");
		return;
	}
	for (i = 0; i < r->ndests && !hard; i++)
		if (logs_dest_failures(r->dests[i]) > 0 &&
		    r->dests[i]->st[LOG_ST_SENT] == 0)
			hard = true;
	top = r->causes[0];
	d = logs_top_dest(r, top->cause, &n);
	finding_init(f, top->cause->id, hard ? SEV_ERROR : SEV_WARNING,
	    "%llu of %llu delivery attempts failed (%llu deferred, %llu "
	    "bounced, %llu expired); most of them %s, %llu at %s",
	    (unsigned long long)fail, (unsigned long long)events,
	    (unsigned long long)r->st[LOG_ST_DEFERRED],
	    (unsigned long long)r->st[LOG_ST_BOUNCED],
	    (unsigned long long)r->st[LOG_ST_EXPIRED], top->cause->id,
	    (unsigned long long)n, d != NULL ? d->domain : "?");
	for (i = 0; i < r->ndests && shown < 3; i++) {
		const struct logs_dest *x = r->dests[i];

		if (logs_dest_failures(x) == 0)
			break;
		stamp(x->first_fail_us, t1);
		stamp(x->last_fail_us, t2);
		finding_evidence(f, "%s: %llu deferred, %llu bounced, %llu "
		    "expired, %llu delivered, from %s to %s; mostly %s",
		    x->domain, (unsigned long long)x->st[LOG_ST_DEFERRED],
		    (unsigned long long)x->st[LOG_ST_BOUNCED],
		    (unsigned long long)x->st[LOG_ST_EXPIRED],
		    (unsigned long long)x->st[LOG_ST_SENT], t1, t2,
		    x->ncauses > 0 ? x->causes[0].cause->id : "?");
		shown++;
	}
	if (d != NULL && d->throttle.first_us != 0 &&
	    strcmp(top->cause->id, "smtp.throttled") == 0) {
		double w, rate = logs_throttle_rate(&d->throttle, &w);

		stamp(d->throttle.first_us, t1);
		finding_evidence(f, "%llu attempt%s to %s in the %d minutes "
		    "before its first throttling reply at %s: %.1f per minute, "
		    "at most %u in one minute (%s)",
		    (unsigned long long)d->throttle.attempts,
		    d->throttle.attempts == 1 ? "" : "s", d->domain,
		    LOGS_RATE_WINDOW, t1, rate, d->throttle.peak,
		    d->throttle.reply);
	}
	if (top->nreplies > 0)
		finding_evidence(f, "%llu time%s: %s",
		    (unsigned long long)top->replies[0].count,
		    top->replies[0].count == 1 ? "" : "s", top->replies[0].text);
}
