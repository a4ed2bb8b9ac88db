/*
 * test_spf_cache.c - check_host() with an answer cache (spf_params.cache)
 * and without a trace (no_trace): the same evaluations as without them,
 * compared field by field (result, reason, explanation, lookup and void
 * counts, every step and check), the cache cold and warm, one at a time
 * and many at once on one cache. Timeouts stay temperror with every
 * record cached, answers expire with their TTL, a start never calls back
 * from inside itself, and a cancel with cached answers pending leaves
 * nothing behind (ASan). Answers come from libunbound's local data; the
 * timeouts from a loopback UDP socket that never replies.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth/spf.h"
#include "auth/spf_eval.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "dns/dns_cache.h"
#include "dns/resolver.h"
#include "harness.h"

static struct event_base *base;
static int callbacks;

struct slotres {
	struct spf_outcome	*o;
};

static void
on_done(void *arg, struct spf_outcome *o)
{
	struct slotres *r = arg;

	r->o = o;
	callbacks++;
}

static void
on_expire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Runs the loop until every r[i].o is set or ms pass. */
static void
wait_all(struct slotres *r, size_t n, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int expired = 0;
	struct event *ev = evtimer_new(base, on_expire, &expired);
	size_t i;

	evtimer_add(ev, &tv);
	for (;;) {
		for (i = 0; i < n && r[i].o != NULL; i++)
			;
		if (i == n || expired)
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(ev);
}

struct tcase {
	const char	*domain, *ip, *sender, *helo;
};

static struct spf_eval *
start(struct dns *d, struct dns_cache *c, bool no_trace,
    const struct tcase *t, struct slotres *r)
{
	struct spf_params p = { .dns = d, .ip = t->ip, .sender = t->sender,
	    .helo = t->helo, .domain = t->domain, .receiver = "mx.example.org",
	    .cache = c, .no_trace = no_trace };
	struct spf_eval *e;
	char *err = NULL;
	int before = callbacks;

	r->o = NULL;
	e = spf_eval_start(base, &p, on_done, r, &err);
	if (e == NULL) {
		fprintf(stderr, "  spf_eval_start: %s\n", err);
		free(err);
	}
	/* Never from inside the start, cached answers or not. */
	CHECK_INT(callbacks, before);
	return e;
}

static struct spf_outcome *
evaluate(struct dns *d, struct dns_cache *c, bool no_trace,
    const struct tcase *t)
{
	struct slotres r = { NULL };
	struct spf_eval *e = start(d, c, no_trace, t, &r);

	if (e == NULL)
		return NULL;
	wait_all(&r, 1, 15000);
	if (r.o == NULL)
		spf_eval_cancel(e);
	return r.o;
}

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
cmp_part(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Details are "; "-joined notes, and the notes of parallel queries (the
 * addresses of MX names) come in the order the answers do, with or
 * without a cache: compared as sets of notes. */
static bool
same_detail(const char *a, const char *b)
{
	char *x, *y, *px[64], *py[64], *p;
	int nx = 0, ny = 0, i;
	bool same;

	if (a == NULL || b == NULL)
		return a == b;
	x = xstrdup(a);
	y = xstrdup(b);
	for (p = x; p != NULL && nx < 64; nx++) {
		px[nx] = p;
		if ((p = strstr(p, "; ")) != NULL) {
			*p = '\0';
			p += 2;
		}
	}
	for (p = y; p != NULL && ny < 64; ny++) {
		py[ny] = p;
		if ((p = strstr(p, "; ")) != NULL) {
			*p = '\0';
			p += 2;
		}
	}
	qsort(px, (size_t)nx, sizeof(px[0]), cmp_part);
	qsort(py, (size_t)ny, sizeof(py[0]), cmp_part);
	same = nx == ny;
	for (i = 0; same && i < nx; i++)
		same = strcmp(px[i], py[i]) == 0;
	free(x);
	free(y);
	return same;
}

/* Everything but the duration; with strings false, only what no_trace
 * keeps. Prints the first difference. */
static bool
same_outcome(const struct spf_outcome *a, const struct spf_outcome *b,
    bool strings, const char *what)
{
	int i;

#define DIFF(cond, field) do { if (!(cond)) {				\
	fprintf(stderr, "  %s %s: %s differs\n", what, a->domain, field);	\
	return false; } } while (0)
	DIFF(a->result == b->result, "result");
	DIFF(same_str(a->reason, b->reason), "reason");
	DIFF(same_str(a->explanation, b->explanation), "explanation");
	DIFF(same_str(a->domain, b->domain), "domain");
	DIFF(same_str(a->ip, b->ip), "ip");
	DIFF(same_str(a->sender, b->sender), "sender");
	DIFF(same_str(a->helo, b->helo), "helo");
	DIFF(same_str(a->record, b->record), "record");
	DIFF(a->lookups == b->lookups, "lookups");
	DIFF(a->void_lookups == b->void_lookups, "void_lookups");
	DIFF(a->match_step == b->match_step, "match_step");
	DIFF(a->ncheck == b->ncheck, "ncheck");
	DIFF(a->nstep == b->nstep, "nstep");
	for (i = 0; i < a->ncheck; i++) {
		const struct spf_check *x = &a->check[i], *y = &b->check[i];

		DIFF(x->parent == y->parent && x->parent_step ==
		    y->parent_step && x->via == y->via && x->depth == y->depth &&
		    x->result == y->result && x->dns_terms == y->dns_terms,
		    "a check");
		DIFF(same_str(x->domain, y->domain) && same_str(x->error,
		    y->error), "a check's domain or error");
		if (strings)
			DIFF(same_str(x->record, y->record), "a check's record");
	}
	for (i = 0; i < a->nstep; i++) {
		const struct spf_step *x = &a->step[i], *y = &b->step[i];

		DIFF(x->kind == y->kind && x->check == y->check &&
		    x->depth == y->depth && x->matched == y->matched &&
		    x->result == y->result && x->counted == y->counted &&
		    x->lookups == y->lookups && x->void_lookups ==
		    y->void_lookups, "a step");
		if (!strings)
			continue;
		DIFF(same_str(x->domain, y->domain), "a step's domain");
		DIFF(same_str(x->term, y->term), "a step's term");
		DIFF(same_str(x->target, y->target), "a step's target");
		if (!same_detail(x->detail, y->detail))
			fprintf(stderr, "  step %d: '%s' / '%s'\n", i,
			    x->detail ? x->detail : "", y->detail ?
			    y->detail : "");
		DIFF(same_detail(x->detail, y->detail), "a step's detail");
	}
#undef DIFF
	return true;
}

