/*
 * harness.h - the unit-test harness: table-driven checks that count
 * failures, and a closing line "N passed, N failed" that CI reads.
 * Each suite defines `void run_tests(void)`; main() is in harness.c.
 */
#ifndef MXDOC_TEST_HARNESS_H
#define MXDOC_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

extern int t_pass, t_fail;
extern const char *t_suite;

void run_tests(void);

#define CHECK(cond) do {						\
	if (cond) t_pass++;						\
	else { t_fail++; fprintf(stderr, "%s:%d: FAIL: %s\n",		\
	    __FILE__, __LINE__, #cond); }				\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a == _b) t_pass++;						\
	else { t_fail++; fprintf(stderr, "%s:%d: FAIL: %s == %lld, want %lld\n", \
	    __FILE__, __LINE__, #a, _a, _b); }				\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (_a != NULL && _b != NULL && strcmp(_a, _b) == 0) t_pass++;	\
	else if (_a == NULL && _b == NULL) t_pass++;			\
	else { t_fail++; fprintf(stderr, "%s:%d: FAIL: %s == \"%s\", want \"%s\"\n", \
	    __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); } \
} while (0)

#endif
