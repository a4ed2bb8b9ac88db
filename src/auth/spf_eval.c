/*
 * spf_eval.c - check_host() (RFC 7208 sections 4 to 6) as a state machine
 * on the event loop.
 *
 * One evaluation is a stack of frames, one per check_host() call in
 * progress (the top one, then include and redirect targets). run() walks
 * the current frame's terms: ip4, ip6 and all are decided at once; a term
 * that needs DNS counts against the limit, starts its queries and returns;
 * the answer continues the walk. At most one term is in flight, with up
 * to SPF_NAME_LIMIT parallel address queries for mx and ptr, so the slot
 * table below is small and fixed.
 *
 * DNS outcomes map to section 5's rules: NXDOMAIN and NODATA are void
 * (no match, and counted), SERVFAIL, REFUSED, timeouts and local errors
 * are temperror, except where the RFC says otherwise (ptr and %{p} skip
 * names whose lookups fail; exp= is ignored on any problem).
 *
 * With an answer cache (spf_params.cache), a query whose answer is kept
 * there takes it at once, but the answer is handled the way a resolver's
 * is, after the code that asked has returned: the slot holds it, and the
 * entry point that is running (the start timer or a resolver callback)
 * hands out held answers in a loop before it returns. So the walk never
 * recurses into itself, a term with several queries in flight (mx, ptr)
 * sees them all started before the first answer, and the evaluation ends
 * (finish) only from that loop, with the callback after it. An evaluation
 * whose every answer is kept runs to its end within its start event.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth/spf_eval.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "dns/dns_cache.h"
#include "dns/resolver.h"

#define SLOTS		(SPF_NAME_LIMIT + 2)
#define DEADLINE_MS	20000

enum op {
	OP_NONE, OP_RECORD, OP_ADDR, OP_EXISTS, OP_MX, OP_MX_ADDR, OP_PTR,
	OP_PTR_ADDR, OP_EXP,
};

/* What to do once the validated names (5.5) are known. */
enum ptr_cont { CONT_RUN, CONT_PTR_MECH, CONT_EXP };

struct slot {
	struct spf_eval		*e;
	struct dns_query	*q;
	const struct dns_answer	*held;		/* from the cache, not yet
						 * handled: see above */
	int			 idx;
	bool			 busy;
	uint16_t		 type;
	char			*name;		/* the cache key: in keys[] */
};

/* The validated names (5.5): few records use ptr or %{p}, so this is
 * allocated by the first that does. */
struct ptr_names {
	char			 name[SPF_NAME_LIMIT][DNS_NAME_MAX];
	bool			 ok[SPF_NAME_LIMIT];
	int			 n;
	bool			 was_void;
	const char		*note;
	char			 validated[DNS_NAME_MAX];
};

struct frame {
	struct frame		*up;
	struct spf_record	*rec;
	char			 domain[DNS_NAME_MAX];
	int			 check;
	int			 term;		/* the next term to run */
	int			 depth;
	bool			 in_include;	/* exp= is not ours to use */
};

struct spf_eval {
	struct event_base	*base;
	struct dns		*dns;
	spf_cb			 cb;
	void			*arg;
	struct spf_outcome	*o;
	int			 step_cap, check_cap;
	struct event		*kick, *deadline;
	int64_t			 start_us;
	int			 deadline_ms;
	int			 max_lookups, max_void;
	bool			 budget;
	bool			 no_trace;
	bool			 deadline_armed;
	struct dns_cache	*cache;
	/* The names of the queries sent while a cache is used, which are
	 * its keys when the answers come: one per slot, allocated by the
	 * first query sent. */
	char			(*keys)[DNS_NAME_MAX];
	/* The cached answer being handled (its parsed record rides on it),
	 * or NULL. */
	const struct dns_answer	*cur;
	bool			 running;	/* inside an entry point */
	bool			 finished;	/* the outcome waits for the
						 * entry point to end */

	/* The client and the identities, as the macros see them. */
	int			 family;	/* 4 or 6 */
	uint8_t			 addr[16];
	char			 ip_text[64];
	char			 ip_dots[80];
	char			 local[256];
	char			 sender_domain[DNS_NAME_MAX];
	char			*sender;
	char			*helo;
	char			*receiver;
	struct spf_macro_ctx	 mc;
	struct buf		 xb;		/* expansions */

	struct frame		*fr;
	struct slot		 slot[SLOTS];
	int			 pending;
	enum op			 op;
	int			 step;		/* the step in flight */
	char			 target[DNS_NAME_MAX];
	bool			 any_match, any_error;
	char			 hit[64];	/* the address that matched */
	int			 decide_step;

	/* Validated names (5.5), shared by ptr and %{p}. */
	enum { P_UNKNOWN, P_RUNNING, P_DONE } pstate;
	enum ptr_cont		 pcont;
	struct ptr_names	*pn;		/* from the first ptr or %{p} */

	bool			 exp_done;
	enum spf_result		 exp_result;
	char			*exp_raw;
};

static void	run(struct spf_eval *e);
static void	check_end(struct spf_eval *e, enum spf_result r,
		    const char *reason, bool allow_exp);
static void	check_begin(struct spf_eval *e, const char *domain,
		    enum spf_via via, int parent_step);
static void	on_dns(void *arg, const struct dns_answer *a);
static void	on_deadline(evutil_socket_t fd, short what, void *arg);

const char *
spf_via_name(enum spf_via v)
{
	switch (v) {
	case SPF_VIA_INCLUDE:	return "include";
	case SPF_VIA_REDIRECT:	return "redirect";
	default:		return "top";
	}
}

/* At most n bytes of src, cut to fit size, NUL-terminated: what
 * snprintf(dst, size, "%.*s", n, src) gives, without the formatter (a
 * batch copies a few names per evaluation). */
static void
copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
spf_identity_domain(const char *sender, const char *helo, char out[256])
{
	const char *at;

	if (sender != NULL && sender[0] != '\0') {
		at = strrchr(sender, '@');
		at = at != NULL ? at + 1 : sender;
		copy_str(out, 256, at, strlen(at));
		return 0;
	}
	if (helo != NULL && helo[0] != '\0') {
		copy_str(out, 256, helo, strlen(helo));
		return 0;
	}
	return -1;
}

