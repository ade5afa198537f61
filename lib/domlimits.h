/*
 * domlimits - the per-domain sending limits file (site parameter
 * nrcpt_by_domain; herald-domains(5)), read by distribute for packet
 * splitting (lib/packet.h) and by bulk for its SMTP transactions.
 *
 * A Sympa nrcpt_by_domain.conf is such a file: "domain N" lines. Herald
 * adds keys after the domain, and a line for the domain "*":
 *
 *	# comment; lines starting with ';' are comments too
 *	gmail.com	50				Sympa's form: nrcpt=50
 *	yahoo.com	nrcpt=20 concurrency=2 oneclick=yes
 *	laposte.net	10 concurrency=1 single=yes	# a trailing comment
 *	*		concurrency=8 oneclick=no	defaults
 *
 * A line is a domain, then an optional count (nrcpt, as Sympa's), then
 * key=value words, separated by blanks (space, tab; a CR before the
 * newline is a blank); a word starting with '#' ends the line. Keys
 * (ASCII case ignored):
 *	nrcpt=N		1..DOMLIMITS_NRCPT_MAX: at most N recipients of the
 *			domain in one packet and one SMTP transaction
 *	concurrency=N	1..DOMLIMITS_CONCURRENCY_MAX: at most N SMTP
 *			transactions to the domain at once, across one
 *			bulk process's connections
 *	oneclick=B	whether recipients of the domain get a personal RFC
 *			8058 one-click URL (when the site has oneclick_url
 *			and the job carries it), which makes one
 *			transaction per recipient
 *	single=B	one transaction per recipient
 * where B is yes|no (true|false, on|off; case ignored, as herald.yaml).
 *
 * A domain is matched exactly, ASCII case folded: no subdomain or
 * wildcard matching (as Sympa). The "*" line gives every key it sets to
 * the domains whose own line does not set it, and to every domain not
 * listed. A key set nowhere is 0: no per-domain nrcpt or concurrency
 * limit, no one-click URLs, not single. One-click URLs (one transaction
 * each, signed again) are thus only for the domains that ask for them,
 * or for all with "* oneclick=yes".
 *
 * A line is taken whole or not at all: a bad domain, a bad count or
 * value, an unknown key, a key given twice, a domain with nothing after
 * it, a NUL byte - the line is logged as file:line with the reason and
 * skipped, and counted in *errors. A domain listed twice keeps its last
 * line (logged as a warning, not an error). At most DOMLIMITS_LOG_MAX
 * such lines are logged per file, then one line with how many more.
 */
#ifndef HERALD_DOMLIMITS_H
#define HERALD_DOMLIMITS_H

#include <stddef.h>

#define DOMLIMITS_FILE_MAX		(4 * 1024 * 1024)	/* bytes */
#define DOMLIMITS_DOMAIN_MAX		253
#define DOMLIMITS_NRCPT_MAX		100000	/* as PACKET_NRCPT_MAX */
#define DOMLIMITS_CONCURRENCY_MAX	1000
#define DOMLIMITS_LOG_MAX		20	/* problem lines logged per file */

/* What applies to one domain. */
struct domlimit {
	int	nrcpt;		/* recipients per packet/transaction; 0: none */
	int	concurrency;	/* transactions at once; 0: no limit */
	int	oneclick;	/* 1: personal one-click URL */
	int	single;		/* 1: one transaction per recipient */
};

struct domlimits;

/*
 * Read and parse the file at path (at most DOMLIMITS_FILE_MAX bytes).
 * NULL (logged) when it cannot be read or is too large; *errors (may be
 * NULL) gets the number of lines skipped.
 */
struct domlimits *domlimits_load(const char *path, size_t *errors);
/*
 * The same from text (len bytes, any bytes; no NUL needed); name is what
 * the log lines call it. NULL (logged) only when len is over
 * DOMLIMITS_FILE_MAX.
 */
struct domlimits *domlimits_parse(const char *text, size_t len,
	    const char *name, size_t *errors);
void	domlimits_free(struct domlimits *dl);

/*
 * The limits of domain (len bytes, any case): the keys its line sets,
 * else those the "*" line sets, else 0. dl may be NULL (no file): all 0.
 * A domain over DOMLIMITS_DOMAIN_MAX bytes, or with a NUL byte, is never
 * listed.
 */
void	domlimits_get(const struct domlimits *dl, const char *domain,
	    size_t len, struct domlimit *out);
/* What a domain that is not listed gets: "*" over the defaults. */
void	domlimits_defaults(const struct domlimits *dl, struct domlimit *out);
/* Whether the domain is listed (not counting "*"). */
int	domlimits_listed(const struct domlimits *dl, const char *domain,
	    size_t len);
/* The number of listed domains ("*" not counted); 0 for NULL. */
size_t	domlimits_count(const struct domlimits *dl);

/*
 * Each listed domain (lower case) with its limits as domlimits_get()
 * gives them, in the order of the lines that first listed them.
 */
typedef void domlimits_each_fn(const char *domain,
	    const struct domlimit *lim, void *arg);
void	domlimits_foreach(const struct domlimits *dl, domlimits_each_fn *fn,
	    void *arg);

/*
 * Whether bulk sends each recipient of a domain with these limits in a
 * transaction of its own: single, or oneclick when the job carries
 * one-click URLs (job_oneclick).
 */
int	domlimit_one_each(const struct domlimit *lim, int job_oneclick);

#endif
