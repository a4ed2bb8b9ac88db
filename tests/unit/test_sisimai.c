/*
 * test_sisimai.c - the classifier against 470 real bounce messages.
 *
 * The messages are sisimai's set-of-emails (BSD-2-Clause), with what
 * sisimai's own test suite expects for each bounced recipient
 * (expected.tsv). They are read from the shared test data directory
 * ($MXDOC_SHARED/testdata/smtp/sisimai), never copied into this tree; when
 * it is absent the suite says so and checks nothing.
 *
 * For each expected row the test pulls the diagnostic out of the message the
 * way a log analyser would see it: the Diagnostic-Code, Status and Action of
 * that recipient in the message/delivery-status part, or, for bounces that
 * are not RFC 3464 reports (qmail, Exim, Gmail...), the human-readable text
 * before the returned message. classify_text() names a cause, and the row
 * agrees when the cause is one of those that fit sisimai's reason (the
 * table below). sisimai reasons are finer in some places (userunknown vs
 * mailboxfull) and coarser in others (blocked covers reputation and
 * blocklists), so the table maps each reason to a set, kept as narrow as
 * the meanings allow. Feedback reports (ARF) are not delivery failures and
 * are left out of the count.
 *
 * The suite fails when agreement drops under AGREEMENT_MIN percent, so a
 * rule edit that breaks real bounces is caught; the misses are listed per
 * reason on stderr. MXDOC_SISIMAI_VERBOSE=1 prints every row's text.
 */
#include "harness.h"

#include "classify/classify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Set just under what the rules achieve (see the summary line). */
#define AGREEMENT_MIN	90.0

#define MSG_MAX		(1024 * 1024)
#define DIAG_MAX	(8 * 1024)

/* sisimai reason -> acceptable causes. "net.*" is a prefix; "@retry" is any
 * cause where retrying can help; "@any" is anything (sisimai itself could
 * not tell). */
static const struct {
	const char	*reason;
	const char	*causes[10];
} reasons[] = {
	{ "userunknown", { "smtp.recipient" } },
	{ "hasmoved", { "smtp.recipient" } },
	{ "mailboxfull", { "smtp.recipient" } },
	{ "suspend", { "smtp.recipient" } },
	{ "filtered", { "smtp.recipient" } },
	{ "blocked", { "smtp.reputation", "smtp.blocklisted" } },
	{ "badreputation", { "smtp.reputation", "smtp.blocklisted" } },
	{ "requireptr", { "smtp.reputation", "smtp.blocklisted" } },
	{ "toomanyconn", { "smtp.throttled", "smtp.server_busy" } },
	{ "speeding", { "smtp.throttled", "smtp.server_busy" } },
	{ "ratelimited", { "smtp.throttled", "smtp.server_busy" } },
	{ "securityerror", { "smtp.unauthenticated", "tls.*",
	    "smtp.auth_failed" } },
	{ "authfailure", { "smtp.unauthenticated", "tls.*",
	    "smtp.auth_failed" } },
	{ "failedstarttls", { "tls.*" } },
	{ "norelaying", { "smtp.relay_denied" } },
	{ "mesgtoobig", { "smtp.message" } },
	{ "exceedlimit", { "smtp.message" } },
	{ "contenterror", { "smtp.message" } },
	{ "spamdetected", { "smtp.message" } },
	{ "virusdetected", { "smtp.message" } },
	{ "policyviolation", { "smtp.message" } },
	{ "notcompliantrfc", { "smtp.message", "smtp.protocol" } },
	{ "syntaxerror", { "smtp.protocol" } },
	{ "hostunknown", { "dns.nxdomain", "dns.no_mail" } },
	{ "networkerror", { "net.*", "dns.*", "smtp.connection_dropped" } },
	{ "expired", { "@retry" } },
	/* The recipient's own delivery program failed (procmail, a pipe). */
	{ "mailererror", { "smtp.recipient", "local.*" } },
	/* The envelope sender was refused: its reputation, authentication,
	 * relay rights, or its domain. */
	{ "rejected", { "smtp.reputation", "smtp.blocklisted",
	    "smtp.unauthenticated", "smtp.relay_denied", "smtp.message",
	    "local.config" } },
	{ "systemerror", { "smtp.server_busy", "smtp.temporary",
	    "smtp.permanent", "smtp.connection_dropped", "smtp.protocol",
	    "local.*", "net.*", "dns.failure" } },
	{ "systemfull", { "smtp.server_busy", "local.resource" } },
	{ "notaccept", { "dns.no_mail", "net.refused", "smtp.server_busy",
	    "smtp.permanent", "smtp.temporary", "smtp.reputation",
	    "smtp.blocklisted" } },
	{ "undefined", { "@any" } },
	{ "onhold", { "@any" } },
	{ "delivered", { "ok" } },
};
#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))

