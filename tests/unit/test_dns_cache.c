/*
 * test_dns_cache.c - the answer cache: what it keeps and for how long
 * (TTLs on a fake clock), its bound, holds that outlive eviction, the
 * attachment's lifetime, and real answers from the resolver (libunbound's
 * local data, no network) copied and handed back intact.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/mtime.h"
#include "dns/dns_cache.h"
#include "dns/resolver.h"

#define T0	((int64_t)1000000000000)	/* the fake clock's start, us */
#define SEC	((int64_t)1000000)

static void
clock_at(int64_t us)
{
	mtime_set_fake(us, 0);
}

/* An answer as the resolver makes it: records in msg, rr[] pointing at
 * those of the type asked. Each spec is "TYPE TTL VALUE". */
static struct dns_answer *
answer_new(enum dns_status st, uint16_t type, const char *const *spec)
{
	struct dns_answer *a = xcalloc(1, sizeof(*a));
	int i, n = 0;

	a->status = st;
	a->rcode = st == DNS_NXDOMAIN ? 3 : st == DNS_SERVFAIL ? 2 : 0;
	while (spec != NULL && spec[n] != NULL)
		n++;
	a->msg.nanswer = n;
	a->msg.answer = n > 0 ? xcalloc((size_t)n, sizeof(*a->msg.answer)) :
	    NULL;
	a->rr = n > 0 ? xcalloc((size_t)n, sizeof(*a->rr)) : NULL;
	for (i = 0; i < n; i++) {
		struct dns_rr *rr = &a->msg.answer[i];
		char kind[8], val[200];
		const char *sp = strchr(spec[i], ' ');
		const char *sp2 = strchr(sp + 1, ' ');

		snprintf(kind, sizeof(kind), "%.*s", (int)(sp - spec[i]),
		    spec[i]);
		rr->ttl = (uint32_t)strtoul(sp + 1, NULL, 10);
		snprintf(val, sizeof(val), "%s", sp2 + 1);
		snprintf(rr->name, sizeof(rr->name), "a.example");
		if (strcmp(kind, "A") == 0) {
			rr->type = DNS_T_A;
			inet_pton(AF_INET, val, &rr->u.a);
		} else if (strcmp(kind, "TXT") == 0) {
			rr->type = DNS_T_TXT;
			rr->u.txt.data = xstrdup(val);
			rr->u.txt.len = strlen(val);
			rr->u.txt.nstrings = 1;
		} else if (strcmp(kind, "CNAME") == 0) {
			rr->type = DNS_T_CNAME;
			snprintf(rr->u.target, sizeof(rr->u.target), "%s", val);
		} else {
			rr->type = 99;		/* kept raw */
			rr->u.raw.data = (uint8_t *)xstrdup(val);
			rr->u.raw.len = strlen(val);
		}
		if (rr->type == type)
			a->rr[a->nrr++] = rr;
	}
	if (st == DNS_OK && a->nrr == 0)
		a->status = DNS_NODATA;
	a->canonical = xstrdup("a.example");
	return a;
}

static void
answer_free(struct dns_answer *a)
{
	free(a->rr);
	free(a->canonical);
	free(a->why_bogus);
	dns_msg_release(&a->msg);
	free(a);
}

static const char *const one_a[] = { "A 300 192.0.2.1", NULL };
static const char *const one_txt[] = { "TXT 300 v=spf1 -all", NULL };

