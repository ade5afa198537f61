/*
 * listconf - a list's configuration, <lists_directory>/<domain>/<name>/config.yaml.
 *
 * Typed like the site configuration (config.h): every parameter is
 * declared once in listconf_params.h with its type, default, bounds and
 * doc; an unknown key, a value of the wrong type or shape, or a key given
 * twice is an error naming file, line and key, and every error of a file
 * is reported, one per line. Compound parameters are YAML mappings whose
 * keys are the dotted parameters of the table (reply_to_header.value is
 * key "value" of mapping "reply_to_header"), sequences (owner, editor,
 * custom_header, sets) or a mapping of names (custom_vars).
 *
 * A loaded struct listconf keeps only the values its file sets (and the
 * defaults it takes from the site or domain), so ten thousand lists cost
 * little memory; accessors fall back to the table's defaults.
 *
 * What is not here: a list's status and its current owners and editors
 * live in the database, shared by every host. A "status" key is accepted
 * and reported as ignored (a warning), so imported files load; the owner
 * and editor entries are the initial admins a creation or a family gives.
 */
#ifndef HERALD_LISTCONF_H
#define HERALD_LISTCONF_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

enum listconf_type {
	LISTCONF_STRING, LISTCONF_TEXT, LISTCONF_SCENARIO, LISTCONF_INT,
	LISTCONF_SIZE, LISTCONF_BOOL, LISTCONF_ENUM, LISTCONF_ADDRESS,
	LISTCONF_REGEX, LISTCONF_PATH, LISTCONF_DNSNAME, LISTCONF_FAMILY,
	LISTCONF_MAP, LISTCONF_ADMINS, LISTCONF_HEADERS, LISTCONF_SET,
	LISTCONF_FIELDS, LISTCONF_DAYS, LISTCONF_VARS,
};

enum listconf_param {
#define LISTCONF_PARAM(id, name, type, def, min, max, choices, doc) LC_##id,
#include "listconf_params.h"
#undef LISTCONF_PARAM
	LISTCONF_NPARAMS
};

/* The file's name inside a list's directory. */
#define LISTCONF_FILE		"config.yaml"
/* The largest config.yaml read, in bytes. */
#define LISTCONF_FILE_MAX	(256 * 1024)

struct listconf;

/* An owner or editor entry; strings never NULL (defaults filled in). */
struct listconf_admin {
	const char	*email;		/* canonical: domain lower-cased */
	const char	*gecos;		/* "" if none */
	const char	*profile;	/* normal | privileged (owners only) */
	const char	*reception;	/* mail | nomail */
	const char	*visibility;	/* conceal | noconceal */
};

/* A custom_vars entry. */
struct listconf_var {
	const char	*name;
	const char	*value;
};

/* The digest parameter. */
struct listconf_digest {
	bool		 set;		/* false: no digest */
	unsigned	 days;		/* bit d for week day d, 0 is Sunday */
	int		 hour, minute;
};

/*
 * "<lists_dir>/<domain>/<name>/config.yaml" into out (reset first); -1 on
 * out's limit. Neither name nor domain is checked here.
 */
int	listconf_path(const char *lists_dir, const char *domain, const char *name,
	    struct buf *out);

/*
 * Load one config.yaml. cf is the site's or the domain's configuration,
 * for the defaults lists take from it (max_size); it need not outlive the
 * result. NULL on any error, each error a line "file:line: key: what" in
 * err (a file that cannot be read: "file: cannot open: ...").
 */
struct listconf *listconf_load(const char *path, const struct config *cf,
	    struct buf *err);
/* The same for relpath under the directory dirfd (or AT_FDCWD); origin names it in errors. */
struct listconf *listconf_load_at(int dirfd, const char *relpath, const char *origin,
	    const struct config *cf, struct buf *err);
/* The same from text in memory; origin names it in errors. */
struct listconf *listconf_load_text(const char *origin, const char *text,
	    size_t len, const struct config *cf, struct buf *err);
void	listconf_free(struct listconf *lc);
/* Lines "file:line: key: ignored: why" for what was accepted but unused; "" if none. */
const char *listconf_warnings(const struct listconf *lc);

/*
 * Scalar values by id. listconf_str: the text of any parameter but MAP,
 * ADMINS, HEADERS and VARS ("" when none; a SET, FIELDS or DAYS value as
 * a comma-separated list). listconf_int: INT, SIZE and BOOL values; for
 * ENUM the index of the choice; for SET and DAYS a bit mask (bit i for
 * choice i, for day i).
 */
const char *listconf_str(const struct listconf *lc, enum listconf_param id);
long long listconf_int(const struct listconf *lc, enum listconf_param id);
bool	listconf_bool(const struct listconf *lc, enum listconf_param id);
/* Whether the file sets the parameter (for MAP: has the mapping). */
bool	listconf_explicit(const struct listconf *lc, enum listconf_param id);

/* Sequences: the items of HEADERS, SET and FIELDS values; their number. */
size_t	listconf_strv(const struct listconf *lc, enum listconf_param id,
	    const char *const **items);
/* LC_OWNER or LC_EDITOR entries; their number. */
size_t	listconf_admins(const struct listconf *lc, enum listconf_param id,
	    const struct listconf_admin **admins);
size_t	listconf_vars(const struct listconf *lc, const struct listconf_var **vars);
void	listconf_digest(const struct listconf *lc, struct listconf_digest *out);
/* verp_rate as a number, 0..100. */
int	listconf_verp_rate(const struct listconf *lc);

/* Parameter metadata. */
const char *listconf_name(enum listconf_param id);
const char *listconf_doc(enum listconf_param id);
enum listconf_type listconf_type_of(enum listconf_param id);
const char *listconf_type_name(enum listconf_type t);
/* The default as written in the table: NULL if required, "" if none. */
const char *listconf_default(enum listconf_param id);
const char *listconf_choices(enum listconf_param id);	/* "a|b|c" or NULL */
/* The MAP a dotted parameter belongs to, or -1 for a top-level one. */
int	listconf_parent(enum listconf_param id);
/* The id of a (dotted) name; -1 if none. */
int	listconf_lookup(const char *name);

#define LISTCONF_PRINT_DEFAULTS	0x1	/* also the parameters left at their default */
#define LISTCONF_PRINT_DOC	0x2	/* a comment with the doc before each */
/*
 * Append lc as YAML to out, in table order; what it prints loads back to
 * the same values. lc may be NULL: the defaults alone (with cf for the
 * site-derived ones; cf may be NULL too). -1 on out's limit.
 */
int	listconf_print(const struct listconf *lc, const struct config *cf, int flags,
	    struct buf *out);

/*
 * Create a new list's directory <lists_dir>/<domain>/<name>/ (mode 0750;
 * <lists_dir>/<domain> is made too if missing) and its config.yaml with
 * subject and the owners (at least one), written atomically. The name,
 * domain, subject and owners are checked first. -1 with err on failure;
 * errno is EEXIST when the list's directory already exists.
 */
int	listconf_write_new(const char *lists_dir, const char *domain, const char *name,
	    const char *subject, const struct listconf_admin *owners, size_t nowners,
	    struct buf *err);
/*
 * Replace path's contents atomically: a temporary file beside it, written,
 * fsynced, renamed over path, the directory fsynced. Mode 0640. -1 with
 * err on failure (path unchanged).
 */
int	listconf_write_file(const char *path, const char *text, size_t len,
	    struct buf *err);

#endif
