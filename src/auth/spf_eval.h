/*
 * spf_eval.h - check_host() (RFC 7208 section 4) on the event loop, with a
 * structured trace.
 *
 * spf_eval_start() looks up the domain's record through dns_query() and
 * evaluates it term by term; include and redirect start nested checks.
 * Every DNS wait has the resolver's timeout, and the whole evaluation has
 * a deadline of its own (section 4.6.4 asks for at least 20 s), so a
 * hostile record ends, at the latest, there. The limits of 4.6.4 are
 * enforced as the terms run: 10 DNS-querying terms (include, a, mx, ptr,
 * exists, redirect) over the whole check, 2 void lookups, 10 MX or PTR
 * names per term (more MX names is a permerror, PTR names past 10 are
 * ignored).
 *
 * The outcome keeps two views, both plain data so that a command counting
 * the lookup budget over several identities, or drawing the include tree,
 * needs nothing more: `check` is the tree (one node per check_host() call,
 * with its parent and the step that started it) and `step` is the trace
 * in evaluation order (each term with its target, what DNS said, whether
 * it matched, and the lookup counts after it).
 *
 * A start either fails (NULL, *err set, no callback) or calls back exactly
 * once, never from inside spf_eval_start(); spf_eval_cancel() before that
 * means no callback. The callback owns the outcome (spf_outcome_free) and
 * may free the resolver.
 */
#ifndef MXDOC_AUTH_SPF_EVAL_H
#define MXDOC_AUTH_SPF_EVAL_H

#include <stdbool.h>

#include "auth/spf.h"

struct dns;
struct dns_cache;
struct event_base;
struct spf_eval;

#define SPF_LOOKUP_LIMIT	10
#define SPF_VOID_LIMIT		2
#define SPF_NAME_LIMIT		10

struct spf_params {
	struct dns	*dns;
	const char	*ip;		/* the client address, IPv4 or IPv6 text */
	const char	*sender;	/* MAIL FROM; NULL or "" for the null path */
	const char	*helo;		/* the HELO/EHLO name; NULL: "unknown" */
	/* The domain to check; NULL: the sender's domain, or the HELO name
	 * for the null path (2.4). */
	const char	*domain;
	const char	*receiver;	/* %{r}; NULL: "unknown" */
	int		 deadline_ms;	/* whole evaluation; 0: 20000 */
	int		 max_lookups;	/* 0: SPF_LOOKUP_LIMIT */
	int		 max_void;	/* 0: SPF_VOID_LIMIT */
	/* Budget walk: a matching term is recorded but the walk goes on, so
	 * every include and the redirect are followed and `lookups` is the
	 * worst case over all client addresses (what `mxdoc auth` reports
	 * against the limit). No exp= lookup; the result is the one of a
	 * client that matched nothing. */
	bool		 budget;
	/* Optional, shared by the evaluations of a run (`spf --batch`):
	 * positive answers are taken from it and kept in it, with the SPF
	 * record parsed from a TXT answer. Every term still counts against
	 * the limits as if it had asked DNS (it did, or an evaluation before
	 * did), and NXDOMAIN, NODATA and failures are never kept
	 * (dns/dns_cache.h), so a cache changes no result and no count. When
	 * every answer is in it, the evaluation runs to its end without
	 * waiting for the event loop between queries. NULL: every query goes
	 * to the resolver. */
	struct dns_cache *cache;
	/* The outcome without the trace's text: steps and checks keep their
	 * kind, result, match and counts, but no domain, term, target,
	 * detail, nor a check's record (the top record is kept). For a
	 * caller that prints only the result. */
	bool		 no_trace;
};

enum spf_via { SPF_VIA_TOP, SPF_VIA_INCLUDE, SPF_VIA_REDIRECT };

/* One check_host() call: a node of the include/redirect tree. */
struct spf_check {
	int		 parent;	/* index in check[], -1 for the top */
	int		 parent_step;	/* the include/redirect step, or -1 */
	enum spf_via	 via;
	int		 depth;
	char		*domain;
	char		*record;	/* the selected record, or NULL */
	enum spf_result	 result;
	char		*error;		/* why none/permerror/temperror, or NULL */
	int		 dns_terms;	/* DNS-querying terms in the record */
};

enum spf_step_kind {
	SPF_STEP_RECORD,	/* the TXT lookup that selects a record */
	SPF_STEP_TERM,		/* a mechanism, or redirect= */
	SPF_STEP_DEFAULT,	/* no term matched: neutral (4.7) */
	SPF_STEP_EXP,		/* the exp= lookup after a fail */
};

struct spf_step {
	enum spf_step_kind kind;
	int		 check;		/* index in check[] */
	int		 depth;
	char		*domain;
	char		*term;		/* as written; NULL for record/default */
	char		*target;	/* the expanded target name, or NULL */
	bool		 matched;
	/* The qualifier's result when matched, the default's, or the error
	 * that ended the check here (permerror, temperror); SPF_NONE for a
	 * term that did not match. */
	enum spf_result	 result;
	bool		 counted;	/* counts against the 10-lookup limit */
	int		 lookups;	/* DNS-querying terms so far */
	int		 void_lookups;	/* void lookups so far */
	char		*detail;	/* what DNS said, what was compared */
};

struct spf_outcome {
	enum spf_result	 result;
	char		*reason;	/* why this result, one line */
	char		*explanation;	/* the expanded exp= text, or NULL */
	char		*domain;
	char		*ip;
	char		*sender;	/* as used: postmaster@ when needed */
	char		*helo;
	char		*record;	/* the top record, or NULL */
	int		 lookups;
	int		 void_lookups;
	int		 match_step;	/* the step that decided, or -1 */
	int		 ncheck;
	struct spf_check *check;
	int		 nstep;
	struct spf_step	*step;
	double		 duration_ms;
};

typedef void (*spf_cb)(void *arg, struct spf_outcome *o);

/* Starts check_host(). Returns NULL with *err (owned) when the parameters
 * are unusable: ip is not an address, no domain can be found. A malformed
 * domain is not an error: its result is none (4.3). */
struct spf_eval	*spf_eval_start(struct event_base *base,
		    const struct spf_params *p, spf_cb cb, void *arg,
		    char **err);
void		 spf_eval_cancel(struct spf_eval *e);
struct spf_outcome *spf_outcome_free(struct spf_outcome *o);

/* The domain check_host() is called with for these identities (2.4),
 * written into out (256 bytes); sender may be NULL or "". Returns 0, or -1
 * when neither gives a domain. */
int		 spf_identity_domain(const char *sender, const char *helo,
		    char out[256]);
const char	*spf_via_name(enum spf_via v);

#endif
