/*
 * smtp_reply - the pure half of the SMTP client: reply parsing, EHLO
 * keywords, and the body as it goes on the wire. Nothing here does I/O, so
 * all of it is fuzzed and tested with tables.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mem.h"
#include "smtp.h"

void
smtp_reply_clear(struct smtp_reply *r)
{
	free(r->text);
	memset(r, 0, sizeof(*r));
}

void
smtp_reply_set(struct smtp_reply *r, int code, const char *enh,
    const char *text)
{
	smtp_reply_clear(r);
	r->code = code;
	if (enh != NULL && strlen(enh) < sizeof(r->enh))
		strcpy(r->enh, enh);
	r->text = xstrdup(text != NULL ? text : "");
	r->nlines = 1;
}

void
smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src)
{
	if (dst == src)
		return;
	smtp_reply_clear(dst);
	dst->code = src->code;
	memcpy(dst->enh, src->enh, sizeof(dst->enh));
	dst->text = src->text != NULL ? xstrdup(src->text) : NULL;
	dst->nlines = src->nlines;
}

/* 1 to 3 digits at *p, advancing it; -1 if none or too many. */
static int
enh_number(const char **p, const char *end)
{
	const char *s = *p;

	while (*p < end && isdigit((unsigned char)**p) && *p - s < 4)
		(*p)++;
	return (*p == s || *p - s > 3) ? -1 : 0;
}

/*
 * The length of an RFC 3463 code "class.subject.detail" at the start of
 * text whose class is the reply's first digit, followed by a space or the
 * end; 0 when there is none.
 */
static size_t
enh_code_len(const char *text, size_t len, char cls)
{
	const char *p = text, *end = text + len;

	if (len < 5 || text[0] != cls || text[1] != '.')
		return 0;
	p += 2;
	if (enh_number(&p, end) < 0 || p >= end || *p++ != '.')
		return 0;
	if (enh_number(&p, end) < 0)
		return 0;
	if (p < end && *p != ' ')
		return 0;
	return (size_t)(p - text);
}

static int
code_digits_ok(const char *s)
{
	return s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '5' &&
	    s[2] >= '0' && s[2] <= '9';
}

int
smtp_reply_parse(const char *data, size_t len, size_t *consumed,
    struct smtp_reply *r)
{
	struct buf text = BUF_INIT(SMTP_LINE_MAX * SMTP_REPLY_LINES_MAX);
	char enh[SMTP_ENH_MAX] = "";
	size_t pos = 0, nlines = 0;
	int code = 0, last = 0;

	while (!last) {
		size_t avail = len - pos, scan, linelen, n;
		const char *line = data + pos, *lf, *t;
		int c;

		scan = avail < SMTP_LINE_MAX ? avail : SMTP_LINE_MAX;
		if ((lf = memchr(line, '\n', scan)) == NULL) {
			buf_free(&text);
			return avail >= SMTP_LINE_MAX ? -1 : 0;
		}
		linelen = (size_t)(lf - line);
		if (linelen > 0 && line[linelen - 1] == '\r')
			linelen--;
		if (linelen < 3 || !code_digits_ok(line))
			goto bad;
		c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (nlines > 0 && c != code)
			goto bad;
		code = c;
		if (linelen == 3 || line[3] == ' ')
			last = 1;
		else if (line[3] != '-')
			goto bad;
		t = linelen > 4 ? line + 4 : line + linelen;
		n = linelen > 4 ? linelen - 4 : 0;
		/* RFC 2034 repeats the code on every line: keep the first. */
		size_t elen = enh_code_len(t, n, line[0]);
		if (elen > 0) {
			if (nlines == 0 && elen < sizeof(enh)) {
				memcpy(enh, t, elen);
				enh[elen] = '\0';
			}
			t += elen;
			n -= elen;
			if (n > 0) {
				t++;
				n--;
			}
		}
		if ((nlines > 0 && buf_putc(&text, '\n') < 0) ||
		    buf_append(&text, t, n) < 0)
			goto bad;
		nlines++;
		pos += (size_t)(lf - line) + 1;
		if (!last && nlines >= SMTP_REPLY_LINES_MAX)
			goto bad;
	}
	smtp_reply_clear(r);
	r->code = code;
	memcpy(r->enh, enh, sizeof(r->enh));
	r->text = buf_steal(&text);
	r->nlines = nlines;
	*consumed = pos;
	return 1;
bad:
	buf_free(&text);
	return -1;
}

