/*
 * herald which EMAIL - every list of an address, with its role there.
 *
 * One line per list and role: "list@domain<TAB>role<TAB>status<TAB>detail",
 * the detail being the reception mode of a member and the profile of an
 * owner. An address on no list prints nothing. The lookups use the
 * address indexes of subscribers and admins, so the answer takes the same
 * time however many lists the site has.
 *
 * Exit statuses: 0; 64 usage; 65 not an address; 75 the database cannot
 * be reached; 78 configuration.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "config.h"
#include "herald.h"
#include "roster.h"
#include "store.h"

static void
which_usage(FILE *out)
{
	fprintf(out, "usage: herald which EMAIL\n"
	    "  every list of EMAIL with its role there (member, owner, "
	    "editor),\n  the list's status, and the reception mode or the "
	    "owner's profile\n");
}

static int
which_print(const struct roster_entry *e, void *arg)
{
	(void)arg;
	printf("%s@%s\t%s\t%s\t%s\n", e->list_name, e->list_domain, e->role,
	    e->list_status, strcmp(e->role, "member") == 0 ? e->reception :
	    e->profile);
	return STORE_OK;
}

int
herald_which_cmd(const char *cfpath, int argc, char **argv)
{
	struct buf email = BUF_INIT(1024);
	struct config *cf;
	struct store *st;
	const char *why;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		which_usage(stdout);
		return EX_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		which_usage(stderr);
		return EX_USAGE;
	}
	if (roster_canonical_email(argv[1], &email, &why) != 0) {
		fprintf(stderr, "herald which: %s: %s\n", argv[1], why);
		buf_free(&email);
		return EX_DATAERR;
	}
	if ((rc = herald_load_config(cfpath, &cf)) == EX_OK) {
		rc = herald_open_store(cf, "herald", &st);
		config_free(cf);
	}
	if (rc != EX_OK) {
		buf_free(&email);
		return rc;
	}
	rc = roster_which(st, buf_cstr(&email), which_print, NULL);
	store_close(st);
	buf_free(&email);
	if (rc != STORE_OK) {
		fprintf(stderr, "herald which: %s\n", roster_strerror(rc));
		return roster_sysexit(rc);
	}
	return EX_OK;
}
