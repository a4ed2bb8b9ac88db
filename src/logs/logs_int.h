/*
 * logs_int.h - what is private to logs/.
 *
 * The hash table: open addressing with linear probing and backward-shift
 * deletion, keys owned by the values. Every lookup of the hot path (queue
 * id, domain, reply text) is one hash and, nearly always, one compare.
 *
 * Parts: a mapped file read by parser threads (logs_jobs.c) is cut into
 * parts at line ends; a thread parses a part into events (logs_part_parse,
 * pure), and the thread that aggregates folds the parts in file order
 * (logs_part_fold), so that the result is the one a single thread gets.
 */
#ifndef MXDOC_LOGS_LOGS_INT_H
#define MXDOC_LOGS_LOGS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logs/logline.h"
#include "logs/logtime.h"

struct hent {
	uint64_t	 h;	/* 0: empty */
	const char	*k;
	size_t		 kn;
	void		*v;
};

struct htab {
	struct hent	*e;
	size_t		 cap;	/* a power of two, or 0 */
	size_t		 n;
};

uint64_t	 ht_hash(const char *p, size_t n);
struct hent	*ht_find(const struct htab *t, const char *k, size_t n,
		    uint64_t h);
/* k must stay valid while the entry exists (point it into v). */
void		 ht_insert(struct htab *t, const char *k, size_t n, uint64_t h,
		    void *v);
void		 ht_remove(struct htab *t, struct hent *e);
void		 ht_release(struct htab *t);
/* bytes of zeroes, on huge pages when that many make one (free() them). */
void		*ht_alloc_huge(size_t bytes);

struct logs;


struct logs_part {
	const char	*p;		/* its lines, in the mapped file */
	size_t		 n;
	bool		 file_start;	/* p is the start of the file */
	int		 year, last_mon; /* the year state it was parsed from */
	struct logtime	 t;		/* ... and the one it ended with */
	uint64_t	 lines;		/* parsed (all of them, unless stop) */
	uint64_t	 other;		/* lines of no interest */
	uint64_t	 dialect[LOG_D_NUM];
	/* What is left to fold: the events packed (logs.c: the fields that
	 * are not those of a cleared event, about half a struct log_event
	 * on a Postfix log, for they cross from one core's cache to
	 * another's), and where each starts. */
	unsigned char	*pk;
	size_t		 pklen, pkcap;
	size_t		*at;
	size_t		 nev, capev;
	const char	*stop;		/* a line from which the file is read
					 * as Exchange: read by the folder */
};

/* Parses the lines of c (p and n set) from the clock t0 with the year
 * state (c->year, c->last_mon) guessed; no allocation but c->pk's and
 * c->at's. */
void	logs_part_parse(struct logs_part *c, const struct logtime *t0);
/* Folds c into l: its events in order, or, when the year state guessed
 * did not hold, its lines again as logs_feed_line() does; then the lines
 * from c->stop, if any, to end. */
void	logs_part_fold(struct logs *l, const struct logs_part *c,
	    const char *end);
/* The clock of l (the year state of the lines folded so far). */
const struct logtime *logs_clock(const struct logs *l);
/* Feeds the lines of [p, end) one by one; what was read leaves the
 * resident set as it goes (the pages before p are done with). */
void	logs_feed_span(struct logs *l, const char *p, const char *end);

/* logs_jobs.c: reads the mapped file [base, base + size) with jobs
 * parser threads, in parts of about chunk bytes. -1 (nothing read) when
 * a thread cannot be started: the caller reads it alone. */
int	logs_jobs_read(struct logs *l, const char *base, size_t size,
	    int jobs, size_t chunk);

/* logs_map.c: while [base, base + size) is guarded, a SIGBUS in it (the
 * file cut shorter than the mapping) puts zero pages over the rest of the
 * mapping instead of killing the process. -1 when the handler cannot be
 * set (the caller reads the file instead). One mapping at a time. */
int	logs_map_guard(const void *base, size_t size);
/* Ends the guard: whether the mapping was cut short meanwhile (what was
 * past the cut was read as zeroes). */
bool	logs_map_unguard(void);

#endif
