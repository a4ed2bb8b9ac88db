#include "auth/dane.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* What a record is compared with: the certificate or its SPKI, digested
 * by the matching type. Returns its length, or 0 when it cannot be
 * made. */
static size_t
selected(X509 *x, const unsigned char *der, size_t derlen, uint8_t selector,
    uint8_t mtype, unsigned char *out, size_t outmax)
{
	unsigned char spki[DANE_SPKI_MAX], *p = spki;
	const unsigned char *src;
	size_t srclen;
	unsigned int dlen = 0;
	int k;

	if (selector == 0) {
		src = der;
		srclen = derlen;
	} else {
		k = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), NULL);
		if (k <= 0 || (size_t)k > sizeof(spki))
			return 0;
		if (i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &p) != k)
			return 0;
		src = spki;
		srclen = (size_t)k;
	}
	if (mtype == 0) {
		if (srclen > outmax)
			return 0;
		memcpy(out, src, srclen);
		return srclen;
	}
	if (EVP_Digest(src, srclen, out, &dlen, mtype == 1 ? EVP_sha256() :
	    EVP_sha512(), NULL) != 1)
		return 0;
	return dlen;
}

enum dane_result
dane_match(const struct dane_tlsa *t, const unsigned char *const *der,
    const size_t *len, int n, int *depth, const char **why)
{
	unsigned char buf[DANE_CMP_MAX];
	X509 *x[DANE_CHAIN_MAX];
	enum dane_result res = DANE_NOMATCH;
	const char *reason = "no certificate in the chain matches";
	int i, first, last, m = 0;

	memset(x, 0, sizeof(x));
	if (t->usage > 3 || t->selector > 1 || t->mtype > 2) {
		reason = "usage, selector or matching type undefined by "
		    "RFC 6698";
		res = DANE_UNUSABLE;
		goto out;
	}
	if ((t->mtype == 1 && t->len != 32) || (t->mtype == 2 &&
	    t->len != 64)) {
		reason = "the digest has the wrong length for its matching "
		    "type";
		res = DANE_UNUSABLE;
		goto out;
	}
	if (n > DANE_CHAIN_MAX)
		n = DANE_CHAIN_MAX;
	for (m = 0; m < n; m++) {
		const unsigned char *p = der[m];

		if (len[m] == 0 || (x[m] = d2i_X509(NULL, &p,
		    (long)len[m])) == NULL)
			break;
	}
	if (m == 0) {
		reason = "no certificate to compare";
		res = DANE_NO_CHAIN;
		goto out;
	}
	/* EE usages look at the leaf only; TA usages at the issuers. A
	 * self-issued leaf can be its own anchor (RFC 7671 5.2.2). */
	first = t->usage == 1 || t->usage == 3 ? 0 : (m > 1 ? 1 : 0);
	last = t->usage == 1 || t->usage == 3 ? 0 : m - 1;
	for (i = first; i <= last; i++) {
		size_t k = selected(x[i], der[i], len[i], t->selector,
		    t->mtype, buf, sizeof(buf));

		if (k == 0 || k != t->len || memcmp(buf, t->data, k) != 0)
			continue;
		if (i > 0) {
			int j;

			/* The leaf must chain to the anchor by signature. */
			for (j = 0; j < i; j++) {
				EVP_PKEY *pk = X509_get0_pubkey(x[j + 1]);

				if (pk == NULL || X509_verify(x[j], pk) != 1)
					break;
			}
			if (j < i) {
				reason = "a certificate matches the trust "
				    "anchor record, but the chain to it does "
				    "not verify";
				continue;
			}
		}
		if (depth != NULL)
			*depth = i;
		res = DANE_MATCH;
		goto out;
	}
out:
	for (i = 0; i < m; i++)
		X509_free(x[i]);
	if (why != NULL)
		*why = res == DANE_MATCH ? NULL : reason;
	return res;
}

const char *
dane_usage_name(uint8_t usage)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA",
	    "DANE-EE" };

	return usage < 4 ? names[usage] : "unknown";
}

const char *
dane_result_name(enum dane_result r)
{
	switch (r) {
	case DANE_MATCH: return "match";
	case DANE_NOMATCH: return "no_match";
	case DANE_UNUSABLE: return "unusable";
	case DANE_NO_CHAIN: return "no_chain";
	}
	return "?";
}

void
dane_format(const struct dane_tlsa *t, size_t max, char *out, size_t n)
{
	size_t i, o;
	int k;

	k = snprintf(out, n, "%u %u %u ", t->usage, t->selector, t->mtype);
	if (k < 0 || (size_t)k >= n)
		return;
	o = (size_t)k;
	for (i = 0; i < t->len && i < max && o + 3 < n; i++, o += 2)
		snprintf(out + o, n - o, "%02X", t->data[i]);
	if (t->len > max && o + 4 < n)
		snprintf(out + o, n - o, "...");
}
