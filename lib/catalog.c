/*
 * catalog - the message catalogue: YAML files of templates, English built in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "buf.h"
#include "catalog.h"
#include "log.h"
#include "mem.h"
#include "strmap.h"

#define CATALOG_PROBLEMS_MAX	20		/* lines of problems per file */
#define CATALOG_ERR_MAX		(64 * 1024)	/* bytes of those lines */
#define CATALOG_DEPTH_MAX	64		/* nesting skipped past in a broken file */
#define CATALOG_CACHE_MAX	256		/* languages remembered per catalogue */
#define CATALOG_PATH_MAX	4096
#define CATALOG_VALUE_MAX	(1024 * 1024)	/* bytes of a value made by addf */

/* catalog/en.yaml, made into a C string at build time (scripts/embed-text.sh). */
extern const char catalog_en_yaml[];

struct catalog_entry {
	char	*key;
	char	*text;
};

struct catalog_table {
	struct catalog_entry	*e;		/* in file order */
	size_t			 n, cap;
	struct strmap		*index;		/* key -> text */
};

/* A language asked for once: its table, or NULL when it has none usable. */
struct catalog_lang {
	char			 tag[CATALOG_TAG_MAX + 1];
	struct catalog_table	*table;
};

struct catalog {
	char			*dir;		/* NULL: English only */
	char			 default_lang[CATALOG_TAG_MAX + 1];	/* "": none */
	struct catalog_table	*english;
	struct strmap		*langs;		/* tag -> struct catalog_lang */
	int			 full_logged;
};

/* Characters, by hand: a locale must not change what a key or a tag is. */

static int
catalog_is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int
catalog_is_alpha(int c)
{
	return catalog_is_lower(c) || (c >= 'A' && c <= 'Z');
}

static int
catalog_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
catalog_to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
catalog_to_upper(int c)
{
	return catalog_is_lower(c) ? c - 'a' + 'A' : c;
}

/*
 * The length of the UTF-8 sequence at s (n bytes left) and its code point
 * in *cp; 0 when it is not the shortest encoding of a scalar value.
 */
static size_t
catalog_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* C0 (but LF and TAB, and CR where cr_ok), DEL and C1: never in a mail's text. */
static int
catalog_is_control(uint32_t c, int cr_ok)
{
	if (c == '\n' || c == '\t' || (c == '\r' && cr_ok))
		return 0;
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/*
 * The offset of the first byte of s that is not valid UTF-8 or starts a
 * control character, or n; *why says which.
 */
static size_t
catalog_bad_char(const char *s, size_t n, int cr_ok, const char **why)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t c;

	while (i < n) {
		if ((k = catalog_utf8(u + i, n - i, &c)) == 0) {
			*why = "invalid UTF-8";
			return i;
		}
		if (catalog_is_control(c, cr_ok)) {
			*why = "a control character (only line ends and tabs are allowed)";
			return i;
		}
		i += k;
	}
	return n;
}

/* The length of the name when s (just after a '{') starts "name}"; else 0. */
static size_t
catalog_placeholder(const char *s)
{
	size_t n = 0;

	while (catalog_is_lower((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n > 0 && n <= CATALOG_NAME_MAX && s[n] == '}' ? n : 0;
}

/* Whether tpl has the placeholder "{name}" (n bytes of name). */
static int
catalog_has_placeholder(const char *tpl, const char *name, size_t n)
{
	const char *p = tpl;
	size_t k;

	while ((p = strchr(p, '{')) != NULL) {
		p++;
		if ((k = catalog_placeholder(p)) == n && memcmp(p, name, n) == 0)
			return 1;
	}
	return 0;
}

/* Tables. */

static struct catalog_table *
catalog_table_new(void)
{
	struct catalog_table *t = xcalloc(1, sizeof *t);

	t->index = strmap_new();
	return t;
}

void
catalog_table_free(struct catalog_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].key);
		free(t->e[i].text);
	}
	free(t->e);
	strmap_free(t->index, NULL);
	free(t);
}

/* Add a key the table does not hold; text has len bytes, no NUL among them. */
static void
catalog_table_add(struct catalog_table *t, const char *key, const char *text, size_t len)
{
	struct catalog_entry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->e = xreallocarray(t->e, t->cap, sizeof *t->e);
	}
	e = &t->e[t->n++];
	e->key = xstrdup(key);
	e->text = xstrndup(text, len);
	strmap_put(t->index, key, e->text);
}

