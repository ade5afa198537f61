/*
 * spool_test - entries are written durably, claimed exactly once, read
 * back whole or refused, moved on, rejected with a reason, and recovered
 * from dead workers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spool.h"
#include "testutil.h"

struct fixture {
	char		*root;
	struct spool	 msg;
	struct spool	 archive;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct buf err = BUF_INIT(4096);

	f->root = test_mkdtemp("spool");
	assert_non_null(f->root);
	assert_int_equal(spool_init_tree(f->root, getuid(), getgid(), &err), 0);
	assert_int_equal(spool_open(&f->msg, f->root, SPOOL_MSG, "host.example", &err), 0);
	assert_int_equal(spool_open(&f->archive, f->root, SPOOL_ARCHIVE, "host.example",
	    &err), 0);
	buf_free(&err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	spool_close(&f->msg);
	spool_close(&f->archive);
	test_rmtree(f->root);
	free(f->root);
	free(f);
	return 0;
}

/* Number of entries in ROOT/SPOOL/SUB. */
static int
count_dir(const char *root, const char *spool, const char *sub)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/%s/%s", root, spool, sub);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
put(struct spool *s, int prio, const char *rcpt, const char *text, size_t len,
    char *name_out)
{
	struct spool_envelope env = { .recipient = (char *)rcpt,
	    .original_recipient = "bounce+x=y.org@example.org",
	    .sender = "alice@example.org", .program = "spool_test" };
	struct spool_writer w;

	assert_int_equal(spool_create(s, prio, &env, &w), 0);
	assert_int_equal(spool_write(&w, text, len), 0);
	assert_int_equal(spool_commit(&w), 0);
	if (name_out)
		strcpy(name_out, w.name);
}

static void
test_write_claim_read_done(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "Subject: hi\r\n\r\nbody\0with NUL\n";
	char name[SPOOL_NAME_MAX + 1];
	struct buf msg = BUF_INIT(1 << 20), err = BUF_INIT(4096);
	struct spool_entry e;
	size_t n;
	char **names;

	put(&f->msg, 5, "staff@example.org", text, sizeof text - 1, name);
	assert_int_equal(count_dir(f->root, "msg", "tmp"), 0);
	assert_int_equal(count_dir(f->root, "msg", "new"), 1);
	assert_int_equal(name[0], '5');
	assert_non_null(strstr(name, ".host.example"));

	names = spool_scan(&f->msg, 10, &n);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], name);
	assert_int_equal(spool_claim(&f->msg, names[0], &e), 0);
	assert_int_equal(spool_claim(&f->msg, names[0], &e), 1);	/* gone from new/ */
	spool_free_names(names, n);
	assert_int_equal(count_dir(f->root, "msg", "cur"), 1);

	assert_int_equal(spool_read(&e, 1 << 20, &msg, &err), 0);
	assert_string_equal(e.env.recipient, "staff@example.org");
	assert_string_equal(e.env.sender, "alice@example.org");
	assert_string_equal(e.env.original_recipient, "bounce+x=y.org@example.org");
	assert_string_equal(e.env.program, "spool_test");
	assert_string_equal(e.env.host, "host.example");
	assert_true(e.env.received.tv_sec > 1700000000);
	assert_int_equal(msg.len, sizeof text - 1);
	assert_memory_equal(msg.data, text, sizeof text - 1);

	assert_int_equal(spool_done(&e), 0);
	assert_int_equal(count_dir(f->root, "msg", "cur"), 0);
	spool_entry_free(&e);
	buf_free(&msg);
	buf_free(&err);
}

static void
test_names_sort_by_priority_then_time(void **state)
{
	struct fixture *f = *state;
	char a[SPOOL_NAME_MAX + 1], b[SPOOL_NAME_MAX + 1], c[SPOOL_NAME_MAX + 1],
	    d[SPOOL_NAME_MAX + 1];
	char **names;
	size_t n;

	put(&f->msg, 9, "l@x.org", "x", 1, a);
	put(&f->msg, 5, "l@x.org", "x", 1, b);
	put(&f->msg, 0, "l@x.org", "x", 1, c);
	put(&f->msg, 5, "l@x.org", "x", 1, d);
	names = spool_scan(&f->msg, 10, &n);
	assert_int_equal(n, 4);
	assert_string_equal(names[0], c);
	assert_string_equal(names[1], b);
	assert_string_equal(names[2], d);
	assert_string_equal(names[3], a);
	spool_free_names(names, n);
	names = spool_scan(&f->msg, 2, &n);
	assert_int_equal(n, 2);
	assert_string_equal(names[1], b);
	spool_free_names(names, n);
}

