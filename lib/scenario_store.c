/*
 * scenario_store - the scenario membership oracle over PostgreSQL.
 *
 * One question about (list, address) is answered by one query that reads
 * every role at once - member, owner, editor, and whether the list has
 * any editor - each an EXISTS on a primary-key prefix
 * (subscribers (list_id, email), admins (list_id, role, email)), never a
 * scan of members. The answers are kept until scenario_store_reset(): so
 * send.private costs one round trip whatever the sender is, and the next
 * request sees any change made in between (nothing outlives a request,
 * which is what makes the cache correct when members change).
 * Listmasters come from the site configuration, not the database.
 */
#include <ctype.h>
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

#define ROLE_CACHE	8		/* (list, email) pairs per request */

struct role_ent {
	char	*list, *domain, *email;
	int	 sub, owner, editor, has_editors;
};

struct scenario_store {
	struct store	*st;
	char		**listmasters;	/* lower-case */
	size_t		 nlm;
	struct role_ent	 ents[ROLE_CACHE];
	size_t		 nents;
	struct scenario_members members;
};

static const char roles_sql[] =
    "SELECT EXISTS (SELECT 1 FROM subscribers s"
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

/* The cached roles of (list, email), asking the database once. */
static struct role_ent *
roles(struct scenario_store *ss, const char *list, const char *domain,
    const char *email)
{
	const char *p[3] = { list, domain, email != NULL ? email : "" };
	struct role_ent *e;
	PGresult *r;

	for (size_t i = 0; i < ss->nents; i++) {
		e = &ss->ents[i];
		if (strcmp(e->list, list) == 0 && strcmp(e->domain, domain) == 0 &&
		    strcmp(e->email, p[2]) == 0)
			return e;
	}
	if (store_query(ss->st, roles_sql, 3, p, &r) != STORE_OK)
		return NULL;
	if (ss->nents == ROLE_CACHE)
		scenario_store_reset(ss);
	e = &ss->ents[ss->nents++];
	e->list = xstrdup(list);
	e->domain = xstrdup(domain);
	e->email = xstrdup(p[2]);
	/* No such list: no one is anything on it. */
	if (PQntuples(r) == 0)
		e->sub = e->owner = e->editor = e->has_editors = 0;
	else {
		e->sub = is_t(r, 0);
		e->owner = is_t(r, 1);
		e->editor = is_t(r, 2);
		e->has_editors = is_t(r, 3);
	}
	PQclear(r);
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
	/* HAS_EDITORS has no address: any cached entry of the list knows. */
	if (role == SCENARIO_ROLE_HAS_EDITORS && email == NULL)
		for (size_t i = 0; i < ss->nents; i++)
			if (strcmp(ss->ents[i].list, list) == 0 &&
			    strcmp(ss->ents[i].domain, domain) == 0)
				return ss->ents[i].has_editors;
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

/* The configured listmaster addresses: commas or blanks between. */
static void
load_listmasters(struct scenario_store *ss, const char *s)
{
	while (s != NULL && *s != '\0') {
		size_t n;

		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		for (n = 0; s[n] != '\0' && s[n] != ',' &&
		    !isspace((unsigned char)s[n]); n++)
			;
		if (n == 0)
			break;
		ss->listmasters = xreallocarray(ss->listmasters, ss->nlm + 1,
		    sizeof(char *));
		ss->listmasters[ss->nlm] = xstrndup(s, n);
		for (char *c = ss->listmasters[ss->nlm]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		ss->nlm++;
		s += n;
	}
}

struct scenario_store *
scenario_store_new(struct store *st, const struct config *cf)
{
	struct scenario_store *ss = xcalloc(1, sizeof(*ss));

	ss->st = st;
	if (cf != NULL)
		load_listmasters(ss, config_str(cf, CF_LISTMASTER));
	ss->members.role = ss_role;
	ss->members.field = ss_field;
	ss->members.arg = ss;
	return ss;
}

void
scenario_store_reset(struct scenario_store *ss)
{
	for (size_t i = 0; i < ss->nents; i++) {
		free(ss->ents[i].list);
		free(ss->ents[i].domain);
		free(ss->ents[i].email);
	}
	ss->nents = 0;
}

void
scenario_store_free(struct scenario_store *ss)
{
	if (ss == NULL)
		return;
	scenario_store_reset(ss);
	for (size_t i = 0; i < ss->nlm; i++)
		free(ss->listmasters[i]);
	free(ss->listmasters);
	free(ss);
}

const struct scenario_members *
scenario_store_members(struct scenario_store *ss)
{
	return &ss->members;
}
