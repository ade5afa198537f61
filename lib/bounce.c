/*
 * bounce - read a bounce, feedback or receipt report (see bounce.h).
 *
 * bounce_parse() parses the message once with lib/msg, then asks the
 * readers in order of trust until one finds recipients: the standard
 * report parts (bounce_dsn.c), the same fields written into a text part,
 * the MTAs' own formats (bounce_nonstd.c), X-Failed-Recipients. What is
 * still without a recipient may be an auto-reply. Last, every recipient's
 * status is completed from its diagnostic and judged hard or soft, and
 * the returned message (if any) gives the orig_* fields.
 *
 * This file owns the report: every address enters through
 * bounce_rcpt_get() and every text through bounce_text_dup(), which is
 * where the bounds of bounce.h are kept.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "codec.h"
#include "mem.h"
#include "mimeword.h"
#include "msg.h"

#define BOUNCE_HEADER_VALUE_MAX	4096	/* bytes of a header examined */
#define BOUNCE_PART_MAX		(1024 * 1024)	/* decoded bytes of one part */
#define BOUNCE_NEST_MAX		2	/* reports read inside reports */

int
bounce_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The first place needle occurs in hay, ASCII case ignored. */
const char *
bounce_memcasemem(const char *hay, size_t hlen, const char *needle)
{
	size_t n = strlen(needle);
	int first = bounce_lower((unsigned char)needle[0]);

	if (n == 0)
		return hay;
	for (size_t i = 0; i + n <= hlen; i++) {
		size_t j = 0;

		if (bounce_lower((unsigned char)hay[i]) != first)
			continue;
		for (j = 1; j < n; j++)
			if (bounce_lower((unsigned char)hay[i + j]) !=
			    bounce_lower((unsigned char)needle[j]))
				break;
		if (j == n)
			return hay + i;
	}
	return NULL;
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
bounce_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * One line of text: control bytes become spaces, runs of blanks one
 * space, invalid UTF-8 "?", cut to BOUNCE_TEXT_MAX bytes between two
 * characters; NULL when nothing is left.
 */
char *
bounce_text_dup(const char *s, size_t n)
{
	char out[BOUNCE_TEXT_MAX + 1];
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0, i = 0;
	int space = 1;

	if (s == NULL)
		return NULL;
	while (i < n) {
		size_t cl;

		if (u[i] < 0x20 || u[i] == 0x7f || u[i] == ' ') {
			if (!space && o < BOUNCE_TEXT_MAX)
				out[o++] = ' ';
			space = 1;
			i++;
			continue;
		}
		cl = bounce_utf8_len(u + i, n - i);
		if (cl == 0) {
			if (o + 1 > BOUNCE_TEXT_MAX)
				break;
			out[o++] = '?';
			i++;
		} else {
			if (o + cl > BOUNCE_TEXT_MAX)
				break;
			memcpy(out + o, s + i, cl);
			o += cl;
			i += cl;
		}
		space = 0;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (o == 0)
		return NULL;
	return xstrndup(out, o);
}

static int
bounce_is_atext(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static int
bounce_domain_ok(const char *d, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	if (d[0] == '[') {
		if (n < 3 || d[n - 1] != ']')
			return 0;
		for (size_t i = 1; i + 1 < n; i++) {
			int c = (unsigned char)d[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			    (c >= 'A' && c <= 'F') || c == '.' || c == ':' ||
			    c == 'v' || c == 'V' || c == 'i' || c == 'I' ||
			    c == 'p' || c == 'P'))
				return 0;
		}
		return 1;
	}
	if (d[0] == '.' || d[0] == '-' || d[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)d[i];

		if (c == '.' && i > 0 && d[i - 1] == '.')
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c >= 0x80))
			return 0;
	}
	return 1;
}

static int
bounce_local_ok(const char *l, size_t n)
{
	if (n == 0 || n > 64 * 4)
		return 0;
	if (l[0] == '"') {
		if (n < 3 || l[n - 1] != '"')
			return 0;
		for (size_t i = 1; i + 1 < n; i++)
			if ((unsigned char)l[i] < 0x20 || l[i] == '"' ||
			    l[i] == '\\' || l[i] == 0x7f)
				return 0;
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!bounce_is_atext((unsigned char)l[i]))
			return 0;
	return l[0] != '.';
}