struct tally {
	int	 total, agree;
	char	 misses[4096];
	size_t	 mlen;
};

static struct tally tallies[NREASONS];

static int
reason_index(const char *reason)
{
	size_t i;

	for (i = 0; i < NREASONS; i++)
		if (strcmp(reasons[i].reason, reason) == 0)
			return (int)i;
	return -1;
}

static bool
acceptable(int ri, const struct cause *c)
{
	const char *a;
	size_t i, n;

	for (i = 0; i < 10 && (a = reasons[ri].causes[i]) != NULL; i++) {
		if (strcmp(a, "@any") == 0)
			return true;
		if (strcmp(a, "@retry") == 0) {
			if (c->retry)
				return true;
			continue;
		}
		n = strlen(a);
		if (a[n - 1] == '*' && strncmp(c->id, a, n - 1) == 0)
			return true;
		if (strcmp(c->id, a) == 0)
			return true;
	}
	return false;
}

static char *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *data;
	size_t i, o;

	if (f == NULL)
		return NULL;
	data = malloc(MSG_MAX + 1);
	if (data == NULL) {
		fclose(f);
		return NULL;
	}
	*n = fread(data, 1, MSG_MAX, f);
	/* CRLF messages become LF ones: the extraction reads lines. */
	for (i = o = 0; i < *n; i++)
		if (data[i] != '\r')
			data[o++] = data[i];
	*n = o;
	data[*n] = '\0';
	fclose(f);
	return data;
}

/* Lines of a message, with CRs dropped. Returns the next line's start. */
static const char *
next_line(const char *p, const char *end, const char **ls, size_t *ln)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*ls = p;
	*ln = (size_t)((nl != NULL ? nl : end) - p);
	if (*ln > 0 && p[*ln - 1] == '\r')
		(*ln)--;
	return nl != NULL ? nl + 1 : end;
}

static bool
starts_ci(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && strncasecmp(s, prefix, k) == 0;
}

static int
b64val(int c)
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

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes a part body in place as its Content-Transfer-Encoding says;
 * returns the new length. */
static size_t
decode(char *s, size_t n, int enc)
{
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0, v, h, l;

	if (enc == 'b') {
		for (i = 0; i < n; i++) {
			if ((v = b64val((unsigned char)s[i])) < 0)
				continue;
			acc = (acc << 6) | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				s[o++] = (char)((acc >> bits) & 0xff);
			}
		}
		return o;
	}
	if (enc == 'q') {
		for (i = 0; i < n; i++) {
			if (s[i] != '=') {
				s[o++] = s[i];
				continue;
			}
			if (i + 1 < n && s[i + 1] == '\n') {
				i++;
				continue;
			}
			if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
				i += 2;
				continue;
			}
			if (i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
			    (l = hexval(s[i + 2])) >= 0) {
				s[o++] = (char)(h * 16 + l);
				i += 2;
				continue;
			}
			s[o++] = s[i];
		}
		return o;
	}
	return n;
}

struct part {
	const char	*hdr, *body;	/* into the message */
	size_t		 hlen, blen;
};

/* A MIME boundary line as bounces write them: "--" and a token, no spaces. */
static bool
boundary_line(const char *ls, size_t ln)
{
	return ln > 2 && ln < 200 && ls[0] == '-' && ls[1] == '-' &&
	    memchr(ls, ' ', ln) == NULL && memchr(ls, '\t', ln) == NULL;
}

