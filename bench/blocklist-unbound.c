/*
 * bench/blocklist-unbound.c - libunbound alone: the ceiling of a bulk
 * blocklist check made through it.
 *
 *   blocklist-unbound SERVER@PORT NAMES_FILE [IN_FLIGHT]
 *
 * Resolves the A record of every name of NAMES_FILE (the first word of
 * each line: dnsperf's query file) through one libunbound context on a
 * libevent loop, forwarding to SERVER@PORT, at most IN_FLIGHT (default
 * 1024) at once, with the options mxdoc's resolver sets when it does not
 * validate (src/dns/resolver.c). Nothing else: no result kept, no report.
 * Prints one line: "N queries S s Q q/s user U sys Y". What mxdoc does
 * on top of this is its own cost; what this costs is libunbound's (a new
 * UDP socket a query for port randomisation, its mesh and caches, and
 * a random id and port from nettle's Yarrow). Used by bench/blocklist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/event.h>
#include <unbound-event.h>
#include <unbound.h>

#define NAMES_MAX	2000000
#define NAME_LEN	256

static struct ub_ctx *ctx;
static struct event_base *base;
static char (*names)[NAME_LEN];
static int nnames, sent, done, failed;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_answer(void *arg, int rcode, void *pkt, int len, int sec,
    char *why_bogus, int was_ratelimited);

static void
send_next(void)
{
	int id;

	if (ub_resolve_event(ctx, names[sent++], 1, 1, NULL, on_answer,
	    &id) != 0)
		failed++;
}

static void
on_answer(void *arg, int rcode, void *pkt, int len, int sec,
    char *why_bogus, int was_ratelimited)
{
	(void)arg; (void)pkt; (void)len; (void)sec; (void)why_bogus;
	(void)was_ratelimited;
	if (rcode != 0 && rcode != 3)
		failed++;
	if (sent < nnames)
		send_next();
	if (++done == nnames)
		event_base_loopbreak(base);
}

int
main(int argc, char **argv)
{
	static const char *const opts[][2] = {
		{ "do-not-query-localhost:", "no" },
		{ "qname-minimisation:", "no" },
		{ "unblock-lan-zones:", "yes" },
		{ "insecure-lan-zones:", "yes" },
		{ "outgoing-range:", "1024" },
		{ "num-queries-per-thread:", "1024" },
		{ "module-config:", "iterator" },
		{ "harden-below-nxdomain:", "no" },
	};
	char line[1024];
	struct rusage ru;
	double t0, t1;
	size_t i;
	int inflight = argc > 3 ? atoi(argv[3]) : 1024, cap = 0;
	FILE *f;

	if (argc < 3 || inflight < 1) {
		fprintf(stderr, "usage: %s SERVER@PORT NAMES_FILE [IN_FLIGHT]\n",
		    argv[0]);
		return 2;
	}
	if ((f = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		return 2;
	}
	while (nnames < NAMES_MAX && fgets(line, sizeof(line), f) != NULL) {
		size_t n = strcspn(line, " \t\r\n");

		if (n == 0 || n >= NAME_LEN)
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((names = realloc(names, (size_t)cap * NAME_LEN)) ==
			    NULL)
				return 3;
		}
		memcpy(names[nnames], line, n);
		names[nnames++][n] = '\0';
	}
	fclose(f);
	if (nnames == 0)
		return 2;
	base = event_base_new();
	ctx = ub_ctx_create_event(base);
	if (base == NULL || ctx == NULL)
		return 3;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (ub_ctx_set_option(ctx, opts[i][0], opts[i][1]) != 0) {
			fprintf(stderr, "option %s refused\n", opts[i][0]);
			return 3;
		}
	if (ub_ctx_set_fwd(ctx, argv[1]) != 0) {
		fprintf(stderr, "bad server %s\n", argv[1]);
		return 2;
	}
	t0 = now_s();
	while (sent < nnames && sent < inflight)
		send_next();
	event_base_dispatch(base);
	t1 = now_s();
	getrusage(RUSAGE_SELF, &ru);
	printf("%d queries %.3f s %.0f q/s user %.2f sys %.2f failed %d\n",
	    done, t1 - t0, done / (t1 - t0),
	    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, failed);
	ub_ctx_delete(ctx);
	event_base_free(base);
	free(names);
	return 0;
}
