/*
 * cmd_monitor.c - `mxdoc monitor CONFIG`: checks targets every interval
 * (against the blocklists, with the auth audit, with diagnose: each
 * target's `checks =`), keeps every result in a SQLite history, sends an
 * alert on each change (listed, delisted, turned unchecked; an auth
 * section or a diagnose verdict turned worse, better or changed) and
 * serves Prometheus metrics; `mxdoc monitor --history TARGET` reads the
 * history back as a timeline (doc/monitor.md).
 *
 * One round, on a fresh resolver (so a change is seen as soon as the
 * resolver's own cache lets it): bl_check() of the blocklist targets,
 * then the audits of the auth targets at once (monitor_checks.c), then a
 * diagnose of each diagnose target, one after the other; the observations
 * written in one transaction, then the alerts. A round the history cannot
 * take (a locked database, a full disk) waits in memory and is retried;
 * its alerts go out only once it is committed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bl/catalogue.h"
#include "bl/check.h"
#include "bl/target.h"
#include "classify/finding.h"
#include "cli/cli.h"
#include "cli/monitor_int.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/file.h"
#include "core/http.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "diag/target.h"
#include "dns/resolver.h"
#include "report/json.h"
#include "report/text.h"
#include "tls/tls.h"

extern const struct cmd_entry cmd_monitor_entry;

#define CONF_FILE_MAX	(1 << 20)
#define TARGETS_MAX	1000
#define PENDING_MAX	64	/* rounds held while the history is down */
#define ONCE_WAIT_US	(30 * 1000000LL) /* --once: how long a lock is waited out */
#define DEFAULT_DB	"/var/lib/mxdoc/monitor.db"
#define AUTH_JOBS	16	/* audits at once */

enum {
	CHECK_BLOCKLIST	= 1 << 0,
	CHECK_AUTH	= 1 << 1,
	CHECK_DIAGNOSE	= 1 << 2,
};

enum {
	OPT_DB = OPT_FIRST_LOCAL, OPT_ONCE, OPT_METRICS, OPT_HISTORY,
	OPT_CHECK_CONFIG,
};

static const char help[] =
"Options:\n"
"  --db FILE              the history database (default: the config's db,\n"
"                         else " DEFAULT_DB ")\n"
"  --once                 run one round and exit (for cron): exit 1 when a\n"
"                         target is listed, or an auth section or a\n"
"                         diagnose verdict is at severity error\n"
"  --metrics ADDR:PORT    serve Prometheus metrics on http://ADDR:PORT/metrics\n"
"  --history TARGET       show when each listing of TARGET began and ended,\n"
"                         its auth and diagnose states and every change\n"
"                         (no CONFIG needed; --json for the document)\n"
"  --check-config         read CONFIG, report the first error, and exit\n"
"\n"
"CONFIG is `key = value` text with [sections]: [monitor] (interval, db,\n"
"resolver, timeout, zones, only, skip, keep_days, retry, metrics,\n"
"ca_file), [alert] (alert_command, command_timeout, webhook,\n"
"webhook_timeout) and one [target ADDRESS-OR-NAME] per target (checks =\n"
"blocklist, auth, diagnose; port = the SMTP port diagnose probes, 25 by\n"
"default). See doc/monitor.conf.example. SIGTERM or SIGINT stop it\n"
"cleanly.\n";

struct mon_target {
	char			*text;
	struct bl_target	 target;
	unsigned		 checks;	/* CHECK_* */
	int			 port;		/* diagnose's; 0: 25 */
	char			*diag;		/* diagnose's target, or NULL */
};

struct mon_conf {
	struct conf		*conf;
	const char		*db;
	long			 interval_ms;
	long			 timeout_ms;
	long			 retry_ms;
	long			 keep_days;
	const char		*resolvers[CLI_MAX_RESOLVERS + 1];
	int			 nresolvers;
	const char		*zones_file, *only, *skip, *metrics;
	const char		*ca_file;	/* diagnose's and MTA-STS's CAs */
	struct mon_alert_conf	 alert;
	struct mon_target	*targets;
	int			 ntargets;
};

/* ---- the configuration ----------------------------------------------- */

