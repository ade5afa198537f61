/*
 * date_test - RFC 5322 date parsing and formatting, table-driven, then
 * Go's net/mail date vectors from the corpora folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "date.h"
#include "testutil.h"

/* An ISO 8601 instant with a numeric zone, as the Go corpus writes it. */
static int
iso_instant(const char *s, time_t *t, int *offset)
{
	struct tm tm;
	int y, mo, d, h, mi, se, zh, zm;
	char sign;

	if (sscanf(s, "%d-%d-%dT%d:%d:%d%c%d:%d", &y, &mo, &d, &h, &mi, &se,
	    &sign, &zh, &zm) != 9)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*offset = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
	*t = timegm(&tm) - (time_t)*offset * 60;
	return 0;
}

static void
test_parse_table(void **state)
{
	static const struct {
		const char *in;
		const char *iso;	/* NULL: must fail */
		int known;
	} cases[] = {
		{ "Fri, 21 Nov 1997 09:55:06 -0600", "1997-11-21T09:55:06-06:00", 1 },
		{ "21 Nov 97 09:55 GMT", "1997-11-21T09:55:00+00:00", 1 },
		{ "1 Jan 00 00:00:00 +0000", "2000-01-01T00:00:00+00:00", 1 },
		{ "1 Jan 49 00:00:00 +0000", "2049-01-01T00:00:00+00:00", 1 },
		{ "1 Jan 50 00:00:00 +0000", "1950-01-01T00:00:00+00:00", 1 },
		{ "1 Jan 103 00:00:00 +0000", "2003-01-01T00:00:00+00:00", 1 },
		{ "mon, 3 feb 2003 04:05:06 EST", "2003-02-03T04:05:06-05:00", 1 },
		{ "Sat, 29 Feb 2020 23:59:60 PDT", "2020-03-01T00:00:00-07:00", 1 },
		{ "Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T10:52:37+02:00", 1 },
		{ "Tue, 1 Jul 2003 10:52:37 -0000", "2003-07-01T10:52:37+00:00", 0 },
		{ "Tue, 1 Jul 2003 10:52:37 Z", "2003-07-01T10:52:37+00:00", 0 },
		{ "Tue, 1 Jul 2003 10:52:37 q", "2003-07-01T10:52:37+00:00", 0 },
		{ "Tue,\r\n 1 Jul 2003 (c (nested)) 10:52:37 +0200 (CEST)",
		  "2003-07-01T10:52:37+02:00", 1 },
		{ "Thu, 1 Jan 1970 00:00:00 +1400", "1970-01-01T00:00:00+14:00", 1 },
		{ "", NULL, 0 },
		{ "Tue, 1 Jul 2003 10:52:37", NULL, 0 },		/* no zone */
		{ "Tue, 1 Jul 2003 10:52:37 J", NULL, 0 },
		{ "Tue, 1 Jul 2003 10:52:37 +2460", NULL, 0 },
		{ "Tue, 1 Jul 2003 24:00:00 +0000", NULL, 0 },
		{ "Tue, 30 Feb 2003 10:52:37 +0000", NULL, 0 },
		{ "Tue, 29 Feb 2100 10:52:37 +0000", NULL, 0 },
		{ "Tue, 1 Jul 1899 10:52:37 +0000", NULL, 0 },
		{ "Tue, 1 Jul 2003 10:52:37 +0000 extra", NULL, 0 },
		{ "Tue, 1 Jul 2003 10:52:37 +0000 (unclosed", NULL, 0 },
		{ "Xyz, 1 Jul 2003 10:52:37 +0000", NULL, 0 },
		{ "Tue, 1 Jul 2003 10:5:37 +0000", NULL, 0 },
		{ "Tue, 1 Jul 2003 1:52:37 +0000", NULL, 0 },
		{ "Tue, 001 Jul 2003 10:52:37 +0000", NULL, 0 },
		{ "Tue, 1 Jul 20003 10:52:37 +0000", NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct date d;
		time_t want;
		int off, rc = date_parse(cases[i].in, strlen(cases[i].in), &d);

		if (cases[i].iso == NULL) {
			if (rc == 0)
				fail_msg("case %zu '%s' parsed", i, cases[i].in);
			continue;
		}
		if (rc < 0)
			fail_msg("case %zu '%s' failed", i, cases[i].in);
		assert_int_equal(iso_instant(cases[i].iso, &want, &off), 0);
		if (d.t != want || d.offset != off || d.zone_known != cases[i].known)
			fail_msg("case %zu '%s': %lld %d %d", i, cases[i].in,
			    (long long)d.t, d.offset, d.zone_known);
	}
}

static void
test_format(void **state)
{
	static const struct {
		time_t t;
		int offset, known;
		const char *want;
	} cases[] = {
		{ 0, 0, 1, "Thu, 1 Jan 1970 00:00:00 +0000" },
		{ 880127706, -360, 1, "Fri, 21 Nov 1997 09:55:06 -0600" },
		{ 880127706, 330, 1, "Fri, 21 Nov 1997 21:25:06 +0530" },
		{ 880127706, 0, 0, "Fri, 21 Nov 1997 15:55:06 -0000" },
		{ 4102444800LL, 0, 1, "Fri, 1 Jan 2100 00:00:00 +0000" },
	};
	struct buf b = BUF_INIT(256);

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct date d;

		buf_reset(&b);
		assert_int_equal(date_format(cases[i].t, cases[i].offset,
		    cases[i].known, &b), 0);
		if (strcmp(buf_cstr(&b), cases[i].want) != 0)
			fail_msg("case %zu: '%s'", i, buf_cstr(&b));
		/* And back. */
		assert_int_equal(date_parse(b.data, b.len, &d), 0);
		assert_true(d.t == cases[i].t);
		assert_int_equal(d.zone_known, cases[i].known);
		buf_reset(&b);
		assert_int_equal(date_format_date(&d, &b), 0);
		assert_string_equal(buf_cstr(&b), cases[i].want);
	}
	assert_int_equal(date_format(0, 100 * 60, 1, &b), -1);
	buf_free(&b);
}

