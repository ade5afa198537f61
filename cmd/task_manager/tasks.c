/*
 * tasks.c - the tasks: the bounce score, the levels' actions, the expiry
 * of bounce data (lib/bouncescore.h does the work; this is where the
 * configuration meets it), and the purge of expired keys and old
 * Message-IDs (lib/hold.h, lib/request.h, lib/replyrate.h, lib/seen.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bouncedb.h"
#include "bouncescore.h"
#include "hold.h"
#include "listreg.h"
#include "log.h"
#include "mem.h"
#include "replyrate.h"
#include "request.h"
#include "seen.h"
#include "task_manager.h"

static enum tmgr_result
tmgr_result_of(int rc)
{
	if (rc == STORE_OK)
		return TMGR_DONE;
	return rc == STORE_TEMP ? TMGR_RETRY : TMGR_FAILED;
}

/* -- eval_bouncers ---------------------------------------------------- */

enum tmgr_result
tmgr_eval_bouncers(struct tmgr *t, time_t now, struct buf *detail)
{
	struct bouncescore_params p;
	struct bouncescore_eval_stats es;
	int rc;

	(void)now;
	p.min_count = (int)config_int(t->cf, CF_MINIMUM_BOUNCING_COUNT);
	p.min_period = (int)config_int(t->cf, CF_MINIMUM_BOUNCING_PERIOD);
	p.delay = (int)config_int(t->cf, CF_BOUNCE_DELAY);
	rc = bouncescore_eval(t->st, &p, NULL, &es);
	if (rc == STORE_OK)
		buf_printf(detail, "%lld scored, %lld below the minimums, "
		    "%lld changed", es.scored, es.unscored, es.changed);
	else
		buf_printf(detail, "%s", store_error(t->st));
	return tmgr_result_of(rc);
}

/* -- process_bouncers ------------------------------------------------- */

/* Lists that may have something to do: open, with scored bouncers. */
static const char lists_sql[] =
    "SELECT l.id, l.name, l.domain FROM lists l WHERE l.status = 'open'"
    " AND EXISTS (SELECT 1 FROM subscribers s WHERE s.list_id = l.id"
    " AND s.bounce_count > 0 AND s.bounce_score IS NOT NULL)"
    " ORDER BY l.domain, l.name";

/* A list's levels from its configuration; -1 (logged) if unusable. */
static int
tmgr_levels(const struct listreg_entry *e, struct bouncescore_level *lv)
{
	static const enum listconf_param ids[2][3] = {
		{ LC_BOUNCERS_LEVEL1_RATE, LC_BOUNCERS_LEVEL1_ACTION,
		    LC_BOUNCERS_LEVEL1_NOTIFICATION },
		{ LC_BOUNCERS_LEVEL2_RATE, LC_BOUNCERS_LEVEL2_ACTION,
		    LC_BOUNCERS_LEVEL2_NOTIFICATION },
	};

	for (int k = 0; k < 2; k++) {
		const char *a = listconf_str(e->conf, ids[k][1]);
		const char *n = listconf_str(e->conf, ids[k][2]);

		lv[k].rate = (int)listconf_int(e->conf, ids[k][0]);
		if (bouncescore_action_parse(a, &lv[k].action) == -1 ||
		    bouncescore_tell_parse(n, &lv[k].tell) == -1) {
			log_warn("%s@%s: bouncers_level%d: unknown action "
			    "\"%s\" or notification \"%s\"", e->name,
			    e->domain, k + 1, a, n);
			return -1;
		}
	}
	return 0;
}

/* One list: its configuration, then lib/bouncescore. */
static int
tmgr_process_list(struct tmgr *t, const struct listreg *reg, const char *id,
    const char *name, const char *domain, time_t now,
    struct bouncescore_process_stats *ps, int *skipped)
{
	static const struct roster_who who = { .actor = TMGR_PROGRAM,
	    .channel = "daemon" };
	const struct listreg_entry *e = listreg_find(reg, name, domain);
	struct bouncescore_list l;
	struct buf addr = BUF_INIT(1024);
	char **lm = NULL;
	size_t nlm;
	int rc;

