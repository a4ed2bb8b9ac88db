/*
 * opensmtpd.c - OpenSMTPD's delivery lines (logline.h). Since 6.4:
 *   SESSION mta delivery evpid=E from=<f> to=<t> rcpt=<r> source="ip"
 *     relay="ip (host)" delay=2s result="TempFail" stat="text"
 * and before:
 *   relay: TempFail for E: from=<f>, to=<t>, relay=host [ip], delay=2s,
 *     stat=text
 *   delivery: Ok for E: from=<f>, to=<t>, user=u, method=mbox, delay=0s,
 *     stat=Delivered
 * An envelope id is 16 hex digits whose first 8 are the message id: the
 * event's qid is the message id, so all recipients of a message meet.
 */
#include "logs/logline.h"

#include <string.h>

static double
osmtpd_delay(struct sv v)
{
	double d = 0, part = 0;
	size_t i;

	for (i = 0; i < v.n && i < 24; i++) {
		char c = v.p[i];

		if (c >= '0' && c <= '9') {
			part = part * 10 + (c - '0');
			continue;
		}
		switch (c) {
		case 'd': d += part * 86400; break;
		case 'h': d += part * 3600; break;
		case 'm': d += part * 60; break;
		case 's': d += part; break;
		default: return -1;
		}
		part = 0;
	}
	return d + part;
}

static void
set_result(struct sv r, struct log_event *ev)
{
	ev->kind = LOG_EV_DELIVERY;
	if (sv_eq_ci(r, "Ok"))
		ev->status = LOG_ST_SENT;
	else if (sv_eq_ci(r, "TempFail"))
		ev->status = LOG_ST_DEFERRED;
	else if (sv_eq_ci(r, "PermFail") || sv_eq_ci(r, "Loop"))
		ev->status = LOG_ST_BOUNCED;
	else {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = "unknown delivery result";
	}
}

static void
set_qid(struct sv evpid, struct log_event *ev)
{
	ev->qid = evpid;
	if (evpid.n == 16)
		ev->qid.n = 8;
}

static void
set_text(struct log_event *ev)
{
	struct sv t = ev->text;

	if (t.n > 3 && t.p[0] >= '2' && t.p[0] <= '5' && t.p[1] >= '0' &&
	    t.p[1] <= '9')
		ev->reply = t;
}

/* Since 6.4: space-separated key=value, values maybe "quoted". */
static void
new_format(const char *p, const char *end, struct log_event *ev)
{
	struct sv result = { NULL, 0 };

	while (p < end) {
		const char *eq, *v, *ve;
		struct sv key, val;

		while (p < end && *p == ' ')
			p++;
		eq = p;
		while (eq < end && *eq != '=' && *eq != ' ')
			eq++;
		if (eq >= end || *eq != '=') {
			p = eq;
			continue;
		}
		key = sv_make(p, (size_t)(eq - p));
		v = eq + 1;
		if (v < end && *v == '"') {
			v++;
			ve = memchr(v, '"', (size_t)(end - v));
			if (ve == NULL)
				ve = end;
			val = sv_make(v, (size_t)(ve - v));
			p = ve < end ? ve + 1 : end;
		} else {
			ve = v;
			while (ve < end && *ve != ' ')
				ve++;
			val = sv_make(v, (size_t)(ve - v));
			p = ve;
		}
		if (sv_eq_ci(key, "evpid"))
			set_qid(val, ev);
		else if (sv_eq_ci(key, "to"))
			ev->rcpt = val;
		else if (sv_eq_ci(key, "from"))
			ev->from = val;
		else if (sv_eq_ci(key, "relay")) {
			/* "203.0.113.5 (mx.example.com)" */
			const char *b = val.n ? memchr(val.p, '(', val.n) : NULL;

			if (b != NULL) {
				ev->relay_ip = sv_trim(sv_make(val.p,
				    (size_t)(b - val.p)));
				ev->relay_host = sv_make(b + 1,
				    (size_t)(val.p + val.n - b - 1));
				if (ev->relay_host.n > 0 && ev->relay_host.p[
				    ev->relay_host.n - 1] == ')')
					ev->relay_host.n--;
			} else
				ev->relay_host = ev->relay_ip = val;
		} else if (sv_eq_ci(key, "delay"))
			ev->delay = osmtpd_delay(val);
		else if (sv_eq_ci(key, "result"))
			result = val;
		else if (sv_eq_ci(key, "stat"))
			ev->text = val;
	}
	if (result.p == NULL || ev->rcpt.n == 0) {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = "delivery line without result or recipient";
		return;
	}
	set_result(result, ev);
	set_text(ev);
}

/* Before 6.4: "relay: RESULT for EVPID: k=v, k=v, stat=text" */
static void
old_format(struct sv result, const char *p, const char *end,
    struct log_event *ev)
{
	const char *c = memchr(p, ':', (size_t)(end - p));

	if (c == NULL) {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = "delivery line without envelope id";
		return;
	}
	set_qid(sv_trim(sv_make(p, (size_t)(c - p))), ev);
	p = c + 1;
	while (p < end) {
		const char *eq, *v, *ve;
		struct sv key, val;

		while (p < end && (*p == ' ' || *p == ','))
			p++;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq - p > 24)
			break;
		key = sv_make(p, (size_t)(eq - p));
		v = eq + 1;
		if (sv_eq_ci(key, "stat")) {
			ev->text = sv_make(v, (size_t)(end - v));
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
		else if (sv_eq_ci(key, "delay"))
			ev->delay = osmtpd_delay(val);
		p = ve;
	}
	if (ev->rcpt.n == 0) {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = "delivery line without recipient";
		return;
	}
	set_result(result, ev);
	set_text(ev);
}

void
logs_opensmtpd_parse(const char *p, size_t n, struct log_event *ev)
{
	const char *end = p + n, *q;
	struct sv v = sv_make(p, n), tok;
	long at;

	ev->dialect = LOG_D_OPENSMTPD;
	if (sv_starts_ci(v, "relay: ") || sv_starts_ci(v, "delivery: ")) {
		q = memchr(p, ' ', n) + 1;
		v = sv_make(q, (size_t)(end - q));
		tok = sv_cut(&v, ' ');
		if (!sv_starts_ci(v, "for ")) {
			ev->kind = LOG_EV_OTHER;
			return;
		}
		old_format(tok, v.p + 4, end, ev);
		return;
	}
	at = logs_find(v, " mta delivery ");
	if (at < 0 || at > 40) {
		at = logs_find(v, " delivery evpid=");
		if (at < 0 || at > 40) {
			ev->kind = LOG_EV_OTHER;
			return;
		}
		q = p + at + 10;
	} else
		q = p + at + 14;
	new_format(q, end, ev);
}
