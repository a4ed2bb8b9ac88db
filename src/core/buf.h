/*
 * buf.h - the one growable byte buffer, with a mandatory maximum.
 *
 * Every line, reply, record or document read from the outside world goes
 * through a struct buf whose max says how large it may grow. An append that
 * would pass the maximum appends nothing and returns -1: the caller decides
 * what "too long" means (an overlong SMTP line, a TXT record over its limit).
 * The contents are always NUL-terminated, so buf_cstr() is a valid string
 * (which may hold embedded NULs; len is the truth).
 */
#ifndef MXDOC_CORE_BUF_H
#define MXDOC_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* len never exceeds this */
};

#define BUF_UNBOUNDED ((size_t)1 << 40)

void	 buf_init(struct buf *b, size_t max);
/* Frees the storage; the buffer may be reused after buf_init(). */
void	 buf_release(struct buf *b);
/* Empties the buffer, keeping its storage. */
void	 buf_reset(struct buf *b);
int	 buf_append(struct buf *b, const void *p, size_t n);
int	 buf_puts(struct buf *b, const char *s);
int	 buf_putc(struct buf *b, char c);
int	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Removes the first n bytes (n <= len). */
void	 buf_consume(struct buf *b, size_t n);
const char *buf_cstr(const struct buf *b);
/* Hands the contents to the caller (free() them) and empties the buffer. */
char	*buf_steal(struct buf *b);

#endif
