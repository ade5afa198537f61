/*
 * family_test - list families without a database: family.yaml (template,
 * constraints) and the data file with their errors (file:line: key), the
 * filling of placeholders, each kind of constraint (fixed, controlled,
 * default, free), violations, and owner customisations kept or dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "listconf.h"

static const char fam_text[] =
    "template:\n"
    "  subject: \"Dept {name}: {subject}\"\n"
    "  custom_subject: \"{name}\"\n"
    "  send: private\n"
    "  rfc2369_header_fields: [help, post]\n"
    "  message_header: \"{{literal}} {family}@{domain}\"\n"
    "  owner:\n"
    "    - email: boss@example.org\n"
    "constraints:\n"
    "  visibility: conceal\n"
    "  send: [private, privateoropen, public]\n"
    "  max_size: {default: 5M}\n"
    "  priority: {fixed: 3}\n"
    "  rfc2369_header_fields: {allowed: [help, post, owner]}\n";

static struct family *
fam(const char *text)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct family *f = family_load_text("family.yaml", "dept", "d.example.org",
	    text, strlen(text), &err);

	if (f == NULL)
		fail_msg("family refused: %s", buf_cstr(&err));
	buf_free(&err);
	return f;
}

static void
fam_refused(const char *text, const char *want)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct family *f = family_load_text("family.yaml", "dept", "d.example.org",
	    text, strlen(text), &err);

	if (f != NULL)
		fail_msg("family accepted: %s", text);
	if (strstr(buf_cstr(&err), want) == NULL)
		fail_msg("wanted \"%s\" in: %s", want, buf_cstr(&err));
	buf_free(&err);
}

static struct family_data *
data(const char *text)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct family_data *d = family_data_load_text("data.yaml", text,
	    strlen(text), &err);

	if (d == NULL)
		fail_msg("data refused: %s", buf_cstr(&err));
	buf_free(&err);
	return d;
}

static void
data_refused(const char *text, const char *want)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct family_data *d = family_data_load_text("data.yaml", text,
	    strlen(text), &err);

	if (d != NULL)
		fail_msg("data accepted: %s", text);
	if (strstr(buf_cstr(&err), want) == NULL)
		fail_msg("wanted \"%s\" in: %s", want, buf_cstr(&err));
	buf_free(&err);
}

/* Load a generated configuration as the daemons will. */
static struct listconf *
conf(const struct buf *text)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct listconf *lc = listconf_load_text("config.yaml", text->data,
	    text->len, NULL, &err);

	if (lc == NULL)
		fail_msg("generated config does not load: %s\n%s", buf_cstr(&err),
		    buf_cstr(text));
	buf_free(&err);
	return lc;
}

/* Plan entry 0 of data text for the family text, with current/instance files. */
static int
plan(const char *ftext, const char *dtext, const char *current,
    const char *instance, struct family_result *r)
{
	struct family *f = fam(ftext);
	struct family_data *d = data(dtext);
	int rc;

	family_result_init(r);
	rc = family_instantiate(f, family_data_entry(d, 0), current,
	    current ? strlen(current) : 0, instance, instance ? strlen(instance) : 0, r);
	family_data_free(d);
	family_free(f);
	return rc;
}

static void
test_fill(void **state)
{
	struct family_result r;
	struct listconf *lc;

	(void)state;
	assert_int_equal(plan(fam_text, "lists:\n  - name: phys\n"
	    "    subject: \"Physics: \\\"real\\\" # science\"\n", NULL, NULL, &r), 0);
	if (strcmp(r.status, "open") != 0) fail_msg("%s: %s", r.status, buf_cstr(&r.reason));
	lc = conf(&r.config);
	assert_string_equal(listconf_str(lc, LC_SUBJECT),
	    "Dept phys: Physics: \"real\" # science");
	assert_string_equal(listconf_str(lc, LC_CUSTOM_SUBJECT), "phys");
	assert_string_equal(listconf_str(lc, LC_MESSAGE_HEADER), "{literal} dept@d.example.org");
	assert_string_equal(listconf_str(lc, LC_FAMILY), "dept");
	/* Constraints write in a fixed value and a default the template lacks. */
	assert_string_equal(listconf_str(lc, LC_VISIBILITY), "conceal");
	assert_int_equal(listconf_int(lc, LC_PRIORITY), 3);
	assert_int_equal(listconf_int(lc, LC_MAX_SIZE), 5 * 1024 * 1024);
	/* The template's owner, since the data names none. */
	assert_int_equal(r.nowners, 1);
	assert_string_equal(r.owners[0], "boss@example.org");
	assert_string_equal(buf_cstr(&r.config), buf_cstr(&r.instance));
	listconf_free(lc);
	family_result_free(&r);
}

