/*
 * store.c - SQLite behind store.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/mem.h"
#include "core/store.h"

struct store {
	sqlite3	*db;
};

struct store_stmt {
	struct store	*s;
	sqlite3_stmt	*st;
};

static enum store_status
map(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return STORE_OK;
	case SQLITE_ROW:
		return STORE_ROW;
	case SQLITE_DONE:
		return STORE_DONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_BUSY;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return STORE_FULL;
	default:
		return STORE_ERROR;
	}
}

struct store *
store_open(const char *path, bool create, int busy_timeout_ms, char *err,
    size_t errlen)
{
	struct store *s;
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	int rc;

	rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", db != NULL ? sqlite3_errmsg(db) :
		    sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, busy_timeout_ms > 0 ? busy_timeout_ms : 5000);
	sqlite3_extended_result_codes(db, 0);
	s = xcalloc(1, sizeof(*s));
	s->db = db;
	/* WAL lets `--history` read while a round writes; synchronous=FULL
	 * makes a committed round survive a power cut, which is what
	 * "written" promises before an alert goes out. */
	if (store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	    "PRAGMA foreign_keys=ON;") != STORE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return store_close(s);
	}
	return s;
}

struct store *
store_close(struct store *s)
{
	if (s == NULL)
		return NULL;
	sqlite3_close(s->db);
	free(s);
	return NULL;
}

const char *
store_errmsg(const struct store *s)
{
	return sqlite3_errmsg(s->db);
}

const char *
store_status_name(enum store_status st)
{
	static const char *const names[] = { "ok", "row", "done", "busy",
	    "full", "error" };

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] :
	    "?";
}

enum store_status
store_exec(struct store *s, const char *sql)
{
	return map(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

enum store_status
store_begin(struct store *s)
{
	return store_exec(s, "BEGIN IMMEDIATE");
}

enum store_status
store_commit(struct store *s)
{
	return store_exec(s, "COMMIT");
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

struct store_stmt *
store_prepare(struct store *s, const char *sql)
{
	struct store_stmt *st;
	sqlite3_stmt *p = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &p, NULL) != SQLITE_OK)
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->s = s;
	st->st = p;
	return st;
}

struct store_stmt *
store_stmt_free(struct store_stmt *st)
{
	if (st == NULL)
		return NULL;
	sqlite3_finalize(st->st);
	free(st);
	return NULL;
}

void
store_bind_text(struct store_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st->st, i);
	else
		sqlite3_bind_text(st->st, i, v, -1, SQLITE_TRANSIENT);
}

void
store_bind_int64(struct store_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st->st, i, (sqlite3_int64)v);
}

void
store_bind_double(struct store_stmt *st, int i, double v)
{
	sqlite3_bind_double(st->st, i, v);
}

enum store_status
store_step(struct store_stmt *st)
{
	return map(sqlite3_step(st->st));
}

void
store_reset(struct store_stmt *st)
{
	sqlite3_reset(st->st);
	sqlite3_clear_bindings(st->st);
}

const char *
store_col_text(struct store_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st->st, i);
}

int64_t
store_col_int64(struct store_stmt *st, int i)
{
	return (int64_t)sqlite3_column_int64(st->st, i);
}

double
store_col_double(struct store_stmt *st, int i)
{
	return sqlite3_column_double(st->st, i);
}

int64_t
store_last_rowid(struct store *s)
{
	return (int64_t)sqlite3_last_insert_rowid(s->db);
}
