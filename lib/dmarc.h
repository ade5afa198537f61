/*
 * dmarc - DMARC protection: when to rewrite From, and how (Sympa's
 * dmarc_protection).
 *
 * A domain that publishes "p=reject" tells receivers to refuse mail that
 * carries its address in From but fails DKIM and SPF alignment, which is
 * what a list's changed copy does. So for such senders the list puts its
 * own address in From, keeps the sender's name in the display name or a
 * comment, and the sender's address in Reply-To and X-Original-From.
 *
 * Three parts, used in this order by distribute:
 *
 *  - The policy: dmarc_lookup_start() looks up "_dmarc.<domain>" TXT,
 *    walking up to the parent domains when the domain itself has no
 *    record (for a parent its sp= policy wins over p=), as RFC 7489
 *    section 6.6.3 does without a public-suffix list. A static table
 *    ("domain policy" lines, the site's dmarc_policy_file) is consulted
 *    first for every name of the walk; then a cache of earlier answers,
 *    positive and negative, TTL- and size-bounded; then DNS over UDP on
 *    the caller's libevent event_base. A DNS failure or the end of the
 *    lookup's time (2 s by default) gives DMARC_UNKNOWN: distribution is
 *    never held up for long. libevent 2.1's evdns has no TXT queries, so
 *    the queries are this module's own (one fresh socket, random id and
 *    source port per attempt, the answer's question checked); evdns reads
 *    resolv.conf for the nameservers.
 *
 *  - The decision: dmarc_decide() applies the list's modes in Sympa's
 *    order (all, dkim_signature, domain_regex, then the dmarc_* modes,
 *    which need the policy).
 *
 *  - The rewrite: dmarc_rewrite() computes the new header values; it
 *    edits nothing. Whoever applies them replaces From, adds
 *    X-Original-From, Reply-To (when given) and X-Original-DMARC-Record
 *    (when given), and when move_dkim is set renames DKIM-Signature to
 *    X-Original-DKIM-Signature and deletes DomainKey-Signature.
 *
 * Every string from outside is bounded; no value produced contains CR,
 * LF or NUL.
 */
#ifndef HERALD_DMARC_H
#define HERALD_DMARC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

struct event_base;

#define DMARC_DOMAIN_MAX	253	/* a domain name, without "_dmarc." */
#define DMARC_RECORD_MAX	512	/* a record kept; longer ones are cut */
#define DMARC_TXT_MAX		4096	/* a TXT record parsed */
#define DMARC_FIELD_MAX		4096	/* a header value produced */
#define DMARC_TIMEOUT_MS	2000	/* a whole lookup, walk included */
#define DMARC_CACHE_MAX		10000	/* cached names */
#define DMARC_WALK_MAX		7	/* names asked for one domain */
#define DMARC_TABLE_MAX		100000	/* entries of a static table */

/* Policies, in increasing strictness. */
enum dmarc_policy {
	DMARC_P_UNSET,			/* no (valid) tag */
	DMARC_P_NONE,
	DMARC_P_QUARANTINE,
	DMARC_P_REJECT
};

/* "none", "quarantine", "reject" or "unset". */
const char *dmarc_policy_name(enum dmarc_policy p);
/* The policy of a name (any case); -1 if none. */
int	dmarc_policy_parse(const char *s, size_t len);

/* The tags of a record that matter here. */
struct dmarc_record {
	enum dmarc_policy p;		/* DMARC_P_NONE when absent but rua= is there */
	enum dmarc_policy sp;		/* DMARC_P_UNSET when absent */
};

/*
 * Parse one TXT record (the strings of the RR concatenated). Tags are
 * separated by ';', blanks around names and values are ignored, names and
 * the version and policy values are compared without regard to case, and
 * unknown tags are ignored (RFC 7489 section 6.3). Returns 1 for a usable
 * DMARC record, 0 for a record that is not DMARC ("v=DMARC1" is not its
 * first tag), -1 for a DMARC record without a usable policy (no valid p=
 * and no rua=), which counts as no record.
 */
int	dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *out);

/* What a lookup learnt. */
enum dmarc_status {
	DMARC_FOUND,			/* a record: policy, domain, record */
	DMARC_ABSENT,			/* no record for the domain or its parents */
	DMARC_UNKNOWN			/* DNS failed or the time ran out */
};

