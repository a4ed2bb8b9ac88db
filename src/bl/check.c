/*
 * check.c - the blocklist check engine (check.h).
 *
 * Every query waits in one FIFO; at most max_inflight are out at once
 * (a few hundred zones times a few targets would otherwise open thousands
 * of queries on one resolver). The FIFO holds 8 bytes a query (its kind
 * and an index into the results, kept[], items or canaries, since those
 * arrays grow while names resolve); the name to ask is built when the
 * query goes out, so a bulk check of a million lookups queues 8 MB, not
 * 300.
 *
 * A result is a 2-byte slot until it answers: pending, kept (a struct
 * bl_result in kept[]: listed, unchecked, an error, not asked) or, for a
 * clean answer of a compact run, the answer itself. A clean answer cannot
 * be reported as it comes: a zone's canary may discard all its answers
 * once its unlisted entry, asked with its first listing, comes back listed
 * (check.h), and the JSON document puts the verdict and the counts before
 * the results. So the run keeps every result, but a clean one, 99% of a
 * bulk check, in its slot. A run that is not compact keeps every answer
 * in kept[], which becomes results[] at the end.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bl/check.h"
#include "core/mem.h"
#include "dns/bulk.h"
#include "core/mtime.h"

#define DEFAULT_INFLIGHT	1024	/* matches the resolver's outgoing-range */
#define TXT_KEEP		400

/* A result's slot (struct bl_run). A clean answer is its kind (the top 2
 * bits: 1 NXDOMAIN, 2 NODATA, 3 no A record) and its time in tenths of a
 * millisecond, below 1638.4 ms; a slower one is kept. */
#define SLOT_PENDING		0
#define SLOT_KEPT		1
#define SLOT_NOT_ASKED		2
#define SLOT_CLEAN_SHIFT	14
#define SLOT_TENTHS_MAX		0x3fff

enum job_kind { J_ADDR_A, J_ADDR_AAAA, J_ZONE, J_TXT, J_CANARY_POS,
	J_CANARY_NEG };

struct check;

struct qent {
	int		 kind;		/* enum job_kind */
	int		 idx;		/* input, result or canary */
};

/* A query in flight. */
struct job {
	struct check	*c;
	enum job_kind	 kind;
	int		 idx;
	int64_t		 start_us;
};

struct check {
	struct event_base	*base;
	const struct bl_params	*p;
	struct bl_run		*r;
	int			 cap_items, cap_results, cap_canaries, cap_more;
	int			 cap_kept;
	struct qent		*queue;
	size_t			 qhead, qlen, qcap;
	int			 inflight, max_inflight, max_results;
	int			 next_result;	/* the next zone lookup to send */
	int			 dropped;	/* addresses past max_results */
	int			*canary_ip, *canary_dom;	/* by zone, -1 */
};

const char *
bl_status_name(enum bl_status s)
{
	switch (s) {
	case BL_LISTED:		return "listed";
	case BL_CLEAN:		return "clean";
	case BL_UNCHECKED:	return "unchecked";
	default:		return "error";
	}
}

const char *
bl_canary_verdict_name(enum bl_canary_verdict v)
{
	static const char *const n[] = { "pending", "ok", "dead",
	    "lists_everything", "refused", "broken", "error" };

	return n[v];
}

/* The side record of kept[fi], made on first use. The pointer is good
 * until the next call: more[] may move. */
static struct bl_more *
more_of(struct check *c, int fi)
{
	struct bl_run *r = c->r;
	struct bl_result *res = &r->kept[fi];

	if (res->more == 0) {
		if (r->nmore == c->cap_more) {
			c->cap_more = c->cap_more ? c->cap_more * 2 : 64;
			r->more = xrealloc(r->more, (size_t)c->cap_more *
			    sizeof(*r->more));
		}
		memset(&r->more[r->nmore], 0, sizeof(r->more[0]));
		res->more = ++r->nmore;
	}
	return &r->more[res->more - 1];
}

/* A record in kept[] for result ri, item on zone zi; its index. The
 * records move: hold indexes, not pointers, across calls. */
static int
keep(struct check *c, int ri, int item, int zi)
{
	struct bl_run *r = c->r;
	struct bl_result *res;

	if (r->nkept == c->cap_kept) {
		c->cap_kept = c->cap_kept ? c->cap_kept * 2 : 64;
		r->kept = xrealloc(r->kept, (size_t)c->cap_kept *
		    sizeof(*r->kept));
	}
	res = &r->kept[r->nkept];
	memset(res, 0, sizeof(*res));
	res->index = ri;
	res->item = item;
	res->zone = (uint16_t)zi;
	r->slots[ri] = SLOT_KEPT;
	return r->nkept++;
}

