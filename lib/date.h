/*
 * date - RFC 5322 date-time: parsing a Date header to an instant, and
 * formatting an instant as one.
 *
 * Parsing is lenient the way Go's net/mail is: the day of the week is
 * optional, seconds are optional, years of two or three digits are read
 * as RFC 5322 section 4.3 says (00-49 is 2000-2049, 50-999 is 1900+),
 * the obsolete zones UT, GMT and EST/EDT/CST/CDT/MST/MDT/PST/PDT are
 * known, and comments anywhere (such as a trailing "(MDT)") and folding
 * whitespace are skipped. Names of days and months are matched without
 * regard to case (RFC 5234 strings are case-insensitive; Go insists on
 * "Oct"). Military single-letter zones are accepted and, as RFC 5322
 * section 4.3 advises, taken as -0000 (an unknown local zone), since
 * RFC 822 had their signs backwards.
 */
#ifndef HERALD_DATE_H
#define HERALD_DATE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define DATE_INPUT_MAX	4096	/* longest value parsed (comments included) */

struct date {
	time_t	t;		/* the instant, seconds since the epoch (UTC) */
	int	offset;		/* zone of the writer, minutes east of UTC */
	int	zone_known;	/* 0 for "-0000" and military letters */
};

/* Parse a Date header value; 0, or -1 if it is no date. */
int	date_parse(const char *in, size_t len, struct date *out);

/*
 * Append t as an RFC 5322 date-time in the zone offset minutes east of
 * UTC (e.g. "Fri, 21 Nov 1997 09:55:06 -0600"); "-0000" when zone_known
 * is 0. Returns 0, or -1 on out's limit or an unrepresentable time.
 */
int	date_format(time_t t, int offset, int zone_known, struct buf *out);
/* The same for a parsed date, in the zone it was written in. */
int	date_format_date(const struct date *d, struct buf *out);

#endif
