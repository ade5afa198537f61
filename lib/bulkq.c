/*
 * bulkq - the bulk queue: claims, leases, per-recipient results (see
 * bulkq.h). Every statement is a constant with parameters; arrays go to
 * the server as array literals built here, each element quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "bulkq.h"
#include "log.h"
#include "mem.h"
#include "store.h"

#define BULKQ_MAX_ATTEMPTS	30
#define BULKQ_MAX_AGE		(5L * 86400)
#define BULKQ_BACKOFF_MIN	300L
#define BULKQ_BACKOFF_MAX	14400L

/*
 * The claim, in one statement: the first due packet by the claim index
 * (bulk_packets_claim_idx: the WHERE repeats its predicate, the ORDER BY
 * its columns), locked with SKIP LOCKED so that a packet another claimer
 * holds is passed over, not waited for; then the lease, and the job's
 * fields. A row another claimer took and committed meanwhile is
 * re-checked against the WHERE on its new version, and dropped.
 */
static const char claim_sql[] =
    "WITH c AS ("
    " SELECT id FROM bulk_packets"
    " WHERE state IN ('ready', 'claimed') AND next_attempt_at <= now()"
    " AND (state = 'ready' OR lease_expires_at < now())"
    " ORDER BY priority, next_attempt_at, id LIMIT 1"
    " FOR UPDATE SKIP LOCKED),"
    " u AS ("
    " UPDATE bulk_packets p SET state = 'claimed', lease_owner = $1,"
    " lease_expires_at = now() + $2::integer * interval '1 second',"
    " attempts = p.attempts + 1"
    " FROM c WHERE p.id = c.id"
    " RETURNING p.id, p.job_id, p.priority, p.reception, p.attempts)"
    " SELECT u.id, u.job_id, u.priority, u.reception, u.attempts,"
    " j.kind, j.return_path, j.message_id, j.list_name, j.domain, j.sender,"
    " j.tracking, j.dkim_sign, j.dkim_domain, j.dkim_selector, j.verp,"
    " j.oneclick, j.personalize, j.dkim_key_path, j.dkim_identity,"
    " j.merge_nonce, j.list_id"
    " FROM u JOIN bulk_jobs j ON j.id = u.job_id";

/*
 * The recipients without a final answer, in sending order. Which of them
 * get VERP, and whether a result is for one of them, is found here in
 * sorted copies: "= ANY (array)" on the server is quadratic, and a
 * packet may hold 100,000 addresses.
 */
static const char todo_sql[] =
    "SELECT 0 AS k, x.r, x.o"
    " FROM bulk_packets p CROSS JOIN LATERAL"
    " unnest(p.recipients) WITH ORDINALITY AS x(r, o)"
    " WHERE p.id = $1::bigint AND NOT EXISTS (SELECT 1 FROM bulk_recipients b"
    " WHERE b.packet_id = p.id AND b.email = x.r"
    " AND b.state IN ('sent', 'failed'))"
    " UNION ALL"	/* the VERP ones too, in the same round trip */
    " SELECT 1, v.r, v.o FROM bulk_packets p CROSS JOIN LATERAL"
    " unnest(p.verp_recipients) WITH ORDINALITY AS v(r, o)"
    " WHERE p.id = $1::bigint"
    " ORDER BY 1, 3";

static const char message_sql[] =
    "SELECT message FROM bulk_jobs WHERE id = $1::bigint";

/* The lease check every write starts with; the row stays locked. */
static const char lock_sql[] =
    "SELECT attempts, created_at <= now() - $4::bigint * interval '1 second'"
    " FROM bulk_packets WHERE id = $1::bigint AND state = 'claimed'"
    " AND lease_owner = $2 AND attempts = $3::integer FOR UPDATE";

static const char renew_sql[] =
    "UPDATE bulk_packets"
    " SET lease_expires_at = now() + $4::integer * interval '1 second'"
    " WHERE id = $1::bigint AND state = 'claimed' AND lease_owner = $2"
    " AND attempts = $3::integer";

/*
 * The answers of one or more packets in one statement: one round trip, no
 * transaction of its own. The lease check locks each packet row that is
 * still ours (in id order, as every writer does); only their answers go
 * in. Final rows are left as they are (the WHERE of the DO UPDATE). A
 * packet asked to finish is done when these answers leave it nobody
 * without a final one: its final rows are those of the statement's
 * snapshot plus those the insert made final (a row already final is not
 * returned by i). One row per packet: id, held, rows changed, done.
 */
