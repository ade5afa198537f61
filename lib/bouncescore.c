/*
 * bouncescore - the score in SQL and in C, the levels' actions, the
 * expiry of bounce data, and the two messages they send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bouncescore.h"
#include "date.h"
#include "log.h"
#include "mem.h"
#include "packet.h"

#define BOUNCESCORE_MSG_MAX	(4u * 1024 * 1024)	/* one message */
#define BOUNCESCORE_PRIORITY	1	/* service mail goes before posts */

/* -- the formula ------------------------------------------------------ */

static long long
bouncescore_day_of(time_t t)
{
	long long s = (long long)t;

	/* Rounded down, as the SQL's floor() (Perl's int() for t >= 0). */
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/*
 * Sympa's arithmetic, in doubles and in its order (the SQL below does
 * the same), so that C and SQL agree to the last bit, halves included.
 */
static double
bouncescore_note(long long count, long long bo, long long eo,
    long long minday, long long msgs, int soft)
{
	double adj = (double)count;

	if (eo != bo)
		adj = (double)count * ((double)(eo - minday) /
		    (double)(eo - bo));
	return (double)count * (adj / (double)msgs) * (soft ? 0.5 : 1.0);
}

int
bouncescore_compute(const struct bouncescore_params *p,
    const struct bouncescore_history *h, int *score)
{
	long long bo = bouncescore_day_of(h->first) - p->delay;
	long long eo = bouncescore_day_of(h->last) - p->delay;
	long long msgs = 0, minday = 0;
	int have = 0, soft = h->status != NULL && h->status[0] == '4';
	double note;

	if (h->count < p->min_count || eo - bo < p->min_period)
		return 0;
	for (size_t i = 0; i < h->ndays; i++) {
		if (h->days[i].day < bo || h->days[i].day > eo ||
		    h->days[i].posts <= 0)
			continue;
		if (!have || h->days[i].day < minday)
			minday = h->days[i].day;
		have = 1;
		msgs += h->days[i].posts;
	}
	if (!have)
		minday = eo;
	if (msgs == 0)
		msgs = 1;
	/* Perl's int(note + 0.5): the note is never negative. */
	note = bouncescore_note(h->count, bo, eo, minday, msgs, soft) + 0.5;
	*score = note >= BOUNCESCORE_MAX ? BOUNCESCORE_MAX : (int)note;
	return 1;
}

/*
 * Every bouncing member of the lists ($4, or all): m their day numbers,
 * d the lists' posts per day, t each member's posts in its period, sc the
 * scores (NULL below the minimums), then only the rows that change are
 * written.
 */
static const char eval_sql[] =
    "WITH m AS ("
    " SELECT s.list_id, s.email, s.bounce_count::bigint AS cnt,"
    "  floor(extract(epoch FROM s.bounce_first_at) / 86400)::bigint"
    "   - $1::bigint AS bo,"
    "  floor(extract(epoch FROM s.bounce_last_at) / 86400)::bigint"
    "   - $1::bigint AS eo,"
    "  COALESCE(s.bounce_status LIKE '4%', false) AS soft"
    " FROM subscribers s"
    " WHERE s.bounce_count > 0 AND s.bounce_first_at IS NOT NULL"
    "  AND ($4::bigint IS NULL OR s.list_id = $4::bigint)),"
    " d AS ("
    " SELECT j.list_id,"
    "  floor(extract(epoch FROM j.created_at) / 86400)::bigint AS day,"
    "  count(*) AS n"
    " FROM bulk_jobs j"
    " WHERE j.kind = 'post' AND j.list_id IN (SELECT list_id FROM m)"
    " GROUP BY 1, 2),"
    " t AS ("
    " SELECT m.list_id, m.email, m.cnt, m.bo, m.eo, m.soft,"
    "  greatest(COALESCE(sum(d.n), 0), 1)::float8 AS msgs,"
    "  COALESCE(min(d.day), m.eo) AS minday"
    " FROM m LEFT JOIN d ON d.list_id = m.list_id"
    "  AND d.day BETWEEN m.bo AND m.eo"
    " GROUP BY m.list_id, m.email, m.cnt, m.bo, m.eo, m.soft),"
    " sc AS ("
    " SELECT list_id, email, CASE"
    "  WHEN cnt < $2::bigint OR eo - bo < $3::bigint THEN NULL"
    "  ELSE least(100, floor(cnt::float8 * ((CASE WHEN eo = bo"
    "   THEN cnt::float8 ELSE cnt::float8 * ((eo - minday)::float8"
    "   / (eo - bo)::float8) END) / msgs)"
    "   * (CASE WHEN soft THEN 0.5 ELSE 1.0 END) + 0.5))::smallint"
    "  END AS score"
    " FROM t),"
    " upd AS ("
    " UPDATE subscribers s SET bounce_score = sc.score FROM sc"
    " WHERE s.list_id = sc.list_id AND s.email = sc.email"
    "  AND s.bounce_score IS DISTINCT FROM sc.score"
    " RETURNING 1)"
    " SELECT count(score), count(*) - count(score),"
    "  (SELECT count(*) FROM upd) FROM sc";

int
bouncescore_eval(struct store *st, const struct bouncescore_params *p,
    const char *list_id, struct bouncescore_eval_stats *out)
{
	char delay[24], count[24], period[24];
	const char *params[] = { delay, count, period, list_id };
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(delay, sizeof(delay), "%d", p->delay);
	snprintf(count, sizeof(count), "%d", p->min_count);
	snprintf(period, sizeof(period), "%d", p->min_period);
	if ((rc = store_query(st, eval_sql, STORE_NPARAMS(params), params,
	    &res)) != STORE_OK)
		return rc;
	if (PQntuples(res) == 1) {
		out->scored = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		out->unscored = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		out->changed = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	}
	PQclear(res);
	return STORE_OK;
}

/* -- the levels ------------------------------------------------------- */

static const char *const bouncescore_action_names[] = {
	[BOUNCESCORE_NONE] = "none",
	[BOUNCESCORE_NOTIFY] = "notify_bouncers",
	[BOUNCESCORE_REMOVE] = "remove_bouncers",
};

int
bouncescore_action_parse(const char *s, enum bouncescore_action *out)
{
	for (size_t i = 0; i < sizeof(bouncescore_action_names) /
	    sizeof(bouncescore_action_names[0]); i++)
		if (strcmp(s, bouncescore_action_names[i]) == 0) {
			*out = (enum bouncescore_action)i;
			return 0;
		}
	return -1;
}

const char *
bouncescore_action_name(enum bouncescore_action a)
{
	return (size_t)a < sizeof(bouncescore_action_names) /
	    sizeof(bouncescore_action_names[0]) ?
	    bouncescore_action_names[a] : "?";
}

int
bouncescore_tell_parse(const char *s, enum bouncescore_tell *out)
{
	if (strcmp(s, "none") == 0)
		*out = BOUNCESCORE_TELL_NOBODY;
	else if (strcmp(s, "owner") == 0)
		*out = BOUNCESCORE_TELL_OWNER;
	else if (strcmp(s, "listmaster") == 0)
		*out = BOUNCESCORE_TELL_LISTMASTER;
	else
		return -1;
	return 0;
}

int
bouncescore_level_of(const struct bouncescore_level levels[2], int score)
{
	if (score >= levels[1].rate)
		return 2;
	if (score >= levels[0].rate)
		return 1;
	return 0;
}

/* -- the mail --------------------------------------------------------- */

static const char *
bouncescore_robot(const char *localpart)
{
	return localpart != NULL && *localpart != '\0' ? localpart : "sympa";
}

/* A new Message-ID's text (no <>) into out: time, pid, counter, random. */
static int
bouncescore_msgid(const char *domain, time_t now, struct buf *out)
{
	static unsigned counter;
	unsigned long long rnd = 0;

	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd ^= (unsigned long long)clock();
	return buf_printf(out, "%lld.%ld.%u.%016llx@%s",
	    (long long)now, (long)getpid(), ++counter, rnd, domain);
}

/* The fields every message has after From, To and Subject. */
static int
bouncescore_common_fields(const struct bouncescore_mail *m,
    const char *msgid, struct buf *out)
{
	int rc = 0;

	rc |= buf_puts(out, "Date: ");
	rc |= date_format(m->now, 0, 1, out);
	rc |= buf_printf(out, "\nMessage-ID: <%s>\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "Auto-Submitted: auto-generated\n"
	    "X-Loop: %s@%s\n\n", msgid, bouncescore_robot(m->robot_localpart),
	    m->domain);
	return rc == 0 ? 0 : -1;
}

int
bouncescore_member_notice(const struct bouncescore_mail *m,
    const char *email, int score, struct buf *out)
{
	struct buf id = BUF_INIT(1024);
	size_t mark = out->len;
	int rc = 0;

	rc |= bouncescore_msgid(m->domain, m->now, &id);
	rc |= buf_printf(out, "From: \"%s list\" <%s-request@%s>\nTo: %s\n"
	    "Subject: Mail from the list %s to you is bouncing\n", m->list,
	    m->list, m->domain, email, m->list);
	rc |= bouncescore_common_fields(m, buf_cstr(&id), out);
	rc |= buf_printf(out,
	    "Mail that the list %s@%s sends to your address\n"
	    "\n"
	    "  %s\n"
	    "\n"
	    "keeps coming back undelivered: the address has a bounce score\n"
	    "of %d (out of 100).\n"
	    "\n"
	    "If the address should work, please ask your mail provider why\n"
	    "it refuses the list's mail. If the bounces go on, the address\n"
	    "may be removed from the list.\n"
	    "\n"
	    "The list's owners can be reached at %s-request@%s.\n",
	    m->list, m->domain, email, score, m->list, m->domain);
	buf_free(&id);
	if (rc != 0) {
		buf_truncate(out, mark);
		return -1;
	}
	return 0;
}

static const char *
bouncescore_done_text(enum bouncescore_action a)
{
	switch (a) {
	case BOUNCESCORE_REMOVE:
		return "They were removed from the list (those that a data "
		    "source\nbrought in are excluded, so that it does not add "
		    "them back).";
	case BOUNCESCORE_NOTIFY:
		return "Each of them was told by mail that mail to them "
		    "bounces.";
	case BOUNCESCORE_NONE:
	default:
		return "Nothing was done to them (the level's action is "
		    "\"none\").";
	}
}

int
bouncescore_report(const struct bouncescore_mail *m, int level,
    const struct bouncescore_level *lv, const char *const *to, size_t nto,
    const struct bouncescore_member *members, size_t n, struct buf *out)
{
	struct buf id = BUF_INIT(1024);
	size_t mark = out->len;
	int rc = 0;

	rc |= bouncescore_msgid(m->domain, m->now, &id);
	rc |= buf_printf(out, "From: \"Mailing list service\" <%s@%s>\nTo: ",
	    bouncescore_robot(m->robot_localpart), m->domain);
	for (size_t i = 0; i < nto; i++)
		rc |= buf_printf(out, "%s%s", i == 0 ? "" : ",\n ", to[i]);
	rc |= buf_printf(out, "\nSubject: %s: %zu bouncing member%s at level "
	    "%d (%s)\n", m->list, n, n == 1 ? "" : "s", level,
	    bouncescore_action_name(lv->action));
	rc |= bouncescore_common_fields(m, buf_cstr(&id), out);
	rc |= buf_printf(out,
	    "%zu member%s of the list %s@%s reached bounce level %d\n"
	    "(a bounce score of %d or more, out of 100).\n"
	    "%s\n"
	    "\n", n, n == 1 ? "" : "s", m->list, m->domain, level, lv->rate,
	    bouncescore_done_text(lv->action));
	for (size_t i = 0; i < n && i < BOUNCESCORE_REPORT_MAX; i++)
		rc |= buf_printf(out, "  %s (score %d)\n", members[i].email,
		    members[i].score);
	if (n > BOUNCESCORE_REPORT_MAX)
		rc |= buf_printf(out, "  ... and %zu more\n",
		    n - BOUNCESCORE_REPORT_MAX);
	buf_free(&id);
	if (rc != 0) {
		buf_truncate(out, mark);
		return -1;
	}
	return 0;
}

/* Queue one message to the given addresses as a notice of list l. */
static int
bouncescore_queue(struct store *st, const struct bouncescore_list *l,
    const struct buf *msg, const char *const *rcpts, size_t n)
{
	struct packet_limits lim = { PACKET_NRCPT_DEFAULT, PACKET_AVG_DEFAULT,
	    NULL };
	struct packet_job job;
	struct packet_outcome oc;
	const char *id, *end;
	char *msgid = NULL;
	int rc;

	memset(&job, 0, sizeof(job));
	job.kind = "notice";
	job.list_id = l->id;
	job.list_name = l->name;
	job.domain = l->domain;
	job.message = msg->data;
	job.message_len = msg->len;
	/* The Message-ID we wrote, for bulk's logs. */
	if ((id = strstr(buf_cstr(msg), "\nMessage-ID: <")) != NULL &&
	    (end = strchr(id + 14, '>')) != NULL)
		msgid = xstrndup(id + 14, (size_t)(end - (id + 14)));
	job.message_id = msgid;
	job.return_path = "";
	job.priority = BOUNCESCORE_PRIORITY;
	rc = packet_job_create_to(st, &job, rcpts, n, &lim, &oc);
	free(msgid);
	return rc;
}

/* -- process_bouncers ------------------------------------------------- */

/*
 * The members of a level not acted on at it yet: $1 the list, $2 the
 * level's rate, $3 the next level's rate (NULL for level 2), $4 the level.
 */
#define BOUNCESCORE_AT_LEVEL \
	" list_id = $1::bigint AND bounce_count > 0" \
	" AND bounce_score >= $2::smallint" \
	" AND ($3::smallint IS NULL OR bounce_score < $3::smallint)" \
	" AND COALESCE(bounce_action_level, 0) < $4::smallint"

static const char select_remove_sql[] =
    "SELECT email, bounce_score FROM subscribers WHERE" BOUNCESCORE_AT_LEVEL
    " ORDER BY email FOR UPDATE";

/* $5: now. Marked in the statement that chooses them: none is missed. */
static const char mark_sql[] =
    "UPDATE subscribers SET bounce_action_at = to_timestamp($5::bigint),"
    " bounce_action_level = $4::smallint WHERE" BOUNCESCORE_AT_LEVEL
    " RETURNING email, bounce_score";

static const char owners_sql[] =
    "SELECT email FROM admins WHERE list_id = $1::bigint AND role = 'owner'"
    " AND reception <> 'nomail' ORDER BY email";

struct bouncescore_addrs {
	char	**v;
	size_t	  n;
};

static void
bouncescore_addrs_add(struct bouncescore_addrs *a, const char *s)
{
	a->v = xreallocarray(a->v, a->n + 1, sizeof(char *));
	a->v[a->n++] = xstrdup(s);
}

static void
bouncescore_addrs_free(struct bouncescore_addrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static void
bouncescore_listmasters(const struct bouncescore_list *l,
    struct bouncescore_addrs *a)
{
	struct buf b = BUF_INIT(1024);

	for (size_t i = 0; i < l->nlistmasters; i++)
		bouncescore_addrs_add(a, l->listmasters[i]);
	if (a->n == 0) {
		buf_printf(&b, "listmaster@%s", l->domain);
		bouncescore_addrs_add(a, buf_cstr(&b));
	}
	buf_free(&b);
}

/* Who gets the report of a level. */
static int
bouncescore_report_to(struct store *st, const struct bouncescore_list *l,
    enum bouncescore_tell tell, struct bouncescore_addrs *a)
{
	const char *p[] = { l->id };
	PGresult *res;
	int rc;

	if (tell == BOUNCESCORE_TELL_OWNER) {
		if ((rc = store_query(st, owners_sql, STORE_NPARAMS(p), p,
		    &res)) != STORE_OK)
			return rc;
		for (int i = 0; i < PQntuples(res); i++)
			bouncescore_addrs_add(a, PQgetvalue(res, i, 0));
		PQclear(res);
	}
	if (a->n == 0)
		bouncescore_listmasters(l, a);
	return STORE_OK;
}

static int
bouncescore_member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bouncescore_member *)a)->email,
	    ((const struct bouncescore_member *)b)->email);
}