static void
test_data_owners(void **state)
{
	struct family_result r;
	struct listconf *lc;
	const struct listconf_admin *a;

	(void)state;
	assert_int_equal(plan(fam_text, "lists:\n  - name: phys\n    subject: P\n"
	    "    owners: [Alice@Example.ORG, bob@example.org]\n"
	    "    editors: mod@example.org\n", NULL, NULL, &r), 0);
	assert_int_equal(r.nowners, 2);
	assert_string_equal(r.owners[0], "alice@example.org");
	lc = conf(&r.config);
	assert_int_equal(listconf_admins(lc, LC_OWNER, &a), 2);
	assert_int_equal(listconf_admins(lc, LC_EDITOR, &a), 1);
	assert_string_equal(a[0].email, "mod@example.org");
	listconf_free(lc);
	family_result_free(&r);
}

static void
test_missing_var(void **state)
{
	struct family_result r;

	(void)state;
	assert_int_equal(plan(fam_text, "lists:\n  - name: phys\n", NULL, NULL, &r), -1);
	assert_non_null(strstr(buf_cstr(&r.reason), "{subject}"));
	family_result_free(&r);
}

static void
test_fixed_violated(void **state)
{
	static const char f[] =
	    "template:\n  subject: s\n  visibility: noconceal\n"
	    "constraints:\n  visibility: conceal\n";
	struct family_result r;

	(void)state;
	assert_int_equal(plan(f, "lists:\n  - name: a\n", NULL, NULL, &r), 0);
	assert_string_equal(r.status, "error_config");
	assert_non_null(strstr(buf_cstr(&r.reason), "visibility"));
	assert_non_null(strstr(buf_cstr(&r.reason), "fixed"));
	family_result_free(&r);
	/* A list the data closes stays closed. */
	assert_int_equal(plan(f, "lists:\n  - name: a\n    status: closed\n", NULL,
	    NULL, &r), 0);
	assert_string_equal(r.status, "closed");
	assert_true(r.reason.len > 0);
	family_result_free(&r);
}

static void
test_controlled(void **state)
{
	static const char f[] =
	    "template:\n  subject: s\n  send: \"{send}\"\n"
	    "  rfc2369_header_fields: \"{fields}\"\n"
	    "constraints:\n  send: [private, public]\n"
	    "  rfc2369_header_fields: {allowed: [help, post]}\n";
	struct family_result r;

	(void)state;
	assert_int_equal(plan(f, "lists:\n  - name: a\n    send: public\n"
	    "    fields: help,post\n", NULL, NULL, &r), 0);
	assert_string_equal(r.status, "open");
	family_result_free(&r);
	assert_int_equal(plan(f, "lists:\n  - name: a\n    send: open\n"
	    "    fields: help\n", NULL, NULL, &r), 0);
	assert_string_equal(r.status, "error_config");
	assert_non_null(strstr(buf_cstr(&r.reason), "send: \"open\""));
	family_result_free(&r);
	/* Every item of a set must be allowed. */
	assert_int_equal(plan(f, "lists:\n  - name: a\n    send: private\n"
	    "    fields: help,owner\n", NULL, NULL, &r), 0);
	assert_string_equal(r.status, "error_config");
	assert_non_null(strstr(buf_cstr(&r.reason), "rfc2369_header_fields"));
	family_result_free(&r);
}

