/*
 * date - RFC 5322 date-time parsing and formatting.
 *
 * The value is first cut into at most DATE_TOKENS tokens: runs of
 * characters other than blanks, commas and parentheses, and the commas
 * themselves; comments and folding whitespace separate tokens and vanish.
 * The tokens are then read as [day-name ","] day month year time zone.
 * Calendar arithmetic is done here, not with timegm(), so that the local
 * zone and the C library's range never matter.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "date.h"

#define DATE_TOKENS	10	/* more than a date can have */
#define DATE_TOKEN_MAX	16	/* longest token of a date */

struct date_tok {
	const char	*s;
	size_t		 n;
};

static const char *const date_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const date_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* The obsolete zone names RFC 5322 section 4.3 lists, and UTC. */
static const struct {
	const char	*name;
	int		 offset;	/* minutes east */
} date_zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 },
	{ "EST", -5 * 60 }, { "EDT", -4 * 60 },
	{ "CST", -6 * 60 }, { "CDT", -5 * 60 },
	{ "MST", -7 * 60 }, { "MDT", -6 * 60 },
	{ "PST", -8 * 60 }, { "PDT", -7 * 60 },
};

/*
 * Skip a comment at in[*i] ('('), nesting counted; -1 if it is not
 * closed.
 */
static int
date_skip_comment(const char *in, size_t len, size_t *i)
{
	size_t depth = 0;

	for (; *i < len; (*i)++) {
		if (in[*i] == '\\' && *i + 1 < len)
			(*i)++;
		else if (in[*i] == '(')
			depth++;
		else if (in[*i] == ')' && --depth == 0) {
			(*i)++;
			return 0;
		}
	}
	return -1;
}

/*
 * Cut the value into tokens. A CR counts as a blank only in a CRLF (a
 * lone CR is damage, not folding).
 */
static int
date_tokenize(const char *in, size_t len, struct date_tok *tok, int *ntok)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		size_t start;

		if (c == ' ' || c == '\t' || c == '\n') {
			i++;
			continue;
		}
		if (c == '\r') {
			if (i + 1 >= len || in[i + 1] != '\n')
				return -1;
			i += 2;
			continue;
		}
		if (c == '(') {
			if (date_skip_comment(in, len, &i) < 0)
				return -1;
			continue;
		}
		if (n == DATE_TOKENS)
			return -1;
		start = i;
		if (c == ',')
			i++;
		else
			while (i < len && in[i] != ' ' && in[i] != '\t' &&
			    in[i] != '\r' && in[i] != '\n' && in[i] != ',' &&
			    in[i] != '(')
				i++;
		if (i - start > DATE_TOKEN_MAX)
			return -1;
		tok[n].s = in + start;
		tok[n].n = i - start;
		n++;
	}
	*ntok = n;
	return 0;
}

static int
date_tok_is(const struct date_tok *t, const char *s)
{
	return t->n == strlen(s) && strncasecmp(t->s, s, t->n) == 0;
}

