/*
 * herald owner / herald editor - a list's owners and moderators.
 *
 *	herald owner add LIST EMAIL [--profile privileged|normal] [--name N]
 *	herald owner del LIST EMAIL
 *	herald owner ls LIST
 *	herald editor add|del|ls ... (the same, without --profile)
 *
 * Owners and editors live in the database (the admins table), shared by
 * every host; a list's config.yaml only carries the owners it was created
 * with. A list keeps at least one owner: removing the last is refused.
 * Every change writes its audit record in its transaction.
 *
 * Exit statuses: 0; 64 usage; 65 bad data, an admin already there, the
 * last owner, a closed list; 67 no such list or admin; 75 the database
 * cannot be reached; 78 configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "audit.h"
#include "buf.h"
#include "config.h"
#include "herald.h"
#include "roster.h"
#include "store.h"

static void
admin_usage(FILE *out, const char *role)
{
	if (strcmp(role, "owner") == 0)
		fprintf(out, "usage: herald owner add LIST EMAIL "
		    "[--profile privileged|normal] [--name NAME]\n"
		    "       herald owner del LIST EMAIL\n"
		    "       herald owner ls LIST\n"
		    "  LIST is NAME[@DOMAIN]. A privileged owner may manage "
		    "the other owners.\n");
	else
		fprintf(out, "usage: herald editor add LIST EMAIL "
		    "[--name NAME]\n"
		    "       herald editor del LIST EMAIL\n"
		    "       herald editor ls LIST\n"
		    "  LIST is NAME[@DOMAIN]. Editors moderate the list's "
		    "messages.\n");
}

static int
admin_print(const struct roster_entry *e, void *arg)
{
	(void)arg;
	printf("%s\t%s%s%s\t%s\n", e->email, e->role,
	    *e->profile != '\0' ? "\t" : "", e->profile, e->name);
	return STORE_OK;
}

/* Report a roster result; its exit status. */
static int
admin_fail(const char *role, const char *sub, const char *laddr,
    const char *email, int rc)
{
	if (rc == ROSTER_NOLIST)
		fprintf(stderr, "herald %s %s: %s: no such list\n", role, sub,
		    laddr);
	else if (rc == ROSTER_NOTFOUND)
		fprintf(stderr, "herald %s %s: %s: %s is not an %s of it\n",
		    role, sub, laddr, email, role);
	else if (rc == ROSTER_EXISTS)
		fprintf(stderr, "herald %s %s: %s: %s is an %s already\n",
		    role, sub, laddr, email, role);
	else if (rc == ROSTER_LAST_OWNER)
		fprintf(stderr, "herald %s %s: %s: %s is the last owner; add "
		    "another first\n", role, sub, laddr, email);
	else if (rc == ROSTER_STATE)
		fprintf(stderr, "herald %s %s: %s: the list is closed\n", role,
		    sub, laddr);
	else
		fprintf(stderr, "herald %s %s: %s: %s\n", role, sub, laddr,
		    roster_strerror(rc));
	return roster_sysexit(rc);
}

static int
admin_run(const char *cfpath, const char *role, const char *sub,
    const char *list, const char *emailarg, const char *profile,
    const char *gecos)
{
	struct buf name = BUF_INIT(256);
	struct buf domain = BUF_INIT(512), email = BUF_INIT(1024);
	struct roster_who who = { .actor = audit_cli_actor(),
	    .channel = "cli" };
	struct config *cf;
	struct store *st = NULL;
	const char *why;
	char laddr[320];
	int rc, ex;

	if ((ex = herald_load_config(cfpath, &cf)) != EX_OK)
		return ex;
	if (roster_list_arg(list, config_str(cf, CF_DOMAIN), &name, &domain,
	    &why) != 0) {
		fprintf(stderr, "herald %s %s: %s: %s\n", role, sub, list, why);
		ex = EX_DATAERR;
		goto out;
	}
	snprintf(laddr, sizeof laddr, "%s@%s", buf_cstr(&name),
	    buf_cstr(&domain));
	if (emailarg != NULL &&
	    roster_canonical_email(emailarg, &email, &why) != 0) {
		fprintf(stderr, "herald %s %s: %s: %s\n", role, sub, emailarg,
		    why);
		ex = EX_DATAERR;
		goto out;
	}
	if ((ex = herald_open_store(cf, "herald", &st)) != EX_OK)
		goto out;
	if (strcmp(sub, "add") == 0)
		rc = roster_admin_add(st, &who, buf_cstr(&name),
		    buf_cstr(&domain), role, buf_cstr(&email), profile, gecos);
	else if (strcmp(sub, "del") == 0)
		rc = roster_admin_del(st, &who, buf_cstr(&name),
		    buf_cstr(&domain), role, buf_cstr(&email));
	else
		rc = roster_admin_ls(st, buf_cstr(&name), buf_cstr(&domain),
		    role, admin_print, NULL);
	if (rc != STORE_OK) {
		ex = admin_fail(role, sub, laddr, buf_cstr(&email), rc);
		goto out;
	}
	if (strcmp(sub, "ls") != 0)
		printf("%s: %s %s %s\n", laddr, role, buf_cstr(&email),
		    strcmp(sub, "add") == 0 ? "added" : "removed");
	ex = EX_OK;
out:
	if (st != NULL)
		store_close(st);
	config_free(cf);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&email);
	return ex;
}

static int
admin_cmd(const char *cfpath, const char *role, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub, *profile = NULL, *gecos = NULL, *why;
	int ch, want;

	if (argc < 2) {
		admin_usage(stderr, role);
		return EX_USAGE;
	}
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "help") == 0) {
		admin_usage(stdout, role);
		return EX_OK;
	}
	argc--;
	argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "p:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			profile = optarg;
			break;
		case 'n':
			gecos = optarg;
			break;
		case 'h':
			admin_usage(stdout, role);
			return EX_OK;
		default:
			admin_usage(stderr, role);
			return EX_USAGE;
		}
	}
	if (strcmp(sub, "add") == 0 || strcmp(sub, "del") == 0)
		want = 2;
	else if (strcmp(sub, "ls") == 0)
		want = 1;
	else {
		fprintf(stderr, "herald %s: unknown subcommand '%s'\n", role,
		    sub);
		admin_usage(stderr, role);
		return EX_USAGE;
	}
	if (argc - optind != want ||
	    ((profile != NULL || gecos != NULL) && strcmp(sub, "add") != 0)) {
		admin_usage(stderr, role);
		return EX_USAGE;
	}
	if (profile != NULL && (strcmp(role, "owner") != 0 ||
	    (strcmp(profile, "privileged") != 0 &&
	    strcmp(profile, "normal") != 0))) {
		fprintf(stderr, "herald %s add: --profile: %s\n", role,
		    strcmp(role, "owner") != 0 ? "only owners have a profile" :
		    "privileged or normal");
		return EX_USAGE;
	}
	if (gecos != NULL && !roster_name_storable(gecos, &why)) {
		fprintf(stderr, "herald %s add: --name: %s\n", role, why);
		return EX_DATAERR;
	}
	return admin_run(cfpath, role, sub, argv[optind],
	    want == 2 ? argv[optind + 1] : NULL, profile, gecos);
}

int
herald_owner_cmd(const char *cfpath, int argc, char **argv)
{
	return admin_cmd(cfpath, "owner", argc, argv);
}

int
herald_editor_cmd(const char *cfpath, int argc, char **argv)
{
	return admin_cmd(cfpath, "editor", argc, argv);
}