static void
test_default_and_free(void **state)
{
	static const char f[] =
	    "template:\n  subject: s\n  max_size: 2M\n  priority: 7\n"
	    "constraints:\n  max_size: {default: 5M}\n";
	struct family_result r;
	struct listconf *lc;

	(void)state;
	assert_int_equal(plan(f, "lists:\n  - name: a\n", NULL, NULL, &r), 0);
	lc = conf(&r.config);
	/* A default gives way to the template; a free parameter is anything. */
	assert_int_equal(listconf_int(lc, LC_MAX_SIZE), 2 * 1024 * 1024);
	assert_int_equal(listconf_int(lc, LC_PRIORITY), 7);
	listconf_free(lc);
	family_result_free(&r);
}

/* What a list got from the template, then an owner's edit of it. */
static void
test_customisations(void **state)
{
	static const char d[] = "lists:\n  - name: phys\n    subject: P\n";
	struct family_result first, r;
	struct buf edited = BUF_INIT(1 << 20);
	struct listconf *lc;

	(void)state;
	assert_int_equal(plan(fam_text, d, NULL, NULL, &first), 0);
	/* The owner changes custom_subject (free), send (allowed value),
	 * priority (fixed: dropped) and adds a footer (free). */
	buf_puts(&edited, buf_cstr(&first.config));
	buf_puts(&edited, "message_footer: \"Bye\"\n");
	{
		char *p;

		p = strstr(edited.data, "custom_subject: \"phys\"");
		assert_non_null(p);
		memcpy(p, "custom_subject: \"PHYS\"", 22);
		p = strstr(edited.data, "send: \"private\"");
		assert_non_null(p);
		memcpy(p, "send: \"public\" ", 15);
		p = strstr(edited.data, "priority: \"3\"");
		assert_non_null(p);
		memcpy(p, "priority: \"1\"", 13);
	}
	assert_int_equal(plan(fam_text, d, buf_cstr(&edited),
	    buf_cstr(&first.instance), &r), 0);
	assert_string_equal(r.status, "open");
	lc = conf(&r.config);
	assert_string_equal(listconf_str(lc, LC_CUSTOM_SUBJECT), "PHYS");
	assert_string_equal(listconf_str(lc, LC_SEND), "public");
	assert_string_equal(listconf_str(lc, LC_MESSAGE_FOOTER), "Bye");
	assert_int_equal(listconf_int(lc, LC_PRIORITY), 3);
	assert_non_null(strstr(buf_cstr(&r.kept), "custom_subject"));
	assert_non_null(strstr(buf_cstr(&r.kept), "message_footer"));
	assert_non_null(strstr(buf_cstr(&r.dropped), "priority"));
	assert_null(strstr(buf_cstr(&r.kept), "priority"));
	/* The instance stays the template's alone, so the edit is seen next time. */
	assert_string_equal(buf_cstr(&r.instance), buf_cstr(&first.instance));
	listconf_free(lc);
	family_result_free(&r);

	/* A customisation the family now forbids is dropped. */
	assert_int_equal(plan("template:\n  subject: \"Dept {name}: {subject}\"\n"
	    "  custom_subject: \"{name}\"\n  send: private\n"
	    "  rfc2369_header_fields: [help, post]\n  owner:\n"
	    "    - email: boss@example.org\nconstraints:\n  visibility: conceal\n"
	    "  send: private\n  max_size: {default: 5M}\n  priority: {fixed: 3}\n"
	    "  rfc2369_header_fields: {allowed: [help, post, owner]}\n",
	    d, buf_cstr(&edited), buf_cstr(&first.instance), &r), 0);
	assert_non_null(strstr(buf_cstr(&r.dropped), "send"));
	lc = conf(&r.config);
	assert_string_equal(listconf_str(lc, LC_SEND), "private");
	assert_string_equal(listconf_str(lc, LC_CUSTOM_SUBJECT), "PHYS");
	listconf_free(lc);
	family_result_free(&r);

	/* A config.yaml the owner broke: every customisation dropped. */
	assert_int_equal(plan(fam_text, d, "subject: [unclosed\n",
	    buf_cstr(&first.instance), &r), 0);
	assert_non_null(strstr(buf_cstr(&r.dropped), "does not parse"));
	assert_string_equal(buf_cstr(&r.config), buf_cstr(&first.config));
	family_result_free(&r);
	family_result_free(&first);
	buf_free(&edited);
}

