/*
 * task_manager - what the files of the daemon share: its state, the table
 * of tasks, the scheduler and the tasks themselves.
 *
 * A task is a row of tmgr_tasks: its name (also its name in task_runs), the
 * site parameter that holds its schedule (lib/cron.h), and the function
 * that runs it. Adding a task is adding a row and its function.
 */
#ifndef HERALD_TASK_MANAGER_H
#define HERALD_TASK_MANAGER_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "cron.h"
#include "store.h"

#define TMGR_PROGRAM	"task_manager"
/* task_runs.detail is at most 2000 bytes; ours stay well under. */
#define TMGR_DETAIL_MAX	1500
/* Room for the rows of tmgr_tasks. */
#define TMGR_TASKS_MAX	16

/* How a run ended. */
enum tmgr_result {
	TMGR_DONE,	/* recorded done */
	TMGR_FAILED,	/* recorded failed: a retry would fail the same way */
	TMGR_RETRY,	/* the database went away: the slot is run again */
};

struct tmgr;

struct tmgr_task {
	const char		*name;
	enum config_param	 param;	/* its schedule */
	/* Run at now; a line for task_runs.detail into detail. */
	enum tmgr_result	(*run)(struct tmgr *t, time_t now,
				    struct buf *detail);
};

extern const struct tmgr_task tmgr_tasks[];
extern const size_t tmgr_ntasks;

struct tmgr {
	const char	*cfpath;	/* -c, or NULL */
	struct config	*cf;
	struct cron	 sched[TMGR_TASKS_MAX];	/* as tmgr_tasks */
	struct store	*st;
	char		 owner[300];	/* host:pid, in task_runs.owner */
	int		 fixed;		/* HERALD_NOW is set */
	time_t		 fixed_now;
};

/* The time: HERALD_NOW when set (a test hook), else the clock. */
time_t	tmgr_now(const struct tmgr *t);

/* The task of a name; NULL if none. */
const struct tmgr_task *tmgr_task_find(const char *name);

/*
 * Parse every task's schedule from cf into sched (of tmgr_ntasks entries).
 * 0, or -1 after logging each bad one.
 */
int	tmgr_schedules(const struct config *cf, struct cron *sched);

/*
 * One pass of the scheduler: every task whose latest slot is due, not
 * too old and not recorded yet (or left running by a dead owner) is
 * claimed in task_runs and run, earliest slot first, until *stop is set
 * (it is looked at between tasks). Returns EX_OK,
 * EX_TEMPFAIL (the database is away; nothing more was tried) or
 * EX_SOFTWARE (a task failed).
 */
int	tmgr_pass(struct tmgr *t);

/* -r: run one task now, recorded as a run of this moment. Exit status. */
int	tmgr_run_now(struct tmgr *t, const struct tmgr_task *task);

/* The tasks (tasks.c). */
enum tmgr_result tmgr_eval_bouncers(struct tmgr *t, time_t now,
	    struct buf *detail);
enum tmgr_result tmgr_process_bouncers(struct tmgr *t, time_t now,
	    struct buf *detail);
enum tmgr_result tmgr_expire_bounce(struct tmgr *t, time_t now,
	    struct buf *detail);
enum tmgr_result tmgr_purge_keys(struct tmgr *t, time_t now,
	    struct buf *detail);

#endif
