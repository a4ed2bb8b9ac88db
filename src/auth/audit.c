#include "auth/audit.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/dkim_key.h"
#include "auth/spf.h"
#include "core/buf.h"
#include "core/http.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "core/netaddr.h"
#include "smtp/session.h"
#include "tls/tls.h"

/* data/dkim-selectors.txt, compiled in (core/embedded.h). */
extern const char embedded_dkim_selectors_txt[];
extern const size_t embedded_dkim_selectors_txt_len;

/* Which question an answer belongs to. */
enum qkind {
	Q_SPF_TXT, Q_DMARC, Q_DMARC_ORG, Q_REPORT, Q_STS_TXT, Q_STS_A,
	Q_STS_AAAA, Q_TLSRPT, Q_MX, Q_MX_A, Q_MX_AAAA, Q_DKIM, Q_TLSA,
	Q_TLSA_EXP,
};

/* The TLSA answer at an MX's CNAME-expanded name, until it is known
 * which of the two names' records apply. */
struct tlsa_set {
	bool		 answered;
	enum dns_status	 status;
	enum dns_sec	 sec;
	char		*why_bogus;
	int		 n;
	struct audit_tlsa t[AUDIT_TLSA_MAX];
};

struct audit;

struct aq {
	struct audit	*a;
	enum qkind	 kind;
	int		 idx;
	char		*name;		/* while it waits in the pool */
	uint16_t	 type;
	struct aq	*next;
};

struct audit_pool {
	int		 max, inflight;
	struct aq	*head, *tail;	/* questions waiting, in order */
	bool		 draining;
};

/* An MX host's SMTP visit for its certificate chain. */
struct probe {
	struct audit		*a;
	struct audit_mx_host	*h;
	struct smtp_session	*s;
};

/* What the audit waits for: the answers (with the SPF walk), then the
 * policy fetch, then the DANE probes; each phase ends by its timeouts. */
enum phase { PH_DNS, PH_FETCH, PH_PROBE, PH_DONE };

struct audit {
	struct event_base	*base;
	struct audit_params	 p;	/* a copy; its strings are borrowed */
	struct audit_result	*r;
	audit_cb		 cb;
	void			*cb_arg;
	enum phase		 phase;
	struct event		*step;	/* the next phase, from the loop */
	int64_t			 t0;
	int			 pending;	/* questions or probes */
	bool			 spf_done;
	char			 sts_host[300];
	struct tlsa_set		 exp[AUDIT_MX_MAX];
	/* the MTA-STS policy fetch */
	struct http_multi	*own_http;	/* without p.http */
	CURL			*easy;
	struct curl_slist	*connect_list;
	char			*connect_to;
	struct buf		 body;
	char			 errbuf[CURL_ERROR_SIZE];
	/* the DANE probes */
	struct tls_ctx		*tls;
	struct probe		 pb[AUDIT_MX_MAX];
};

static void on_answer(void *arg, const struct dns_answer *ans);

/* Runs the next phase from the loop, never from inside a callback of the
 * resolver, libcurl or an SMTP session. */
static void
kick(struct audit *a)
{
	struct timeval now = { 0, 0 };

	evtimer_add(a->step, &now);
}

static void
send_q(struct aq *q, const char *name, uint16_t type)
{
	struct audit_pool *pl = q->a->p.pool;

	if (pl != NULL)
		pl->inflight++;
	if (dns_query(q->a->p.dns, name, type, on_answer, q) == NULL) {
		struct dns_answer fake;

		/* A name DNS cannot be asked: answered as an error now. */
		memset(&fake, 0, sizeof(fake));
		fake.status = DNS_ERROR;
		fake.error = "the name cannot be asked";
		fake.rcode = -1;
		on_answer(q, &fake);
	}
}

/* Questions that waited for room, oldest first. A loop, not recursion:
 * an answer given at once (a name that cannot be asked) comes back here
 * while draining. */
static void
pool_drain(struct audit_pool *pl)
{
	if (pl == NULL || pl->draining)
		return;
	pl->draining = true;
	while (pl->head != NULL && pl->inflight < pl->max) {
		struct aq *q = pl->head;
		char *name = q->name;

		pl->head = q->next;
		if (pl->head == NULL)
			pl->tail = NULL;
		q->name = NULL;
		send_q(q, name, q->type);
		free(name);
	}
	pl->draining = false;
}

static void
ask(struct audit *a, const char *name, uint16_t type, enum qkind kind,
    int idx)
{
	struct audit_pool *pl = a->p.pool;
	struct aq *q = xcalloc(1, sizeof(*q));

	q->a = a;
	q->kind = kind;
	q->idx = idx;
	a->pending++;
	if (pl != NULL && (pl->inflight >= pl->max || pl->head != NULL)) {
		q->name = xstrdup(name);
		q->type = type;
		if (pl->tail != NULL)
			pl->tail->next = q;
		else
			pl->head = q;
		pl->tail = q;
		return;
	}
	send_q(q, name, type);
}

static void
done_one(struct audit *a)
{
	if (--a->pending == 0 && a->spf_done)
		kick(a);
}

struct audit_pool *
audit_pool_new(int max_inflight)
{
	struct audit_pool *pl = xcalloc(1, sizeof(*pl));

	pl->max = max_inflight > 0 ? max_inflight : 1;
	return pl;
}

struct audit_pool *
audit_pool_free(struct audit_pool *pl)
{
	if (pl == NULL)
		return NULL;
	/* Audits still running own the questions: nothing waits by then. */
	if (pl->head != NULL)
		abort();
	free(pl);
	return NULL;
}

/* The records of a TXT answer that pass is_rec; the first is copied. */
static int
select_txt(const struct dns_answer *ans, bool (*is_rec)(const char *,
    size_t), char **first, size_t *len, int *nstrings)
{
	int i, n = 0;

	for (i = 0; i < ans->nrr; i++) {
		const struct dns_rr *rr = ans->rr[i];

		if (!is_rec(rr->u.txt.data, rr->u.txt.len))
			continue;
		if (n++ == 0) {
			*first = xstrndup(rr->u.txt.data, rr->u.txt.len);
			if (len != NULL)
				*len = rr->u.txt.len;
			if (nstrings != NULL)
				*nstrings = rr->u.txt.nstrings;
		}
	}
	return n;
}

static bool
is_spf(const char *s, size_t n)
{
	return spf_is_record(s, n);
}

static bool
same_name(const char *x, const char *y)
{
	size_t nx = strlen(x), ny = strlen(y);

	if (nx > 0 && x[nx - 1] == '.')
		nx--;
	if (ny > 0 && y[ny - 1] == '.')
		ny--;
	return nx == ny && strncasecmp(x, y, nx) == 0;
}

static bool dns_failed(enum dns_status s);

static void
dmarc_found(struct audit *a, const struct dns_answer *ans, const char *at)
{
	struct audit_dmarc *d = &a->r->dmarc;
	char org[256];
	int i, k;

	free(d->record);
	d->record = NULL;
	d->nrecords = select_txt(ans, dmarc_is_record, &d->record, NULL, NULL);
	if (d->nrecords == 0)
		return;
	free(d->found_at);
	d->found_at = xstrdup(at);
	(void)dmarc_parse(d->record, strlen(d->record), &d->rec);
	/* RFC 7489 7.1: a destination outside the policy domain's
	 * organizational domain must publish
	 * <policy-domain>._report._dmarc.<destination>. */
	if (dmarc_org_domain(at, org) < 0)
		snprintf(org, sizeof(org), "%s", at);
	for (k = 0; k < 2; k++) {
		const struct dmarc_uri *u = k == 0 ? d->rec.rua : d->rec.ruf;
		int nu = k == 0 ? d->rec.nrua : d->rec.nruf;

		for (i = 0; i < nu && d->nauth < AUDIT_REPORT_MAX; i++) {
			struct audit_report_auth *ra;
			char dorg[256];
			int j;
			bool dup = false;

			if (!u[i].mailto || u[i].domain[0] == '\0')
				continue;
			for (j = 0; j < d->nauth; j++)
				if (strcmp(d->auth[j].dest, u[i].domain) == 0)
					dup = true;
			if (dup)
				continue;
			ra = &d->auth[d->nauth++];
			snprintf(ra->dest, sizeof(ra->dest), "%s", u[i].domain);
			if (dmarc_org_domain(u[i].domain, dorg) < 0)
				snprintf(dorg, sizeof(dorg), "%s", u[i].domain);
			ra->external = strcasecmp(dorg, org) != 0;
			if (!ra->external) {
				ra->authorized = true;
				continue;
			}
			ra->name = xasprintf("%s._report._dmarc.%s", at,
			    u[i].domain);
			ask(a, ra->name, DNS_T_TXT, Q_REPORT, d->nauth - 1);
		}
	}
}

static void
mx_answer(struct audit *a, const struct dns_answer *ans)
{
	struct audit_mx *m = &a->r->mx;
	int i;

	m->status = ans->status;
	m->ntotal = ans->nrr;
	for (i = 0; i < ans->nrr; i++) {
		const struct dns_rr *rr = ans->rr[i];
		struct audit_mx_host *h;
		unsigned char tmp[16];

		if (rr->u.mx.host[0] == '\0') {
			m->null_mx = true;
			continue;
		}
		if (m->nhost >= AUDIT_MX_MAX)
			continue;
		h = &m->host[m->nhost++];
		h->pref = rr->u.mx.pref;
		snprintf(h->host, sizeof(h->host), "%s", rr->u.mx.host);
		h->status_a = h->status_aaaa = DNS_NODATA;
		if (inet_pton(AF_INET, h->host, tmp) == 1 ||
		    inet_pton(AF_INET6, h->host, tmp) == 1 ||
		    h->host[0] == '[') {
			h->literal = true;
			continue;
		}
		ask(a, h->host, DNS_T_A, Q_MX_A, m->nhost - 1);
		ask(a, h->host, DNS_T_AAAA, Q_MX_AAAA, m->nhost - 1);
		/* TLSA at the MX name now; at its CNAME-expanded name too
		 * once an address answer shows a secure alias (mx_addr). */
		h->status_tlsa = DNS_NODATA;
		/* memcpy: same-sized members GCC thinks may overlap. */
		memcpy(h->tlsa_base, h->host, sizeof(h->tlsa_base));
		{
			char tname[300];

			snprintf(tname, sizeof(tname), "_25._tcp.%s", h->host);
			ask(a, tname, DNS_T_TLSA, Q_TLSA, m->nhost - 1);
		}
	}
}

