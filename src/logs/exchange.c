/*
 * exchange.c - Microsoft Exchange message tracking logs and Exchange
 * Online message trace exports (logline.h).
 *
 * Both are CSV whose column order a header gives: the `#Fields:` line of
 * a tracking log (Exchange 2013 to 2019 write `#Software`, `#Version`,
 * `#Log-type`, `#Date` and `#Fields` at the top of every file), or the
 * first line of a trace export (Get-MessageTrace | Export-Csv: Received,
 * RecipientAddress, Status, MessageId, MessageTraceId, ToIP...; the
 * historical search report: origin_timestamp_utc, recipient_status
 * "addr##Receive, Send;addr2##Receive, Fail", message_id...). Column names
 * are compared lower case without punctuation, so "date-time",
 * "Date_Time" and "DateTime" are one name. A tracking line seen without
 * any header (collectors strip it) is read in the 2013+ default order.
 *
 * The tracking events that count: SEND, SENDEXTERNAL and DELIVER
 * (delivered), DEFER (deferred), FAIL (bounced; expired when the status
 * says 4.4.7 / QUEUE.Expired), RECEIVE and SUBMIT (the Message-ID of an
 * internal message id). DSN, HAREDIRECTFAIL, NOTIFYMAPI, EXPAND, RESUBMIT,
 * TRANSFER... are other. The recipient-status of a DEFER is Exchange's
 * bracket list "[{LRT=..};{LED=441 4.4.1 ...};{FQDN=mx.example.com};
 * {IP=192.0.2.1}]": LED is the reply, FQDN and IP the relay.
 *
 * CSV quoting is honoured for the split; a quoted field's view is its
 * inside with any doubled quote left doubled (views never copy). Pure,
 * bounded by n and EXCH_COLS_MAX columns, total.
 */
#include "logs/logline.h"

#include <string.h>

#include "logs/logtime.h"

struct exch_name {
	const char	*name;		/* normalised */
	enum exch_col	 col;
	enum exch_kind	 kind;		/* EXCH_NONE: both */
};

static const struct exch_name names[] = {
	{ "datetime",		EXF_TIME,	EXCH_NONE },
	{ "received",		EXF_TIME,	EXCH_TRACE },
	{ "origintimestamputc",	EXF_TIME,	EXCH_TRACE },
	{ "datetimeutc",	EXF_TIME,	EXCH_TRACE },
	{ "dateutc",		EXF_TIME,	EXCH_TRACE },
	{ "date",		EXF_TIME,	EXCH_TRACE },
	{ "eventid",		EXF_EVENT,	EXCH_NONE },
	{ "status",		EXF_EVENT,	EXCH_TRACE },
	{ "deliverystatus",	EXF_EVENT,	EXCH_TRACE },
	{ "recipientaddress",	EXF_RCPT,	EXCH_NONE },
	{ "recipient",		EXF_RCPT,	EXCH_TRACE },
	{ "recipientstatus",	EXF_TEXT,	EXCH_TRACKING },
	{ "recipientstatus",	EXF_RCPT,	EXCH_TRACE },
	{ "detail",		EXF_TEXT,	EXCH_TRACE },
	{ "internalmessageid",	EXF_QID,	EXCH_NONE },
	{ "messagetraceid",	EXF_QID,	EXCH_TRACE },
	{ "networkmessageid",	EXF_QID2,	EXCH_NONE },
	{ "messageid",		EXF_MSGID,	EXCH_NONE },
	{ "serverhostname",	EXF_HOST,	EXCH_TRACKING },
	{ "serverip",		EXF_IP,		EXCH_TRACKING },
	{ "toip",		EXF_IP,		EXCH_TRACE },
	{ "senderaddress",	EXF_FROM,	EXCH_NONE },
	{ "sender",		EXF_FROM,	EXCH_TRACE },
	{ "totalbytes",		EXF_SIZE,	EXCH_NONE },
	{ "size",		EXF_SIZE,	EXCH_TRACE },
	{ "connectorid",	EXF_CONNECTOR,	EXCH_NONE },
};

