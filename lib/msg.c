/*
 * msg - the message parser: header fields, the MIME tree, body decoding.
 *
 * The parser is a recursive descent over lines with a scanner that only
 * moves forward. The scanner keeps the stack of the boundaries of the
 * open multiparts and classifies the line at its position as text, a
 * delimiter of some stack level, a blank line that ends a delivery-status
 * block, or the end. An entity (a part: fields, then a body) ends at the
 * first delimiter of any open multipart, so a part whose close delimiter
 * is missing is ended by an enclosing one, as RFC 2046 readers do. A
 * delimiter line that ends a part is left unconsumed for the level that
 * owns it; the one-line cache makes that re-reading cheap.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "mem.h"
#include "mime.h"
#include "mimeword.h"
#include "msg.h"

/* What the scanner found at its position. */
enum msg_cls {
	MSG_LINE_TEXT,
	MSG_LINE_DELIM,			/* a boundary delimiter of an open multipart */
	MSG_LINE_BLANK_END,		/* a blank line ending a field block */
	MSG_LINE_EOF
};

struct msg_line {
	size_t		off;		/* first byte */
	size_t		end;		/* its line end, or the end of data */
	size_t		next;		/* the next line */
	enum msg_cls	cls;
	size_t		level;		/* DELIM: stack level of the boundary */
	int		close;		/* DELIM: "--boundary--" */
};

struct msg_scan {
	struct msg	*m;
	const char	*d;
	size_t		 len;
	size_t		 pos;		/* start of the next line */
	size_t		 last_eol;	/* line end length of the line before pos */
	size_t		 next_cr;	/* a "\r" at or after pos (or len) */
	size_t		 next_lf;	/* a "\n" at or after pos (or len) */
	int		 cr_known;	/* next_cr was searched for */
	int		 lf_known;
	const char	**bnd;		/* boundaries of the open multiparts */
	size_t		*blen;
	size_t		 nbnd;
	int		 blank_ends;	/* inside a delivery-status block */
	struct msg_line	 cache;		/* the line at cache.off, classified */
	int		 cached;
};

static const struct {
	unsigned int	 bit;
	const char	*name;
} msg_defect_names[] = {
	{ MSG_DEFECT_NO_START_BOUNDARY, "no-start-boundary" },
	{ MSG_DEFECT_NO_CLOSE_BOUNDARY, "no-close-boundary" },
	{ MSG_DEFECT_NO_SEPARATOR, "no-separator" },
	{ MSG_DEFECT_NO_BOUNDARY, "no-boundary" },
	{ MSG_DEFECT_BOUNDARY_TOO_LONG, "boundary-too-long" },
	{ MSG_DEFECT_HEADER_TOO_LONG, "header-too-long" },
	{ MSG_DEFECT_TOO_MANY_HEADERS, "too-many-headers" },
	{ MSG_DEFECT_TOO_MANY_PARTS, "too-many-parts" },
	{ MSG_DEFECT_TOO_DEEP, "too-deep" },
	{ MSG_DEFECT_BAD_CONTENT_TYPE, "bad-content-type" },
	{ MSG_DEFECT_BAD_PARAMS, "bad-params" },
	{ MSG_DEFECT_BAD_ENCODING, "bad-encoding" },
	{ MSG_DEFECT_FIRST_CONTINUATION, "first-continuation" },
	{ MSG_DEFECT_MISPLACED_FROM, "misplaced-from" },
	{ MSG_DEFECT_ENCODED_MESSAGE, "encoded-message" },
};

static void msg_parse_entity(struct msg_scan *, struct msg_part *, int);

void
msg_limits_default(struct msg_limits *lim)
{
	lim->max_size = 64 * 1024 * 1024;
	lim->max_headers = 1000;
	lim->max_total_headers = 20000;
	lim->max_header_len = 64 * 1024;
	lim->max_parts = 5000;
	lim->max_depth = 50;
	lim->max_boundary_len = 200;
	lim->max_params = 64;
}

static int
msg_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive comparison of n bytes with the C string s. */
static int
msg_name_eq(const char *p, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++, s++)
		if (*s == '\0' || msg_lower((unsigned char)p[i]) != msg_lower((unsigned char)*s))
			return 0;
	return *s == '\0';
}

/* Scanner. */

/*
 * The next c at or after pos. The answer is kept until pos passes it: a
 * file of bare CRs must not make every line search to the end for a LF.
 */
