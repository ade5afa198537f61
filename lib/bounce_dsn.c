/*
 * bounce_dsn - the standard reports: RFC 3464 delivery status (and RFC
 * 6533's global form), RFC 3798/8098 disposition notifications, RFC 5965
 * feedback reports; and the same DSN fields when a mailer writes them
 * into a text part instead of a report part.
 *
 * A report part is read as blocks of fields separated by blank lines
 * (RFC 3464 section 2.1), whatever msg made of it: the decoded body is
 * split here, so a base64-encoded report or one in a text part reads the
 * same. A block holding Final-Recipient or Original-Recipient is a
 * recipient's; any other is the message's.
 */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "mem.h"
#include "msg.h"

#define BOUNCE_REPORT_PART_MAX	(1024 * 1024)	/* decoded report bytes */

static int
bounce_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* The length of a field name ending in ":" at the start of a line, or 0. */
static size_t
bounce_field_name(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 64; i++) {
		int c = (unsigned char)s[i];

		if (c == ':')
			return i;
		if (c <= ' ' || c >= 0x7f)
			return 0;
	}
	return 0;
}

void
bounce_fields_parse(const char *s, size_t len, struct bounce_fields *f)
{
	size_t i = 0, cap = 0;
	int in_block = 0;

	memset(f, 0, sizeof *f);
	while (i < len) {
		size_t e = i, next, nl;

		while (e < len && s[e] != '\n' && s[e] != '\r')
			e++;
		next = e;
		if (next < len && s[next] == '\r')
			next++;
		if (next < len && s[next] == '\n' && (next == e || s[e] == '\r'))
			next++;
		if (next == e)
			next = e + 1;
		if (bounce_blank(s + i, e - i)) {
			if (in_block)
				f->nblocks++;
			in_block = 0;
		} else if ((s[i] == ' ' || s[i] == '\t') && in_block && f->n > 0) {
			struct bounce_field *last = &f->v[f->n - 1];

			last->value_len = (size_t)(s + e - last->value);
		} else if ((nl = bounce_field_name(s + i, e - i)) > 0 &&
		    f->n < BOUNCE_FIELDS_MAX) {
			struct bounce_field *fl;

			if (f->n == cap) {
				cap = cap ? cap * 2 : 16;
				f->v = xreallocarray(f->v, cap, sizeof *f->v);
			}
			fl = &f->v[f->n++];
			fl->block = f->nblocks;
			fl->name = s + i;
			fl->name_len = nl;
			fl->value = s + i + nl + 1;
			fl->value_len = e - (i + nl + 1);
			in_block = 1;
		}
		i = next;
	}
	if (in_block)
		f->nblocks++;
	/* Fields come block after block: index where each block starts. */
	f->starts = xcalloc(f->nblocks + 1, sizeof *f->starts);
	for (size_t k = f->n; k-- > 0; )
		f->starts[f->v[k].block] = k;
	f->starts[f->nblocks] = f->n;
}

void
bounce_fields_free(struct bounce_fields *f)
{
	free(f->v);
	free(f->starts);
	memset(f, 0, sizeof *f);
}

const struct bounce_field *
bounce_fields_get(const struct bounce_fields *f, size_t block, const char *name)
{
	size_t n = strlen(name);

	if (block >= f->nblocks)
		return NULL;
	for (size_t i = f->starts[block]; i < f->starts[block + 1]; i++) {
		const struct bounce_field *fl = &f->v[i];

		if (fl->name_len == n &&
		    bounce_memcasemem(fl->name, n, name) == fl->name)
			return fl;
	}
	return NULL;
}

/* The value unfolded and trimmed, into out (reset first). 0 or -1. */
int
bounce_field_value(const struct bounce_field *fl, struct buf *out)
{
	size_t n = fl->value_len, i = 0;

	buf_reset(out);
	while (i < n && (fl->value[i] == ' ' || fl->value[i] == '\t'))
		i++;
	for (; i < n; i++) {
		if (fl->value[i] == '\r' || fl->value[i] == '\n')
			continue;
		if (buf_putc(out, fl->value[i]) < 0)
			return -1;
	}
	while (out->len > 0 && (out->data[out->len - 1] == ' ' ||
	    out->data[out->len - 1] == '\t'))
		out->data[--out->len] = '\0';
	return 0;
}

