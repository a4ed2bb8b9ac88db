/*
 * test_reply.c - the SMTP reply parser against real replies (Gmail,
 * Microsoft, Yahoo, Postfix; texts from shared/reply-catalogue.md) and
 * against broken ones.
 */
#include <stdlib.h>

#include "harness.h"
#include "smtp/reply.h"

#define MORE	SMTP_REPLY_MORE
#define DONE	SMTP_REPLY_DONE
#define BAD	SMTP_REPLY_BAD

static const char E_CODE[] = "reply line does not start with a 3-digit code";

struct rcase {
	const char		*in;
	enum smtp_reply_state	 state;
	int			 code;
	const char		*esc;
	bool			 replaced;
	int			 nlines;
	const char		*text;	/* NULL: not checked */
	const char		*err;	/* NULL: no error; else a prefix */
};

static const struct rcase cases[] = {
	/* Gmail's multi-line deferral; every line repeats the code. */
	{ "421-4.7.0 [192.0.2.1      15] Our system has detected that this message is\r\n"
	  "421-4.7.0 suspicious due to the very low reputation of the sending domain.\r\n"
	  "421 4.7.0 Please visit https://support.google.com/mail/answer/188131 - gsmtp\r\n",
	  DONE, 421, "4.7.0", false, 3,
	  "4.7.0 [192.0.2.1      15] Our system has detected that this message is\n"
	  "4.7.0 suspicious due to the very low reputation of the sending domain.\n"
	  "4.7.0 Please visit https://support.google.com/mail/answer/188131 - gsmtp",
	  NULL },
	{ "421-4.7.28 [192.0.2.1] Our system has detected an unusual rate of\n"
	  "421 4.7.28 unsolicited mail originating from your IP address. - gsmtp",
	  DONE, 421, "4.7.28", false, 2, NULL, NULL },
	{ "421 4.7.0 Try again later, closing connection.",
	  DONE, 421, "4.7.0", false, 1,
	  "4.7.0 Try again later, closing connection.", NULL },
	/* Gmail's EHLO reply: no enhanced code on the first line. */
	{ "250-mx.google.com at your service, [192.0.2.1]\r\n250-SIZE 157286400\r\n"
	  "250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"
	  "250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
	  DONE, 250, "", false, 8,
	  "mx.google.com at your service, [192.0.2.1]\nSIZE 157286400\n8BITMIME\n"
	  "STARTTLS\nENHANCEDSTATUSCODES\nPIPELINING\nCHUNKING\nSMTPUTF8", NULL },
	/* Microsoft. */
	{ "550 5.7.1 Service unavailable, Client host [1.2.3.4] blocked using "
	  "Spamhaus. To request removal from this list see "
	  "https://www.spamhaus.org/query/ip/1.2.3.4 (AS3130). "
	  "[BN8NAM12FT053.eop-nam12.prod.protection.outlook.com 2024-01-01T00:00:00.000Z 08DC0A1B2C3D4E5F]",
	  DONE, 550, "5.7.1", false, 1, NULL, NULL },
	{ "451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited "
	  "due to IP reputation. For e-mail delivery information, see "
	  "https://postmaster.live.com (S843)",
	  DONE, 451, "4.7.650", false, 1, NULL, NULL },
	{ "421 4.4.2 Connection dropped due to SocketError",
	  DONE, 421, "4.4.2", false, 1,
	  "4.4.2 Connection dropped due to SocketError", NULL },
	{ "550 5.4.300 Message expired", DONE, 550, "5.4.300", false, 1, NULL, NULL },
	/* Microsoft's 4.7.500-699 family is written as a range in its
	 * documentation; a range is not a code. */
	{ "451 4.7.500-699 (ASxxx) Access denied, please try again later",
	  DONE, 451, "", false, 1, NULL, NULL },
	/* Yahoo: the code is at the start; "4.16.55.1" later is not it. */
	{ "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to "
	  "unexpected volume or user complaints - 4.16.55.1; see "
	  "https://postmaster.yahooinc.com/error-codes",
	  DONE, 421, "4.7.0", false, 1, NULL, NULL },
	{ "421 [IPTS04] Messages from 192.0.2.1 temporarily deferred",
	  DONE, 421, "", false, 1, NULL, NULL },
	/* Comcast writes "421 - [...]": the text starts with "- ". */
	{ "421 - [Too many sessions opened]", DONE, 421, "", false, 1,
	  "- [Too many sessions opened]", NULL },
	/* Greetings and bare codes. */
	{ "220 mail.example.com ESMTP Postfix (Debian/GNU)", DONE, 220, "", false, 1,
	  "mail.example.com ESMTP Postfix (Debian/GNU)", NULL },
	{ "220", DONE, 220, "", false, 1, "", NULL },
	{ "250 ", DONE, 250, "", false, 1, "", NULL },
	{ "250-\n250 ", DONE, 250, "", false, 2, "\n", NULL },
	{ "354 End data with <CR><LF>.<CR><LF>", DONE, 354, "", false, 1, NULL, NULL },
	{ "250 2.0.0 Ok: queued as 4F1A2B3C4D", DONE, 250, "2.0.0", false, 1, NULL, NULL },
	{ "221 2.0.0 Bye", DONE, 221, "2.0.0", false, 1, "2.0.0 Bye", NULL },
	/* The code ends the text: followed by the end is fine. */
	{ "550 5.1.1", DONE, 550, "5.1.1", false, 1, "5.1.1", NULL },
	/* Postfix skips spaces before the code; so do we. */
	{ "550  5.1.1 <nobody@example.com>: Recipient address rejected",
	  DONE, 550, "5.1.1", false, 1, NULL, NULL },
	/* Not codes: no space after, too many digits, class 3, trailing dot. */
	{ "550 5.1.1: user unknown", DONE, 550, "", false, 1, NULL, NULL },
	{ "550 5.1234.1 x", DONE, 550, "", false, 1, NULL, NULL },
	{ "550 5.1.1234 x", DONE, 550, "", false, 1, NULL, NULL },
	{ "550 3.1.1 x", DONE, 550, "", false, 1, NULL, NULL },
	{ "550 5.1. x", DONE, 550, "", false, 1, NULL, NULL },
	{ "550 5..1 x", DONE, 550, "", false, 1, NULL, NULL },
	{ "550 5.1.1.2 x", DONE, 550, "", false, 1, NULL, NULL },
	/* Only the first line's code counts. */
	{ "550-Rejected\n550 5.7.1 for policy reasons", DONE, 550, "", false, 2,
	  "Rejected\n5.7.1 for policy reasons", NULL },
	/* Sanitising the Postfix way. */
	{ "550 4.7.1 Client host rejected: cannot find your hostname",
	  DONE, 550, "5.0.0", true, 1,
	  "4.7.1 Client host rejected: cannot find your hostname", NULL },
	{ "450 5.7.1 <a@example.com>: Recipient address rejected: greylisted",
	  DONE, 450, "4.0.0", true, 1, NULL, NULL },
	{ "250 5.0.0 odd but harmless", DONE, 250, "2.0.0", true, 1, NULL, NULL },
	{ "421 2.0.0 closing", DONE, 421, "4.0.0", true, 1, NULL, NULL },
	{ "354 2.0.0 go ahead", DONE, 354, "", true, 1, "2.0.0 go ahead", NULL },
	/* A continuation left open. */
	{ "250-mail.example.com\n250-PIPELINING\n", MORE, 250, "", false, 2,
	  "mail.example.com\nPIPELINING", NULL },
	{ "", MORE, 0, "", false, 0, "", NULL },
	/* Malformed. */
	{ "250-mail.example.com\n251 oops", BAD, 250, "", false, 1, NULL,
	  "reply lines carry different codes" },
	{ "421-4.7.0 a\n550 5.7.1 b", BAD, 421, "4.7.0", false, 1, NULL,
	  "reply lines carry different codes" },
	{ "2500 x", BAD, 0, "", false, 0, "", E_CODE },
	{ "25", BAD, 0, "", false, 0, "", E_CODE },
	{ "250x", BAD, 0, "", false, 0, "", E_CODE },
	{ "250\tok", BAD, 0, "", false, 0, "", E_CODE },
	{ "150 ok", BAD, 0, "", false, 0, "", E_CODE },
	{ "650 ok", BAD, 0, "", false, 0, "", E_CODE },
	{ "2a0 ok", BAD, 0, "", false, 0, "", E_CODE },
	{ " 250 ok", BAD, 0, "", false, 0, "", E_CODE },
	{ "SSH-2.0-OpenSSH_9.2p1 Debian-2", BAD, 0, "", false, 0, "", E_CODE },
	{ "HTTP/1.1 400 Bad Request", BAD, 0, "", false, 0, "", E_CODE },
	{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", BAD, 0, "", false, 0, "",
	  E_CODE },
	/* An empty line inside a reply. */
	{ "250-a\n\n250 b", BAD, 250, "", false, 1, "a", E_CODE },
	/* A second reply after the first one. */
	{ "250 ok\n250 again", BAD, 250, "", false, 1, "ok",
	  "a line came after the last line" },
};

