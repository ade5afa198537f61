/*
 * bouncescore_test - the bounce score and what follows from it.
 *
 *  - the formula in C on hand-computed histories: the minimums, the
 *    period that starts before the list's first post, the 4.x.x half
 *    rate, halves rounded up, bounce_delay, the cap at 100;
 *  - the same histories, and 300 random ones, scored by the SQL of
 *    bouncescore_eval() from subscribers rows and bulk_jobs posts with
 *    chosen dates: the database agrees with the C formula everywhere;
 *  - the levels' actions: removal through roster (audit record, and an
 *    exclusion for an included member), a notice queued for each member
 *    of a notify level, one report to the owners (or the listmasters),
 *    nobody acted on twice for a level, a later level acted on;
 *  - expiry: data, score and marks cleared, old events deleted, the
 *    others kept, the callback told;
 *  - the two messages' texts.
 *
 * The database parts need HERALD_TEST_DATABASE (a database this test may
 * wipe) and skip without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "bouncescore.h"
#include "buf.h"
#include "log.h"
#include "mem.h"
#include "roster.h"
#include "store.h"

#define DAY	86400LL
/* An arbitrary day number as the origin of the histories: 2026-10-01. */
#define D0	20727LL

static const char *conninfo;

static const struct bouncescore_params defaults = { 10, 10, 0 };

/* -- the formula ------------------------------------------------------ */

/* A history: bounces from day first to day last; posts[] per day. */
struct hcase {
	const char	*what;
	long long	 count;
	long long	 first, last;	/* days from D0 */
	const char	*status;
	int		 delay, min_count, min_period;
	long long	 post_from, post_to, per_day;	/* days from D0, posts */
	int		 scored;
	int		 score;
};

static const struct hcase hcases[] = {
	/* adj = 20 * 20/20 = 20; 20 * 20/21 = 19.05 -> 19 */
	{ "a post every day", 20, 0, 20, "5.1.1", 0, 10, 10, 0, 20, 1, 1, 19 },
	{ "4.x.x: half", 20, 0, 20, "4.2.2", 0, 10, 10, 0, 20, 1, 1, 10 },
	{ "no status: full", 20, 0, 20, NULL, 0, 10, 10, 0, 20, 1, 1, 19 },
	{ "one bounce short", 9, 0, 20, "5.1.1", 0, 10, 10, 0, 20, 1, 0, 0 },
	{ "exactly the minimum", 10, 0, 10, "5.1.1", 0, 10, 10, 0, 10, 1, 1, 9 },
	{ "a day short", 20, 0, 9, "5.1.1", 0, 10, 10, 0, 9, 1, 0, 0 },
	/* 2 posts, 200 bounces: 200 * 100 = 20000, capped */
	{ "capped at 100", 200, 0, 10, "5.1.1", 0, 10, 10, 0, 1, 1, 1, 100 },
	/* no post in the period: minday = EO, adj = 0 */
	{ "no posts", 20, 0, 20, "5.1.1", 0, 10, 10, 40, 50, 1, 1, 0 },
	/* posts from day 15: adj = 30 * 15/30 = 15; 30 * 15/16 = 28.1 */
	{ "traffic starts late", 30, 0, 30, "5.1.1", 0, 10, 10, 15, 40, 1, 1, 28 },
	/* 10 bounces, 4 posts: 10 * 10/4 * 0.5 = 12.5 -> 13 */
	{ "a half rounds up", 10, 0, 10, "4.4.1", 0, 10, 10, 0, 0, 4, 1, 13 },
	/* BO = EO: adj = count; 10 * 10/5 = 20 */
	{ "one day, period 0", 10, 5, 5, "5.1.1", 0, 10, 0, 5, 5, 5, 1, 20 },
	/* delay 2: BO 0, EO 20 for bounces on days 2..22; posts 2..22 count on 2..20 */
	{ "bounce_delay", 20, 2, 22, "5.1.1", 2, 10, 10, 2, 22, 1, 1, 19 },
	/* three posts a day: 20 * 20/63 = 6.3 */
	{ "busy list", 20, 0, 20, "5.0.0", 0, 10, 10, 0, 20, 3, 1, 6 },
	{ "minimums of 1 and 0", 1, 3, 3, "5.1.1", 0, 1, 0, 3, 3, 1, 1, 1 },
};

