/*
 * exim.c - Exim's main log (logline.h), after the stamp and optional pid:
 *   ID <= sender ... S=size id=message-id       arrival
 *   ID => rcpt [<parent>] R=r T=t H=host [ip] ... C="250 ..."   delivered
 *   ID -> rcpt ...                               delivered, same transaction
 *   ID == rcpt ... defer (errno)[: text] [H=host [ip]: text]   deferred
 *   ID ** rcpt ... [H=host [ip]] : text          bounced
 *   ID ** rcpt: retry timeout exceeded           given up: expired
 *   ID Completed                                 left the queue
 * The remote reply follows "SMTP error from remote mail server after CMD: "
 * (or "LMTP error after CMD: "); Exim writes a multi-line reply with
 * literal "\n" between the lines.
 */
#include "logs/logline.h"

#include <string.h>

static struct sv
word(const char **pp, const char *end)
{
	const char *p = *pp, *s;

	while (p < end && *p == ' ')
		p++;
	s = p;
	while (p < end && *p != ' ')
		p++;
	*pp = p;
	return sv_make(s, (size_t)(p - s));
}

/* Finds " KEY=" in v and returns its value up to the next space. */
static struct sv
field(struct sv v, const char *key)
{
	long at = logs_find(v, key);
	const char *s, *e, *end = v.p + v.n;

	if (at < 0)
		return sv_make(end, 0);
	s = v.p + at + strlen(key);
	e = s;
	while (e < end && *e != ' ')
		e++;
	return sv_make(s, (size_t)(e - s));
}

/* " H=host [ip]" in v: fills the relay and returns where it ends (after
 * the "]" and an optional ":port" or "*"), or NULL. */
static const char *
host_field(struct sv v, struct log_event *ev)
{
	long at = logs_find(v, " H=");
	const char *s, *e, *end = v.p + v.n, *b;

	if (at < 0)
		return NULL;
	s = v.p + at + 3;
	e = s;
	while (e < end && *e != ' ' && *e != ':')
		e++;
	ev->relay_host = sv_make(s, (size_t)(e - s));
	if (e + 1 < end && *e == ' ' && e[1] == '[') {
		b = memchr(e, ']', (size_t)(end - e));
		if (b != NULL) {
			ev->relay_ip = sv_make(e + 2, (size_t)(b - e - 2));
			e = b + 1;
			if (e < end && *e == ':') {
				e++;
				while (e < end && *e != ' ' && *e != ':')
					e++;
			}
			if (e < end && *e == '*')
				e++;
		}
	}
	return e;
}

/* The reply after "error from remote mail server after CMD: " or
 * "LMTP error after CMD: ". */
static struct sv
reply_of(struct sv t)
{
	static const char *const marks[] = {
	    "error from remote mail server after ", "LMTP error after ",
	    "response to " };
	const char *end = t.p + t.n, *s;
	size_t i;
	long at;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		at = sv_find_ci(t, marks[i]);
		if (at < 0)
			continue;
		for (s = t.p + at; s + 4 < end; s++)
			if (s[0] == ':' && s[1] == ' ' && s[2] >= '2' &&
			    s[2] <= '5' && s[3] >= '0' && s[3] <= '9')
				return sv_make(s + 2, (size_t)(end - s - 2));
		/* "(EHLO response was: 550 You are banned)" */
		if (i == 2 && (at = sv_find_ci(t, "response was: ")) >= 0) {
			struct sv r = sv_make(t.p + at + 14, t.n - (size_t)at -
			    14);

			if (r.n > 0 && r.p[r.n - 1] == ')')
				r.n--;
			return r;
		}
	}
	return sv_make(end, 0);
}

static const char *
exim_hint(struct sv t, struct log_event *ev)
{
	if (sv_find_ci(t, "retry time not reached") >= 0 ||
	    sv_find_ci(t, "retry timeout exceeded") >= 0) {
		ev->retry_skip = true;
		return NULL;
	}
	if (sv_find_ci(t, "SMTP timeout after") >= 0 ||
	    sv_find_ci(t, "LMTP timeout after") >= 0)
		return "net.timeout";
	if ((sv_find_ci(t, "TLS session:") >= 0 ||
	    sv_find_ci(t, "TLS error on connection") >= 0) &&
	    sv_find_ci(t, "certificate") < 0)
		return "tls.handshake_failed";
	if (sv_find_ci(t, "Remote host closed connection") >= 0 &&
	    ev->reply.n == 0)
		return "net.closed";
	return NULL;
}

