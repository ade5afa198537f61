/*
 * dmarc - records, modes, phrases, the trigger test and the From rewrite
 * (the resolver is in dmarc_resolve.c). See dmarc.h.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "codec.h"
#include "dmarc.h"
#include "mem.h"
#include "mimeword.h"

/* PCRE2 bounds: a list owner's regex must not eat the CPU or the stack. */
#define RE_MATCH_LIMIT	100000
#define RE_DEPTH_LIMIT	5000
#define RE_MAX		1024		/* bytes of a domain_regex */

struct dmarc_conf {
	unsigned	 modes;
	pcre2_code	*re;
	pcre2_match_data *md;
	char		*other_email;
	enum dmarc_phrase phrase;
};

static const char *const policy_names[] = {
	"unset", "none", "quarantine", "reject"
};

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	return (unsigned)p < sizeof(policy_names) / sizeof(policy_names[0]) ?
	    policy_names[p] : "?";
}

int
dmarc_policy_parse(const char *s, size_t len)
{
	for (int p = DMARC_P_NONE; p <= DMARC_P_REJECT; p++)
		if (strlen(policy_names[p]) == len &&
		    strncasecmp(s, policy_names[p], len) == 0)
			return p;
	return -1;
}

const char *
dmarc_status_name(enum dmarc_status s)
{
	switch (s) {
	case DMARC_FOUND:
		return "found";
	case DMARC_ABSENT:
		return "absent";
	case DMARC_UNKNOWN:
		return "unknown";
	}
	return "?";
}

/* Records. */

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [s, e) without its leading and trailing blanks. */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && is_blank((unsigned char)**s))
		(*s)++;
	while (*e > *s && is_blank((unsigned char)(*e)[-1]))
		(*e)--;
}

static int
tag_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/*
 * One "name=value" tag of [s, e): 0 with the trimmed name and value, -1
 * for a tag without '=' or with a bad name (which is then ignored).
 */
