/*
 * fuzz_logs_exchange.c - the Exchange reader (logs/logline.h) must be
 * total and bounded for any bytes: as a header, as a record in the
 * default tracking columns and in a trace export's columns (every view
 * inside the input), through the splitting of several recipients, and
 * through the aggregation with the input as a whole file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/finding.h"
#include "core/mem.h"
#include "logs/logline.h"
#include "logs/logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

static const char trace_hdr[] = "\"Received\",\"RecipientAddress\","
    "\"Status\",\"MessageId\",\"MessageTraceId\",\"ToIP\",\"Detail\"";

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
	struct sv rc, tx;
	struct log_event one;
	int k = 0;

	ENSURE(ev->kind >= LOG_EV_OTHER && ev->kind <= LOG_EV_DONE);
	ENSURE(ev->kind != LOG_EV_UNPARSED || ev->reason != NULL);
	ENSURE(ev->kind != LOG_EV_DELIVERY || ev->status < LOG_ST_NUM);
	inside(ev->qid, p, n);
	inside(ev->rcpt, p, n);
	inside(ev->relay_host, p, n);
	inside(ev->relay_ip, p, n);
	inside(ev->text, p, n);
	inside(ev->reply, p, n);
	inside(ev->msgid, p, n);
	inside(ev->from, p, n);
	if (!ev->multi)
		return;
	rc = ev->rcpt;
	tx = logs_exchange_per_rcpt(ev) ? ev->text : sv_make(NULL, 0);
	while (logs_exchange_next(&rc, &tx, ev, &one)) {
		ENSURE(one.rcpt.n > 0);
		inside(one.rcpt, p, n);
		inside(one.text, p, n);
		inside(one.reply, p, n);
		ENSURE(one.kind != LOG_EV_DELIVERY || one.status < LOG_ST_NUM);
		ENSURE(++k <= (int)n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct exch_fields xf;
	struct logs_params lp;
	struct log_event ev;
	struct finding f;
	struct logs *l;
	char *copy;
	int64_t us;
	size_t off;

	/* an exact-size copy, so that a read past the end is caught */
	copy = xmalloc(size ? size : 1);
	memcpy(copy, data, size);
	if (logs_exchange_header(copy, size, &xf)) {
		ENSURE(xf.kind == EXCH_TRACKING || xf.kind == EXCH_TRACE);
		ENSURE(xf.col[EXF_TIME] >= 0 && xf.col[EXF_TIME] < EXCH_COLS_MAX);
		logs_exchange_parse(&xf, copy, size, &ev);
		check(&ev, copy, size);
	}
	(void)logs_exchange_headerless(copy, size);
	(void)logs_exchange_time(sv_make(copy, size), &us);
	logs_exchange_default(&xf);
	logs_exchange_parse(&xf, copy, size, &ev);
	check(&ev, copy, size);
	ENSURE(logs_exchange_header(trace_hdr, sizeof(trace_hdr) - 1, &xf));
	logs_exchange_parse(&xf, copy, size, &ev);
	check(&ev, copy, size);
	free(copy);

	/* The input as a file: its own header lines, if any. */
	memset(&lp, 0, sizeof(lp));
	lp.scope = "example.com";
	l = logs_new(&lp);
	logs_begin_file(l, "fuzz", 1764319398, false);
	for (off = 0; off <= size; ) {
		const char *nl = memchr(p + off, '\n', size - off);
		size_t k = (size_t)((nl != NULL ? nl : p + size) - (p + off));

		logs_feed_line(l, p + off, k);
		if (nl == NULL)
			break;
		off += k + 1;
	}
	logs_verdict(logs_finish(l), &f);
	ENSURE(f.cause != NULL);
	{
		char *md = logs_escalation(logs_finish(l), "example.com", &f);

		ENSURE(md != NULL && md[0] == '#');
		free(md);
	}
	finding_release(&f);
	logs_free(l);
	return 0;
}
