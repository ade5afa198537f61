/*
 * herald list - lists: create, close, reopen, purge, rename, show, ls, dump.
 *
 * A list is a row in the database (its existence, status, members, owners
 * and editors, shared by every host) and a directory with its config.yaml
 * under <lists_directory>/<domain>/. A change to both is made inside one
 * database transaction: the row and its audit record are written, the
 * directory is changed, and only then is the transaction committed (and
 * the directory change undone if the commit fails), so neither is left
 * without the other.
 *
 * Exit statuses (<sysexits.h>): 64 usage, 65 bad data or a refusal (the
 * list's status), 67 no such list or domain, 73 cannot create, 75 the
 * database cannot be reached, 78 configuration.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliases.h"
#include "audit.h"
#include "buf.h"
#include "config.h"
#include "csv.h"
#include "domain.h"
#include "herald.h"
#include "listconf.h"
#include "listname.h"
#include "log.h"
#include "mem.h"
#include "roster.h"
#include "store.h"

#define LIST_MAX_OWNERS	64

static const char list_usage_text[] =
    "usage: herald list create NAME[@DOMAIN] --subject TEXT --owner EMAIL "
    "[--owner EMAIL ...]\n"
    "       herald list close | reopen | purge | show NAME[@DOMAIN]\n"
    "       herald list rename OLD[@DOMAIN] NEW[@DOMAIN]\n"
    "       herald list ls [--domain DOMAIN] [--status STATUS]\n"
    "       herald list dump NAME[@DOMAIN] DIR\n"
    "  create  a new open list: its directory, config.yaml and owners\n"
    "  close   close a list (members are kept; reopen undoes it)\n"
    "  reopen  open a closed list again\n"
    "  purge   delete a closed list: its members, admins and directory\n"
    "  rename  give a list another name or domain (or both)\n"
    "  show    the list's database facts and its configuration as YAML\n"
    "  ls      every list, with status and counts\n"
    "  dump    write config.yaml, members.csv and admins.csv into DIR\n";

static void
list_usage(FILE *out)
{
	fputs(list_usage_text, out);
}

/*
 * The single place where a change to the set of lists asks for a new
 * aliases file. The list change has committed by then: a failure here is
 * reported with its own status, so the administrator knows mail to the
 * list is not routed until `herald aliases` succeeds.
 */
static int
list_cmd_aliases_changed(const struct herald_ctx *c)
{
	struct buf report = BUF_INIT(64 * 1024), err = BUF_INIT(64 * 1024);
	int rc;

	rc = aliases_regenerate_with(c->cf, c->cfpath, c->st, &report, &err);
	fputs(buf_cstr(&report), stdout);
	if (rc != EX_OK)
		fprintf(stderr, "herald list: the aliases were not regenerated: %s"
		    "%s(run 'herald aliases' once the cause is fixed)\n", buf_cstr(&err),
		    err.len > 0 && err.data[err.len - 1] == '\n' ? "" : "\n");
	buf_free(&report);
	buf_free(&err);
	return rc;
}

/* NAME[@DOMAIN] into name and domain; a message and -1 if it is bad. */
static int
list_arg(const struct herald_ctx *c, const char *sub, const char *arg,
    struct buf *name, struct buf *domain)
{
	const char *why;

	if (roster_list_arg(arg, config_str(c->cf, CF_DOMAIN), name, domain,
	    &why) != 0) {
		fprintf(stderr, "herald list %s: %s: %s\n", sub, arg, why);
		return -1;
	}
	return 0;
}

/* Report a roster result about list addr; its exit status. */
static int
list_fail(const char *sub, const char *addr, int rc)
{
	const char *what = roster_strerror(rc);

	if (rc == ROSTER_STATE)
		fprintf(stderr, "herald list %s: %s: not allowed in the list's "
		    "current status\n", sub, addr);
	else
		fprintf(stderr, "herald list %s: %s: %s\n", sub, addr, what);
	return roster_sysexit(rc);
}

/* <lists_directory>/<domain>/<name> */
static void
list_dir(const struct herald_ctx *c, const char *name, const char *domain,
    struct buf *out)
{
	buf_reset(out);
	buf_printf(out, "%s/%s/%s", config_str(c->cf, CF_LISTS_DIRECTORY),
	    domain, name);
}

/* Options that every subcommand takes: -h / --help. */
static int
list_help_only(int argc, char **argv, int *help)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*help = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch != 'h')
			return -1;
		*help = 1;
	}
	return 0;
}

