/*
 * fuzz_spf_macro.c - SPF macro syntax and expansion (RFC 7208 7) for any
 * bytes: the check and the expansion agree, the output keeps its bound,
 * target names keep 253 bytes or end at a label too long to cut, and the
 * domain-spec check never accepts what the macro check refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[] = { 0, SPF_MACRO_EXP, SPF_MACRO_DOMAIN };
	struct spf_macro_ctx c = {
		.sender = "strong-bad@email.example.com", .local = "strong-bad",
		.sender_domain = "email.example.com",
		.domain = "email.example.com", .ip = "192.0.2.3",
		.ip_text = "192.0.2.3", .ip_version = "in-addr",
		.helo = "mx.example.org", .validated = NULL,
		.receiver = "mx.example.net", .now = 1,
	};
	struct sv in = sv_make((const char *)data, size);
	char why[SPF_REASON_MAX];
	struct buf out;
	size_t i;
	bool m;

	buf_init(&out, SPF_MACRO_OUT_MAX);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int ok = spf_macro_check(in, flags[i], why);
		int r = spf_macro_expand(&c, in, flags[i], &out, why);

		/* Without p, the expansion stops at %{p}; with a syntax
		 * error it must fail wherever the error is. */
		if (ok < 0)
			ENSURE(r == SPF_MACRO_ERROR || r == SPF_MACRO_NEED_P);
		ENSURE(out.len <= SPF_MACRO_OUT_MAX);
		c.validated = "mx.example.org";
		r = spf_macro_expand(&c, in, flags[i], &out, why);
		c.validated = NULL;
		ENSURE(r == SPF_MACRO_OK || r == SPF_MACRO_ERROR);
		if (ok == 0 && r == SPF_MACRO_ERROR)
			ENSURE(strstr(why, "longer") != NULL);
		if (r == SPF_MACRO_OK && (flags[i] & SPF_MACRO_DOMAIN) &&
		    out.len > 253)
			ENSURE(memchr(out.data, '.', out.len - 253) == NULL);
	}
	if (spf_domain_spec_check(in, &m, why) == 0)
		ENSURE(spf_macro_check(in, 0, why) == 0 && in.n > 0);
	buf_release(&out);
	return 0;
}
