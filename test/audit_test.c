/*
 * audit_test - what the audit module makes of outside text before it is
 * stored (audit_ascii, audit_message_id) and the JSON it builds. No
 * database: the records themselves are tested in test/roster_test.c and
 * test/audit_test.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "audit.h"
#include "buf.h"

static void
test_ascii(void **state)
{
	static const struct {
		const char	*in;
		size_t		 max;
		const char	*want;
	} cases[] = {
		{ "mx.example.net [192.0.2.1]", 100,
		    "mx.example.net [192.0.2.1]" },
		{ "tab\there", 100, "tab?here" },
		{ "line\r\nend", 100, "line??end" },
		{ "Zo\xc3\xab", 100, "Zo??" },		/* 8-bit: not kept */
		{ "del\x7f", 100, "del?" },
		{ "abcdef", 3, "abc" },			/* bounded */
		{ "", 100, "" },
	};
	struct buf b = BUF_INIT(1024);

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		audit_ascii(&b, cases[i].in, cases[i].max);
		assert_string_equal(buf_cstr(&b), cases[i].want);
	}
	buf_free(&b);
}

static void
test_message_id(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "<a.b@host.example>", "a.b@host.example" },
		{ "a.b@host.example", "a.b@host.example" },
		{ " <x@y>\r\n", "x@y" },	/* a header's value */
		{ "\t<x@y> ", "x@y" },
		{ "<x@y", "<x@y" },		/* unbalanced: as it is */
		{ "x@y>", "x@y>" },
		{ "<>", "" },
		{ "<what?@y>", "what?@y" },		/* '?' is atext */
		{ "<a\x01" "b@y>", "a?b@y" },
		{ "<\xff@y>", "?@y" },
		{ "", "" },
	};
	struct buf b = BUF_INIT(2048);
	char big[1200];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		audit_message_id(&b, cases[i].in);
		assert_string_equal(buf_cstr(&b), cases[i].want);
	}
	/* A header line's worth at most. */
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	audit_message_id(&b, big);
	assert_int_equal(b.len, 998);
	buf_free(&b);
}

static void
test_json(void **state)
{
	struct buf b = BUF_INIT(1024);

	(void)state;
	audit_json_begin(&b);
	audit_json_str(&b, "key", "0123\"x\\");
	audit_json_str(&b, "requested_by", NULL);
	audit_json_int(&b, "n", -2);
	audit_json_str(&b, "reason", "bounce\nlevel 2");
	audit_json_end(&b);
	assert_string_equal(buf_cstr(&b), "{\"key\":\"0123\\\"x\\\\\","
	    "\"requested_by\":null,\"n\":-2,"
	    "\"reason\":\"bounce\\u000alevel 2\"}");
	audit_json_begin(&b);
	audit_json_end(&b);
	assert_string_equal(buf_cstr(&b), "{}");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
