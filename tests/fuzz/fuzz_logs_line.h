/*
 * fuzz_logs_line.h - what every log dialect's fuzz target checks: its line
 * parser (logs/logline.h) must be total and bounded for any bytes, and
 * every view it returns lies inside the input, as the message part alone,
 * as a whole syslog line, and through the aggregation with one line per
 * input line. Each target supplies its prefix and a call of its parser.
 */
#ifndef MXDOC_FUZZ_LOGS_LINE_H
#define MXDOC_FUZZ_LOGS_LINE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/finding.h"
#include "core/mem.h"
#include "logs/logline.h"
#include "logs/logs.h"
#include "logs/logtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

static void
inside(struct sv v, const char *p, size_t n)
{
	if (v.n == 0)
		return;
	ENSURE(v.p >= p && v.p + v.n <= p + n);
}

static void
check(const struct log_event *ev, const char *p, size_t n)
{
	ENSURE(ev->kind >= LOG_EV_OTHER && ev->kind <= LOG_EV_DONE);
	ENSURE(ev->kind != LOG_EV_UNPARSED || ev->reason != NULL);
	ENSURE(ev->kind != LOG_EV_DELIVERY || ev->status < LOG_ST_NUM);
	inside(ev->qid, p, n);
	inside(ev->rcpt, p, n);
	inside(ev->relay_host, p, n);
	inside(ev->relay_ip, p, n);
	inside(ev->dsn, p, n);
	inside(ev->text, p, n);
	inside(ev->reply, p, n);
	inside(ev->msgid, p, n);
	inside(ev->from, p, n);
	if (ev->reply.n > 0 && ev->text.n > 0 && ev->dialect != LOG_D_EXIM)
		ENSURE(ev->reply.p >= ev->text.p);
}

/* Runs parse on the bytes alone, on them as one whole syslog line after
 * prefix, and on each of their lines through the aggregation. */
static int
fuzz_logs_run(const uint8_t *data, size_t size, const char *prefix,
    void (*parse)(const char *, size_t, struct log_event *))
{
	const char *p = (const char *)data;
	struct logs_params lp;
	struct log_event ev;
	struct logtime t;
	struct finding f;
	struct logs *l;
	char *line;
	size_t n, off, plen;

	log_event_clear(&ev);
	parse(p, size, &ev);
	check(&ev, p, size);

	/* A whole line: the stamp and prefix, then the bytes. */
	plen = strlen(prefix);
	n = plen + size;
	line = xmalloc(n + 1);
	memcpy(line, prefix, plen);
	memcpy(line + plen, data, size);
	line[n] = '\0';
	logtime_init(&t, 1764319398, LOGTIME_FIXED, 0);
	logline_parse(&t, line, n, &ev);
	check(&ev, line, n);

	/* Each input line, prefixed, through the aggregation. */
	memset(&lp, 0, sizeof(lp));
	lp.zone = LOGTIME_FIXED;
	l = logs_new(&lp);
	logs_begin_file(l, "fuzz", 1764319398, false);
	for (off = 0; off <= size; ) {
		const char *nl = memchr(p + off, '\n', size - off);
		size_t k = (size_t)((nl != NULL ? nl : p + size) - (p + off));

		memcpy(line + plen, p + off, k);
		logs_feed_line(l, line, plen + k);
		if (nl == NULL)
			break;
		off += k + 1;
	}
	logs_verdict(logs_finish(l), &f);
	ENSURE(f.cause != NULL);
	finding_release(&f);
	logs_free(l);
	free(line);
	return 0;
}

#endif
