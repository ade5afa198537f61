/*
 * bouncescore - what task_manager makes of the bounce data bounced(8)
 * records: each bouncing member's score (eval_bouncers), what happens at
 * the list's two levels (process_bouncers), and forgetting old data
 * (expire_bounce). herald-bounce(7) is the reader's version.
 *
 * The score is Sympa's (its _get_score), capped at BOUNCESCORE_MAX as
 * Sympa's manual says (its code is not capped). With the member's first
 * and last bounce as day numbers (seconds since the epoch / 86400, minus
 * bounce_delay) BO and EO, and count bounces, a member is scored only if
 * count >= minimum_bouncing_count and EO - BO >= minimum_bouncing_period;
 * then, with msgs the list's posts on days BO..EO (1 if none) and minday
 * the first of those days with a post (EO if none):
 *
 *	adj	= count * (EO - minday) / (EO - BO)	(count when EO = BO)
 *	score	= int(count * (adj / msgs) * type + 0.5), at most 100
 *
 * where type is 0.5 when the last status is 4.x.x, else 1. A member not
 * scored has a NULL score (Sympa writes 0). The posts are the list's
 * bulk jobs of kind 'post', by the UTC day of their creation.
 *
 * bouncescore_eval() scores in one statement (every list, or one), so
 * a site with many bouncing members costs one round trip, not one each.
 * bouncescore_compute() is the same formula in C, for tests and tools.
 *
 * Functions that take a store return STORE_OK, STORE_ERROR or STORE_TEMP
 * (lib/store.h).
 */
#ifndef HERALD_BOUNCESCORE_H
#define HERALD_BOUNCESCORE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "roster.h"
#include "store.h"

#define BOUNCESCORE_MAX		100
/* Addresses listed in one report to the owners; the rest are counted. */
#define BOUNCESCORE_REPORT_MAX	5000

struct bouncescore_params {
	int		min_count;	/* minimum_bouncing_count */
	int		min_period;	/* minimum_bouncing_period, days */
	int		delay;		/* bounce_delay, days */
};

/* A list's posts on one day (UTC day number). */
struct bouncescore_day {
	long long	day;
	long long	posts;
};

/* One member's bounce data and the list's traffic, for the C formula. */
struct bouncescore_history {
	time_t		 first, last;	/* first and last bounce */
	long long	 count;
	const char	*status;	/* the last status, or NULL */
	const struct bouncescore_day *days;	/* ascending by day */
	size_t		 ndays;
};

/* The formula: 1 with *score, or 0 when the member is not scored. */
int	bouncescore_compute(const struct bouncescore_params *p,
	    const struct bouncescore_history *h, int *score);

struct bouncescore_eval_stats {
	long long	scored;		/* members given a score */
	long long	unscored;	/* below the minimums: NULL */
	long long	changed;	/* rows whose score changed */
};

/*
 * Score every bouncing member of list_id (lists.id as text), or of every
 * list when list_id is NULL, in one statement.
 */
int	bouncescore_eval(struct store *st, const struct bouncescore_params *p,
	    const char *list_id, struct bouncescore_eval_stats *out);

/* The values of bouncers_levelN.action and bouncers_levelN.notification. */
enum bouncescore_action {
	BOUNCESCORE_NONE,		/* "none" */
	BOUNCESCORE_NOTIFY,		/* "notify_bouncers": tell the member */
	BOUNCESCORE_REMOVE,		/* "remove_bouncers": delete them */
};
enum bouncescore_tell {
	BOUNCESCORE_TELL_NOBODY,	/* "none" */
	BOUNCESCORE_TELL_OWNER,		/* "owner" */
	BOUNCESCORE_TELL_LISTMASTER,	/* "listmaster" */
};

struct bouncescore_level {
	int			 rate;	/* the least score of the level */
	enum bouncescore_action	 action;
	enum bouncescore_tell	 tell;
};

/* Names to values; 0, or -1 for an unknown name. */
int	bouncescore_action_parse(const char *s, enum bouncescore_action *out);
int	bouncescore_tell_parse(const char *s, enum bouncescore_tell *out);
const char *bouncescore_action_name(enum bouncescore_action a);

/* A score's level: 2 if >= level 2's rate, else 1 if >= level 1's, else 0. */
int	bouncescore_level_of(const struct bouncescore_level levels[2],
	    int score);

/* One list as process_bouncers sees it. */
struct bouncescore_list {
	const char	*id;		/* lists.id */
	const char	*name;
	const char	*domain;
	struct bouncescore_level levels[2];	/* [0] level 1, [1] level 2 */
	/* The domain's listmasters; none: listmaster@<domain>. */
	const char *const *listmasters;
	size_t		 nlistmasters;
	const char	*robot_localpart;	/* NULL: "sympa" */
};

struct bouncescore_process_stats {
	long long	members[2];	/* acted on at level 1, level 2 */
	long long	removed;
	long long	notified;	/* members told */
	long long	reports;	/* reports to owners or listmasters */
};

/*
 * The levels' actions on list l, level 2 first: each member whose score
 * reaches a level and who was not acted on at that level or above yet.
 * remove_bouncers deletes the member through lib/roster (audit record
 * member.del; an exclusion when a data source brought the member in);
 * notify_bouncers queues a notice to the member; both, and none, record
 * bounce_action_at (now) and bounce_action_level, so nobody is told
 * twice for one level. Then the owners (those who get mail; the
 * listmasters when there are none) or the listmasters get one report of
 * the level's addresses and action. Mail is queued as bulk jobs of kind
 * 'notice' with the null return path. Each level is one transaction: its
 * actions, marks and mail commit together. Counts are added to *out.
 */
int	bouncescore_process(struct store *st, const struct roster_who *who,
	    const struct bouncescore_list *l, time_t now,
	    struct bouncescore_process_stats *out);

/*
 * For each member whose data expired: the list and the address, so the
 * caller can remove the member's latest bounce on disk (the database
 * has already forgotten the data: a file left behind harms nothing).
 */
typedef void bouncescore_expired_fn(const char *list, const char *domain,
	    const char *email, void *arg);

struct bouncescore_expire_stats {
	long long	members;	/* whose data was forgotten */
	long long	events;		/* bounce_events rows deleted */
};

/*
 * Forget the bounce data of every member whose last bounce is older than
 * days before now: dates, count, status, address, score and the action
 * marks; delete their bounce_events from before that time. One
 * statement; then fn (may be NULL) for each such member.
 */
int	bouncescore_expire(struct store *st, int days, time_t now,
	    bouncescore_expired_fn *fn, void *arg,
	    struct bouncescore_expire_stats *out);

/*
 * The mail, composed (RFC 5322, LF line ends, ASCII or UTF-8 as given,
 * Auto-Submitted: auto-generated). Exposed for tests.
 */
struct bouncescore_mail {
	const char	*list;
	const char	*domain;
	const char	*robot_localpart;	/* NULL: "sympa" */
	time_t		 now;			/* the Date field */
};

/* The notice to a member whose mail bounces. 0, or -1 on out's limit. */
int	bouncescore_member_notice(const struct bouncescore_mail *m,
	    const char *email, int score, struct buf *out);

/* One member of a report. */
struct bouncescore_member {
	const char	*email;
	int		 score;
};

/* The report to owners or listmasters (to: n addresses). 0, or -1. */
int	bouncescore_report(const struct bouncescore_mail *m, int level,
	    const struct bouncescore_level *lv, const char *const *to,
	    size_t nto, const struct bouncescore_member *members, size_t n,
	    struct buf *out);

#endif