/* ---- the outcome --------------------------------------------------- */

struct spf_outcome *
spf_outcome_free(struct spf_outcome *o)
{
	int i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < o->ncheck; i++) {
		free(o->check[i].domain);
		free(o->check[i].record);
		free(o->check[i].error);
	}
	for (i = 0; i < o->nstep; i++) {
		free(o->step[i].domain);
		free(o->step[i].term);
		free(o->step[i].target);
		free(o->step[i].detail);
	}
	free(o->check);
	free(o->step);
	free(o->reason);
	free(o->explanation);
	free(o->domain);
	free(o->ip);
	free(o->sender);
	free(o->helo);
	free(o->record);
	free(o);
	return NULL;
}

static int
step_add(struct spf_eval *e, enum spf_step_kind kind, const char *term)
{
	struct spf_outcome *o = e->o;
	struct spf_step *s;

	if (o->nstep == e->step_cap) {
		e->step_cap = e->step_cap ? e->step_cap * 2 : 32;
		o->step = xrealloc(o->step, (size_t)e->step_cap *
		    sizeof(*o->step));
	}
	s = &o->step[o->nstep];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->check = e->fr->check;
	s->depth = e->fr->depth;
	if (!e->no_trace) {
		s->domain = xstrdup(e->fr->domain);
		s->term = term != NULL ? xstrdup(term) : NULL;
	}
	s->result = SPF_NONE;
	s->lookups = o->lookups;
	s->void_lookups = o->void_lookups;
	return o->nstep++;
}

static void
step_detail(struct spf_eval *e, int step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
step_detail(struct spf_eval *e, int step, const char *fmt, ...)
{
	struct spf_step *s = &e->o->step[step];
	struct buf b;
	va_list ap;

	s->lookups = e->o->lookups;
	s->void_lookups = e->o->void_lookups;
	if (e->no_trace)
		return;
	buf_init(&b, 1024);
	if (s->detail != NULL) {
		buf_puts(&b, s->detail);
		buf_puts(&b, "; ");
		free(s->detail);
	}
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	s->detail = buf_steal(&b);
}

/* ---- DNS ----------------------------------------------------------- */

/* A name from an SPF record (any visible character but '%' may be in a
 * domain-spec) in the presentation form the resolver compares answers
 * with: dns_msg writes every byte but letters, digits, '-' and '_' as
 * \DDD, so "foo:bar.example.com" is asked as "foo\058bar.example.com". */
static void
presentation(const char *name, char out[DNS_NAME_MAX * 4])
{
	size_t n = 0;

	for (; *name != '\0' && n + 5 < DNS_NAME_MAX * 4; name++) {
		unsigned char c = (unsigned char)*name;

		if (isalnum(c) || c == '-' || c == '_' || c == '.')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, 5, "\\%03u", c);
	}
	out[n] = '\0';
}

/* Starts a query; from_spf: the name comes from a record or a macro and
 * is escaped first (names from DNS answers are escaped already). Returns
 * the slot, or -1 when the query could not start. */
static int
ask_name(struct spf_eval *e, const char *name, uint16_t type, bool from_spf)
{
	char pres[DNS_NAME_MAX * 4];
	struct slot *sl;
	struct timeval tv;
	int64_t left_us;
	size_t n;
	int i;

	for (i = 0; i < SLOTS; i++)
		if (!e->slot[i].busy)
			break;
	if (i == SLOTS)
		abort();	/* more parallel queries than designed for */
	sl = &e->slot[i];
	sl->e = e;
	sl->busy = true;
	sl->held = NULL;
	if (from_spf) {
		presentation(name, pres);
		name = pres;
	}
	sl->name = NULL;
	if (e->cache != NULL) {
		/* A name too long to be a key here (escapes make a name
		 * longer) is asked, never kept. */
		n = strlen(name);
		if (n < DNS_NAME_MAX &&
		    (sl->held = dns_cache_get(e->cache, name, type)) != NULL) {
			sl->q = NULL;
			e->pending++;
			return i;
		}
		if (n < DNS_NAME_MAX) {
			if (e->keys == NULL)
				e->keys = xmalloc(SLOTS * sizeof(*e->keys));
			sl->name = e->keys[i];
			memcpy(sl->name, name, n + 1);
			sl->type = type;
		}
	}
	/* The deadline runs from the start, and matters only once there is
	 * something to wait for: its timer is made and armed by the first
	 * query sent. */
	if (e->deadline == NULL &&
	    (e->deadline = evtimer_new(e->base, on_deadline, e)) == NULL) {
		sl->busy = false;
		return -1;
	}
	sl->q = dns_query(e->dns, name, type, on_dns, sl);
	if (sl->q == NULL) {
		sl->busy = false;
		return -1;
	}
	e->pending++;
	if (!e->deadline_armed) {
		left_us = (int64_t)e->deadline_ms * 1000 -
		    (mtime_mono_us() - e->start_us);
		if (left_us < 0)
			left_us = 0;
		tv.tv_sec = (time_t)(left_us / 1000000);
		tv.tv_usec = (suseconds_t)(left_us % 1000000);
		evtimer_add(e->deadline, &tv);
		e->deadline_armed = true;
	}
	return i;
}

static int
ask(struct spf_eval *e, const char *name, uint16_t type)
{
	return ask_name(e, name, type, true);
}

static void
cancel_queries(struct spf_eval *e)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (e->slot[i].busy) {
			if (e->slot[i].held != NULL)
				dns_cache_drop(e->slot[i].held);
			else
				dns_cancel(e->slot[i].q);
			e->slot[i].held = NULL;
			e->slot[i].q = NULL;
			e->slot[i].busy = false;
		}
	e->pending = 0;
}

static void
eval_free(struct spf_eval *e)
{
	struct frame *f;

	cancel_queries(e);
	while ((f = e->fr) != NULL) {
		e->fr = f->up;
		spf_record_free(f->rec);
		free(f);
	}
	if (e->kick != NULL)
		event_free(e->kick);
	if (e->deadline != NULL)
		event_free(e->deadline);
	spf_outcome_free(e->o);
	buf_release(&e->xb);
	free(e->sender);
	free(e->helo);
	free(e->receiver);
	free(e->exp_raw);
	free(e->pn);
	free(e->keys);
	free(e);
}

