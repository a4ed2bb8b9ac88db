/*
 * monitor_out.c - what `mxdoc monitor` tells the world (monitor_int.h):
 * an alert per change, to a command (the event as JSON on its stdin, run
 * by /bin/sh -c with a deadline) and to a webhook (an HTTP POST through
 * libcurl with a deadline and no redirects); and the Prometheus text
 * exposition on /metrics, served by libevent's evhttp on the loop the
 * checks run on.
 *
 * Alerts run one after the other and block the loop for at most their
 * timeouts: changes are rare, and a slow hook must not overlap the next.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "classify/cause.h"
#include "cli/monitor_int.h"
#include "core/buf.h"
#include "core/http.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "report/json.h"

#define ALERT_BODY_MAX	(1 << 20)

/* ---- the event document ---------------------------------------------- */

/* Splits list at sep into a JSON array under key. */
static void
jw_split(struct jw *w, const char *key, const char *list, char sep)
{
	struct buf b;
	char *p, *q;

	jw_arr_begin(w, key);
	if (list != NULL) {
		buf_init(&b, ALERT_BODY_MAX);
		buf_puts(&b, list);
		for (p = b.data; p != NULL; p = q) {
			if ((q = strchr(p, sep)) != NULL)
				*q++ = '\0';
			if (*p != '\0')
				jw_str(w, NULL, p);
		}
		buf_release(&b);
	}
	jw_arr_end(w);
}

const char *
mon_section_title(const char *section)
{
	static const char *const names[][2] = {
		{ "spf", "SPF" }, { "dmarc", "DMARC" }, { "dkim", "DKIM" },
		{ "mta_sts", "MTA-STS" }, { "tls_rpt", "TLS-RPT" },
		{ "mx", "MX" }, { "dane", "DANE" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(section, names[i][0]) == 0)
			return names[i][1];
	return section;
}

/* An auth section or a diagnose verdict that changed. */
static char *
check_event_json(const struct mon_round *r, const struct mon_event *e)
{
	const struct mon_obs *o = &r->obs[e->obs];
	const char *sev = severity_name((enum severity)o->severity);
	struct buf b;
	struct jw *w;
	char t[32], *p;

	buf_init(&b, ALERT_BODY_MAX);
	w = jw_new(&b);
	jw_compact(w);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "monitor");
	jw_str(w, "event", e->kind);
	mtime_rfc3339(r->at_us, t);
	jw_str(w, "at", t);
	jw_str(w, "target", o->target);
	jw_str(w, "check", o->check);
	jw_str(w, "item", o->subject);
	jw_str(w, "query", o->query);
	jw_str(w, "status", o->status);
	jw_str(w, "previous_status", e->previous);
	jw_str(w, "severity", sev);
	jw_str(w, "previous_severity", e->prev_severity);
	if (e->prev_since_us > 0) {
		mtime_rfc3339(e->prev_since_us, t);
		jw_str(w, "previous_since", t);
	} else
		jw_null(w, "previous_since");
	jw_split(w, "codes", o->codes, ',');
	jw_str(w, "detail", o->detail);
	jw_split(w, "remedy", o->remedy, '\n');
	jw_obj_begin(w, "verdict");
	jw_str(w, "cause", o->cause != NULL ? o->cause : "ok");
	jw_str(w, "severity", sev);
	if (strcmp(o->check, "auth") == 0)
		p = xasprintf("%s: %s %s%s%s%s%s", o->target,
		    mon_section_title(o->subject), strcmp(e->kind, "worse") ==
		    0 ? "turned worse" : strcmp(e->kind, "better") == 0 ?
		    "turned better" : "changed", e->previous ? " (was " : "",
		    e->previous ? e->previous : "", e->previous ? ")" : "",
		    o->detail ? ": " : "");
	else
		p = xasprintf("%s: diagnose verdict %s %s%s%s%s%s", o->target,
		    e->previous ? "is now" : "is", o->status, e->previous ?
		    " (was " : "", e->previous ? e->previous : "",
		    e->previous ? ")" : "", o->detail ? ": " : "");
	if (o->detail != NULL) {
		char *full = xasprintf("%s%s", p, o->detail);

		free(p);
		p = full;
	}
	jw_str(w, "summary", p);
	free(p);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_free(w);
	buf_putc(&b, '\n');
	return buf_steal(&b);
}

