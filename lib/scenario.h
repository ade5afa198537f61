/*
 * scenario - Sympa's authorization scenarios: parse, find, evaluate.
 *
 * A scenario file <function>.<name> (send.private, subscribe.owner...) is
 * a list of rules "condition auth_methods -> action". Evaluating one for a
 * request (a sender, a list, an auth method, maybe a message) gives the
 * action of the first rule whose condition holds and whose method list
 * holds the request's method. Anything that goes wrong - no file, a file
 * that does not compile, no rule matching, a condition that cannot be
 * evaluated - gives reject: the engine fails closed, with the reason in
 * the result and in the log.
 *
 * The engine needs no database: membership (is_subscriber, is_owner,
 * is_editor, is_listmaster) and the [user->]/[subscriber->] fields are
 * asked of a struct scenario_members the caller provides.
 * scenario_store_new() gives one over PostgreSQL.
 *
 * Files are found on a search path (scenario_path_*): family dir, list
 * dir, domain dir, site dir, Herald's defaults; the first readable file
 * wins. Compiled files are cached per path, shared by every list using
 * them, and reloaded when the file changes (inode, size or mtime). The
 * cache is per process and not thread-safe (Herald's programs are
 * single-threaded).
 *
 * See herald-scenario(5) for the language.
 */
#ifndef HERALD_SCENARIO_H
#define HERALD_SCENARIO_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

struct config;
struct listconf;
struct msg;
struct store;

/* Limits: a file over them does not compile (and so rejects). */
#define SCENARIO_LINE_MAX	4096	/* bytes per line */
#define SCENARIO_FILE_MAX	(256 * 1024)	/* bytes per file */
#define SCENARIO_RULES_MAX	1024	/* rules per file, includes expanded */
#define SCENARIO_INCLUDE_DEPTH	8	/* nested include() */
#define SCENARIO_ARGS_MAX	8	/* arguments of a condition */
#define SCENARIO_REGEX_MAX	1024	/* bytes of a regex */
#define SCENARIO_PATH_DIRS	8	/* directories on a search path */
#define SCENARIO_TEXT_MAX	256	/* reason, tt2, origin strings */

/* Authentication methods; a rule holds a set of them (bits). */
enum scenario_auth {
	SCENARIO_AUTH_SMTP,	/* none: the From is trusted */
	SCENARIO_AUTH_DKIM,	/* a verified DKIM signature of the sender's domain */
	SCENARIO_AUTH_MD5,	/* confirmed by key (AUTH/CONFIRM) or web login */
	SCENARIO_AUTH_SMIME,	/* a valid S/MIME signature by the sender */
	SCENARIO_AUTH_PGP,	/* parsed, never produced */
	SCENARIO_AUTH_COUNT
};
#define SCENARIO_AUTH_BIT(a)	(1u << (a))

enum scenario_action {
	SCENARIO_REJECT,
	SCENARIO_DO_IT,
	SCENARIO_REQUEST_AUTH,
	SCENARIO_OWNER,
	SCENARIO_EDITOR,
	SCENARIO_EDITORKEY,
	SCENARIO_LISTMASTER,
	SCENARIO_SPAM,		/* spam_status only */
	SCENARIO_HAM,
	SCENARIO_UNSURE,
	SCENARIO_ACTION_COUNT
};

/* Membership questions, each answered 1 (yes), 0 (no) or -1 (error). */
enum scenario_role {
	SCENARIO_ROLE_SUBSCRIBER,	/* email is a member of the list */
	SCENARIO_ROLE_OWNER,		/* email is an owner (not listmasters) */
	SCENARIO_ROLE_EDITOR,		/* email is an editor (no fallback) */
	SCENARIO_ROLE_HAS_EDITORS,	/* the list has any editor (email NULL) */
	SCENARIO_ROLE_LISTMASTER	/* email is a listmaster (list NULL) */
};