static void
hcase_history(const struct hcase *c, struct bouncescore_day *days,
    size_t *ndays, struct bouncescore_history *h)
{
	*ndays = 0;
	for (long long d = c->post_from; d <= c->post_to; d++) {
		days[*ndays].day = D0 + d;
		days[*ndays].posts = c->per_day;
		(*ndays)++;
	}
	memset(h, 0, sizeof(*h));
	/* Bounces at 13:00 and 17:30 UTC: the day is what counts. */
	h->first = (time_t)((D0 + c->first) * DAY + 13 * 3600);
	h->last = (time_t)((D0 + c->last) * DAY + 17 * 3600 + 1800);
	h->count = c->count;
	h->status = c->status;
	h->days = days;
	h->ndays = *ndays;
}

static void
test_compute(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		const struct hcase *c = &hcases[i];
		struct bouncescore_params p = { c->min_count, c->min_period,
		    c->delay };
		struct bouncescore_day days[128];
		struct bouncescore_history h;
		size_t n;
		int score = -1, scored;

		hcase_history(c, days, &n, &h);
		scored = bouncescore_compute(&p, &h, &score);
		if (scored != c->scored || (scored && score != c->score))
			fail_msg("%s: scored %d, score %d; wanted %d, %d", c->what,
			    scored, score, c->scored, c->score);
	}
}

static void
test_levels(void **state)
{
	struct bouncescore_level lv[2] = {
		{ 45, BOUNCESCORE_NOTIFY, BOUNCESCORE_TELL_OWNER },
		{ 75, BOUNCESCORE_REMOVE, BOUNCESCORE_TELL_OWNER },
	};
	enum bouncescore_action a;
	enum bouncescore_tell t;

	(void)state;
	assert_int_equal(bouncescore_level_of(lv, 0), 0);
	assert_int_equal(bouncescore_level_of(lv, 44), 0);
	/* Sympa: the highest level whose rate <= score. */
	assert_int_equal(bouncescore_level_of(lv, 45), 1);
	assert_int_equal(bouncescore_level_of(lv, 74), 1);
	assert_int_equal(bouncescore_level_of(lv, 75), 2);
	assert_int_equal(bouncescore_level_of(lv, 100), 2);
	lv[1].rate = 40;	/* level 2 under level 1: level 1 never applies */
	assert_int_equal(bouncescore_level_of(lv, 50), 2);
	assert_int_equal(bouncescore_level_of(lv, 39), 0);

	assert_int_equal(bouncescore_action_parse("remove_bouncers", &a), 0);
	assert_int_equal(a, BOUNCESCORE_REMOVE);
	assert_int_equal(bouncescore_action_parse("notify_bouncers", &a), 0);
	assert_int_equal(a, BOUNCESCORE_NOTIFY);
	assert_int_equal(bouncescore_action_parse("none", &a), 0);
	assert_int_equal(a, BOUNCESCORE_NONE);
	assert_int_equal(bouncescore_action_parse("remove", &a), -1);
	assert_string_equal(bouncescore_action_name(BOUNCESCORE_REMOVE),
	    "remove_bouncers");
	assert_int_equal(bouncescore_tell_parse("owner", &t), 0);
	assert_int_equal(t, BOUNCESCORE_TELL_OWNER);
	assert_int_equal(bouncescore_tell_parse("listmaster", &t), 0);
	assert_int_equal(t, BOUNCESCORE_TELL_LISTMASTER);
	assert_int_equal(bouncescore_tell_parse("none", &t), 0);
	assert_int_equal(t, BOUNCESCORE_TELL_NOBODY);
	assert_int_equal(bouncescore_tell_parse("owners", &t), -1);
}

/* -- the messages ----------------------------------------------------- */

