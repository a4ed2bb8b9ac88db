#include "auth/dkim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "auth/dkim_keycache.h"
#include "auth/tagvalue.h"
#include "core/mem.h"
#include "dns/resolver.h"

/* Header data hashed for one signature: at most the header section twice
 * over, which DKIM_MAX_HEADERS and the caller's bound already limit. */
#define DKIM_HDATA_MAX	((size_t)8 << 20)

struct dkim_sigstate {
	struct dkim_verify	*v;
	struct dkim_sigresult	 r;
	struct dkim_sig		 sig;
	bool			 parsed;
	bool			 done;
	struct dkim_body	*body;
	unsigned char		 bh[64];	/* computed body hash */
	size_t			 bhlen;
	int64_t			 body_len;	/* canonical, uncut */
	unsigned char		 hh[64];	/* hash of the header data */
	size_t			 hhlen;
	struct dns_query	*q;
};

struct dkim_verify {
	struct dkim_hdrs	 hdrs;
	int64_t			 now;
	int			 nsig;
	struct dkim_sigstate	*s;		/* nsig of them */
	bool			 body_done;
	struct dkim_keycache	*keys;		/* or NULL */
	int			 pending;
	struct event		*ev;
	dkim_verify_cb		 cb;
	void			*arg;
};

static const char *const default_headers[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "message-id",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", "content-disposition", "content-id",
	"list-id", "list-post", "list-unsubscribe", "list-unsubscribe-post",
	"sender", NULL
};

const char *
dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_PASS:		return "pass";
	case DKIM_FAIL:		return "fail";
	case DKIM_NEUTRAL:	return "neutral";
	case DKIM_TEMPERROR:	return "temperror";
	default:		return "permerror";
	}
}

static bool
sv_is(struct sv a, const char *b)
{
	return sv_eq_ci(a, b);
}

/* The header data of 3.7 for names[0..n): each name takes the last field
 * of that name not taken yet; a name with none left adds nothing. */
static int
select_headers(const struct dkim_hdrs *h, char *const *names, int n,
    enum dkim_canon c, struct buf *out)
{
	bool used[DKIM_MAX_HEADERS];
	int i, k;

	memset(used, 0, sizeof(used));
	for (i = 0; i < n; i++)
		for (k = h->n - 1; k >= 0; k--) {
			if (used[k] || !sv_is(h->h[k].name, names[i]))
				continue;
			used[k] = true;
			if (dkim_canon_header(c, h->h[k].raw, true, out) < 0)
				return -1;
			break;
		}
	return 0;
}

static size_t
digest(const char *md, const void *p, size_t n, unsigned char out[64])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, dkim_md(md), NULL) != 1)
		return 0;
	return len;
}

static void
set_result(struct dkim_sigstate *s, enum dkim_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_result(struct dkim_sigstate *s, enum dkim_result r, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	s->r.result = r;
	s->done = true;
	free(s->r.reason);
	s->r.reason = NULL;
	if (fmt == NULL)
		return;
	buf_init(&b, 1024);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	s->r.reason = buf_steal(&b);
}

static bool
dns_label_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 200 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return strstr(s, "..") == NULL;
}

