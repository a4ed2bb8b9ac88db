/*
 * htab.c - the hash table of logs_int.h. FNV-style over 64-bit words with
 * a final mix: queue ids and domains are short, reply texts are not, and
 * it needs no seed; the
 * table is never exposed to keys chosen to collide beyond what one log can
 * hold, and probing stays linear in the worst case, never worse.
 */
#include "logs/logs_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/mem.h"

/* A table of millions of slots is read at random, a slot a line: on huge
 * pages its slots do not each cost a TLB miss as well as a cache miss. */
#define HT_HUGE		(2u << 20)

void *
ht_alloc_huge(size_t bytes)
{
	void *p;

	if (bytes < HT_HUGE || posix_memalign(&p, HT_HUGE, bytes) != 0)
		return xcalloc(1, bytes);
#ifdef MADV_HUGEPAGE
	(void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
	memset(p, 0, bytes);
	return p;
}

uint64_t
ht_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ n, w;
	size_t i = 0;

	/* Eight bytes a step: reply texts are keys too, some 400 bytes long,
	 * and one is hashed for every failure line. */
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 32;
	}
	for (; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 32;
	return h != 0 ? h : 1;
}

struct hent *
ht_find(const struct htab *t, const char *k, size_t n, uint64_t h)
{
	size_t i, mask;

	if (t->cap == 0)
		return NULL;
	mask = t->cap - 1;
	for (i = h & mask; t->e[i].h != 0; i = (i + 1) & mask)
		if (t->e[i].h == h && t->e[i].kn == n &&
		    (n == 0 || memcmp(t->e[i].k, k, n) == 0))
			return &t->e[i];
	return NULL;
}

static void
put(struct hent *e, size_t cap, const struct hent *x)
{
	size_t i, mask = cap - 1;

	for (i = x->h & mask; e[i].h != 0; i = (i + 1) & mask)
		;
	e[i] = *x;
}

void
ht_insert(struct htab *t, const char *k, size_t n, uint64_t h, void *v)
{
	struct hent x = { h, k, n, v };

	if ((t->n + 1) * 4 >= t->cap * 3) {
		size_t ncap = t->cap ? t->cap * 2 : 64, i;
		struct hent *ne = ht_alloc_huge(ncap * sizeof(*ne));

		for (i = 0; i < t->cap; i++)
			if (t->e[i].h != 0)
				put(ne, ncap, &t->e[i]);
		free(t->e);
		t->e = ne;
		t->cap = ncap;
	}
	put(t->e, t->cap, &x);
	t->n++;
}

void
ht_remove(struct htab *t, struct hent *e)
{
	size_t mask = t->cap - 1, i = (size_t)(e - t->e), j = i, home;

	t->e[i].h = 0;
	t->n--;
	/* Backward shift: move later members of the cluster into the hole
	 * when their home slot does not lie between the hole and them. */
	for (;;) {
		j = (j + 1) & mask;
		if (t->e[j].h == 0)
			return;
		home = t->e[j].h & mask;
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			t->e[i] = t->e[j];
			t->e[j].h = 0;
			i = j;
		}
	}
}

void
ht_release(struct htab *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}