static const char *zone[] = {
	"local-zone: example.net. static",
	"pass.example.net. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"",
	"a.example.net. A 192.0.2.10",
	"a.example.net. AAAA 2001:db8::10",
	"a.example.net. TXT \"v=spf1 a -all\"",
	"b.example.net. A 192.0.2.20",
	"mx.example.net. MX 10 a.example.net.",
	"mx.example.net. MX 20 b.example.net.",
	"mx.example.net. MX 30 gone.example.net.",
	"mx.example.net. TXT \"v=spf1 mx ~all\"",
	"inc.example.net. TXT \"v=spf1 include:pass.example.net "
	    "include:a.example.net ?all\"",
	"twice.example.net. TXT \"v=spf1 a:a.example.net a:a.example.net "
	    "mx:mx.example.net include:a.example.net -all\"",
	"loop.example.net. TXT \"v=spf1 include:loop.example.net -all\"",
	"void.example.net. TXT \"v=spf1 a:x1.example.net "
	    "a:x2.example.net a:x1.example.net -all\"",
	"void2.example.net. TXT \"v=spf1 a:x1.example.net a:x1.example.net "
	    "?all\"",
	"exp.example.net. TXT \"v=spf1 -all exp=why.example.net\"",
	"why.example.net. TXT \"%{i} is not one of %{d}'s senders, %{l}\"",
	"r2.example.net. TXT \"v=spf1 exp=no.example.net "
	    "redirect=exp.example.net\"",
	"no.example.net. TXT \"wrong explanation\"",
	"10.2.0.192.in-addr.arpa. PTR a.example.net.",
	"10.2.0.192.in-addr.arpa. PTR b.example.net.",
	"ptr.example.net. TXT \"v=spf1 ptr:example.net -all\"",
	"pm.example.net. TXT \"v=spf1 exists:%{p}.ok.example.net "
	    "exists:%{ir}.%{l}.x.example.net -all\"",
	"a.example.net.ok.example.net. A 127.0.0.2",
	"mac.example.net. TXT \"v=spf1 a:%{l}.example.net "
	    "a:%{d2}.x.example.net -all\"",
	"joe.example.net. A 192.0.2.30",
	"two.example.net. TXT \"v=spf1 -all\"",
	"two.example.net. TXT \"v=spf1 +all\"",
	"bad.example.net. TXT \"v=spf1 a:museum -all\"",
	"cname.example.net. CNAME a.example.net.",
	"viacname.example.net. TXT \"v=spf1 a:cname.example.net -all\"",
	"slow.example.net. TXT \"v=spf1 a:x.slow.example.org -all\"",
	"slowinc.example.net. TXT \"v=spf1 ip4:198.51.100.0/24 "
	    "include:slow.example.net -all\"",
	NULL,
};

