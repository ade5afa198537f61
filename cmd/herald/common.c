/*
 * common - what every herald subcommand does first: read the site
 * configuration and, for most, connect to the database.
 */
#include <stdio.h>
#include <sysexits.h>

#include "config.h"
#include "herald.h"
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
