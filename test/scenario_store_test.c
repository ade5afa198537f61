/*
 * scenario_store_test - the membership conditions against a real
 * PostgreSQL: members, owners, editors, listmasters, a list without
 * editors, another list named in a condition, a change seen after a
 * reset, and Sympa's own send/subscribe/review files on top.
 *
 * Needs HERALD_TEST_DATABASE (a database this test may wipe); without it
 * the test says so and skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "mem.h"
#include "scenario.h"
#include "store.h"
#include "testutil.h"

static const char *conninfo;

static void
sql(struct store *st, const char *q)
{
	if (store_cmd(st, q, 0, NULL, NULL) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
}

static struct store *
fresh(void)
{
	struct store *st = NULL;

	assert_int_equal(store_open(conninfo, "scenario_store_test", &st),
	    STORE_OK);
	sql(st, "DROP SCHEMA IF EXISTS public CASCADE");
	sql(st, "CREATE SCHEMA public");
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	sql(st, "INSERT INTO lists (name, domain) VALUES ('staff', "
	    "'lists.example.org'), ('noed', 'lists.example.org'), "
	    "('other', 'other.example.org')");
	sql(st, "INSERT INTO subscribers (list_id, email, name) SELECT id, "
	    "'member@example.org', 'Mem Ber' FROM lists WHERE name = 'staff'");
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT id, "
	    "'far@example.org' FROM lists WHERE name = 'other'");
	sql(st, "INSERT INTO admins (list_id, email, role) SELECT id, "
	    "'owner@example.org', 'owner' FROM lists");
	sql(st, "INSERT INTO admins (list_id, email, role) SELECT id, "
	    "'editor@example.org', 'editor' FROM lists WHERE name = 'staff'");
	return st;
}

/* Evaluate text for sender on list with the store oracle. */
static enum scenario_action
run(struct scenario_store *ss, const char *text, const char *list,
    const char *sender, enum scenario_auth auth)
{
	struct buf err = BUF_INIT(1024);
	struct scenario *sc = scenario_parse("t.x", text, strlen(text), NULL,
	    &err);
	struct scenario_ctx ctx = { 0 };
	struct scenario_result res;

	if (sc == NULL)
		fail_msg("%s", buf_cstr(&err));
	ctx.sender = sender;
	ctx.listname = list;
	ctx.domain = "lists.example.org";
	ctx.auth = auth;
	ctx.members = scenario_store_members(ss);
	scenario_store_reset(ss);
	scenario_eval(sc, &ctx, &res);
	scenario_unref(sc);
	buf_free(&err);
	return res.action;
}

#define YES(cond) cond " -> do_it\ntrue() -> reject\n"

static void
test_roles(void **state)
{
	struct store *st = fresh();
	struct config *cf = config_defaults();
	struct buf err = BUF_INIT(1024);
	struct scenario_store *ss;

	(void)state;
	assert_non_null(cf);
	assert_int_equal(config_set(cf, config_lookup("listmaster"),
	    "lm@example.org", "test", &err), 0);
	ss = scenario_store_new(st, cf);
#define R(c, l, s) run(ss, YES(c), l, s, SCENARIO_AUTH_SMTP)
	assert_int_equal(R("is_subscriber([listname],[sender])", "staff",
	    "member@example.org"), SCENARIO_DO_IT);
	assert_int_equal(R("is_subscriber([listname],[sender])", "staff",
	    "MEMBER@example.org"), SCENARIO_DO_IT);
	assert_int_equal(R("is_subscriber([listname],[sender])", "staff",
	    "owner@example.org"), SCENARIO_REJECT);
	assert_int_equal(R("is_subscriber([listname],[sender])", "nosuch",
	    "member@example.org"), SCENARIO_REJECT);
	assert_int_equal(R("is_subscriber('other@other.example.org',[sender])",
	    "staff", "far@example.org"), SCENARIO_DO_IT);
	assert_int_equal(R("is_owner([listname],[sender])", "staff",
	    "owner@example.org"), SCENARIO_DO_IT);
	assert_int_equal(R("is_owner([listname],[sender])", "staff",
	    "lm@example.org"), SCENARIO_DO_IT);
	assert_int_equal(R("is_owner([listname],[sender])", "staff",
	    "editor@example.org"), SCENARIO_REJECT);
	assert_int_equal(R("is_editor([listname],[sender])", "staff",
	    "editor@example.org"), SCENARIO_DO_IT);
	/* staff has an editor: its owner is not one. */
	assert_int_equal(R("is_editor([listname],[sender])", "staff",
	    "owner@example.org"), SCENARIO_REJECT);
	/* noed has none: its owners moderate. */
	assert_int_equal(R("is_editor([listname],[sender])", "noed",
	    "owner@example.org"), SCENARIO_DO_IT);
	assert_int_equal(R("is_editor([listname],[sender])", "noed",
	    "editor@example.org"), SCENARIO_REJECT);
	assert_int_equal(R("is_listmaster([sender])", "staff",
	    "LM@example.org"), SCENARIO_DO_IT);
	assert_int_equal(R("is_listmaster([sender])", "staff",
	    "owner@example.org"), SCENARIO_REJECT);
	assert_int_equal(R("equal([subscriber->gecos],'Mem Ber')", "staff",
	    "member@example.org"), SCENARIO_DO_IT);
	/* A change made on this session is seen by the next request. */
	sql(st, "DELETE FROM subscribers WHERE email = 'member@example.org'");
	assert_int_equal(R("is_subscriber([listname],[sender])", "staff",
	    "member@example.org"), SCENARIO_REJECT);
#undef R
	scenario_store_free(ss);
	config_free(cf);
	buf_free(&err);
	store_close(st);
}