void
spf_eval_cancel(struct spf_eval *e)
{
	if (e != NULL)
		eval_free(e);
}

/* Hands the outcome over and frees the evaluation. */
static void
deliver(struct spf_eval *e)
{
	struct spf_outcome *o = e->o;
	spf_cb cb = e->cb;
	void *arg = e->arg;

	e->o = NULL;
	eval_free(e);
	cb(arg, o);
}

/* Ends the evaluation. Nothing touches e after finish() returns: inside
 * an entry point the delivery waits for its end (leave). */
static void
finish(struct spf_eval *e, enum spf_result r, const char *reason)
{
	struct spf_outcome *o = e->o;

	o->result = r;
	if (o->reason == NULL && reason != NULL)
		o->reason = xstrdup(reason);
	o->match_step = e->decide_step;
	o->duration_ms = mtime_ms(e->start_us, mtime_mono_us());
	if (e->running) {
		cancel_queries(e);
		e->finished = true;
		return;
	}
	deliver(e);
}

static bool
same_net(const struct spf_eval *e, const struct dns_rr *rr, int c4, int c6)
{
	if (e->family == 4 && rr->type == DNS_T_A)
		return spf_prefix_match(e->addr, (const uint8_t *)&rr->u.a, 4, c4);
	if (e->family == 6 && rr->type == DNS_T_AAAA)
		return spf_prefix_match(e->addr, (const uint8_t *)&rr->u.aaaa,
		    16, c6);
	return false;
}

static void
rr_addr(const struct dns_rr *rr, char out[64])
{
	if (inet_ntop(rr->type == DNS_T_A ? AF_INET : AF_INET6,
	    rr->type == DNS_T_A ? (const void *)&rr->u.a :
	    (const void *)&rr->u.aaaa, out, 64) == NULL)
		snprintf(out, 64, "?");
}

static bool
is_void(const struct dns_answer *a)
{
	return a->status == DNS_NXDOMAIN || a->status == DNS_NODATA;
}

static const char *
status_text(const struct dns_answer *a)
{
	return a->status == DNS_ERROR && a->error != NULL ? a->error :
	    dns_status_name(a->status);
}

/* ---- expansion ------------------------------------------------------ */

/* Case-insensitive: does name equal dom or end in "." dom? */
static bool
in_domain(const char *name, const char *dom)
{
	size_t n = strlen(name), d = strlen(dom);

	if (d > 0 && dom[d - 1] == '.')
		d--;
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == d)
		return strncasecmp(name, dom, d) == 0;
	return n > d && name[n - d - 1] == '.' &&
	    strncasecmp(name + n - d, dom, d) == 0;
}

/* 7.3 "p": the validated name that is the domain, else one inside it,
 * else any, else "unknown". */
static const char *
choose_p(struct spf_eval *e)
{
	int i, pass;

	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < e->pn->n; i++) {
			if (!e->pn->ok[i])
				continue;
			if ((pass == 0 && strcasecmp(e->pn->name[i],
			    e->fr->domain) == 0) || (pass == 1 &&
			    in_domain(e->pn->name[i], e->fr->domain)) || pass == 2) {
				snprintf(e->pn->validated,
				    sizeof(e->pn->validated), "%s",
				    e->pn->name[i]);
				return e->pn->validated;
			}
		}
	return "unknown";
}

static int
expand(struct spf_eval *e, const char *s, unsigned flags, char *reason)
{
	e->mc.domain = e->fr->domain;
	e->mc.validated = e->pstate == P_DONE ? choose_p(e) : NULL;
	return spf_macro_expand(&e->mc, sv_cstr(s), flags, &e->xb, reason);
}

static void ptr_resolve(struct spf_eval *e, enum ptr_cont cont);

/* ---- terms ---------------------------------------------------------- */

static void
mech_done(struct spf_eval *e, bool matched)
{
	struct spf_term *t;
	struct spf_step *s = &e->o->step[e->step];

	s->matched = matched;
	if (!matched) {
		run(e);
		return;
	}
	t = &e->fr->rec->term[e->fr->term - 1];
	s->result = t->qual;
	if (e->budget) {
		run(e);
		return;
	}
	e->decide_step = e->step;
	check_end(e, t->qual, NULL, true);
}

static void
mech_void(struct spf_eval *e, const struct dns_answer *a)
{
	e->o->void_lookups++;
	step_detail(e, e->step, "%s: void lookup %d of %d", status_text(a),
	    e->o->void_lookups, e->max_void);
	if (e->o->void_lookups > e->max_void) {
		e->o->step[e->step].result = SPF_PERMERROR;
		check_end(e, SPF_PERMERROR, "more than 2 void lookups "
		    "(4.6.4)", false);
		return;
	}
	mech_done(e, false);
}

static void
mech_temperror(struct spf_eval *e, const char *what,
    const struct dns_answer *a)
{
	char reason[SPF_REASON_MAX];

	snprintf(reason, sizeof(reason), "%s lookup of %s: %s", what,
	    e->target, status_text(a));
	step_detail(e, e->step, "%s", reason);
	e->o->step[e->step].result = SPF_TEMPERROR;
	check_end(e, SPF_TEMPERROR, reason, false);
}

static void
on_addr(struct spf_eval *e, const struct dns_answer *a, int c4, int c6)
{
	int i;

	if (a->status == DNS_OK) {
		for (i = 0; i < a->nrr; i++)
			if (same_net(e, a->rr[i], c4, c6)) {
				rr_addr(a->rr[i], e->hit);
				e->any_match = true;
				return;
			}
		step_detail(e, e->step, "%s: %d address%s, none in %s/%d",
		    a->canonical ? a->canonical : "?", a->nrr,
		    a->nrr == 1 ? "" : "es", e->ip_text,
		    e->family == 4 ? c4 : c6);
	} else if (!is_void(a)) {
		e->any_error = true;
		step_detail(e, e->step, "%s: %s", a->canonical ?
		    a->canonical : "?", status_text(a));
	}
}