char *
mon_event_json(const struct mon_round *r, const struct mon_event *e)
{
	const struct mon_obs *o = &r->obs[e->obs];
	struct buf b, codes;
	struct jw *w;
	char t[32], *p, *q;

	if (o->severity >= 0)
		return check_event_json(r, e);
	buf_init(&b, ALERT_BODY_MAX);
	w = jw_new(&b);
	jw_compact(w);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "monitor");
	jw_str(w, "event", e->kind);
	mtime_rfc3339(r->at_us, t);
	jw_str(w, "at", t);
	jw_str(w, "target", o->target);
	jw_str(w, "check", o->check);
	jw_str(w, "zone", o->subject);
	jw_str(w, "query", o->query);
	jw_str(w, "status", o->status);
	jw_str(w, "previous_status", e->previous);
	if (e->prev_since_us > 0) {
		mtime_rfc3339(e->prev_since_us, t);
		jw_str(w, "previous_since", t);
	} else
		jw_null(w, "previous_since");
	jw_arr_begin(w, "codes");
	if (o->codes != NULL) {
		buf_init(&codes, 4096);
		buf_puts(&codes, o->codes);
		for (p = codes.data; p != NULL; p = q) {
			if ((q = strchr(p, ',')) != NULL)
				*q++ = '\0';
			if (*p != '\0')
				jw_str(w, NULL, p);
		}
		buf_release(&codes);
	}
	jw_arr_end(w);
	jw_str(w, "detail", o->detail);
	jw_str(w, "delist", strcmp(e->kind, "listed") == 0 ? o->delist : NULL);
	jw_obj_begin(w, "verdict");
	if (strcmp(e->kind, "listed") == 0) {
		jw_str(w, "cause", "bl.listed");
		jw_str(w, "severity", "error");
	} else if (strcmp(e->kind, "delisted") == 0) {
		jw_str(w, "cause", "ok");
		jw_str(w, "severity", "ok");
	} else {
		jw_str(w, "cause", "dns.failure");
		jw_str(w, "severity", "warning");
	}
	p = xasprintf("%s %s %s %s", o->target, strcmp(e->kind, "listed") ==
	    0 ? "is now listed on" : strcmp(e->kind, "delisted") == 0 ?
	    "is no longer listed on" : "can no longer be checked on",
	    o->subject, strcmp(o->query, o->target) ? o->query : "");
	if (p[strlen(p) - 1] == ' ')
		p[strlen(p) - 1] = '\0';
	jw_str(w, "summary", p);
	free(p);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_free(w);
	buf_putc(&b, '\n');
	return buf_steal(&b);
}

/* ---- the command hook ------------------------------------------------ */