static size_t
msg_scan_find(struct msg_scan *sc, char c, size_t *memo, int *known)
{
	const char *p;

	if (*known && *memo >= sc->pos)
		return *memo;
	*known = 1;
	p = memchr(sc->d + sc->pos, c, sc->len - sc->pos);
	*memo = p ? (size_t)(p - sc->d) : sc->len;
	return *memo;
}

/* Whether [off, end) is "--" boundary ["--"] blanks. */
static int
msg_delim_match(const char *d, size_t off, size_t end, const char *b,
    size_t blen, int *close)
{
	size_t rest = off + 2 + blen;

	if (end - off < 2 + blen || memcmp(d + off + 2, b, blen) != 0)
		return 0;
	*close = 0;
	if (end - rest >= 2 && d[rest] == '-' && d[rest + 1] == '-') {
		*close = 1;
		rest += 2;
	}
	while (rest < end && (d[rest] == ' ' || d[rest] == '\t'))
		rest++;
	return rest == end;
}

/*
 * Classify a line. Outer boundaries are tried first: when an inner and an
 * outer boundary both match, the outer multipart ends (the inner one is
 * then missing its close delimiter).
 */
static void
msg_classify(struct msg_scan *sc, struct msg_line *ln, size_t from)
{
	const char *d = sc->d;

	ln->cls = MSG_LINE_TEXT;
	if (ln->end == ln->off) {
		if (sc->blank_ends)
			ln->cls = MSG_LINE_BLANK_END;
		return;
	}
	if (ln->end - ln->off < 2 || d[ln->off] != '-' || d[ln->off + 1] != '-')
		return;
	for (size_t k = from; k < sc->nbnd; k++) {
		if (msg_delim_match(d, ln->off, ln->end, sc->bnd[k], sc->blen[k],
		    &ln->close)) {
			ln->cls = MSG_LINE_DELIM;
			ln->level = k;
			return;
		}
	}
}

/* The line at the scanner's position, classified. */
static const struct msg_line *
msg_peek(struct msg_scan *sc)
{
	struct msg_line *ln = &sc->cache;
	size_t cr, lf;

	if (sc->cached && ln->off == sc->pos)
		return ln;
	memset(ln, 0, sizeof *ln);
	ln->off = sc->pos;
	sc->cached = 1;
	if (sc->pos >= sc->len) {
		ln->end = ln->next = sc->len;
		ln->cls = MSG_LINE_EOF;
		return ln;
	}
	cr = msg_scan_find(sc, '\r', &sc->next_cr, &sc->cr_known);
	lf = msg_scan_find(sc, '\n', &sc->next_lf, &sc->lf_known);
	if (cr < lf) {
		ln->end = cr;
		ln->next = cr + (cr + 1 == lf && lf < sc->len ? 2 : 1);
	} else {
		ln->end = lf;
		ln->next = lf < sc->len ? lf + 1 : lf;
	}
	msg_classify(sc, ln, 0);
	return ln;
}

/* Consume the line at the position. */
static void
msg_take(struct msg_scan *sc)
{
	const struct msg_line *ln = msg_peek(sc);

	sc->last_eol = ln->next - ln->end;
	sc->pos = ln->next;
}

static void
msg_push(struct msg_scan *sc, const char *b, size_t blen)
{
	sc->bnd[sc->nbnd] = b;
	sc->blen[sc->nbnd] = blen;
	sc->nbnd++;
	/* A cached text line may be a delimiter of the new, innermost level. */
	if (sc->cached && sc->cache.cls == MSG_LINE_TEXT)
		msg_classify(sc, &sc->cache, sc->nbnd - 1);
}

static void
msg_pop(struct msg_scan *sc)
{
	sc->nbnd--;
	/* Outer levels were tried first, so no other level matches this line. */
	if (sc->cached && sc->cache.cls == MSG_LINE_DELIM && sc->cache.level == sc->nbnd)
		sc->cache.cls = MSG_LINE_TEXT;
}

static void
msg_set_blank_ends(struct msg_scan *sc, int on)
{
	sc->blank_ends = on;
	sc->cached = 0;
}

/*
 * Where a body that stops at the position ends: the line end before a
 * delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
 */
static size_t
msg_range_end(struct msg_scan *sc, size_t body_off)
{
	const struct msg_line *ln = msg_peek(sc);

	if (ln->cls == MSG_LINE_DELIM && sc->pos > body_off)
		return sc->pos - sc->last_eol;
	return sc->pos;
}

