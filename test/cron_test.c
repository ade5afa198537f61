/*
 * cron_test - the schedule: what parses and what does not (with the
 * reason), the canonical form, the next and previous slots in UTC from a
 * table, the same against a brute-force search on random schedules, and
 * changes of the clock in two zones with summer time (POSIX TZ strings,
 * so no zoneinfo files are needed).
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

#include "buf.h"
#include "cron.h"

#define TZ_US	"EST5EDT,M3.2.0,M11.1.0"
#define TZ_EU	"CET-1CEST,M3.5.0,M10.5.0/3"

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* "2026-11-22T10:00Z" (UTC, minutes) to an instant. */
static time_t
utc(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi;

	if (sscanf(s, "%d-%d-%dT%d:%dZ", &y, &mo, &d, &h, &mi) != 5)
		fail_msg("bad time in the test: %s", s);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

static const char *
show(time_t t)
{
	static char s[4][32];
	static int k;
	struct tm tm;

	k = (k + 1) % 4;
	gmtime_r(&t, &tm);
	strftime(s[k], sizeof(s[k]), "%Y-%m-%dT%H:%MZ", &tm);
	return s[k];
}

static struct cron
parse_ok(const char *spec)
{
	struct cron c;
	struct buf err = BUF_INIT(1024);

	if (cron_parse(spec, &c, &err) != 0)
		fail_msg("\"%s\": %s", spec, buf_cstr(&err));
	buf_free(&err);
	return c;
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{ "", "0 fields" },
		{ "   ", "0 fields" },
		{ "0 3 * *", "4 fields" },
		{ "0 3 * * * *", "more than 5 fields" },
		{ "60 * * * *", "minute: 60 is not in 0-59" },
		{ "* 24 * * *", "hour: 24 is not in 0-23" },
		{ "* * 0 * *", "day of month: 0 is not in 1-31" },
		{ "* * 32 * *", "day of month: 32 is not in 1-31" },
		{ "* * * 13 *", "month: 13 is not in 1-12" },
		{ "* * * 0 *", "month: 0 is not in 1-12" },
		{ "* * * * 8", "day of week: 8 is not in 0-7" },
		{ "5-1 * * * *", "minute: the range 5-1 goes backwards" },
		{ "* * * * fri-mon", "day of week: the range 5-1 goes backwards" },
		{ "*/0 * * * *", "minute: a step of 0" },
		{ "*/ * * * *", "minute: a step needs a number" },
		{ "*/1000 * * * *", "minute: step too long" },
		{ "0001 * * * *", "minute: number too long" },
		{ "1,,2 * * * *", "minute: empty item" },
		{ "1, * * * *", "minute: empty item" },
		{ ",1 * * * *", "minute: empty item" },
		{ "a * * * *", "minute: expected a number at \"a\"" },
		{ "* * * foo *", "month: expected a number or a name" },
		{ "* * * * monday", "day of week: expected a number or a name" },
		{ "* * * jan-foo *", "month: expected a number or a name" },
		{ "*-5 * * * *", "minute: unexpected \"-5\"" },
		{ "1-2-3 * * * *", "minute: unexpected \"-3\"" },
		{ "1/2/3 * * * *", "minute: unexpected \"/3\"" },
		{ "0 0 30 2 *", "never come" },
		{ "0 0 31 4,6,9,11 *", "never come" },
		{ "0 0 30,31 feb */2", "never come" },
		{ "@reboot", "unknown \"@reboot\"" },
		{ "@", "unknown" },
		{ "0 3 * * *\n", "a control character" },
		{ "0 3 *\r* *", "a control character" },
		{ "offf", "1 field" },
	};
	char longspec[CRON_SPEC_MAX + 10];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cron c;
		struct buf err = BUF_INIT(1024);

		if (cron_parse(cases[i].spec, &c, &err) != -1)
			fail_msg("\"%s\" parsed", cases[i].spec);
		if (strstr(buf_cstr(&err), cases[i].why) == NULL)
			fail_msg("\"%s\": \"%s\", wanted \"%s\"", cases[i].spec,
			    buf_cstr(&err), cases[i].why);
		buf_free(&err);
	}
	memset(longspec, ' ', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	memcpy(longspec, "0 3 * * *", 9);
	{
		struct cron c;
		struct buf err = BUF_INIT(1024);

		assert_int_equal(cron_parse(longspec, &c, &err), -1);
		assert_non_null(strstr(buf_cstr(&err), "longer than"));
		buf_free(&err);
		/* A NULL err is allowed. */
		assert_int_equal(cron_parse("x", &c, NULL), -1);
	}
}

