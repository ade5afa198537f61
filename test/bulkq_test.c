/*
 * bulkq_test - the bulk queue on a real PostgreSQL: the claim's plan and
 * order (priority, then age; an urgent job overtakes a large one), SKIP
 * LOCKED between two connections, lease expiry and takeover (the old
 * holder's writes refused), per-recipient results and what a re-claim
 * hands over, backoff and next_attempt_at, done, giving up after the
 * attempts or the age, release, per-domain backoff notes and their
 * effect on a retry, and three processes draining 300
 * packets at once (each claimed once, no recipient recorded twice).
 *
 * Needs HERALD_TEST_DATABASE (a database this test may wipe); skipped
 * without it, except the pure functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "bulkq.h"
#include "log.h"
#include "mem.h"
#include "packet.h"
#include "store.h"

static const char *conninfo;

/* -- pure functions -------------------------------------------------- */

static void
test_state_of(void **state)
{
	static const struct {
		int	 code;
		enum bulkq_state want;
	} cases[] = {
		{ 250, BULKQ_SENT }, { 251, BULKQ_SENT }, { 200, BULKQ_SENT },
		{ 421, BULKQ_DEFERRED }, { 450, BULKQ_DEFERRED },
		{ 452, BULKQ_DEFERRED }, { 0, BULKQ_DEFERRED },
		{ 354, BULKQ_DEFERRED }, { 999, BULKQ_DEFERRED },
		{ -1, BULKQ_DEFERRED },
		{ 550, BULKQ_FAILED }, { 553, BULKQ_FAILED },
		{ 599, BULKQ_FAILED },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (bulkq_state_of(cases[i].code) != cases[i].want)
			fail_msg("code %d: got %d, want %d", cases[i].code,
			    bulkq_state_of(cases[i].code), cases[i].want);
}

static void
test_backoff(void **state)
{
	static const struct {
		int	 attempts;
		long	 want;
	} cases[] = {
		{ 0, 300 }, { 1, 300 }, { 2, 600 }, { 3, 1200 }, { 4, 2400 },
		{ 5, 4800 }, { 6, 9600 }, { 7, 14400 }, { 8, 14400 },
		{ 1000000, 14400 },
	};
	struct bulkq_policy pol = { 0, 0, 10, 35 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (bulkq_backoff(NULL, cases[i].attempts) != cases[i].want)
			fail_msg("attempts %d: got %ld, want %ld",
			    cases[i].attempts,
			    bulkq_backoff(NULL, cases[i].attempts),
			    cases[i].want);
	assert_int_equal(bulkq_backoff(&pol, 1), 10);
	assert_int_equal(bulkq_backoff(&pol, 2), 20);
	assert_int_equal(bulkq_backoff(&pol, 3), 35);
	assert_int_equal(bulkq_backoff(&pol, 99), 35);
}

/* -- the database ---------------------------------------------------- */

static void
sql(struct store *st, const char *q)
{
	if (store_cmd(st, q, 0, NULL, NULL) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
}

static void
sql1(struct store *st, const char *q, long long arg)
{
	char a[24];
	const char *p[] = { a };

	snprintf(a, sizeof(a), "%lld", arg);
	if (store_cmd(st, q, 1, p, NULL) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
}

static long long
sql_int(struct store *st, const char *q, long long arg)
{
	char a[24];
	const char *p[] = { a };
	long long v = -1;

	snprintf(a, sizeof(a), "%lld", arg);
	if (store_scalar_int(st, q, 1, p, &v) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
	return v;
}

/* A string the caller frees ("" for NULL). */
static char *
sql_text(struct store *st, const char *q, long long arg)
{
	char a[24];
	const char *p[] = { a };
	char *v = NULL;

	snprintf(a, sizeof(a), "%lld", arg);
	if (store_scalar(st, q, 1, p, &v) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
	return v ? v : xstrdup("");
}

static void
assert_str(char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("\n  got  %s\n  want %s", got, want);
	free(got);
}

static struct store *
connect_db(void)
{
	struct store *st = NULL;

	assert_int_equal(store_open(conninfo, "bulkq_test", &st), STORE_OK);
	return st;
}

static struct store *
fresh(void)
{
	struct store *st;

	if (conninfo == NULL)
		skip();
	st = connect_db();
	sql(st, "DROP SCHEMA IF EXISTS public CASCADE");
	sql(st, "CREATE SCHEMA public");
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	return st;
}

/* Bytes a text column could not carry: the message goes as bytea. */
static const char message[] = "From: a@example.org\r\nSubject: hi\r\n\r\n"
    "caf\xc3\xa9 \x00\xff\r\n";

/*
 * A job to rcpts (n of them), nrcpt per packet; its id. spool ids keep
 * the jobs apart.
 */
static long long
make_job(struct store *st, const char *spool_id, int priority,
    const char *const *rcpts, size_t n, int nrcpt, int verp_rate)
{
	struct packet_job j = { 0 };
	struct packet_limits lim = { nrcpt, 1000, NULL };
	struct packet_outcome out;

	j.spool_id = spool_id;
	j.kind = "notice";
	j.domain = "lists.example.org";
	j.message = message;
	j.message_len = sizeof(message) - 1;
	j.message_id = "m1@example.org";
	j.return_path = "staff-owner@lists.example.org";
	j.priority = priority;
	j.verp_rate = verp_rate;
	if (packet_job_create_to(st, &j, rcpts, n, &lim, &out) != STORE_OK)
		fail_msg("job %s: %s", spool_id, store_error(st));
	return strtoll(out.job_id, NULL, 10);
}

/* Recipients "a@x.org" .. : n of them, in sending order. */
static const char *const letters[] = {
	"a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org", "f@x.org",
};

static void
claim(struct store *st, const char *owner, struct bulkq_packet *p)
{
	int found = 0;

	if (bulkq_claim(st, owner, 60, p, &found) != STORE_OK)
		fail_msg("claim: %s", store_error(st));
	if (!found)
		fail_msg("claim: nothing found");
}

static void
claim_none(struct store *st, const char *owner)
{
	struct bulkq_packet p;
	int found = 1;

	assert_int_equal(bulkq_claim(st, owner, 60, &p, &found), STORE_OK);
	assert_false(found);
	assert_int_equal(p.id, 0);
}

/* The recipients of a handle, space-separated, for comparing. */
static char *
rcpts_of(const struct bulkq_packet *p, int verp)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	char **v = verp ? p->verp : p->rcpts;
	size_t n = verp ? p->nverp : p->nrcpts;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		buf_puts(&b, v[i]);
	}
	buf_puts(&b, "");
	return buf_steal(&b);
}

/* The claim statement is served by the partial claim index. */
static void
test_claim_plan(void **state)
{
	struct store *st = fresh();
	struct buf plan = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	/* A busy queue: many finished packets, thousands ready. */
	sql(st, "INSERT INTO bulk_jobs (domain, message, return_path) SELECT "
	    "'example.org', 'x', '' FROM generate_series(1, 50)");
	sql(st, "INSERT INTO bulk_packets (job_id, priority, state, "
	    "finished_at) SELECT j.id, g % 10, 'done', now() FROM bulk_jobs j, "
	    "generate_series(1, 400) g");
	sql(st, "INSERT INTO bulk_packets (job_id, priority) SELECT j.id, "
	    "g % 10 FROM bulk_jobs j, generate_series(1, 40) g");
	sql(st, "ANALYZE bulk_packets");
	assert_int_equal(bulkq_claim_plan(st, &plan), STORE_OK);
	/* Walked in order, stopping at the first row: no sort. */
	if (strstr(buf_cstr(&plan),
	    "Index Scan using bulk_packets_claim_idx") == NULL ||
	    strstr(buf_cstr(&plan), "Sort") != NULL)
		fail_msg("claim plan not an ordered scan of the claim "
		    "index:\n%s", buf_cstr(&plan));
	/* EXPLAIN claims nothing. */
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "state = 'claimed' AND $1::int = $1", 0), 0);
	buf_free(&plan);
	store_close(st);
}

/* What a claim hands over: the packet, its lease, the job, the message. */
static void
test_claim_fields(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p;
	struct buf msg = BUF_INIT(1 << 20), small = BUF_INIT(8);
	long long job;

	(void)state;
	claim_none(st, "h1:1");
	/* 100% VERP: every recipient is in the VERP subset. */
	job = make_job(st, "s1", 4, letters, 3, 25, 100);
	claim(st, "h1:1", &p);
	assert_int_equal(p.job_id, job);
	assert_int_equal(p.priority, 4);
	assert_string_equal(p.reception, "mail");
	assert_int_equal(p.attempts, 1);
	assert_string_equal(p.owner, "h1:1");
	assert_str(rcpts_of(&p, 0), "a@x.org b@x.org c@x.org");
	assert_str(rcpts_of(&p, 1), "a@x.org b@x.org c@x.org");
	assert_string_equal(p.kind, "notice");
	assert_string_equal(p.return_path, "staff-owner@lists.example.org");
	assert_string_equal(p.message_id, "m1@example.org");
	assert_null(p.list_name);
	assert_string_equal(p.domain, "lists.example.org");
	assert_null(p.tracking);
	assert_false(p.dkim_sign);
	assert_true(p.verp_flag);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'claimed' AND lease_owner = 'h1:1' AND "
	    "lease_expires_at BETWEEN now() + interval '59 seconds' AND "
	    "now() + interval '61 seconds' AND attempts = 1", p.id), 1);
	/* The message, bytes as stored. */
	assert_int_equal(bulkq_message(st, job, &msg), STORE_OK);
	assert_int_equal(msg.len, sizeof(message) - 1);
	assert_memory_equal(msg.data, message, msg.len);
	assert_int_equal(bulkq_message(st, job, &small), STORE_ERROR);
	assert_int_equal(bulkq_message(st, job + 1000, &msg), STORE_ERROR);
	/* The only packet is held: nothing else to claim. */
	claim_none(st, "h2:1");
	bulkq_packet_free(&p);
	/* A partial VERP share: only those recipients. */
	sql(st, "DELETE FROM bulk_jobs");
	job = make_job(st, "s2", 4, letters, 4, 25, 50);
	claim(st, "h1:1", &p);
	assert_str(rcpts_of(&p, 0), "a@x.org b@x.org c@x.org d@x.org");
	assert_str(rcpts_of(&p, 1), "a@x.org b@x.org");
	/* Re-claimed after a@x.org was answered: b@x.org keeps its VERP. */
	{
		const struct bulkq_result r = { "a@x.org", 250, "250 ok" };

		assert_int_equal(bulkq_record(st, &p, &r, 1, NULL), STORE_OK);
		assert_int_equal(bulkq_release(st, &p), STORE_OK);
		bulkq_packet_free(&p);
		claim(st, "h1:1", &p);
		assert_str(rcpts_of(&p, 0), "b@x.org c@x.org d@x.org");
		assert_str(rcpts_of(&p, 1), "b@x.org");
	}
	bulkq_packet_free(&p);
	/* Bad owners and leases are refused. */
	{
		int found;

		assert_int_equal(bulkq_claim(st, "", 60, &p, &found),
		    STORE_ERROR);
		assert_int_equal(bulkq_claim(st, "h 1", 60, &p, &found),
		    STORE_ERROR);
		assert_int_equal(bulkq_claim(st, "h:1", 0, &p, &found),
		    STORE_ERROR);
	}
	buf_free(&msg);
	buf_free(&small);
	store_close(st);
}

