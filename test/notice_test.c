/*
 * notice_test - the service messages: each one against a golden file
 * (test/data/notice/, Date and Message-ID fixed through notice_ctx;
 * HERALD_UPDATE_GOLDEN=1 rewrites them), each one parsed again by
 * msg_parse with no defect and the fields every notice must have,
 * hostile values that must not reach the header, the moderation
 * request's structure, the forward, and refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "notice.h"
#include "testutil.h"

#define DATA	"test/data/notice/"
#define NOW	1763805600	/* Sat, 22 Nov 2025 10:00:00 +0000 */

static int
fixed_msgid(void *arg, struct buf *out)
{
	int *n = arg;

	return buf_printf(out, "test.%d", ++*n);
}

static struct notice_ctx
ctx_for(const char *list, int *counter)
{
	struct notice_ctx c = {
		.domain = "example.org", .robot_localpart = "sympa", .list = list,
		.now = NOW, .msgid = fixed_msgid, .msgid_arg = counter,
	};

	*counter = 0;
	return c;
}

static void
read_data(const char *name, struct buf *b)
{
	char path[256];

	snprintf(path, sizeof path, DATA "%s", name);
	if (test_read_file(path, b) < 0)
		fail_msg("%s: cannot read", path);
}

static void
golden(const char *name, const struct buf *got)
{
	struct buf want = BUF_INIT(BUF_UNLIMITED);
	const char *update = getenv("HERALD_UPDATE_GOLDEN");
	char path[256];

	snprintf(path, sizeof path, DATA "%s", name);
	if (update != NULL && *update) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(fwrite(buf_cstr(got), 1, got->len, f), got->len);
		assert_int_equal(fclose(f), 0);
		return;
	}
	if (test_read_file(path, &want) < 0)
		fail_msg("%s: cannot read (HERALD_UPDATE_GOLDEN=1 writes it)", path);
	if (want.len != got->len || memcmp(want.data, got->data, got->len) != 0) {
		fprintf(stderr, "--- got:\n%s--- end\n", buf_cstr(got));
		fail_msg("%s: the output differs", path);
	}
	buf_free(&want);
}

/* Lines end in LF only, and none is longer than RFC 5322 allows. */
static void
check_lines(const struct buf *b)
{
	size_t col = 0;

	for (size_t i = 0; i < b->len; i++) {
		assert_true(b->data[i] != '\r' && b->data[i] != '\0');
		if (b->data[i] == '\n')
			col = 0;
		else if (++col > 998)
			fail_msg("a line longer than 998 bytes");
	}
	assert_true(b->len > 0 && b->data[b->len - 1] == '\n');
}

/* Parse a notice again: no defect, every field a notice must have. */
static struct msg *
reparse(const struct buf *b, const char *auto_submitted)
{
	static const char *const must[] = {
		"Date", "Message-ID", "From", "To", "Subject", "MIME-Version",
		"Content-Type", "Auto-Submitted", "X-Loop",
	};
	struct buf v = BUF_INIT(4096);
	struct msg *m = msg_parse(b->data, b->len, NULL, NULL);

	assert_non_null(m);
	if (m->defects != 0) {
		msg_defects_format(m->defects, &v);
		fail_msg("defects: %s", buf_cstr(&v));
	}
	check_lines(b);
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
		if (msg_header_count(m, NULL, must[i]) != 1)
			fail_msg("%s: not exactly once", must[i]);
	assert_int_equal(msg_header_get(m, NULL, "Auto-Submitted", &v), 1);
	assert_string_equal(buf_cstr(&v), auto_submitted);
	buf_reset(&v);
	assert_int_equal(msg_header_get(m, NULL, "X-Loop", &v), 1);
	assert_string_equal(buf_cstr(&v), "sympa@example.org");
	buf_free(&v);
	return m;
}

static void
assert_header(const struct msg *m, const char *name, const char *want)
{
	struct buf v = BUF_INIT(4096);

	if (msg_header_get_decoded(m, NULL, name, &v) != 1)
		fail_msg("no %s", name);
	if (strcmp(buf_cstr(&v), want) != 0)
		fail_msg("%s: '%s', want '%s'", name, buf_cstr(&v), want);
	buf_free(&v);
}

