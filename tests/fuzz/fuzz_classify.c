/*
 * fuzz_classify.c - the classifier must name a cause for any bytes: as free
 * text (classify_text looks for a code and an esc in it) and as a reply
 * whose code and esc come from the first bytes (classify_reply). Whatever
 * the input, the result is a cause of the table, with a rule name, and the
 * same reply classified twice gets the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(c) do { if (!(c)) abort(); } while (0)

static void
check(const struct classify_result *r)
{
	ENSURE(r->cause != NULL);
	ENSURE(cause_get(r->cause->id) == r->cause);
	ENSURE(r->rule != NULL && r->rule[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct classify_result a, b;
	char esc[16];
	int code = 0;
	size_t i, k;

	classify_text((const char *)data, size, &a);
	check(&a);
	classify_text((const char *)data, size, &b);
	ENSURE(a.cause == b.cause && strcmp(a.rule, b.rule) == 0);

	/* Bytes 0-1: the code (any value, also invalid ones); then up to 15
	 * bytes up to a NUL are the esc; the rest is the text. */
	if (size >= 2)
		code = (int)(((unsigned)data[0] << 8 | data[1]) % 1000);
	for (i = 2, k = 0; i < size && k < sizeof(esc) - 1 && data[i] != 0;
	    i++)
		esc[k++] = (char)data[i];
	esc[k] = '\0';
	if (i < size)
		i++;
	if (i > size)
		i = size;
	classify_reply(code, esc, (const char *)data + i, size - i, &a);
	check(&a);
	classify_reply(code, NULL, (const char *)data + i, size - i, &a);
	check(&a);
	classify_reply(code, "", NULL, 0, &a);
	check(&a);
	return 0;
}
