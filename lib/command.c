/*
 * command.c - one command line: keywords, arguments, the canonical form,
 * names. Reading a message into lines is command_msg.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "command.h"
#include "command_int.h"
#include "listname.h"
#include "mem.h"
#include "mimeword.h"

#define KEY_LEN		32	/* CONFIRM, DISTRIBUTE, REJECT: full MD5 hex */
#define AUTH_KEY_MIN	16	/* Sympa's keyauth is 16 hex digits; room */
#define AUTH_KEY_MAX	64	/* for longer keys of our own */

/* Sympa's accepted keywords (3.3), exact words, any case. */
static const struct {
	const char		*word;
	enum command_verb	 verb;
} keywords[] = {
	{ "hel", COMMAND_VERB_HELP }, { "help", COMMAND_VERB_HELP },
	{ "sos", COMMAND_VERB_HELP },
	{ "lis", COMMAND_VERB_LISTS }, { "list", COMMAND_VERB_LISTS },
	{ "lists", COMMAND_VERB_LISTS },
	{ "inf", COMMAND_VERB_INFO }, { "info", COMMAND_VERB_INFO },
	{ "sub", COMMAND_VERB_SUBSCRIBE }, { "subscribe", COMMAND_VERB_SUBSCRIBE },
	{ "sig", COMMAND_VERB_SIGNOFF }, { "signoff", COMMAND_VERB_SIGNOFF },
	{ "uns", COMMAND_VERB_SIGNOFF }, { "unsub", COMMAND_VERB_SIGNOFF },
	{ "unsubscribe", COMMAND_VERB_SIGNOFF },
	{ "add", COMMAND_VERB_ADD },
	{ "del", COMMAND_VERB_DEL }, { "delete", COMMAND_VERB_DEL },
	{ "inv", COMMAND_VERB_INVITE }, { "invite", COMMAND_VERB_INVITE },
	{ "rem", COMMAND_VERB_REMIND }, { "remind", COMMAND_VERB_REMIND },
	{ "rev", COMMAND_VERB_REVIEW }, { "review", COMMAND_VERB_REVIEW },
	{ "who", COMMAND_VERB_REVIEW },
	{ "whi", COMMAND_VERB_WHICH }, { "which", COMMAND_VERB_WHICH },
	{ "status", COMMAND_VERB_WHICH },
	{ "set", COMMAND_VERB_SET },
	{ "ind", COMMAND_VERB_INDEX }, { "index", COMMAND_VERB_INDEX },
	{ "get", COMMAND_VERB_GET },
	{ "las", COMMAND_VERB_LAST }, { "last", COMMAND_VERB_LAST },
	{ "con", COMMAND_VERB_CONFIRM }, { "confirm", COMMAND_VERB_CONFIRM },
	{ "auth", COMMAND_VERB_AUTH },
	{ "dis", COMMAND_VERB_DISTRIBUTE }, { "distribute", COMMAND_VERB_DISTRIBUTE },
	{ "rej", COMMAND_VERB_REJECT }, { "reject", COMMAND_VERB_REJECT },
	{ "mod", COMMAND_VERB_MODINDEX }, { "modindex", COMMAND_VERB_MODINDEX },
	{ "modind", COMMAND_VERB_MODINDEX },
	{ "sta", COMMAND_VERB_STATS }, { "stats", COMMAND_VERB_STATS },
	{ "ver", COMMAND_VERB_VERIFY }, { "verify", COMMAND_VERB_VERIFY },
	{ "qui", COMMAND_VERB_QUIT }, { "quit", COMMAND_VERB_QUIT },
	{ "end", COMMAND_VERB_QUIT }, { "stop", COMMAND_VERB_QUIT },
	{ "-", COMMAND_VERB_QUIT },
};

