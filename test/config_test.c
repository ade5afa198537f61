/*
 * config_test - herald.yaml: defaults, typed values, and every kind of
 * error reported with file, line and key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

static char *tmpdir;

static int
setup(void **state)
{
	(void)state;
	tmpdir = test_mkdtemp("config");
	return tmpdir ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

static const char *
write_yaml(const char *text)
{
	static char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/herald.yaml", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_defaults(void **state)
{
	struct config *cf = config_defaults();

	(void)state;
	assert_string_equal(config_str(cf, CF_DOMAIN), "localhost");
	assert_string_equal(config_str(cf, CF_LISTMASTER), "listmaster@localhost");
	assert_string_equal(config_str(cf, CF_SPOOL_DIRECTORY), "/var/spool/herald");
	assert_int_equal(config_int(cf, CF_MAX_SIZE), 5 * 1024 * 1024);
	assert_true(strlen(config_str(cf, CF_MYHOSTNAME)) > 0);
	assert_false(config_explicit(cf, CF_DOMAIN));
	config_free(cf);
}

static void
test_values_and_derived(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct config *cf;

	(void)state;
	cf = config_load(write_yaml(
	    "# site\n"
	    "domain: lists.example.org\n"
	    "spool_directory: /srv/herald/spool\n"
	    "max_size: 512k\n"
	    "queue_max_size: 1G\n"
	    "relay: '[::1]:2525'\n"
	    "log_facility: local3\n"
	    "myhostname: mx1.example.org\n"
	    "alias_format: exim\n"
	    "state_directory: /srv/herald/state\n"), &err);
	if (cf == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_string_equal(config_str(cf, CF_DOMAIN), "lists.example.org");
	assert_string_equal(config_str(cf, CF_LISTMASTER), "listmaster@lists.example.org");
	assert_int_equal(config_int(cf, CF_MAX_SIZE), 512 * 1024);
	assert_int_equal(config_int(cf, CF_QUEUE_MAX_SIZE), 1024LL * 1024 * 1024);
	assert_string_equal(config_str(cf, CF_RELAY), "[::1]:2525");
	assert_string_equal(config_str(cf, CF_ALIAS_FORMAT), "exim");
	assert_string_equal(config_str(cf, CF_LISTS_DIRECTORY), "/srv/herald/state/lists");
	assert_string_equal(config_str(cf, CF_ALIAS_FILE), "/srv/herald/state/aliases");
	assert_true(config_explicit(cf, CF_DOMAIN));
	assert_false(config_explicit(cf, CF_LISTMASTER));
	config_free(cf);
	buf_free(&err);
}

static void
test_empty_file_is_defaults(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct config *cf;

	(void)state;
	assert_non_null(cf = config_load(write_yaml(""), &err));
	assert_string_equal(config_str(cf, CF_DOMAIN), "localhost");
	config_free(cf);
	assert_non_null(cf = config_load(write_yaml("# nothing but a comment\n---\n"), &err));
	config_free(cf);
	buf_free(&err);
}

static void
test_errors_name_file_line_and_key(void **state)
{
	static const struct {
		const char *yaml;
		const char *want;	/* substring of the error, after the path */
	} cases[] = {
		{ "domain: a\nbogus: 1\n", ":2: bogus: unknown parameter" },
		{ "max_size: lots\n", ":1: max_size: expected a size" },
		{ "max_size: 1\n", ":1: max_size: value out of range '1'" },
		{ "max_size: 99999999999999999999\n", ":1: max_size: expected a size" },
		{ "relay: localhost\n", ":1: relay: expected host:port" },
		{ "relay: h:70000\n", ":1: relay: expected host:port" },
		{ "spool_directory: relative/path\n", ":1: spool_directory: expected an absolute path" },
		{ "listmaster: nobody\n", ":1: listmaster: expected an address" },
		{ "log_facility: kern9\n", ":1: log_facility: expected a syslog facility" },
		{ "domain: a\ndomain: b\n", ":2: domain: set twice" },
		{ "domain:\n  - a\n  - b\n", ":2: domain: expected a single value" },
		{ "domain: \"a\\x01b\"\n", ":1: domain: control characters" },
		{ "domain:\n", ":1: domain: empty value" },
		{ "- domain\n", ":1: expected a mapping" },
		{ "domain: [unclosed\n", "YAML syntax error" },
		{ "? [a, b]\n: c\n", ":1: expected a parameter name" },
		{ "alias_format: qmail\n", ":1: alias_format: not one of the allowed values 'qmail' (postfix|sendmail|exim)" },
		{ "alias_format: post\n", ":1: alias_format: not one of the allowed values" },
	};
	struct buf err = BUF_INIT(4096);

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *path = write_yaml(cases[i].yaml);
		struct config *cf;

		buf_reset(&err);
		cf = config_load(path, &err);
		if (cf != NULL || strstr(buf_cstr(&err), cases[i].want) == NULL ||
		    strncmp(buf_cstr(&err), path, strlen(path)) != 0)
			fail_msg("case %zu: want '%s', got '%s'", i, cases[i].want,
			    buf_cstr(&err));
	}
	buf_free(&err);
}

