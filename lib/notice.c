/*
 * notice - the service messages distribute sends, composed.
 *
 * A notice is built in three steps: the values it needs are collected as
 * "{name}" variables (each value from outside sanitised on the way in),
 * the template's subject and body are expanded with them, and the header
 * is written around the result. The moderation request adds a
 * multipart/mixed frame around the body and the held message.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include "addr.h"
#include "codec.h"
#include "date.h"
#include "listname.h"
#include "mimeword.h"
#include "msgedit.h"
#include "notice.h"

#define NOTICE_FOLD		78	/* header lines are folded before this */
#define NOTICE_WORD_BYTES	42	/* bytes in one encoded-word: 56 base64 */
#define NOTICE_VARS_MAX		20
#define NOTICE_RAW_MAX		(8 * NOTICE_VALUE_MAX)	/* bytes of a field read */

/* The texts. A later issue can make this table one per language. */
struct notice_template {
	const char	*subject;
	const char	*body;
	int		 from_robot;	/* From the robot, else the list's -request */
	const char	*auto_submitted;
};

#define NOTICE_REPLIED	"auto-replied"
#define NOTICE_GENERATED "auto-generated"

/* Indexed by enum notice_kind, then the moderation requests. */
enum { NOTICE_T_MODERATE = NOTICE_CONFIRM + 1, NOTICE_T_MODERATE_SPAM };

static const struct notice_template notice_templates[] = {
	[NOTICE_REJECT] = {
		"Message rejected: {subject}",
		"Your message to {listaddr} was not distributed.\n"
		"\n"
		"  Subject: {subject}\n"
		"  Message-ID: {msgid}\n"
		"\n"
		"Reason: {reason}\n"
		"\n"
		"Status: 5.7.1 (delivery not authorized, message refused)\n"
		"\n"
		"The list's owners can be reached at {request}.\n",
		0, NOTICE_REPLIED },
	[NOTICE_TOO_BIG] = {
		"Message too large: {subject}",
		"Your message to {listaddr} was not distributed: it is {size} bytes\n"
		"long, and this list takes messages of at most {max_size} bytes.\n"
		"\n"
		"  Subject: {subject}\n"
		"  Message-ID: {msgid}\n"
		"\n"
		"Status: 5.2.3 (message length exceeds administrative limit)\n"
		"\n"
		"The list's owners can be reached at {request}.\n",
		0, NOTICE_REPLIED },
	[NOTICE_NO_LIST] = {
		"No such list: {address}",
		"There is no list {address}: your message was not delivered.\n"
		"\n"
		"  Subject: {subject}\n"
		"  Message-ID: {msgid}\n"
		"\n"
		"Status: 5.1.1 (bad destination mailbox address)\n"
		"\n"
		"The administrators of this site can be reached at {listmaster}.\n",
		1, NOTICE_REPLIED },
	[NOTICE_HELD] = {
		"Message held for moderation: {subject}",
		"Your message to {listaddr} has been passed to the list's moderators,\n"
		"who will decide whether to distribute it.\n"
		"\n"
		"  Subject: {subject}\n"
		"  Message-ID: {msgid}\n"
		"\n"
		"Status: 2.3.0 (forwarded to the moderators)\n",
		0, NOTICE_REPLIED },
	[NOTICE_CONFIRM] = {
		"{command}",
		"A message was sent to {listaddr} from your address:\n"
		"\n"
		"  Subject: {subject}\n"
		"  Message-ID: {msgid}\n"
		"\n"
		"It will be distributed once you confirm that you sent it. To do so,\n"
		"reply to this message without changing its subject, or send a\n"
		"message to {robot} whose subject is this line:\n"
		"\n"
		"  {command}\n"
		"\n"
		"  <mailto:{robot}?subject={command_url}>\n"
		"\n"
		"If you did not send it, do nothing: it will be discarded.\n",
		1, NOTICE_REPLIED },
	[NOTICE_T_MODERATE] = {
		"Message for {list} to moderate: {subject}",
		"A message to {listaddr} is waiting for a moderator's decision.\n"
		"It is attached.\n"
		"\n"
		"  From: {author}\n"
		"  Subject: {subject}\n"
		"  Message-ID: {msgid}\n"
		"\n"
		"To distribute it, send a message to {robot} with this subject:\n"
		"\n"
		"  DISTRIBUTE {list} {key}\n"
		"  <mailto:{robot}?subject=DISTRIBUTE%20{list_url}%20{key}>\n"
		"\n"
		"To reject it, send a message to {robot} with this subject:\n"
		"\n"
		"  REJECT {list} {key}\n"
		"  <mailto:{robot}?subject=REJECT%20{list_url}%20{key}>\n",
		0, NOTICE_GENERATED },
	[NOTICE_T_MODERATE_SPAM] = {
		"Message for {list} to moderate (spam): {subject}",
		"A message to {listaddr} is waiting for a moderator's decision.\n"
		"It was tagged as spam, so it is not attached.\n"
		"\n"
		"  From: {author}\n"
		"  Subject: {subject}\n"
		"  Message-ID: {msgid}\n"
		"\n"
		"To distribute it all the same, send a message to {robot} with this\n"
		"subject:\n"
		"\n"
		"  DISTRIBUTE {list} {key}\n"
		"  <mailto:{robot}?subject=DISTRIBUTE%20{list_url}%20{key}>\n"
		"\n"
		"To reject it, send a message to {robot} with this subject:\n"
		"\n"
		"  REJECT {list} {key}\n"
		"  <mailto:{robot}?subject=REJECT%20{list_url}%20{key}>\n",
		0, NOTICE_GENERATED },
};

