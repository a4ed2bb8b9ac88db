#include "tls/tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/mem.h"

struct tls_ctx {
	SSL_CTX	*ctx;
};

static int facts_index = -1;

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "");
}

static void
info_cb(const SSL *ssl, int where, int ret)
{
	struct tls_facts *f;

	if (!(where & SSL_CB_ALERT))
		return;
	f = SSL_get_ex_data(ssl, facts_index);
	if (f == NULL)
		return;
	/* The first fatal alert in each direction is the one that tells why
	 * (a close_notify at QUIT is a warning and tells nothing). Alerts new
	 * in TLS 1.3 (certificate_required, 116) are unknown to OpenSSL's
	 * name table: their number is kept instead. */
	if (((unsigned)ret >> 8) != SSL3_AL_FATAL)
		return;
	{
		const char *name = SSL_alert_desc_string_long(ret);
		char *dst = (where & SSL_CB_READ) ? f->alert_received :
		    f->alert_sent;
		size_t n = (where & SSL_CB_READ) ? sizeof(f->alert_received) :
		    sizeof(f->alert_sent);

		if (dst[0] != '\0')
			return;
		if (name == NULL || strcmp(name, "unknown") == 0)
			snprintf(dst, n, "alert %d", ret & 0xff);
		else
			copy(dst, n, name);
	}
}

struct tls_ctx *
tls_ctx_new(const struct tls_params *p, char **err)
{
	struct tls_ctx *c;
	SSL_CTX *ctx;

	if (facts_index < 0)
		facts_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		*err = xstrdup("cannot create the TLS context");
		return NULL;
	}
	/* Verification is recorded, not enforced: see tls.h. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* The session appends to its output buffer (a QUIT after a failure)
	 * while a write may wait to be retried. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_info_callback(ctx, info_cb);
	if (p->min_version != 0)
		SSL_CTX_set_min_proto_version(ctx, p->min_version);
	if (p->max_version != 0)
		SSL_CTX_set_max_proto_version(ctx, p->max_version);
	if (p->legacy) {
		SSL_CTX_set_security_level(ctx, 0);
		(void)SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	}
	if (p->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, p->ca_file, NULL) != 1) {
			unsigned long e = ERR_get_error();

			*err = xasprintf("cannot load CA file %s: %s", p->ca_file,
			    ERR_reason_error_string(e) ? ERR_reason_error_string(e)
			    : "unreadable");
			ERR_clear_error();
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		ERR_clear_error();
	c = xcalloc(1, sizeof(*c));
	c->ctx = ctx;
	return c;
}

struct tls_ctx *
tls_ctx_free(struct tls_ctx *c)
{
	if (c != NULL) {
		SSL_CTX_free(c->ctx);
		free(c);
	}
	return NULL;
}

static bool
is_address(const char *s)
{
	unsigned char b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

SSL *
tls_ssl_new(struct tls_ctx *c, const char *sni, struct tls_facts *facts)
{
	SSL *ssl = SSL_new(c->ctx);

	if (ssl == NULL)
		return NULL;
	SSL_set_ex_data(ssl, facts_index, facts);
	/* RFC 6066: SNI carries host names only, never literal addresses. */
	if (sni != NULL && sni[0] != '\0' && !is_address(sni))
		SSL_set_tlsext_host_name(ssl, sni);
	return ssl;
}

void
tls_take_error(struct tls_facts *f)
{
	unsigned long e;

	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);

		if (f->error[0] == '\0' && r != NULL)
			copy(f->error, sizeof(f->error), r);
	}
}

static void
name_string(X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long l;

	out[0] = '\0';
	if (b == NULL)
		return;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	l = BIO_get_mem_data(b, &p);
	if (l > 0)
		snprintf(out, len, "%.*s", (int)l, p);
	BIO_free(b);
}

static int64_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void
cert_facts(X509 *x, struct tls_cert *c)
{
	GENERAL_NAMES *gens;
	EVP_PKEY *pk;
	int i;

	memset(c, 0, sizeof(*c));
	name_string(X509_get_subject_name(x), c->subject, sizeof(c->subject));
	name_string(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer));
	c->not_before = asn1_time(X509_get0_notBefore(x));
	c->not_after = asn1_time(X509_get0_notAfter(x));
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) &&
	    c->nsans < TLS_MAX_SANS; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		snprintf(c->sans[c->nsans++], sizeof(c->sans[0]), "%.*s",
		    len, (const char *)d);
	}
	GENERAL_NAMES_free(gens);
	pk = X509_get0_pubkey(x);
	if (pk != NULL) {
		const char *kind = "key";

		switch (EVP_PKEY_get_base_id(pk)) {
		case EVP_PKEY_RSA: kind = "RSA"; break;
		case EVP_PKEY_EC: kind = "EC"; break;
		case EVP_PKEY_ED25519: kind = "Ed25519"; break;
		default: break;
		}
		snprintf(c->key, sizeof(c->key), "%s %d", kind,
		    EVP_PKEY_get_bits(pk));
	}
}

/* Keeps the DER of the element just described (see tls.h: DANE). */
static void
keep_der(X509 *x, struct tls_facts *f, int i)
{
	unsigned char *p = f->der[i];
	int n = i2d_X509(x, NULL);

	f->der_len[i] = 0;
	if (n > 0 && n <= TLS_DER_MAX && i2d_X509(x, &p) == n)
		f->der_len[i] = (size_t)n;
}

void
tls_collect(SSL *ssl, const char *expect_name, struct tls_facts *f)
{
	STACK_OF(X509) *chain;
	X509 *leaf;
	int i, n;

	f->done = true;
	copy(f->version, sizeof(f->version), SSL_get_version(ssl));
	copy(f->cipher, sizeof(f->cipher), SSL_get_cipher_name(ssl));
	f->verify_code = SSL_get_verify_result(ssl);
	f->verified = f->verify_code == X509_V_OK;
	if (!f->verified)
		copy(f->verify_error, sizeof(f->verify_error),
		    X509_verify_cert_error_string(f->verify_code));
	leaf = SSL_get0_peer_certificate(ssl);
	if (leaf == NULL) {
		f->verified = false;
		copy(f->verify_error, sizeof(f->verify_error),
		    "the server sent no certificate");
		return;
	}
	/* The chain as the server sent it; on the client side it includes the
	 * leaf. Fall back to the leaf alone. */
	chain = SSL_get_peer_cert_chain(ssl);
	n = chain != NULL ? sk_X509_num(chain) : 0;
	if (n == 0) {
		keep_der(leaf, f, f->nchain);
		cert_facts(leaf, &f->chain[f->nchain++]);
	}
	for (i = 0; i < n && f->nchain < TLS_MAX_CHAIN; i++) {
		keep_der(sk_X509_value(chain, i), f, f->nchain);
		cert_facts(sk_X509_value(chain, i), &f->chain[f->nchain++]);
	}
	f->expired = f->chain[0].not_after != 0 &&
	    f->chain[0].not_after < (int64_t)time(NULL);
	if (expect_name != NULL && expect_name[0] != '\0') {
		f->name_checked = true;
		if (is_address(expect_name))
			f->name_matched = X509_check_ip_asc(leaf, expect_name, 0) == 1;
		else
			f->name_matched = X509_check_host(leaf, expect_name, 0, 0,
			    NULL) == 1;
	}
}