/* Priority first, then age; an urgent job overtakes a large one. */
static void
test_claim_order(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p;
	long long big, urgent, later;

	(void)state;
	/* Five packets of one recipient each, priority 5. */
	big = make_job(st, "big", 5, letters, 5, 1, 0);
	claim(st, "h:1", &p);
	assert_int_equal(p.job_id, big);
	assert_str(rcpts_of(&p, 0), "a@x.org");
	bulkq_packet_free(&p);
	/* Created later, priority 1: next. */
	urgent = make_job(st, "urgent", 1, letters + 5, 1, 1, 0);
	/* Created later still, same priority as big: after big's. */
	later = make_job(st, "later", 5, letters + 5, 1, 1, 0);
	claim(st, "h:1", &p);
	assert_int_equal(p.job_id, urgent);
	bulkq_packet_free(&p);
	for (int i = 1; i < 5; i++) {
		claim(st, "h:1", &p);
		assert_int_equal(p.job_id, big);
		assert_string_equal(p.rcpts[0], letters[i]);
		bulkq_packet_free(&p);
	}
	claim(st, "h:1", &p);
	assert_int_equal(p.job_id, later);
	bulkq_packet_free(&p);
	claim_none(st, "h:1");
	store_close(st);
}

/* A packet not yet due (deliver_after, backoff) is not claimed. */
static void
test_not_due(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p;
	long long job;

	(void)state;
	job = make_job(st, "s", 5, letters, 1, 1, 0);
	sql1(st, "UPDATE bulk_packets SET next_attempt_at = now() + "
	    "interval '1 minute' WHERE job_id = $1", job);
	claim_none(st, "h:1");
	sql1(st, "UPDATE bulk_packets SET next_attempt_at = now() - "
	    "interval '1 second' WHERE job_id = $1", job);
	claim(st, "h:1", &p);
	assert_int_equal(p.job_id, job);
	bulkq_packet_free(&p);
	store_close(st);
}

