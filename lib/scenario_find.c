/*
 * scenario_find - where scenario files are, and the cache of them.
 *
 * Lookup order for <function>.<name> (first regular file wins):
 *	1. the family's scenarios dir (a family's files apply to its lists;
 *	   first, as Sympa's code does)
 *	2. <lists_directory>/<domain>/<list>/scenarios
 *	3. <lists_directory>/<domain>/scenarios
 *	4. <state_directory>/scenarios (the site)
 *	5. Herald's defaults: HERALD_SCENARIODIR, set at build time to
 *	   $(PREFIX)/share/herald/scenarios, or scenario_set_default_dir().
 * The rules of include.<function>.header, found the same way, go before
 * the file's own (Sympa's site-wide hook, e.g. for spam).
 *
 * The cache is keyed by the file's path plus that of its header file, so
 * one compiled copy serves every list that resolves to the same files.
 * Each use stats the files the compiled form came from (the file, its
 * includes, the header): a changed inode, size or mtime reloads it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "mem.h"
#include "scenario_int.h"

#ifndef HERALD_SCENARIODIR
#define HERALD_SCENARIODIR "/usr/local/share/herald/scenarios"
#endif

#define CACHE_MAX	512		/* compiled files kept */

struct cache_ent {
	char		*key;		/* "file\nheader-file" */
	struct scenario	*sc;
};

static struct cache_ent *cache;
static size_t ncache;
static char *default_dir;

const char *
scenario_default_dir(void)
{
	const char *env;

	if (default_dir != NULL)
		return default_dir;
	/* Tests and uninstalled trees point at the source's scenarios/. */
	if ((env = getenv("HERALD_SCENARIODIR")) != NULL && *env != '\0')
		return env;
	return HERALD_SCENARIODIR;
}

void
scenario_set_default_dir(const char *dir)
{
	free(default_dir);
	default_dir = dir != NULL ? xstrdup(dir) : NULL;
}

void
scenario_path_init(struct scenario_path *p)
{
	memset(p, 0, sizeof(*p));
}

int
scenario_path_add(struct scenario_path *p, const char *dir)
{
	if (dir == NULL || *dir == '\0')
		return 0;
	if (p->ndirs == SCENARIO_PATH_DIRS)
		return -1;
	p->dirs[p->ndirs++] = dir;
	return 0;
}

/* Append "a[/b[/c]]/scenarios" and a NUL to store; its offset in *at. */
static int
put_dir(struct buf *store, size_t *at, const char *a, const char *b,
    const char *c)
{
	*at = store->len;
	if (buf_puts(store, a) == -1 ||
	    (b != NULL && buf_printf(store, "/%s", b) == -1) ||
	    (c != NULL && buf_printf(store, "/%s", c) == -1) ||
	    buf_puts(store, "/scenarios") == -1 || buf_putc(store, '\0') == -1)
		return -1;
	return 0;
}

int
scenario_path_std(struct scenario_path *p, struct buf *store,
    const struct config *cf, const char *domain, const char *list,
    const char *family_dir)
{
	const char *state = config_str(cf, CF_STATE_DIRECTORY);
	const char *lists = config_str(cf, CF_LISTS_DIRECTORY);
	char ldir[4096];
	size_t at[3];
	int have[3] = { 0, 0, 0 };

	if (lists == NULL || *lists == '\0') {
		snprintf(ldir, sizeof(ldir), "%s/lists", state);
		lists = ldir;
	}
	buf_reset(store);
	/* Offsets first, pointers after: the buffer moves as it grows. */
	if (domain != NULL && list != NULL && (have[0] = 1) &&
	    put_dir(store, &at[0], lists, domain, list) == -1)
		return -1;
	if (domain != NULL && (have[1] = 1) &&
	    put_dir(store, &at[1], lists, domain, NULL) == -1)
		return -1;
	if ((have[2] = 1) &&
	    put_dir(store, &at[2], state, NULL, NULL) == -1)
		return -1;
	scenario_path_init(p);
	scenario_path_add(p, family_dir);
	for (int i = 0; i < 3; i++)
		if (have[i])
			scenario_path_add(p, store->data + at[i]);
	return scenario_path_add(p, scenario_default_dir());
}

