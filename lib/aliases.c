/*
 * aliases - the MTA's aliases file for Herald's lists; see aliases.h and
 * herald-aliases(5).
 *
 * Three parts: rendering (a template and a set of domains and lists in,
 * text out, no I/O), generation (the same from the configuration, the
 * domain directories and the database) and installation (the atomic
 * write, the .old copy, the rebuild command and the way back when the
 * rebuild fails).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "aliases.h"
#include "domain.h"
#include "listname.h"
#include "log.h"
#include "mem.h"

/*
 * The templates aliases/postfix.aliases and aliases/exim.aliases, compiled
 * in by the build (scripts/embed-text.sh) so that an installed herald needs
 * no data files.
 */
extern const char aliases_tmpl_postfix[];
extern const char aliases_tmpl_exim[];

/* The statuses whose lists have aliases (see herald-aliases(5) for why error_config). */
#define ALIASES_LISTS_SQL \
	"SELECT name, domain FROM lists " \
	"WHERE status IN ('open', 'pending', 'error_config') " \
	"ORDER BY domain, name"

/* Longest local part we write (RFC 5321's limit). */
#define ALIASES_LOCALPART_MAX	64

/* ---------------------------------------------------------------- formats */

int
aliases_format_of(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "postfix") == 0)
		return ALIASES_POSTFIX;
	if (strcmp(name, "sendmail") == 0)
		return ALIASES_SENDMAIL;
	if (strcmp(name, "exim") == 0)
		return ALIASES_EXIM;
	return -1;
}

const char *
aliases_template(enum aliases_format format)
{
	return format == ALIASES_EXIM ? aliases_tmpl_exim : aliases_tmpl_postfix;
}

int
aliases_has_virtual(enum aliases_format format)
{
	return format != ALIASES_EXIM;
}

/* ----------------------------------------------------------- value checks */

/*
 * A path that can go into a pipe command unquoted: absolute, and only
 * characters that no shell, aliases(5) parser or Exim redirect list reads
 * as syntax. Spaces are refused too: local(8) would split the command.
 */
static int
aliases_safe_path(const char *s)
{
	if (s == NULL || s[0] != '/' || strlen(s) > PATH_MAX)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._/+=@-", c) != NULL))
			return 0;
	}
	return 1;
}

/* A local part of a service address: the list-name alphabet. */
static int
aliases_safe_localpart(const char *s)
{
	size_t n = 0;

	if (s == NULL || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n <= ALIASES_LOCALPART_MAX;
}

/* Printable ASCII and tabs only: what every generated line must be. */
static int
aliases_line_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return 0;
	}
	return 1;
}

/* -------------------------------------------------------------- templates */

struct aliases_tmpl {
	const char	*header, *domain, *list;	/* section bodies */
	size_t		 header_len, domain_len, list_len;
};

/* Split a template into its sections; -1 with err on a malformed one. */
static int
aliases_tmpl_parse(const char *t, struct aliases_tmpl *tp, struct buf *err)
{
	const char **cur = NULL;
	size_t *curlen = NULL;
	const char *line = t;

	memset(tp, 0, sizeof *tp);
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *next = nl ? nl + 1 : line + len;

		if (len == 8 && memcmp(line, "[header]", 8) == 0) {
			cur = &tp->header, curlen = &tp->header_len;
			*cur = next;
		} else if (len == 8 && memcmp(line, "[domain]", 8) == 0) {
			cur = &tp->domain, curlen = &tp->domain_len;
			*cur = next;
		} else if (len == 6 && memcmp(line, "[list]", 6) == 0) {
			cur = &tp->list, curlen = &tp->list_len;
			*cur = next;
		} else if (cur == NULL && len > 0 && !(len >= 2 &&
		    line[0] == '#' && line[1] == '#')) {
			buf_printf(err, "aliases template: text before the first section\n");
			return -1;
		} else if (cur != NULL) {
			*curlen = (size_t)(next - *cur);
		}
		line = next;
	}
	if (tp->domain == NULL || tp->list == NULL) {
		buf_printf(err, "aliases template: no [domain] or no [list] section\n");
		return -1;
	}
	return 0;
}

/* The values of the placeholders; NULL where a section has none. */
struct aliases_vars {
	const char	*list, *domain, *prefix, *libexec, *config, *robot, *bounce;
};

static const char *
aliases_var(const struct aliases_vars *v, const char *name, size_t len)
{
	static const struct { const char *name; size_t off; } names[] = {
		{ "list", offsetof(struct aliases_vars, list) },
		{ "domain", offsetof(struct aliases_vars, domain) },
		{ "prefix", offsetof(struct aliases_vars, prefix) },
		{ "libexec", offsetof(struct aliases_vars, libexec) },
		{ "config", offsetof(struct aliases_vars, config) },
		{ "robot", offsetof(struct aliases_vars, robot) },
		{ "bounce", offsetof(struct aliases_vars, bounce) },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0)
			return *(const char *const *)((const char *)v + names[i].off);
	return NULL;
}

/*
 * Copy a section into out with its placeholders replaced, dropping the
 * template's own "##" comment lines. -1 with err for an unknown
 * placeholder or one this section has no value for.
 */
static int
aliases_expand(const char *s, size_t len, const struct aliases_vars *v,
    struct buf *out, struct buf *err)
{
	size_t i = 0;

	while (i < len) {
		const char *line = s + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) + 1 : len - i;

