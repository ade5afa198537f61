/*
 * roster - lists, members, owners and editors in PostgreSQL.
 *
 * Every statement is parameterised. A change locks its list row first
 * (FOR UPDATE for the list itself, FOR SHARE for its members), so that a
 * close or a purge never races a member being added, then makes the
 * change and writes its audit record in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sysexits.h>

#include "audit.h"
#include "addr.h"
#include "buf.h"
#include "listname.h"
#include "log.h"
#include "mem.h"
#include "roster.h"
#include "store.h"

/* Timestamps as ISO 8601 in UTC, the same on every host. */
#define ROSTER_TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

#define ROSTER_LIST_COLS \
	"l.id, l.name, l.domain, l.status, COALESCE(l.family, ''), " \
	ROSTER_TS("l.created_at") ", " ROSTER_TS("l.updated_at") ", " \
	"(SELECT count(*) FROM subscribers s WHERE s.list_id = l.id), " \
	"(SELECT count(*) FROM admins a WHERE a.list_id = l.id " \
	"    AND a.role = 'owner'), " \
	"(SELECT count(*) FROM admins a WHERE a.list_id = l.id " \
	"    AND a.role = 'editor') "

/* Rows a batch of imported members is sent in (one statement each). */
#define ROSTER_IMPORT_CHUNK	5000

/* -- checks ------------------------------------------------------------ */

/*
 * The next code point of a UTF-8 string; -1 if the bytes are not UTF-8
 * (overlong, surrogate, truncated, beyond U+10FFFF).
 */
static long
roster_utf8_next(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	long cp, min;
	int need;

	if (p[0] < 0x80) {
		*pp = p + 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 1, cp = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 2, cp = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 3, cp = p[0] & 0x07, min = 0x10000;
	} else
		return -1;
	for (int i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	*pp = p + need + 1;
	return cp;
}

/* What PostgreSQL's [[:cntrl:]] matches in a UTF-8 database. */
static int
roster_is_cntrl(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
	    cp == 0x2029;
}

/* ... and [[:space:]], beyond the ASCII ones (which are controls too). */
static int
roster_is_space(long cp)
{
	return cp == ' ' || cp == 0xa0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f || cp == 0x205f ||
	    cp == 0x3000;
}

int
roster_email_storable(const char *email, const char **why)
{
	const unsigned char *p = (const unsigned char *)email;
	const char *at = strchr(email, '@');
	long cp;

	if (strlen(email) > 254) {
		*why = "address longer than 254 bytes";
		return 0;
	}
	if (at == NULL || at == email || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL) {
		*why = "an address needs one @ between a local part and a "
		    "domain";
		return 0;
	}
	while (*p != '\0') {
		if ((cp = roster_utf8_next(&p)) < 0) {
			*why = "address is not UTF-8";
			return 0;
		}
		if (cp >= 'A' && cp <= 'Z') {
			*why = "address not in lower case";
			return 0;
		}
		if (roster_is_cntrl(cp) || roster_is_space(cp)) {
			*why = "space or control character in the address";
			return 0;
		}
	}
	return 1;
}

int
roster_name_storable(const char *name, const char **why)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = 0;
	long cp;

	while (*p != '\0') {
		if ((cp = roster_utf8_next(&p)) < 0) {
			*why = "name is not UTF-8";
			return 0;
		}
		if (roster_is_cntrl(cp)) {
			*why = "control character in the name";
			return 0;
		}
		if (++n > 150) {
			*why = "name longer than 150 characters";
			return 0;
		}
	}
	return 1;
}

int
roster_reception_valid(const char *mode)
{
	static const char *const modes[] = { "mail", "digest", "digestplain",
	    "summary", "notice", "txt", "urlize", "nomail", "not_me" };

	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(mode, modes[i]) == 0)
			return 1;
	return 0;
}

int
roster_visibility_valid(const char *v)
{
	return strcmp(v, "conceal") == 0 || strcmp(v, "noconceal") == 0;
}

/* -- transactions and audit -------------------------------------------- */


/*
 * The details of a record with what who adds to them ("key",
 * "requested_by", "reason") into *all: details is a JSON object from
 * audit_json_*() (or NULL for {}), so the members go on before its
 * closing brace. -1 if details is not an object.
 */
static int
roster_audit_details(struct buf *out, const char *details,
    const struct roster_who *who, const char **all)
{
	size_t n;

	*all = details;
	if (who->auth_key == NULL && who->requested_by == NULL &&
	    who->reason == NULL)
		return 0;
	if (details == NULL)
		details = "{}";
	n = strlen(details);
	buf_reset(out);
	if (n < 2 || details[0] != '{' || details[n - 1] != '}') {
		log_error("roster: audit details not a JSON object: %s",
		    details);
		return -1;
	}
	buf_append(out, details, n - 1);
	if (who->auth_key != NULL) {
		struct buf key = BUF_INIT(256);

		/* A key comes back in mail: kept only in printable ASCII. */
		audit_ascii(&key, who->auth_key, 200);
		audit_json_str(out, "key", buf_cstr(&key));
		buf_free(&key);
	}
	if (who->requested_by != NULL)
		audit_json_str(out, "requested_by", who->requested_by);
	if (who->reason != NULL)
		audit_json_str(out, "reason", who->reason);
	audit_json_end(out);
	*all = buf_cstr(out);
	return 0;
}