static void
sig_setup(struct dkim_verify *v, struct dkim_sigstate *s,
    const struct dkim_hdr *hdr)
{
	const char *err = NULL;
	size_t colon = hdr->name.n + 1;	/* name, then ':' */
	const char *val;
	size_t vn;
	struct buf data, field;
	int i;

	while (colon - 1 < hdr->raw.n && hdr->raw.p[colon - 1] != ':')
		colon++;
	val = hdr->raw.p + colon;
	vn = hdr->raw.n - colon;
	s->v = v;
	s->r.timestamp = s->r.expire = s->r.length = -1;
	if (dkim_sig_parse(val, vn, &s->sig, &err) < 0) {
		struct tv_list l;
		const struct sv *d, *sel;
		const char *why;

		if (s->sig.alg_name[0] != '\0')
			s->r.algorithm = xstrdup(s->sig.alg_name);
		/* Name the signature in the report when its tags read. */
		if (tv_parse(val, vn, &l, &why, NULL) == 0) {
			if ((d = tv_get(&l, "d")) != NULL && d->n > 0)
				s->r.domain = xstrndup(d->p, d->n);
			if ((sel = tv_get(&l, "s")) != NULL && sel->n > 0)
				s->r.selector = xstrndup(sel->p, sel->n);
		}
		set_result(s, DKIM_PERMERROR, "signature syntax: %s", err);
		return;
	}
	s->parsed = true;
	s->r.domain = xstrdup(s->sig.domain);
	s->r.selector = xstrdup(s->sig.selector);
	s->r.algorithm = xstrdup(s->sig.alg_name);
	s->r.identity = xstrdup(s->sig.identity);
	s->r.timestamp = s->sig.timestamp;
	s->r.expire = s->sig.expire;
	s->r.length = s->sig.length;
	buf_init(&field, 4096);
	for (i = 0; i < s->sig.nh; i++) {
		if (i > 0)
			buf_putc(&field, ':');
		buf_puts(&field, s->sig.h[i]);
	}
	s->r.headers = buf_steal(&field);
	s->r.key_name = xasprintf("%s._domainkey.%s", s->sig.selector,
	    s->sig.domain);
	if (s->sig.expire >= 0 && s->sig.expire < v->now) {
		set_result(s, DKIM_PERMERROR, "signature expired (x=%lld is "
		    "before now, %lld)", (long long)s->sig.expire,
		    (long long)v->now);
		return;
	}
	if (!dns_label_ok(s->sig.selector) || !dns_label_ok(s->sig.domain)) {
		set_result(s, DKIM_PERMERROR, "s= or d= is not a DNS name");
		return;
	}
	s->body = dkim_body_new(s->sig.bcanon, dkim_alg_md(s->sig.alg),
	    s->sig.length);
	/* The header data: the fields h= names, then this field with its b=
	 * value emptied and no final CRLF (3.7). */
	buf_init(&data, DKIM_HDATA_MAX);
	buf_init(&field, hdr->raw.n + 1);
	buf_append(&field, hdr->raw.p, colon + s->sig.b_start);
	buf_append(&field, val + s->sig.b_end, vn - s->sig.b_end);
	if (select_headers(&v->hdrs, s->sig.h, s->sig.nh, s->sig.hcanon,
	    &data) < 0 || dkim_canon_header(s->sig.hcanon,
	    sv_make(field.data, field.len), false, &data) < 0)
		set_result(s, DKIM_PERMERROR, "the signed header fields are "
		    "too large");
	else
		s->hhlen = digest(dkim_alg_md(s->sig.alg), data.data,
		    data.len, s->hh);
	buf_release(&data);
	buf_release(&field);
}

struct dkim_verify *
dkim_verify_new(const char *hdr, size_t n, int64_t now, const char **err)
{
	struct dkim_verify *v = xcalloc(1, sizeof(*v));
	int i, k = 0;

	v->now = now;
	if (dkim_hdrs_parse(hdr, n, &v->hdrs, err) < 0) {
		dkim_hdrs_release(&v->hdrs);
		free(v);
		return NULL;
	}
	for (i = 0; i < v->hdrs.n; i++)
		if (sv_is(v->hdrs.h[i].name, "DKIM-Signature"))
			k++;
	if (k > DKIM_MAX_SIGS)
		k = DKIM_MAX_SIGS;
	if (k > 0)
		v->s = xcalloc((size_t)k, sizeof(*v->s));
	for (i = 0; i < v->hdrs.n && v->nsig < k; i++)
		if (sv_is(v->hdrs.h[i].name, "DKIM-Signature"))
			sig_setup(v, &v->s[v->nsig++], &v->hdrs.h[i]);
	return v;
}

static void
result_release(struct dkim_sigresult *r)
{
	free(r->reason);
	free(r->warning);
	free(r->domain);
	free(r->selector);
	free(r->algorithm);
	free(r->identity);
	free(r->headers);
	free(r->key_name);
}

struct dkim_verify *
dkim_verify_free(struct dkim_verify *v)
{
	int i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < v->nsig; i++) {
		struct dkim_sigstate *s = &v->s[i];

		if (s->q != NULL)
			dns_cancel(s->q);
		dkim_body_free(s->body);
		dkim_sig_release(&s->sig);
		result_release(&s->r);
	}
	if (v->ev != NULL)
		event_free(v->ev);
	dkim_hdrs_release(&v->hdrs);
	free(v->s);
	free(v);
	return NULL;
}

