#include "core/http.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/mem.h"

/* The soname of libcurl's ABI since 7.16 (Debian's libcurl4). */
#define HTTP_SONAME	"libcurl.so.4"

static struct http_curl	 api;
static bool		 tried;
static bool		 loaded;
static char		 why[512];
static CURLcode		(*real_global_init)(long);
static void		(*real_global_cleanup)(void);

static bool
sym(void *lib, const char *name, void *fp, size_t size)
{
	void *p = dlsym(lib, name);

	if (p == NULL) {
		snprintf(why, sizeof(why), "%s has no %s (libcurl 7.85 or "
		    "later is needed)", HTTP_SONAME, name);
		return false;
	}
	/* POSIX: a data pointer from dlsym() converts to a function one. */
	memcpy(fp, &p, size);
	return true;
}

#define SYM(field, name) sym(lib, name, &api.field, sizeof(api.field))

const struct http_curl *
http_curl(const char **err)
{
	const char *name;
	void *lib;
	CURLcode rc;

	if (loaded)
		return &api;
	if (tried) {
		*err = why;
		return NULL;
	}
	tried = true;
	/* MXDOC_LIBCURL: another build of libcurl (and the tests' way to
	 * see what a machine without libcurl gets). */
	if ((name = getenv("MXDOC_LIBCURL")) == NULL || name[0] == '\0')
		name = HTTP_SONAME;
	/* Lazy binding, as the linker would have done: resolving libcurl's
	 * and its dependencies' every symbol now costs 3M instructions. */
	lib = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	if (lib == NULL) {
		const char *e = dlerror();

		snprintf(why, sizeof(why), "libcurl cannot be loaded (%s): "
		    "install it (Debian: libcurl4)", e != NULL ? e : name);
		*err = why;
		return NULL;
	}
	if (!sym(lib, "curl_global_init", &real_global_init,
	    sizeof(real_global_init)) ||
	    !sym(lib, "curl_global_cleanup", &real_global_cleanup,
	    sizeof(real_global_cleanup)) ||
	    !SYM(easy_init, "curl_easy_init") ||
	    !SYM(easy_setopt, "curl_easy_setopt") ||
	    !SYM(easy_perform, "curl_easy_perform") ||
	    !SYM(easy_getinfo, "curl_easy_getinfo") ||
	    !SYM(easy_cleanup, "curl_easy_cleanup") ||
	    !SYM(easy_strerror, "curl_easy_strerror") ||
	    !SYM(slist_append, "curl_slist_append") ||
	    !SYM(slist_free_all, "curl_slist_free_all") ||
	    !SYM(multi_init, "curl_multi_init") ||
	    !SYM(multi_setopt, "curl_multi_setopt") ||
	    !SYM(multi_add_handle, "curl_multi_add_handle") ||
	    !SYM(multi_remove_handle, "curl_multi_remove_handle") ||
	    !SYM(multi_socket_action, "curl_multi_socket_action") ||
	    !SYM(multi_info_read, "curl_multi_info_read") ||
	    !SYM(multi_assign, "curl_multi_assign") ||
	    !SYM(multi_cleanup, "curl_multi_cleanup") ||
	    !SYM(multi_strerror, "curl_multi_strerror")) {
		dlclose(lib);
		*err = why;
		return NULL;
	}
	if ((rc = real_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(why, sizeof(why), "libcurl did not initialise (%s)",
		    api.easy_strerror(rc));
		dlclose(lib);
		*err = why;
		return NULL;
	}
	loaded = true;
	return &api;
}

/* ---- Transfers on the loop ------------------------------------------ */

struct http_multi {
	const struct http_curl	*cu;
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	int			 running;	/* transfers added, not done */
};

struct http_xfer {
	http_done_cb	 cb;
	void		*arg;
};

static void
multi_done(struct http_multi *m)
{
	CURLMsg *msg;
	int left;

	/* The callbacks may add transfers: info_read is asked again after
	 * each, and it only ever returns finished ones. */
	while ((msg = m->cu->multi_info_read(m->multi, &left)) != NULL) {
		struct http_xfer *x = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		m->cu->easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		x = (struct http_xfer *)(void *)priv;
		m->cu->multi_remove_handle(m->multi, easy);
		m->running--;
		if (x != NULL) {
			http_done_cb cb = x->cb;
			void *arg = x->arg;

			free(x);
			cb(arg, easy, rc);
		}
	}
}

static void
on_sock(evutil_socket_t fd, short what, void *arg)
{
	struct http_multi *m = arg;
	int flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	m->cu->multi_socket_action(m->multi, fd, flags, &running);
	multi_done(m);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http_multi *m = arg;
	int running;

	m->cu->multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	multi_done(m);
}

/* CURLMOPT_SOCKETFUNCTION: one persistent event per socket, kept as the
 * socket's pointer in libcurl (curl_multi_assign). */
static int
sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_multi *m = userp;
	struct event *ev = socketp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL) {
			event_free(ev);
			m->cu->multi_assign(m->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev == NULL) {
		if ((ev = event_new(m->base, s, kind, on_sock, m)) == NULL)
			abort();	/* libevent out of memory */
		m->cu->multi_assign(m->multi, s, ev);
	} else {
		event_del(ev);
		event_assign(ev, m->base, s, kind, on_sock, m);
	}
	if (event_add(ev, NULL) < 0)
		abort();	/* libevent out of memory */
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl must not be called from here, so even
 * "now" (0) goes through the loop. */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_multi *m = userp;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(m->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(m->timer, &tv);
	return 0;
}

struct http_multi *
http_multi_new(struct event_base *base, const char **err)
{
	const struct http_curl *cu = http_curl(err);
	struct http_multi *m;

	if (cu == NULL)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->cu = cu;
	m->base = base;
	if ((m->multi = cu->multi_init()) == NULL) {
		free(m);
		*err = "libcurl could not start";
		return NULL;
	}
	m->timer = evtimer_new(base, on_timer, m);
	if (m->timer == NULL)
		abort();	/* libevent out of memory */
	cu->multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	cu->multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	cu->multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	cu->multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	return m;
}

int
http_multi_add(struct http_multi *m, CURL *easy, http_done_cb cb, void *arg)
{
	struct http_xfer *x = xcalloc(1, sizeof(*x));

	x->cb = cb;
	x->arg = arg;
	m->cu->easy_setopt(easy, CURLOPT_PRIVATE, (void *)x);
	if (m->cu->multi_add_handle(m->multi, easy) != CURLM_OK) {
		m->cu->easy_setopt(easy, CURLOPT_PRIVATE, (void *)NULL);
		free(x);
		return -1;
	}
	m->running++;
	return 0;
}

struct http_multi *
http_multi_free(struct http_multi *m)
{
	if (m == NULL)
		return NULL;
	/* Transfers still in: libcurl closes their sockets (REMOVE frees
	 * the events) and their private data goes unreported. */
	m->cu->multi_cleanup(m->multi);
	event_free(m->timer);
	free(m);
	return NULL;
}

void
http_shutdown(void)
{
	if (loaded && real_global_cleanup != NULL) {
		real_global_cleanup();
		loaded = false;
		tried = true;
		snprintf(why, sizeof(why), "libcurl was shut down");
	}
}
