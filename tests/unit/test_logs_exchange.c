/*
 * test_logs_exchange.c - the Exchange reader of `mxdoc logs`: headers
 * (#Fields, trace exports, none), CSV quoting, the events that count, the
 * bracket list of a DEFER, several recipients in one record, time stamps,
 * and the aggregation of the files under tests/data/logs/. The real
 * samples of ../shared/testdata/logs/exchange (Elastic License, read in
 * place, never copied) are read when present; the test skips them
 * cleanly otherwise.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/finding.h"
#include "core/mem.h"
#include "logs/logline.h"
#include "logs/logs.h"
#include "logs/logtime.h"

static int64_t
utc(int y, int mon, int d, int h, int mi, int s)
{
	return (logtime_days(y, mon, d) * 86400 + h * 3600 + mi * 60 + s) *
	    1000000;
}

static bool
sv_is(struct sv v, const char *s)
{
	return v.n == strlen(s) && memcmp(v.p, s, v.n) == 0;
}

static void
test_time(void)
{
	int64_t us;

	CHECK_INT(logs_exchange_time(sv_cstr("2024-01-25T15:16:09.843Z"), &us), 0);
	CHECK_INT(us, utc(2024, 1, 25, 15, 16, 9) + 843000);
	CHECK_INT(logs_exchange_time(sv_cstr("2022-09-05T18:10:13.4907658"), &us), 0);
	CHECK_INT(us, utc(2022, 9, 5, 18, 10, 13) + 490765);
	CHECK_INT(logs_exchange_time(sv_cstr("2026-11-28T10:00:00+01:00"), &us), 0);
	CHECK_INT(us, utc(2026, 11, 28, 9, 0, 0));
	CHECK_INT(logs_exchange_time(sv_cstr("9/5/2022 6:10:13 PM"), &us), 0);
	CHECK_INT(us, utc(2022, 9, 5, 18, 10, 13));
	CHECK_INT(logs_exchange_time(sv_cstr("11/28/2026 12:01:00 AM"), &us), 0);
	CHECK_INT(us, utc(2026, 11, 28, 0, 1, 0));
	CHECK_INT(logs_exchange_time(sv_cstr("2026-13-01T00:00:00Z"), &us), -1);
	CHECK_INT(logs_exchange_time(sv_cstr("yesterday"), &us), -1);
	CHECK_INT(logs_exchange_time(sv_cstr(""), &us), -1);
	CHECK_INT(logs_exchange_time(sv_cstr("13/40/2026 1:00"), &us), -1);
}

static void
test_headers(void)
{
	struct exch_fields xf;
	const char *trace = "\"PSComputerName\",\"RunspaceId\",\"Organization\","
	    "\"MessageId\",\"Received\",\"SenderAddress\",\"RecipientAddress\","
	    "\"Subject\",\"Status\",\"ToIP\",\"FromIP\",\"Size\","
	    "\"MessageTraceId\"";
	const char *hist = "origin_timestamp_utc,sender_address,"
	    "recipient_status,message_subject,total_bytes,message_id,"
	    "network_message_id,original_client_ip,directionality";
	const char *hdr;

	hdr = "#Fields: date-time,event-id,recipient-address,"
	    "recipient-status,internal-message-id";
	CHECK(logs_exchange_header(hdr, strlen(hdr), &xf));
	CHECK_INT(xf.kind, EXCH_TRACKING);
	CHECK_INT(xf.col[EXF_TIME], 0);
	CHECK_INT(xf.col[EXF_EVENT], 1);
	CHECK_INT(xf.col[EXF_TEXT], 3);
	CHECK_INT(xf.col[EXF_QID], 4);
	CHECK(logs_exchange_header(trace, strlen(trace), &xf));
	CHECK_INT(xf.kind, EXCH_TRACE);
	CHECK_INT(xf.col[EXF_TIME], 4);
	CHECK_INT(xf.col[EXF_RCPT], 6);
	CHECK_INT(xf.col[EXF_EVENT], 8);
	CHECK_INT(xf.col[EXF_IP], 9);
	CHECK_INT(xf.col[EXF_QID], 12);
	CHECK(logs_exchange_header(hist, strlen(hist), &xf));
	CHECK_INT(xf.col[EXF_RCPT], 2);
	CHECK_INT(xf.col[EXF_EVENT], -1);
	CHECK_INT(xf.col[EXF_QID2], 6);
	/* not headers */
	CHECK(!logs_exchange_header("#Software: Microsoft Exchange Server", 36,
	    &xf));
	CHECK(!logs_exchange_header("Nov 28 08:43:18 mx postfix/smtp[1]: A: "
	    "to=<a@b>, relay=x, status=sent", 70, &xf));
	CHECK(!logs_exchange_header("a,b,c", 5, &xf));
	CHECK(logs_exchange_headerless("2024-01-25T15:16:09.843Z,,x", 27));
	CHECK(!logs_exchange_headerless("2024-01-25T15:16:09.843Z host x: a,b",
	    36));
	CHECK(!logs_exchange_headerless("2024-01-25 15:16:09 1tGhXw-000Abc-Zx",
	    36));
}

