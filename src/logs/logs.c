/*
 * logs.c - the aggregation of `mxdoc logs` (logs.h).
 *
 * Per line: parse, then fold. Only failures are classified, and each
 * distinct failure text is classified once (a bounded cache in front of
 * classify_text(), whose rules are regexes): a log holds millions of
 * deliveries but few distinct reasons. The cause of a failure is, in
 * order: the dialect's own knowledge of a local failure (an Exim "SMTP
 * timeout after"), the remote reply through classify_text() (so the same
 * reply gets the same cause as in `mxdoc diagnose` and `mxdoc explain`),
 * then the MTA's own words through the same classifier.
 */
#include "logs/logs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "classify/classify.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "logs/logs_int.h"

/* Messages in flight kept before the least recently seen are dropped. */
#define LOGS_INFLIGHT_MAX	(1 << 18)
#define LOGS_CCACHE_MAX		(1 << 16)
#define LOGS_MATCH_MAX		64
#define LOGS_STEPS_MAX		10000
#define LOGS_KEY_MAX_		2048	/* LOGS_KEY_MAX, below */

struct msg_dest {
	struct logs_dest	*d;
	const struct cause	*last;		/* last failure's cause */
	bool			 pending;	/* deferred, not yet done */
};

/* One allocation per message in flight, queue id included, and room for
 * its first destination: most messages have one. Most are a block of the
 * pool, with the Message-ID after the queue id: a log of millions of
 * messages makes and drops one every few lines, and malloc() and free()
 * of a heap that large cost more than the rest of the fold. */
struct msg {
	char		*msgid;
	uint64_t	 touched;	/* line counter of the last use */
	struct msg_dest	*md;		/* &md1, or an array */
	const struct cause *last;
	struct msg_dest	 md1;
	int		 nmd, capmd;
	uint32_t	 qidlen;
	bool		 pooled;	/* a block of MSG_BLOCK bytes */
	bool		 msgid_in;	/* msgid is in the block */
	char		 qid[];
};

#define MSG_BLOCK	128
#define MSG_SLAB	(2 << 20)

/* Blocks for struct msg: carved from slabs, kept on a free list once
 * dropped (LIFO: the next message gets a block still in the cache). The
 * slabs live as long as the struct logs; their number is that of the
 * most messages in flight at once, which LOGS_INFLIGHT_MAX bounds. */
struct msg_pool {
	void		*free;		/* a list through each block's start */
	char		*cur;		/* the slab being carved */
	size_t		 used;
	char		**slabs;
	size_t		 nslabs, capslabs;
};

struct cause_acc {
	struct logs_cause_stat	 s;
	struct htab		 idx;		/* text -> reply index + 1 */
	size_t			 cap;
};

struct ccache_ent {
	char			*text;
	size_t			 n;
	const struct cause	*cause;
};

struct logs {
	struct logs_params	 p;
	struct logs_result	 r;
	struct logtime		 t;
	bool			 t_started;
	const char		*file;		/* current file name */
	uint64_t		 lineno;	/* in the current file */
	uint64_t		 counter;	/* over all files */
	uint64_t		 last_sweep;
	struct htab		 msgs;
	struct msg_pool		 pool;
	const char		*qh_p;		/* a queue id hashed ahead */
	size_t			 qh_n;
	uint64_t		 qh;
	struct htab		 dests;
	size_t			 capdests;
	struct htab		 ccache;
	const struct cause	*all;
	size_t			 nall;
	struct cause_acc	*causes;	/* nall entries */
	size_t			 capunparsed, capfiles, capsteps;
	struct exch_fields	 exf;		/* Exchange columns, this file */
	/* The key of the last text grouped, by its place in the line: the
	 * classifier's cache and the reply groups key the same text. */
	const char		*memo_p;
	size_t			 memo_n, memo_kn;
	uint64_t		 memo_h;
	uint64_t		 memo_line;
	const char		*memo_kp;	/* memo_k, or a parser thread's */
	char			 memo_k[LOGS_KEY_MAX_];
	struct htab		 scope_rcpts, scope_qids;
	size_t			 series_buckets;	/* of all series */
	char			*match[LOGS_MATCH_MAX];	/* --message qids */
	int			 nmatch;
	bool			 finished;
};

/* A copy of exactly v.n bytes (NULs included: it may be a hash key whose
 * length is v.n), NUL-terminated. */
static char *
svdup(struct sv v)
{
	char *p = xmalloc(v.n + 1);

	if (v.n > 0)
		memcpy(p, v.p, v.n);
	p[v.n] = '\0';
	return p;
}

struct logs *
logs_new(const struct logs_params *p)
{
	struct logs *l = xcalloc(1, sizeof(*l));

	l->p = *p;
	l->all = cause_all(&l->nall);
	l->causes = xcalloc(l->nall, sizeof(*l->causes));
	l->memo_kp = l->memo_k;
	logtime_init(&l->t, 0, p->zone, p->off_s);
	return l;
}

static struct msg *
msg_alloc(struct msg_pool *pl, size_t qidlen)
{
	struct msg *m;

	if (sizeof(*m) + qidlen + 1 > MSG_BLOCK) {
		m = xcalloc(1, sizeof(*m) + qidlen + 1);
		return m;
	}
	if (pl->free != NULL) {
		m = pl->free;
		memcpy(&pl->free, m, sizeof(pl->free));
		/* after a sweep the list is in the table's order, not the
		 * memory's: the next block is fetched ahead */
		if (pl->free != NULL)
			__builtin_prefetch(pl->free, 1);
	} else {
		if (pl->cur == NULL || pl->used + MSG_BLOCK > MSG_SLAB) {
			if (pl->nslabs == pl->capslabs) {
				pl->capslabs = pl->capslabs ? pl->capslabs * 2 :
				    16;
				pl->slabs = xrealloc(pl->slabs,
				    sizeof(*pl->slabs) * pl->capslabs);
			}
			pl->cur = pl->slabs[pl->nslabs++] =
			    ht_alloc_huge(MSG_SLAB);
			pl->used = 0;
		}
		m = (struct msg *)(void *)(pl->cur + pl->used);
		pl->used += MSG_BLOCK;
	}
	memset(m, 0, sizeof(*m));
	m->pooled = true;
	return m;
}

static void
msg_free(struct msg_pool *pl, struct msg *m)
{
	if (!m->msgid_in)
		free(m->msgid);
	if (m->md != &m->md1)
		free(m->md);
	if (!m->pooled) {
		free(m);
		return;
	}
	memcpy(m, &pl->free, sizeof(pl->free));
	pl->free = m;
}

static void
pool_release(struct msg_pool *pl)
{
	size_t i;

	for (i = 0; i < pl->nslabs; i++)
		free(pl->slabs[i]);
	free(pl->slabs);
	memset(pl, 0, sizeof(*pl));
}

/* The Message-ID of m, in its block when it fits. */
static void
msg_set_id(struct msg *m, struct sv id)
{
	size_t n = id.n > 998 ? 998 : id.n;
	size_t at = offsetof(struct msg, qid) + m->qidlen + 1;

	if (m->pooled && at + n + 1 <= MSG_BLOCK) {
		m->msgid = (char *)m + at;
		memcpy(m->msgid, id.p, n);
		m->msgid[n] = '\0';
		m->msgid_in = true;
	} else
		m->msgid = xstrndup(id.p, n);
}

static void
sample_free(struct logs_sample *s)
{
	free(s->qid);
	free(s->msgid);
}

static void
set_release(struct htab *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		if (t->e[i].h != 0)
			free(t->e[i].v);
	ht_release(t);
}

/* Adds v (lower case) to a set; true when it was new. */
static bool
set_add(struct htab *t, struct sv v, bool *capped)
{
	char low[512], *k;
	size_t i, n = v.n < sizeof(low) ? v.n : sizeof(low);
	uint64_t h;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)v.p[i]);
	h = ht_hash(low, n);
	if (ht_find(t, low, n, h) != NULL)
		return false;
	if (t->n >= LOGS_SCOPE_SET_MAX) {
		*capped = true;
		return false;
	}
	k = xmalloc(n + 1);
	memcpy(k, low, n);
	k[n] = '\0';
	ht_insert(t, k, n, h, k);
	return true;
}

bool
logs_in_scope(const char *scope, const char *d, size_t n)
{
	size_t sn = strlen(scope);

	while (n > 0 && d[n - 1] == '.')
		n--;
	if (sn == 0 || n < sn || strncasecmp(d + n - sn, scope, sn) != 0)
		return false;
	return n == sn || d[n - sn - 1] == '.';
}

struct logs *
logs_free(struct logs *l)
{
	size_t i, k;
	int j;

	if (l == NULL)
		return NULL;
	for (i = 0; i < l->msgs.cap; i++)
		if (l->msgs.e[i].h != 0)
			msg_free(&l->pool, l->msgs.e[i].v);
	ht_release(&l->msgs);
	pool_release(&l->pool);
	for (i = 0; i < l->ccache.cap; i++)
		if (l->ccache.e[i].h != 0) {
			struct ccache_ent *c = l->ccache.e[i].v;

			free(c->text);
			free(c);
		}
	ht_release(&l->ccache);
	for (i = 0; i < l->r.ndests; i++) {
		struct logs_dest *d = l->r.dests[i];

		free(d->domain);
		free(d->causes);
		free(d->rate.v);
		free(d->throttle.reply);
		for (k = 0; k < d->nrelays; k++) {
			free(d->relays[k].host);
			free(d->relays[k].ip);
		}
		free(d->relays);
		for (j = 0; j < d->nsamples; j++)
			sample_free(&d->samples[j]);
		free(d);
	}
	free(l->r.dests);
	ht_release(&l->dests);
	for (i = 0; i < l->nall; i++) {
		struct cause_acc *c = &l->causes[i];

		for (k = 0; k < c->s.nreplies; k++) {
			free(c->s.replies[k].text);
			free(c->s.replies[k].key);
			for (j = 0; j < c->s.replies[k].nsamples; j++) {
				free(c->s.replies[k].qid[j]);
				free(c->s.replies[k].msgid[j]);
			}
		}
		free(c->s.replies);
		free(c->s.deferrals.v);
		ht_release(&c->idx);
	}
	free(l->causes);
	free(l->r.causes);
	for (i = 0; i < l->r.nunparsed_lines; i++)
		free(l->r.unparsed_lines[i].file);
	free(l->r.unparsed_lines);
	for (i = 0; i < l->r.nfiles; i++)
		free(l->r.files[i].name);
	free(l->r.files);
	for (i = 0; i < l->r.nsteps; i++) {
		struct logs_step *s = &l->r.steps[i];

		free(s->file);
		free(s->qid);
		free(s->rcpt);
		free(s->relay);
		free(s->text);
	}
	free(l->r.steps);
	for (j = 0; j < l->nmatch; j++)
		free(l->match[j]);
	set_release(&l->scope_rcpts);
	set_release(&l->scope_qids);
	free(l);
	return NULL;
}

