/*
 * scenario_store - the scenario membership oracle over PostgreSQL.
 *
 * One question about (list, address) is answered by one prepared query
 * that reads every role at once - member, owner, editor, and whether the
 * list has any editor - each an EXISTS on a primary-key prefix
 * (subscribers (list_id, email), admins (list_id, role, email)), never a
 * scan of members.
 *
 * The answers are kept across requests, per process, and dropped when the
 * database says they changed: migration 0006 makes every statement that
 * changes a list's members or admins NOTIFY herald_roster with the list's
 * id, and scenario_store_reset(), called before each request, reads the
 * notifications that have arrived - from the socket, without a round trip
 * - and forgets the lists they name. A change committed by another
 * session is therefore seen by the first request that starts after its
 * notification has reached this process (the time of a local socket
 * write, against the seconds a message spends in the spools). When
 * notifications may have been missed - the connection dropped, or too
 * many came - everything is forgotten. The cache is bounded: when full it
 * is emptied, which costs one query per question again, never a wrong
 * answer. Listmasters come from the site configuration, not the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "mem.h"
#include "scenario.h"
#include "store.h"
#include "strmap.h"

/* (list, address) answers kept; about 100 bytes each. */
#define ROLE_CACHE_MAX	200000

#define ROSTER_CHANNEL	"herald_roster"
/* The schema version whose triggers announce changes (0006_roster_notify). */
#define ROSTER_NOTIFY_SCHEMA	6

struct role_ent {
	char	 list_id[24];	/* "" when the list does not exist */
	int	 sub, owner, editor, has_editors;
};

struct scenario_store {
	struct store	*st;
	char		**listmasters;	/* lower-case */
	size_t		 nlm;
	struct strmap	*roles;		/* "list\1domain\1email" -> role_ent */
	struct strmap	*lists;		/* "list\1domain" -> role_ent (email "") */
	int		 listening;	/* LISTEN done: answers may be kept */
	struct scenario_members members;
};

static const char roles_sql[] =
    "SELECT l.id, EXISTS (SELECT 1 FROM subscribers s"
    "		WHERE s.list_id = l.id AND s.email = $3),"
    "	EXISTS (SELECT 1 FROM admins a WHERE a.list_id = l.id"
    "		AND a.role = 'owner' AND a.email = $3),"
    "	EXISTS (SELECT 1 FROM admins a WHERE a.list_id = l.id"
    "		AND a.role = 'editor' AND a.email = $3),"
    "	EXISTS (SELECT 1 FROM admins a WHERE a.list_id = l.id"
    "		AND a.role = 'editor')"
    " FROM lists l WHERE l.name = $1 AND l.domain = $2";

static int
is_t(const PGresult *r, int col)
{
	return strcmp(PQgetvalue(r, 0, col), "t") == 0;
}

/*
 * The cache key. \1 cannot occur in a list name, a domain or an address
 * the database accepts, so two different triples never share a key.
 */
static void
role_key(struct buf *k, const char *list, const char *domain,
    const char *email)
{
	buf_reset(k);
	buf_printf(k, "%s\1%s\1%s", list, domain, email ? email : "");
}

static void
ss_forget_all(struct scenario_store *ss)
{
	strmap_clear(ss->roles, free);
	strmap_clear(ss->lists, free);
}

static int
ss_same_list(const char *key, void *value, void *arg)
{
	(void)key;
	return strcmp(((struct role_ent *)value)->list_id, arg) == 0;
}

/* A notification: payload is a list id, or "*" for everything. */
static void
ss_roster_changed(const char *channel, const char *payload, void *arg)
{
	struct scenario_store *ss = arg;

	if (strcmp(channel, ROSTER_CHANNEL) != 0)
		return;
	if (strcmp(payload, "*") == 0) {
		ss_forget_all(ss);
		return;
	}
	strmap_drop_if(ss->roles, ss_same_list, (void *)payload, free);
	strmap_drop_if(ss->lists, ss_same_list, (void *)payload, free);
}

