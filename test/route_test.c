/*
 * route_test - routing by envelope recipient, table-driven: each kind,
 * case, names holding '-', custom local parts, and hostile addresses
 * that must give ROUTE_INVALID with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "route.h"

static const struct {
	const char	*rcpt;
	enum route_kind	 kind;
	const char	*list;
	const char	*domain;
	const char	*token;
} cases[] = {
	{ "staff@example.org", ROUTE_POST, "staff", "example.org", "" },
	{ "Staff@Example.ORG", ROUTE_POST, "staff", "example.org", "" },
	{ "my-list@example.org", ROUTE_POST, "my-list", "example.org", "" },
	{ "my-list-request@example.org", ROUTE_REQUEST, "my-list", "example.org", "" },
	{ "a-b-c-editor@example.org", ROUTE_EDITOR, "a-b-c", "example.org", "" },
	{ "staff-request@example.org", ROUTE_REQUEST, "staff", "example.org", "" },
	{ "STAFF-REQUEST@EXAMPLE.ORG", ROUTE_REQUEST, "staff", "example.org", "" },
	{ "staff-editor@example.org", ROUTE_EDITOR, "staff", "example.org", "" },
	{ "staff-owner@example.org", ROUTE_OWNER, "staff", "example.org", "" },
	{ "staff-subscribe@example.org", ROUTE_SUBSCRIBE, "staff", "example.org", "" },
	{ "staff-unsubscribe@example.org", ROUTE_UNSUBSCRIBE, "staff", "example.org", "" },
	{ "staff-un-subscribe@example.org", ROUTE_SUBSCRIBE, "staff-un", "example.org", "" },
	{ "x-request-archive@example.org", ROUTE_POST, "x-request-archive", "example.org", "" },
	{ "x-request-archive-request@example.org", ROUTE_REQUEST, "x-request-archive",
	    "example.org", "" },
	{ "request@example.org", ROUTE_POST, "request", "example.org", "" },
	{ "owner-request@example.org", ROUTE_REQUEST, "owner", "example.org", "" },
	{ "my.list_2@example.org", ROUTE_POST, "my.list_2", "example.org", "" },
	{ "sympa@example.org", ROUTE_ROBOT, "", "example.org", "" },
	{ "SYMPA@example.org", ROUTE_ROBOT, "", "example.org", "" },
	{ "sympa-request@example.org", ROUTE_ROBOT_REQUEST, "", "example.org", "" },
	{ "listmaster@example.org", ROUTE_LISTMASTER, "", "example.org", "" },
	{ "ListMaster@example.org", ROUTE_LISTMASTER, "", "example.org", "" },
	{ "bounce@example.org", ROUTE_BOUNCE, "", "example.org", "" },
	{ "bounce+AbC==x==y@example.org", ROUTE_BOUNCE, "", "example.org", "AbC==x==y" },
	{ "Bounce+tok@example.org", ROUTE_BOUNCE, "", "example.org", "tok" },
	{ "sympa-owner@example.org", ROUTE_BOUNCE, "", "example.org", "" },
	{ "abuse-feedback-report@example.org", ROUTE_BOUNCE, "", "example.org", "" },
	{ "staff@lists.example.org", ROUTE_POST, "staff", "lists.example.org", "" },
	{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx-unsubscribe@e.org",
	    ROUTE_UNSUBSCRIBE, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx", "e.org", "" },
};

static const struct {
	const char	*rcpt;
	const char	*why;	/* a word the reason contains */
} bad[] = {
	{ "", "empty" },
	{ "staff", "no domain" },
	{ "@example.org", "empty local" },
	{ "staff@", "empty" },
	{ "a@b@c", "more than one" },
	{ "\"a@b\"@example.org", "byte" },
	{ "staff @example.org", "byte" },
	{ "staff@exa mple.org", "byte" },
	{ "staff\r\n@example.org", "byte" },
	{ "staff\n@example.org", "byte" },
	{ "<staff@example.org>", "byte" },
	{ "caf\xc3\xa9@example.org", "byte" },
	{ "staff@[192.0.2.1]", "byte" },
	{ "staff@../etc", "label" },
	{ "staff@example..org", "label" },
	{ "staff@-x.org", "label" },
	{ "staff@exa_mple.org", "domain" },
	{ "a-request-request@example.org", "end" },
	{ "a-owner-editor@example.org", "end" },
	{ "-request@example.org", "starts" },
	{ "-subscribe@example.org", "starts" },
	{ ".x@example.org", "starts" },
	{ "a+b@example.org", "only" },
	{ "a/b@example.org", "only" },
	{ "a|b@example.org", "only" },
	{ "a;rm@example.org", "byte" },
	{ "postmaster@example.org", "MTA" },
	{ "MAILER-DAEMON@example.org", "MTA" },
	{ "sympa-subscribe@example.org", "reserved" },
	{ "listmaster-request@example.org", "reserved" },
	{ "bounce-editor@example.org", "reserved" },
	{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxy@e.org", "50" },
	{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxy-request@e.org", "50" },
	{ "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm@e.org", "local part too long" },
};

static void
test_kinds(void **state)
{
	struct route r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum route_kind k = route_address(NULL, cases[i].rcpt,
		    strlen(cases[i].rcpt), &r);

		if (k != cases[i].kind || r.kind != k)
			fail_msg("%s: %s (%s), want %s", cases[i].rcpt, route_kind_name(k),
			    r.reason, route_kind_name(cases[i].kind));
		assert_string_equal(r.list, cases[i].list);
		assert_string_equal(r.domain, cases[i].domain);
		assert_string_equal(r.token, cases[i].token);
		assert_string_equal(r.reason, "");
	}
}

static void
test_invalid(void **state)
{
	struct route r;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum route_kind k = route_address(NULL, bad[i].rcpt, strlen(bad[i].rcpt), &r);

		if (k != ROUTE_INVALID)
			fail_msg("%s: routed as %s/%s", bad[i].rcpt, route_kind_name(k), r.list);
		assert_non_null(r.reason);
		if (strstr(r.reason, bad[i].why) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", bad[i].rcpt, r.reason, bad[i].why);
		assert_string_equal(r.list, "");
	}
}

static void
test_hostile(void **state)
{
	char big[4096];
	struct route r;

	(void)state;
	/* NUL inside the given length. */
	assert_int_equal(route_address(NULL, "staff\0x@example.org", 19, &r), ROUTE_INVALID);
	assert_int_equal(route_address(NULL, NULL, 0, &r), ROUTE_INVALID);
	/* Longer than any address. */
	memset(big, 'a', sizeof big);
	memcpy(big + sizeof big - 12, "@example.org", 12);
	assert_int_equal(route_address(NULL, big, sizeof big, &r), ROUTE_INVALID);
	assert_non_null(strstr(r.reason, "too long"));
	/* A domain of 250 characters passes to listname's checks. */
	memset(big, 'a', 300);
	memcpy(big, "s@", 2);
	for (size_t i = 70; i < 300; i += 70)
		big[i] = '.';
	assert_int_equal(route_address(NULL, big, 254, &r), ROUTE_INVALID);
	assert_non_null(strstr(r.reason, "label"));
	/* Only len bytes are read: the rest may be anything. */
	assert_int_equal(route_address(NULL, "staff@example.org\n;rm", 17, &r), ROUTE_POST);
	assert_string_equal(r.domain, "example.org");
}

static void
test_site_config(void **state)
{
	const struct route_config cf = { "Robot", "admins", "rp" };
	struct route r;

	(void)state;
	assert_int_equal(route_address(&cf, "robot@d.org", 11, &r), ROUTE_ROBOT);
	assert_int_equal(route_address(&cf, "robot-request@d.org", 19, &r),
	    ROUTE_ROBOT_REQUEST);
	assert_int_equal(route_address(&cf, "admins@d.org", 12, &r), ROUTE_LISTMASTER);
	assert_int_equal(route_address(&cf, "rp+X1@d.org", 11, &r), ROUTE_BOUNCE);
	assert_string_equal(r.token, "X1");
	/* The defaults are ordinary names then. */
	assert_int_equal(route_address(&cf, "sympa@d.org", 11, &r), ROUTE_POST);
	assert_int_equal(route_address(&cf, "bounce@d.org", 12, &r), ROUTE_POST);
	/* Reserved whatever the site says. */
	assert_int_equal(route_address(&cf, "listmaster@d.org", 16, &r), ROUTE_INVALID);
	assert_int_equal(route_address(&cf, "admins-request@d.org", 20, &r), ROUTE_INVALID);
	assert_int_equal(route_address(&cf, "rp-owner@d.org", 14, &r), ROUTE_INVALID);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(route_kind_name(ROUTE_POST), "post");
	assert_string_equal(route_kind_name(ROUTE_ROBOT_REQUEST), "robot-request");
	assert_string_equal(route_kind_name(ROUTE_BOUNCE), "bounce");
	assert_string_equal(route_kind_name((enum route_kind)99), "invalid");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_site_config),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
