/*
 * autoreply - is a message from an automaton, or a loop?
 *
 * autoreply_check() looks at a parsed message and its envelope sender and
 * sets one bit per sign it finds (the AUTOREPLY_* bits, in the order they
 * are tested, so the lowest bit set is the first reason). Two questions
 * are asked of those bits, and they are not the same question:
 *
 *  - autoreply_drop_post(): should this post be dropped without a word?
 *    Always when it has been through this list already (X-Loop holding
 *    one of our addresses, or the list's own List-Id); and, when the list
 *    has reject_mail_from_automates_feature on, when it was written by an
 *    automaton (Sympa's checks of section 4.4 plus a few of the same
 *    kind). Precedence and an -owner/-request envelope sender do not drop
 *    a post: a list subscribed to another list receives exactly that.
 *
 *  - autoreply_may_reply(): may Herald send an automatic message (a
 *    rejection, a "held for moderation", a confirmation request) back to
 *    the sender? Never to an automaton, a role address, the null sender,
 *    a looping message, or spam (the caller says whether it is): RFC 3834
 *    section 2, and Sympa's rule that spam never gets a notice.
 *
 * The loop_prevention_regex of a list is compiled once with
 * autoreply_regex_new(): PCRE2, case-insensitive, and anchored as Sympa
 * anchors it, ^(regex)(@|$), against the whole sender address, so the
 * pattern names a local part ("mailer-daemon|sympa|...") and may name a
 * whole address. Matching is bounded by PCRE2 match and depth limits;
 * running out of them counts as no match.
 *
 * Nothing here reads a database or a file; all work is bounded by the
 * message parser's limits and AUTOREPLY_VALUE_MAX per field looked at.
 */
#ifndef HERALD_AUTOREPLY_H
#define HERALD_AUTOREPLY_H

#include <stddef.h>

#include "buf.h"
#include "msg.h"

#define AUTOREPLY_VALUE_MAX	1024	/* bytes of a field's value examined */
#define AUTOREPLY_REGEX_MAX	4096	/* longest loop_prevention_regex */

/* The signs, lowest first (the order autoreply_check tests them). */
#define AUTOREPLY_NULL_SENDER	0x0001	/* envelope sender <> */
#define AUTOREPLY_DAEMON	0x0002	/* MAILER-DAEMON or postmaster sender */
#define AUTOREPLY_REGEX		0x0004	/* sender matches loop_prevention_regex */
#define AUTOREPLY_ROLE		0x0008	/* sender -owner, -request, -bounce(s),
					   owner-*, or our bounce local part */
#define AUTOREPLY_AUTO_SUBMITTED 0x0010	/* Auto-Submitted other than "no" */
#define AUTOREPLY_PRECEDENCE	0x0020	/* Precedence bulk, junk or list */
#define AUTOREPLY_X_LOOP	0x0040	/* X-Loop holding one of our addresses */
#define AUTOREPLY_LIST_ID	0x0080	/* List-Id of this very list */
#define AUTOREPLY_CONTENT_ID	0x0100	/* Content-Identifier: Auto-replied */
#define AUTOREPLY_X400		0x0200	/* X400-Content-Identifier: Auto Reply to */
#define AUTOREPLY_X_AUTOREPLY	0x0400	/* X-Autoreply or X-Autorespond present */
#define AUTOREPLY_REPORT	0x0800	/* a delivery report: multipart/report */

/* The bits that say the message went round: always dropped. */
#define AUTOREPLY_LOOP		(AUTOREPLY_X_LOOP | AUTOREPLY_LIST_ID)
/* The bits that drop a post under reject_mail_from_automates_feature. */
#define AUTOREPLY_AUTOMATON	(AUTOREPLY_NULL_SENDER | AUTOREPLY_DAEMON | \
	AUTOREPLY_REGEX | AUTOREPLY_AUTO_SUBMITTED | AUTOREPLY_CONTENT_ID | \
	AUTOREPLY_X400 | AUTOREPLY_X_AUTOREPLY | AUTOREPLY_REPORT)

struct autoreply_regex;

/*
 * Compile a loop_prevention_regex. NULL with a reason in err for a bad or
 * too long pattern; NULL with err left empty for NULL or "" (nothing to
 * match: autoreply_input takes a NULL regex as "no such test").
 */
struct autoreply_regex *autoreply_regex_new(const char *pattern, struct buf *err);
void	autoreply_regex_free(struct autoreply_regex *re);
/* 1 if addr (len bytes) matches ^(regex)(@|$) without regard to case. */
int	autoreply_regex_match(const struct autoreply_regex *re, const char *addr,
	    size_t len);

struct autoreply_input {
	const struct msg *msg;		/* the message (required) */
	const char	*envelope_sender; /* "" for <>; NULL if unknown */
	/*
	 * The author as the caller decided it (the addr-spec of From or of
	 * sender_headers); NULL: the first mailbox of From.
	 */
	const char	*sender;
	const char *const *our_addresses; /* X-Loop values that are ours:
					   the list, the robot, ... */
	size_t		 n_our_addresses;
	const char	*list_id;	/* the list's List-Id ("staff.example.org"), or NULL */
	const struct autoreply_regex *loop_regex; /* or NULL */
	const char	*bounce_localpart; /* NULL: "bounce" */
};

/* Every sign found (AUTOREPLY_* bits); 0 for a message from a person. */
unsigned int autoreply_check(const struct autoreply_input *in);
/* The text of the lowest bit set in bits ("" for 0): a static string. */
const char *autoreply_reason(unsigned int bits);

/*
 * 1 if the post must be dropped silently, with the first reason in *why
 * (why may be NULL); 0 if it goes on.
 */
int	autoreply_drop_post(const struct autoreply_input *in,
	    int reject_automates, const char **why);
/*
 * 1 if an automatic message may be sent back to the sender; 0 with the
 * reason in *why if not. is_spam: the spam classification said "spam".
 */
int	autoreply_may_reply(const struct autoreply_input *in, int is_spam,
	    const char **why);

#endif
