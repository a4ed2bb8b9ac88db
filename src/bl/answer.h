/*
 * answer.h - what one blocklist answer means.
 *
 * A DNSBL answers a listing with A records in 127.0.0.0/8 (RFC 5782 2.3)
 * whose value says why; but some values are not listings at all: Spamhaus
 * answers 127.255.255.252/254/255 when it refuses the querier (a public
 * resolver, too many queries), URIBL and SURBL answer 127.0.0.1. Those are
 * reported as unchecked, never as listed. An answer outside 127.0.0.0/8 is
 * a zone that died and was parked or wildcarded. Pure: no I/O.
 */
#ifndef MXDOC_BL_ANSWER_H
#define MXDOC_BL_ANSWER_H

#include <stdint.h>

#include "bl/catalogue.h"
#include "dns/resolver.h"

enum bl_answer {
	BL_ANS_LISTED,
	BL_ANS_CLEAN,		/* NXDOMAIN or no A record */
	BL_ANS_REFUSED,		/* the list refused to answer this querier */
	BL_ANS_BOGUS,		/* not a DNSBL answer: outside 127.0.0.0/8 */
	BL_ANS_ERROR,		/* timeout, SERVFAIL... */
};

#define BL_ANS_ADDRS_MAX	8

struct bl_interp {
	enum bl_answer	 answer;
	int		 naddr;
	uint32_t	 addr[BL_ANS_ADDRS_MAX];	/* host byte order */
	/* The meaning of the codes (listed), or why the answer is not a
	 * verdict (refused, bogus, error); "" for clean. */
	char		 meaning[512];
};

/* Interprets an A answer of zone z: st is the DNS status and addr/naddr
 * (host byte order) the A records when st is DNS_OK. */
void	bl_interpret(const struct bl_zone *z, enum dns_status st,
	    const uint32_t *addr, int naddr, struct bl_interp *out);
const char *bl_answer_name(enum bl_answer a);	/* "listed" */
/* "127.0.0.2"; out holds 16 bytes. */
const char *bl_addr_format(uint32_t a, char out[16]);

#endif
