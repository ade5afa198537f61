/*
 * domlimits_test - the per-domain limits file: parse cases (Sympa's form,
 * keys, "*" and merging, bad numbers and values, unknown keys, a key
 * twice, a domain twice, CRLF, NUL bytes, comments), lookups (case
 * folding, length bounds, fallbacks, no table), iteration order, the
 * file reader and its size bound, and what the log says (file:line,
 * the cap on logged lines).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "domlimits.h"
#include "log.h"
#include "mem.h"
#include "testutil.h"

/*
 * text (len bytes; 0: strlen) parses with errors bad lines into count
 * listed domains; want: "domain nrcpt concurrency oneclick single" per
 * line, what domlimits_get() gives ("-" for a domain that must not be
 * listed, which then gets the defaults).
 */
static const struct parse_case {
	const char	*name;
	const char	*text;
	size_t		 len;
	size_t		 errors, count;
	const char	*want;
} parse_cases[] = {
	{ "empty", "", 0, 0, 0, "-x.org 0 0 0 0" },
	{ "comments and blanks only",
	    "# nrcpt_by_domain.conf\n; another\n\n   # indented\n\t; too\n"
	    " \t\v\f \n", 0, 0, 0, "-x.org 0 0 0 0" },
	{ "Sympa's form", "# Sympa\naol.com 2\n\n; x\n   Yahoo.COM\t\t5   \r\n"
	    "laposte.net 100000", 0, 0, 3,
	    "aol.com 2 0 0 0\nyahoo.com 5 0 0 0\nlaposte.net 100000 0 0 0\n"
	    "-mx.aol.com 0 0 0 0" },
	{ "keys", "yahoo.com nrcpt=20 concurrency=2 oneclick=yes\n"
	    "laposte.net 10 concurrency=1 single=yes\n"
	    "orange.fr concurrency=1000 oneclick=no\n", 0, 0, 3,
	    "yahoo.com 20 2 1 0\nlaposte.net 10 1 0 1\norange.fr 0 1000 0 0" },
	{ "keys in any case, values as herald.yaml",
	    "a.org NRCPT=4 Concurrency=2 SINGLE=True ONECLICK=Off\n"
	    "b.org single=on oneclick=false\nc.org single=YES oneclick=NO\n",
	    0, 0, 3, "a.org 4 2 0 1\nb.org 0 0 0 1\nc.org 0 0 0 1" },
	{ "star gives defaults",
	    "* concurrency=8 oneclick=no\ngmail.com 50 oneclick=yes\n",
	    0, 0, 1, "gmail.com 50 8 1 0\n-other.org 0 8 0 0" },
	{ "star's nrcpt inherited", "* 5\nbig.org concurrency=3\n"
	    "small.org 2\n", 0, 0, 2,
	    "big.org 5 3 0 0\nsmall.org 2 0 0 0\n-x.org 5 0 0 0" },
	{ "star after the domains still applies",
	    "big.org concurrency=3\n* nrcpt=7 single=yes\n", 0, 0, 1,
	    "big.org 7 3 0 1\n-x.org 7 0 0 1" },
	{ "a domain's no beats star's yes", "* single=yes\na.org single=no\n",
	    0, 0, 1, "a.org 0 0 0 0\n-b.org 0 0 0 1" },
	{ "star twice: the last line", "* 3 concurrency=4\n* concurrency=2\n",
	    0, 0, 0, "-x.org 0 2 0 0" },
	{ "a domain twice: the last line, whole",
	    "a.org 3 concurrency=2\nb.org 1\nA.ORG 7\n", 0, 0, 2,
	    "a.org 7 0 0 0\nb.org 1 0 0 0" },
	{ "bad numbers",
	    "a.org 0\nb.org 100001\nc.org concurrency=1001\n"
	    "d.org concurrency=0\ne.org nrcpt=-1\nf.org nrcpt=1x\n"
	    "g.org 00012\nh.org 9999999999\ni.org nrcpt=+3\nj.org 3.5\n"
	    "k.org nrcpt=\nl.org concurrency=1000 nrcpt=000000000000100000\n",
	    0, 10, 2,
	    "-a.org 0 0 0 0\n-b.org 0 0 0 0\n-c.org 0 0 0 0\n"
	    "g.org 12 0 0 0\n-h.org 0 0 0 0\nl.org 100000 1000 0 0" },
	{ "bad yes/no", "a.org single=maybe\nb.org oneclick=\nc.org single=1\n",
	    0, 3, 0, "-a.org 0 0 0 0" },
	{ "unknown keys: the whole line goes",
	    "a.org 5 color=red\nb.org speed=1\nc.org =5\nd.org concurency=2\n",
	    0, 4, 0, "-a.org 0 0 0 0\n-d.org 0 0 0 0" },
	{ "a key twice", "a.org nrcpt=5 nrcpt=6\nb.org 5 nrcpt=6\n"
	    "c.org single=yes single=no\nd.org 4 4\n", 0, 4, 0,
	    "-a.org 0 0 0 0\n-b.org 0 0 0 0" },
	{ "a bad line leaves the earlier one",
	    "a.org 3\na.org 4 color=red\n", 0, 1, 1, "a.org 3 0 0 0" },
	{ "words that are not settings",
	    "orange.fr 3 extra\np.org concurrency=2 5\nq.org yes\n", 0, 3, 0,
	    "-orange.fr 0 0 0 0\n-p.org 0 0 0 0" },
	{ "a domain and nothing else", "gmail.com\ngmail.com   \r\n"
	    "yahoo.com # no limit\n", 0, 3, 0, "-gmail.com 0 0 0 0" },
	{ "bad domains", "a@b.org 4\n*.gmail.com 3\nnrcpt=5 gmail.com\n"
	    "**  3\nx\x01y.org 3\n\xc3\xa9t\xc3\xa9.fr 3\n", 0, 6, 0,
	    "-gmail.com 0 0 0 0\n-b.org 0 0 0 0" },
	{ "trailing comments", "a.org 3 # big one\nb.org concurrency=2 #x=1\n"
	    "c.org 4 #\n", 0, 0, 3,
	    "a.org 3 0 0 0\nb.org 0 2 0 0\nc.org 4 0 0 0" },
	{ "CRLF lines", "a.org 3\r\nb.org concurrency=2 single=yes\r\n\r\n"
	    "# c\r\n* 9\r\n", 0, 0, 2,
	    "a.org 3 0 0 0\nb.org 9 2 0 1\n-c.org 9 0 0 0" },
	{ "a NUL byte spoils its line only", "a.org 3\nb.org\0 4\nc.org 5\n",
	    25, 1, 2, "a.org 3 0 0 0\n-b.org 0 0 0 0\nc.org 5 0 0 0" },
	{ "a NUL byte in a comment too", "# \0\na.org 3", 11, 1, 1,
	    "a.org 3 0 0 0" },
	{ "no final newline, last line a comment", "a.org 3\n# end", 0, 0, 1,
	    "a.org 3 0 0 0" },
	{ "a lone CR is a blank", "a.org\r3\rconcurrency=2", 0, 0, 1,
	    "a.org 3 2 0 0" },
};

