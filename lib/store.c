/*
 * store - libpq with Herald's error model: parameterised statements only,
 * one transparent reconnect outside transactions, temporary failures told
 * apart from permanent ones, schema migrations compiled in.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <libpq-fe.h>

#include "log.h"
#include "mem.h"
#include "store.h"

#define STORE_ERRMSG_MAX	1024

/*
 * The advisory lock that serialises migrations across hosts: "Herald" in
 * ASCII, so that it cannot be mistaken for another application's key.
 */
#define STORE_MIGRATE_LOCK	"79600547884132"

/* A libpq connect that hangs forever would hang a daemon's start. */
#define STORE_CONNECT_TIMEOUT	"10"

/* How many pending reads to consume before a statement, at most. */
#define STORE_DRAIN_MAX		16

/* Channels one connection LISTENs to, statements it prepares. */
#define STORE_CHANNELS_MAX	4
#define STORE_PREPARED_MAX	32

/*
 * Notifications waiting for store_notifications(). Past this many the
 * consumer is told that some were lost, which it handles as a reconnect.
 */
#define STORE_NOTES_MAX		4096

struct store_note {
	char	*channel;
	char	*payload;
};

struct store {
	PGconn	*conn;
	int	 in_tx;		/* between store_begin() and commit/rollback */
	int	 tx_lost;	/* the connection dropped inside the transaction */
	int	 peer_gone;	/* the server said FATAL while we were idle */
	char	 sqlstate[6];
	char	 errmsg[STORE_ERRMSG_MAX];
	char	*channels[STORE_CHANNELS_MAX];	/* LISTENed, again after a reconnect */
	size_t	 nchannels;
	struct store_note *notes;	/* received, not yet delivered */
	size_t	 nnotes;
	int	 notes_lost;	/* a reconnect or an overflow since the last delivery */
	char	*prepared[STORE_PREPARED_MAX];	/* names prepared on this session */
	size_t	 nprepared;
};

/*
 * Record and log a failure. state is a SQLSTATE or NULL.
 */
static void __attribute__((format(printf, 3, 4)))
store_seterr(struct store *st, const char *state, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
	va_end(ap);
	/* libpq's messages span lines and end in one; the log wants one line. */
	for (char *p = st->errmsg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	n = strlen(st->errmsg);
	while (n > 0 && st->errmsg[n - 1] == ' ')
		st->errmsg[--n] = '\0';
	snprintf(st->sqlstate, sizeof st->sqlstate, "%s", state ? state : "");
	if (st->sqlstate[0] != '\0')
		log_error("store: %s (SQLSTATE %s)", st->errmsg, st->sqlstate);
	else
		log_error("store: %s", st->errmsg);
}

static void
store_clearerr(struct store *st)
{
	st->sqlstate[0] = '\0';
	st->errmsg[0] = '\0';
}

/*
 * Server messages outside results. A FATAL one arrives while we are idle
 * when the server ends the session (shutdown, pg_terminate_backend): the
 * connection is then as good as closed, even before the socket says so.
 */
static void
store_notice(void *arg, const PGresult *res)
{
	struct store *st = arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (msg == NULL)
		msg = "(no message)";
	if (sev != NULL && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0)) {
		st->peer_gone = 1;
		log_warn("store: server ends the session: %s", msg);
	} else if (sev != NULL && strcmp(sev, "WARNING") == 0) {
		log_warn("store: server warning: %s", msg);
	} else {
		log_debug("store: server notice: %s", msg);
	}
}

/*
 * SQLSTATEs a retry can fix: connection exceptions (08), serialization
 * failures and deadlocks (40001, 40P01), an unknown commit outcome (40003),
 * insufficient resources such as a full disk (53), operator intervention
 * (57: shutdown, statement timeout), a lock not available (55P03) and
 * system errors such as an I/O error (58).
 */
static int
store_state_temporary(const char *state)
{
	static const char *const codes[] = {
		"40001", "40P01", "40003", "55P03",
	};

	if (state == NULL || strlen(state) != 5)
		return 0;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
	    strncmp(state, "57", 2) == 0 || strncmp(state, "58", 2) == 0)
		return 1;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (strcmp(state, codes[i]) == 0)
			return 1;
	return 0;
}