/*
 * Answers may outlive a request only while the notifications that
 * invalidate them can be heard: without LISTEN (a schema without the
 * triggers, a failure) the cache lasts one request, and the schema is
 * looked at again by the next.
 */
static void
ss_listen(struct scenario_store *ss)
{
	int version = 0;

	if (ss->listening)
		return;
	if (store_schema_version(ss->st, &version) != STORE_OK ||
	    version < ROSTER_NOTIFY_SCHEMA)
		return;
	if (store_listen(ss->st, ROSTER_CHANNEL) == STORE_OK) {
		ss->listening = 1;
		/* What LISTEN did not yet cover may be stale. */
		ss_forget_all(ss);
	}
}

/* The cached roles of (list, email), asking the database once. */
static struct role_ent *
roles(struct scenario_store *ss, const char *list, const char *domain,
    const char *email)
{
	const char *p[3] = { list, domain, email != NULL ? email : "" };
	struct buf key = BUF_INIT(1024);
	struct role_ent *e;
	PGresult *r;

	ss_listen(ss);
	role_key(&key, list, domain, p[2]);
	if ((e = strmap_get(ss->roles, buf_cstr(&key))) != NULL) {
		buf_free(&key);
		return e;
	}
	if (store_query_prepared(ss->st, "herald_scenario_roles", roles_sql,
	    3, p, &r) != STORE_OK) {
		buf_free(&key);
		return NULL;
	}
	if (strmap_count(ss->roles) >= ROLE_CACHE_MAX)
		ss_forget_all(ss);
	e = xcalloc(1, sizeof(*e));
	/* No such list: no one is anything on it. */
	if (PQntuples(r) == 1) {
		snprintf(e->list_id, sizeof(e->list_id), "%s",
		    PQgetvalue(r, 0, 0));
		e->sub = is_t(r, 1);
		e->owner = is_t(r, 2);
		e->editor = is_t(r, 3);
		e->has_editors = is_t(r, 4);
	}
	PQclear(r);
	free(strmap_put(ss->roles, buf_cstr(&key), e));
	/* What the list is, whoever asked: for HAS_EDITORS without an address. */
	role_key(&key, list, domain, NULL);
	{
		struct role_ent *l = xmalloc(sizeof(*l));

		*l = *e;
		free(strmap_put(ss->lists, buf_cstr(&key), l));
	}
	buf_free(&key);
	return e;
}

static int
ss_role(void *arg, enum scenario_role role, const char *list,
    const char *domain, const char *email)
{
	struct scenario_store *ss = arg;
	struct role_ent *e;

	if (role == SCENARIO_ROLE_LISTMASTER) {
		for (size_t i = 0; i < ss->nlm; i++)
			if (email != NULL && strcasecmp(ss->listmasters[i], email) == 0)
				return 1;
		return 0;
	}
	if (list == NULL || domain == NULL)
		return 0;
	if (role == SCENARIO_ROLE_HAS_EDITORS && email == NULL) {
		struct buf key = BUF_INIT(1024);

		role_key(&key, list, domain, NULL);
		e = strmap_get(ss->lists, buf_cstr(&key));
		buf_free(&key);
		if (e != NULL)
			return e->has_editors;
	}
	if ((e = roles(ss, list, domain, email)) == NULL)
		return -1;
	switch (role) {
	case SCENARIO_ROLE_SUBSCRIBER:
		return e->sub;
	case SCENARIO_ROLE_OWNER:
		return e->owner;
	case SCENARIO_ROLE_EDITOR:
		return e->editor;
	default:
		return e->has_editors;
	}
}

