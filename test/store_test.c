/*
 * store_test - the PostgreSQL store against a real server: migrations,
 * the schema, packet claims, reconnection, hostile values, error paths.
 *
 * Needs HERALD_TEST_DATABASE, a conninfo for a database this test may wipe
 * (its public schema is dropped and made again); test/lib/pg.sh's pg_up
 * makes one. Without it the test says so and skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "mem.h"
#include "store.h"

static const char *test_conninfo;

static struct store *
test_open(void)
{
	struct store *st = NULL;

	assert_int_equal(store_open(test_conninfo, "store_test", &st), STORE_OK);
	assert_non_null(st);
	return st;
}

/* An empty database: the schema and everything in it are dropped. */
static void
test_wipe(struct store *st)
{
	assert_int_equal(store_cmd(st, "DROP SCHEMA IF EXISTS public CASCADE",
	    0, NULL, NULL), STORE_OK);
	assert_int_equal(store_cmd(st, "CREATE SCHEMA public", 0, NULL, NULL),
	    STORE_OK);
}

static void
test_count_applied(const struct store_migration *m, void *arg)
{
	int *n = arg;

	assert_non_null(m->sql);
	(*n)++;
}

/* A wiped and migrated database, on a new connection. */
static struct store *
test_fresh(void)
{
	struct store *st = test_open();

	test_wipe(st);
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	return st;
}

static long long
test_int(struct store *st, const char *sql, int nparams, const char *const *p)
{
	long long v;

	assert_int_equal(store_scalar_int(st, sql, nparams, p, &v), STORE_OK);
	return v;
}

static char *
test_new_list(struct store *st, const char *name)
{
	const char *p[] = { name };
	char *id;

	assert_int_equal(store_scalar(st, "INSERT INTO lists (name, domain) "
	    "VALUES ($1, 'lists.example.org') RETURNING id", 1, p, &id), STORE_OK);
	assert_non_null(id);
	return id;
}

/* Sleep ms milliseconds. */
static void
test_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait until the backend pid has left the server. */
static void
test_wait_backend_gone(struct store *other, const char *pid)
{
	const char *p[] = { pid };

	for (int i = 0; i < 500; i++) {
		if (test_int(other, "SELECT count(*) FROM pg_stat_activity "
		    "WHERE pid = $1::int", 1, p) == 0)
			return;
		test_msleep(10);
	}
	fail_msg("backend %s did not exit", pid);
}

static void
test_open_errors(void **state)
{
	struct store *st = (struct store *)&st;

	(void)state;
	/* Not a conninfo at all: a configuration error. */
	assert_int_equal(store_open("this is = not 'a conninfo", "t", &st),
	    STORE_ERROR);
	assert_null(st);
	assert_int_equal(store_open("postgresql://[::1", "t", &st), STORE_ERROR);
	assert_null(st);
	/* Nobody there: temporary. */
	assert_int_equal(store_open("host=/nonexistent/herald port=1 "
	    "connect_timeout=2", "t", &st), STORE_TEMP);
	assert_null(st);
	/* A server that refuses the database: temporary too. */
	{
		char conninfo[1024];

		snprintf(conninfo, sizeof conninfo, "%s dbname=herald_no_such_db",
		    test_conninfo);
		assert_int_equal(store_open(conninfo, "t", &st), STORE_TEMP);
		assert_null(st);
	}
	store_close(NULL);
}

static void
test_migrate_from_empty(void **state)
{
	struct store *st = test_open();
	int applied = 0, version = -1;
	PGresult *res;

	(void)state;
	test_wipe(st);
	assert_int_equal(store_schema_version(st, &version), STORE_OK);
	assert_int_equal(version, 0);
	assert_int_equal(store_migrate(st, test_count_applied, &applied), STORE_OK);
	assert_int_equal(applied, (int)store_migrations_count);
	assert_int_equal(store_schema_version(st, &version), STORE_OK);
	assert_int_equal(version, (int)store_migrations_count);
	assert_int_equal(version, store_schema_latest());
	assert_int_equal(store_query(st, "SELECT version, name, applied_at "
	    "FROM schema_version ORDER BY version", 0, NULL, &res), STORE_OK);
	assert_int_equal(PQntuples(res), (int)store_migrations_count);
	for (int i = 0; i < PQntuples(res); i++) {
		assert_int_equal(atoi(PQgetvalue(res, i, 0)),
		    store_migrations[i].version);
		assert_string_equal(PQgetvalue(res, i, 1), store_migrations[i].name);
		assert_false(PQgetisnull(res, i, 2));
	}
	PQclear(res);
	assert_false(store_in_transaction(st));
	store_close(st);
}

