/*
 * listreg_bench - a daemon's start with 10,000 lists: the time to load
 * every config.yaml (listreg_open), the process's memory afterwards, and
 * the time of a refresh when nothing changed. Goal (issue 3): 0.5 s and
 * 50 MB.
 *
 *	listreg_bench [N]
 *
 * Prints "bench NAME: VALUE UNIT" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "listreg.h"
#include "testutil.h"

static double
bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The resident set size of this process, in kilobytes. */
static long
bench_rss_kb(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, strlen(field)) == 0)
			kb = atol(line + strlen(field));
	fclose(f);
	return kb;
}

/* A list as a site has them: a subject, owners, a few parameters set. */
static void
bench_write_list(const char *root, const char *domain, int i)
{
	char path[8192];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s/list%05d", root, domain, i);
	mkdir(path, 0750);
	snprintf(path, sizeof path, "%s/%s/list%05d/config.yaml", root, domain, i);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "# list%05d@%s\nsubject: \"List number %d: news and talk\"\n"
	    "owner:\n  - email: owner%d@%s\n    gecos: Owner %d\n    profile: privileged\n"
	    "  - email: deputy%d@%s\n"
	    "editor:\n  - email: moderator%d@%s\n"
	    "send: %s\nvisibility: noconceal\n"
	    "reply_to_header:\n  value: list\n"
	    "custom_subject: list%05d\n"
	    "archive:\n  web_access: private\n  mail_access: owner\n"
	    "process_archive: on\n"
	    "rfc2369_header_fields: help,post,unsubscribe,archive\n"
	    "digest:\n  days: [1, 3, 5]\n  hour: 6\n  minute: 30\n",
	    i, domain, i, i, domain, i, i, domain, i, domain,
	    i % 3 ? "privateoreditorkey" : "public", i);
	fclose(f);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	char *tmp = test_mkdtemp("listreg-bench"), root[2048];
	struct buf text = BUF_INIT(8192), err = BUF_INIT(1 << 20);
	static const char *const domains[] = { "example.org", "lists.example.net", "b.example" };
	struct listreg_stats st;
	struct config *site;
	struct listreg *r;
	double t0, t1, t2;
	long rss0, rss1;

	if (tmp == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(root, sizeof root, "%s/lists", tmp);
	mkdir(root, 0755);
	for (size_t d = 0; d < 3; d++) {
		buf_reset(&text);
		buf_printf(&text, "%s/%s", root, domains[d]);
		mkdir(buf_cstr(&text), 0750);
	}
	for (int i = 0; i < n; i++)
		bench_write_list(root, domains[i % 3], i);
	buf_reset(&text);
	buf_printf(&text, "lists_directory: %s\n", root);
	if ((site = config_load_text(NULL, "bench", text.data, text.len, &err)) == NULL) {
		fputs(buf_cstr(&err), stderr);
		return 1;
	}
	rss0 = bench_rss_kb("VmRSS:");
	t0 = bench_now_ms();
	r = listreg_open(site, &st, &err);
	t1 = bench_now_ms();
	if (r == NULL || st.lists != (size_t)n || st.broken != 0) {
		fprintf(stderr, "listreg_bench: %zu lists, %zu broken\n%s", st.lists, st.broken,
		    buf_cstr(&err));
		if (r && st.broken)
			for (size_t i = 0; i < listreg_count(r); i++)
				if (listreg_at(r, i)->error) {
					fputs(listreg_at(r, i)->error, stderr);
					break;
				}
		return 1;
	}
	rss1 = bench_rss_kb("VmRSS:");
	listreg_refresh(r, &st, &err);
	t2 = bench_now_ms();
	printf("bench listreg_load_%d: %.0f ms\n", n, t1 - t0);
	printf("bench listreg_rss_%d: %.1f MB\n", n, rss1 / 1024.0);
	printf("bench listreg_rss_delta_%d: %.1f MB\n", n, (rss1 - rss0) / 1024.0);
	printf("bench listreg_refresh_unchanged_%d: %.0f ms\n", n, t2 - t1);
	listreg_close(r);
	config_free(site);
	test_rmtree(tmp);
	free(tmp);
	buf_free(&text);
	buf_free(&err);
	return 0;
}
