/*
 * fuzz_target.c - the target parser must be total and bounded, and what it
 * accepts must come back unchanged when written in its canonical form and
 * parsed again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

static const char *
scheme(enum target_kind k)
{
	return k == TARGET_SMTPS ? "smtps://" :
	    k == TARGET_SUBMISSION ? "submission://" : "";
}

/* Writes t back the way a user would type it. */
static void
unparse(const struct target *t, char *out, size_t n)
{
	bool v6 = strchr(t->host, ':') != NULL;

	if (t->kind == TARGET_DOMAIN)
		snprintf(out, n, "%s", t->host);
	else if (t->kind == TARGET_ADDRESS)
		snprintf(out, n, "%s", t->address);
	else if (t->port != 0)
		snprintf(out, n, "%s[%s%s]:%d", scheme(t->kind), v6 ? "IPv6:" : "",
		    t->host, t->port);
	else
		snprintf(out, n, "%s[%s]", scheme(t->kind), t->host);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target t, again;
	const char *err = NULL, *p;
	char *s, back[1024];

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	if (target_check_domain(s, &err) == 0) {
		ENSURE(err == NULL);
		ENSURE(target_parse(s, &t, &err) == 0);
	}
	err = NULL;
	if (target_parse(s, &t, &err) != 0) {
		ENSURE(err != NULL && strchr(err, '\n') == NULL);
		ENSURE(t.host[0] == '\0' && t.address[0] == '\0' && t.port == 0);
		goto out;
	}
	ENSURE(err == NULL);
	ENSURE(t.kind >= TARGET_DOMAIN && t.kind <= TARGET_SUBMISSION);
	ENSURE(strcmp(target_kind_name(t.kind), "unknown") != 0);
	ENSURE(t.host[0] != '\0' && strlen(t.host) <= 253);
	ENSURE(t.port >= 0 && t.port <= 65535);
	ENSURE((t.kind == TARGET_ADDRESS) == (t.address[0] != '\0'));
	for (p = t.host; *p != '\0'; p++)
		ENSURE((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || (t.host_is_ip && *p == ':'));
	if (!t.host_is_ip)
		ENSURE(target_check_domain(t.host, &err) == 0);

	unparse(&t, back, sizeof(back));
	ENSURE(target_parse(back, &again, &err) == 0);
	ENSURE(again.kind == t.kind);
	ENSURE(strcmp(again.host, t.host) == 0);
	ENSURE(strcmp(again.address, t.address) == 0);
	ENSURE(again.port == t.port && again.host_is_ip == t.host_is_ip);
out:
	free(s);
	return 0;
}
