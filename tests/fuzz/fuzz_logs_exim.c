/*
 * fuzz_logs_exim.c - the exim line parser must be total and
 * bounded for any bytes (the checks are in fuzz_logs_line.h).
 */
#include "fuzz_logs_line.h"


static void
parse(const char *p, size_t n, struct log_event *ev)
{
	logs_exim_parse(p, n, ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_logs_run(data, size,
	    "2025-02-11 08:00:02 ", parse);
}
