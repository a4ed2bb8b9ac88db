/*
 * test_logs.c - the mail-log reader: time stamps, the four dialects' line
 * parsers on real lines, and the aggregation (per destination, per cause,
 * expiry, filters, --message, overlong and binary lines, gzip).
 *
 * Real lines: postfix-grok-patterns' test cases (BSD, copied under
 * tests/data/logs/) and, when ../shared is present, Exim's own test suite
 * logs (GPL, read in place, never copied: the test skips without them).
 */
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "core/mem.h"
#include "logs/logline.h"
#include "logs/logs.h"
#include "logs/logtime.h"

static struct logtime T;

static int64_t
utc(int y, int mon, int d, int h, int mi, int s)
{
	return (logtime_days(y, mon, d) * 86400 + h * 3600 + mi * 60 + s) *
	    1000000;
}

static void
test_time(void)
{
	struct logtime t;
	int64_t us, ref = utc(2025, 1, 2, 12, 0, 0) / 1000000;

	logtime_init(&t, ref, LOGTIME_FIXED, 0);
	/* A December stamp in a file written in January is last year's. */
	CHECK_INT(logtime_parse(&t, "Dec 31 23:59:58 host x: y", 25, &us), 15);
	CHECK_INT(us, utc(2024, 12, 31, 23, 59, 58));
	/* ...and the calendar carries it over New Year. */
	CHECK_INT(logtime_parse(&t, "Jan  1 00:00:03 host", 20, &us), 15);
	CHECK_INT(us, utc(2025, 1, 1, 0, 0, 3));
	CHECK_INT(logtime_parse(&t, "Jan  2 11:00:00", 15, &us), 15);
	CHECK_INT(us, utc(2025, 1, 2, 11, 0, 0));
	/* A file whose first stamp is January, written in January. */
	logtime_reset(&t, ref);
	CHECK_INT(logtime_parse(&t, "Jan  1 00:00:03", 15, &us), 15);
	CHECK_INT(us, utc(2025, 1, 1, 0, 0, 3));
	/* Fractions (rsyslog's traditional format with high precision) */
	CHECK_INT(logtime_parse(&t, "Jan  1 00:00:03.250000 h", 24, &us), 22);
	CHECK_INT(us, utc(2025, 1, 1, 0, 0, 3) + 250000);
	/* Fixed offsets: syslog local time at +01:00 */
	logtime_init(&t, ref, LOGTIME_FIXED, 3600);
	CHECK_INT(logtime_parse(&t, "Jan  1 01:00:00", 15, &us), 15);
	CHECK_INT(us, utc(2025, 1, 1, 0, 0, 0));
	/* RFC 3339 carries its own zone, whatever the default. */
	CHECK_INT(logtime_parse(&t, "2025-03-04T05:06:07.123456+02:00 h", 34,
	    &us), 32);
	CHECK_INT(us, utc(2025, 3, 4, 3, 6, 7) + 123456);
	CHECK_INT(logtime_parse(&t, "2025-03-04T05:06:07Z", 20, &us), 20);
	CHECK_INT(us, utc(2025, 3, 4, 5, 6, 7));
	/* journalctl -o short-iso */
	CHECK_INT(logtime_parse(&t, "2025-03-04T05:06:07-0500 host", 29, &us),
	    24);
	CHECK_INT(us, utc(2025, 3, 4, 10, 6, 7));
	/* Exim: local time, or an offset after a space (log_timezone) */
	CHECK_INT(logtime_parse(&t, "2025-03-04 05:06:07 1tHzAa-000Abc-Qx", 36,
	    &us), 19);
	CHECK_INT(us, utc(2025, 3, 4, 4, 6, 7));
	CHECK_INT(logtime_parse(&t, "2025-03-04 05:06:07 +0000 1tHz", 30, &us),
	    25);
	CHECK_INT(us, utc(2025, 3, 4, 5, 6, 7));
	CHECK_INT(logtime_parse(&t, "2025-03-04 05:06:07.042 x", 25, &us), 23);
	/* Not stamps */
	CHECK_INT(logtime_parse(&t, "Feb 30 00:00:00 x", 17, &us), 0);
	CHECK_INT(logtime_parse(&t, "Jan  1 24:00:00 x", 17, &us), 0);
	CHECK_INT(logtime_parse(&t, "Foo  1 00:00:00 x", 17, &us), 0);
	CHECK_INT(logtime_parse(&t, "2025-13-01T00:00:00Z", 20, &us), 0);
	CHECK_INT(logtime_parse(&t, "2025-01-01T00:00", 16, &us), 0);
	CHECK_INT(logtime_parse(&t, "Jan  1 00:00:0", 14, &us), 0);
	CHECK_INT(logtime_parse(&t, "", 0, &us), 0);
	/* 29 February only in leap years */
	logtime_reset(&t, utc(2024, 3, 1, 0, 0, 0) / 1000000);
	CHECK_INT(logtime_parse(&t, "Feb 29 00:00:00", 15, &us), 15);
	logtime_reset(&t, utc(2025, 3, 1, 0, 0, 0) / 1000000);
	CHECK_INT(logtime_parse(&t, "Feb 29 00:00:00", 15, &us), 0);
	/* Arguments */
	logtime_init(&t, 0, LOGTIME_FIXED, 0);
	CHECK_INT(logtime_parse_arg(&t, "2025-01-02", 0, &us), 0);
	CHECK_INT(us, utc(2025, 1, 2, 0, 0, 0));
	CHECK_INT(logtime_parse_arg(&t, "2025-01-02 03:04", 0, &us), 0);
	CHECK_INT(us, utc(2025, 1, 2, 3, 4, 0));
	CHECK_INT(logtime_parse_arg(&t, "2025-01-02T03:04:05+01:00", 0, &us), 0);
	CHECK_INT(us, utc(2025, 1, 2, 2, 4, 5));
	CHECK_INT(logtime_parse_arg(&t, "2h", 7200 + 60, &us), 0);
	CHECK_INT(us, 60 * 1000000);
	CHECK_INT(logtime_parse_arg(&t, "7d", 7 * 86400, &us), 0);
	CHECK_INT(us, 0);
	CHECK_INT(logtime_parse_arg(&t, "yesterday", 0, &us), -1);
	CHECK_INT(logtime_parse_arg(&t, "2025-02-30", 0, &us), -1);
	{
		enum logtime_zone z;
		long off;

		CHECK_INT(logtime_parse_zone("UTC", &z, &off), 0);
		CHECK_INT(off, 0);
		CHECK_INT(logtime_parse_zone("+05:30", &z, &off), 0);
		CHECK_INT(off, 5 * 3600 + 1800);
		CHECK_INT(logtime_parse_zone("-0800", &z, &off), 0);
		CHECK_INT(off, -8 * 3600);
		CHECK_INT(logtime_parse_zone("local", &z, &off), 0);
		CHECK(z == LOGTIME_LOCAL);
		CHECK_INT(logtime_parse_zone("+25:00", &z, &off), -1);
		CHECK_INT(logtime_parse_zone("Mars", &z, &off), -1);
	}
}

