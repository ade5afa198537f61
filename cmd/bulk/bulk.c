/*
 * bulk - send the packets of the bulk queue to the relay.
 *
 * SYNOPSIS
 *	bulk [-1v] [-c config] [-n connections]
 *
 * Any number may run, on any number of hosts, against one database: each
 * packet is claimed under a lease (lib/bulkq.h). SIGTERM and SIGINT let
 * the transactions in flight finish (1.5 s at most), give the leases back
 * and exit; SIGHUP reloads the per-domain limits file. -1 sends what is
 * due and exits (tests, cron). See bulk(8).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "bulk.h"
#include "daemon.h"
#include "log.h"
#include "mem.h"
#include "oneclick.h"
#include "verp.h"

#define BULK_PASSWORD_MAX	1024
/* Wait between attempts to reach the database at start (s). */
#define BULK_DB_WAIT		5
/* Least time between two attempts to reach a database that is away (s). */
#define BULK_DB_RETRY		1

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: bulk [-1v] [-c config] [-n connections]\n");
	exit(EX_USAGE);
}

/* -- configuration ----------------------------------------------------- */

/* The first line of the password file, kept out of herald.yaml. */
static int
read_password(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "r");
	char line[BULK_PASSWORD_MAX];

	if (f == NULL) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	buf_reset(out);
	buf_puts(out, line);
	explicit_bzero(line, sizeof(line));
	return 0;
}

static int
smtp_setup(struct bulk *b)
{
	const struct config *cf = b->cf;
	const char *tls = config_str(cf, CF_RELAY_TLS);
	const char *helo = config_str(cf, CF_RELAY_HELO);
	unsigned short port = 0;

	smtp_config_default(&b->smtp);
	if (config_split_hostport(config_str(cf, CF_RELAY), &b->relay_host,
	    &port) == -1) {
		log_error("relay %s: expected host:port", config_str(cf, CF_RELAY));
		return -1;
	}
	b->smtp.host = buf_cstr(&b->relay_host);
	b->smtp.port = port;
	b->smtp.helo = *helo != '\0' ? helo : config_str(cf, CF_MYHOSTNAME);
	b->smtp.tls = strcmp(tls, "require") == 0 ? SMTP_TLS_REQUIRE :
	    strcmp(tls, "may") == 0 ? SMTP_TLS_MAY : SMTP_TLS_OFF;
	b->smtp.tls_verify = config_bool(cf, CF_RELAY_TLS_VERIFY);
	if (*config_str(cf, CF_RELAY_TLS_CA_FILE) != '\0')
		b->smtp.tls_ca_file = config_str(cf, CF_RELAY_TLS_CA_FILE);
	if (*config_str(cf, CF_RELAY_AUTH_USER) != '\0') {
		const char *pw = config_str(cf, CF_RELAY_AUTH_PASSWORD_FILE);

		if (*pw == '\0' || read_password(pw, &b->auth_pass) == -1) {
			log_error("relay_auth_user needs a readable "
			    "relay_auth_password_file");
			return -1;
		}
		b->smtp.auth_user = config_str(cf, CF_RELAY_AUTH_USER);
		b->smtp.auth_pass = buf_cstr(&b->auth_pass);
	}
	return 0;
}

/* The per-domain limits file; none is no limits. */
static void
load_limits(struct bulk *b)
{
	const char *path = config_str(b->cf, CF_NRCPT_BY_DOMAIN);
	struct domlimits *dl;

	if (*path == '\0')
		return;
	if ((dl = domlimits_load(path, NULL)) == NULL) {
		log_warn("%s: not used", path);
		return;
	}
	domlimits_free(b->limits);
	b->limits = dl;
}

static int
load_config(struct bulk *b, int nconns)
{
	if ((b->cf = daemon_config_load(b->cfpath)) == NULL)
		return -1;
	daemon_log_facility(b->cf);
	b->nconns = nconns > 0 ? nconns : (int)config_int(b->cf, CF_BULK_CONNECTIONS);
	b->sendmail = strcmp(config_str(b->cf, CF_BULK_MODE), "sendmail") == 0;
	b->lease = (int)config_int(b->cf, CF_BULK_LEASE);
	b->policy.max_attempts = (int)config_int(b->cf, CF_BULK_MAX_ATTEMPTS);
	b->policy.max_age = (long)config_int(b->cf, CF_BULK_MAX_AGE);
	if (*config_str(b->cf, CF_ONECLICK_URL) != '\0')
		b->oneclick_base = config_str(b->cf, CF_ONECLICK_URL);
	snprintf(b->owner, sizeof(b->owner), "%.200s:%ld",
	    config_str(b->cf, CF_MYHOSTNAME), (long)getpid());
	load_limits(b);
	return b->sendmail ? 0 : smtp_setup(b);
}

/* -- the database ------------------------------------------------------ */

