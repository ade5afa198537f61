/*
 * hold - keys of held messages in PostgreSQL.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "hold.h"
#include "store.h"

static const char *const kind_names[] = { "moderation", "auth", "commands" };

const char *
hold_kind_name(enum hold_kind k)
{
	return (size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) ?
	    kind_names[k] : kind_names[0];
}

int
hold_key_new(char key[HOLD_KEY_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[HOLD_KEY_LEN / 2];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++) {
		key[2 * i] = hex[raw[i] >> 4];
		key[2 * i + 1] = hex[raw[i] & 15];
	}
	key[HOLD_KEY_LEN] = '\0';
	return 0;
}

int
hold_key_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isxdigit((unsigned char)s[n]))
			return 0;
	return n == HOLD_KEY_LEN;
}

int
hold_key_normal(const char *s, char out[HOLD_KEY_LEN + 1])
{
	if (!hold_key_valid(s))
		return -1;
	for (size_t i = 0; i <= HOLD_KEY_LEN; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return 0;
}

int
hold_put(struct store *st, const struct hold *h, int days)
{
	char ndays[16];
	const char *p[9];

	snprintf(ndays, sizeof(ndays), "%d", days);
	p[0] = h->key;
	p[1] = hold_kind_name(h->kind);
	p[2] = h->list_id[0] != '\0' ? h->list_id : NULL;
	p[3] = h->spool_name;
	p[4] = h->sender;
	p[5] = h->message_id[0] ? h->message_id : NULL;
	p[6] = h->subject[0] ? h->subject : NULL;
	p[7] = h->spam ? "t" : "f";
	p[8] = ndays;
	return store_cmd(st, "INSERT INTO held_messages (key, kind, list_id,"
	    " spool_name, sender, message_id, subject, spam, expires_at)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
	    " now() + make_interval(days => $9::int))", 9, p, NULL);
}

#define get_sql \
	"SELECT h.key, h.list_id, l.name, l.domain, h.spool_name, h.sender," \
	" h.message_id, h.subject, h.spam FROM held_messages h LEFT JOIN lists l" \
	" ON l.id = h.list_id WHERE h.key = $1 AND h.kind = $2" \
	" AND h.expires_at > now()"

int
hold_get(struct store *st, enum hold_kind kind, const char *key,
    struct hold *out, int *found)
{
	char lower[HOLD_KEY_LEN + 1];
	const char *p[2];
	PGresult *r;
	int rc;

	*found = 0;
	memset(out, 0, sizeof(*out));
	if (hold_key_normal(key, lower) == -1)
		return STORE_OK;
	p[0] = lower;
	p[1] = hold_kind_name(kind);
	/* The row is locked only inside a transaction, where that means something. */
	rc = store_query(st, store_in_transaction(st) ? get_sql " FOR UPDATE OF h" :
	    get_sql, 2, p, &r);
	if (rc != STORE_OK)
		return rc;
	if (PQntuples(r) == 1) {
		*found = 1;
		out->kind = kind;
		store_copy_value(out->key, sizeof(out->key), r, 0, 0);
		store_copy_value(out->list_id, sizeof(out->list_id), r, 0, 1);
		store_copy_value(out->list_name, sizeof(out->list_name), r, 0, 2);
		store_copy_value(out->domain, sizeof(out->domain), r, 0, 3);
		store_copy_value(out->spool_name, sizeof(out->spool_name), r, 0, 4);
		store_copy_value(out->sender, sizeof(out->sender), r, 0, 5);
		store_copy_value(out->message_id, sizeof(out->message_id), r, 0, 6);
		store_copy_value(out->subject, sizeof(out->subject), r, 0, 7);
		out->spam = strcmp(PQgetvalue(r, 0, 8), "t") == 0;
	}
	PQclear(r);
	return STORE_OK;
}

int
hold_delete(struct store *st, const char *key)
{
	const char *p[1] = { key };

	return store_cmd(st, "DELETE FROM held_messages WHERE key = lower($1)",
	    1, p, NULL);
}

int
hold_names_entry(struct store *st, const char *spool_name, int *found)
{
	const char *p[1] = { spool_name };
	PGresult *r;
	int rc;

	*found = 0;
	rc = store_query_prepared(st, "hold_names_entry", "SELECT 1 FROM"
	    " held_messages WHERE spool_name = $1 LIMIT 1", 1, p, &r);
	if (rc != STORE_OK)
		return rc;
	*found = PQntuples(r) > 0;
	PQclear(r);
	return STORE_OK;
}

int
hold_purge(struct store *st, long long *n)
{
	return store_cmd(st, "DELETE FROM held_messages WHERE expires_at <= now()",
	    0, NULL, n);
}

#define list_sql \
	"SELECT key, sender, coalesce(subject, ''), to_char(created_at" \
	" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), spam FROM held_messages" \
	" WHERE list_id = $1 AND kind = $2 AND expires_at > now()" \
	" ORDER BY created_at, key LIMIT $3"

int
hold_list(struct store *st, const char *list_id, enum hold_kind kind,
    int max, hold_list_fn *fn, void *arg)
{
	char nmax[16];
	const char *p[3];
	struct hold_item it;
	PGresult *r;
	int rc;

	snprintf(nmax, sizeof(nmax), "%d", max);
	p[0] = list_id;
	p[1] = hold_kind_name(kind);
	p[2] = nmax;
	if ((rc = store_query(st, list_sql, 3, p, &r)) != STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		it.key = PQgetvalue(r, i, 0);
		it.sender = PQgetvalue(r, i, 1);
		it.subject = PQgetvalue(r, i, 2);
		it.created = PQgetvalue(r, i, 3);
		it.spam = strcmp(PQgetvalue(r, i, 4), "t") == 0;
		if (fn(&it, arg) != 0)
			break;
	}
	PQclear(r);
	return STORE_OK;
}
