/*
 * listname_test - the list-name and domain-name rules, table-driven: good
 * names, every kind of refusal (injection attempts included), reserved
 * local parts, and name@domain splitting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "listname.h"

static const char *const good_names[] = {
	"a", "0", "staff", "users-fr", "my.list", "my_list", "a1-b2.c3_d4",
	"announce-2026", "x-request-archive", "owner", "request",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx",	/* 50 */
};

static const struct {
	const char	*name;
	const char	*why;	/* a word the reason contains */
} bad_names[] = {
	{ "", "empty" },
	{ "A", "lower case" },
	{ "Staff", "lower case" },
	{ "staFF", "lower case" },
	{ "a;rm", "only" },
	{ "a;rm -rf /", "only" },
	{ "a b", "only" },
	{ "a\tb", "only" },
	{ "a\nb", "only" },
	{ "a\n", "only" },
	{ "a\r", "only" },
	{ "../x", "starts" },
	{ "a/../x", "only" },
	{ "a/b", "only" },
	{ ".hidden", "starts" },
	{ "-x", "starts" },
	{ "_x", "starts" },
	{ "a|b", "only" },
	{ "a`id`", "only" },
	{ "a$(id)", "only" },
	{ "a:b", "only" },
	{ "a\"b", "only" },
	{ "a'b", "only" },
	{ "a,b", "only" },
	{ "a#b", "only" },
	{ "a@b", "only" },
	{ "a+b", "only" },
	{ "a\\b", "only" },
	{ "caf\xc3\xa9", "only" },
	{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxy", "50" },	/* 51 */
	{ "staff-request", "end" },
	{ "staff-owner", "end" },
	{ "staff-editor", "end" },
	{ "staff-subscribe", "end" },
	{ "staff-unsubscribe", "end" },
	{ "-request", "starts" },
};

static void
test_good_names(void **state)
{
	const char *why = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof good_names / sizeof good_names[0]; i++) {
		if (listname_check(good_names[i], &why) != 0)
			fail_msg("'%s' refused: %s", good_names[i], why);
	}
}

static void
test_bad_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		const char *why = NULL;

		if (listname_check(bad_names[i].name, &why) == 0)
			fail_msg("'%s' accepted", bad_names[i].name);
		assert_non_null(why);
		if (strstr(why, bad_names[i].why) == NULL)
			fail_msg("'%s': reason '%s' lacks '%s'", bad_names[i].name, why,
			    bad_names[i].why);
	}
}

static void
test_reserved(void **state)
{
	static const struct {
		const char *name;
		int reserved;
	} cases[] = {
		{ "sympa", 1 }, { "bounce", 1 }, { "listmaster", 1 }, { "postmaster", 1 },
		{ "mailer-daemon", 1 }, { "abuse-feedback-report", 1 }, { "x-owner", 1 },
		{ "x-request", 1 }, { "x-unsubscribe", 1 }, { "staff", 0 }, { "sympa2", 0 },
		{ "bounces", 0 }, { "owner", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (listname_is_reserved(cases[i].name, "sympa", "bounce") != cases[i].reserved)
			fail_msg("'%s': expected reserved=%d", cases[i].name, cases[i].reserved);
	/* Other local parts from the site. */
	assert_int_equal(listname_is_reserved("robot", "robot", "bnc"), 1);
	assert_int_equal(listname_is_reserved("sympa", "robot", "bnc"), 0);
	assert_int_equal(listname_is_reserved("sympa", NULL, NULL), 0);
}

static void
test_domains(void **state)
{
	static const char *const good[] = {
		"localhost", "example.org", "lists.example.org", "a-b.example", "x1.y2.z3",
		"xn--bcher-kva.example",
		"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123.org",	/* 63 */
	};
	static const char *const bad[] = {
		"", "Example.org", "example..org", ".example.org", "example.org.", "-a.org",
		"a-.org", "a_b.org", "a b.org", "a/b", "..", ".", "a;b.org", "exa\nmple.org",
		"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234.org",	/* 64 */
		"b\xc3\xbc" "cher.example",
	};
	const char *why;
	char big[300];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (listname_check_domain(good[i], &why) != 0)
			fail_msg("'%s' refused: %s", good[i], why);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (listname_check_domain(bad[i], &why) == 0)
			fail_msg("'%s' accepted", bad[i]);
	/* 254 characters in labels of 9 and dots. */
	memset(big, 'a', sizeof big);
	for (size_t i = 9; i < 254; i += 10)
		big[i] = '.';
	big[254] = '\0';
	assert_int_equal(listname_check_domain(big, &why), -1);
	big[253] = '\0';
	assert_int_equal(listname_check_domain(big, &why), 0);
}

static void
test_split(void **state)
{
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	const char *why;

	(void)state;
	assert_int_equal(listaddr_split("staff@Lists.Example.ORG", &name, &domain, &why), 0);
	assert_string_equal(buf_cstr(&name), "staff");
	assert_string_equal(buf_cstr(&domain), "lists.example.org");
	assert_int_equal(listaddr_split("staff", &name, &domain, &why), -1);
	assert_non_null(strstr(why, "no domain"));
	assert_int_equal(listaddr_split("Staff@example.org", &name, &domain, &why), -1);
	assert_int_equal(listaddr_split("a;rm@example.org", &name, &domain, &why), -1);
	assert_int_equal(listaddr_split("staff@exa mple.org", &name, &domain, &why), -1);
	assert_int_equal(listaddr_split("staff@", &name, &domain, &why), -1);
	assert_int_equal(listaddr_split("@example.org", &name, &domain, &why), -1);
	assert_int_equal(listaddr_split("a@b@c", &name, &domain, &why), -1);
	assert_int_equal(listaddr_split("staff@../etc", &name, &domain, &why), -1);
	assert_int_equal(listaddr_split("staff-owner@example.org", &name, &domain, &why), -1);
	assert_int_equal(name.len, 0);
	assert_int_equal(domain.len, 0);
	buf_free(&name);
	buf_free(&domain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_names),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