/* A function or name: [-.\w]+, never "." or "..": it becomes a path. */
static int
name_ok(const char *s)
{
	if (*s == '\0' || *s == '.' || strlen(s) > 128)
		return 0;
	for (; *s != '\0'; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' ||
		    *s == '.'))
			return 0;
	return 1;
}

/* The first <dir>/<file> on the path that is a regular file. */
static int
locate(const struct scenario_path *path, const char *file, struct buf *out)
{
	struct stat st;

	for (size_t i = 0; i < path->ndirs; i++) {
		buf_reset(out);
		buf_printf(out, "%s/%s", path->dirs[i], file);
		if (stat(buf_cstr(out), &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	return -1;
}

/* Whether every file the compiled form came from is unchanged. */
static int
fresh(const struct scenario *sc)
{
	for (size_t i = 0; i < sc->ndeps; i++) {
		struct scenario_dep d;
		const struct scenario_dep *o = &sc->deps[i];

		if (scenario_dep_stat(o->path, &d) == -1 || d.dev != o->dev ||
		    d.ino != o->ino || d.size != o->size ||
		    d.mtime.tv_sec != o->mtime.tv_sec ||
		    d.mtime.tv_nsec != o->mtime.tv_nsec)
			return 0;
	}
	return 1;
}

static void
cache_drop(size_t i)
{
	free(cache[i].key);
	scenario_unref(cache[i].sc);
	cache[i] = cache[--ncache];
}

static struct scenario *
compile(const struct scenario_path *path, const char *file,
    const char *header, struct buf *err)
{
	struct scenario *sc, *pre;

	if ((sc = scenario_load(file, path, err)) == NULL)
		return NULL;
	if (*header == '\0')
		return sc;
	if ((pre = scenario_load(header, path, err)) == NULL) {
		scenario_unref(sc);
		return NULL;
	}
	scenario_prepend(sc, pre);
	scenario_unref(pre);
	return sc;
}

struct scenario *
scenario_find(const struct scenario_path *path, const char *function,
    const char *name, struct buf *file, struct buf *err)
{
	struct buf f = BUF_INIT(8192), h = BUF_INIT(8192), key = BUF_INIT(16384);
	struct scenario *sc = NULL;
	char base[300];

	if (!name_ok(function) || !name_ok(name)) {
		buf_reset(err);
		buf_printf(err, "bad scenario name \"%s.%s\"", function, name);
		goto out;
	}
	snprintf(base, sizeof(base), "%s.%s", function, name);
	if (locate(path, base, &f) == -1) {
		buf_reset(err);
		buf_printf(err, "scenario %s not found", base);
		if (file != NULL && path->ndirs > 0) {
			buf_reset(file);
			buf_printf(file, "%s/%s", path->dirs[0], base);
		}
		goto out;
	}
	if (file != NULL) {
		buf_reset(file);
		buf_puts(file, buf_cstr(&f));
	}
	snprintf(base, sizeof(base), "include.%s.header", function);
	if (locate(path, base, &h) == -1)
		buf_reset(&h);
	buf_printf(&key, "%s\n%s", buf_cstr(&f), buf_cstr(&h));
	for (size_t i = 0; i < ncache; i++)
		if (strcmp(cache[i].key, buf_cstr(&key)) == 0) {
			if (fresh(cache[i].sc)) {
				sc = scenario_ref(cache[i].sc);
				goto out;
			}
			cache_drop(i);
			break;
		}
	if ((sc = compile(path, buf_cstr(&f), buf_cstr(&h), err)) == NULL)
		goto out;
	/* Full: forget the oldest half-random entry; a reload is cheap. */
	if (ncache == CACHE_MAX)
		cache_drop(0);
	cache = xreallocarray(cache, ncache + 1, sizeof(*cache));
	cache[ncache].key = buf_steal(&key);
	cache[ncache++].sc = scenario_ref(sc);
out:
	buf_free(&f);
	buf_free(&h);
	buf_free(&key);
	return sc;
}

void
scenario_cache_flush(void)
{
	while (ncache > 0)
		cache_drop(ncache - 1);
	free(cache);
	cache = NULL;
}

int
scenario_decide(const struct scenario_path *path, const char *function,
    const char *name, const struct scenario_ctx *ctx,
    struct scenario_result *res)
{
	struct buf err = BUF_INIT(1024), file = BUF_INIT(8192);
	struct scenario *sc;
	int rc;

	sc = scenario_find(path, function, name, &file, &err);
	if (sc == NULL) {
		/* Fail closed: a missing or broken file rejects. */
		memset(res, 0, sizeof(*res));
		res->action = SCENARIO_REJECT;
		res->failed = 1;
		snprintf(res->reason, sizeof(res->reason), "not-compiled");
		snprintf(res->origin, sizeof(res->origin), "%s", buf_cstr(&err));
		log_warn("%s: reject", buf_cstr(&err));
		rc = -1;
	} else {
		rc = scenario_eval(sc, ctx, res);
		scenario_unref(sc);
	}
	buf_free(&err);
	buf_free(&file);
	return rc;
}

/*
 * Sympa classifies in the robot's context with nothing but the message:
 * [sender] is "nobody" inside, and list directories are never searched.
 * A missing or broken file is "unknown" rather than reject, since the
 * classification is only a fact for the other scenarios to test.
 */
const char *
scenario_spam_status(const struct scenario_path *domain_path,
    const char *name, const char *domain, const struct msg *m,
    const struct config *conf, struct scenario_result *res)
{
	struct scenario_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.domain = domain;
	ctx.auth = SCENARIO_AUTH_SMTP;
	ctx.msg = m;
	ctx.conf = conf;
	if (scenario_decide(domain_path, "spam_status", name, &ctx, res) == -1 &&
	    strcmp(res->reason, "not-compiled") == 0)
		return "unknown";
	return scenario_action_name(res->action);
}

/*
 * Old names a list's config may still hold, turned into the file's name
 * as Sympa does when it loads a list (so an imported list keeps working).
 */
static const struct {
	const char	*function, *from, *to;
} name_synonyms[] = {
	{ "visibility", "public", "noconceal" },
	{ "visibility", "private", "conceal" },
	{ "review", "open", "public" },
	{ "archive_mail_access", "open", "public" },
	{ "subscribe", "authdkim", "auth" },
	{ "subscribe", "auth_notifydkim", "auth_notify" },
	{ "subscribe", "auth_ownerdkim", "auth_owner" },
	{ "add", "authdkim", "auth" },
	{ "add", "ownerdkim", "owner" },
	{ "del", "authdkim", "auth" },
	{ "del", "ownerdkim", "owner" },
	{ "unsubscribe", "authdkim", "auth" },
	{ "unsubscribe", "auth_notifydkim", "auth_notify" },
	{ "remind", "listmasterdkim", "listmaster" },
	{ "remind", "ownerdkim", "owner" },
};

void
scenario_name_canonical(const char *function, const char *value,
    struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < sizeof(name_synonyms) / sizeof(name_synonyms[0]); i++)
		if (strcmp(name_synonyms[i].function, function) == 0 &&
		    strcmp(name_synonyms[i].from, value) == 0) {
			buf_puts(out, name_synonyms[i].to);
			return;
		}
	for (const char *p = value; *p != '\0'; p++)
		buf_putc(out, *p == ',' ? '_' : *p);
}