static void
check_want(const struct parse_case *pc, const struct domlimits *dl)
{
	char *copy = xstrdup(pc->want), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		char dom[300];
		int nrcpt, conc, oc, single, unlisted = *l == '-';
		struct domlimit got;

		if (sscanf(l + unlisted, "%299s %d %d %d %d", dom, &nrcpt,
		    &conc, &oc, &single) != 5)
			fail_msg("%s: bad want line %s", pc->name, l);
		domlimits_get(dl, dom, strlen(dom), &got);
		if (got.nrcpt != nrcpt || got.concurrency != conc ||
		    got.oneclick != oc || got.single != single)
			fail_msg("%s: %s: got %d %d %d %d, want %d %d %d %d",
			    pc->name, dom, got.nrcpt, got.concurrency,
			    got.oneclick, got.single, nrcpt, conc, oc, single);
		if (domlimits_listed(dl, dom, strlen(dom)) == unlisted)
			fail_msg("%s: %s should%s be listed", pc->name, dom,
			    unlisted ? " not" : "");
	}
	free(copy);
}

static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(parse_cases) / sizeof(parse_cases[0]);
	    c++) {
		const struct parse_case *pc = &parse_cases[c];
		size_t len = pc->len ? pc->len : strlen(pc->text), errors = 99;
		struct domlimits *dl;

		dl = domlimits_parse(pc->text, len, "t.conf", &errors);
		if (dl == NULL)
			fail_msg("%s: no table", pc->name);
		if (errors != pc->errors)
			fail_msg("%s: %zu errors, want %zu", pc->name, errors,
			    pc->errors);
		if (domlimits_count(dl) != pc->count)
			fail_msg("%s: %zu domains, want %zu", pc->name,
			    domlimits_count(dl), pc->count);
		check_want(pc, dl);
		/* The same text parsed with no one asking for errors. */
		domlimits_free(dl);
		dl = domlimits_parse(pc->text, len, NULL, NULL);
		assert_non_null(dl);
		check_want(pc, dl);
		domlimits_free(dl);
	}
}

