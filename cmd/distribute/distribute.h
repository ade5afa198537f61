/*
 * distribute - what the parts of the daemon share: the daemon's context
 * (configuration, database, spools, lists) and the message in hand.
 *
 * distribute.c	the life of the daemon: options, setup, the spool loop,
 *		signals, the fate of each entry
 * post.c	a message to a list address: checks, spam, the send scenario
 * deliver.c	an accepted post: transformations, archive copy, DKIM, the
 *		bulk job written in one transaction
 * sign.c	the DKIM key of a list or the site, and the signature
 * held.c	moderation and confirmation: holding, keys, DISTRIBUTE,
 *		REJECT, CONFIRM
 * service.c	the other addresses (-editor, -owner, listmaster) and the
 *		notices distribute sends
 * robot*.c	the mail command processor: the robot address, -request,
 *		-subscribe, -unsubscribe (robot.h)
 */
#ifndef HERALD_DISTRIBUTE_H
#define HERALD_DISTRIBUTE_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "hold.h"
#include "listreg.h"
#include "msg.h"
#include "packet.h"
#include "route.h"
#include "scenario.h"
#include "spool.h"
#include "store.h"

#define DIST_PROGRAM	"distribute"
#define DIST_ADDR_MAX	256	/* an address we keep */

struct catalog;
struct listconf;
struct dkim_verifier;
struct dmarc_resolver;
struct event_base;

struct dist {
	const char	*cfpath;	/* NULL: the default */
	struct config	*cf;
	struct store	*st;
	struct spool	 msg, moderation, auth, archive, digest;
	struct listreg	*lists;
	struct scenario_store *ss;
	struct packet_domains *by_domain;
	struct packet_limits limits;
	struct route_config rcfg;
	struct dkim_verifier *dkim;	/* incoming signatures */
	struct event_base *evbase;	/* DMARC lookups */
	struct dmarc_resolver *dmarc;
	const char	*dkim_keyfile;	/* tests: keys instead of DNS (-K) */
	struct catalog	*cat;		/* the robot's texts */
};

/* What becomes of the entry in hand. */
enum dist_fate {
	DIST_DONE,	/* handled: remove the entry */
	DIST_BAD,	/* cannot be handled: into bad/ with the reason */
	DIST_RETRY,	/* a temporary failure: back to new/, later */
	DIST_KEPT	/* already moved elsewhere (held): nothing to do */
};

/* A message in hand, read from a spool entry. */
struct inmsg {
	struct spool_entry *e;
	const char	*id;		/* the entry's name */
	struct buf	 data;		/* the message bytes */
	struct msg	*m;
	struct route	 route;		/* from the envelope recipient */
	char		 rcpt[DIST_ADDR_MAX];	/* envelope recipient, lower case */
	char		 env_sender[DIST_ADDR_MAX];	/* "" for <> */
	char		 from[DIST_ADDR_MAX];	/* the author, lower case; "" if none */
	char		 message_id[1000];	/* without <>; "" if none */
	char		 subject[256];	/* decoded, one line, cut */
	const char	*spam;		/* spam, ham, unsure, reject, unknown */
	int		 is_spam;
	/* Of the list, for list addresses. */
	const struct listreg_entry *le;
	char		 list_id[24];
	char		 list_status[16];
	enum scenario_auth auth;
	int		 validated;	/* released by a moderator */
	const struct hold *released;	/* its key, deleted with the job */
	char		 why[512];	/* the reason of DIST_BAD / DIST_RETRY */
};