/* The rows of res as members (pointing into res). */
static struct bouncescore_member *
bouncescore_members_of(PGresult *res, size_t *n)
{
	struct bouncescore_member *m;

	*n = (size_t)PQntuples(res);
	m = xcalloc(*n + 1, sizeof(*m));
	for (size_t i = 0; i < *n; i++) {
		m[i].email = PQgetvalue(res, (int)i, 0);
		m[i].score = atoi(PQgetvalue(res, (int)i, 1));
	}
	qsort(m, *n, sizeof(*m), bouncescore_member_cmp);
	return m;
}

/* remove_bouncers: every member of the level, through roster. */
static int
bouncescore_remove(struct store *st, const struct roster_who *who,
    const struct bouncescore_list *l, const struct bouncescore_member *m,
    size_t n, int level, long long *removed)
{
	struct roster_who by = *who;
	char reason[64];
	int rc;

	/* The audit record says why: an owner can show it to the member. */
	snprintf(reason, sizeof(reason), "bounce level %d", level);
	by.reason = reason;
	for (size_t i = 0; i < n; i++) {
		rc = roster_member_del(st, &by, l->name, l->domain, m[i].email);
		if (rc == ROSTER_NOTFOUND)
			continue;
		if (rc != STORE_OK) {
			if (rc > 0)
				log_warn("%s@%s: cannot remove %s: %s", l->name,
				    l->domain, m[i].email, roster_strerror(rc));
			return rc > 0 ? STORE_ERROR : rc;
		}
		log_info("%s@%s: removed %s (bounce score %d)", l->name,
		    l->domain, m[i].email, m[i].score);
		(*removed)++;
	}
	return STORE_OK;
}