bool
logs_cause_matches(const struct cause *c, const char *sel)
{
	size_t n;

	if (sel == NULL)
		return true;
	if (c == NULL)
		return false;
	if (strcasecmp(c->id, sel) == 0)
		return true;
	n = strlen(sel);
	/* "net" or "net." selects net.*; a category name ("tls", "dns",
	 * "reputation") selects the causes written for it. */
	if (strncasecmp(c->id, sel, n) == 0 && (c->id[n] == '.' ||
	    (n > 0 && sel[n - 1] == '.')))
		return true;
	return strcasecmp(cause_category_name(c->category), sel) == 0;
}

uint64_t
logs_dest_failures(const struct logs_dest *d)
{
	return d->st[LOG_ST_DEFERRED] + d->st[LOG_ST_BOUNCED] +
	    d->st[LOG_ST_EXPIRED];
}

/* ---- messages in flight ----------------------------------------------- */

static void
sweep(struct logs *l)
{
	size_t i = 0;
	uint64_t before = l->last_sweep;

	/* Drop what was not touched since the last sweep: an entry that old
	 * belongs to a message whose end was not logged (a rotated-away
	 * "removed", Sendmail, which never says it). */
	while (i < l->msgs.cap) {
		struct hent *e = &l->msgs.e[i];

		if (i + 8 < l->msgs.cap && e[8].h != 0)
			__builtin_prefetch(e[8].v);

		if (e->h != 0 && ((struct msg *)e->v)->touched <= before) {
			msg_free(&l->pool, e->v);
			ht_remove(&l->msgs, e);
			continue;	/* the shift may have filled slot i */
		}
		i++;
	}
	l->last_sweep = l->counter;
}

/* The hash of a queue id: a parser thread's when it is that of the
 * event being folded. */
static uint64_t
qid_hash(const struct logs *l, struct sv qid)
{
	if (qid.n > 0 && qid.p == l->qh_p && qid.n == l->qh_n)
		return l->qh;
	return ht_hash(qid.p, qid.n);
}

static struct msg *
msg_get(struct logs *l, struct sv qid, bool create)
{
	uint64_t h = qid_hash(l, qid);
	struct hent *e = ht_find(&l->msgs, qid.p, qid.n, h);
	struct msg *m;

	if (e != NULL) {
		m = e->v;
		m->touched = l->counter;
		return m;
	}
	if (!create || qid.n == 0)
		return NULL;
	if (l->msgs.n >= LOGS_INFLIGHT_MAX)
		sweep(l);
	m = msg_alloc(&l->pool, qid.n);
	memcpy(m->qid, qid.p, qid.n);
	m->qid[qid.n] = '\0';
	m->qidlen = (uint32_t)qid.n;
	m->md = &m->md1;
	m->capmd = 1;
	m->touched = l->counter;
	ht_insert(&l->msgs, m->qid, m->qidlen, h, m);
	l->r.messages++;
	return m;
}

static void
msg_drop(struct logs *l, struct sv qid)
{
	struct hent *e = ht_find(&l->msgs, qid.p, qid.n, qid_hash(l, qid));

	if (e != NULL) {
		msg_free(&l->pool, e->v);
		ht_remove(&l->msgs, e);
	}
}

static struct msg_dest *
msg_dest(struct msg *m, struct logs_dest *d, bool *fresh)
{
	int i;

	*fresh = false;
	for (i = 0; i < m->nmd; i++)
		if (m->md[i].d == d)
			return &m->md[i];
	if (m->nmd == m->capmd) {
		m->capmd *= 2;
		if (m->md == &m->md1) {
			m->md = xcalloc((size_t)m->capmd, sizeof(*m->md));
			m->md[0] = m->md1;
		} else
			m->md = xrealloc(m->md, sizeof(*m->md) *
			    (size_t)m->capmd);
	}
	memset(&m->md[m->nmd], 0, sizeof(m->md[0]));
	m->md[m->nmd].d = d;
	*fresh = true;
	return &m->md[m->nmd++];
}

/* ---- time series ------------------------------------------------------ */

static int64_t
floor_to(int64_t v, int64_t w)
{
	int64_t q = v / w;

	if (v % w != 0 && v < 0)
		q--;
	return q * w;
}

/* Merges the buckets pairwise: the width doubles. */
static void
series_widen(struct logs_series *s)
{
	int64_t w = s->width, nw = w * 2, ns = floor_to(s->start, nw);
	uint32_t i, last = 0;

	for (i = 0; i < s->n; i++) {
		uint32_t j = (uint32_t)((s->start + (int64_t)i * w - ns) / nw);
		uint32_t x = s->v[i];

		s->v[i] = 0;
		s->v[j] += x;
		last = j;
	}
	s->n = s->n ? last + 1 : 0;
	s->start = ns;
	s->width = (uint32_t)nw;
}

static void
series_add(struct logs *l, struct logs_series *s, int64_t us)
{
	int64_t m, lo, hi, need;

	if (us <= 0)
		return;
	m = us / 60000000;
	if (s->width == 0) {
		s->width = 1;
		s->start = m;
	}
	for (;;) {
		lo = s->n ? (s->start < m ? s->start : m) : m;
		hi = s->n ? s->start + (int64_t)s->n * s->width : m + 1;
		if (m + 1 > hi)
			hi = m + 1;
		lo = floor_to(lo, s->width);
		need = (hi - lo + s->width - 1) / s->width;
		if (need > LOGS_SERIES_MAX) {
			series_widen(s);
			continue;
		}
		if ((uint32_t)need > s->cap) {
			uint32_t nc = s->cap ? s->cap : 8;

			while (nc < (uint32_t)need)
				nc *= 2;
			if (nc > LOGS_SERIES_MAX)
				nc = LOGS_SERIES_MAX;
			if (l->series_buckets + (nc - s->cap) >
			    LOGS_SERIES_BUDGET && s->cap > 0) {
				/* out of budget: coarser, not larger */
				series_widen(s);
				continue;
			}
			l->series_buckets += nc - s->cap;
			s->v = xrealloc(s->v, sizeof(*s->v) * nc);
			memset(s->v + s->cap, 0, sizeof(*s->v) * (nc - s->cap));
			s->cap = nc;
		}
		break;
	}
	if (s->n == 0)
		s->start = lo;
	else if (lo < s->start) {
		uint32_t sh = (uint32_t)((s->start - lo) / s->width);

		memmove(s->v + sh, s->v, sizeof(*s->v) * s->n);
		memset(s->v, 0, sizeof(*s->v) * sh);
		s->n += sh;
		s->start = lo;
	}
	if ((uint32_t)need > s->n)
		s->n = (uint32_t)need;
	s->v[(m - s->start) / s->width]++;
}

double
logs_series_sum(const struct logs_series *s, int64_t from, int64_t to)
{
	double sum = 0;
	uint32_t i;

	for (i = 0; i < s->n; i++) {
		int64_t b0 = s->start + (int64_t)i * s->width,
		    b1 = b0 + s->width, a = b0 > from ? b0 : from,
		    z = b1 < to ? b1 : to;

		if (z > a && s->v[i] > 0)
			sum += (double)s->v[i] * (double)(z - a) /
			    (double)s->width;
	}
	return sum;
}

double
logs_series_peak(const struct logs_series *s, int64_t *at)
{
	uint32_t i, best = 0;

	*at = 0;
	for (i = 0; i < s->n; i++)
		if (s->v[i] > best) {
			best = s->v[i];
			*at = s->start + (int64_t)i * s->width;
		}
	return s->width ? (double)best / (double)s->width : 0;
}

/* One attempt at d: its series, and the ring of its last minutes. */
static void
dest_attempt(struct logs *l, struct logs_dest *d, int64_t us)
{
	int64_t m = us / 60000000;

	if (us <= 0)
		return;
	series_add(l, &d->rate, us);
	if (m > d->ring_min) {
		int64_t k;

		for (k = d->ring_min + 1; k <= m && k - d->ring_min <=
		    LOGS_RATE_WINDOW + 1; k++)
			d->ring[k % (LOGS_RATE_WINDOW + 1)] = 0;
		d->ring_min = m;
	}
	if (m > d->ring_min - (LOGS_RATE_WINDOW + 1))
		d->ring[m % (LOGS_RATE_WINDOW + 1)]++;
}

/* The first throttling reply of d: what was sent before it. */
static void
dest_throttled(struct logs_dest *d, const struct log_event *ev,
    const struct cause *c)
{
	struct logs_throttle *t = &d->throttle;
	int64_t m = ev->time_us / 60000000, k;
	struct sv txt = sv_trim(ev->reply.n > 0 ? ev->reply : ev->text);

	if (t->first_us != 0 || ev->time_us <= 0)
		return;
	t->first_us = ev->time_us;
	t->cause = c;
	t->reply = xstrndup(txt.p, txt.n > LOGS_REPLY_TEXT_MAX ?
	    LOGS_REPLY_TEXT_MAX : txt.n);
	for (k = m - LOGS_RATE_WINDOW; k <= m; k++) {
		uint32_t x;

		if (k > d->ring_min || k <= d->ring_min -
		    (LOGS_RATE_WINDOW + 1))
			continue;
		x = d->ring[k % (LOGS_RATE_WINDOW + 1)];
		t->attempts += x;
		if (x > t->peak)
			t->peak = x;
	}
}

/* ---- destinations ----------------------------------------------------- */

