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
	/* A parser thread reads a part of a file without the year state of
	 * the lines before it: it starts from a guess and keeps the first
	 * stamp that read the state, to be checked against the state once
	 * it is known (logtime_probe_holds). */
	bool		 probing;
	struct logtime_probe {
		bool	 seen;
		bool	 exact;		/* only the guess itself will do */
		int	 mon, day, h, mi, s;
		int	 year;		/* what the guess gave it */
	}		 probe;
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
/* Starts probing from a guessed year state (year 0: no stamp yet). */
void	logtime_probe_start(struct logtime *t, int year, int last_mon);
/* Whether the lines read while probing from the guess (year, last_mon)
 * got the times they would have got had they been read after the state
 * of t: the first stamp gets the same year (the later ones follow from
 * it), or no stamp read the state at all. */
bool	logtime_probe_holds(const struct logtime *t, int year, int last_mon,
	    const struct logtime_probe *pr);
/* Parses a user's time: RFC 3339, "YYYY-MM-DD[ HH:MM[:SS]]" (in the zone
 * of t) or a duration back from now_s ("30m", "12h", "7d"). -1 if invalid. */
int	logtime_parse_arg(struct logtime *t, const char *s, int64_t now_s,
	    int64_t *us);
/* Days since 1970-01-01 of a proleptic Gregorian date (mon 1..12). */
int64_t	logtime_days(int64_t y, int mon, int day);
/* Parses a zone for --tz: "UTC", "local", "+0100", "-05:30". -1 if bad. */
int	logtime_parse_zone(const char *s, enum logtime_zone *z, long *off_s);

#endif