static int
split_tag(const char *s, const char *e, const char **name, size_t *nlen,
    const char **val, size_t *vlen)
{
	const char *eq = memchr(s, '=', (size_t)(e - s));
	const char *ne, *vs;

	if (eq == NULL)
		return -1;
	ne = eq;
	trim(&s, &ne);
	if (s == ne)
		return -1;
	for (const char *p = s; p < ne; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -1;
	vs = eq + 1;
	trim(&vs, &e);
	*name = s;
	*nlen = (size_t)(ne - s);
	*val = vs;
	*vlen = (size_t)(e - vs);
	return 0;
}

int
dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *out)
{
	const char *p = txt, *end = txt + len;
	int first = 1, have_p = 0, have_sp = 0, have_rua = 0, bad_p = 0;

	out->p = DMARC_P_UNSET;
	out->sp = DMARC_P_UNSET;
	while (p <= end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *te = semi != NULL ? semi : end;
		const char *name, *val, *ts = p, *tend = te;
		size_t nlen, vlen;
		int pol;

		trim(&ts, &tend);
		if (first) {
			/* RFC 7489 6.3: v=DMARC1 must be the very first tag. */
			if (split_tag(ts, tend, &name, &nlen, &val, &vlen) < 0 ||
			    !tag_is(name, nlen, "v") || !tag_is(val, vlen, "DMARC1"))
				return 0;
			first = 0;
		} else if (ts < tend &&
		    split_tag(ts, tend, &name, &nlen, &val, &vlen) == 0) {
			pol = dmarc_policy_parse(val, vlen);
			if (tag_is(name, nlen, "p") && !have_p) {
				have_p = 1;
				if (pol < 0)
					bad_p = 1;
				else
					out->p = (enum dmarc_policy)pol;
			} else if (tag_is(name, nlen, "sp") && !have_sp) {
				have_sp = 1;
				if (pol >= 0)
					out->sp = (enum dmarc_policy)pol;
			} else if (tag_is(name, nlen, "rua") && vlen > 0)
				have_rua = 1;
		}
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	if (first)
		return 0;
	if (have_p && !bad_p)
		return 1;
	/* RFC 7489 6.6.3 step 6: a missing or bad p= with rua= is p=none. */
	if (have_rua) {
		out->p = DMARC_P_NONE;
		return 1;
	}
	return -1;
}

/* Modes and phrases. */

static const struct {
	const char	*name;
	unsigned	 mode;
} mode_names[] = {
	{ "none", 0 },
	{ "all", DMARC_MODE_ALL },
	{ "dkim_signature", DMARC_MODE_DKIM_SIGNATURE },
	{ "dkim", DMARC_MODE_DKIM_SIGNATURE },
	{ "dkim_exists", DMARC_MODE_DKIM_SIGNATURE },
	{ "domain_regex", DMARC_MODE_DOMAIN_REGEX },
	{ "domain", DMARC_MODE_DOMAIN_REGEX },
	{ "domain_match", DMARC_MODE_DOMAIN_REGEX },
	{ "dmarc_any", DMARC_MODE_DMARC_ANY },
	{ "dmarc_exists", DMARC_MODE_DMARC_ANY },
	{ "dmarc_reject", DMARC_MODE_DMARC_REJECT },
	{ "dmarc_quarantine", DMARC_MODE_DMARC_QUARANTINE },
};

int
dmarc_modes_parse(const char *s, unsigned *modes, struct buf *err)
{
	const char *p = s != NULL ? s : "";

	*modes = 0;
	while (*p != '\0') {
		size_t n, i;

		while (*p == ',' || is_blank((unsigned char)*p))
			p++;
		n = strcspn(p, ", \t\r\n");
		if (n == 0)
			break;
		for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
			if (tag_is(p, n, mode_names[i].name))
				break;
		if (i == sizeof(mode_names) / sizeof(mode_names[0])) {
			if (err != NULL)
				buf_printf(err, "unknown dmarc_protection mode: %.*s",
				    (int)(n > 64 ? 64 : n), p);
			*modes = 0;
			return -1;
		}
		*modes |= mode_names[i].mode;
		p += n;
	}
	return 0;
}

static const char *const phrase_names[] = {
	"name_via_list", "name_email_via_list", "name_and_email",
	"list_for_name", "list_for_email", "display_name"
};

int
dmarc_phrase_parse(const char *s)
{
	if (s == NULL || *s == '\0')
		return DMARC_PHRASE_NAME_VIA_LIST;
	for (size_t i = 0; i < sizeof(phrase_names) / sizeof(phrase_names[0]); i++)
		if (strcasecmp(s, phrase_names[i]) == 0)
			return (int)i;
	/* Sympa's synonyms (ListDef.pm). */
	if (strcasecmp(s, "name") == 0)
		return DMARC_PHRASE_DISPLAY_NAME;
	if (strcasecmp(s, "prefixed") == 0)
		return DMARC_PHRASE_LIST_FOR_NAME;
	return -1;
}

const char *
dmarc_phrase_name(enum dmarc_phrase p)
{
	return (unsigned)p < sizeof(phrase_names) / sizeof(phrase_names[0]) ?
	    phrase_names[p] : "?";
}

/* The list's settings. */

static pcre2_match_context *
re_mctx(void)
{
	static pcre2_match_context *mc;

	if (mc == NULL) {
		mc = pcre2_match_context_create(NULL);
		if (mc == NULL)
			return NULL;
		pcre2_set_match_limit(mc, RE_MATCH_LIMIT);
		pcre2_set_depth_limit(mc, RE_DEPTH_LIMIT);
	}
	return mc;
}

/* Sympa matches /<regex>$/; the group keeps an alternation whole. */
static int
conf_compile(struct dmarc_conf *c, const char *re, struct buf *err)
{
	struct buf src = BUF_INIT(RE_MAX + 16);
	PCRE2_SIZE off;
	int code;

	if (buf_printf(&src, "(?:%s)$", re) < 0) {
		buf_printf(err, "dmarc_protection.domain_regex: too long");
		buf_free(&src);
		return -1;
	}
	c->re = pcre2_compile((PCRE2_SPTR)buf_cstr(&src), src.len, PCRE2_UTF,
	    &code, &off, NULL);
	buf_free(&src);
	if (c->re == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		buf_printf(err, "dmarc_protection.domain_regex: %s", (char *)msg);
		return -1;
	}
	c->md = pcre2_match_data_create_from_pattern(c->re, NULL);
	if (c->md == NULL) {
		buf_printf(err, "dmarc_protection.domain_regex: out of memory");
		return -1;
	}
	return 0;
}

struct dmarc_conf *
dmarc_conf_new(const char *list_modes, const char *site_modes,
    const char *domain_regex, const char *other_email, const char *phrase,
    struct buf *err)
{
	struct dmarc_conf *c = xcalloc(1, sizeof(*c));
	const char *modes = list_modes != NULL && *list_modes != '\0' ?
	    list_modes : site_modes;
	int ph;

	if (dmarc_modes_parse(modes, &c->modes, err) < 0)
		goto fail;
	if ((ph = dmarc_phrase_parse(phrase)) < 0) {
		buf_printf(err, "unknown dmarc_protection phrase: %.64s", phrase);
		goto fail;
	}
	c->phrase = (enum dmarc_phrase)ph;
	if (domain_regex != NULL && *domain_regex != '\0' &&
	    conf_compile(c, domain_regex, err) < 0)
		goto fail;
	c->other_email = xstrdup(other_email != NULL ? other_email : "");
	return c;
fail:
	dmarc_conf_free(c);
	return NULL;
}

void
dmarc_conf_free(struct dmarc_conf *c)
{
	if (c == NULL)
		return;
	pcre2_match_data_free(c->md);
	pcre2_code_free(c->re);
	free(c->other_email);
	free(c);
}

unsigned
dmarc_conf_modes(const struct dmarc_conf *c)
{
	return c->modes;
}

enum dmarc_phrase
dmarc_conf_phrase(const struct dmarc_conf *c)
{
	return c->phrase;
}

const char *
dmarc_conf_other_email(const struct dmarc_conf *c)
{
	return c->other_email;
}

int
dmarc_conf_enabled(const struct dmarc_conf *c)
{
	return c != NULL && c->modes != 0;
}

/* The trigger test. */

const char *
dmarc_addr_domain(const char *addr)
{
	const char *at;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL || at[1] == '\0')
		return NULL;
	return at + 1;
}

