/*
 * logline.c - the syslog prefix and the choice of dialect (logline.h).
 *
 * A syslog line is "STAMP HOST PROGRAM[PID]: MESSAGE"; some writers leave
 * out HOST, some put "<PRI>" first. An Exim main log line is
 * "STAMP [PID] ID FLAG ..." with an ISO stamp that has a space instead of
 * the T. No regex runs here: a line of a program that is no MTA is dropped
 * after a memchr and a few compares.
 */
#include "logs/logline.h"

#include <string.h>

#include "logs/logtime.h"

static const char *const status_names[] = {
	"delivered", "deferred", "bounced", "expired",
};

const char *
log_status_name(enum log_status s)
{
	return s < LOG_ST_NUM ? status_names[s] : "?";
}

const char *
log_dialect_name(enum log_dialect d)
{
	switch (d) {
	case LOG_D_POSTFIX:	return "postfix";
	case LOG_D_EXIM:	return "exim";
	case LOG_D_SENDMAIL:	return "sendmail";
	case LOG_D_OPENSMTPD:	return "opensmtpd";
	case LOG_D_EXCHANGE:	return "exchange";
	default:		return "none";
	}
}

void
log_event_clear(struct log_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = LOG_EV_OTHER;
	ev->size = -1;
	ev->delay = -1;
}

void
logs_split_relay(struct sv v, struct sv *host, struct sv *ip)
{
	const char *b = v.n ? memchr(v.p, '[', v.n) : NULL, *e;

	*ip = sv_make(v.p + v.n, 0);
	if (b == NULL) {
		*host = v;
	} else {
		*host = sv_make(v.p, (size_t)(b - v.p));
		e = memchr(b, ']', (size_t)(v.p + v.n - b));
		if (e != NULL)
			*ip = sv_make(b + 1, (size_t)(e - b - 1));
	}
	*host = sv_trim(*host);
	/* Sendmail writes "mx.example.com." */
	if (host->n > 1 && host->p[host->n - 1] == '.')
		host->n--;
}

struct sv
logs_addr_domain(struct sv a)
{
	size_t i;

	while (a.n > 0 && (a.p[0] == '<' || a.p[0] == ' ')) {
		a.p++;
		a.n--;
	}
	while (a.n > 0 && (a.p[a.n - 1] == '>' || a.p[a.n - 1] == ' ' ||
	    a.p[a.n - 1] == ','))
		a.n--;
	for (i = a.n; i > 0; i--)
		if (a.p[i - 1] == '@')
			return sv_make(a.p + i, a.n - i);
	return sv_make(a.p + a.n, 0);
}

static bool
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* Offset of the first byte of p[0..lim) that ends a program name (a
 * space, a control byte, '[' or ':'), or lim. Eight bytes a step on a
 * little-endian machine: the lowest flagged byte of each test is exact,
 * borrows only run upwards. */
static size_t
token_end(const char *p, size_t lim)
{
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;

	for (; i + 8 <= lim; i += 8) {
		uint64_t w, lb, co, m;

		memcpy(&w, p + i, 8);
		lb = w ^ (ones * '[');
		co = w ^ (ones * ':');
		m = ((w - ones * 0x21) & ~w) | ((lb - ones) & ~lb) |
		    ((co - ones) & ~co);
		m &= high;
		if (m != 0)
			return i + (size_t)__builtin_ctzll(m) / 8;
	}
#endif
	for (; i < lim; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c == '[' || c == ':')
			break;
	}
	return i;
}

/* Reads "PROGRAM[PID]: " or "PROGRAM: " at p; returns the message offset
 * or 0 when p holds no such token. */
static size_t
program_token_at(const char *p, size_t n, struct sv *prog, size_t *stop)
{
	size_t i = token_end(p, n < 128 ? n : 128);

	*stop = i;
	if (i == n || i == 128)
		return 0;
	if (p[i] == '[') {
		size_t j = i + 1, lim = n < i + 24 ? n : i + 24;

		while (j < lim && (unsigned char)(p[j] - '0') < 10)
			j++;
		if (j + 1 < n && p[j] == ']' && p[j + 1] == ':' && i > 0) {
			*prog = sv_make(p, i);
			return j + 2 < n && p[j + 2] == ' ' ? j + 3 : j + 2;
		}
		return 0;
	}
	if (p[i] == ':') {
		if (i == 0 || (i + 1 < n && p[i + 1] != ' '))
			return 0;
		*prog = sv_make(p, i);
		return i + 1 < n ? i + 2 : i + 1;
	}
	return 0;
}

static size_t
program_token(const char *p, size_t n, struct sv *prog)
{
	size_t stop;

	return program_token_at(p, n, prog, &stop);
}

static bool
exim_id_at(const char *p, size_t n)
{
	size_t i, k = 0, len[3] = { 0, 0, 0 };

	for (i = 0; i < n && k < 3; i++) {
		if (p[i] == '-') {
			k++;
			continue;
		}
		if (p[i] == ' ')
			break;
		if (!is_alnum(p[i]))
			return false;
		len[k]++;
	}
	return k == 2 && len[0] == 6 && len[1] >= 6 && len[1] <= 11 &&
	    len[2] >= 2 && len[2] <= 4 && i < n && p[i] == ' ';
}

