/*
 * fuzz_conf.c - the configuration parser (core/conf.h) never crashes,
 * never reads past its input, and every entry it returns points at a
 * section that exists.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct conf *c;
	int i;

	c = conf_parse((const char *)data, size, err, sizeof(err));
	if (c == NULL) {
		if (strncmp(err, "line ", 5) != 0 &&
		    strncmp(err, "more than", 9) != 0)
			abort();
		return 0;
	}
	if (c->nsections < 1)
		abort();
	for (i = 0; i < c->nentries; i++) {
		if (c->entries[i].section < 0 ||
		    c->entries[i].section >= c->nsections)
			abort();
		if (conf_get(c, c->entries[i].section,
		    c->entries[i].key) == NULL)
			abort();
	}
	(void)conf_section(c, "monitor");
	conf_free(c);
	return 0;
}