static const struct tcase cases[] = {
	{ "pass.example.net", "192.0.2.77", NULL, NULL },
	{ "pass.example.net", "198.51.100.1", NULL, NULL },
	{ "a.example.net", "192.0.2.10", NULL, NULL },
	{ "a.example.net", "2001:db8::10", NULL, NULL },
	{ "mx.example.net", "192.0.2.20", NULL, NULL },
	{ "mx.example.net", "192.0.2.11", NULL, NULL },
	{ "inc.example.net", "198.51.100.1", NULL, NULL },
	{ "twice.example.net", "198.51.100.1", NULL, NULL },
	{ "loop.example.net", "192.0.2.1", NULL, NULL },
	{ "void.example.net", "198.51.100.1", NULL, NULL },
	{ "void2.example.net", "198.51.100.1", NULL, NULL },
	{ "exp.example.net", "192.0.2.99", "joe@exp.example.net", NULL },
	{ "r2.example.net", "192.0.2.99", "@r2.example.net", NULL },
	{ "ptr.example.net", "192.0.2.10", NULL, NULL },
	{ "ptr.example.net", "192.0.2.11", NULL, NULL },
	{ "pm.example.net", "192.0.2.10", "joe@pm.example.net", NULL },
	{ "mac.example.net", "192.0.2.30", "joe@mac.example.net", NULL },
	{ "mac.example.net", "192.0.2.31", "ann@mac.example.net", NULL },
	{ "two.example.net", "192.0.2.1", NULL, NULL },
	{ "bad.example.net", "192.0.2.1", NULL, NULL },
	{ "nowhere.example.net", "192.0.2.1", NULL, NULL },
	{ "viacname.example.net", "192.0.2.10", NULL, NULL },
	{ NULL, "192.0.2.1", "", "pass.example.net" },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static struct dns *
resolver(const char *silent)
{
	const char *servers[2] = { silent, NULL };
	struct dns_params dp = { .local_data = zone, .timeout_ms = 300,
	    .servers = silent != NULL ? servers : NULL };
	char *err = NULL;
	struct dns *d = dns_new(base, &dp, &err);

	if (d == NULL) {
		fprintf(stderr, "  dns_new: %s\n", err);
		free(err);
	}
	return d;
}

/* Cold, warm, and without a trace: all as without a cache. */
static void
test_same_outcomes(struct dns *d)
{
	struct spf_outcome *ref[NCASES], *o;
	struct dns_cache *c = dns_cache_new(0, 0);
	struct dns_cache_stats st;
	size_t i;
	int pass;

	for (i = 0; i < NCASES; i++) {
		ref[i] = evaluate(d, NULL, false, &cases[i]);
		CHECK(ref[i] != NULL);
	}
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < NCASES; i++) {
			if (ref[i] == NULL)
				continue;
			o = evaluate(d, c, pass == 2, &cases[i]);
			CHECK(o != NULL);
			if (o == NULL)
				continue;
			CHECK(same_outcome(ref[i], o, pass < 2, pass == 0 ?
			    "cold" : pass == 1 ? "warm" : "no_trace"));
			if (pass == 2) {
				int k;
				bool none = true;

				for (k = 0; k < o->nstep; k++)
					none = none && o->step[k].detail ==
					    NULL && o->step[k].term == NULL;
				CHECK(none);
			}
			spf_outcome_free(o);
		}
	dns_cache_stats(c, &st);
	CHECK(st.hits > st.misses);
	CHECK(st.stored > 10);
	/* The results the RFC wants, so the comparison means something. */
	CHECK_INT(ref[0] ? ref[0]->result : (enum spf_result)99, SPF_PASS);
	CHECK_INT(ref[4] ? ref[4]->result : (enum spf_result)99, SPF_PASS);
	CHECK_INT(ref[5] ? ref[5]->result : (enum spf_result)99, SPF_SOFTFAIL);
	CHECK_INT(ref[8] ? ref[8]->lookups : -1, 11);
	CHECK_INT(ref[9] ? ref[9]->result : (enum spf_result)99, SPF_PERMERROR);
	CHECK_INT(ref[9] ? ref[9]->void_lookups : -1, 3);
	CHECK_INT(ref[10] ? ref[10]->result : (enum spf_result)99, SPF_NEUTRAL);
	CHECK_INT(ref[10] ? ref[10]->void_lookups : -1, 2);
	CHECK_STR(ref[11] ? ref[11]->explanation : NULL, "192.0.2.99 is not "
	    "one of exp.example.net's senders, joe");
	CHECK_INT(ref[16] ? ref[16]->result : (enum spf_result)99, SPF_PASS);
	CHECK_INT(ref[17] ? ref[17]->result : (enum spf_result)99, SPF_FAIL);
	for (i = 0; i < NCASES; i++)
		spf_outcome_free(ref[i]);
	dns_cache_free(c);
}

