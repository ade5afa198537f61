/*
 * bouncedb - what bounced decides about a bounce before the report is
 * parsed (which list and member it is for, or why it is dropped), and
 * what it records afterwards in the shared database
 * (lib/migrations/0011_bounce.sql): the members' bounce fields,
 * bounce_events, tracking and the counts of bounce_rejects. The file
 * names of the bounce directory live here too, so that task_manager and
 * herald find the files bounced writes.
 *
 * Attribution, cheapest and most trusted first; nothing in it reads a
 * database, a file or the clock (the caller gives the key and the time):
 *
 *  1. a VERP return path (lib/verp.h): the entry's original recipient,
 *     else the first Delivered-To, X-Original-To or To of the message's
 *     top header that parses as one. Its token is checked at once: a
 *     forged or expired one is REJECT ("forged", "expired"); a good one
 *     names the list, the member ("" for the list-only form) and the
 *     envelope id. Only the top header is scanned: no MIME parse, so a
 *     flood of forgeries costs one HMAC each.
 *  2. the list's own return path (list-owner, which bouncequeue stores
 *     with recipient list@domain): with bounce_tokens on, list mail never
 *     goes out with it, so a null-sender bounce there is REJECT
 *     ("no-token") and mail from a person is OWNER (kept for the owners);
 *     with bounce_tokens off it is LIST: the members come from the report.
 *  3. abuse-feedback-report: ARF; the list comes from the report
 *     (bouncedb_attribute_arf(): the returned message's VERP Return-Path,
 *     else its List-Id). The bounce, robot-owner and
 *     abuse-feedback-report aliases all pass the robot's address to
 *     bouncequeue: without an original recipient, the first of
 *     Delivered-To, X-Original-To, To that is one of them tells them
 *     apart.
 *  4. anything else (the bounce and robot-owner addresses without a
 *     token): REJECT ("no-token") for a null sender when tokens are on,
 *     else OTHER with the reason.
 *
 * Recording: bouncedb_record() writes one report - every recipient's
 * event and, for members whose action counts (failed or delayed, with a
 * 4.x.x or 5.x.x status), first/last/count/status/address in one
 * statement per recipient - and its tracking row, in the caller's
 * transaction when one is open. Functions that take a store return
 * STORE_OK, STORE_ERROR or STORE_TEMP (lib/store.h), or BOUNCEDB_NOLIST
 * / BOUNCEDB_NOTFOUND, refusals that leave a transaction usable.
 */
#ifndef HERALD_BOUNCEDB_H
#define HERALD_BOUNCEDB_H

#include <stddef.h>
#include <time.h>

#include "bounce.h"
#include "buf.h"
#include "config.h"
#include "listname.h"
#include "secret.h"
#include "store.h"
#include "verp.h"

#define BOUNCEDB_NOLIST		1	/* no such list */
#define BOUNCEDB_NOTFOUND	2	/* no such member */

#define BOUNCEDB_ADDRESS_MAX	254	/* an address attribution reads */
#define BOUNCEDB_REASON_MAX	40	/* bounce_rejects.reason */
#define BOUNCEDB_DIAG_MAX	512	/* bounce_events.diagnostic */
#define BOUNCEDB_MSGID_MAX	998	/* bounce_events.message_id */
#define BOUNCEDB_HEAD_SCAN	(64 * 1024)	/* top header bytes scanned */
#define BOUNCEDB_NAME_MAX	200	/* a member's file name */

/* The directories of bounce_directory that are no list's. */
#define BOUNCEDB_DIR_OTHER	"OTHER"		/* unattributable, with .reason */
#define BOUNCEDB_DIR_OWNER	"OWNER"		/* people writing to list-owner */
#define BOUNCEDB_DIR_REJECTED	"REJECTED"	/* a sample of dropped bounces */

/* What attribution decided. */
enum bouncedb_fate {
	BOUNCEDB_VERP,		/* a good (or unchecked) token */
	BOUNCEDB_LIST,		/* list-owner without tokens: members from the report */
	BOUNCEDB_ARF,		/* abuse-feedback-report: list from the report */
	BOUNCEDB_OWNER,		/* a person writing to list-owner */
	BOUNCEDB_REJECT,	/* dropped and counted under reason */
	BOUNCEDB_OTHER		/* not attributable: kept with reason */
};

/* verify in struct bouncedb_attr: VERP_OK, VERP_FORGED, VERP_EXPIRED, or: */
#define BOUNCEDB_VERP_NONE	1	/* no VERP address */
#define BOUNCEDB_VERP_UNCHECKED	2	/* no key to check it with */

/* The site's side of attribution. */
struct bouncedb_site {
	const char	*bounce_localpart;	/* NULL: "bounce" */
	const char	*robot_localpart;	/* NULL: "sympa" */
	int		 tokens;		/* bounce_tokens */
	int		 verp_days;		/* <= 0: VERP_DAYS */
	const struct secret *key;	/* NULL: tokens are not checked */
	time_t		 now;
};

struct bouncedb_attr {
	enum bouncedb_fate fate;
	char		 list[LISTNAME_MAX + 1];	/* "" unless known */
	char		 domain[LISTNAME_DOMAIN_MAX + 1];
	char		 member[VERP_MEMBER_MAX + 1];	/* VERP; "" list only */
	char		 envid[VERP_ENVID_MAX + 1];	/* VERP; "" none */
	char		 address[BOUNCEDB_ADDRESS_MAX + 1]; /* what was read */
	const char	*source;	/* where: "original-recipient", "to", ... */
	int		 verify;	/* VERP_* or BOUNCEDB_VERP_* */
	const char	*reason;	/* REJECT: [a-z0-9-]; OWNER, OTHER: a text */
};