/* An audit record about list l. */
static int
roster_audit(struct store *st, const struct roster_who *who,
    const struct roster_list *l, const char *action, const char *target,
    const char *details)
{
	struct buf addr = BUF_INIT(512);
	struct buf all = BUF_INIT(BUF_UNLIMITED);
	struct audit_rec r = { 0 };
	int rc;

	buf_printf(&addr, "%s@%s", l->name, l->domain);
	r.actor = who->actor;
	r.channel = who->channel;
	r.action = action;
	r.target = target;
	r.list_id = l->id;
	r.list_address = buf_cstr(&addr);
	r.message_id = who->message_id;
	r.client = who->client;
	if (roster_audit_details(&all, details, who, &r.details) != 0)
		rc = STORE_ERROR;
	else
		rc = audit_write(st, &r);
	buf_free(&addr);
	buf_free(&all);
	return rc;
}

/* -- lists ------------------------------------------------------------- */

static void
roster_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static void
roster_list_from(PGresult *res, int row, struct roster_list *l)
{
	memset(l, 0, sizeof *l);
	roster_copy(l->id, sizeof l->id, PQgetvalue(res, row, 0));
	roster_copy(l->name, sizeof l->name, PQgetvalue(res, row, 1));
	roster_copy(l->domain, sizeof l->domain, PQgetvalue(res, row, 2));
	roster_copy(l->status, sizeof l->status, PQgetvalue(res, row, 3));
	roster_copy(l->family, sizeof l->family, PQgetvalue(res, row, 4));
	roster_copy(l->created_at, sizeof l->created_at,
	    PQgetvalue(res, row, 5));
	roster_copy(l->updated_at, sizeof l->updated_at,
	    PQgetvalue(res, row, 6));
	l->members = strtoll(PQgetvalue(res, row, 7), NULL, 10);
	l->owners = strtoll(PQgetvalue(res, row, 8), NULL, 10);
	l->editors = strtoll(PQgetvalue(res, row, 9), NULL, 10);
}

/* One list, with the lock clause given (a constant, never a value). */
static int
roster_list_fetch(struct store *st, const char *name, const char *domain,
    const char *lock, struct roster_list *out)
{
	const char *p[] = { domain, name };
	struct buf sql = BUF_INIT(4096);
	PGresult *res;
	int rc;

	buf_printf(&sql, "SELECT " ROSTER_LIST_COLS
	    "FROM lists l WHERE l.domain = $1 AND l.name = $2 %s", lock);
	rc = store_query(st, buf_cstr(&sql), STORE_NPARAMS(p), p, &res);
	buf_free(&sql);
	if (rc != STORE_OK)
		return rc;
	if (PQntuples(res) == 0)
		rc = ROSTER_NOLIST;
	else
		roster_list_from(res, 0, out);
	PQclear(res);
	return rc;
}

int
roster_list_get(struct store *st, const char *name, const char *domain,
    struct roster_list *out)
{
	return roster_list_fetch(st, name, domain, "", out);
}

int
roster_list_lock(struct store *st, const char *name, const char *domain,
    struct roster_list *out)
{
	return roster_list_fetch(st, name, domain, "FOR UPDATE OF l", out);
}

/* Share-lock a list whose members change: refused when it is closed. */
static int
roster_list_open_for_change(struct store *st, const char *name,
    const char *domain, struct roster_list *l)
{
	int rc;

	if ((rc = roster_list_fetch(st, name, domain, "FOR SHARE OF l", l)) !=
	    STORE_OK)
		return rc;
	if (strcmp(l->status, "closed") == 0 ||
	    strcmp(l->status, "family_closed") == 0)
		return ROSTER_STATE;
	return STORE_OK;
}