static const struct {
	enum notice_kind kind;
	const char	*golden;
	const char	*subject;
	const char	*from;
} replies[] = {
	{ NOTICE_REJECT, "reject.golden", "Message rejected: R\xc3\xa9union de lundi",
	    "staff list <staff-request@example.org>" },
	{ NOTICE_TOO_BIG, "too-big.golden", "Message too large: R\xc3\xa9union de lundi",
	    "staff list <staff-request@example.org>" },
	{ NOTICE_NO_LIST, "no-list.golden", "No such list: stafff@example.org",
	    "Mailing list service <sympa@example.org>" },
	{ NOTICE_HELD, "held.golden", "Message held for moderation: R\xc3\xa9union de lundi",
	    "staff list <staff-request@example.org>" },
	{ NOTICE_CONFIRM, "confirm.golden", "CONFIRM 0123456789abcdef",
	    "Mailing list service <sympa@example.org>" },
};

static void
test_replies(void **state)
{
	struct buf raw = BUF_INIT(BUF_UNLIMITED);
	struct msg *orig;

	(void)state;
	read_data("post.eml", &raw);
	orig = msg_parse(raw.data, raw.len, NULL, NULL);
	assert_non_null(orig);
	for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		struct notice_reply r = {
			.to = "Ann <ann@example.net>", .orig = orig,
			.reason = "You are not a member of this list, and only members may post.",
			.size = 7340032, .max_size = 5242880,
			.address = "stafff@example.org", .command = "CONFIRM 0123456789abcdef",
		};
		struct buf out = BUF_INIT(BUF_UNLIMITED);
		const char *why = NULL;
		int counter;
		struct notice_ctx c = ctx_for(replies[i].kind == NOTICE_NO_LIST ? NULL : "staff",
		    &counter);
		struct msg *m;

		if (notice_reply(&c, replies[i].kind, &r, &out, &why) != 0)
			fail_msg("%s: %s", replies[i].golden, why);
		golden(replies[i].golden, &out);
		m = reparse(&out, "auto-replied");
		assert_header(m, "Subject", replies[i].subject);
		assert_header(m, "From", replies[i].from);
		assert_header(m, "To", "ann@example.net");
		assert_header(m, "Message-ID", "<test.1@example.org>");
		assert_header(m, "In-Reply-To", "<20251122.ann.1@example.net>");
		assert_header(m, "Date", "Sat, 22 Nov 2025 10:00:00 +0000");
		assert_true(msg_part_is(m->root, "text", "plain"));
		assert_string_equal(msg_part_charset(m->root), "utf-8");
		msg_free(m);
		buf_free(&out);
	}
	msg_free(orig);
	buf_free(&raw);
}

static void
test_moderate(void **state)
{
	struct buf raw = BUF_INIT(BUF_UNLIMITED), out = BUF_INIT(BUF_UNLIMITED);
	struct buf v = BUF_INIT(BUF_UNLIMITED);
	struct notice_moderation mod = { .key = "5f3a9c0e71b2d4a6", .is_spam = 0 };
	const struct msg_part *att;
	const char *why = NULL, *body;
	size_t len;
	int counter;
	struct notice_ctx c = ctx_for("staff", &counter);
	struct msg *m;

	(void)state;
	read_data("post.eml", &raw);
	mod.held = raw.data;
	mod.held_len = raw.len;
	if (notice_moderate(&c, &mod, &out, &why) != 0)
		fail_msg("%s", why);
	golden("moderate.golden", &out);
	m = reparse(&out, "auto-generated");
	assert_header(m, "To", "staff-editor@example.org");
	assert_header(m, "Subject", "Message for staff to moderate: R\xc3\xa9union de lundi");
	assert_true(msg_part_is(m->root, "multipart", "mixed"));
	assert_int_equal(m->root->nchildren, 2);
	assert_true(msg_part_is(m->root->child, "text", "plain"));
	att = m->root->child->next;
	assert_true(msg_part_is(att, "message", "rfc822"));
	/* The held message travels whole. */
	body = msg_part_body(m, att, &len);
	assert_int_equal(len, raw.len);
	assert_memory_equal(body, raw.data, len);
	assert_int_equal(msg_header_get_decoded(m, att->child, "Subject", &v), 1);
	assert_string_equal(buf_cstr(&v), "R\xc3\xa9union de lundi");
	/* The commands, and mailto: links whose subject is the command. */
	assert_non_null(strstr(out.data, "\n  DISTRIBUTE staff 5f3a9c0e71b2d4a6\n"));
	assert_non_null(strstr(out.data, "\n  REJECT staff 5f3a9c0e71b2d4a6\n"));
	assert_non_null(strstr(out.data,
	    "<mailto:sympa@example.org?subject=DISTRIBUTE%20staff%205f3a9c0e71b2d4a6>"));
	assert_non_null(strstr(out.data,
	    "<mailto:sympa@example.org?subject=REJECT%20staff%205f3a9c0e71b2d4a6>"));
	msg_free(m);

	/* Spam: said so, not attached. */
	buf_reset(&out);
	mod.is_spam = 1;
	mod.to = "Moderators <mods@example.org>";
	c = ctx_for("staff", &counter);
	if (notice_moderate(&c, &mod, &out, &why) != 0)
		fail_msg("%s", why);
	golden("moderate-spam.golden", &out);
	m = reparse(&out, "auto-generated");
	assert_header(m, "To", "mods@example.org");
	assert_true(msg_part_is(m->root, "text", "plain"));
	assert_int_equal(m->nparts, 1);
	assert_non_null(strstr(out.data, "tagged as spam"));
	assert_null(strstr(out.data, "la r\xc3\xa9union de lundi est"));
	msg_free(m);
	buf_free(&out);
	buf_free(&raw);
	buf_free(&v);
}

