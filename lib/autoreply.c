/*
 * autoreply - is a message from an automaton, or a loop?
 *
 * Each test looks at one thing (the envelope sender, the author, one kind
 * of header field of the top-level part) and sets its bit. Field values
 * are unfolded into a bounded buffer, so a hostile field costs at most
 * AUTOREPLY_VALUE_MAX bytes; a cut value simply fails equality tests.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "addr.h"
#include "autoreply.h"
#include "mem.h"

/* Enough for any sane pattern; a catastrophic one stops early. */
#define AUTOREPLY_MATCH_LIMIT	100000
#define AUTOREPLY_DEPTH_LIMIT	1000

struct autoreply_regex {
	pcre2_code		*re;
	pcre2_match_context	*mc;
};

/* Texts of the bits, in bit order. */
static const char *const autoreply_reasons[] = {
	"null envelope sender",
	"sender is MAILER-DAEMON or postmaster",
	"sender matches loop_prevention_regex",
	"sender is a list or robot address (-owner, -request, -bounce, owner-)",
	"Auto-Submitted is not \"no\"",
	"Precedence is bulk, junk or list",
	"X-Loop holds one of our addresses",
	"List-Id is this list's own",
	"Content-Identifier: Auto-replied",
	"X400-Content-Identifier: Auto Reply to",
	"X-Autoreply or X-Autorespond present",
	"a delivery report (multipart/report)",
};

struct autoreply_regex *
autoreply_regex_new(const char *pattern, struct buf *err)
{
	struct autoreply_regex *r;
	struct buf src = BUF_INIT(AUTOREPLY_REGEX_MAX + 32);
	PCRE2_SIZE off;
	int code;

	if (pattern == NULL || *pattern == '\0')
		return NULL;
	/* The group keeps an alternation whole, as Sympa's ^($re)(@|$). */
	if (strlen(pattern) > AUTOREPLY_REGEX_MAX ||
	    buf_printf(&src, "^(?:%s)(?:@|$)", pattern) < 0) {
		buf_printf(err, "loop_prevention_regex: longer than %d bytes",
		    AUTOREPLY_REGEX_MAX);
		buf_free(&src);
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->re = pcre2_compile((PCRE2_SPTR)buf_cstr(&src), src.len,
	    PCRE2_UTF | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	buf_free(&src);
	if (r->re == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof msg);
		buf_printf(err, "loop_prevention_regex: %s", (char *)msg);
		free(r);
		return NULL;
	}
	if ((r->mc = pcre2_match_context_create(NULL)) == NULL) {
		buf_printf(err, "loop_prevention_regex: out of memory");
		autoreply_regex_free(r);
		return NULL;
	}
	pcre2_set_match_limit(r->mc, AUTOREPLY_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mc, AUTOREPLY_DEPTH_LIMIT);
	return r;
}

void
autoreply_regex_free(struct autoreply_regex *r)
{
	if (r == NULL)
		return;
	pcre2_match_context_free(r->mc);
	pcre2_code_free(r->re);
	free(r);
}

int
autoreply_regex_match(const struct autoreply_regex *r, const char *addr, size_t len)
{
	pcre2_match_data *md;
	int rc;

	if (r == NULL || addr == NULL || len > AUTOREPLY_VALUE_MAX)
		return 0;
	if ((md = pcre2_match_data_create_from_pattern(r->re, NULL)) == NULL)
		return 0;
	rc = pcre2_match(r->re, (PCRE2_SPTR)addr, len, 0, 0, md, r->mc);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* Senders. */

/*
 * The local part of addr without its "+extension" (Mailman's and our
 * VERP addresses carry one), lower-cased into out.
 */
static void
autoreply_base_local(const char *addr, struct buf *out)
{
	const char *at = strrchr(addr, '@');
	size_t n = at != NULL ? (size_t)(at - addr) : strlen(addr);
	const char *plus = memchr(addr, '+', n);

	if (plus != NULL)
		n = (size_t)(plus - addr);
	buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)addr[i];

		if (buf_putc(out, c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) < 0)
			break;
	}
}