/* Two connections: a held row is skipped, not waited for. */
static void
test_skip_locked(void **state)
{
	struct store *a = fresh(), *b = connect_db();
	struct bulkq_packet pa, pb;

	(void)state;
	make_job(a, "s", 5, letters, 3, 1, 0);
	/* a's claim stays uncommitted: its row is locked, not yet claimed. */
	assert_int_equal(store_begin(a), STORE_OK);
	claim(a, "ha:1", &pa);
	claim(b, "hb:1", &pb);
	assert_true(pa.id != pb.id);
	assert_int_equal(store_commit(a), STORE_OK);
	/* Both claims stand: the third packet is the only one left. */
	assert_int_equal(sql_int(a, "SELECT count(*) FROM bulk_packets WHERE "
	    "state = 'claimed' AND $1::int = $1", 0), 2);
	bulkq_packet_free(&pa);
	claim(a, "ha:1", &pa);
	assert_true(pa.id != pb.id);
	claim_none(b, "hb:1");
	bulkq_packet_free(&pa);
	bulkq_packet_free(&pb);
	store_close(b);
	store_close(a);
}

/* A dead holder's packet is taken over after expiry; it lost the lease. */
static void
test_takeover(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet old, cur;
	struct bulkq_result r = { "a@x.org", 250, "250 ok" };
	enum bulkq_end end;

	(void)state;
	make_job(st, "s", 5, letters, 2, 25, 0);
	claim(st, "dead:1", &old);
	assert_int_equal(bulkq_renew(st, &old, 120), STORE_OK);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND lease_expires_at > now() + interval '119 seconds'",
	    old.id), 1);
	/* The lease is running: nobody takes it. */
	claim_none(st, "alive:2");
	sql1(st, "UPDATE bulk_packets SET lease_expires_at = now() - "
	    "interval '1 second' WHERE id = $1", old.id);
	claim(st, "alive:2", &cur);
	assert_int_equal(cur.id, old.id);
	assert_int_equal(cur.attempts, 2);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND lease_owner = 'alive:2'", cur.id), 1);
	/* The old holder can write nothing. */
	assert_int_equal(bulkq_renew(st, &old, 60), BULKQ_LOST);
	assert_int_equal(bulkq_record(st, &old, &r, 1, NULL), BULKQ_LOST);
	assert_int_equal(bulkq_finish(st, &old, NULL, &end), BULKQ_LOST);
	assert_int_equal(bulkq_release(st, &old), BULKQ_LOST);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_recipients "
	    "WHERE packet_id = $1", old.id), 0);
	/* The same owner claiming again has another lease (attempts). */
	sql1(st, "UPDATE bulk_packets SET lease_expires_at = now() - "
	    "interval '1 second' WHERE id = $1", cur.id);
	{
		struct bulkq_packet again;

		claim(st, "alive:2", &again);
		assert_int_equal(again.attempts, 3);
		assert_int_equal(bulkq_renew(st, &cur, 60), BULKQ_LOST);
		assert_int_equal(bulkq_renew(st, &again, 60), STORE_OK);
		assert_int_equal(bulkq_record(st, &again, &r, 1, NULL),
		    STORE_OK);
		bulkq_packet_free(&again);
	}
	bulkq_packet_free(&old);
	bulkq_packet_free(&cur);
	store_close(st);
}