static void
check_case(const struct rcase *c, size_t idx)
{
	struct smtp_reply r;
	enum smtp_reply_state st;
	size_t before = (size_t)t_fail;

	st = smtp_reply_parse(&r, c->in, strlen(c->in));
	CHECK_INT(st, c->state);
	CHECK_INT(r.state, c->state);
	CHECK_INT(r.code, c->code);
	CHECK_STR(r.esc, c->esc);
	CHECK_INT(r.esc_replaced, c->replaced);
	CHECK_INT(r.nlines, c->nlines);
	if (c->text != NULL)
		CHECK_STR(buf_cstr(&r.text), c->text);
	if (c->err == NULL)
		CHECK(r.err == NULL);
	else
		CHECK(r.err != NULL && strncmp(r.err, c->err, strlen(c->err)) == 0);
	if ((size_t)t_fail != before)
		fprintf(stderr, "  in case %zu: \"%.60s\"\n", idx, c->in);
	smtp_reply_release(&r);
}

/* Feeding line by line gives what parsing the whole text gives. */
static void
test_feed(void)
{
	struct smtp_reply r;
	const char *l1 = "550-5.7.1 [192.0.2.1] The IP you're using to send mail is not";
	const char *l2 = "550 5.7.1 authorized to send email directly to our servers.";

	smtp_reply_init(&r);
	CHECK_INT(smtp_reply_feed(&r, l1, strlen(l1)), MORE);
	CHECK_INT(r.code, 550);
	CHECK_STR(r.esc, "5.7.1");
	CHECK_INT(smtp_reply_feed(&r, l2, strlen(l2)), DONE);
	CHECK_INT(r.nlines, 2);
	CHECK(r.err == NULL);
	/* After DONE the next line belongs to another reply. */
	CHECK_INT(smtp_reply_feed(&r, "250 ok", 6), BAD);
	CHECK(r.err != NULL);
	smtp_reply_release(&r);

	/* Lines may hold NULs; the length is the truth. */
	smtp_reply_init(&r);
	CHECK_INT(smtp_reply_feed(&r, "550 a\0b", 7), DONE);
	CHECK_INT(r.text.len, 3);
	CHECK(memcmp(r.text.data, "a\0b", 3) == 0);
	smtp_reply_release(&r);

	/* After BAD, BAD stays, with the first reason. */
	smtp_reply_init(&r);
	CHECK_INT(smtp_reply_feed(&r, "xyz", 3), BAD);
	CHECK_INT(smtp_reply_feed(&r, "250 ok", 6), BAD);
	CHECK_STR(r.err, E_CODE);
	smtp_reply_release(&r);
}

