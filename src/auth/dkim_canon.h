/*
 * dkim_canon.h - the message as DKIM sees it: the header section split into
 * fields, and the canonicalisations of RFC 6376 section 3.4 (simple and
 * relaxed, for header fields and for the body).
 *
 * The header section is held in memory (bounded by the caller), with every
 * line ending turned into CRLF, so LF-only files hash as the CRLF message
 * they stand for. The body is never held: struct dkim_body takes it in
 * chunks of any size and feeds its canonical form to a SHA hash as it goes,
 * cut at the l= count when there is one. Pure and total: any bytes give a
 * result.
 */
#ifndef MXDOC_AUTH_DKIM_CANON_H
#define MXDOC_AUTH_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/sv.h"

enum dkim_canon { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };

#define DKIM_MAX_HEADERS	1000

struct dkim_hdr {
	struct sv	 name;	/* the field name as written, no trailing WSP */
	struct sv	 raw;	/* the whole field, folding kept, CRLF line
				 * ends, without the final CRLF */
};

struct dkim_hdrs {
	struct buf	 text;	/* the CRLF-normalised header section */
	int		 n, cap;
	struct dkim_hdr	*h;	/* n fields, grown as needed */
};

/* Where the body starts in p[0..n): the offset just after the empty line
 * that ends the header section (CRLF CRLF, LF LF, or an empty first line),
 * or -1 when it is not in sight yet. *hdr_len gets the length of the header
 * section (its last line end included). */
long	 dkim_body_offset(const char *p, size_t n, size_t *hdr_len);

/* Splits a header section (without the empty line) into fields. Returns 0,
 * or -1 with *err when there are more than DKIM_MAX_HEADERS fields or a
 * line is neither a field nor a continuation. Release with
 * dkim_hdrs_release(), also after a failure; out needs no setup. */
int	 dkim_hdrs_parse(const char *p, size_t n, struct dkim_hdrs *out,
	    const char **err);
void	 dkim_hdrs_release(struct dkim_hdrs *h);

/* Appends the canonical form of one header field (raw: "Name: value" with
 * its folding, no final CRLF) to out, with a final CRLF when crlf. Returns
 * -1 when out is full. */
int	 dkim_canon_header(enum dkim_canon c, struct sv raw, bool crlf,
	    struct buf *out);

/* The streaming body canonicaliser and hash. */
struct dkim_body;

/* md: "sha256" or "sha1"; limit: the l= count, or -1 for the whole body.
 * NULL for an unknown digest. */
struct dkim_body *dkim_body_new(enum dkim_canon c, const char *md,
	    int64_t limit);
struct dkim_body *dkim_body_free(struct dkim_body *b);
void	 dkim_body_update(struct dkim_body *b, const char *p, size_t n);
/* Ends the body: writes the digest to out (up to 64 bytes) and returns its
 * length. *canon_len (if not NULL) gets the length of the whole canonical
 * body, before any l= cut. */
size_t	 dkim_body_final(struct dkim_body *b, unsigned char out[64],
	    int64_t *canon_len);

/* The fetched digest for "sha256" or "sha1" (NULL for another name);
 * thread-safe, never freed. */
const EVP_MD *dkim_md(const char *name);

/* Convenience for tests: the canonical body of p[0..n) appended to out
 * (no hash). */
void	 dkim_canon_body(enum dkim_canon c, const char *p, size_t n,
	    struct buf *out);

#endif
