#include "auth/dkim_canon.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <openssl/evp.h>

#include "core/mem.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

long
dkim_body_offset(const char *p, size_t n, size_t *hdr_len)
{
	size_t i;

	/* An empty first line: no header fields at all. */
	if (n >= 1 && p[0] == '\n') {
		*hdr_len = 0;
		return 1;
	}
	if (n >= 2 && p[0] == '\r' && p[1] == '\n') {
		*hdr_len = 0;
		return 2;
	}
	for (i = 0; i < n; i++) {
		const char *q = memchr(p + i, '\n', n - i);

		if (q == NULL)
			return -1;
		i = (size_t)(q - p);
		if (i + 1 >= n)
			return -1;
		if (p[i + 1] == '\n') {
			*hdr_len = i + 1;
			return (long)(i + 2);
		}
		if (p[i + 1] == '\r') {
			if (i + 2 >= n)
				return -1;
			if (p[i + 2] == '\n') {
				*hdr_len = i + 1;
				return (long)(i + 3);
			}
		}
	}
	return -1;
}

int
dkim_hdrs_parse(const char *p, size_t n, struct dkim_hdrs *out,
    const char **err)
{
	size_t i, start;
	const char *s;

	out->n = out->cap = 0;
	out->h = NULL;
	buf_init(&out->text, n * 2 + 2);
	/* Every bare LF becomes CRLF first: the views below point into the
	 * finished text, which no longer moves. */
	for (i = 0; i < n; ) {
		const char *q = memchr(p + i, '\n', n - i);
		size_t k = q ? (size_t)(q - p) : n;

		buf_append(&out->text, p + i, k - i);
		if (q == NULL)
			break;
		if (k == 0 || p[k - 1] != '\r')
			buf_append(&out->text, "\r\n", 2);
		else
			buf_putc(&out->text, '\n');
		i = k + 1;
	}
	if (out->text.len > 0 && (out->text.len < 2 ||
	    memcmp(out->text.data + out->text.len - 2, "\r\n", 2) != 0))
		buf_append(&out->text, "\r\n", 2);
	s = out->text.data;
	n = out->text.len;
	i = 0;
	while (i < n) {
		struct dkim_hdr *h;
		size_t colon = 0, end;

		start = i;
		if (is_wsp(s[i])) {
			*err = "the header section starts with a continuation "
			    "line";
			return -1;
		}
		/* The field runs to the CRLF not followed by white space. */
		for (;;) {
			const char *q = memchr(s + i, '\n', n - i);

			end = q ? (size_t)(q - s) + 1 : n;
			i = end;
			if (i >= n || !is_wsp(s[i]))
				break;
		}
		if (out->n >= DKIM_MAX_HEADERS) {
			*err = "more header fields than mxdoc reads (1000)";
			return -1;
		}
		while (colon < end - start && s[start + colon] != ':' &&
		    s[start + colon] != '\r' && s[start + colon] != '\n')
			colon++;
		if (colon >= end - start || s[start + colon] != ':') {
			*err = "a header line without a colon";
			return -1;
		}
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 32;
			if (out->cap > DKIM_MAX_HEADERS)
				out->cap = DKIM_MAX_HEADERS;
			out->h = xrealloc(out->h, (size_t)out->cap *
			    sizeof(*out->h));
		}
		h = &out->h[out->n++];
		h->name = sv_make(s + start, colon);
		while (h->name.n > 0 && is_wsp(h->name.p[h->name.n - 1]))
			h->name.n--;
		h->raw = sv_make(s + start, end - start);
		if (h->raw.n >= 2 && h->raw.p[h->raw.n - 2] == '\r' &&
		    h->raw.p[h->raw.n - 1] == '\n')
			h->raw.n -= 2;
		else if (h->raw.n >= 1 && h->raw.p[h->raw.n - 1] == '\n')
			h->raw.n -= 1;
	}
	return 0;
}

void
dkim_hdrs_release(struct dkim_hdrs *h)
{
	buf_release(&h->text);
	free(h->h);
	h->h = NULL;
	h->n = h->cap = 0;
}

int
dkim_canon_header(enum dkim_canon c, struct sv raw, bool crlf,
    struct buf *out)
{
	size_t i, colon, end, start;
	bool space = false, any = false;
	char name[256];