const char *
catalog_table_get(const struct catalog_table *t, const char *key)
{
	return t != NULL && key != NULL ? strmap_get(t->index, key) : NULL;
}

size_t
catalog_table_count(const struct catalog_table *t)
{
	return t != NULL ? t->n : 0;
}

const char *
catalog_table_entry(const struct catalog_table *t, size_t i, const char **text)
{
	if (t == NULL || i >= t->n)
		return NULL;
	if (text != NULL)
		*text = t->e[i].text;
	return t->e[i].key;
}

/* The parser: libyaml events, one mapping of keys to string scalars. */

struct catalog_parser {
	const char		*origin;
	const char		*text;
	size_t			 len;
	yaml_parser_t		 yp;
	const struct catalog_table *english;
	struct catalog_table	*t;
	struct strmap		*seen;		/* key -> its line, as a pointer */
	struct buf		*err;
	int			 fatal;		/* problems that refuse the file */
	int			 lines;		/* problems written to err */
};

static void
catalog_problem(struct catalog_parser *p, int fatal, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * One line "origin:line: problem" into err. A full err only loses the
 * message, never the verdict: fatal problems are counted all the same.
 */
static void
catalog_problem(struct catalog_parser *p, int fatal, size_t line, const char *fmt, ...)
{
	va_list ap;
	size_t mark = p->err->len;
	int ok;

	p->fatal += fatal;
	if (p->lines++ > CATALOG_PROBLEMS_MAX)
		return;
	if (p->lines > CATALOG_PROBLEMS_MAX) {
		ok = buf_printf(p->err, "%s: more problems not shown\n", p->origin) == 0;
	} else {
		va_start(ap, fmt);
		ok = buf_printf(p->err, "%s:%zu: ", p->origin, line) == 0 &&
		    buf_vprintf(p->err, fmt, ap) == 0 && buf_putc(p->err, '\n') == 0;
		va_end(ap);
	}
	if (!ok)
		buf_truncate(p->err, mark);
}

/* The line (from 1) of a byte offset of the text. */
static size_t
catalog_line_of(const struct catalog_parser *p, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off && i < p->len; i++)
		line += p->text[i] == '\n';
	return line;
}

static int
catalog_next(struct catalog_parser *p, yaml_event_t *ev)
{
	size_t line;

	if (yaml_parser_parse(&p->yp, ev))
		return 0;
	/* The reader only knows offsets; the scanner and parser know lines. */
	if (p->yp.error == YAML_READER_ERROR)
		line = catalog_line_of(p, p->yp.problem_offset);
	else
		line = p->yp.problem_mark.line + 1;
	catalog_problem(p, 1, line, "YAML syntax error: %s%s%s",
	    p->yp.problem ? p->yp.problem : "unknown problem",
	    p->yp.context ? " " : "", p->yp.context ? p->yp.context : "");
	return -1;
}

static size_t
catalog_event_line(const yaml_event_t *ev)
{
	return ev->start_mark.line + 1;
}

/* A sequence or mapping met where a string was due: skip it whole. */
static int
catalog_skip(struct catalog_parser *p, const yaml_event_t *first)
{
	yaml_event_t ev;
	int depth = 1;

	if (first->type != YAML_SEQUENCE_START_EVENT && first->type != YAML_MAPPING_START_EVENT)
		return 0;
	while (depth > 0) {
		if (catalog_next(p, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
		if (depth > CATALOG_DEPTH_MAX) {
			catalog_problem(p, 1, catalog_event_line(first), "nested too deep");
			return -1;
		}
	}
	return 0;
}

/* A tag that still says "string": none, the non-specific "!", or !!str. */
static int
catalog_string_tag(const yaml_char_t *tag)
{
	return tag == NULL || strcmp((const char *)tag, "!") == 0 ||
	    strcmp((const char *)tag, YAML_STR_TAG) == 0;
}

/* What a node that should be a string is, when it is not one; NULL if it is. */
static const char *
catalog_not_string(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL)
			return "an anchor (&name): anchors and aliases are not allowed";
		if (!catalog_string_tag(ev->data.scalar.tag))
			return "a tag other than !!str: every text is a string";
		return NULL;
	case YAML_ALIAS_EVENT:
		return "an alias (*name): anchors and aliases are not allowed";
	case YAML_SEQUENCE_START_EVENT:
		return "a sequence: every text is a string";
	case YAML_MAPPING_START_EVENT:
		return "a nested mapping: every text is a string";
	default:
		return "not a string";
	}
}

