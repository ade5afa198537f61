/*
 * buf - the one bounded, growable byte buffer.
 *
 * Everything that comes from outside (mail, config, spool files, command
 * lines) is collected in a struct buf. A buffer has a hard limit chosen by
 * its owner: an append that would cross it fails with -1 and leaves the
 * buffer as it was, so hostile input can never make a daemon grow without
 * bound. The data is always NUL-terminated (the NUL is not counted in len),
 * but may itself contain NUL bytes.
 */
#ifndef HERALD_BUF_H
#define HERALD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* NUL-terminated; NULL until the first append */
	size_t	 len;		/* bytes in use, not counting the NUL */
	size_t	 cap;		/* bytes allocated */
	size_t	 max;		/* hard limit on len */
};

#define BUF_UNLIMITED	((size_t)-1 / 2)

/* A static initializer: struct buf b = BUF_INIT(4096); */
#define BUF_INIT(limit)	{ NULL, 0, 0, (limit) }

void	buf_init(struct buf *b, size_t max);
void	buf_free(struct buf *b);
void	buf_reset(struct buf *b);
void	buf_truncate(struct buf *b, size_t len);

int	buf_append(struct buf *b, const void *data, size_t n);
int	buf_putc(struct buf *b, int c);
int	buf_puts(struct buf *b, const char *s);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

/* The contents as a C string ("" for an empty buffer, never NULL). */
const char *buf_cstr(const struct buf *b);
/* Hand the allocation to the caller (never NULL); the buffer is left empty. */
char	*buf_steal(struct buf *b);

#endif
