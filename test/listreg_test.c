/*
 * listreg_test - the registry of lists: load, refresh after a change, an
 * addition and a removal, two domains with the same list name, a broken
 * list kept with its reason, and domains (lib/domain.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "domain.h"
#include "listreg.h"
#include "testutil.h"

static char *tmpdir;
static struct config *site;

static int
setup(void **state)
{
	struct buf text = BUF_INIT(8192), err = BUF_INIT(8192);

	(void)state;
	if ((tmpdir = test_mkdtemp("listreg")) == NULL)
		return -1;
	buf_printf(&text, "domain: example.org\nlists_directory: %s/lists\nmax_size: 1M\n", tmpdir);
	site = config_load_text(NULL, "herald.yaml", text.data, text.len, &err);
	buf_free(&text);
	buf_free(&err);
	return site ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	config_free(site);
	test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

static void
write_file(const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/lists/%s", tmpdir, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
make_list(const char *domain, const char *name, const char *subject)
{
	struct buf err = BUF_INIT(8192), dir = BUF_INIT(4096);
	struct listconf_admin owner = { "owner@example.org", NULL, NULL, NULL, NULL };

	buf_printf(&dir, "%s/lists", tmpdir);
	if (listconf_write_new(buf_cstr(&dir), domain, name, subject, &owner, 1, &err) < 0)
		fail_msg("%s", buf_cstr(&err));
	buf_free(&err);
	buf_free(&dir);
}

static void
test_domains(void **state)
{
	struct buf err = BUF_INIT(8192);
	struct config *cf;
	char **v;

	(void)state;
	v = domain_list(site, &err);
	assert_non_null(v);
	assert_null(v[0]);	/* no lists_directory yet: no domain */
	domain_list_free(v);
	assert_int_equal(domain_create(site, "example.org", &err), 0);
	assert_int_equal(domain_create(site, "b.example", &err), 0);
	assert_int_equal(domain_create(site, "example.org", &err), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(domain_create(site, "../evil", &err), -1);
	assert_int_equal(domain_create(site, "Upper.org", &err), -1);
	assert_true(domain_exists(site, "b.example"));
	assert_false(domain_exists(site, "c.example"));
	v = domain_list(site, &err);
	assert_string_equal(v[0], "b.example");
	assert_string_equal(v[1], "example.org");
	assert_null(v[2]);
	domain_list_free(v);
	/* The effective configuration: the domain, derived values, domain.yaml over the site. */
	cf = domain_config(site, "b.example", &err);
	assert_non_null(cf);
	assert_string_equal(config_str(cf, CF_DOMAIN), "b.example");
	assert_string_equal(config_str(cf, CF_LISTMASTER), "listmaster@b.example");
	assert_int_equal(config_int(cf, CF_MAX_SIZE), 1024 * 1024);
	config_free(cf);
	write_file("b.example/domain.yaml", "max_size: 2M\nlistmaster: boss@b.example\n");
	cf = domain_config(site, "b.example", &err);
	assert_non_null(cf);
	assert_int_equal(config_int(cf, CF_MAX_SIZE), 2 * 1024 * 1024);
	assert_string_equal(config_str(cf, CF_LISTMASTER), "boss@b.example");
	config_free(cf);
	write_file("b.example/domain.yaml", "domain: other.example\n");
	buf_reset(&err);
	assert_null(domain_config(site, "b.example", &err));
	assert_non_null(strstr(buf_cstr(&err), "domain.yaml: domain:"));
	write_file("b.example/domain.yaml", "max_size: 2M\n");
	buf_free(&err);
}

