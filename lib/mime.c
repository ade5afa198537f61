/*
 * mime - Content-Type / Content-Disposition values and RFC 2231 parameters.
 *
 * Parsing is done in two steps. The lexer walks the value once and
 * collects raw parameters (attribute split into base name, section number
 * and "encoded" star, value unquoted). The joiner then builds one
 * parameter per base name: an RFC 2231 form wins over a plain one of the
 * same name, because mailers send both and the plain one is the fallback
 * for old readers.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mime.h"
#include "mimeword.h"

/* A parameter as written, before RFC 2231 sections are joined. */
struct mime_raw {
	char		*base;		/* lower-cased name without "*N*" */
	int		 section;	/* -1 when the name has no "*N" */
	int		 encoded;	/* the name ends in "*" */
	char		*value;
	size_t		 value_len;
	int		 used;		/* already joined into a parameter */
};

/* The lexer's view of the value. */
struct mime_lex {
	const char	*p;
	size_t		 len;
	size_t		 pos;
	unsigned int	 defects;
};

static int
mime_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* RFC 2045 token characters; 8-bit bytes are tolerated. */
static int
mime_is_token(unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static int
mime_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip blanks and (nested) comments; an open comment runs to the end. */
static void
mime_skip_cfws(struct mime_lex *lx)
{
	while (lx->pos < lx->len) {
		unsigned char c = (unsigned char)lx->p[lx->pos];
		size_t depth;

		if (mime_is_space(c)) {
			lx->pos++;
			continue;
		}
		if (c != '(')
			return;
		for (depth = 0; lx->pos < lx->len; lx->pos++) {
			c = (unsigned char)lx->p[lx->pos];
			if (c == '\\' && lx->pos + 1 < lx->len)
				lx->pos++;
			else if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0) {
				lx->pos++;
				break;
			}
		}
	}
}

/* A lower-cased token at the current position; NULL if there is none. */
static char *
mime_token(struct mime_lex *lx)
{
	size_t start = lx->pos;
	char *t;

	while (lx->pos < lx->len && mime_is_token((unsigned char)lx->p[lx->pos]))
		lx->pos++;
	if (lx->pos == start)
		return NULL;
	t = xstrndup(lx->p + start, lx->pos - start);
	for (char *q = t; *q; q++)
		*q = (char)mime_lower((unsigned char)*q);
	return t;
}

/* Move to the next ";" that is not inside a quoted-string. */
static void
mime_skip_to_semicolon(struct mime_lex *lx)
{
	int quoted = 0;

	for (; lx->pos < lx->len; lx->pos++) {
		char c = lx->p[lx->pos];

		if (quoted && c == '\\')
			lx->pos++;
		else if (c == '"')
			quoted = !quoted;
		else if (c == ';' && !quoted)
			return;
	}
}

/* A quoted-string (at its opening quote) into b, escapes undone. */
static void
mime_quoted(struct mime_lex *lx, struct buf *b)
{
	for (lx->pos++; lx->pos < lx->len; lx->pos++) {
		char c = lx->p[lx->pos];

		if (c == '"') {
			lx->pos++;
			return;
		}
		if (c == '\\' && lx->pos + 1 < lx->len)
			c = lx->p[++lx->pos];
		buf_putc(b, c);
	}
	lx->defects |= MIME_DEFECT_SYNTAX;
}

/*
 * An unquoted value runs to ";" because real mail has "name=a b.txt"; a
 * trailing comment after blanks ("us-ascii (plain)") is dropped.
 */
static void
mime_unquoted(struct mime_lex *lx, struct buf *b)
{
	size_t start = lx->pos, end;

	mime_skip_to_semicolon(lx);
	end = lx->pos;
	for (size_t i = start; i + 1 < end; i++) {
		if ((lx->p[i] == ' ' || lx->p[i] == '\t') && lx->p[i + 1] == '(') {
			end = i;
			break;
		}
	}
	while (end > start && mime_is_space((unsigned char)lx->p[end - 1]))
		end--;
	buf_append(b, lx->p + start, end - start);
}

/* Split "name*N*" into base, section and encoded flag (name is cut). */
static void
mime_split_name(char *name, int *section, int *encoded)
{
	size_t len = strlen(name), digits;
	char *star;

	*section = -1;
	*encoded = 0;
	if (len > 1 && name[len - 1] == '*') {
		*encoded = 1;
		name[--len] = '\0';
	}
	/* At most 4 digits, so the number always fits and stays small. */
	if ((star = strrchr(name, '*')) != NULL && star != name &&
	    (digits = strspn(star + 1, "0123456789")) > 0 && digits <= 4 &&
	    star[1 + digits] == '\0') {
		*section = atoi(star + 1);
		*star = '\0';
	}
}

