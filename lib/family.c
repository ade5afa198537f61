/*
 * family - list families: family.yaml (a template and its constraints),
 * the data file of an instantiation, and the plan for one list.
 *
 * Both files are read into a small tree of YAML nodes (scalars, sequences,
 * mappings, each with its line), bounded in size, depth and node count.
 * A list's configuration is made by copying the template's tree with its
 * placeholders filled, then printed back as YAML where every value is
 * double-quoted: data can never turn into YAML syntax. The result is
 * loaded with listconf, the same loader the daemons use, so a generated
 * file is checked exactly as it will be read; the constraints are then
 * compared with the loaded values, normalised the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "family.h"
#include "listconf.h"
#include "listname.h"
#include "mem.h"
#include "roster.h"

#define FN_DEPTH_MAX	32		/* nesting of a YAML file */
#define FN_NODES_MAX	4000000		/* nodes of one file */
#define FN_SCALAR_MAX	(64 * 1024)	/* bytes of one scalar */
#define FN_VAR_MAX	4096		/* bytes of one data value */
#define FN_KEY_MAX	64		/* bytes of a variable's name */
#define FN_ERRORS_MAX	50		/* errors reported per file */
#define FN_REASON_MAX	1000		/* bytes of a status reason */

enum fn_kind { FN_NULL, FN_SCALAR, FN_SEQ, FN_MAP };

struct fnode {
	enum fn_kind	 kind;
	unsigned long	 line;
	char		*text;		/* FN_SCALAR */
	size_t		 n, cap;	/* children */
	char		**keys;		/* FN_MAP */
	struct fnode	**kids;
};

enum fc_kind { FC_FIXED, FC_ALLOWED, FC_DEFAULT };

struct fconstraint {
	int		 id;		/* enum listconf_param */
	enum fc_kind	 kind;
	char		*raw;		/* FIXED, DEFAULT: the value as written */
	char		**norm;		/* the values as listconf reads them */
	size_t		 n;
};

struct family {
	char			*name;
	char			*domain;
	struct fnode		*tmpl;		/* a mapping */
	struct fconstraint	*cons;
	size_t			 ncons;
};

struct family_data {
	struct fnode		*root;
	struct family_entry	*entries;
	size_t			 n;
};

/* -- the tree ----------------------------------------------------------- */

static struct fnode *
fn_new(enum fn_kind kind, unsigned long line)
{
	struct fnode *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->line = line;
	return n;
}

static void
fn_free(struct fnode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->keys != NULL)
			free(n->keys[i]);
		fn_free(n->kids[i]);
	}
	free(n->keys);
	free(n->kids);
	free(n->text);
	free(n);
}

/* Append a child (key is NULL for a sequence); key is copied. */
static void
fn_add(struct fnode *n, const char *key, struct fnode *kid)
{
	if (n->n == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 4;
		n->kids = xreallocarray(n->kids, n->cap, sizeof *n->kids);
		if (n->kind == FN_MAP)
			n->keys = xreallocarray(n->keys, n->cap, sizeof *n->keys);
	}
	if (n->kind == FN_MAP)
		n->keys[n->n] = xstrdup(key);
	n->kids[n->n++] = kid;
}

static struct fnode *
fn_scalar(const char *text, unsigned long line)
{
	struct fnode *n = fn_new(FN_SCALAR, line);

	n->text = xstrdup(text);
	return n;
}

/* The index of key in map n, or -1. */
static long
fn_find(const struct fnode *n, const char *key)
{
	if (n == NULL || n->kind != FN_MAP)
		return -1;
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->keys[i], key) == 0)
			return (long)i;
	return -1;
}

static struct fnode *
fn_get(const struct fnode *n, const char *key)
{
	long i = fn_find(n, key);

	return i < 0 ? NULL : n->kids[i];
}

/* Set key of map n to kid (owned), replacing a previous value in place. */
static void
fn_put(struct fnode *n, const char *key, struct fnode *kid)
{
	long i = fn_find(n, key);

	if (i >= 0) {
		fn_free(n->kids[i]);
		n->kids[i] = kid;
	} else
		fn_add(n, key, kid);
}

static void
fn_del(struct fnode *n, const char *key)
{
	long i = fn_find(n, key);

	if (i < 0)
		return;
	free(n->keys[i]);
	fn_free(n->kids[i]);
	memmove(&n->keys[i], &n->keys[i + 1], (n->n - (size_t)i - 1) * sizeof *n->keys);
	memmove(&n->kids[i], &n->kids[i + 1], (n->n - (size_t)i - 1) * sizeof *n->kids);
	n->n--;
}

static struct fnode *
fn_copy(const struct fnode *n)
{
	struct fnode *c;

	if (n == NULL)
		return NULL;
	c = fn_new(n->kind, n->line);
	if (n->text != NULL)
		c->text = xstrdup(n->text);
	for (size_t i = 0; i < n->n; i++)
		fn_add(c, n->keys ? n->keys[i] : NULL, fn_copy(n->kids[i]));
	return c;
}

/* Same value (lines aside); mappings compare regardless of key order. */
static int
fn_equal(const struct fnode *a, const struct fnode *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (a->kind != b->kind || a->n != b->n)
		return 0;
	if (a->kind == FN_SCALAR)
		return strcmp(a->text, b->text) == 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct fnode *bk = a->kind == FN_MAP ?
		    fn_get(b, a->keys[i]) : b->kids[i];

		if (bk == NULL || !fn_equal(a->kids[i], bk))
			return 0;
	}
	return 1;
}