/* Many evaluations at once on one cold cache: answers kept while others
 * hold them, the same name asked by several before its answer is in. */
static void
test_concurrent(struct dns *d)
{
	enum { N = 3 * NCASES };
	struct slotres r[N];
	struct spf_eval *e[N];
	struct spf_outcome *ref[NCASES];
	struct dns_cache *c = dns_cache_new(8, 0);	/* and evicting */
	size_t i;

	for (i = 0; i < NCASES; i++)
		ref[i] = evaluate(d, NULL, false, &cases[i]);
	for (i = 0; i < N; i++)
		e[i] = start(d, c, i % 2 == 1, &cases[i % NCASES], &r[i]);
	wait_all(r, N, 20000);
	for (i = 0; i < N; i++) {
		CHECK(r[i].o != NULL);
		if (r[i].o == NULL) {
			spf_eval_cancel(e[i]);
			continue;
		}
		if (ref[i % NCASES] != NULL)
			CHECK(same_outcome(ref[i % NCASES], r[i].o, i % 2 == 0,
			    "concurrent"));
		spf_outcome_free(r[i].o);
	}
	for (i = 0; i < NCASES; i++)
		spf_outcome_free(ref[i]);
	dns_cache_free(c);
}

/* A cancel between the start and its first event, the cache warm: no
 * callback, nothing left behind; the cache serves the next one. */
