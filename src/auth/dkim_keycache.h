/*
 * dkim_keycache.h - DKIM key records parsed once per run.
 *
 * Verifying many messages signed with one key would otherwise parse the
 * same TXT record and build the same public key (a DER decode through
 * OpenSSL's decoders) once per message. The cache maps a key's DNS name
 * and the exact record text to what dkim_key_parse() made of it and the
 * EVP_PKEY built from p=. The record text is part of the key: the DNS
 * answer is still asked for every message (the resolver's own cache and
 * its TTLs decide when it changes), so a key revoked or rotated in DNS is
 * seen as soon as the resolver sees it. The cache lives as long as its
 * owner (one command run), never on disk.
 *
 * Bounded: at most max entries; a record met when the cache is full is
 * parsed for its caller alone. Entries never move or change once made,
 * so lookups from several threads share them (one mutex guards the
 * table; parsing runs outside it). An entry stays valid until
 * dkim_keycache_free(); dkim_keycache_put() ends a caller's use.
 */
#ifndef MXDOC_AUTH_DKIM_KEYCACHE_H
#define MXDOC_AUTH_DKIM_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "auth/dkim_key.h"

struct dkim_keyent {
	int		 rc;	/* dkim_key_parse(): 0, or -1 with err */
	const char	*err;	/* static */
	struct dkim_key	 key;
	EVP_PKEY	*pkey;	/* p= as a key; NULL when revoked (empty) or
				 * unreadable */
	int		 bits;	/* of pkey, 0 without one */
	/* The cache's own. */
	bool		 cached;
	char		*name;
	char		*txt;
	size_t		 txtlen;
	unsigned long	 hash;
};

struct dkim_keycache;

struct dkim_keycache *dkim_keycache_new(size_t max);
/* Frees every entry: no dkim_keyent of it may be in use. */
struct dkim_keycache *dkim_keycache_free(struct dkim_keycache *c);

/* The parsed record txt[0..n) found at name. c may be NULL (nothing
 * cached). Never NULL; release with dkim_keycache_put(). */
const struct dkim_keyent *dkim_keycache_get(struct dkim_keycache *c,
	    const char *name, const char *txt, size_t n);
void	 dkim_keycache_put(const struct dkim_keyent *e);

/* Entries made, and lookups answered from the cache (for tests). */
void	 dkim_keycache_stats(struct dkim_keycache *c, size_t *entries,
	    size_t *hits);

#endif
