/*
 * transform_footer - a list's message_header and message_footer.
 *
 * Three ways, chosen from the top-level part:
 *  - append: a single text/plain part whose charset can take the text
 *    (us-ascii for ASCII text, utf-8 for any) gets it before and after its
 *    content, in its own transfer encoding; 7bit and 8bit bodies are
 *    spliced (their bytes kept), quoted-printable and base64 are decoded,
 *    extended and encoded again;
 *  - insert: a well-formed multipart/mixed gets a text/plain part first
 *    (the header) and one last (the footer), in its own boundary;
 *  - wrap: anything else becomes the one middle part of a new
 *    multipart/mixed: its Content-* fields move into that part, so its
 *    bytes, a signature's included, are not touched.
 * Signed and encrypted messages are wrapped or left alone by policy;
 * text/plain carrying an inline PGP block is never appended to.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "listconf.h"
#include "msg.h"
#include "msgedit.h"
#include "transform.h"

#define BOUNDARY_TRIES	8
#define QP_LINE		76

/* The part's cte as it was named, for the outer part of a wrap. */
static const char *
cte_word(enum msg_cte cte)
{
	return cte == MSG_CTE_8BIT ? "8bit" : cte == MSG_CTE_BINARY ? "binary" : NULL;
}

static int
is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* text with its line ends made eol, ending in one if not empty. */
static int
text_lines(const char *text, const char *eol, struct buf *out)
{
	size_t n = strlen(text);

	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')
			continue;
		if (text[i] == '\n' || text[i] == '\r') {
			if (buf_puts(out, eol) < 0)
				return -1;
		} else if (buf_putc(out, text[i]) < 0)
			return -1;
	}
	if (n > 0 && text[n - 1] != '\n' && text[n - 1] != '\r')
		return buf_puts(out, eol);
	return 0;
}

static int
ends_in_newline(const char *s, size_t n)
{
	return n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r');
}

static const char *
eol_of(const char *s, size_t n, const char *dflt)
{
	const char *nl = memchr(s, '\n', n);

	if (nl == NULL)
		return dflt;
	return nl > s && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* Quoted-printable, lines of at most QP_LINE, hard breaks written as eol. */
static int
qp_encode(const char *in, size_t n, const char *eol, struct buf *out)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		char tmp[4];
		size_t k;

		if (c == '\n' || (c == '\r' && i + 1 < n && in[i + 1] == '\n')) {
			if (c == '\r')
				i++;
			if (buf_puts(out, eol) < 0)
				return -1;
			col = 0;
			continue;
		}
		/* A blank at the end of a line would be lost in transit. */
		if ((c == ' ' || c == '\t') && !(i + 1 == n || in[i + 1] == '\n' ||
		    in[i + 1] == '\r')) {
			tmp[0] = (char)c;
			k = 1;
		} else if (c >= 33 && c <= 126 && c != '=' && !(col == 0 && c == '.')) {
			tmp[0] = (char)c;
			k = 1;
		} else {
			static const char hex[] = "0123456789ABCDEF";

			tmp[0] = '=';
			tmp[1] = hex[c >> 4];
			tmp[2] = hex[c & 15];
			k = 3;
		}
		if (col + k > QP_LINE - 1) {
			if (buf_putc(out, '=') < 0 || buf_puts(out, eol) < 0)
				return -1;
			col = 0;
		}
		if (buf_append(out, tmp, k) < 0)
			return -1;
		col += k;
	}
	return 0;
}

/* Base64 in lines of 76, each ended with eol. */
static int
b64_encode(const char *in, size_t n, const char *eol, struct buf *out)
{
	struct buf tmp = BUF_INIT(out->max);
	int rc = 0;

	if (codec_base64_encode(in, n, &tmp, 0) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < tmp.len; i += 76)
		if (buf_append(out, tmp.data + i, tmp.len - i < 76 ? tmp.len - i : 76) < 0 ||
		    buf_puts(out, eol) < 0)
			rc = -1;
	buf_free(&tmp);
	return rc;
}

/*
 * A text/plain part: its fields, the blank line and the encoded text.
 * With merge fields, utf-8 and 8bit, so that the tokens stay as they are
 * and any value bulk puts in their place fits.
 */
