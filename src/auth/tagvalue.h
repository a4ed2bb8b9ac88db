/*
 * tagvalue.h - the tag=value list of RFC 6376 section 3.2, which DKIM
 * signatures and key records, DMARC (RFC 7489 section 6.4), MTA-STS
 * (RFC 8461 section 3.1) and TLS-RPT (RFC 8460 section 3) records share.
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC          (ALNUMPUNC: ALPHA / DIGIT / "_")
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*VALCHAR                 (VALCHAR: %x21-3A / %x3C-7E)
 *
 * Pure and bounded: views into the caller's text, no copies. Tag names are
 * compared case-sensitively, as RFC 6376 requires. A duplicate tag is an
 * error ("tags with duplicate names MUST NOT occur"); an empty list is
 * valid. Errors are static one-line reasons.
 */
#ifndef MXDOC_AUTH_TAGVALUE_H
#define MXDOC_AUTH_TAGVALUE_H

#include <stddef.h>

#include "core/sv.h"

#define TV_MAX_TAGS 64

struct tv_pair {
	struct sv	 name;
	struct sv	 value;		/* leading and trailing FWS removed */
};

struct tv_list {
	int		 n;
	struct tv_pair	 tag[TV_MAX_TAGS];
};

/* Parses n bytes of s. Returns 0, or -1 with *err set and *at (if not
 * NULL) the byte offset where the problem is. */
int		 tv_parse(const char *s, size_t n, struct tv_list *out,
		    const char **err, size_t *at);
/* The value of tag name, or NULL when the list has no such tag. */
const struct sv	*tv_get(const struct tv_list *l, const char *name);
/* Copies value without any whitespace (folded base64: b=, bh=, p=) into
 * out (max bytes with the NUL); returns its length, or -1 if it does not
 * fit. */
long		 tv_nows(struct sv value, char *out, size_t max);

#endif