/* Lookups: case, lengths, bytes that cannot be listed, no table. */
static void
test_get(void **state)
{
	static const char text[] = "gmail.com 50 oneclick=yes\n"
	    "* concurrency=4 oneclick=no\n";
	struct domlimits *dl = domlimits_parse(text, sizeof(text) - 1, "t",
	    NULL);
	struct domlimit l;
	char longname[DOMLIMITS_DOMAIN_MAX + 2];

	(void)state;
	assert_non_null(dl);
	domlimits_get(dl, "GMail.COM", 9, &l);
	assert_int_equal(l.nrcpt, 50);
	assert_int_equal(l.concurrency, 4);
	assert_int_equal(l.oneclick, 1);
	/* The length bounds the name: a prefix, a longer buffer. */
	domlimits_get(dl, "gmail.comx", 9, &l);
	assert_int_equal(l.nrcpt, 50);
	domlimits_get(dl, "gmail.co", 8, &l);
	assert_int_equal(l.nrcpt, 0);
	assert_int_equal(l.concurrency, 4);
	assert_int_equal(l.oneclick, 0);
	/* No subdomain matching. */
	assert_false(domlimits_listed(dl, "mx.gmail.com", 12));
	/* A NUL inside the length is never a listed name. */
	assert_false(domlimits_listed(dl, "gmail.com\0x", 11));
	/* Not ASCII upper case: no folding beyond A-Z. */
	assert_false(domlimits_listed(dl, "gmaıl.com", strlen("gmaıl.com")));
	/* Too long, or empty: the defaults. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	domlimits_get(dl, longname, strlen(longname), &l);
	assert_int_equal(l.concurrency, 4);
	assert_false(domlimits_listed(dl, "", 0));
	assert_false(domlimits_listed(dl, NULL, 0));
	/* "*" is not a listed domain. */
	assert_false(domlimits_listed(dl, "*", 1));
	domlimits_defaults(dl, &l);
	assert_int_equal(l.nrcpt, 0);
	assert_int_equal(l.concurrency, 4);
	assert_int_equal(l.oneclick, 0);
	assert_int_equal(l.single, 0);
	domlimits_free(dl);
	/* No table at all: the built-in defaults. */
	domlimits_get(NULL, "gmail.com", 9, &l);
	assert_int_equal(l.nrcpt, 0);
	assert_int_equal(l.concurrency, 0);
	assert_int_equal(l.oneclick, 0);
	assert_int_equal(l.single, 0);
	domlimits_defaults(NULL, &l);
	assert_int_equal(l.oneclick, 0);
	assert_int_equal(domlimits_count(NULL), 0);
	assert_false(domlimits_listed(NULL, "gmail.com", 9));
	domlimits_free(NULL);
}