void
logs_exim_parse(const char *p, size_t n, struct log_event *ev)
{
	const char *end = p + n, *q, *hend;
	struct sv id, flag, rest;
	long at;

	ev->dialect = LOG_D_EXIM;
	q = p;
	id = word(&q, end);
	flag = word(&q, end);
	if (id.n < 16 || id.n > 23 || memchr(id.p, '-', id.n) == NULL) {
		ev->kind = LOG_EV_OTHER;	/* queue runs, rejections */
		return;
	}
	ev->qid = id;
	rest = sv_make(q, (size_t)(end - q));
	if (sv_eq_ci(flag, "Completed")) {
		ev->kind = LOG_EV_DONE;
		return;
	}
	if (flag.n != 2) {
		ev->kind = LOG_EV_OTHER;
		return;
	}
	if (flag.p[0] == '<' && flag.p[1] == '=') {
		ev->kind = LOG_EV_ARRIVAL;
		ev->from = word(&q, end);
		ev->msgid = field(rest, " id=");
		{
			struct sv s = field(rest, " S=");
			int64_t v = 0;
			size_t i;

			for (i = 0; i < s.n && i < 15 && s.p[i] >= '0' &&
			    s.p[i] <= '9'; i++)
				v = v * 10 + (s.p[i] - '0');
			if (i > 0)
				ev->size = v;
		}
		return;
	}
	if (!((flag.p[0] == '=' && flag.p[1] == '>') ||
	    (flag.p[0] == '-' && flag.p[1] == '>') ||
	    (flag.p[0] == '=' && flag.p[1] == '=') ||
	    (flag.p[0] == '*' && flag.p[1] == '*'))) {
		ev->kind = LOG_EV_OTHER;	/* "*>" suppressed, "<-", ... */
		return;
	}
	ev->rcpt = word(&q, end);
	if (ev->rcpt.n > 0 && ev->rcpt.p[ev->rcpt.n - 1] == ':')
		ev->rcpt.n--;
	if (ev->rcpt.n == 0 || ev->rcpt.p[0] == ':' || ev->rcpt.p[0] == '/' ||
	    ev->rcpt.p[0] == '|') {
		/* ":blackhole:", a file or a pipe: not a mail destination */
		ev->kind = LOG_EV_OTHER;
		return;
	}
	ev->kind = LOG_EV_DELIVERY;
	rest = sv_make(q, (size_t)(end - q));
	hend = host_field(rest, ev);
	if (flag.p[1] == '>') {
		struct sv c;

		ev->status = LOG_ST_SENT;
		at = logs_find(rest, " C=\"");
		if (at >= 0) {
			c = sv_make(rest.p + at + 4, rest.n - (size_t)at - 4);
			if (c.n > 0 && c.p[c.n - 1] == '"')
				c.n--;
			ev->text = c;
			ev->reply = c;
		}
		if (ev->relay_host.n == 0)
			ev->relay_host = field(rest, " T=");
		return;
	}
	if (flag.p[0] == '=') {
		ev->status = LOG_ST_DEFERRED;
		at = logs_find(rest, " defer (");
		if (at >= 0) {
			const char *s = rest.p + at + 8;
			const char *cp = memchr(s, ')', (size_t)(end - s));

			s = cp != NULL ? cp + 1 : end;
			if (s < end && *s == ':')
				s++;
			while (s < end && *s == ' ')
				s++;
			ev->text = sv_make(s, (size_t)(end - s));
			/* "defer (-44) H=h [ip]: SMTP error ...": the text
			 * starts after the host */
			if (hend != NULL && sv_starts_ci(ev->text, "H=")) {
				s = hend;
				while (s < end && (*s == ':' || *s == ' '))
					s++;
				ev->text = sv_make(s, (size_t)(end - s));
			}
		} else
			ev->text = sv_trim(rest);
	} else {
		const char *s = hend != NULL ? hend : q;
		struct sv t = sv_make(s, (size_t)(end - s));

		ev->status = LOG_ST_BOUNCED;
		at = logs_find(t, ": ");
		if (at >= 0)
			s = t.p + at + 2;
		else if (t.n > 0 && t.p[0] == ':')
			s = t.p + 1;
		while (s < end && *s == ' ')
			s++;
		ev->text = sv_make(s, (size_t)(end - s));
		if (sv_find_ci(ev->text, "retry timeout exceeded") >= 0)
			ev->status = LOG_ST_EXPIRED;
	}
	ev->reply = reply_of(ev->text);
	ev->cause_hint = exim_hint(ev->text, ev);
	if (ev->status == LOG_ST_EXPIRED)
		ev->retry_skip = false;
}