/* The item and zone of result ri: the last item starting at or before
 * it (items start in order; one with no result starts where the next
 * does). */
static void
result_where(const struct bl_run *r, int ri, int *item, int *zone)
{
	int lo = 0, hi = r->nitems - 1;

	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;

		if (r->items[mid].first <= ri)
			lo = mid;
		else
			hi = mid - 1;
	}
	*item = lo;
	*zone = r->kind_zones[r->items[lo].target->kind][ri -
	    r->items[lo].first];
}

static void
enqueue(struct check *c, enum job_kind kind, int idx)
{
	if (c->qhead + c->qlen == c->qcap) {
		if (c->qhead > 0) {
			memmove(c->queue, c->queue + c->qhead, c->qlen *
			    sizeof(*c->queue));
			c->qhead = 0;
		}
		if (c->qlen == c->qcap) {
			c->qcap = c->qcap ? c->qcap * 2 : 1024;
			c->queue = xrealloc(c->queue, c->qcap *
			    sizeof(*c->queue));
		}
	}
	c->queue[c->qhead + c->qlen].kind = kind;
	c->queue[c->qhead + c->qlen].idx = idx;
	c->qlen++;
}

/* The name and type job j asks. -1 when the name cannot be built, which
 * queue_item has ruled out for the zone lookups and their TXT. */
static int
job_query(const struct check *c, const struct job *j, char q[BL_QNAME_MAX],
    uint16_t *type)
{
	const struct bl_run *r = c->r;
	const struct bl_result *res;
	int item, zi;

	switch (j->kind) {
	case J_ADDR_A:
	case J_ADDR_AAAA:
		*type = j->kind == J_ADDR_A ? DNS_T_A : DNS_T_AAAA;
		snprintf(q, BL_QNAME_MAX, "%s", r->inputs[j->idx].target->text);
		return 0;
	case J_ZONE:
		*type = DNS_T_A;
		result_where(r, j->idx, &item, &zi);
		return bl_query_join(r->items[item].prefix,
		    c->p->zones[zi]->name, q);
	case J_TXT:
		*type = DNS_T_TXT;
		res = &r->kept[j->idx];
		return bl_query_join(r->items[res->item].prefix,
		    c->p->zones[res->zone]->name, q);
	case J_CANARY_POS:
	case J_CANARY_NEG:
		*type = DNS_T_A;
		snprintf(q, BL_QNAME_MAX, "%s", j->kind == J_CANARY_POS ?
		    r->canaries[j->idx].pos_q : r->canaries[j->idx].neg_q);
		return 0;
	}
	return -1;
}

static void handle(struct job *j, const struct dns_answer *ans);
static void on_answer(void *arg, const struct dns_answer *ans);
static void on_bulk(void *arg, const struct dns_answer *ans, bool settled);

/* Asks j's question through the resolver; answers it here as an error
 * when that cannot start (the callback never comes then). Returns whether
 * it is in flight. */
static bool
ask_resolver(struct check *c, struct job *j, const char *q, uint16_t type)
{
	struct dns_answer a;

	if (q != NULL && dns_query(c->p->dns, q, type, on_answer, j) != NULL)
		return true;
	memset(&a, 0, sizeof(a));
	a.status = DNS_ERROR;
	a.rcode = -1;
	a.error = "the query could not be started";
	handle(j, &a);
	free(j);
	return false;
}

/* The next result whose zone lookup has not gone out, or -1. */
static int
next_lookup(struct check *c)
{
	const struct bl_run *r = c->r;

	while (c->next_result < r->nresults &&
	    r->slots[c->next_result] == SLOT_NOT_ASKED)
		c->next_result++;
	return c->next_result < r->nresults ? c->next_result++ : -1;
}

/* Sends what waits, up to max_inflight: the FIFO first (canaries, a
 * name's addresses, the TXT of listings), then the zone lookups in
 * result order. The lookups are never queued: one per result, sent when
 * the cursor reaches it. */