/* Read one "attribute=value"; returns 0 when there was none to keep. */
static int
mime_lex_param(struct mime_lex *lx, struct mime_raw *raw)
{
	struct buf v = BUF_INIT(BUF_UNLIMITED);
	char *name;

	if ((name = mime_token(lx)) == NULL) {
		lx->defects |= MIME_DEFECT_SYNTAX;
		mime_skip_to_semicolon(lx);
		return 0;
	}
	mime_skip_cfws(lx);
	if (lx->pos >= lx->len || lx->p[lx->pos] != '=') {
		lx->defects |= MIME_DEFECT_SYNTAX;
		mime_skip_to_semicolon(lx);
		free(name);
		return 0;
	}
	lx->pos++;
	mime_skip_cfws(lx);
	if (lx->pos < lx->len && lx->p[lx->pos] == '"') {
		mime_quoted(lx, &v);
		mime_skip_cfws(lx);
		if (lx->pos < lx->len && lx->p[lx->pos] != ';') {
			lx->defects |= MIME_DEFECT_SYNTAX;
			mime_skip_to_semicolon(lx);
		}
	} else {
		mime_unquoted(lx, &v);
	}
	mime_split_name(name, &raw->section, &raw->encoded);
	raw->base = name;
	raw->value_len = v.len;
	raw->value = buf_steal(&v);
	raw->used = 0;
	return 1;
}

/* The type, or type/subtype, at the start of the value. */
static void
mime_lex_type(struct mime_lex *lx, int want_subtype, struct mime_value *out)
{
	char *type, *sub = NULL;

	mime_skip_cfws(lx);
	type = mime_token(lx);
	if (type != NULL && want_subtype) {
		mime_skip_cfws(lx);
		if (lx->pos < lx->len && lx->p[lx->pos] == '/') {
			lx->pos++;
			mime_skip_cfws(lx);
			sub = mime_token(lx);
		}
		if (sub == NULL) {
			free(type);
			type = NULL;
		}
	}
	mime_skip_cfws(lx);
	if (type == NULL || (lx->pos < lx->len && lx->p[lx->pos] != ';')) {
		lx->defects |= MIME_DEFECT_SYNTAX;
		mime_skip_to_semicolon(lx);
	}
	out->type = type;
	out->subtype = sub;
}

static int
mime_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)mime_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2231 %XX decoding; a malformed "%" is kept as it is. */
static void
mime_percent(const char *in, size_t len, struct buf *b)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (in[i] == '%' && i + 2 < len &&
		    (hi = mime_hex((unsigned char)in[i + 1])) >= 0 &&
		    (lo = mime_hex((unsigned char)in[i + 2])) >= 0) {
			buf_putc(b, hi * 16 + lo);
			i += 2;
		} else {
			buf_putc(b, in[i]);
		}
	}
}

/* Split "charset'language'text" off an encoded first section. */
static void
mime_charset_lang(struct mime_param *p, const char *in, size_t len,
    size_t *skip)
{
	const char *q1 = memchr(in, '\'', len), *q2;

	*skip = 0;
	if (q1 == NULL || (q2 = memchr(q1 + 1, '\'', len - (size_t)(q1 - in) - 1)) == NULL)
		return;
	if (q1 > in)
		p->charset = xstrndup(in, (size_t)(q1 - in));
	if (q2 > q1 + 1)
		p->language = xstrndup(q1 + 1, (size_t)(q2 - q1 - 1));
	*skip = (size_t)(q2 - in) + 1;
}

/* Append one raw section's value, percent-decoded when it is encoded. */
static void
mime_add_section(struct mime_param *p, const struct mime_raw *r, int first,
    struct buf *b)
{
	size_t skip = 0;

	if (!r->encoded) {
		buf_append(b, r->value, r->value_len);
		return;
	}
	if (first)
		mime_charset_lang(p, r->value, r->value_len, &skip);
	mime_percent(r->value + skip, r->value_len - skip, b);
}

/*
 * Join the RFC 2231 pieces of base name raw[i].base: "name*=" alone, or
 * the "name*N" sections in order. Sections are joined in numeric order
 * even with gaps (flagged), which is what other readers do.
 */