static bool
key_in(const char *key, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

/* Reads and checks CONFIG. Returns 0, or -1 with the reason (naming the
 * line) in err. */
static int
load_conf(const char *path, struct mon_conf *mc, char *err, size_t errlen)
{
	static const char *const monitor_keys[] = { "interval", "db",
	    "resolver", "timeout", "zones", "only", "skip", "keep_days",
	    "retry", "metrics", "ca_file", NULL };
	static const char *const alert_keys[] = { "alert_command",
	    "command_timeout", "webhook", "webhook_timeout", NULL };
	static const char *const target_keys[] = { "checks", "port", NULL };
	char why[300], *text;
	size_t len = 0;
	struct conf *c;
	unsigned *checks = NULL;
	int *checks_line = NULL, *ports = NULL, *port_line = NULL;
	int i, rc = -1;

	memset(mc, 0, sizeof(*mc));
	mc->interval_ms = 300000;
	mc->timeout_ms = 5000;
	mc->retry_ms = 10000;
	mc->keep_days = 90;
	mc->alert.command_timeout_ms = 10000;
	mc->alert.webhook_timeout_ms = 10000;
	if ((text = file_read(path, CONF_FILE_MAX, &len, why, sizeof(why))) ==
	    NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	c = conf_parse(text, len, why, sizeof(why));
	free(text);
	if (c == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	mc->conf = c;
	checks = xcalloc((size_t)c->nsections + 1, sizeof(*checks));
	checks_line = xcalloc((size_t)c->nsections + 1, sizeof(*checks_line));
	ports = xcalloc((size_t)c->nsections + 1, sizeof(*ports));
	port_line = xcalloc((size_t)c->nsections + 1, sizeof(*port_line));
	for (i = 0; i < c->nentries; i++) {
		const struct conf_entry *e = &c->entries[i];
		const struct conf_section *s = &c->sections[e->section];
		const char *const *keys = NULL;
		long v;

		if (strcmp(s->name, "monitor") == 0)
			keys = monitor_keys;
		else if (strcmp(s->name, "alert") == 0)
			keys = alert_keys;
		else if (strcmp(s->name, "target") == 0)
			keys = target_keys;
		if (keys == NULL || !key_in(e->key, keys)) {
			snprintf(err, errlen, "%s: line %d: unknown key '%s' in "
			    "%s%s%s", path, e->line, e->key, s->name[0] ? "[" :
			    "", s->name[0] ? s->name : "the top section (keys "
			    "belong to [monitor], [alert] or [target ...])",
			    s->name[0] ? "]" : "");
			goto fail;
		}
#define BAD(...) do {							\
	snprintf(why, sizeof(why), __VA_ARGS__);			\
	snprintf(err, errlen, "%s: line %d: %s", path, e->line, why);	\
	goto fail;							\
} while (0)
		if (strcmp(e->key, "interval") == 0) {
			if (conf_seconds(e->value, 1000, 7 * 86400000L, &v) < 0)
				BAD("interval is 1 to 604800 seconds: '%s'",
				    e->value);
			mc->interval_ms = v;
		} else if (strcmp(e->key, "timeout") == 0) {
			if (conf_seconds(e->value, 100, 120000, &v) < 0)
				BAD("timeout is 0.1 to 120 seconds: '%s'",
				    e->value);
			mc->timeout_ms = v;
		} else if (strcmp(e->key, "retry") == 0) {
			if (conf_seconds(e->value, 100, 3600000, &v) < 0)
				BAD("retry is 0.1 to 3600 seconds: '%s'",
				    e->value);
			mc->retry_ms = v;
		} else if (strcmp(e->key, "keep_days") == 0) {
			if (conf_long(e->value, 0, 100000, &v) < 0)
				BAD("keep_days is 0 (forever) to 100000: '%s'",
				    e->value);
			mc->keep_days = v;
		} else if (strcmp(e->key, "command_timeout") == 0 ||
		    strcmp(e->key, "webhook_timeout") == 0) {
			if (conf_seconds(e->value, 100, 600000, &v) < 0)
				BAD("%s is 0.1 to 600 seconds: '%s'", e->key,
				    e->value);
			if (e->key[0] == 'c')
				mc->alert.command_timeout_ms = v;
			else
				mc->alert.webhook_timeout_ms = v;
		} else if (strcmp(e->key, "port") == 0) {
			if (conf_long(e->value, 1, 65535, &v) < 0)
				BAD("port is 1 to 65535: '%s'", e->value);
			ports[e->section] = (int)v;
			port_line[e->section] = e->line;
		} else if (e->value[0] == '\0')
			BAD("%s needs a value", e->key);
		else if (strcmp(e->key, "db") == 0)
			mc->db = e->value;
		else if (strcmp(e->key, "resolver") == 0) {
			if (mc->nresolvers == CLI_MAX_RESOLVERS)
				BAD("at most %d resolvers", CLI_MAX_RESOLVERS);
			mc->resolvers[mc->nresolvers++] = e->value;
		} else if (strcmp(e->key, "zones") == 0)
			mc->zones_file = e->value;
		else if (strcmp(e->key, "only") == 0)
			mc->only = e->value;
		else if (strcmp(e->key, "skip") == 0)
			mc->skip = e->value;
		else if (strcmp(e->key, "metrics") == 0)
			mc->metrics = e->value;
		else if (strcmp(e->key, "ca_file") == 0)
			mc->ca_file = e->value;
		else if (strcmp(e->key, "alert_command") == 0)
			mc->alert.command = e->value;
		else if (strcmp(e->key, "webhook") == 0) {
			if (strncasecmp(e->value, "http://", 7) != 0 &&
			    strncasecmp(e->value, "https://", 8) != 0)
				BAD("webhook is an http:// or https:// URL: "
				    "'%s'", e->value);
			mc->alert.webhook = e->value;
		} else if (strcmp(e->key, "checks") == 0) {
			char *copy = xstrdup(e->value), *p = copy, *name;
			unsigned set = 0;

			while ((name = strsep(&p, ", \t")) != NULL) {
				if (*name == '\0')
					continue;
				if (strcmp(name, "blocklist") == 0)
					set |= CHECK_BLOCKLIST;
				else if (strcmp(name, "auth") == 0)
					set |= CHECK_AUTH;
				else if (strcmp(name, "diagnose") == 0)
					set |= CHECK_DIAGNOSE;
				else {
					snprintf(why, sizeof(why), "unknown "
					    "check '%s' (blocklist, auth, "
					    "diagnose)", name);
					free(copy);
					snprintf(err, errlen, "%s: line %d: %s",
					    path, e->line, why);
					goto fail;
				}
			}
			free(copy);
			checks[e->section] = set;
			checks_line[e->section] = e->line;
		}
#undef BAD
	}
	for (i = 0; i < c->nsections; i++) {
		const struct conf_section *s = &c->sections[i];
		const char *why2;
		struct mon_target *t;
		int line;

		if (i == 0 || strcmp(s->name, "monitor") == 0 ||
		    strcmp(s->name, "alert") == 0) {
			if (s->arg != NULL) {
				snprintf(err, errlen, "%s: line %d: [%s] takes "
				    "no argument", path, s->line, s->name);
				goto fail;
			}
			continue;
		}
		if (strcmp(s->name, "target") != 0) {
			snprintf(err, errlen, "%s: line %d: unknown section "
			    "[%s] (monitor, alert, target)", path, s->line,
			    s->name);
			goto fail;
		}
		if (s->arg == NULL) {
			snprintf(err, errlen, "%s: line %d: [target] needs the "
			    "address or name: [target 192.0.2.1]", path,
			    s->line);
			goto fail;
		}
		if (mc->ntargets == TARGETS_MAX) {
			snprintf(err, errlen, "%s: line %d: at most %d targets",
			    path, s->line, TARGETS_MAX);
			goto fail;
		}
		mc->targets = xrealloc(mc->targets, (size_t)(mc->ntargets +
		    1) * sizeof(*mc->targets));
		t = &mc->targets[mc->ntargets];
		memset(t, 0, sizeof(*t));
		t->text = s->arg;
		if (bl_target_parse(s->arg, &t->target, &why2) < 0) {
			snprintf(err, errlen, "%s: line %d: %s: '%s'", path,
			    s->line, why2, s->arg);
			goto fail;
		}
		mc->ntargets++;
		t->checks = checks[i] != 0 ? checks[i] : CHECK_BLOCKLIST;
		t->port = ports[i];
		line = checks_line[i] ? checks_line[i] : s->line;
		if ((t->checks & CHECK_AUTH) && (t->target.kind != BL_T_NAME ||
		    target_check_domain(t->target.text, &why2) < 0)) {
			snprintf(err, errlen, "%s: line %d: the auth audit "
			    "needs a domain name, not '%s'", path, line,
			    s->arg);
			goto fail;
		}
		if (t->port != 0 && !(t->checks & CHECK_DIAGNOSE)) {
			snprintf(err, errlen, "%s: line %d: port is the SMTP "
			    "port diagnose probes: it needs checks = diagnose",
			    path, port_line[i]);
			goto fail;
		}
		if (t->checks & CHECK_DIAGNOSE) {
			struct target dt;

			/* An address is probed as a host; a name as a mail
			 * domain (its MX, else its own A/AAAA: RFC 5321
			 * 5.1); on port 25 unless port says otherwise. */
			if (t->target.kind == BL_T_NAME)
				t->diag = xstrdup(t->target.text);
			else
				t->diag = xasprintf(t->target.kind ==
				    BL_T_IPV6 ? "[IPv6:%s]" : "[%s]",
				    t->target.text);
			if (target_parse(t->diag, &dt, &why2) < 0) {
				snprintf(err, errlen, "%s: line %d: diagnose "
				    "cannot take '%s': %s", path, line, s->arg,
				    why2);
				goto fail;
			}
		}
	}
	if (mc->ntargets == 0) {
		snprintf(err, errlen, "%s: no [target ...] section: nothing to "
		    "watch", path);
		goto fail;
	}
	rc = 0;
fail:
	free(checks);
	free(checks_line);
	free(ports);
	free(port_line);
	return rc;
}

static void
conf_release(struct mon_conf *mc)
{
	int i;

	for (i = 0; i < mc->ntargets; i++)
		free(mc->targets[i].diag);
	free(mc->targets);
	conf_free(mc->conf);
	memset(mc, 0, sizeof(*mc));
}

/* ---- the monitor ----------------------------------------------------- */

struct mon {
	struct mon_conf		*mc;
	struct cli_globals	*g;
	struct event_base	*base;
	struct bl_catalogue	*cat;
	const struct bl_zone	**zones;
	int			  nzones;
	struct mon_history	*hist;
	struct mon_metrics	*metrics;
	struct tls_ctx		*tls;		/* diagnose's, or NULL */
	char			 helo[256];
	unsigned		 checks;	/* of every target */
	struct mon_round	*pending[PENDING_MAX];
	int			  npending;
	int			  history_failures, alert_failures;
	bool			  stop, waiting;
	int			  last_signal;
};

static void
round_from_run(const struct mon *m, const struct bl_run *run,
    struct mon_round *r)
{
	int i, c;

	r->obs = xrealloc(r->obs, (size_t)(r->nobs + run->nresults + 1) *
	    sizeof(*r->obs));
	memset(r->obs + r->nobs, 0, (size_t)(run->nresults + 1) *
	    sizeof(*r->obs));
	for (i = 0; i < run->nresults; i++) {
		const struct bl_result *res = &run->results[i];
		const struct bl_item *it = &run->items[res->item];
		const struct bl_zone *z = m->zones[res->zone];
		struct mon_obs *o = &r->obs[r->nobs++];

		o->target = xstrdup(run->inputs[it->input].text);
		o->check = "blocklist";
		o->severity = -1;
		o->subject = xstrdup(z->name);
		o->query = xstrdup(it->target->text);
		o->status = bl_status_name(res->status);
		if (res->status == BL_LISTED) {
			struct buf b;
			char a[16];

			buf_init(&b, 1024);
			for (c = 0; c < bl_result_naddr(run, res); c++)
				buf_printf(&b, "%s%s", c ? "," : "",
				    bl_addr_format(bl_result_addr(run, res, c), a));
			o->codes = buf_steal(&b);
			buf_release(&b);
			o->detail = xasprintf("%s%s%s", bl_result_meaning(run, res) ?
			    bl_result_meaning(run, res) : "", bl_result_txt(run, res) ?
			    "; " : "", bl_result_txt(run, res) ? bl_result_txt(run, res) :
			    "");
			o->delist = z->delist ? xstrdup(z->delist) : NULL;
			r->listed++;
		} else if (res->status != BL_CLEAN) {
			o->detail = xstrdup(bl_result_reason(run, res) ?
			    bl_result_reason(run, res) : "");
			r->errors++;
		}
	}
}

static struct mon_round *
run_round(struct mon *m)
{
	struct bl_params bp;
	struct dns_params dp;
	struct bl_run *run;
	struct mon_round *r;
	const char **inputs;
	struct bl_target *targets;
	char *derr = NULL;
	int64_t start = mtime_mono_us();
	int i, n;

	memset(&bp, 0, sizeof(bp));
	memset(&dp, 0, sizeof(dp));
	dp.servers = m->mc->nresolvers > 0 ? m->mc->resolvers :
	    m->g->nresolver > 0 ? m->g->resolver : NULL;
	dp.trust_anchor = m->g->trust_anchor;
	dp.timeout_ms = m->g->timeout_ms > 0 ? m->g->timeout_ms :
	    (int)m->mc->timeout_ms;
	if ((bp.dns = dns_new(m->base, &dp, &derr)) == NULL) {
		fprintf(stderr, "mxdoc monitor: DNS: %s\n", derr ? derr : "?");
		free(derr);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->at_us = mtime_wall_us();
	bp.zones = m->zones;
	bp.nzones = m->nzones;
	bp.family = m->g->family;
	inputs = xcalloc((size_t)m->mc->ntargets, sizeof(*inputs));
	targets = xcalloc((size_t)m->mc->ntargets, sizeof(*targets));
	for (i = n = 0; i < m->mc->ntargets; i++)
		if (m->mc->targets[i].checks & CHECK_BLOCKLIST) {
			inputs[n] = m->mc->targets[i].text;
			targets[n++] = m->mc->targets[i].target;
		}
	if (n > 0) {
		run = bl_check(m->base, &bp, inputs, targets, n);
		round_from_run(m, run, r);
		bl_run_free(run);
	}
	if (m->checks & CHECK_AUTH) {
		struct mon_auth_params ap;
		const char **domains = xcalloc((size_t)m->mc->ntargets,
		    sizeof(*domains));

		memset(&ap, 0, sizeof(ap));
		ap.dns = bp.dns;
		ap.timeout_ms = dp.timeout_ms;
		ap.jobs = AUTH_JOBS;
		ap.ca_file = m->mc->ca_file;
		for (i = n = 0; i < m->mc->ntargets; i++)
			if (m->mc->targets[i].checks & CHECK_AUTH) {
				inputs[n] = m->mc->targets[i].text;
				domains[n++] = m->mc->targets[i].target.text;
			}
		mon_auth_round(m->base, &ap, inputs, domains, n, r);
		free(domains);
	}
	if (m->checks & CHECK_DIAGNOSE) {
		struct mon_diag_params gp;

		memset(&gp, 0, sizeof(gp));
		gp.dns = bp.dns;
		gp.tls = m->tls;
		gp.helo = m->helo;
		gp.family = m->g->family;
		gp.timeout_ms = dp.timeout_ms;
		/* One after the other: each bounded by its own total. */
		for (i = 0; i < m->mc->ntargets && !m->stop; i++)
			if (m->mc->targets[i].checks & CHECK_DIAGNOSE)
				(void)mon_diag_one(m->base, &gp,
				    m->mc->targets[i].text,
				    m->mc->targets[i].diag,
				    m->mc->targets[i].port, r);
	}
	r->duration_ms = mtime_ms(start, mtime_mono_us());
	dns_free(bp.dns);
	free(inputs);
	free(targets);
	return r;
}

static void
report_event(const struct mon *m, const struct mon_round *r,
    const struct mon_event *e, const char *json)
{
	const struct mon_obs *o = &r->obs[e->obs];
	char t[32];

	if (m->g->json) {
		fputs(json, stdout);
		fflush(stdout);
		return;
	}
	if (m->g->quiet)
		return;
	mtime_rfc3339(r->at_us, t);
	if (o->severity >= 0) {
		printf("%s  %s%-9s%s %s %s%s%s: %s%s%s (%s)\n", t,
		    tc(strcmp(e->kind, "worse") == 0 ? TC_RED :
		    strcmp(e->kind, "better") == 0 ? TC_GREEN : TC_YELLOW),
		    e->kind, tc(TC_RESET), o->target, strcmp(o->check, "auth")
		    == 0 ? "" : "diagnose ", strcmp(o->check, "auth") == 0 ?
		    mon_section_title(o->subject) : "verdict", "",
		    e->previous ? e->previous : "", e->previous ? " -> " : "",
		    o->status, o->cause ? o->cause : "");
		if (o->detail != NULL && o->detail[0])
			printf("%*s%s\n", 26, "", o->detail);
		fflush(stdout);
		return;
	}
	printf("%s  %s%-9s%s %s on %s%s%s%s%s\n", t, tc(strcmp(e->kind,
	    "listed") == 0 ? TC_RED : strcmp(e->kind, "delisted") == 0 ?
	    TC_GREEN : TC_YELLOW), e->kind, tc(TC_RESET), o->target,
	    o->subject, strcmp(o->query, o->target) ? " (" : "",
	    strcmp(o->query, o->target) ? o->query : "",
	    strcmp(o->query, o->target) ? ")" : "", "");
	if (o->detail != NULL && o->detail[0])
		printf("%*s%s\n", 26, "", o->detail);
	fflush(stdout);
}

/* Writes the pending rounds, oldest first, and sends the alerts of each
 * once it is committed. Returns the number still pending. */
static int
flush_pending(struct mon *m)
{
	while (m->npending > 0) {
		struct mon_round *r = m->pending[0];
		struct mon_event *ev = NULL;
		enum store_status st;
		int nev = 0, i;

		st = mon_history_write(m->hist, r, &ev, &nev);
		if (st != STORE_OK) {
			m->history_failures++;
			fprintf(stderr, "mxdoc monitor: history: %s (%s); %d "
			    "round%s held, retrying in %.1f s\n",
			    mon_history_errmsg(m->hist), store_status_name(st),
			    m->npending, m->npending == 1 ? "" : "s",
			    (double)m->mc->retry_ms / 1000.0);
			break;
		}
		for (i = 0; i < nev; i++) {
			char *json = mon_event_json(r, &ev[i]);

			report_event(m, r, &ev[i], json);
			m->alert_failures += mon_alert(&m->mc->alert, json,
			    m->g->quiet);
			free(json);
		}
		mon_events_free(ev, nev);
		mon_round_free(r);
		memmove(m->pending, m->pending + 1, (size_t)(m->npending - 1) *
		    sizeof(m->pending[0]));
		m->npending--;
	}
	if (m->npending == 0 && m->mc->keep_days > 0)
		(void)mon_history_prune(m->hist, mtime_wall_us() -
		    (int64_t)m->mc->keep_days * 86400 * 1000000);
	mon_metrics_count(m->metrics, m->history_failures, m->alert_failures,
	    m->npending);
	return m->npending;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct mon *m = arg;

	m->stop = true;
	m->last_signal = (int)sig;
	/* Inside a round, bl_check, the audits or a diagnose own the loop:
	 * the check running finishes (each is bounded by its timeouts), the
	 * diagnoses not yet begun are skipped, and the monitor stops after
	 * writing the round. */
	if (m->waiting)
		event_base_loopbreak(m->base);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct mon *m = arg;

	if (m->waiting)
		event_base_loopbreak(m->base);
}

/* Serves metrics and signals until ms have passed or a signal came. */
static void
wait_ms(struct mon *m, int64_t ms)
{
	struct event *t;
	struct timeval tv;

	if (ms <= 0 || m->stop)
		return;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	t = evtimer_new(m->base, on_wake, m);
	evtimer_add(t, &tv);
	m->waiting = true;
	event_base_dispatch(m->base);
	m->waiting = false;
	event_free(t);
}

static int
monitor(struct mon *m, bool once)
{
	int listed = 0;

	for (;;) {
		int64_t start = mtime_mono_us(), next, now;
		struct mon_round *r;

		if (m->stop)
			break;
		r = run_round(m);
		if (r == NULL)
			return EXIT_INTERNAL;
		listed = r->listed + r->failing;
		mon_metrics_round(m->metrics, r);
		if (!m->g->json && m->g->verbose)
			fprintf(stderr, "mxdoc monitor: round: %d checks, %d "
			    "listed, %d failing, %d unchecked or failed, %.0f "
			    "ms\n", r->nobs, r->listed, r->failing, r->errors,
			    r->duration_ms);
		if (m->npending == PENDING_MAX) {
			fprintf(stderr, "mxdoc monitor: history: %d rounds "
			    "held; the oldest is dropped unwritten\n",
			    PENDING_MAX);
			mon_round_free(m->pending[0]);
			memmove(m->pending, m->pending + 1, (size_t)(PENDING_MAX
			    - 1) * sizeof(m->pending[0]));
			m->npending--;
		}
		m->pending[m->npending++] = r;
		flush_pending(m);
		if (once) {
			/* cron waits a little for a locked database, then
			 * says the round is lost. */
			int64_t give_up = mtime_mono_us() + ONCE_WAIT_US;

			while (m->npending > 0 && !m->stop &&
			    mtime_mono_us() < give_up) {
				wait_ms(m, m->mc->retry_ms);
				flush_pending(m);
			}
			if (m->npending > 0) {
				fprintf(stderr, "mxdoc monitor: the round could "
				    "not be written to the history\n");
				return EXIT_INTERNAL;
			}
			break;
		}
		next = start + (int64_t)m->mc->interval_ms * 1000;
		while (!m->stop && (now = mtime_mono_us()) < next) {
			int64_t ms = (next - now + 999) / 1000;

			if (m->npending > 0 && ms > m->mc->retry_ms)
				ms = m->mc->retry_ms;
			wait_ms(m, ms);
			if (m->npending > 0 && !m->stop)
				flush_pending(m);
		}
	}
	if (m->npending > 0) {
		/* One last try: a round in memory is lost on exit. */
		if (flush_pending(m) > 0)
			fprintf(stderr, "mxdoc monitor: %d round%s could not be "
			    "written to the history\n", m->npending,
			    m->npending == 1 ? "" : "s");
	}
	if (m->stop && !m->g->quiet && !m->g->json)
		fprintf(stderr, "mxdoc monitor: stopped by signal %d\n",
		    m->last_signal);
	return listed > 0 && once ? EXIT_PROBLEM : EXIT_OK;
}

/* ---- --history --------------------------------------------------------- */

static void
fmt_duration(int64_t us, char *out, size_t n)
{
	int64_t s = us / 1000000;

	if (s < 60)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, n, "%lldm %02llds", (long long)(s / 60),
		    (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, n, "%lldh %02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(out, n, "%lldd %02lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
}

static int
sev_of(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "error") == 0)
		return SEV_ERROR;
	if (strcmp(name, "warning") == 0)
		return SEV_WARNING;
	if (strcmp(name, "info") == 0)
		return SEV_INFO;
	return SEV_OK;
}

/* What a check's last state says, for the verdict's evidence. */
static void
check_evidence(struct finding *v, const struct mon_tl_check *c)
{
	if (strcmp(c->check, "auth") == 0)
		finding_evidence(v, "auth %s: %s%s%s", mon_section_title(
		    c->subject), c->status, c->detail ? ": " : "", c->detail ?
		    c->detail : "");
	else
		finding_evidence(v, "diagnose %s: %s%s%s", c->query, c->status,
		    c->detail ? ": " : "", c->detail ? c->detail : "");
}

static void
history_verdict(const struct mon_timeline *tl, struct finding *v)
{
	const struct mon_tl_check *worst = NULL;
	int i, open = 0;

	for (i = 0; i < tl->nperiods; i++)
		open += tl->periods[i].end_us == 0;
	/* The worst auth section or diagnose verdict now (a diagnose's
	 * per-address rows speak through its verdict). */
	for (i = 0; i < tl->nchecks; i++) {
		const struct mon_tl_check *c = &tl->checks[i];

		if (strcmp(c->check, "diagnose") == 0 &&
		    strcmp(c->subject, "verdict") != 0)
			continue;
		if (sev_of(c->severity) >= SEV_WARNING && (worst == NULL ||
		    sev_of(c->severity) > sev_of(worst->severity)))
			worst = c;
	}
	if (tl->rounds == 0 && tl->nevents == 0)
		finding_init(v, "ok", SEV_INFO, "%s: no check in the history",
		    tl->target);
	else if (open > 0) {
		finding_init(v, "bl.listed", SEV_ERROR, "%s is listed now: %d "
		    "listing%s open, %d in the history", tl->target, open,
		    open == 1 ? "" : "s", tl->nperiods);
		for (i = 0; i < tl->nperiods && v->nevidence <
		    FINDING_MAX_EVIDENCE; i++) {
			const struct mon_period *p = &tl->periods[i];
			char t[32];

			if (p->end_us != 0)
				continue;
			mtime_rfc3339(p->begin_us, t);
			finding_evidence(v, "%s on %s since %s: %s", p->query,
			    p->subject, t, p->detail ? p->detail : "");
		}
		if (worst != NULL && v->nevidence < FINDING_MAX_EVIDENCE)
			check_evidence(v, worst);
	} else if (worst != NULL) {
		const char *id = worst->cause != NULL &&
		    cause_get(worst->cause) != NULL ? worst->cause : "ok";

		finding_init(v, id, (enum severity)sev_of(worst->severity),
		    "%s: %s %s: %s now", tl->target, worst->check,
		    strcmp(worst->check, "auth") == 0 ?
		    mon_section_title(worst->subject) : "verdict",
		    worst->status);
		for (i = 0; i < tl->nchecks && v->nevidence <
		    FINDING_MAX_EVIDENCE; i++) {
			const struct mon_tl_check *c = &tl->checks[i];

			if (sev_of(c->severity) >= SEV_WARNING &&
			    (strcmp(c->check, "auth") == 0 ||
			    strcmp(c->subject, "verdict") == 0))
				check_evidence(v, c);
		}
	} else if (tl->checked_now + tl->unchecked_now == 0 &&
	    tl->nperiods == 0 && tl->nchecks > 0)
		finding_init(v, "ok", SEV_OK, "%s: no auth or diagnose problem "
		    "now", tl->target);
	else
		finding_init(v, "ok", SEV_OK, "%s is not listed now; %d "
		    "listing%s in the history%s", tl->target, tl->nperiods,
		    tl->nperiods == 1 ? "" : "s", tl->nchecks > 0 ?
		    "; no auth or diagnose problem" : "");
}

static void
history_json(const struct mon_timeline *tl, const struct finding *v)
{
	struct buf b;
	struct jw *w;
	char t[32];
	int i;

	buf_init(&b, BUF_UNBOUNDED);
	w = jw_new(&b);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "monitor");
	jw_str(w, "target", tl->target);
	finding_json(w, "verdict", v);
	jw_int(w, "rounds", tl->rounds);
	if (tl->rounds > 0) {
		mtime_rfc3339(tl->first_us, t);
		jw_str(w, "first_checked_at", t);
		mtime_rfc3339(tl->last_us, t);
		jw_str(w, "last_checked_at", t);
	} else {
		jw_null(w, "first_checked_at");
		jw_null(w, "last_checked_at");
	}
	jw_obj_begin(w, "now");
	jw_int(w, "listed", tl->listed_now);
	jw_int(w, "checked", tl->checked_now);
	jw_int(w, "unchecked", tl->unchecked_now);
	jw_obj_end(w);
	jw_arr_begin(w, "listings");
	for (i = 0; i < tl->nperiods; i++) {
		const struct mon_period *p = &tl->periods[i];

		jw_obj_begin(w, NULL);
		jw_str(w, "check", p->check);
		jw_str(w, "zone", p->subject);
		jw_str(w, "query", p->query);
		mtime_rfc3339(p->begin_us, t);
		jw_str(w, "listed_at", t);
		if (p->end_us != 0) {
			mtime_rfc3339(p->end_us, t);
			jw_str(w, "delisted_at", t);
			jw_ms(w, "duration_ms", (double)(p->end_us -
			    p->begin_us) / 1000.0);
		} else {
			jw_null(w, "delisted_at");
			jw_null(w, "duration_ms");
		}
		jw_bool(w, "listed_now", p->end_us == 0);
		jw_str(w, "codes", p->codes);
		jw_str(w, "detail", p->detail);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "checks");
	for (i = 0; i < tl->nchecks; i++) {
		const struct mon_tl_check *c = &tl->checks[i];

		jw_obj_begin(w, NULL);
		jw_str(w, "check", c->check);
		jw_str(w, "item", c->subject);
		jw_str(w, "query", c->query);
		jw_str(w, "status", c->status);
		jw_str(w, "severity", c->severity != NULL ? c->severity : "ok");
		jw_str(w, "cause", c->cause);
		jw_str(w, "codes", c->codes);
		jw_str(w, "detail", c->detail);
		mtime_rfc3339(c->since_us, t);
		jw_str(w, "since", t);
		mtime_rfc3339(c->last_us, t);
		jw_str(w, "last_checked_at", t);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_arr_begin(w, "events");
	for (i = 0; i < tl->nevents; i++) {
		const struct mon_tl_event *e = &tl->events[i];
		bool bl = strcmp(e->check, "blocklist") == 0;

		jw_obj_begin(w, NULL);
		mtime_rfc3339(e->at_us, t);
		jw_str(w, "at", t);
		jw_str(w, "event", e->kind);
		jw_str(w, "check", e->check);
		jw_str(w, bl ? "zone" : "item", e->subject);
		jw_str(w, "query", e->query);
		jw_str(w, "previous_status", e->previous);
		jw_str(w, "status", e->status);
		if (!bl)
			jw_str(w, "severity", e->severity != NULL ?
			    e->severity : "ok");
		jw_str(w, "codes", e->codes);
		jw_str(w, "detail", e->detail);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
	fwrite(b.data, 1, b.len, stdout);
	jw_free(w);
	buf_release(&b);
}

static void
history_text(const struct mon_timeline *tl, const struct finding *v,
    const struct cli_globals *g)
{
	const char *head[] = { "ZONE", "QUERY", "LISTED", "DELISTED", "FOR" };
	char a[32], b[32];
	int i;

	printf("%s%s%-7s%s  ", tc(TC_BOLD), tc(cli_sev_color(v->severity)),
	    v->severity == SEV_ERROR && strcmp(v->cause->id, "bl.listed") == 0
	    ? "LISTED" : cli_sev_label(v->severity),
	    tc(TC_RESET));
	text_wrap(stdout, v->summary, 9, 9, 100);
	printf("%*s%scause: %s (%s)%s\n", 9, "", tc(TC_DIM), v->cause->id,
	    v->cause->title, tc(TC_RESET));
	if (g->quiet)
		return;
	if (tl->rounds > 0) {
		mtime_rfc3339(tl->first_us, a);
		mtime_rfc3339(tl->last_us, b);
		printf("  checked in %d round%s from %s to %s", tl->rounds,
		    tl->rounds == 1 ? "" : "s", a, b);
		if (tl->checked_now + tl->unchecked_now > 0)
			printf("; now %d listed, %d clean, %d unchecked",
			    tl->listed_now, tl->checked_now - tl->listed_now,
			    tl->unchecked_now);
		printf("\n");
	}
	if (tl->nperiods > 0) {
		struct table *t = table_new(5);

		printf("\n%sListings%s\n", tc(TC_BOLD), tc(TC_RESET));
		table_row(t, head);
		for (i = 0; i < tl->nperiods; i++) {
			const struct mon_period *p = &tl->periods[i];
			char d[32];
			const char *row[5];

			mtime_rfc3339(p->begin_us, a);
			if (p->end_us != 0) {
				mtime_rfc3339(p->end_us, b);
				fmt_duration(p->end_us - p->begin_us, d,
				    sizeof(d));
			} else {
				snprintf(b, sizeof(b), "still listed");
				fmt_duration(mtime_wall_us() - p->begin_us, d,
				    sizeof(d));
			}
			row[0] = p->subject;
			row[1] = p->query;
			row[2] = a;
			row[3] = b;
			row[4] = d;
			table_row(t, row);
		}
		table_print(t, stdout, 2);
		table_free(t);
	}
	if (tl->nchecks > 0) {
		const char *chead[] = { "CHECK", "ITEM", "STATUS", "SINCE",
		    "DETAIL" };
		struct table *t = table_new(5);

		printf("\n%sChecks%s\n", tc(TC_BOLD), tc(TC_RESET));
		table_row(t, chead);
		for (i = 0; i < tl->nchecks; i++) {
			const struct mon_tl_check *c = &tl->checks[i];
			const char *row[5];
			char item[300], st[200], det[120];

			if (strcmp(c->check, "auth") == 0)
				snprintf(item, sizeof(item), "%s",
				    mon_section_title(c->subject));
			else if (strcmp(c->subject, "verdict") == 0)
				snprintf(item, sizeof(item), "verdict %s",
				    c->query);
			else if (strncmp(c->query, c->subject,
			    strlen(c->subject)) == 0)
				snprintf(item, sizeof(item), "  %s", c->query);
			else
				snprintf(item, sizeof(item), "  %s %s",
				    c->subject, c->query);
			snprintf(st, sizeof(st), "%s%s%s%s", c->status,
			    c->codes ? " (" : "", c->codes ? c->codes : "",
			    c->codes ? ")" : "");
			snprintf(det, sizeof(det), "%s", c->detail ? c->detail
			    : "");
			mtime_rfc3339(c->since_us, a);
			row[0] = c->check;
			row[1] = item;
			row[2] = st;
			row[3] = a;
			row[4] = det;
			table_row(t, row);
		}
		table_print(t, stdout, 2);
		table_free(t);
	}
	if (tl->nevents > 0 && (g->verbose || tl->nevents <= 50)) {
		printf("\n%sEvents%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (i = 0; i < tl->nevents; i++) {
			const struct mon_tl_event *e = &tl->events[i];

			mtime_rfc3339(e->at_us, a);
			if (strcmp(e->check, "blocklist") == 0)
				printf("  %s  %-9s %s on %s (was %s)\n", a,
				    e->kind, e->query, e->subject, e->previous ?
				    e->previous : "unknown");
			else
				printf("  %s  %-9s %s %s: %s (was %s)%s%s\n", a,
				    e->kind, e->check, strcmp(e->check, "auth")
				    == 0 ? mon_section_title(e->subject) :
				    e->query, e->status, e->previous ?
				    e->previous : "unknown", e->detail ? ": " :
				    "", e->detail ? e->detail : "");
		}
	}
}

static int
show_history(const char *target, const char *db, struct cli_globals *g)
{
	struct mon_history *h;
	struct mon_timeline tl;
	struct finding v;
	enum store_status st;
	char err[512];
	int rc;

	if (access(db, F_OK) != 0)
		return cli_usage_error("monitor", "--db %s: %s", db,
		    strerror(errno));
	if ((h = mon_history_open(db, false, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mxdoc monitor: %s: %s\n", db, err);
		return EXIT_INTERNAL;
	}
	st = mon_history_timeline(h, target, &tl);
	if (st != STORE_OK) {
		fprintf(stderr, "mxdoc monitor: %s: %s\n", db,
		    mon_history_errmsg(h));
		mon_timeline_release(&tl);
		mon_history_close(h);
		return EXIT_INTERNAL;
	}
	history_verdict(&tl, &v);
	if (g->json)
		history_json(&tl, &v);
	else
		history_text(&tl, &v, g);
	rc = v.severity == SEV_ERROR ? EXIT_PROBLEM : EXIT_OK;
	finding_release(&v);
	mon_timeline_release(&tl);
	mon_history_close(h);
	return rc;
}

/* ---- options --------------------------------------------------------- */

static int
setup_zones(struct mon *m, char *err, size_t errlen)
{
	struct mon_conf *mc = m->mc;
	char why[512];

	m->cat = bl_catalogue_load(mc->zones_file, why, sizeof(why));
	if (m->cat == NULL) {
		if (mc->zones_file != NULL)
			snprintf(err, errlen, "zones %s: %s", mc->zones_file,
			    why);
		else
			snprintf(err, errlen, "the built-in catalogue: %s", why);
		return -1;
	}
	m->nzones = bl_catalogue_select(m->cat, mc->only, mc->skip, "only",
	    "skip", &m->zones, err, errlen);
	if (m->nzones < 0) {
		m->nzones = 0;
		return -1;
	}
	return 0;
}

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ "db", required_argument, NULL, OPT_DB },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "history", required_argument, NULL, OPT_HISTORY },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *metrics = NULL, *history = NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	bool once = false, check_only = false;
	struct mon_conf mc;
	struct mon m;
	char err[1024];
	int c, rc = EXIT_INTERNAL;

	memset(&m, 0, sizeof(m));
	memset(&mc, 0, sizeof(mc));
	int stop = EXIT_OK;

	while ((c = cli_next_option(argc, argv, opts, g, &cmd_monitor_entry,
	    &stop)) != -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		switch (c) {
		case OPT_DB:
			db = optarg;
			break;
		case OPT_ONCE:
			once = true;
			break;
		case OPT_METRICS:
			metrics = optarg;
			break;
		case OPT_HISTORY:
			history = optarg;
			break;
		case OPT_CHECK_CONFIG:
			check_only = true;
			break;
		}
	}
	text_color_init(g->color);
	if (history != NULL) {
		if (optind < argc) {
			if (load_conf(argv[optind], &mc, err, sizeof(err)) < 0) {
				conf_release(&mc);
				return cli_usage_error("monitor", "%s", err);
			}
			if (db == NULL)
				db = mc.db;
		}
		rc = show_history(history, db != NULL ? db : DEFAULT_DB, g);
		conf_release(&mc);
		return rc;
	}
	if (argc - optind != 1)
		return cli_usage_error("monitor", "one CONFIG file is needed "
		    "(try 'mxdoc monitor --help')");
	if (load_conf(argv[optind], &mc, err, sizeof(err)) < 0) {
		conf_release(&mc);
		return cli_usage_error("monitor", "%s", err);
	}
	m.mc = &mc;
	m.g = g;
	for (c = 0; c < mc.ntargets; c++)
		m.checks |= mc.targets[c].checks;
	if (setup_zones(&m, err, sizeof(err)) < 0) {
		rc = cli_usage_error("monitor", "%s: %s", argv[optind], err);
		goto out;
	}
	if (check_only) {
		int nb = 0, na = 0, nd = 0;

		for (c = 0; c < mc.ntargets; c++) {
			nb += (mc.targets[c].checks & CHECK_BLOCKLIST) != 0;
			na += (mc.targets[c].checks & CHECK_AUTH) != 0;
			nd += (mc.targets[c].checks & CHECK_DIAGNOSE) != 0;
		}
		if (!g->quiet)
			printf("%s: %d target%s (blocklist %d, auth %d, "
			    "diagnose %d), %d zone%s\n", argv[optind],
			    mc.ntargets, mc.ntargets == 1 ? "" : "s", nb, na, nd,
			    m.nzones, m.nzones == 1 ? "" : "s");
		rc = EXIT_OK;
		goto out;
	}
	if (m.checks & CHECK_DIAGNOSE) {
		struct tls_params tp;
		char *terr = NULL;

		memset(&tp, 0, sizeof(tp));
		tp.ca_file = mc.ca_file;
		if ((m.tls = tls_ctx_new(&tp, &terr)) == NULL) {
			fprintf(stderr, "mxdoc monitor: TLS: %s\n", terr ?
			    terr : "?");
			free(terr);
			goto out;
		}
		if (gethostname(m.helo, sizeof(m.helo)) != 0 ||
		    m.helo[0] == '\0')
			snprintf(m.helo, sizeof(m.helo), "localhost");
		m.helo[sizeof(m.helo) - 1] = '\0';
	}
	if (db == NULL)
		db = mc.db != NULL ? mc.db : DEFAULT_DB;
	if (metrics == NULL)
		metrics = mc.metrics;
	if ((m.hist = mon_history_open(db, true, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mxdoc monitor: history %s: %s\n", db, err);
		goto out;
	}
	if ((m.base = event_base_new()) == NULL) {
		fprintf(stderr, "mxdoc monitor: cannot create the event loop\n");
		goto out;
	}
	if (metrics != NULL && (m.metrics = mon_metrics_start(m.base, metrics,
	    err, sizeof(err))) == NULL) {
		fprintf(stderr, "mxdoc monitor: metrics: %s\n", err);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	sigterm = evsignal_new(m.base, SIGTERM, on_signal, &m);
	sigint = evsignal_new(m.base, SIGINT, on_signal, &m);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	if (!g->quiet && !g->json)
		fprintf(stderr, "mxdoc monitor: %d target%s, %d zone%s, every "
		    "%.0f s, history in %s%s%s\n", mc.ntargets,
		    mc.ntargets == 1 ? "" : "s", m.nzones, m.nzones == 1 ? "" :
		    "s", (double)mc.interval_ms / 1000.0, db, metrics ?
		    ", metrics on " : "", metrics ? metrics : "");
	rc = monitor(&m, once);
	http_shutdown();
out:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	mon_metrics_stop(m.metrics);
	while (m.npending > 0)
		mon_round_free(m.pending[--m.npending]);
	mon_history_close(m.hist);
	if (m.base != NULL)
		event_base_free(m.base);
	free(m.zones);
	bl_catalogue_free(m.cat);
	tls_ctx_free(m.tls);
	conf_release(&mc);
	return rc;
}

const struct cmd_entry cmd_monitor_entry = {
	.name = "monitor",
	.usage = "[OPTIONS] CONFIG | --history TARGET [--db FILE]",
	.summary = "watch blocklists, auth and delivery over time: history, "
	    "alerts, metrics",
	.help = help,
	.run = run,
};
