/*
 * command_msg.c - a message into command lines: the subject with its reply
 * prefix off, else the plain body line by line; the kinds of address;
 * misaddressed posts.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "command.h"
#include "command_int.h"
#include "mem.h"
#include "mimeword.h"
#include "msg.h"
#include "replyprefix.h"

#define SUBJECT_MAX		(64 * 1024)	/* decoded subject read */
/* Text in UTF-8: an invalid byte becomes 3 bytes (U+FFFD). */
#define TEXT_MAX		(3 * COMMAND_BODY_MAX + 16)
#define MISADDRESSED_LINES	5		/* Sympa: a body this short */
#define MATCH_LIMIT		100000		/* PCRE2 work on one subject */
#define DEPTH_LIMIT		1000

enum line_fate {
	LINE_NEXT,		/* go on with the next line */
	LINE_STOP		/* no more lines */
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

const char *
command_strip_reply(const char *s)
{
	while (is_blank(*s))
		s++;
	s += replyprefix_len(s, strlen(s));
	while (is_blank(*s))
		s++;
	return s;
}

/* The next line of s from *pos (LF, CRLF or a lone CR ends it). */
static int
next_line(const char *s, size_t len, size_t *pos, const char **line,
    size_t *llen)
{
	size_t i = *pos;

	if (i >= len)
		return 0;
	*line = s + i;
	while (i < len && s[i] != '\n' && s[i] != '\r')
		i++;
	*llen = i - *pos;
	if (i < len && s[i] == '\r')
		i++;
	if (i < len && s[i] == '\n')
		i++;
	*pos = i;
	return 1;
}

/*
 * RFC 3676: a line ending in a space goes on in the next line of the same
 * quote depth; one leading space is stuffing; with delsp=yes the space
 * that made the line flowed goes too. The signature separator never flows.
 */
static int
unflow(const char *s, size_t len, int delsp, struct buf *out)
{
	const char *l;
	size_t pos = 0, n, depth, prev_depth = 0;
	int flowing = 0, rc = 0;

	while (rc == 0 && next_line(s, len, &pos, &l, &n)) {
		for (depth = 0; depth < n && l[depth] == '>'; depth++)
			;
		l += depth;
		n -= depth;
		if (n > 0 && l[0] == ' ')
			l++, n--;
		if (!(flowing && depth == prev_depth)) {
			if (flowing)
				rc |= buf_putc(out, '\n');
			for (size_t q = 0; q < depth; q++)
				rc |= buf_putc(out, '>');
		}
		flowing = n > 0 && l[n - 1] == ' ' &&
		    !(n == 3 && memcmp(l, "-- ", 3) == 0);
		if (flowing && delsp)
			n--;
		rc |= buf_append(out, l, n);
		if (!flowing)
			rc |= buf_putc(out, '\n');
		prev_depth = depth;
	}
	if (rc == 0 && flowing)
		rc = buf_putc(out, '\n');
	return rc == 0 ? 0 : -1;
}

static int
param_is(const struct msg_part *p, const char *name, const char *value)
{
	const struct mime_param *mp = msg_part_param(p, name);

	return mp != NULL && strcasecmp(mp->value, value) == 0;
}

/* A text/plain leaf that is the message's own text, not an attachment. */
static int
is_plain_text(const struct msg_part *p)
{
	if (p->body_kind != MSG_BODY_LEAF || !msg_part_is(p, "text", "plain"))
		return 0;
	if (p->disp.type != NULL && strcasecmp(p->disp.type, "attachment") == 0)
		return 0;
	for (const struct msg_part *a = p->parent; a != NULL; a = a->parent)
		if (a->body_kind != MSG_BODY_MULTIPART)
			return 0;	/* inside a forwarded message */
	return 1;
}

/*
 * The body, transfer encoding undone, at most COMMAND_BODY_MAX bytes of
 * it read, cut at a line end: 0, or 1 if cut.
 */
static int
undo_cte(const struct msg *m, const struct msg_part *p, struct buf *out)
{
	size_t len, n;
	const char *body = msg_part_body(m, p, &len);
	int cut = 0;

	if (len > COMMAND_BODY_MAX) {
		for (n = COMMAND_BODY_MAX; n > 0 && body[n - 1] != '\n'; n--)
			;
		len = n > 0 ? n : COMMAND_BODY_MAX;
		cut = 1;
	}
	switch (p->cte) {
	case MSG_CTE_BASE64:
		(void)codec_base64_decode(body, len, out);
		break;
	case MSG_CTE_QP:
		(void)codec_qp_decode(body, len, out);
		break;
	default:
		(void)buf_append(out, body, len);
		break;
	}
	return cut;
}

int
command_plain_body(const struct msg *m, struct buf *out, int *truncated)
{
	const struct msg_part *p = NULL;
	struct buf raw = BUF_INIT(COMMAND_BODY_MAX);
	struct buf text = BUF_INIT(TEXT_MAX);
	const char *cs;
	int cut = 0, rc;

	for (size_t i = 0; i < m->nparts && p == NULL; i++)
		if (is_plain_text(m->parts[i]))
			p = m->parts[i];
	if (p == NULL)
		return 0;
	if (undo_cte(m, p, &raw) != 0)
		cut = 1;
	if ((cs = msg_part_charset(p)) == NULL)
		cs = "us-ascii";
	rc = mimeword_to_utf8(cs, buf_cstr(&raw), raw.len, &text);
	/* An unknown charset: read as UTF-8, what is not becomes U+FFFD. */
	if (rc == -1)
		rc = mimeword_to_utf8("utf-8", buf_cstr(&raw), raw.len, &text);
	if (rc != 0)
		cut = 1;
	if (param_is(p, "format", "flowed")) {
		if (unflow(buf_cstr(&text), text.len,
		    param_is(p, "delsp", "yes"), out) != 0)
			cut = 1;
	} else if (buf_append(out, buf_cstr(&text), text.len) != 0)
		cut = 1;
	buf_free(&raw);
	buf_free(&text);
	if (truncated != NULL && cut)
		*truncated = 1;
	return 1;
}

static struct command *
set_add(struct command_set *set)
{
	set->v = xreallocarray(set->v, set->n + 1, sizeof *set->v);
	memset(&set->v[set->n], 0, sizeof set->v[set->n]);
	return &set->v[set->n++];
}

/* "QUIET " at the start of s: its length with the blanks after it. */
static size_t
quiet_prefix(const char *s, size_t len)
{
	size_t i = 5;

	if (len <= 5 || strncasecmp(s, "quiet", 5) != 0 || !is_blank(s[5]))
		return 0;
	while (i < len && is_blank(s[i]))
		i++;
	return i;
}

/*
 * One command line (leading blanks and quote already off). An unknown line
 * is recorded only after a command; it and QUIT end the parsing.
 */
static enum line_fate
take_line(struct command_set *set, const char *line, size_t len)
{
	struct command c;
	size_t q = quiet_prefix(line, len);
	int known;

	if (set->n >= COMMAND_MAX) {
		set->truncated = 1;
		return LINE_STOP;
	}
	if (len > COMMAND_LINE_MAX)
		set->truncated = 1;
	known = command_parse_line(line + q, len - q, &c);
	c.quiet = q > 0;
	free(c.line);
	c.line = command_clean_line(line, len);
	if (!known && set->n == 0) {
		command_free(&c);
		return LINE_STOP;
	}
	*set_add(set) = c;
	return known && c.verb != COMMAND_VERB_QUIT ? LINE_NEXT : LINE_STOP;
}

/* The subject: 1 if it held a command (then the only one). */
static int
from_subject(const struct msg *m, struct command_set *set)
{
	struct buf b = BUF_INIT(SUBJECT_MAX);
	const char *s;

	if (msg_subject(m, &b) == 0) {
		buf_free(&b);
		return 0;
	}
	s = command_strip_reply(buf_cstr(&b));
	if (*s != '\0')
		(void)take_line(set, s, strlen(s));
	buf_free(&b);
	if (set->n == 0)
		return 0;
	set->source = COMMAND_FROM_SUBJECT;
	return 1;
}

static void
from_body(const struct msg *m, struct command_set *set)
{
	struct buf text = BUF_INIT(TEXT_MAX);
	const char *l;
	size_t pos = 0, n;

	if (command_plain_body(m, &text, &set->truncated) == 1) {
		while (next_line(text.data, text.len, &pos, &l, &n)) {
			if (n == 3 && memcmp(l, "-- ", 3) == 0)
				break;
			while (n > 0 && is_blank(*l))
				l++, n--;
			if (n > 0 && *l == '>')
				l++, n--;
			while (n > 0 && is_blank(*l))
				l++, n--;
			if (n == 0 || *l == '#')
				continue;
			if (take_line(set, l, n) == LINE_STOP)
				break;
		}
	}
	buf_free(&text);
	if (set->n > 0)
		set->source = COMMAND_FROM_BODY;
}

/* list-subscribe, list-unsubscribe, Smartlist: one command for the sender. */
static void
one_command(struct command_set *set, enum command_verb verb, const char *list)
{
	struct command *c = set_add(set);
	struct buf line = BUF_INIT(COMMAND_LINE_MAX);

	c->verb = verb;
	c->status = COMMAND_OK;
	c->list = xstrdup(list);
	for (char *p = c->list; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	(void)command_format(c, &line);
	c->line = buf_steal(&line);
	set->source = COMMAND_FROM_ADDRESS;
}

/*
 * Smartlist: a -request subject that is exactly "subscribe" or
 * "unsubscribe", with the list's name or not.
 */
static void
from_request(const struct msg *m, const char *list, struct command_set *set)
{
	struct buf b = BUF_INIT(SUBJECT_MAX);
	const char *s, *w;
	size_t n, rest;
	enum command_verb verb;

	if (msg_subject(m, &b) != 1) {
		buf_free(&b);
		return;
	}
	for (s = buf_cstr(&b); is_blank(*s); s++)
		;
	n = strcspn(s, " \t");
	if (n == 9 && strncasecmp(s, "subscribe", 9) == 0)
		verb = COMMAND_VERB_SUBSCRIBE;
	else if (n == 11 && strncasecmp(s, "unsubscribe", 11) == 0)
		verb = COMMAND_VERB_SIGNOFF;
	else {
		buf_free(&b);
		return;
	}
	for (w = s + n; is_blank(*w); w++)
		;
	rest = strcspn(w, " \t");
	n = rest;
	while (is_blank(w[n]))
		n++;
	if (w[n] == '\0' && (rest == 0 ||
	    (rest == strlen(list) && strncasecmp(w, list, rest) == 0)))
		one_command(set, verb, list);
	buf_free(&b);
}

int
command_parse(const char *data, size_t len, enum command_kind kind,
    const char *list, struct command_set *out)
{
	struct msg *m;

	memset(out, 0, sizeof *out);
	out->none_found = 1;
	if (kind != COMMAND_ROBOT && (list == NULL || *list == '\0'))
		return 0;
	if (kind == COMMAND_SUBSCRIBE || kind == COMMAND_UNSUBSCRIBE) {
		one_command(out, kind == COMMAND_SUBSCRIBE ?
		    COMMAND_VERB_SUBSCRIBE : COMMAND_VERB_SIGNOFF, list);
		out->none_found = 0;
		return 0;
	}
	if ((m = msg_parse(data, len, NULL, NULL)) == NULL)
		return -1;
	if (kind == COMMAND_REQUEST)
		from_request(m, list, out);
	else if (!from_subject(m, out))
		from_body(m, out);
	msg_free(m);
	out->none_found = out->n == 0;
	return 0;
}

/* Whether re matches s from its start (to its end when whole). */
static int
re_match(pcre2_code *re, pcre2_match_context *mc, const char *s, size_t len,
    int whole)
{
	pcre2_match_data *md;
	int rc;

	if ((md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		return 0;
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0,
	    PCRE2_ANCHORED | (whole ? PCRE2_ENDANCHORED : 0), md, mc);
	pcre2_match_data_free(md);
	return rc > 0;
}

/* The body's lines, trailing blank ones not counted, and the first non-blank. */
static size_t
body_lines(const char *body, size_t len, const char **first, size_t *first_len)
{
	const char *l;
	size_t pos = 0, n, count = 0, last = 0;

	*first = NULL;
	*first_len = 0;
	while (next_line(body, len, &pos, &l, &n)) {
		size_t i = 0;

		count++;
		while (i < n && (is_blank(l[i])))
			i++;
		if (i == n)
			continue;
		last = count;
		if (*first == NULL) {
			*first = l + i;
			*first_len = n - i;
		}
	}
	return last;
}

int
command_misaddressed(const char *subject, const char *body, size_t body_len,
    const char *regexp)
{
	pcre2_code *re;
	pcre2_match_context *mc;
	const char *s, *first;
	size_t elen, flen, slen;
	int errcode, hit = 0;

	if (regexp == NULL)
		regexp = COMMAND_MISADDRESSED_REGEXP;
	re = pcre2_compile((PCRE2_SPTR)regexp, PCRE2_ZERO_TERMINATED,
	    PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &errcode,
	    &elen, NULL);
	if (re == NULL)
		return -1;
	if ((mc = pcre2_match_context_create(NULL)) == NULL) {
		pcre2_code_free(re);
		return -1;
	}
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_set_depth_limit(mc, DEPTH_LIMIT);
	if (subject != NULL) {
		s = command_strip_reply(subject);
		for (slen = strlen(s); slen > 0 && is_blank(s[slen - 1]); slen--)
			;
		hit = slen > 0 && re_match(re, mc, s, slen, 1);
	}
	if (!hit && body != NULL &&
	    body_lines(body, body_len, &first, &flen) <= MISADDRESSED_LINES &&
	    first != NULL)
		hit = re_match(re, mc, first, flen, 0);
	pcre2_match_context_free(mc);
	pcre2_code_free(re);
	return hit;
}
