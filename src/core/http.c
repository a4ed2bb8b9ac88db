#include "core/http.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
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
	    !SYM(multi_cleanup, "curl_multi_cleanup") ||
	    !SYM(multi_strerror, "curl_multi_strerror")) {
		dlclose(lib);
		*err = why;
		return NULL;
	}
	if ((rc = real_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(why, sizeof(why), "libcurl did not initialise (%s)",
		    api.easy_strerror(rc));
		*err = why;
		return NULL;
	}
	loaded = true;
	return &api;
}

/*
 * Callers that still name libcurl's global setup directly (the monitor's
 * start and end) link against these two, as no libcurl is linked. Setup happens in http_curl() on first
 * use, so the first is a no-op; the second tears libcurl down only if it
 * was loaded. Remove them once no caller names curl_global_*.
 */
CURLcode
curl_global_init(long flags)
{
	(void)flags;
	return CURLE_OK;
}

void
curl_global_cleanup(void)
{
	if (loaded && real_global_cleanup != NULL) {
		real_global_cleanup();
		loaded = false;
		tried = true;
		snprintf(why, sizeof(why), "libcurl was shut down");
	}
}