/* s starts with a quoted local part: "..."@ */
static int
bounce_quoted_local(const char *s, size_t n)
{
	const char *q = n > 1 ? memchr(s + 1, '"', n - 1) : NULL;

	return q != NULL && (size_t)(q - s) + 1 < n && q[1] == '@';
}

/*
 * The addr-spec in s[0..n), as reports write it ("<a@b>", "a@b.",
 * "mailto:a@b", "<@route:a@b>"), lower-cased into out; 1, or 0 when it
 * is no usable address.
 */
int
bounce_addr_norm(const char *s, size_t n, char out[BOUNCE_ADDRESS_MAX + 1])
{
	const char *at = NULL, *lt, *gt;
	size_t i;

	while (n > 0 && strchr(" \t\r\n'(", *s))
		s++, n--;
	if (n > 0 && *s == '"' && !bounce_quoted_local(s, n))
		s++, n--;
	if ((lt = memchr(s, '<', n)) != NULL &&
	    (gt = memchr(lt, '>', n - (size_t)(lt - s))) != NULL) {
		s = lt + 1;
		n = (size_t)(gt - lt) - 1;
	}
	while (n > 0 && strchr(" \t<", *s))
		s++, n--;
	if (n >= 7 && bounce_memcasemem(s, 7, "mailto:") == s)
		s += 7, n -= 7;
	if (n > 0 && *s == '@') {
		const char *colon = memchr(s, ':', n);

		if (colon == NULL)
			return 0;
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	while (n > 0 && strchr(" \t\r\n>.,;:)'\"", s[n - 1]))
		n--;
	if (n == 0 || n > BOUNCE_ADDRESS_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '@')
			at = s + i;
		else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r' || s[i] == '\0')
			if (s[0] != '"' || at != NULL)
				return 0;
	}
	if (at == NULL || !bounce_local_ok(s, (size_t)(at - s)) ||
	    !bounce_domain_ok(at + 1, n - (size_t)(at - s) - 1))
		return 0;
	for (i = 0; i < n;) {
		size_t cl = bounce_utf8_len((const unsigned char *)s + i, n - i);

		if (cl == 0)
			return 0;
		if (cl == 1)
			out[i] = (char)bounce_lower((unsigned char)s[i]);
		else
			memcpy(out + i, s + i, cl);
		i += cl;
	}
	out[n] = '\0';
	return 1;
}

struct bounce_rcpt *
bounce_rcpt_get(struct bounce_report *r, const char *s, size_t n)
{
	char a[BOUNCE_ADDRESS_MAX + 1];
	struct bounce_rcpt *rc;

	if (!bounce_addr_norm(s, n, a))
		return NULL;
	for (size_t i = 0; i < r->nrcpts; i++)
		if (strcmp(r->rcpts[i].address, a) == 0)
			return &r->rcpts[i];
	if (r->nrcpts >= BOUNCE_RCPTS_MAX)
		return NULL;
	/* Room for 4, then doubled each time a power of two is full. */
	if (r->nrcpts == 0)
		r->rcpts = xreallocarray(r->rcpts, 4, sizeof *r->rcpts);
	else if (r->nrcpts >= 4 && (r->nrcpts & (r->nrcpts - 1)) == 0)
		r->rcpts = xreallocarray(r->rcpts, r->nrcpts * 2,
		    sizeof *r->rcpts);
	rc = &r->rcpts[r->nrcpts++];
	memset(rc, 0, sizeof *rc);
	rc->address = xstrdup(a);
	rc->action = BOUNCE_FAILED;
	return rc;
}

/* Forget the recipient added last (it was no recipient after all). */
void
bounce_rcpt_drop(struct bounce_report *r)
{
	struct bounce_rcpt *rc;

	if (r->nrcpts == 0)
		return;
	rc = &r->rcpts[--r->nrcpts];
	free(rc->address);
	free(rc->original);
	free(rc->diagnostic);
	free(rc->remote_mta);
	memset(rc, 0, sizeof *rc);
}

/*
 * Give a recipient its diagnostic: the first one, unless a later one
 * carries an enhanced status code the first lacks.
 */
