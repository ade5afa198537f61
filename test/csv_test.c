/*
 * csv_test - the CSV reader and writer, table-driven: each case is an
 * input and the records (or errors) it must give, written as one string
 * per result: fields joined by '|', "!LINE:error-prefix" for a skipped
 * record, "#LINE" prefixed to a record to check its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "csv.h"

struct csv_case {
	const char	*name;
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	const char	*want[8];	/* NULL-terminated */
};

static const struct csv_case csv_cases[] = {
	{ "plain LF", "a,b\nc,d\n", 0, { "1:a|b", "2:c|d" } },
	{ "CRLF and no final line end", "a,b\r\nc,d", 0, { "1:a|b", "2:c|d" } },
	{ "quoted fields and doubled quotes", "\"a,1\",\"say \"\"hi\"\"\"\n", 0,
	    { "1:a,1|say \"hi\"" } },
	{ "line end inside quotes", "\"x\ny\",z\nnext\n", 0,
	    { "1:x\ny|z", "3:next" } },
	{ "CRLF inside quotes kept", "\"x\r\ny\"\r\n", 0, { "1:x\r\ny" } },
	{ "empty fields", ",,\n", 0, { "1:||" } },
	{ "blank line is one empty field", "a\n\nb\n", 0, { "1:a", "2:", "3:b" } },
	{ "byte order mark dropped", "\xef\xbb\xbf" "email\n", 0, { "1:email" } },
	{ "8-bit bytes pass through", "Caf\xe9,\xff\n", 0, { "1:Caf\xe9|\xff" } },
	{ "quote inside an unquoted field", "ab\"c,d\nok\n", 0,
	    { "!1:a quote inside", "2:ok" } },
	{ "text after a closing quote", "\"ab\"c,d\nok\n", 0,
	    { "!1:text after", "2:ok" } },
	{ "unterminated quote", "a\n\"open,\nmore\n", 0,
	    { "1:a", "!2:unterminated quote (opened on line 2)" } },
	{ "NUL byte", "a\0b,c\nok\n", 9, { "!1:NUL byte", "2:ok" } },
	{ "bare CR is data", "a\rb\n", 0, { "1:a\rb" } },
	{ "0xef without a BOM is data", "\xef" "x,y\n", 0, { "1:\xef" "x|y" } },
	{ "empty input", "", 0, { NULL } },
};

/* One result as the table writes it. */
static void
csv_describe(struct csv_reader *r, int rc, const struct csv_record *rec,
    struct buf *out)
{
	buf_reset(out);
	if (rc == CSV_BAD) {
		buf_printf(out, "!%lu:%s", rec->line, csv_error(r));
		return;
	}
	buf_printf(out, "%lu:", rec->line);
	for (size_t i = 0; i < rec->n; i++) {
		if (i > 0)
			buf_putc(out, '|');
		buf_append(out, rec->fields[i], rec->lens[i]);
	}
}

static void
test_read_table(void **state)
{
	struct buf got = BUF_INIT(1 << 20);

	(void)state;
	for (size_t c = 0; c < sizeof csv_cases / sizeof csv_cases[0]; c++) {
		const struct csv_case *k = &csv_cases[c];
		size_t len = k->len ? k->len : strlen(k->in);
		FILE *fp = fmemopen((void *)k->in, len ? len : 1, "r");
		struct csv_reader *r;
		struct csv_record rec;
		size_t i = 0;
		int rc;

		assert_non_null(fp);
		if (len == 0) {		/* fmemopen wants a size: read nothing */
			fclose(fp);
			fp = fopen("/dev/null", "r");
		}
		r = csv_open(fp, NULL);
		while ((rc = csv_read(r, &rec)) != CSV_EOF) {
			assert_int_not_equal(rc, CSV_FATAL);
			csv_describe(r, rc, &rec, &got);
			if (k->want[i] == NULL ||
			    strncmp(buf_cstr(&got), k->want[i],
			    strlen(k->want[i])) != 0 ||
			    (rc == CSV_RECORD && strlen(k->want[i]) != got.len))
				fail_msg("%s: result %zu: got '%s', want '%s'",
				    k->name, i, buf_cstr(&got),
				    k->want[i] ? k->want[i] : "(end)");
			i++;
		}
		if (k->want[i] != NULL)
			fail_msg("%s: ended before '%s'", k->name, k->want[i]);
		csv_close(r);
		fclose(fp);
	}
	buf_free(&got);
}

/* The limits: a field, the number of fields, the number of records. */
static void
test_limits(void **state)
{
	struct csv_limits lim = { 4, 10, 3, 2 };
	const char *in = "abcd,x\nabcde,y\na,b,c,d\nz\n";
	FILE *fp = fmemopen((void *)in, strlen(in), "r");
	struct csv_reader *r = csv_open(fp, &lim);
	struct csv_record rec;

	(void)state;
	assert_int_equal(csv_read(r, &rec), CSV_RECORD);
	assert_int_equal(csv_read(r, &rec), CSV_BAD);
	assert_non_null(strstr(csv_error(r), "longer than 4"));
	assert_int_equal(rec.line, 2);
	/* The third record is over max_records (2). */
	assert_int_equal(csv_read(r, &rec), CSV_FATAL);
	assert_non_null(strstr(csv_error(r), "more than 2 records"));
	assert_int_equal(csv_read(r, &rec), CSV_EOF);
	csv_close(r);
	fclose(fp);

	in = "a,b,c,d\nok\n";
	fp = fmemopen((void *)in, strlen(in), "r");
	r = csv_open(fp, &lim);
	assert_int_equal(csv_read(r, &rec), CSV_BAD);
	assert_non_null(strstr(csv_error(r), "more than 3 fields"));
	assert_int_equal(csv_read(r, &rec), CSV_RECORD);
	assert_string_equal(rec.fields[0], "ok");
	csv_close(r);
	fclose(fp);
}

static void
test_utf8(void **state)
{
	static const struct { const char *s; long want; } cases[] = {
		{ "plain", -1 }, { "Zo\xc3\xab", -1 }, { "\xf0\x9f\x98\x80", -1 },
		{ "Caf\xe9", 3 }, { "\xc0\xaf", 0 }, { "\xed\xa0\x80", 0 },
		{ "\xf4\x90\x80\x80", 0 }, { "ab\xc3", 2 }, { "\xe2\x82", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(csv_utf8_check(cases[i].s,
		    strlen(cases[i].s)), cases[i].want);
}

/* What the writer writes reads back to the same fields. */
static void
test_write_roundtrip(void **state)
{
	const char *fields[] = { "plain", "a,b", "say \"hi\"", "two\nlines",
	    " padded ", "", "Zoë" };
	struct buf out = BUF_INIT(4096);
	struct csv_reader *r;
	struct csv_record rec;
	FILE *fp;

	(void)state;
	assert_int_equal(csv_write_record(&out, fields, 7), 0);
	assert_string_equal(buf_cstr(&out), "plain,\"a,b\",\"say \"\"hi\"\"\","
	    "\"two\nlines\",\" padded \",,Zoë\r\n");
	fp = fmemopen(out.data, out.len, "r");
	r = csv_open(fp, NULL);
	assert_int_equal(csv_read(r, &rec), CSV_RECORD);
	assert_int_equal(rec.n, 7);
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(rec.fields[i], fields[i]);
	assert_int_equal(csv_read(r, &rec), CSV_EOF);
	csv_close(r);
	fclose(fp);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_write_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