static void
test_messages(void **state)
{
	struct bouncescore_mail m = { "staff", "lists.example.org", NULL,
	    1795000000 };
	struct bouncescore_level lv = { 75, BOUNCESCORE_REMOVE,
	    BOUNCESCORE_TELL_OWNER };
	struct bouncescore_member mem[2] = { { "a@example.net", 80 },
	    { "b@example.net", 100 } };
	const char *to[2] = { "o1@example.org", "o2@example.org" };
	struct buf out = BUF_INIT(1 << 20), small = BUF_INIT(100);
	const char *s;

	(void)state;
	assert_int_equal(bouncescore_member_notice(&m, "a@example.net", 52,
	    &out), 0);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "From: \"staff list\" "
	    "<staff-request@lists.example.org>\n"));
	assert_non_null(strstr(s, "\nTo: a@example.net\n"));
	assert_non_null(strstr(s, "\nSubject: Mail from the list staff to you "
	    "is bouncing\n"));
	assert_non_null(strstr(s, "\nDate: "));
	assert_non_null(strstr(s, "\nMessage-ID: <1795000000."));
	assert_non_null(strstr(s, "\nAuto-Submitted: auto-generated\n"));
	assert_non_null(strstr(s, "\nX-Loop: sympa@lists.example.org\n\n"));
	assert_non_null(strstr(s, "bounce score\nof 52 (out of 100)"));
	/* A header, a blank line, a body: no CR, no line over 78. */
	assert_null(strchr(s, '\r'));
	for (const char *l = s; *l != '\0'; ) {
		const char *e = strchr(l, '\n');

		assert_non_null(e);
		assert_true(e - l <= 78);
		l = e + 1;
	}
	/* Out of room: -1 and nothing written. */
	assert_int_equal(bouncescore_member_notice(&m, "a@example.net", 52,
	    &small), -1);
	assert_int_equal(small.len, 0);

	buf_reset(&out);
	m.robot_localpart = "robot";
	assert_int_equal(bouncescore_report(&m, 2, &lv, to, 2, mem, 2, &out),
	    0);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, "From: \"Mailing list service\" "
	    "<robot@lists.example.org>\nTo: o1@example.org,\n o2@example.org\n"
	    "Subject: staff: 2 bouncing members at level 2 (remove_bouncers)\n"));
	assert_non_null(strstr(s, "2 members of the list staff@lists.example.org "
	    "reached bounce level 2\n(a bounce score of 75 or more"));
	assert_non_null(strstr(s, "They were removed from the list"));
	assert_non_null(strstr(s, "\n  a@example.net (score 80)\n"
	    "  b@example.net (score 100)\n"));

	/* Past BOUNCESCORE_REPORT_MAX the rest is counted. */
	{
		size_t n = BOUNCESCORE_REPORT_MAX + 3;
		struct bouncescore_member *many = xcalloc(n, sizeof(*many));

		for (size_t i = 0; i < n; i++) {
			many[i].email = "x@example.net";
			many[i].score = 50;
		}
		lv.action = BOUNCESCORE_NOTIFY;
		buf_reset(&out);
		assert_int_equal(bouncescore_report(&m, 1, &lv, to, 1, many, n,
		    &out), 0);
		assert_non_null(strstr(buf_cstr(&out), "\n  ... and 3 more\n"));
		assert_non_null(strstr(buf_cstr(&out), "Subject: staff: 5003 "
		    "bouncing members at level 1 (notify_bouncers)\n"));
		free(many);
	}
	buf_free(&out);
	buf_free(&small);
}

/* -- the database ----------------------------------------------------- */

