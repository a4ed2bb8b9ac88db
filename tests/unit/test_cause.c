/*
 * test_cause.c - the cause table: every id DESIGN.md promises exists, in
 * its order, and every cause can be shown to a user (title, explanation,
 * at least one remedy) under the category the table says.
 */
#include "harness.h"

#include "classify/cause.h"

#include <string.h>

/* DESIGN.md's table, in its order, with the category each belongs to. */
static const struct {
	const char		*id;
	enum cause_category	 cat;
	int			 retry;
} design[] = {
	{ "ok", CAT_OK, 0 },
	{ "dns.nxdomain", CAT_DNS, 0 },
	{ "dns.no_mail", CAT_DNS, 0 },
	{ "dns.failure", CAT_DNS, 1 },
	{ "dns.dnssec_bogus", CAT_DNS, 0 },
	{ "net.unreachable", CAT_NETWORK, 1 },
	{ "net.refused", CAT_NETWORK, 1 },
	{ "net.connect_timeout", CAT_NETWORK, 1 },
	{ "net.port_blocked", CAT_NETWORK, 0 },
	{ "net.reset", CAT_NETWORK, 1 },
	{ "net.closed", CAT_NETWORK, 1 },
	{ "net.timeout", CAT_NETWORK, 1 },
	{ "net.slow", CAT_NETWORK, 1 },
	{ "tls.unavailable", CAT_TLS, 0 },
	{ "tls.handshake_failed", CAT_TLS, 0 },
	{ "tls.handshake_timeout", CAT_TLS, 1 },
	{ "tls.certificate", CAT_TLS, 0 },
	{ "smtp.connection_dropped", CAT_SERVER, 1 },
	{ "smtp.server_busy", CAT_SERVER, 1 },
	{ "smtp.throttled", CAT_SENDER, 1 },
	{ "smtp.greylisted", CAT_SENDER, 1 },
	{ "smtp.reputation", CAT_REPUTATION, 1 },
	{ "smtp.blocklisted", CAT_REPUTATION, 0 },
	{ "bl.listed", CAT_REPUTATION, 0 },
	{ "smtp.unauthenticated", CAT_SENDER, 0 },
	{ "smtp.auth_failed", CAT_SENDER, 0 },
	{ "smtp.relay_denied", CAT_SENDER, 0 },
	{ "smtp.recipient", CAT_RECIPIENT, 0 },
	{ "smtp.message", CAT_SENDER, 0 },
	{ "smtp.protocol", CAT_SERVER, 0 },
	{ "smtp.temporary", CAT_SERVER, 1 },
	{ "smtp.permanent", CAT_SERVER, 0 },
	{ "local.resource", CAT_LOCAL, 1 },
	{ "local.config", CAT_LOCAL, 0 },
	{ "auth.spf", CAT_SENDER, 0 },
	{ "auth.dkim", CAT_SENDER, 0 },
	{ "auth.dmarc", CAT_SENDER, 0 },
	{ "auth.mta_sts", CAT_TLS, 0 },
	{ "auth.tls_rpt", CAT_TLS, 0 },
	{ "auth.dane", CAT_TLS, 0 },
};
#define NDESIGN (sizeof(design) / sizeof(design[0]))

/* A remedy must be something to do, not a fragment: a few words at least,
 * and no leftover of the file format. */
static int
remedy_ok(const char *r)
{
	return r != NULL && strlen(r) >= 12 && strchr(r, '\n') == NULL &&
	    strncmp(r, "remedy", 6) != 0 && strchr(r, '\t') == NULL;
}

static void
test_design_ids(void)
{
	const struct cause *all, *c;
	size_t n, i, k;

	all = cause_all(&n);
	CHECK(all != NULL);
	CHECK_INT(n, NDESIGN);
	for (i = 0; i < NDESIGN; i++) {
		c = cause_get(design[i].id);
		CHECK(c != NULL);
		if (c == NULL) {
			fprintf(stderr, "missing cause %s\n", design[i].id);
			continue;
		}
		CHECK_STR(c->id, design[i].id);
		CHECK(c == cause_must(design[i].id));
		/* Table order is DESIGN.md's order. */
		if (i < n)
			CHECK_STR(all[i].id, design[i].id);
		CHECK_STR(cause_category_name(c->category),
		    cause_category_name(design[i].cat));
		CHECK_INT(c->retry, design[i].retry);
		CHECK(c->title != NULL && strlen(c->title) >= 4);
		CHECK(c->explanation != NULL && strlen(c->explanation) >= 20);
		CHECK(c->nremedy >= 1 && c->nremedy <= CAUSE_MAX_REMEDIES);
		for (k = 0; k < c->nremedy; k++)
			CHECK(remedy_ok(c->remedy[k]));
		for (k = c->nremedy; k < CAUSE_MAX_REMEDIES; k++)
			CHECK(c->remedy[k] == NULL);
	}
}

