/*
 * schedule.c - which runs are due, and task_runs: the record that lets
 * several task_manager hosts share one schedule and a restart neither
 * skip nor repeat a run.
 *
 * A run is the pair (task, slot). It is claimed by inserting its row
 * before it starts (INSERT ... ON CONFLICT DO NOTHING: whoever inserts it
 * runs it) and finished by setting the row done or failed. A row left
 * 'running' by an owner that is gone (a pid that no longer exists on this
 * host, this very process, or a start more than TMGR_RUNNING_MAX ago) is
 * taken over by a compare-and-set on its owner, so only one taker wins.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "mem.h"
#include "task_manager.h"

/* A run still 'running' after this long is taken to be dead (s). */
#define TMGR_RUNNING_MAX		(6 * 3600)
/* Slots older than this are not run late (at most one period, too). */
#define TMGR_CATCHUP_MAX		(24 * 3600)

const struct tmgr_task tmgr_tasks[] = {
	{ "eval_bouncers", CF_TASK_EVAL_BOUNCERS, tmgr_eval_bouncers },
	{ "expire_bounce", CF_TASK_EXPIRE_BOUNCE, tmgr_expire_bounce },
	{ "process_bouncers", CF_TASK_PROCESS_BOUNCERS, tmgr_process_bouncers },
	{ "purge_keys", CF_TASK_PURGE_KEYS, tmgr_purge_keys },
};
const size_t tmgr_ntasks = sizeof(tmgr_tasks) / sizeof(tmgr_tasks[0]);

time_t
tmgr_now(const struct tmgr *t)
{
	return t->fixed ? t->fixed_now : time(NULL);
}

const struct tmgr_task *
tmgr_task_find(const char *name)
{
	for (size_t i = 0; i < tmgr_ntasks; i++)
		if (strcmp(tmgr_tasks[i].name, name) == 0)
			return &tmgr_tasks[i];
	return NULL;
}

int
tmgr_schedules(const struct config *cf, struct cron *sched)
{
	struct buf err = BUF_INIT(1024);
	int rc = 0;

	if (tmgr_ntasks > TMGR_TASKS_MAX) {
		log_error("%zu tasks, room for %d", tmgr_ntasks,
		    TMGR_TASKS_MAX);
		return -1;
	}
	for (size_t i = 0; i < tmgr_ntasks; i++) {
		buf_reset(&err);
		if (cron_parse(config_str(cf, tmgr_tasks[i].param), &sched[i],
		    &err) == -1) {
			log_error("%s: \"%s\": %s",
			    config_name(tmgr_tasks[i].param),
			    config_str(cf, tmgr_tasks[i].param),
			    buf_cstr(&err));
			rc = -1;
		}
	}
	buf_free(&err);
	return rc;
}

/* A slot for the logs: its local time, and the epoch seconds given. */
static const char *
tmgr_slot_label(const char *slot, char *out, size_t size)
{
	time_t t = (time_t)strtoll(slot, NULL, 10);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(out, size, "%s", slot);
	return out;
}

/* -- task_runs -------------------------------------------------------- */

enum tmgr_claim { TMGR_CLAIMED, TMGR_TAKEN, TMGR_CLAIM_TEMP, TMGR_CLAIM_ERROR };

static enum tmgr_claim
tmgr_claim_rc(int rc)
{
	return rc == STORE_TEMP ? TMGR_CLAIM_TEMP : TMGR_CLAIM_ERROR;
}

/* Whether the owner "host:pid" of a running row is gone. */
static int
tmgr_owner_gone(const struct tmgr *t, const char *owner)
{
	const char *colon = strrchr(owner, ':');
	size_t hostlen;
	char *end;
	long pid;

	if (strcmp(owner, t->owner) == 0)
		return 1;	/* ours, and not running now: a past failure */
	if (colon == NULL)
		return 0;
	hostlen = (size_t)(colon - owner);
	if (strncmp(owner, t->owner, hostlen) != 0 || t->owner[hostlen] != ':')
		return 0;	/* another host's: only its age tells */
	errno = 0;
	pid = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || pid <= 0 || pid != (pid_t)pid)
		return 0;
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

/*
 * Claim the run (task, slot): insert its row, or take over a row whose
 * owner is gone. slot is text that to_timestamp() reads.
 */
