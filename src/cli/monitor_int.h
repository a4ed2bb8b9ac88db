/*
 * monitor_int.h - the parts of `mxdoc monitor` (cmd_monitor.c) shared by
 * its history (monitor_history.c), its alerts and its metrics endpoint
 * (monitor_out.c), and the auth audit and diagnose rounds
 * (monitor_checks.c). The monitor combines features, so it lives in cli/
 * (DESIGN.md): what it stores is generic (a target, a check, a subject
 * such as a zone, an audit section or a diagnose verdict, a status), so
 * every check shares the same tables.
 */
#ifndef MXDOC_CLI_MONITOR_INT_H
#define MXDOC_CLI_MONITOR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

struct event_base;

/* One observation of a round: target TARGET, check CHECK about SUBJECT
 * (the zone; the audit section; "verdict" or an MX host for diagnose),
 * asked as QUERY (the address or name), gave STATUS.
 *
 *   blocklist  status "listed" "clean" "unchecked" "error"; severity -1
 *   auth       one per section (spf, dmarc, dkim, mta_sts, tls_rpt, mx,
 *              dane): status and severity the worst finding's ("ok"
 *              "info" "warning" "error"), cause its cause id, codes the
 *              ids of the findings at warning or error
 *   diagnose   subject "verdict": status the verdict's cause id; one more
 *              per probed address (subject the MX host, query the
 *              address), recorded but never alerted (quiet)
 */
struct mon_obs {
	char		*target;	/* as configured */
	const char	*check;		/* "blocklist" "auth" "diagnose" (static) */
	char		*subject;	/* the zone, section or MX host */
	char		*query;		/* the address or name asked */
	const char	*status;	/* static, see above */
	char		*codes;		/* "127.0.0.2,127.0.0.4" or NULL */
	char		*detail;	/* meaning, TXT or reason; or NULL */
	char		*delist;	/* the zone's delisting page, or NULL */
	int		 severity;	/* enum severity; -1: blocklist */
	const char	*cause;		/* cause id (static), or NULL */
	char		*remedy;	/* remedies, one a line, or NULL */
	bool		 quiet;		/* recorded, never alerted */
};

struct mon_round {
	int64_t		 at_us;		/* wall clock, start of the round */
	double		 duration_ms;
	struct mon_obs	*obs;
	int		 nobs;
	int		 errors;	/* observations unchecked or error */
	int		 listed;
	int		 failing;	/* auth sections and diagnose verdicts
					 * at severity error */
};

/* A change worth an alert, found when the round was written. */
struct mon_event {
	const char	*kind;		/* "listed" "delisted" "unchecked";
					 * auth, diagnose: "worse" "better"
					 * "changed" */
	int		 obs;		/* index into the round's obs */
	char		*previous;	/* the status before, or NULL */
	char		*prev_severity;	/* auth, diagnose: or NULL */
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
		char	*severity;	/* auth, diagnose; else NULL */
	}		*events;
	int		 nevents;
	/* The last state of each auth section and diagnose item. */
	struct mon_tl_check {
		char	*check, *subject, *query, *status, *severity, *cause;
		char	*codes, *detail;
		int64_t	 since_us, last_us;
	}		*checks;
	int		 nchecks;
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

/* "DMARC" for "dmarc": an audit section as people write it. */
const char	*mon_section_title(const char *section);
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

/* ---- auth and diagnose rounds (monitor_checks.c) -------------------- */

struct dns;
struct tls_ctx;

struct mon_auth_params {
	struct dns	*dns;		/* the round's resolver */
	long		 timeout_ms;	/* the policy fetch, each SMTP stage */
	int		 jobs;		/* audits at once */
	const char	*ca_file;	/* the policy host's CAs; NULL: system */
};

/* Audits domains[0..n) at once on base (one resolver, one window of
 * questions, one set of transfers, at most p->jobs at a time) and appends
 * one observation per section and domain to r, targets[i] naming
 * domains[i]. Every wait inside an audit is bounded; a round in which no
 * audit finishes for MON_AUTH_STALL_S seconds ends the process (the audits
 * still running hold the loop and the resolver). */
#define MON_AUTH_STALL_S	300
void		 mon_auth_round(struct event_base *base,
		    const struct mon_auth_params *p, const char *const *targets,
		    const char *const *domains, int n, struct mon_round *r);

struct mon_diag_params {
	struct dns	*dns;
	struct tls_ctx	*tls;
	const char	*helo;
	int		 family;
	long		 timeout_ms;	/* each phase of a session */
};

/* One diagnose of what (diagnose's target syntax) on port (0: 25) on
 * base, bounded by diag_run's total time; appends the verdict and one
 * observation per probed address to r. Returns 0, or -1 when what is not
 * a target. */
int		 mon_diag_one(struct event_base *base,
		    const struct mon_diag_params *p, const char *target,
		    const char *what, int port, struct mon_round *r);

#endif