int
store_open(const char *conninfo, const char *appname, struct store **stp)
{
	/*
	 * The defaults come before dbname: the conninfo it expands into may
	 * override them. client_encoding UTF8 makes the server check every
	 * text value we send, whatever the database's encoding.
	 */
	const char *const keys[] = {
		"fallback_application_name", "connect_timeout",
		"client_encoding", "dbname", NULL,
	};
	const char *const vals[] = {
		appname ? appname : "herald", STORE_CONNECT_TIMEOUT,
		"UTF8", conninfo, NULL,
	};
	PQconninfoOption *opts;
	struct store *st;
	char *perr = NULL;

	*stp = NULL;
	st = xcalloc(1, sizeof *st);
	/* A string that does not parse is a configuration error, not an outage. */
	if ((opts = PQconninfoParse(conninfo, &perr)) == NULL) {
		store_seterr(st, NULL, "bad database connection string: %s",
		    perr ? perr : "out of memory");
		PQfreemem(perr);
		free(st);
		return STORE_ERROR;
	}
	PQconninfoFree(opts);
	st->conn = PQconnectdbParams(keys, vals, 1);
	if (st->conn == NULL)
		log_fatal(EX_TEMPFAIL, "store: out of memory");	/* as mem.h */
	if (PQstatus(st->conn) != CONNECTION_OK) {
		/* The conninfo may hold a password: it is never logged. */
		store_seterr(st, NULL, "cannot connect to the database: %s",
		    PQerrorMessage(st->conn));
		PQfinish(st->conn);
		free(st);
		return STORE_TEMP;
	}
	PQsetNoticeReceiver(st->conn, store_notice, st);
	*stp = st;
	return STORE_OK;
}

static void
store_forget_session(struct store *st)
{
	for (size_t i = 0; i < st->nprepared; i++)
		free(st->prepared[i]);
	st->nprepared = 0;
	for (size_t i = 0; i < st->nnotes; i++) {
		free(st->notes[i].channel);
		free(st->notes[i].payload);
	}
	st->nnotes = 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	PQfinish(st->conn);
	store_forget_session(st);
	free(st->notes);
	for (size_t i = 0; i < st->nchannels; i++)
		free(st->channels[i]);
	free(st);
}

const char *
store_error(const struct store *st)
{
	return st->errmsg;
}

const char *
store_sqlstate(const struct store *st)
{
	return st->sqlstate;
}

int
store_in_transaction(const struct store *st)
{
	return st->in_tx;
}

int
store_join(struct store *st, int *own)
{
	if (st->in_tx) {
		*own = 0;
		return STORE_OK;
	}
	*own = 1;
	return store_begin(st);
}

