/*
 * mimeword_test - RFC 2047 encoded-words and charset conversion,
 * table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mimeword.h"

struct mw_case {
	const char *in;
	const char *want;
};

static void
test_decode_table(void **state)
{
	static const struct mw_case cases[] = {
		{ "", "" },
		{ "plain text", "plain text" },
		{ "=?iso-8859-1?q?Andr=E9?= Pirard", "Andr\xc3\xa9 Pirard" },
		{ "=?ISO-8859-1?Q?Andr=E9?=", "Andr\xc3\xa9" },
		{ "=?utf-8?b?w6k=?=", "\xc3\xa9" },
		{ "=?UTF-8?B?w6k?=", "\xc3\xa9" },		/* no padding */
		{ "=?utf-8?q?a_b?=", "a b" },
		/* RFC 2047 section 8 examples */
		{ "(=?ISO-8859-1?Q?a?=)", "(a)" },
		{ "(=?ISO-8859-1?Q?a?= b)", "(a b)" },
		{ "(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)" },
		{ "(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)" },
		{ "(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)" },
		{ "(=?ISO-8859-1?Q?a_b?=)", "(a b)" },
		{ "(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)" },
		/* charset*language (RFC 2231 section 5) */
		{ "=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore" },
		/* a character split over two words joins up */
		{ "=?utf-8?b?w6g=?= =?utf-8?b?4oI=?= =?utf-8?b?rA==?=",
		  "\xc3\xa8\xe2\x82\xac" },
		{ "=?windows-1252?q?=80?=", "\xe2\x82\xac" },
		{ "=?iso-8859-15?q?=A4?=", "\xe2\x82\xac" },
		/* kept literally: unknown charset, bad encodings */
		{ "=?x-nonsense?q?abc?=", "=?x-nonsense?q?abc?=" },
		{ "=?utf-8?x?abc?=", "=?utf-8?x?abc?=" },
		{ "=?utf-8?b?w!k=?=", "=?utf-8?b?w!k=?=" },
		{ "=?utf-8?b?w6k=w6k=?=", "=?utf-8?b?w6k=w6k=?=" },
		{ "=?utf-8?q?a=Zb?=", "=?utf-8?q?a=Zb?=" },
		{ "=?utf-8?q?a=4?=", "=?utf-8?q?a=4?=" },
		{ "=?utf-8?q?a b?=", "=?utf-8?q?a b?=" },	/* no blanks inside */
		{ "=?utf/8?q?a?=", "=?utf/8?q?a?=" },
		{ "=?utf-8?q?abc", "=?utf-8?q?abc" },
		{ "=?", "=?" },
		{ "=?=", "=?=" },
		{ "=?" "?q?a?=", "=?" "?q?a?=" },
		/* a literal word between two words keeps its whitespace */
		{ "=?utf-8?q?a?= =?bad?q?x?= =?utf-8?q?b?=",
		  "a =?bad?q?x?= b" },
		/* text touching a word */
		{ "x=?utf-8?q?a?=y", "xay" },
		{ "a =?utf-8?q?b?= c", "a b c" },
		/* empty word */
		{ "=?utf-8?q?" "?= x", " x" },
		/* invalid UTF-8 in a utf-8 word becomes U+FFFD */
		{ "=?utf-8?q?a=FFb?=", "a\xef\xbf\xbd" "b" },
		{ "=?utf-8?q?=C3?=", "\xef\xbf\xbd" },
		{ "=?utf-8?q?=ED=A0=80?=", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		/* a byte the charset lacks */
		{ "=?us-ascii?q?=E9?=", "\xef\xbf\xbd" },
		{ "=?iso-2022-jp?b?GyRCJDMkcyRLJEEkTxsoQg==?=",
		  "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf out = BUF_INIT(4096);

		assert_int_equal(mimeword_decode(cases[i].in, strlen(cases[i].in), &out), 0);
		if (strcmp(buf_cstr(&out), cases[i].want) != 0)
			fail_msg("case %zu: '%s' -> '%s', want '%s'", i,
			    cases[i].in, buf_cstr(&out), cases[i].want);
		buf_free(&out);
	}
}