/* Whether the address, its domain in lower case, matches the regex. */
static int
regex_matches(const struct dmarc_conf *c, const char *addr)
{
	struct buf s = BUF_INIT(ADDR_HEADER_MAX);
	const char *dom = dmarc_addr_domain(addr);
	int rc;

	if (c->re == NULL || dom == NULL ||
	    buf_append(&s, addr, (size_t)(dom - addr)) < 0) {
		buf_free(&s);
		return 0;
	}
	for (; *dom != '\0'; dom++)
		if (buf_putc(&s, tolower((unsigned char)*dom)) < 0) {
			buf_free(&s);
			return 0;
		}
	rc = pcre2_match(c->re, (PCRE2_SPTR)buf_cstr(&s), s.len, 0, 0, c->md,
	    re_mctx());
	buf_free(&s);
	return rc >= 0;
}

enum dmarc_verdict
dmarc_decide(const struct dmarc_conf *c, int anonymous,
    int has_dkim_signature, const char *from_addr,
    const struct dmarc_result *policy)
{
	unsigned m;

	if (c == NULL || anonymous || dmarc_addr_domain(from_addr) == NULL)
		return DMARC_KEEP;
	m = c->modes;
	if (m & DMARC_MODE_ALL)
		return DMARC_PROTECT;
	if ((m & DMARC_MODE_DKIM_SIGNATURE) && has_dkim_signature)
		return DMARC_PROTECT;
	if ((m & DMARC_MODE_DOMAIN_REGEX) && regex_matches(c, from_addr))
		return DMARC_PROTECT;
	if ((m & DMARC_MODES_POLICY) == 0)
		return DMARC_KEEP;
	if (policy == NULL)
		return DMARC_NEED_POLICY;
	if (policy->status != DMARC_FOUND)
		return DMARC_KEEP;
	if (m & DMARC_MODE_DMARC_ANY)
		return DMARC_PROTECT;
	if ((m & DMARC_MODE_DMARC_REJECT) && policy->policy == DMARC_P_REJECT)
		return DMARC_PROTECT;
	if ((m & DMARC_MODE_DMARC_QUARANTINE) &&
	    policy->policy == DMARC_P_QUARANTINE)
		return DMARC_PROTECT;
	return DMARC_KEEP;
}