static const char record_sql[] =
    "WITH k AS (SELECT * FROM unnest($1::bigint[], $2::text[],"
    " $3::integer[], $4::boolean[]) AS k(id, owner, attempts, finish)),"
    " l AS (SELECT p.id, k.finish FROM bulk_packets p JOIN k ON p.id = k.id"
    " AND p.lease_owner = k.owner AND p.attempts = k.attempts"
    " WHERE p.state = 'claimed' ORDER BY p.id FOR UPDATE OF p),"
    " i AS (INSERT INTO bulk_recipients (packet_id, email, state, smtp_status,"
    " done_at, attempts)"
    " SELECT u.id, u.e, u.s, u.t,"
    " CASE WHEN u.s = 'deferred' THEN NULL ELSE now() END, 1"
    " FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[])"
    " AS u(id, e, s, t) WHERE u.id IN (SELECT id FROM l)"
    " ON CONFLICT (packet_id, email) DO UPDATE SET state = EXCLUDED.state,"
    " smtp_status = EXCLUDED.smtp_status, done_at = EXCLUDED.done_at,"
    " attempts = bulk_recipients.attempts + 1"
    " WHERE bulk_recipients.state NOT IN ('sent', 'failed')"
    " RETURNING packet_id, state),"
    " d AS (UPDATE bulk_packets p SET state = 'done', finished_at = now(),"
    " lease_owner = NULL, lease_expires_at = NULL, last_error = NULL"
    " FROM l WHERE p.id = l.id AND l.finish AND cardinality(p.recipients) ="
    " (SELECT count(*) FROM bulk_recipients b WHERE b.packet_id = l.id"
    " AND b.state IN ('sent', 'failed'))"
    " + (SELECT count(*) FROM i WHERE i.packet_id = l.id"
    " AND i.state IN ('sent', 'failed'))"
    " RETURNING p.id)"
    " SELECT k.id, l.id IS NOT NULL,"
    " (SELECT count(*) FROM i WHERE i.packet_id = k.id), d.id IS NOT NULL"
    " FROM k LEFT JOIN l ON l.id = k.id LEFT JOIN d ON d.id = k.id";

/*
 * A packet lists an address once, and bulk_recipients holds rows only for
 * its addresses (bulkq_record ignores others): the final rows counted by
 * the index are subtracted, with no probe per address.
 */
static const char remaining_sql[] =
    "SELECT cardinality(p.recipients) - (SELECT count(*)"
    " FROM bulk_recipients b WHERE b.packet_id = p.id"
    " AND b.state IN ('sent', 'failed'))"
    " FROM bulk_packets p WHERE p.id = $1::bigint";

static const char done_sql[] =
    "UPDATE bulk_packets SET state = 'done', finished_at = now(),"
    " lease_owner = NULL, lease_expires_at = NULL, last_error = NULL"
    " WHERE id = $1::bigint";

/*
 * Back to the queue after the packet's own backoff, or later when every
 * remaining recipient's domain is in backoff: until the first of them
 * may be tried again (a domain without a note may be tried now).
 */
static const char retry_sql[] =
    "UPDATE bulk_packets p SET state = 'ready', lease_owner = NULL,"
    " lease_expires_at = NULL,"
    " next_attempt_at = greatest(now() + $2::bigint * interval '1 second',"
    " (SELECT min(coalesce(d.until, now())) FROM unnest(p.recipients) r"
    " LEFT JOIN bulk_domain_backoff d"
    " ON d.domain = substring(r FROM '@([^@]+)$')"
    " WHERE NOT EXISTS (SELECT 1 FROM bulk_recipients b"
    " WHERE b.packet_id = p.id AND b.email = r"
    " AND b.state IN ('sent', 'failed'))))"
    " WHERE p.id = $1::bigint";

/*
 * Domain notes from one transaction's results: a domain with a 2xx is
 * cleared; one whose every result was deferred gets a backoff doubling
 * with its deferrals ($4 the first, $5 the cap). Inserted in domain
 * order, so that concurrent notes lock rows in one order.
 */
static const char note_domains_sql[] =
    "WITH r AS (SELECT substring(u.e FROM '@([^@]+)$') AS d, u.s, u.t"
    " FROM unnest($1::text[], $2::text[], $3::text[]) AS u(e, s, t)),"
    " g AS (SELECT d, bool_or(s = 'sent') AS ok,"
    " bool_and(s = 'deferred') AS deferred, max(t) AS t FROM r"
    " WHERE d ~ '^[^[:cntrl:][:space:]@]{1,255}$' GROUP BY d),"
    " gone AS (DELETE FROM bulk_domain_backoff b USING g"
    " WHERE b.domain = g.d AND g.ok)"
    " INSERT INTO bulk_domain_backoff AS b (domain, deferrals, until,"
    " last_status)"
    " SELECT d, 1, now() + $4::bigint * interval '1 second', t FROM g"
    " WHERE deferred ORDER BY d"
    " ON CONFLICT (domain) DO UPDATE SET deferrals = b.deferrals + 1,"
    " until = now() + least($5::numeric,"
    " $4::numeric * 2::numeric ^ least(b.deferrals, 30))::bigint"
    " * interval '1 second',"
    " last_status = EXCLUDED.last_status, updated_at = now()";