/*
 * The same for a part's body. A last child with fields but no body ("X: y"
 * then a delimiter) keeps its line end in its field; the parent then ends
 * after it, not one line end before.
 */
static size_t
msg_body_end(struct msg_scan *sc, const struct msg_part *p)
{
	size_t end = msg_range_end(sc, p->body_off);

	if (p->last_child != NULL && end < p->last_child->body_end)
		end = p->last_child->body_end;
	return end;
}

/* Consume text lines up to a delimiter, a block end or the end. */
static void
msg_skip_text(struct msg_scan *sc)
{
	if (sc->nbnd == 0 && !sc->blank_ends) {
		sc->pos = sc->len;
		sc->last_eol = 0;
		return;
	}
	while (msg_peek(sc)->cls == MSG_LINE_TEXT)
		msg_take(sc);
}

/* Parts. */

static void
msg_defect(struct msg_scan *sc, struct msg_part *p, unsigned int bit)
{
	p->defects |= bit;
	sc->m->defects |= bit;
}

/* A new child of parent (NULL: the root); NULL when max_parts is reached. */
static struct msg_part *
msg_part_new(struct msg_scan *sc, struct msg_part *parent)
{
	struct msg *m = sc->m;
	struct msg_part *p;

	if (m->nparts >= m->limits.max_parts) {
		msg_defect(sc, parent, MSG_DEFECT_TOO_MANY_PARTS);
		return NULL;
	}
	if ((m->nparts & (m->nparts - 1)) == 0)
		m->parts = xreallocarray(m->parts, m->nparts ? m->nparts * 2 : 1,
		    sizeof *m->parts);
	p = xcalloc(1, sizeof *p);
	p->index = m->nparts;
	m->parts[m->nparts++] = p;
	p->parent = parent;
	if (parent != NULL) {
		p->depth = parent->depth + 1;
		if (parent->last_child)
			parent->last_child->next = p;
		else
			parent->child = p;
		parent->last_child = p;
		parent->nchildren++;
	}
	return p;
}

/* Header fields. */

/* Whether the line is "name:" (blanks allowed before the colon). */
static int
msg_field_name(const char *d, const struct msg_line *ln, size_t *name_len)
{
	size_t i = ln->off, n;

	while (i < ln->end && d[i] > ' ' && d[i] < 0x7f && d[i] != ':')
		i++;
	if ((n = i - ln->off) == 0)
		return 0;
	while (i < ln->end && (d[i] == ' ' || d[i] == '\t'))
		i++;
	if (i == ln->end || d[i] != ':')
		return 0;
	*name_len = n;
	return 1;
}

/* Index a new field; NULL when a limit says not to. */
static struct msg_header *
msg_field_add(struct msg_scan *sc, struct msg_part *p, const struct msg_line *ln,
    size_t name_len)
{
	struct msg *m = sc->m;
	struct msg_header *h;
	const char *colon;

	if (p->nheaders >= m->limits.max_headers ||
	    m->nheaders >= m->limits.max_total_headers) {
		msg_defect(sc, p, MSG_DEFECT_TOO_MANY_HEADERS);
		return NULL;
	}
	if ((p->nheaders & (p->nheaders - 1)) == 0)
		p->headers = xreallocarray(p->headers, p->nheaders ? p->nheaders * 2 : 1,
		    sizeof *p->headers);
	h = &p->headers[p->nheaders++];
	m->nheaders++;
	colon = memchr(sc->d + ln->off, ':', ln->end - ln->off);
	h->off = ln->off;
	h->name_len = name_len;
	h->value_off = (size_t)(colon - sc->d) + 1;
	h->value_len = 0;
	h->len = 0;
	return h;
}

/* Stretch field h over the line ln (its first line or a continuation). */
static void
msg_field_extend(struct msg_scan *sc, struct msg_part *p, struct msg_header *h,
    const struct msg_line *ln)
{
	size_t max = sc->m->limits.max_header_len;

	h->len = ln->next - h->off;
	if (ln->end - h->value_off > max) {
		if (h->value_len < max)
			msg_defect(sc, p, MSG_DEFECT_HEADER_TOO_LONG);
		h->value_len = max;
	} else {
		h->value_len = ln->end - h->value_off;
	}
}

/*
 * The header fields of an entity. They end at a blank line (consumed),
 * at a line that is no field (the body starts there: a defect), or at a
 * delimiter, block end or end of data (no body then).
 */
