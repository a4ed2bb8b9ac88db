/*
 * ehlo.c - the EHLO reply parser.
 *
 * Total and bounded: every line is read as "KEYWORD [params]" and whatever
 * cannot be understood is skipped, since an EHLO reply is evidence to show,
 * not input to trust. The one quirk with a meaning of its own is the
 * masking done by Cisco ASA/PIX "inspect esmtp" (field guide B1): keywords
 * it does not allow are overwritten with X's, keeping their length, and
 * the last character sometimes left as a letter ("XXXXXXXA" for STARTTLS).
 */
#include "smtp/ehlo.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/sv.h"

/* Longest keyword kept in other[] (RFC 5321 sets no limit; reports need one). */
#define EHLO_OTHER_LEN	64
/* Fewest X's a keyword needs to count as masked: "XXXX" is how an ASA turns
 * an "EHLO" typed a byte at a time, and no real extension is all X's. */
#define EHLO_MASK_MIN	4

static const struct {
	uint32_t	 bit;
	const char	*name;
} caps[] = {
	{ SMTP_CAP_STARTTLS, "STARTTLS" },
	{ SMTP_CAP_SIZE, "SIZE" },
	{ SMTP_CAP_PIPELINING, "PIPELINING" },
	{ SMTP_CAP_8BITMIME, "8BITMIME" },
	{ SMTP_CAP_SMTPUTF8, "SMTPUTF8" },
	{ SMTP_CAP_AUTH, "AUTH" },
	{ SMTP_CAP_CHUNKING, "CHUNKING" },
	{ SMTP_CAP_DSN, "DSN" },
	{ SMTP_CAP_ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES" },
	{ SMTP_CAP_BINARYMIME, "BINARYMIME" },
	{ SMTP_CAP_REQUIRETLS, "REQUIRETLS" },
	{ SMTP_CAP_DELIVERBY, "DELIVERBY" },
	{ SMTP_CAP_ETRN, "ETRN" },
	{ SMTP_CAP_VRFY, "VRFY" },
}, mechs[] = {
	{ SMTP_AUTH_PLAIN, "PLAIN" },
	{ SMTP_AUTH_LOGIN, "LOGIN" },
	{ SMTP_AUTH_CRAM_MD5, "CRAM-MD5" },
	{ SMTP_AUTH_XOAUTH2, "XOAUTH2" },
	{ SMTP_AUTH_OAUTHBEARER, "OAUTHBEARER" },
	{ SMTP_AUTH_SCRAM_SHA_1, "SCRAM-SHA-1" },
	{ SMTP_AUTH_SCRAM_SHA_256, "SCRAM-SHA-256" },
	{ SMTP_AUTH_GSSAPI, "GSSAPI" },
	{ SMTP_AUTH_NTLM, "NTLM" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
smtp_cap_name(uint32_t bit)
{
	size_t i;

	for (i = 0; i < NELEM(caps); i++)
		if (caps[i].bit == bit)
			return caps[i].name;
	return NULL;
}

const char *
smtp_auth_name(uint32_t bit)
{
	size_t i;

	for (i = 0; i < NELEM(mechs); i++)
		if (mechs[i].bit == bit)
			return mechs[i].name;
	return NULL;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Splits off the next word of v (separated by blanks). */
static struct sv
next_word(struct sv *v)
{
	struct sv w;

	while (v->n > 0 && is_space(v->p[0])) {
		v->p++;
		v->n--;
	}
	w.p = v->p;
	while (v->n > 0 && !is_space(v->p[0])) {
		v->p++;
		v->n--;
	}
	w.n = (size_t)(v->p - w.p);
	return w;
}

static void
parse_auth(struct smtp_ehlo *e, struct sv params)
{
	struct sv w;
	size_t i;

	while ((w = next_word(&params)).n > 0)
		for (i = 0; i < NELEM(mechs); i++)
			if (sv_eq_ci(w, mechs[i].name))
				e->auth |= mechs[i].bit;
}

/* RFC 1870: "SIZE" alone means no limit is announced; "SIZE 0" means
 * none is enforced. A number too large for 64 bits saturates. */
static void
parse_size(struct smtp_ehlo *e, struct sv params)
{
	struct sv w = next_word(&params);
	uint64_t v = 0;
	size_t i;

	if (w.n == 0)
		return;
	for (i = 0; i < w.n; i++) {
		unsigned d = (unsigned char)w.p[i] - '0';

		if (d > 9)
			return;
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	e->size = v;
	e->size_given = true;
}

static bool
is_masked(struct sv kw)
{
	size_t i, x = 0;

	for (i = 0; i < kw.n; i++) {
		if (kw.p[i] == 'X' || kw.p[i] == 'x')
			x++;
		else if (i + 1 != kw.n)	/* the last may be a letter left over */
			return false;
	}
	return x >= EHLO_MASK_MIN;
}

static void
add_other(struct smtp_ehlo *e, struct sv kw)
{
	int i;

	if (kw.n > EHLO_OTHER_LEN)
		kw.n = EHLO_OTHER_LEN;
	for (i = 0; i < e->nother; i++)
		if (sv_eq_ci(kw, e->other[i]))
			return;
	if (e->nother < SMTP_EHLO_MAX_OTHER)
		e->other[e->nother++] = xstrndup(kw.p, kw.n);
}

static void
parse_line(struct smtp_ehlo *e, struct sv line)
{
	struct sv kw = next_word(&line);
	size_t i;

	if (kw.n == 0)
		return;
	/* "AUTH=LOGIN PLAIN": what Outlook Express-era clients needed, still
	 * sent next to the standard line by some servers. */
	if (sv_starts_ci(kw, "AUTH=")) {
		e->caps |= SMTP_CAP_AUTH;
		parse_auth(e, sv_make(kw.p + 5, kw.n - 5));
		parse_auth(e, line);
		return;
	}
	for (i = 0; i < NELEM(caps); i++) {
		if (!sv_eq_ci(kw, caps[i].name))
			continue;
		e->caps |= caps[i].bit;
		if (caps[i].bit == SMTP_CAP_SIZE)
			parse_size(e, line);
		else if (caps[i].bit == SMTP_CAP_AUTH)
			parse_auth(e, line);
		return;
	}
	if (is_masked(kw))
		e->masked++;
	else
		add_other(e, kw);
}

void
smtp_ehlo_parse(struct smtp_ehlo *e, const char *text, size_t n)
{
	struct sv v = sv_make(text != NULL ? text : "", n), line, name;

	memset(e, 0, sizeof(*e));
	line = sv_cut(&v, '\n');
	name = next_word(&line);
	if (name.n >= sizeof(e->name))
		name.n = sizeof(e->name) - 1;
	if (name.n > 0)
		memcpy(e->name, name.p, name.n);	/* memset ended it */
	while (v.n > 0)
		parse_line(e, sv_cut(&v, '\n'));
}

void
smtp_ehlo_release(struct smtp_ehlo *e)
{
	int i;

	for (i = 0; i < e->nother; i++) {
		free(e->other[i]);
		e->other[i] = NULL;
	}
	e->nother = 0;
}
