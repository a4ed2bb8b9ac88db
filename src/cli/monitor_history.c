/*
 * monitor_history.c - the monitor's SQLite history (monitor_int.h).
 *
 * rounds   one row per round (its time and duration)
 * results  every observation of every round: target, check, subject (the
 *          zone), query, status, codes, detail
 * state    the last status of each (target, check, subject, query), and
 *          its last verdict (listed or clean) so that a zone that went
 *          unchecked and came back clean still reports the delisting
 * events   the changes alerts are sent for; kept when results are pruned,
 *          so the timeline of a listing outlives the raw results
 * The auth audit and diagnose write to the same tables (check_name "auth"
 * or "diagnose", subject the section, "verdict" or the MX host), with the
 * severity and cause of what they saw; a database made before they
 * existed gains those columns when it is opened (PRAGMA user_version 0 ->
 * 1, in one transaction).
 * A round is written in one transaction and committed before any alert
 * goes out: an alert never tells of a row that a crash could lose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/cause.h"
#include "cli/monitor_int.h"
#include "core/mem.h"
#include "core/store.h"

struct mon_history {
	struct store		*s;
	struct store_stmt	*ins_round, *ins_result, *get_state,
				*put_state, *ins_event;
};

static const char schema[] =
"CREATE TABLE IF NOT EXISTS rounds (\n"
"  id INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, duration_ms REAL,\n"
"  observations INTEGER, errors INTEGER);\n"
"CREATE TABLE IF NOT EXISTS results (\n"
"  round INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,\n"
"  target TEXT NOT NULL, check_name TEXT NOT NULL, subject TEXT NOT NULL,\n"
"  query TEXT NOT NULL, status TEXT NOT NULL, codes TEXT, detail TEXT);\n"
"CREATE INDEX IF NOT EXISTS results_by_target ON results(target, round);\n"
"CREATE INDEX IF NOT EXISTS results_by_round ON results(round);\n"
"CREATE TABLE IF NOT EXISTS state (\n"
"  target TEXT NOT NULL, check_name TEXT NOT NULL, subject TEXT NOT NULL,\n"
"  query TEXT NOT NULL, status TEXT NOT NULL, verdict TEXT,\n"
"  since_us INTEGER NOT NULL, last_us INTEGER NOT NULL,\n"
"  PRIMARY KEY (target, check_name, subject, query));\n"
"CREATE TABLE IF NOT EXISTS events (\n"
"  id INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, target TEXT NOT NULL,\n"
"  check_name TEXT NOT NULL, subject TEXT NOT NULL, query TEXT NOT NULL,\n"
"  event TEXT NOT NULL, previous TEXT, status TEXT NOT NULL, codes TEXT,\n"
"  detail TEXT);\n"
"CREATE INDEX IF NOT EXISTS events_by_target ON events(target, at_us);\n";

/* Version 1: the auth audit and diagnose. ALTER TABLE ... ADD COLUMN
 * keeps every row; a mxdoc without them still writes to the tables (its
 * INSERTs name their columns) and leaves the new ones NULL. */
static const char migrate_v1[] =
"BEGIN IMMEDIATE;\n"
"ALTER TABLE results ADD COLUMN severity TEXT;\n"
"ALTER TABLE results ADD COLUMN cause TEXT;\n"
"ALTER TABLE state ADD COLUMN severity TEXT;\n"
"ALTER TABLE state ADD COLUMN cause TEXT;\n"
"ALTER TABLE state ADD COLUMN codes TEXT;\n"
"ALTER TABLE state ADD COLUMN detail TEXT;\n"
"ALTER TABLE events ADD COLUMN severity TEXT;\n"
"ALTER TABLE events ADD COLUMN remedy TEXT;\n"
"PRAGMA user_version = 1;\n"
"COMMIT;\n";

#define HISTORY_VERSION	1
#define HISTORY_BUSY_MS	250