/* The node at a dotted parameter name ("a" or "a.b"), or NULL. */
static struct fnode *
fn_param(const struct fnode *root, const char *name)
{
	const char *dot = strchr(name, '.');
	char top[128];

	if (dot == NULL)
		return fn_get(root, name);
	snprintf(top, sizeof top, "%.*s", (int)(dot - name), name);
	return fn_get(fn_get(root, top), dot + 1);
}

/* Set a dotted parameter to a scalar, making its mapping if needed. */
static void
fn_param_set(struct fnode *root, const char *name, const char *value)
{
	const char *dot = strchr(name, '.');
	struct fnode *parent;
	char top[128];

	if (dot == NULL) {
		fn_put(root, name, fn_scalar(value, 0));
		return;
	}
	snprintf(top, sizeof top, "%.*s", (int)(dot - name), name);
	parent = fn_get(root, top);
	if (parent == NULL || parent->kind != FN_MAP) {
		parent = fn_new(FN_MAP, 0);
		fn_put(root, top, parent);
	}
	fn_put(parent, dot + 1, fn_scalar(value, 0));
}

/* -- reading YAML into a tree ---------------------------------------------- */

struct fparse {
	yaml_parser_t	 p;
	const char	*origin;
	struct buf	*err;
	size_t		 nodes;
	int		 failed;
};

