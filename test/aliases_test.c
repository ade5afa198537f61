/*
 * aliases_test - the aliases generator without a database: golden files
 * for Postfix and Exim from a fixed site and a fixed set of lists in three
 * domains, the compiled-in templates against the files in aliases/, and the
 * refusals (names that would inject, collisions, unusable settings).
 *
 * Runs from the repository root (test/data/aliases/, aliases/). With
 * HERALD_UPDATE_GOLDEN=1 the golden files are written instead of compared
 * (then read the diff before committing them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <cmocka.h>

#include "aliases.h"
#include "buf.h"
#include "testutil.h"

static const struct aliases_domain test_domains[] = {
	{ "b.example.net", "robot", "bounce" },	/* given out of order on purpose */
	{ "lists.example.org", "sympa", "bounce" },
	{ "a.example.com", "sympa", "return" },
};

static const struct aliases_list test_lists[] = {
	{ "staff", "a.example.com" },
	{ "staff", "lists.example.org" },
	{ "news.letter", "lists.example.org" },
	{ "dev_team-2", "b.example.net" },
	{ "all", "lists.example.org" },
};

static struct aliases_input
test_input(enum aliases_format f)
{
	struct aliases_input in = {
		.format = f,
		.site_domain = "lists.example.org",
		.libexec = "/usr/local/libexec/herald",
		.config_path = "/etc/herald/herald.yaml",
		.domains = test_domains,
		.ndomains = sizeof test_domains / sizeof test_domains[0],
		.lists = test_lists,
		.nlists = sizeof test_lists / sizeof test_lists[0],
	};

	return in;
}

static void
test_golden(const char *path, const struct buf *got)
{
	struct buf want = BUF_INIT(BUF_UNLIMITED);
	const char *update = getenv("HERALD_UPDATE_GOLDEN");

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

static void
test_golden_postfix(void **state)
{
	struct aliases_input in = test_input(ALIASES_POSTFIX);
	struct buf al = BUF_INIT(BUF_UNLIMITED), vi = BUF_INIT(BUF_UNLIMITED);
	struct buf err = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	assert_int_equal(aliases_render(&in, aliases_template(in.format), &al, &vi,
	    &err), EX_OK);
	assert_string_equal(buf_cstr(&err), "");
	test_golden("test/data/aliases/postfix.aliases.golden", &al);
	test_golden("test/data/aliases/postfix.virtual.golden", &vi);
	buf_free(&al);
	buf_free(&vi);
	buf_free(&err);
}

static void
test_golden_exim(void **state)
{
	struct aliases_input in = test_input(ALIASES_EXIM);
	struct buf al = BUF_INIT(BUF_UNLIMITED), err = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	assert_int_equal(aliases_render(&in, aliases_template(in.format), &al, NULL,
	    &err), EX_OK);
	assert_string_equal(buf_cstr(&err), "");
	test_golden("test/data/aliases/exim.aliases.golden", &al);
	buf_free(&al);
	buf_free(&err);
}

/* Sendmail shares Postfix's template and output. */
static void
test_sendmail_is_postfix(void **state)
{
	struct aliases_input p = test_input(ALIASES_POSTFIX), s = test_input(ALIASES_SENDMAIL);
	struct buf a = BUF_INIT(BUF_UNLIMITED), b = BUF_INIT(BUF_UNLIMITED);
	struct buf va = BUF_INIT(BUF_UNLIMITED), vb = BUF_INIT(BUF_UNLIMITED);
	struct buf err = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	assert_int_equal(aliases_render(&p, aliases_template(p.format), &a, &va, &err), EX_OK);
	assert_int_equal(aliases_render(&s, aliases_template(s.format), &b, &vb, &err), EX_OK);
	assert_string_equal(buf_cstr(&a), buf_cstr(&b));
	assert_string_equal(buf_cstr(&va), buf_cstr(&vb));
	assert_int_equal(aliases_format_of("sendmail"), ALIASES_SENDMAIL);
	assert_int_equal(aliases_format_of("qmail"), -1);
	buf_free(&a);
	buf_free(&b);
	buf_free(&va);
	buf_free(&vb);
	buf_free(&err);
}

/* The compiled-in templates are the files in aliases/, byte for byte. */
static void
test_templates_match_files(void **state)
{
	static const struct { enum aliases_format f; const char *path; } t[] = {
		{ ALIASES_POSTFIX, "aliases/postfix.aliases" },
		{ ALIASES_EXIM, "aliases/exim.aliases" },
	};
	struct buf b = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (test_read_file(t[i].path, &b) < 0)
			fail_msg("%s: cannot read", t[i].path);
		if (strcmp(buf_cstr(&b), aliases_template(t[i].f)) != 0)
			fail_msg("%s differs from its copy in lib/aliases.c", t[i].path);
	}
	buf_free(&b);
}

