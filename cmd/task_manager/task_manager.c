/*
 * task_manager - run Herald's scheduled tasks: the bounce score, the
 * bounce levels' actions, the expiry of bounce data.
 *
 * SYNOPSIS
 *	task_manager [-1v] [-c config] [-r task]
 *
 * Any number may run, on any hosts sharing the database: each run of a
 * task is claimed in task_runs before it starts. At start and at every
 * minute, each task whose latest slot has not run is run. SIGTERM and
 * SIGINT stop between two tasks; SIGHUP reloads the configuration. -1
 * runs what is due and exits; -r runs one task now and exits. See
 * task_manager(8).
 */
#include <errno.h>
#include <limits.h>
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

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: task_manager [-1v] [-c config] [-r task]\n");
	exit(EX_USAGE);
}

/* The configuration and the schedules, all good or nothing changed. */
static int
load_config(struct tmgr *t)
{
	struct cron sched[TMGR_TASKS_MAX];
	struct config *cf;

	if ((cf = daemon_config_load(t->cfpath)) == NULL)
		return -1;
	if (tmgr_schedules(cf, sched) == -1) {
		config_free(cf);
		return -1;
	}
	config_free(t->cf);
	t->cf = cf;
	memcpy(t->sched, sched, sizeof(sched));
	daemon_log_facility(cf);
	snprintf(t->owner, sizeof(t->owner), "%s:%ld",
	    config_str(cf, CF_MYHOSTNAME), (long)getpid());
	return 0;
}

/* HERALD_NOW=EPOCH: the time every pass sees (tests). 0, or -1. */
static int
fixed_time(struct tmgr *t)
{
	const char *s = getenv("HERALD_NOW");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || (time_t)v != v) {
		log_error("HERALD_NOW=%s: not a time in seconds since the "
		    "epoch", s);
		return -1;
	}
	t->fixed = 1;
	t->fixed_now = (time_t)v;
	log_info("the time is fixed by HERALD_NOW at %lld", v);
	return 0;
}

/* The database: connect, and refuse a schema older than this program. */
static int
open_store(struct tmgr *t)
{
	int rc;

	rc = store_open_current(config_str(t->cf, CF_DATABASE), TMGR_PROGRAM,
	    &t->st);
	if (rc != STORE_OK)
		return rc == STORE_TEMP ? EX_TEMPFAIL : EX_CONFIG;
	return EX_OK;
}

/* Sleep until a second past the next minute, or a signal. */
static void
idle(void)
{
	time_t now = time(NULL);
	struct timespec ts = { 60 - now % 60 + 1, 0 };

	while (!daemon_stopping() && !daemon_reload_pending() && nanosleep(&ts, &ts) == -1 &&
	    errno == EINTR)
		;
}

static int
run(struct tmgr *t, int once)
{
	int ex = EX_OK;

	while (!daemon_stopping()) {
		if (daemon_reload_take()) {
			log_info("reloading the configuration");
			load_config(t);
		}
		ex = tmgr_pass(t);
		if (once)
			break;
		idle();
	}
	return once ? ex : EX_OK;
}

int
main(int argc, char **argv)
{
	struct tmgr t;
	const char *task = NULL;
	const struct tmgr_task *one = NULL;
	int c, once = 0, verbose = 0, ex;

	memset(&t, 0, sizeof(t));
	log_open(TMGR_PROGRAM, 0, LOG_TO_SYSLOG | LOG_PROBLEMS_TO_STDERR);
	while ((c = getopt(argc, argv, "1c:r:v")) != -1) {
		switch (c) {
		case '1':
			once = 1;
			break;
		case 'c':
			t.cfpath = optarg;
			break;
		case 'r':
			task = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_open(TMGR_PROGRAM, 0, LOG_TO_SYSLOG | (verbose ? LOG_TO_STDERR :
	    LOG_PROBLEMS_TO_STDERR));
	log_set_verbose(verbose > 1);
	if (task != NULL && (one = tmgr_task_find(task)) == NULL) {
		fprintf(stderr, "task_manager: no task %s; the tasks are:",
		    task);
		for (size_t i = 0; i < tmgr_ntasks; i++)
			fprintf(stderr, " %s", tmgr_tasks[i].name);
		fprintf(stderr, "\n");
		return EX_USAGE;
	}
	if (fixed_time(&t) == -1)
		return EX_USAGE;
	if (load_config(&t) == -1)
		return EX_CONFIG;
	if ((ex = open_store(&t)) != EX_OK) {
		store_close(t.st);
		config_free(t.cf);
		return ex;
	}
	/* No SA_RESTART: a signal ends the sleep between passes at once. */
	daemon_signals();
	if (one != NULL) {
		ex = tmgr_run_now(&t, one);
	} else {
		log_info("started%s", once ? " (one pass)" : "");
		ex = run(&t, once);
		log_info("stopped");
	}
	store_close(t.st);
	config_free(t.cf);
	return ex;
}