static void
pump(struct check *c)
{
	while (c->inflight < c->max_inflight &&
	    (c->qlen > 0 || c->next_result < c->r->nresults)) {
		struct job *j;
		char q[BL_QNAME_MAX];
		uint16_t type;

		/* The stub client's window is shut while it loses datagrams:
		 * what it takes waits for its next answer, which pumps. */
		if (c->p->bulk != NULL && dns_bulk_full(c->p->bulk) &&
		    (c->qlen == 0 || (c->queue[c->qhead].kind != J_ADDR_A &&
		    c->queue[c->qhead].kind != J_ADDR_AAAA)))
			break;
		j = xmalloc(sizeof(*j));

		j->c = c;
		if (c->qlen > 0) {
			j->kind = (enum job_kind)c->queue[c->qhead].kind;
			j->idx = c->queue[c->qhead].idx;
			c->qhead++;
			c->qlen--;
			if (c->qlen == 0)
				c->qhead = 0;
		} else if ((j->idx = next_lookup(c)) >= 0) {
			j->kind = J_ZONE;
		} else {
			free(j);
			break;
		}
		j->start_us = mtime_mono_us();
		c->r->queries++;
		if (job_query(c, j, q, &type) < 0) {
			(void)ask_resolver(c, j, NULL, 0);
			continue;
		}
		/* A name the stub client refuses goes to the resolver, which
		 * gives its own answer to it. */
		if (c->p->bulk != NULL && j->kind != J_ADDR_A &&
		    j->kind != J_ADDR_AAAA &&
		    dns_bulk_query(c->p->bulk, q, type, on_bulk, j) == 0) {
			c->inflight++;
			continue;
		}
		if (ask_resolver(c, j, q, type))
			c->inflight++;
	}
	if (c->inflight == 0 && c->qlen == 0 &&
	    c->next_result >= c->r->nresults)
		event_base_loopbreak(c->base);
}

static void
on_answer(void *arg, const struct dns_answer *ans)
{
	struct job *j = arg;
	struct check *c = j->c;

	c->inflight--;
	handle(j, ans);
	free(j);
	pump(c);
}

/* The stub client's answer. One it could not settle is asked again
 * through the resolver (TCP after TC, its own retries after SERVFAIL, the
 * same reading of REFUSED), so both paths give the same result. */
static void
on_bulk(void *arg, const struct dns_answer *ans, bool settled)
{
	struct job *j = arg;
	struct check *c = j->c;
	char q[BL_QNAME_MAX];
	uint16_t type = 0;

	if (settled) {
		on_answer(arg, ans);
		return;
	}
	c->r->queries++;
	if (!ask_resolver(c, j, job_query(c, j, q, &type) == 0 ? q : NULL,
	    type)) {
		c->inflight--;
		pump(c);
	}
}

/* A new item for t: borrowed when via is NULL (an input's own target),
 * copied otherwise. */
static int
add_item(struct check *c, int input, const struct bl_target *t,
    const char *via)
{
	struct bl_run *r = c->r;
	struct bl_item *it;
	char prefix[BL_PREFIX_MAX];

	if (r->nitems == c->cap_items) {
		c->cap_items = c->cap_items ? c->cap_items * 2 : 16;
		r->items = xrealloc(r->items, (size_t)c->cap_items *
		    sizeof(*r->items));
	}
	it = &r->items[r->nitems];
	memset(it, 0, sizeof(*it));
	it->input = input;
	it->first = r->nresults;
	it->target = t;
	if (via != NULL) {
		/* An address of a name: t is the caller's stack. */
		it->own = xmalloc(sizeof(*it->own));
		*it->own = *t;
		it->target = it->own;
		it->via = xstrdup(via);
	}
	if (bl_query_prefix(it->target, prefix) == 0)
		it->prefix = xstrdup(prefix);
	return r->nitems++;
}

/* The canary of zone zi for addresses or names, asked once per run. */
static void
want_canary(struct check *c, int zi, bool domain)
{
	const struct bl_zone *z = c->p->zones[zi];
	int *slot = domain ? &c->canary_dom[zi] : &c->canary_ip[zi];
	struct bl_run *r = c->r;
	struct bl_canary *k;
	struct bl_target pos, neg;
	const char *test = z->test, *err;
	int idx;

	if (*slot >= 0 || c->p->no_canary)
		return;
	if (r->ncanaries == c->cap_canaries) {
		c->cap_canaries = c->cap_canaries ? c->cap_canaries * 2 : 64;
		r->canaries = xrealloc(r->canaries, (size_t)c->cap_canaries *
		    sizeof(*r->canaries));
	}
	idx = r->ncanaries++;
	*slot = idx;
	k = &r->canaries[idx];
	memset(k, 0, sizeof(*k));
	k->zone = zi;
	k->domain = domain;
	k->verdict = BL_CANARY_PENDING;
	if (domain) {
		snprintf(k->pos_name, sizeof(k->pos_name), "%s",
		    test && test[0] && inet_addr(test) == INADDR_NONE ?
		    test : "test");
		snprintf(k->neg_name, sizeof(k->neg_name), "invalid");
		/* RFC 5782 5: "test" and "invalid" are names of one label,
		 * which bl_target_parse refuses for users. */
		pos.kind = neg.kind = BL_T_NAME;
		snprintf(pos.text, sizeof(pos.text), "%s", k->pos_name);
		snprintf(neg.text, sizeof(neg.text), "%s", k->neg_name);
	} else {
		bool v6 = !(z->kinds & BL_KIND_IPV4);
		const char *p4 = test && test[0] && inet_addr(test) !=
		    INADDR_NONE ? test : "127.0.0.2";

		/* RFC 5782 5: an IPv6 list's test entries are
		 * ::FFFF:7F00:2 (listed) and ::FFFF:7F00:1 (not). */
		snprintf(k->pos_name, sizeof(k->pos_name), "%s%s",
		    v6 ? "::ffff:" : "", p4);
		snprintf(k->neg_name, sizeof(k->neg_name), "%s127.0.0.1",
		    v6 ? "::ffff:" : "");
		if (bl_target_parse(k->pos_name, &pos, &err) < 0 ||
		    bl_target_parse(k->neg_name, &neg, &err) < 0)
			abort();	/* both are literals built above */
	}
	if (!(test != NULL && test[0] == '\0') &&
	    bl_query_name(&pos, z->name, k->pos_q) == 0) {
		k->pos_asked = true;
		enqueue(c, J_CANARY_POS, idx);
	}
	k->neg_ok = bl_query_name(&neg, z->name, k->neg_q) == 0;
}