/*
 * The membership oracle. email is lower-case; list/domain name the list
 * (the current one or another named in the condition). The engine does
 * the Sympa folds itself: is_owner = OWNER or LISTMASTER, is_editor =
 * EDITOR, or OWNER when not HAS_EDITORS. field may be NULL: [user->k] and
 * [subscriber->k] are then empty. field appends the value to out and
 * returns 1, or 0 if there is none, or -1 on error; ns is "user" or
 * "subscriber".
 */
struct scenario_members {
	int	(*role)(void *arg, enum scenario_role role, const char *list,
		    const char *domain, const char *email);
	int	(*field)(void *arg, const char *ns, const char *list,
		    const char *domain, const char *email, const char *key,
		    struct buf *out);
	void	*arg;
};

/*
 * What a request is. The caller fills what it knows; NULL means "not
 * known" and gives Sympa's defaults ([sender] "nobody", [email] =
 * [sender], empty strings elsewhere).
 */
struct scenario_ctx {
	const char	*sender;	/* the requester's address */
	const char	*email;		/* the target of the operation */
	const char	*listname;	/* NULL in a domain context */
	const char	*domain;	/* the list's or the robot's domain */
	enum scenario_auth auth;
	const struct msg *msg;		/* NULL: no message */
	const char	*spam_status;	/* [msg->spam_status]: spam|ham|unsure */
	const char	*msg_encrypted;	/* [msg_encrypted]: "smime" or NULL */
	const char	*topic;		/* [topic] */
	const char	*remote_addr;	/* for verify_netmask; NULL: false */
	const char *const *env;		/* [env->X]: "X=value", NULL-ended */
	const char *const *vars;	/* other [word]s: "word=value", NULL-ended */
	const struct config *conf;	/* [conf->X]; NULL: empty */
	const struct listconf *list;	/* [list->X], [custom_vars->X] */
	const struct scenario_members *members;	/* NULL: no one is anything */
	const struct scenario_path *path;	/* search() filters; NULL: none */
	time_t		 now;		/* 0: time(NULL) */
};

/* The decision. */
struct scenario_result {
	enum scenario_action action;
	int		 quiet;		/* ,quiet */
	int		 notify;	/* ,notify */
	int		 auth_email;	/* request_auth([email]) */
	char		 reason[SCENARIO_TEXT_MAX];	/* reject(reason=...) */
	char		 tt2[SCENARIO_TEXT_MAX];	/* reject(tt2=...) */
	/* "file:line" of the rule, or why nothing did ("no rule matched",
	 * "file: not compiled: ..."). */
	char		 origin[SCENARIO_TEXT_MAX * 2];
	int		 line;		/* the rule's line, 0 if none */
	int		 failed;	/* 1: reject because of an error */
};

/* A compiled scenario file; immutable, shared, reference-counted. */
struct scenario;

/* Search path. */
struct scenario_path {
	const char	*dirs[SCENARIO_PATH_DIRS];	/* caller's strings */
	size_t		 ndirs;
};

/*
 * Herald's default scenarios directory: what scenario_set_default_dir()
 * set, else $HERALD_SCENARIODIR (tests, uninstalled trees: the source's
 * scenarios/), else the compiled-in HERALD_SCENARIODIR
 * ($(PREFIX)/share/herald/scenarios). The string is copied.
 */
const char *scenario_default_dir(void);
void	scenario_set_default_dir(const char *dir);

/* Empty a path; append one directory (NULL/"" ignored). 0 or -1 if full. */
void	scenario_path_init(struct scenario_path *p);
int	scenario_path_add(struct scenario_path *p, const char *dir);

/*
 * The standard path, in this order: family_dir (if not NULL), the list's
 * <lists_directory>/<domain>/<list>/scenarios (if list not NULL),
 * <lists_directory>/<domain>/scenarios (if domain not NULL),
 * <state_directory>/scenarios, scenario_default_dir(). The strings are
 * kept in store, which must outlive p (buf limit: 4 KiB). 0 or -1.
 */
