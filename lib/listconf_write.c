/*
 * listconf_write - a list configuration printed back as YAML, and written
 * to disk: a new list's directory and config.yaml, and the atomic
 * replacement of a file.
 *
 * What listconf_print() writes loads back to the same values: a scalar is
 * written plain only when it is made of characters no YAML reader takes
 * for syntax, else double-quoted with escapes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listconf.h"
#include "listname.h"
#include "mem.h"

/* Words a YAML reader may take for a null, a boolean or a number. */
static int
lcw_is_special_word(const char *s)
{
	static const char *const words[] = { "~", "null", "Null", "NULL", "true", "True",
	    "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
	    "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N" };

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* Whether s may be written as a plain scalar (flow: inside [ ]). */
static int
lcw_plain_ok(const char *s, int flow)
{
	if (*s == '\0' || *s == '-' || *s == '.' || *s == '%' || *s == '@' || *s == ',')
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (strchr("_-./@%+=", c) != NULL)
			continue;
		if (c == ',' && !flow)
			continue;
		return 0;
	}
	return 1;
}

static int
lcw_scalar(struct buf *out, const char *s, int flow)
{
	int rc = 0;

	if (lcw_plain_ok(s, flow) && !lcw_is_special_word(s))
		return buf_puts(out, s);
	rc |= buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': rc |= buf_puts(out, "\\\""); break;
		case '\\': rc |= buf_puts(out, "\\\\"); break;
		case '\n': rc |= buf_puts(out, "\\n"); break;
		case '\t': rc |= buf_puts(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				rc |= buf_printf(out, "\\x%02x", *p);
			else
				rc |= buf_putc(out, *p);
		}
	}
	rc |= buf_putc(out, '"');
	return rc;
}

static int
lcw_doc(struct buf *out, int id, int indent, int flags)
{
	if (!(flags & LISTCONF_PRINT_DOC))
		return 0;
	return buf_printf(out, "%*s# %s\n", indent, "", listconf_doc((enum listconf_param)id));
}

/* The key of a parameter: its own name, or the part after the dot. */
static const char *
lcw_key(int id)
{
	const char *name = listconf_name((enum listconf_param)id), *dot = strchr(name, '.');

	return dot ? dot + 1 : name;
}

static int
lcw_admins(struct buf *out, const struct listconf *lc, int id)
{
	const struct listconf_admin *a;
	size_t n = listconf_admins(lc, (enum listconf_param)id, &a);
	int rc = 0;

	if (n == 0)
		return buf_printf(out, "%s: []\n", lcw_key(id));
	rc |= buf_printf(out, "%s:\n", lcw_key(id));
	for (size_t i = 0; i < n; i++) {
		rc |= buf_puts(out, "  - email: ");
		rc |= lcw_scalar(out, a[i].email, 0);
		if (*a[i].gecos) {
			rc |= buf_puts(out, "\n    gecos: ");
			rc |= lcw_scalar(out, a[i].gecos, 0);
		}
		if (id == LC_OWNER)
			rc |= buf_printf(out, "\n    profile: %s", a[i].profile);
		rc |= buf_printf(out, "\n    reception: %s\n    visibility: %s\n",
		    a[i].reception, a[i].visibility);
	}
	return rc;
}

static int
lcw_one(struct buf *out, const struct listconf *lc, const struct config *cf, int id,
    int indent)
{
	enum listconf_type t = listconf_type_of((enum listconf_param)id);
	const char *const *items;
	size_t n;
	int rc = 0;

	if (t == LISTCONF_ADMINS)
		return lcw_admins(out, lc, id);
	rc |= buf_printf(out, "%*s%s:", indent, "", lcw_key(id));
	switch (t) {
	case LISTCONF_HEADERS:
		if ((n = listconf_strv(lc, (enum listconf_param)id, &items)) == 0)
			return rc | buf_puts(out, " []\n");
		rc |= buf_putc(out, '\n');
		for (size_t i = 0; i < n; i++) {
			rc |= buf_printf(out, "%*s  - ", indent, "");
			rc |= lcw_scalar(out, items[i], 0);
			rc |= buf_putc(out, '\n');
		}
		return rc;
	case LISTCONF_SET:
	case LISTCONF_FIELDS:
	case LISTCONF_DAYS:
		n = listconf_strv(lc, (enum listconf_param)id, &items);
		rc |= buf_puts(out, " [");
		for (size_t i = 0; i < n; i++) {
			rc |= buf_puts(out, i ? ", " : "");
			rc |= lcw_scalar(out, items[i], 1);
		}
		return rc | buf_puts(out, "]\n");
	case LISTCONF_VARS: {
		const struct listconf_var *v;

		if ((n = listconf_vars(lc, &v)) == 0)
			return rc | buf_puts(out, " {}\n");
		rc |= buf_putc(out, '\n');
		for (size_t i = 0; i < n; i++) {
			rc |= buf_printf(out, "%*s  %s: ", indent, "", v[i].name);
			rc |= lcw_scalar(out, v[i].value, 0);
			rc |= buf_putc(out, '\n');
		}
		return rc;
	}
	default:
		rc |= buf_putc(out, ' ');
		if (id == LC_MAX_SIZE && lc == NULL && cf != NULL)
			rc |= lcw_scalar(out, config_str(cf, CF_MAX_SIZE), 0);
		else if (id == LC_MAX_SIZE && lc == NULL)
			rc |= lcw_scalar(out, "5M", 0);	/* herald.yaml's own default */
		else
			rc |= lcw_scalar(out, listconf_str(lc, (enum listconf_param)id), 0);
		return rc | buf_putc(out, '\n');
	}
}

