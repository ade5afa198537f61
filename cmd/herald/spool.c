/*
 * herald spool - the spool tree.
 *
 *	herald spool init
 *
 * Creates spool_directory with every spool and its tmp/, new/ and cur/,
 * and state_directory, owned by mail_owner with mode 0750; run again, it
 * repairs owners and modes and leaves entries alone.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "herald.h"
#include "spool.h"

static void
spool_cmd_usage(FILE *out)
{
	fprintf(out, "usage: herald spool init\n"
	    "  init  create (or repair) the spool tree and the state directory,\n"
	    "        owned by mail_owner\n");
}

static int
spool_cmd_init(const struct config *cf)
{
	const char *owner = config_str(cf, CF_MAIL_OWNER);
	struct buf err = BUF_INIT(4096);
	struct passwd *pw;
	int rc = EX_OK;

	errno = 0;
	if ((pw = getpwnam(owner)) == NULL) {
		fprintf(stderr, "herald spool init: mail_owner '%s' is not a user "
		    "(create it, or set mail_owner in herald.yaml)\n", owner);
		return EX_NOUSER;
	}
	if (spool_init_tree(config_str(cf, CF_SPOOL_DIRECTORY), pw->pw_uid, pw->pw_gid,
	    &err) < 0 ||
	    spool_init_tree_dir(config_str(cf, CF_STATE_DIRECTORY), pw->pw_uid,
	    pw->pw_gid, &err) < 0) {
		fprintf(stderr, "herald spool init: %s\n", buf_cstr(&err));
		rc = errno == EACCES || errno == EPERM ? EX_NOPERM : EX_CANTCREAT;
	} else {
		printf("spool tree ready in %s (owner %s)\n",
		    config_str(cf, CF_SPOOL_DIRECTORY), owner);
	}
	buf_free(&err);
	return rc;
}

int
herald_spool_cmd(const char *cfpath, int argc, char **argv)
{
	struct config *cf;
	int rc;

	if (argc == 2 && strcmp(argv[1], "-h") == 0) {
		spool_cmd_usage(stdout);
		return EX_OK;
	}
	if (argc != 2 || strcmp(argv[1], "init") != 0) {
		spool_cmd_usage(stderr);
		return EX_USAGE;
	}
	if ((rc = herald_load_config(cfpath, &cf)) != EX_OK)
		return rc;
	rc = spool_cmd_init(cf);
	config_free(cf);
	return rc;
}