	if (c == DKIM_CANON_SIMPLE) {
		if (buf_append(out, raw.p, raw.n) < 0)
			return -1;
		return crlf ? buf_append(out, "\r\n", 2) : 0;
	}
	/* RFC 6376 3.4.2: lower-case name, unfolded value, runs of WSP as
	 * one SP, none at either end of the value or around the colon. */
	for (colon = 0; colon < raw.n && raw.p[colon] != ':'; colon++)
		;
	end = colon;
	while (end > 0 && (is_wsp(raw.p[end - 1]) || raw.p[end - 1] == '\r' ||
	    raw.p[end - 1] == '\n'))
		end--;
	for (i = 0; i < end; i += start) {
		size_t k;

		start = end - i < sizeof(name) ? end - i : sizeof(name);
		for (k = 0; k < start; k++)
			name[k] = (char)tolower((unsigned char)raw.p[i + k]);
		if (buf_append(out, name, start) < 0)
			return -1;
	}
	if (buf_putc(out, ':') < 0)
		return -1;
	/* The value in runs: each run of bytes other than WSP, CR and LF is
	 * copied whole, and what separates two runs becomes one SP. */
	i = colon + 1;
	while (i < raw.n) {
		char ch = raw.p[i];

		if (ch == '\r' || ch == '\n') {
			i++;
			continue;
		}
		if (is_wsp(ch)) {
			space = true;
			i++;
			continue;
		}
		if (space && any && buf_putc(out, ' ') < 0)
			return -1;
		space = false;
		start = i;
		while (i < raw.n && raw.p[i] != ' ' && raw.p[i] != '\t' &&
		    raw.p[i] != '\r' && raw.p[i] != '\n')
			i++;
		if (buf_append(out, raw.p + start, i - start) < 0)
			return -1;
		any = true;
	}
	return crlf ? buf_append(out, "\r\n", 2) : 0;
}

struct dkim_body {
	enum dkim_canon	 canon;
	EVP_MD_CTX	*md;		/* or NULL: into sink */
	struct buf	*sink;
	int64_t		 limit;		/* -1: none */
	int64_t		 hashed;	/* bytes given to the hash */
	int64_t		 total;		/* canonical length, uncut */
	size_t		 nl_pending;	/* line ends not written yet */
	bool		 wsp_pending;	/* relaxed: a run of WSP seen */
	bool		 cr_held;	/* a CR that may start a CRLF */
	bool		 any;		/* some content written */
	size_t		 nstage;
	unsigned char	 stage[8192];
};

/*
 * Byte classes of the body canonicalisers: 0 is a byte written as it is
 * whatever surrounds it; CR and LF make line ends; SP and HTAB are runs
 * of white space in relaxed (in simple they are plain bytes).
 */
enum { BC_PLAIN, BC_WSP, BC_CR, BC_LF };

static const unsigned char body_class[256] = {
	['\t'] = BC_WSP, [' '] = BC_WSP, ['\r'] = BC_CR, ['\n'] = BC_LF,
};

static void
body_flush(struct dkim_body *b)
{
	if (b->nstage == 0)
		return;
	if (b->md != NULL)
		EVP_DigestUpdate(b->md, b->stage, b->nstage);
	else
		buf_append(b->sink, b->stage, b->nstage);
	b->nstage = 0;
}

/* Writes canonical bytes: small pieces are staged, large spans go to the
 * hash as they are. The l= cut applies here and only here. */
static void
body_emit(struct dkim_body *b, const char *p, size_t n)
{
	b->total += (int64_t)n;
	if (b->limit >= 0) {
		if (b->hashed >= b->limit)
			return;
		if ((int64_t)n > b->limit - b->hashed)
			n = (size_t)(b->limit - b->hashed);
	}
	b->hashed += (int64_t)n;
	if (n <= sizeof(b->stage) - b->nstage) {
		memcpy(b->stage + b->nstage, p, n);
		b->nstage += n;
		return;
	}
	body_flush(b);
	if (n < sizeof(b->stage) / 2) {
		memcpy(b->stage, p, n);
		b->nstage = n;
	} else if (b->md != NULL)
		EVP_DigestUpdate(b->md, p, n);
	else
		buf_append(b->sink, p, n);
}

