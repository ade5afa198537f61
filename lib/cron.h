/*
 * cron - when a scheduled task runs: the five fields of cron(8).
 *
 * A schedule is "minute hour day-of-month month day-of-week", each field
 * a comma-separated list of items: "*", a number, a range "N-M", any of
 * them followed by "/STEP" ("N/STEP" is N to the field's end), with the
 * names jan..dec and sun..sat (case ignored) in the last two fields and
 * 7 as Sunday. "@hourly", "@daily" (or "@midnight"), "@weekly",
 * "@monthly" and "@yearly" (or "@annually") stand for their usual
 * fields, and "off" for a task that never runs. As in cron(8), when both
 * day fields are restricted (neither begins with "*") a day matches when
 * either does; otherwise both must.
 *
 * Times are wall-clock times in the local zone (TZ). Across a change of
 * the clock, a wall time that does not exist (the hour skipped in
 * spring) runs when the skipped hour ends, and one that happens twice
 * (the hour repeated in autumn) runs the first time only: every slot
 * runs once, and slots never go backwards.
 *
 * Nothing here allocates; a parsed schedule is a plain value.
 */
#ifndef HERALD_CRON_H
#define HERALD_CRON_H

#include <stdint.h>
#include <time.h>

#include "buf.h"

/* The longest schedule text parsed, in bytes. */
#define CRON_SPEC_MAX	256

#define CRON_OFF	0x1	/* "off": never */
#define CRON_MDAY_STAR	0x2	/* the day-of-month field begins with '*' */
#define CRON_WDAY_STAR	0x4	/* the day-of-week field begins with '*' */

struct cron {
	uint64_t	minutes;	/* bit m: minute m, 0-59 */
	uint32_t	hours;		/* bit h: hour h, 0-23 */
	uint32_t	mdays;		/* bit d: day d of the month, 1-31 */
	uint16_t	months;		/* bit m: month m, 1-12 */
	uint8_t		wdays;		/* bit d: week day d, 0 (Sunday)-6 */
	unsigned	flags;
};

/*
 * Parse spec into *out. 0, or -1 with one line in err (which may be
 * NULL) saying what is wrong: a bad field, a number out of its field's
 * range, a range that goes backwards, a step of 0, too many or too few
 * fields, or days that never come (such as "0 0 30 2 *").
 */
int	cron_parse(const char *spec, struct cron *out, struct buf *err);

/* 1 for "off". */
int	cron_is_off(const struct cron *c);

/*
 * The first slot strictly after after (cron_next), the last slot at or
 * before at (cron_prev), into *out. 0, or -1 when there is none: the
 * schedule is off, or the time is outside what the C library can turn
 * into a local date.
 */
int	cron_next(const struct cron *c, time_t after, time_t *out);
int	cron_prev(const struct cron *c, time_t at, time_t *out);

/*
 * Append the schedule in a canonical form (numbers, ranges and steps;
 * "off" when off) that cron_parse() reads back to the same schedule.
 * 0, or -1 on out's limit.
 */
int	cron_format(const struct cron *c, struct buf *out);

#endif
