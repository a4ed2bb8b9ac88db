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
 * are discarded as unchecked, with a warning. The caller owns the run.
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

enum bl_status { BL_LISTED, BL_CLEAN, BL_UNCHECKED, BL_ERROR };

/* One input as the user typed it. */
struct bl_input {
	const char	*text;		/* borrowed from the caller */
	struct bl_target target;
	bool		 resolved;	/* a name whose A/AAAA were asked */
	enum dns_status	 a_status, aaaa_status;
	int		 naddrs;
};

/* One thing asked about: an input itself, or an address of a name. */
struct bl_item {
	int		 input;
	struct bl_target target;
	char		 via[300];	/* "A record of mail.example.com" or "" */
};

enum bl_canary_verdict {
	BL_CANARY_PENDING, BL_CANARY_OK, BL_CANARY_DEAD, BL_CANARY_EVERYTHING,
	BL_CANARY_REFUSED, BL_CANARY_BROKEN, BL_CANARY_ERROR,
};

struct bl_canary {
	int		 zone;		/* index into the params' zones */
	bool		 domain;	/* the domain canary, else the address one */
	char		 pos_name[64], neg_name[64];	/* "127.0.0.2", "test" */
	bool		 pos_asked;
	struct bl_interp pos, neg;
	bool		 pos_done, neg_done;
	enum bl_canary_verdict verdict;
	char		 detail[400];
};

struct bl_result {
	int		 item;
	int		 zone;		/* index into the params' zones */
	enum bl_status	 status;
	struct bl_interp interp;	/* the codes and their meaning */
	enum dns_status	 dns;
	double		 ms;
	char		*txt;		/* the list's TXT reason, or NULL */
	char		 reason[512];	/* why unchecked or error; "" */
	bool		 discarded;	/* by the canary */
};

struct bl_run {
	struct bl_input		*inputs;
	int			 ninputs;
	struct bl_item		*items;
	int			 nitems;
	struct bl_result	*results;
	int			 nresults;
	struct bl_canary	*canaries;
	int			 ncanaries;
	char			**warnings;
	int			 nwarnings;
	int			 count[4];	/* by enum bl_status */
	int64_t			 started_wall_us;
	double			 duration_ms;
	int			 queries;	/* DNS queries sent */
};

struct bl_params {
	struct dns			 *dns;
	const struct bl_zone *const	 *zones;
	int				  nzones;
	int				  max_inflight;	/* 0: 1024 */
	int				  family;	/* 0, 4 or 6: a name's addresses */
	bool				  no_canary;
};

/* Checks the inputs (already parsed into targets by the caller). Never
 * fails: what the world does ends in the results. */
struct bl_run	*bl_check(struct event_base *base, const struct bl_params *p,
		    const char *const *inputs, const struct bl_target *targets,
		    int ninputs);
struct bl_run	*bl_run_free(struct bl_run *r);
const char	*bl_status_name(enum bl_status s);	/* "listed" */
const char	*bl_canary_verdict_name(enum bl_canary_verdict v); /* "ok" */

#endif
