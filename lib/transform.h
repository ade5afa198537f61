/*
 * transform - what distribution does to a post, one function per step.
 *
 * Each function edits a struct msgedit for one list, from what it needs of
 * the list (struct transform_list) and the list's parameters (struct
 * listconf). They follow Sympa's order (reference §4.3), which matters:
 *
 *   transform_incoming(): before the archive
 *     transform_anonymize      anonymous_sender: the site's identifying
 *                              fields deleted, From replaced, a new
 *                              Message-ID
 *     transform_subject        custom_subject: "Re: [tag] Stem"
 *     transform_remove_headers remove_headers
 *   transform_outgoing(): after the archive
 *     transform_reply_to       reply_to_header.{value,apply,other_email}
 *     transform_list_fields    X-Loop, X-Sequence, Errors-To, Precedence,
 *                              Sender, custom_header, List-Id (RFC 2919),
 *                              the RFC 2369 List-* fields
 *     transform_footer         message_header / message_footer
 *
 * What differs per recipient is not done here: the List-Unsubscribe
 * field holds the mailto form only. For the recipients who get a one-click
 * URL, bulk puts their https URL in front with
 * transform_unsubscribe_value() and adds RFC 8058's List-Unsubscribe-Post,
 * which must not be in a copy without an https URL.
 *
 * Every function returns 0, or -1 with a reason appended to err (never
 * NULL): a value that would inject a field, a message over its size
 * limit; the message may then be half-edited and should be dropped.
 * A parameter that cannot be used (a custom_subject with an unknown
 * variable) is logged and its step skipped, as Sympa does: a list's
 * mistake does not stop its mail.
 */
#ifndef HERALD_TRANSFORM_H
#define HERALD_TRANSFORM_H

#include "buf.h"
#include "listconf.h"
#include "msgedit.h"

/* What a list is, for the fields the transformations write. */
struct transform_list {
	const char	*name;		/* "dev" (required) */
	const char	*domain;	/* "example.org" (required) */
	const char	*subject;	/* the list's subject, List-Id's phrase; NULL: none */
	const char	*robot;		/* command address; NULL: sympa@<domain> */
	const char	*web_url;	/* web interface, no final "/"; NULL: none */
	const char	*oneclick_url;	/* one-click unsubscription; NULL: none */
	unsigned long	 sequence;	/* X-Sequence, [%list.sequence%]; 0: none */
	const char	*merge_nonce;	/* personalization: see transform_merge() */
};

/* What transform_footer() does to signed or encrypted mail. */
enum transform_signed {
	TRANSFORM_SIGNED_PART,		/* wrap it in multipart/mixed with the parts */
	TRANSFORM_SIGNED_SKIP		/* leave it as it is */
};

int	transform_anonymize(struct msgedit *e, const struct transform_list *l,
	    const struct listconf *lc, struct buf *err);
int	transform_subject(struct msgedit *e, const struct transform_list *l,
	    const struct listconf *lc, struct buf *err);
int	transform_remove_headers(struct msgedit *e, const struct transform_list *l,
	    const struct listconf *lc, struct buf *err);
int	transform_reply_to(struct msgedit *e, const struct transform_list *l,
	    const struct listconf *lc, struct buf *err);
int	transform_list_fields(struct msgedit *e, const struct transform_list *l,
	    const struct listconf *lc, struct buf *err);
/*
 * message_header and message_footer. footer_type append: added to the text
 * of a single text/plain part in us-ascii or utf-8, 7bit, 8bit,
 * quoted-printable or base64 (decoded, extended, encoded again the same
 * way). Otherwise, and with footer_type mime, as text/plain parts: put
 * into a multipart/mixed, or around anything else by making the message a
 * multipart/mixed. Signed and encrypted mail (multipart/signed,
 * multipart/encrypted, application/pkcs7-mime) is never changed inside:
 * policy says whether it is wrapped or left alone.
 */
int	transform_footer(struct msgedit *e, const struct transform_list *l,
	    const struct listconf *lc, enum transform_signed policy,
	    struct buf *err);

/*
 * Personalization (merge fields). With l->merge_nonce set (a job's random
 * hex word), transform_footer() fills "[% listname %]", "[% list.name %]",
 * "[% domain %]" and "[% list.domain %]" in message_header and
 * message_footer, makes "[% user.email %]", "[% user.escaped_email %]"
 * and "[% user.gecos %]" tokens "[%NONCE:user.email%]" (a poster cannot
 * guess the nonce, so the post's own text is never merged), and puts the
 * texts in utf-8 8bit parts of their own (never appended to encoded
 * text). transform_merge() then makes a recipient's copy: msg with each
 * token replaced by the recipient's value (escaped_email: the address
 * percent-encoded for a URL; gecos NULL: empty). *n_8bit says whether a
 * value brought 8bit bytes. 0, or -1 (out's limit).
 */
struct transform_merge_values {
	const char	*email;
	const char	*gecos;
};
int	transform_merge(const char *msg, size_t len, const char *nonce,
	    const struct transform_merge_values *v, struct buf *out,
	    int *n_8bit);

/* The steps in order: anonymize, subject, remove_headers. */
int	transform_incoming(struct msgedit *e, const struct transform_list *l,
	    const struct listconf *lc, struct buf *err);
/* The steps in order: reply_to, list_fields, footer. */
int	transform_outgoing(struct msgedit *e, const struct transform_list *l,
	    const struct listconf *lc, enum transform_signed policy,
	    struct buf *err);

/*
 * A recipient's List-Unsubscribe value: "<url>, " then the value the
 * message carries (its mailto form). url must be http(s) with no blank,
 * "<", ">", "," or control byte. 0, or -1 (a bad url, out's limit).
 */
int	transform_unsubscribe_value(const char *mailto_value, const char *url,
	    struct buf *out);

/* Append n random bytes as 2n lower-case hex digits. 0 or -1. */
int	transform_random_hex(size_t n, struct buf *out);

#endif