static void
fp_error(struct fparse *fp, unsigned long line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fp_error(struct fparse *fp, unsigned long line, const char *key, const char *fmt, ...)
{
	va_list ap;

	fp->failed = 1;
	buf_printf(fp->err, "%s:%lu: ", fp->origin, line);
	if (key != NULL)
		buf_printf(fp->err, "%s: ", key);
	va_start(ap, fmt);
	buf_vprintf(fp->err, fmt, ap);
	va_end(ap);
	buf_putc(fp->err, '\n');
}

static int
fp_next(struct fparse *fp, yaml_event_t *ev)
{
	if (yaml_parser_parse(&fp->p, ev))
		return 0;
	fp_error(fp, (unsigned long)fp->p.problem_mark.line + 1, NULL, "YAML: %s",
	    fp->p.problem ? fp->p.problem : "syntax error");
	return -1;
}

static struct fnode *fp_node(struct fparse *fp, yaml_event_t *ev, int depth);

/* The children of a sequence or mapping, up to its end event. */
static int
fp_children(struct fparse *fp, struct fnode *n, int depth)
{
	yaml_event_type_t end = n->kind == FN_MAP ? YAML_MAPPING_END_EVENT :
	    YAML_SEQUENCE_END_EVENT;
	yaml_event_t ev;

	for (;;) {
		struct fnode *kid;
		char *key = NULL;
		size_t klen;

		if (fp_next(fp, &ev) < 0)
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (n->kind == FN_MAP) {
			unsigned long line = ev.start_mark.line + 1;

			if (ev.type != YAML_SCALAR_EVENT) {
				fp_error(fp, line, NULL, "a key must be a string");
				yaml_event_delete(&ev);
				return -1;
			}
			klen = ev.data.scalar.length;
			key = xstrndup((const char *)ev.data.scalar.value, klen);
			yaml_event_delete(&ev);
			if (strlen(key) != klen || fn_find(n, key) >= 0) {
				fp_error(fp, line, key, strlen(key) != klen ?
				    "NUL in a key" : "given twice");
				free(key);
				return -1;
			}
			if (fp_next(fp, &ev) < 0) {
				free(key);
				return -1;
			}
		}
		if ((kid = fp_node(fp, &ev, depth + 1)) == NULL) {
			free(key);
			return -1;
		}
		fn_add(n, key, kid);
		free(key);
	}
}

/* The node an event starts; the event is consumed. */
static struct fnode *
fp_node(struct fparse *fp, yaml_event_t *ev, int depth)
{
	unsigned long line = ev->start_mark.line + 1;
	struct fnode *n = NULL;

	if (++fp->nodes > FN_NODES_MAX || depth > FN_DEPTH_MAX) {
		fp_error(fp, line, NULL, "too %s", depth > FN_DEPTH_MAX ?
		    "deeply nested" : "many values");
		yaml_event_delete(ev);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		size_t len = ev->data.scalar.length;
		const char *v = (const char *)ev->data.scalar.value;

		if (len > FN_SCALAR_MAX || memchr(v, '\0', len) != NULL) {
			fp_error(fp, line, NULL, len > FN_SCALAR_MAX ?
			    "value longer than %d bytes" : "NUL in a value",
			    FN_SCALAR_MAX);
			break;
		}
		/* A plain empty scalar, ~ or null is no value, as in listconf. */
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0))
			n = fn_new(FN_NULL, line);
		else {
			n = fn_new(FN_SCALAR, line);
			n->text = xstrndup(v, len);
		}
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = fn_new(ev->type == YAML_MAPPING_START_EVENT ? FN_MAP : FN_SEQ, line);
		yaml_event_delete(ev);
		if (fp_children(fp, n, depth) < 0) {
			fn_free(n);
			return NULL;
		}
		return n;
	case YAML_ALIAS_EVENT:
		fp_error(fp, line, NULL, "YAML aliases (*name) are not supported");
		break;
	default:
		fp_error(fp, line, NULL, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	return n;
}

/* A whole file of one document into a tree; NULL with errors. */
static struct fnode *
fp_parse(const char *origin, const char *text, size_t len, struct buf *err)
{
	struct fparse fp;
	struct fnode *root = NULL;
	yaml_event_t ev;
	int stage = 0;

	memset(&fp, 0, sizeof fp);
	fp.origin = origin;
	fp.err = err;
	if (!yaml_parser_initialize(&fp.p)) {
		fp_error(&fp, 0, NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&fp.p, (const unsigned char *)text, len);
	/* stream start, document start, the root, document end, stream end */
	while (fp_next(&fp, &ev) == 0) {
		yaml_event_type_t t = ev.type;

		if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_DOCUMENT_START_EVENT) {
			if (stage++ > 0) {
				fp_error(&fp, ev.start_mark.line + 1, NULL,
				    "only one YAML document is allowed");
				yaml_event_delete(&ev);
				break;
			}
			yaml_event_delete(&ev);
			continue;
		}
		if ((root = fp_node(&fp, &ev, 0)) == NULL)
			break;
	}
	yaml_parser_delete(&fp.p);
	if (fp.failed) {
		fn_free(root);
		return NULL;
	}
	if (root == NULL || root->kind != FN_MAP) {
		buf_printf(err, "%s:%lu: the file must be a mapping\n", origin,
		    root ? root->line : 1UL);
		fn_free(root);
		return NULL;
	}
	return root;
}

/* Read a whole file of at most max bytes into out. */
static int
fp_read_file(const char *path, size_t max, struct buf *out, struct buf *err)
{
	char chunk[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_printf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	out->max = max;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		if (buf_append(out, chunk, (size_t)n) < 0) {
			buf_printf(err, "%s: larger than %zu bytes\n", path, max);
			close(fd);
			return -1;
		}
	if (n < 0) {
		buf_printf(err, "%s: cannot read: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* -- writing a tree as YAML ------------------------------------------------ */

/* Keys are written plain when they are parameter-like words, else quoted. */
static int
fe_plain_key(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* A double-quoted scalar: whatever the data holds stays a string. */
static void
fe_quoted(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\t': buf_puts(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(out, "\\x%02x", *p);
			else
				buf_putc(out, *p);
		}
	}
	buf_putc(out, '"');
}

static void fe_node(struct buf *out, const struct fnode *n, int indent);

/* What follows "key:" or "-": a scalar on the line, else a nested block. */
static void
fe_value(struct buf *out, const struct fnode *n, int indent)
{
	if (n->kind == FN_NULL) {
		buf_puts(out, " ~\n");
	} else if (n->kind == FN_SCALAR) {
		buf_putc(out, ' ');
		fe_quoted(out, n->text);
		buf_putc(out, '\n');
	} else if (n->n == 0) {
		buf_puts(out, n->kind == FN_MAP ? " {}\n" : " []\n");
	} else {
		buf_putc(out, '\n');
		fe_node(out, n, indent + 2);
	}
}

static void
fe_node(struct buf *out, const struct fnode *n, int indent)
{
	for (size_t i = 0; i < n->n; i++) {
		buf_printf(out, "%*s", indent, "");
		if (n->kind == FN_MAP) {
			if (fe_plain_key(n->keys[i]))
				buf_puts(out, n->keys[i]);
			else
				fe_quoted(out, n->keys[i]);
			buf_putc(out, ':');
		} else
			buf_putc(out, '-');
		fe_value(out, n->kids[i], indent);
	}
}

static void
fe_config(struct buf *out, const struct family *f, const struct fnode *root)
{
	buf_reset(out);
	buf_printf(out, "# Made by 'herald family instantiate' from family %s.\n"
	    "# Changes made here are kept when the family's constraints allow "
	    "them:\n# see herald-family(5).\n", f->name);
	fe_node(out, root, 0);
}

/* -- placeholders ----------------------------------------------------------- */

static int
ph_namechar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * Scan s for placeholders; with out, fill them from the entry (and the
 * built-in name, domain, family). 0; -1 with why (and the name in *bad)
 * for bad syntax or a missing value.
 */
static int
ph_fill(const char *s, const struct family *f, const struct family_entry *e,
    struct buf *out, const char **why, struct buf *bad)
{
	for (const char *p = s; *p; p++) {
		const char *q, *val = NULL;
		size_t len;

		if (*p == '}') {
			if (p[1] != '}') {
				*why = "a lone } (write }} for a brace)";
				return -1;
			}
			if (out)
				buf_putc(out, '}');
			p++;
			continue;
		}
		if (*p != '{') {
			if (out)
				buf_putc(out, *p);
			continue;
		}
		if (p[1] == '{') {
			if (out)
				buf_putc(out, '{');
			p++;
			continue;
		}
		for (q = p + 1; ph_namechar((unsigned char)*q); q++)
			;
		len = (size_t)(q - p - 1);
		if (*q != '}' || len == 0 || len > FN_KEY_MAX) {
			*why = "a { that opens no {name} (write {{ for a brace)";
			return -1;
		}
		if (e == NULL) {
			p = q;
			continue;
		}
		if (len == 4 && strncmp(p + 1, "name", 4) == 0)
			val = e->name;
		else if (len == 6 && strncmp(p + 1, "domain", 6) == 0)
			val = f->domain;
		else if (len == 6 && strncmp(p + 1, "family", 6) == 0)
			val = f->name;
		for (size_t i = 0; val == NULL && i < e->nvars; i++)
			if (strlen(e->var_names[i]) == len &&
			    strncmp(e->var_names[i], p + 1, len) == 0)
				val = e->var_values[i];
		if (val == NULL) {
			buf_reset(bad);
			buf_append(bad, p + 1, len);
			*why = "the data gives no value for it";
			return -1;
		}
		if (out && buf_puts(out, val) < 0) {
			*why = "the value made is too long";
			return -1;
		}
		p = q;
	}
	return 0;
}

/* Check (e NULL) or fill in place every scalar of a tree. */
static int
ph_tree(struct fnode *n, const struct family *f, const struct family_entry *e,
    const char **why, struct buf *bad, unsigned long *line)
{
	if (n->kind == FN_SCALAR) {
		struct buf out = BUF_INIT(FN_SCALAR_MAX * 2);

		if (ph_fill(n->text, f, e, e ? &out : NULL, why, bad) < 0) {
			*line = n->line;
			buf_free(&out);
			return -1;
		}
		if (e != NULL) {
			free(n->text);
			n->text = buf_steal(&out);
		}
		return 0;
	}
	for (size_t i = 0; i < n->n; i++)
		if (ph_tree(n->kids[i], f, e, why, bad, line) < 0)
			return -1;
	return 0;
}

/* -- constraints ---------------------------------------------------------- */

static int
fc_is_set_type(int id)
{
	enum listconf_type t = listconf_type_of((enum listconf_param)id);

	return t == LISTCONF_SET || t == LISTCONF_FIELDS || t == LISTCONF_DAYS;
}

/*
 * The value of parameter id as listconf reads value: a one-parameter file
 * is loaded, so "1M" and "1048576" compare equal, as the daemons see them.
 * An error about another parameter (one the value makes required, such as
 * reply_to_header.other_email) leaves the value as written. NULL with why.
 */
static char *
fc_normalise(int id, const char *value, struct buf *why)
{
	struct buf text = BUF_INIT(4 * FN_SCALAR_MAX), err = BUF_INIT(16384);
	struct buf mine = BUF_INIT(256);
	const char *name = listconf_name((enum listconf_param)id);
	const char *dot = strchr(name, '.');
	struct listconf *lc;
	char *res = NULL;

	if (id != LC_SUBJECT)
		buf_puts(&text, "subject: x\n");
	if (dot != NULL)
		buf_printf(&text, "%.*s:\n  %s:", (int)(dot - name), name, dot + 1);
	else
		buf_printf(&text, "%s:", name);
	buf_putc(&text, ' ');
	fe_quoted(&text, value);
	buf_putc(&text, '\n');
	lc = listconf_load_text("constraint", text.data, text.len, NULL, &err);
	if (lc != NULL) {
		res = xstrdup(listconf_str(lc, (enum listconf_param)id));
		listconf_free(lc);
	} else {
		const char *e = buf_cstr(&err), *nl;
		const char *what = e;

		buf_printf(&mine, ": %s: ", name);
		if (strstr(e, buf_cstr(&mine)) == NULL)
			res = xstrdup(value);
		else {
			/* "constraint:N: key: what" -> "what" */
			what = strstr(e, buf_cstr(&mine)) + mine.len;
			nl = strchr(what, '\n');
			buf_append(why, what, nl ? (size_t)(nl - what) : strlen(what));
		}
	}
	buf_free(&text);
	buf_free(&err);
	buf_free(&mine);
	return res;
}

static void
fc_free(struct fconstraint *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->norm[i]);
	free(c->norm);
	free(c->raw);
}

/* Add value (a scalar node) to c's values; -1 with the error reported. */
static int
fc_value(struct fparse *fp, struct fconstraint *c, const struct fnode *v,
    const char *key)
{
	struct buf why = BUF_INIT(4096);
	char *norm;

	if (v == NULL || v->kind != FN_SCALAR) {
		fp_error(fp, v ? v->line : 0, key, "a value must be a string");
		return -1;
	}
	if ((norm = fc_normalise(c->id, v->text, &why)) == NULL) {
		fp_error(fp, v->line, key, "%s: %s", v->text, buf_cstr(&why));
		buf_free(&why);
		return -1;
	}
	buf_free(&why);
	c->norm = xreallocarray(c->norm, c->n + 1, sizeof *c->norm);
	c->norm[c->n++] = norm;
	if (c->raw == NULL)
		c->raw = xstrdup(v->text);
	return 0;
}

/* One constraint from its node: scalar, sequence, or {fixed|allowed|default}. */
static int
fc_parse(struct fparse *fp, struct fconstraint *c, const char *key,
    const struct fnode *v)
{
	const struct fnode *vals = v;
	long id = listconf_lookup(key);
	enum listconf_type t;

	memset(c, 0, sizeof *c);
	if (id < 0) {
		fp_error(fp, v->line, key, "unknown parameter");
		return -1;
	}
	c->id = (int)id;
	t = listconf_type_of((enum listconf_param)id);
	if (t == LISTCONF_MAP || t == LISTCONF_ADMINS || t == LISTCONF_HEADERS ||
	    t == LISTCONF_VARS || t == LISTCONF_FAMILY) {
		fp_error(fp, v->line, key, "cannot be constrained (constrain "
		    "its dotted parameters, or fix it in the template)");
		return -1;
	}
	c->kind = FC_FIXED;
	if (v->kind == FN_MAP) {
		if (v->n != 1 || (strcmp(v->keys[0], "fixed") != 0 &&
		    strcmp(v->keys[0], "allowed") != 0 &&
		    strcmp(v->keys[0], "default") != 0)) {
			fp_error(fp, v->line, key, "a mapping must be one of "
			    "{fixed: V}, {allowed: [V, ...]}, {default: V}");
			return -1;
		}
		vals = v->kids[0];
		if (strcmp(v->keys[0], "allowed") == 0)
			c->kind = FC_ALLOWED;
		else if (strcmp(v->keys[0], "default") == 0)
			c->kind = FC_DEFAULT;
		if (c->kind != FC_ALLOWED && vals->kind != FN_SCALAR) {
			fp_error(fp, vals->line, key, "%s takes one value",
			    v->keys[0]);
			return -1;
		}
	}
	if (vals->kind == FN_SCALAR)
		return fc_value(fp, c, vals, key);
	if (vals->kind != FN_SEQ || vals->n == 0) {
		fp_error(fp, vals->line, key, "a value, or a sequence of values");
		return -1;
	}
	/* Sympa's rule: one value is fixed, several are a controlled set. */
	if (v->kind == FN_SEQ && vals->n > 1)
		c->kind = FC_ALLOWED;
	for (size_t i = 0; i < vals->n; i++)
		if (fc_value(fp, c, vals->kids[i], key) < 0)
			return -1;
	return 0;
}

/* 0 if lc respects c; -1 with why (appended) if not. */
static int
fc_check(const struct fconstraint *c, const struct listconf *lc, struct buf *why)
{
	const char *name = listconf_name((enum listconf_param)c->id);
	const char *v = listconf_str(lc, (enum listconf_param)c->id);

	if (c->kind == FC_DEFAULT)
		return 0;
	if (c->kind == FC_FIXED) {
		if (strcmp(v, c->norm[0]) == 0)
			return 0;
		buf_printf(why, "%s: \"%s\" is not the family's fixed value \"%s\"",
		    name, v, c->norm[0]);
		return -1;
	}
	if (fc_is_set_type(c->id)) {
		/* Every item of a set must be allowed. */
		char *copy = xstrdup(v), *save = NULL;
		int bad = 0;

		for (char *it = strtok_r(copy, ",", &save); it && !bad;
		    it = strtok_r(NULL, ",", &save)) {
			bad = 1;
			for (size_t i = 0; i < c->n && bad; i++)
				bad = strcmp(it, c->norm[i]) != 0;
		}
		free(copy);
		if (!bad)
			return 0;
	} else {
		for (size_t i = 0; i < c->n; i++)
			if (strcmp(v, c->norm[i]) == 0)
				return 0;
	}
	buf_printf(why, "%s: \"%s\" is not among the family's values (", name, v);
	for (size_t i = 0; i < c->n; i++)
		buf_printf(why, "%s%s", i ? ", " : "", c->norm[i]);
	buf_putc(why, ')');
	return -1;
}

/* -- family.yaml ------------------------------------------------------------- */

struct family *
family_load_text(const char *origin, const char *name, const char *domain,
    const char *text, size_t len, struct buf *err)
{
	struct fparse fp;
	struct fnode *root, *cons;
	struct family *f;
	struct buf bad = BUF_INIT(256);
	unsigned long line = 0;
	const char *why;

	if (len > FAMILY_FILE_MAX) {
		buf_printf(err, "%s: larger than %d bytes\n", origin, FAMILY_FILE_MAX);
		return NULL;
	}
	if ((root = fp_parse(origin, text, len, err)) == NULL)
		return NULL;
	memset(&fp, 0, sizeof fp);
	fp.origin = origin;
	fp.err = err;
	f = xcalloc(1, sizeof *f);
	f->name = xstrdup(name);
	f->domain = xstrdup(domain);
	for (size_t i = 0; i < root->n; i++)
		if (strcmp(root->keys[i], "template") != 0 &&
		    strcmp(root->keys[i], "constraints") != 0)
			fp_error(&fp, root->kids[i]->line, root->keys[i],
			    "unknown key (template, constraints)");
	f->tmpl = fn_get(root, "template");
	if (f->tmpl == NULL || f->tmpl->kind != FN_MAP) {
		fp_error(&fp, f->tmpl ? f->tmpl->line : root->line, "template",
		    "required, a mapping of list parameters");
		f->tmpl = NULL;
	} else {
		f->tmpl = fn_copy(f->tmpl);
		if (ph_tree(f->tmpl, f, NULL, &why, &bad, &line) < 0)
			fp_error(&fp, line, "template", "%s", why);
	}
	cons = fn_get(root, "constraints");
	if (cons != NULL && cons->kind == FN_MAP) {
		f->cons = xcalloc(cons->n ? cons->n : 1, sizeof *f->cons);
		for (size_t i = 0; i < cons->n; i++) {
			if (fc_parse(&fp, &f->cons[f->ncons], cons->keys[i],
			    cons->kids[i]) < 0) {
				fc_free(&f->cons[f->ncons]);
				continue;
			}
			f->ncons++;
		}
	} else if (cons != NULL && cons->kind != FN_NULL)
		fp_error(&fp, cons->line, "constraints", "must be a mapping");
	fn_free(root);
	buf_free(&bad);
	if (fp.failed) {
		family_free(f);
		return NULL;
	}
	return f;
}

struct family *
family_load(const char *path, const char *name, const char *domain,
    struct buf *err)
{
	struct buf text = BUF_INIT(FAMILY_FILE_MAX);
	struct family *f = NULL;

	if (fp_read_file(path, FAMILY_FILE_MAX, &text, err) == 0)
		f = family_load_text(path, name, domain, buf_cstr(&text), text.len, err);
	buf_free(&text);
	return f;
}

void
family_free(struct family *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->ncons; i++)
		fc_free(&f->cons[i]);
	free(f->cons);
	fn_free(f->tmpl);
	free(f->name);
	free(f->domain);
	free(f);
}

const char *
family_name(const struct family *f)
{
	return f->name;
}

size_t
family_nconstraints(const struct family *f)
{
	return f->ncons;
}

/* -- the data file ------------------------------------------------------------ */

/* owners or editors: a sequence of addresses (or one), made canonical in place. */
static int
fd_admins(struct fparse *fp, struct fnode *v,
    const char *key, const char *const **out, size_t *n)
{
	struct buf canon = BUF_INIT(1024);
	const char **arr;
	const char *why;

	if (v->kind == FN_SCALAR) {
		/* One address: a sequence of one. */
		struct fnode *seq = fn_new(FN_SEQ, v->line);

		fn_add(seq, NULL, fn_scalar(v->text, v->line));
		free(v->text);
		v->text = NULL;
		v->kind = FN_SEQ;
		v->kids = seq->kids;
		v->n = seq->n;
		v->cap = seq->cap;
		free(seq);
	}
	if (v->kind != FN_SEQ || v->n > FAMILY_ADMINS_MAX) {
		fp_error(fp, v->line, key, "a sequence of at most %d addresses",
		    FAMILY_ADMINS_MAX);
		return -1;
	}
	arr = xcalloc(v->n ? v->n : 1, sizeof *arr);
	for (size_t i = 0; i < v->n; i++) {
		struct fnode *a = v->kids[i];

		if (a->kind != FN_SCALAR ||
		    roster_canonical_email(a->text, &canon, &why) != 0) {
			fp_error(fp, a->line, key, "%s: %s", a->kind ==
			    FN_SCALAR ? a->text : "?", a->kind == FN_SCALAR ?
			    why : "an address must be a string");
			free(arr);
			buf_free(&canon);
			return -1;
		}
		free(a->text);
		a->text = xstrdup(buf_cstr(&canon));
		arr[i] = a->text;
	}
	buf_free(&canon);
	*out = arr;
	*n = v->n;
	return 0;
}

static int
fd_var_name_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > FN_KEY_MAX)
		return 0;
	for (; *k; k++)
		if (!ph_namechar((unsigned char)*k))
			return 0;
	return 1;
}

