#include "auth/dkim_canon.h"

#include <ctype.h>
#include <string.h>

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
		if (p[i] != '\n')
			continue;
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

	out->n = 0;
	buf_init(&out->text, n * 2 + 2);
	/* Every bare LF becomes CRLF first: the views below point into the
	 * finished text, which no longer moves. */
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			buf_putc(&out->text, '\r');
		buf_putc(&out->text, p[i]);
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
	h->n = 0;
}

int
dkim_canon_header(enum dkim_canon c, struct sv raw, bool crlf,
    struct buf *out)
{
	size_t i, colon, end;
	bool space = false, any = false;

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
	for (i = 0; i < end; i++)
		if (buf_putc(out, (char)tolower((unsigned char)raw.p[i])) < 0)
			return -1;
	if (buf_putc(out, ':') < 0)
		return -1;
	for (i = colon + 1; i < raw.n; i++) {
		char ch = raw.p[i];

		if (ch == '\r' || ch == '\n')
			continue;
		if (is_wsp(ch)) {
			space = true;
			continue;
		}
		if (space && any && buf_putc(out, ' ') < 0)
			return -1;
		space = false;
		any = true;
		if (buf_putc(out, ch) < 0)
			return -1;
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
	bool		 open_line;	/* content since the last line end */
	size_t		 nstage;
	unsigned char	 stage[4096];
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

static void
body_emit(struct dkim_body *b, const char *p, size_t n)
{
	size_t i;

	b->total += (int64_t)n;
	for (i = 0; i < n; i++) {
		if (b->limit >= 0 && b->hashed >= b->limit)
			return;
		if (b->nstage == sizeof(b->stage))
			body_flush(b);
		b->stage[b->nstage++] = (unsigned char)p[i];
		b->hashed++;
	}
}

static void
body_char(struct dkim_body *b, char c)
{
	if (b->canon == DKIM_CANON_RELAXED && is_wsp(c)) {
		b->wsp_pending = true;
		return;
	}
	/* Empty lines are only written once something follows them: the
	 * ones at the end of the body are dropped (3.4.3, 3.4.4). */
	for (; b->nl_pending > 0; b->nl_pending--)
		body_emit(b, "\r\n", 2);
	if (b->wsp_pending) {
		body_emit(b, " ", 1);
		b->wsp_pending = false;
	}
	body_emit(b, &c, 1);
	b->any = true;
	b->open_line = true;
}

static void
body_eol(struct dkim_body *b)
{
	b->wsp_pending = false;		/* relaxed: no WSP at line ends */
	b->nl_pending++;
	b->open_line = false;
}

struct dkim_body *
dkim_body_new(enum dkim_canon c, const char *md, int64_t limit)
{
	const EVP_MD *m = NULL;
	struct dkim_body *b;

	if (md != NULL) {
		if (strcmp(md, "sha256") == 0)
			m = EVP_sha256();
		else if (strcmp(md, "sha1") == 0)
			m = EVP_sha1();
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
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (b->cr_held) {
			b->cr_held = false;
			if (c == '\n') {
				body_eol(b);
				continue;
			}
			body_char(b, '\r');
		}
		if (c == '\r')
			b->cr_held = true;
		else if (c == '\n')
			body_eol(b);	/* a bare LF stands for CRLF */
		else
			body_char(b, c);
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
