/*
 * herald import-sympa - create a Herald list from a Sympa list directory.
 *
 *	herald import-sympa [--domain DOMAIN] [--members FILE.csv]
 *	    [--owners FILE] LISTDIR
 *
 * The list's name is LISTDIR's last component, as in Sympa. Its `config`
 * (Sympa's paragraph syntax, lib/sympaconf.h) becomes config.yaml; every
 * parameter that cannot be translated is printed with its line and why.
 * Owners come from the config's owner paragraphs, LISTDIR/owner.dump and
 * --owners; editors from editor paragraphs and LISTDIR/editor.dump.
 * Members come from Sympa's dump (LISTDIR/subscribers, else
 * LISTDIR/member.dump), or from a CSV file with --members (imported as
 * `herald member import` does).
 *
 * Like `herald list create`, the list's row, its owners, editors and
 * dumped members, and their audit records (with one list.import_sympa
 * record saying where the list came from) are written in one transaction;
 * the directory and config.yaml are made before it commits and removed if
 * the commit fails. Then the aliases are regenerated.
 *
 * Exit statuses (<sysexits.h>): 64 usage, 65 bad data (no subject, no
 * owner, a bad list name, invalid member rows), 66 an unreadable file, 67
 * no such domain, 73 the list exists, 75 the database cannot be reached,
 * 78 configuration.
 */
#include <errno.h>
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
#include "mem.h"
#include "roster.h"
#include "store.h"
#include "sympaconf.h"

/* Sizes read: a config, a header or footer file, a member dump. */
#define IS_CONFIG_MAX	(1024 * 1024)
#define IS_TEXT_MAX	(64 * 1024)
#define IS_DUMP_MAX	(512UL * 1024 * 1024)
/* Paragraphs kept: of a config, of a dump (one member each). */
#define IS_CONFIG_PARAS	10000
#define IS_DUMP_PARAS	10000000
#define IS_MAX_ADMINS	1000

static const char is_usage_text[] =
    "usage: herald import-sympa [--domain DOMAIN] [--members FILE.csv] "
    "[--owners FILE] LISTDIR\n"
    "  create the list named after LISTDIR from Sympa's list directory:\n"
    "  its config file becomes config.yaml (every parameter that cannot be\n"
    "  translated is printed with its line and why); owners from the config,\n"
    "  owner.dump and --owners (a Sympa dump or \"address [name]\" lines);\n"
    "  members from the subscribers (or member.dump) dump, or --members CSV.\n";

struct is_ctx {
	const char	*cfpath;
	const char	*listdir;
	struct config	*cf;
	struct store	*st;
	struct roster_who who;
	struct buf	 name, domain, path;
	struct sympaconf_xlat x;
	/* Admins, canonical and without duplicates. */
	struct sympaconf_admin *owners, *editors;
	size_t		 nowners, neditors;
	struct buf	 mail[2 * IS_MAX_ADMINS];	/* their canonical addresses */
	size_t		 nmail;
	/* Dumped members. */
	struct sympaconf *dump;
	struct sympaconf_admin *users;
	size_t		 nusers;
	struct roster_import_row *rows;
	size_t		 nrows;
	unsigned long	 ninvalid;
	const char	*dumpname;
};

/* The text of a file, at most max bytes: -1 with errno, EFBIG if larger. */
static int
is_read(const char *path, size_t max, struct buf *out)
{
	char chunk[65536];
	FILE *fp;
	size_t n;
	int rc = 0;

	buf_reset(out);
	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
		if (out->len + n > max || buf_append(out, chunk, n) != 0) {
			errno = EFBIG;
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		errno = EIO;
		rc = -1;
	}
	fclose(fp);
	return rc;
}

/* LISTDIR/file into out. */
static void
is_file(const struct is_ctx *c, const char *file, struct buf *out)
{
	buf_reset(out);
	buf_printf(out, "%s/%s", c->listdir, file);
}

/* The list's name: LISTDIR's last component. */
static void
is_basename(const char *dir, struct buf *out)
{
	size_t n = strlen(dir);
	const char *s;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	for (s = dir + n; s > dir && s[-1] != '/'; s--)
		;
	buf_reset(out);
	buf_append(out, s, (size_t)(dir + n - s));
}

