/*
 * msgedit - a message whose top-level header fields and body can be edited.
 *
 * The message is kept as its bytes plus a sequence of fields; a field
 * either points into those bytes (as read) or owns the bytes an edit
 * made, already folded and ended. Output is the concatenation, so an edit
 * costs nothing until the message is written, and what no edit touched is
 * copied byte for byte.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mem.h"
#include "mimeword.h"
#include "msg.h"
#include "msgedit.h"

struct mfield {
	const char	*bytes;		/* the whole field, its line end included */
	size_t		 len;
	size_t		 name_len;	/* 0: bytes that are no field, kept as they are */
	char		*own;		/* bytes made by an edit, or NULL */
};

struct msgedit {
	char		*data;		/* our copy of the message */
	size_t		 len;
	struct msg_limits limits;
	struct msg	*m;		/* the parse of data */
	int		 stale;		/* edited since data was parsed */
	const char	*eol;
	struct mfield	*f;
	size_t		 nf, capf;
	size_t		 sep_off, sep_len;	/* the blank line in data */
	char		*body;		/* a replacement body, or NULL */
	size_t		 body_off;	/* the original body in data */
	size_t		 body_len;
};

static void
field_push(struct msgedit *e, size_t at, const struct mfield *fl)
{
	if (e->nf == e->capf) {
		e->capf = e->capf ? e->capf * 2 : 32;
		e->f = xreallocarray(e->f, e->capf, sizeof *e->f);
	}
	memmove(&e->f[at + 1], &e->f[at], (e->nf - at) * sizeof *e->f);
	e->f[at] = *fl;
	e->nf++;
}

static void
field_remove(struct msgedit *e, size_t at)
{
	free(e->f[at].own);
	memmove(&e->f[at], &e->f[at + 1], (e->nf - at - 1) * sizeof *e->f);
	e->nf--;
}

static void
fields_clear(struct msgedit *e)
{
	for (size_t i = 0; i < e->nf; i++)
		free(e->f[i].own);
	e->nf = 0;
}

static const char *
detect_eol(const char *d, size_t len)
{
	const char *nl = memchr(d, '\n', len);

	return nl != NULL && nl > d && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The end of the line at i, its line end (LF, CRLF or a bare CR) included. */
static size_t
line_end(const char *d, size_t i, size_t to)
{
	while (i < to && d[i] != '\n' && d[i] != '\r')
		i++;
	if (i < to && d[i] == '\r') {
		if (++i < to && d[i] == '\n')
			i++;
	} else if (i < to)
		i++;
	return i;
}

/* The length of a field name at the start of the line [i, end), or 0. */
static size_t
field_name(const char *d, size_t i, size_t end)
{
	size_t j = i, n;

	while (j < end && d[j] > ' ' && d[j] < 0x7f && d[j] != ':')
		j++;
	if ((n = j - i) == 0)
		return 0;
	while (j < end && (d[j] == ' ' || d[j] == '\t'))
		j++;
	return j < end && d[j] == ':' ? n : 0;
}

/*
 * Bytes of the header block the parser did not index (past its limits,
 * or lines that are no field): the fields among them are indexed here, so
 * that a deletion misses none; the rest is kept as it is.
 */
static void
push_gap(struct msgedit *e, size_t from, size_t to)
{
	const char *d = e->data;
	size_t i = from;

	while (i < to) {
		size_t end = line_end(d, i, to), n = field_name(d, i, end);
		struct mfield fl = { d + i, 0, n, NULL };

		while (n > 0 && end < to && (d[end] == ' ' || d[end] == '\t'))
			end = line_end(d, end, to);
		fl.len = end - i;
		field_push(e, e->nf, &fl);
		i = end;
	}
}

/* Parse data and index its top-level fields; bytes between them are kept. */
static int
load(struct msgedit *e, struct buf *err)
{
	const struct msg_part *root;
	size_t pos;

	msg_free(e->m);
	fields_clear(e);
	if ((e->m = msg_parse(e->data, e->len, &e->limits, err)) == NULL)
		return -1;
	root = e->m->root;
	e->eol = detect_eol(e->data, e->len);
	pos = root->hdr_off;
	for (size_t i = 0; i < root->nheaders; i++) {
		const struct msg_header *h = &root->headers[i];
		struct mfield fl = { e->data + h->off, h->len, h->name_len, NULL };

		push_gap(e, pos, h->off);
		field_push(e, e->nf, &fl);
		pos = h->off + h->len;
	}
	push_gap(e, pos, root->hdr_end);
	e->sep_off = root->hdr_end;
	e->sep_len = root->body_off - root->hdr_end;
	e->body_off = root->body_off;
	e->body_len = e->len - root->body_off;
	e->stale = 0;
	return 0;
}

struct msgedit *
msgedit_new(const char *data, size_t len, const struct msg_limits *limits,
    struct buf *err)
{
	struct msgedit *e = xcalloc(1, sizeof *e);

	if (limits != NULL)
		e->limits = *limits;
	else
		msg_limits_default(&e->limits);
	e->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(e->data, data, len);
	e->data[len] = '\0';
	e->len = len;
	if (load(e, err) < 0) {
		msgedit_free(e);
		return NULL;
	}
	return e;
}

void
msgedit_free(struct msgedit *e)
{
	if (e == NULL)
		return;
	fields_clear(e);
	free(e->f);
	msg_free(e->m);
	free(e->body);
	free(e->data);
	free(e);
}

const char *
msgedit_eol(const struct msgedit *e)
{
	return e->eol;
}

const struct msg *
msgedit_msg(struct msgedit *e)
{
	struct buf out = BUF_INIT(e->limits.max_size);

	if (!e->stale)
		return e->m;
	/* Written out and read again: what the tree says is what goes out. */
	if (msgedit_output(e, &out) < 0) {
		buf_free(&out);
		return NULL;
	}
	free(e->data);
	e->len = out.len;
	e->data = buf_steal(&out);
	free(e->body);
	e->body = NULL;
	if (load(e, NULL) < 0)
		return NULL;
	return e->m;
}

/* Names. */

static int
name_matches(const struct mfield *fl, const char *name)
{
	size_t n = strlen(name);

	if (fl->name_len == 0)
		return 0;
	if (n > 0 && name[n - 1] == '*')
		return fl->name_len >= n - 1 &&
		    strncasecmp(fl->bytes, name, n - 1) == 0;
	return fl->name_len == n && strncasecmp(fl->bytes, name, n) == 0;
}

static const struct mfield *
nth_field(const struct msgedit *e, const char *name, size_t nth)
{
	for (size_t i = 0; i < e->nf; i++)
		if (name_matches(&e->f[i], name) && nth-- == 0)
			return &e->f[i];
	return NULL;
}

size_t
msgedit_count(const struct msgedit *e, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nf; i++)
		if (name_matches(&e->f[i], name))
			n++;
	return n;
}

