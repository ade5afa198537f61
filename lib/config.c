/*
 * config - herald.yaml read with libyaml into the typed parameter table.
 *
 * The file is one YAML mapping of parameter names to scalars. Every value
 * is checked against its parameter's type and bounds when it is set, so a
 * struct config that exists is a valid one. All errors of a file are
 * reported, one line each: "file:line: key: what is wrong".
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "log.h"
#include "mem.h"

#define CONFIG_VALUE_MAX	4096
#define CONFIG_ERRORS_MAX	100	/* then stop: the file is not a config */

struct config_def {
	const char	*name;
	enum config_type type;
	const char	*def;
	long long	 min, max;
	const char	*choices;	/* ENUM: "a|b|c" */
	const char	*doc;
};

static const struct config_def config_defs[CONFIG_NPARAMS] = {
#define CONFIG_PARAM(id, name, type, def, min, max, choices, doc) \
	{ name, CONFIG_##type, def, min, max, choices, doc },
#include "config_params.h"
#undef CONFIG_PARAM
};

struct config_value {
	char		*text;		/* as written, or derived */
	long long	 num;		/* INT, SIZE, BOOL */
	int		 explicit;	/* set by a file, not a default */
};

struct config {
	struct config_value v[CONFIG_NPARAMS];
};

const char *
config_path(const char *option)
{
	const char *env;

	if (option != NULL && *option)
		return option;
	if ((env = getenv("HERALD_CONFIG")) != NULL && *env)
		return env;
	return HERALD_CONFIG_PATH;
}

const char *
config_name(enum config_param id)
{
	return config_defs[id].name;
}

const char *
config_doc(enum config_param id)
{
	return config_defs[id].doc;
}

enum config_type
config_type_of(enum config_param id)
{
	return config_defs[id].type;
}

int
config_lookup(const char *name)
{
	for (int i = 0; i < CONFIG_NPARAMS; i++)
		if (strcmp(config_defs[i].name, name) == 0)
			return i;
	return -1;
}

/* Parse "123", "5k", "5M", "2G" (powers of 1024) into *out. */
int
config_parse_number(const char *s, int with_unit, long long *out)
{
	char *end;
	long long n, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	if (with_unit && *end) {
		switch (*end++) {
		case 'k': case 'K': mult = 1024LL; break;
		case 'm': case 'M': mult = 1024LL * 1024; break;
		case 'g': case 'G': mult = 1024LL * 1024 * 1024; break;
		default: return -1;
		}
	}
	if (*end != '\0' || n > LLONG_MAX / mult)
		return -1;
	*out = n * mult;
	return 0;
}

int
config_parse_bool(const char *s, long long *out)
{
	static const char *yes[] = { "yes", "true", "on" }, *no[] = { "no", "false", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (*out = 1), 0;
		if (strcasecmp(s, no[i]) == 0)
			return (*out = 0), 0;
	}
	return -1;
}

/* "host:port" or "[v6addr]:port", port 1..65535. */
static int
config_check_hostport(const char *s)
{
	const char *colon = strrchr(s, ':');
	long long port;

	if (colon == NULL || colon == s)
		return -1;
	if (s[0] == '[' && colon[-1] != ']')
		return -1;
	if (config_parse_number(colon + 1, 0, &port) < 0 || port < 1 || port > 65535)
		return -1;
	for (const char *p = s; p < colon; p++)
		if (isspace((unsigned char)*p))
			return -1;
	return 0;
}

/* A plain local@domain: the full address grammar belongs to lib/addr. */
static int
config_check_address(const char *s)
{
	const char *at = strrchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(s, '@') != at)
		return -1;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || *p == '<' || *p == '>')
			return -1;
	return 0;
}

/* Whether s is one of the '|'-separated choices. */
static int
config_in_choices(const char *choices, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = choices; p && *p; p += strcspn(p, "|") + (p[strcspn(p, "|")] != 0))
		if (strcspn(p, "|") == n && strncmp(p, s, n) == 0)
			return 0;
	return -1;
}