/* Indexed by verb: the name, and the keyword of the canonical line. */
static const struct {
	const char	*name;
	const char	*canon;
} verbs[COMMAND_VERB_COUNT] = {
	[COMMAND_VERB_NONE] = { "NONE", NULL },
	[COMMAND_VERB_HELP] = { "HELP", "HELP" },
	[COMMAND_VERB_LISTS] = { "LISTS", "LISTS" },
	[COMMAND_VERB_INFO] = { "INFO", "INFO" },
	[COMMAND_VERB_SUBSCRIBE] = { "SUBSCRIBE", "SUB" },
	[COMMAND_VERB_SIGNOFF] = { "SIGNOFF", "SIG" },
	[COMMAND_VERB_SIGNOFF_ALL] = { "SIGNOFF_ALL", "SIG *" },
	[COMMAND_VERB_ADD] = { "ADD", "ADD" },
	[COMMAND_VERB_DEL] = { "DEL", "DEL" },
	[COMMAND_VERB_INVITE] = { "INVITE", "INVITE" },
	[COMMAND_VERB_REMIND] = { "REMIND", "REMIND" },
	[COMMAND_VERB_REMIND_ALL] = { "REMIND_ALL", "REMIND *" },
	[COMMAND_VERB_REVIEW] = { "REVIEW", "REVIEW" },
	[COMMAND_VERB_WHICH] = { "WHICH", "WHICH" },
	[COMMAND_VERB_SET] = { "SET", "SET" },
	[COMMAND_VERB_SET_ALL] = { "SET_ALL", "SET *" },
	[COMMAND_VERB_INDEX] = { "INDEX", "INDEX" },
	[COMMAND_VERB_GET] = { "GET", "GET" },
	[COMMAND_VERB_LAST] = { "LAST", "LAST" },
	[COMMAND_VERB_CONFIRM] = { "CONFIRM", "CONFIRM" },
	[COMMAND_VERB_AUTH] = { "AUTH", "AUTH" },
	[COMMAND_VERB_DISTRIBUTE] = { "DISTRIBUTE", "DISTRIBUTE" },
	[COMMAND_VERB_REJECT] = { "REJECT", "REJECT" },
	[COMMAND_VERB_MODINDEX] = { "MODINDEX", "MODINDEX" },
	[COMMAND_VERB_STATS] = { "STATS", "STATS" },
	[COMMAND_VERB_VERIFY] = { "VERIFY", "VERIFY" },
	[COMMAND_VERB_QUIT] = { "QUIT", "QUIT" },
};

static const char *const mode_names[COMMAND_MODE_COUNT] = {
	[COMMAND_MODE_NONE] = "",
	[COMMAND_MODE_MAIL] = "mail",
	[COMMAND_MODE_NOMAIL] = "nomail",
	[COMMAND_MODE_DIGEST] = "digest",
	[COMMAND_MODE_DIGESTPLAIN] = "digestplain",
	[COMMAND_MODE_SUMMARY] = "summary",
	[COMMAND_MODE_NOTICE] = "notice",
	[COMMAND_MODE_TXT] = "txt",
	[COMMAND_MODE_HTML] = "html",
	[COMMAND_MODE_URLIZE] = "urlize",
	[COMMAND_MODE_NOT_ME] = "not_me",
	[COMMAND_MODE_CONCEAL] = "conceal",
	[COMMAND_MODE_NOCONCEAL] = "noconceal",
};

/* A cleaned line being read word by word. */
struct cursor {
	const char	*s;
	size_t		 len;
	size_t		 pos;
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

const char *
command_verb_name(enum command_verb v)
{
	if ((int)v < 0 || v >= COMMAND_VERB_COUNT)
		return "?";
	return verbs[v].name;
}

const char *
command_mode_name(enum command_mode m)
{
	if ((int)m < 0 || m >= COMMAND_MODE_COUNT)
		return "?";
	return mode_names[m];
}

enum command_mode
command_mode_from_name(const char *s, size_t len)
{
	if ((len == 4 && strncasecmp(s, "each", 4) == 0) ||
	    (len == 6 && strncasecmp(s, "normal", 6) == 0))
		return COMMAND_MODE_MAIL;
	for (int m = COMMAND_MODE_NONE + 1; m < COMMAND_MODE_COUNT; m++)
		if (strlen(mode_names[m]) == len &&
		    strncasecmp(s, mode_names[m], len) == 0)
			return (enum command_mode)m;
	return COMMAND_MODE_NONE;
}

/*
 * Cut s to at most max bytes without splitting a UTF-8 character, and
 * drop the blanks the cut may leave at the end.
 */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	while (len > 0 && is_blank(s[len - 1]))
		len--;
	return len;
}