static int
autoreply_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static unsigned int
autoreply_sender_bits(const struct autoreply_input *in, const char *addr)
{
	static const char *const roles[] = { "-owner", "-request", "-bounce", "-bounces" };
	const char *bounce = in->bounce_localpart && *in->bounce_localpart ?
	    in->bounce_localpart : "bounce";
	struct buf b = BUF_INIT(AUTOREPLY_VALUE_MAX);
	unsigned int bits = 0;
	const char *local;

	if (addr == NULL || *addr == '\0')
		return 0;
	autoreply_base_local(addr, &b);
	local = buf_cstr(&b);
	if (strcmp(local, "mailer-daemon") == 0 || strcmp(local, "postmaster") == 0)
		bits |= AUTOREPLY_DAEMON;
	if (autoreply_regex_match(in->loop_regex, addr, strlen(addr)))
		bits |= AUTOREPLY_REGEX;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (autoreply_ends_with(local, roles[i]))
			bits |= AUTOREPLY_ROLE;
	if (strncmp(local, "owner-", 6) == 0 || strcasecmp(local, bounce) == 0)
		bits |= AUTOREPLY_ROLE;
	buf_free(&b);
	return bits;
}

/* The addr-spec of the first mailbox of From into out; 0 if none. */
static int
autoreply_from(const struct msg *m, struct buf *out)
{
	struct buf v = BUF_INIT(AUTOREPLY_VALUE_MAX);
	struct addr a;
	const char *err;
	int ok = 0;

	if (msg_header_get(m, NULL, "From", &v) == 1 &&
	    addr_parse_one(v.data, v.len, &a, &err) == 0) {
		ok = buf_puts(out, a.spec) == 0;
		addr_free(&a);
	}
	buf_free(&v);
	return ok;
}

/* Header fields. */

/* The first word of a value: up to a blank, ';' or '(' (a comment). */
static size_t
autoreply_word(const char *v, size_t len)
{
	size_t n = 0;

	while (n < len && v[n] != ' ' && v[n] != '\t' && v[n] != ';' && v[n] != '(')
		n++;
	return n;
}

static int
autoreply_word_is(const char *v, size_t len, const char *word)
{
	size_t n = autoreply_word(v, len);

	return n == strlen(word) && strncasecmp(v, word, n) == 0;
}

static int
autoreply_prefix_is(const char *v, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp(v, prefix, n) == 0;
}

/* An X-Loop value ("list@dom", "<list@dom>") equal to one of ours. */
static int
autoreply_is_ours(const struct autoreply_input *in, const char *v, size_t len)
{
	if (len >= 2 && v[0] == '<' && v[len - 1] == '>') {
		v++;
		len -= 2;
	}
	for (size_t i = 0; i < in->n_our_addresses; i++) {
		const char *a = in->our_addresses[i];

		if (a != NULL && strlen(a) == len && len > 0 &&
		    strncasecmp(a, v, len) == 0)
			return 1;
	}
	return 0;
}

/* The id of a List-Id value: inside its last <...>, else the whole value. */
static int
autoreply_is_list_id(const char *want, const char *v, size_t len)
{
	size_t wlen;

	if (want == NULL)
		return 0;
	if (*want == '<')
		want++;
	wlen = strcspn(want, ">");
	for (size_t i = len; i > 0; i--) {
		if (v[i - 1] == '<') {
			const char *close = memchr(v + i, '>', len - i);

			if (close == NULL)
				break;
			v += i;
			len = (size_t)(close - v);
			break;
		}
	}
	return wlen > 0 && len == wlen && strncasecmp(v, want, len) == 0;
}

