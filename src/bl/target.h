/*
 * target.h - what `mxdoc blocklist` checks: an IPv4 or IPv6 address, or a
 * name (a host name, checked through its addresses and against domain
 * lists, or a domain, checked against domain lists), and the name to ask a
 * zone about (RFC 5782: reversed octets, reversed nibbles, or the domain
 * followed by the zone). Pure.
 */
#ifndef MXDOC_BL_TARGET_H
#define MXDOC_BL_TARGET_H

enum bl_target_kind { BL_T_IPV4, BL_T_IPV6, BL_T_NAME };

#define BL_QNAME_MAX	300

struct bl_target {
	enum bl_target_kind	 kind;
	/* The address in its canonical text, or the name in lower case
	 * without a final dot. */
	char			 text[256];
};

/* Parses what the user typed ("192.0.2.1", "2001:db8::1", "[2001:db8::1]",
 * "mail.example.com"). Returns 0, or -1 with *err a static reason. */
int	bl_target_parse(const char *in, struct bl_target *t, const char **err);
/* The name asked of zone about t: "1.2.0.192.zone". Returns 0, or -1 when
 * it would be longer than a DNS name may be. */
int	bl_query_name(const struct bl_target *t, const char *zone,
	    char out[BL_QNAME_MAX]);
/* What bl_query_name puts before ".zone": the reversed octets or
 * nibbles ("1.2.0.192"), or the name itself. A bulk check builds it once
 * a target and then the name of each zone with bl_query_join, not 50
 * reversals (inet_pton and snprintf) an address. Returns 0, or -1. */
#define BL_PREFIX_MAX	256
int	bl_query_prefix(const struct bl_target *t, char out[BL_PREFIX_MAX]);
/* prefix "." zone into out; -1 when longer than a DNS name may be. */
int	bl_query_join(const char *prefix, const char *zone,
	    char out[BL_QNAME_MAX]);
const char *bl_target_kind_name(enum bl_target_kind k);	/* "ipv4" */

#endif
