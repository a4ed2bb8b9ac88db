/*
 * cmd_dkim.c - `mxdoc dkim keygen|sign|verify`: make a DKIM key pair and
 * the TXT record to publish, sign a message, or verify every
 * DKIM-Signature of a message with the reason for each result (text, or
 * the JSON document of doc/dkim.md). Verification exits 0 when a signature
 * passes, 1 otherwise, 2 for bad usage or input, 3 without DNS.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/pem.h>

#include "auth/dkim.h"
#include "classify/finding.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "dns/resolver.h"
#include "report/json.h"
#include "report/text.h"

enum {
	OPT_DOMAIN = OPT_FIRST_LOCAL, OPT_SELECTOR, OPT_TYPE, OPT_BITS,
	OPT_OUT, OPT_KEY, OPT_HEADERS, OPT_CANON, OPT_NOW, OPT_OUT_DIR,
	OPT_JOBS,
};

/* The header section mxdoc holds in memory; the body is streamed. */
#define HDR_MAX		((size_t)1 << 20)
#define CHUNK		65536
/* Several messages: read with read(2) into a buffer each thread keeps;
 * a message for signing up to SIGN_MEM_MAX is read once, whole, and a
 * larger one streamed twice from its file. */
#define READ_FIRST	((size_t)256 << 10)
#define SIGN_MEM_MAX	((size_t)64 << 20)
/* Messages between two rounds of key lookups on the loop thread. */
#define WINDOW		256
#define JOBS_MAX	64

static const char help[] =
"Subcommands:\n"
"  keygen --domain D --selector S [--type rsa|ed25519] [--bits N] [--out FILE]\n"
"                         write a private key (PEM, mode 0600, never\n"
"                         overwritten) and print the TXT record to publish\n"
"                         at S._domainkey.D\n"
"  sign --domain D --selector S --key FILE [FILE]\n"
"                         sign a message (stdin by default) and write it,\n"
"                         signed, to stdout\n"
"  sign ... --out-dir DIR FILE...\n"
"                         sign each FILE into DIR under its own name\n"
"  verify [FILE...]       verify every DKIM-Signature of a message (stdin by\n"
"                         default), fetching the keys from DNS; several\n"
"                         files: a block each (--json: JSON Lines), every\n"
"                         key asked of DNS once\n"
"Options:\n"
"  --domain D             the signing domain (d=)\n"
"  --selector S           the selector (s=)\n"
"  --type rsa|ed25519     key type for keygen (default rsa)\n"
"  --bits N               RSA key size for keygen (default 2048; 1024-4096)\n"
"  --out FILE             where keygen writes the private key (default\n"
"                         S._domainkey.D.pem)\n"
"  --out-dir DIR          where sign writes the signed messages, each under\n"
"                         its file name (never over the message itself)\n"
"  --key FILE             the private key (PEM) sign uses; its type picks\n"
"                         rsa-sha256 or ed25519-sha256\n"
"  --headers LIST         header fields to sign, ':' or ',' separated\n"
"                         (default: from, to, subject, date, message-id, cc,\n"
"                         reply-to, mime-version, content-type... as present,\n"
"                         with From signed once more than it appears)\n"
"  --canon H/B            simple or relaxed, header/body (default\n"
"                         relaxed/relaxed)\n"
"  --now SECONDS          the time to sign (t=) or to check x= with, as Unix\n"
"                         seconds (default: now)\n"
"  --jobs N               several files: work on N at a time (threads;\n"
"                         default: the number of online CPUs); the output\n"
"                         is the same for any N, in the order given\n";

extern const struct cmd_entry cmd_dkim_entry;

struct opts {
	const char	*domain, *selector, *type, *out, *key, *headers;
	const char	*canon, *out_dir;
	long		 bits, jobs;
	int64_t		 now;
};

static bool
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 200 || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '.' || s[i] == '_'))
			return false;
	return strstr(s, "..") == NULL;
}

/* ---- keygen ---------------------------------------------------------- */

static void
zone_text(const char *name, const char *rec, struct buf *z)
{
	size_t n = strlen(rec), i;

	/* One character-string holds at most 255 bytes (RFC 1035 3.3). */
	buf_printf(z, "%s. IN TXT (", name);
	for (i = 0; i < n; i += 255)
		buf_printf(z, "\n\t\"%.*s\"", (int)(n - i > 255 ? 255 : n - i),
		    rec + i);
	buf_puts(z, " )\n");
}

static int
run_keygen(const struct opts *o, struct cli_globals *g)
{
	enum dkim_key_type type = DKIM_KEY_RSA;
	char *path = NULL, *name = NULL;
	EVP_PKEY *key = NULL;
	struct buf rec, zone;
	FILE *f = NULL;
	int fd, rc = EXIT_INTERNAL;

	if (o->type != NULL && strcmp(o->type, "ed25519") == 0)
		type = DKIM_KEY_ED25519;
	else if (o->type != NULL && strcmp(o->type, "rsa") != 0)
		return cli_usage_error("dkim", "--type is rsa or ed25519");
	if (type == DKIM_KEY_ED25519 && o->bits != 0)
		return cli_usage_error("dkim", "--bits is for RSA keys");
	path = o->out ? xstrdup(o->out) : xasprintf("%s._domainkey.%s.pem",
	    o->selector, o->domain);
	name = xasprintf("%s._domainkey.%s", o->selector, o->domain);
	buf_init(&rec, 8192);
	buf_init(&zone, 16384);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		fprintf(stderr, "mxdoc dkim: %s: %s%s\n", path, strerror(errno),
		    errno == EEXIST ? " (an existing key is never overwritten)" :
		    "");
		rc = EXIT_USAGE;
		goto out;
	}
	key = dkim_keygen(type, o->bits ? (int)o->bits : 2048);
	f = fdopen(fd, "w");
	if (f == NULL)
		close(fd);
	if (key == NULL || f == NULL || PEM_write_PrivateKey(f, key, NULL,
	    NULL, 0, NULL, NULL) != 1 || fclose(f) != 0) {
		f = NULL;
		fprintf(stderr, "mxdoc dkim: cannot make or write the key to "
		    "%s\n", path);
		unlink(path);
		goto out;
	}
	f = NULL;
	dkim_key_record(key, &rec);
	zone_text(name, rec.data, &zone);
	if (g->json) {
		struct buf out;
		struct jw *w;

		buf_init(&out, BUF_UNBOUNDED);
		w = jw_new(&out);
		jw_obj_begin(w, NULL);
		jw_str(w, "mxdoc_version", MXDOC_VERSION);
		jw_str(w, "command", "dkim keygen");
		jw_str(w, "domain", o->domain);
		jw_str(w, "selector", o->selector);
		jw_str(w, "algorithm", dkim_key_alg(key));
		jw_int(w, "bits", EVP_PKEY_get_bits(key));
		jw_str(w, "key_file", path);
		jw_str(w, "record_name", name);
		jw_str(w, "record", rec.data);
		jw_str(w, "zone", zone.data);
		jw_obj_end(w);
		fwrite(out.data, 1, out.len, stdout);
		jw_free(w);
		buf_release(&out);
	} else {
		printf("Private key (%s, %d bits) written to %s, mode 0600: "
		    "keep it secret.\n", dkim_key_alg(key),
		    EVP_PKEY_get_bits(key), path);
		printf("Publish this TXT record at %s:\n\n%s", name, zone.data);
	}
	rc = EXIT_OK;