/* A plain scalar YAML reads as null ("key:" alone, "~", "null"). */
static int
catalog_is_null(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (strcmp(v, nulls[i]) == 0)
			return 1;
	return 0;
}

static int
catalog_key_syntax(const char *k, size_t len)
{
	if (len == 0 || len > CATALOG_KEY_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!catalog_is_lower((unsigned char)k[i]) &&
		    !catalog_is_digit((unsigned char)k[i]) && k[i] != '_' && k[i] != '.')
			return 0;
	return 1;
}

/* Check a key node: 1 when it can name a text. */
static int
catalog_key_ok(struct catalog_parser *p, const yaml_event_t *ev)
{
	const char *why, *k;
	void *first;

	/* An anchor, alias or tag says more than "not a name" would. */
	if ((ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT) &&
	    (why = catalog_not_string(ev)) != NULL) {
		catalog_problem(p, 1, catalog_event_line(ev), "key: %s", why);
		return 0;
	}
	if (ev->type != YAML_SCALAR_EVENT ||
	    !catalog_key_syntax((const char *)ev->data.scalar.value, ev->data.scalar.length)) {
		catalog_problem(p, 1, catalog_event_line(ev),
		    "a key is 1 to %d of a-z 0-9 _ and .", CATALOG_KEY_MAX);
		return 0;
	}
	k = (const char *)ev->data.scalar.value;
	if ((first = strmap_get(p->seen, k)) != NULL) {
		catalog_problem(p, 1, catalog_event_line(ev), "%s: set twice (first on line %zu)",
		    k, (size_t)(uintptr_t)first);
		return 0;
	}
	strmap_put(p->seen, k, (void *)(uintptr_t)catalog_event_line(ev));
	return 1;
}

/* Check a value node: 1 when it is a text within the limits. */
static int
catalog_value_ok(struct catalog_parser *p, const char *key, const yaml_event_t *ev)
{
	const char *why, *v;
	size_t len, bad;

	if ((why = catalog_not_string(ev)) != NULL) {
		catalog_problem(p, 1, catalog_event_line(ev), "%s: %s", key, why);
		return 0;
	}
	v = (const char *)ev->data.scalar.value;
	len = ev->data.scalar.length;
	if (catalog_is_null(ev)) {
		catalog_problem(p, 1, catalog_event_line(ev),
		    "%s: no text (YAML null); write \"\" for an empty one", key);
		return 0;
	}
	if (len > CATALOG_TEXT_MAX) {
		catalog_problem(p, 1, catalog_event_line(ev), "%s: a text longer than %d bytes",
		    key, CATALOG_TEXT_MAX);
		return 0;
	}
	/* Escapes in double-quoted strings can make any character: look again. */
	if ((bad = catalog_bad_char(v, len, 0, &why)) < len) {
		catalog_problem(p, 1, catalog_event_line(ev), "%s: %s in the text", key, why);
		return 0;
	}
	return 1;
}

/*
 * Whether a translation's text may stand for English's: a key English
 * has, and no placeholder the English text lacks, which would reach a
 * mail as written or, worse, show a value the English text never shows.
 */
static int
catalog_translation_ok(struct catalog_parser *p, const char *key, const char *text,
    size_t line)
{
	const char *en = catalog_table_get(p->english, key), *q = text;
	size_t n;

	if (en == NULL) {
		catalog_problem(p, 0, line, "%s: not a key of the English catalogue: ignored", key);
		return 0;
	}
	while ((q = strchr(q, '{')) != NULL) {
		q++;
		if ((n = catalog_placeholder(q)) > 0 && !catalog_has_placeholder(en, q, n)) {
			catalog_problem(p, 0, line,
			    "%s: {%.*s} is not in the English text: ignored, English used",
			    key, (int)n, q);
			return 0;
		}
	}
	return 1;
}