static void
on_term_answer(struct spf_eval *e, const struct dns_answer *a)
{
	struct spf_term *t = &e->fr->rec->term[e->fr->term - 1];
	int i, n = 0;

	switch (e->op) {
	case OP_ADDR:
		if (is_void(a)) {
			mech_void(e, a);
			return;
		}
		if (a->status != DNS_OK) {
			mech_temperror(e, e->family == 4 ? "A" : "AAAA", a);
			return;
		}
		on_addr(e, a, t->cidr4, t->cidr6);
		if (e->any_match)
			step_detail(e, e->step, "%s matches", e->hit);
		mech_done(e, e->any_match);
		return;
	case OP_EXISTS:
		if (is_void(a)) {
			mech_void(e, a);
			return;
		}
		if (a->status != DNS_OK) {
			mech_temperror(e, "A", a);
			return;
		}
		step_detail(e, e->step, "A record exists");
		mech_done(e, true);
		return;
	case OP_MX:
		if (is_void(a)) {
			mech_void(e, a);
			return;
		}
		if (a->status != DNS_OK) {
			mech_temperror(e, "MX", a);
			return;
		}
		for (i = 0; i < a->nrr; i++)
			if (a->rr[i]->u.mx.host[0] != '\0')
				n++;
		if (n > SPF_NAME_LIMIT) {
			step_detail(e, e->step, "%d MX names", n);
			e->o->step[e->step].result = SPF_PERMERROR;
			check_end(e, SPF_PERMERROR, "more than 10 MX names "
			    "(4.6.4)", false);
			return;
		}
		step_detail(e, e->step, "%d MX name%s", n, n == 1 ? "" : "s");
		e->op = OP_MX_ADDR;
		e->any_match = e->any_error = false;
		for (i = 0; i < a->nrr; i++) {
			if (a->rr[i]->u.mx.host[0] == '\0')
				continue;
			if (ask_name(e, a->rr[i]->u.mx.host, e->family == 4 ?
			    DNS_T_A : DNS_T_AAAA, false) < 0) {
				cancel_queries(e);
				check_end(e, SPF_TEMPERROR, "cannot start a DNS "
				    "query", false);
				return;
			}
		}
		if (n == 0)
			mech_done(e, false);
		return;
	case OP_MX_ADDR:
		on_addr(e, a, t->cidr4, t->cidr6);
		if (e->pending > 0)
			return;
		if (e->any_match) {
			step_detail(e, e->step, "%s matches", e->hit);
			mech_done(e, true);
		} else if (e->any_error) {
			e->o->step[e->step].result = SPF_TEMPERROR;
			check_end(e, SPF_TEMPERROR, "an MX name's address "
			    "lookup failed", false);
		} else
			mech_done(e, false);
		return;
	default:
		abort();
	}
}

static void
ptr_continue(struct spf_eval *e)
{
	enum ptr_cont c = e->pcont;
	int i;

	e->op = OP_NONE;
	switch (c) {
	case CONT_RUN:
		run(e);
		return;
	case CONT_EXP:
		check_end(e, e->exp_result, NULL, true);
		return;
	case CONT_PTR_MECH:
		break;
	}
	if (e->pn->note != NULL)
		step_detail(e, e->step, "%s", e->pn->note);
	if (e->pn->was_void) {
		e->o->void_lookups++;
		step_detail(e, e->step, "void lookup %d of %d",
		    e->o->void_lookups, e->max_void);
		if (e->o->void_lookups > e->max_void) {
			e->o->step[e->step].result = SPF_PERMERROR;
			check_end(e, SPF_PERMERROR, "more than 2 void lookups "
			    "(4.6.4)", false);
			return;
		}
	}
	for (i = 0; i < e->pn->n; i++)
		if (e->pn->ok[i] && in_domain(e->pn->name[i], e->target)) {
			step_detail(e, e->step, "%s is validated and in %s",
			    e->pn->name[i], e->target);
			mech_done(e, true);
			return;
		}
	step_detail(e, e->step, "no validated name in %s", e->target);
	mech_done(e, false);
}

static void
on_ptr_answer(struct spf_eval *e, const struct dns_answer *a, int idx)
{
	int i, k;

	if (e->op == OP_PTR) {
		if (a->status != DNS_OK) {
			e->pn->was_void = is_void(a);
			e->pn->note = e->pn->was_void ? "no PTR record" :
			    "PTR lookup failed: no match (5.5)";
			e->pstate = P_DONE;
			ptr_continue(e);
			return;
		}
		/* 4.6.4: names past the tenth are ignored. */
		for (i = 0; i < a->nrr && e->pn->n < SPF_NAME_LIMIT; i++)
			snprintf(e->pn->name[e->pn->n++], DNS_NAME_MAX, "%s",
			    a->rr[i]->u.target);
		e->pn->note = a->nrr > SPF_NAME_LIMIT ? "more than 10 PTR names: "
		    "the first 10 checked" : NULL;
		e->op = OP_PTR_ADDR;
		for (i = 0; i < e->pn->n; i++) {
			if ((k = ask_name(e, e->pn->name[i], e->family == 4 ?
			    DNS_T_A : DNS_T_AAAA, false)) < 0)
				break;
			e->slot[k].idx = i;
		}
		if (e->pending == 0) {
			e->pstate = P_DONE;
			ptr_continue(e);
		}
		return;
	}
	/* OP_PTR_ADDR: a DNS error skips the name (5.5). */
	if (a->status == DNS_OK && idx >= 0 && idx < e->pn->n)
		for (i = 0; i < a->nrr; i++)
			if (same_net(e, a->rr[i], 32, 128))
				e->pn->ok[idx] = true;
	if (e->pending > 0)
		return;
	e->pstate = P_DONE;
	ptr_continue(e);
}