/* The display names of the senders. */
static const char notice_robot_phrase[] = "Mailing list service";
static const char notice_list_phrase[] = "{list} list";
/* What a MIME-unaware reader sees before the first part. */
static const char notice_preamble[] = "This is a message in MIME format.\n";

struct notice_var {
	const char	*name;
	struct buf	 value;
};

struct notice_vars {
	struct notice_var v[NOTICE_VARS_MAX];
	size_t		  n;
};

/* The addresses of the list and the domain. */
struct notice_addrs {
	struct buf	robot, list, request, editor, listmaster;
};

/* Values. */

static size_t
notice_utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return 2;
}

/*
 * Append in as one line of valid UTF-8 to out: line ends, tabs and other
 * control characters become blanks, runs of blanks one blank, and the
 * text is cut at max bytes (between characters) with "..." to say so.
 */
static int
notice_clean(const char *in, size_t len, size_t max, struct buf *out)
{
	struct buf u = BUF_INIT(max * 12 + 16);
	int blank = 0, rc = 0;
	size_t n = 0;

	/* Each byte may become the three of U+FFFD: 4 * max is plenty. */
	if (len > max * 4)
		len = max * 4;
	if (mimeword_to_utf8("utf-8", in, len, &u) != 0) {
		buf_free(&u);
		return -1;
	}
	for (size_t i = 0; i < u.len && rc == 0;) {
		unsigned char c = (unsigned char)u.data[i];
		size_t k = notice_utf8_len(c);

		if (k > u.len - i)
			k = u.len - i;
		if (c < 0x20 || c == 0x7f || c == ' ') {
			blank = n > 0;
			i++;
			continue;
		}
		if (n + blank + k > max) {
			rc = buf_puts(out, "...");
			break;
		}
		if (blank && buf_putc(out, ' ') < 0)
			rc = -1;
		else if (buf_append(out, u.data + i, k) < 0)
			rc = -1;
		n += blank + k;
		blank = 0;
		i += k;
	}
	buf_free(&u);
	return rc;
}

/* RFC 6068: everything but unreserved characters percent-encoded. */
static int
notice_url_encode(const char *s, struct buf *out)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL;

		if ((ok ? buf_putc(out, *p) : buf_printf(out, "%%%02X", *p)) < 0)
			return -1;
	}
	return 0;
}

static struct buf *
notice_var_add(struct notice_vars *vs, const char *name)
{
	struct notice_var *v;

	if (vs->n == NOTICE_VARS_MAX)
		return NULL;
	v = &vs->v[vs->n++];
	v->name = name;
	buf_init(&v->value, 4 * NOTICE_REASON_MAX);
	return &v->value;
}

static int
notice_var_set(struct notice_vars *vs, const char *name, const char *value)
{
	struct buf *b = notice_var_add(vs, name);

	return b == NULL || buf_puts(b, value) < 0 ? -1 : 0;
}

/* A value from outside, cleaned; "(none)" for NULL or empty. */
static int
notice_var_clean(struct notice_vars *vs, const char *name, const char *value,
    size_t len, size_t max)
{
	struct buf *b = notice_var_add(vs, name);

	if (b == NULL)
		return -1;
	if (value != NULL && notice_clean(value, len, max, b) < 0)
		return -1;
	return b->len == 0 ? buf_puts(b, "(none)") : 0;
}

