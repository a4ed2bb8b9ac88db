/*
 * dns_msg.c - DNS wire-format decoding.
 *
 * The packet comes from the network through libunbound, so every length in
 * it is a claim to check, not a fact: each read goes through a cursor that
 * knows where the packet ends, names are bounded in wire length (255, RFC
 * 1035 3.1), in compression jumps and in presentation length, and every
 * record's data must end exactly where its RDLENGTH says.
 */
#include "dns/dns_msg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

#define NAME_WIRE_MAX	255	/* RFC 1035 3.1, including the root label */
#define NAME_JUMPS_MAX	64	/* more pointers than this is a loop */
#define RR_FIXED	10	/* type, class, ttl, rdlength */
#define RR_MIN		11	/* the root name and the fixed part */

struct cur {
	const uint8_t	*pkt;
	size_t		 len;
	size_t		 off;
};

static int
get16(struct cur *c, uint16_t *v)
{
	if (c->len - c->off < 2)
		return -1;
	*v = (uint16_t)(c->pkt[c->off] << 8 | c->pkt[c->off + 1]);
	c->off += 2;
	return 0;
}

static int
get32(struct cur *c, uint32_t *v)
{
	if (c->len - c->off < 4)
		return -1;
	*v = (uint32_t)c->pkt[c->off] << 24 | (uint32_t)c->pkt[c->off + 1] << 16 |
	    (uint32_t)c->pkt[c->off + 2] << 8 | (uint32_t)c->pkt[c->off + 3];
	c->off += 4;
	return 0;
}

/* Letters, digits and hyphen (RFC 952's LDH) stay as they are, lower-cased;
 * so does the underscore, because the names mxdoc asks for are full of it
 * (_dmarc, _mta-sts, _25._tcp). Anything else, the dot within a label
 * included, is written \DDD so that the text form is unambiguous and safe
 * to print. */
static int
put_label_byte(char *out, size_t *n, uint8_t b)
{
	if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' ||
	    b == '_') {
		if (*n + 1 >= DNS_NAME_MAX)
			return -1;
		out[(*n)++] = (char)b;
	} else if (b >= 'A' && b <= 'Z') {
		if (*n + 1 >= DNS_NAME_MAX)
			return -1;
		out[(*n)++] = (char)(b - 'A' + 'a');
	} else {
		if (*n + 4 >= DNS_NAME_MAX)
			return -1;
		snprintf(out + *n, 5, "\\%03u", (unsigned)b);
		*n += 4;
	}
	return 0;
}

/* Reads the name at c->off into out (presentation form, no final dot, ""
 * for the root). Leaves c->off after the name as it sits in place: after
 * the first compression pointer if there is one. limit is where the name
 * must end in place (the packet end, or the end of the record data). */
static int
get_name(struct cur *c, size_t limit, char out[DNS_NAME_MAX], const char **err)
{
	size_t pos = c->off, end = 0, wire = 0, n = 0;
	int jumps = 0;
	bool jumped = false;

	for (;;) {
		uint8_t l;

		if (pos >= (jumped ? c->len : limit)) {
			*err = "truncated name";
			return -1;
		}
		l = c->pkt[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= (jumped ? c->len : limit)) {
				*err = "truncated name";
				return -1;
			}
			if (++jumps > NAME_JUMPS_MAX) {
				*err = "compression pointer loop";
				return -1;
			}
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = (size_t)(l & 0x3f) << 8 | c->pkt[pos + 1];
			continue;
		}
		if ((l & 0xc0) != 0) {
			*err = "unsupported label type";
			return -1;
		}
		wire += 1 + (size_t)l;
		if (wire > NAME_WIRE_MAX) {
			*err = "name too long";
			return -1;
		}
		if (l == 0) {
			pos++;
			break;
		}
		if (l > (jumped ? c->len : limit) - pos - 1) {
			*err = "truncated name";
			return -1;
		}
		if (n > 0) {
			if (n + 1 >= DNS_NAME_MAX)
				goto toolong;
			out[n++] = '.';
		}
		for (size_t i = 1; i <= l; i++)
			if (put_label_byte(out, &n, c->pkt[pos + i]) == -1)
				goto toolong;
		pos += 1 + (size_t)l;
	}
	out[n] = '\0';
	c->off = jumped ? end : pos;
	return 0;
