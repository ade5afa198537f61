/*
 * robot_info.c - the commands that only answer: HELP, LISTS, INFO,
 * REVIEW, WHICH, STATS, MODINDEX, VERIFY, and INDEX, GET and LAST
 * (Herald's archive cannot be read by mail yet: they say so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mem.h"
#include "robot.h"

#define ROBOT_REVIEW_MAX	10000	/* addresses one REVIEW lists */
#define ROBOT_MODINDEX_MAX	200	/* held messages one MODINDEX lists */

static const char posts_sql[] =
    "SELECT posts FROM list_sequences WHERE list_id = $1";

void
robot_help(struct robot_run *r, const struct command *c)
{
	robot_say(r, RS_DONE, c, "help.text", NULL);
}

/* Whether the list's scenario says do_it for the sender. */
static int
robot_allowed(struct robot_run *r, const struct command *c,
    const struct robot_list *l, const char *function,
    enum listconf_param param, int say)
{
	struct scenario_result res;

	robot_scenario(r, l, function, param, r->sender, &res);
	if (res.action == SCENARIO_DO_IT)
		return 1;
	if (say && res.reason[0] != '\0')
		robot_say(r, RS_AUTH, c, "cmd.not_allowed_reason", "reason",
		    res.reason, NULL);
	else if (say)
		robot_say(r, RS_AUTH, c, "cmd.not_allowed", NULL);
	return 0;
}

/* LISTS */

struct names {
	char	**v;
	size_t	  n;
};

static int
collect_list(const struct roster_list *l, void *arg)
{
	struct names *ns = arg;

	ns->v = xreallocarray(ns->v, ns->n + 1, sizeof(char *));
	ns->v[ns->n++] = xstrdup(l->name);
	return 0;
}

static void
names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

void
robot_lists(struct robot_run *r, const struct command *c)
{
	struct names ns = { NULL, 0 };
	struct buf t = BUF_INIT(4 * 1024 * 1024);
	struct robot_list l;
	size_t shown = 0;
	int rc;

	if ((rc = roster_list_ls(r->d->st, r->domain, "open", collect_list,
	    &ns)) != STORE_OK) {
		robot_store_failed(r, c, rc, "lists");
		names_free(&ns);
		return;
	}
	robot_text(r, r->lang, &t, "lists.header", NULL);
	buf_putc(&t, '\n');
	for (size_t i = 0; i < ns.n; i++) {
		/* A list that does not load, or hides itself, is not shown. */
		if (robot_list_lookup(r, ns.v[i], &l) != STORE_OK)
			continue;
		if (!robot_allowed(r, c, &l, "visibility", LC_VISIBILITY, 0))
			continue;
		robot_text(r, r->lang, &t, "lists.item", "list", l.rl.name,
		    "subject", listconf_str(l.lc, LC_SUBJECT), NULL);
		buf_putc(&t, '\n');
		shown++;
	}
	if (shown == 0) {
		buf_reset(&t);
		robot_text(r, r->lang, &t, "lists.none", NULL);
	}
	robot_say_text(r, RS_DONE, c, buf_cstr(&t));
	names_free(&ns);
	buf_free(&t);
}

/* INFO */

struct owners {
	struct buf	*out;
	int		 n;
};

static int
collect_owner(const struct roster_entry *e, void *arg)
{
	struct owners *o = arg;

	buf_printf(o->out, "%s%s", o->n++ ? ", " : "", e->email);
	return 0;
}

void
robot_info(struct robot_run *r, const struct command *c)
{
	struct buf owners = BUF_INIT(64 * 1024), n = BUF_INIT(32);
	struct owners o = { &owners, 0 };
	struct robot_list l;
	int rc;

	if (robot_find_list(r, c, &l) == -1 ||
	    !robot_allowed(r, c, &l, "info", LC_INFO, 1))
		goto done;
	if ((rc = roster_admin_ls(r->d->st, l.rl.name, r->domain, "owner",
	    collect_owner, &o)) != STORE_OK) {
		robot_store_failed(r, c, rc, "owners");
		goto done;
	}
	buf_printf(&n, "%lld", l.rl.members);
	robot_say(r, RS_DONE, c, "info.text", "list", l.rl.name, "subject",
	    listconf_str(l.lc, LC_SUBJECT), "subscribe", listconf_str(l.lc,
	    LC_SUBSCRIBE), "unsubscribe", listconf_str(l.lc, LC_UNSUBSCRIBE),
	    "send", listconf_str(l.lc, LC_SEND), "review", listconf_str(l.lc,
	    LC_REVIEW), "owners", buf_cstr(&owners), "members", buf_cstr(&n),
	    NULL);
done:
	buf_free(&owners);
	buf_free(&n);
}