static int
config_has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/* Check text against the parameter's type; the reason goes to why. */
static int
config_check(const struct config_def *d, const char *text, long long *num,
    const char **why)
{
	*num = 0;
	if (strlen(text) > CONFIG_VALUE_MAX)
		return (*why = "value too long"), -1;
	if (config_has_control(text))
		return (*why = "control characters in value"), -1;
	switch (d->type) {
	case CONFIG_STRING:
		return 0;
	case CONFIG_PATH:
		if (text[0] != '/')
			return (*why = "expected an absolute path"), -1;
		return 0;
	case CONFIG_INT:
	case CONFIG_SIZE:
		if (config_parse_number(text, d->type == CONFIG_SIZE, num) < 0)
			return (*why = d->type == CONFIG_SIZE ?
			    "expected a size such as 512k, 5M or 1G" :
			    "expected a whole number"), -1;
		if (*num < d->min || *num > d->max)
			return (*why = "value out of range"), -1;
		return 0;
	case CONFIG_BOOL:
		if (config_parse_bool(text, num) < 0)
			return (*why = "expected yes or no"), -1;
		return 0;
	case CONFIG_HOSTPORT:
		if (config_check_hostport(text) < 0)
			return (*why = "expected host:port"), -1;
		return 0;
	case CONFIG_ADDRESS:
		if (config_check_address(text) < 0)
			return (*why = "expected an address local@domain"), -1;
		return 0;
	case CONFIG_ENUM:
		if (config_in_choices(d->choices, text) < 0)
			return (*why = "not one of the allowed values"), -1;
		return 0;
	case CONFIG_FACILITY:
		if (log_facility_code(text) < 0)
			return (*why = "expected a syslog facility (mail, daemon, user, local0..local7)"), -1;
		return 0;
	}
	return (*why = "unknown type"), -1;
}

static void
config_store(struct config_value *v, const char *text, long long num, int explicit)
{
	free(v->text);
	v->text = xstrdup(text);
	v->num = num;
	v->explicit = explicit;
}

int
config_set(struct config *cf, enum config_param id, const char *value,
    const char *origin, struct buf *err)
{
	const struct config_def *d = &config_defs[id];
	const char *why = NULL;
	long long num;

	/* An empty value restores a derived default. */
	if (*value == '\0' && *d->def == '\0') {
		config_store(&cf->v[id], "", 0, 0);
		return 0;
	}
	if (*value == '\0')
		why = "empty value";
	else if (config_check(d, value, &num, &why) == 0) {
		config_store(&cf->v[id], value, num, 1);
		return 0;
	}
	if (err != NULL) {
		if (d->type == CONFIG_ENUM)
			buf_printf(err, "%s: %s: %s '%s' (%s)\n", origin, d->name, why, value,
			    d->choices);
		else if (d->type == CONFIG_INT || d->type == CONFIG_SIZE)
			buf_printf(err, "%s: %s: %s '%s' (allowed %lld..%lld)\n",
			    origin, d->name, why, value, d->min, d->max);
		else
			buf_printf(err, "%s: %s: %s '%s'\n", origin, d->name, why, value);
	}
	return -1;
}

/* Defaults that depend on other values or on the machine. */
static void
config_derive(struct config *cf)
{
	char host[256];
	struct buf b = BUF_INIT(CONFIG_VALUE_MAX + 64);

	if (!cf->v[CF_LISTMASTER].explicit) {
		buf_printf(&b, "listmaster@%s", cf->v[CF_DOMAIN].text);
		config_store(&cf->v[CF_LISTMASTER], buf_cstr(&b), 0, 0);
	}
	if (!cf->v[CF_LISTS_DIRECTORY].explicit) {
		buf_reset(&b);
		buf_printf(&b, "%s/lists", cf->v[CF_STATE_DIRECTORY].text);
		config_store(&cf->v[CF_LISTS_DIRECTORY], buf_cstr(&b), 0, 0);
	}
	if (!cf->v[CF_BOUNCE_DIRECTORY].explicit) {
		buf_reset(&b);
		buf_printf(&b, "%s/bounce", cf->v[CF_STATE_DIRECTORY].text);
		config_store(&cf->v[CF_BOUNCE_DIRECTORY], buf_cstr(&b), 0, 0);
	}
	if (!cf->v[CF_ALIAS_FILE].explicit) {
		buf_reset(&b);
		buf_printf(&b, "%s/aliases", cf->v[CF_STATE_DIRECTORY].text);
		config_store(&cf->v[CF_ALIAS_FILE], buf_cstr(&b), 0, 0);
	}
	if (!cf->v[CF_MYHOSTNAME].explicit && *cf->v[CF_MYHOSTNAME].text == '\0') {
		if (gethostname(host, sizeof host) < 0 || host[0] == '\0')
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		config_store(&cf->v[CF_MYHOSTNAME], host, 0, 0);
	}
	buf_free(&b);
}