void
bounce_rcpt_diag(struct bounce_rcpt *rc, const char *s, size_t n)
{
	char st[16];
	char *d;

	if (rc->diagnostic != NULL) {
		size_t len = strlen(rc->diagnostic);

		if (bounce_status_code(rc->diagnostic, len, st) ||
		    !bounce_status_code(s, n < BOUNCE_DIAG_SCAN_MAX ? n :
		    BOUNCE_DIAG_SCAN_MAX, st))
			return;
	}
	if ((d = bounce_text_dup(s, n)) == NULL)
		return;
	free(rc->diagnostic);
	rc->diagnostic = d;
}

/*
 * A part's body with its transfer encoding undone, as much of it as out
 * can hold: a body too big is read in part, not dropped.
 */
void
bounce_part_decode(const struct msg *m, const struct msg_part *p,
    struct buf *out)
{
	size_t len, room = out->max - out->len;
	const char *body = msg_part_body(m, p, &len);

	switch (p->cte) {
	case MSG_CTE_BASE64:
		/* Four bytes of base64 make three at most. */
		if (len > room / 3 * 4)
			len = room / 3 * 4;
		(void)codec_base64_decode(body, len, out);
		break;
	case MSG_CTE_QP:
		(void)codec_qp_decode(body, len < room ? len : room, out);
		break;
	default:
		(void)buf_append(out, body, len < room ? len : room);
		break;
	}
}

/* Append s[0..n) to the text: LF line ends, one "> " quote level less. */
static void
bounce_text_add(struct bounce_ctx *c, const char *s, size_t n)
{
	int bol = c->text.len == 0 || c->text.data[c->text.len - 1] == '\n';

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				continue;
			ch = '\n';
		}
		if (bol && ch == '>') {
			if (i + 1 < n && s[i + 1] == ' ')
				i++;
			bol = 0;
			continue;
		}
		if (buf_putc(&c->text, ch == '\0' ? ' ' : ch) < 0)
			return;
		bol = ch == '\n';
	}
	if (c->text.len > 0 && c->text.data[c->text.len - 1] != '\n')
		(void)buf_putc(&c->text, '\n');
}

/* HTML to text, roughly: tags dropped, block ends as line ends. */
static void
bounce_html_strip(const char *s, size_t n, struct buf *out)
{
	static const struct { const char *ent; char ch; } ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&nbsp;", ' ' }, { "&quot;", '"' }, { "&#39;", '\'' },
	};
	size_t i = 0;

	while (i < n) {
		if (s[i] == '<') {
			const char *e = memchr(s + i, '>', n - i);
			size_t tl = e ? (size_t)(e - (s + i)) + 1 : n - i;

			if (bounce_memcasemem(s + i, tl < 5 ? tl : 5, "<br") ||
			    bounce_memcasemem(s + i, tl < 4 ? tl : 4, "</p") ||
			    bounce_memcasemem(s + i, tl < 6 ? tl : 6, "</div") ||
			    bounce_memcasemem(s + i, tl < 5 ? tl : 5, "</tr") ||
			    bounce_memcasemem(s + i, tl < 5 ? tl : 5, "</li"))
				(void)buf_putc(out, '\n');
			i += tl;
			continue;
		}
		if (s[i] == '&') {
			size_t k;

			for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
				size_t el = strlen(ents[k].ent);

				if (n - i >= el &&
				    bounce_memcasemem(s + i, el, ents[k].ent)) {
					(void)buf_putc(out, ents[k].ch);
					i += el;
					break;
				}
			}
			if (k < sizeof ents / sizeof ents[0])
				continue;
		}
		(void)buf_putc(out, s[i]);
		i++;
	}
}

/* Whether p is inside an encapsulated message (a returned one). */
static int
bounce_part_enclosed(const struct msg_part *p)
{
	for (const struct msg_part *q = p->parent; q != NULL; q = q->parent)
		if (q->body_kind == MSG_BODY_MESSAGE)
			return 1;
	return 0;
}

