/*
 * packet - bulk jobs and their packets in PostgreSQL: what distribute
 * writes for bulk to send (schema: lib/migrations/0004_bulk.sql).
 *
 * A job is one message, stored once, with what the sender needs to know
 * (return path, priority, DKIM names, VERP share, one-click, tracking).
 * Its recipients are split into packets - one SMTP transaction's worth -
 * which bulk hosts claim one at a time. packet_job_create() makes the job
 * of a list post: in one transaction it inserts the job, reads the list's
 * members in one query on the subscribers primary key, honouring
 * reception modes and suspensions, and inserts every packet; the caller
 * removes its spool entry after the commit. A crash before the commit
 * leaves nothing; a crash after it leaves a job whose spool_id the re-run
 * finds ("already": remove the entry, send nothing).
 *
 * Recipients by reception mode (Sympa's ToList):
 *   mail, not_me	the message (not_me members other than the sender)
 *   notice, txt, urlize	packets of their own; the sender makes the form
 *   digest, digestplain, summary	counted (outcome.digest), not sent:
 *			the caller writes the digest spool
 *   nomail, and anyone suspended now	skipped (outcome.skipped)
 *
 * Splitting (Sympa's _get_recipient_tabs_by_domain, without its quirk):
 * recipients are sorted by domain, then local part (bytes), and taken in
 * order; before recipient r of domain D the current packet is closed when
 *   - it holds limit(D) addresses of D already (nrcpt_by_domain: so at
 *     most limit(D) per packet, first packet included; Sympa puts L-1 in
 *     the first and writes an empty packet for a limit of 1), or
 *   - it holds more than avg addresses and the last two labels of D
 *     differ from those of the previous recipient's domain, or
 *   - it holds nrcpt addresses.
 * Each reception form is split on its own.
 *
 * VERP: members with bounce data (bounce_count > 0) always get a VERP
 * return path; of the others, verp_rate per cent do, a slice of the sorted
 * recipients that moves with verp_seq (the list's sequence number), so
 * that over 100/verp_rate posts every member has had one. Tracking (DSN
 * or MDN) makes it 100%. Such recipients are listed in the packet's
 * verp_recipients as well as in its recipients.
 *
 * Functions that take a store return STORE_OK, STORE_ERROR or STORE_TEMP
 * (lib/store.h). They join the caller's transaction when one is open (the
 * caller may add its own steps, such as recording the Message-ID, and
 * commits; after a failure it must roll back), else run in one of their
 * own, committed before they return.
 */
#ifndef HERALD_PACKET_H
#define HERALD_PACKET_H

#include <stddef.h>
#include <time.h>

#include "store.h"

#define PACKET_NRCPT_DEFAULT	25	/* nrcpt */
#define PACKET_AVG_DEFAULT	10	/* avg */
#define PACKET_NRCPT_MAX	100000	/* the schema's bound on a packet */

/* nrcpt_by_domain: the most addresses of a domain in one packet. */
struct packet_domains;

/*
 * Load the nrcpt of each domain from a per-domain limits file (lib/
 * domlimits.h: Sympa's "domain N" lines, or Herald's keys; the domain
 * is matched exactly, ASCII case folded; a "*" line's nrcpt is the
 * limit of every domain whose line gives none and of every domain not
 * listed). Blank lines and lines starting with '#' or ';' are ignored; a
 * bad line is logged with file:line and skipped (counted in *errors,
 * which may be NULL); a domain given twice keeps its last line.
 * Returns NULL (logged) when the file cannot be read.
 */
struct packet_domains *packet_domains_load(const char *path, size_t *errors);
/* An empty table, and adding to it (domain: lower case; limit >= 1). */
struct packet_domains *packet_domains_new(void);
void	packet_domains_set(struct packet_domains *d, const char *domain,
	    int limit);
/* The limit of domain (len bytes), 0 for none (or the file's "*"). */
int	packet_domains_limit(const struct packet_domains *d,
	    const char *domain, size_t len);
size_t	packet_domains_count(const struct packet_domains *d);
void	packet_domains_free(struct packet_domains *d);