/* A TXT record that is meant as a DKIM key: v=DKIM1 first, or a p= tag
 * (a wildcard SPF record at the name is not one). */
static bool
is_dkim(const char *s, size_t n)
{
	size_t i;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n >= 7 && strncmp(s, "v=DKIM1", 7) == 0)
		return true;
	for (i = 0; i + 1 < n; i++)
		if (s[i] == 'p' && (s[i + 1] == '=' || s[i + 1] == ' ') &&
		    (i == 0 || s[i - 1] == ';' || s[i - 1] == ' ' ||
		    s[i - 1] == '\t')) {
			size_t j = i + 1;

			while (j < n && s[j] == ' ')
				j++;
			if (j < n && s[j] == '=')
				return true;
		}
	return false;
}

/* The RSA modulus size of p=: a SubjectPublicKeyInfo (RFC 6376 3.6.1),
 * or the bare RSAPublicKey some publishers use and verifiers accept. */
static int
rsa_bits(const unsigned char *der, size_t n)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)n);
	int bits = 0;

	if (pk == NULL) {
		p = der;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)n);
	}
	if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		bits = EVP_PKEY_get_bits(pk);
	EVP_PKEY_free(pk);
	return bits;
}

static void
dkim_answer(struct audit *a, const struct dns_answer *ans, int idx)
{
	struct audit_dkim *d = &a->r->dkim;
	struct audit_dkim_key *k = &d->sel[idx];
	struct dkim_key *key;
	const char *why = NULL;

	k->status = ans->status;
	if (dns_failed(ans->status))
		d->nfailed++;
	k->nrecords = select_txt(ans, is_dkim, &k->record, NULL, NULL);
	if (k->nrecords == 0)
		return;
	k->found = true;
	d->nfound++;
	key = xcalloc(1, sizeof(*key));
	if (dkim_key_parse(k->record, strlen(k->record), key, &why) < 0) {
		k->error = why;
	} else {
		k->ed25519 = key->type == DKIM_KEY_ED25519;
		k->testing = key->testing;
		k->revoked = key->revoked;
		if (!k->ed25519 && !k->revoked) {
			k->bits = rsa_bits(key->p, key->plen);
			if (k->bits == 0)
				k->error = "p= is not an RSA public key";
		}
	}
	free(key);
}

static void
tlsa_answer(struct audit *a, const struct dns_answer *ans, int idx,
    bool expanded)
{
	struct audit_mx_host *h = &a->r->mx.host[idx];
	struct tlsa_set *e = &a->exp[idx];
	enum dns_status *status = expanded ? &e->status : &h->status_tlsa;
	enum dns_sec *sec = expanded ? &e->sec : &h->sec_tlsa;
	char **why = expanded ? &e->why_bogus : &h->why_bogus;
	struct audit_tlsa *set = expanded ? e->t : h->tlsa;
	int *n = expanded ? &e->n : &h->ntlsa;
	int i;

	e->answered = e->answered || expanded;
	*status = ans->status;
	*sec = ans->sec;
	if (ans->why_bogus != NULL)
		*why = xstrdup(ans->why_bogus);
	for (i = 0; i < ans->nrr && *n < AUDIT_TLSA_MAX; i++) {
		const struct dns_rr *rr = ans->rr[i];
		struct audit_tlsa *t = &set[(*n)++];

		t->usage = rr->u.tlsa.usage;
		t->selector = rr->u.tlsa.selector;
		t->mtype = rr->u.tlsa.mtype;
		t->len = rr->u.tlsa.len;
		t->data = xmalloc(t->len > 0 ? t->len : 1);
		if (t->len > 0)
			memcpy(t->data, rr->u.tlsa.data, t->len);
		t->match = DANE_NO_CHAIN;
		t->depth = -1;
	}
}

static void
mx_addr(struct audit *a, const struct dns_answer *ans, int idx, bool v6)
{
	struct audit_mx_host *h = &a->r->mx.host[idx];
	int i;

	if (v6)
		h->status_aaaa = ans->status;
	else
		h->status_a = ans->status;
	if (ans->canonical != NULL && !same_name(ans->canonical, h->host)) {
		h->cname = true;
		snprintf(h->canonical, sizeof(h->canonical), "%s",
		    ans->canonical);
		/* RFC 7672 2.2.2: a DNSSEC-validated CNAME chain makes the
		 * expanded name the first TLSA base domain. */
		if (ans->sec == DNS_SEC_SECURE && !h->tlsa_expanded) {
			char tname[300];

			h->tlsa_expanded = true;
			snprintf(tname, sizeof(tname), "_25._tcp.%s",
			    h->canonical);
			ask(a, tname, DNS_T_TLSA, Q_TLSA_EXP, idx);
		}
	}
	for (i = 0; i < ans->nrr && h->naddr < AUDIT_ADDR_MAX; i++)
		inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ?
		    (const void *)&ans->rr[i]->u.aaaa :
		    (const void *)&ans->rr[i]->u.a, h->addr[h->naddr++], 64);
}

static void
on_answer(void *arg, const struct dns_answer *ans)
{
	struct aq *q = arg;
	struct audit *a = q->a;
	struct audit_result *r = a->r;
	struct audit_pool *pl = a->p.pool;
	char name[600];
	int i;

	if (pl != NULL)
		pl->inflight--;
	switch (q->kind) {
	case Q_SPF_TXT:
		r->spf.status = ans->status;
		r->spf.ntxt = ans->nrr;
		r->spf.nrecords = select_txt(ans, is_spf, &r->spf.record,
		    &r->spf.record_len, &r->spf.nstrings);
		/* Header, question, then each record: name pointer, type,
		 * class, TTL, length, and a length byte per string. */
		r->spf.answer_bytes = 12 + strlen(r->domain) + 2 + 4;
		for (i = 0; i < ans->nrr; i++)
			r->spf.answer_bytes += 12 + ans->rr[i]->u.txt.len +
			    (size_t)ans->rr[i]->u.txt.nstrings;
		break;
	case Q_DMARC:
		r->dmarc.status = ans->status;
		dmarc_found(a, ans, r->domain);
		if (r->dmarc.nrecords == 0 && (ans->status == DNS_OK ||
		    ans->status == DNS_NODATA || ans->status == DNS_NXDOMAIN) &&
		    r->dmarc.org[0] != '\0' && !same_name(r->dmarc.org,
		    r->domain)) {
			snprintf(name, sizeof(name), "_dmarc.%s", r->dmarc.org);
			ask(a, name, DNS_T_TXT, Q_DMARC_ORG, 0);
		}
		break;
	case Q_DMARC_ORG:
		r->dmarc.status = ans->status;
		dmarc_found(a, ans, r->dmarc.org);
		r->dmarc.fallback = r->dmarc.nrecords > 0;
		break;
	case Q_REPORT: {
		struct audit_report_auth *ra = &r->dmarc.auth[q->idx];

		ra->status = ans->status;
		for (i = 0; i < ans->nrr; i++)
			if (dmarc_is_record(ans->rr[i]->u.txt.data,
			    ans->rr[i]->u.txt.len))
				ra->authorized = true;
		break;
	}
	case Q_STS_TXT:
		r->mta_sts.status = ans->status;
		r->mta_sts.nrecords = select_txt(ans, mtasts_is_txt,
		    &r->mta_sts.record, NULL, NULL);
		if (r->mta_sts.record != NULL)
			(void)mtasts_txt_parse(r->mta_sts.record,
			    strlen(r->mta_sts.record), &r->mta_sts.txt);
		break;
	case Q_STS_A:
	case Q_STS_AAAA:
		/* IPv4 first: it is the one both kinds of host can reach. */
		if (ans->nrr > 0 && (q->kind == Q_STS_A ||
		    r->mta_sts.host_addr[0] == '\0'))
			inet_ntop(q->kind == Q_STS_A ? AF_INET : AF_INET6,
			    q->kind == Q_STS_A ?
			    (const void *)&ans->rr[0]->u.a :
			    (const void *)&ans->rr[0]->u.aaaa,
			    r->mta_sts.host_addr,
			    sizeof(r->mta_sts.host_addr));
		break;
	case Q_TLSRPT:
		r->tls_rpt.status = ans->status;
		r->tls_rpt.nrecords = select_txt(ans, tlsrpt_is_record,
		    &r->tls_rpt.record, NULL, NULL);
		if (r->tls_rpt.record != NULL)
			(void)tlsrpt_parse(r->tls_rpt.record,
			    strlen(r->tls_rpt.record), &r->tls_rpt.rec);
		break;
	case Q_MX:
		r->mx.sec = ans->sec;
		mx_answer(a, ans);
		break;
	case Q_DKIM:
		dkim_answer(a, ans, q->idx);
		break;
	case Q_TLSA:
	case Q_TLSA_EXP:
		tlsa_answer(a, ans, q->idx, q->kind == Q_TLSA_EXP);
		break;
	case Q_MX_A:
	case Q_MX_AAAA:
		mx_addr(a, ans, q->idx, q->kind == Q_MX_AAAA);
		break;
	}
	free(q);
	done_one(a);
	pool_drain(pl);
}

static void
on_spf(void *arg, struct spf_outcome *o)
{
	struct audit *a = arg;

	a->r->spf.budget = o;
	a->spf_done = true;
	if (a->pending == 0)
		kick(a);
}