/* A readable part's text, in UTF-8 when its charset is known. */
static void
bounce_text_part(struct bounce_ctx *c, const struct msg_part *p, int html)
{
	struct buf raw = BUF_INIT(BOUNCE_PART_MAX);
	struct buf u = BUF_INIT(BOUNCE_PART_MAX * 2);
	const char *cs = msg_part_charset(p);

	bounce_part_decode(c->m, p, &raw);
	if (cs == NULL || mimeword_to_utf8(cs, raw.data ? raw.data : "",
	    raw.len, &u) == -1) {
		buf_reset(&u);
		(void)buf_append(&u, raw.data ? raw.data : "", raw.len);
	}
	if (html) {
		buf_reset(&raw);
		bounce_html_strip(u.data ? u.data : "", u.len, &raw);
		bounce_text_add(c, raw.data ? raw.data : "", raw.len);
	} else
		bounce_text_add(c, u.data ? u.data : "", u.len);
	buf_free(&raw);
	buf_free(&u);
}

static int
bounce_part_readable(const struct msg_part *p, int html)
{
	if (p->child != NULL || bounce_part_enclosed(p))
		return 0;
	/* A multipart without a boundary, or whose boundary never comes. */
	if (p->body_kind == MSG_BODY_MULTIPART || msg_part_is(p, "multipart", NULL))
		return !html;
	if (p->body_kind != MSG_BODY_LEAF)
		return 0;
	if (html)
		return msg_part_is(p, "text", "html");
	if (msg_part_is(p, "text", "html") ||
	    msg_part_is(p, "text", "rfc822-headers") ||
	    msg_part_is(p, "text", "rfc822-header") ||
	    msg_part_is(p, "text", "delivery-status"))
		return 0;
	if (p->ctype_default || msg_part_is(p, "text", NULL))
		return 1;
	/* A message that is no MIME at all is read whatever it claims. */
	return p->parent == NULL && !msg_part_is(p, "message", NULL);
}

/* The readable text: plain parts, or HTML ones when there are none. */
static void
bounce_text_collect(struct bounce_ctx *c)
{
	int found = 0;

	for (size_t i = 0; i < c->m->nparts; i++) {
		if (bounce_part_readable(c->m->parts[i], 0)) {
			bounce_text_part(c, c->m->parts[i], 0);
			found = 1;
		}
	}
	if (found)
		return;
	for (size_t i = 0; i < c->m->nparts; i++)
		if (bounce_part_readable(c->m->parts[i], 1))
			bounce_text_part(c, c->m->parts[i], 1);
}

/* The returned message's part: message/rfc822 or text/rfc822-headers. */
static const struct msg_part *
bounce_returned_part(const struct msg *m)
{
	for (size_t i = 0; i < m->nparts; i++) {
		const struct msg_part *p = m->parts[i];

		if (bounce_part_enclosed(p) || p->parent == NULL)
			continue;
		if (msg_part_is(p, "message", "rfc822") ||
		    msg_part_is(p, "message", "global") ||
		    msg_part_is(p, "message", "rfc822-headers") ||
		    msg_part_is(p, "message", "global-headers") ||
		    msg_part_is(p, "text", "rfc822-headers") ||
		    msg_part_is(p, "text", "rfc822-header") ||
		    msg_part_is(p, "message", "partial"))
			return p;
	}
	return NULL;
}

/* A header's value, unfolded, bounded. */
static int
bounce_header(const struct msg *m, const struct msg_part *p, const char *name,
    struct buf *out)
{
	buf_reset(out);
	return msg_header_get(m, p, name, out) != 0 ? 1 : 0;
}

/* The first address of an address header's value (lenient). */
static char *
bounce_first_address(const char *v, size_t n)
{
	struct addr_list l = { NULL, 0 };
	const char *err;
	char a[BOUNCE_ADDRESS_MAX + 1];
	char *res = NULL;

	if (addr_parse_list(v, n, &l, &err) == 0) {
		for (size_t i = 0; i < l.n && res == NULL; i++)
			if (bounce_addr_norm(l.v[i].spec, strlen(l.v[i].spec), a))
				res = xstrdup(a);
		addr_list_free(&l);
		if (res != NULL)
			return res;
	}
	/* Not RFC 5322: the first token holding an "@". */
	for (size_t i = 0; i < n; i++) {
		size_t b, e;

		if (v[i] != '@')
			continue;
		for (b = i; b > 0 && !strchr(" \t<,;:(\"", v[b - 1]); b--)
			;
		for (e = i; e < n && !strchr(" \t>,;)\"", v[e]); e++)
			;
		if (bounce_addr_norm(v + b, e - b, a))
			return xstrdup(a);
	}
	return NULL;
}

