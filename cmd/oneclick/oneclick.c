/*
 * oneclick - the RFC 8058 one-click unsubscribe endpoint.
 *
 * SYNOPSIS
 *	oneclick [-fv] [-c config]
 *
 * A small HTTP server (libevent's evhttp) on oneclick_listen, meant to sit
 * behind the site's web server, which terminates TLS and forwards the
 * one-click POSTs to it. A POST whose path ends in a token that bulk put
 * in List-Unsubscribe (lib/oneclick.h) removes that address from that
 * list, with its audit record in the same transaction. See oneclick(8).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "oneclick.h"
#include "roster.h"
#include "secret.h"
#include "store.h"

#define ONECLICK_BODY_LIMIT	4096	/* bytes of POST body accepted */
#define ONECLICK_HEADERS_LIMIT	8192	/* bytes of request headers */
#define ONECLICK_TIMEOUT	30	/* seconds a client may dawdle */

#define HTTP_METHOD_NOT_ALLOWED	405
#define HTTP_FORBIDDEN		403
#define HTTP_CONFLICT		409
#define HTTP_INTERNAL_ERROR	500
#define HTTP_UNAVAILABLE	503

struct oneclick_srv {
	const char		*conninfo;
	struct store		*st;		/* NULL until connected */
	struct secret		 key;
	int			 have_key;
	int			 valid_days;
	struct event_base	*base;
	struct evhttp		*http;
};

/* The actor of every change made here, in the audit log. */
static const struct roster_who oneclick_who = { .actor = "oneclick",
    .channel = "web", .reason = "one-click unsubscribe" };

static _Noreturn void
oneclick_usage(void)
{
	fprintf(stderr, "usage: oneclick [-fv] [-c config]\n");
	exit(EX_USAGE);
}

/* A short text answer; the body never says more than the status does. */
static void
oneclick_reply(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body = evbuffer_new();

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (code == HTTP_METHOD_NOT_ALLOWED)
		evhttp_add_header(h, "Allow", "POST");
	if (body != NULL)
		evbuffer_add_printf(body, "%s\n", text);
	evhttp_send_reply(req, code, reason, body);
	if (body != NULL)
		evbuffer_free(body);
}

/*
 * The database and the key, made ready for a request: connected on first
 * need (a daemon started while the database was down still starts), and
 * the key read once, since it does not change while we run.
 * STORE_OK, STORE_TEMP or STORE_ERROR.
 */
static int
oneclick_ready(struct oneclick_srv *srv)
{
	int rc;

	if (srv->st == NULL &&
	    (rc = store_open(srv->conninfo, "oneclick", &srv->st)) != STORE_OK)
		return rc;
	if (!srv->have_key) {
		if ((rc = secret_get(srv->st, ONECLICK_SECRET, &srv->key)) !=
		    STORE_OK)
			return rc;
		srv->have_key = 1;
	}
	return STORE_OK;
}

/*
 * Whether the member joined before the token's day ended ('t'), after
 * ('f'), or is no member (ROSTER_NOTFOUND): a token older than the
 * subscription must not undo it, or a replayed URL would unsubscribe
 * someone who came back. The row stays locked until the transaction ends.
 */
static int
oneclick_member_predates(struct store *st, const struct oneclick_token *t,
    int *predates)
{
	char day[32];
	const char *p[] = { t->list, t->domain, t->address, day };
	char *v = NULL;
	int rc;

	snprintf(day, sizeof day, "%lld", t->day);
	if ((rc = store_scalar(st, "SELECT s.subscribed_at < "
	    "to_timestamp(($4::bigint + 1) * 86400) FROM subscribers s "
	    "JOIN lists l ON l.id = s.list_id WHERE l.name = $1 AND "
	    "l.domain = $2 AND s.email = $3 FOR UPDATE OF s",
	    STORE_NPARAMS(p), p, &v)) != STORE_OK)
		return rc;
	if (v == NULL)
		return ROSTER_NOTFOUND;
	*predates = strcmp(v, "t") == 0;
	free(v);
	return STORE_OK;
}

