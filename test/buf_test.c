/*
 * buf_test - the bounded buffer: growth, limits, formatting, NUL bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static void
test_append_grows_and_terminates(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	(void)state;
	assert_string_equal(buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(b.len, 3000);
	assert_int_equal(b.data[3000], '\0');
	assert_memory_equal(b.data + 2997, "abc", 3);
	buf_free(&b);
}

static void
test_limit_is_hard_and_leaves_buffer_intact(void **state)
{
	struct buf b = BUF_INIT(10);

	(void)state;
	assert_int_equal(buf_puts(&b, "0123456789"), 0);
	assert_int_equal(buf_putc(&b, 'x'), -1);
	assert_int_equal(buf_printf(&b, "%d", 7), -1);
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_cstr(&b), "0123456789");
	buf_truncate(&b, 4);
	assert_int_equal(buf_printf(&b, "%s-%d", "ab", 42), 0);
	assert_string_equal(buf_cstr(&b), "0123ab-42");
	assert_int_equal(buf_append(&b, "xy", (size_t)-1), -1);
	buf_free(&b);
}

static void
test_binary_data_and_steal(void **state)
{
	struct buf b = BUF_INIT(64);
	char *s;

	(void)state;
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	s = buf_steal(&b);
	assert_memory_equal(s, "a\0b", 4);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
	buf_reset(&b);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_grows_and_terminates),
		cmocka_unit_test(test_limit_is_hard_and_leaves_buffer_intact),
		cmocka_unit_test(test_binary_data_and_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