static void
ptr_resolve(struct spf_eval *e, enum ptr_cont cont)
{
	char rev[80];

	e->pcont = cont;
	if (e->pstate == P_DONE) {
		ptr_continue(e);
		return;
	}
	e->pstate = P_RUNNING;
	if (e->pn == NULL)
		e->pn = xcalloc(1, sizeof(*e->pn));
	e->op = OP_PTR;
	if (dns_reverse_name(e->ip_text, rev) < 0 ||
	    ask(e, rev, DNS_T_PTR) < 0) {
		e->pstate = P_DONE;
		e->pn->note = "cannot ask for the PTR record";
		ptr_continue(e);
	}
}

/* The free function of a parsed record riding on a cached answer. */
static void
record_release(void *p)
{
	spf_record_free(p);
}

static void
on_record(struct spf_eval *e, const struct dns_answer *a)
{
	struct spf_check *c = &e->o->check[e->fr->check];
	char reason[SPF_REASON_MAX], why[SPF_REASON_MAX];
	struct spf_record *rec;
	int i, n = 0, pick = -1;

	if (is_void(a)) {
		step_detail(e, e->step, "TXT: %s", status_text(a));
		check_end(e, SPF_NONE, is_void(a) && a->status == DNS_NXDOMAIN ?
		    "the domain does not exist" : "no TXT record", false);
		return;
	}
	if (a->status != DNS_OK) {
		snprintf(reason, sizeof(reason), "TXT lookup of %s: %s",
		    e->fr->domain, status_text(a));
		step_detail(e, e->step, "%s", reason);
		e->o->step[e->step].result = SPF_TEMPERROR;
		check_end(e, SPF_TEMPERROR, reason, false);
		return;
	}
	for (i = 0; i < a->nrr; i++)
		if (spf_is_record(a->rr[i]->u.txt.data, a->rr[i]->u.txt.len)) {
			n++;
			pick = i;
		}
	step_detail(e, e->step, "%d TXT record%s, %d of them SPF", a->nrr,
	    a->nrr == 1 ? "" : "s", n);
	if (n == 0) {
		check_end(e, SPF_NONE, "no SPF record among the TXT records",
		    false);
		return;
	}
	if (n > 1) {
		e->o->step[e->step].result = SPF_PERMERROR;
		check_end(e, SPF_PERMERROR, "more than one SPF record (4.5)",
		    false);
		return;
	}
	if (!e->no_trace)
		c->record = xstrndup(a->rr[pick]->u.txt.data,
		    a->rr[pick]->u.txt.len);
	if (e->fr->check == 0)
		e->o->record = xstrndup(a->rr[pick]->u.txt.data,
		    a->rr[pick]->u.txt.len);
	/* A cached answer carries the record parsed from it: parsing is
	 * pure, so the terms are the same; macros are expanded per term as
	 * the walk reaches them. */
	if (e->cur != NULL &&
	    (rec = dns_cache_aux(e->cur, record_release)) != NULL)
		e->fr->rec = spf_record_ref(rec);
	else if (spf_record_parse(a->rr[pick]->u.txt.data,
	    a->rr[pick]->u.txt.len, &e->fr->rec, why) < 0) {
		snprintf(reason, sizeof(reason), "syntax: %s", why);
		step_detail(e, e->step, "%s", reason);
		e->o->step[e->step].result = SPF_PERMERROR;
		check_end(e, SPF_PERMERROR, reason, false);
		return;
	} else if (e->cur != NULL)
		dns_cache_set_aux(e->cur, spf_record_ref(e->fr->rec),
		    record_release);
	c->dns_terms = e->fr->rec->dns_terms;
	run(e);
}

static void
on_exp(struct spf_eval *e, const struct dns_answer *a)
{
	char why[SPF_REASON_MAX];

	if (a->status != DNS_OK || a->nrr != 1) {
		e->exp_done = true;
		step_detail(e, e->step, "ignored: %s", a->status == DNS_OK ?
		    "more than one TXT record" : status_text(a));
		check_end(e, e->exp_result, NULL, true);
		return;
	}
	if (memchr(a->rr[0]->u.txt.data, '\0', a->rr[0]->u.txt.len) != NULL ||
	    spf_macro_check(sv_make(a->rr[0]->u.txt.data,
	    a->rr[0]->u.txt.len), SPF_MACRO_EXP, why) < 0) {
		e->exp_done = true;
		if (memchr(a->rr[0]->u.txt.data, '\0', a->rr[0]->u.txt.len))
			snprintf(why, sizeof(why), "a NUL byte in the text");
		step_detail(e, e->step, "ignored: %s", why);
		check_end(e, e->exp_result, NULL, true);
		return;
	}
	e->exp_raw = xstrndup(a->rr[0]->u.txt.data, a->rr[0]->u.txt.len);
	check_end(e, e->exp_result, NULL, true);
}

/* Hands one answer to the step waiting for it; cached: a was taken
 * from the cache or just kept there (NULL otherwise). */
static void
dispatch(struct spf_eval *e, const struct dns_answer *a,
    const struct dns_answer *cached, int idx)
{
	e->cur = cached;
	switch (e->op) {
	case OP_RECORD:
		on_record(e, a);
		break;
	case OP_EXP:
		on_exp(e, a);
		break;
	case OP_PTR:
	case OP_PTR_ADDR:
		on_ptr_answer(e, a, idx);
		break;
	default:
		on_term_answer(e, a);
		break;
	}
	e->cur = NULL;
}

/* The end of an entry point: the answers taken from the cache while it
 * ran are handled, one at a time, each of which may take more; then, if
 * the evaluation ended, the callback. Bounded: every answer handled is
 * one of the evaluation's queries, and the limits bound those. */
static void
leave(struct spf_eval *e)
{
	const struct dns_answer *a;
	struct slot *sl;
	int i;

	for (i = 0; i < SLOTS && !e->finished; i++) {
		sl = &e->slot[i];
		if (!sl->busy || sl->held == NULL)
			continue;
		a = sl->held;
		sl->held = NULL;
		sl->busy = false;
		e->pending--;
		dispatch(e, a, a, sl->idx);
		dns_cache_drop(a);
		i = -1;		/* from the first slot again */
	}
	e->running = false;
	if (e->finished)
		deliver(e);
}