/* Whether a parameter is printed: set, or a default asked for. */
static int
lcw_wanted(const struct listconf *lc, int id, int flags)
{
	if (listconf_explicit(lc, (enum listconf_param)id))
		return 1;
	if (!(flags & LISTCONF_PRINT_DEFAULTS))
		return 0;
	/* A digest mapping that is there means a digest: never a default. */
	return id != LC_DIGEST && listconf_parent((enum listconf_param)id) != LC_DIGEST;
}

int
listconf_print(const struct listconf *lc, const struct config *cf, int flags, struct buf *out)
{
	int rc = 0;

	for (int id = 0; id < LISTCONF_NPARAMS; id++) {
		if (listconf_parent((enum listconf_param)id) >= 0)
			continue;
		if (listconf_type_of((enum listconf_param)id) != LISTCONF_MAP) {
			if (!lcw_wanted(lc, id, flags))
				continue;
			rc |= lcw_doc(out, id, 0, flags);
			rc |= lcw_one(out, lc, cf, id, 0);
			continue;
		}
		/* A mapping: its keys follow it in the table. */
		if (!lcw_wanted(lc, id, flags) && !(id == LC_DIGEST && listconf_explicit(lc, id)))
			continue;
		rc |= lcw_doc(out, id, 0, flags);
		rc |= buf_printf(out, "%s:", listconf_name((enum listconf_param)id));
		{
			size_t mark = out->len;

			rc |= buf_putc(out, '\n');
			for (int sub = id + 1; sub < LISTCONF_NPARAMS &&
			    listconf_parent((enum listconf_param)sub) == id; sub++) {
				if (!listconf_explicit(lc, (enum listconf_param)sub) &&
				    !(flags & LISTCONF_PRINT_DEFAULTS) && !(id == LC_DIGEST))
					continue;
				rc |= lcw_doc(out, sub, 2, flags);
				rc |= lcw_one(out, lc, cf, sub, 2);
			}
			if (out->len == mark + 1) {
				buf_truncate(out, mark);
				rc |= buf_puts(out, " {}\n");
			}
		}
	}
	return rc < 0 ? -1 : 0;
}

/* ---- files ---- */

static int
lcw_fsync_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd, rc = 0;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(fd) < 0)
		rc = -1;
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/*
 * When root writes (herald run by the administrator), what it creates
 * takes the owner of the directory it is created in - the domain's, made
 * for mail_owner - or the daemons, which run as mail_owner, could not
 * read the lists. A failure leaves root's ownership: it is reported by
 * the daemon that cannot read, never silently worse.
 */
static void
lcw_inherit_owner(const char *path, int fd)
{
	struct buf dir = BUF_INIT(4096);
	struct stat st;
	const char *slash;

	if (geteuid() != 0 || (slash = strrchr(path, '/')) == NULL)
		return;
	buf_append(&dir, path, (size_t)(slash - path));
	if (stat(dir.len ? buf_cstr(&dir) : "/", &st) == 0 && st.st_uid != 0) {
		if (fd >= 0)
			(void)fchown(fd, st.st_uid, st.st_gid);
		else
			(void)chown(path, st.st_uid, st.st_gid);
	}
	buf_free(&dir);
}

int
listconf_write_file(const char *path, const char *text, size_t len, struct buf *err)
{
	struct buf tmp = BUF_INIT(8192);
	size_t off = 0;
	int fd, saved;

	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		goto fail;
	lcw_inherit_owner(path, fd);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	/* The data reaches the disk before the name does: no empty config after a crash. */
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(buf_cstr(&tmp), path) < 0)
		goto fail;
	if (lcw_fsync_dir(path) < 0) {
		buf_printf(err, "%s: cannot sync its directory: %s\n", path, strerror(errno));
		buf_free(&tmp);
		return -1;
	}
	buf_free(&tmp);
	return 0;