const char *
msgedit_raw(const struct msgedit *e, const char *name, size_t nth, size_t *len)
{
	const struct mfield *fl = nth_field(e, name, nth);
	const char *v, *end;

	if (fl == NULL)
		return NULL;
	v = memchr(fl->bytes, ':', fl->len) + 1;
	end = fl->bytes + fl->len;
	if (end > v && end[-1] == '\n')
		end--;
	if (end > v && end[-1] == '\r')
		end--;
	*len = (size_t)(end - v);
	return v;
}

/* Line ends dropped, blanks at both ends trimmed. */
static int
unfold(const char *v, size_t len, struct buf *out)
{
	size_t a = 0, b = len, start = out->len;

	while (a < b && (v[a] == ' ' || v[a] == '\t' || v[a] == '\r' || v[a] == '\n'))
		a++;
	while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t' || v[b - 1] == '\r' ||
	    v[b - 1] == '\n'))
		b--;
	for (size_t i = a; i < b; i++)
		if (v[i] != '\r' && v[i] != '\n' && buf_putc(out, v[i]) < 0) {
			buf_truncate(out, start);
			return -1;
		}
	return 0;
}

int
msgedit_get(const struct msgedit *e, const char *name, size_t nth, struct buf *out)
{
	size_t len;
	const char *v = msgedit_raw(e, name, nth, &len);

	if (v == NULL)
		return 0;
	return unfold(v, len, out) < 0 ? -1 : 1;
}

int
msgedit_get_decoded(const struct msgedit *e, const char *name, size_t nth,
    struct buf *out)
{
	struct buf tmp = BUF_INIT(out->max);
	int rc;

	if ((rc = msgedit_get(e, name, nth, &tmp)) == 1)
		rc = mimeword_decode(tmp.data ? tmp.data : "", tmp.len, out) < 0 ? -1 : 1;
	buf_free(&tmp);
	return rc;
}

/* Edits. */

size_t
msgedit_delete(struct msgedit *e, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nf;)
		if (name_matches(&e->f[i], name)) {
			field_remove(e, i);
			n++;
		} else
			i++;
	if (n > 0)
		e->stale = 1;
	return n;
}

int
msgedit_check_name(const char *name, struct buf *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > MSGEDIT_NAME_MAX) {
		if (err)
			buf_printf(err, "field name of %zu bytes", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		/* RFC 5322 ftext: printable US-ASCII but the colon. */
		if (c < 33 || c > 126 || c == ':') {
			if (err)
				buf_printf(err, "field name with byte 0x%02x", c);
			return -1;
		}
	}
	return 0;
}