static void
test_keeps_positive_only(void)
{
	struct dns_cache *c = dns_cache_new(0, 0);
	struct dns_cache_stats st;
	static const enum dns_status other[] = { DNS_NODATA, DNS_NXDOMAIN,
	    DNS_SERVFAIL, DNS_REFUSED, DNS_TIMEOUT, DNS_ERROR };
	const struct dns_answer *h, *g;
	struct dns_answer *a;
	size_t i;

	clock_at(T0);
	CHECK(dns_cache_get(c, "a.example", DNS_T_A) == NULL);
	a = answer_new(DNS_OK, DNS_T_A, one_a);
	h = dns_cache_put(c, "a.example", DNS_T_A, a);
	CHECK(h != NULL && h != a);
	answer_free(a);			/* the copy stands alone */
	g = dns_cache_get(c, "A.EXAMPLE", DNS_T_A);
	CHECK(g == h);
	CHECK(g != NULL && g->status == DNS_OK && g->nrr == 1 &&
	    g->rr[0] == &g->msg.answer[0] &&
	    g->rr[0]->u.a.s_addr == htonl(0xc0000201));
	CHECK_STR(g != NULL ? g->canonical : NULL, "a.example");
	dns_cache_drop(g);
	dns_cache_drop(h);
	/* Another type, another spelling: other keys. */
	CHECK(dns_cache_get(c, "a.example", DNS_T_TXT) == NULL);
	CHECK(dns_cache_get(c, "a.example.", DNS_T_A) == NULL);
	CHECK(dns_cache_get(c, "b.example", DNS_T_A) == NULL);

	/* Nothing but DNS_OK is kept: void answers and failures are asked
	 * again every time. */
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		a = answer_new(other[i], DNS_T_A, NULL);
		a->status = other[i];
		CHECK(dns_cache_put(c, "x.example", DNS_T_A, a) == NULL);
		answer_free(a);
		CHECK(dns_cache_get(c, "x.example", DNS_T_A) == NULL);
	}
	/* TTL 0 is "do not cache". */
	{
		static const char *const z[] = { "A 0 192.0.2.9", NULL };

		a = answer_new(DNS_OK, DNS_T_A, z);
		CHECK(dns_cache_put(c, "z.example", DNS_T_A, a) == NULL);
		answer_free(a);
	}
	dns_cache_stats(c, &st);
	CHECK_INT(st.entries, 1);
	CHECK_INT(st.stored, 1);
	CHECK_INT(st.hits, 1);
	CHECK(st.misses >= 4);
	dns_cache_free(c);
}

static void
test_ttl(void)
{
	struct dns_cache *c = dns_cache_new(0, 60);
	static const char *const chain[] = { "CNAME 10 b.example",
	    "A 300 192.0.2.1", NULL };
	static const char *const longttl[] = { "A 100000 192.0.2.2", NULL };
	const struct dns_answer *h;
	struct dns_answer *a;

	clock_at(T0);
	a = answer_new(DNS_OK, DNS_T_A, one_a);
	dns_cache_drop(dns_cache_put(c, "a.example", DNS_T_A, a));
	answer_free(a);
	/* The chain's smallest TTL counts: the CNAME's 10 s. */
	a = answer_new(DNS_OK, DNS_T_A, chain);
	dns_cache_drop(dns_cache_put(c, "c.example", DNS_T_A, a));
	answer_free(a);
	/* Above max_ttl (60 s here): 60 s. */
	a = answer_new(DNS_OK, DNS_T_A, longttl);
	dns_cache_drop(dns_cache_put(c, "l.example", DNS_T_A, a));
	answer_free(a);

	clock_at(T0 + 10 * SEC - 1);
	CHECK((h = dns_cache_get(c, "c.example", DNS_T_A)) != NULL);
	dns_cache_drop(h);
	clock_at(T0 + 10 * SEC);
	CHECK(dns_cache_get(c, "c.example", DNS_T_A) == NULL);
	clock_at(T0 + 60 * SEC - 1);
	CHECK((h = dns_cache_get(c, "a.example", DNS_T_A)) != NULL);
	dns_cache_drop(h);
	CHECK((h = dns_cache_get(c, "l.example", DNS_T_A)) != NULL);
	dns_cache_drop(h);
	clock_at(T0 + 60 * SEC);
	/* a.example's 300 s are cut to max_ttl as well. */
	CHECK(dns_cache_get(c, "a.example", DNS_T_A) == NULL);
	CHECK(dns_cache_get(c, "l.example", DNS_T_A) == NULL);

	/* An expired entry is replaced by a new answer. */
	a = answer_new(DNS_OK, DNS_T_A, one_a);
	dns_cache_drop(dns_cache_put(c, "a.example", DNS_T_A, a));
	answer_free(a);
	clock_at(T0 + 100 * SEC);
	CHECK((h = dns_cache_get(c, "a.example", DNS_T_A)) != NULL);
	dns_cache_drop(h);
	dns_cache_free(c);
}

