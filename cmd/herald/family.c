/*
 * herald family - list families: instantiate, ls, show, close.
 *
 * A family is <lists_directory>/<domain>/_families/<family>/family.yaml
 * (lib/family.h, herald-family(5)). An instantiation plans every list of
 * the data file with family_instantiate() and applies the plans in
 * batches: each batch is one database transaction (rows, statuses and
 * their audit records) and the files of its lists (config.yaml and
 * instance.yaml, each written to a temporary name and renamed over, with
 * one syncfs() for the batch instead of two fsyncs per file), committed
 * after the files are on disk; a batch that fails to commit removes the
 * directories it made. The aliases are regenerated once, at the end.
 *
 * Exit statuses (<sysexits.h>): 64 usage, 65 bad data or some entries
 * refused or in error_config, 66 a file cannot be read, 67 no such domain
 * or family, 73 cannot create, 75 the database cannot be reached, 78
 * configuration.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "domain.h"
#include "family.h"
#include "herald.h"
#include "listconf.h"
#include "listname.h"
#include "mem.h"
#include "roster.h"
#include "store.h"

/* Lists per transaction: short enough to hold few locks, long enough to amortise. */
#define FAM_BATCH	500

/* A list row of the domain, as found before the instantiation. */
struct fam_row {
	char	 id[24];
	char	*name;
	char	 status[16];
	char	*family;
	char	*reason;
	int	 seen;		/* named in the data */
};

struct fam_rows {
	struct fam_row	*v;
	size_t		 n, cap;
};

/* What an instantiation did, for the report. */
struct fam_report {
	long		 created, updated, unchanged, errors, closed, refused, unknown;
	struct buf	 lines;		/* one line per notable list */
	int		 aliases;	/* the set of routed lists changed */
};

static const char fam_usage_text[] =
    "usage: herald family instantiate FAMILY[@DOMAIN] DATA.yaml [--close-unknown]\n"
    "       herald family ls [DOMAIN]\n"
    "       herald family show FAMILY[@DOMAIN]\n"
    "       herald family close FAMILY[@DOMAIN]\n"
    "  instantiate  create and update the family's lists from DATA.yaml;\n"
    "               --close-unknown closes (family_closed) the family's lists\n"
    "               that the data no longer names\n"
    "  ls           the families of a domain (of every domain) and their lists\n"
    "  show         a family's lists, their statuses and reasons\n"
    "  close        close every list of the family (family_closed)\n"
    "The family is <lists_directory>/<domain>/" FAMILY_DIR "/<family>/" FAMILY_FILE
    "; see herald-family(5).\n";

static int
fam_usage(FILE *out, int ex)
{
	fputs(fam_usage_text, out);
	return ex;
}

/* Subcommands with no option but --help: EX_OK for help, EX_USAGE, or -1 to go on. */
static int
fam_help_only(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return ch == 'h' ? fam_usage(stdout, EX_OK) : fam_usage(stderr, EX_USAGE);
	return -1;
}

/* FAMILY[@DOMAIN], the domain checked to exist. */
static int
fam_arg(const struct herald_ctx *c, const char *sub, const char *arg,
    struct buf *name, struct buf *domain)
{
	const char *why;

	if (roster_list_arg(arg, config_str(c->cf, CF_DOMAIN), name, domain,
	    &why) != 0) {
		fprintf(stderr, "herald family %s: %s: %s\n", sub, arg, why);
		return EX_DATAERR;
	}
	if (!domain_exists(c->cf, buf_cstr(domain))) {
		fprintf(stderr, "herald family %s: no domain %s\n", sub,
		    buf_cstr(domain));
		return EX_NOUSER;
	}
	return EX_OK;
}

/* <lists_directory>/<domain>[/<name>] */
static void
fam_dir(const struct herald_ctx *c, const char *domain, const char *name,
    struct buf *out)
{
	buf_reset(out);
	buf_printf(out, "%s/%s", config_str(c->cf, CF_LISTS_DIRECTORY), domain);
	if (name != NULL)
		buf_printf(out, "/%s", name);
}

static void
fam_path(const struct herald_ctx *c, const char *domain, const char *family,
    struct buf *out)
{
	fam_dir(c, domain, NULL, out);
	buf_printf(out, "/%s/%s/%s", FAMILY_DIR, family, FAMILY_FILE);
}

