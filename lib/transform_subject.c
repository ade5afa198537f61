/*
 * transform_subject - custom_subject tagging, as Sympa does it.
 *
 * The template ("[%list.name%]", "dev [%list.sequence%]", or plain text)
 * makes the tag, put in brackets. On the decoded subject, leading reply
 * prefixes (Sympa's multilingual set: Re:, RE[2]:, AW:, SV:, Antw: ...)
 * and earlier tags are taken off, the first prefix kept as it was written;
 * elsewhere the first earlier tag is taken off. The result is
 * "Re: [tag] Stem", or "[tag] Re: Stem" when the tag holds the sequence
 * number (so threads sort by number). An earlier tag is recognised by the
 * template itself, the sequence number as any digits, so a reply to a
 * tagged post never gets two tags.
 *
 * A subject that came encoded (RFC 2047) is encoded again, in its first
 * encoded-word's charset and encoding when the text fits that charset,
 * in UTF-8 otherwise; words that need no encoding stay plain. A plain
 * subject stays plain unless the tag itself is not ASCII.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "listconf.h"
#include "log.h"
#include "mem.h"
#include "msgedit.h"
#include "replyprefix.h"
#include "transform.h"

#define SUBJECT_MAX	(16 * 1024)	/* decoded subjects longer stay as they are */
#define WORD_MAX	75		/* an encoded-word's length (RFC 2047) */
#define CHARSET_MAX	40

/* A pattern item of the tag: literal bytes, blanks, or digits. */
enum tok_kind { TOK_LIT, TOK_BLANKS, TOK_DIGITS };

struct tok {
	enum tok_kind	 kind;
	char		 c;
};

struct tag {
	struct buf	 text;		/* the rendered tag, without brackets */
	struct tok	*toks;
	size_t		 ntoks;
	int		 has_seq;
};

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static void
tok_add(struct tag *t, enum tok_kind k, char c)
{
	/* Blanks in a row are one item: they match any run of blanks. */
	if (k == TOK_BLANKS && t->ntoks > 0 && t->toks[t->ntoks - 1].kind == TOK_BLANKS)
		return;
	t->toks = xreallocarray(t->toks, t->ntoks + 1, sizeof *t->toks);
	t->toks[t->ntoks].kind = k;
	t->toks[t->ntoks].c = c;
	t->ntoks++;
}

static void
tok_text(struct tag *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tok_add(t, is_blank(s[i]) ? TOK_BLANKS : TOK_LIT, s[i]);
}

/*
 * Render the template and build its pattern; -1 for a variable other
 * than list.name and list.sequence, or a "[%" left open.
 */
static int
tag_build(struct tag *t, const char *tmpl, const struct transform_list *l)
{
	const char *p = tmpl;
	char seq[32];

	snprintf(seq, sizeof seq, "%lu", l->sequence);
	while (*p) {
		const char *open = strstr(p, "[%"), *close, *a, *b;

		if (open == NULL) {
			buf_puts(&t->text, p);
			tok_text(t, p, strlen(p));
			break;
		}
		buf_append(&t->text, p, (size_t)(open - p));
		tok_text(t, p, (size_t)(open - p));
		if ((close = strstr(open + 2, "%]")) == NULL)
			return -1;
		for (a = open + 2; a < close && (is_blank(*a) || *a == '-'); a++)
			;
		for (b = close; b > a && (is_blank(b[-1]) || b[-1] == '-'); b--)
			;
		if ((size_t)(b - a) == 9 && strncmp(a, "list.name", 9) == 0) {
			buf_puts(&t->text, l->name);
			tok_text(t, l->name, strlen(l->name));
		} else if ((size_t)(b - a) == 13 && strncmp(a, "list.sequence", 13) == 0) {
			buf_puts(&t->text, seq);
			tok_add(t, TOK_DIGITS, 0);
			t->has_seq = 1;
		} else
			return -1;
		p = close + 2;
	}
	return 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Length of "[tag]" at s (len bytes), 0 if it is not there. */
static size_t
tag_match(const struct tag *t, const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || s[0] != '[')
		return 0;
	i = 1;
	/* Each item takes all it can: no backtracking, so linear. */
	for (size_t k = 0; k < t->ntoks; k++) {
		size_t start = i;

		switch (t->toks[k].kind) {
		case TOK_LIT:
			if (i >= len || lower((unsigned char)s[i]) != lower((unsigned char)t->toks[k].c))
				return 0;
			i++;
			break;
		case TOK_BLANKS:
			while (i < len && is_blank(s[i]))
				i++;
			if (i == start)
				return 0;
			break;
		case TOK_DIGITS:
			while (i < len && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i == start)
				return 0;
			break;
		}
	}
	return i < len && s[i] == ']' ? i + 1 : 0;
}