static unsigned int
autoreply_field_bits(const struct autoreply_input *in, const struct msg_header *h,
    const char *v, size_t len)
{
	const struct msg *m = in->msg;

	if (msg_header_is(m, h, "Auto-Submitted"))
		return autoreply_word(v, len) > 0 && !autoreply_word_is(v, len, "no") ?
		    AUTOREPLY_AUTO_SUBMITTED : 0;
	if (msg_header_is(m, h, "Precedence"))
		return autoreply_word_is(v, len, "bulk") ||
		    autoreply_word_is(v, len, "junk") ||
		    autoreply_word_is(v, len, "list") ? AUTOREPLY_PRECEDENCE : 0;
	if (msg_header_is(m, h, "X-Loop"))
		return autoreply_is_ours(in, v, len) ? AUTOREPLY_X_LOOP : 0;
	if (msg_header_is(m, h, "List-Id"))
		return autoreply_is_list_id(in->list_id, v, len) ? AUTOREPLY_LIST_ID : 0;
	if (msg_header_is(m, h, "Content-Identifier"))
		return autoreply_prefix_is(v, len, "auto-replied") ?
		    AUTOREPLY_CONTENT_ID : 0;
	if (msg_header_is(m, h, "X400-Content-Identifier"))
		return autoreply_prefix_is(v, len, "auto reply to") ? AUTOREPLY_X400 : 0;
	if (msg_header_is(m, h, "X-Autoreply") || msg_header_is(m, h, "X-Autorespond"))
		return AUTOREPLY_X_AUTOREPLY;
	return 0;
}

static unsigned int
autoreply_header_bits(const struct autoreply_input *in)
{
	const struct msg_part *root = in->msg->root;
	struct buf v = BUF_INIT(AUTOREPLY_VALUE_MAX);
	unsigned int bits = 0;

	for (size_t i = 0; i < root->nheaders; i++) {
		buf_reset(&v);
		/* A value cut at the limit is still looked at: prefixes hold. */
		(void)msg_header_unfold(in->msg, &root->headers[i], &v);
		bits |= autoreply_field_bits(in, &root->headers[i], buf_cstr(&v), v.len);
	}
	buf_free(&v);
	return bits;
}

unsigned int
autoreply_check(const struct autoreply_input *in)
{
	struct buf from = BUF_INIT(AUTOREPLY_VALUE_MAX);
	const char *env = in->envelope_sender;
	unsigned int bits = 0;

	if (env != NULL && (*env == '\0' || strcmp(env, "<>") == 0))
		bits |= AUTOREPLY_NULL_SENDER;
	else
		bits |= autoreply_sender_bits(in, env);
	if (in->sender != NULL)
		bits |= autoreply_sender_bits(in, in->sender);
	else if (autoreply_from(in->msg, &from))
		bits |= autoreply_sender_bits(in, buf_cstr(&from));
	buf_free(&from);
	bits |= autoreply_header_bits(in);
	if (msg_part_is(in->msg->root, "multipart", "report"))
		bits |= AUTOREPLY_REPORT;
	return bits;
}

const char *
autoreply_reason(unsigned int bits)
{
	for (size_t i = 0; i < sizeof autoreply_reasons / sizeof autoreply_reasons[0]; i++)
		if (bits & (1u << i))
			return autoreply_reasons[i];
	return "";
}

int
autoreply_drop_post(const struct autoreply_input *in, int reject_automates,
    const char **why)
{
	unsigned int mask = AUTOREPLY_LOOP | (reject_automates ? AUTOREPLY_AUTOMATON : 0);
	unsigned int bits = autoreply_check(in) & mask;

	if (why != NULL)
		*why = autoreply_reason(bits);
	return bits != 0;
}

int
autoreply_may_reply(const struct autoreply_input *in, int is_spam, const char **why)
{
	unsigned int bits = autoreply_check(in);

	if (why != NULL)
		*why = is_spam && bits == 0 ? "spam" : autoreply_reason(bits);
	return bits == 0 && !is_spam;
}
