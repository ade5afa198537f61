/*
 * domlimits_fuzz - the per-domain limits file from the fuzzer: never a
 * crash, a hang or a leak; never more errors than lines; every value a
 * lookup gives is in its range; every listed domain is found again by
 * its own name in upper case, with what iteration said.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domlimits.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_in_range(const struct domlimit *l)
{
	return l->nrcpt >= 0 && l->nrcpt <= DOMLIMITS_NRCPT_MAX &&
	    l->concurrency >= 0 && l->concurrency <= DOMLIMITS_CONCURRENCY_MAX &&
	    (l->oneclick == 0 || l->oneclick == 1) &&
	    (l->single == 0 || l->single == 1);
}

static void
fuzz_check(const char *domain, const struct domlimit *lim, void *arg)
{
	const struct domlimits *dl = arg;
	char upper[DOMLIMITS_DOMAIN_MAX + 1];
	size_t len = strlen(domain);
	struct domlimit again;

	if (len == 0 || len > DOMLIMITS_DOMAIN_MAX || !fuzz_in_range(lim))
		abort();
	for (size_t i = 0; i < len; i++) {
		char c = domain[i];

		if (c >= 'A' && c <= 'Z')
			abort();	/* names are folded */
		upper[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	domlimits_get(dl, upper, len, &again);
	if (memcmp(&again, lim, sizeof(again)) != 0 ||
	    !domlimits_listed(dl, upper, len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int opened;
	struct domlimits *dl;
	struct domlimit l;
	size_t errors, lines = 1;

	if (!opened) {
		/* Thousands of bad lines a second: keep them off the screen. */
		log_open("domlimits_fuzz", 0, 0);
		opened = 1;
	}
	if (size > DOMLIMITS_FILE_MAX)
		return 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	dl = domlimits_parse((const char *)data, size, "fuzz", &errors);
	if (dl == NULL || errors > lines)
		abort();
	domlimits_foreach(dl, fuzz_check, dl);
	domlimits_defaults(dl, &l);
	if (!fuzz_in_range(&l))
		abort();
	/* Any bytes as a domain: the first line's, whatever it is. */
	domlimits_get(dl, (const char *)data, size < 300 ? size : 300, &l);
	if (!fuzz_in_range(&l))
		abort();
	domlimits_free(dl);
	return 0;
}