struct line_case {
	const char	*line;
	enum log_dialect dialect;
	enum log_ev_kind kind;
	enum log_status	 status;
	const char	*qid;
	const char	*rcpt;
	const char	*relay_host;
	const char	*relay_ip;
	const char	*reply;		/* NULL: don't check */
	const char	*hint;
};

static const struct line_case lines[] = {
	/* Postfix, lines from postfix-grok-patterns' tests */
	{ "Dec 31 23:58:05 mx postfix/smtp[1]: 7EE668039: to=<admin@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=3.6, delays=0.2/0.02/0.04/3.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 153053D)",
	  LOG_D_POSTFIX, LOG_EV_DELIVERY, LOG_ST_SENT, "7EE668039",
	  "<admin@example.com>", "127.0.0.1", "127.0.0.1", "", NULL },
	{ "Dec 31 23:58:05 mx postfix/smtp[1]: A0E85200BD: to=<whatever-user@lists.example.org>, relay=open.example.nl[10.49.140.10]:25, delay=2.3, delays=0.25/0.05/2/0.04, dsn=4.2.0, status=deferred (host open.example.nl[10.49.140.10] said: 450 4.2.0 <whatever-user@lists.example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/lists.example.org.html (in reply to RCPT TO command))",
	  LOG_D_POSTFIX, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "A0E85200BD",
	  "<whatever-user@lists.example.org>", "open.example.nl", "10.49.140.10",
	  "450 4.2.0 <whatever-user@lists.example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/lists.example.org.html",
	  NULL },
	{ "Dec 31 23:58:05 mx postfix/error[1]: 2DC5552A34: to=<user@yahoo.com>, relay=none, delay=63495, delays=63350/144/0/0, dsn=4.4.2, status=deferred (delivery temporarily suspended: lost connection with mta7.am0.yahoodns.net[98.136.216.22] while sending RCPT TO)",
	  LOG_D_POSTFIX, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "2DC5552A34",
	  "<user@yahoo.com>", "none", "", "", NULL },
	{ "Dec 31 23:58:05 mx postfix/local[1]: 892A0205B6: to=ghdsgfhdslfh@localhost, relay=local, delay=0.05, delays=0.02/0/0/0.02, dsn=5.1.1, status=bounced (unknown user: \"ghdsgfhdslfh\")",
	  LOG_D_POSTFIX, LOG_EV_DELIVERY, LOG_ST_BOUNCED, "892A0205B6",
	  "ghdsgfhdslfh@localhost", "local", "", "", NULL },
	{ "Dec 31 23:58:05 mx postfix/qmgr[1]: 585BC3F: from=<>, status=expired, returned to sender",
	  LOG_D_POSTFIX, LOG_EV_EXPIRED, 0, "585BC3F", NULL, NULL, NULL, NULL,
	  NULL },
	{ "Dec 31 23:58:05 mx postfix/cleanup[1]: 0F5383D: message-id=<544D2523.30609@rhsoft.net>",
	  LOG_D_POSTFIX, LOG_EV_MSGID, 0, "0F5383D", NULL, NULL, NULL, NULL,
	  NULL },
	{ "Dec 31 23:58:05 mx postfix/qmgr[1]: 0F5383D: removed",
	  LOG_D_POSTFIX, LOG_EV_DONE, 0, "0F5383D", NULL, NULL, NULL, NULL, NULL },
	{ "Dec 31 23:58:05 mx postfix/smtp[1]: connect to intern.nl[194.109.6.98]:25: Connection timed out",
	  LOG_D_POSTFIX, LOG_EV_OTHER, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "Dec 31 23:58:05 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b>: Relay access denied; from=<c@d> to=<a@b> proto=ESMTP helo=<x>",
	  LOG_D_POSTFIX, LOG_EV_OTHER, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "2025-03-04T05:06:07.123456+01:00 mx postfix-out/smtp[1]: 4E74613FE76: to=<r@gmail.com>, relay=gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b]:25, delay=1.9, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b] refused to talk to me: 550 5.7.1 go away)",
	  LOG_D_POSTFIX, LOG_EV_DELIVERY, LOG_ST_BOUNCED, "4E74613FE76",
	  "<r@gmail.com>", "gmail-smtp-in.l.google.com", "2607:f8b0:400e:c04::1b",
	  "550 5.7.1 go away", NULL },
	{ "<22>Dec 31 23:58:05 postfix/smtp[1]: 78D6B41: to=<a@b.c>, relay=none, delay=1, status=deferred (Host or domain name not found. Name service error for name=b.c type=MX: Host not found, try again)",
	  LOG_D_POSTFIX, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "78D6B41", "<a@b.c>",
	  "none", "", "", NULL },
	{ "Dec 31 23:58:05 mx postfix/smtp[1]: 1234ABCDEF: to=<a@b.c>, relay=x[1.2.3.4]:25, status=",
	  LOG_D_POSTFIX, LOG_EV_UNPARSED, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	/* Exim main log */
	{ "2025-02-11 08:00:02 1tHzAa-000Abc-Qx => alice@example.com R=dnslookup T=remote_smtp H=mx.example.com [198.51.100.5] X=TLS1.3 CV=yes C=\"250 2.0.0 Ok: queued as 1A2B3C\"",
	  LOG_D_EXIM, LOG_EV_DELIVERY, LOG_ST_SENT, "1tHzAa-000Abc-Qx",
	  "alice@example.com", "mx.example.com", "198.51.100.5",
	  "250 2.0.0 Ok: queued as 1A2B3C", NULL },
	{ "1999-03-02 09:44:33 10HmaX-000000005vi-0000 == b@test.ex R=client T=send_to_server defer (-44) H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after RCPT TO:<b@test.ex>: 451 Temp error",
	  LOG_D_EXIM, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "10HmaX-000000005vi-0000",
	  "b@test.ex", "127.0.0.1", "127.0.0.1", "451 Temp error", NULL },
	{ "1999-03-02 09:44:33 10HmaX-000000005vi-0000 == userx1@test.ex R=t1 T=smtp defer (dd): Connection timed out H=127.0.0.1 [127.0.0.1]: SMTP timeout after RCPT TO:<userx1@test.ex>",
	  LOG_D_EXIM, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "10HmaX-000000005vi-0000",
	  "userx1@test.ex", "127.0.0.1", "127.0.0.1", "", "net.timeout" },
	{ "1999-03-02 09:44:33 10HmaX-000000005vi-0000 ** c@test.ex R=all T=smtp H=127.0.0.1 [127.0.0.1]* : SMTP error from remote mail server after RCPT TO:<c@test.ex>: 550 Recipient not OK",
	  LOG_D_EXIM, LOG_EV_DELIVERY, LOG_ST_BOUNCED, "10HmaX-000000005vi-0000",
	  "c@test.ex", "127.0.0.1", "127.0.0.1", "550 Recipient not OK", NULL },
	{ "1999-03-02 09:44:33 10HmaX-000000005vi-0000 ** x@y: retry timeout exceeded",
	  LOG_D_EXIM, LOG_EV_DELIVERY, LOG_ST_EXPIRED, "10HmaX-000000005vi-0000",
	  "x@y", "", "", "", NULL },
	{ "1999-03-02 09:44:33 10HmaX-000000005vi-0000 == CALLER@test.ex R=client T=send_to_server defer (-37) H=127.0.0.1 [127.0.0.1]: TLS session: (SSL_connect): error: <<detail omitted>>",
	  LOG_D_EXIM, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "10HmaX-000000005vi-0000",
	  "CALLER@test.ex", "127.0.0.1", "127.0.0.1", "", "tls.handshake_failed" },
	{ "1999-03-02 09:44:33 [1234] 10HmaX-000000005vi-0000 <= CALLER@myhost.test.ex U=CALLER P=local S=1234 id=abc@x",
	  LOG_D_EXIM, LOG_EV_ARRIVAL, 0, "10HmaX-000000005vi-0000", NULL, NULL,
	  NULL, NULL, NULL },
	{ "1999-03-02 09:44:33 10HmaX-000000005vi-0000 Completed",
	  LOG_D_EXIM, LOG_EV_DONE, 0, "10HmaX-000000005vi-0000", NULL, NULL,
	  NULL, NULL, NULL },
	{ "1999-03-02 09:44:33 Start queue run: pid=p1234 -qf",
	  LOG_D_EXIM, LOG_EV_OTHER, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "Mar  2 09:44:33 host exim[123]: 2025-03-02 09:44:33 1tHzAa-000Abc-Qx == a@test.ex R=all T=smtp defer (111): Connection refused",
	  LOG_D_EXIM, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "1tHzAa-000Abc-Qx",
	  "a@test.ex", "", "", "", NULL },
	/* Sendmail */
	{ "Mar  3 10:05:31 relay sendmail[2004]: 423A0bcd012346: to=<carol@slow.example>, delay=00:00:31, xdelay=00:00:30, mailer=esmtp, pri=120000, relay=mx.slow.example. [203.0.113.7], dsn=4.0.0, stat=Deferred: Connection timed out with mx.slow.example.",
	  LOG_D_SENDMAIL, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "423A0bcd012346",
	  "<carol@slow.example>", "mx.slow.example", "203.0.113.7", "", NULL },
	{ "Mar  3 10:05:31 relay sm-mta[2004]: 423A0bcd012346: to=<a@x.example>,<b@y.example>, delay=00:00:02, mailer=esmtp, pri=150000, relay=mx.x.example. [198.51.100.5], dsn=2.0.0, stat=Sent (Ok: queued as 4XyZ12)",
	  LOG_D_SENDMAIL, LOG_EV_DELIVERY, LOG_ST_SENT, "423A0bcd012346",
	  "<a@x.example>,<b@y.example>", "mx.x.example", "198.51.100.5",
	  "Ok: queued as 4XyZ12", NULL },
	{ "Mar  3 10:05:31 relay sendmail[2004]: 423A0bcd012346: to=<d@o.example>, delay=00:00:01, mailer=esmtp, relay=mx.o.example. [198.51.100.77], dsn=4.7.0, stat=Deferred: 451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77714)",
	  LOG_D_SENDMAIL, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "423A0bcd012346",
	  "<d@o.example>", "mx.o.example", "198.51.100.77",
	  "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77714)",
	  NULL },
	{ "Mar  3 10:05:31 relay sendmail[2004]: 423A0bcd012348: to=<nobody@example.com>, delay=00:00:01, mailer=esmtp, relay=mx.example.com. [198.51.100.5], dsn=5.1.1, stat=User unknown",
	  LOG_D_SENDMAIL, LOG_EV_DELIVERY, LOG_ST_BOUNCED, "423A0bcd012348",
	  "<nobody@example.com>", "mx.example.com", "198.51.100.5", "", NULL },
	{ "Mar  3 10:00:00 relay sendmail[2001]: 423A0bcd012345: from=<b@example.org>, size=2048, class=0, nrcpts=2, msgid=<inv-1001@example.org>, proto=ESMTP, daemon=MTA, relay=app [192.0.2.10]",
	  LOG_D_SENDMAIL, LOG_EV_ARRIVAL, 0, "423A0bcd012345", NULL, NULL, NULL,
	  NULL, NULL },
	/* OpenSMTPD */
	{ "Apr 10 09:01:30 gw smtpd[4101]: 2b3c4d5e6f708194 mta delivery evpid=1eadbeef55667788 from=<s@example.org> to=<ops@down.example> rcpt=<-> source=\"192.0.2.1\" relay=\"203.0.113.44 (mx.down.example)\" delay=30s result=\"TempFail\" stat=\"Network error on destination MXs\"",
	  LOG_D_OPENSMTPD, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "1eadbeef",
	  "<ops@down.example>", "mx.down.example", "203.0.113.44", "", NULL },
	{ "Apr 10 09:02:00 gw smtpd[4101]: 2b3c4d5e6f708195 mta delivery evpid=2eadbeef55667789 from=<s@example.org> to=<g@example.com> rcpt=<-> source=\"192.0.2.1\" relay=\"198.51.100.5 (mx.example.com)\" delay=1s result=\"PermFail\" stat=\"550 5.1.1 User unknown\"",
	  LOG_D_OPENSMTPD, LOG_EV_DELIVERY, LOG_ST_BOUNCED, "2eadbeef",
	  "<g@example.com>", "mx.example.com", "198.51.100.5",
	  "550 5.1.1 User unknown", NULL },
	{ "Apr 10 09:05:00 gw smtpd[4102]: relay: TempFail for 5eadbeef5566778c: from=<s@example.org>, to=<kim@busy.example>, relay=mx.busy.example [203.0.113.60], delay=5m, stat=421 4.3.2 Too many connections",
	  LOG_D_OPENSMTPD, LOG_EV_DELIVERY, LOG_ST_DEFERRED, "5eadbeef",
	  "<kim@busy.example>", "mx.busy.example", "203.0.113.60",
	  "421 4.3.2 Too many connections", NULL },
	{ "Apr 10 09:04:00 gw smtpd[4102]: delivery: Ok for 4eadbeef5566778b: from=<root@gw>, to=<admin@gw>, user=admin, method=mbox, delay=0s, stat=Delivered",
	  LOG_D_OPENSMTPD, LOG_EV_DELIVERY, LOG_ST_SENT, "4eadbeef",
	  "<admin@gw>", "", "", "", NULL },
	{ "Aug 14 10:15:25 junction smtpd[28882]: smtp-in: Failed command on session 1f55bdcdf16e28a3: \"MAIL FROM:<root@junction.example.com>  \" => 421 4.3.0: Temporary Error",
	  LOG_D_OPENSMTPD, LOG_EV_OTHER, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	/* Neither */
	{ "Jan  1 01:12:08 mx1 kernel: [12345.678] eth0: link up",
	  LOG_D_NONE, LOG_EV_OTHER, 0, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "no stamp here",
	  LOG_D_NONE, LOG_EV_UNPARSED, 0, NULL, NULL, NULL, NULL, NULL, NULL },
};

static void
check_sv(struct sv v, const char *want, int i)
{
	char got[1024];

	if (want == NULL)
		return;
	snprintf(got, sizeof(got), "%.*s", (int)v.n, v.p ? v.p : "");
	if (strcmp(got, want) != 0)
		fprintf(stderr, "line case %d:\n", i);
	CHECK_STR(got, want);
}

static void
test_lines(void)
{
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const struct line_case *c = &lines[i];
		struct log_event ev;

		logtime_init(&T, 1735689600, LOGTIME_FIXED, 0);
		logline_parse(&T, c->line, strlen(c->line), &ev);
		if (ev.kind != c->kind || ev.dialect != c->dialect)
			fprintf(stderr, "line case %zu: kind %d dialect %d\n", i,
			    ev.kind, ev.dialect);
		CHECK_INT(ev.dialect, c->dialect);
		CHECK_INT(ev.kind, c->kind);
		if (c->kind == LOG_EV_DELIVERY)
			CHECK_INT(ev.status, c->status);
		check_sv(ev.qid, c->qid, (int)i);
		check_sv(ev.rcpt, c->rcpt, (int)i);
		check_sv(ev.relay_host, c->relay_host, (int)i);
		check_sv(ev.relay_ip, c->relay_ip, (int)i);
		check_sv(ev.reply, c->reply, (int)i);
		if (c->hint != NULL)
			CHECK_STR(ev.cause_hint, c->hint);
	}
	/* Postfix delays= and the bounded key=value reader */
	{
		const char *l = "Dec 31 23:58:05 mx postfix/smtp[1]: 0D9633D: to=<jos@example.com>, orig_to=<bestuur@example.com>, relay=mail1.example.net[10.74.103.11]:25, delay=11, delays=5.4/0.06/5.1/0.03, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as F12DF84004)";
		struct log_event ev;

		logline_parse(&T, l, strlen(l), &ev);
		CHECK(ev.have_delays);
		CHECK(ev.delays[0] > 5.39 && ev.delays[0] < 5.41);
		CHECK(ev.delays[3] > 0.029 && ev.delays[3] < 0.031);
		CHECK(ev.delay > 10.99 && ev.delay < 11.01);
		check_sv(ev.dsn, "2.0.0", -1);
	}
}

/* postfix-grok-patterns' cases: each `data:` is the message part of a
 * Postfix syslog line; the ones its authors parsed a status from must
 * give a delivery with that status and queue id. */
static void
test_grok(void)
{
	const char *src = getenv("MXDOC_SRC");
	char dir[4096], path[8192], line[70000], prog[64], want_st[32],
	    want_qid[64];
	struct dirent *de;
	DIR *d;
	int files = 0, deliveries = 0;

	snprintf(dir, sizeof(dir), "%s/tests/data/logs/postfix-grok-patterns",
	    src ? src : ".");
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "test_logs: %s missing\n", dir);
		CHECK(0);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char buf[65536], data[65536], *p, *us;
		size_t n, k = 0;
		FILE *f;
		struct log_event ev;

		if (strstr(de->d_name, ".yaml") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		files++;
		snprintf(prog, sizeof(prog), "%s", de->d_name);
		if ((us = strrchr(prog, '_')) != NULL)
			*us = '\0';
		for (us = prog; *us; us++)
			if (*us == '_')
				*us = '-';
		if ((p = strstr(buf, "\ndata: ")) == NULL &&
		    strncmp(buf, "data: ", 6) != 0)
			p = strstr(buf, "data: ") - 1;
		p += 7;
		if (*p == '"') {
			for (p++; *p && *p != '\n' && k + 1 < sizeof(data); p++) {
				if (*p == '\\' && p[1] != '\0') {
					data[k++] = *++p;
					continue;
				}
				data[k++] = *p;
			}
			while (k > 0 && data[k - 1] != '"')
				k--;
			if (k > 0)
				k--;
		} else
			while (*p && *p != '\n' && k + 1 < sizeof(data))
				data[k++] = *p++;
		data[k] = '\0';
		n = (size_t)snprintf(line, sizeof(line),
		    "Nov 28 08:43:18 mx postfix/%s[123]: %s", prog, data);
		logtime_init(&T, 1764319398, LOGTIME_FIXED, 0);
		logline_parse(&T, line, n, &ev);
		CHECK_INT(ev.dialect, LOG_D_POSTFIX);
		want_st[0] = want_qid[0] = '\0';
		if ((p = strstr(buf, "postfix_status: ")) != NULL)
			snprintf(want_st, sizeof(want_st), "%.*s",
			    (int)strcspn(p + 16, "\n "), p + 16);
		if ((p = strstr(buf, "postfix_queueid: ")) != NULL)
			snprintf(want_qid, sizeof(want_qid), "%.*s",
			    (int)strcspn(p + 17 + (p[17] == '"'), "\n \""),
			    p + 17 + (p[17] == '"'));
		if (strcmp(want_st, "sent") != 0 && strcmp(want_st, "deferred") &&
		    strcmp(want_st, "bounced") != 0 && strcmp(want_st, "expired"))
			want_st[0] = '\0';	/* address probes */
		if (want_st[0] != '\0' && strncmp(data, "NOQUEUE", 7) != 0 &&
		    strstr(data, "to=") != NULL) {
			deliveries++;
			if (ev.kind != LOG_EV_DELIVERY)
				fprintf(stderr, "%s: kind %d\n", de->d_name,
				    ev.kind);
			CHECK_INT(ev.kind, LOG_EV_DELIVERY);
			CHECK_STR(log_status_name(ev.status),
			    strcmp(want_st, "sent") == 0 ? "delivered" : want_st);
			check_sv(ev.qid, want_qid, files);
		} else if (strcmp(want_st, "expired") == 0)
			CHECK_INT(ev.kind, LOG_EV_EXPIRED);
		else if (ev.kind == LOG_EV_UNPARSED)
			fprintf(stderr, "%s: unparsed (%s)\n", de->d_name,
			    ev.reason);
		else
			CHECK(ev.kind != LOG_EV_UNPARSED);
	}
	closedir(d);
	CHECK(files >= 190);
	CHECK(deliveries >= 12);
}

