/*
 * dane.h - matching TLSA records against the certificate chain an MX
 * presents (RFC 6698 2.1, RFC 7671, and RFC 7672 for SMTP).
 *
 * dane_match() is pure: it takes one TLSA record (usage, selector,
 * matching type, data) and the DER of the chain as the server sent it
 * ([0] the leaf), and says whether the record matches. Usage 3 (DANE-EE)
 * and 1 (PKIX-EE) compare the leaf only; usage 2 (DANE-TA) and 0
 * (PKIX-TA) compare the issuers in the chain and then check that the
 * leaf chains up to the matched certificate by signature (RFC 7671 5.2.2:
 * a DANE-TA anchor must be in the chain the server sends). PKIX
 * validation for usages 0 and 1 is not done here: RFC 7672 3.1.3 tells
 * SMTP senders to treat those records as unusable, which the caller
 * reports.
 *
 * Selector 0 is the whole certificate, 1 its SubjectPublicKeyInfo;
 * matching type 0 is exact, 1 SHA-256, 2 SHA-512. Unknown values make
 * the record unusable (RFC 7671 4.1), never a match.
 */
#ifndef MXDOC_AUTH_DANE_H
#define MXDOC_AUTH_DANE_H

#include <stddef.h>
#include <stdint.h>

#define DANE_CHAIN_MAX	8
#define DANE_CMP_MAX	16384	/* an exact (type 0) record's largest size */
#define DANE_SPKI_MAX	4096	/* a SubjectPublicKeyInfo's largest size */

enum dane_result {
	DANE_MATCH,
	DANE_NOMATCH,
	DANE_UNUSABLE,		/* a parameter RFC 6698 does not define */
	DANE_NO_CHAIN,		/* no certificate to compare, or unreadable */
};

struct dane_tlsa {
	uint8_t		 usage, selector, mtype;
	const uint8_t	*data;
	size_t		 len;
};

/* Matches t against the chain (n elements; der[i] of len[i] bytes, a
 * length of 0 meaning the element was not kept). On DANE_MATCH *depth
 * (when not NULL) is the index of the matched certificate. *why (when
 * not NULL) gets a static reason for every result but DANE_MATCH. */
enum dane_result dane_match(const struct dane_tlsa *t,
		    const unsigned char *const *der, const size_t *len, int n,
		    int *depth, const char **why);

const char	*dane_usage_name(uint8_t usage);	/* "DANE-EE" */
const char	*dane_result_name(enum dane_result r);	/* "match" */
/* Writes the record as "3 1 1 ABCD..." (hex upper case, the data cut at
 * max bytes with "..." after) into out of size n. */
void		 dane_format(const struct dane_tlsa *t, size_t max, char *out,
		    size_t n);

#endif