static int
text_part(const char *text, const char *eol, int merge, struct buf *out)
{
	struct buf t = BUF_INIT(out->max);
	int ascii = is_ascii(text, strlen(text)), rc = -1;
	int qp = !ascii && !merge;

	if (text_lines(text, "\n", &t) < 0)
		goto out;
	/* 7bit allows lines of 998 at most: longer ones need encoding. */
	for (size_t i = 0, col = 0; i < t.len; i++, col++) {
		if (t.data[i] == '\n')
			col = 0;
		if (col > 900)
			qp = 1;
	}
	if (buf_printf(out, "Content-Type: text/plain; charset=%s%s"
	    "Content-Transfer-Encoding: %s%sContent-Disposition: inline%s%s",
	    ascii && !merge ? "us-ascii" : "utf-8", eol,
	    qp ? "quoted-printable" : merge ? "8bit" : "7bit",
	    eol, eol, eol) < 0)
		goto out;
	if (qp)
		rc = qp_encode(t.data ? t.data : "", t.len, eol, out);
	else
		rc = text_lines(buf_cstr(&t), eol, out);
out:
	buf_free(&t);
	return rc;
}

static int
contains(const char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* A boundary none of the texts holds. */
static int
new_boundary(const struct msg *m, const char *h, const char *f, struct buf *b)
{
	for (int i = 0; i < BOUNDARY_TRIES; i++) {
		buf_reset(b);
		/* "=_" cannot occur in quoted-printable or base64 text. */
		if (buf_puts(b, "=_herald_") < 0 || transform_random_hex(12, b) < 0)
			return -1;
		if (!contains(m->data, m->len, b->data) && strstr(h, b->data) == NULL &&
		    strstr(f, b->data) == NULL)
			return 0;
	}
	return -1;
}

static int
is_protected(const struct msg_part *p)
{
	return msg_part_is(p, "multipart", "signed") ||
	    msg_part_is(p, "multipart", "encrypted") ||
	    msg_part_is(p, "application", "pkcs7-mime") ||
	    msg_part_is(p, "application", "x-pkcs7-mime");
}

/* Whether text h and f can be appended to the root's text. */
static int
appendable(const struct msg *m, const char *h, const char *f)
{
	const struct msg_part *p = m->root;
	const char *cs = msg_part_charset(p);
	int ascii = is_ascii(h, strlen(h)) && is_ascii(f, strlen(f));
	size_t blen;
	const char *body;

	if (p->body_kind != MSG_BODY_LEAF || !msg_part_is(p, "text", "plain") ||
	    (p->defects & (MSG_DEFECT_BAD_CONTENT_TYPE | MSG_DEFECT_BAD_ENCODING)))
		return 0;
	if (p->disp.type != NULL && strcmp(p->disp.type, "inline") != 0)
		return 0;
	if (p->cte != MSG_CTE_7BIT && p->cte != MSG_CTE_8BIT &&
	    p->cte != MSG_CTE_QP && p->cte != MSG_CTE_BASE64)
		return 0;
	if (cs == NULL || strcasecmp(cs, "us-ascii") == 0) {
		if (!ascii)
			return 0;
	} else if (strcasecmp(cs, "utf-8") != 0 && strcasecmp(cs, "utf8") != 0)
		return 0;
	/* 8-bit text would need another transfer encoding. */
	if (!ascii && p->cte == MSG_CTE_7BIT)
		return 0;
	body = msg_part_body(m, p, &blen);
	/* An inline signature covers the text: never add to it. */
	return !contains(body, blen, "-----BEGIN PGP");
}

/* Header, the decoded text, footer, encoded again as the part was. */
static int
append_encoded(const struct msg *m, const char *h, const char *f,
    const char *eol, struct buf *body)
{
	const struct msg_part *p = m->root;
	struct buf text = BUF_INIT(m->limits.max_size), all = BUF_INIT(m->limits.max_size);
	const char *teol;
	int rc = -1;

	if (msg_part_decode(m, p, &text) < 0)
		goto out;
	teol = eol_of(buf_cstr(&text), text.len, eol);
	if (text_lines(h, teol, &all) < 0 ||
	    buf_append(&all, buf_cstr(&text), text.len) < 0 ||
	    (text.len > 0 && !ends_in_newline(text.data, text.len) &&
	    buf_puts(&all, teol) < 0) ||
	    text_lines(f, teol, &all) < 0)
		goto out;
	if (p->cte == MSG_CTE_QP)
		rc = qp_encode(buf_cstr(&all), all.len, eol, body);
	else
		rc = b64_encode(buf_cstr(&all), all.len, eol, body);
out:
	buf_free(&text);
	buf_free(&all);
	return rc;
}

static int
do_append(struct msgedit *e, const struct msg *m, const char *h, const char *f)
{
	const struct msg_part *p = m->root;
	struct buf body = BUF_INIT(m->limits.max_size);
	const char *eol = msgedit_eol(e), *raw;
	size_t rlen;
	int rc = -1;

	raw = msg_part_body(m, p, &rlen);
	if (p->cte == MSG_CTE_7BIT || p->cte == MSG_CTE_8BIT) {
		/* Spliced: the body's own bytes stay as they are. */
		if (text_lines(h, eol, &body) < 0 || buf_append(&body, raw, rlen) < 0 ||
		    (rlen > 0 && !ends_in_newline(raw, rlen) && buf_puts(&body, eol) < 0) ||
		    text_lines(f, eol, &body) < 0)
			goto out;
	} else if (append_encoded(m, h, f, eol, &body) < 0)
		goto out;
	msgedit_set_body(e, buf_cstr(&body), body.len);
	rc = 0;
out:
	buf_free(&body);
	return rc;
}

/* A multipart/mixed the parts can go into: parsed whole, with a part. */
static int
insertable(const struct msg_part *p)
{
	return msg_part_is(p, "multipart", "mixed") &&
	    p->body_kind == MSG_BODY_MULTIPART && p->nchildren > 0 &&
	    msg_part_param(p, "boundary") != NULL &&
	    !(p->defects & (MSG_DEFECT_NO_START_BOUNDARY | MSG_DEFECT_NO_CLOSE_BOUNDARY |
	    MSG_DEFECT_NO_BOUNDARY | MSG_DEFECT_TOO_MANY_PARTS |
	    MSG_DEFECT_BOUNDARY_TOO_LONG));
}

static int
do_insert(struct msgedit *e, const struct msg *m, const char *h, const char *f,
    int merge)
{
	const struct msg_part *p = m->root, *first = p->child, *last = p->last_child;
	const char *eol = msgedit_eol(e), *bnd = msg_part_param(p, "boundary")->value;
	struct buf body = BUF_INIT(m->limits.max_size);
	int rc = -1;

	if (buf_append(&body, m->data + p->body_off, first->hdr_off - p->body_off) < 0)
		goto out;
	if (*h != '\0' && (text_part(h, eol, merge, &body) < 0 ||
	    buf_printf(&body, "%s--%s%s", eol, bnd, eol) < 0))
		goto out;
	if (buf_append(&body, m->data + first->hdr_off, last->body_end - first->hdr_off) < 0)
		goto out;
	if (*f != '\0' && (buf_printf(&body, "%s--%s%s", eol, bnd, eol) < 0 ||
	    text_part(f, eol, merge, &body) < 0))
		goto out;
	if (buf_append(&body, m->data + last->body_end, m->len - last->body_end) < 0)
		goto out;
	msgedit_set_body(e, body.data, body.len);
	rc = 0;
out:
	buf_free(&body);
	return rc;
}

static int
do_wrap(struct msgedit *e, const struct msg *m, const char *h, const char *f,
    int merge, struct buf *err)
{
	const struct msg_part *p = m->root;
	const char *eol = msgedit_eol(e), *cte = cte_word(p->cte);
	struct buf bnd = BUF_INIT(256), body = BUF_INIT(m->limits.max_size),
	    ct = BUF_INIT(512);
	int rc = -1;

	if (new_boundary(m, h, f, &bnd) < 0) {
		buf_puts(err, "footer: no boundary found that the message does not hold");
		goto out;
	}
	if (buf_printf(&body, "--%s%s", bnd.data, eol) < 0)
		goto full;
	if (*h != '\0' && (text_part(h, eol, merge, &body) < 0 ||
	    buf_printf(&body, "%s--%s%s", eol, bnd.data, eol) < 0))
		goto full;
	/* The message's own MIME fields, as they were, head its part. */
	for (size_t i = 0; i < p->nheaders; i++) {
		const struct msg_header *fh = &p->headers[i];

		if (fh->name_len < 8 || strncasecmp(m->data + fh->off, "Content-", 8) != 0)
			continue;
		if (buf_append(&body, m->data + fh->off, fh->len) < 0 ||
		    (!ends_in_newline(m->data + fh->off, fh->len) && buf_puts(&body, eol) < 0))
			goto full;
	}
	if (buf_puts(&body, eol) < 0 ||
	    buf_append(&body, m->data + p->body_off, m->len - p->body_off) < 0)
		goto full;
	if (*f != '\0' && (buf_printf(&body, "%s--%s%s", eol, bnd.data, eol) < 0 ||
	    text_part(f, eol, merge, &body) < 0))
		goto full;
	if (buf_printf(&body, "%s--%s--%s", eol, bnd.data, eol) < 0 ||
	    buf_printf(&ct, "multipart/mixed; boundary=\"%s\"", bnd.data) < 0)
		goto full;
	msgedit_delete(e, "Content-*");
	if (msgedit_count(e, "MIME-Version") == 0 &&
	    msgedit_append(e, "MIME-Version", "1.0", err) < 0)
		goto out;
	if (msgedit_append(e, "Content-Type", ct.data, err) < 0 ||
	    (cte != NULL && msgedit_append(e, "Content-Transfer-Encoding", cte, err) < 0))
		goto out;
	msgedit_set_body(e, body.data, body.len);
	rc = 0;
	goto out;
full:
	buf_puts(err, "footer: message too large");
out:
	buf_free(&bnd);
	buf_free(&body);
	buf_free(&ct);
	return rc;
}

/* A merge field's name: the user's are tokens, the list's are filled in. */
static int
merge_field(const struct transform_list *l, const char *name, size_t n,
    struct buf *out)
{
	static const char *const user[] = {
		"user.email", "user.escaped_email", "user.gecos",
	};

	for (size_t i = 0; i < sizeof(user) / sizeof(user[0]); i++)
		if (strlen(user[i]) == n && strncmp(name, user[i], n) == 0)
			return buf_printf(out, "[%%%s:%s%%]", l->merge_nonce,
			    user[i]) < 0 ? -1 : 1;
	if ((n == 8 && strncmp(name, "listname", 8) == 0) ||
	    (n == 9 && strncmp(name, "list.name", 9) == 0))
		return buf_puts(out, l->name) < 0 ? -1 : 1;
	if ((n == 6 && strncmp(name, "domain", 6) == 0) ||
	    (n == 11 && strncmp(name, "list.domain", 11) == 0))
		return buf_puts(out, l->domain) < 0 ? -1 : 1;
	return 0;
}

/*
 * text with its merge fields ("[% user.email %]", blanks optional) made
 * what transform_merge_token() describes; unknown ones stay as written.
 */
static int
merge_render(const struct transform_list *l, const char *text, struct buf *out)
{
	const char *p = text, *open, *close, *a, *b;

	while ((open = strstr(p, "[%")) != NULL &&
	    (close = strstr(open + 2, "%]")) != NULL) {
		int known;

		for (a = open + 2; a < close && *a == ' '; a++)
			;
		for (b = close; b > a && b[-1] == ' '; b--)
			;
		if (buf_append(out, p, (size_t)(open - p)) < 0)
			return -1;
		if ((known = merge_field(l, a, (size_t)(b - a), out)) < 0)
			return -1;
		if (!known && buf_append(out, open, (size_t)(close + 2 - open)) < 0)
			return -1;
		p = close + 2;
	}
	return buf_puts(out, p) < 0 ? -1 : 0;
}

static int
footer_place(struct msgedit *e, const struct listconf *lc,
    enum transform_signed policy, const char *h, const char *f, int merge,
    struct buf *err)
{
	const struct msg *m;

	if ((m = msgedit_msg(e)) == NULL) {
		buf_puts(err, "footer: message too large");
		return -1;
	}
	if (is_protected(m->root)) {
		if (policy == TRANSFORM_SIGNED_SKIP)
			return 0;
		return do_wrap(e, m, h, f, merge, err);
	}
	/* Merge fields go in parts of their own: never into encoded text. */
	if (!merge && strcmp(listconf_str(lc, LC_FOOTER_TYPE), "append") == 0 &&
	    appendable(m, h, f)) {
		if (do_append(e, m, h, f) < 0) {
			buf_puts(err, "footer: message too large");
			return -1;
		}
		return 0;
	}
	if (insertable(m->root)) {
		if (do_insert(e, m, h, f, merge) < 0) {
			buf_puts(err, "footer: message too large");
			return -1;
		}
		return 0;
	}
	return do_wrap(e, m, h, f, merge, err);
}

int
transform_footer(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, enum transform_signed policy, struct buf *err)
{
	const char *h = listconf_str(lc, LC_MESSAGE_HEADER);
	const char *f = listconf_str(lc, LC_MESSAGE_FOOTER);
	struct buf mh = BUF_INIT(BUF_UNLIMITED), mf = BUF_INIT(BUF_UNLIMITED);
	int merge = l->merge_nonce != NULL, rc;

	if (*h == '\0' && *f == '\0')
		return 0;
	if (merge) {
		if (merge_render(l, h, &mh) < 0 || merge_render(l, f, &mf) < 0) {
			buf_free(&mh);
			buf_free(&mf);
			buf_puts(err, "footer: out of memory");
			return -1;
		}
		h = buf_cstr(&mh);
		f = buf_cstr(&mf);
	}
	rc = footer_place(e, lc, policy, h, f, merge, err);
	buf_free(&mh);
	buf_free(&mf);
	return rc;
}

/* The address for a URL: unreserved bytes as they are, others %XX. */
static int
url_escape(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL) {
			if (buf_putc(out, c) < 0)
				return -1;
		} else if (buf_putc(out, '%') < 0 || buf_putc(out, hex[c >> 4]) < 0 ||
		    buf_putc(out, hex[c & 15]) < 0)
			return -1;
	}
	return 0;
}

