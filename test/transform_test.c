/*
 * transform_test - the distribution transformations against golden files,
 * and their edges in code.
 *
 * test/data/transform/NAME.in is a message, NAME.args its parameters, one
 * "key: value" a line, NAME.out the exact bytes expected. Keys the harness
 * takes itself: name, domain, list_subject, robot, web_url, oneclick_url,
 * sequence, signed (part|skip), steps (comma-separated step names, all in
 * order by default), error (the run must fail with a reason holding this
 * text; NAME.out is then not read). Every other line is a line of the
 * list's config.yaml. Generated boundaries and Message-IDs are random:
 * they are replaced by "=_herald_BOUNDARY" and "<herald.ID@" before the
 * comparison. HERALD_GOLDEN_UPDATE=1 writes NAME.out instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "listconf.h"
#include "msg.h"
#include "msgedit.h"
#include "testutil.h"
#include "transform.h"

#define DATA_DIR	"test/data/transform"

struct args {
	char	*name, *domain, *list_subject, *robot, *web_url, *oneclick_url;
	char	*steps, *error;
	unsigned long sequence;
	enum transform_signed policy;
	struct buf yaml;
};

static void
args_free(struct args *a)
{
	free(a->name);
	free(a->domain);
	free(a->list_subject);
	free(a->robot);
	free(a->web_url);
	free(a->oneclick_url);
	free(a->steps);
	free(a->error);
	buf_free(&a->yaml);
}

static void
args_load(const char *path, struct args *a)
{
	struct buf text = BUF_INIT(1 << 20);
	char *line, *save = NULL;

	memset(a, 0, sizeof *a);
	buf_init(&a->yaml, 1 << 20);
	if (test_read_file(path, &text) < 0)
		fail_msg("cannot read %s", path);
	for (line = strtok_r(text.data, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *v;
		char **slot = NULL;

		if (line[0] == '#' || colon == NULL) {
			buf_printf(&a->yaml, "%s\n", line);
			continue;
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' '; v++)
			;
		if (strcmp(line, "name") == 0)
			slot = &a->name;
		else if (strcmp(line, "domain") == 0)
			slot = &a->domain;
		else if (strcmp(line, "list_subject") == 0)
			slot = &a->list_subject;
		else if (strcmp(line, "robot") == 0)
			slot = &a->robot;
		else if (strcmp(line, "web_url") == 0)
			slot = &a->web_url;
		else if (strcmp(line, "oneclick_url") == 0)
			slot = &a->oneclick_url;
		else if (strcmp(line, "steps") == 0)
			slot = &a->steps;
		else if (strcmp(line, "error") == 0)
			slot = &a->error;
		else if (strcmp(line, "sequence") == 0)
			a->sequence = strtoul(v, NULL, 10);
		else if (strcmp(line, "signed") == 0)
			a->policy = strcmp(v, "skip") == 0 ? TRANSFORM_SIGNED_SKIP :
			    TRANSFORM_SIGNED_PART;
		else
			buf_printf(&a->yaml, "%s: %s\n", line, v);
		if (slot != NULL)
			*slot = strdup(v);
	}
	if (a->name == NULL)
		a->name = strdup("dev");
	if (a->domain == NULL)
		a->domain = strdup("example.org");
	if (a->list_subject == NULL)
		a->list_subject = strdup("Developers");
	buf_puts(&a->yaml, "subject: \"");
	for (const char *p = a->list_subject; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(&a->yaml, '\\');
		buf_putc(&a->yaml, *p);
	}
	buf_puts(&a->yaml, "\"\n");
	buf_free(&text);
}

typedef int (*step_fn)(struct msgedit *, const struct transform_list *,
    const struct listconf *, struct buf *);

static enum transform_signed footer_policy;

static int
footer_step(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, struct buf *err)
{
	return transform_footer(e, l, lc, footer_policy, err);
}

static const struct { const char *name; step_fn fn; } steps[] = {
	{ "anonymize", transform_anonymize },
	{ "subject", transform_subject },
	{ "remove_headers", transform_remove_headers },
	{ "reply_to", transform_reply_to },
	{ "list_fields", transform_list_fields },
	{ "footer", footer_step },
};

static int
step_wanted(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (list == NULL)
		return 1;
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

/* Replace each "prefix" + hex digits (then, for ids, "." digits) by fixed text. */
static void
normalize(struct buf *b, const char *prefix, const char *with, int id)
{
	struct buf out = BUF_INIT(b->max);
	size_t plen = strlen(prefix), i = 0;

	while (i < b->len) {
		if (i + plen <= b->len && memcmp(b->data + i, prefix, plen) == 0) {
			size_t j = i + plen;

			while (j < b->len && strchr("0123456789abcdef", b->data[j]) && b->data[j])
				j++;
			if (id && j < b->len && b->data[j] == '.')
				for (j++; j < b->len && b->data[j] >= '0' && b->data[j] <= '9'; j++)
					;
			buf_puts(&out, with);
			i = j;
		} else
			buf_putc(&out, b->data[i++]);
	}
	buf_free(b);
	*b = out;
}

