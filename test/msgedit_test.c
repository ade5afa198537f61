/*
 * msgedit_test - the editable message: untouched bytes stay exact, edits
 * land where they should with the message's line ends, added fields are
 * folded, injection is refused, the parse follows the edits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "msgedit.h"

static struct msgedit *
edit(const char *text)
{
	struct buf err = BUF_INIT(256);
	struct msgedit *e = msgedit_new(text, strlen(text), NULL, &err);

	if (e == NULL)
		fail_msg("msgedit_new: %s", buf_cstr(&err));
	buf_free(&err);
	return e;
}

static void
assert_output(const struct msgedit *e, const char *want)
{
	struct buf out = BUF_INIT(1 << 20);

	assert_int_equal(msgedit_output(e, &out), 0);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
}

/* What is not edited comes out byte for byte. */
static void
test_identity(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "A: 1\nB: 2\n\nbody\n", "A: 1\nB: 2\n\nbody\n" },
		{ "A: 1\r\nB:  folded\r\n\tline\r\n\r\nbody\r\n",
		  "A: 1\r\nB:  folded\r\n\tline\r\n\r\nbody\r\n" },
		{ "A: 1\n", "A: 1\n\n" },			/* no blank line: one added */
		{ "A: 1", "A: 1\n\n" },				/* no line end at all */
		{ "From x@y Mon Jan  1 00:00:00 2024\nA: 1\n\nb\n", "A: 1\n\nb\n" },
		{ "", "\n" },
		{ "\nbody only\n", "\nbody only\n" },
		{ " stray\nA: 1\n\nb", " stray\nA: 1\n\nb" },	/* no field: kept */
		{ "A: 1\nnot a field\nmore\n", "A: 1\n\nnot a field\nmore\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct msgedit *e = edit(cases[i].in);

		assert_output(e, cases[i].out);
		msgedit_free(e);
	}
}

static void
test_edits(void **state)
{
	struct msgedit *e = edit("Received: a\nSubject: old\nX-A: 1\nx-a: 2\n"
	    "Received: b\n\nbody\n");
	struct buf err = BUF_INIT(256);

	(void)state;
	assert_int_equal(msgedit_count(e, "X-A"), 2);
	assert_int_equal(msgedit_replace(e, "X-A", "new", &err), 0);
	assert_int_equal(msgedit_count(e, "x-a"), 1);
	assert_int_equal(msgedit_prepend(e, "Top", "first", &err), 0);
	assert_int_equal(msgedit_append(e, "Bottom", "last", &err), 0);
	assert_int_equal(msgedit_delete(e, "received"), 2);
	assert_int_equal(msgedit_delete(e, "Nothing"), 0);
	assert_int_equal(msgedit_replace(e, "New", "appended", &err), 0);
	assert_output(e, "Top: first\nSubject: old\nX-A: new\nBottom: last\n"
	    "New: appended\n\nbody\n");
	msgedit_free(e);

	/* The wildcard deletes by prefix, and only by prefix. */
	e = edit("ARC-Seal: 1\nArc-Message-Signature: 2\nX-ARC: 3\nARC: 4\n\n");
	assert_int_equal(msgedit_delete(e, "ARC-*"), 2);
	assert_output(e, "X-ARC: 3\nARC: 4\n\n");
	msgedit_free(e);
	buf_free(&err);
}

/* Added fields end as the message's lines do. */
static void
test_crlf(void **state)
{
	struct msgedit *e = edit("A: 1\r\n\r\nbody\r\n");

	(void)state;
	assert_string_equal(msgedit_eol(e), "\r\n");
	assert_int_equal(msgedit_append(e, "B", "2", NULL), 0);
	assert_output(e, "A: 1\r\nB: 2\r\n\r\nbody\r\n");
	msgedit_free(e);
	e = edit("A: 1\n\nbody\r\n");
	assert_string_equal(msgedit_eol(e), "\n");
	msgedit_free(e);
}

static void
test_fold(void **state)
{
	struct msgedit *e = edit("\n");
	struct buf out = BUF_INIT(1 << 16), v = BUF_INIT(1 << 16);
	char *line, *save = NULL;
	size_t lines = 0;

	(void)state;
	for (int i = 0; i < 40; i++)
		buf_printf(&v, "word%02d ", i);
	buf_puts(&v, "end");
	assert_int_equal(msgedit_append(e, "X-Long", buf_cstr(&v), NULL), 0);
	assert_int_equal(msgedit_output(e, &out), 0);
	for (line = strtok_r(out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 78);
		if (lines++ > 0)
			assert_true(line[0] == ' ');
	}
	assert_true(lines > 3);
	/* Unfolding gives the value back. */
	buf_reset(&out);
	assert_int_equal(msgedit_get(e, "X-Long", 0, &out), 1);
	assert_string_equal(buf_cstr(&out), buf_cstr(&v));
	msgedit_free(e);

	/* A word longer than a line is not cut; blanks alone make no line. */
	e = edit("\n");
	buf_reset(&v);
	for (int i = 0; i < 100; i++)
		buf_putc(&v, 'x');
	buf_puts(&v, "      ");
	buf_reset(&out);
	assert_int_equal(msgedit_append(e, "X", buf_cstr(&v), NULL), 0);
	assert_int_equal(msgedit_output(e, &out), 0);
	assert_string_equal(out.data + out.len - 9, "x      \n\n");
	assert_null(strstr(buf_cstr(&out), "\n \n"));
	msgedit_free(e);
	buf_free(&out);
	buf_free(&v);
}