static struct logs_dest *
dest_get(struct logs *l, struct sv dom)
{
	char low[256];
	size_t i, n = dom.n < sizeof(low) ? dom.n : sizeof(low) - 1;
	uint64_t h;
	struct hent *e;
	struct logs_dest *d;

	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)dom.p[i]);
	if (n == 0) {
		memcpy(low, "(none)", 6);
		n = 6;
	}
	h = ht_hash(low, n);
	if ((e = ht_find(&l->dests, low, n, h)) != NULL)
		return e->v;
	d = xcalloc(1, sizeof(*d));
	d->domain = svdup(sv_make(low, n));
	ht_insert(&l->dests, d->domain, n, h, d);
	if (l->r.ndests == l->capdests) {
		l->capdests = l->capdests ? l->capdests * 2 : 64;
		l->r.dests = xrealloc(l->r.dests, sizeof(*l->r.dests) *
		    l->capdests);
	}
	l->r.dests[l->r.ndests++] = d;
	return d;
}

static void
dest_relay(struct logs_dest *d, const struct log_event *ev, bool fail)
{
	size_t i;

	if (ev->relay_host.n == 0 && ev->relay_ip.n == 0)
		return;
	if (ev->relay_ip.n == 0 && sv_eq_ci(ev->relay_host, "none"))
		return;
	for (i = 0; i < d->nrelays; i++) {
		struct logs_relay *r = &d->relays[i];

		if (r->iplen == ev->relay_ip.n && r->hostlen ==
		    ev->relay_host.n && (ev->relay_ip.n == 0 || memcmp(r->ip,
		    ev->relay_ip.p, ev->relay_ip.n) == 0) &&
		    (ev->relay_host.n == 0 || strncasecmp(r->host,
		    ev->relay_host.p, ev->relay_host.n) == 0)) {
			r->events++;
			r->failures += fail;
			return;
		}
	}
	if (d->nrelays >= LOGS_RELAYS_MAX) {
		d->relays_other++;
		return;
	}
	d->relays = xrealloc(d->relays, sizeof(*d->relays) * (d->nrelays + 1));
	d->relays[d->nrelays].host = svdup(ev->relay_host);
	d->relays[d->nrelays].ip = svdup(ev->relay_ip);
	d->relays[d->nrelays].hostlen = ev->relay_host.n;
	d->relays[d->nrelays].iplen = ev->relay_ip.n;
	d->relays[d->nrelays].events = 1;
	d->relays[d->nrelays].failures = fail;
	d->nrelays++;
}

static void
dest_sample(struct logs_dest *d, const struct log_event *ev,
    const struct msg *m, const struct cause *c)
{
	struct logs_sample *s = NULL;
	int i;

	if (ev->qid.n == 0)
		return;
	for (i = 0; i < d->nsamples; i++)
		if (strlen(d->samples[i].qid) == ev->qid.n &&
		    memcmp(d->samples[i].qid, ev->qid.p, ev->qid.n) == 0)
			return;
	if (d->nsamples < LOGS_SAMPLES)
		s = &d->samples[d->nsamples++];
	else if (c != NULL) {
		/* Failures are what the samples are for: one replaces the
		 * first delivery kept. */
		for (i = 0; i < d->nsamples && s == NULL; i++)
			if (d->samples[i].cause == NULL)
				s = &d->samples[i];
		if (s == NULL)
			return;
		sample_free(s);
	} else
		return;
	s->qid = svdup(ev->qid);
	s->msgid = m != NULL && m->msgid != NULL ? xstrdup(m->msgid) : NULL;
	s->status = ev->status;
	s->cause = c;
	s->time_us = ev->time_us;
}

static void
add_delays(struct logs_delays *dl, const struct log_event *ev)
{
	int i;

	if (ev->have_delays) {
		dl->n++;
		for (i = 0; i < 4; i++) {
			dl->sum[i] += ev->delays[i];
			if (ev->delays[i] > dl->max[i])
				dl->max[i] = ev->delays[i];
		}
	}
	if (ev->delay >= 0) {
		dl->ndelay++;
		dl->delay_sum += ev->delay;
		if (ev->delay > dl->delay_max)
			dl->delay_max = ev->delay;
	}
}

/* ---- causes ----------------------------------------------------------- */

#define LOGS_KEY_MAX	2048

static bool
ip_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F') || c == '.' || c == ':';
}

/* The text with what differs between otherwise equal failures masked: an
 * address in <> becomes "<@>", an address literal in [] becomes "[]".
 * Two texts with one key get one cause (the classifier's rules look at
 * the server's words, not at whom it wrote about) and one row among the
 * top replies, shown with the first text seen. */
static size_t
norm_key(struct sv t, char *out)
{
	size_t i = 0, k = 0, j, lt = 0, br = 0;

	while (i < t.n && k + 4 < LOGS_KEY_MAX) {
		char c = t.p[i];

		if (c != '<' && c != '[') {
			/* The run up to the next '<' or '[' is copied as is:
			 * two memchr()s, each redone once it is passed. */
			const char *q;
			size_t r;

			if (lt <= i) {
				q = memchr(t.p + i, '<', t.n - i);
				lt = q != NULL ? (size_t)(q - t.p) : t.n;
			}
			if (br <= i) {
				q = memchr(t.p + i, '[', t.n - i);
				br = q != NULL ? (size_t)(q - t.p) : t.n;
			}
			r = (lt < br ? lt : br) - i;
			if (r > LOGS_KEY_MAX - 4 - k)
				r = LOGS_KEY_MAX - 4 - k;
			memcpy(out + k, t.p + i, r);
			k += r;
			i += r;
			continue;
		}
		if (c == '<') {
			for (j = i + 1; j < t.n && j < i + 322 && t.p[j] != '>' &&
			    t.p[j] != '<' && t.p[j] != ' '; j++)
				;
			if (j < t.n && t.p[j] == '>' && memchr(t.p + i, '@',
			    j - i) != NULL) {
				memcpy(out + k, "<@>", 3);
				k += 3;
				i = j + 1;
				continue;
			}
		} else if (c == '[') {
			bool dot = false, name = true;

			for (j = i + 1; j < t.n && j < i + 48 && ip_char(t.p[j]);
			    j++)
				;
			if (j < t.n && j > i + 1 && t.p[j] != ']') {
				/* "[BN8NAM11FT066.eop-nam11.prod.protection.
				 * outlook.com]": the answering host's name,
				 * as Microsoft and others quote it */
				for (j = i + 1; j < t.n && j < i + 100 &&
				    t.p[j] != ']'; j++) {
					dot |= t.p[j] == '.';
					name &= isalnum((unsigned char)t.p[j]) ||
					    t.p[j] == '.' || t.p[j] == '-';
				}
				if (j < t.n && t.p[j] == ']' && dot && name) {
					memcpy(out + k, "[]", 2);
					k += 2;
					i = j + 1;
					continue;
				}
				j = i;
			}
			if (j < t.n && j > i + 1 && t.p[j] == ']') {
				/* Postfix's "host[ip]": the host goes too */
				while (k > 0 && (isalnum((unsigned char)out[k - 1]) ||
				    out[k - 1] == '.' || out[k - 1] == '-'))
					k--;
				memcpy(out + k, "[]", 2);
				k += 2;
				i = j + 1;
				continue;
			}
		}
		out[k++] = c;
		i++;
	}
	return k;
}

/* The grouping key of t and its hash, computed once per text of a line. */
static struct sv
text_key(struct logs *l, struct sv t, uint64_t *h)
{
	if (l->memo_p != t.p || l->memo_n != t.n || l->memo_line !=
	    l->counter) {
		l->memo_p = t.p;
		l->memo_n = t.n;
		l->memo_line = l->counter;
		l->memo_kn = norm_key(t, l->memo_k);
		l->memo_h = ht_hash(l->memo_k, l->memo_kn);
		l->memo_kp = l->memo_k;
	}
	*h = l->memo_h;
	return sv_make(l->memo_kp, l->memo_kn);
}

static const struct cause *
classify_cached(struct logs *l, struct sv text)
{
	uint64_t h;
	struct sv key = text_key(l, text, &h);
	struct hent *e = ht_find(&l->ccache, key.p, key.n, h);
	struct classify_result cr;
	struct ccache_ent *c;
	size_t i;

	if (e != NULL)
		return ((struct ccache_ent *)e->v)->cause;
	classify_text(text.p, text.n, &cr);
	if (l->ccache.n >= LOGS_CCACHE_MAX) {
		for (i = 0; i < l->ccache.cap; i++)
			if (l->ccache.e[i].h != 0) {
				c = l->ccache.e[i].v;
				free(c->text);
				free(c);
			}
		ht_release(&l->ccache);
	}
	c = xcalloc(1, sizeof(*c));
	c->text = svdup(key);
	c->n = key.n;
	c->cause = cr.cause;
	ht_insert(&l->ccache, c->text, c->n, h, c);
	return c->cause;
}

/* Exim quotes a multi-line reply with a literal "\n" between lines. */
static const struct cause *
classify_event(struct logs *l, const struct log_event *ev, struct sv text)
{
	const char *bs = text.n ? memchr(text.p, '\\', text.n) : NULL;

	if (bs != NULL && ev->dialect == LOG_D_EXIM) {
		char buf[LOGS_REPLY_TEXT_MAX * 4];
		size_t i, k = 0;

		for (i = 0; i < text.n && k < sizeof(buf); i++) {
			if (text.p[i] == '\\' && i + 1 < text.n &&
			    text.p[i + 1] == 'n') {
				buf[k++] = '\n';
				i++;
			} else
				buf[k++] = text.p[i];
		}
		return classify_cached(l, sv_make(buf, k));
	}
	return classify_cached(l, text);
}

static const struct cause *
event_cause(struct logs *l, const struct log_event *ev, struct msg *m,
    struct msg_dest *md)
{
	const struct cause *c = NULL;

