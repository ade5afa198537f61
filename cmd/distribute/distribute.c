/*
 * distribute - route, authorise, moderate, transform and hand to bulk
 * every message in the msg spool.
 *
 * SYNOPSIS
 *	distribute [-1v] [-c config] [-K keyfile]
 *
 * Any number may run at once: each entry is claimed by rename(2). SIGTERM
 * and SIGINT finish the entry in hand and exit; SIGHUP reloads the
 * configuration and the lists between two entries. -1 handles what the
 * spool holds and exits (tests, cron). See distribute(8).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "catalog.h"
#include "dkim.h"
#include "dmarc.h"
#include "distribute.h"
#include "daemon.h"
#include "log.h"
#include "mem.h"

/* Entries taken from one scan of new/ before looking again. */
#define DIST_SCAN_BATCH		256
/* Idle wait between scans when inotify says nothing (ms). */
#define DIST_IDLE_MS		5000
/* Pause after a temporary failure, so an outage is not a busy loop (s). */
#define DIST_RETRY_PAUSE	5
/* Seconds between two sweeps of the held entries whose key expired. */
#define DIST_SWEEP_EVERY	3600
/* A claimed entry older than this with a dead claimer goes back (s). */
#define DIST_TMP_AGE		3600

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: distribute [-1v] [-c config] [-K keyfile]\n");
	exit(EX_USAGE);
}

enum dist_fate
dist_fail(struct inmsg *im, enum dist_fate f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(im->why, sizeof(im->why), fmt, ap);
	va_end(ap);
	return f;
}

enum dist_fate
dist_store_fail(struct dist *d, struct inmsg *im, int rc, const char *what)
{
	if (store_in_transaction(d->st))
		store_rollback(d->st);
	return dist_fail(im, rc == STORE_TEMP ? DIST_RETRY : DIST_BAD,
	    "%s: %s", what, store_error(d->st));
}

/* The spools distribute reads and writes, all of them or nothing. */
static int
open_spools(struct dist *d)
{
	const char *root = config_str(d->cf, CF_SPOOL_DIRECTORY);
	const char *host = config_str(d->cf, CF_MYHOSTNAME);
	struct {
		struct spool *s;
		enum spool_id id;
	} sp[] = {
		{ &d->msg, SPOOL_MSG }, { &d->moderation, SPOOL_MODERATION },
		{ &d->auth, SPOOL_AUTH }, { &d->archive, SPOOL_ARCHIVE },
		{ &d->digest, SPOOL_DIGEST },
	};
	struct buf err = BUF_INIT(4096);

	for (size_t i = 0; i < sizeof(sp) / sizeof(sp[0]); i++) {
		if (spool_open(sp[i].s, root, sp[i].id, host, &err) == -1) {
			log_error("%s", buf_cstr(&err));
			buf_free(&err);
			return -1;
		}
	}
	buf_free(&err);
	return 0;
}

static void
close_spools(struct dist *d)
{
	spool_close(&d->msg);
	spool_close(&d->moderation);
	spool_close(&d->auth);
	spool_close(&d->archive);
	spool_close(&d->digest);
}

/* What depends on the configuration: loaded at start and on SIGHUP. */
static int
load_config(struct dist *d)
{
	struct config *cf;
	const char *path;

	if ((cf = daemon_config_load(d->cfpath)) == NULL)
		return -1;
	config_free(d->cf);
	d->cf = cf;
	daemon_log_facility(cf);
	packet_domains_free(d->by_domain);
	d->by_domain = NULL;
	path = config_str(cf, CF_NRCPT_BY_DOMAIN);
	if (*path != '\0' && (d->by_domain = packet_domains_load(path, NULL)) == NULL)
		log_warn("%s: not used", path);
	d->limits.nrcpt = (int)config_int(cf, CF_NRCPT);
	d->limits.avg = (int)config_int(cf, CF_AVG);
	d->limits.by_domain = d->by_domain;
	d->rcfg.robot_localpart = config_str(cf, CF_ROBOT_LOCALPART);
	d->rcfg.listmaster_localpart = "listmaster";
	d->rcfg.bounce_localpart = config_str(cf, CF_BOUNCE_LOCALPART);
	catalog_close(d->cat);
	d->cat = catalog_open(config_str(cf, CF_CATALOG_DIRECTORY),
	    config_str(cf, CF_LANG));
	return 0;
}

