/*
 * domlimits - the per-domain sending limits file (see domlimits.h).
 *
 * Lines are parsed in place from the caller's bytes, word by word; a
 * line is checked completely into a scratch entry before it changes the
 * table, so a bad line leaves no trace. Listed domains live in a strmap
 * (lower-case name -> entry) for lookups and in a vector, in the order
 * they were first listed, for iteration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "domlimits.h"
#include "log.h"
#include "mem.h"
#include "strmap.h"

enum dl_key {
	DL_NRCPT,
	DL_CONCURRENCY,
	DL_ONECLICK,
	DL_SINGLE,
	DL_NKEYS
};

static const struct dl_keydef {
	const char	*name;
	int		 max;		/* numbers 1..max; 0: a yes/no */
} dl_keys[DL_NKEYS] = {
	[DL_NRCPT] = { "nrcpt", DOMLIMITS_NRCPT_MAX },
	[DL_CONCURRENCY] = { "concurrency", DOMLIMITS_CONCURRENCY_MAX },
	[DL_ONECLICK] = { "oneclick", 0 },
	[DL_SINGLE] = { "single", 0 },
};

/* One line's settings: the keys it gives (set bits) and their values. */
struct dl_entry {
	char		*name;		/* lower case; NULL for "*" */
	unsigned	 set;		/* 1 << enum dl_key */
	int		 v[DL_NKEYS];
	unsigned long	 line;		/* where it was last given */
};

struct domlimits {
	struct strmap	 *map;		/* name -> struct dl_entry */
	struct dl_entry **v;		/* first-listed order */
	size_t		  n, cap;
	struct dl_entry	  star;		/* set == 0: no "*" line */
};

/* Words are quoted in messages up to this many bytes. */
#define DL_QUOTE	64

/* Problems are logged up to DOMLIMITS_LOG_MAX lines per file. */
struct dl_ctx {
	const char	*name;
	unsigned long	 lineno;
	size_t		 errors;
	size_t		 logged, unlogged;
};