static void
bounce_utf8_put(unsigned long cp, struct buf *out)
{
	if (cp < 0x80)
		(void)buf_putc(out, (int)cp);
	else if (cp < 0x800) {
		(void)buf_putc(out, (int)(0xc0 | cp >> 6));
		(void)buf_putc(out, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		(void)buf_putc(out, (int)(0xe0 | cp >> 12));
		(void)buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
		(void)buf_putc(out, (int)(0x80 | (cp & 0x3f)));
	} else {
		(void)buf_putc(out, (int)(0xf0 | cp >> 18));
		(void)buf_putc(out, (int)(0x80 | ((cp >> 12) & 0x3f)));
		(void)buf_putc(out, (int)(0x80 | ((cp >> 6) & 0x3f)));
		(void)buf_putc(out, (int)(0x80 | (cp & 0x3f)));
	}
}

/* RFC 6533 utf-8-addr-xtext: "\x{HEX}" stands for a code point. */
static void
bounce_unescape_utf8(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    s[i + 2] == '{') {
			unsigned long cp = 0;
			size_t j = i + 3, digits = 0;

			for (; j < n && digits < 6; j++, digits++) {
				int c = bounce_lower((unsigned char)s[j]);

				if (c >= '0' && c <= '9')
					cp = cp * 16 + (unsigned long)(c - '0');
				else if (c >= 'a' && c <= 'f')
					cp = cp * 16 + (unsigned long)(c - 'a' + 10);
				else
					break;
			}
			if (j < n && s[j] == '}' && digits > 0 && cp > 0 &&
			    cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
				bounce_utf8_put(cp, out);
				i = j;
				continue;
			}
		}
		(void)buf_putc(out, s[i]);
	}
}

/*
 * An address-type field ("rfc822; a@b", "utf-8; a\x{E9}@b", or a bare
 * address): the address, into out.
 */
static void
bounce_typed_address(const char *v, size_t n, struct buf *out)
{
	const char *semi = memchr(v, ';', n);

	buf_reset(out);
	if (semi != NULL && memchr(v, '@', (size_t)(semi - v)) == NULL) {
		size_t tl = (size_t)(semi - v);
		int utf8 = bounce_memcasemem(v, tl, "utf-8") != NULL;

		n -= tl + 1;
		v = semi + 1;
		if (utf8) {
			bounce_unescape_utf8(v, n, out);
			return;
		}
	}
	(void)buf_append(out, v, n);
}

/* A diagnostic-type field ("smtp; 550 ..."): the text after the type. */
static const char *
bounce_typed_text(const char *v, size_t *n)
{
	const char *semi = memchr(v, ';', *n < 32 ? *n : 32);

	if (semi == NULL)
		return v;
	for (const char *p = v; p < semi; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == ' '))
			return v;
	*n -= (size_t)(semi + 1 - v);
	return semi + 1;
}

static char *
bounce_field_text(const struct bounce_fields *f, size_t block,
    const char *name, int typed)
{
	const struct bounce_field *fl = bounce_fields_get(f, block, name);
	struct buf v = BUF_INIT(BOUNCE_FIELD_VALUE_MAX);
	const char *s;
	size_t n;
	char *res;

	if (fl == NULL)
		return NULL;
	(void)bounce_field_value(fl, &v);
	s = buf_cstr(&v);
	n = v.len;
	if (typed)
		s = bounce_typed_text(s, &n);
	res = bounce_text_dup(s, n);
	buf_free(&v);
	return res;
}

static enum bounce_action
bounce_action_parse(const char *v, const char *status)
{
	static const struct {
		const char *name;
		enum bounce_action a;
	} actions[] = {
		{ "failed", BOUNCE_FAILED }, { "delayed", BOUNCE_DELAYED },
		{ "delivered", BOUNCE_DELIVERED }, { "relayed", BOUNCE_RELAYED },
		{ "expanded", BOUNCE_EXPANDED },
	};

	for (size_t i = 0; v && i < sizeof actions / sizeof actions[0]; i++)
		if (bounce_memcasemem(v, strlen(v), actions[i].name) == v)
			return actions[i].a;
	if (status[0] == '4')
		return BOUNCE_DELAYED;
	if (status[0] == '2')
		return BOUNCE_DELIVERED;
	return BOUNCE_FAILED;
}