static void
parse(const struct exch_fields *xf, const char *line, struct log_event *ev)
{
	logs_exchange_parse(xf, line, strlen(line), ev);
}

static void
test_events(void)
{
	struct exch_fields xf;
	struct log_event ev, one;
	struct sv rc, tx;

	logs_exchange_default(&xf);
	CHECK_INT(xf.kind, EXCH_TRACKING);
	parse(&xf, "2026-11-28T08:00:03.410Z,10.0.0.10,EX01,,,,Internet,SMTP,"
	    "DEFER,41231686041601,<r-1@corp.example>,6f1a,a@contoso.com,"
	    "\"[{LRT=};{LED=451 4.7.500 Server busy, try later};{FQDN=mx.c."
	    "example};{IP=192.0.2.7}]\",5120,1", &ev);
	CHECK_INT(ev.kind, LOG_EV_DELIVERY);
	CHECK_INT(ev.status, LOG_ST_DEFERRED);
	CHECK_INT(ev.dialect, LOG_D_EXCHANGE);
	CHECK(sv_is(ev.qid, "41231686041601"));
	CHECK(sv_is(ev.msgid, "<r-1@corp.example>"));
	CHECK(sv_is(ev.rcpt, "a@contoso.com"));
	CHECK(sv_is(ev.reply, "451 4.7.500 Server busy, try later"));
	CHECK(sv_is(ev.relay_host, "mx.c.example"));
	CHECK(sv_is(ev.relay_ip, "192.0.2.7"));
	CHECK_INT(ev.time_us, utc(2026, 11, 28, 8, 0, 3) + 410000);
	CHECK(!ev.multi);

	/* FAIL with 4.4.7 is an expiry: no reply, the last cause counts */
	parse(&xf, "2026-11-30T08:20:03.000Z,,,,,,,SMTP,FAIL,7,<m>,n,"
	    "jo@fabrikam.example,550 4.4.7 QUEUE.Expired; message expired", &ev);
	CHECK_INT(ev.status, LOG_ST_EXPIRED);
	CHECK_INT(ev.reply.n, 0);
	CHECK(sv_is(ev.text, "550 4.4.7 QUEUE.Expired; message expired"));

	/* SENDEXTERNAL to two recipients, one status each */
	parse(&xf, "2025-01-14T09:29:05.327Z,1.2.3.4,H,175.16.199.1,mx.example"
	    ".net,,Out,SMTP,SENDEXTERNAL,8774,<m@x>,n,a@example.net;b@example"
	    ".net,250 2.1.5 Recipient OK;550 5.1.1 unknown", &ev);
	CHECK_INT(ev.status, LOG_ST_SENT);
	CHECK(ev.multi);
	CHECK(sv_is(ev.relay_host, "mx.example.net"));
	CHECK(logs_exchange_per_rcpt(&ev));
	rc = ev.rcpt;
	tx = ev.text;
	CHECK(logs_exchange_next(&rc, &tx, &ev, &one));
	CHECK(sv_is(one.rcpt, "a@example.net"));
	CHECK(sv_is(one.text, "250 2.1.5 Recipient OK"));
	CHECK(logs_exchange_next(&rc, &tx, &ev, &one));
	CHECK(sv_is(one.rcpt, "b@example.net"));
	CHECK(sv_is(one.reply, "550 5.1.1 unknown"));
	CHECK(!logs_exchange_next(&rc, &tx, &ev, &one));

	/* RECEIVE maps the internal id to the Message-ID */
	parse(&xf, "2024-01-25T15:16:09.949Z,10.11.12.14,e,10.11.12.14,e,ctx,"
	    "c,SMTP,RECEIVE,70912345566403,<2024@host01>,1e6e,u@my.domain", &ev);
	CHECK_INT(ev.kind, LOG_EV_MSGID);
	CHECK(sv_is(ev.msgid, "<2024@host01>"));
	/* events of no interest, and broken records */
	parse(&xf, "2024-01-25T15:16:09.843Z,,,,x,,,SMTP,HAREDIRECTFAIL,1,<m>,"
	    "n,u@d", &ev);
	CHECK_INT(ev.kind, LOG_EV_OTHER);
	parse(&xf, "2024-01-25T15:16:09.843Z,,,,x,,,SMTP,SEND,1,<m>,n,,250 ok",
	    &ev);
	CHECK_INT(ev.kind, LOG_EV_UNPARSED);
	parse(&xf, "garbage", &ev);
	CHECK_INT(ev.kind, LOG_EV_UNPARSED);
	parse(&xf, "\"2024-01-25T15:16:09.843Z", &ev);
	CHECK(ev.kind != LOG_EV_DELIVERY);

	/* a historical search report: the status inside the recipients */
	CHECK(logs_exchange_header("origin_timestamp_utc,recipient_status,"
	    "message_id", 48, &xf));
	parse(&xf, "2026-11-28T10:00:00Z,\"x@gmail.com##Receive, Send;y@gmail."
	    "com##Receive, Fail\",<a@b>", &ev);
	CHECK(ev.multi);
	rc = ev.rcpt;
	tx = sv_make(NULL, 0);
	CHECK(logs_exchange_next(&rc, &tx, &ev, &one));
	CHECK(sv_is(one.rcpt, "x@gmail.com"));
	CHECK_INT(one.status, LOG_ST_SENT);
	CHECK(logs_exchange_next(&rc, &tx, &ev, &one));
	CHECK_INT(one.status, LOG_ST_BOUNCED);
	CHECK(!logs_exchange_next(&rc, &tx, &ev, &one));
}