static const char domain_wait_sql[] =
    "SELECT greatest(0, ceil(extract(epoch FROM until - now())))::bigint"
    " FROM bulk_domain_backoff WHERE domain = $1";

static const char domains_purge_sql[] =
    "DELETE FROM bulk_domain_backoff"
    " WHERE until < now() - $1::bigint * interval '1 second'";

/* Giving up: whoever has no final answer fails, with its last reply. */
static const char give_up_rcpts_sql[] =
    "INSERT INTO bulk_recipients (packet_id, email, state, smtp_status,"
    " done_at, attempts)"
    " SELECT DISTINCT p.id, r, 'failed', $2, now(), 0"
    " FROM bulk_packets p, unnest(p.recipients) r WHERE p.id = $1::bigint"
    " ON CONFLICT (packet_id, email) DO UPDATE SET state = 'failed',"
    " done_at = now(), smtp_status = left(EXCLUDED.smtp_status"
    " || coalesce('; last reply: ' || bulk_recipients.smtp_status, ''), 512)"
    " WHERE bulk_recipients.state NOT IN ('sent', 'failed')";

static const char give_up_sql[] =
    "UPDATE bulk_packets SET state = 'failed', finished_at = now(),"
    " lease_owner = NULL, lease_expires_at = NULL, last_error = $2"
    " WHERE id = $1::bigint";

/* The attempt a release gives back is not counted (see bulkq.h). */
static const char release_sql[] =
    "UPDATE bulk_packets SET state = 'ready', lease_owner = NULL,"
    " lease_expires_at = NULL, attempts = greatest(attempts - 1, 0)"
    " WHERE id = $1::bigint AND state = 'claimed' AND lease_owner = $2"
    " AND attempts = $3::integer";

/* -- small helpers ----------------------------------------------------- */

static int
bulkq_owner_valid(const char *owner)
{
	size_t len;

	if (owner == NULL || (len = strlen(owner)) == 0 ||
	    len > BULKQ_OWNER_MAX)
		return 0;
	for (; *owner != '\0'; owner++)
		if ((unsigned char)*owner <= ' ' || (unsigned char)*owner >= 0x7f)
			return 0;
	return 1;
}

/* A copy of a column's text, or NULL for SQL NULL. */
static char *
bulkq_col(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return xstrdup(PQgetvalue(res, row, col));
}

static int
bulkq_col_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) &&
	    strcmp(PQgetvalue(res, row, col), "t") == 0;
}

void
bulkq_packet_free(struct bulkq_packet *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nrcpts; i++)
		free(p->rcpts[i]);
	free(p->rcpts);
	/* verp and byname point into rcpts. */
	free(p->verp);
	free(p->byname);
	free(p->owner);
	free(p->kind);
	free(p->return_path);
	free(p->message_id);
	free(p->list_name);
	free(p->domain);
	free(p->sender);
	free(p->tracking);
	free(p->dkim_domain);
	free(p->dkim_selector);
	free(p->dkim_key_path);
	free(p->dkim_identity);
	free(p->merge_nonce);
	memset(p, 0, sizeof(*p));
}

/* The handle's lease as parameters: id, owner, attempts. */
struct lease_params {
	char	 id[24];
	char	 attempts[16];
};

static void
lease_params_of(const struct bulkq_packet *p, struct lease_params *lp)
{
	snprintf(lp->id, sizeof(lp->id), "%lld", p->id);
	snprintf(lp->attempts, sizeof(lp->attempts), "%d", p->attempts);
}

/* -- claim ------------------------------------------------------------- */

