/*
 * fuzz_logs_time.c - the time-stamp readers (logs/logtime.h) must be total
 * for any bytes: never read past n, never take more than they were given,
 * and keep the year inference sane over a run of stamps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "logs/logtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct logtime t;
	enum logtime_zone z;
	char *s;
	int64_t us;
	long off;
	size_t k, i;

	/* The input exactly, so that ASan sees a read past its end. */
	logtime_init(&t, 1764319398, LOGTIME_FIXED, 3600);
	k = logtime_parse(&t, p, size, &us);
	ENSURE(k <= size);
	ENSURE(k > 0 || us == 0);
	/* Every suffix, as lines of one file. */
	for (i = 0; i < size; i++) {
		k = logtime_parse(&t, p + i, size - i, &us);
		ENSURE(k <= size - i);
	}
	logtime_init(&t, 0, LOGTIME_LOCAL, 0);
	(void)logtime_parse(&t, p, size, &us);
	s = xstrndup(p, size);
	(void)logtime_parse_arg(&t, s, 1764319398, &us);
	if (logtime_parse_zone(s, &z, &off) == 0)
		ENSURE(off > -86400 && off < 86400);
	free(s);
	return 0;
}
