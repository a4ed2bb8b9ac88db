/* DMARC records: any bytes give a record with notes, never a crash. */
#include <stdint.h>
#include <string.h>

#include "auth/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dmarc_record r;
	int i;

	(void)dmarc_is_record((const char *)data, size);
	if (dmarc_parse((const char *)data, size, &r) == 0 && !r.valid)
		__builtin_trap();
	if (r.nnote > DMARC_NOTES_MAX || r.nrua > DMARC_URIS_MAX ||
	    r.nruf > DMARC_URIS_MAX || r.pct < 0 || r.pct > 100)
		__builtin_trap();
	for (i = 0; i < r.nrua; i++)
		if (strlen(r.rua[i].uri) >= DMARC_URI_MAX)
			__builtin_trap();
	return 0;
}
