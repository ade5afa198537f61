/*
 * request_test - the keys of waiting mail commands and the robot's reply
 * counts, against a real PostgreSQL: a request recorded, found waiting
 * when asked again, taken once and only once, case-insensitively, never
 * when expired or malformed, replaced once expired, purged; the reply
 * windows: under the limit, the first over (the listmasters told once),
 * over, a new window.
 *
 * Needs HERALD_TEST_DATABASE (a database this test may wipe); skipped
 * without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"
#include "replyrate.h"
#include "request.h"
#include "store.h"

static const char *conninfo;

static void
sql(struct store *st, const char *q)
{
	assert_int_equal(store_cmd(st, q, 0, NULL, NULL), STORE_OK);
}

static long long
count(struct store *st, const char *q)
{
	PGresult *r;
	long long n;

	assert_int_equal(store_query(st, q, 0, NULL, &r), STORE_OK);
	assert_int_equal(PQntuples(r), 1);
	n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

static struct store *
fresh(void)
{
	struct store *st = NULL;

	if (conninfo == NULL)
		return NULL;
	assert_int_equal(store_open(conninfo, "request_test", &st), STORE_OK);
	sql(st, "DROP SCHEMA IF EXISTS public CASCADE");
	sql(st, "CREATE SCHEMA public");
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	sql(st, "INSERT INTO lists (name, domain) VALUES ('staff', "
	    "'lists.example.org')");
	return st;
}

static void
subscribe_request(struct store *st, struct request *r, const char *email)
{
	PGresult *res;

	memset(r, 0, sizeof(*r));
	assert_int_equal(store_query(st, "SELECT id FROM lists", 0, NULL,
	    &res), STORE_OK);
	snprintf(r->list_id, sizeof(r->list_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	r->kind = REQUEST_CONFIRM;
	r->action = REQUEST_SUBSCRIBE;
	snprintf(r->email, sizeof(r->email), "%s", email);
	snprintf(r->requester, sizeof(r->requester), "%s", email);
	snprintf(r->gecos, sizeof(r->gecos), "Alice Liddell");
	snprintf(r->message_id, sizeof(r->message_id), "cmd1@example.net");
	r->quiet = 1;
}

static void
test_requests(void **state)
{
	struct store *st = fresh();
	struct request r, again, got;
	char key[HOLD_KEY_LEN + 1], upper[HOLD_KEY_LEN + 1];
	int waiting, found;
	long long n;

	(void)state;
	if (st == NULL)
		skip();
	subscribe_request(st, &r, "alice@example.net");
	assert_int_equal(request_put(st, &r, 7, &waiting), STORE_OK);
	assert_int_equal(waiting, 0);
	assert_true(hold_key_valid(r.key));
	memcpy(key, r.key, sizeof(key));

	/* Asked again: the same key waits, no second row. */
	subscribe_request(st, &again, "alice@example.net");
	assert_int_equal(request_put(st, &again, 7, &waiting), STORE_OK);
	assert_int_equal(waiting, 1);
	assert_string_equal(again.key, key);
	assert_int_equal(count(st, "SELECT count(*) FROM requests"), 1);

	/* Another kind for the same address is another request. */
	again.kind = REQUEST_OWNER;
	assert_int_equal(request_put(st, &again, 7, &waiting), STORE_OK);
	assert_int_equal(waiting, 0);
	assert_string_not_equal(again.key, key);

	/* Not keys, or unknown ones. */
	assert_int_equal(request_take(st, "nothex", &got, &found), STORE_OK);
	assert_int_equal(found, 0);
	assert_int_equal(request_take(st, "0123456789abcdef0123456789abcdef",
	    &got, &found), STORE_OK);
	assert_int_equal(found, 0);

	/* Taken once, whatever the case of the key; then spent. */
	for (size_t i = 0; i <= HOLD_KEY_LEN; i++)
		upper[i] = (char)(key[i] >= 'a' && key[i] <= 'f' ?
		    key[i] - 'a' + 'A' : key[i]);
	assert_int_equal(request_take(st, upper, &got, &found), STORE_OK);
	assert_int_equal(found, 1);
	assert_string_equal(got.key, key);
	assert_int_equal(got.kind, REQUEST_CONFIRM);
	assert_int_equal(got.action, REQUEST_SUBSCRIBE);
	assert_string_equal(got.list_name, "staff");
	assert_string_equal(got.domain, "lists.example.org");
	assert_string_equal(got.email, "alice@example.net");
	assert_string_equal(got.gecos, "Alice Liddell");
	assert_string_equal(got.message_id, "cmd1@example.net");
	assert_int_equal(got.quiet, 1);
	assert_true(got.created > 0);
	assert_int_equal(request_take(st, key, &got, &found), STORE_OK);
	assert_int_equal(found, 0);

	/* Expired: never taken, replaced by a new request, purged. */
	subscribe_request(st, &r, "bob@example.net");
	assert_int_equal(request_put(st, &r, 7, &waiting), STORE_OK);
	memcpy(key, r.key, sizeof(key));
	sql(st, "UPDATE requests SET created_at = now() - interval '9 days',"
	    " expires_at = now() - interval '2 days'"
	    " WHERE email = 'bob@example.net'");
	assert_int_equal(request_take(st, key, &got, &found), STORE_OK);
	assert_int_equal(found, 0);
	assert_int_equal(request_put(st, &r, 7, &waiting), STORE_OK);
	assert_int_equal(waiting, 0);
	assert_string_not_equal(r.key, key);
	sql(st, "UPDATE requests SET created_at = now() - interval '9 days',"
	    " expires_at = now() - interval '2 days'"
	    " WHERE email = 'bob@example.net'");
	assert_int_equal(request_purge(st, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count(st, "SELECT count(*) FROM requests"), 1);

	/* A list that goes takes its requests along. */
	sql(st, "DELETE FROM lists");
	assert_int_equal(count(st, "SELECT count(*) FROM requests"), 0);
	store_close(st);
}

