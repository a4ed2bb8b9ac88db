/*
 * canon_ref.h - the DKIM body canonicalisations written the slow way, one
 * byte at a time, straight from RFC 6376 3.4.3 and 3.4.4: the definition
 * that the span-wise code of src/auth/dkim_canon.c must match byte for
 * byte. Shared by tests/unit/test_dkim.c and tests/fuzz/fuzz_dkim_canon.c.
 */
#ifndef MXDOC_TESTS_DKIM_CANON_REF_H
#define MXDOC_TESTS_DKIM_CANON_REF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

struct ref_body {
	bool	 relaxed, cr, wsp, any;
	size_t	 nl;
	struct buf *out;
};

static void
ref_char(struct ref_body *r, char c)
{
	if (r->relaxed && (c == ' ' || c == '\t')) {
		r->wsp = true;
		return;
	}
	for (; r->nl > 0; r->nl--)
		buf_append(r->out, "\r\n", 2);
	if (r->wsp)
		buf_putc(r->out, ' ');
	r->wsp = false;
	buf_putc(r->out, c);
	r->any = true;
}

static void
ref_body(bool relaxed, const char *p, size_t n, struct buf *out)
{
	struct ref_body r = { relaxed, false, false, false, 0, out };
	size_t i;

	for (i = 0; i < n; i++) {
		if (r.cr) {
			r.cr = false;
			if (p[i] == '\n') {
				r.wsp = false;
				r.nl++;
				continue;
			}
			ref_char(&r, '\r');
		}
		if (p[i] == '\r')
			r.cr = true;
		else if (p[i] == '\n') {
			r.wsp = false;
			r.nl++;
		} else
			ref_char(&r, p[i]);
	}
	if (r.cr)
		ref_char(&r, '\r');
	if (r.any || !relaxed)
		buf_append(out, "\r\n", 2);
}

#endif