static void
test_cancel(struct dns *d)
{
	struct dns_cache *c = dns_cache_new(0, 0);
	struct slotres r = { NULL };
	struct spf_outcome *o;
	struct spf_eval *e;
	int before;

	o = evaluate(d, c, false, &cases[4]);	/* mx: three names */
	CHECK(o != NULL);
	spf_outcome_free(o);
	before = callbacks;
	e = start(d, c, false, &cases[4], &r);
	CHECK(e != NULL);
	spf_eval_cancel(e);
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_INT(callbacks, before);
	o = evaluate(d, c, false, &cases[4]);
	CHECK(o != NULL && o->result == SPF_PASS);
	spf_outcome_free(o);
	dns_cache_free(c);
}

/* A UDP socket on loopback that receives queries and never answers. */
static int
silent_server(char addr[64])
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	snprintf(addr, 64, "127.0.0.1@%u", ntohs(sin.sin_port));
	return fd;
}

/* Every record cached, the timeout still a temperror, each time. */
static void
test_timeouts(void)
{
	static const struct tcase slow[] = {
		{ "slow.example.net", "192.0.2.1", NULL, NULL },
		{ "slowinc.example.net", "192.0.2.1", NULL, NULL },
		{ "slowinc.example.net", "198.51.100.7", NULL, NULL },
	};
	struct dns_cache *c = dns_cache_new(0, 0);
	struct spf_outcome *o;
	struct dns *d;
	char addr[64];
	size_t i;
	int fd = silent_server(addr), pass;

	CHECK(fd != -1);
	if (fd == -1)
		goto out;
	d = resolver(addr);
	CHECK(d != NULL);
	if (d == NULL)
		goto out;
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
			o = evaluate(d, c, pass == 2, &slow[i]);
			CHECK(o != NULL);
			if (o == NULL)
				continue;
			CHECK_INT(o->result, i == 2 ? SPF_PASS : SPF_TEMPERROR);
			if (i != 2)
				CHECK(o->reason != NULL &&
				    strstr(o->reason, "timeout") != NULL);
			spf_outcome_free(o);
		}
	{
		const struct dns_answer *a;

		/* The records are kept; the name that timed out is not. */
		a = dns_cache_get(c, "slow.example.net", DNS_T_TXT);
		CHECK(a != NULL);
		dns_cache_drop(a);
		CHECK(dns_cache_get(c, "x.slow.example.org", DNS_T_A) == NULL);
	}
	dns_free(d);
out:
	if (fd != -1)
		close(fd);
	dns_cache_free(c);
}

/* The evaluation's deadline (4.6.4) ends it when the resolver would wait
 * longer, the records cached or not; its timer starts with the first
 * query sent but counts from the start. */
static void
test_deadline(void)
{
	static const struct tcase t = { "slow.example.net", "192.0.2.1",
	    NULL, NULL };
	const char *servers[2] = { NULL, NULL };
	struct dns_params dp = { .local_data = zone, .timeout_ms = 10000,
	    .servers = servers };
	struct dns_cache *c = dns_cache_new(0, 0);
	struct spf_params p;
	struct slotres r;
	struct spf_eval *e;
	struct dns *d;
	char addr[64], *err = NULL;
	int fd = silent_server(addr), pass, before;
	int64_t t0, ms;

	CHECK(fd != -1);
	if (fd == -1)
		goto out;
	servers[0] = addr;
	d = dns_new(base, &dp, &err);
	CHECK(d != NULL);
	if (d == NULL) {
		free(err);
		goto out;
	}
	for (pass = 0; pass < 2; pass++) {
		memset(&p, 0, sizeof(p));
		p.dns = d;
		p.ip = t.ip;
		p.domain = t.domain;
		p.cache = c;
		p.deadline_ms = 400;
		r.o = NULL;
		before = callbacks;
		t0 = mtime_mono_us();
		e = spf_eval_start(base, &p, on_done, &r, &err);
		CHECK(e != NULL);
		CHECK_INT(callbacks, before);
		if (e == NULL)
			break;
		wait_all(&r, 1, 9000);
		ms = (mtime_mono_us() - t0) / 1000;
		CHECK(r.o != NULL);
		if (r.o == NULL) {
			spf_eval_cancel(e);
			break;
		}
		CHECK_INT(r.o->result, SPF_TEMPERROR);
		CHECK(r.o->reason != NULL &&
		    strstr(r.o->reason, "longer than 400 ms") != NULL);
		/* Well before the resolver's 10 s; a little slack below 400
		 * for libevent's cached clock, much above for a loaded
		 * machine. */
		if (ms < 350 || ms >= 8000)
			fprintf(stderr, "  deadline after %lld ms\n", (long long)ms);
		CHECK(ms >= 350 && ms < 8000);
		spf_outcome_free(r.o);
	}
	dns_free(d);
out:
	if (fd != -1)
		close(fd);
	dns_cache_free(c);
}