static void
mime_join(struct mime_raw *raw, size_t n, size_t i, struct mime_param *p,
    unsigned int *defects)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	int want = 0;

	for (size_t j = i; j < n; j++) {
		if (!raw[j].used && raw[j].section < 0 && raw[j].encoded &&
		    strcmp(raw[j].base, raw[i].base) == 0) {
			mime_add_section(p, &raw[j], 1, &b);
			goto done;
		}
	}
	for (;;) {
		size_t best = n;

		/* The smallest section not yet used; n is at most MIME_PARAMS_CAP. */
		for (size_t j = i; j < n; j++) {
			if (raw[j].used || raw[j].section < 0 ||
			    strcmp(raw[j].base, raw[i].base) != 0)
				continue;
			if (best == n || raw[j].section < raw[best].section)
				best = j;
		}
		if (best == n)
			break;
		if (raw[best].section != want)
			*defects |= MIME_DEFECT_SECTIONS;
		if (raw[best].section >= want) {
			mime_add_section(p, &raw[best], raw[best].section == 0, &b);
			want = raw[best].section + 1;
		}
		raw[best].used = 1;
	}
done:
	p->value_len = b.len;
	p->value = buf_steal(&b);
}

/* Whether base name has any RFC 2231 piece among the raw parameters. */
static int
mime_has_2231(const struct mime_raw *raw, size_t n, const char *base)
{
	for (size_t j = 0; j < n; j++)
		if ((raw[j].section >= 0 || raw[j].encoded) &&
		    strcmp(raw[j].base, base) == 0)
			return 1;
	return 0;
}

static int
mime_seen(const struct mime_value *v, const char *base)
{
	for (size_t k = 0; k < v->nparams; k++)
		if (strcmp(v->params[k].name, base) == 0)
			return 1;
	return 0;
}

static void
mime_build(struct mime_raw *raw, size_t n, struct mime_value *out)
{
	out->params = n ? xcalloc(n, sizeof *out->params) : NULL;
	for (size_t i = 0; i < n; i++) {
		struct mime_param *p;

		if (raw[i].used || mime_seen(out, raw[i].base))
			continue;
		p = &out->params[out->nparams++];
		p->name = xstrdup(raw[i].base);
		if (mime_has_2231(raw, n, raw[i].base)) {
			mime_join(raw, n, i, p, &out->defects);
		} else {
			p->value = xmemdup(raw[i].value, raw[i].value_len + 1);
			p->value_len = raw[i].value_len;
		}
	}
}

void
mime_value_parse(const char *in, size_t len, int want_subtype,
    size_t max_params, struct mime_value *out)
{
	struct mime_lex lx = { in ? in : "", in ? len : 0, 0, 0 };
	struct mime_raw *raw = NULL;
	size_t n = 0;

	memset(out, 0, sizeof *out);
	if (max_params > MIME_PARAMS_CAP)
		max_params = MIME_PARAMS_CAP;
	mime_lex_type(&lx, want_subtype, out);
	while (lx.pos < lx.len) {
		if (lx.p[lx.pos] == ';')
			lx.pos++;
		mime_skip_cfws(&lx);
		if (lx.pos >= lx.len || lx.p[lx.pos] == ';')
			continue;
		if (n == max_params) {
			lx.defects |= MIME_DEFECT_TOO_MANY;
			break;
		}
		raw = xreallocarray(raw, n + 1, sizeof *raw);
		if (mime_lex_param(&lx, &raw[n]))
			n++;
	}
	out->defects = lx.defects;
	mime_build(raw, n, out);
	for (size_t i = 0; i < n; i++) {
		free(raw[i].base);
		free(raw[i].value);
	}
	free(raw);
}

void
mime_value_free(struct mime_value *v)
{
	for (size_t i = 0; i < v->nparams; i++) {
		free(v->params[i].name);
		free(v->params[i].value);
		free(v->params[i].charset);
		free(v->params[i].language);
	}
	free(v->params);
	free(v->type);
	free(v->subtype);
	memset(v, 0, sizeof *v);
}

const struct mime_param *
mime_param_find(const struct mime_value *v, const char *name)
{
	for (size_t i = 0; i < v->nparams; i++) {
		const char *a = v->params[i].name, *b = name;

		while (*a && mime_lower((unsigned char)*a) == mime_lower((unsigned char)*b)) {
			a++;
			b++;
		}
		if (*a == '\0' && *b == '\0')
			return &v->params[i];
	}
	return NULL;
}

int
mime_param_utf8(const struct mime_param *p, struct buf *out)
{
	int rc;

	if (p->charset == NULL)
		return mimeword_decode(p->value, p->value_len, out);
	rc = mimeword_to_utf8(p->charset, p->value, p->value_len, out);
	if (rc == -1)
		rc = mimeword_to_utf8("utf-8", p->value, p->value_len, out);
	return rc < 0 ? -1 : 0;
}