/* A number of min..max digits making up the whole token; -1 if not. */
static int
date_number(const char *s, size_t n, size_t min, size_t max)
{
	int v = 0;

	if (n < min || n > max)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
date_is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
date_month_days(long y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && date_is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, y >= 1). */
static long
date_days_from_epoch(long y, int m, int d)
{
	static const int before[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243,
	    273, 304, 334 };
	long py = y - 1, days;

	days = 365 * (y - 1970) + (py / 4 - py / 100 + py / 400) -
	    (1969 / 4 - 1969 / 100 + 1969 / 400);
	days += before[m - 1] + (m > 2 && date_is_leap(y)) + d - 1;
	return days;
}

/* "hh:mm" or "hh:mm:ss" into seconds of the day; -1 if malformed. */
static long
date_time_of_day(const struct date_tok *t)
{
	const char *s = t->s;
	size_t n = t->n;
	int h, m, sec = 0;

	if (n != 5 && n != 8)
		return -1;
	if (s[2] != ':' || (n == 8 && s[5] != ':'))
		return -1;
	h = date_number(s, 2, 2, 2);
	m = date_number(s + 3, 2, 2, 2);
	if (n == 8)
		sec = date_number(s + 6, 2, 2, 2);
	/* Second 60 is a leap second; it lands on the next minute. */
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
		return -1;
	return h * 3600L + m * 60L + sec;
}

/* The zone token into minutes east; *known is 0 for an unknown zone. */
static int
date_zone(const struct date_tok *t, int *offset, int *known)
{
	*known = 1;
	if (t->n == 5 && (t->s[0] == '+' || t->s[0] == '-')) {
		int h = date_number(t->s + 1, 2, 2, 2);
		int m = date_number(t->s + 3, 2, 2, 2);

		if (h < 0 || m < 0 || m > 59)
			return -1;
		*offset = (t->s[0] == '-' ? -1 : 1) * (h * 60 + m);
		/* RFC 5322 3.3: "-0000" says the local zone is unknown. */
		if (*offset == 0 && t->s[0] == '-')
			*known = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof date_zones / sizeof date_zones[0]; i++)
		if (date_tok_is(t, date_zones[i].name)) {
			*offset = date_zones[i].offset;
			return 0;
		}
	if (t->n == 1 && ((t->s[0] >= 'A' && t->s[0] <= 'Z') ||
	    (t->s[0] >= 'a' && t->s[0] <= 'z')) && t->s[0] != 'J' && t->s[0] != 'j') {
		*offset = 0;
		*known = 0;
		return 0;
	}
	return -1;
}

static int
date_month(const struct date_tok *t)
{
	for (int i = 0; i < 12; i++)
		if (date_tok_is(t, date_months[i]))
			return i + 1;
	return -1;
}

int
date_parse(const char *in, size_t len, struct date *out)
{
	struct date_tok tok[DATE_TOKENS];
	int ntok = 0, k = 0, day, month, year, offset, known;
	long secs;

	if (len > DATE_INPUT_MAX || date_tokenize(in, len, tok, &ntok) < 0)
		return -1;
	/* An optional day name, which must then be followed by a comma. */
	if (ntok > 0 && tok[0].n > 0 && (tok[0].s[0] < '0' || tok[0].s[0] > '9')) {
		int ok = 0;

		for (int i = 0; i < 7; i++)
			ok |= date_tok_is(&tok[0], date_days[i]);
		if (!ok || ntok < 2 || !date_tok_is(&tok[1], ","))
			return -1;
		k = 2;
	}
	if (ntok - k != 5)
		return -1;
	day = date_number(tok[k].s, tok[k].n, 1, 2);
	month = date_month(&tok[k + 1]);
	year = date_number(tok[k + 2].s, tok[k + 2].n, 2, 4);
	if (day < 1 || month < 0 || year < 0)
		return -1;
	/* RFC 5322 4.3: two-digit years 00-49 are 20xx, others 19xx. */
	if (tok[k + 2].n == 2)
		year += year < 50 ? 2000 : 1900;
	else if (tok[k + 2].n == 3)
		year += 1900;
	if (year < 1900 || day > date_month_days(year, month))
		return -1;
	if ((secs = date_time_of_day(&tok[k + 3])) < 0)
		return -1;
	if (date_zone(&tok[k + 4], &offset, &known) < 0)
		return -1;
	out->t = (time_t)(date_days_from_epoch(year, month, day) * 86400L +
	    secs - offset * 60L);
	out->offset = offset;
	out->zone_known = known;
	return 0;
}

int
date_format(time_t t, int offset, int zone_known, struct buf *out)
{
	struct tm tm;
	time_t local;
	int a;

	if (!zone_known)
		offset = 0;
	if (offset <= -100 * 60 || offset >= 100 * 60)
		return -1;
	local = t + (time_t)offset * 60;
	if (gmtime_r(&local, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	a = offset < 0 ? -offset : offset;
	return buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
	    date_days[tm.tm_wday], tm.tm_mday, date_months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    offset < 0 || !zone_known ? '-' : '+', a / 60, a % 60);
}

int
date_format_date(const struct date *d, struct buf *out)
{
	return date_format(d->t, d->offset, d->zone_known, out);
}