static void
notice_vars_free(struct notice_vars *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		buf_free(&vs->v[i].value);
	vs->n = 0;
}

static const char *
notice_var_get(const struct notice_vars *vs, const char *name, size_t len)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == len && memcmp(vs->v[i].name, name, len) == 0)
			return buf_cstr(&vs->v[i].value);
	return NULL;
}

/* Expand "{name}" in tpl; an unknown name is a bug in the table: -1. */
static int
notice_expand(const char *tpl, const struct notice_vars *vs, struct buf *out)
{
	const char *p = tpl, *open, *close, *v;

	while ((open = strchr(p, '{')) != NULL) {
		if ((close = strchr(open, '}')) == NULL)
			return -1;
		if (buf_append(out, p, (size_t)(open - p)) < 0)
			return -1;
		if ((v = notice_var_get(vs, open + 1, (size_t)(close - open - 1))) == NULL)
			return -1;
		if (buf_puts(out, v) < 0)
			return -1;
		p = close + 1;
	}
	return buf_puts(out, p);
}

/* Addresses. */

/* robot_localpart is a site parameter: held to list-name characters. */
static int
notice_localpart_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > ADDR_LOCAL_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static void
notice_addrs_free(struct notice_addrs *a)
{
	buf_free(&a->robot);
	buf_free(&a->list);
	buf_free(&a->request);
	buf_free(&a->editor);
	buf_free(&a->listmaster);
}

static int
notice_addrs_make(const struct notice_ctx *ctx, struct notice_addrs *a, const char **why)
{
	const char *robot = ctx->robot_localpart ? ctx->robot_localpart : "sympa";
	const char *list = ctx->list, *d = ctx->domain, *w;

	memset(a, 0, sizeof *a);
	buf_init(&a->robot, 512);
	buf_init(&a->list, 512);
	buf_init(&a->request, 512);
	buf_init(&a->editor, 512);
	buf_init(&a->listmaster, 512);
	if (d == NULL || listname_check_domain(d, &w) < 0)
		return (*why = "notice: no valid domain"), -1;
	if (!notice_localpart_ok(robot))
		return (*why = "notice: robot_localpart is no plain local part"), -1;
	if (list != NULL && listname_check(list, &w) < 0)
		return (*why = "notice: no valid list name"), -1;
	if (buf_printf(&a->robot, "%s@%s", robot, d) < 0 ||
	    buf_printf(&a->listmaster, "listmaster@%s", d) < 0)
		return (*why = "notice: address too long"), -1;
	if (list != NULL && (buf_printf(&a->list, "%s@%s", list, d) < 0 ||
	    buf_printf(&a->request, "%s-request@%s", list, d) < 0 ||
	    buf_printf(&a->editor, "%s-editor@%s", list, d) < 0))
		return (*why = "notice: address too long"), -1;
	return 0;
}

/* The addr-spec of one mailbox from outside, for To. */
static int
notice_to(const char *to, struct buf *out, const char **why)
{
	struct addr a;
	const char *err;
	int rc;

	if (to == NULL || strlen(to) > ADDR_SPEC_MAX + 256)
		return (*why = "notice: no usable recipient"), -1;
	if (addr_parse_one(to, strlen(to), &a, &err) < 0)
		return (*why = "notice: the recipient is no address"), -1;
	rc = addr_format_spec(a.local, a.domain, out);
	addr_free(&a);
	if (rc < 0 || out->len > ADDR_SPEC_MAX || strpbrk(buf_cstr(out), "\r\n") != NULL)
		return (*why = "notice: the recipient is no address"), -1;
	return 0;
}

/* Header fields. */

/* A word (up to a blank) that can go into a header as it is. */
static int
notice_word_is_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] > 0x7e ||
		    (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			return 0;
	return 1;
}

/*
 * The first n bytes of s (ASCII words) folded before NOTICE_FOLD columns
 * where a blank allows it: the blank before a word becomes a line end
 * and a blank. *col is the column, kept up to date.
 */