static void
test_one_each(void **state)
{
	static const struct {
		struct domlimit l;
		int job_oneclick, want;
	} cases[] = {
		{ { 0, 0, 0, 0 }, 0, 0 },
		{ { 0, 0, 0, 0 }, 1, 0 },
		{ { 0, 0, 1, 0 }, 0, 0 },	/* no URL in the job */
		{ { 0, 0, 1, 0 }, 1, 1 },
		{ { 5, 2, 0, 1 }, 0, 1 },
		{ { 5, 2, 1, 1 }, 1, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (domlimit_one_each(&cases[i].l, cases[i].job_oneclick) !=
		    cases[i].want)
			fail_msg("case %zu", i);
}

static void
collect(const char *domain, const struct domlimit *lim, void *arg)
{
	buf_printf(arg, "%s=%d/%d/%d/%d ", domain, lim->nrcpt,
	    lim->concurrency, lim->oneclick, lim->single);
}

/* Iteration: listed domains, merged, in the order first listed. */
static void
test_foreach(void **state)
{
	static const char text[] = "Zeta.org 3\n* concurrency=2\nalpha.org "
	    "single=yes\nzeta.org 4\nbad line here\nmid.org 1\n";
	struct domlimits *dl = domlimits_parse(text, sizeof(text) - 1, "t",
	    NULL);
	struct buf got = BUF_INIT(4096);

	(void)state;
	domlimits_foreach(dl, collect, &got);
	assert_string_equal(buf_cstr(&got), "zeta.org=4/2/0/0 "
	    "alpha.org=0/2/0/1 mid.org=1/2/0/0 ");
	buf_reset(&got);
	domlimits_foreach(NULL, collect, &got);
	assert_int_equal(got.len, 0);
	buf_free(&got);
	domlimits_free(dl);
}

/* Many lines: every one found; text over the bound refused. */
static void
test_sizes(void **state)
{
	struct buf b = BUF_INIT(DOMLIMITS_FILE_MAX + 1);
	struct domlimits *dl;
	size_t errors, n = 0;
	struct domlimit l;

	(void)state;
	while (b.len + 40 < DOMLIMITS_FILE_MAX) {
		assert_int_equal(buf_printf(&b, "d%zu.example.org %zu\n", n,
		    n % 1000 + 1), 0);
		n++;
	}
	dl = domlimits_parse(b.data, b.len, "big", &errors);
	assert_non_null(dl);
	assert_int_equal(errors, 0);
	assert_int_equal(domlimits_count(dl), n);
	domlimits_get(dl, "d12345.example.org", 18, &l);
	assert_int_equal(l.nrcpt, 346);
	domlimits_free(dl);
	/* Exactly the bound is taken; one byte more is not. */
	while (b.len < DOMLIMITS_FILE_MAX)
		assert_int_equal(buf_putc(&b, '\n'), 0);
	dl = domlimits_parse(b.data, b.len, "big", &errors);
	assert_non_null(dl);
	domlimits_free(dl);
	assert_int_equal(buf_putc(&b, '\n'), 0);
	assert_null(domlimits_parse(b.data, b.len, "big", &errors));
	assert_int_equal(errors, 0);
	/* Bad lines past the logging cap are still counted. */
	buf_reset(&b);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(buf_printf(&b, "x%d.org 0\n", i), 0);
	dl = domlimits_parse(b.data, b.len, "bad", &errors);
	assert_non_null(dl);
	assert_int_equal(errors, 5000);
	assert_int_equal(domlimits_count(dl), 0);
	domlimits_free(dl);
	buf_free(&b);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
test_load(void **state)
{
	static const char text[] = "aol.com 2\nyahoo.com nrcpt=20 "
	    "concurrency=2 oneclick=yes\nbad.org 0\n* single=yes\n";
	char *dir = test_mkdtemp("domlimits");
	char path[4096];
	struct domlimits *dl;
	struct domlimit l;
	size_t errors = 99;
	char *big;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/nrcpt_by_domain.conf", dir);
	write_file(path, text, sizeof(text) - 1);
	assert_non_null(dl = domlimits_load(path, &errors));
	assert_int_equal(errors, 1);
	assert_int_equal(domlimits_count(dl), 2);
	domlimits_get(dl, "yahoo.com", 9, &l);
	assert_int_equal(l.nrcpt, 20);
	assert_int_equal(l.concurrency, 2);
	assert_int_equal(l.single, 1);
	domlimits_free(dl);
	/* Empty: a table with nothing. */
	write_file(path, "", 0);
	assert_non_null(dl = domlimits_load(path, NULL));
	assert_int_equal(domlimits_count(dl), 0);
	domlimits_free(dl);
	/* Over the bound: refused, as a file that cannot be read. */
	big = xmalloc(DOMLIMITS_FILE_MAX + 1);
	memset(big, '\n', DOMLIMITS_FILE_MAX + 1);
	write_file(path, big, DOMLIMITS_FILE_MAX + 1);
	free(big);
	assert_null(domlimits_load(path, &errors));
	assert_int_equal(errors, 0);
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	assert_null(domlimits_load(path, &errors));
	/* A directory cannot be read as a file. */
	assert_null(domlimits_load(dir, NULL));
	test_rmtree(dir);
	free(dir);
}

/* The log names file:line and why, and stops after DOMLIMITS_LOG_MAX. */
static void
test_log_lines(void **state)
{
	char *dir = test_mkdtemp("domlimits");
	char path[4096];
	struct buf b = BUF_INIT(1 << 20), got = BUF_INIT(1 << 20);
	struct domlimits *dl;
	int saved, fd;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	buf_puts(&b, "# first line\na.org nrcpt=0\nb.org color=red\n"
	    "a.org 3\na.org 4\n");
	for (int i = 0; i < 40; i++)
		buf_printf(&b, "x%d.org\n", i);
	fflush(stderr);
	assert_true((saved = dup(2)) >= 0);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	dl = domlimits_parse(b.data, b.len, "/etc/herald/domains.conf", NULL);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	assert_non_null(dl);
	domlimits_free(dl);
	assert_int_equal(test_read_file(path, &got), 0);
	if (strstr(buf_cstr(&got), "/etc/herald/domains.conf:2: nrcpt must "
	    "be a number from 1 to 100000, not \"0\"; line skipped") == NULL ||
	    strstr(buf_cstr(&got), "/etc/herald/domains.conf:3: unknown key "
	    "\"color\"") == NULL ||
	    strstr(buf_cstr(&got), "/etc/herald/domains.conf:5: a.org listed "
	    "again (line 4 before)") == NULL ||
	    strstr(buf_cstr(&got), "/etc/herald/domains.conf: 23 more problem "
	    "lines not logged") == NULL)
		fail_msg("log:\n%s", buf_cstr(&got));
	buf_free(&b);
	buf_free(&got);
	test_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_one_each),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_log_lines),
	};

	log_open("domlimits_test", 0, LOG_TO_STDERR);
	log_set_verbose(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