static void
test_migrate_again_applies_nothing(void **state)
{
	struct store *st = test_fresh();
	int applied = 0, version;

	(void)state;
	assert_int_equal(store_migrate(st, test_count_applied, &applied), STORE_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(store_schema_version(st, &version), STORE_OK);
	assert_int_equal(version, store_schema_latest());
	assert_int_equal(test_int(st, "SELECT count(*) FROM schema_version",
	    0, NULL), (long long)store_migrations_count);
	store_close(st);
}

/* Several hosts migrating at once: the advisory lock serialises them. */
static void
test_migrate_concurrently(void **state)
{
	struct store *st = test_open();
	pid_t pids[4];
	int status;

	(void)state;
	test_wipe(st);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store *child = NULL;
			int rc = store_open(test_conninfo, "child", &child);

			if (rc == STORE_OK)
				rc = store_migrate(child, NULL, NULL);
			store_close(child);
			_exit(rc == STORE_OK ? 0 : 1);
		}
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(test_int(st, "SELECT count(*) FROM schema_version",
	    0, NULL), (long long)store_migrations_count);
	store_close(st);
}

/* What the daemons rely on: table, column, type. */
static const struct {
	const char *table, *column, *type;
} test_columns[] = {
	{ "schema_version", "version", "integer" },
	{ "schema_version", "name", "text" },
	{ "schema_version", "applied_at", "timestamp with time zone" },
	{ "lists", "id", "bigint" },
	{ "lists", "name", "text" },
	{ "lists", "domain", "text" },
	{ "lists", "status", "text" },
	{ "lists", "family", "text" },
	{ "lists", "created_at", "timestamp with time zone" },
	{ "lists", "created_by", "text" },
	{ "lists", "updated_at", "timestamp with time zone" },
	{ "lists", "updated_by", "text" },
	{ "subscribers", "list_id", "bigint" },
	{ "subscribers", "email", "text" },
	{ "subscribers", "name", "text" },
	{ "subscribers", "reception", "text" },
	{ "subscribers", "visibility", "text" },
	{ "subscribers", "subscribed_at", "timestamp with time zone" },
	{ "subscribers", "updated_at", "timestamp with time zone" },
	{ "subscribers", "subscribed", "boolean" },
	{ "subscribers", "included_at", "timestamp with time zone" },
	{ "subscribers", "inclusion_label", "text" },
	{ "subscribers", "bounce_first_at", "timestamp with time zone" },
	{ "subscribers", "bounce_last_at", "timestamp with time zone" },
	{ "subscribers", "bounce_count", "integer" },
	{ "subscribers", "bounce_score", "smallint" },
	{ "subscribers", "bounce_status", "text" },
	{ "subscribers", "custom_attributes", "jsonb" },
	{ "subscribers", "suspended", "boolean" },
	{ "subscribers", "suspend_start", "timestamp with time zone" },
	{ "subscribers", "suspend_end", "timestamp with time zone" },
	{ "admins", "list_id", "bigint" },
	{ "admins", "email", "text" },
	{ "admins", "role", "text" },
	{ "admins", "profile", "text" },
	{ "admins", "name", "text" },
	{ "admins", "reception", "text" },
	{ "admins", "visibility", "text" },
	{ "admins", "info", "text" },
	{ "admins", "created_at", "timestamp with time zone" },
	{ "admins", "updated_at", "timestamp with time zone" },
	{ "exclusions", "list_id", "bigint" },
	{ "exclusions", "email", "text" },
	{ "exclusions", "excluded_at", "timestamp with time zone" },
	{ "exclusions", "excluded_by", "text" },
	{ "users", "email", "text" },
	{ "users", "password_hash", "text" },
	{ "users", "display_name", "text" },
	{ "users", "language", "text" },
	{ "users", "created_at", "timestamp with time zone" },
	{ "users", "last_login_at", "timestamp with time zone" },
	{ "users", "wrong_login_count", "integer" },
	{ "users", "attributes", "jsonb" },
	{ "audit_log", "id", "bigint" },
	{ "audit_log", "at", "timestamp with time zone" },
	{ "audit_log", "actor", "text" },
	{ "audit_log", "channel", "text" },
	{ "audit_log", "action", "text" },
	{ "audit_log", "target", "text" },
	{ "audit_log", "list_id", "bigint" },
	{ "audit_log", "list_address", "text" },
	{ "audit_log", "message_id", "text" },
	{ "audit_log", "status", "text" },
	{ "audit_log", "error", "text" },
	{ "audit_log", "client", "text" },
	{ "audit_log", "details", "jsonb" },
	{ "seen_message_ids", "list_id", "bigint" },
	{ "seen_message_ids", "message_id", "text" },
	{ "seen_message_ids", "first_seen", "timestamp with time zone" },
	{ "bulk_jobs", "id", "bigint" },
	{ "bulk_jobs", "list_id", "bigint" },
	{ "bulk_jobs", "domain", "text" },
	{ "bulk_jobs", "message", "bytea" },
	{ "bulk_jobs", "message_id", "text" },
	{ "bulk_jobs", "sender", "text" },
	{ "bulk_jobs", "return_path", "text" },
	{ "bulk_jobs", "priority", "smallint" },
	{ "bulk_jobs", "created_at", "timestamp with time zone" },
	{ "bulk_jobs", "deliver_after", "timestamp with time zone" },
	{ "bulk_jobs", "spool_id", "text" },
	{ "bulk_jobs", "dkim_sign", "boolean" },
	{ "bulk_jobs", "dkim_domain", "text" },
	{ "bulk_jobs", "dkim_selector", "text" },
	{ "bulk_jobs", "personalize", "boolean" },
	{ "bulk_jobs", "verp", "boolean" },
	{ "bulk_jobs", "tracking", "text" },
	{ "bulk_packets", "id", "bigint" },
	{ "bulk_packets", "job_id", "bigint" },
	{ "bulk_packets", "priority", "smallint" },
	{ "bulk_packets", "state", "text" },
	{ "bulk_packets", "lease_owner", "text" },
	{ "bulk_packets", "lease_expires_at", "timestamp with time zone" },
	{ "bulk_packets", "attempts", "integer" },
	{ "bulk_packets", "next_attempt_at", "timestamp with time zone" },
	{ "bulk_packets", "created_at", "timestamp with time zone" },
	{ "bulk_packets", "finished_at", "timestamp with time zone" },
	{ "bulk_packets", "last_error", "text" },
	{ "bulk_recipients", "packet_id", "bigint" },
	{ "bulk_recipients", "email", "text" },
	{ "bulk_recipients", "state", "text" },
	{ "bulk_recipients", "smtp_status", "text" },
	{ "bulk_recipients", "done_at", "timestamp with time zone" },
};

