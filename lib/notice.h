/*
 * notice - the service messages distribute sends, composed.
 *
 * Three families, each a complete RFC 5322 message appended to a struct
 * buf with LF line ends (bulk turns them into CRLF):
 *
 *  - replies to the sender of a post (notice_reply): rejected by the
 *    send scenario, too large, no such list, held for moderation, and a
 *    confirmation request giving the exact line to send back. They say
 *    "Auto-Submitted: auto-replied" (RFC 3834); whether one may be sent at
 *    all is lib/autoreply's question (autoreply_may_reply), not this
 *    module's.
 *  - the moderation request (notice_moderate): the key, the DISTRIBUTE
 *    and REJECT command lines with mailto: links whose subject is the
 *    command, and the held message attached as message/rfc822, except for
 *    spam, which is named as such and not attached (Sympa's rule: a
 *    moderator should not be handed spam in a mail reader).
 *    "Auto-Submitted: auto-generated".
 *  - the forward of mail to -request, -editor and listmaster
 *    (notice_forward): the original message unchanged but for X-Loop
 *    (the receiving address), Sender (replaced) and Resent-Sender
 *    (deleted), as Sympa's DoForward does. Its line ends are the
 *    original's; the caller sets the envelope sender to the new Sender.
 *
 * Every generated message has Date, a unique Message-ID (time, pid, a
 * counter and 64 random bits, @domain), From (the robot or the list's
 * -request address with a phrase), To, Subject (RFC 2047 "B" words when
 * not ASCII), MIME-Version, Content-Type (text/plain; charset=utf-8, or
 * multipart/mixed), Auto-Submitted and X-Loop (the robot's address).
 * Texts are English and live in one table of templates in notice.c,
 * "{name}" marking where a value goes, so that they can be translated.
 *
 * Values from outside (the original Subject and From, the scenario's
 * reason, a command line, addresses) are sanitised before they are used:
 * made valid UTF-8, control characters and line ends turned into
 * blanks, and cut at a bound; in header fields they are also encoded.
 * Nothing here reads a database, a file or a spool: time and Message-IDs
 * come from struct notice_ctx, which tests fill in to get golden output.
 */
#ifndef HERALD_NOTICE_H
#define HERALD_NOTICE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "msg.h"

#define NOTICE_VALUE_MAX	200	/* bytes kept of a subject, a name, an id */
#define NOTICE_REASON_MAX	500	/* bytes kept of a reason */

/* Append the left part of a new Message-ID (before '@') to out; 0 or -1. */
typedef int notice_msgid_fn(void *arg, struct buf *out);

struct notice_ctx {
	const char	*domain;		/* the mail domain (required) */
	const char	*robot_localpart;	/* NULL: "sympa" */
	const char	*list;			/* the list's name; NULL if none */
	time_t		 now;			/* 0: the clock */
	notice_msgid_fn	*msgid;			/* NULL: time.pid.counter.random */
	void		*msgid_arg;
};

enum notice_kind {
	NOTICE_REJECT,		/* refused by the send scenario (5.7.1) */
	NOTICE_TOO_BIG,		/* over max_size (5.2.3) */
	NOTICE_NO_LIST,		/* no such list (5.1.1) */
	NOTICE_HELD,		/* forwarded to the moderators (2.3.0) */
	NOTICE_CONFIRM		/* confirm the post by sending a command back */
};

struct notice_reply {
	const char	*to;		/* the sender's address (required) */
	const struct msg *orig;		/* the message replied to, or NULL */
	const char	*reason;	/* REJECT: the scenario's text, or NULL */
	size_t		 size;		/* TOO_BIG: the message's size */
	size_t		 max_size;	/* TOO_BIG: the list's limit */
	const char	*address;	/* NO_LIST: the address written to */
	const char	*command;	/* CONFIRM: the exact line to send back */
};

/*
 * Append the reply of kind to out. 0, or -1 with a reason in *why (a
 * static string; why may be NULL) for a missing or unusable argument or
 * out's limit; out is then left as it was.
 */
int	notice_reply(const struct notice_ctx *ctx, enum notice_kind kind,
	    const struct notice_reply *r, struct buf *out, const char **why);

struct notice_moderation {
	const char	*to;		/* NULL: <list>-editor@<domain> */
	const char	*held;		/* the held message's bytes */
	size_t		 held_len;
	const struct msg *held_msg;	/* their parse, or NULL to parse here */
	const char	*key;		/* the moderation key ([A-Za-z0-9._-]) */
	int		 is_spam;	/* tagged spam: the message is not attached */
};

/* Append the moderation request for ctx->list to out. 0 or -1 as above. */
int	notice_moderate(const struct notice_ctx *ctx,
	    const struct notice_moderation *m, struct buf *out, const char **why);

/*
 * Append the forward of len bytes at orig to out: X-Loop: receiving
 * added on top, Sender: sender in place of any Sender, Resent-Sender
 * deleted. 0, or -1 with *why (a bad address, a message over msg's
 * size limit, out's limit).
 */
int	notice_forward(const char *orig, size_t len, const char *receiving,
	    const char *sender, struct buf *out, const char **why);

/*
 * A message whose subject and body the caller has written (the command
 * robot's replies, confirmations and notices, from the message
 * catalogue): the header around them as for the others. The subject is
 * cleaned into one line here; the body must be UTF-8 text (the caller
 * cleans values it puts into it). From is the robot's address when
 * from_robot or ctx->list is NULL, else the list's -request address.
 */
struct notice_message {
	const char	*to;		/* the one address in To (required) */
	const char	*subject;
	const char	*body;
	const struct msg *orig;		/* replied to (In-Reply-To), or NULL */
	int		 from_robot;
	int		 auto_replied;	/* a reply (RFC 3834), else generated */
};

int	notice_text(const struct notice_ctx *ctx, const struct notice_message *m,
	    struct buf *out, const char **why);

#endif
