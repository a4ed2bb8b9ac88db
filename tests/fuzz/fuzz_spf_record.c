/*
 * fuzz_spf_record.c - the SPF record parser (RFC 7208 12) must be total
 * and bounded for any bytes: a record or a reason, never both, and what it
 * returns is consistent (modifier indexes, prefix lengths, lookups).
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
	struct spf_record *r = NULL;
	char why[SPF_REASON_MAX];
	int i, dns = 0;

	why[0] = '\0';
	if (spf_record_parse((const char *)data, size, &r, why) < 0) {
		ENSURE(r == NULL);
		ENSURE(why[0] != '\0' && strnlen(why, sizeof(why)) < sizeof(why));
		return 0;
	}
	ENSURE(r != NULL && spf_is_record((const char *)data, size));
	ENSURE(r->nterm >= 0 && r->nterm <= SPF_TERMS_MAX);
	ENSURE(r->redirect < r->nterm && r->exp < r->nterm);
	ENSURE(r->redirect < 0 || r->term[r->redirect].kind == SPF_T_REDIRECT);
	ENSURE(r->exp < 0 || r->term[r->exp].kind == SPF_T_EXP);
	for (i = 0; i < r->nterm; i++) {
		const struct spf_term *t = &r->term[i];

		ENSURE(t->text != NULL && t->text[0] != '\0');
		ENSURE(strchr(t->text, ' ') == NULL);
		ENSURE(t->kind != SPF_T_REDIRECT || t->spec != NULL);
		ENSURE(t->kind != SPF_T_EXP || t->spec != NULL);
		if (t->kind == SPF_T_REDIRECT)
			dns++;
		if (t->kind != SPF_T_MECH)
			continue;
		ENSURE(t->cidr4 >= 0 && t->cidr4 <= 32);
		ENSURE(t->cidr6 >= 0 && t->cidr6 <= 128);
		ENSURE(t->mech != SPF_M_INCLUDE || t->spec != NULL);
		ENSURE(t->mech != SPF_M_EXISTS || t->spec != NULL);
		ENSURE(t->mech != SPF_M_ALL || t->spec == NULL);
		if (t->mech != SPF_M_ALL && t->mech != SPF_M_IP4 &&
		    t->mech != SPF_M_IP6)
			dns++;
	}
	ENSURE(dns == r->dns_terms);
	ENSURE(spf_record_free(r) == NULL);
	return 0;
}
