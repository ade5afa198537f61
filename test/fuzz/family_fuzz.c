/*
 * family_fuzz - family.yaml and an instantiation's data file from the
 * fuzzer: never a crash, a hang or a leak; a refusal always says why; a
 * family and a data file that both load plan their first list, and a
 * plan that succeeds gives a configuration.
 *
 * The input is split at the first line "%%": family.yaml before it, the
 * data file after it (the whole input is both when there is none). The
 * second half is also planned as the list's current config.yaml, so the
 * customisation path sees hostile text too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Plan the first list as new, then with cur as its edited config.yaml. */
static void
fuzz_plan(const struct family *f, const struct family_data *d,
    const char *cur, size_t curlen)
{
	struct family_result first, r;
	int rc;

	if (family_data_count(d) == 0)
		return;
	family_result_init(&first);
	rc = family_instantiate(f, family_data_entry(d, 0), NULL, 0, NULL, 0, &first);
	if (rc != 0 && first.reason.len == 0)
		abort();	/* a refusal says why */
	if (rc == 0) {
		if (first.config.len == 0 || first.status == NULL)
			abort();
		family_result_init(&r);
		(void)family_instantiate(f, family_data_entry(d, 0), cur, curlen,
		    first.instance.data, first.instance.len, &r);
		family_result_free(&r);
	}
	family_result_free(&first);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT(1 << 20), text = BUF_INIT(FAMILY_DATA_MAX);
	const char *s, *split, *second;
	size_t firstlen, secondlen;
	struct family *f;
	struct family_data *d;

	if (size > FAMILY_FILE_MAX || buf_append(&text, data, size) < 0)
		return 0;
	s = buf_cstr(&text);
	split = memmem(s, size, "\n%%\n", 4);
	firstlen = split ? (size_t)(split - s) + 1 : size;
	second = split ? split + 4 : s;
	secondlen = split ? size - (size_t)(second - s) : size;
	f = family_load_text("family.yaml", "fuzz", "fuzz.example.org", s,
	    firstlen, &err);
	if (f == NULL && err.len == 0)
		abort();
	buf_reset(&err);
	d = family_data_load_text("data.yaml", second, secondlen, &err);
	if (d == NULL && err.len == 0)
		abort();
	if (f != NULL && d != NULL) {
		fuzz_plan(f, d, second, secondlen);
	}
	family_data_free(d);
	family_free(f);
	buf_free(&err);
	buf_free(&text);
	return 0;
}
