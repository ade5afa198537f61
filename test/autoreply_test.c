/*
 * autoreply_test - automaton and loop detection, table-driven: each
 * header and sender test alone, the answers of the two questions (drop
 * with the feature on and off, may reply with and without spam), the
 * anchoring of loop_prevention_regex, and bad patterns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "autoreply.h"
#include "msg.h"

#define DEFAULT_REGEX	"mailer-daemon|sympa|listserv|majordomo|smartlist|mailman"

static const char *const ours[] = { "staff@example.org", "sympa@example.org" };

#define PERSON	"From: Ann <ann@example.net>\nSubject: hi\n"

static const struct {
	const char	*name;
	const char	*env;		/* envelope sender; NULL unknown */
	const char	*headers;	/* before the blank line */
	unsigned int	 bits;		/* autoreply_check() */
	int		 drop_on;	/* autoreply_drop_post(), feature on */
	int		 drop_off;	/* feature off */
	int		 reply;		/* autoreply_may_reply(), not spam */
	const char	*why;		/* a word of the first reason, or NULL */
} cases[] = {
	{ "person", "ann@example.net", PERSON, 0, 0, 0, 1, NULL },
	{ "unknown envelope", NULL, PERSON, 0, 0, 0, 1, NULL },
	{ "null sender", "", PERSON, AUTOREPLY_NULL_SENDER, 1, 0, 0, "null" },
	{ "null sender <>", "<>", PERSON, AUTOREPLY_NULL_SENDER, 1, 0, 0, "null" },
	{ "mailer-daemon envelope", "MAILER-DAEMON@mx.example.net", PERSON,
	    AUTOREPLY_DAEMON | AUTOREPLY_REGEX, 1, 0, 0, "MAILER-DAEMON" },
	{ "postmaster from", "ann@example.net",
	    "From: postmaster@example.net\n", AUTOREPLY_DAEMON, 1, 0, 0, "postmaster" },
	{ "regex from", "ann@example.net", "From: Sympa <sympa@other.org>\n",
	    AUTOREPLY_REGEX, 1, 0, 0, "loop_prevention" },
	{ "regex case", "ann@example.net", "From: LISTSERV@other.org\n",
	    AUTOREPLY_REGEX, 1, 0, 0, "loop_prevention" },
	{ "regex anchored start", "ann@example.net", "From: xsympa@other.org\n",
	    0, 0, 0, 1, NULL },
	{ "regex anchored end", "ann@example.net", "From: sympa-news@other.org\n",
	    0, 0, 0, 1, NULL },
	{ "regex no domain", "majordomo", PERSON, AUTOREPLY_REGEX, 1, 0, 0, "loop" },
	{ "owner envelope (nested list)", "big-owner@other.org",
	    PERSON "Precedence: list\nList-Id: <big.other.org>\n",
	    AUTOREPLY_ROLE | AUTOREPLY_PRECEDENCE, 0, 0, 0, "-owner" },
	{ "request from", "ann@example.net", "From: x-request@other.org\n",
	    AUTOREPLY_ROLE, 0, 0, 0, "-request" },
	{ "mailman bounces VERP", "big-bounces+ann=example.net@other.org", PERSON,
	    AUTOREPLY_ROLE, 0, 0, 0, "-bounce" },
	{ "owner- prefix", "owner-big@other.org", PERSON, AUTOREPLY_ROLE, 0, 0, 0, "owner" },
	{ "our bounce prefix", "bounce+tok@example.org", PERSON, AUTOREPLY_ROLE, 0, 0, 0,
	    "bounce" },
	{ "auto-submitted replied", "ann@example.net", PERSON "Auto-Submitted: auto-replied\n",
	    AUTOREPLY_AUTO_SUBMITTED, 1, 0, 0, "Auto-Submitted" },
	{ "auto-submitted with comment", "ann@example.net",
	    PERSON "Auto-Submitted: Auto-Generated (notice)\n",
	    AUTOREPLY_AUTO_SUBMITTED, 1, 0, 0, "Auto-Submitted" },
	{ "auto-submitted no", "ann@example.net", PERSON "Auto-Submitted: No\n",
	    0, 0, 0, 1, NULL },
	{ "auto-submitted no (comment)", "ann@example.net",
	    PERSON "Auto-Submitted: no (a person)\n", 0, 0, 0, 1, NULL },
	{ "auto-submitted empty", "ann@example.net", PERSON "Auto-Submitted: \n",
	    0, 0, 0, 1, NULL },
	{ "precedence bulk", "ann@example.net", PERSON "Precedence: bulk\n",
	    AUTOREPLY_PRECEDENCE, 0, 0, 0, "Precedence" },
	{ "precedence junk", "ann@example.net", PERSON "Precedence: JUNK\n",
	    AUTOREPLY_PRECEDENCE, 0, 0, 0, "Precedence" },
	{ "precedence first-class", "ann@example.net", PERSON "Precedence: first-class\n",
	    0, 0, 0, 1, NULL },
	{ "x-loop ours", "ann@example.net", PERSON "X-Loop: staff@example.org\n",
	    AUTOREPLY_X_LOOP, 1, 1, 0, "X-Loop" },
	{ "x-loop ours, second field, brackets, case", "ann@example.net",
	    PERSON "X-Loop: other@example.net\nX-Loop:  <Sympa@Example.ORG> \n",
	    AUTOREPLY_X_LOOP, 1, 1, 0, "X-Loop" },
	{ "x-loop folded", "ann@example.net", PERSON "X-Loop:\n staff@example.org\n",
	    AUTOREPLY_X_LOOP, 1, 1, 0, "X-Loop" },
	{ "x-loop other", "ann@example.net", PERSON "X-Loop: big@other.org\n",
	    0, 0, 0, 1, NULL },
	{ "x-loop prefix only", "ann@example.net", PERSON "X-Loop: staff@example.org.evil\n",
	    0, 0, 0, 1, NULL },
	{ "list-id ours", "ann@example.net", PERSON "List-Id: Staff <staff.example.org>\n",
	    AUTOREPLY_LIST_ID, 1, 1, 0, "List-Id" },
	{ "list-id ours bare", "ann@example.net", PERSON "List-Id: STAFF.example.org\n",
	    AUTOREPLY_LIST_ID, 1, 1, 0, "List-Id" },
	{ "list-id other", "ann@example.net", PERSON "List-Id: <big.other.org>\n",
	    0, 0, 0, 1, NULL },
	{ "content-identifier", "ann@example.net", PERSON "Content-Identifier: AUTO-REPLIED\n",
	    AUTOREPLY_CONTENT_ID, 1, 0, 0, "Content-Identifier" },
	{ "x400-content-identifier", "ann@example.net",
	    PERSON "X400-Content-Identifier: Auto Reply to: your message\n",
	    AUTOREPLY_X400, 1, 0, 0, "X400" },
	{ "x-autoreply", "ann@example.net", PERSON "X-Autoreply: yes\n",
	    AUTOREPLY_X_AUTOREPLY, 1, 0, 0, "X-Autoreply" },
	{ "x-autorespond", "ann@example.net", PERSON "X-Autorespond: \n",
	    AUTOREPLY_X_AUTOREPLY, 1, 0, 0, "X-Autoreply" },
	{ "delivery report", "ann@example.net",
	    PERSON "MIME-Version: 1.0\nContent-Type: multipart/report; "
	    "report-type=delivery-status; boundary=b\n",
	    AUTOREPLY_REPORT, 1, 0, 0, "report" },
	{ "several: first reason is the lowest bit", "",
	    PERSON "Precedence: bulk\nX-Loop: staff@example.org\n",
	    AUTOREPLY_NULL_SENDER | AUTOREPLY_PRECEDENCE | AUTOREPLY_X_LOOP,
	    1, 1, 0, "null" },
	{ "no From at all", "ann@example.net", "Subject: x\n", 0, 0, 0, 1, NULL },
	{ "unparsable From", "ann@example.net", "From: <<<\n", 0, 0, 0, 1, NULL },
};