/* One entry of "lists:"; errors reported through fp. */
static void
fd_entry(struct fparse *fp, struct fnode *m,
    struct family_entry *e)
{
	const char **names, **values;
	const char *why;

	memset(e, 0, sizeof *e);
	e->line = m->line;
	e->status = "open";
	if (m->kind != FN_MAP) {
		fp_error(fp, m->line, NULL, "a list must be a mapping with a name");
		return;
	}
	names = xcalloc(m->n ? m->n : 1, sizeof *names);
	values = xcalloc(m->n ? m->n : 1, sizeof *values);
	e->var_names = names;
	e->var_values = values;
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->keys[i];
		struct fnode *v = m->kids[i];

		if (strcmp(k, "owners") == 0 || strcmp(k, "editors") == 0) {
			if (strcmp(k, "owners") == 0)
				(void)fd_admins(fp, v, k, &e->owners, &e->nowners);
			else
				(void)fd_admins(fp, v, k, &e->editors, &e->neditors);
			continue;
		}
		if (v->kind == FN_NULL) {
			v->kind = FN_SCALAR;
			v->text = xstrdup("");
		}
		if (v->kind != FN_SCALAR) {
			fp_error(fp, v->line, k, "must be one value");
			continue;
		}
		if (strcmp(k, "name") == 0) {
			if (listname_check(v->text, &why) < 0)
				fp_error(fp, v->line, k, "%s: %s", v->text, why);
			e->name = v->text;
		} else if (strcmp(k, "status") == 0) {
			if (strcmp(v->text, "open") != 0 &&
			    strcmp(v->text, "closed") != 0 &&
			    strcmp(v->text, "pending") != 0)
				fp_error(fp, v->line, k, "%s: not open, closed "
				    "or pending", v->text);
			e->status = v->text;
		} else if (strcmp(k, "domain") == 0 || strcmp(k, "family") == 0) {
			fp_error(fp, v->line, k, "set by the command, not the data");
		} else if (!fd_var_name_ok(k)) {
			fp_error(fp, v->line, k, "a variable's name is letters, "
			    "digits, _ and -, at most %d", FN_KEY_MAX);
		} else if (strlen(v->text) > FN_VAR_MAX ||
		    strpbrk(v->text, "\n\r") != NULL) {
			fp_error(fp, v->line, k, "one line of at most %d bytes",
			    FN_VAR_MAX);
		} else {
			names[e->nvars] = k;
			values[e->nvars++] = v->text;
		}
	}
	if (e->name == NULL)
		fp_error(fp, m->line, "name", "required");
}