int
store_unjoin(struct store *st, int own, int rc)
{
	if (!own)
		return rc;
	if (rc == STORE_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

/* Queue a notification for store_notifications(), or count it lost. */
static void
store_keep_note(struct store *st, const PGnotify *n)
{
	if (st->nchannels == 0)
		return;
	if (st->nnotes == STORE_NOTES_MAX) {
		st->notes_lost = 1;
		return;
	}
	if (st->notes == NULL)
		st->notes = xreallocarray(NULL, STORE_NOTES_MAX,
		    sizeof(*st->notes));
	st->notes[st->nnotes].channel = xstrdup(n->relname);
	st->notes[st->nnotes].payload = xstrdup(n->extra ? n->extra : "");
	st->nnotes++;
}

/* Read what a statement's result brought along (our own NOTIFYs). */
static void
store_collect_notes(struct store *st)
{
	PGnotify *n;

	while ((n = PQnotifies(st->conn)) != NULL) {
		store_keep_note(st, n);
		PQfreemem(n);
	}
}

/*
 * Whether the connection is dead, found without a round trip. An idle
 * connection receives nothing unless the server is going away (or sends a
 * NOTIFY or a parameter change): when the socket is readable, let libpq
 * read it, which reports the server's FATAL message and the end of file.
 */
static int
store_conn_dead(struct store *st)
{
	struct pollfd pfd;

	for (int i = 0; i < STORE_DRAIN_MAX; i++) {
		if (st->peer_gone || PQstatus(st->conn) != CONNECTION_OK)
			return 1;
		pfd.fd = PQsocket(st->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return 1;
		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		if (!PQconsumeInput(st->conn))
			return 1;
		store_collect_notes(st);
	}
	return st->peer_gone || PQstatus(st->conn) != CONNECTION_OK;
}

/* Why the connection is gone, for the error text. */
static const char *
store_conn_errmsg(const struct store *st)
{
	const char *msg = PQerrorMessage(st->conn);

	return msg != NULL && *msg != '\0' ? msg : "the server ended the session";
}

static int store_listen_one(struct store *st, const char *channel);

/* After a reconnect: LISTEN again to every channel. */
static int
store_relisten(struct store *st)
{
	int rc;

	for (size_t i = 0; i < st->nchannels; i++)
		if ((rc = store_listen_one(st, st->channels[i])) != STORE_OK)
			return rc;
	return STORE_OK;
}

/*
 * Before each statement: make sure there is a connection to send it on.
 * Outside a transaction a dead one is re-established, once; inside, the
 * transaction's earlier statements are gone with the session, so going on
 * on a new one would commit half a transaction: that is an error.
 */
static int
store_ready(struct store *st)
{
	store_clearerr(st);
	if (st->tx_lost) {
		store_seterr(st, NULL, "the transaction was lost with its "
		    "connection; it must be rolled back");
		return STORE_TEMP;
	}
	if (!store_conn_dead(st))
		return STORE_OK;
	if (st->in_tx) {
		st->tx_lost = 1;
		store_seterr(st, NULL, "connection lost inside a transaction: %s",
		    store_conn_errmsg(st));
		return STORE_TEMP;
	}
	log_warn("store: connection lost, reconnecting");
	st->peer_gone = 0;
	/* What the old session prepared and heard is gone with it. */
	store_forget_session(st);
	st->notes_lost = 1;
	PQreset(st->conn);
	if (PQstatus(st->conn) != CONNECTION_OK) {
		store_seterr(st, NULL, "cannot reconnect to the database: %s",
		    PQerrorMessage(st->conn));
		return STORE_TEMP;
	}
	log_info("store: reconnected");
	return store_relisten(st);
}

/*
 * After each statement: keep the result if it is what was expected, else
 * classify the failure. res may be NULL (libpq could not send).
 */
static int
store_finish(struct store *st, PGresult *res, ExecStatusType expect,
    PGresult **resp)
{
	ExecStatusType got = PQresultStatus(res);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	int rc;

	if (res != NULL && got == expect) {
		if (resp != NULL)
			*resp = res;
		else
			PQclear(res);
		return STORE_OK;
	}
	if (msg == NULL)
		msg = PQerrorMessage(st->conn);
	/* Name the constraint unless the message already does. */
	if (constraint != NULL && strstr(msg, constraint) != NULL)
		constraint = NULL;
	if (PQstatus(st->conn) != CONNECTION_OK) {
		/* Whether the statement took effect is unknown: never re-sent. */
		if (st->in_tx)
			st->tx_lost = 1;
		store_seterr(st, state, "connection lost during a statement: %s", msg);
		rc = STORE_TEMP;
	} else if (got == PGRES_FATAL_ERROR || got == PGRES_NONFATAL_ERROR ||
	    res == NULL) {
		store_seterr(st, state, "%s%s%s%s", msg,
		    constraint ? " (constraint " : "", constraint ? constraint : "",
		    constraint ? ")" : "");
		rc = store_state_temporary(state) ? STORE_TEMP : STORE_ERROR;
	} else {
		store_seterr(st, NULL, "statement returned %s, expected %s",
		    PQresStatus(got), PQresStatus(expect));
		rc = STORE_ERROR;
	}
	PQclear(res);
	return rc;
}

int
store_exec(struct store *st, const char *sql, int nparams,
    const char *const *values, const int *lengths, const int *formats,
    int result_format, ExecStatusType expect, PGresult **res)
{
	int rc;

	if (res != NULL)
		*res = NULL;
	if ((rc = store_ready(st)) != STORE_OK)
		return rc;
	rc = store_finish(st, PQexecParams(st->conn, sql, nparams, NULL,
	    values, lengths, formats, result_format), expect, res);
	store_collect_notes(st);
	return rc;
}

int
store_send(struct store *st, const char *sql, int nparams,
    const char *const *values)
{
	int rc;

	if (st->in_tx) {
		store_seterr(st, NULL, "store_send inside a transaction");
		return STORE_ERROR;
	}
	if ((rc = store_ready(st)) != STORE_OK)
		return rc;
	if (!PQsendQueryParams(st->conn, sql, nparams, NULL, values, NULL,
	    NULL, 0))
		return store_finish(st, NULL, PGRES_TUPLES_OK, NULL);
	return STORE_OK;
}

int
store_socket(const struct store *st)
{
	return st->conn != NULL ? PQsocket(st->conn) : -1;
}

int
store_receive(struct store *st, ExecStatusType expect, PGresult **res,
    int *done)
{
	PGresult *r, *extra;

	*done = 0;
	if (res != NULL)
		*res = NULL;
	if (!PQconsumeInput(st->conn)) {
		*done = 1;
		st->peer_gone = 1;
		return store_finish(st, NULL, expect, res);
	}
	store_collect_notes(st);
	if (PQisBusy(st->conn))
		return STORE_OK;
	*done = 1;
	r = PQgetResult(st->conn);
	/* One statement, one result: the NULL after it ends the exchange. */
	while ((extra = PQgetResult(st->conn)) != NULL)
		PQclear(extra);
	return store_finish(st, r, expect, res);
}

/*
 * LISTEN on the current session. A channel name is an identifier, not a
 * value, so it cannot be a parameter: it is quoted by libpq instead.
 */
static int
store_listen_one(struct store *st, const char *channel)
{
	char *id = PQescapeIdentifier(st->conn, channel, strlen(channel));
	char sql[160];
	int rc;

	if (id == NULL) {
		store_seterr(st, NULL, "cannot quote channel %s: %s", channel,
		    PQerrorMessage(st->conn));
		return STORE_ERROR;
	}
	snprintf(sql, sizeof sql, "LISTEN %s", id);
	PQfreemem(id);
	rc = store_finish(st, PQexecParams(st->conn, sql, 0, NULL, NULL, NULL,
	    NULL, 0), PGRES_COMMAND_OK, NULL);
	store_collect_notes(st);
	return rc;
}

int
store_listen(struct store *st, const char *channel)
{
	int rc;

	if (strlen(channel) > 63 || st->nchannels == STORE_CHANNELS_MAX) {
		store_seterr(st, NULL, "cannot listen to channel %s", channel);
		return STORE_ERROR;
	}
	for (size_t i = 0; i < st->nchannels; i++)
		if (strcmp(st->channels[i], channel) == 0)
			return STORE_OK;
	if ((rc = store_ready(st)) != STORE_OK)
		return rc;
	if ((rc = store_listen_one(st, channel)) != STORE_OK)
		return rc;
	st->channels[st->nchannels++] = xstrdup(channel);
	return STORE_OK;
}

int
store_notifications(struct store *st, store_notify_fn *fn, void *arg)
{
	int lost;

	/* A dead connection may have missed anything: say so. */
	if (store_conn_dead(st))
		st->notes_lost = 1;
	for (size_t i = 0; i < st->nnotes; i++) {
		fn(st->notes[i].channel, st->notes[i].payload, arg);
		free(st->notes[i].channel);
		free(st->notes[i].payload);
	}
	st->nnotes = 0;
	lost = st->notes_lost;
	st->notes_lost = 0;
	return lost;
}

int
store_query_prepared(struct store *st, const char *name, const char *sql,
    int nparams, const char *const *params, PGresult **res)
{
	size_t i;
	int rc;

	*res = NULL;
	if ((rc = store_ready(st)) != STORE_OK)
		return rc;
	for (i = 0; i < st->nprepared; i++)
		if (strcmp(st->prepared[i], name) == 0)
			break;
	if (i == st->nprepared) {
		/* Too many names: run unprepared rather than fail. */
		if (st->nprepared == STORE_PREPARED_MAX)
			return store_query(st, sql, nparams, params, res);
		rc = store_finish(st, PQprepare(st->conn, name, sql, nparams,
		    NULL), PGRES_COMMAND_OK, NULL);
		if (rc != STORE_OK)
			return rc;
		st->prepared[st->nprepared++] = xstrdup(name);
	}
	rc = store_finish(st, PQexecPrepared(st->conn, name, nparams, params,
	    NULL, NULL, 0), PGRES_TUPLES_OK, res);
	store_collect_notes(st);
	return rc;
}

/*
 * A migration: many statements and no values, which PQexecParams cannot
 * run (it takes one statement). The only use of PQexec; the text is
 * compiled in, never built from input.
 */
static int
store_script(struct store *st, const char *sql)
{
	PGresult *res;
	int rc;

	if ((rc = store_ready(st)) != STORE_OK)
		return rc;
	res = PQexec(st->conn, sql);
	/* A script may end with a query as well as with a command. */
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		PQclear(res);
		return STORE_OK;
	}
	return store_finish(st, res, PGRES_COMMAND_OK, NULL);
}

int
store_cmd(struct store *st, const char *sql, int nparams,
    const char *const *params, long long *affected)
{
	PGresult *res;
	int rc;

	rc = store_exec(st, sql, nparams, params, NULL, NULL, 0,
	    PGRES_COMMAND_OK, &res);
	if (rc != STORE_OK)
		return rc;
	if (affected != NULL)
		*affected = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return STORE_OK;
}

int
store_query(struct store *st, const char *sql, int nparams,
    const char *const *params, PGresult **res)
{
	return store_exec(st, sql, nparams, params, NULL, NULL, 0,
	    PGRES_TUPLES_OK, res);
}

int
store_scalar(struct store *st, const char *sql, int nparams,
    const char *const *params, char **value)
{
	PGresult *res;
	int rc;

	*value = NULL;
	if ((rc = store_query(st, sql, nparams, params, &res)) != STORE_OK)
		return rc;
	/* More than one row or column is a bug in the caller's SQL. */
	if (PQnfields(res) != 1 || PQntuples(res) > 1) {
		store_seterr(st, NULL, "scalar query returned %d rows of %d "
		    "columns", PQntuples(res), PQnfields(res));
		PQclear(res);
		return STORE_ERROR;
	}
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		*value = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return STORE_OK;
}

int
store_scalar_int(struct store *st, const char *sql, int nparams,
    const char *const *params, long long *value)
{
	char *text, *end;
	int rc;

	*value = 0;
	if ((rc = store_scalar(st, sql, nparams, params, &text)) != STORE_OK)
		return rc;
	if (text == NULL) {
		store_seterr(st, NULL, "integer query returned no value");
		return STORE_ERROR;
	}
	errno = 0;
	*value = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0') {
		store_seterr(st, NULL, "integer query returned \"%.40s\"", text);
		free(text);
		*value = 0;
		return STORE_ERROR;
	}
	free(text);
	return STORE_OK;
}

int
store_begin(struct store *st)
{
	int rc;

	if (st->in_tx) {
		store_seterr(st, NULL, "BEGIN inside a transaction");
		return STORE_ERROR;
	}
	if ((rc = store_cmd(st, "BEGIN", 0, NULL, NULL)) == STORE_OK)
		st->in_tx = 1;
	return rc;
}

int
store_commit(struct store *st)
{
	PGresult *res;
	int rc;

	if (!st->in_tx) {
		store_seterr(st, NULL, "COMMIT outside a transaction");
		return STORE_ERROR;
	}
	rc = store_exec(st, "COMMIT", 0, NULL, NULL, NULL, 0,
	    PGRES_COMMAND_OK, &res);
	st->in_tx = 0;
	st->tx_lost = 0;
	if (rc != STORE_OK)
		return rc;
	/* After an error the server answers COMMIT with ROLLBACK. */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		store_seterr(st, NULL, "the transaction was rolled back after "
		    "an error");
		rc = STORE_ERROR;
	}
	PQclear(res);
	return rc;
}

