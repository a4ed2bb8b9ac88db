/* MTA-STS TXT records and policies, TLS-RPT records, mx: matching: any
 * bytes give a result with notes, never a crash. */
#include <stdint.h>
#include <string.h>

#include "auth/mtasts.h"
#include "auth/tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mtasts_txt t;
	static struct mtasts_policy p;
	static struct tlsrpt_record r;
	char host[300];
	size_t n;
	int i;

	(void)mtasts_txt_parse((const char *)data, size, &t);
	(void)tlsrpt_parse((const char *)data, size, &r);
	if (mtasts_policy_parse((const char *)data, size, &p) == 0 &&
	    p.mode == MTASTS_MODE_UNSET)
		__builtin_trap();
	if (p.nmx > MTASTS_MX_MAX || p.max_age > MTASTS_MAX_AGE)
		__builtin_trap();
	/* The first line, as a host name, against every pattern. */
	for (n = 0; n < size && n < sizeof(host) - 1 && data[n] != '\n' &&
	    data[n] != '\0'; n++)
		host[n] = (char)data[n];
	host[n] = '\0';
	for (i = 0; i < p.nmx; i++)
		(void)mtasts_mx_match(p.mx[i], host);
	return 0;
}