/* The rewrite. */

void
dmarc_rewrite_init(struct dmarc_rewrite *rw)
{
	buf_init(&rw->from, DMARC_FIELD_MAX);
	buf_init(&rw->x_original_from, DMARC_FIELD_MAX);
	buf_init(&rw->reply_to, DMARC_FIELD_MAX);
	buf_init(&rw->x_original_dmarc_record, DMARC_FIELD_MAX);
	rw->move_dkim = 0;
}

void
dmarc_rewrite_free(struct dmarc_rewrite *rw)
{
	buf_free(&rw->from);
	buf_free(&rw->x_original_from);
	buf_free(&rw->reply_to);
	buf_free(&rw->x_original_dmarc_record);
}

static void
rewrite_reset(struct dmarc_rewrite *rw)
{
	buf_reset(&rw->from);
	buf_reset(&rw->x_original_from);
	buf_reset(&rw->reply_to);
	buf_reset(&rw->x_original_dmarc_record);
	rw->move_dkim = 0;
}

/*
 * Unfold a raw header value into out, without its leading and trailing
 * blanks. A line end followed by a blank is folding; any other CR or LF
 * (but a final line end) and any NUL are refused: -1.
 */
static int
unfold(const char *in, size_t len, struct buf *out)
{
	size_t i = 0, start;

	while (i < len) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\0')
			return -1;
		if (c == '\r' || c == '\n') {
			size_t j = i + 1;

			if (c == '\r' && j < len && in[j] == '\n')
				j++;
			if (j < len && in[j] != ' ' && in[j] != '\t')
				return -1;
			i = j;
			continue;
		}
		if (buf_putc(out, c) < 0)
			return -1;
		i++;
	}
	/* Trim. */
	start = 0;
	while (start < out->len && (out->data[start] == ' ' || out->data[start] == '\t'))
		start++;
	while (out->len > start && (out->data[out->len - 1] == ' ' ||
	    out->data[out->len - 1] == '\t'))
		out->len--;
	if (out->data != NULL) {
		memmove(out->data, out->data + start, out->len - start);
		out->len -= start;
		out->data[out->len] = '\0';
	}
	return 0;
}

/* A name with control characters blanked and runs of blanks made one. */
static void
clean_name(const char *in, struct buf *out)
{
	int blank = 1;

	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!blank)
				buf_putc(out, ' ');
			blank = 1;
			continue;
		}
		buf_putc(out, c);
		blank = 0;
	}
	if (out->len > 0 && out->data[out->len - 1] == ' ')
		buf_truncate(out, out->len - 1);
}

