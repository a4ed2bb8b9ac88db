/*
 * fuzz_logs_postfix.c - the postfix line parser must be total and
 * bounded for any bytes (the checks are in fuzz_logs_line.h).
 */
#include "fuzz_logs_line.h"

/* The agent is chosen by the first byte, so every reader gets fuzzed. */
static const struct sv agents[] = {
	{ "smtp", 4 }, { "lmtp", 4 }, { "qmgr", 4 }, { "cleanup", 7 },
	{ "error", 5 }, { "local", 5 },
};

static void
parse(const char *p, size_t n, struct log_event *ev)
{
	logs_postfix_parse(agents[n ? (unsigned char)p[0] % 6 : 0], p, n, ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_logs_run(data, size,
	    "Nov 28 08:43:18 mx postfix/smtp[123]: ", parse);
}