		i += llen;
		if (llen >= 2 && line[0] == '#' && line[1] == '#')
			continue;
		for (size_t j = 0; j < llen; j++) {
			const char *close, *val;

			if (line[j] != '{') {
				if (buf_putc(out, line[j]) < 0)
					goto toolong;
				continue;
			}
			close = memchr(line + j, '}', llen - j);
			if (close == NULL ||
			    (val = aliases_var(v, line + j + 1,
			    (size_t)(close - line) - j - 1)) == NULL) {
				buf_printf(err, "aliases template: unknown placeholder in "
				    "'%.*s'\n", (int)(llen - 1), line);
				return -1;
			}
			if (buf_puts(out, val) < 0)
				goto toolong;
			j = (size_t)(close - line);
		}
	}
	return 0;
toolong:
	buf_printf(err, "aliases: the file would exceed %zu bytes\n", out->max);
	return -1;
}

/* ------------------------------------------------------------ key set */

/* The alias names written so far, and what wrote each: an open hash table. */
struct aliases_keys {
	char		**key;
	const char	**owner;	/* not owned: "list x@d" strings live in owners */
	char		**owners;	/* the owner strings, freed at the end */
	size_t		  cap, n, nowners;
};

static unsigned long
aliases_hash(const char *s, size_t len)
{
	unsigned long h = 2166136261UL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619UL;
	return h;
}

static void
aliases_keys_grow(struct aliases_keys *k)
{
	struct aliases_keys old = *k;

	k->cap = old.cap ? old.cap * 2 : 1024;
	k->key = xcalloc(k->cap, sizeof *k->key);
	k->owner = xcalloc(k->cap, sizeof *k->owner);
	k->n = 0;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.key[i] != NULL) {
			size_t j = aliases_hash(old.key[i], strlen(old.key[i])) & (k->cap - 1);

			while (k->key[j] != NULL)
				j = (j + 1) & (k->cap - 1);
			k->key[j] = old.key[i];
			k->owner[j] = old.owner[i];
			k->n++;
		}
	}
	free(old.key);
	free(old.owner);
}

/* The slot of key: where it is, or the empty slot it would go to. */
static size_t
aliases_keys_slot(const struct aliases_keys *k, const char *key, size_t len)
{
	size_t j = aliases_hash(key, len) & (k->cap - 1);

	while (k->key[j] != NULL && !(strlen(k->key[j]) == len &&
	    strncasecmp(k->key[j], key, len) == 0))
		j = (j + 1) & (k->cap - 1);
	return j;
}

/* The owner of key, or NULL if it is free. Keys compare without case, as MTAs do. */
static const char *
aliases_keys_find(const struct aliases_keys *k, const char *key, size_t len)
{
	if (k->cap == 0)
		return NULL;
	return k->owner[aliases_keys_slot(k, key, len)];
}

static void
aliases_keys_add(struct aliases_keys *k, const char *key, size_t len, const char *owner)
{
	size_t j;

	if (2 * (k->n + 1) > k->cap)
		aliases_keys_grow(k);
	j = aliases_keys_slot(k, key, len);
	if (k->key[j] == NULL) {
		k->key[j] = xstrndup(key, len);
		k->owner[j] = owner;
		k->n++;
	}
}

static const char *
aliases_keys_owner(struct aliases_keys *k, const char *what, const char *a, const char *b)
{
	char *s;
	size_t n = strlen(what) + strlen(a) + (b ? strlen(b) : 0) + 3;

	s = xmalloc(n);
	snprintf(s, n, "%s %s%s%s", what, a, b ? "@" : "", b ? b : "");
	k->owners = xreallocarray(k->owners, k->nowners + 1, sizeof *k->owners);
	k->owners[k->nowners++] = s;
	return s;
}

static void
aliases_keys_free(struct aliases_keys *k)
{
	for (size_t i = 0; i < k->cap; i++)
		free(k->key[i]);
	for (size_t i = 0; i < k->nowners; i++)
		free(k->owners[i]);
	free(k->key);
	free(k->owner);
	free(k->owners);
	memset(k, 0, sizeof *k);
}

/* ------------------------------------------------------------- rendering */

/* What rendering one block needs besides the block itself. */
struct aliases_ctx {
	const struct aliases_input	*in;
	struct aliases_keys		 keys;
	int				 virtual;	/* write the virtual map */
};

/*
 * Check one rendered block (a domain's or a list's lines), then append it
 * to out (and its virtual lines to vout). Every alias line needs a fresh
 * name; in a non-default domain every name must carry the domain prefix,
 * which the virtual map strips again. -1 with err naming owner: nothing of
 * the block is written.
 */
static int
aliases_commit(struct aliases_ctx *cx, const char *domain, const char *prefix,
    const struct buf *block, const char *owner, struct buf *out,
    struct buf *vout, struct buf *err)
{
	const char *s = buf_cstr(block), *end = s + block->len;
	struct buf vblock = BUF_INIT(ALIASES_FILE_MAX);
	struct aliases_keys mine = { 0 };	/* this block's names */
	size_t plen = strlen(prefix);
	int rc = -1;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		const char *colon, *other;
		size_t klen;