static int
has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* " (comment)", escaped or encoded. */
static int
put_comment(struct buf *out, const char *s)
{
	if (buf_puts(out, " (") < 0)
		return -1;
	if (mimeword_is_plain(s)) {
		for (; *s != '\0'; s++)
			if ((strchr("()\\", *s) != NULL && buf_putc(out, '\\') < 0) ||
			    buf_putc(out, (unsigned char)*s) < 0)
				return -1;
	} else if (mimeword_encode(s, strlen(s), 45, " ", out) < 0)
		return -1;
	return buf_putc(out, ')');
}

/*
 * "display (comment) <spec>": addr_format() renders the display name
 * (atoms, quoted-string or encoded-words) and the comment goes before the
 * angle-addr it ends with.
 */
static int
put_from(struct buf *out, const char *display, const char *comment,
    const char *spec)
{
	struct buf tmp = BUF_INIT(DMARC_FIELD_MAX);
	struct addr a;
	size_t tail = strlen(spec) + 3;		/* " <" spec ">" */
	int rc = -1;

	memset(&a, 0, sizeof(a));
	a.name = (char *)display;
	a.spec = (char *)spec;
	if (addr_format(&a, &tmp) < 0 || tmp.len < tail)
		goto done;
	if (buf_append(out, tmp.data, tmp.len - tail) < 0)
		goto done;
	if (comment != NULL && put_comment(out, comment) < 0)
		goto done;
	rc = buf_printf(out, " <%s>", spec);
done:
	buf_free(&tmp);
	return rc;
}

/* The first mailbox of an address value. */
static int
first_mailbox(const char *in, size_t len, struct addr *out)
{
	struct addr_list l;
	const char *err;

	if (addr_parse_list(in, len, &l, &err) < 0)
		return -1;
	if (l.n == 0) {
		addr_list_free(&l);
		return -1;
	}
	*out = l.v[0];
	for (size_t i = 1; i < l.n; i++)
		addr_free(&l.v[i]);
	free(l.v);
	return 0;
}

/* "<list> Mailing List" or its -request/-editor form, or other_email's name. */
static void
list_label(const struct dmarc_rewrite_in *in, const char *other_name,
    struct buf *out)
{
	if (in->kind == DMARC_KIND_POST && other_name != NULL && *other_name != '\0') {
		clean_name(other_name, out);
		return;
	}
	switch (in->kind) {
	case DMARC_KIND_REQUEST:
		buf_printf(out, "Owner Address of %s Mailing List", in->list_name);
		break;
	case DMARC_KIND_EDITOR:
		buf_printf(out, "Moderator Address of %s Mailing List", in->list_name);
		break;
	default:
		buf_printf(out, "%s Mailing List", in->list_name);
		break;
	}
}

/* The display name and the comment of the new From, by phrase. */
static int
phrase_parts(const struct dmarc_rewrite_in *in, const char *name,
    const char *spec, const char *label, struct buf *display,
    struct buf *comment, int *has_comment)
{
	int rc = 0;

	*has_comment = 1;
	switch (in->phrase) {
	case DMARC_PHRASE_NAME_EMAIL_VIA_LIST:
		rc |= buf_puts(display, name);
		rc |= buf_printf(comment, "%s via %s", spec, label);
		break;
	case DMARC_PHRASE_NAME_AND_EMAIL:
		rc |= buf_puts(display, name);
		rc |= buf_puts(comment, spec);
		break;
	case DMARC_PHRASE_LIST_FOR_NAME:
		rc |= buf_puts(display, label);
		rc |= buf_printf(comment, "on behalf of %s", name);
		break;
	case DMARC_PHRASE_LIST_FOR_EMAIL:
		rc |= buf_puts(display, label);
		rc |= buf_printf(comment, "on behalf of %s", spec);
		break;
	case DMARC_PHRASE_DISPLAY_NAME:
		rc |= buf_puts(display, name);
		*has_comment = 0;
		break;
	case DMARC_PHRASE_NAME_VIA_LIST:
	default:
		rc |= buf_puts(display, name);
		rc |= buf_printf(comment, "via %s", label);
		break;
	}
	if (rc == 0 && display->len == 0)
		rc = buf_puts(display, "Anonymous");
	return rc < 0 ? -1 : 0;
}