/* A CRLF message is attached with LF ends; a boundary never collides. */
static void
test_moderate_crlf_and_boundary(void **state)
{
	static const char held[] =
	    "From: a@example.net\r\nSubject: x\r\n\r\n--=_herald_test.1_0\r\nbody\r\n";
	static const char held_lf[] =
	    "From: a@example.net\nSubject: x\n\n--=_herald_test.1_0\nbody\n";
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	struct notice_moderation mod = { .held = held, .held_len = sizeof held - 1,
	    .key = "k1" };
	const char *why = NULL, *body;
	size_t len;
	int counter;
	struct notice_ctx c = ctx_for("staff", &counter);
	struct msg *m;

	(void)state;
	assert_int_equal(notice_moderate(&c, &mod, &out, &why), 0);
	m = reparse(&out, "auto-generated");
	assert_non_null(strstr(out.data, "boundary=\"=_herald_test.1_1\""));
	assert_int_equal(m->root->nchildren, 2);
	body = msg_part_body(m, m->root->child->next, &len);
	assert_int_equal(len, sizeof held_lf - 1);
	assert_memory_equal(body, held_lf, len);
	msg_free(m);
	buf_free(&out);
}

/* Values from outside never make a field, a line or a long header. */
static void
test_hostile_values(void **state)
{
	struct buf raw = BUF_INIT(BUF_UNLIMITED), out = BUF_INIT(BUF_UNLIMITED);
	struct buf v = BUF_INIT(BUF_UNLIMITED);
	struct msg *orig, *m;
	const char *why = NULL;
	int counter;
	struct notice_ctx c = ctx_for("staff", &counter);

	(void)state;
	buf_puts(&raw, "From: \"Eve\r\nBcc: all@x\" <eve@example.net>\n"
	    "Subject: =?utf-8?q?hi=0D=0AX-Injected:_1=0Aok?=\n"
	    "Message-ID: <a\"b>\n\nbody\n");
	orig = msg_parse(raw.data, raw.len, NULL, NULL);
	assert_non_null(orig);
	struct notice_reply r = { .to = "eve@example.net", .orig = orig,
	    .reason = "bad\r\nBcc: victim@example.com\n\xff\xfe end" };
	assert_int_equal(notice_reply(&c, NOTICE_REJECT, &r, &out, &why), 0);
	m = reparse(&out, "auto-replied");
	assert_int_equal(msg_header_count(m, NULL, "X-Injected"), 0);
	assert_int_equal(msg_header_count(m, NULL, "Bcc"), 0);
	assert_int_equal(msg_header_count(m, NULL, "In-Reply-To"), 0);
	assert_header(m, "Subject", "Message rejected: hi X-Injected: 1 ok");
	assert_non_null(strstr(out.data, "Reason: bad Bcc: victim@example.com \xef\xbf\xbd\xef\xbf\xbd end\n"));
	msg_free(m);
	msg_free(orig);

	/* A very long subject is cut, folded, and each line stays short. */
	buf_reset(&raw);
	buf_reset(&out);
	buf_puts(&raw, "Subject: ");
	for (int i = 0; i < 3000; i++)
		buf_puts(&raw, i % 7 ? "word " : "\xc3\xa9t\xc3\xa9 ");
	buf_puts(&raw, "\n\nbody\n");
	orig = msg_parse(raw.data, raw.len, NULL, NULL);
	r.orig = orig;
	r.reason = NULL;
	c = ctx_for("staff", &counter);
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), 0);
	m = reparse(&out, "auto-replied");
	assert_int_equal(msg_header_get_decoded(m, NULL, "Subject", &v), 1);
	assert_true(v.len <= NOTICE_VALUE_MAX + 64);
	assert_non_null(strstr(buf_cstr(&v), "..."));
	for (const char *p = out.data; p < out.data + out.len;) {
		const char *nl = strchr(p, '\n');

		if (nl == p)
			break;		/* the end of the header */
		assert_true(nl - p <= 78);
		p = nl + 1;
	}
	msg_free(m);
	msg_free(orig);
	buf_free(&raw);
	buf_free(&out);
	buf_free(&v);
}

