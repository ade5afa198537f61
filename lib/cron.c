/*
 * cron - parsing the five fields, and walking the calendar to the next or
 * the previous slot.
 *
 * The walk goes month by month, skipping months the schedule lacks, and
 * day by day inside the others; only the days that match turn wall times
 * into instants (mktime), so a rare schedule costs little and a frequent
 * one stops at once. The Gregorian calendar repeats every 400 years, so a
 * schedule that cron_parse() accepted always finds a slot within that.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cron.h"

/* Months walked before giving up: one Gregorian cycle and a bit. */
#define CRON_WALK_MONTHS	(400 * 12 + 2)
/* The most a change of the clock moves a wall time, with room (minutes). */
#define CRON_SHIFT_SLACK	180
/* Digits in a number or a step: more is an error, never an overflow. */
#define CRON_DIGITS_MAX		3

struct cron_field {
	const char	*name;
	int		 min, max;
	const char *const *names;	/* [0] names min; NULL if none */
};

static const char *const cron_month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec", NULL
};
static const char *const cron_wday_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

enum { CRON_F_MINUTE, CRON_F_HOUR, CRON_F_MDAY, CRON_F_MONTH, CRON_F_WDAY,
    CRON_NFIELDS };

static const struct cron_field cron_fields[CRON_NFIELDS] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, cron_month_names },
	/* 7 is Sunday too, folded onto 0 when the bits are set. */
	{ "day of week", 0, 7, cron_wday_names },
};

