/*
 * fuzz_ehlo.c - the EHLO parser must be total, keep its bounds and own
 * (and free) exactly what it allocates, for any bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/ehlo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_ehlo e;
	uint32_t bit, known = 0, known_auth = 0;
	int i;

	for (bit = 1; bit != 0; bit <<= 1) {
		if (smtp_cap_name(bit) != NULL)
			known |= bit;
		if (smtp_auth_name(bit) != NULL)
			known_auth |= bit;
	}
	smtp_ehlo_parse(&e, (const char *)data, size);
	ENSURE(strnlen(e.name, sizeof(e.name)) < sizeof(e.name));
	ENSURE((e.caps & ~known) == 0);
	ENSURE((e.auth & ~known_auth) == 0);
	ENSURE(e.auth == 0 || (e.caps & SMTP_CAP_AUTH));
	ENSURE(!e.size_given || (e.caps & SMTP_CAP_SIZE));
	ENSURE(e.size_given || e.size == 0);
	ENSURE(e.masked >= 0);
	ENSURE(e.nother >= 0 && e.nother <= SMTP_EHLO_MAX_OTHER);
	for (i = 0; i < e.nother; i++)
		ENSURE(e.other[i] != NULL && strlen(e.other[i]) <= 64);
	smtp_ehlo_release(&e);
	ENSURE(e.nother == 0);
	return 0;
}