/* Exim's test suite logs (GPL, in ../shared when present): every
 * delivery, deferral and failure line of a remote or local delivery
 * parses with the recipient and, where Exim gave one, the host. */
static void
test_exim_suite(void)
{
	const char *sh = getenv("MXDOC_SHARED");
	char dir[4096], path[8192], buf[70000];
	struct dirent *de;
	DIR *d;
	int n = 0, hosts = 0;

	snprintf(dir, sizeof(dir), "%s/testdata/logs/exim-testsuite",
	    sh ? sh : "../shared");
	if ((d = opendir(dir)) == NULL) {
		printf("test_logs: %s absent, Exim suite skipped\n", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		logtime_init(&T, 920367873, LOGTIME_FIXED, 0);
		while (fgets(buf, sizeof(buf), f) != NULL) {
			size_t len = strcspn(buf, "\n");
			struct log_event ev;
			const char *fl = len > 48 ? buf + 44 : "";

			buf[len] = '\0';
			if (len < 47 || buf[4] != '-' || (strncmp(fl, "== ", 3) &&
			    strncmp(fl, "** ", 3) && strncmp(fl, "=> ", 3)))
				continue;
			if (fl[3] == ':' || fl[3] == '/' || fl[3] == '|')
				continue;
			logline_parse(&T, buf, len, &ev);
			if (ev.kind != LOG_EV_DELIVERY)
				fprintf(stderr, "%s: %s\n", de->d_name, buf);
			CHECK_INT(ev.kind, LOG_EV_DELIVERY);
			CHECK(ev.rcpt.n > 0);
			if (strstr(buf, " H=") != NULL && ev.relay_host.n > 0)
				hosts++;
			n++;
		}
		fclose(f);
	}
	closedir(d);
	printf("test_logs: %d Exim suite lines, %d with a host\n", n, hosts);
	CHECK(n > 500);
}

/* ---- aggregation ------------------------------------------------------- */

static const char postfix_log[] =
"Jan  1 00:10:00 mx postfix/cleanup[1]: 78D6B41: message-id=<r7@example.org>\n"
"Jan  1 00:10:00 mx postfix/qmgr[1]: 78D6B41: from=<r@example.org>, size=20480, nrcpt=2 (queue active)\n"
"Jan  1 00:10:30 mx postfix/smtp[2]: 78D6B41: to=<a@gmx.com>, relay=none, delay=30, dsn=4.4.1, status=deferred (connect to mx00.gmx.com[74.208.5.4]:25: Connection timed out)\n"
"Jan  1 00:10:30 mx postfix/smtp[2]: 78D6B41: to=<b@ok.example>, relay=mx.ok.example[192.0.2.5]:25, delay=30, delays=1/2/3/4, dsn=2.0.0, status=sent (250 ok)\n"
"Jan  1 00:20:00 mx postfix/smtp[2]: 78D6B41: to=<a@gmx.com>, relay=none, delay=600, dsn=4.4.1, status=deferred (connect to mx00.gmx.com[74.208.5.4]:25: Connection timed out)\n"
"Jan  1 00:30:00 mx postfix/smtp[2]: 78D6B41: to=<a@gmx.com>, relay=mx00.gmx.com[74.208.5.4]:25, delay=1200, dsn=4.4.2, status=deferred (conversation with mx00.gmx.com[74.208.5.4] timed out while receiving the initial server greeting)\n"
"Jan  1 00:40:00 mx postfix/smtp[2]: 78D6B41: to=<a@gmx.com>, relay=none, delay=1800, dsn=4.4.1, status=deferred (connect to mx00.gmx.com[74.208.5.4]:25: Connection refused)\n"
"Jan  1 01:10:00 mx postfix/qmgr[1]: 78D6B41: from=<r@example.org>, status=expired, returned to sender\n"
"Jan  1 01:10:00 mx postfix/qmgr[1]: 78D6B41: removed\n"
"Jan  1 02:00:00 mx postfix/smtp[3]: 1111AAAA: to=<c@gmx.com>, relay=mx00.gmx.com[74.208.5.4]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n"
"Jan  1 02:00:01 mx postfix/smtp[3]: 2222BBBB: to=<d@gone.example>, relay=none, delay=1, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=gone.example type=A: Host not found)\n"
"Jan  1 02:00:02 mx postfix/smtp[3]: 3333CCCC: to=<e@tls.example>, relay=mx.tls.example[192.0.2.9]:25, delay=1, dsn=4.7.5, status=deferred (TLS handshake failed)\n"
"Jan  1 02:00:03 mx postfix/smtp[3]: 4444DDDD: to=<f@reset.example>, relay=mx.reset.example[192.0.2.10]:25, delay=1, dsn=4.4.2, status=deferred (lost connection with mx.reset.example[192.0.2.10] while receiving the initial server greeting)\n"
"Jan  1 02:00:04 mx postfix/smtp[3]: 5555EEEE: to=<g@gmail.com>, relay=gmail-smtp-in.l.google.com[74.125.136.26]:25, delay=1, dsn=4.7.0, status=deferred (host gmail-smtp-in.l.google.com[74.125.136.26] said: 421-4.7.0 [1.2.3.4      15] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. (in reply to end of DATA command))\n"
"Jan  1 02:00:05 mx postfix/smtp[3]: 6666FFFF: to=<h@rst.example>, relay=mx.rst.example[192.0.2.11]:25, delay=1, dsn=4.4.2, status=deferred (conversation with mx.rst.example[192.0.2.11] timed out while sending MAIL FROM)\n"
"Jan  1 02:00:06 mx postfix/smtp[3]: 7777AAAA: to=<i@rst.example>, relay=mx.rst.example[192.0.2.11]:25, delay=1, dsn=4.4.2, status=deferred (read: Connection reset by peer)\n";

static const struct logs_dest *
dest(const struct logs_result *r, const char *dom)
{
	size_t i;

	for (i = 0; i < r->ndests; i++)
		if (strcmp(r->dests[i]->domain, dom) == 0)
			return r->dests[i];
	return NULL;
}

static uint64_t
dest_cause(const struct logs_dest *d, const char *id)
{
	size_t i;

	for (i = 0; d != NULL && i < d->ncauses; i++)
		if (strcmp(d->causes[i].cause->id, id) == 0)
			return d->causes[i].n;
	return 0;
}

static struct logs *
feed(const struct logs_params *p, const char *text)
{
	struct logs *l = logs_new(p);
	const char *s = text, *nl;

	logs_begin_file(l, "test.log", 1735700000, false);
	while ((nl = strchr(s, '\n')) != NULL) {
		logs_feed_line(l, s, (size_t)(nl - s));
		s = nl + 1;
	}
	return l;
}

static void
test_aggregate(void)
{
	struct logs_params p;
	const struct logs_result *r;
	const struct logs_dest *d;
	struct logs *l;

	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_FIXED;
	l = feed(&p, postfix_log);
	r = logs_finish(l);
	CHECK_INT(r->lines, 16);
	CHECK_INT(r->st[LOG_ST_SENT], 2);
	CHECK_INT(r->st[LOG_ST_DEFERRED], 9);
	CHECK_INT(r->st[LOG_ST_BOUNCED], 1);
	CHECK_INT(r->st[LOG_ST_EXPIRED], 1);
	d = dest(r, "gmx.com");
	CHECK(d != NULL);
	if (d != NULL) {
		/* four deferrals and the expiry of one message, one delivery
		 * of another: two messages */
		CHECK_INT(d->messages, 2);
		CHECK_INT(d->st[LOG_ST_DEFERRED], 4);
		CHECK_INT(d->st[LOG_ST_EXPIRED], 1);
		CHECK_INT(d->st[LOG_ST_SENT], 1);
		CHECK_INT(dest_cause(d, "net.connect_timeout"), 2);
		CHECK_INT(dest_cause(d, "net.timeout"), 1);
		/* the expiry takes the cause of the last deferral */
		CHECK_INT(dest_cause(d, "net.refused"), 2);
		CHECK_INT(d->first_fail_us, utc(2025, 1, 1, 0, 10, 30));
		CHECK_INT(d->last_fail_us, utc(2025, 1, 1, 1, 10, 0));
		CHECK_INT(d->nrelays, 1);
		CHECK(d->nsamples >= 1);
		CHECK_STR(d->samples[0].qid, "78D6B41");
		CHECK_STR(d->samples[0].msgid, "<r7@example.org>");
	}
	CHECK(r->dests[0] == d);	/* most failures first */
	CHECK_INT(dest_cause(dest(r, "gone.example"), "dns.nxdomain"), 1);
	CHECK_INT(dest_cause(dest(r, "tls.example"), "tls.handshake_failed"), 1);
	CHECK_INT(dest_cause(dest(r, "gmail.com"), "smtp.reputation"), 1);
	CHECK_INT(dest_cause(dest(r, "rst.example"), "net.timeout"), 1);
	CHECK_INT(dest_cause(dest(r, "rst.example"), "net.reset"), 1);
	/* Postfix's "lost connection ... greeting": as the classifier says */
	CHECK(dest_cause(dest(r, "reset.example"), "smtp.connection_dropped") +
	    dest_cause(dest(r, "reset.example"), "net.closed") == 1);
	CHECK_INT(r->delays.n, 1);
	CHECK(r->delays.sum[3] > 3.99 && r->delays.sum[3] < 4.01);
	CHECK(r->ncauses >= 6);
	CHECK_STR(r->causes[0]->cause->id, "net.connect_timeout");
	CHECK_INT(r->causes[0]->replies[0].count, 2);
	CHECK_STR(r->causes[0]->replies[0].text,
	    "connect to mx00.gmx.com[74.208.5.4]:25: Connection timed out");
	logs_free(l);

	/* Filters */
	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_FIXED;
	p.domain = "GMX.com";
	p.cause = "net";
	l = feed(&p, postfix_log);
	r = logs_finish(l);
	CHECK_INT(r->ndests, 1);
	CHECK_INT(r->st[LOG_ST_DEFERRED], 4);
	CHECK_INT(r->st[LOG_ST_SENT], 0);
	logs_free(l);
	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_FIXED;
	p.since_us = utc(2025, 1, 1, 2, 0, 0);
	p.until_us = utc(2025, 1, 1, 2, 0, 2);
	l = feed(&p, postfix_log);
	r = logs_finish(l);
	CHECK_INT(r->st[LOG_ST_SENT] + r->st[LOG_ST_BOUNCED], 2);
	CHECK_INT(r->st[LOG_ST_DEFERRED], 0);
	logs_free(l);

	/* --message by Message-ID, with or without <> */
	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_FIXED;
	p.message = "r7@example.org";
	l = feed(&p, postfix_log);
	r = logs_finish(l);
	CHECK(r->message_found);
	CHECK_INT(r->nsteps, 9);
	CHECK_INT(r->st[LOG_ST_SENT], 1);
	CHECK_INT(r->st[LOG_ST_EXPIRED], 1);
	logs_free(l);

	CHECK(logs_cause_matches(cause_must("net.refused"), "net"));
	CHECK(logs_cause_matches(cause_must("net.refused"), "net.refused"));
	CHECK(logs_cause_matches(cause_must("smtp.blocklisted"), "reputation"));
	CHECK(!logs_cause_matches(cause_must("net.refused"), "ne"));
	CHECK(!logs_cause_matches(cause_must("dns.failure"), "net"));
}

static void
test_files(void)
{
	char plain[] = "/tmp/test_logs_XXXXXX", gzp[64];
	struct logs_params p;
	const struct logs_result *r;
	struct logs *l;
	char *err = NULL, *big;
	const char *paths[] = { "mail.log", "mail.log.2.gz", "other.log",
	    "mail.log.1", "mail.log.10.gz" };
	gzFile gz;
	FILE *f;
	int fd;

	/* An overlong line, NULs and bytes that are no UTF-8 between good
	 * lines: counted, never fatal, the rest still read. */
	fd = mkstemp(plain);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs(postfix_log, f);
	big = xmalloc(LOG_LINE_MAX * 2);
	memset(big, 'x', LOG_LINE_MAX * 2);
	memcpy(big, "Jan  1 03:00:00 mx postfix/smtp[1]: ", 36);
	fwrite(big, 1, LOG_LINE_MAX * 2, f);
	fwrite("\n\x00\x01\xff\xfe garbage\n", 1, 15, f);
	fwrite("Jan  1 03\x00:00:00 mx\n", 1, 20, f);
	fputs("Jan  1 04:00:00 mx postfix/smtp[3]: 9999AAAA: to=<z@ok.example>, relay=mx.ok.example[192.0.2.5]:25, dsn=2.0.0, status=sent (250 ok)\r\n", f);
	fputs("Jan  1 04:00:01 mx postfix/smtp[3]: 9999AAAB: to=<y@ok.example>, relay=none, dsn=2.0.0, status=sent (no newline at the end)", f);
	fclose(f);
	free(big);
	memset(&p, 0, sizeof(p));
	p.zone = LOGTIME_FIXED;
	l = logs_new(&p);
	CHECK_INT(logs_read_file(l, plain, &err), 0);
	r = logs_finish(l);
	CHECK_INT(r->lines, 21);
	CHECK_INT(r->st[LOG_ST_SENT], 4);
	CHECK_INT(r->unparsed, 3);
	CHECK(r->nunparsed_lines == 3 && r->unparsed_lines[0].line == 17);
	CHECK_STR(r->unparsed_lines[0].reason, "line too long");
	logs_free(l);

	/* The same through gzip, in two members. */
	snprintf(gzp, sizeof(gzp), "%s.gz", plain);
	gz = gzopen(gzp, "wb");
	gzwrite(gz, postfix_log, 200);
	gzclose(gz);
	gz = gzopen(gzp, "ab");
	gzwrite(gz, postfix_log + 200, (unsigned)(sizeof(postfix_log) - 201));
	gzclose(gz);
	l = logs_new(&p);
	CHECK_INT(logs_read_file(l, gzp, &err), 0);
	r = logs_finish(l);
	CHECK_INT(r->lines, 16);
	CHECK_INT(r->st[LOG_ST_DEFERRED], 9);
	CHECK(r->nfiles == 1 && r->files[0].compressed);
	logs_free(l);
	/* A truncated gzip file is an error, not a silent short read. */
	CHECK(truncate(gzp, 40) == 0);
	l = logs_new(&p);
	CHECK_INT(logs_read_file(l, gzp, &err), -1);
	CHECK(err != NULL);
	free(err);
	err = NULL;
	CHECK_INT(logs_read_file(l, "/nonexistent/mail.log", &err), -1);
	CHECK(err != NULL);
	free(err);
	logs_free(l);
	unlink(gzp);
	unlink(plain);

	logs_sort_files(paths, 5);
	CHECK_STR(paths[0], "mail.log.10.gz");
	CHECK_STR(paths[1], "mail.log.2.gz");
	CHECK_STR(paths[2], "mail.log.1");
	CHECK_STR(paths[3], "mail.log");
	CHECK_STR(paths[4], "other.log");
}

/* Rates: a destination's attempts per minute, merged pairwise when the
 * span passes LOGS_SERIES_MAX buckets, and what was sent before the
 * first throttling reply. */
static void
test_rates(void)
{
	struct logs_params p;
	struct logs *l;
	const struct logs_result *r;
	const struct logs_dest *d;
	char line[512];
	int i, k;
	double w;
	int64_t at;

	memset(&p, 0, sizeof(p));
	p.year = 2026;
	p.zone = LOGTIME_FIXED;
	p.off_s = 0;
	l = logs_new(&p);
	logs_begin_file(l, "rates.log", 0, false);
	/* 08:00-08:11: 2, then 5 a minute; at 08:12:30 the first 421 */
	for (i = 0; i < 12; i++)
		for (k = 0; k < (i < 5 ? 2 : 5); k++) {
			snprintf(line, sizeof(line), "Nov 28 08:%02d:%02d mx "
			    "postfix/smtp[1]: A%02d%02dB: to=<u@ex.com>, "
			    "relay=mx.ex.com[192.0.2.1]:25, delay=1, dsn=2.0.0, "
			    "status=sent (250 ok)", i, k * 10, i, k);
			logs_feed_line(l, line, strlen(line));
		}
	snprintf(line, sizeof(line), "Nov 28 08:12:30 mx postfix/smtp[1]: "
	    "C0000D: to=<u@ex.com>, relay=mx.ex.com[192.0.2.1]:25, delay=1, "
	    "dsn=4.7.0, status=deferred (host mx.ex.com[192.0.2.1] said: 421 "
	    "4.7.0 Too many messages from this IP address, rate limited (in "
	    "reply to MAIL FROM command))");
	logs_feed_line(l, line, strlen(line));
	/* much later, out of the 4096-minute span: the buckets widen */
	snprintf(line, sizeof(line), "Dec 28 08:00:00 mx postfix/smtp[1]: "
	    "E0000F: to=<u@ex.com>, relay=mx.ex.com[192.0.2.1]:25, delay=1, "
	    "dsn=2.0.0, status=sent (250 ok)");
	logs_feed_line(l, line, strlen(line));
	r = logs_finish(l);
	CHECK_INT(r->ndests, 1);
	d = r->dests[0];
	CHECK(d->throttle.first_us != 0);
	CHECK_STR(d->throttle.cause->id, "smtp.throttled");
	/* 08:02-08:11 (10 minutes: 3x2 + 7x5) and 08:12 (nothing before) */
	CHECK_INT(d->throttle.attempts, 3 * 2 + 7 * 5);
	CHECK_INT(d->throttle.peak, 5);
	CHECK(logs_throttle_rate(&d->throttle, &w) > 3.9);
	CHECK(w > 10.49 && w < 10.51);
	CHECK(d->rate.width >= 16);
	CHECK(d->rate.n <= LOGS_SERIES_MAX);
	/* no attempt is lost by the merging */
	CHECK(logs_series_sum(&d->rate, 0, INT64_MAX / 2) > 46.99 &&
	    logs_series_sum(&d->rate, 0, INT64_MAX / 2) < 47.01);
	CHECK(logs_series_peak(&d->rate, &at) > 0);
	CHECK_INT(r->causes[0]->deferrals.n > 0, 1);
	logs_free(l);
}

void
run_tests(void)
{
	test_time();
	test_lines();
	test_grok();
	test_exim_suite();
	test_aggregate();
	test_files();
	test_rates();
}
