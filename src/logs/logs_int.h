/*
 * logs_int.h - the hash table private to logs/: open addressing with
 * linear probing and backward-shift deletion, keys owned by the values.
 * Every lookup of the hot path (queue id, domain, reply text) is one hash
 * and, nearly always, one compare.
 */
#ifndef MXDOC_LOGS_LOGS_INT_H
#define MXDOC_LOGS_LOGS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