	if (ev->retry_skip || (ev->status == LOG_ST_EXPIRED &&
	    ev->reply.n == 0 && ev->cause_hint == NULL)) {
		/* No attempt was made: the reason is the last one seen. */
		if (md != NULL && md->last != NULL)
			return md->last;
		if (m != NULL && m->last != NULL)
			return m->last;
		return cause_must("smtp.temporary");
	}
	if (ev->cause_hint != NULL)
		c = cause_get(ev->cause_hint);
	if (c == NULL && ev->reply.n > 0)
		c = classify_event(l, ev, ev->reply);
	if ((c == NULL || strcmp(c->id, "ok") == 0) && ev->text.n > 0)
		c = classify_event(l, ev, ev->text);
	if (ev->reply.n == 0 && ev->dsn.n >= 5 && ev->dsn.n < 16 &&
	    (c == NULL || strcmp(c->id, "ok") == 0 ||
	    strcmp(c->id, "smtp.temporary") == 0 ||
	    strcmp(c->id, "smtp.permanent") == 0)) {
		/* No reply and no rule on the MTA's words ("stat=Service
		 * unavailable"): the DSN code it logged is the next best. */
		char buf[LOGS_REPLY_TEXT_MAX + 24];
		int k = snprintf(buf, sizeof(buf), "%.*s %.*s", (int)ev->dsn.n,
		    ev->dsn.p, (int)(ev->text.n > LOGS_REPLY_TEXT_MAX ?
		    LOGS_REPLY_TEXT_MAX : ev->text.n), ev->text.p);

		if (k > 0)
			c = classify_cached(l, sv_make(buf, (size_t)k <
			    sizeof(buf) ? (size_t)k : sizeof(buf) - 1));
	}
	if (c == NULL || strcmp(c->id, "ok") == 0)
		c = cause_must(ev->status == LOG_ST_BOUNCED ? "smtp.permanent" :
		    "smtp.temporary");
	/* A bounce is final whatever the words say. */
	if (ev->status == LOG_ST_BOUNCED && strcmp(c->id, "smtp.temporary") == 0)
		c = cause_must("smtp.permanent");
	return c;
}

/* The text a failure is grouped by: its reply, or the MTA's words. */
static struct sv
reply_text(const struct log_event *ev)
{
	struct sv t = sv_trim(ev->reply.n > 0 ? ev->reply : ev->text);

	if (t.n > LOGS_REPLY_TEXT_MAX)
		t.n = LOGS_REPLY_TEXT_MAX;
	return t;
}

static void
cause_reply(struct logs *l, struct cause_acc *ca, const struct log_event *ev,
    const struct msg *m)
{
	struct sv t = reply_text(ev);
	struct logs_reply *r;
	struct hent *e;
	uint64_t h;
	struct sv key;

	key = text_key(l, t, &h);
	e = ht_find(&ca->idx, key.p, key.n, h);
	if (e != NULL)
		r = &ca->s.replies[(size_t)(uintptr_t)e->v - 1];
	else {
		if (ca->s.nreplies >= LOGS_REPLIES_MAX) {
			ca->s.other_replies++;
			return;
		}
		if (ca->s.nreplies == ca->cap) {
			ca->cap = ca->cap ? ca->cap * 2 : 8;
			/* the keys point into the texts, which do not move
			 * with the array */
			ca->s.replies = xrealloc(ca->s.replies,
			    sizeof(*ca->s.replies) * ca->cap);
		}
		r = &ca->s.replies[ca->s.nreplies++];
		memset(r, 0, sizeof(*r));
		r->text = svdup(t);
		r->key = svdup(key);
		ht_insert(&ca->idx, r->key, key.n, h,
		    (void *)(uintptr_t)ca->s.nreplies);
	}
	r->count++;
	if (r->nsamples < LOGS_REPLY_SAMPLES && ev->qid.n > 0) {
		int i;

		for (i = 0; i < r->nsamples; i++)
			if (strlen(r->qid[i]) == ev->qid.n &&
			    memcmp(r->qid[i], ev->qid.p, ev->qid.n) == 0)
				return;
		r->qid[r->nsamples] = svdup(ev->qid);
		r->msgid[r->nsamples] = m != NULL && m->msgid != NULL ?
		    xstrdup(m->msgid) : NULL;
		r->nsamples++;
	}
	(void)l;
}

/* ---- --message -------------------------------------------------------- */

static bool
id_eq(const char *want, struct sv id)
{
	size_t n = strlen(want);

	if (id.n >= 2 && id.p[0] == '<' && id.p[id.n - 1] == '>' &&
	    !(n >= 2 && want[0] == '<')) {
		id.p++;
		id.n -= 2;
	}
	return n > 0 && n == id.n && memcmp(want, id.p, n) == 0;
}

static bool
matched(struct logs *l, struct sv qid)
{
	int i;

	for (i = 0; i < l->nmatch; i++)
		if (strlen(l->match[i]) == qid.n &&
		    memcmp(l->match[i], qid.p, qid.n) == 0)
			return true;
	return false;
}

static void
add_match(struct logs *l, struct sv qid)
{
	if (qid.n == 0 || matched(l, qid) || l->nmatch >= LOGS_MATCH_MAX)
		return;
	l->match[l->nmatch++] = svdup(qid);
	l->r.message_found = true;
}

static void
step(struct logs *l, const struct log_event *ev, struct sv rcpt,
    const struct cause *c)
{
	struct logs_step *s;
	char relay[300];

	if (l->r.nsteps >= LOGS_STEPS_MAX)
		return;
	if (l->r.nsteps == l->capsteps) {
		l->capsteps = l->capsteps ? l->capsteps * 2 : 16;
		l->r.steps = xrealloc(l->r.steps, sizeof(*l->r.steps) *
		    l->capsteps);
	}
	s = &l->r.steps[l->r.nsteps++];
	memset(s, 0, sizeof(*s));
	s->time_us = ev->time_us;
	s->file = xstrdup(l->file != NULL ? l->file : "-");
	s->line = l->lineno;
	s->kind = ev->kind;
	s->status = ev->status;
	s->qid = svdup(ev->qid);
	s->rcpt = rcpt.n ? svdup(rcpt) : NULL;
	if (ev->relay_host.n || ev->relay_ip.n) {
		snprintf(relay, sizeof(relay), ev->relay_ip.n ? "%.*s[%.*s]" :
		    "%.*s", (int)(ev->relay_host.n > 200 ? 200 : ev->relay_host.n),
		    ev->relay_host.p, (int)(ev->relay_ip.n > 64 ? 64 :
		    ev->relay_ip.n), ev->relay_ip.p);
		s->relay = xstrdup(relay);
	}
	if (ev->kind == LOG_EV_MSGID)
		s->text = svdup(ev->msgid);
	else if (ev->kind == LOG_EV_ARRIVAL)
		s->text = xasprintf("from=%.*s size=%lld", (int)(ev->from.n > 300 ?
		    300 : ev->from.n), ev->from.p, (long long)ev->size);
	else if (ev->text.n)
		s->text = xstrndup(ev->text.p, ev->text.n > LOGS_REPLY_TEXT_MAX ?
		    LOGS_REPLY_TEXT_MAX : ev->text.n);
	s->cause = c;
}

/* ---- one event -------------------------------------------------------- */

static void
unparsed(struct logs *l, const char *reason)
{
	struct logs_unparsed *u;

	l->r.unparsed++;
	if (l->r.nunparsed_lines >= LOGS_UNPARSED_KEPT)
		return;
	if (l->r.nunparsed_lines == l->capunparsed) {
		l->capunparsed = l->capunparsed ? l->capunparsed * 2 : 16;
		l->r.unparsed_lines = xrealloc(l->r.unparsed_lines,
		    sizeof(*l->r.unparsed_lines) * l->capunparsed);
	}
	u = &l->r.unparsed_lines[l->r.nunparsed_lines++];
	u->file = xstrdup(l->file != NULL ? l->file : "-");
	u->line = l->lineno;
	u->reason = reason;
}

static bool
in_time(const struct logs *l, int64_t us)
{
	if (us == 0)
		return l->p.since_us == 0 && l->p.until_us == 0;
	return (l->p.since_us == 0 || us >= l->p.since_us) &&
	    (l->p.until_us == 0 || us < l->p.until_us);
}

static void
seen(int64_t *first, int64_t *last, int64_t us)
{
	if (us == 0)
		return;
	if (*first == 0 || us < *first)
		*first = us;
	if (us > *last)
		*last = us;
}

/* A CSV field's doubled quotes, undone into out (cap bytes). */
static struct sv
csv_unquote(struct sv v, char *out, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < v.n && k < cap; i++) {
		out[k++] = v.p[i];
		if (v.p[i] == '"' && i + 1 < v.n && v.p[i + 1] == '"')
			i++;
	}
	return sv_make(out, k);
}

static void one_rcpt_(struct logs *, const struct log_event *, struct sv,
    struct msg *);

static void
one_rcpt(struct logs *l, const struct log_event *ev, struct sv rcpt,
    struct msg *m)
{
	char tb[LOGS_REPLY_TEXT_MAX * 4], rb[LOGS_REPLY_TEXT_MAX * 4];
	struct log_event x;

	if (ev->dialect != LOG_D_EXCHANGE || ev->status == LOG_ST_SENT ||
	    logs_find(ev->text, "\"\"") < 0) {
		one_rcpt_(l, ev, rcpt, m);
		return;
	}
	x = *ev;
	x.text = csv_unquote(ev->text, tb, sizeof(tb));
	x.reply = csv_unquote(ev->reply, rb, sizeof(rb));
	one_rcpt_(l, &x, rcpt, m);
}

static void
one_rcpt_(struct logs *l, const struct log_event *ev, struct sv rcpt,
    struct msg *m)
{
	struct sv dom = logs_addr_domain(rcpt);
	struct logs_dest *d;
	struct msg_dest *md = NULL;
	const struct cause *c = NULL;
	bool fresh = false, fail = ev->status != LOG_ST_SENT;

