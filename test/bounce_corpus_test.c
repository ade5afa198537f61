/*
 * bounce_corpus_test - the report parser against sisimai's set of real
 * bounces, read in place (../shared/corpora/sisimai-set-of-emails, see its
 * MANIFEST.md). Every message of maildir/{bsd,dos,mac,err,not} parses,
 * quickly; the CRLF and CR copies read as their LF originals; on the
 * class A rows of expected-results.tsv the recipient and status accuracy
 * are printed and held to floors; the feedback (ARF) rows give their
 * type and recipient. Skips when the corpus is absent.
 *
 * HERALD_BOUNCE_VERBOSE=1 prints every miss, and every parse with =2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cmocka.h>

#include "bounce.h"
#include "buf.h"
#include "testutil.h"

#define CORPUS_MAX	(64 * 1024 * 1024)
#define CORPUS		"sisimai-set-of-emails"

/*
 * Floors, just under what the parser reaches (see the printed figures):
 * a lower figure after a change is a regression. Per mille, as counts
 * change when the corpus does.
 */
#define CLASS_A_RCPT_FLOOR	990	/* per mille of class A rows */
#define CLASS_A_STATUS_FLOOR	980
#define ARF_TYPE_FLOOR		1000	/* per mille of the ARF rows */
#define ARF_RCPT_FLOOR		1000
#define OTHER_RCPT_FLOOR	950	/* per mille of the other folders' rows */
/* The whole corpus (840 messages) parses within this, sanitizers on. */
#define CORPUS_SECONDS_MAX	20.0

static int
verbose(void)
{
	const char *v = getenv("HERALD_BOUNCE_VERBOSE");

	return v != NULL ? atoi(v) : 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One parsed corpus file, kept for the rows that name it. */
struct parsed {
	char			*name;
	struct bounce_report	 r;
};

static struct parsed *parsed;
static size_t nparsed;

static void
print_report(const char *name, const struct bounce_report *r)
{
	printf("  %s: %s/%s", name, bounce_kind_name(r->kind), r->recogniser);
	if (r->feedback_type)
		printf(" feedback=%s", r->feedback_type);
	printf("\n");
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *rc = &r->rcpts[i];

		printf("    %s %s %s%s%s diag=%s\n", rc->address,
		    bounce_action_name(rc->action), rc->status,
		    rc->status_inferred ? "(inferred)" : "",
		    rc->hard ? " hard" : "",
		    rc->diagnostic ? rc->diagnostic : "-");
	}
}

static const struct bounce_report *
parse_file(const char *dir, const char *name)
{
	struct buf data = BUF_INIT(CORPUS_MAX);
	char rel[1200], key[1024];
	struct parsed *p;

	snprintf(key, sizeof key, "%s/%s", dir, name);
	for (size_t i = 0; i < nparsed; i++)
		if (strcmp(parsed[i].name, key) == 0)
			return &parsed[i].r;
	snprintf(rel, sizeof rel, "%s/maildir/%s", CORPUS, key);
	if (test_read_file(test_corpus_path(rel), &data) < 0)
		fail_msg("%s: cannot read", rel);
	parsed = realloc(parsed, (nparsed + 1) * sizeof *parsed);
	assert_non_null(parsed);
	p = &parsed[nparsed++];
	p->name = strdup(key);
	assert_int_equal(bounce_parse(data.data, data.len, &p->r, NULL), 0);
	if (verbose() >= 2)
		print_report(name, &p->r);
	buf_free(&data);
	return &p->r;
}

static void
free_parsed(void)
{
	for (size_t i = 0; i < nparsed; i++) {
		free(parsed[i].name);
		bounce_report_free(&parsed[i].r);
	}
	free(parsed);
	parsed = NULL;
	nparsed = 0;
}

static const struct bounce_rcpt *
find_rcpt(const struct bounce_report *r, const char *addr)
{
	for (size_t i = 0; i < r->nrcpts; i++)
		if (strcasecmp(r->rcpts[i].address, addr) == 0)
			return &r->rcpts[i];
	return NULL;
}