		if (!aliases_line_ok(s, len)) {
			buf_printf(err, "aliases: %s: refused: a line would hold a "
			    "control or 8-bit character\n", owner);
			goto out;
		}
		if (len == 0 || s[0] == '#')
			goto next;
		colon = memchr(s, ':', len);
		klen = colon ? (size_t)(colon - s) : 0;
		if (klen == 0 || memchr(s, ' ', klen) || memchr(s, '\t', klen)) {
			buf_printf(err, "aliases template: a line has no name before ':': "
			    "'%.*s'\n", (int)len, s);
			goto out;
		}
		if ((other = aliases_keys_find(&cx->keys, s, klen)) != NULL ||
		    (other = aliases_keys_find(&mine, s, klen)) != NULL) {
			buf_printf(err, "aliases: %s: refused: alias '%.*s' is already "
			    "%s's\n", owner, (int)klen, s, other);
			goto out;
		}
		aliases_keys_add(&mine, s, klen, owner);
		if (cx->virtual && plen > 0) {
			if (klen <= plen || memcmp(s, prefix, plen) != 0) {
				buf_printf(err, "aliases template: alias '%.*s' in domain %s "
				    "lacks {prefix}\n", (int)klen, s, domain);
				goto out;
			}
			buf_printf(&vblock, "%.*s@%s\t%.*s@%s\n", (int)(klen - plen),
			    s + plen, domain, (int)klen, s, cx->in->site_domain);
		}
	next:
		s += len + 1;
	}
	if (buf_append(out, block->data ? block->data : "", block->len) < 0 ||
	    (vout != NULL && buf_append(vout, vblock.data ? vblock.data : "",
	    vblock.len) < 0)) {
		buf_printf(err, "aliases: the file would exceed %zu bytes\n", out->max);
		goto out;
	}
	/* Only now, when the whole block is written, do its names count as taken. */
	for (size_t i = 0; i < mine.cap; i++)
		if (mine.key[i] != NULL)
			aliases_keys_add(&cx->keys, mine.key[i], strlen(mine.key[i]), owner);
	rc = 0;
out:
	aliases_keys_free(&mine);
	buf_free(&vblock);
	return rc;
}

static int
aliases_cmp_list(const void *a, const void *b)
{
	const struct aliases_list *x = *(const struct aliases_list *const *)a;
	const struct aliases_list *y = *(const struct aliases_list *const *)b;
	int c = strcmp(x->domain, y->domain);

	return c ? c : strcmp(x->name, y->name);
}

static int
aliases_cmp_domain(const void *a, const void *b)
{
	const struct aliases_domain *x = *(const struct aliases_domain *const *)a;
	const struct aliases_domain *y = *(const struct aliases_domain *const *)b;

	return strcmp(x->name, y->name);
}

/* The site-wide values; EX_CONFIG with err if one is unusable. */
static int
aliases_check_site(const struct aliases_input *in, struct buf *err)
{
	const char *why;

	if (in->site_domain == NULL || listname_check_domain(in->site_domain, &why) < 0) {
		buf_printf(err, "aliases: domain '%s': %s\n",
		    in->site_domain ? in->site_domain : "", in->site_domain ? why : "none");
		return EX_CONFIG;
	}
	if (!aliases_safe_path(in->libexec)) {
		buf_printf(err, "aliases: libexec_directory '%s': must be an absolute "
		    "path of letters, digits and . _ / + = @ -\n", in->libexec ? in->libexec : "");
		return EX_CONFIG;
	}
	if (!aliases_safe_path(in->config_path)) {
		buf_printf(err, "aliases: configuration file '%s': must be an absolute "
		    "path of letters, digits and . _ / + = @ -\n",
		    in->config_path ? in->config_path : "");
		return EX_CONFIG;
	}
	return EX_OK;
}

/* A domain's values; EX_CONFIG with err if one is unusable. */
static int
aliases_check_domain(const struct aliases_domain *d, struct buf *err)
{
	const char *why;

	if (d->name == NULL || listname_check_domain(d->name, &why) < 0) {
		buf_printf(err, "aliases: domain '%s': %s\n", d->name ? d->name : "",
		    d->name ? why : "none");
		return EX_CONFIG;
	}
	if (!aliases_safe_localpart(d->robot) || !aliases_safe_localpart(d->bounce)) {
		buf_printf(err, "aliases: domain %s: robot_localpart '%s' or "
		    "bounce_localpart '%s' is not a plain local part ([a-z0-9._-])\n",
		    d->name, d->robot ? d->robot : "", d->bounce ? d->bounce : "");
		return EX_CONFIG;
	}
	return EX_OK;
}

/* One list's block; 0, or -1 when the list is refused (err says why). */
static int
aliases_render_list(struct aliases_ctx *cx, const struct aliases_tmpl *tp,
    const struct aliases_domain *d, const char *prefix,
    const struct aliases_list *l, struct buf *out, struct buf *vout,
    struct buf *err)
{
	struct buf block = BUF_INIT(ALIASES_FILE_MAX);
	struct aliases_vars v = { l->name, d->name, prefix, cx->in->libexec,
	    cx->in->config_path, d->robot, d->bounce };
	const char *why, *owner;
	int rc = -1;

	/* The database's own check allows more (a '+'); this is the strict one. */
	if (l->name == NULL || listname_check(l->name, &why) < 0) {
		buf_printf(err, "aliases: list '%s@%s' refused: %s\n",
		    l->name ? l->name : "", d->name, l->name ? why : "no name");
		return -1;
	}
	if (listname_is_reserved(l->name, d->robot, d->bounce)) {
		buf_printf(err, "aliases: list %s@%s refused: the name is one of the "
		    "domain's own addresses\n", l->name, d->name);
		return -1;
	}
	owner = aliases_keys_owner(&cx->keys, "list", l->name, d->name);
	if (aliases_expand(tp->list, tp->list_len, &v, &block, err) == 0)
		rc = aliases_commit(cx, d->name, prefix, &block, owner, out, vout, err);
	buf_free(&block);
	return rc;
}

/*
 * One domain's block and its lists'. Returns the number of lists refused,
 * -1 when the domain's own block is refused, -2 for a broken template.
 */