static void
msg_parse_fields(struct msg_scan *sc, struct msg_part *p)
{
	struct msg_header *cur = NULL;
	int any = 0;
	size_t name_len;

	p->hdr_off = sc->pos;
	for (;;) {
		const struct msg_line *ln = msg_peek(sc);
		char c;

		if (ln->cls != MSG_LINE_TEXT)
			break;
		c = sc->d[ln->off];
		if (ln->end == ln->off) {
			p->hdr_end = sc->pos;
			msg_take(sc);
			return;
		}
		if (c == ' ' || c == '\t') {
			if (cur != NULL)
				msg_field_extend(sc, p, cur, ln);
			else if (!any)
				msg_defect(sc, p, MSG_DEFECT_FIRST_CONTINUATION);
		} else if (ln->end - ln->off >= 5 && memcmp(sc->d + ln->off, "From ", 5) == 0) {
			msg_defect(sc, p, MSG_DEFECT_MISPLACED_FROM);
			cur = NULL;
		} else if (msg_field_name(sc->d, ln, &name_len)) {
			any = 1;
			if ((cur = msg_field_add(sc, p, ln, name_len)) != NULL)
				msg_field_extend(sc, p, cur, ln);
		} else {
			msg_defect(sc, p, MSG_DEFECT_NO_SEPARATOR);
			break;
		}
		msg_take(sc);
	}
	p->hdr_end = sc->pos;
}

/* MIME fields. */

static const struct msg_header *
msg_find_in(const struct msg *m, const struct msg_part *p, const char *name)
{
	return msg_header_find(m, p, name, NULL);
}

/* Parse field name of part p as a structured MIME value into v. */
static int
msg_mime_field(struct msg_scan *sc, struct msg_part *p, const char *name,
    int want_subtype, struct mime_value *v)
{
	const struct msg_header *h = msg_find_in(sc->m, p, name);
	struct buf b = BUF_INIT(sc->m->limits.max_header_len);

	if (h == NULL)
		return 0;
	msg_header_unfold(sc->m, h, &b);
	mime_value_parse(b.data, b.len, want_subtype, sc->m->limits.max_params, v);
	buf_free(&b);
	return 1;
}

static void
msg_set_type(struct mime_value *v, const char *type, const char *subtype)
{
	free(v->type);
	free(v->subtype);
	v->type = xstrdup(type);
	v->subtype = xstrdup(subtype);
}

static enum msg_cte
msg_cte_parse(struct msg_scan *sc, struct msg_part *p)
{
	static const struct {
		const char	*name;
		enum msg_cte	 cte;
	} names[] = {
		{ "7bit", MSG_CTE_7BIT }, { "8bit", MSG_CTE_8BIT },
		{ "binary", MSG_CTE_BINARY }, { "quoted-printable", MSG_CTE_QP },
		{ "base64", MSG_CTE_BASE64 },
	};
	struct mime_value v;
	enum msg_cte cte = MSG_CTE_OTHER;

	/* The token grammar skips comments: "7bit (plain)" is 7bit. */
	if (!msg_mime_field(sc, p, "Content-Transfer-Encoding", 0, &v))
		return MSG_CTE_7BIT;
	for (size_t i = 0; v.type && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(v.type, names[i].name) == 0)
			cte = names[i].cte;
	if (cte == MSG_CTE_OTHER)
		msg_defect(sc, p, MSG_DEFECT_BAD_ENCODING);
	mime_value_free(&v);
	return cte;
}

/*
 * Content-Type, Content-Transfer-Encoding, Content-Disposition. As in
 * other readers, an unparsable Content-Type means text/plain, not the
 * default type of the context.
 */
static void
msg_parse_mime(struct msg_scan *sc, struct msg_part *p, int digest_child)
{
	if (!msg_mime_field(sc, p, "Content-Type", 1, &p->ctype)) {
		p->ctype_default = 1;
		if (digest_child)
			msg_set_type(&p->ctype, "message", "rfc822");
		else
			msg_set_type(&p->ctype, "text", "plain");
	} else if (p->ctype.type == NULL) {
		msg_defect(sc, p, MSG_DEFECT_BAD_CONTENT_TYPE);
		p->ctype_default = 1;
		msg_set_type(&p->ctype, "text", "plain");
	} else if (p->ctype.defects) {
		msg_defect(sc, p, MSG_DEFECT_BAD_PARAMS);
	}
	p->cte = msg_cte_parse(sc, p);
	msg_mime_field(sc, p, "Content-Disposition", 0, &p->disp);
}

/* Bodies. */

