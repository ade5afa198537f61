/*
 * verp_fuzz - libFuzzer target for what bounced reads from outside: a
 * VERP return path (verp_parse, verp_verify), with a fixed key.
 *
 * An input starting with 'P' gives its own prefix on its first line, the
 * address after it; any other input is an address of the prefix
 * "bounce". When the address parses, it is made again from the parsed
 * fields on the day it claims: the result must parse to the same fields,
 * verify, and equal the input in lower case but for the eight MAC
 * characters; the input itself must verify exactly when its MAC is the
 * one made (one that verifies otherwise is a forgery found).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "secret.h"
#include "verp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW	((time_t)20414 * 86400 + 4000)

/* A broken invariant is a crash, with the invariant named. */
#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "verp_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

static int
fuzz_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static void
fuzz_result_ok(int r)
{
	fuzz_check(r == VERP_OK || r == VERP_FORGED || r == VERP_EXPIRED);
}

/* The input in lower case equals the address made, but for its MAC. */
static void
fuzz_same_but_mac(const char *prefix, const char *in, size_t n,
    const struct buf *made)
{
	size_t mac = strlen(prefix) + 1 + 2;

	fuzz_check(made->len == n);
	for (size_t i = 0; i < n; i++)
		if (i < mac || i >= mac + 8)
			fuzz_check(fuzz_lower((unsigned char)in[i]) ==
			    made->data[i]);
}

static void
fuzz_address(const char *prefix, const char *in, size_t n)
{
	struct secret key;
	struct verp_parsed p, q;
	struct buf b = BUF_INIT(1024);
	long long day;
	time_t then;
	int r;

	memset(&key, 0x5a, sizeof key);
	key.len = SECRET_LEN;
	if (verp_parse(prefix, in, n, &p) != 0)
		return;
	fuzz_check(p.list[0] != '\0' && p.list_domain[0] != '\0');
	/* A member's address, or none: the list-only form. */
	fuzz_check(p.member[0] == '\0' || strchr(p.member, '@') != NULL);
	fuzz_check(strlen(p.envid) <= VERP_ENVID_MAX);
	fuzz_check(p.day_mod < VERP_DAY_MOD);
	for (time_t t = FUZZ_NOW - 3000L * 86400; t <= FUZZ_NOW;
	    t += 1000L * 86400)
		fuzz_result_ok(verp_verify(&key, &p, t, 0));
	day = verp_day(&p, FUZZ_NOW);
	fuzz_check(day <= FUZZ_NOW / 86400 + 1 &&
	    day > FUZZ_NOW / 86400 + 1 - VERP_DAY_MOD);
	fuzz_check(day % VERP_DAY_MOD == p.day_mod);
	then = (time_t)day * 86400;
	fuzz_check(verp_encode_envid(&key, prefix, p.list, p.list_domain,
	    p.member, p.envid, then, &b) == 0);
	fuzz_same_but_mac(prefix != NULL && *prefix != '\0' ? prefix :
	    VERP_PREFIX_DEFAULT, in, n, &b);
	fuzz_check(verp_parse(prefix, b.data, b.len, &q) == 0);
	fuzz_check(strcmp(p.list, q.list) == 0 &&
	    strcmp(p.list_domain, q.list_domain) == 0 &&
	    strcmp(p.member, q.member) == 0 &&
	    strcmp(p.envid, q.envid) == 0 && p.day_mod == q.day_mod);
	fuzz_check(verp_verify(&key, &q, then, 0) == VERP_OK);
	r = verp_verify(&key, &p, then, 0);
	if (memcmp(p.mac, q.mac, sizeof p.mac) == 0)
		fuzz_check(r == VERP_OK);
	else
		fuzz_check(r == VERP_FORGED);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *nl;
	char *prefix;
	size_t plen;

	if (size == 0 || data[0] != 'P') {
		fuzz_address("bounce", in, size);
		return 0;
	}
	nl = memchr(in + 1, '\n', size - 1);
	plen = nl != NULL ? (size_t)(nl - in - 1) : size - 1;
	if ((prefix = malloc(plen + 1)) == NULL)
		return 0;
	memcpy(prefix, in + 1, plen);
	prefix[plen] = '\0';
	if (nl != NULL)
		fuzz_address(prefix, nl + 1, size - plen - 2);
	else
		fuzz_address(prefix, "", 0);
	free(prefix);
	return 0;
}