	if (l->p.domain != NULL && !sv_eq_ci(dom, l->p.domain)) {
		l->r.filtered++;
		return;
	}
	if (l->p.scope != NULL && !logs_in_scope(l->p.scope, dom.p, dom.n) &&
	    !logs_in_scope(l->p.scope, ev->relay_host.p, ev->relay_host.n)) {
		l->r.filtered++;
		return;
	}
	d = dest_get(l, dom);
	if (m != NULL)
		md = msg_dest(m, d, &fresh);
	if (fail) {
		c = event_cause(l, ev, m, md);
		if (l->p.cause != NULL && !logs_cause_matches(c, l->p.cause)) {
			l->r.filtered++;
			return;
		}
	} else if (l->p.cause != NULL) {
		l->r.filtered++;
		return;
	}
	if (m == NULL || fresh)
		d->messages++;
	if (l->p.message != NULL)
		step(l, ev, rcpt, c);
	d->st[ev->status]++;
	l->r.st[ev->status]++;
	seen(&d->first_us, &d->last_us, ev->time_us);
	seen(&l->r.first_us, &l->r.last_us, ev->time_us);
	dest_relay(d, ev, fail);
	dest_sample(d, ev, m, c);
	if (ev->status != LOG_ST_EXPIRED && !ev->retry_skip) {
		/* the throttle window counts what was sent before it */
		if (fail && strcmp(c->id, "smtp.throttled") == 0)
			dest_throttled(d, ev, c);
		dest_attempt(l, d, ev->time_us);
	}
	if (fail && l->p.on_failure != NULL)
		l->p.on_failure(l->p.arg, ev, rcpt, c);
	if (ev->status == LOG_ST_SENT) {
		add_delays(&d->delays, ev);
		add_delays(&l->r.delays, ev);
		if (md != NULL)
			md->pending = false;
		return;
	}
	{
		struct cause_acc *ca = &l->causes[c - l->all];
		size_t i;

		seen(&d->first_fail_us, &d->last_fail_us, ev->time_us);
		if (l->p.scope != NULL) {
			l->r.scope_rcpts += set_add(&l->scope_rcpts, rcpt,
			    &l->r.scope_capped);
			l->r.scope_messages += set_add(&l->scope_qids, ev->qid,
			    &l->r.scope_capped);
		}
		for (i = 0; i < d->ncauses; i++)
			if (d->causes[i].cause == c)
				break;
		if (i == d->ncauses) {
			d->causes = xrealloc(d->causes, sizeof(*d->causes) *
			    (d->ncauses + 1));
			d->causes[d->ncauses].cause = c;
			d->causes[d->ncauses++].n = 0;
		}
		d->causes[i].n++;
		ca->s.cause = c;
		ca->s.events++;
		ca->s.st[ev->status]++;
		seen(&ca->s.first_us, &ca->s.last_us, ev->time_us);
		if (ev->status == LOG_ST_DEFERRED)
			series_add(l, &ca->s.deferrals, ev->time_us);
		if (!ev->retry_skip)
			cause_reply(l, ca, ev, m);
	}
	if (md != NULL) {
		md->last = c;
		md->pending = ev->status == LOG_ST_DEFERRED;
	}
	if (m != NULL)
		m->last = c;
}

/* Postfix's qmgr "status=expired": every destination of the message that
 * was still deferred gave up, for the reason of its last deferral. */
static void
expired(struct logs *l, const struct log_event *ev, struct msg *m)
{
	struct log_event x;
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nmd; i++) {
		struct msg_dest *md = &m->md[i];
		struct logs_dest *d = md->d;
		struct cause_acc *ca;
		const struct cause *c;

		if (!md->pending)
			continue;
		c = md->last != NULL ? md->last : cause_must("smtp.temporary");
		if (l->p.cause != NULL && !logs_cause_matches(c, l->p.cause))
			continue;
		md->pending = false;
		ca = &l->causes[c - l->all];
		x = *ev;
		x.status = LOG_ST_EXPIRED;
		if (l->p.message != NULL)
			step(l, &x, sv_make(d->domain, strlen(d->domain)), c);
		d->st[LOG_ST_EXPIRED]++;
		l->r.st[LOG_ST_EXPIRED]++;
		seen(&d->first_us, &d->last_us, ev->time_us);
		seen(&l->r.first_us, &l->r.last_us, ev->time_us);
		seen(&ca->s.first_us, &ca->s.last_us, ev->time_us);
		seen(&d->first_fail_us, &d->last_fail_us, ev->time_us);
		dest_sample(d, &x, m, c);
		if (l->p.on_failure != NULL)
			l->p.on_failure(l->p.arg, &x, sv_make(d->domain,
			    strlen(d->domain)), c);
		ca->s.cause = c;
		ca->s.events++;
		ca->s.st[LOG_ST_EXPIRED]++;
		{
			size_t k;

			for (k = 0; k < d->ncauses; k++)
				if (d->causes[k].cause == c)
					break;
			if (k == d->ncauses) {
				d->causes = xrealloc(d->causes,
				    sizeof(*d->causes) * (d->ncauses + 1));
				d->causes[d->ncauses].cause = c;
				d->causes[d->ncauses++].n = 0;
			}
			d->causes[k].n++;
		}
	}
}

static void
event(struct logs *l, const struct log_event *ev)
{
	struct msg *m = NULL;

	if (l->p.message != NULL) {
		if (ev->kind == LOG_EV_MSGID || ev->kind == LOG_EV_ARRIVAL) {
			if (id_eq(l->p.message, ev->msgid) ||
			    id_eq(l->p.message, ev->qid))
				add_match(l, ev->qid);
		} else if (id_eq(l->p.message, ev->qid))
			add_match(l, ev->qid);
		if (!matched(l, ev->qid)) {
			if (ev->kind == LOG_EV_DELIVERY)
				l->r.filtered++;
			return;
		}
	}
	if (!in_time(l, ev->time_us) && ev->kind != LOG_EV_MSGID &&
	    ev->kind != LOG_EV_ARRIVAL && ev->kind != LOG_EV_DONE) {
		if (ev->kind == LOG_EV_DELIVERY)
			l->r.filtered++;
		return;
	}
	switch (ev->kind) {
	case LOG_EV_MSGID:
	case LOG_EV_ARRIVAL:
		m = msg_get(l, ev->qid, true);
		if (ev->msgid.n > 0 && m->msgid == NULL)
			msg_set_id(m, ev->msgid);
		if (l->p.message != NULL)
			step(l, ev, sv_make(NULL, 0), NULL);
		return;
	case LOG_EV_DONE:
		if (l->p.message != NULL)
			step(l, ev, sv_make(NULL, 0), NULL);
		msg_drop(l, ev->qid);
		return;
	case LOG_EV_EXPIRED:
		expired(l, ev, msg_get(l, ev->qid, false));
		return;
	case LOG_EV_DELIVERY:
		break;
	default:
		return;
	}
	m = ev->qid.n > 0 ? msg_get(l, ev->qid, true) : NULL;
	if (m != NULL && m->msgid == NULL && ev->msgid.n > 0)
		msg_set_id(m, ev->msgid);	/* Exchange: on every record */
	if (ev->dialect == LOG_D_SENDMAIL && ev->rcpt.n > 0 &&
	    memchr(ev->rcpt.p, ',', ev->rcpt.n) != NULL) {
		struct sv list = ev->rcpt;

		while (list.n > 0) {
			struct sv one = sv_trim(sv_cut(&list, ','));

			if (one.n > 0)
				one_rcpt(l, ev, one, m);
		}
		return;
	}
	if (ev->multi) {
		struct sv list = ev->rcpt, texts = sv_make(NULL, 0);
		struct log_event one;

		if (logs_exchange_per_rcpt(ev))
			texts = ev->text;
		while (logs_exchange_next(&list, &texts, ev, &one))
			if (one.kind == LOG_EV_DELIVERY)
				one_rcpt(l, &one, one.rcpt, m);
		return;
	}
	one_rcpt(l, ev, ev->rcpt, m);
}

static void
fold(struct logs *l, const struct log_event *ev)
{
	switch (ev->kind) {
	case LOG_EV_UNPARSED:
		unparsed(l, ev->reason);
		return;
	case LOG_EV_OTHER:
		l->r.other++;
		return;
	default:
		event(l, ev);
	}
}

void
logs_feed_line(struct logs *l, const char *line, size_t n)
{
	struct log_event ev;

	l->lineno++;
	l->counter++;
	l->r.lines++;
	if (!l->t_started)
		logs_begin_file(l, "-", mtime_wall_us() / 1000000, false);
	if (l->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;		/* a BOM, as Export-Csv writes */
		n -= 3;
	}
	if (n > 0 && line[0] == '#') {
		/* "#Fields:" starts Exchange's tracking columns; other
		 * comments ("#Software", PowerShell's "#TYPE") are other. */
		if (n <= LOG_LINE_MAX)
			(void)logs_exchange_header(line, n, &l->exf);
		l->r.other++;
		return;
	}
	if (l->exf.kind == EXCH_NONE && l->lineno <= 3 && n <= 4096 &&
	    logs_exchange_header(line, n, &l->exf)) {
		l->r.other++;		/* a trace export's header */
		return;
	}
	if (l->exf.kind == EXCH_NONE && logs_exchange_headerless(line, n))
		logs_exchange_default(&l->exf);
	if (l->exf.kind != EXCH_NONE && n <= LOG_LINE_MAX)
		logs_exchange_parse(&l->exf, line, n, &ev);
	else
		logline_parse(&l->t, line, n, &ev);
	l->r.dialect[ev.dialect]++;
	fold(l, &ev);
}

/* ---- parts, for parser threads ---------------------------------------- */

/* A packed event: a header, then the views that are set (a bit each in
 * views, in the order of pk_views[]), then the numbers that are not a
 * cleared event's (a bit each in flags). memcpy() in and out: nothing is
 * aligned. */
struct pk_head {
	uint32_t	 line;		/* in the part, from 1 */
	uint16_t	 views;
	uint8_t		 dialect, kind, status, flags;
	uint64_t	 qh;		/* ht_hash() of the queue id; 0: none */
	int64_t		 time_us;
};

enum {
	PK_HAVE_DELAYS = 1, PK_RETRY_SKIP = 2, PK_MULTI = 4, PK_SIZE = 8,
	PK_DELAY = 16, PK_DELAYS = 32, PK_REASON = 64, PK_HINT = 128,
};

/* A failure's grouping key (norm_key() of reply_text()) is made by the
 * parser thread too: the view it is of, its hash, its length, then its
 * bytes; with PK_KEY in views. */
#define PK_KEY		(1u << 15)

#define PK_NVIEWS	10
#define PK_MAX		(sizeof(struct pk_head) + PK_NVIEWS * 16 + 8 * 8 + \
			    16 + 8 + 8 + LOGS_KEY_MAX)