/* Writes what a line's first content byte releases: the empty lines held
 * back (they are dropped at the end of the body, 3.4.3 and 3.4.4), then a
 * run of WSP as one SP (relaxed). */
static void
body_release(struct dkim_body *b)
{
	static const char crlfs[] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

	while (b->nl_pending > 0) {
		size_t k = b->nl_pending < 8 ? b->nl_pending : 8;

		body_emit(b, crlfs, 2 * k);
		b->nl_pending -= k;
	}
	if (b->wsp_pending) {
		body_emit(b, " ", 1);
		b->wsp_pending = false;
	}
}

static void
body_char(struct dkim_body *b, char c)
{
	if (b->canon == DKIM_CANON_RELAXED && (c == ' ' || c == '\t')) {
		b->wsp_pending = true;
		return;
	}
	body_release(b);
	body_emit(b, &c, 1);
	b->any = true;
}

static void
body_eol(struct dkim_body *b)
{
	b->wsp_pending = false;		/* relaxed: no WSP at line ends */
	b->nl_pending++;
}

/*
 * The longest span from p whose canonical form is itself, given that the
 * byte at p is plain and everything before it has been written: plain
 * bytes, CRLF followed by a plain byte, and in relaxed a single SP followed
 * by a plain byte (in simple, SP and HTAB are plain). What stops a span (a
 * run of WSP, a bare CR or LF, a line end at the end of the chunk, an
 * empty line) goes through the byte-at-a-time state machine, which is the
 * definition; spans only skip it where it would copy bytes through.
 * p[-1] is that plain byte.
 */
#ifdef __SSE2__
/*
 * Relaxed, sixteen bytes at a time: the bytes in a block that are not
 * copied as they are, found without a branch per byte. A byte is copied
 * as it is unless it is an HTAB, a SP before a byte at or below SP, a CR
 * not before an LF, an LF not after a CR, or an LF before a CR or LF (an
 * empty line, held back). The span ends after a plain byte, never inside
 * a CRLF or a SP pair. p[-1] must be readable (the caller's plain byte).
 */
static size_t
span_relaxed_sse2(const unsigned char *p, size_t n)
{
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	size_t i = 0;

	while (i + 17 <= n) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i nx = _mm_loadu_si128((const __m128i *)(p + i + 1));
		__m128i pv = _mm_loadu_si128((const __m128i *)(p + i - 1));
		__m128i nlow = _mm_cmpeq_epi8(_mm_min_epu8(nx, sp), nx);
		__m128i ncr = _mm_cmpeq_epi8(nx, cr), nlf = _mm_cmpeq_epi8(nx, lf);
		__m128i xlf = _mm_cmpeq_epi8(x, lf);
		__m128i bad = _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, tab),
		    _mm_and_si128(_mm_cmpeq_epi8(x, sp), nlow)),
		    _mm_or_si128(
		    _mm_andnot_si128(nlf, _mm_cmpeq_epi8(x, cr)),
		    _mm_and_si128(xlf, _mm_or_si128(_mm_or_si128(ncr, nlf),
		    _mm_xor_si128(_mm_cmpeq_epi8(pv, cr),
		    _mm_set1_epi8(-1))))));
		int m = _mm_movemask_epi8(bad);

		if (m != 0) {
			i += (size_t)__builtin_ctz((unsigned)m);
			break;
		}
		i += 16;
	}
	/* End after a plain byte. */
	while (i > 0 && (p[i - 1] == ' ' || p[i - 1] == '\r' ||
	    p[i - 1] == '\n'))
		i--;
	return i;
}
#endif

static size_t
body_span(const struct dkim_body *b, const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (b->canon == DKIM_CANON_SIMPLE) {
		for (;;) {
			const unsigned char *cr = memchr(p + i, '\r', n - i);
			const unsigned char *lf;
			size_t k = cr ? (size_t)(cr - p) : n;

			/* A bare LF before the CR ends the span. */
			lf = memchr(p + i, '\n', k - i);
			if (lf != NULL)
				return (size_t)(lf - p);
			if (cr == NULL || k + 2 >= n || p[k + 1] != '\n' ||
			    body_class[p[k + 2]] == BC_CR ||
			    body_class[p[k + 2]] == BC_LF)
				return k;
			i = k + 2;
		}
	}
#ifdef __SSE2__
	i = span_relaxed_sse2(p, n);
#endif
	while (i < n) {
		unsigned char c;

		c = p[i];
		if (body_class[c] == BC_PLAIN) {
			i++;
			continue;
		}
		if (c == ' ' && i + 1 < n && body_class[p[i + 1]] == BC_PLAIN) {
			i += 2;
			continue;
		}
		if (c == '\r' && i + 2 < n && p[i + 1] == '\n' &&
		    body_class[p[i + 2]] == BC_PLAIN) {
			i += 3;
			continue;
		}
		break;
	}
	return i;
}