static void
run_case(const char *in_path)
{
	char base[1024], path[1100];
	struct args a;
	struct buf in = BUF_INIT(1 << 22), out = BUF_INIT(1 << 22),
	    want = BUF_INIT(1 << 22), err = BUF_INIT(4096);
	struct transform_list l;
	struct listconf *lc;
	struct msgedit *e;
	int rc = 0;

	snprintf(base, sizeof base, "%.*s", (int)(strlen(in_path) - 3), in_path);
	snprintf(path, sizeof path, "%s.args", base);
	args_load(path, &a);
	if (test_read_file(in_path, &in) < 0)
		fail_msg("cannot read %s", in_path);
	lc = listconf_load_text(path, buf_cstr(&a.yaml), a.yaml.len, NULL, &err);
	if (lc == NULL)
		fail_msg("%s: %s", path, buf_cstr(&err));
	memset(&l, 0, sizeof l);
	l.name = a.name;
	l.domain = a.domain;
	l.subject = a.list_subject;
	l.robot = a.robot;
	l.web_url = a.web_url;
	l.oneclick_url = a.oneclick_url;
	l.sequence = a.sequence;
	footer_policy = a.policy;
	e = msgedit_new(in.data, in.len, NULL, &err);
	assert_non_null(e);
	for (size_t i = 0; rc == 0 && i < sizeof steps / sizeof steps[0]; i++)
		if (step_wanted(a.steps, steps[i].name))
			rc = steps[i].fn(e, &l, lc, &err);
	if (a.error != NULL) {
		if (rc == 0 || strstr(buf_cstr(&err), a.error) == NULL)
			fail_msg("%s: want an error with \"%s\", got %d \"%s\"", base,
			    a.error, rc, buf_cstr(&err));
		goto done;
	}
	if (rc != 0)
		fail_msg("%s: %s", base, buf_cstr(&err));
	assert_int_equal(msgedit_output(e, &out), 0);
	normalize(&out, "=_herald_", "=_herald_BOUNDARY", 0);
	normalize(&out, "<herald.", "<herald.ID", 1);
	snprintf(path, sizeof path, "%s.out", base);
	if (getenv("HERALD_GOLDEN_UPDATE") != NULL) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		fwrite(out.data, 1, out.len, f);
		fclose(f);
	} else {
		if (test_read_file(path, &want) < 0)
			fail_msg("cannot read %s", path);
		if (want.len != out.len || memcmp(want.data, out.data, out.len) != 0)
			fail_msg("%s: output differs; got:\n%s", base, buf_cstr(&out));
	}
	/* Whatever the steps did, msg reads the result's top level whole. */
	{
		struct msg *m = msg_parse(out.data, out.len, NULL, NULL);

		assert_non_null(m);
		assert_false(m->root->defects & (MSG_DEFECT_NO_CLOSE_BOUNDARY |
		    MSG_DEFECT_NO_START_BOUNDARY | MSG_DEFECT_NO_SEPARATOR));
		msg_free(m);
	}
done:
	msgedit_free(e);
	listconf_free(lc);
	args_free(&a);
	buf_free(&in);
	buf_free(&out);
	buf_free(&want);
	buf_free(&err);
}

static void
test_golden(void **state)
{
	char **files = test_list_dir(DATA_DIR, ".in");
	size_t n = 0;

	(void)state;
	assert_non_null(files);
	for (char **f = files; *f; f++, n++) {
		print_message("golden %s\n", *f);
		run_case(*f);
	}
	assert_true(n >= 30);
	test_free_list(files);
}

static struct listconf *
conf(const char *yaml)
{
	struct buf err = BUF_INIT(4096);
	struct listconf *lc = listconf_load_text("t.yaml", yaml, strlen(yaml), NULL, &err);

	if (lc == NULL)
		fail_msg("%s", buf_cstr(&err));
	buf_free(&err);
	return lc;
}