/* Names that must never reach a line, each beside a good list. */
static const char *const test_bad_names[] = {
	"a;rm -rf /", "a\nb: \"|/bin/sh\"", "a b", "a\"b", "a\\b", "a|b", "a$(id)",
	"a`id`", "Staff", "", "-x", ".x", "x/../y", "caf\xc3\xa9", "a\tb", "a\rb",
	"a:b", "a,b", "a+b", "staff-request", "x-owner", "sympa", "bounce",
	"listmaster", "abuse-feedback-report", "mailer-daemon",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 51 */
};

static void
test_refused_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof test_bad_names / sizeof test_bad_names[0]; i++) {
		for (int f = ALIASES_POSTFIX; f <= ALIASES_EXIM; f++) {
			struct aliases_list l[] = {
				{ "good", "lists.example.org" },
				{ test_bad_names[i], "lists.example.org" },
				{ test_bad_names[i], "a.example.com" },
			};
			struct aliases_input in = test_input((enum aliases_format)f);
			struct buf al = BUF_INIT(BUF_UNLIMITED), vi = BUF_INIT(BUF_UNLIMITED);
			struct buf err = BUF_INIT(BUF_UNLIMITED);
			const char *bad = test_bad_names[i];

			in.lists = l;
			in.nlists = 3;
			if (aliases_render(&in, aliases_template(in.format), &al, &vi,
			    &err) != EX_DATAERR)
				fail_msg("'%s' was not refused", bad);
			assert_non_null(strstr(buf_cstr(&err), "refused"));
			assert_non_null(strstr(buf_cstr(&al), "\ngood: ") ?
			    strstr(buf_cstr(&al), "\ngood: ") :
			    strstr(buf_cstr(&al), "\ngood@lists.example.org: "));
			/* No block for it in the default domain, the name nowhere (a
			 * domain may use another domain's reserved names; the domain's
			 * own names excepted: they are there anyway). */
			{
				struct buf mark = BUF_INIT(BUF_UNLIMITED);

				buf_printf(&mark, "# list %s@lists.example.org", bad);
				if (strstr(buf_cstr(&al), buf_cstr(&mark)) != NULL)
					fail_msg("'%s' has a block", bad);
				buf_free(&mark);
			}
			if (strlen(bad) > 0 && strstr(buf_cstr(&al), bad) != NULL &&
			    strcmp(bad, "sympa") != 0 && strcmp(bad, "bounce") != 0 &&
			    strcmp(bad, "listmaster") != 0 &&
			    strcmp(bad, "abuse-feedback-report") != 0)
				fail_msg("'%s' reached the file", bad);
			assert_null(strstr(buf_cstr(&al), "/bin/sh"));
			for (size_t j = 0; j < al.len; j++) {
				unsigned char c = (unsigned char)al.data[j];

				if (c != '\n' && c != '\t' && (c < 0x20 || c > 0x7e))
					fail_msg("byte 0x%02x in the file for '%s'", c, bad);
			}
			buf_free(&al);
			buf_free(&vi);
			buf_free(&err);
		}
	}
}