/* The job's fields and the packet's, from the claim's one row. */
static void
bulkq_fill(struct bulkq_packet *out, const PGresult *res, const char *owner)
{
	char *s;

	out->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	out->job_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	out->priority = atoi(PQgetvalue(res, 0, 2));
	snprintf(out->reception, sizeof(out->reception), "%s",
	    PQgetvalue(res, 0, 3));
	out->attempts = atoi(PQgetvalue(res, 0, 4));
	out->owner = xstrdup(owner);
	out->kind = xstrdup(PQgetvalue(res, 0, 5));
	out->return_path = xstrdup(PQgetvalue(res, 0, 6));
	out->message_id = bulkq_col(res, 0, 7);
	out->list_name = bulkq_col(res, 0, 8);
	out->domain = xstrdup(PQgetvalue(res, 0, 9));
	out->sender = bulkq_col(res, 0, 10);
	out->tracking = bulkq_col(res, 0, 11);
	out->dkim_sign = bulkq_col_bool(res, 0, 12);
	if (out->dkim_sign) {
		out->dkim_domain = bulkq_col(res, 0, 13);
		out->dkim_selector = bulkq_col(res, 0, 14);
		out->dkim_key_path = bulkq_col(res, 0, 18);
		out->dkim_identity = bulkq_col(res, 0, 19);
	}
	out->verp_flag = bulkq_col_bool(res, 0, 15);
	out->oneclick = bulkq_col_bool(res, 0, 16);
	out->merge_nonce = bulkq_col_bool(res, 0, 17) ?
	    bulkq_col(res, 0, 20) : NULL;
	if (!PQgetisnull(res, 0, 21))
		out->list_id = strtoll(PQgetvalue(res, 0, 21), NULL, 10);
	/* A message_id the schema allows is never empty; keep NULL. */
	if ((s = out->message_id) != NULL && *s == '\0') {
		free(s);
		out->message_id = NULL;
	}
}

static int
bulkq_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is s one of the n sorted strings? */
static int
bulkq_sorted_has(char *const *sorted, size_t n, const char *s)
{
	return n > 0 && bsearch(&s, sorted, n, sizeof(*sorted),
	    bulkq_strp_cmp) != NULL;
}

/* The VERP subset of out->rcpts (rows [first, nrows) of res), in order. */
static void
bulkq_fill_verp(struct bulkq_packet *out, PGresult *res, size_t first,
    size_t nrows)
{
	size_t n = nrows - first;
	char **verp = xcalloc(n + 1, sizeof(*verp));

	for (size_t i = 0; i < n; i++)
		verp[i] = PQgetvalue(res, (int)(first + i), 1);
	qsort(verp, n, sizeof(*verp), bulkq_strp_cmp);
	for (size_t i = 0; i < out->nrcpts; i++)
		if (bulkq_sorted_has(verp, n, out->rcpts[i]))
			out->verp[out->nverp++] = out->rcpts[i];
	free(verp);
}

/* The recipients still to send, their VERP subset, the sorted index. */
static int
bulkq_load_todo(struct store *st, struct bulkq_packet *out)
{
	char id[24];
	const char *p[] = { id };
	PGresult *res;
	size_t n = 0, nrows;
	int rc;

	snprintf(id, sizeof(id), "%lld", out->id);
	if ((rc = store_query(st, todo_sql, 1, p, &res)) != STORE_OK)
		return rc;
	nrows = (size_t)PQntuples(res);
	while (n < nrows && strcmp(PQgetvalue(res, (int)n, 0), "0") == 0)
		n++;
	out->rcpts = xcalloc(n + 1, sizeof(*out->rcpts));
	out->verp = xcalloc(n + 1, sizeof(*out->verp));
	out->byname = xcalloc(n + 1, sizeof(*out->byname));
	for (size_t i = 0; i < n; i++)
		out->rcpts[i] = out->byname[i] =
		    xstrdup(PQgetvalue(res, (int)i, 1));
	out->nrcpts = n;
	qsort(out->byname, n, sizeof(*out->byname), bulkq_strp_cmp);
	bulkq_fill_verp(out, res, n, nrows);
	PQclear(res);
	return STORE_OK;
}

int
bulkq_claim(struct store *st, const char *owner, int lease_seconds,
    struct bulkq_packet *out, int *found)
{
	char secs[16];
	const char *p[] = { owner, secs };
	PGresult *res = NULL;
	int own, rc;

	memset(out, 0, sizeof(*out));
	*found = 0;
	if (!bulkq_owner_valid(owner) || lease_seconds < 1) {
		log_error("bulkq: claim: bad owner or lease");
		return STORE_ERROR;
	}
	snprintf(secs, sizeof(secs), "%d", lease_seconds);
	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	rc = store_query(st, claim_sql, STORE_NPARAMS(p), p, &res);
	if (rc == STORE_OK && PQntuples(res) == 1) {
		bulkq_fill(out, res, owner);
		rc = bulkq_load_todo(st, out);
	}
	if (res != NULL)
		PQclear(res);
	rc = store_unjoin(st, own, rc);
	if (rc != STORE_OK) {
		bulkq_packet_free(out);
		return rc;
	}
	*found = out->id != 0;
	return STORE_OK;
}