/* Does the keyword at s (n bytes, up to a space or the end) equal kw? */
static int
keyword_is(const char *s, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(s, kw, n) == 0;
}

static unsigned
auth_mechanisms(const char *p, const char *end)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} mechs[] = {
		{ "PLAIN", SMTP_AUTH_PLAIN },
		{ "LOGIN", SMTP_AUTH_LOGIN },
		{ "CRAM-MD5", SMTP_AUTH_CRAM_MD5 },
		{ "XOAUTH2", SMTP_AUTH_XOAUTH2 },
	};
	unsigned bits = 0;

	while (p < end) {
		const char *w;

		while (p < end && (*p == ' ' || *p == '='))
			p++;
		w = p;
		while (p < end && *p != ' ')
			p++;
		for (size_t i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
			if (keyword_is(w, (size_t)(p - w), mechs[i].name))
				bits |= mechs[i].bit;
	}
	return bits;
}

static void
ehlo_line(const char *line, const char *end, struct smtp_ext *ext)
{
	const char *p = line;
	size_t n;

	while (p < end && *p != ' ' && *p != '=')
		p++;
	n = (size_t)(p - line);
	if (keyword_is(line, n, "PIPELINING"))
		ext->flags |= SMTP_EXT_PIPELINING;
	else if (keyword_is(line, n, "8BITMIME"))
		ext->flags |= SMTP_EXT_8BITMIME;
	else if (keyword_is(line, n, "SMTPUTF8"))
		ext->flags |= SMTP_EXT_SMTPUTF8;
	else if (keyword_is(line, n, "STARTTLS"))
		ext->flags |= SMTP_EXT_STARTTLS;
	else if (keyword_is(line, n, "ENHANCEDSTATUSCODES"))
		ext->flags |= SMTP_EXT_ENHANCED;
	else if (keyword_is(line, n, "DSN"))
		ext->flags |= SMTP_EXT_DSN;
	else if (keyword_is(line, n, "AUTH")) {
		ext->flags |= SMTP_EXT_AUTH;
		ext->auth |= auth_mechanisms(p, end);
	} else if (keyword_is(line, n, "SIZE")) {
		size_t v = 0;

		ext->flags |= SMTP_EXT_SIZE;
		while (p < end && *p == ' ')
			p++;
		/* An absurd number means "no limit we can honour": none. */
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (v > ((size_t)-1 - 9) / 10) {
				v = 0;
				break;
			}
			v = v * 10 + (size_t)(*p - '0');
		}
		ext->size = v;
	}
}

void
smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ext *ext)
{
	const char *p;

	memset(ext, 0, sizeof(*ext));
	if (r->text == NULL || (p = strchr(r->text, '\n')) == NULL)
		return;
	while (p != NULL) {
		const char *line = p + 1, *end = strchr(line, '\n');

		ehlo_line(line, end != NULL ? end : line + strlen(line), ext);
		p = end;
	}
}

int
smtp_body_prepare(const char *msg, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t start;

		if (msg[i] == '.' && buf_putc(out, '.') < 0)
			return -1;
		start = i;
		while (i < len && msg[i] != '\r' && msg[i] != '\n')
			i++;
		if (buf_append(out, msg + start, i - start) < 0)
			return -1;
		if (i < len)
			i += (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n') ? 2 : 1;
		if (buf_append(out, "\r\n", 2) < 0)
			return -1;
	}
	return buf_append(out, ".\r\n", 3);
}
