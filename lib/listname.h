/*
 * listname - the names lists and mail domains may have.
 *
 * A list name becomes a directory name, the left side of several lines of
 * the MTA's aliases file and an argument of the queue programs, so it is
 * held to a strict rule: lower case [a-z0-9][a-z0-9._-]*, at most
 * LISTNAME_MAX characters (Sympa's limit), and no suffix that Herald gives
 * to a list's own addresses (-request, -owner, -editor, -subscribe,
 * -unsubscribe). Nothing a shell, an aliases file or a path would read as
 * syntax can pass. The local parts a domain reserves for itself (the robot
 * and bounce addresses, listmaster, ...) depend on the site configuration:
 * listname_is_reserved() checks them.
 *
 * A domain name is a lower-case DNS name (letters, digits, hyphens; labels
 * of 1..63 characters; at most LISTNAME_DOMAIN_MAX in all); it names a
 * directory too, so ".." or a slash can never pass.
 */
#ifndef HERALD_LISTNAME_H
#define HERALD_LISTNAME_H

#include "buf.h"

#define LISTNAME_MAX		50
#define LISTNAME_DOMAIN_MAX	253

/* 0 if name is a valid list name; -1 with *why (a static string) if not. */
int	listname_check(const char *name, const char **why);
/*
 * 1 if name is one of the local parts a domain keeps for itself: the robot
 * and bounce local parts (site parameters robot_localpart and
 * bounce_localpart; either may be NULL), listmaster, postmaster,
 * mailer-daemon, abuse-feedback-report, or a name with a reserved suffix.
 */
int	listname_is_reserved(const char *name, const char *robot_localpart,
	    const char *bounce_localpart);
/* 0 if domain is a valid lower-case DNS name; -1 with *why if not. */
int	listname_check_domain(const char *domain, const char **why);
/*
 * Split "name@domain" (as typed on a command line): the name checked with
 * listname_check, the domain lower-cased and checked with
 * listname_check_domain. 0, or -1 with *why; name and domain are reset
 * first. An argument without '@' is refused ("no domain"): the caller
 * decides whether the default domain applies.
 */
int	listaddr_split(const char *addr, struct buf *name, struct buf *domain,
	    const char **why);

#endif