static void
test_limits(void)
{
	struct smtp_reply r;
	struct buf b;
	char *line;
	int i;

	/* A line of exactly SMTP_LINE_MAX bytes passes; one more fails. */
	line = malloc(SMTP_LINE_MAX + 2);
	memcpy(line, "250 ", 4);
	memset(line + 4, 'a', SMTP_LINE_MAX - 4 + 1);
	smtp_reply_init(&r);
	CHECK_INT(smtp_reply_feed(&r, line, SMTP_LINE_MAX), DONE);
	CHECK_INT(r.text.len, SMTP_LINE_MAX - 4);
	smtp_reply_release(&r);
	smtp_reply_init(&r);
	CHECK_INT(smtp_reply_feed(&r, line, SMTP_LINE_MAX + 1), BAD);
	CHECK_STR(r.err, "reply line longer than 2048 bytes");
	smtp_reply_release(&r);
	line[SMTP_LINE_MAX + 1] = '\0';
	CHECK_INT(smtp_reply_parse(&r, line, SMTP_LINE_MAX + 1), BAD);
	smtp_reply_release(&r);

	/* SMTP_REPLY_MAX_LINES lines pass; one more fails. The text is
	 * truncated on the way, which is not an error. */
	buf_init(&b, BUF_UNBOUNDED);
	for (i = 0; i < SMTP_REPLY_MAX_LINES - 1; i++) {
		(void)buf_puts(&b, "250-");
		(void)buf_append(&b, line + 4, 200);
		(void)buf_puts(&b, "\r\n");
	}
	(void)buf_puts(&b, "250 last\r\n");
	CHECK_INT(smtp_reply_parse(&r, b.data, b.len), DONE);
	CHECK_INT(r.nlines, SMTP_REPLY_MAX_LINES);
	CHECK_INT(r.text.len, SMTP_REPLY_MAX_TEXT);
	CHECK(r.err == NULL);
	smtp_reply_release(&r);

	buf_reset(&b);
	for (i = 0; i < SMTP_REPLY_MAX_LINES; i++)
		(void)buf_puts(&b, "250-x\n");
	(void)buf_puts(&b, "250 x\n");
	CHECK_INT(smtp_reply_parse(&r, b.data, b.len), BAD);
	CHECK_INT(r.nlines, SMTP_REPLY_MAX_LINES);
	CHECK_STR(r.err, "reply has more than 200 lines");
	smtp_reply_release(&r);
	buf_release(&b);
	free(line);
}

