/*
 * herald db - the database schema.
 *
 *	herald db migrate	apply the migrations the database lacks
 *	herald db status	the database's version and what is pending
 *
 * The migrations are compiled into the program (lib/migrations/), so an
 * installed herald can create or upgrade its database on its own. The
 * database is the site parameter "database". An unreachable database is
 * EX_TEMPFAIL, a configuration that does not load (or a connection string
 * that does not parse) EX_CONFIG.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "herald.h"
#include "store.h"

static void
db_cmd_usage(FILE *out)
{
	fprintf(out,
	    "usage: herald db migrate | status\n"
	    "  migrate  apply, in order, each migration the database lacks\n"
	    "  status   the database's schema version and the pending migrations\n");
}

/* A store failure as an exit status. */
static int
db_cmd_status(const struct store *st, int rc)
{
	if (rc == STORE_TEMP)
		return EX_TEMPFAIL;
	/* insufficient_privilege: the role may not create or alter tables. */
	if (st != NULL && strcmp(store_sqlstate(st), "42501") == 0)
		return EX_NOPERM;
	return EX_SOFTWARE;
}

static void
db_cmd_applied(const struct store_migration *m, void *arg)
{
	(void)arg;
	printf("applied %04d_%s\n", m->version, m->name);
	fflush(stdout);
}

static int
db_cmd_migrate(struct store *st)
{
	int rc, version;

	if ((rc = store_migrate(st, db_cmd_applied, NULL)) != STORE_OK) {
		fprintf(stderr, "herald db: migration failed: %s\n",
		    store_error(st));
		return db_cmd_status(st, rc);
	}
	if ((rc = store_schema_version(st, &version)) != STORE_OK)
		return db_cmd_status(st, rc);
	printf("schema version %d\n", version);
	if (version > store_schema_latest())
		fprintf(stderr, "herald db: warning: the database (version %d) "
		    "is newer than this program (version %d)\n", version,
		    store_schema_latest());
	return EX_OK;
}

static int
db_cmd_show(struct store *st)
{
	int rc, version, npending = 0;

	if ((rc = store_schema_version(st, &version)) != STORE_OK) {
		fprintf(stderr, "herald db: %s\n", store_error(st));
		return db_cmd_status(st, rc);
	}
	printf("version: %d\nlatest: %d\n", version, store_schema_latest());
	for (size_t i = 0; i < store_migrations_count; i++) {
		const struct store_migration *m = &store_migrations[i];

		if (m->version > version) {
			printf("pending: %04d_%s\n", m->version, m->name);
			npending++;
		}
	}
	if (npending == 0)
		printf("pending: none\n");
	if (version > store_schema_latest())
		fprintf(stderr, "herald db: warning: the database is newer than "
		    "this program\n");
	return EX_OK;
}

int
herald_db_cmd(const char *cfpath, int argc, char **argv)
{
	struct config *cf;
	struct store *st;
	const char *what;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		db_cmd_usage(stdout);
		return EX_OK;
	}
	if (argc != 2 || (strcmp(argv[1], "migrate") != 0 &&
	    strcmp(argv[1], "status") != 0)) {
		db_cmd_usage(stderr);
		return EX_USAGE;
	}
	what = argv[1];
	if ((rc = herald_load_config(cfpath, &cf)) != EX_OK)
		return rc;
	rc = herald_open_store(cf, "herald", &st);
	config_free(cf);
	if (rc != EX_OK)
		return rc;
	rc = strcmp(what, "migrate") == 0 ? db_cmd_migrate(st) : db_cmd_show(st);
	store_close(st);
	return rc;
}
