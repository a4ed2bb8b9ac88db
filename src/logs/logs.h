/*
 * logs.h - `mxdoc logs`: what is failing in mail-server logs, since when,
 * to whom, why, and what to do (doc/logs.md).
 *
 * One streaming pass: each line is parsed (logline.h), filtered, and folded
 * into counters per destination domain, per cause and per reply text.
 * State is bounded by the messages in flight (a queue id lives from its
 * first line to "removed"/"Completed", and the oldest are swept when there
 * are too many) and by the distinct destinations; every list kept for the
 * report (replies per cause, relays and samples per destination, unparsed
 * line numbers) has a fixed cap.
 *
 * The caller owns the struct logs; the result returned by logs_finish()
 * belongs to it and lives until logs_free(). Errors: logs_read_file()
 * returns -1 with a message when a file cannot be opened or read; bad
 * lines are never an error, they are counted as unparsed.
 */
#ifndef MXDOC_LOGS_LOGS_H
#define MXDOC_LOGS_LOGS_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "classify/cause.h"
#include "logs/logline.h"
#include "logs/logtime.h"

#define LOGS_SAMPLES		5	/* queue ids kept per destination */
#define LOGS_REPLY_SAMPLES	3	/* queue ids kept per reply text */
#define LOGS_REPLIES_MAX	256	/* distinct texts kept per cause */
#define LOGS_RELAYS_MAX		16	/* relays kept per destination */
#define LOGS_UNPARSED_KEPT	100	/* unparsed line numbers kept */
#define LOGS_REPLY_TEXT_MAX	400	/* bytes of a reply text kept */
#define LOGS_SERIES_MAX		4096	/* buckets per time series */
#define LOGS_SERIES_BUDGET	(1 << 23) /* buckets of all series */
#define LOGS_RATE_WINDOW	10	/* minutes before throttling */

/* Called for each failure as it is folded (--follow prints it). */
typedef void logs_failure_cb(void *arg, const struct log_event *ev,
		    struct sv rcpt, const struct cause *c);

struct logs_params {
	int64_t		 since_us, until_us;	/* 0: no bound */
	const char	*domain;	/* recipient domain, or NULL */
	const char	*cause;		/* cause id or category ("net"), or NULL */
	const char	*message;	/* queue id or message-id, or NULL */
	const char	*scope;		/* --escalate: recipients at this
					 * domain or under it, or relays
					 * named so; NULL: all */
	int		 year;		/* year of the last lines; 0: mtime */
	enum logtime_zone zone;
	long		 off_s;
	logs_failure_cb	*on_failure;	/* or NULL */
	void		*arg;
	/* Parser threads for a plain file (0 or 1: none, the one thread
	 * does it all) and the bytes of a part each (0: LOGS_PART). The
	 * result is the same whatever they are. */
	int		 jobs;
	size_t		 part;
};

#define LOGS_PART	(2 << 20)
#define LOGS_JOBS_MAX	64

/* Events per time bucket. A bucket is width minutes (a power of two);
 * when a series would pass LOGS_SERIES_MAX buckets, or all series together
 * LOGS_SERIES_BUDGET, its buckets are merged pairwise and the width
 * doubles: memory stays bounded whatever the span of the log, at the
 * price of resolution. Times are minutes since the epoch (UTC). */
struct logs_series {
	int64_t		 start;		/* minute of bucket 0, width-aligned */
	uint32_t	 width;		/* minutes per bucket; 0: empty */
	uint32_t	 n, cap;
	uint32_t	*v;
};

/* Events of s in the minutes [from, to), bucket parts prorated. */
double		 logs_series_sum(const struct logs_series *s, int64_t from,
		    int64_t to);
/* The busiest bucket: its events per minute and its first minute. */
double		 logs_series_peak(const struct logs_series *s, int64_t *at);

/* The sending rate before a destination first throttled (smtp.throttled):
 * delivery attempts in the LOGS_RATE_WINDOW minutes before the minute of
 * the first throttling reply, and in that minute up to the reply. */
struct logs_throttle {
	int64_t		 first_us;	/* 0: never throttled */
	uint64_t	 attempts;	/* in the window */
	uint32_t	 peak;		/* most attempts in one minute of it */
	char		*reply;		/* the first throttling text */
	const struct cause *cause;
};

struct logs_sample {
	char			*qid;
	char			*msgid;		/* NULL if unknown */
	enum log_status		 status;
	const struct cause	*cause;		/* NULL for a delivery */
	int64_t			 time_us;
};

struct logs_reply {
	char		*text;		/* the first text seen */
	char		*key;		/* addresses masked: what is grouped */
	uint64_t	 count;
	char		*qid[LOGS_REPLY_SAMPLES];
	char		*msgid[LOGS_REPLY_SAMPLES];
	int		 nsamples;
};

struct logs_cause_count {
	const struct cause	*cause;
	uint64_t		 n;
};

struct logs_relay {
	char		*host;
	char		*ip;
	size_t		 hostlen, iplen;
	uint64_t	 events, failures;
};

struct logs_delays {
	uint64_t	 n;		/* events with delays=a/b/c/d */
	double		 sum[4], max[4];
	uint64_t	 ndelay;	/* events with delay= */
	double		 delay_sum, delay_max;
};

