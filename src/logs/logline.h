/*
 * logline.h - one mail-log line turned into an event.
 *
 * The dialect is decided per line, so a syslog file that mixes Postfix,
 * Sendmail and OpenSMTPD (or an Exim main log) needs no option: the syslog
 * program name picks Postfix ("postfix/smtp", "postfix-out/lmtp"...),
 * Sendmail ("sendmail", "sm-mta", "sm-msp-queue") or OpenSMTPD ("smtpd"),
 * and a line in Exim's own shape ("2026-11-28 08:43:18 1tGhXw-000Abc-Zx =>")
 * or from program "exim" is Exim.
 *
 * Every parser is pure, bounded by the n it is given and total: any bytes
 * give an event, of kind LOG_EV_UNPARSED with a reason when nothing could
 * be read, or LOG_EV_OTHER for a line of no interest (a connect from a
 * client, a cron job). The views in an event point into the line and live
 * as long as it does; no parser allocates.
 */
#ifndef MXDOC_LOGS_LOGLINE_H
#define MXDOC_LOGS_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "core/sv.h"

struct logtime;

enum log_dialect {
	LOG_D_NONE,
	LOG_D_POSTFIX,
	LOG_D_EXIM,
	LOG_D_SENDMAIL,
	LOG_D_OPENSMTPD,
	LOG_D_EXCHANGE,
	LOG_D_NUM,
};

enum log_ev_kind {
	LOG_EV_OTHER,		/* understood, nothing to count */
	LOG_EV_UNPARSED,	/* reason says why */
	LOG_EV_DELIVERY,	/* a delivery status for one or more recipients */
	LOG_EV_MSGID,		/* queue id -> message-id (Postfix cleanup) */
	LOG_EV_ARRIVAL,		/* queue id -> sender and size */
	LOG_EV_EXPIRED,		/* the whole message expired (Postfix qmgr) */
	LOG_EV_DONE,		/* the message left the queue */
};

enum log_status {
	LOG_ST_SENT,
	LOG_ST_DEFERRED,
	LOG_ST_BOUNCED,
	LOG_ST_EXPIRED,
	LOG_ST_NUM,
};

struct log_event {
	enum log_dialect dialect;
	enum log_ev_kind kind;
	enum log_status	 status;
	int64_t		 time_us;	/* 0: the line had no stamp */
	const char	*reason;	/* LOG_EV_UNPARSED: why */
	struct sv	 program;	/* "postfix/smtp", "exim" */
	struct sv	 qid;		/* queue id, Exim message id */
	struct sv	 rcpt;		/* one address, or Sendmail's list "a,b" */
	struct sv	 relay_host;	/* "mx.example.com", "none", "local" */
	struct sv	 relay_ip;	/* "192.0.2.1", "" if none */
	struct sv	 dsn;		/* "4.4.1" */
	struct sv	 text;		/* the status text: reply or local reason */
	struct sv	 reply;		/* the remote reply inside text, if any */
	struct sv	 msgid;		/* LOG_EV_MSGID/ARRIVAL: "<...@...>" */
	struct sv	 from;		/* LOG_EV_ARRIVAL/EXPIRED */
	int64_t		 size;		/* LOG_EV_ARRIVAL, -1 if unknown */
	double		 delay;		/* seconds, -1 if unknown */
	double		 delays[4];	/* Postfix delays=a/b/c/d */
	bool		 have_delays;
	bool		 retry_skip;	/* Exim "retry time not reached": no
					 * attempt was made */
	bool		 multi;		/* Exchange: several recipients ("a;b")
					 * to split (logs_exchange_next) */
	const char	*cause_hint;	/* a cause id the dialect knows for a
					 * local failure, or NULL: classify */
};

/* Lines longer than this are not parsed (counted as unparsed). */
#define LOG_LINE_MAX	(64 * 1024)

/* Parses one line (without its newline): stamp, syslog prefix, dialect. */
void	logline_parse(struct logtime *t, const char *line, size_t n,
	    struct log_event *ev);

/* The dialect parsers, on the message part after "program[pid]: " (Exim:
 * after the stamp and pid). They fill ev from its current state (the
 * caller has set time and program) and never read past n. */
