/*
 * listconf_fuzz - a list's config.yaml from the fuzzer: never a crash, a
 * hang or a leak; a refusal always says why; a config that loads prints
 * back to YAML that loads again to the same text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT(1 << 20), out = BUF_INIT(4 << 20), again = BUF_INIT(4 << 20);
	struct listconf *lc, *lc2;

	if (size > LISTCONF_FILE_MAX)
		return 0;
	lc = listconf_load_text("fuzz", (const char *)data, size, NULL, &err);
	if (lc == NULL) {
		if (err.len == 0)
			abort();	/* a refusal always says why */
		buf_free(&err);
		return 0;
	}
	for (int i = 0; i < LISTCONF_NPARAMS; i++)
		if (listconf_str(lc, (enum listconf_param)i) == NULL)
			abort();
	if (listconf_print(lc, NULL, LISTCONF_PRINT_DEFAULTS, &out) == 0) {
		buf_reset(&err);
		lc2 = listconf_load_text("printed", out.data, out.len, NULL, &err);
		if (lc2 == NULL)
			abort();	/* what is printed loads */
		if (listconf_print(lc2, NULL, LISTCONF_PRINT_DEFAULTS, &again) < 0 ||
		    strcmp(buf_cstr(&out), buf_cstr(&again)) != 0)
			abort();
		listconf_free(lc2);
	}
	listconf_free(lc);
	buf_free(&err);
	buf_free(&out);
	buf_free(&again);
	return 0;
}
