/* The DKIM-Signature parser, and the header canonicalisations over the
 * same bytes: any input gives a signature or a reason. */
#include <stdint.h>
#include <string.h>

#include "auth/dkim_sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_sig s;
	struct dkim_hdrs h;
	struct buf out;
	const char *err = NULL;
	int i;

	if (dkim_sig_parse((const char *)data, size, &s, &err) == 0) {
		if (s.b_start > s.b_end || s.b_end > size || s.nh < 1)
			__builtin_trap();
		dkim_sig_release(&s);
	} else if (err == NULL)
		__builtin_trap();
	buf_init(&out, 1 << 20);
	if (dkim_hdrs_parse((const char *)data, size, &h, &err) == 0)
		for (i = 0; i < h.n; i++) {
			dkim_canon_header(DKIM_CANON_RELAXED, h.h[i].raw, true,
			    &out);
			dkim_canon_header(DKIM_CANON_SIMPLE, h.h[i].raw, true,
			    &out);
		}
	dkim_hdrs_release(&h);
	buf_reset(&out);
	dkim_canon_body(DKIM_CANON_RELAXED, (const char *)data, size, &out);
	buf_release(&out);
	return 0;
}
