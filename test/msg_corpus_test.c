/*
 * msg_corpus_test - the message parser against real messages, read in
 * place from the external corpora: CPython's MIME test messages (compared
 * with Python's parse in reference-structure.tsv) and sisimai's bounces in
 * LF, CRLF and CR forms and in mbox files. Skips when the corpora are
 * absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "msg.h"
#include "testutil.h"

#define CORPUS_MAX	(64 * 1024 * 1024)

/*
 * Floors: the counts reached. Herald agrees with Python on every message
 * and column, including the hard ones: msg_38 (outer delimiters inside an
 * inner part end it), msg_39 (an inner multipart reusing the outer
 * boundary never starts), msg_16 and msg_43 (message/delivery-status
 * parsed as blocks of fields), msg_25 and msg_41 (multipart without a
 * boundary kept as a leaf). A lower figure after a change is a regression.
 */
#define CPYTHON_TREE_FLOOR	48
#define CPYTHON_LEAVES_FLOOR	48
#define CPYTHON_BOUNDARY_FLOOR	48
#define CPYTHON_CHARSETS_FLOOR	48

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted set of charset parameters, lower-cased, comma-separated. */
static void
charsets(const struct msg *m, struct buf *out)
{
	char **set = calloc(m->nparts + 1, sizeof *set);
	size_t n = 0;

	for (size_t i = 0; i < m->nparts; i++) {
		const char *cs = msg_part_charset(m->parts[i]);
		size_t j;

		if (cs == NULL)
			continue;
		set[n] = strdup(cs);
		for (char *q = set[n]; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		for (j = 0; j < n && strcmp(set[j], set[n]) != 0; j++)
			;
		if (j < n)
			free(set[n]);
		else
			n++;
	}
	qsort(set, n, sizeof *set, cmp_str);
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "%s%s", i ? "," : "", set[i]);
		free(set[i]);
	}
	free(set);
}

static size_t
leaves(const struct msg *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nparts; i++)
		n += m->parts[i]->child == NULL;
	return n;
}

/* Every part decodes and every field unfolds: what a daemon would do. */
static void
walk(const struct msg *m)
{
	struct buf b = BUF_INIT(CORPUS_MAX);

	for (size_t i = 0; i < m->nparts; i++) {
		const struct msg_part *p = m->parts[i];

		if (p->body_off > p->body_end || p->body_end > m->len)
			fail_msg("part %zu: body %zu-%zu of %zu", i, p->body_off, p->body_end, m->len);
		assert_true(p->hdr_off <= p->hdr_end && p->hdr_end <= p->body_off);
		for (size_t j = 0; j < p->nheaders; j++) {
			buf_reset(&b);
			assert_int_equal(msg_header_unfold(m, &p->headers[j], &b), 0);
		}
		buf_reset(&b);
		assert_int_equal(msg_part_decode(m, p, &b), 0);
		buf_reset(&b);
		msg_part_filename(p, &b);
	}
	buf_reset(&b);
	msg_subject(m, &b);
	buf_free(&b);
}

static int
compare(const char *what, const char *file, const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return 1;
	printf("  %s %s: got %s, want %s\n", file, what, got, want);
	return 0;
}

static void
test_cpython(void **state)
{
	const char *path = test_corpus_path("cpython-email-testdata/reference-structure.tsv");
	struct tsv *t;
	int c_file, c_tree, c_leaves, c_bnd, c_cs;
	int n_tree = 0, n_leaves = 0, n_bnd = 0, n_cs = 0;
	struct buf data = BUF_INIT(CORPUS_MAX), got = BUF_INIT(1 << 20);
	char file[4096];

	(void)state;
	if (path == NULL || (t = test_tsv_load(path, 1)) == NULL) {
		printf("cpython: corpus not found, skipped\n");
		skip();
	}
	c_file = test_tsv_col(t, "file");
	c_tree = test_tsv_col(t, "mime_tree");
	c_leaves = test_tsv_col(t, "leaf_parts");
	c_bnd = test_tsv_col(t, "top_boundary");
	c_cs = test_tsv_col(t, "charsets");
	assert_true(c_file >= 0 && c_tree >= 0 && c_leaves >= 0 && c_bnd >= 0 && c_cs >= 0);
	for (int i = 0; i < t->nrows; i++) {
		char **row = t->rows[i];
		const struct mime_param *bp;
		struct msg *m;
		struct buf err = BUF_INIT(256);

		snprintf(file, sizeof file, "%s",
		    test_corpus_path("cpython-email-testdata/data/"));
		strncat(file, row[c_file], sizeof file - strlen(file) - 1);
		assert_int_equal(test_read_file(file, &data), 0);
		m = msg_parse(data.data, data.len, NULL, &err);
		if (m == NULL)
			fail_msg("%s: %s", row[c_file], buf_cstr(&err));
		walk(m);

		buf_reset(&got);
		msg_tree_format(m->root, &got);
		n_tree += compare("mime_tree", row[c_file], buf_cstr(&got), row[c_tree]);
		buf_reset(&got);
		buf_printf(&got, "%zu", leaves(m));
		n_leaves += compare("leaf_parts", row[c_file], buf_cstr(&got), row[c_leaves]);
		bp = msg_part_param(m->root, "boundary");
		n_bnd += compare("top_boundary", row[c_file], bp ? bp->value : "", row[c_bnd]);
		buf_reset(&got);
		charsets(m, &got);
		n_cs += compare("charsets", row[c_file], buf_cstr(&got), row[c_cs]);
		msg_free(m);
		buf_free(&err);
	}
	printf("cpython mime_tree: %d/%d match\n", n_tree, t->nrows);
	printf("cpython leaf_parts: %d/%d match\n", n_leaves, t->nrows);
	printf("cpython top_boundary: %d/%d match\n", n_bnd, t->nrows);
	printf("cpython charsets: %d/%d match\n", n_cs, t->nrows);
	assert_true(n_tree >= CPYTHON_TREE_FLOOR);
	assert_true(n_leaves >= CPYTHON_LEAVES_FLOOR);
	assert_true(n_bnd >= CPYTHON_BOUNDARY_FLOOR);
	assert_true(n_cs >= CPYTHON_CHARSETS_FLOOR);
	test_tsv_free(t);
	buf_free(&data);
	buf_free(&got);
}