static void
msg_parse_leaf(struct msg_scan *sc, struct msg_part *p)
{
	p->body_kind = MSG_BODY_LEAF;
	msg_skip_text(sc);
	p->body_end = msg_body_end(sc, p);
}

/*
 * Past max_parts: no more children, but the multipart must still find its
 * own close delimiter, so its open delimiters are skipped as text.
 */
static int
msg_skip_parts(struct msg_scan *sc, size_t mine)
{
	for (;;) {
		const struct msg_line *ln = msg_peek(sc);

		if (ln->cls == MSG_LINE_TEXT ||
		    (ln->cls == MSG_LINE_DELIM && ln->level == mine && !ln->close)) {
			msg_take(sc);
			continue;
		}
		return ln->cls == MSG_LINE_DELIM && ln->level == mine;
	}
}

/* The preamble; returns whether an open delimiter of ours was found. */
static int
msg_preamble(struct msg_scan *sc, struct msg_part *p, size_t mine)
{
	const struct msg_line *ln;

	while ((ln = msg_peek(sc))->cls == MSG_LINE_TEXT)
		msg_take(sc);
	if (ln->cls == MSG_LINE_DELIM && ln->level == mine && !ln->close) {
		p->preamble_end = msg_range_end(sc, p->body_off);
		return 1;
	}
	msg_defect(sc, p, MSG_DEFECT_NO_START_BOUNDARY);
	/* A close delimiter with no part before it: the rest is no part. */
	if (ln->cls == MSG_LINE_DELIM && ln->level == mine)
		msg_take(sc);
	return 0;
}

/*
 * The children of a multipart, at its first open delimiter. Returns
 * whether the close delimiter was seen (and consumed).
 */
static int
msg_children(struct msg_scan *sc, struct msg_part *p, size_t mine)
{
	int digest = strcmp(p->ctype.subtype, "digest") == 0;

	for (;;) {
		const struct msg_line *ln;
		struct msg_part *child;

		/* Repeated delimiters make no empty parts, as in other readers. */
		do
			msg_take(sc);
		while ((ln = msg_peek(sc))->cls == MSG_LINE_DELIM &&
		    ln->level == mine && !ln->close);
		if ((child = msg_part_new(sc, p)) == NULL) {
			if (!msg_skip_parts(sc, mine))
				return 0;
			msg_take(sc);
			return 1;
		}
		msg_parse_entity(sc, child, digest);
		ln = msg_peek(sc);
		if (ln->cls != MSG_LINE_DELIM || ln->level != mine)
			return 0;
		if (ln->close) {
			msg_take(sc);
			return 1;
		}
	}
}

static void
msg_parse_multipart(struct msg_scan *sc, struct msg_part *p)
{
	const struct mime_param *b = mime_param_find(&p->ctype, "boundary");
	size_t mine = sc->nbnd;

	if (b == NULL || b->value_len == 0) {
		msg_defect(sc, p, MSG_DEFECT_NO_BOUNDARY);
		msg_parse_leaf(sc, p);
		return;
	}
	if (b->value_len > sc->m->limits.max_boundary_len) {
		msg_defect(sc, p, MSG_DEFECT_BOUNDARY_TOO_LONG);
		msg_parse_leaf(sc, p);
		return;
	}
	p->body_kind = MSG_BODY_MULTIPART;
	msg_push(sc, b->value, b->value_len);
	if (!msg_preamble(sc, p, mine)) {
		msg_pop(sc);
		msg_skip_text(sc);
		p->preamble_end = p->epilogue_off = msg_body_end(sc, p);
		p->body_end = p->epilogue_off;
		return;
	}
	if (!msg_children(sc, p, mine)) {
		msg_defect(sc, p, MSG_DEFECT_NO_CLOSE_BOUNDARY);
		msg_pop(sc);
		p->body_end = p->epilogue_off = msg_body_end(sc, p);
		return;
	}
	/* After the close delimiter: the epilogue, ours no longer special. */
	msg_pop(sc);
	p->epilogue_off = sc->pos;
	msg_skip_text(sc);
	p->body_end = msg_body_end(sc, p);
	if (p->body_end < p->epilogue_off)
		p->epilogue_off = p->body_end;
}