int	scenario_path_std(struct scenario_path *p, struct buf *store,
	    const struct config *cf, const char *domain, const char *list,
	    const char *family_dir);

/*
 * Parse text (len bytes) named origin (for messages). include lines are
 * resolved on path (NULL: only in origin's directory). NULL with
 * "file:line: what" in err on any error.
 */
struct scenario *scenario_parse(const char *origin, const char *text,
	    size_t len, const struct scenario_path *path, struct buf *err);
/* Read and parse one file (not cached). NULL with the reason in err. */
struct scenario *scenario_load(const char *file,
	    const struct scenario_path *path, struct buf *err);
struct scenario *scenario_ref(struct scenario *sc);
void	scenario_unref(struct scenario *sc);

const char *scenario_file(const struct scenario *sc);
size_t	scenario_nrules(const struct scenario *sc);
/* title.<lang>, then the plain title, else NULL (lang NULL: plain). */
const char *scenario_title(const struct scenario *sc, const char *lang);

/*
 * Find <function>.<name> on path, through the cache. Returns a reference
 * (scenario_unref() it) or NULL: err then says why (not found, or
 * "file:line: what"). file, if not NULL, gets the path that was used
 * (or the first one tried).
 */
struct scenario *scenario_find(const struct scenario_path *path,
	    const char *function, const char *name, struct buf *file,
	    struct buf *err);
/* Drop every cached scenario no one holds. */
void	scenario_cache_flush(void);

/*
 * Evaluate. Always fills res; returns 0 when a rule decided, -1 when the
 * result is the fail-closed reject (no rule matched, an error; logged).
 * sc NULL is a missing scenario: reject.
 */
int	scenario_eval(const struct scenario *sc, const struct scenario_ctx *ctx,
	    struct scenario_result *res);

/* find + eval: a missing or broken file rejects. Returns as scenario_eval. */
int	scenario_decide(const struct scenario_path *path, const char *function,
	    const char *name, const struct scenario_ctx *ctx,
	    struct scenario_result *res);

/*
 * The file name part of a list parameter's value: Sympa's old names
 * (visibility public, subscribe authdkim...) mapped to today's, commas
 * (Sympa 5 "send: privateoreditorkey,x") made underscores.
 */
void	scenario_name_canonical(const char *function, const char *value,
	    struct buf *out);

/*
 * The spam status of an incoming message: spam_status.<name> (the site's
 * spam_status parameter) found on domain_path, which must hold no list
 * directory, evaluated with only the message. Returns "spam", "ham",
 * "unsure", "reject" (no rule matched) or "unknown" (no usable file);
 * only "spam" is special anywhere. res says which rule decided.
 */
const char *scenario_spam_status(const struct scenario_path *domain_path,
	    const char *name, const char *domain, const struct msg *m,
	    const struct config *conf, struct scenario_result *res);

/* Names: "do_it", "smtp"; parse returns -1 for an unknown name. */
const char *scenario_action_name(enum scenario_action a);
const char *scenario_auth_name(enum scenario_auth a);
int	scenario_auth_parse(const char *name);
/* "do_it,quiet" / "reject(reason='x')" into out. 0 or -1. */
int	scenario_result_format(const struct scenario_result *res,
	    struct buf *out);

/*
 * The PostgreSQL oracle: one indexed query per question; the answers are
 * kept across requests and dropped when the database announces a change
 * of the list (LISTEN herald_roster, see scenario_store.c). Call
 * scenario_store_reset() before each request: it applies the
 * announcements received so far, without a round trip.
 * listmasters are the site's listmaster addresses (config "listmaster",
 * comma-separated).
 */
struct scenario_store;
struct scenario_store *scenario_store_new(struct store *st,
	    const struct config *cf);
void	scenario_store_free(struct scenario_store *ss);
void	scenario_store_reset(struct scenario_store *ss);
const struct scenario_members *scenario_store_members(struct scenario_store *ss);

#endif
