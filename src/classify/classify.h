/*
 * classify.h - turns an SMTP reply into a cause.
 *
 * The rules are data (data/rules.txt, embedded at build time): provider
 * patterns first (Microsoft, Google, Yahoo, Apple, Comcast, Mimecast,
 * Proofpoint, Postfix, Exim, Sendmail...), then generic text patterns, then
 * the enhanced status code, then the reply class. The first matching rule
 * wins. The same function serves diagnose (a live reply), logs (a reply
 * quoted in a log line) and send, so one reply always gets one name.
 */
#ifndef MXDOC_CLASSIFY_CLASSIFY_H
#define MXDOC_CLASSIFY_CLASSIFY_H

#include <stddef.h>

#include "classify/cause.h"

struct classify_result {
	const struct cause	*cause;
	const char		*rule;		/* rule id, e.g. "yahoo.tss04" */
	const char		*provider;	/* "Yahoo", or NULL if generic */
	const char		*note;		/* what this reply means, or NULL */
};

/* Classifies a reply: code (0 if unknown), esc ("" or NULL if none) and
 * text (the reply's text without the code, lines joined by "\n"; any bytes).
 * Always fills *out: with no rule matching, a 2xx is "ok", a 4xx
 * "smtp.temporary", a 5xx "smtp.permanent". Pointers are static. */
void	classify_reply(int code, const char *esc, const char *text, size_t n,
	    struct classify_result *out);

/* Classifies free text where no reply code is known (a log's "said:"
 * part that lost its code, a bounce's Diagnostic-Code): the code and esc
 * are looked for in the text itself first. */
void	classify_text(const char *text, size_t n, struct classify_result *out);

/* Loads and compiles the embedded rules; called lazily by the functions
 * above. Returns the number of rules, or -1 with *err set (a bug in data/:
 * the unit tests make sure it never happens). */
int	classify_load(const char **err);

/* Parses and compiles a rules text in the format of data/rules.txt without
 * installing it: returns the number of rules, or -1 with a message naming
 * the line in err. For tests and for checking an edited rules file. */
int	classify_check(const char *text, size_t n, char *err, size_t errlen);

#endif
