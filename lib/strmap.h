/*
 * strmap - a map from C strings to pointers: open addressing, FNV-1a,
 * linear probing, at most half full. Keys are copied and compared byte
 * for byte (fold case before, where the key's meaning needs it). Values
 * belong to the caller; the functions that drop entries take a function
 * that frees them (NULL: nothing to free).
 */
#ifndef HERALD_STRMAP_H
#define HERALD_STRMAP_H

#include <stddef.h>

struct strmap;

typedef void strmap_free_fn(void *value);
/* 1: drop the entry. */
typedef int strmap_drop_fn(const char *key, void *value, void *arg);

struct strmap *strmap_new(void);
void	strmap_free(struct strmap *m, strmap_free_fn *free_value);

/* The value of key, or NULL. */
void	*strmap_get(const struct strmap *m, const char *key);
/* Set key to value; returns the value it replaces (or NULL). */
void	*strmap_put(struct strmap *m, const char *key, void *value);
size_t	strmap_count(const struct strmap *m);

void	strmap_clear(struct strmap *m, strmap_free_fn *free_value);
/* Drop every entry drop() says to; returns how many went. */
size_t	strmap_drop_if(struct strmap *m, strmap_drop_fn *drop, void *arg,
	    strmap_free_fn *free_value);

#endif