void	logs_postfix_parse(struct sv prog, const char *p, size_t n,
	    struct log_event *ev);
void	logs_exim_parse(const char *p, size_t n, struct log_event *ev);
void	logs_sendmail_parse(const char *p, size_t n, struct log_event *ev);
void	logs_opensmtpd_parse(const char *p, size_t n, struct log_event *ev);

/* Exchange (exchange.c): the columns a header names. A file is read as
 * Exchange from its "#Fields:" line, a trace export's header line, or a
 * first line in the tracking log's shape ("2024-01-25T15:16:09.843Z,"). */
#define EXCH_COLS_MAX	64
enum exch_kind { EXCH_NONE, EXCH_TRACKING, EXCH_TRACE };
enum exch_col {
	EXF_TIME, EXF_EVENT, EXF_RCPT, EXF_TEXT, EXF_QID, EXF_QID2, EXF_MSGID,
	EXF_HOST, EXF_IP, EXF_FROM, EXF_SIZE, EXF_CONNECTOR, EXF_NUM
};
struct exch_fields {
	enum exch_kind	 kind;
	int		 ncols;
	signed char	 col[EXF_NUM];	/* column of each, -1: none */
};
/* A "#Fields:" line or a trace export's header: fills xf, true if it is
 * one (a time and an event or status column at least). */
bool	logs_exchange_header(const char *p, size_t n, struct exch_fields *xf);
/* The default column order of a tracking log without header. */
void	logs_exchange_default(struct exch_fields *xf);
/* Whether a line looks like a tracking record ("2024-..T..Z,"). */
bool	logs_exchange_headerless(const char *p, size_t n);
/* One record in the columns of xf. */
void	logs_exchange_parse(const struct exch_fields *xf, const char *p,
	    size_t n, struct log_event *ev);
/* A record for several recipients (ev->multi): *one gets the next one,
 * with its own status where the record gives one per recipient. rcpts
 * starts as ev->rcpt; texts as ev->text when logs_exchange_per_rcpt(),
 * else empty. False when none is left. */
bool	logs_exchange_next(struct sv *rcpts, struct sv *texts,
	    const struct log_event *ev, struct log_event *one);
bool	logs_exchange_per_rcpt(const struct log_event *ev);
/* Exchange's stamps: ISO 8601 (UTC when no zone) or en-US
 * "9/5/2022 6:10:13 PM" (UTC). 0, or -1 when v is none. */
int	logs_exchange_time(struct sv v, int64_t *us);

/* Resets ev to an "other" event with no fields. */
void	log_event_clear(struct log_event *ev);

const char	*log_status_name(enum log_status s);
const char	*log_dialect_name(enum log_dialect d);

/* Offset of needle in v (case-sensitive, as the MTAs write their own
 * words), or -1. memmem: this runs on every line. */
static inline long
logs_find(struct sv v, const char *needle)
{
	size_t n = strlen(needle);
	const char *q = v.n >= n && n > 0 ? memmem(v.p, v.n, needle, n) : NULL;

	return q != NULL ? (long)(q - v.p) : -1;
}

/* Whether p's n bytes equal lit's, ASCII letters in any case (lit is
 * lower case). strncasecmp() in the C locale, inline: it runs on every
 * line, on words of a few bytes. */
static inline bool
logs_lc_eq(const char *p, const char *lit, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + ('a' - 'A'));
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/* sv_starts_ci() and sv_eq_ci() for a lower-case literal. */
#define LOGS_STARTS_CI(v, lit) ((v).n >= sizeof(lit) - 1 && \
	logs_lc_eq((v).p, lit, sizeof(lit) - 1))
#define LOGS_EQ_CI(v, lit) ((v).n == sizeof(lit) - 1 && \
	logs_lc_eq((v).p, lit, sizeof(lit) - 1))

/* Splits "host[ip]:port" or "host [ip]" into host and ip. */
void	logs_split_relay(struct sv v, struct sv *host, struct sv *ip);
/* The domain of an address ("<u@Example.com>" -> "Example.com"), or an
 * empty view. */
struct sv	logs_addr_domain(struct sv addr);

#endif