/* One key and its value. */
static int
catalog_pair(struct catalog_parser *p, yaml_event_t *key)
{
	yaml_event_t val;
	int key_ok, val_ok;
	const char *k;

	key_ok = catalog_key_ok(p, key);
	if (catalog_skip(p, key) < 0 || catalog_next(p, &val) < 0)
		return -1;
	k = key_ok ? (const char *)key->data.scalar.value : "(bad key)";
	val_ok = catalog_value_ok(p, k, &val);
	if (key_ok && val_ok && (p->english == NULL ||
	    catalog_translation_ok(p, k, (const char *)val.data.scalar.value,
	    catalog_event_line(&val))))
		catalog_table_add(p->t, k, (const char *)val.data.scalar.value,
		    val.data.scalar.length);
	if (catalog_skip(p, &val) < 0) {
		yaml_event_delete(&val);
		return -1;
	}
	yaml_event_delete(&val);
	return 0;
}

static int
catalog_mapping(struct catalog_parser *p)
{
	yaml_event_t key;
	int rc;

	for (;;) {
		if (p->fatal > CATALOG_PROBLEMS_MAX)
			return -1;
		if (catalog_next(p, &key) < 0)
			return -1;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		rc = catalog_pair(p, &key);
		yaml_event_delete(&key);
		if (rc < 0)
			return -1;
	}
}

/* One document: a mapping, or nothing at all. */
static int
catalog_document(struct catalog_parser *p)
{
	yaml_event_t ev;
	int rc = 0;

	if (catalog_next(p, &ev) < 0)
		return -1;
	if (ev.type == YAML_MAPPING_START_EVENT && ev.data.mapping_start.anchor == NULL)
		rc = catalog_mapping(p);
	else if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0 &&
	    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		rc = 0;		/* "---" and nothing else: no text translated */
	else {
		catalog_problem(p, 1, catalog_event_line(&ev),
		    "expected one mapping of keys to texts");
		rc = -1;
	}
	yaml_event_delete(&ev);
	if (rc < 0 || catalog_next(p, &ev) < 0)
		return -1;
	yaml_event_delete(&ev);		/* the document's end */
	return 0;
}

static int
catalog_stream(struct catalog_parser *p)
{
	yaml_event_t ev;
	int docs = 0;

	for (;;) {
		if (catalog_next(p, &ev) < 0)
			return -1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		case YAML_DOCUMENT_START_EVENT:
			if (docs++ > 0) {
				catalog_problem(p, 1, catalog_event_line(&ev),
				    "a second document: a catalogue is one mapping");
				yaml_event_delete(&ev);
				return -1;
			}
			yaml_event_delete(&ev);
			if (catalog_document(p) < 0)
				return -1;
			break;
		default:	/* the stream's start */
			yaml_event_delete(&ev);
			break;
		}
	}
}

struct catalog_table *
catalog_parse(const char *origin, const char *text, size_t len,
    const struct catalog_table *english, struct buf *err)
{
	struct catalog_parser p = {
		.origin = origin, .text = text ? text : "", .len = text ? len : 0,
		.english = english, .err = err,
	};
	const char *why;
	size_t bad;

	if (p.len > CATALOG_FILE_MAX) {
		buf_printf(err, "%s: larger than %d bytes\n", origin, CATALOG_FILE_MAX);
		return NULL;
	}
	/* libyaml reports bad bytes by offset and takes UTF-16: decide first. */
	if ((bad = catalog_bad_char(p.text, p.len, 1, &why)) < p.len) {
		catalog_problem(&p, 1, catalog_line_of(&p, bad), "%s", why);
		return NULL;
	}
	if (!yaml_parser_initialize(&p.yp)) {
		buf_printf(err, "%s: cannot start the YAML parser\n", origin);
		return NULL;
	}
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)p.text, p.len);
	yaml_parser_set_encoding(&p.yp, YAML_UTF8_ENCODING);
	p.t = catalog_table_new();
	p.seen = strmap_new();
	if (catalog_stream(&p) < 0 || p.fatal > 0) {
		catalog_table_free(p.t);
		p.t = NULL;
	}
	strmap_free(p.seen, NULL);
	yaml_parser_delete(&p.yp);
	return p.t;
}