static void
test_every_error_reported(void **state)
{
	struct buf err = BUF_INIT(4096);
	int lines = 0;

	(void)state;
	assert_null(config_load(write_yaml("a: 1\nmax_size: x\nrelay: y\n"), &err));
	for (const char *p = buf_cstr(&err); (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 3);
	buf_free(&err);
}

static void
test_missing_and_oversized_files(void **state)
{
	struct buf err = BUF_INIT(4096);
	char path[4096];
	FILE *f;

	(void)state;
	assert_null(config_load("/nonexistent/herald.yaml", &err));
	assert_non_null(strstr(buf_cstr(&err), "cannot open"));
	snprintf(path, sizeof path, "%s/big.yaml", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	for (int i = 0; i < CONFIG_FILE_MAX / 10 + 1; i++)
		fputs("# 8 bytes\n", f);
	fclose(f);
	buf_reset(&err);
	assert_null(config_load(path, &err));
	assert_non_null(strstr(buf_cstr(&err), "larger than"));
	buf_free(&err);
}

static void
test_load_over_keeps_base(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct config *site, *dom;

	(void)state;
	assert_non_null(site = config_load(write_yaml("domain: example.org\nmax_size: 1M\n"),
	    &err));
	assert_non_null(dom = config_load_over(site, write_yaml("domain: lists.example.net\n"),
	    &err));
	assert_string_equal(config_str(dom, CF_DOMAIN), "lists.example.net");
	assert_string_equal(config_str(dom, CF_LISTMASTER), "listmaster@lists.example.net");
	assert_int_equal(config_int(dom, CF_MAX_SIZE), 1024 * 1024);
	assert_string_equal(config_str(site, CF_DOMAIN), "example.org");
	config_free(site);
	config_free(dom);
	buf_free(&err);
}

static void
test_path_choice_and_metadata(void **state)
{
	(void)state;
	unsetenv("HERALD_CONFIG");
	assert_string_equal(config_path("/x.yaml"), "/x.yaml");
	assert_string_equal(config_path(NULL), HERALD_CONFIG_PATH);
	setenv("HERALD_CONFIG", "/env.yaml", 1);
	assert_string_equal(config_path(NULL), "/env.yaml");
	unsetenv("HERALD_CONFIG");
	assert_int_equal(config_lookup("max_size"), CF_MAX_SIZE);
	assert_int_equal(config_lookup("nope"), -1);
	assert_int_equal(config_type_of(CF_RELAY), CONFIG_HOSTPORT);
	for (int i = 0; i < CONFIG_NPARAMS; i++)
		assert_true(strlen(config_doc((enum config_param)i)) > 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_and_derived),
		cmocka_unit_test(test_empty_file_is_defaults),
		cmocka_unit_test(test_errors_name_file_line_and_key),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_missing_and_oversized_files),
		cmocka_unit_test(test_load_over_keeps_base),
		cmocka_unit_test(test_path_choice_and_metadata),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
