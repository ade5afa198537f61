/*
 * roster_test - lists, members, owners and editors against a real
 * PostgreSQL, with their audit records.
 *
 * Needs HERALD_TEST_DATABASE (test/lib/pg.sh); skips without it. The
 * database is shared with the other tests of a run, so nothing is wiped:
 * the schema is migrated (a no-op when it is current) and every list
 * lives in a domain of its own, made unique by the process id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit.h"
#include "log.h"
#include "mem.h"
#include "roster.h"
#include "store.h"

static const char *test_conninfo;
static char test_domain[64];
static const struct roster_who test_who = { .actor = "roster_test",
    .channel = "cli" };

static struct store *
test_open(void)
{
	struct store *st = NULL;

	assert_int_equal(store_open(test_conninfo, "roster_test", &st),
	    STORE_OK);
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	return st;
}

static long long
test_int(struct store *st, const char *sql, int n, const char *const *p)
{
	long long v;

	assert_int_equal(store_scalar_int(st, sql, n, p, &v), STORE_OK);
	return v;
}

/* Audit records of an action on a list of the test domain. */
static long long
test_audits(struct store *st, const char *list, const char *action,
    const char *target)
{
	char addr[160];
	const char *p[] = { addr, action, target };

	snprintf(addr, sizeof addr, "%s@%s", list, test_domain);
	return test_int(st, "SELECT count(*) FROM audit_log WHERE "
	    "list_address = $1 AND action = $2 AND channel = 'cli' AND "
	    "actor = 'roster_test' AND ($3::text IS NULL OR target = $3)",
	    3, p);
}

static int
test_count_entry(const struct roster_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return STORE_OK;
}

static void
test_create_and_lifecycle(void **state)
{
	struct store *st = *state;
	const char *owners[] = { "owner@example.org", "second@example.org" };
	struct roster_list l;
	struct roster_purged pu;

	assert_int_equal(roster_list_create(st, &test_who, "life", test_domain,
	    owners, 2, &l), STORE_OK);
	assert_string_equal(l.status, "open");
	assert_int_equal(roster_list_create(st, &test_who, "life", test_domain,
	    owners, 1, &l), ROSTER_EXISTS);
	assert_int_equal(roster_list_get(st, "life", test_domain, &l),
	    STORE_OK);
	assert_int_equal(l.owners, 2);
	assert_int_equal(roster_list_get(st, "nosuch", test_domain, &l),
	    ROSTER_NOLIST);
	assert_int_equal(test_audits(st, "life", "list.create", NULL), 1);

	/* Purge only a closed list; close and reopen change the status. */
	assert_int_equal(roster_list_purge(st, &test_who, "life", test_domain,
	    &pu), ROSTER_STATE);
	assert_int_equal(roster_list_reopen(st, &test_who, "life",
	    test_domain), ROSTER_STATE);
	assert_int_equal(roster_list_close(st, &test_who, "life", test_domain),
	    STORE_OK);
	assert_int_equal(roster_list_close(st, &test_who, "life", test_domain),
	    ROSTER_STATE);
	assert_int_equal(roster_member_add(st, &test_who, "life", test_domain,
	    "m@example.org", NULL, NULL), ROSTER_STATE);
	assert_int_equal(roster_list_reopen(st, &test_who, "life",
	    test_domain), STORE_OK);
	assert_int_equal(roster_member_add(st, &test_who, "life", test_domain,
	    "m@example.org", "M", NULL), STORE_OK);

	/* Rename, then purge: the audit records outlive the list. */
	assert_int_equal(roster_list_rename(st, &test_who, "life", test_domain,
	    "life2", test_domain), STORE_OK);
	assert_int_equal(roster_list_get(st, "life", test_domain, &l),
	    ROSTER_NOLIST);
	assert_int_equal(roster_list_close(st, &test_who, "life2",
	    test_domain), STORE_OK);
	assert_int_equal(roster_list_purge(st, &test_who, "life2", test_domain,
	    &pu), STORE_OK);
	assert_int_equal(pu.members, 1);
	assert_int_equal(pu.owners, 2);
	assert_int_equal(roster_list_get(st, "life2", test_domain, &l),
	    ROSTER_NOLIST);
	assert_int_equal(test_audits(st, "life2", "list.purge", NULL), 1);
	assert_int_equal(test_audits(st, "life", "member.add", NULL), 1);
}