/* An ASCII subject that looks encoded is encoded, so it reads as written. */
static void
test_subject_looks_encoded(void **state)
{
	static const char raw[] = "Subject: =?utf-8?b?=?= x\n\nbody\n";
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	struct msg *orig = msg_parse(raw, sizeof raw - 1, NULL, NULL), *m;
	struct notice_reply r = { .to = "a@example.net", .orig = orig };
	int counter;
	struct notice_ctx c = ctx_for("staff", &counter);

	(void)state;
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, NULL), 0);
	m = reparse(&out, "auto-replied");
	assert_non_null(strstr(out.data, "Subject: =?utf-8?b?"));
	msg_free(m);
	msg_free(orig);
	buf_free(&out);
}

static void
test_no_orig(void **state)
{
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	struct notice_reply r = { .to = "a@example.net" };
	int counter;
	struct notice_ctx c = ctx_for("staff", &counter);
	struct msg *m;

	(void)state;
	assert_int_equal(notice_reply(&c, NOTICE_REJECT, &r, &out, NULL), 0);
	m = reparse(&out, "auto-replied");
	assert_header(m, "Subject", "Message rejected: (none)");
	assert_int_equal(msg_header_count(m, NULL, "In-Reply-To"), 0);
	msg_free(m);
	buf_free(&out);
}

/* The default Message-ID: unique, time.pid.counter.random@domain. */
static void
test_default_msgid(void **state)
{
	struct notice_ctx c = { .domain = "example.org", .list = "staff" };
	struct notice_reply r = { .to = "a@example.net" };
	struct buf a = BUF_INIT(BUF_UNLIMITED), b = BUF_INIT(BUF_UNLIMITED);
	struct buf ida = BUF_INIT(1024), idb = BUF_INIT(1024);
	struct msg *ma, *mb;

	(void)state;
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &a, NULL), 0);
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &b, NULL), 0);
	ma = reparse(&a, "auto-replied");
	mb = reparse(&b, "auto-replied");
	assert_int_equal(msg_header_get(ma, NULL, "Message-ID", &ida), 1);
	assert_int_equal(msg_header_get(mb, NULL, "Message-ID", &idb), 1);
	assert_string_not_equal(buf_cstr(&ida), buf_cstr(&idb));
	assert_true(ida.data[0] == '<');
	assert_non_null(strstr(buf_cstr(&ida), "@example.org>"));
	msg_free(ma);
	msg_free(mb);
	buf_free(&a);
	buf_free(&b);
	buf_free(&ida);
	buf_free(&idb);
}

static int
bad_msgid(void *arg, struct buf *out)
{
	(void)arg;
	return buf_puts(out, "a>\nX: y");
}