static int
run_command(const char *cmd, long timeout_ms, const char *json)
{
	int in[2], status, i;
	int64_t deadline;
	size_t off = 0, len = strlen(json);
	pid_t pid, w;

	if (pipe(in) < 0) {
		fprintf(stderr, "mxdoc monitor: alert command: pipe: %s\n",
		    strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "mxdoc monitor: alert command: fork: %s\n",
		    strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		/* Its own process group, so the deadline kills what the
		 * shell started too; stdout joins stderr, never our report. */
		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(2, 1);
		close(in[0]);
		close(in[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
	deadline = mtime_mono_us() + (int64_t)timeout_ms * 1000;
	/* The event is small; a command that does not read it is fine. */
	while (off < len && mtime_mono_us() < deadline) {
		ssize_t n = write(in[1], json + off, len - off);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	close(in[1]);
	for (i = 0;; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			fprintf(stderr, "mxdoc monitor: alert command: wait: "
			    "%s\n", strerror(errno));
			return -1;
		}
		if (mtime_mono_us() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "mxdoc monitor: alert command killed "
			    "after %ld ms: %s\n", timeout_ms, cmd);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "mxdoc monitor: alert command exited %d: %s\n",
		    WEXITSTATUS(status), cmd);
	else
		fprintf(stderr, "mxdoc monitor: alert command died of signal "
		    "%d: %s\n", WTERMSIG(status), cmd);
	return -1;
}

/* ---- the webhook ----------------------------------------------------- */

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static int
post_webhook(const char *url, long timeout_ms, const char *json)
{
	const struct http_curl *cu;
	struct curl_slist *h = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	const char *why = NULL;
	long code = 0;
	CURLcode rc;
	CURL *c;

	if ((cu = http_curl(&why)) == NULL) {
		fprintf(stderr, "mxdoc monitor: webhook: %s\n", why);
		return -1;
	}
	if ((c = cu->easy_init()) == NULL) {
		fprintf(stderr, "mxdoc monitor: webhook: cannot start libcurl\n");
		return -1;
	}
	h = cu->slist_append(h, "Content-Type: application/json");
	h = cu->slist_append(h, "User-Agent: mxdoc/" MXDOC_VERSION);
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, h);
	cu->easy_setopt(c, CURLOPT_POSTFIELDS, json);
	cu->easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = cu->easy_perform(c);
	if (rc == CURLE_OK)
		cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	cu->easy_cleanup(c);
	cu->slist_free_all(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "mxdoc monitor: webhook %s: %s\n", url,
		    errbuf[0] ? errbuf : cu->easy_strerror(rc));
		return -1;
	}
	if (code < 200 || code > 299) {
		fprintf(stderr, "mxdoc monitor: webhook %s: HTTP %ld%s\n", url,
		    code, code >= 300 && code < 400 ? " (redirects are not "
		    "followed)" : "");
		return -1;
	}
	return 0;
}

int
mon_alert(const struct mon_alert_conf *ac, const char *json, bool quiet)
{
	int failed = 0;

	if (ac->command != NULL && run_command(ac->command,
	    ac->command_timeout_ms, json) < 0)
		failed++;
	if (ac->webhook != NULL && post_webhook(ac->webhook,
	    ac->webhook_timeout_ms, json) < 0)
		failed++;
	return failed;
}

/* ---- metrics --------------------------------------------------------- */

struct mon_series {
	char	*target, *zone;
	int	 listed;	/* any query of the target listed */
	int	 checked;	/* every query answered listed or clean */
};

/* mxdoc_auth_check_severity{target,check} and
 * mxdoc_diagnose_verdict{target,cause}. */
struct mon_gauge {
	char	*target, *label;
	int	 value;
};

struct mon_metrics {
	struct evhttp		*http;
	struct mon_series	*series;
	int			 nseries;
	struct mon_gauge	*auth, *diag;
	int			 nauth, ndiag;
	bool			 have_round;
	int64_t			 last_us;
	double			 duration_ms;
	int			 errors, listed;
	long			 rounds;
	int			 history_failures, alert_failures, pending;
};

/* Label values escape backslash, double quote and newline. */
static void
label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_putc(b, '\\');
		if (*s == '\n') {
			buf_puts(b, "\\n");
			continue;
		}
		buf_putc(b, *s);
	}
}