/* [subscriber->key] and [user->key]: a fixed map of keys to columns. */
static const struct {
	const char *ns, *key, *sql;
} fields[] = {
	{ "subscriber", "email", "SELECT s.email FROM subscribers s JOIN lists l"
	    " ON l.id = s.list_id WHERE l.name = $1 AND l.domain = $2"
	    " AND s.email = $3" },
	{ "subscriber", "gecos", "SELECT s.name FROM subscribers s JOIN lists l"
	    " ON l.id = s.list_id WHERE l.name = $1 AND l.domain = $2"
	    " AND s.email = $3" },
	{ "subscriber", "reception", "SELECT s.reception FROM subscribers s"
	    " JOIN lists l ON l.id = s.list_id WHERE l.name = $1"
	    " AND l.domain = $2 AND s.email = $3" },
	{ "subscriber", "visibility", "SELECT s.visibility FROM subscribers s"
	    " JOIN lists l ON l.id = s.list_id WHERE l.name = $1"
	    " AND l.domain = $2 AND s.email = $3" },
	{ "subscriber", "date", "SELECT extract(epoch FROM s.subscribed_at)"
	    "::bigint FROM subscribers s JOIN lists l ON l.id = s.list_id"
	    " WHERE l.name = $1 AND l.domain = $2 AND s.email = $3" },
	{ "subscriber", "update_date", "SELECT extract(epoch FROM s.updated_at)"
	    "::bigint FROM subscribers s JOIN lists l ON l.id = s.list_id"
	    " WHERE l.name = $1 AND l.domain = $2 AND s.email = $3" },
	{ "subscriber", "bounce", "SELECT s.bounce_count FROM subscribers s"
	    " JOIN lists l ON l.id = s.list_id WHERE l.name = $1"
	    " AND l.domain = $2 AND s.email = $3" },
	{ "user", "email", "SELECT email FROM users WHERE email = $3"
	    " AND $1::text IS NOT NULL AND $2::text IS NOT NULL" },
	{ "user", "gecos", "SELECT display_name FROM users WHERE email = $3"
	    " AND $1::text IS NOT NULL AND $2::text IS NOT NULL" },
	{ "user", "lang", "SELECT language FROM users WHERE email = $3"
	    " AND $1::text IS NOT NULL AND $2::text IS NOT NULL" },
};

static int
ss_field(void *arg, const char *ns, const char *list, const char *domain,
    const char *email, const char *key, struct buf *out)
{
	struct scenario_store *ss = arg;
	const char *p[3] = { list ? list : "", domain ? domain : "", email };
	char *v = NULL;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(fields[i].ns, ns) != 0 ||
		    strcasecmp(fields[i].key, key) != 0)
			continue;
		if (store_scalar(ss->st, fields[i].sql, 3, p, &v) != STORE_OK)
			return -1;
		if (v == NULL)
			return 0;
		buf_puts(out, v);
		free(v);
		return 1;
	}
	return 0;
}

struct scenario_store *
scenario_store_new(struct store *st, const struct config *cf)
{
	struct scenario_store *ss = xcalloc(1, sizeof(*ss));

	ss->st = st;
	if (cf != NULL)
		ss->nlm = config_addresses(cf, CF_LISTMASTER, &ss->listmasters);
	ss->roles = strmap_new();
	ss->lists = strmap_new();
	ss->members.role = ss_role;
	ss->members.field = ss_field;
	ss->members.arg = ss;
	return ss;
}

void
scenario_store_reset(struct scenario_store *ss)
{
	if (!ss->listening) {
		ss_forget_all(ss);
		return;
	}
	if (store_notifications(ss->st, ss_roster_changed, ss) != 0)
		ss_forget_all(ss);
}

void
scenario_store_free(struct scenario_store *ss)
{
	if (ss == NULL)
		return;
	strmap_free(ss->roles, free);
	strmap_free(ss->lists, free);
	config_addresses_free(ss->listmasters, ss->nlm);
	free(ss);
}

const struct scenario_members *
scenario_store_members(struct scenario_store *ss)
{
	return &ss->members;
}
