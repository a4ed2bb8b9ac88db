/*
 * fuzz_logs_sendmail.c - the sendmail line parser must be total and
 * bounded for any bytes (the checks are in fuzz_logs_line.h).
 */
#include "fuzz_logs_line.h"


static void
parse(const char *p, size_t n, struct log_event *ev)
{
	logs_sendmail_parse(p, n, ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_logs_run(data, size,
	    "Mar  3 10:05:31 relay sendmail[2004]: ", parse);
}
