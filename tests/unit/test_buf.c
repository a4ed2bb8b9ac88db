/*
 * test_buf.c - the bounded buffer: the maximum is never passed, a refused
 * append changes nothing, consume and steal keep the NUL termination.
 */
#include <stdlib.h>

#include "core/buf.h"
#include "harness.h"

static void
test_append(void)
{
	struct buf b;

	buf_init(&b, 8);
	CHECK_STR(buf_cstr(&b), "");
	CHECK_INT(b.len, 0);
	CHECK_INT(buf_puts(&b, "abc"), 0);
	CHECK_INT(buf_putc(&b, 'd'), 0);
	CHECK_INT(buf_append(&b, "efgh", 4), 0);	/* exactly max */
	CHECK_INT(b.len, 8);
	CHECK_STR(buf_cstr(&b), "abcdefgh");
	/* One byte over: refused, and nothing of it is appended. */
	CHECK_INT(buf_putc(&b, 'x'), -1);
	CHECK_INT(buf_append(&b, "xyz", 3), -1);
	CHECK_INT(b.len, 8);
	CHECK_STR(buf_cstr(&b), "abcdefgh");
	/* An empty append always fits. */
	CHECK_INT(buf_append(&b, NULL, 0), 0);
	CHECK_INT(b.len, 8);
	buf_release(&b);
	CHECK(b.data == NULL && b.len == 0);

	/* A buffer of maximum 0 takes nothing but stays a valid string. */
	buf_init(&b, 0);
	CHECK_INT(buf_putc(&b, 'a'), -1);
	CHECK_INT(buf_append(&b, "", 0), 0);
	CHECK_STR(buf_cstr(&b), "");
	buf_release(&b);

	/* Embedded NULs: len is the truth, the contents stay terminated. */
	buf_init(&b, 16);
	CHECK_INT(buf_append(&b, "a\0b", 3), 0);
	CHECK_INT(b.len, 3);
	CHECK(memcmp(b.data, "a\0b\0", 4) == 0);
	buf_release(&b);

	/* Growth over many doublings keeps every byte. */
	{
		size_t i;
		int ok = 1;

		buf_init(&b, BUF_UNBOUNDED);
		for (i = 0; i < 100000; i++)
			if (buf_putc(&b, (char)('a' + i % 26)) != 0)
				ok = 0;
		CHECK(ok);
		CHECK_INT(b.len, 100000);
		for (i = 0; i < b.len; i++)
			if (b.data[i] != (char)('a' + i % 26))
				ok = 0;
		CHECK(ok);
		CHECK_INT(b.data[b.len], '\0');
		CHECK(b.cap > b.len);
		buf_release(&b);
	}
}

static void
test_printf(void)
{
	struct buf b;

	buf_init(&b, 10);
	CHECK_INT(buf_printf(&b, "%d-%s", 42, "ab"), 0);
	CHECK_STR(buf_cstr(&b), "42-ab");
	/* 5 bytes left: 5 fit exactly, then 1 more is refused whole. */
	CHECK_INT(buf_printf(&b, "%05d", 7), 0);
	CHECK_STR(buf_cstr(&b), "42-ab00007");
	CHECK_INT(buf_printf(&b, "%c", 'z'), -1);
	CHECK_INT(b.len, 10);
	CHECK_STR(buf_cstr(&b), "42-ab00007");
	buf_reset(&b);
	CHECK_INT(buf_printf(&b, "%s", "0123456789A"), -1);
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_cstr(&b), "");
	/* An empty format on a fresh buffer still leaves a string. */
	buf_release(&b);
	buf_init(&b, 10);
	CHECK_INT(buf_printf(&b, "%s", ""), 0);
	CHECK_STR(buf_cstr(&b), "");
	/* A long formatted string crosses the first allocation. */
	buf_release(&b);
	buf_init(&b, 1000);
	CHECK_INT(buf_printf(&b, "%300s|", "x"), 0);
	CHECK_INT(b.len, 301);
	CHECK_INT(b.data[299], 'x');
	CHECK_INT(b.data[300], '|');
	CHECK_INT(b.data[301], '\0');
	buf_release(&b);
}

static void
test_consume(void)
{
	struct buf b;
	char *s;

	buf_init(&b, 64);
	CHECK_INT(buf_puts(&b, "220 ready\r\n250 ok\r\n"), 0);
	buf_consume(&b, 11);
	CHECK_STR(buf_cstr(&b), "250 ok\r\n");
	CHECK_INT(b.len, 8);
	/* What was consumed frees room under the maximum. */
	CHECK_INT(buf_append(&b, "0123456789012345678901234567890123456789"
	    "0123456789012345", 56), 0);
	CHECK_INT(b.len, 64);
	buf_consume(&b, 0);
	CHECK_INT(b.len, 64);
	buf_consume(&b, 64);
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_cstr(&b), "");
	CHECK_INT(buf_puts(&b, "abc"), 0);
	buf_consume(&b, 100);		/* more than len empties it */
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_cstr(&b), "");
	buf_reset(&b);
	CHECK(b.data != NULL);		/* reset keeps the storage */
	buf_release(&b);

	/* Consume on a buffer that never allocated. */
	buf_init(&b, 8);
	buf_consume(&b, 0);
	buf_reset(&b);
	CHECK_STR(buf_cstr(&b), "");

	/* Steal hands over the contents and leaves an empty, usable buffer. */
	CHECK_INT(buf_puts(&b, "mine"), 0);
	s = buf_steal(&b);
	CHECK_STR(s, "mine");
	free(s);
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_cstr(&b), "");
	s = buf_steal(&b);		/* an empty buffer gives "" */
	CHECK_STR(s, "");
	free(s);
	CHECK_INT(buf_puts(&b, "12345678"), 0);	/* max still holds */
	CHECK_INT(buf_putc(&b, '9'), -1);
	buf_release(&b);
}

void
run_tests(void)
{
	test_append();
	test_printf();
	test_consume();
}