/* Results, then a re-claim hands over only what is still to send. */
static void
test_results_and_reclaim(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p;
	const struct bulkq_result first[] = {
		{ "a@x.org", 250, "250 2.0.0 Ok: queued" },
		{ "b@x.org", 550, "550 5.1.1 <b@x.org>: no such user" },
		{ "c@x.org", 451, "451-4.7.1 try\r\n451 4.7.1 later\x01\xe9" },
		/* d: no answer at all (the connection dropped). */
	};
	const struct bulkq_result second[] = {
		{ "c@x.org", 250, "250 ok" },
		{ "d@x.org", 250, NULL },
		/* Answered again: a final answer is never changed. */
		{ "a@x.org", 451, "451 again" },
	};
	enum bulkq_end end;
	long long n;

	(void)state;
	make_job(st, "s", 5, letters, 4, 25, 50);
	claim(st, "h:1", &p);
	assert_int_equal(bulkq_record(st, &p, first, 3, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_str(sql_text(st, "SELECT string_agg(email || ' ' || state || ' ' "
	    "|| coalesce(smtp_status, '-') || ' ' || attempts || ' ' || "
	    "(done_at IS NOT NULL), '|' ORDER BY email) FROM bulk_recipients "
	    "WHERE packet_id = $1", p.id),
	    "a@x.org sent 250 2.0.0 Ok: queued 1 true|"
	    "b@x.org failed 550 5.1.1 <b@x.org>: no such user 1 true|"
	    "c@x.org deferred 451-4.7.1 try  451 4.7.1 later?? 1 false");
	assert_int_equal(bulkq_finish(st, &p, NULL, &end), STORE_OK);
	assert_int_equal(end, BULKQ_RETRY);
	/* Ready again after the first backoff (5 minutes), lease cleared. */
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'ready' AND lease_owner IS NULL AND "
	    "lease_expires_at IS NULL AND next_attempt_at BETWEEN "
	    "now() + interval '299 seconds' AND now() + interval '301 seconds'",
	    p.id), 1);
	claim_none(st, "h:1");
	sql1(st, "UPDATE bulk_packets SET next_attempt_at = now() - "
	    "interval '1 second' WHERE id = $1", p.id);
	bulkq_packet_free(&p);
	claim(st, "h:2", &p);
	assert_int_equal(p.attempts, 2);
	assert_str(rcpts_of(&p, 0), "c@x.org d@x.org");
	/* VERP (50% of 4: the first two) still to send: none. */
	assert_int_equal(p.nverp, 0);
	assert_int_equal(bulkq_record(st, &p, second, 3, &n), STORE_OK);
	assert_int_equal(n, 2);
	/* Someone the packet does not hold: ignored. */
	{
		const struct bulkq_result stray = { "z@x.org", 250, "250" };

		assert_int_equal(bulkq_record(st, &p, &stray, 1, &n), STORE_OK);
		assert_int_equal(n, 0);
		assert_int_equal(sql_int(st, "SELECT count(*) FROM "
		    "bulk_recipients WHERE email = 'z@x.org' AND "
		    "$1::int = $1", 0), 0);
	}
	assert_int_equal(bulkq_finish(st, &p, NULL, &end), STORE_OK);
	assert_int_equal(end, BULKQ_DONE);
	assert_str(sql_text(st, "SELECT string_agg(email || ' ' || state || ' ' "
	    "|| coalesce(smtp_status, '-') || ' ' || attempts, '|' ORDER BY "
	    "email) FROM bulk_recipients WHERE packet_id = $1", p.id),
	    "a@x.org sent 250 2.0.0 Ok: queued 1|"
	    "b@x.org failed 550 5.1.1 <b@x.org>: no such user 1|"
	    "c@x.org sent 250 ok 2|d@x.org sent - 1");
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'done' AND finished_at IS NOT NULL AND "
	    "lease_owner IS NULL", p.id), 1);
	claim_none(st, "h:1");
	/* The lease ended with the finish. */
	assert_int_equal(bulkq_record(st, &p, second, 1, NULL), BULKQ_LOST);
	bulkq_packet_free(&p);
	store_close(st);
}