fail:
	saved = errno;
	buf_printf(err, "%s: cannot write: %s\n", path, strerror(saved));
	if (fd >= 0)
		close(fd);
	unlink(buf_cstr(&tmp));
	buf_free(&tmp);
	errno = saved;
	return -1;
}

/* The text of a new list's config.yaml. */
static int
lcw_new_text(const char *domain, const char *name, const char *subject,
    const struct listconf_admin *owners, size_t nowners, struct buf *out)
{
	int rc = 0;

	rc |= buf_printf(out, "# %s@%s: the list's configuration, see herald-list.yaml(5).\n"
	    "# The owners below are the list's first ones: the database holds the current ones.\n",
	    name, domain);
	rc |= buf_puts(out, "subject: ");
	rc |= lcw_scalar(out, subject, 0);
	rc |= buf_puts(out, "\nowner:\n");
	for (size_t i = 0; i < nowners; i++) {
		rc |= buf_puts(out, "  - email: ");
		rc |= lcw_scalar(out, owners[i].email ? owners[i].email : "", 0);
		if (owners[i].gecos && *owners[i].gecos) {
			rc |= buf_puts(out, "\n    gecos: ");
			rc |= lcw_scalar(out, owners[i].gecos, 0);
		}
		rc |= buf_puts(out, "\n    profile: ");
		rc |= lcw_scalar(out, owners[i].profile ? owners[i].profile : "normal", 0);
		rc |= buf_puts(out, "\n    reception: ");
		rc |= lcw_scalar(out, owners[i].reception ? owners[i].reception : "mail", 0);
		rc |= buf_puts(out, "\n    visibility: ");
		rc |= lcw_scalar(out, owners[i].visibility ? owners[i].visibility : "noconceal", 0);
		rc |= buf_putc(out, '\n');
	}
	return rc < 0 ? -1 : 0;
}

int
listconf_write_new(const char *lists_dir, const char *domain, const char *name,
    const char *subject, const struct listconf_admin *owners, size_t nowners,
    struct buf *err)
{
	struct buf text = BUF_INIT(LISTCONF_FILE_MAX), path = BUF_INIT(8192);
	struct buf lerr = BUF_INIT(64 * 1024);
	struct listconf *lc;
	const char *why;
	int rc = -1, saved = EINVAL;

	if (listname_check(name, &why) < 0 || listname_check_domain(domain, &why) < 0) {
		buf_printf(err, "%s@%s: %s\n", name, domain, why);
		errno = EINVAL;
		return -1;
	}
	if (nowners == 0) {
		buf_printf(err, "%s@%s: a list needs at least one owner\n", name, domain);
		errno = EINVAL;
		return -1;
	}
	/* The text is checked by the loader itself: what is written loads. */
	if (lcw_new_text(domain, name, subject, owners, nowners, &text) < 0) {
		buf_printf(err, "%s@%s: configuration too large\n", name, domain);
		goto out;
	}
	buf_printf(&path, "%s@%s", name, domain);
	if ((lc = listconf_load_text(buf_cstr(&path), text.data, text.len, NULL, &lerr)) == NULL) {
		buf_puts(err, buf_cstr(&lerr));
		goto out;
	}
	listconf_free(lc);
	buf_reset(&path);
	buf_printf(&path, "%s/%s", lists_dir, domain);
	if (mkdir(buf_cstr(&path), 0750) < 0 && errno != EEXIST) {
		saved = errno;
		buf_printf(err, "%s: cannot create: %s\n", buf_cstr(&path), strerror(saved));
		goto out;
	}
	buf_printf(&path, "/%s", name);
	if (mkdir(buf_cstr(&path), 0750) < 0) {
		saved = errno;
		if (saved == EEXIST)
			buf_printf(err, "%s@%s: the list already exists (%s)\n", name, domain,
			    buf_cstr(&path));
		else
			buf_printf(err, "%s@%s: cannot create %s: %s\n", name, domain,
			    buf_cstr(&path), strerror(saved));
		goto out;
	}
	lcw_inherit_owner(buf_cstr(&path), -1);
	buf_printf(&path, "/%s", LISTCONF_FILE);
	if (listconf_write_file(buf_cstr(&path), text.data, text.len, err) < 0) {
		saved = errno;
		buf_truncate(&path, path.len - strlen(LISTCONF_FILE) - 1);
		rmdir(buf_cstr(&path));
		goto out;
	}
	rc = 0;
out:
	buf_free(&text);
	buf_free(&path);
	buf_free(&lerr);
	if (rc < 0)
		errno = saved;
	return rc;
}