out:
	EVP_PKEY_free(key);
	buf_release(&rec);
	buf_release(&zone);
	free(path);
	free(name);
	return rc;
}

/* ---- reading a message ------------------------------------------------ */

struct msg_in {
	FILE		*f;
	struct buf	 head;	/* what was read while looking for the body */
	size_t		 hdr_len;
	size_t		 body_at;
	bool		 eof;
};

/* Reads until the header section ends. Returns 0, or -1 with *err. */
static int
read_header(struct msg_in *m, const char **err)
{
	char chunk[8192];
	long off;

	buf_init(&m->head, HDR_MAX + sizeof(chunk));
	for (;;) {
		size_t n = fread(chunk, 1, sizeof(chunk), m->f);

		if (n > 0 && buf_append(&m->head, chunk, n) < 0) {
			*err = "the header section is larger than 1 MiB";
			return -1;
		}
		off = dkim_body_offset(m->head.data, m->head.len, &m->hdr_len);
		if (off >= 0) {
			m->body_at = (size_t)off;
			return 0;
		}
		if (n == 0) {
			if (ferror(m->f)) {
				*err = strerror(errno);
				return -1;
			}
			/* No empty line: all header, no body. */
			m->eof = true;
			m->hdr_len = m->body_at = m->head.len;
			return 0;
		}
		if (m->head.len > HDR_MAX) {
			*err = "the header section is larger than 1 MiB";
			return -1;
		}
	}
}

static FILE *
open_input(const char *path, const char *cmd)
{
	FILE *f;

	if (path == NULL || strcmp(path, "-") == 0)
		return stdin;
	f = fopen(path, "rb");
	if (f == NULL)
		fprintf(stderr, "mxdoc dkim %s: %s: %s\n", cmd, path,
		    strerror(errno));
	return f;
}

/* ---- sign ------------------------------------------------------------- */

static int
split_headers(const char *list, char ***out)
{
	char *copy = xstrdup(list), *p = copy, **v;
	int n = 0;

	v = xcalloc(DKIM_MAX_SIGNED + 1, sizeof(*v));
	while (*p != '\0' && n < DKIM_MAX_SIGNED) {
		size_t k = strcspn(p, ":, ");

		if (k > 0)
			v[n++] = xstrndup(p, k);
		p += k;
		if (*p != '\0')
			p++;
	}
	free(copy);
	*out = v;
	return n;
}

static int
parse_canon_opt(const char *s, enum dkim_canon *h, enum dkim_canon *b)
{
	const char *slash = strchr(s, '/');
	size_t hn = slash ? (size_t)(slash - s) : strlen(s);

	if (hn == 6 && strncmp(s, "simple", 6) == 0)
		*h = DKIM_CANON_SIMPLE;
	else if (hn == 7 && strncmp(s, "relaxed", 7) == 0)
		*h = DKIM_CANON_RELAXED;
	else
		return -1;
	if (slash == NULL) {
		*b = *h;
		return 0;
	}
	if (strcmp(slash + 1, "simple") == 0)
		*b = DKIM_CANON_SIMPLE;
	else if (strcmp(slash + 1, "relaxed") == 0)
		*b = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* What signing several messages shares: the key, read once. */
struct signer {
	struct dkim_sign_params	 sp;
	EVP_PKEY		*key;
	char			**names;
	int			 nnames;
};

static void
signer_release(struct signer *s)
{
	int i;

	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	EVP_PKEY_free(s->key);
}

static int
signer_init(const struct opts *o, struct signer *s)
{
	FILE *kf;

	memset(s, 0, sizeof(*s));
	s->sp.hcanon = s->sp.bcanon = DKIM_CANON_RELAXED;
	if (o->canon != NULL && parse_canon_opt(o->canon, &s->sp.hcanon,
	    &s->sp.bcanon) < 0)
		return cli_usage_error("dkim", "--canon is simple or relaxed, "
		    "or HEADER/BODY such as relaxed/simple");
	if (o->key == NULL)
		return cli_usage_error("dkim", "sign needs --key FILE");
	kf = fopen(o->key, "r");
	if (kf == NULL)
		return cli_usage_error("dkim", "%s: %s", o->key, strerror(errno));
	s->key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
	fclose(kf);
	if (s->key == NULL || dkim_key_alg(s->key) == NULL)
		return cli_usage_error("dkim", "%s: not an RSA or Ed25519 "
		    "private key in PEM", o->key);
	if (EVP_PKEY_get_base_id(s->key) == EVP_PKEY_RSA &&
	    EVP_PKEY_get_bits(s->key) < 1024)
		return cli_usage_error("dkim", "%s: RSA keys under 1024 bits "
		    "fail everywhere (RFC 8301)", o->key);
	if (o->headers != NULL) {
		s->nnames = split_headers(o->headers, &s->names);
		s->sp.headers = (const char *const *)s->names;
	}
	s->sp.domain = o->domain;
	s->sp.selector = o->selector;
	s->sp.key = s->key;
	s->sp.now = o->now >= 0 ? o->now : mtime_wall_us() / 1000000;
	return EXIT_OK;
}

/* Signs the message read from in (seekable: it is read twice) into out.
 * path names it in messages, NULL for the one message of a plain sign.
 * Returns an exit status. */
static int
sign_file(const struct signer *s, const char *path, FILE *in, FILE *out)
{
	struct msg_in m;
	struct dkim_hdrs hdrs;
	struct dkim_body *body = NULL;
	struct buf sig;
	unsigned char bh[64];
	size_t bhlen, n, i;
	char chunk[CHUNK];
	const char *err = NULL;
	int rc = EXIT_USAGE;

	memset(&m, 0, sizeof(m));
	memset(&hdrs, 0, sizeof(hdrs));
	buf_init(&sig, 1 << 20);
	m.f = in;
	if (read_header(&m, &err) < 0 ||
	    dkim_hdrs_parse(m.head.data, m.hdr_len, &hdrs, &err) < 0) {
		fprintf(stderr, "mxdoc dkim sign: %s%s%s\n", path ? path : "",
		    path ? ": " : "", err);
		goto out;
	}
	body = dkim_body_new(s->sp.bcanon, "sha256", -1);
	dkim_body_update(body, m.head.data + m.body_at,
	    m.head.len - m.body_at);
	while (!m.eof && (n = fread(chunk, 1, sizeof(chunk), m.f)) > 0)
		dkim_body_update(body, chunk, n);
	bhlen = dkim_body_final(body, bh, NULL);
	if (dkim_sign(&s->sp, &hdrs, bh, bhlen, &sig, &err) < 0) {
		fprintf(stderr, "mxdoc dkim sign: %s%s%s\n", path ? path : "",
		    path ? ": " : "", err);
		goto out;
	}
	rc = EXIT_INTERNAL;
	/* The new field keeps the message's own line ends. */
	if (memmem(m.head.data, m.hdr_len, "\r\n", 2) == NULL &&
	    m.hdr_len > 0) {
		for (i = 0; i < sig.len; i++)
			if (sig.data[i] != '\r')
				putc(sig.data[i], out);
	} else
		fwrite(sig.data, 1, sig.len, out);
	if (fseeko(m.f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "mxdoc dkim sign: %s%scannot reread the "
		    "message\n", path ? path : "", path ? ": " : "");
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), m.f)) > 0)
		fwrite(chunk, 1, n, out);
	rc = ferror(m.f) || ferror(out) ? EXIT_INTERNAL : EXIT_OK;