/* The resolver's callback: an entry point. */
static void
on_dns(void *arg, const struct dns_answer *a)
{
	struct slot *sl = arg;
	struct spf_eval *e = sl->e;
	const struct dns_answer *kept = NULL;

	sl->busy = false;
	sl->q = NULL;
	e->pending--;
	if (sl->name != NULL)
		kept = dns_cache_put(e->cache, sl->name, sl->type, a);
	e->running = true;
	dispatch(e, kept != NULL ? kept : a, kept, sl->idx);
	dns_cache_drop(kept);
	leave(e);
}

/* Expands a term's target into e->target. Returns 0, 1 when the %{p}
 * lookup was started (run() resumes later), -1 after ending the check. */
static int
term_target(struct spf_eval *e, const struct spf_term *t)
{
	char why[SPF_REASON_MAX], reason[SPF_REASON_MAX];
	int r;

	if (t->spec == NULL) {
		memcpy(e->target, e->fr->domain, sizeof(e->target));
		return 0;
	}
	r = expand(e, t->spec, SPF_MACRO_DOMAIN, why);
	if (r == SPF_MACRO_NEED_P) {
		ptr_resolve(e, CONT_RUN);
		return 1;
	}
	if (r != SPF_MACRO_OK) {
		snprintf(reason, sizeof(reason), "%.60s%s: %s", t->text,
		    strlen(t->text) > 60 ? "..." : "", why);
		check_end(e, SPF_PERMERROR, reason, false);
		return -1;
	}
	/* An expansion too long to fit is not a name; spf_name_ok says so.
	 * (The buffer may hold a NUL from a macro's value: the name ends
	 * there, as it did when it was formatted with %.*s.) */
	if (e->xb.len >= sizeof(e->target) || e->xb.data == NULL)
		e->target[0] = '\0';
	else
		memcpy(e->target, e->xb.data, e->xb.len + 1);
	return 0;
}

/* Counts a DNS-querying term; false (after ending the check) past the
 * limit. */
static bool
count_lookup(struct spf_eval *e, int step)
{
	char reason[SPF_REASON_MAX];

	e->o->lookups++;
	e->o->step[step].counted = true;
	e->o->step[step].lookups = e->o->lookups;
	if (e->o->lookups <= e->max_lookups)
		return true;
	snprintf(reason, sizeof(reason), "more than %d DNS-querying terms "
	    "(4.6.4)", e->max_lookups);
	step_detail(e, step, "%s", reason);
	e->o->step[step].result = SPF_PERMERROR;
	check_end(e, SPF_PERMERROR, reason, false);
	return false;
}

static void
run(struct spf_eval *e)
{
	struct frame *f = e->fr;
	struct spf_record *rec = f->rec;
	struct spf_term *t;
	int step, r;

	e->op = OP_NONE;
	while (f->term < rec->nterm) {
		t = &rec->term[f->term];
		if (t->kind != SPF_T_MECH) {
			f->term++;
			continue;
		}
		if (t->mech == SPF_M_ALL || t->mech == SPF_M_IP4 ||
		    t->mech == SPF_M_IP6) {
			bool m;

			f->term++;
			step = e->step = step_add(e, SPF_STEP_TERM, t->text);
			if (t->mech == SPF_M_ALL)
				m = true;
			else if (t->mech == SPF_M_IP4)
				m = e->family == 4 && spf_prefix_match(e->addr,
				    t->addr, 4, t->cidr4);
			else
				m = e->family == 6 && spf_prefix_match(e->addr,
				    t->addr, 16, t->cidr6);
			if (t->mech == SPF_M_ALL)
				step_detail(e, step, "matches every address");
			else
				step_detail(e, step, "%s is %sinside %s",
				    e->ip_text, m ? "" : "not ", t->text +
				    (t->text[0] == '+' || t->text[0] == '-' ||
				    t->text[0] == '~' || t->text[0] == '?') + 4);
			if (m) {
				mech_done(e, true);
				return;
			}
			continue;
		}
		if ((r = term_target(e, t)) != 0)
			return;
		f->term++;
		step = e->step = step_add(e, SPF_STEP_TERM, t->text);
		if (!e->no_trace)
			e->o->step[step].target = xstrdup(e->target);
		if (!count_lookup(e, step))
			return;
		e->any_match = e->any_error = false;
		if (t->mech == SPF_M_INCLUDE) {
			check_begin(e, e->target, SPF_VIA_INCLUDE, step);
			return;
		}
		if (!spf_name_ok(e->target, false)) {
			/* RFC 7208 leaves this undefined (4.8, 5): not a
			 * name DNS can be asked about, so nothing matches. */
			step_detail(e, step, "not a valid domain name: no match");
			continue;
		}
		switch (t->mech) {
		case SPF_M_A:
			e->op = OP_ADDR;
			r = ask(e, e->target, e->family == 4 ? DNS_T_A :
			    DNS_T_AAAA);
			break;
		case SPF_M_MX:
			e->op = OP_MX;
			r = ask(e, e->target, DNS_T_MX);
			break;
		case SPF_M_EXISTS:
			/* 5.7: always an A query, whatever the client. */
			e->op = OP_EXISTS;
			r = ask(e, e->target, DNS_T_A);
			break;
		case SPF_M_PTR:
			ptr_resolve(e, CONT_PTR_MECH);
			return;
		default:
			abort();
		}
		if (r < 0)
			check_end(e, SPF_TEMPERROR, "cannot start a DNS query",
			    false);
		return;
	}
	/* No mechanism matched: redirect= (6.1), else neutral (4.7). */
	if (rec->redirect >= 0) {
		t = &rec->term[rec->redirect];
		if (term_target(e, t) != 0)
			return;
		step = e->step = step_add(e, SPF_STEP_TERM, t->text);
		if (!e->no_trace)
			e->o->step[step].target = xstrdup(e->target);
		if (!count_lookup(e, step))
			return;
		f->term = rec->nterm + 1;
		check_begin(e, e->target, SPF_VIA_REDIRECT, step);
		return;
	}
	step = step_add(e, SPF_STEP_DEFAULT, NULL);
	e->o->step[step].result = SPF_NEUTRAL;
	step_detail(e, step, "no mechanism matched: neutral (4.7)");
	check_end(e, SPF_NEUTRAL, NULL, false);
}

