/*
 * seen - the Message-IDs already taken (schema: 0001_initial.sql
 * seen_message_ids, 0014_seen_commands.sql seen_command_ids).
 *
 * A list distributes a Message-ID once, and a domain's command robot
 * carries out a command message once, across restarts and hosts. The
 * check comes first and the record last, in the transaction that does
 * the work where there is one, so that a failure in between leaves the
 * message to be tried again rather than lost as a duplicate. Ids are
 * stored without angle brackets; an empty id is never a duplicate.
 * Functions return STORE_OK, STORE_ERROR or STORE_TEMP.
 */
#ifndef HERALD_SEEN_H
#define HERALD_SEEN_H

#include "store.h"

enum seen_scope {
	SEEN_POST,	/* key: the list's id */
	SEEN_COMMAND	/* key: the robot's domain */
};

/* *seen: whether message_id was taken under key. */
int	seen_check(struct store *st, enum seen_scope scope, const char *key,
	    const char *message_id, int *seen);
/* Remember message_id under key (a repeat is no error). */
int	seen_record(struct store *st, enum seen_scope scope, const char *key,
	    const char *message_id);
/* Forget the ids first seen more than ttl seconds ago; *n how many. */
int	seen_purge(struct store *st, enum seen_scope scope, long long ttl,
	    long long *n);

#endif