static int
roster_list_create_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *const *owners,
    size_t nowners, struct roster_list *out)
{
	const char *p[] = { name, domain };
	struct buf details = BUF_INIT(BUF_UNLIMITED);
	long long n;
	int rc;

	if ((rc = store_cmd(st, "INSERT INTO lists (name, domain) "
	    "VALUES ($1, $2) ON CONFLICT (domain, name) DO NOTHING",
	    STORE_NPARAMS(p), p, &n)) != STORE_OK)
		return rc;
	if (n == 0)
		return ROSTER_EXISTS;
	if ((rc = roster_list_lock(st, name, domain, out)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < nowners; i++) {
		const char *q[] = { out->id, owners[i] };

		/* The owners a list is created with run it: privileged. */
		if ((rc = store_cmd(st, "INSERT INTO admins (list_id, email, "
		    "role, profile) VALUES ($1, $2, 'owner', 'privileged') "
		    "ON CONFLICT DO NOTHING", STORE_NPARAMS(q), q, NULL)) !=
		    STORE_OK)
			return rc;
	}
	audit_json_begin(&details);
	buf_puts(&details, "\"owners\":[");
	for (size_t i = 0; i < nowners; i++) {
		if (i > 0)
			buf_putc(&details, ',');
		audit_json_quote(&details, owners[i]);
	}
	buf_putc(&details, ']');
	audit_json_end(&details);
	rc = roster_audit(st, who, out, "list.create", NULL,
	    buf_cstr(&details));
	buf_free(&details);
	out->owners = (long long)nowners;
	return rc;
}

int
roster_list_create(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *const *owners,
    size_t nowners, struct roster_list *out)
{
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_list_create_tx(st, who, name, domain, owners, nowners, out);
	return store_unjoin(st, own, rc);
}

/* Move a list from one of the from statuses to status. */
static int
roster_list_status(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, int to_closed)
{
	struct buf details = BUF_INIT(1024);
	struct roster_list l;
	const char *to = to_closed ? "closed" : "open";
	int own, rc, closed;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	if ((rc = roster_list_lock(st, name, domain, &l)) != STORE_OK)
		goto out;
	closed = strcmp(l.status, "closed") == 0 ||
	    strcmp(l.status, "family_closed") == 0;
	if (closed == to_closed) {
		rc = ROSTER_STATE;
		goto out;
	}
	{
		const char *p[] = { l.id, to };

		if ((rc = store_cmd(st, "UPDATE lists SET status = $2, "
		    "updated_at = now() WHERE id = $1", STORE_NPARAMS(p), p,
		    NULL)) != STORE_OK)
			goto out;
	}
	audit_json_begin(&details);
	audit_json_str(&details, "from", l.status);
	audit_json_str(&details, "to", to);
	audit_json_end(&details);
	rc = roster_audit(st, who, &l, to_closed ? "list.close" :
	    "list.reopen", NULL, buf_cstr(&details));
out:
	buf_free(&details);
	return store_unjoin(st, own, rc);
}

int
roster_list_close(struct store *st, const struct roster_who *who,
    const char *name, const char *domain)
{
	return roster_list_status(st, who, name, domain, 1);
}

int
roster_list_reopen(struct store *st, const struct roster_who *who,
    const char *name, const char *domain)
{
	return roster_list_status(st, who, name, domain, 0);
}

static int
roster_list_purge_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, struct roster_purged *out)
{
	struct buf details = BUF_INIT(1024);
	struct roster_list l;
	const char *p[1];
	int rc;

	if ((rc = roster_list_lock(st, name, domain, &l)) != STORE_OK)
		return rc;
	if (strcmp(l.status, "closed") != 0 &&
	    strcmp(l.status, "family_closed") != 0)
		return ROSTER_STATE;
	p[0] = l.id;
	out->members = l.members;
	out->owners = l.owners;
	out->editors = l.editors;
	if ((rc = store_scalar_int(st, "SELECT count(*) FROM exclusions "
	    "WHERE list_id = $1", 1, p, &out->exclusions)) != STORE_OK)
		return rc;
	audit_json_begin(&details);
	audit_json_int(&details, "members", out->members);
	audit_json_int(&details, "owners", out->owners);
	audit_json_int(&details, "editors", out->editors);
	audit_json_int(&details, "exclusions", out->exclusions);
	audit_json_end(&details);
	/*
	 * The record is written first, while the list exists; the delete
	 * then sets its list_id to NULL and list_address keeps the name.
	 */
	rc = roster_audit(st, who, &l, "list.purge", NULL, buf_cstr(&details));
	buf_free(&details);
	if (rc != STORE_OK)
		return rc;
	return store_cmd(st, "DELETE FROM lists WHERE id = $1", 1, p, NULL);
}

int
roster_list_purge(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, struct roster_purged *out)
{
	int own, rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_list_purge_tx(st, who, name, domain, out);
	return store_unjoin(st, own, rc);
}

static int
roster_list_rename_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *newname,
    const char *newdomain)
{
	struct buf details = BUF_INIT(1024);
	struct roster_list l;
	const char *q[] = { newdomain, newname };
	char *taken = NULL;
	int rc;

	if ((rc = roster_list_lock(st, name, domain, &l)) != STORE_OK)
		return rc;
	if ((rc = store_scalar(st, "SELECT id FROM lists WHERE domain = $1 "
	    "AND name = $2", STORE_NPARAMS(q), q, &taken)) != STORE_OK)
		return rc;
	if (taken != NULL) {
		free(taken);
		return ROSTER_EXISTS;
	}
	{
		const char *p[] = { l.id, newname, newdomain };

		if ((rc = store_cmd(st, "UPDATE lists SET name = $2, "
		    "domain = $3, updated_at = now() WHERE id = $1",
		    STORE_NPARAMS(p), p, NULL)) != STORE_OK)
			return rc;
	}
	audit_json_begin(&details);
	buf_printf(&details, "\"from\":");
	{
		struct buf a = BUF_INIT(1024);

		buf_printf(&a, "%s@%s", l.name, l.domain);
		audit_json_quote(&details, buf_cstr(&a));
		buf_reset(&a);
		buf_printf(&a, "%s@%s", newname, newdomain);
		audit_json_str(&details, "to", buf_cstr(&a));
		buf_free(&a);
	}
	audit_json_end(&details);
	/* The record names the list by its new address. */
	roster_copy(l.name, sizeof l.name, newname);
	roster_copy(l.domain, sizeof l.domain, newdomain);
	rc = roster_audit(st, who, &l, "list.rename", NULL, buf_cstr(&details));
	buf_free(&details);
	return rc;
}

int
roster_list_rename(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *newname,
    const char *newdomain)
{
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_list_rename_tx(st, who, name, domain, newname, newdomain);
	return store_unjoin(st, own, rc);
}

int
roster_list_ls(struct store *st, const char *domain, const char *status,
    roster_list_fn *fn, void *arg)
{
	const char *p[] = { domain, status };
	struct roster_list l;
	PGresult *res;
	int rc;

	if ((rc = store_query(st, "SELECT " ROSTER_LIST_COLS "FROM lists l "
	    "WHERE ($1::text IS NULL OR l.domain = $1) "
	    "AND ($2::text IS NULL OR l.status = $2) "
	    "ORDER BY l.domain, l.name", STORE_NPARAMS(p), p, &res)) !=
	    STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(res) && rc == STORE_OK; i++) {
		roster_list_from(res, i, &l);
		rc = fn(&l, arg);
	}
	PQclear(res);
	return rc;
}

/* -- families ----------------------------------------------------------- */