static int
fd_cmp(const void *a, const void *b)
{
	const struct family_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

struct family_data *
family_data_load_text(const char *origin, const char *text, size_t len,
    struct buf *err)
{
	struct family_data *d;
	struct fnode *lists;
	struct fparse fp;

	if (len > FAMILY_DATA_MAX) {
		buf_printf(err, "%s: larger than %d bytes\n", origin, FAMILY_DATA_MAX);
		return NULL;
	}
	memset(&fp, 0, sizeof fp);
	fp.origin = origin;
	fp.err = err;
	d = xcalloc(1, sizeof *d);
	if ((d->root = fp_parse(origin, text, len, err)) == NULL) {
		free(d);
		return NULL;
	}
	for (size_t i = 0; i < d->root->n; i++)
		if (strcmp(d->root->keys[i], "lists") != 0)
			fp_error(&fp, d->root->kids[i]->line, d->root->keys[i],
			    "unknown key (lists)");
	lists = fn_get(d->root, "lists");
	if (lists == NULL || (lists->kind != FN_SEQ && lists->kind != FN_NULL)) {
		fp_error(&fp, lists ? lists->line : 1, "lists",
		    "required, a sequence of lists");
	} else if (lists->n > FAMILY_LISTS_MAX) {
		fp_error(&fp, lists->line, "lists", "more than %d lists",
		    FAMILY_LISTS_MAX);
	} else {
		d->entries = xcalloc(lists->n ? lists->n : 1, sizeof *d->entries);
		for (size_t i = 0; i < lists->n; i++)
			fd_entry(&fp, lists->kids[i], &d->entries[d->n++]);
	}
	if (!fp.failed && d->n > 1) {
		/* Sorted by name: duplicates are neighbours, lookups bsearch. */
		qsort(d->entries, d->n, sizeof *d->entries, fd_cmp);
		for (size_t i = 1; i < d->n; i++)
			if (strcmp(d->entries[i].name, d->entries[i - 1].name) == 0)
				fp_error(&fp, d->entries[i].line, "name",
				    "%s: listed twice (also at line %lu)",
				    d->entries[i].name, d->entries[i - 1].line);
	}
	if (fp.failed) {
		family_data_free(d);
		return NULL;
	}
	return d;
}

struct family_data *
family_data_load(const char *path, struct buf *err)
{
	struct buf text = BUF_INIT(FAMILY_DATA_MAX);
	struct family_data *d = NULL;

	if (fp_read_file(path, FAMILY_DATA_MAX, &text, err) == 0)
		d = family_data_load_text(path, buf_cstr(&text), text.len, err);
	buf_free(&text);
	return d;
}

void
family_data_free(struct family_data *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free((void *)d->entries[i].owners);
		free((void *)d->entries[i].editors);
		free((void *)d->entries[i].var_names);
		free((void *)d->entries[i].var_values);
	}
	free(d->entries);
	fn_free(d->root);
	free(d);
}

