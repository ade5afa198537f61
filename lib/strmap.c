/*
 * strmap - string-keyed open hash table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "strmap.h"

#define STRMAP_MIN_CAP	64

struct strmap_slot {
	char	*key;		/* NULL: empty */
	void	*value;
};

struct strmap {
	struct strmap_slot *slot;
	size_t		 cap;	/* a power of two, or 0 */
	size_t		 n;
};

static uint32_t
strmap_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Where key is, or the empty slot where it would go. */
static size_t
strmap_slot(const struct strmap *m, const char *key)
{
	size_t j = strmap_hash(key) & (m->cap - 1);

	while (m->slot[j].key != NULL && strcmp(m->slot[j].key, key) != 0)
		j = (j + 1) & (m->cap - 1);
	return j;
}

/* Put an owned key in a table known not to hold it. */
static void
strmap_insert_new(struct strmap *m, char *key, void *value)
{
	size_t j = strmap_slot(m, key);

	m->slot[j].key = key;
	m->slot[j].value = value;
	m->n++;
}

static void
strmap_rehash(struct strmap *m, size_t cap)
{
	struct strmap_slot *old = m->slot;
	size_t oldcap = m->cap;

	m->slot = xcalloc(cap, sizeof(*m->slot));
	m->cap = cap;
	m->n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			strmap_insert_new(m, old[i].key, old[i].value);
	free(old);
}

struct strmap *
strmap_new(void)
{
	return xcalloc(1, sizeof(struct strmap));
}

void
strmap_free(struct strmap *m, strmap_free_fn *free_value)
{
	if (m == NULL)
		return;
	strmap_clear(m, free_value);
	free(m->slot);
	free(m);
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	if (m->n == 0)
		return NULL;
	return m->slot[strmap_slot(m, key)].value;
}

void *
strmap_put(struct strmap *m, const char *key, void *value)
{
	size_t j;
	void *old;

	if (2 * (m->n + 1) > m->cap)
		strmap_rehash(m, m->cap ? m->cap * 2 : STRMAP_MIN_CAP);
	j = strmap_slot(m, key);
	if (m->slot[j].key == NULL) {
		strmap_insert_new(m, xstrdup(key), value);
		return NULL;
	}
	old = m->slot[j].value;
	m->slot[j].value = value;
	return old;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->n;
}

void
strmap_clear(struct strmap *m, strmap_free_fn *free_value)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slot[i].key == NULL)
			continue;
		free(m->slot[i].key);
		if (free_value != NULL)
			free_value(m->slot[i].value);
		m->slot[i].key = NULL;
		m->slot[i].value = NULL;
	}
	m->n = 0;
}

/*
 * Linear probing cannot just empty a slot (it would cut the probe chains
 * through it), so the survivors are moved into a fresh table.
 */
size_t
strmap_drop_if(struct strmap *m, strmap_drop_fn *drop, void *arg,
    strmap_free_fn *free_value)
{
	struct strmap_slot *old = m->slot;
	size_t oldcap = m->cap, dropped = 0;

	if (m->n == 0)
		return 0;
	m->slot = xcalloc(oldcap, sizeof(*m->slot));
	m->n = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		if (drop(old[i].key, old[i].value, arg)) {
			free(old[i].key);
			if (free_value != NULL)
				free_value(old[i].value);
			dropped++;
		} else
			strmap_insert_new(m, old[i].key, old[i].value);
	}
	free(old);
	return dropped;
}