out:
	dkim_body_free(body);
	dkim_hdrs_release(&hdrs);
	buf_release(&m.head);
	buf_release(&sig);
	return rc;
}

static int
run_sign(const struct opts *o, const char *path)
{
	struct signer sg;
	FILE *in, *spool = NULL, *src;
	char chunk[CHUNK];
	size_t n;
	int rc;

	rc = signer_init(o, &sg);
	if (rc != EXIT_OK) {
		signer_release(&sg);
		return rc;
	}
	in = open_input(path, "sign");
	if (in == NULL) {
		signer_release(&sg);
		return EXIT_USAGE;
	}
	/* The message is read twice (to hash, then to copy): a pipe is
	 * spooled to a temporary file first. */
	src = in;
	if (fseeko(in, 0, SEEK_CUR) != 0) {
		spool = tmpfile();
		if (spool == NULL) {
			fprintf(stderr, "mxdoc dkim sign: no temporary file: "
			    "%s\n", strerror(errno));
			rc = EXIT_INTERNAL;
			goto out;
		}
		while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
			fwrite(chunk, 1, n, spool);
		rewind(spool);
		src = spool;
	}
	rc = sign_file(&sg, NULL, src, stdout);
	if (rc == EXIT_OK && fflush(stdout) != 0)
		rc = EXIT_INTERNAL;
out:
	signer_release(&sg);
	if (spool != NULL)
		fclose(spool);
	if (in != stdin)
		fclose(in);
	return rc;
}

/* ---- verify ----------------------------------------------------------- */

static void
verdict(const struct dkim_verify *v, struct finding *f)
{
	int i, n = dkim_verify_count(v), pass = -1, temp = 0;
	const struct dkim_sigresult *r, *first = NULL;

	for (i = 0; i < n; i++) {
		r = dkim_verify_result(v, i);
		if (r->result == DKIM_PASS && pass < 0)
			pass = i;
		if (r->result == DKIM_TEMPERROR)
			temp++;
		if (r->result != DKIM_PASS && first == NULL)
			first = r;
	}
	if (n == 0) {
		finding_init(f, "auth.dkim", SEV_WARNING, "DKIM none: "
		    "the message has no DKIM-Signature");
		f->remedy_first = xstrdup("Sign outgoing mail with DKIM for "
		    "the From domain (mxdoc dkim keygen, then sign in the MTA "
		    "or with a milter)");
		return;
	}
	if (pass >= 0) {
		r = dkim_verify_result(v, pass);
		finding_init(f, "ok", SEV_OK, "DKIM pass: the signature of %s "
		    "(s=%s) verifies%s", r->domain, r->selector, n > 1 ?
		    " (of several)" : "");
		if (r->warning != NULL)
			finding_evidence(f, "warning: %s", r->warning);
	} else if (temp == n) {
		finding_init(f, "dns.failure", SEV_WARNING, "DKIM "
		    "temperror: no key could be fetched: %s", first->reason);
		f->remedy_first = xstrdup("Check that the domain's name servers "
		    "answer TXT queries for the key names below");
	} else {
		finding_init(f, "auth.dkim", SEV_ERROR, "DKIM fail: "
		    "no signature verifies: %s", first->reason);
		if (first->reason != NULL && strstr(first->reason, "key not "
		    "found") != NULL)
			f->remedy_first = xasprintf("Publish the key record at "
			    "%s (mxdoc dkim keygen prints it)", first->key_name);
		else if (first->reason != NULL && strstr(first->reason,
		    "body hash") != NULL)
			f->remedy_first = xstrdup("Find what changes the body "
			    "after signing (a footer, a disclaimer, a content "
			    "filter re-encoding MIME) or sign after it");
		else if (first->reason != NULL && strstr(first->reason, "weak")
		    != NULL)
			f->remedy_first = xstrdup("Sign with rsa-sha256 and a "
			    "2048-bit key, or ed25519-sha256 alongside it");
		else
			f->remedy_first = xstrdup("Re-sign with a valid key "
			    "and check that nothing rewrites signed header "
			    "fields in transit");
	}
	for (i = 0; i < n; i++) {
		r = dkim_verify_result(v, i);
		finding_evidence(f, "d=%s s=%s a=%s: %s%s%s",
		    r->domain ? r->domain : "?", r->selector ? r->selector : "?",
		    r->algorithm ? r->algorithm : "?",
		    dkim_result_name(r->result), r->reason ? ": " : "",
		    r->reason ? r->reason : "");
	}
}

static void
json_opt_int(struct jw *w, const char *key, int64_t v)
{
	if (v >= 0)
		jw_int(w, key, v);
	else
		jw_null(w, key);
}

/* The JSON document of one message into out; with file (several
 * messages), one compact line naming it. */
