/*
 * bounce_int - what the bounce modules share; not for other modules (use
 * bounce.h).
 *
 * bounce.c drives a parse and owns the report: recipients are added only
 * through bounce_rcpt_get(), which normalises and bounds the address, and
 * every text field goes through bounce_text_dup(). bounce_dsn.c reads the
 * standard report parts (and the same fields written into a text part),
 * bounce_nonstd.c the MTAs' own formats, bounce_status.c turns diagnostic
 * text into RFC 3463 codes.
 */
#ifndef HERALD_BOUNCE_INT_H
#define HERALD_BOUNCE_INT_H

#include <stddef.h>

#include "bounce.h"
#include "buf.h"
#include "msg.h"

#define BOUNCE_BODY_TEXT_MAX	(256 * 1024)	/* readable text looked at */
#define BOUNCE_DIAG_SCAN_MAX	4096	/* text kept per recipient for status */
#define BOUNCE_FIELDS_MAX	20000	/* fields read from report parts */
#define BOUNCE_FIELD_VALUE_MAX	4096	/* bytes of one field's value */

/* What one parse works on. */
struct bounce_ctx {
	const struct msg *m;
	struct bounce_report *r;
	/*
	 * The readable text of the report: its text parts (or the body of a
	 * message that is not MIME) in UTF-8, LF line ends, one level of
	 * "> " quoting removed; it stops where the returned message starts.
	 */
	struct buf	 text;
	char		*subject;	/* decoded, or "" */
	char		*from;		/* From's value, unfolded, or "" */
	const struct msg_part *returned; /* message/rfc822 or headers, or NULL */
	int		 cut_known;	/* the two offsets below are computed */
	size_t		 cut;		/* where the returned message starts */
	size_t		 cut_headers;	/* where its header fields start */
	char		 self[2][BOUNCE_ADDRESS_MAX + 1]; /* the report's To, From */
	int		 generic;	/* no recogniser: the last-resort scan */
	int		 nested;	/* the report was read inside this one */
};

/* One field of a block of report fields ("Final-Recipient: ..."). */
struct bounce_field {
	size_t		 block;		/* blocks are separated by blank lines */
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* raw: folding and line ends kept */
	size_t		 value_len;
};

struct bounce_fields {
	struct bounce_field *v;
	size_t		 n;
	size_t		 nblocks;
	size_t		*starts;	/* block b: v[starts[b] .. starts[b + 1]) */
};

/* bounce.c */
struct bounce_rcpt *bounce_rcpt_get(struct bounce_report *r, const char *s,
	    size_t n);
void	bounce_rcpt_drop(struct bounce_report *r);
void	bounce_part_decode(const struct msg *m, const struct msg_part *p,
	    struct buf *out);
int	bounce_addr_norm(const char *s, size_t n, char out[BOUNCE_ADDRESS_MAX + 1]);
char	*bounce_text_dup(const char *s, size_t n);
void	bounce_rcpt_diag(struct bounce_rcpt *rc, const char *s, size_t n);
const char *bounce_memcasemem(const char *hay, size_t hlen, const char *needle);
int	bounce_lower(int c);

/* bounce_dsn.c */
void	bounce_fields_parse(const char *s, size_t len, struct bounce_fields *f);
void	bounce_fields_free(struct bounce_fields *f);
const struct bounce_field *bounce_fields_get(const struct bounce_fields *f,
	    size_t block, const char *name);
int	bounce_field_value(const struct bounce_field *fl, struct buf *out);
int	bounce_dsn_parts(struct bounce_ctx *c);
int	bounce_dsn_in_text(struct bounce_ctx *c);

/* bounce_feedback.c */
int	bounce_feedback(struct bounce_ctx *c);

/* bounce_nonstd.c */
int	bounce_nonstd(struct bounce_ctx *c);
int	bounce_nonstd_fallback(struct bounce_ctx *c);
void	bounce_nonstd_diagnose(struct bounce_ctx *c);
size_t	bounce_nonstd_returned(struct bounce_ctx *c, size_t *headers);

/* bounce_status.c */
int	bounce_status_code(const char *text, size_t len, char status[16]);
int	bounce_status_code_pos(const char *text, size_t len, char status[16],
	    size_t *pos);
int	bounce_status_wording(const char *text, size_t len, char status[16]);
int	bounce_status_valid(const char *s, size_t n, char status[16]);

#endif