static void
exposition(const struct mon_metrics *m, struct buf *b)
{
	int i, pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			buf_puts(b, "# HELP mxdoc_blocklist_listed Whether the "
			    "target is listed on the zone (1) or not (0).\n"
			    "# TYPE mxdoc_blocklist_listed gauge\n");
		else
			buf_puts(b, "# HELP mxdoc_blocklist_checked Whether the "
			    "zone answered for the target in the last round "
			    "(0: unchecked or error).\n"
			    "# TYPE mxdoc_blocklist_checked gauge\n");
		for (i = 0; i < m->nseries; i++) {
			buf_puts(b, pass == 0 ? "mxdoc_blocklist_listed{target=\""
			    : "mxdoc_blocklist_checked{target=\"");
			label(b, m->series[i].target);
			buf_puts(b, "\",zone=\"");
			label(b, m->series[i].zone);
			buf_printf(b, "\"} %d\n", pass == 0 ?
			    m->series[i].listed : m->series[i].checked);
		}
	}
	if (m->nauth > 0)
		buf_puts(b, "# HELP mxdoc_auth_check_severity The worst severity "
		    "of the auth audit's findings in a section (0 ok, 1 info, 2 "
		    "warning, 3 error).\n"
		    "# TYPE mxdoc_auth_check_severity gauge\n");
	for (i = 0; i < m->nauth; i++) {
		buf_puts(b, "mxdoc_auth_check_severity{target=\"");
		label(b, m->auth[i].target);
		buf_puts(b, "\",check=\"");
		label(b, m->auth[i].label);
		buf_printf(b, "\"} %d\n", m->auth[i].value);
	}
	if (m->ndiag > 0)
		buf_puts(b, "# HELP mxdoc_diagnose_verdict The cause of the last "
		    "diagnose's verdict (1 for the cause seen).\n"
		    "# TYPE mxdoc_diagnose_verdict gauge\n");
	for (i = 0; i < m->ndiag; i++) {
		buf_puts(b, "mxdoc_diagnose_verdict{target=\"");
		label(b, m->diag[i].target);
		buf_puts(b, "\",cause=\"");
		label(b, m->diag[i].label);
		buf_printf(b, "\"} %d\n", m->diag[i].value);
	}
	if (m->have_round) {
		buf_printf(b, "# HELP mxdoc_monitor_last_check_timestamp_seconds "
		    "When the last round of checks began.\n"
		    "# TYPE mxdoc_monitor_last_check_timestamp_seconds gauge\n"
		    "mxdoc_monitor_last_check_timestamp_seconds %.3f\n",
		    (double)m->last_us / 1e6);
		buf_printf(b, "# HELP mxdoc_monitor_check_duration_seconds How "
		    "long the last round of checks took.\n"
		    "# TYPE mxdoc_monitor_check_duration_seconds gauge\n"
		    "mxdoc_monitor_check_duration_seconds %.3f\n",
		    m->duration_ms / 1000.0);
		buf_printf(b, "# HELP mxdoc_monitor_check_errors Checks of the "
		    "last round that were unchecked or failed.\n"
		    "# TYPE mxdoc_monitor_check_errors gauge\n"
		    "mxdoc_monitor_check_errors %d\n", m->errors);
		buf_printf(b, "# HELP mxdoc_monitor_listings Listings seen in "
		    "the last round.\n"
		    "# TYPE mxdoc_monitor_listings gauge\n"
		    "mxdoc_monitor_listings %d\n", m->listed);
	}
	buf_printf(b, "# HELP mxdoc_monitor_rounds_total Rounds of checks "
	    "run.\n# TYPE mxdoc_monitor_rounds_total counter\n"
	    "mxdoc_monitor_rounds_total %ld\n", m->rounds);
	buf_printf(b, "# HELP mxdoc_monitor_history_write_failures_total "
	    "Attempts to write a round to the history that failed (locked "
	    "database, full disk).\n"
	    "# TYPE mxdoc_monitor_history_write_failures_total counter\n"
	    "mxdoc_monitor_history_write_failures_total %d\n",
	    m->history_failures);
	buf_printf(b, "# HELP mxdoc_monitor_history_pending_rounds Rounds "
	    "waiting to be written to the history.\n"
	    "# TYPE mxdoc_monitor_history_pending_rounds gauge\n"
	    "mxdoc_monitor_history_pending_rounds %d\n", m->pending);
	buf_printf(b, "# HELP mxdoc_monitor_alert_failures_total Alert "
	    "deliveries (command or webhook) that failed.\n"
	    "# TYPE mxdoc_monitor_alert_failures_total counter\n"
	    "mxdoc_monitor_alert_failures_total %d\n", m->alert_failures);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct mon_metrics *m = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *out;
	struct buf b;

	if (uri == NULL || (strcmp(uri, "/metrics") != 0 &&
	    strncmp(uri, "/metrics?", 9) != 0)) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, 405, "GET only");
		return;
	}
	buf_init(&b, BUF_UNBOUNDED);
	exposition(m, &b);
	out = evbuffer_new();
	evbuffer_add(out, b.data, b.len);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
	buf_release(&b);
}