/* Every message of every folder, timed; the invariants of bounce.h. */
static void
test_all_parse(void **state)
{
	static const char *dirs[] = { "bsd", "dos", "mac", "err", "not" };
	struct buf data = BUF_INIT(CORPUS_MAX);
	size_t total = 0, with_rcpt = 0;
	double t0 = now(), dt;

	(void)state;
	if (test_corpus_path(CORPUS "/maildir") == NULL) {
		printf("sisimai: corpus not found, skipped\n");
		skip();
	}
	for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
		char rel[256], **files;

		snprintf(rel, sizeof rel, CORPUS "/maildir/%s", dirs[d]);
		if ((files = test_list_dir(test_corpus_path(rel), ".eml")) == NULL)
			fail_msg("%s: cannot list", rel);
		for (char **f = files; *f; f++, total++) {
			struct bounce_report r;

			assert_int_equal(test_read_file(*f, &data), 0);
			assert_int_equal(bounce_parse(data.data, data.len, &r, NULL), 0);
			assert_true(r.nrcpts <= BOUNCE_RCPTS_MAX);
			for (size_t i = 0; i < r.nrcpts; i++) {
				const char *a = r.rcpts[i].address;

				assert_true(strlen(a) <= BOUNCE_ADDRESS_MAX);
				assert_non_null(strchr(a, '@'));
				for (const char *q = a; *q; q++)
					assert_false(*q >= 'A' && *q <= 'Z');
				if (r.rcpts[i].diagnostic)
					assert_true(strlen(r.rcpts[i].diagnostic) <=
					    BOUNCE_TEXT_MAX);
			}
			with_rcpt += r.nrcpts > 0;
			bounce_report_free(&r);
		}
		test_free_list(files);
	}
	dt = now() - t0;
	printf("sisimai all folders: %zu messages in %.2f s, %zu with recipients\n",
	    total, dt, with_rcpt);
	assert_true(total >= 800);
	assert_true(dt < CORPUS_SECONDS_MAX);
	buf_free(&data);
}

static int
per_mille(size_t n, size_t d)
{
	return d == 0 ? 1000 : (int)(n * 1000 / d);
}

static double
percent(size_t n, size_t d)
{
	return d == 0 ? 100.0 : 100.0 * (double)n / (double)d;
}

static void
test_class_a(void **state)
{
	const char *path = test_corpus_path(CORPUS "/expected-results.tsv");
	struct tsv *t;
	int c_file, c_rcpt, c_status, c_conf, c_hard;
	size_t rows = 0, rcpt_ok = 0, status_ok = 0;
	size_t ab_rows = 0, ab_rcpt = 0, hard_rows = 0, hard_ok = 0;
	size_t found = 0, extra = 0;

	(void)state;
	if (path == NULL || (t = test_tsv_load(path, 1)) == NULL) {
		printf("sisimai: corpus not found, skipped\n");
		skip();
	}
	c_file = test_tsv_col(t, "file");
	c_rcpt = test_tsv_col(t, "recipient");
	c_status = test_tsv_col(t, "status");
	c_conf = test_tsv_col(t, "confidence");
	c_hard = test_tsv_col(t, "hardbounce");
	assert_true(c_file >= 0 && c_rcpt >= 0 && c_status >= 0 && c_conf >= 0 &&
	    c_hard >= 0);
	for (int i = 0; i < t->nrows; i++) {
		char **row = t->rows[i];
		const struct bounce_report *r;
		const struct bounce_rcpt *rc;
		int a = strcmp(row[c_conf], "A") == 0;

		if (!a && strcmp(row[c_conf], "B") != 0)
			continue;
		r = parse_file("bsd", row[c_file]);
		rc = find_rcpt(r, row[c_rcpt]);
		ab_rows++;
		ab_rcpt += rc != NULL;
		if (rc == NULL && !a && verbose() >= 3)
			printf("  miss B rcpt %s: %s\n", row[c_file], row[c_rcpt]);
		if (rc != NULL) {
			hard_rows++;
			if (rc->hard == atoi(row[c_hard]))
				hard_ok++;
			else if (verbose() >= 3)
				printf("  miss hard %s: %s %s got %d diag=%s\n",
				    row[c_file], rc->address, rc->status, rc->hard,
				    rc->diagnostic ? rc->diagnostic : "-");
		}
		if (!a)
			continue;
		rows++;
		if (rc == NULL) {
			if (verbose())
				printf("  miss rcpt %s: %s\n", row[c_file], row[c_rcpt]);
			continue;
		}
		rcpt_ok++;
		if (strcasecmp(rc->status, row[c_status]) == 0)
			status_ok++;
		else if (verbose())
			printf("  miss status %s: %s got %s want %s\n",
			    row[c_file], row[c_rcpt], rc->status, row[c_status]);
	}
	/* Precision: recipients found that the table does not name. */
	for (size_t i = 0; i < nparsed; i++) {
		const struct bounce_report *r = &parsed[i].r;

		for (size_t j = 0; j < r->nrcpts; j++) {
			int named = 0;

			if (strncmp(parsed[i].name, "bsd/", 4) != 0)
				continue;
			for (int k = 0; k < t->nrows && !named; k++)
				named = strcmp(t->rows[k][c_file], parsed[i].name + 4) == 0 &&
				    strcasecmp(t->rows[k][c_rcpt], r->rcpts[j].address) == 0;
			found++;
			if (!named) {
				extra++;
				if (verbose() >= 3)
					printf("  extra rcpt %s: %s\n", parsed[i].name,
					    r->rcpts[j].address);
			}
		}
	}
	printf("sisimai class A: recipients %.1f%% (%zu/%zu), status %.1f%% (%zu/%zu)\n",
	    percent(rcpt_ok, rows), rcpt_ok, rows, percent(status_ok, rows),
	    status_ok, rows);
	printf("sisimai class A+B: recipients %.1f%% (%zu/%zu), hard/soft %.1f%% (%zu/%zu), %zu found not in the table (of %zu)\n",
	    percent(ab_rcpt, ab_rows), ab_rcpt, ab_rows,
	    percent(hard_ok, hard_rows), hard_ok, hard_rows, extra, found);
	assert_true(rows > 400);
	assert_true(per_mille(rcpt_ok, rows) >= CLASS_A_RCPT_FLOOR);
	assert_true(per_mille(status_ok, rows) >= CLASS_A_STATUS_FLOOR);
	test_tsv_free(t);
}