/* "Name: value" with a token name: the first line of a part's header. */
static bool
header_line(const char *ls, size_t ln)
{
	size_t i;

	for (i = 0; i < ln && ls[i] != ':'; i++)
		if (!((ls[i] >= 'a' && ls[i] <= 'z') ||
		    (ls[i] >= 'A' && ls[i] <= 'Z') || ls[i] == '-'))
			return false;
	return i > 0 && i < ln;
}

/* Finds MIME parts by boundary-like lines followed by a header rather than
 * by a full MIME parse: bounces nest and mislabel their boundaries, and
 * what matters is the first text part and the delivery-status part. */
static int
find_parts(const char *msg, size_t n, struct part *parts, int max)
{
	const char *p = msg, *end = msg + n, *ls, *ls2, *here;
	size_t ln, ln2;
	int np = 0;

	while (p < end && np < max) {
		here = p;
		p = next_line(p, end, &ls, &ln);
		if (!boundary_line(ls, ln) || p >= end)
			continue;
		/* A part may have no header at all (sendmail's first part). */
		(void)next_line(p, end, &ls2, &ln2);
		if (ln2 != 0 && !header_line(ls2, ln2))
			continue;
		if (np > 0 && parts[np - 1].body + parts[np - 1].blen > here)
			parts[np - 1].blen = (size_t)(here - parts[np - 1].body);
		parts[np].hdr = p;
		while (p < end && ln2 != 0) {
			here = p;
			p = next_line(p, end, &ls, &ln);
			if (ln == 0)
				break;
		}
		if (ln2 == 0) {
			here = p;
			p = next_line(p, end, &ls, &ln);
		}
		parts[np].hlen = (size_t)(here - parts[np].hdr);
		parts[np].body = p;
		parts[np].blen = (size_t)(end - p);
		np++;
	}
	return np;
}

static bool
hdr_has(const struct part *pt, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= pt->hlen; i++)
		if (strncasecmp(pt->hdr + i, needle, k) == 0)
			return true;
	return false;
}

static int
part_encoding(const struct part *pt)
{
	if (hdr_has(pt, "base64"))
		return 'b';
	if (hdr_has(pt, "quoted-printable"))
		return 'q';
	return 0;
}

/* Copies and decodes a part's body; the caller frees. */
static char *
part_text(const struct part *pt, size_t *n)
{
	char *s = malloc(pt->blen + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, pt->body, pt->blen);
	*n = decode(s, pt->blen, part_encoding(pt));
	s[*n] = '\0';
	return s;
}

/* Where the returned message starts in a human-readable bounce. */
static const char *const copy_markers[] = {
	"Below this line is a copy of the message",
	"This is a copy of the message",
	"----- Original message -----",
	"Original message follows",
	"original message follows",
	"--- The header of the original message",
	"------ Original message",
	"----- Original Message -----",
	"Content-Type: message/rfc822",
	"Content-Type: text/rfc822-headers",
	"------=_",
	"--- Original message",
	"----- The following is a copy",
	"---- Original Message",
	"Received: from",
	"Return-Path:",
	"Return-path:",
};

/* The text a user would read, before the returned copy. */
static size_t
human_text(const char *s, size_t n)
{
	size_t i, cut = n;
	const char *q;

	for (i = 0; i < sizeof(copy_markers) / sizeof(copy_markers[0]); i++) {
		q = memmem(s, n, copy_markers[i], strlen(copy_markers[i]));
		if (q != NULL && (size_t)(q - s) < cut && q - s > 0)
			cut = (size_t)(q - s);
	}
	return cut < DIAG_MAX ? cut : DIAG_MAX;
}

static void
append(char *out, size_t *olen, size_t max, const char *s, size_t n)
{
	if (*olen + n >= max)
		n = max - *olen - 1;
	memcpy(out + *olen, s, n);
	*olen += n;
	out[*olen] = '\0';
}

/* The DSN fields of the idx-th recipient block (1-based; the last block
 * when there are fewer), unfolded. Returns whether a Diagnostic-Code was
 * found; the fields go to out as "Name: value" lines. */