/* -- create ---------------------------------------------------------------- */

/* Remove a tree we made (nftw has no argument: a static count). */
static long list_rm_count;

static int
list_rm_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP) {
		if (rmdir(path) != 0) {
			fprintf(stderr, "herald list: cannot remove %s: %s\n",
			    path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (unlink(path) != 0) {
		fprintf(stderr, "herald list: cannot remove %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	list_rm_count++;
	return 0;
}

/* Remove dir and what it holds; -1 on a failure (reported). */
static int
list_rm_tree(const char *dir, long *files)
{
	list_rm_count = 0;
	if (nftw(dir, list_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		*files = list_rm_count;
		return -1;
	}
	*files = list_rm_count;
	return 0;
}

static int
list_create(const char *cfpath, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "owner", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct buf err = BUF_INIT(64 * 1024), dir = BUF_INIT(8192);
	struct buf owner_bufs[LIST_MAX_OWNERS];
	struct listconf_admin admins[LIST_MAX_OWNERS];
	const char *owners[LIST_MAX_OWNERS];
	const char *subject = NULL, *why;
	struct roster_list l;
	struct herald_ctx c;
	size_t nowners = 0;
	int ch, rc, ex;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "s:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			subject = optarg;
			break;
		case 'o':
			if (nowners == LIST_MAX_OWNERS) {
				fprintf(stderr, "herald list create: more than "
				    "%d owners\n", LIST_MAX_OWNERS);
				goto usage;
			}
			buf_init(&owner_bufs[nowners], 1024);
			if (roster_canonical_email(optarg,
			    &owner_bufs[nowners], &why) != 0) {
				fprintf(stderr, "herald list create: owner %s: "
				    "%s\n", optarg, why);
				buf_free(&owner_bufs[nowners]);
				ex = EX_DATAERR;
				goto out_owners;
			}
			owners[nowners] = buf_cstr(&owner_bufs[nowners]);
			nowners++;
			break;
		case 'h':
			list_usage(stdout);
			ex = EX_OK;
			goto out_owners;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || subject == NULL || nowners == 0) {
		fprintf(stderr, "herald list create: needs NAME[@DOMAIN], "
		    "--subject and at least one --owner\n");
		goto usage;
	}
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		goto out_owners;
	if (list_arg(&c, "create", argv[optind], &name, &domain) != 0) {
		ex = EX_DATAERR;
		goto out;
	}
	if (listname_is_reserved(buf_cstr(&name),
	    config_str(c.cf, CF_ROBOT_LOCALPART),
	    config_str(c.cf, CF_BOUNCE_LOCALPART))) {
		fprintf(stderr, "herald list create: %s: a name this domain "
		    "keeps for itself\n", buf_cstr(&name));
		ex = EX_DATAERR;
		goto out;
	}
	if (!domain_exists(c.cf, buf_cstr(&domain))) {
		fprintf(stderr, "herald list create: no domain %s (create it "
		    "with 'herald domain create %s')\n", buf_cstr(&domain),
		    buf_cstr(&domain));
		ex = EX_NOUSER;
		goto out;
	}
	for (size_t i = 0; i < nowners; i++) {
		admins[i].email = owners[i];
		admins[i].gecos = "";
		admins[i].profile = "privileged";
		admins[i].reception = "mail";
		admins[i].visibility = "noconceal";
	}
	/*
	 * The row first, in a transaction; then the directory; then the
	 * commit. A failed commit removes the directory it made.
	 */
	if ((rc = store_begin(c.st)) != STORE_OK) {
		ex = list_fail("create", argv[optind], rc);
		goto out;
	}
	rc = roster_list_create(c.st, &c.who, buf_cstr(&name),
	    buf_cstr(&domain), owners, nowners, &l);
	if (rc == ROSTER_EXISTS) {
		store_rollback(c.st);
		fprintf(stderr, "herald list create: %s@%s: the list already "
		    "exists\n", buf_cstr(&name), buf_cstr(&domain));
		ex = EX_CANTCREAT;
		goto out;
	}
	if (rc != STORE_OK) {
		store_rollback(c.st);
		ex = list_fail("create", argv[optind], rc);
		goto out;
	}
	if (listconf_write_new(config_str(c.cf, CF_LISTS_DIRECTORY),
	    buf_cstr(&domain), buf_cstr(&name), subject, admins, nowners,
	    &err) != 0) {
		store_rollback(c.st);
		fprintf(stderr, "herald list create: %s@%s: %s%s",
		    buf_cstr(&name), buf_cstr(&domain), buf_cstr(&err),
		    err.len > 0 && err.data[err.len - 1] == '\n' ? "" : "\n");
		ex = errno == EEXIST ? EX_CANTCREAT : EX_DATAERR;
		goto out;
	}
	if ((rc = store_commit(c.st)) != STORE_OK) {
		long files;

		list_dir(&c, buf_cstr(&name), buf_cstr(&domain), &dir);
		(void)list_rm_tree(buf_cstr(&dir), &files);
		ex = list_fail("create", argv[optind], rc);
		goto out;
	}
	printf("created list %s@%s with %zu owner%s\n", buf_cstr(&name),
	    buf_cstr(&domain), nowners, nowners == 1 ? "" : "s");
	ex = list_cmd_aliases_changed(&c);
out:
	herald_ctx_close(&c);
out_owners:
	for (size_t i = 0; i < nowners; i++)
		buf_free(&owner_bufs[i]);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&err);
	buf_free(&dir);
	return ex;
usage:
	list_usage(stderr);
	ex = EX_USAGE;
	goto out_owners;
}

/* -- close, reopen, purge ------------------------------------------------- */

static int
list_status_change(const char *cfpath, const char *sub, int argc,
    char **argv)
{
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct buf dir = BUF_INIT(8192);
	struct roster_purged pu;
	struct herald_ctx c;
	int help, rc, ex;

	if (list_help_only(argc, argv, &help) != 0 ||
	    (!help && argc - optind != 1)) {
		list_usage(stderr);
		return EX_USAGE;
	}
	if (help) {
		list_usage(stdout);
		return EX_OK;
	}
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	if (list_arg(&c, sub, argv[optind], &name, &domain) != 0) {
		ex = EX_DATAERR;
		goto out;
	}
	if (strcmp(sub, "close") == 0)
		rc = roster_list_close(c.st, &c.who, buf_cstr(&name),
		    buf_cstr(&domain));
	else if (strcmp(sub, "reopen") == 0)
		rc = roster_list_reopen(c.st, &c.who, buf_cstr(&name),
		    buf_cstr(&domain));
	else
		rc = roster_list_purge(c.st, &c.who, buf_cstr(&name),
		    buf_cstr(&domain), &pu);
	if (rc == ROSTER_STATE) {
		fprintf(stderr, "herald list %s: %s@%s: %s\n", sub,
		    buf_cstr(&name), buf_cstr(&domain),
		    strcmp(sub, "close") == 0 ? "already closed" :
		    strcmp(sub, "reopen") == 0 ? "not closed" :
		    "only a closed list can be purged (herald list close first)");
		ex = EX_DATAERR;
		goto out;
	}
	if (rc != STORE_OK) {
		ex = list_fail(sub, argv[optind], rc);
		goto out;
	}
	ex = EX_OK;
	if (strcmp(sub, "purge") == 0) {
		struct stat sb;
		long files = 0;

		printf("purged list %s@%s: removed %lld members, %lld owners, "
		    "%lld editors, %lld exclusions and the list's row\n",
		    buf_cstr(&name), buf_cstr(&domain), pu.members, pu.owners,
		    pu.editors, pu.exclusions);
		/* The rows are gone (committed): now the directory. */
		list_dir(&c, buf_cstr(&name), buf_cstr(&domain), &dir);
		if (lstat(buf_cstr(&dir), &sb) != 0)
			printf("no directory %s to remove\n", buf_cstr(&dir));
		else if (list_rm_tree(buf_cstr(&dir), &files) != 0) {
			fprintf(stderr, "herald list purge: %s: removed %ld "
			    "files, then failed: remove it by hand\n",
			    buf_cstr(&dir), files);
			ex = EX_CANTCREAT;
		} else
			printf("removed directory %s (%ld files)\n",
			    buf_cstr(&dir), files);
	} else
		printf("%s list %s@%s\n", strcmp(sub, "close") == 0 ?
		    "closed" : "reopened", buf_cstr(&name), buf_cstr(&domain));
	if ((rc = list_cmd_aliases_changed(&c)) != EX_OK && ex == EX_OK)
		ex = rc;
out:
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&dir);
	return ex;
}

/* -- rename ---------------------------------------------------------------- */

static int
list_rename(const char *cfpath, int argc, char **argv)
{
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct buf nname = BUF_INIT(256), ndomain = BUF_INIT(512);
	struct buf from = BUF_INIT(8192), to = BUF_INIT(8192);
	struct herald_ctx c;
	const char *why;
	int help, rc, ex;

	if (list_help_only(argc, argv, &help) != 0 ||
	    (!help && argc - optind != 2)) {
		list_usage(stderr);
		return EX_USAGE;
	}
	if (help) {
		list_usage(stdout);
		return EX_OK;
	}
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	if (list_arg(&c, "rename", argv[optind], &name, &domain) != 0) {
		ex = EX_DATAERR;
		goto out;
	}
	/* A new name without a domain stays in the list's domain. */
	if (roster_list_arg(argv[optind + 1], buf_cstr(&domain), &nname,
	    &ndomain, &why) != 0) {
		fprintf(stderr, "herald list rename: %s: %s\n",
		    argv[optind + 1], why);
		ex = EX_DATAERR;
		goto out;
	}
	if (listname_is_reserved(buf_cstr(&nname),
	    config_str(c.cf, CF_ROBOT_LOCALPART),
	    config_str(c.cf, CF_BOUNCE_LOCALPART))) {
		fprintf(stderr, "herald list rename: %s: a name the domain "
		    "keeps for itself\n", buf_cstr(&nname));
		ex = EX_DATAERR;
		goto out;
	}
	if (!domain_exists(c.cf, buf_cstr(&ndomain))) {
		fprintf(stderr, "herald list rename: no domain %s\n",
		    buf_cstr(&ndomain));
		ex = EX_NOUSER;
		goto out;
	}
	list_dir(&c, buf_cstr(&name), buf_cstr(&domain), &from);
	list_dir(&c, buf_cstr(&nname), buf_cstr(&ndomain), &to);
	if (access(buf_cstr(&to), F_OK) == 0) {
		fprintf(stderr, "herald list rename: %s exists already\n",
		    buf_cstr(&to));
		ex = EX_CANTCREAT;
		goto out;
	}
	if ((rc = store_begin(c.st)) != STORE_OK) {
		ex = list_fail("rename", argv[optind], rc);
		goto out;
	}
	rc = roster_list_rename(c.st, &c.who, buf_cstr(&name),
	    buf_cstr(&domain), buf_cstr(&nname), buf_cstr(&ndomain));
	if (rc != STORE_OK) {
		store_rollback(c.st);
		if (rc == ROSTER_EXISTS) {
			fprintf(stderr, "herald list rename: %s@%s exists "
			    "already\n", buf_cstr(&nname), buf_cstr(&ndomain));
			ex = EX_CANTCREAT;
		} else
			ex = list_fail("rename", argv[optind], rc);
		goto out;
	}
	if (rename(buf_cstr(&from), buf_cstr(&to)) != 0) {
		store_rollback(c.st);
		fprintf(stderr, "herald list rename: %s -> %s: %s\n",
		    buf_cstr(&from), buf_cstr(&to), strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	if ((rc = store_commit(c.st)) != STORE_OK) {
		/* The database kept the old name: so does the directory. */
		if (rename(buf_cstr(&to), buf_cstr(&from)) != 0)
			fprintf(stderr, "herald list rename: cannot move %s "
			    "back to %s: %s\n", buf_cstr(&to), buf_cstr(&from),
			    strerror(errno));
		ex = list_fail("rename", argv[optind], rc);
		goto out;
	}
	printf("renamed list %s@%s to %s@%s\n", buf_cstr(&name),
	    buf_cstr(&domain), buf_cstr(&nname), buf_cstr(&ndomain));
	ex = list_cmd_aliases_changed(&c);
out:
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&nname);
	buf_free(&ndomain);
	buf_free(&from);
	buf_free(&to);
	return ex;
}

/* -- show, ls -------------------------------------------------------------- */

static int
list_show_admin(const struct roster_entry *e, void *arg)
{
	(void)arg;
	printf("  - { role: %s, email: %s%s%s }\n", e->role, e->email,
	    *e->profile != '\0' ? ", profile: " : "", e->profile);
	return STORE_OK;
}

static int
list_show(const char *cfpath, int argc, char **argv)
{
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct buf path = BUF_INIT(8192), err = BUF_INIT(64 * 1024);
	struct buf yaml = BUF_INIT(4 * 1024 * 1024);
	struct listconf *lc = NULL;
	struct config *dcf = NULL;
	struct roster_list l;
	struct herald_ctx c;
	int help, rc, ex;

	if (list_help_only(argc, argv, &help) != 0 ||
	    (!help && argc - optind != 1)) {
		list_usage(stderr);
		return EX_USAGE;
	}
	if (help) {
		list_usage(stdout);
		return EX_OK;
	}
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	if (list_arg(&c, "show", argv[optind], &name, &domain) != 0) {
		ex = EX_DATAERR;
		goto out;
	}
	if ((rc = roster_list_get(c.st, buf_cstr(&name), buf_cstr(&domain),
	    &l)) != STORE_OK) {
		ex = list_fail("show", argv[optind], rc);
		goto out;
	}
	listconf_path(config_str(c.cf, CF_LISTS_DIRECTORY), l.domain, l.name,
	    &path);
	/* The database's facts first, as one YAML document ... */
	printf("# %s@%s: database\n", l.name, l.domain);
	printf("list: %s@%s\nid: %s\nstatus: %s\n", l.name, l.domain, l.id,
	    l.status);
	if (l.family[0] != '\0')
		printf("family: %s\n", l.family);
	printf("created: %s\nupdated: %s\nmembers: %lld\nconfig_file: %s\n",
	    l.created_at, l.updated_at, l.members, buf_cstr(&path));
	printf("admins:\n");
	if ((rc = roster_admin_ls(c.st, l.name, l.domain, NULL,
	    list_show_admin, NULL)) != STORE_OK) {
		ex = list_fail("show", argv[optind], rc);
		goto out;
	}
	/* ... then the configuration as the second. */
	printf("---\n# %s\n", buf_cstr(&path));
	if ((dcf = domain_config(c.cf, l.domain, &err)) == NULL ||
	    (lc = listconf_load(buf_cstr(&path), dcf, &err)) == NULL) {
		fflush(stdout);
		fprintf(stderr, "%s", buf_cstr(&err));
		ex = EX_CONFIG;
		goto out;
	}
	if (listconf_print(lc, dcf, 0, &yaml) != 0) {
		fprintf(stderr, "herald list show: configuration too large\n");
		ex = EX_SOFTWARE;
		goto out;
	}
	fwrite(yaml.data != NULL ? yaml.data : "", 1, yaml.len, stdout);
	ex = EX_OK;
out:
	listconf_free(lc);
	if (dcf != NULL)
		config_free(dcf);
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&path);
	buf_free(&err);
	buf_free(&yaml);
	return ex;
}

static int
list_ls_one(const struct roster_list *l, void *arg)
{
	(void)arg;
	printf("%s@%s\t%s\t%lld members\t%lld owners\t%lld editors\n",
	    l->name, l->domain, l->status, l->members, l->owners, l->editors);
	return STORE_OK;
}

static int
list_ls(const char *cfpath, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "status", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const statuses[] = { "open", "closed", "pending",
	    "error_config", "family_closed" };
	const char *domain = NULL, *status = NULL, *why;
	struct herald_ctx c;
	int ch, rc, ex, known = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			domain = optarg;
			break;
		case 's':
			status = optarg;
			break;
		case 'h':
			list_usage(stdout);
			return EX_OK;
		default:
			list_usage(stderr);
			return EX_USAGE;
		}
	}
	if (argc != optind) {
		list_usage(stderr);
		return EX_USAGE;
	}
	if (domain != NULL && listname_check_domain(domain, &why) != 0) {
		fprintf(stderr, "herald list ls: --domain %s: %s\n", domain,
		    why);
		return EX_USAGE;
	}
	for (size_t i = 0; status != NULL && i < 5; i++)
		known |= strcmp(status, statuses[i]) == 0;
	if (status != NULL && !known) {
		fprintf(stderr, "herald list ls: --status %s: not one of open, "
		    "closed, pending, error_config, family_closed\n", status);
		return EX_USAGE;
	}
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	rc = roster_list_ls(c.st, domain, status, list_ls_one, NULL);
	herald_ctx_close(&c);
	return rc == STORE_OK ? EX_OK : list_fail("ls", "lists", rc);
}