/* The tagged subject from the decoded one, into out. */
static void
retag(const struct tag *t, const char *s, size_t len, struct buf *out)
{
	size_t pos = 0, pfx_off = 0, pfx_len = 0, n, a, b;
	int tagged = 0;
	struct buf stem = BUF_INIT(SUBJECT_MAX);

	for (;;) {
		while (pos < len && is_blank(s[pos]))
			pos++;
		if ((n = replyprefix_len(s + pos, len - pos)) > 0) {
			if (pfx_len == 0) {
				pfx_off = pos;
				pfx_len = n;
			}
			pos += n;
		} else if ((n = tag_match(t, s + pos, len - pos)) > 0) {
			tagged = 1;
			pos += n;
		} else
			break;
	}
	buf_append(&stem, s + pos, len - pos);
	/* Not in front: the first tag elsewhere goes, with its blanks. */
	for (size_t i = 0; !tagged && i < stem.len; i++) {
		if ((n = tag_match(t, stem.data + i, stem.len - i)) == 0)
			continue;
		for (a = i; a > 0 && is_blank(stem.data[a - 1]); a--)
			;
		for (b = i + n; b < stem.len && is_blank(stem.data[b]); b++)
			;
		memmove(stem.data + a + 1, stem.data + b, stem.len - b);
		stem.data[a] = ' ';
		buf_truncate(&stem, a + 1 + stem.len - b);
		break;
	}
	while (stem.len > 0 && is_blank(stem.data[stem.len - 1]))
		buf_truncate(&stem, stem.len - 1);
	a = 0;
	while (a < stem.len && is_blank(stem.data[a]))
		a++;
	if (t->has_seq)
		buf_printf(out, "[%s] ", buf_cstr(&t->text));
	if (pfx_len > 0) {
		buf_append(out, s + pfx_off, pfx_len);
		buf_putc(out, ' ');
	}
	if (!t->has_seq)
		buf_printf(out, "[%s] ", buf_cstr(&t->text));
	buf_append(out, stem.data ? stem.data + a : "", stem.len - a);
	while (out->len > 0 && out->data[out->len - 1] == ' ')
		buf_truncate(out, out->len - 1);
	buf_free(&stem);
}

/* The charset and encoding of the first encoded-word of v, if any. */
static int
first_word(const char *v, char *charset, char *enc)
{
	for (const char *p = strstr(v, "=?"); p != NULL; p = strstr(p + 2, "=?")) {
		const char *q = strchr(p + 2, '?');
		size_t n;

		if (q == NULL || q[1] == '\0' || q[2] != '?' || strstr(q + 3, "?=") == NULL)
			continue;
		n = (size_t)(q - (p + 2));
		if (memchr(p + 2, '*', n) != NULL)	/* RFC 2231 language */
			n = (size_t)((const char *)memchr(p + 2, '*', n) - (p + 2));
		if (n == 0 || n > CHARSET_MAX)
			continue;
		if (strchr("bBqQ", q[1]) == NULL)
			continue;
		memcpy(charset, p + 2, n);
		charset[n] = '\0';
		*enc = (char)lower((unsigned char)q[1]);
		return 1;
	}
	return 0;
}

static int
charset_name_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' ||
		    *s == ':'))
			return 0;
	return 1;
}

static int
is_utf8_name(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0;
}