static void
render_json(const struct dkim_verify *v, const struct finding *f,
    const char *json_file, struct buf *out)
{
	struct jw *w;
	int i;

	w = jw_new(out);
	if (json_file != NULL)
		jw_compact(w);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "dkim verify");
	if (json_file != NULL)
		jw_str(w, "file", json_file);
	jw_arr_begin(w, "signatures");
	for (i = 0; i < dkim_verify_count(v); i++) {
		const struct dkim_sigresult *r = dkim_verify_result(v, i);

		jw_obj_begin(w, NULL);
		jw_str(w, "domain", r->domain);
		jw_str(w, "selector", r->selector);
		jw_str(w, "algorithm", r->algorithm);
		jw_str(w, "result", dkim_result_name(r->result));
		jw_str(w, "reason", r->reason);
		jw_str(w, "warning", r->warning);
		jw_str(w, "identity", r->identity);
		jw_str(w, "headers", r->headers);
		jw_str(w, "key_name", r->key_name);
		if (r->key_bits > 0)
			jw_int(w, "key_bits", r->key_bits);
		else
			jw_null(w, "key_bits");
		json_opt_int(w, "timestamp", r->timestamp);
		json_opt_int(w, "expire", r->expire);
		json_opt_int(w, "length", r->length);
		jw_bool(w, "testing", r->testing);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	finding_json(w, "verdict", f);
	jw_obj_end(w);
	if (json_file != NULL)
		buf_puts(out, "\n");
	jw_free(w);
}

static enum tcolor
result_color(enum dkim_result r)
{
	switch (r) {
	case DKIM_PASS:		return TC_GREEN;
	case DKIM_TEMPERROR:
	case DKIM_NEUTRAL:	return TC_YELLOW;
	default:		return TC_RED;
	}
}

static void
render_text(FILE *o, const struct dkim_verify *v, const struct finding *f,
    const struct cli_globals *g)
{
	struct table *t;
	size_t i;
	int k;

	fprintf(o, "%s%s%-7s%s  ", tc(TC_BOLD), tc(cli_sev_color(f->severity)),
	    cli_sev_label(f->severity), tc(TC_RESET));
	text_wrap(o, f->summary, 9, 9, 100);
	fprintf(o, "%*s%scause: %s (%s)%s\n", 9, "", tc(TC_DIM), f->cause->id,
	    f->cause->title, tc(TC_RESET));
	if (g->quiet)
		return;
	if (dkim_verify_count(v) > 0) {
		const char *hdr[5] = { "#", "DOMAIN", "SELECTOR", "ALGORITHM",
		    "RESULT" };

		fprintf(o, "\n%sSignatures%s\n", tc(TC_BOLD), tc(TC_RESET));
		t = table_new(5);
		table_row(t, hdr);
		for (k = 0; k < dkim_verify_count(v); k++) {
			const struct dkim_sigresult *r = dkim_verify_result(v, k);
			char num[16], res[64];
			const char *cells[5];

			snprintf(num, sizeof(num), "%d", k + 1);
			snprintf(res, sizeof(res), "%s%s%s",
			    tc(result_color(r->result)),
			    dkim_result_name(r->result), tc(TC_RESET));
			cells[0] = num;
			cells[1] = r->domain ? r->domain : "?";
			cells[2] = r->selector ? r->selector : "?";
			cells[3] = r->algorithm ? r->algorithm : "?";
			cells[4] = res;
			table_row(t, cells);
		}
		table_print(t, o, 2);
		table_free(t);
		fprintf(o, "\n%sReasons%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (k = 0; k < dkim_verify_count(v); k++) {
			const struct dkim_sigresult *r = dkim_verify_result(v, k);

			fprintf(o, "  %d. ", k + 1);
			if (r->result == DKIM_PASS)
				text_wrap(o, r->key_bits > 0 ? "body hash "
				    "and signature verify" : "verifies", 5, 5,
				    100);
			else
				text_wrap(o, r->reason, 5, 5, 100);
			if (r->warning != NULL) {
				fprintf(o, "     warning: ");
				text_wrap(o, r->warning, 14, 14, 100);
			}
			if (g->verbose && r->key_name != NULL)
				fprintf(o, "     key %s (%d bits), h=%s\n",
				    r->key_name, r->key_bits, r->headers);
		}
	}
	if (f->remedy_first != NULL) {
		fprintf(o, "\n%sWhat to do%s\n", tc(TC_BOLD), tc(TC_RESET));
		k = 1;
		fprintf(o, "  %d. ", k++);
		text_wrap(o, f->remedy_first, 5, 5, 100);
		for (i = 0; i < f->cause->nremedy; i++) {
			fprintf(o, "  %d. ", k++);
			text_wrap(o, f->cause->remedy[i], 5, 5, 100);
		}
	}
}

/* ---- several messages in one run ---------------------------------------- */

/* The exit status of a run over several messages: the worst one. */
static int
worse(int a, int b)
{
	return a > b ? a : b;
}

/*
 * Several messages are worked on by a pool of threads (--jobs), the
 * calling thread one of them, in windows of WINDOW messages and in
 * phases: every thread takes the window's messages one at a time, and
 * the phase ends when all are done. Verification has two phases around
 * the key lookups, which stay on the loop thread (the resolver and its
 * loop are not shared): read and hash every message; look up the
 * window's distinct key names, all at once; check each signature against
 * its key and render the message's report. The reports are then written
 * in input order. Nothing a phase computes depends on which thread ran
 * it or when, so the output is the same for any --jobs, and --jobs 1 is
 * this same code with no other thread.
 */
struct job {
	const char		*path;
	struct dkim_verify	*v;		/* between verify's phases */
	int			 rc;
	struct buf		 out;		/* for stdout */
	char			*errline;	/* for stderr, or NULL */
};

struct worker {
	struct pool		*pool;
	pthread_t		 tid;
	char			*rd;		/* the read buffer, reused */
	size_t			 rdcap;
};

struct keyans {
	char			*name;
	enum dns_status		 status;
	int			 n;
	char			*txt[DKIM_MAX_RECORDS];
	size_t			 len[DKIM_MAX_RECORDS];
	struct dns_query	*q;
	int			*pending;
};

struct pool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 go, idle;
	struct worker		*w;	/* w[0] is the calling thread's */
	int			 nw;
	unsigned		 gen;	/* phases started */
	int			 busy;	/* helpers still in the phase */
	bool			 quit;
	void			(*fn)(struct worker *, struct job *);
	struct job		*jobs;
	size_t			 next, njobs;
	/* What the phases read. */
	const struct opts	*o;
	const struct cli_globals *g;
	bool			 single;
	struct dkim_keycache	*keys;
	const struct signer	*signer;
	struct keyans		*ans;
	int			 nans;
};