enum dmarc_source {
	DMARC_SRC_NONE,			/* nothing was asked (an unusable domain) */
	DMARC_SRC_TABLE,
	DMARC_SRC_CACHE,
	DMARC_SRC_DNS
};

struct dmarc_result {
	enum dmarc_status status;
	enum dmarc_policy policy;	/* effective: a parent's sp= when it has one */
	enum dmarc_source source;	/* of the deciding answer */
	char	domain[DMARC_DOMAIN_MAX + 1];	/* where the record is; "" if none */
	char	record[DMARC_RECORD_MAX + 1];	/* as published, controls blanked */
};

const char *dmarc_status_name(enum dmarc_status s);

/*
 * The static table: lines "domain policy", policy one of none, quarantine,
 * reject; blank lines and '#' comments ignored; a domain given twice is an
 * error. An entry answers for its domain as the record "v=DMARC1; p=X"
 * would (so a parent entry also covers its subdomains).
 */
struct dmarc_table;

/* NULL on error, every error a line "origin:line: what" in err. */
struct dmarc_table *dmarc_table_load(const char *path, struct buf *err);
struct dmarc_table *dmarc_table_load_text(const char *origin, const char *text,
	    size_t len, struct buf *err);
void	dmarc_table_free(struct dmarc_table *t);
/* The policy of exactly this domain (any case), or -1. */
int	dmarc_table_get(const struct dmarc_table *t, const char *domain);
size_t	dmarc_table_size(const struct dmarc_table *t);

/* The resolver: table, cache and DNS. */
struct dmarc_resolver_opts {
	const char	*policy_file;	/* static table; NULL or "": none */
	int		 dns;		/* ask DNS for names the table lacks */
	const char	*nameservers;	/* "ip[:port]" separated by blanks or
					   commas; NULL: resolv.conf, by evdns */
	unsigned	 timeout_ms;	/* whole lookup */
	unsigned	 retry_ms;	/* before asking the next nameserver */
	unsigned	 attempts;	/* sends per name */
	size_t		 cache_max;	/* cached names; 0: no cache */
	unsigned	 ttl_min, ttl_max;	/* seconds, for positive answers */
	unsigned	 negative_ttl;	/* seconds, for "no record" (capped by ttl_max) */
	time_t		(*clock)(void);	/* seconds; NULL: CLOCK_MONOTONIC (tests set it) */
};

/* dns on, resolv.conf, 2 s, 3 attempts 700 ms apart, 10000 names, 60..86400 s, 600 s. */
void	dmarc_resolver_opts_default(struct dmarc_resolver_opts *o);

struct dmarc_resolver;

/*
 * A resolver whose queries run on base. NULL with the reason in err when
 * the table does not load or no nameserver is known (with dns on).
 */
struct dmarc_resolver *dmarc_resolver_new(struct event_base *base,
	    const struct dmarc_resolver_opts *o, struct buf *err);
/* Outstanding lookups are cancelled: their callbacks are not called. */
void	dmarc_resolver_free(struct dmarc_resolver *r);
/* Replace the static table (the resolver owns t; NULL: none). */
void	dmarc_resolver_set_table(struct dmarc_resolver *r, struct dmarc_table *t);
/* Forget every cached answer. */
void	dmarc_resolver_flush(struct dmarc_resolver *r);

struct dmarc_stats {
	unsigned long	lookups;	/* dmarc_lookup_start calls */
	unsigned long	queries;	/* datagrams sent */
	unsigned long	answers;	/* usable answers received */
	unsigned long	timeouts;	/* lookups ended by the time limit */
	unsigned long	failures;	/* lookups ended by a DNS failure */
	unsigned long	cache_hits;	/* names answered by the cache */
	unsigned long	table_hits;	/* names answered by the table */
	size_t		cached;		/* names in the cache now */
};
void	dmarc_resolver_stats(const struct dmarc_resolver *r, struct dmarc_stats *out);

typedef void (*dmarc_lookup_cb)(const struct dmarc_result *res, void *arg);
struct dmarc_lookup;