/*
 * The line as valid UTF-8, control characters (C0, DEL, C1) turned into
 * spaces, trimmed, at most COMMAND_LINE_MAX bytes: everything a command
 * keeps is cut from it, so everything is clean.
 */
char *
command_clean_line(const char *line, size_t len)
{
	struct buf u = BUF_INIT(COMMAND_LINE_MAX * 3 + 16);
	struct buf o = BUF_INIT(COMMAND_LINE_MAX * 3 + 16);
	size_t i = 0, n;
	char *r;

	if (len > COMMAND_LINE_MAX)
		len = COMMAND_LINE_MAX;
	/* Invalid sequences become U+FFFD: at most 3 bytes for one. */
	(void)mimeword_to_utf8("utf-8", line, len, &u);
	while (i < u.len) {
		unsigned char c = (unsigned char)u.data[i];

		if (c < 0x20 || c == 0x7f) {
			buf_putc(&o, ' ');
			i++;
		} else if (c == 0xc2 && i + 1 < u.len &&
		    (unsigned char)u.data[i + 1] >= 0x80 &&
		    (unsigned char)u.data[i + 1] <= 0x9f) {
			buf_putc(&o, ' ');
			i += 2;
		} else {
			buf_putc(&o, (char)c);
			i++;
		}
	}
	buf_free(&u);
	for (i = 0; i < o.len && is_blank(o.data[i]); i++)
		;
	n = utf8_cut(buf_cstr(&o) + i, o.len - i, COMMAND_LINE_MAX);
	r = xstrndup(buf_cstr(&o) + i, n);
	buf_free(&o);
	return r;
}

/* The next word: its start and length; the cursor goes past its blanks. */
static size_t
next_word(struct cursor *c, const char **word)
{
	size_t start, n;

	while (c->pos < c->len && is_blank(c->s[c->pos]))
		c->pos++;
	start = c->pos;
	while (c->pos < c->len && !is_blank(c->s[c->pos]))
		c->pos++;
	n = c->pos - start;
	while (c->pos < c->len && is_blank(c->s[c->pos]))
		c->pos++;
	*word = c->s + start;
	return n;
}

static int
at_end(const struct cursor *c)
{
	return c->pos >= c->len;
}

static enum command_verb
keyword(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strlen(keywords[i].word) == n &&
		    strncasecmp(w, keywords[i].word, n) == 0)
			return keywords[i].verb;
	return COMMAND_VERB_NONE;
}

static int
syntax_error(struct command *c, const char *why)
{
	c->status = COMMAND_SYNTAX_ERROR;
	snprintf(c->reason, sizeof c->reason, "%s", why);
	return -1;
}

static char *
lower_dup(const char *s, size_t n)
{
	char *r = xstrndup(s, n);

	for (size_t i = 0; i < n; i++)
		r[i] = (char)tolower((unsigned char)r[i]);
	return r;
}

/* "list" or "list@domain"; 0, or -1 with a syntax error. */
static int
take_list(struct cursor *cur, struct command *c)
{
	const char *w, *at, *why;
	size_t n = next_word(cur, &w);

	if (n == 0)
		return syntax_error(c, "no list name given");
	if ((at = memchr(w, '@', n)) != NULL) {
		c->list = lower_dup(w, (size_t)(at - w));
		c->list_domain = lower_dup(at + 1, n - (size_t)(at - w) - 1);
		if (listname_check_domain(c->list_domain, &why) != 0)
			return syntax_error(c, "not a domain after the list name");
	} else
		c->list = lower_dup(w, n);
	if (listname_check(c->list, &why) != 0)
		return syntax_error(c, "not a list name");
	return 0;
}