int
store_rollback(struct store *st)
{
	int rc = STORE_OK;

	if (st->in_tx && !st->tx_lost) {
		rc = store_cmd(st, "ROLLBACK", 0, NULL, NULL);
		/* A session that ended took its transaction with it. */
		if (st->tx_lost)
			rc = STORE_OK;
	}
	st->in_tx = 0;
	st->tx_lost = 0;
	return rc;
}

int
store_schema_latest(void)
{
	if (store_migrations_count == 0)
		return 0;
	return store_migrations[store_migrations_count - 1].version;
}

int
store_schema_version(struct store *st, int *version)
{
	long long exists, v;
	int rc;

	*version = 0;
	rc = store_scalar_int(st, "SELECT (to_regclass('schema_version') "
	    "IS NOT NULL)::int", 0, NULL, &exists);
	if (rc != STORE_OK || !exists)
		return rc;
	rc = store_scalar_int(st, "SELECT coalesce(max(version), 0) "
	    "FROM schema_version", 0, NULL, &v);
	if (rc == STORE_OK)
		*version = (int)v;
	return rc;
}

/*
 * One migration in one transaction. The advisory lock is taken inside the
 * transaction, so it cannot outlive it nor be lost to a silent reconnect,
 * and the version is read again under it: a host that waited for another
 * finds the work done.
 */