size_t
family_data_count(const struct family_data *d)
{
	return d->n;
}

const struct family_entry *
family_data_entry(const struct family_data *d, size_t i)
{
	return i < d->n ? &d->entries[i] : NULL;
}

/* -- instantiation ------------------------------------------------------------ */

void
family_result_init(struct family_result *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->instance, 2 * LISTCONF_FILE_MAX);
	buf_init(&r->config, 2 * LISTCONF_FILE_MAX);
	buf_init(&r->reason, 64 * 1024);
	buf_init(&r->kept, 64 * 1024);
	buf_init(&r->dropped, 64 * 1024);
	r->status = "open";
}

void
family_result_free(struct family_result *r)
{
	buf_free(&r->instance);
	buf_free(&r->config);
	buf_free(&r->reason);
	buf_free(&r->kept);
	buf_free(&r->dropped);
	for (size_t i = 0; i < r->nowners; i++)
		free(r->owners[i]);
	r->nowners = 0;
}

/* A sequence of {email: a} for the owner or editor parameter. */
static struct fnode *
fi_admins(const char *const *emails, size_t n)
{
	struct fnode *seq = fn_new(FN_SEQ, 0);

	for (size_t i = 0; i < n; i++) {
		struct fnode *m = fn_new(FN_MAP, 0);

		fn_add(m, "email", fn_scalar(emails[i], 0));
		fn_add(seq, NULL, m);
	}
	return seq;
}