static struct autoreply_regex *
default_regex(void)
{
	struct buf err = BUF_INIT(512);
	struct autoreply_regex *re = autoreply_regex_new(DEFAULT_REGEX, &err);

	assert_non_null(re);
	assert_int_equal(err.len, 0);
	buf_free(&err);
	return re;
}

static void
test_table(void **state)
{
	struct autoreply_regex *re = default_regex();

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf raw = BUF_INIT(1 << 16);
		struct autoreply_input in = {
			.envelope_sender = cases[i].env,
			.our_addresses = ours, .n_our_addresses = 2,
			.list_id = "staff.example.org", .loop_regex = re,
		};
		const char *why = NULL;
		struct msg *m;
		unsigned int bits;

		buf_printf(&raw, "%s\nbody\n", cases[i].headers);
		m = msg_parse(raw.data, raw.len, NULL, NULL);
		assert_non_null(m);
		in.msg = m;
		bits = autoreply_check(&in);
		if (bits != cases[i].bits)
			fail_msg("%s: bits %#x, want %#x", cases[i].name, bits, cases[i].bits);
		if (autoreply_drop_post(&in, 1, &why) != cases[i].drop_on)
			fail_msg("%s: drop (feature on) wrong: %s", cases[i].name, why);
		if (cases[i].drop_on && strstr(why, cases[i].why) == NULL)
			fail_msg("%s: drop reason '%s' lacks '%s'", cases[i].name, why,
			    cases[i].why);
		if (autoreply_drop_post(&in, 0, &why) != cases[i].drop_off)
			fail_msg("%s: drop (feature off) wrong: %s", cases[i].name, why);
		if (autoreply_may_reply(&in, 0, &why) != cases[i].reply)
			fail_msg("%s: may_reply wrong: %s", cases[i].name, why);
		if (!cases[i].reply && strstr(why, cases[i].why) == NULL)
			fail_msg("%s: reply reason '%s' lacks '%s'", cases[i].name, why,
			    cases[i].why);
		/* Spam never gets a reply. */
		assert_int_equal(autoreply_may_reply(&in, 1, &why), 0);
		if (cases[i].reply)
			assert_string_equal(why, "spam");
		msg_free(m);
		buf_free(&raw);
	}
	autoreply_regex_free(re);
}

