/*
 * test_store.c - the SQLite seam: what a full database and a lock held by
 * another connection look like to its callers (STORE_FULL, STORE_BUSY,
 * with SQLite's words in store_errmsg), and that a refused transaction
 * leaves nothing half written and can be retried once the cause is gone.
 * A full disk is made with PRAGMA max_page_count, which fails a write with
 * SQLITE_FULL exactly as ENOSPC does (tests/monitor/run.sh does the real
 * one on a tmpfs); the lock is a second connection's BEGIN IMMEDIATE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/store.h"
#include "harness.h"

static char dir[64];
static char path[128];

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
count_rows(struct store *s)
{
	struct store_stmt *st = store_prepare(s, "SELECT count(*) FROM t");
	int64_t n = -1;

	if (st == NULL)
		return -1;
	if (store_step(st) == STORE_ROW)
		n = store_col_int64(st, 0);
	store_stmt_free(st);
	return n;
}

/* Inserts n rows of 1 KB in one transaction; the first failing status,
 * or STORE_OK once committed. A failure rolls the whole batch back. */
static enum store_status
insert_batch(struct store *s, int n)
{
	struct store_stmt *st;
	enum store_status r;
	char blob[1024];
	int i;

	memset(blob, 'x', sizeof(blob) - 1);
	blob[sizeof(blob) - 1] = '\0';
	if ((r = store_begin(s)) != STORE_OK)
		return r;
	if ((st = store_prepare(s, "INSERT INTO t (v) VALUES (?1)")) == NULL) {
		store_rollback(s);
		return STORE_ERROR;
	}
	for (i = 0; i < n; i++) {
		store_bind_text(st, 1, blob);
		r = store_step(st);
		store_reset(st);
		if (r != STORE_DONE)
			goto fail;
	}
	store_stmt_free(st);
	st = NULL;
	if ((r = store_commit(s)) != STORE_OK)
		goto fail;
	return STORE_OK;
fail:
	store_stmt_free(st);
	store_rollback(s);
	return r;
}

static void
test_full(void)
{
	char err[256] = "";
	struct store *s = store_open(path, true, 100, err, sizeof(err));
	enum store_status r;
	int64_t before;

	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "  store_open: %s\n", err);
		return;
	}
	CHECK_INT(store_exec(s, "CREATE TABLE t (v TEXT)"), STORE_OK);
	CHECK_INT(insert_batch(s, 10), STORE_OK);
	before = count_rows(s);
	CHECK_INT(before, 10);
	/* The database may not grow past its pages now: a full disk. */
	CHECK_INT(store_exec(s, "PRAGMA max_page_count = 40"), STORE_OK);
	r = insert_batch(s, 200);
	CHECK_INT(r, STORE_FULL);
	CHECK(strstr(store_errmsg(s), "full") != NULL);
	CHECK_STR(store_status_name(r), "full");
	/* Nothing of the refused batch is there, the old rows are. */
	CHECK_INT(count_rows(s), before);
	/* Room again: the same batch goes in whole. */
	CHECK_INT(store_exec(s, "PRAGMA max_page_count = 1000000"), STORE_OK);
	CHECK_INT(insert_batch(s, 200), STORE_OK);
	CHECK_INT(count_rows(s), before + 200);
	/* A rollback with no transaction open is harmless. */
	store_rollback(s);
	store_close(s);
}

static void
test_busy(void)
{
	char err[256] = "";
	struct store *a = store_open(path, false, 100, err, sizeof(err));
	struct store *b = store_open(path, false, 150, err, sizeof(err));
	int64_t t0, waited, before;
	enum store_status r;

	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL) {
		fprintf(stderr, "  store_open: %s\n", err);
		store_close(a);
		store_close(b);
		return;
	}
	before = count_rows(b);
	/* a holds the write lock; b waits out its busy timeout, then is
	 * told BUSY, with SQLite's reason. */
	CHECK_INT(store_begin(a), STORE_OK);
	t0 = mono_ms();
	r = insert_batch(b, 1);
	waited = mono_ms() - t0;
	CHECK_INT(r, STORE_BUSY);
	CHECK_STR(store_status_name(r), "busy");
	CHECK(strstr(store_errmsg(b), "locked") != NULL);
	CHECK(waited >= 100);		/* the timeout was waited out... */
	CHECK(waited < 5000);		/* ...and no longer */
	/* WAL: a reader is never blocked by the writer. */
	CHECK_INT(count_rows(b), before);
	store_rollback(a);
	/* The lock is gone: b's retry goes in. */
	CHECK_INT(insert_batch(b, 1), STORE_OK);
	CHECK_INT(count_rows(a), before + 1);
	store_close(a);
	store_close(b);
}

static void
test_open_errors(void)
{
	char err[256] = "", missing[160];

	snprintf(missing, sizeof(missing), "%s/none/x.db", dir);
	CHECK(store_open(missing, true, 0, err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');
	err[0] = '\0';
	snprintf(missing, sizeof(missing), "%s/absent.db", dir);
	CHECK(store_open(missing, false, 0, err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');
}

void
run_tests(void)
{
	char wal[160], shm[160];

	snprintf(dir, sizeof(dir), "/tmp/mxdoc-store.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		t_fail++;
		fprintf(stderr, "mkdtemp failed\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	test_full();
	test_busy();
	test_open_errors();
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	unlink(wal);
	unlink(shm);
	unlink(path);
	rmdir(dir);
}
