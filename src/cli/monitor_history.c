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
 * A round is written in one transaction and committed before any alert
 * goes out: an alert never tells of a row that a crash could lose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define HISTORY_BUSY_MS	250

struct mon_history *
mon_history_open(const char *path, bool create, char *err, size_t errlen)
{
	struct mon_history *h;
	struct store_stmt *st;
	struct store *s;
	bool have = false;

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
	if ((!have && store_exec(s, schema) != STORE_OK) ||
	    (h->ins_round = store_prepare(s, "INSERT INTO rounds (at_us, "
	    "duration_ms, observations, errors) VALUES (?1, ?2, ?3, ?4)")) ==
	    NULL ||
	    (h->ins_result = store_prepare(s, "INSERT INTO results (round, "
	    "target, check_name, subject, query, status, codes, detail) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")) == NULL ||
	    (h->get_state = store_prepare(s, "SELECT status, verdict, since_us "
	    "FROM state WHERE target = ?1 AND check_name = ?2 AND subject = ?3 "
	    "AND query = ?4")) == NULL ||
	    (h->put_state = store_prepare(s, "INSERT OR REPLACE INTO state "
	    "(target, check_name, subject, query, status, verdict, since_us, "
	    "last_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")) == NULL ||
	    (h->ins_event = store_prepare(s, "INSERT INTO events (at_us, "
	    "target, check_name, subject, query, event, previous, status, "
	    "codes, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"))
	    == NULL) {
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
	char *prev = NULL, *verdict = NULL;
	const char *kind, *newverdict;
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
		st = STORE_OK;
	} else if (st == STORE_DONE)
		st = STORE_OK;
	store_reset(h->get_state);
	if (st != STORE_OK)
		goto out;

	if (prev != NULL && strcmp(prev, o->status) == 0)
		since = prev_since;
	newverdict = is_verdict(o->status) ? o->status : verdict;
	store_bind_text(h->put_state, 1, o->target);
	store_bind_text(h->put_state, 2, o->check);
	store_bind_text(h->put_state, 3, o->subject);
	store_bind_text(h->put_state, 4, o->query);
	store_bind_text(h->put_state, 5, o->status);
	store_bind_text(h->put_state, 6, newverdict);
	store_bind_int64(h->put_state, 7, since);
	store_bind_int64(h->put_state, 8, r->at_us);
	if ((st = step_done(h->put_state)) != STORE_OK)
		goto out;

	if ((kind = change(prev, verdict, o->status)) != NULL) {
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
		if ((st = step_done(h->ins_event)) != STORE_OK)
			goto out;
		*ev = xrealloc(*ev, (size_t)(*nev + 1) * sizeof(**ev));
		e = &(*ev)[(*nev)++];
		e->kind = kind;
		e->obs = i;
		e->previous = prev;
		e->prev_since_us = prev_since;
		prev = NULL;
	}
out:
	free(prev);
	free(verdict);
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

	for (i = 0; i < nev; i++)
		free(ev[i].previous);
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
	}
	free(r->obs);
	free(r);
}

/* ---- the timeline ---------------------------------------------------- */

static char *
col_dup(struct store_stmt *st, int i)
{
	const char *s = store_col_text(st, i);

	return s != NULL ? xstrdup(s) : NULL;
}

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
	    "target = ?1 GROUP BY status");
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
	    "query, previous, status, codes, detail FROM events WHERE "
	    "target = ?1 ORDER BY at_us, id LIMIT 100000");
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
	}
	free(tl->periods);
	free(tl->events);
	free(tl->target);
	memset(tl, 0, sizeof(*tl));
}