/* REVIEW */

struct review {
	struct robot_run *r;
	struct buf	*out;
	int		 all;		/* owners see the concealed too */
	long long	 shown, hidden;
};

static int
review_one(const struct roster_entry *e, void *arg)
{
	struct review *rv = arg;

	if (!rv->all && strcmp(e->visibility, "conceal") == 0) {
		rv->hidden++;
		return 0;
	}
	if (rv->shown++ < ROBOT_REVIEW_MAX) {
		robot_text(rv->r, rv->r->lang, rv->out, "review.item", "email",
		    e->email, "name", e->name, NULL);
		buf_putc(rv->out, '\n');
	}
	return 0;
}

/* Whether the sender owns the list or is a listmaster. */
static int
robot_is_owner(struct robot_run *r, const char *list)
{
	return robot_role(r, SCENARIO_ROLE_OWNER, list, r->sender) == 1 ||
	    robot_role(r, SCENARIO_ROLE_LISTMASTER, NULL, r->sender) == 1;
}

void
robot_review(struct robot_run *r, const struct command *c)
{
	struct buf items = BUF_INIT(4 * 1024 * 1024),
	    t = BUF_INIT(4 * 1024 * 1024), n = BUF_INIT(32);
	struct review rv = { r, &items, 0, 0, 0 };
	struct robot_list l;
	int rc;

	if (robot_find_list(r, c, &l) == -1 ||
	    !robot_allowed(r, c, &l, "review", LC_REVIEW, 1))
		goto done;
	rv.all = robot_is_owner(r, l.rl.name);
	if ((rc = roster_member_ls(r->d->st, l.rl.name, r->domain, review_one,
	    &rv)) != STORE_OK) {
		robot_store_failed(r, c, rc, "members");
		goto done;
	}
	if (rv.shown == 0 && rv.hidden == 0) {
		robot_say(r, RS_DONE, c, "review.none", "list", l.rl.name, NULL);
		goto done;
	}
	buf_printf(&n, "%lld", rv.shown);
	robot_text(r, r->lang, &t, "review.header", "list", l.rl.name,
	    "count", buf_cstr(&n), NULL);
	buf_putc(&t, '\n');
	buf_append(&t, items.data, items.len);
	if (rv.hidden > 0) {
		buf_reset(&n);
		buf_printf(&n, "%lld", rv.hidden);
		robot_text(r, r->lang, &t, "review.hidden", "hidden",
		    buf_cstr(&n), NULL);
	}
	robot_say_text(r, RS_DONE, c, buf_cstr(&t));
done:
	buf_free(&items);
	buf_free(&t);
	buf_free(&n);
}

/* WHICH */

struct which {
	struct robot_run *r;
	struct buf	*out;
	int		 n;
};

static int
which_one(const struct roster_entry *e, void *arg)
{
	struct which *w = arg;

	if (strcasecmp(e->list_domain, w->r->domain) != 0)
		return 0;
	robot_text(w->r, w->r->lang, w->out, "which.item", "role", e->role,
	    "list", e->list_name, "domain", e->list_domain, NULL);
	buf_putc(w->out, '\n');
	w->n++;
	return 0;
}

void
robot_which(struct robot_run *r, const struct command *c)
{
	struct buf items = BUF_INIT(1024 * 1024), t = BUF_INIT(1024 * 1024);
	struct which w = { r, &items, 0 };
	int rc;

	if ((rc = roster_which(r->d->st, r->sender, which_one, &w)) !=
	    STORE_OK) {
		robot_store_failed(r, c, rc, "which");
	} else if (w.n == 0) {
		robot_say(r, RS_DONE, c, "which.none", "email", r->sender, NULL);
	} else {
		robot_text(r, r->lang, &t, "which.header", "email", r->sender,
		    NULL);
		buf_putc(&t, '\n');
		buf_append(&t, items.data, items.len);
		robot_say_text(r, RS_DONE, c, buf_cstr(&t));
	}
	buf_free(&items);
	buf_free(&t);
}

