/*
 * robot - the mail command processor: what distribute does with a message
 * to the robot address, to list-request (Smartlist subjects), to
 * list-subscribe and list-unsubscribe. herald-commands(7) is its manual.
 *
 * robot.c		the life of a command message: who may be answered,
 *			the confirmation of unauthenticated senders
 *			(commands_confirm), the commands in order, the one
 *			report; the texts and the mail the robot sends
 * robot_member.c	the commands that change a membership, and the
 *			requests that wait for a confirmation, an owner or a
 *			guest (AUTH)
 * robot_info.c		the commands that only answer
 *
 * A command is authorised by its scenario (subscribe, unsubscribe, add,
 * del, invite, remind, review, info, visibility); what it did is said in
 * one of the report's four sections.
 */
#ifndef HERALD_ROBOT_H
#define HERALD_ROBOT_H

#include "command.h"
#include "distribute.h"
#include "listconf.h"
#include "roster.h"

struct catalog;

/* The report's sections, in the order they are written. */
enum robot_section {
	RS_DONE,	/* carried out, or answered */
	RS_AUTH,	/* refused by a scenario */
	RS_USER,	/* not done: the command or its target is wrong */
	RS_INTERN,	/* failed on our side */
	RS_COUNT
};

/* A command message being carried out. */
struct robot_run {
	struct dist	*d;
	struct inmsg	*im;
	const char	*sender;	/* im->from: who the commands come from */
	const char	*domain;	/* the domain written to */
	enum scenario_auth auth;	/* smtp, dkim, or md5 once confirmed */
	const char	*confirm_key;	/* the CONFIRM that released it, or NULL */
	char		 lang[36];	/* the sender's language, "" if unknown */
	struct buf	 sec[RS_COUNT];	/* the report's entries */
	int		 seq;		/* the command in hand: job ids */
	const struct command *cur;	/* the command in hand */
	int		 retry;		/* a temporary failure: all again later */
	int		 said;		/* entries written */
};

/* A list a command names, looked up. */
struct robot_list {
	const struct listreg_entry *le;
	struct roster_list rl;
	const struct listconf *lc;
};

/* robot.c */
enum dist_fate	robot_handle(struct dist *d, struct inmsg *im);
void		robot_run_init(struct robot_run *r, struct dist *d,
		    struct inmsg *im);
void		robot_run_free(struct robot_run *r);
/* The commands of s in order, into r's report (until a retry). */
void		robot_run_commands(struct robot_run *r,
		    const struct command_set *s);
/* A question to the membership oracle: 1 yes, 0 no, -1 error. */
int		robot_role(struct robot_run *r, enum scenario_role role,
		    const char *list, const char *email);

/*
 * The text of key in the catalogue, in lang ("" the site's), with the
 * "name", value pairs that follow (NULL-ended), appended to out.
 */
void		robot_text(struct robot_run *r, const char *lang, struct buf *out,
		    const char *key, ...) __attribute__((sentinel));
/* An entry of the report: the command's line quoted, then key's text. */
void		robot_say(struct robot_run *r, enum robot_section s,
		    const struct command *c, const char *key, ...)
		    __attribute__((sentinel));
/* The same with a text the caller made. */
void		robot_say_text(struct robot_run *r, enum robot_section s,
		    const struct command *c, const char *text);
/* A store failure: RS_INTERN, and a retry of the whole message for TEMP. */
void		robot_store_failed(struct robot_run *r, const struct command *c,
		    int rc, const char *what);

/*
 * A message from the robot (from_list 0) or the list's -request to one
 * address, or to n, written as a bulk job in the caller's transaction when
 * one is open: subject_key and body_key are texts of the catalogue, with
 * the pairs that follow. The recipient's reply budget is taken first
 * (replyrate) when to_one is set: 0 sent, 1 not sent (over the limit or
 * an address that gets no mail), or a STORE_* failure code < 0 as -rc.
 */
struct robot_mail {
	const char	*to;		/* the one recipient, or NULL */
	const char *const *rcpts;	/* else these */
	size_t		 nrcpts;
	const char	*list;		/* the list it is about, or NULL */
	const char	*lang;		/* the recipient's, or NULL */
	const char	*suffix;	/* makes the job id unique in the message */
	int		 auto_replied;	/* a reply to the sender */
	int		 budget;	/* count it against the recipient's replies */
	const char	*merge_nonce;	/* merge tokens in the texts: see service_send */
};
int		robot_mail(struct robot_run *r, const struct robot_mail *m,
		    const char *subject_key, const char *body_key, ...)
		    __attribute__((sentinel));

/*
 * The list name in the domain written to, nothing said: STORE_OK,
 * ROSTER_NOLIST, ROBOT_LIST_BROKEN (its configuration does not load,
 * logged) or the store's failure.
 */
#define ROBOT_LIST_BROKEN	100
int		robot_list_lookup(struct robot_run *r, const char *name,
		    struct robot_list *out);
/* The list c names, in the domain written to: 0, or -1 said already. */
int		robot_find_list(struct robot_run *r, const struct command *c,
		    struct robot_list *out);
/* The decision of the list's scenario for function about email. */
void		robot_scenario(struct robot_run *r, const struct robot_list *l,
		    const char *function, enum listconf_param param,
		    const char *email, struct scenario_result *res);
/* The audit proof of a change made for r. */
void		robot_who(const struct robot_run *r, const char *auth_key,
		    struct roster_who *who);
/* The language of an address (users.language), "" if unknown. */
void		robot_lang_of(struct robot_run *r, const char *email,
		    char *out, size_t size);

/* robot_member.c: the commands that change memberships. */
void		robot_subscribe(struct robot_run *r, const struct command *c,
		    const char *auth_key);
void		robot_signoff(struct robot_run *r, const struct command *c,
		    const char *auth_key);
void		robot_signoff_all(struct robot_run *r, const struct command *c);
void		robot_add(struct robot_run *r, const struct command *c,
		    const char *auth_key);
void		robot_del(struct robot_run *r, const struct command *c,
		    const char *auth_key);
void		robot_invite(struct robot_run *r, const struct command *c,
		    const char *auth_key);
void		robot_remind(struct robot_run *r, const struct command *c,
		    const char *auth_key);
void		robot_remind_all(struct robot_run *r, const struct command *c);
/* What the domain's global_remind scenario says of r's sender. */
void		robot_global_remind_scenario(struct robot_run *r,
		    struct scenario_result *res);
void		robot_set(struct robot_run *r, const struct command *c);
void		robot_set_all(struct robot_run *r, const struct command *c);
void		robot_auth(struct robot_run *r, const struct command *c);

/* robot_info.c: the commands that answer. */
void		robot_help(struct robot_run *r, const struct command *c);
void		robot_lists(struct robot_run *r, const struct command *c);
void		robot_info(struct robot_run *r, const struct command *c);
void		robot_review(struct robot_run *r, const struct command *c);
void		robot_which(struct robot_run *r, const struct command *c);
void		robot_stats(struct robot_run *r, const struct command *c);
void		robot_modindex(struct robot_run *r, const struct command *c);
void		robot_archive(struct robot_run *r, const struct command *c);
void		robot_verify(struct robot_run *r, const struct command *c);
void		robot_moderate(struct robot_run *r, const struct command *c);

#endif
