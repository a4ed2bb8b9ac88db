#include "auth/dkim_keycache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "core/mem.h"

struct dkim_keycache {
	pthread_mutex_t		  lock;
	size_t			  n, max, hits;
	struct dkim_keyent	**ent;
};

struct dkim_keycache *
dkim_keycache_new(size_t max)
{
	struct dkim_keycache *c = xcalloc(1, sizeof(*c));

	if (pthread_mutex_init(&c->lock, NULL) != 0)
		abort();
	c->max = max;
	c->ent = xcalloc(max ? max : 1, sizeof(*c->ent));
	return c;
}

static void
ent_free(struct dkim_keyent *e)
{
	EVP_PKEY_free(e->pkey);
	free(e->name);
	free(e->txt);
	free(e);
}

struct dkim_keycache *
dkim_keycache_free(struct dkim_keycache *c)
{
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		ent_free(c->ent[i]);
	free(c->ent);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

/* FNV-1a over the name, the record's length and its last 64 bytes (the
 * end of p=, where two keys differ): a lookup costs the same for a
 * 16384-bit key as for an Ed25519 one. find() compares whole records. */
static unsigned long
key_hash(const char *name, const char *txt, size_t n)
{
	unsigned long h = 2166136261UL;
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619UL;
	h = (h ^ (n & 0xffffU)) * 16777619UL;
	for (i = n > 64 ? n - 64 : 0; i < n; i++)
		h = (h ^ (unsigned char)txt[i]) * 16777619UL;
	return h;
}

static EVP_PKEY *
public_key(const struct dkim_key *k)
{
	const unsigned char *p = k->p;
	EVP_PKEY *key;

	if (k->revoked)
		return NULL;
	if (k->type == DKIM_KEY_ED25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		    k->p, k->plen);
	if ((key = d2i_PUBKEY(NULL, &p, (long)k->plen)) != NULL)
		return key;
	/* Some old records hold a bare RSAPublicKey (PKCS#1). */
	p = k->p;
	return d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)k->plen);
}

static struct dkim_keyent *
find(struct dkim_keycache *c, unsigned long h, const char *name,
    const char *txt, size_t n)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct dkim_keyent *e = c->ent[i];

		if (e->hash == h && e->txtlen == n && strcmp(e->name,
		    name) == 0 && memcmp(e->txt, txt, n) == 0)
			return e;
	}
	return NULL;
}

const struct dkim_keyent *
dkim_keycache_get(struct dkim_keycache *c, const char *name, const char *txt,
    size_t n)
{
	unsigned long h = key_hash(name, txt, n);
	struct dkim_keyent *e, *had;

	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		e = find(c, h, name, txt, n);
		if (e != NULL)
			c->hits++;
		pthread_mutex_unlock(&c->lock);
		if (e != NULL)
			return e;
	}
	e = xcalloc(1, sizeof(*e));
	e->rc = dkim_key_parse(txt, n, &e->key, &e->err);
	if (e->rc == 0 && (e->pkey = public_key(&e->key)) != NULL)
		e->bits = EVP_PKEY_get_bits(e->pkey);
	e->hash = h;
	if (c == NULL)
		return e;
	e->name = xstrdup(name);
	e->txt = xmalloc(n + 1);
	memcpy(e->txt, txt, n);
	e->txt[n] = '\0';
	e->txtlen = n;
	pthread_mutex_lock(&c->lock);
	/* Another thread may have parsed the same record meanwhile. */
	if ((had = find(c, h, name, txt, n)) != NULL) {
		pthread_mutex_unlock(&c->lock);
		ent_free(e);
		return had;
	}
	if (c->n < c->max) {
		e->cached = true;
		c->ent[c->n++] = e;
	}
	pthread_mutex_unlock(&c->lock);
	return e;
}

void
dkim_keycache_put(const struct dkim_keyent *e)
{
	if (e != NULL && !e->cached)
		ent_free((struct dkim_keyent *)e);
}

void
dkim_keycache_stats(struct dkim_keycache *c, size_t *entries, size_t *hits)
{
	pthread_mutex_lock(&c->lock);
	*entries = c->n;
	*hits = c->hits;
	pthread_mutex_unlock(&c->lock);
}