/*
 * Add a to list (*v, *n) with its address in canonical form, unless it is
 * bad (reported) or there already (first one kept).
 */
static void
is_admin_add(struct is_ctx *c, const char *origin, const char *role,
    const struct sympaconf_admin *a, struct sympaconf_admin **v, size_t *n)
{
	struct sympaconf_admin *d;
	const char *why;
	struct buf *m;

	if (c->nmail == sizeof c->mail / sizeof c->mail[0]) {
		printf("%s:%lu: %s %s: not imported: more than %d admins\n",
		    origin, a->line, role, a->email, IS_MAX_ADMINS);
		return;
	}
	m = &c->mail[c->nmail];
	buf_init(m, 1024);
	if (roster_canonical_email(a->email, m, &why) != 0 ||
	    (*a->gecos != '\0' && !roster_name_storable(a->gecos, &why))) {
		printf("%s:%lu: %s \"%.80s\": not imported: %s\n", origin,
		    a->line, role, a->email, why);
		buf_free(m);
		return;
	}
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*v)[i].email, buf_cstr(m)) == 0) {
			buf_free(m);
			return;
		}
	}
	c->nmail++;
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	d = &(*v)[(*n)++];
	/* Copies: the sources are freed long before the list is made. */
	d->email = (char *)buf_cstr(m);	/* borrowed from mail[] */
	d->gecos = xstrdup(a->gecos);
	d->profile = xstrdup(a->profile);
	d->reception = xstrdup(a->reception);
	d->visibility = xstrdup(a->visibility);
	d->line = a->line;
}

/* The admins of a user file (owner.dump, --owners). */
static int
is_admin_file(struct is_ctx *c, const char *path, const char *role,
    int must_exist)
{
	struct buf text = BUF_INIT(IS_CONFIG_MAX);
	struct sympaconf_admin *a = NULL;
	struct sympaconf *sc;
	size_t n;

	if (is_read(path, IS_CONFIG_MAX, &text) != 0) {
		buf_free(&text);
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(stderr, "herald import-sympa: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	sc = sympaconf_parse(text.data != NULL ? text.data : "", text.len,
	    SYMPACONF_USERS, IS_MAX_ADMINS);
	n = sympaconf_users(sc, &a);
	for (size_t i = 0; i < sc->nprob; i++)
		printf("%s:%lu: %s\n", path, sc->prob[i].line, sc->prob[i].why);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(role, "editor") == 0)
			is_admin_add(c, path, role, &a[i], &c->editors,
			    &c->neditors);
		else
			is_admin_add(c, path, role, &a[i], &c->owners,
			    &c->nowners);
	}
	sympaconf_admins_free(a, n);
	sympaconf_free(sc);
	buf_free(&text);
	return 0;
}

/*
 * A message_header or message_footer file of LISTDIR as the parameter of
 * the same name; the .mime variants are reported (Herald takes text).
 */
static void
is_text_file(struct is_ctx *c, const char *file, struct buf *yaml,
    size_t *translated, size_t *reported)
{
	struct buf path = BUF_INIT(8192), text = BUF_INIT(IS_TEXT_MAX);
	struct buf frag = BUF_INIT(8 * IS_TEXT_MAX), err = BUF_INIT(64 * 1024);
	struct listconf *lc;

	is_file(c, file, &path);
	buf_puts(&path, ".mime");
	if (access(buf_cstr(&path), F_OK) == 0) {
		printf("%s: not translated: a MIME file; Herald's %s is "
		    "text\n", buf_cstr(&path), file);
		(*reported)++;
	}
	is_file(c, file, &path);
	if (is_read(buf_cstr(&path), IS_TEXT_MAX, &text) != 0) {
		if (errno != ENOENT) {
			printf("%s: not translated: %s\n", buf_cstr(&path),
			    strerror(errno));
			(*reported)++;
		}
		goto out;
	}
	if (text.len == 0 || memchr(text.data, '\0', text.len) != NULL ||
	    csv_utf8_check(text.data, text.len) >= 0) {
		printf("%s: not translated: empty, or not UTF-8 text\n",
		    buf_cstr(&path));
		(*reported)++;
		goto out;
	}
	buf_printf(&frag, "%s: ", file);
	sympaconf_yaml_scalar(&frag, buf_cstr(&text));
	buf_putc(&frag, '\n');
	buf_reset(&text);
	buf_printf(&text, "subject: x\n%s", buf_cstr(&frag));
	if ((lc = listconf_load_text(buf_cstr(&path), text.data, text.len,
	    NULL, &err)) == NULL) {
		printf("%s: not translated: %s", buf_cstr(&path),
		    buf_cstr(&err));
		(*reported)++;
		goto out;
	}
	listconf_free(lc);
	buf_puts(yaml, buf_cstr(&frag));
	(*translated)++;
out:
	buf_free(&path);
	buf_free(&text);
	buf_free(&frag);
	buf_free(&err);
}

