/*
 * fuzz_logs_opensmtpd.c - the opensmtpd line parser must be total and
 * bounded for any bytes (the checks are in fuzz_logs_line.h).
 */
#include "fuzz_logs_line.h"


static void
parse(const char *p, size_t n, struct log_event *ev)
{
	logs_opensmtpd_parse(p, n, ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_logs_run(data, size,
	    "Apr 10 09:01:30 gw smtpd[4101]: ", parse);
}