/* The address the new From carries, and other_email's display name. */
static int
new_address(const struct dmarc_rewrite_in *in, struct addr *to, int *have_other)
{
	const char *oe = in->other_email;

	*have_other = 0;
	if (in->kind == DMARC_KIND_POST && oe != NULL && strchr(oe, '@') != NULL) {
		if (first_mailbox(oe, strlen(oe), to) < 0)
			return -1;
		*have_other = 1;
		return 0;
	}
	if (in->addr == NULL || first_mailbox(in->addr, strlen(in->addr), to) < 0)
		return -1;
	return 0;
}

/* "domain=<d>; <record>", controls blanked. */
static int
put_record(struct buf *out, const struct dmarc_result *res)
{
	const char *s;

	if (buf_printf(out, "domain=%s; ", res->domain) < 0)
		return -1;
	for (s = res->record; *s != '\0'; s++)
		if (buf_putc(out, (unsigned char)*s < 0x20 ? ' ' : *s) < 0)
			return -1;
	return 0;
}

int
dmarc_rewrite(const struct dmarc_rewrite_in *in, struct dmarc_rewrite *rw,
    const char **err)
{
	struct buf name = BUF_INIT(DMARC_FIELD_MAX);
	struct buf label = BUF_INIT(DMARC_FIELD_MAX);
	struct buf display = BUF_INIT(DMARC_FIELD_MAX);
	struct buf comment = BUF_INIT(DMARC_FIELD_MAX);
	struct addr orig, to;
	int have_orig = 0, have_to = 0, have_other, has_comment, rc = -1;

	rewrite_reset(rw);
	if (in->from == NULL || in->list_name == NULL) {
		*err = "no From";
		goto done;
	}
	if (has_crlf(in->list_name) || has_crlf(in->addr) ||
	    has_crlf(in->other_email)) {
		*err = "CR or LF in a list setting";
		goto done;
	}
	if (unfold(in->from, in->from_len, &rw->x_original_from) < 0) {
		*err = "CR, LF or NUL in From, or From too long";
		goto done;
	}
	if (first_mailbox(buf_cstr(&rw->x_original_from), rw->x_original_from.len,
	    &orig) < 0) {
		*err = "no mailbox in From";
		goto done;
	}
	have_orig = 1;
	if (new_address(in, &to, &have_other) < 0) {
		*err = "no usable list address";
		goto done;
	}
	have_to = 1;

	/* Sympa: the display name, else the local part. */
	clean_name(*orig.name != '\0' ? orig.name : orig.local, &name);
	list_label(in, have_other ? to.name : NULL, &label);
	if (name.len > DMARC_FIELD_MAX / 4 || label.len > DMARC_FIELD_MAX / 4 ||
	    phrase_parts(in, buf_cstr(&name), orig.spec, buf_cstr(&label),
	    &display, &comment, &has_comment) < 0 ||
	    put_from(&rw->from, buf_cstr(&display),
	    has_comment ? buf_cstr(&comment) : NULL, to.spec) < 0) {
		*err = "new From too long";
		goto done;
	}
	if (!in->has_reply_to && buf_puts(&rw->reply_to, orig.spec) < 0) {
		*err = "Reply-To too long";
		goto done;
	}
	if (in->policy != NULL && in->policy->status == DMARC_FOUND &&
	    put_record(&rw->x_original_dmarc_record, in->policy) < 0) {
		*err = "DMARC record too long";
		goto done;
	}
	rw->move_dkim = in->has_dkim_signature ? 1 : 0;
	rc = 0;
done:
	if (have_orig)
		addr_free(&orig);
	if (have_to)
		addr_free(&to);
	buf_free(&name);
	buf_free(&label);
	buf_free(&display);
	buf_free(&comment);
	if (rc < 0)
		rewrite_reset(rw);
	return rc;
}
