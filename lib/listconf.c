/*
 * listconf - config.yaml read with libyaml into the typed list parameters.
 *
 * The file is parsed in two steps: libyaml's events are built into a small
 * tree (scalars, sequences, mappings, each with its line) in a scratch
 * arena, then the tree is walked against the table of listconf_params.h.
 * The tree makes shape errors ("expected a mapping") easy to report with
 * the right line, and the arena makes a parse cost a few allocations,
 * whatever the file holds.
 *
 * A struct listconf keeps only the values its file sets, in an index by
 * parameter id and an arena of its own: ten thousand lists with a handful
 * of values each cost a few megabytes. Every other value is the table's
 * default, parsed when asked for.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "addr.h"
#include "listconf.h"
#include "listname.h"
#include "mem.h"

#define LC_STRING_MAX	4096		/* one-line values */
#define LC_TEXT_MAX	(64 * 1024)	/* message_header, message_footer */
#define LC_SCENARIO_MAX	100
#define LC_ITEMS_MAX	1000		/* items of one sequence or mapping */
#define LC_DEPTH_MAX	8		/* nesting of the YAML tree */
#define LC_ERRORS_MAX	50		/* then stop: the file is not a config */
#define LC_FIELD_MAX	76		/* a header field name */

struct lc_def {
	const char	*name;
	enum listconf_type type;
	const char	*def;
	long long	 min, max;
	const char	*choices;
	const char	*doc;
};

