/*
 * dmarc.h - DMARC policy records (RFC 7489 section 6.3, with DMARCbis's
 * differences noted where a record would be read differently).
 *
 * dmarc_parse() is pure, bounded and total: it reads one TXT record with
 * the shared tag=value parser (auth/tagvalue.h), checks every tag and
 * fills a caller-owned struct dmarc_record with the values and a list of
 * notes (severity, tag, one line), so an audit can print every problem,
 * not only the first. Nothing is allocated.
 *
 * dmarc_org_domain() is the one helper here that reads a file: the public
 * suffix list (libpsl's system copy, Debian's publicsuffix package), to
 * find the organizational domain of RFC 7489 3.2.
 */
#ifndef MXDOC_AUTH_DMARC_H
#define MXDOC_AUTH_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify/cause.h"

#define DMARC_NOTES_MAX		24
#define DMARC_NOTE_MAX		200
#define DMARC_URIS_MAX		8
#define DMARC_URI_MAX		256

enum dmarc_policy {
	DMARC_P_UNSET,
	DMARC_P_NONE,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT,
	DMARC_P_INVALID,
};

struct dmarc_note {
	enum severity	 sev;
	char		 tag[8];		/* "p", "rua"; "" for the record */
	char		 text[DMARC_NOTE_MAX];
};

/* One rua/ruf destination (6.2): a URI, and for mailto: the domain of the
 * address, which 7.1 asks to authorize when it is not the sender's. */
struct dmarc_uri {
	char		 uri[DMARC_URI_MAX];	/* without the !size suffix */
	char		 domain[DMARC_URI_MAX];	/* mailto: the address's
						 * domain, lower case; "" else */
	bool		 mailto;
	uint64_t	 max_size;		/* bytes; 0: no limit given */
};

struct dmarc_record {
	bool		 valid;		/* a receiver would apply it: v= and p=
					 * usable (6.6.3); other bad tags are
					 * error notes, their defaults apply */
	enum dmarc_policy p, sp, np;	/* np: DMARCbis */
	int		 pct;		/* 0-100; 100 when not given */
	char		 adkim, aspf;	/* 'r' or 's' */
	char		 fo[16];	/* as written, "0" when not given */
	long		 ri;		/* seconds; 86400 when not given */
	int		 nrua, nruf;
	struct dmarc_uri rua[DMARC_URIS_MAX];
	struct dmarc_uri ruf[DMARC_URIS_MAX];
	int		 nnote;
	struct dmarc_note note[DMARC_NOTES_MAX];
};

/* True when the TXT record is one DMARC would consider (6.6.3): it starts
 * with "v=DMARC1" (the version compared case-insensitively here, so that
 * "v=dmarc1" is reported by dmarc_parse() rather than ignored). */
bool		 dmarc_is_record(const char *txt, size_t n);
/* Parses and checks one record. Returns 0 when it is usable (valid), -1
 * when a receiver would ignore it; r->note says why in both cases. */
int		 dmarc_parse(const char *txt, size_t n, struct dmarc_record *r);
const char	*dmarc_policy_name(enum dmarc_policy p);	/* "reject" */

/* The organizational domain of domain (RFC 7489 3.2) into out (256
 * bytes): its registrable domain under the public suffix list. Returns 0,
 * or -1 when domain is itself a public suffix or the list cannot be
 * loaded. */
int		 dmarc_org_domain(const char *domain, char out[256]);

#endif