/* One address as a word; canonical and lower case. */
static int
take_email(struct cursor *cur, struct command *c)
{
	struct buf b = BUF_INIT(ADDR_PARSE_SPEC_MAX);
	const char *w;
	size_t n = next_word(cur, &w);

	if (n == 0)
		return syntax_error(c, "no address given");
	if (addr_canonical(w, n, ADDR_CANON_LOWER_ALL, &b) != 0 ||
	    !addr_is_valid_email(buf_cstr(&b))) {
		buf_free(&b);
		return syntax_error(c, "not an address");
	}
	c->email = buf_steal(&b);
	return 0;
}

/* The rest of the line as free text (a name); none is fine. */
static void
take_gecos(struct cursor *cur, struct command *c)
{
	const char *s = cur->s + cur->pos;
	size_t n = utf8_cut(s, cur->len - cur->pos, COMMAND_GECOS_MAX);

	if (n > 0)
		c->gecos = xstrndup(s, n);
	cur->pos = cur->len;
}

static int
take_key(struct cursor *cur, struct command *c, size_t min, size_t max)
{
	const char *w;
	size_t n = next_word(cur, &w);

	if (n == 0)
		return syntax_error(c, "no key given");
	if (n < min || n > max)
		return syntax_error(c, "not a key (wrong length)");
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)w[i]))
			return syntax_error(c, "not a key (not hexadecimal)");
	c->key = lower_dup(w, n);
	return 0;
}

static int
take_mode(struct cursor *cur, struct command *c)
{
	const char *w;
	size_t n = next_word(cur, &w);

	if (n == 0)
		return syntax_error(c, "no reception mode given");
	if ((c->mode = command_mode_from_name(w, n)) == COMMAND_MODE_NONE)
		return syntax_error(c, "not a reception mode");
	return 0;
}

/* GET's month: YYYY-MM. */
static int
take_month(struct cursor *cur, struct command *c)
{
	const char *w;
	size_t n = next_word(cur, &w);
	int ok = n == 7 && w[4] == '-';

	for (size_t i = 0; ok && i < n; i++)
		if (i != 4 && !isdigit((unsigned char)w[i]))
			ok = 0;
	if (ok && !((w[5] == '0' && w[6] >= '1') ||
	    (w[5] == '1' && w[6] <= '2')))
		ok = 0;
	if (n == 0)
		return syntax_error(c, "no month given");
	if (!ok)
		return syntax_error(c, "not a month (YYYY-MM)");
	c->month = xstrndup(w, n);
	return 0;
}

static int
take_end(const struct cursor *cur, struct command *c)
{
	if (!at_end(cur))
		return syntax_error(c, "unexpected text after the command");
	return 0;
}

/* Whether the next word is "*" (then taken). */
static int
take_star(struct cursor *cur)
{
	struct cursor save = *cur;
	const char *w;
	size_t n = next_word(cur, &w);

	if (n == 1 && w[0] == '*')
		return 1;
	*cur = save;
	return 0;
}

static int	parse_clean(const char *line, size_t len, int nested,
		    struct command *c);

/* AUTH key command: the command confirmed, one level deep. */
static int
parse_auth(struct cursor *cur, struct command *c, int nested)
{
	if (nested)
		return syntax_error(c, "AUTH inside AUTH");
	if (take_key(cur, c, AUTH_KEY_MIN, AUTH_KEY_MAX) != 0)
		return -1;
	if (at_end(cur))
		return syntax_error(c, "no command after the key");
	c->auth = xcalloc(1, sizeof *c->auth);
	if (parse_clean(cur->s + cur->pos, cur->len - cur->pos, 1, c->auth) == 0)
		return syntax_error(c, "unknown command after the key");
	if (c->auth->status != COMMAND_OK)
		return syntax_error(c, c->auth->reason);
	if (c->auth->verb == COMMAND_VERB_QUIT)
		return syntax_error(c, "QUIT cannot be confirmed");
	return 0;
}