/* A default-domain list named like another domain's qualified alias. */
static void
test_collision(void **state)
{
	struct aliases_list l[] = {
		{ "staff", "a.example.com" },
		{ "a.example.com-staff", "lists.example.org" },
	};
	struct aliases_input in = test_input(ALIASES_POSTFIX);
	struct buf al = BUF_INIT(BUF_UNLIMITED), vi = BUF_INIT(BUF_UNLIMITED);
	struct buf err = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	in.lists = l;
	in.nlists = 2;
	assert_int_equal(aliases_render(&in, aliases_template(in.format), &al, &vi,
	    &err), EX_DATAERR);
	/* The default domain comes first, so the other domain's list loses. */
	assert_non_null(strstr(buf_cstr(&err), "list staff@a.example.com: refused"));
	assert_non_null(strstr(buf_cstr(&al), "\na.example.com-staff: \"|"));
	assert_null(strstr(buf_cstr(&vi), "staff@a.example.com"));
	/* Exim keys by address: no collision there. */
	in.format = ALIASES_EXIM;
	buf_reset(&err);
	assert_int_equal(aliases_render(&in, aliases_template(in.format), &al, NULL,
	    &err), EX_OK);
	buf_free(&al);
	buf_free(&vi);
	buf_free(&err);
}

/* Site-wide and domain-wide problems stop everything: nothing is usable. */
static void
test_bad_settings(void **state)
{
	static const char *const bad_paths[] = {
		"relative/path", "/with space", "/semi;colon", "/quote\"d", "/new\nline",
		"/dollar$x", "", "/back\\slash",
	};
	struct aliases_input in;
	struct buf al = BUF_INIT(BUF_UNLIMITED), vi = BUF_INIT(BUF_UNLIMITED);
	struct buf err = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
		in = test_input(ALIASES_POSTFIX);
		in.libexec = bad_paths[i];
		assert_int_equal(aliases_render(&in, aliases_template(in.format), &al,
		    &vi, &err), EX_CONFIG);
		in = test_input(ALIASES_EXIM);
		in.config_path = bad_paths[i];
		assert_int_equal(aliases_render(&in, aliases_template(in.format), &al,
		    &vi, &err), EX_CONFIG);
	}
	{
		struct aliases_domain d[] = {
			{ "lists.example.org", "sympa", "bounce" },
			{ "a;b.example.com", "sympa", "bounce" },
		};

		in = test_input(ALIASES_POSTFIX);
		in.domains = d;
		in.ndomains = 2;
		in.nlists = 0;
		assert_int_equal(aliases_render(&in, aliases_template(in.format), &al,
		    &vi, &err), EX_CONFIG);
		d[1].name = "a.example.com";
		d[1].robot = "x y";
		assert_int_equal(aliases_render(&in, aliases_template(in.format), &al,
		    &vi, &err), EX_CONFIG);
		/* robot and bounce the same: the domain's own aliases collide. */
		d[1].robot = "bounce";
		assert_int_equal(aliases_render(&in, aliases_template(in.format), &al,
		    &vi, &err), EX_CONFIG);
	}
	buf_free(&al);
	buf_free(&vi);
	buf_free(&err);
}

static void
test_unknown_domain_and_template(void **state)
{
	struct aliases_list l[] = { { "x", "nowhere.example" } };
	struct aliases_input in = test_input(ALIASES_POSTFIX);
	struct buf al = BUF_INIT(BUF_UNLIMITED), vi = BUF_INIT(BUF_UNLIMITED);
	struct buf err = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	in.lists = l;
	in.nlists = 1;
	assert_int_equal(aliases_render(&in, aliases_template(in.format), &al, &vi,
	    &err), EX_DATAERR);
	assert_non_null(strstr(buf_cstr(&err), "x@nowhere.example refused"));
	in = test_input(ALIASES_POSTFIX);
	assert_int_equal(aliases_render(&in, "[domain]\n{nope}: x\n[list]\n", &al,
	    &vi, &err), EX_SOFTWARE);
	assert_int_equal(aliases_render(&in, "stray\n[domain]\n[list]\n", &al,
	    &vi, &err), EX_SOFTWARE);
	assert_int_equal(aliases_render(&in, "[domain]\n{list}: x\n[list]\n", &al,
	    &vi, &err), EX_SOFTWARE);
	buf_free(&al);
	buf_free(&vi);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_postfix),
		cmocka_unit_test(test_golden_exim),
		cmocka_unit_test(test_sendmail_is_postfix),
		cmocka_unit_test(test_templates_match_files),
		cmocka_unit_test(test_refused_names),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_unknown_domain_and_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
