/*
 * smtp_fuzz - libFuzzer target for the SMTP client's pure half: replies
 * parsed one after the other from the input as a server would send them,
 * the EHLO keywords of each, and the input as a body for DATA, with the
 * invariants the session relies on checked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, with the invariant named. */
#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "smtp_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

static void
fuzz_replies(const char *p, size_t len)
{
	struct smtp_reply r = { 0 };
	struct smtp_ext ext;
	size_t used;
	int rc;

	while (len > 0 && (rc = smtp_reply_parse(p, len, &used, &r)) == 1) {
		fuzz_check(used > 0 && used <= len);
		fuzz_check(used <= (size_t)SMTP_LINE_MAX * SMTP_REPLY_LINES_MAX);
		fuzz_check(r.code >= 200 && r.code <= 599);
		fuzz_check(r.nlines >= 1 && r.nlines <= SMTP_REPLY_LINES_MAX);
		fuzz_check(r.text != NULL && strlen(r.text) < used);
		fuzz_check(r.enh[0] == '\0' || r.enh[0] == '0' + r.code / 100);
		fuzz_check(strlen(r.enh) < SMTP_ENH_MAX);
		smtp_ehlo_parse(&r, &ext);
		/* No flag but the SMTP_EXT_* ones, the last DSN. */
		fuzz_check(ext.flags < SMTP_EXT_DSN * 2 && ext.auth < 0x10);
		p += used;
		len -= used;
	}
	smtp_reply_clear(&r);
}

static void
fuzz_body(const char *p, size_t len)
{
	struct buf b = BUF_INIT(1 << 22);

	fuzz_check(smtp_body_prepare(p, len, &b) == 0);
	fuzz_check(b.len >= 3 && memcmp(b.data + b.len - 3, ".\r\n", 3) == 0);
	for (size_t i = 0; i < b.len; i++) {
		if (b.data[i] == '\r')
			fuzz_check(i + 1 < b.len && b.data[i + 1] == '\n');
		if (b.data[i] == '\n')
			fuzz_check(i > 0 && b.data[i - 1] == '\r');
	}
	/* The end-of-data line appears only at the end. */
	for (size_t i = 0; i + 3 < b.len; i++)
		if (i == 0 || b.data[i - 1] == '\n')
			fuzz_check(!(b.data[i] == '.' && b.data[i + 1] == '\r'));
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_replies((const char *)data, size);
	fuzz_body((const char *)data, size);
	return 0;
}
