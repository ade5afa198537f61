/*
 * seen - the Message-IDs already taken; see seen.h.
 */
#include <stdio.h>

#include <libpq-fe.h>

#include "seen.h"

/* Per scope: the lookup (prepared: once per message), the record, the purge. */
static const struct {
	const char	*name, *check, *record, *purge;
} seen_sql[] = {
	[SEEN_POST] = { "seen_post",
	    "SELECT 1 FROM seen_message_ids WHERE list_id = $1"
	    " AND message_id = $2",
	    "INSERT INTO seen_message_ids (list_id, message_id)"
	    " VALUES ($1, $2) ON CONFLICT DO NOTHING",
	    "DELETE FROM seen_message_ids WHERE first_seen"
	    " < now() - make_interval(secs => $1::bigint)" },
	[SEEN_COMMAND] = { "seen_command",
	    "SELECT 1 FROM seen_command_ids WHERE domain = $1"
	    " AND message_id = $2",
	    "INSERT INTO seen_command_ids (domain, message_id)"
	    " VALUES ($1, $2) ON CONFLICT DO NOTHING",
	    "DELETE FROM seen_command_ids WHERE first_seen"
	    " < now() - make_interval(secs => $1::bigint)" },
};

int
seen_check(struct store *st, enum seen_scope scope, const char *key,
    const char *message_id, int *seen)
{
	const char *p[2] = { key, message_id };
	PGresult *r;
	int rc;

	*seen = 0;
	if (*message_id == '\0')
		return STORE_OK;
	rc = store_query_prepared(st, seen_sql[scope].name,
	    seen_sql[scope].check, 2, p, &r);
	if (rc != STORE_OK)
		return rc;
	*seen = PQntuples(r) > 0;
	PQclear(r);
	return STORE_OK;
}

int
seen_record(struct store *st, enum seen_scope scope, const char *key,
    const char *message_id)
{
	const char *p[2] = { key, message_id };

	if (*message_id == '\0')
		return STORE_OK;
	return store_cmd(st, seen_sql[scope].record, 2, p, NULL);
}

int
seen_purge(struct store *st, enum seen_scope scope, long long ttl,
    long long *n)
{
	char secs[24];
	const char *p[1] = { secs };

	snprintf(secs, sizeof(secs), "%lld", ttl);
	return store_cmd(st, seen_sql[scope].purge, 1, p, n);
}
