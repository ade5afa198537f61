/*
 * cron_fuzz - libFuzzer target for the schedules of herald.yaml: parse
 * the input; a refusal must say why; a schedule must print in its
 * canonical form and parse back to the same value; and from a time the
 * input picks (1970-2100), in a zone with summer time, the next and
 * previous slots must be consistent: next > t >= prev, each found again
 * from the other, nothing between them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cron.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, with the invariant named. */
#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "cron_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* A POSIX rule: summer time without zoneinfo files. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[CRON_SPEC_MAX + 16];
	size_t n = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;
	struct buf out = BUF_INIT(4096), err = BUF_INIT(1024);
	struct cron c, again;
	unsigned long long h = 1469598103934665603ULL;
	time_t t, next, prev, x;

	memcpy(spec, data, n);
	spec[n] = '\0';
	if (cron_parse(spec, &c, &err) == -1) {
		fuzz_check(err.len > 0);
		buf_free(&err);
		return 0;
	}
	fuzz_check(cron_format(&c, &out) == 0);
	fuzz_check(cron_parse(buf_cstr(&out), &again, NULL) == 0);
	fuzz_check(memcmp(&c, &again, sizeof(c)) == 0);
	if (cron_is_off(&c)) {
		fuzz_check(cron_next(&c, 0, &x) == -1);
		goto out;
	}
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	t = (time_t)(h % (130ULL * 365 * 86400));
	fuzz_check(cron_next(&c, t, &next) == 0 && next > t);
	fuzz_check(cron_prev(&c, t, &prev) == 0 && prev <= t);
	fuzz_check(cron_prev(&c, next, &x) == 0 && x == next);
	fuzz_check(cron_next(&c, prev, &x) == 0 && x == next);
	fuzz_check(cron_prev(&c, next - 1, &x) == 0 && x == prev);
out:
	buf_free(&out);
	buf_free(&err);
	return 0;
}
