/*
 * oneclick_fuzz - libFuzzer target for what the one-click daemon reads
 * from outside: the request path (oneclick_parse) and the POST body
 * (oneclick_body_ok).
 *
 * An input starting with 'B' is a body: its first line is the
 * Content-Type, the rest the body. Any other input is a request path;
 * when it parses, the token is made again from the parsed fields, must
 * parse to the same fields, and must verify only if it is the one made
 * (a parsed MAC that verifies under the fuzzer's key is a forgery found).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "oneclick.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, with the invariant named. */
#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "oneclick_fuzz.c:%d: invariant broken: %s\n", line,
	    what);
	abort();
}

static void
fuzz_body(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	char *ctype;
	size_t clen = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	int r;

	ctype = malloc(clen + 1);
	if (ctype == NULL)
		return;
	memcpy(ctype, data, clen);
	ctype[clen] = '\0';
	if (nl != NULL)
		clen++;
	r = oneclick_body_ok(ctype, (const char *)data + clen, size - clen);
	fuzz_check(r == 0 || r == 1);
	free(ctype);
}

static void
fuzz_path(const uint8_t *data, size_t size)
{
	struct secret key;
	struct oneclick_token t, u;
	struct buf b = BUF_INIT(4096);
	time_t now;

	memset(&key, 0x5a, sizeof key);
	key.len = SECRET_LEN;
	if (oneclick_parse((const char *)data, size, &t) != 0)
		return;
	fuzz_check(strlen(t.list) > 0 && strlen(t.domain) > 0);
	fuzz_check(strchr(t.address, '@') != NULL);
	fuzz_check(t.day >= 0);
	now = (time_t)(t.day * 86400);
	fuzz_check(oneclick_token_make(&key, t.list, t.domain, t.address,
	    t.day, &b) == 0);
	fuzz_check(oneclick_parse(b.data, b.len, &u) == 0);
	fuzz_check(strcmp(t.list, u.list) == 0 &&
	    strcmp(t.domain, u.domain) == 0 &&
	    strcmp(t.address, u.address) == 0 && t.day == u.day);
	fuzz_check(oneclick_verify(&key, &u, now, 0) == ONECLICK_OK);
	if (memcmp(t.mac, u.mac, sizeof t.mac) != 0)
		fuzz_check(oneclick_verify(&key, &t, now, 0) ==
		    ONECLICK_FORGED);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 0 && data[0] == 'B')
		fuzz_body(data + 1, size - 1);
	else
		fuzz_path(data, size);
	return 0;
}