int
bulkq_claim_plan(struct store *st, struct buf *plan)
{
	static const char explain[] = "EXPLAIN ";
	struct buf q = BUF_INIT(BUF_UNLIMITED);
	const char *p[] = { "explain:0", "60" };
	PGresult *res;
	int rc;

	if (buf_puts(&q, explain) == -1 || buf_puts(&q, claim_sql) == -1) {
		buf_free(&q);
		return STORE_ERROR;
	}
	rc = store_query(st, buf_cstr(&q), STORE_NPARAMS(p), p, &res);
	buf_free(&q);
	if (rc != STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(res) && rc == STORE_OK; i++)
		if (buf_puts(plan, PQgetvalue(res, i, 0)) == -1 ||
		    buf_putc(plan, '\n') == -1)
			rc = STORE_ERROR;
	PQclear(res);
	return rc;
}

int
bulkq_message(struct store *st, long long job_id, struct buf *out)
{
	char id[24];
	const char *p[] = { id };
	PGresult *res;
	int rc;

	snprintf(id, sizeof(id), "%lld", job_id);
	/* Binary results: the bytes as they are, no bytea escaping. */
	if ((rc = store_exec(st, message_sql, 1, p, NULL, NULL, 1,
	    PGRES_TUPLES_OK, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) != 1) {
		log_error("bulkq: job %lld: no such job", job_id);
		rc = STORE_ERROR;
	} else if (buf_append(out, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0)) == -1) {
		log_error("bulkq: job %lld: message larger than the buffer",
		    job_id);
		rc = STORE_ERROR;
	}
	PQclear(res);
	return rc;
}

static int bulkq_array_elem(struct buf *b, const char *s);

static const char names_sql[] =
    "SELECT r.o, s.name FROM unnest($2::text[]) WITH ORDINALITY AS r(e, o)"
    " JOIN subscribers s ON s.list_id = $1::bigint AND s.email = r.e"
    " WHERE s.name IS NOT NULL";

int
bulkq_member_names(struct store *st, const struct bulkq_packet *p,
    char ***names)
{
	struct buf emails = BUF_INIT(BUF_UNLIMITED);
	char id[24];
	const char *v[] = { id, NULL };
	PGresult *res;
	int rc = buf_putc(&emails, '{');

	*names = xcalloc(p->nrcpts > 0 ? p->nrcpts : 1, sizeof(**names));
	for (size_t i = 0; i < p->nrcpts && rc == 0; i++)
		rc = bulkq_array_elem(&emails, p->rcpts[i]);
	if (rc != 0 || buf_putc(&emails, '}') != 0) {
		buf_free(&emails);
		return STORE_ERROR;
	}
	snprintf(id, sizeof(id), "%lld", p->list_id);
	v[1] = buf_cstr(&emails);
	rc = store_query(st, names_sql, STORE_NPARAMS(v), v, &res);
	buf_free(&emails);
	if (rc != STORE_OK)
		return rc;
	for (int r = 0; r < PQntuples(res); r++) {
		long long o = strtoll(PQgetvalue(res, r, 0), NULL, 10);

		if (o >= 1 && (size_t)o <= p->nrcpts && (*names)[o - 1] == NULL)
			(*names)[o - 1] = xstrdup(PQgetvalue(res, r, 1));
	}
	PQclear(res);
	return STORE_OK;
}

/* -- the lease --------------------------------------------------------- */

int
bulkq_renew(struct store *st, const struct bulkq_packet *p,
    int lease_seconds)
{
	struct lease_params lp;
	char secs[16];
	const char *v[] = { lp.id, p->owner, lp.attempts, secs };
	long long affected = 0;
	int rc;

	if (p->owner == NULL || lease_seconds < 1)
		return STORE_ERROR;
	lease_params_of(p, &lp);
	snprintf(secs, sizeof(secs), "%d", lease_seconds);
	if ((rc = store_cmd(st, renew_sql, STORE_NPARAMS(v), v, &affected)) !=
	    STORE_OK)
		return rc;
	if (affected == 0) {
		log_warn("bulkq: packet %lld: lease lost (taken over, "
		    "or ended)", p->id);
		return BULKQ_LOST;
	}
	return STORE_OK;
}

/*
 * Lock the packet if the lease is ours: BULKQ_LOST if not. *old (may be
 * NULL) says whether the packet is older than max_age seconds.
 */
static int
bulkq_lock(struct store *st, const struct bulkq_packet *p, long max_age,
    int *old)
{
	struct lease_params lp;
	char age[24];
	const char *v[] = { lp.id, p->owner, lp.attempts, age };
	PGresult *res;
	int rc;

	if (p->owner == NULL)
		return STORE_ERROR;
	lease_params_of(p, &lp);
	snprintf(age, sizeof(age), "%ld", max_age);
	if ((rc = store_query(st, lock_sql, STORE_NPARAMS(v), v, &res)) !=
	    STORE_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		log_warn("bulkq: packet %lld: lease lost (taken over, "
		    "or ended)", p->id);
		return BULKQ_LOST;
	}
	if (old != NULL)
		*old = bulkq_col_bool(res, 0, 1);
	PQclear(res);
	return STORE_OK;
}

