/*
 * verp - VERP return paths that name the member and cannot be forged.
 *
 * bulk gives some recipients a return path of their own, so that a bounce
 * says which member it is about without parsing the report; bounced reads
 * it back. Every such address carries a short keyed token (in the spirit
 * of BATV and SRS) so that a flood of forged bounces is dropped on a
 * single HMAC, before any database is touched. The address is
 *
 *	PREFIX+DDMMMMMMMM[-ENVID]=LIST=LOCAL=DOMAIN@LISTDOMAIN
 *
 * PREFIX	the site's bounce_localpart ("bounce"): the MTA delivers
 *		PREFIX+anything to bouncequeue.
 * DD		the day the address was made (days since 1970-01-01 UTC)
 *		modulo VERP_DAY_MOD, 10 bits as 2 base32 characters.
 * MMMMMMMM	the first VERP_MAC_LEN bytes (40 bits) of HMAC-SHA256 under
 *		the site secret VERP_SECRET, 8 base32 characters.
 * ENVID	optional, [a-z0-9]{1,VERP_ENVID_MAX}: an opaque tag the
 *		caller gives (an envelope id for DSN/MDN tracking, a probe
 *		mark), authenticated like the rest. The token has a fixed
 *		length, so the byte after it, '-' or '=', says whether one
 *		follows: no list name or member part can be taken for it.
 * LIST		the list name (lib/listname.h: no '=' can be in it).
 * LOCAL, DOMAIN  (the list-only form leaves "=LOCAL=DOMAIN" out: the
 *		return path of mail to many members, which still cannot be
 *		forged; a report to it names its recipients itself)
 *		the member's canonical address with its '@' written
 *		'='. LOCAL may itself hold '=', '+', '-' or '.': the member
 *		is split at the LAST '=', since DOMAIN (a DNS name) never
 *		holds one.
 * LISTDOMAIN	the list's domain.
 *
 * The token comes first so that a forgery is refused before anything
 * else is looked at. base32 is RFC 4648's alphabet in lower case, without
 * padding: members' addresses are stored in lower case and list names are
 * lower case, so the whole address is lower case and survives the MTAs
 * that lower-case local parts; parsing ignores case throughout. Unlike
 * Sympa's "bounce+jo==a==ex.net==list" form, every field is checked and
 * the address has exactly one spelling (but for case).
 *
 * The MAC is over an encoding where no field can run into the next: a
 * version label, then list, list domain, member and envid (empty when
 * none), each preceded by its length (32 bits, big-endian), then the full
 * day (64 bits, big-endian). 40 bits are enough here: a forger gets one
 * guess per bounce delivered to us, about 10^12 of them for an even
 * chance, and a successful guess buys one bounce counted against one
 * member. Only 10 bits of the day travel; verify takes the latest day not
 * after tomorrow with those bits (clocks of hosts may differ a little),
 * so an address is good for at most VERP_DAY_MOD - 2 days, far beyond any
 * valid_days used.
 *
 * An address that cannot be written as a plain dot-atom (a member whose
 * local part needs quoting or is not ASCII, a member domain that is not a
 * DNS name) or that would pass VERP_ADDRESS_MAX (RFC 5321's path) is
 * refused: the caller then uses the ordinary return path. The local part
 * may pass RFC 5321's 64 octets, as Sympa's and SRS addresses do; MTAs
 * accept that in practice.
 *
 * Nothing here allocates: parse and verify work on the stack (OpenSSL's
 * HMAC() may allocate inside). A parsed address is only syntax: it means
 * nothing before verp_verify() says VERP_OK.
 */
#ifndef HERALD_VERP_H
#define HERALD_VERP_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "listname.h"
#include "secret.h"

#define VERP_SECRET		"verp"	/* the secret's name (lib/secret.h) */
#define VERP_PREFIX_DEFAULT	"bounce"	/* bounce_localpart's default */
#define VERP_DAYS		30	/* default validity: bounces come late */
#define VERP_DAY_MOD		1024	/* the day travels modulo this */
#define VERP_MAC_LEN		5	/* bytes of HMAC kept: 40 bits */
#define VERP_TOKEN_LEN		10	/* base32 characters: 2 day + 8 MAC */
#define VERP_ENVID_MAX		20	/* a 64-bit number in decimal fits */
#define VERP_ADDRESS_MAX	254	/* RFC 5321 path less the brackets */
#define VERP_MEMBER_MAX		254	/* as the schema's email_address */

/* Results of verp_verify(). */
#define VERP_OK			0
#define VERP_FORGED		(-1)	/* the MAC does not match */
#define VERP_EXPIRED		(-2)	/* authentic but older than allowed */

/* What an address says once parsed: syntax only, not yet verified. */
struct verp_parsed {
	char		list[LISTNAME_MAX + 1];
	char		list_domain[LISTNAME_DOMAIN_MAX + 1];
	char		member[VERP_MEMBER_MAX + 1];	/* lower case; "" list only */
	char		envid[VERP_ENVID_MAX + 1];	/* "" if none */
	unsigned	day_mod;	/* the day modulo VERP_DAY_MOD */
	unsigned char	mac[VERP_MAC_LEN];
};

/*
 * Append the return path of member (canonical: lower case, as stored) on
 * list@list_domain, made at now; member NULL or "" for the list-only
 * form (parsed back with member ""). prefix NULL or "" means
 * VERP_PREFIX_DEFAULT; it is written in lower case and may hold only
 * [A-Za-z0-9._-]. 0, or -1 with out as it was: a field cannot be encoded
 * (a bad list name or domain, a member not storable or not writable as a
 * dot-atom, now before 1970), the address would be longer than
 * VERP_ADDRESS_MAX, or out's limit.
 */
int	verp_encode(const struct secret *key, const char *prefix,
	    const char *list, const char *list_domain, const char *member,
	    time_t now, struct buf *out);

/*
 * The same with an envelope id: envid NULL or "" for none, else
 * [a-z0-9]{1,VERP_ENVID_MAX} (upper case refused: it would not survive).
 */
int	verp_encode_envid(const struct secret *key, const char *prefix,
	    const char *list, const char *list_domain, const char *member,
	    const char *envid, time_t now, struct buf *out);

/*
 * Read len bytes at addr (a bare addr-spec, no angle brackets, in any
 * case) as a return path of prefix (NULL or "": VERP_PREFIX_DEFAULT,
 * compared without regard to case). 0 and *out filled (fields in lower
 * case), or -1 for anything verp_encode() would not have written, out
 * zeroed: "not ours or malformed". Pure syntax: no key, no clock.
 */
int	verp_parse(const char *prefix, const char *addr, size_t len,
	    struct verp_parsed *out);

/*
 * The full day (days since 1970-01-01 UTC) a parsed address claims, seen
 * at now: the latest day not after tomorrow with p->day_mod.
 */
long long verp_day(const struct verp_parsed *p, time_t now);

/*
 * Check a parsed address's MAC, then its age at now: more than
 * valid_days old is VERP_EXPIRED (valid_days <= 0: VERP_DAYS; at most
 * VERP_DAY_MOD - 2 is used). VERP_OK, VERP_FORGED or VERP_EXPIRED. The
 * MAC is compared in constant time; nothing is allocated here.
 */
int	verp_verify(const struct secret *key, const struct verp_parsed *p,
	    time_t now, int valid_days);

/* "ok", "forged", "expired" (or "invalid") for logs. */
const char *verp_result_name(int result);

#endif