static void
test_refusals(void **state)
{
	struct buf out = BUF_INIT(BUF_UNLIMITED), small = BUF_INIT(100);
	struct notice_reply r = { .to = "a@example.net", .command = "CONFIRM k" };
	struct notice_moderation mod = { .held = "x", .held_len = 1, .key = "k" };
	const char *why = NULL;
	int counter;
	struct notice_ctx c = ctx_for("staff", &counter);

	(void)state;
	buf_puts(&out, "kept");
	r.to = "not an address";
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), -1);
	assert_non_null(strstr(why, "recipient"));
	r.to = "a@example.net\nBcc: b@example.net";
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), -1);
	r.to = NULL;
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), -1);
	r.to = "a@example.net";
	r.command = "CONFIRM k\nBcc: x";
	assert_int_equal(notice_reply(&c, NOTICE_CONFIRM, &r, &out, &why), -1);
	assert_non_null(strstr(why, "command"));
	r.command = NULL;
	assert_int_equal(notice_reply(&c, NOTICE_CONFIRM, &r, &out, &why), -1);
	assert_int_equal(notice_reply(&c, (enum notice_kind)42, &r, &out, &why), -1);
	mod.key = "k k";
	assert_int_equal(notice_moderate(&c, &mod, &out, &why), -1);
	assert_non_null(strstr(why, "key"));
	mod.key = "k";
	/* Contexts that cannot make addresses. */
	c.list = NULL;
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), -1);
	assert_int_equal(notice_moderate(&c, &mod, &out, &why), -1);
	c.list = "Staff;x";
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), -1);
	c.list = "staff";
	c.domain = "example.org>\nBcc: x";
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), -1);
	c.domain = "example.org";
	c.robot_localpart = "sympa bot";
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), -1);
	c.robot_localpart = NULL;
	c.msgid = bad_msgid;
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &out, &why), -1);
	/* Nothing was left behind by the failures. */
	assert_string_equal(buf_cstr(&out), "kept");
	/* The output's limit: a failure, and the buffer as it was. */
	c = ctx_for("staff", &counter);
	buf_puts(&small, "x");
	assert_int_equal(notice_reply(&c, NOTICE_HELD, &r, &small, &why), -1);
	assert_string_equal(buf_cstr(&small), "x");
	buf_free(&out);
	buf_free(&small);
}

static void
test_forward(void **state)
{
	struct buf raw = BUF_INIT(BUF_UNLIMITED), out = BUF_INIT(BUF_UNLIMITED);
	struct buf v = BUF_INIT(4096);
	const char *why = NULL;
	struct msg *m;

	(void)state;
	read_data("forward-in.eml", &raw);
	if (notice_forward(raw.data, raw.len, "staff-request@example.org",
	    "sympa-request@example.org", &out, &why) != 0)
		fail_msg("%s", why);
	golden("forward.golden", &out);
	m = msg_parse(out.data, out.len, NULL, NULL);
	assert_int_equal(m->defects, 0);
	assert_int_equal(msg_header_count(m, NULL, "Sender"), 1);
	assert_int_equal(msg_header_count(m, NULL, "Resent-Sender"), 0);
	assert_int_equal(msg_header_get(m, NULL, "Sender", &v), 1);
	assert_string_equal(buf_cstr(&v), "sympa-request@example.org");
	buf_reset(&v);
	assert_int_equal(msg_header_get(m, NULL, "X-Loop", &v), 1);
	assert_string_equal(buf_cstr(&v), "staff-request@example.org");
	/* The body is unchanged. */
	assert_non_null(strstr(out.data, "\n\nCould you add bob@example.net to the list?\n\nAnn\n"));
	msg_free(m);

	/* CRLF stays CRLF; a message without Sender gets one. */
	buf_reset(&out);
	assert_int_equal(notice_forward("From: a@x.org\r\n\r\nhi\r\n", 21,
	    "listmaster@example.org", "sympa-request@example.org", &out, &why), 0);
	assert_non_null(strstr(out.data, "X-Loop: listmaster@example.org\r\n"));
	assert_non_null(strstr(out.data, "Sender: sympa-request@example.org\r\n"));
	assert_non_null(strstr(out.data, "\r\n\r\nhi\r\n"));

	/* Bad addresses are refused. */
	buf_reset(&out);
	assert_int_equal(notice_forward(raw.data, raw.len, "x@y.org\nBcc: z@y.org",
	    "sympa-request@example.org", &out, &why), -1);
	assert_int_equal(notice_forward(raw.data, raw.len, "staff-request@example.org",
	    NULL, &out, &why), -1);
	assert_int_equal(out.len, 0);
	buf_free(&raw);
	buf_free(&out);
	buf_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_moderate),
		cmocka_unit_test(test_moderate_crlf_and_boundary),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_subject_looks_encoded),
		cmocka_unit_test(test_no_orig),
		cmocka_unit_test(test_default_msgid),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_forward),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
