/*
 * mem - allocators that never return NULL.
 *
 * Running out of memory is a condition a retry can fix, so every allocator
 * logs and exits with EX_TEMPFAIL (75): the MTA keeps the mail and a daemon
 * is restarted by its supervisor. Callers never check for NULL.
 */
#ifndef HERALD_MEM_H
#define HERALD_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xreallocarray: like xrealloc but for count * size, failing on overflow. */
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

#endif
