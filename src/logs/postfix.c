/*
 * postfix.c - Postfix's delivery lines (logline.h).
 *
 *   QID: to=<rcpt>, [orig_to=<a>,] relay=HOST[IP]:PORT, [conn_use=N,]
 *        delay=S, delays=a/b/c/d, dsn=X.Y.Z, status=WORD (TEXT)
 * from the delivery agents (smtp, lmtp, local, virtual, error, pipe,
 * discard...), "QID: from=<s>, size=N, nrcpt=N (queue active)",
 * "QID: from=<s>, status=expired, returned to sender" and "QID: removed"
 * from qmgr, "QID: message-id=<id>" from cleanup. The TEXT of a failure is
 * either the remote reply ("host X[IP] said: 450 ... (in reply to RCPT TO
 * command)") or Postfix's own words ("connect to X[IP]:25: Connection timed
 * out", "lost connection with X while receiving the initial server
 * greeting", "delivery temporarily suspended: ...").
 */
#include "logs/logline.h"

#include <stdint.h>
#include <string.h>

/* Exact, case-sensitive key compare: Postfix writes its keys one way. */
#define KEY_IS(k, lit) ((k).n == sizeof(lit) - 1 && \
	memcmp((k).p, lit, sizeof(lit) - 1) == 0)

/* Which bytes a queue id is made of: 0-9, A-Z, a-z. */
static const unsigned char qid_chars[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* "QID: " at p: returns the offset of what follows, 0 if none. Short ids
 * are 5+ hex digits, long ids (enable_long_queue_ids) 10+ alphanumerics. */
static size_t
queue_id(const char *p, size_t n, struct sv *qid)
{
	size_t i = 0, lim = n < 32 ? n : 32;

	while (i < lim && qid_chars[(unsigned char)p[i]])
		i++;
	if (i < 5 || i >= 32 || i + 1 >= n || p[i] != ':' || p[i + 1] != ' ')
		return 0;
	*qid = sv_make(p, i);
	return i + 2;
}

static double
parse_secs(struct sv v, bool *ok)
{
	double r = 0, scale = 0;
	size_t i;

	*ok = v.n > 0;
	for (i = 0; i < v.n && i < 24; i++) {
		char c = v.p[i];

		if (c >= '0' && c <= '9') {
			if (scale > 0) {
				r += (c - '0') * scale;
				scale /= 10;
			} else
				r = r * 10 + (c - '0');
		} else if (c == '.' && scale == 0)
			scale = 0.1;
		else {
			*ok = false;
			break;
		}
	}
	return r;
}

static void
parse_delays(struct sv v, struct log_event *ev)
{
	bool ok;
	int i;

	for (i = 0; i < 4; i++) {
		struct sv part = sv_cut(&v, '/');

		ev->delays[i] = parse_secs(part, &ok);
		if (!ok)
			return;
	}
	ev->have_delays = v.n == 0;
}

/* Offset of needle in v, or -1: logs_find() by a memchr() for the byte
 * c, which is needle[at] and rare in the texts searched. */
static long
find_at(struct sv v, const char *needle, char c, size_t at)
{
	size_t n = strlen(needle), i = at;
	const char *q;

	if (v.n < n)
		return -1;
	while (i + n - at <= v.n &&
	    (q = memchr(v.p + i, c, v.n - i - (n - at) + 1)) != NULL) {
		i = (size_t)(q - v.p);
		if (memcmp(v.p + i - at, needle, n) == 0)
			return (long)(i - at);
		i++;
	}
	return -1;
}

/* find_at() for a needle that ends in ": ". */
static long
find_colon_sp(struct sv v, const char *needle)
{
	return find_at(v, needle, ':', strlen(needle) - 2);
}

/* The remote reply in a status text: after "said: " or "refused to talk to
 * me: ", without Postfix's " (in reply to X command)". */
static struct sv
reply_of(struct sv text)
{
	static const char *const marks[] = { " said: ",
	    " refused to talk to me: " };
	struct sv r = { NULL, 0 };
	size_t i;
	long at, irt;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		at = find_colon_sp(text, marks[i]);
		if (at >= 0) {
			r = sv_make(text.p + at + strlen(marks[i]),
			    text.n - (size_t)at - strlen(marks[i]));
			break;
		}
	}
	if (r.p == NULL)
		return r;
	irt = find_at(r, " (in reply to ", '(', 1);
	if (irt >= 0)
		r.n = (size_t)irt;
	return sv_trim(r);
}

/* The end of a value at p: the first ", " or " (", or end. */
static const char *
value_end(const char *p, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;

	/* Eight bytes a step to the next ',' or ' ' (the lowest flagged
	 * byte of each test is exact), then the pair is checked. */
	while (end - p >= 8) {
		uint64_t w, cm, sp, m;

		memcpy(&w, p, 8);
		cm = w ^ (ones * ',');
		sp = w ^ (ones * ' ');
		m = (((cm - ones) & ~cm) | ((sp - ones) & ~sp)) & high;
		if (m == 0) {
			p += 8;
			continue;
		}
		p += __builtin_ctzll(m) / 8;
		if (p + 1 < end && ((*p == ',' && p[1] == ' ') ||
		    (*p == ' ' && p[1] == '(')))
			return p;
		p++;
	}
#endif
	while (p < end && !(*p == ',' && p + 1 < end && p[1] == ' ') &&
	    !(*p == ' ' && p + 1 < end && p[1] == '('))
		p++;
	return p;
}

