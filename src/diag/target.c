/*
 * target.c - parses what the user typed after "mxdoc diagnose".
 *
 * Mail hosts get the strict RFC 1123 / RFC 5321 host name syntax (letters,
 * digits and hyphens; no underscore, which is legal in DNS but not in a
 * host an MTA will connect to), so a typo is reported here, with the reason,
 * rather than as an NXDOMAIN later. IP literals are checked with
 * inet_pton() and stored in inet_ntop()'s canonical form.
 */
#include "diag/target.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "core/sv.h"

/* Longest input looked at: a 320-byte address plus a scheme and a port,
 * with room to spare; anything longer is not a target. */
#define TARGET_INPUT_MAX	1024
#define DOMAIN_MAX		253
#define LABEL_MAX		63
#define LOCAL_MAX		64

static int
fail(const char **err, const char *why)
{
	if (err != NULL)
		*err = why;
	return -1;
}

const char *
target_kind_name(enum target_kind k)
{
	switch (k) {
	case TARGET_DOMAIN:	return "domain";
	case TARGET_ADDRESS:	return "address";
	case TARGET_HOST:	return "host";
	case TARGET_SMTPS:	return "smtps";
	case TARGET_SUBMISSION:	return "submission";
	}
	return "unknown";
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_ldh(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '-';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Checks d as a mail host name; one trailing dot is allowed. */
static int
check_domain(struct sv d, const char **err)
{
	size_t i, start = 0;
	bool digits = true;

	if (d.n > 0 && d.p[d.n - 1] == '.')
		d.n--;
	if (d.n == 0)
		return fail(err, "empty domain name");
	if (d.n > DOMAIN_MAX)
		return fail(err, "domain name longer than 253 characters");
	for (i = 0; i <= d.n; i++) {
		char c = i < d.n ? d.p[i] : '.';

		if (c != '.') {
			if ((unsigned char)c >= 0x80)
				return fail(err, "domain name is not ASCII: give "
				    "its xn-- (A-label) form");
			if (!is_ldh(c))
				return fail(err, "domain name holds a character "
				    "other than letters, digits, hyphens and dots");
			digits = digits && is_digit(c);
			continue;
		}
		if (i == start)
			return fail(err, "empty label in domain name");
		if (i - start > LABEL_MAX)
			return fail(err, "domain label longer than 63 characters");
		if (d.p[start] == '-' || d.p[i - 1] == '-')
			return fail(err, "domain label starts or ends with a hyphen");
		if (i < d.n) {
			start = i + 1;
			digits = true;
		}
	}
	/* RFC 3696 2: a top-level domain is never all digits; such a name
	 * is a mistyped IP address. */
	if (digits)
		return fail(err, "not a valid IP address, and a domain name "
		    "cannot end in an all-digit label");
	return 0;
}

int
target_check_domain(const char *name, const char **err)
{
	if (name == NULL)
		return fail(err, "empty domain name");
	return check_domain(sv_make(name, strnlen(name, DOMAIN_MAX + 2)), err);
}

/* Lower-cases a checked domain name into dst, dropping its trailing dot. */
static void
copy_domain(char *dst, struct sv d)
{
	size_t i;

	if (d.n > 0 && d.p[d.n - 1] == '.')
		d.n--;
	for (i = 0; i < d.n; i++)
		dst[i] = lower(d.p[i]);
	dst[d.n] = '\0';
}

/* Parses v as an IP address of family af into t->host (canonical form). */
static bool
parse_ip(struct target *t, int af, struct sv v)
{
	unsigned char addr[16];
	char tmp[INET6_ADDRSTRLEN];

	if (v.n == 0 || v.n >= sizeof(tmp))
		return false;
	memcpy(tmp, v.p, v.n);
	tmp[v.n] = '\0';
	if (inet_pton(af, tmp, addr) != 1 ||
	    inet_ntop(af, addr, t->host, sizeof(t->host)) == NULL)
		return false;
	t->host_is_ip = true;
	return true;
}

static bool
parse_any_ip(struct target *t, struct sv v)
{
	return parse_ip(t, AF_INET, v) || parse_ip(t, AF_INET6, v);
}

/* A host name or IP address, the inside of "[...]" or after "://". */
static int
parse_host(struct target *t, struct sv h, bool brackets, const char **err)
{
	if (h.n == 0)
		return fail(err, brackets ? "empty host in brackets" :
		    "empty host name");
	/* RFC 5321 4.1.3 address literal: "[IPv6:2001:db8::1]". */
	if (brackets && sv_starts_ci(h, "IPv6:")) {
		if (!parse_ip(t, AF_INET6, sv_make(h.p + 5, h.n - 5)))
			return fail(err, "not a valid IPv6 address after \"IPv6:\"");
		return 0;
	}
	if (parse_any_ip(t, h))
		return 0;
	if (memchr(h.p, ':', h.n) != NULL)
		return fail(err, "not a valid IPv6 address");
	if (memchr(h.p, '@', h.n) != NULL)
		return fail(err, "unexpected '@' in the host name");
	if (check_domain(h, err) != 0)
		return -1;
	copy_domain(t->host, h);
	return 0;
}

static int
parse_port(struct sv v, int *port, const char **err)
{
	long val = 0;
	size_t i;

	if (v.n == 0)
		return fail(err, "missing port number after ':'");
	for (i = 0; i < v.n; i++) {
		if (!is_digit(v.p[i]))
			return fail(err, "port is not a number");
		if (val <= 65535)
			val = val * 10 + (v.p[i] - '0');
	}
	if (val < 1 || val > 65535)
		return fail(err, "port out of range (1-65535)");
	*port = (int)val;
	return 0;
}

/* "[host]", "[host]:port", and (in a URL) "host" or "host:port". */
static int
parse_hostport(struct target *t, struct sv v, const char **err)
{
	const char *close, *colon;
	struct sv host;

	if (v.n > 0 && v.p[0] == '[') {
		close = memchr(v.p, ']', v.n);
		if (close == NULL)
			return fail(err, "missing ']' after the host");
		host = sv_make(v.p + 1, (size_t)(close - v.p) - 1);
		if (parse_host(t, host, true, err) != 0)
			return -1;
		v.n -= (size_t)(close + 1 - v.p);
		v.p = close + 1;
		if (v.n == 0)
			return 0;
		if (v.p[0] != ':')
			return fail(err, "unexpected text after ']' (a port is "
			    "written [host]:port)");
		return parse_port(sv_make(v.p + 1, v.n - 1), &t->port, err);
	}
	/* As in URLs (RFC 3986 3.2.2), an IPv6 address takes brackets:
	 * "2001:db8::1:465" is an address, not an address and a port. */
	colon = memchr(v.p, ':', v.n);
	if (colon != NULL && memchr(colon + 1, ':', v.n - (size_t)(colon + 1 - v.p)))
		return fail(err, "an IPv6 address needs brackets, as in "
		    "[2001:db8::1]:465");
	host = sv_cut(&v, ':');
	if (parse_host(t, host, false, err) != 0)
		return -1;
	return colon != NULL ? parse_port(v, &t->port, err) : 0;
}

/* "user@domain": the local part is kept as typed (RFC 5321 2.4: only the
 * receiving host may interpret it), the domain lower-cased. */
static int
parse_address(struct target *t, struct sv v, const char *at, const char **err)
{
	struct sv local = sv_make(v.p, (size_t)(at - v.p));
	struct sv domain = sv_make(at + 1, v.n - local.n - 1);

	if (local.n == 0)
		return fail(err, "empty local part before '@'");
	if (local.n > LOCAL_MAX)
		return fail(err, "local part longer than 64 characters");
	if (memchr(local.p, '@', local.n) != NULL)
		return fail(err, "more than one '@' in the address");
	if (domain.n == 0)
		return fail(err, "empty domain after '@'");
	if (check_domain(domain, err) != 0)
		return -1;
	copy_domain(t->host, domain);
	/* local <= 64, host <= 253: the address fits TARGET_ADDR_MAX. */
	memcpy(t->address, local.p, local.n);
	t->address[local.n] = '@';
	memcpy(t->address + local.n + 1, t->host, strlen(t->host) + 1);
	return 0;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
parse(const char *s, struct target *t, const char **err)
{
	struct sv v;
	const char *p, *at;
	size_t i;

	if (s == NULL)
		return fail(err, "empty target");
	v = sv_make(s, strnlen(s, TARGET_INPUT_MAX + 1));
	while (v.n > 0 && is_blank(v.p[0])) {
		v.p++;
		v.n--;
	}
	if (v.n > TARGET_INPUT_MAX)
		return fail(err, "target too long");
	while (v.n > 0 && is_blank(v.p[v.n - 1]))
		v.n--;
	if (v.n == 0)
		return fail(err, "empty target");
	for (i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c == ' ')
			return fail(err, "space inside the target");
		if (c < 0x20 || c == 0x7f)
			return fail(err, "control character in the target");
	}

	if ((p = memmem(v.p, v.n, "://", 3)) != NULL) {
		struct sv scheme = sv_make(v.p, (size_t)(p - v.p));
		struct sv rest = sv_make(p + 3, v.n - scheme.n - 3);

		if (sv_eq_ci(scheme, "smtps"))
			t->kind = TARGET_SMTPS;
		else if (sv_eq_ci(scheme, "submission"))
			t->kind = TARGET_SUBMISSION;
		else
			return fail(err, "unknown scheme (use smtps:// or "
			    "submission://)");
		/* Tolerate the slash a pasted URL ends with. */
		if (rest.n > 0 && rest.p[rest.n - 1] == '/')
			rest.n--;
		if (memchr(rest.p, '/', rest.n) != NULL)
			return fail(err, "unexpected path after the host");
		if (rest.n == 0)
			return fail(err, "empty host name");
		return parse_hostport(t, rest, err);
	}
	if (v.p[0] == '[') {
		t->kind = TARGET_HOST;
		return parse_hostport(t, v, err);
	}
	if ((at = memrchr(v.p, '@', v.n)) != NULL) {
		t->kind = TARGET_ADDRESS;
		return parse_address(t, v, at, err);
	}
	/* A bare IP address can only mean that host. */
	if (parse_any_ip(t, v)) {
		t->kind = TARGET_HOST;
		return 0;
	}
	if (memchr(v.p, ':', v.n) != NULL)
		return fail(err, "a port needs the [host]:port form, as in "
		    "[mx.example.com]:2525");
	if (check_domain(v, err) != 0)
		return -1;
	copy_domain(t->host, v);
	return 0;
}

int
target_parse(const char *s, struct target *t, const char **err)
{
	memset(t, 0, sizeof(*t));
	t->kind = TARGET_DOMAIN;
	if (parse(s, t, err) == 0)
		return 0;
	/* Nothing half-parsed is left for a caller to trust. */
	memset(t, 0, sizeof(*t));
	return -1;
}
