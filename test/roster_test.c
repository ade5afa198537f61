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
static const struct roster_who test_who = { "roster_test", "cli" };

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