/*
 * Start looking up the policy of domain (a From address's domain). The
 * callback is always called later from the event loop, never from inside
 * this call, exactly once unless the lookup is cancelled; the lookup is
 * freed when it returns. A domain that cannot have a record (an address
 * literal, bad syntax) gives DMARC_ABSENT; a non-ASCII one DMARC_UNKNOWN.
 */
struct dmarc_lookup *dmarc_lookup_start(struct dmarc_resolver *r,
	    const char *domain, dmarc_lookup_cb cb, void *arg);
/* Cancel before the callback ran; the callback is then never called. */
void	dmarc_lookup_cancel(struct dmarc_lookup *l);

/*
 * The blocking convenience: start a lookup and run the resolver's
 * event_base until it ends (at most the lookup's timeout). Other events
 * of the base run meanwhile; libevent forbids calling it from a callback
 * of that same base. Returns out->status.
 */
enum dmarc_status dmarc_lookup_wait(struct dmarc_resolver *r, const char *domain,
	    struct dmarc_result *out);

/* Modes: dmarc_protection.mode (or the site's dmarc_protection_mode). */
#define DMARC_MODE_ALL			0x01
#define DMARC_MODE_DKIM_SIGNATURE	0x02	/* also dkim, dkim_exists */
#define DMARC_MODE_DOMAIN_REGEX		0x04	/* also domain, domain_match */
#define DMARC_MODE_DMARC_ANY		0x08	/* also dmarc_exists */
#define DMARC_MODE_DMARC_REJECT		0x10
#define DMARC_MODE_DMARC_QUARANTINE	0x20
#define DMARC_MODES_POLICY \
	(DMARC_MODE_DMARC_ANY | DMARC_MODE_DMARC_REJECT | DMARC_MODE_DMARC_QUARANTINE)

/*
 * Modes separated by commas or blanks, Sympa's synonyms accepted; "none"
 * adds nothing. 0, or -1 with "unknown mode: X" in err.
 */
int	dmarc_modes_parse(const char *s, unsigned *modes, struct buf *err);

/* Phrases: dmarc_protection.phrase. */
enum dmarc_phrase {
	DMARC_PHRASE_NAME_VIA_LIST,		/* Ann (via dev Mailing List) */
	DMARC_PHRASE_NAME_EMAIL_VIA_LIST,	/* Ann (ann@x via dev Mailing List) */
	DMARC_PHRASE_NAME_AND_EMAIL,		/* Ann (ann@x) */
	DMARC_PHRASE_LIST_FOR_NAME,		/* dev Mailing List (on behalf of Ann); also prefixed */
	DMARC_PHRASE_LIST_FOR_EMAIL,		/* dev Mailing List (on behalf of ann@x) */
	DMARC_PHRASE_DISPLAY_NAME		/* Ann; also name */
};

/* The phrase of a name (synonyms accepted, "" the default); -1 if unknown. */
int	dmarc_phrase_parse(const char *s);
const char *dmarc_phrase_name(enum dmarc_phrase p);

/* A list's settings, compiled once. */
struct dmarc_conf;

/*
 * list_modes is the list's dmarc_protection.mode; when it is NULL or ""
 * the site's site_modes apply. domain_regex, other_email and phrase are
 * the list's values (NULL or "": none, none, name_via_list). NULL with
 * the reason in err for an unknown mode or phrase or a bad regex.
 */
struct dmarc_conf *dmarc_conf_new(const char *list_modes, const char *site_modes,
	    const char *domain_regex, const char *other_email, const char *phrase,
	    struct buf *err);
void	dmarc_conf_free(struct dmarc_conf *c);
unsigned dmarc_conf_modes(const struct dmarc_conf *c);
enum dmarc_phrase dmarc_conf_phrase(const struct dmarc_conf *c);
const char *dmarc_conf_other_email(const struct dmarc_conf *c);	/* "" if none */
/* Whether protection can ever apply (a mode other than none). */
int	dmarc_conf_enabled(const struct dmarc_conf *c);

enum dmarc_verdict {
	DMARC_KEEP,			/* leave From alone */
	DMARC_PROTECT,			/* rewrite */
	DMARC_NEED_POLICY		/* look the policy up, then ask again */
};