static int
merge_value(const char *field, size_t n, const struct transform_merge_values *v,
    struct buf *out)
{
	const char *s = "";

	if (n == 10 && strncmp(field, "user.email", 10) == 0)
		s = v->email;
	else if (n == 18 && strncmp(field, "user.escaped_email", 18) == 0)
		return url_escape(v->email, out);
	else if (n == 10 && strncmp(field, "user.gecos", 10) == 0)
		s = v->gecos;
	return buf_puts(out, s != NULL ? s : "") < 0 ? -1 : 0;
}

int
transform_merge(const char *msg, size_t len, const char *nonce,
    const struct transform_merge_values *v, struct buf *out, int *n_8bit)
{
	size_t nl = strlen(nonce), i = 0, start = 0;

	*n_8bit = 0;
	while (i + nl + 5 <= len) {
		const char *t = msg + i, *end;

		if (t[0] != '[' || t[1] != '%' || memcmp(t + 2, nonce, nl) != 0 ||
		    t[2 + nl] != ':') {
			i++;
			continue;
		}
		end = NULL;
		for (size_t j = i + 3 + nl; j + 1 < len && j < i + 64; j++)
			if (msg[j] == '%' && msg[j + 1] == ']') {
				end = msg + j;
				break;
			}
		if (end == NULL) {
			i++;
			continue;
		}
		if (buf_append(out, msg + start, i - start) < 0)
			return -1;
		{
			size_t before = out->len;

			if (merge_value(t + 3 + nl, (size_t)(end - (t + 3 + nl)),
			    v, out) < 0)
				return -1;
			if (out->len > before &&
			    !is_ascii(out->data + before, out->len - before))
				*n_8bit = 1;
		}
		i = start = (size_t)(end + 2 - msg);
	}
	return buf_append(out, msg + start, len - start) < 0 ? -1 : 0;
}