/* Named constraints: (table, name, type). */
static const struct {
	const char *table, *name, *type;
} test_constraints[] = {
	{ "lists", "lists_pkey", "PRIMARY KEY" },
	{ "lists", "lists_domain_name_key", "UNIQUE" },
	{ "lists", "lists_status_check", "CHECK" },
	{ "subscribers", "subscribers_pkey", "PRIMARY KEY" },
	{ "subscribers", "subscribers_list_fkey", "FOREIGN KEY" },
	{ "subscribers", "subscribers_bounce_dates_check", "CHECK" },
	{ "subscribers", "subscribers_suspend_check", "CHECK" },
	{ "subscribers", "subscribers_custom_attributes_check", "CHECK" },
	{ "admins", "admins_pkey", "PRIMARY KEY" },
	{ "admins", "admins_list_fkey", "FOREIGN KEY" },
	{ "admins", "admins_role_check", "CHECK" },
	{ "admins", "admins_editor_profile_check", "CHECK" },
	{ "exclusions", "exclusions_pkey", "PRIMARY KEY" },
	{ "exclusions", "exclusions_list_fkey", "FOREIGN KEY" },
	{ "users", "users_pkey", "PRIMARY KEY" },
	{ "audit_log", "audit_log_pkey", "PRIMARY KEY" },
	{ "audit_log", "audit_log_list_fkey", "FOREIGN KEY" },
	{ "audit_log", "audit_log_channel_check", "CHECK" },
	{ "audit_log", "audit_log_status_check", "CHECK" },
	{ "seen_message_ids", "seen_message_ids_pkey", "PRIMARY KEY" },
	{ "seen_message_ids", "seen_message_ids_list_fkey", "FOREIGN KEY" },
	{ "bulk_jobs", "bulk_jobs_pkey", "PRIMARY KEY" },
	{ "bulk_jobs", "bulk_jobs_list_fkey", "FOREIGN KEY" },
	{ "bulk_jobs", "bulk_jobs_dkim_check", "CHECK" },
	{ "bulk_packets", "bulk_packets_pkey", "PRIMARY KEY" },
	{ "bulk_packets", "bulk_packets_job_fkey", "FOREIGN KEY" },
	{ "bulk_packets", "bulk_packets_state_check", "CHECK" },
	{ "bulk_packets", "bulk_packets_lease_check", "CHECK" },
	{ "bulk_recipients", "bulk_recipients_pkey", "PRIMARY KEY" },
	{ "bulk_recipients", "bulk_recipients_packet_fkey", "FOREIGN KEY" },
	{ "bulk_recipients", "bulk_recipients_state_check", "CHECK" },
};

/* The domains (types) whose checks every address and name goes through. */
static const char *const test_domains[] = {
	"email_address", "dns_name", "list_name", "display_name",
	"reception_mode", "visibility_mode",
};

