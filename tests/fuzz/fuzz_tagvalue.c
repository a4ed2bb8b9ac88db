/* The shared tag=value parser: any bytes give a list or a reason. */
#include <stdint.h>
#include <string.h>

#include "auth/tagvalue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tv_list l;
	const char *err;
	size_t at;
	char out[512];
	int i;

	if (tv_parse((const char *)data, size, &l, &err, &at) == 0) {
		for (i = 0; i < l.n; i++) {
			(void)tv_get(&l, "p");
			(void)tv_nows(l.tag[i].value, out, sizeof(out));
		}
	} else if (err == NULL || at > size)
		__builtin_trap();
	return 0;
}
