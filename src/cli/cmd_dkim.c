/*
 * cmd_dkim.c - `mxdoc dkim keygen|sign|verify`: make a DKIM key pair and
 * the TXT record to publish, sign a message, or verify every
 * DKIM-Signature of a message with the reason for each result (text, or
 * the JSON document of doc/dkim.md). Verification exits 0 when a signature
 * passes, 1 otherwise, 2 for bad usage or input, 3 without DNS.
 */
#include <errno.h>
#include <fcntl.h>
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
};

/* The header section mxdoc holds in memory; the body is streamed. */
#define HDR_MAX		((size_t)1 << 20)
#define CHUNK		65536

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
"                         seconds (default: now)\n";

extern const struct cmd_entry cmd_dkim_entry;

/* verify over several files: the file of the JSON line being written
 * (the document is then compact, one per line). */
static const char *json_file;

struct opts {
	const char	*domain, *selector, *type, *out, *key, *headers;
	const char	*canon, *out_dir;
	long		 bits;
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

struct vrun {
	struct event_base	*base;
	bool			 done;
};

static void
on_verified(void *arg, struct dkim_verify *v)
{
	struct vrun *r = arg;

	(void)v;
	r->done = true;
	event_base_loopbreak(r->base);
}

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

static void
render_json(const struct dkim_verify *v, const struct finding *f)
{
	struct buf out;
	struct jw *w;
	int i;

	buf_init(&out, BUF_UNBOUNDED);
	w = jw_new(&out);
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
		buf_puts(&out, "\n");
	fwrite(out.data, 1, out.len, stdout);
	jw_free(w);
	buf_release(&out);
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
render_text(const struct dkim_verify *v, const struct finding *f,
    const struct cli_globals *g)
{
	struct table *t;
	size_t i;
	int k;

	printf("%s%s%-7s%s  ", tc(TC_BOLD), tc(cli_sev_color(f->severity)),
	    cli_sev_label(f->severity), tc(TC_RESET));
	text_wrap(stdout, f->summary, 9, 9, 100);
	printf("%*s%scause: %s (%s)%s\n", 9, "", tc(TC_DIM), f->cause->id,
	    f->cause->title, tc(TC_RESET));
	if (g->quiet)
		return;
	if (dkim_verify_count(v) > 0) {
		const char *hdr[5] = { "#", "DOMAIN", "SELECTOR", "ALGORITHM",
		    "RESULT" };

		printf("\n%sSignatures%s\n", tc(TC_BOLD), tc(TC_RESET));
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
		table_print(t, stdout, 2);
		table_free(t);
		printf("\n%sReasons%s\n", tc(TC_BOLD), tc(TC_RESET));
		for (k = 0; k < dkim_verify_count(v); k++) {
			const struct dkim_sigresult *r = dkim_verify_result(v, k);

			printf("  %d. ", k + 1);
			if (r->result == DKIM_PASS)
				text_wrap(stdout, r->key_bits > 0 ? "body hash "
				    "and signature verify" : "verifies", 5, 5,
				    100);
			else
				text_wrap(stdout, r->reason, 5, 5, 100);
			if (r->warning != NULL) {
				printf("     warning: ");
				text_wrap(stdout, r->warning, 14, 14, 100);
			}
			if (g->verbose && r->key_name != NULL)
				printf("     key %s (%d bits), h=%s\n",
				    r->key_name, r->key_bits, r->headers);
		}
	}
	if (f->remedy_first != NULL) {
		printf("\n%sWhat to do%s\n", tc(TC_BOLD), tc(TC_RESET));
		k = 1;
		printf("  %d. ", k++);
		text_wrap(stdout, f->remedy_first, 5, 5, 100);
		for (i = 0; i < f->cause->nremedy; i++) {
			printf("  %d. ", k++);
			text_wrap(stdout, f->cause->remedy[i], 5, 5, 100);
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

/* --json over several files: one compact line for a file that could not
 * be read as a message. */
static void
json_file_error(const char *file, const char *err)
{
	struct buf out;
	struct jw *w;

	buf_init(&out, BUF_UNBOUNDED);
	w = jw_new(&out);
	jw_compact(w);
	jw_obj_begin(w, NULL);
	jw_str(w, "mxdoc_version", MXDOC_VERSION);
	jw_str(w, "command", "dkim verify");
	jw_str(w, "file", file);
	jw_str(w, "error", err);
	jw_obj_end(w);
	buf_puts(&out, "\n");
	fwrite(out.data, 1, out.len, stdout);
	jw_free(w);
	buf_release(&out);
}

/* Verifies one message on the shared loop and resolver and prints its
 * block (or JSON line). Returns its exit status. */
static int
verify_one(const struct opts *o, const char *path, struct event_base *base,
    struct dns *dns, struct cli_globals *g, bool single)
{
	struct msg_in m;
	struct dkim_verify *v = NULL;
	struct vrun r = { base, false };
	struct finding f;
	const char *err = NULL, *what = "";
	char chunk[CHUNK];
	size_t n;
	int i, rc = EXIT_USAGE;

	memset(&m, 0, sizeof(m));
	if (single) {
		/* The one message of a plain verify; stdin allowed. */
		m.f = open_input(path, "verify");
		if (m.f == NULL)
			return EXIT_USAGE;
	} else if ((m.f = fopen(path, "rb")) == NULL) {
		err = strerror(errno);
		goto bad;
	}
	if (read_header(&m, &err) < 0)
		goto bad;
	v = dkim_verify_new(m.head.data, m.hdr_len, o->now >= 0 ? o->now :
	    mtime_wall_us() / 1000000, &err);
	if (v == NULL) {
		what = "not a message: ";
		goto bad;
	}
	dkim_verify_body(v, m.head.data + m.body_at, m.head.len - m.body_at);
	while (!m.eof && (n = fread(chunk, 1, sizeof(chunk), m.f)) > 0)
		dkim_verify_body(v, chunk, n);
	rc = EXIT_INTERNAL;
	if (dkim_verify_keys(v, base, dns, on_verified, &r) < 0)
		goto out;
	if (!r.done)
		event_base_dispatch(base);
	if (!r.done) {
		fprintf(stderr, "mxdoc dkim verify: %s: the key lookups did "
		    "not finish\n", path);
		goto out;
	}
	verdict(v, &f);
	json_file = single ? NULL : path;
	if (g->json)
		render_json(v, &f);
	else {
		if (!single)
			printf("%s==> %s%s\n", tc(TC_BOLD), path, tc(TC_RESET));
		render_text(v, &f, g);
	}
	json_file = NULL;
	finding_release(&f);
	rc = EXIT_PROBLEM;
	for (i = 0; i < dkim_verify_count(v); i++)
		if (dkim_verify_result(v, i)->result == DKIM_PASS)
			rc = EXIT_OK;
	goto out;
bad:
	if (single) {
		/* Bad input of a plain verify: one line on stderr, exit 2. */
		fprintf(stderr, "mxdoc dkim verify: %s%s\n", what, err);
		goto out;
	}
	fprintf(stderr, "mxdoc dkim verify: %s: %s%s\n", path, what, err);
	if (g->json)
		json_file_error(path, err);
	else
		printf("%s==> %s%s\nERROR    %s\n", tc(TC_BOLD), path,
		    tc(TC_RESET), err);
out:
	dkim_verify_free(v);
	buf_release(&m.head);
	if (m.f != NULL && m.f != stdin)
		fclose(m.f);
	return rc;
}

/* `dkim verify [FILE...]`: one loop and one resolver for all, so each key
 * is asked of DNS once and then answered from the resolver's cache. One
 * message (a file or stdin) is reported without a file heading. */
static int
run_verify_many(const struct opts *o, char **files, int nfile,
    struct cli_globals *g)
{
	bool single = nfile == 1;
	struct event_base *base;
	struct dns *dns;
	int i, rc = EXIT_OK;

	for (i = 0; i < nfile && !single; i++)
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
	for (i = 0; i < nfile; i++) {
		if (i > 0 && !g->json)
			printf("\n");
		rc = worse(rc, verify_one(o, files[i], base, dns, g, single));
	}
	if (fflush(stdout) != 0)
		rc = EXIT_INTERNAL;
	dns_free(dns);
	event_base_free(base);
	return rc;
}

/* `dkim sign --out-dir DIR FILE...`: each message signed into DIR under
 * its own file name, with the key read once. */
static int
run_sign_many(const struct opts *o, char **files, int nfile)
{
	struct signer s;
	struct stat st, ost;
	const char *base;
	char *opath;
	FILE *in, *out;
	int i, j, fd, r, rc;

	for (i = 0; i < nfile; i++) {
		if (strcmp(files[i], "-") == 0)
			return cli_usage_error("dkim", "--out-dir signs files, "
			    "not stdin");
		base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 :
		    files[i];
		if (*base == '\0' || strcmp(base, ".") == 0 ||
		    strcmp(base, "..") == 0)
			return cli_usage_error("dkim", "'%s' is no file name",
			    files[i]);
		for (j = 0; j < i; j++) {
			const char *b2 = strrchr(files[j], '/') ?
			    strrchr(files[j], '/') + 1 : files[j];

			if (strcmp(base, b2) == 0)
				return cli_usage_error("dkim", "%s and %s would "
				    "both be written to %s/%s", files[j],
				    files[i], o->out_dir, base);
		}
	}
	if (stat(o->out_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cli_usage_error("dkim", "--out-dir %s: not a directory",
		    o->out_dir);
	rc = signer_init(o, &s);
	if (rc != EXIT_OK) {
		signer_release(&s);
		return rc;
	}
	for (i = 0; i < nfile; i++) {
		base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 :
		    files[i];
		in = fopen(files[i], "rb");
		if (in == NULL || fstat(fileno(in), &st) < 0) {
			fprintf(stderr, "mxdoc dkim sign: %s: %s\n", files[i],
			    strerror(errno));
			rc = worse(rc, EXIT_USAGE);
			if (in != NULL)
				fclose(in);
			continue;
		}
		opath = xasprintf("%s/%s", o->out_dir, base);
		/* Never the message itself. */
		if (stat(opath, &ost) == 0 && ost.st_dev == st.st_dev &&
		    ost.st_ino == st.st_ino) {
			fprintf(stderr, "mxdoc dkim sign: %s: the output would "
			    "replace the message\n", opath);
			rc = worse(rc, EXIT_USAGE);
			fclose(in);
			free(opath);
			continue;
		}
		fd = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		out = fd >= 0 ? fdopen(fd, "wb") : NULL;
		if (out == NULL) {
			fprintf(stderr, "mxdoc dkim sign: %s: %s\n", opath,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			rc = worse(rc, EXIT_INTERNAL);
			fclose(in);
			free(opath);
			continue;
		}
		r = sign_file(&s, files[i], in, out);
		if (fclose(out) != 0)
			r = worse(r, EXIT_INTERNAL);
		if (r != EXIT_OK)
			unlink(opath);
		rc = worse(rc, r);
		fclose(in);
		free(opath);
	}
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
		return run_sign_many(&o, argv + argc - nfile, nfile);
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