/* Skips Exim's optional "[PID] " after its stamp. */
static size_t
exim_skip_pid(const char *p, size_t n)
{
	size_t i = 1;

	if (n < 3 || p[0] != '[')
		return 0;
	while (i < n && i < 24 && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i < n && p[i] == ']')
		return i + 1 < n && p[i + 1] == ' ' ? i + 2 : i + 1;
	return 0;
}

/* "HOST PROGRAM[PID]: " or "PROGRAM[PID]: " at p. */
static bool
syslog_shape(const char *p, size_t n)
{
	const char *sp = n ? memchr(p, ' ', n) : NULL;
	struct sv prog;

	if (program_token(p, n, &prog) > 0)
		return true;
	return sp != NULL && program_token(sp + 1, n - (size_t)(sp + 1 - p),
	    &prog) > 0;
}

static void
dispatch(struct sv prog, const char *m, size_t n, struct logtime *t,
    struct log_event *ev)
{
	struct sv base = prog;
	const char *sl;

	if (LOGS_STARTS_CI(prog, "postfix")) {
		/* "postfix/smtp", "postfix-out/lmtp", "postfix/relay/smtp" */
		sl = memrchr(prog.p, '/', prog.n);
		sl = sl != NULL ? sl + 1 : prog.p;
		base = sv_make(sl, (size_t)(prog.p + prog.n - sl));
		ev->dialect = LOG_D_POSTFIX;
		logs_postfix_parse(base, m, n, ev);
	} else if (LOGS_EQ_CI(prog, "sendmail") || LOGS_EQ_CI(prog, "sm-mta") ||
	    LOGS_EQ_CI(prog, "sm-msp-queue")) {
		ev->dialect = LOG_D_SENDMAIL;
		logs_sendmail_parse(m, n, ev);
	} else if (LOGS_EQ_CI(prog, "smtpd") || LOGS_EQ_CI(prog, "opensmtpd")) {
		ev->dialect = LOG_D_OPENSMTPD;
		logs_opensmtpd_parse(m, n, ev);
	} else if (LOGS_EQ_CI(prog, "exim") || LOGS_EQ_CI(prog, "exim4")) {
		int64_t us;
		size_t k;

		ev->dialect = LOG_D_EXIM;
		/* syslog_timestamp (the default) repeats the stamp. */
		if ((k = logtime_parse(t, m, n, &us)) > 0) {
			m += k;
			n -= k;
			if (n > 0 && m[0] == ' ') {
				m++;
				n--;
			}
		}
		k = exim_skip_pid(m, n);
		logs_exim_parse(m + k, n - k, ev);
	}
}

void
logline_parse(struct logtime *t, const char *line, size_t n,
    struct log_event *ev)
{
	const char *p = line, *sp;
	size_t k, rest, stop;
	struct sv prog;
	int64_t us;
	bool iso_space;

	log_event_clear(ev);
	if (n > LOG_LINE_MAX) {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = "line too long";
		return;
	}
	if (n > 0 && p[0] == '<') {
		/* "<22>": a priority left in by a forwarder. */
		for (k = 1; k < n && k < 5 && p[k] >= '0' && p[k] <= '9'; k++)
			;
		if (k < n && p[k] == '>') {
			p += k + 1;
			n -= k + 1;
		}
	}
	if (n == 0 || (n == 1 && p[0] == '\r') || p[0] == '#')
		return;			/* blank, or a comment (#Fields:) */
	k = logtime_parse(t, p, n, &us);
	if (k == 0) {
		ev->kind = LOG_EV_UNPARSED;
		ev->reason = "no time stamp";
		return;
	}
	ev->time_us = us;
	iso_space = k >= 19 && p[10] == ' ';
	p += k;
	n -= k;
	while (n > 0 && p[0] == ' ') {
		p++;
		n--;
	}
	if (iso_space) {
		size_t pid = exim_skip_pid(p, n);

		if (exim_id_at(p + pid, n - pid) || !syslog_shape(p, n)) {
			/* Exim's main log: no host, no program. */
			ev->dialect = LOG_D_EXIM;
			ev->program = sv_make("exim", 4);
			logs_exim_parse(p + pid, n - pid, ev);
			return;
		}
	}
	/* HOST PROGRAM[PID]: or PROGRAM[PID]: */
	if ((k = program_token_at(p, n, &prog, &stop)) == 0) {
		/* The scan stopped at the first space, or before it. */
		if (stop < n && p[stop] == ' ')
			sp = p + stop;
		else
			sp = n ? memchr(p, ' ', n) : NULL;
		if (sp == NULL) {
			ev->kind = LOG_EV_UNPARSED;
			ev->reason = "no program name";
			return;
		}
		rest = n - (size_t)(sp + 1 - p);
		if ((k = program_token(sp + 1, rest, &prog)) == 0) {
			ev->kind = LOG_EV_UNPARSED;
			ev->reason = "no program name";
			return;
		}
		p = sp + 1;
		n = rest;
	}
	ev->program = prog;
	dispatch(prog, p + k, n - k, t, ev);
}
