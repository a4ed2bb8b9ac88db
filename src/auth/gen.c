/*
 * gen.c - records built from choices and read back through the parsers
 * (gen.h). The builders never trust their own output: a record is only
 * called publishable when the same parser `mxdoc auth` and `mxdoc spf`
 * use accepts it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth/dmarc.h"
#include "auth/gen.h"
#include "auth/mtasts.h"
#include "auth/spf.h"
#include "auth/tlsrpt.h"
#include "core/buf.h"
#include "core/mem.h"

#define CAUSE_SPF	"auth.spf"
#define CAUSE_DMARC	"auth.dmarc"
#define CAUSE_STS	"auth.mta_sts"
#define CAUSE_TLSRPT	"auth.tls_rpt"
#define CAUSE_DANE	"auth.dane"
/* A property of the certificate itself, not of the record made from it. */
#define CAUSE_CERT	"tls.certificate"

void
gen_note(struct gen_out *o, enum severity sev, const char *cause,
    const char *fmt, ...)
{
	struct gen_note *n;
	va_list ap;

	/* The last slot says that notes were dropped, rather than silently
	 * losing the worst one. */
	if (o->nnote >= GEN_NOTES_MAX)
		return;
	n = &o->note[o->nnote++];
	n->sev = sev;
	n->cause = cause;
	if (o->nnote == GEN_NOTES_MAX) {
		snprintf(n->text, sizeof(n->text), "more problems than %d; "
		    "fix these first", GEN_NOTES_MAX - 1);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
}

enum severity
gen_worst(const struct gen_out *o)
{
	enum severity w = SEV_OK;
	int i;

	for (i = 0; i < o->nnote; i++)
		if (o->note[i].sev > w)
			w = o->note[i].sev;
	return w;
}

void
gen_out_release(struct gen_out *o)
{
	int i;

	free(o->name);
	free(o->record);
	free(o->policy);
	free(o->policy_url);
	for (i = 0; i < o->nstring; i++)
		free(o->string[i]);
	memset(o, 0, sizeof(*o));
}

int
gen_split(const char *txt, char **out, int max)
{
	size_t len = strlen(txt), off = 0, take, k;
	int n = 0;

	if (len == 0) {
		if (max < 1)
			return -1;
		out[0] = xstrdup("");
		return 1;
	}
	while (off < len) {
		if (n >= max) {
			while (n > 0)
				free(out[--n]);
			return -1;
		}
		take = len - off;
		if (take > GEN_STRING_MAX) {
			take = GEN_STRING_MAX;
			/* Break after a space near the end, so each piece
			 * stays readable; joining adds nothing back. */
			for (k = GEN_STRING_MAX; k > GEN_STRING_MAX - 64; k--)
				if (txt[off + k - 1] == ' ') {
					take = k;
					break;
				}
		}
		out[n++] = xstrndup(txt + off, take);
		off += take;
	}
	return n;
}

char *
gen_zone_line(const struct gen_out *o)
{
	struct buf b;
	const char *s;
	int i;

	buf_init(&b, BUF_UNBOUNDED);
	buf_printf(&b, "%s IN %s", o->name, o->type);
	if (strcmp(o->type, "TXT") != 0) {
		buf_printf(&b, " %s", o->record);
		return buf_steal(&b);
	}
	for (i = 0; i < o->nstring; i++) {
		buf_puts(&b, " \"");
		for (s = o->string[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				buf_putc(&b, '\\');
			buf_putc(&b, *s);
		}
		buf_putc(&b, '"');
	}
	return buf_steal(&b);
}

/* The cause of a note about the record being made, by its kind. */
static const char *
kind_cause(const struct gen_out *o)
{
	if (o->kind != NULL && strcmp(o->kind, "dmarc") == 0)
		return CAUSE_DMARC;
	if (o->kind != NULL && strcmp(o->kind, "mta-sts") == 0)
		return CAUSE_STS;
	if (o->kind != NULL && strcmp(o->kind, "tls-rpt") == 0)
		return CAUSE_TLSRPT;
	return CAUSE_SPF;
}

/* Sets the record and its pieces; an error note when it cannot be split
 * (more than GEN_STRINGS_MAX pieces is far past any limit anyway). */
static void
set_txt(struct gen_out *o, char *rec)
{
	int n;

	o->type = "TXT";
	o->record = rec;
	n = gen_split(rec, o->string, GEN_STRINGS_MAX);
	if (n < 0) {
		o->nstring = 0;
		gen_note(o, SEV_ERROR, kind_cause(o), "the record needs more "
		    "than %d strings of 255 bytes", GEN_STRINGS_MAX);
	} else
		o->nstring = n;
}

/* The owner name: label, label.DOMAIN, or the zone's origin. */
static char *
owner(const char *label, const char *domain)
{
	size_t n;

	if (domain == NULL || domain[0] == '\0')
		return xstrdup(label != NULL ? label : "@");
	n = strlen(domain);
	if (label == NULL)
		return xasprintf("%s%s", domain, domain[n - 1] == '.' ? "" :
		    ".");
	return xasprintf("%s.%s%s", label, domain, domain[n - 1] == '.' ?
	    "" : ".");
}

/* The DNS answer's rdata: each string with its length byte. */
static size_t
rdata_len(const struct gen_out *o)
{
	size_t n = 0;
	int i;

	for (i = 0; i < o->nstring; i++)
		n += 1 + strlen(o->string[i]);
	return n;
}

/* ---- SPF ----------------------------------------------------------- */

int
gen_spf(const struct gen_spf_params *p, struct gen_out *o)
{
	struct spf_record *r = NULL;
	char reason[SPF_REASON_MAX];
	struct buf b;
	size_t sz;
	int i;

	memset(o, 0, sizeof(*o));
	o->kind = "spf";
	o->name = owner(NULL, p->domain);
	buf_init(&b, BUF_UNBOUNDED);
	buf_puts(&b, "v=spf1");
	/* Addresses first: a receiver matching them needs no lookup at
	 * all, and the includes after them are only walked for the rest. */
	for (i = 0; i < p->nip4; i++)
		buf_printf(&b, " ip4:%s", p->ip4[i]);
	for (i = 0; i < p->nip6; i++)
		buf_printf(&b, " ip6:%s", p->ip6[i]);
	if (p->a)
		buf_puts(&b, " a");
	if (p->mx)
		buf_puts(&b, " mx");
	for (i = 0; i < p->ninclude && i < GEN_ITEMS_MAX; i++) {
		buf_printf(&b, " include:%s", p->include[i]);
		o->include[o->ninclude++] = p->include[i];
	}
	if (p->all != 0)
		buf_printf(&b, " %call", p->all);
	set_txt(o, buf_steal(&b));

	if (spf_record_parse(o->record, strlen(o->record), &r, reason) < 0)
		gen_note(o, SEV_ERROR, CAUSE_SPF, "receivers would return "
		    "permerror: %s", reason);
	else
		o->dns_terms = r->dns_terms;
	spf_record_free(r);
	sz = rdata_len(o);
	if (sz > GEN_SPF_SIZE_MAX)
		gen_note(o, SEV_WARNING, CAUSE_SPF, "the TXT answer holds %zu "
		    "bytes, over %d: with the question and other TXT records "
		    "it may pass 512 bytes and need TCP (RFC 7208 3.4); move "
		    "addresses into an include", sz, GEN_SPF_SIZE_MAX);
	if (p->all == '+')
		gen_note(o, SEV_ERROR, CAUSE_SPF, "+all authorizes every host "
		    "on the Internet to send as this domain; end with -all or "
		    "~all");
	else if (p->all == '?')
		gen_note(o, SEV_WARNING, CAUSE_SPF, "?all makes no assertion "
		    "about unlisted hosts; -all or ~all protects the domain");
	else if (p->all == 0)
		gen_note(o, SEV_WARNING, CAUSE_SPF, "no all mechanism: unlisted "
		    "hosts get neutral (4.7); end with -all or ~all");
	if (p->nip4 + p->nip6 + p->ninclude == 0 && !p->a && !p->mx)
		gen_note(o, SEV_INFO, CAUSE_SPF, "no host is authorized: "
		    "right only for a domain that sends no mail");
	if (o->dns_terms > 10)
		gen_note(o, SEV_ERROR, CAUSE_SPF, "%d DNS-querying terms in "
		    "the record itself, over the limit of 10 (RFC 7208 "
		    "4.6.4)", o->dns_terms);
	return 0;
}

/* ---- DMARC --------------------------------------------------------- */

static void
uri_list(struct buf *b, const char *tag, const char *const *u, int n)
{
	int i;

	if (n == 0)
		return;
	buf_printf(b, "; %s=", tag);
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? "," : "", u[i]);
}

int
gen_dmarc(const struct gen_dmarc_params *p, struct gen_out *o)
{
	static struct dmarc_record r;
	struct buf b;
	int i;

	memset(o, 0, sizeof(*o));
	o->kind = "dmarc";
	o->name = owner("_dmarc", p->domain);
	buf_init(&b, BUF_UNBOUNDED);
	buf_printf(&b, "v=DMARC1; p=%s", p->policy);
	if (p->sp != NULL)
		buf_printf(&b, "; sp=%s", p->sp);
	if (p->pct >= 0)
		buf_printf(&b, "; pct=%d", p->pct);
	uri_list(&b, "rua", p->rua, p->nrua);
	uri_list(&b, "ruf", p->ruf, p->nruf);
	if (p->adkim != 0)
		buf_printf(&b, "; adkim=%c", p->adkim);
	if (p->aspf != 0)
		buf_printf(&b, "; aspf=%c", p->aspf);
	if (p->fo != NULL)
		buf_printf(&b, "; fo=%s", p->fo);
	set_txt(o, buf_steal(&b));

	memset(&r, 0, sizeof(r));
	if (dmarc_parse(o->record, strlen(o->record), &r) < 0 && r.nnote == 0)
		gen_note(o, SEV_ERROR, CAUSE_DMARC, "receivers would ignore the "
		    "record");
	for (i = 0; i < r.nnote; i++)
		if (r.note[i].sev != SEV_OK)
			gen_note(o, r.note[i].sev, CAUSE_DMARC, "%s%s%s",
			    r.note[i].tag[0] ? r.note[i].tag : "",
			    r.note[i].tag[0] ? ": " : "", r.note[i].text);
	if (r.valid && r.p == DMARC_P_NONE)
		gen_note(o, SEV_WARNING, CAUSE_DMARC, "p=none only monitors: "
		    "receivers still deliver mail that fails DMARC; move to "
		    "quarantine, then reject, once the reports are clean");
	if (r.valid && r.p != DMARC_P_NONE && r.pct < 100)
		gen_note(o, SEV_INFO, CAUSE_DMARC, "pct=%d: the policy applies "
		    "to %d%% of failing mail, the rest is treated one step "
		    "softer", r.pct, r.pct);
	if (p->nrua == 0)
		gen_note(o, SEV_INFO, CAUSE_DMARC, "no rua=: nobody receives the "
		    "aggregate reports that show who sends as the domain");
	return 0;
}

/* ---- MTA-STS ------------------------------------------------------- */

void
gen_sts_id(long long t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y%m%d%H%M%SZ", &tm);
}

int
gen_sts(const struct gen_sts_params *p, struct gen_out *o)
{
	static struct mtasts_txt tx;
	static struct mtasts_policy pol;
	long max_age = p->max_age >= 0 ? p->max_age : GEN_STS_MAX_AGE;
	struct buf b;
	int i;

	memset(o, 0, sizeof(*o));
	o->kind = "mta-sts";
	o->name = owner("_mta-sts", p->domain);
	set_txt(o, xasprintf("v=STSv1; id=%s", p->id));

	buf_init(&b, BUF_UNBOUNDED);
	/* RFC 8461 3.2: CRLF or LF both end a line; LF is what a text
	 * editor and a web server keep as written. */
	buf_printf(&b, "version: STSv1\nmode: %s\n", p->mode);
	for (i = 0; i < p->nmx; i++)
		buf_printf(&b, "mx: %s\n", p->mx[i]);
	buf_printf(&b, "max_age: %ld\n", max_age);
	o->policy = buf_steal(&b);
	o->policy_url = xasprintf("https://mta-sts.%s/.well-known/mta-sts.txt",
	    p->domain != NULL ? p->domain : "DOMAIN");
	if (o->policy_url[strlen(o->policy_url) - 1] == '.')
		o->policy_url[strlen(o->policy_url) - 1] = '\0';

	memset(&tx, 0, sizeof(tx));
	mtasts_txt_parse(o->record, strlen(o->record), &tx);
	for (i = 0; i < tx.nnote; i++)
		if (tx.note[i].sev != SEV_OK)
			gen_note(o, tx.note[i].sev, CAUSE_STS, "TXT record: %s",
			    tx.note[i].text);
	memset(&pol, 0, sizeof(pol));
	mtasts_policy_parse(o->policy, strlen(o->policy), &pol);
	for (i = 0; i < pol.nnote; i++)
		if (pol.note[i].sev != SEV_OK)
			gen_note(o, pol.note[i].sev, CAUSE_STS, "policy: %s",
			    pol.note[i].text);
	if (pol.valid && pol.mode == MTASTS_MODE_TESTING)
		gen_note(o, SEV_INFO, CAUSE_STS, "mode testing: senders report "
		    "failures (TLS-RPT) but still deliver; switch to enforce "
		    "when the reports are clean");
	if (pol.valid && pol.mode == MTASTS_MODE_NONE)
		gen_note(o, SEV_INFO, CAUSE_STS, "mode none withdraws the "
		    "policy: publish it until every cached copy has expired");
	if (pol.valid && pol.mode == MTASTS_MODE_ENFORCE && max_age < 86400)
		gen_note(o, SEV_WARNING, CAUSE_STS, "max_age %ld: under a day, "
		    "senders refetch often and a downgrade between fetches is "
		    "unprotected (RFC 8461 3.2 suggests weeks)", max_age);
	gen_note(o, SEV_INFO, CAUSE_STS, "serve the policy file at %s with "
	    "a certificate valid for mta-sts.%s, and change id= whenever it "
	    "changes", o->policy_url, p->domain != NULL ? p->domain : "DOMAIN");
	return 0;
}

/* ---- TLS-RPT ------------------------------------------------------- */

int
gen_tlsrpt(const struct gen_tlsrpt_params *p, struct gen_out *o)
{
	static struct tlsrpt_record r;
	struct buf b;
	int i;

	memset(o, 0, sizeof(*o));
	o->kind = "tls-rpt";
	o->name = owner("_smtp._tls", p->domain);
	buf_init(&b, BUF_UNBOUNDED);
	buf_puts(&b, "v=TLSRPTv1; rua=");
	for (i = 0; i < p->nrua; i++)
		buf_printf(&b, "%s%s", i ? "," : "", p->rua[i]);
	set_txt(o, buf_steal(&b));
	memset(&r, 0, sizeof(r));
	if (tlsrpt_parse(o->record, strlen(o->record), &r) < 0 && r.nnote == 0)
		gen_note(o, SEV_ERROR, CAUSE_TLSRPT, "reporters would ignore the "
		    "record");
	for (i = 0; i < r.nnote; i++)
		if (r.note[i].sev != SEV_OK)
			gen_note(o, r.note[i].sev, CAUSE_TLSRPT, "%s",
			    r.note[i].text);
	return 0;
}

/* ---- TLSA ---------------------------------------------------------- */

/* The certificate's first DNS name: a SAN, else the subject's CN. */
static bool
cert_name(X509 *x, char *out, size_t max)
{
	GENERAL_NAMES *gens;
	int i, n;
	bool found = false;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		if (len <= 0 || (size_t)len >= max || d[0] == '*' ||
		    memchr(d, '\0', (size_t)len) != NULL)
			continue;
		memcpy(out, d, (size_t)len);
		out[len] = '\0';
		found = true;
	}
	GENERAL_NAMES_free(gens);
	if (!found && X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, out, (int)max) > 0 && strchr(out, '.') != NULL &&
	    out[0] != '*')
		found = true;
	return found;
}

