/*
 * bounce_feedback - reports that are neither RFC 3464 nor prose: Amazon
 * SES notifications (JSON, as SNS mails them: bounces, complaints,
 * deliveries), Microsoft's JMRP complaints (the returned message with
 * X-HmXmrOriginalRecipient) and Apple Mail's unsubscribe messages
 * (X-Apple-Unsubscribe). Complaints and unsubscribes read as feedback
 * reports (kind ARF) with their type.
 *
 * The JSON is not parsed as a whole: the few keys needed are looked up
 * in order, and a string value is read up to its closing quote, so a
 * truncated or hostile document costs one pass and yields what it holds.
 */
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "mem.h"
#include "msg.h"

#define BOUNCE_JSON_VALUE_MAX	1024	/* bytes of one string value */

/*
 * The string value of "key" at or after s (up to end), into out; where
 * the value ends, or NULL.
 */
static const char *
bounce_json_string(const char *s, const char *end, const char *key,
    struct buf *out)
{
	size_t kl = strlen(key);
	const char *p = s;

	buf_reset(out);
	while (p < end) {
		const char *q = bounce_memcasemem(p, (size_t)(end - p), key);

		if (q == NULL)
			return NULL;
		p = q + kl;
		if (q == s || q[-1] != '"' || p >= end || *p != '"')
			continue;
		for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\n'); p++)
			;
		if (p >= end || *p != ':')
			continue;
		for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\n'); p++)
			;
		if (p >= end || *p != '"')
			continue;
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (out->len < BOUNCE_JSON_VALUE_MAX)
				(void)buf_putc(out, *p);
		}
		return p;
	}
	return NULL;
}

/* The array after "key": [open, close) of its contents, or 0. */
static int
bounce_json_array(const char *s, const char *end, const char *key,
    const char **open, const char **close)
{
	const char *q = s;
	size_t kl = strlen(key);
	int depth = 0;

	while ((q = bounce_memcasemem(q, (size_t)(end - q), key)) != NULL) {
		const char *p = q + kl;

		q = p;
		if (p >= end || *p != '"')
			continue;
		for (p++; p < end && strchr(" \t\n:", *p); p++)
			;
		if (p >= end || *p != '[')
			continue;
		*open = p + 1;
		for (; p < end; p++) {
			if (*p == '[')
				depth++;
			else if (*p == ']' && --depth == 0)
				break;
		}
		*close = p;
		return 1;
	}
	return 0;
}

/* One recipient object of a bounce or complaint array. */
static void
bounce_json_rcpt(struct bounce_ctx *c, const char *s, const char *e,
    enum bounce_action action)
{
	struct buf v = BUF_INIT(BOUNCE_JSON_VALUE_MAX + 1);
	struct bounce_rcpt *rc;

	if (bounce_json_string(s, e, "emailAddress", &v) == NULL ||
	    (rc = bounce_rcpt_get(c->r, buf_cstr(&v), v.len)) == NULL) {
		buf_free(&v);
		return;
	}
	rc->action = action;
	if (action == BOUNCE_FAILED) {
		if (bounce_json_string(s, e, "diagnosticCode", &v) != NULL) {
			size_t n = v.len;
			const char *d = buf_cstr(&v);
			const char *semi = memchr(d, ';', n < 16 ? n : 16);

			if (semi != NULL) {
				n -= (size_t)(semi + 1 - d);
				d = semi + 1;
			}
			bounce_rcpt_diag(rc, d, n);
		}
		if (bounce_json_string(s, e, "status", &v) != NULL)
			(void)bounce_status_valid(buf_cstr(&v), v.len, rc->status);
		if (bounce_json_string(s, e, "action", &v) != NULL &&
		    bounce_memcasemem(buf_cstr(&v), v.len, "delayed") != NULL)
			rc->action = BOUNCE_DELAYED;
	}
	buf_free(&v);
}

/* Each {...} of an array's contents [s, e). */
static void
bounce_json_objects(struct bounce_ctx *c, const char *s, const char *e,
    enum bounce_action action)
{
	const char *p = s;

	while (p < e) {
		const char *o = memchr(p, '{', (size_t)(e - p)), *q;
		int depth = 0;

		if (o == NULL)
			break;
		for (q = o; q < e; q++) {
			if (*q == '{')
				depth++;
			else if (*q == '}' && --depth == 0)
				break;
		}
		bounce_json_rcpt(c, o, q, action);
		p = q + 1;
	}
}

/* "recipients": ["a@b", ...] of a delivery notification. */
static void
bounce_json_delivered(struct bounce_ctx *c, const char *s, const char *e)
{
	struct buf v = BUF_INIT(BOUNCE_JSON_VALUE_MAX + 1);
	const char *open, *close, *p;
	char st[16] = "";

	if (bounce_json_string(s, e, "smtpResponse", &v) != NULL &&
	    !bounce_status_code(buf_cstr(&v), v.len, st))
		st[0] = '\0';
	if (bounce_json_array(s, e, "recipients", &open, &close)) {
		for (p = open; p < close; ) {
			const char *q = memchr(p, '"', (size_t)(close - p)), *qe;
			struct bounce_rcpt *rc;

			if (q == NULL || (qe = memchr(q + 1, '"',
			    (size_t)(close - q - 1))) == NULL)
				break;
			if ((rc = bounce_rcpt_get(c->r, q + 1,
			    (size_t)(qe - q - 1))) != NULL) {
				rc->action = BOUNCE_DELIVERED;
				strcpy(rc->status, st);
			}
			p = qe + 1;
		}
	}
	buf_free(&v);
}