	/*
	 * Removing members on a guess is worse than waiting a week: a list
	 * whose configuration this host cannot read is left alone.
	 */
	if (e == NULL || e->state != LISTREG_OK) {
		log_warn("%s@%s: %s: no bounce action taken", name, domain,
		    e == NULL ? "no configuration on this host" :
		    "its configuration has errors");
		(*skipped)++;
		return STORE_OK;
	}
	memset(&l, 0, sizeof(l));
	if (tmgr_levels(e, l.levels) == -1) {
		(*skipped)++;
		return STORE_OK;
	}
	l.id = id;
	l.name = name;
	l.domain = domain;
	nlm = config_addresses(e->domain_config, CF_LISTMASTER, &lm);
	l.listmasters = (const char *const *)lm;
	l.nlistmasters = nlm;
	l.robot_localpart = config_str(e->domain_config, CF_ROBOT_LOCALPART);
	buf_printf(&addr, "%s@%s", name, domain);
	log_context(NULL, buf_cstr(&addr));
	rc = bouncescore_process(t->st, &who, &l, now, ps);
	log_context(NULL, NULL);
	config_addresses_free(lm, nlm);
	buf_free(&addr);
	return rc;
}

enum tmgr_result
tmgr_process_bouncers(struct tmgr *t, time_t now, struct buf *detail)
{
	struct bouncescore_process_stats ps;
	struct buf err = BUF_INIT(4096);
	struct listreg *reg;
	PGresult *res;
	int rc, skipped = 0, failed = 0, nlists;

	if ((rc = store_query(t->st, lists_sql, 0, NULL, &res)) != STORE_OK) {
		buf_printf(detail, "%s", store_error(t->st));
		return tmgr_result_of(rc);
	}
	if ((reg = listreg_open(t->cf, NULL, &err)) == NULL) {
		buf_printf(detail, "lists: %s", buf_cstr(&err));
		buf_free(&err);
		PQclear(res);
		return TMGR_FAILED;
	}
	buf_free(&err);
	memset(&ps, 0, sizeof(ps));
	nlists = PQntuples(res);
	for (int i = 0; i < nlists; i++) {
		rc = tmgr_process_list(t, reg, PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), now, &ps,
		    &skipped);
		if (rc == STORE_TEMP)
			break;
		/* One list's trouble is no reason to leave the others. */
		if (rc != STORE_OK) {
			log_error("%s@%s: bounce actions failed: %s",
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			    store_error(t->st));
			failed++;
		}
	}
	PQclear(res);
	listreg_close(reg);
	buf_printf(detail, "%d list%s; level 2: %lld, level 1: %lld; "
	    "%lld removed, %lld told, %lld reports", nlists,
	    nlists == 1 ? "" : "s", ps.members[1], ps.members[0], ps.removed,
	    ps.notified, ps.reports);
	if (skipped > 0)
		buf_printf(detail, "; %d list%s skipped (configuration)",
		    skipped, skipped == 1 ? "" : "s");
	if (failed > 0)
		buf_printf(detail, "; %d list%s failed", failed,
		    failed == 1 ? "" : "s");
	if (rc == STORE_TEMP) {
		buf_printf(detail, "; stopped: %s", store_error(t->st));
		return TMGR_RETRY;
	}
	return failed > 0 ? TMGR_FAILED : TMGR_DONE;
}

/* -- expire_bounce ---------------------------------------------------- */

struct tmgr_files {
	const char	*dir;
	long long	 removed;
};

/* The member's latest bounce, as bounced(8) keeps it. */
static void
tmgr_remove_bounce_file(const char *list, const char *domain, const char *email,
    void *arg)
{
	struct tmgr_files *f = arg;
	struct buf path = BUF_INIT(8192);

	if (bouncedb_member_path(f->dir, list, domain, email, &path) == 0) {
		if (unlink(buf_cstr(&path)) == 0)
			f->removed++;
		else if (errno != ENOENT)
			log_warn("%s: cannot remove: %s", buf_cstr(&path),
			    strerror(errno));
	}
	buf_free(&path);
}