static void
test_replyrate(void **state)
{
	struct store *st = fresh();
	enum replyrate_verdict v;
	long long n;

	(void)state;
	if (st == NULL)
		skip();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(replyrate_take(st, "alice@example.net", 3,
		    3600, &v), STORE_OK);
		assert_int_equal(v, REPLYRATE_SEND);
	}
	assert_int_equal(replyrate_take(st, "alice@example.net", 3, 3600, &v),
	    STORE_OK);
	assert_int_equal(v, REPLYRATE_FIRST_OVER);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(replyrate_take(st, "alice@example.net", 3,
		    3600, &v), STORE_OK);
		assert_int_equal(v, REPLYRATE_OVER);
	}
	/* Another address has its own window. */
	assert_int_equal(replyrate_take(st, "bob@example.net", 3, 3600, &v),
	    STORE_OK);
	assert_int_equal(v, REPLYRATE_SEND);

	/* The window over: counted afresh, and told again when over. */
	sql(st, "UPDATE command_replies SET window_start = now() -"
	    " interval '2 hours' WHERE address = 'alice@example.net'");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(replyrate_take(st, "alice@example.net", 3,
		    3600, &v), STORE_OK);
		assert_int_equal(v, REPLYRATE_SEND);
	}
	assert_int_equal(replyrate_take(st, "alice@example.net", 3, 3600, &v),
	    STORE_OK);
	assert_int_equal(v, REPLYRATE_FIRST_OVER);

	sql(st, "UPDATE command_replies SET window_start = now() -"
	    " interval '2 hours' WHERE address = 'bob@example.net'");
	assert_int_equal(replyrate_purge(st, 3600, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count(st, "SELECT count(*) FROM command_replies"), 1);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_replyrate),
	};

	log_open("request_test", 0, LOG_TO_STDERR);
	conninfo = getenv("HERALD_TEST_DATABASE");
	if (conninfo != NULL && *conninfo == '\0')
		conninfo = NULL;
	if (conninfo == NULL)
		printf("skip: request_test: HERALD_TEST_DATABASE is not set: "
		    "the database cases are skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