/*
 * The trigger test, first that holds: all; dkim_signature and the message
 * has a DKIM-Signature field; domain_regex and the From address matches
 * "(?:<domain_regex>)$" (case-sensitive, the address's domain in lower
 * case); a dmarc_* mode and the policy (NULL: not looked up yet, which
 * gives DMARC_NEED_POLICY) is any / reject / quarantine. Never anything
 * but DMARC_KEEP when anonymous (anonymous_sender is set) or from_addr is
 * NULL or has no domain. An unknown policy keeps From.
 */
enum dmarc_verdict dmarc_decide(const struct dmarc_conf *c, int anonymous,
	    int has_dkim_signature, const char *from_addr,
	    const struct dmarc_result *policy);

/* The domain of an addr-spec (after its last '@'), or NULL. */
const char *dmarc_addr_domain(const char *addr);

/* Which address the rewritten mail goes out as. */
enum dmarc_kind {
	DMARC_KIND_POST,		/* distribution to the members */
	DMARC_KIND_REQUEST,		/* forwarded to list-request (owners) */
	DMARC_KIND_EDITOR		/* forwarded to list-editor (moderators) */
};

struct dmarc_rewrite_in {
	const char	*from;		/* the From field's raw value (folding allowed) */
	size_t		 from_len;
	const char	*list_name;	/* "dev" */
	const char	*addr;		/* the list's address for kind: list,
					   list-request or list-editor */
	const char	*other_email;	/* posts: "" / NULL, or an address that
					   replaces addr; its display name, if
					   any, replaces "<list> Mailing List" */
	enum dmarc_phrase phrase;
	enum dmarc_kind	 kind;
	int		 has_reply_to;
	int		 has_dkim_signature;
	const struct dmarc_result *policy;	/* NULL or not found: no record field */
};

struct dmarc_rewrite {
	struct buf	from;			/* the new From value */
	struct buf	x_original_from;	/* the old From value, unfolded */
	struct buf	reply_to;		/* "" : add no Reply-To */
	struct buf	x_original_dmarc_record; /* "" : none */
	int		move_dkim;		/* DKIM-Signature -> X-Original-DKIM-Signature,
						   DomainKey-Signature deleted */
};

void	dmarc_rewrite_init(struct dmarc_rewrite *rw);
void	dmarc_rewrite_free(struct dmarc_rewrite *rw);

/*
 * Compute the rewrite (rw reset first). Display names are kept as atoms,
 * quoted, or RFC 2047 encoded as they need; comments are parenthesised
 * with '(', ')' and '\' escaped, or encoded when not ASCII. An empty name
 * becomes "Anonymous". Returns 0, or -1 with *err a static reason: a From
 * with no mailbox, CR, LF or NUL in a value, no usable address, a value
 * over DMARC_FIELD_MAX.
 */
int	dmarc_rewrite(const struct dmarc_rewrite_in *in, struct dmarc_rewrite *rw,
	    const char **err);

/*
 * Internals exposed for the tests and the fuzz target: the DNS wire
 * format of a TXT question and of its answer.
 */
#define DMARC_DNS_PACKET_MAX	4096

enum dmarc_dns_rcode {
	DMARC_DNS_ANSWER,		/* NOERROR with TXT records */
	DMARC_DNS_NODATA,		/* NOERROR without TXT records */
	DMARC_DNS_NXDOMAIN,
	DMARC_DNS_FAIL,			/* SERVFAIL, REFUSED, truncated... */
	DMARC_DNS_IGNORE		/* not the answer to this question */
};

struct dmarc_dns_answer {
	enum dmarc_dns_rcode rcode;
	unsigned	ndmarc;		/* TXT records that are DMARC records */
	unsigned	ttl;		/* smallest TTL of the TXT records */
	int		usable;		/* the first DMARC record parsed: 1, -1 */
	struct dmarc_record rec;	/* of the first DMARC record */
	char		record[DMARC_RECORD_MAX + 1];
};

/* A query for qname, type TXT, recursion desired. 0, or -1 for a bad name. */
int	dmarc_dns_query(const char *qname, uint16_t id, struct buf *out);
/* Read an answer to (id, qname). Returns out->rcode. */
enum dmarc_dns_rcode dmarc_dns_parse(const unsigned char *pkt, size_t len,
	    uint16_t id, const char *qname, struct dmarc_dns_answer *out);

#endif