static void
test_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct spool_envelope env = { .recipient = "l@x.org", .sender = "",
	    .program = "t" };
	struct spool_writer w;

	assert_int_equal(spool_create(&f->msg, 5, &env, &w), 0);
	assert_int_equal(spool_write(&w, "partial", 7), 0);
	spool_abort(&w);
	assert_int_equal(count_dir(f->root, "msg", "tmp"), 0);
	assert_int_equal(count_dir(f->root, "msg", "new"), 0);
}

static void
test_bad_envelopes_refused(void **state)
{
	struct fixture *f = *state;
	struct spool_envelope env = { .recipient = "l@x.org\nrecipient: evil@x.org",
	    .sender = "", .program = "t" };
	struct spool_writer w;

	assert_int_equal(spool_create(&f->msg, 5, &env, &w), -1);
	assert_int_equal(errno, EINVAL);
	env.recipient = "l@x.org";
	assert_int_equal(spool_create(&f->msg, 10, &env, &w), -1);
	assert_int_equal(count_dir(f->root, "msg", "tmp"), 0);
}

static void
test_pass_to_next_spool(void **state)
{
	struct fixture *f = *state;
	char name[SPOOL_NAME_MAX + 1];
	struct spool_entry e;
	struct buf msg = BUF_INIT(4096), err = BUF_INIT(4096);
	char **names;
	size_t n;

	put(&f->msg, 5, "l@x.org", "hello", 5, name);
	assert_int_equal(spool_claim(&f->msg, name, &e), 0);
	assert_int_equal(spool_pass(&e, &f->archive), 0);
	assert_int_equal(count_dir(f->root, "msg", "cur"), 0);
	names = spool_scan(&f->archive, 10, &n);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], name);
	spool_entry_free(&e);
	assert_int_equal(spool_claim(&f->archive, names[0], &e), 0);
	assert_int_equal(spool_read(&e, 4096, &msg, &err), 0);
	assert_string_equal(buf_cstr(&msg), "hello");
	spool_free_names(names, n);
	spool_entry_free(&e);
	buf_free(&msg);
	buf_free(&err);
}

/* Write raw bytes as an entry in new/ (what a broken writer might leave). */
static void
put_raw(const char *root, const char *name, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/msg/new/%s", root, name);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static const char whole[] =
    "HERALD-SPOOL 1\nrecipient: l@x.org\nsender: a@b.c\nreceived: 1732272000.000001\n"
    "host: h\nprogram: queue\nsize: 00000000000000000005\n\nhelloHERALD-END\n";

static void
test_torn_entries_refused_and_kept_in_bad(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *name;
		size_t cut;		/* bytes to keep of `whole`; 0 = other data */
		const char *other;
		const char *why;
	} cases[] = {
		{ "5.0000000001.000000.1.00000001.h", sizeof whole - 1, NULL, NULL },
		{ "5.0000000001.000000.1.00000002.h", sizeof whole - 4, NULL, "torn" },
		{ "5.0000000001.000000.1.00000003.h", sizeof whole - 14, NULL, "torn" },
		{ "5.0000000001.000000.1.00000004.h", 40, NULL, "envelope" },
		{ "5.0000000001.000000.1.00000005.h", 0, "From x\n\nnot an entry", "magic" },
		{ "5.0000000001.000000.1.00000006.h", 0,
		  "HERALD-SPOOL 1\nrecipient: l@x.org\nsender: \nreceived: 1.000001\n"
		  "size: 00000000000000000005\nsize: 00000000000000000005\n\nhelloHERALD-END\n",
		  "envelope" },
		{ "5.0000000001.000000.1.00000007.h", 0,
		  "HERALD-SPOOL 1\nrecipient: l@x.org\nsender: \nreceived: 1.000001\n"
		  "size: 00000000000000000009\n\nhelloHERALD-END\n", "torn" },
		{ "5.0000000001.000000.1.00000008.h", 0, "", "magic" },
	};
	struct buf msg = BUF_INIT(4096), err = BUF_INIT(4096), reason = BUF_INIT(4096);
	char path[PATH_MAX];
	int rejected = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct spool_entry e;
		int rc;

		if (cases[i].other)
			put_raw(f->root, cases[i].name, cases[i].other, strlen(cases[i].other));
		else
			put_raw(f->root, cases[i].name, whole, cases[i].cut);
		assert_int_equal(spool_claim(&f->msg, cases[i].name, &e), 0);
		buf_reset(&err);
		rc = spool_read(&e, 4096, &msg, &err);
		if (cases[i].why == NULL) {
			assert_int_equal(rc, 0);
			assert_string_equal(buf_cstr(&msg), "hello");
			assert_int_equal(spool_done(&e), 0);
		} else {
			if (rc != -1 || strstr(buf_cstr(&err), cases[i].why) == NULL)
				fail_msg("case %zu: rc %d err '%s'", i, rc, buf_cstr(&err));
			assert_int_equal(spool_reject(&e, "spool_test", buf_cstr(&err)), 0);
			rejected++;
			snprintf(path, sizeof path, "%s/bad/new/msg.%s.reason", f->root,
			    cases[i].name);
			assert_int_equal(test_read_file(path, &reason), 0);
			assert_non_null(strstr(buf_cstr(&reason), "program: spool_test\n"));
			assert_non_null(strstr(buf_cstr(&reason), "host: host.example\n"));
			assert_non_null(strstr(buf_cstr(&reason), "time: 20"));
			assert_non_null(strstr(buf_cstr(&reason), cases[i].why));
		}
		spool_entry_free(&e);
	}
	/* Every refused entry is kept, beside its reason. */
	assert_int_equal(count_dir(f->root, "bad", "new"), 2 * rejected);
	assert_int_equal(count_dir(f->root, "msg", "cur"), 0);
	assert_int_equal(count_dir(f->root, "bad", "tmp"), 0);
	buf_free(&msg);
	buf_free(&err);
	buf_free(&reason);
}

