/*
 * msg - the one way Herald reads a mail message.
 *
 * msg_parse() takes the raw bytes of a message (a length, never a C
 * string: 8-bit and NUL bytes are data) and builds a tree of parts:
 * RFC 5322 header fields, RFC 2045/2046 MIME structure, message/rfc822
 * (and every other "message" type but the delivery-status ones) as a child part
 * with its own headers, message/delivery-status as one child per block of
 * fields. Lines may end in LF, CRLF or a bare CR, mixed. A leading mbox
 * "From " line is skipped; a message without a blank line after its
 * headers, or with no body at all, parses.
 *
 * Nothing is copied or rewritten: header fields, header blocks and bodies
 * are offsets into the caller's bytes, so later code can add a header or a
 * footer by splicing, without reserialising the message. The bytes must
 * outlive the struct msg.
 *
 * A mail reader must be lenient: what is wrong with a message is recorded
 * as MSG_DEFECT_* flags on the part where it was seen (and their union on
 * the struct msg), never as a failure. msg_parse() fails only for a
 * message larger than limits.max_size, as a cut parse of a message nobody
 * should have accepted would be a lie. Every other limit turns into a
 * defect: headers past max_headers are not indexed, parts past max_parts
 * are not created (their bytes stay in the enclosing body), a multipart or
 * message past max_depth is kept as a leaf.
 *
 * Parsing is one forward pass over the lines; a line starting with "--"
 * is compared with the boundaries of the open multiparts, so the work is
 * O(size + delimiter-like lines x depth x boundary length), all bounded.
 * Memory is O(size) and bounded by the limits.
 */
#ifndef HERALD_MSG_H
#define HERALD_MSG_H

#include <stddef.h>

#include "buf.h"
#include "mime.h"

#define MSG_DEPTH_CAP	256	/* max_depth is capped: the parser recurses */

struct msg_limits {
	size_t	max_size;		/* bytes; past it msg_parse() fails */
	size_t	max_headers;		/* fields indexed per part */
	size_t	max_total_headers;	/* fields indexed in the whole message */
	size_t	max_header_len;		/* a field's raw value is cut there */
	size_t	max_parts;		/* parts in the tree, the root included */
	size_t	max_depth;		/* depth of a part; the root is 0 */
	size_t	max_boundary_len;	/* RFC 2046 says 70 */
	size_t	max_params;		/* parameters per Content-Type */
};

/* Defects of a part (what was forgiven); see msg_defect_name(). */
#define MSG_DEFECT_NO_START_BOUNDARY	0x0001	/* no delimiter opens a part */
#define MSG_DEFECT_NO_CLOSE_BOUNDARY	0x0002	/* no close delimiter */
#define MSG_DEFECT_NO_SEPARATOR		0x0004	/* a non-field line ended the headers */
#define MSG_DEFECT_NO_BOUNDARY		0x0008	/* multipart without a boundary */
#define MSG_DEFECT_BOUNDARY_TOO_LONG	0x0010	/* over max_boundary_len: a leaf */
#define MSG_DEFECT_HEADER_TOO_LONG	0x0020	/* a value cut at max_header_len */
#define MSG_DEFECT_TOO_MANY_HEADERS	0x0040	/* fields not indexed */
#define MSG_DEFECT_TOO_MANY_PARTS	0x0080	/* parts not created */
#define MSG_DEFECT_TOO_DEEP		0x0100	/* over max_depth: a leaf */
#define MSG_DEFECT_BAD_CONTENT_TYPE	0x0200	/* unparsable: text/plain used */
#define MSG_DEFECT_BAD_PARAMS		0x0400	/* MIME parameter syntax forgiven */
#define MSG_DEFECT_BAD_ENCODING		0x0800	/* unknown transfer encoding */
#define MSG_DEFECT_FIRST_CONTINUATION	0x1000	/* headers began with a folded line */
#define MSG_DEFECT_MISPLACED_FROM	0x2000	/* an mbox "From " line in headers */
#define MSG_DEFECT_ENCODED_MESSAGE	0x4000	/* a message type in base64/qp: a leaf */

enum msg_cte {
	MSG_CTE_7BIT,			/* also when there is no header */
	MSG_CTE_8BIT,
	MSG_CTE_BINARY,
	MSG_CTE_QP,
	MSG_CTE_BASE64,
	MSG_CTE_OTHER			/* unknown: the body is kept as it is */
};

/* How a part's body was read. */
enum msg_body {
	MSG_BODY_LEAF,			/* content, no children */
	MSG_BODY_MULTIPART,		/* children between boundary delimiters */
	MSG_BODY_MESSAGE,		/* one child: an encapsulated message */
	MSG_BODY_BLOCKS			/* children: blocks of fields (DSN) */
};

/*
 * A header field. Offsets are into the message bytes: the field runs from
 * off to off + len (its final line end included); the name is its first
 * name_len bytes; the raw value runs from just after the colon, folding
 * included, up to the field's final line end.
 */
struct msg_header {
	size_t	off;
	size_t	len;
	size_t	name_len;
	size_t	value_off;
	size_t	value_len;		/* at most about max_header_len */
};

/*
 * A part. Ranges are [x_off, x_end) into the message bytes. The line end
 * before a boundary delimiter belongs to the delimiter (RFC 2046), so it
 * is in no body. For a multipart, the preamble is [body_off, preamble_end)
 * and the epilogue [epilogue_off, body_end) (empty if not found).
 */
