/*
 * fuzz_dns_bulk.c - libFuzzer target for the bulk stub client's matcher of
 * replies (dns_bulk_answer): any datagram, taken as a reply to a few
 * queries (its own first two bytes as their id, so that the question,
 * flags and records are reached), must be ignored, settled or handed back,
 * and what it fills must be consistent and fully readable.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/bulk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char	*name;
		uint16_t	 type;
	} q[] = {
		{ "2.0.0.127.zen.test", DNS_T_A },
		{ "2.0.0.127.zen.test", DNS_T_TXT },
		{ "example.com", DNS_T_A },
		{ "Mixed-Case.Example", DNS_T_AAAA },
		{ ".", DNS_T_A },
	};
	uint8_t pkt[DNS_BULK_QUERY_MAX];
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	volatile size_t sink = 0;
	size_t k;
	int i, len;

	for (k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
		struct dns_answer a;
		enum dns_bulk_outcome o;

		len = dns_bulk_encode(pkt, sizeof(pkt), id, q[k].name,
		    q[k].type);
		if (len < 0)
			__builtin_trap();
		o = dns_bulk_answer(data, size, pkt, (size_t)len, &a);
		if (o == DNS_BULK_IGNORED) {
			if (a.rr != NULL || a.canonical != NULL ||
			    a.msg.answer != NULL || a.nrr != 0)
				__builtin_trap();
			continue;
		}
		if (o == DNS_BULK_SETTLED) {
			if (a.canonical == NULL || a.nrr > a.msg.nanswer ||
			    (a.status == DNS_OK) != (a.nrr > 0) ||
			    (a.status != DNS_OK && a.status != DNS_NODATA &&
			    a.status != DNS_NXDOMAIN))
				__builtin_trap();
			sink += strlen(a.canonical);
		} else if (a.status == DNS_OK || a.status == DNS_NODATA ||
		    a.nrr != 0)
			__builtin_trap();
		for (i = 0; i < a.nrr; i++) {
			if (a.rr[i] < a.msg.answer ||
			    a.rr[i] >= a.msg.answer + a.msg.nanswer ||
			    a.rr[i]->type != q[k].type)
				__builtin_trap();
			sink += strlen(a.rr[i]->name);
			if (a.rr[i]->type == DNS_T_TXT)
				sink += a.rr[i]->u.txt.len;
		}
		dns_bulk_answer_release(&a);
	}
	(void)sink;
	return 0;
}