/* message/rfc822 and the like: one child, a whole message. */
static void
msg_parse_message(struct msg_scan *sc, struct msg_part *p)
{
	struct msg_part *child;

	if (p->cte == MSG_CTE_BASE64 || p->cte == MSG_CTE_QP) {
		/* Offsets cannot point into decoded bytes: keep it whole. */
		msg_defect(sc, p, MSG_DEFECT_ENCODED_MESSAGE);
		msg_parse_leaf(sc, p);
		return;
	}
	if ((child = msg_part_new(sc, p)) == NULL) {
		msg_parse_leaf(sc, p);
		return;
	}
	p->body_kind = MSG_BODY_MESSAGE;
	msg_parse_entity(sc, child, 0);
	p->body_end = msg_body_end(sc, p);
}

/*
 * message/delivery-status (RFC 3464): blocks of fields separated by blank
 * lines, one child each, as DSN readers want them.
 */
static void
msg_parse_blocks(struct msg_scan *sc, struct msg_part *p)
{
	int saved = sc->blank_ends;

	p->body_kind = MSG_BODY_BLOCKS;
	msg_set_blank_ends(sc, 1);
	for (;;) {
		const struct msg_line *ln;
		struct msg_part *child;

		while ((ln = msg_peek(sc))->cls == MSG_LINE_BLANK_END)
			msg_take(sc);
		if (ln->cls != MSG_LINE_TEXT)
			break;
		if ((child = msg_part_new(sc, p)) == NULL) {
			/* Skip the rest, blank lines included. */
			msg_set_blank_ends(sc, saved);
			msg_skip_text(sc);
			break;
		}
		msg_parse_entity(sc, child, 0);
	}
	msg_set_blank_ends(sc, saved);
	p->body_end = msg_body_end(sc, p);
}

static int
msg_is_dsn(const struct msg_part *p)
{
	return msg_part_is(p, "message", "delivery-status") ||
	    msg_part_is(p, "message", "global-delivery-status");
}

static void
msg_parse_body(struct msg_scan *sc, struct msg_part *p)
{
	int composite = msg_part_is(p, "multipart", NULL) ||
	    msg_part_is(p, "message", NULL);

	if (composite && p->depth >= sc->m->limits.max_depth) {
		msg_defect(sc, p, MSG_DEFECT_TOO_DEEP);
		msg_parse_leaf(sc, p);
	} else if (msg_part_is(p, "multipart", NULL)) {
		msg_parse_multipart(sc, p);
	} else if (msg_is_dsn(p)) {
		msg_parse_blocks(sc, p);
	} else if (msg_part_is(p, "message", NULL)) {
		msg_parse_message(sc, p);
	} else {
		msg_parse_leaf(sc, p);
	}
}

/* One entity: fields, then a body. Children of a digest default to rfc822. */
static void
msg_parse_entity(struct msg_scan *sc, struct msg_part *p, int digest_child)
{
	msg_parse_fields(sc, p);
	p->body_off = sc->pos;
	msg_parse_mime(sc, p, digest_child);
	msg_parse_body(sc, p);
	if (p->body_kind != MSG_BODY_MULTIPART) {
		p->preamble_end = p->body_off;
		p->epilogue_off = p->body_end;
	}
}

struct msg *
msg_parse(const char *data, size_t len, const struct msg_limits *limits,
    struct buf *err)
{
	struct msg_scan sc;
	struct msg *m = xcalloc(1, sizeof *m);

	if (limits)
		m->limits = *limits;
	else
		msg_limits_default(&m->limits);
	if (m->limits.max_depth > MSG_DEPTH_CAP)
		m->limits.max_depth = MSG_DEPTH_CAP;
	if (m->limits.max_parts == 0)
		m->limits.max_parts = 1;
	if (len > m->limits.max_size) {
		if (err)
			buf_printf(err, "message of %zu bytes over the limit of %zu",
			    len, m->limits.max_size);
		free(m);
		return NULL;
	}
	m->data = data ? data : "";
	m->len = data ? len : 0;

	memset(&sc, 0, sizeof sc);
	sc.m = m;
	sc.d = m->data;
	sc.len = m->len;
	sc.bnd = xcalloc(m->limits.max_depth + 1, sizeof *sc.bnd);
	sc.blen = xcalloc(m->limits.max_depth + 1, sizeof *sc.blen);
	if (sc.len >= 5 && memcmp(sc.d, "From ", 5) == 0) {
		m->from_len = msg_peek(&sc)->end;
		msg_take(&sc);
	}
	m->root = msg_part_new(&sc, NULL);
	msg_parse_entity(&sc, m->root, 0);
	free(sc.bnd);
	free(sc.blen);
	return m;
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nparts; i++) {
		free(m->parts[i]->headers);
		mime_value_free(&m->parts[i]->ctype);
		mime_value_free(&m->parts[i]->disp);
		free(m->parts[i]);
	}
	free(m->parts);
	free(m);
}