static int aux_freed;

static void
aux_free(void *p)
{
	aux_freed++;
	free(p);
}

static void
other_free(void *p)
{
	free(p);
}

static void
test_bound_and_holds(void)
{
	struct dns_cache *c = dns_cache_new(3, 0);
	struct dns_cache_stats st;
	const struct dns_answer *first, *h, *again;
	struct dns_answer *a;
	char name[32];
	int i;

	clock_at(T0);
	aux_freed = 0;
	a = answer_new(DNS_OK, DNS_T_TXT, one_txt);
	first = dns_cache_put(c, "n0.example", DNS_T_TXT, a);
	dns_cache_set_aux(first, xstrdup("parsed"), aux_free);
	CHECK_STR(dns_cache_aux(first, aux_free), "parsed");
	CHECK(dns_cache_aux(first, other_free) == NULL);
	for (i = 1; i < 5; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		dns_cache_drop(dns_cache_put(c, name, DNS_T_TXT, a));
	}
	dns_cache_stats(c, &st);
	CHECK_INT(st.entries, 3);
	CHECK_INT(st.evicted, 2);
	/* n0 and n1 went first; n0 is still held here and intact. */
	CHECK(dns_cache_get(c, "n0.example", DNS_T_TXT) == NULL);
	CHECK(dns_cache_get(c, "n1.example", DNS_T_TXT) == NULL);
	CHECK_STR(first->rr[0]->u.txt.data, "v=spf1 -all");
	CHECK_INT(aux_freed, 0);
	dns_cache_drop(first);
	CHECK_INT(aux_freed, 1);	/* with the last hold */
	CHECK((h = dns_cache_get(c, "n4.example", DNS_T_TXT)) != NULL);

	/* A new answer for a key replaces the old, which a holder keeps. */
	again = dns_cache_put(c, "n4.example", DNS_T_TXT, a);
	CHECK(again != NULL && again != h);
	CHECK_STR(h->rr[0]->u.txt.data, "v=spf1 -all");
	dns_cache_set_aux(again, xstrdup("x"), aux_free);
	dns_cache_set_aux(again, xstrdup("y"), aux_free);
	CHECK_INT(aux_freed, 2);	/* the first attachment went */
	dns_cache_drop(h);
	answer_free(a);

	/* Freeing the cache leaves held answers valid until dropped. */
	dns_cache_free(c);
	CHECK_STR(again->rr[0]->u.txt.data, "v=spf1 -all");
	CHECK_STR(dns_cache_aux(again, aux_free), "y");
	dns_cache_drop(again);
	CHECK_INT(aux_freed, 3);
}

