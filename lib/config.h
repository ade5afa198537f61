/*
 * config - the site configuration (herald.yaml) as a typed parameter table.
 *
 * Every parameter is declared once in config_params.h with its type,
 * default, bounds and one-line doc. config_load() reads a YAML mapping of
 * parameter names to scalars; an unknown key, a duplicate key or a value
 * of the wrong type is an error naming file, line and key. Values are read
 * through typed accessors by parameter id, so a misspelt name is a compile
 * error, not a runtime surprise.
 *
 * Virtual domains will load a domain's file over a copy of the site's
 * configuration (config_load_over): each value remembers where it was set.
 */
#ifndef HERALD_CONFIG_H
#define HERALD_CONFIG_H

#include <stdbool.h>

#include "buf.h"

enum config_type {
	CONFIG_STRING, CONFIG_PATH, CONFIG_INT, CONFIG_SIZE, CONFIG_BOOL,
	CONFIG_HOSTPORT, CONFIG_ADDRESS, CONFIG_FACILITY, CONFIG_ENUM,
};

enum config_param {
#define CONFIG_PARAM(id, name, type, def, min, max, choices, doc) CF_##id,
#include "config_params.h"
#undef CONFIG_PARAM
	CONFIG_NPARAMS
};

struct config;

/* The largest configuration file read, in bytes. */
#define CONFIG_FILE_MAX	(1024 * 1024)

/* The file named by -c, else $HERALD_CONFIG, else the compiled-in path. */
const char *config_path(const char *option);

/* Defaults only. */
struct config *config_defaults(void);
/* Defaults, then the file. NULL on any error; each error is a line in err. */
struct config *config_load(const char *path, struct buf *err);
/* A copy of base with the file applied over it (for virtual domains). */
struct config *config_load_over(const struct config *base, const char *path,
	    struct buf *err);
/* The same from text in memory; origin names it in errors. */
struct config *config_load_text(const struct config *base, const char *origin,
	    const char *text, size_t len, struct buf *err);
void config_free(struct config *cf);

const char *config_str(const struct config *cf, enum config_param id);
long long config_int(const struct config *cf, enum config_param id);
bool config_bool(const struct config *cf, enum config_param id);

/*
 * A HOSTPORT value ("host:port", "[v6]:port") into host (brackets
 * dropped; host is reset first) and port (1..65535). 0, or -1.
 */
int	config_split_hostport(const char *hp, struct buf *host,
	    unsigned short *port);
/* Whether the value was set by a file rather than being a default. */
bool config_explicit(const struct config *cf, enum config_param id);
/*
 * The addresses of a parameter that holds several (listmaster: commas or
 * blanks between), lower-cased, into *out; their number. Free them with
 * config_addresses_free().
 */
size_t config_addresses(const struct config *cf, enum config_param id,
	    char ***out);
void config_addresses_free(char **v, size_t n);

/* Parameter metadata. */
const char *config_name(enum config_param id);
const char *config_doc(enum config_param id);
enum config_type config_type_of(enum config_param id);
/* The id of a parameter name; -1 if there is none. */
int config_lookup(const char *name);

/*
 * The value parsers, shared with the list configuration (listconf.h):
 * a whole number, with a k/M/G suffix (powers of 1024) when with_unit is
 * set; yes/no, true/false, on/off as 1 or 0. -1 if s is none of those.
 */
int config_parse_number(const char *s, int with_unit, long long *out);
int config_parse_bool(const char *s, long long *out);

/* Set one parameter from text, checked as a file value would be. */
int config_set(struct config *cf, enum config_param id, const char *value,
	    const char *origin, struct buf *err);

#endif