static const char *const test_indexes[] = {
	"lists_family_idx", "subscribers_email_idx", "subscribers_bouncing_idx",
	"subscribers_suspended_idx", "admins_email_idx", "audit_log_target_idx",
	"audit_log_list_idx", "audit_log_at_idx",
	"seen_message_ids_first_seen_idx", "bulk_jobs_list_idx",
	"bulk_packets_job_idx", "bulk_packets_claim_idx",
};

static void
test_schema_objects(void **state)
{
	struct store *st = test_fresh();

	(void)state;
	for (size_t i = 0; i < sizeof test_columns / sizeof test_columns[0]; i++) {
		const char *p[] = { test_columns[i].table, test_columns[i].column };
		char *type;

		assert_int_equal(store_scalar(st, "SELECT data_type FROM "
		    "information_schema.columns WHERE table_schema = 'public' "
		    "AND table_name = $1 AND column_name = $2", 2, p, &type),
		    STORE_OK);
		if (type == NULL)
			fail_msg("missing column %s.%s", p[0], p[1]);
		if (strcmp(type, test_columns[i].type) != 0)
			fail_msg("%s.%s is %s, not %s", p[0], p[1], type,
			    test_columns[i].type);
		free(type);
	}
	for (size_t i = 0; i < sizeof test_constraints / sizeof test_constraints[0]; i++) {
		const char *p[] = { test_constraints[i].table,
		    test_constraints[i].name, test_constraints[i].type };

		if (test_int(st, "SELECT count(*) FROM "
		    "information_schema.table_constraints WHERE "
		    "constraint_schema = 'public' AND table_name = $1 AND "
		    "constraint_name = $2 AND constraint_type = $3", 3, p) != 1)
			fail_msg("missing constraint %s on %s", p[1], p[0]);
	}
	for (size_t i = 0; i < sizeof test_domains / sizeof test_domains[0]; i++) {
		const char *p[] = { test_domains[i] };

		if (test_int(st, "SELECT count(*) FROM "
		    "information_schema.domain_constraints WHERE "
		    "domain_schema = 'public' AND domain_name = $1", 1, p) != 1)
			fail_msg("missing domain check on %s", p[0]);
	}
	for (size_t i = 0; i < sizeof test_indexes / sizeof test_indexes[0]; i++) {
		const char *p[] = { test_indexes[i] };

		if (test_int(st, "SELECT count(*) FROM pg_indexes WHERE "
		    "schemaname = 'public' AND indexname = $1", 1, p) != 1)
			fail_msg("missing index %s", p[0]);
	}
	store_close(st);
}

/* Rows the schema must refuse, and the SQLSTATE it refuses them with. */
static const struct {
	const char *sql, *state;
} test_refused[] = {
	{ "INSERT INTO lists (name, domain) VALUES ('Staff', 'example.org')", "23514" },
	{ "INSERT INTO lists (name, domain) VALUES ('staff', 'Example.org')", "23514" },
	{ "INSERT INTO lists (name, domain, status) VALUES ('x', 'example.org', 'gone')", "23514" },
	{ "INSERT INTO lists (name, domain) VALUES ('staff', 'lists.example.org')", "23505" },
	{ "INSERT INTO subscribers (list_id, email) VALUES (999999, 'a@example.org')", "23503" },
	{ "INSERT INTO subscribers (list_id, email) SELECT id, 'A@example.org' FROM lists", "23514" },
	{ "INSERT INTO subscribers (list_id, email) SELECT id, 'a b@example.org' FROM lists", "23514" },
	{ "INSERT INTO subscribers (list_id, email) SELECT id, 'nobody' FROM lists", "23514" },
	{ "INSERT INTO subscribers (list_id, email, reception) SELECT id, 'a@example.org', 'daily' FROM lists", "23514" },
	{ "INSERT INTO subscribers (list_id, email, name) SELECT id, 'a@example.org', E'x\\r\\nBcc: all' FROM lists", "23514" },
	{ "INSERT INTO subscribers (list_id, email, bounce_first_at) SELECT id, 'a@example.org', now() FROM lists", "23514" },
	{ "INSERT INTO subscribers (list_id, email, custom_attributes) SELECT id, 'a@example.org', '[1]' FROM lists", "23514" },
	{ "INSERT INTO admins (list_id, email, role, profile) SELECT id, 'e@example.org', 'editor', 'privileged' FROM lists", "23514" },
	{ "INSERT INTO audit_log (channel, action, status) VALUES ('fax', 'subscribe', 'success')", "23514" },
	{ "INSERT INTO bulk_jobs (domain, message, return_path, dkim_sign) VALUES ('example.org', 'x', '', true)", "23514" },
	{ "INSERT INTO bulk_jobs (domain, message, return_path) VALUES ('example.org', 'x', 'a@b>')", "23514" },
	{ "UPDATE audit_log SET status = 'error'", "42501" },
};