static int
aliases_render_domain(struct aliases_ctx *cx, const struct aliases_tmpl *tp,
    const struct aliases_domain *d, const struct aliases_list *const *lists,
    size_t nlists, struct buf *out, struct buf *vout, struct buf *err)
{
	struct buf block = BUF_INIT(ALIASES_FILE_MAX), prefix = BUF_INIT(512);
	int is_site = strcmp(d->name, cx->in->site_domain) == 0;
	int refused = 0;
	const char *owner;

	/* Other domains get qualified names in an aliases(5) file only. */
	if (!is_site && cx->virtual)
		buf_printf(&prefix, "%s-", d->name);
	{
		struct aliases_vars v = { NULL, d->name, buf_cstr(&prefix),
		    cx->in->libexec, cx->in->config_path, d->robot, d->bounce };

		owner = aliases_keys_owner(&cx->keys, "domain", d->name, NULL);
		if (aliases_expand(tp->domain, tp->domain_len, &v, &block, err) < 0) {
			buf_free(&block);
			buf_free(&prefix);
			return -2;	/* the template's fault, not the domain's */
		}
	}
	if (vout != NULL && !is_site && cx->virtual &&
	    buf_printf(vout, "\n# domain %s\n%s\therald\n", d->name, d->name) < 0)
		goto fail;
	if (aliases_commit(cx, d->name, buf_cstr(&prefix), &block, owner, out,
	    vout, err) < 0)
		goto fail;
	for (size_t i = 0; i < nlists; i++)
		if (strcmp(lists[i]->domain, d->name) == 0 &&
		    aliases_render_list(cx, tp, d, buf_cstr(&prefix), lists[i], out,
		    vout, err) < 0)
			refused++;
	buf_free(&block);
	buf_free(&prefix);
	return refused;
fail:
	buf_free(&block);
	buf_free(&prefix);
	return -1;
}

int
aliases_render(const struct aliases_input *in, const char *tmpl,
    struct buf *out_aliases, struct buf *out_virtual, struct buf *err)
{
	struct aliases_ctx cx = { .in = in, .virtual = aliases_has_virtual(in->format) };
	const struct aliases_list **lists = NULL;
	const struct aliases_domain **doms = NULL;
	struct aliases_vars hv = { NULL, NULL, "", in->libexec, in->config_path,
	    NULL, NULL };
	struct aliases_tmpl tp;
	struct buf *vout = cx.virtual ? out_virtual : NULL;
	size_t ndoms = 0;
	int rc, refused = 0;

	buf_reset(out_aliases);
	if (out_virtual != NULL)
		buf_reset(out_virtual);
	if (aliases_tmpl_parse(tmpl, &tp, err) < 0)
		return EX_SOFTWARE;
	if ((rc = aliases_check_site(in, err)) != EX_OK)
		return rc;
	if (tp.header != NULL && aliases_expand(tp.header, tp.header_len, &hv,
	    out_aliases, err) < 0)
		return EX_SOFTWARE;
	if (vout != NULL)
		buf_printf(vout, "# Herald's virtual alias map, written by \"herald "
		    "aliases\" with the\n# aliases file beside it: each address of a "
		    "list outside the default\n# domain %s is mapped to its alias. Do "
		    "not edit.\n", in->site_domain);

	/* The default domain first, then the others by name; lists by domain, name. */
	doms = xcalloc(in->ndomains + 1, sizeof *doms);
	for (size_t i = 0; i < in->ndomains; i++) {
		if ((rc = aliases_check_domain(&in->domains[i], err)) != EX_OK)
			goto out;
		if (strcmp(in->domains[i].name, in->site_domain) == 0) {
			if (ndoms > 0 && strcmp(doms[0]->name, in->site_domain) == 0)
				continue;
			memmove(doms + 1, doms, ndoms * sizeof *doms);
			doms[0] = &in->domains[i];
			ndoms++;
		} else {
			doms[ndoms++] = &in->domains[i];
		}
	}
	if (ndoms == 0 || strcmp(doms[0]->name, in->site_domain) != 0) {
		buf_printf(err, "aliases: the default domain %s has no settings\n",
		    in->site_domain);
		rc = EX_SOFTWARE;
		goto out;
	}
	qsort(doms + 1, ndoms - 1, sizeof *doms, aliases_cmp_domain);
	for (size_t i = 1; i + 1 < ndoms; i++)
		if (strcmp(doms[i]->name, doms[i + 1]->name) == 0) {
			buf_printf(err, "aliases: domain %s given twice\n", doms[i]->name);
			rc = EX_SOFTWARE;
			goto out;
		}
	lists = xcalloc(in->nlists + 1, sizeof *lists);
	for (size_t i = 0; i < in->nlists; i++)
		lists[i] = &in->lists[i];
	qsort(lists, in->nlists, sizeof *lists, aliases_cmp_list);
	for (size_t i = 0; i < in->nlists; i++) {
		size_t j;

		for (j = 0; j < ndoms; j++)
			if (lists[i]->domain != NULL && strcmp(lists[i]->domain, doms[j]->name) == 0)
				break;
		if (j == ndoms) {
			buf_printf(err, "aliases: list %s@%s refused: no such domain\n",
			    lists[i]->name ? lists[i]->name : "",
			    lists[i]->domain ? lists[i]->domain : "");
			refused++;
		}
	}
	for (size_t i = 0; i < ndoms; i++) {
		int r = aliases_render_domain(&cx, &tp, doms[i], lists, in->nlists,
		    out_aliases, vout, err);

		if (r < 0) {
			rc = r == -2 ? EX_SOFTWARE : EX_CONFIG;
			goto out;
		}
		refused += r;
	}
	rc = refused ? EX_DATAERR : EX_OK;
out:
	aliases_keys_free(&cx.keys);
	free(lists);
	free(doms);
	return rc;
}