static void
test_to_utf8(void **state)
{
	struct buf out = BUF_INIT(4096);

	(void)state;
	assert_int_equal(mimeword_to_utf8("latin1", "caf\xe9", 4, &out), 0);
	assert_string_equal(buf_cstr(&out), "caf\xc3\xa9");
	buf_reset(&out);
	assert_int_equal(mimeword_to_utf8("UTF-8", "ok\xc3\xa9", 4, &out), 0);
	assert_string_equal(buf_cstr(&out), "ok\xc3\xa9");
	buf_reset(&out);
	assert_int_equal(mimeword_to_utf8("utf-8", "\xc0\xaf", 2, &out), 0);
	assert_string_equal(buf_cstr(&out), "\xef\xbf\xbd\xef\xbf\xbd");
	buf_reset(&out);
	assert_int_equal(mimeword_to_utf8("no-such-charset", "x", 1, &out), -1);
	assert_int_equal(mimeword_to_utf8("UTF-8//TRANSLIT", "x", 1, &out), -1);
	assert_int_equal(mimeword_to_utf8("", "x", 1, &out), -1);
	assert_int_equal(out.len, 0);
	assert_true(mimeword_charset_known("ks_c_5601-1987"));
	assert_false(mimeword_charset_known("x-unknown"));
	buf_free(&out);
}

static void
test_limit(void **state)
{
	struct buf out = BUF_INIT(3);

	(void)state;
	assert_int_equal(mimeword_decode("=?utf-8?q?abcd?=", 16, &out), -1);
	assert_true(out.len <= 3);
	buf_reset(&out);
	assert_int_equal(mimeword_decode("abcd", 4, &out), -1);
	assert_int_equal(mimeword_to_utf8("latin1", "\xe9\xe9", 2, &out), -2);
	buf_free(&out);
}

/* Many unterminated starts, and many words: linear time, bounded work. */
static void
test_hostile_shapes(void **state)
{
	size_t n = 200000;
	char *in = malloc(n * 8 + 1);
	struct buf out = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	in[0] = '\0';
	for (size_t i = 0; i < n; i++)
		memcpy(in + i * 8, "=?x?q?a=", 8);
	in[n * 8] = '\0';
	assert_int_equal(mimeword_decode(in, n * 8, &out), 0);
	assert_int_equal(out.len, n * 8);
	buf_reset(&out);
	for (size_t i = 0; i < n / 2; i++)
		memcpy(in + i * 16, "=?utf-8?q?a?= ", 14), memcpy(in + i * 16 + 14, "  ", 2);
	assert_int_equal(mimeword_decode(in, n * 8, &out), 0);
	/* MIMEWORD_MAX_WORDS decoded, the rest copied as it is */
	assert_memory_equal(out.data, "aaaa", 4);
	assert_true(out.len > n * 8 - (size_t)MIMEWORD_MAX_WORDS * 16);
	free(in);
	buf_free(&out);
}

/*
 * Encoding: words decode back to the text, never hold more than the bytes
 * asked for, and never cut a character (a cut would decode to U+FFFD or
 * fail).
 */
static void
test_encode(void **state)
{
	static const char *const texts[] = {
		"Caf\xc3\xa9 \xc3\xbc" "ber alles", "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
		"\xf0\x9f\x93\xa7" " mail", "plain", "",
	};
	static const size_t widths[] = { 4, 5, 7, 45 };

	(void)state;
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			struct buf enc = BUF_INIT(4096), dec = BUF_INIT(4096);
			const char *p;

			assert_int_equal(mimeword_encode(texts[t], strlen(texts[t]),
			    widths[w], " ", &enc), 0);
			assert_int_equal(mimeword_decode(enc.data ? enc.data : "",
			    enc.len, &dec), 0);
			assert_string_equal(buf_cstr(&dec), texts[t]);
			/* base64 of at most w bytes is at most 4 * ceil(w / 3) characters. */
			for (p = buf_cstr(&enc); (p = strstr(p, "?b?")) != NULL; p += 3)
				assert_true(strcspn(p + 3, "?") <= 4 * ((widths[w] + 2) / 3));
			buf_free(&enc);
			buf_free(&dec);
		}
	assert_true(mimeword_is_plain("Hello, world"));
	assert_false(mimeword_is_plain("Caf\xc3\xa9"));
	assert_false(mimeword_is_plain("a\nb"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_to_utf8),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_hostile_shapes),
		cmocka_unit_test(test_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