/*
 * Several packets' answers in one statement: each is recorded when its
 * lease holds, one whose lease was taken over is left out alone, and a
 * packet asked to finish is done only when nobody is left without a
 * final answer.
 */
static void
test_record_batch(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p1, p2, p3;
	/* Packets of two: a b | c d | e f. */
	const struct bulkq_result r1[] = {
		{ "a@x.org", 250, "250 ok" }, { "b@x.org", 550, "550 no" },
	};
	const struct bulkq_result r2[] = { { "c@x.org", 250, "250 ok" } };
	const struct bulkq_result r2b[] = { { "d@x.org", 451, "451 later" } };
	const struct bulkq_result r3[] = { { "e@x.org", 250, "250 ok" } };
	struct bulkq_batch_item items[3] = {
		{ .p = &p1, .results = r1, .n = 2, .finish = 1 },
		{ .p = &p2, .results = r2, .n = 1, .finish = 1 },
		{ .p = &p3, .results = r3, .n = 1, .finish = 0 },
	};
	enum bulkq_end end;

	(void)state;
	make_job(st, "s", 5, letters, 6, 2, 0);
	claim(st, "h:1", &p1);
	claim(st, "h:1", &p2);
	claim(st, "h:1", &p3);
	assert_int_equal(bulkq_record_batch(st, items, 3), STORE_OK);
	/* p1: all final, done; p2: d has no answer yet, still claimed. */
	assert_true(items[0].held && items[0].finished);
	assert_int_equal(items[0].recorded, 2);
	assert_true(items[1].held && !items[1].finished);
	assert_true(items[2].held && !items[2].finished);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'done' AND lease_owner IS NULL", p1.id), 1);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'claimed'", p2.id), 1);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_recipients "
	    "WHERE packet_id = $1 AND state = 'sent'", p3.id), 1);
	/* A deferred last answer: the finish is left to bulkq_finish. */
	items[1] = (struct bulkq_batch_item){ .p = &p2, .results = r2b,
	    .n = 1, .finish = 1 };
	assert_int_equal(bulkq_record_batch(st, &items[1], 1), STORE_OK);
	assert_true(items[1].held && !items[1].finished);
	assert_int_equal(bulkq_finish(st, &p2, NULL, &end), STORE_OK);
	assert_int_equal(end, BULKQ_RETRY);
	/* p3 taken over: its answers are refused, the others' go in. */
	sql1(st, "UPDATE bulk_packets SET attempts = attempts + 1 WHERE id = $1",
	    p3.id);
	items[0] = (struct bulkq_batch_item){ .p = &p3, .results = r3,
	    .n = 1, .finish = 1 };
	assert_int_equal(bulkq_record_batch(st, items, 1), BULKQ_LOST);
	assert_false(items[0].held);
	assert_false(items[0].finished);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'claimed'", p3.id), 1);
	/* Nothing but the end: n = 0 with finish (its answers are in). */
	sql1(st, "UPDATE bulk_packets SET attempts = attempts - 1 WHERE id = $1",
	    p3.id);
	{
		const struct bulkq_result f = { "f@x.org", 250, "250 ok" };

		assert_int_equal(bulkq_record(st, &p3, &f, 1, NULL), STORE_OK);
	}
	items[0] = (struct bulkq_batch_item){ .p = &p3, .n = 0, .finish = 1 };
	assert_int_equal(bulkq_record_batch(st, items, 1), STORE_OK);
	assert_true(items[0].held && items[0].finished);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'done' AND lease_owner IS NULL", p3.id), 1);
	bulkq_packet_free(&p1);
	bulkq_packet_free(&p2);
	bulkq_packet_free(&p3);
	store_close(st);
}

/* The backoff doubles with the attempts. */
static void
test_backoff_in_database(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p;
	struct bulkq_result r = { "a@x.org", 421, "421 busy" };
	enum bulkq_end end;

	(void)state;
	make_job(st, "s", 5, letters, 1, 25, 0);
	for (int attempt = 1; attempt <= 3; attempt++) {
		long long id;

		claim(st, "h:1", &p);
		assert_int_equal(p.attempts, attempt);
		assert_int_equal(bulkq_record(st, &p, &r, 1, NULL), STORE_OK);
		assert_int_equal(bulkq_finish(st, &p, NULL, &end), STORE_OK);
		assert_int_equal(end, BULKQ_RETRY);
		id = p.id;
		/* 300, 600, 1200 seconds. */
		{
			char *want = sql_text(st, "SELECT round(extract(epoch "
			    "FROM next_attempt_at - now()))::text FROM "
			    "bulk_packets WHERE id = $1", id);
			long got = strtol(want, NULL, 10);

			free(want);
			assert_int_equal(got, 300L << (attempt - 1));
		}
		claim_none(st, "h:1");
		sql1(st, "UPDATE bulk_packets SET next_attempt_at = now() - "
		    "interval '1 second' WHERE id = $1", id);
		bulkq_packet_free(&p);
	}
	assert_int_equal(sql_int(st, "SELECT attempts FROM bulk_recipients "
	    "WHERE packet_id = (SELECT min(id) FROM bulk_packets) AND "
	    "$1::int = $1", 0), 3);
	store_close(st);
}

