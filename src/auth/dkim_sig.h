/*
 * dkim_sig.h - the DKIM-Signature header field (RFC 6376 section 3.5,
 * algorithms of RFC 8463 and RFC 8301).
 *
 * dkim_sig_parse() reads the field's value (what follows the colon, folding
 * kept) into a struct dkim_sig that owns its strings. Pure and total: every
 * input gives a signature or a one-line reason (a static string). A
 * signature that parses may still be unusable: an rsa-sha1 signature is
 * parsed (so that its result can say "weak algorithm") and judged by the
 * verifier.
 */
#ifndef MXDOC_AUTH_DKIM_SIG_H
#define MXDOC_AUTH_DKIM_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/dkim_canon.h"

enum dkim_alg {
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256,
	DKIM_ALG_RSA_SHA1,	/* RFC 8301: never valid */
};

#define DKIM_MAX_SIGNED		64	/* h= entries */
#define DKIM_MAX_B		1024	/* decoded b= bytes (8192-bit RSA) */

struct dkim_sig {
	enum dkim_alg	 alg;
	char		 alg_name[32];
	enum dkim_canon	 hcanon, bcanon;
	char		*domain;	/* d=, as written */
	char		*selector;	/* s= */
	char		*identity;	/* i=, decoded; default "@" d */
	char		*h[DKIM_MAX_SIGNED];	/* h= names as written */
	int		 nh;
	int64_t		 length;	/* l=, or -1 */
	int64_t		 timestamp;	/* t=, or -1 */
	int64_t		 expire;	/* x=, or -1 */
	unsigned char	 bh[64];
	size_t		 bhlen;
	unsigned char	 b[DKIM_MAX_B];
	size_t		 blen;
	/* Where the b= value sits in the parsed text: [b_start, b_end) is
	 * removed before hashing the signature header (3.7). */
	size_t		 b_start, b_end;
};

/* Parses n bytes of the field value. Returns 0, or -1 with *err set (the
 * parsed parts are released either way on failure). *alg_name gets what a=
 * said even on failure, when there was one. */
int	 dkim_sig_parse(const char *p, size_t n, struct dkim_sig *out,
	    const char **err);
void	 dkim_sig_release(struct dkim_sig *s);
/* The hash name an algorithm uses: "sha256" or "sha1". */
const char *dkim_alg_md(enum dkim_alg a);

/* Base64 into out (max bytes); white space is skipped. Returns the decoded
 * length, or -1 when it is not base64 or does not fit. */
long	 dkim_b64_decode(const char *p, size_t n, unsigned char *out,
	    size_t max);
/* Base64 of n bytes, appended to out. */
void	 dkim_b64_encode(const unsigned char *p, size_t n, struct buf *out);

#endif
