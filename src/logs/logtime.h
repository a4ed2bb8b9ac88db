/*
 * logtime.h - the time stamps mail logs start with.
 *
 * Three shapes are read, each at the start of a line:
 *   classic syslog   "Nov 28 08:43:18" (no year, local time)
 *   RFC 3339         "2026-11-28T08:43:18.123456+01:00" (rsyslog's high
 *                    precision format), "...Z", and journalctl -o short-iso's
 *                    "2026-11-28T08:43:18+0100"
 *   Exim's own       "2026-11-28 08:43:18[.123] [+0100]" (local unless an
 *                    offset follows, as with log_timezone)
 * A syslog stamp has no year: the first one of a file gets the reference
 * year (the file's modification time, or the year given by the user) unless
 * it would then lie more than a day after the reference, and later stamps
 * follow the calendar: December followed by January is New Year. Local times
 * are converted with the zone given to logtime_init().
 *
 * The parser is pure but for the year and zone caches in struct logtime;
 * it reads at most n bytes and never fails loudly: no stamp, 0 consumed.
 */
#ifndef MXDOC_LOGS_LOGTIME_H
#define MXDOC_LOGS_LOGTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum logtime_zone {
	LOGTIME_LOCAL,		/* the process's zone (TZ), with DST rules */
	LOGTIME_FIXED,		/* a fixed offset east of UTC */
};

struct logtime {
	int64_t		 ref_s;		/* reference time, Unix seconds */
	int		 ref_year;
	int		 year;		/* year of the last syslog stamp; 0: none yet */
	int		 last_mon;	/* its month, 0..11 */
	enum logtime_zone zone;
	long		 off_s;		/* LOGTIME_FIXED: seconds east of UTC */
	int64_t		 cache_key;	/* local hour whose offset is cached */
	long		 cache_off;
	/* The last syslog stamp read (its 15 bytes, no fraction) and its
	 * time: consecutive lines mostly share their second. */
	char		 stamp[15];
	bool		 stamp_ok;
	int64_t		 stamp_us;
};

/* Starts a file: ref_s is the time its last line was written (its mtime),
 * or the end of the year the user named. */
void	logtime_init(struct logtime *t, int64_t ref_s, enum logtime_zone z,
	    long off_s);
/* A new file with the same zone: resets the year inference. */
void	logtime_reset(struct logtime *t, int64_t ref_s);
/* Reads a stamp at the start of p: returns the bytes it took (0 when p does
 * not start with one) and the time in *us (UTC microseconds since 1970). */
size_t	logtime_parse(struct logtime *t, const char *p, size_t n, int64_t *us);
/* Parses a user's time: RFC 3339, "YYYY-MM-DD[ HH:MM[:SS]]" (in the zone
 * of t) or a duration back from now_s ("30m", "12h", "7d"). -1 if invalid. */
int	logtime_parse_arg(struct logtime *t, const char *s, int64_t now_s,
	    int64_t *us);
/* Days since 1970-01-01 of a proleptic Gregorian date (mon 1..12). */
int64_t	logtime_days(int64_t y, int mon, int day);
/* Parses a zone for --tz: "UTC", "local", "+0100", "-05:30". -1 if bad. */
int	logtime_parse_zone(const char *s, enum logtime_zone *z, long *off_s);

#endif