/* After the attempts or the age, the rest fail for the bounce machinery. */
static void
test_give_up(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p;
	struct bulkq_policy pol = { 2, 0, 0, 0 };
	struct bulkq_result r[] = {
		{ "a@x.org", 250, "250 ok" },
		{ "b@x.org", 452, "452 mailbox full" },
	};
	enum bulkq_end end;
	long long id;

	(void)state;
	make_job(st, "s", 5, letters, 3, 25, 0);
	claim(st, "h:1", &p);
	id = p.id;
	assert_int_equal(bulkq_record(st, &p, r, 2, NULL), STORE_OK);
	assert_int_equal(bulkq_finish(st, &p, &pol, &end), STORE_OK);
	assert_int_equal(end, BULKQ_RETRY);
	bulkq_packet_free(&p);
	sql1(st, "UPDATE bulk_packets SET next_attempt_at = now() - "
	    "interval '1 second' WHERE id = $1", id);
	claim(st, "h:1", &p);
	assert_int_equal(p.attempts, 2);
	assert_str(rcpts_of(&p, 0), "b@x.org c@x.org");
	assert_int_equal(bulkq_finish(st, &p, &pol, &end), STORE_OK);
	assert_int_equal(end, BULKQ_GAVE_UP);
	assert_str(sql_text(st, "SELECT string_agg(email || ' ' || state || ' ' "
	    "|| coalesce(smtp_status, '-') || ' ' || (done_at IS NOT NULL), "
	    "'|' ORDER BY email) FROM bulk_recipients WHERE packet_id = $1", id),
	    "a@x.org sent 250 ok true|"
	    "b@x.org failed herald: gave up after 2 attempts; last reply: "
	    "452 mailbox full true|"
	    "c@x.org failed herald: gave up after 2 attempts true");
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'failed' AND finished_at IS NOT NULL AND "
	    "lease_owner IS NULL AND last_error LIKE 'herald: gave up%'", id), 1);
	claim_none(st, "h:1");
	bulkq_packet_free(&p);

	/* Too old: given up at the first attempt, whatever the count. */
	make_job(st, "s2", 5, letters, 1, 25, 0);
	sql(st, "UPDATE bulk_packets SET created_at = now() - interval '6 days' "
	    "WHERE state = 'ready'");
	claim(st, "h:1", &p);
	assert_int_equal(p.attempts, 1);
	assert_int_equal(bulkq_finish(st, &p, NULL, &end), STORE_OK);
	assert_int_equal(end, BULKQ_GAVE_UP);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_recipients "
	    "WHERE packet_id = $1 AND state = 'failed'", p.id), 1);
	bulkq_packet_free(&p);
	/* A young one with attempts to spare is retried. */
	make_job(st, "s3", 5, letters, 1, 25, 0);
	sql(st, "UPDATE bulk_packets SET created_at = now() - interval '4 days' "
	    "WHERE state = 'ready'");
	claim(st, "h:1", &p);
	assert_int_equal(bulkq_finish(st, &p, NULL, &end), STORE_OK);
	assert_int_equal(end, BULKQ_RETRY);
	bulkq_packet_free(&p);
	store_close(st);
}

/* SIGTERM: the lease goes back, the attempt is not counted. */
static void
test_release(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p, q;
	struct bulkq_result r = { "a@x.org", 250, "250 ok" };

	(void)state;
	make_job(st, "s", 5, letters, 2, 25, 0);
	claim(st, "h:1", &p);
	assert_int_equal(bulkq_record(st, &p, &r, 1, NULL), STORE_OK);
	assert_int_equal(bulkq_release(st, &p), STORE_OK);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "id = $1 AND state = 'ready' AND attempts = 0 AND lease_owner IS "
	    "NULL AND lease_expires_at IS NULL", p.id), 1);
	/* Released once: the handle holds nothing now. */
	assert_int_equal(bulkq_release(st, &p), BULKQ_LOST);
	claim(st, "h:2", &q);
	assert_int_equal(q.id, p.id);
	assert_int_equal(q.attempts, 1);
	assert_str(rcpts_of(&q, 0), "b@x.org");
	bulkq_packet_free(&p);
	bulkq_packet_free(&q);
	store_close(st);
}

/* Everything already answered (a crash before finish): finish it. */
static void
test_all_answered(void **state)
{
	struct store *st = fresh();
	struct bulkq_packet p;
	struct bulkq_result r = { "a@x.org", 250, "250 ok" };
	enum bulkq_end end;

	(void)state;
	make_job(st, "s", 5, letters, 1, 25, 0);
	claim(st, "h:1", &p);
	assert_int_equal(bulkq_record(st, &p, &r, 1, NULL), STORE_OK);
	sql1(st, "UPDATE bulk_packets SET lease_expires_at = now() - "
	    "interval '1 second' WHERE id = $1", p.id);
	bulkq_packet_free(&p);
	claim(st, "h:2", &p);
	assert_int_equal(p.nrcpts, 0);
	assert_int_equal(bulkq_finish(st, &p, NULL, &end), STORE_OK);
	assert_int_equal(end, BULKQ_DONE);
	bulkq_packet_free(&p);
	store_close(st);
}

static long
wait_of(struct store *st, const char *domain)
{
	long w = -1;

	assert_int_equal(bulkq_domain_wait(st, domain, &w), STORE_OK);
	return w;
}

