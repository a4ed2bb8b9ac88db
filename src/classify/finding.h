/*
 * finding.h - one thing mxdoc found, in the shape every command reports
 * (DESIGN.md): a cause, a severity, a one-line summary, evidence lines and
 * remedies. Remedies default to the cause's own; a provider rule's note
 * (what this exact reply means) goes first in the evidence.
 *
 * A finding owns its strings. Writers for JSON and for the human report
 * live here so that every command prints findings the same way.
 */
#ifndef MXDOC_CLASSIFY_FINDING_H
#define MXDOC_CLASSIFY_FINDING_H

#include "classify/cause.h"
#include "core/buf.h"

struct jw;

#define FINDING_MAX_EVIDENCE	12

struct finding {
	const struct cause	*cause;
	enum severity		 severity;
	char			*summary;
	char			*evidence[FINDING_MAX_EVIDENCE];
	int			 nevidence;
	char			*remedy_first;	/* a specific remedy before the
						 * cause's own, or NULL */
};

void	finding_init(struct finding *f, const char *cause_id, enum severity sev,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	finding_evidence(struct finding *f, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	finding_release(struct finding *f);
/* Writes the finding as a JSON object under key (NULL in arrays). */
void	finding_json(struct jw *w, const char *key, const struct finding *f);

#endif