/* Files. */

/* Read and parse path; *missing is set when there is no such file. */
static struct catalog_table *
catalog_read(const char *path, const struct catalog_table *english, struct buf *err,
    int *missing)
{
	struct buf text = BUF_INIT(CATALOG_FILE_MAX);
	struct catalog_table *t = NULL;
	char chunk[16384];
	struct stat st;
	ssize_t n;
	int fd;

	*missing = 0;
	/* O_NONBLOCK: a FIFO put there must not hang the daemon in open(). */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		*missing = errno == ENOENT || errno == ENOTDIR;
		buf_printf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		buf_printf(err, "%s: not a regular file\n", path);
		close(fd);
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		if (buf_append(&text, chunk, (size_t)n) < 0)
			break;
	if (n < 0)
		buf_printf(err, "%s: cannot read: %s\n", path, strerror(errno));
	else if (n > 0)
		buf_printf(err, "%s: larger than %d bytes\n", path, CATALOG_FILE_MAX);
	else
		t = catalog_parse(path, buf_cstr(&text), text.len, english, err);
	close(fd);
	buf_free(&text);
	return t;
}

struct catalog_table *
catalog_load_file(const char *path, const struct catalog_table *english, struct buf *err)
{
	int missing;

	return catalog_read(path, english, err, &missing);
}

struct catalog_table *
catalog_builtin_english(struct buf *err)
{
	return catalog_parse("en.yaml (built in)", catalog_en_yaml, strlen(catalog_en_yaml),
	    NULL, err);
}

/* Each line of err as a warning of its own. */
static void
catalog_log_lines(const struct buf *err)
{
	const char *p = buf_cstr(err);
	size_t n;

	for (; *p != '\0'; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		log_warn("catalog: %.*s", (int)n, p);
	}
}

/* Languages. */

/* Put one subtag (n bytes at s) in its usual case; 0, or -1 when it is not one. */
static int
catalog_subtag(const char *s, size_t n, int first, int *singleton, char *out)
{
	int alpha = 1;

	for (size_t i = 0; i < n; i++) {
		if (!catalog_is_alpha((unsigned char)s[i]) && !catalog_is_digit((unsigned char)s[i]))
			return -1;
		alpha &= catalog_is_alpha((unsigned char)s[i]);
		out[i] = (char)catalog_to_lower((unsigned char)s[i]);
	}
	if (first)
		return n >= 2 && n <= 3 && alpha ? 0 : -1;
	if (n < 1 || n > 8)
		return -1;
	/* After a singleton (an extension, x- private use) all stays lower-case. */
	if (*singleton || n == 1)
		*singleton = 1;
	else if (n == 2 && alpha)
		out[0] = (char)catalog_to_upper(out[0]), out[1] = (char)catalog_to_upper(out[1]);
	else if (n == 4 && alpha)
		out[0] = (char)catalog_to_upper(out[0]);
	return 0;
}

int
catalog_tag_canon(const char *lang, char *out, size_t size)
{
	size_t len, start, end;
	int singleton = 0;

	if (lang == NULL || (len = strlen(lang)) == 0 || len > CATALOG_TAG_MAX || size <= len)
		return -1;
	for (start = 0; start <= len; start = end + 1) {
		for (end = start; end < len && lang[end] != '-'; end++)
			;
		if (catalog_subtag(lang + start, end - start, start == 0, &singleton,
		    out + start) < 0)
			return -1;
		out[end] = '-';
	}
	out[len] = '\0';
	return 0;
}

static void
catalog_chain_add(struct catalog_chain *ch, const char *tag)
{
	for (size_t i = 0; i < ch->n; i++)
		if (strcmp(ch->tag[i], tag) == 0)
			return;
	if (ch->n < CATALOG_CHAIN_MAX)
		memcpy(ch->tag[ch->n++], tag, strlen(tag) + 1);
}

/* A tag, then each shorter prefix; a prefix never ends in a singleton. */
static void
catalog_chain_add_prefixes(struct catalog_chain *ch, const char *lang)
{
	char t[CATALOG_TAG_MAX + 1];
	char *dash;

	if (lang == NULL || *lang == '\0' || catalog_tag_canon(lang, t, sizeof t) < 0)
		return;
	for (;;) {
		catalog_chain_add(ch, t);
		if ((dash = strrchr(t, '-')) == NULL)
			return;
		*dash = '\0';
		while ((dash = strrchr(t, '-')) != NULL && dash[1] != '\0' && dash[2] == '\0')
			*dash = '\0';
	}
}