static void
test_registry(void **state)
{
	struct buf err = BUF_INIT(8192);
	struct listreg_stats st;
	struct listreg *r;
	const struct listreg_entry *e, *e2;
	char path[4096];

	(void)state;
	make_list("example.org", "staff", "Staff of example.org");
	make_list("b.example", "staff", "Staff of b.example");
	make_list("example.org", "users", "Users");
	/* A directory without config.yaml is not a list; a bad name is skipped. */
	snprintf(path, sizeof path, "%s/lists/example.org/pending", tmpdir);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof path, "%s/lists/example.org/Bad Name", tmpdir);
	assert_int_equal(mkdir(path, 0750), 0);
	write_file("example.org/Bad Name/config.yaml", "subject: x\n");

	r = listreg_open(site, &st, &err);
	assert_non_null(r);
	assert_int_equal(st.lists, 3);
	assert_int_equal(st.loaded, 3);
	assert_int_equal(st.broken, 0);
	assert_int_equal(listreg_count(r), 3);
	assert_string_equal(listreg_at(r, 0)->domain, "b.example");
	assert_null(listreg_at(r, 3));
	/* Two domains, one name. */
	e = listreg_find(r, "staff", "example.org");
	e2 = listreg_find(r, "staff", "b.example");
	assert_non_null(e);
	assert_non_null(e2);
	assert_string_equal(listconf_str(e->conf, LC_SUBJECT), "Staff of example.org");
	assert_string_equal(listconf_str(e2->conf, LC_SUBJECT), "Staff of b.example");
	/* Each list takes its domain's defaults. */
	assert_int_equal(listconf_int(e->conf, LC_MAX_SIZE), 1024 * 1024);
	assert_int_equal(listconf_int(e2->conf, LC_MAX_SIZE), 2 * 1024 * 1024);
	assert_string_equal(config_str(e2->domain_config, CF_DOMAIN), "b.example");
	assert_null(listreg_find(r, "staff", "c.example"));
	assert_null(listreg_find(r, "nobody", "example.org"));

	/* Nothing changed: nothing read. */
	assert_int_equal(listreg_refresh(r, &st, &err), 0);
	assert_int_equal(st.loaded, 0);
	assert_int_equal(st.lists, 3);

	/* A change (same size, by rename: a new inode), an addition, a removal, a broken file. */
	snprintf(path, sizeof path, "%s/lists/example.org/users/config.yaml", tmpdir);
	assert_int_equal(listconf_write_file(path, "subject: Uzers\n", 15, &err), 0);
	make_list("b.example", "news", "News");
	snprintf(path, sizeof path, "%s/lists/b.example/staff", tmpdir);
	test_rmtree(path);
	write_file("example.org/staff/config.yaml", "subject: Staff\npriority: 12\n");
	assert_int_equal(listreg_refresh(r, &st, &err), 0);
	assert_int_equal(st.loaded, 3);
	assert_int_equal(st.added, 1);
	assert_int_equal(st.removed, 1);
	assert_int_equal(st.broken, 1);
	assert_int_equal(st.lists, 3);
	e = listreg_find(r, "users", "example.org");
	assert_string_equal(listconf_str(e->conf, LC_SUBJECT), "Uzers");
	assert_non_null(listreg_find(r, "news", "b.example"));
	assert_null(listreg_find(r, "staff", "b.example"));
	/* The broken list is kept, with its reason. */
	e = listreg_find(r, "staff", "example.org");
	assert_non_null(e);
	assert_int_equal(e->state, LISTREG_ERROR_CONFIG);
	assert_null(e->conf);
	assert_non_null(strstr(e->error, "config.yaml:2: priority: value out of range"));

	/* A domain.yaml that changes reloads its lists; a broken one breaks them. */
	write_file("b.example/domain.yaml", "max_size: 3M\n");
	assert_int_equal(listreg_refresh(r, &st, &err), 0);
	e = listreg_find(r, "news", "b.example");
	assert_int_equal(listconf_int(e->conf, LC_MAX_SIZE), 3 * 1024 * 1024);
	write_file("b.example/domain.yaml", "max_size: huge\n");
	assert_int_equal(listreg_refresh(r, &st, &err), 0);
	e = listreg_find(r, "news", "b.example");
	assert_int_equal(e->state, LISTREG_ERROR_CONFIG);
	assert_non_null(strstr(e->error, "domain.yaml:1: max_size"));
	write_file("b.example/domain.yaml", "");
	write_file("example.org/staff/config.yaml", "subject: Staff\n");
	assert_int_equal(listreg_refresh(r, &st, &err), 0);
	assert_int_equal(st.broken, 0);

	/* A domain removed takes its lists along. */
	snprintf(path, sizeof path, "%s/lists/b.example", tmpdir);
	test_rmtree(path);
	assert_int_equal(listreg_refresh(r, &st, &err), 0);
	assert_int_equal(st.removed, 1);
	assert_int_equal(listreg_count(r), 2);
	listreg_close(r);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
