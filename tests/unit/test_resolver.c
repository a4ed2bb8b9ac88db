/*
 * test_resolver.c - the resolver on libunbound with no network: answers
 * come from libunbound's own local data (the dns_params test seam), the
 * timeout from a loopback UDP socket that never replies. The rcodes only a
 * real server gives (REFUSED) and forwarding are checked against an
 * unbound daemon on loopback when /usr/sbin/unbound exists; without it
 * that part is skipped, not failed.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/mtime.h"
#include "dns/resolver.h"

#define UNBOUND_BIN	"/usr/sbin/unbound"

static struct event_base *base;

struct res {
	int		 calls;
	enum dns_status	 status;
	enum dns_sec	 sec;
	int		 rcode;
	int		 nrr;
	const char	*error;
	char		 canonical[DNS_NAME_MAX];
	char		 first[DNS_NAME_MAX + 16];	/* first record, as text */
	double		 ms;
	int64_t		 at_us;
};

static int in_dns_query;	/* set around dns_query: no callback then */
static int called_inside;

static void
record(void *arg, const struct dns_answer *a)
{
	struct res *r = arg;
	const struct dns_rr *rr;

	if (in_dns_query)
		called_inside++;
	r->calls++;
	r->status = a->status;
	r->sec = a->sec;
	r->rcode = a->rcode;
	r->nrr = a->nrr;
	r->error = a->error;
	r->ms = a->duration_ms;
	r->at_us = mtime_mono_us();
	snprintf(r->canonical, sizeof(r->canonical), "%s",
	    a->canonical != NULL ? a->canonical : "(null)");
	r->first[0] = '\0';
	if (a->nrr == 0)
		return;
	rr = a->rr[0];
	switch (rr->type) {
	case DNS_T_A:
		inet_ntop(AF_INET, &rr->u.a, r->first, sizeof(r->first));
		break;
	case DNS_T_AAAA:
		inet_ntop(AF_INET6, &rr->u.aaaa, r->first, sizeof(r->first));
		break;
	case DNS_T_MX:
		snprintf(r->first, sizeof(r->first), "%u %s", rr->u.mx.pref,
		    rr->u.mx.host);
		break;
	case DNS_T_TXT:
		snprintf(r->first, sizeof(r->first), "%d:%s",
		    rr->u.txt.nstrings, rr->u.txt.data);
		break;
	case DNS_T_CNAME:
	case DNS_T_PTR:
		snprintf(r->first, sizeof(r->first), "%s", rr->u.target);
		break;
	}
}

