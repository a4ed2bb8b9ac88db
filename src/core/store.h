/*
 * store.h - the thin seam over SQLite where mxdoc keeps long-lived state
 * (the monitor's history, the send queue).
 *
 * A store is one database file opened in WAL mode with a busy timeout, so
 * a reader (`mxdoc monitor --history`) never blocks the writer and a short
 * lock is waited out rather than failed. Statements are prepared once and
 * reused; transactions are explicit. Nothing here exits or only logs:
 * every failure returns a status, and store_errmsg() says what SQLite said
 * ("database is locked", "database or disk is full"). A status of
 * STORE_BUSY or STORE_FULL is what the world does and is worth retrying
 * later; STORE_ERROR is a bad statement or a broken file. The caller owns
 * the store and the statements, and frees every statement before the
 * store.
 */
#ifndef MXDOC_CORE_STORE_H
#define MXDOC_CORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum store_status {
	STORE_OK = 0,
	STORE_ROW,		/* store_step: a row is ready */
	STORE_DONE,		/* store_step: no more rows */
	STORE_BUSY,		/* locked by another writer past the timeout */
	STORE_FULL,		/* disk full, or an I/O error writing */
	STORE_ERROR,		/* anything else */
};

struct store;
struct store_stmt;

/* Opens (creating when create is true) the database at path, WAL mode,
 * busy_timeout_ms (0: 5000). NULL with a reason in err on failure. */
struct store	*store_open(const char *path, bool create, int busy_timeout_ms,
		    char *err, size_t errlen);
struct store	*store_close(struct store *s);
/* The last error of s, as SQLite words it. */
const char	*store_errmsg(const struct store *s);
const char	*store_status_name(enum store_status st);	/* "busy" */

/* Runs one or more statements with no results (schema, pragmas). */
enum store_status store_exec(struct store *s, const char *sql);
enum store_status store_begin(struct store *s);	/* BEGIN IMMEDIATE */
enum store_status store_commit(struct store *s);
/* Rolls back if a transaction is open; never fails in a way to act on. */
void		 store_rollback(struct store *s);

/* A prepared statement, or NULL (store_errmsg says why). */
struct store_stmt *store_prepare(struct store *s, const char *sql);
struct store_stmt *store_stmt_free(struct store_stmt *st);
/* Parameters count from 1, as in SQL ("?1"). A NULL text binds NULL. */
void		 store_bind_text(struct store_stmt *st, int i, const char *v);
void		 store_bind_int64(struct store_stmt *st, int i, int64_t v);
void		 store_bind_double(struct store_stmt *st, int i, double v);
/* STORE_ROW, STORE_DONE, or an error status. */
enum store_status store_step(struct store_stmt *st);
/* Clears the bindings and rewinds, for the next use. */
void		 store_reset(struct store_stmt *st);
/* Columns count from 0; valid until the next step or reset. A NULL
 * column reads as NULL text and 0. */
const char	*store_col_text(struct store_stmt *st, int i);
int64_t		 store_col_int64(struct store_stmt *st, int i);
double		 store_col_double(struct store_stmt *st, int i);
int64_t		 store_last_rowid(struct store *s);

#endif
