/*
 * fuzz_bl_catalogue.c - the blocklist catalogue parser must be total and
 * bounded: any input gives a catalogue or a reason naming a line, and what
 * it accepts holds its invariants (valid names, codes in range, the
 * enabled count right). Each accepted code list is also fed through the
 * answer interpreter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl/answer.h"
#include "bl/catalogue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_catalogue *c;
	char err[256];
	int i, k, enabled = 0;

	err[0] = '\0';
	c = bl_catalogue_parse((const char *)data, size, err, sizeof(err));
	if (c == NULL) {
		ENSURE(err[0] != '\0' && strlen(err) < sizeof(err));
		return 0;
	}
	ENSURE(c->nzones > 0 && c->nzones <= BL_ZONES_MAX);
	for (i = 0; i < c->nzones; i++) {
		const struct bl_zone *z = &c->zones[i];
		struct bl_interp r;
		uint32_t a[2];
		const char *p;

		ENSURE(z->name != NULL && z->name[0] != '\0');
		ENSURE(strlen(z->name) <= BL_ZONE_NAME_MAX);
		for (p = z->name; *p; p++)
			ENSURE(!(*p >= 'A' && *p <= 'Z'));
		ENSURE(z->kinds != 0 && (z->kinds & ~7u) == 0);
		ENSURE(z->line >= 2);
		ENSURE(bl_catalogue_find(c, z->name) == z);
		ENSURE(z->ncodes <= BL_CODES_MAX && z->nrefused <= BL_CODES_MAX);
		for (k = 0; k < z->ncodes; k++) {
			ENSURE(z->codes[k].lo <= z->codes[k].hi);
			ENSURE(z->codes[k].meaning != NULL &&
			    strlen(z->codes[k].meaning) <= BL_MEANING_MAX);
			a[0] = (uint32_t)z->codes[k].net[0] << 24 |
			    (uint32_t)z->codes[k].net[1] << 16 |
			    (uint32_t)z->codes[k].net[2] << 8 |
			    (z->codes[k].bit ? z->codes[k].bit : z->codes[k].lo);
			ENSURE(bl_code_match(&z->codes[k], a[0]));
			a[1] = 0x7f000001;
			bl_interpret(z, DNS_OK, a, 2, &r);
			ENSURE(r.answer != BL_ANS_CLEAN && r.answer !=
			    BL_ANS_ERROR);
			ENSURE(strlen(r.meaning) < sizeof(r.meaning));
		}
		enabled += z->enabled;
	}
	ENSURE(enabled == c->nenabled);
	bl_catalogue_free(c);
	return 0;
}