/* Append s to b as part of a one-line reason: newlines become "; ". */
static void
fi_reason(struct buf *b, const char *s)
{
	if (b->len > 0)
		buf_puts(b, "; ");
	for (; *s; s++) {
		if (*s == '\n') {
			if (s[1] != '\0')
				buf_puts(b, "; ");
		} else if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			buf_putc(b, *s);
	}
}

/* Cut a reason to what the database keeps, on a UTF-8 boundary. */
static void
fi_reason_cut(struct buf *b)
{
	size_t n = b->len;

	if (n <= FN_REASON_MAX)
		return;
	n = FN_REASON_MAX - 4;
	while (n > 0 && ((unsigned char)b->data[n] & 0xc0) == 0x80)
		n--;
	buf_truncate(b, n);
	buf_puts(b, " ...");
}

/* Put key of fin back to what the template made (gen). */
static void
fi_revert(struct fnode *fin, const struct fnode *gen, const char *key)
{
	const struct fnode *g = fn_get(gen, key);

	if (g != NULL)
		fn_put(fin, key, fn_copy(g));
	else
		fn_del(fin, key);
}

/* The template filled for e, with data admins, family and constraint values. */
static struct fnode *
fi_generate(const struct family *f, const struct family_entry *e,
    struct buf *reason)
{
	struct buf bad = BUF_INIT(256);
	struct fnode *gen = fn_copy(f->tmpl);
	unsigned long line = 0;
	const char *why;

	if (ph_tree(gen, f, e, &why, &bad, &line) < 0) {
		buf_printf(reason, "template line %lu: {%s}: %s", line,
		    buf_cstr(&bad), why);
		buf_free(&bad);
		fn_free(gen);
		return NULL;
	}
	buf_free(&bad);
	if (e->nowners > 0)
		fn_put(gen, "owner", fi_admins(e->owners, e->nowners));
	if (e->neditors > 0)
		fn_put(gen, "editor", fi_admins(e->editors, e->neditors));
	fn_put(gen, "family", fn_scalar(f->name, 0));
	/* A fixed value or a default the template leaves out is written in. */
	for (size_t i = 0; i < f->ncons; i++) {
		const struct fconstraint *c = &f->cons[i];
		const char *name = listconf_name((enum listconf_param)c->id);

		if (c->kind != FC_ALLOWED && fn_param(gen, name) == NULL)
			fn_param_set(gen, name, c->raw);
	}
	return gen;
}

/*
 * The owner's customisations: top-level keys whose value differs between
 * the list's config.yaml and the instance.yaml made last time, copied
 * into fin. Their names go into cust (a NULL-separated array).
 */
static size_t
fi_customised(const char *current, size_t curlen, const char *instance,
    size_t instlen, struct fnode *fin, char **cust, size_t max,
    struct family_result *out)
{
	struct buf err = BUF_INIT(16 * 1024);
	struct fnode *cur, *inst;
	size_t n = 0;

