/* The body canonicalisers of dkim_canon.c against their definition: the
 * byte-at-a-time state machine of RFC 6376 3.4.3 and 3.4.4, in
 * tests/dkim/canon_ref.h.
 * The first byte picks the canonicalisation, the chunk sizes and an l=
 * cut; the rest is the body. The canonical bytes, their length and their
 * digest (fed in chunks) must all agree, or the target traps. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/dkim_canon.h"
#include "../dkim/canon_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf want, got;
	struct dkim_body *b;
	unsigned char h1[64], h2[64];
	const char *p = (const char *)data + 1;
	size_t n, off, chunk, hl, cut;
	int64_t limit, clen = -1;
	bool relaxed;

	if (size < 1 || size > (1 << 20))
		return 0;
	n = size - 1;
	relaxed = data[0] & 1;
	chunk = 1 + ((data[0] >> 1) & 7) * 9;	/* 1 to 64 bytes */
	buf_init(&want, 4 * (size_t)size + 16);
	buf_init(&got, 4 * (size_t)size + 16);
	ref_body(relaxed, p, n, &want);
	dkim_canon_body(relaxed ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE, p, n,
	    &got);
	if (want.len != got.len || (want.len > 0 &&
	    memcmp(want.data, got.data, want.len) != 0))
		__builtin_trap();
	limit = data[0] & 0x80 ? (int64_t)(want.len / 2) : -1;
	b = dkim_body_new(relaxed ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE,
	    "sha256", limit);
	for (off = 0; off < n; off += chunk)
		dkim_body_update(b, p + off, n - off < chunk ? n - off : chunk);
	hl = dkim_body_final(b, h1, &clen);
	dkim_body_free(b);
	cut = limit >= 0 ? (size_t)limit : want.len;
	if (EVP_Digest(want.data, cut, h2, NULL, EVP_sha256(), NULL) != 1 ||
	    hl != 32 || memcmp(h1, h2, 32) != 0 || clen != (int64_t)want.len)
		__builtin_trap();
	buf_release(&want);
	buf_release(&got);
	return 0;
}