/* The arguments of c->verb from cur; 0, or -1 with a syntax error. */
static int
parse_args(struct cursor *cur, struct command *c, int nested)
{
	switch (c->verb) {
	case COMMAND_VERB_HELP:
	case COMMAND_VERB_LISTS:
	case COMMAND_VERB_WHICH:
	case COMMAND_VERB_QUIT:
		return 0;	/* no arguments; Sympa ignores what follows */
	case COMMAND_VERB_INFO:
	case COMMAND_VERB_REVIEW:
	case COMMAND_VERB_INDEX:
	case COMMAND_VERB_LAST:
	case COMMAND_VERB_MODINDEX:
	case COMMAND_VERB_STATS:
	case COMMAND_VERB_VERIFY:
		if (take_list(cur, c) != 0)
			return -1;
		return take_end(cur, c);
	case COMMAND_VERB_REMIND:
		if (take_star(cur))
			c->verb = COMMAND_VERB_REMIND_ALL;
		else if (take_list(cur, c) != 0)
			return -1;
		return take_end(cur, c);
	case COMMAND_VERB_SUBSCRIBE:
		if (take_list(cur, c) != 0)
			return -1;
		take_gecos(cur, c);
		return 0;
	case COMMAND_VERB_SIGNOFF:
		if (take_star(cur))
			c->verb = COMMAND_VERB_SIGNOFF_ALL;
		else if (take_list(cur, c) != 0)
			return -1;
		if (!at_end(cur) && take_email(cur, c) != 0)
			return -1;
		return take_end(cur, c);
	case COMMAND_VERB_ADD:
	case COMMAND_VERB_INVITE:
		if (take_list(cur, c) != 0 || take_email(cur, c) != 0)
			return -1;
		take_gecos(cur, c);
		return 0;
	case COMMAND_VERB_DEL:
		/* Sympa ignores what follows the address. */
		if (take_list(cur, c) != 0 || take_email(cur, c) != 0)
			return -1;
		return 0;
	case COMMAND_VERB_SET:
		if (take_star(cur))
			c->verb = COMMAND_VERB_SET_ALL;
		else if (take_list(cur, c) != 0)
			return -1;
		if (take_mode(cur, c) != 0)
			return -1;
		return take_end(cur, c);
	case COMMAND_VERB_GET:
		if (take_list(cur, c) != 0 || take_month(cur, c) != 0)
			return -1;
		return take_end(cur, c);
	case COMMAND_VERB_CONFIRM:
		if (take_key(cur, c, KEY_LEN, KEY_LEN) != 0)
			return -1;
		return take_end(cur, c);
	case COMMAND_VERB_DISTRIBUTE:
	case COMMAND_VERB_REJECT:
		if (take_list(cur, c) != 0 ||
		    take_key(cur, c, KEY_LEN, KEY_LEN) != 0)
			return -1;
		return take_end(cur, c);
	case COMMAND_VERB_AUTH:
		return parse_auth(cur, c, nested);
	default:
		return syntax_error(c, "internal: no such command");
	}
}

/* line is clean (command_clean_line); 1 if it starts with a keyword. */
static int
parse_clean(const char *line, size_t len, int nested, struct command *c)
{
	struct cursor cur = { line, len, 0 };
	const char *w;
	size_t n;

	memset(c, 0, sizeof *c);
	c->line = xstrndup(line, len);
	n = next_word(&cur, &w);
	if (n == 0 || (c->verb = keyword(w, n)) == COMMAND_VERB_NONE) {
		c->status = COMMAND_UNKNOWN;
		return 0;
	}
	c->status = COMMAND_OK;
	(void)parse_args(&cur, c, nested);
	return 1;
}

int
command_parse_line(const char *line, size_t len, struct command *out)
{
	char *clean = command_clean_line(line, len);
	int rc = parse_clean(clean, strlen(clean), 0, out);

	free(clean);
	return rc;
}

