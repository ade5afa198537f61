/*
 * bounced - what the parts of the daemon share: its context (configuration,
 * database, the bounce spool, the VERP key, the counts of dropped
 * bounces) and the fate of an entry.
 *
 * bounced.c	the life of the daemon: options, setup, the spool loop,
 *		signals, the flush of the drop counts
 * handle.c	one entry: attribution, the report, the record
 * batch.c	the transaction in hand: the entries recorded in it, finished
 *		together when it commits
 * keep.c	the bounce directory: each member's latest report, OTHER/,
 *		OWNER/, and the sample of dropped bounces in REJECTED/
 * notify.c	the owners' notice of a member's complaint (ARF)
 */
#ifndef HERALD_BOUNCED_H
#define HERALD_BOUNCED_H

#include <stddef.h>
#include <time.h>

#include "bounce.h"
#include "bouncedb.h"
#include "buf.h"
#include "config.h"
#include "packet.h"
#include "secret.h"
#include "spool.h"
#include "store.h"

#define BD_PROGRAM		"bounced"
/* Dropped bounces kept as a sample, per minute, and files per reason. */
#define BD_SAMPLE_PER_MINUTE	10
#define BD_SAMPLE_SLOTS		100

/* An entry recorded in the transaction in hand. */
struct bd_pending {
	struct spool_entry e;
	char		 list[LISTNAME_MAX + 1];	/* for the log lines */
	struct buf	 log;		/* what to log once committed */
};

/*
 * The transaction in hand. Recording reports one transaction at a time
 * cost four round trips and two fsyncs each: a batch shares the BEGIN and
 * COMMIT, the list's lookup, one syncfs for the members' latest reports
 * and one directory fsync for the removals.
 */
struct bd_batch {
	struct bd_pending *v;
	size_t		 n;
	int		 keep_unsynced;	/* latest reports written, not synced */
	char		 list[LISTNAME_MAX + 1];	/* the last list looked up */
	char		 domain[LISTNAME_DOMAIN_MAX + 1];
	char		 list_id[24];
};

struct bd {
	const char	*cfpath;	/* NULL: the default */
	struct config	*cf;
	struct store	*st;
	struct spool	 bounce;
	struct secret	 key;		/* VERP_SECRET */
	struct bouncedb_site site;	/* its key points at key */
	struct buf	 dir;		/* bounce_directory */
	struct packet_limits limits;	/* for the owners' notices */
	struct bouncedb_rejects rejects;
	time_t		 flushed_at;	/* the counts' last flush */
	long long	 dropped;	/* since the last log line about it */
	time_t		 sample_minute;
	int		 sampled;	/* in sample_minute */
	unsigned	 sample_seq;
	struct bd_batch	 batch;
};

/* What becomes of the entry in hand. */
enum bd_fate {
	BD_DONE,	/* handled (recorded or kept aside): remove */
	BD_DROPPED,	/* dropped unread (a forgery): remove, no fsync */
	BD_BAD,		/* cannot be read: into bad/ with the reason */
	BD_RETRY,	/* a temporary failure: back to new/, later */
	BD_KEPT,	/* another worker has it: nothing to do */
	BD_PENDING	/* recorded in the batch: removed when it commits */
};

/* An entry in hand. */
struct bd_entry {
	struct spool_entry *e;
	const char	*name;		/* the entry's name */
	const char	*msg;		/* the message */
	size_t		 len;
	struct bouncedb_attr attr;
	char		 why[512];	/* BD_BAD and BD_RETRY: the reason */
};

/* handle.c: claim, read, attribute, record and finish one entry. */
enum bd_fate	bd_handle(struct bd *b, const char *name);

/* batch.c */
/* Entries in a batch at most: what one commit finishes. */
#define BD_BATCH_MAX		128
/* The transaction of the batch, begun if none is. A STORE_* code. */
int		bd_batch_join(struct bd *b);
/* Take the claimed entry into the batch, with what to log once committed. */
void		bd_batch_add(struct bd *b, struct spool_entry *e,
	    const char *list, const struct buf *log);
/*
 * Commit the batch and remove its entries; BD_DONE, or BD_RETRY when it
 * could not be committed (its entries are back in new/).
 */
enum bd_fate	bd_batch_end(struct bd *b);
/*
 * Roll the batch back after a failure: its entries go back to new/ for a
 * later pass, none of their work done.
 */
void		bd_batch_abort(struct bd *b);
/* The list's id, looked up once per batch. A STORE_* or BOUNCEDB_NOLIST. */
int		bd_batch_list_id(struct bd *b, const char *list,
	    const char *domain, char id[24]);

/* keep.c */
/*
 * The member's latest report: <dir>/<list>@<domain>/<safe email>,
 * written in a temporary file and renamed over the old one; it reaches
 * the disk with bd_keep_sync, before the batch commits. 0, or -1 (logged).
 */
int		bd_keep_member(struct bd *b, const struct bd_entry *be,
	    const char *email);
/* The members' latest reports written since the last call, on the disk. */
int		bd_keep_sync(struct bd *b);
/*
 * An entry kept aside: <dir>/<where>[/<list>@<domain>]/<entry name> and
 * beside it <entry name>.reason (the reason, the envelope, the
 * attribution). 0, or -1 (logged).
 */
int		bd_keep_aside(struct bd *b, const struct bd_entry *be,
	    const char *where, int by_list, const char *reason);
/* Count a dropped bounce; keep it in REJECTED/ if the sample has room. */
void		bd_drop(struct bd *b, const struct bd_entry *be,
	    const char *reason);

/* notify.c */
/*
 * Tell the owners of the list (the listmasters when it has none) that
 * member complained (rcpt of r), and whether Herald removed them: a
 * notice job in the caller's transaction; n makes its job id unique
 * within the entry.
 */
int		bd_notify_complaint(struct bd *b, const struct bd_entry *be,
	    const char *list_id, const char *member,
	    const struct bounce_report *r, size_t n, int removed);
/*
 * The list's complaint_action is unsubscribe: its config says so (a list
 * whose config cannot be read keeps its members: logged).
 */
int		bd_complaint_unsubscribes(struct bd *b, const struct bd_entry *be);

#endif
