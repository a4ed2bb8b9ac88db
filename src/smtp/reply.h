/*
 * reply.h - the SMTP reply parser (RFC 5321 section 4.2, RFC 3463 enhanced
 * status codes, RFC 2034).
 *
 * Pure and bounded: no I/O. A reply is one or more lines "NNN-text" ending
 * with "NNN text" (or a bare "NNN"). The parser takes lines one at a time
 * (without CRLF) so that the line engine can feed it as bytes arrive, and
 * says after each line whether the reply is complete, still open, or broken
 * (and why). The enhanced status code is taken from the first line's text
 * and sanitised the Postfix way: a code whose class digit contradicts the
 * reply code (4.x.x on a 550) is replaced by 4.0.0 or 5.0.0 to match the reply.
 */
#ifndef MXDOC_SMTP_REPLY_H
#define MXDOC_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* RFC 5321 section 4.5.3.1.5: a reply line is at most 512 octets with CRLF.
 * Real servers exceed it a little; we accept up to SMTP_LINE_MAX and call
 * anything longer a protocol error. */
#define SMTP_LINE_MAX		2048
/* Replies with more lines than this are a protocol error (a server that
 * sends thousands of continuation lines must not hold us). */
#define SMTP_REPLY_MAX_LINES	200
#define SMTP_REPLY_MAX_TEXT	(SMTP_LINE_MAX * 8)

enum smtp_reply_state {
	SMTP_REPLY_MORE,	/* a continuation line: feed the next one */
	SMTP_REPLY_DONE,	/* the reply is complete */
	SMTP_REPLY_BAD,		/* protocol error; see err */
};

struct smtp_reply {
	int		 code;		/* 200..599, 0 when unknown */
	char		 esc[16];	/* "4.7.0", sanitised; "" if none */
	bool		 esc_replaced;	/* esc was changed to match the code */
	struct buf	 text;		/* lines' texts joined by "\n", bounded */
	int		 nlines;
	const char	*err;		/* static reason when state is BAD */
	enum smtp_reply_state state;	/* as the last feed returned */
};

void	smtp_reply_init(struct smtp_reply *r);
void	smtp_reply_release(struct smtp_reply *r);
/* Feeds one line (no CRLF, may hold any bytes) of n bytes. Once the reply
 * is DONE or BAD, further lines give BAD (a line after the last line of a
 * reply belongs to the next one: release and init before feeding it). Text
 * past SMTP_REPLY_MAX_TEXT is dropped silently; that is not an error. */
enum smtp_reply_state smtp_reply_feed(struct smtp_reply *r, const char *line,
	    size_t n);
/* Parses a whole reply held in one string (lines separated by LF or CRLF);
 * the convenience form for tests, logs and the classifier. It initialises r
 * itself (release it afterwards). An empty piece after the last LF is
 * ignored; a line after the reply's last line makes it BAD. Returns the final
 * state: DONE, BAD, or MORE when the text ended inside a continuation. */
enum smtp_reply_state smtp_reply_parse(struct smtp_reply *r, const char *text,
	    size_t n);
/* Finds an enhanced status code "c.s.d" at the start of text (after the
 * reply code and its separator; leading spaces are skipped, as Postfix
 * does); writes it to esc (16 bytes) and returns the number of bytes of text
 * up to its end, or 0 when there is none (esc is then ""). Class must be 2, 4
 * or 5, subject and detail 1-3 digits, and the code must be followed by a
 * space or the end of text (RFC 3463, Postfix's dsn_valid()). */
size_t	smtp_esc_scan(const char *text, size_t n, char esc[16]);
/* The Postfix sanitising rule on its own: makes esc's class agree with
 * code: a contradicting code becomes "2.0.0", "4.0.0" or "5.0.0"; with a
 * code outside 2xx/4xx/5xx (a 354) esc is cleared. An empty esc, or a code
 * of 0 (unknown), leaves esc as it is. Returns true when it changed esc. */
bool	smtp_esc_sanitise(int code, char esc[16]);

#endif