int
roster_family_lists(struct store *st, const char *domain, const char *family,
    roster_family_fn *fn, void *arg)
{
	const char *p[] = { domain, family };
	struct roster_family_row r;
	PGresult *res;
	int rc;

	/* One query for a whole domain: an instantiation of 10,000 lists. */
	if ((rc = store_query(st, "SELECT id, name, status, "
	    "COALESCE(family, ''), COALESCE(status_reason, '') FROM lists "
	    "WHERE domain = $1 AND ($2::text IS NULL OR family = $2) "
	    "ORDER BY name", STORE_NPARAMS(p), p, &res)) != STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(res) && rc == STORE_OK; i++) {
		r.id = PQgetvalue(res, i, 0);
		r.name = PQgetvalue(res, i, 1);
		r.status = PQgetvalue(res, i, 2);
		r.family = PQgetvalue(res, i, 3);
		r.reason = PQgetvalue(res, i, 4);
		rc = fn(&r, arg);
	}
	PQclear(res);
	return rc;
}

/* The roster_list the audit helper needs, from its parts. */
static void
roster_family_list(struct roster_list *l, const char *id, const char *name,
    const char *domain)
{
	memset(l, 0, sizeof *l);
	roster_copy(l->id, sizeof l->id, id);
	roster_copy(l->name, sizeof l->name, name);
	roster_copy(l->domain, sizeof l->domain, domain);
}

static int
roster_family_create_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *family,
    const char *status, const char *reason, const char *const *owners,
    size_t nowners, char id[24])
{
	const char *p[] = { name, domain, family, status, reason };
	struct buf details = BUF_INIT(BUF_UNLIMITED);
	struct roster_list l;
	char *newid = NULL;
	int rc;

	/* No lock query: the new row is ours until the commit. */
	if ((rc = store_scalar(st, "INSERT INTO lists (name, domain, family, "
	    "status, status_reason) VALUES ($1, $2, $3, $4, $5) "
	    "ON CONFLICT (domain, name) DO NOTHING RETURNING id",
	    STORE_NPARAMS(p), p, &newid)) != STORE_OK)
		return rc;
	if (newid == NULL)
		return ROSTER_EXISTS;
	snprintf(id, 24, "%s", newid);
	free(newid);
	for (size_t i = 0; i < nowners; i++) {
		const char *q[] = { id, owners[i] };

		if ((rc = store_cmd(st, "INSERT INTO admins (list_id, email, "
		    "role, profile) VALUES ($1, $2, 'owner', 'privileged') "
		    "ON CONFLICT DO NOTHING", STORE_NPARAMS(q), q, NULL)) !=
		    STORE_OK)
			return rc;
	}
	audit_json_begin(&details);
	audit_json_str(&details, "family", family);
	audit_json_str(&details, "status", status);
	if (reason != NULL)
		audit_json_str(&details, "reason", reason);
	buf_puts(&details, ",\"owners\":[");
	for (size_t i = 0; i < nowners; i++) {
		if (i > 0)
			buf_putc(&details, ',');
		audit_json_quote(&details, owners[i]);
	}
	buf_putc(&details, ']');
	audit_json_end(&details);
	roster_family_list(&l, id, name, domain);
	rc = roster_audit(st, who, &l, "list.create", NULL, buf_cstr(&details));
	buf_free(&details);
	return rc;
}

int
roster_family_create(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *family,
    const char *status, const char *reason, const char *const *owners,
    size_t nowners, char id[24])
{
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_family_create_tx(st, who, name, domain, family, status,
	    reason, owners, nowners, id);
	return store_unjoin(st, own, rc);
}

static int
roster_is_closed(const char *status)
{
	return strcmp(status, "closed") == 0 ||
	    strcmp(status, "family_closed") == 0;
}

int
roster_family_set_status(struct store *st, const struct roster_who *who,
    const char *id, const char *name, const char *domain, const char *from,
    const char *to, const char *reason)
{
	const char *p[] = { id, to, reason };
	struct buf details = BUF_INIT(4096);
	struct roster_list l;
	const char *action = "list.status";
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	if ((rc = store_cmd(st, "UPDATE lists SET status = $2, "
	    "status_reason = $3, updated_at = now() WHERE id = $1",
	    STORE_NPARAMS(p), p, NULL)) != STORE_OK)
		goto out;
	if (roster_is_closed(to))
		action = "list.close";
	else if (roster_is_closed(from))
		action = "list.reopen";
	audit_json_begin(&details);
	audit_json_str(&details, "from", from);
	audit_json_str(&details, "to", to);
	if (reason != NULL)
		audit_json_str(&details, "reason", reason);
	audit_json_end(&details);
	roster_family_list(&l, id, name, domain);
	rc = roster_audit(st, who, &l, action, NULL, buf_cstr(&details));
out:
	buf_free(&details);
	return store_unjoin(st, own, rc);
}

int
roster_family_audit(struct store *st, const struct roster_who *who,
    const char *id, const char *name, const char *domain, const char *action,
    const char *details)
{
	struct roster_list l;

	roster_family_list(&l, id, name, domain);
	return roster_audit(st, who, &l, action, NULL, details);
}

/* -- members ------------------------------------------------------------ */

/* Call fn for each row of an entry query (the columns of struct roster_entry). */
static int
roster_entries(PGresult *res, roster_entry_fn *fn, void *arg)
{
	struct roster_entry e;
	int rc = STORE_OK;

	for (int i = 0; i < PQntuples(res) && rc == STORE_OK; i++) {
		e.list_name = PQgetvalue(res, i, 0);
		e.list_domain = PQgetvalue(res, i, 1);
		e.list_status = PQgetvalue(res, i, 2);
		e.role = PQgetvalue(res, i, 3);
		e.email = PQgetvalue(res, i, 4);
		e.name = PQgetvalue(res, i, 5);
		e.reception = PQgetvalue(res, i, 6);
		e.visibility = PQgetvalue(res, i, 7);
		e.profile = PQgetvalue(res, i, 8);
		e.since = PQgetvalue(res, i, 9);
		e.attributes = PQgetvalue(res, i, 10);
		rc = fn(&e, arg);
	}
	return rc;
}