static const struct logs_dest *
dest(const struct logs_result *r, const char *dom)
{
	size_t i;

	for (i = 0; i < r->ndests; i++)
		if (strcmp(r->dests[i]->domain, dom) == 0)
			return r->dests[i];
	return NULL;
}

static const struct logs_result *
read_one(struct logs **l, const char *file, const char *scope)
{
	struct logs_params p;
	char path[1024], *err = NULL;
	const char *src = getenv("MXDOC_SRC");

	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_FIXED;
	p.scope = scope;
	snprintf(path, sizeof(path), "%s/tests/data/logs/%s", src ? src : ".",
	    file);
	*l = logs_new(&p);
	CHECK_INT(logs_read_file(*l, path, &err), 0);
	free(err);
	return logs_finish(*l);
}

static void
test_aggregate(void)
{
	const struct logs_result *r;
	const struct logs_dest *d;
	struct finding f;
	struct logs *l;
	char *md;

	r = read_one(&l, "exchange-tracking.log", NULL);
	CHECK_INT(r->lines, 16);
	CHECK_INT(r->unparsed, 0);
	CHECK_INT(r->dialect[LOG_D_EXCHANGE], 11);
	CHECK((d = dest(r, "contoso.com")) != NULL);
	if (d != NULL) {
		CHECK_INT(d->st[LOG_ST_DEFERRED], 4);
		CHECK_INT(d->st[LOG_ST_SENT], 2);
		CHECK_STR(d->causes[0].cause->id, "smtp.throttled");
		CHECK_STR(d->samples[0].msgid, "<report-1@corp.example>");
	}
	CHECK((d = dest(r, "fabrikam.example")) != NULL);
	if (d != NULL) {
		CHECK_INT(d->st[LOG_ST_EXPIRED], 1);
		CHECK_INT(d->ncauses, 1);	/* the expiry keeps the cause */
		CHECK_STR(d->causes[0].cause->id, "net.connect_timeout");
	}
	CHECK((d = dest(r, "gmail.com")) != NULL);
	if (d != NULL)
		CHECK_STR(d->causes[0].cause->id, "smtp.recipient");
	/* one row for the busy reply, though two hosts answered it */
	CHECK_STR(r->causes[0]->cause->id, "smtp.throttled");
	CHECK_INT(r->causes[0]->nreplies, 1);
	CHECK(strstr(r->causes[0]->replies[0].text, "\"\"") == NULL);
	logs_free(l);

	r = read_one(&l, "exchange-trace.csv", NULL);
	CHECK_INT(r->st[LOG_ST_SENT], 1);
	CHECK_INT(r->st[LOG_ST_DEFERRED], 1);
	CHECK_INT(r->st[LOG_ST_BOUNCED], 2);
	CHECK((d = dest(r, "example.net")) != NULL);
	if (d != NULL)
		CHECK_STR(d->causes[0].cause->id, "smtp.message");
	CHECK_INT(r->first_us, utc(2026, 11, 28, 8, 1, 13));
	logs_free(l);

	r = read_one(&l, "exchange-history.csv", NULL);
	CHECK_INT(r->st[LOG_ST_SENT], 1);
	CHECK_INT(r->st[LOG_ST_BOUNCED], 1);
	CHECK_INT(r->st[LOG_ST_DEFERRED], 1);
	CHECK_INT(r->unparsed, 0);
	logs_free(l);

	/* the scope of an escalation: contoso.com is under outlook.com by
	 * its MX host */
	r = read_one(&l, "exchange-tracking.log", "outlook.com");
	CHECK_INT(r->ndests, 1);
	CHECK_INT(r->scope_rcpts, 2);
	CHECK_INT(r->scope_messages, 1);
	logs_verdict(r, &f);
	md = logs_escalation(r, "outlook.com", &f);
	CHECK(strstr(md, "# Mail delivery failures to outlook.com") != NULL);
	CHECK(strstr(md, "**4 times** (mxdoc: `smtp.throttled`)") != NULL);
	CHECK(strstr(md, "2026-11-28T08:00:03Z (UTC)") != NULL);
	CHECK(strstr(md, "olcsupport.office.com") != NULL);
	free(md);
	finding_release(&f);
	logs_free(l);
	CHECK(logs_in_scope("outlook.com", "a.mail.protection.outlook.com", 29));
	CHECK(logs_in_scope("outlook.com", "OUTLOOK.COM.", 12));
	CHECK(!logs_in_scope("outlook.com", "notoutlook.com", 14));
	CHECK(!logs_in_scope("outlook.com", "", 0));
}

