/*
 * http.h - libcurl, loaded when it is first needed.
 *
 * Only two things in mxdoc speak HTTP: the MTA-STS policy fetch of `mxdoc
 * auth` and the monitor's webhook. Linking libcurl would make every
 * command pay for loading it and its thirty-odd dependencies (GnuTLS,
 * Kerberos, LDAP, SASL, libssh2, nghttp2...) at each start, milliseconds
 * that `mxdoc spf` or `mxdoc --version` never use. So libcurl.so.4 is
 * dlopen()ed on the first call to http_curl(), curl_global_init() runs
 * once then, and callers reach libcurl through the table of functions it
 * returns: `cu->easy_setopt(c, CURLOPT_URL, url)`. The environment
 * variable MXDOC_LIBCURL, when set, names the file to load instead. The table lives until
 * the process exits (libcurl is never unloaded). One thread: the first
 * call is not synchronised.
 *
 * libcurl's headers are still the compile-time contract (types, option
 * and error numbers); only the link goes. A missing or too-old libcurl is
 * a returned error with a sentence a user can act on, never an exit.
 */
#ifndef MXDOC_CORE_HTTP_H
#define MXDOC_CORE_HTTP_H

#include <curl/curl.h>

struct http_curl {
	CURL		*(*easy_init)(void);
	CURLcode	 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	 (*easy_perform)(CURL *);
	CURLcode	 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void		 (*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void		 (*slist_free_all)(struct curl_slist *);
	CURLM		*(*multi_init)(void);
	CURLMcode	 (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode	 (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	 (*multi_socket_action)(CURLM *, curl_socket_t, int,
			    int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLMcode	 (*multi_assign)(CURLM *, curl_socket_t, void *);
	CURLMcode	 (*multi_cleanup)(CURLM *);
	const char	*(*multi_strerror)(CURLMcode);
};

/* libcurl's functions, loading libcurl.so.4 and initialising it on the
 * first call. Returns the table (borrowed, valid until exit), or NULL with
 * a static sentence in *err when libcurl cannot be loaded, lacks one of
 * the functions, or does not initialise; later calls give the same NULL
 * and sentence without trying again. */
const struct http_curl *http_curl(const char **err);

/* Tears libcurl's global state down if it was loaded (at the end of a
 * long-running command); http_curl() then fails. */
void	 http_shutdown(void);

/*
 * Transfers on the caller's libevent loop: a multi handle whose sockets
 * and timer are libevent events (CURLMOPT_SOCKETFUNCTION, TIMERFUNCTION),
 * so HTTP runs beside DNS and SMTP in one thread and never blocks it.
 * Every transfer must carry its own CURLOPT_TIMEOUT_MS: that is what
 * bounds it. The multi handle shares libcurl's caches (connections, the
 * CA store) among its transfers.
 */
struct event_base;
struct http_multi;

/* Called once per transfer with libcurl's result; the easy handle is out
 * of the multi handle again and belongs to the caller, who may clean it
 * up or start other transfers (but not free the multi handle). */
typedef void (*http_done_cb)(void *arg, CURL *easy, CURLcode rc);

/* NULL with a static sentence in *err when libcurl cannot be had. */
struct http_multi *http_multi_new(struct event_base *base, const char **err);
/* Frees; transfers still running are dropped without a callback. */
struct http_multi *http_multi_free(struct http_multi *m);
/* Starts easy (set up by the caller; CURLOPT_PRIVATE is taken). Returns
 * 0 and calls cb exactly once later, or -1 with no callback. */
int		 http_multi_add(struct http_multi *m, CURL *easy,
		    http_done_cb cb, void *arg);

#endif