static void
test_lookups(void)
{
	static const char *const absent[] = {
		"", "smtp", "smtp.throttled ", "SMTP.THROTTLED", "net.",
		"throttled", "dns.nxdomain.x",
	};
	size_t i;

	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		CHECK(cause_get(absent[i]) == NULL);
	CHECK(cause_get(NULL) == NULL);
}

/* Remedies the field guide names as the first thing to try must be there,
 * first or at least present, so a table edit cannot quietly drop them. */
static void
test_remedy_content(void)
{
	static const struct {
		const char	*id;
		const char	*needle;
		int		 first;
	} want[] = {
		{ "net.port_blocked", "587", 1 },
		{ "net.port_blocked", "port 25 block", 0 },
		{ "net.connect_timeout", "another network", 1 },
		{ "tls.handshake_failed", "TLS 1.2", 1 },
		{ "tls.handshake_failed", "security level", 0 },
		{ "tls.handshake_failed", "465", 0 },
		{ "smtp.connection_dropped", "TLS", 1 },
		{ "smtp.connection_dropped", "inspect esmtp", 0 },
		{ "smtp.connection_dropped", "MSS", 0 },
		{ "smtp.throttled", "smtp_destination_rate_delay", 1 },
		{ "smtp.throttled", "concurrency", 1 },
		{ "smtp.reputation", "PTR", 1 },
		{ "tls.unavailable", "smtp_tls_security_level", 1 },
		{ "smtp.auth_failed", "smtp_sasl_password_maps", 1 },
		{ "dns.failure", "resolv.conf", 0 },
		{ "auth.spf", "v=spf1", 1 },
		{ "auth.spf", "10 DNS-querying terms", 0 },
		{ "auth.dkim", "_domainkey", 1 },
		{ "auth.dmarc", "_dmarc.", 1 },
		{ "auth.dmarc", "p=reject", 0 },
		{ "auth.mta_sts", "_mta-sts.", 1 },
		{ "auth.mta_sts", "mx:", 0 },
		{ "auth.tls_rpt", "_smtp._tls.", 1 },
		{ "auth.dane", "3 1 1", 1 },
		{ "auth.dane", "DNSSEC", 0 },
	};
	const struct cause *c;
	size_t i, k;
	int found;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		c = cause_get(want[i].id);
		CHECK(c != NULL);
		if (c == NULL)
			continue;
		found = 0;
		for (k = 0; k < c->nremedy; k++)
			if (strstr(c->remedy[k], want[i].needle) != NULL &&
			    (!want[i].first || k == 0))
				found = 1;
		if (!found)
			fprintf(stderr, "%s: no remedy with \"%s\"%s\n",
			    want[i].id, want[i].needle,
			    want[i].first ? " first" : "");
		CHECK(found);
	}
}

static void
test_names(void)
{
	static const struct {
		enum cause_category	 c;
		const char		*name;
	} cats[] = {
		{ CAT_OK, "ok" }, { CAT_SERVER, "server" }, { CAT_DNS, "dns" },
		{ CAT_TLS, "tls" }, { CAT_NETWORK, "network" },
		{ CAT_SENDER, "sender" }, { CAT_REPUTATION, "reputation" },
		{ CAT_RECIPIENT, "recipient" }, { CAT_LOCAL, "local" },
	};
	static const struct {
		enum severity	 s;
		const char	*name;
	} sevs[] = {
		{ SEV_OK, "ok" }, { SEV_INFO, "info" },
		{ SEV_WARNING, "warning" }, { SEV_ERROR, "error" },
	};
	size_t i;

	for (i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		CHECK_STR(cause_category_name(cats[i].c), cats[i].name);
	for (i = 0; i < sizeof(sevs) / sizeof(sevs[0]); i++)
		CHECK_STR(severity_name(sevs[i].s), sevs[i].name);
	CHECK_STR(cause_category_name((enum cause_category)99), "unknown");
	CHECK_STR(severity_name((enum severity)99), "unknown");
}

void
run_tests(void)
{
	test_design_ids();
	test_lookups();
	test_remedy_content();
	test_names();
}