static volatile sig_atomic_t early_stop;

static void
on_early_stop(int sig)
{
	(void)sig;
	early_stop = 1;
}

/*
 * Connect, check the schema, get the site secrets. A daemon waits for a
 * database that is away; -1 gives up at once.
 */
static int
open_store(struct bulk *b)
{
	int rc;

	for (;;) {
		rc = store_open_current(config_str(b->cf, CF_DATABASE),
		    BULK_PROGRAM, &b->st);
		if (rc == STORE_OK)
			rc = secret_get(b->st, VERP_SECRET, &b->verp_key);
		if (rc == STORE_OK && b->oneclick_base != NULL)
			rc = secret_get(b->st, ONECLICK_SECRET, &b->oneclick_key);
		if (rc == STORE_OK)
			rc = store_listen(b->st, "herald_bulk");
		if (rc != STORE_TEMP || b->once || early_stop)
			break;
		log_warn("database unavailable: trying again in %d s",
		    BULK_DB_WAIT);
		store_close(b->st);
		b->st = NULL;
		sleep(BULK_DB_WAIT);
	}
	if (rc != STORE_OK)
		return rc == STORE_TEMP ? EX_TEMPFAIL : EX_CONFIG;
	/* Without the recorder, answers are recorded on the one connection. */
	if (store_open(config_str(b->cf, CF_DATABASE), BULK_PROGRAM "-recorder",
	    &b->rec) != STORE_OK)
		log_warn("no second database connection: answers recorded "
		    "in line");
	return EX_OK;
}

/* -- events ------------------------------------------------------------ */

static void
on_notify(const char *channel, const char *payload, void *arg)
{
	struct bulk *b = arg;

	(void)channel;
	(void)payload;
	b->wake = 1;
}

/*
 * Every BULK_NOTIFY_POLL_MS: notifications (no round trip), a look for
 * due packets every BULK_IDLE_POLL_MS, answers waiting for the database.
 */
static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	static unsigned ticks;
	static time_t last_db_try;
	struct bulk *b = arg;

	(void)fd;
	(void)what;
	if (b->stopping)
		return;
	if (b->db_down) {
		if (time(NULL) - last_db_try < BULK_DB_RETRY)
			return;
		last_db_try = time(NULL);
		bulk_flush_all(b);
		if (!b->db_down) {
			b->wake = 1;
			bulk_renew_leases(b);	/* before anything starts */
		}
	} else if (store_notifications(b->st, on_notify, b) != 0)
		b->wake = 1;
	if (b->wake || ++ticks * BULK_NOTIFY_POLL_MS >= BULK_IDLE_POLL_MS) {
		ticks = 0;
		b->wake = 0;
		b->nothing_due = 0;
	}
	bulk_pump(b);
}

static void
on_lease(evutil_socket_t fd, short what, void *arg)
{
	struct bulk *b = arg;

	(void)fd;
	(void)what;
	if (!b->db_down)
		bulk_renew_leases(b);
}

/* A connection to see whether the relay is back. */
static void
on_relay_retry(evutil_socket_t fd, short what, void *arg)
{
	struct bulk *b = arg;

	(void)fd;
	(void)what;
	if (b->stopping)
		return;
	b->relay_down = 0;
	b->nothing_due = 0;
	bulk_pump(b);
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bulk_flush_dirty(arg);
}

static void
on_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct bulk *b = arg;

	(void)fd;
	(void)what;
	bulk_abandon_all(b);
	bulk_give_back_all(b);
	event_base_loopexit(b->base, NULL);
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct bulk *b = arg;
	struct timeval tv = { 0, BULK_STOP_GRACE_MS * 1000 };

	(void)what;
	if (b->stopping)
		return;
	log_info("signal %d: stopping once the transactions in flight end",
	    (int)sig);
	b->stopping = 1;
	bulk_give_back_all(b);
	evtimer_add(b->ev_grace, &tv);
	bulk_pump(b);
}

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct bulk *b = arg;

	(void)sig;
	(void)what;
	log_info("reloading the per-domain limits");
	load_limits(b);
}

static void
on_child(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	bulk_sendmail_reap(arg);
}

static struct event *
timer(struct bulk *b, int persist, event_callback_fn fn, long ms)
{
	struct event *ev = event_new(b->base, -1, persist ? EV_PERSIST : 0,
	    fn, b);
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (ev != NULL && persist)
		event_add(ev, &tv);
	return ev;
}