/* Report the outcome of the roster; its exit status. */
static int
fam_store_fail(const char *what, int rc)
{
	const char *s = roster_strerror(rc);

	fprintf(stderr, "herald family: %s: %s\n", what, *s ? s : "database error");
	return roster_sysexit(rc);
}

/* Regenerate the aliases once; a failure is reported with its status. */
static int
fam_aliases(const struct herald_ctx *c)
{
	struct buf report = BUF_INIT(64 * 1024), err = BUF_INIT(64 * 1024);
	int rc;

	rc = aliases_regenerate_with(c->cf, c->cfpath, c->st, &report, &err);
	fputs(buf_cstr(&report), stdout);
	if (rc != EX_OK)
		fprintf(stderr, "herald family: the aliases were not regenerated: %s"
		    "%s(run 'herald aliases' once the cause is fixed)\n", buf_cstr(&err),
		    err.len > 0 && err.data[err.len - 1] == '\n' ? "" : "\n");
	buf_free(&report);
	buf_free(&err);
	return rc;
}

/* -- the domain's lists --------------------------------------------------- */

static int
fam_rows_add(const struct roster_family_row *r, void *arg)
{
	struct fam_rows *rows = arg;
	struct fam_row *w;

	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? rows->cap * 2 : 256;
		rows->v = xreallocarray(rows->v, rows->cap, sizeof *rows->v);
	}
	w = &rows->v[rows->n++];
	memset(w, 0, sizeof *w);
	snprintf(w->id, sizeof w->id, "%s", r->id);
	snprintf(w->status, sizeof w->status, "%s", r->status);
	w->name = xstrdup(r->name);
	w->family = xstrdup(r->family);
	w->reason = xstrdup(r->reason);
	return STORE_OK;
}

static void
fam_rows_free(struct fam_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		free(rows->v[i].name);
		free(rows->v[i].family);
		free(rows->v[i].reason);
	}
	free(rows->v);
}