/* The per-recipient List-Unsubscribe value bulk builds. */
static void
test_unsubscribe_value(void **state)
{
	static const char mailto[] = "<mailto:sympa@example.org?subject=SIG%20dev>";
	static const char *const bad[] = {
		"ftp://x/y", "https://x/a b", "https://x/<a>", "https://x/a,b",
		"https://x/\r\nBcc: y", "mailto:x@y", "https://x/\x7f",
	};
	struct buf out = BUF_INIT(4096);

	(void)state;
	assert_int_equal(transform_unsubscribe_value(mailto,
	    "https://lists.example.org/oneclick/dev/19000-abc", &out), 0);
	assert_string_equal(buf_cstr(&out),
	    "<https://lists.example.org/oneclick/dev/19000-abc>, "
	    "<mailto:sympa@example.org?subject=SIG%20dev>");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(transform_unsubscribe_value(mailto, bad[i], &out), -1);
	assert_int_equal(transform_unsubscribe_value("a\nb", "https://x/y", &out), -1);
	buf_free(&out);
}

/* Tagging twice, or a reply to a tagged post, never doubles the tag. */
static void
test_subject_idempotent(void **state)
{
	static const char *const subjects[] = {
		"Hello", "Re: [dev] Hello", "[dev] [dev] Re: RE: Hello",
		"=?utf-8?q?Caf=C3=A9_cr=C3=A8me?=", "AW: Sv: [DEV] x", "",
		"=?iso-8859-1?b?Q2Fm6SBjcuhtZQ==?= Re: x",
	};
	struct listconf *lc = conf("subject: x\ncustom_subject: \"[%list.name%]\"\n");
	struct transform_list l = { "dev", "example.org", NULL, NULL, NULL, NULL, 0, NULL };

	(void)state;
	for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
		struct buf msg = BUF_INIT(4096), once = BUF_INIT(4096),
		    twice = BUF_INIT(4096), err = BUF_INIT(256);
		struct msgedit *e;

		buf_printf(&msg, "Subject: %s\n\nb\n", subjects[i]);
		e = msgedit_new(msg.data, msg.len, NULL, NULL);
		assert_int_equal(transform_subject(e, &l, lc, &err), 0);
		assert_int_equal(msgedit_get_decoded(e, "Subject", 0, &once), 1);
		assert_int_equal(transform_subject(e, &l, lc, &err), 0);
		assert_int_equal(msgedit_get_decoded(e, "Subject", 0, &twice), 1);
		assert_string_equal(buf_cstr(&once), buf_cstr(&twice));
		assert_non_null(strstr(buf_cstr(&once), "[dev]"));
		assert_null(strstr(strstr(buf_cstr(&once), "[dev]") + 1, "[dev]"));
		msgedit_free(e);
		buf_free(&msg);
		buf_free(&once);
		buf_free(&twice);
		buf_free(&err);
	}
	listconf_free(lc);
}

/* An unknown template variable leaves the subject alone, and is no error. */
static void
test_subject_bad_template(void **state)
{
	struct listconf *lc = conf("subject: x\ncustom_subject: \"[%list.owner%]\"\n");
	struct transform_list l = { "dev", "example.org", NULL, NULL, NULL, NULL, 0, NULL };
	struct msgedit *e = msgedit_new("Subject: Hi\n\nb\n", 15, NULL, NULL);
	struct buf out = BUF_INIT(4096), err = BUF_INIT(256);

	(void)state;
	assert_int_equal(transform_subject(e, &l, lc, &err), 0);
	assert_int_equal(msgedit_output(e, &out), 0);
	assert_string_equal(buf_cstr(&out), "Subject: Hi\n\nb\n");
	msgedit_free(e);
	listconf_free(lc);
	buf_free(&out);
	buf_free(&err);
}

/*
 * Merge fields: the list's filled in at once, the user's made tokens in a
 * utf-8 8bit part of their own (even with footer_type append and a
 * base64 body), then filled per recipient; the post's own text, tokens
 * with another word included, is never touched.
 */