static int
notice_put_folded(const char *s, size_t n, size_t *col, struct buf *out)
{
	const char *end = s + n;

	for (int first = 1; s < end; first = 0) {
		size_t w = strcspn(s, " ");

		if (w > (size_t)(end - s))
			w = (size_t)(end - s);
		if (!first) {
			if (*col + 1 + w > NOTICE_FOLD) {
				if (buf_puts(out, "\n ") < 0)
					return -1;
				*col = 1;
			} else {
				if (buf_putc(out, ' ') < 0)
					return -1;
				(*col)++;
			}
		}
		if (buf_append(out, s, w) < 0)
			return -1;
		*col += w;
		s += w;
		if (s < end && *s == ' ')
			s++;
	}
	return 0;
}

/*
 * "Subject: value\n": the leading words that are plain ASCII as they are,
 * the rest from the first other word on as "B" encoded-words (a word
 * that merely looks encoded is encoded too, so it reads as written).
 */
static int
notice_put_subject(const char *subject, struct buf *out)
{
	size_t col = 9, plain = 0, w;

	while (subject[plain] != '\0') {
		w = strcspn(subject + plain, " ");
		if (!notice_word_is_plain(subject + plain, w))
			break;
		plain += w;
		if (subject[plain] == ' ')
			plain++;
	}
	if (buf_puts(out, "Subject: ") < 0 ||
	    notice_put_folded(subject, plain, &col, out) < 0)
		return -1;
	if (subject[plain] != '\0') {
		size_t first = strlen(subject + plain);

		/* The first encoded-word: its bytes in base64 and the frame. */
		if (first > NOTICE_WORD_BYTES)
			first = NOTICE_WORD_BYTES;
		first = (first + 2) / 3 * 4 + 12;
		if (plain > 0 &&
		    buf_puts(out, col + 1 + first > NOTICE_FOLD ? "\n " : " ") < 0)
			return -1;
		if (mimeword_encode(subject + plain, strlen(subject + plain),
		    NOTICE_WORD_BYTES, "\n ", out) < 0)
			return -1;
	}
	return buf_putc(out, '\n');
}

static int
notice_put_from(const struct notice_ctx *ctx, const struct notice_addrs *a,
    int from_robot, struct buf *out)
{
	struct buf phrase = BUF_INIT(512);
	struct notice_vars vs = { .n = 0 };
	struct addr ad;
	int rc;

	if (from_robot)
		rc = buf_puts(&phrase, notice_robot_phrase);
	else
		rc = notice_var_set(&vs, "list", ctx->list) < 0 ? -1 :
		    notice_expand(notice_list_phrase, &vs, &phrase);
	ad.name = phrase.data;
	ad.spec = (char *)buf_cstr(from_robot ? &a->robot : &a->request);
	ad.local = ad.domain = NULL;
	if (rc == 0)
		rc = buf_puts(out, "From: ") < 0 || addr_format(&ad, out) < 0 ||
		    buf_putc(out, '\n') < 0 ? -1 : 0;
	notice_vars_free(&vs);
	buf_free(&phrase);
	return rc;
}

