/* The DKIM key record parser: any TXT data gives a key or a reason. */
#include <stdint.h>
#include <string.h>

#include "auth/dkim_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dkim_key k;
	const char *err = NULL;

	if (dkim_key_parse((const char *)data, size, &k, &err) == 0) {
		if (k.plen > sizeof(k.p) || k.revoked != (k.plen == 0))
			__builtin_trap();
	} else if (err == NULL)
		__builtin_trap();
	return 0;
}