int
bulkq_release(struct store *st, const struct bulkq_packet *p)
{
	struct lease_params lp;
	const char *v[] = { lp.id, p->owner, lp.attempts };
	long long affected = 0;
	int rc;

	if (p->owner == NULL)
		return STORE_ERROR;
	lease_params_of(p, &lp);
	if ((rc = store_cmd(st, release_sql, STORE_NPARAMS(v), v, &affected)) !=
	    STORE_OK)
		return rc;
	return affected == 0 ? BULKQ_LOST : STORE_OK;
}

/* -- results ----------------------------------------------------------- */

enum bulkq_state
bulkq_state_of(int code)
{
	if (code >= 200 && code <= 299)
		return BULKQ_SENT;
	if (code >= 500 && code <= 599)
		return BULKQ_FAILED;
	return BULKQ_DEFERRED;
}

static const char *const bulkq_state_names[] = {
	[BULKQ_SENT] = "sent",
	[BULKQ_DEFERRED] = "deferred",
	[BULKQ_FAILED] = "failed",
};

/*
 * One element of an array literal: quoted, '"' and '\' escaped, after a
 * ',' unless it is the first (b holds just "{"). s NULL is SQL NULL.
 */
static int
bulkq_array_elem(struct buf *b, const char *s)
{
	if (b->len > 1 && buf_putc(b, ',') == -1)
		return -1;
	if (s == NULL)
		return buf_puts(b, "NULL");
	if (buf_putc(b, '"') == -1)
		return -1;
	for (; *s != '\0'; s++) {
		if ((*s == '"' || *s == '\\') && buf_putc(b, '\\') == -1)
			return -1;
		if (buf_putc(b, *s) == -1)
			return -1;
	}
	return buf_putc(b, '"');
}

/*
 * An SMTP reply as the schema stores it: one line of printable ASCII
 * (a multi-line reply's CR LF become spaces, other bytes '?'), at most
 * BULKQ_STATUS_MAX bytes. NULL for none.
 */
static const char *
bulkq_status_clean(struct buf *b, const char *s)
{
	buf_reset(b);
	if (s == NULL || *s == '\0')
		return NULL;
	for (; *s != '\0' && b->len < BULKQ_STATUS_MAX; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		else if (c < ' ' || c >= 0x7f)
			c = '?';
		if (buf_putc(b, c) == -1)
			break;
	}
	return buf_cstr(b);
}

/*
 * Elements of the array parameters of record_sql and note_domains_sql,
 * appended (each buf opened with "{" by the caller). With a packet, a
 * result for an address it was not claimed for is left out (logged), so
 * that the bounce machinery never reads a result for someone the packet
 * did not hold, and ids (when not NULL) gets the packet's id for each.
 */
static int
bulkq_results_arrays(const struct bulkq_packet *p,
    const struct bulkq_result *r, size_t n, struct buf *ids,
    struct buf *emails, struct buf *states, struct buf *statuses)
{
	struct buf clean = BUF_INIT(BULKQ_STATUS_MAX + 1);
	char id[24];
	int rc = 0;

	snprintf(id, sizeof(id), "%lld", p != NULL ? p->id : 0LL);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (r[i].email == NULL || *r[i].email == '\0') {
			rc = -1;
			break;
		}
		if (p != NULL && !bulkq_sorted_has(p->byname, p->nrcpts,
		    r[i].email)) {
			log_warn("bulkq: packet %lld: result for %s ignored "
			    "(not claimed with the packet)", p->id, r[i].email);
			continue;
		}
		if (ids != NULL)
			rc |= bulkq_array_elem(ids, id);
		rc |= bulkq_array_elem(emails, r[i].email);
		rc |= bulkq_array_elem(states,
		    bulkq_state_names[bulkq_state_of(r[i].code)]);
		rc |= bulkq_array_elem(statuses,
		    bulkq_status_clean(&clean, r[i].status));
	}
	buf_free(&clean);
	return rc;
}

/* record_sql's eight array parameters, in the order of its $n. */
struct record_params {
	struct buf	 v[8];
};

static void
record_params_free(struct record_params *rp)
{
	for (size_t i = 0; i < 8; i++)
		buf_free(&rp->v[i]);
}

static int
record_params_make(const struct bulkq_batch_item *items, size_t n,
    struct record_params *rp)
{
	char num[24];
	int rc = 0;

