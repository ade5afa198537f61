/*
 * bounced - attribute, parse and record every bounce of the bounce spool.
 *
 * SYNOPSIS
 *	bounced [-1v] [-c config]
 *
 * -v logs to standard error too; -vv adds the debug lines (one for each
 * dropped bounce beyond the sample).
 *
 * Any number may run at once: each entry is claimed by rename(2). SIGTERM
 * and SIGINT finish the entry in hand, add the counts of dropped bounces
 * to the database and exit; SIGHUP reloads the configuration and the
 * VERP key between two entries. -1 handles what the spool holds and
 * exits (tests, cron). See bounced(8).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounced.h"
#include "daemon.h"
#include "log.h"
#include "mem.h"

/* Entries taken from one scan of new/ before looking again. */
#define BD_SCAN_BATCH		256
/* Idle wait between scans when inotify says nothing (ms). */
#define BD_IDLE_MS		5000
/* Pause after a temporary failure, so an outage is not a busy loop (s). */
#define BD_RETRY_PAUSE		5
/* A tmp/ file older than this has a dead writer (s). */
#define BD_TMP_AGE		3600
/* The counts of dropped bounces reach the database this often (s). */
#define BD_FLUSH_SECONDS	5

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: bounced [-1v] [-c config]\n");
	exit(EX_USAGE);
}

/* What depends on the configuration: loaded at start and on SIGHUP. */
static int
load_config(struct bd *b)
{
	struct config *cf;

	if ((cf = daemon_config_load(b->cfpath)) == NULL)
		return -1;
	config_free(b->cf);
	b->cf = cf;
	daemon_log_facility(cf);
	b->site.bounce_localpart = config_str(cf, CF_BOUNCE_LOCALPART);
	b->site.robot_localpart = config_str(cf, CF_ROBOT_LOCALPART);
	b->site.tokens = config_bool(cf, CF_BOUNCE_TOKENS);
	b->site.verp_days = (int)config_int(cf, CF_VERP_DAYS);
	b->limits.nrcpt = (int)config_int(cf, CF_NRCPT);
	b->limits.avg = (int)config_int(cf, CF_AVG);
	b->limits.by_domain = NULL;
	bouncedb_directory(cf, &b->dir);
	return 0;
}

/*
 * The VERP key, shared by every host through the database. It is read
 * once: a flood of forgeries is then checked without a query.
 */