/* The removal, in one transaction: a roster result. */
static int
oneclick_unsubscribe(struct store *st, const struct oneclick_token *t)
{
	int predates = 0, rc;

	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	rc = oneclick_member_predates(st, t, &predates);
	if (rc == STORE_OK && !predates) {
		log_info("<%s>: subscribed after the token's day %lld: kept",
		    t->address, t->day);
		rc = ROSTER_NOTFOUND;
	}
	if (rc == STORE_OK)
		rc = roster_member_del(st, &oneclick_who, t->list, t->domain,
		    t->address);
	if (rc == STORE_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

static void
oneclick_request(struct evhttp_request *req, void *arg)
{
	struct oneclick_srv *srv = arg;
	struct oneclick_token t;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *target = evhttp_request_get_uri(req);
	const char *ctype;
	char listaddr[LISTNAME_MAX + LISTNAME_DOMAIN_MAX + 2];
	unsigned char *body;
	size_t len;
	int rc;

	log_context(NULL, NULL);
	/* Mail scanners fetch every link they see: only a POST acts. */
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		oneclick_reply(req, HTTP_METHOD_NOT_ALLOWED,
		    "Method Not Allowed", "POST only");
		return;
	}
	if (target == NULL || oneclick_parse(target, strlen(target), &t) < 0) {
		log_info("request for an unknown path refused");
		oneclick_reply(req, HTTP_NOTFOUND, "Not Found", "not found");
		return;
	}
	snprintf(listaddr, sizeof listaddr, "%s@%s", t.list, t.domain);
	log_context(NULL, listaddr);
	len = evbuffer_get_length(in);
	body = evbuffer_pullup(in, -1);
	ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	if (!oneclick_body_ok(ctype, body != NULL ? (const char *)body : "",
	    len)) {
		log_info("<%s>: not a one-click body: refused", t.address);
		oneclick_reply(req, HTTP_BADREQUEST, "Bad Request",
		    "expected List-Unsubscribe=One-Click");
		return;
	}
	if ((rc = oneclick_ready(srv)) != STORE_OK) {
		if (rc == STORE_TEMP)
			oneclick_reply(req, HTTP_UNAVAILABLE,
			    "Service Unavailable", "try again later");
		else
			oneclick_reply(req, HTTP_INTERNAL_ERROR,
			    "Internal Server Error", "internal error");
		return;
	}
	switch (oneclick_verify(&srv->key, &t, time(NULL), srv->valid_days)) {
	case ONECLICK_OK:
		break;
	case ONECLICK_EXPIRED:
		log_info("<%s>: token of day %lld expired: refused", t.address,
		    t.day);
		oneclick_reply(req, HTTP_FORBIDDEN, "Forbidden", "forbidden");
		return;
	default:
		log_warn("<%s>: forged token refused", t.address);
		oneclick_reply(req, HTTP_FORBIDDEN, "Forbidden", "forbidden");
		return;
	}
	switch ((rc = oneclick_unsubscribe(srv->st, &t))) {
	case STORE_OK:
		log_info("<%s>: unsubscribed (one-click)", t.address);
		oneclick_reply(req, HTTP_OK, "OK", "unsubscribed");
		break;
	case ROSTER_NOTFOUND:
	case ROSTER_NOLIST:
		/* Done before, or the list is gone: the wish is met. */
		log_info("<%s>: not a member: nothing to do", t.address);
		oneclick_reply(req, HTTP_OK, "OK", "not subscribed");
		break;
	case ROSTER_STATE:
		log_info("<%s>: the list is closed: kept", t.address);
		oneclick_reply(req, HTTP_CONFLICT, "Conflict",
		    "the list is closed");
		break;
	case STORE_TEMP:
		oneclick_reply(req, HTTP_UNAVAILABLE, "Service Unavailable",
		    "try again later");
		break;
	default:
		/* The store has logged the details already. */
		log_error("<%s>: unsubscription failed: %s", t.address,
		    roster_strerror(rc));
		oneclick_reply(req, HTTP_INTERNAL_ERROR,
		    "Internal Server Error", "internal error");
		break;
	}
	log_context(NULL, NULL);
}

static void
oneclick_stop(evutil_socket_t sig, short what, void *arg)
{
	struct oneclick_srv *srv = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(srv->base);
}

static int
oneclick_listen(struct oneclick_srv *srv, const char *where)
{
	struct buf host = BUF_INIT(512);
	unsigned short port = 0;
	int rc = 0;

	if (config_split_hostport(where, &host, &port) < 0) {
		log_error("oneclick_listen %s: expected host:port", where);
		rc = -1;
	} else if (evhttp_bind_socket(srv->http, buf_cstr(&host), port) != 0) {
		log_error("oneclick_listen %s: cannot listen: %m", where);
		rc = -1;
	}
	buf_free(&host);
	return rc;
}

static int
oneclick_setup(struct oneclick_srv *srv, const struct config *cf)
{
	if ((srv->base = event_base_new()) == NULL ||
	    (srv->http = evhttp_new(srv->base)) == NULL) {
		log_error("cannot set up the event loop");
		return EX_OSERR;
	}
	evhttp_set_max_body_size(srv->http, ONECLICK_BODY_LIMIT);
	evhttp_set_max_headers_size(srv->http, ONECLICK_HEADERS_LIMIT);
	evhttp_set_timeout(srv->http, ONECLICK_TIMEOUT);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(srv->http, oneclick_request, srv);
	if (oneclick_listen(srv, config_str(cf, CF_ONECLICK_LISTEN)) < 0)
		return EX_UNAVAILABLE;
	return EX_OK;
}

/* Connect now if we can; a database that is down is tried again later. */
static int
oneclick_connect(struct oneclick_srv *srv)
{
	switch (store_open(srv->conninfo, "oneclick", &srv->st)) {
	case STORE_OK:
		return EX_OK;
	case STORE_TEMP:
		log_warn("database unavailable: requests get 503 until it "
		    "is back");
		return EX_OK;
	default:
		return EX_CONFIG;
	}
}

static void
oneclick_log_lines(const struct buf *err)
{
	const char *s = buf_cstr(err), *nl;

	for (; *s != '\0'; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s);
		log_error("configuration: %.*s", (int)(nl - s), s);
		if (*nl == '\0')
			break;
	}
}