	for (size_t i = 0; i < 8; i++) {
		rp->v[i] = (struct buf)BUF_INIT(BUF_UNLIMITED);
		rc |= buf_putc(&rp->v[i], '{');
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct bulkq_packet *p = items[i].p;

		if (p->owner == NULL) {
			log_error("bulkq: packet %lld: not claimed", p->id);
			return -1;
		}
		snprintf(num, sizeof(num), "%lld", p->id);
		rc |= bulkq_array_elem(&rp->v[0], num);
		rc |= bulkq_array_elem(&rp->v[1], p->owner);
		snprintf(num, sizeof(num), "%d", p->attempts);
		rc |= bulkq_array_elem(&rp->v[2], num);
		rc |= bulkq_array_elem(&rp->v[3], items[i].finish ? "t" : "f");
		if (bulkq_results_arrays(p, items[i].results, items[i].n,
		    &rp->v[4], &rp->v[5], &rp->v[6], &rp->v[7]) != 0) {
			log_error("bulkq: packet %lld: bad results", p->id);
			return -1;
		}
	}
	for (size_t i = 0; i < 8; i++)
		rc |= buf_putc(&rp->v[i], '}');
	return rc == 0 ? 0 : -1;
}

/* record_sql's rows into the items; BULKQ_LOST if a lease was not ours. */
static int
record_result(struct bulkq_batch_item *items, size_t n, PGresult *res)
{
	int rc = STORE_OK;

	for (size_t i = 0; i < n; i++) {
		items[i].held = items[i].finished = 0;
		items[i].recorded = 0;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		long long id = strtoll(PQgetvalue(res, r, 0), NULL, 10);

		for (size_t i = 0; i < n; i++) {
			if (items[i].p->id != id)
				continue;
			items[i].held = *PQgetvalue(res, r, 1) == 't';
			items[i].recorded = strtoll(PQgetvalue(res, r, 2),
			    NULL, 10);
			items[i].finished = *PQgetvalue(res, r, 3) == 't';
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!items[i].held) {
			log_warn("bulkq: packet %lld: lease lost (taken over, "
			    "or ended)", items[i].p->id);
			rc = BULKQ_LOST;
		}
	PQclear(res);
	return rc;
}

static const char *const *
record_values(const struct record_params *rp, const char **v)
{
	for (size_t i = 0; i < 8; i++)
		v[i] = buf_cstr(&rp->v[i]);
	return v;
}

int
bulkq_record_batch(struct store *st, struct bulkq_batch_item *items,
    size_t n)
{
	struct record_params rp;
	const char *v[8];
	PGresult *res;
	int rc;

	if (n == 0)
		return STORE_OK;
	if (record_params_make(items, n, &rp) == -1)
		rc = STORE_ERROR;
	else if ((rc = store_query(st, record_sql, 8, record_values(&rp, v),
	    &res)) == STORE_OK)
		rc = record_result(items, n, res);
	record_params_free(&rp);
	return rc;
}

int
bulkq_record(struct store *st, const struct bulkq_packet *p,
    const struct bulkq_result *results, size_t n, long long *recorded)
{
	struct bulkq_batch_item item = { .p = p, .results = results, .n = n };
	int rc;

	if (recorded != NULL)
		*recorded = 0;
	if (n == 0)
		return STORE_OK;
	rc = bulkq_record_batch(st, &item, 1);
	if (rc == STORE_OK && recorded != NULL)
		*recorded = item.recorded;
	return rc;
}

int
bulkq_record_send(struct store *st, const struct bulkq_batch_item *items,
    size_t n)
{
	struct record_params rp;
	const char *v[8];
	int rc;

	if (record_params_make(items, n, &rp) == -1)
		rc = STORE_ERROR;
	else
		rc = store_send(st, record_sql, 8, record_values(&rp, v));
	record_params_free(&rp);
	return rc;
}

int
bulkq_record_receive(struct store *st, struct bulkq_batch_item *items,
    size_t n, int *done)
{
	PGresult *res;
	int rc = store_receive(st, PGRES_TUPLES_OK, &res, done);

	if (rc != STORE_OK || !*done)
		return rc;
	return record_result(items, n, res);
}

/* -- the end of a claim ------------------------------------------------ */

static void
bulkq_policy_of(const struct bulkq_policy *in, struct bulkq_policy *pol)
{
	pol->max_attempts = in && in->max_attempts > 0 ? in->max_attempts :
	    BULKQ_MAX_ATTEMPTS;
	pol->max_age = in && in->max_age > 0 ? in->max_age : BULKQ_MAX_AGE;
	pol->backoff_min = in && in->backoff_min > 0 ? in->backoff_min :
	    BULKQ_BACKOFF_MIN;
	pol->backoff_max = in && in->backoff_max > 0 ? in->backoff_max :
	    BULKQ_BACKOFF_MAX;
}

long
bulkq_backoff(const struct bulkq_policy *in, int attempts)
{
	struct bulkq_policy pol;
	long delay;

	bulkq_policy_of(in, &pol);
	delay = pol.backoff_min;
	/* Doubling stops at the cap, so this never overflows. */
	for (int i = 1; i < attempts && delay < pol.backoff_max; i++)
		delay *= 2;
	return delay < pol.backoff_max ? delay : pol.backoff_max;
}

static int
bulkq_remaining(struct store *st, const char *id, long long *left)
{
	const char *v[] = { id };

	return store_scalar_int(st, remaining_sql, 1, v, left);
}

/* The rest fail: the attempts or the age are spent. */
static int
bulkq_give_up(struct store *st, const struct bulkq_packet *p, const char *id)
{
	char why[96];
	const char *v[] = { id, why };
	int rc;

	snprintf(why, sizeof(why), "herald: gave up after %d attempts",
	    p->attempts);
	if ((rc = store_cmd(st, give_up_rcpts_sql, STORE_NPARAMS(v), v,
	    NULL)) != STORE_OK)
		return rc;
	log_info("bulkq: packet %lld: %s", p->id, why);
	return store_cmd(st, give_up_sql, STORE_NPARAMS(v), v, NULL);
}

int
bulkq_finish(struct store *st, const struct bulkq_packet *p,
    const struct bulkq_policy *in, enum bulkq_end *end)
{
	struct bulkq_policy pol;
	char id[24], delay[24];
	long long left = 0;
	int own, old = 0, rc;

	bulkq_policy_of(in, &pol);
	snprintf(id, sizeof(id), "%lld", p->id);
	if ((rc = store_join(st, &own)) != STORE_OK)
		return rc;
	if ((rc = bulkq_lock(st, p, pol.max_age, &old)) == STORE_OK)
		rc = bulkq_remaining(st, id, &left);
	if (rc != STORE_OK)
		return store_unjoin(st, own, rc);
	if (left == 0) {
		const char *v[] = { id };

		rc = store_cmd(st, done_sql, 1, v, NULL);
		if (end != NULL)
			*end = BULKQ_DONE;
	} else if (old || p->attempts >= pol.max_attempts) {
		rc = bulkq_give_up(st, p, id);
		if (end != NULL)
			*end = BULKQ_GAVE_UP;
	} else {
		const char *v[] = { id, delay };

		snprintf(delay, sizeof(delay), "%ld",
		    bulkq_backoff(&pol, p->attempts));
		rc = store_cmd(st, retry_sql, STORE_NPARAMS(v), v, NULL);
		if (end != NULL)
			*end = BULKQ_RETRY;
	}
	return store_unjoin(st, own, rc);
}

/* -- domains ----------------------------------------------------------- */

int
bulkq_note_domains(struct store *st, const struct bulkq_result *results,
    size_t n, const struct bulkq_policy *in)
{
	struct buf emails = BUF_INIT(BUF_UNLIMITED);
	struct buf states = BUF_INIT(BUF_UNLIMITED);
	struct buf statuses = BUF_INIT(BUF_UNLIMITED);
	struct bulkq_policy pol;
	char lo[24], hi[24];
	int rc;

	if (n == 0)
		return STORE_OK;
	bulkq_policy_of(in, &pol);
	snprintf(lo, sizeof(lo), "%ld", pol.backoff_min);
	snprintf(hi, sizeof(hi), "%ld", pol.backoff_max);
	rc = buf_putc(&emails, '{') | buf_putc(&states, '{') |
	    buf_putc(&statuses, '{');
	rc |= bulkq_results_arrays(NULL, results, n, NULL, &emails, &states,
	    &statuses);
	rc |= buf_putc(&emails, '}') | buf_putc(&states, '}') |
	    buf_putc(&statuses, '}');
	if (rc != 0) {
		log_error("bulkq: domain notes: bad results");
		rc = STORE_ERROR;
	} else {
		const char *v[] = { buf_cstr(&emails), buf_cstr(&states),
		    buf_cstr(&statuses), lo, hi };

		rc = store_cmd(st, note_domains_sql, STORE_NPARAMS(v), v,
		    NULL);
	}
	buf_free(&emails);
	buf_free(&states);
	buf_free(&statuses);
	return rc;
}

int
bulkq_domain_wait(struct store *st, const char *domain, long *seconds)
{
	const char *v[] = { domain };
	PGresult *res;
	int rc;

	*seconds = 0;
	if ((rc = store_query(st, domain_wait_sql, 1, v, &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) == 1)
		*seconds = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

int
bulkq_domains_purge(struct store *st, long keep_seconds, long long *deleted)
{
	char keep[24];
	const char *v[] = { keep };

	snprintf(keep, sizeof(keep), "%ld", keep_seconds);
	return store_cmd(st, domains_purge_sql, 1, v, deleted);
}
