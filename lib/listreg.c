/*
 * listreg - the registry of every list, kept up to date by file identity.
 *
 * Each list remembers the device, inode, size and modification time of
 * the config.yaml it was loaded from; a refresh stats every file (one
 * system call per list) and reads again only those that differ. A file
 * replaced by rename (as listconf_write_file does) has a new inode, so a
 * change within the clock's resolution is still seen.
 *
 * A directory of a domain without config.yaml is not a list (yet): list
 * creation makes the directory before it renames the file in.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "domain.h"
#include "listname.h"
#include "listreg.h"
#include "mem.h"

struct lr_key {
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
	int		exists;
};

struct lr_domain {
	char		*name;
	struct config	*cf;		/* NULL when domain.yaml is broken */
	char		*error;
	struct lr_key	 key;		/* of domain.yaml */
	int		 changed;	/* this refresh: reload every list */
};

struct lr_entry {
	struct listreg_entry pub;	/* first: what listreg_at returns */
	char		*name;
	struct lr_domain *dom;
	struct listconf	*conf;
	char		*error;
	struct lr_key	 key;
	int		 taken;		/* found again by the refresh under way */
};

struct listreg {
	const struct config *site;
	struct lr_domain **doms;
	size_t		 ndoms;
	struct lr_entry	**v;		/* sorted by domain, then name */
	size_t		 n;
};

