/*
 * dns_cache.c - positive answers kept by name and type (dns_cache.h).
 *
 * A chained hash table sized once (a power of two at least max_entries,
 * so chains stay short) and a list in insertion order that says which
 * entry goes first when the cache is full. An entry is the answer it
 * holds, as its first member, so that a held answer leads back to its
 * entry. Entries are counted holds: the table holds each one it links,
 * every get and put hands one more to the caller, and the entry is freed
 * when the last one is dropped. Expired entries stay until they are asked
 * for, replaced or pushed out: nothing walks the table on a timer.
 */
#include "dns/dns_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/mtime.h"

/* Names longer than this (presentation form with escapes, RFC 1035's 255
 * octets can take four bytes each) are never kept. */
#define KEY_MAX		(DNS_NAME_MAX * 4)

struct entry {
	struct dns_answer	 ans;		/* first: see above */
	struct entry		*hnext;		/* hash chain */
	struct entry		*older, *newer;	/* insertion order */
	char			*name;		/* the key, case folded */
	uint32_t		 hash;
	uint16_t		 type;
	int			 holds;
	int64_t			 expires_us;
	void			*aux;
	void			(*aux_free)(void *);
};

struct dns_cache {
	struct entry		**bucket;
	size_t			 nbucket;	/* a power of two */
	size_t			 n, max;
	uint32_t		 max_ttl;
	struct entry		*oldest, *newest;
	struct dns_cache_stats	 st;
};

static inline unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* FNV-1a over the folded name and the type. Returns -1 when the name is
 * too long to be a key. */
static int
key_hash(const char *name, uint16_t type, uint32_t *h, size_t *len)
{
	uint32_t v = 2166136261u;
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= KEY_MAX)
			return -1;
		v = (v ^ fold((unsigned char)name[i])) * 16777619u;
	}
	v = (v ^ (type & 0xff)) * 16777619u;
	v = (v ^ (type >> 8)) * 16777619u;
	*h = v;
	*len = i;
	return 0;
}

static bool
key_eq(const struct entry *e, const char *name, size_t len, uint16_t type,
    uint32_t h)
{
	size_t i;

	if (e->hash != h || e->type != type)
		return false;
	for (i = 0; i < len; i++)
		if (e->name[i] != (char)fold((unsigned char)name[i]))
			return false;
	return e->name[len] == '\0';
}

struct dns_cache *
dns_cache_new(size_t max_entries, uint32_t max_ttl)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));

	c->max = max_entries > 0 ? max_entries : DNS_CACHE_ENTRIES;
	c->max_ttl = max_ttl > 0 ? max_ttl : DNS_CACHE_MAX_TTL;
	for (c->nbucket = 16; c->nbucket < c->max; c->nbucket *= 2)
		;
	c->bucket = xcalloc(c->nbucket, sizeof(*c->bucket));
	return c;
}

static void
entry_free(struct entry *e)
{
	if (e->aux != NULL && e->aux_free != NULL)
		e->aux_free(e->aux);
	free(e->ans.why_bogus);
	free(e->ans.rr);
	free(e->ans.canonical);
	dns_msg_release(&e->ans.msg);
	free(e->name);
	free(e);
}

static void
entry_unhold(struct entry *e)
{
	if (--e->holds == 0)
		entry_free(e);
}

/* Takes e out of the table and the order list, and drops the table's
 * hold. */