/* Past the TTL the evaluation asks again. On a fake clock (mtime), which
 * the cache reads and libevent's timers do not: run last, it stays. */
static void
test_ttl(void)
{
	static const char *short_zone[] = {
		"local-zone: example.com. static",
		"s.example.com. 300 IN TXT \"v=spf1 a:h.example.com -all\"",
		"h.example.com. 300 IN A 192.0.2.1",
		NULL,
	};
	static const struct tcase t = { "s.example.com", "192.0.2.1", NULL,
	    NULL };
	struct dns_params dp = { .local_data = short_zone, .timeout_ms = 2000 };
	struct dns_cache *c = dns_cache_new(0, 0);
	struct dns_cache_stats s1, s2, s3;
	struct spf_outcome *o;
	struct dns *d;
	char *err = NULL;

	d = dns_new(base, &dp, &err);
	CHECK(d != NULL);
	if (d == NULL) {
		free(err);
		dns_cache_free(c);
		return;
	}
	mtime_set_fake((int64_t)1000000 * 1000000, 0);
	o = evaluate(d, c, false, &t);
	CHECK(o != NULL && o->result == SPF_PASS);
	spf_outcome_free(o);
	dns_cache_stats(c, &s1);
	o = evaluate(d, c, false, &t);
	CHECK(o != NULL && o->result == SPF_PASS);
	spf_outcome_free(o);
	dns_cache_stats(c, &s2);
	/* Within the TTL: both answers from the cache. */
	CHECK_INT(s2.hits - s1.hits, 2);
	CHECK_INT(s2.stored, s1.stored);
	mtime_set_fake((int64_t)1000000 * 1000000 + (int64_t)299 * 1000000, 0);
	o = evaluate(d, c, false, &t);
	CHECK(o != NULL && o->result == SPF_PASS);
	spf_outcome_free(o);
	dns_cache_stats(c, &s2);
	CHECK_INT(s2.hits - s1.hits, 4);
	mtime_set_fake((int64_t)1000000 * 1000000 + (int64_t)300 * 1000000, 0);
	o = evaluate(d, c, false, &t);
	CHECK(o != NULL && o->result == SPF_PASS);
	spf_outcome_free(o);
	dns_cache_stats(c, &s3);
	/* Past it: asked again, and kept again. */
	CHECK_INT(s3.hits, s2.hits);
	CHECK_INT(s3.stored, s2.stored + 2);
	dns_free(d);
	dns_cache_free(c);
}

void
run_tests(void)
{
	struct dns *d;

	base = event_base_new();
	d = resolver(NULL);
	CHECK(d != NULL);
	if (d != NULL) {
		test_same_outcomes(d);
		test_concurrent(d);
		test_cancel(d);
		dns_free(d);
	}
	test_timeouts();
	test_deadline();
	test_ttl();
	event_base_free(base);
}
