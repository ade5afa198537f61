/*
 * herald - the administration command; one file per subcommand group.
 *
 * Each subcommand gets the configuration path chosen by -c (or NULL for the
 * default) and its own argv (argv[0] is the subcommand name), and returns a
 * <sysexits.h> status.
 */
#ifndef HERALD_CMD_H
#define HERALD_CMD_H

#include <stdio.h>

#include "buf.h"
#include "roster.h"

struct config;
struct store;

/* What a subcommand that changes lists works with. */
struct herald_ctx {
	const char	*cfpath;	/* -c, for the aliases file's lines */
	struct config	*cf;
	struct store	*st;		/* NULL unless asked for */
	struct roster_who who;		/* the Unix user, channel "cli" */
};

/* CSV rows written to a file, as roster's export callbacks produce them. */
struct herald_csv_out {
	FILE		*fp;
	struct buf	 line;
	long		 rows;
};
/* A roster row callback: one CSV record to o->fp; STORE_OK or STORE_ERROR. */
int herald_csv_row(const char *const *fields, size_t n, void *arg);

/* Fill c: configuration, and the database when want_store; EX_* status. */
int herald_ctx_open(const char *cfpath, struct herald_ctx *c, int want_store);
void herald_ctx_close(struct herald_ctx *c);

/* Read the site configuration, its errors on stderr: EX_OK or EX_CONFIG. */
int herald_load_config(const char *cfpath, struct config **cf);
/* Connect to the site's database: EX_OK, EX_TEMPFAIL or EX_CONFIG. */
int herald_open_store(const struct config *cf, const char *appname,
	    struct store **st);

int herald_config_cmd(const char *cfpath, int argc, char **argv);
int herald_spool_cmd(const char *cfpath, int argc, char **argv);
int herald_db_cmd(const char *cfpath, int argc, char **argv);
int herald_domain_cmd(const char *cfpath, int argc, char **argv);
int herald_list_cmd(const char *cfpath, int argc, char **argv);
int herald_member_cmd(const char *cfpath, int argc, char **argv);
int herald_owner_cmd(const char *cfpath, int argc, char **argv);
int herald_editor_cmd(const char *cfpath, int argc, char **argv);
int herald_which_cmd(const char *cfpath, int argc, char **argv);
int herald_aliases_cmd(const char *cfpath, int argc, char **argv);
int herald_family_cmd(const char *cfpath, int argc, char **argv);
int herald_audit_cmd(const char *cfpath, int argc, char **argv);
int herald_import_sympa_cmd(const char *cfpath, int argc, char **argv);
int herald_scenario_cmd(const char *cfpath, int argc, char **argv);
int herald_bounce_cmd(const char *cfpath, int argc, char **argv);

#endif