/* The recipient of a recipient block, added; NULL if it has none. */
static struct bounce_rcpt *
bounce_block_rcpt(struct bounce_ctx *c, const struct bounce_fields *f,
    size_t block, int *is_new)
{
	const struct bounce_field *fr = bounce_fields_get(f, block,
	    "final-recipient");
	const struct bounce_field *orf = bounce_fields_get(f, block,
	    "original-recipient");
	struct buf v = BUF_INIT(BOUNCE_FIELD_VALUE_MAX);
	struct buf a = BUF_INIT(BOUNCE_FIELD_VALUE_MAX * 2);
	struct bounce_rcpt *rc = NULL;
	char norm[BOUNCE_ADDRESS_MAX + 1];
	size_t before = c->r->nrcpts;
	int routed = 0;

	if (fr != NULL) {
		const char *q;

		(void)bounce_field_value(fr, &v);
		bounce_typed_address(buf_cstr(&v), v.len, &a);
		q = buf_cstr(&a) + strspn(buf_cstr(&a), " \t<");
		routed = *q == '@';
		rc = bounce_rcpt_get(c->r, buf_cstr(&a), a.len);
	}
	if (orf != NULL) {
		(void)bounce_field_value(orf, &v);
		bounce_typed_address(buf_cstr(&v), v.len, &a);
		if (rc == NULL || (routed && c->r->nrcpts > before &&
		    bounce_addr_norm(buf_cstr(&a), a.len, norm))) {
			/*
			 * No Final-Recipient, or one reached through a source
			 * route to an internal host: the address as sent wins.
			 */
			if (rc != NULL)
				bounce_rcpt_drop(c->r);
			rc = bounce_rcpt_get(c->r, buf_cstr(&a), a.len);
		} else if (rc->original == NULL &&
		    bounce_addr_norm(buf_cstr(&a), a.len, norm) &&
		    strcmp(norm, rc->address) != 0)
			rc->original = xstrdup(norm);
	}
	*is_new = c->r->nrcpts > before;
	buf_free(&v);
	buf_free(&a);
	return rc;
}

/*
 * The status of a recipient block: the Status field, unless the
 * Diagnostic-Code carries another enhanced code (the remote server's
 * own, more precise than the reporting MTA's summary, often a bare
 * X.0.0). When the two differ in class, the one that agrees with the
 * Action wins ("delayed" is 4, "failed" 5).
 */
static void
bounce_block_status(struct bounce_rcpt *rc, const char *field,
    const char *action)
{
	char given[16], diag[16];
	int has_given = 0, has_diag = 0;
	char want = '\0';

	if (field != NULL) {
		size_t n = strcspn(field, " \t(;");

		has_given = bounce_status_valid(field, n, given) ||
		    bounce_status_code(field, strlen(field), given);
	}
	if (rc->diagnostic != NULL)
		has_diag = bounce_status_code(rc->diagnostic,
		    strlen(rc->diagnostic), diag);
	if (action != NULL && bounce_memcasemem(action, strlen(action),
	    "failed") == action)
		want = '5';
	else if (action != NULL && bounce_memcasemem(action, strlen(action),
	    "delayed") == action)
		want = '4';
	if (has_diag && has_given && diag[0] != given[0] && want != '\0' &&
	    given[0] == want)
		has_diag = 0;
	if (has_diag)
		strcpy(rc->status, diag);
	else if (has_given)
		strcpy(rc->status, given);
}

static void
bounce_dsn_block(struct bounce_ctx *c, const struct bounce_fields *f,
    size_t block)
{
	struct bounce_rcpt *rc;
	char *action, *status, *diag;
	int is_new;

	if ((rc = bounce_block_rcpt(c, f, block, &is_new)) == NULL)
		return;
	/* A recipient named twice keeps what its first block said. */
	if (!is_new && rc->status[0] != '\0')
		return;
	action = bounce_field_text(f, block, "action", 0);
	status = bounce_field_text(f, block, "status", 0);
	if ((diag = bounce_field_text(f, block, "diagnostic-code", 1)) != NULL) {
		bounce_rcpt_diag(rc, diag, strlen(diag));
		free(diag);
	}
	if (rc->remote_mta == NULL)
		rc->remote_mta = bounce_field_text(f, block, "remote-mta", 1);
	bounce_block_status(rc, status, action);
	rc->action = bounce_action_parse(action, rc->status);
	free(action);
	free(status);
}

