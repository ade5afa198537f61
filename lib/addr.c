/*
 * addr - RFC 5322 address parsing, formatting and judging.
 *
 * The parser is a recursive descent over the value with a position and an
 * error; nothing recurses on the input's shape (nested comments are
 * counted, groups do not nest), so hostile input costs linear time and
 * constant stack. A mailbox is tried first as a bare addr-spec, then as
 * "phrase <addr-spec>" or "phrase: group;", as Go's net/mail does, which
 * keeps odd display names such as "John !@M@! Doe" working.
 *
 * The classifier (addr_classify) is a second, strict scanner written for
 * one addr-spec: it keeps the worst finding with its reason.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "codec.h"
#include "mem.h"
#include "mimeword.h"

/* The parser's state over one header value. */
struct addr_parser {
	const unsigned char	*s;
	size_t			 len;
	size_t			 pos;
	const char		*err;
	struct addr		*v;	/* mailboxes found so far */
	size_t			 n;
	size_t			 cap;
};

/* RFC 5322 atext, ASCII part. */
static int
addr_is_atext(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
addr_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Visible ASCII. */
static int
addr_is_vchar(int c)
{
	return c > ' ' && c < 0x7f;
}

/* Length of the valid UTF-8 sequence of a non-ASCII byte at p, else 0. */
static size_t
addr_utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if (k >= left || p[k] < lo || p[k] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

static int
addr_eof(const struct addr_parser *p)
{
	return p->pos >= p->len;
}

static int
addr_peek(const struct addr_parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : -1;
}

static int
addr_fail(struct addr_parser *p, const char *err)
{
	if (p->err == NULL)
		p->err = err;
	return -1;
}

/* Blanks and line ends (a value may still be folded). */
static void
addr_skip_ws(struct addr_parser *p)
{
	while (!addr_eof(p) && (addr_is_wsp(p->s[p->pos]) ||
	    p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
		p->pos++;
}

/*
 * A comment at p->pos ('('), nesting counted. With text set, the inside
 * is appended with quoted-pairs undone and nested parentheses kept.
 */
static int
addr_comment(struct addr_parser *p, struct buf *text)
{
	size_t depth = 0;

	while (!addr_eof(p)) {
		unsigned char c = p->s[p->pos];
		size_t n = 1;

		if (c == '\\' && p->pos + 1 < p->len) {
			p->pos++;
			c = p->s[p->pos];
		} else if (c == '(') {
			if (depth++ == 0) {
				p->pos++;
				continue;
			}
		} else if (c == ')') {
			if (--depth == 0) {
				p->pos++;
				return 0;
			}
		}
		if (c >= 0x80 && (n = addr_utf8_len(p->s + p->pos, p->len - p->pos)) == 0)
			return addr_fail(p, "invalid utf-8 in comment");
		if (c == '\0')
			return addr_fail(p, "bad character in comment");
		if (text != NULL && buf_append(text, p->s + p->pos, n) < 0)
			return addr_fail(p, "comment too long");
		p->pos += n;
	}
	return addr_fail(p, "misformatted parenthetical comment");
}

/* Skip whitespace and comments. */
static int
addr_skip_cfws(struct addr_parser *p)
{
	for (;;) {
		addr_skip_ws(p);
		if (addr_peek(p) != '(')
			return 0;
		if (addr_comment(p, NULL) < 0)
			return -1;
	}
}

/*
 * A quoted-string at p->pos; its content, unescaped, goes to out. A folded
 * line end (CRLF before a blank) is unfolded.
 */
static int
addr_quoted(struct addr_parser *p, struct buf *out)
{
	p->pos++;
	while (!addr_eof(p)) {
		unsigned char c = p->s[p->pos];
		size_t n = 1;

		if (c == '"') {
			p->pos++;
			return 0;
		}
		if (c == '\\') {
			if (++p->pos >= p->len)
				break;
			c = p->s[p->pos];
		} else if ((c == '\r' || c == '\n')) {
			p->pos++;
			continue;
		}
		if (c >= 0x80) {
			if ((n = addr_utf8_len(p->s + p->pos, p->len - p->pos)) == 0)
				return addr_fail(p, "invalid utf-8 in quoted-string");
		} else if (!addr_is_vchar(c) && !addr_is_wsp(c))
			return addr_fail(p, "bad character in quoted-string");
		if (buf_append(out, p->s + p->pos, n) < 0)
			return addr_fail(p, "quoted-string too long");
		p->pos += n;
	}
	return addr_fail(p, "unclosed quoted-string");
}

/* A run of atext (and UTF-8) at p->pos, with dots when dots is set. */
static int
addr_atom(struct addr_parser *p, int dots, struct buf *out)
{
	size_t start = p->pos;

	while (!addr_eof(p)) {
		unsigned char c = p->s[p->pos];
		size_t n = 1;

		if (c >= 0x80) {
			if ((n = addr_utf8_len(p->s + p->pos, p->len - p->pos)) == 0)
				return addr_fail(p, "invalid utf-8 in address");
		} else if (!addr_is_atext(c) && !(dots && c == '.'))
			break;
		p->pos += n;
	}
	if (buf_append(out, p->s + start, p->pos - start) < 0)
		return addr_fail(p, "address too long");
	return 0;
}

/* A dot-atom: no dot first, last or twice in a row. */
static int
addr_dot_atom_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return 0;
	return 1;
}

/* A domain: dot-atom or domain-literal, appended to out. */
static int
addr_domain(struct addr_parser *p, struct buf *out)
{
	size_t start = out->len;

	if (addr_peek(p) == '[') {
		size_t from = p->pos;

		p->pos++;
		while (!addr_eof(p) && p->s[p->pos] != ']') {
			unsigned char c = p->s[p->pos];

			if (!addr_is_vchar(c) || c == '[' || c == '\\')
				return addr_fail(p, "bad character in domain-literal");
			p->pos++;
		}
		if (addr_eof(p))
			return addr_fail(p, "unclosed domain-literal");
		p->pos++;
		if (buf_append(out, p->s + from, p->pos - from) < 0)
			return addr_fail(p, "address too long");
		return 0;
	}
	if (addr_atom(p, 1, out) < 0)
		return -1;
	if (!addr_dot_atom_ok(out->data + start, out->len - start))
		return addr_fail(p, "invalid domain");
	return 0;
}

/*
 * An addr-spec at p->pos into local and domain. Quoted local parts must
 * not be empty; the local part is either one quoted-string or a dot-atom
 * (no obsolete mixing, as in Go).
 */
static int
addr_spec(struct addr_parser *p, struct buf *local, struct buf *domain)
{
	if (addr_peek(p) == '"') {
		if (addr_quoted(p, local) < 0)
			return -1;
		if (local->len == 0)
			return addr_fail(p, "empty quoted local part");
	} else {
		if (addr_atom(p, 1, local) < 0)
			return -1;
		if (local->len == 0)
			return addr_fail(p, "missing local part");
		if (!addr_dot_atom_ok(local->data, local->len))
			return addr_fail(p, "misplaced dot in local part");
	}
	if (addr_peek(p) != '@')
		return addr_fail(p, "missing @ in addr-spec");
	p->pos++;
	if (addr_domain(p, domain) < 0)
		return -1;
	return 0;
}

/* Append a mailbox (name may be NULL). */
static int
addr_push(struct addr_parser *p, const char *name, const struct buf *local,
    const struct buf *domain)
{
	struct buf spec = BUF_INIT(ADDR_PARSE_SPEC_MAX);
	struct addr *a;

	if (addr_format_spec(buf_cstr(local), buf_cstr(domain), &spec) < 0) {
		buf_free(&spec);
		return addr_fail(p, "address too long");
	}
	if (p->n >= ADDR_LIST_MAX) {
		buf_free(&spec);
		return addr_fail(p, "too many addresses");
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->v = xreallocarray(p->v, p->cap, sizeof *p->v);
	}
	a = &p->v[p->n++];
	a->name = xstrdup(name ? name : "");
	a->local = xstrdup(buf_cstr(local));
	a->domain = xstrdup(buf_cstr(domain));
	a->spec = buf_steal(&spec);
	return 0;
}

/* Decode encoded-words in raw (a phrase or comment) into a NUL-free name. */
static char *
addr_decode_name(const struct buf *raw)
{
	struct buf name = BUF_INIT(ADDR_HEADER_MAX);

	if (mimeword_decode(buf_cstr(raw), raw->len, &name) < 0)
		buf_truncate(&name, 0);
	/* A decoded "=00" must not cut the name short later. */
	for (size_t i = 0; i < name.len; i++)
		if (name.data[i] == '\0')
			name.data[i] = ' ';
	return buf_steal(&name);
}

/*
 * The comment after a bare addr-spec, as a display name: blanks collapse
 * to one space, encoded-words are decoded, nested comments stay as text.
 */
static char *
addr_comment_name(struct addr_parser *p)
{
	struct buf raw = BUF_INIT(ADDR_HEADER_MAX), clean = BUF_INIT(ADDR_HEADER_MAX);
	char *name = NULL;

	if (addr_comment(p, &raw) == 0) {
		for (size_t i = 0; i < raw.len; i++) {
			int blank = addr_is_wsp(raw.data[i]) || raw.data[i] == '\r' ||
			    raw.data[i] == '\n';

			if (blank && (clean.len == 0 || clean.data[clean.len - 1] == ' '))
				continue;
			buf_putc(&clean, blank ? ' ' : raw.data[i]);
		}
		if (clean.len > 0 && clean.data[clean.len - 1] == ' ')
			buf_truncate(&clean, clean.len - 1);
		name = addr_decode_name(&clean);
	}
	buf_free(&raw);
	buf_free(&clean);
	return name;
}

/*
 * Try a bare addr-spec, with an optional comment after it as the name.
 * Returns 1 if one was taken, 0 if the input is not one (position
 * restored), -1 on a hard error.
 */
static int
addr_try_bare(struct addr_parser *p)
{
	struct buf local = BUF_INIT(ADDR_PARSE_SPEC_MAX);
	struct buf domain = BUF_INIT(ADDR_PARSE_SPEC_MAX);
	size_t start = p->pos;
	char *name = NULL;
	int rc = 1;

	if (addr_spec(p, &local, &domain) < 0) {
		p->pos = start;
		p->err = NULL;
		rc = 0;
	} else {
		while (!addr_eof(p) && addr_is_wsp(p->s[p->pos]))
			p->pos++;
		if (addr_peek(p) == '(' && (name = addr_comment_name(p)) == NULL)
			rc = -1;
		else if (addr_push(p, name, &local, &domain) < 0)
			rc = -1;
	}
	free(name);
	buf_free(&local);
	buf_free(&domain);
	return rc;
}

/* "<" [obs-route] addr-spec ">" at p->pos. */
static int
addr_angle(struct addr_parser *p, const char *name)
{
	struct buf local = BUF_INIT(ADDR_PARSE_SPEC_MAX);
	struct buf domain = BUF_INIT(ADDR_PARSE_SPEC_MAX);
	int rc = -1;

	p->pos++;
	if (addr_skip_cfws(p) < 0)
		goto out;
	/* obs-route: "@a,@b:" before the address, ignored (RFC 5322 4.4). */
	if (addr_peek(p) == '@') {
		while (addr_peek(p) == '@' || addr_peek(p) == ',') {
			if (p->s[p->pos++] == '@' && addr_domain(p, &domain) < 0)
				goto out;
			if (addr_skip_cfws(p) < 0)
				goto out;
		}
		if (addr_peek(p) != ':') {
			addr_fail(p, "malformed route in angle-addr");
			goto out;
		}
		p->pos++;
		buf_reset(&domain);
		if (addr_skip_cfws(p) < 0)
			goto out;
	}
	if (addr_spec(p, &local, &domain) < 0 || addr_skip_cfws(p) < 0)
		goto out;
	if (addr_peek(p) != '>') {
		addr_fail(p, "unclosed angle-addr");
		goto out;
	}
	p->pos++;
	rc = addr_push(p, name, &local, &domain);
out:
	buf_free(&local);
	buf_free(&domain);
	return rc;
}

/* A byte that may be part of a display-name word (Go is this lenient). */
static int
addr_is_phrase_char(int c)
{
	return c > ' ' && c != 0x7f && c != '<' && c != '>' && c != ':' &&
	    c != '"' && c != '(';
}

/*
 * A display name: words (runs of phrase characters, quoted-strings,
 * comments kept with their parentheses) joined by one space.
 */
static int
addr_phrase(struct addr_parser *p, struct buf *raw)
{
	for (;;) {
		int c;

		addr_skip_ws(p);
		c = addr_peek(p);
		if (c < 0 || !(c == '"' || c == '(' || addr_is_phrase_char(c)))
			return 0;
		if (raw->len > 0 && buf_putc(raw, ' ') < 0)
			return addr_fail(p, "display name too long");
		if (c == '"') {
			if (addr_quoted(p, raw) < 0)
				return -1;
		} else if (c == '(') {
			if (buf_putc(raw, '(') < 0 || addr_comment(p, raw) < 0 ||
			    buf_putc(raw, ')') < 0)
				return addr_fail(p, "misformatted parenthetical comment");
		} else {
			size_t start = p->pos;

			while (!addr_eof(p) && addr_is_phrase_char(p->s[p->pos])) {
				size_t n = 1;

				if (p->s[p->pos] >= 0x80 && (n = addr_utf8_len(p->s + p->pos,
				    p->len - p->pos)) == 0)
					return addr_fail(p, "invalid utf-8 in address");
				p->pos += n;
			}
			if (buf_append(raw, p->s + start, p->pos - start) < 0)
				return addr_fail(p, "display name too long");
		}
	}
}

static int addr_mailbox(struct addr_parser *, int);

/* The rest of a group after its ':': mailboxes up to ';'. */
static int
addr_group(struct addr_parser *p)
{
	for (;;) {
		if (addr_skip_cfws(p) < 0)
			return -1;
		if (addr_eof(p))
			return addr_fail(p, "group not closed with ';'");
		if (addr_peek(p) == ';') {
			p->pos++;
			return 0;
		}
		if (addr_peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (addr_mailbox(p, 0) < 0 || addr_skip_cfws(p) < 0)
			return -1;
		if (addr_peek(p) != ',' && addr_peek(p) != ';')
			return addr_fail(p, "expected ',' or ';' in group");
	}
}

/* One address: a mailbox, or a group when groups are allowed. */
static int
addr_mailbox(struct addr_parser *p, int group_ok)
{
	struct buf raw = BUF_INIT(ADDR_HEADER_MAX);
	char *name = NULL;
	int rc;

	if (addr_skip_cfws(p) < 0)
		return -1;
	if ((rc = addr_try_bare(p)) != 0)
		return rc < 0 ? -1 : 0;
	rc = -1;
	if (addr_phrase(p, &raw) < 0 || addr_skip_cfws(p) < 0)
		goto out;
	if (addr_peek(p) == '<') {
		name = addr_decode_name(&raw);
		rc = addr_angle(p, name);
	} else if (addr_peek(p) == ':' && raw.len > 0) {
		if (!group_ok)
			addr_fail(p, "group inside a group");
		else {
			p->pos++;
			rc = addr_group(p);
		}
	} else if (raw.len == 0)
		addr_fail(p, addr_eof(p) ? "missing address" : "unexpected character");
	else
		addr_fail(p, "no angle-addr");
out:
	free(name);
	buf_free(&raw);
	return rc;
}

static void
addr_parser_init(struct addr_parser *p, const char *in, size_t len)
{
	memset(p, 0, sizeof *p);
	p->s = (const unsigned char *)in;
	p->len = len;
}

static void
addr_parser_drop(struct addr_parser *p)
{
	struct addr_list l = { p->v, p->n };

	addr_list_free(&l);
	p->v = NULL;
	p->n = p->cap = 0;
}

int
addr_parse_list(const char *in, size_t len, struct addr_list *out,
    const char **err)
{
	struct addr_parser p;

	out->v = NULL;
	out->n = 0;
	if (len > ADDR_HEADER_MAX) {
		*err = "header value too long";
		return -1;
	}
	addr_parser_init(&p, in, len);
	for (;;) {
		if (addr_skip_cfws(&p) < 0)
			break;
		if (addr_eof(&p))
			break;
		if (addr_peek(&p) == ',') {	/* obs-addr-list empty element */
			p.pos++;
			continue;
		}
		if (addr_mailbox(&p, 1) < 0 || addr_skip_cfws(&p) < 0)
			break;
		if (!addr_eof(&p) && addr_peek(&p) != ',') {
			addr_fail(&p, "expected comma");
			break;
		}
	}
	if (p.err != NULL) {
		addr_parser_drop(&p);
		*err = p.err;
		return -1;
	}
	out->v = p.v;
	out->n = p.n;
	return 0;
}

int
addr_parse_one(const char *in, size_t len, struct addr *out, const char **err)
{
	struct addr_parser p;

	memset(out, 0, sizeof *out);
	if (len > ADDR_HEADER_MAX) {
		*err = "header value too long";
		return -1;
	}
	addr_parser_init(&p, in, len);
	if (addr_mailbox(&p, 1) == 0 && addr_skip_cfws(&p) == 0) {
		if (!addr_eof(&p))
			addr_fail(&p, "expected single address");
		else if (p.n == 0)
			addr_fail(&p, "empty group");
		else if (p.n > 1)
			addr_fail(&p, "group with multiple addresses");
	}
	if (p.err != NULL) {
		addr_parser_drop(&p);
		*err = p.err;
		return -1;
	}
	*out = p.v[0];
	free(p.v);
	return 0;
}

void
addr_free(struct addr *a)
{
	free(a->name);
	free(a->local);
	free(a->domain);
	free(a->spec);
	memset(a, 0, sizeof *a);
}

void
addr_list_free(struct addr_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		addr_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Whether s is a dot-atom of atext and UTF-8, so needs no quotes. */
static int
addr_is_dot_atom(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s);

	if (!addr_dot_atom_ok(s, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (u[i] >= 0x80) {
			if ((k = addr_utf8_len(u + i, n - i)) == 0)
				return 0;
			i += k - 1;
		} else if (!addr_is_atext(u[i]) && u[i] != '.')
			return 0;
	}
	return 1;
}

/* s as a quoted-string: '"' and '\' escaped. */
static int
addr_put_quoted(struct buf *out, const char *s)
{
	if (buf_putc(out, '"') < 0)
		return -1;
	for (; *s; s++)
		if (((*s == '"' || *s == '\\') && buf_putc(out, '\\') < 0) ||
		    buf_putc(out, *s) < 0)
			return -1;
	return buf_putc(out, '"');
}

int
addr_format_spec(const char *local, const char *domain, struct buf *out)
{
	if (addr_is_dot_atom(local)) {
		if (buf_puts(out, local) < 0)
			return -1;
	} else if (addr_put_quoted(out, local) < 0)
		return -1;
	return buf_printf(out, "@%s", domain);
}

/* Words of atext separated by single spaces: no quoting needed. */
static int
addr_name_is_atoms(const char *s)
{
	if (*s == '\0' || *s == ' ')
		return 0;
	for (; *s; s++) {
		if (*s == ' ' && (s[1] == ' ' || s[1] == '\0'))
			return 0;
		if (*s != ' ' && !addr_is_atext((unsigned char)*s))
			return 0;
	}
	return 1;
}

static int
addr_name_is_ascii(const char *s)
{
	for (; *s; s++)
		if (!addr_is_vchar((unsigned char)*s) && *s != ' ' && *s != '\t')
			return 0;
	return 1;
}

int
addr_format(const struct addr *a, struct buf *out)
{
	const char *name = a->name ? a->name : "";
	int rc = 0;

	if (*name == '\0')
		return buf_printf(out, "<%s>", a->spec);
	if (addr_name_is_atoms(name))
		rc = buf_puts(out, name);
	else if (addr_name_is_ascii(name))
		rc = addr_put_quoted(out, name);
	else
		rc = mimeword_encode(name, strlen(name), 45, " ", out);
	if (rc < 0)
		return -1;
	return buf_printf(out, " <%s>", a->spec);
}

int
addr_domain_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static void
addr_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int
addr_canonical(const char *in, size_t len, int flags, struct buf *out)
{
	struct addr a;
	const char *err;
	int rc;

	if (addr_parse_one(in, len, &a, &err) < 0)
		return -1;
	addr_lower(a.domain);
	if (flags & ADDR_CANON_LOWER_ALL)
		addr_lower(a.local);
	rc = addr_format_spec(a.local, a.domain, out);
	addr_free(&a);
	return rc;
}

/*
 * The classifier. It reads one addr-spec with optional CFWS and records
 * the worst finding; a hard error stops it.
 */
struct addr_cls {
	const unsigned char	*s;
	size_t			 len;
	size_t			 pos;
	enum addr_class		 worst;
	const char		*reason;
	int			 stop;
};

static void
addr_note(struct addr_cls *c, enum addr_class k, const char *reason)
{
	if (k > c->worst) {
		c->worst = k;
		c->reason = reason;
	}
}

static int
addr_cls_fail(struct addr_cls *c, const char *reason)
{
	addr_note(c, ADDR_INVALID, reason);
	c->stop = 1;
	return -1;
}

static int
addr_cls_peek(const struct addr_cls *c)
{
	return c->pos < c->len ? c->s[c->pos] : -1;
}

/*
 * Folding whitespace: blanks, and CRLF only when a blank follows. More
 * than one line break in a row is obsolete syntax. *crlf counts them.
 */
static int
addr_cls_fws(struct addr_cls *c, int *seen)
{
	int crlf = 0;

	for (;;) {
		int ch = addr_cls_peek(c);

		if (ch == ' ' || ch == '\t') {
			c->pos++;
		} else if (ch == '\r') {
			if (c->pos + 1 >= c->len || c->s[c->pos + 1] != '\n')
				return addr_cls_fail(c, "CR without LF");
			c->pos += 2;
			crlf++;
			if (c->pos + 1 < c->len && c->s[c->pos] == '\r' &&
			    c->s[c->pos + 1] == '\n')
				return addr_cls_fail(c, "two line breaks in a row");
			if (!addr_is_wsp(addr_cls_peek(c)))
				return addr_cls_fail(c, "line break not followed by a blank");
		} else
			break;
		*seen = 1;
	}
	if (crlf > 1)
		addr_note(c, ADDR_DEPRECATED, "obsolete folding whitespace");
	return 0;
}

/* A comment at c->pos; nesting counted. */
static int
addr_cls_comment(struct addr_cls *c)
{
	size_t depth = 0, content = 0;
	int dummy = 0;

	while (c->pos < c->len) {
		unsigned char ch = c->s[c->pos];
		size_t n = 1;

		if (ch == '(') {
			depth++;
			c->pos++;
			continue;
		}
		if (ch == ')') {
			c->pos++;
			if (--depth == 0) {
				if (content == 0)
					addr_note(c, ADDR_DEPRECATED, "empty comment");
				return 0;
			}
			continue;
		}
		content++;
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			if (addr_cls_fws(c, &dummy) < 0)
				return -1;
			continue;
		}
		if (ch == '\\') {
			if (c->pos + 1 >= c->len)
				return addr_cls_fail(c, "backslash at the end");
			ch = c->s[c->pos + 1];
			if (!addr_is_vchar(ch) && !addr_is_wsp(ch))
				addr_note(c, ADDR_DEPRECATED, "quoted control character");
			c->pos += 2;
			continue;
		}
		if (ch == '\n' || ch == '\0')
			return addr_cls_fail(c, "bad character in comment");
		if (ch >= 0x80 && (n = addr_utf8_len(c->s + c->pos, c->len - c->pos)) == 0)
			return addr_cls_fail(c, "invalid utf-8 in comment");
		if (ch < ' ' || ch == 0x7f)
			addr_note(c, ADDR_DEPRECATED, "control character in comment");
		c->pos += n;
	}
	return addr_cls_fail(c, "unclosed comment");
}

/* Any CFWS; *comment and *fws say what was seen. */
static int
addr_cls_cfws(struct addr_cls *c, int *comment, int *fws)
{
	*comment = *fws = 0;
	for (;;) {
		if (addr_cls_fws(c, fws) < 0)
			return -1;
		if (addr_cls_peek(c) != '(')
			return 0;
		*comment = 1;
		if (addr_cls_comment(c) < 0)
			return -1;
	}
}

/* A quoted-string element; returns its length as written. */
static int
addr_cls_quoted(struct addr_cls *c, size_t *written)
{
	size_t start = c->pos, content = 0;

	c->pos++;
	while (c->pos < c->len) {
		unsigned char ch = c->s[c->pos];
		size_t n = 1;
		int seen = 0;

		if (ch == '"') {
			c->pos++;
			*written = c->pos - start;
			if (content == 0)
				addr_note(c, ADDR_DEPRECATED, "empty quoted local part");
			return 0;
		}
		content++;
		if (ch == '\\') {
			if (c->pos + 1 >= c->len)
				break;
			ch = c->s[c->pos + 1];
			if (ch >= 0x80)
				return addr_cls_fail(c, "quoted-pair of a non-ASCII byte");
			if (!addr_is_vchar(ch) && !addr_is_wsp(ch))
				addr_note(c, ADDR_DEPRECATED, "quoted control character");
			c->pos += 2;
			continue;
		}
		if (ch == '\r') {
			if (addr_cls_fws(c, &seen) < 0)
				return -1;
			addr_note(c, ADDR_CFWS, "folding whitespace in quoted-string");
			continue;
		}
		if (ch == '\n' || ch == '\0')
			return addr_cls_fail(c, "bad character in quoted-string");
		if (ch >= 0x80) {
			if ((n = addr_utf8_len(c->s + c->pos, c->len - c->pos)) == 0)
				return addr_cls_fail(c, "invalid utf-8");
			addr_note(c, ADDR_UNUSUAL, "non-ASCII local part (SMTPUTF8)");
		} else if ((ch < ' ' && ch != '\t') || ch == 0x7f)
			addr_note(c, ADDR_DEPRECATED, "control character in quoted-string");
		c->pos += n;
	}
	return addr_cls_fail(c, "unclosed quoted-string");
}

/* An atom of atext (and UTF-8); returns its length. */
static size_t
addr_cls_atom(struct addr_cls *c, int *nonascii)
{
	size_t start = c->pos;

	while (c->pos < c->len) {
		unsigned char ch = c->s[c->pos];
		size_t n;

		if (ch >= 0x80) {
			if ((n = addr_utf8_len(c->s + c->pos, c->len - c->pos)) == 0)
				break;
			*nonascii = 1;
			c->pos += n;
		} else if (addr_is_atext(ch))
			c->pos++;
		else
			break;
	}
	return c->pos - start;
}

/*
 * After an element of a dot-atom: comments and blanks, then a dot if there
 * is one. Returns the character that follows (as addr_cls_peek does, '.'
 * when a dot was taken) or -2 on error; com and fws tell what preceded it.
 */
static int
addr_cls_dot(struct addr_cls *c, int *com, int *fws)
{
	if (addr_cls_cfws(c, com, fws) < 0)
		return -2;
	if (addr_cls_peek(c) != '.')
		return addr_cls_peek(c);
	if (*com || *fws)
		addr_note(c, ADDR_DEPRECATED, "comment or blank before a dot");
	c->pos++;
	if (addr_cls_cfws(c, com, fws) < 0)
		return -2;
	if (*com || *fws)
		addr_note(c, ADDR_DEPRECATED, "comment or blank after a dot");
	return '.';
}

/* The local part up to and including '@'; *local_len as written. */
static int
addr_cls_local(struct addr_cls *c, size_t *local_len)
{
	size_t elems = 0, quoted = 0, len = 0;
	int com, fws, nonascii = 0, prev_quoted = 0;

	if (addr_cls_cfws(c, &com, &fws) < 0)
		return -1;
	if (com || fws)
		addr_note(c, ADDR_CFWS, com ? "comment" : "folding whitespace");
	for (;;) {
		int ch = addr_cls_peek(c);
		size_t n = 0;

		if (ch == '"') {
			if (addr_cls_quoted(c, &n) < 0)
				return -1;
			quoted++;
			prev_quoted = 1;
		} else if ((n = addr_cls_atom(c, &nonascii)) > 0) {
			prev_quoted = 0;
		} else if (ch == '.')
			return addr_cls_fail(c, elems ? "two dots in a row" : "dot at the start");
		else if (ch == '@')
			return addr_cls_fail(c, "no local part");
		else if (ch < 0)
			return addr_cls_fail(c, "no domain");
		else
			return addr_cls_fail(c, "character not allowed");
		elems++;
		len += n;
		if ((ch = addr_cls_dot(c, &com, &fws)) == -2)
			return -1;
		if (ch == '.') {
			len++;
			if (addr_cls_peek(c) == '.')
				return addr_cls_fail(c, "two dots in a row");
			if (addr_cls_peek(c) == '@')
				return addr_cls_fail(c, "dot at the end of the local part");
			continue;
		}
		if (ch == '@') {
			if (com || fws)
				addr_note(c, ADDR_DEPRECATED, "comment or blank next to @");
			c->pos++;
			break;
		}
		if (ch < 0)
			return addr_cls_fail(c, "no domain");
		if (com || fws)
			return addr_cls_fail(c, "text after a comment or blank");
		return addr_cls_fail(c, prev_quoted ? "text after a quoted-string" :
		    "character not allowed");
	}
	if (quoted && elems > 1)
		addr_note(c, ADDR_DEPRECATED, "obsolete local part (quoted words and dots)");
	else if (quoted)
		addr_note(c, ADDR_UNUSUAL, "quoted local part");
	if (nonascii)
		addr_note(c, ADDR_UNUSUAL, "non-ASCII local part (SMTPUTF8)");
	if (len > ADDR_LOCAL_MAX)
		addr_note(c, ADDR_RFC5322, "local part longer than 64");
	*local_len = len;
	return 0;
}

static int
addr_ipv4_ok(const char *s, size_t n)
{
	int parts = 0;
	size_t i = 0;

	while (parts < 4) {
		unsigned v = 0;
		size_t digits = 0;

		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return 0;
		if (++parts < 4) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n;
}

static int
addr_is_hex(int ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

/* The address after "IPv6:" in a domain literal. */
static void
addr_cls_ipv6(struct addr_cls *c, const char *s, size_t n)
{
	size_t groups = 0, max = 8, i = 0, last = 0, dbl = 0;

	if (memmem(s, n, ":::", 3) != NULL) {
		addr_note(c, ADDR_RFC5322, "IPv6 literal with ':::'");
		return;
	}
	for (size_t k = 0; k + 1 < n; k++)
		if (s[k] == ':' && s[k + 1] == ':')
			dbl++;
	if (dbl > 1) {
		addr_note(c, ADDR_RFC5322, "IPv6 literal with two '::'");
		return;
	}
	if (n > 0 && s[0] == ':' && (n < 2 || s[1] != ':')) {
		addr_note(c, ADDR_RFC5322, "IPv6 literal starts with ':'");
		return;
	}
	if (n > 0 && s[n - 1] == ':' && (n < 2 || s[n - 2] != ':')) {
		addr_note(c, ADDR_RFC5322, "IPv6 literal ends with ':'");
		return;
	}
	/* The groups between colons; an IPv4 tail stands for two. */
	for (last = 0; i <= n; i++) {
		if (i < n && s[i] != ':')
			continue;
		if (i > last) {
			size_t glen = i - last;
			int hex = glen <= 4;

			for (size_t k = last; k < i && hex; k++)
				hex = addr_is_hex((unsigned char)s[k]);
			if (!hex && i == n && addr_ipv4_ok(s + last, glen))
				max = 7;
			else if (!hex) {
				addr_note(c, ADDR_RFC5322, "bad character in IPv6 literal");
				return;
			}
			groups++;
		}
		last = i + 1;
	}
	if (dbl == 0 && groups != max)
		addr_note(c, ADDR_RFC5322, "wrong number of groups in IPv6 literal");
	else if (dbl && groups > max - 1)
		addr_note(c, ADDR_RFC5322, "too many groups in IPv6 literal");
	else if (dbl && groups == max - 1)
		addr_note(c, ADDR_UNUSUAL, "'::' for a single group in IPv6 literal");
	else
		addr_note(c, ADDR_UNUSUAL, "address literal");
}

/* A domain literal at c->pos ('['); *written its length with brackets. */
static int
addr_cls_literal(struct addr_cls *c, size_t *written)
{
	size_t start = c->pos;
	int odd = 0;

	c->pos++;
	for (;;) {
		int ch = addr_cls_peek(c), seen = 0;

		if (ch < 0)
			return addr_cls_fail(c, "unclosed domain literal");
		if (ch == ']')
			break;
		if (ch == '[')
			return addr_cls_fail(c, "'[' inside a domain literal");
		if (ch == '\\') {
			if (c->pos + 1 >= c->len)
				return addr_cls_fail(c, "backslash at the end");
			addr_note(c, ADDR_RFC5322, "quoted-pair in domain literal");
			odd = 1;
			c->pos += 2;
		} else if (ch == ' ' || ch == '\t' || ch == '\r') {
			if (addr_cls_fws(c, &seen) < 0)
				return -1;
			odd = 1;
		} else if (ch == '\n' || ch == '\0' || ch >= 0x80)
			return addr_cls_fail(c, "bad character in domain literal");
		else {
			if (ch < ' ' || ch == 0x7f)
				odd = 1;
			c->pos++;
		}
	}
	c->pos++;
	*written = c->pos - start;
	{
		const char *in = (const char *)c->s + start + 1;
		size_t n = *written - 2;

		if (odd)
			addr_note(c, ADDR_RFC5322, "domain literal is no address");
		else if (addr_ipv4_ok(in, n))
			addr_note(c, ADDR_UNUSUAL, "address literal");
		else if (n >= 5 && strncasecmp(in, "IPv6:", 5) == 0)
			addr_cls_ipv6(c, in + 5, n - 5);
		else
			addr_note(c, ADDR_RFC5322, "domain literal is no address");
	}
	return 0;
}

/* Check one host name label of n bytes at s. */
static int
addr_cls_label(struct addr_cls *c, const unsigned char *s, size_t n, int nonascii)
{
	if (s[0] == '-')
		return addr_cls_fail(c, "domain label starts with '-'");
	if (s[n - 1] == '-')
		return addr_cls_fail(c, "domain label ends with '-'");
	if (n > 63)
		addr_note(c, ADDR_RFC5322, "domain label longer than 63");
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x80 && !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-')) {
			addr_note(c, ADDR_RFC5322, "domain is no host name");
			break;
		}
	if (nonascii)
		addr_note(c, ADDR_UNUSUAL, "non-ASCII domain (not in A-label form)");
	return 0;
}

/* The domain after '@'; *domain_len as written. */
static int
addr_cls_domain(struct addr_cls *c, size_t *domain_len)
{
	size_t labels = 0, len = 0;
	const unsigned char *last = NULL;
	size_t last_len = 0;
	int com, fws;

	if (addr_cls_cfws(c, &com, &fws) < 0)
		return -1;
	if (com || fws)
		addr_note(c, ADDR_DEPRECATED, "comment or blank next to @");
	if (addr_cls_peek(c) < 0)
		return addr_cls_fail(c, "no domain");
	if (addr_cls_peek(c) == '[') {
		if (addr_cls_literal(c, &len) < 0)
			return -1;
		*domain_len = len;
		if (addr_cls_cfws(c, &com, &fws) < 0)
			return -1;
		if (addr_cls_peek(c) >= 0)
			return addr_cls_fail(c, "text after a domain literal");
		if (com || fws)
			addr_note(c, ADDR_CFWS, "comment or blank at the end");
		return 0;
	}
	for (;;) {
		int nonascii = 0, ch;
		size_t start = c->pos, n = addr_cls_atom(c, &nonascii);

		if (n == 0) {
			ch = addr_cls_peek(c);
			if (ch == '.')
				return addr_cls_fail(c, labels ? "two dots in a row" :
				    "dot at the start of the domain");
			return addr_cls_fail(c, ch < 0 ? "dot at the end of the domain" :
			    "character not allowed in domain");
		}
		if (addr_cls_label(c, c->s + start, n, nonascii) < 0)
			return -1;
		labels++;
		len += n;
		last = c->s + start;
		last_len = n;
		if ((ch = addr_cls_dot(c, &com, &fws)) == -2)
			return -1;
		if (ch == '.') {
			len++;
			continue;
		}
		if (ch < 0) {
			if (com || fws)
				addr_note(c, ADDR_CFWS, com ? "comment at the end" :
				    "blank at the end");
			break;
		}
		if (com || fws)
			return addr_cls_fail(c, "text after a comment or blank");
		return addr_cls_fail(c, "character not allowed in domain");
	}
	if (len > ADDR_DOMAIN_MAX)
		addr_note(c, ADDR_RFC5322, "domain longer than 255");
	if (labels == 1)
		addr_note(c, ADDR_UNUSUAL, "domain without a dot");
	else {
		size_t k = 0;

		while (k < last_len && last[k] >= '0' && last[k] <= '9')
			k++;
		if (k == last_len)
			addr_note(c, ADDR_UNUSUAL, "numeric top-level domain");
	}
	*domain_len = len;
	return 0;
}

enum addr_class
addr_classify(const char *in, size_t len, const char **reason)
{
	struct addr_cls c = { (const unsigned char *)in, len, 0, ADDR_OK, "", 0 };
	size_t local_len = 0, domain_len = 0;

	if (len > 4 * ADDR_SPEC_MAX)
		addr_cls_fail(&c, "far too long");
	else if (addr_cls_local(&c, &local_len) == 0 &&
	    addr_cls_domain(&c, &domain_len) == 0 &&
	    local_len + 1 + domain_len > ADDR_SPEC_MAX)
		addr_note(&c, ADDR_RFC5322, "address longer than 254");
	if (reason != NULL)
		*reason = c.reason;
	return c.worst;
}

const char *
addr_class_name(enum addr_class k)
{
	switch (k) {
	case ADDR_OK:
		return "ok";
	case ADDR_UNUSUAL:
		return "unusual";
	case ADDR_CFWS:
		return "cfws";
	case ADDR_DEPRECATED:
		return "deprecated";
	case ADDR_RFC5322:
		return "rfc5322";
	case ADDR_INVALID:
		return "invalid";
	}
	return "?";
}

int
addr_is_valid_email(const char *s)
{
	enum addr_class k = addr_classify(s, strlen(s), NULL);

	return k == ADDR_OK || k == ADDR_UNUSUAL;
}