static struct sv *
pk_view(struct log_event *ev, int i)
{
	switch (i) {
	case 0: return &ev->program;
	case 1: return &ev->qid;
	case 2: return &ev->rcpt;
	case 3: return &ev->relay_host;
	case 4: return &ev->relay_ip;
	case 5: return &ev->dsn;
	case 6: return &ev->text;
	case 7: return &ev->reply;
	case 8: return &ev->msgid;
	default: return &ev->from;
	}
}

static unsigned char *
pk_put(unsigned char *q, const void *v, size_t n)
{
	memcpy(q, v, n);
	return q + n;
}

/* Appends ev, of line line, to c's events. */
static void
pk_event(struct logs_part *c, struct log_event *ev, uint32_t line)
{
	struct pk_head h;
	unsigned char *q;
	int i;

	if (c->pkcap - c->pklen < PK_MAX) {
		c->pkcap = c->pkcap ? c->pkcap * 2 : 64 * 1024;
		c->pk = xrealloc(c->pk, c->pkcap);
	}
	if (c->nev == c->capev) {
		c->capev = c->capev ? c->capev * 2 : 1024;
		c->at = xrealloc(c->at, sizeof(*c->at) * c->capev);
	}
	c->at[c->nev++] = c->pklen;
	memset(&h, 0, sizeof(h));
	h.line = line;
	h.dialect = (uint8_t)ev->dialect;
	h.kind = (uint8_t)ev->kind;
	h.status = (uint8_t)ev->status;
	h.time_us = ev->time_us;
	h.qh = ev->qid.n > 0 ? ht_hash(ev->qid.p, ev->qid.n) : 0;
	for (i = 0; i < PK_NVIEWS; i++) {
		const struct sv *v = pk_view(ev, i);

		if (v->p != NULL || v->n != 0)
			h.views |= (uint16_t)(1u << i);
	}
	if (ev->kind == LOG_EV_DELIVERY && ev->status != LOG_ST_SENT &&
	    ev->dialect != LOG_D_EXCHANGE)
		h.views |= PK_KEY;
	h.flags = (uint8_t)((ev->have_delays ? PK_HAVE_DELAYS : 0) |
	    (ev->retry_skip ? PK_RETRY_SKIP : 0) | (ev->multi ? PK_MULTI : 0) |
	    (ev->size != -1 ? PK_SIZE : 0) | (ev->delay != -1 ? PK_DELAY : 0) |
	    (ev->have_delays || ev->delays[0] != 0 || ev->delays[1] != 0 ||
	    ev->delays[2] != 0 || ev->delays[3] != 0 ? PK_DELAYS : 0) |
	    (ev->reason != NULL ? PK_REASON : 0) |
	    (ev->cause_hint != NULL ? PK_HINT : 0));
	q = pk_put(c->pk + c->pklen, &h, sizeof(h));
	for (i = 0; i < PK_NVIEWS; i++)
		if (h.views & (1u << i))
			q = pk_put(q, pk_view(ev, i), sizeof(struct sv));
	if (h.flags & PK_SIZE)
		q = pk_put(q, &ev->size, sizeof(ev->size));
	if (h.flags & PK_DELAY)
		q = pk_put(q, &ev->delay, sizeof(ev->delay));
	if (h.flags & PK_DELAYS)
		q = pk_put(q, ev->delays, sizeof(ev->delays));
	if (h.flags & PK_REASON)
		q = pk_put(q, &ev->reason, sizeof(ev->reason));
	if (h.flags & PK_HINT)
		q = pk_put(q, &ev->cause_hint, sizeof(ev->cause_hint));
	if (h.views & PK_KEY) {
		struct sv t = reply_text(ev);
		uint64_t kn, kh;

		kn = norm_key(t, (char *)q + sizeof(t) + 16);
		kh = ht_hash((char *)q + sizeof(t) + 16, kn);
		q = pk_put(q, &t, sizeof(t));
		q = pk_put(q, &kh, sizeof(kh));
		q = pk_put(q, &kn, sizeof(kn));
		q += kn;
	}
	c->pklen = (size_t)(q - c->pk);
}

/* The event at q back, as the parser left it, at line count0 + its line
 * of the part; the key of its text, if made, into l's memo. */
static void
pk_unpack(struct logs *l, const unsigned char *q, struct log_event *ev,
    uint64_t line0, uint64_t count0)
{
	struct pk_head h;
	int i;

	memcpy(&h, q, sizeof(h));
	q += sizeof(h);
	log_event_clear(ev);
	l->lineno = line0 + h.line;
	l->counter = count0 + h.line;
	ev->dialect = (enum log_dialect)h.dialect;
	ev->kind = (enum log_ev_kind)h.kind;
	ev->status = (enum log_status)h.status;
	ev->time_us = h.time_us;
	for (i = 0; i < PK_NVIEWS; i++)
		if (h.views & (1u << i)) {
			memcpy(pk_view(ev, i), q, sizeof(struct sv));
			q += sizeof(struct sv);
		}
	ev->have_delays = (h.flags & PK_HAVE_DELAYS) != 0;
	ev->retry_skip = (h.flags & PK_RETRY_SKIP) != 0;
	ev->multi = (h.flags & PK_MULTI) != 0;
	if (h.flags & PK_SIZE) {
		memcpy(&ev->size, q, sizeof(ev->size));
		q += sizeof(ev->size);
	}
	if (h.flags & PK_DELAY) {
		memcpy(&ev->delay, q, sizeof(ev->delay));
		q += sizeof(ev->delay);
	}
	if (h.flags & PK_DELAYS) {
		memcpy(ev->delays, q, sizeof(ev->delays));
		q += sizeof(ev->delays);
	}
	if (h.flags & PK_REASON) {
		memcpy(&ev->reason, q, sizeof(ev->reason));
		q += sizeof(ev->reason);
	}
	if (h.flags & PK_HINT) {
		memcpy(&ev->cause_hint, q, sizeof(ev->cause_hint));
		q += sizeof(ev->cause_hint);
	}
	l->qh_p = ev->qid.p;
	l->qh_n = ev->qid.n;
	l->qh = h.qh;
	if (h.views & PK_KEY) {
		struct sv t;
		uint64_t kn;

		memcpy(&t, q, sizeof(t));
		memcpy(&l->memo_h, q + sizeof(t), 8);
		memcpy(&kn, q + sizeof(t) + 8, 8);
		l->memo_p = t.p;
		l->memo_n = t.n;
		l->memo_kn = (size_t)kn;
		l->memo_kp = (const char *)q + sizeof(t) + 16;
		l->memo_line = l->counter;
	}
}

/* The hash of event i's queue id; its line is fetched too (the fold reads
 * its words in place, long after a parser thread did). */
static uint64_t
pk_qh(const struct logs_part *c, size_t i, bool fetch)
{
	struct pk_head h;
	const unsigned char *q = c->pk + c->at[i];
	struct sv v;

	memcpy(&h, q, sizeof(h));
	if (fetch && (h.views & 2)) {
		memcpy(&v, q + sizeof(h) + (h.views & 1 ? sizeof(v) : 0),
		    sizeof(v));
		__builtin_prefetch(v.p);
		__builtin_prefetch(v.p + 64);
		__builtin_prefetch(v.p + 128);
	}
	return h.qh;
}

/* What logs_feed_line() does to one line, up to fold(), for a part read
 * with no Exchange columns (the file's own state at its start): a line
 * that would start them stops the part, and the folder reads the rest
 * of the file itself. */
void
logs_part_parse(struct logs_part *c, const struct logtime *t0)
{
	const char *p = c->p, *end = c->p + c->n, *nl;
	struct exch_fields xf;
	uint32_t line = 0;

	c->t = *t0;
	logtime_probe_start(&c->t, c->year, c->last_mon);
	c->lines = 0;
	c->other = 0;
	memset(c->dialect, 0, sizeof(c->dialect));
	c->nev = 0;
	c->pklen = 0;
	c->stop = NULL;
	while (p < end) {
		const char *s = p;
		struct log_event ev;
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > LOG_LINE_MAX)
			n = LOG_LINE_MAX + 1;	/* as read_mapped() does */
		else if (n > 0 && p[n - 1] == '\r')
			n--;
		line++;
		if (c->file_start && line == 1 && n >= 3 &&
		    memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
			s += 3;
			n -= 3;
		}
		if (n > 0 && s[0] == '#') {
			if (n <= LOG_LINE_MAX && logs_exchange_header(s, n, &xf))
				goto stop;
			c->other++;
		} else if ((c->file_start && line <= 3 && n <= 4096 &&
		    logs_exchange_header(s, n, &xf)) ||
		    logs_exchange_headerless(s, n)) {
			goto stop;
		} else {
			logline_parse(&c->t, s, n, &ev);
			c->dialect[ev.dialect]++;
			if (ev.kind == LOG_EV_OTHER)
				c->other++;
			else
				pk_event(c, &ev, line);
		}
		c->lines = line;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return;
stop:
	c->stop = p;
}

#define FOLD_AHEAD	8

static void
fetch_slot(const struct logs *l, uint64_t h)
{
	if (h != 0 && l->msgs.cap > 0)
		__builtin_prefetch(&l->msgs.e[h & (l->msgs.cap - 1)]);
}

static void
fetch_msg(const struct logs *l, uint64_t h)
{
	const struct hent *e;

	if (h == 0 || l->msgs.cap == 0)
		return;
	e = &l->msgs.e[h & (l->msgs.cap - 1)];
	if (e->h != h && e->h != 0 && e + 1 < l->msgs.e + l->msgs.cap)
		e++;		/* the next of the cluster, often the line */
	if (e->h == h) {
		__builtin_prefetch(e->v);
		__builtin_prefetch(e->k);	/* the block's second line */
	}
}