struct config *
config_defaults(void)
{
	struct config *cf = xcalloc(1, sizeof *cf);
	const char *why;
	long long num;

	for (int i = 0; i < CONFIG_NPARAMS; i++) {
		num = 0;
		if (*config_defs[i].def && config_check(&config_defs[i],
		    config_defs[i].def, &num, &why) < 0)
			log_fatal(70, "internal: bad default for %s: %s",
			    config_defs[i].name, why);
		config_store(&cf->v[i], config_defs[i].def, num, 0);
	}
	config_derive(cf);
	return cf;
}

static struct config *
config_copy(const struct config *base)
{
	struct config *cf = xcalloc(1, sizeof *cf);

	for (int i = 0; i < CONFIG_NPARAMS; i++) {
		cf->v[i] = base->v[i];
		cf->v[i].text = xstrdup(base->v[i].text);
	}
	return cf;
}

void
config_free(struct config *cf)
{
	if (cf == NULL)
		return;
	for (int i = 0; i < CONFIG_NPARAMS; i++)
		free(cf->v[i].text);
	free(cf);
}

static int
config_read_file(const char *path, struct buf *text, struct buf *err)
{
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_printf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		if (buf_append(text, chunk, (size_t)n) < 0) {
			buf_printf(err, "%s: larger than %d bytes\n", path, CONFIG_FILE_MAX);
			close(fd);
			return -1;
		}
	}
	if (n < 0)
		buf_printf(err, "%s: cannot read: %s\n", path, strerror(errno));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* The YAML walk: one mapping of scalar keys to scalar values. */
struct config_reader {
	const char	*path;
	yaml_parser_t	 parser;
	struct config	*cf;
	struct buf	*err;
	int		 errors;
	unsigned char	 seen[CONFIG_NPARAMS];
};

static void
config_error(struct config_reader *r, size_t line, const char *key, const char *msg)
{
	if (key)
		buf_printf(r->err, "%s:%zu: %s: %s\n", r->path, line + 1, key, msg);
	else
		buf_printf(r->err, "%s:%zu: %s\n", r->path, line + 1, msg);
	r->errors++;
}

static int
config_next(struct config_reader *r, yaml_event_t *ev)
{
	if (yaml_parser_parse(&r->parser, ev))
		return 0;
	buf_printf(r->err, "%s:%zu: YAML syntax error: %s\n", r->path,
	    r->parser.problem_mark.line + 1,
	    r->parser.problem ? r->parser.problem : "unknown problem");
	r->errors++;
	return -1;
}

