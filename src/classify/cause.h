/*
 * cause.h - the cause vocabulary (DESIGN.md "The hub").
 *
 * Everything mxdoc observes ends as one cause from this fixed table: an id
 * that never changes, a category the remedies are written for, whether a
 * retry can help, a one-line explanation and ordered remedies. The table is
 * data (data/causes.txt, embedded at build time); lookups by id are cheap.
 */
#ifndef MXDOC_CLASSIFY_CAUSE_H
#define MXDOC_CLASSIFY_CAUSE_H

#include <stdbool.h>
#include <stddef.h>

enum cause_category {
	CAT_OK,
	CAT_SERVER,
	CAT_DNS,
	CAT_TLS,
	CAT_NETWORK,
	CAT_SENDER,
	CAT_REPUTATION,
	CAT_RECIPIENT,
	CAT_LOCAL,
};

enum severity {
	SEV_OK,
	SEV_INFO,
	SEV_WARNING,
	SEV_ERROR,
};

#define CAUSE_MAX_REMEDIES 8

struct cause {
	const char		*id;		/* "smtp.throttled" */
	enum cause_category	 category;
	bool			 retry;		/* a later retry can succeed */
	const char		*title;		/* short: "Rate limited" */
	const char		*explanation;	/* one line */
	const char		*remedy[CAUSE_MAX_REMEDIES];
	size_t			 nremedy;
};

/* The cause with this id, or NULL. */
const struct cause	*cause_get(const char *id);
/* Like cause_get() but a missing id is a bug: aborts. */
const struct cause	*cause_must(const char *id);
/* All causes in table order; *n receives the count. */
const struct cause	*cause_all(size_t *n);
const char		*cause_category_name(enum cause_category c);
const char		*severity_name(enum severity s);

#endif