struct mon_history *
mon_history_open(const char *path, bool create, char *err, size_t errlen)
{
	struct mon_history *h;
	struct store_stmt *st;
	struct store *s;
	bool have = false;
	int64_t version = 0;

	/* A short busy wait: the writes run on the event loop, so a lock held
	 * elsewhere must not stall /metrics or SIGTERM; a round that cannot
	 * be written is held and retried (retry=) instead. */
	if ((s = store_open(path, create, HISTORY_BUSY_MS, err, errlen)) == NULL)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->s = s;
	/* The schema is created once; a database that has it is opened
	 * without writing, so that a lock held elsewhere does not stop the
	 * monitor from starting (its rounds wait and retry instead). */
	if ((st = store_prepare(s, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'events_by_target'")) != NULL) {
		have = store_step(st) == STORE_ROW && store_col_int64(st, 0) > 0;
		store_stmt_free(st);
	}
	if ((st = store_prepare(s, "PRAGMA user_version")) != NULL) {
		if (store_step(st) == STORE_ROW)
			version = store_col_int64(st, 0);
		store_stmt_free(st);
	}
	if (!have && store_exec(s, schema) != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(s));
		return mon_history_close(h);
	}
	if (version < HISTORY_VERSION && store_exec(s, migrate_v1) !=
	    STORE_OK) {
		snprintf(err, errlen, "adding the auth and diagnose columns: %s",
		    store_errmsg(s));
		store_rollback(s);
		return mon_history_close(h);
	}
	if (version > HISTORY_VERSION) {
		snprintf(err, errlen, "the history is of a newer mxdoc (version "
		    "%lld, this one knows %d)", (long long)version,
		    HISTORY_VERSION);
		return mon_history_close(h);
	}
	if (
	    (h->ins_round = store_prepare(s, "INSERT INTO rounds (at_us, "
	    "duration_ms, observations, errors) VALUES (?1, ?2, ?3, ?4)")) ==
	    NULL ||
	    (h->ins_result = store_prepare(s, "INSERT INTO results (round, "
	    "target, check_name, subject, query, status, codes, detail, "
	    "severity, cause) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10)")) == NULL ||
	    (h->get_state = store_prepare(s, "SELECT status, verdict, since_us, "
	    "severity, codes FROM state WHERE target = ?1 AND check_name = ?2 "
	    "AND subject = ?3 AND query = ?4")) == NULL ||
	    (h->put_state = store_prepare(s, "INSERT OR REPLACE INTO state "
	    "(target, check_name, subject, query, status, verdict, since_us, "
	    "last_us, severity, cause, codes, detail) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")) == NULL ||
	    (h->ins_event = store_prepare(s, "INSERT INTO events (at_us, "
	    "target, check_name, subject, query, event, previous, status, "
	    "codes, detail, severity, remedy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8, ?9, ?10, ?11, ?12)")) == NULL) {
		snprintf(err, errlen, "%s", store_errmsg(s));
		return mon_history_close(h);
	}
	return h;
}

struct mon_history *
mon_history_close(struct mon_history *h)
{
	if (h == NULL)
		return NULL;
	store_stmt_free(h->ins_round);
	store_stmt_free(h->ins_result);
	store_stmt_free(h->get_state);
	store_stmt_free(h->put_state);
	store_stmt_free(h->ins_event);
	store_close(h->s);
	free(h);
	return NULL;
}

const char *
mon_history_errmsg(const struct mon_history *h)
{
	return store_errmsg(h->s);
}

static char *
col_dup(struct store_stmt *st, int i)
{
	const char *s = store_col_text(st, i);

	return s != NULL ? xstrdup(s) : NULL;
}

static bool
is_verdict(const char *st)
{
	return st != NULL && (strcmp(st, "listed") == 0 ||
	    strcmp(st, "clean") == 0);
}

/* The change from (prev status, prev verdict) to st, or NULL. */
static const char *
change(const char *prev, const char *verdict, const char *st)
{
	bool was_listed = verdict != NULL && strcmp(verdict, "listed") == 0;

	if (strcmp(st, "listed") == 0)
		return was_listed ? NULL : "listed";
	if (strcmp(st, "clean") == 0)
		return was_listed ? "delisted" : NULL;
	return is_verdict(prev) ? "unchecked" : NULL;
}

static int
sev_rank(const char *name)
{
	static const char *const names[] = { "ok", "info", "warning", "error",
	    NULL };
	int i;

	for (i = 0; name != NULL && names[i] != NULL; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The change of an auth section or a diagnose verdict, or NULL. Worse or
 * better by severity; "changed" for the same severity with another cause
 * (diagnose) or another set of problems (auth). The first sight of a
 * check is an event only when it is a problem already. A diagnose's
 * per-address rows are kept, never alerted (the verdict speaks for
 * them). */
static const char *
check_change(const struct mon_obs *o, const char *prev, const char *prevsev,
    const char *prevcodes)
{
	int was = sev_rank(prevsev), now = o->severity;

	if (o->quiet)
		return NULL;
	if (prev == NULL)
		return now >= SEV_WARNING ? "worse" : NULL;
	if (was < 0)
		was = SEV_OK;
	if (now > was)
		return "worse";
	if (now < was)
		return "better";
	if (strcmp(prev, o->status) != 0)
		return "changed";
	if (now >= SEV_WARNING && !same_text(prevcodes, o->codes))
		return "changed";
	return NULL;
}

static enum store_status
step_done(struct store_stmt *st)
{
	enum store_status r = store_step(st);

	store_reset(st);
	return r == STORE_DONE ? STORE_OK : r;
}

static enum store_status
write_obs(struct mon_history *h, const struct mon_round *r, int64_t round,
    int i, struct mon_event **ev, int *nev)
{
	const struct mon_obs *o = &r->obs[i];
	char *prev = NULL, *verdict = NULL, *prevsev = NULL, *prevcodes = NULL;
	const char *kind, *newverdict;
	const char *sev = o->severity >= 0 ? severity_name(o->severity) : NULL;
	int64_t since = r->at_us, prev_since = 0;
	enum store_status st;

	store_bind_int64(h->ins_result, 1, round);
	store_bind_text(h->ins_result, 2, o->target);
	store_bind_text(h->ins_result, 3, o->check);
	store_bind_text(h->ins_result, 4, o->subject);
	store_bind_text(h->ins_result, 5, o->query);
	store_bind_text(h->ins_result, 6, o->status);
	store_bind_text(h->ins_result, 7, o->codes);
	store_bind_text(h->ins_result, 8, o->detail);
	store_bind_text(h->ins_result, 9, sev);
	store_bind_text(h->ins_result, 10, o->cause);
	if ((st = step_done(h->ins_result)) != STORE_OK)
		return st;

	store_bind_text(h->get_state, 1, o->target);
	store_bind_text(h->get_state, 2, o->check);
	store_bind_text(h->get_state, 3, o->subject);
	store_bind_text(h->get_state, 4, o->query);
	st = store_step(h->get_state);
	if (st == STORE_ROW) {
		const char *p = store_col_text(h->get_state, 0);
		const char *v = store_col_text(h->get_state, 1);

		prev = p != NULL ? xstrdup(p) : NULL;
		verdict = v != NULL ? xstrdup(v) : NULL;
		prev_since = store_col_int64(h->get_state, 2);
		prevsev = col_dup(h->get_state, 3);
		prevcodes = col_dup(h->get_state, 4);
		st = STORE_OK;
	} else if (st == STORE_DONE)
		st = STORE_OK;
	store_reset(h->get_state);
	if (st != STORE_OK)
		goto out;

	if (o->severity < 0) {
		if (prev != NULL && strcmp(prev, o->status) == 0)
			since = prev_since;
		newverdict = is_verdict(o->status) ? o->status : verdict;
		kind = change(prev, verdict, o->status);
	} else {
		/* Since when the section or verdict has been as it is. */
		if (prev != NULL && strcmp(prev, o->status) == 0 &&
		    same_text(prevsev, sev) && (o->severity < SEV_WARNING ||
		    same_text(prevcodes, o->codes)))
			since = prev_since;
		newverdict = NULL;
		kind = check_change(o, prev, prevsev, prevcodes);
	}
	store_bind_text(h->put_state, 1, o->target);
	store_bind_text(h->put_state, 2, o->check);
	store_bind_text(h->put_state, 3, o->subject);
	store_bind_text(h->put_state, 4, o->query);
	store_bind_text(h->put_state, 5, o->status);
	store_bind_text(h->put_state, 6, newverdict);
	store_bind_int64(h->put_state, 7, since);
	store_bind_int64(h->put_state, 8, r->at_us);
	store_bind_text(h->put_state, 9, sev);
	store_bind_text(h->put_state, 10, o->cause);
	store_bind_text(h->put_state, 11, o->codes);
	store_bind_text(h->put_state, 12, o->detail);
	if ((st = step_done(h->put_state)) != STORE_OK)
		goto out;

	if (kind != NULL) {
		struct mon_event *e;

		store_bind_int64(h->ins_event, 1, r->at_us);
		store_bind_text(h->ins_event, 2, o->target);
		store_bind_text(h->ins_event, 3, o->check);
		store_bind_text(h->ins_event, 4, o->subject);
		store_bind_text(h->ins_event, 5, o->query);
		store_bind_text(h->ins_event, 6, kind);
		store_bind_text(h->ins_event, 7, prev);
		store_bind_text(h->ins_event, 8, o->status);
		store_bind_text(h->ins_event, 9, o->codes);
		store_bind_text(h->ins_event, 10, o->detail);
		store_bind_text(h->ins_event, 11, sev);
		store_bind_text(h->ins_event, 12, o->remedy);
		if ((st = step_done(h->ins_event)) != STORE_OK)
			goto out;
		*ev = xrealloc(*ev, (size_t)(*nev + 1) * sizeof(**ev));
		e = &(*ev)[(*nev)++];
		e->kind = kind;
		e->obs = i;
		e->previous = prev;
		e->prev_severity = prevsev;
		e->prev_since_us = prev_since;
		prev = NULL;
		prevsev = NULL;
	}
out:
	free(prev);
	free(verdict);
	free(prevsev);
	free(prevcodes);
	return st;
}

enum store_status
mon_history_write(struct mon_history *h, const struct mon_round *r,
    struct mon_event **ev, int *nev)
{
	enum store_status st;
	int64_t round;
	int i;

	*ev = NULL;
	*nev = 0;
	if ((st = store_begin(h->s)) != STORE_OK)
		return st;
	store_bind_int64(h->ins_round, 1, r->at_us);
	store_bind_double(h->ins_round, 2, r->duration_ms);
	store_bind_int64(h->ins_round, 3, r->nobs);
	store_bind_int64(h->ins_round, 4, r->errors);
	if ((st = step_done(h->ins_round)) != STORE_OK)
		goto fail;
	round = store_last_rowid(h->s);
	for (i = 0; i < r->nobs; i++)
		if ((st = write_obs(h, r, round, i, ev, nev)) != STORE_OK)
			goto fail;
	if ((st = store_commit(h->s)) != STORE_OK)
		goto fail;
	return STORE_OK;
fail:
	store_rollback(h->s);
	mon_events_free(*ev, *nev);
	*ev = NULL;
	*nev = 0;
	return st;
}

enum store_status
mon_history_prune(struct mon_history *h, int64_t before_us)
{
	struct store_stmt *st;
	enum store_status r;

	st = store_prepare(h->s, "DELETE FROM rounds WHERE at_us < ?1");
	if (st == NULL)
		return STORE_ERROR;
	store_bind_int64(st, 1, before_us);
	r = step_done(st);
	store_stmt_free(st);
	return r;
}

void
mon_events_free(struct mon_event *ev, int nev)
{
	int i;

	for (i = 0; i < nev; i++) {
		free(ev[i].previous);
		free(ev[i].prev_severity);
	}
	free(ev);
}

void
mon_round_free(struct mon_round *r)
{
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nobs; i++) {
		free(r->obs[i].target);
		free(r->obs[i].subject);
		free(r->obs[i].query);
		free(r->obs[i].codes);
		free(r->obs[i].detail);
		free(r->obs[i].delist);
		free(r->obs[i].remedy);
	}
	free(r->obs);
	free(r);
}

/* ---- the timeline ---------------------------------------------------- */

static bool
same_key(const struct mon_period *p, const struct mon_tl_event *e)
{
	return strcmp(p->check, e->check) == 0 &&
	    strcmp(p->subject, e->subject) == 0 &&
	    strcmp(p->query, e->query) == 0;
}

enum store_status
mon_history_timeline(struct mon_history *h, const char *target,
    struct mon_timeline *tl)
{
	struct store_stmt *st;
	enum store_status r;
	int i, k;

	memset(tl, 0, sizeof(*tl));
	tl->target = xstrdup(target);
	st = store_prepare(h->s, "SELECT count(DISTINCT r.round), "
	    "min(d.at_us), max(d.at_us) FROM results r JOIN rounds d ON "
	    "d.id = r.round WHERE r.target = ?1");
	if (st == NULL)
		return STORE_ERROR;
	store_bind_text(st, 1, target);
	if ((r = store_step(st)) == STORE_ROW) {
		tl->rounds = (int)store_col_int64(st, 0);
		tl->first_us = store_col_int64(st, 1);
		tl->last_us = store_col_int64(st, 2);
		r = STORE_OK;
	}
	store_stmt_free(st);
	if (r != STORE_OK)
		return r;

	st = store_prepare(h->s, "SELECT status, count(*) FROM state WHERE "
	    "target = ?1 AND check_name = 'blocklist' GROUP BY status");
	if (st == NULL)
		return STORE_ERROR;
	store_bind_text(st, 1, target);
	while ((r = store_step(st)) == STORE_ROW) {
		const char *s = store_col_text(st, 0);
		int n = (int)store_col_int64(st, 1);

		if (s != NULL && strcmp(s, "listed") == 0)
			tl->listed_now += n;
		if (s != NULL && strcmp(s, "clean") == 0)
			tl->checked_now += n;
		else if (s != NULL && strcmp(s, "listed") != 0)
			tl->unchecked_now += n;
	}
	store_stmt_free(st);
	if (r != STORE_DONE)
		return r;
	tl->checked_now += tl->listed_now;

	st = store_prepare(h->s, "SELECT at_us, event, check_name, subject, "
	    "query, previous, status, codes, detail, severity FROM events "
	    "WHERE target = ?1 ORDER BY at_us, id LIMIT 100000");
	if (st == NULL)
		return STORE_ERROR;
	store_bind_text(st, 1, target);
	while ((r = store_step(st)) == STORE_ROW) {
		struct mon_tl_event *e;

		tl->events = xrealloc(tl->events, (size_t)(tl->nevents + 1) *
		    sizeof(*tl->events));
		e = &tl->events[tl->nevents++];
		e->at_us = store_col_int64(st, 0);
		e->kind = col_dup(st, 1);
		e->check = col_dup(st, 2);
		e->subject = col_dup(st, 3);
		e->query = col_dup(st, 4);
		e->previous = col_dup(st, 5);
		e->status = col_dup(st, 6);
		e->codes = col_dup(st, 7);
		e->detail = col_dup(st, 8);
		e->severity = col_dup(st, 9);
	}
	store_stmt_free(st);
	if (r != STORE_DONE)
		return r;

	st = store_prepare(h->s, "SELECT check_name, subject, query, status, "
	    "severity, cause, codes, detail, since_us, last_us FROM state "
	    "WHERE target = ?1 AND check_name IN ('auth', 'diagnose') ORDER "
	    "BY check_name, subject <> 'verdict', rowid LIMIT 10000");
	if (st == NULL)
		return STORE_ERROR;
	store_bind_text(st, 1, target);
	while ((r = store_step(st)) == STORE_ROW) {
		struct mon_tl_check *c;

		tl->checks = xrealloc(tl->checks, (size_t)(tl->nchecks + 1) *
		    sizeof(*tl->checks));
		c = &tl->checks[tl->nchecks++];
		c->check = col_dup(st, 0);
		c->subject = col_dup(st, 1);
		c->query = col_dup(st, 2);
		c->status = col_dup(st, 3);
		c->severity = col_dup(st, 4);
		c->cause = col_dup(st, 5);
		c->codes = col_dup(st, 6);
		c->detail = col_dup(st, 7);
		c->since_us = store_col_int64(st, 8);
		c->last_us = store_col_int64(st, 9);
	}
	store_stmt_free(st);
	if (r != STORE_DONE)
		return r;

	/* A "listed" event opens a period, "delisted" closes it; a zone that
	 * went unchecked in between leaves it open (nothing was learnt). */
	for (i = 0; i < tl->nevents; i++) {
		const struct mon_tl_event *e = &tl->events[i];
		struct mon_period *p;

		if (strcmp(e->kind, "listed") == 0) {
			tl->periods = xrealloc(tl->periods,
			    (size_t)(tl->nperiods + 1) * sizeof(*tl->periods));
			p = &tl->periods[tl->nperiods++];
			memset(p, 0, sizeof(*p));
			p->check = xstrdup(e->check);
			p->subject = xstrdup(e->subject);
			p->query = xstrdup(e->query);
			p->begin_us = e->at_us;
			p->codes = e->codes ? xstrdup(e->codes) : NULL;
			p->detail = e->detail ? xstrdup(e->detail) : NULL;
		} else if (strcmp(e->kind, "delisted") == 0) {
			for (k = tl->nperiods - 1; k >= 0; k--)
				if (tl->periods[k].end_us == 0 &&
				    same_key(&tl->periods[k], e)) {
					tl->periods[k].end_us = e->at_us;
					break;
				}
		}
	}
	return STORE_OK;
}

void
mon_timeline_release(struct mon_timeline *tl)
{
	int i;

	for (i = 0; i < tl->nperiods; i++) {
		free(tl->periods[i].check);
		free(tl->periods[i].subject);
		free(tl->periods[i].query);
		free(tl->periods[i].codes);
		free(tl->periods[i].detail);
	}
	for (i = 0; i < tl->nevents; i++) {
		struct mon_tl_event *e = &tl->events[i];

		free(e->kind);
		free(e->check);
		free(e->subject);
		free(e->query);
		free(e->previous);
		free(e->status);
		free(e->codes);
		free(e->detail);
		free(e->severity);
	}
	for (i = 0; i < tl->nchecks; i++) {
		struct mon_tl_check *c = &tl->checks[i];

		free(c->check);
		free(c->subject);
		free(c->query);
		free(c->status);
		free(c->severity);
		free(c->cause);
		free(c->codes);
		free(c->detail);
	}
	free(tl->checks);
	free(tl->periods);
	free(tl->events);
	free(tl->target);
	memset(tl, 0, sizeof(*tl));
}