void
dkim_verify_body(struct dkim_verify *v, const char *p, size_t n)
{
	int i;

	for (i = 0; i < v->nsig; i++)
		if (v->s[i].body != NULL)
			dkim_body_update(v->s[i].body, p, n);
}

int
dkim_verify_count(const struct dkim_verify *v)
{
	return v->nsig;
}

const struct dkim_sigresult *
dkim_verify_result(const struct dkim_verify *v, int i)
{
	return i >= 0 && i < v->nsig ? &v->s[i].r : NULL;
}

static int
verify_hash(EVP_PKEY *key, const EVP_MD *md, const unsigned char *h,
    size_t hn, const unsigned char *sig, size_t sn)
{
	int ok = 0;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();

		ok = m != NULL && EVP_DigestVerifyInit(m, NULL, NULL, NULL,
		    key) == 1 && EVP_DigestVerify(m, sig, sn, h, hn) == 1;
		EVP_MD_CTX_free(m);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);

		ok = c != NULL && EVP_PKEY_verify_init(c) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(c, md) == 1 &&
		    EVP_PKEY_verify(c, sig, sn, h, hn) == 1;
		EVP_PKEY_CTX_free(c);
	}
	return ok;
}

/* 6.1.2 and 6.1.3 once the key record is known. */
static void
check_with_key(struct dkim_sigstate *s, const struct dkim_keyent *e)
{
	const struct dkim_key *k = &e->key;
	const char *at;

	if (e->rc < 0) {
		set_result(s, DKIM_PERMERROR, "key record at %s: %s",
		    s->r.key_name, e->err);
		return;
	}
	s->r.testing = k->testing;
	if (k->revoked) {
		set_result(s, DKIM_PERMERROR, "key revoked (empty p= at %s)",
		    s->r.key_name);
		return;
	}
	if ((k->type == DKIM_KEY_ED25519) !=
	    (s->sig.alg == DKIM_ALG_ED25519_SHA256)) {
		set_result(s, DKIM_PERMERROR, "the key type (k=%s) does not "
		    "match a=%s", k->type == DKIM_KEY_ED25519 ? "ed25519" :
		    "rsa", s->sig.alg_name);
		return;
	}
	if (s->sig.alg == DKIM_ALG_RSA_SHA1 ? !k->allow_sha1 :
	    !k->allow_sha256) {
		set_result(s, DKIM_PERMERROR, "the key record's h= does not "
		    "allow %s", dkim_alg_md(s->sig.alg));
		return;
	}
	at = strrchr(s->sig.identity, '@');
	if (k->strict && (at == NULL || strcasecmp(at + 1, s->sig.domain))) {
		set_result(s, DKIM_PERMERROR, "the key requires the i= domain "
		    "to equal d= (t=s)");
		return;
	}
	if (e->pkey == NULL) {
		set_result(s, DKIM_PERMERROR, "the public key (p=) at %s cannot "
		    "be read", s->r.key_name);
		return;
	}
	s->r.key_bits = e->bits;
	if (s->bhlen != s->sig.bhlen || memcmp(s->bh, s->sig.bh, s->bhlen)) {
		set_result(s, DKIM_FAIL, "body hash mismatch (the body was "
		    "changed after signing%s)", s->sig.length >= 0 ? "" :
		    ", or re-encoded in transit");
		return;
	}
	if (!verify_hash(e->pkey, s->sig.alg == DKIM_ALG_RSA_SHA1 ?
	    dkim_md("sha1") : dkim_md("sha256"), s->hh, s->hhlen, s->sig.b,
	    s->sig.blen)) {
		set_result(s, DKIM_FAIL, "signature mismatch (signed header "
		    "fields changed, or the wrong key)");
		return;
	}
	/* RFC 8301: checked last, so that the reason says the signature
	 * would otherwise verify. */
	if (s->sig.alg == DKIM_ALG_RSA_SHA1) {
		set_result(s, DKIM_FAIL, "weak algorithm: rsa-sha1 is not "
		    "accepted (RFC 8301); the signature is otherwise valid");
		return;
	}
	if (k->type == DKIM_KEY_RSA && s->r.key_bits < 1024) {
		set_result(s, DKIM_FAIL, "weak key: %d-bit RSA (RFC 8301 "
		    "requires at least 1024 bits); the signature is otherwise "
		    "valid", s->r.key_bits);
		return;
	}
	set_result(s, DKIM_PASS, NULL);
	if (s->sig.length >= 0 && s->sig.length < s->body_len)
		s->r.warning = xasprintf("l= signs only the first %lld of %lld "
		    "body bytes: anything can be appended",
		    (long long)s->sig.length, (long long)s->body_len);
	else if (s->sig.length >= 0)
		s->r.warning = xasprintf("l=%lld is used: content appended "
		    "later would still pass", (long long)s->sig.length);
	else if (k->testing)
		s->r.warning = xstrdup("the key is in testing mode (t=y)");
}