static void
test_merge_fields(void **state)
{
	struct listconf *lc = conf("subject: x\nfooter_type: append\n"
	    "message_footer: \"To [% user.email %] ([%user.gecos%]) of "
	    "[% listname %]@[% domain %]: [% user.escaped_email %] "
	    "[% user.password %]\"\n");
	struct transform_list l = { "dev", "example.org", NULL, NULL, NULL, NULL,
	    0, "00ff00ff00ff" };
	static const char post[] = "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "WyUgdXNlci5lbWFpbCAlXQo=\n";	/* "[% user.email %]\n" */
	static const char forged[] = "Subject: x\n\n[%00ff00ff0000:user.email%]\n";
	struct msgedit *e = msgedit_new(post, sizeof(post) - 1, NULL, NULL);
	struct buf out = BUF_INIT(1 << 16), mine = BUF_INIT(1 << 16),
	    err = BUF_INIT(256);
	const struct transform_merge_values v = { "j+x@b.org", "Jos\xc3\xa9" };
	int n8 = -1;

	(void)state;
	assert_int_equal(transform_footer(e, &l, lc, TRANSFORM_SIGNED_PART,
	    &err), 0);
	assert_int_equal(msgedit_output(e, &out), 0);
	assert_non_null(strstr(buf_cstr(&out), "multipart/mixed"));
	assert_non_null(strstr(buf_cstr(&out), "WyUgdXNlci5lbWFpbCAlXQo="));
	assert_non_null(strstr(buf_cstr(&out), "Content-Type: text/plain; "
	    "charset=utf-8\nContent-Transfer-Encoding: 8bit\n"));
	assert_non_null(strstr(buf_cstr(&out), "To [%00ff00ff00ff:user.email%] "
	    "([%00ff00ff00ff:user.gecos%]) of dev@example.org: "
	    "[%00ff00ff00ff:user.escaped_email%] [% user.password %]"));
	assert_int_equal(transform_merge(out.data, out.len, "00ff00ff00ff", &v,
	    &mine, &n8), 0);
	assert_int_equal(n8, 1);
	assert_non_null(strstr(buf_cstr(&mine), "To j+x@b.org (Jos\xc3\xa9) of "
	    "dev@example.org: j%2Bx@b.org [% user.password %]"));
	assert_null(strstr(buf_cstr(&mine), "00ff00ff00ff"));
	/* The same message less the footer: nothing else moved. */
	assert_int_equal(mine.len, out.len - 3 * (sizeof("[%00ff00ff00ff:%]") - 1)
	    - strlen("user.email") - strlen("user.gecos")
	    - strlen("user.escaped_email") + strlen("j+x@b.org") + strlen("Jos\xc3\xa9")
	    + strlen("j%2Bx@b.org"));
	/* A word that is not the job's: left as it is. */
	buf_reset(&mine);
	assert_int_equal(transform_merge(forged, sizeof(forged) - 1,
	    "00ff00ff00ff", &v, &mine, &n8), 0);
	assert_string_equal(buf_cstr(&mine), forged);
	assert_int_equal(n8, 0);
	msgedit_free(e);
	listconf_free(lc);
	buf_free(&out);
	buf_free(&mine);
	buf_free(&err);
}

/* A long encoded subject: every encoded-word fits, every line is folded. */
static void
test_subject_long_encoded(void **state)
{
	struct listconf *lc = conf("subject: x\ncustom_subject: \"[%list.name%]\"\n");
	struct transform_list l = { "dev", "example.org", NULL, NULL, NULL, NULL, 0, NULL };
	struct buf msg = BUF_INIT(1 << 16), out = BUF_INIT(1 << 16),
	    dec = BUF_INIT(1 << 16), want = BUF_INIT(1 << 16), err = BUF_INIT(256);
	struct msgedit *e;
	char *line, *save = NULL;

	(void)state;
	buf_puts(&msg, "Subject: =?utf-8?b?");
	for (int i = 0; i < 30; i++)
		buf_puts(&want, "\xc3\xa9t\xc3\xa9 ");
	buf_puts(&want, "fin");
	codec_base64_encode(want.data, want.len, &msg, 0);
	buf_puts(&msg, "?=\n\nb\n");
	e = msgedit_new(msg.data, msg.len, NULL, NULL);
	assert_int_equal(transform_subject(e, &l, lc, &err), 0);
	assert_int_equal(msgedit_get_decoded(e, "Subject", 0, &dec), 1);
	assert_string_equal(dec.data + 6, want.data);
	assert_memory_equal(dec.data, "[dev] ", 6);
	assert_int_equal(msgedit_output(e, &out), 0);
	for (line = strtok_r(out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_true(strlen(line) <= 78);
	msgedit_free(e);
	listconf_free(lc);
	buf_free(&msg);
	buf_free(&out);
	buf_free(&dec);
	buf_free(&want);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_unsubscribe_value),
		cmocka_unit_test(test_subject_idempotent),
		cmocka_unit_test(test_subject_bad_template),
		cmocka_unit_test(test_subject_long_encoded),
		cmocka_unit_test(test_merge_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
