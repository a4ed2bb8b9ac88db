/*
 * answer.c - blocklist answer interpretation (answer.h).
 */
#include <stdio.h>
#include <string.h>

#include "bl/answer.h"

const char *
bl_answer_name(enum bl_answer a)
{
	switch (a) {
	case BL_ANS_LISTED:	return "listed";
	case BL_ANS_CLEAN:	return "clean";
	case BL_ANS_REFUSED:	return "refused";
	case BL_ANS_BOGUS:	return "bogus";
	default:		return "error";
	}
}

const char *
bl_addr_format(uint32_t a, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", (unsigned)(a >> 24),
	    (unsigned)(a >> 16) & 0xff, (unsigned)(a >> 8) & 0xff,
	    (unsigned)a & 0xff);
	return out;
}

static void
append(char *out, size_t n, const char *s)
{
	size_t l = strlen(out);

	if (strstr(out, s) != NULL)
		return;		/* one meaning per bit list, once */
	snprintf(out + l, n - l, "%s%s", l ? "; " : "", s);
}

/* The meaning of a, appended to out; 1 when a code of the zone matched. */
static int
meanings(const struct bl_code *c, int n, uint32_t a, char *out, size_t len)
{
	int i, hit = 0;

	for (i = 0; i < n; i++)
		if (bl_code_match(&c[i], a)) {
			append(out, len, c[i].meaning);
			hit = 1;
		}
	return hit;
}

void
bl_interpret(const struct bl_zone *z, enum dns_status st,
    const uint32_t *addr, int naddr, struct bl_interp *out)
{
	char listed[512] = "", refused[512] = "", bogus[512] = "", a[16];
	int i;

	memset(out, 0, sizeof(*out));
	switch (st) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		out->answer = BL_ANS_CLEAN;
		return;
	case DNS_REFUSED:
		/* Barracuda and others answer REFUSED to resolvers that are
		 * not registered: the list did not say no. */
		out->answer = BL_ANS_REFUSED;
		snprintf(out->meaning, sizeof(out->meaning), "the list's "
		    "server answered REFUSED (it may serve registered "
		    "resolvers only)");
		return;
	default:
		out->answer = BL_ANS_ERROR;
		snprintf(out->meaning, sizeof(out->meaning), "%s",
		    dns_status_name(st));
		return;
	}
	if (naddr <= 0) {
		out->answer = BL_ANS_CLEAN;
		return;
	}
	for (i = 0; i < naddr && i < BL_ANS_ADDRS_MAX; i++)
		out->addr[out->naddr++] = addr[i];
	for (i = 0; i < out->naddr; i++) {
		uint32_t v = out->addr[i];

		bl_addr_format(v, a);
		if (meanings(z->refused, z->nrefused, v, refused,
		    sizeof(refused)))
			continue;
		if ((v >> 24) != 127) {
			snprintf(bogus + strlen(bogus), sizeof(bogus) -
			    strlen(bogus), "%sanswer %s is outside 127.0.0.0/8 "
			    "(RFC 5782): the zone is dead, parked or "
			    "wildcarded", bogus[0] ? "; " : "", a);
			continue;
		}
		if (meanings(z->codes, z->ncodes, v, listed, sizeof(listed)))
			continue;
		/* Undocumented values that lists use for refusals: 127.0.0.1
		 * (URIBL, SURBL: RFC 5782 reserves it as never listed) and
		 * 127.255.255.0/24 (Spamhaus and kin). */
		if (v == 0x7f000001 || (v >> 8) == 0x7fffff) {
			char m[128];

			snprintf(m, sizeof(m), "answer %s, which lists use to "
			    "refuse a query", a);
			append(refused, sizeof(refused), m);
			continue;
		}
		{
			char m[64];

			snprintf(m, sizeof(m), "listed (code %s)", a);
			append(listed, sizeof(listed), m);
		}
	}
	/* A refusal or a broken zone outweighs a listing in the same
	 * answer: mxdoc never reports LISTED on an answer it cannot trust. */
	if (bogus[0]) {
		out->answer = BL_ANS_BOGUS;
		snprintf(out->meaning, sizeof(out->meaning), "%s", bogus);
	} else if (refused[0]) {
		out->answer = BL_ANS_REFUSED;
		snprintf(out->meaning, sizeof(out->meaning), "%s", refused);
	} else {
		out->answer = BL_ANS_LISTED;
		snprintf(out->meaning, sizeof(out->meaning), "%s", listed);
	}
}