/* Run an entry query with params p and call fn for each row. */
static int
roster_query_entries(struct store *st, const char *sql, int n,
    const char *const *p, roster_entry_fn *fn, void *arg)
{
	PGresult *res;
	int rc;

	if ((rc = store_query(st, sql, n, p, &res)) != STORE_OK)
		return rc;
	rc = roster_entries(res, fn, arg);
	PQclear(res);
	return rc;
}

#define ROSTER_MEMBER_COLS \
	"l.name, l.domain, l.status, 'member', s.email, " \
	"COALESCE(s.name, ''), s.reception, s.visibility, '', " \
	ROSTER_TS("s.subscribed_at") ", s.custom_attributes::text "

#define ROSTER_ADMIN_COLS \
	"l.name, l.domain, l.status, a.role, a.email, " \
	"COALESCE(a.name, ''), a.reception, a.visibility, " \
	"CASE WHEN a.role = 'owner' THEN a.profile ELSE '' END, " \
	ROSTER_TS("a.created_at") ", '{}' "

static int
roster_member_add_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *email,
    const char *gecos, const char *attributes)
{
	struct buf details = BUF_INIT(BUF_UNLIMITED);
	struct roster_list l;
	long long n;
	int rc;

	if ((rc = roster_list_open_for_change(st, name, domain, &l)) !=
	    STORE_OK)
		return rc;
	{
		const char *p[] = { l.id, email, gecos, attributes };

		if ((rc = store_cmd(st, "INSERT INTO subscribers (list_id, "
		    "email, name, custom_attributes) VALUES ($1, $2, $3, "
		    "COALESCE($4::jsonb, '{}')) ON CONFLICT DO NOTHING",
		    STORE_NPARAMS(p), p, &n)) != STORE_OK)
			return rc;
		if (n == 0)
			return ROSTER_EXISTS;
		/* Added on purpose: a data source's exclusion no longer holds. */
		if ((rc = store_cmd(st, "DELETE FROM exclusions WHERE "
		    "list_id = $1 AND email = $2", 2, p, NULL)) != STORE_OK)
			return rc;
	}
	audit_json_begin(&details);
	audit_json_str(&details, "name", gecos);
	audit_json_end(&details);
	rc = roster_audit(st, who, &l, "member.add", email, buf_cstr(&details));
	buf_free(&details);
	return rc;
}

int
roster_member_add(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *email,
    const char *gecos, const char *attributes)
{
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_member_add_tx(st, who, name, domain, email, gecos,
	    attributes);
	return store_unjoin(st, own, rc);
}