static void
note(struct store *st, const struct bulkq_result *r, size_t n,
    const struct bulkq_policy *pol)
{
	if (bulkq_note_domains(st, r, n, pol) != STORE_OK)
		fail_msg("note: %s", store_error(st));
}

/* Domains deferred as a whole are noted, doubling; a 2xx clears. */
static void
test_domain_notes(void **state)
{
	struct store *st = fresh();
	const struct bulkq_result deferred[] = {
		{ "a@x.org", 421, "421 4.7.0 slow down" },
		{ "b@x.org", 0, NULL },
		/* Mixed: y.org answered, so it is up. */
		{ "c@y.org", 250, "250 ok" },
		{ "d@y.org", 451, "451 later" },
		/* Refused: not a reason to wait. */
		{ "e@z.org", 550, "550 no" },
		/* An address literal is a domain too. */
		{ "f@[192.0.2.1]", 421, "421 busy" },
	};
	const struct bulkq_result up = { "a@x.org", 250, "250 ok" };
	const struct bulkq_result w = { "a@w.org", 450, "450 grey" };
	const struct bulkq_policy pol = { 0, 0, 10, 15 };
	long long n;

	(void)state;
	note(st, deferred, 6, NULL);
	assert_str(sql_text(st, "SELECT string_agg(domain || ' ' || deferrals "
	    "|| ' ' || coalesce(last_status, '-'), '|' ORDER BY domain) FROM "
	    "bulk_domain_backoff WHERE $1::int = $1", 0),
	    "[192.0.2.1] 1 421 busy|x.org 1 421 4.7.0 slow down");
	assert_in_range(wait_of(st, "x.org"), 299, 300);
	assert_int_equal(wait_of(st, "y.org"), 0);
	assert_int_equal(wait_of(st, "z.org"), 0);
	note(st, deferred, 2, NULL);
	assert_in_range(wait_of(st, "x.org"), 599, 600);
	note(st, deferred, 2, NULL);
	assert_in_range(wait_of(st, "x.org"), 1199, 1200);
	note(st, &up, 1, NULL);
	assert_int_equal(wait_of(st, "x.org"), 0);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_domain_backoff "
	    "WHERE domain = 'x.org' AND $1::int = $1", 0), 0);
	/* The policy's bounds. */
	note(st, &w, 1, &pol);
	assert_in_range(wait_of(st, "w.org"), 9, 10);
	note(st, &w, 1, &pol);
	assert_in_range(wait_of(st, "w.org"), 14, 15);
	note(st, &w, 1, &pol);
	assert_in_range(wait_of(st, "w.org"), 14, 15);
	/* Purge: notes whose backoff ended long ago. */
	sql(st, "UPDATE bulk_domain_backoff SET until = now() - "
	    "interval '2 days' WHERE domain = 'w.org'");
	assert_int_equal(wait_of(st, "w.org"), 0);
	assert_int_equal(bulkq_domains_purge(st, 86400, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_domain_backoff "
	    "WHERE $1::int = $1", 0), 1);
	store_close(st);
}

/* A packet back in the queue waits for its remaining domains. */
static void
test_domain_backoff_delays_retry(void **state)
{
	struct store *st = fresh();
	const char *rcpts[] = { "a@x.org", "b@q.org" };
	const struct bulkq_result slow = { "a@x.org", 421, "421 slow" };
	const struct bulkq_result ok = { "b@q.org", 250, "250 ok" };
	struct bulkq_packet p;
	enum bulkq_end end;
	long long id;

	(void)state;
	make_job(st, "s", 5, rcpts, 2, 25, 0);
	claim(st, "h:1", &p);
	id = p.id;
	assert_int_equal(bulkq_record(st, &p, &slow, 1, NULL), STORE_OK);
	note(st, &slow, 1, NULL);
	sql(st, "UPDATE bulk_domain_backoff SET until = now() + "
	    "interval '2 hours'");
	/* b@q.org (no note) may go now: the packet's own backoff. */
	assert_int_equal(bulkq_finish(st, &p, NULL, &end), STORE_OK);
	assert_int_equal(end, BULKQ_RETRY);
	assert_int_equal(sql_int(st, "SELECT round(extract(epoch FROM "
	    "next_attempt_at - now())) FROM bulk_packets WHERE id = $1", id),
	    300);
	bulkq_packet_free(&p);
	sql1(st, "UPDATE bulk_packets SET next_attempt_at = now() - "
	    "interval '1 second' WHERE id = $1", id);
	claim(st, "h:1", &p);
	assert_int_equal(bulkq_record(st, &p, &ok, 1, NULL), STORE_OK);
	/* Only a@x.org is left, and x.org waits two hours. */
	assert_int_equal(bulkq_finish(st, &p, NULL, &end), STORE_OK);
	assert_int_equal(end, BULKQ_RETRY);
	assert_int_equal(sql_int(st, "SELECT round(extract(epoch FROM "
	    "next_attempt_at - now())) FROM bulk_packets WHERE id = $1", id),
	    7200);
	bulkq_packet_free(&p);
	store_close(st);
}

/* -- concurrency ----------------------------------------------------- */

#define CONC_PACKETS	300
#define CONC_WORKERS	3