static void
phase_work(struct worker *w)
{
	struct pool *p = w->pool;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&p->lock);
		j = p->next < p->njobs ? &p->jobs[p->next++] : NULL;
		pthread_mutex_unlock(&p->lock);
		if (j == NULL)
			return;
		p->fn(w, j);
	}
}

static void *
helper_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	unsigned seen = 0;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->gen == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->lock);
		if (p->quit)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->lock);
		phase_work(w);
		pthread_mutex_lock(&p->lock);
		if (--p->busy == 0)
			pthread_cond_signal(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Starts nw - 1 helper threads (fewer when the system refuses). */
static void
pool_init(struct pool *p, int nw)
{
	int i;

	if (pthread_mutex_init(&p->lock, NULL) != 0 ||
	    pthread_cond_init(&p->go, NULL) != 0 ||
	    pthread_cond_init(&p->idle, NULL) != 0)
		abort();
	p->w = xcalloc((size_t)nw, sizeof(*p->w));
	p->nw = 1;
	p->w[0].pool = p;
	for (i = 1; i < nw; i++) {
		p->w[i].pool = p;
		if (pthread_create(&p->w[i].tid, NULL, helper_main,
		    &p->w[i]) != 0)
			break;
		p->nw++;
	}
}

/* Runs fn over jobs[0..n) on every thread; returns when all are done. */
static void
pool_run(struct pool *p, void (*fn)(struct worker *, struct job *),
    struct job *jobs, size_t n)
{
	pthread_mutex_lock(&p->lock);
	p->fn = fn;
	p->jobs = jobs;
	p->njobs = n;
	p->next = 0;
	p->busy = p->nw - 1;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	phase_work(&p->w[0]);
	pthread_mutex_lock(&p->lock);
	while (p->busy > 0)
		pthread_cond_wait(&p->idle, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

static void
pool_release(struct pool *p)
{
	int i;

	pthread_mutex_lock(&p->lock);
	p->quit = true;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->lock);
	for (i = 1; i < p->nw; i++)
		pthread_join(p->w[i].tid, NULL);
	for (i = 0; i < p->nw; i++)
		free(p->w[i].rd);
	free(p->w);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->lock);
}

static int
jobs_default(const struct opts *o)
{
	long n = o->jobs > 0 ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > JOBS_MAX ? JOBS_MAX : (int)n;
}

/* Reads from fd into the worker's buffer at off, as much as fits, growing
 * it up to max bytes. Returns the count read, 0 at the end, -1 on an
 * error. */
static ssize_t
rd_more(struct worker *w, int fd, size_t off, size_t max)
{
	ssize_t r;

	if (w->rdcap - off < CHUNK && w->rdcap < max) {
		size_t cap = w->rdcap ? w->rdcap * 2 : READ_FIRST;

		while (cap - off < CHUNK)
			cap *= 2;
		w->rd = xrealloc(w->rd, cap > max ? max : cap);
		w->rdcap = cap > max ? max : cap;
	}
	if (off >= w->rdcap)
		return -1;
	do
		r = read(fd, w->rd + off, w->rdcap - off);
	while (r < 0 && errno == EINTR);
	return r;
}

/* ---- verify FILE... ------------------------------------------------------ */

/* Phase 1: read one message and hash its body. */
static void
verify_read(struct worker *w, struct job *j)
{
	struct pool *p = w->pool;
	const char *err = NULL, *what = "";
	size_t len = 0, hdr_len = 0, body_at;
	ssize_t r;
	long off = -1;
	int fd;
	bool eof = false;

	if (p->single && (j->path == NULL || strcmp(j->path, "-") == 0))
		fd = STDIN_FILENO;
	else if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) < 0) {
		err = strerror(errno);
		goto bad;
	}
	/* The header section is held (HDR_MAX); the body streams through
	 * the same buffer. */
	for (;;) {
		r = rd_more(w, fd, len, HDR_MAX + READ_FIRST);
		if (r < 0) {
			err = len >= HDR_MAX ? "the header section is larger "
			    "than 1 MiB" : strerror(errno);
			goto bad;
		}
		len += (size_t)r;
		off = dkim_body_offset(w->rd, len, &hdr_len);
		if (off >= 0)
			break;
		if (r == 0) {
			/* No empty line: all header, no body. */
			eof = true;
			hdr_len = len;
			break;
		}
		if (len > HDR_MAX)
			break;
	}
	if (hdr_len > HDR_MAX || (off < 0 && !eof)) {
		err = "the header section is larger than 1 MiB";
		goto bad;
	}
	body_at = off >= 0 ? (size_t)off : len;
	j->v = dkim_verify_new(w->rd, hdr_len, p->o->now >= 0 ? p->o->now :
	    mtime_wall_us() / 1000000, &err);
	if (j->v == NULL) {
		what = "not a message: ";
		goto bad;
	}
	dkim_verify_set_keycache(j->v, p->keys);
	dkim_verify_body(j->v, w->rd + body_at, len - body_at);
	while (!eof) {
		r = rd_more(w, fd, 0, HDR_MAX + READ_FIRST);
		if (r < 0) {
			err = strerror(errno);
			j->v = dkim_verify_free(j->v);
			goto bad;
		}
		if (r == 0)
			break;
		dkim_verify_body(j->v, w->rd, (size_t)r);
	}
	dkim_verify_end_body(j->v);
	if (fd != STDIN_FILENO)
		close(fd);
	return;
bad:
	if (fd >= 0 && fd != STDIN_FILENO)
		close(fd);
	j->rc = EXIT_USAGE;
	if (p->single) {
		/* Bad input of a plain verify: one line on stderr, exit 2. */
		if (fd < 0)
			j->errline = xasprintf("mxdoc dkim verify: %s: %s\n",
			    j->path, err);
		else
			j->errline = xasprintf("mxdoc dkim verify: %s%s\n",
			    what, err);
		return;
	}
	j->errline = xasprintf("mxdoc dkim verify: %s: %s%s\n", j->path, what,
	    err);
	if (p->g->json) {
		/* --json: one compact line for a file that could not be read
		 * as a message. */
		struct jw *jw = jw_new(&j->out);

		jw_compact(jw);
		jw_obj_begin(jw, NULL);
		jw_str(jw, "mxdoc_version", MXDOC_VERSION);
		jw_str(jw, "command", "dkim verify");
		jw_str(jw, "file", j->path);
		jw_str(jw, "error", err);
		jw_obj_end(jw);
		buf_puts(&j->out, "\n");
		jw_free(jw);
	} else
		buf_printf(&j->out, "%s==> %s%s\nERROR    %s\n", tc(TC_BOLD),
		    j->path, tc(TC_RESET), err);
}