static void
sql(struct store *st, const char *q)
{
	if (store_cmd(st, q, 0, NULL, NULL) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
}

static void
sqlp(struct store *st, const char *q, int n, const char *const *p)
{
	if (store_cmd(st, q, n, p, NULL) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
}

static char *
value(struct store *st, const char *q)
{
	char *v = NULL;

	if (store_scalar(st, q, 0, NULL, &v) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
	return v;
}

static long long
count(struct store *st, const char *q)
{
	long long n = -1;

	if (store_scalar_int(st, q, 0, NULL, &n) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
	return n;
}

static struct store *
fresh(void)
{
	struct store *st = NULL;

	assert_int_equal(store_open(conninfo, "bouncescore_test", &st),
	    STORE_OK);
	sql(st, "SET client_min_messages = warning");
	sql(st, "DROP SCHEMA IF EXISTS public CASCADE");
	sql(st, "CREATE SCHEMA public");
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	return st;
}

static char *
list_id(struct store *st, const char *name)
{
	const char *p[] = { name };
	char *v = NULL;

	if (store_scalar(st, "SELECT id FROM lists WHERE name = $1", 1, p,
	    &v) != STORE_OK || v == NULL)
		fail_msg("no list %s", name);
	return v;
}

/* A member of list with a bounce history (days from D0, status). */
static void
bouncer(struct store *st, const char *list, const char *email,
    const struct hcase *c)
{
	char cnt[24], first[24], last[24];
	const char *p[] = { list, email, cnt, first, last, c->status };

	snprintf(cnt, sizeof(cnt), "%lld", c->count);
	snprintf(first, sizeof(first), "%lld", (D0 + c->first) * DAY +
	    13 * 3600);
	snprintf(last, sizeof(last), "%lld", (D0 + c->last) * DAY + 17 * 3600 +
	    1800);
	sqlp(st, "INSERT INTO subscribers (list_id, email, bounce_count, "
	    "bounce_first_at, bounce_last_at, bounce_status) SELECT id, $2, "
	    "$3::integer, to_timestamp($4::bigint), to_timestamp($5::bigint), $6 "
	    "FROM lists WHERE name = $1", STORE_NPARAMS(p), p);
}

/* n posts of list on day (from D0), at different hours of that day. */
static void
posts(struct store *st, const char *list, long long day, long long n)
{
	char at[24], k[24];
	const char *p[] = { list, at, k };

	snprintf(at, sizeof(at), "%lld", (D0 + day) * DAY);
	snprintf(k, sizeof(k), "%lld", n);
	sqlp(st, "INSERT INTO bulk_jobs (list_id, domain, message, return_path, "
	    "kind, created_at) SELECT l.id, l.domain, '\\x41'::bytea, '', "
	    "'post', to_timestamp($2::bigint) + make_interval(mins => g * 7) "
	    "FROM lists l, generate_series(1, $3::integer) g WHERE l.name = $1",
	    STORE_NPARAMS(p), p);
}

static int
score_of(struct store *st, const char *list, const char *email)
{
	const char *p[] = { list, email };
	char *v = NULL;
	int s;

	if (store_scalar(st, "SELECT bounce_score FROM subscribers s JOIN "
	    "lists l ON l.id = s.list_id WHERE l.name = $1 AND s.email = $2",
	    2, p, &v) != STORE_OK)
		fail_msg("score of %s: %s", email, store_error(st));
	s = v == NULL ? -1 : atoi(v);
	free(v);
	return s;
}

/* Each hand-computed history on a list of its own, scored by SQL. */
static void
test_eval_cases(void **state)
{
	struct store *st;
	struct bouncescore_eval_stats es;
	char name[32], email[64];
	long long want_scored = 0, want_unscored = 0;

	(void)state;
	if (conninfo == NULL) {
		skip();
		return;
	}
	st = fresh();
	/* The cases that share the site's defaults, one list each. */
	for (size_t i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		const struct hcase *c = &hcases[i];

		if (c->delay != 0 || c->min_count != 10 || c->min_period != 10)
			continue;
		snprintf(name, sizeof(name), "l%zu", i);
		snprintf(email, sizeof(email), "m%zu@example.net", i);
		{
			const char *p[] = { name };

			sqlp(st, "INSERT INTO lists (name, domain) VALUES ($1, "
			    "'lists.example.org')", 1, p);
		}
		bouncer(st, name, email, c);
		for (long long d = c->post_from; d <= c->post_to; d++)
			posts(st, name, d, c->per_day);
		want_scored += c->scored;
		want_unscored += !c->scored;
	}
	/* A member without bounces and another list's posts change nothing. */
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT id, "
	    "'quiet@example.net' FROM lists WHERE name = 'l0'");
	posts(st, "l1", 3, 50);
	sql(st, "INSERT INTO bulk_jobs (list_id, domain, message, return_path, "
	    "kind, created_at) SELECT id, domain, '\\x41', '', 'notice', "
	    "to_timestamp(20727 * 86400) FROM lists WHERE name = 'l0'");
	/* l1 got posts that l1's case did not plan: undo its expectation. */
	assert_int_equal(bouncescore_eval(st, &defaults, NULL, &es), STORE_OK);
	assert_int_equal(es.scored, want_scored);
	assert_int_equal(es.unscored, want_unscored);
	for (size_t i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		const struct hcase *c = &hcases[i];
		int want = c->scored ? c->score : -1;

		if (c->delay != 0 || c->min_count != 10 || c->min_period != 10)
			continue;
		snprintf(name, sizeof(name), "l%zu", i);
		snprintf(email, sizeof(email), "m%zu@example.net", i);
		/* l1 (4.x.x) has 50 more posts on day 3: 20 * 20/71 * 0.5 */
		if (i == 1)
			want = 3;
		if (score_of(st, name, email) != want)
			fail_msg("%s: SQL score %d, wanted %d", c->what,
			    score_of(st, name, email), want);
	}
	assert_int_equal(score_of(st, "l0", "quiet@example.net"), -1);
	/* Again: nothing changes. */
	assert_int_equal(bouncescore_eval(st, &defaults, NULL, &es), STORE_OK);
	assert_int_equal(es.changed, 0);

	/* The other parameters: bounce_delay and lower minimums, one list. */
	for (size_t i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		const struct hcase *c = &hcases[i];
		struct bouncescore_params p = { c->min_count, c->min_period,
		    c->delay };
		char *id;

		if (c->delay == 0 && c->min_count == 10 && c->min_period == 10)
			continue;
		sql(st, "DELETE FROM lists WHERE name = 'odd'");
		sql(st, "INSERT INTO lists (name, domain) VALUES ('odd', "
		    "'lists.example.org')");
		bouncer(st, "odd", "odd@example.net", c);
		for (long long d = c->post_from; d <= c->post_to; d++)
			posts(st, "odd", d, c->per_day);
		id = list_id(st, "odd");
		/* One list only: the others keep their scores. */
		sql(st, "UPDATE subscribers SET bounce_score = 99 WHERE email = "
		    "'m0@example.net'");
		assert_int_equal(bouncescore_eval(st, &p, id, &es), STORE_OK);
		assert_int_equal(es.scored + es.unscored, 1);
		assert_int_equal(score_of(st, "l0", "m0@example.net"), 99);
		if (score_of(st, "odd", "odd@example.net") !=
		    (c->scored ? c->score : -1))
			fail_msg("%s: SQL score %d, wanted %d", c->what,
			    score_of(st, "odd", "odd@example.net"),
			    c->scored ? c->score : -1);
		free(id);
	}
	/* A score that falls below the minimums goes back to NULL. */
	sql(st, "UPDATE subscribers SET bounce_count = 3 WHERE email = "
	    "'m0@example.net'");
	assert_int_equal(bouncescore_eval(st, &defaults, NULL, &es), STORE_OK);
	assert_int_equal(score_of(st, "l0", "m0@example.net"), -1);
	store_close(st);
}

static unsigned long long rng = 0x2545f4914f6cdd1dULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Random histories on three lists with random traffic: SQL == C. */
static void
test_eval_random(void **state)
{
	static const char *const lists[3] = { "r0", "r1", "r2" };
	static const char *const statuses[4] = { "5.1.1", "4.2.2", "5.7.1",
	    NULL };
	struct bouncescore_day days[3][120];
	size_t ndays[3] = { 0, 0, 0 };
	struct bouncescore_params p = { 5, 3, 1 };
	struct bouncescore_eval_stats es;
	struct store *st;
	PGresult *res;
	int nmembers = 300, mismatches = 0, capped = 0, scored = 0;

	(void)state;
	if (conninfo == NULL) {
		skip();
		return;
	}
	st = fresh();
	sql(st, "INSERT INTO lists (name, domain) VALUES ('r0', 'x.example.org'),"
	    " ('r1', 'x.example.org'), ('r2', 'x.example.org')");
	for (int l = 0; l < 3; l++)
		for (long long d = 0; d < 120; d++) {
			long long n = rnd(4) == 0 ? 0 : rnd(l == 0 ? 2 : 6);

			if (n == 0)
				continue;
			days[l][ndays[l]].day = D0 + d;
			days[l][ndays[l]++].posts = n;
			posts(st, lists[l], d, n);
		}
	for (int i = 0; i < nmembers; i++) {
		struct hcase c;
		char email[64];

		memset(&c, 0, sizeof(c));
		c.first = rnd(100);
		c.last = c.first + rnd(30);
		c.count = 1 + rnd(rnd(2) ? 30 : 300);
		c.status = statuses[rnd(4)];
		snprintf(email, sizeof(email), "u%d@example.net", i);
		bouncer(st, lists[i % 3], email, &c);
	}
	assert_int_equal(bouncescore_eval(st, &p, NULL, &es), STORE_OK);
	assert_int_equal(es.scored + es.unscored, nmembers);
	assert_int_equal(store_query(st, "SELECT l.name, s.bounce_count, "
	    "extract(epoch FROM s.bounce_first_at)::bigint, "
	    "extract(epoch FROM s.bounce_last_at)::bigint, s.bounce_status, "
	    "s.bounce_score FROM subscribers s JOIN lists l ON l.id = s.list_id",
	    0, NULL, &res), STORE_OK);
	assert_int_equal(PQntuples(res), nmembers);
	for (int i = 0; i < PQntuples(res); i++) {
		int l = PQgetvalue(res, i, 0)[1] - '0', score = -1, got;
		struct bouncescore_history h;

		memset(&h, 0, sizeof(h));
		h.count = atoll(PQgetvalue(res, i, 1));
		h.first = (time_t)atoll(PQgetvalue(res, i, 2));
		h.last = (time_t)atoll(PQgetvalue(res, i, 3));
		h.status = PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4);
		h.days = days[l];
		h.ndays = ndays[l];
		if (!bouncescore_compute(&p, &h, &score))
			score = -1;
		got = PQgetisnull(res, i, 5) ? -1 : atoi(PQgetvalue(res, i, 5));
		mismatches += got != score;
		capped += score == 100;
		scored += score >= 0;
	}
	PQclear(res);
	print_message("random histories: %d scored, %d capped, %d mismatches\n",
	    scored, capped, mismatches);
	assert_int_equal(mismatches, 0);
	assert_int_equal(scored, es.scored);
	/* The draw reaches both the cap and the minimums. */
	assert_true(capped > 0 && scored < nmembers && scored > 0);
	store_close(st);
}

/* -- process_bouncers ------------------------------------------------- */

static void
member(struct store *st, const char *list, const char *email, int score,
    int included)
{
	char s[16];
	const char *p[] = { list, email, s, included ? "t" : "f" };

	snprintf(s, sizeof(s), "%d", score);
	sqlp(st, "INSERT INTO subscribers (list_id, email, bounce_count, "
	    "bounce_first_at, bounce_last_at, bounce_status, bounce_score, "
	    "included_at, subscribed) SELECT id, $2, 20, now() - interval "
	    "'20 days', now(), '5.1.1', $3::smallint, CASE WHEN $4::boolean "
	    "THEN now() END, NOT $4::boolean FROM lists WHERE name = $1",
	    STORE_NPARAMS(p), p);
}

/* The notice jobs: "recipients|first line of the body that names them". */
static long long
notices_to(struct store *st, const char *email)
{
	const char *p[] = { email };
	long long n = -1;

	if (store_scalar_int(st, "SELECT count(*) FROM bulk_jobs j JOIN "
	    "bulk_packets k ON k.job_id = j.id WHERE j.kind = 'notice' AND "
	    "k.recipients = ARRAY[$1]::email_address[] AND "
	    "position('To: ' || $1 IN convert_from(j.message, 'UTF8')) > 0",
	    1, p, &n) != STORE_OK)
		fail_msg("%s", store_error(st));
	return n;
}

static void
test_process(void **state)
{
	struct store *st;
	struct roster_who who = { .actor = "task_manager",
	    .channel = "daemon" };
	struct bouncescore_list l;
	struct bouncescore_process_stats ps;
	const char *lm[1] = { "lm@example.org" };
	char *id, *v;
	time_t now = 1795000000;

	(void)state;
	if (conninfo == NULL) {
		skip();
		return;
	}
	st = fresh();
	sql(st, "INSERT INTO lists (name, domain) VALUES ('staff', "
	    "'lists.example.org')");
	sql(st, "INSERT INTO admins (list_id, email, role) SELECT id, "
	    "'owner@example.org', 'owner' FROM lists");
	sql(st, "INSERT INTO admins (list_id, email, role, reception) SELECT "
	    "id, 'quiet-owner@example.org', 'owner', 'nomail' FROM lists");
	member(st, "staff", "gone@example.net", 80, 0);
	member(st, "staff", "fed@example.net", 90, 1);
	member(st, "staff", "warn@example.net", 50, 0);
	member(st, "staff", "told@example.net", 60, 0);
	member(st, "staff", "low@example.net", 44, 0);
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT id, "
	    "'fine@example.net' FROM lists");
	sql(st, "UPDATE subscribers SET bounce_action_level = 1, "
	    "bounce_action_at = now() - interval '7 days' "
	    "WHERE email = 'told@example.net'");
	id = list_id(st, "staff");
	memset(&l, 0, sizeof(l));
	l.id = id;
	l.name = "staff";
	l.domain = "lists.example.org";
	l.levels[0] = (struct bouncescore_level){ 45, BOUNCESCORE_NOTIFY,
	    BOUNCESCORE_TELL_OWNER };
	l.levels[1] = (struct bouncescore_level){ 75, BOUNCESCORE_REMOVE,
	    BOUNCESCORE_TELL_OWNER };
	l.listmasters = lm;
	l.nlistmasters = 1;

	memset(&ps, 0, sizeof(ps));
	assert_int_equal(bouncescore_process(st, &who, &l, now, &ps), STORE_OK);
	assert_int_equal(ps.members[1], 2);
	assert_int_equal(ps.members[0], 1);
	assert_int_equal(ps.removed, 2);
	assert_int_equal(ps.notified, 1);
	assert_int_equal(ps.reports, 2);
	/* Level 2: removed, audited, the included one excluded. */
	assert_int_equal(count(st, "SELECT count(*) FROM subscribers WHERE "
	    "email IN ('gone@example.net', 'fed@example.net')"), 0);
	assert_int_equal(count(st, "SELECT count(*) FROM audit_log WHERE "
	    "action = 'member.del' AND actor = 'task_manager' AND channel = "
	    "'daemon' AND list_address = 'staff@lists.example.org' AND "
	    "target IN ('gone@example.net', 'fed@example.net')"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM exclusions WHERE "
	    "email = 'fed@example.net'"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM exclusions"), 1);
	/* Level 1: the new one told and marked; the one told before, not. */
	assert_int_equal(notices_to(st, "warn@example.net"), 1);
	assert_int_equal(notices_to(st, "told@example.net"), 0);
	assert_int_equal(notices_to(st, "low@example.net"), 0);
	v = value(st, "SELECT bounce_action_level || ' ' || "
	    "extract(epoch FROM bounce_action_at)::bigint FROM subscribers "
	    "WHERE email = 'warn@example.net'");
	assert_string_equal(v, "1 1795000000");
	free(v);
	assert_int_equal(count(st, "SELECT count(*) FROM subscribers WHERE "
	    "bounce_action_level IS NOT NULL"), 2);
	/* The reports: to the owner who gets mail, one per level. */
	assert_int_equal(count(st, "SELECT count(*) FROM bulk_jobs j JOIN "
	    "bulk_packets k ON k.job_id = j.id WHERE j.kind = 'notice' AND "
	    "k.recipients = ARRAY['owner@example.org']::email_address[]"), 2);
	v = value(st, "SELECT convert_from(message, 'UTF8') FROM bulk_jobs "
	    "WHERE convert_from(message, 'UTF8') LIKE '%level 2 (remove%'");
	assert_non_null(v);
	assert_non_null(strstr(v, "\n  fed@example.net (score 90)\n"
	    "  gone@example.net (score 80)\n"));
	assert_null(strstr(v, "warn@"));
	free(v);
	v = value(st, "SELECT j.return_path || '|' || j.priority || '|' || "
	    "j.list_name FROM bulk_jobs j WHERE convert_from(message, 'UTF8') "
	    "LIKE '%level 1 (notify%'");
	assert_string_equal(v, "|1|staff");
	free(v);

	/* Again: nobody is acted on twice. */
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(bouncescore_process(st, &who, &l, now + 7 * 86400,
	    &ps), STORE_OK);
	assert_int_equal(ps.members[0] + ps.members[1] + ps.reports, 0);
	assert_int_equal(count(st, "SELECT count(*) FROM bulk_jobs"), 3);

	/* warn reaches level 2, whose action is now notify, told listmasters. */
	l.levels[1].action = BOUNCESCORE_NOTIFY;
	l.levels[1].tell = BOUNCESCORE_TELL_LISTMASTER;
	sql(st, "UPDATE subscribers SET bounce_score = 76 WHERE email = "
	    "'warn@example.net'");
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(bouncescore_process(st, &who, &l, now + 14 * 86400,
	    &ps), STORE_OK);
	assert_int_equal(ps.members[1], 1);
	assert_int_equal(ps.notified, 1);
	assert_int_equal(notices_to(st, "warn@example.net"), 2);
	assert_int_equal(count(st, "SELECT bounce_action_level FROM subscribers "
	    "WHERE email = 'warn@example.net'"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM bulk_jobs j JOIN "
	    "bulk_packets k ON k.job_id = j.id WHERE "
	    "k.recipients = ARRAY['lm@example.org']::email_address[]"), 1);

	/* No owner who gets mail, no listmaster configured: listmaster@domain. */
	sql(st, "UPDATE admins SET reception = 'nomail'");
	l.levels[0].action = BOUNCESCORE_NONE;
	l.nlistmasters = 0;
	sql(st, "UPDATE subscribers SET bounce_score = 45 WHERE email = "
	    "'low@example.net'");
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(bouncescore_process(st, &who, &l, now + 21 * 86400,
	    &ps), STORE_OK);
	assert_int_equal(ps.members[0], 1);
	assert_int_equal(ps.notified + ps.removed, 0);
	assert_int_equal(notices_to(st, "low@example.net"), 0);
	assert_int_equal(count(st, "SELECT bounce_action_level FROM subscribers "
	    "WHERE email = 'low@example.net'"), 1);
	assert_int_equal(count(st, "SELECT count(*) FROM bulk_jobs j JOIN "
	    "bulk_packets k ON k.job_id = j.id WHERE k.recipients = "
	    "ARRAY['listmaster@lists.example.org']::email_address[] AND "
	    "convert_from(j.message, 'UTF8') LIKE '%Nothing was done%'"), 1);

	/* Notification none: marked, nobody told. */
	l.levels[0].tell = BOUNCESCORE_TELL_NOBODY;
	sql(st, "INSERT INTO subscribers (list_id, email, bounce_count, "
	    "bounce_score) SELECT id, 'new@example.net', 30, 50 FROM lists");
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(bouncescore_process(st, &who, &l, now + 28 * 86400,
	    &ps), STORE_OK);
	assert_int_equal(ps.members[0], 1);
	assert_int_equal(ps.reports, 0);
	assert_int_equal(count(st, "SELECT bounce_action_level FROM subscribers "
	    "WHERE email = 'new@example.net'"), 1);
	free(id);
	store_close(st);
}

/* -- expire_bounce ---------------------------------------------------- */

static void
expired(const char *list, const char *domain, const char *email, void *arg)
{
	struct buf *b = arg;

	buf_printf(b, "%s@%s:%s;", list, domain, email);
}

static void
test_expire(void **state)
{
	struct store *st;
	struct bouncescore_expire_stats es;
	struct buf seen = BUF_INIT(4096);
	time_t now = 1795000000;
	char *v;

	(void)state;
	if (conninfo == NULL) {
		skip();
		return;
	}
	st = fresh();
	sql(st, "INSERT INTO lists (name, domain) VALUES ('a', 'x.example.org'),"
	    " ('b', 'x.example.org')");
	/* old: last bounce 11 days before now; recent: 9 days. */
	sql(st, "INSERT INTO subscribers (list_id, email, bounce_count, "
	    "bounce_first_at, bounce_last_at, bounce_status, bounce_score, "
	    "bounce_address, bounce_action_at, bounce_action_level) "
	    "SELECT id, 'old@example.net', 12, to_timestamp(1795000000 - 30 * 86400), "
	    "to_timestamp(1795000000 - 11 * 86400), '5.1.1', 60, "
	    "'old@forward.example.net', to_timestamp(1795000000 - 12 * 86400), 1 "
	    "FROM lists");
	sql(st, "INSERT INTO subscribers (list_id, email, bounce_count, "
	    "bounce_first_at, bounce_last_at, bounce_status, bounce_score) "
	    "SELECT id, 'recent@example.net', 12, to_timestamp(1795000000 - 30 * 86400), "
	    "to_timestamp(1795000000 - 9 * 86400), '5.1.1', 60 FROM lists "
	    "WHERE name = 'a'");
	/* Events: old's two (11 and 20 days), recent's two. */
	sql(st, "INSERT INTO bounce_events (list_id, email, received_at, kind, "
	    "action, status, recogniser, member) SELECT l.id, e.email, "
	    "to_timestamp(1795000000 - e.days * 86400), 'dsn', 'failed', '5.1.1', "
	    "'rfc3464', true FROM lists l, (VALUES ('old@example.net', 11), "
	    "('old@example.net', 20), ('recent@example.net', 9), "
	    "('recent@example.net', 20)) e(email, days) WHERE l.name = 'a'");
	assert_int_equal(bouncescore_expire(st, 10, now, expired, &seen, &es),
	    STORE_OK);
	assert_int_equal(es.members, 2);
	assert_int_equal(es.events, 2);
	assert_string_equal(buf_cstr(&seen), "a@x.example.org:old@example.net;"
	    "b@x.example.org:old@example.net;");
	v = value(st, "SELECT string_agg(concat_ws(',', bounce_first_at, "
	    "bounce_last_at, bounce_count, bounce_status, bounce_score, "
	    "bounce_address, bounce_action_at, bounce_action_level), ';') "
	    "FROM subscribers WHERE email = 'old@example.net'");
	assert_string_equal(v, "0;0");
	free(v);
	assert_int_equal(count(st, "SELECT bounce_score FROM subscribers WHERE "
	    "email = 'recent@example.net'"), 60);
	assert_int_equal(count(st, "SELECT count(*) FROM bounce_events WHERE "
	    "email = 'recent@example.net'"), 2);
	assert_int_equal(count(st, "SELECT count(*) FROM bounce_events WHERE "
	    "email = 'old@example.net'"), 0);
	/* Again: nothing; a day later, recent is not yet due (9 + 1 = 10). */
	buf_reset(&seen);
	assert_int_equal(bouncescore_expire(st, 10, now, expired, &seen, &es),
	    STORE_OK);
	assert_int_equal(es.members, 0);
	assert_int_equal(bouncescore_expire(st, 10, now + 86400, NULL, NULL,
	    &es), STORE_OK);
	assert_int_equal(es.members, 0);
	assert_int_equal(bouncescore_expire(st, 10, now + 86401, NULL, NULL,
	    &es), STORE_OK);
	assert_int_equal(es.members, 1);
	/* The 20-day event is older; the 9-day one was at the limit's edge. */
	assert_int_equal(es.events, 2);
	buf_free(&seen);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_eval_cases),
		cmocka_unit_test(test_eval_random),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_expire),
	};

	log_open("bouncescore_test", 0, LOG_TO_STDERR);
	conninfo = getenv("HERALD_TEST_DATABASE");
	if (conninfo == NULL || *conninfo == '\0') {
		conninfo = NULL;
		printf("skip: bouncescore_test: HERALD_TEST_DATABASE not set "
		    "(the database cases skip)\n");
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