static void
test_constraints_enforced(void **state)
{
	struct store *st = test_fresh();
	const char *audit[] = { "admin@example.org", "a@example.org" };

	(void)state;
	free(test_new_list(st, "staff"));
	assert_int_equal(store_cmd(st, "INSERT INTO audit_log (actor, channel, "
	    "action, target, status) VALUES ($1, 'mail', 'subscribe', $2, "
	    "'success')", 2, audit, NULL), STORE_OK);
	for (size_t i = 0; i < sizeof test_refused / sizeof test_refused[0]; i++) {
		int rc = store_cmd(st, test_refused[i].sql, 0, NULL, NULL);

		if (rc != STORE_ERROR || strcmp(store_sqlstate(st),
		    test_refused[i].state) != 0)
			fail_msg("%s: rc %d, SQLSTATE '%s', expected %s",
			    test_refused[i].sql, rc, store_sqlstate(st),
			    test_refused[i].state);
	}
	/* The same rows, well formed, are taken. */
	assert_int_equal(store_cmd(st, "INSERT INTO subscribers (list_id, email, "
	    "name, reception, bounce_first_at, bounce_last_at, bounce_count, "
	    "bounce_status, custom_attributes) SELECT id, 'a@example.org', "
	    "'Zoë', 'digest', now(), now(), 1, '5.1.1', '{\"k\": \"v\"}' "
	    "FROM lists", 0, NULL, NULL), STORE_OK);
	store_close(st);
}

/* One list, one job, n packets of two recipients each. */
static void
test_make_packets(struct store *st, int n)
{
	char *list = test_new_list(st, "bulk");
	const char *p[] = { list };
	char *job;

	assert_int_equal(store_scalar(st, "INSERT INTO bulk_jobs (list_id, "
	    "domain, message, return_path) VALUES ($1, 'lists.example.org', "
	    "'Subject: x\r\n\r\nhello\r\n', 'bulk-owner@lists.example.org') "
	    "RETURNING id", 1, p, &job), STORE_OK);
	{
		char count[16];
		const char *q[] = { job, count };

		snprintf(count, sizeof count, "%d", n);
		assert_int_equal(store_cmd(st, "INSERT INTO bulk_packets (job_id) "
		    "SELECT $1 FROM generate_series(1, $2::int)", 2, q, NULL),
		    STORE_OK);
		assert_int_equal(store_cmd(st, "INSERT INTO bulk_recipients "
		    "(packet_id, email) SELECT p.id, 'r' || p.id || '.' || g || "
		    "'@example.net' FROM bulk_packets p, generate_series(1, 2) g "
		    "WHERE p.job_id = $1", 1, q, NULL), STORE_OK);
	}
	free(job);
	free(list);
}

/* The claim a bulk sender makes: the next due packet nobody holds. */
static const char test_claim_sql[] =
    "WITH c AS (SELECT id FROM bulk_packets "
    " WHERE state IN ('ready', 'claimed') AND next_attempt_at <= now() "
    " AND (state = 'ready' OR lease_expires_at < now()) "
    " ORDER BY priority, next_attempt_at, id LIMIT 1 "
    " FOR UPDATE SKIP LOCKED) "
    "UPDATE bulk_packets p SET state = 'claimed', lease_owner = $1, "
    " lease_expires_at = now() + $2::interval, attempts = p.attempts + 1 "
    "FROM c WHERE p.id = c.id RETURNING p.id";

static char *
test_claim(struct store *st, const char *owner, const char *lease)
{
	const char *p[] = { owner, lease };
	char *id;

	assert_int_equal(store_scalar(st, test_claim_sql, 2, p, &id), STORE_OK);
	return id;
}

static void
test_claim_skip_locked(void **state)
{
	struct store *a = test_fresh(), *b = test_open();
	char *ida, *idb, *again;

	(void)state;
	test_make_packets(a, 3);
	/* Two senders inside open transactions: the rows a holds are skipped. */
	assert_int_equal(store_begin(a), STORE_OK);
	assert_int_equal(store_begin(b), STORE_OK);
	ida = test_claim(a, "host-a:1", "1 hour");
	idb = test_claim(b, "host-b:2", "1 hour");
	assert_non_null(ida);
	assert_non_null(idb);
	assert_string_not_equal(ida, idb);
	assert_int_equal(store_commit(a), STORE_OK);
	assert_int_equal(store_commit(b), STORE_OK);
	/* One left; then none: held leases are not taken. */
	again = test_claim(b, "host-b:2", "1 hour");
	assert_non_null(again);
	assert_string_not_equal(again, ida);
	assert_string_not_equal(again, idb);
	free(again);
	assert_null(test_claim(a, "host-a:1", "1 hour"));
	/* A crashed sender's lease expires: its packet is claimed again. */
	{
		const char *p[] = { ida };

		assert_int_equal(store_cmd(a, "UPDATE bulk_packets SET "
		    "lease_expires_at = now() - interval '1 second' WHERE id = $1",
		    1, p, NULL), STORE_OK);
		again = test_claim(b, "host-b:2", "1 hour");
		assert_non_null(again);
		assert_string_equal(again, ida);
		free(again);
		assert_int_equal(test_int(a, "SELECT attempts FROM bulk_packets "
		    "WHERE id = $1", 1, p), 2);
	}
	free(ida);
	free(idb);
	store_close(a);
	store_close(b);
}