/* Nothing added can end a field or the header. */
static void
test_injection(void **state)
{
	static const char *const bad_values[] = {
		"a\r\nBcc: victim@example.org", "a\nX: y", "a\rb", "",
	};
	static const char *const bad_names[] = {
		"", "Bad Name", "Bad:Name", "Name\n", "\x80", 
		"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ",
	};
	struct msgedit *e = edit("A: 1\n\nb\n");
	struct buf err = BUF_INIT(256);
	char *big = malloc(MSGEDIT_VALUE_MAX + 2);

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		buf_reset(&err);
		assert_int_equal(msgedit_append(e, "X", bad_values[i], &err), -1);
		assert_true(err.len > 0);
		assert_int_equal(msgedit_replace(e, "A", bad_values[i], &err), -1);
		assert_int_equal(msgedit_prepend(e, "A", bad_values[i], NULL), -1);
	}
	assert_int_equal(msgedit_check_value("a\0b", 3, NULL), -1);
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
		assert_int_equal(msgedit_append(e, bad_names[i], "v", &err), -1);
	memset(big, 'a', MSGEDIT_VALUE_MAX + 1);
	big[MSGEDIT_VALUE_MAX + 1] = '\0';
	assert_int_equal(msgedit_append(e, "X", big, &err), -1);
	/* An empty value is fine; nothing was changed by the refusals. */
	assert_int_equal(msgedit_append(e, "X", bad_values[3], &err), 0);
	assert_output(e, "A: 1\nX: \n\nb\n");
	free(big);
	msgedit_free(e);
	buf_free(&err);
}

static void
test_read(void **state)
{
	struct msgedit *e = edit("Subject: =?iso-8859-1?q?caf=E9?=\n"
	    "  au lait\nTo: a@b\nTo:  c@d \n\nb\n");
	struct buf out = BUF_INIT(1024);
	const char *raw;
	size_t len;

	(void)state;
	raw = msgedit_raw(e, "subject", 0, &len);
	assert_non_null(raw);
	assert_int_equal(len, strlen(" =?iso-8859-1?q?caf=E9?=\n  au lait"));
	assert_memory_equal(raw, " =?iso-8859-1?q?caf=E9?=\n  au lait", len);
	assert_int_equal(msgedit_get(e, "Subject", 0, &out), 1);
	assert_string_equal(buf_cstr(&out), "=?iso-8859-1?q?caf=E9?=  au lait");
	buf_reset(&out);
	assert_int_equal(msgedit_get_decoded(e, "Subject", 0, &out), 1);
	assert_string_equal(buf_cstr(&out), "caf\xc3\xa9  au lait");
	buf_reset(&out);
	assert_int_equal(msgedit_get(e, "To", 1, &out), 1);
	assert_string_equal(buf_cstr(&out), "c@d");
	assert_int_equal(msgedit_get(e, "To", 2, &out), 0);
	assert_null(msgedit_raw(e, "Cc", 0, &len));
	/* A limit reached is said, not hidden. */
	{
		struct buf small = BUF_INIT(4);

		assert_int_equal(msgedit_get(e, "Subject", 0, &small), -1);
		buf_free(&small);
	}
	msgedit_free(e);
	buf_free(&out);
}

/* The body, and the parse following the edits. */
static void
test_body_and_reparse(void **state)
{
	struct msgedit *e = edit("Content-Type: text/plain\n\nold\n");
	const struct msg *m;
	const char *b;
	size_t len;

	(void)state;
	b = msgedit_body(e, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(b, "old\n", 4);
	msgedit_set_body(e, "--x\n\nnew\n--x--\n", 15);
	assert_int_equal(msgedit_replace(e, "Content-Type",
	    "multipart/mixed; boundary=x", NULL), 0);
	m = msgedit_msg(e);
	assert_non_null(m);
	assert_true(msg_part_is(m->root, "multipart", "mixed"));
	assert_int_equal(m->root->nchildren, 1);
	assert_output(e, "Content-Type: multipart/mixed; boundary=x\n\n--x\n\nnew\n--x--\n");
	/* Still editable after the parse. */
	assert_int_equal(msgedit_append(e, "X", "y", NULL), 0);
	assert_output(e, "Content-Type: multipart/mixed; boundary=x\nX: y\n\n--x\n\nnew\n--x--\n");
	msgedit_free(e);
}

static void
test_limits(void **state)
{
	struct msg_limits lim;
	struct buf err = BUF_INIT(256), out = BUF_INIT(10);
	struct msgedit *e;

	(void)state;
	msg_limits_default(&lim);
	lim.max_size = 8;
	assert_null(msgedit_new("A: 1234567890\n\n", 15, &lim, &err));
	assert_true(err.len > 0);
	/* Fields past the parser's limit are edited all the same. */
	lim.max_size = 1 << 20;
	lim.max_headers = 2;
	e = msgedit_new("A: 1\nB: 2\nC: 3\nA: 4\n folded\n\nb\n", 32, &lim, &err);
	assert_non_null(e);
	assert_int_equal(msgedit_count(e, "a"), 2);
	assert_int_equal(msgedit_delete(e, "A"), 2);
	assert_output(e, "B: 2\nC: 3\n\nb\n");
	/* Output stops at the buffer's limit and leaves it as it was. */
	assert_int_equal(msgedit_output(e, &out), -1);
	assert_int_equal(out.len, 0);
	msgedit_free(e);
	buf_free(&err);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_body_and_reparse),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