/* Reads the key=value list of a delivery or qmgr line. */
static void
key_values(const char *p, size_t n, struct log_event *ev, bool *have_status,
    struct sv *status)
{
	const char *end = p + n;

	while (p < end) {
		const char *eq, *v, *ve;
		struct sv key;

		while (p < end && (*p == ' ' || *p == ','))
			p++;
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq - p > 24)
			return;
		key = sv_make(p, (size_t)(eq - p));
		v = eq + 1;
		if (KEY_IS(key, "status")) {
			ve = v;
			while (ve < end && *ve != ' ' && *ve != ',')
				ve++;
			*status = sv_make(v, (size_t)(ve - v));
			*have_status = true;
			while (ve < end && (*ve == ' ' || *ve == ','))
				ve++;
			ev->text = sv_make(ve, (size_t)(end - ve));
			if (ev->text.n >= 2 && ev->text.p[0] == '(' &&
			    ev->text.p[ev->text.n - 1] == ')') {
				ev->text.p++;
				ev->text.n -= 2;
			}
			return;
		}
		ve = v;
		if (ve < end && *ve == '<') {
			const char *gt = memchr(ve, '>', (size_t)(end - ve));

			ve = gt != NULL ? gt + 1 : end;
		}
		ve = value_end(ve, end);
		{
			struct sv val = sv_make(v, (size_t)(ve - v));

			if (KEY_IS(key, "to"))
				ev->rcpt = val;
			else if (KEY_IS(key, "relay"))
				logs_split_relay(val, &ev->relay_host,
				    &ev->relay_ip);
			else if (KEY_IS(key, "delay")) {
				bool ok;

				ev->delay = parse_secs(val, &ok);
				if (!ok)
					ev->delay = -1;
			} else if (KEY_IS(key, "delays"))
				parse_delays(val, ev);
			else if (KEY_IS(key, "dsn"))
				ev->dsn = val;
			else if (KEY_IS(key, "from"))
				ev->from = val;
			else if (KEY_IS(key, "size")) {
				bool ok;
				double d = parse_secs(val, &ok);

				if (ok)
					ev->size = (int64_t)d;
			}
		}
		p = ve;
		if (p < end && *p == ' ' && p + 1 < end && p[1] == '(')
			return;		/* "(queue active)" */
	}
}

void
logs_postfix_parse(struct sv agent, const char *p, size_t n,
    struct log_event *ev)
{
	struct sv status = { NULL, 0 }, body;
	bool have_status = false;
	size_t k;
	unsigned char c;

	ev->dialect = LOG_D_POSTFIX;
	if ((k = queue_id(p, n, &ev->qid)) == 0) {
		ev->kind = LOG_EV_OTHER;	/* warnings, connects, NOQUEUE */
		return;
	}
	body = sv_make(p + k, n - k);
	/* Each word below starts with a letter: the first byte, folded,
	 * rules out all but one before any compare. */
	c = body.n > 0 ? (unsigned char)(body.p[0] | 0x20) : 0;
	if (c == 'm' && LOGS_STARTS_CI(body, "message-id=")) {
		ev->kind = LOG_EV_MSGID;
		ev->msgid = sv_trim(sv_make(body.p + 11, body.n - 11));
		return;
	}
	if (c == 'r' && LOGS_EQ_CI(body, "removed")) {
		ev->kind = LOG_EV_DONE;
		return;
	}
	if (c == 't' && LOGS_STARTS_CI(body, "to=")) {
		key_values(body.p, body.n, ev, &have_status, &status);
		if (!have_status || ev->rcpt.n == 0) {
			ev->kind = LOG_EV_UNPARSED;
			ev->reason = "delivery line without status or recipient";
			return;
		}
		ev->kind = LOG_EV_DELIVERY;
		if (LOGS_EQ_CI(status, "sent"))
			ev->status = LOG_ST_SENT;
		else if (LOGS_EQ_CI(status, "deferred"))
			ev->status = LOG_ST_DEFERRED;
		else if (LOGS_EQ_CI(status, "bounced"))
			ev->status = LOG_ST_BOUNCED;
		else if (LOGS_EQ_CI(status, "expired"))
			ev->status = LOG_ST_EXPIRED;
		else if (LOGS_EQ_CI(status, "deliverable") ||
		    LOGS_EQ_CI(status, "undeliverable") ||
		    LOGS_EQ_CI(status, "undeliverable-but-not-cached")) {
			/* Address verification probes, not deliveries. */
			ev->kind = LOG_EV_OTHER;
			return;
		} else {
			ev->kind = LOG_EV_UNPARSED;
			ev->reason = "unknown delivery status";
			return;
		}
		if (ev->status != LOG_ST_SENT)
			ev->reply = reply_of(ev->text);
		return;
	}
	if (c == 'f' && LOGS_STARTS_CI(body, "from=")) {
		key_values(body.p, body.n, ev, &have_status, &status);
		if (have_status && LOGS_EQ_CI(status, "expired"))
			ev->kind = LOG_EV_EXPIRED;
		else if (!have_status)
			ev->kind = LOG_EV_ARRIVAL;
		return;
	}
	(void)agent;
	ev->kind = LOG_EV_OTHER;
}
