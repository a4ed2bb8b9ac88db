/*
 * dns_msg.h - DNS wire-format decoding (RFC 1035, RFC 3596, RFC 6698).
 *
 * Pure and bounded: takes a reply packet as libunbound hands it over and
 * decodes the header and the answer section into records mxdoc uses (A,
 * AAAA, MX, TXT, PTR, CNAME, TLSA; other types are kept raw). Name
 * compression pointers are followed with a loop guard. A malformed packet
 * gives -1 and a static reason, never a crash.
 */
#ifndef MXDOC_DNS_DNS_MSG_H
#define MXDOC_DNS_DNS_MSG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

enum dns_type {
	DNS_T_A		= 1,
	DNS_T_NS	= 2,
	DNS_T_CNAME	= 5,
	DNS_T_SOA	= 6,
	DNS_T_PTR	= 12,
	DNS_T_MX	= 15,
	DNS_T_TXT	= 16,
	DNS_T_AAAA	= 28,
	DNS_T_TLSA	= 52,
};

#define DNS_NAME_MAX	256	/* presentation form, without the final dot */
#define DNS_TXT_MAX	65536	/* one TXT record's joined strings */

struct dns_rr {
	char		 name[DNS_NAME_MAX];	/* owner, lower case, no final dot */
	uint16_t	 type;
	uint16_t	 rclass;
	uint32_t	 ttl;
	union {
		struct in_addr	 a;
		struct in6_addr	 aaaa;
		struct {
			uint16_t pref;
			char	 host[DNS_NAME_MAX];	/* "" for the null MX "." */
		} mx;
		char	 target[DNS_NAME_MAX];	/* CNAME, PTR, NS */
		struct {
			char	*data;		/* strings joined, NUL-terminated, owned */
			size_t	 len;
			int	 nstrings;	/* character-strings in the record */
		} txt;
		struct {
			uint8_t	 usage, selector, mtype;
			uint8_t	*data;		/* owned */
			size_t	 len;
		} tlsa;
		struct {
			uint8_t	*data;		/* owned */
			size_t	 len;
		} raw;
	} u;
};

struct dns_msg {
	uint16_t	 id;
	int		 rcode;		/* RFC 1035 RCODE */
	unsigned	 aa : 1, tc : 1, rd : 1, ra : 1, ad : 1;
	int		 nanswer;
	struct dns_rr	*answer;	/* nanswer records, owned */
};

/* Decodes pkt (len bytes). Returns 0, or -1 with *err set to a static
 * reason; on -1 m holds nothing to release. */
int	dns_msg_decode(const uint8_t *pkt, size_t len, struct dns_msg *m,
	    const char **err);
void	dns_msg_release(struct dns_msg *m);
/* Follows the CNAME chain from qname through m's answer section: writes
 * the last name into end and returns how many records of type it owns.
 * Bounded by the number of records, so a CNAME loop ends it. */
int	dns_msg_chain_end(const struct dns_msg *m, const char *qname,
	    uint16_t type, char end[DNS_NAME_MAX]);
/* Name of an RR type ("MX"), or "TYPEnnn" written into a static buffer. */
const char *dns_type_name(uint16_t type);

#endif