static enum tmgr_claim
tmgr_claim(struct tmgr *t, const char *task, const char *slot, time_t now)
{
	char nowtxt[24], maxage[24];
	const char *ins[] = { task, slot, t->owner, nowtxt };
	const char *sel[] = { task, slot, nowtxt, maxage };
	PGresult *res;
	long long n;
	int rc, gone;
	char *old = NULL;

	snprintf(nowtxt, sizeof(nowtxt), "%lld", (long long)now);
	snprintf(maxage, sizeof(maxage), "%d", TMGR_RUNNING_MAX);
	if ((rc = store_cmd(t->st, "INSERT INTO task_runs (task, "
	    "scheduled_for, state, owner, started_at) VALUES ($1, "
	    "to_timestamp($2::float8), 'running', $3, "
	    "to_timestamp($4::bigint)) "
	    "ON CONFLICT DO NOTHING", STORE_NPARAMS(ins), ins, &n)) != STORE_OK)
		return tmgr_claim_rc(rc);
	if (n == 1)
		return TMGR_CLAIMED;
	if ((rc = store_query(t->st, "SELECT owner, started_at < "
	    "to_timestamp($3::bigint) - make_interval(secs => $4::bigint) "
	    "FROM task_runs WHERE task = $1 AND scheduled_for = "
	    "to_timestamp($2::float8) AND state = 'running'",
	    STORE_NPARAMS(sel), sel, &res)) != STORE_OK)
		return tmgr_claim_rc(rc);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return TMGR_TAKEN;	/* done or failed: nothing to do */
	}
	old = PQgetisnull(res, 0, 0) ? NULL : xstrdup(PQgetvalue(res, 0, 0));
	gone = strcmp(PQgetvalue(res, 0, 1), "t") == 0 ||
	    (old != NULL && tmgr_owner_gone(t, old));
	PQclear(res);
	if (!gone) {
		free(old);
		return TMGR_TAKEN;
	}
	{
		const char *up[] = { task, slot, t->owner, nowtxt, old };

		rc = store_cmd(t->st, "UPDATE task_runs SET owner = $3, "
		    "started_at = to_timestamp($4::bigint) WHERE task = $1 AND "
		    "scheduled_for = to_timestamp($2::float8) AND state = "
		    "'running' AND owner IS NOT DISTINCT FROM $5",
		    STORE_NPARAMS(up), up, &n);
	}
	if (rc == STORE_OK && n == 1) {
		char label[64];

		log_warn("%s: taking over the run of %s left by %s", task,
		    tmgr_slot_label(slot, label, sizeof(label)),
		    old != NULL ? old : "nobody");
	}
	free(old);
	if (rc != STORE_OK)
		return tmgr_claim_rc(rc);
	return n == 1 ? TMGR_CLAIMED : TMGR_TAKEN;
}

/*
 * Record how the run ended: done or failed with the detail; a run to
 * retry gives its slot back (its row goes). A failure to record leaves
 * the row 'running' under our name, which the next pass takes over.
 */
static void
tmgr_finish(struct tmgr *t, const char *task, const char *slot,
    enum tmgr_result r, const char *detail)
{
	char nowtxt[24];
	const char *p[] = { task, slot, t->owner, r == TMGR_DONE ? "done" :
	    "failed", nowtxt, detail };
	int rc;

	snprintf(nowtxt, sizeof(nowtxt), "%lld", (long long)tmgr_now(t));
	if (r == TMGR_RETRY)
		rc = store_cmd(t->st, "DELETE FROM task_runs WHERE task = $1 "
		    "AND scheduled_for = to_timestamp($2::float8) "
		    "AND owner = $3",
		    3, p, NULL);
	else
		rc = store_cmd(t->st, "UPDATE task_runs SET state = $4, "
		    "finished_at = to_timestamp($5::bigint), detail = $6 "
		    "WHERE task = $1 "
		    "AND scheduled_for = to_timestamp($2::float8) "
		    "AND owner = $3", STORE_NPARAMS(p), p, NULL);
	if (rc != STORE_OK) {
		char label[64];

		log_warn("%s: cannot record the end of the run of %s: %s", task,
		    tmgr_slot_label(slot, label, sizeof(label)),
		    store_error(t->st));
	}
}