/* The per-message fields: reporting MTA and envelope id. */
static void
bounce_message_block(struct bounce_ctx *c, const struct bounce_fields *f,
    size_t block)
{
	if (c->r->reporting_mta == NULL)
		c->r->reporting_mta = bounce_field_text(f, block,
		    "reporting-mta", 1);
	if (c->r->envid == NULL)
		c->r->envid = bounce_field_text(f, block,
		    "original-envelope-id", 0);
}

static int
bounce_is_rcpt_block(const struct bounce_fields *f, size_t block)
{
	return bounce_fields_get(f, block, "final-recipient") != NULL ||
	    bounce_fields_get(f, block, "original-recipient") != NULL;
}

/* Read the DSN fields of s[0..n); the number of recipients it named. */
static size_t
bounce_dsn_fields(struct bounce_ctx *c, const char *s, size_t n)
{
	struct bounce_fields f;
	size_t before = c->r->nrcpts;

	bounce_fields_parse(s, n, &f);
	for (size_t b = 0; b < f.nblocks; b++) {
		if (bounce_is_rcpt_block(&f, b))
			bounce_dsn_block(c, &f, b);
		else
			bounce_message_block(c, &f, b);
	}
	bounce_fields_free(&f);
	return c->r->nrcpts - before;
}

static void
bounce_mdn_fields(struct bounce_ctx *c, const char *s, size_t n)
{
	struct bounce_fields f;

	bounce_fields_parse(s, n, &f);
	for (size_t b = 0; b < f.nblocks; b++) {
		struct bounce_rcpt *rc;
		char *disp, *ua;
		int is_new;

		if (c->r->reporting_mta == NULL &&
		    (ua = bounce_field_text(&f, b, "reporting-ua", 0)) != NULL) {
			/* "host; product": the host. */
			c->r->reporting_mta = bounce_text_dup(ua, strcspn(ua, ";"));
			free(ua);
		}
		if (c->r->orig_message_id == NULL) {
			char *id = bounce_field_text(&f, b,
			    "original-message-id", 0);

			if (id != NULL) {
				size_t l = strlen(id);

				c->r->orig_message_id = bounce_text_dup(
				    id + (id[0] == '<'),
				    l - (id[0] == '<') - (l > 1 && id[l - 1] == '>'));
				free(id);
			}
		}
		if ((disp = bounce_field_text(&f, b, "disposition", 0)) != NULL &&
		    c->r->disposition == NULL) {
			/* "manual-action/MDN-sent-manually; displayed/..." */
			const char *t = strchr(disp, ';');
			size_t tl;

			t = t ? t + 1 : disp;
			t += strspn(t, " \t");
			tl = strcspn(t, " \t/;,");
			if (tl > 0) {
				char *d = bounce_text_dup(t, tl);

				for (char *q = d; q && *q; q++)
					*q = (char)bounce_lower((unsigned char)*q);
				c->r->disposition = d;
			}
		}
		free(disp);
		if (bounce_is_rcpt_block(&f, b) &&
		    (rc = bounce_block_rcpt(c, &f, b, &is_new)) != NULL)
			rc->action = BOUNCE_DISPLAYED;
	}
	bounce_fields_free(&f);
}

static void
bounce_arf_fields(struct bounce_ctx *c, const char *s, size_t n)
{
	struct bounce_fields f;
	struct buf v = BUF_INIT(BOUNCE_FIELD_VALUE_MAX);

	bounce_fields_parse(s, n, &f);
	for (size_t i = 0; i < f.n; i++) {
		const struct bounce_field *fl = &f.v[i];
		struct bounce_rcpt *rc;

		if (fl->name_len == 13 &&
		    bounce_memcasemem(fl->name, 13, "feedback-type") &&
		    c->r->feedback_type == NULL) {
			(void)bounce_field_value(fl, &v);
			c->r->feedback_type = bounce_text_dup(buf_cstr(&v),
			    strcspn(buf_cstr(&v), " \t;"));
			for (char *q = c->r->feedback_type; q && *q; q++)
				*q = (char)bounce_lower((unsigned char)*q);
		} else if (fl->name_len == 16 &&
		    bounce_memcasemem(fl->name, 16, "original-rcpt-to")) {
			(void)bounce_field_value(fl, &v);
			if ((rc = bounce_rcpt_get(c->r, buf_cstr(&v), v.len)))
				rc->action = BOUNCE_FEEDBACK;
		} else if (fl->name_len == 13 &&
		    bounce_memcasemem(fl->name, 13, "reporting-mta") &&
		    c->r->reporting_mta == NULL) {
			const char *t;
			size_t tl;

			(void)bounce_field_value(fl, &v);
			tl = v.len;
			t = bounce_typed_text(buf_cstr(&v), &tl);
			c->r->reporting_mta = bounce_text_dup(t, tl);
		}
	}
	buf_free(&v);
	bounce_fields_free(&f);
}