/* Many senders racing: each packet is claimed exactly once. */
static void
test_claim_race(void **state)
{
	struct store *st = test_fresh();
	enum { NPACKETS = 300, NCHILD = 4 };
	pid_t pids[NCHILD];
	int status;

	(void)state;
	test_make_packets(st, NPACKETS);
	for (int i = 0; i < NCHILD; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store *child = NULL;
			char owner[32], *id;
			const char *p[2] = { owner, "1 hour" };
			int rc;

			snprintf(owner, sizeof owner, "child:%d", i);
			if (store_open(test_conninfo, "child", &child) != STORE_OK)
				_exit(1);
			do {
				rc = store_scalar(child, test_claim_sql, 2, p, &id);
				if (rc != STORE_OK)
					_exit(2);
				free(id);
			} while (id != NULL);
			store_close(child);
			_exit(0);
		}
	}
	for (int i = 0; i < NCHILD; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(test_int(st, "SELECT count(*) FROM bulk_packets "
	    "WHERE state = 'claimed' AND attempts = 1", 0, NULL), NPACKETS);
	store_close(st);
}

/* The server ends an idle session: the next statement reconnects. */
static void
test_reconnect_idle(void **state)
{
	struct store *st = test_open(), *killer = test_open();
	char *pid, *pid2;
	long long one;

	(void)state;
	assert_int_equal(store_scalar(st, "SELECT pg_backend_pid()", 0, NULL,
	    &pid), STORE_OK);
	{
		const char *p[] = { pid };

		assert_int_equal(test_int(killer, "SELECT "
		    "pg_terminate_backend($1::int)::int", 1, p), 1);
	}
	test_wait_backend_gone(killer, pid);
	assert_int_equal(store_scalar_int(st, "SELECT 1", 0, NULL, &one),
	    STORE_OK);
	assert_int_equal(one, 1);
	assert_int_equal(store_scalar(st, "SELECT pg_backend_pid()", 0, NULL,
	    &pid2), STORE_OK);
	assert_string_not_equal(pid, pid2);
	free(pid);
	free(pid2);
	store_close(st);
	store_close(killer);
}

/* Inside a transaction a lost session is an error, until the rollback. */
static void
test_reconnect_not_in_transaction(void **state)
{
	struct store *st = test_open(), *killer = test_open();
	long long one;
	char *pid;

	(void)state;
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(store_scalar(st, "SELECT pg_backend_pid()", 0, NULL,
	    &pid), STORE_OK);
	{
		const char *p[] = { pid };

		assert_int_equal(test_int(killer, "SELECT "
		    "pg_terminate_backend($1::int)::int", 1, p), 1);
	}
	test_wait_backend_gone(killer, pid);
	free(pid);
	assert_int_equal(store_scalar_int(st, "SELECT 1", 0, NULL, &one),
	    STORE_TEMP);
	/* Still refused: the transaction's earlier work is gone. */
	assert_int_equal(store_scalar_int(st, "SELECT 1", 0, NULL, &one),
	    STORE_TEMP);
	assert_int_equal(store_commit(st), STORE_TEMP);
	assert_false(store_in_transaction(st));
	/* The same after a rollback instead of a commit. */
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(store_scalar(st, "SELECT pg_backend_pid()", 0, NULL,
	    &pid), STORE_OK);
	{
		const char *p[] = { pid };

		assert_int_equal(test_int(killer, "SELECT "
		    "pg_terminate_backend($1::int)::int", 1, p), 1);
	}
	test_wait_backend_gone(killer, pid);
	free(pid);
	assert_int_equal(store_cmd(st, "SELECT 1", 0, NULL, NULL), STORE_TEMP);
	assert_int_equal(store_rollback(st), STORE_OK);
	assert_int_equal(store_scalar_int(st, "SELECT 1", 0, NULL, &one),
	    STORE_OK);
	store_close(st);
	store_close(killer);
}

/* The session dies under a running statement: that one fails, not re-sent. */
static void
test_connection_lost_during_statement(void **state)
{
	struct store *st = test_open();
	long long one;

	(void)state;
	assert_int_equal(store_cmd(st, "SELECT pg_terminate_backend("
	    "pg_backend_pid())", 0, NULL, NULL), STORE_TEMP);
	assert_int_equal(store_scalar_int(st, "SELECT 1", 0, NULL, &one),
	    STORE_OK);
	assert_int_equal(one, 1);
	store_close(st);
}