/* The column order of Exchange 2013 to 2019 (and Elastic's samples). */
static const char default_fields[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,"
    "source-context,connector-id,source,event-id,internal-message-id,"
    "message-id,network-message-id,recipient-address,recipient-status,"
    "total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info,"
    "directionality,tenant-id,original-client-ip,original-server-ip,"
    "custom-data,transport-traffic-type,log-id,schema-version";

/* Splits one CSV record; returns the number of fields (at most max). */
static int
csv_split(const char *p, size_t n, struct sv *f, int max)
{
	size_t i = 0;
	int k = 0;

	while (k < max) {
		if (i < n && p[i] == '"') {
			size_t s = ++i;

			while (i < n) {
				if (p[i] == '"') {
					if (i + 1 < n && p[i + 1] == '"') {
						i += 2;
						continue;
					}
					break;
				}
				i++;
			}
			f[k++] = sv_make(p + s, i - s);
			if (i < n)
				i++;		/* the closing quote */
			while (i < n && p[i] != ',')
				i++;		/* junk after it */
		} else {
			size_t s = i;

			while (i < n && p[i] != ',')
				i++;
			f[k++] = sv_make(p + s, i - s);
		}
		if (i >= n)
			break;
		i++;				/* the comma */
	}
	return k;
}

/* Lower case, letters and digits only, at most cap - 1 bytes. */
static size_t
norm(struct sv v, char *out, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < v.n && k + 1 < cap; i++) {
		char c = v.p[i];

		if (c >= 'A' && c <= 'Z')
			out[k++] = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[k++] = c;
	}
	out[k] = '\0';
	return k;
}

static bool
map_columns(const char *p, size_t n, enum exch_kind kind,
    struct exch_fields *xf)
{
	struct sv f[EXCH_COLS_MAX];
	struct exch_fields x;
	int nf = csv_split(p, n, f, EXCH_COLS_MAX), i;
	size_t j;
	char nm[40];

	memset(&x, 0, sizeof(x));
	for (j = 0; j < EXF_NUM; j++)
		x.col[j] = -1;
	x.kind = kind;
	x.ncols = nf;
	for (i = 0; i < nf; i++) {
		norm(sv_trim(f[i]), nm, sizeof(nm));
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			if ((names[j].kind == EXCH_NONE || names[j].kind == kind) &&
			    strcmp(names[j].name, nm) == 0 &&
			    x.col[names[j].col] < 0) {
				x.col[names[j].col] = (signed char)i;
				break;
			}
	}
	/* A tracking log needs its event; a trace export its recipients
	 * (the historical report has the status inside them). */
	if (x.col[EXF_TIME] < 0 || (kind == EXCH_TRACKING ?
	    x.col[EXF_EVENT] < 0 : x.col[EXF_RCPT] < 0))
		return false;
	*xf = x;
	return true;
}

bool
logs_exchange_header(const char *p, size_t n, struct exch_fields *xf)
{
	struct sv v = sv_make(p, n);

	if (sv_starts_ci(v, "#Fields:")) {
		v.p += 8;
		v.n -= 8;
		v = sv_trim(v);
		return map_columns(v.p, v.n, EXCH_TRACKING, xf);
	}
	if (n == 0 || p[0] == '#' || n > 4096)
		return false;
	/* A trace export's header: names, no time stamp, commas. */
	if (memchr(p, ',', n) == NULL || (n > 4 && p[0] >= '0' && p[0] <= '9'))
		return false;
	return map_columns(p, n, EXCH_TRACE, xf);
}

void
logs_exchange_default(struct exch_fields *xf)
{
	if (!map_columns(default_fields, sizeof(default_fields) - 1,
	    EXCH_TRACKING, xf))
		xf->kind = EXCH_NONE;	/* not reached: the list is ours */
}