int
msgedit_check_value(const char *value, size_t len, struct buf *err)
{
	if (len > MSGEDIT_VALUE_MAX) {
		if (err)
			buf_printf(err, "field value of %zu bytes", len);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (value[i] == '\r' || value[i] == '\n' || value[i] == '\0') {
			if (err)
				buf_puts(err, "field value with CR, LF or NUL");
			return -1;
		}
	return 0;
}

/*
 * "name: value" folded: a line is broken before a blank that follows a
 * non-blank when the next word would carry it past MSGEDIT_FOLD columns.
 * A word longer than a line stays whole: it cannot be folded.
 */
static char *
fold_field(const char *name, const char *value, const char *eol, size_t *lenp)
{
	struct buf s = BUF_INIT(BUF_UNLIMITED), out = BUF_INIT(BUF_UNLIMITED);
	size_t col = 0, i, first, n;

	buf_printf(&s, "%s: %s", name, value);
	n = s.len;
	first = strlen(name) + 2;	/* never fold right after the colon */
	i = 0;
	while (i < n) {
		size_t j = i + 1;

		/* The word from i: up to the next blank that follows a non-blank. */
		while (j < n && !((s.data[j] == ' ' || s.data[j] == '\t') &&
		    s.data[j - 1] != ' ' && s.data[j - 1] != '\t' && j >= first))
			j++;
		/* Blanks alone never make a line: it would unfold wrongly. */
		if (i > 0 && col + (j - i) > MSGEDIT_FOLD && col > 0 &&
		    strspn(s.data + i, " \t") < j - i) {
			buf_puts(&out, eol);
			col = 0;
		}
		buf_append(&out, s.data + i, j - i);
		col += j - i;
		i = j;
	}
	buf_puts(&out, eol);
	buf_free(&s);
	*lenp = out.len;
	return buf_steal(&out);
}

static int
make_field(const struct msgedit *e, const char *name, const char *value,
    struct mfield *fl, struct buf *err)
{
	if (msgedit_check_name(name, err) < 0 ||
	    msgedit_check_value(value, strlen(value), err) < 0)
		return -1;
	fl->own = fold_field(name, value, e->eol, &fl->len);
	fl->bytes = fl->own;
	fl->name_len = strlen(name);
	return 0;
}

int
msgedit_prepend(struct msgedit *e, const char *name, const char *value,
    struct buf *err)
{
	struct mfield fl;

	if (make_field(e, name, value, &fl, err) < 0)
		return -1;
	field_push(e, 0, &fl);
	e->stale = 1;
	return 0;
}

int
msgedit_append(struct msgedit *e, const char *name, const char *value,
    struct buf *err)
{
	struct mfield fl;

	if (make_field(e, name, value, &fl, err) < 0)
		return -1;
	field_push(e, e->nf, &fl);
	e->stale = 1;
	return 0;
}

int
msgedit_replace(struct msgedit *e, const char *name, const char *value,
    struct buf *err)
{
	struct mfield fl;
	size_t at = (size_t)-1;

	if (make_field(e, name, value, &fl, err) < 0)
		return -1;
	for (size_t i = 0; i < e->nf;)
		if (name_matches(&e->f[i], name)) {
			if (at == (size_t)-1)
				at = i;
			field_remove(e, i);
		} else
			i++;
	field_push(e, at == (size_t)-1 ? e->nf : at, &fl);
	e->stale = 1;
	return 0;
}

/* The body. */

const char *
msgedit_body(const struct msgedit *e, size_t *len)
{
	*len = e->body_len;
	return e->body != NULL ? e->body : e->data + e->body_off;
}

void
msgedit_set_body(struct msgedit *e, const char *body, size_t len)
{
	char *copy = xmalloc(len + 1);

	/* body may point into what is replaced: copy before freeing. */
	if (len > 0)
		memcpy(copy, body, len);
	copy[len] = '\0';
	free(e->body);
	e->body = copy;
	e->body_len = len;
	e->stale = 1;
}

int
msgedit_output(const struct msgedit *e, struct buf *out)
{
	size_t start = out->len, blen;
	const char *body;

	for (size_t i = 0; i < e->nf; i++) {
		const struct mfield *fl = &e->f[i];

		if (buf_append(out, fl->bytes, fl->len) < 0)
			goto full;
		/* The last line of the header may have had no line end. */
		if (fl->len > 0 && fl->bytes[fl->len - 1] != '\n' &&
		    fl->bytes[fl->len - 1] != '\r' && buf_puts(out, e->eol) < 0)
			goto full;
	}
	if (e->sep_len > 0) {
		if (buf_append(out, e->data + e->sep_off, e->sep_len) < 0)
			goto full;
	} else if (buf_puts(out, e->eol) < 0)
		goto full;
	body = msgedit_body(e, &blen);
	if (buf_append(out, body, blen) < 0)
		goto full;
	return 0;
full:
	buf_truncate(out, start);
	return -1;
}