static const struct {
	const char	*name;
	const char	*fields;
} cron_macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static int __attribute__((format(printf, 2, 3)))
cron_error(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		buf_vprintf(err, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* -- the calendar ----------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's method). */
static long long
cron_days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
cron_leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
cron_days_in_month(long long y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && cron_leap(y) ? 29 : dim[m - 1];
}

/* 0 is Sunday; 1970-01-01 was a Thursday. */
static int
cron_wday(long long days)
{
	long long w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int
cron_day_matches(const struct cron *c, long long days, int mday)
{
	int in_mday = (c->mdays >> mday) & 1;
	int in_wday = (c->wdays >> cron_wday(days)) & 1;

	/* cron(8): two restricted day fields are alternatives. */
	if (c->flags & (CRON_MDAY_STAR | CRON_WDAY_STAR))
		return in_mday && in_wday;
	return in_mday || in_wday;
}

/* The wall clock at t as seconds of a calendar without zones. */
static int
cron_wall(time_t t, long long *wall)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	*wall = cron_days_from_civil((long long)tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday) * 86400 + tm.tm_hour * 3600 +
	    tm.tm_min * 60 + tm.tm_sec;
	return 0;
}

/*
 * The instant of the wall time y-m-d h:mi in the local zone: the first
 * one when the wall time happens twice, the end of the gap when the
 * clock skips it. 0, or -1.
 */
static int
cron_instant(long long y, int m, int d, int h, int mi, long long days,
    time_t *out)
{
	long long target = days * 86400 + h * 3600 + mi * 60, wall;
	time_t lo, hi, t;
	int found = 0;

	for (int isdst = 0; isdst <= 1; isdst++) {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = (int)(y - 1900);
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_isdst = isdst;
		/* A slot has 0 seconds, so -1 is always a failure here. */
		if ((t = mktime(&tm)) == (time_t)-1 ||
		    cron_wall(t, &wall) == -1 || wall != target)
			continue;
		if (!found || t < *out)
			*out = t;
		found = 1;
	}
	if (found)
		return 0;
	/*
	 * Skipped by the clock: the first instant whose wall time is at or
	 * past the target. Zones are within 16 hours of UTC.
	 */
	lo = (time_t)(target - 16 * 3600);
	hi = (time_t)(target + 16 * 3600);
	if (cron_wall(lo, &wall) == -1 || wall >= target ||
	    cron_wall(hi, &wall) == -1 || wall < target)
		return -1;
	while (hi - lo > 1) {
		t = lo + (hi - lo) / 2;
		if (cron_wall(t, &wall) == -1)
			return -1;
		if (wall >= target)
			hi = t;
		else
			lo = t;
	}
	*out = hi;
	return 0;
}

/* The local date and minute key (minutes of a zoneless calendar) of t. */
static int
cron_local(time_t t, long long *y, int *m, int *d, long long *key)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	*y = (long long)tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*d = tm.tm_mday;
	*key = cron_days_from_civil(*y, *m, *d) * 1440 + tm.tm_hour * 60 +
	    tm.tm_min;
	return 0;
}

/* The first slot of day (y, m, d) with key >= from and instant > after. */
static int
cron_day_first(const struct cron *c, long long y, int m, int d,
    long long from, time_t after, time_t *out)
{
	long long days = cron_days_from_civil(y, m, d);

	for (int h = 0; h < 24; h++) {
		if (!((c->hours >> h) & 1) || days * 1440 + h * 60 + 59 < from)
			continue;
		for (int mi = 0; mi < 60; mi++) {
			time_t t;

			if (!((c->minutes >> mi) & 1) ||
			    days * 1440 + h * 60 + mi < from)
				continue;
			if (cron_instant(y, m, d, h, mi, days, &t) == 0 &&
			    t > after) {
				*out = t;
				return 0;
			}
		}
	}
	return -1;
}

/* The last slot of day (y, m, d) with key <= to and instant <= at. */
static int
cron_day_last(const struct cron *c, long long y, int m, int d,
    long long to, time_t at, time_t *out)
{
	long long days = cron_days_from_civil(y, m, d);

	for (int h = 23; h >= 0; h--) {
		if (!((c->hours >> h) & 1) || days * 1440 + h * 60 > to)
			continue;
		for (int mi = 59; mi >= 0; mi--) {
			time_t t;

			if (!((c->minutes >> mi) & 1) ||
			    days * 1440 + h * 60 + mi > to)
				continue;
			if (cron_instant(y, m, d, h, mi, days, &t) == 0 &&
			    t <= at) {
				*out = t;
				return 0;
			}
		}
	}
	return -1;
}

int
cron_is_off(const struct cron *c)
{
	return (c->flags & CRON_OFF) != 0;
}

/*
 * Wall times before after's own minute come before after (the clock
 * only goes back by repeating times already passed), so the walk starts
 * at that minute; in a repeated hour, times after it may be passed
 * already, and cron_day_first() checks each instant.
 */
int
cron_next(const struct cron *c, time_t after, time_t *out)
{
	long long y, from;
	int m, d;

	if (cron_is_off(c) || cron_local(after, &y, &m, &d, &from) == -1)
		return -1;
	for (int i = 0; i < CRON_WALK_MONTHS; i++) {
		if ((c->months >> m) & 1) {
			int dim = cron_days_in_month(y, m);

			for (; d <= dim; d++)
				if (cron_day_matches(c, cron_days_from_civil(y,
				    m, d), d) && cron_day_first(c, y, m, d,
				    from, after, out) == 0)
					return 0;
		}
		d = 1;
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	return -1;
}

/*
 * Backwards, wall times up to a few hours past at's own may still be
 * before at (the first pass of a repeated hour): the walk starts there.
 */
int
cron_prev(const struct cron *c, time_t at, time_t *out)
{
	long long y, to, days;
	int m, d;

	if (cron_is_off(c) || cron_local(at, &y, &m, &d, &to) == -1)
		return -1;
	to += CRON_SHIFT_SLACK;
	days = cron_days_from_civil(y, m, d);
	/* The slack may reach into the next day. */
	if (to / 1440 > days) {
		if (++d > cron_days_in_month(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	for (int i = 0; i < CRON_WALK_MONTHS; i++) {
		if ((c->months >> m) & 1) {
			for (; d >= 1; d--)
				if (cron_day_matches(c, cron_days_from_civil(y,
				    m, d), d) && cron_day_last(c, y, m, d, to,
				    at, out) == 0)
					return 0;
		}
		if (--m < 1) {
			m = 12;
			y--;
		}
		d = cron_days_in_month(y, m);
	}
	return -1;
}

/* -- parsing ---------------------------------------------------------- */

/* A number or a name of field f at *s (advanced). 0, or -1. */
static int
cron_value(const struct cron_field *f, const char **s, const char *end,
    int *v, struct buf *err)
{
	const char *p = *s;
	int n = 0, k;

	if (p < end && isdigit((unsigned char)*p)) {
		for (k = 0; p < end && isdigit((unsigned char)*p); k++, p++) {
			if (k == CRON_DIGITS_MAX)
				return cron_error(err, "%s: number too long",
				    f->name);
			n = n * 10 + (*p - '0');
		}
		if (n < f->min || n > f->max)
			return cron_error(err, "%s: %d is not in %d-%d",
			    f->name, n, f->min, f->max);
		*v = n;
		*s = p;
		return 0;
	}
	if (f->names != NULL && end - p >= 3) {
		for (k = 0; f->names[k] != NULL; k++)
			if (strncasecmp(p, f->names[k], 3) == 0 &&
			    (end - p == 3 || !isalpha((unsigned char)p[3]))) {
				*v = f->min + k;
				*s = p + 3;
				return 0;
			}
	}
	return cron_error(err, "%s: expected a number%s at \"%.*s\"", f->name,
	    f->names != NULL ? " or a name" : "", (int)(end - p > 20 ? 20 :
	    end - p), p);
}

/* One comma-separated item of field f into *bits. */
static int
cron_item(const struct cron_field *f, const char *s, const char *end,
    uint64_t *bits, struct buf *err)
{
	int lo = 0, hi = 0, step = 1, single = 0;

	if (s == end)
		return cron_error(err, "%s: empty item", f->name);
	if (*s == '*') {
		lo = f->min;
		hi = f->max;
		s++;
	} else {
		if (cron_value(f, &s, end, &lo, err) == -1)
			return -1;
		hi = lo;
		single = 1;
		if (s < end && *s == '-') {
			s++;
			if (cron_value(f, &s, end, &hi, err) == -1)
				return -1;
			if (hi < lo)
				return cron_error(err, "%s: the range %d-%d "
				    "goes backwards", f->name, lo, hi);
			single = 0;
		}
	}
	if (s < end && *s == '/') {
		s++;
		step = 0;
		if (s == end || !isdigit((unsigned char)*s))
			return cron_error(err, "%s: a step needs a number",
			    f->name);
		for (int k = 0; s < end && isdigit((unsigned char)*s);
		    k++, s++) {
			if (k == CRON_DIGITS_MAX)
				return cron_error(err, "%s: step too long",
				    f->name);
			step = step * 10 + (*s - '0');
		}
		if (step == 0)
			return cron_error(err, "%s: a step of 0", f->name);
		/* "N/STEP": from N to the field's end (cronie, Vixie). */
		if (single)
			hi = f->max;
	}
	if (s != end)
		return cron_error(err, "%s: unexpected \"%.*s\"", f->name,
		    (int)(end - s > 20 ? 20 : end - s), s);
	for (int v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << (f == &cron_fields[CRON_F_WDAY] &&
		    v == 7 ? 0 : v);
	return 0;
}

static int
cron_field_parse(const struct cron_field *f, const char *s, const char *end,
    uint64_t *bits, struct buf *err)
{
	*bits = 0;
	while (s <= end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *e = comma != NULL ? comma : end;

		if (cron_item(f, s, e, bits, err) == -1)
			return -1;
		s = e + 1;
	}
	return 0;
}

/* Whether some day of mdays exists in some month of months. */
static int
cron_days_exist(const struct cron *c)
{
	for (int m = 1; m <= 12; m++) {
		if (!((c->months >> m) & 1))
			continue;
		/* February counts its 29th: leap years come. */
		int dim = m == 2 ? 29 : cron_days_in_month(1, m);

		for (int d = 1; d <= dim; d++)
			if ((c->mdays >> d) & 1)
				return 1;
	}
	return 0;
}

static int
cron_parse_fields(const char *s, struct cron *out, struct buf *err)
{
	const char *start[CRON_NFIELDS], *end[CRON_NFIELDS];
	uint64_t bits[CRON_NFIELDS];
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (n == CRON_NFIELDS)
			return cron_error(err, "more than %d fields",
			    CRON_NFIELDS);
		start[n] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		end[n++] = s;
	}
	if (n != CRON_NFIELDS)
		return cron_error(err, "%d field%s, expected %d (minute hour "
		    "day-of-month month day-of-week) or \"off\"", n,
		    n == 1 ? "" : "s", CRON_NFIELDS);
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < CRON_NFIELDS; i++)
		if (cron_field_parse(&cron_fields[i], start[i], end[i],
		    &bits[i], err) == -1)
			return -1;
	out->minutes = bits[CRON_F_MINUTE];
	out->hours = (uint32_t)bits[CRON_F_HOUR];
	out->mdays = (uint32_t)bits[CRON_F_MDAY];
	out->months = (uint16_t)bits[CRON_F_MONTH];
	out->wdays = (uint8_t)bits[CRON_F_WDAY];
	if (*start[CRON_F_MDAY] == '*')
		out->flags |= CRON_MDAY_STAR;
	if (*start[CRON_F_WDAY] == '*')
		out->flags |= CRON_WDAY_STAR;
	if ((out->flags & (CRON_MDAY_STAR | CRON_WDAY_STAR)) &&
	    !cron_days_exist(out))
		return cron_error(err, "those days of the month never come in "
		    "those months");
	return 0;
}

int
cron_parse(const char *spec, struct cron *out, struct buf *err)
{
	char text[CRON_SPEC_MAX + 1];
	size_t len = strnlen(spec, CRON_SPEC_MAX + 1), b = 0, e;

	if (len > CRON_SPEC_MAX)
		return cron_error(err, "longer than %d bytes", CRON_SPEC_MAX);
	memcpy(text, spec, len);
	text[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (text[i] != '\t' && iscntrl((unsigned char)text[i]))
			return cron_error(err, "a control character");
	while (text[b] == ' ' || text[b] == '\t')
		b++;
	for (e = len; e > b && (text[e - 1] == ' ' || text[e - 1] == '\t'); e--)
		;
	text[e] = '\0';
	if (strcasecmp(text + b, "off") == 0) {
		memset(out, 0, sizeof(*out));
		out->flags = CRON_OFF;
		return 0;
	}
	if (text[b] == '@') {
		for (size_t i = 0; i < sizeof(cron_macros) /
		    sizeof(cron_macros[0]); i++)
			if (strcasecmp(text + b, cron_macros[i].name) == 0)
				return cron_parse_fields(cron_macros[i].fields,
				    out, err);
		return cron_error(err, "unknown \"%.20s\"", text + b);
	}
	return cron_parse_fields(text + b, out, err);
}

/* -- formatting ------------------------------------------------------- */

/* bits of [min, max] as ranges "a-b" and numbers, comma-separated. */
static int
cron_format_bits(uint64_t bits, int min, int max, struct buf *out)
{
	int first = 1, rc = 0;

	for (int v = min; v <= max; v++) {
		int w = v;

		if (!((bits >> v) & 1))
			continue;
		while (w < max && ((bits >> (w + 1)) & 1))
			w++;
		rc |= buf_printf(out, "%s%d", first ? "" : ",", v);
		if (w > v)
			rc |= buf_printf(out, "-%d", w);
		first = 0;
		v = w;
	}
	return rc == 0 ? 0 : -1;
}

static uint64_t
cron_full(int min, int max)
{
	uint64_t bits = 0;

	for (int v = min; v <= max; v++)
		bits |= (uint64_t)1 << v;
	return bits;
}

/*
 * A day field: its star flag changes what the schedule means, so a
 * field parsed from something beginning with '*' is written so too:
 * "*" when full, else "*" with a step that keeps only the first value,
 * then the rest.
 */
static int
cron_format_day(uint64_t bits, int min, int max, int star, struct buf *out)
{
	if (!star)
		return cron_format_bits(bits, min, max, out);
	if (bits == cron_full(min, max))
		return buf_puts(out, "*");
	if (buf_printf(out, "*/%d", max - min + 1) == -1)
		return -1;
	bits &= ~((uint64_t)1 << min);
	if (bits != 0 && (buf_putc(out, ',') == -1 ||
	    cron_format_bits(bits, min, max, out) == -1))
		return -1;
	return 0;
}

static int
cron_format_plain(uint64_t bits, int min, int max, struct buf *out)
{
	if (bits == cron_full(min, max))
		return buf_puts(out, "*");
	return cron_format_bits(bits, min, max, out);
}

int
cron_format(const struct cron *c, struct buf *out)
{
	if (cron_is_off(c))
		return buf_puts(out, "off");
	if (cron_format_plain(c->minutes, 0, 59, out) == -1 ||
	    buf_putc(out, ' ') == -1 ||
	    cron_format_plain(c->hours, 0, 23, out) == -1 ||
	    buf_putc(out, ' ') == -1 ||
	    cron_format_day(c->mdays, 1, 31, c->flags & CRON_MDAY_STAR,
	    out) == -1 || buf_putc(out, ' ') == -1 ||
	    cron_format_plain(c->months, 1, 12, out) == -1 ||
	    buf_putc(out, ' ') == -1 ||
	    cron_format_day(c->wdays, 0, 6, c->flags & CRON_WDAY_STAR,
	    out) == -1)
		return -1;
	return 0;
}