void
logs_part_fold(struct logs *l, const struct logs_part *c, const char *end)
{
	uint64_t line0 = l->lineno, count0 = l->counter;
	size_t i;
	int d;

	if (!logtime_probe_holds(&l->t, c->year, c->last_mon, &c->t.probe)) {
		/* A New Year the guess did not see (or the first stamp of
		 * the file): the lines again, with the state they follow. */
		logs_feed_span(l, c->p, c->stop != NULL ? end : c->p + c->n);
		return;
	}
	for (i = 0; i < c->nev; i++) {
		struct log_event ev;

		/* The table of messages is larger than the caches: its
		 * slots are fetched ahead, then the messages they hold; the
		 * events, written by another thread, are not in this one's
		 * cache either. */
		if (i + FOLD_AHEAD * 2 < c->nev) {
			/* all of it: a failure's key is at its end */
			size_t a = c->at[i + FOLD_AHEAD * 2], z = i +
			    FOLD_AHEAD * 2 + 1 < c->nev ? c->at[i +
			    FOLD_AHEAD * 2 + 1] : c->pklen;

			for (; a < z && a < c->pklen; a += 64)
				__builtin_prefetch(c->pk + a);
		}
		if (i + FOLD_AHEAD < c->nev)
			fetch_slot(l, pk_qh(c, i + FOLD_AHEAD, true));
		if (i + FOLD_AHEAD / 2 < c->nev)
			fetch_msg(l, pk_qh(c, i + FOLD_AHEAD / 2, false));
		pk_unpack(l, c->pk + c->at[i], &ev, line0, count0);
		fold(l, &ev);
	}
	l->qh_p = NULL;
	l->qh_n = 0;
	l->lineno = line0 + c->lines;
	l->counter = count0 + c->lines;
	l->r.lines += c->lines;
	l->r.other += c->other;
	for (d = 0; d < LOG_D_NUM; d++)
		l->r.dialect[d] += c->dialect[d];
	if (c->t.probe.seen) {
		l->t.year = c->t.year;
		l->t.last_mon = c->t.last_mon;
	}
	/* the stamp cached is that of an older line */
	l->t.stamp_ok = false;
	if (c->stop != NULL)
		logs_feed_span(l, c->stop, end);
}

const struct logtime *
logs_clock(const struct logs *l)
{
	return &l->t;
}