/* The default Message-ID left part: time.pid.counter.random. */
static int
notice_default_msgid(time_t now, struct buf *out)
{
	static unsigned int counter;
	uint64_t rnd;

	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd) {
		struct timespec ts;

		/* No entropy yet (early boot): the counter keeps ids unique. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30);
	}
	return buf_printf(out, "%lld.%ld.%u.%016llx", (long long)now, (long)getpid(),
	    ++counter, (unsigned long long)rnd);
}

/*
 * The original message's id for In-Reply-To, when it is a plain msg-id:
 * "<" left "@" right ">" of atext, dots and (on the right) brackets.
 */
static int
notice_orig_msgid(const struct msg *m, struct buf *out)
{
	struct buf v = BUF_INIT(NOTICE_VALUE_MAX);
	const char *at;
	int ok;

	buf_reset(out);
	if (m == NULL || msg_header_get(m, NULL, "Message-ID", &v) != 1) {
		buf_free(&v);
		return 0;
	}
	at = strchr(v.data, '@');
	ok = v.len >= 5 && v.data[0] == '<' && v.data[v.len - 1] == '>' &&
	    at != NULL && at > v.data + 1 && at < v.data + v.len - 2 &&
	    strchr(at + 1, '@') == NULL;
	for (size_t i = 1; ok && i + 1 < v.len; i++) {
		unsigned char c = (unsigned char)v.data[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~.@", c) != NULL ||
		    (v.data + i > at && (c == '[' || c == ']'));
	}
	if (ok)
		ok = buf_puts(out, v.data) == 0;
	buf_free(&v);
	return ok;
}

struct notice_head {
	const char	*to;		/* the formatted To */
	const char	*subject;	/* UTF-8 */
	const char	*in_reply_to;	/* NULL or "<id>" */
	const char	*ctype;		/* the Content-Type value */
	int		 eightbit;
	int		 from_robot;
	const char	*auto_submitted;
};

static int
notice_put_head(const struct notice_ctx *ctx, const struct notice_addrs *a,
    const struct notice_head *h, const char *idleft, struct buf *out)
{
	time_t now = ctx->now ? ctx->now : time(NULL);

	if (buf_puts(out, "Date: ") < 0 || date_format(now, 0, 1, out) < 0 ||
	    buf_putc(out, '\n') < 0 ||
	    notice_put_from(ctx, a, h->from_robot, out) < 0 ||
	    buf_printf(out, "To: %s\n", h->to) < 0 ||
	    notice_put_subject(h->subject, out) < 0 ||
	    buf_printf(out, "Message-ID: <%s@%s>\n", idleft, ctx->domain) < 0)
		return -1;
	if (h->in_reply_to != NULL &&
	    buf_printf(out, "In-Reply-To: %s\nReferences: %s\n", h->in_reply_to,
	    h->in_reply_to) < 0)
		return -1;
	return buf_printf(out, "Auto-Submitted: %s\n"
	    "X-Loop: %s\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: %s\n"
	    "Content-Transfer-Encoding: %s\n"
	    "\n", h->auto_submitted, buf_cstr(&a->robot), h->ctype,
	    h->eightbit ? "8bit" : "7bit");
}

static int
notice_has_8bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* The Message-ID left part: the caller's, or ours; held to safe bytes. */
static int
notice_make_idleft(const struct notice_ctx *ctx, time_t now, struct buf *out)
{
	int rc = ctx->msgid ? ctx->msgid(ctx->msgid_arg, out) :
	    notice_default_msgid(now, out);

	if (rc < 0 || out->len == 0)
		return -1;
	for (size_t i = 0; i < out->len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_+=", out->data[i]) || out->data[i] == '\0')
			return -1;
	return 0;
}

/*
 * The first field name of m, at most NOTICE_RAW_MAX bytes of it (a long
 * value is cut, not refused: only NOTICE_VALUE_MAX bytes are kept in the
 * end), unfolded and, when decode is set, RFC 2047-decoded, into out.
 */
static void
notice_orig_field(const struct msg *m, const char *name, int decode, struct buf *out)
{
	struct buf u = BUF_INIT(NOTICE_RAW_MAX);
	const struct msg_header *h;
	const char *raw;
	size_t len;

	if (m == NULL || (h = msg_header_find(m, NULL, name, NULL)) == NULL)
		return;
	raw = msg_header_raw(m, h, &len);
	if (len > NOTICE_RAW_MAX)
		len = NOTICE_RAW_MAX;
	for (size_t i = 0; i < len; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			(void)buf_putc(&u, raw[i]);
	if (!decode || mimeword_decode(u.data ? u.data : "", u.len, out) < 0)
		(void)buf_append(out, u.data ? u.data : "", u.len);
	buf_free(&u);
}

/* The values every notice may use. */
static int
notice_common_vars(const struct notice_ctx *ctx, const struct notice_addrs *a,
    const struct msg *orig, struct notice_vars *vs)
{
	struct buf v = BUF_INIT(4 * NOTICE_RAW_MAX);
	struct buf *lu;
	int rc = 0;

	if (notice_var_set(vs, "list", ctx->list ? ctx->list : "") < 0 ||
	    notice_var_set(vs, "listaddr", buf_cstr(&a->list)) < 0 ||
	    notice_var_set(vs, "request", buf_cstr(&a->request)) < 0 ||
	    notice_var_set(vs, "robot", buf_cstr(&a->robot)) < 0 ||
	    notice_var_set(vs, "listmaster", buf_cstr(&a->listmaster)) < 0 ||
	    (lu = notice_var_add(vs, "list_url")) == NULL ||
	    notice_url_encode(ctx->list ? ctx->list : "", lu) < 0)
		return -1;
	notice_orig_field(orig, "Subject", 1, &v);
	rc |= notice_var_clean(vs, "subject", v.data, v.len, NOTICE_VALUE_MAX);
	buf_reset(&v);
	notice_orig_field(orig, "Message-ID", 0, &v);
	rc |= notice_var_clean(vs, "msgid", v.data, v.len, NOTICE_VALUE_MAX);
	buf_reset(&v);
	notice_orig_field(orig, "From", 1, &v);
	rc |= notice_var_clean(vs, "author", v.data, v.len, NOTICE_VALUE_MAX);
	buf_free(&v);
	return rc;
}

/* The Subject of a notice: its template expanded, then cleaned again. */
static int
notice_subject(const struct notice_template *t, const struct notice_vars *vs,
    struct buf *out)
{
	struct buf s = BUF_INIT(8 * NOTICE_REASON_MAX);
	int rc;

	rc = notice_expand(t->subject, vs, &s) < 0 ? -1 :
	    notice_clean(s.data, s.len, 2 * NOTICE_VALUE_MAX, out);
	buf_free(&s);
	return rc;
}

/* Replies. */

static int
notice_reply_vars(enum notice_kind kind, const struct notice_reply *r,
    struct notice_vars *vs, const char **why)
{
	struct buf *b;

	switch (kind) {
	case NOTICE_REJECT:
		return notice_var_clean(vs, "reason", r->reason,
		    r->reason ? strlen(r->reason) : 0, NOTICE_REASON_MAX);
	case NOTICE_TOO_BIG:
		if ((b = notice_var_add(vs, "size")) == NULL ||
		    buf_printf(b, "%zu", r->size) < 0 ||
		    (b = notice_var_add(vs, "max_size")) == NULL ||
		    buf_printf(b, "%zu", r->max_size) < 0)
			return -1;
		return 0;
	case NOTICE_NO_LIST:
		return notice_var_clean(vs, "address", r->address,
		    r->address ? strlen(r->address) : 0, NOTICE_VALUE_MAX);
	case NOTICE_HELD:
		return 0;
	case NOTICE_CONFIRM:
		if (r->command == NULL || *r->command == '\0' ||
		    strlen(r->command) > NOTICE_VALUE_MAX ||
		    !mimeword_is_plain(r->command))
			return (*why = "notice: no usable command line"), -1;
		if (notice_var_set(vs, "command", r->command) < 0 ||
		    (b = notice_var_add(vs, "command_url")) == NULL ||
		    notice_url_encode(r->command, b) < 0)
			return -1;
		return 0;
	}
	return (*why = "notice: unknown kind"), -1;
}

int
notice_reply(const struct notice_ctx *ctx, enum notice_kind kind,
    const struct notice_reply *r, struct buf *out, const char **why)
{
	const char *dummy, *w = "notice: output too long";
	const struct notice_template *t;
	struct notice_addrs a;
	struct notice_vars vs = { .n = 0 };
	struct buf to = BUF_INIT(1024), subj = BUF_INIT(4096);
	struct buf irt = BUF_INIT(NOTICE_VALUE_MAX), id = BUF_INIT(256);
	struct buf body = BUF_INIT(64 * 1024);
	size_t start = out->len;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	if ((unsigned int)kind > NOTICE_CONFIRM) {
		*why = "notice: unknown kind";
		return -1;
	}
	t = &notice_templates[kind];
	if (notice_addrs_make(ctx, &a, &w) < 0 || notice_to(r->to, &to, &w) < 0)
		goto done;
	if (ctx->list == NULL && kind != NOTICE_NO_LIST) {
		w = "notice: this notice is about a list";
		goto done;
	}
	w = "notice: output too long";
	if (notice_common_vars(ctx, &a, r->orig, &vs) < 0 ||
	    notice_reply_vars(kind, r, &vs, &w) < 0 ||
	    notice_subject(t, &vs, &subj) < 0 ||
	    notice_expand(t->body, &vs, &body) < 0 ||
	    notice_make_idleft(ctx, ctx->now ? ctx->now : time(NULL), &id) < 0)
		goto done;
	{
		struct notice_head h = {
			.to = buf_cstr(&to), .subject = buf_cstr(&subj),
			.in_reply_to = notice_orig_msgid(r->orig, &irt) ? buf_cstr(&irt) : NULL,
			.ctype = "text/plain; charset=utf-8",
			.eightbit = notice_has_8bit(body.data, body.len),
			.from_robot = t->from_robot, .auto_submitted = t->auto_submitted,
		};

		if (notice_put_head(ctx, &a, &h, buf_cstr(&id), out) < 0 ||
		    buf_append(out, body.data, body.len) < 0)
			goto done;
	}
	rc = 0;
done:
	if (rc < 0) {
		buf_truncate(out, start);
		*why = w;
	}
	notice_vars_free(&vs);
	notice_addrs_free(&a);
	buf_free(&to);
	buf_free(&subj);
	buf_free(&irt);
	buf_free(&id);
	buf_free(&body);
	return rc;
}

/* The moderation request. */

static int
notice_key_ok(const char *key)
{
	if (key == NULL || *key == '\0' || strlen(key) > NOTICE_VALUE_MAX)
		return 0;
	for (; *key; key++)
		if (!((*key >= 'a' && *key <= 'z') || (*key >= 'A' && *key <= 'Z') ||
		    (*key >= '0' && *key <= '9') || *key == '.' || *key == '_' ||
		    *key == '-'))
			return 0;
	return 1;
}

/* A boundary that occurs nowhere in the held message. */
static int
notice_boundary(const char *idleft, const char *held, size_t len, struct buf *out)
{
	for (unsigned int n = 0; n < 1000; n++) {
		buf_reset(out);
		if (buf_printf(out, "=_herald_%s_%u", idleft, n) < 0)
			return -1;
		if (memmem(held, len, out->data, out->len) == NULL)
			return 0;
	}
	return -1;
}

/* The held message with CRLF turned into LF, as the rest of the notice. */
static int
notice_put_lf(const char *s, size_t len, struct buf *out)
{
	size_t from = 0;

	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] == '\r' && s[i + 1] == '\n') {
			if (buf_append(out, s + from, i - from) < 0)
				return -1;
			from = i + 1;
		}
	}
	if (buf_append(out, s + from, len - from) < 0)
		return -1;
	return len > 0 && s[len - 1] != '\n' ? buf_putc(out, '\n') : 0;
}

static int
notice_put_moderation_body(const struct notice_moderation *m, const char *body,
    size_t body_len, const char *boundary, struct buf *out)
{
	if (m->is_spam)
		return buf_append(out, body, body_len);
	if (buf_printf(out, "%s\n--%s\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: %s\n\n", notice_preamble, boundary,
	    notice_has_8bit(body, body_len) ? "8bit" : "7bit") < 0 ||
	    buf_append(out, body, body_len) < 0 ||
	    buf_printf(out, "\n--%s\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Disposition: inline\n"
	    "Content-Transfer-Encoding: %s\n\n", boundary,
	    notice_has_8bit(m->held, m->held_len) ? "8bit" : "7bit") < 0 ||
	    notice_put_lf(m->held, m->held_len, out) < 0)
		return -1;
	return buf_printf(out, "\n--%s--\n", boundary);
}

int
notice_moderate(const struct notice_ctx *ctx, const struct notice_moderation *m,
    struct buf *out, const char **why)
{
	const char *dummy, *w = "notice: output too long";
	const struct notice_template *t;
	struct notice_addrs a;
	struct notice_vars vs = { .n = 0 };
	struct buf to = BUF_INIT(1024), subj = BUF_INIT(4096), id = BUF_INIT(256);
	struct buf body = BUF_INIT(64 * 1024), bnd = BUF_INIT(512);
	struct buf ctype = BUF_INIT(1024);
	struct msg *own = NULL;
	const struct msg *held = m->held_msg;
	size_t start = out->len;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	t = &notice_templates[m->is_spam ? NOTICE_T_MODERATE_SPAM : NOTICE_T_MODERATE];
	if (notice_addrs_make(ctx, &a, &w) < 0)
		goto done;
	if (ctx->list == NULL || m->held == NULL || !notice_key_ok(m->key)) {
		w = "notice: a moderation request needs a list, a message and a key";
		goto done;
	}
	if (notice_to(m->to ? m->to : buf_cstr(&a.editor), &to, &w) < 0)
		goto done;
	if (held == NULL && (held = own = msg_parse(m->held, m->held_len, NULL, NULL)) == NULL) {
		w = "notice: the held message is over the parser's size limit";
		goto done;
	}
	w = "notice: output too long";
	if (notice_common_vars(ctx, &a, held, &vs) < 0 ||
	    notice_var_set(&vs, "key", m->key) < 0 ||
	    notice_subject(t, &vs, &subj) < 0 ||
	    notice_expand(t->body, &vs, &body) < 0 ||
	    notice_make_idleft(ctx, ctx->now ? ctx->now : time(NULL), &id) < 0)
		goto done;
	if (m->is_spam)
		rc = buf_puts(&ctype, "text/plain; charset=utf-8");
	else
		rc = notice_boundary(buf_cstr(&id), m->held, m->held_len, &bnd) < 0 ? -1 :
		    buf_printf(&ctype, "multipart/mixed; boundary=\"%s\"", buf_cstr(&bnd));
	if (rc < 0)
		goto done;
	rc = -1;
	{
		struct notice_head h = {
			.to = buf_cstr(&to), .subject = buf_cstr(&subj),
			.ctype = buf_cstr(&ctype),
			.eightbit = notice_has_8bit(body.data, body.len) ||
			    (!m->is_spam && notice_has_8bit(m->held, m->held_len)),
			.from_robot = t->from_robot, .auto_submitted = t->auto_submitted,
		};

		if (notice_put_head(ctx, &a, &h, buf_cstr(&id), out) < 0 ||
		    notice_put_moderation_body(m, body.data, body.len, buf_cstr(&bnd), out) < 0)
			goto done;
	}
	rc = 0;
done:
	if (rc < 0) {
		buf_truncate(out, start);
		*why = w;
	}
	msg_free(own);
	notice_vars_free(&vs);
	notice_addrs_free(&a);
	buf_free(&to);
	buf_free(&subj);
	buf_free(&id);
	buf_free(&body);
	buf_free(&bnd);
	buf_free(&ctype);
	return rc;
}

/* The forward. */

int
notice_forward(const char *orig, size_t len, const char *receiving,
    const char *sender, struct buf *out, const char **why)
{
	const char *dummy;
	struct msgedit *e;
	size_t start = out->len;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	if (receiving == NULL || !addr_is_valid_email(receiving) ||
	    sender == NULL || !addr_is_valid_email(sender)) {
		*why = "notice: forward needs a receiving and a sender address";
		return -1;
	}
	if ((e = msgedit_new(orig, len, NULL, NULL)) == NULL) {
		*why = "notice: the message is over the parser's size limit";
		return -1;
	}
	msgedit_delete(e, "Resent-Sender");
	if (msgedit_replace(e, "Sender", sender, NULL) < 0 ||
	    msgedit_prepend(e, "X-Loop", receiving, NULL) < 0)
		*why = "notice: an address msgedit refuses";
	else if (msgedit_output(e, out) < 0) {
		buf_truncate(out, start);
		*why = "notice: output too long";
	} else
		rc = 0;
	msgedit_free(e);
	return rc;
}

/* A message whose texts the caller wrote (the command robot's). */

int
notice_text(const struct notice_ctx *ctx, const struct notice_message *m,
    struct buf *out, const char **why)
{
	const char *dummy, *w = "notice: output too long";
	struct notice_addrs a;
	struct buf to = BUF_INIT(1024), subj = BUF_INIT(4096),
	    irt = BUF_INIT(NOTICE_VALUE_MAX), id = BUF_INIT(256);
	size_t start = out->len, blen;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	if (m->subject == NULL || m->body == NULL) {
		*why = "notice: no text";
		return -1;
	}
	blen = strlen(m->body);
	if (notice_addrs_make(ctx, &a, &w) < 0 || notice_to(m->to, &to, &w) < 0)
		goto done;
	w = "notice: output too long";
	if (notice_clean(m->subject, strlen(m->subject), 2 * NOTICE_VALUE_MAX,
	    &subj) < 0 ||
	    notice_make_idleft(ctx, ctx->now ? ctx->now : time(NULL), &id) < 0)
		goto done;
	{
		struct notice_head h = {
			.to = buf_cstr(&to), .subject = buf_cstr(&subj),
			.in_reply_to = notice_orig_msgid(m->orig, &irt) ?
			    buf_cstr(&irt) : NULL,
			.ctype = "text/plain; charset=utf-8",
			.eightbit = notice_has_8bit(m->body, blen),
			.from_robot = m->from_robot || ctx->list == NULL,
			.auto_submitted = m->auto_replied ? NOTICE_REPLIED :
			    NOTICE_GENERATED,
		};

		if (notice_put_head(ctx, &a, &h, buf_cstr(&id), out) < 0 ||
		    notice_put_lf(m->body, blen, out) < 0)
			goto done;
	}
	rc = 0;
done:
	if (rc < 0) {
		buf_truncate(out, start);
		*why = w;
	}
	notice_addrs_free(&a);
	buf_free(&to);
	buf_free(&subj);
	buf_free(&irt);
	buf_free(&id);
	return rc;
}
