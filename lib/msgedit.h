/*
 * msgedit - a message whose top-level header fields and body can be edited.
 *
 * msgedit_new() copies the raw bytes of a message and parses them with
 * msg_parse(). The top-level header fields become a sequence one can read
 * (raw, unfolded or RFC 2047-decoded), delete (every field of a name),
 * prepend, append or replace (the first keeps its place, the others go);
 * the body is the original bytes after the blank line, or a replacement.
 * msgedit_output() writes the result.
 *
 * What is not touched keeps its exact bytes: a field that is neither
 * deleted nor replaced is written as it was read, folding and line ends
 * included, and so is the body until it is replaced. Bytes of the header
 * block that are no indexed field (past the parser's limits, a stray
 * continuation line) are kept in place too. A leading mbox "From " line is
 * dropped, and a header block without its blank line gets one.
 *
 * Fields added are written "Name: value", folded at 78 columns at a blank
 * where there is one, and ended with the line end the message uses (CRLF
 * when its first line ends in CRLF, LF otherwise). A name must be RFC 5322
 * ftext, a value must hold no CR, LF or NUL and be at most MSGEDIT_VALUE_MAX
 * bytes: so nothing an edit adds can inject a field or end the header.
 *
 * msgedit_msg() gives the parse of the current state, for code that needs
 * the MIME structure: after an edit the message is written and parsed
 * again first, so the tree and the fields always agree.
 */
#ifndef HERALD_MSGEDIT_H
#define HERALD_MSGEDIT_H

#include <stddef.h>

#include "buf.h"
#include "msg.h"

#define MSGEDIT_NAME_MAX	76	/* longest field name accepted */
#define MSGEDIT_VALUE_MAX	(64 * 1024)	/* longest value added */
#define MSGEDIT_FOLD		78	/* where added fields are folded */

struct msgedit;

/*
 * An editable copy of len bytes at data (limits NULL: msg's defaults).
 * NULL with a reason in err when the message is over limits->max_size.
 */
struct msgedit *msgedit_new(const char *data, size_t len,
	    const struct msg_limits *limits, struct buf *err);
void	msgedit_free(struct msgedit *e);

/* The line end of the message: "\r\n" or "\n". */
const char *msgedit_eol(const struct msgedit *e);

/*
 * The parse of the current state (rebuilt after edits), valid until the
 * next edit; NULL only if the edited message is over the size limit.
 */
const struct msg *msgedit_msg(struct msgedit *e);

/* Reading fields (names compare without regard to case). */

/* The number of fields named name. */
size_t	msgedit_count(const struct msgedit *e, const char *name);
/*
 * The raw value of the nth (from 0) field named name: the bytes after the
 * colon, folding kept, without the final line end. NULL if there is none.
 */
const char *msgedit_raw(const struct msgedit *e, const char *name, size_t nth,
	    size_t *len);
/*
 * Append the nth field's value unfolded (line ends dropped, leading and
 * trailing blanks trimmed), or in addition RFC 2047-decoded to UTF-8.
 * Return 1 if found, 0 if not (out untouched), -1 at out's limit.
 */
int	msgedit_get(const struct msgedit *e, const char *name, size_t nth,
	    struct buf *out);
int	msgedit_get_decoded(const struct msgedit *e, const char *name, size_t nth,
	    struct buf *out);

/* Editing fields. */

/*
 * Delete every field named name; a name ending in "*" deletes every field
 * whose name starts with what comes before it ("ARC-*"). Returns the
 * number deleted.
 */
size_t	msgedit_delete(struct msgedit *e, const char *name);
/*
 * Add a field "name: value" before the first field, after the last, or in
 * place of the first field named name (the others of that name deleted;
 * appended when there is none). 0, or -1 with a reason in err (err may be
 * NULL) for a bad name or value; nothing is changed then.
 */
int	msgedit_prepend(struct msgedit *e, const char *name, const char *value,
	    struct buf *err);
int	msgedit_append(struct msgedit *e, const char *name, const char *value,
	    struct buf *err);
int	msgedit_replace(struct msgedit *e, const char *name, const char *value,
	    struct buf *err);
/* 0 if name is a field name msgedit accepts, -1 with a reason in err. */
int	msgedit_check_name(const char *name, struct buf *err);
/* 0 if value (len bytes) is a value msgedit accepts, -1 with a reason. */
int	msgedit_check_value(const char *value, size_t len, struct buf *err);

/* The body. */

/* The body's bytes (after the blank line), original or replaced. */
const char *msgedit_body(const struct msgedit *e, size_t *len);
/* Replace the body by a copy of len bytes. */
void	msgedit_set_body(struct msgedit *e, const char *body, size_t len);

/* Append the whole message to out. 0, or -1 at out's limit. */
int	msgedit_output(const struct msgedit *e, struct buf *out);

#endif
