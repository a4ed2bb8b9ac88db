#include "auth/dkim_sig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tagvalue.h"
#include "core/mem.h"

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
dkim_b64_decode(const char *p, size_t n, unsigned char *out, size_t max)
{
	size_t i, o = 0;
	unsigned int acc = 0;
	int bits = 0, pad = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_val(c)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= max)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (pad > 2)
		return -1;
	return (long)o;
}

void
dkim_b64_encode(const unsigned char *p, size_t n, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned int v = (unsigned int)p[i] << 16 |
		    (unsigned int)p[i + 1] << 8 | p[i + 2];
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63],
		    tab[(v >> 6) & 63], tab[v & 63] };

		buf_append(out, q, 4);
	}
	if (n - i == 1) {
		unsigned int v = (unsigned int)p[i] << 16;
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], '=', '=' };

		buf_append(out, q, 4);
	} else if (n - i == 2) {
		unsigned int v = (unsigned int)p[i] << 16 |
		    (unsigned int)p[i + 1] << 8;
		char q[4] = { tab[v >> 18], tab[(v >> 12) & 63],
		    tab[(v >> 6) & 63], '=' };

		buf_append(out, q, 4);
	}
}

const char *
dkim_alg_md(enum dkim_alg a)
{
	return a == DKIM_ALG_RSA_SHA1 ? "sha1" : "sha256";
}

static bool
sv_eq(struct sv a, const char *b)
{
	size_t n = strlen(b);

	return a.n == n && memcmp(a.p, b, n) == 0;
}

static int
parse_uint(struct sv v, int64_t *out)
{
	int64_t x = 0;
	size_t i;

	/* 12 digits is far past any time or length DKIM meets; more would
	 * overflow nothing but means nothing either. */
	if (v.n == 0 || v.n > 12)
		return -1;
	for (i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		x = x * 10 + (v.p[i] - '0');
	}
	*out = x;
	return 0;
}