static int
roster_member_del_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *email)
{
	struct roster_list l;
	PGresult *res;
	int rc, included;

	if ((rc = roster_list_open_for_change(st, name, domain, &l)) !=
	    STORE_OK)
		return rc;
	{
		const char *p[] = { l.id, email };

		if ((rc = store_query(st, "DELETE FROM subscribers WHERE "
		    "list_id = $1 AND email = $2 "
		    "RETURNING included_at IS NOT NULL", STORE_NPARAMS(p), p,
		    &res)) != STORE_OK)
			return rc;
		if (PQntuples(res) == 0) {
			PQclear(res);
			return ROSTER_NOTFOUND;
		}
		included = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		/*
		 * A member a data source brought in would come back at the
		 * next synchronisation: remember that it was removed.
		 */
		if (included && (rc = store_cmd(st, "INSERT INTO exclusions "
		    "(list_id, email) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		    STORE_NPARAMS(p), p, NULL)) != STORE_OK)
			return rc;
	}
	return roster_audit(st, who, &l, "member.del", email,
	    included ? "{\"excluded\":true}" : NULL);
}

int
roster_member_del(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *email)
{
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_member_del_tx(st, who, name, domain, email);
	return store_unjoin(st, own, rc);
}

static int
roster_member_set_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *email,
    const char *reception, const char *visibility)
{
	struct buf details = BUF_INIT(1024);
	struct roster_list l;
	long long n;
	int rc;

	if ((rc = roster_list_open_for_change(st, name, domain, &l)) !=
	    STORE_OK)
		return rc;
	{
		const char *p[] = { l.id, email, reception, visibility };

		if ((rc = store_cmd(st, "UPDATE subscribers SET "
		    "reception = COALESCE($3, reception), "
		    "visibility = COALESCE($4, visibility), updated_at = now() "
		    "WHERE list_id = $1 AND email = $2", STORE_NPARAMS(p), p,
		    &n)) != STORE_OK)
			return rc;
		if (n == 0)
			return ROSTER_NOTFOUND;
	}
	audit_json_begin(&details);
	if (reception != NULL)
		audit_json_str(&details, "reception", reception);
	if (visibility != NULL)
		audit_json_str(&details, "visibility", visibility);
	audit_json_end(&details);
	rc = roster_audit(st, who, &l, "member.set", email, buf_cstr(&details));
	buf_free(&details);
	return rc;
}

int
roster_member_set(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *email,
    const char *reception, const char *visibility)
{
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_member_set_tx(st, who, name, domain, email, reception,
	    visibility);
	return store_unjoin(st, own, rc);
}

int
roster_member_ls(struct store *st, const char *name, const char *domain,
    roster_entry_fn *fn, void *arg)
{
	struct roster_list l;
	const char *p[1];
	int rc;

	if ((rc = roster_list_get(st, name, domain, &l)) != STORE_OK)
		return rc;
	p[0] = l.id;
	return roster_query_entries(st, "SELECT " ROSTER_MEMBER_COLS
	    "FROM subscribers s JOIN lists l ON l.id = s.list_id "
	    "WHERE s.list_id = $1 ORDER BY s.email", 1, p, fn, arg);
}

int
roster_domain_members(struct store *st, const char *domain,
    roster_entry_fn *fn, void *arg)
{
	const char *p[] = { domain };

	return roster_query_entries(st, "SELECT " ROSTER_MEMBER_COLS
	    "FROM subscribers s JOIN lists l ON l.id = s.list_id "
	    "WHERE l.domain = $1 AND l.status = 'open' "
	    "ORDER BY s.email, l.name", 1, p, fn, arg);
}

int
roster_member_find(struct store *st, const char *pattern,
    roster_entry_fn *fn, void *arg)
{
	const char *p[] = { pattern };

	/* strpos, not LIKE: the pattern is plain text, % and _ included. */
	return roster_query_entries(st, "SELECT " ROSTER_MEMBER_COLS
	    "FROM subscribers s JOIN lists l ON l.id = s.list_id "
	    "WHERE strpos(s.email, lower($1)) > 0 "
	    "ORDER BY s.email, l.domain, l.name", 1, p, fn, arg);
}

/* One element of a PostgreSQL array literal: quoted, \ and " escaped. */
static void
roster_array_add(struct buf *b, const char *s)
{
	if (b->len > 1)
		buf_putc(b, ',');
	if (s == NULL) {
		buf_puts(b, "NULL");
		return;
	}
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

/*
 * One statement for a chunk of rows: the rows travel as four array
 * parameters (data, never SQL text), are inserted with ON CONFLICT DO
 * NOTHING, and each row actually inserted gets its audit record and
 * loses any exclusion, all in the same statement.
 */
static int
roster_import_chunk(struct store *st, const struct roster_who *who,
    const struct roster_list *l, const char *laddr, const char *source,
    const struct roster_import_row *rows, size_t n, long long *added)
{
	struct buf emails = BUF_INIT(BUF_UNLIMITED);
	struct buf names = BUF_INIT(BUF_UNLIMITED);
	struct buf attrs = BUF_INIT(BUF_UNLIMITED);
	struct buf lines = BUF_INIT(BUF_UNLIMITED);
	struct buf recs = BUF_INIT(BUF_UNLIMITED);
	struct buf viss = BUF_INIT(BUF_UNLIMITED);
	struct buf mid = BUF_INIT(1024), client = BUF_INIT(1024);
	struct buf key = BUF_INIT(256);
	int rc;

	buf_putc(&emails, '{');
	buf_putc(&names, '{');
	buf_putc(&attrs, '{');
	buf_putc(&lines, '{');
	buf_putc(&recs, '{');
	buf_putc(&viss, '{');
	for (size_t i = 0; i < n; i++) {
		roster_array_add(&recs, rows[i].reception);
		roster_array_add(&viss, rows[i].visibility);
		roster_array_add(&emails, rows[i].email);
		roster_array_add(&names, rows[i].name);
		roster_array_add(&attrs, rows[i].attributes);
		buf_printf(&lines, "%s%lu", i > 0 ? "," : "", rows[i].line);
	}
	buf_putc(&emails, '}');
	buf_putc(&names, '}');
	buf_putc(&attrs, '}');
	buf_putc(&lines, '}');
	buf_putc(&recs, '}');
	buf_putc(&viss, '}');
	/* What roster_audit() adds to a record, here in SQL. */
	if (who->message_id != NULL)
		audit_message_id(&mid, who->message_id);
	if (who->client != NULL)
		audit_ascii(&client, who->client, 998);
	if (who->auth_key != NULL)
		audit_ascii(&key, who->auth_key, 200);
	{
		const char *p[] = { l->id, buf_cstr(&emails), buf_cstr(&names),
		    buf_cstr(&attrs), buf_cstr(&lines), who->actor,
		    who->channel, laddr, source, buf_cstr(&recs),
		    buf_cstr(&viss), mid.len > 0 ? buf_cstr(&mid) : NULL,
		    client.len > 0 ? buf_cstr(&client) : NULL,
		    who->auth_key != NULL ? buf_cstr(&key) : NULL,
		    who->requested_by, who->reason };

		rc = store_scalar_int(st,
		    "WITH r AS (SELECT * FROM unnest($2::text[], $3::text[], "
		    "    $4::text[], $5::bigint[], $10::text[], $11::text[]) "
		    "    AS r(email, name, attrs, line, reception, visibility)), "
		    "ins AS (INSERT INTO subscribers (list_id, email, name, "
		    "    custom_attributes, reception, visibility) "
		    "  SELECT $1::bigint, r.email, r.name, "
		    "    COALESCE(r.attrs, '{}')::jsonb, "
		    "    COALESCE(r.reception, 'mail'), "
		    "    COALESCE(r.visibility, 'noconceal') FROM r "
		    "  ON CONFLICT (list_id, email) DO NOTHING RETURNING email), "
		    "exc AS (DELETE FROM exclusions e USING ins "
		    "  WHERE e.list_id = $1::bigint AND e.email = ins.email), "
		    "aud AS (INSERT INTO audit_log (actor, channel, action, "
		    "    target, list_id, list_address, status, details, "
		    "    message_id, client) "
		    "  SELECT $6, $7, 'member.add', ins.email, $1::bigint, $8, "
		    "    'success', jsonb_build_object('source', $9::text, "
		    "    'line', r.line, 'name', r.name) || "
		    "    jsonb_strip_nulls(jsonb_build_object("
		    "    'key', $14::text, 'requested_by', $15::text, "
		    "    'reason', $16::text)), "
		    "    $12, $13 "
		    "  FROM ins JOIN r ON r.email = ins.email RETURNING 1) "
		    "SELECT count(*) FROM aud",
		    STORE_NPARAMS(p), p, added);
	}
	buf_free(&emails);
	buf_free(&names);
	buf_free(&attrs);
	buf_free(&lines);
	buf_free(&recs);
	buf_free(&viss);
	buf_free(&mid);
	buf_free(&client);
	buf_free(&key);
	return rc;
}

int
roster_member_import(struct store *st, const struct roster_who *who,
    const struct roster_list *l, const char *source,
    const struct roster_import_row *rows, size_t n, long long *added)
{
	struct buf laddr = BUF_INIT(512);
	long long k;
	int rc = STORE_OK;

	*added = 0;
	if (!store_in_transaction(st)) {
		log_error("roster_member_import: no transaction");
		return STORE_ERROR;
	}
	if (strcmp(l->status, "closed") == 0 ||
	    strcmp(l->status, "family_closed") == 0)
		return ROSTER_STATE;
	buf_printf(&laddr, "%s@%s", l->name, l->domain);
	for (size_t i = 0; i < n && rc == STORE_OK; i += ROSTER_IMPORT_CHUNK) {
		size_t m = n - i < ROSTER_IMPORT_CHUNK ? n - i :
		    ROSTER_IMPORT_CHUNK;

		rc = roster_import_chunk(st, who, l, buf_cstr(&laddr), source,
		    rows + i, m, &k);
		if (rc == STORE_OK)
			*added += k;
	}
	buf_free(&laddr);
	return rc;
}

/* The most custom attribute columns an export writes. */
#define ROSTER_EXPORT_KEYS	256

int
roster_member_export(struct store *st, const char *name, const char *domain,
    roster_row_fn *fn, void *arg)
{
	static const char *const fixed[] = { "email", "name", "reception",
	    "visibility" };
	struct buf sql = BUF_INIT(BUF_UNLIMITED);
	const char **params = NULL, **fields = NULL;
	struct roster_list l;
	PGresult *keys = NULL, *res = NULL;
	int rc, nkeys, ncols;

	if ((rc = roster_list_get(st, name, domain, &l)) != STORE_OK)
		return rc;
	{
		const char *p[] = { l.id };

		if ((rc = store_query(st, "SELECT DISTINCT k FROM subscribers, "
		    "jsonb_object_keys(custom_attributes) AS k "
		    "WHERE list_id = $1 ORDER BY k", 1, p, &keys)) != STORE_OK)
			return rc;
	}
	nkeys = PQntuples(keys);
	if (nkeys > ROSTER_EXPORT_KEYS) {
		log_warn("%s@%s: only the first %d of %d attribute keys "
		    "exported", name, domain, ROSTER_EXPORT_KEYS, nkeys);
		nkeys = ROSTER_EXPORT_KEYS;
	}
	ncols = 4 + nkeys;
	params = xcalloc((size_t)nkeys + 1, sizeof *params);
	fields = xcalloc((size_t)ncols, sizeof *fields);
	params[0] = l.id;
	/*
	 * One column per key; the statement's text holds only placeholders
	 * ($2, $3, ...), the keys themselves travel as parameters.
	 */
	buf_puts(&sql, "SELECT email, COALESCE(name, ''), reception, "
	    "visibility");
	for (int i = 0; i < nkeys; i++) {
		params[i + 1] = PQgetvalue(keys, i, 0);
		buf_printf(&sql, ", COALESCE(custom_attributes ->> $%d, '')",
		    i + 2);
	}
	buf_puts(&sql, " FROM subscribers WHERE list_id = $1 ORDER BY email");
	for (int i = 0; i < 4; i++)
		fields[i] = fixed[i];
	for (int i = 0; i < nkeys; i++)
		fields[4 + i] = params[i + 1];
	if ((rc = fn(fields, (size_t)ncols, arg)) != STORE_OK)
		goto out;
	if ((rc = store_query(st, buf_cstr(&sql), nkeys + 1, params, &res)) !=
	    STORE_OK)
		goto out;
	for (int r = 0; r < PQntuples(res) && rc == STORE_OK; r++) {
		for (int c = 0; c < ncols; c++)
			fields[c] = PQgetvalue(res, r, c);
		rc = fn(fields, (size_t)ncols, arg);
	}
out:
	PQclear(res);
	PQclear(keys);
	free(params);
	free(fields);
	buf_free(&sql);
	return rc;
}

/* -- owners and editors ------------------------------------------------- */

static int
roster_admin_add_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *role,
    const char *email, const char *profile, const char *gecos)
{
	struct buf details = BUF_INIT(1024);
	struct roster_list l;
	long long n;
	int rc;

	if ((rc = roster_list_open_for_change(st, name, domain, &l)) !=
	    STORE_OK)
		return rc;
	{
		const char *p[] = { l.id, email, role, profile, gecos };

		if ((rc = store_cmd(st, "INSERT INTO admins (list_id, email, "
		    "role, profile, name) VALUES ($1, $2, $3, "
		    "COALESCE($4, 'normal'), $5) ON CONFLICT DO NOTHING",
		    STORE_NPARAMS(p), p, &n)) != STORE_OK)
			return rc;
		if (n == 0)
			return ROSTER_EXISTS;
	}
	audit_json_begin(&details);
	audit_json_str(&details, "role", role);
	if (profile != NULL)
		audit_json_str(&details, "profile", profile);
	audit_json_end(&details);
	rc = roster_audit(st, who, &l, strcmp(role, "owner") == 0 ?
	    "owner.add" : "editor.add", email, buf_cstr(&details));
	buf_free(&details);
	return rc;
}

int
roster_admin_add(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *role,
    const char *email, const char *profile, const char *gecos)
{
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_admin_add_tx(st, who, name, domain, role, email, profile,
	    gecos);
	return store_unjoin(st, own, rc);
}

static int
roster_admin_del_tx(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *role,
    const char *email)
{
	struct roster_list l;
	long long n;
	int rc;

	/* FOR UPDATE: two owners removing each other must not both win. */
	if ((rc = roster_list_lock(st, name, domain, &l)) != STORE_OK)
		return rc;
	if (strcmp(l.status, "closed") == 0 ||
	    strcmp(l.status, "family_closed") == 0)
		return ROSTER_STATE;
	{
		const char *p[] = { l.id, email, role };

		if ((rc = store_scalar_int(st, "SELECT count(*) FROM admins "
		    "WHERE list_id = $1 AND email = $2 AND role = $3",
		    STORE_NPARAMS(p), p, &n)) != STORE_OK)
			return rc;
		if (n == 0)
			return ROSTER_NOTFOUND;
		if (strcmp(role, "owner") == 0 && l.owners <= 1)
			return ROSTER_LAST_OWNER;
		if ((rc = store_cmd(st, "DELETE FROM admins WHERE "
		    "list_id = $1 AND email = $2 AND role = $3",
		    STORE_NPARAMS(p), p, NULL)) != STORE_OK)
			return rc;
	}
	return roster_audit(st, who, &l, strcmp(role, "owner") == 0 ?
	    "owner.del" : "editor.del", email, NULL);
}

int
roster_admin_del(struct store *st, const struct roster_who *who,
    const char *name, const char *domain, const char *role,
    const char *email)
{
	int own, rc;

	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = roster_admin_del_tx(st, who, name, domain, role, email);
	return store_unjoin(st, own, rc);
}

int
roster_admin_ls(struct store *st, const char *name, const char *domain,
    const char *role, roster_entry_fn *fn, void *arg)
{
	struct roster_list l;
	const char *p[2];
	int rc;

	if ((rc = roster_list_get(st, name, domain, &l)) != STORE_OK)
		return rc;
	p[0] = l.id;
	p[1] = role;
	return roster_query_entries(st, "SELECT " ROSTER_ADMIN_COLS
	    "FROM admins a JOIN lists l ON l.id = a.list_id "
	    "WHERE a.list_id = $1 AND ($2::text IS NULL OR a.role = $2) "
	    "ORDER BY a.role DESC, a.email", STORE_NPARAMS(p), p, fn, arg);
}

int
roster_which(struct store *st, const char *email, roster_entry_fn *fn,
    void *arg)
{
	const char *p[] = { email };

	return roster_query_entries(st, "SELECT " ROSTER_MEMBER_COLS
	    "FROM subscribers s JOIN lists l ON l.id = s.list_id "
	    "WHERE s.email = $1 "
	    "UNION ALL SELECT " ROSTER_ADMIN_COLS
	    "FROM admins a JOIN lists l ON l.id = a.list_id "
	    "WHERE a.email = $1 ORDER BY 2, 1, 4", 1, p, fn, arg);
}

/* -- command-line helpers ------------------------------------------------ */

int
roster_canonical_email(const char *in, struct buf *out, const char **why)
{
	size_t n = strlen(in);

	buf_reset(out);
	if (n == 0) {
		*why = "empty address";
		return -1;
	}
	if (n > 1024 || addr_canonical(in, n, ADDR_CANON_LOWER_ALL, out) != 0) {
		*why = "not an address";
		return -1;
	}
	if (!addr_is_valid_email(buf_cstr(out))) {
		*why = "not an address a list can send to";
		return -1;
	}
	return roster_email_storable(buf_cstr(out), why) ? 0 : -1;
}

int
roster_list_arg(const char *arg, const char *default_domain,
    struct buf *name, struct buf *domain, const char **why)
{
	if (strchr(arg, '@') != NULL)
		return listaddr_split(arg, name, domain, why);
	buf_reset(name);
	buf_reset(domain);
	if (listname_check(arg, why) != 0)
		return -1;
	if (listname_check_domain(default_domain, why) != 0) {
		*why = "the site's default domain is not a valid domain";
		return -1;
	}
	if (buf_puts(name, arg) != 0 || buf_puts(domain, default_domain) != 0) {
		*why = "too long";
		return -1;
	}
	return 0;
}

int
roster_sysexit(int rc)
{
	switch (rc) {
	case STORE_OK:
		return EX_OK;
	case STORE_TEMP:
		return EX_TEMPFAIL;
	case ROSTER_NOLIST:
	case ROSTER_NOTFOUND:
		return EX_NOUSER;
	case ROSTER_EXISTS:
	case ROSTER_STATE:
	case ROSTER_LAST_OWNER:
		return EX_DATAERR;
	default:
		return EX_SOFTWARE;
	}
}

const char *
roster_strerror(int rc)
{
	switch (rc) {
	case ROSTER_NOLIST:
		return "no such list";
	case ROSTER_NOTFOUND:
		return "not found";
	case ROSTER_EXISTS:
		return "already exists";
	case ROSTER_STATE:
		return "the list's status does not allow it";
	case ROSTER_LAST_OWNER:
		return "a list keeps at least one owner";
	case STORE_TEMP:
		return "the database cannot be reached (try again later)";
	case STORE_ERROR:
		return "database error";
	default:
		return "";
	}
}