/* The outcome of the key lookup for one signature. 3.6.2.2: several
 * records are undefined; the first that reads as a key is taken, else
 * the first one is reported. */
static void
apply_key(struct dkim_sigstate *s, enum dns_status status,
    const char *const *txt, const size_t *len, int n)
{
	const struct dkim_keyent *e = NULL, *first = NULL;
	int i;

	switch (status) {
	case DNS_OK:
		if (n == 0) {
			set_result(s, DKIM_PERMERROR, "key not found (no TXT "
			    "record at %s)", s->r.key_name);
			break;
		}
		for (i = 0; i < n; i++) {
			e = dkim_keycache_get(s->v->keys, s->r.key_name,
			    txt[i], len[i]);
			if (e->rc == 0)
				break;
			if (first == NULL)
				first = e;
			else
				dkim_keycache_put(e);
			e = NULL;
		}
		check_with_key(s, e != NULL ? e : first);
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		set_result(s, DKIM_PERMERROR, "key not found (%s at %s)",
		    status == DNS_NXDOMAIN ? "NXDOMAIN" : "no TXT record",
		    s->r.key_name);
		break;
	default:
		set_result(s, DKIM_TEMPERROR, "DNS error looking up the key at "
		    "%s: %s", s->r.key_name, dns_status_name(status));
		break;
	}
	if (e != NULL && first != NULL)
		dkim_keycache_put(first);
	dkim_keycache_put(e != NULL ? e : first);
}

static void
one_done(struct dkim_verify *v)
{
	if (--v->pending == 0)
		v->cb(v->arg, v);
}

static void
on_key(void *arg, const struct dns_answer *a)
{
	struct dkim_sigstate *s = arg;
	const char *txt[DKIM_MAX_RECORDS];
	size_t len[DKIM_MAX_RECORDS];
	int i, n = 0;

	s->q = NULL;
	for (i = 0; a->status == DNS_OK && i < a->nrr &&
	    n < DKIM_MAX_RECORDS; i++, n++) {
		txt[n] = a->rr[i]->u.txt.data;
		len[n] = a->rr[i]->u.txt.len;
	}
	apply_key(s, a->status, txt, len, n);
	one_done(s->v);
}

static void
on_nothing_pending(evutil_socket_t fd, short what, void *arg)
{
	struct dkim_verify *v = arg;

	(void)fd;
	(void)what;
	/* Freed here, not later: the caller may free the loop before v. */
	event_free(v->ev);
	v->ev = NULL;
	v->cb(v->arg, v);
}

int
dkim_verify_keys(struct dkim_verify *v, struct event_base *base,
    struct dns *dns, dkim_verify_cb cb, void *arg)
{
	int i;

	v->cb = cb;
	v->arg = arg;
	v->pending = 1;		/* held until every query is started */
	dkim_verify_end_body(v);
	for (i = 0; i < v->nsig; i++) {
		struct dkim_sigstate *s = &v->s[i];

		if (s->done)
			continue;
		s->q = dns_query(dns, s->r.key_name, DNS_T_TXT, on_key, s);
		if (s->q == NULL) {
			set_result(s, DKIM_TEMPERROR, "the key lookup at %s "
			    "could not start", s->r.key_name);
			continue;
		}
		v->pending++;
	}
	if (--v->pending > 0)
		return 0;
	v->ev = evtimer_new(base, on_nothing_pending, v);
	if (v->ev == NULL)
		return -1;
	{
		struct timeval tv = { 0, 0 };

		evtimer_add(v->ev, &tv);
	}
	return 0;
}