static void
test_family_errors(void **state)
{
	(void)state;
	fam_refused("template:\n  subject: s\nconstraints:\n  frobnicate: 1\n",
	    "family.yaml:4: frobnicate: unknown parameter");
	fam_refused("template:\n  subject: s\nconstraints:\n  owner: a@b.c\n",
	    "owner: cannot be constrained");
	fam_refused("template:\n  subject: \"a {b\"\n", "family.yaml:2: template:");
	fam_refused("template:\n  subject: \"a } b\"\n", "lone }");
	fam_refused("template:\n  subject: s\nother: 1\n", "family.yaml:3: other: unknown key");
	fam_refused("constraints: {}\n", "template: required");
	fam_refused("template:\n  subject: s\n  subject: t\n", "subject: given twice");
	fam_refused("template:\n  subject: s\nconstraints:\n  priority: 99\n",
	    "family.yaml:4: priority: 99:");
	fam_refused("template:\n  subject: s\nconstraints:\n  send: {maybe: x}\n",
	    "a mapping must be one of");
	fam_refused("template: &a\n  subject: s\nx: *a\n", "aliases");
	fam_refused("template:\n  subject: s\n---\ntemplate: {}\n", "one YAML document");
	fam_refused("- a\n- b\n", "must be a mapping");
	fam_refused("template: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]]\n", "deeply nested");
}

static void
test_data_errors(void **state)
{
	(void)state;
	data_refused("lists:\n  - name: Bad/Name\n", "data.yaml:2: name: Bad/Name");
	data_refused("lists:\n  - name: a\n  - name: b\n  - name: a\n",
	    "listed twice");
	data_refused("lists:\n  - name: a\n    owners: [not-an-address]\n",
	    "data.yaml:3: owners: not-an-address");
	data_refused("lists:\n  - name: a\n    status: error_config\n",
	    "status: error_config: not open");
	data_refused("lists:\n  - name: a\n    x: [1, 2]\n", "x: must be one value");
	data_refused("lists:\n  - subject: s\n", "name: required");
	data_refused("lists:\n  - name: a\n    domain: x\n", "set by the command");
	data_refused("lists:\n  - name: a\n    \"bad key\": x\n", "a variable's name");
	data_refused("lists:\n  - name: a\n    s: \"two\\nlines\"\n", "one line");
	data_refused("things: []\n", "unknown key");
	data_refused("lists: 3\n", "a sequence of lists");
	data_refused("lists:\n  - name: a\n  - 5\n", "a mapping with a name");
}

static void
test_data_ok(void **state)
{
	struct family_data *d;
	const struct family_entry *e;

	(void)state;
	d = data("lists:\n  - name: b\n    x: 1\n  - name: a\n    status: closed\n"
	    "    empty:\n");
	assert_int_equal(family_data_count(d), 2);
	e = family_data_entry(d, 0);	/* sorted by name */
	assert_string_equal(e->name, "a");
	assert_string_equal(e->status, "closed");
	assert_int_equal(e->nvars, 1);
	assert_string_equal(e->var_values[0], "");
	e = family_data_entry(d, 1);
	assert_string_equal(e->status, "open");
	assert_int_equal(e->line, 2);
	family_data_free(d);
	d = data("lists:\n");
	assert_int_equal(family_data_count(d), 0);
	family_data_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_data_owners),
		cmocka_unit_test(test_missing_var),
		cmocka_unit_test(test_fixed_violated),
		cmocka_unit_test(test_controlled),
		cmocka_unit_test(test_default_and_free),
		cmocka_unit_test(test_customisations),
		cmocka_unit_test(test_family_errors),
		cmocka_unit_test(test_data_errors),
		cmocka_unit_test(test_data_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
