/*
 * dmarc_fuzz - libFuzzer target for DMARC protection's parsers of outside
 * input. The first byte picks the target, the rest is its input:
 *	R	a TXT record (dmarc_record_parse)
 *	F	a From value for dmarc_rewrite; the next byte picks the phrase,
 *		the kind and whether Reply-To exists
 *	O	an other_email value for dmarc_rewrite
 *	D	a DNS answer (dmarc_dns_parse); its first two bytes are the id
 *	T	a static table (dmarc_table_load_text)
 *	M	a mode list, then a domain_regex after a NUL (dmarc_conf_new,
 *		dmarc_decide)
 * anything else goes to the record parser and the rewrite both. What is
 * checked: values produced never hold CR, LF or NUL and stay within their
 * limits; a failed rewrite leaves nothing behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "dmarc_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

/* A header value Herald may write: no CR, LF or NUL, bounded. */
static void
check_value(const struct buf *b)
{
	const char *s = buf_cstr(b);

	fuzz_check(b->len <= DMARC_FIELD_MAX);
	fuzz_check(strlen(s) == b->len);
	fuzz_check(strpbrk(s, "\r\n") == NULL);
}

static void
fuzz_record(const char *s, size_t n)
{
	struct dmarc_record r;
	int rc = dmarc_record_parse(s, n, &r);

	fuzz_check(rc >= -1 && rc <= 1);
	if (rc == 1)
		fuzz_check(r.p != DMARC_P_UNSET && r.p <= DMARC_P_REJECT &&
		    r.sp <= DMARC_P_REJECT);
}

static void
fuzz_rewrite(const char *from, size_t n, const char *other, unsigned sel)
{
	static const struct dmarc_result pol = { DMARC_FOUND, DMARC_P_REJECT,
		DMARC_SRC_DNS, "example.org", "v=DMARC1; p=reject" };
	struct dmarc_rewrite_in in = {
		.from = from, .from_len = n, .list_name = "dev",
		.addr = "dev@lists.example.org", .other_email = other,
		.phrase = (enum dmarc_phrase)(sel % 6),
		.kind = (enum dmarc_kind)((sel / 6) % 3),
		.has_reply_to = (sel / 18) & 1, .has_dkim_signature = (sel / 36) & 1,
		.policy = &pol,
	};
	struct dmarc_rewrite rw;
	const char *err = NULL;
	int rc;

	dmarc_rewrite_init(&rw);
	rc = dmarc_rewrite(&in, &rw, &err);
	if (rc == 0) {
		check_value(&rw.from);
		check_value(&rw.x_original_from);
		check_value(&rw.reply_to);
		check_value(&rw.x_original_dmarc_record);
		fuzz_check(rw.from.len > 0 && rw.from.data[rw.from.len - 1] == '>');
		fuzz_check(in.has_reply_to ? rw.reply_to.len == 0 : rw.reply_to.len > 0);
	} else {
		fuzz_check(rc == -1 && err != NULL);
		fuzz_check(rw.from.len == 0 && rw.x_original_from.len == 0 &&
		    rw.reply_to.len == 0 && rw.x_original_dmarc_record.len == 0);
	}
	dmarc_rewrite_free(&rw);
}

static void
fuzz_dns(const unsigned char *p, size_t n)
{
	struct dmarc_dns_answer a;
	uint16_t id;

	if (n < 2)
		return;
	id = (uint16_t)(p[0] << 8 | p[1]);
	switch (dmarc_dns_parse(p, n, id, "_dmarc.example.org", &a)) {
	case DMARC_DNS_ANSWER:
		fuzz_check(strlen(a.record) <= DMARC_RECORD_MAX);
		for (const char *s = a.record; *s != '\0'; s++)
			fuzz_check((unsigned char)*s >= 0x20);
		fuzz_check(a.ndmarc == 0 || a.usable == 1 || a.usable == -1);
		break;
	case DMARC_DNS_NODATA:
	case DMARC_DNS_NXDOMAIN:
	case DMARC_DNS_FAIL:
	case DMARC_DNS_IGNORE:
		break;
	default:
		fuzz_check(!"bad rcode");
	}
}

static void
fuzz_table(const char *s, size_t n)
{
	struct buf err = BUF_INIT(1 << 20);
	struct dmarc_table *t = dmarc_table_load_text("fuzz", s, n, &err);

	fuzz_check((t == NULL) == (err.len > 0));
	if (t != NULL) {
		fuzz_check(dmarc_table_size(t) <= DMARC_TABLE_MAX);
		(void)dmarc_table_get(t, "example.org");
	}
	dmarc_table_free(t);
	buf_free(&err);
}

static void
fuzz_conf(const char *s, size_t n)
{
	char *modes = malloc(n + 1);
	const char *re;
	struct buf err = BUF_INIT(4096);
	struct dmarc_conf *c;

	memcpy(modes, s, n);
	modes[n] = '\0';
	re = memchr(s, '\0', n) != NULL ? modes + strlen(modes) + 1 : "";
	c = dmarc_conf_new(modes, NULL, re, NULL, NULL, &err);
	if (c != NULL) {
		enum dmarc_verdict v = dmarc_decide(c, 0, 0, "a@example.org", NULL);

		fuzz_check(v == DMARC_KEEP || v == DMARC_PROTECT ||
		    v == DMARC_NEED_POLICY);
		fuzz_check(dmarc_decide(c, 1, 1, "a@example.org", NULL) == DMARC_KEEP);
		dmarc_conf_free(c);
	}
	buf_free(&err);
	free(modes);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t n = size > 0 ? size - 1 : 0;
	char *other;

	if (size == 0)
		return 0;
	switch (data[0]) {
	case 'R':
		fuzz_record(s, n);
		break;
	case 'F':
		if (n > 0)
			fuzz_rewrite(s + 1, n - 1, NULL, (unsigned char)s[0]);
		break;
	case 'O':
		other = malloc(n + 1);
		memcpy(other, s, n);
		other[n] = '\0';
		fuzz_rewrite("Ann <ann@example.org>", 21, other, 0);
		free(other);
		break;
	case 'D':
		fuzz_dns((const unsigned char *)s, n);
		break;
	case 'T':
		fuzz_table(s, n);
		break;
	case 'M':
		fuzz_conf(s, n);
		break;
	default:
		fuzz_record((const char *)data, size);
		fuzz_rewrite((const char *)data, size, NULL, data[0]);
		break;
	}
	return 0;
}