static void
test_read_limit(void **state)
{
	struct fixture *f = *state;
	char name[SPOOL_NAME_MAX + 1], big[8192];
	struct buf msg = BUF_INIT(1 << 20), err = BUF_INIT(4096);
	struct spool_entry e;

	memset(big, 'x', sizeof big);
	put(&f->msg, 5, "l@x.org", big, sizeof big, name);
	assert_int_equal(spool_claim(&f->msg, name, &e), 0);
	assert_int_equal(spool_read(&e, 1024, &msg, &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "larger than"));
	assert_int_equal(spool_read(&e, sizeof big, &msg, &err), 0);
	assert_int_equal(msg.len, sizeof big);
	spool_entry_free(&e);
	buf_free(&msg);
	buf_free(&err);
}

/* A child claims everything it can and writes what it got to out. */
static void
claim_all(const char *root, const char *out)
{
	struct buf err = BUF_INIT(4096);
	struct spool s;
	FILE *fp = fopen(out, "w");
	char **names;
	size_t n;

	if (fp == NULL || spool_open(&s, root, SPOOL_MSG, "host.example", &err) < 0)
		_exit(2);
	while ((names = spool_scan(&s, 50, &n)) != NULL && n > 0) {
		for (size_t i = 0; i < n; i++) {
			struct spool_entry e;

			if (spool_claim(&s, names[i], &e) == 0) {
				fprintf(fp, "%s\n", names[i]);
				if (spool_done(&e) < 0)
					_exit(3);
			}
		}
		spool_free_names(names, n);
	}
	free(names);
	fclose(fp);
	_exit(0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_two_processes_claim_each_entry_once(void **state)
{
	struct fixture *f = *state;
	enum { N = 600 };
	char *written[N], out[2][PATH_MAX], *got[2 * N], line[512];
	size_t ngot = 0;
	pid_t pids[2];

	for (int i = 0; i < N; i++) {
		char name[SPOOL_NAME_MAX + 1];

		put(&f->msg, i % 10, "l@x.org", "m", 1, name);
		written[i] = strdup(name);
	}
	for (int c = 0; c < 2; c++) {
		snprintf(out[c], sizeof out[c], "%s/claims.%d", f->root, c);
		if ((pids[c] = fork()) == 0)
			claim_all(f->root, out[c]);
		assert_true(pids[c] > 0);
	}
	for (int c = 0; c < 2; c++) {
		int status;
		FILE *fp;

		assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_non_null(fp = fopen(out[c], "r"));
		while (fgets(line, sizeof line, fp) && ngot < 2 * N) {
			line[strcspn(line, "\n")] = '\0';
			got[ngot++] = strdup(line);
		}
		fclose(fp);
	}
	/* Exactly the written names, each once, across both workers. */
	assert_int_equal(ngot, N);
	qsort(written, N, sizeof *written, cmp_str);
	qsort(got, ngot, sizeof *got, cmp_str);
	for (int i = 0; i < N; i++) {
		assert_string_equal(written[i], got[i]);
		free(written[i]);
		free(got[i]);
	}
	assert_int_equal(count_dir(f->root, "msg", "new"), 0);
	assert_int_equal(count_dir(f->root, "msg", "cur"), 0);
}

static void
test_recover_returns_dead_workers_entries(void **state)
{
	struct fixture *f = *state;
	char a[SPOOL_NAME_MAX + 1], b[SPOOL_NAME_MAX + 1], c[SPOOL_NAME_MAX + 1];
	struct spool_entry mine;
	pid_t pid;
	int status;

	put(&f->msg, 5, "l@x.org", "a", 1, a);
	put(&f->msg, 5, "l@x.org", "b", 1, b);
	put(&f->msg, 5, "l@x.org", "c", 1, c);
	/* A worker claims two entries and dies without finishing them. */
	if ((pid = fork()) == 0) {
		struct buf err = BUF_INIT(4096);
		struct spool s;
		struct spool_entry e;

		if (spool_open(&s, f->root, SPOOL_MSG, "host.example", &err) < 0 ||
		    spool_claim(&s, a, &e) != 0 || spool_claim(&s, b, &e) != 0)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* This process, alive, holds the third. */
	assert_int_equal(spool_claim(&f->msg, c, &mine), 0);
	assert_int_equal(count_dir(f->root, "msg", "cur"), 3);

	assert_int_equal(spool_recover(&f->msg, 3600), 2);
	assert_int_equal(count_dir(f->root, "msg", "new"), 2);
	assert_int_equal(count_dir(f->root, "msg", "cur"), 1);
	assert_int_equal(spool_recover(&f->msg, 3600), 0);
	assert_int_equal(spool_done(&mine), 0);
}

static void
test_recover_removes_only_stale_tmp(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
	int fd;

	snprintf(path, sizeof path, "%s/msg/tmp/old", f->root);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	snprintf(path, sizeof path, "%s/msg/tmp/young", f->root);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	spool_recover(&f->msg, 3600);
	assert_int_equal(count_dir(f->root, "msg", "tmp"), 1);
	assert_int_equal(access(path, F_OK), 0);
}

static void
test_open_missing_spool_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct buf err = BUF_INIT(4096);
	char path[PATH_MAX];
	struct spool s;

	assert_int_equal(spool_open(&s, "/nonexistent/herald", SPOOL_MSG, "h", &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "cannot open spool"));
	snprintf(path, sizeof path, "%s/msg/cur", f->root);
	assert_int_equal(rmdir(path), 0);
	buf_reset(&err);
	assert_int_equal(spool_open(&s, f->root, SPOOL_MSG, "h", &err), -1);
	assert_non_null(strstr(buf_cstr(&err), "cannot open spool (tmp, new or cur)"));
	/* init repairs it: adds 0750, keeps a traverse bit, removes world write */
	snprintf(path, sizeof path, "%s/msg/new", f->root);
	assert_int_equal(chmod(path, 0703), 0);
	buf_reset(&err);
	assert_int_equal(spool_init_tree(f->root, getuid(), getgid(), &err), 0);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0751);
	}
	assert_int_equal(spool_open(&s, f->root, SPOOL_MSG, "h", &err), 0);
	spool_close(&s);
	buf_free(&err);
}

static void
test_lookup_and_names(void **state)
{
	(void)state;
	assert_int_equal(spool_lookup("msg"), SPOOL_MSG);
	assert_int_equal(spool_lookup("bad"), SPOOL_BAD);
	assert_int_equal(spool_lookup("nope"), -1);
	assert_string_equal(spool_name(SPOOL_OUTGOING), "outgoing");
	assert_true(strlen(spool_doc(SPOOL_BOUNCE)) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_claim_read_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_sort_by_priority_then_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_envelopes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_to_next_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_entries_refused_and_kept_in_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_claim_each_entry_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_returns_dead_workers_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_removes_only_stale_tmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_spool_fails_cleanly, setup, teardown),
		cmocka_unit_test(test_lookup_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