	if (current == NULL || instance == NULL)
		return 0;
	cur = fp_parse("config.yaml", current, curlen, &err);
	inst = fp_parse("instance.yaml", instance, instlen, &err);
	if (cur == NULL) {
		fi_reason(&out->dropped, "config.yaml (it does not parse: ");
		buf_truncate(&err, strcspn(buf_cstr(&err), "\n"));
		buf_puts(&out->dropped, buf_cstr(&err));
		buf_putc(&out->dropped, ')');
	} else if (inst != NULL) {
		for (size_t i = 0; i < cur->n && n < max; i++) {
			const char *k = cur->keys[i];

			if (strcmp(k, "family") == 0 ||
			    fn_equal(cur->kids[i], fn_get(inst, k)))
				continue;
			fn_put(fin, k, fn_copy(cur->kids[i]));
			cust[n++] = xstrdup(k);
		}
		for (size_t i = 0; i < inst->n && n < max; i++) {
			const char *k = inst->keys[i];

			if (strcmp(k, "family") == 0 || fn_find(cur, k) >= 0)
				continue;
			fn_del(fin, k);		/* the owner removed it */
			cust[n++] = xstrdup(k);
		}
	}
	fn_free(cur);
	fn_free(inst);
	buf_free(&err);
	return n;
}

/* Drop customisation i of cust (the array shrinks). */
static void
fi_drop(char **cust, size_t *n, size_t i, struct fnode *fin,
    const struct fnode *gen, struct family_result *out, const char *why)
{
	fi_revert(fin, gen, cust[i]);
	if (out->dropped.len > 0)
		buf_puts(&out->dropped, "; ");
	buf_printf(&out->dropped, "%s (%s)", cust[i], why);
	free(cust[i]);
	memmove(&cust[i], &cust[i + 1], (*n - i - 1) * sizeof *cust);
	(*n)--;
}

/*
 * Check the constraints; a violation caused by a customisation drops it
 * (1: check again), the others go into reason (0).
 */
static int
fi_check(const struct family *f, const struct listconf *lc, char **cust,
    size_t *ncust, struct fnode *fin, const struct fnode *gen,
    struct family_result *out)
{
	struct buf why = BUF_INIT(64 * 1024);
	int again = 0;

	buf_reset(&out->reason);
	for (size_t i = 0; i < f->ncons; i++) {
		const char *name = listconf_name((enum listconf_param)f->cons[i].id);
		size_t toplen = strcspn(name, ".");
		size_t j;

		buf_reset(&why);
		if (fc_check(&f->cons[i], lc, &why) == 0)
			continue;
		for (j = 0; j < *ncust; j++)
			if (strlen(cust[j]) == toplen &&
			    strncmp(cust[j], name, toplen) == 0)
				break;
		if (j < *ncust) {
			fi_drop(cust, ncust, j, fin, gen, out, buf_cstr(&why));
			again = 1;
		} else
			fi_reason(&out->reason, buf_cstr(&why));
	}
	buf_free(&why);
	return again;
}

int
family_instantiate(const struct family *f, const struct family_entry *e,
    const char *current, size_t curlen, const char *instance, size_t instlen,
    struct family_result *out)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct fnode *gen, *fin;
	struct listconf *lc = NULL;
	char *cust[256];
	size_t ncust = 0;
	int bad = 0;

	if ((gen = fi_generate(f, e, &out->reason)) == NULL)
		return -1;
	fe_config(&out->instance, f, gen);
	fin = fn_copy(gen);
	ncust = fi_customised(current, curlen, instance, instlen, fin, cust,
	    sizeof cust / sizeof cust[0], out);
	for (;;) {
		listconf_free(lc);
		fe_config(&out->config, f, fin);
		buf_reset(&err);
		lc = listconf_load_text("config.yaml", buf_cstr(&out->config),
		    out->config.len, NULL, &err);
		if (lc == NULL && ncust > 0) {
			/* Which key broke it is not known: keep none. */
			buf_truncate(&err, strcspn(buf_cstr(&err), "\n"));
			while (ncust > 0)
				fi_drop(cust, &ncust, 0, fin, gen, out,
				    buf_cstr(&err));
			continue;
		}
		if (lc == NULL) {
			buf_reset(&out->reason);
			fi_reason(&out->reason, "the configuration does not load: ");
			fi_reason(&out->reason, buf_cstr(&err));
			bad = 1;
			break;
		}
		if (fi_check(f, lc, cust, &ncust, fin, gen, out))
			continue;
		bad = out->reason.len > 0;
		break;
	}
	for (size_t i = 0; i < ncust; i++) {
		buf_printf(&out->kept, "%s%s", i ? ", " : "", cust[i]);
		free(cust[i]);
	}
	if (e->nowners > 0) {
		for (size_t i = 0; i < e->nowners; i++)
			out->owners[out->nowners++] = xstrdup(e->owners[i]);
	} else if (lc != NULL) {
		const struct listconf_admin *a;
		size_t n = listconf_admins(lc, LC_OWNER, &a);

		for (size_t i = 0; i < n && i < FAMILY_ADMINS_MAX; i++)
			out->owners[out->nowners++] = xstrdup(a[i].email);
	}
	fi_reason_cut(&out->reason);
	/* A list the data closes stays closed: error_config would route it. */
	/* Static strings: the result outlives the data. */
	if (strcmp(e->status, "closed") == 0)
		out->status = "closed";
	else if (bad)
		out->status = "error_config";
	else
		out->status = strcmp(e->status, "pending") == 0 ? "pending" : "open";
	listconf_free(lc);
	fn_free(gen);
	fn_free(fin);
	buf_free(&err);
	return 0;
}