/* ---- The MTA-STS policy over HTTPS (RFC 8461 3.3) ------------------- */

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_append(b, p, size * n) < 0)
		return 0;	/* over 64 KiB: the fetch fails */
	return size * n;
}

static void
fetch_done(void *arg, CURL *c, CURLcode rc)
{
	struct audit *a = arg;
	struct audit_mtasts *m = &a->r->mta_sts;
	const struct http_curl *cu;
	const char *why = NULL;
	char *ct = NULL;

	if ((cu = http_curl(&why)) == NULL)
		abort();	/* it was loaded to start the fetch */
	cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &m->http_status);
	if (cu->easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		m->content_type = xstrdup(ct);
	if (rc == CURLE_WRITE_ERROR) {
		m->error = xasprintf("the policy is larger than %d bytes",
		    MTASTS_POLICY_MAX);
	} else if (rc != CURLE_OK) {
		m->error = xasprintf("%s: %s", cu->easy_strerror(rc),
		    a->errbuf[0] ? a->errbuf : "-");
		m->cert_error = rc == CURLE_PEER_FAILED_VERIFICATION ||
		    rc == CURLE_SSL_CACERT_BADFILE ||
		    rc == CURLE_SSL_CERTPROBLEM;
	} else if (m->http_status != 200) {
		m->error = xasprintf("HTTP status %ld (200 is required; "
		    "redirects are not followed, RFC 8461 3.3)",
		    m->http_status);
	} else {
		m->body_len = a->body.len;
		m->body = buf_steal(&a->body);
		(void)mtasts_policy_parse(m->body, m->body_len, &m->policy);
		m->have_policy = true;
	}
	buf_release(&a->body);
	cu->slist_free_all(a->connect_list);
	a->connect_list = NULL;
	free(a->connect_to);
	a->connect_to = NULL;
	cu->easy_cleanup(c);
	a->easy = NULL;
	kick(a);
}

/* Starts the fetch on the loop (libcurl's multi interface, the caller's
 * or one of the audit's own). Returns true when fetch_done will follow,
 * false when the fetch ended before it began (its error recorded). */
static bool
fetch_start(struct audit *a)
{
	struct audit_mtasts *m = &a->r->mta_sts;
	struct http_multi *hm = a->p.http;
	const struct http_curl *cu;
	const char *why = NULL;
	CURL *c;
	int port = a->p.https_port > 0 ? a->p.https_port : 443;
	long to = a->p.timeout_ms > 0 ? a->p.timeout_ms : 10000;

	m->fetched = true;
	m->url = xasprintf("https://%s/.well-known/mta-sts.txt", a->sts_host);
	if (m->host_addr[0] == '\0') {
		m->error = xasprintf("%s has no address (%s)", a->sts_host,
		    "no A or AAAA record");
		return false;
	}
	if ((cu = http_curl(&why)) == NULL) {
		m->error = xstrdup(why);
		return false;
	}
	if (hm == NULL) {
		if ((a->own_http = http_multi_new(a->base, &why)) == NULL) {
			m->error = xstrdup(why);
			return false;
		}
		hm = a->own_http;
	}
	c = cu->easy_init();
	if (c == NULL) {
		m->error = xstrdup("libcurl could not start");
		return false;
	}
	buf_init(&a->body, MTASTS_POLICY_MAX);
	a->errbuf[0] = '\0';
	a->connect_to = xasprintf(strchr(m->host_addr, ':') ?
	    "%s:443:[%s]:%d" : "%s:443:%s:%d", a->sts_host, m->host_addr,
	    port);
	a->connect_list = cu->slist_append(NULL, a->connect_to);
	cu->easy_setopt(c, CURLOPT_URL, m->url);
	cu->easy_setopt(c, CURLOPT_CONNECT_TO, a->connect_list);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	cu->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, to);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, to);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (a->p.ca_file != NULL)
		cu->easy_setopt(c, CURLOPT_CAINFO, a->p.ca_file);
	cu->easy_setopt(c, CURLOPT_USERAGENT, "mxdoc");
	cu->easy_setopt(c, CURLOPT_ERRORBUFFER, a->errbuf);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
	if (http_multi_add(hm, c, fetch_done, a) < 0) {
		m->error = xstrdup("libcurl could not start the transfer");
		buf_release(&a->body);
		cu->slist_free_all(a->connect_list);
		a->connect_list = NULL;
		free(a->connect_to);
		a->connect_to = NULL;
		cu->easy_cleanup(c);
		return false;
	}
	a->easy = c;
	return true;
}

/* ---- Findings -------------------------------------------------------- */

