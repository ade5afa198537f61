/*
 * bouncedb - recording bounces in the shared database, and the file names
 * of the bounce directory (see bouncedb.h). Attribution is in
 * bouncedb_attr.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bouncedb.h"
#include "log.h"
#include "roster.h"

/*
 * One recipient: the member's fields, when the outcome counts, and the
 * event in one statement. The UPDATE's SET expressions all see the old
 * row, so a first bounce gets first = last = now(); greatest() keeps
 * first <= last (the schema's check) when a clock went back. The
 * EXISTS sees the snapshot before the UPDATE: membership, not whether
 * the row was updated.
 */
static const char record_sql[] =
    "WITH m AS (UPDATE subscribers SET"
    " bounce_first_at = coalesce(bounce_first_at, now()),"
    " bounce_last_at = greatest(now(), coalesce(bounce_first_at, now())),"
    " bounce_count = bounce_count + 1,"
    " bounce_status = $5, bounce_address = $9"
    " WHERE list_id = $1 AND email = $2 AND $10::boolean RETURNING 1)"
    " INSERT INTO bounce_events (list_id, email, kind, action, status, hard,"
    " recogniser, diagnostic, member, message_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, EXISTS (SELECT 1 FROM"
    " subscribers WHERE list_id = $1 AND email = $2), $11)"
    " RETURNING member";

static const char track_sql[] =
    "INSERT INTO tracking (list_id, envid, email, message_id, type, status)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (list_id, envid, email, type) DO UPDATE SET"
    " status = EXCLUDED.status, arrived_at = now(),"
    " message_id = coalesce(EXCLUDED.message_id, tracking.message_id)";

static const char list_sql[] =
    "SELECT id FROM lists WHERE domain = $1 AND name = $2";

static const char reset_sql[] =
    "UPDATE subscribers SET bounce_first_at = NULL, bounce_last_at = NULL,"
    " bounce_count = 0, bounce_score = NULL, bounce_status = NULL,"
    " bounce_address = NULL, bounce_action_at = NULL,"
    " bounce_action_level = NULL WHERE list_id = $1 AND email = $2";

/* GROUP BY: one upsert may not touch a row twice. */
static const char rejects_sql[] =
    "INSERT INTO bounce_rejects (day, reason, count)"
    " SELECT d, r, sum(c) FROM unnest($1::date[], $2::text[], $3::bigint[])"
    " AS t(d, r, c) GROUP BY d, r"
    " ON CONFLICT (day, reason) DO UPDATE SET"
    " count = bounce_rejects.count + EXCLUDED.count";

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Text from a report as the database takes it: valid UTF-8 (a byte that
 * is not becomes '?'), control characters made spaces, at most max bytes
 * cut on a character's boundary. NULL in, NULL out.
 */
static const char *
bdb_text(const char *in, size_t max, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n;

	if (in == NULL)
		return NULL;
	buf_reset(out);
	n = strlen(in);
	for (size_t i = 0; i < n; ) {
		size_t k = utf8_len(s + i, n - i);

		if (out->len + (k ? k : 1) > max)
			break;
		if (k == 0)
			buf_putc(out, '?');
		else if (k == 1)
			buf_putc(out, s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i]);
		else
			buf_append(out, s + i, k);
		i += k ? k : 1;
	}
	return buf_cstr(out);
}

/* A status as the schema's check takes it: [245].d{1,3}.d{1,3}. */
static int
status_ok(const char *s)
{
	int dots = 0, digits = 0;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	for (s += 2; *s != '\0'; s++) {
		if (*s == '.') {
			if (digits == 0 || ++dots > 1)
				return 0;
			digits = 0;
		} else if (*s >= '0' && *s <= '9') {
			if (++digits > 3)
				return 0;
		} else
			return 0;
	}
	return dots == 1 && digits > 0;
}

static int
recogniser_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 40)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

