/*
 * listreg - every list of every domain, for the daemons.
 *
 * listreg_open() loads each <lists_directory>/<domain>/<name>/config.yaml
 * once; listreg_refresh() reloads only the files whose inode, size or
 * modification time changed (and the lists of a domain whose domain.yaml
 * changed), and notices new and removed lists. A list whose file does not
 * load is kept with state LISTREG_ERROR_CONFIG and the reason, never
 * dropped and never fatal. Lookups are by (name, domain).
 *
 * The state here is only the configuration's: whether a list is open or
 * closed lives in the database (lists.status).
 */
#ifndef HERALD_LISTREG_H
#define HERALD_LISTREG_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "listconf.h"

enum listreg_state {
	LISTREG_OK,
	LISTREG_ERROR_CONFIG,	/* Sympa's status error_config: conf is NULL */
};

struct listreg_entry {
	const char		*name;
	const char		*domain;
	enum listreg_state	 state;
	const struct listconf	*conf;		/* NULL when state is ERROR_CONFIG */
	const char		*error;		/* the reason, lines "file:line: key: what"; NULL if OK */
	const struct config	*domain_config;	/* the domain's effective configuration */
};

struct listreg_stats {
	size_t	lists;		/* lists known after the call */
	size_t	loaded;		/* config files (re)read */
	size_t	added;		/* new lists */
	size_t	removed;	/* lists gone */
	size_t	broken;		/* lists in ERROR_CONFIG after the call */
};

struct listreg;

/*
 * Load every list of every domain. site must outlive the registry. NULL
 * with err only when lists_directory cannot be read at all; broken
 * lists and domains are entries, not errors.
 */
struct listreg *listreg_open(const struct config *site, struct listreg_stats *st,
	    struct buf *err);
/*
 * Bring the registry up to date with the disk. Pointers to entries (and
 * their conf) obtained before may be invalid afterwards. 0, or -1 with err
 * when lists_directory cannot be read (the registry is then unchanged).
 */
int	listreg_refresh(struct listreg *r, struct listreg_stats *st, struct buf *err);
/* The list (name, domain); NULL if unknown. */
const struct listreg_entry *listreg_find(const struct listreg *r, const char *name,
	    const char *domain);
/* Entries in order of domain, then name. */
size_t	listreg_count(const struct listreg *r);
const struct listreg_entry *listreg_at(const struct listreg *r, size_t i);
void	listreg_close(struct listreg *r);

#endif
