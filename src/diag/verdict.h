/*
 * verdict.h - from observations to causes, for diagnose.
 *
 * diag_classify_addr() names the cause of one probed address from its
 * session's facts (the failing stage, the kind of failure, the reply run
 * through the shared classifier, the TLS facts). diag_verdict() weighs
 * hosts by MX preference and sets the verdict and the findings: a failing
 * preferred MX with a working backup is a warning, not an error; every
 * address timing out on the SMTP port while 443/80 answer is a blocked
 * port near the sender (field guide C1).
 */
#ifndef MXDOC_DIAG_VERDICT_H
#define MXDOC_DIAG_VERDICT_H

#include "diag/diag.h"

void	diag_classify_addr(struct diag_result *r, struct diag_host *h,
	    struct diag_addr *a);
void	diag_verdict(struct diag_result *r);
/* "mx1.example.com [192.0.2.1]:25" into out (320 bytes). */
void	diag_addr_label(const struct diag_host *h, const struct diag_addr *a,
	    char out[320]);

#endif