static void
test_arf(void **state)
{
	const char *path = test_corpus_path(CORPUS "/expected-results.tsv");
	struct tsv *t;
	int c_file, c_rcpt, c_conf, c_fb;
	size_t rows = 0, type_ok = 0, rcpt_ok = 0;

	(void)state;
	if (path == NULL || (t = test_tsv_load(path, 1)) == NULL) {
		printf("sisimai: corpus not found, skipped\n");
		skip();
	}
	c_file = test_tsv_col(t, "file");
	c_rcpt = test_tsv_col(t, "recipient");
	c_conf = test_tsv_col(t, "confidence");
	c_fb = test_tsv_col(t, "feedback_type");
	assert_true(c_file >= 0 && c_rcpt >= 0 && c_conf >= 0 && c_fb >= 0);
	for (int i = 0; i < t->nrows; i++) {
		char **row = t->rows[i];
		const struct bounce_report *r;
		const struct bounce_rcpt *rc;

		if (strcmp(row[c_conf], "C") != 0 || row[c_fb][0] == '\0')
			continue;
		rows++;
		r = parse_file("bsd", row[c_file]);
		if (r->kind == BOUNCE_KIND_ARF && r->feedback_type != NULL &&
		    strcasecmp(r->feedback_type, row[c_fb]) == 0)
			type_ok++;
		else if (verbose())
			printf("  miss feedback-type %s: got %s want %s\n", row[c_file],
			    r->feedback_type ? r->feedback_type : "-", row[c_fb]);
		rc = find_rcpt(r, row[c_rcpt]);
		if (rc != NULL && rc->action == BOUNCE_FEEDBACK)
			rcpt_ok++;
		else if (verbose())
			printf("  miss arf rcpt %s: %s\n", row[c_file], row[c_rcpt]);
	}
	printf("sisimai ARF: feedback type %.1f%% (%zu/%zu), recipient %.1f%% (%zu/%zu)\n",
	    percent(type_ok, rows), type_ok, rows, percent(rcpt_ok, rows),
	    rcpt_ok, rows);
	assert_true(rows >= 15);
	assert_true(per_mille(type_ok, rows) >= ARF_TYPE_FLOOR);
	assert_true(per_mille(rcpt_ok, rows) >= ARF_RCPT_FLOOR);
	test_tsv_free(t);
}

/* The vacation rows: auto-replies, no recipient. */
static void
test_autoreply(void **state)
{
	const char *path = test_corpus_path(CORPUS "/expected-results.tsv");
	struct tsv *t;
	int c_file, c_reason;
	size_t rows = 0, ok = 0;

	(void)state;
	if (path == NULL || (t = test_tsv_load(path, 1)) == NULL) {
		printf("sisimai: corpus not found, skipped\n");
		skip();
	}
	c_file = test_tsv_col(t, "file");
	c_reason = test_tsv_col(t, "reason");
	assert_true(c_file >= 0 && c_reason >= 0);
	for (int i = 0; i < t->nrows; i++) {
		const struct bounce_report *r;

		if (strcmp(t->rows[i][c_reason], "vacation") != 0)
			continue;
		rows++;
		r = parse_file("bsd", t->rows[i][c_file]);
		if (r->kind == BOUNCE_KIND_AUTOREPLY && r->nrcpts == 0)
			ok++;
		else if (verbose())
			printf("  miss autoreply %s: %s\n", t->rows[i][c_file],
			    bounce_kind_name(r->kind));
	}
	printf("sisimai auto-replies: %zu/%zu\n", ok, rows);
	assert_true(rows >= 5);
	assert_int_equal(ok, rows);
	test_tsv_free(t);
}

