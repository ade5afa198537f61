/*
 * catalog - the texts Herald sends to people, in their language.
 *
 * A catalogue is one YAML file per language, <lang>.yaml, holding one
 * mapping of dotted keys ([a-z0-9_.]+, e.g. "report.subject") to string
 * templates in which "{name}" ([a-z_]+) marks where a value goes. English
 * (catalog/en.yaml in the source tree) is compiled into the library, so
 * the product works with no file installed; other languages are read from
 * the catalog_directory, each file on first use, then kept until the
 * catalogue is closed (reopen it, e.g. on SIGHUP, to see edited files).
 *
 * A text is looked up along a chain of languages: the tag asked for, its
 * prefixes (pt-BR-x-a -> pt-BR -> pt), the site's default language and
 * its prefixes, and English last. Tags are checked before they come near
 * a path (^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$, any case in), so a hostile tag
 * is skipped, never opened.
 *
 * A translation can never put an unknown value in a mail nor stop a
 * daemon: a key English lacks, or a text using a placeholder the English
 * text of its key does not use, is refused (a warning; English is used
 * for that key); a file that is not a plain mapping of keys to strings is
 * refused whole (a warning, once; English is used). Every problem is a
 * line "file:line: what".
 *
 * Expansion puts values in as given: they are NOT sanitised here. The
 * caller cleans what comes from outside for where the text goes (a mail
 * header, a body line) before adding it to the catalog_vars.
 *
 * A struct catalog is for one thread.
 */
#ifndef HERALD_CATALOG_H
#define HERALD_CATALOG_H

#include <stddef.h>

#include "buf.h"

#define CATALOG_FILE_MAX	(1024 * 1024)	/* bytes of one <lang>.yaml */
#define CATALOG_TEXT_MAX	(16 * 1024)	/* bytes of one text */
#define CATALOG_KEY_MAX		64		/* bytes of one key */
#define CATALOG_NAME_MAX	32		/* bytes of a placeholder name */
#define CATALOG_VARS_MAX	32		/* values in one catalog_vars */
#define CATALOG_TAG_MAX		35		/* bytes of a language tag */
/* Two tags of at most 18 subtags each, and English. */
#define CATALOG_CHAIN_MAX	37

/* Catalogues. */

struct catalog;
struct catalog_table;

/*
 * dir: where the <lang>.yaml files are (NULL: built-in English only);
 * default_lang: the site's language (NULL: English; a bad tag is logged
 * and ignored). Never NULL.
 */
struct catalog *catalog_open(const char *dir, const char *default_lang);
/* The same over another English table, which the catalogue takes (tests, tools). */
struct catalog *catalog_open_table(const char *dir, const char *default_lang,
	    struct catalog_table *english);
void	catalog_close(struct catalog *c);

/*
 * The template of key in the best language of the chain for lang (NULL or
 * "": the default language). Never NULL for a key English has; NULL for
 * any other key. *used_lang (used_lang may be NULL) is set to the tag whose
 * text it is, valid until catalog_close().
 */
const char *catalog_get(struct catalog *c, const char *lang, const char *key,
	    const char **used_lang);

/* Values for the placeholders: zero it (or catalog_vars_init), add, free. */
struct catalog_var {
	char	*name;
	char	*value;
};

struct catalog_vars {
	size_t		   n;
	struct catalog_var v[CATALOG_VARS_MAX];
};

void	catalog_vars_init(struct catalog_vars *vs);
/*
 * Set name ([a-z_]+, at most CATALOG_NAME_MAX bytes) to a copy of value;
 * a name set again takes the new value. -1 for a bad name or a full set.
 */
int	catalog_vars_add(struct catalog_vars *vs, const char *name, const char *value);
int	catalog_vars_addf(struct catalog_vars *vs, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The value of name, or NULL. */
const char *catalog_vars_get(const struct catalog_vars *vs, const char *name);
void	catalog_vars_free(struct catalog_vars *vs);

/*
 * Append tpl to out with each "{name}" that vs holds replaced by its
 * value; anything else ("{", "{}", "{Name}", "{unset}") is copied as
 * written. vs may be NULL. 0, or -1 when out's limit is reached.
 */
int	catalog_expand(const char *tpl, const struct catalog_vars *vs, struct buf *out);
/* get + expand; an unknown key appends "[key]" and returns -1. */
int	catalog_text(struct catalog *c, const char *lang, const char *key,
	    const struct catalog_vars *vs, struct buf *out);

/* Languages. */

/*
 * lang in its usual case (primary subtag lower-case, 2 letters after it
 * upper-case, 4 letters title-case, all lower-case after a singleton:
 * "PT-br" -> "pt-BR", "zh-hant" -> "zh-Hant") into out (size bytes, at
 * least CATALOG_TAG_MAX + 1). 0, or -1 when lang is no valid tag.
 */
int	catalog_tag_canon(const char *lang, char *out, size_t size);

struct catalog_chain {
	size_t	n;
	char	tag[CATALOG_CHAIN_MAX][CATALOG_TAG_MAX + 1];
};

/*
 * The languages tried for lang, best first, each once, "en" last: lang
 * and its prefixes (a prefix never ends in a singleton), then c's default
 * language and its prefixes. A bad tag is skipped. c may be NULL.
 */
void	catalog_lang_chain(const struct catalog *c, const char *lang,
	    struct catalog_chain *out);

/* Tables: one catalogue file, parsed. */

/*
 * Parse a catalogue from memory; origin names it in messages. english:
 * the table a translation is checked against (NULL when parsing English).
 * NULL, with one line per problem in err, when the text is not a mapping
 * of keys to strings within the limits. Otherwise the table; err then
 * holds one line per key refused (a key English lacks, a placeholder its
 * English text lacks), which the table leaves out.
 */
struct catalog_table *catalog_parse(const char *origin, const char *text, size_t len,
	    const struct catalog_table *english, struct buf *err);
/* The same from a file (err says "cannot open" for a missing one). */
struct catalog_table *catalog_load_file(const char *path,
	    const struct catalog_table *english, struct buf *err);
/* The English compiled in. */
struct catalog_table *catalog_builtin_english(struct buf *err);
void	catalog_table_free(struct catalog_table *t);

/* The text of key, or NULL. */
const char *catalog_table_get(const struct catalog_table *t, const char *key);
size_t	catalog_table_count(const struct catalog_table *t);
/* The i-th key in file order (i < count), and its text in *text (may be NULL). */
const char *catalog_table_entry(const struct catalog_table *t, size_t i, const char **text);

#endif
