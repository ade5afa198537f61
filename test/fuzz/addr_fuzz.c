/*
 * addr_fuzz - libFuzzer target for the header-value parsers: address
 * lists and single addresses (each result formatted and parsed again),
 * the classifier, dates, and RFC 2047 encoded-words.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "date.h"
#include "mimeword.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What is formatted must parse again to the same addr-spec. */
static void
fuzz_reparse(const struct addr *a)
{
	struct buf b = BUF_INIT(1 << 20);
	struct addr again;
	const char *err;

	if (addr_format(a, &b) == 0) {
		if (addr_parse_one(buf_cstr(&b), b.len, &again, &err) != 0 ||
		    strcmp(again.spec, a->spec) != 0)
			abort();
		addr_free(&again);
	}
	addr_classify(a->spec, strlen(a->spec), NULL);
	addr_is_valid_email(a->spec);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct addr_list l;
	struct addr a;
	struct date d;
	struct buf b = BUF_INIT(1 << 20);
	const char *err;

	if (addr_parse_list(in, size, &l, &err) == 0) {
		for (size_t i = 0; i < l.n; i++)
			fuzz_reparse(&l.v[i]);
		addr_list_free(&l);
	}
	if (addr_parse_one(in, size, &a, &err) == 0) {
		fuzz_reparse(&a);
		addr_free(&a);
	}
	addr_classify(in, size, NULL);
	addr_canonical(in, size, ADDR_CANON_LOWER_ALL, &b);
	buf_reset(&b);
	if (date_parse(in, size, &d) == 0) {
		struct date again;

		if (date_format_date(&d, &b) == 0 &&
		    (date_parse(b.data, b.len, &again) != 0 || again.t != d.t))
			abort();
		buf_reset(&b);
	}
	mimeword_decode(in, size, &b);
	buf_free(&b);
	return 0;
}