/* The rows come sorted by name in byte order (list_name is COLLATE "C"). */
static struct fam_row *
fam_rows_find(const struct fam_rows *rows, const char *name)
{
	size_t lo = 0, hi = rows->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(name, rows->v[mid].name);

		if (cmp == 0)
			return &rows->v[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* -- files ------------------------------------------------------------------- */

/* A file of a list's directory into out; 1 if missing, -1 on error. */
static int
fam_read(const char *dir, const char *file, struct buf *out)
{
	struct buf path = BUF_INIT(8192);
	char chunk[65536];
	ssize_t n;
	int fd;

	buf_reset(out);
	buf_printf(&path, "%s/%s", dir, file);
	fd = open(buf_cstr(&path), O_RDONLY | O_CLOEXEC);
	buf_free(&path);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		if (buf_append(out, chunk, (size_t)n) < 0) {
			n = -1;
			break;
		}
	close(fd);
	return n < 0 ? -1 : 0;
}

/*
 * Replace dir/file: a temporary file beside it, renamed over it. No fsync
 * here: the batch's syncfs() makes every file durable before the commit.
 */
static int
fam_write(const char *dir, const char *file, const struct buf *text,
    struct buf *err)
{
	struct buf tmp = BUF_INIT(8192), path = BUF_INIT(8192);
	size_t off = 0;
	int fd, rc = -1;

	buf_printf(&tmp, "%s/.%s.tmp", dir, file);
	buf_printf(&path, "%s/%s", dir, file);
	fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0640);
	if (fd < 0)
		goto fail;
	while (off < text->len) {
		ssize_t n = write(fd, text->data + off, text->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto fail;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0 || rename(buf_cstr(&tmp), buf_cstr(&path)) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	buf_printf(err, "%s: %s", buf_cstr(&path), strerror(errno));
	(void)unlink(buf_cstr(&tmp));
out:
	buf_free(&tmp);
	buf_free(&path);
	return rc;
}

/* Remove a directory this run made, and the files it put there. */
static void
fam_unmake(const char *dir)
{
	struct buf p = BUF_INIT(8192);

	buf_printf(&p, "%s/%s", dir, LISTCONF_FILE);
	(void)unlink(buf_cstr(&p));
	buf_reset(&p);
	buf_printf(&p, "%s/%s", dir, FAMILY_INSTANCE_FILE);
	(void)unlink(buf_cstr(&p));
	(void)rmdir(dir);
	buf_free(&p);
}

/* -- instantiate ----------------------------------------------------------- */

struct fam_run {
	struct herald_ctx		*c;
	const struct family	*f;
	const char		*domain;
	struct fam_rows		 rows;
	struct fam_report	 r;
	char			**made;		/* directories made in the batch */
	size_t			 nmade;
};

static void
fam_refuse(struct fam_run *run, const struct family_entry *e, const char *why)
{
	run->r.refused++;
	buf_printf(&run->r.lines, "refused %s (line %lu): %s\n", e->name,
	    e->line, why);
}

/* A new list: its directory, row, owners, audit record and files. */
static int
fam_create(struct fam_run *run, const struct family_entry *e,
    const struct family_result *res, const char *dir)
{
	struct buf err = BUF_INIT(16384);
	const char *reason = res->reason.len ? buf_cstr(&res->reason) : NULL;
	char id[24];
	int rc;

	if (res->nowners == 0) {
		fam_refuse(run, e, "no owner: give owners in the data or the template");
		return STORE_OK;
	}
	if (mkdir(dir, 0750) != 0) {
		fam_refuse(run, e, errno == EEXIST ? "its directory exists "
		    "without a database row (remove it or import the list)" :
		    strerror(errno));
		return STORE_OK;
	}
	rc = roster_family_create(run->c->st, &run->c->who, e->name,
	    run->domain, family_name(run->f), res->status, reason,
	    (const char *const *)res->owners, res->nowners, id);
	if (rc == ROSTER_EXISTS) {
		(void)rmdir(dir);
		fam_refuse(run, e, "the list was created meanwhile");
		return STORE_OK;
	}
	run->made[run->nmade++] = xstrdup(dir);
	if (rc != STORE_OK)
		return rc;
	if (fam_write(dir, FAMILY_INSTANCE_FILE, &res->instance, &err) != 0 ||
	    fam_write(dir, LISTCONF_FILE, &res->config, &err) != 0) {
		fprintf(stderr, "herald family: %s\n", buf_cstr(&err));
		buf_free(&err);
		return STORE_ERROR;
	}
	buf_free(&err);
	run->r.created++;
	run->r.aliases = 1;
	return STORE_OK;
}

/* An existing list of the family: new files and status when they changed. */
static int
fam_update(struct fam_run *run, struct fam_row *row,
    const struct family_result *res, const char *dir, const struct buf *cur,
    int curmissing, const struct buf *inst, int instmissing)
{
	struct buf err = BUF_INIT(16384), details = BUF_INIT(256 * 1024);
	const char *reason = res->reason.len ? buf_cstr(&res->reason) : NULL;
	int conf_changed = curmissing || strcmp(buf_cstr(cur), buf_cstr(&res->config)) != 0;
	int inst_changed = instmissing || strcmp(buf_cstr(inst), buf_cstr(&res->instance)) != 0;
	int status_changed = strcmp(row->status, res->status) != 0 ||
	    strcmp(row->reason, reason ? reason : "") != 0;
	int rc = STORE_OK;

	if (!conf_changed && !inst_changed && !status_changed) {
		run->r.unchanged++;
		goto out;
	}
	if ((inst_changed && fam_write(dir, FAMILY_INSTANCE_FILE, &res->instance, &err) != 0) ||
	    (conf_changed && fam_write(dir, LISTCONF_FILE, &res->config, &err) != 0)) {
		fprintf(stderr, "herald family: %s\n", buf_cstr(&err));
		rc = STORE_ERROR;
		goto out;
	}
	if (status_changed) {
		if ((rc = roster_family_set_status(run->c->st, &run->c->who,
		    row->id, row->name, run->domain, row->status, res->status,
		    reason)) != STORE_OK)
			goto out;
		if (strcmp(row->status, res->status) != 0)
			run->r.aliases = 1;
	}
	if (conf_changed || inst_changed) {
		audit_json_begin(&details);
		audit_json_str(&details, "family", family_name(run->f));
		audit_json_str(&details, "kept", buf_cstr(&res->kept));
		audit_json_str(&details, "dropped", buf_cstr(&res->dropped));
		audit_json_end(&details);
		if ((rc = roster_family_audit(run->c->st, &run->c->who, row->id,
		    row->name, run->domain, "list.family_update",
		    buf_cstr(&details))) != STORE_OK)
			goto out;
	}
	run->r.updated++;
out:
	buf_free(&err);
	buf_free(&details);
	return rc;
}

/* Plan and apply one entry of the data. */
static int
fam_entry(struct fam_run *run, const struct family_entry *e)
{
	struct buf dir = BUF_INIT(8192), cur = BUF_INIT(LISTCONF_FILE_MAX);
	struct buf inst = BUF_INIT(LISTCONF_FILE_MAX);
	struct family_result res;
	struct fam_row *row = fam_rows_find(&run->rows, e->name);
	int curmissing = 1, instmissing = 1, rc = STORE_OK;

	family_result_init(&res);
	fam_dir(run->c, run->domain, e->name, &dir);
	if (row != NULL)
		row->seen = 1;
	if (listname_is_reserved(e->name, config_str(run->c->cf, CF_ROBOT_LOCALPART),
	    config_str(run->c->cf, CF_BOUNCE_LOCALPART))) {
		fam_refuse(run, e, "a name the domain keeps for itself");
		goto out;
	}
	if (row != NULL && strcmp(row->family, family_name(run->f)) != 0) {
		buf_printf(&cur, "the list exists and belongs to %s%s",
		    *row->family ? "family " : "no family", row->family);
		fam_refuse(run, e, buf_cstr(&cur));
		goto out;
	}
	if (row != NULL) {
		curmissing = fam_read(buf_cstr(&dir), LISTCONF_FILE, &cur) != 0;
		instmissing = fam_read(buf_cstr(&dir), FAMILY_INSTANCE_FILE, &inst) != 0;
	}
	if (family_instantiate(run->f, e, curmissing ? NULL : buf_cstr(&cur),
	    cur.len, instmissing ? NULL : buf_cstr(&inst), inst.len, &res) != 0) {
		fam_refuse(run, e, buf_cstr(&res.reason));
		goto out;
	}
	if (row == NULL)
		rc = fam_create(run, e, &res, buf_cstr(&dir));
	else
		rc = fam_update(run, row, &res, buf_cstr(&dir), &cur, curmissing,
		    &inst, instmissing);
	if (rc != STORE_OK)
		goto out;
	if (strcmp(res.status, "error_config") == 0) {
		run->r.errors++;
		buf_printf(&run->r.lines, "error_config %s: %s\n", e->name,
		    buf_cstr(&res.reason));
	}
	if (res.dropped.len > 0)
		buf_printf(&run->r.lines, "dropped %s: %s\n", e->name,
		    buf_cstr(&res.dropped));
	if (res.kept.len > 0)
		buf_printf(&run->r.lines, "kept %s: %s\n", e->name,
		    buf_cstr(&res.kept));
out:
	family_result_free(&res);
	buf_free(&dir);
	buf_free(&cur);
	buf_free(&inst);
	return rc;
}

/* Flush the batch's files to disk, then commit; undo the directories if not. */
static int
fam_batch_end(struct fam_run *run, int rc)
{
	struct buf dir = BUF_INIT(8192);
	int fd;

	fam_dir(run->c, run->domain, NULL, &dir);
	if (rc == STORE_OK) {
		fd = open(buf_cstr(&dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) != 0) {
			fprintf(stderr, "herald family: %s: cannot sync: %s\n",
			    buf_cstr(&dir), strerror(errno));
			rc = STORE_ERROR;
		}
		if (fd >= 0)
			close(fd);
	}
	if (rc == STORE_OK)
		rc = store_commit(run->c->st);
	else
		store_rollback(run->c->st);
	for (size_t i = 0; i < run->nmade; i++) {
		if (rc != STORE_OK)
			fam_unmake(run->made[i]);
		free(run->made[i]);
	}
	if (rc != STORE_OK && run->nmade > 0)
		run->r.created -= (long)run->nmade;
	run->nmade = 0;
	buf_free(&dir);
	return rc;
}

/* The family's lists the data no longer names. */
static int
fam_unknown(struct fam_run *run, int close_unknown)
{
	int rc = STORE_OK;

	if (close_unknown && (rc = store_begin(run->c->st)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < run->rows.n && rc == STORE_OK; i++) {
		struct fam_row *row = &run->rows.v[i];

		if (row->seen || strcmp(row->family, family_name(run->f)) != 0 ||
		    strcmp(row->status, "family_closed") == 0)
			continue;
		if (!close_unknown) {
			run->r.unknown++;
			buf_printf(&run->r.lines, "not in the data %s (%s; left "
			    "alone: --close-unknown closes it)\n", row->name,
			    row->status);
			continue;
		}
		rc = roster_family_set_status(run->c->st, &run->c->who, row->id,
		    row->name, run->domain, row->status, "family_closed", NULL);
		run->r.closed++;
		run->r.aliases = 1;
		buf_printf(&run->r.lines, "closed %s\n", row->name);
	}
	if (!close_unknown)
		return rc;
	if (rc == STORE_OK)
		return store_commit(run->c->st);
	store_rollback(run->c->st);
	return rc;
}

static int
fam_apply_all(struct fam_run *run, const struct family_data *d)
{
	size_t n = family_data_count(d);
	int rc = STORE_OK;

	run->made = xcalloc(FAM_BATCH, sizeof *run->made);
	for (size_t i = 0; i < n && rc == STORE_OK; i += FAM_BATCH) {
		if ((rc = store_begin(run->c->st)) != STORE_OK)
			break;
		for (size_t j = i; j < n && j < i + FAM_BATCH && rc == STORE_OK; j++)
			rc = fam_entry(run, family_data_entry(d, j));
		rc = fam_batch_end(run, rc);
	}
	free(run->made);
	return rc;
}

static int
fam_instantiate(const char *cfpath, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "close-unknown", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct buf path = BUF_INIT(8192), err = BUF_INIT(1024 * 1024);
	struct family_data *d = NULL;
	struct family *f = NULL;
	struct fam_run run;
	struct herald_ctx c;
	int ch, close_unknown = 0, ex, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'C')
			close_unknown = 1;
		else if (ch == 'h')
			return fam_usage(stdout, EX_OK);
		else
			return fam_usage(stderr, EX_USAGE);
	}
	if (argc - optind != 2)
		return fam_usage(stderr, EX_USAGE);
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	memset(&run, 0, sizeof run);
	buf_init(&run.r.lines, BUF_UNLIMITED);
	if ((ex = fam_arg(&c, "instantiate", argv[optind], &name, &domain)) != EX_OK)
		goto out;
	fam_path(&c, buf_cstr(&domain), buf_cstr(&name), &path);
	if (access(buf_cstr(&path), F_OK) != 0) {
		fprintf(stderr, "herald family instantiate: no family %s@%s "
		    "(%s: %s)\n", buf_cstr(&name), buf_cstr(&domain),
		    buf_cstr(&path), strerror(errno));
		ex = EX_NOUSER;
		goto out;
	}
	if ((f = family_load(buf_cstr(&path), buf_cstr(&name), buf_cstr(&domain),
	    &err)) == NULL) {
		fprintf(stderr, "%s", buf_cstr(&err));
		ex = EX_CONFIG;
		goto out;
	}
	if ((d = family_data_load(argv[optind + 1], &err)) == NULL) {
		fprintf(stderr, "%s", buf_cstr(&err));
		ex = strstr(buf_cstr(&err), ": cannot ") ? EX_NOINPUT : EX_DATAERR;
		goto out;
	}
	run.c = &c;
	run.f = f;
	run.domain = buf_cstr(&domain);
	if ((rc = roster_family_lists(c.st, run.domain, NULL, fam_rows_add,
	    &run.rows)) != STORE_OK ||
	    (rc = fam_apply_all(&run, d)) != STORE_OK ||
	    (rc = fam_unknown(&run, close_unknown)) != STORE_OK) {
		ex = fam_store_fail("instantiate", rc);
		/* What committed before the failure is routed all the same. */
		if (run.r.aliases)
			(void)fam_aliases(&c);
		goto report;
	}
	ex = run.r.refused || run.r.errors ? EX_DATAERR : EX_OK;
	if (run.r.aliases && (rc = fam_aliases(&c)) != EX_OK && ex == EX_OK)
		ex = rc;
report:
	fputs(buf_cstr(&run.r.lines), stdout);
	printf("family %s@%s: created %ld, updated %ld, unchanged %ld, "
	    "error_config %ld, closed %ld, refused %ld, not in the data %ld\n",
	    buf_cstr(&name), buf_cstr(&domain), run.r.created, run.r.updated,
	    run.r.unchanged, run.r.errors, run.r.closed, run.r.refused,
	    run.r.unknown);
out:
	fam_rows_free(&run.rows);
	buf_free(&run.r.lines);
	family_data_free(d);
	family_free(f);
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&path);
	buf_free(&err);
	return ex;
}

/* -- ls, show, close --------------------------------------------------------- */

struct fam_count {
	long	total, open, errors, closed;
};

static int
fam_count_one(const struct roster_family_row *r, void *arg)
{
	struct fam_count *n = arg;

	n->total++;
	if (strcmp(r->status, "error_config") == 0)
		n->errors++;
	else if (strcmp(r->status, "closed") == 0 ||
	    strcmp(r->status, "family_closed") == 0)
		n->closed++;
	else
		n->open++;
	return STORE_OK;
}

/* The families of one domain, one line each. */
static int
fam_ls_domain(struct herald_ctx *c, const char *domain)
{
	struct buf dir = BUF_INIT(8192), path = BUF_INIT(8192), err = BUF_INIT(64 * 1024);
	struct dirent *de;
	const char *why;
	DIR *dp;
	int rc = STORE_OK;

	fam_dir(c, domain, NULL, &dir);
	buf_printf(&dir, "/%s", FAMILY_DIR);
	if ((dp = opendir(buf_cstr(&dir))) == NULL)
		goto out;
	while ((de = readdir(dp)) != NULL && rc == STORE_OK) {
		struct fam_count n = { 0, 0, 0, 0 };
		struct family *f;

		if (listname_check(de->d_name, &why) < 0)
			continue;
		fam_path(c, domain, de->d_name, &path);
		buf_reset(&err);
		f = family_load(buf_cstr(&path), de->d_name, domain, &err);
		rc = roster_family_lists(c->st, domain, de->d_name, fam_count_one, &n);
		printf("%s@%s\t%ld lists (%ld open, %ld error_config, %ld closed)%s\n",
		    de->d_name, domain, n.total, n.open, n.errors, n.closed,
		    f ? "" : "\t" FAMILY_FILE " does not load");
		family_free(f);
	}
	closedir(dp);
out:
	buf_free(&dir);
	buf_free(&path);
	buf_free(&err);
	return rc;
}

static int
fam_ls(const char *cfpath, int argc, char **argv)
{
	struct herald_ctx c;
	char **domains = NULL;
	struct buf err = BUF_INIT(64 * 1024);
	int ex, rc = STORE_OK;

	if ((ex = fam_help_only(argc, argv)) != -1)
		return ex;
	if (argc - optind > 1)
		return fam_usage(stderr, EX_USAGE);
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	if (argc - optind == 1) {
		if (!domain_exists(c.cf, argv[optind])) {
			fprintf(stderr, "herald family ls: no domain %s\n", argv[optind]);
			ex = EX_NOUSER;
		} else
			rc = fam_ls_domain(&c, argv[optind]);
	} else if ((domains = domain_list(c.cf, &err)) == NULL) {
		fprintf(stderr, "%s", buf_cstr(&err));
		ex = EX_IOERR;
	} else {
		for (size_t i = 0; domains[i] != NULL && rc == STORE_OK; i++)
			rc = fam_ls_domain(&c, domains[i]);
	}
	if (rc != STORE_OK)
		ex = fam_store_fail("ls", rc);
	domain_list_free(domains);
	buf_free(&err);
	herald_ctx_close(&c);
	return ex;
}

static int
fam_show_one(const struct roster_family_row *r, void *arg)
{
	long *n = arg;

	(*n)++;
	printf("  %-30s %s%s%s\n", r->name, r->status, *r->reason ? ": " : "",
	    r->reason);
	return STORE_OK;
}

static int
fam_show(const char *cfpath, int argc, char **argv)
{
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct buf path = BUF_INIT(8192), err = BUF_INIT(64 * 1024);
	struct family *f = NULL;
	struct herald_ctx c;
	long n = 0;
	int ex, rc;

	if ((ex = fam_help_only(argc, argv)) != -1)
		return ex;
	if (argc - optind != 1)
		return fam_usage(stderr, EX_USAGE);
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	if ((ex = fam_arg(&c, "show", argv[optind], &name, &domain)) != EX_OK)
		goto out;
	fam_path(&c, buf_cstr(&domain), buf_cstr(&name), &path);
	f = family_load(buf_cstr(&path), buf_cstr(&name), buf_cstr(&domain), &err);
	printf("family %s@%s\nfile %s\n", buf_cstr(&name), buf_cstr(&domain),
	    buf_cstr(&path));
	if (f != NULL)
		printf("constraints %zu\n", family_nconstraints(f));
	else
		printf("errors:\n%s", buf_cstr(&err));
	printf("lists:\n");
	if ((rc = roster_family_lists(c.st, buf_cstr(&domain), buf_cstr(&name),
	    fam_show_one, &n)) != STORE_OK)
		ex = fam_store_fail("show", rc);
	else if (f == NULL && n == 0)
		ex = EX_NOUSER;
out:
	family_free(f);
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&path);
	buf_free(&err);
	return ex;
}

