/*
 * config_fuzz - herald.yaml text: never a crash, a hang or a leak; a
 * config that loads has every value valid for its type.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT(1 << 20);
	struct config *cf;

	if (size > CONFIG_FILE_MAX)
		return 0;
	cf = config_load_text(NULL, "fuzz", (const char *)data, size, &err);
	if (cf != NULL) {
		for (int i = 0; i < CONFIG_NPARAMS; i++) {
			const char *v = config_str(cf, (enum config_param)i);

			if (v == NULL || strlen(v) > 4096)
				abort();
		}
		if (config_int(cf, CF_MAX_SIZE) < 1024)
			abort();
		config_free(cf);
	} else if (err.len == 0) {
		abort();	/* a refusal always says why */
	}
	buf_free(&err);
	return 0;
}