static void
test_esc(void)
{
	static const struct {
		const char	*text;
		size_t		 len;
		const char	*esc;
	} scans[] = {
		{ "5.7.1 Service unavailable", 5, "5.7.1" },
		{ "4.7.650 The mail server", 7, "4.7.650" },
		{ "  2.0.0", 7, "2.0.0" },
		{ "5.123.123 x", 9, "5.123.123" },
		{ "5.7.1", 5, "5.7.1" },
		{ "5.7.1\tx", 0, "" },
		{ "5.7.1x", 0, "" },
		{ "1.7.1 x", 0, "" },
		{ "X.7.1 x", 0, "" },
		{ "5,7.1 x", 0, "" },
		{ "5.7", 0, "" },
		{ "5.7.", 0, "" },
		{ "5.", 0, "" },
		{ "5", 0, "" },
		{ "", 0, "" },
		{ "   ", 0, "" },
		{ "[TSS04] 4.7.0", 0, "" },
	};
	static const struct {
		int		 code;
		const char	*in, *out;
		bool		 changed;
	} sans[] = {
		{ 550, "5.7.1", "5.7.1", false },
		{ 550, "4.7.1", "5.0.0", true },
		{ 451, "5.7.3", "4.0.0", true },
		{ 250, "4.2.0", "2.0.0", true },
		{ 221, "2.0.0", "2.0.0", false },
		{ 354, "2.0.0", "", true },
		{ 550, "", "", false },
		{ 0, "4.7.1", "4.7.1", false },
	};
	char esc[16];
	size_t i;

	for (i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
		memset(esc, 'z', sizeof(esc));
		CHECK_INT(smtp_esc_scan(scans[i].text, strlen(scans[i].text), esc),
		    scans[i].len);
		CHECK_STR(esc, scans[i].esc);
	}
	/* n bounds the scan even when the text goes on. */
	CHECK_INT(smtp_esc_scan("5.7.1 x", 4, esc), 0);
	CHECK_INT(smtp_esc_scan("5.7.12", 5, esc), 5);
	CHECK_STR(esc, "5.7.1");

	for (i = 0; i < sizeof(sans) / sizeof(sans[0]); i++) {
		snprintf(esc, sizeof(esc), "%s", sans[i].in);
		CHECK_INT(smtp_esc_sanitise(sans[i].code, esc), sans[i].changed);
		CHECK_STR(esc, sans[i].out);
	}
}

void
run_tests(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i], i);
	test_feed();
	test_limits();
	test_esc();
}
