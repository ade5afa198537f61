/*
 * codec_test - base64 and quoted-printable, table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "codec.h"

struct codec_case {
	const char *in;
	const char *want;
	size_t want_len;
};

static void
check_cases(int (*fn)(const char *, size_t, struct buf *),
    const struct codec_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct buf out = BUF_INIT(4096);
		size_t want_len = cases[i].want_len ? cases[i].want_len : strlen(cases[i].want);

		assert_int_equal(fn(cases[i].in, strlen(cases[i].in), &out), 0);
		if (out.len != want_len || memcmp(buf_cstr(&out), cases[i].want, want_len) != 0)
			fail_msg("case %zu: %s -> '%s'", i, cases[i].in, buf_cstr(&out));
		buf_free(&out);
	}
}

static void
test_base64_decode(void **state)
{
	static const struct codec_case cases[] = {
		{ "", "", 0 },
		{ "Zg==", "f", 0 },
		{ "Zm8=", "fo", 0 },
		{ "Zm9v", "foo", 0 },
		{ "Zm9v\r\nYmFy", "foobar", 0 },
		{ "Z m 9 v Y\tm F y", "foobar", 0 },	/* whitespace anywhere */
		{ "Zm9v!!YmFy", "foobar", 0 },		/* junk skipped */
		{ "Zm9v=YmFy", "foo", 0 },		/* stops at padding */
		{ "AAEC", "\0\1\2", 3 },
	};

	(void)state;
	check_cases(codec_base64_decode, cases, sizeof cases / sizeof cases[0]);
}

static void
test_base64_roundtrip_and_lines(void **state)
{
	unsigned char all[256];
	struct buf enc = BUF_INIT(4096), dec = BUF_INIT(4096);

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t n = 0; n <= 256; n += 37) {
		buf_reset(&enc);
		buf_reset(&dec);
		assert_int_equal(codec_base64_encode(all, n, &enc, 76), 0);
		for (const char *line = buf_cstr(&enc), *eol;
		    (eol = strstr(line, "\r\n")) != NULL; line = eol + 2)
			assert_int_equal(eol - line, 76);
		assert_int_equal(codec_base64_decode(enc.data ? enc.data : "", enc.len, &dec), 0);
		assert_int_equal(dec.len, n);
		if (n)
			assert_memory_equal(dec.data, all, n);
	}
	buf_free(&enc);
	buf_free(&dec);
}

static void
test_qp_decode(void **state)
{
	static const struct codec_case cases[] = {
		{ "plain", "plain", 0 },
		{ "caf=C3=A9", "caf\xc3\xa9", 0 },
		{ "caf=c3=a9", "caf\xc3\xa9", 0 },	/* lower-case hex tolerated */
		{ "soft=\r\nbreak", "softbreak", 0 },
		{ "soft=  \nbreak", "softbreak", 0 },
		{ "end=", "end", 0 },
		{ "bad=ZZ", "bad=ZZ", 0 },		/* malformed kept */
		{ "trunc=4", "trunc=4", 0 },
		{ "a_b", "a_b", 0 },
		{ "=00x", "\0x", 2 },
	};

	(void)state;
	check_cases(codec_qp_decode, cases, sizeof cases / sizeof cases[0]);
}

static void
test_q_decode(void **state)
{
	static const struct codec_case cases[] = {
		{ "a_b", "a b", 0 },
		{ "Andr=E9", "Andr\xe9", 0 },
	};

	(void)state;
	check_cases(codec_q_decode, cases, sizeof cases / sizeof cases[0]);
}

static void
test_limit(void **state)
{
	struct buf out = BUF_INIT(2);

	(void)state;
	assert_int_equal(codec_base64_decode("Zm9v", 4, &out), -1);
	assert_int_equal(out.len, 2);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_decode),
		cmocka_unit_test(test_base64_roundtrip_and_lines),
		cmocka_unit_test(test_qp_decode),
		cmocka_unit_test(test_q_decode),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