/* -- dump -------------------------------------------------------------------- */

static int
list_csv_admin(const struct roster_entry *e, void *arg)
{
	const char *f[] = { e->email, e->role, e->profile, e->name,
	    e->reception, e->visibility };

	return herald_csv_row(f, 6, arg);
}

/* Copy a file (the list's config.yaml) byte for byte. */
static int
list_copy_file(const char *from, const char *to)
{
	char chunk[65536];
	FILE *in, *out;
	size_t n;
	int rc = 0;

	if ((in = fopen(from, "rb")) == NULL)
		return -1;
	if ((out = fopen(to, "wb")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
		if (fwrite(chunk, 1, n, out) != n)
			rc = -1;
	if (ferror(in))
		rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

static int
list_dump(const char *cfpath, int argc, char **argv)
{
	static const char *const admin_header[] = { "email", "role",
	    "profile", "name", "reception", "visibility" };
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct buf path = BUF_INIT(8192), out = BUF_INIT(8192);
	struct herald_csv_out o = { NULL, BUF_INIT(1024 * 1024), 0 };
	struct roster_list l;
	struct herald_ctx c;
	const char *dir;
	long members;
	int help, rc, ex;

	if (list_help_only(argc, argv, &help) != 0 ||
	    (!help && argc - optind != 2)) {
		list_usage(stderr);
		return EX_USAGE;
	}
	if (help) {
		list_usage(stdout);
		return EX_OK;
	}
	dir = argv[optind + 1];
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	if (list_arg(&c, "dump", argv[optind], &name, &domain) != 0) {
		ex = EX_DATAERR;
		goto out;
	}
	if ((rc = roster_list_get(c.st, buf_cstr(&name), buf_cstr(&domain),
	    &l)) != STORE_OK) {
		ex = list_fail("dump", argv[optind], rc);
		goto out;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "herald list dump: %s: %s\n", dir,
		    strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	listconf_path(config_str(c.cf, CF_LISTS_DIRECTORY), l.domain, l.name,
	    &path);
	buf_printf(&out, "%s/config.yaml", dir);
	if (list_copy_file(buf_cstr(&path), buf_cstr(&out)) != 0) {
		fprintf(stderr, "herald list dump: %s -> %s: %s\n",
		    buf_cstr(&path), buf_cstr(&out), strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	buf_reset(&out);
	buf_printf(&out, "%s/members.csv", dir);
	if ((o.fp = fopen(buf_cstr(&out), "w")) == NULL) {
		fprintf(stderr, "herald list dump: %s: %s\n", buf_cstr(&out),
		    strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	rc = roster_member_export(c.st, l.name, l.domain, herald_csv_row, &o);
	if (fclose(o.fp) != 0 && rc == STORE_OK)
		rc = STORE_ERROR;
	members = o.rows - 1;
	buf_reset(&out);
	buf_printf(&out, "%s/admins.csv", dir);
	o.rows = 0;
	if (rc == STORE_OK && (o.fp = fopen(buf_cstr(&out), "w")) != NULL) {
		rc = herald_csv_row(admin_header, 6, &o);
		if (rc == STORE_OK)
			rc = roster_admin_ls(c.st, l.name, l.domain, NULL,
			    list_csv_admin, &o);
		if (fclose(o.fp) != 0 && rc == STORE_OK)
			rc = STORE_ERROR;
	} else if (rc == STORE_OK)
		rc = STORE_ERROR;
	if (rc != STORE_OK) {
		fprintf(stderr, "herald list dump: %s: writing failed\n", dir);
		ex = rc == STORE_TEMP ? EX_TEMPFAIL : EX_CANTCREAT;
		goto out;
	}
	printf("dumped %s@%s into %s: config.yaml, members.csv (%ld members), "
	    "admins.csv (%ld admins)\n", l.name, l.domain, dir, members,
	    o.rows - 1);
	ex = EX_OK;
out:
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&path);
	buf_free(&out);
	buf_free(&o.line);
	return ex;
}

int
herald_list_cmd(const char *cfpath, int argc, char **argv)
{
	const char *sub;

	if (argc < 2) {
		list_usage(stderr);
		return EX_USAGE;
	}
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "help") == 0) {
		list_usage(stdout);
		return EX_OK;
	}
	if (strcmp(sub, "create") == 0)
		return list_create(cfpath, argc, argv);
	if (strcmp(sub, "close") == 0 || strcmp(sub, "reopen") == 0 ||
	    strcmp(sub, "purge") == 0)
		return list_status_change(cfpath, sub, argc, argv);
	if (strcmp(sub, "rename") == 0)
		return list_rename(cfpath, argc, argv);
	if (strcmp(sub, "show") == 0)
		return list_show(cfpath, argc, argv);
	if (strcmp(sub, "ls") == 0)
		return list_ls(cfpath, argc, argv);
	if (strcmp(sub, "dump") == 0)
		return list_dump(cfpath, argc, argv);
	fprintf(stderr, "herald list: unknown subcommand '%s'\n", sub);
	list_usage(stderr);
	return EX_USAGE;
}