static void
test_deep_copy(void)
{
	struct dns_cache *c = dns_cache_new(0, 0);
	static const char *const mixed[] = { "CNAME 300 t.example",
	    "TXT 300 one", "X 300 rawbytes", "TXT 300 two", NULL };
	const struct dns_answer *h;
	struct dns_answer *a;
	char longname[1200];

	clock_at(T0);
	a = answer_new(DNS_OK, DNS_T_TXT, mixed);
	a->why_bogus = xstrdup("none");
	h = dns_cache_put(c, "m.example", DNS_T_TXT, a);
	a->msg.answer[1].u.txt.data[0] = 'X';
	answer_free(a);
	CHECK(h != NULL && h->nrr == 2 && h->msg.nanswer == 4);
	CHECK(h != NULL && h->rr[0] == &h->msg.answer[1] &&
	    h->rr[1] == &h->msg.answer[3]);
	CHECK_STR(h->rr[0]->u.txt.data, "one");
	CHECK_STR(h->rr[1]->u.txt.data, "two");
	CHECK_STR(h->msg.answer[0].u.target, "t.example");
	CHECK(h->msg.answer[2].u.raw.len == 8 &&
	    memcmp(h->msg.answer[2].u.raw.data, "rawbytes", 8) == 0);
	CHECK_STR(h->why_bogus, "none");
	dns_cache_drop(h);

	/* A name longer than any key: asked, never kept. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	a = answer_new(DNS_OK, DNS_T_A, one_a);
	CHECK(dns_cache_put(c, longname, DNS_T_A, a) == NULL);
	CHECK(dns_cache_get(c, longname, DNS_T_A) == NULL);
	answer_free(a);
	dns_cache_free(c);
}

/* ---- real answers from the resolver ---------------------------------- */

static const char *zone[] = {
	"local-zone: example.net. static",
	"a.example.net. 120 A 192.0.2.1",
	"a.example.net. 120 A 192.0.2.2",
	"a.example.net. 120 TXT \"v=spf1 \" \"-all\"",
	"c.example.net. 60 CNAME a.example.net.",
	"mail.example.net. 120 MX 10 a.example.net.",
	NULL,
};

struct got {
	struct dns_cache	*c;
	const char		*name;
	uint16_t		 type;
	const struct dns_answer	*kept;
	enum dns_status		 status;
	int			 calls;
};

static void
on_answer(void *arg, const struct dns_answer *a)
{
	struct got *g = arg;

	g->calls++;
	g->status = a->status;
	g->kept = dns_cache_put(g->c, g->name, g->type, a);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

static void
ask(struct event_base *base, struct dns *d, struct got *g)
{
	struct timeval tv = { 5, 0 };
	struct event *ev;
	int expired = 0;

	ev = evtimer_new(base, on_timeout, &expired);
	evtimer_add(ev, &tv);
	CHECK(dns_query(d, g->name, g->type, on_answer, g) != NULL);
	while (!expired && g->calls == 0)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
	CHECK_INT(g->calls, 1);
}

static void
test_resolver_answers(void)
{
	struct event_base *base = event_base_new();
	struct dns_params p = { .local_data = zone, .timeout_ms = 2000 };
	struct dns_cache *c = dns_cache_new(0, 0);
	struct got g;
	const struct dns_answer *h;
	struct dns *d;
	char *err = NULL;

	/* A clock that creeps forward (1 us a reading) for the resolver. */
	mtime_set_fake(0, 1);
	d = dns_new(base, &p, &err);
	CHECK(d != NULL);
	if (d == NULL) {
		free(err);
		dns_cache_free(c);
		event_base_free(base);
		return;
	}
	memset(&g, 0, sizeof(g));
	g.c = c;
	g.name = "c.example.net";
	g.type = DNS_T_A;
	ask(base, d, &g);
	CHECK_INT(g.status, DNS_OK);
	CHECK(g.kept != NULL && g.kept->nrr == 2);
	CHECK_STR(g.kept != NULL ? g.kept->canonical : NULL, "a.example.net");
	dns_cache_drop(g.kept);
	h = dns_cache_get(c, "C.Example.Net", DNS_T_A);
	CHECK(h != NULL && h->nrr == 2 && h->rr[0]->type == DNS_T_A &&
	    h->rr[1]->type == DNS_T_A);
	dns_cache_drop(h);

	memset(&g, 0, sizeof(g));
	g.c = c;
	g.name = "a.example.net";
	g.type = DNS_T_TXT;
	ask(base, d, &g);
	CHECK(g.kept != NULL && g.kept->nrr == 1 &&
	    g.kept->rr[0]->u.txt.nstrings == 2);
	CHECK_STR(g.kept != NULL ? g.kept->rr[0]->u.txt.data : NULL,
	    "v=spf1 -all");
	dns_cache_drop(g.kept);

	/* NXDOMAIN from the static zone: answered, not kept. */
	memset(&g, 0, sizeof(g));
	g.c = c;
	g.name = "nx.example.net";
	g.type = DNS_T_A;
	ask(base, d, &g);
	CHECK_INT(g.status, DNS_NXDOMAIN);
	CHECK(g.kept == NULL);
	CHECK(dns_cache_get(c, "nx.example.net", DNS_T_A) == NULL);

	dns_free(d);
	dns_cache_free(c);
	event_base_free(base);
}

void
run_tests(void)
{
	test_keeps_positive_only();
	test_ttl();
	test_bound_and_holds();
	test_deep_copy();
	test_resolver_answers();
}