static void dl_note(struct dl_ctx *cx, int error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

static void
dl_note(struct dl_ctx *cx, int error, const char *fmt, ...)
{
	struct buf b = BUF_INIT(LOG_LINE_MAX);
	va_list ap;

	if (cx->logged >= DOMLIMITS_LOG_MAX) {
		cx->unlogged++;
		return;
	}
	cx->logged++;
	va_start(ap, fmt);
	/* Cannot fail: quoted words are cut at DL_QUOTE bytes. */
	(void)buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (error)
		log_error("%s:%lu: %s; line skipped", cx->name, cx->lineno,
		    buf_cstr(&b));
	else
		log_warn("%s:%lu: %s", cx->name, cx->lineno, buf_cstr(&b));
	buf_free(&b);
}

/* -- the table --------------------------------------------------------- */

static struct domlimits *
dl_new(void)
{
	struct domlimits *dl = xcalloc(1, sizeof(*dl));

	dl->map = strmap_new();
	return dl;
}

void
domlimits_free(struct domlimits *dl)
{
	if (dl == NULL)
		return;
	strmap_free(dl->map, NULL);
	for (size_t i = 0; i < dl->n; i++) {
		free(dl->v[i]->name);
		free(dl->v[i]);
	}
	free(dl->v);
	free(dl);
}

size_t
domlimits_count(const struct domlimits *dl)
{
	return dl == NULL ? 0 : dl->n;
}

/*
 * The table's entry for domain (len bytes, any case), or NULL. Names
 * that cannot be listed (too long, a NUL byte) are never found.
 */
static const struct dl_entry *
dl_find(const struct domlimits *dl, const char *domain, size_t len)
{
	char key[DOMLIMITS_DOMAIN_MAX + 1];

	if (dl == NULL || dl->n == 0 || domain == NULL || len == 0 ||
	    len > DOMLIMITS_DOMAIN_MAX || memchr(domain, '\0', len) != NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)domain[i];

		key[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	key[len] = '\0';
	return strmap_get(dl->map, key);
}

/* e's keys over out. */
static void
dl_apply(int out[DL_NKEYS], const struct dl_entry *e)
{
	for (int k = 0; k < DL_NKEYS; k++)
		if (e != NULL && (e->set & (1u << k)))
			out[k] = e->v[k];
}

static void
dl_fill(struct domlimit *out, const int v[DL_NKEYS])
{
	out->nrcpt = v[DL_NRCPT];
	out->concurrency = v[DL_CONCURRENCY];
	out->oneclick = v[DL_ONECLICK];
	out->single = v[DL_SINGLE];
}

/* The limits of entry e (NULL: not listed): e over "*" over 0. */
static void
dl_merged(const struct domlimits *dl, const struct dl_entry *e,
    struct domlimit *out)
{
	int v[DL_NKEYS] = { 0 };

	if (dl != NULL)
		dl_apply(v, &dl->star);
	dl_apply(v, e);
	dl_fill(out, v);
}

void
domlimits_get(const struct domlimits *dl, const char *domain, size_t len,
    struct domlimit *out)
{
	dl_merged(dl, dl_find(dl, domain, len), out);
}

void
domlimits_defaults(const struct domlimits *dl, struct domlimit *out)
{
	dl_merged(dl, NULL, out);
}

int
domlimits_listed(const struct domlimits *dl, const char *domain, size_t len)
{
	return dl_find(dl, domain, len) != NULL;
}

void
domlimits_foreach(const struct domlimits *dl, domlimits_each_fn *fn,
    void *arg)
{
	struct domlimit lim;

	if (dl == NULL)
		return;
	for (size_t i = 0; i < dl->n; i++) {
		dl_merged(dl, dl->v[i], &lim);
		fn(dl->v[i]->name, &lim, arg);
	}
}

int
domlimit_one_each(const struct domlimit *lim, int job_oneclick)
{
	return lim->single || (job_oneclick && lim->oneclick);
}

/*
 * Put a checked line's settings (name: lower case, or "*") in the table;
 * a name listed before is replaced whole.
 */
static void
dl_store(struct domlimits *dl, struct dl_ctx *cx, const char *name,
    const struct dl_entry *line)
{
	struct dl_entry *e;

	if (strcmp(name, "*") == 0) {
		if (dl->star.set != 0)
			dl_note(cx, 0, "\"*\" given again (line %lu before): "
			    "this line replaces it", dl->star.line);
		dl->star = *line;
		dl->star.name = NULL;
		return;
	}
	if ((e = strmap_get(dl->map, name)) != NULL) {
		dl_note(cx, 0, "%s listed again (line %lu before): this line "
		    "replaces it", name, e->line);
		memcpy(e->v, line->v, sizeof(e->v));
		e->set = line->set;
		e->line = line->line;
		return;
	}
	e = xmalloc(sizeof(*e));
	*e = *line;
	e->name = xstrdup(name);
	if (dl->n == dl->cap) {
		dl->cap = dl->cap ? dl->cap * 2 : 16;
		dl->v = xreallocarray(dl->v, dl->cap, sizeof(dl->v[0]));
	}
	dl->v[dl->n++] = e;
	(void)strmap_put(dl->map, e->name, e);
}

/* -- one line ---------------------------------------------------------- */

static int
dl_is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next word of [*p, end) into *w, *wlen; 0 at the end. */
static int
dl_word(const char **p, const char *end, const char **w, size_t *wlen)
{
	const char *s = *p;

	while (s < end && dl_is_blank((unsigned char)*s))
		s++;
	if (s == end) {
		*p = s;
		return 0;
	}
	*w = s;
	while (s < end && !dl_is_blank((unsigned char)*s))
		s++;
	*wlen = (size_t)(s - *w);
	*p = s;
	return 1;
}

/*
 * The domain word, folded into name: "*", or printable ASCII without
 * '@', '=' or '*'. NULL, or why not.
 */
static const char *
dl_domain(const char *w, size_t len, char name[DOMLIMITS_DOMAIN_MAX + 1])
{
	if (len > DOMLIMITS_DOMAIN_MAX)
		return "domain longer than 253 bytes";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c <= ' ' || c >= 0x7f)
			return "domain with a byte that is not printable ASCII";
		if (c == '@')
			return "a domain, not an address, is expected";
		if (c == '=')
			return "the line must start with a domain";
		if (c == '*' && len > 1)
			return "no wildcard but a lone \"*\" (domains match "
			    "exactly)";
		name[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	name[len] = '\0';
	return NULL;
}

static int
dl_all_digits(const char *w, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (w[i] < '0' || w[i] > '9')
			return 0;
	return len > 0;
}

/* A number 1..max: decimal digits only. -1 if not. */
static int
dl_number(const char *w, size_t len, int max)
{
	long v = 0;

	/* Leading zeros are harmless; nine digits cannot overflow. */
	while (len > 1 && *w == '0') {
		w++;
		len--;
	}
	if (!dl_all_digits(w, len) || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (w[i] - '0');
	return v >= 1 && v <= max ? (int)v : -1;
}

/* yes|no as herald.yaml takes them: 1, 0, or -1. */
static int
dl_bool(const char *w, size_t len)
{
	static const char *const yes[] = { "yes", "true", "on" };
	static const char *const no[] = { "no", "false", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (len == strlen(yes[i]) && strncasecmp(w, yes[i], len) == 0)
			return 1;
		if (len == strlen(no[i]) && strncasecmp(w, no[i], len) == 0)
			return 0;
	}
	return -1;
}

static int
dl_key_of(const char *w, size_t len)
{
	for (int k = 0; k < DL_NKEYS; k++)
		if (len == strlen(dl_keys[k].name) &&
		    strncasecmp(w, dl_keys[k].name, len) == 0)
			return k;
	return -1;
}

/* Set key k of e from the value word; 0, or -1 with the reason logged. */
static int
dl_set(struct dl_ctx *cx, struct dl_entry *e, int k, const char *val,
    size_t vlen)
{
	int v;

	if (e->set & (1u << k)) {
		dl_note(cx, 1, "%s given twice", dl_keys[k].name);
		return -1;
	}
	if (dl_keys[k].max > 0)
		v = dl_number(val, vlen, dl_keys[k].max);
	else
		v = dl_bool(val, vlen);
	if (v < 0) {
		if (dl_keys[k].max > 0)
			dl_note(cx, 1, "%s must be a number from 1 to %d, not "
			    "\"%.*s\"", dl_keys[k].name, dl_keys[k].max,
			    (int)(vlen < DL_QUOTE ? vlen : DL_QUOTE), val);
		else
			dl_note(cx, 1, "%s must be yes or no, not \"%.*s\"",
			    dl_keys[k].name,
			    (int)(vlen < DL_QUOTE ? vlen : DL_QUOTE), val);
		return -1;
	}
	e->v[k] = v;
	e->set |= 1u << k;
	return 0;
}

/* One key=value word (or the count after the domain, first). */
static int
dl_setting(struct dl_ctx *cx, struct dl_entry *e, const char *w, size_t len,
    int first)
{
	const char *eq = memchr(w, '=', len);
	int k;

	if (first && eq == NULL && dl_all_digits(w, len))
		return dl_set(cx, e, DL_NRCPT, w, len);
	if (eq == NULL) {
		dl_note(cx, 1, "expected %skey=value, not \"%.*s\"%s",
		    first ? "a count or " : "",
		    (int)(len < DL_QUOTE ? len : DL_QUOTE), w,
		    dl_all_digits(w, len) ? " (a count goes right after the "
		    "domain)" : "");
		return -1;
	}
	if ((k = dl_key_of(w, (size_t)(eq - w))) < 0) {
		dl_note(cx, 1, "unknown key \"%.*s\" (nrcpt, concurrency, "
		    "oneclick or single)", (int)((size_t)(eq - w) < DL_QUOTE ?
		    (size_t)(eq - w) : DL_QUOTE), w);
		return -1;
	}
	return dl_set(cx, e, k, eq + 1, len - (size_t)(eq - w) - 1);
}

/* One line, [s, s + len) without its newline, into dl. */
static void
dl_line(struct domlimits *dl, struct dl_ctx *cx, const char *s, size_t len)
{
	char name[DOMLIMITS_DOMAIN_MAX + 1];
	struct dl_entry e = { 0 };
	const char *p = s, *end = s + len, *w, *why;
	size_t wlen;
	int first = 1;

	if (memchr(s, '\0', len) != NULL) {
		dl_note(cx, 1, "NUL byte in the line");
		cx->errors++;
		return;
	}
	if (!dl_word(&p, end, &w, &wlen) || *w == '#' || *w == ';')
		return;
	if ((why = dl_domain(w, wlen, name)) != NULL) {
		dl_note(cx, 1, "%s", why);
		cx->errors++;
		return;
	}
	e.line = cx->lineno;
	while (dl_word(&p, end, &w, &wlen) && *w != '#') {
		if (dl_setting(cx, &e, w, wlen, first) == -1) {
			cx->errors++;
			return;
		}
		first = 0;
	}
	if (e.set == 0) {
		dl_note(cx, 1, "expected a count or key=value words after "
		    "\"%s\"", name);
		cx->errors++;
		return;
	}
	dl_store(dl, cx, name, &e);
}

/* -- files ------------------------------------------------------------- */

struct domlimits *
domlimits_parse(const char *text, size_t len, const char *name,
    size_t *errors)
{
	struct dl_ctx cx = { name != NULL ? name : "nrcpt_by_domain", 0, 0,
	    0, 0 };
	const char *line = text, *end = text + len, *nl;
	struct domlimits *dl;

	if (errors != NULL)
		*errors = 0;
	if (len > DOMLIMITS_FILE_MAX) {
		log_error("%s: larger than %d bytes", cx.name,
		    DOMLIMITS_FILE_MAX);
		return NULL;
	}
	dl = dl_new();
	while (line < end) {
		cx.lineno++;
		nl = memchr(line, '\n', (size_t)(end - line));
		dl_line(dl, &cx, line, (size_t)((nl ? nl : end) - line));
		line = nl ? nl + 1 : end;
	}
	if (cx.unlogged > 0)
		log_error("%s: %zu more problem lines not logged", cx.name,
		    cx.unlogged);
	if (errors != NULL)
		*errors = cx.errors;
	return dl;
}

/* The whole file into b (bounded by b's limit); -1 logged. */
static int
dl_read_file(const char *path, struct buf *b)
{
	char chunk[8192];
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (buf_append(b, chunk, (size_t)r) == -1) {
			log_error("%s: larger than %d bytes", path,
			    DOMLIMITS_FILE_MAX);
			close(fd);
			return -1;
		}
	}
	if (r == -1) {
		log_error("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct domlimits *
domlimits_load(const char *path, size_t *errors)
{
	struct buf b = BUF_INIT(DOMLIMITS_FILE_MAX);
	struct domlimits *dl;

	if (errors != NULL)
		*errors = 0;
	if (dl_read_file(path, &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	dl = domlimits_parse(b.data != NULL ? b.data : "", b.len, path,
	    errors);
	buf_free(&b);
	return dl;
}