const char *
msg_defect_name(unsigned int bit)
{
	for (size_t i = 0; i < sizeof msg_defect_names / sizeof msg_defect_names[0]; i++)
		if (msg_defect_names[i].bit == bit)
			return msg_defect_names[i].name;
	return "unknown";
}

int
msg_defects_format(unsigned int defects, struct buf *out)
{
	const char *sep = "";

	for (unsigned int bit = 1; bit != 0; bit <<= 1) {
		if ((defects & bit) == 0)
			continue;
		if (buf_printf(out, "%s%s", sep, msg_defect_name(bit)) < 0)
			return -1;
		sep = ",";
	}
	return 0;
}

/* Header lookup. */

const struct msg_header *
msg_header_find(const struct msg *m, const struct msg_part *part,
    const char *name, const struct msg_header *after)
{
	const struct msg_part *p = part ? part : m->root;
	size_t i = after ? (size_t)(after - p->headers) + 1 : 0;

	for (; i < p->nheaders; i++)
		if (msg_header_is(m, &p->headers[i], name))
			return &p->headers[i];
	return NULL;
}

size_t
msg_header_count(const struct msg *m, const struct msg_part *part,
    const char *name)
{
	const struct msg_header *h = NULL;
	size_t n = 0;

	while ((h = msg_header_find(m, part, name, h)) != NULL)
		n++;
	return n;
}

int
msg_header_is(const struct msg *m, const struct msg_header *h, const char *name)
{
	return msg_name_eq(m->data + h->off, h->name_len, name);
}

const char *
msg_header_raw(const struct msg *m, const struct msg_header *h, size_t *len)
{
	*len = h->value_len;
	return m->data + h->value_off;
}

int
msg_header_unfold(const struct msg *m, const struct msg_header *h,
    struct buf *out)
{
	const char *v = m->data + h->value_off;
	size_t i = 0, n = h->value_len, start;

	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
		i++;
	while (n > i && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' ||
	    v[n - 1] == '\n'))
		n--;
	/* Copy runs between line ends; a line end is all unfolding removes. */
	for (start = i; i <= n; i++) {
		if (i < n && v[i] != '\r' && v[i] != '\n')
			continue;
		if (buf_append(out, v + start, i - start) < 0)
			return -1;
		start = i + 1;
	}
	return 0;
}

int
msg_header_decode(const struct msg *m, const struct msg_header *h,
    struct buf *out)
{
	struct buf tmp = BUF_INIT(m->limits.max_header_len);
	int rc;

	/* The raw value is already cut at max_header_len, so this fits. */
	msg_header_unfold(m, h, &tmp);
	rc = mimeword_decode(buf_cstr(&tmp), tmp.len, out);
	buf_free(&tmp);
	return rc;
}

int
msg_header_get(const struct msg *m, const struct msg_part *part,
    const char *name, struct buf *out)
{
	const struct msg_header *h = msg_header_find(m, part, name, NULL);

	if (h == NULL)
		return 0;
	return msg_header_unfold(m, h, out) < 0 ? -1 : 1;
}

int
msg_header_get_decoded(const struct msg *m, const struct msg_part *part,
    const char *name, struct buf *out)
{
	const struct msg_header *h = msg_header_find(m, part, name, NULL);

	if (h == NULL)
		return 0;
	return msg_header_decode(m, h, out) < 0 ? -1 : 1;
}

int
msg_subject(const struct msg *m, struct buf *out)
{
	return msg_header_get_decoded(m, NULL, "Subject", out);
}

/* Display names. */

/* Skip a comment at in[*i] == '(', keeping the first one's text. */
static void
msg_dn_comment(const char *in, size_t len, size_t *i, struct buf *comment)
{
	int keep = comment->len == 0;
	size_t depth = 0;

	for (; *i < len; (*i)++) {
		char c = in[*i];

		if (c == '\\' && *i + 1 < len) {
			c = in[++*i];
		} else if (c == '(') {
			if (depth++ == 0)
				continue;
		} else if (c == ')') {
			if (--depth == 0)
				return;
		}
		if (keep)
			buf_putc(comment, c);
	}
}