/* UTF-8 in into charset; -1 if a character does not fit it. */
static int
from_utf8(const char *cs, const char *in, size_t len, struct buf *out)
{
	iconv_t cd;
	char chunk[512];
	char *ip = (char *)(uintptr_t)in;	/* iconv's prototype lacks const */
	size_t left = len;
	int rc = 0;

	if (is_utf8_name(cs))
		return buf_append(out, in, len);
	if ((cd = iconv_open(cs, "UTF-8")) == (iconv_t)-1)
		return -1;
	for (;;) {
		char *op = chunk;
		size_t room = sizeof chunk;
		size_t r = left > 0 ? iconv(cd, &ip, &left, &op, &room) :
		    iconv(cd, NULL, NULL, &op, &room);	/* the final shift state */

		if (buf_append(out, chunk, (size_t)(op - chunk)) < 0) {
			rc = -1;
			break;
		}
		if (r == (size_t)-1 && errno != E2BIG) {
			rc = -1;
			break;
		}
		if (r != (size_t)-1 && left == 0 && op == chunk)
			break;
	}
	iconv_close(cd);
	return rc;
}

/* RFC 2047 "Q": safe for any header, "_" for a space. */
static int
q_encode(const unsigned char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int rc;

		if (s[i] == ' ')
			rc = buf_putc(out, '_');
		else if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("!*+-/", s[i]) != NULL)
			rc = buf_putc(out, s[i]);
		else
			rc = buf_printf(out, "=%02X", s[i]);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* One encoded-word of UTF-8 text, converted; -1 if it does not fit cs. */
static int
word_make(const char *cs, char enc, const char *u, size_t n, struct buf *out)
{
	struct buf conv = BUF_INIT(SUBJECT_MAX * 4);
	int rc = -1;

	if (from_utf8(cs, u, n, &conv) < 0)
		goto out;
	if (buf_printf(out, "=?%s?%c?", cs, enc == 'b' ? 'B' : 'Q') < 0)
		goto out;
	if (enc == 'b') {
		if (codec_base64_encode(conv.data ? conv.data : "", conv.len, out, 0) < 0)
			goto out;
	} else if (q_encode((const unsigned char *)(conv.data ? conv.data : ""),
	    conv.len, out) < 0)
		goto out;
	rc = buf_puts(out, "?=");
out:
	buf_free(&conv);
	return rc;
}

static size_t
utf8_char_len(const unsigned char *s, size_t n)
{
	size_t k = 1;

	if (s[0] >= 0xc0)
		while (k < n && k < 4 && (s[k] & 0xc0) == 0x80)
			k++;
	return k;
}

/*
 * Encoded-words for the UTF-8 text u, each at most WORD_MAX characters,
 * cut between characters and each converted on its own (so a stateful
 * charset starts fresh in each). -1 when the text does not fit cs.
 */
static int
run_encode(const char *cs, char enc, const char *u, size_t n, struct buf *out)
{
	struct buf w = BUF_INIT(SUBJECT_MAX * 8), last = BUF_INIT(SUBJECT_MAX * 8);
	size_t start = 0, end = 0;
	int rc = 0;

	while (rc == 0 && start < n) {
		buf_reset(&last);
		/* Grow the word while it fits; a lone character always goes. */
		end = start + utf8_char_len((const unsigned char *)u + start, n - start);
		if ((rc = word_make(cs, enc, u + start, end - start, &last)) < 0)
			break;
		while (end < n) {
			size_t k = utf8_char_len((const unsigned char *)u + end, n - end);

			buf_reset(&w);
			if (word_make(cs, enc, u + start, end + k - start, &w) < 0 ||
			    w.len > WORD_MAX)
				break;
			end += k;
			buf_reset(&last);
			buf_append(&last, w.data, w.len);
		}
		if ((start > 0 && buf_putc(out, ' ') < 0) ||
		    buf_append(out, last.data, last.len) < 0)
			rc = -1;
		start = end;
	}
	buf_free(&w);
	buf_free(&last);
	return rc;
}