/*
 * Attribute one bounce: recipient and original (NULL if none) as the
 * spool entry has them, sender its envelope sender ("" for <>, NULL when
 * unknown: herald bounce explain on a bare message), len bytes at msg the
 * message (only its top header is read). Fills *out; returns out->fate.
 */
enum bouncedb_fate bouncedb_attribute(const struct bouncedb_site *s,
	    const char *recipient, const char *original, const char *sender,
	    const char *msg, size_t len, struct bouncedb_attr *out);

/*
 * An ARF's list, once the report is parsed: its returned message's
 * Return-Path when that is a good VERP address (list and member), else
 * its List-Id, <list>.<domain> with out->domain (the domain the report
 * came to). Turns out into VERP or LIST; OTHER with a reason when the
 * report names no list of that domain.
 */
enum bouncedb_fate bouncedb_attribute_arf(const struct bouncedb_site *s,
	    const struct bounce_report *r, struct bouncedb_attr *out);

/* "verp", "list", "arf", "owner", "reject", "other". */
const char *bouncedb_fate_name(enum bouncedb_fate f);

/*
 * Whether a recipient's outcome moves the member's counters: failed or
 * delayed, with a 4.x.x or 5.x.x status.
 */
int	bouncedb_counts(enum bounce_action action, const char *status);

/* A recipient of a report, as recorded. */
struct bouncedb_rcpt {
	const char	*email;		/* recorded against: the member for VERP */
	const char	*reported;	/* the report's address if not email; NULL */
	const char	*action;	/* bounce_action_name() */
	const char	*status;	/* "5.1.1"; NULL or "" for none */
	int		 hard;
	const char	*diagnostic;	/* NULL for none; cut at BOUNCEDB_DIAG_MAX */
	int		 count;		/* bouncedb_counts() */
	int		 member;	/* out: a member of the list when recorded */
};

/* One report, for one list. */
struct bouncedb_report {
	const char	*list_id;	/* lists.id */
	const char	*kind;		/* dsn, mdn, arf, nonstandard, verp */
	const char	*recogniser;	/* [a-z0-9_.-]{1,40} */
	const char	*message_id;	/* the returned message's, or NULL */
	struct bouncedb_rcpt *rcpts;
	size_t		 nrcpts;
	/* Tracking: a row when envid is set (VERP with a member). */
	const char	*envid;		/* [a-z0-9]{1,20}, or NULL */
	const char	*track_type;	/* "dsn" or "mdn" */
	const char	*track_email;	/* the member */
	const char	*track_status;	/* the action or the disposition */
};

/* lists.id (24 bytes) of name@domain; BOUNCEDB_NOLIST if none. */
int	bouncedb_list_id(struct store *st, const char *name,
	    const char *domain, char id[24]);

/*
 * Record r: for each recipient an event (member or not) and, when count
 * is set and the address is a member, the member's bounce fields
 * (bounce_first_at if NULL, bounce_last_at, bounce_count + 1,
 * bounce_status, bounce_address = reported) in the same statement;
 * member says which were members. Then the tracking row (upsert). In the
 * caller's transaction when one is open, else in one of its own.
 */
int	bouncedb_record(struct store *st, struct bouncedb_report *r);

/*
 * Forget a member's bounce data and score (herald bounce reset): first,
 * last, count, status, address, score, level and action date.
 * BOUNCEDB_NOTFOUND when email is no member of list id.
 */
int	bouncedb_member_reset(struct store *st, const char *list_id,
	    const char *email);

/*
 * The counts of dropped bounces, kept in memory and added to
 * bounce_rejects by one statement every few seconds: a flood never
 * makes a write per bounce.
 */
#define BOUNCEDB_REJECT_SLOTS	32

struct bouncedb_rejects {
	struct {
		char		day[16];	/* YYYY-MM-DD, UTC */
		char		reason[BOUNCEDB_REASON_MAX + 1];
		long long	count;
	}		 slot[BOUNCEDB_REJECT_SLOTS];
	size_t		 n;
	long long	 pending;	/* the sum of the slots' counts */
	long long	 lost;		/* not counted: every slot taken */
};

/* Count one drop for reason ([a-z0-9_-]{1,40}) on the UTC day of when. */
void	bouncedb_reject_add(struct bouncedb_rejects *r, const char *reason,
	    time_t when);
/*
 * Add the counts to bounce_rejects in one upsert and clear them; on
 * failure they are kept for the next try. STORE_OK when nothing was
 * pending.
 */
int	bouncedb_rejects_flush(struct store *st, struct bouncedb_rejects *r);

/* Files. */

/* bounce_directory, or <state_directory>/bounce when it is empty. */
void	bouncedb_directory(const struct config *cf, struct buf *out);
/*
 * An address as a file name: bytes other than [A-Za-z0-9@._+=-], '%' and
 * a leading '.' written %XX; a name over BOUNCEDB_NAME_MAX cut and ended
 * with '~' and a hash of the whole. 0, or -1 at out's limit.
 */
int	bouncedb_safe_name(const char *email, struct buf *out);
/* <dir>/<list>@<domain>/<safe name of email>; 0 or -1. */
int	bouncedb_member_path(const char *dir, const char *list,
	    const char *domain, const char *email, struct buf *out);

#endif
