#include "core/mtime.h"

#include <stdbool.h>
#include <stdio.h>

static bool	fake;
static int64_t	fake_now, fake_step;

void
mtime_set_fake(int64_t wall_us, int64_t step_us)
{
	fake = true;
	fake_now = wall_us;
	fake_step = step_us;
}

static int64_t
read_clock(clockid_t id)
{
	struct timespec ts;

	if (fake) {
		int64_t v = fake_now;

		fake_now += fake_step;
		return v;
	}
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mtime_mono_us(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

int64_t
mtime_wall_us(void)
{
	return read_clock(CLOCK_REALTIME);
}

void
mtime_rfc3339(int64_t us, char out[32])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	char date[24];

	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", date, (int)((us / 1000) % 1000));
}
