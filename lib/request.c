/*
 * request - mail commands waiting for someone, in PostgreSQL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

static const char *const kind_names[] = { "confirm", "owner", "invite" };
static const char *const action_names[] = { "subscribe", "signoff", "add",
    "del", "invite", "remind" };
#define N_ACTIONS	(sizeof(action_names) / sizeof(action_names[0]))

/* An expired request of the same kind gives way to a new one. */
static const char expired_sql[] =
    "DELETE FROM requests WHERE list_id = $1 AND kind = $2 AND action = $3"
    " AND email = $4 AND expires_at <= now()";

/*
 * The new request, or the one that waits already. The second half may
 * miss a row another transaction committed after this statement began:
 * request_put() then asks again.
 */
static const char put_sql[] =
    "WITH ins AS (INSERT INTO requests (key, kind, list_id, action, email,"
    " gecos, requester, quiet, message_id, command, expires_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11,"
    " now() + make_interval(days => $10::int))"
    " ON CONFLICT (list_id, kind, action, email) DO NOTHING"
    " RETURNING key, created_at)"
    " SELECT key, extract(epoch FROM created_at)::bigint, 'f' FROM ins"
    " UNION ALL"
    " SELECT key, extract(epoch FROM created_at)::bigint, 't' FROM requests"
    " WHERE list_id = $3 AND kind = $2 AND action = $4 AND email = $5"
    " AND NOT EXISTS (SELECT 1 FROM ins)";

static const char take_sql[] =
    "DELETE FROM requests r USING lists l"
    " WHERE r.key = $1 AND l.id = r.list_id AND r.expires_at > now()"
    " RETURNING r.kind, r.action, r.list_id, l.name, l.domain, r.email,"
    " r.gecos, r.requester, r.quiet, r.message_id,"
    " extract(epoch FROM r.created_at)::bigint, coalesce(r.command, '')";

const char *
request_kind_name(enum request_kind k)
{
	return (size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) ?
	    kind_names[k] : "confirm";
}

const char *
request_action_name(enum request_action a)
{
	return (size_t)a < N_ACTIONS ? action_names[a] : action_names[0];
}

static int
name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return 0;
}

int
request_put(struct store *st, struct request *r, int days, int *waiting)
{
	char ndays[16];
	const char *p[11];
	PGresult *res;
	int rc;

	*waiting = 0;
	if (hold_key_new(r->key) == -1)
		return STORE_ERROR;
	snprintf(ndays, sizeof(ndays), "%d", days);
	p[0] = r->key;
	p[1] = request_kind_name(r->kind);
	p[2] = r->list_id;
	p[3] = request_action_name(r->action);
	p[4] = r->email;
	p[5] = r->gecos[0] != '\0' ? r->gecos : NULL;
	p[6] = r->requester;
	p[7] = r->quiet ? "t" : "f";
	p[8] = r->message_id[0] != '\0' ? r->message_id : NULL;
	p[9] = ndays;
	p[10] = r->command[0] != '\0' ? r->command : NULL;
	if ((rc = store_cmd(st, expired_sql, 4, (const char *[]){ p[2], p[1],
	    p[3], p[4] }, NULL)) != STORE_OK)
		return rc;
	for (int tries = 0; tries < 2; tries++) {
		if ((rc = store_query(st, put_sql, 11, p, &res)) != STORE_OK)
			return rc;
		if (PQntuples(res) == 1) {
			store_copy_value(r->key, sizeof(r->key), res, 0, 0);
			r->created = (time_t)strtoll(PQgetvalue(res, 0, 1),
			    NULL, 10);
			*waiting = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
			PQclear(res);
			return STORE_OK;
		}
		PQclear(res);
	}
	/* Inserted and deleted by others between the two tries: give up. */
	return STORE_TEMP;
}

int
request_take(struct store *st, const char *key, struct request *out,
    int *found)
{
	char lower[HOLD_KEY_LEN + 1];
	const char *p[1];
	PGresult *r;
	int rc;

	*found = 0;
	memset(out, 0, sizeof(*out));
	if (hold_key_normal(key, lower) == -1)
		return STORE_OK;
	p[0] = lower;
	if ((rc = store_query(st, take_sql, 1, p, &r)) != STORE_OK)
		return rc;
	if (PQntuples(r) == 1) {
		*found = 1;
		memcpy(out->key, lower, sizeof(out->key));
		out->kind = (enum request_kind)name_index(kind_names, 3,
		    PQgetvalue(r, 0, 0));
		out->action = (enum request_action)name_index(action_names, N_ACTIONS,
		    PQgetvalue(r, 0, 1));
		store_copy_value(out->list_id, sizeof(out->list_id), r, 0, 2);
		store_copy_value(out->list_name, sizeof(out->list_name), r, 0, 3);
		store_copy_value(out->domain, sizeof(out->domain), r, 0, 4);
		store_copy_value(out->email, sizeof(out->email), r, 0, 5);
		store_copy_value(out->gecos, sizeof(out->gecos), r, 0, 6);
		store_copy_value(out->requester, sizeof(out->requester), r, 0, 7);
		out->quiet = strcmp(PQgetvalue(r, 0, 8), "t") == 0;
		store_copy_value(out->message_id, sizeof(out->message_id), r, 0, 9);
		out->created = (time_t)strtoll(PQgetvalue(r, 0, 10), NULL, 10);
		store_copy_value(out->command, sizeof(out->command), r, 0, 11);
	}
	PQclear(r);
	return STORE_OK;
}

int
request_purge(struct store *st, long long *n)
{
	return store_cmd(st, "DELETE FROM requests WHERE expires_at <= now()",
	    0, NULL, n);
}
