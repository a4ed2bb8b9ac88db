/*
 * dns_cache.h - a small in-process cache of positive DNS answers, in front
 * of the resolver, for callers that ask the same names many times in one
 * run (`mxdoc spf --batch`: every evaluation of a policy asks the same
 * TXT, A and MX names).
 *
 * libunbound keeps a cache of its own, but every answer from it still goes
 * through its mesh, a packet encoded and decoded again, a timer and an
 * event-loop round. An answer held here is the decoded struct dns_answer,
 * handed back at once.
 *
 * What is kept, and for how long:
 * - only DNS_OK answers (records of the type asked). NXDOMAIN and NODATA
 *   answers carry no TTL in what the resolver decodes (the SOA of RFC 2308
 *   is in the authority section), and failures (SERVFAIL, REFUSED,
 *   timeouts, local errors) must be asked again: none of them is kept, so
 *   a caller sees every one of them from the resolver, each time;
 * - until the smallest TTL of the answer's records (the CNAMEs of the
 *   chain included) runs out, at most max_ttl seconds; TTL 0 is not kept;
 * - at most max_entries answers: a new one pushes out the oldest.
 *
 * Names are keys as the caller writes them, ASCII case folded: two
 * spellings of one name ("a.example" and "a.example.", or an escape) are
 * two entries, never one answer for two names.
 *
 * Ownership: an answer returned by dns_cache_get() or dns_cache_put() is
 * held: it stays valid, even if it expires or is pushed out meanwhile,
 * until the caller gives it back with dns_cache_drop(). A held answer may
 * carry one attachment (aux), a value the caller derived from it (a parsed
 * record); the cache frees it with its free function when the answer goes.
 */
#ifndef MXDOC_DNS_DNS_CACHE_H
#define MXDOC_DNS_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "dns/resolver.h"

struct dns_cache;

#define DNS_CACHE_ENTRIES	4096		/* default max_entries */
#define DNS_CACHE_MAX_TTL	86400		/* default max_ttl, seconds */

/* max_entries 0: DNS_CACHE_ENTRIES; max_ttl 0: DNS_CACHE_MAX_TTL. */
struct dns_cache *dns_cache_new(size_t max_entries, uint32_t max_ttl);
/* Frees the cache; answers still held stay valid until dropped. */
struct dns_cache *dns_cache_free(struct dns_cache *c);

/* The answer for (name, type), held, or NULL when none is kept or it has
 * expired. */
const struct dns_answer *dns_cache_get(struct dns_cache *c, const char *name,
		    uint16_t type);
/* Keeps a copy of a for (name, type) when it may be kept (see above),
 * replacing an older one. Returns the copy, held, or NULL when not kept. */
const struct dns_answer *dns_cache_put(struct dns_cache *c, const char *name,
		    uint16_t type, const struct dns_answer *a);
/* Gives back an answer from get or put. */
void		 dns_cache_drop(const struct dns_answer *a);

/* The attachment of a held answer when it was set with this free
 * function, else NULL. */
void		*dns_cache_aux(const struct dns_answer *a, void (*free_fn)(void *));
/* Sets the attachment, freeing an earlier one; the cache owns it now. */
void		 dns_cache_set_aux(const struct dns_answer *a, void *aux,
		    void (*free_fn)(void *));

/* Answers kept now, and counters since dns_cache_new(). */
struct dns_cache_stats {
	size_t		 entries;
	uint64_t	 hits, misses, stored, evicted;
};
void		 dns_cache_stats(const struct dns_cache *c,
		    struct dns_cache_stats *s);

#endif