/* ---- checks --------------------------------------------------------- */

/* Ends the current check with r; pops to the parent, which continues. */
static void
check_pop(struct spf_eval *e, enum spf_result r)
{
	struct frame *f = e->fr;
	struct spf_check *c = &e->o->check[f->check];
	enum spf_via via = c->via;
	int ps = c->parent_step;
	char reason[SPF_REASON_MAX];
	struct spf_step *s;

	e->fr = f->up;
	spf_record_free(f->rec);
	free(f);
	if (e->fr == NULL) {
		finish(e, r, e->o->check[0].error);
		return;
	}
	e->step = ps;
	s = &e->o->step[ps];
	step_detail(e, ps, "%s %s", c->domain, spf_result_name(r));
	if (via == SPF_VIA_REDIRECT) {
		/* 6.1: the redirect's result is this record's; none is a
		 * permerror. exp= was the target record's to give. */
		s->result = r == SPF_NONE ? SPF_PERMERROR : r;
		s->matched = r != SPF_NONE && r != SPF_PERMERROR &&
		    r != SPF_TEMPERROR;
		if (r == SPF_NONE)
			snprintf(reason, sizeof(reason), "redirect=%s: no SPF "
			    "record there (6.1)", c->domain);
		check_end(e, s->result, r == SPF_NONE ? reason : c->error, false);
		return;
	}
	/* 5.2: the include matches on pass only. */
	switch (r) {
	case SPF_PASS:
		mech_done(e, true);
		return;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		mech_done(e, false);
		return;
	case SPF_TEMPERROR:
	case SPF_PERMERROR:
		/* The reason is the innermost one; the trace has the path. */
		s->result = r;
		check_end(e, r, c->error, false);
		return;
	case SPF_NONE:
		s->result = SPF_PERMERROR;
		snprintf(reason, sizeof(reason), "include:%s: no SPF record "
		    "there (5.2)%s%s", c->domain, c->error ? ": " : "",
		    c->error ? c->error : "");
		check_end(e, SPF_PERMERROR, reason, false);
		return;
	}
}

static void
check_end(struct spf_eval *e, enum spf_result r, const char *reason,
    bool allow_exp)
{
	struct frame *f = e->fr;
	struct spf_check *c = &e->o->check[f->check];
	char why[SPF_REASON_MAX];
	int rc;

	cancel_queries(e);
	e->op = OP_NONE;
	c->result = r;
	if (reason != NULL && c->error == NULL)
		c->error = f->depth > 0 && strncmp(reason, "in ", 3) != 0 ?
		    xasprintf("in %s: %s", f->domain, reason) : xstrdup(reason);
	/* 6.2: a fail that reaches the top from this record (not through
	 * an include) takes its explanation from this record's exp=. */
	if (r == SPF_FAIL && allow_exp && !e->budget && !f->in_include &&
	    f->rec != NULL &&
	    f->rec->exp >= 0 && !e->exp_done) {
		const struct spf_term *t = &f->rec->term[f->rec->exp];

		e->exp_result = r;
		if (e->exp_raw == NULL) {
			if (e->o->step[e->o->nstep - 1].kind != SPF_STEP_EXP) {
				e->step = step_add(e, SPF_STEP_EXP, t->text);
				e->o->step[e->step].result = SPF_FAIL;
			}
			rc = expand(e, t->spec, SPF_MACRO_DOMAIN, why);
			if (rc == SPF_MACRO_NEED_P) {
				ptr_resolve(e, CONT_EXP);
				return;
			}
			if (rc == SPF_MACRO_OK && spf_name_ok(e->xb.data, false)) {
				e->o->step[e->step].target = xstrdup(e->xb.data);
				e->op = OP_EXP;
				if (ask(e, e->xb.data, DNS_T_TXT) == 0)
					return;
			}
			step_detail(e, e->step, "ignored: %s", rc ==
			    SPF_MACRO_OK ? "not a valid domain name" : why);
			e->exp_done = true;
		} else {
			rc = expand(e, e->exp_raw, SPF_MACRO_EXP, why);
			if (rc == SPF_MACRO_NEED_P) {
				ptr_resolve(e, CONT_EXP);
				return;
			}
			e->exp_done = true;
			if (rc == SPF_MACRO_OK) {
				e->o->explanation = xstrdup(e->xb.data);
				step_detail(e, e->step, "explanation: %s",
				    e->o->explanation);
			} else
				step_detail(e, e->step, "ignored: %s", why);
		}
	}
	check_pop(e, r);
}

/* 4.3: a domain check_host() can start from: a multi-label name, not an
 * address literal, not ending in a numeric label. */
static bool
identity_ok(const char *d)
{
	const char *last;
	size_t n = strlen(d), i;

	if (!spf_name_ok(d, true) || d[0] == '[')
		return false;
	if (n > 0 && d[n - 1] == '.')
		n--;
	last = memrchr(d, '.', n);
	last = last != NULL ? last + 1 : d;
	for (i = 0; last + i < d + n; i++)
		if (!isdigit((unsigned char)last[i]))
			return true;
	return false;
}

static void
check_begin(struct spf_eval *e, const char *domain, enum spf_via via,
    int parent_step)
{
	struct spf_outcome *o = e->o;
	struct frame *f;
	struct spf_check *c;
	size_t n;

	if (o->ncheck == e->check_cap) {
		e->check_cap = e->check_cap ? e->check_cap * 2 : 8;
		o->check = xrealloc(o->check, (size_t)e->check_cap *
		    sizeof(*o->check));
	}
	c = &o->check[o->ncheck];
	memset(c, 0, sizeof(*c));
	c->parent = e->fr != NULL ? e->fr->check : -1;
	c->parent_step = parent_step;
	c->via = via;
	c->domain = xstrdup(domain);
	f = xcalloc(1, sizeof(*f));
	f->up = e->fr;
	f->check = o->ncheck++;
	f->depth = e->fr != NULL ? e->fr->depth + 1 : 0;
	f->in_include = via == SPF_VIA_INCLUDE ||
	    (e->fr != NULL && e->fr->in_include);
	c->depth = f->depth;
	n = strnlen(domain, sizeof(f->domain) - 1);
	memcpy(f->domain, domain, n);
	f->domain[n] = '\0';
	if (n > 0 && f->domain[n - 1] == '.')
		f->domain[n - 1] = '\0';
	e->fr = f;
	e->step = step_add(e, SPF_STEP_RECORD, NULL);
	if (via == SPF_VIA_TOP ? !identity_ok(domain) :
	    !spf_name_ok(domain, false)) {
		step_detail(e, e->step, "not a valid domain name");
		check_end(e, SPF_NONE, "not a valid domain name (4.3)", false);
		return;
	}
	e->op = OP_RECORD;
	if (ask(e, f->domain, DNS_T_TXT) < 0)
		check_end(e, SPF_TEMPERROR, "cannot start a DNS query", false);
}