static void
test_members(void **state)
{
	struct store *st = *state;
	const char *owners[] = { "owner@example.org" };
	struct roster_list l;
	int n = 0;

	assert_int_equal(roster_list_create(st, &test_who, "mem", test_domain,
	    owners, 1, &l), STORE_OK);
	assert_int_equal(roster_member_add(st, &test_who, "mem", test_domain,
	    "a@example.org", "Zoë", "{\"dept\":\"x\"}"), STORE_OK);
	assert_int_equal(roster_member_add(st, &test_who, "mem", test_domain,
	    "a@example.org", NULL, NULL), ROSTER_EXISTS);
	assert_int_equal(roster_member_add(st, &test_who, "nosuch",
	    test_domain, "a@example.org", NULL, NULL), ROSTER_NOLIST);
	assert_int_equal(roster_member_set(st, &test_who, "mem", test_domain,
	    "a@example.org", "digest", "conceal"), STORE_OK);
	assert_int_equal(roster_member_set(st, &test_who, "mem", test_domain,
	    "b@example.org", "digest", NULL), ROSTER_NOTFOUND);
	assert_int_equal(roster_member_ls(st, "mem", test_domain,
	    test_count_entry, &n), STORE_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(roster_which(st, "owner@example.org",
	    test_count_entry, &n), STORE_OK);
	assert_true(n >= 1);
	assert_int_equal(roster_member_del(st, &test_who, "mem", test_domain,
	    "a@example.org"), STORE_OK);
	assert_int_equal(roster_member_del(st, &test_who, "mem", test_domain,
	    "a@example.org"), ROSTER_NOTFOUND);
	assert_int_equal(test_audits(st, "mem", "member.add",
	    "a@example.org"), 1);
	assert_int_equal(test_audits(st, "mem", "member.set",
	    "a@example.org"), 1);
	assert_int_equal(test_audits(st, "mem", "member.del",
	    "a@example.org"), 1);
}

static void
test_admins(void **state)
{
	struct store *st = *state;
	const char *owners[] = { "owner@example.org" };
	struct roster_list l;
	int n = 0;

	assert_int_equal(roster_list_create(st, &test_who, "adm", test_domain,
	    owners, 1, &l), STORE_OK);
	assert_int_equal(roster_admin_del(st, &test_who, "adm", test_domain,
	    "owner", "owner@example.org"), ROSTER_LAST_OWNER);
	assert_int_equal(roster_admin_add(st, &test_who, "adm", test_domain,
	    "owner", "o2@example.org", "normal", NULL), STORE_OK);
	assert_int_equal(roster_admin_add(st, &test_who, "adm", test_domain,
	    "owner", "o2@example.org", NULL, NULL), ROSTER_EXISTS);
	assert_int_equal(roster_admin_add(st, &test_who, "adm", test_domain,
	    "editor", "o2@example.org", NULL, NULL), STORE_OK);
	assert_int_equal(roster_admin_del(st, &test_who, "adm", test_domain,
	    "owner", "owner@example.org"), STORE_OK);
	assert_int_equal(roster_admin_del(st, &test_who, "adm", test_domain,
	    "editor", "nobody@example.org"), ROSTER_NOTFOUND);
	assert_int_equal(roster_admin_ls(st, "adm", test_domain, NULL,
	    test_count_entry, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(test_audits(st, "adm", "owner.add", NULL), 1);
	assert_int_equal(test_audits(st, "adm", "owner.del", NULL), 1);
	assert_int_equal(test_audits(st, "adm", "editor.add", NULL), 1);
}

/* A batch import: new rows added and audited, present ones counted apart. */
static void
test_import(void **state)
{
	struct store *st = *state;
	const char *owners[] = { "owner@example.org" };
	struct roster_import_row rows[3] = {
		{ "i1@example.org", "Ünïcode \"quoted\" \\", "{\"k\":\"v\"}",
		    NULL, NULL, 2 },
		{ "i2@example.org", NULL, NULL, "digest", "conceal", 3 },
		{ "pre@example.org", "Pre", NULL, NULL, NULL, 4 },
	};
	struct roster_list l;
	long long added;
	char *name;
	const char *p[2];

	assert_int_equal(roster_list_create(st, &test_who, "imp", test_domain,
	    owners, 1, &l), STORE_OK);
	assert_int_equal(roster_member_add(st, &test_who, "imp", test_domain,
	    "pre@example.org", NULL, NULL), STORE_OK);
	/* Outside a transaction the batch is refused. */
	assert_int_equal(roster_member_import(st, &test_who, &l, "t.csv",
	    rows, 3, &added), STORE_ERROR);
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(roster_list_lock(st, "imp", test_domain, &l),
	    STORE_OK);
	assert_int_equal(roster_member_import(st, &test_who, &l, "t.csv",
	    rows, 3, &added), STORE_OK);
	assert_int_equal(store_commit(st), STORE_OK);
	assert_int_equal(added, 2);
	p[0] = l.id;
	p[1] = "i1@example.org";
	assert_int_equal(store_scalar(st, "SELECT name || '|' || "
	    "(custom_attributes->>'k') FROM subscribers WHERE list_id = $1 "
	    "AND email = $2", 2, p, &name), STORE_OK);
	assert_string_equal(name, "Ünïcode \"quoted\" \\|v");
	free(name);
	p[1] = "i2@example.org";
	assert_int_equal(store_scalar(st, "SELECT reception || visibility "
	    "FROM subscribers WHERE list_id = $1 AND email = $2", 2, p, &name),
	    STORE_OK);
	assert_string_equal(name, "digestconceal");
	free(name);
	assert_int_equal(test_audits(st, "imp", "member.add", NULL), 3);
}

/* One audit record as the history gives it, copied for the checks. */
struct test_rec {
	char	action[32], channel[16], actor[64], message_id[128];
	char	client[128], key[64], requested_by[64], reason[64];
	char	list_id[24], details_rest[128];
};

struct test_recs {
	struct test_rec	r[16];
	int		n;
};

static int
test_collect(const struct audit_row *row, void *arg)
{
	struct test_recs *t = arg;
	struct test_rec *r;

	assert_true(t->n < 16);
	r = &t->r[t->n++];
	snprintf(r->action, sizeof r->action, "%s", row->action);
	snprintf(r->channel, sizeof r->channel, "%s", row->channel);
	snprintf(r->actor, sizeof r->actor, "%s", row->actor);
	snprintf(r->message_id, sizeof r->message_id, "%s", row->message_id);
	snprintf(r->client, sizeof r->client, "%s", row->client);
	snprintf(r->key, sizeof r->key, "%s", row->key);
	snprintf(r->requested_by, sizeof r->requested_by, "%s",
	    row->requested_by);
	snprintf(r->reason, sizeof r->reason, "%s", row->reason);
	snprintf(r->list_id, sizeof r->list_id, "%s", row->list_id);
	snprintf(r->details_rest, sizeof r->details_rest, "%s",
	    row->details_rest);
	return STORE_OK;
}

/*
 * The proof of every change: a member added by the command line, by mail
 * (an owner approving a request, with its Message-ID, key and relay), a
 * change of options, a removal by a daemon with its reason, an import;
 * the history gives them oldest first and keeps them after a purge.
 */
static void
test_history(void **state)
{
	struct store *st = *state;
	const char *owners[] = { "owner@example.org" };
	const struct roster_who by_mail = {
		.actor = "owner@example.org", .channel = "mail",
		.message_id = "<req-1@mua.example.net>",
		.auth_key = "0123456789abcdef",
		.client = "from mx.example.net ([192.0.2.1]) envelope-from "
		    "<h@example.org>",
		.requested_by = "h@example.org",
	};
	const struct roster_who by_daemon = {
		.actor = "bounced", .channel = "daemon",
		.reason = "bounce level 2",
	};
	/* Outside bytes must not make the change fail: stored as '?'. */
	const struct roster_who hostile = {
		.actor = "x@example.org", .channel = "mail",
		.message_id = " <bad\x01\xff" "id@x>\r\n",
		.client = "relay\xc3\x28\n",
		.auth_key = "k\x02y",
		.reason = "complaint",
	};
	const struct roster_who by_import = {
		.actor = "roster_test", .channel = "cli", .reason = "import",
	};
	struct roster_import_row rows[1] = {
		{ "h@example.org", NULL, NULL, NULL, NULL, 2 },
	};
	struct test_recs t = { .n = 0 };
	struct roster_list l;
	struct roster_purged pu;
	char addr[160];
	long n;

	snprintf(addr, sizeof addr, "hist@%s", test_domain);
	assert_int_equal(roster_list_create(st, &test_who, "hist", test_domain,
	    owners, 1, &l), STORE_OK);
	assert_int_equal(roster_member_add(st, &test_who, "hist", test_domain,
	    "h@example.org", NULL, NULL), STORE_OK);
	assert_int_equal(roster_member_del(st, &by_daemon, "hist", test_domain,
	    "h@example.org"), STORE_OK);
	assert_int_equal(roster_member_add(st, &by_mail, "hist", test_domain,
	    "h@example.org", "H", NULL), STORE_OK);
	assert_int_equal(roster_member_set(st, &test_who, "hist", test_domain,
	    "h@example.org", "digest", NULL), STORE_OK);
	assert_int_equal(roster_member_del(st, &hostile, "hist", test_domain,
	    "h@example.org"), STORE_OK);
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(roster_list_lock(st, "hist", test_domain, &l),
	    STORE_OK);
	assert_int_equal(roster_member_import(st, &by_import, &l, "h.csv",
	    rows, 1, &(long long){ 0 }), STORE_OK);
	assert_int_equal(store_commit(st), STORE_OK);

	assert_int_equal(audit_history(st, l.id, addr, "h@example.org",
	    test_collect, &t, &n), STORE_OK);
	assert_int_equal(n, 6);
	assert_int_equal(t.n, 6);
	assert_string_equal(t.r[0].action, "member.add");
	assert_string_equal(t.r[0].channel, "cli");
	assert_string_equal(t.r[0].message_id, "");
	assert_string_equal(t.r[0].details_rest, "{\"name\": null}");

	assert_string_equal(t.r[1].action, "member.del");
	assert_string_equal(t.r[1].actor, "bounced");
	assert_string_equal(t.r[1].channel, "daemon");
	assert_string_equal(t.r[1].reason, "bounce level 2");
	assert_string_equal(t.r[1].key, "");

	assert_string_equal(t.r[2].action, "member.add");
	assert_string_equal(t.r[2].channel, "mail");
	assert_string_equal(t.r[2].actor, "owner@example.org");
	assert_string_equal(t.r[2].message_id, "req-1@mua.example.net");
	assert_string_equal(t.r[2].key, "0123456789abcdef");
	assert_string_equal(t.r[2].requested_by, "h@example.org");
	assert_string_equal(t.r[2].client, by_mail.client);
	assert_string_equal(t.r[2].details_rest, "{\"name\": \"H\"}");

	assert_string_equal(t.r[3].action, "member.set");
	assert_string_equal(t.r[3].details_rest, "{\"reception\": \"digest\"}");

	assert_string_equal(t.r[4].action, "member.del");
	assert_string_equal(t.r[4].message_id, "bad??id@x");
	assert_string_equal(t.r[4].client, "relay?(?");
	assert_string_equal(t.r[4].key, "k?y");
	assert_string_equal(t.r[4].reason, "complaint");

	assert_string_equal(t.r[5].action, "member.add");
	assert_string_equal(t.r[5].reason, "import");
	assert_string_equal(t.r[5].list_id, l.id);

	/* Nobody else's records, none of another address. */
	t.n = 0;
	assert_int_equal(audit_history(st, l.id, addr, "other@example.org",
	    test_collect, &t, &n), STORE_OK);
	assert_int_equal(n, 0);

	/* A purge detaches the records; the address still finds them. */
	assert_int_equal(roster_list_close(st, &test_who, "hist", test_domain),
	    STORE_OK);
	assert_int_equal(roster_list_purge(st, &test_who, "hist", test_domain,
	    &pu), STORE_OK);
	t.n = 0;
	assert_int_equal(audit_history(st, NULL, addr, "h@example.org",
	    test_collect, &t, &n), STORE_OK);
	assert_int_equal(n, 6);
	assert_string_equal(t.r[0].list_id, "");
	assert_string_equal(t.r[2].key, "0123456789abcdef");
	assert_string_equal(t.r[5].reason, "import");
}

static void
test_checks(void **state)
{
	const char *why;
	struct buf b = BUF_INIT(1024);

	(void)state;
	assert_true(roster_email_storable("a@example.org", &why));
	assert_false(roster_email_storable("A@example.org", &why));
	assert_false(roster_email_storable("\"a@b\"@example.org", &why));
	assert_false(roster_email_storable("a b@example.org", &why));
	assert_true(roster_name_storable("Zoë Ænd", &why));
	assert_false(roster_name_storable("Zo\xe9", &why));
	assert_false(roster_name_storable("a\nb", &why));
	assert_false(roster_name_storable("a\xc2\x85" "b", &why));
	assert_int_equal(roster_canonical_email("John.Doe@Example.ORG", &b,
	    &why), 0);
	assert_string_equal(buf_cstr(&b), "john.doe@example.org");
	assert_int_equal(roster_canonical_email("no-at-sign", &b, &why), -1);
	assert_int_equal(roster_canonical_email("", &b, &why), -1);
	assert_true(roster_reception_valid("digestplain"));
	assert_false(roster_reception_valid("html"));
	buf_free(&b);
}

static int
test_setup(void **state)
{
	*state = test_open();
	return 0;
}

static int
test_teardown(void **state)
{
	store_close(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest db_tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_lifecycle,
		    test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_members, test_setup,
		    test_teardown),
		cmocka_unit_test_setup_teardown(test_admins, test_setup,
		    test_teardown),
		cmocka_unit_test_setup_teardown(test_import, test_setup,
		    test_teardown),
		cmocka_unit_test_setup_teardown(test_history, test_setup,
		    test_teardown),
	};
	const struct CMUnitTest plain_tests[] = {
		cmocka_unit_test(test_checks),
	};
	int rc;

	log_open("roster_test", 0, LOG_TO_STDERR);
	rc = cmocka_run_group_tests(plain_tests, NULL, NULL);
	test_conninfo = getenv("HERALD_TEST_DATABASE");
	if (test_conninfo == NULL || *test_conninfo == '\0') {
		printf("skip - roster_test: HERALD_TEST_DATABASE not set\n");
		return rc;
	}
	snprintf(test_domain, sizeof test_domain, "rt%ld.example.org",
	    (long)getpid());
	return rc | cmocka_run_group_tests(db_tests, NULL, NULL);
}
