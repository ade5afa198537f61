/*
 * spool_fuzz - spool entry files: a torn or hostile file is refused with a
 * reason, never read past its end; an accepted one is self-consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT(4096);
	struct spool_envelope env;
	size_t off, len;

	if (spool_parse((const char *)data, size, &env, &off, &len, &err) == 0) {
		if (off > size || len > size - off || env.recipient == NULL ||
		    env.sender == NULL || env.host == NULL || env.program == NULL)
			abort();
		spool_envelope_free(&env);
	} else if (err.len == 0) {
		abort();
	}
	buf_free(&err);
	return 0;
}