static int
load_lists(struct dist *d)
{
	struct buf err = BUF_INIT(4096);

	listreg_close(d->lists);
	if ((d->lists = listreg_open(d->cf, NULL, &err)) == NULL) {
		log_error("lists: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

/* The database: connect, and refuse a schema older than this program. */
static int
open_store(struct dist *d)
{
	int rc;

	rc = store_open_current(config_str(d->cf, CF_DATABASE), DIST_PROGRAM,
	    &d->st);
	if (rc != STORE_OK)
		return rc == STORE_TEMP ? EX_TEMPFAIL : EX_CONFIG;
	d->ss = scenario_store_new(d->st, d->cf);
	return EX_OK;
}

static int
open_checkers(struct dist *d)
{
	struct dkim_verify_conf vc;
	struct dmarc_resolver_opts o;
	struct buf err = BUF_INIT(4096);
	const char *table = config_str(d->cf, CF_DMARC_POLICY_FILE);

	memset(&vc, 0, sizeof(vc));
	vc.keys_file = d->dkim_keyfile;
	if ((d->dkim = dkim_verifier_new(&vc, &err)) == NULL) {
		log_error("dkim: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	if ((d->evbase = event_base_new()) == NULL) {
		buf_free(&err);
		return -1;
	}
	dmarc_resolver_opts_default(&o);
	if ((d->dmarc = dmarc_resolver_new(d->evbase, &o, &err)) == NULL) {
		log_error("dmarc: %s", buf_cstr(&err));
		buf_free(&err);
		return -1;
	}
	if (*table != '\0') {
		struct dmarc_table *t = dmarc_table_load(table, &err);

		if (t == NULL)
			log_warn("dmarc: %s", buf_cstr(&err));
		else
			dmarc_resolver_set_table(d->dmarc, t);
	}
	buf_free(&err);
	return 0;
}

/*
 * Put the entry where its fate says. A failure to do so leaves it claimed
 * in cur/, where the next start's recovery finds it: never lost.
 */
static void
finish(struct spool_entry *e, enum dist_fate fate, const char *why)
{
	switch (fate) {
	case DIST_DONE:
		if (spool_done(e) == -1)
			log_error("cannot remove the entry: %s", strerror(errno));
		break;
	case DIST_KEPT:
		break;
	case DIST_RETRY:
		log_warn("will retry: %s", why);
		if (spool_release(e) == -1)
			log_error("cannot release the entry: %s", strerror(errno));
		break;
	case DIST_BAD:
		log_warn("moved to bad/: %s", why);
		if (spool_reject(e, DIST_PROGRAM, why) == -1)
			log_error("cannot move the entry to bad/: %s",
			    strerror(errno));
		break;
	}
}

static void
inmsg_free(struct inmsg *im)
{
	msg_free(im->m);
	buf_free(&im->data);
}

/* Claim, read, route, handle and finish one entry of the msg spool. */
static enum dist_fate
handle_entry(struct dist *d, const char *name)
{
	struct spool_entry e;
	struct inmsg im;
	struct buf err = BUF_INIT(1024);
	enum dist_fate fate;
	int rc;

	if ((rc = spool_claim(&d->msg, name, &e)) != 0) {
		if (rc == -1)
			log_error("%s: cannot claim: %s", name, strerror(errno));
		return DIST_KEPT;	/* another worker took it */
	}
	log_context(name, NULL);
	memset(&im, 0, sizeof(im));
	im.e = &e;
	im.id = e.name;
	buf_init(&im.data, (size_t)config_int(d->cf, CF_QUEUE_MAX_SIZE));
	if (spool_read(&e, (size_t)config_int(d->cf, CF_QUEUE_MAX_SIZE),
	    &im.data, &err) == -1)
		fate = dist_fail(&im, DIST_BAD, "unreadable entry: %s",
		    buf_cstr(&err));
	else if ((im.m = msg_parse(im.data.data, im.data.len, NULL, &err)) == NULL)
		fate = dist_fail(&im, DIST_BAD, "unparsable message: %s",
		    buf_cstr(&err));
	else if (route_address(&d->rcfg, e.env.recipient,
	    strlen(e.env.recipient), &im.route) == ROUTE_INVALID)
		fate = dist_fail(&im, DIST_BAD, "recipient %s: %s",
		    e.env.recipient, im.route.reason);
	else if (im.route.kind == ROUTE_POST)
		fate = post_handle(d, &im);
	else
		fate = service_handle(d, &im);
	finish(&e, fate, im.why);
	inmsg_free(&im);
	spool_entry_free(&e);
	buf_free(&err);
	log_context(NULL, NULL);
	return fate;
}

/* The daemon's loop; returns the exit status. */
static int
run(struct dist *d, int once)
{
	int ino = once ? -1 : daemon_watch(&d->msg);
	time_t swept = 0;

	while (!daemon_stopping()) {
		size_t n = 0, handled = 0;
		char **names;
		int retry = 0;

		if (time(NULL) - swept >= DIST_SWEEP_EVERY) {
			held_sweep(d);
			swept = time(NULL);
		}

		if (daemon_reload_take()) {
			log_info("reloading the configuration and the lists");
			if (load_config(d) == 0)
				load_lists(d);
		} else if (d->lists != NULL) {
			struct buf err = BUF_INIT(4096);

			if (listreg_refresh(d->lists, NULL, &err) == -1)
				log_warn("lists: %s", buf_cstr(&err));
			buf_free(&err);
		}
		if ((names = spool_scan(&d->msg, DIST_SCAN_BATCH, &n)) == NULL) {
			log_error("cannot scan the msg spool: %s", strerror(errno));
			return EX_IOERR;
		}
		for (size_t i = 0; i < n && !daemon_stopping() && !retry; i++) {
			enum dist_fate f = handle_entry(d, names[i]);

			handled += f != DIST_KEPT;
			retry = f == DIST_RETRY;
		}
		spool_free_names(names, n);
		if (once && (n == 0 || retry))
			break;
		if (retry && !daemon_stopping())
			sleep(DIST_RETRY_PAUSE);
		else if (n == 0 && !daemon_stopping())
			daemon_wait(ino, DIST_IDLE_MS);
	}
	if (ino >= 0)
		close(ino);
	return EX_OK;
}

static void
shut_down(struct dist *d)
{
	dmarc_resolver_free(d->dmarc);
	if (d->evbase != NULL)
		event_base_free(d->evbase);
	dkim_verifier_free(d->dkim);
	scenario_store_free(d->ss);
	store_close(d->st);
	listreg_close(d->lists);
	packet_domains_free(d->by_domain);
	close_spools(d);
	catalog_close(d->cat);
	config_free(d->cf);
}

int
main(int argc, char **argv)
{
	struct dist d;
	int c, once = 0, verbose = 0, ex;

	memset(&d, 0, sizeof(d));
	log_open(DIST_PROGRAM, 0, LOG_TO_SYSLOG | LOG_PROBLEMS_TO_STDERR);
	while ((c = getopt(argc, argv, "1c:K:v")) != -1) {
		switch (c) {
		case '1':
			once = 1;
			break;
		case 'c':
			d.cfpath = optarg;
			break;
		case 'K':
			d.dkim_keyfile = optarg;
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
	log_set_verbose(verbose);
	if (load_config(&d) == -1)
		return EX_CONFIG;
	if (open_spools(&d) == -1) {
		shut_down(&d);
		return EX_IOERR;
	}
	if ((ex = open_store(&d)) != EX_OK || load_lists(&d) == -1 ||
	    open_checkers(&d) == -1) {
		shut_down(&d);
		return ex != EX_OK ? ex : EX_CONFIG;
	}
	daemon_signals();
	spool_recover(&d.msg, DIST_TMP_AGE);
	spool_recover(&d.moderation, DIST_TMP_AGE);
	spool_recover(&d.auth, DIST_TMP_AGE);
	log_info("started%s", once ? " (one pass)" : "");
	ex = run(&d, once);
	log_info("stopped");
	shut_down(&d);
	return ex;
}
