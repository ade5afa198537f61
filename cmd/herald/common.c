/*
 * common - what every herald subcommand does first: read the site
 * configuration and, for most, connect to the database.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "herald.h"
#include "audit.h"
#include "csv.h"
#include "store.h"

int
herald_load_config(const char *cfpath, struct config **cf)
{
	struct buf err = BUF_INIT(64 * 1024);

	*cf = config_load(config_path(cfpath), &err);
	if (*cf == NULL)
		fprintf(stderr, "%s", buf_cstr(&err));
	buf_free(&err);
	return *cf ? EX_OK : EX_CONFIG;
}

int
herald_open_store(const struct config *cf, const char *appname, struct store **st)
{
	/* store_open says why on stderr; the conninfo may hold a password. */
	switch (store_open(config_str(cf, CF_DATABASE), appname, st)) {
	case STORE_OK:
		return EX_OK;
	case STORE_TEMP:
		return EX_TEMPFAIL;
	default:
		return EX_CONFIG;
	}
}

int
herald_ctx_open(const char *cfpath, struct herald_ctx *c, int want_store)
{
	int rc;

	memset(c, 0, sizeof *c);
	c->cfpath = cfpath;
	c->who.actor = audit_cli_actor();
	c->who.channel = "cli";
	if ((rc = herald_load_config(cfpath, &c->cf)) != EX_OK || !want_store)
		return rc;
	if ((rc = herald_open_store(c->cf, "herald", &c->st)) != EX_OK) {
		config_free(c->cf);
		c->cf = NULL;
	}
	return rc;
}

void
herald_ctx_close(struct herald_ctx *c)
{
	if (c->st != NULL)
		store_close(c->st);
	if (c->cf != NULL)
		config_free(c->cf);
	c->st = NULL;
	c->cf = NULL;
}

int
herald_csv_row(const char *const *fields, size_t n, void *arg)
{
	struct herald_csv_out *o = arg;

	buf_reset(&o->line);
	if (csv_write_record(&o->line, fields, n) != 0 ||
	    fwrite(o->line.data, 1, o->line.len, o->fp) != o->line.len)
		return STORE_ERROR;
	o->rows++;
	return STORE_OK;
}