static int
is_row_cmp(const void *a, const void *b)
{
	const struct roster_import_row *x = a, *y = b;
	int d = strcmp(x->email, y->email);

	if (d != 0)
		return d;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Members from Sympa's dump: checked rows, the bad ones printed. */
static int
is_members_dump(struct is_ctx *c, const char *file)
{
	struct buf path = BUF_INIT(8192), text = BUF_INIT(IS_DUMP_MAX);
	size_t keep = 0;

	is_file(c, file, &path);
	if (is_read(buf_cstr(&path), IS_DUMP_MAX, &text) != 0) {
		fprintf(stderr, "herald import-sympa: %s: %s\n",
		    buf_cstr(&path), strerror(errno));
		buf_free(&path);
		buf_free(&text);
		return -1;
	}
	c->dumpname = file;
	c->dump = sympaconf_parse(text.data != NULL ? text.data : "",
	    text.len, SYMPACONF_USERS, IS_DUMP_PARAS);
	buf_free(&text);
	for (size_t i = 0; i < c->dump->nprob; i++) {
		printf("%s:%lu: %s\n", buf_cstr(&path), c->dump->prob[i].line,
		    c->dump->prob[i].why);
		c->ninvalid++;
	}
	c->nusers = sympaconf_users(c->dump, &c->users);
	c->rows = xcalloc(c->nusers + 1, sizeof *c->rows);
	for (size_t i = 0; i < c->nusers; i++) {
		struct sympaconf_admin *u = &c->users[i];
		struct buf m = BUF_INIT(1024);
		const char *why = NULL;

		if (roster_canonical_email(u->email, &m, &why) == 0) {
			free(u->email);
			u->email = xstrdup(buf_cstr(&m));
		}
		buf_free(&m);
		if (why == NULL && *u->gecos != '\0')
			(void)roster_name_storable(u->gecos, &why);
		if (why == NULL && !roster_reception_valid(u->reception))
			why = "not a reception mode";
		if (why == NULL && !roster_visibility_valid(u->visibility))
			why = "not a visibility";
		if (why != NULL) {
			printf("%s:%lu: \"%.80s\": not imported: %s\n",
			    buf_cstr(&path), u->line, u->email, why);
			c->ninvalid++;
			continue;
		}
		c->rows[c->nrows].email = u->email;
		c->rows[c->nrows].name = *u->gecos != '\0' ? u->gecos : NULL;
		c->rows[c->nrows].reception = u->reception;
		c->rows[c->nrows].visibility = u->visibility;
		c->rows[c->nrows].line = u->line;
		c->nrows++;
	}
	/* An address twice: the first one counts (the batch must not repeat). */
	qsort(c->rows, c->nrows, sizeof *c->rows, is_row_cmp);
	for (size_t i = 0; i < c->nrows; i++) {
		if (keep > 0 && strcmp(c->rows[keep - 1].email,
		    c->rows[i].email) == 0) {
			printf("%s:%lu: %s: not imported: given already at line "
			    "%lu\n", buf_cstr(&path), c->rows[i].line,
			    c->rows[i].email, c->rows[keep - 1].line);
			c->ninvalid++;
			continue;
		}
		c->rows[keep++] = c->rows[i];
	}
	c->nrows = keep;
	buf_free(&path);
	return 0;
}

/* The final config.yaml: the translation, the texts, the admins. */
static int
is_yaml(struct is_ctx *c, struct buf *yaml, size_t *translated,
    size_t *reported)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct listconf *lc;

	buf_printf(yaml, "# %s@%s: imported from Sympa's %s/config by herald "
	    "import-sympa;\n# see herald-list.yaml(5). The owners and "
	    "editors below are the list's first ones:\n# the database holds "
	    "the current ones.\n", buf_cstr(&c->name), buf_cstr(&c->domain),
	    c->listdir);
	buf_puts(yaml, buf_cstr(&c->x.yaml));
	is_text_file(c, "message_header", yaml, translated, reported);
	is_text_file(c, "message_footer", yaml, translated, reported);
	if (sympaconf_yaml_admins(yaml, "owner", c->owners, c->nowners) != 0 ||
	    sympaconf_yaml_admins(yaml, "editor", c->editors,
	    c->neditors) != 0) {
		fprintf(stderr, "herald import-sympa: configuration too large\n");
		buf_free(&err);
		return -1;
	}
	/* Each piece was loaded alone; the whole must load too. */
	if ((lc = listconf_load_text("config.yaml", yaml->data, yaml->len, NULL,
	    &err)) == NULL) {
		fprintf(stderr, "herald import-sympa: the translation does not "
		    "load:\n%s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	listconf_free(lc);
	buf_free(&err);
	return 0;
}

/* The audit record of the import itself. */
static int
is_audit(struct is_ctx *c, const struct roster_list *l, size_t translated,
    size_t reported, long long added)
{
	struct buf details = BUF_INIT(BUF_UNLIMITED), addr = BUF_INIT(512);
	struct audit_rec r = { 0 };
	int rc;

	audit_json_begin(&details);
	audit_json_str(&details, "source", c->listdir);
	audit_json_int(&details, "translated", (long long)translated);
	audit_json_int(&details, "reported", (long long)reported);
	audit_json_int(&details, "owners", (long long)c->nowners);
	audit_json_int(&details, "editors", (long long)c->neditors);
	audit_json_int(&details, "members", added);
	audit_json_end(&details);
	buf_printf(&addr, "%s@%s", l->name, l->domain);
	r.actor = c->who.actor;
	r.channel = c->who.channel;
	r.action = "list.import_sympa";
	r.list_id = l->id;
	r.list_address = buf_cstr(&addr);
	r.details = buf_cstr(&details);
	rc = audit_write(c->st, &r);
	buf_free(&details);
	buf_free(&addr);
	return rc;
}

/* Owners first (privileged ones create the list), editors, members. */
static int
is_db(struct is_ctx *c, struct roster_list *l, long long *added)
{
	const char *first[IS_MAX_ADMINS];
	size_t nfirst = 0;
	int rc, any_priv = 0;

	for (size_t i = 0; i < c->nowners; i++)
		any_priv |= strcmp(c->owners[i].profile, "privileged") == 0;
	/* Without a privileged owner, every owner runs the list. */
	for (size_t i = 0; i < c->nowners; i++)
		if (!any_priv || strcmp(c->owners[i].profile, "privileged") == 0)
			first[nfirst++] = c->owners[i].email;
	rc = roster_list_create(c->st, &c->who, buf_cstr(&c->name),
	    buf_cstr(&c->domain), first, nfirst, l);
	for (size_t i = 0; rc == STORE_OK && any_priv && i < c->nowners; i++)
		if (strcmp(c->owners[i].profile, "privileged") != 0)
			rc = roster_admin_add(c->st, &c->who, l->name,
			    l->domain, "owner", c->owners[i].email, "normal",
			    *c->owners[i].gecos ? c->owners[i].gecos : NULL);
	for (size_t i = 0; rc == STORE_OK && i < c->neditors; i++)
		rc = roster_admin_add(c->st, &c->who, l->name, l->domain,
		    "editor", c->editors[i].email, NULL,
		    *c->editors[i].gecos ? c->editors[i].gecos : NULL);
	*added = 0;
	if (rc == STORE_OK && c->nrows > 0)
		rc = roster_member_import(c->st, &c->who, l, c->dumpname,
		    c->rows, c->nrows, added);
	return rc;
}

/* Remove the directory made for the list (it holds config.yaml only). */
static void
is_unmake(const struct is_ctx *c)
{
	struct buf p = BUF_INIT(8192);

	listconf_path(config_str(c->cf, CF_LISTS_DIRECTORY),
	    buf_cstr(&c->domain), buf_cstr(&c->name), &p);
	(void)unlink(buf_cstr(&p));
	buf_truncate(&p, p.len - strlen(LISTCONF_FILE) - 1);
	(void)rmdir(buf_cstr(&p));
	buf_free(&p);
}

/* The list: row, directory, commit. */
static int
is_create(struct is_ctx *c, const char *yaml, size_t len, size_t translated,
    size_t reported, long long *added)
{
	struct listconf_admin first = { c->owners[0].email, "", "privileged",
	    "mail", "noconceal" };
	struct buf err = BUF_INIT(64 * 1024), path = BUF_INIT(8192);
	struct roster_list l;
	int rc, ex = EX_OK, made = 0;

	if ((rc = store_begin(c->st)) != STORE_OK)
		goto fail;
	rc = is_db(c, &l, added);
	if (rc == STORE_OK)
		rc = is_audit(c, &l, translated, reported, *added);
	if (rc == ROSTER_EXISTS) {
		fprintf(stderr, "herald import-sympa: %s@%s: the list already "
		    "exists\n", buf_cstr(&c->name), buf_cstr(&c->domain));
		ex = EX_CANTCREAT;
		goto out;
	}
	if (rc != STORE_OK)
		goto fail;
	/* The directory as `list create` makes it, then the whole text. */
	listconf_path(config_str(c->cf, CF_LISTS_DIRECTORY),
	    buf_cstr(&c->domain), buf_cstr(&c->name), &path);
	if (listconf_write_new(config_str(c->cf, CF_LISTS_DIRECTORY),
	    buf_cstr(&c->domain), buf_cstr(&c->name), c->x.subject, &first, 1,
	    &err) != 0) {
		fprintf(stderr, "herald import-sympa: %s", buf_cstr(&err));
		ex = errno == EEXIST ? EX_CANTCREAT : EX_DATAERR;
		goto out;
	}
	made = 1;
	if (listconf_write_file(buf_cstr(&path), yaml, len, &err) != 0) {
		fprintf(stderr, "herald import-sympa: %s", buf_cstr(&err));
		ex = EX_CANTCREAT;
		goto out;
	}
	if ((rc = store_commit(c->st)) != STORE_OK) {
		is_unmake(c);
		made = 0;
		goto fail;
	}
	goto done;
fail:
	fprintf(stderr, "herald import-sympa: %s@%s: %s\n", buf_cstr(&c->name),
	    buf_cstr(&c->domain), *roster_strerror(rc) ? roster_strerror(rc) :
	    "the database refused the import (see above)");
	ex = roster_sysexit(rc);
out:
	store_rollback(c->st);
	if (made)
		is_unmake(c);
done:
	buf_free(&err);
	buf_free(&path);
	return ex;
}

/* Read, translate and check everything before the database is touched. */
static int
is_prepare(struct is_ctx *c, const char *owners_file)
{
	struct buf text = BUF_INIT(IS_CONFIG_MAX), path = BUF_INIT(8192);
	struct sympaconf *sc;
	int ex = EX_OK;

	is_file(c, "config", &path);
	if (is_read(buf_cstr(&path), IS_CONFIG_MAX, &text) != 0) {
		fprintf(stderr, "herald import-sympa: %s: cannot read: %s\n",
		    buf_cstr(&path), strerror(errno));
		ex = EX_NOINPUT;
		goto out;
	}
	sc = sympaconf_parse(text.data != NULL ? text.data : "", text.len, 0,
	    IS_CONFIG_PARAS);
	sympaconf_translate(sc, buf_cstr(&c->name), &c->x);
	sympaconf_free(sc);
	for (size_t i = 0; i < c->x.nowners; i++)
		is_admin_add(c, buf_cstr(&path), "owner", &c->x.owners[i],
		    &c->owners, &c->nowners);
	for (size_t i = 0; i < c->x.neditors; i++)
		is_admin_add(c, buf_cstr(&path), "editor", &c->x.editors[i],
		    &c->editors, &c->neditors);
	is_file(c, "owner.dump", &path);
	if (is_admin_file(c, buf_cstr(&path), "owner", 0) != 0 ||
	    (owners_file != NULL &&
	    is_admin_file(c, owners_file, "owner", 1) != 0)) {
		ex = EX_NOINPUT;
		goto out;
	}
	is_file(c, "editor.dump", &path);
	if (is_admin_file(c, buf_cstr(&path), "editor", 0) != 0) {
		ex = EX_NOINPUT;
		goto out;
	}
	if (c->x.subject == NULL || *c->x.subject == '\0') {
		fprintf(stderr, "herald import-sympa: %s/config: no subject: "
		    "a list needs one\n", c->listdir);
		ex = EX_DATAERR;
	} else if (c->nowners == 0) {
		fprintf(stderr, "herald import-sympa: %s: no owner in the "
		    "config or owner.dump: give them with --owners FILE\n",
		    c->listdir);
		ex = EX_DATAERR;
	}
out:
	buf_free(&text);
	buf_free(&path);
	return ex;
}

/* A report line and where it is, to print them in the file's order. */
struct is_line {
	unsigned long	 line;
	size_t		 seq;
	const char	*s;
	int		 len;
};

static int
is_line_cmp(const void *a, const void *b)
{
	const struct is_line *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The report of what was not translated, by line. */
static void
is_report(const struct is_ctx *c)
{
	const char *s = buf_cstr(&c->x.report), *nl;
	struct is_line *v = NULL;
	size_t n = 0;

	for (; *s != '\0' && (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n].line = strtoul(s, NULL, 10);	/* "-" is 0: first */
		v[n].seq = n;
		v[n].s = s;
		v[n].len = (int)(nl - s);
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, is_line_cmp);
	for (size_t i = 0; i < n; i++)
		printf("%s/config:%.*s\n", c->listdir, v[i].len, v[i].s);
	free(v);
}

/* Run `herald member import LIST FILE` for a --members CSV. */
static int
is_members_csv(struct is_ctx *c, const char *file)
{
	struct buf addr = BUF_INIT(512);
	char *argv[5];
	int ex;

	buf_printf(&addr, "%s@%s", buf_cstr(&c->name), buf_cstr(&c->domain));
	argv[0] = "member";
	argv[1] = "import";
	argv[2] = (char *)buf_cstr(&addr);
	argv[3] = (char *)file;
	argv[4] = NULL;
	fflush(stdout);
	ex = herald_member_cmd(c->cfpath, 4, argv);
	buf_free(&addr);
	return ex;
}

static void
is_admins_free(struct sympaconf_admin *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].gecos);
		free(a[i].profile);
		free(a[i].reception);
		free(a[i].visibility);
	}
	free(a);
}

