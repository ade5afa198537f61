/*
 * bounce - what a bounce (or feedback, or read receipt) report says: which
 * recipients, what happened to each, and which recogniser decided.
 *
 * bounce_parse() reads one message as the MTA handed it to bouncequeue.
 * In order of trust:
 *   - RFC 3464 DSN (multipart/report; report-type=delivery-status, or
 *     message/global-delivery-status, RFC 6533): one recipient per
 *     per-recipient block, Final-Recipient (Original-Recipient kept),
 *     Action, Status, Diagnostic-Code, Remote-MTA;
 *   - RFC 3798 MDN (report-type=disposition-notification): the
 *     Final-Recipient with action BOUNCE_DISPLAYED (or the disposition's
 *     other types), for delivery tracking;
 *   - RFC 5965 ARF (report-type=feedback-report): the complaining member
 *     (Original-Rcpt-To, else the returned message's To) with action
 *     BOUNCE_FEEDBACK and the Feedback-Type;
 *   - the non-standard reports of common MTAs and providers (qmail, Exim,
 *     older Postfix and Sendmail, Exchange/Office 365, Lotus Notes,
 *     GroupWise, Gmail, Yahoo, ...): small table-driven recognisers, each
 *     a set of phrases that start the report and say where the
 *     recipients and their errors are;
 *   - auto-replies (RFC 3834 Auto-Submitted: auto-replied, vacation
 *     messages): kind BOUNCE_AUTOREPLY, no recipient; never counted.
 * A status the report does not give is derived from its diagnostic text
 * (the SMTP reply code and the wording: "user unknown" 5.1.1, "mailbox
 * full" 4.2.2 or 5.2.2, ...), and then marked inferred.
 *
 * Hard or soft: a recipient is hard when the failure says the address
 * itself is bad (no such user, no such domain, moved: 5.1.1, 5.1.2, 5.1.3,
 * 5.1.6, 5.1.10 and their wordings); everything else is soft (full
 * mailboxes, policy and spam rejections, timeouts, any 4.x.x).
 *
 * Every field comes from outside: addresses are lower-cased addr-specs of
 * at most BOUNCE_ADDRESS_MAX bytes (anything else is dropped), texts are
 * one line of at most BOUNCE_TEXT_MAX bytes with control bytes made
 * spaces, at most BOUNCE_RCPTS_MAX recipients are kept. The parser never
 * allocates more than a small multiple of the message and never loops on
 * its input (a fuzz target, test/fuzz/bounce_fuzz.c, holds it to that).
 */
#ifndef HERALD_BOUNCE_H
#define HERALD_BOUNCE_H

#include <stddef.h>

#include "buf.h"

#define BOUNCE_ADDRESS_MAX	254
#define BOUNCE_TEXT_MAX		512
#define BOUNCE_RCPTS_MAX	1000

enum bounce_kind {
	BOUNCE_KIND_NONE,		/* not a report we understand */
	BOUNCE_KIND_DSN,		/* RFC 3464 */
	BOUNCE_KIND_MDN,		/* RFC 3798 */
	BOUNCE_KIND_ARF,		/* RFC 5965 */
	BOUNCE_KIND_NONSTANDARD,	/* an MTA's or provider's own format */
	BOUNCE_KIND_AUTOREPLY		/* vacation and other auto-replies */
};

enum bounce_action {
	BOUNCE_FAILED,
	BOUNCE_DELAYED,
	BOUNCE_DELIVERED,
	BOUNCE_RELAYED,
	BOUNCE_EXPANDED,
	BOUNCE_DISPLAYED,		/* MDN: displayed (or another disposition) */
	BOUNCE_FEEDBACK			/* ARF: a complaint */
};

struct bounce_rcpt {
	char		*address;	/* lower-cased addr-spec */
	char		*original;	/* Original-Recipient's, or NULL */
	enum bounce_action action;
	char		 status[16];	/* "5.1.1"; "" when none can be said */
	int		 status_inferred; /* derived from the text, not given */
	int		 hard;		/* the address itself is bad */
	char		*diagnostic;	/* Diagnostic-Code or the error text, or NULL */
	char		*remote_mta;	/* or NULL */
};

struct bounce_report {
	enum bounce_kind kind;
	const char	*recogniser;	/* "rfc3464", "qmail", "exim", ... (static) */
	struct bounce_rcpt *rcpts;
	size_t		 nrcpts;
	char		*envid;		/* Original-Envelope-Id, or NULL */
	char		*reporting_mta;	/* or NULL */
	char		*feedback_type;	/* ARF: "abuse", "opt-out", ...; or NULL */
	char		*disposition;	/* MDN: "displayed", "deleted", ...; or NULL */
	/* From the returned message (or its headers), when the report has it. */
	char		*orig_message_id;	/* without <>, or NULL */
	char		*orig_list_id;		/* List-Id's id without <>, or NULL */
	char		*orig_to;		/* first address of To:, or NULL */
	char		*orig_return_path;	/* Return-Path's address, or NULL */
};

/*
 * Parse one message. 0 with *out filled (kind BOUNCE_KIND_NONE and no
 * recipient when nothing was understood), or -1 when the message cannot
 * be read at all (err says why). Free with bounce_report_free() either way.
 */
int	bounce_parse(const char *data, size_t len, struct bounce_report *out,
	    struct buf *err);
void	bounce_report_free(struct bounce_report *r);

/* "failed", "delayed", ... as RFC 3464 spells them; "displayed", "feedback". */
const char *bounce_action_name(enum bounce_action a);
/* "dsn", "mdn", "arf", "nonstandard", "autoreply", "none". */
const char *bounce_kind_name(enum bounce_kind k);

/*
 * The status a diagnostic text implies ("550 5.1.1 ...", "user unknown",
 * "mailbox full"), into status (16 bytes); 1 if one was found, else 0.
 */
int	bounce_status_from_text(const char *text, char status[16]);
/* Whether a status (with its diagnostic, may be NULL) is a hard bounce. */
int	bounce_is_hard(const char *status, const char *diagnostic);

#endif
