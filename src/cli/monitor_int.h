/*
 * monitor_int.h - the parts of `mxdoc monitor` (cmd_monitor.c) shared by
 * its history (monitor_history.c), its alerts and its metrics endpoint
 * (monitor_out.c). The monitor combines features, so it lives in cli/
 * (DESIGN.md): what it stores is generic (a target, a check, a subject
 * such as a zone, a status), so the auth audit and diagnose can join the
 * same tables later.
 */
#ifndef MXDOC_CLI_MONITOR_INT_H
#define MXDOC_CLI_MONITOR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

struct event_base;

/* One observation of a round: target TARGET, check CHECK about SUBJECT
 * (the zone), asked as QUERY (the address or name), gave STATUS. */
struct mon_obs {
	char		*target;	/* as configured */
	const char	*check;		/* "blocklist" (static) */
	char		*subject;	/* the zone */
	char		*query;		/* the address or name asked */
	const char	*status;	/* "listed" "clean" "unchecked" "error" */
	char		*codes;		/* "127.0.0.2,127.0.0.4" or NULL */
	char		*detail;	/* meaning, TXT or reason; or NULL */
	char		*delist;	/* the zone's delisting page, or NULL */
};

struct mon_round {
	int64_t		 at_us;		/* wall clock, start of the round */
	double		 duration_ms;
	struct mon_obs	*obs;
	int		 nobs;
	int		 errors;	/* observations unchecked or error */
	int		 listed;
};

/* A change worth an alert, found when the round was written. */
struct mon_event {
	const char	*kind;		/* "listed" "delisted" "unchecked" */
	int		 obs;		/* index into the round's obs */
	char		*previous;	/* the status before, or NULL */
	int64_t		 prev_since_us;	/* since when it had it, or 0 */
};

/* ---- history (monitor_history.c) ------------------------------------ */

struct mon_history;

struct mon_history *mon_history_open(const char *path, bool create,
		    char *err, size_t errlen);
struct mon_history *mon_history_close(struct mon_history *h);
const char	*mon_history_errmsg(const struct mon_history *h);
/* Writes the round, its results and the state they change in one
 * transaction, and returns the changes in *ev (owned, *nev entries).
 * STORE_OK once committed; otherwise nothing was written and the caller
 * may try again later (STORE_BUSY: locked; STORE_FULL: disk full or I/O
 * error). */
enum store_status mon_history_write(struct mon_history *h,
		    const struct mon_round *r, struct mon_event **ev, int *nev);
/* Deletes results of rounds older than before_us (events stay). */
enum store_status mon_history_prune(struct mon_history *h, int64_t before_us);
void		 mon_events_free(struct mon_event *ev, int nev);
void		 mon_round_free(struct mon_round *r);

/* One listing's life, from the events of a target. */
struct mon_period {
	char		*check, *subject, *query;
	int64_t		 begin_us;
	int64_t		 end_us;	/* 0: still listed */
	char		*codes, *detail;
};

struct mon_timeline {
	char		*target;
	int		 rounds;	/* results stored for the target */
	int64_t		 first_us, last_us;
	struct mon_period *periods;
	int		 nperiods;
	int		 listed_now;
	int		 unchecked_now;
	int		 checked_now;
	/* Every event, oldest first. */
	struct mon_tl_event {
		int64_t	 at_us;
		char	*kind, *check, *subject, *query, *previous, *status;
		char	*codes, *detail;
	}		*events;
	int		 nevents;
};

/* Reads the timeline of target. Returns STORE_OK, or another status with
 * the reason in mon_history_errmsg(). */
enum store_status mon_history_timeline(struct mon_history *h,
		    const char *target, struct mon_timeline *tl);
void		 mon_timeline_release(struct mon_timeline *tl);

/* ---- alerts and metrics (monitor_out.c) ----------------------------- */

struct mon_alert_conf {
	const char	*command;	/* run by /bin/sh -c, or NULL */
	long		 command_timeout_ms;
	const char	*webhook;	/* http(s) URL, or NULL */
	long		 webhook_timeout_ms;
};

/* The event as one JSON object on one line (owned). */
char		*mon_event_json(const struct mon_round *r,
		    const struct mon_event *e);
/* Delivers one event to the command and the webhook; returns the number
 * of deliveries that failed (each described on stderr). */
int		 mon_alert(const struct mon_alert_conf *ac, const char *json,
		    bool quiet);

struct mon_metrics;

/* Starts the /metrics endpoint on addr ("127.0.0.1:9466", "[::1]:9466").
 * NULL with a reason on failure. */
struct mon_metrics *mon_metrics_start(struct event_base *base,
		    const char *addr, char *err, size_t errlen);
struct mon_metrics *mon_metrics_stop(struct mon_metrics *m);
/* Takes the latest round into the exposition (copied). */
void		 mon_metrics_round(struct mon_metrics *m,
		    const struct mon_round *r);
void		 mon_metrics_count(struct mon_metrics *m, int history_failures,
		    int alert_failures, int pending);

#endif
