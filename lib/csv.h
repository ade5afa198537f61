/*
 * csv - RFC 4180 comma-separated values: a bounded reader and a writer.
 *
 * The reader takes what spreadsheets and information systems export:
 * quoted fields, doubled quotes inside them, CRLF or LF line ends, line
 * ends inside quoted fields, a UTF-8 byte order mark at the start (it is
 * dropped). It is 8-bit transparent: it never interprets the bytes of a
 * field (csv_utf8_check() says whether they are UTF-8), so any input is
 * read or reported, never crashed on.
 *
 * Everything is bounded by struct csv_limits: a field, a record and the
 * number of fields of a record, and the number of records. A malformed
 * record (a quote inside an unquoted field, text after a closing quote,
 * an unterminated quote, a NUL byte, a limit crossed) is reported with the
 * line it starts on and why, and skipped: reading goes on at the next
 * line, so one bad row costs one row. Only a read error or too many
 * records end the reading.
 *
 * Blank lines are records of one empty field; the caller decides whether
 * to skip them (csv_record_blank()).
 */
#ifndef HERALD_CSV_H
#define HERALD_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

struct csv_limits {
	size_t	max_field;	/* bytes in one field */
	size_t	max_record;	/* bytes in one record, all fields */
	size_t	max_fields;	/* fields in one record */
	unsigned long max_records; /* records in the input */
};

/* Generous for member files: 64 KB a record, 256 columns, 10 M rows. */
extern const struct csv_limits csv_default_limits;

/* What csv_read() returns. */
#define CSV_RECORD	1	/* a record is in rec */
#define CSV_EOF		0	/* no more input */
#define CSV_BAD		(-1)	/* a malformed record, skipped: see err */
#define CSV_FATAL	(-2)	/* reading stopped: see err */

struct csv_record {
	char		**fields;	/* NUL-terminated (no NUL inside) */
	size_t		 *lens;
	size_t		  n;
	unsigned long	  line;		/* the line the record starts on */
};

struct csv_reader;

/* A reader over fp (not closed by csv_close); limits NULL = the defaults. */
struct csv_reader *csv_open(FILE *fp, const struct csv_limits *limits);
void	csv_close(struct csv_reader *r);

/*
 * The next record. rec stays valid until the next call. On CSV_BAD and
 * CSV_FATAL, csv_error() says why and rec->line where the record began.
 */
int	csv_read(struct csv_reader *r, struct csv_record *rec);
const char *csv_error(const struct csv_reader *r);
/* The line the reader has reached (1 before anything is read). */
unsigned long csv_line(const struct csv_reader *r);
/* Bytes consumed so far (for progress). */
unsigned long long csv_offset(const struct csv_reader *r);

/* A record of one empty field: a blank line. */
int	csv_record_blank(const struct csv_record *rec);

/*
 * -1 if s[0..n) is valid UTF-8 (shortest forms, no surrogates, nothing
 * above U+10FFFF), else the offset of the first byte that is not.
 */
long	csv_utf8_check(const char *s, size_t n);

/*
 * Writing: one field, quoted when it must be (a comma, a quote, CR or LF,
 * leading or trailing space), and whole records ended by CRLF as RFC 4180
 * says. -1 when out's limit is hit.
 */
int	csv_write_field(struct buf *out, const char *s, size_t n);
int	csv_write_record(struct buf *out, const char *const *fields, size_t n);

#endif