static void
unlink_entry(struct dns_cache *c, struct entry *e)
{
	struct entry **pp = &c->bucket[e->hash & (c->nbucket - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	e->hnext = e->older = e->newer = NULL;
	c->n--;
	entry_unhold(e);
}

struct dns_cache *
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return NULL;
	while (c->oldest != NULL)
		unlink_entry(c, c->oldest);
	free(c->bucket);
	free(c);
	return NULL;
}

static struct entry *
find(struct dns_cache *c, const char *name, size_t len, uint16_t type,
    uint32_t h)
{
	struct entry *e;

	for (e = c->bucket[h & (c->nbucket - 1)]; e != NULL; e = e->hnext)
		if (key_eq(e, name, len, type, h))
			return e;
	return NULL;
}

const struct dns_answer *
dns_cache_get(struct dns_cache *c, const char *name, uint16_t type)
{
	struct entry *e;
	uint32_t h;
	size_t len;

	if (c == NULL || name == NULL || key_hash(name, type, &h, &len) < 0 ||
	    (e = find(c, name, len, type, h)) == NULL ||
	    e->expires_us <= mtime_mono_us()) {
		if (c != NULL)
			c->st.misses++;
		return NULL;
	}
	c->st.hits++;
	e->holds++;
	return &e->ans;
}

/* The smallest TTL over the answer section: the records of the chain's
 * end and the CNAMEs that lead there. */
static uint32_t
min_ttl(const struct dns_answer *a)
{
	uint32_t t = UINT32_MAX;
	int i;

	for (i = 0; i < a->msg.nanswer; i++)
		if (a->msg.answer[i].ttl < t)
			t = a->msg.answer[i].ttl;
	return t;
}

static void
copy_rr(struct dns_rr *d, const struct dns_rr *s)
{
	*d = *s;
	switch (s->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
	case DNS_T_MX:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_NS:
		break;
	case DNS_T_TXT:
		d->u.txt.data = xmalloc(s->u.txt.len + 1);
		memcpy(d->u.txt.data, s->u.txt.data, s->u.txt.len + 1);
		break;
	case DNS_T_TLSA:
		d->u.tlsa.data = xmalloc(s->u.tlsa.len > 0 ? s->u.tlsa.len : 1);
		if (s->u.tlsa.len > 0)
			memcpy(d->u.tlsa.data, s->u.tlsa.data, s->u.tlsa.len);
		break;
	default:
		d->u.raw.data = xmalloc(s->u.raw.len > 0 ? s->u.raw.len : 1);
		if (s->u.raw.len > 0)
			memcpy(d->u.raw.data, s->u.raw.data, s->u.raw.len);
		break;
	}
}

/* A deep copy: rr[] points into the copy's own msg, at the same
 * positions as the original's did into its msg. */
static void
copy_answer(struct dns_answer *d, const struct dns_answer *s)
{
	int i, k;

	*d = *s;
	d->why_bogus = s->why_bogus != NULL ? xstrdup(s->why_bogus) : NULL;
	d->canonical = s->canonical != NULL ? xstrdup(s->canonical) : NULL;
	d->msg.answer = s->msg.nanswer > 0 ?
	    xcalloc((size_t)s->msg.nanswer, sizeof(*d->msg.answer)) : NULL;
	for (i = 0; i < s->msg.nanswer; i++)
		copy_rr(&d->msg.answer[i], &s->msg.answer[i]);
	d->rr = NULL;
	d->nrr = 0;
	if (s->nrr > 0) {
		d->rr = xcalloc((size_t)s->nrr, sizeof(*d->rr));
		for (i = 0; i < s->nrr; i++) {
			k = (int)(s->rr[i] - s->msg.answer);
			if (k < 0 || k >= s->msg.nanswer)
				abort();	/* rr[] must point into msg */
			d->rr[d->nrr++] = &d->msg.answer[k];
		}
	}
}

const struct dns_answer *
dns_cache_put(struct dns_cache *c, const char *name, uint16_t type,
    const struct dns_answer *a)
{
	struct entry *e, *old;
	uint32_t h, ttl;
	size_t len;

	if (c == NULL || name == NULL || a == NULL || a->status != DNS_OK ||
	    a->nrr <= 0 || a->msg.nanswer <= 0 ||
	    key_hash(name, type, &h, &len) < 0)
		return NULL;
	if ((ttl = min_ttl(a)) == 0)
		return NULL;
	if (ttl > c->max_ttl)
		ttl = c->max_ttl;
	if ((old = find(c, name, len, type, h)) != NULL)
		unlink_entry(c, old);
	while (c->n >= c->max && c->oldest != NULL) {
		unlink_entry(c, c->oldest);
		c->st.evicted++;
	}
	e = xcalloc(1, sizeof(*e));
	copy_answer(&e->ans, a);
	e->name = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		e->name[i] = (char)fold((unsigned char)name[i]);
	e->name[len] = '\0';
	e->hash = h;
	e->type = type;
	e->expires_us = mtime_mono_us() + (int64_t)ttl * 1000000;
	e->holds = 2;		/* the table's and the caller's */
	e->hnext = c->bucket[h & (c->nbucket - 1)];
	c->bucket[h & (c->nbucket - 1)] = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->n++;
	c->st.stored++;
	return &e->ans;
}

void
dns_cache_drop(const struct dns_answer *a)
{
	if (a != NULL)
		entry_unhold((struct entry *)(void *)a);
}

void *
dns_cache_aux(const struct dns_answer *a, void (*free_fn)(void *))
{
	const struct entry *e = (const struct entry *)(const void *)a;

	return e->aux != NULL && e->aux_free == free_fn ? e->aux : NULL;
}

void
dns_cache_set_aux(const struct dns_answer *a, void *aux,
    void (*free_fn)(void *))
{
	struct entry *e = (struct entry *)(void *)a;

	if (e->aux != NULL && e->aux_free != NULL)
		e->aux_free(e->aux);
	e->aux = aux;
	e->aux_free = free_fn;
}

void
dns_cache_stats(const struct dns_cache *c, struct dns_cache_stats *s)
{
	*s = c->st;
	s->entries = c->n;
}
