/*
 * spf.h - SPF records (RFC 7208): record selection, the parser of the
 * section 12 grammar, and macro expansion (section 7).
 *
 * Everything here is pure, bounded and total: no I/O, every input gives a
 * result or a reason. The evaluator that asks DNS (check_host(), section
 * 4) is spf_eval.h; it parses with spf_record_parse() and expands target
 * names with spf_macro_expand().
 *
 * Ownership: spf_record_parse() returns a record the caller frees with
 * spf_record_free() (or shares with spf_record_ref()); every string in it
 * is owned by the record. Reasons are written into caller buffers of
 * SPF_REASON_MAX bytes.
 */
#ifndef MXDOC_AUTH_SPF_H
#define MXDOC_AUTH_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/sv.h"

#define SPF_REASON_MAX		192
#define SPF_RECORD_MAX		65536	/* one TXT record's joined strings */
#define SPF_TERMS_MAX		8192	/* more terms than this: permerror */
#define SPF_MACRO_OUT_MAX	(256 * 1024)	/* one expansion, before
						 * the 253-byte truncation */
#define SPF_PARTS_MAX		128	/* RFC 7208 7.3: at least 127 */

/* The results of check_host() (RFC 7208 section 2.6), in no order. */
enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
};

enum spf_term_kind {
	SPF_T_MECH,
	SPF_T_REDIRECT,
	SPF_T_EXP,
	SPF_T_UNKNOWN,		/* an unknown modifier: checked, then ignored */
};

struct spf_term {
	enum spf_term_kind	 kind;
	enum spf_mech		 mech;		/* SPF_T_MECH */
	enum spf_result		 qual;		/* the result when it matches */
	char			*text;		/* the term as written */
	/* The domain-spec (mechanisms with one, redirect, exp) or an
	 * unknown modifier's value; NULL when the term has none, and the
	 * current domain is the target. */
	char			*spec;
	bool			 spec_macro;	/* spec holds a macro-expand */
	int			 cidr4, cidr6;	/* 32 and 128 when not given */
	uint8_t			 addr[16];	/* ip4 (4 bytes) and ip6 */
};

struct spf_record {
	int		 nterm;
	struct spf_term	*term;
	int		 redirect;	/* index of redirect=, or -1 */
	int		 exp;		/* index of exp=, or -1 */
	int		 dns_terms;	/* terms that query DNS, redirect included */
	int		 refs;		/* spf_record_ref(); 1 after parsing */
};

/* True when txt is an SPF version 1 record (4.5): "v=spf1", any case,
 * then a space or the end. */
bool	 spf_is_record(const char *txt, size_t n);
/* Parses one record. Returns 0 with *out set, or -1 with reason (the
 * permerror: which term and why). */
int	 spf_record_parse(const char *txt, size_t n, struct spf_record **out,
	    char reason[SPF_REASON_MAX]);
/* A record may be shared (the evaluator keeps one parsed record per
 * cached TXT answer): spf_record_ref() adds a holder, spf_record_free()
 * drops one and frees the record with the last. Both return as usual:
 * ref its argument, free NULL. */
struct spf_record *spf_record_ref(struct spf_record *r);
struct spf_record *spf_record_free(struct spf_record *r);

const char *spf_result_name(enum spf_result r);	/* "softfail" */
const char *spf_mech_name(enum spf_mech m);		/* "include" */

/* ---- Macros (section 7) ------------------------------------------- */

/* What the letters expand to; strings are borrowed. */
struct spf_macro_ctx {
	const char	*sender;	/* s: local-part@domain */
	const char	*local;		/* l */
	const char	*sender_domain;	/* o */
	const char	*domain;	/* d: the domain being checked */
	const char	*ip;		/* i: dotted quad or dotted nibbles */
	const char	*ip_text;	/* c: the address as text (exp only) */
	const char	*ip_version;	/* v: "in-addr" or "ip6" */
	const char	*helo;		/* h */
	const char	*validated;	/* p, or NULL while not yet looked up */
	const char	*receiver;	/* r (exp only) */
	int64_t		 now;		/* t (exp only): seconds since 1970 */
};

#define SPF_MACRO_EXP		0x1	/* explain-string: c, r, t and spaces */
#define SPF_MACRO_DOMAIN	0x2	/* a target name: drop a final dot,
					 * keep the right 253 bytes (7.3) */

enum {
	SPF_MACRO_OK = 0,
	SPF_MACRO_NEED_P = 1,		/* uses %{p}, and ctx->validated is NULL */
	SPF_MACRO_ERROR = -1,		/* syntax error, or too long */
};

/* Checks the syntax of a macro-string (or explain-string with
 * SPF_MACRO_EXP): 0, or -1 with reason. */
int	 spf_macro_check(struct sv s, unsigned flags,
	    char reason[SPF_REASON_MAX]);
/* Expands s into out (which it empties first). Returns SPF_MACRO_OK,
 * SPF_MACRO_NEED_P, or SPF_MACRO_ERROR with reason. */
int	 spf_macro_expand(const struct spf_macro_ctx *c, struct sv s,
	    unsigned flags, struct buf *out, char reason[SPF_REASON_MAX]);

/* Checks a domain-spec (7.1): a macro-string ending in "." toplabel
 * [ "." ] or in a macro-expand. 0, or -1 with reason; *has_macro tells
 * whether it needs expanding. */
int	 spf_domain_spec_check(struct sv s, bool *has_macro,
	    char reason[SPF_REASON_MAX]);

/* Whether name can be asked of DNS (RFC 1035 lengths, no empty label) and,
 * with multi_label, has at least two labels (4.3). A final dot is allowed. */
bool	 spf_name_ok(const char *name, bool multi_label);

/* ---- Addresses ----------------------------------------------------- */

/* The client address as check_host() sees it: an IPv4-mapped IPv6
 * address is IPv4 (RFC 7208 5), with the texts the macros need. */
struct spf_addr {
	int	 family;	/* 4 or 6 */
	uint8_t	 addr[16];	/* 4 or 16 bytes */
	char	 text[64];	/* %{c}: "192.0.2.3", "2001:db8::cb01" */
	char	 dots[80];	/* %{i}: "192.0.2.3", "2.0.0.1.0.d.b.8...." */
};

/* Parses an IPv4 or IPv6 address; 0, or -1 when ip is not one. */
int	 spf_addr_parse(const char *ip, struct spf_addr *a);

/* True when the first bits of a and b (len bytes each) are equal. */
bool	 spf_prefix_match(const uint8_t *a, const uint8_t *b, size_t len,
	    int bits);
/* Parses a strict dotted quad (RFC 7208 ip4-network: no leading zeros). */
int	 spf_parse_ip4(struct sv s, uint8_t out[4]);

#endif