/* ---- start ---------------------------------------------------------- */

static void
on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct spf_eval *e = arg;

	(void)fd;
	(void)what;
	e->running = true;
	check_begin(e, e->o->domain, SPF_VIA_TOP, -1);
	leave(e);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct spf_eval *e = arg;
	char reason[SPF_REASON_MAX];

	(void)fd;
	(void)what;
	snprintf(reason, sizeof(reason), "evaluation took longer than %d ms "
	    "(4.6.4)", e->deadline_ms);
	cancel_queries(e);
	finish(e, SPF_TEMPERROR, reason);
}

static int
parse_ip(struct spf_eval *e, const char *ip)
{
	struct spf_addr a;

	if (spf_addr_parse(ip, &a) < 0)
		return -1;
	e->family = a.family;
	memcpy(e->addr, a.addr, sizeof(e->addr));
	memcpy(e->ip_text, a.text, sizeof(e->ip_text));
	memcpy(e->ip_dots, a.dots, sizeof(e->ip_dots));
	return 0;
}

struct spf_eval *
spf_eval_start(struct event_base *base, const struct spf_params *p,
    spf_cb cb, void *arg, char **err)
{
	struct spf_eval *e;
	char dom[256];
	const char *sender, *at;
	struct timeval tv = { 0, 0 };
	size_t nl, nd;

	if (p == NULL || p->dns == NULL || p->ip == NULL || cb == NULL) {
		*err = xstrdup("spf: missing parameters");
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	if (parse_ip(e, p->ip) < 0) {
		*err = xasprintf("'%s' is not an IPv4 or IPv6 address", p->ip);
		free(e);
		return NULL;
	}
	if (p->domain != NULL)
		copy_str(dom, sizeof(dom), p->domain, strlen(p->domain));
	else if (spf_identity_domain(p->sender, p->helo, dom) < 0) {
		*err = xstrdup("no domain: give a domain, a sender or a HELO "
		    "name");
		free(e);
		return NULL;
	}
	e->base = base;
	e->dns = p->dns;
	e->cb = cb;
	e->arg = arg;
	e->start_us = mtime_mono_us();
	e->deadline_ms = p->deadline_ms > 0 ? p->deadline_ms : DEADLINE_MS;
	e->max_lookups = p->max_lookups > 0 ? p->max_lookups :
	    SPF_LOOKUP_LIMIT;
	e->max_void = p->max_void > 0 ? p->max_void : SPF_VOID_LIMIT;
	e->budget = p->budget;
	e->cache = p->cache;
	e->no_trace = p->no_trace;
	e->decide_step = -1;
	buf_init(&e->xb, SPF_MACRO_OUT_MAX);
	e->helo = xstrdup(p->helo != NULL && p->helo[0] != '\0' ? p->helo :
	    "unknown");
	e->receiver = xstrdup(p->receiver != NULL ? p->receiver : "unknown");
	/* 4.3 and 2.4: the null path is postmaster@HELO; a sender without
	 * a local-part is postmaster@domain. */
	sender = p->sender;
	if (sender == NULL || sender[0] == '\0') {
		copy_str(e->local, sizeof(e->local), "postmaster", 10);
		sender = p->helo != NULL && p->helo[0] != '\0' ? p->helo : dom;
		copy_str(e->sender_domain, sizeof(e->sender_domain), sender,
		    strlen(sender));
	} else if ((at = strrchr(sender, '@')) != NULL) {
		copy_str(e->local, sizeof(e->local), sender,
		    (size_t)(at - sender));
		if (e->local[0] == '\0')
			copy_str(e->local, sizeof(e->local), "postmaster", 10);
		copy_str(e->sender_domain, sizeof(e->sender_domain), at + 1,
		    strlen(at + 1));
	} else {
		copy_str(e->local, sizeof(e->local), "postmaster", 10);
		copy_str(e->sender_domain, sizeof(e->sender_domain), sender,
		    strlen(sender));
	}
	nl = strlen(e->local);
	nd = strlen(e->sender_domain);
	e->sender = xmalloc(nl + nd + 2);
	memcpy(e->sender, e->local, nl);
	e->sender[nl] = '@';
	memcpy(e->sender + nl + 1, e->sender_domain, nd + 1);
	e->mc.sender = e->sender;
	e->mc.local = e->local;
	e->mc.sender_domain = e->sender_domain;
	e->mc.ip = e->ip_dots;
	e->mc.ip_text = e->ip_text;
	e->mc.ip_version = e->family == 4 ? "in-addr" : "ip6";
	e->mc.helo = e->helo;
	e->mc.receiver = e->receiver;
	e->mc.now = mtime_wall_us() / 1000000;

	e->o = xcalloc(1, sizeof(*e->o));
	e->o->match_step = -1;
	e->o->domain = xstrdup(dom);
	e->o->ip = xstrdup(e->ip_text);
	e->o->sender = xstrdup(e->sender);
	e->o->helo = xstrdup(e->helo);

	/* The deadline's timer is made by the first query sent (ask_name). */
	e->kick = evtimer_new(base, on_kick, e);
	if (e->kick == NULL) {
		*err = xstrdup("spf: cannot create timers");
		eval_free(e);
		return NULL;
	}
	evtimer_add(e->kick, &tv);
	return e;
}