/* The canary of zone zi for item's kind, or NULL. */
static struct bl_canary *
canary_of(const struct check *c, int item, int zi)
{
	const struct bl_item *it = &c->r->items[item];
	int ci = it->target->kind == BL_T_NAME ? c->canary_dom[zi] :
	    c->canary_ip[zi];

	return ci >= 0 ? &c->r->canaries[ci] : NULL;
}

/* The unlisted-entry canary of zone zi for item's kind, once: asked with
 * the zone's first listing, which it may prove false. */
static void
want_negative(struct check *c, int item, int zi)
{
	struct bl_canary *k = canary_of(c, item, zi);
	int ci;

	if (k == NULL || k->neg_asked || !k->neg_ok)
		return;
	ci = (int)(k - c->r->canaries);
	k->neg_asked = true;
	enqueue(c, J_CANARY_NEG, ci);
}

static void
queue_item(struct check *c, int item)
{
	const struct bl_target *t = c->r->items[item].target;
	unsigned want = t->kind == BL_T_IPV4 ? BL_KIND_IPV4 :
	    t->kind == BL_T_IPV6 ? BL_KIND_IPV6 : BL_KIND_DOMAIN;
	struct bl_run *r = c->r;
	char q[BL_QNAME_MAX];
	int zi;

	for (zi = 0; zi < c->p->nzones; zi++) {
		const struct bl_zone *z = c->p->zones[zi];
		struct bl_result *res;
		int ri, fi;

		if (!(z->kinds & want))
			continue;
		if (r->nresults >= c->max_results) {
			c->dropped++;
			continue;
		}
		if (r->nresults == c->cap_results) {
			c->cap_results = c->cap_results ? c->cap_results * 2 :
			    256;
			r->slots = xrealloc(r->slots,
			    (size_t)c->cap_results * sizeof(*r->slots));
		}
		ri = r->nresults++;
		r->slots[ri] = SLOT_PENDING;
		r->items[item].nres++;
		if (c->r->items[item].prefix == NULL ||
		    bl_query_join(c->r->items[item].prefix, z->name, q) < 0) {
			fi = keep(c, ri, item, zi);
			r->slots[ri] = SLOT_NOT_ASKED;
			res = &r->kept[fi];
			res->status = BL_ERROR;
			res->dns = DNS_ERROR;
			res->answer = BL_ANS_ERROR;
			res->flags = BL_RES_NOT_ASKED;
			more_of(c, fi)->reason = xstrdup("the name to look up "
			    "would be longer than 253 characters");
			continue;
		}
		want_canary(c, zi, want == BL_KIND_DOMAIN);
	}
}

