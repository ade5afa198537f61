/*
 * oneclick - RFC 8058 one-click unsubscribe: the per-recipient URL that
 * bulk puts in List-Unsubscribe, and what the oneclick daemon checks when
 * a mail receiver POSTs to it.
 *
 * A URL is oneclick_url + "/" + the token path
 *
 *	LIST@DOMAIN/ADDRESS/DAY/MAC
 *
 * ADDRESS is the recipient's canonical address in base64url (RFC 4648
 * section 5, no padding: an address may hold "/", "%", "?" or "#"), DAY
 * the issue day (days since 1970-01-01 UTC, in decimal) and MAC the first
 * ONECLICK_MAC_LEN bytes (144 bits) of HMAC-SHA256, in base64url, under
 * the site secret ONECLICK_SECRET (lib/secret.h), over an encoding where
 * no field can run into the next: a version label, then list, domain and
 * address each preceded by its length (32 bits, big-endian), then the day
 * (64 bits, big-endian). The URL carries all the daemon needs: nothing is
 * stored per message or per recipient.
 *
 * A token is good for valid_days after its day (ONECLICK_DAYS by default:
 * mail read weeks later must still unsubscribe), and a day later than
 * tomorrow is refused (hosts' clocks may differ by a little, not by more).
 * Unlike Sympa's token (MD5 of the subscription date, the address and the
 * day, 7 days), it is keyed: nobody without the site secret can make one.
 *
 * Parsing takes the request path as a hostile string: every length is
 * bounded, every field is checked for the one form oneclick_token_make()
 * writes, and the MAC is compared in constant time.
 */
#ifndef HERALD_ONECLICK_H
#define HERALD_ONECLICK_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "listname.h"
#include "secret.h"

#define ONECLICK_SECRET		"oneclick"	/* the secret's name */
#define ONECLICK_DAYS		60	/* default validity, in days */
#define ONECLICK_MAC_LEN	18	/* bytes of HMAC kept: 144 bits */
#define ONECLICK_PATH_MAX	1024	/* longest request path looked at */
#define ONECLICK_ADDRESS_MAX	254	/* as the schema's email_address */

/* The body RFC 8058 has the mail receiver POST. */
#define ONECLICK_POST_BODY	"List-Unsubscribe=One-Click"

/* What a token says once parsed. */
struct oneclick_token {
	char		list[LISTNAME_MAX + 1];
	char		domain[LISTNAME_DOMAIN_MAX + 1];
	char		address[ONECLICK_ADDRESS_MAX + 1];
	long long	day;
	unsigned char	mac[ONECLICK_MAC_LEN];
};

/* Results of oneclick_verify(). */
#define ONECLICK_OK		0
#define ONECLICK_FORGED		(-1)	/* the MAC does not match */
#define ONECLICK_EXPIRED	(-2)	/* authentic but too old (or too new) */

/* The day of a time: days since 1970-01-01 UTC. */
long long oneclick_day(time_t t);

/*
 * Append the token path for address (canonical: lower case, as stored) on
 * list@domain, issued on day. 0, or -1 if a field cannot be in a token
 * (not a list name, a domain or a storable address) or out's limit is
 * reached.
 */
int	oneclick_token_make(const struct secret *key, const char *list,
	    const char *domain, const char *address, long long day,
	    struct buf *out);

/*
 * The whole URL for bulk: base (the site's oneclick_url; a trailing "/"
 * is not doubled), "/", the token path of today (now). out is reset
 * first. 0, or -1 as above or for an empty base.
 */
int	oneclick_url(const char *base, const struct secret *key,
	    const char *list, const char *domain, const char *address,
	    time_t now, struct buf *out);

/*
 * Read a token from a request target (len bytes, a query or fragment
 * ignored): its last four path segments, after percent-decoding, so the
 * daemon works under whatever prefix the site's web server maps to it.
 * 0, or -1 for anything oneclick_token_make() would not have written.
 */
int	oneclick_parse(const char *target, size_t len, struct oneclick_token *t);

/*
 * Check a parsed token's MAC, then its age at now against valid_days
 * (<= 0: ONECLICK_DAYS). ONECLICK_OK, ONECLICK_FORGED or
 * ONECLICK_EXPIRED.
 */
int	oneclick_verify(const struct secret *key, const struct oneclick_token *t,
	    time_t now, int valid_days);

/*
 * Whether a POST body asks for a one-click unsubscription, as RFC 8058
 * has it: the single field List-Unsubscribe=One-Click, form-encoded
 * (application/x-www-form-urlencoded, also assumed when content_type is
 * NULL or text/plain) or as the only part of a multipart/form-data body.
 * 1 if it does, 0 if not.
 */
int	oneclick_body_ok(const char *content_type, const char *body,
	    size_t len);

#endif