int
gen_tlsa(const struct gen_tlsa_params *p, struct gen_out *o)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char host[256], label[32], hex[2 * EVP_MAX_MD_SIZE + 1];
	time_t now = (time_t)p->now;
	EVP_PKEY *pk;
	X509 *x = NULL;
	BIO *bio;
	int len, rc = -1;
	unsigned int i;

	memset(o, 0, sizeof(*o));
	o->kind = "tlsa";
	o->type = "TLSA";
	if (p->pem != NULL) {
		bio = BIO_new_mem_buf(p->pem, (int)p->pem_len);
		if (bio != NULL)
			x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else if (p->der != NULL) {
		const unsigned char *d = p->der;

		x = d2i_X509(NULL, &d, (long)p->der_len);
	}
	if (x == NULL && p->pem == NULL) {
		gen_note(o, SEV_ERROR, CAUSE_DANE, "the server's certificate "
		    "cannot be read");
		goto out;
	}
	if (x == NULL) {
		gen_note(o, SEV_ERROR, CAUSE_DANE, "no PEM certificate (-----BEGIN "
		    "CERTIFICATE-----) in the file");
		goto out;
	}
	/* Selector 1: the DER of the SubjectPublicKeyInfo, which survives a
	 * renewal that keeps the key (RFC 7671 5.1 recommends 3 1 1). */
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0 || EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(),
	    NULL) != 1) {
		gen_note(o, SEV_ERROR, CAUSE_DANE, "cannot read the certificate's "
		    "public key");
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	o->record = xasprintf("3 1 1 %s", hex);
	if (p->host != NULL)
		snprintf(host, sizeof(host), "%s", p->host);
	else if (!cert_name(x, host, sizeof(host))) {
		snprintf(host, sizeof(host), "HOST");
		gen_note(o, SEV_WARNING, CAUSE_DANE, "the certificate names no "
		    "host: give --host with the MX host name");
	}
	snprintf(label, sizeof(label), "_%d._tcp", p->port > 0 ? p->port : 25);
	o->name = owner(label, host);
	if (X509_cmp_time(X509_get0_notAfter(x), &now) < 0)
		gen_note(o, SEV_WARNING, CAUSE_CERT, "the certificate has expired: "
		    "DANE-EE ignores dates (RFC 7672 3.1.1), but senders without "
		    "DANE will not trust it");
	pk = X509_get0_pubkey(x);
	if (pk != NULL && EVP_PKEY_base_id(pk) == EVP_PKEY_RSA &&
	    EVP_PKEY_bits(pk) < 2048)
		gen_note(o, SEV_WARNING, CAUSE_CERT, "RSA key of %d bits: use "
		    "2048 or more", EVP_PKEY_bits(pk));
	gen_note(o, SEV_INFO, CAUSE_DANE, "publish it in a DNSSEC-signed zone "
	    "(without DNSSEC senders ignore TLSA), and publish the next key's "
	    "record before a key change");
	rc = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	if (o->name == NULL)
		o->name = xstrdup("_25._tcp.HOST");
	if (o->record == NULL)
		o->record = xstrdup("");
	return rc;
}