/* An Amazon SES notification, possibly escaped inside an SNS envelope. */
static int
bounce_ses(struct bounce_ctx *c)
{
	struct buf json = BUF_INIT(BOUNCE_BODY_TEXT_MAX);
	struct buf v = BUF_INIT(BOUNCE_JSON_VALUE_MAX + 1);
	const char *t = buf_cstr(&c->text), *s, *e, *open, *close;
	size_t n = c->text.len;

	if (bounce_memcasemem(t, n, "notificationtype") == NULL)
		return 0;
	/* The SNS envelope holds the notification as an escaped string. */
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\\' && i + 1 < n && (t[i + 1] == '"' ||
		    t[i + 1] == '\\'))
			i++;
		(void)buf_putc(&json, t[i]);
	}
	s = buf_cstr(&json);
	e = s + json.len;
	if (bounce_json_string(s, e, "notificationType", &v) == NULL) {
		buf_free(&json);
		buf_free(&v);
		return 0;
	}
	if (strcasecmp(buf_cstr(&v), "Bounce") == 0 &&
	    bounce_json_array(s, e, "bouncedRecipients", &open, &close)) {
		bounce_json_objects(c, open, close, BOUNCE_FAILED);
		c->r->kind = BOUNCE_KIND_DSN;
	} else if (strcasecmp(buf_cstr(&v), "Complaint") == 0 &&
	    bounce_json_array(s, e, "complainedRecipients", &open, &close)) {
		bounce_json_objects(c, open, close, BOUNCE_FEEDBACK);
		c->r->kind = BOUNCE_KIND_ARF;
		c->r->feedback_type = xstrdup(bounce_json_string(s, e,
		    "complaintFeedbackType", &v) != NULL && v.len > 0 ?
		    buf_cstr(&v) : "abuse");
		for (char *q = c->r->feedback_type; *q; q++)
			*q = (char)bounce_lower((unsigned char)*q);
	} else if (strcasecmp(buf_cstr(&v), "Delivery") == 0) {
		bounce_json_delivered(c, s, e);
		c->r->kind = BOUNCE_KIND_DSN;
	}
	buf_free(&json);
	buf_free(&v);
	if (c->r->nrcpts == 0) {
		c->r->kind = BOUNCE_KIND_NONE;
		return 0;
	}
	c->r->recogniser = "amazonses";
	return 1;
}

/* A header of the returned message (or of the report when it has none). */
static int
bounce_returned_header(struct bounce_ctx *c, const char *name, struct buf *out)
{
	const struct msg_part *p = c->returned;

	buf_reset(out);
	if (p == NULL || p->child == NULL || p->body_kind != MSG_BODY_MESSAGE)
		return 0;
	return msg_header_get(c->m, p->child, name, out) > 0;
}

static void
bounce_feedback_rcpt(struct bounce_ctx *c, const char *s, size_t n)
{
	struct bounce_rcpt *rc = bounce_rcpt_get(c->r, s, n);

	if (rc != NULL)
		rc->action = BOUNCE_FEEDBACK;
}

/* Microsoft's Junk Mail Reporting Program: the message, as reported. */
static int
bounce_jmrp(struct bounce_ctx *c)
{
	struct buf v = BUF_INIT(BOUNCE_FIELD_VALUE_MAX);

	if (bounce_memcasemem(c->subject, strlen(c->subject),
	    "complaint about message from") == NULL &&
	    bounce_memcasemem(c->from, strlen(c->from), "staff@hotmail.com") == NULL)
		return 0;
	if (bounce_returned_header(c, "X-HmXmrOriginalRecipient", &v))
		bounce_feedback_rcpt(c, buf_cstr(&v), v.len);
	buf_free(&v);
	if (c->returned == NULL)
		return 0;
	/* Without the header, bounce_parse() takes the returned To. */
	c->r->kind = BOUNCE_KIND_ARF;
	c->r->recogniser = "jmrp";
	c->r->feedback_type = xstrdup("abuse");
	return 1;
}

/* Apple Mail unsubscribes the reader by mail: an opt-out from From. */
static int
bounce_apple_unsubscribe(struct bounce_ctx *c)
{
	struct buf v = BUF_INIT(BOUNCE_FIELD_VALUE_MAX);
	int yes = msg_header_get(c->m, NULL, "X-Apple-Unsubscribe", &v) > 0 &&
	    bounce_memcasemem(buf_cstr(&v), v.len, "true") != NULL;

	buf_free(&v);
	if (!yes || c->self[1][0] == '\0')
		return 0;
	bounce_feedback_rcpt(c, c->self[1], strlen(c->self[1]));
	c->r->kind = BOUNCE_KIND_ARF;
	c->r->recogniser = "apple-unsubscribe";
	c->r->feedback_type = xstrdup("opt-out");
	return 1;
}

int
bounce_feedback(struct bounce_ctx *c)
{
	return bounce_ses(c) || bounce_jmrp(c) || bounce_apple_unsubscribe(c);
}
