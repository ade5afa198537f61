/*
 * command - the mail command parser: what a message to the robot address
 * (sympa@ style), to list-request, list-subscribe or list-unsubscribe
 * asks for, as an ordered set of commands. Nothing here touches the
 * database, a spool or a file: deciding whether a list exists, who may do
 * what and answering belong to the caller.
 *
 * The rules are Sympa's (Sympa::Request::Message): the decoded Subject
 * first, one reply prefix taken off ("Re:", "AW:", "SV:", "Antw:", "RE[2]:"
 * and the rest of the multilingual set, full-width colon too); when it is
 * a command, it is the only one. Otherwise the first text/plain part,
 * transfer-decoded, converted to UTF-8 and unfolded if format=flowed, line
 * by line: a "-- " line ends it, leading blanks and one '>' are dropped,
 * blank and '#' lines skipped, "QUIET " may start any line, QUIT (END,
 * STOP, -) is recorded and ends it, and the first unknown line ends it -
 * recorded as unknown only when commands came before it. Keywords are
 * whole words, without regard to case (SUB and SUBSCRIBE are, SUBS is not).
 *
 * Everything from the message is bounded: at most COMMAND_MAX commands,
 * COMMAND_LINE_MAX bytes of a line, COMMAND_BODY_MAX bytes of text; what
 * is past a bound is ignored and the set says so (truncated). Every string
 * in a command is valid UTF-8 without control characters.
 *
 * command_format() writes the canonical line of a command (Sympa's
 * cmd_format: "SUB list", "SIG list email", "AUTH key DEL list email"...),
 * the one confirmation subjects carry, and command_parse_line() of it
 * gives the same command back.
 */
#ifndef HERALD_COMMAND_H
#define HERALD_COMMAND_H

#include <stddef.h>

#include "buf.h"
#include "msg.h"

#define COMMAND_MAX		20		/* commands from one message */
#define COMMAND_LINE_MAX	1000		/* bytes of a line considered */
#define COMMAND_BODY_MAX	(1024 * 1024)	/* bytes of body text read */
#define COMMAND_GECOS_MAX	150		/* Sympa's gecos column */
#define COMMAND_REASON_MAX	128

/* The address a message came to. */
enum command_kind {
	COMMAND_ROBOT,		/* sympa@domain: subject, then body */
	COMMAND_REQUEST,	/* list-request: only "subscribe"/"unsubscribe"
				   subjects (Smartlist emulation) */
	COMMAND_SUBSCRIBE,	/* list-subscribe: one SUBSCRIBE, nothing read */
	COMMAND_UNSUBSCRIBE	/* list-unsubscribe: one SIGNOFF, nothing read */
};

enum command_verb {
	COMMAND_VERB_NONE,	/* an unknown line */
	COMMAND_VERB_HELP,
	COMMAND_VERB_LISTS,
	COMMAND_VERB_INFO,
	COMMAND_VERB_SUBSCRIBE,
	COMMAND_VERB_SIGNOFF,
	COMMAND_VERB_SIGNOFF_ALL,	/* SIG * [email] */
	COMMAND_VERB_ADD,
	COMMAND_VERB_DEL,
	COMMAND_VERB_INVITE,
	COMMAND_VERB_REMIND,
	COMMAND_VERB_REMIND_ALL,	/* REMIND * */
	COMMAND_VERB_REVIEW,
	COMMAND_VERB_WHICH,
	COMMAND_VERB_SET,
	COMMAND_VERB_SET_ALL,		/* SET * mode */
	COMMAND_VERB_INDEX,
	COMMAND_VERB_GET,
	COMMAND_VERB_LAST,
	COMMAND_VERB_CONFIRM,
	COMMAND_VERB_AUTH,
	COMMAND_VERB_DISTRIBUTE,
	COMMAND_VERB_REJECT,
	COMMAND_VERB_MODINDEX,
	COMMAND_VERB_STATS,
	COMMAND_VERB_VERIFY,
	COMMAND_VERB_QUIT,
	COMMAND_VERB_COUNT
};

/* SET's modes (Sympa 3.4); "each" and "normal" are read as mail. */
enum command_mode {
	COMMAND_MODE_NONE,
	COMMAND_MODE_MAIL,
	COMMAND_MODE_NOMAIL,
	COMMAND_MODE_DIGEST,
	COMMAND_MODE_DIGESTPLAIN,
	COMMAND_MODE_SUMMARY,
	COMMAND_MODE_NOTICE,
	COMMAND_MODE_TXT,
	COMMAND_MODE_HTML,
	COMMAND_MODE_URLIZE,
	COMMAND_MODE_NOT_ME,
	COMMAND_MODE_CONCEAL,
	COMMAND_MODE_NOCONCEAL,
	COMMAND_MODE_COUNT
};

