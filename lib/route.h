/*
 * route - what an envelope recipient address asks for.
 *
 * The MTA hands a message to queue with the address it was sent to
 * ("staff-request@example.org", in whatever case the sender typed);
 * distribute asks route_address() what that address is: a post to a
 * list, one of a list's own addresses (-request, -editor, -owner,
 * -subscribe, -unsubscribe), the domain's command robot, listmaster, the
 * robot's -request address, or a bounce (VERP) address. The answer
 * carries the list name and the domain, both lower-cased and checked with
 * lib/listname, so they can be used as names of directories and keys.
 *
 * Addresses compare without regard to case (Sympa lower-cases list
 * names; RFC 5321 lets a domain do what it likes with its local parts).
 * A suffix is taken off only when what is left is a valid list name:
 * since no list name may end in a suffix (listname_check), this is never
 * ambiguous, and a name holding '-' ("my-list") stays whole. The suffixes
 * are Sympa's list_check_suffixes defaults, which lib/listname refuses at
 * the end of a name; Herald has no parameter to change them.
 *
 * Nothing here reads a database or a file: whether the list exists and
 * the domain is served is the caller's question. Every input is bounded
 * (ROUTE_INPUT_MAX); what cannot be a Herald address gives ROUTE_INVALID
 * with a reason.
 */
#ifndef HERALD_ROUTE_H
#define HERALD_ROUTE_H

#include <stddef.h>

#include "addr.h"
#include "listname.h"

#define ROUTE_INPUT_MAX		ADDR_SPEC_MAX	/* longest address examined */

enum route_kind {
	ROUTE_INVALID,		/* no address of ours: see reason */
	ROUTE_POST,		/* list@domain: the posting path */
	ROUTE_REQUEST,		/* list-request: forwarded to the owners */
	ROUTE_EDITOR,		/* list-editor: forwarded to the moderators */
	ROUTE_OWNER,		/* list-owner: the list's return path (bounces) */
	ROUTE_SUBSCRIBE,	/* list-subscribe: one SUBSCRIBE for the sender */
	ROUTE_UNSUBSCRIBE,	/* list-unsubscribe: one SIGNOFF for the sender */
	ROUTE_ROBOT,		/* <robot_localpart>: the command processor */
	ROUTE_LISTMASTER,	/* listmaster: forwarded to the listmasters */
	ROUTE_ROBOT_REQUEST,	/* <robot_localpart>-request: a loop guard, dropped */
	ROUTE_BOUNCE		/* <bounce_localpart>[+token], the robot's -owner,
				   abuse-feedback-report: for bounced */
};

/* The site's local parts (lib/config_params.h). NULL: the default. */
struct route_config {
	const char	*robot_localpart;	/* "sympa" */
	const char	*listmaster_localpart;	/* "listmaster" */
	const char	*bounce_localpart;	/* "bounce" */
};

struct route {
	enum route_kind	 kind;
	char		 list[LISTNAME_MAX + 1];	/* "" unless a list's address */
	char		 domain[LISTNAME_DOMAIN_MAX + 1]; /* "" only for INVALID */
	char		 token[ADDR_LOCAL_MAX + 1];	/* BOUNCE: after the '+', as written */
	const char	*reason;	/* INVALID: why (a static string); else "" */
};

/*
 * Route len bytes at rcpt (an addr-spec as the MTA passed it, no angle
 * brackets). Fills *out and returns out->kind. cf NULL: all defaults.
 */
enum route_kind route_address(const struct route_config *cf, const char *rcpt,
	    size_t len, struct route *out);

/* "post", "request", ..., "invalid". */
const char *route_kind_name(enum route_kind kind);

#endif
