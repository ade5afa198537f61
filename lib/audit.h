/*
 * audit - the audit log: who did what, to whom, on which list, through
 * which channel, and how it ended.
 *
 * A record is written with the change it describes, in the same
 * transaction (the caller's): the change and its proof commit together or
 * not at all. The table (lib/migrations/0001_initial.sql, audit_log)
 * refuses updates; rows are only added, and purged when they expire.
 *
 * details is a JSON object; audit_json_*() build one safely (every string
 * escaped), so no caller writes JSON by hand.
 *
 * A record of a subscription change is the proof of an opt-in (or of its
 * end): besides who and when it keeps the Message-ID of the mail that
 * asked and where that mail came from (client), and in details the
 * confirming key ("key"), who asked when it was not the actor
 * ("requested_by", e.g. the member whose request an owner approved) and
 * why ("reason"). Nothing secret is stored: a key is written only after
 * it was used, and keys are single-use, so a recorded key confirms
 * nothing any more.
 */
#ifndef HERALD_AUDIT_H
#define HERALD_AUDIT_H

#include "buf.h"
#include "store.h"

struct audit_rec {
	const char	*actor;		/* an address, a Unix user, a daemon */
	const char	*channel;	/* "cli", "mail", "web", "daemon" */
	const char	*action;	/* "member.add", "list.create", ... */
	const char	*target;	/* the address acted on, or NULL */
	const char	*list_id;	/* lists.id as text, or NULL */
	const char	*list_address;	/* "name@domain", or NULL */
	const char	*status;	/* "success" (NULL) or "error" */
	const char	*error;		/* why, for "error"; or NULL */
	const char	*details;	/* a JSON object, or NULL for {} */
	const char	*message_id;	/* of the mail that asked, or NULL */
	const char	*client;	/* mail: relay, envelope sender */
};

/*
 * Append one record; the caller's transaction decides its fate. The
 * message_id and client come from mail, so they are made safe to store
 * (audit_ascii()) and a Message-ID loses its angle brackets.
 */
int	audit_write(struct store *st, const struct audit_rec *r);

/*
 * Outside text fit for a record: printable ASCII kept, any other byte
 * (controls, 8-bit) written as '?', at most max bytes. A value from mail
 * must never make the change it records fail (PostgreSQL refuses text
 * that is not UTF-8).
 */
void	audit_ascii(struct buf *out, const char *s, size_t max);
/* The same for a Message-ID: without its surrounding <>. */
void	audit_message_id(struct buf *out, const char *s);

/*
 * The actor of a command-line change: the Unix user's name (and the one
 * who ran sudo, as "root (sudo alice)"), or "uid N" without a passwd
 * entry. A static string.
 */
const char *audit_cli_actor(void);

/*
 * A JSON object under construction: audit_json_begin(), then string and
 * integer members, then audit_json_end(). Strings must be valid UTF-8
 * (the database refuses anything else); control characters are escaped.
 */
void	audit_json_begin(struct buf *b);
void	audit_json_str(struct buf *b, const char *key, const char *value);
void	audit_json_int(struct buf *b, const char *key, long long value);
void	audit_json_end(struct buf *b);
/* A JSON string literal (quotes included), for callers building arrays. */
void	audit_json_quote(struct buf *b, const char *s);

/*
 * Reading the log, newest first. Every filter member may be NULL (or 0)
 * for no filter: list_address ("name@domain"), target (a canonical
 * address), actor (exact), since (a date PostgreSQL reads as timestamptz,
 * e.g. "2026-11-01" or "2026-11-01 10:00:00+01") or ago (an interval,
 * e.g. "7 days"; ignored when since is set). limit 0 is no limit.
 */
struct audit_filter {
	const char	*list_address;
	const char	*target;
	const char	*actor;
	const char	*since;
	const char	*ago;
	long		 limit;
};

/* One record as text; strings never NULL ("" for none). */
struct audit_row {
	const char	*id;
	const char	*at;		/* UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
	const char	*actor;
	const char	*channel;
	const char	*action;
	const char	*list_address;
	const char	*target;
	const char	*status;
	const char	*error;
	const char	*details;	/* a JSON object */
	const char	*message_id;	/* without <> */
	const char	*client;
	const char	*list_id;	/* "" once the list is purged */
	/* From details: the proof of a subscription change. */
	const char	*key;
	const char	*requested_by;
	const char	*reason;
	const char	*details_rest;	/* details without those three */
};

typedef int audit_row_fn(const struct audit_row *r, void *arg);

/*
 * Call fn for each matching record (fn's non-zero result stops and is
 * returned). STORE_ERROR with store_sqlstate() 22007/22008 or 22023
 * for a since or ago PostgreSQL cannot read.
 */
int	audit_read(struct store *st, const struct audit_filter *f,
	    audit_row_fn *fn, void *arg);

/*
 * The history of one address on one list, oldest first: every record
 * whose target is email and whose list is list_id (NULL when the list is
 * gone) or, for records whose list was purged (their list_id is NULL),
 * whose list_address is list_address. The count of records is in *n.
 */
int	audit_history(struct store *st, const char *list_id,
	    const char *list_address, const char *email, audit_row_fn *fn,
	    void *arg, long *n);

#endif