/* ------------------------------------------------------------ generation */

/* The configuration file's absolute path, for the -c of every line. */
static char *
aliases_abs_config(const char *cfpath, struct buf *err)
{
	const char *p = config_path(cfpath);
	char *abs = realpath(p, NULL);

	if (abs == NULL)
		buf_printf(err, "aliases: %s: %s\n", p, strerror(errno));
	return abs;
}

/* A domain's robot and bounce local parts: its domain.yaml over the site's. */
static int
aliases_domain_settings(const struct config *cf, const char *name,
    struct aliases_domain *d, struct config **dcf, struct buf *err)
{
	*dcf = NULL;
	d->name = name;
	d->robot = config_str(cf, CF_ROBOT_LOCALPART);
	d->bounce = config_str(cf, CF_BOUNCE_LOCALPART);
	if (!domain_exists(cf, name))
		return 0;
	if ((*dcf = domain_config(cf, name, err)) == NULL)
		return -1;
	d->robot = config_str(*dcf, CF_ROBOT_LOCALPART);
	d->bounce = config_str(*dcf, CF_BOUNCE_LOCALPART);
	return 0;
}

static int
aliases_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
aliases_generate(const struct config *cf, const char *cfpath, struct store *st,
    struct buf *out_aliases, struct buf *out_virtual, struct buf *err)
{
	struct aliases_input in = { 0 };
	struct aliases_list *lists = NULL;
	struct aliases_domain *doms = NULL;
	struct config **dcfs = NULL;
	const char **names = NULL;
	char **dirs = NULL, *abs = NULL;
	PGresult *res = NULL;
	size_t nnames = 0, ndirs = 0, nrows = 0;
	int rc, fmt;