/*
 * A worker: claim, log the claim, record every recipient sent, finish,
 * until nothing is left. Exits 0, or 1 on any failure (no cmocka here:
 * this is a child).
 */
static void
conc_worker(int k)
{
	struct store *st = NULL;
	char owner[32];
	int claimed = 0;

	snprintf(owner, sizeof(owner), "host%d:%ld", k, (long)getpid());
	if (store_open(conninfo, "bulkq_test_worker", &st) != STORE_OK)
		_exit(1);
	for (;;) {
		struct bulkq_packet p;
		struct bulkq_result *r;
		enum bulkq_end end;
		int found;
		char id[24];
		const char *v[] = { id, owner };

		if (bulkq_claim(st, owner, 60, &p, &found) != STORE_OK)
			_exit(1);
		if (!found)
			break;
		snprintf(id, sizeof(id), "%lld", p.id);
		if (store_cmd(st, "INSERT INTO bulkq_test_claims VALUES "
		    "($1::bigint, $2)", 2, v, NULL) != STORE_OK)
			_exit(1);
		r = xcalloc(p.nrcpts, sizeof(*r));
		for (size_t i = 0; i < p.nrcpts; i++) {
			r[i].email = p.rcpts[i];
			r[i].code = 250;
			r[i].status = "250 ok";
		}
		if (bulkq_record(st, &p, r, p.nrcpts, NULL) != STORE_OK ||
		    bulkq_finish(st, &p, NULL, &end) != STORE_OK ||
		    end != BULKQ_DONE)
			_exit(1);
		free(r);
		bulkq_packet_free(&p);
		claimed++;
	}
	store_close(st);
	/* Each worker should have had a share; not checked (scheduling). */
	(void)claimed;
	_exit(0);
}

static void
test_concurrent_workers(void **state)
{
	struct store *st = fresh();
	const char **rcpts = xcalloc(CONC_PACKETS * 2, sizeof(*rcpts));
	char **own = xcalloc(CONC_PACKETS * 2, sizeof(*own));
	pid_t pids[CONC_WORKERS];

	(void)state;
	for (int i = 0; i < CONC_PACKETS * 2; i++) {
		char a[64];

		snprintf(a, sizeof(a), "u%04d@d%03d.example", i, i / 2);
		rcpts[i] = own[i] = xstrdup(a);
	}
	/* Two recipients per packet, in three jobs of mixed priorities. */
	make_job(st, "c1", 5, rcpts, 200, 2, 0);
	make_job(st, "c2", 3, rcpts + 200, 200, 2, 50);
	make_job(st, "c3", 7, rcpts + 400, 200, 2, 0);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "$1::int = $1", 0), CONC_PACKETS);
	sql(st, "CREATE TABLE bulkq_test_claims (packet_id bigint NOT NULL, "
	    "owner text NOT NULL)");
	for (int k = 0; k < CONC_WORKERS; k++) {
		pids[k] = fork();
		assert_true(pids[k] != -1);
		if (pids[k] == 0)
			conc_worker(k);
	}
	for (int k = 0; k < CONC_WORKERS; k++) {
		int status;

		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	/* Each packet claimed exactly once, by somebody. */
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulkq_test_claims "
	    "WHERE $1::int = $1", 0), CONC_PACKETS);
	assert_int_equal(sql_int(st, "SELECT count(DISTINCT packet_id) FROM "
	    "bulkq_test_claims WHERE $1::int = $1", 0), CONC_PACKETS);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_packets WHERE "
	    "state = 'done' AND attempts = 1 AND $1::int = $1", 0),
	    CONC_PACKETS);
	/* Every recipient recorded once, sent at the first attempt. */
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_recipients "
	    "WHERE state = 'sent' AND attempts = 1 AND $1::int = $1", 0),
	    CONC_PACKETS * 2);
	assert_int_equal(sql_int(st, "SELECT count(*) FROM bulk_recipients "
	    "WHERE NOT (state = 'sent' AND attempts = 1) AND $1::int = $1", 0),
	    0);
	for (int i = 0; i < CONC_PACKETS * 2; i++)
		free(own[i]);
	free(own);
	free(rcpts);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_of),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_claim_plan),
		cmocka_unit_test(test_claim_fields),
		cmocka_unit_test(test_claim_order),
		cmocka_unit_test(test_not_due),
		cmocka_unit_test(test_skip_locked),
		cmocka_unit_test(test_takeover),
		cmocka_unit_test(test_results_and_reclaim),
		cmocka_unit_test(test_record_batch),
		cmocka_unit_test(test_backoff_in_database),
		cmocka_unit_test(test_give_up),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_all_answered),
		cmocka_unit_test(test_domain_notes),
		cmocka_unit_test(test_domain_backoff_delays_retry),
		cmocka_unit_test(test_concurrent_workers),
	};

	log_open("bulkq_test", 0, LOG_TO_STDERR);
	log_set_verbose(0);
	conninfo = getenv("HERALD_TEST_DATABASE");
	if (conninfo != NULL && *conninfo == '\0')
		conninfo = NULL;
	if (conninfo == NULL)
		printf("skip: bulkq_test: HERALD_TEST_DATABASE is not set "
		    "(see test/lib/pg.sh): database cases skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