enum dist_fate	dist_fail(struct inmsg *im, enum dist_fate f, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* DIST_RETRY for STORE_TEMP, DIST_BAD otherwise, with the store's error. */
enum dist_fate	dist_store_fail(struct dist *d, struct inmsg *im, int rc,
	    const char *what);

/* post.c */
/* Message-ID, author, subject, envelope and spam status of im. */
void		post_identify(struct dist *d, struct inmsg *im);
enum dist_fate	post_handle(struct dist *d, struct inmsg *im);
/* dkim when a verified signature aligns with the author's domain, else smtp. */
enum scenario_auth post_authenticate(struct dist *d, struct inmsg *im);
/*
 * The decision of a list's scenario for function (its name is the list's
 * parameter value): ctx's request fields (sender, email, auth, msg,
 * spam_status) are the caller's; the list, its domain configuration, the
 * membership oracle and the search path (family included) are set here.
 * le and list NULL: a scenario of the domain (global_remind).
 */
void		dist_scenario(struct dist *d, const struct listreg_entry *le,
	    const char *list, const char *domain, const char *function,
	    const char *value, struct scenario_ctx *ctx,
	    struct scenario_result *res);
/* The send scenario's decision for im, and what to do with it. */
enum dist_fate	post_authorize(struct dist *d, struct inmsg *im);
/* The list of im->route, its id and status; 0, or a fate on failure. */
int		post_find_list(struct dist *d, struct inmsg *im, enum dist_fate *f);

/* deliver.c: im->released, if set, is deleted with the job. */
enum dist_fate	deliver_post(struct dist *d, struct inmsg *im);

/* held.c */
struct robot_run;
enum dist_fate	held_put(struct dist *d, struct inmsg *im, enum hold_kind kind);
/*
 * Write h and the notice about it (a bulk job to rcpts) in one
 * transaction, then move im's entry into the spool of h's kind.
 */
enum dist_fate	held_store(struct dist *d, struct inmsg *im,
	    const struct hold *h, const struct buf *notice,
	    const char *const *rcpts, size_t n);
enum held_outcome {
	HELD_NOKEY,		/* no such key (expired, used, never given) */
	HELD_OTHER_LIST,	/* the key is another list's */
	HELD_BUSY,		/* being handled already */
	HELD_DAMAGED,		/* unreadable: kept in bad/ */
	HELD_DONE,		/* distributed, rejected, or its commands run */
	HELD_MODERATED,		/* confirmed, now waits for the moderators */
	HELD_REFUSED,		/* refused: reason */
	HELD_RETRY,		/* a temporary failure: the command again */
	HELD_ERROR		/* the database refused */
};
struct held_result {
	enum held_outcome outcome;
	struct hold	 h;
	char		 reason[512];
};
/*
 * DISTRIBUTE, REJECT or CONFIRM key from the command message r holds;
 * list, when not NULL, must be the key's list.
 */
enum held_outcome held_command(struct dist *d, struct robot_run *r,
	    const char *verb, const char *key, const char *list,
	    struct held_result *res);
/* Move the held entries whose key is gone to bad/ (held.c). */
void		held_sweep(struct dist *d);
/* robot.c: run a held command message that its CONFIRM released. */
enum dist_fate	robot_release(struct robot_run *r, struct inmsg *held,
	    const struct hold *h);

/* sign.c: who signs (key NULL: nobody), as bulk needs it to sign again. */
struct signing {
	const char	*key, *domain, *selector, *identity;
};
/*
 * The list's DKIM parameters (lc NULL: the site's alone), domain the d=
 * when none is set; 0, with sg cleared, when a key or selector is missing.
 */
int		dist_signing(struct dist *d, const struct listconf *lc,
	    const char *domain, struct signing *sg);
/* Put a DKIM-Signature made with sg in front of msg. 0, or -1 with err. */
int		dist_sign(const struct signing *sg, struct buf *msg,
	    struct buf *err);

/* The notices distribute sends (service.c composes them). */
enum dist_notice {
	DN_NO_SUCH_LIST,	/* to the sender */
	DN_LIST_CLOSED,
	DN_TOO_BIG,
	DN_REJECTED,		/* arg: the scenario's reason */
	DN_HELD,		/* held for moderation */
	DN_AUTH_REQUEST,	/* arg: the key: confirm by CONFIRM key */
	DN_MODERATE,		/* to the moderators; arg: the key */
	DN_REJECTED_BY_MODERATOR
};

/* service.c */
/* Compose notice kind about im (arg as above) into out. 0 or -1. */
int		service_compose(struct dist *d, const struct inmsg *im,
	    enum dist_notice kind, const char *arg, const char *to,
	    struct buf *out);
/*
 * A notice to im's author, unless that would be backscatter (an
 * automaton, the null sender, spam). Failures are logged: a reply is
 * never worth losing the message for.
 */
void		service_reply(struct dist *d, struct inmsg *im,
	    enum dist_notice kind, const char *arg);
/* Forward im unchanged to the list's owners ("owner") or the listmasters. */
enum dist_fate	service_forward(struct dist *d, struct inmsg *im, const char *to);
enum dist_fate	service_handle(struct dist *d, struct inmsg *im);
/*
 * A notice or reply as a bulk job to rcpts; suffix makes its job id.
 * merge_nonce (NULL: none) is the word of the merge tokens the message
 * holds, filled per recipient by bulk (lib/transform.h).
 */
int		service_send(struct dist *d, struct inmsg *im, const char *suffix,
	    const char *kind, const struct buf *message, const char *return_path,
	    const char *const *rcpts, size_t n, const char *merge_nonce);
/* The owners (role "owner") or editors of the list, else the owners, else listmasters. */
int		service_admins(struct dist *d, const char *list_id, const char *role,
	    char ***rcpts, size_t *n);
void		service_add_rcpt(char ***rcpts, size_t *n, const char *a);
void		service_free_rcpts(char **rcpts, size_t n);
/* May this sender get an automatic reply (not an automaton, not spam)? */
int		service_may_reply(struct dist *d, const struct inmsg *im);
/*
 * Whether a message comes from an automaton or went round (any sign of
 * lib/autoreply, Precedence and role senders included): commands from it
 * are not carried out. why: the first sign.
 */
int		service_automaton(struct dist *d, const struct inmsg *im,
	    const char **why);
/* Whether a post must be dropped as a loop or an automaton's; why set. */
int		service_is_loop(struct dist *d, const struct inmsg *im,
	    const char **why);

#endif