void
dkim_verify_set_keycache(struct dkim_verify *v, struct dkim_keycache *c)
{
	v->keys = c;
}

void
dkim_verify_end_body(struct dkim_verify *v)
{
	int i;

	if (v->body_done)
		return;
	v->body_done = true;
	for (i = 0; i < v->nsig; i++) {
		struct dkim_sigstate *s = &v->s[i];

		if (s->body != NULL) {
			s->bhlen = dkim_body_final(s->body, s->bh,
			    &s->body_len);
			s->body = dkim_body_free(s->body);
		}
	}
}

const char *
dkim_verify_key_wanted(const struct dkim_verify *v, int i)
{
	if (i < 0 || i >= v->nsig || v->s[i].done)
		return NULL;
	return v->s[i].r.key_name;
}

void
dkim_verify_set_key(struct dkim_verify *v, int i, enum dns_status status,
    const char *const *txt, const size_t *len, int n)
{
	if (i < 0 || i >= v->nsig || v->s[i].done)
		return;
	dkim_verify_end_body(v);
	apply_key(&v->s[i], status, txt, len, n > DKIM_MAX_RECORDS ?
	    DKIM_MAX_RECORDS : n);
}

/* Signing. */

const char *
dkim_key_alg(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA:	return "rsa-sha256";
	case EVP_PKEY_ED25519:	return "ed25519-sha256";
	default:		return NULL;
	}
}

static int
sign_hash(EVP_PKEY *key, const unsigned char *h, size_t hn,
    unsigned char *sig, size_t *sn)
{
	int ok;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();

		ok = m != NULL && EVP_DigestSignInit(m, NULL, NULL, NULL,
		    key) == 1 && EVP_DigestSign(m, sig, sn, h, hn) == 1;
		EVP_MD_CTX_free(m);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);

		ok = c != NULL && EVP_PKEY_sign_init(c) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(c, dkim_md("sha256")) == 1 &&
		    EVP_PKEY_sign(c, sig, sn, h, hn) == 1;
		EVP_PKEY_CTX_free(c);
	}
	return ok ? 0 : -1;
}

#define FOLD_COL 78

/* Writes a space-separated token, folding before it when the line would
 * pass FOLD_COL. */
static void
fold_word(struct buf *o, size_t *col, const char *w, size_t n)
{
	if (*col + 1 + n > FOLD_COL) {
		buf_append(o, "\r\n ", 3);
		*col = 1;
	} else {
		buf_putc(o, ' ');
		(*col)++;
	}
	buf_append(o, w, n);
	*col += n;
}

/* Base64 may be broken anywhere by FWS (3.5, b= and bh=). */
static void
fold_chars(struct buf *o, size_t *col, const char *p, size_t n)
{
	while (n > 0) {
		size_t room;

		if (*col >= FOLD_COL) {
			buf_append(o, "\r\n ", 3);
			*col = 1;
		}
		room = FOLD_COL - *col;
		if (room > n)
			room = n;
		buf_append(o, p, room);
		*col += room;
		p += room;
		n -= room;
	}
}