/* A Message-ID's or List-Id's id: inside the angle brackets, else all. */
static char *
bounce_angle_id(const char *v, size_t n)
{
	const char *lt = memchr(v, '<', n), *gt;

	if (lt != NULL && (gt = memchr(lt, '>', n - (size_t)(lt - v))) != NULL)
		return bounce_text_dup(lt + 1, (size_t)(gt - lt) - 1);
	return bounce_text_dup(v, n);
}

/* The orig_* fields from the headers of a returned message. */
static void
bounce_returned_fields(struct bounce_report *r, const struct msg *m,
    const struct msg_part *p)
{
	struct buf v = BUF_INIT(BOUNCE_HEADER_VALUE_MAX);

	if (r->orig_message_id == NULL && bounce_header(m, p, "Message-ID", &v))
		r->orig_message_id = bounce_angle_id(buf_cstr(&v), v.len);
	if (r->orig_list_id == NULL && bounce_header(m, p, "List-Id", &v))
		r->orig_list_id = bounce_angle_id(buf_cstr(&v), v.len);
	if (r->orig_to == NULL && bounce_header(m, p, "To", &v))
		r->orig_to = bounce_first_address(buf_cstr(&v), v.len);
	if (r->orig_return_path == NULL && bounce_header(m, p, "Return-Path", &v))
		r->orig_return_path = bounce_first_address(buf_cstr(&v), v.len);
	buf_free(&v);
}

/* Parse headers held as bytes (a text/rfc822-headers body, inline text). */
static void
bounce_returned_bytes(struct bounce_report *r, const char *s, size_t n)
{
	struct msg_limits lim;
	struct msg *hm;

	msg_limits_default(&lim);
	lim.max_parts = 1;
	if ((hm = msg_parse(s, n, &lim, NULL)) == NULL)
		return;
	bounce_returned_fields(r, hm, NULL);
	msg_free(hm);
}

static void
bounce_returned(struct bounce_ctx *c)
{
	const struct msg_part *p = c->returned;
	size_t off;

	if (p != NULL && p->child != NULL && p->body_kind == MSG_BODY_MESSAGE) {
		bounce_returned_fields(c->r, c->m, p->child);
	} else if (p != NULL) {
		struct buf b = BUF_INIT(BOUNCE_PART_MAX);

		bounce_part_decode(c->m, p, &b);
		bounce_returned_bytes(c->r, buf_cstr(&b), b.len);
		buf_free(&b);
	}
	/* Reports that are no MIME quote the message after a marker line. */
	if (c->r->orig_message_id == NULL &&
	    bounce_nonstd_returned(c, &off) < c->text.len)
		bounce_returned_bytes(c->r, c->text.data + off, c->text.len - off);
}

/* Exim and others name the failed recipients in a header. */
static void
bounce_failed_header(struct bounce_ctx *c)
{
	const struct msg_header *h = NULL;
	struct buf v = BUF_INIT(BOUNCE_HEADER_VALUE_MAX * 16);

	while ((h = msg_header_find(c->m, NULL, "X-Failed-Recipients", h))) {
		const char *s;
		size_t n, i = 0;

		buf_reset(&v);
		(void)msg_header_unfold(c->m, h, &v);
		s = buf_cstr(&v);
		n = v.len;
		while (i < n) {
			size_t e = i;

			while (e < n && s[e] != ',' && s[e] != ' ' && s[e] != '\t')
				e++;
			if (e > i && bounce_rcpt_get(c->r, s + i, e - i) != NULL)
				c->r->recogniser = "x-failed-recipients";
			i = e + 1;
		}
	}
	buf_free(&v);
}