static struct finding *
add(struct audit_result *r, const char *section, const char *check,
    const char *cause, enum severity sev, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static struct finding *
add(struct audit_result *r, const char *section, const char *check,
    const char *cause, enum severity sev, const char *fmt, ...)
{
	static struct finding spare;
	struct audit_finding *af;
	struct buf b;
	va_list ap;

	if (r->nfinding >= AUDIT_FINDINGS_MAX) {
		/* Past the table: written into a finding nobody reports. */
		finding_release(&spare);
		finding_init(&spare, "ok", SEV_OK, "-");
		return &spare;
	}
	af = &r->finding[r->nfinding++];
	af->section = section;
	af->check = check;
	buf_init(&b, 8192);
	va_start(ap, fmt);
	(void)buf_vprintf(&b, fmt, ap);
	va_end(ap);
	finding_init(&af->f, cause, sev, "%s", buf_cstr(&b));
	buf_release(&b);
	if (sev == SEV_ERROR)
		r->errors++;
	else if (sev == SEV_WARNING)
		r->warnings++;
	return &af->f;
}

static const char *
status_words(enum dns_status s)
{
	switch (s) {
	case DNS_NXDOMAIN:	return "the name does not exist";
	case DNS_NODATA:	return "no record of that type";
	case DNS_SERVFAIL:	return "SERVFAIL";
	case DNS_REFUSED:	return "refused";
	case DNS_TIMEOUT:	return "no answer in time";
	case DNS_ERROR:		return "a DNS error";
	default:		return "answered";
	}
}

static bool
dns_failed(enum dns_status s)
{
	return s == DNS_SERVFAIL || s == DNS_REFUSED || s == DNS_TIMEOUT ||
	    s == DNS_ERROR;
}

/* "-all" -> its qualifier, from the term text. */
static char
qualifier(const char *term)
{
	return term[0] == '+' || term[0] == '-' || term[0] == '~' ||
	    term[0] == '?' ? term[0] : '+';
}

static const char *
bare(const char *term)
{
	return qualifier(term) == term[0] ? term + 1 : term;
}

static void
findings_spf(struct audit_result *r)
{
	struct audit_spf *s = &r->spf;
	const struct spf_outcome *o = s->budget;
	struct spf_record *rec = NULL;
	char reason[SPF_REASON_MAX];
	struct finding *f;
	int i, k, n_ptr = 0;
	bool lookups_reported = false, parse_failed = false;

	if (dns_failed(s->status)) {
		f = add(r, "spf", "spf.dns", "dns.failure", SEV_ERROR, "the "
		    "TXT lookup of %s failed: %s; receivers return temperror",
		    r->domain, status_words(s->status));
		return;
	}
	if (s->nrecords == 0) {
		f = add(r, "spf", "spf.none", "auth.spf", SEV_ERROR,
		    "%s has no SPF record: receivers cannot tell which hosts "
		    "send its mail", r->domain);
		f->remedy_first = xasprintf("Publish one TXT record at %s: "
		    "\"v=spf1 <the hosts that send its mail> -all\"",
		    r->domain);
		return;
	}
	if (s->nrecords > 1) {
		f = add(r, "spf", "spf.multiple", "auth.spf",
		    SEV_ERROR, "%s has %d SPF records: receivers return "
		    "permerror (RFC 7208 4.5)", r->domain, s->nrecords);
		f->remedy_first = xstrdup("Merge them into one record");
	}
	if (spf_record_parse(s->record, s->record_len, &rec, reason) < 0) {
		parse_failed = true;
		f = add(r, "spf", "spf.syntax", "auth.spf",
		    SEV_ERROR, "the SPF record of %s is invalid: %s",
		    r->domain, reason);
		finding_evidence(f, "record: %s", s->record);
		if (s->nstrings > 1)
			finding_evidence(f, "the record is %d strings, joined "
			    "without spaces (RFC 7208 3.3): a space missing at "
			    "a split is a common cause", s->nstrings);
		f->remedy_first = xasprintf("Fix the record: %s", reason);
	}
	if (rec != NULL) {
		bool has_all = false;

		for (i = 0; i < rec->nterm; i++) {
			const struct spf_term *t = &rec->term[i];

			if (t->kind != SPF_T_MECH || t->mech != SPF_M_ALL)
				continue;
			has_all = true;
			if (t->qual == SPF_PASS) {
				f = add(r, "spf", "spf.all",
				    "auth.spf", SEV_ERROR, "%s "
				    "ends in %s: every host on the Internet "
				    "may send as %s", r->domain, t->text,
				    r->domain);
				f->remedy_first = xstrdup("End the record with "
				    "-all (or ~all while testing)");
			} else if (t->qual == SPF_NEUTRAL) {
				f = add(r, "spf", "spf.all",
				    "auth.spf", SEV_WARNING,
				    "%s ends in ?all: the record asserts "
				    "nothing about other hosts", r->domain);
				f->remedy_first = xstrdup("End the record with "
				    "-all or ~all");
			}
		}
		if (!has_all && rec->redirect < 0)
			add(r, "spf", "spf.all", "auth.spf",
			    SEV_INFO, "%s's record has no all and no "
			    "redirect=: other hosts get neutral", r->domain);
	}
	if (s->record_len > SPF_TXT_WARN) {
		f = add(r, "spf", "spf.size", "auth.spf",
		    SEV_WARNING, "the SPF record is %zu bytes, over %d: it may "
		    "not fit a UDP answer (RFC 7208 3.4)", s->record_len,
		    SPF_TXT_WARN);
		f->remedy_first = xstrdup("Shorten it: move hosts into an "
		    "include: of a subdomain, or use ip4:/ip6: ranges");
	}
	if (s->answer_bytes > DNS_UDP_LIMIT) {
		f = add(r, "spf", "spf.udp", "auth.spf", SEV_WARNING,
		    "the TXT answer for %s is about %zu bytes, over the %d of "
		    "plain UDP: receivers must retry over TCP", r->domain,
		    s->answer_bytes, DNS_UDP_LIMIT);
		finding_evidence(f, "%d TXT records at %s", s->ntxt, r->domain);
	}
	if (o != NULL) {
		if (o->lookups > SPF_LOOKUP_LIMIT) {
			lookups_reported = true;
			f = add(r, "spf", "spf.lookups", "auth.spf",
			    SEV_ERROR, "%s's SPF needs %d DNS lookups, over the "
			    "limit of %d: receivers return permerror (RFC 7208 "
			    "4.6.4)", r->domain, o->lookups, SPF_LOOKUP_LIMIT);
			f->remedy_first = xstrdup("Remove includes you no "
			    "longer use, replace a/mx with ip4:/ip6:, or "
			    "split senders onto subdomains");
		} else {
			f = add(r, "spf", "spf.lookups", "ok", SEV_OK, "%s's "
			    "SPF needs %d of %d DNS lookups", r->domain,
			    o->lookups, SPF_LOOKUP_LIMIT);
		}
		for (i = 0; i < o->ncheck; i++)
			finding_evidence(f, "%*s%s%s: %d", o->check[i].depth * 2,
			    "", o->check[i].parent >= 0 ?
			    (o->check[i].via == SPF_VIA_REDIRECT ?
			    "redirect=" : "include:") : "", o->check[i].domain,
			    o->check[i].dns_terms);
		if (o->void_lookups > SPF_VOID_LIMIT) {
			f = add(r, "spf", "spf.void", "auth.spf",
			    SEV_ERROR, "%d void lookups (no answer), over the "
			    "limit of %d: receivers may return permerror",
			    o->void_lookups, SPF_VOID_LIMIT);
			f->remedy_first = xstrdup("Remove terms that name "
			    "domains without records");
		}
		for (k = 0; k < o->nstep; k++) {
			const struct spf_step *st = &o->step[k];

			if (st->kind == SPF_STEP_TERM && st->term != NULL &&
			    strncasecmp(bare(st->term), "ptr", 3) == 0 &&
			    (bare(st->term)[3] == '\0' ||
			    bare(st->term)[3] == ':' ||
			    bare(st->term)[3] == '/') && n_ptr++ == 0) {
				f = add(r, "spf", "spf.ptr",
				    "auth.spf", SEV_WARNING,
				    "%s uses ptr, which RFC 7208 5.5 says not "
				    "to use: slow, and some receivers skip it",
				    st->domain);
				f->remedy_first = xstrdup("Replace ptr with "
				    "ip4:/ip6: or a:");
			}
		}
		/* Errors deeper in the tree: an include without a record, a
		 * loop, a broken include. */
		for (i = 1; i < o->ncheck; i++) {
			const struct spf_check *c = &o->check[i];

			if (c->error == NULL || (c->result != SPF_PERMERROR &&
			    c->result != SPF_TEMPERROR && c->result != SPF_NONE))
				continue;
			f = add(r, "spf", "spf.include", c->result ==
			    SPF_TEMPERROR ? "dns.failure" :
			    "auth.spf", c->result == SPF_TEMPERROR ?
			    SEV_WARNING : SEV_ERROR, "%s%s: %s",
			    c->via == SPF_VIA_REDIRECT ? "redirect=" :
			    "include:", c->domain, c->error);
		}
		if (o->result == SPF_PERMERROR && !lookups_reported &&
		    !parse_failed && o->void_lookups <= SPF_VOID_LIMIT) {
			f = add(r, "spf", "spf.permerror", "auth.spf",
			    SEV_ERROR, "%s's SPF record gives permerror: %s",
			    r->domain, o->reason ? o->reason : "?");
		}
	}
	spf_record_free(rec);
}

static void
findings_dmarc(struct audit_result *r)
{
	struct audit_dmarc *d = &r->dmarc;
	struct finding *f;
	enum dmarc_policy eff;
	int i;

	if (d->nrecords == 0) {
		if (dns_failed(d->status)) {
			add(r, "dmarc", "dmarc.dns", "dns.failure", SEV_ERROR,
			    "the DMARC lookup failed: %s",
			    status_words(d->status));
			return;
		}
		f = add(r, "dmarc", "dmarc.none", "auth.dmarc",
		    SEV_ERROR, "no DMARC record at _dmarc.%s%s%s: large "
		    "receivers (Gmail, Yahoo, Microsoft) require one from bulk "
		    "senders", r->domain, d->org[0] && !same_name(d->org,
		    r->domain) ? " nor at _dmarc." : "", d->org[0] &&
		    !same_name(d->org, r->domain) ? d->org : "");
		f->remedy_first = xasprintf("Publish a TXT record at "
		    "_dmarc.%s: \"v=DMARC1; p=none; rua=mailto:dmarc@%s\", "
		    "then move to quarantine or reject", d->org[0] ? d->org :
		    r->domain, d->org[0] ? d->org : r->domain);
		return;
	}
	if (d->fallback) {
		f = add(r, "dmarc", "dmarc.org_fallback", "ok", SEV_INFO,
		    "no record at _dmarc.%s: the organizational domain's "
		    "record at _dmarc.%s applies (RFC 7489 6.6.3)", r->domain,
		    d->org);
		finding_evidence(f, "record: %s", d->record);
	}
	if (d->nrecords > 1)
		add(r, "dmarc", "dmarc.multiple", "auth.dmarc",
		    SEV_ERROR, "%d DMARC records at _dmarc.%s: receivers "
		    "ignore them all (RFC 7489 6.6.3)", d->nrecords,
		    d->found_at);
	for (i = 0; i < d->rec.nnote; i++) {
		const struct dmarc_note *n = &d->rec.note[i];

		f = add(r, "dmarc", "dmarc.tag", n->sev == SEV_INFO ? "ok" :
		    "auth.dmarc", n->sev, "%s", n->text);
		if (n->tag[0])
			finding_evidence(f, "tag: %s", n->tag);
		finding_evidence(f, "record: %s", d->record);
	}
	if (!d->rec.valid)
		return;
	eff = d->fallback && d->rec.sp != DMARC_P_UNSET &&
	    d->rec.sp != DMARC_P_INVALID ? d->rec.sp : d->rec.p;
	if (eff == DMARC_P_NONE || eff == DMARC_P_UNSET ||
	    eff == DMARC_P_INVALID) {
		f = add(r, "dmarc", "dmarc.policy", "auth.dmarc",
		    SEV_WARNING, "DMARC p=none: monitoring only; mail that "
		    "fails SPF and DKIM alignment is still delivered");
		f->remedy_first = xstrdup("Once the aggregate reports show "
		    "every sender aligned, move to p=quarantine, then "
		    "p=reject");
	} else {
		add(r, "dmarc", "dmarc.policy", "ok", SEV_OK, "DMARC policy "
		    "%s%s", dmarc_policy_name(eff), d->fallback ?
		    " (from the organizational domain)" : "");
	}
	if (d->rec.pct < 100 && eff != DMARC_P_NONE)
		add(r, "dmarc", "dmarc.pct", "auth.dmarc",
		    SEV_WARNING, "pct=%d: the policy applies to %d%% of "
		    "failing mail only (DMARCbis drops pct; t=y replaces it)",
		    d->rec.pct, d->rec.pct);
	if (d->rec.nrua == 0) {
		f = add(r, "dmarc", "dmarc.rua", "auth.dmarc",
		    SEV_WARNING, "no rua=: no aggregate reports, so nobody "
		    "sees who sends as %s", r->domain);
		f->remedy_first = xasprintf("Add rua=mailto:dmarc@%s",
		    d->found_at);
	}
	for (i = 0; i < d->nauth; i++) {
		const struct audit_report_auth *ra = &d->auth[i];

		if (!ra->external)
			continue;
		if (ra->authorized) {
			add(r, "dmarc", "dmarc.report_auth", "ok", SEV_OK,
			    "%s accepts DMARC reports for %s (%s)", ra->dest,
			    d->found_at, ra->name);
		} else {
			f = add(r, "dmarc", "dmarc.report_auth",
			    "auth.dmarc", SEV_WARNING, "reports to "
			    "%s are not authorized: no v=DMARC1 record at %s "
			    "(RFC 7489 7.1); receivers will not send them",
			    ra->dest, ra->name);
			finding_evidence(f, "%s: %s", ra->name,
			    status_words(ra->status));
			f->remedy_first = xasprintf("Ask %s to publish TXT "
			    "\"v=DMARC1\" at %s", ra->dest, ra->name);
		}
	}
}

static void
findings_mtasts(struct audit_result *r)
{
	struct audit_mtasts *m = &r->mta_sts;
	struct audit_mx *mx = &r->mx;
	struct finding *f;
	int i, j, uncovered = 0;

	if (m->nrecords == 0) {
		if (dns_failed(m->status))
			add(r, "mta_sts", "mta_sts.dns", "dns.failure",
			    SEV_WARNING, "the _mta-sts TXT lookup failed: %s",
			    status_words(m->status));
		else
			add(r, "mta_sts", "mta_sts.none", "ok", SEV_INFO,
			    "no MTA-STS record at _mta-sts.%s: senders use "
			    "TLS only opportunistically", r->domain);
		return;
	}
	if (m->nrecords > 1)
		add(r, "mta_sts", "mta_sts.record", "auth.mta_sts",
		    SEV_ERROR, "%d v=STSv1 records at _mta-sts.%s: senders "
		    "ignore MTA-STS (RFC 8461 3.1)", m->nrecords, r->domain);
	for (i = 0; i < m->txt.nnote; i++)
		add(r, "mta_sts", "mta_sts.record", "auth.mta_sts",
		    m->txt.note[i].sev, "_mta-sts.%s: %s", r->domain,
		    m->txt.note[i].text);
	if (m->error != NULL) {
		f = add(r, "mta_sts", "mta_sts.fetch", "auth.mta_sts",
		    SEV_ERROR, "the MTA-STS policy cannot be fetched: %s",
		    m->error);
		finding_evidence(f, "url: %s", m->url);
		if (m->host_addr[0])
			finding_evidence(f, "address: %s", m->host_addr);
		if (m->cert_error)
			f->remedy_first = xasprintf("Serve the policy with a "
			    "certificate valid for mta-sts.%s, with its full "
			    "chain", r->domain);
		return;
	}
	if (!m->have_policy)
		return;
	if (m->content_type != NULL && strncasecmp(m->content_type,
	    "text/plain", 10) != 0)
		add(r, "mta_sts", "mta_sts.policy", "auth.mta_sts",
		    SEV_WARNING, "the policy is served as %s; RFC 8461 3.2 "
		    "asks for text/plain", m->content_type);
	for (i = 0; i < m->policy.nnote; i++)
		add(r, "mta_sts", "mta_sts.policy", m->policy.note[i].sev ==
		    SEV_INFO ? "ok" : "auth.mta_sts", m->policy.note[i].sev,
		    "policy: %s", m->policy.note[i].text);
	if (!m->policy.valid)
		return;
	if (m->policy.mode == MTASTS_MODE_TESTING)
		add(r, "mta_sts", "mta_sts.mode", "auth.mta_sts",
		    SEV_WARNING, "MTA-STS mode testing: failures are reported "
		    "(TLS-RPT) but mail is still delivered without TLS");
	else if (m->policy.mode == MTASTS_MODE_NONE)
		add(r, "mta_sts", "mta_sts.mode", "ok", SEV_INFO, "MTA-STS "
		    "mode none: the policy is being withdrawn");
	else
		add(r, "mta_sts", "mta_sts.mode", "ok", SEV_OK, "MTA-STS "
		    "mode enforce, max_age %ld", m->policy.max_age);
	if (m->policy.mode == MTASTS_MODE_NONE)
		return;
	for (i = 0; i < mx->nhost; i++) {
		bool ok = false;

		for (j = 0; j < m->policy.nmx && !ok; j++)
			ok = mtasts_mx_match(m->policy.mx[j], mx->host[i].host);
		if (ok)
			continue;
		uncovered++;
		f = add(r, "mta_sts", "mta_sts.mx", "auth.mta_sts",
		    m->policy.mode == MTASTS_MODE_ENFORCE ? SEV_ERROR :
		    SEV_WARNING, "MX %s is not in the MTA-STS policy%s",
		    mx->host[i].host, m->policy.mode == MTASTS_MODE_ENFORCE ?
		    ": senders that apply MTA-STS will not deliver to it" :
		    " (mode testing: reported, still delivered)");
		for (j = 0; j < m->policy.nmx; j++)
			finding_evidence(f, "mx: %s", m->policy.mx[j]);
		f->remedy_first = xasprintf("Add \"mx: %s\" to the policy, "
		    "then change id= in _mta-sts.%s", mx->host[i].host,
		    r->domain);
	}
	if (uncovered == 0 && mx->nhost > 0)
		add(r, "mta_sts", "mta_sts.mx", "ok", SEV_OK, "every MX "
		    "matches the policy's mx: patterns");
}

static void
findings_tlsrpt(struct audit_result *r)
{
	struct audit_tlsrpt *t = &r->tls_rpt;
	int i;

	if (t->nrecords == 0) {
		if (dns_failed(t->status))
			add(r, "tls_rpt", "tls_rpt.dns", "dns.failure",
			    SEV_WARNING, "the _smtp._tls TXT lookup failed: %s",
			    status_words(t->status));
		else
			add(r, "tls_rpt", "tls_rpt.none", "ok", SEV_INFO,
			    "no TLS-RPT record at _smtp._tls.%s: senders "
			    "cannot report TLS failures", r->domain);
		return;
	}
	if (t->nrecords > 1)
		add(r, "tls_rpt", "tls_rpt.record", "auth.tls_rpt",
		    SEV_ERROR, "%d v=TLSRPTv1 records at _smtp._tls.%s: "
		    "reporters ignore them (RFC 8460 3)", t->nrecords,
		    r->domain);
	for (i = 0; i < t->rec.nnote; i++)
		add(r, "tls_rpt", "tls_rpt.record", "auth.tls_rpt",
		    t->rec.note[i].sev, "_smtp._tls.%s: %s", r->domain,
		    t->rec.note[i].text);
	if (t->rec.valid && t->nrecords == 1)
		add(r, "tls_rpt", "tls_rpt.record", "ok", SEV_OK, "TLS-RPT "
		    "reports go to %s", t->rec.rua[0]);
}

static void
findings_mx(struct audit_result *r)
{
	struct audit_mx *m = &r->mx;
	struct finding *f;
	int i, bad = 0;

	if (dns_failed(m->status)) {
		add(r, "mx", "mx.dns", "dns.failure", SEV_ERROR, "the MX "
		    "lookup of %s failed: %s", r->domain,
		    status_words(m->status));
		return;
	}
	if (m->status == DNS_NXDOMAIN) {
		add(r, "mx", "mx.none", "dns.nxdomain", SEV_ERROR, "%s does "
		    "not exist", r->domain);
		return;
	}
	if (m->null_mx) {
		f = add(r, "mx", "mx.null", "dns.no_mail", SEV_WARNING, "%s "
		    "publishes a null MX: it takes no mail, and receivers may "
		    "refuse mail from it (RFC 7505 4.2)", r->domain);
		if (m->nhost > 0)
			finding_evidence(f, "a null MX must be the only MX, "
			    "but %d others are listed", m->nhost);
		return;
	}
	if (m->nhost == 0) {
		add(r, "mx", "mx.none", "ok", SEV_INFO, "%s has no MX: mail "
		    "goes to its A/AAAA address (RFC 5321 5.1)", r->domain);
		return;
	}
	for (i = 0; i < m->nhost; i++) {
		const struct audit_mx_host *h = &m->host[i];

		if (h->literal) {
			bad++;
			f = add(r, "mx", "mx.ip_literal", "dns.no_mail",
			    SEV_ERROR, "MX %s is an IP address: an MX must "
			    "name a host (RFC 5321 5.1)", h->host);
			f->remedy_first = xasprintf("Name a host with an A "
			    "record for %s instead", h->host);
			continue;
		}
		if (h->cname) {
			bad++;
			f = add(r, "mx", "mx.cname", "dns.no_mail",
			    SEV_WARNING, "MX %s is an alias (CNAME) of %s: "
			    "RFC 2181 10.3 forbids it and some senders fail",
			    h->host, h->canonical);
			f->remedy_first = xasprintf("Point the MX at %s "
			    "directly", h->canonical);
		}
		if (h->naddr == 0) {
			bad++;
			f = add(r, "mx", "mx.no_address", dns_failed(
			    h->status_a) ? "dns.failure" : "dns.no_mail",
			    SEV_ERROR, "MX %s has no address: A %s, AAAA %s",
			    h->host, status_words(h->status_a),
			    status_words(h->status_aaaa));
		}
	}
	if (bad == 0) {
		f = add(r, "mx", "mx.hosts", "ok", SEV_OK, "%d MX host%s, "
		    "each with an address", m->nhost, m->nhost == 1 ? "" :
		    "s");
		for (i = 0; i < m->nhost; i++)
			finding_evidence(f, "%d %s", m->host[i].pref,
			    m->host[i].host);
	}
}

static void
findings_dkim(struct audit_result *r)
{
	struct audit_dkim *d = &r->dkim;
	struct finding *f;
	int i;

	for (i = 0; i < d->ntried; i++) {
		const struct audit_dkim_key *k = &d->sel[i];

		if (!k->found)
			continue;
		if (k->nrecords > 1)
			add(r, "dkim", "dkim.multiple", "auth.dkim",
			    SEV_ERROR, "%d key records at %s._domainkey.%s: "
			    "verifiers may pick either", k->nrecords,
			    k->selector, r->domain);
		if (k->error != NULL) {
			f = add(r, "dkim", "dkim.syntax", "auth.dkim",
			    SEV_ERROR, "the DKIM key at %s._domainkey.%s is "
			    "broken: %s; signatures with s=%s fail", k->selector,
			    r->domain, k->error, k->selector);
			finding_evidence(f, "record: %s", k->record);
			continue;
		}
		if (k->revoked) {
			f = add(r, "dkim", "dkim.revoked", "auth.dkim",
			    SEV_WARNING, "selector %s is revoked (empty p=): "
			    "mail still signed with it fails DKIM", k->selector);
			finding_evidence(f, "record: %s", k->record);
			f->remedy_first = xasprintf("Make sure no sender signs "
			    "with s=%s any more, or publish its key again",
			    k->selector);
			continue;
		}
		if (!k->ed25519 && k->bits < 1024) {
			f = add(r, "dkim", "dkim.key_size", "auth.dkim",
			    SEV_ERROR, "selector %s: RSA %d-bit key: verifiers "
			    "treat keys under 1024 bits as no signature (RFC 8301 "
			    "3.2)", k->selector, k->bits);
			f->remedy_first = xasprintf("Generate a 2048-bit key "
			    "and publish it under a new selector");
		} else if (!k->ed25519 && k->bits < 2048) {
			f = add(r, "dkim", "dkim.key_size", "auth.dkim",
			    SEV_WARNING, "selector %s: RSA %d-bit key: RFC 8301 "
			    "asks for 2048 bits; some receivers already distrust "
			    "1024", k->selector, k->bits);
			f->remedy_first = xasprintf("Generate a 2048-bit key "
			    "and publish it under a new selector");
		} else {
			if (k->ed25519)
				f = add(r, "dkim", "dkim.key", "ok", SEV_OK,
				    "selector %s: Ed25519 key", k->selector);
			else
				f = add(r, "dkim", "dkim.key", "ok", SEV_OK,
				    "selector %s: RSA %d-bit key", k->selector,
				    k->bits);
		}
		if (k->testing) {
			f = add(r, "dkim", "dkim.testing", "auth.dkim",
			    SEV_WARNING, "selector %s has t=y (testing): "
			    "verifiers may treat its signatures as unsigned "
			    "(RFC 6376 3.6.1)", k->selector);
			f->remedy_first = xstrdup("Remove t=y once signing "
			    "works");
		}
	}
	if (d->nfound == 0) {
		f = add(r, "dkim", "dkim.none", "auth.dkim",
		    SEV_WARNING, "no DKIM key found among %d selectors tried "
		    "(a selector can only be known from a signed message: use "
		    "--selector)", d->ntried);
		if (d->nfailed > 0)
			finding_evidence(f, "%d of the lookups failed (timeout "
			    "or SERVFAIL)", d->nfailed);
		f->remedy_first = xasprintf("Read s= in the DKIM-Signature "
		    "header of a message from %s and run again with "
		    "--selector", r->domain);
	}
}

static const char *
sec_words(enum dns_sec s)
{
	switch (s) {
	case DNS_SEC_SECURE:	return "DNSSEC secure";
	case DNS_SEC_INSECURE:	return "DNSSEC insecure (unsigned)";
	case DNS_SEC_BOGUS:	return "DNSSEC bogus";
	default:		return "not DNSSEC-validated";
	}
}

static void
findings_dane_host(struct audit_result *r, const struct audit_mx_host *h)
{
	const struct audit_dane_probe *pr = &h->probe;
	struct finding *f;
	char rec[160];
	int i, usable = 0, matched = -1;

	if (h->tlsa_expanded && strcmp(h->tlsa_base, h->host) != 0)
		add(r, "dane", "dane.name", "ok", SEV_INFO, "%s is an alias "
		    "of %s (DNSSEC secure): its TLSA records are looked up "
		    "at _25._tcp.%s first (RFC 7672 2.2.2)", h->host,
		    h->canonical, h->tlsa_base);
	else if (h->tlsa_expanded && h->ntlsa > 0)
		add(r, "dane", "dane.name", "ok", SEV_INFO, "%s is an alias "
		    "of %s (DNSSEC secure), which has no TLSA records: those "
		    "at _25._tcp.%s apply (RFC 7672 2.2.2)", h->host,
		    h->canonical, h->host);
	if (h->sec_tlsa == DNS_SEC_BOGUS) {
		f = add(r, "dane", "dane.dnssec", "dns.dnssec_bogus", SEV_ERROR,
		    "the TLSA answer for _25._tcp.%s is DNSSEC bogus: DANE "
		    "senders defer mail to %s", h->tlsa_base, h->host);
		if (h->why_bogus != NULL)
			finding_evidence(f, "%s", h->why_bogus);
		return;
	}
	if (dns_failed(h->status_tlsa)) {
		add(r, "dane", "dane.dns", "dns.failure", SEV_WARNING, "the "
		    "TLSA lookup of _25._tcp.%s failed: %s; DANE senders "
		    "defer mail when it fails in a signed zone (RFC 7672 "
		    "2.2)", h->tlsa_base, status_words(h->status_tlsa));
		return;
	}
	if (h->ntlsa == 0)
		return;
	if (h->sec_tlsa == DNS_SEC_UNCHECKED) {
		f = add(r, "dane", "dane.dnssec", "ok", SEV_INFO, "%d TLSA "
		    "record%s at _25._tcp.%s, not DNSSEC-validated here: TLSA "
		    "means nothing without DNSSEC (give --trust-anchor to "
		    "check)", h->ntlsa, h->ntlsa == 1 ? "" : "s", h->tlsa_base);
	} else if (h->sec_tlsa == DNS_SEC_INSECURE) {
		f = add(r, "dane", "dane.dnssec", "auth.dane",
		    SEV_WARNING, "the TLSA records at _25._tcp.%s are in an "
		    "unsigned zone (DNSSEC insecure): senders ignore them "
		    "(RFC 7672 2.2)", h->tlsa_base);
		f->remedy_first = xasprintf("Sign the zone of %s with DNSSEC, "
		    "or remove the TLSA records", h->host);
	} else {
		add(r, "dane", "dane.dnssec", "ok", SEV_OK, "the TLSA records "
		    "at _25._tcp.%s are DNSSEC secure", h->tlsa_base);
	}
	for (i = 0; i < h->ntlsa; i++) {
		const struct audit_tlsa *t = &h->tlsa[i];
		struct dane_tlsa dt = { t->usage, t->selector, t->mtype,
		    t->data, t->len };

		dane_format(&dt, 8, rec, sizeof(rec));
		if (t->usage <= 1) {
			f = add(r, "dane", "dane.usage", "auth.dane",
			    SEV_WARNING, "TLSA %s for %s uses %s: RFC 7672 "
			    "3.1.3 says SMTP senders treat usages 0 and 1 as "
			    "unusable", rec, h->host, dane_usage_name(t->usage));
			f->remedy_first = xstrdup("Publish a DANE-EE (3 1 1) "
			    "or DANE-TA (2 1 1) record instead");
			continue;
		}
		if (t->usage > 3 || t->selector > 1 || t->mtype > 2) {
			add(r, "dane", "dane.usage", "auth.dane",
			    SEV_WARNING, "TLSA %s for %s has parameters RFC "
			    "6698 does not define: senders ignore it", rec,
			    h->host);
			continue;
		}
		usable++;
		if (t->match == DANE_MATCH && matched < 0)
			matched = i;
	}
	if (!pr->tried)
		return;
	if (!pr->tls) {
		f = add(r, "dane", "dane.probe", pr->cause != NULL ? pr->cause :
		    "tls.unavailable", strcmp(pr->cause != NULL ? pr->cause : "",
		    "tls.unavailable") == 0 ? SEV_ERROR : SEV_WARNING,
		    "%s publishes TLSA, but its certificate could not be seen: "
		    "%s", h->host, pr->error != NULL ? pr->error : "?");
		finding_evidence(f, "address: %s port %d", pr->addr, pr->port);
		return;
	}
	if (usable == 0) {
		add(r, "dane", "dane.match", "auth.dane", SEV_WARNING,
		    "none of the TLSA records of %s is usable for SMTP: "
		    "senders fall back to unauthenticated TLS", h->host);
		return;
	}
	if (matched >= 0) {
		const struct audit_tlsa *t = &h->tlsa[matched];
		struct dane_tlsa dt = { t->usage, t->selector, t->mtype,
		    t->data, t->len };

		dane_format(&dt, 8, rec, sizeof(rec));
		f = add(r, "dane", "dane.match", "ok", SEV_OK, "%s's certificate "
		    "matches TLSA %s (%s, chain element %d)", h->host, rec,
		    dane_usage_name(t->usage), t->depth);
		finding_evidence(f, "leaf: %s", pr->leaf_subject);
		return;
	}
	f = add(r, "dane", "dane.match", "auth.dane", SEV_ERROR, "the "
	    "certificate of %s matches none of its %d TLSA record%s: DANE "
	    "senders will not deliver to it", h->host, h->ntlsa, h->ntlsa == 1 ?
	    "" : "s");
	finding_evidence(f, "address: %s port %d, %s, %d certificate%s sent",
	    pr->addr, pr->port, pr->tls_version, pr->nchain, pr->nchain == 1 ?
	    "" : "s");
	finding_evidence(f, "leaf: %s", pr->leaf_subject);
	finding_evidence(f, "TLSA answer: %s", sec_words(h->sec_tlsa));
	for (i = 0; i < h->ntlsa; i++) {
		const struct audit_tlsa *t = &h->tlsa[i];
		struct dane_tlsa dt = { t->usage, t->selector, t->mtype,
		    t->data, t->len };

		dane_format(&dt, 8, rec, sizeof(rec));
		finding_evidence(f, "TLSA %s: %s", rec, t->why != NULL ? t->why :
		    dane_result_name(t->match));
	}
	f->remedy_first = xasprintf("Publish a TLSA record for the "
	    "certificate %s presents now (3 1 1 of its public key), keeping "
	    "the old one until caches expire; roll keys with both records in "
	    "place", h->host);
}

static void
findings_dane(struct audit_result *r)
{
	const struct audit_mx *m = &r->mx;
	int i, with = 0;

	for (i = 0; i < m->nhost; i++) {
		if (m->host[i].literal)
			continue;
		if (m->host[i].ntlsa > 0 || m->host[i].sec_tlsa ==
		    DNS_SEC_BOGUS)
			with++;
		findings_dane_host(r, &m->host[i]);
	}
	if (with == 0 && m->nhost > 0 && !m->null_mx)
		add(r, "dane", "dane.none", "ok", SEV_INFO, "no MX publishes "
		    "TLSA records at _25._tcp: DANE is not in use");
}

static void
verdict(struct audit_result *r)
{
	const struct audit_finding *worst = NULL;
	int i;

	for (i = 0; i < r->nfinding; i++)
		if (r->finding[i].f.severity >= SEV_WARNING &&
		    (worst == NULL || r->finding[i].f.severity >
		    worst->f.severity))
			worst = &r->finding[i];
	if (worst == NULL) {
		finding_init(&r->verdict, "ok", SEV_OK, "%s: SPF, DKIM, "
		    "DMARC, MTA-STS, TLS-RPT, MX and DANE show no problem", r->domain);
		return;
	}
	finding_init(&r->verdict, worst->f.cause->id, worst->f.severity,
	    "%s: %d error%s, %d warning%s; first: %s", r->domain, r->errors,
	    r->errors == 1 ? "" : "s", r->warnings, r->warnings == 1 ? "" :
	    "s", worst->f.summary);
	if (worst->f.remedy_first != NULL)
		r->verdict.remedy_first = xstrdup(worst->f.remedy_first);
	for (i = 0; i < r->nfinding; i++)
		if (r->finding[i].f.severity >= SEV_WARNING)
			finding_evidence(&r->verdict, "%s: %s",
			    r->finding[i].check, r->finding[i].f.summary);
}

/* ---- DANE: each MX's chain over STARTTLS (RFC 7672 3) --------------- */


static const char *
fail_cause(enum smtp_fail f, int code)
{
	switch (f) {
	case SMTP_F_REFUSED:		return "net.refused";
	case SMTP_F_UNREACHABLE:	return "net.unreachable";
	case SMTP_F_CONNECT_TIMEOUT:	return "net.connect_timeout";
	case SMTP_F_TIMEOUT:		return "net.timeout";
	case SMTP_F_RESET:		return "net.reset";
	case SMTP_F_CLOSED:		return "net.closed";
	case SMTP_F_NO_STARTTLS:	return "tls.unavailable";
	case SMTP_F_TLS:		return "tls.handshake_failed";
	case SMTP_F_TLS_TIMEOUT:	return "tls.handshake_timeout";
	case SMTP_F_REPLY:		return code >= 500 ? "smtp.permanent" :
					    "smtp.temporary";
	case SMTP_F_LOCAL:		return "local.resource";
	default:			return "smtp.protocol";
	}
}

static void
on_probe(void *arg, struct smtp_session *s)
{
	struct probe *pb = arg;
	struct audit_mx_host *h = pb->h;
	struct audit_dane_probe *pr = &h->probe;
	const struct smtp_result *res = smtp_session_result(s);
	const unsigned char *der[TLS_MAX_CHAIN];
	size_t len[TLS_MAX_CHAIN];
	int i;

	if (res->tls.done) {
		pr->tls = true;
		snprintf(pr->tls_version, sizeof(pr->tls_version), "%s",
		    res->tls.version);
		pr->nchain = res->tls.nchain;
		if (res->tls.nchain > 0)
			snprintf(pr->leaf_subject, sizeof(pr->leaf_subject),
			    "%s", res->tls.chain[0].subject);
		for (i = 0; i < res->tls.nchain; i++) {
			der[i] = res->tls.der[i];
			len[i] = res->tls.der_len[i];
		}
		for (i = 0; i < h->ntlsa; i++) {
			struct audit_tlsa *t = &h->tlsa[i];
			struct dane_tlsa dt = { t->usage, t->selector,
			    t->mtype, t->data, t->len };

			t->match = dane_match(&dt, der, len, res->tls.nchain,
			    &t->depth, &t->why);
		}
	} else if (res->fail == SMTP_F_NONE && !res->tls_offered) {
		pr->cause = "tls.unavailable";
		pr->error = xstrdup("STARTTLS is not offered: DANE senders "
		    "will not deliver (RFC 7672 2.2)");
	} else {
		pr->cause = fail_cause(res->fail, res->code);
		if (res->fail == SMTP_F_NO_STARTTLS)
			pr->error = xstrdup("STARTTLS is not offered: DANE "
			    "senders will not deliver (RFC 7672 2.2)");
		else
			pr->error = xasprintf("%s %s%s%s%s",
			    smtp_stage_phrase(res->fail_stage),
			    smtp_fail_name(res->fail), res->tls.error[0] ?
			    ": " : "", res->tls.error, res->text != NULL &&
			    res->fail == SMTP_F_REPLY ? res->text : "");
	}
	smtp_session_free(s);
	pb->s = NULL;
	if (--pb->a->pending == 0)
		kick(pb->a);
}

/* RFC 7672 2.2.2: the records at the CNAME-expanded name apply, unless
 * it has none (a denial): then those at the MX name do. A bogus or failed
 * answer there is not a denial: senders stop at it. */
static void
tlsa_pick(struct audit *a)
{
	struct audit_mx *m = &a->r->mx;
	int i, k;

	for (i = 0; i < m->nhost; i++) {
		struct audit_mx_host *h = &m->host[i];
		struct tlsa_set *e = &a->exp[i];
		bool denied;

		if (!e->answered)
			continue;
		denied = e->n == 0 && e->sec != DNS_SEC_BOGUS &&
		    (e->status == DNS_OK || e->status == DNS_NODATA ||
		    e->status == DNS_NXDOMAIN);
		if (denied) {
			free(e->why_bogus);
			e->why_bogus = NULL;
			continue;
		}
		for (k = 0; k < h->ntlsa; k++)
			free(h->tlsa[k].data);
		free(h->why_bogus);
		h->status_tlsa = e->status;
		h->sec_tlsa = e->sec;
		h->why_bogus = e->why_bogus;
		h->ntlsa = e->n;
		memcpy(h->tlsa, e->t, sizeof(h->tlsa));
		memcpy(h->tlsa_base, h->canonical, sizeof(h->tlsa_base));
		memset(e, 0, sizeof(*e));
	}
}

/* A host with TLSA records and an address; bogus records are not to be
 * used at all (RFC 7672 2.2: senders defer), so they are not probed. */
static bool
want_probe(const struct audit_mx_host *h)
{
	return h->ntlsa > 0 && h->naddr > 0 && h->sec_tlsa != DNS_SEC_BOGUS;
}

/* Starts an SMTP session to every MX with TLSA records; returns how many
 * run (on_probe follows for each). */
static int
probe_start(struct audit *a)
{
	struct audit_mx *m = &a->r->mx;
	struct probe *pb = a->pb;
	struct tls_params tp;
	struct tls_ctx *tls;
	char *err = NULL;
	int i, k, n = 0;

	for (i = 0; i < m->nhost; i++)
		if (want_probe(&m->host[i]))
			n++;
	if (n == 0)
		return 0;
	memset(&tp, 0, sizeof(tp));
	tls = tls_ctx_new(&tp, &err);
	if (tls == NULL) {
		for (i = 0; i < m->nhost; i++) {
			if (!want_probe(&m->host[i]))
				continue;
			m->host[i].probe.tried = true;
			m->host[i].probe.cause = "local.resource";
			m->host[i].probe.error = xstrdup(err ? err : "no TLS");
		}
		free(err);
		return 0;
	}
	a->tls = tls;
	memset(a->pb, 0, sizeof(a->pb));
	a->pending = 0;
	for (i = 0; i < m->nhost; i++) {
		struct audit_mx_host *h = &m->host[i];
		struct audit_dane_probe *pr = &h->probe;
		struct smtp_params sp;

		if (!want_probe(h))
			continue;
		pr->tried = true;
		pr->port = a->p.smtp_port > 0 ? a->p.smtp_port : 25;
		{
			/* memcpy, not snprintf: GCC cannot see that the two
			 * members of *h do not overlap (-Werror=restrict). */
			size_t l = strnlen(h->addr[0], sizeof(pr->addr) - 1);

			memcpy(pr->addr, h->addr[0], l);
			pr->addr[l] = '\0';
		}
		memset(&sp, 0, sizeof(sp));
		if (netaddr_parse(pr->addr, pr->port, &sp.addr,
		    &sp.addrlen) < 0)
			abort();	/* inet_ntop wrote it */
		sp.helo = a->p.helo != NULL ? a->p.helo : "localhost";
		sp.server_name = h->host;
		sp.tls_mode = SMTP_TLS_OPPORTUNISTIC;
		sp.tls = tls;
		for (k = 0; k < SMTP_S_NUM; k++)
			sp.timeout_ms[k] = a->p.smtp_timeout_ms > 0 ?
			    a->p.smtp_timeout_ms : 10000;
		pb[i].a = a;
		pb[i].h = h;
		a->pending++;
		pb[i].s = smtp_session_start(a->base, &sp, on_probe, &pb[i]);
		if (pb[i].s == NULL) {
			a->pending--;
			pr->cause = "local.resource";
			pr->error = xstrdup("the SMTP session could not start");
		}
	}
	/* Every stage of every session has its timeout: each calls back. */
	return a->pending;
}

/* ---- DKIM selectors ------------------------------------------------- */

static bool
selector_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= AUDIT_SELECTOR_LEN || s[0] == '.' ||
	    s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static void
add_selector(struct audit *a, const char *s, size_t n)
{
	struct audit_dkim *d = &a->r->dkim;
	char name[600];
	int i;

	if (!selector_ok(s, n) || d->ntried >= AUDIT_SELECTORS_MAX)
		return;
	for (i = 0; i < d->ntried; i++)
		if (strlen(d->sel[i].selector) == n &&
		    strncasecmp(d->sel[i].selector, s, n) == 0)
			return;
	snprintf(d->sel[d->ntried].selector, AUDIT_SELECTOR_LEN, "%.*s",
	    (int)n, s);
	d->sel[d->ntried].status = DNS_NODATA;
	snprintf(name, sizeof(name), "%.*s._domainkey.%s", (int)n, s,
	    a->r->domain);
	ask(a, name, DNS_T_TXT, Q_DKIM, d->ntried++);
}

/* The given selectors, then the common ones: the first word of each
 * line of data/dkim-selectors.txt that is not a comment. */
static void
ask_selectors(struct audit *a)
{
	const char *p = embedded_dkim_selectors_txt;
	const char *end = p + embedded_dkim_selectors_txt_len;
	int i;

	for (i = 0; i < a->p.nselectors; i++)
		add_selector(a, a->p.selectors[i],
		    strlen(a->p.selectors[i]));
	while (!a->p.no_common_selectors && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t w = 0;

		if (eol == NULL)
			eol = end;
		while (p + w < eol && p[w] != ' ' && p[w] != '\t' &&
		    p[w] != '\r')
			w++;
		if (w > 0 && p[0] != '#')
			add_selector(a, p, w);
		p = eol + 1;
	}
}

/* ---- Running -------------------------------------------------------- */

static void
finish(struct audit *a)
{
	struct audit_result *r = a->r;
	audit_cb cb = a->cb;
	void *arg = a->cb_arg;
	int i;

	findings_spf(r);
	findings_dkim(r);
	findings_dmarc(r);
	findings_mtasts(r);
	findings_tlsrpt(r);
	findings_mx(r);
	findings_dane(r);
	verdict(r);
	r->duration_ms = mtime_ms(a->t0, mtime_mono_us());
	for (i = 0; i < AUDIT_MX_MAX; i++)
		if (a->pb[i].s != NULL)
			smtp_session_free(a->pb[i].s);
	tls_ctx_free(a->tls);
	http_multi_free(a->own_http);
	event_free(a->step);
	free(a);
	cb(arg, r);
}

/* The phases in order; each returns here through kick() when the last
 * thing it waited for has come back, and a phase with nothing to wait
 * for falls through to the next. */
static void
on_step(evutil_socket_t fd, short what, void *arg)
{
	struct audit *a = arg;

	switch (a->phase) {
	case PH_DNS:
		if (a->pending > 0 || !a->spf_done)
			return;
		tlsa_pick(a);
		a->phase = PH_FETCH;
		if (a->r->mta_sts.nrecords > 0 && fetch_start(a))
			return;
		/* FALLTHROUGH */
	case PH_FETCH:
		if (a->easy != NULL)
			return;
		a->phase = PH_PROBE;
		if (probe_start(a) > 0)
			return;
		/* FALLTHROUGH */
	case PH_PROBE:
		if (a->pending > 0)
			return;
		a->phase = PH_DONE;
		finish(a);
		return;
	case PH_DONE:
		abort();	/* finish() freed it */
	}
}

struct audit *
audit_start(struct event_base *base, const struct audit_params *p,
    audit_cb cb, void *cb_arg, char **err)
{
	struct audit *a;
	struct audit_result *r;
	struct spf_params sp;
	struct spf_eval *ev;
	char name[600];
	size_t n = strlen(p->domain);

	if (n == 0 || n > 253 || !spf_name_ok(p->domain, false)) {
		*err = xasprintf("'%s' is not a domain name", p->domain);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->domain = xstrndup(p->domain, p->domain[n - 1] == '.' ? n - 1 : n);
	a = xcalloc(1, sizeof(*a));
	a->base = base;
	a->p = *p;
	a->r = r;
	a->cb = cb;
	a->cb_arg = cb_arg;
	a->t0 = mtime_mono_us();
	a->step = evtimer_new(base, on_step, a);
	if (a->step == NULL)
		abort();	/* libevent out of memory */
	if (dmarc_org_domain(r->domain, r->dmarc.org) < 0)
		r->dmarc.org[0] = '\0';
	snprintf(a->sts_host, sizeof(a->sts_host), "mta-sts.%s", r->domain);

	/* The SPF budget walk: a client that matches nothing, every
	 * include followed. */
	memset(&sp, 0, sizeof(sp));
	sp.dns = p->dns;
	sp.ip = "192.0.2.1";
	sp.domain = r->domain;
	sp.budget = true;
	/* Limits far above RFC 7208's, so the walk counts the whole
	 * worst case; the findings compare the counts with 10 and 2. */
	sp.max_lookups = 100;
	sp.max_void = 50;
	sp.deadline_ms = p->spf_deadline_ms;
	ev = spf_eval_start(base, &sp, on_spf, a, err);
	if (ev == NULL) {
		free(*err);
		*err = NULL;
		a->spf_done = true;
	}
	ask(a, r->domain, DNS_T_TXT, Q_SPF_TXT, 0);
	snprintf(name, sizeof(name), "_dmarc.%s", r->domain);
	ask(a, name, DNS_T_TXT, Q_DMARC, 0);
	snprintf(name, sizeof(name), "_mta-sts.%s", r->domain);
	ask(a, name, DNS_T_TXT, Q_STS_TXT, 0);
	ask(a, a->sts_host, DNS_T_A, Q_STS_A, 0);
	ask(a, a->sts_host, DNS_T_AAAA, Q_STS_AAAA, 0);
	snprintf(name, sizeof(name), "_smtp._tls.%s", r->domain);
	ask(a, name, DNS_T_TXT, Q_TLSRPT, 0);
	ask(a, r->domain, DNS_T_MX, Q_MX, 0);
	ask_selectors(a);
	/* Every query ends by its timeout and the walk by its deadline;
	 * the step also covers an audit whose questions all failed at once. */
	kick(a);
	return a;
}

static void
on_run_done(void *arg, struct audit_result *r)
{
	*(struct audit_result **)arg = r;
}

struct audit_result *
audit_run(struct event_base *base, const struct audit_params *p, char **err)
{
	struct audit_result *r = NULL;

	if (audit_start(base, p, on_run_done, &r, err) == NULL)
		return NULL;
	/* Every wait of every phase is bounded: the loop gets there. */
	while (r == NULL)
		if (event_base_loop(base, EVLOOP_ONCE) < 0)
			abort();	/* libevent broken: no way to go on */
	return r;
}

struct audit_result *
audit_free(struct audit_result *r)
{
	int i;

	if (r == NULL)
		return NULL;
	free(r->domain);
	free(r->spf.record);
	spf_outcome_free(r->spf.budget);
	free(r->dmarc.found_at);
	free(r->dmarc.record);
	for (i = 0; i < r->dmarc.nauth; i++)
		free(r->dmarc.auth[i].name);
	free(r->mta_sts.record);
	free(r->mta_sts.url);
	free(r->mta_sts.content_type);
	free(r->mta_sts.error);
	free(r->mta_sts.body);
	free(r->tls_rpt.record);
	for (i = 0; i < r->dkim.ntried; i++)
		free(r->dkim.sel[i].record);
	for (i = 0; i < r->mx.nhost; i++) {
		struct audit_mx_host *h = &r->mx.host[i];
		int k;

		free(h->why_bogus);
		free(h->probe.error);
		for (k = 0; k < h->ntlsa; k++)
			free(h->tlsa[k].data);
	}
	for (i = 0; i < r->nfinding; i++)
		finding_release(&r->finding[i].f);
	finding_release(&r->verdict);
	free(r);
	return NULL;
}

/* ---- Many domains at once ------------------------------------------- */

struct many;

struct many_job {
	struct many	*m;
	int		 i;
};

struct many {
	struct event_base	*base;
	struct audit_params	 p;	/* tmpl, with the pool and HTTPS */
	const char *const	*domains;
	struct many_job		*job;
	int			 n, jobs, next, running, ndone;
	int64_t			 last_us;	/* the last completion */
	int64_t			 stall_us;
	audit_many_cb		 done;
	void			(*tick)(void *);
	void			*arg;
};

static void many_on_audit(void *arg, struct audit_result *r);

static void
many_start(struct many *m)
{
	while (m->running < m->jobs && m->next < m->n) {
		struct many_job *j = &m->job[m->next++];
		struct audit_params p = m->p;
		char *err = NULL;

		p.domain = m->domains[j->i];
		if (audit_start(m->base, &p, many_on_audit, j, &err) == NULL) {
			m->ndone++;
			m->done(m->arg, j->i, NULL, err != NULL ? err : "?");
			free(err);
			continue;
		}
		m->running++;
	}
}

static void
many_on_audit(void *arg, struct audit_result *r)
{
	struct many_job *j = arg;
	struct many *m = j->m;

	m->running--;
	m->ndone++;
	m->last_us = mtime_mono_us();
	m->done(m->arg, j->i, r, NULL);
	many_start(m);
}

/* Once a second: the caller's tick, and the bound on the whole batch. */
static void
many_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct many *m = arg;

	(void)fd;
	(void)what;
	if (m->tick != NULL)
		m->tick(m->arg);
	if (mtime_mono_us() - m->last_us > m->stall_us)
		event_base_loopbreak(m->base);
}

int
audit_many(struct event_base *base, const struct audit_params *tmpl,
    const char *const *domains, int n, int jobs, int window, int stall_s,
    audit_many_cb done, void (*tick)(void *), void *arg)
{
	struct many m;
	struct event *t;
	struct timeval sec = { 1, 0 };
	const char *why = NULL;
	int i, rc = 0;

	memset(&m, 0, sizeof(m));
	m.base = base;
	m.p = *tmpl;
	m.p.pool = audit_pool_new(window);
	m.p.http = http_multi_new(base, &why);
	m.domains = domains;
	m.n = n;
	m.jobs = jobs > 0 ? jobs : 1;
	m.stall_us = (int64_t)stall_s * 1000000;
	m.done = done;
	m.tick = tick;
	m.arg = arg;
	m.job = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*m.job));
	for (i = 0; i < n; i++) {
		m.job[i].m = &m;
		m.job[i].i = i;
	}
	if ((t = event_new(base, -1, EV_PERSIST, many_on_tick, &m)) == NULL ||
	    event_add(t, &sec) < 0) {
		if (t != NULL)
			event_free(t);
		free(m.job);
		http_multi_free(m.p.http);
		audit_pool_free(m.p.pool);
		return -2;
	}
	m.last_us = mtime_mono_us();
	many_start(&m);
	/* Every wait inside an audit is bounded; the tick bounds the time
	 * without any audit finishing. */
	while (m.ndone < m.n) {
		if (event_base_loop(base, EVLOOP_ONCE) < 0 ||
		    event_base_got_break(base)) {
			rc = -1;
			break;
		}
	}
	event_free(t);
	if (rc < 0)
		return -1;	/* the audits still hold m: see audit.h */
	free(m.job);
	http_multi_free(m.p.http);
	audit_pool_free(m.p.pool);
	return 0;
}