static bool
has_name(char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

int
dkim_sign(const struct dkim_sign_params *p, const struct dkim_hdrs *h,
    const unsigned char *bh, size_t bhlen, struct buf *out, const char **err)
{
	char *names[DKIM_MAX_SIGNED];
	int nn = 0, i, k, count;
	const char *alg = dkim_key_alg(p->key);
	struct buf f, b64, data;
	unsigned char hash[64], sig[DKIM_MAX_B];
	size_t col, hn, sn = sizeof(sig), start;
	char tok[256];
	int rc = -1;

	if (alg == NULL) {
		*err = "the key is neither RSA nor Ed25519";
		return -1;
	}
	if (p->headers != NULL) {
		for (i = 0; p->headers[i] != NULL && nn < DKIM_MAX_SIGNED; i++)
			names[nn++] = (char *)p->headers[i];
		if (!has_name(names, nn, "from")) {
			*err = "the signed headers must include From";
			return -1;
		}
	} else {
		for (i = 0; default_headers[i] != NULL; i++) {
			for (count = 0, k = 0; k < h->n; k++)
				if (sv_is(h->h[k].name, default_headers[i]))
					count++;
			/* From once more than it appears: nobody can add
			 * a second From after signing (8.15). */
			if (strcmp(default_headers[i], "from") == 0) {
				if (count == 0) {
					*err = "the message has no From header";
					return -1;
				}
				count++;
			}
			for (; count > 0 && nn < DKIM_MAX_SIGNED; count--)
				names[nn++] = (char *)default_headers[i];
		}
	}
	buf_init(&f, 64 * 1024);
	buf_init(&b64, 4096);
	buf_init(&data, DKIM_HDATA_MAX);
	buf_puts(&f, "DKIM-Signature: v=1;");
	col = f.len;
	snprintf(tok, sizeof(tok), "a=%s;", alg);
	fold_word(&f, &col, tok, strlen(tok));
	snprintf(tok, sizeof(tok), "c=%s/%s;", p->hcanon == DKIM_CANON_RELAXED ?
	    "relaxed" : "simple", p->bcanon == DKIM_CANON_RELAXED ? "relaxed" :
	    "simple");
	fold_word(&f, &col, tok, strlen(tok));
	snprintf(tok, sizeof(tok), "d=%s;", p->domain);
	fold_word(&f, &col, tok, strlen(tok));
	snprintf(tok, sizeof(tok), "s=%s;", p->selector);
	fold_word(&f, &col, tok, strlen(tok));
	snprintf(tok, sizeof(tok), "t=%lld;", (long long)p->now);
	fold_word(&f, &col, tok, strlen(tok));
	for (i = 0; i < nn; i++) {
		snprintf(tok, sizeof(tok), "%s%s%s", i == 0 ? "h=" : "",
		    names[i], i + 1 == nn ? ";" : ":");
		if (i == 0)
			fold_word(&f, &col, tok, strlen(tok));
		else if (col + strlen(tok) > FOLD_COL) {
			buf_append(&f, "\r\n ", 3);
			col = 1;
			buf_puts(&f, tok);
			col += strlen(tok);
		} else {
			buf_puts(&f, tok);
			col += strlen(tok);
		}
	}
	dkim_b64_encode(bh, bhlen, &b64);
	buf_putc(&b64, ';');
	fold_word(&f, &col, "bh=", 3);
	fold_chars(&f, &col, b64.data, b64.len);
	fold_word(&f, &col, "b=", 2);
	if (select_headers(h, names, nn, p->hcanon, &data) < 0 ||
	    dkim_canon_header(p->hcanon, sv_make(f.data, f.len), false,
	    &data) < 0) {
		*err = "the header fields to sign are too large";
		goto out;
	}
	hn = digest("sha256", data.data, data.len, hash);
	if (hn == 0 || sign_hash(p->key, hash, hn, sig, &sn) < 0) {
		*err = "the signature could not be made with this key";
		goto out;
	}
	buf_reset(&b64);
	dkim_b64_encode(sig, sn, &b64);
	fold_chars(&f, &col, b64.data, b64.len);
	buf_append(&f, "\r\n", 2);
	start = out->len;
	if (buf_append(out, f.data, f.len) < 0) {
		out->len = start;
		*err = "the signature does not fit";
		goto out;
	}
	rc = 0;
out:
	buf_release(&f);
	buf_release(&b64);
	buf_release(&data);
	return rc;
}

EVP_PKEY *
dkim_keygen(enum dkim_key_type type, int bits)
{
	if (type == DKIM_KEY_ED25519)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

void
dkim_key_record(EVP_PKEY *key, struct buf *out)
{
	unsigned char raw[64], *der = NULL;
	size_t rn = sizeof(raw);
	int dn;

	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
		buf_puts(out, "v=DKIM1; k=ed25519; p=");
		if (EVP_PKEY_get_raw_public_key(key, raw, &rn) == 1)
			dkim_b64_encode(raw, rn, out);
		return;
	}
	buf_puts(out, "v=DKIM1; k=rsa; p=");
	dn = i2d_PUBKEY(key, &der);
	if (dn > 0)
		dkim_b64_encode(der, (size_t)dn, out);
	OPENSSL_free(der);
}
