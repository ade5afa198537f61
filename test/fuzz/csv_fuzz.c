/*
 * csv_fuzz - libFuzzer target for the CSV reader: any bytes are read to
 * the end within the limits, every record's fields are what their lengths
 * say, and what the writer makes of a record reads back to it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write a record and read it back: the same fields. */
static void
fuzz_roundtrip(const struct csv_record *rec)
{
	struct buf out = BUF_INIT(1 << 22);
	struct csv_reader *r;
	struct csv_record back;
	FILE *fp;

	if (csv_write_record(&out, (const char *const *)rec->fields,
	    rec->n) != 0 || out.len == 0)
		goto done;
	if ((fp = fmemopen(out.data, out.len, "r")) == NULL)
		goto done;
	r = csv_open(fp, NULL);
	if (csv_read(r, &back) != CSV_RECORD || back.n != rec->n)
		abort();
	for (size_t i = 0; i < rec->n; i++)
		if (strcmp(back.fields[i], rec->fields[i]) != 0)
			abort();
	csv_close(r);
	fclose(fp);
done:
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_limits lim = { 256, 1024, 16, 1000 };
	struct csv_reader *r;
	struct csv_record rec;
	FILE *fp;
	int rc;

	if (size == 0 || (fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	r = csv_open(fp, &lim);
	while ((rc = csv_read(r, &rec)) != CSV_EOF && rc != CSV_FATAL) {
		if (rc != CSV_RECORD)
			continue;
		if (rec.n == 0 || rec.n > lim.max_fields)
			abort();
		for (size_t i = 0; i < rec.n; i++) {
			if (strlen(rec.fields[i]) != rec.lens[i] ||
			    rec.lens[i] > lim.max_field)
				abort();
			csv_utf8_check(rec.fields[i], rec.lens[i]);
		}
		fuzz_roundtrip(&rec);
	}
	csv_close(r);
	fclose(fp);
	return 0;
}