void
catalog_lang_chain(const struct catalog *c, const char *lang, struct catalog_chain *out)
{
	out->n = 0;
	catalog_chain_add_prefixes(out, lang);
	if (c != NULL)
		catalog_chain_add_prefixes(out, c->default_lang);
	catalog_chain_add(out, "en");
}

/* Catalogues. */

static void
catalog_lang_free(void *v)
{
	struct catalog_lang *l = v;

	catalog_table_free(l->table);
	free(l);
}

static int
catalog_lang_unused(const char *key, void *v, void *arg)
{
	const struct catalog_lang *l = v;

	(void)key;
	(void)arg;
	return l->table == NULL;
}

/* The table of one language from the directory, with its problems logged. */
static struct catalog_table *
catalog_lang_read(const struct catalog *c, const char *tag)
{
	struct buf path = BUF_INIT(CATALOG_PATH_MAX), err = BUF_INIT(CATALOG_ERR_MAX);
	struct catalog_table *t = NULL;
	int missing;

	if (buf_printf(&path, "%s/%s.yaml", c->dir, tag) < 0) {
		log_warn("catalog: %s: a path too long: English used", c->dir);
	} else if ((t = catalog_read(path.data, c->english, &err, &missing)) == NULL) {
		if (missing)
			log_debug("catalog: no %s", path.data);
		else {
			catalog_log_lines(&err);
			log_warn("catalog: %s refused: English used instead", path.data);
		}
	} else if (err.len > 0) {
		catalog_log_lines(&err);
	}
	buf_free(&path);
	buf_free(&err);
	return t;
}

/* The language of tag (canonical), read on first use; NULL when none can be. */
static const struct catalog_lang *
catalog_lang_get(struct catalog *c, const char *tag)
{
	struct catalog_lang *l;

	if (c->dir == NULL)
		return NULL;
	if ((l = strmap_get(c->langs, tag)) != NULL)
		return l;
	if (strmap_count(c->langs) >= CATALOG_CACHE_MAX) {
		/* Tags asked for with no file behind them go first. */
		strmap_drop_if(c->langs, catalog_lang_unused, NULL, catalog_lang_free);
		if (strmap_count(c->langs) >= CATALOG_CACHE_MAX) {
			if (!c->full_logged++)
				log_warn("catalog: more than %d languages: the others get English",
				    CATALOG_CACHE_MAX);
			return NULL;
		}
	}
	l = xcalloc(1, sizeof *l);
	memcpy(l->tag, tag, strlen(tag) + 1);
	l->table = catalog_lang_read(c, tag);
	strmap_put(c->langs, tag, l);
	return l;
}

struct catalog *
catalog_open_table(const char *dir, const char *default_lang, struct catalog_table *english)
{
	struct catalog *c = xcalloc(1, sizeof *c);

	c->dir = dir != NULL && *dir != '\0' ? xstrdup(dir) : NULL;
	c->english = english != NULL ? english : catalog_table_new();
	c->langs = strmap_new();
	if (default_lang != NULL && *default_lang != '\0' &&
	    catalog_tag_canon(default_lang, c->default_lang, sizeof c->default_lang) < 0) {
		log_warn("catalog: lang \"%s\" is no language tag: English used", default_lang);
		c->default_lang[0] = '\0';
	}
	return c;
}

struct catalog *
catalog_open(const char *dir, const char *default_lang)
{
	struct buf err = BUF_INIT(CATALOG_ERR_MAX);
	struct catalog_table *en;

	/* Only a build from a broken catalog/en.yaml can fail; catalog_test says so. */
	if ((en = catalog_builtin_english(&err)) == NULL) {
		catalog_log_lines(&err);
		log_error("catalog: the built-in English is broken: texts are replaced by their keys");
	}
	buf_free(&err);
	return catalog_open_table(dir, default_lang, en);
}

void
catalog_close(struct catalog *c)
{
	if (c == NULL)
		return;
	strmap_free(c->langs, catalog_lang_free);
	catalog_table_free(c->english);
	free(c->dir);
	free(c);
}