static const struct lc_def lc_defs[LISTCONF_NPARAMS] = {
#define LISTCONF_PARAM(id, name, type, def, min, max, choices, doc) \
	{ name, LISTCONF_##type, def, min, max, choices, doc },
#include "listconf_params.h"
#undef LISTCONF_PARAM
};

/* Bump allocation: what a list or a parse holds is freed at once. */
struct lc_chunk {
	struct lc_chunk	*next;
	size_t		 used, cap;
	max_align_t	 data[];
};

struct lc_arena {
	struct lc_chunk	*head;
};

/* One value the file sets; p points into the list's arena. */
struct lc_value {
	const void	*p;	/* char * text; or the items of a sequence */
	long long	 num;
	uint32_t	 n;	/* items of a sequence */
	uint16_t	 id;
	uint8_t		 explicit;
};

struct listconf {
	struct lc_arena	 arena;
	struct lc_value	*v;		/* in the arena */
	uint8_t		 nv;
	uint8_t		 index[LISTCONF_NPARAMS];	/* 1 + position in v, 0: default */
	const char	*warnings;	/* "" or lines */
};

/* The YAML tree of one file. */
enum lc_kind { LC_NULL, LC_SCALAR, LC_SEQ, LC_MAP };

struct lc_node {
	enum lc_kind	 kind;
	size_t		 line;		/* from 1 */
	const char	*text;		/* LC_SCALAR */
	size_t		 len;
	struct lc_node	*first, *last;	/* children; a mapping alternates key, value */
	size_t		 n;
	struct lc_node	*next;
};

struct lc_reader {
	const char	*origin;
	const struct config *cf;
	struct buf	*err;
	struct buf	 warn;
	int		 errors;
	struct lc_arena	 scratch;	/* the tree */
	struct listconf	*lc;
	struct lc_value	 v[LISTCONF_NPARAMS];
	uint8_t		 seen[LISTCONF_NPARAMS];
};

/* ---- arena ---- */

static void *
lc_alloc(struct lc_arena *a, size_t n)
{
	struct lc_chunk *c = a->head;
	size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (c == NULL || c->cap - c->used < need) {
		size_t cap = c == NULL ? 512 : c->cap * 2;

		if (cap < need)
			cap = need;
		if (cap > 64 * 1024 && need <= 64 * 1024)
			cap = 64 * 1024;
		c = xmalloc(sizeof *c + cap);
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

static char *
lc_strndup(struct lc_arena *a, const char *s, size_t n)
{
	char *p = lc_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void
lc_arena_free(struct lc_arena *a)
{
	struct lc_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---- metadata ---- */

const char *
listconf_name(enum listconf_param id)
{
	return lc_defs[id].name;
}

const char *
listconf_doc(enum listconf_param id)
{
	return lc_defs[id].doc;
}

enum listconf_type
listconf_type_of(enum listconf_param id)
{
	return lc_defs[id].type;
}

const char *
listconf_default(enum listconf_param id)
{
	return lc_defs[id].def;
}

const char *
listconf_choices(enum listconf_param id)
{
	return lc_defs[id].choices;
}

const char *
listconf_type_name(enum listconf_type t)
{
	static const char *const names[] = {
		"string", "text", "scenario", "integer", "size", "boolean", "enum",
		"address", "regex", "path", "dns name", "family", "mapping",
		"admins", "headers", "set", "fields", "days", "vars",
	};

	return (size_t)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

int
listconf_lookup(const char *name)
{
	for (int i = 0; i < LISTCONF_NPARAMS; i++)
		if (strcmp(lc_defs[i].name, name) == 0)
			return i;
	return -1;
}

/* The id of key "key" of map parent, or -1. */
static int
lc_lookup_sub(int parent, const char *key)
{
	const char *pname = lc_defs[parent].name;
	size_t plen = strlen(pname);

	for (int i = parent + 1; i < LISTCONF_NPARAMS; i++) {
		if (strncmp(lc_defs[i].name, pname, plen) != 0 || lc_defs[i].name[plen] != '.')
			break;	/* a map's keys follow it in the table */
		if (strcmp(lc_defs[i].name + plen + 1, key) == 0)
			return i;
	}
	return -1;
}

int
listconf_parent(enum listconf_param id)
{
	const char *dot = strchr(lc_defs[id].name, '.');

	for (int i = (int)id - 1; dot != NULL && i >= 0; i--)
		if (lc_defs[i].type == LISTCONF_MAP &&
		    strncmp(lc_defs[i].name, lc_defs[id].name, (size_t)(dot - lc_defs[id].name)) == 0 &&
		    lc_defs[i].name[dot - lc_defs[id].name] == '\0')
			return i;
	return -1;
}

/* ---- choices and small parsers ---- */

/* The index of s among the '|'-separated choices; -1 if none. */
static int
lc_choice_index(const char *choices, const char *s, size_t n)
{
	int i = 0;

	for (const char *p = choices; p != NULL && *p; i++) {
		size_t len = strcspn(p, "|");

		if (len == n && strncmp(p, s, n) == 0)
			return i;
		p += len;
		if (*p == '|')
			p++;
	}
	return -1;
}

static int
lc_has_control(const char *s, size_t n, int lines)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (lines && (c == '\n' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return 1;
	}
	return 0;
}

static int
lc_is_scenario(const char *s)
{
	if (*s == '\0' || strlen(s) > LC_SCENARIO_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.' && *s != ',')
			return 0;
	return 1;
}

/* A header field name (RFC 5322 ftext). */
static int
lc_is_field_name(const char *s, size_t n)
{
	if (n == 0 || n > LC_FIELD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127 || s[i] == ':')
			return 0;
	return 1;
}

static int
lc_is_family(const char *s)
{
	if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s))
		return 0;
	if (strlen(s) > LISTNAME_MAX)
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    strchr("-.+_", *s) == NULL)
			return 0;
	return 1;
}

static int
lc_is_var_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 50)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int
lc_regex_ok(const char *s)
{
	pcre2_code *re;
	int code;
	PCRE2_SIZE off;

	re = pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
	if (re == NULL)
		return 0;
	pcre2_code_free(re);
	return 1;
}

/* ---- the YAML tree ---- */

static void
lc_error(struct lc_reader *r, size_t line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
lc_error(struct lc_reader *r, size_t line, const char *key, const char *fmt, ...)
{
	va_list ap;

	r->errors++;
	if (r->errors > LC_ERRORS_MAX)
		return;
	if (key != NULL)
		buf_printf(r->err, "%s:%zu: %s: ", r->origin, line, key);
	else
		buf_printf(r->err, "%s:%zu: ", r->origin, line);
	va_start(ap, fmt);
	buf_vprintf(r->err, fmt, ap);
	va_end(ap);
	buf_putc(r->err, '\n');
	if (r->errors == LC_ERRORS_MAX + 1)
		buf_printf(r->err, "%s: too many errors\n", r->origin);
}

static int
lc_next(struct lc_reader *r, yaml_parser_t *p, yaml_event_t *ev)
{
	if (yaml_parser_parse(p, ev))
		return 0;
	lc_error(r, p->problem_mark.line + 1, NULL, "YAML syntax error: %s",
	    p->problem ? p->problem : "unknown problem");
	return -1;
}

static void
lc_add_child(struct lc_node *parent, struct lc_node *child)
{
	if (parent->last)
		parent->last->next = child;
	else
		parent->first = child;
	parent->last = child;
	parent->n++;
}

/*
 * The node that starts with ev (consumed by the caller), its children
 * read from p. NULL on a syntax error or a structure too deep or too wide.
 */
static struct lc_node *
lc_build(struct lc_reader *r, yaml_parser_t *p, yaml_event_t *ev, int depth)
{
	struct lc_node *node = lc_alloc(&r->scratch, sizeof *node);
	yaml_event_t cev;
	yaml_event_type_t end;

	memset(node, 0, sizeof *node);
	node->line = ev->start_mark.line + 1;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		node->len = ev->data.scalar.length;
		node->text = lc_strndup(&r->scratch, (const char *)ev->data.scalar.value, node->len);
		node->kind = LC_SCALAR;
		/* A plain empty scalar, ~ or null is no value at all. */
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (node->len == 0 || strcmp(node->text, "~") == 0 ||
		    strcmp(node->text, "null") == 0 || strcmp(node->text, "Null") == 0 ||
		    strcmp(node->text, "NULL") == 0))
			node->kind = LC_NULL;
		return node;
	case YAML_ALIAS_EVENT:
		lc_error(r, node->line, NULL, "YAML aliases (*name) are not supported");
		return NULL;
	case YAML_SEQUENCE_START_EVENT:
		node->kind = LC_SEQ;
		end = YAML_SEQUENCE_END_EVENT;
		break;
	case YAML_MAPPING_START_EVENT:
		node->kind = LC_MAP;
		end = YAML_MAPPING_END_EVENT;
		break;
	default:
		lc_error(r, node->line, NULL, "unexpected YAML event");
		return NULL;
	}
	if (depth >= LC_DEPTH_MAX) {
		lc_error(r, node->line, NULL, "nested too deep");
		return NULL;
	}
	for (;;) {
		struct lc_node *child;

		if (lc_next(r, p, &cev) < 0)
			return NULL;
		if (cev.type == end) {
			yaml_event_delete(&cev);
			return node;
		}
		child = lc_build(r, p, &cev, depth + 1);
		yaml_event_delete(&cev);
		if (child == NULL)
			return NULL;
		if (node->n >= 2 * LC_ITEMS_MAX) {
			lc_error(r, child->line, NULL, "more than %d items", LC_ITEMS_MAX);
			return NULL;
		}
		lc_add_child(node, child);
	}
}

/* The document's root node; an empty file is an empty mapping. */
static struct lc_node *
lc_parse(struct lc_reader *r, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct lc_node *root = NULL;
	int docs = 0, ok = 1;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (ok) {
		if (lc_next(r, &p, &ev) < 0) {
			ok = 0;
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			lc_error(r, ev.start_mark.line + 1, NULL, "more than one YAML document");
			ok = 0;
		} else if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_ALIAS_EVENT) {
			if ((root = lc_build(r, &p, &ev, 0)) == NULL)
				ok = 0;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (!ok)
		return NULL;
	if (root == NULL || root->kind == LC_NULL) {
		root = lc_alloc(&r->scratch, sizeof *root);
		memset(root, 0, sizeof *root);
		root->kind = LC_MAP;
		root->line = 1;
	}
	if (root->kind != LC_MAP) {
		lc_error(r, root->line, NULL, "expected a mapping of parameter names to values");
		return NULL;
	}
	return root;
}

/* ---- values ---- */

static const char *
lc_shape(enum lc_kind k)
{
	return k == LC_MAP ? "a mapping" : k == LC_SEQ ? "a sequence" :
	    k == LC_NULL ? "nothing" : "a single value";
}

/* A scalar's text for a key: NULL (with the error reported) if not a scalar. */
static const char *
lc_scalar(struct lc_reader *r, const struct lc_node *n, const char *key)
{
	if (n->kind == LC_SCALAR)
		return n->text;
	lc_error(r, n->line, key, "expected a single value, not %s", lc_shape(n->kind));
	return NULL;
}

static struct lc_value *
lc_set(struct lc_reader *r, int id, const void *p, long long num, uint32_t n)
{
	struct lc_value *v = &r->v[id];

	v->id = (uint16_t)id;
	v->p = p;
	v->num = num;
	v->n = n;
	v->explicit = 1;
	return v;
}

static char *
lc_keep(struct lc_reader *r, const char *s)
{
	return lc_strndup(&r->lc->arena, s, strlen(s));
}

/* Check and store a scalar value of a scalar type. */
static void
lc_scalar_value(struct lc_reader *r, int id, const struct lc_node *n, const char *key)
{
	const struct lc_def *d = &lc_defs[id];
	const char *s;
	long long num = 0;
	int i;
	struct buf canon = BUF_INIT(ADDR_SPEC_MAX + 1);

	if (n->kind == LC_NULL && d->def != NULL && *d->def == '\0' &&
	    d->type != LISTCONF_INT && d->type != LISTCONF_SIZE) {
		lc_set(r, id, "", 0, 0);	/* an empty value: none, as the default */
		return;
	}
	if ((s = lc_scalar(r, n, key)) == NULL)
		return;
	if (n->len != strlen(s)) {
		lc_error(r, n->line, key, "NUL byte in value");
		return;
	}
	if (*s == '\0' && d->def != NULL && *d->def == '\0' && d->type != LISTCONF_INT) {
		lc_set(r, id, "", 0, 0);
		return;
	}
	if (*s == '\0') {
		lc_error(r, n->line, key, "empty value");
		return;
	}
	if (n->len > (d->type == LISTCONF_TEXT ? LC_TEXT_MAX : LC_STRING_MAX)) {
		lc_error(r, n->line, key, "value too long");
		return;
	}
	if (lc_has_control(s, n->len, d->type == LISTCONF_TEXT)) {
		lc_error(r, n->line, key, d->type == LISTCONF_TEXT ?
		    "control characters in value" : "control characters or newlines in value");
		return;
	}
	switch (d->type) {
	case LISTCONF_STRING:
	case LISTCONF_TEXT:
		lc_set(r, id, lc_keep(r, s), 0, 0);
		return;
	case LISTCONF_SCENARIO: {
		char *t;

		if (!lc_is_scenario(s)) {
			lc_error(r, n->line, key, "expected a scenario name ([-.,a-zA-Z0-9_]+) '%s'", s);
			return;
		}
		/* Sympa's rule: "open,notify" names the scenario open_notify. */
		t = lc_keep(r, s);
		for (char *c = t; *c; c++)
			if (*c == ',')
				*c = '_';
		lc_set(r, id, t, 0, 0);
		return;
	}
	case LISTCONF_INT:
	case LISTCONF_SIZE:
		if (config_parse_number(s, d->type == LISTCONF_SIZE, &num) < 0) {
			lc_error(r, n->line, key, d->type == LISTCONF_SIZE ?
			    "expected a size such as 512k, 5M or 1G, not '%s'" :
			    "expected a whole number, not '%s'", s);
			return;
		}
		if (num < d->min || num > d->max) {
			lc_error(r, n->line, key, "value out of range '%s' (allowed %lld..%lld)",
			    s, d->min, d->max);
			return;
		}
		break;
	case LISTCONF_BOOL:
		if (config_parse_bool(s, &num) < 0) {
			lc_error(r, n->line, key, "expected on or off, not '%s'", s);
			return;
		}
		lc_set(r, id, num ? "on" : "off", num, 0);
		return;
	case LISTCONF_ENUM:
		if ((i = lc_choice_index(d->choices, s, strlen(s))) < 0) {
			lc_error(r, n->line, key, "not one of the allowed values '%s' (%s)", s,
			    d->choices);
			return;
		}
		num = i;
		break;
	case LISTCONF_ADDRESS:
		if (!addr_is_valid_email(s) || addr_canonical(s, strlen(s), 0, &canon) < 0) {
			lc_error(r, n->line, key, "expected an address local@domain, not '%s'", s);
			buf_free(&canon);
			return;
		}
		lc_set(r, id, lc_keep(r, buf_cstr(&canon)), 0, 0);
		buf_free(&canon);
		return;
	case LISTCONF_REGEX:
		if (!lc_regex_ok(s)) {
			lc_error(r, n->line, key, "not a valid regular expression '%s'", s);
			return;
		}
		break;
	case LISTCONF_PATH:
		if (s[0] != '/') {
			lc_error(r, n->line, key, "expected an absolute path, not '%s'", s);
			return;
		}
		break;
	case LISTCONF_DNSNAME: {
		char *t = lc_keep(r, s);
		const char *why;

		for (char *c = t; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (listname_check_domain(t, &why) < 0) {
			lc_error(r, n->line, key, "%s '%s'", why, s);
			return;
		}
		lc_set(r, id, t, 0, 0);
		return;
	}
	case LISTCONF_FAMILY:
		if (!lc_is_family(s)) {
			lc_error(r, n->line, key, "expected a family name ([a-z0-9][-.+_a-z0-9]*), not '%s'", s);
			return;
		}
		break;
	default:
		lc_error(r, n->line, key, "internal: not a scalar type");
		return;
	}
	lc_set(r, id, lc_keep(r, s), num, 0);
}

/*
 * The items of a SET, FIELDS or DAYS value: a sequence of scalars or one
 * comma-separated scalar (Sympa's split_char). Items go to items[], up
 * to max; returns their number or -1 (error reported).
 */
static int
lc_items(struct lc_reader *r, const struct lc_node *n, const char *key,
    const char **items, int max)
{
	int count = 0;

	if (n->kind == LC_NULL)
		return 0;
	if (n->kind == LC_SCALAR) {
		/* Split a copy in the scratch arena at commas, trimming blanks. */
		char *s = lc_strndup(&r->scratch, n->text, n->len), *tok, *save = NULL;

		for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char *end;

			while (*tok == ' ' || *tok == '\t')
				tok++;
			end = tok + strlen(tok);
			while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = '\0';
			if (count >= max) {
				lc_error(r, n->line, key, "too many items");
				return -1;
			}
			items[count++] = tok;
		}
		return count;
	}
	if (n->kind != LC_SEQ) {
		lc_error(r, n->line, key, "expected a sequence or a comma-separated list, not %s",
		    lc_shape(n->kind));
		return -1;
	}
	for (const struct lc_node *c = n->first; c; c = c->next) {
		if (c->kind != LC_SCALAR || c->len != strlen(c->text)) {
			lc_error(r, c->line, key, "expected a single value as item, not %s",
			    lc_shape(c->kind));
			return -1;
		}
		if (count >= max) {
			lc_error(r, c->line, key, "too many items");
			return -1;
		}
		items[count++] = c->text;
	}
	return count;
}

static void
lc_list_value(struct lc_reader *r, int id, const struct lc_node *n, const char *key)
{
	const struct lc_def *d = &lc_defs[id];
	const char *items[LC_ITEMS_MAX];
	struct buf text = BUF_INIT(LC_STRING_MAX * 4);
	const char **kept;
	long long mask = 0;
	int count, bad = 0;

	if ((count = lc_items(r, n, key, items, LC_ITEMS_MAX)) < 0)
		return;
	for (int i = 0; i < count; i++) {
		int k = -1;

		if (d->type == LISTCONF_FIELDS) {
			if (!lc_is_field_name(items[i], strlen(items[i]))) {
				lc_error(r, n->line, key, "not a header field name '%s'", items[i]);
				bad = 1;
			}
			continue;
		}
		if (d->type == LISTCONF_DAYS)
			k = strlen(items[i]) == 1 && items[i][0] >= '0' && items[i][0] <= '6' ?
			    items[i][0] - '0' : -1;
		else
			k = lc_choice_index(d->choices, items[i], strlen(items[i]));
		if (k < 0) {
			if (d->type == LISTCONF_DAYS)
				lc_error(r, n->line, key, "expected a week day 0..6 (0 is Sunday), not '%s'",
				    items[i]);
			else
				lc_error(r, n->line, key, "not one of the allowed values '%s' (%s)",
				    items[i], d->choices);
			bad = 1;
		} else if (mask & (1LL << k)) {
			lc_error(r, n->line, key, "'%s' given twice", items[i]);
			bad = 1;
		} else {
			mask |= 1LL << k;
		}
	}
	if (bad) {
		buf_free(&text);
		return;
	}
	/* Days are kept in week order, whatever order the file gives. */
	if (d->type == LISTCONF_DAYS) {
		static const char *const days[] = { "0", "1", "2", "3", "4", "5", "6" };

		count = 0;
		for (int k = 0; k < 7; k++)
			if (mask & (1LL << k))
				items[count++] = days[k];
	}
	/* The items, then their comma-separated text in one more slot. */
	kept = lc_alloc(&r->lc->arena, (size_t)(count + 1) * sizeof *kept);
	for (int i = 0; i < count; i++) {
		kept[i] = lc_keep(r, items[i]);
		buf_printf(&text, "%s%s", i ? "," : "", items[i]);
	}
	kept[count] = lc_keep(r, buf_cstr(&text));
	lc_set(r, id, kept, mask, (uint32_t)count);
	buf_free(&text);
}

static void
lc_headers_value(struct lc_reader *r, int id, const struct lc_node *n, const char *key)
{
	const char **kept;
	size_t i = 0;

	if (n->kind == LC_NULL) {
		lc_set(r, id, NULL, 0, 0);
		return;
	}
	if (n->kind != LC_SEQ) {
		lc_error(r, n->line, key, "expected a sequence of \"Field: value\", not %s",
		    lc_shape(n->kind));
		return;
	}
	kept = lc_alloc(&r->lc->arena, (n->n ? n->n : 1) * sizeof *kept);
	for (const struct lc_node *c = n->first; c; c = c->next) {
		const char *colon;

		if (c->kind != LC_SCALAR) {
			lc_error(r, c->line, key, "expected \"Field: value\", not %s", lc_shape(c->kind));
			return;
		}
		colon = memchr(c->text, ':', c->len);
		if (colon == NULL || !lc_is_field_name(c->text, (size_t)(colon - c->text))) {
			lc_error(r, c->line, key, "expected \"Field: value\" with a field name, not '%s'",
			    c->text);
			return;
		}
		if (c->len > LC_STRING_MAX || strlen(c->text) != c->len ||
		    lc_has_control(c->text, c->len, 0)) {
			lc_error(r, c->line, key, "a header line has no newline or control character");
			return;
		}
		kept[i++] = lc_keep(r, c->text);
	}
	lc_set(r, id, kept, 0, (uint32_t)i);
}

/* One owner or editor entry. */
static int
lc_admin(struct lc_reader *r, int id, const struct lc_node *n, size_t pos,
    struct listconf_admin *a)
{
	static const char *const keys[] = { "email", "gecos", "profile", "reception", "visibility" };
	static const char *const choices[] = { NULL, NULL, "normal|privileged", "mail|nomail",
	    "conceal|noconceal" };
	const char *vals[5] = { NULL, "", "normal", "mail", "noconceal" };
	char key[64];
	int bad = 0;
	unsigned seen = 0;
	struct buf canon = BUF_INIT(ADDR_SPEC_MAX + 1);

	snprintf(key, sizeof key, "%s[%zu]", lc_defs[id].name, pos);
	if (n->kind != LC_MAP) {
		lc_error(r, n->line, key, "expected a mapping with email, gecos, profile, "
		    "reception, visibility, not %s", lc_shape(n->kind));
		return -1;
	}
	for (const struct lc_node *k = n->first; k && k->next; k = k->next->next) {
		const struct lc_node *v = k->next;
		const char *s;
		size_t i;

		if (k->kind != LC_SCALAR) {
			lc_error(r, k->line, key, "expected a key");
			bad = 1;
			continue;
		}
		for (i = 0; i < 5 && strcmp(keys[i], k->text) != 0; i++)
			;
		snprintf(key, sizeof key, "%s[%zu].%.20s", lc_defs[id].name, pos, k->text);
		if (i == 5 || (i == 2 && lc_defs[id].choices == NULL)) {
			lc_error(r, k->line, key, i == 5 ? "unknown key" : "only owners have a profile");
			bad = 1;
			continue;
		}
		if (seen & (1u << i)) {
			lc_error(r, k->line, key, "set twice");
			bad = 1;
			continue;
		}
		seen |= 1u << i;
		if ((s = lc_scalar(r, v, key)) == NULL) {
			bad = 1;
			continue;
		}
		if (strlen(s) != v->len || lc_has_control(s, v->len, 0) || v->len > LC_STRING_MAX) {
			lc_error(r, v->line, key, "control characters in value");
			bad = 1;
		} else if (choices[i] && lc_choice_index(choices[i], s, strlen(s)) < 0) {
			lc_error(r, v->line, key, "not one of the allowed values '%s' (%s)", s, choices[i]);
			bad = 1;
		} else if (i == 0 && (!addr_is_valid_email(s) ||
		    addr_canonical(s, strlen(s), 0, &canon) < 0)) {
			lc_error(r, v->line, key, "expected an address local@domain, not '%s'", s);
			bad = 1;
		} else {
			vals[i] = i == 0 ? lc_keep(r, buf_cstr(&canon)) : s;
		}
	}
	buf_free(&canon);
	if (!bad && vals[0] == NULL) {
		snprintf(key, sizeof key, "%s[%zu]", lc_defs[id].name, pos);
		lc_error(r, n->line, key, "no email");
		bad = 1;
	}
	if (bad)
		return -1;
	a->email = vals[0];
	a->gecos = *vals[1] ? lc_keep(r, vals[1]) : "";
	/* The enumerated values are the table's own strings: nothing to keep. */
	a->profile = strcmp(vals[2], "privileged") == 0 ? "privileged" : "normal";
	a->reception = strcmp(vals[3], "nomail") == 0 ? "nomail" : "mail";
	a->visibility = strcmp(vals[4], "conceal") == 0 ? "conceal" : "noconceal";
	return 0;
}

static void
lc_admins_value(struct lc_reader *r, int id, const struct lc_node *n, const char *key)
{
	struct listconf_admin *v;
	size_t i = 0;
	int bad = 0;

	if (n->kind == LC_NULL) {
		lc_set(r, id, NULL, 0, 0);
		return;
	}
	if (n->kind != LC_SEQ) {
		lc_error(r, n->line, key, "expected a sequence of mappings (- email: ...), not %s",
		    lc_shape(n->kind));
		return;
	}
	v = lc_alloc(&r->lc->arena, (n->n ? n->n : 1) * sizeof *v);
	for (const struct lc_node *c = n->first; c; c = c->next) {
		if (lc_admin(r, id, c, i + 1, &v[i]) < 0) {
			bad = 1;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(v[j].email, v[i].email) == 0) {
				lc_error(r, c->line, key, "%s given twice", v[i].email);
				bad = 1;
			}
		i++;
	}
	if (!bad)
		lc_set(r, id, v, 0, (uint32_t)i);
}

static void
lc_vars_value(struct lc_reader *r, int id, const struct lc_node *n, const char *key)
{
	struct listconf_var *v;
	size_t i = 0;
	int bad = 0;

	if (n->kind == LC_NULL) {
		lc_set(r, id, NULL, 0, 0);
		return;
	}
	if (n->kind != LC_MAP) {
		lc_error(r, n->line, key, "expected a mapping of names to values, not %s",
		    lc_shape(n->kind));
		return;
	}
	v = lc_alloc(&r->lc->arena, (n->n / 2 + 1) * sizeof *v);
	for (const struct lc_node *k = n->first; k && k->next; k = k->next->next) {
		const struct lc_node *val = k->next;

		if (k->kind != LC_SCALAR || !lc_is_var_name(k->text)) {
			lc_error(r, k->line, key, "expected a variable name ([a-zA-Z0-9_]+)");
			bad = 1;
			continue;
		}
		if (val->kind != LC_SCALAR && val->kind != LC_NULL) {
			lc_error(r, val->line, key, "%s: expected a single value, not %s", k->text,
			    lc_shape(val->kind));
			bad = 1;
			continue;
		}
		if (val->kind == LC_SCALAR && (val->len != strlen(val->text) ||
		    val->len > LC_STRING_MAX || lc_has_control(val->text, val->len, 0))) {
			lc_error(r, val->line, key, "%s: control characters in value", k->text);
			bad = 1;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(v[j].name, k->text) == 0) {
				lc_error(r, k->line, key, "%s: set twice", k->text);
				bad = 1;
			}
		v[i].name = lc_keep(r, k->text);
		v[i].value = val->kind == LC_SCALAR ? lc_keep(r, val->text) : "";
		i++;
	}
	if (!bad)
		lc_set(r, id, v, 0, (uint32_t)i);
}

static void lc_value(struct lc_reader *, int, const struct lc_node *, const char *);

static void
lc_map_value(struct lc_reader *r, int id, const struct lc_node *n, const char *key)
{
	char sub[128];

	if (n->kind == LC_NULL) {
		lc_set(r, id, NULL, 0, 0);
		return;
	}
	if (n->kind != LC_MAP) {
		lc_error(r, n->line, key, "expected a mapping, not %s", lc_shape(n->kind));
		return;
	}
	lc_set(r, id, NULL, 0, 0);
	for (const struct lc_node *k = n->first; k && k->next; k = k->next->next) {
		int sid;

		if (k->kind != LC_SCALAR) {
			lc_error(r, k->line, key, "expected a key, not %s", lc_shape(k->kind));
			continue;
		}
		snprintf(sub, sizeof sub, "%s.%.60s", key, k->text);
		if ((sid = lc_lookup_sub(id, k->text)) < 0) {
			lc_error(r, k->line, sub, "unknown parameter");
			continue;
		}
		if (r->seen[sid]++) {
			lc_error(r, k->line, sub, "set twice");
			continue;
		}
		lc_value(r, sid, k->next, lc_defs[sid].name);
	}
}

static void
lc_value(struct lc_reader *r, int id, const struct lc_node *n, const char *key)
{
	switch (lc_defs[id].type) {
	case LISTCONF_MAP:
		lc_map_value(r, id, n, key);
		break;
	case LISTCONF_ADMINS:
		lc_admins_value(r, id, n, key);
		break;
	case LISTCONF_HEADERS:
		lc_headers_value(r, id, n, key);
		break;
	case LISTCONF_VARS:
		lc_vars_value(r, id, n, key);
		break;
	case LISTCONF_SET:
	case LISTCONF_FIELDS:
	case LISTCONF_DAYS:
		lc_list_value(r, id, n, key);
		break;
	default:
		lc_scalar_value(r, id, n, key);
		break;
	}
}

static void
lc_walk_top(struct lc_reader *r, const struct lc_node *root)
{
	for (const struct lc_node *k = root->first; k && k->next; k = k->next->next) {
		int id;

		if (r->errors > LC_ERRORS_MAX)
			return;
		if (k->kind != LC_SCALAR) {
			lc_error(r, k->line, NULL, "expected a parameter name, not %s", lc_shape(k->kind));
			continue;
		}
		if (strcmp(k->text, "status") == 0) {
			/* Sympa keeps it in the file; Herald in the database, for every host. */
			buf_printf(&r->warn, "%s:%zu: status: ignored: a list's status lives in "
			    "the database (herald list close, reopen)\n", r->origin, k->line);
			continue;
		}
		id = listconf_lookup(k->text);
		if (id < 0 || strchr(k->text, '.') != NULL) {
			lc_error(r, k->line, k->text, "unknown parameter");
			continue;
		}
		if (r->seen[id]++) {
			lc_error(r, k->line, k->text, "set twice");
			continue;
		}
		lc_value(r, id, k->next, lc_defs[id].name);
	}
}

/* Rules that join several values. */
static void
lc_check_whole(struct lc_reader *r, const struct lc_node *root)
{
	size_t line = root->line;

	if (!r->v[LC_SUBJECT].explicit && !r->seen[LC_SUBJECT])
		lc_error(r, line, "subject", "required parameter missing");
	if (r->v[LC_DIGEST].explicit && !r->seen[LC_DIGEST_DAYS])
		lc_error(r, line, "digest.days", "required when digest is set");
	if (r->v[LC_REPLY_TO_HEADER_VALUE].explicit && r->v[LC_REPLY_TO_HEADER_VALUE].num == 3 &&
	    (r->v[LC_REPLY_TO_HEADER_OTHER_EMAIL].p == NULL ||
	    *(const char *)r->v[LC_REPLY_TO_HEADER_OTHER_EMAIL].p == '\0'))
		lc_error(r, line, "reply_to_header.other_email", "required when value is other_email");
}

/* The values the list takes from the site or its domain. */
static void
lc_derive(struct lc_reader *r)
{
	struct config *own = NULL;
	const struct config *cf = r->cf;

	if (r->v[LC_MAX_SIZE].explicit)
		return;
	if (cf == NULL)
		cf = own = config_defaults();
	r->v[LC_MAX_SIZE].id = LC_MAX_SIZE;
	r->v[LC_MAX_SIZE].p = lc_keep(r, config_str(cf, CF_MAX_SIZE));
	r->v[LC_MAX_SIZE].num = config_int(cf, CF_MAX_SIZE);
	r->v[LC_MAX_SIZE].explicit = 0;
	config_free(own);
}

/* Pack the values set into the list's index. */
static void
lc_freeze(struct lc_reader *r)
{
	struct listconf *lc = r->lc;
	size_t n = 0;

	for (int i = 0; i < LISTCONF_NPARAMS; i++)
		if (r->v[i].explicit || i == LC_MAX_SIZE)
			n++;
	lc->v = lc_alloc(&lc->arena, n * sizeof *lc->v);
	for (int i = 0; i < LISTCONF_NPARAMS; i++) {
		if (!r->v[i].explicit && i != LC_MAX_SIZE)
			continue;
		lc->v[lc->nv] = r->v[i];
		lc->v[lc->nv].id = (uint16_t)i;
		lc->index[i] = ++lc->nv;
	}
	lc->warnings = r->warn.len ? lc_keep(r, buf_cstr(&r->warn)) : "";
}

struct listconf *
listconf_load_text(const char *origin, const char *text, size_t len,
    const struct config *cf, struct buf *err)
{
	struct lc_reader r;
	const struct lc_node *root;

	memset(&r, 0, sizeof r);
	r.origin = origin;
	r.cf = cf;
	r.err = err;
	buf_init(&r.warn, 64 * 1024);
	r.lc = xcalloc(1, sizeof *r.lc);
	if ((root = lc_parse(&r, text, len)) != NULL) {
		lc_walk_top(&r, root);
		if (r.errors == 0)
			lc_check_whole(&r, root);
	}
	if (root == NULL || r.errors > 0) {
		lc_arena_free(&r.scratch);
		buf_free(&r.warn);
		listconf_free(r.lc);
		return NULL;
	}
	lc_derive(&r);
	lc_freeze(&r);
	lc_arena_free(&r.scratch);
	buf_free(&r.warn);
	return r.lc;
}

struct listconf *
listconf_load_at(int dirfd, const char *relpath, const char *origin,
    const struct config *cf, struct buf *err)
{
	char stackbuf[16384];
	struct buf big = BUF_INIT(LISTCONF_FILE_MAX);
	struct listconf *lc = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = openat(dirfd, relpath, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_printf(err, "%s: cannot open: %s\n", origin, strerror(errno));
		return NULL;
	}
	/*
	 * Most files fit the stack buffer: one read, no allocation. A short
	 * read of a regular file is its end, which saves a system call per
	 * list (system calls are most of a registry's start).
	 */
	while ((n = read(fd, stackbuf + len, sizeof stackbuf - len)) > 0) {
		size_t asked = sizeof stackbuf - len;

		len += (size_t)n;
		if (len == sizeof stackbuf) {
			if (buf_append(&big, stackbuf, len) < 0)
				break;
			len = 0;
		} else if ((size_t)n < asked) {
			n = 0;
			break;
		}
	}
	if (n < 0) {
		buf_printf(err, "%s: cannot read: %s\n", origin, strerror(errno));
	} else if (n > 0 || (big.len && buf_append(&big, stackbuf, len) < 0)) {
		buf_printf(err, "%s: larger than %d bytes\n", origin, LISTCONF_FILE_MAX);
	} else if (big.len) {
		lc = listconf_load_text(origin, big.data, big.len, cf, err);
	} else {
		lc = listconf_load_text(origin, stackbuf, len, cf, err);
	}
	close(fd);
	buf_free(&big);
	return lc;
}

struct listconf *
listconf_load(const char *path, const struct config *cf, struct buf *err)
{
	return listconf_load_at(AT_FDCWD, path, path, cf, err);
}

void
listconf_free(struct listconf *lc)
{
	if (lc == NULL)
		return;
	lc_arena_free(&lc->arena);
	free(lc);
}

const char *
listconf_warnings(const struct listconf *lc)
{
	return lc->warnings;
}

/* ---- accessors ---- */

static const struct lc_value *
lc_get(const struct listconf *lc, enum listconf_param id)
{
	if (lc == NULL || (unsigned)id >= LISTCONF_NPARAMS || lc->index[id] == 0)
		return NULL;
	return &lc->v[lc->index[id] - 1];
}

/* The defaults of sequence parameters, split once. */
static struct {
	const char	**items;
	size_t		  n;
} lc_default_items[LISTCONF_NPARAMS];
static pthread_once_t lc_default_once = PTHREAD_ONCE_INIT;

static void
lc_split_defaults(void)
{
	for (int i = 0; i < LISTCONF_NPARAMS; i++) {
		const char *def = lc_defs[i].def;
		size_t n = 0;

		if (lc_defs[i].type != LISTCONF_SET && lc_defs[i].type != LISTCONF_FIELDS &&
		    lc_defs[i].type != LISTCONF_DAYS)
			continue;
		if (def == NULL || *def == '\0')
			continue;
		lc_default_items[i].items = xcalloc(strlen(def) + 1, sizeof(char *));
		for (const char *p = def; *p; ) {
			size_t len = strcspn(p, ",");

			lc_default_items[i].items[n++] = xstrndup(p, len);
			p += len + (p[len] == ',');
		}
		lc_default_items[i].n = n;
	}
}

static long long
lc_default_num(enum listconf_param id)
{
	const struct lc_def *d = &lc_defs[id];
	long long num = 0;

	if (d->def == NULL || *d->def == '\0')
		return 0;
	switch (d->type) {
	case LISTCONF_INT:
	case LISTCONF_SIZE:
		config_parse_number(d->def, d->type == LISTCONF_SIZE, &num);
		return num;
	case LISTCONF_BOOL:
		config_parse_bool(d->def, &num);
		return num;
	case LISTCONF_ENUM:
		return lc_choice_index(d->choices, d->def, strlen(d->def));
	case LISTCONF_SET:
	case LISTCONF_DAYS:
		pthread_once(&lc_default_once, lc_split_defaults);
		for (size_t i = 0; i < lc_default_items[id].n; i++) {
			const char *it = lc_default_items[id].items[i];
			int k = d->type == LISTCONF_DAYS ? it[0] - '0' :
			    lc_choice_index(d->choices, it, strlen(it));

			if (k >= 0)
				num |= 1LL << k;
		}
		return num;
	default:
		return 0;
	}
}

const char *
listconf_str(const struct listconf *lc, enum listconf_param id)
{
	const struct lc_value *v = lc_get(lc, id);
	const enum listconf_type t = lc_defs[id].type;

	if (v == NULL)
		return lc_defs[id].def ? lc_defs[id].def : "";
	switch (t) {
	case LISTCONF_SET:
	case LISTCONF_FIELDS:
	case LISTCONF_DAYS:
		return ((const char *const *)v->p)[v->n];
	case LISTCONF_MAP:
	case LISTCONF_ADMINS:
	case LISTCONF_HEADERS:
	case LISTCONF_VARS:
		return "";
	default:
		return v->p ? v->p : "";
	}
}

long long
listconf_int(const struct listconf *lc, enum listconf_param id)
{
	const struct lc_value *v = lc_get(lc, id);

	return v ? v->num : lc_default_num(id);
}

bool
listconf_bool(const struct listconf *lc, enum listconf_param id)
{
	return listconf_int(lc, id) != 0;
}

bool
listconf_explicit(const struct listconf *lc, enum listconf_param id)
{
	const struct lc_value *v = lc_get(lc, id);

	return v != NULL && v->explicit;
}

size_t
listconf_strv(const struct listconf *lc, enum listconf_param id, const char *const **items)
{
	const struct lc_value *v = lc_get(lc, id);
	enum listconf_type t = lc_defs[id].type;

	*items = NULL;
	if (t != LISTCONF_SET && t != LISTCONF_FIELDS && t != LISTCONF_DAYS && t != LISTCONF_HEADERS)
		return 0;
	if (v != NULL) {
		*items = v->p;
		return v->n;
	}
	pthread_once(&lc_default_once, lc_split_defaults);
	*items = (const char *const *)lc_default_items[id].items;
	return lc_default_items[id].n;
}

size_t
listconf_admins(const struct listconf *lc, enum listconf_param id,
    const struct listconf_admin **admins)
{
	const struct lc_value *v = lc_get(lc, id);

	*admins = NULL;
	if (v == NULL || lc_defs[id].type != LISTCONF_ADMINS)
		return 0;
	*admins = v->p;
	return v->n;
}

size_t
listconf_vars(const struct listconf *lc, const struct listconf_var **vars)
{
	const struct lc_value *v = lc_get(lc, LC_CUSTOM_VARS);

	*vars = v ? v->p : NULL;
	return v ? v->n : 0;
}

void
listconf_digest(const struct listconf *lc, struct listconf_digest *out)
{
	out->set = listconf_explicit(lc, LC_DIGEST);
	out->days = (unsigned)listconf_int(lc, LC_DIGEST_DAYS);
	out->hour = (int)listconf_int(lc, LC_DIGEST_HOUR);
	out->minute = (int)listconf_int(lc, LC_DIGEST_MINUTE);
}

int
listconf_verp_rate(const struct listconf *lc)
{
	return atoi(listconf_str(lc, LC_VERP_RATE));
}

int
listconf_path(const char *lists_dir, const char *domain, const char *name, struct buf *out)
{
	buf_reset(out);
	return buf_printf(out, "%s/%s/%s/%s", lists_dir, domain, name, LISTCONF_FILE);
}