struct mon_metrics *
mon_metrics_start(struct event_base *base, const char *addr, char *err,
    size_t errlen)
{
	struct mon_metrics *m;
	const char *colon = strrchr(addr, ':');
	char host[128], *end;
	long port;

	if (colon == NULL || colon == addr) {
		snprintf(err, errlen, "'%s' is not ADDR:PORT", addr);
		return NULL;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 1 || port > 65535) {
		snprintf(err, errlen, "bad port in '%s'", addr);
		return NULL;
	}
	if (addr[0] == '[' && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 2),
		    addr + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	m = xcalloc(1, sizeof(*m));
	if ((m->http = evhttp_new(base)) == NULL ||
	    evhttp_bind_socket_with_handle(m->http, host, (uint16_t)port) ==
	    NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr,
		    strerror(errno));
		return mon_metrics_stop(m);
	}
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(m->http, 16384);
	evhttp_set_max_body_size(m->http, 4096);
	evhttp_set_timeout(m->http, 10);
	evhttp_set_gencb(m->http, on_request, m);
	return m;
}

static void
clear_gauges(struct mon_gauge **g, int *n)
{
	int i;

	for (i = 0; i < *n; i++) {
		free((*g)[i].target);
		free((*g)[i].label);
	}
	free(*g);
	*g = NULL;
	*n = 0;
}

static void
add_gauge(struct mon_gauge **g, int *n, const char *target,
    const char *label, int value)
{
	*g = xrealloc(*g, (size_t)(*n + 1) * sizeof(**g));
	(*g)[*n].target = xstrdup(target);
	(*g)[*n].label = xstrdup(label);
	(*g)[*n].value = value;
	(*n)++;
}

static void
clear_series(struct mon_metrics *m)
{
	int i;

	clear_gauges(&m->auth, &m->nauth);
	clear_gauges(&m->diag, &m->ndiag);
	for (i = 0; i < m->nseries; i++) {
		free(m->series[i].target);
		free(m->series[i].zone);
	}
	free(m->series);
	m->series = NULL;
	m->nseries = 0;
}

struct mon_metrics *
mon_metrics_stop(struct mon_metrics *m)
{
	if (m == NULL)
		return NULL;
	if (m->http != NULL)
		evhttp_free(m->http);
	clear_series(m);
	free(m);
	return NULL;
}

void
mon_metrics_round(struct mon_metrics *m, const struct mon_round *r)
{
	int i, k;

	if (m == NULL)
		return;
	clear_series(m);
	m->series = xcalloc((size_t)r->nobs + 1, sizeof(*m->series));
	for (i = 0; i < r->nobs; i++) {
		const struct mon_obs *o = &r->obs[i];
		bool listed = strcmp(o->status, "listed") == 0;
		bool checked = listed || strcmp(o->status, "clean") == 0;

		if (strcmp(o->check, "auth") == 0) {
			add_gauge(&m->auth, &m->nauth, o->target, o->subject,
			    o->severity);
			continue;
		}
		if (strcmp(o->check, "diagnose") == 0) {
			if (!o->quiet)
				add_gauge(&m->diag, &m->ndiag, o->target,
				    o->status, 1);
			continue;
		}
		/* A host name's addresses fold into one series. */
		for (k = 0; k < m->nseries; k++)
			if (strcmp(m->series[k].target, o->target) == 0 &&
			    strcmp(m->series[k].zone, o->subject) == 0)
				break;
		if (k == m->nseries) {
			m->series[k].target = xstrdup(o->target);
			m->series[k].zone = xstrdup(o->subject);
			m->series[k].checked = 1;
			m->nseries++;
		}
		if (listed)
			m->series[k].listed = 1;
		if (!checked)
			m->series[k].checked = 0;
	}
	m->have_round = true;
	m->last_us = r->at_us;
	m->duration_ms = r->duration_ms;
	m->errors = r->errors;
	m->listed = r->listed;
	m->rounds++;
}

void
mon_metrics_count(struct mon_metrics *m, int history_failures,
    int alert_failures, int pending)
{
	if (m == NULL)
		return;
	m->history_failures = history_failures;
	m->alert_failures = alert_failures;
	m->pending = pending;
}
