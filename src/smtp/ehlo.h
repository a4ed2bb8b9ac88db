/*
 * ehlo.h - the EHLO reply parser (RFC 5321 section 4.1.1.1 and the
 * extension RFCs).
 *
 * Pure: it reads the text of a complete 250 reply (lines joined by "\n" as
 * struct smtp_reply keeps them; the first line is the greeting name) and
 * fills a capability set. Keywords are case-insensitive. Unknown keywords
 * are kept by name so that the report can show them (and "XXXX" runs that
 * SMTP-inspecting firewalls leave, field guide B1).
 */
#ifndef MXDOC_SMTP_EHLO_H
#define MXDOC_SMTP_EHLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum smtp_cap {
	SMTP_CAP_STARTTLS	= 1u << 0,
	SMTP_CAP_SIZE		= 1u << 1,
	SMTP_CAP_PIPELINING	= 1u << 2,
	SMTP_CAP_8BITMIME	= 1u << 3,
	SMTP_CAP_SMTPUTF8	= 1u << 4,
	SMTP_CAP_AUTH		= 1u << 5,
	SMTP_CAP_CHUNKING	= 1u << 6,
	SMTP_CAP_DSN		= 1u << 7,
	SMTP_CAP_ENHANCEDSTATUSCODES = 1u << 8,
	SMTP_CAP_BINARYMIME	= 1u << 9,
	SMTP_CAP_REQUIRETLS	= 1u << 10,
	SMTP_CAP_DELIVERBY	= 1u << 11,
	SMTP_CAP_ETRN		= 1u << 12,
	SMTP_CAP_VRFY		= 1u << 13,
};

enum smtp_auth_mech {
	SMTP_AUTH_PLAIN		= 1u << 0,
	SMTP_AUTH_LOGIN		= 1u << 1,
	SMTP_AUTH_CRAM_MD5	= 1u << 2,
	SMTP_AUTH_XOAUTH2	= 1u << 3,
	SMTP_AUTH_OAUTHBEARER	= 1u << 4,
	SMTP_AUTH_SCRAM_SHA_1	= 1u << 5,
	SMTP_AUTH_SCRAM_SHA_256	= 1u << 6,
	SMTP_AUTH_GSSAPI	= 1u << 7,
	SMTP_AUTH_NTLM		= 1u << 8,
};

#define SMTP_EHLO_MAX_OTHER	32
#define SMTP_EHLO_NAME_MAX	256

struct smtp_ehlo {
	char		 name[SMTP_EHLO_NAME_MAX];	/* from the first line */
	uint32_t	 caps;		/* enum smtp_cap bits */
	uint32_t	 auth;		/* enum smtp_auth_mech bits */
	uint64_t	 size;		/* SIZE value; 0 = none or unlimited */
	bool		 size_given;	/* SIZE carried a number */
	int		 masked;	/* keywords made of X's only (B1) */
	int		 nother;
	char		*other[SMTP_EHLO_MAX_OTHER];	/* other keywords, owned */
};

/* Parses text (n bytes); always succeeds, ignoring what it cannot read. It
 * initialises *e itself (release a previous result first). Keywords made of
 * at least 4 X's, the last character possibly another letter ("XXXXXXXA"),
 * count as masked and do not go to other[]; other keywords are kept once
 * each, cut at 64 bytes, up to SMTP_EHLO_MAX_OTHER. The name is the first
 * word of the first line, cut to fit. */
void	smtp_ehlo_parse(struct smtp_ehlo *e, const char *text, size_t n);
void	smtp_ehlo_release(struct smtp_ehlo *e);
/* Name of one enum smtp_cap bit ("STARTTLS"), or NULL. */
const char *smtp_cap_name(uint32_t bit);
/* Name of one enum smtp_auth_mech bit ("PLAIN"), or NULL. */
const char *smtp_auth_name(uint32_t bit);

#endif