/* RFC 3834 and the usual vacation subjects. */
static int
bounce_is_autoreply(struct bounce_ctx *c)
{
	static const char *const subjects[] = {
		"auto:", "autoreply", "auto-reply", "auto reply",
		"automatic reply", "autoresponse", "auto-response",
		"out of office", "out of the office", "vacation",
		"away from", "abwesenheit", "absence", "automatische antwort",
		"r\xc3\xa9ponse automatique", "respuesta autom",
		"risposta automatica",
	};
	struct buf v = BUF_INIT(BOUNCE_HEADER_VALUE_MAX);
	int yes = 0;

	if (bounce_header(c->m, NULL, "Auto-Submitted", &v) &&
	    bounce_memcasemem(buf_cstr(&v), v.len, "auto-replied") != NULL)
		yes = 1;
	else if (msg_header_find(c->m, NULL, "X-Autoreply", NULL) != NULL ||
	    msg_header_find(c->m, NULL, "X-Autorespond", NULL) != NULL)
		yes = 1;
	else if (bounce_header(c->m, NULL, "Precedence", &v) &&
	    bounce_memcasemem(buf_cstr(&v), v.len, "auto_reply") != NULL)
		yes = 1;
	for (size_t i = 0; !yes && i < sizeof subjects / sizeof subjects[0]; i++)
		if (bounce_memcasemem(c->subject, strlen(c->subject),
		    subjects[i]) != NULL)
			yes = 1;
	buf_free(&v);
	return yes;
}

/* The report's own address in a header (never one of its recipients). */
static void
bounce_self(struct bounce_ctx *c, const char *name, char out[BOUNCE_ADDRESS_MAX + 1])
{
	struct buf v = BUF_INIT(BOUNCE_HEADER_VALUE_MAX);
	char *a;

	out[0] = '\0';
	if (bounce_header(c->m, NULL, name, &v) &&
	    (a = bounce_first_address(buf_cstr(&v), v.len)) != NULL) {
		strcpy(out, a);
		free(a);
	}
	buf_free(&v);
}

/* Status and hard/soft for each recipient, from what was found. */
static void
bounce_finish(struct bounce_report *r)
{
	for (size_t i = 0; i < r->nrcpts; i++) {
		struct bounce_rcpt *rc = &r->rcpts[i];
		const char *d = rc->diagnostic;

		if (rc->action == BOUNCE_DISPLAYED || rc->action == BOUNCE_FEEDBACK)
			continue;
		if (rc->status[0] == '\0' && d != NULL) {
			size_t n = strlen(d);

			if (bounce_status_code(d, n, rc->status))
				;
			else if (bounce_status_wording(d, n, rc->status))
				rc->status_inferred = 1;
			else
				rc->status[0] = '\0';
		}
		if (rc->status[0] == '\0' && rc->action == BOUNCE_FAILED &&
		    r->kind != BOUNCE_KIND_NONE) {
			/* A failure with no word of why is a permanent one. */
			strcpy(rc->status, "5.0.0");
			rc->status_inferred = 1;
		}
		if (rc->status[0] == '2' && rc->action == BOUNCE_FAILED)
			rc->action = BOUNCE_DELIVERED;
		rc->hard = rc->action == BOUNCE_FAILED &&
		    bounce_is_hard(rc->status, d);
	}
}

static int bounce_parse_depth(const char *data, size_t len,
    struct bounce_report *out, struct buf *err, int depth);

/*
 * A report that wraps another (a forwarded bounce, a bounce of a
 * bounce): the inner one, when it names recipients.
 */
static int
bounce_nested(struct bounce_ctx *c, int depth)
{
	const struct msg_part *p = c->returned;
	struct bounce_report sub;
	size_t hdr;

	if (depth >= BOUNCE_NEST_MAX)
		return 0;
	for (int i = 0; i < 2; i++) {
		const char *s;
		size_t n;

		if (i == 0 && p != NULL && p->child != NULL &&
		    p->body_kind == MSG_BODY_MESSAGE) {
			s = c->m->data + p->child->hdr_off;
			n = p->child->body_end - p->child->hdr_off;
		} else if (i == 1 && bounce_nonstd_returned(c, &hdr) < c->text.len) {
			s = c->text.data + hdr;
			n = c->text.len - hdr;
		} else
			continue;
		if (bounce_parse_depth(s, n, &sub, NULL, depth + 1) == 0 &&
		    sub.nrcpts > 0 && sub.kind != BOUNCE_KIND_AUTOREPLY) {
			bounce_report_free(c->r);
			*c->r = sub;
			/* What it returned is the inner report's business. */
			c->nested = 1;
			return 1;
		}
		bounce_report_free(&sub);
	}
	return 0;
}

