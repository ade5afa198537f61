/*
 * csv - an RFC 4180 reader, bounded and 8-bit transparent, and a writer.
 *
 * The reader is a small state machine over getc: a field is unquoted or
 * quoted; inside quotes a doubled quote is one quote and a line end is
 * data. The fields of a record are collected in one buffer, separated by
 * NUL bytes, and pointed to once the record is complete (the buffer may
 * move while it grows).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "mem.h"

const struct csv_limits csv_default_limits = {
	.max_field = 16 * 1024,
	.max_record = 64 * 1024,
	.max_fields = 256,
	.max_records = 10UL * 1000 * 1000,
};

struct csv_reader {
	FILE		*fp;
	struct csv_limits lim;
	unsigned long	 line;		/* the current line, from 1 */
	unsigned long long offset;	/* bytes consumed */
	unsigned long	 nrecords;
	int		 started;	/* the byte order mark was looked for */
	int		 done;		/* EOF or a fatal error was returned */
	unsigned char	 pend[4];	/* bytes given back, read first (LIFO) */
	int		 npend;
	struct buf	 data;		/* the record's fields, NUL-separated */
	size_t		*starts;	/* where each field begins in data */
	size_t		 nstarts, capstarts;
	char		**fields;
	size_t		*lens;
	size_t		 capfields;
	char		 err[160];
};

struct csv_reader *
csv_open(FILE *fp, const struct csv_limits *limits)
{
	struct csv_reader *r = xcalloc(1, sizeof *r);

	r->fp = fp;
	r->lim = limits != NULL ? *limits : csv_default_limits;
	r->line = 1;
	/* The record plus its separators, and one spare byte. */
	buf_init(&r->data, r->lim.max_record + r->lim.max_fields + 1);
	return r;
}

void
csv_close(struct csv_reader *r)
{
	if (r == NULL)
		return;
	buf_free(&r->data);
	free(r->starts);
	free(r->fields);
	free(r->lens);
	free(r);
}

const char *
csv_error(const struct csv_reader *r)
{
	return r->err;
}

unsigned long
csv_line(const struct csv_reader *r)
{
	return r->line;
}

unsigned long long
csv_offset(const struct csv_reader *r)
{
	return r->offset;
}

int
csv_record_blank(const struct csv_record *rec)
{
	return rec->n == 1 && rec->lens[0] == 0;
}

static int
csv_getc(struct csv_reader *r)
{
	int c = r->npend > 0 ? r->pend[--r->npend] : getc_unlocked(r->fp);

	if (c != EOF) {
		r->offset++;
		if (c == '\n')
			r->line++;
	}
	return c;
}

/* Give back a byte: the next csv_getc() returns it (at most 4 pending). */
static void
csv_ungetc(struct csv_reader *r, int c)
{
	if (c == EOF || r->npend == (int)sizeof r->pend)
		return;
	r->pend[r->npend++] = (unsigned char)c;
	r->offset--;
	if (c == '\n')
		r->line--;
}

static void __attribute__((format(printf, 2, 3)))
csv_seterr(struct csv_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
}

/* Begin a field: remember where it starts. -1 past max_fields. */
static int
csv_field_begin(struct csv_reader *r)
{
	if (r->nstarts >= r->lim.max_fields) {
		csv_seterr(r, "more than %zu fields", r->lim.max_fields);
		return -1;
	}
	if (r->nstarts == r->capstarts) {
		r->capstarts = r->capstarts ? r->capstarts * 2 : 16;
		r->starts = xreallocarray(r->starts, r->capstarts,
		    sizeof *r->starts);
	}
	r->starts[r->nstarts++] = r->data.len;
	return 0;
}

/* One byte of the current field. -1 past a limit or on a NUL byte. */
static int
csv_field_add(struct csv_reader *r, int c)
{
	if (c == '\0') {
		csv_seterr(r, "NUL byte in field %zu", r->nstarts);
		return -1;
	}
	if (r->data.len - r->starts[r->nstarts - 1] >= r->lim.max_field) {
		csv_seterr(r, "field %zu longer than %zu bytes", r->nstarts,
		    r->lim.max_field);
		return -1;
	}
	if (r->data.len - (r->nstarts - 1) >= r->lim.max_record ||
	    buf_putc(&r->data, c) != 0) {
		csv_seterr(r, "record longer than %zu bytes", r->lim.max_record);
		return -1;
	}
	return 0;
}

static void
csv_field_end(struct csv_reader *r)
{
	/* Room was kept for one separator per field (csv_open). */
	(void)buf_putc(&r->data, '\0');
}

/* Point rec at the fields collected. */
static void
csv_finish(struct csv_reader *r, struct csv_record *rec)
{
	if (r->capfields < r->nstarts) {
		r->capfields = r->nstarts;
		r->fields = xreallocarray(r->fields, r->capfields,
		    sizeof *r->fields);
		r->lens = xreallocarray(r->lens, r->capfields, sizeof *r->lens);
	}
	for (size_t i = 0; i < r->nstarts; i++) {
		r->fields[i] = r->data.data + r->starts[i];
		r->lens[i] = strlen(r->fields[i]);
	}
	rec->fields = r->fields;
	rec->lens = r->lens;
	rec->n = r->nstarts;
}

