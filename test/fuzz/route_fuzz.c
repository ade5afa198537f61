/*
 * route_fuzz - libFuzzer target for what distribute does first with an
 * incoming message: the first line of the input is the envelope
 * recipient (routed with route_address) and the envelope sender, the
 * rest is the message (judged by autoreply_check and its two questions),
 * and a "held for moderation" reply is composed from it and parsed again.
 *
 * Invariants: a route is either INVALID with a reason or names a valid
 * list and domain; the feature switch only adds drops; a message may be
 * replied to only if nothing automated was seen; a notice composed from
 * any message parses with no defect and exactly the fields it wrote.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoreply.h"
#include "buf.h"
#include "listname.h"
#include "msg.h"
#include "notice.h"
#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "route_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

static void
fuzz_route(const char *rcpt, size_t len)
{
	const struct route_config cf = { "sympa", "listmaster", "bounce" };
	struct route r;
	const char *why;
	enum route_kind k = route_address(&cf, rcpt, len, &r);

	fuzz_check(k == r.kind && r.reason != NULL);
	if (k == ROUTE_INVALID) {
		fuzz_check(r.reason[0] != '\0' && r.list[0] == '\0');
		return;
	}
	fuzz_check(listname_check_domain(r.domain, &why) == 0);
	if (k >= ROUTE_POST && k <= ROUTE_UNSUBSCRIBE)
		fuzz_check(listname_check(r.list, &why) == 0);
	else
		fuzz_check(r.list[0] == '\0');
	fuzz_check(k == ROUTE_BOUNCE || r.token[0] == '\0');
}

static int
fuzz_msgid(void *arg, struct buf *out)
{
	(void)arg;
	return buf_puts(out, "fuzz.1");
}

static void
fuzz_notice(const struct msg *orig, const char *to)
{
	struct notice_ctx c = { .domain = "example.org", .list = "staff",
	    .now = 1763805600, .msgid = fuzz_msgid };
	struct notice_reply r = { .to = to, .orig = orig };
	struct buf out = BUF_INIT(1 << 20);
	struct msg *m;

	if (notice_reply(&c, NOTICE_HELD, &r, &out, NULL) < 0) {
		fuzz_check(out.len == 0);
		buf_free(&out);
		return;
	}
	m = msg_parse(out.data, out.len, NULL, NULL);
	fuzz_check(m != NULL && m->defects == 0 && m->nparts == 1);
	/* 10 fields, and In-Reply-To with References when the id was sane. */
	fuzz_check(m->root->nheaders == 10 || m->root->nheaders == 12);
	fuzz_check(memchr(out.data, '\r', out.len) == NULL);
	msg_free(m);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct autoreply_regex *re;
	static const char *const ours[] = { "staff@example.org", "sympa@example.org" };
	const char *s = (const char *)data, *nl = memchr(s, '\n', size);
	size_t first = nl ? (size_t)(nl - s) : size;
	struct autoreply_input in = { .our_addresses = ours, .n_our_addresses = 2,
	    .list_id = "staff.example.org" };
	char *env;
	struct msg *m;
	unsigned int bits;

	if (re == NULL) {
		struct buf err = BUF_INIT(256);

		re = autoreply_regex_new("mailer-daemon|sympa|listserv|majordomo|"
		    "smartlist|mailman", &err);
		buf_free(&err);
	}
	fuzz_route(s, first);
	if (nl == NULL)
		return 0;
	env = strndup(s, first);
	if (env == NULL)
		return 0;
	if ((m = msg_parse(nl + 1, size - first - 1, NULL, NULL)) != NULL) {
		in.msg = m;
		in.envelope_sender = env;
		in.loop_regex = re;
		bits = autoreply_check(&in);
		fuzz_check(autoreply_drop_post(&in, 0, NULL) <= autoreply_drop_post(&in, 1, NULL));
		fuzz_check(autoreply_may_reply(&in, 0, NULL) == (bits == 0));
		fuzz_check(autoreply_may_reply(&in, 1, NULL) == 0);
		fuzz_check(bits == 0 || autoreply_reason(bits)[0] != '\0');
		fuzz_notice(m, env);
		msg_free(m);
	}
	free(env);
	return 0;
}