/* notify_bouncers: a notice to each member of the level. */
static int
bouncescore_notify(struct store *st, const struct bouncescore_list *l,
    const struct bouncescore_mail *mail, const struct bouncescore_member *m,
    size_t n, long long *notified)
{
	struct buf msg = BUF_INIT(BOUNCESCORE_MSG_MAX);
	int rc = STORE_OK;

	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		const char *to[1] = { m[i].email };

		buf_reset(&msg);
		if (bouncescore_member_notice(mail, m[i].email, m[i].score,
		    &msg) == -1) {
			rc = STORE_ERROR;
			break;
		}
		if ((rc = bouncescore_queue(st, l, &msg, to, 1)) == STORE_OK)
			(*notified)++;
	}
	buf_free(&msg);
	return rc;
}

static int
bouncescore_tell(struct store *st, const struct bouncescore_list *l,
    const struct bouncescore_mail *mail, int level,
    const struct bouncescore_member *m, size_t n, long long *reports)
{
	const struct bouncescore_level *lv = &l->levels[level - 1];
	struct bouncescore_addrs to = { NULL, 0 };
	struct buf msg = BUF_INIT(BOUNCESCORE_MSG_MAX);
	int rc;

	if ((rc = bouncescore_report_to(st, l, lv->tell, &to)) != STORE_OK)
		goto out;
	if (bouncescore_report(mail, level, lv, (const char *const *)to.v,
	    to.n, m, n, &msg) == -1) {
		log_error("%s@%s: the report of level %d is too large", l->name,
		    l->domain, level);
		rc = STORE_ERROR;
		goto out;
	}
	if ((rc = bouncescore_queue(st, l, &msg, (const char *const *)to.v,
	    to.n)) == STORE_OK)
		(*reports)++;
out:
	bouncescore_addrs_free(&to);
	buf_free(&msg);
	return rc;
}