/*
 * After a malformed record: skip to the end of the physical line, so that
 * reading resumes on the next one.
 */
static void
csv_resync(struct csv_reader *r, int c)
{
	while (c != '\n' && c != EOF)
		c = csv_getc(r);
}

/* At a line end or EOF after a field: a CR must be followed by LF. */
static int
csv_is_end(struct csv_reader *r, int c)
{
	int next;

	if (c == '\n' || c == EOF)
		return 1;
	if (c != '\r')
		return 0;
	if ((next = csv_getc(r)) == '\n')
		return 1;
	csv_ungetc(r, next);
	return 0;
}

enum csv_state { CSV_START, CSV_PLAIN, CSV_QUOTED, CSV_CLOSED };

int
csv_read(struct csv_reader *r, struct csv_record *rec)
{
	enum csv_state state = CSV_START;
	unsigned long quote_line = 0;
	int c;

	memset(rec, 0, sizeof *rec);
	r->err[0] = '\0';
	if (r->done)
		return CSV_EOF;
	buf_reset(&r->data);
	r->nstarts = 0;
	if (!r->started) {
		r->started = 1;
		/*
		 * A UTF-8 byte order mark, as spreadsheets write it, is
		 * dropped; anything else that starts alike is data, given
		 * back in order.
		 */
		if ((c = csv_getc(r)) == 0xef) {
			int c2 = csv_getc(r), c3 = c2 == 0xbb ? csv_getc(r) : EOF;

			if (c2 != 0xbb || c3 != 0xbf) {
				csv_ungetc(r, c3);
				csv_ungetc(r, c2);
				csv_ungetc(r, c);
			}
		} else
			csv_ungetc(r, c);
	}
	rec->line = r->line;
	if ((c = csv_getc(r)) == EOF) {
		if (ferror(r->fp)) {
			csv_seterr(r, "read error");
			r->done = 1;
			return CSV_FATAL;
		}
		r->done = 1;
		return CSV_EOF;
	}
	if (r->nrecords >= r->lim.max_records) {
		csv_seterr(r, "more than %lu records", r->lim.max_records);
		r->done = 1;
		return CSV_FATAL;
	}
	r->nrecords++;
	if (csv_field_begin(r) != 0)
		goto bad;
	for (;; c = csv_getc(r)) {
		switch (state) {
		case CSV_START:
			if (c == '"') {
				state = CSV_QUOTED;
				quote_line = r->line;
				continue;
			}
			state = CSV_PLAIN;
			/* FALLTHROUGH */
		case CSV_PLAIN:
		case CSV_CLOSED:
			if (c == ',') {
				csv_field_end(r);
				if (csv_field_begin(r) != 0)
					goto bad;
				state = CSV_START;
				continue;
			}
			if (csv_is_end(r, c)) {
				csv_field_end(r);
				goto done;
			}
			if (state == CSV_CLOSED) {
				csv_seterr(r, "text after the closing quote of "
				    "field %zu", r->nstarts);
				goto bad;
			}
			if (c == '"') {
				csv_seterr(r, "a quote inside unquoted field %zu",
				    r->nstarts);
				goto bad;
			}
			if (csv_field_add(r, c) != 0)
				goto bad;
			continue;
		case CSV_QUOTED:
			if (c == EOF) {
				if (ferror(r->fp)) {
					csv_seterr(r, "read error");
					r->done = 1;
					return CSV_FATAL;
				}
				csv_seterr(r, "unterminated quote (opened on "
				    "line %lu)", quote_line);
				r->done = 1;
				return CSV_BAD;
			}
			if (c == '"') {
				int next = csv_getc(r);

				if (next == '"') {
					if (csv_field_add(r, '"') != 0)
						goto bad;
					continue;
				}
				csv_ungetc(r, next);
				state = CSV_CLOSED;
				continue;
			}
			if (csv_field_add(r, c) != 0)
				goto bad;
			continue;
		}
	}
done:
	if (c == EOF && ferror(r->fp)) {
		csv_seterr(r, "read error");
		r->done = 1;
		return CSV_FATAL;
	}
	csv_finish(r, rec);
	return CSV_RECORD;
bad:
	csv_resync(r, c == '\n' ? EOF : c);
	return CSV_BAD;
}

long
csv_utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t need;
		unsigned long cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return (long)i;
		if (n - i <= need)
			return (long)i;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond Unicode. */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return (long)i;
		i += need + 1;
	}
	return -1;
}

int
csv_write_field(struct buf *out, const char *s, size_t n)
{
	/* Leading bytes like a byte order mark are quoted, or a reader drops them. */
	int quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ' ||
	    (unsigned char)s[0] == 0xef);

	for (size_t i = 0; i < n && !quote; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = 1;
	if (!quote)
		return buf_append(out, s, n);
	if (buf_putc(out, '"') != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' && buf_putc(out, '"') != 0)
			return -1;
		if (buf_putc(out, s[i]) != 0)
			return -1;
	}
	return buf_putc(out, '"');
}

int
csv_write_record(struct buf *out, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *f = fields[i] != NULL ? fields[i] : "";

		if (i > 0 && buf_putc(out, ',') != 0)
			return -1;
		if (csv_write_field(out, f, strlen(f)) != 0)
			return -1;
	}
	return buf_puts(out, "\r\n");
}