/* EVP_sha256() makes every EVP_DigestInit_ex() fetch the implementation
 * from the provider again (OpenSSL 3); fetched once, the digests are
 * shared by every thread for the life of the process. */
static EVP_MD *md_sha256, *md_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

const EVP_MD *
dkim_md(const char *name)
{
	pthread_once(&md_once, md_fetch);
	if (strcmp(name, "sha256") == 0)
		return md_sha256 != NULL ? md_sha256 : EVP_sha256();
	if (strcmp(name, "sha1") == 0)
		return md_sha1 != NULL ? md_sha1 : EVP_sha1();
	return NULL;
}

struct dkim_body *
dkim_body_new(enum dkim_canon c, const char *md, int64_t limit)
{
	const EVP_MD *m = NULL;
	struct dkim_body *b;

	if (md != NULL) {
		if (strcmp(md, "sha256") == 0)
			m = dkim_md("sha256");
		else if (strcmp(md, "sha1") == 0)
			m = dkim_md("sha1");
		else
			return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->canon = c;
	b->limit = limit;
	if (m != NULL) {
		b->md = EVP_MD_CTX_new();
		if (b->md == NULL || EVP_DigestInit_ex(b->md, m, NULL) != 1) {
			EVP_MD_CTX_free(b->md);
			free(b);
			return NULL;
		}
	}
	return b;
}

struct dkim_body *
dkim_body_free(struct dkim_body *b)
{
	if (b != NULL) {
		EVP_MD_CTX_free(b->md);
		free(b);
	}
	return NULL;
}

void
dkim_body_update(struct dkim_body *b, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		unsigned char c = u[i];
		size_t k;

		if (b->cr_held) {
			b->cr_held = false;
			if (c == '\n') {
				body_eol(b);
				i++;
				continue;
			}
			body_char(b, '\r');
		}
		switch (body_class[c]) {
		case BC_CR:
			b->cr_held = true;
			i++;
			continue;
		case BC_LF:
			body_eol(b);	/* a bare LF stands for CRLF */
			i++;
			continue;
		case BC_WSP:
			if (b->canon == DKIM_CANON_RELAXED) {
				b->wsp_pending = true;
				i++;
				continue;
			}
			break;
		default:
			break;
		}
		body_release(b);
		k = 1 + body_span(b, u + i + 1, n - i - 1);
		/* The span ends on a plain byte: it may stop before a SP
		 * or a CRLF only because the chunk ends there. */
		body_emit(b, p + i, k);
		b->any = true;
		i += k;
	}
}

static void
body_end(struct dkim_body *b)
{
	if (b->cr_held) {
		b->cr_held = false;
		body_char(b, '\r');
	}
	/* One CRLF ends the last non-empty line, written or not; an empty
	 * body is CRLF in simple and nothing in relaxed (3.4.3, 3.4.4). */
	if (b->any || b->canon == DKIM_CANON_SIMPLE)
		body_emit(b, "\r\n", 2);
	body_flush(b);
}

size_t
dkim_body_final(struct dkim_body *b, unsigned char out[64],
    int64_t *canon_len)
{
	unsigned int len = 0;

	body_end(b);
	if (canon_len != NULL)
		*canon_len = b->total;
	if (b->md == NULL || EVP_DigestFinal_ex(b->md, out, &len) != 1)
		return 0;
	return len;
}

void
dkim_canon_body(enum dkim_canon c, const char *p, size_t n, struct buf *out)
{
	struct dkim_body *b = dkim_body_new(c, NULL, -1);

	b->sink = out;
	dkim_body_update(b, p, n);
	body_end(b);
	dkim_body_free(b);
}
