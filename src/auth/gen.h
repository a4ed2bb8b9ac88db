/*
 * gen.h - records built from a few choices, checked before they are
 * published: SPF (RFC 7208), DMARC (RFC 7489), the MTA-STS TXT record and
 * policy file (RFC 8461), TLS-RPT (RFC 8460) and a DANE-EE TLSA record
 * (RFC 7671, usage 3 selector 1 matching type 1).
 *
 * Every builder writes the record, the owner name to publish it at and,
 * for TXT records, the character-strings of at most 255 bytes a zone file
 * needs (RFC 1035 3.3.14; RFC 7208 3.3 joins them without spaces), then
 * reads the record back through the project's own parser (spf.h, dmarc.h,
 * mtasts.h, tlsrpt.h), so what is printed is what a receiver will read.
 * Problems are notes with a severity and a cause id: the parser's reasons,
 * and the limits a record can pass without being malformed (an SPF answer
 * over 450 bytes, +all, p=none, a short MTA-STS max_age).
 *
 * Pure and bounded: no I/O (the caller reads the certificate file, and
 * the SPF lookup budget, which needs DNS, is counted by the caller with
 * spf_eval.h over gen_out.include). The caller owns the gen_out and frees
 * what it holds with gen_out_release(). A builder returns 0, or -1 when a
 * choice is unusable (no certificate in the PEM text), with a note saying
 * why.
 */
#ifndef MXDOC_AUTH_GEN_H
#define MXDOC_AUTH_GEN_H

#include <stdbool.h>
#include <stddef.h>

#include "classify/cause.h"

#define GEN_NOTES_MAX		32
#define GEN_NOTE_MAX		400
#define GEN_STRINGS_MAX		64
#define GEN_ITEMS_MAX		64	/* repeated options of one kind */
#define GEN_STRING_MAX		255	/* one character-string */
/* RFC 7208 3.4: keep the answer under 512 bytes; records over 450 bytes
 * risk truncation once the question and the other records join them. */
#define GEN_SPF_SIZE_MAX	450
#define GEN_STS_MAX_AGE		604800L	/* a week, RFC 8461 3.2's example */

struct gen_note {
	enum severity	 sev;
	const char	*cause;		/* a cause id of classify/cause.h */
	char		 text[GEN_NOTE_MAX];
};

struct gen_out {
	const char	*kind;		/* "spf", "dmarc"... */
	const char	*type;		/* "TXT" or "TLSA" */
	char		*name;		/* the owner name */
	char		*record;	/* the TXT text, or the TLSA rdata */
	int		 nstring;	/* TXT: the 255-byte pieces */
	char		*string[GEN_STRINGS_MAX];
	char		*policy;	/* MTA-STS: the policy file, else NULL */
	char		*policy_url;
	int		 ninclude;	/* SPF: include: targets, in order */
	const char	*include[GEN_ITEMS_MAX];	/* borrowed from params */
	int		 dns_terms;	/* SPF: the record's own DNS terms */
	int		 nnote;
	struct gen_note	 note[GEN_NOTES_MAX];
};

struct gen_spf_params {
	const char	*domain;	/* owner; NULL: "@" */
	const char	*ip4[GEN_ITEMS_MAX];
	int		 nip4;
	const char	*ip6[GEN_ITEMS_MAX];
	int		 nip6;
	const char	*include[GEN_ITEMS_MAX];
	int		 ninclude;
	bool		 a, mx;
	char		 all;		/* '-', '~', '?', '+'; 0: none */
};

struct gen_dmarc_params {
	const char	*domain;	/* NULL: the relative "_dmarc" */
	const char	*policy;	/* none|quarantine|reject */
	const char	*sp;		/* NULL: not written */
	const char	*rua[GEN_ITEMS_MAX];
	int		 nrua;
	const char	*ruf[GEN_ITEMS_MAX];
	int		 nruf;
	int		 pct;		/* -1: not written */
	char		 adkim, aspf;	/* 0: not written */
	const char	*fo;		/* NULL: not written */
};

struct gen_sts_params {
	const char	*domain;	/* NULL: "_mta-sts" and a placeholder URL */
	const char	*mode;		/* enforce|testing|none */
	const char	*mx[GEN_ITEMS_MAX];
	int		 nmx;
	long		 max_age;	/* seconds; <0: GEN_STS_MAX_AGE */
	const char	*id;		/* the policy id (UTC time "...Z") */
};

struct gen_tlsrpt_params {
	const char	*domain;	/* NULL: the relative "_smtp._tls" */
	const char	*rua[GEN_ITEMS_MAX];
	int		 nrua;
};

struct gen_tlsa_params {
	const char	*host;		/* NULL: the certificate's first name */
	int		 port;		/* 0: 25 */
	const char	*pem;		/* PEM text; the first certificate is
					 * the leaf */
	size_t		 pem_len;
	const unsigned char *der;	/* or the leaf's DER (used when pem is
					 * NULL), as an MX sent it */
	size_t		 der_len;
	long long	 now;		/* Unix seconds, for the expiry note */
};

int	gen_spf(const struct gen_spf_params *p, struct gen_out *o);
int	gen_dmarc(const struct gen_dmarc_params *p, struct gen_out *o);
int	gen_sts(const struct gen_sts_params *p, struct gen_out *o);
int	gen_tlsrpt(const struct gen_tlsrpt_params *p, struct gen_out *o);
int	gen_tlsa(const struct gen_tlsa_params *p, struct gen_out *o);

/* Splits a TXT record into pieces of at most 255 bytes, at a space where
 * one lies in the last 64 bytes of a piece (the space stays at the end of
 * the piece, so joining restores the record). Returns the count, or -1
 * when more than max pieces would be needed. Pieces are owned. */
int	gen_split(const char *txt, char **out, int max);
/* The zone-file text of the record: NAME IN TYPE "piece" "piece"... */
char	*gen_zone_line(const struct gen_out *o);
/* The worst severity among the notes (SEV_OK when none). */
enum severity gen_worst(const struct gen_out *o);
void	gen_note(struct gen_out *o, enum severity sev, const char *cause,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	gen_out_release(struct gen_out *o);

/* The MTA-STS id for a time: "YYYYMMDDhhmmssZ" in UTC (out: 16 bytes). */
void	gen_sts_id(long long t, char out[16]);

#endif