int
main(int argc, char **argv)
{
	struct oneclick_srv srv = { .valid_days = ONECLICK_DAYS };
	struct buf err = BUF_INIT(64 * 1024);
	struct event *ev_term = NULL, *ev_int = NULL;
	const char *cfopt = NULL;
	struct config *cf;
	int c, foreground = 0, verbose = 0, rc;

	while ((c = getopt(argc, argv, "c:fv")) != -1) {
		switch (c) {
		case 'c':
			cfopt = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			oneclick_usage();
		}
	}
	if (optind != argc)
		oneclick_usage();

	log_open("oneclick", LOG_MAIL, foreground ? LOG_TO_STDERR :
	    LOG_TO_SYSLOG | LOG_PROBLEMS_TO_STDERR);
	log_set_verbose(verbose);
	if ((cf = config_load(config_path(cfopt), &err)) == NULL) {
		oneclick_log_lines(&err);
		buf_free(&err);
		return EX_CONFIG;
	}
	buf_free(&err);
	log_set_facility(log_facility_code(config_str(cf, CF_LOG_FACILITY)));
	srv.conninfo = config_str(cf, CF_DATABASE);
	srv.valid_days = (int)config_int(cf, CF_ONECLICK_DAYS);
	signal(SIGPIPE, SIG_IGN);

	if ((rc = oneclick_setup(&srv, cf)) != EX_OK)
		goto out;
	/* Listening first, so a port in use is said on the terminal. */
	if (!foreground) {
		if (daemon(0, 0) < 0) {
			log_error("cannot become a daemon: %m");
			rc = EX_OSERR;
			goto out;
		}
		log_open("oneclick", log_facility_code(config_str(cf,
		    CF_LOG_FACILITY)), LOG_TO_SYSLOG);
		if (event_reinit(srv.base) != 0) {
			log_error("cannot set up the event loop again");
			rc = EX_OSERR;
			goto out;
		}
	}
	if ((rc = oneclick_connect(&srv)) != EX_OK)
		goto out;
	ev_term = evsignal_new(srv.base, SIGTERM, oneclick_stop, &srv);
	ev_int = evsignal_new(srv.base, SIGINT, oneclick_stop, &srv);
	if (ev_term == NULL || ev_int == NULL || evsignal_add(ev_term, NULL) ||
	    evsignal_add(ev_int, NULL)) {
		log_error("cannot catch signals");
		rc = EX_OSERR;
		goto out;
	}
	log_info("listening on %s", config_str(cf, CF_ONECLICK_LISTEN));
	if (event_base_dispatch(srv.base) < 0) {
		log_error("the event loop failed");
		rc = EX_SOFTWARE;
	}
	log_info("stopped");
out:
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_int != NULL)
		event_free(ev_int);
	if (srv.http != NULL)
		evhttp_free(srv.http);
	if (srv.base != NULL)
		event_base_free(srv.base);
	if (srv.st != NULL)
		store_close(srv.st);
	secret_clear(&srv.key);
	config_free(cf);
	return rc;
}