static struct dns_query *
query(struct dns *d, const char *name, uint16_t type, struct res *r)
{
	struct dns_query *q;

	in_dns_query = 1;
	q = dns_query(d, name, type, record, r);
	in_dns_query = 0;
	return q;
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Runs the loop until *count reaches want or ms pass; with want < 0 it
 * runs for the whole ms. */
static void
run(const int *count, int want, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int expired = 0;
	struct event *ev = evtimer_new(base, on_deadline, &expired);

	evtimer_add(ev, &tv);
	while (!expired && (want < 0 || *count < want))
		event_base_loop(base, EVLOOP_ONCE);
	event_free(ev);
}

static const char *zone[] = {
	"local-zone: example.net. static",
	"example.net. 3600 IN SOA ns.example.net. host.example.net. 1 3600 600 86400 300",
	"a.example.net. A 192.0.2.1",
	"two.example.net. A 192.0.2.2",
	"two.example.net. A 192.0.2.3",
	"a.example.net. TXT \"v=spf1 \" \"-all\"",
	"c.example.net. CNAME a.example.net.",
	"c2.example.net. CNAME C.Example.NET.",
	"loop1.example.net. CNAME loop2.example.net.",
	"loop2.example.net. CNAME loop1.example.net.",
	"null.example.net. MX 0 .",
	"mail.example.net. MX 10 mx1.example.net.",
	"1.2.0.192.in-addr.arpa. PTR a.example.net.",
	NULL,
};

static struct dns *
local_resolver(void)
{
	struct dns_params p = { .local_data = zone, .timeout_ms = 2000 };
	char *err = NULL;
	struct dns *d = dns_new(base, &p, &err);

	if (d == NULL) {
		fprintf(stderr, "dns_new: %s\n", err);
		free(err);
	}
	return d;
}

static void
test_local_answers(void)
{
	static const struct {
		const char	*name;
		uint16_t	 type;
		enum dns_status	 status;
		int		 nrr;
		const char	*canonical;
		const char	*first;
	} cases[] = {
		{ "a.example.net", DNS_T_A, DNS_OK, 1, "a.example.net",
		  "192.0.2.1" },
		{ "A.Example.Net.", DNS_T_A, DNS_OK, 1, "a.example.net",
		  "192.0.2.1" },
		{ "a.example.net", DNS_T_AAAA, DNS_NODATA, 0, "a.example.net",
		  "" },
		{ "nope.example.net", DNS_T_A, DNS_NXDOMAIN, 0,
		  "nope.example.net", "" },
		{ "a.example.net", DNS_T_TXT, DNS_OK, 1, "a.example.net",
		  "2:v=spf1 -all" },
		{ "c.example.net", DNS_T_A, DNS_OK, 1, "a.example.net",
		  "192.0.2.1" },
		{ "c2.example.net", DNS_T_A, DNS_OK, 1, "a.example.net",
		  "192.0.2.1" },
		{ "two.example.net", DNS_T_A, DNS_OK, 2, "two.example.net",
		  NULL },
		{ "c2.example.net", DNS_T_CNAME, DNS_OK, 1, "c2.example.net",
		  "c.example.net" },
		{ "c2.example.net", DNS_T_MX, DNS_NODATA, 0, "a.example.net",
		  "" },
		{ "loop1.example.net", DNS_T_A, DNS_NODATA, 0, NULL, "" },
		{ "null.example.net", DNS_T_MX, DNS_OK, 1, "null.example.net",
		  "0 " },
		{ "mail.example.net", DNS_T_MX, DNS_OK, 1, "mail.example.net",
		  "10 mx1.example.net" },
		{ "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK, 1,
		  "1.2.0.192.in-addr.arpa", "a.example.net" },
		{ "bad..name", DNS_T_A, DNS_ERROR, 0, NULL, "" },
		{ "", DNS_T_A, DNS_ERROR, 0, NULL, "" },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct res r[N];
	struct dns *d = local_resolver();
	int i, total = 0;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	memset(r, 0, sizeof(r));
	called_inside = 0;
	/* All at once: they share the loop like real work does. */
	for (i = 0; i < N; i++)
		CHECK(query(d, cases[i].name, cases[i].type, &r[i]) != NULL);
	CHECK_INT(called_inside, 0);
	for (i = 0; i < 50 && total < N; i++) {
		int j;

		run(&total, N, 100);
		for (total = 0, j = 0; j < N; j++)
			total += r[j].calls;
	}
	for (i = 0; i < N; i++) {
		CHECK_INT(r[i].calls, 1);
		if (r[i].status != cases[i].status)
			fprintf(stderr, "case %d: %s %s\n", i, cases[i].name,
			    dns_status_name(r[i].status));
		CHECK_INT(r[i].status, cases[i].status);
		CHECK_INT(r[i].nrr, cases[i].nrr);
		CHECK_INT(r[i].sec, DNS_SEC_UNCHECKED);
		if (cases[i].canonical != NULL)
			CHECK_STR(r[i].canonical, cases[i].canonical);
		if (cases[i].first != NULL)
			CHECK_STR(r[i].first, cases[i].first);
	}
	CHECK_INT(r[3].rcode, 3);
	CHECK_INT(r[2].rcode, 0);
	CHECK_STR(r[14].error, "invalid domain name");
	CHECK_INT(r[14].rcode, -1);
	dns_free(d);
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

static struct dns *
forwarding_resolver(const char *server, int timeout_ms)
{
	const char *servers[] = { server, NULL };
	struct dns_params p = { .servers = servers, .timeout_ms = timeout_ms };
	char *err = NULL;
	struct dns *d = dns_new(base, &p, &err);

	if (d == NULL) {
		fprintf(stderr, "dns_new: %s\n", err);
		free(err);
	}
	return d;
}

static void
test_timeout_and_cancel(void)
{
	struct res r1, r2, r3, r4;
	struct dns_query *q;
	struct dns *d;
	char addr[64];
	int64_t t0;
	int fd = silent_server(addr);

	CHECK(fd != -1);
	if (fd == -1)
		return;
	d = forwarding_resolver(addr, 300);
	CHECK(d != NULL);
	if (d == NULL) {
		close(fd);
		return;
	}
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	memset(&r4, 0, sizeof(r4));
	t0 = mtime_mono_us();
	CHECK(query(d, "slow.example.org", DNS_T_MX, &r1) != NULL);
	q = query(d, "cancelled.example.org", DNS_T_A, &r2);
	CHECK(q != NULL);
	dns_cancel(q);
	run(&r1.calls, 1, 3000);
	CHECK_INT(r1.calls, 1);
	CHECK_INT(r1.status, DNS_TIMEOUT);
	CHECK_INT(r1.rcode, -1);
	CHECK_STR(dns_status_name(r1.status), "timeout");
	/* On time: not before 300 ms, not libunbound's own retry schedule. */
	CHECK(r1.at_us - t0 >= 290 * 1000);
	CHECK(r1.at_us - t0 < 800 * 1000);
	CHECK(r1.ms >= 290.0 && r1.ms < 800.0);
	/* Nothing late: libunbound's query was cancelled. */
	run(NULL, -1, 700);
	CHECK_INT(r1.calls, 1);
	CHECK_INT(r2.calls, 0);

	/* dns_free with queries in flight: no callback, no leak. */
	CHECK(query(d, "freed1.example.org", DNS_T_A, &r3) != NULL);
	CHECK(query(d, "freed2.example.org", DNS_T_TXT, &r4) != NULL);
	run(NULL, -1, 50);
	dns_free(d);
	run(NULL, -1, 100);
	CHECK_INT(r3.calls, 0);
	CHECK_INT(r4.calls, 0);
	close(fd);
}

/* Re-entrancy: one callback cancels a sibling and starts a new query,
 * another frees the whole resolver. */
struct chain {
	struct dns		*d;
	struct dns_query	*sibling;
	struct res		 next;
	int			 calls;
	bool			 free_all;
};

static void
on_chain(void *arg, const struct dns_answer *a)
{
	struct chain *c = arg;

	(void)a;
	c->calls++;
	if (c->free_all) {
		c->d = dns_free(c->d);
		return;
	}
	dns_cancel(c->sibling);
	c->sibling = NULL;
	CHECK(dns_query(c->d, "a.example.net", DNS_T_A, record, &c->next) !=
	    NULL);
}

static void
test_reentrancy(void)
{
	struct chain c;
	struct res sib, other;
	struct dns *slow;
	char addr[64];
	int64_t deadline;
	int fd = silent_server(addr);

	memset(&c, 0, sizeof(c));
	memset(&sib, 0, sizeof(sib));
	c.d = local_resolver();
	slow = fd != -1 ? forwarding_resolver(addr, 1000) : NULL;
	CHECK(c.d != NULL && slow != NULL);
	if (c.d == NULL || slow == NULL) {
		dns_free(c.d);
		dns_free(slow);
		if (fd != -1)
			close(fd);
		return;
	}
	/* The sibling waits on a server that never answers, until the first
	 * answer's callback cancels it. */
	c.sibling = query(slow, "sibling.example.org", DNS_T_A, &sib);
	CHECK(c.sibling != NULL);
	CHECK(dns_query(c.d, "a.example.net", DNS_T_MX, on_chain, &c) != NULL);
	run(&c.next.calls, 1, 2000);
	CHECK_INT(c.calls, 1);
	CHECK_INT(c.next.calls, 1);
	CHECK_INT(c.next.status, DNS_OK);
	run(NULL, -1, 1200);
	CHECK_INT(sib.calls, 0);
	dns_free(c.d);
	dns_free(slow);
	close(fd);

	memset(&c, 0, sizeof(c));
	memset(&other, 0, sizeof(other));
	c.d = local_resolver();
	CHECK(c.d != NULL);
	if (c.d == NULL)
		return;
	c.free_all = true;
	CHECK(dns_query(c.d, "a.example.net", DNS_T_A, on_chain, &c) != NULL);
	CHECK(query(c.d, "null.example.net", DNS_T_MX, &other) != NULL);
	deadline = mtime_mono_us() + 2000 * 1000;
	while (c.calls + other.calls == 0 && mtime_mono_us() < deadline)
		run(&c.calls, 1, 100);
	run(NULL, -1, 100);
	/* Whichever came first, the resolver was freed inside a callback
	 * and the other answer never arrived. */
	CHECK_INT(c.calls + other.calls, 1);
	if (other.calls == 1)
		dns_free(c.d);
	else
		CHECK(c.d == NULL);
}

static void
test_names(void)
{
	static const struct {
		const char	*addr;
		int		 ret;
		const char	*want;
	} rev[] = {
		{ "192.0.2.25", 0, "25.2.0.192.in-addr.arpa" },
		{ "10.0.0.1", 0, "1.0.0.10.in-addr.arpa" },
		{ "2001:db8::1", 0, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		  "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa" },
		{ "::ffff:192.0.2.1", 0, "1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0."
		  "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa" },
		{ "example.com", -1, NULL },
		{ "192.0.2", -1, NULL },
		{ "", -1, NULL },
	};
	static const char *status[] = { "ok", "nodata", "nxdomain",
	    "servfail", "refused", "timeout", "error" };
	static const char *sec[] = { "unchecked", "insecure", "secure",
	    "bogus" };
	char out[80];
	size_t i;

	for (i = 0; i < sizeof(rev) / sizeof(rev[0]); i++) {
		CHECK_INT(dns_reverse_name(rev[i].addr, out), rev[i].ret);
		if (rev[i].want != NULL)
			CHECK_STR(out, rev[i].want);
	}
	for (i = 0; i < 7; i++)
		CHECK_STR(dns_status_name((enum dns_status)i), status[i]);
	for (i = 0; i < 4; i++)
		CHECK_STR(dns_sec_name((enum dns_sec)i), sec[i]);
}

/* The configuration the integration lab uses too: a plain unbound
 * serving local data on loopback, as an upstream to forward to. */
static const char daemon_conf[] =
    "server:\n"
    "\tinterface: 127.0.0.1\n"
    "\tport: %u\n"
    "\tdo-daemonize: no\n"
    "\tchroot: \"\"\n"
    "\tusername: \"\"\n"
    "\tdirectory: \"%s\"\n"
    "\tpidfile: \"%s/unbound.pid\"\n"
    "\tuse-syslog: no\n"
    "\tlogfile: \"\"\n"
    "\tverbosity: 0\n"
    "\tdo-ip6: no\n"
    "\taccess-control: 127.0.0.0/8 allow\n"
    "\tmodule-config: \"iterator\"\n"
    "\tlocal-zone: \"example.net.\" static\n"
    "\tlocal-data: \"example.net. 3600 IN SOA ns.example.net. host.example.net. 1 3600 600 86400 300\"\n"
    "\tlocal-data: \"a.example.net. A 192.0.2.1\"\n"
    "\tlocal-data: \"c.example.net. CNAME a.example.net.\"\n"
    "\tlocal-data: \"c2.example.net. CNAME c.example.net.\"\n"
    "\tlocal-data: \"null.example.net. MX 0 .\"\n"
    "\tlocal-data: 'a.example.net. TXT \"v=spf1\" \" -all\"'\n"
    "\tlocal-zone: \"refused.example.\" refuse\n"
    "\tlocal-zone: \"test.\" nodefault\n"
    "\tlocal-zone: \"lab.test.\" static\n"
    "\tlocal-data: \"mx.lab.test. A 192.0.2.9\"\n"
    "remote-control:\n"
    "\tcontrol-enable: no\n";

static pid_t
start_daemon(char dir[64], unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char path[128];
	FILE *f;
	pid_t pid;
	int fd;

	snprintf(dir, 64, "/tmp/mxdoc-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	/* A free port: the kernel picks one, we let it go for unbound. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	*port = ntohs(sin.sin_port);
	close(fd);
	snprintf(path, sizeof(path), "%s/unbound.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, daemon_conf, *port, dir, dir);
	fclose(f);
	if ((pid = fork()) == 0) {
		char log[128];
		int lfd;

		snprintf(log, sizeof(log), "%s/unbound.log", dir);
		if ((lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		execl(UNBOUND_BIN, "unbound", "-d", "-c", path, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
stop_daemon(pid_t pid, const char *dir)
{
	static const char *files[] = { "unbound.conf", "unbound.log",
	    "unbound.pid", NULL };
	char path[128];
	int i;

	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void
test_daemon(void)
{
	static const struct {
		const char	*name;
		uint16_t	 type;
		enum dns_status	 status;
		int		 rcode;
		const char	*canonical;
		const char	*first;
	} cases[] = {
		{ "a.example.net", DNS_T_A, DNS_OK, 0, "a.example.net",
		  "192.0.2.1" },
		{ "c2.example.net", DNS_T_A, DNS_OK, 0, "a.example.net",
		  "192.0.2.1" },
		{ "c2.example.net", DNS_T_AAAA, DNS_NODATA, 0, "a.example.net",
		  "" },
		{ "nx.example.net", DNS_T_MX, DNS_NXDOMAIN, 3, NULL, "" },
		{ "null.example.net", DNS_T_MX, DNS_OK, 0, "null.example.net",
		  "0 " },
		{ "a.example.net", DNS_T_TXT, DNS_OK, 0, "a.example.net",
		  "2:v=spf1 -all" },
		{ "x.refused.example", DNS_T_A, DNS_REFUSED, 5, NULL, "" },
		{ "mx.lab.test", DNS_T_A, DNS_OK, 0, "mx.lab.test",
		  "192.0.2.9" },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct res r[N], probe;
	char dir[64], server[64];
	struct dns *d = NULL;
	unsigned port = 0;
	pid_t pid;
	int i, j, total;

	if (access(UNBOUND_BIN, X_OK) != 0) {
		printf("skipped: %s not installed\n", UNBOUND_BIN);
		return;
	}
	pid = start_daemon(dir, &port);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	snprintf(server, sizeof(server), "127.0.0.1@%u", port);
	/* Wait until it answers; each try gets a fresh resolver so that a
	 * server found dead once is not remembered as dead. */
	for (i = 0; i < 40; i++) {
		d = forwarding_resolver(server, 250);
		if (d == NULL)
			break;
		memset(&probe, 0, sizeof(probe));
		query(d, "a.example.net", DNS_T_A, &probe);
		run(&probe.calls, 1, 1000);
		if (probe.status == DNS_OK)
			break;
		d = dns_free(d);
		usleep(50 * 1000);
	}
	CHECK(d != NULL);
	if (d == NULL) {
		stop_daemon(pid, dir);
		return;
	}
	d = dns_free(d);
	d = forwarding_resolver(server, 3000);
	CHECK(d != NULL);
	memset(r, 0, sizeof(r));
	for (i = 0; d != NULL && i < N; i++)
		query(d, cases[i].name, cases[i].type, &r[i]);
	for (total = 0, i = 0; d != NULL && i < 40 && total < N; i++) {
		run(&total, N, 100);
		for (total = 0, j = 0; j < N; j++)
			total += r[j].calls;
	}
	for (i = 0; i < N; i++) {
		CHECK_INT(r[i].calls, 1);
		if (r[i].status != cases[i].status)
			fprintf(stderr, "daemon case %d: %s %s\n", i,
			    cases[i].name, dns_status_name(r[i].status));
		CHECK_INT(r[i].status, cases[i].status);
		CHECK_INT(r[i].rcode, cases[i].rcode);
		if (cases[i].canonical != NULL)
			CHECK_STR(r[i].canonical, cases[i].canonical);
		CHECK_STR(r[i].first, cases[i].first);
	}
	dns_free(d);
	stop_daemon(pid, dir);
}

static void
test_bad_params(void)
{
	static const char *bad_server[] = { "not-an-address", NULL };
	struct dns_params p1 = { .servers = bad_server };
	struct dns_params p2 = { .local_data = zone,
	    .trust_anchor = "/nonexistent/mxdoc-anchor" };
	char *err = NULL;

	CHECK(dns_new(base, &p1, &err) == NULL);
	CHECK(err != NULL && strstr(err, "not-an-address") != NULL);
	free(err);
	err = NULL;
	CHECK(dns_new(base, &p2, &err) == NULL);
	CHECK(err != NULL);
	free(err);
}

void
run_tests(void)
{
	base = event_base_new();
	CHECK(base != NULL);
	if (base == NULL)
		return;
	test_names();
	test_bad_params();
	test_local_answers();
	test_timeout_and_cancel();
	test_reentrancy();
	test_daemon();
	event_base_free(base);
}
