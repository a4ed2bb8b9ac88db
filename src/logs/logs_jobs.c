/*
 * logs_jobs.c - a mapped log read by parser threads (logs_int.h).
 *
 * Parsing a line costs three to four times what folding its event does,
 * and lines parse independently but for two states: the year of syslog
 * stamps (New Year) and the Exchange columns. So the file is cut into
 * parts at line ends; the parser threads take them in order and parse
 * each into events, and this thread folds the parts in file order, as
 * one thread would have fed the lines. The year state a part starts from
 * is guessed (the state after the last part folded) and checked when it
 * is folded: a wrong guess, which takes a New Year within the parts in
 * flight, has the part read again here. A line that would start
 * Exchange's columns ends the threads' work: the rest of the file is
 * read here, line by line.
 *
 * Memory: a ring of twice as many parts as threads; a part's slot is
 * taken again only once it is folded, so no more than the ring's parts
 * of the file are resident, and what is folded is dropped from the
 * resident set (its events point into the mapping until then).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/mem.h"
#include "logs/logs.h"
#include "logs/logs_int.h"

/* Folded bytes dropped from the resident set at a time. */
#define JOBS_DROP	(4 << 20)

enum part_state { PART_FREE, PART_BUSY, PART_DONE };

struct jobs {
	pthread_mutex_t	 mu;
	pthread_cond_t	 done;		/* a part was parsed */
	pthread_cond_t	 freed;		/* a part was folded */
	const char	*base, *next, *end;
	size_t		 chunk;
	struct logs_part *parts;
	enum part_state	*state;
	size_t		 nparts;
	uint64_t	 taken;		/* parts handed out */
	int		 year, last_mon; /* after the last part folded */
	struct logtime	 t0;
	size_t		 pg;		/* the page size */
	bool		 stop;
};

static void *
worker(void *arg)
{
	struct jobs *j = arg;
	struct logs_part *c;
	const char *e, *nl;
	size_t k;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		k = (size_t)(j->taken % j->nparts);
		while (!j->stop && j->next < j->end &&
		    j->state[k] != PART_FREE) {
			pthread_cond_wait(&j->freed, &j->mu);
			k = (size_t)(j->taken % j->nparts);
		}
		if (j->stop || j->next >= j->end)
			break;
		c = &j->parts[k];
		j->taken++;
		j->state[k] = PART_BUSY;
		c->p = j->next;
		c->file_start = j->next == j->base;
		e = (size_t)(j->end - j->next) > j->chunk ? j->next + j->chunk :
		    j->end;
		if (e < j->end) {
			/* the part ends with the line it ends in */
			nl = memchr(e - 1, '\n', (size_t)(j->end - e + 1));
			e = nl != NULL ? nl + 1 : j->end;
		}
		c->n = (size_t)(e - j->next);
		j->next = e;
		c->year = j->year;
		c->last_mon = j->last_mon;
		pthread_mutex_unlock(&j->mu);

#ifdef MADV_POPULATE_READ
		{
			/* the part's pages mapped in one call, not a fault
			 * each few pages (an error is no matter: they
			 * fault in then) */
			uintptr_t a = (uintptr_t)c->p & ~(uintptr_t)(j->pg - 1);

			(void)madvise((void *)a, (size_t)((uintptr_t)c->p +
			    c->n - a), MADV_POPULATE_READ);
		}
#endif
		logs_part_parse(c, &j->t0);

		pthread_mutex_lock(&j->mu);
		j->state[k] = PART_DONE;
		pthread_cond_broadcast(&j->done);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

int
logs_jobs_read(struct logs *l, const char *base, size_t size, int jobs,
    size_t chunk)
{
	struct jobs j;
	pthread_t th[LOGS_JOBS_MAX];
	const char *dropped = base;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t seq;
	size_t i, k;
	int nth = 0, rc = -1;

	if (jobs > LOGS_JOBS_MAX)
		jobs = LOGS_JOBS_MAX;
	memset(&j, 0, sizeof(j));
	j.base = j.next = base;
	j.end = base + size;
	j.chunk = chunk > 0 ? chunk : 1;
	j.nparts = (size_t)jobs * 2;
	j.parts = xcalloc(j.nparts, sizeof(*j.parts));
	j.state = xcalloc(j.nparts, sizeof(*j.state));
	j.t0 = *logs_clock(l);
	j.pg = pg > 0 ? (size_t)pg : 4096;
	j.year = j.t0.year;
	j.last_mon = j.t0.last_mon;
	if (pthread_mutex_init(&j.mu, NULL) != 0)
		goto out_free;
	if (pthread_cond_init(&j.done, NULL) != 0)
		goto out_mu;
	if (pthread_cond_init(&j.freed, NULL) != 0)
		goto out_done;
	for (nth = 0; nth < jobs; nth++)
		if (pthread_create(&th[nth], NULL, worker, &j) != 0)
			break;
	if (nth == 0)
		goto out_cond;
	rc = 0;

	for (seq = 0;; seq++) {
		struct logs_part *c;

		k = (size_t)(seq % j.nparts);
		pthread_mutex_lock(&j.mu);
		while (j.state[k] != PART_DONE && !(seq == j.taken &&
		    j.next >= j.end))
			pthread_cond_wait(&j.done, &j.mu);
		if (j.state[k] != PART_DONE) {
			pthread_mutex_unlock(&j.mu);
			break;			/* all folded */
		}
		pthread_mutex_unlock(&j.mu);

		c = &j.parts[k];
		logs_part_fold(l, c, j.end);
		if (c->stop != NULL) {
			/* the rest was read by logs_part_fold() */
			pthread_mutex_lock(&j.mu);
			j.stop = true;
			pthread_cond_broadcast(&j.freed);
			pthread_mutex_unlock(&j.mu);
			break;
		}
		if (pg > 0 && c->p + c->n - dropped >= JOBS_DROP) {
			size_t n = (size_t)(c->p + c->n - dropped) /
			    (size_t)pg * (size_t)pg;

			(void)madvise((void *)(uintptr_t)dropped, n,
			    MADV_DONTNEED);
			dropped += n;
		}

		pthread_mutex_lock(&j.mu);
		j.state[k] = PART_FREE;
		j.year = logs_clock(l)->year;
		j.last_mon = logs_clock(l)->last_mon;
		pthread_cond_broadcast(&j.freed);
		pthread_mutex_unlock(&j.mu);
	}

	for (i = 0; i < (size_t)nth; i++)
		pthread_join(th[i], NULL);
out_cond:
	pthread_cond_destroy(&j.freed);
out_done:
	pthread_cond_destroy(&j.done);
out_mu:
	pthread_mutex_destroy(&j.mu);
out_free:
	for (i = 0; i < j.nparts; i++) {
		free(j.parts[i].pk);
		free(j.parts[i].at);
	}
	free(j.parts);
	free(j.state);
	return rc;
}