/* The caller's idea of the author wins over From. */
static void
test_sender_given(void **state)
{
	static const char raw[] = "From: sympa@other.org\n\nbody\n";
	struct msg *m = msg_parse(raw, sizeof raw - 1, NULL, NULL);
	struct autoreply_regex *re = default_regex();
	struct autoreply_input in = { .msg = m, .envelope_sender = "ann@example.net",
	    .sender = "ann@example.net", .loop_regex = re };

	(void)state;
	assert_int_equal(autoreply_check(&in), 0);
	in.sender = NULL;
	assert_int_equal(autoreply_check(&in), AUTOREPLY_REGEX);
	/* Without a regex the test is skipped. */
	in.loop_regex = NULL;
	assert_int_equal(autoreply_check(&in), 0);
	/* Another bounce local part. */
	in.envelope_sender = "rp+x@example.org";
	in.bounce_localpart = "rp";
	assert_int_equal(autoreply_check(&in), AUTOREPLY_ROLE);
	msg_free(m);
	autoreply_regex_free(re);
}

static void
test_regex(void **state)
{
	static const struct {
		const char	*pattern;
		const char	*addr;
		int		 match;
	} rx[] = {
		{ "sympa", "sympa@x.org", 1 },
		{ "sympa", "SYMPA@x.org", 1 },
		{ "sympa", "sympa", 1 },
		{ "sympa", "sympa-request@x.org", 0 },
		{ "sympa", "my-sympa@x.org", 0 },
		{ "a|b", "b@x.org", 1 },		/* the group keeps | inside */
		{ "a|b", "ab@x.org", 0 },
		{ "owner-.*", "owner-big@x.org", 1 },
		{ "no-?reply", "noreply@x.org", 1 },
		{ "no-?reply", "no-reply@x.org", 1 },
		{ "ann@example\\.net", "ann@example.net", 1 },
		{ "ann@example\\.net", "ann@example.netx", 0 },
		{ "caf\xc3\xa9", "CAF\xc3\x89@x.org", 1 },
		{ "x", "x\xff@x.org", 0 },		/* invalid UTF-8: no match, no error */
		{ "(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab@x", 0 },
	};
	struct buf err = BUF_INIT(512);

	(void)state;
	for (size_t i = 0; i < sizeof rx / sizeof rx[0]; i++) {
		struct autoreply_regex *re = autoreply_regex_new(rx[i].pattern, &err);

		if (re == NULL)
			fail_msg("%s: %s", rx[i].pattern, buf_cstr(&err));
		if (autoreply_regex_match(re, rx[i].addr, strlen(rx[i].addr)) != rx[i].match)
			fail_msg("'%s' on '%s': want %d", rx[i].pattern, rx[i].addr, rx[i].match);
		autoreply_regex_free(re);
	}
	assert_null(autoreply_regex_new("", &err));
	assert_int_equal(err.len, 0);
	assert_null(autoreply_regex_new(NULL, &err));
	assert_null(autoreply_regex_new("(unclosed", &err));
	assert_non_null(strstr(buf_cstr(&err), "loop_prevention_regex"));
	assert_int_equal(autoreply_regex_match(NULL, "sympa@x", 7), 0);
	buf_free(&err);
}

static void
test_reasons(void **state)
{
	(void)state;
	assert_string_equal(autoreply_reason(0), "");
	assert_non_null(strstr(autoreply_reason(AUTOREPLY_REPORT), "report"));
	assert_non_null(strstr(autoreply_reason(AUTOREPLY_X_LOOP | AUTOREPLY_REPORT),
	    "X-Loop"));
	for (unsigned int b = 1; b <= AUTOREPLY_REPORT; b <<= 1)
		assert_true(autoreply_reason(b)[0] != '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_sender_given),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