toolong:
	*err = "name too long for its text form";
	return -1;
}

static void
rr_release(struct dns_rr *rr)
{
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
	case DNS_T_MX:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_NS:
		break;
	case DNS_T_TXT:
		free(rr->u.txt.data);
		break;
	case DNS_T_TLSA:
		free(rr->u.tlsa.data);
		break;
	default:
		free(rr->u.raw.data);
		break;
	}
}

static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = xmalloc(n > 0 ? n : 1);

	if (n > 0)
		memcpy(d, p, n);
	return d;
}

static int
get_txt(struct cur *c, size_t rdend, struct dns_rr *rr, const char **err)
{
	struct buf b;

	buf_init(&b, DNS_TXT_MAX);
	rr->u.txt.nstrings = 0;
	while (c->off < rdend) {
		size_t l = c->pkt[c->off];

		if (l > rdend - c->off - 1) {
			buf_release(&b);
			*err = "truncated TXT string";
			return -1;
		}
		if (buf_append(&b, c->pkt + c->off + 1, l) == -1) {
			buf_release(&b);
			*err = "TXT record too long";
			return -1;
		}
		rr->u.txt.nstrings++;
		c->off += 1 + l;
	}
	/* An empty record still gets a string: buf_steal gives "" then. */
	rr->u.txt.len = b.len;
	rr->u.txt.data = buf_steal(&b);
	return 0;
}

/* Decodes one resource record's data; c->off is at its start. */
static int
get_rdata(struct cur *c, size_t rdend, struct dns_rr *rr, const char **err)
{
	size_t rdlen = rdend - c->off;

	switch (rr->type) {
	case DNS_T_A:
		if (rdlen != 4) {
			*err = "bad A record length";
			return -1;
		}
		memcpy(&rr->u.a, c->pkt + c->off, 4);
		c->off += 4;
		return 0;
	case DNS_T_AAAA:
		if (rdlen != 16) {
			*err = "bad AAAA record length";
			return -1;
		}
		memcpy(&rr->u.aaaa, c->pkt + c->off, 16);
		c->off += 16;
		return 0;
	case DNS_T_MX:
		if (get16(c, &rr->u.mx.pref) == -1 || c->off > rdend) {
			*err = "truncated MX record";
			return -1;
		}
		/* The null MX (RFC 7505) is "0 ."; its host is the root, which
		 * get_name already writes as "". */
		return get_name(c, rdend, rr->u.mx.host, err);
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_NS:
		return get_name(c, rdend, rr->u.target, err);
	case DNS_T_TXT:
		return get_txt(c, rdend, rr, err);
	case DNS_T_TLSA:
		if (rdlen < 3) {
			*err = "truncated TLSA record";
			return -1;
		}
		rr->u.tlsa.usage = c->pkt[c->off];
		rr->u.tlsa.selector = c->pkt[c->off + 1];
		rr->u.tlsa.mtype = c->pkt[c->off + 2];
		rr->u.tlsa.len = rdlen - 3;
		rr->u.tlsa.data = dup_bytes(c->pkt + c->off + 3, rdlen - 3);
		c->off = rdend;
		return 0;
	default:
		rr->u.raw.len = rdlen;
		rr->u.raw.data = dup_bytes(c->pkt + c->off, rdlen);
		c->off = rdend;
		return 0;
	}
}

static int
get_rr(struct cur *c, struct dns_rr *rr, const char **err)
{
	uint16_t rdlen;
	size_t rdend;

	if (get_name(c, c->len, rr->name, err) == -1)
		return -1;
	if (get16(c, &rr->type) == -1 || get16(c, &rr->rclass) == -1 ||
	    get32(c, &rr->ttl) == -1 || get16(c, &rdlen) == -1) {
		*err = "truncated resource record";
		return -1;
	}
	if (rdlen > c->len - c->off) {
		*err = "truncated resource record";
		return -1;
	}
	rdend = c->off + rdlen;
	if (get_rdata(c, rdend, rr, err) == -1)
		return -1;
	if (c->off != rdend) {
		rr_release(rr);
		*err = "record data longer than its contents";
		return -1;
	}
	return 0;
}

