/*
 * bulk - send the packets distribute stored in PostgreSQL to the relay.
 *
 * The process (struct bulk) keeps N connections to the relay (SMTP, or
 * slots running a sendmail program), the packets it has claimed (struct
 * bulk_packet) and the SMTP transactions planned for them (struct
 * bulk_txn). Everything runs on one libevent loop; the database calls
 * are short and synchronous, between two events.
 *
 *	bulk.c		the life story: arguments, configuration, database,
 *			signals, the loop, the shut-down
 *	plan.c		a claimed packet into transactions: grouped, or one
 *			per recipient with its VERP return path, one-click
 *			URL and DKIM signature; the job message cache
 *	send.c		connections, choosing the next transaction (priority,
 *			per-domain concurrency), results into the database,
 *			leases
 *	sendmail.c	the sendmail-program transport
 */
#ifndef HERALD_BULK_H
#define HERALD_BULK_H

#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "bulkq.h"
#include "config.h"
#include "dkim.h"
#include "domlimits.h"
#include "secret.h"
#include "smtp.h"
#include "store.h"
#include "strmap.h"

#define BULK_PROGRAM		"bulk"
/* Most RCPT in one transaction (Postfix's smtpd_recipient_limit). */
#define BULK_TXN_RCPT_MAX	1000
/* Jobs whose message is kept in memory at once. */
#define BULK_JOB_CACHE		8
/* Look for due packets this often when nothing wakes us (ms). */
#define BULK_IDLE_POLL_MS	2000
/* Read notifications this often (ms): they cost no round trip. */
#define BULK_NOTIFY_POLL_MS	100
/* How long SIGTERM waits for the transactions in flight (ms). */
#define BULK_STOP_GRACE_MS	1500
/* A domain that answered 421/451 gets one transaction at a time (s). */
#define BULK_SLOW_SECONDS	60

struct bulk;
struct bulk_packet;

/* A job's message, as sent to everyone who gets no personal copy. */
struct bulk_job {
	long long	 id;
	struct buf	 raw;		/* as stored */
	struct buf	 prepared;	/* smtp_body_prepare(raw) */
	unsigned	 flags;		/* SMTP_TXN_8BIT */
	/* Where the per-recipient parts go (offsets into raw). */
	size_t		 sig_end;	/* end of our DKIM-Signature; 0: none */
	size_t		 lu_start, lu_end;	/* List-Unsubscribe; end 0: none */
	char		*lu_value;	/* its value, unfolded */
	const char	*eol;		/* "\r\n" or "\n" */
	struct dkim_signer *signer;	/* to sign personal copies again */
	int		 oneclick_ok;	/* personal one-click copies possible */
	char		*return_path;	/* the list's tokened one, or NULL */
	int		 refs;		/* packets using it */
	unsigned long	 used;		/* for the cache's eviction */
	TAILQ_ENTRY(bulk_job) entry;
};

/* One SMTP transaction (or one sendmail run). */
struct bulk_txn {
	struct bulk_packet *pk;
	char		*return_path;	/* owned */
	const char	**rcpts;	/* owned array; strings are pk's */
	size_t		 nrcpt;
	struct buf	*personal;	/* prepared personal copy, or NULL */
	unsigned	 flags;		/* SMTP_TXN_* */
	char		*domain;	/* owned: the first recipient's domain */
	int		 limit;		/* domain's concurrency limit; 0: none */
	TAILQ_ENTRY(bulk_txn) entry;
};
TAILQ_HEAD(bulk_txns, bulk_txn);

/* One recipient's answer, kept until the database has it. */
struct bulk_answer {
	char		*email;		/* owned */
	int		 code;
	char		*status;	/* owned */
};

/* A claimed packet in hand. */
struct bulk_packet {
	struct bulkq_packet q;
	struct bulk_job	*job;
	size_t		 inflight;	/* transactions started, not ended */
	size_t		 planned;	/* transactions not started */
	struct bulk_answer *answers;	/* not yet recorded */
	size_t		 nanswers, cap;
	struct bulk_answer *sending;	/* being recorded by the recorder */
	size_t		 nsending;
	int		 ending;	/* packet_end() waits for the recorder */
	int		 recording;	/* in the recorder's batch */
	int		 asked_done;	/* the recorder was asked to end it */
	long long	 sent, deferred, failed;
	int		 lost;		/* the lease was taken over */
	long long	 lease_at;	/* confirmed then (monotonic ms) */
	int		 dropped;	/* transactions left unsent (stop) */
	int		 dirty;		/* answers to record soon */
	TAILQ_ENTRY(bulk_packet) entry;
};
TAILQ_HEAD(bulk_packets, bulk_packet);

