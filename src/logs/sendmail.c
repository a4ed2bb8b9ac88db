/*
 * sendmail.c - Sendmail's delivery lines (logline.h):
 *   QID: to=<a>,<b>, [ctladdr=...,] delay=HH:MM:SS, xdelay=..., mailer=m,
 *        pri=N, relay=host. [ip], dsn=X.Y.Z, stat=Sent (text)
 *   QID: from=<s>, size=N, class=0, nrcpts=N, msgid=<id>, proto=..., ...
 * "stat=" is last and runs to the end of the line: "Sent (...)",
 * "Deferred: 421 4.7.0 ...", "Deferred: Connection timed out with h.",
 * or a permanent failure's own words ("User unknown").
 */
#include "logs/logline.h"

#include <string.h>

static bool
qid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

/* "[D+]HH:MM:SS" */
static double
sm_delay(struct sv v)
{
	double d = 0, part = 0;
	size_t i;

	for (i = 0; i < v.n && i < 20; i++) {
		char c = v.p[i];

		if (c >= '0' && c <= '9')
			part = part * 10 + (c - '0');
		else if (c == '+') {
			d += part * 86400;
			part = 0;
		} else if (c == ':') {
			d = d + part;
			d *= 60;
			part = 0;
		} else
			return -1;
	}
	return d + part;
}

void
logs_sendmail_parse(const char *p, size_t n, struct log_event *ev)
{
	const char *end = p + n, *q = p;
	struct sv stat = { NULL, 0 };
	bool is_to;

	ev->dialect = LOG_D_SENDMAIL;
	while (q < end && q - p < 32 && qid_char(*q))
		q++;
	if (q - p < 6 || q + 1 >= end || q[0] != ':' || q[1] != ' ') {
		ev->kind = LOG_EV_OTHER;
		return;
	}
	ev->qid = sv_make(p, (size_t)(q - p));
	q += 2;
	is_to = end - q > 3 && memcmp(q, "to=", 3) == 0;
	if (!is_to && !(end - q > 5 && memcmp(q, "from=", 5) == 0)) {
		ev->kind = LOG_EV_OTHER;	/* DSN, reject=, milter... */
		return;
	}
	while (q < end) {
		const char *eq = memchr(q, '=', (size_t)(end - q)), *v, *ve;
		struct sv key, val;

		if (eq == NULL || eq - q > 24)
			break;
		key = sv_make(q, (size_t)(eq - q));
		v = eq + 1;
		if (sv_eq_ci(key, "stat")) {
			stat = sv_make(v, (size_t)(end - v));
			break;
		}
		ve = v;
		while (ve < end && !(ve + 1 < end && ve[0] == ',' &&
		    ve[1] == ' '))
			ve++;
		val = sv_make(v, (size_t)(ve - v));
		if (sv_eq_ci(key, "to"))
			ev->rcpt = val;
		else if (sv_eq_ci(key, "from"))
			ev->from = val;
		else if (sv_eq_ci(key, "relay"))
			logs_split_relay(val, &ev->relay_host, &ev->relay_ip);
		else if (sv_eq_ci(key, "dsn"))
			ev->dsn = val;
		else if (sv_eq_ci(key, "delay"))
			ev->delay = sm_delay(val);
		else if (sv_eq_ci(key, "msgid"))
			ev->msgid = val;
		else if (sv_eq_ci(key, "size")) {
			int64_t s = 0;
			size_t i;

			for (i = 0; i < val.n && i < 15 && val.p[i] >= '0' &&
			    val.p[i] <= '9'; i++)
				s = s * 10 + (val.p[i] - '0');
			ev->size = i > 0 ? s : -1;
		}
		q = ve < end ? ve + 2 : end;
	}
	if (!is_to) {
		ev->kind = LOG_EV_ARRIVAL;
		return;
	}
	if (stat.p == NULL || ev->rcpt.n == 0) {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = "delivery line without stat or recipient";
		return;
	}
	ev->kind = LOG_EV_DELIVERY;
	ev->text = stat;
	if (sv_starts_ci(stat, "Sent")) {
		ev->status = LOG_ST_SENT;
		if (stat.n > 6 && stat.p[5] == '(' && stat.p[stat.n - 1] == ')')
			ev->text = sv_make(stat.p + 6, stat.n - 7);
		ev->reply = ev->text;
	} else if (sv_starts_ci(stat, "Deferred") ||
	    (ev->dsn.n > 0 && ev->dsn.p[0] == '4')) {
		ev->status = LOG_ST_DEFERRED;
		if (sv_starts_ci(stat, "Deferred: "))
			ev->text = sv_make(stat.p + 10, stat.n - 10);
		else if (sv_starts_ci(stat, "Deferred"))
			ev->text = sv_make(stat.p + 8, stat.n - 8);
		if (ev->text.n > 3 && ev->text.p[0] >= '4' && ev->text.p[0] <= '5')
			ev->reply = ev->text;
	} else if (sv_starts_ci(stat, "queued")) {
		ev->kind = LOG_EV_OTHER;
	} else {
		ev->status = LOG_ST_BOUNCED;
		if (ev->text.n > 3 && ev->text.p[0] >= '4' && ev->text.p[0] <= '5')
			ev->reply = ev->text;
	}
}