enum command_status {
	COMMAND_OK,
	COMMAND_UNKNOWN,	/* no such command: line says what was written */
	COMMAND_SYNTAX_ERROR	/* a known keyword, bad arguments: see reason */
};

enum command_source {
	COMMAND_FROM_NONE,	/* nothing found */
	COMMAND_FROM_SUBJECT,
	COMMAND_FROM_BODY,
	COMMAND_FROM_ADDRESS	/* -subscribe, -unsubscribe, Smartlist */
};

/*
 * One command. The strings are NULL when the command has no such argument.
 * email NULL for SUBSCRIBE, SIGNOFF and SIG * means the sender.
 */
struct command {
	enum command_verb	 verb;
	enum command_status	 status;
	int			 quiet;		/* QUIET prefix */
	char			*line;		/* as written, trimmed */
	char			 reason[COMMAND_REASON_MAX]; /* syntax error */
	char			*list;		/* lower case, no domain */
	char			*list_domain;	/* "list@dom": dom, lower case */
	char			*email;		/* canonical, lower case */
	char			*gecos;		/* free text, trimmed */
	enum command_mode	 mode;
	char			*key;		/* lower-case hex */
	char			*month;		/* GET: YYYY-MM */
	struct command		*auth;		/* AUTH: the command confirmed */
};

struct command_set {
	struct command		*v;
	size_t			 n;
	enum command_source	 source;
	int			 none_found;	/* no command at all: DSN 5.6.1,
						   or on -request: forward */
	int			 truncated;	/* something past a bound */
};

/*
 * Parse a whole message (raw bytes as spooled) that came to an address of
 * the given kind. list is the list of a -request, -subscribe or
 * -unsubscribe address (ignored for COMMAND_ROBOT). out is filled even on
 * failure. Returns 0, or -1 when the message cannot be read at all (larger
 * than msg's size limit); out then has none_found.
 */
int	command_parse(const char *data, size_t len, enum command_kind kind,
	    const char *list, struct command_set *out);

/*
 * Parse one command line (no QUIET prefix: the caller strips it). Returns
 * 1 with out filled (status ok or syntax error) when the line starts with
 * a keyword, 0 when it does not (out is then an unknown command holding
 * the line). Free out with command_free().
 */
int	command_parse_line(const char *line, size_t len, struct command *out);

/*
 * The canonical line of c appended to out (QUIET is not written). 0, or -1
 * when c is not an ok command or out's limit is reached.
 */
int	command_format(const struct command *c, struct buf *out);

/* "SUBSCRIBE", "SET_ALL"...; "?" out of range. */
const char *command_verb_name(enum command_verb v);
/* "mail", "not_me", "conceal"...; "" for none, "?" out of range. */
const char *command_mode_name(enum command_mode m);
/* The mode a SET keyword names (each, normal -> mail), or COMMAND_MODE_NONE. */
enum command_mode command_mode_from_name(const char *s, size_t len);

void	command_free(struct command *c);
void	command_set_free(struct command_set *s);

/*
 * The plain text commands are read from: the first text/plain part that is
 * not an attachment nor inside an attached message, transfer-decoded, in
 * UTF-8, format=flowed unfolded, at most COMMAND_BODY_MAX bytes. Appends to
 * out; returns 1 if there is such a part, 0 if not, and sets *truncated
 * (when not NULL) if the text was cut.
 */
int	command_plain_body(const struct msg *m, struct buf *out, int *truncated);

/*
 * The decoded subject s with one leading reply prefix and the blanks
 * around it taken off: a pointer into s.
 */
const char *command_strip_reply(const char *s);

/* Sympa's default misaddressed_commands_regexp. */
#define COMMAND_MISADDRESSED_REGEXP \
	"((subscribe\\s+(\\S+)|unsubscribe\\s+(\\S+)|signoff\\s+(\\S+)|" \
	"set\\s+(\\S+)\\s+(mail|nomail|digest))\\s*)"

/*
 * Whether a post to a list looks like a command sent to the wrong address
 * (Sympa's misaddressed_commands): the decoded subject, reply prefix off,
 * matches regexp entirely, or the body text (command_plain_body) has at
 * most 5 lines and its first non-blank line starts with a match. Matching
 * ignores case. regexp NULL: the default. 1 yes, 0 no, -1 if regexp does
 * not compile.
 */
int	command_misaddressed(const char *subject, const char *body,
	    size_t body_len, const char *regexp);

#endif
