/*
 * mtasts.h - MTA-STS (RFC 8461): the _mta-sts TXT record (3.1), the policy
 * file served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt (3.2), and
 * the rule that matches MX host names against the policy's mx: patterns
 * (4.1: a pattern "*.example.com" stands for exactly one more label).
 *
 * Everything here is pure, bounded and total; the HTTPS fetch belongs to
 * the audit (auth/audit.h). Results fill caller-owned structs; problems
 * are notes with a severity, so every one is reported, not only the first.
 */
#ifndef MXDOC_AUTH_MTASTS_H
#define MXDOC_AUTH_MTASTS_H

#include <stdbool.h>
#include <stddef.h>

#include "classify/cause.h"

#define MTASTS_NOTES_MAX	16
#define MTASTS_NOTE_MAX		200
#define MTASTS_MX_MAX		32
#define MTASTS_POLICY_MAX	65536	/* bytes of policy fetched, at most */
#define MTASTS_MAX_AGE		31557600L	/* RFC 8461 3.2: about a year */

struct mtasts_note {
	enum severity	 sev;
	char		 text[MTASTS_NOTE_MAX];
};

struct mtasts_txt {
	bool		 valid;
	char		 id[33];	/* 1-32 letters and digits */
	int		 nnote;
	struct mtasts_note note[MTASTS_NOTES_MAX];
};

enum mtasts_mode {
	MTASTS_MODE_UNSET,
	MTASTS_MODE_ENFORCE,
	MTASTS_MODE_TESTING,
	MTASTS_MODE_NONE,
	MTASTS_MODE_INVALID,
};

struct mtasts_policy {
	bool		 valid;		/* a sender would apply it */
	enum mtasts_mode mode;
	long		 max_age;	/* seconds; -1 when missing or bad */
	int		 nmx;
	char		 mx[MTASTS_MX_MAX][256];	/* lower case */
	int		 nnote;
	struct mtasts_note note[MTASTS_NOTES_MAX];
};

/* True when the TXT record starts with "v=STSv1" (3.1: other records at
 * the name are ignored). */
bool		 mtasts_is_txt(const char *txt, size_t n);
/* Checks "v=STSv1; id=...;". 0 when valid, -1 with notes. */
int		 mtasts_txt_parse(const char *txt, size_t n,
		    struct mtasts_txt *out);
/* Parses a policy body: "key: value" lines ended by LF or CRLF. 0 when a
 * sender would apply it, -1 with notes. */
int		 mtasts_policy_parse(const char *body, size_t n,
		    struct mtasts_policy *out);
/* Whether MX host name host is covered by pattern (4.1): equal ignoring
 * case and a final dot, or "*.rest" and host is one label then ".rest". */
bool		 mtasts_mx_match(const char *pattern, const char *host);
const char	*mtasts_mode_name(enum mtasts_mode m);	/* "enforce" */

#endif