/* One level of one list, in the caller's transaction. */
static int
bouncescore_level_tx(struct store *st, const struct roster_who *who,
    const struct bouncescore_list *l, int level, time_t now,
    struct bouncescore_process_stats *out)
{
	const struct bouncescore_level *lv = &l->levels[level - 1];
	struct bouncescore_mail mail = { l->name, l->domain,
	    l->robot_localpart, now };
	struct bouncescore_member *m;
	char rate[16], next[16], lev[16], when[24];
	const char *p[] = { l->id, rate, level == 1 ? next : NULL, lev, when };
	PGresult *res;
	size_t n;
	int rc;

	snprintf(rate, sizeof(rate), "%d", lv->rate);
	snprintf(next, sizeof(next), "%d", l->levels[1].rate);
	snprintf(lev, sizeof(lev), "%d", level);
	snprintf(when, sizeof(when), "%lld", (long long)now);
	if (lv->action == BOUNCESCORE_REMOVE)
		rc = store_query(st, select_remove_sql, 4, p, &res);
	else
		rc = store_query(st, mark_sql, 5, p, &res);
	if (rc != STORE_OK)
		return rc;
	m = bouncescore_members_of(res, &n);
	if (n > 0)
		log_info("%s@%s: %zu member%s at bounce level %d: %s", l->name,
		    l->domain, n, n == 1 ? "" : "s", level,
		    bouncescore_action_name(lv->action));
	if (lv->action == BOUNCESCORE_REMOVE)
		rc = bouncescore_remove(st, who, l, m, n, level,
		    &out->removed);
	else if (lv->action == BOUNCESCORE_NOTIFY)
		rc = bouncescore_notify(st, l, &mail, m, n, &out->notified);
	if (rc == STORE_OK && n > 0 && lv->tell != BOUNCESCORE_TELL_NOBODY)
		rc = bouncescore_tell(st, l, &mail, level, m, n, &out->reports);
	if (rc == STORE_OK)
		out->members[level - 1] += (long long)n;
	free(m);
	PQclear(res);
	return rc;
}