/* Skip a value that is not a scalar (a sequence or mapping), whole. */
static int
config_skip_node(struct config_reader *r, yaml_event_t *first)
{
	int depth = 1;
	yaml_event_t ev;

	if (first->type != YAML_SEQUENCE_START_EVENT && first->type != YAML_MAPPING_START_EVENT)
		return 0;
	while (depth > 0) {
		if (config_next(r, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
	}
	return 0;
}

static void
config_apply_pair(struct config_reader *r, const char *key, size_t line,
    yaml_event_t *value)
{
	char origin[512];
	int id = config_lookup(key);

	if (id < 0) {
		config_error(r, line, key, "unknown parameter");
		return;
	}
	if (r->seen[id]++) {
		config_error(r, line, key, "set twice");
		return;
	}
	if (value->type != YAML_SCALAR_EVENT) {
		config_error(r, value->start_mark.line, key, "expected a single value");
		return;
	}
	snprintf(origin, sizeof origin, "%s:%zu", r->path, value->start_mark.line + 1);
	if (config_set(r->cf, (enum config_param)id,
	    (const char *)value->data.scalar.value, origin, r->err) < 0)
		r->errors++;
}

/* The pairs of the top mapping; a value that is not a scalar is skipped whole. */
static int
config_walk_mapping(struct config_reader *r)
{
	yaml_event_t key, value;

	for (;;) {
		if (r->errors > CONFIG_ERRORS_MAX || config_next(r, &key) < 0)
			return -1;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		if (key.type == YAML_STREAM_END_EVENT || key.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&key);
			return -1;	/* libyaml reports a syntax error first */
		}
		if (key.type != YAML_SCALAR_EVENT) {
			config_error(r, key.start_mark.line, NULL, "expected a parameter name");
			if (config_skip_node(r, &key) < 0) {
				yaml_event_delete(&key);
				return -1;
			}
		}
		if (config_next(r, &value) < 0) {
			yaml_event_delete(&key);
			return -1;
		}
		if (key.type == YAML_SCALAR_EVENT)
			config_apply_pair(r, (const char *)key.data.scalar.value,
			    key.start_mark.line, &value);
		yaml_event_delete(&key);
		if (config_skip_node(r, &value) < 0) {
			yaml_event_delete(&value);
			return -1;
		}
		yaml_event_delete(&value);
	}
}

/* Walk the stream: an empty document is fine; anything else is a mapping. */
static int
config_walk(struct config_reader *r)
{
	yaml_event_t ev;
	int rc = 0, done = 0;

	while (!done && rc == 0) {
		if (config_next(r, &ev) < 0)
			return -1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_MAPPING_START_EVENT:
			rc = config_walk_mapping(r);
			break;
		case YAML_SCALAR_EVENT:
			if (ev.data.scalar.length > 0 || ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
				config_error(r, ev.start_mark.line, NULL,
				    "expected a mapping of parameter names to values");
			break;
		case YAML_SEQUENCE_START_EVENT:
			config_error(r, ev.start_mark.line, NULL,
			    "expected a mapping of parameter names to values");
			rc = config_skip_node(r, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	return rc;
}

struct config *
config_load_text(const struct config *base, const char *origin, const char *text,
    size_t len, struct buf *err)
{
	struct config_reader r = { .path = origin, .err = err };

	r.cf = base ? config_copy(base) : config_defaults();
	yaml_parser_initialize(&r.parser);
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	if (config_walk(&r) < 0 || r.errors > 0) {
		yaml_parser_delete(&r.parser);
		config_free(r.cf);
		return NULL;
	}
	yaml_parser_delete(&r.parser);
	config_derive(r.cf);
	return r.cf;
}

struct config *
config_load_over(const struct config *base, const char *path, struct buf *err)
{
	struct buf text = BUF_INIT(CONFIG_FILE_MAX);
	struct config *cf = NULL;

	if (config_read_file(path, &text, err) == 0)
		cf = config_load_text(base, path, buf_cstr(&text), text.len, err);
	buf_free(&text);
	return cf;
}

struct config *
config_load(const char *path, struct buf *err)
{
	return config_load_over(NULL, path, err);
}

const char *
config_str(const struct config *cf, enum config_param id)
{
	return cf->v[id].text;
}

long long
config_int(const struct config *cf, enum config_param id)
{
	return cf->v[id].num;
}

bool
config_bool(const struct config *cf, enum config_param id)
{
	return cf->v[id].num != 0;
}

bool
config_explicit(const struct config *cf, enum config_param id)
{
	return cf->v[id].explicit != 0;
}

size_t
config_addresses(const struct config *cf, enum config_param id, char ***out)
{
	const char *s = config_str(cf, id);
	size_t n = 0;

	*out = NULL;
	while (*s != '\0') {
		size_t k;

		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		for (k = 0; s[k] != '\0' && s[k] != ',' &&
		    !isspace((unsigned char)s[k]); k++)
			;
		if (k == 0)
			break;
		*out = xreallocarray(*out, n + 1, sizeof(char *));
		(*out)[n] = xstrndup(s, k);
		for (char *c = (*out)[n]; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		n++;
		s += k;
	}
	return n;
}

void
config_addresses_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
config_split_hostport(const char *hp, struct buf *host, unsigned short *port)
{
	const char *colon = strrchr(hp, ':');
	const char *h = hp, *e;
	long p;
	char *end;

	if (colon == NULL)
		return -1;
	e = colon;
	if (*h == '[' && e > h + 1 && e[-1] == ']') {
		h++;
		e--;
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || p < 1 || p > 65535 || e == h)
		return -1;
	*port = (unsigned short)p;
	buf_reset(host);
	return buf_append(host, h, (size_t)(e - h));
}
