/*
 * target.h - what the user typed after "mxdoc diagnose" (DESIGN.md Targets).
 *
 *   example.com              MX lookup, RFC 5321 5.1 fallback, null MX
 *   user@example.com         the domain, plus the address for RCPT
 *   [host] / [host]:port     no MX lookup (Postfix nexthop form); host may be
 *                            a name, an IPv4 or an IPv6 address
 *   smtps://host[:465]       implicit TLS
 *   submission://host[:587] STARTTLS, then AUTH when credentials are given
 *
 * A bare IP address ("192.0.2.1", "2001:db8::1") is taken as [host].
 * After a scheme, an IPv6 address needs brackets ("smtps://[2001:db8::1]:465").
 * In brackets, RFC 5321's "[IPv6:2001:db8::1]" is accepted too.
 *
 * Pure and bounded; a malformed target gives -1 and a one-line reason.
 */
#ifndef MXDOC_DIAG_TARGET_H
#define MXDOC_DIAG_TARGET_H

#include <stdbool.h>

#define TARGET_NAME_MAX	254
#define TARGET_ADDR_MAX	320

enum target_kind {
	TARGET_DOMAIN,		/* MX lookup */
	TARGET_ADDRESS,		/* user@domain: MX lookup + RCPT probe */
	TARGET_HOST,		/* [host]:port: no MX lookup */
	TARGET_SMTPS,		/* implicit TLS */
	TARGET_SUBMISSION,	/* STARTTLS + AUTH */
};

struct target {
	enum target_kind kind;
	char		 host[TARGET_NAME_MAX + 1];	/* domain or host, lower case */
	bool		 host_is_ip;
	char		 address[TARGET_ADDR_MAX + 1];	/* user@domain or "" */
	int		 port;		/* 0 when not given */
};

/* Parses s: surrounding blanks are trimmed; host names must be LDH (no
 * underscore) and are lower-cased, a trailing dot dropped; IP addresses are
 * stored in canonical text form with host_is_ip set. The port is not
 * defaulted (0 when not given). Returns 0, or -1 with *err (when err is not
 * NULL) set to a static one-line reason and *t zeroed. */
int		 target_parse(const char *s, struct target *t, const char **err);
const char	*target_kind_name(enum target_kind k);	/* "domain" */
/* Checks a domain name's syntax (LDH labels of 1-63 characters, no hyphen
 * at either end, at most 253 characters, one trailing dot allowed, the last
 * label not all digits); 0 when valid, else -1 with *err set. */
int		 target_check_domain(const char *name, const char **err);

#endif
