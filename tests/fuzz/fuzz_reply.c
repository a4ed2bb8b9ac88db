/*
 * fuzz_reply.c - the SMTP reply parser must be total and keep its bounds
 * and invariants for any bytes: as a whole text, fed line by line, and
 * through the enhanced-status-code helpers on their own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

static void
check_esc(const char esc[16], int code)
{
	char again[16];
	size_t n = strlen(esc);

	if (n == 0)
		return;
	/* What the reply kept is itself a valid code of the reply's class. */
	ENSURE(n < 16);
	ENSURE(smtp_esc_scan(esc, n, again) == n);
	ENSURE(strcmp(esc, again) == 0);
	ENSURE(code == 0 || esc[0] - '0' == code / 100);
}

static void
check_reply(const struct smtp_reply *r, enum smtp_reply_state st)
{
	ENSURE(st == r->state);
	ENSURE(st == SMTP_REPLY_MORE || st == SMTP_REPLY_DONE ||
	    st == SMTP_REPLY_BAD);
	ENSURE((st == SMTP_REPLY_BAD) == (r->err != NULL));
	ENSURE(r->code == 0 || (r->code >= 200 && r->code <= 599));
	ENSURE(r->code != 0 || r->nlines == 0);
	ENSURE(r->nlines >= 0 && r->nlines <= SMTP_REPLY_MAX_LINES);
	ENSURE(r->text.len <= SMTP_REPLY_MAX_TEXT);
	ENSURE(buf_cstr(&r->text)[r->text.len] == '\0');
	ENSURE(!r->esc_replaced || r->esc[0] == '\0' ||
	    strcmp(r->esc + 1, ".0.0") == 0);
	check_esc(r->esc, r->code);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct smtp_reply r;
	enum smtp_reply_state st;
	char esc[16];
	size_t n;
	int code;

	st = smtp_reply_parse(&r, p, size);
	check_reply(&r, st);
	smtp_reply_release(&r);

	/* Raw lines, CRs kept: the feed interface takes any bytes. */
	smtp_reply_init(&r);
	st = SMTP_REPLY_MORE;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		st = smtp_reply_feed(&r, p, n);
		check_reply(&r, st);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	smtp_reply_release(&r);

	n = smtp_esc_scan((const char *)data, size, esc);
	ENSURE(n <= size);
	ENSURE((n == 0) == (esc[0] == '\0'));
	check_esc(esc, 0);
	code = size > 0 ? data[0] * 3 : 0;	/* 0..765: valid and invalid */
	(void)smtp_esc_sanitise(code, esc);
	if (code >= 200 && code <= 599)
		check_esc(esc, code);
	return 0;
}
