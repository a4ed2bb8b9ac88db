/*
 * logtime.c - time stamps of mail logs (see logtime.h).
 *
 * Hand-written readers rather than strptime(): this runs once per log line,
 * and strptime() takes locks, honours the locale and cannot say how far it
 * read. Dates are turned into days with Howard Hinnant's days_from_civil,
 * so no libc call is made on the hot path; a local zone's offset is asked
 * of mktime() once per hour of local time and cached.
 */
#include "logs/logtime.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

/* mktime() reads the zone anew (tzset()) each time, under a lock of the
 * C library's that thread checkers do not see: parser threads take this
 * one around it. It is taken once an hour of log at most. */
static pthread_mutex_t zone_mu = PTHREAD_MUTEX_INITIALIZER;

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
static const unsigned char mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
    31, 30, 31 };

int64_t
logtime_days(int64_t y, int mon, int day)
{
	int64_t era, yoe, doy, doe;

	y -= mon <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
year_of(int64_t s)
{
	time_t t = (time_t)s;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 1970;
	return tm.tm_year + 1900;
}

void
logtime_reset(struct logtime *t, int64_t ref_s)
{
	t->ref_s = ref_s;
	t->ref_year = year_of(ref_s);
	t->year = 0;
	t->last_mon = 0;
	t->stamp_ok = false;
}

void
logtime_init(struct logtime *t, int64_t ref_s, enum logtime_zone z,
    long off_s)
{
	memset(t, 0, sizeof(*t));
	t->zone = z;
	t->off_s = off_s;
	t->cache_key = INT64_MIN;
	logtime_reset(t, ref_s);
}

/* Seconds east of UTC in effect at a local civil time (given as seconds
 * as if it were UTC). */
static long
local_offset(struct logtime *t, int64_t civil)
{
	int64_t key = civil >= 0 ? civil / 3600 : (civil - 3599) / 3600;
	struct tm tm;
	time_t g, l;

	if (t->zone == LOGTIME_FIXED)
		return t->off_s;
	if (key == t->cache_key)
		return t->cache_off;
	g = (time_t)(key * 3600);
	if (gmtime_r(&g, &tm) == NULL)
		return 0;
	tm.tm_isdst = -1;
	pthread_mutex_lock(&zone_mu);
	l = mktime(&tm);
	pthread_mutex_unlock(&zone_mu);
	t->cache_key = key;
	t->cache_off = l == (time_t)-1 ? 0 : (long)(g - l);
	return t->cache_off;
}

static bool
dig(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly w digits at p. */
static bool
num(const char *p, int w, int *out)
{
	int v = 0, i;

	for (i = 0; i < w; i++) {
		if (!dig(p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

static bool
valid(int mon, int day, int h, int mi, int s)
{
	return mon >= 1 && mon <= 12 && day >= 1 && day <= mdays[mon - 1] &&
	    h <= 23 && mi <= 59 && s <= 60;
}

/* Optional fraction at p: returns bytes taken, microseconds in *us. */
static size_t
fraction(const char *p, size_t n, int64_t *us)
{
	size_t i = 1;
	int64_t v = 0, scale = 100000;

	*us = 0;
	if (n < 2 || (p[0] != '.' && p[0] != ',') || !dig(p[1]))
		return 0;
	for (; i < n && dig(p[i]); i++) {
		if (scale > 0) {
			v += (p[i] - '0') * scale;
			scale /= 10;
		}
		if (i > 12)
			return 0;
	}
	*us = v;
	return i;
}

/* Zone at p: "Z", "+HH:MM", "+HHMM" (also "+HH"). Returns bytes taken. */
static size_t
zone(const char *p, size_t n, long *off)
{
	int h, m = 0;
	size_t k;

	if (n >= 1 && (p[0] == 'Z' || p[0] == 'z')) {
		*off = 0;
		return 1;
	}
	if (n < 3 || (p[0] != '+' && p[0] != '-') || !num(p + 1, 2, &h))
		return 0;
	k = 3;
	if (n >= 6 && p[3] == ':' && num(p + 4, 2, &m))
		k = 6;
	else if (n >= 5 && num(p + 3, 2, &m))
		k = 5;
	if (h > 23 || m > 59)
		return 0;
	*off = (long)(h * 3600 + m * 60) * (p[0] == '-' ? -1 : 1);
	return k;
}

static int64_t
civil_seconds(int64_t y, int mon, int day, int h, int mi, int s)
{
	return logtime_days(y, mon, day) * 86400 + h * 3600 + mi * 60 + s;
}

static size_t
parse_iso(struct logtime *t, const char *p, size_t n, int64_t *us)
{
	int y, mon, day, h, mi, s;
	int64_t frac = 0, civil;
	long off;
	size_t k, z;
	bool have_zone = false;

	if (n < 19 || !num(p, 4, &y) || p[4] != '-' || !num(p + 5, 2, &mon) ||
	    p[7] != '-' || !num(p + 8, 2, &day) ||
	    (p[10] != 'T' && p[10] != ' ' && p[10] != 't') ||
	    !num(p + 11, 2, &h) || p[13] != ':' || !num(p + 14, 2, &mi) ||
	    p[16] != ':' || !num(p + 17, 2, &s) || !valid(mon, day, h, mi, s))
		return 0;
	k = 19;
	k += fraction(p + k, n - k, &frac);
	if ((z = zone(p + k, n - k, &off)) > 0) {
		have_zone = true;
		k += z;
	} else if (p[10] == ' ' && k + 6 <= n && p[k] == ' ' &&
	    (z = zone(p + k + 1, n - k - 1, &off)) >= 5) {
		/* Exim with log_timezone: "2026-11-28 08:43:18 +0100". */
		have_zone = true;
		k += 1 + z;
	}
	civil = civil_seconds(y, mon, day, h, mi, s);
	if (!have_zone)
		off = local_offset(t, civil);
	*us = (civil - off) * 1000000 + frac;
	return k;
}

/* The year of a syslog stamp read after a stamp of year (0: none) and
 * month last_mon (1..12). */
static int
infer_year(int year, int last_mon, const struct logtime *t, int mon, int day,
    int h, int mi, int s)
{
	int y;

	if (year == 0) {
		/* The first stamp: the reference year, unless that puts it
		 * after the reference (a day of slack for zones). */
		y = t->ref_year;
		if (civil_seconds(y, mon, day, h, mi, s) > t->ref_s + 86400)
			y--;
	} else {
		y = year;
		if (mon < last_mon - 5)
			y++;		/* December, then January */
		else if (mon > last_mon + 5)
			y--;		/* an older line after New Year */
	}
	return y;
}

void
logtime_probe_start(struct logtime *t, int year, int last_mon)
{
	t->year = year;
	t->last_mon = last_mon;
	t->stamp_ok = false;
	t->probing = true;
	memset(&t->probe, 0, sizeof(t->probe));
}

bool
logtime_probe_holds(const struct logtime *t, int year, int last_mon,
    const struct logtime_probe *pr)
{
	if (!pr->seen)
		return true;
	if (pr->exact)
		return t->year == year && t->last_mon == last_mon;
	return infer_year(t->year, t->last_mon, t, pr->mon, pr->day, pr->h,
	    pr->mi, pr->s) == pr->year;
}

static size_t
parse_syslog(struct logtime *t, const char *p, size_t n, int64_t *us)
{
	int mon, day, h, mi, s, y;
	const char *m;
	int64_t civil, frac = 0;
	size_t k;
	bool first;

	if (n < 15 || p[3] != ' ')
		return 0;
	for (m = months; *m != '\0'; m += 3)
		if (m[0] == p[0] && m[1] == p[1] && m[2] == p[2])
			break;
	if (*m == '\0')
		return 0;
	mon = (int)((m - months) / 3) + 1;
	if (p[4] == ' ' && dig(p[5]))
		day = p[5] - '0';
	else if (!num(p + 4, 2, &day))
		return 0;
	if (p[6] != ' ' || !num(p + 7, 2, &h) || p[9] != ':' ||
	    !num(p + 10, 2, &mi) || p[12] != ':' || !num(p + 13, 2, &s) ||
	    !valid(mon, day, h, mi, s))
		return 0;
	k = 15 + fraction(p + 15, n - 15, &frac);
	y = infer_year(t->year, t->last_mon, t, mon, day, h, mi, s);
	first = t->probing && !t->probe.seen;
	if (first) {
		t->probe.seen = true;
		t->probe.mon = mon;
		t->probe.day = day;
		t->probe.h = h;
		t->probe.mi = mi;
		t->probe.s = s;
		t->probe.year = y;
	}
	if (mon == 2 && day == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))) {
		/* the state was read but not set: the next stamp reads the
		 * guess again, which then has to be the state itself */
		if (first)
			t->probe.exact = true;
		return 0;
	}
	t->year = y;
	t->last_mon = mon;
	civil = civil_seconds(y, mon, day, h, mi, s);
	*us = (civil - local_offset(t, civil)) * 1000000 + frac;
	if (k == 15) {
		/* The same 15 bytes again give the same time: the year they
		 * get is the one just set, the zone's offset is a function
		 * of the civil time. */
		memcpy(t->stamp, p, 15);
		t->stamp_us = *us;
		t->stamp_ok = true;
	} else
		t->stamp_ok = false;
	return k;
}

size_t
logtime_parse(struct logtime *t, const char *p, size_t n, int64_t *us)
{
	*us = 0;
	if (n == 0)
		return 0;
	if (dig(p[0]))
		return parse_iso(t, p, n, us);
	if (t->stamp_ok && n >= 15 && (n == 15 || p[15] == ' ') &&
	    memcmp(p, t->stamp, 15) == 0) {
		*us = t->stamp_us;
		return 15;
	}
	return parse_syslog(t, p, n, us);
}

int
logtime_parse_zone(const char *s, enum logtime_zone *z, long *off_s)
{
	size_t n = strlen(s);

	if (strcasecmp(s, "local") == 0) {
		*z = LOGTIME_LOCAL;
		*off_s = 0;
		return 0;
	}
	*z = LOGTIME_FIXED;
	if (strcasecmp(s, "UTC") == 0 || strcasecmp(s, "GMT") == 0 ||
	    strcmp(s, "Z") == 0) {
		*off_s = 0;
		return 0;
	}
	if (n < 3 || zone(s, n, off_s) != n)
		return -1;
	return 0;
}

int
logtime_parse_arg(struct logtime *t, const char *s, int64_t now_s,
    int64_t *us)
{
	size_t n = strlen(s), k;
	int y, mon, day, h = 0, mi = 0, sec = 0;
	int64_t civil, v = 0;

	if (n >= 2 && dig(s[0]) && strchr("smhdw", s[n - 1]) != NULL &&
	    strspn(s, "0123456789") == n - 1 && n <= 10) {
		for (k = 0; k + 1 < n; k++)
			v = v * 10 + (s[k] - '0');
		switch (s[n - 1]) {
		case 'm': v *= 60; break;
		case 'h': v *= 3600; break;
		case 'd': v *= 86400; break;
		case 'w': v *= 7 * 86400; break;
		default: break;
		}
		*us = (now_s - v) * 1000000;
		return 0;
	}
	if (n >= 19 && (k = parse_iso(t, s, n, us)) == n)
		return 0;
	if (n != 10 && n != 16)
		return -1;
	if (!num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mon) ||
	    s[7] != '-' || !num(s + 8, 2, &day))
		return -1;
	if (n == 16 && ((s[10] != ' ' && s[10] != 'T') || !num(s + 11, 2, &h) ||
	    s[13] != ':' || !num(s + 14, 2, &mi)))
		return -1;
	if (!valid(mon, day, h, mi, sec))
		return -1;
	civil = civil_seconds(y, mon, day, h, mi, sec);
	*us = (civil - local_offset(t, civil)) * 1000000;
	return 0;
}