/* STATS */

void
robot_stats(struct robot_run *r, const struct command *c)
{
	struct robot_list l;
	const char *p[1];
	char members[32], posts[32] = "0";
	PGresult *res;
	int rc;

	if (robot_find_list(r, c, &l) == -1 ||
	    !robot_allowed(r, c, &l, "review", LC_REVIEW, 1))
		return;
	p[0] = l.rl.id;
	if ((rc = store_query_prepared(r->d->st, "robot_posts", posts_sql, 1,
	    p, &res)) != STORE_OK) {
		robot_store_failed(r, c, rc, "stats");
		return;
	}
	if (PQntuples(res) == 1)
		store_copy_value(posts, sizeof(posts), res, 0, 0);
	PQclear(res);
	snprintf(members, sizeof(members), "%lld", l.rl.members);
	robot_say(r, RS_DONE, c, "stats.text", "list", l.rl.name, "members",
	    members, "posts", posts, NULL);
}

/* MODINDEX */

struct modindex {
	struct robot_run *r;
	const char	*list;
	struct buf	*out;
	int		 n;
};

static int
modindex_one(const struct hold_item *it, void *arg)
{
	struct modindex *m = arg;

	robot_text(m->r, m->r->lang, m->out, "modindex.item", "date",
	    it->created, "from", it->sender, "subject", it->subject, "list",
	    m->list, "key", it->key, NULL);
	buf_putc(m->out, '\n');
	m->n++;
	return 0;
}

void
robot_modindex(struct robot_run *r, const struct command *c)
{
	struct buf items = BUF_INIT(1024 * 1024), t = BUF_INIT(1024 * 1024),
	    n = BUF_INIT(32);
	struct robot_list l;
	struct modindex m = { r, NULL, &items, 0 };
	int rc;

	if (robot_find_list(r, c, &l) == -1)
		goto done;
	/* Sympa's rule: an actual moderator (owners when there is none). */
	if (robot_role(r, SCENARIO_ROLE_EDITOR, l.rl.name, r->sender) != 1 &&
	    (robot_role(r, SCENARIO_ROLE_HAS_EDITORS, l.rl.name, NULL) == 1 ||
	    robot_role(r, SCENARIO_ROLE_OWNER, l.rl.name, r->sender) != 1)) {
		robot_say(r, RS_AUTH, c, "modindex.not_editor", "list",
		    l.rl.name, NULL);
		goto done;
	}
	m.list = l.rl.name;
	if ((rc = hold_list(r->d->st, l.rl.id, HOLD_MODERATION,
	    ROBOT_MODINDEX_MAX, modindex_one, &m)) != STORE_OK) {
		robot_store_failed(r, c, rc, "modindex");
		goto done;
	}
	if (m.n == 0) {
		robot_say(r, RS_DONE, c, "modindex.none", "list", l.rl.name,
		    NULL);
		goto done;
	}
	buf_printf(&n, "%d", m.n);
	robot_text(r, r->lang, &t, "modindex.header", "list", l.rl.name,
	    "count", buf_cstr(&n), NULL);
	buf_putc(&t, '\n');
	buf_append(&t, items.data, items.len);
	robot_say_text(r, RS_DONE, c, buf_cstr(&t));
done:
	buf_free(&items);
	buf_free(&t);
	buf_free(&n);
}

/* INDEX, GET, LAST */

void
robot_archive(struct robot_run *r, const struct command *c)
{
	struct robot_list l;

	if (robot_find_list(r, c, &l) == -1)
		return;
	robot_say(r, RS_USER, c, "archive.unavailable", "list", l.rl.name,
	    NULL);
}

/* VERIFY */

void
robot_verify(struct robot_run *r, const struct command *c)
{
	const char *at = strrchr(r->sender, '@');

	if (r->auth == SCENARIO_AUTH_DKIM)
		robot_say(r, RS_DONE, c, "verify.dkim", "domain", at ? at + 1 :
		    "", NULL);
	else
		robot_say(r, RS_USER, c, "verify.none", NULL);
}