/*
 * Evaluate is_subscriber for sender on staff until it gives want, at most
 * about 5 s: another session's change arrives as a notification whenever
 * its backend sends it. Returns what was last seen.
 */
static enum scenario_action
await_member(struct scenario_store *ss, const char *sender,
    enum scenario_action want)
{
	enum scenario_action got = SCENARIO_REJECT;

	for (int i = 0; i < 500; i++) {
		got = run(ss, YES("is_subscriber([listname],[sender])"), "staff",
		    sender, SCENARIO_AUTH_SMTP);
		if (got == want)
			break;
		usleep(10000);
	}
	return got;
}

/*
 * Answers are kept across requests and dropped when another session
 * changes the list (LISTEN/NOTIFY), or when the connection was lost.
 */
static void
test_cache_across_sessions(void **state)
{
	struct store *st = fresh(), *other = NULL;
	struct scenario_store *ss = scenario_store_new(st, NULL);
	(void)state;
	assert_int_equal(store_open(conninfo, "scenario_store_test_other",
	    &other), STORE_OK);
	assert_int_equal(await_member(ss, "new@example.org", SCENARIO_REJECT),
	    SCENARIO_REJECT);
	/*
	 * Kept: with the announcement switched off, a subscription is not
	 * seen, since the answer comes from the cache and not the database.
	 */
	sql(other, "ALTER TABLE subscribers DISABLE TRIGGER"
	    " subscribers_notify_insert");
	sql(other, "INSERT INTO subscribers (list_id, email) SELECT id,"
	    " 'new@example.org' FROM lists WHERE name = 'staff'");
	sql(other, "ALTER TABLE subscribers ENABLE TRIGGER"
	    " subscribers_notify_insert");
	usleep(200000);
	assert_int_equal(run(ss, YES("is_subscriber([listname],[sender])"),
	    "staff", "new@example.org", SCENARIO_AUTH_SMTP), SCENARIO_REJECT);
	sql(other, "DELETE FROM subscribers WHERE email = 'new@example.org'");
	assert_int_equal(await_member(ss, "new@example.org", SCENARIO_REJECT),
	    SCENARIO_REJECT);

	/* Another session subscribes it: the notification drops the answer. */
	sql(other, "INSERT INTO subscribers (list_id, email) SELECT id,"
	    " 'new@example.org' FROM lists WHERE name = 'staff'");
	assert_int_equal(await_member(ss, "new@example.org", SCENARIO_DO_IT),
	    SCENARIO_DO_IT);
	/* A change on another list leaves this one's answers alone... */
	sql(other, "DELETE FROM subscribers WHERE email = 'far@example.org'");
	/* ...and a removal is seen as well. */
	sql(other, "DELETE FROM subscribers WHERE email = 'new@example.org'");
	assert_int_equal(await_member(ss, "new@example.org", SCENARIO_REJECT),
	    SCENARIO_REJECT);

	/*
	 * The oracle's session is killed, then the list changes: the
	 * notification was never received, but the lost connection makes
	 * the oracle forget everything and ask again.
	 */
	{
		PGresult *r = NULL;

		assert_int_equal(store_query(other, "SELECT pg_terminate_backend(pid)"
		    " FROM pg_stat_activity WHERE application_name ="
		    " 'scenario_store_test'", 0, NULL, &r), STORE_OK);
		assert_int_equal(PQntuples(r), 1);
		PQclear(r);
	}
	sql(other, "INSERT INTO subscribers (list_id, email) SELECT id,"
	    " 'new@example.org' FROM lists WHERE name = 'staff'");
	assert_int_equal(await_member(ss, "new@example.org", SCENARIO_DO_IT),
	    SCENARIO_DO_IT);

	scenario_store_free(ss);
	store_close(other);
	store_close(st);
}

