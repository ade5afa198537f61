/*
 * bouncedb_fuzz - libFuzzer target for bounced's attribution: the top
 * header scan of a message for VERP and bounce addresses, the routing of
 * the envelope's addresses, the ARF's list from a List-Id and a
 * Return-Path (bouncedb_attribute, bouncedb_attribute_arf), with a fixed
 * key and clock.
 *
 * The first byte chooses: bit 0 tokens on, bit 1 a key (else tokens are
 * not checked), bits 2-3 the sender (null, a person, unknown), bit 4 a
 * recipient "sympa@lists.example.org" (else a list's address); the first
 * line after it, when not empty, is the original recipient; the rest is
 * the message. The same bytes are then given as an ARF's List-Id and
 * Return-Path. Whatever the input, the result must be one of the fates,
 * every string NUL-terminated within its array, a drop's reason a
 * bounce_rejects reason, a kept entry's reason given, and a VERP or list
 * attribution a valid list name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bouncedb.h"
#include "listname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW	((time_t)20414 * 86400 + 4000)
#define FUZZ_LINE_MAX	400

/* A broken invariant is a crash, with the invariant named. */
#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "bouncedb_fuzz.c:%d: invariant broken: %s\n", line,
	    what);
	abort();
}

static void
fuzz_attr(const struct bouncedb_attr *a)
{
	const char *why;

	fuzz_check(memchr(a->list, '\0', sizeof a->list) != NULL);
	fuzz_check(memchr(a->domain, '\0', sizeof a->domain) != NULL);
	fuzz_check(memchr(a->member, '\0', sizeof a->member) != NULL);
	fuzz_check(memchr(a->envid, '\0', sizeof a->envid) != NULL);
	fuzz_check(memchr(a->address, '\0', sizeof a->address) != NULL);
	switch (a->fate) {
	case BOUNCEDB_VERP:
	case BOUNCEDB_LIST:
		fuzz_check(listname_check(a->list, &why) == 0);
		fuzz_check(a->source != NULL);
		break;
	case BOUNCEDB_REJECT:
		fuzz_check(a->reason != NULL && *a->reason != '\0' &&
		    strlen(a->reason) <= BOUNCEDB_REASON_MAX &&
		    strspn(a->reason, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
		    strlen(a->reason));
		break;
	case BOUNCEDB_OWNER:
	case BOUNCEDB_OTHER:
		fuzz_check(a->reason != NULL && *a->reason != '\0');
		break;
	case BOUNCEDB_ARF:
		break;
	default:
		fuzz_check(!"a fate");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const senders[] = { "", "p@example.com", NULL, "" };
	struct secret key;
	struct bouncedb_site s;
	struct bouncedb_attr a;
	struct bounce_report r;
	char orig[FUZZ_LINE_MAX + 1], *text;
	const char *msg, *nl;
	size_t len, n;
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0];
	msg = (const char *)data + 1;
	len = size - 1;
	memset(&key, 0, sizeof key);
	for (size_t i = 0; i < SECRET_LEN; i++)
		key.key[i] = (unsigned char)(7 + i);
	key.len = SECRET_LEN;
	memset(&s, 0, sizeof s);
	s.tokens = flags & 1;
	s.key = flags & 2 ? &key : NULL;
	s.verp_days = 30;
	s.now = FUZZ_NOW;
	orig[0] = '\0';
	if ((nl = memchr(msg, '\n', len)) != NULL &&
	    (n = (size_t)(nl - msg)) <= FUZZ_LINE_MAX &&
	    memchr(msg, '\0', n) == NULL) {
		memcpy(orig, msg, n);
		orig[n] = '\0';
		len -= n + 1;
		msg = nl + 1;
	}
	bouncedb_attribute(&s, flags & 16 ? "sympa@lists.example.org" :
	    "staff@lists.example.org", orig[0] ? orig : NULL,
	    senders[(flags >> 2) & 3], msg, len, &a);
	fuzz_attr(&a);

	/* The same bytes as an ARF's returned message's fields. */
	text = malloc(len + 1);
	if (text == NULL)
		return 0;
	memcpy(text, msg, len);
	text[len] = '\0';
	memset(&r, 0, sizeof r);
	r.kind = BOUNCE_KIND_ARF;
	r.orig_list_id = text;
	r.orig_return_path = orig[0] ? orig : NULL;
	memset(&a, 0, sizeof a);
	if (flags & 32)
		snprintf(a.domain, sizeof a.domain, "lists.example.org");
	a.fate = BOUNCEDB_ARF;
	bouncedb_attribute_arf(&s, &r, &a);
	fuzz_attr(&a);
	fuzz_check(a.fate == BOUNCEDB_VERP || a.fate == BOUNCEDB_LIST ||
	    a.fate == BOUNCEDB_OTHER);
	free(text);
	return 0;
}