int
bouncedb_list_id(struct store *st, const char *name, const char *domain,
    char id[24])
{
	const char *p[] = { domain, name };
	PGresult *res;
	int rc;

	id[0] = '\0';
	rc = store_query_prepared(st, "bouncedb_list", list_sql,
	    STORE_NPARAMS(p), p, &res);
	if (rc != STORE_OK)
		return rc;
	if (PQntuples(res) == 0)
		rc = BOUNCEDB_NOLIST;
	else
		snprintf(id, 24, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

static int
record_rcpt(struct store *st, const struct bouncedb_report *r,
    const char *recogniser, const char *msgid, struct bouncedb_rcpt *rc)
{
	struct buf diag = BUF_INIT(BOUNCEDB_DIAG_MAX + 8);
	const char *why, *status, *reported = NULL;
	const char *p[11];
	PGresult *res;
	int ret, count;

	rc->member = 0;
	if (!roster_email_storable(rc->email, &why)) {
		log_info("bounce for %s not recorded: %s", rc->email, why);
		return STORE_OK;
	}
	if (rc->reported != NULL && strcmp(rc->reported, rc->email) != 0 &&
	    roster_email_storable(rc->reported, &why))
		reported = rc->reported;
	status = status_ok(rc->status) ? rc->status : NULL;
	count = rc->count && status != NULL && status[0] != '2';
	p[0] = r->list_id;
	p[1] = rc->email;
	p[2] = r->kind;
	p[3] = rc->action;
	p[4] = status;
	p[5] = rc->hard ? "t" : "f";
	p[6] = recogniser;
	p[7] = bdb_text(rc->diagnostic, BOUNCEDB_DIAG_MAX, &diag);
	p[8] = reported;
	p[9] = count ? "t" : "f";
	p[10] = msgid;
	ret = store_query_prepared(st, "bouncedb_record", record_sql,
	    STORE_NPARAMS(p), p, &res);
	if (ret == STORE_OK) {
		rc->member = PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
	}
	buf_free(&diag);
	return ret;
}

static int
record_tracking(struct store *st, const struct bouncedb_report *r,
    const char *msgid)
{
	struct buf status = BUF_INIT(256);
	const char *why, *p[6];
	int rc;

	if (r->envid == NULL || *r->envid == '\0' || r->track_type == NULL ||
	    r->track_email == NULL ||
	    !roster_email_storable(r->track_email, &why))
		return STORE_OK;
	p[0] = r->list_id;
	p[1] = r->envid;
	p[2] = r->track_email;
	p[3] = msgid;
	p[4] = r->track_type;
	p[5] = bdb_text(r->track_status != NULL && *r->track_status != '\0' ?
	    r->track_status : "unknown", 64, &status);
	rc = store_cmd(st, track_sql, STORE_NPARAMS(p), p, NULL);
	buf_free(&status);
	return rc;
}

int
bouncedb_record(struct store *st, struct bouncedb_report *r)
{
	struct buf msgid = BUF_INIT(BOUNCEDB_MSGID_MAX + 8);
	const char *recogniser = recogniser_ok(r->recogniser) ? r->recogniser :
	    "unknown", *mid;
	int own, rc;

	mid = bdb_text(r->message_id, BOUNCEDB_MSGID_MAX, &msgid);
	if (mid != NULL && *mid == '\0')
		mid = NULL;
	if ((rc = store_join(st, &own)) != STORE_OK) {
		buf_free(&msgid);
		return rc;
	}
	for (size_t i = 0; i < r->nrcpts && rc == STORE_OK; i++)
		rc = record_rcpt(st, r, recogniser, mid, &r->rcpts[i]);
	if (rc == STORE_OK)
		rc = record_tracking(st, r, mid);
	buf_free(&msgid);
	return store_unjoin(st, own, rc);
}

int
bouncedb_member_reset(struct store *st, const char *list_id,
    const char *email)
{
	const char *p[] = { list_id, email };
	long long n = 0;
	int rc;

	rc = store_cmd(st, reset_sql, STORE_NPARAMS(p), p, &n);
	if (rc == STORE_OK && n == 0)
		rc = BOUNCEDB_NOTFOUND;
	return rc;
}

static int
reason_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= BOUNCEDB_REASON_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

void
bouncedb_reject_add(struct bouncedb_rejects *r, const char *reason,
    time_t when)
{
	char day[16];
	struct tm tm;
	size_t i;

	if (!reason_ok(reason))
		reason = "invalid";
	gmtime_r(&when, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	for (i = 0; i < r->n; i++)
		if (strcmp(r->slot[i].reason, reason) == 0 &&
		    strcmp(r->slot[i].day, day) == 0)
			break;
	if (i == r->n) {
		if (r->n == BOUNCEDB_REJECT_SLOTS) {
			r->lost++;
			return;
		}
		snprintf(r->slot[i].day, sizeof r->slot[i].day, "%s", day);
		snprintf(r->slot[i].reason, sizeof r->slot[i].reason, "%s",
		    reason);
		r->slot[i].count = 0;
		r->n++;
	}
	r->slot[i].count++;
	r->pending++;
}

int
bouncedb_rejects_flush(struct store *st, struct bouncedb_rejects *r)
{
	struct buf days = BUF_INIT(4096), reasons = BUF_INIT(4096),
	    counts = BUF_INIT(4096);
	const char *p[3];
	int rc;

	if (r->n == 0)
		return STORE_OK;
	/*
	 * Array literals; every element is quoted ("null" would be NULL
	 * bare) and holds only [a-z0-9_-] or digits and dashes.
	 */
	for (size_t i = 0; i < r->n; i++) {
		const char *sep = i == 0 ? "{" : ",";

		buf_printf(&days, "%s\"%s\"", sep, r->slot[i].day);
		buf_printf(&reasons, "%s\"%s\"", sep, r->slot[i].reason);
		buf_printf(&counts, "%s%lld", sep, r->slot[i].count);
	}
	buf_putc(&days, '}');
	buf_putc(&reasons, '}');
	buf_putc(&counts, '}');
	p[0] = buf_cstr(&days);
	p[1] = buf_cstr(&reasons);
	p[2] = buf_cstr(&counts);
	rc = store_cmd(st, rejects_sql, STORE_NPARAMS(p), p, NULL);
	if (rc == STORE_OK) {
		r->n = 0;
		r->pending = 0;
	}
	buf_free(&days);
	buf_free(&reasons);
	buf_free(&counts);
	return rc;
}

void
bouncedb_directory(const struct config *cf, struct buf *out)
{
	const char *d = config_str(cf, CF_BOUNCE_DIRECTORY);

	buf_reset(out);
	if (*d != '\0')
		buf_puts(out, d);
	else
		buf_printf(out, "%s/bounce", config_str(cf, CF_STATE_DIRECTORY));
}

static int
name_byte_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("@._+=-", c) != NULL);
}

int
bouncedb_safe_name(const char *email, struct buf *out)
{
	size_t start = out->len;
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (const unsigned char *s = (const unsigned char *)email; *s; s++) {
		int rc;

		h = (h ^ *s) * 1099511628211ULL;
		if (name_byte_ok(*s) && !(*s == '.' && s == (const unsigned
		    char *)email))
			rc = buf_putc(out, *s);
		else
			rc = buf_printf(out, "%%%02X", *s);
		if (rc < 0)
			return -1;
	}
	if (out->len - start > BOUNCEDB_NAME_MAX) {
		/* Still one name per address, and within NAME_MAX. */
		buf_truncate(out, start + BOUNCEDB_NAME_MAX - 17);
		if (buf_printf(out, "~%016llx", (unsigned long long)h) < 0)
			return -1;
	}
	return out->len > start ? 0 : -1;
}

int
bouncedb_member_path(const char *dir, const char *list, const char *domain,
    const char *email, struct buf *out)
{
	if (buf_printf(out, "%s/%s@%s/", dir, list, domain) < 0)
		return -1;
	return bouncedb_safe_name(email, out);
}