/* Same recipients and statuses, in order, with the same recogniser. */
static int
same_report(const struct bounce_report *a, const struct bounce_report *b)
{
	if (a->kind != b->kind || a->nrcpts != b->nrcpts ||
	    strcmp(a->recogniser, b->recogniser) != 0)
		return 0;
	for (size_t i = 0; i < a->nrcpts; i++)
		if (strcmp(a->rcpts[i].address, b->rcpts[i].address) != 0 ||
		    strcmp(a->rcpts[i].status, b->rcpts[i].status) != 0 ||
		    a->rcpts[i].hard != b->rcpts[i].hard)
			return 0;
	return 1;
}

/* The CRLF (dos) and CR (mac) copies read exactly as their LF original. */
static void
test_line_ends(void **state)
{
	static const char *dirs[] = { "dos", "mac" };
	struct buf data = BUF_INIT(CORPUS_MAX);
	size_t total = 0, same = 0;

	(void)state;
	if (test_corpus_path(CORPUS "/maildir") == NULL) {
		printf("sisimai: corpus not found, skipped\n");
		skip();
	}
	for (size_t d = 0; d < 2; d++) {
		char rel[256], **files;

		snprintf(rel, sizeof rel, CORPUS "/maildir/%s", dirs[d]);
		if ((files = test_list_dir(test_corpus_path(rel), ".eml")) == NULL)
			fail_msg("%s: cannot list", rel);
		for (char **f = files; *f; f++) {
			const char *name = strrchr(*f, '/') + 1;
			char bsd[1024];
			const struct bounce_report *orig;
			struct bounce_report r;

			snprintf(bsd, sizeof bsd, CORPUS "/maildir/bsd/%s", name);
			if (test_read_file(test_corpus_path(bsd), &data) < 0)
				continue;
			orig = parse_file("bsd", name);
			assert_int_equal(test_read_file(*f, &data), 0);
			assert_int_equal(bounce_parse(data.data, data.len, &r, NULL), 0);
			total++;
			if (same_report(orig, &r))
				same++;
			else if (verbose()) {
				printf("  differs: %s/%s\n", dirs[d], name);
				print_report("bsd", orig);
				print_report(dirs[d], &r);
			}
			bounce_report_free(&r);
		}
		test_free_list(files);
	}
	printf("sisimai dos+mac: %zu/%zu read as their LF original\n", same, total);
	assert_true(total > 100);
	assert_int_equal(same, total);
	buf_free(&data);
}

/*
 * The other folders (expected-results-other-dirs.tsv): copies of bsd
 * samples, the split mbox (err/) and three "not a bounce" messages; the
 * expectations there are Sisimai's own output, so only the recipient is
 * scored.
 */
static void
test_other_dirs(void **state)
{
	const char *path = test_corpus_path(CORPUS "/expected-results-other-dirs.tsv");
	struct tsv *t;
	int c_path, c_rcpt, c_reason;
	size_t rows = 0, ok = 0;

	(void)state;
	if (path == NULL || (t = test_tsv_load(path, 1)) == NULL) {
		printf("sisimai: corpus not found, skipped\n");
		skip();
	}
	c_path = test_tsv_col(t, "path");
	c_rcpt = test_tsv_col(t, "recipient");
	c_reason = test_tsv_col(t, "reason");
	assert_true(c_path >= 0 && c_rcpt >= 0 && c_reason >= 0);
	for (int i = 0; i < t->nrows; i++) {
		char **row = t->rows[i], dir[64];
		const char *slash1, *slash2;
		const struct bounce_report *r;

		/* Auto-replies have no recipient here, by design. */
		if (row[c_rcpt][0] == '\0' || strcmp(row[c_reason], "vacation") == 0 ||
		    (slash1 = strchr(row[c_path], '/')) == NULL ||
		    (slash2 = strchr(slash1 + 1, '/')) == NULL ||
		    (size_t)(slash2 - slash1) >= sizeof dir)
			continue;
		snprintf(dir, sizeof dir, "%.*s", (int)(slash2 - slash1 - 1), slash1 + 1);
		rows++;
		r = parse_file(dir, slash2 + 1);
		if (find_rcpt(r, row[c_rcpt]) != NULL)
			ok++;
		else if (verbose())
			printf("  miss other %s: %s\n", row[c_path], row[c_rcpt]);
	}
	printf("sisimai other folders: recipients %.1f%% (%zu/%zu)\n",
	    percent(ok, rows), ok, rows);
	assert_true(rows >= 150);
	assert_true(per_mille(ok, rows) >= OTHER_RCPT_FLOOR);
	test_tsv_free(t);
}

static int
teardown(void **state)
{
	(void)state;
	free_parsed();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_parse),
		cmocka_unit_test(test_class_a),
		cmocka_unit_test(test_arf),
		cmocka_unit_test(test_autoreply),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_other_dirs),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