static int
load_key(struct bd *b)
{
	int rc = secret_get(b->st, VERP_SECRET, &b->key);

	if (rc != STORE_OK) {
		log_error("the VERP secret: %s", store_error(b->st));
		return rc == STORE_TEMP ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	b->site.key = &b->key;
	return EX_OK;
}

/* The database: connect, refuse an older schema, read the key. */
static int
open_store(struct bd *b)
{
	int rc;

	rc = store_open_current(config_str(b->cf, CF_DATABASE), BD_PROGRAM,
	    &b->st);
	if (rc != STORE_OK)
		return rc == STORE_TEMP ? EX_TEMPFAIL : EX_CONFIG;
	return load_key(b);
}

static int
open_spool(struct bd *b)
{
	struct buf err = BUF_INIT(4096);
	int rc;

	rc = spool_open(&b->bounce, config_str(b->cf, CF_SPOOL_DIRECTORY),
	    SPOOL_BOUNCE, config_str(b->cf, CF_MYHOSTNAME), &err);
	if (rc == -1)
		log_error("%s", buf_cstr(&err));
	buf_free(&err);
	return rc;
}

/*
 * Add the counts of dropped bounces to bounce_rejects. A failure keeps
 * them for the next try: the flood goes on being dropped meanwhile.
 */
static void
flush_drops(struct bd *b, time_t now)
{
	long long pending = b->rejects.pending;

	b->flushed_at = now;
	if (b->rejects.lost > 0) {
		log_warn("%lld dropped bounces not counted (too many reasons "
		    "at once)", b->rejects.lost);
		b->rejects.lost = 0;
	}
	if (pending == 0)
		return;
	if (bouncedb_rejects_flush(b->st, &b->rejects) != STORE_OK) {
		log_warn("%lld dropped bounces not counted yet: %s", pending,
		    store_error(b->st));
		return;
	}
	log_info("dropped %lld bounce%s (forged, expired or without a "
	    "token; see bounce_rejects)", pending, pending == 1 ? "" : "s");
}

static void
reload(struct bd *b)
{
	log_info("reloading the configuration and the VERP key");
	if (load_config(b) == 0)
		load_key(b);
}

/* The daemon's loop; returns the exit status. */
static int
run(struct bd *b, int once)
{
	int ino = once ? -1 : daemon_watch(&b->bounce);

	while (!daemon_stopping()) {
		size_t n = 0;
		char **names;
		int retry = 0;
		time_t now;

		if (daemon_reload_take()) {
			reload(b);
		}
		if ((names = spool_scan(&b->bounce, BD_SCAN_BATCH, &n)) ==
		    NULL) {
			log_error("cannot scan the bounce spool: %s",
			    strerror(errno));
			if (ino >= 0)
				close(ino);
			return EX_IOERR;
		}
		for (size_t i = 0; i < n && !daemon_stopping() && !retry; i++) {
			retry = bd_handle(b, names[i]) == BD_RETRY;
			if (b->batch.n >= BD_BATCH_MAX)
				retry |= bd_batch_end(b) == BD_RETRY;
			now = time(NULL);
			/* Not inside the batch: its abort would lose them. */
			if (b->batch.n == 0 &&
			    now - b->flushed_at >= BD_FLUSH_SECONDS)
				flush_drops(b, now);
		}
		spool_free_names(names, n);
		retry |= bd_batch_end(b) == BD_RETRY;
		if (once && (n == 0 || retry))
			break;
		now = time(NULL);
		if (now - b->flushed_at >= BD_FLUSH_SECONDS)
			flush_drops(b, now);
		if (retry && !daemon_stopping())
			sleep(BD_RETRY_PAUSE);
		else if (n == 0 && !daemon_stopping())
			daemon_wait(ino, b->rejects.pending > 0 ?
			    BD_FLUSH_SECONDS * 1000 : BD_IDLE_MS);
	}
	if (ino >= 0)
		close(ino);
	return EX_OK;
}

static void
shut_down(struct bd *b)
{
	secret_clear(&b->key);
	bd_batch_abort(b);
	store_close(b->st);
	spool_close(&b->bounce);
	config_free(b->cf);
	buf_free(&b->dir);
}

int
main(int argc, char **argv)
{
	struct bd b;
	int c, once = 0, verbose = 0, ex;

	memset(&b, 0, sizeof(b));
	buf_init(&b.dir, PATH_MAX);
	log_open(BD_PROGRAM, 0, LOG_TO_SYSLOG | LOG_PROBLEMS_TO_STDERR);
	while ((c = getopt(argc, argv, "1c:v")) != -1) {
		switch (c) {
		case '1':
			once = 1;
			break;
		case 'c':
			b.cfpath = optarg;
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
	log_open(BD_PROGRAM, 0, LOG_TO_SYSLOG | (verbose ? LOG_TO_STDERR :
	    LOG_PROBLEMS_TO_STDERR));
	log_set_verbose(verbose > 1);
	if (load_config(&b) == -1) {
		shut_down(&b);
		return EX_CONFIG;
	}
	if (open_spool(&b) == -1) {
		shut_down(&b);
		return EX_IOERR;
	}
	if ((ex = open_store(&b)) != EX_OK) {
		shut_down(&b);
		return ex;
	}
	daemon_signals();
	spool_recover(&b.bounce, BD_TMP_AGE);
	b.flushed_at = time(NULL);
	log_info("started%s", once ? " (one pass)" : "");
	ex = run(&b, once);
	flush_drops(&b, time(NULL));
	if (b.rejects.pending > 0)
		log_error("%lld dropped bounces could not be counted",
		    b.rejects.pending);
	log_info("stopped");
	shut_down(&b);
	return ex;
}
