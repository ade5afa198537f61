/*
 * bulkq - the bulk queue in PostgreSQL: how bulk processes, on any number
 * of hosts, take packets (lib/packet.h writes them), send them, and
 * record what the relay said, so that no packet is sent twice and a crash
 * repeats at most the SMTP transaction that was in flight.
 *
 * Claim. bulkq_claim() takes the first packet by (priority, next
 * attempt, id) that is ready, or claimed under a lease that has expired
 * (its holder died), and is due, with FOR UPDATE SKIP LOCKED on the claim
 * index: concurrent claimers never wait for each other and never get the
 * same packet. The packet becomes claimed under a lease (owner "host:pid",
 * expiry) and its attempts count goes up by one. Priority is looked at on
 * every claim, so an urgent job overtakes the rest of a large one.
 *
 * Lease. The handle remembers the owner and the attempts count of its
 * claim; together they name the lease (a fencing token: a packet taken
 * over after expiry, even by the same process, has another count).
 * bulkq_renew() extends it while sending; every write (renew, record,
 * finish, release) checks it first, in the same transaction, under the
 * row's lock, and returns BULKQ_LOST without writing anything when the
 * packet was taken over: the caller stops sending it.
 *
 * Results. After the relay's final reply to one SMTP transaction,
 * bulkq_record() commits the result of each of its recipients in one
 * transaction: 2xx sent, 5xx failed (permanent: the bounce machinery reads
 * these rows), anything else (4xx, no reply, a dropped connection)
 * deferred. sent and failed are final: never sent again, never changed.
 * A claim hands over only the recipients without a final row.
 *
 * End. bulkq_finish(): all recipients final - the packet is done; else it
 * is ready again after a backoff (5 minutes doubling up to 4 hours by
 * default, longer while its domains are in backoff), and once the
 * attempts or the packet's age reach the policy's bound, the recipients
 * still without a final answer become failed and the packet failed.
 * bulkq_release() hands the lease back untouched (on SIGTERM), the
 * attempt not counted.
 *
 * Functions that take a store return STORE_OK, STORE_ERROR, STORE_TEMP
 * (lib/store.h) or BULKQ_LOST; they join the caller's transaction when
 * one is open, else run in one of their own, committed before they
 * return.
 */
#ifndef HERALD_BULKQ_H
#define HERALD_BULKQ_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "store.h"

/* The lease is no longer ours: stop sending the packet. */
#define BULKQ_LOST	(-3)

#define BULKQ_OWNER_MAX		255	/* "host:pid" */
#define BULKQ_STATUS_MAX	512	/* an SMTP reply, as stored */

/* A claimed packet and what its sender needs to know of its job. */
struct bulkq_packet {
	long long	 id;
	long long	 job_id;
	int		 priority;	/* 0 first .. 9 */
	char		 reception[8];	/* mail, notice, txt, urlize */
	int		 attempts;	/* this claim's, the first is 1 */
	char		*owner;		/* the lease's holder */

	/* Still to send, in sending order; verp is a subset of them. */
	char		**rcpts;
	size_t		 nrcpts;
	char		**verp;
	size_t		 nverp;
	char		**byname;	/* private: rcpts sorted, for lookups */

	/* The job. Strings are never NULL ("" for none) unless noted. */
	char		*kind;		/* post, digest, notice, ... */
	char		*return_path;	/* "" for <> */
	char		*message_id;	/* without <>; NULL if none */
	char		*list_name;	/* NULL for site mail */
	char		*domain;	/* the list's or the site's */
	char		*sender;	/* NULL if unknown */
	char		*tracking;	/* NULL, "dsn" or "mdn" */
	char		*dkim_domain;	/* NULL unless dkim_sign */
	char		*dkim_selector;	/* NULL unless dkim_sign */
	char		*dkim_key_path;	/* NULL unless dkim_sign (and known) */
	char		*dkim_identity;	/* i=, or NULL */
	int		 dkim_sign;
	int		 verp_flag;	/* some recipients of the job get VERP */
	int		 oneclick;
	char		*merge_nonce;	/* merge fields' word, or NULL */
	long long	 list_id;	/* 0 if none */
};

/* Free what a claim filled in, and zero the handle. */
void	bulkq_packet_free(struct bulkq_packet *p);

/*
 * Claim the next packet for owner ("host:pid", printable ASCII, at most
 * BULKQ_OWNER_MAX bytes) for lease_seconds (>= 1). *found is 0 when none
 * is due (out is then zeroed). A packet whose recipients all have a
 * final answer (its sender died between bulkq_record() and
 * bulkq_finish()) comes back with nrcpts 0: finish it.
 */
int	bulkq_claim(struct store *st, const char *owner, int lease_seconds,
	    struct bulkq_packet *out, int *found);

/* The plan of the claim statement (EXPLAIN), for tests and diagnosis. */
int	bulkq_claim_plan(struct store *st, struct buf *plan);

/*
 * The message of a job, appended to out (within its limit, else
 * STORE_ERROR): senders cache it per job. A job that is gone is
 * STORE_ERROR.
 */