static const char *const test_hostile[] = {
	"O'Brien",
	"Robert'); DROP TABLE lists; --",
	"' OR '1'='1",
	"back\\slash \\' \\\\ \\x00 \\0",
	"\"double\" `back` $1 $$dollar$$ %s %n %%",
	"E'\\n' U&'\\0041'",
	"Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x99\x82",
	";",
	"",
	"-- comment */ /* comment",
};

static void
test_hostile_strings_round_trip(void **state)
{
	struct store *st = test_fresh();
	const char *const ctrl[] = { "line\nbreak\r\n\ttab \x01\x7f" };
	char *got;

	(void)state;
	for (size_t i = 0; i < sizeof test_hostile / sizeof test_hostile[0]; i++) {
		const char *p[] = { "o'brien+x@example.org", test_hostile[i] };

		assert_int_equal(store_cmd(st, "INSERT INTO users (email, "
		    "display_name) VALUES ($1, $2) ON CONFLICT (email) DO "
		    "UPDATE SET display_name = EXCLUDED.display_name", 2, p,
		    NULL), STORE_OK);
		assert_int_equal(store_scalar(st, "SELECT display_name FROM "
		    "users WHERE email = $1", 1, p, &got), STORE_OK);
		assert_non_null(got);
		assert_string_equal(got, test_hostile[i]);
		free(got);
		assert_int_equal(store_scalar(st, "SELECT $1::text", 1, p + 1,
		    &got), STORE_OK);
		assert_string_equal(got, test_hostile[i]);
		free(got);
	}
	assert_int_equal(test_int(st, "SELECT count(*) FROM users", 0, NULL), 1);
	assert_int_equal(test_int(st, "SELECT count(*) FROM lists", 0, NULL), 0);
	/* Control characters pass as values, and are refused where checked. */
	assert_int_equal(store_scalar(st, "SELECT $1::text", 1, ctrl, &got),
	    STORE_OK);
	assert_string_equal(got, ctrl[0]);
	free(got);
	{
		const char *p[] = { "a@example.org", ctrl[0] };

		assert_int_equal(store_cmd(st, "INSERT INTO users (email, "
		    "display_name) VALUES ($1, $2)", 2, p, NULL), STORE_ERROR);
		assert_string_equal(store_sqlstate(st), "23514");
	}
	store_close(st);
}

/* Text cannot hold NUL nor invalid UTF-8: the error path, then recovery. */
static void
test_nul_and_bad_utf8_refused(void **state)
{
	struct store *st = test_fresh();
	const char *nul[] = { "a\0b" };
	const int len[] = { 3 }, fmt[] = { 1 };
	const char *bad[] = { "caf\xe9" };
	long long one;

	(void)state;
	assert_int_equal(store_exec(st, "SELECT $1::text", 1, nul, len, fmt, 0,
	    PGRES_TUPLES_OK, NULL), STORE_ERROR);
	assert_string_equal(store_sqlstate(st), "22021");
	assert_true(strlen(store_error(st)) > 0);
	assert_int_equal(store_query(st, "SELECT $1::text", 1, bad, NULL),
	    STORE_ERROR);
	assert_string_equal(store_sqlstate(st), "22021");
	/* Inside a transaction the error dooms it: COMMIT is a ROLLBACK. */
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(store_cmd(st, "INSERT INTO lists (name, domain) "
	    "VALUES ('kept', 'example.org')", 0, NULL, NULL), STORE_OK);
	assert_int_equal(store_exec(st, "INSERT INTO users (email, display_name) "
	    "VALUES ('n@example.org', $1)", 1, nul, len, fmt, 0,
	    PGRES_COMMAND_OK, NULL), STORE_ERROR);
	assert_int_equal(store_commit(st), STORE_ERROR);
	assert_false(store_in_transaction(st));
	assert_int_equal(test_int(st, "SELECT count(*) FROM lists", 0, NULL), 0);
	assert_int_equal(store_scalar_int(st, "SELECT 1", 0, NULL, &one),
	    STORE_OK);
	store_close(st);
}

/* A message is bytes: NULs and 8-bit data survive as bytea, both ways binary. */
static void
test_bytea_round_trip(void **state)
{
	struct store *st = test_fresh();
	static const char msg[] = "Subject: \xff\x00\x01\r\n\r\n\x00body\\'\r\n";
	const char *v[] = { msg };
	const int len[] = { (int)sizeof msg - 1 }, fmt[] = { 1 };
	PGresult *res;
	char *id;

	(void)state;
	assert_int_equal(store_exec(st, "INSERT INTO bulk_jobs (domain, message, "
	    "return_path) VALUES ('example.org', $1, '') RETURNING id", 1, v,
	    len, fmt, 0, PGRES_TUPLES_OK, &res), STORE_OK);
	id = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	{
		const char *p[] = { id };

		assert_int_equal(store_exec(st, "SELECT message FROM bulk_jobs "
		    "WHERE id = $1", 1, p, NULL, NULL, 1, PGRES_TUPLES_OK, &res),
		    STORE_OK);
	}
	assert_int_equal(PQgetlength(res, 0, 0), len[0]);
	assert_memory_equal(PQgetvalue(res, 0, 0), msg, (size_t)len[0]);
	PQclear(res);
	free(id);
	store_close(st);
}