void
logs_begin_file(struct logs *l, const char *name, int64_t ref_s,
    bool compressed)
{
	struct logs_file *f;

	if (l->p.year != 0) {
		/* The year the user named is that of the first stamp; the
		 * calendar carries it across files and New Year. */
		if (!l->t_started)
			logtime_reset(&l->t, logtime_days(l->p.year, 12, 31) *
			    86400 + 86399);
	} else
		logtime_reset(&l->t, ref_s);
	l->t_started = true;
	l->exf.kind = EXCH_NONE;
	l->file = NULL;
	l->lineno = 0;
	if (l->r.nfiles == l->capfiles) {
		l->capfiles = l->capfiles ? l->capfiles * 2 : 4;
		l->r.files = xrealloc(l->r.files, sizeof(*l->r.files) *
		    l->capfiles);
	}
	f = &l->r.files[l->r.nfiles++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->compressed = compressed;
	l->file = f->name;
}

/* ---- reading ---------------------------------------------------------- */

#define READ_CHUNK	(1 << 20)

struct reader {
	int		 fd;
	bool		 gz;
	bool		 eof;
	bool		 in_member;	/* inside a gzip member */
	z_stream	 z;
	unsigned char	*in;
	size_t		 inlen;		/* plain: bytes peeked, not yet given */
};

/* Fills out with up to cap bytes; returns the count, 0 at the end, -1 on
 * an error (errno, or *zerr for bad compressed data). */
static ssize_t
reader_read(struct reader *r, char *out, size_t cap, const char **zerr)
{
	ssize_t k;
	int zr;

	if (!r->gz) {
		if (r->inlen > 0) {
			size_t n = r->inlen < cap ? r->inlen : cap;

			memcpy(out, r->in, n);
			memmove(r->in, r->in + n, r->inlen - n);
			r->inlen -= n;
			return (ssize_t)n;
		}
		do
			k = read(r->fd, out, cap);
		while (k < 0 && errno == EINTR);
		return k;
	}
	r->z.next_out = (unsigned char *)out;
	r->z.avail_out = (uInt)cap;
	while (r->z.avail_out == cap) {
		if (r->z.avail_in == 0) {
			if (r->eof)
				return 0;
			do
				k = read(r->fd, r->in, READ_CHUNK);
			while (k < 0 && errno == EINTR);
			if (k < 0)
				return -1;
			if (k == 0) {
				r->eof = true;
				if (r->in_member) {
					*zerr = "truncated gzip data";
					return -1;
				}
				return 0;
			}
			r->z.next_in = r->in;
			r->z.avail_in = (uInt)k;
		}
		zr = inflate(&r->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			/* Concatenated members, as `cat a.gz b.gz` makes. */
			r->in_member = false;
			if (inflateReset(&r->z) != Z_OK) {
				*zerr = "bad gzip data";
				return -1;
			}
			continue;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			*zerr = r->z.msg != NULL ? r->z.msg : "bad gzip data";
			return -1;
		}
		r->in_member = true;
	}
	return (ssize_t)(cap - r->z.avail_out);
}

#define MAP_DROP	(4 << 20)

void
logs_feed_span(struct logs *l, const char *p, const char *end)
{
	long pg = sysconf(_SC_PAGESIZE);
	const char *nl, *dropped = p;

	if (pg > 0)
		dropped -= (uintptr_t)p % (uintptr_t)pg;
	while (p < end) {
		size_t n;

		if (p - dropped >= MAP_DROP && pg > 0) {
			/* What was parsed leaves this process's resident set
			 * (it stays in the page cache): memory stays flat
			 * whatever the size of the file. */
			size_t k = (size_t)(p - dropped) / (size_t)pg *
			    (size_t)pg;

			(void)madvise((void *)(uintptr_t)dropped, k,
			    MADV_DONTNEED);
			dropped += k;
		}

		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > LOG_LINE_MAX)
			/* counted once, as unparsed, like the reader does */
			logs_feed_line(l, p, LOG_LINE_MAX + 1);
		else {
			if (n > 0 && p[n - 1] == '\r')
				n--;
			logs_feed_line(l, p, n);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* A plain file is read in place: no copy into a buffer, and the kernel
 * reads ahead of the parser (MADV_SEQUENTIAL); with parser threads when
 * asked for. -1 when it cannot be mapped (the caller reads it instead),
 * -2 with *err when it was cut shorter while it was read (logs_map.c:
 * the pages past the cut read as zeroes, not a SIGBUS). The size is that
 * of the open: a log that grows meanwhile is read up to there. */
static int
read_mapped(struct logs *l, int fd, size_t size, const char *path,
    char **err)
{
	size_t part = l->p.part > 0 ? l->p.part : LOGS_PART;
	int jobs = l->p.jobs;
	const char *base;
	struct stat st;
	void *m;

	m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	if (logs_map_guard(m, size) < 0) {
		munmap(m, size);
		return -1;
	}
	(void)madvise(m, size, MADV_SEQUENTIAL);
	base = m;
	/* no more threads than parts: a file of one part is read here */
	if ((size_t)jobs > size / part + 1)
		jobs = (int)(size / part + 1);
	if (jobs < 2 || logs_jobs_read(l, base, size, jobs, part) < 0)
		logs_feed_span(l, base, base + size);
	l->r.files[l->r.nfiles - 1].bytes = size;
	l->r.files[l->r.nfiles - 1].lines = l->lineno;
	if (logs_map_unguard()) {
		*err = xasprintf("%s: cut short while it was read (%zu bytes "
		    "at the start, %lld now): the lines past the cut were "
		    "not read", path, size, fstat(fd, &st) == 0 ?
		    (long long)st.st_size : -1LL);
		munmap(m, size);
		return -2;
	}
	munmap(m, size);
	return 0;
}

int
logs_read_file(struct logs *l, const char *path, char **err)
{
	struct reader r;
	struct stat st;
	char *buf = NULL;
	const char *zerr = NULL;
	size_t have = 0, cap = READ_CHUNK + LOG_LINE_MAX + 1;
	bool skipping = false, is_stdin = strcmp(path, "-") == 0;
	int64_t ref_s;
	ssize_t k;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	*err = NULL;
	r.fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(r.fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		*err = xasprintf("%s: is a directory", path);
		goto out;
	}
	ref_s = fstat(r.fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    (int64_t)st.st_mtime : mtime_wall_us() / 1000000;
	r.in = xmalloc(READ_CHUNK);
	/* Peek at the magic: gzip whatever the name says. */
	while (r.inlen < 2) {
		do
			k = read(r.fd, r.in + r.inlen, READ_CHUNK - r.inlen);
		while (k < 0 && errno == EINTR);
		if (k < 0) {
			*err = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		r.inlen += (size_t)k;
	}
	if (r.inlen >= 2 && r.in[0] == 0x1f && r.in[1] == 0x8b) {
		r.gz = true;
		if (inflateInit2(&r.z, 15 + 32) != Z_OK) {
			*err = xasprintf("%s: cannot start gzip", path);
			r.gz = false;
			goto out;
		}
		r.z.next_in = r.in;
		r.z.avail_in = (uInt)r.inlen;
		r.inlen = 0;
	}
	logs_begin_file(l, is_stdin ? "-" : path, ref_s, r.gz);
	if (!r.gz && !is_stdin && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= SIZE_MAX / 2 &&
	    (k = read_mapped(l, r.fd, (size_t)st.st_size, path, err)) != -1) {
		rc = k == 0 ? 0 : -1;
		goto out;
	}
	buf = xmalloc(cap);
	for (;;) {
		char *p, *nl, *end;

		k = reader_read(&r, buf + have, cap - have - 1, &zerr);
		if (k < 0) {
			*err = xasprintf("%s: %s", path, zerr != NULL ? zerr :
			    strerror(errno));
			goto out;
		}
		l->r.files[l->r.nfiles - 1].bytes += (uint64_t)k;
		if (k == 0) {
			if (have > 0 && !skipping)
				logs_feed_line(l, buf, have);
			break;
		}
		have += (size_t)k;
		p = buf;
		end = buf + have;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			size_t n = (size_t)(nl - p);

			if (skipping)
				skipping = false;	/* its end: counted */
			else {
				if (n > 0 && p[n - 1] == '\r')
					n--;
				logs_feed_line(l, p, n);
			}
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (have > LOG_LINE_MAX) {
			/* An overlong line: count it once (as unparsed, with
			 * its number) and drop bytes up to its newline. */
			if (!skipping)
				logs_feed_line(l, p, have);
			skipping = true;
			have = 0;
		} else if (have > 0 && p != buf)
			memmove(buf, p, have);
	}
	l->r.files[l->r.nfiles - 1].lines = l->lineno;
	rc = 0;
out:
	if (r.gz)
		inflateEnd(&r.z);
	if (!is_stdin && r.fd >= 0)
		close(r.fd);
	free(r.in);
	free(buf);
	return rc;
}

/* ---- following a live log --------------------------------------------- */

/* Feeds the complete lines of buf[0..*have), keeping the tail (a line
 * still being written) at the front of buf. */
static void
feed_complete(struct logs *l, char *buf, size_t *have, bool *skipping)
{
	char *p = buf, *end = buf + *have, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t n = (size_t)(nl - p);

		if (*skipping)
			*skipping = false;
		else {
			if (n > 0 && p[n - 1] == '\r')
				n--;
			logs_feed_line(l, p, n);
		}
		p = nl + 1;
	}
	*have = (size_t)(end - p);
	if (*have > LOG_LINE_MAX) {
		if (!*skipping)
			logs_feed_line(l, p, *have);
		*skipping = true;
		*have = 0;
	} else if (*have > 0 && p != buf)
		memmove(buf, p, *have);
}

/* Reads fd to its end; -1 on a read error. */
static int
follow_drain(struct logs *l, int fd, char *buf, size_t cap, size_t *have,
    bool *skipping, off_t *pos)
{
	ssize_t k;

	for (;;) {
		do
			k = read(fd, buf + *have, cap - *have - 1);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return -1;
		if (k == 0)
			return 0;
		*pos += k;
		l->r.files[l->r.nfiles - 1].bytes += (uint64_t)k;
		*have += (size_t)k;
		feed_complete(l, buf, have, skipping);
		l->r.files[l->r.nfiles - 1].lines = l->lineno;
	}
}

static void
follow_sleep(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	/* a signal ends it early: the caller looks at its stop flag */
	(void)nanosleep(&ts, NULL);
}

int
logs_follow(struct logs *l, const char *path, volatile sig_atomic_t *stop,
    int poll_ms, void (*ready)(void *), void *arg, char **err)
{
	size_t cap = READ_CHUNK + LOG_LINE_MAX + 1, have = 0;
	char *buf = NULL;
	bool skipping = false;
	struct stat st, now;
	off_t pos = 0;
	int fd, rc = -1;

	*err = NULL;
	if (poll_ms < 10)
		poll_ms = 10;
	if (poll_ms > 1000)
		poll_ms = 1000;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = xasprintf("%s: --follow takes a regular file", path);
		goto out;
	}
	logs_begin_file(l, path, (int64_t)st.st_mtime, false);
	buf = xmalloc(cap);
	if (follow_drain(l, fd, buf, cap, &have, &skipping, &pos) < 0)
		goto rerr;
	if (ready != NULL)
		ready(arg);
	while (!*stop) {
		follow_sleep(poll_ms);
		if (*stop)
			break;
		if (follow_drain(l, fd, buf, cap, &have, &skipping, &pos) < 0)
			goto rerr;
		if (stat(path, &now) != 0)
			continue;	/* between the mv and the new file */
		if (now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);

			if (nfd < 0)
				continue;
			/* rotated: the old file's last lines first */
			if (follow_drain(l, fd, buf, cap, &have, &skipping,
			    &pos) < 0) {
				close(nfd);
				goto rerr;
			}
			if (have > 0 && !skipping)
				logs_feed_line(l, buf, have);
			have = 0;
			skipping = false;
			close(fd);
			fd = nfd;
			if (fstat(fd, &st) != 0)
				goto rerr;
			pos = 0;
			logs_begin_file(l, path, (int64_t)st.st_mtime, false);
			if (follow_drain(l, fd, buf, cap, &have, &skipping,
			    &pos) < 0)
				goto rerr;
		} else if (now.st_size < pos) {
			/* truncated in place (copytruncate) */
			if (lseek(fd, 0, SEEK_SET) < 0)
				goto rerr;
			pos = 0;
			have = 0;
			skipping = false;
			logs_begin_file(l, path, (int64_t)now.st_mtime, false);
		}
	}
	/* what was read is what was seen: a last partial line counts */
	if (follow_drain(l, fd, buf, cap, &have, &skipping, &pos) < 0)
		goto rerr;
	if (have > 0 && !skipping)
		logs_feed_line(l, buf, have);
	rc = 0;
	goto out;
rerr:
	*err = xasprintf("%s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* ---- the result ------------------------------------------------------- */

static int
cmp_dest(const void *a, const void *b)
{
	const struct logs_dest *x = *(struct logs_dest *const *)a;
	const struct logs_dest *y = *(struct logs_dest *const *)b;
	uint64_t fx = logs_dest_failures(x), fy = logs_dest_failures(y);
	uint64_t ex = fx + x->st[LOG_ST_SENT], ey = fy + y->st[LOG_ST_SENT];

	if (fx != fy)
		return fx > fy ? -1 : 1;
	if (ex != ey)
		return ex > ey ? -1 : 1;
	return strcmp(x->domain, y->domain);
}

static int
cmp_cc(const void *a, const void *b)
{
	const struct logs_cause_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->cause->id, y->cause->id);
}

static int
cmp_cause(const void *a, const void *b)
{
	const struct logs_cause_stat *x = *(struct logs_cause_stat *const *)a;
	const struct logs_cause_stat *y = *(struct logs_cause_stat *const *)b;

	if (x->events != y->events)
		return x->events > y->events ? -1 : 1;
	return strcmp(x->cause->id, y->cause->id);
}

static int
cmp_reply(const void *a, const void *b)
{
	const struct logs_reply *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->text, y->text);
}

static int
cmp_relay(const void *a, const void *b)
{
	const struct logs_relay *x = a, *y = b;
	int c;

	if (x->events != y->events)
		return x->events > y->events ? -1 : 1;
	c = strcmp(x->host, y->host);
	return c != 0 ? c : strcmp(x->ip, y->ip);
}

static int
cmp_sample(const void *a, const void *b)
{
	const struct logs_sample *x = a, *y = b;

	if (x->time_us != y->time_us)
		return x->time_us < y->time_us ? -1 : 1;
	return strcmp(x->qid, y->qid);
}

const struct logs_result *
logs_finish(struct logs *l)
{
	size_t i, n = 0;

	if (l->finished)
		return &l->r;
	l->finished = true;
	for (i = 0; i < l->r.ndests; i++) {
		struct logs_dest *d = l->r.dests[i];

		if (d->ncauses > 1)
			qsort(d->causes, d->ncauses, sizeof(*d->causes), cmp_cc);
		if (d->nrelays > 1)
			qsort(d->relays, d->nrelays, sizeof(*d->relays),
			    cmp_relay);
		if (d->nsamples > 1)
			qsort(d->samples, (size_t)d->nsamples,
			    sizeof(d->samples[0]), cmp_sample);
	}
	if (l->r.ndests > 1)
		qsort(l->r.dests, l->r.ndests, sizeof(*l->r.dests), cmp_dest);
	l->r.causes = xcalloc(l->nall, sizeof(*l->r.causes));
	for (i = 0; i < l->nall; i++) {
		struct cause_acc *c = &l->causes[i];

		if (c->s.events == 0)
			continue;
		/* The index points into the texts, not the array: sorting
		 * the array leaves it stale, and it is not used again. */
		ht_release(&c->idx);
		if (c->s.nreplies > 1)
			qsort(c->s.replies, c->s.nreplies,
			    sizeof(*c->s.replies), cmp_reply);
		l->r.causes[n++] = &c->s;
	}
	l->r.ncauses = n;
	if (n > 1)
		qsort(l->r.causes, n, sizeof(*l->r.causes), cmp_cause);
	return &l->r;
}

/* ---- rotated sets ----------------------------------------------------- */

struct rot {
	const char	*path;
	size_t		 baselen;	/* name without ".N", ".gz", "-DATE" */
	long		 age;		/* .N: N; -YYYYMMDD: -date; else 0 */
	size_t		 order;		/* first appearance of the base */
};

static void
rot_key(struct rot *r)
{
	const char *p = r->path;
	size_t n = strlen(p), e;
	long v = 0, scale = 1;

	if (n > 3 && strcmp(p + n - 3, ".gz") == 0)
		n -= 3;
	e = n;
	while (e > 0 && p[e - 1] >= '0' && p[e - 1] <= '9' && n - e < 9) {
		v += (p[e - 1] - '0') * scale;
		scale *= 10;
		e--;
	}
	if (e < n && e > 0 && p[e - 1] == '.') {
		r->baselen = e - 1;
		r->age = v;
	} else if (e < n && e > 0 && p[e - 1] == '-' && n - e == 8) {
		r->baselen = e - 1;
		r->age = -v;		/* logrotate dateext: newer is larger */
	} else {
		r->baselen = n;
		r->age = 0;
	}
}

static int
cmp_rot(const void *a, const void *b)
{
	const struct rot *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->age != y->age)
		return x->age > y->age ? -1 : 1;
	return 0;
}

void
logs_sort_files(const char **paths, size_t n)
{
	struct rot *r;
	size_t i, j;

	if (n < 2)
		return;
	r = xcalloc(n, sizeof(*r));
	for (i = 0; i < n; i++) {
		r[i].path = paths[i];
		rot_key(&r[i]);
		r[i].order = i;
		/* the age of a file without a suffix is 0: the newest, but
		 * a dateext file is negative: older than the live log */
		if (r[i].age < 0)
			r[i].age = 1000000000L + r[i].age;
		for (j = 0; j < i; j++)
			if (r[j].baselen == r[i].baselen &&
			    memcmp(r[j].path, r[i].path, r[i].baselen) == 0) {
				r[i].order = r[j].order;
				break;
			}
	}
	/* Stable: equal keys keep the order given (insertion sort, n is
	 * the number of files on a command line). */
	for (i = 1; i < n; i++) {
		struct rot x = r[i];

		for (j = i; j > 0 && cmp_rot(&r[j - 1], &x) > 0; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
	for (i = 0; i < n; i++)
		paths[i] = r[i].path;
	free(r);
}
