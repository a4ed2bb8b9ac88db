/*
 * target.c - blocklist targets and query names (target.h).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bl/target.h"
#include "dns/resolver.h"

const char *
bl_target_kind_name(enum bl_target_kind k)
{
	return k == BL_T_IPV4 ? "ipv4" : k == BL_T_IPV6 ? "ipv6" : "name";
}

static const char *
check_name(const char *s, size_t n)
{
	size_t i, label = 0, labels = 0;
	bool alpha_tld = false;

	if (n == 0)
		return "empty name";
	if (n > 253)
		return "name longer than 253 characters";
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return "empty label in the name";
			if (s[i - 1] == '-')
				return "a label of the name ends with '-'";
			label = 0;
			continue;
		}
		if (label == 0) {
			labels++;
			alpha_tld = false;
			if (c == '-')
				return "a label of the name starts with '-'";
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return "not an IPv4 or IPv6 address, and a name has "
			    "only letters, digits, '-', '_' and dots";
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			alpha_tld = true;
		if (++label > 63)
			return "a label of the name is longer than 63 "
			    "characters";
	}
	if (s[n - 1] == '-')
		return "a label of the name ends with '-'";
	if (labels < 2)
		return "a domain name has at least two labels "
		    "(example.com)";
	if (!alpha_tld)
		return "not a valid IPv4 address, nor a domain name (its last "
		    "label is numeric)";
	return NULL;
}

int
bl_target_parse(const char *in, struct bl_target *t, const char **err)
{
	unsigned char b[16];
	char tmp[256];
	size_t n, i;

	memset(t, 0, sizeof(*t));
	*err = NULL;
	if (in == NULL || (n = strlen(in)) == 0) {
		*err = "empty target";
		return -1;
	}
	if (n >= sizeof(tmp)) {
		*err = "target longer than 255 characters";
		return -1;
	}
	memcpy(tmp, in, n + 1);
	if (tmp[0] == '[' && n > 2 && tmp[n - 1] == ']') {
		memmove(tmp, tmp + 1, n - 2);
		tmp[n - 2] = '\0';
		n -= 2;
	}
	if (inet_pton(AF_INET, tmp, b) == 1) {
		t->kind = BL_T_IPV4;
		inet_ntop(AF_INET, b, t->text, sizeof(t->text));
		return 0;
	}
	if (strchr(tmp, ':') != NULL) {
		if (inet_pton(AF_INET6, tmp, b) != 1) {
			*err = "not a valid IPv6 address";
			return -1;
		}
		t->kind = BL_T_IPV6;
		inet_ntop(AF_INET6, b, t->text, sizeof(t->text));
		return 0;
	}
	if (n > 0 && tmp[n - 1] == '.')
		tmp[--n] = '\0';
	if ((*err = check_name(tmp, n)) != NULL)
		return -1;
	for (i = 0; i < n; i++)
		tmp[i] = (char)(tmp[i] >= 'A' && tmp[i] <= 'Z' ?
		    tmp[i] - 'A' + 'a' : tmp[i]);
	t->kind = BL_T_NAME;
	memcpy(t->text, tmp, n + 1);
	return 0;
}

int
bl_query_name(const struct bl_target *t, const char *zone,
    char out[BL_QNAME_MAX])
{
	char prefix[BL_PREFIX_MAX];

	if (bl_query_prefix(t, prefix) < 0)
		return -1;
	return bl_query_join(prefix, zone, out);
}

int
bl_query_prefix(const struct bl_target *t, char out[BL_PREFIX_MAX])
{
	char rev[80];
	size_t n;

	if (t->kind == BL_T_NAME) {
		n = strlen(t->text);
		if (n >= BL_PREFIX_MAX)
			return -1;
		memcpy(out, t->text, n + 1);
		return 0;
	}
	if (dns_reverse_name(t->text, rev) < 0)
		return -1;
	/* Drop ".in-addr.arpa" or ".ip6.arpa". */
	n = strlen(rev) - (t->kind == BL_T_IPV4 ? 13 : 9);
	memcpy(out, rev, n);
	out[n] = '\0';
	return 0;
}

int
bl_query_join(const char *prefix, const char *zone, char out[BL_QNAME_MAX])
{
	size_t a = strlen(prefix), b = strlen(zone);

	/* As snprintf("%s.%s") bounded by BL_QNAME_MAX and by 253. */
	if (a + 1 + b >= BL_QNAME_MAX || a + 1 + b > 253)
		return -1;
	memcpy(out, prefix, a);
	out[a] = '.';
	memcpy(out + a + 1, zone, b + 1);
	return 0;
}
