#include "harness.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/dane.h"

/* A certificate for cn, signed by issuer's key (itself when NULL). */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : nm);
	X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256());
	X509_NAME_free(nm);
	return x;
}

struct der {
	unsigned char	*p;
	size_t		 n;
};

static struct der
der_of(X509 *x)
{
	struct der d;

	d.p = NULL;
	d.n = (size_t)i2d_X509(x, &d.p);
	return d;
}

/* The bytes a record with selector sel and matching type mt holds. */
static size_t
rdata(X509 *x, int sel, int mt, unsigned char *out)
{
	unsigned char *buf = NULL;
	unsigned int dl = 0;
	int n = sel == 0 ? i2d_X509(x, &buf) :
	    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &buf);

	if (mt == 0) {
		memcpy(out, buf, (size_t)n);
		dl = (unsigned int)n;
	} else
		EVP_Digest(buf, (size_t)n, out, &dl, mt == 1 ? EVP_sha256() :
		    EVP_sha512(), NULL);
	OPENSSL_free(buf);
	return dl;
}

static enum dane_result
try(int usage, int sel, int mt, X509 *from, const struct der *chain, int n,
    int *depth, const char **why)
{
	unsigned char data[8192];
	const unsigned char *der[4];
	size_t len[4];
	struct dane_tlsa t;
	int i;

	for (i = 0; i < n; i++) {
		der[i] = chain[i].p;
		len[i] = chain[i].n;
	}
	t.usage = (uint8_t)usage;
	t.selector = (uint8_t)sel;
	t.mtype = (uint8_t)mt;
	t.len = rdata(from, sel, mt < 3 ? mt : 1, data);
	t.data = data;
	return dane_match(&t, der, len, n, depth, why);
}

void
run_tests(void)
{
	EVP_PKEY *cakey = EVP_EC_gen("P-256"), *leafkey = EVP_EC_gen("P-256");
	EVP_PKEY *otherkey = EVP_EC_gen("P-256");
	X509 *ca = make_cert("test CA", cakey, NULL, NULL);
	X509 *leaf = make_cert("mx.example.test", leafkey, ca, cakey);
	X509 *other = make_cert("other CA", otherkey, NULL, NULL);
	X509 *forged = make_cert("mx.example.test", leafkey, ca, otherkey);
	struct der chain[2], bad[2];
	const char *why = NULL;
	unsigned char zero[64];
	const unsigned char *dp[1];
	size_t dl[1];
	struct dane_tlsa t;
	char out[64];
	int depth = -1, sel, mt;

	chain[0] = der_of(leaf);
	chain[1] = der_of(ca);
	bad[0] = der_of(forged);
	bad[1] = chain[1];

	/* DANE-EE: every selector and matching type against the leaf. */
	for (sel = 0; sel <= 1; sel++)
		for (mt = 0; mt <= 2; mt++) {
			depth = -1;
			CHECK_INT(try(3, sel, mt, leaf, chain, 2, &depth, &why),
			    DANE_MATCH);
			CHECK_INT(depth, 0);
		}
	/* DANE-EE never looks past the leaf. */
	CHECK_INT(try(3, 1, 1, ca, chain, 2, NULL, &why), DANE_NOMATCH);
	CHECK(why != NULL);
	CHECK_INT(try(3, 1, 1, other, chain, 2, NULL, NULL), DANE_NOMATCH);
	/* DANE-TA: the issuer matches; the leaf alone is not an anchor. */
	depth = -1;
	CHECK_INT(try(2, 0, 1, ca, chain, 2, &depth, &why), DANE_MATCH);
	CHECK_INT(depth, 1);
	CHECK_INT(try(2, 1, 2, ca, chain, 2, NULL, NULL), DANE_MATCH);
	CHECK_INT(try(2, 1, 1, leaf, chain, 2, NULL, NULL), DANE_NOMATCH);
	CHECK_INT(try(2, 1, 1, other, chain, 2, NULL, NULL), DANE_NOMATCH);
	/* A leaf that names the anchor but was signed by another key. */
	CHECK_INT(try(2, 0, 1, ca, bad, 2, NULL, &why), DANE_NOMATCH);
	CHECK(why != NULL && strstr(why, "does not verify") != NULL);
	/* A self-signed leaf sent alone can be its own anchor. */
	chain[1].n = 0;
	CHECK_INT(try(2, 1, 1, leaf, chain, 1, NULL, NULL), DANE_MATCH);
	/* PKIX usages match the same way (the caller warns about them). */
	CHECK_INT(try(1, 1, 1, leaf, chain, 1, NULL, NULL), DANE_MATCH);

	/* Unusable records and no chain. */
	memset(zero, 0, sizeof(zero));
	t.usage = 3;
	t.selector = 1;
	t.mtype = 1;
	t.data = zero;
	t.len = 31;
	dp[0] = chain[0].p;
	dl[0] = chain[0].n;
	CHECK_INT(dane_match(&t, dp, dl, 1, NULL, &why), DANE_UNUSABLE);
	t.len = 32;
	t.usage = 4;
	CHECK_INT(dane_match(&t, dp, dl, 1, NULL, &why), DANE_UNUSABLE);
	t.usage = 3;
	t.mtype = 3;
	CHECK_INT(dane_match(&t, dp, dl, 1, NULL, &why), DANE_UNUSABLE);
	t.mtype = 1;
	CHECK_INT(dane_match(&t, dp, dl, 0, NULL, &why), DANE_NO_CHAIN);
	dl[0] = 0;
	CHECK_INT(dane_match(&t, dp, dl, 1, NULL, &why), DANE_NO_CHAIN);
	dl[0] = 10;	/* truncated DER */
	CHECK_INT(dane_match(&t, dp, dl, 1, NULL, &why), DANE_NO_CHAIN);
	CHECK_INT(dane_match(&t, dp, dl, 1, NULL, NULL), DANE_NO_CHAIN);

	/* Names and the presentation form. */
	CHECK_STR(dane_usage_name(3), "DANE-EE");
	CHECK_STR(dane_usage_name(2), "DANE-TA");
	CHECK_STR(dane_usage_name(9), "unknown");
	CHECK_STR(dane_result_name(DANE_NOMATCH), "no_match");
	zero[0] = 0xab;
	zero[1] = 0x01;
	t.len = 2;
	dane_format(&t, 8, out, sizeof(out));
	CHECK_STR(out, "3 1 1 AB01");
	t.len = 32;
	dane_format(&t, 2, out, sizeof(out));
	CHECK_STR(out, "3 1 1 AB01...");
	dane_format(&t, 64, out, 12);
	CHECK(strlen(out) < 12);

	OPENSSL_free(chain[0].p);
	OPENSSL_free(chain[1].p);
	OPENSSL_free(bad[0].p);
	X509_free(ca);
	X509_free(leaf);
	X509_free(other);
	X509_free(forged);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(leafkey);
	EVP_PKEY_free(otherkey);
}
