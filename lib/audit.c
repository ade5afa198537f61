/*
 * audit - appending to audit_log, reading it back for herald audit, and
 * the small JSON writer its details need.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "store.h"

int
audit_write(struct store *st, const struct audit_rec *r)
{
	const char *p[] = {
		r->actor, r->channel, r->action, r->target, r->list_id,
		r->list_address, r->status != NULL ? r->status : "success",
		r->error, r->details != NULL ? r->details : "{}",
	};

	return store_cmd(st,
	    "INSERT INTO audit_log (actor, channel, action, target, list_id, "
	    "list_address, status, error, details) "
	    "VALUES ($1, $2, $3, $4, $5::bigint, $6, $7, $8, $9::jsonb)",
	    STORE_NPARAMS(p), p, NULL);
}

/* A name fit for the actor column: no control characters, bounded. */
static void
audit_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

const char *
audit_cli_actor(void)
{
	static char actor[160];
	struct passwd *pw;
	const char *sudo;

	if (actor[0] != '\0')
		return actor;
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(actor, sizeof actor, "%s", pw->pw_name);
	else
		snprintf(actor, sizeof actor, "uid %lu",
		    (unsigned long)getuid());
	/*
	 * root through sudo: the person behind it is what the record is for.
	 * SUDO_USER is only believed for root, where sudo is what set it.
	 */
	if (getuid() == 0 && (sudo = getenv("SUDO_USER")) != NULL &&
	    *sudo != '\0' && strlen(sudo) < 64) {
		size_t n = strlen(actor);

		snprintf(actor + n, sizeof actor - n, " (sudo %s)", sudo);
	}
	audit_clean(actor);
	return actor;
}

void
audit_json_quote(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, c);
		} else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, c);
	}
	buf_putc(b, '"');
}

void
audit_json_begin(struct buf *b)
{
	buf_reset(b);
	buf_putc(b, '{');
}

static void
audit_json_key(struct buf *b, const char *key)
{
	if (b->len > 1)
		buf_putc(b, ',');
	audit_json_quote(b, key);
	buf_putc(b, ':');
}

void
audit_json_str(struct buf *b, const char *key, const char *value)
{
	audit_json_key(b, key);
	if (value == NULL)
		buf_puts(b, "null");
	else
		audit_json_quote(b, value);
}

void
audit_json_int(struct buf *b, const char *key, long long value)
{
	audit_json_key(b, key);
	buf_printf(b, "%lld", value);
}

void
audit_json_end(struct buf *b)
{
	buf_putc(b, '}');
}

/* A column of row i, "" for SQL NULL. */
static const char *
audit_col(const PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? "" : PQgetvalue(res, i, col);
}

int
audit_read(struct store *st, const struct audit_filter *f, audit_row_fn *fn,
    void *arg)
{
	char limit[32];
	const char *p[6];
	PGresult *res;
	int rc;

	snprintf(limit, sizeof limit, "%ld", f->limit > 0 ? f->limit : 0);
	p[0] = f->list_address;
	p[1] = f->target;
	p[2] = f->actor;
	p[3] = f->since;
	p[4] = f->since == NULL ? f->ago : NULL;
	p[5] = f->limit > 0 ? limit : NULL;
	/*
	 * One statement whatever the filters: a NULL parameter disables its
	 * condition. The typed casts tell PostgreSQL what each $n is, and a
	 * date it cannot read fails here, with its SQLSTATE, not in a string
	 * we built.
	 */
	rc = store_query(st,
	    "SELECT id, to_char(at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), actor, channel, action, "
	    "list_address, target, status, error, details::text "
	    "FROM audit_log "
	    "WHERE ($1::text IS NULL OR list_address = $1) "
	    "AND ($2::text IS NULL OR target = $2) "
	    "AND ($3::text IS NULL OR actor = $3) "
	    "AND ($4::timestamptz IS NULL OR at >= $4) "
	    "AND ($5::interval IS NULL OR at >= now() - $5::interval) "
	    "ORDER BY at DESC, id DESC LIMIT $6::bigint",
	    STORE_NPARAMS(p), p, &res);
	if (rc != STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(res) && rc == STORE_OK; i++) {
		struct audit_row r = {
			audit_col(res, i, 0), audit_col(res, i, 1),
			audit_col(res, i, 2), audit_col(res, i, 3),
			audit_col(res, i, 4), audit_col(res, i, 5),
			audit_col(res, i, 6), audit_col(res, i, 7),
			audit_col(res, i, 8), audit_col(res, i, 9),
		};

		rc = fn(&r, arg);
	}
	PQclear(res);
	return rc;
}
