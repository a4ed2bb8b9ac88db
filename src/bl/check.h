/*
 * check.h - checking targets against blocklist zones, all at once.
 *
 * bl_check() runs the event loop until every query has answered or timed
 * out: names are resolved to their A/AAAA addresses, then every (address or
 * name, zone) pair is asked at once through the async resolver, at most
 * max_inflight queries in flight; a listing's TXT record (the list's own
 * reason) is fetched next. Each zone also gets the RFC 5782 canary queries
 * (127.0.0.2 or "test" must be listed, 127.0.0.1 or "invalid" must not): a
 * zone that fails them is dead or lists the whole world, and its answers
 * are discarded as unchecked, with a warning. The listed entry is asked
 * with the lookups; the unlisted one with the TXT of the zone's first
 * listing, since only a listing can be the work of a zone that lists
 * everything (a clean target against 200 zones: 400 queries, not 600).
 * The caller owns the run.
 */
#ifndef MXDOC_BL_CHECK_H
#define MXDOC_BL_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "bl/answer.h"
#include "bl/catalogue.h"
#include "bl/target.h"
#include "dns/resolver.h"

struct event_base;
struct dns_bulk;

/* The most (address or name, zone) results one run keeps: 26 MB of them,
 * 2 MB in a compact run of clean answers; a bound the caller can lower. */
#define BL_RESULTS_MAX	1000000

enum bl_status { BL_LISTED, BL_CLEAN, BL_UNCHECKED, BL_ERROR };

/* One input as the user typed it. */
struct bl_input {
	const char	*text;		/* borrowed from the caller */
	const struct bl_target *target;	/* borrowed from the caller */
	bool		 resolved;	/* a name whose A/AAAA were asked */
	enum dns_status	 a_status, aaaa_status;
	int		 naddrs;
};

/* One thing asked about: an input itself, or an address of a name. */
struct bl_item {
	int		 input;
	/* The input's target, or (an address of a name) own. */
	const struct bl_target *target;
	struct bl_target *own;		/* owned, or NULL */
	char		*via;		/* "A record of mail.example.com", or NULL */
	char		*prefix;	/* bl_query_prefix of target, owned */
	/* Its results are first .. first + nres - 1, one a zone of its
	 * kind in the params' order (the last ones past max_results
	 * missing). */
	int		 first, nres;
};

enum bl_canary_verdict {
	BL_CANARY_PENDING, BL_CANARY_OK, BL_CANARY_DEAD, BL_CANARY_EVERYTHING,
	BL_CANARY_REFUSED, BL_CANARY_BROKEN, BL_CANARY_ERROR,
};

struct bl_canary {
	int		 zone;		/* index into the params' zones */
	bool		 domain;	/* the domain canary, else the address one */
	char		 pos_name[64], neg_name[64];	/* "127.0.0.2", "test" */
	char		 pos_q[BL_QNAME_MAX], neg_q[BL_QNAME_MAX]; /* asked */
	bool		 pos_asked;
	/* The unlisted entry is asked only once the zone lists something:
	 * only a listing can come from a zone that lists everything. */
	bool		 neg_ok;	/* neg_q could be built */
	bool		 neg_asked;
	struct bl_interp pos, neg;
	bool		 pos_done, neg_done;
	enum bl_canary_verdict verdict;
	char		 detail[400];
};

/* What few results have: the answer codes, their meaning, the reason a
 * zone said nothing, the list's TXT. */
struct bl_more {
	int		 naddr;
	uint32_t	 addr[BL_ANS_ADDRS_MAX];	/* host byte order */
	char		*meaning;	/* what the codes mean, or NULL */
	char		*reason;	/* why unchecked or error, or NULL */
	char		*txt;		/* the list's TXT reason, or NULL */
};

/* One (address or name, zone) answer, 24 bytes; the rest (codes,
 * meaning, reason, TXT) is in the run's more[], for the few answers that
 * have any. Read them through the bl_result_* accessors. */
struct bl_result {
	int		 index;		/* in the run's results, 0 .. nresults-1 */
	int		 item;
	float		 ms;
	int		 more;		/* 1 + index into the run's more[], or 0 */
	uint16_t	 zone;		/* index into the params' zones */
	uint8_t		 status;	/* enum bl_status */
	uint8_t		 dns;		/* enum dns_status of the A answer */
	uint8_t		 answer;	/* enum bl_answer */
	uint8_t		 flags;		/* BL_RES_* */
};