int
bouncescore_process(struct store *st, const struct roster_who *who,
    const struct bouncescore_list *l, time_t now,
    struct bouncescore_process_stats *out)
{
	int rc;

	for (int level = 2; level >= 1; level--) {
		struct bouncescore_process_stats s;

		memset(&s, 0, sizeof(s));
		if ((rc = store_begin(st)) != STORE_OK)
			return rc;
		rc = bouncescore_level_tx(st, who, l, level, now, &s);
		if (rc == STORE_OK)
			rc = store_commit(st);
		else
			store_rollback(st);
		if (rc != STORE_OK)
			return rc;
		/* Counted once committed: a failed level counts nothing. */
		for (int k = 0; k < 2; k++)
			out->members[k] += s.members[k];
		out->removed += s.removed;
		out->notified += s.notified;
		out->reports += s.reports;
	}
	return STORE_OK;
}

/* -- expire_bounce ---------------------------------------------------- */

/* $1: the limit. Data, marks and old events go in one statement. */
static const char expire_sql[] =
    "WITH gone AS ("
    " UPDATE subscribers s SET bounce_first_at = NULL,"
    "  bounce_last_at = NULL, bounce_count = 0, bounce_status = NULL,"
    "  bounce_score = NULL, bounce_address = NULL,"
    "  bounce_action_at = NULL, bounce_action_level = NULL"
    " WHERE s.bounce_count > 0"
    "  AND s.bounce_last_at < to_timestamp($1::bigint)"
    " RETURNING s.list_id, s.email),"
    " ev AS ("
    " DELETE FROM bounce_events e USING gone g"
    " WHERE e.list_id = g.list_id AND e.email = g.email"
    "  AND e.received_at < to_timestamp($1::bigint)"
    " RETURNING 1)"
    " SELECT l.name, l.domain, g.email, (SELECT count(*) FROM ev)"
    " FROM gone g JOIN lists l ON l.id = g.list_id"
    " ORDER BY l.domain, l.name, g.email";

int
bouncescore_expire(struct store *st, int days, time_t now,
    bouncescore_expired_fn *fn, void *arg,
    struct bouncescore_expire_stats *out)
{
	char limit[24];
	const char *p[] = { limit };
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(limit, sizeof(limit), "%lld", (long long)now -
	    (long long)days * 86400);
	if ((rc = store_query(st, expire_sql, STORE_NPARAMS(p), p, &res)) !=
	    STORE_OK)
		return rc;
	out->members = PQntuples(res);
	if (out->members > 0)
		out->events = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	for (int i = 0; fn != NULL && i < PQntuples(res); i++)
		fn(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2), arg);
	PQclear(res);
	return STORE_OK;
}