static bool
dsn_fields(const char *s, size_t n, int idx, char *out, size_t *olen,
    size_t max)
{
	const char *p = s, *end = s + n, *ls, *bstart = NULL, *bend = NULL;
	size_t ln;
	int block = 0;
	bool in_rcpt = false, have_diag = false;
	const char *cur_start = NULL;

	/* Find the block: blocks are separated by blank lines; recipient
	 * blocks have Final-Recipient, Original-Recipient or Action. */
	while (p <= end) {
		const char *here = p;

		if (p == end)
			ln = 0, ls = p;
		else
			p = next_line(p, end, &ls, &ln);
		if (ln == 0 || here == end) {
			if (cur_start != NULL && in_rcpt) {
				block++;
				bstart = cur_start;
				bend = here;
				if (block == idx)
					break;
			}
			cur_start = NULL;
			in_rcpt = false;
			if (here == end)
				break;
			continue;
		}
		if (cur_start == NULL)
			cur_start = here;
		if (starts_ci(ls, ln, "Final-Recipient:") ||
		    starts_ci(ls, ln, "Original-Recipient:") ||
		    starts_ci(ls, ln, "Action:") || starts_ci(ls, ln, "Status:"))
			in_rcpt = true;
	}
	if (bstart == NULL)
		return false;
	/* Copy the wanted fields, unfolding continuation lines. */
	p = bstart;
	{
		bool keep = false;

		while (p < bend) {
			p = next_line(p, bend, &ls, &ln);
			if (ln > 0 && (ls[0] == ' ' || ls[0] == '\t')) {
				if (keep) {
					append(out, olen, max, " ", 1);
					append(out, olen, max, ls, ln);
				}
				continue;
			}
			keep = starts_ci(ls, ln, "Diagnostic-Code:") ||
			    starts_ci(ls, ln, "Status:") ||
			    starts_ci(ls, ln, "Action:");
			if (starts_ci(ls, ln, "Diagnostic-Code:")) {
				size_t k = strlen("Diagnostic-Code:");

				while (k < ln && (ls[k] == ' ' || ls[k] == '\t'))
					k++;
				/* "smtp;" with nothing after it says nothing. */
				if (ln - k > 6)
					have_diag = true;
			}
			if (keep) {
				if (*olen > 0)
					append(out, olen, max, "\n", 1);
				append(out, olen, max, ls, ln);
			}
		}
	}
	return have_diag;
}

/* Builds the diagnostic text of recipient idx of the message. */
static void
extract(const char *msg, size_t n, int idx, char *out, size_t max)
{
	struct part parts[32], top;
	int np, i, dsn = -1, text = -1;
	size_t olen = 0, tn, cut;
	char *t;
	bool have_diag = false;
	const char *body;

	out[0] = '\0';
	body = strstr(msg, "\n\n");
	if (body == NULL)
		return;
	top.hdr = msg;
	top.hlen = (size_t)(body - msg);
	top.body = body + 2;
	top.blen = n - (size_t)(body + 2 - msg);
	/* Parts only of a multipart bounce: a single-part bounce quotes the
	 * original message, whose own parts say nothing about delivery. */
	np = hdr_has(&top, "multipart/") ? find_parts(msg, n, parts, 32) : 0;
	for (i = 0; i < np; i++) {
		if (dsn < 0 && hdr_has(&parts[i], "message/delivery-status"))
			dsn = i;
		if (text < 0 && dsn < 0 && (parts[i].hlen == 0 ||
		    hdr_has(&parts[i], "text/plain")))
			text = i;
	}
	if (dsn >= 0 && (t = part_text(&parts[dsn], &tn)) != NULL) {
		have_diag = dsn_fields(t, tn, idx, out, &olen, max);
		free(t);
	}
	if (have_diag)
		return;
	/* Not an RFC 3464 report, or one without a diagnostic: add what the
	 * bounce says to a human. */
	if (text >= 0 && (t = part_text(&parts[text], &tn)) != NULL) {
		cut = human_text(t, tn);
		if (olen > 0)
			append(out, &olen, max, "\n", 1);
		append(out, &olen, max, t, cut);
		free(t);
		return;
	}
	/* A single-part bounce: its own header says how the body is encoded. */
	if ((t = part_text(&top, &tn)) == NULL)
		return;
	cut = human_text(t, tn);
	if (olen > 0)
		append(out, &olen, max, "\n", 1);
	append(out, &olen, max, t, cut);
	free(t);
}