static int
word_needs_encoding(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x7f || (unsigned char)s[i] < 0x20 ||
		    (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			return 1;
	return 0;
}

/*
 * The header value for UTF-8 text s: words that need it encoded, runs of
 * such words (with the blanks between them) in the same encoded-words.
 */
static int
subject_encode(const char *cs, char enc, const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t ws = i, we, run_end;

		while (ws < len && is_blank(s[ws]))
			ws++;
		if (ws == len)
			break;
		we = ws;
		while (we < len && !is_blank(s[we]))
			we++;
		if (!word_needs_encoding(s + ws, we - ws)) {
			if (buf_append(out, s + i, we - i) < 0)
				return -1;
			i = we;
			continue;
		}
		/* The run: this word and the next ones that need encoding too. */
		run_end = we;
		for (;;) {
			size_t a = run_end, b;

			while (a < len && is_blank(s[a]))
				a++;
			b = a;
			while (b < len && !is_blank(s[b]))
				b++;
			if (a == len || !word_needs_encoding(s + a, b - a))
				break;
			run_end = b;
		}
		if (buf_append(out, s + i, ws - i) < 0 ||
		    run_encode(cs, enc, s + ws, run_end - ws, out) < 0)
			return -1;
		i = run_end;
	}
	return 0;
}

/* The new Subject value for tagged UTF-8 text. */
static int
subject_value(const char *unfolded, int was_encoded, const struct tag *t,
    const char *text, size_t len, struct buf *out)
{
	char cs[CHARSET_MAX + 1] = "utf-8", enc = 'q';
	size_t start = out->len;

	if (!was_encoded) {
		/* Sent plain, it stays plain: unless the tag (or a NUL) forbids it. */
		if (!word_needs_encoding(buf_cstr(&t->text), t->text.len) &&
		    memchr(text, '\0', len) == NULL)
			return buf_append(out, text, len);
	} else if (!first_word(unfolded, cs, &enc) || !charset_name_ok(cs) ||
	    strcasecmp(cs, "us-ascii") == 0) {
		strcpy(cs, "utf-8");
		enc = 'q';
	}
	if (subject_encode(cs, enc, text, len, out) == 0)
		return 0;
	/* Some character does not fit the original charset. */
	buf_truncate(out, start);
	return subject_encode("utf-8", enc, text, len, out);
}

int
transform_subject(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, struct buf *err)
{
	const char *tmpl = listconf_str(lc, LC_CUSTOM_SUBJECT);
	struct tag t = { BUF_INIT(4096), NULL, 0, 0 };
	struct buf unfolded = BUF_INIT(SUBJECT_MAX), decoded = BUF_INIT(SUBJECT_MAX),
	    tagged = BUF_INIT(SUBJECT_MAX + 4096), value = BUF_INIT(MSGEDIT_VALUE_MAX);
	struct buf why = BUF_INIT(256);
	int rc = 0;

	if (*tmpl == '\0')
		return 0;
	if (tag_build(&t, tmpl, l) < 0) {
		log_warn("custom_subject \"%s\": only [%%list.name%%] and "
		    "[%%list.sequence%%] are known; subject left as it is", tmpl);
		goto out;
	}
	if (msgedit_get(e, "Subject", 0, &unfolded) < 0 ||
	    msgedit_get_decoded(e, "Subject", 0, &decoded) < 0) {
		log_warn("Subject over %d bytes left as it is", SUBJECT_MAX);
		goto out;
	}
	retag(&t, buf_cstr(&decoded), decoded.len, &tagged);
	if (subject_value(buf_cstr(&unfolded), strcmp(buf_cstr(&unfolded),
	    buf_cstr(&decoded)) != 0, &t, buf_cstr(&tagged), tagged.len, &value) < 0 ||
	    msgedit_replace(e, "Subject", buf_cstr(&value), &why) < 0) {
		buf_printf(err, "Subject: %s", why.len ? buf_cstr(&why) : "too long");
		rc = -1;
	}
out:
	buf_free(&t.text);
	free(t.toks);
	buf_free(&unfolded);
	buf_free(&decoded);
	buf_free(&tagged);
	buf_free(&value);
	buf_free(&why);
	return rc;
}