static void
test_shared(void)
{
	const char *sh = getenv("MXDOC_SHARED");
	char path[1024], *err = NULL;
	struct logs_params p;
	const struct logs_result *r;
	const struct logs_dest *d;
	struct logs *l;

	snprintf(path, sizeof(path), "%s/testdata/logs/exchange/"
	    "elastic-messagetracking.log", sh ? sh : "../shared");
	if (access(path, R_OK) != 0) {
		printf("# skip: %s not present\n", path);
		return;
	}
	memset(&p, 0, sizeof(p));
	l = logs_new(&p);
	CHECK_INT(logs_read_file(l, path, &err), 0);
	free(err);
	r = logs_finish(l);
	CHECK_INT(r->lines, 6);
	CHECK_INT(r->unparsed, 0);
	CHECK_INT(r->dialect[LOG_D_EXCHANGE], 6);
	CHECK_INT(r->st[LOG_ST_SENT], 2);
	CHECK_INT(r->st[LOG_ST_DEFERRED] + r->st[LOG_ST_BOUNCED], 0);
	CHECK((d = dest(r, "email.com")) != NULL);
	if (d != NULL && d->nrelays > 0)
		CHECK_STR(d->relays[0].ip, "175.16.199.1");
	logs_free(l);
}

void
run_tests(void)
{
	test_time();
	test_headers();
	test_events();
	test_aggregate();
	test_shared();
}
