/*
 * store - the PostgreSQL database that Herald's hosts share.
 *
 * One struct store is one libpq connection. Every statement with values
 * goes through PQexecParams: values never become SQL text. Functions return
 * STORE_OK, or one of two failures the caller maps to an exit status:
 *
 *   STORE_TEMP   a retry can fix it: the server cannot be reached, the
 *                connection dropped, a deadlock, a serialization failure,
 *                a shutdown, a timeout (callers exit EX_TEMPFAIL);
 *   STORE_ERROR  it will fail again: a constraint, a bad value, a bug.
 *
 * Nothing here exits; each failure is logged once through log.h, and its
 * text and SQLSTATE stay readable until the next statement.
 *
 * Reconnection: a connection found dead before a statement is sent (the
 * server was restarted, an administrator ended the session) is
 * re-established once, and the statement runs on the new connection.
 * Inside a transaction that is an error instead: the transaction is lost,
 * every further statement fails with STORE_TEMP until store_rollback().
 * A connection that drops while a statement runs fails that statement with
 * STORE_TEMP (whether it committed is unknown, so it is not re-sent); the
 * next statement reconnects.
 */
#ifndef HERALD_STORE_H
#define HERALD_STORE_H

#include <stddef.h>

#include <libpq-fe.h>

#define STORE_OK	0
#define STORE_ERROR	(-1)
#define STORE_TEMP	(-2)

/* The number of elements of a parameter array, for the nparams arguments. */
#define STORE_NPARAMS(a)	((int)(sizeof(a) / sizeof((a)[0])))

struct store;

/*
 * Connect. appname shows in pg_stat_activity unless conninfo names one.
 * A conninfo that does not parse is STORE_ERROR; a server that cannot be
 * reached (or refuses the login) is STORE_TEMP. *stp is NULL on failure.
 */
int	store_open(const char *conninfo, const char *appname, struct store **stp);
void	store_close(struct store *st);

/* The text and SQLSTATE of the last failure ("" when none). */
const char *store_error(const struct store *st);
const char *store_sqlstate(const struct store *st);

/*
 * The general form, PQexecParams itself: lengths and formats may be NULL
 * (all text); result_format 1 asks for binary results. The result must
 * have status expect; then *res (if res is not NULL) holds it for the
 * caller to PQclear(), else *res is NULL.
 */
int	store_exec(struct store *st, const char *sql, int nparams,
	    const char *const *values, const int *lengths, const int *formats,
	    int result_format, ExecStatusType expect, PGresult **res);
/* A command with text parameters; *affected (may be NULL) gets the row count. */
int	store_cmd(struct store *st, const char *sql, int nparams,
	    const char *const *params, long long *affected);
/* A query with text parameters; the caller PQclear()s *res. */
int	store_query(struct store *st, const char *sql, int nparams,
	    const char *const *params, PGresult **res);
/*
 * A query that returns one column and at most one row. *value is a copy
 * of the text (free it), or NULL for no row or an SQL NULL.
 */
int	store_scalar(struct store *st, const char *sql, int nparams,
	    const char *const *params, char **value);
/* The same for an integer; no row, NULL or non-numbers are STORE_ERROR. */
int	store_scalar_int(struct store *st, const char *sql, int nparams,
	    const char *const *params, long long *value);

/*
 * A query by a prepared statement: prepared on first use under name (a
 * constant per SQL text) and again after a reconnect. For the statements
 * a daemon runs once per message, where planning is most of the cost.
 */
int	store_query_prepared(struct store *st, const char *name,
	    const char *sql, int nparams, const char *const *params,
	    PGresult **res);

/*
 * One statement at a time without waiting, outside transactions, for a
 * daemon whose event loop must go on meanwhile: store_send() sends it
 * (after the reconnect store_exec() would do); when store_socket() is
 * readable, store_receive() reads what came and sets *done once the
 * result is complete, returning what store_exec() would have (expect,
 * *res). No other statement may be run on the store in between.
 */
int	store_send(struct store *st, const char *sql, int nparams,
	    const char *const *values);
int	store_socket(const struct store *st);
int	store_receive(struct store *st, ExecStatusType expect, PGresult **res,
	    int *done);

/*
 * Notifications (LISTEN/NOTIFY). store_listen() subscribes the session to
 * a channel, and again after every reconnect. store_notifications() hands
 * over, without a round trip, what the server has sent since the last
 * call, and returns 1 when some may have been missed (the connection is or
 * was dead, or too many were waiting): a caller that caches what the
 * notifications invalidate must then drop its whole cache. Returns 0
 * otherwise. One consumer per store.
 */
typedef void store_notify_fn(const char *channel, const char *payload,
	    void *arg);
int	store_listen(struct store *st, const char *channel);
int	store_notifications(struct store *st, store_notify_fn *fn, void *arg);

/*
 * Transactions. store_commit() fails (STORE_ERROR) when the server rolled
 * back instead, after an error inside the transaction. store_rollback()
 * always ends the transaction on our side, even without a connection.
 */
int	store_begin(struct store *st);
int	store_commit(struct store *st);
int	store_rollback(struct store *st);
int	store_in_transaction(const struct store *st);

/* Row row, column col of res into dst (size bytes, cut to fit); "" for NULL. */
void	store_copy_value(char *dst, size_t size, const PGresult *res, int row,
	    int col);
/*
 * For functions that join the caller's transaction when one is open and
 * run in their own otherwise: store_join() begins one only if needed
 * (*own says which); store_unjoin() ends ours - commit when rc is
 * STORE_OK, else roll back - and returns the outcome. With the caller's
 * transaction it only returns rc.
 */
int	store_join(struct store *st, int *own);
int	store_unjoin(struct store *st, int own, int rc);

/*
 * Schema migrations, compiled in from lib/migrations/NNNN_name.sql by
 * scripts/embed-migrations.sh, in ascending version order.
 */
struct store_migration {
	int		 version;	/* NNNN */
	const char	*name;		/* name */
	const char	*sql;		/* the file */
};

extern const struct store_migration store_migrations[];
extern const size_t store_migrations_count;

/* The version this program knows: the last migration's, or 0. */
int	store_schema_latest(void);
/* The database's version: 0 for an empty database. */
int	store_schema_version(struct store *st, int *version);
/*
 * A daemon's connection: store_open(), then its schema must be at least
 * this program's (logged when not: "run herald db migrate"). STORE_OK,
 * STORE_TEMP (the server cannot be reached: try later), or STORE_ERROR
 * (*out closed and NULL).
 */
int	store_open_current(const char *conninfo, const char *program,
	    struct store **out);

typedef void store_migrate_fn(const struct store_migration *m, void *arg);

/*
 * Apply, in order, each migration above the database's version, each in
 * its own transaction under an advisory lock (hosts migrating at once
 * wait for each other, and then find nothing to do). applied (may be NULL)
 * is called after each commit.
 */
int	store_migrate(struct store *st, store_migrate_fn *applied, void *arg);

#endif