	if ((fmt = aliases_format_of(config_str(cf, CF_ALIAS_FORMAT))) < 0) {
		buf_printf(err, "aliases: alias_format '%s' is not postfix, sendmail "
		    "or exim\n", config_str(cf, CF_ALIAS_FORMAT));
		return EX_CONFIG;
	}
	if ((abs = aliases_abs_config(cfpath, err)) == NULL)
		return EX_CONFIG;
	if ((dirs = domain_list(cf, err)) == NULL) {
		rc = EX_CONFIG;
		goto out;
	}
	if ((rc = store_query(st, ALIASES_LISTS_SQL, 0, NULL, &res)) != STORE_OK) {
		buf_printf(err, "aliases: cannot read the lists: %s\n", store_error(st));
		rc = rc == STORE_TEMP ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	nrows = (size_t)PQntuples(res);
	lists = xcalloc(nrows + 1, sizeof *lists);
	for (size_t i = 0; i < nrows; i++) {
		lists[i].name = PQgetvalue(res, (int)i, 0);
		lists[i].domain = PQgetvalue(res, (int)i, 1);
	}

	/* The domains: the default, every directory, every domain a list names. */
	while (dirs[ndirs] != NULL)
		ndirs++;
	names = xcalloc(ndirs + nrows + 2, sizeof *names);
	names[nnames++] = config_str(cf, CF_DOMAIN);
	for (size_t i = 0; i < ndirs; i++)
		names[nnames++] = dirs[i];
	for (size_t i = 0; i < nrows; i++)
		names[nnames++] = lists[i].domain;
	qsort(names, nnames, sizeof *names, aliases_cmp_str);
	doms = xcalloc(nnames + 1, sizeof *doms);
	dcfs = xcalloc(nnames + 1, sizeof *dcfs);
	in.ndomains = 0;
	for (size_t i = 0; i < nnames; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (aliases_domain_settings(cf, names[i], &doms[in.ndomains],
		    &dcfs[in.ndomains], err) < 0) {
			rc = EX_CONFIG;
			goto out;
		}
		in.ndomains++;
	}
	in.format = (enum aliases_format)fmt;
	in.site_domain = config_str(cf, CF_DOMAIN);
	in.libexec = config_str(cf, CF_LIBEXEC_DIRECTORY);
	in.config_path = abs;
	in.domains = doms;
	in.lists = lists;
	in.nlists = nrows;
	rc = aliases_render(&in, aliases_template(in.format), out_aliases,
	    out_virtual, err);
out:
	for (size_t i = 0; dcfs != NULL && i < in.ndomains; i++)
		if (dcfs[i] != NULL)
			config_free(dcfs[i]);
	free(dcfs);
	free(doms);
	free(names);
	free(lists);
	if (res != NULL)
		PQclear(res);
	if (dirs != NULL)
		domain_list_free(dirs);
	free(abs);
	return rc;
}

/* ---------------------------------------------------------- installation */

/* Where a file lives and the names around it. */
struct aliases_paths {
	char	*file;		/* the aliases (or virtual) file */
	char	*dir;		/* its directory */
	char	*tmp;		/* <dir>/.<base>.tmp.<pid>: never mistaken for the file */
	char	*old;		/* <file>.old */
	char	*oldtmp;	/* <dir>/.<base>.oldtmp.<pid> */
};

static char *
aliases_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
aliases_printf(const char *fmt, ...)
{
	struct buf b = BUF_INIT(2 * PATH_MAX + 64);
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_steal(&b);
}

static void
aliases_paths_init(struct aliases_paths *p, const char *file)
{
	const char *slash = strrchr(file, '/');
	const char *base = slash ? slash + 1 : file;

	p->file = xstrdup(file);
	p->dir = slash == file ? xstrdup("/") :
	    slash ? xstrndup(file, (size_t)(slash - file)) : xstrdup(".");
	p->tmp = aliases_printf("%s/.%s.tmp.%ld", p->dir, base, (long)getpid());
	p->old = aliases_printf("%s.old", file);
	p->oldtmp = aliases_printf("%s/.%s.oldtmp.%ld", p->dir, base, (long)getpid());
}

static void
aliases_paths_free(struct aliases_paths *p)
{
	free(p->file);
	free(p->dir);
	free(p->tmp);
	free(p->old);
	free(p->oldtmp);
	memset(p, 0, sizeof *p);
}

/* fsync a directory, so that a rename in it survives a crash. */
static int
aliases_sync_dir(const char *dir, struct buf *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		buf_printf(err, "aliases: %s: cannot sync: %s\n", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Temporary files of runs that were killed: .<base>.tmp.<pid> and
 * .<base>.oldtmp.<pid> whose process is gone. They never have the file's
 * name, so nothing reads them; this only keeps the directory clean.
 */
static void
aliases_clean_stale(const struct aliases_paths *p)
{
	const char *slash = strrchr(p->file, '/');
	const char *base = slash ? slash + 1 : p->file;
	size_t blen = strlen(base);
	struct dirent *de;
	DIR *d;

	if ((d = opendir(p->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name, *rest;
		char *end;
		long pid;

		if (n[0] != '.' || strncmp(n + 1, base, blen) != 0)
			continue;
		rest = n + 1 + blen;
		if (strncmp(rest, ".tmp.", 5) == 0)
			rest += 5;
		else if (strncmp(rest, ".oldtmp.", 8) == 0)
			rest += 8;
		else
			continue;
		errno = 0;
		pid = strtol(rest, &end, 10);
		if (errno || *end || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			char *path = aliases_printf("%s/%s", p->dir, n);

			unlink(path);
			free(path);
		}
	}
	closedir(d);
}

/* The uid and gid the files must have; EX_OK or a status with err. */
static int
aliases_owner(const struct config *cf, uid_t *uid, gid_t *gid, struct buf *err)
{
	const char *name = config_str(cf, CF_MAIL_OWNER);
	struct passwd *pw = getpwnam(name);

	if (pw == NULL) {
		buf_printf(err, "aliases: mail_owner '%s': no such user\n", name);
		return EX_CONFIG;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	/*
	 * Postfix's local(8) runs an alias file's commands as the file's
	 * owner: a file owned by whoever ran this would run the queue
	 * programs as that user, with no right to the spools.
	 */
	if (geteuid() != 0 && geteuid() != pw->pw_uid) {
		buf_printf(err, "aliases: run as root or as mail_owner '%s': the MTA "
		    "runs the pipes as the owner of the aliases file\n", name);
		return EX_NOPERM;
	}
	return EX_OK;
}

/* Write all of data to fd; -1 with errno. */
static int
aliases_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The test hook of the "never half-written" test: with
 * HERALD_TEST_ALIASES_STALL set, the writer stops for good after half of
 * the temporary file, so that the test can kill it there.
 */
static void
aliases_test_stall(int fd)
{
	const char *e = getenv("HERALD_TEST_ALIASES_STALL");

	if (e == NULL || *e == '\0')
		return;
	fsync(fd);
	fprintf(stderr, "aliases: stalled for a test (HERALD_TEST_ALIASES_STALL)\n");
	for (;;)
		pause();
}

/*
 * The new file under its temporary name, written, owned, synced. The mode
 * is 0644: the MTA and its map builder read it, only the owner writes.
 */
static int
aliases_write_tmp(const struct aliases_paths *p, const struct buf *text,
    uid_t uid, gid_t gid, struct buf *err)
{
	size_t half = text->len / 2;
	const char *data = text->data ? text->data : "";
	int fd;

	unlink(p->tmp);	/* a left-over of our own pid, if any */
	if ((fd = open(p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		buf_printf(err, "aliases: %s: cannot create: %s\n", p->tmp, strerror(errno));
		return EX_CANTCREAT;
	}
	if (aliases_write_all(fd, data, half) < 0)
		goto fail;
	aliases_test_stall(fd);
	if (aliases_write_all(fd, data + half, text->len - half) < 0)
		goto fail;
	/* As root, the file is handed to mail_owner before it gets its name. */
	if (geteuid() == 0 && fchown(fd, uid, gid) < 0)
		goto fail;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return EX_OK;
fail:
	buf_printf(err, "aliases: %s: cannot write: %s\n", p->tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(p->tmp);
	return EX_CANTCREAT;
}

/*
 * Put the written temporary file in place: the current file, if any,
 * becomes <file>.old (a hard link, renamed over the previous .old, so the
 * file itself never disappears), then the temporary file is renamed over
 * it and the directory synced. *had_old says whether there was one.
 */
static int
aliases_swap(const struct aliases_paths *p, int *had_old, struct buf *err)
{
	*had_old = 0;
	unlink(p->oldtmp);
	if (link(p->file, p->oldtmp) == 0) {
		if (rename(p->oldtmp, p->old) < 0) {
			buf_printf(err, "aliases: %s: cannot keep the previous file: %s\n",
			    p->old, strerror(errno));
			unlink(p->oldtmp);
			unlink(p->tmp);
			return EX_CANTCREAT;
		}
		*had_old = 1;
	} else if (errno != ENOENT) {
		buf_printf(err, "aliases: %s: cannot keep the previous file: %s\n",
		    p->file, strerror(errno));
		unlink(p->tmp);
		return EX_CANTCREAT;
	}
	if (rename(p->tmp, p->file) < 0) {
		buf_printf(err, "aliases: %s: cannot rename into place: %s\n", p->file,
		    strerror(errno));
		unlink(p->tmp);
		return EX_CANTCREAT;
	}
	if (aliases_sync_dir(p->dir, err) < 0)
		return EX_CANTCREAT;
	return EX_OK;
}

/* After a failed rebuild: the previous file back in place (a link to .old). */
static void
aliases_restore(const struct aliases_paths *p, struct buf *err)
{
	unlink(p->oldtmp);
	if (link(p->old, p->oldtmp) < 0 || rename(p->oldtmp, p->file) < 0) {
		buf_printf(err, "aliases: %s: cannot put the previous file back: %s\n",
		    p->file, strerror(errno));
		unlink(p->oldtmp);
		return;
	}
	aliases_sync_dir(p->dir, err);
	buf_printf(err, "aliases: %s: the previous file is back in place\n", p->file);
}

/* Split a command line on blanks (no quoting: no shell is involved). */
static char **
aliases_split(const char *cmd, size_t extra)
{
	char *copy = xstrdup(cmd), *save = NULL, *w;
	char **argv = xcalloc(1, sizeof *argv);
	size_t n = 0;

	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		argv = xreallocarray(argv, n + 2 + extra, sizeof *argv);
		argv[n++] = xstrdup(w);
		argv[n] = NULL;
	}
	free(copy);
	return argv;
}

static void
aliases_argv_free(char **argv)
{
	for (size_t i = 0; argv != NULL && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/*
 * Run argv (no shell) with a time limit; its output goes to our stderr.
 * EX_OK when it exits 0; EX_TEMPFAIL when it fails, dies or times out (a
 * map builder that failed may work next time: the MTA is being set up, a
 * disk was full); EX_OSERR when it cannot be started.
 */
static int
aliases_run(char *const *argv, struct buf *err)
{
	int status, ep[2], child_errno = 0;
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	long waited_ms = 0;
	pid_t pid, r;

	if (pipe2(ep, O_CLOEXEC) < 0) {
		buf_printf(err, "aliases: pipe: %s\n", strerror(errno));
		return EX_OSERR;
	}
	if ((pid = fork()) < 0) {
		buf_printf(err, "aliases: fork: %s\n", strerror(errno));
		close(ep[0]);
		close(ep[1]);
		return EX_OSERR;
	}
	if (pid == 0) {
		/* Its own process group, so that a timeout kills its children too. */
		setpgid(0, 0);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		child_errno = errno;
		(void)!write(ep[1], &child_errno, sizeof child_errno);
		_exit(127);
	}
	close(ep[1]);
	if (read(ep[0], &child_errno, sizeof child_errno) == (ssize_t)sizeof child_errno) {
		close(ep[0]);
		waitpid(pid, &status, 0);
		buf_printf(err, "aliases: cannot run %s: %s\n", argv[0], strerror(child_errno));
		return EX_OSERR;
	}
	close(ep[0]);
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (waited_ms >= ALIASES_REBUILD_TIMEOUT * 1000L) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			buf_printf(err, "aliases: %s: killed after %d s\n", argv[0],
			    ALIASES_REBUILD_TIMEOUT);
			return EX_TEMPFAIL;
		}
		nanosleep(&tick, NULL);
		waited_ms += 20;
	}
	if (r < 0) {
		buf_printf(err, "aliases: waitpid: %s\n", strerror(errno));
		return EX_OSERR;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return EX_OK;
	if (WIFEXITED(status))
		buf_printf(err, "aliases: %s failed with status %d\n", argv[0],
		    WEXITSTATUS(status));
	else
		buf_printf(err, "aliases: %s killed by signal %d\n", argv[0],
		    WTERMSIG(status));
	return EX_TEMPFAIL;
}

/*
 * The rebuild command for a file: alias_rebuild_command + path for the
 * aliases file; for the virtual map, postmap from postalias's directory
 * with the same options. NULL when there is nothing to run.
 */
static char **
aliases_rebuild_argv(const struct config *cf, const char *path, int virtual)
{
	const char *cmd = config_str(cf, CF_ALIAS_REBUILD_COMMAND);
	char **argv;
	size_t n = 0;

	/* "none" as in Sympa's aliases_program: the configuration refuses "". */
	if (cmd == NULL || strspn(cmd, " \t") == strlen(cmd) ||
	    strcmp(cmd, "none") == 0)
		return NULL;
	argv = aliases_split(cmd, 1);
	while (argv[n])
		n++;
	if (virtual) {
		const char *slash = strrchr(argv[0], '/');
		const char *base = slash ? slash + 1 : argv[0];
		char *pm;

		if (strcmp(base, "postalias") != 0) {
			aliases_argv_free(argv);
			return NULL;
		}
		pm = aliases_printf("%.*spostmap", (int)(base - argv[0]), argv[0]);
		free(argv[0]);
		argv[0] = pm;
	}
	argv[n++] = xstrdup(path);
	argv[n] = NULL;
	return argv;
}

/*
 * As root, a map the rebuild command made as root (not postalias, which
 * works as the file's owner) is handed to mail_owner too: local(8) takes
 * the owner of the .db.
 */
static void
aliases_chown_maps(const char *file, uid_t uid, gid_t gid)
{
	static const char *const exts[] = { ".db", ".lmdb", ".cdb" };
	struct stat sb;

	if (geteuid() != 0)
		return;
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		char *p = aliases_printf("%s%s", file, exts[i]);

		if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid != uid)
			(void)!chown(p, uid, gid);
		free(p);
	}
}

/* Write, swap and rebuild one file. */
static int
aliases_install_one(const struct config *cf, const char *file,
    const struct buf *text, int virtual, uid_t uid, gid_t gid,
    struct buf *report, struct buf *err)
{
	struct aliases_paths p;
	char **argv = NULL;
	int rc, had_old = 0;

	aliases_paths_init(&p, file);
	aliases_clean_stale(&p);
	if ((rc = aliases_write_tmp(&p, text, uid, gid, err)) != EX_OK)
		goto out;
	if ((rc = aliases_swap(&p, &had_old, err)) != EX_OK)
		goto out;
	if (report != NULL)
		buf_printf(report, "wrote %s (%zu bytes)%s\n", p.file, text->len,
		    had_old ? "; previous kept as .old" : "");
	if ((argv = aliases_rebuild_argv(cf, p.file, virtual)) == NULL) {
		if (report != NULL && virtual)
			buf_printf(report, "not rebuilt: %s (rebuild it with the MTA's "
			    "map tool)\n", p.file);
		goto out;
	}
	if ((rc = aliases_run(argv, err)) != EX_OK) {
		if (had_old)
			aliases_restore(&p, err);
		goto out;
	}
	aliases_chown_maps(p.file, uid, gid);
	if (report != NULL) {
		buf_printf(report, "ran");
		for (size_t i = 0; argv[i]; i++)
			buf_printf(report, " %s", argv[i]);
		buf_printf(report, "\n");
	}
out:
	aliases_argv_free(argv);
	aliases_paths_free(&p);
	return rc;
}

int
aliases_install(const struct config *cf, const struct buf *aliases,
    const struct buf *virtual, struct buf *report, struct buf *err)
{
	const char *file = config_str(cf, CF_ALIAS_FILE);
	uid_t uid;
	gid_t gid;
	int rc;

	if (file == NULL || file[0] != '/') {
		buf_printf(err, "aliases: alias_file '%s' is not an absolute path\n",
		    file ? file : "");
		return EX_CONFIG;
	}
	if ((rc = aliases_owner(cf, &uid, &gid, err)) != EX_OK)
		return rc;
	/* Aliases first: a new list's virtual entry must not lead nowhere. */
	if ((rc = aliases_install_one(cf, file, aliases, 0, uid, gid, report,
	    err)) != EX_OK)
		return rc;
	if (virtual != NULL) {
		char *vfile = aliases_printf("%s.virtual", file);

		rc = aliases_install_one(cf, vfile, virtual, 1, uid, gid, report, err);
		free(vfile);
	}
	return rc;
}

/* ------------------------------------------------------------ regenerate */

/*
 * One run at a time per alias file: a run that read the lists before
 * another run's change must not install after it. The lock is flock(2) on
 * <alias_file>.lock, released by the kernel when a run dies.
 */
static int
aliases_lock(const struct config *cf, struct buf *err)
{
	char *path = aliases_printf("%s.lock", config_str(cf, CF_ALIAS_FILE));
	int fd, tries = 0;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(err, "aliases: %s: cannot open: %s\n", path, strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		/* Another run: wait for it, but not for ever. */
		if ((errno != EWOULDBLOCK && errno != EINTR) || ++tries > 600) {
			buf_printf(err, "aliases: %s: cannot lock: %s\n", path,
			    errno == EWOULDBLOCK ? "another run holds it" : strerror(errno));
			close(fd);
			free(path);
			return -1;
		}
		usleep(100 * 1000);
	}
	free(path);
	return fd;
}

int
aliases_regenerate_with(const struct config *cf, const char *cfpath,
    struct store *st, struct buf *report, struct buf *err)
{
	struct buf al = BUF_INIT(ALIASES_FILE_MAX), vi = BUF_INIT(ALIASES_FILE_MAX);
	int rc, irc, lockfd, fmt = aliases_format_of(config_str(cf, CF_ALIAS_FORMAT));

	if ((lockfd = aliases_lock(cf, err)) < 0)
		return EX_CANTCREAT;
	rc = aliases_generate(cf, cfpath, st, &al, &vi, err);
	/* Refused lists are named in err; the others still get their aliases. */
	if (rc == EX_OK || rc == EX_DATAERR) {
		irc = aliases_install(cf, &al, fmt >= 0 && aliases_has_virtual(
		    (enum aliases_format)fmt) ? &vi : NULL, report, err);
		if (irc != EX_OK)
			rc = irc;
	}
	close(lockfd);
	buf_free(&al);
	buf_free(&vi);
	return rc;
}

int
aliases_regenerate(const char *cfpath, struct buf *report, struct buf *err)
{
	struct config *cf;
	struct store *st = NULL;
	int rc;

	if ((cf = config_load(config_path(cfpath), err)) == NULL)
		return EX_CONFIG;
	rc = store_open(config_str(cf, CF_DATABASE), "herald-aliases", &st);
	if (rc != STORE_OK) {
		buf_printf(err, "aliases: cannot connect to the database\n");
		config_free(cf);
		return rc == STORE_TEMP ? EX_TEMPFAIL : EX_CONFIG;
	}
	rc = aliases_regenerate_with(cf, cfpath, st, report, err);
	store_close(st);
	config_free(cf);
	return rc;
}