/* Run a claimed run and record its end; the run's result. */
static enum tmgr_result
tmgr_execute(struct tmgr *t, const struct tmgr_task *task, const char *slot,
    const char *prefix)
{
	struct buf detail = BUF_INIT(TMGR_DETAIL_MAX);
	enum tmgr_result r;
	time_t now = tmgr_now(t);
	char label[64];

	tmgr_slot_label(slot, label, sizeof(label));
	log_context(task->name, NULL);
	log_info("the run of %s starts", label);
	buf_puts(&detail, prefix);
	r = task->run(t, now, &detail);
	/* A task left a transaction open: a bug, not a reason to stop. */
	if (store_in_transaction(t->st))
		store_rollback(t->st);
	log_info("the run of %s is %s: %s", label, r == TMGR_DONE ? "done" :
	    r == TMGR_FAILED ? "failed" : "to retry", buf_cstr(&detail));
	tmgr_finish(t, task->name, slot, r, buf_cstr(&detail));
	buf_free(&detail);
	log_context(NULL, NULL);
	return r;
}

/* -- the pass --------------------------------------------------------- */

struct tmgr_due {
	const struct tmgr_task	*task;
	time_t			 slot;
};

static int
tmgr_due_cmp(const void *a, const void *b)
{
	const struct tmgr_due *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	/* The same time: in the order of tmgr_tasks. */
	return x->task < y->task ? -1 : x->task > y->task;
}

/*
 * The latest slot of task i at or before now, if it is recent enough:
 * within one period (the time to the slot after it) and TMGR_CATCHUP_MAX.
 * So a restart after a missed 03:00 still runs it, once; a long downtime
 * runs each task once, not once for every slot it missed.
 */
static int
tmgr_due_slot(const struct tmgr *t, size_t i, time_t now, time_t *slot)
{
	time_t next;
	long long window;

	if (cron_is_off(&t->sched[i]) || cron_prev(&t->sched[i], now, slot) ==
	    -1 || cron_next(&t->sched[i], *slot, &next) == -1)
		return 0;
	window = (long long)(next - *slot);
	if (window > TMGR_CATCHUP_MAX)
		window = TMGR_CATCHUP_MAX;
	return (long long)(now - *slot) < window;
}

int
tmgr_pass(struct tmgr *t)
{
	struct tmgr_due due[TMGR_TASKS_MAX];
	size_t n = 0;
	time_t now = tmgr_now(t);
	int ex = EX_OK;

	for (size_t i = 0; i < tmgr_ntasks; i++)
		if (tmgr_due_slot(t, i, now, &due[n].slot))
			due[n++].task = &tmgr_tasks[i];
	qsort(due, n, sizeof(due[0]), tmgr_due_cmp);
	for (size_t i = 0; i < n && !daemon_stopping(); i++) {
		char slot[24];
		enum tmgr_result r;

		snprintf(slot, sizeof(slot), "%lld", (long long)due[i].slot);
		switch (tmgr_claim(t, due[i].task->name, slot, now)) {
		case TMGR_TAKEN:
			continue;
		case TMGR_CLAIM_TEMP:
			return EX_TEMPFAIL;
		case TMGR_CLAIM_ERROR:
			log_error("%s: cannot claim the run of %s: %s",
			    due[i].task->name, slot, store_error(t->st));
			ex = EX_SOFTWARE;
			continue;
		case TMGR_CLAIMED:
			break;
		}
		r = tmgr_execute(t, due[i].task, slot, "");
		if (r == TMGR_RETRY)
			return EX_TEMPFAIL;
		if (r == TMGR_FAILED)
			ex = EX_SOFTWARE;
	}
	return ex;
}

int
tmgr_run_now(struct tmgr *t, const struct tmgr_task *task)
{
	char slot[40];
	enum tmgr_result r;

	/*
	 * The moment, to the microsecond, so that it is not a slot the
	 * schedule could have (those fall on whole minutes).
	 */
	if (t->fixed)
		snprintf(slot, sizeof(slot), "%lld", (long long)t->fixed_now);
	else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(slot, sizeof(slot), "%lld.%06ld", (long long)ts.tv_sec,
		    ts.tv_nsec / 1000);
	}
	switch (tmgr_claim(t, task->name, slot, tmgr_now(t))) {
	case TMGR_CLAIMED:
		break;
	case TMGR_TAKEN:
		log_warn("%s: a run at %s is recorded already", task->name,
		    slot);
		return EX_TEMPFAIL;
	case TMGR_CLAIM_TEMP:
		return EX_TEMPFAIL;
	case TMGR_CLAIM_ERROR:
	default:
		log_error("%s: cannot record the run: %s", task->name,
		    store_error(t->st));
		return EX_SOFTWARE;
	}
	r = tmgr_execute(t, task, slot, "manual: ");
	if (r == TMGR_DONE)
		return EX_OK;
	return r == TMGR_RETRY ? EX_TEMPFAIL : EX_SOFTWARE;
}