bool
logs_exchange_headerless(const char *p, size_t n)
{
	size_t i;

	/* "2024-01-25T15:16:09.843Z," */
	if (n < 21 || p[4] != '-' || p[7] != '-' || p[10] != 'T' ||
	    p[13] != ':' || p[16] != ':')
		return false;
	for (i = 19; i < n && i < 40; i++) {
		if (p[i] == ',')
			return true;
		if (p[i] == ' ')
			return false;
	}
	return false;
}

static int
digits(const char *p, size_t n, size_t *i, int max)
{
	int v = 0, k = 0;

	while (*i < n && k < max && p[*i] >= '0' && p[*i] <= '9') {
		v = v * 10 + (p[*i] - '0');
		(*i)++;
		k++;
	}
	return k > 0 ? v : -1;
}

/* ISO "2024-01-25T15:16:09.843Z" (no zone: UTC, as both exports are) or
 * en-US "9/5/2022 6:10:13 PM". Returns 0 on success. */
int
logs_exchange_time(struct sv v, int64_t *us)
{
	const char *p = v.p;
	size_t n = v.n, i = 0;
	int y, mo, d, h, mi, s = 0, frac = 0, scale = 1000000;
	long off = 0;

	if (n >= 10 && p[4] == '-') {
		y = digits(p, n, &i, 4);
		if (i >= n || p[i++] != '-')
			return -1;
		mo = digits(p, n, &i, 2);
		if (i >= n || p[i++] != '-')
			return -1;
		d = digits(p, n, &i, 2);
		if (i >= n || (p[i] != 'T' && p[i] != ' '))
			return -1;
		i++;
	} else {
		mo = digits(p, n, &i, 2);
		if (i >= n || p[i++] != '/')
			return -1;
		d = digits(p, n, &i, 2);
		if (i >= n || p[i++] != '/')
			return -1;
		y = digits(p, n, &i, 4);
		if (i >= n || p[i++] != ' ')
			return -1;
	}
	h = digits(p, n, &i, 2);
	if (i >= n || p[i++] != ':')
		return -1;
	mi = digits(p, n, &i, 2);
	if (i < n && p[i] == ':') {
		i++;
		s = digits(p, n, &i, 2);
	}
	if (i < n && p[i] == '.') {
		i++;
		while (i < n && p[i] >= '0' && p[i] <= '9') {
			if (scale > 1) {
				scale /= 10;
				frac += (p[i] - '0') * scale;
			}
			i++;
		}
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return -1;
	if (i + 1 < n && p[i] == ' ' && (p[i + 1] == 'P' || p[i + 1] == 'A' ||
	    p[i + 1] == 'p' || p[i + 1] == 'a')) {
		bool pm = p[i + 1] == 'P' || p[i + 1] == 'p';

		if (h > 12)
			return -1;
		h = (h % 12) + (pm ? 12 : 0);
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		int sign = p[i] == '-' ? -1 : 1, oh, om = 0;

		i++;
		oh = digits(p, n, &i, 2);
		if (i < n && p[i] == ':')
			i++;
		if (i < n)
			om = digits(p, n, &i, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = sign * (oh * 3600L + om * 60L);
	}
	*us = ((logtime_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) -
	    off) * 1000000 + frac;
	return 0;
}

/* The value of "{KEY=value}" in Exchange's bracket list, or an empty view. */
static struct sv
bracket(struct sv t, const char *key)
{
	long at = logs_find(t, key);
	const char *s, *e;

	if (at < 0)
		return sv_make(t.p + t.n, 0);
	s = t.p + at + strlen(key);
	for (e = s; e < t.p + t.n; e++)
		if (*e == '}' && (e + 1 == t.p + t.n || e[1] == ';' ||
		    e[1] == ']'))
			break;
	return sv_trim(sv_make(s, (size_t)(e - s)));
}

static bool
word_is(struct sv v, const char *w)
{
	return sv_eq_ci(sv_trim(v), w);
}

/* Fills text, reply and relay from a recipient-status. */
static void
status_text(struct sv t, struct log_event *ev)
{
	struct sv led;

	t = sv_trim(t);
	ev->text = t;
	if (t.n > 0 && t.p[0] == '[') {
		led = bracket(t, "{LED=");
		if (led.n > 0)
			ev->reply = led;
		if (bracket(t, "{FQDN=").n > 0)
			ev->relay_host = bracket(t, "{FQDN=");
		if (bracket(t, "{IP=").n > 0)
			ev->relay_ip = bracket(t, "{IP=");
		return;
	}
	if (t.n >= 3 && t.p[0] >= '2' && t.p[0] <= '5' && t.p[1] >= '0' &&
	    t.p[1] <= '9' && t.p[2] >= '0' && t.p[2] <= '9')
		ev->reply = t;
}

/* How a trace status, or the last word of a historical "##" list, reads. */
static void
trace_status(struct sv st, struct log_event *ev)
{
	struct sv w = sv_trim(st);
	const char *c = w.n ? memchr(w.p, ',', w.n) : NULL;

	/* "Receive, Send": the last event is the outcome */
	while (c != NULL) {
		w = sv_trim(sv_make(c + 1, (size_t)(w.p + w.n - c - 1)));
		c = w.n ? memchr(w.p, ',', w.n) : NULL;
	}
	ev->kind = LOG_EV_DELIVERY;
	if (word_is(w, "Delivered") || word_is(w, "Deliver") ||
	    word_is(w, "Send") || word_is(w, "Resolved"))
		ev->status = LOG_ST_SENT;
	else if (word_is(w, "Failed") || word_is(w, "Fail"))
		ev->status = LOG_ST_BOUNCED;
	else if (word_is(w, "Pending") || word_is(w, "Defer"))
		ev->status = LOG_ST_DEFERRED;
	else if (word_is(w, "FilteredAsSpam") || word_is(w, "Quarantined") ||
	    word_is(w, "Drop")) {
		ev->status = LOG_ST_BOUNCED;
		ev->cause_hint = "smtp.message";
	} else
		ev->kind = LOG_EV_OTHER;
	if (ev->kind == LOG_EV_DELIVERY && ev->status != LOG_ST_SENT &&
	    ev->text.n == 0)
		ev->text = w;
}

static size_t
count_char(struct sv v, char c)
{
	size_t i, k = 0;

	for (i = 0; i < v.n; i++)
		k += v.p[i] == c;
	return k;
}

void
logs_exchange_parse(const struct exch_fields *xf, const char *p, size_t n,
    struct log_event *ev)
{
	struct sv f[EXCH_COLS_MAX], col[EXF_NUM], evw;
	int nf, j;

	log_event_clear(ev);
	ev->dialect = LOG_D_EXCHANGE;
	ev->program = sv_make("exchange", 8);
	nf = csv_split(p, n, f, EXCH_COLS_MAX);
	for (j = 0; j < EXF_NUM; j++)
		col[j] = xf->col[j] >= 0 && xf->col[j] < nf ? f[xf->col[j]] :
		    sv_make(p + n, 0);
	if (logs_exchange_time(sv_trim(col[EXF_TIME]), &ev->time_us) < 0) {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = nf < 3 ? "not a CSV record" : "no time stamp";
		return;
	}
	ev->qid = sv_trim(col[EXF_QID].n > 0 ? col[EXF_QID] : col[EXF_QID2]);
	ev->msgid = sv_trim(col[EXF_MSGID]);
	ev->from = sv_trim(col[EXF_FROM]);
	evw = sv_trim(col[EXF_EVENT]);
	if (xf->kind == EXCH_TRACE) {
		ev->rcpt = sv_trim(col[EXF_RCPT]);
		ev->relay_ip = sv_trim(col[EXF_IP]);
		ev->text = sv_trim(col[EXF_TEXT]);
		if (ev->rcpt.n > 0 && logs_find(ev->rcpt, "##") >= 0) {
			/* historical search: the status is in each part */
			ev->kind = LOG_EV_DELIVERY;
			ev->multi = true;
			return;
		}
		trace_status(evw, ev);
		if (ev->kind == LOG_EV_DELIVERY && ev->rcpt.n == 0) {
			ev->kind = LOG_EV_UNPARSED;
			ev->reason = "trace record without a recipient";
		}
		if (ev->rcpt.n > 0 && memchr(ev->rcpt.p, ';', ev->rcpt.n))
			ev->multi = true;
		return;
	}
	if (word_is(evw, "RECEIVE") || word_is(evw, "SUBMIT")) {
		ev->kind = ev->msgid.n > 0 && ev->qid.n > 0 ? LOG_EV_MSGID :
		    LOG_EV_OTHER;
		return;
	}
	if (word_is(evw, "SEND") || word_is(evw, "SENDEXTERNAL") ||
	    word_is(evw, "DELIVER"))
		ev->status = LOG_ST_SENT;
	else if (word_is(evw, "DEFER"))
		ev->status = LOG_ST_DEFERRED;
	else if (word_is(evw, "FAIL"))
		ev->status = LOG_ST_BOUNCED;
	else {
		ev->kind = LOG_EV_OTHER;
		return;
	}
	ev->kind = LOG_EV_DELIVERY;
	ev->rcpt = sv_trim(col[EXF_RCPT]);
	if (ev->rcpt.n == 0) {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = "delivery event without a recipient";
		return;
	}
	status_text(col[EXF_TEXT], ev);
	if (ev->relay_host.n == 0 && ev->relay_ip.n == 0 &&
	    ev->status != LOG_ST_DEFERRED) {
		ev->relay_host = sv_trim(col[EXF_HOST]);
		ev->relay_ip = sv_trim(col[EXF_IP]);
	}
	if (ev->status == LOG_ST_BOUNCED && (logs_find(ev->text, "4.4.7") >= 0 ||
	    logs_find(ev->text, "QUEUE.Expired") >= 0)) {
		/* Exchange gave up: the cause is that of the last deferral
		 * (logs.c), as with Postfix's "status=expired". */
		ev->status = LOG_ST_EXPIRED;
		ev->reply = sv_make(ev->text.p + ev->text.n, 0);
	}
	if (memchr(ev->rcpt.p, ';', ev->rcpt.n) != NULL)
		ev->multi = true;
}

bool
logs_exchange_next(struct sv *rcpts, struct sv *texts, const struct log_event *ev,
    struct log_event *one)
{
	struct sv r;

	for (;;) {
		if (rcpts->n == 0)
			return false;
		r = sv_trim(sv_cut(rcpts, ';'));
		/* an empty part, or "##Receive" with no address: skipped */
		if (r.n > 0 && !(r.n >= 2 && r.p[0] == '#' && r.p[1] == '#'))
			break;
	}
	*one = *ev;
	one->multi = false;
	if (logs_find(r, "##") >= 0) {
		long at = logs_find(r, "##");

		one->rcpt = sv_trim(sv_make(r.p, (size_t)at));
		one->text = sv_make(r.p + r.n, 0);
		trace_status(sv_make(r.p + at + 2, r.n - (size_t)at - 2), one);
		return true;
	}
	one->rcpt = r;
	if (texts->n > 0) {
		/* one text per recipient: the next one goes with it */
		one->text = sv_make(texts->p + texts->n, 0);
		one->reply = one->text;
		status_text(sv_cut(texts, ';'), one);
	}
	return true;
}

/* Whether a multi-recipient event has one status per recipient ("250 ..;
 * 250 .."), not one bracket list for all. */
bool
logs_exchange_per_rcpt(const struct log_event *ev)
{
	return ev->text.n > 0 && ev->text.p[0] != '[' &&
	    count_char(ev->rcpt, ';') == count_char(ev->text, ';');
}
