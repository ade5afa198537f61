/*
 * scenario_bench - scenario evaluations per second.
 *
 *	bench scenario_eval_pure: N evals/s
 *	    a file of rules without database conditions (spam status,
 *	    headers, equal, match, is_bcc) on a parsed message; goal
 *	    >= 1,000,000/s.
 *	bench scenario_eval_send_private_100000: N evals/s
 *	    (with HERALD_TEST_DATABASE) Sympa's send.private on a list of
 *	    100,000 members through the PostgreSQL oracle, reset before
 *	    each evaluation as a daemon does per request, posters drawn
 *	    from 1,000 addresses; goal >= 50,000/s.
 *	bench scenario_eval_send_private_100000_cold: N evals/s
 *	    the same with a new sender every time: one query each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "scenario.h"
#include "store.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char pure[] =
    "title.gettext bench\n"
    "match([msg->spam_status],/spam/) smtp,md5,smime -> editorkey,quiet\n"
    "equal([is_bcc],1) smtp,md5,smime -> reject(reason='bcc')\n"
    "match([header->X-Spam-Status][-1],/^\\s*yes/) smtp,md5,smime -> spam\n"
    "match([sender],/@evil\\.example$/) smtp,md5,smime -> reject,quiet\n"
    "equal([sender],'boss@example.org') smtp,md5,smime -> do_it\n"
    "true() smtp,md5,smime -> do_it,notify\n";

static const char mail[] =
    "From: alice@example.org\nTo: staff@lists.example.org\n"
    "X-Spam-Status: No, score=0.1\nSubject: hi\n\nhello\n";

static int
bench_pure(void)
{
	struct buf err = BUF_INIT(1024);
	struct scenario *sc = scenario_parse("bench", pure, sizeof(pure) - 1,
	    NULL, &err);
	struct msg *m = msg_parse(mail, sizeof(mail) - 1, NULL, NULL);
	struct scenario_ctx ctx = { 0 };
	struct scenario_result res;
	long n = 2000000;
	double t0, t1;

	if (sc == NULL || m == NULL) {
		printf("bench scenario_eval_pure: FAILED (%s)\n", buf_cstr(&err));
		return 1;
	}
	ctx.sender = "alice@example.org";
	ctx.listname = "staff";
	ctx.domain = "lists.example.org";
	ctx.msg = m;
	ctx.spam_status = "ham";
	ctx.now = 1700000000;
	t0 = now();
	for (long i = 0; i < n; i++)
		scenario_eval(sc, &ctx, &res);
	t1 = now();
	if (res.action != SCENARIO_DO_IT || !res.notify) {
		printf("bench scenario_eval_pure: FAILED (wrong decision)\n");
		return 1;
	}
	printf("bench scenario_eval_pure: %.0f evals/s\n", (double)n / (t1 - t0));
	scenario_unref(sc);
	msg_free(m);
	buf_free(&err);
	return 0;
}

/*
 * The list "scenbench" with 100,000 members, made again in whatever
 * database this is: nothing else in it is touched (run.sh's bench_db is
 * shared with the other benches).
 */
static int
setup_db(struct store *st)
{
	static const char *const q[] = {
		"INSERT INTO lists (name, domain) VALUES ('scenbench',"
		    " 'bench.example.org') ON CONFLICT DO NOTHING",
		"DELETE FROM subscribers WHERE list_id = (SELECT id FROM lists"
		    " WHERE name = 'scenbench' AND domain = 'bench.example.org')",
		"INSERT INTO subscribers (list_id, email) SELECT l.id, 'user' || i"
		    " || '@example' || (i % 97) || '.org' FROM lists l,"
		    " generate_series(0, 99999) i WHERE l.name = 'scenbench'"
		    " AND l.domain = 'bench.example.org'",
		"INSERT INTO admins (list_id, email, role) SELECT id,"
		    " 'owner@example.org', 'owner' FROM lists WHERE name ="
		    " 'scenbench' ON CONFLICT DO NOTHING",
		"ANALYZE lists",
		"ANALYZE subscribers",
		"ANALYZE admins",
	};

	if (store_migrate(st, NULL, NULL) != STORE_OK)
		return -1;
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (store_cmd(st, q[i], 0, NULL, NULL) != STORE_OK)
			return -1;
	return 0;
}

/*
 * The sender of request i. cold: every request a new address, so every
 * evaluation pays its query. warm: posters are a small crowd, as on a
 * real list - 1,000 distinct senders - so after the first post of each
 * the answer comes from the cache. Nine in ten are members.
 */
static void
sender_of(long i, int warm, char *out, size_t size)
{
	long k = warm ? (i * 7919) % 1000 : i;

	snprintf(out, size, "user%ld@example%ld.org",
	    k % 10 == 0 ? k + 200000 : k, k % 97);
}

static int
run_private(struct store *st, struct scenario *sc, int warm, const char *name)
{
	struct scenario_store *ss = scenario_store_new(st, NULL);
	struct scenario_ctx ctx = { 0 };
	struct scenario_result res;
	char sender[64];
	long n = warm ? 1000000 : 100000, yes = 0;
	double t0, t1;

	ctx.listname = "scenbench";
	ctx.domain = "bench.example.org";
	ctx.members = scenario_store_members(ss);
	t0 = now();
	for (long i = 0; i < n; i++) {
		sender_of(i, warm, sender, sizeof(sender));
		ctx.sender = sender;
		scenario_store_reset(ss);
		scenario_eval(sc, &ctx, &res);
		yes += res.action == SCENARIO_DO_IT;
	}
	t1 = now();
	printf("bench %s: %.0f evals/s (%ld of %ld accepted; %s)\n", name,
	    (double)n / (t1 - t0), yes, n, warm ? "1,000 distinct posters, "
	    "answers kept until the list changes" : "a new sender each time: "
	    "one query each");
	scenario_store_free(ss);
	return yes == n - n / 10 ? 0 : 1;
}

static int
bench_private(const char *conninfo, const char *file)
{
	struct store *st = NULL;
	struct buf err = BUF_INIT(1024);
	struct scenario *sc;
	int rc;

	if (store_open(conninfo, "scenario_bench", &st) != STORE_OK ||
	    setup_db(st) == -1) {
		printf("bench scenario_eval_send_private_100000: FAILED (%s)\n",
		    st ? store_error(st) : "connect");
		store_close(st);
		return 1;
	}
	if ((sc = scenario_load(file, NULL, &err)) == NULL) {
		printf("bench scenario_eval_send_private_100000: FAILED (%s)\n",
		    buf_cstr(&err));
		store_close(st);
		return 1;
	}
	rc = run_private(st, sc, 0, "scenario_eval_send_private_100000_cold");
	rc |= run_private(st, sc, 1, "scenario_eval_send_private_100000");
	scenario_unref(sc);
	store_close(st);
	buf_free(&err);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *db = getenv("HERALD_TEST_DATABASE");
	const char *corpora = getenv("HERALD_CORPORA");
	char file[4096];
	int rc;

	log_open("scenario_bench", 0, LOG_TO_STDERR);
	log_set_verbose(0);
	rc = bench_pure();
	/* send.private: Sympa's own, or the one named on the command line. */
	snprintf(file, sizeof(file), "%s/sympa-testdata/default/scenari/"
	    "send.private", corpora ? corpora : "../shared/corpora");
	if (argc > 1)
		snprintf(file, sizeof(file), "%s", argv[1]);
	if (db == NULL || *db == '\0')
		printf("bench scenario_eval_send_private_100000: skipped "
		    "(HERALD_TEST_DATABASE not set)\n");
	else
		rc |= bench_private(db, file);
	return rc;
}