static void
note_miss(struct tally *t, const char *file, int idx, const char *cause,
    const char *rule)
{
	int k;

	if (t->mlen >= sizeof(t->misses) - 100)
		return;
	k = snprintf(t->misses + t->mlen, sizeof(t->misses) - t->mlen,
	    "    %s#%d -> %s (%s)\n", file, idx, cause, rule);
	if (k > 0)
		t->mlen += (size_t)k;
}

void
run_tests(void)
{
	const char *shared = getenv("MXDOC_SHARED");
	bool verbose = getenv("MXDOC_SISIMAI_VERBOSE") != NULL;
	char dir[1024], path[1400], line[1024], lastfile[256] = "";
	char *msg = NULL, *diag;
	size_t msglen = 0, i;
	FILE *tsv;
	int rows = 0, agree = 0, skipped = 0, unreadable = 0, unknown = 0;
	struct classify_result r;
	double pct;

	if (shared == NULL) {
		printf("test_sisimai: MXDOC_SHARED not set; skipped\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/testdata/smtp/sisimai", shared);
	snprintf(path, sizeof(path), "%s/expected.tsv", dir);
	tsv = fopen(path, "r");
	if (tsv == NULL) {
		printf("test_sisimai: %s: %s; skipped\n", path, strerror(errno));
		return;
	}
	diag = malloc(DIAG_MAX + 256);
	CHECK(diag != NULL);
	if (diag == NULL) {
		fclose(tsv);
		return;
	}
	while (fgets(line, sizeof(line), tsv) != NULL) {
		char *f[7], *s = line;
		int nf = 0, idx, ri;

		line[strcspn(line, "\r\n")] = '\0';
		while (nf < 7) {
			f[nf++] = s;
			s = strchr(s, '\t');
			if (s == NULL)
				break;
			*s++ = '\0';
		}
		if (nf < 5 || strcmp(f[0], "file") == 0)
			continue;
		if (strcmp(f[4], "feedback") == 0) {
			skipped++;
			continue;
		}
		ri = reason_index(f[4]);
		if (ri < 0) {
			fprintf(stderr, "sisimai: no mapping for reason %s\n",
			    f[4]);
			unknown++;
			continue;
		}
		if (strcmp(f[0], lastfile) != 0) {
			free(msg);
			snprintf(path, sizeof(path), "%s/maildir-bsd/%s", dir,
			    f[0]);
			msg = read_file(path, &msglen);
			snprintf(lastfile, sizeof(lastfile), "%s", f[0]);
		}
		if (msg == NULL) {
			unreadable++;
			continue;
		}
		idx = (int)strtol(f[1], NULL, 10);
		extract(msg, msglen, idx > 0 ? idx : 1, diag, DIAG_MAX);
		classify_text(diag, strlen(diag), &r);
		rows++;
		tallies[ri].total++;
		if (acceptable(ri, r.cause)) {
			agree++;
			tallies[ri].agree++;
		} else
			note_miss(&tallies[ri], f[0], idx, r.cause->id, r.rule);
		if (verbose)
			fprintf(stderr, "=== %s#%d %s %s -> %s (%s)%s\n%s\n",
			    f[0], idx, f[4], f[2], r.cause->id, r.rule,
			    acceptable(ri, r.cause) ? "" : "  MISS", diag);
	}
	fclose(tsv);
	free(msg);
	free(diag);

	/* The data set is what SOURCES.md says it is. */
	CHECK(rows >= 480);
	CHECK_INT(unreadable, 0);
	CHECK_INT(unknown, 0);
	pct = rows > 0 ? 100.0 * agree / rows : 0;
	fprintf(stderr, "sisimai agreement: %d/%d (%.1f%%); %d feedback "
	    "reports not counted\n", agree, rows, pct, skipped);
	fprintf(stderr, "%-16s %6s %6s\n", "reason", "rows", "missed");
	for (i = 0; i < NREASONS; i++) {
		if (tallies[i].total == 0)
			continue;
		if (tallies[i].agree == tallies[i].total)
			continue;
		fprintf(stderr, "%-16s %6d %6d\n%s", reasons[i].reason,
		    tallies[i].total, tallies[i].total - tallies[i].agree,
		    tallies[i].misses);
	}
	CHECK(pct >= AGREEMENT_MIN);
}