struct packet_limits {
	int		 nrcpt;		/* >= 1 */
	int		 avg;		/* >= 1 */
	const struct packet_domains *by_domain;	/* NULL for none */
};

/*
 * The splitting, for the caller's own use and for tests: sort addresses
 * by (domain, local part), then cut n sorted addresses into packets:
 * starts[k] is the index of packet k's first address (starts has room
 * for n entries); returns the number of packets (0 when n is 0).
 */
void	packet_sort(const char **rcpts, size_t n);
size_t	packet_split(const char *const *rcpts, size_t n,
	    const struct packet_limits *lim, size_t *starts);
/*
 * The VERP slice of n candidates for rate per cent and sequence seq:
 * candidates [*first, *first + *count) get VERP.
 */
void	packet_verp_slice(size_t n, int rate, unsigned long seq,
	    size_t *first, size_t *count);

/* A job's kinds (the schema's bulk_jobs_kind_check). */
int	packet_kind_valid(const char *kind);

/* The message and how to send it. Strings are copied into the database. */
struct packet_job {
	/*
	 * The spool entry the job is made from, with a suffix of the
	 * caller's when one entry makes several jobs ("NAME/reply"):
	 * printable ASCII, no space, <= 300 bytes. NULL for none (no
	 * protection against a second run then).
	 */
	const char	*spool_id;
	const char	*kind;		/* post, digest, notice, forward, ... */
	const char	*list_id;	/* lists.id; NULL for site mail */
	const char	*list_name;	/* NULL for site mail */
	const char	*domain;	/* the list's, or the site's, mail domain */
	const void	*message;	/* the whole message, as sent */
	size_t		 message_len;
	const char	*message_id;	/* without <>; NULL if none */
	const char	*sender;	/* the author (not_me); NULL if unknown */
	const char	*return_path;	/* envelope sender; "" for <> */
	int		 priority;	/* 0 (first) .. 9 */
	int		 verp_rate;	/* per cent, 0..100 */
	unsigned long	 verp_seq;	/* moves the VERP slice (X-Sequence) */
	int		 dkim_sign;	/* then dkim_domain and dkim_selector */
	const char	*dkim_domain;
	const char	*dkim_selector;
	const char	*dkim_key_path;	/* for bulk's per-recipient signing */
	const char	*dkim_identity;	/* i=; NULL or "" for none */
	int		 oneclick;	/* RFC 8058 token per recipient */
	const char	*merge_nonce;	/* merge fields' word (transform.h); NULL: none */
	const char	*tracking;	/* NULL, "dsn" or "mdn" */
	time_t		 not_before;	/* 0: now (delivery_time) */
};

struct packet_outcome {
	char		 job_id[24];	/* the new job's, or the existing one's */
	int		 already;	/* spool_id had its job: nothing written */
	long long	 recipients;	/* in packets */
	long long	 packets;
	long long	 verp;		/* recipients with a VERP return path */
	long long	 digest;	/* digest, digestplain, summary members */
	long long	 skipped;	/* nomail, suspended, the not_me sender */
};

/*
 * The job of a post to list job->list_id, its packets from the members
 * as above. A job with no recipient is still written (it records that
 * the spool entry was handled; bulk_jobs_delete_finished() removes it).
 */
int	packet_job_create(struct store *st, const struct packet_job *job,
	    const struct packet_limits *lim, struct packet_outcome *out);

/*
 * The job of a message to the given addresses (notices, forwards to
 * owners or editors, command replies): canonical (lower case), checked
 * as roster_email_storable() does - STORE_ERROR, logged, for one that is
 * not, before anything is written; duplicates are sent once.
 */
int	packet_job_create_to(struct store *st, const struct packet_job *job,
	    const char *const *rcpts, size_t n,
	    const struct packet_limits *lim, struct packet_outcome *out);

/*
 * Delete finished jobs (every packet done or failed, the last finished
 * keep_seconds ago or more; jobs without packets once created that long
 * ago). *deleted (may be NULL) gets how many.
 */
int	packet_jobs_purge(struct store *st, long keep_seconds,
	    long long *deleted);

#endif