/* Sympa's files on the real store. */
static void
test_sympa_files(void **state)
{
	struct store *st = fresh();
	struct scenario_store *ss = scenario_store_new(st, NULL);
	const char *dir = test_corpus_path("sympa-testdata/default/scenari");
	static const struct {
		const char *file, *sender, *list;
		enum scenario_auth auth;
		enum scenario_action want;
	} rows[] = {
		{ "send.private", "member@example.org", "staff", SCENARIO_AUTH_SMTP, SCENARIO_DO_IT },
		{ "send.private", "editor@example.org", "staff", SCENARIO_AUTH_SMTP, SCENARIO_DO_IT },
		{ "send.private", "owner@example.org", "staff", SCENARIO_AUTH_SMTP, SCENARIO_DO_IT },
		{ "send.private", "x@example.net", "staff", SCENARIO_AUTH_SMTP, SCENARIO_REJECT },
		{ "send.editorkey", "editor@example.org", "staff", SCENARIO_AUTH_SMTP, SCENARIO_DO_IT },
		{ "send.editorkey", "member@example.org", "staff", SCENARIO_AUTH_SMTP, SCENARIO_EDITORKEY },
		{ "send.editorkey", "owner@example.org", "noed", SCENARIO_AUTH_SMTP, SCENARIO_DO_IT },
		{ "send.privateorpublickey", "x@example.net", "staff", SCENARIO_AUTH_SMTP, SCENARIO_REQUEST_AUTH },
		{ "subscribe.owner", "x@example.net", "staff", SCENARIO_AUTH_SMTP, SCENARIO_OWNER },
		{ "subscribe.owner", "owner@example.org", "staff", SCENARIO_AUTH_SMTP, SCENARIO_DO_IT },
		{ "review.owner", "owner@example.org", "staff", SCENARIO_AUTH_SMTP, SCENARIO_DO_IT },
		{ "review.owner", "member@example.org", "staff", SCENARIO_AUTH_SMTP, SCENARIO_REJECT },
	};

	(void)state;
	if (dir == NULL) {
		printf("skip: corpora absent\n");
		scenario_store_free(ss);
		store_close(st);
		skip();
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char file[4096];
		struct buf err = BUF_INIT(1024);
		struct scenario *sc;
		struct scenario_ctx ctx = { 0 };
		struct scenario_result res;

		snprintf(file, sizeof(file), "%s/%s", dir, rows[i].file);
		assert_non_null(sc = scenario_load(file, NULL, &err));
		ctx.sender = rows[i].sender;
		ctx.listname = rows[i].list;
		ctx.domain = "lists.example.org";
		ctx.auth = rows[i].auth;
		ctx.members = scenario_store_members(ss);
		scenario_store_reset(ss);
		scenario_eval(sc, &ctx, &res);
		if (res.action != rows[i].want)
			fail_msg("%s %s: %s", rows[i].file, rows[i].sender,
			    scenario_action_name(res.action));
		scenario_unref(sc);
		buf_free(&err);
	}
	scenario_store_free(ss);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_sympa_files),
		cmocka_unit_test(test_cache_across_sessions),
	};

	log_open("scenario_store_test", 0, LOG_TO_STDERR);
	conninfo = getenv("HERALD_TEST_DATABASE");
	if (conninfo == NULL || *conninfo == '\0') {
		printf("skip: scenario_store_test: HERALD_TEST_DATABASE is not set "
		    "(see test/lib/pg.sh)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
