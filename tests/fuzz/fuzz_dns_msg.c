/*
 * fuzz_dns_msg.c - libFuzzer target for the DNS wire decoder: any bytes
 * must decode or fail with a reason, and a decoded message must be fully
 * readable (names terminated, owned buffers as long as they claim).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns/dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg m;
	const char *err = NULL;
	volatile size_t sink = 0;
	int i;

	if (dns_msg_decode(data, size, &m, &err) == -1) {
		if (err == NULL || m.answer != NULL || m.nanswer != 0)
			__builtin_trap();
		return 0;
	}
	for (i = 0; i < m.nanswer; i++) {
		const struct dns_rr *rr = &m.answer[i];

		sink += strlen(rr->name) + strlen(dns_type_name(rr->type));
		switch (rr->type) {
		case DNS_T_MX:
			sink += strlen(rr->u.mx.host);
			break;
		case DNS_T_CNAME:
		case DNS_T_PTR:
		case DNS_T_NS:
			sink += strlen(rr->u.target);
			break;
		case DNS_T_TXT:
			if (strlen(rr->u.txt.data) > rr->u.txt.len ||
			    rr->u.txt.data[rr->u.txt.len] != '\0')
				__builtin_trap();
			sink += rr->u.txt.len;
			break;
		case DNS_T_TLSA:
			if (rr->u.tlsa.len > 0)
				sink += rr->u.tlsa.data[rr->u.tlsa.len - 1];
			break;
		case DNS_T_A:
		case DNS_T_AAAA:
			break;
		default:
			if (rr->u.raw.len > 0)
				sink += rr->u.raw.data[rr->u.raw.len - 1];
			break;
		}
	}
	dns_msg_release(&m);
	(void)sink;
	return 0;
}
