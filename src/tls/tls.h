/*
 * tls.h - the OpenSSL client side of mxdoc: one context per run, one SSL
 * object per connection, and the facts a diagnosis needs about a handshake.
 *
 * The context never aborts a handshake over the certificate: MX delivery is
 * opportunistic on most of the Internet, so mxdoc completes the handshake,
 * then reports whether the chain verifies against the trust store (the
 * system's, or --ca-file) and whether the name matches. Callers that must
 * enforce (a policy from MTA-STS or DANE) decide from the facts.
 *
 * Alerts received and sent are recorded through an info callback, so that a
 * failed handshake says which alert ended it ("handshake failure",
 * "protocol version") and who sent it.
 */
#ifndef MXDOC_TLS_TLS_H
#define MXDOC_TLS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct tls_ctx;

struct tls_params {
	const char	*ca_file;	/* PEM bundle, or NULL: the system store */
	int		 min_version;	/* TLS1_VERSION..., 0 = library default */
	int		 max_version;	/* 0 = highest */
	bool		 legacy;	/* security level 0 and every cipher:
					 * to learn whether an old peer could
					 * talk at all, never to deliver */
};

#define TLS_MAX_CHAIN	8
#define TLS_MAX_SANS	16
#define TLS_DER_MAX	8192	/* one certificate's DER kept for DANE */

struct tls_cert {
	char	 subject[256];
	char	 issuer[256];
	char	 sans[TLS_MAX_SANS][128];	/* DNS names */
	int	 nsans;
	int64_t	 not_before;	/* Unix seconds */
	int64_t	 not_after;
	char	 key[32];	/* "RSA 2048", "EC 256" */
};

struct tls_facts {
	bool		 done;			/* handshake completed */
	char		 version[16];		/* "TLSv1.3" */
	char		 cipher[64];
	char		 alert_received[64];	/* "" when none */
	char		 alert_sent[64];
	char		 error[256];		/* OpenSSL's reason, "" when none */
	bool		 verified;		/* chain verified against the store */
	long		 verify_code;		/* X509_V_OK... */
	char		 verify_error[128];
	bool		 name_checked;
	bool		 name_matched;		/* leaf matches the expected name */
	bool		 expired;		/* leaf not_after is in the past */
	int		 nchain;
	struct tls_cert	 chain[TLS_MAX_CHAIN];	/* [0] is the leaf */
	/* The DER of each chain element as sent, for DANE matching (RFC
	 * 6698 2.1.2 compares the certificate or its SubjectPublicKeyInfo);
	 * der_len[i] is 0 when the certificate exceeds TLS_DER_MAX. */
	size_t		 der_len[TLS_MAX_CHAIN];
	unsigned char	 der[TLS_MAX_CHAIN][TLS_DER_MAX];
};

/* Creates the client context; NULL with *err (owned string) on failure, for
 * example an unreadable CA file. */
struct tls_ctx	*tls_ctx_new(const struct tls_params *p, char **err);
struct tls_ctx	*tls_ctx_free(struct tls_ctx *c);

/* A new client SSL object sending SNI for sni (may be NULL or an address,
 * then no SNI) and recording alerts into *facts, which must outlive it. */
SSL		*tls_ssl_new(struct tls_ctx *c, const char *sni,
		    struct tls_facts *facts);
/* After a completed handshake: version, cipher, chain, verification and
 * the name check against expect_name (NULL: no check). */
void		 tls_collect(SSL *ssl, const char *expect_name,
		    struct tls_facts *facts);
/* Drains OpenSSL's error queue into facts->error (first reason wins). */
void		 tls_take_error(struct tls_facts *facts);

#endif