static int
lr_key_equal(const struct lr_key *a, const struct lr_key *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void
lr_key_of(const struct stat *st, struct lr_key *k)
{
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = st->st_size;
	k->mtime = st->st_mtim;
	k->exists = 1;
}

static void
lr_entry_free(struct lr_entry *e)
{
	if (e == NULL)
		return;
	free(e->name);
	listconf_free(e->conf);
	free(e->error);
	free(e);
}

static void
lr_domain_free(struct lr_domain *d)
{
	if (d == NULL)
		return;
	free(d->name);
	config_free(d->cf);
	free(d->error);
	free(d);
}

static void
lr_publish(struct lr_entry *e)
{
	e->pub.name = e->name;
	e->pub.domain = e->dom->name;
	e->pub.conf = e->conf;
	e->pub.error = e->error;
	e->pub.state = e->conf ? LISTREG_OK : LISTREG_ERROR_CONFIG;
	e->pub.domain_config = e->dom->cf;
}

/* (Re)load a domain's configuration if its domain.yaml changed. */
static void
lr_domain_load(struct listreg *r, struct lr_domain *d)
{
	struct buf path = BUF_INIT(8192), err = BUF_INIT(64 * 1024);
	struct lr_key key = { 0 };
	struct stat st;

	domain_dir(r->site, d->name, &path);
	buf_printf(&path, "/%s", DOMAIN_FILE);
	if (stat(buf_cstr(&path), &st) == 0)
		lr_key_of(&st, &key);
	if (d->cf != NULL || d->error != NULL) {
		if (lr_key_equal(&key, &d->key))
			goto out;
	}
	d->changed = 1;
	d->key = key;
	config_free(d->cf);
	free(d->error);
	d->error = NULL;
	if ((d->cf = domain_config(r->site, d->name, &err)) == NULL)
		d->error = xstrdup(buf_cstr(&err));
out:
	buf_free(&path);
	buf_free(&err);
}

/* Load one list's file into e (whose key is the file's). */
static void
lr_entry_load(int dirfd, const char *rel, const char *path, struct lr_entry *e,
    struct listreg_stats *st)
{
	struct buf err = BUF_INIT(64 * 1024);

	listconf_free(e->conf);
	free(e->error);
	e->conf = NULL;
	e->error = NULL;
	if (e->dom->cf == NULL) {
		buf_printf(&err, "the domain's configuration does not load:\n%s", e->dom->error);
		e->error = buf_steal(&err);
	} else if ((e->conf = listconf_load_at(dirfd, rel, path, e->dom->cf, &err)) == NULL) {
		e->error = buf_steal(&err);
	}
	if (st)
		st->loaded++;
	buf_free(&err);
	lr_publish(e);
}

static int
lr_cmp(const char *dom_a, const char *name_a, const char *dom_b, const char *name_b)
{
	int c = strcmp(dom_a, dom_b);

	return c ? c : strcmp(name_a, name_b);
}

static int
lr_entry_cmp(const void *a, const void *b)
{
	const struct lr_entry *x = *(struct lr_entry *const *)a, *y = *(struct lr_entry *const *)b;

	return lr_cmp(x->dom->name, x->name, y->dom->name, y->name);
}

static struct lr_entry *
lr_find(const struct listreg *r, const char *name, const char *domain)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = lr_cmp(domain, name, r->v[mid]->dom->name, r->v[mid]->name);

		if (c == 0)
			return r->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct lr_vec {
	struct lr_entry	**v;
	size_t		 n, cap;
};

static void
lr_vec_push(struct lr_vec *vec, struct lr_entry *e)
{
	if (vec->n == vec->cap) {
		vec->cap = vec->cap ? vec->cap * 2 : 256;
		vec->v = xreallocarray(vec->v, vec->cap, sizeof *vec->v);
	}
	vec->v[vec->n++] = e;
}

/* The lists of one domain into vec: kept, reloaded or new. */
static void
lr_scan_domain(struct listreg *r, struct lr_domain *d, struct lr_vec *vec,
    struct listreg_stats *st)
{
	struct buf path = BUF_INIT(8192);
	struct dirent *de;
	const char *why;
	size_t base;
	DIR *dir;

	domain_dir(r->site, d->name, &path);
	if ((dir = opendir(buf_cstr(&path))) == NULL) {
		buf_free(&path);
		return;
	}
	buf_putc(&path, '/');
	base = path.len;
	while ((de = readdir(dir)) != NULL) {
		struct lr_entry *e;
		struct lr_key key;
		struct stat sb;

		if (listname_check(de->d_name, &why) < 0)
			continue;	/* "." "..", domain.yaml, editor droppings */
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
			continue;
		/* Paths relative to the domain's directory: shorter lookups. */
		buf_truncate(&path, base);
		buf_printf(&path, "%s/%s", de->d_name, LISTCONF_FILE);
		if (fstatat(dirfd(dir), path.data + base, &sb, 0) < 0 || !S_ISREG(sb.st_mode))
			continue;
		lr_key_of(&sb, &key);
		e = lr_find(r, de->d_name, d->name);
		if (e != NULL && e->dom == d) {
			e->taken = 1;
			if (lr_key_equal(&key, &e->key) && !d->changed) {
				lr_publish(e);
				lr_vec_push(vec, e);
				continue;
			}
		} else {
			e = xcalloc(1, sizeof *e);
			e->name = xstrdup(de->d_name);
			e->dom = d;
			if (st)
				st->added++;
		}
		e->key = key;
		lr_entry_load(dirfd(dir), path.data + base, buf_cstr(&path), e, st);
		lr_vec_push(vec, e);
	}
	closedir(dir);
	buf_free(&path);
}

static struct lr_domain *
lr_domain_find(struct listreg *r, const char *name)
{
	for (size_t i = 0; i < r->ndoms; i++)
		if (strcmp(r->doms[i]->name, name) == 0)
			return r->doms[i];
	return NULL;
}

int
listreg_refresh(struct listreg *r, struct listreg_stats *st, struct buf *err)
{
	struct lr_vec vec = { 0 };
	struct lr_domain **doms;
	char **names;
	size_t nd = 0;

	if (st)
		memset(st, 0, sizeof *st);
	if ((names = domain_list(r->site, err)) == NULL)
		return -1;
	for (char **p = names; *p; p++)
		nd++;
	doms = xcalloc(nd + 1, sizeof *doms);
	for (size_t i = 0; i < nd; i++) {
		struct lr_domain *d = lr_domain_find(r, names[i]);

		if (d == NULL) {
			d = xcalloc(1, sizeof *d);
			d->name = xstrdup(names[i]);
		}
		d->changed = 0;
		lr_domain_load(r, d);
		doms[i] = d;
		lr_scan_domain(r, d, &vec, st);
	}
	/* What was not taken is gone: its list, or its whole domain. */
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i]->taken) {
			r->v[i]->taken = 0;
			continue;
		}
		if (st)
			st->removed++;
		lr_entry_free(r->v[i]);
	}
	for (size_t i = 0; i < r->ndoms; i++) {
		size_t j;

		for (j = 0; j < nd && doms[j] != r->doms[i]; j++)
			;
		if (j == nd)
			lr_domain_free(r->doms[i]);
	}
	free(r->doms);
	free(r->v);
	r->doms = doms;
	r->ndoms = nd;
	r->v = vec.v;
	r->n = vec.n;
	/* qsort() with a NULL base is undefined even for no element. */
	if (r->n > 0)
		qsort(r->v, r->n, sizeof *r->v, lr_entry_cmp);
	for (size_t i = 0; i < r->n; i++) {
		lr_publish(r->v[i]);
		if (st && r->v[i]->conf == NULL)
			st->broken++;
	}
	if (st)
		st->lists = r->n;
	domain_list_free(names);
	return 0;
}

struct listreg *
listreg_open(const struct config *site, struct listreg_stats *st, struct buf *err)
{
	struct listreg *r = xcalloc(1, sizeof *r);

	r->site = site;
	if (listreg_refresh(r, st, err) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

const struct listreg_entry *
listreg_find(const struct listreg *r, const char *name, const char *domain)
{
	struct lr_entry *e = lr_find(r, name, domain);

	return e ? &e->pub : NULL;
}

size_t
listreg_count(const struct listreg *r)
{
	return r->n;
}

const struct listreg_entry *
listreg_at(const struct listreg *r, size_t i)
{
	return i < r->n ? &r->v[i]->pub : NULL;
}

void
listreg_close(struct listreg *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		lr_entry_free(r->v[i]);
	for (size_t i = 0; i < r->ndoms; i++)
		lr_domain_free(r->doms[i]);
	free(r->v);
	free(r->doms);
	free(r);
}
