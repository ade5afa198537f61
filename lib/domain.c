/*
 * domain - virtual domains as directories of lists_directory.
 *
 * A domain needs no registration anywhere else: its directory is the
 * domain, so every host sharing lists_directory sees the same domains.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "listname.h"
#include "mem.h"

int
domain_dir(const struct config *site, const char *domain, struct buf *out)
{
	buf_reset(out);
	return buf_printf(out, "%s/%s", config_str(site, CF_LISTS_DIRECTORY), domain);
}

int
domain_exists(const struct config *site, const char *domain)
{
	struct buf path = BUF_INIT(8192);
	struct stat st;
	int rc;

	domain_dir(site, domain, &path);
	rc = stat(buf_cstr(&path), &st) == 0 && S_ISDIR(st.st_mode);
	buf_free(&path);
	return rc;
}

static int
domain_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
domain_list(const struct config *site, struct buf *err)
{
	const char *dir = config_str(site, CF_LISTS_DIRECTORY), *why;
	size_t n = 0, cap = 16;
	char **v = xcalloc(cap, sizeof *v);
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return v;
		buf_printf(err, "%s: cannot read: %s\n", dir, strerror(errno));
		free(v);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		/* Only directories with a domain's name: nothing else is a domain. */
		if (listname_check_domain(de->d_name, &why) < 0)
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISDIR(st.st_mode))
				continue;
		}
		if (n + 1 >= cap)
			v = xreallocarray(v, cap *= 2, sizeof *v);
		v[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	v[n] = NULL;
	qsort(v, n, sizeof *v, domain_cmp);
	return v;
}

void
domain_list_free(char **domains)
{
	if (domains == NULL)
		return;
	for (char **p = domains; *p; p++)
		free(*p);
	free(domains);
}

struct config *
domain_config(const struct config *site, const char *domain, struct buf *err)
{
	struct buf path = BUF_INIT(8192), text = BUF_INIT(1024);
	struct config *base, *cf;
	const char *why;

	if (listname_check_domain(domain, &why) < 0) {
		buf_printf(err, "%s: %s\n", domain, why);
		return NULL;
	}
	/* The domain first, so what derives from it (listmaster) follows. */
	buf_printf(&text, "domain: %s\n", domain);
	base = config_load_text(site, "domain", text.data, text.len, err);
	buf_free(&text);
	if (base == NULL)
		return NULL;
	domain_dir(site, domain, &path);
	buf_printf(&path, "/%s", DOMAIN_FILE);
	if (access(buf_cstr(&path), F_OK) < 0 && errno == ENOENT) {
		buf_free(&path);
		return base;
	}
	cf = config_load_over(base, buf_cstr(&path), err);
	config_free(base);
	if (cf != NULL && strcmp(config_str(cf, CF_DOMAIN), domain) != 0) {
		buf_printf(err, "%s: domain: is %s, the name of its directory\n",
		    buf_cstr(&path), domain);
		config_free(cf);
		cf = NULL;
	}
	buf_free(&path);
	return cf;
}

/* The uid and gid of mail_owner; -1 if unknown. */
static int
domain_owner(const struct config *site, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(config_str(site, CF_MAIL_OWNER));

	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
domain_create(const struct config *site, const char *domain, struct buf *err)
{
	static const char comment[] =
	    "# Site parameters (herald.yaml(5)) that differ for this domain.\n"
	    "# See herald config -d -x for the parameters; herald domain show for the result.\n";
	struct buf path = BUF_INIT(8192);
	const char *why;
	uid_t uid;
	gid_t gid;
	int fd, saved, own;

	if (listname_check_domain(domain, &why) < 0) {
		buf_printf(err, "%s: %s\n", domain, why);
		errno = EINVAL;
		return -1;
	}
	/* lists_directory itself may not exist on a fresh site. */
	if (mkdir(config_str(site, CF_LISTS_DIRECTORY), 0755) < 0 && errno != EEXIST) {
		saved = errno;
		buf_printf(err, "%s: cannot create: %s\n", config_str(site, CF_LISTS_DIRECTORY),
		    strerror(saved));
		errno = saved;
		return -1;
	}
	domain_dir(site, domain, &path);
	if (mkdir(buf_cstr(&path), 0750) < 0) {
		saved = errno;
		if (saved == EEXIST)
			buf_printf(err, "%s: the domain already exists (%s)\n", domain, buf_cstr(&path));
		else
			buf_printf(err, "%s: cannot create: %s\n", buf_cstr(&path), strerror(saved));
		buf_free(&path);
		errno = saved;
		return -1;
	}
	/* Only root can give the directory away; anyone else makes it their own. */
	own = geteuid() == 0 && domain_owner(site, &uid, &gid) == 0;
	if (geteuid() == 0 && !own) {
		buf_printf(err, "%s: mail_owner %s: no such user\n", buf_cstr(&path),
		    config_str(site, CF_MAIL_OWNER));
		rmdir(buf_cstr(&path));
		buf_free(&path);
		errno = ENOENT;
		return -1;
	}
	if (own)
		(void)chown(buf_cstr(&path), uid, gid);
	buf_printf(&path, "/%s", DOMAIN_FILE);
	if ((fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0 ||
	    write(fd, comment, sizeof comment - 1) != (ssize_t)(sizeof comment - 1) ||
	    fsync(fd) < 0) {
		saved = errno;
		buf_printf(err, "%s: cannot write: %s\n", buf_cstr(&path), strerror(saved));
		if (fd >= 0)
			close(fd);
		buf_free(&path);
		errno = saved;
		return -1;
	}
	if (own)
		(void)fchown(fd, uid, gid);
	close(fd);
	buf_free(&path);
	return 0;
}