enum tmgr_result
tmgr_expire_bounce(struct tmgr *t, time_t now, struct buf *detail)
{
	struct bouncescore_expire_stats es;
	struct buf dir = BUF_INIT(4096);
	struct tmgr_files f;
	int rc;

	bouncedb_directory(t->cf, &dir);
	f.dir = buf_cstr(&dir);
	f.removed = 0;
	rc = bouncescore_expire(t->st, (int)config_int(t->cf,
	    CF_EXPIRE_BOUNCE_DAYS), now, tmgr_remove_bounce_file, &f, &es);
	if (rc == STORE_OK)
		buf_printf(detail, "%lld member%s forgotten, %lld events and "
		    "%lld files removed", es.members,
		    es.members == 1 ? "" : "s", es.events, f.removed);
	else
		buf_printf(detail, "%s", store_error(t->st));
	buf_free(&dir);
	return tmgr_result_of(rc);
}

/* -- purge_keys ------------------------------------------------------- */

static int
tmgr_purge_held(struct tmgr *t, long long *n)
{
	return hold_purge(t->st, n);
}

static int
tmgr_purge_requests(struct tmgr *t, long long *n)
{
	return request_purge(t->st, n);
}

static int
tmgr_purge_replies(struct tmgr *t, long long *n)
{
	return replyrate_purge(t->st, (int)config_int(t->cf,
	    CF_LOOP_COMMAND_SAMPLING_DELAY), n);
}

static int
tmgr_purge_post_ids(struct tmgr *t, long long *n)
{
	return seen_purge(t->st, SEEN_POST, config_int(t->cf,
	    CF_MSGID_DAYS) * 86400, n);
}

static int
tmgr_purge_command_ids(struct tmgr *t, long long *n)
{
	return seen_purge(t->st, SEEN_COMMAND, config_int(t->cf,
	    CF_MSGID_DAYS) * 86400, n);
}

/* The purges, in the order they run and appear in the detail. */
static const struct {
	const char	*what;
	int		(*purge)(struct tmgr *t, long long *n);
} tmgr_purges[] = {
	{ "held keys", tmgr_purge_held },
	{ "requests", tmgr_purge_requests },
	{ "reply counters", tmgr_purge_replies },
	{ "post Message-IDs", tmgr_purge_post_ids },
	{ "command Message-IDs", tmgr_purge_command_ids },
};
#define TMGR_NPURGES	(sizeof(tmgr_purges) / sizeof(tmgr_purges[0]))
/* Of each error in the detail: all of them fit in TMGR_DETAIL_MAX. */
#define TMGR_PURGE_ERR_MAX	200

/*
 * Each purge is a statement of its own: a key is dead once expired, so
 * there is nothing to keep together, and the tables are apart, so one
 * that fails is no reason to leave the others full. The database going
 * away stops the run, to be tried again. The expiry is the database's
 * clock (now() in each purge), not the task's now. Held posts' spool
 * entries are not touched: only their keys go.
 */
enum tmgr_result
tmgr_purge_keys(struct tmgr *t, time_t now, struct buf *detail)
{
	struct buf errs = BUF_INIT(TMGR_DETAIL_MAX);
	long long n[TMGR_NPURGES];
	int done[TMGR_NPURGES] = { 0 };
	int rc = STORE_OK, failed = 0;
	size_t i;

	(void)now;
	for (i = 0; i < TMGR_NPURGES; i++) {
		n[i] = 0;
		rc = tmgr_purges[i].purge(t, &n[i]);
		if (rc == STORE_OK) {
			done[i] = 1;
			continue;
		}
		buf_printf(&errs, "; %s%s: %.*s", rc == STORE_TEMP ?
		    "stopped at " : "", tmgr_purges[i].what,
		    TMGR_PURGE_ERR_MAX, store_error(t->st));
		if (rc == STORE_TEMP)
			break;
		log_error("%s: cannot purge: %s", tmgr_purges[i].what,
		    store_error(t->st));
		failed++;
	}
	/* A count not known (failed, or not tried) is "?". */
	for (i = 0; i < TMGR_NPURGES; i++) {
		if (done[i])
			buf_printf(detail, "%s%lld %s", i > 0 ? ", " : "",
			    n[i], tmgr_purges[i].what);
		else
			buf_printf(detail, "%s? %s", i > 0 ? ", " : "",
			    tmgr_purges[i].what);
	}
	buf_printf(detail, " purged%s", buf_cstr(&errs));
	buf_free(&errs);
	if (rc == STORE_TEMP)
		return TMGR_RETRY;
	return failed > 0 ? TMGR_FAILED : TMGR_DONE;
}