struct msg_part {
	struct msg_part	*parent;
	struct msg_part	*child;		/* first child */
	struct msg_part	*next;		/* next sibling */
	struct msg_part	*last_child;
	size_t		 nchildren;
	size_t		 index;		/* in msg->parts, document order */
	size_t		 depth;
	unsigned int	 defects;	/* MSG_DEFECT_* seen in this part */
	enum msg_body	 body_kind;
	size_t		 hdr_off, hdr_end;	/* the fields, no blank line */
	size_t		 body_off, body_end;
	size_t		 preamble_end, epilogue_off;
	struct msg_header *headers;	/* in order, at most max_headers */
	size_t		 nheaders;
	struct mime_value ctype;	/* effective type/subtype, never NULL */
	int		 ctype_default;	/* no usable Content-Type: the default */
	struct mime_value disp;		/* Content-Disposition; type NULL if none */
	enum msg_cte	 cte;
};

struct msg {
	const char	*data;		/* the caller's bytes */
	size_t		 len;
	size_t		 from_len;	/* an mbox "From " line at 0, without its end */
	struct msg_part	*root;
	struct msg_part	**parts;	/* every part, in document order */
	size_t		 nparts;
	size_t		 nheaders;	/* fields indexed in all parts */
	unsigned int	 defects;	/* union of the parts' defects */
	struct msg_limits limits;
};

/* Sane defaults: 64 MiB, 1000 fields a part, 64 KiB a field, 50 deep... */
void	msg_limits_default(struct msg_limits *lim);

/*
 * Parse len bytes at data (limits NULL: the defaults). Returns NULL with
 * a reason in err (if not NULL) only when len > max_size.
 */
struct msg *msg_parse(const char *data, size_t len,
	    const struct msg_limits *limits, struct buf *err);
void	msg_free(struct msg *m);

/* The name of one defect bit ("no-start-boundary"), or "unknown". */
const char *msg_defect_name(unsigned int bit);
/* Append the names of the bits in defects, comma-separated. 0 or -1. */
int	msg_defects_format(unsigned int defects, struct buf *out);
/* The MIME tree as "type/sub[child,child]" (the corpora's notation). */
int	msg_tree_format(const struct msg_part *p, struct buf *out);

/* Header fields of a part (part NULL: the root). */

/*
 * The first field named name after after (NULL: from the first), or NULL;
 * after must be a field of the same part.
 */
const struct msg_header *msg_header_find(const struct msg *m,
	    const struct msg_part *part, const char *name,
	    const struct msg_header *after);
/* Number of fields named name. */
size_t	msg_header_count(const struct msg *m, const struct msg_part *part,
	    const char *name);
/* Whether field h is named name (case-insensitive). */
int	msg_header_is(const struct msg *m, const struct msg_header *h,
	    const char *name);
/* The raw value (folding kept) and its length, into the message bytes. */
const char *msg_header_raw(const struct msg *m, const struct msg_header *h,
	    size_t *len);

/*
 * These append to out and return 0, or -1 when out's limit is reached
 * (out then holds a cut value).
 */
/* The value unfolded (line ends dropped) without leading/trailing blanks. */
int	msg_header_unfold(const struct msg *m, const struct msg_header *h,
	    struct buf *out);
/* Unfolded, then RFC 2047 encoded-words decoded to UTF-8. */
int	msg_header_decode(const struct msg *m, const struct msg_header *h,
	    struct buf *out);

/*
 * Lookups by name in a part (NULL: the root): append the first field's
 * value, unfolded (msg_header_get) or decoded (msg_header_get_decoded).
 * Return 1 if found, 0 if absent (out untouched), -1 at out's limit.
 */
int	msg_header_get(const struct msg *m, const struct msg_part *part,
	    const char *name, struct buf *out);
int	msg_header_get_decoded(const struct msg *m, const struct msg_part *part,
	    const char *name, struct buf *out);
/* The decoded Subject of the message; 1, 0 or -1 as above. */
int	msg_subject(const struct msg *m, struct buf *out);

/*
 * The display name of the first mailbox of an unfolded address value
 * ("=?utf-8?q?Andr=C3=A9?= <a@b>", "\"Doe, J.\" <j@d>", "a@b (Name)"),
 * unquoted and decoded to UTF-8, appended to out. Returns 1 if there is a
 * name, 0 if none, -1 at out's limit.
 */
int	msg_display_name(const char *value, size_t len, struct buf *out);
/* The same for the first field named name of a part (NULL: the root). */
int	msg_header_display_name(const struct msg *m, const struct msg_part *part,
	    const char *name, struct buf *out);

/* Parts. */

/* Whether the part is type/subtype; subtype NULL matches any. */
int	msg_part_is(const struct msg_part *p, const char *type,
	    const char *subtype);
/* A Content-Type parameter ("boundary", "charset"), or NULL. */
const struct mime_param *msg_part_param(const struct msg_part *p,
	    const char *name);
/* The charset parameter's value as written, or NULL. */
const char *msg_part_charset(const struct msg_part *p);
/*
 * The file name in UTF-8 (Content-Disposition filename, else Content-Type
 * name; RFC 2231 or RFC 2047 forms decoded). 1 if there is one, 0 if not,
 * -1 at out's limit.
 */
int	msg_part_filename(const struct msg_part *p, struct buf *out);
/* The raw body bytes (still transfer-encoded) and their length. */
const char *msg_part_body(const struct msg *m, const struct msg_part *p,
	    size_t *len);
/* Append the body with its transfer encoding undone. 0 or -1. */
int	msg_part_decode(const struct msg *m, const struct msg_part *p,
	    struct buf *out);

#endif
