/*
 * family - list families: a list-configuration template with constraints,
 * and the planning of one list's instantiation from its data.
 *
 * A family lives in <lists_directory>/<domain>/_families/<family>/ (a
 * name no list can have, so no list directory and no family directory
 * ever collide, and the list registry skips it) and is described by
 * family.yaml:
 *
 *	template:		a config.yaml (herald-list.yaml(5)) whose string
 *				values may hold placeholders {name}, {domain},
 *				{family} and {key} for any key of the list's data;
 *				{{ and }} are literal braces
 *	constraints:		per (dotted) parameter: a scalar or a one-item
 *				sequence (fixed), a sequence of several values
 *				(controlled), or a mapping {fixed: V},
 *				{allowed: [V, ...]} or {default: V}; absent: free
 *
 * The data file (DATA.yaml) is "lists:", a sequence of mappings, one per
 * list: name (required), status (open, closed or pending; default open),
 * owners and editors (sequences of addresses) and any other key as a
 * one-line template variable.
 *
 * Everything from outside is bounded (file sizes, nesting, node counts,
 * string lengths); every error is "file:line: key: what". Nothing here
 * touches the database: family_instantiate() is pure apart from reading
 * nothing at all, so the whole planning is unit-tested without one.
 */
#ifndef HERALD_FAMILY_H
#define HERALD_FAMILY_H

#include <stddef.h>

#include "buf.h"

/* The family directory inside a domain's directory, and its file. */
#define FAMILY_DIR		"_families"
#define FAMILY_FILE		"family.yaml"
/* What instantiation keeps in a list's directory: the last generated config. */
#define FAMILY_INSTANCE_FILE	"instance.yaml"
/* Bounds on input files, in bytes. */
#define FAMILY_FILE_MAX		(1024 * 1024)
#define FAMILY_DATA_MAX		(64 * 1024 * 1024)
/* Most lists in one data file. */
#define FAMILY_LISTS_MAX	100000
/* Most owners or editors of one list in the data. */
#define FAMILY_ADMINS_MAX	64

struct family;
struct family_data;

/* One list of a data file; strings live as long as the data. */
struct family_entry {
	const char		*name;
	const char		*status;	/* open, closed, pending */
	unsigned long		 line;		/* of the entry in the data file */
	const char *const	*owners;	/* canonical addresses */
	size_t			 nowners;
	const char *const	*editors;
	size_t			 neditors;
	const char *const	*var_names;	/* the other keys, in file order */
	const char *const	*var_values;
	size_t			 nvars;
};

/*
 * Load family.yaml text for family name in domain (both already checked);
 * origin names the file in errors. NULL with errors in err.
 */
struct family *family_load_text(const char *origin, const char *name,
	    const char *domain, const char *text, size_t len, struct buf *err);
/* The same from a file (at most FAMILY_FILE_MAX bytes). */
struct family *family_load(const char *path, const char *name,
	    const char *domain, struct buf *err);
void	family_free(struct family *f);
const char *family_name(const struct family *f);
/* The number of constraints, for show. */
size_t	family_nconstraints(const struct family *f);

/*
 * Load a data file's text. Entries are checked for shape and values (list
 * names, addresses, status); what is wrong with an entry is an error of
 * the whole file, so that a typo never closes lists by leaving them out.
 * NULL with errors in err.
 */
struct family_data *family_data_load_text(const char *origin,
	    const char *text, size_t len, struct buf *err);
struct family_data *family_data_load(const char *path, struct buf *err);
void	family_data_free(struct family_data *d);
size_t	family_data_count(const struct family_data *d);
const struct family_entry *family_data_entry(const struct family_data *d,
	    size_t i);

/* The plan for one list. */
struct family_result {
	struct buf	 instance;	/* generated from the template alone */
	struct buf	 config;	/* instance + kept owner customisations */
	const char	*status;	/* open, closed, pending or error_config */
	struct buf	 reason;	/* why error_config, or why refused */
	struct buf	 kept;		/* "key, key": customisations kept */
	struct buf	 dropped;	/* "key (why); ...": dropped ones */
	/* The owners a new list gets: the data's, else the config's. */
	char		*owners[FAMILY_ADMINS_MAX];
	size_t		 nowners;
};

void	family_result_init(struct family_result *r);
void	family_result_free(struct family_result *r);

/*
 * Plan list e of family f. current and instance are the list's present
 * config.yaml and instance.yaml (NULL for a new list, or when a file is
 * missing): a top-level key whose value differs between them is an owner's
 * customisation, kept when it respects the constraints and dropped (named
 * in dropped, with why) when not. A configuration that still breaks a
 * constraint or does not load gets status error_config with the reason
 * (a list the data closes stays closed). 0, or -1 when the entry cannot be
 * instantiated at all (a placeholder without a value, no owner): the
 * reason says why.
 */
int	family_instantiate(const struct family *f, const struct family_entry *e,
	    const char *current, size_t curlen, const char *instance,
	    size_t instlen, struct family_result *out);

#endif