/* A quoted-string at in[*i] == '"' appended to phrase, escapes undone. */
static void
msg_dn_quoted(const char *in, size_t len, size_t *i, struct buf *phrase)
{
	for ((*i)++; *i < len && in[*i] != '"'; (*i)++) {
		if (in[*i] == '\\' && *i + 1 < len)
			(*i)++;
		buf_putc(phrase, in[*i]);
	}
}

/* Append c to the phrase, blank runs folded to one space. */
static void
msg_dn_put(struct buf *phrase, char c)
{
	int blank = c == ' ' || c == '\t' || c == '\r' || c == '\n';

	if (blank && (phrase->len == 0 || phrase->data[phrase->len - 1] == ' '))
		return;
	buf_putc(phrase, blank ? ' ' : c);
}

/*
 * The phrase before "<" of the first mailbox, or the first comment of an
 * address without "<". Returns 1 when the phrase is the name.
 */
static int
msg_dn_scan(const char *in, size_t len, struct buf *phrase, struct buf *comment)
{
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '"')
			msg_dn_quoted(in, len, &i, phrase);
		else if (c == '(')
			msg_dn_comment(in, len, &i, comment);
		else if (c == '<')
			return 1;
		else if (c == ',')
			return 0;
		else if (c == ':')	/* a group name: the mailbox follows */
			buf_reset(phrase);
		else
			msg_dn_put(phrase, c);
	}
	return 0;
}

int
msg_display_name(const char *value, size_t len, struct buf *out)
{
	struct buf phrase = BUF_INIT(BUF_UNLIMITED);
	struct buf comment = BUF_INIT(BUF_UNLIMITED);
	struct buf *name;
	int rc;

	name = msg_dn_scan(value, len, &phrase, &comment) ? &phrase : &comment;
	while (name->len > 0 && name->data[name->len - 1] == ' ')
		buf_truncate(name, name->len - 1);
	if (name->len == 0)
		rc = 0;
	else
		rc = mimeword_decode(name->data, name->len, out) < 0 ? -1 : 1;
	buf_free(&phrase);
	buf_free(&comment);
	return rc;
}

int
msg_header_display_name(const struct msg *m, const struct msg_part *part,
    const char *name, struct buf *out)
{
	struct buf v = BUF_INIT(m->limits.max_header_len);
	int rc;

	if ((rc = msg_header_get(m, part, name, &v)) == 1)
		rc = msg_display_name(buf_cstr(&v), v.len, out);
	buf_free(&v);
	return rc;
}

/* Part accessors. */

int
msg_part_is(const struct msg_part *p, const char *type, const char *subtype)
{
	if (p->ctype.type == NULL || strcmp(p->ctype.type, type) != 0)
		return 0;
	return subtype == NULL || strcmp(p->ctype.subtype, subtype) == 0;
}

const struct mime_param *
msg_part_param(const struct msg_part *p, const char *name)
{
	return mime_param_find(&p->ctype, name);
}

const char *
msg_part_charset(const struct msg_part *p)
{
	const struct mime_param *cs = msg_part_param(p, "charset");

	return cs ? cs->value : NULL;
}

int
msg_part_filename(const struct msg_part *p, struct buf *out)
{
	const struct mime_param *fn = mime_param_find(&p->disp, "filename");

	if (fn == NULL)
		fn = mime_param_find(&p->ctype, "name");
	if (fn == NULL)
		return 0;
	return mime_param_utf8(fn, out) < 0 ? -1 : 1;
}

const char *
msg_part_body(const struct msg *m, const struct msg_part *p, size_t *len)
{
	*len = p->body_end - p->body_off;
	return m->data + p->body_off;
}

int
msg_part_decode(const struct msg *m, const struct msg_part *p, struct buf *out)
{
	size_t len;
	const char *body = msg_part_body(m, p, &len);

	switch (p->cte) {
	case MSG_CTE_BASE64:
		return codec_base64_decode(body, len, out);
	case MSG_CTE_QP:
		return codec_qp_decode(body, len, out);
	default:
		return buf_append(out, body, len);
	}
}

int
msg_tree_format(const struct msg_part *p, struct buf *out)
{
	if (buf_printf(out, "%s/%s", p->ctype.type, p->ctype.subtype) < 0)
		return -1;
	if (p->child == NULL)
		return 0;
	if (buf_putc(out, '[') < 0)
		return -1;
	for (const struct msg_part *c = p->child; c; c = c->next) {
		if (msg_tree_format(c, out) < 0 || (c->next && buf_putc(out, ',') < 0))
			return -1;
	}
	return buf_putc(out, ']');
}