static void
test_format(void **state)
{
	static const struct {
		const char *spec, *canon;
	} cases[] = {
		{ "0 3 * * *", "0 3 * * *" },
		{ "  0\t3 * * *  ", "0 3 * * *" },
		{ "*/15 * * * *", "0,15,30,45 * * * *" },
		{ "5/20 * * * *", "5,25,45 * * * *" },
		{ "0 9 * * mon-fri", "0 9 * * 1-5" },
		{ "0 9 * * MON-Fri", "0 9 * * 1-5" },
		{ "0 0 * * 7", "0 0 * * 0" },
		{ "0 0 * * 5-7", "0 0 * * 0,5-6" },
		{ "0 0 * * sun,sat", "0 0 * * 0,6" },
		{ " 1-5/2 0 1 jan-mar sun,sat ", "1,3,5 0 1 1-3 0,6" },
		{ "0 0 1-31 * 0-7", "0 0 1-31 * 0-6" },
		{ "0 0 */2 * 1", "0 0 */31,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * 1" },
		{ "0 0 1 * */7", "0 0 1 * */7" },
		{ "0 0 1 * *,3", "0 0 1 * *" },
		{ "0 0 1 * */3,1", "0 0 1 * */7,1,3,6" },
		{ "0 4 * * 1", "0 4 * * 1" },
		{ "30 3 * * *", "30 3 * * *" },
		{ "0-59 0-23 * 1-12 *", "* * * * *" },
		{ "@weekly", "0 0 * * 0" },
		{ "@DAILY", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
		{ "@monthly", "0 0 1 * *" },
		{ "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
		{ "off", "off" },
		{ " OFF ", "off" },
		{ "0 0 30 2 1", "0 0 30 2 1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cron c = parse_ok(cases[i].spec), again;
		struct buf out = BUF_INIT(1024);

		assert_int_equal(cron_format(&c, &out), 0);
		if (strcmp(buf_cstr(&out), cases[i].canon) != 0)
			fail_msg("\"%s\" -> \"%s\", wanted \"%s\"", cases[i].spec,
			    buf_cstr(&out), cases[i].canon);
		again = parse_ok(buf_cstr(&out));
		assert_memory_equal(&c, &again, sizeof(c));
		buf_free(&out);
	}
	{
		struct cron c = parse_ok("off");
		time_t t;

		assert_true(cron_is_off(&c));
		assert_int_equal(cron_next(&c, utc("2026-11-22T10:00Z"), &t), -1);
		assert_int_equal(cron_prev(&c, utc("2026-11-22T10:00Z"), &t), -1);
		c = parse_ok("0 3 * * *");
		assert_false(cron_is_off(&c));
	}
}

/* In UTC: from, then the next slot after it and the last one at or before. */
static void
test_next_prev_utc(void **state)
{
	static const struct {
		const char *spec, *from, *next, *prev;
	} cases[] = {
		{ "0 3 * * *", "2026-11-22T10:00Z", "2026-11-23T03:00Z", "2026-11-22T03:00Z" },
		{ "0 3 * * *", "2026-11-22T03:00Z", "2026-11-23T03:00Z", "2026-11-22T03:00Z" },
		{ "0 3 * * *", "2026-11-22T02:59Z", "2026-11-22T03:00Z", "2026-11-21T03:00Z" },
		{ "30 3 * * *", "2026-12-31T23:59Z", "2027-01-01T03:30Z", "2026-12-31T03:30Z" },
		{ "*/15 * * * *", "2026-11-22T10:07Z", "2026-11-22T10:15Z", "2026-11-22T10:00Z" },
		{ "*/15 * * * *", "2026-11-22T23:50Z", "2026-11-23T00:00Z", "2026-11-22T23:45Z" },
		{ "* * * * *", "2026-11-22T10:07Z", "2026-11-22T10:08Z", "2026-11-22T10:07Z" },
		/* 2026-11-22 is a Sunday. */
		{ "0 4 * * 1", "2026-11-22T10:00Z", "2026-11-23T04:00Z", "2026-11-16T04:00Z" },
		{ "0 4 * * mon", "2026-11-23T04:00Z", "2026-11-30T04:00Z", "2026-11-23T04:00Z" },
		{ "0 0 * * 7", "2026-11-22T10:00Z", "2026-11-29T00:00Z", "2026-11-22T00:00Z" },
		{ "0 9 * * mon-fri", "2026-11-21T10:00Z", "2026-11-23T09:00Z", "2026-11-20T09:00Z" },
		{ "0 0 29 2 *", "2026-03-01T00:00Z", "2028-02-29T00:00Z", "2024-02-29T00:00Z" },
		/* 2100 is no leap year. */
		{ "0 0 29 2 *", "2096-03-01T00:00Z", "2104-02-29T00:00Z", "2096-02-29T00:00Z" },
		/* Both day fields restricted: either. Nov 20 and 27 are Fridays. */
		{ "0 12 1,15 * 5", "2026-11-22T10:00Z", "2026-11-27T12:00Z", "2026-11-20T12:00Z" },
		{ "0 12 1,15 * 5", "2026-11-28T10:00Z", "2026-12-01T12:00Z", "2026-11-27T12:00Z" },
		/* A '*' day field: both. Mondays on odd days: Nov 23, Nov 9. */
		{ "0 0 */2 * 1", "2026-11-22T10:00Z", "2026-11-23T00:00Z", "2026-11-09T00:00Z" },
		{ "0 0 13 * */7", "2026-11-22T10:00Z", "2026-12-13T00:00Z", "2026-09-13T00:00Z" },
		{ "30 2 * dec,jan *", "2026-11-22T10:00Z", "2026-12-01T02:30Z", "2026-01-31T02:30Z" },
		{ "@yearly", "2026-11-22T10:00Z", "2027-01-01T00:00Z", "2026-01-01T00:00Z" },
		{ "59 23 31 12 *", "2026-11-22T10:00Z", "2026-12-31T23:59Z", "2025-12-31T23:59Z" },
		{ "0 0 31 * *", "2026-04-15T00:00Z", "2026-05-31T00:00Z", "2026-03-31T00:00Z" },
		{ "0 0 30 2 1", "2026-11-22T10:00Z", "2027-02-01T00:00Z", "2026-02-23T00:00Z" },
		{ "0 0 1 1 *", "1969-06-01T00:00Z", "1970-01-01T00:00Z", "1969-01-01T00:00Z" },
	};

	(void)state;
	set_tz("UTC");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cron c = parse_ok(cases[i].spec);
		time_t from = utc(cases[i].from), t;

		assert_int_equal(cron_next(&c, from, &t), 0);
		if (t != utc(cases[i].next))
			fail_msg("\"%s\" next after %s: %s, wanted %s",
			    cases[i].spec, cases[i].from, show(t), cases[i].next);
		assert_int_equal(cron_prev(&c, from, &t), 0);
		if (t != utc(cases[i].prev))
			fail_msg("\"%s\" prev at %s: %s, wanted %s",
			    cases[i].spec, cases[i].from, show(t), cases[i].prev);
		/* Seconds inside the minute change nothing. */
		assert_int_equal(cron_next(&c, from + 59, &t), 0);
		assert_true(t == utc(cases[i].next) || t > from + 59);
		assert_int_equal(cron_prev(&c, from + 59, &t), 0);
		assert_true(t == utc(cases[i].prev));
	}
}

/* Changes of the clock: a skipped slot runs when the gap ends, a repeated one once. */
static void
test_summer_time(void **state)
{
	static const struct {
		const char *tz, *spec, *from, *next, *prev;
	} cases[] = {
		/* US 2026: 02:00 EST -> 03:00 EDT on Mar 8 (07:00Z). */
		{ TZ_US, "30 2 * * *", "2026-03-08T06:00Z", "2026-03-08T07:00Z", "2026-03-07T07:30Z" },
		{ TZ_US, "30 2 * * *", "2026-03-08T07:00Z", "2026-03-09T06:30Z", "2026-03-08T07:00Z" },
		{ TZ_US, "0 3 * * *", "2026-03-08T06:59Z", "2026-03-08T07:00Z", "2026-03-07T08:00Z" },
		/* Both 02:30 and 03:00 fall on 07:00Z: one slot. */
		{ TZ_US, "0,30 2-3 * * *", "2026-03-08T07:00Z", "2026-03-08T07:30Z", "2026-03-08T07:00Z" },
		/* US 2026: 02:00 EDT -> 01:00 EST on Nov 1 (06:00Z); 01:30 is 05:30Z and 06:30Z. */
		{ TZ_US, "30 1 * * *", "2026-11-01T05:00Z", "2026-11-01T05:30Z", "2026-10-31T05:30Z" },
		{ TZ_US, "30 1 * * *", "2026-11-01T05:30Z", "2026-11-02T06:30Z", "2026-11-01T05:30Z" },
		{ TZ_US, "30 1 * * *", "2026-11-01T06:45Z", "2026-11-02T06:30Z", "2026-11-01T05:30Z" },
		{ TZ_US, "0 * * * *", "2026-11-01T05:00Z", "2026-11-01T07:00Z", "2026-11-01T05:00Z" },
		{ TZ_US, "45 1 * * *", "2026-11-01T06:30Z", "2026-11-02T06:45Z", "2026-11-01T05:45Z" },
		{ TZ_US, "0 3 * * *", "2026-07-01T00:00Z", "2026-07-01T07:00Z", "2026-06-30T07:00Z" },
		{ TZ_US, "0 3 * * *", "2026-12-01T00:00Z", "2026-12-01T08:00Z", "2026-11-30T08:00Z" },
		/* EU 2026: 02:00 CET -> 03:00 CEST on Mar 29 (01:00Z); back on Oct 25. */
		{ TZ_EU, "30 2 * * *", "2026-03-29T00:00Z", "2026-03-29T01:00Z", "2026-03-28T01:30Z" },
		{ TZ_EU, "30 2 * * *", "2026-10-25T00:00Z", "2026-10-25T00:30Z", "2026-10-24T00:30Z" },
		{ TZ_EU, "30 2 * * *", "2026-10-25T00:30Z", "2026-10-26T01:30Z", "2026-10-25T00:30Z" },
		{ TZ_EU, "30 2 * * *", "2026-10-25T01:45Z", "2026-10-26T01:30Z", "2026-10-25T00:30Z" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cron c = parse_ok(cases[i].spec);
		time_t from = utc(cases[i].from), t;

		set_tz(cases[i].tz);
		assert_int_equal(cron_next(&c, from, &t), 0);
		if (t != utc(cases[i].next))
			fail_msg("%s \"%s\" next after %s: %s, wanted %s",
			    cases[i].tz, cases[i].spec, cases[i].from, show(t),
			    cases[i].next);
		assert_int_equal(cron_prev(&c, from, &t), 0);
		if (t != utc(cases[i].prev))
			fail_msg("%s \"%s\" prev at %s: %s, wanted %s",
			    cases[i].tz, cases[i].spec, cases[i].from, show(t),
			    cases[i].prev);
	}
	set_tz("UTC");
}

/* -- random schedules against a brute-force search (UTC) --------------- */

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random field: "*", a value, a range, a step, a list of those. */
static void
random_field(struct buf *b, int min, int max)
{
	int items = 1 + (int)rnd(3);

	for (int i = 0; i < items; i++) {
		int lo = min + (int)rnd((unsigned)(max - min + 1));
		int hi = lo + (int)rnd((unsigned)(max - lo + 1));

		if (i > 0)
			buf_putc(b, ',');
		switch (rnd(i == 0 ? 6 : 5)) {
		case 0:
			buf_printf(b, "%d", lo);
			break;
		case 1:
			buf_printf(b, "%d-%d", lo, hi);
			break;
		case 2:
			buf_printf(b, "%d-%d/%u", lo, hi, 1 + rnd(7));
			break;
		case 3:
			buf_printf(b, "%d/%u", lo, 1 + rnd(9));
			break;
		case 4:
			buf_printf(b, "%d", lo);
			break;
		default:
			if (rnd(2))
				buf_puts(b, "*");
			else
				buf_printf(b, "*/%u", 1 + rnd(5));
			break;
		}
	}
}

/* The brute force: does the UTC minute at t match the text's fields? */
struct fields {
	int	minute[60], hour[24], mday[32], month[13], wday[8];
	int	mday_star, wday_star;
};

static void
mark(int *set, const char *field, int min, int max, int is_wday)
{
	char copy[128], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", field);
	for (char *it = strtok_r(copy, ",", &save); it != NULL;
	    it = strtok_r(NULL, ",", &save)) {
		int lo, hi, step = 1;
		char *slash = strchr(it, '/');

		if (slash != NULL) {
			step = atoi(slash + 1);
			*slash = '\0';
		}
		if (strcmp(it, "*") == 0) {
			lo = min;
			hi = max;
		} else if (strchr(it, '-') != NULL) {
			sscanf(it, "%d-%d", &lo, &hi);
		} else {
			lo = atoi(it);
			hi = slash != NULL ? max : lo;
		}
		for (int v = lo; v <= hi; v += step)
			set[is_wday && v == 7 ? 0 : v] = 1;
	}
}

static int
brute_match(const struct fields *f, time_t t)
{
	struct tm tm;
	int dm, dw;

	gmtime_r(&t, &tm);
	if (!f->minute[tm.tm_min] || !f->hour[tm.tm_hour] ||
	    !f->month[tm.tm_mon + 1])
		return 0;
	dm = f->mday[tm.tm_mday];
	dw = f->wday[tm.tm_wday];
	return f->mday_star || f->wday_star ? dm && dw : dm || dw;
}

static void
test_random_utc(void **state)
{
	(void)state;
	set_tz("UTC");
	for (int i = 0; i < 200; i++) {
		struct buf spec = BUF_INIT(1024), part[5];
		struct fields f;
		struct cron c;
		static const int lim[5][2] = { { 0, 59 }, { 0, 23 }, { 1, 31 },
		    { 1, 12 }, { 0, 7 } };
		time_t from, t, want;
		int found = 0;

		memset(&f, 0, sizeof(f));
		for (int k = 0; k < 5; k++) {
			buf_init(&part[k], 256);
			/* Months and days mostly '*', so slots are near. */
			if ((k == 2 || k == 3 || k == 4) && rnd(3) != 0)
				buf_puts(&part[k], "*");
			else
				random_field(&part[k], lim[k][0], lim[k][1]);
			buf_printf(&spec, "%s%s", k ? " " : "",
			    buf_cstr(&part[k]));
		}
		if (cron_parse(buf_cstr(&spec), &c, NULL) == -1) {
			for (int k = 0; k < 5; k++)
				buf_free(&part[k]);
			buf_free(&spec);
			continue;	/* days that never come */
		}
		mark(f.minute, buf_cstr(&part[0]), 0, 59, 0);
		mark(f.hour, buf_cstr(&part[1]), 0, 23, 0);
		mark(f.mday, buf_cstr(&part[2]), 1, 31, 0);
		mark(f.month, buf_cstr(&part[3]), 1, 12, 0);
		mark(f.wday, buf_cstr(&part[4]), 0, 7, 1);
		f.mday_star = buf_cstr(&part[2])[0] == '*';
		f.wday_star = buf_cstr(&part[4])[0] == '*';
		from = utc("2026-01-01T00:00Z") + (time_t)rnd(4 * 366) * 86400 +
		    (time_t)rnd(86400);
		/* Forward minute by minute, at most 3 years. */
		for (want = from - from % 60 + 60; want < from + 3 * 366 * 86400;
		    want += 60) {
			/* Skip whole days that cannot match. */
			struct tm tm;

			gmtime_r(&want, &tm);
			if (!f.month[tm.tm_mon + 1] || !(f.mday_star || f.wday_star ?
			    f.mday[tm.tm_mday] && f.wday[tm.tm_wday] :
			    f.mday[tm.tm_mday] || f.wday[tm.tm_wday])) {
				want += 86400 - 60 - (want % 86400);
				continue;
			}
			if (!f.hour[tm.tm_hour]) {
				want += 3600 - 60 - (want % 3600);
				continue;
			}
			if (brute_match(&f, want)) {
				found = 1;
				break;
			}
		}
		if (found) {
			assert_int_equal(cron_next(&c, from, &t), 0);
			if (t != want)
				fail_msg("\"%s\" next after %s: %s, brute force %s",
				    buf_cstr(&spec), show(from), show(t),
				    show(want));
			/* And backwards from the slot found. */
			assert_int_equal(cron_prev(&c, want, &t), 0);
			assert_true(t == want);
			assert_int_equal(cron_prev(&c, want - 1, &t), 0);
			assert_true(t <= from);
			assert_true(brute_match(&f, t));
		}
		for (int k = 0; k < 5; k++)
			buf_free(&part[k]);
		buf_free(&spec);
	}
}

/* Invariants in a zone with summer time, over the days of change. */
static void
test_invariants_dst(void **state)
{
	static const char *const specs[] = {
		"* * * * *", "*/7 * * * *", "30 2 * * *", "0,30 1-3 * * *",
		"15 * * * *", "0 0 * * *", "59 23 * * *", "0 3 * * 1",
		"0 2 25-31 3,10 0",
	};
	static const char *const zones[] = { TZ_US, TZ_EU };
	static const char *const days[] = {
		"2026-03-08T00:00Z", "2026-11-01T00:00Z", "2026-03-28T12:00Z",
		"2026-10-24T12:00Z",
	};

	(void)state;
	for (size_t z = 0; z < 2; z++) {
		set_tz(zones[z]);
		for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
			struct cron c = parse_ok(specs[s]);

			for (size_t d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
				time_t base = utc(days[d]);

				for (time_t at = base; at < base + 36 * 3600;
				    at += 23 * 60 + 13) {
					time_t n, p, x;

					assert_int_equal(cron_next(&c, at, &n), 0);
					assert_int_equal(cron_prev(&c, at, &p), 0);
					assert_true(n > at);
					assert_true(p <= at);
					assert_int_equal(cron_prev(&c, n, &x), 0);
					assert_true(x == n);
					assert_int_equal(cron_next(&c, p, &x), 0);
					assert_true(x == n);
					assert_int_equal(cron_prev(&c, n - 1, &x), 0);
					assert_true(x == p);
				}
			}
		}
	}
	set_tz("UTC");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_next_prev_utc),
		cmocka_unit_test(test_summer_time),
		cmocka_unit_test(test_random_utc),
		cmocka_unit_test(test_invariants_dst),
	};

	set_tz("UTC");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