static int
parse_canon(struct sv v, enum dkim_canon *h, enum dkim_canon *b)
{
	struct sv first = sv_cut(&v, '/');
	bool slash = first.p + first.n < v.p || v.n > 0;

	if (sv_eq(first, "simple"))
		*h = DKIM_CANON_SIMPLE;
	else if (sv_eq(first, "relaxed"))
		*h = DKIM_CANON_RELAXED;
	else
		return -1;
	*b = DKIM_CANON_SIMPLE;
	if (!slash)
		return 0;
	if (sv_eq(v, "simple"))
		*b = DKIM_CANON_SIMPLE;
	else if (sv_eq(v, "relaxed"))
		*b = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* dkim-quoted-printable (2.11): =XX escapes; white space is ignored. */
static char *
qp_decode(struct sv v)
{
	char *out = xmalloc(v.n + 1);
	size_t i, o = 0;

	for (i = 0; i < v.n; i++) {
		char c = v.p[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			char hex[3];

			if (i + 2 >= v.n || !isxdigit((unsigned char)v.p[i + 1]) ||
			    !isxdigit((unsigned char)v.p[i + 2]))
				goto bad;
			hex[0] = v.p[i + 1];
			hex[1] = v.p[i + 2];
			hex[2] = '\0';
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
			continue;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* Is identity's domain d or a subdomain of it (3.5, i=)? */
static bool
identity_in_domain(const char *identity, const char *d)
{
	const char *at = strrchr(identity, '@');
	size_t n, dn = strlen(d);

	if (at == NULL)
		return false;
	at++;
	n = strlen(at);
	if (n == dn)
		return strcasecmp(at, d) == 0;
	return n > dn && at[n - dn - 1] == '.' &&
	    strcasecmp(at + n - dn, d) == 0;
}

void
dkim_sig_release(struct dkim_sig *s)
{
	int i;

	free(s->domain);
	free(s->selector);
	free(s->identity);
	for (i = 0; i < s->nh; i++)
		free(s->h[i]);
	s->domain = s->selector = s->identity = NULL;
	s->nh = 0;
}

int
dkim_sig_parse(const char *p, size_t n, struct dkim_sig *out,
    const char **err)
{
	struct tv_list l;
	const struct sv *v;
	const char *why = NULL;
	struct sv hl;
	bool from = false;
	long len;

	memset(out, 0, sizeof(*out));
	out->length = out->timestamp = out->expire = -1;
	if (tv_parse(p, n, &l, &why, NULL) < 0)
		goto bad;
	if ((v = tv_get(&l, "a")) != NULL) {
		size_t k = v->n < sizeof(out->alg_name) - 1 ? v->n :
		    sizeof(out->alg_name) - 1;

		memcpy(out->alg_name, v->p, k);
		out->alg_name[k] = '\0';
	}
	if ((v = tv_get(&l, "v")) == NULL) {
		why = "no v= tag";
		goto bad;
	}
	if (!sv_eq(*v, "1")) {
		why = "unsupported version (v= is not 1)";
		goto bad;
	}
	if ((v = tv_get(&l, "a")) == NULL) {
		why = "no a= tag";
		goto bad;
	}
	if (sv_eq(*v, "rsa-sha256"))
		out->alg = DKIM_ALG_RSA_SHA256;
	else if (sv_eq(*v, "ed25519-sha256"))
		out->alg = DKIM_ALG_ED25519_SHA256;
	else if (sv_eq(*v, "rsa-sha1"))
		out->alg = DKIM_ALG_RSA_SHA1;
	else {
		why = "unsupported algorithm (a=)";
		goto bad;
	}
	if ((v = tv_get(&l, "b")) == NULL) {
		why = "no b= tag";
		goto bad;
	}
	len = dkim_b64_decode(v->p, v->n, out->b, sizeof(out->b));
	if (len <= 0) {
		why = len == 0 ? "b= is empty" : "b= is not base64 or too long";
		goto bad;
	}
	out->blen = (size_t)len;
	{
		/* The b= value with the white space around it: from the
		 * '=' to the ';' or the end. */
		size_t s = (size_t)(v->p - p), e = s + v->n;

		while (s > 0 && p[s - 1] != '=')
			s--;
		while (e < n && p[e] != ';')
			e++;
		out->b_start = s;
		out->b_end = e;
	}
	if ((v = tv_get(&l, "bh")) == NULL) {
		why = "no bh= tag";
		goto bad;
	}
	len = dkim_b64_decode(v->p, v->n, out->bh, sizeof(out->bh));
	if (len <= 0) {
		why = "bh= is empty, not base64 or too long";
		goto bad;
	}
	out->bhlen = (size_t)len;
	if ((v = tv_get(&l, "c")) != NULL &&
	    parse_canon(*v, &out->hcanon, &out->bcanon) < 0) {
		why = "unsupported canonicalization (c=)";
		goto bad;
	}
	if ((v = tv_get(&l, "d")) == NULL || v->n == 0) {
		why = "no d= tag";
		goto bad;
	}
	if (v->n > 253 || memchr(v->p, ' ', v->n) || memchr(v->p, '\t', v->n) ||
	    memchr(v->p, '\n', v->n)) {
		why = "d= is not a domain name";
		goto bad;
	}
	out->domain = xstrndup(v->p, v->n);
	if ((v = tv_get(&l, "s")) == NULL || v->n == 0) {
		why = "no s= tag";
		goto bad;
	}
	if (v->n > 253 || memchr(v->p, ' ', v->n) || memchr(v->p, '\t', v->n) ||
	    memchr(v->p, '\n', v->n)) {
		why = "s= is not a selector";
		goto bad;
	}
	out->selector = xstrndup(v->p, v->n);
	if ((v = tv_get(&l, "h")) == NULL) {
		why = "no h= tag";
		goto bad;
	}
	hl = *v;
	for (;;) {
		struct sv name = sv_trim(sv_cut(&hl, ':'));

		if (name.n == 0) {
			why = "h= holds an empty header name";
			goto bad;
		}
		if (out->nh >= DKIM_MAX_SIGNED) {
			why = "h= names more than 64 header fields";
			goto bad;
		}
		if (sv_eq_ci(name, "from"))
			from = true;
		out->h[out->nh++] = xstrndup(name.p, name.n);
		if (hl.n == 0)
			break;
	}
	if (!from) {
		why = "From is not signed (h= lacks from)";
		goto bad;
	}
	if ((v = tv_get(&l, "i")) != NULL) {
		out->identity = qp_decode(*v);
		if (out->identity == NULL) {
			why = "i= is not valid quoted-printable";
			goto bad;
		}
		if (!identity_in_domain(out->identity, out->domain)) {
			why = "i= is not in the d= domain";
			goto bad;
		}
	} else
		out->identity = xasprintf("@%s", out->domain);
	if ((v = tv_get(&l, "l")) != NULL && parse_uint(*v, &out->length) < 0) {
		why = "l= is not a number";
		goto bad;
	}
	if ((v = tv_get(&l, "q")) != NULL) {
		struct sv ql = *v;
		bool dns = false;

		while (ql.n > 0) {
			struct sv m = sv_trim(sv_cut(&ql, ':'));

			if (sv_eq(m, "dns/txt"))
				dns = true;
		}
		if (!dns) {
			why = "unsupported query method (q= lacks dns/txt)";
			goto bad;
		}
	}
	if ((v = tv_get(&l, "t")) != NULL &&
	    parse_uint(*v, &out->timestamp) < 0) {
		why = "t= is not a number";
		goto bad;
	}
	if ((v = tv_get(&l, "x")) != NULL && parse_uint(*v, &out->expire) < 0) {
		why = "x= is not a number";
		goto bad;
	}
	if (out->expire >= 0 && out->timestamp >= 0 &&
	    out->expire < out->timestamp) {
		why = "x= is earlier than t=";
		goto bad;
	}
	return 0;
bad:
	dkim_sig_release(out);
	*err = why;
	return -1;
}