/* Ask the readers, most trusted first, until one finds recipients. */
static void
bounce_read(struct bounce_ctx *c, int depth)
{
	struct bounce_report *r = c->r;

	if (bounce_dsn_parts(c) || bounce_feedback(c) || bounce_dsn_in_text(c) ||
	    bounce_nonstd(c))
		return;
	bounce_failed_header(c);
	if (r->nrcpts > 0) {
		r->kind = BOUNCE_KIND_NONSTANDARD;
		bounce_nonstd_diagnose(c);
	} else if (bounce_nested(c, depth))
		;
	else if (bounce_nonstd_fallback(c))
		r->kind = BOUNCE_KIND_NONSTANDARD;
	else if (bounce_is_autoreply(c)) {
		r->kind = BOUNCE_KIND_AUTOREPLY;
		r->recogniser = "rfc3834";
	}
}

int
bounce_parse(const char *data, size_t len, struct bounce_report *out,
    struct buf *err)
{
	return bounce_parse_depth(data, len, out, err, 0);
}

static int
bounce_parse_depth(const char *data, size_t len, struct bounce_report *out,
    struct buf *err, int depth)
{
	struct bounce_ctx c;
	struct buf v = BUF_INIT(BOUNCE_HEADER_VALUE_MAX);
	struct msg *m;

	memset(out, 0, sizeof *out);
	out->kind = BOUNCE_KIND_NONE;
	out->recogniser = "none";
	if (data == NULL)
		data = "";
	if ((m = msg_parse(data, len, NULL, err)) == NULL)
		return -1;
	memset(&c, 0, sizeof c);
	c.m = m;
	c.r = out;
	buf_init(&c.text, BOUNCE_BODY_TEXT_MAX);
	c.subject = xstrdup(msg_subject(m, &v) > 0 ? buf_cstr(&v) : "");
	c.from = xstrdup(bounce_header(m, NULL, "From", &v) ? buf_cstr(&v) : "");
	c.returned = bounce_returned_part(m);
	bounce_self(&c, "To", c.self[0]);
	bounce_self(&c, "From", c.self[1]);
	bounce_text_collect(&c);

	bounce_read(&c, depth);
	if (!c.nested)
		bounce_returned(&c);
	/* A feedback report without Original-Rcpt-To names the member in To. */
	if (out->kind == BOUNCE_KIND_ARF && out->nrcpts == 0 &&
	    out->orig_to != NULL) {
		struct bounce_rcpt *rc = bounce_rcpt_get(out, out->orig_to,
		    strlen(out->orig_to));

		if (rc != NULL)
			rc->action = BOUNCE_FEEDBACK;
	}
	bounce_finish(out);

	buf_free(&v);
	buf_free(&c.text);
	free(c.subject);
	free(c.from);
	msg_free(m);
	return 0;
}

void
bounce_report_free(struct bounce_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrcpts; i++) {
		free(r->rcpts[i].address);
		free(r->rcpts[i].original);
		free(r->rcpts[i].diagnostic);
		free(r->rcpts[i].remote_mta);
	}
	free(r->rcpts);
	free(r->envid);
	free(r->reporting_mta);
	free(r->feedback_type);
	free(r->disposition);
	free(r->orig_message_id);
	free(r->orig_list_id);
	free(r->orig_to);
	free(r->orig_return_path);
	memset(r, 0, sizeof *r);
	r->recogniser = "none";
}

const char *
bounce_action_name(enum bounce_action a)
{
	switch (a) {
	case BOUNCE_FAILED:	return "failed";
	case BOUNCE_DELAYED:	return "delayed";
	case BOUNCE_DELIVERED:	return "delivered";
	case BOUNCE_RELAYED:	return "relayed";
	case BOUNCE_EXPANDED:	return "expanded";
	case BOUNCE_DISPLAYED:	return "displayed";
	case BOUNCE_FEEDBACK:	return "feedback";
	}
	return "failed";
}

const char *
bounce_kind_name(enum bounce_kind k)
{
	switch (k) {
	case BOUNCE_KIND_DSN:		return "dsn";
	case BOUNCE_KIND_MDN:		return "mdn";
	case BOUNCE_KIND_ARF:		return "arf";
	case BOUNCE_KIND_NONSTANDARD:	return "nonstandard";
	case BOUNCE_KIND_AUTOREPLY:	return "autoreply";
	case BOUNCE_KIND_NONE:		return "none";
	}
	return "none";
}