/* Phase 3: the signatures against their keys, and the report. */
static void
verify_check(struct worker *w, struct job *j)
{
	struct pool *p = w->pool;
	struct finding f;
	int i, k;

	if (j->v == NULL)
		return;
	for (i = 0; i < dkim_verify_count(j->v); i++) {
		const char *name = dkim_verify_key_wanted(j->v, i);

		if (name == NULL)
			continue;
		for (k = 0; k < p->nans; k++)
			if (strcmp(p->ans[k].name, name) == 0)
				break;
		if (k == p->nans)
			abort();	/* every wanted name was looked up */
		dkim_verify_set_key(j->v, i, p->ans[k].status,
		    (const char *const *)p->ans[k].txt, p->ans[k].len,
		    p->ans[k].n);
	}
	verdict(j->v, &f);
	if (p->g->json)
		render_json(j->v, &f, p->single ? NULL : j->path, &j->out);
	else {
		char *text = NULL;
		size_t tn = 0;
		FILE *o = open_memstream(&text, &tn);

		if (o == NULL)
			abort();
		if (!p->single)
			fprintf(o, "%s==> %s%s\n", tc(TC_BOLD), j->path,
			    tc(TC_RESET));
		render_text(o, j->v, &f, p->g);
		if (fclose(o) != 0)
			abort();
		buf_append(&j->out, text, tn);
		free(text);
	}
	finding_release(&f);
	j->rc = EXIT_PROBLEM;
	for (i = 0; i < dkim_verify_count(j->v); i++)
		if (dkim_verify_result(j->v, i)->result == DKIM_PASS)
			j->rc = EXIT_OK;
	j->v = dkim_verify_free(j->v);
}

static void
on_key_answer(void *arg, const struct dns_answer *a)
{
	struct keyans *k = arg;
	int i;

	k->q = NULL;
	k->status = a->status;
	for (i = 0; a->status == DNS_OK && i < a->nrr && k->n <
	    DKIM_MAX_RECORDS; i++) {
		k->len[k->n] = a->rr[i]->u.txt.len;
		k->txt[k->n] = xmalloc(k->len[k->n] + 1);
		memcpy(k->txt[k->n], a->rr[i]->u.txt.data, k->len[k->n]);
		k->txt[k->n][k->len[k->n]] = '\0';
		k->n++;
	}
	--*k->pending;
}

static void
keyans_release(struct pool *p)
{
	int i, k;

	for (i = 0; i < p->nans; i++) {
		if (p->ans[i].q != NULL)
			dns_cancel(p->ans[i].q);
		for (k = 0; k < p->ans[i].n; k++)
			free(p->ans[i].txt[k]);
		free(p->ans[i].name);
	}
	free(p->ans);
	p->ans = NULL;
	p->nans = 0;
}

/* Phase 2, on the loop thread: each distinct key name of the window asked
 * once, all at the same time. The resolver's cache answers the names of
 * earlier windows; each query has the resolver's timeout. */
static int
verify_lookup(struct pool *p, struct job *jobs, size_t n,
    struct event_base *base, struct dns *dns)
{
	size_t i;
	int s, k, pending = 0, cap = 0;

	for (i = 0; i < n; i++) {
		if (jobs[i].v == NULL)
			continue;
		for (s = 0; s < dkim_verify_count(jobs[i].v); s++) {
			const char *name = dkim_verify_key_wanted(jobs[i].v, s);

			if (name == NULL)
				continue;
			for (k = 0; k < p->nans; k++)
				if (strcmp(p->ans[k].name, name) == 0)
					break;
			if (k < p->nans)
				continue;
			if (p->nans == cap) {
				cap = cap ? cap * 2 : 8;
				p->ans = xrealloc(p->ans, (size_t)cap *
				    sizeof(*p->ans));
			}
			memset(&p->ans[p->nans], 0, sizeof(p->ans[0]));
			p->ans[p->nans].name = xstrdup(name);
			p->ans[p->nans].pending = &pending;
			p->ans[p->nans].status = DNS_ERROR;
			p->nans++;
		}
	}
	for (k = 0; k < p->nans; k++) {
		pending++;
		p->ans[k].q = dns_query(dns, p->ans[k].name, DNS_T_TXT,
		    on_key_answer, &p->ans[k]);
		if (p->ans[k].q == NULL)
			pending--;	/* DNS_ERROR: a temperror */
	}
	while (pending > 0)
		if (event_base_loop(base, EVLOOP_ONCE) != 0)
			return -1;
	return 0;
}

static void
job_flush(struct job *j)
{
	if (j->errline != NULL)
		fputs(j->errline, stderr);
	if (j->out.len > 0)
		fwrite(j->out.data, 1, j->out.len, stdout);
	free(j->errline);
	j->errline = NULL;
	buf_release(&j->out);
}

/* `dkim verify [FILE...]`: one loop and one resolver for all, so each key
 * is asked of DNS once and then answered from the resolver's cache, and
 * each key record parsed once (the key cache). One message (a file or
 * stdin) is reported without a file heading. */
static int
run_verify_many(const struct opts *o, char **files, int nfile,
    struct cli_globals *g)
{
	struct event_base *base;
	struct dns *dns;
	struct pool p;
	struct job *jobs;
	size_t n;
	int i, at, rc = EXIT_OK;

	for (i = 0; i < nfile && nfile > 1; i++)
		if (files[i] == NULL || strcmp(files[i], "-") == 0)
			return cli_usage_error("dkim", "verify reads stdin only "
			    "as its one message");
	text_color_init(g->color);
	base = event_base_new();
	if (base == NULL)
		return EXIT_INTERNAL;
	dns = cli_dns_new(base, g, 5000, "dkim verify");
	if (dns == NULL) {
		event_base_free(base);
		return EXIT_INTERNAL;
	}
	/* The cause table loads on first use: here, before any thread. */
	(void)cause_all(&n);
	memset(&p, 0, sizeof(p));
	p.o = o;
	p.g = g;
	p.single = nfile == 1;
	p.keys = dkim_keycache_new(256);
	pool_init(&p, nfile > 1 ? jobs_default(o) : 1);
	jobs = xcalloc(WINDOW, sizeof(*jobs));
	for (at = 0; at < nfile; at += (int)n) {
		n = nfile - at < WINDOW ? (size_t)(nfile - at) : WINDOW;
		for (i = 0; i < (int)n; i++) {
			memset(&jobs[i], 0, sizeof(jobs[i]));
			jobs[i].path = files[at + i];
			buf_init(&jobs[i].out, BUF_UNBOUNDED);
			/* A blank line between two text blocks. */
			if (at + i > 0 && !g->json)
				buf_puts(&jobs[i].out, "\n");
		}
		pool_run(&p, verify_read, jobs, n);
		if (verify_lookup(&p, jobs, n, base, dns) < 0) {
			fprintf(stderr, "mxdoc dkim verify: the key lookups did "
			    "not finish\n");
			rc = EXIT_INTERNAL;
			for (i = 0; i < (int)n; i++) {
				jobs[i].v = dkim_verify_free(jobs[i].v);
				buf_release(&jobs[i].out);
				free(jobs[i].errline);
			}
			keyans_release(&p);
			break;
		}
		pool_run(&p, verify_check, jobs, n);
		keyans_release(&p);
		for (i = 0; i < (int)n; i++) {
			job_flush(&jobs[i]);
			rc = worse(rc, jobs[i].rc);
		}
	}
	if (fflush(stdout) != 0)
		rc = EXIT_INTERNAL;
	pool_release(&p);
	free(jobs);
	dkim_keycache_free(p.keys);
	dns_free(dns);
	event_base_free(base);
	return rc;
}

