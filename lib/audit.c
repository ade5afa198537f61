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

/* The longest Message-ID and client text a record keeps (a header line). */
#define AUDIT_TEXT_MAX	998

void
audit_ascii(struct buf *out, const char *s, size_t max)
{
	buf_reset(out);
	for (size_t i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_putc(out, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
}

/* Whether c is blank around a header value. */
static int
audit_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
audit_message_id(struct buf *out, const char *s)
{
	size_t n;

	while (audit_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && audit_blank(s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	audit_ascii(out, s, n < AUDIT_TEXT_MAX ? n : AUDIT_TEXT_MAX);
}

int
audit_write(struct store *st, const struct audit_rec *r)
{
	struct buf mid = BUF_INIT(AUDIT_TEXT_MAX + 1);
	struct buf client = BUF_INIT(AUDIT_TEXT_MAX + 1);
	const char *p[11];
	int rc;

	if (r->message_id != NULL)
		audit_message_id(&mid, r->message_id);
	if (r->client != NULL)
		audit_ascii(&client, r->client, AUDIT_TEXT_MAX);
	p[0] = r->actor;
	p[1] = r->channel;
	p[2] = r->action;
	p[3] = r->target;
	p[4] = r->list_id;
	p[5] = r->list_address;
	p[6] = r->status != NULL ? r->status : "success";
	p[7] = r->error;
	p[8] = r->details != NULL ? r->details : "{}";
	/* An empty Message-ID ("<>") proves nothing: no value. */
	p[9] = r->message_id != NULL && mid.len > 0 ? buf_cstr(&mid) : NULL;
	p[10] = r->client != NULL && client.len > 0 ? buf_cstr(&client) : NULL;
	rc = store_cmd(st,
	    "INSERT INTO audit_log (actor, channel, action, target, list_id, "
	    "list_address, status, error, details, message_id, client) "
	    "VALUES ($1, $2, $3, $4, $5::bigint, $6, $7, $8, $9::jsonb, $10, "
	    "$11)",
	    STORE_NPARAMS(p), p, NULL);
	buf_free(&mid);
	buf_free(&client);
	return rc;
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

/* The columns of struct audit_row, in its order. */
#define AUDIT_ROW_COLS \
	"id, to_char(at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), actor, channel, action, " \
	"list_address, target, status, error, details::text, message_id, " \
	"client, list_id, details->>'key', details->>'requested_by', " \
	"details->>'reason', " \
	"(details - 'key' - 'requested_by' - 'reason')::text "

/* Call fn for each row of an AUDIT_ROW_COLS query. */
static int
audit_rows(const PGresult *res, audit_row_fn *fn, void *arg)
{
	int rc = STORE_OK;

	for (int i = 0; i < PQntuples(res) && rc == STORE_OK; i++) {
		struct audit_row r = {
			audit_col(res, i, 0), audit_col(res, i, 1),
			audit_col(res, i, 2), audit_col(res, i, 3),
			audit_col(res, i, 4), audit_col(res, i, 5),
			audit_col(res, i, 6), audit_col(res, i, 7),
			audit_col(res, i, 8), audit_col(res, i, 9),
			audit_col(res, i, 10), audit_col(res, i, 11),
			audit_col(res, i, 12), audit_col(res, i, 13),
			audit_col(res, i, 14), audit_col(res, i, 15),
			audit_col(res, i, 16),
		};

		rc = fn(&r, arg);
	}
	return rc;
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
	rc = store_query(st, "SELECT " AUDIT_ROW_COLS "FROM audit_log "
	    "WHERE ($1::text IS NULL OR list_address = $1) "
	    "AND ($2::text IS NULL OR target = $2) "
	    "AND ($3::text IS NULL OR actor = $3) "
	    "AND ($4::timestamptz IS NULL OR at >= $4) "
	    "AND ($5::interval IS NULL OR at >= now() - $5::interval) "
	    "ORDER BY at DESC, id DESC LIMIT $6::bigint",
	    STORE_NPARAMS(p), p, &res);
	if (rc != STORE_OK)
		return rc;
	rc = audit_rows(res, fn, arg);
	PQclear(res);
	return rc;
}

int
audit_history(struct store *st, const char *list_id,
    const char *list_address, const char *email, audit_row_fn *fn,
    void *arg, long *n)
{
	const char *p[] = { list_id, list_address, email };
	PGresult *res;
	int rc;

	*n = 0;
	/*
	 * By list id, so the records before a rename count; and by address
	 * for the records a purge detached from their list (list_id NULL).
	 * The target index (target, at) serves both.
	 */
	rc = store_query(st, "SELECT " AUDIT_ROW_COLS
	    "FROM audit_log WHERE target = $3 "
	    "AND (list_id = $1::bigint "
	    "OR (list_id IS NULL AND list_address = $2)) "
	    "ORDER BY at, id", STORE_NPARAMS(p), p, &res);
	if (rc != STORE_OK)
		return rc;
	*n = PQntuples(res);
	rc = audit_rows(res, fn, arg);
	PQclear(res);
	return rc;
}