#define BL_RES_DISCARDED	0x1	/* by the canary */
#define BL_RES_NOT_ASKED	0x2	/* no name could be built */

/* A compact run (bl_params.compact) keeps a clean answer, most of a bulk
 * check, in 2 bytes: its DNS status and its time in tenths of a
 * millisecond, the precision the reports print; item and zone follow from
 * its index (struct bl_item's first). Every other answer is a struct
 * bl_result in kept[]. */
struct bl_run {
	struct bl_input		*inputs;
	int			 ninputs;
	struct bl_item		*items;
	int			 nitems;
	/* Every result, in order; NULL in a compact run: read them through
	 * bl_run_result() either way. */
	struct bl_result	*results;
	int			 nresults;
	uint16_t		*slots;		/* compact: one a result */
	struct bl_result	*kept;		/* compact: by index */
	int			 nkept;
	/* The params' zones of each target kind (enum bl_target_kind), in
	 * order: the zone of an item's results. */
	uint16_t		*kind_zones[3];
	struct bl_canary	*canaries;
	int			 ncanaries;
	struct bl_more		*more;		/* see struct bl_result */
	int			 nmore;
	char			**warnings;
	int			 nwarnings;
	int			 count[4];	/* by enum bl_status */
	int64_t			 started_wall_us;
	double			 duration_ms;
	int			 queries;	/* DNS queries sent */
};

static inline const struct bl_more *
bl_result_more(const struct bl_run *r, const struct bl_result *res)
{
	return res->more > 0 ? &r->more[res->more - 1] : NULL;
}

static inline int
bl_result_naddr(const struct bl_run *r, const struct bl_result *res)
{
	const struct bl_more *m = bl_result_more(r, res);

	return m != NULL ? m->naddr : 0;
}

static inline uint32_t
bl_result_addr(const struct bl_run *r, const struct bl_result *res, int i)
{
	const struct bl_more *m = bl_result_more(r, res);

	return m != NULL && i < m->naddr ? m->addr[i] : 0;
}

/* The meaning, reason or TXT text, or NULL. */
static inline const char *
bl_result_meaning(const struct bl_run *r, const struct bl_result *res)
{
	const struct bl_more *m = bl_result_more(r, res);

	return m != NULL ? m->meaning : NULL;
}

static inline const char *
bl_result_reason(const struct bl_run *r, const struct bl_result *res)
{
	const struct bl_more *m = bl_result_more(r, res);

	return m != NULL ? m->reason : NULL;
}

static inline const char *
bl_result_txt(const struct bl_run *r, const struct bl_result *res)
{
	const struct bl_more *m = bl_result_more(r, res);

	return m != NULL ? m->txt : NULL;
}

struct bl_params {
	struct dns			 *dns;
	/* When set, the zone lookups, their TXT and the canaries go through
	 * this stub client (dns/bulk.h); what it cannot settle (truncated,
	 * SERVFAIL, REFUSED...) is asked again through dns, so the results
	 * are the same. Host names' A/AAAA always go through dns. In flight
	 * at most its window. */
	struct dns_bulk			 *bulk;
	const struct bl_zone *const	 *zones;
	int				  nzones;
	int				  max_inflight;	/* 0: 1024 */
	/* At most this many results (0: BL_RESULTS_MAX): a host name's
	 * addresses past it are not checked, with a warning. */
	int				  max_results;
	int				  family;	/* 0, 4 or 6: a name's addresses */
	bool				  no_canary;
	/* Keep the run compact (struct bl_run): results[] is NULL, and a
	 * bulk check of 500,000 clean answers holds 1 MB of them, not 13. */
	bool				  compact;
};

/* Checks the inputs (already parsed into targets by the caller; both
 * arrays must outlive the run). Never fails: what the world does ends in
 * the results. */
struct bl_run	*bl_check(struct event_base *base, const struct bl_params *p,
		    const char *const *inputs, const struct bl_target *targets,
		    int ninputs);
struct bl_run	*bl_run_free(struct bl_run *r);
/* Result i (0 .. nresults-1) of r: a pointer into r, or buf filled in for
 * a clean answer of a compact run (good until buf changes). */
const struct bl_result *bl_run_result(const struct bl_run *r, int i,
		    struct bl_result *buf);
const char	*bl_status_name(enum bl_status s);	/* "listed" */
const char	*bl_canary_verdict_name(enum bl_canary_verdict v); /* "ok" */

#endif