int	bulkq_message(struct store *st, long long job_id, struct buf *out);

/* Extend the lease to lease_seconds from now, if it is still ours. */
int	bulkq_renew(struct store *st, const struct bulkq_packet *p,
	    int lease_seconds);

/* One recipient's answer: code is the SMTP reply code (0: none). */
struct bulkq_result {
	const char	*email;		/* one of the packet's recipients */
	int		 code;
	const char	*status;	/* the reply ("" or NULL: none) */
};

enum bulkq_state {
	BULKQ_SENT,
	BULKQ_DEFERRED,
	BULKQ_FAILED
};

/* What a reply code means: 2xx sent, 5xx failed, anything else deferred. */
enum bulkq_state bulkq_state_of(int code);

/*
 * Record the results of one SMTP transaction (n >= 1, each address once),
 * in one transaction, if the lease is still ours. A final row (sent,
 * failed) is never changed: a recipient answered twice keeps its first
 * final answer; an address the packet was not claimed with (not in
 * rcpts) is ignored, logged.
 * *recorded (may be NULL) gets how many rows changed.
 */
int	bulkq_record(struct store *st, const struct bulkq_packet *p,
	    const struct bulkq_result *results, size_t n, long long *recorded);

/* One packet's part of a batch of answers. */
struct bulkq_batch_item {
	const struct bulkq_packet *p;
	const struct bulkq_result *results;
	size_t		 n;		/* may be 0 */
	int		 finish;	/* end it as done if nothing is left */
	/* set by the call */
	int		 held;		/* the lease was ours: recorded */
	long long	 recorded;	/* rows changed */
	int		 finished;	/* it is done (bulkq_finish's BULKQ_DONE) */
};

/*
 * The answers of several packets (each once) in one statement, as
 * bulkq_record() does for one; an item with finish set is also ended as
 * done when its answers leave none of its recipients without a final one
 * (a packet left with deferred recipients is for bulkq_finish()).
 * BULKQ_LOST when a lease was not ours: its item's held is 0, the others
 * are recorded all the same.
 */
int	bulkq_record_batch(struct store *st, struct bulkq_batch_item *items,
	    size_t n);

/*
 * The same without waiting, on a store kept for it (lib/store.h,
 * store_send): bulkq_record_send() sends the statement;
 * bulkq_record_receive(), called when the store's socket is readable,
 * sets *done and then returns what bulkq_record_batch() would have, with
 * the same items.
 */
int	bulkq_record_send(struct store *st,
	    const struct bulkq_batch_item *items, size_t n);
int	bulkq_record_receive(struct store *st, struct bulkq_batch_item *items,
	    size_t n, int *done);

/*
 * The members' display names (gecos) for merge fields: *names gets an
 * array parallel to p->rcpts, NULL where a member has none (free each,
 * then the array; it is allocated even on failure).
 */
int	bulkq_member_names(struct store *st, const struct bulkq_packet *p,
	    char ***names);

/* When to stop retrying; zero fields take the defaults. */
struct bulkq_policy {
	int		 max_attempts;	/* claims; default 30 */
	long		 max_age;	/* seconds since the packet was made;
					   default 5 days */
	long		 backoff_min;	/* seconds; default 300 */
	long		 backoff_max;	/* seconds; default 14400 */
};

enum bulkq_end {
	BULKQ_DONE,		/* every recipient has a final answer */
	BULKQ_RETRY,		/* ready again at next_attempt_at */
	BULKQ_GAVE_UP		/* the rest marked failed; packet failed */
};

/* The backoff after a packet's attempts-th attempt, in seconds. */
long	bulkq_backoff(const struct bulkq_policy *pol, int attempts);

/*
 * End the claim as above (pol may be NULL for the defaults); *end (may be
 * NULL) says how. The lease is cleared.
 */
int	bulkq_finish(struct store *st, const struct bulkq_packet *p,
	    const struct bulkq_policy *pol, enum bulkq_end *end);

/*
 * Per-domain backoff (table bulk_domain_backoff, shared by every host).
 * bulkq_note_domains(), after bulkq_record() has committed the same
 * results: a domain (after an address's last '@') with a 2xx is
 * cleared; one whose every result was deferred is put in backoff,
 * backoff_min doubling with each such transaction up to backoff_max (pol
 * may be NULL). Advice only: the caller logs a failure and goes on.
 * bulkq_finish() sends a packet back no earlier than the first of its
 * remaining recipients' domains may be tried.
 */
int	bulkq_note_domains(struct store *st, const struct bulkq_result *results,
	    size_t n, const struct bulkq_policy *pol);
/* Seconds until domain may be tried again (0: now). */
int	bulkq_domain_wait(struct store *st, const char *domain, long *seconds);
/* Forget notes whose backoff ended keep_seconds ago or more. */
int	bulkq_domains_purge(struct store *st, long keep_seconds,
	    long long *deleted);

/*
 * Give the lease back (SIGTERM): the packet is ready again, due when it
 * was, and this attempt is not counted. Results recorded stay.
 */
int	bulkq_release(struct store *st, const struct bulkq_packet *p);

#endif
