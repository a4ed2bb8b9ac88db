/*
 * fuzz_logs_jobs.c - parser threads give the result one thread gives, for
 * any bytes: the input (after its first byte) is a log file, read with one
 * thread and then with 2 or 3 in parts of 1 to 64 bytes (the first byte
 * picks the part size, the threads, --year and the zone), and the results
 * must agree in every count, destination, cause and unparsed line number.
 * The file is written to a temporary directory: threads read mapped files
 * only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logs/logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

static const struct logs_result *
read_with(struct logs **l, const struct logs_params *p0, const char *path,
    int jobs, size_t part)
{
	struct logs_params p = *p0;
	char *err = NULL;

	p.jobs = jobs;
	p.part = part;
	*l = logs_new(&p);
	if (logs_read_file(*l, path, &err) < 0)
		free(err);
	return logs_finish(*l);
}

static void
same(const struct logs_result *a, const struct logs_result *b)
{
	size_t i, k;

	ENSURE(a->lines == b->lines && a->unparsed == b->unparsed &&
	    a->other == b->other && a->filtered == b->filtered &&
	    a->messages == b->messages && a->first_us == b->first_us &&
	    a->last_us == b->last_us);
	ENSURE(memcmp(a->st, b->st, sizeof(a->st)) == 0);
	ENSURE(memcmp(a->dialect, b->dialect, sizeof(a->dialect)) == 0);
	ENSURE(a->ndests == b->ndests && a->ncauses == b->ncauses &&
	    a->nunparsed_lines == b->nunparsed_lines);
	for (i = 0; i < a->ndests; i++) {
		const struct logs_dest *x = a->dests[i], *y = b->dests[i];

		ENSURE(strcmp(x->domain, y->domain) == 0 &&
		    x->messages == y->messages && x->ncauses == y->ncauses &&
		    x->nrelays == y->nrelays && x->nsamples == y->nsamples &&
		    x->first_us == y->first_us && x->last_us == y->last_us);
		ENSURE(memcmp(x->st, y->st, sizeof(x->st)) == 0);
		for (k = 0; k < x->ncauses; k++)
			ENSURE(x->causes[k].cause == y->causes[k].cause &&
			    x->causes[k].n == y->causes[k].n);
	}
	for (i = 0; i < a->ncauses; i++) {
		const struct logs_cause_stat *x = a->causes[i], *y = b->causes[i];

		ENSURE(x->cause == y->cause && x->events == y->events &&
		    x->nreplies == y->nreplies);
		for (k = 0; k < x->nreplies; k++)
			ENSURE(x->replies[k].count == y->replies[k].count &&
			    strcmp(x->replies[k].key, y->replies[k].key) == 0);
	}
	for (i = 0; i < a->nunparsed_lines; i++)
		ENSURE(a->unparsed_lines[i].line == b->unparsed_lines[i].line &&
		    strcmp(a->unparsed_lines[i].reason,
		    b->unparsed_lines[i].reason) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_logs_jobs_XXXXXX";
	struct logs_params p;
	struct logs *l1, *l2;
	unsigned c;
	int fd;

	if (size < 2)
		return 0;
	c = data[0];
	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	memset(&p, 0, sizeof(p));
	p.zone = c & 0x80 ? LOGTIME_LOCAL : LOGTIME_FIXED;
	p.year = c & 0x40 ? 2026 : 0;
	same(read_with(&l1, &p, path, 1, 0), read_with(&l2, &p, path,
	    2 + (int)(c & 1), 1 + (c >> 1 & 0x1f) * 2));
	logs_free(l1);
	logs_free(l2);
	unlink(path);
	return 0;
}