enum bounce_part_kind { PART_NONE, PART_DSN, PART_MDN, PART_ARF };

static enum bounce_part_kind
bounce_report_part_kind(const struct msg_part *p)
{
	if (msg_part_is(p, "message", "delivery-status") ||
	    msg_part_is(p, "message", "global-delivery-status") ||
	    msg_part_is(p, "text", "delivery-status"))
		return PART_DSN;
	if (msg_part_is(p, "message", "disposition-notification") ||
	    msg_part_is(p, "message", "global-disposition-notification"))
		return PART_MDN;
	if (msg_part_is(p, "message", "feedback-report"))
		return PART_ARF;
	return PART_NONE;
}

static int
bounce_enclosed(const struct msg_part *p)
{
	for (const struct msg_part *q = p->parent; q != NULL; q = q->parent)
		if (q->body_kind == MSG_BODY_MESSAGE)
			return 1;
	return 0;
}

int
bounce_dsn_parts(struct bounce_ctx *c)
{
	struct buf body = BUF_INIT(BOUNCE_REPORT_PART_MAX);
	int found = 0;

	for (size_t i = 0; i < c->m->nparts; i++) {
		const struct msg_part *p = c->m->parts[i];
		enum bounce_part_kind k = bounce_report_part_kind(p);

		if (k == PART_NONE || bounce_enclosed(p))
			continue;
		buf_reset(&body);
		bounce_part_decode(c->m, p, &body);
		switch (k) {
		case PART_DSN:
			(void)bounce_dsn_fields(c, buf_cstr(&body), body.len);
			if (c->r->kind == BOUNCE_KIND_NONE) {
				c->r->kind = BOUNCE_KIND_DSN;
				c->r->recogniser = "rfc3464";
			}
			break;
		case PART_MDN:
			bounce_mdn_fields(c, buf_cstr(&body), body.len);
			if (c->r->kind == BOUNCE_KIND_NONE) {
				c->r->kind = BOUNCE_KIND_MDN;
				c->r->recogniser = "rfc3798";
			}
			break;
		case PART_ARF:
			bounce_arf_fields(c, buf_cstr(&body), body.len);
			c->r->kind = BOUNCE_KIND_ARF;
			c->r->recogniser = "rfc5965";
			break;
		case PART_NONE:
			break;
		}
		found = 1;
	}
	buf_free(&body);
	if (!found)
		return 0;
	/* A report part with no recipient: let the text have its say. */
	if (c->r->nrcpts == 0 && c->r->kind == BOUNCE_KIND_DSN) {
		c->r->kind = BOUNCE_KIND_NONE;
		c->r->recogniser = "none";
		return 0;
	}
	if (c->r->kind == BOUNCE_KIND_DSN)
		bounce_nonstd_diagnose(c);
	return 1;
}

/*
 * Some mailers (Amazon WorkMail, forwarded bounces) write the DSN fields
 * into the text: read them from there when a line starts with
 * Final-Recipient.
 */
int
bounce_dsn_in_text(struct bounce_ctx *c)
{
	const char *t = buf_cstr(&c->text);
	size_t n = bounce_nonstd_returned(c, NULL);
	const char *p;

	for (p = t; (p = bounce_memcasemem(p, n - (size_t)(p - t),
	    "final-recipient:")) != NULL; p++)
		if (p == t || p[-1] == '\n')
			break;
	if (p == NULL)
		return 0;
	/* Back to the start of the block, for the per-message fields. */
	while (p > t && !(p[-1] == '\n' && p - 1 > t && p[-2] == '\n'))
		p--;
	if (bounce_dsn_fields(c, p, n - (size_t)(p - t)) == 0)
		return 0;
	c->r->kind = BOUNCE_KIND_DSN;
	c->r->recogniser = "rfc3464-text";
	bounce_nonstd_diagnose(c);
	return 1;
}