enum bulk_conn_state {
	CONN_DOWN,
	CONN_CONNECTING,
	CONN_IDLE,
	CONN_BUSY
};

struct bulk_conn {
	struct bulk	*b;
	int		 n;
	enum bulk_conn_state state;
	struct smtp_session *s;		/* smtp mode */
	struct bulk_txn	*txn;		/* the one in flight */
	/* sendmail mode */
	pid_t		 pid;
	struct bufferevent *pipe;
	int		 wrote;		/* the whole message reached the pipe */
};

/* What a domain is doing now (only domains that are limited or slow). */
struct bulk_domain {
	int		 inflight;
	int		 limit;		/* from the limits file; 0: none */
	time_t		 slow_until;	/* after a 421/451: one at a time */
};

struct bulk {
	/* Configuration. */
	const char	*cfpath;
	struct config	*cf;
	int		 once;		/* -1: exit when nothing is due */
	int		 nconns;
	int		 sendmail;	/* bulk_mode sendmail */
	int		 lease;
	struct bulkq_policy policy;
	struct smtp_config smtp;
	struct buf	 relay_host, auth_pass;
	struct domlimits *limits;
	char		 owner[BULKQ_OWNER_MAX + 1];
	const char	*oneclick_base;	/* NULL: no one-click URLs */
	struct secret	 verp_key, oneclick_key;

	/* State. */
	struct store	*st;
	/*
	 * The recorder: a second connection that records answers without
	 * stopping the loop, one statement at a time; the answers that come
	 * meanwhile go in the next one. NULL: answers are recorded on st.
	 */
	struct store	*rec;
	struct bulk_packet **rec_batch;	/* whose answers are in flight */
	struct bulkq_batch_item *rec_items;
	size_t		 rec_n, rec_cap;
	struct event	*ev_rec;
	int		 rec_fd;
	struct event_base *base;
	struct bulk_conn *conns;
	struct bulk_packets packets;	/* claimed, in claim order */
	size_t		 npackets;
	struct bulk_txns txns;		/* planned, not started */
	TAILQ_HEAD(, bulk_job) jobs;	/* the message cache */
	size_t		 njobs;
	unsigned long	 clock;		/* ticks for the cache */
	struct strmap	*domains;	/* struct bulk_domain */
	struct strmap	*backoff_noted;	/* domains we put in backoff */
	int		 nothing_due;	/* the last claim found nothing */
	int		 wake;		/* a notification came: claim again */
	int		 db_down;	/* the last call failed: retry later */
	int		 relay_down;	/* connecting failed: no claims */
	int		 relay_failures;
	int		 stopping;
	int		 exit_code;
	struct event	*ev_poll, *ev_lease, *ev_relay, *ev_grace, *ev_flush;
	struct event	*ev_sigterm, *ev_sigint, *ev_sighup, *ev_sigchld;
	long long	 total_sent, total_deferred, total_failed;
};

/* plan.c */
int	bulk_plan(struct bulk *b, struct bulk_packet *pk);
struct bulk_job *bulk_job_get(struct bulk *b, long long id);
void	bulk_job_put(struct bulk *b, struct bulk_job *job);
void	bulk_jobs_free(struct bulk *b);
void	bulk_txn_free(struct bulk_txn *t);
/* The limits file's word on a domain (all zero without a file). */
void	bulk_limits(const struct bulk *b, const char *domain,
	    struct domlimit *dl);

/* send.c */
void	bulk_pump(struct bulk *b);
void	bulk_conns_start(struct bulk *b);
void	bulk_conns_stop(struct bulk *b);
void	bulk_txn_done(struct bulk *b, struct bulk_conn *c,
	    const struct smtp_result *res);
void	bulk_renew_leases(struct bulk *b);
void	bulk_flush_all(struct bulk *b);
void	bulk_flush_dirty(struct bulk *b);
void	bulk_rec_readable(struct bulk *b);
void	bulk_rec_drain(struct bulk *b);
void	bulk_give_back_all(struct bulk *b);
void	bulk_abandon_all(struct bulk *b);
int	bulk_idle(const struct bulk *b);
void	bulk_conn_closed(struct bulk_conn *c, const struct smtp_reply *why,
	    int ever_ready);

/* sendmail.c */
int	bulk_sendmail_start(struct bulk_conn *c, struct bulk_txn *t);
void	bulk_sendmail_reap(struct bulk *b);
void	bulk_sendmail_kill(struct bulk_conn *c);

#endif
