/*
 * dkim.h - DKIM signing and verification (RFC 6376, with the Ed25519
 * algorithm of RFC 8463 and the algorithm rules of RFC 8301).
 *
 * Verification reads a message in two steps: the header section (held,
 * bounded by the caller) and the body (streamed in chunks through one hash
 * per signature, never held). dkim_verify_keys() then fetches each
 * signature's key (TXT at SELECTOR._domainkey.DOMAIN) through dns_query on
 * the caller's loop and calls back exactly once, when every signature has
 * its result. Results use the names of RFC 8601: pass, fail, neutral,
 * temperror, permerror, each with a one-line reason.
 *
 * Signing takes the parsed header section, the body hash computed by a
 * struct dkim_body, and a private key, and returns the DKIM-Signature field
 * folded at 78 columns. Private keys are read, generated and written as
 * PEM; their bytes never go anywhere else.
 */
#ifndef MXDOC_AUTH_DKIM_H
#define MXDOC_AUTH_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "auth/dkim_canon.h"
#include "auth/dkim_key.h"
#include "auth/dkim_keycache.h"
#include "auth/dkim_sig.h"
#include "core/buf.h"
#include "dns/resolver.h"

struct event_base;

enum dkim_result {
	DKIM_PASS, DKIM_FAIL, DKIM_NEUTRAL, DKIM_TEMPERROR, DKIM_PERMERROR,
};

#define DKIM_MAX_SIGS	16
#define DKIM_MAX_RECORDS	16	/* TXT records read at a key's name */

struct dkim_sigresult {
	enum dkim_result result;
	char		*reason;	/* why, for every result but pass */
	char		*warning;	/* l= used, t=y ..., or NULL */
	char		*domain;	/* d=, or NULL when unreadable */
	char		*selector;
	char		*algorithm;	/* a= as written, or NULL */
	char		*identity;	/* i= (or its default) */
	char		*headers;	/* h= joined with ':' */
	char		*key_name;	/* SELECTOR._domainkey.DOMAIN */
	int64_t		 timestamp, expire, length;	/* -1 when absent */
	int		 key_bits;	/* 0 until a key is read */
	bool		 testing;	/* key t=y */
};

struct dkim_verify;
typedef void (*dkim_verify_cb)(void *arg, struct dkim_verify *v);

/* Starts a verification over the header section hdr[0..n) (without the
 * empty line). now is the verification time in Unix seconds. Returns NULL
 * with *err when the header section cannot be read; a message without any
 * DKIM-Signature is not an error (dkim_verify_count() is 0). */
struct dkim_verify *dkim_verify_new(const char *hdr, size_t n, int64_t now,
	    const char **err);
struct dkim_verify *dkim_verify_free(struct dkim_verify *v);
/* Streams the body, in chunks of any size. */
void	 dkim_verify_body(struct dkim_verify *v, const char *p, size_t n);
/* Ends the body and looks the keys up. Returns 0 and calls back exactly
 * once from the loop (cancelled by dkim_verify_free), or -1 (no callback)
 * when the loop refuses the work. */
int	 dkim_verify_keys(struct dkim_verify *v, struct event_base *base,
	    struct dns *dns, dkim_verify_cb cb, void *arg);
int	 dkim_verify_count(const struct dkim_verify *v);
/* Key records are parsed through c (shared, see dkim_keycache.h) instead
 * of once per signature; c must outlive v. */
void	 dkim_verify_set_keycache(struct dkim_verify *v,
	    struct dkim_keycache *c);

/*
 * The same verification in steps, for callers that fetch the keys
 * themselves: several messages spread over threads, with every DNS query
 * on the one loop thread. After the body, dkim_verify_end_body(); then,
 * for each i below dkim_verify_count(), dkim_verify_key_wanted() names the
 * key signature i waits for (NULL: its result is already known), and
 * dkim_verify_set_key() gives it the lookup's outcome (the TXT strings of
 * each record joined; n records, for DNS_OK). Both are synchronous: the
 * signature check runs in the calling thread, which may be any thread as
 * long as one verification is used by one thread at a time.
 */
void	 dkim_verify_end_body(struct dkim_verify *v);
const char *dkim_verify_key_wanted(const struct dkim_verify *v, int i);
void	 dkim_verify_set_key(struct dkim_verify *v, int i,
	    enum dns_status status, const char *const *txt,
	    const size_t *len, int n);
const struct dkim_sigresult *dkim_verify_result(const struct dkim_verify *v,
	    int i);
const char *dkim_result_name(enum dkim_result r);	/* "permerror" */

/* Signing. headers: NULL-terminated names to sign, or NULL for the
 * defaults (every default header the message has, From once more).
 * Appends the whole field "DKIM-Signature: ...\r\n" to out. Returns 0, or
 * -1 with *err. */
struct dkim_sign_params {
	const char	 *domain;
	const char	 *selector;
	EVP_PKEY	 *key;
	enum dkim_canon	  hcanon, bcanon;
	const char *const *headers;
	int64_t		  now;		/* t=, Unix seconds */
};

int	 dkim_sign(const struct dkim_sign_params *p, const struct dkim_hdrs *h,
	    const unsigned char *bh, size_t bhlen, struct buf *out,
	    const char **err);

/* The algorithm a key signs with: rsa-sha256 or ed25519-sha256; NULL for
 * another key type. */
const char *dkim_key_alg(EVP_PKEY *key);
/* A new key: RSA of bits bits, or Ed25519 (bits ignored). NULL on failure. */
EVP_PKEY *dkim_keygen(enum dkim_key_type type, int bits);
/* The key record for key's public half: "v=DKIM1; k=...; p=...". */
void	 dkim_key_record(EVP_PKEY *key, struct buf *out);

#endif