static void
clean_text(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static int
answer_addrs(const struct dns_answer *ans, uint32_t *out, int max)
{
	int i, n = 0;

	for (i = 0; i < ans->nrr && n < max; i++)
		if (ans->rr[i]->type == DNS_T_A)
			out[n++] = ntohl(ans->rr[i]->u.a.s_addr);
	return n;
}

static void
handle_addresses(struct check *c, struct job *j, const struct dns_answer *ans)
{
	struct bl_input *in = &c->r->inputs[j->idx];
	char via[300], text[64];
	int i;

	if (j->kind == J_ADDR_A)
		in->a_status = ans->status;
	else
		in->aaaa_status = ans->status;
	if (ans->status != DNS_OK)
		return;
	snprintf(via, sizeof(via), "%s record of %s", j->kind == J_ADDR_A ?
	    "A" : "AAAA", in->target->text);
	/* A name with hundreds of addresses is bounded by what one answer
	 * holds; each address is one more round of every zone. */
	for (i = 0; i < ans->nrr && i < 16; i++) {
		const struct dns_rr *rr = ans->rr[i];
		struct bl_target t;
		const char *err;

		if (rr->type == DNS_T_A)
			inet_ntop(AF_INET, &rr->u.a, text, sizeof(text));
		else if (rr->type == DNS_T_AAAA)
			inet_ntop(AF_INET6, &rr->u.aaaa, text, sizeof(text));
		else
			continue;
		if (bl_target_parse(text, &t, &err) < 0)
			continue;
		in->naddrs++;
		queue_item(c, add_item(c, j->idx, &t, via));
	}
}

/* The canary's verdict from the test queries asked, once all have
 * answered (or timed out). */
static void
canary_settle(struct bl_canary *k, const char *zone)
{
	char pq[128], nq[128];
	bool neg = k->neg_asked && k->neg_done;

	if (!neg) {
		/* Never asked: reads as a clean answer, which it must be. */
		k->neg.answer = BL_ANS_CLEAN;
		k->neg.meaning[0] = '\0';
	}
	snprintf(pq, sizeof(pq), "%s", k->pos_name);
	snprintf(nq, sizeof(nq), "%s", k->neg_name);
	if (k->neg.answer == BL_ANS_LISTED) {
		k->verdict = BL_CANARY_EVERYTHING;
		snprintf(k->detail, sizeof(k->detail), "canary: %s lists %s, "
		    "which no list may list (RFC 5782): it lists everything",
		    zone, nq);
	} else if ((k->pos_asked && k->pos.answer == BL_ANS_BOGUS) ||
	    k->neg.answer == BL_ANS_BOGUS) {
		k->verdict = BL_CANARY_BROKEN;
		snprintf(k->detail, sizeof(k->detail), "canary: %s: %s", zone,
		    k->neg.answer == BL_ANS_BOGUS ? k->neg.meaning :
		    k->pos.meaning);
	} else if ((k->pos_asked && k->pos.answer == BL_ANS_ERROR) ||
	    k->neg.answer == BL_ANS_ERROR) {
		k->verdict = BL_CANARY_ERROR;
		snprintf(k->detail, sizeof(k->detail), "canary: %s did not "
		    "answer its test query (%s)", zone,
		    k->neg.answer == BL_ANS_ERROR ? k->neg.meaning :
		    k->pos.meaning);
	} else if ((k->pos_asked && k->pos.answer == BL_ANS_REFUSED) ||
	    k->neg.answer == BL_ANS_REFUSED) {
		k->verdict = BL_CANARY_REFUSED;
		snprintf(k->detail, sizeof(k->detail), "canary: %s refused "
		    "its test query: %s", zone,
		    k->neg.answer == BL_ANS_REFUSED ? k->neg.meaning :
		    k->pos.meaning);
	} else if (k->pos_asked && k->pos.answer == BL_ANS_CLEAN) {
		k->verdict = BL_CANARY_DEAD;
		snprintf(k->detail, sizeof(k->detail), "canary: %s does not "
		    "list its test entry %s (RFC 5782): the zone looks dead",
		    zone, pq);
	} else
		k->verdict = BL_CANARY_OK;
}

static void
handle(struct job *j, const struct dns_answer *ans)
{
	struct check *c = j->c;
	struct bl_run *r = c->r;
	uint32_t addr[BL_ANS_ADDRS_MAX];
	int n;

	switch (j->kind) {
	case J_ADDR_A:
	case J_ADDR_AAAA:
		handle_addresses(c, j, ans);
		break;
	case J_ZONE: {
		struct bl_result *res;
		struct bl_interp in;
		int item, zi, fi, kind = 0;
		float ms;
		double tenths;

		result_where(r, j->idx, &item, &zi);
		n = answer_addrs(ans, addr, BL_ANS_ADDRS_MAX);
		bl_interpret(c->p->zones[zi], ans->status, addr, n, &in);
		ms = (float)mtime_ms(j->start_us, mtime_mono_us());
		/* Exact: the float times 10 is a double, rounded the way
		 * "%.1f" rounds it. */
		tenths = rint((double)ms * 10.0);
		if (c->p->compact && in.answer == BL_ANS_CLEAN &&
		    in.naddr == 0 && in.meaning[0] == '\0')
			kind = ans->status == DNS_NXDOMAIN ? 1 :
			    ans->status == DNS_NODATA ? 2 :
			    ans->status == DNS_OK ? 3 : 0;
		if (kind > 0 && tenths >= 0 && tenths <= SLOT_TENTHS_MAX) {
			r->slots[j->idx] = (uint16_t)(kind << SLOT_CLEAN_SHIFT |
			    (int)tenths);
			break;
		}
		fi = keep(c, j->idx, item, zi);
		res = &r->kept[fi];
		res->answer = (uint8_t)in.answer;
		res->dns = (uint8_t)ans->status;
		res->ms = ms;
		if (in.naddr > 0 || in.meaning[0] != '\0') {
			struct bl_more *m = more_of(c, fi);

			m->naddr = in.naddr;
			memcpy(m->addr, in.addr, sizeof(in.addr));
			if (in.meaning[0] != '\0')
				m->meaning = xstrdup(in.meaning);
		}
		if (in.answer == BL_ANS_LISTED) {
			enqueue(c, J_TXT, fi);
			want_negative(c, item, zi);
		}
		break;
	}
	case J_TXT: {
		if (ans->status == DNS_OK && ans->nrr > 0 &&
		    ans->rr[0]->type == DNS_T_TXT) {
			size_t len = ans->rr[0]->u.txt.len;
			struct bl_more *m = more_of(c, j->idx);

			free(m->txt);
			m->txt = xstrndup(ans->rr[0]->u.txt.data,
			    len > TXT_KEEP ? TXT_KEEP : len);
			clean_text(m->txt);
		}
		break;
	}
	case J_CANARY_POS:
	case J_CANARY_NEG: {
		struct bl_canary *k = &r->canaries[j->idx];
		const struct bl_zone *z = c->p->zones[k->zone];

		n = answer_addrs(ans, addr, BL_ANS_ADDRS_MAX);
		if (j->kind == J_CANARY_POS) {
			bl_interpret(z, ans->status, addr, n, &k->pos);
			k->pos_done = true;
		} else {
			bl_interpret(z, ans->status, addr, n, &k->neg);
			k->neg_done = true;
		}
		break;
	}
	}
}

static void
finish_result(struct check *c, int fi)
{
	struct bl_result *res = &c->r->kept[fi];
	const struct bl_canary *k = canary_of(c, res->item, res->zone);
	struct bl_more *m;

	if (res->flags & BL_RES_NOT_ASKED)
		return;
	switch (res->answer) {
	case BL_ANS_LISTED:
		res->status = BL_LISTED;
		break;
	case BL_ANS_CLEAN:
		res->status = BL_CLEAN;
		break;
	default:
		/* Refused or bogus: unchecked; else an error. What the
		 * answer meant is the reason, and moves there. */
		res->status = res->answer == BL_ANS_REFUSED ||
		    res->answer == BL_ANS_BOGUS ? BL_UNCHECKED : BL_ERROR;
		m = more_of(c, fi);
		m->reason = m->meaning != NULL ? m->meaning :
		    xstrdup(res->status == BL_UNCHECKED ? "" :
		    dns_status_name((enum dns_status)res->dns));
		m->meaning = NULL;
		break;
	}
	if (k == NULL || k->verdict == BL_CANARY_OK ||
	    res->status == BL_UNCHECKED || res->status == BL_ERROR)
		return;
	/* The zone failed its canary: its answer cannot be trusted. */
	res->flags |= BL_RES_DISCARDED;
	res->status = k->verdict == BL_CANARY_ERROR ? BL_ERROR : BL_UNCHECKED;
	m = more_of(c, fi);
	free(m->reason);
	m->reason = xstrdup(k->detail);
}

static int
cmp_kept(const void *a, const void *b)
{
	const struct bl_result *ra = a, *rb = b;

	return (ra->index > rb->index) - (ra->index < rb->index);
}

/* The statuses, once the canaries are settled; a clean answer of a zone
 * that failed its canary is kept, discarded. Leaves kept[] in index
 * order, and every result there unless the run is compact. */
static void
finish_results(struct check *c)
{
	struct bl_run *r = c->r;
	int i, k, fi;

	for (i = 0; i < r->nitems; i++) {
		const struct bl_item *it = &r->items[i];

		for (k = 0; k < it->nres; k++) {
			int ri = it->first + k;
			int zi = r->kind_zones[it->target->kind][k];
			const struct bl_canary *can;
			unsigned s = r->slots[ri];

			if (s == SLOT_PENDING) {
				/* Never answered, which the loop rules out:
				 * an empty record, as ever. */
				(void)keep(c, ri, i, zi);
				continue;
			}
			if (s >> SLOT_CLEAN_SHIFT == 0)
				continue;
			can = canary_of(c, i, zi);
			if (can == NULL || can->verdict == BL_CANARY_OK) {
				r->count[BL_CLEAN]++;
				continue;
			}
			fi = keep(c, ri, i, zi);
			r->kept[fi].answer = BL_ANS_CLEAN;
			r->kept[fi].dns = s >> SLOT_CLEAN_SHIFT == 1 ?
			    DNS_NXDOMAIN : s >> SLOT_CLEAN_SHIFT == 2 ?
			    DNS_NODATA : DNS_OK;
			r->kept[fi].ms = (float)((s & SLOT_TENTHS_MAX) / 10.0);
		}
	}
	for (fi = 0; fi < r->nkept; fi++) {
		finish_result(c, fi);
		r->count[r->kept[fi].status]++;
	}
	if (r->nkept > 0)
		qsort(r->kept, (size_t)r->nkept, sizeof(*r->kept), cmp_kept);
	if (c->p->compact)
		return;
	if (r->nkept != r->nresults)
		abort();	/* every result is kept */
	r->results = r->kept;
	r->kept = NULL;
	r->nkept = 0;
	free(r->slots);
	r->slots = NULL;
}

static void
warn(struct bl_run *r, const char *text)
{
	r->warnings = xrealloc(r->warnings, (size_t)(r->nwarnings + 1) *
	    sizeof(*r->warnings));
	r->warnings[r->nwarnings++] = xstrdup(text);
}

/* The results the inputs themselves make are known: allocated at once, a
 * bulk run holds no doubling slack (a name's addresses, found later, grow
 * the arrays as before). */
static void
presize(struct check *c, const struct bl_target *targets, int ninputs)
{
	const struct bl_params *p = c->p;
	long nres = 0;
	int i, nk[3] = { 0, 0, 0 };

	for (i = 0; i < p->nzones; i++) {
		nk[0] += (p->zones[i]->kinds & BL_KIND_IPV4) != 0;
		nk[1] += (p->zones[i]->kinds & BL_KIND_IPV6) != 0;
		nk[2] += (p->zones[i]->kinds & BL_KIND_DOMAIN) != 0;
	}
	for (i = 0; i < ninputs; i++)
		nres += nk[targets[i].kind == BL_T_IPV4 ? 0 :
		    targets[i].kind == BL_T_IPV6 ? 1 : 2];
	if (nres > c->max_results)
		nres = c->max_results;
	c->cap_results = (int)nres + 1;
	c->r->slots = xmalloc((size_t)c->cap_results *
	    sizeof(*c->r->slots));
	c->cap_items = ninputs + 1;
	c->r->items = xmalloc((size_t)c->cap_items * sizeof(*c->r->items));
}

struct bl_run *
bl_check(struct event_base *base, const struct bl_params *p,
    const char *const *inputs, const struct bl_target *targets, int ninputs)
{
	struct bl_run *r = xcalloc(1, sizeof(*r));
	struct check c;
	bool want_ip = false, want_dom = false;
	int64_t t0 = mtime_mono_us();
	int i;

	memset(&c, 0, sizeof(c));
	c.base = base;
	c.p = p;
	c.r = r;
	c.max_inflight = p->max_inflight > 0 ? p->max_inflight :
	    DEFAULT_INFLIGHT;
	if (p->bulk != NULL && c.max_inflight > dns_bulk_window(p->bulk))
		c.max_inflight = dns_bulk_window(p->bulk);
	c.max_results = p->max_results > 0 && p->max_results < BL_RESULTS_MAX ?
	    p->max_results : BL_RESULTS_MAX;
	c.canary_ip = xmalloc((size_t)(p->nzones + 1) * sizeof(int));
	c.canary_dom = xmalloc((size_t)(p->nzones + 1) * sizeof(int));
	for (i = 0; i < p->nzones; i++) {
		c.canary_ip[i] = c.canary_dom[i] = -1;
		if (p->zones[i]->kinds & (BL_KIND_IPV4 | BL_KIND_IPV6))
			want_ip = true;
		if (p->zones[i]->kinds & BL_KIND_DOMAIN)
			want_dom = true;
	}
	for (i = 0; i < 3; i++) {
		static const unsigned want[3] = { BL_KIND_IPV4, BL_KIND_IPV6,
		    BL_KIND_DOMAIN };
		int zi, n = 0;

		r->kind_zones[i] = xmalloc((size_t)(p->nzones + 1) *
		    sizeof(uint16_t));
		for (zi = 0; zi < p->nzones; zi++)
			if (p->zones[zi]->kinds & want[i])
				r->kind_zones[i][n++] = (uint16_t)zi;
	}
	r->started_wall_us = mtime_wall_us();
	r->inputs = xcalloc((size_t)ninputs + 1, sizeof(*r->inputs));
	r->ninputs = ninputs;
	presize(&c, targets, ninputs);
	for (i = 0; i < ninputs; i++) {
		struct bl_input *in = &r->inputs[i];

		in->text = inputs[i];
		in->target = &targets[i];
		if (in->target->kind != BL_T_NAME) {
			queue_item(&c, add_item(&c, i, in->target, NULL));
			continue;
		}
		if (want_dom)
			queue_item(&c, add_item(&c, i, in->target, NULL));
		if (want_ip) {
			in->resolved = true;
			in->a_status = in->aaaa_status = DNS_NODATA;
			if (p->family != 6)
				enqueue(&c, J_ADDR_A, i);
			if (p->family != 4)
				enqueue(&c, J_ADDR_AAAA, i);
		}
	}
	pump(&c);
	if (c.inflight > 0 || c.qlen > 0 || c.next_result < r->nresults)
		event_base_dispatch(base);

	for (i = 0; i < r->ncanaries; i++)
		canary_settle(&r->canaries[i],
		    p->zones[r->canaries[i].zone]->name);
	for (i = 0; i < r->ncanaries; i++)
		/* A canary that was refused or unanswered says no more than
		 * the zone's own answers, which show the same. */
		if (r->canaries[i].verdict == BL_CANARY_DEAD ||
		    r->canaries[i].verdict == BL_CANARY_EVERYTHING ||
		    r->canaries[i].verdict == BL_CANARY_BROKEN) {
			char w[512];

			snprintf(w, sizeof(w), "%s; its answers are discarded",
			    r->canaries[i].detail);
			warn(r, w);
		}
	finish_results(&c);
	for (i = 0; i < r->ninputs; i++) {
		const struct bl_input *in = &r->inputs[i];
		char w[512];

		if (in->resolved && in->naddrs == 0) {
			snprintf(w, sizeof(w), "%s has no address (A %s, AAAA "
			    "%s): checked as a domain only", in->target->text,
			    dns_status_name(in->a_status),
			    dns_status_name(in->aaaa_status));
			warn(r, w);
		}
	}
	if (c.dropped > 0) {
		char w[256];

		snprintf(w, sizeof(w), "%d lookup%s not made: a run keeps at "
		    "most %d results", c.dropped, c.dropped == 1 ? "" : "s",
		    c.max_results);
		warn(r, w);
	}
	r->duration_ms = mtime_ms(t0, mtime_mono_us());
	free(c.queue);
	free(c.canary_ip);
	free(c.canary_dom);
	return r;
}

struct bl_run *
bl_run_free(struct bl_run *r)
{
	int i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < r->nmore; i++) {
		free(r->more[i].meaning);
		free(r->more[i].reason);
		free(r->more[i].txt);
	}
	free(r->more);
	for (i = 0; i < r->nitems; i++) {
		free(r->items[i].own);
		free(r->items[i].prefix);
		free(r->items[i].via);
	}
	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->results);
	free(r->kept);
	free(r->slots);
	for (i = 0; i < 3; i++)
		free(r->kind_zones[i]);
	free(r->items);
	free(r->canaries);
	free(r->inputs);
	free(r);
	return NULL;
}

const struct bl_result *
bl_run_result(const struct bl_run *r, int i, struct bl_result *buf)
{
	unsigned s;
	int lo, hi, item, zone;

	if (r->results != NULL)
		return &r->results[i];
	s = r->slots[i];
	if (s >> SLOT_CLEAN_SHIFT == 0) {
		lo = 0;
		hi = r->nkept - 1;
		while (lo <= hi) {
			int mid = lo + (hi - lo) / 2;

			if (r->kept[mid].index == i)
				return &r->kept[mid];
			if (r->kept[mid].index < i)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		abort();	/* a slot that is not clean is kept */
	}
	result_where(r, i, &item, &zone);
	memset(buf, 0, sizeof(*buf));
	buf->index = i;
	buf->item = item;
	buf->zone = (uint16_t)zone;
	buf->ms = (float)((s & SLOT_TENTHS_MAX) / 10.0);
	buf->status = BL_CLEAN;
	buf->answer = BL_ANS_CLEAN;
	buf->dns = s >> SLOT_CLEAN_SHIFT == 1 ? DNS_NXDOMAIN :
	    s >> SLOT_CLEAN_SHIFT == 2 ? DNS_NODATA : DNS_OK;
	return buf;
}