const char *
catalog_get(struct catalog *c, const char *lang, const char *key, const char **used_lang)
{
	struct catalog_chain chain;
	const struct catalog_lang *l;
	const char *en, *text;
	char tag[CATALOG_TAG_MAX + 1];

	if (used_lang != NULL)
		*used_lang = NULL;
	if ((en = catalog_table_get(c->english, key)) == NULL)
		return NULL;
	if (lang != NULL && *lang != '\0' && catalog_tag_canon(lang, tag, sizeof tag) < 0)
		log_debug("catalog: \"%s\" is no language tag: ignored", lang);
	catalog_lang_chain(c, lang, &chain);
	/* English is complete: nothing after it in the chain is looked at. */
	for (size_t i = 0; i < chain.n && strcmp(chain.tag[i], "en") != 0; i++) {
		if ((l = catalog_lang_get(c, chain.tag[i])) != NULL && l->table != NULL &&
		    (text = catalog_table_get(l->table, key)) != NULL) {
			if (used_lang != NULL)
				*used_lang = l->tag;
			return text;
		}
	}
	if (used_lang != NULL)
		*used_lang = "en";
	return en;
}

/* Values. */

void
catalog_vars_init(struct catalog_vars *vs)
{
	memset(vs, 0, sizeof *vs);
}

static int
catalog_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > CATALOG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!catalog_is_lower((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

static struct catalog_var *
catalog_vars_find(const struct catalog_vars *vs, const char *name, size_t n)
{
	if (vs == NULL)
		return NULL;
	for (size_t i = 0; i < vs->n; i++)
		if (strncmp(vs->v[i].name, name, n) == 0 && vs->v[i].name[n] == '\0')
			return (struct catalog_var *)&vs->v[i];
	return NULL;
}

int
catalog_vars_add(struct catalog_vars *vs, const char *name, const char *value)
{
	size_t n = strlen(name);
	struct catalog_var *v;

	if (!catalog_name_ok(name, n))
		return -1;
	if ((v = catalog_vars_find(vs, name, n)) != NULL) {
		free(v->value);
		v->value = xstrdup(value != NULL ? value : "");
		return 0;
	}
	if (vs->n == CATALOG_VARS_MAX)
		return -1;
	v = &vs->v[vs->n++];
	v->name = xstrdup(name);
	v->value = xstrdup(value != NULL ? value : "");
	return 0;
}

int
catalog_vars_addf(struct catalog_vars *vs, const char *name, const char *fmt, ...)
{
	struct buf b = BUF_INIT(CATALOG_VALUE_MAX);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = catalog_vars_add(vs, name, buf_cstr(&b));
	buf_free(&b);
	return rc;
}

const char *
catalog_vars_get(const struct catalog_vars *vs, const char *name)
{
	const struct catalog_var *v = catalog_vars_find(vs, name, strlen(name));

	return v != NULL ? v->value : NULL;
}

void
catalog_vars_free(struct catalog_vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	vs->n = 0;
}

/* Expansion. */

int
catalog_expand(const char *tpl, const struct catalog_vars *vs, struct buf *out)
{
	const char *p = tpl, *open;
	const struct catalog_var *v;
	size_t mark = out->len, n;

	while ((open = strchr(p, '{')) != NULL) {
		if (buf_append(out, p, (size_t)(open - p)) < 0)
			goto full;
		n = catalog_placeholder(open + 1);
		if (n > 0 && (v = catalog_vars_find(vs, open + 1, n)) != NULL) {
			if (buf_puts(out, v->value) < 0)
				goto full;
			p = open + n + 2;
		} else {
			if (buf_putc(out, '{') < 0)
				goto full;
			p = open + 1;
		}
	}
	if (buf_puts(out, p) == 0)
		return 0;
full:
	buf_truncate(out, mark);
	return -1;
}

int
catalog_text(struct catalog *c, const char *lang, const char *key,
    const struct catalog_vars *vs, struct buf *out)
{
	const char *tpl = catalog_get(c, lang, key, NULL);

	if (tpl == NULL) {
		(void)buf_printf(out, "[%s]", key);
		return -1;
	}
	return catalog_expand(tpl, vs, out);
}