/* ---- sign --out-dir DIR FILE... ------------------------------------------ */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Signs msg[0..len) into the signature field sig, in the message's own
 * line ends. Returns 0, or -1 with *err. */
static int
sign_mem(const struct signer *s, const char *msg, size_t len,
    struct buf *sig, const char **err)
{
	struct dkim_hdrs hdrs;
	struct dkim_body *body;
	unsigned char bh[64];
	size_t hdr_len = len, bhlen, i, k;
	long off;
	int rc;

	off = dkim_body_offset(msg, len, &hdr_len);
	if (off < 0) {
		off = (long)len;
		hdr_len = len;
	}
	if (hdr_len > HDR_MAX) {
		*err = "the header section is larger than 1 MiB";
		return -1;
	}
	if (dkim_hdrs_parse(msg, hdr_len, &hdrs, err) < 0) {
		dkim_hdrs_release(&hdrs);
		return -1;
	}
	body = dkim_body_new(s->sp.bcanon, "sha256", -1);
	dkim_body_update(body, msg + off, len - (size_t)off);
	bhlen = dkim_body_final(body, bh, NULL);
	dkim_body_free(body);
	rc = dkim_sign(&s->sp, &hdrs, bh, bhlen, sig, err);
	dkim_hdrs_release(&hdrs);
	/* The new field keeps the message's own line ends. */
	if (rc == 0 && hdr_len > 0 && memmem(msg, hdr_len, "\r\n", 2) == NULL) {
		for (i = k = 0; i < sig->len; i++)
			if (sig->data[i] != '\r')
				sig->data[k++] = sig->data[i];
		sig->len = k;
		sig->data[k] = '\0';
	}
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One message of sign --out-dir: read whole (up to SIGN_MEM_MAX; a larger
 * one streams through sign_file), signed, written to DIR/NAME. */
static void
sign_one(struct worker *w, struct job *j)
{
	struct pool *p = w->pool;
	struct stat st, ost;
	struct buf sig;
	const char *err = NULL;
	char *opath = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, ofd;

	buf_init(&sig, 1 << 20);
	j->rc = EXIT_USAGE;
	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
		err = strerror(errno);
		goto bad;
	}
	opath = xasprintf("%s/%s", p->o->out_dir, base_name(j->path));
	/* Never the message itself. */
	if (stat(opath, &ost) == 0 && ost.st_dev == st.st_dev &&
	    ost.st_ino == st.st_ino) {
		j->errline = xasprintf("mxdoc dkim sign: %s: the output would "
		    "replace the message\n", opath);
		goto out;
	}
	if ((size_t)st.st_size > SIGN_MEM_MAX) {
		FILE *in = fdopen(fd, "rb"), *o = NULL;

		if (in == NULL) {
			err = strerror(errno);
			goto bad;
		}
		fd = -1;
		ofd = open(opath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
		if (ofd >= 0 && (o = fdopen(ofd, "wb")) == NULL)
			close(ofd);
		if (o == NULL) {
			j->errline = xasprintf("mxdoc dkim sign: %s: %s\n",
			    opath, strerror(errno));
			j->rc = EXIT_INTERNAL;
			fclose(in);
			goto out;
		}
		j->rc = sign_file(p->signer, j->path, in, o);
		if (fclose(o) != 0)
			j->rc = worse(j->rc, EXIT_INTERNAL);
		if (j->rc != EXIT_OK)
			unlink(opath);
		fclose(in);
		goto out;
	}
	for (;;) {
		r = rd_more(w, fd, len, SIGN_MEM_MAX + CHUNK);
		if (r < 0) {
			err = len >= SIGN_MEM_MAX ? "the message grew past "
			    "64 MiB while read" : strerror(errno);
			goto bad;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (sign_mem(p->signer, w->rd, len, &sig, &err) < 0)
		goto bad;
	ofd = open(opath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ofd < 0) {
		j->errline = xasprintf("mxdoc dkim sign: %s: %s\n", opath,
		    strerror(errno));
		j->rc = EXIT_INTERNAL;
		goto out;
	}
	if (write_all(ofd, sig.data, sig.len) < 0 ||
	    write_all(ofd, w->rd, len) < 0) {
		j->errline = xasprintf("mxdoc dkim sign: %s: %s\n", opath,
		    strerror(errno));
		close(ofd);
		unlink(opath);
		j->rc = EXIT_INTERNAL;
		goto out;
	}
	if (close(ofd) < 0) {
		j->errline = xasprintf("mxdoc dkim sign: %s: %s\n", opath,
		    strerror(errno));
		unlink(opath);
		j->rc = EXIT_INTERNAL;
		goto out;
	}
	j->rc = EXIT_OK;
	goto out;
bad:
	j->errline = xasprintf("mxdoc dkim sign: %s: %s\n", j->path, err);
out:
	if (fd >= 0)
		close(fd);
	free(opath);
	buf_release(&sig);
}

/* `dkim sign --out-dir DIR FILE...`: each message signed into DIR under
 * its own file name, with the key read once, --jobs at a time. */
static int
run_sign_many(const struct opts *o, char **files, int nfile,
    const struct cli_globals *g)
{
	struct signer s;
	struct stat st;
	struct pool p;
	struct job *jobs;
	const char *base;
	size_t n;
	int i, j, at, rc;

	for (i = 0; i < nfile; i++) {
		if (strcmp(files[i], "-") == 0)
			return cli_usage_error("dkim", "--out-dir signs files, "
			    "not stdin");
		base = base_name(files[i]);
		if (*base == '\0' || strcmp(base, ".") == 0 ||
		    strcmp(base, "..") == 0)
			return cli_usage_error("dkim", "'%s' is no file name",
			    files[i]);
	}
	/* Two inputs of one name would write one output: sorted names
	 * make this O(n log n) for large batches. */
	{
		const char **names = xcalloc((size_t)nfile, sizeof(*names));

		for (i = 0; i < nfile; i++)
			names[i] = base_name(files[i]);
		qsort(names, (size_t)nfile, sizeof(*names), cmp_str);
		for (i = 1; i < nfile; i++)
			if (strcmp(names[i - 1], names[i]) == 0)
				break;
		if (i < nfile) {
			const char *dup = names[i];

			free(names);
			for (i = 0; i < nfile; i++)
				if (strcmp(base_name(files[i]), dup) == 0)
					break;
			for (j = i + 1; j < nfile; j++)
				if (strcmp(base_name(files[j]), dup) == 0)
					break;
			return cli_usage_error("dkim", "%s and %s would both "
			    "be written to %s/%s", files[i], files[j],
			    o->out_dir, dup);
		}
		free(names);
	}
	if (stat(o->out_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cli_usage_error("dkim", "--out-dir %s: not a directory",
		    o->out_dir);
	rc = signer_init(o, &s);
	if (rc != EXIT_OK) {
		signer_release(&s);
		return rc;
	}
	memset(&p, 0, sizeof(p));
	p.o = o;
	p.g = g;
	p.signer = &s;
	pool_init(&p, jobs_default(o));
	jobs = xcalloc(WINDOW, sizeof(*jobs));
	for (at = 0; at < nfile; at += (int)n) {
		n = nfile - at < WINDOW ? (size_t)(nfile - at) : WINDOW;
		for (i = 0; i < (int)n; i++) {
			memset(&jobs[i], 0, sizeof(jobs[i]));
			jobs[i].path = files[at + i];
			buf_init(&jobs[i].out, 0);
		}
		pool_run(&p, sign_one, jobs, n);
		for (i = 0; i < (int)n; i++) {
			job_flush(&jobs[i]);
			rc = worse(rc, jobs[i].rc);
		}
	}
	pool_release(&p);
	free(jobs);
	signer_release(&s);
	return rc;
}

static int
run(int argc, char **argv, struct cli_globals *g)
{
	static const struct option opts[] = {
		CLI_GLOBAL_OPTIONS,
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "selector", required_argument, NULL, OPT_SELECTOR },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "bits", required_argument, NULL, OPT_BITS },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "headers", required_argument, NULL, OPT_HEADERS },
		{ "canon", required_argument, NULL, OPT_CANON },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	const char *sub;
	char *file = NULL;
	long lv;
	int c, nfile;

	memset(&o, 0, sizeof(o));
	o.now = -1;
	int stop = EXIT_OK;

	while ((c = cli_next_option(argc, argv, opts, g, &cmd_dkim_entry,
	    &stop)) != -1) {
		if (c == CLI_OPT_STOP)
			return stop;
		switch (c) {
		case OPT_DOMAIN:
			o.domain = optarg;
			break;
		case OPT_SELECTOR:
			o.selector = optarg;
			break;
		case OPT_TYPE:
			o.type = optarg;
			break;
		case OPT_BITS:
			if (cli_parse_int(optarg, 1024, 4096, &o.bits) < 0)
				return cli_usage_error("dkim", "--bits is from "
				    "1024 to 4096 (RFC 8301)");
			break;
		case OPT_OUT:
			o.out = optarg;
			break;
		case OPT_KEY:
			o.key = optarg;
			break;
		case OPT_HEADERS:
			o.headers = optarg;
			break;
		case OPT_CANON:
			o.canon = optarg;
			break;
		case OPT_NOW:
			if (cli_parse_int(optarg, 0, 253402300799L, &lv) < 0)
				return cli_usage_error("dkim", "--now takes Unix "
				    "seconds");
			o.now = lv;
			break;
		case OPT_OUT_DIR:
			o.out_dir = optarg;
			break;
		case OPT_JOBS:
			if (cli_parse_int(optarg, 1, JOBS_MAX, &o.jobs) < 0)
				return cli_usage_error("dkim", "--jobs is from 1 "
				    "to %d", JOBS_MAX);
			break;
		}
	}
	if (optind >= argc)
		return cli_usage_error("dkim", "keygen, sign or verify? (try "
		    "'mxdoc dkim --help')");
	sub = argv[optind++];
	nfile = argc - optind;
	if (o.out_dir != NULL && strcmp(sub, "sign") != 0)
		return cli_usage_error("dkim", "--out-dir is for sign");
	if (strcmp(sub, "verify") == 0 && nfile > 1)
		return run_verify_many(&o, argv + optind, nfile, g);
	if (optind < argc)
		file = argv[optind++];
	if (optind < argc && strcmp(sub, "sign") != 0)
		return cli_usage_error("dkim", "one message at a time");
	if (strcmp(sub, "verify") == 0)
		return run_verify_many(&o, &file, 1, g);
	if (strcmp(sub, "keygen") != 0 && strcmp(sub, "sign") != 0)
		return cli_usage_error("dkim", "unknown subcommand '%s' (keygen, "
		    "sign or verify)", sub);
	if (o.domain == NULL || !name_ok(o.domain))
		return cli_usage_error("dkim", "%s needs --domain with a domain "
		    "name", sub);
	if (o.selector == NULL || !name_ok(o.selector))
		return cli_usage_error("dkim", "%s needs --selector with a "
		    "selector (letters, digits, '-', '.')", sub);
	if (strcmp(sub, "keygen") == 0) {
		if (file != NULL)
			return cli_usage_error("dkim", "keygen takes no file "
			    "(use --out)");
		return run_keygen(&o, g);
	}
	if (g->json)
		return cli_usage_error("dkim", "sign writes the signed message; "
		    "--json is for keygen and verify");
	if (o.out_dir != NULL) {
		if (nfile == 0)
			return cli_usage_error("dkim", "--out-dir signs the "
			    "files given");
		return run_sign_many(&o, argv + argc - nfile, nfile, g);
	}
	if (nfile > 1)
		return cli_usage_error("dkim", "several messages need "
		    "--out-dir DIR");
	return run_sign(&o, file);
}

const struct cmd_entry cmd_dkim_entry = {
	.name = "dkim",
	.usage = "keygen|sign|verify [OPTIONS] [FILE...]",
	.summary = "make DKIM keys, sign a message, or verify its DKIM "
	    "signatures with the reason for each result",
	.help = help,
	.run = run,
};
