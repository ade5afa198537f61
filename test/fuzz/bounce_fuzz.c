/*
 * bounce_fuzz - libFuzzer target for the report parser: bounce_parse()
 * on arbitrary bytes, then the invariants bounce.h promises: at most
 * BOUNCE_RCPTS_MAX recipients, each a lower-case addr-spec of at most
 * BOUNCE_ADDRESS_MAX bytes with one "@" at least, texts of at most
 * BOUNCE_TEXT_MAX bytes on one line, a status that is empty or
 * class.subject.detail, names for every enum. The status helpers run on
 * the same bytes as text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "bounce_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

/* One line, bounded, no control byte. */
static void
fuzz_text(const char *s, size_t max)
{
	if (s == NULL)
		return;
	fuzz_check(strlen(s) <= max);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fuzz_check(*p >= 0x20 && *p != 0x7f);
}

static void
fuzz_status(const char *st)
{
	size_t n = strlen(st), dots = 0;

	fuzz_check(n < 16);
	if (n == 0)
		return;
	fuzz_check(st[0] == '2' || st[0] == '4' || st[0] == '5');
	for (size_t i = 1; i < n; i++) {
		fuzz_check(st[i] == '.' || (st[i] >= '0' && st[i] <= '9'));
		dots += st[i] == '.';
	}
	fuzz_check(dots == 2);
}

static void
fuzz_address(const char *a)
{
	fuzz_check(a != NULL);
	fuzz_check(strlen(a) <= BOUNCE_ADDRESS_MAX);
	fuzz_check(strchr(a, '@') != NULL);
	for (const char *p = a; *p; p++)
		fuzz_check(!(*p >= 'A' && *p <= 'Z') && *p != ' ' && *p != '\n');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_report r;
	struct buf err = BUF_INIT(256);
	char *text, st[16];

	if (bounce_parse((const char *)data, size, &r, &err) == 0) {
		fuzz_check(r.nrcpts <= BOUNCE_RCPTS_MAX);
		fuzz_check(r.nrcpts == 0 || r.rcpts != NULL);
		fuzz_check(r.recogniser != NULL);
		fuzz_check(strcmp(bounce_kind_name(r.kind), "") != 0);
		if (r.kind == BOUNCE_KIND_AUTOREPLY)
			fuzz_check(r.nrcpts == 0);
		for (size_t i = 0; i < r.nrcpts; i++) {
			const struct bounce_rcpt *rc = &r.rcpts[i];

			fuzz_address(rc->address);
			if (rc->original != NULL)
				fuzz_address(rc->original);
			fuzz_status(rc->status);
			fuzz_text(rc->diagnostic, BOUNCE_TEXT_MAX);
			fuzz_text(rc->remote_mta, BOUNCE_TEXT_MAX);
			fuzz_check(bounce_action_name(rc->action) != NULL);
			/* Addresses are unique. */
			for (size_t j = 0; j < i; j++)
				fuzz_check(strcmp(r.rcpts[j].address, rc->address) != 0);
		}
		fuzz_text(r.envid, BOUNCE_TEXT_MAX);
		fuzz_text(r.reporting_mta, BOUNCE_TEXT_MAX);
		fuzz_text(r.feedback_type, BOUNCE_TEXT_MAX);
		fuzz_text(r.disposition, BOUNCE_TEXT_MAX);
		fuzz_text(r.orig_message_id, BOUNCE_TEXT_MAX);
		fuzz_text(r.orig_list_id, BOUNCE_TEXT_MAX);
		if (r.orig_to != NULL)
			fuzz_address(r.orig_to);
		if (r.orig_return_path != NULL)
			fuzz_address(r.orig_return_path);
	}
	bounce_report_free(&r);
	buf_free(&err);

	/* The status helpers, on the input as one C string. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (bounce_status_from_text(text, st))
		fuzz_status(st);
	(void)bounce_is_hard(st, text);
	(void)bounce_is_hard(NULL, text);
	free(text);
	return 0;
}
