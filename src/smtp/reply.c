/*
 * reply.c - the SMTP reply parser (RFC 5321 4.2, RFC 3463, RFC 2034).
 *
 * The line grammar is checked strictly (three digits, then SP, "-" or the
 * end), because a reply that breaks it is evidence in itself: a middlebox
 * that rewrote it, a non-SMTP service on port 25, a server that lost its
 * framing. The text is kept whole, enhanced status code included, because
 * the classifier matches providers' wordings against all of it.
 */
#include "smtp/reply.h"

#include <string.h>

#define STR_(x)	#x
#define STR(x)	STR_(x)

static const char ERR_CODE[] = "reply line does not start with a 3-digit code";
static const char ERR_LONG[] =
    "reply line longer than " STR(SMTP_LINE_MAX) " bytes";
static const char ERR_MIXED[] =
    "reply lines carry different codes (a continuation line changed it)";
static const char ERR_LINES[] =
    "reply has more than " STR(SMTP_REPLY_MAX_LINES) " lines";
static const char ERR_AFTER[] = "a line came after the last line of the reply";

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->esc[0] = '\0';
	r->esc_replaced = false;
	buf_init(&r->text, SMTP_REPLY_MAX_TEXT);
	r->nlines = 0;
	r->err = NULL;
	r->state = SMTP_REPLY_MORE;
}

void
smtp_reply_release(struct smtp_reply *r)
{
	buf_release(&r->text);
}

static enum smtp_reply_state
bad(struct smtp_reply *r, const char *why)
{
	r->err = why;
	return r->state = SMTP_REPLY_BAD;
}

/* Appends what fits: text past the maximum is dropped, not an error. */
static void
append_bounded(struct buf *b, const char *p, size_t n)
{
	size_t room = b->max - b->len;

	(void)buf_append(b, p, n < room ? n : room);
}

enum smtp_reply_state
smtp_reply_feed(struct smtp_reply *r, const char *line, size_t n)
{
	const char *text;
	size_t tn;
	int code;
	bool last;

	if (r->state != SMTP_REPLY_MORE)
		return r->state == SMTP_REPLY_BAD ? r->state : bad(r, ERR_AFTER);
	if (n > SMTP_LINE_MAX)
		return bad(r, ERR_LONG);
	if (n < 3 || line[0] < '2' || line[0] > '5' || !is_digit(line[1]) ||
	    !is_digit(line[2]) || (n > 3 && line[3] != ' ' && line[3] != '-'))
		return bad(r, ERR_CODE);
	if (r->nlines >= SMTP_REPLY_MAX_LINES)
		return bad(r, ERR_LINES);

	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return bad(r, ERR_MIXED);
	last = n == 3 || line[3] == ' ';
	text = n > 3 ? line + 4 : line + 3;
	tn = n > 3 ? n - 4 : 0;

	if (r->nlines == 0) {
		r->code = code;
		if (smtp_esc_scan(text, tn, r->esc) > 0)
			r->esc_replaced = smtp_esc_sanitise(code, r->esc);
	} else
		append_bounded(&r->text, "\n", 1);
	append_bounded(&r->text, text, tn);
	r->nlines++;
	return r->state = last ? SMTP_REPLY_DONE : SMTP_REPLY_MORE;
}

enum smtp_reply_state
smtp_reply_parse(struct smtp_reply *r, const char *text, size_t n)
{
	const char *p = text, *end = text + n, *nl;
	size_t len;

	smtp_reply_init(r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (nl != NULL ? nl : end) - p;
		/* A CR before the LF is the line's end; so is a CR ending the
		 * text (a reply copied from a CRLF log without its LF). */
		if (len > 0 && p[len - 1] == '\r')
			len--;
		(void)smtp_reply_feed(r, p, len);
		if (r->state == SMTP_REPLY_BAD || nl == NULL)
			break;
		p = nl + 1;
	}
	return r->state;
}

/* Reads 1..3 digits at text[*i]; false when there are none or more. */
static bool
esc_digits(const char *text, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && is_digit(text[*i]))
		if (++*i - start > 3)
			return false;
	return *i > start;
}

size_t
smtp_esc_scan(const char *text, size_t n, char esc[16])
{
	size_t i = 0, start;

	esc[0] = '\0';
	while (i < n && text[i] == ' ')
		i++;
	start = i;
	if (i >= n || (text[i] != '2' && text[i] != '4' && text[i] != '5'))
		return 0;
	i++;
	if (i >= n || text[i++] != '.')
		return 0;
	if (!esc_digits(text, n, &i) || i >= n || text[i++] != '.')
		return 0;
	if (!esc_digits(text, n, &i) || (i < n && text[i] != ' '))
		return 0;
	/* At most "5.123.123": 9 bytes, so it always fits in esc. */
	memcpy(esc, text + start, i - start);
	esc[i - start] = '\0';
	return i;
}

bool
smtp_esc_sanitise(int code, char esc[16])
{
	int cls = code / 100;

	if (esc[0] == '\0' || code == 0 || esc[0] - '0' == cls)
		return false;
	if (cls != 2 && cls != 4 && cls != 5) {
		esc[0] = '\0';
		return true;
	}
	esc[0] = (char)('0' + cls);
	memcpy(esc + 1, ".0.0", sizeof(".0.0"));
	return true;
}