/* " list" or " list@domain". */
static int
format_list(const struct command *c, struct buf *out)
{
	if (c->list == NULL)
		return -1;
	if (c->list_domain != NULL)
		return buf_printf(out, " %s@%s", c->list, c->list_domain);
	return buf_printf(out, " %s", c->list);
}

static int
format_opt(const char *s, struct buf *out)
{
	return s == NULL ? 0 : buf_printf(out, " %s", s);
}

static int
format_req(const char *s, struct buf *out)
{
	return s == NULL ? -1 : buf_printf(out, " %s", s);
}

static int
format_args(const struct command *c, struct buf *out)
{
	switch (c->verb) {
	case COMMAND_VERB_HELP:
	case COMMAND_VERB_LISTS:
	case COMMAND_VERB_WHICH:
	case COMMAND_VERB_QUIT:
	case COMMAND_VERB_REMIND_ALL:
		return 0;
	case COMMAND_VERB_INFO:
	case COMMAND_VERB_REVIEW:
	case COMMAND_VERB_INDEX:
	case COMMAND_VERB_LAST:
	case COMMAND_VERB_MODINDEX:
	case COMMAND_VERB_STATS:
	case COMMAND_VERB_VERIFY:
	case COMMAND_VERB_REMIND:
		return format_list(c, out);
	case COMMAND_VERB_SUBSCRIBE:
		return format_list(c, out) == 0 ? format_opt(c->gecos, out) : -1;
	case COMMAND_VERB_SIGNOFF:
		return format_list(c, out) == 0 ? format_opt(c->email, out) : -1;
	case COMMAND_VERB_SIGNOFF_ALL:
		return format_opt(c->email, out);
	case COMMAND_VERB_ADD:
	case COMMAND_VERB_INVITE:
		if (format_list(c, out) != 0 || format_req(c->email, out) != 0)
			return -1;
		return format_opt(c->gecos, out);
	case COMMAND_VERB_DEL:
		return format_list(c, out) == 0 ? format_req(c->email, out) : -1;
	case COMMAND_VERB_SET:
		if (format_list(c, out) != 0)
			return -1;
		/* FALLTHROUGH */
	case COMMAND_VERB_SET_ALL:
		if (c->mode <= COMMAND_MODE_NONE || c->mode >= COMMAND_MODE_COUNT)
			return -1;
		return format_req(mode_names[c->mode], out);
	case COMMAND_VERB_GET:
		return format_list(c, out) == 0 ? format_req(c->month, out) : -1;
	case COMMAND_VERB_CONFIRM:
		return format_req(c->key, out);
	case COMMAND_VERB_DISTRIBUTE:
	case COMMAND_VERB_REJECT:
		return format_list(c, out) == 0 ? format_req(c->key, out) : -1;
	case COMMAND_VERB_AUTH:
		if (c->auth == NULL || c->auth->verb == COMMAND_VERB_AUTH ||
		    format_req(c->key, out) != 0 || buf_putc(out, ' ') != 0)
			return -1;
		return command_format(c->auth, out);
	default:
		return -1;
	}
}

int
command_format(const struct command *c, struct buf *out)
{
	size_t mark = out->len;

	if (c->status != COMMAND_OK || (int)c->verb <= COMMAND_VERB_NONE ||
	    c->verb >= COMMAND_VERB_COUNT)
		return -1;
	if (buf_puts(out, verbs[c->verb].canon) != 0 ||
	    format_args(c, out) != 0) {
		buf_truncate(out, mark);
		return -1;
	}
	return 0;
}

void
command_free(struct command *c)
{
	if (c == NULL)
		return;
	free(c->line);
	free(c->list);
	free(c->list_domain);
	free(c->email);
	free(c->gecos);
	free(c->key);
	free(c->month);
	if (c->auth != NULL) {
		command_free(c->auth);
		free(c->auth);
	}
	memset(c, 0, sizeof *c);
}

void
command_set_free(struct command_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		command_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}