static int
store_apply(struct store *st, const struct store_migration *m, int *done)
{
	char ver[16];
	const char *params[2] = { ver, m->name };
	long long current;
	char *ignored;
	int rc;

	*done = 0;
	snprintf(ver, sizeof ver, "%d", m->version);
	if ((rc = store_begin(st)) != STORE_OK)
		return rc;
	rc = store_scalar(st, "SELECT pg_advisory_xact_lock(" STORE_MIGRATE_LOCK
	    ")", 0, NULL, &ignored);
	free(ignored);
	if (rc != STORE_OK)
		goto fail;
	rc = store_cmd(st, "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version integer PRIMARY KEY CHECK (version > 0), "
	    "name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL, NULL);
	if (rc != STORE_OK)
		goto fail;
	rc = store_scalar_int(st, "SELECT coalesce(max(version), 0) "
	    "FROM schema_version", 0, NULL, &current);
	if (rc != STORE_OK)
		goto fail;
	if (current >= m->version)
		return store_commit(st);
	log_debug("store: applying migration %04d_%s", m->version, m->name);
	if ((rc = store_script(st, m->sql)) != STORE_OK)
		goto fail;
	rc = store_cmd(st, "INSERT INTO schema_version (version, name) "
	    "VALUES ($1, $2)", 2, params, NULL);
	if (rc != STORE_OK)
		goto fail;
	if ((rc = store_commit(st)) == STORE_OK)
		*done = 1;
	return rc;
fail:
	store_rollback(st);
	return rc;
}

int
store_migrate(struct store *st, store_migrate_fn *applied, void *arg)
{
	int version, prev = 0, done, rc;

	if ((rc = store_schema_version(st, &version)) != STORE_OK)
		return rc;
	for (size_t i = 0; i < store_migrations_count; i++) {
		const struct store_migration *m = &store_migrations[i];

		/* The embedding script checks this; a hand-made table might not. */
		if (m->version <= prev) {
			store_seterr(st, NULL, "migration %04d_%s is out of order",
			    m->version, m->name);
			return STORE_ERROR;
		}
		prev = m->version;
		if (m->version <= version)
			continue;
		if ((rc = store_apply(st, m, &done)) != STORE_OK)
			return rc;
		if (done && applied != NULL)
			applied(m, arg);
	}
	return STORE_OK;
}

int
store_open_current(const char *conninfo, const char *program,
    struct store **out)
{
	int version = 0, rc;

	rc = store_open(conninfo, program, out);
	if (rc == STORE_OK)
		rc = store_schema_version(*out, &version);
	if (rc == STORE_OK && version < store_schema_latest()) {
		log_error("the database schema is at version %d, this program "
		    "needs %d: run 'herald db migrate'", version,
		    store_schema_latest());
		rc = STORE_ERROR;
	}
	if (rc != STORE_OK) {
		store_close(*out);
		*out = NULL;
	}
	return rc;
}

void
store_copy_value(char *dst, size_t size, const PGresult *res, int row, int col)
{
	snprintf(dst, size, "%s", PQgetisnull(res, row, col) ? "" :
	    PQgetvalue(res, row, col));
}
