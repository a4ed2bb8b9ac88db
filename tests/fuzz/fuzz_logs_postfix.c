/*
 * fuzz_logs_postfix.c - the postfix line parser (logs/logline.h) must be total
 * and bounded for any bytes: every view it returns lies inside the input,
 * as the message part alone, as a whole syslog line, and through the
 * aggregation with one line per input line.
 */
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

static const char prefix[] = "Nov 28 08:43:18 mx postfix/smtp[123]: ";
static const struct sv agents[] = { { "smtp", 4 }, { "lmtp", 4 }, { "qmgr", 4 }, { "cleanup", 7 }, { "error", 5 }, { "local", 5 } };

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct logs_params lp;
	struct log_event ev;
	struct logtime t;
	struct finding f;
	struct logs *l;
	char *line;
	size_t n, off;

	log_event_clear(&ev);
	logs_postfix_parse(agents[size ? data[0] % 6 : 0], p, size, &ev);
	check(&ev, p, size);

	/* A whole line: the stamp and prefix, then the bytes. */
	n = sizeof(prefix) - 1 + size;
	line = xmalloc(n + 1);
	memcpy(line, prefix, sizeof(prefix) - 1);
	memcpy(line + sizeof(prefix) - 1, data, size);
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

		memcpy(line + sizeof(prefix) - 1, p + off, k);
		logs_feed_line(l, line, sizeof(prefix) - 1 + k);
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
