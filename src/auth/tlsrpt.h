/*
 * tlsrpt.h - SMTP TLS Reporting records (RFC 8460 section 3): the TXT
 * record at _smtp._tls.DOMAIN, "v=TLSRPTv1; rua=URI[,URI]" where each URI
 * is mailto: or https:.
 *
 * Pure, bounded and total, on the shared tag=value parser; the caller's
 * struct receives the destinations and notes with a severity.
 */
#ifndef MXDOC_AUTH_TLSRPT_H
#define MXDOC_AUTH_TLSRPT_H

#include <stdbool.h>
#include <stddef.h>

#include "classify/cause.h"

#define TLSRPT_RUA_MAX		8
#define TLSRPT_NOTES_MAX	12
#define TLSRPT_NOTE_MAX		200

struct tlsrpt_note {
	enum severity	 sev;
	char		 text[TLSRPT_NOTE_MAX];
};

struct tlsrpt_record {
	bool		 valid;
	int		 nrua;
	char		 rua[TLSRPT_RUA_MAX][256];
	int		 nnote;
	struct tlsrpt_note note[TLSRPT_NOTES_MAX];
};

/* True when the TXT record starts with "v=TLSRPTv1". */
bool	tlsrpt_is_record(const char *txt, size_t n);
/* 0 when a reporter would use it, -1 with notes. */
int	tlsrpt_parse(const char *txt, size_t n, struct tlsrpt_record *out);

#endif