static void
test_go_dates(void **state)
{
	const char *path = test_corpus_path("go-net-mail/date-parsing.tsv");
	struct tsv *t = path ? test_tsv_load(path, 0) : NULL;
	int ok = 0, cin, cvalid, cinst;

	(void)state;
	if (t == NULL) {
		printf("corpus go-net-mail/date-parsing.tsv not found: skipped\n");
		skip();
	}
	cin = test_tsv_col(t, "input");
	cvalid = test_tsv_col(t, "expect_valid");
	cinst = test_tsv_col(t, "expected_instant");
	for (int i = 0; i < t->nrows; i++) {
		char **r = t->rows[i];
		size_t len = test_unescape(r[cin]);
		int want = strcmp(r[cvalid], "true") == 0, good, off;
		struct date d;
		time_t inst;
		int rc = date_parse(r[cin], len, &d);

		if (!want)
			good = rc < 0;
		else if (rc < 0)
			good = 0;
		else if (iso_instant(r[cinst], &inst, &off) < 0)
			good = 1;	/* "(zero ...)": only success is checked */
		else
			good = d.t == inst && d.offset == off;
		if (good) {
			ok++;
			continue;
		}
		/*
		 * Three rows differ on purpose:
		 * - "21 OCT 1997": RFC 5234 strings are case-insensitive, so
		 *   "OCT" is a month; Go wants "Oct".
		 * - "21 Nov () 1997": RFC 5322 obs-year and friends allow
		 *   CFWS between the parts; comments are skipped anywhere.
		 * - "199\r\n7": a CRLF not followed by a blank is no folding;
		 *   Go deletes every CRLF first and so reads 1997.
		 */
		printf("  go date-parsing row %d: '%s' want %s, got %s\n", i + 1,
		    r[cin], r[cvalid], rc == 0 ? "valid" : "invalid");
	}
	printf("go-net-mail date-parsing: %d/%d\n", ok, t->nrows);
	assert_true(ok >= 29);
	test_tsv_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_go_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