static int
fam_close_family(const char *cfpath, int argc, char **argv)
{
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct fam_rows rows = { NULL, 0, 0 };
	struct herald_ctx c;
	long closed = 0;
	int ex, rc;

	if ((ex = fam_help_only(argc, argv)) != -1)
		return ex;
	if (argc - optind != 1)
		return fam_usage(stderr, EX_USAGE);
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	if ((ex = fam_arg(&c, "close", argv[optind], &name, &domain)) != EX_OK)
		goto out;
	if ((rc = roster_family_lists(c.st, buf_cstr(&domain), buf_cstr(&name),
	    fam_rows_add, &rows)) != STORE_OK ||
	    (rc = store_begin(c.st)) != STORE_OK) {
		ex = fam_store_fail("close", rc);
		goto out;
	}
	for (size_t i = 0; i < rows.n && rc == STORE_OK; i++) {
		if (strcmp(rows.v[i].status, "family_closed") == 0)
			continue;
		rc = roster_family_set_status(c.st, &c.who, rows.v[i].id,
		    rows.v[i].name, buf_cstr(&domain), rows.v[i].status,
		    "family_closed", NULL);
		closed++;
	}
	if (rc == STORE_OK)
		rc = store_commit(c.st);
	else
		store_rollback(c.st);
	if (rc != STORE_OK) {
		ex = fam_store_fail("close", rc);
		goto out;
	}
	printf("family %s@%s: closed %ld of %zu lists\n", buf_cstr(&name),
	    buf_cstr(&domain), closed, rows.n);
	if (rows.n == 0) {
		fprintf(stderr, "herald family close: %s@%s has no lists\n",
		    buf_cstr(&name), buf_cstr(&domain));
		ex = EX_NOUSER;
	} else if (closed > 0)
		ex = fam_aliases(&c);
out:
	fam_rows_free(&rows);
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	return ex;
}

int
herald_family_cmd(const char *cfpath, int argc, char **argv)
{
	if (argc < 2)
		return fam_usage(stderr, EX_USAGE);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return fam_usage(stdout, EX_OK);
	if (strcmp(argv[1], "instantiate") == 0)
		return fam_instantiate(cfpath, argc - 1, argv + 1);
	if (strcmp(argv[1], "ls") == 0)
		return fam_ls(cfpath, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return fam_show(cfpath, argc - 1, argv + 1);
	if (strcmp(argv[1], "close") == 0)
		return fam_close_family(cfpath, argc - 1, argv + 1);
	fprintf(stderr, "herald family: unknown subcommand '%s'\n", argv[1]);
	return fam_usage(stderr, EX_USAGE);
}
