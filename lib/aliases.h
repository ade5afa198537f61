/*
 * aliases - the MTA's aliases file for Herald's lists, written from the
 * lists in the database.
 *
 * A template (aliases/postfix.aliases or aliases/exim.aliases, compiled
 * in) is filled in once per mail domain and once per list whose status is
 * open, pending or error_config. Every value that reaches a line is
 * checked first (list names with listname_check, domains as DNS names,
 * paths and local parts against a small set of safe characters), so no
 * line can be broken and no pipe command can carry shell syntax; a list
 * that fails is left out and named in the error text.
 *
 * Virtual domains: an aliases(5) file has local parts only. In the site's
 * default domain the aliases are the plain names (staff, staff-request);
 * in any other domain they are qualified with the domain (a.org-staff),
 * and a second file, <alias_file>.virtual, maps each address to them for
 * Postfix's virtual_alias_maps (staff@a.org -> a.org-staff@<domain>).
 * The Exim file is keyed by whole addresses and needs no second file.
 *
 * Installing is atomic: a temporary file in the same directory, fsync,
 * the previous file kept as <file>.old, rename, fsync of the directory,
 * then the rebuild command (alias_rebuild_command; postmap for the virtual
 * map). A failed rebuild puts the previous file back. See herald-aliases(5).
 *
 * Functions that return a status return a <sysexits.h> code: EX_OK;
 * EX_DATAERR when some lists were refused but the rest was written;
 * EX_CONFIG, EX_TEMPFAIL (database, rebuild), EX_CANTCREAT, EX_NOPERM,
 * EX_OSERR, EX_SOFTWARE otherwise, with the reasons in err.
 */
#ifndef HERALD_ALIASES_H
#define HERALD_ALIASES_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "store.h"

enum aliases_format {
	ALIASES_POSTFIX, ALIASES_SENDMAIL, ALIASES_EXIM,
};

/* One list, as the generator needs it. */
struct aliases_list {
	const char	*name;
	const char	*domain;
};

/* One mail domain and the local parts it reserves. */
struct aliases_domain {
	const char	*name;
	const char	*robot;		/* robot_localpart */
	const char	*bounce;	/* bounce_localpart */
};

/* Everything a generation depends on: no I/O happens in aliases_render. */
struct aliases_input {
	enum aliases_format		 format;
	const char			*site_domain;	/* the default domain */
	const char			*libexec;	/* libexec_directory */
	const char			*config_path;	/* absolute */
	const struct aliases_domain	*domains;	/* site_domain first */
	size_t				 ndomains;
	const struct aliases_list	*lists;		/* any order */
	size_t				 nlists;
};

/* The largest file written: a bound, not a goal (about 1 KB per list). */
#define ALIASES_FILE_MAX	((size_t)256 * 1024 * 1024)
/* Seconds a rebuild command may run before it is killed. */
#define ALIASES_REBUILD_TIMEOUT	120

/* The format named by alias_format; -1 if none. */
int	aliases_format_of(const char *name);
/* The compiled-in template of a format. */
const char *aliases_template(enum aliases_format format);
/* Whether a format needs the second, virtual, file. */
int	aliases_has_virtual(enum aliases_format format);

/*
 * Fill template tmpl in for in: the aliases file into out_aliases and
 * (postfix and sendmail formats) the virtual map into out_virtual (may be
 * NULL for exim). Both are reset first. Lists are written sorted by
 * domain, then name, each after its domain. EX_OK, EX_DATAERR (lists
 * refused, each named in err; the others are written), EX_CONFIG (a
 * site-wide value or a domain is unusable: nothing is usable) or
 * EX_SOFTWARE (a broken template).
 */
int	aliases_render(const struct aliases_input *in, const char *tmpl,
	    struct buf *out_aliases, struct buf *out_virtual, struct buf *err);

/*
 * The same from the site configuration cf (read from cfpath, made
 * absolute here), the domains of lists_directory and the lists in the
 * database st. EX_TEMPFAIL when the database fails.
 */
int	aliases_generate(const struct config *cf, const char *cfpath,
	    struct store *st, struct buf *out_aliases, struct buf *out_virtual,
	    struct buf *err);

/*
 * Install generated text: alias_file (and <alias_file>.virtual when
 * virtual is not NULL) written atomically, owned by mail_owner, the
 * previous copies kept as .old, then rebuilt. report gets one line per
 * file written and command run (may be NULL).
 */
int	aliases_install(const struct config *cf, const struct buf *aliases,
	    const struct buf *virtual, struct buf *report, struct buf *err);

/*
 * Everything, for the list commands after a create, close or rename: load
 * the configuration, open the database, generate and install under a lock
 * (<alias_file>.lock), so that two runs cannot install in the wrong order.
 */
int	aliases_regenerate(const char *cfpath, struct buf *report, struct buf *err);
/* The same with a loaded configuration and an open database. */
int	aliases_regenerate_with(const struct config *cf, const char *cfpath,
	    struct store *st, struct buf *report, struct buf *err);

#endif