/* Parse one message, check it has fields and a root; returns its defects. */
static unsigned int
parse_one(const char *name, const char *data, size_t len, size_t *parts)
{
	struct buf err = BUF_INIT(256);
	struct msg *m = msg_parse(data, len, NULL, &err);
	unsigned int defects;

	if (m == NULL)
		fail_msg("%s: %s", name, buf_cstr(&err));
	assert_non_null(m->root);
	if (m->root->nheaders == 0)
		fail_msg("%s: no header field", name);
	walk(m);
	*parts += m->nparts;
	defects = m->defects;
	msg_free(m);
	buf_free(&err);
	return defects;
}

static void
test_sisimai_maildir(void **state)
{
	static const char *dirs[] = { "bsd", "dos", "mac", "err", "not" };
	struct buf data = BUF_INIT(CORPUS_MAX);

	(void)state;
	if (test_corpus_path("sisimai-set-of-emails/maildir") == NULL) {
		printf("sisimai: corpus not found, skipped\n");
		skip();
	}
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char rel[256], **files;
		size_t n = 0, parts = 0, with_defects = 0;

		snprintf(rel, sizeof rel, "sisimai-set-of-emails/maildir/%s", dirs[d]);
		if ((files = test_list_dir(test_corpus_path(rel), ".eml")) == NULL) {
			printf("sisimai %s: not found, skipped\n", dirs[d]);
			skip();
		}
		for (char **f = files; *f; f++, n++) {
			assert_int_equal(test_read_file(*f, &data), 0);
			with_defects += parse_one(*f, data.data, data.len, &parts) != 0;
		}
		printf("sisimai maildir/%s: %zu messages parsed, %zu parts, %zu with defects\n",
		    dirs[d], n, parts, with_defects);
		assert_true(n > 0);
		test_free_list(files);
	}
	buf_free(&data);
}

/* Split an mbox on lines starting with "From " and parse each message. */
static size_t
parse_mbox(const char *name, const char *data, size_t len, size_t *parts)
{
	size_t start = 0, n = 0;

	for (size_t i = 0; i <= len; i++) {
		int from = i + 5 <= len && (i == 0 || data[i - 1] == '\n') &&
		    memcmp(data + i, "From ", 5) == 0;

		if ((from && i > start) || (i == len && i > start)) {
			parse_one(name, data + start, i - start, parts);
			n++;
		}
		if (from)
			start = i;
	}
	return n;
}

static void
test_sisimai_mailbox(void **state)
{
	static const char *boxes[] = { "mbox-0", "mbox-1" };
	static const char *tiny[] = { "size-0", "size-1", "size-2" };
	struct buf data = BUF_INIT(CORPUS_MAX);
	const char *path;

	(void)state;
	if (test_corpus_path("sisimai-set-of-emails/mailbox") == NULL) {
		printf("sisimai: corpus not found, skipped\n");
		skip();
	}
	for (size_t i = 0; i < sizeof boxes / sizeof boxes[0]; i++) {
		char rel[256];
		size_t n, parts = 0;

		snprintf(rel, sizeof rel, "sisimai-set-of-emails/mailbox/%s", boxes[i]);
		path = test_corpus_path(rel);
		assert_int_equal(test_read_file(path, &data), 0);
		n = parse_mbox(boxes[i], data.data, data.len, &parts);
		printf("sisimai mailbox/%s: %zu messages parsed, %zu parts\n", boxes[i], n, parts);
		assert_true(n >= 1);
	}
	for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
		char rel[256];
		struct msg *m;

		snprintf(rel, sizeof rel, "sisimai-set-of-emails/mailbox/%s", tiny[i]);
		assert_int_equal(test_read_file(test_corpus_path(rel), &data), 0);
		m = msg_parse(data.data, data.len, NULL, NULL);
		assert_non_null(m);
		assert_non_null(m->root);
		walk(m);
		msg_free(m);
	}
	printf("sisimai mailbox/size-0,1,2: parsed\n");
	buf_free(&data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpython),
		cmocka_unit_test(test_sisimai_maildir),
		cmocka_unit_test(test_sisimai_mailbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
