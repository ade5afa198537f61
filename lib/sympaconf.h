/*
 * sympaconf - Sympa's paragraph files: a list's `config`, and the user
 * dumps (`subscribers`, `member.dump`, `owner.dump`, `editor.dump`) that
 * use the same syntax; and the translation of a list config into
 * Herald's config.yaml (herald-list.yaml(5)).
 *
 * The syntax, as the reference describes it: paragraphs separated by
 * blank lines; `#` lines are comments; a paragraph's first line is
 * `name` or `name value`; the lines after it are `key value`. Obsolete
 * parameter names are rewritten to their current ones as Sympa does
 * (reply-to and friends become a reply_to_header paragraph, and so on);
 * a paragraph remembers the name it was written with.
 *
 * The parser takes any bytes: everything is bounded (input size, line
 * length, paragraphs, lines in a paragraph), and what it cannot read (a
 * bad name, a NUL byte, an over-long line, a key line that is not `key
 * value`) is kept as a problem with its line number, never a crash; the
 * rest of the file is still read.
 */
#ifndef HERALD_SYMPACONF_H
#define HERALD_SYMPACONF_H

#include <stddef.h>

#include "buf.h"

#define SYMPACONF_LINE_MAX	8192	/* bytes in one line */
#define SYMPACONF_KEYS_MAX	256	/* key lines in one paragraph */
#define SYMPACONF_PROBLEMS_MAX	1000	/* problems kept (all are counted) */

/* Flags of sympaconf_parse(). */
#define SYMPACONF_USERS	0x1	/* a user dump: names are not checked or rewritten */

struct sympaconf_kv {
	char		*key;
	char		*value;		/* "" if the line has none */
	unsigned long	 line;
};

struct sympaconf_para {
	char		*name;		/* current name (after any rewrite) */
	char		*written;	/* the name as written */
	char		*value;		/* of the first line; "" if none */
	unsigned long	 line;		/* of the first line */
	struct sympaconf_kv *kv;	/* the key lines */
	size_t		 nkv;
};

struct sympaconf_problem {
	unsigned long	 line;
	char		*why;
};

struct sympaconf {
	struct sympaconf_para *para;
	size_t		 npara;
	struct sympaconf_problem *prob;
	size_t		 nprob;		/* kept */
	unsigned long	 problems;	/* counted */
};

/*
 * Parse text[0..len). At most max_paragraphs paragraphs are kept (the
 * rest is one problem). Never NULL.
 */
struct sympaconf *sympaconf_parse(const char *text, size_t len, int flags,
	    size_t max_paragraphs);
void	sympaconf_free(struct sympaconf *sc);

/* The value of key in p (the last one given), or NULL. */
const char *sympaconf_get(const struct sympaconf_para *p, const char *key);

/* An owner or editor, from a config paragraph or a user dump. */
struct sympaconf_admin {
	char		*email;		/* as written */
	char		*gecos;		/* "" if none */
	char		*profile;	/* normal, privileged */
	char		*reception;	/* mail, nomail */
	char		*visibility;	/* conceal, noconceal */
	unsigned long	 line;
};

/* The translation of a list config. */
struct sympaconf_xlat {
	struct buf	 yaml;		/* config.yaml without owner/editor */
	struct buf	 report;	/* lines "LINE: PARAM: not translated: WHY" */
	size_t		 translated;	/* paragraphs translated */
	size_t		 reported;	/* report lines */
	char		*subject;	/* NULL if the config has none */
	struct sympaconf_admin *owners, *editors;
	size_t		 nowners, neditors;
};

/*
 * Translate sc (parsed without SYMPACONF_USERS) for the list named
 * listname (for [%list.name%] in custom_subject). Each translated
 * parameter is checked by Herald's own loader (listconf_load_text): one it
 * refuses is reported with the loader's reason, and left out. The
 * parser's problems are reported too. x is initialised here; free it with
 * sympaconf_xlat_free().
 */
void	sympaconf_translate(const struct sympaconf *sc, const char *listname,
	    struct sympaconf_xlat *x);
void	sympaconf_xlat_free(struct sympaconf_xlat *x);

/* Append "key:\n  - email: ...\n" for n admins (owner and editor). */
int	sympaconf_yaml_admins(struct buf *out, const char *key,
	    const struct sympaconf_admin *a, size_t n);
/* A YAML scalar: plain when nothing in it is YAML syntax, else quoted. */
int	sympaconf_yaml_scalar(struct buf *out, const char *s);

/*
 * The admins of a parsed user dump or "address [name]" lines: a paragraph
 * whose first line is `email X` is a dump entry (gecos, profile,
 * reception, visibility keys); any other line is an address and an
 * optional display name. *out is allocated; free with
 * sympaconf_admins_free().
 */
size_t	sympaconf_users(const struct sympaconf *sc, struct sympaconf_admin **out);
void	sympaconf_admins_free(struct sympaconf_admin *a, size_t n);

#endif