int
dns_msg_decode(const uint8_t *pkt, size_t len, struct dns_msg *m,
    const char **err)
{
	struct cur c = { pkt, len, 0 };
	uint16_t id, flags, qd, an, ns, ar;
	char scratch[DNS_NAME_MAX];
	size_t max;
	int i;

	memset(m, 0, sizeof(*m));
	if (get16(&c, &id) == -1 || get16(&c, &flags) == -1 ||
	    get16(&c, &qd) == -1 || get16(&c, &an) == -1 ||
	    get16(&c, &ns) == -1 || get16(&c, &ar) == -1) {
		*err = "truncated header";
		return -1;
	}
	for (i = 0; i < qd; i++) {
		if (get_name(&c, c.len, scratch, err) == -1)
			return -1;
		if (c.len - c.off < 4) {
			*err = "truncated question";
			return -1;
		}
		c.off += 4;
	}
	/* ANCOUNT is a claim: no more records than the rest could hold. */
	max = (c.len - c.off) / RR_MIN;
	if (an > max) {
		*err = "truncated answer section";
		return -1;
	}
	m->answer = an > 0 ? xcalloc(an, sizeof(*m->answer)) : NULL;
	for (i = 0; i < an; i++) {
		if (get_rr(&c, &m->answer[i], err) == -1) {
			m->nanswer = i;
			dns_msg_release(m);
			return -1;
		}
	}
	m->id = id;
	m->rcode = flags & 0x000f;
	m->aa = (flags & 0x0400) != 0;
	m->tc = (flags & 0x0200) != 0;
	m->rd = (flags & 0x0100) != 0;
	m->ra = (flags & 0x0080) != 0;
	m->ad = (flags & 0x0020) != 0;
	m->nanswer = an;
	return 0;
}

void
dns_msg_release(struct dns_msg *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nanswer; i++)
		rr_release(&m->answer[i]);
	free(m->answer);
	memset(m, 0, sizeof(*m));
}

const char *
dns_type_name(uint16_t type)
{
	static char other[16];

	switch (type) {
	case DNS_T_A:		return "A";
	case DNS_T_NS:		return "NS";
	case DNS_T_CNAME:	return "CNAME";
	case DNS_T_SOA:		return "SOA";
	case DNS_T_PTR:		return "PTR";
	case DNS_T_MX:		return "MX";
	case DNS_T_TXT:		return "TXT";
	case DNS_T_AAAA:	return "AAAA";
	case DNS_T_TLSA:	return "TLSA";
	}
	/* RFC 3597's form for types without a mnemonic. */
	snprintf(other, sizeof(other), "TYPE%u", (unsigned)type);
	return other;
}

/* Follows the CNAME chain from qname through m. Writes the last name into
 * end and returns how many records of the type it owns. The walk is
 * bounded by the number of records, so a CNAME loop ends it. */
int
dns_msg_chain_end(const struct dns_msg *m, const char *qname, uint16_t type,
    char end[DNS_NAME_MAX])
{
	int i, steps, n = 0;

	snprintf(end, DNS_NAME_MAX, "%s", qname);
	for (steps = 0; type != DNS_T_CNAME && steps <= m->nanswer; steps++) {
		for (i = 0; i < m->nanswer; i++)
			if (m->answer[i].type == DNS_T_CNAME &&
			    strcmp(m->answer[i].name, end) == 0)
				break;
		if (i == m->nanswer)
			break;
		snprintf(end, DNS_NAME_MAX, "%s", m->answer[i].u.target);
	}
	for (i = 0; i < m->nanswer; i++)
		if (m->answer[i].type == type &&
		    strcmp(m->answer[i].name, end) == 0)
			n++;
	return n;
}