struct logs_dest {
	char			*domain;
	uint64_t		 messages;
	uint64_t		 st[LOG_ST_NUM];
	struct logs_cause_count	*causes;	/* sorted by n after finish */
	size_t			 ncauses;
	int64_t			 first_us, last_us;
	int64_t			 first_fail_us, last_fail_us;
	struct logs_relay	*relays;
	size_t			 nrelays;
	uint64_t		 relays_other;	/* events of relays not kept */
	struct logs_sample	 samples[LOGS_SAMPLES];
	int			 nsamples;
	struct logs_delays	 delays;
	struct logs_series	 rate;		/* delivery attempts */
	struct logs_throttle	 throttle;
	/* the attempts of the last minutes, for throttle (private) */
	uint32_t		 ring[LOGS_RATE_WINDOW + 1];
	int64_t			 ring_min;
};

struct logs_cause_stat {
	const struct cause	*cause;
	uint64_t		 st[LOG_ST_NUM];	/* failures only */
	uint64_t		 events;
	struct logs_reply	*replies;	/* sorted by count after finish */
	size_t			 nreplies;
	uint64_t		 other_replies;	/* events past the cap */
	int64_t			 first_us, last_us;
	struct logs_series	 deferrals;	/* deferrals over time */
};

struct logs_unparsed {
	char		*file;
	uint64_t	 line;
	const char	*reason;
};

struct logs_file {
	char		*name;
	uint64_t	 lines;
	uint64_t	 bytes;
	bool		 compressed;
};

/* One line of a --message timeline. */
struct logs_step {
	int64_t			 time_us;
	char			*file;
	uint64_t		 line;
	enum log_ev_kind	 kind;
	enum log_status		 status;
	char			*qid;
	char			*rcpt;
	char			*relay;
	char			*text;
	const struct cause	*cause;
};

struct logs_result {
	uint64_t		 lines;
	uint64_t		 st[LOG_ST_NUM];
	uint64_t		 unparsed, other, filtered;
	uint64_t		 dialect[LOG_D_NUM];	/* lines per enum log_dialect */
	uint64_t		 messages;	/* distinct messages seen */
	int64_t			 first_us, last_us;
	struct logs_dest	**dests;	/* by failures, then events */
	size_t			 ndests;
	struct logs_cause_stat	**causes;	/* by events */
	size_t			 ncauses;
	struct logs_delays	 delays;
	struct logs_unparsed	*unparsed_lines;
	size_t			 nunparsed_lines;
	struct logs_file	*files;
	size_t			 nfiles;
	struct logs_step	*steps;		/* --message only */
	size_t			 nsteps;
	bool			 message_found;
	/* With a scope: distinct failed recipients and messages (counted
	 * up to LOGS_SCOPE_SET_MAX each; *_capped when more were seen). */
	uint64_t		 scope_rcpts, scope_messages;
	bool			 scope_capped;
};

#define LOGS_SCOPE_SET_MAX	(1 << 20)

struct logs;

struct logs	*logs_new(const struct logs_params *p);
struct logs	*logs_free(struct logs *l);
/* Reads a file ("-": standard input), plain or gzip-compressed. Returns 0,
 * or -1 with *err (the caller frees it) when it cannot be opened or read. */
int		 logs_read_file(struct logs *l, const char *path, char **err);
/* Feeds one line (without its newline) as from file; for tests and fuzzers.
 * logs_begin_file() starts a file whose last line was written at ref_s. */
void		 logs_begin_file(struct logs *l, const char *name, int64_t ref_s,
		    bool compressed);
void		 logs_feed_line(struct logs *l, const char *line, size_t n);
/* Sorts and returns the result; no lines may be fed afterwards. */
const struct logs_result *logs_finish(struct logs *l);
/* Whether cause c is selected by a --cause argument (an id or category). */
bool		 logs_cause_matches(const struct cause *c, const char *sel);
/* Failure events of a destination. */
uint64_t	 logs_dest_failures(const struct logs_dest *d);
/* The verdict of a result: the cause behind most failures, where, since
 * when, with the top reply as evidence; "ok" when nothing failed. The
 * caller releases it (finding_release). */
struct finding;
void		 logs_verdict(const struct logs_result *r, struct finding *f);
/* Attempts per minute before a throttling; *window gets its minutes. */
double		 logs_throttle_rate(const struct logs_throttle *t,
		    double *window);
/* A self-contained HTML report (inline CSS and SVG, no script, nothing
 * fetched) of the result and its verdict; logs_html.c. 0, or -1 when out
 * cannot be written. */
int		 logs_html(FILE *out, const struct logs_result *r,
		    const struct finding *verdict, const char *title);
/* The destination with the most events of cause c, or NULL. */
const struct logs_dest *logs_top_dest(const struct logs_result *r,
		    const struct cause *c, uint64_t *n);
/* Whether a recipient domain or relay host d (n bytes) is scope or a
 * name under it. */
bool		 logs_in_scope(const char *scope, const char *d, size_t n);
/* The Markdown of a support case about the result of a scoped run
 * (logs_escalate.c); the caller frees it. now_us stamps it. */
char		*logs_escalation(const struct logs_result *r, const char *scope,
		    const struct finding *verdict);
/* Follows a live log: reads path to its end, then polls every poll_ms
 * (at most 1000) for more, reopening it when it is replaced (another
 * inode: rotation) or shrinks (truncation), until *stop is set (a signal
 * handler sets it). Plain files only. 0, or -1 with *err. ready, if not
 * NULL, is called once the existing content has been read. */
int		 logs_follow(struct logs *l, const char *path,
		    volatile sig_atomic_t *stop, int poll_ms,
		    void (*ready)(void *), void *arg, char **err);
/* Orders rotated files oldest first: mail.log.2.gz, mail.log.1, mail.log
 * (stable for files of different names). */
void		 logs_sort_files(const char **paths, size_t n);

#endif