static int
open_events(struct bulk *b)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if ((b->base = event_base_new()) == NULL)
		return -1;
	b->ev_sigterm = evsignal_new(b->base, SIGTERM, on_stop, b);
	b->ev_sigint = evsignal_new(b->base, SIGINT, on_stop, b);
	b->ev_sighup = evsignal_new(b->base, SIGHUP, on_hup, b);
	b->ev_sigchld = evsignal_new(b->base, SIGCHLD, on_child, b);
	b->ev_poll = timer(b, 1, on_poll, BULK_NOTIFY_POLL_MS);
	b->ev_lease = timer(b, 1, on_lease, b->lease * 1000L / 3);
	b->ev_relay = timer(b, 0, on_relay_retry, 0);
	b->ev_grace = timer(b, 0, on_grace_over, 0);
	b->ev_flush = timer(b, 0, on_flush, 0);
	if (b->ev_sigterm == NULL || b->ev_sigint == NULL ||
	    b->ev_sighup == NULL || b->ev_sigchld == NULL ||
	    b->ev_poll == NULL || b->ev_lease == NULL ||
	    b->ev_relay == NULL || b->ev_grace == NULL || b->ev_flush == NULL)
		return -1;
	event_add(b->ev_sigterm, NULL);
	event_add(b->ev_sigint, NULL);
	event_add(b->ev_sighup, NULL);
	if (b->sendmail)
		event_add(b->ev_sigchld, NULL);
	return 0;
}

/* -- the process ------------------------------------------------------- */

static void
shut_down(struct bulk *b)
{
	struct event *evs[] = { b->ev_poll, b->ev_lease, b->ev_relay,
	    b->ev_grace, b->ev_flush, b->ev_sigterm, b->ev_sigint, b->ev_sighup,
	    b->ev_sigchld };

	if (b->conns != NULL) {
		bulk_abandon_all(b);
		bulk_give_back_all(b);
		bulk_conns_stop(b);
		free(b->conns);
	}
	/* What went to the recorder, and the ends that wait for it. */
	bulk_rec_drain(b);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	bulk_jobs_free(b);
	if (b->ev_rec != NULL)
		event_free(b->ev_rec);
	store_close(b->rec);
	free(b->rec_batch);
	free(b->rec_items);
	if (b->base != NULL)
		event_base_free(b->base);
	store_close(b->st);
	secret_clear(&b->verp_key);
	secret_clear(&b->oneclick_key);
	domlimits_free(b->limits);
	strmap_free(b->domains, free);
	strmap_free(b->backoff_noted, NULL);
	if (b->auth_pass.data != NULL)
		explicit_bzero(b->auth_pass.data, b->auth_pass.len);
	buf_free(&b->auth_pass);
	buf_free(&b->relay_host);
	config_free(b->cf);
}

int
main(int argc, char **argv)
{
	struct bulk b;
	struct sigaction sa;
	int c, verbose = 0, nconns = 0, ex;
	char *end;

	memset(&b, 0, sizeof(b));
	TAILQ_INIT(&b.packets);
	TAILQ_INIT(&b.txns);
	TAILQ_INIT(&b.jobs);
	buf_init(&b.relay_host, 1024);
	buf_init(&b.auth_pass, BULK_PASSWORD_MAX);
	b.domains = strmap_new();
	b.backoff_noted = strmap_new();
	while ((c = getopt(argc, argv, "1c:n:v")) != -1) {
		switch (c) {
		case '1':
			b.once = 1;
			break;
		case 'c':
			b.cfpath = optarg;
			break;
		case 'n':
			errno = 0;
			nconns = (int)strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || nconns < 1 ||
			    nconns > 256)
				usage();
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
	/* -v: what it does on stderr too, for tests and the demo. */
	log_open(BULK_PROGRAM, 0, LOG_TO_SYSLOG | (verbose ? LOG_TO_STDERR :
	    LOG_PROBLEMS_TO_STDERR));
	log_set_verbose(verbose > 1);
	if (load_config(&b, nconns) == -1) {
		shut_down(&b);
		return EX_CONFIG;
	}
	/* Until the loop runs, a signal only ends the wait for the database. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_early_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((ex = open_store(&b)) != EX_OK || early_stop) {
		shut_down(&b);
		return early_stop ? EX_OK : ex;
	}
	if (open_events(&b) == -1) {
		log_error("cannot set up the event loop");
		shut_down(&b);
		return EX_OSERR;
	}
	bulk_conns_start(&b);
	log_info("started as %s, %d %s to %s%s", b.owner, b.nconns,
	    b.sendmail ? "sendmail slots" : "connections",
	    b.sendmail ? config_str(b.cf, CF_SENDMAIL_PATH) :
	    config_str(b.cf, CF_RELAY), b.once ? " (one pass)" : "");
	bulk_pump(&b);
	if (event_base_dispatch(b.base) < 0) {
		log_error("the event loop failed");
		b.exit_code = EX_SOFTWARE;
	}
	log_info("stopped: %lld sent, %lld deferred, %lld failed",
	    b.total_sent, b.total_deferred, b.total_failed);
	ex = b.exit_code;
	shut_down(&b);
	return ex;
}
