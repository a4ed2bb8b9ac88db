/*
 * mtime.h - clocks.
 *
 * Durations come from the monotonic clock, wall times from the real-time
 * clock; both go through this module so that tests can set a fake clock
 * (mtime_set_fake) and golden output stays stable.
 */
#ifndef MXDOC_CORE_MTIME_H
#define MXDOC_CORE_MTIME_H

#include <stdint.h>
#include <time.h>

/* Monotonic microseconds since an arbitrary origin. */
int64_t	 mtime_mono_us(void);
/* Wall-clock microseconds since the Unix epoch. */
int64_t	 mtime_wall_us(void);
/* Formats us (Unix epoch, microseconds) as RFC 3339 UTC with milliseconds:
 * 2026-11-28T08:43:18.123Z. out must hold 32 bytes. */
void	 mtime_rfc3339(int64_t us, char out[32]);
/* Makes both clocks return fixed values that advance by step_us per call;
 * for golden tests only. */
void	 mtime_set_fake(int64_t wall_us, int64_t step_us);
/* Milliseconds between two monotonic readings, as a double. */
static inline double
mtime_ms(int64_t from_us, int64_t to_us)
{
	return (double)(to_us - from_us) / 1000.0;
}

#endif