/* Misuse and bad SQL are errors, not crashes. */
static void
test_statement_errors(void **state)
{
	struct store *st = test_open();
	long long v;
	char *s;

	(void)state;
	assert_int_equal(store_cmd(st, "SELEKT 1", 0, NULL, NULL), STORE_ERROR);
	assert_string_equal(store_sqlstate(st), "42601");
	assert_int_equal(store_scalar(st, "SELECT generate_series(1, 2)", 0,
	    NULL, &s), STORE_ERROR);
	assert_null(s);
	assert_int_equal(store_scalar(st, "SELECT 1, 2", 0, NULL, &s),
	    STORE_ERROR);
	assert_int_equal(store_scalar(st, "SELECT NULL::text", 0, NULL, &s),
	    STORE_OK);
	assert_null(s);
	assert_int_equal(store_scalar(st, "SELECT 1 WHERE false", 0, NULL, &s),
	    STORE_OK);
	assert_null(s);
	assert_int_equal(store_scalar_int(st, "SELECT NULL::int", 0, NULL, &v),
	    STORE_ERROR);
	assert_int_equal(store_scalar_int(st, "SELECT 'x'", 0, NULL, &v),
	    STORE_ERROR);
	/* A query where a command was expected, and the reverse. */
	assert_int_equal(store_cmd(st, "SELECT 1", 0, NULL, NULL), STORE_ERROR);
	assert_int_equal(store_query(st, "SET application_name = 'x'", 0, NULL,
	    NULL), STORE_ERROR);
	/* Transactions used wrongly. */
	assert_int_equal(store_commit(st), STORE_ERROR);
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(store_begin(st), STORE_ERROR);
	assert_int_equal(store_rollback(st), STORE_OK);
	assert_int_equal(store_rollback(st), STORE_OK);
	assert_int_equal(store_scalar_int(st, "SELECT 41 + 1", 0, NULL, &v),
	    STORE_OK);
	assert_int_equal(v, 42);
	store_close(st);
}

/* Deadlocks and lock timeouts are temporary. */
static void
test_temporary_sqlstates(void **state)
{
	struct store *a = test_fresh(), *b = test_open();

	(void)state;
	free(test_new_list(a, "locked"));
	assert_int_equal(store_begin(a), STORE_OK);
	assert_int_equal(store_cmd(a, "UPDATE lists SET status = 'closed'", 0,
	    NULL, NULL), STORE_OK);
	assert_int_equal(store_begin(b), STORE_OK);
	assert_int_equal(store_cmd(b, "SET LOCAL lock_timeout = '50ms'", 0,
	    NULL, NULL), STORE_OK);
	assert_int_equal(store_cmd(b, "UPDATE lists SET status = 'pending'", 0,
	    NULL, NULL), STORE_TEMP);
	assert_string_equal(store_sqlstate(b), "55P03");
	assert_int_equal(store_rollback(b), STORE_OK);
	assert_int_equal(store_commit(a), STORE_OK);
	store_close(a);
	store_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_migrate_from_empty),
		cmocka_unit_test(test_migrate_again_applies_nothing),
		cmocka_unit_test(test_migrate_concurrently),
		cmocka_unit_test(test_schema_objects),
		cmocka_unit_test(test_constraints_enforced),
		cmocka_unit_test(test_claim_skip_locked),
		cmocka_unit_test(test_claim_race),
		cmocka_unit_test(test_reconnect_idle),
		cmocka_unit_test(test_reconnect_not_in_transaction),
		cmocka_unit_test(test_connection_lost_during_statement),
		cmocka_unit_test(test_hostile_strings_round_trip),
		cmocka_unit_test(test_nul_and_bad_utf8_refused),
		cmocka_unit_test(test_bytea_round_trip),
		cmocka_unit_test(test_statement_errors),
		cmocka_unit_test(test_temporary_sqlstates),
	};

	test_conninfo = getenv("HERALD_TEST_DATABASE");
	if (test_conninfo == NULL || *test_conninfo == '\0') {
		printf("store_test: HERALD_TEST_DATABASE is not set "
		    "(see test/lib/pg.sh); skipped\n");
		return 0;
	}
	log_open("store_test", 0, LOG_TO_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