static void
is_free(struct is_ctx *c)
{
	if (c->st != NULL)
		store_close(c->st);
	if (c->cf != NULL)
		config_free(c->cf);
	buf_free(&c->name);
	buf_free(&c->domain);
	buf_free(&c->path);
	sympaconf_xlat_free(&c->x);
	/* The admins' addresses belong to mail[], the rest to them. */
	is_admins_free(c->owners, c->nowners);
	is_admins_free(c->editors, c->neditors);
	for (size_t i = 0; i < c->nmail; i++)
		buf_free(&c->mail[i]);
	sympaconf_admins_free(c->users, c->nusers);
	sympaconf_free(c->dump);
	free(c->rows);
}

int
herald_import_sympa_cmd(const char *cfpath, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "members", required_argument, NULL, 'm' },
		{ "owners", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *domain = NULL, *members = NULL, *owners = NULL, *why;
	struct buf yaml = BUF_INIT(LISTCONF_FILE_MAX), arg = BUF_INIT(1024);
	struct buf report = BUF_INIT(64 * 1024), err = BUF_INIT(64 * 1024);
	struct is_ctx c;
	size_t translated, reported;
	long long added = 0;
	struct stat sb;
	int ch, ex, rc;

	memset(&c, 0, sizeof c);
	buf_init(&c.name, 256);
	buf_init(&c.domain, 512);
	buf_init(&c.path, 8192);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:m:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			domain = optarg;
			break;
		case 'm':
			members = optarg;
			break;
		case 'o':
			owners = optarg;
			break;
		case 'h':
			fputs(is_usage_text, stdout);
			ex = EX_OK;
			goto out;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	c.cfpath = cfpath;
	c.listdir = argv[optind];
	c.who.actor = audit_cli_actor();
	c.who.channel = "cli";
	if (stat(c.listdir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "herald import-sympa: %s: not a directory\n",
		    c.listdir);
		ex = EX_NOINPUT;
		goto out;
	}
	if ((ex = herald_load_config(cfpath, &c.cf)) != EX_OK)
		goto out;
	is_basename(c.listdir, &arg);
	if (domain != NULL)
		buf_printf(&arg, "@%s", domain);
	if (roster_list_arg(buf_cstr(&arg), config_str(c.cf, CF_DOMAIN),
	    &c.name, &c.domain, &why) != 0 ||
	    (listname_is_reserved(buf_cstr(&c.name),
	    config_str(c.cf, CF_ROBOT_LOCALPART),
	    config_str(c.cf, CF_BOUNCE_LOCALPART)) &&
	    (why = "a name the domain keeps for itself"))) {
		fprintf(stderr, "herald import-sympa: %s: %s\n", buf_cstr(&arg),
		    why);
		ex = EX_DATAERR;
		goto out;
	}
	if (!domain_exists(c.cf, buf_cstr(&c.domain))) {
		fprintf(stderr, "herald import-sympa: no domain %s (create it "
		    "with 'herald domain create %s')\n", buf_cstr(&c.domain),
		    buf_cstr(&c.domain));
		ex = EX_NOUSER;
		goto out;
	}
	if ((ex = is_prepare(&c, owners)) != EX_OK)
		goto out;
	translated = c.x.translated;
	reported = c.x.reported;
	if (members == NULL) {
		is_file(&c, "subscribers", &c.path);
		if (access(buf_cstr(&c.path), F_OK) == 0)
			rc = is_members_dump(&c, "subscribers");
		else {
			is_file(&c, "member.dump", &c.path);
			rc = access(buf_cstr(&c.path), F_OK) == 0 ?
			    is_members_dump(&c, "member.dump") : 0;
		}
		if (rc != 0) {
			ex = EX_NOINPUT;
			goto out;
		}
	}
	if (is_yaml(&c, &yaml, &translated, &reported) != 0) {
		ex = EX_SOFTWARE;
		goto out;
	}
	if ((ex = herald_open_store(c.cf, "herald", &c.st)) != EX_OK)
		goto out;
	if ((ex = is_create(&c, yaml.data, yaml.len, translated, reported,
	    &added)) != EX_OK)
		goto out;
	is_report(&c);
	printf("imported list %s@%s from %s with %zu owners and %zu "
	    "editors\n", buf_cstr(&c.name), buf_cstr(&c.domain), c.listdir,
	    c.nowners, c.neditors);
	printf("parameters: %zu translated, %zu not translated (listed "
	    "above)\n", translated, reported);
	if (c.dump != NULL)
		printf("members from %s: added %lld, already there %lld, "
		    "invalid %lu\n", c.dumpname, added,
		    (long long)c.nrows - added, c.ninvalid);
	if (c.ninvalid > 0)
		ex = EX_DATAERR;
	if (members != NULL && (rc = is_members_csv(&c, members)) != EX_OK)
		ex = rc;
	/* The list exists now: mail to it needs the aliases. */
	if ((rc = aliases_regenerate_with(c.cf, cfpath, c.st, &report,
	    &err)) != EX_OK) {
		fprintf(stderr, "herald import-sympa: the aliases were not "
		    "regenerated: %s(run 'herald aliases' once the cause is "
		    "fixed)\n", buf_cstr(&err));
		if (ex == EX_OK)
			ex = rc;
	}
	fputs(buf_cstr(&report), stdout);
out:
	is_free(&c);
	buf_free(&yaml);
	buf_free(&arg);
	buf_free(&report);
	buf_free(&err);
	return ex;
usage:
	fputs(is_usage_text, stderr);
	ex = EX_USAGE;
	goto out;
}
