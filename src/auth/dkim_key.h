/*
 * dkim_key.h - the DKIM key record published in DNS at
 * SELECTOR._domainkey.DOMAIN (RFC 6376 section 3.6.1; k=ed25519 from
 * RFC 8463).
 *
 * dkim_key_parse() reads the TXT data (its strings already concatenated)
 * into a struct dkim_key: the key type, the hash algorithms and service
 * types it allows, its flags, and the decoded public key bytes (a
 * SubjectPublicKeyInfo for RSA, or the raw 32 bytes for Ed25519). An empty
 * p= parses: it is a revoked key, which the verifier reports. Pure and
 * total; errors are static one-line reasons.
 */
#ifndef MXDOC_AUTH_DKIM_KEY_H
#define MXDOC_AUTH_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>

enum dkim_key_type { DKIM_KEY_RSA, DKIM_KEY_ED25519 };

#define DKIM_MAX_KEY	2048	/* decoded p= bytes (16384-bit RSA) */

struct dkim_key {
	enum dkim_key_type	 type;
	bool		 allow_sha1, allow_sha256;	/* h= (both when absent) */
	bool		 testing;	/* t=y */
	bool		 strict;	/* t=s: i= must be in d= itself */
	bool		 revoked;	/* p= empty */
	unsigned char	 p[DKIM_MAX_KEY];
	size_t		 plen;
};

int	 dkim_key_parse(const char *txt, size_t n, struct dkim_key *out,
	    const char **err);

#endif
