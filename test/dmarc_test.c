/*
 * dmarc_test - DMARC protection: record parsing, modes and phrases, the
 * trigger test, the From rewrite for every phrase, name form and kind,
 * the static table and its errors, and the resolver against an
 * in-process DNS server (evdns_add_server_port_with_base on 127.0.0.1)
 * that answers TXT, CNAME, NXDOMAIN, SERVFAIL or nothing, and counts the
 * queries it gets so the cache can be checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include "buf.h"
#include "codec.h"
#include "dmarc.h"
#include "testutil.h"

/* Records. */

struct record_case {
	const char	*txt;
	int		 rc;
	enum dmarc_policy p, sp;
};

static void
test_record_parse(void **state)
{
	static const struct record_case cases[] = {
		{ "v=DMARC1; p=reject", 1, DMARC_P_REJECT, DMARC_P_UNSET },
		{ "v=DMARC1;p=quarantine;sp=none", 1, DMARC_P_QUARANTINE, DMARC_P_NONE },
		{ "  V = dmarc1 ;  P = Reject ; SP=QUARANTINE ", 1, DMARC_P_REJECT,
		  DMARC_P_QUARANTINE },
		{ "v=DMARC1;\tp=none;\trua=mailto:d@x.org", 1, DMARC_P_NONE, DMARC_P_UNSET },
		{ "v=DMARC1; p=bogus; rua=mailto:x@y", 1, DMARC_P_NONE, DMARC_P_UNSET },
		{ "v=DMARC1; rua=mailto:a@b", 1, DMARC_P_NONE, DMARC_P_UNSET },
		{ "v=DMARC1; p=bogus", -1, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "v=DMARC1", -1, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "v=DMARC1;", -1, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "v=DMARC1; p=", -1, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "v=DMARC1; p=none; p=reject", 1, DMARC_P_NONE, DMARC_P_UNSET },
		{ "v=DMARC1; sp=reject; p=none", 1, DMARC_P_NONE, DMARC_P_REJECT },
		{ "v=DMARC1; p=reject; sp=bogus", 1, DMARC_P_REJECT, DMARC_P_UNSET },
		{ "v=DMARC1;;p=reject;", 1, DMARC_P_REJECT, DMARC_P_UNSET },
		{ "v=DMARC1; junk; p=quarantine; x y=z", 1, DMARC_P_QUARANTINE,
		  DMARC_P_UNSET },
		{ "v=DMARC1; pct=50; p=reject; adkim=s", 1, DMARC_P_REJECT, DMARC_P_UNSET },
		{ "v=spf1 -all", 0, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "p=reject; v=DMARC1", 0, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "v=DMARC2; p=reject", 0, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "v=DMARC1x; p=reject", 0, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "", 0, DMARC_P_UNSET, DMARC_P_UNSET },
		{ ";;;", 0, DMARC_P_UNSET, DMARC_P_UNSET },
		{ "v=", 0, DMARC_P_UNSET, DMARC_P_UNSET },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dmarc_record r;
		int rc = dmarc_record_parse(cases[i].txt, strlen(cases[i].txt), &r);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d, want %d", cases[i].txt, rc, cases[i].rc);
		if (rc == 1 && (r.p != cases[i].p || r.sp != cases[i].sp))
			fail_msg("\"%s\": p=%s sp=%s", cases[i].txt,
			    dmarc_policy_name(r.p), dmarc_policy_name(r.sp));
	}
}

/* Modes and phrases. */

static void
test_modes_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 modes;
	} cases[] = {
		{ "", 0, 0 },
		{ "none", 0, 0 },
		{ "all", 0, DMARC_MODE_ALL },
		{ "none,all", 0, DMARC_MODE_ALL },
		{ "dkim_signature", 0, DMARC_MODE_DKIM_SIGNATURE },
		{ "dkim, dkim_exists", 0, DMARC_MODE_DKIM_SIGNATURE },
		{ "domain_regex,domain,domain_match", 0, DMARC_MODE_DOMAIN_REGEX },
		{ "dmarc_any dmarc_exists", 0, DMARC_MODE_DMARC_ANY },
		{ "dmarc_reject,dmarc_quarantine", 0,
		  DMARC_MODE_DMARC_REJECT | DMARC_MODE_DMARC_QUARANTINE },
		{ "DMARC_Reject", 0, DMARC_MODE_DMARC_REJECT },
		{ "all,bogus", -1, 0 },
		{ "dmarc", -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf err = BUF_INIT(256);
		unsigned m = 99;
		int rc = dmarc_modes_parse(cases[i].in, &m, &err);

		if (rc != cases[i].rc || m != cases[i].modes)
			fail_msg("\"%s\": rc %d modes %#x", cases[i].in, rc, m);
		if (rc < 0)
			assert_non_null(strstr(buf_cstr(&err), "unknown dmarc_protection mode"));
		buf_free(&err);
	}
}

static void
test_phrase_parse(void **state)
{
	(void)state;
	assert_int_equal(dmarc_phrase_parse(NULL), DMARC_PHRASE_NAME_VIA_LIST);
	assert_int_equal(dmarc_phrase_parse(""), DMARC_PHRASE_NAME_VIA_LIST);
	for (int p = DMARC_PHRASE_NAME_VIA_LIST; p <= DMARC_PHRASE_DISPLAY_NAME; p++)
		assert_int_equal(dmarc_phrase_parse(dmarc_phrase_name(p)), p);
	assert_int_equal(dmarc_phrase_parse("name"), DMARC_PHRASE_DISPLAY_NAME);
	assert_int_equal(dmarc_phrase_parse("prefixed"), DMARC_PHRASE_LIST_FOR_NAME);
	assert_int_equal(dmarc_phrase_parse("bogus"), -1);
}

static void
test_conf(void **state)
{
	struct buf err = BUF_INIT(1024);
	struct dmarc_conf *c;

	(void)state;
	/* The list's value wins; an empty one takes the site's. */
	c = dmarc_conf_new("", "all", NULL, NULL, NULL, &err);
	assert_non_null(c);
	assert_int_equal(dmarc_conf_modes(c), DMARC_MODE_ALL);
	assert_true(dmarc_conf_enabled(c));
	assert_int_equal(dmarc_conf_phrase(c), DMARC_PHRASE_NAME_VIA_LIST);
	assert_string_equal(dmarc_conf_other_email(c), "");
	dmarc_conf_free(c);
	c = dmarc_conf_new("none", "all", NULL, "x@y", "list_for_email", &err);
	assert_non_null(c);
	assert_false(dmarc_conf_enabled(c));
	assert_int_equal(dmarc_conf_phrase(c), DMARC_PHRASE_LIST_FOR_EMAIL);
	assert_string_equal(dmarc_conf_other_email(c), "x@y");
	dmarc_conf_free(c);
	c = dmarc_conf_new(NULL, NULL, NULL, NULL, NULL, &err);
	assert_false(dmarc_conf_enabled(c));
	dmarc_conf_free(c);

	assert_null(dmarc_conf_new("domain_regex", NULL, "(unclosed", NULL, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "domain_regex"));
	buf_reset(&err);
	assert_null(dmarc_conf_new("all", NULL, NULL, NULL, "shouting", &err));
	assert_non_null(strstr(buf_cstr(&err), "phrase"));
	buf_reset(&err);
	assert_null(dmarc_conf_new("sometimes", NULL, NULL, NULL, NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "sometimes"));
	buf_free(&err);
}

/* The trigger test. */

static const struct dmarc_result pol_reject = { DMARC_FOUND, DMARC_P_REJECT,
	DMARC_SRC_DNS, "x.org", "v=DMARC1; p=reject" };
static const struct dmarc_result pol_quar = { DMARC_FOUND, DMARC_P_QUARANTINE,
	DMARC_SRC_DNS, "x.org", "v=DMARC1; p=quarantine" };
static const struct dmarc_result pol_none = { DMARC_FOUND, DMARC_P_NONE,
	DMARC_SRC_DNS, "x.org", "v=DMARC1; p=none" };
static const struct dmarc_result pol_absent = { DMARC_ABSENT, DMARC_P_UNSET,
	DMARC_SRC_DNS, "", "" };
static const struct dmarc_result pol_unknown = { DMARC_UNKNOWN, DMARC_P_UNSET,
	DMARC_SRC_DNS, "", "" };

struct decide_case {
	const char	*modes;
	const char	*regex;
	int		 anonymous;
	int		 dkim;
	const char	*from;
	const struct dmarc_result *policy;
	enum dmarc_verdict want;
};

static void
test_decide(void **state)
{
	static const struct decide_case cases[] = {
		{ "", NULL, 0, 1, "a@x.org", &pol_reject, DMARC_KEEP },
		{ "none", NULL, 0, 1, "a@x.org", &pol_reject, DMARC_KEEP },
		{ "all", NULL, 0, 0, "a@x.org", NULL, DMARC_PROTECT },
		{ "all", NULL, 1, 0, "a@x.org", NULL, DMARC_KEEP },	/* anonymous_sender */
		{ "all", NULL, 0, 0, "no-domain", NULL, DMARC_KEEP },
		{ "all", NULL, 0, 0, NULL, NULL, DMARC_KEEP },
		{ "dkim_signature", NULL, 0, 1, "a@x.org", NULL, DMARC_PROTECT },
		{ "dkim_signature", NULL, 0, 0, "a@x.org", NULL, DMARC_KEEP },
		{ "domain_regex", "x\\.org", 0, 0, "a@x.org", NULL, DMARC_PROTECT },
		{ "domain_regex", "x\\.org", 0, 0, "a@sub.x.org", NULL, DMARC_PROTECT },
		{ "domain_regex", "x\\.org", 0, 0, "a@X.ORG", NULL, DMARC_PROTECT },
		{ "domain_regex", "x\\.org", 0, 0, "a@x.org.evil", NULL, DMARC_KEEP },
		{ "domain_regex", "yahoo\\.com|aol\\.com", 0, 0, "a@aol.com", NULL,
		  DMARC_PROTECT },
		{ "domain_regex", "yahoo\\.com|aol\\.com", 0, 0, "a@yahoo.com.au", NULL,
		  DMARC_KEEP },
		{ "domain_regex", "X\\.ORG", 0, 0, "a@x.org", NULL, DMARC_KEEP },	/* Perl: case-sensitive */
		{ "domain_regex", NULL, 0, 0, "a@x.org", NULL, DMARC_KEEP },
		{ "dmarc_reject", NULL, 0, 0, "a@x.org", NULL, DMARC_NEED_POLICY },
		{ "dmarc_reject", NULL, 0, 0, "a@x.org", &pol_reject, DMARC_PROTECT },
		{ "dmarc_reject", NULL, 0, 0, "a@x.org", &pol_quar, DMARC_KEEP },
		{ "dmarc_reject", NULL, 0, 0, "a@x.org", &pol_unknown, DMARC_KEEP },
		{ "dmarc_quarantine", NULL, 0, 0, "a@x.org", &pol_quar, DMARC_PROTECT },
		{ "dmarc_quarantine", NULL, 0, 0, "a@x.org", &pol_reject, DMARC_KEEP },
		{ "dmarc_reject,dmarc_quarantine", NULL, 0, 0, "a@x.org", &pol_reject,
		  DMARC_PROTECT },
		{ "dmarc_any", NULL, 0, 0, "a@x.org", &pol_none, DMARC_PROTECT },
		{ "dmarc_any", NULL, 0, 0, "a@x.org", &pol_absent, DMARC_KEEP },
		{ "dmarc_any", NULL, 1, 0, "a@x.org", &pol_reject, DMARC_KEEP },
		/* An earlier mode decides without the policy. */
		{ "dmarc_reject,dkim_signature", NULL, 0, 1, "a@x.org", NULL, DMARC_PROTECT },
		{ "dmarc_reject,domain_regex", "x\\.org", 0, 0, "a@x.org", NULL,
		  DMARC_PROTECT },
		{ "dmarc_reject,domain_regex", "y\\.org", 0, 0, "a@x.org", NULL,
		  DMARC_NEED_POLICY },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decide_case *k = &cases[i];
		struct buf err = BUF_INIT(1024);
		struct dmarc_conf *c = dmarc_conf_new(k->modes, NULL, k->regex, NULL,
		    NULL, &err);
		enum dmarc_verdict v;

		if (c == NULL)
			fail_msg("case %zu: %s", i, buf_cstr(&err));
		v = dmarc_decide(c, k->anonymous, k->dkim, k->from, k->policy);
		if (v != k->want)
			fail_msg("case %zu (%s, %s): verdict %d, want %d", i, k->modes,
			    k->from ? k->from : "NULL", v, k->want);
		dmarc_conf_free(c);
		buf_free(&err);
	}
	assert_string_equal(dmarc_addr_domain("a@b@c.org"), "c.org");
	assert_null(dmarc_addr_domain("a@"));
}

/* The rewrite: every phrase x name form x kind. */

struct rewrite_case {
	const char	*from;
	enum dmarc_phrase phrase;
	enum dmarc_kind	 kind;
	const char	*want;
};

#define NVL	DMARC_PHRASE_NAME_VIA_LIST
#define NEVL	DMARC_PHRASE_NAME_EMAIL_VIA_LIST
#define NAE	DMARC_PHRASE_NAME_AND_EMAIL
#define LFN	DMARC_PHRASE_LIST_FOR_NAME
#define LFE	DMARC_PHRASE_LIST_FOR_EMAIL
#define DN	DMARC_PHRASE_DISPLAY_NAME
#define POST	DMARC_KIND_POST
#define REQ	DMARC_KIND_REQUEST
#define EDI	DMARC_KIND_EDITOR

#define ANN	"Ann <ann@x.org>"
#define BARE	"<ann@x.org>"
#define ENC	"=?utf-8?q?Andr=C3=A9?= <andre@x.org>"
#define SPEC	"\"Doe, John (Jr.)\" <j@x.org>"
#define CMT	"ann@x.org (Ann Smith)"
#define BLANK	"\"  \" <ann@x.org>"
#define UTFL	"=?utf-8?q?Andr=C3=A9?= <andr\xc3\xa9@x.org>"

static const struct rewrite_case rewrite_cases[] = {
	/* name_via_list */
	{ ANN, NVL, POST, "Ann (via dev Mailing List) <dev@lists.d>" },
	{ BARE, NVL, POST, "ann (via dev Mailing List) <dev@lists.d>" },
	{ ENC, NVL, POST, "=?utf-8?b?QW5kcsOp?= (via dev Mailing List) <dev@lists.d>" },
	{ SPEC, NVL, POST, "\"Doe, John (Jr.)\" (via dev Mailing List) <dev@lists.d>" },
	{ CMT, NVL, POST, "Ann Smith (via dev Mailing List) <dev@lists.d>" },
	{ BLANK, NVL, POST, "Anonymous (via dev Mailing List) <dev@lists.d>" },
	{ ANN, NVL, REQ, "Ann (via Owner Address of dev Mailing List) <dev-request@lists.d>" },
	{ ANN, NVL, EDI, "Ann (via Moderator Address of dev Mailing List) <dev-editor@lists.d>" },
	/* name_email_via_list */
	{ ANN, NEVL, POST, "Ann (ann@x.org via dev Mailing List) <dev@lists.d>" },
	{ BARE, NEVL, POST, "ann (ann@x.org via dev Mailing List) <dev@lists.d>" },
	{ ENC, NEVL, POST, "=?utf-8?b?QW5kcsOp?= (andre@x.org via dev Mailing List) <dev@lists.d>" },
	{ SPEC, NEVL, POST, "\"Doe, John (Jr.)\" (j@x.org via dev Mailing List) <dev@lists.d>" },
	{ ANN, NEVL, REQ, "Ann (ann@x.org via Owner Address of dev Mailing List) <dev-request@lists.d>" },
	{ ANN, NEVL, EDI, "Ann (ann@x.org via Moderator Address of dev Mailing List) <dev-editor@lists.d>" },
	/* name_and_email */
	{ ANN, NAE, POST, "Ann (ann@x.org) <dev@lists.d>" },
	{ BARE, NAE, POST, "ann (ann@x.org) <dev@lists.d>" },
	{ ENC, NAE, POST, "=?utf-8?b?QW5kcsOp?= (andre@x.org) <dev@lists.d>" },
	{ SPEC, NAE, POST, "\"Doe, John (Jr.)\" (j@x.org) <dev@lists.d>" },
	{ BLANK, NAE, POST, "Anonymous (ann@x.org) <dev@lists.d>" },
	{ UTFL, NAE, POST, "=?utf-8?b?QW5kcsOp?= (=?utf-8?b?YW5kcsOpQHgub3Jn?=) <dev@lists.d>" },
	{ ANN, NAE, REQ, "Ann (ann@x.org) <dev-request@lists.d>" },
	{ ANN, NAE, EDI, "Ann (ann@x.org) <dev-editor@lists.d>" },
	/* list_for_name */
	{ ANN, LFN, POST, "dev Mailing List (on behalf of Ann) <dev@lists.d>" },
	{ BARE, LFN, POST, "dev Mailing List (on behalf of ann) <dev@lists.d>" },
	{ ENC, LFN, POST, "dev Mailing List (=?utf-8?b?b24gYmVoYWxmIG9mIEFuZHLDqQ==?=) <dev@lists.d>" },
	{ SPEC, LFN, POST, "dev Mailing List (on behalf of Doe, John \\(Jr.\\)) <dev@lists.d>" },
	{ BLANK, LFN, POST, "dev Mailing List (on behalf of ) <dev@lists.d>" },
	{ ANN, LFN, REQ, "Owner Address of dev Mailing List (on behalf of Ann) <dev-request@lists.d>" },
	{ ANN, LFN, EDI, "Moderator Address of dev Mailing List (on behalf of Ann) <dev-editor@lists.d>" },
	/* list_for_email */
	{ ANN, LFE, POST, "dev Mailing List (on behalf of ann@x.org) <dev@lists.d>" },
	{ BARE, LFE, POST, "dev Mailing List (on behalf of ann@x.org) <dev@lists.d>" },
	{ ENC, LFE, POST, "dev Mailing List (on behalf of andre@x.org) <dev@lists.d>" },
	{ SPEC, LFE, POST, "dev Mailing List (on behalf of j@x.org) <dev@lists.d>" },
	{ UTFL, LFE, POST, "dev Mailing List (=?utf-8?b?b24gYmVoYWxmIG9mIGFuZHLDqUB4Lm9yZw==?=) <dev@lists.d>" },
	{ ANN, LFE, REQ, "Owner Address of dev Mailing List (on behalf of ann@x.org) <dev-request@lists.d>" },
	{ ANN, LFE, EDI, "Moderator Address of dev Mailing List (on behalf of ann@x.org) <dev-editor@lists.d>" },
	/* display_name */
	{ ANN, DN, POST, "Ann <dev@lists.d>" },
	{ BARE, DN, POST, "ann <dev@lists.d>" },
	{ ENC, DN, POST, "=?utf-8?b?QW5kcsOp?= <dev@lists.d>" },
	{ SPEC, DN, POST, "\"Doe, John (Jr.)\" <dev@lists.d>" },
	{ BLANK, DN, POST, "Anonymous <dev@lists.d>" },
	{ ANN, DN, REQ, "Ann <dev-request@lists.d>" },
	{ ANN, DN, EDI, "Ann <dev-editor@lists.d>" },
	/* Folding, a second mailbox, a group. */
	{ "Ann\r\n <ann@x.org>", NVL, POST, "Ann (via dev Mailing List) <dev@lists.d>" },
	{ "Ann <ann@x.org>, Bob <bob@y.org>", NAE, POST, "Ann (ann@x.org) <dev@lists.d>" },
	{ "team: Ann <ann@x.org>;", NAE, POST, "Ann (ann@x.org) <dev@lists.d>" },
	{ "\"a\\\\b\" <ab@x.org>", LFN, POST, "dev Mailing List (on behalf of a\\\\b) <dev@lists.d>" },
};

static const char *
kind_addr(enum dmarc_kind k)
{
	return k == REQ ? "dev-request@lists.d" : k == EDI ? "dev-editor@lists.d" :
	    "dev@lists.d";
}

static void
rewrite_one(const char *from, enum dmarc_phrase ph, enum dmarc_kind kind,
    const char *other, int has_reply_to, int dkim,
    const struct dmarc_result *pol, struct dmarc_rewrite *rw, int want_rc)
{
	struct dmarc_rewrite_in in = {
		.from = from, .from_len = strlen(from), .list_name = "dev",
		.addr = kind_addr(kind), .other_email = other, .phrase = ph,
		.kind = kind, .has_reply_to = has_reply_to,
		.has_dkim_signature = dkim, .policy = pol,
	};
	const char *err = NULL;
	int rc = dmarc_rewrite(&in, rw, &err);

	if (rc != want_rc)
		fail_msg("%s [%s]: rc %d (%s)", from, dmarc_phrase_name(ph), rc,
		    err ? err : "");
}

static void
test_rewrite_table(void **state)
{
	struct dmarc_rewrite rw;

	(void)state;
	dmarc_rewrite_init(&rw);
	for (size_t i = 0; i < sizeof(rewrite_cases) / sizeof(rewrite_cases[0]); i++) {
		const struct rewrite_case *k = &rewrite_cases[i];

		rewrite_one(k->from, k->phrase, k->kind, NULL, 0, 0, NULL, &rw, 0);
		if (strcmp(buf_cstr(&rw.from), k->want) != 0)
			fail_msg("case %zu %s [%s]:\n got  %s\n want %s", i, k->from,
			    dmarc_phrase_name(k->phrase), buf_cstr(&rw.from), k->want);
	}
	dmarc_rewrite_free(&rw);
}

static void
test_rewrite_fields(void **state)
{
	struct dmarc_rewrite rw;

	(void)state;
	dmarc_rewrite_init(&rw);
	/* Reply-To only when the message has none; X-Original-From unfolded. */
	rewrite_one("Ann\r\n\t<ann@x.org> ", NVL, POST, NULL, 0, 1, &pol_reject, &rw, 0);
	assert_string_equal(buf_cstr(&rw.x_original_from), "Ann\t<ann@x.org>");
	assert_string_equal(buf_cstr(&rw.reply_to), "ann@x.org");
	assert_string_equal(buf_cstr(&rw.x_original_dmarc_record),
	    "domain=x.org; v=DMARC1; p=reject");
	assert_int_equal(rw.move_dkim, 1);
	rewrite_one(ANN, NVL, POST, NULL, 1, 0, &pol_absent, &rw, 0);
	assert_string_equal(buf_cstr(&rw.reply_to), "");
	assert_string_equal(buf_cstr(&rw.x_original_dmarc_record), "");
	assert_string_equal(buf_cstr(&rw.x_original_from), ANN);
	assert_int_equal(rw.move_dkim, 0);

	/* other_email: its address, its name as the list's label; posts only. */
	rewrite_one(ANN, NVL, POST, "\"Team\" <team@lists.d>", 0, 0, NULL, &rw, 0);
	assert_string_equal(buf_cstr(&rw.from), "Ann (via Team) <team@lists.d>");
	rewrite_one(ANN, LFN, POST, "=?utf-8?q?=C3=89quipe?= <team@lists.d>", 0, 0,
	    NULL, &rw, 0);
	assert_string_equal(buf_cstr(&rw.from),
	    "=?utf-8?b?w4lxdWlwZQ==?= (on behalf of Ann) <team@lists.d>");
	rewrite_one(ANN, NVL, POST, "noreply@lists.d", 0, 0, NULL, &rw, 0);
	assert_string_equal(buf_cstr(&rw.from),
	    "Ann (via dev Mailing List) <noreply@lists.d>");
	rewrite_one(ANN, NVL, POST, "no-at-sign", 0, 0, NULL, &rw, 0);
	assert_string_equal(buf_cstr(&rw.from), "Ann (via dev Mailing List) <dev@lists.d>");
	rewrite_one(ANN, NVL, REQ, "\"Team\" <team@lists.d>", 0, 0, NULL, &rw, 0);
	assert_string_equal(buf_cstr(&rw.from),
	    "Ann (via Owner Address of dev Mailing List) <dev-request@lists.d>");

	/* A record with control characters never yields a CR or LF. */
	{
		struct dmarc_result p = pol_reject;

		snprintf(p.record, sizeof(p.record), "v=DMARC1;\r\n p=reject");
		rewrite_one(ANN, NVL, POST, NULL, 0, 0, &p, &rw, 0);
		assert_null(strpbrk(buf_cstr(&rw.x_original_dmarc_record), "\r\n"));
	}
	/* Control characters in a name, CR LF from an encoded-word included, are blanked. */
	rewrite_one("=?utf-8?q?A=01=0D=0A_B?= <ab@x.org>", DN, POST, NULL, 0, 0, NULL, &rw, 0);
	assert_string_equal(buf_cstr(&rw.from), "A B <dev@lists.d>");
	rewrite_one("=?utf-8?q?A=0D=0ABcc=3A_x=40y?= <ab@x.org>", LFN, POST, NULL, 0, 0, NULL,
	    &rw, 0);
	assert_string_equal(buf_cstr(&rw.from),
	    "dev Mailing List (on behalf of A Bcc: x@y) <dev@lists.d>");
	dmarc_rewrite_free(&rw);
}

static void
test_rewrite_errors(void **state)
{
	static const char *const froms[] = {
		"Ann <ann@x.org>\r\nBcc: victim@y.org",
		"Ann <ann@x.org>\nX: y",
		"Ann\r<ann@x.org>",
		"",
		"   ",
		"undisclosed-recipients:;",
		"not an address",
	};
	struct dmarc_rewrite rw;
	struct dmarc_rewrite_in in;
	const char *err;
	char nul[] = "Ann <ann@x.org>\0junk";

	(void)state;
	dmarc_rewrite_init(&rw);
	for (size_t i = 0; i < sizeof(froms) / sizeof(froms[0]); i++) {
		rewrite_one(froms[i], NVL, POST, NULL, 0, 0, NULL, &rw, -1);
		assert_int_equal(rw.from.len, 0);
		assert_int_equal(rw.x_original_from.len, 0);
	}
	memset(&in, 0, sizeof(in));
	in.from = nul;
	in.from_len = sizeof(nul) - 1;
	in.list_name = "dev";
	in.addr = "dev@lists.d";
	assert_int_equal(dmarc_rewrite(&in, &rw, &err), -1);
	in.from_len = strlen(nul);
	assert_int_equal(dmarc_rewrite(&in, &rw, &err), 0);
	in.list_name = "dev\r\nBcc: x@y";
	assert_int_equal(dmarc_rewrite(&in, &rw, &err), -1);
	in.list_name = "dev";
	in.addr = "not an address";
	assert_int_equal(dmarc_rewrite(&in, &rw, &err), -1);
	in.addr = "dev@lists.d";
	in.other_email = "x@y\nBcc: z@w";
	assert_int_equal(dmarc_rewrite(&in, &rw, &err), -1);
	dmarc_rewrite_free(&rw);
}

/* A long name: encoded-words of 75 characters at most, never a cut character. */
static void
test_rewrite_long_name(void **state)
{
	struct buf from = BUF_INIT(8192), dec = BUF_INIT(8192);
	struct dmarc_rewrite rw;
	const char *p, *q;
	size_t words = 0, total = 0;

	(void)state;
	buf_puts(&from, "=?utf-8?q?");
	for (int i = 0; i < 60; i++)
		buf_puts(&from, "=C3=A9");		/* e acute, two bytes */
	buf_puts(&from, "?= <e@x.org>");
	dmarc_rewrite_init(&rw);
	rewrite_one(buf_cstr(&from), DN, POST, NULL, 0, 0, NULL, &rw, 0);
	for (p = buf_cstr(&rw.from); (q = strstr(p, "=?utf-8?b?")) != NULL; p = q + 2) {
		const char *e = strstr(q + 10, "?=");

		assert_non_null(e);
		assert_true(e + 2 - q <= 75);
		buf_reset(&dec);
		assert_int_equal(codec_base64_decode(q + 10, (size_t)(e - q - 10), &dec), 0);
		/* Whole characters only: an even count of bytes, each pair C3 A9. */
		assert_int_equal(dec.len % 2, 0);
		for (size_t i = 0; i < dec.len; i += 2)
			assert_memory_equal(dec.data + i, "\xc3\xa9", 2);
		total += dec.len;
		words++;
		q = e;
	}
	assert_true(words >= 3);
	assert_int_equal(total, 120);
	assert_non_null(strstr(buf_cstr(&rw.from), "?= <dev@lists.d>"));
	dmarc_rewrite_free(&rw);
	buf_free(&from);
	buf_free(&dec);
}

/* The static table. */

static void
test_table(void **state)
{
	static const char good[] =
	    "# policies for the tests\n"
	    "example.org reject\n"
	    "\n"
	    "   sub.example.com\tquarantine   # trailing comment\n"
	    "None.Org. NONE\r\n";
	static const struct {
		const char	*text;
		const char	*err;
	} bad[] = {
		{ "a.org\n", "t:1: expected \"domain policy\"\n" },
		{ "a.org reject extra\n", "t:1: expected \"domain policy\"\n" },
		{ "\n\na.org maybe\n", "t:3: unknown policy \"maybe\": none, quarantine or reject\n" },
		{ "bad..dom reject\n", "t:1: bad domain \"bad..dom\"\n" },
		{ "[1.2.3.4] reject\n", "t:1: bad domain \"[1.2.3.4]\"\n" },
		{ "a.org reject\nb.org none\nA.ORG none\n", "t:3: a.org already given at line 1\n" },
		{ "a.org x\nb.org\n", "t:1: unknown policy \"x\": none, quarantine or reject\n"
		  "t:2: expected \"domain policy\"\n" },
	};
	struct buf err = BUF_INIT(4096);
	struct dmarc_table *t;
	char *dir, path[512];
	FILE *f;

	(void)state;
	t = dmarc_table_load_text("t", good, strlen(good), &err);
	assert_non_null(t);
	assert_string_equal(buf_cstr(&err), "");
	assert_int_equal(dmarc_table_size(t), 3);
	assert_int_equal(dmarc_table_get(t, "EXAMPLE.org"), DMARC_P_REJECT);
	assert_int_equal(dmarc_table_get(t, "sub.example.com"), DMARC_P_QUARANTINE);
	assert_int_equal(dmarc_table_get(t, "none.org."), DMARC_P_NONE);
	assert_int_equal(dmarc_table_get(t, "x.example.org"), -1);
	dmarc_table_free(t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		t = dmarc_table_load_text("t", bad[i].text, strlen(bad[i].text), &err);
		assert_null(t);
		assert_string_equal(buf_cstr(&err), bad[i].err);
	}

	/* From a file: errors name the file. */
	dir = test_mkdtemp("dmarc");
	snprintf(path, sizeof(path), "%s/policies", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("example.org reject\nexample.net sometimes\n", f);
	fclose(f);
	buf_reset(&err);
	assert_null(dmarc_table_load(path, &err));
	{
		struct buf want = BUF_INIT(1024);

		buf_printf(&want, "%s:2: unknown policy \"sometimes\": none, "
		    "quarantine or reject\n", path);
		assert_string_equal(buf_cstr(&err), buf_cstr(&want));
		buf_free(&want);
	}
	buf_reset(&err);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_null(dmarc_table_load(path, &err));
	assert_non_null(strstr(buf_cstr(&err), ": cannot open: "));
	test_rmtree(dir);
	free(dir);
	buf_free(&err);
}

/* The DNS wire format. */

static void
test_dns_wire(void **state)
{
	static const unsigned char want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		6, '_', 'd', 'm', 'a', 'r', 'c', 1, 'a', 2, 'b', 'c', 0,
		0, 16, 0, 1
	};
	struct buf q = BUF_INIT(1024);
	struct dmarc_dns_answer a;
	unsigned char pkt[512];
	char label64[80];

	(void)state;
	assert_int_equal(dmarc_dns_query("_dmarc.a.bc", 0x1234, &q), 0);
	assert_int_equal(q.len, sizeof(want));
	assert_memory_equal(q.data, want, sizeof(want));
	buf_reset(&q);
	assert_int_equal(dmarc_dns_query("_dmarc.a..bc", 1, &q), -1);
	memset(label64, 'a', 64);
	label64[64] = '\0';
	buf_reset(&q);
	assert_int_equal(dmarc_dns_query(label64, 1, &q), -1);

	/* An answer made from the query: flags, one TXT with two strings. */
	memcpy(pkt, want, sizeof(want));
	pkt[2] = 0x81;
	pkt[3] = 0x80;
	pkt[7] = 1;		/* ANCOUNT */
	{
		static const unsigned char rr[] = {
			0xc0, 12, 0, 16, 0, 1, 0, 0, 0x0e, 0x10, 0, 22,
			10, 'v', '=', 'D', 'M', 'A', 'R', 'C', '1', ';', ' ',
			10, 'p', '=', 'r', 'e', 'j', 'e', 'c', 't', ';', ' '
		};

		memcpy(pkt + sizeof(want), rr, sizeof(rr));
		assert_int_equal(dmarc_dns_parse(pkt, sizeof(want) + sizeof(rr), 0x1234,
		    "_dmarc.A.bc", &a), DMARC_DNS_ANSWER);
		assert_int_equal(a.ndmarc, 1);
		assert_int_equal(a.usable, 1);
		assert_int_equal(a.rec.p, DMARC_P_REJECT);
		assert_int_equal(a.ttl, 3600);
		assert_string_equal(a.record, "v=DMARC1; p=reject; ");
		/* Another id, another question: not ours. */
		assert_int_equal(dmarc_dns_parse(pkt, sizeof(want) + sizeof(rr), 0x1235,
		    "_dmarc.a.bc", &a), DMARC_DNS_IGNORE);
		assert_int_equal(dmarc_dns_parse(pkt, sizeof(want) + sizeof(rr), 0x1234,
		    "_dmarc.a.bd", &a), DMARC_DNS_IGNORE);
		/* rdata past the end. */
		assert_int_equal(dmarc_dns_parse(pkt, sizeof(want) + sizeof(rr) - 1,
		    0x1234, "_dmarc.a.bc", &a), DMARC_DNS_FAIL);
		/* A pointer to itself. */
		pkt[sizeof(want)] = 0xc0;
		pkt[sizeof(want) + 1] = (unsigned char)sizeof(want);
		assert_int_equal(dmarc_dns_parse(pkt, sizeof(want) + sizeof(rr), 0x1234,
		    "_dmarc.a.bc", &a), DMARC_DNS_FAIL);
	}
	/* Not a response; truncated; NXDOMAIN; SERVFAIL; no answers. */
	pkt[7] = 0;
	pkt[2] = 0x01;
	assert_int_equal(dmarc_dns_parse(pkt, sizeof(want), 0x1234, "_dmarc.a.bc", &a),
	    DMARC_DNS_IGNORE);
	pkt[2] = 0x83;
	assert_int_equal(dmarc_dns_parse(pkt, sizeof(want), 0x1234, "_dmarc.a.bc", &a),
	    DMARC_DNS_FAIL);
	pkt[2] = 0x81;
	pkt[3] = 0x83;
	assert_int_equal(dmarc_dns_parse(pkt, sizeof(want), 0x1234, "_dmarc.a.bc", &a),
	    DMARC_DNS_NXDOMAIN);
	pkt[3] = 0x82;
	assert_int_equal(dmarc_dns_parse(pkt, sizeof(want), 0x1234, "_dmarc.a.bc", &a),
	    DMARC_DNS_FAIL);
	pkt[3] = 0x80;
	assert_int_equal(dmarc_dns_parse(pkt, sizeof(want), 0x1234, "_dmarc.a.bc", &a),
	    DMARC_DNS_NODATA);
	assert_int_equal(dmarc_dns_parse(pkt, 11, 0x1234, "_dmarc.a.bc", &a),
	    DMARC_DNS_IGNORE);
	buf_free(&q);
}

/* The resolver without DNS: the table alone. */

struct got {
	int			 calls;
	struct dmarc_result	 res;
};

static void
got_cb(const struct dmarc_result *res, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->res = *res;
}

static struct dmarc_resolver *
table_resolver(struct event_base *base, const char *text)
{
	struct dmarc_resolver_opts o;
	struct dmarc_resolver *r;
	struct buf err = BUF_INIT(1024);
	struct dmarc_table *t;

	dmarc_resolver_opts_default(&o);
	o.dns = 0;
	r = dmarc_resolver_new(base, &o, &err);
	assert_non_null(r);
	t = dmarc_table_load_text("t", text, strlen(text), &err);
	assert_non_null(t);
	dmarc_resolver_set_table(r, t);
	buf_free(&err);
	return r;
}

static void
test_resolver_table(void **state)
{
	struct event_base *base = event_base_new();
	struct dmarc_resolver *r;
	struct dmarc_result res;
	struct dmarc_stats st;
	struct got g = { 0 };
	struct dmarc_lookup *l;

	(void)state;
	r = table_resolver(base, "example.org reject\nq.example.org quarantine\n");
	assert_int_equal(dmarc_lookup_wait(r, "mail.Example.ORG", &res), DMARC_FOUND);
	assert_int_equal(res.policy, DMARC_P_REJECT);
	assert_int_equal(res.source, DMARC_SRC_TABLE);
	assert_string_equal(res.domain, "example.org");
	assert_string_equal(res.record, "v=DMARC1; p=reject");
	assert_int_equal(dmarc_lookup_wait(r, "a.q.example.org", &res), DMARC_FOUND);
	assert_int_equal(res.policy, DMARC_P_QUARANTINE);
	assert_string_equal(res.domain, "q.example.org");
	assert_int_equal(dmarc_lookup_wait(r, "other.net", &res), DMARC_ABSENT);
	assert_string_equal(res.domain, "");
	assert_int_equal(dmarc_lookup_wait(r, "[192.0.2.1]", &res), DMARC_ABSENT);
	assert_int_equal(dmarc_lookup_wait(r, "bad domain", &res), DMARC_ABSENT);
	assert_int_equal(dmarc_lookup_wait(r, "ex\xc3\xa4mple.org", &res), DMARC_UNKNOWN);

	/* The callback runs from the loop, never inside the start call. */
	l = dmarc_lookup_start(r, "example.org", got_cb, &g);
	assert_non_null(l);
	assert_int_equal(g.calls, 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.status, DMARC_FOUND);
	/* Cancelled: never called. */
	l = dmarc_lookup_start(r, "example.org", got_cb, &g);
	dmarc_lookup_cancel(l);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(g.calls, 1);
	/* Freed with a lookup outstanding: never called either. */
	dmarc_lookup_start(r, "example.org", got_cb, &g);
	dmarc_resolver_stats(r, &st);
	assert_int_equal(st.queries, 0);
	assert_true(st.table_hits >= 3);
	dmarc_resolver_free(r);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(g.calls, 1);
	event_base_free(base);
}

static void
test_resolver_options(void **state)
{
	struct event_base *base = event_base_new();
	struct dmarc_resolver_opts o;
	struct dmarc_resolver *r;
	struct buf err = BUF_INIT(1024);

	(void)state;
	dmarc_resolver_opts_default(&o);
	assert_int_equal(o.timeout_ms, 2000);
	o.nameservers = "bogus";
	assert_null(dmarc_resolver_new(base, &o, &err));
	assert_non_null(strstr(buf_cstr(&err), "bad nameserver"));
	buf_reset(&err);
	o.nameservers = "";
	assert_null(dmarc_resolver_new(base, &o, &err));
	assert_non_null(strstr(buf_cstr(&err), "no nameserver"));
	buf_reset(&err);
	o.nameservers = "127.0.0.1, [::1]:5353";
	r = dmarc_resolver_new(base, &o, &err);
	assert_non_null(r);
	dmarc_resolver_free(r);
	o.nameservers = NULL;		/* resolv.conf through evdns; no query is made */
	r = dmarc_resolver_new(base, &o, &err);
	assert_non_null(r);
	dmarc_resolver_free(r);
	o.policy_file = "/nonexistent/dmarc-policies";
	assert_null(dmarc_resolver_new(base, &o, &err));
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent/dmarc-policies: cannot open"));
	buf_free(&err);
	event_base_free(base);
}

/* An in-process DNS server. */

#define ZONE_MAX	32

struct zone_rr {
	const char	*name;		/* the question's name */
	const char	*what;		/* "txt", "cname", "nx", "servfail", "drop" */
	const char	*data[3];	/* TXT records (strings split at '|'), or the CNAME target */
	int		 ttl;
};

static const struct zone_rr zone[] = {
	{ "_dmarc.reject.test", "txt", { "v=DMARC1; p=reject" }, 300 },
	{ "_dmarc.quar.test", "txt", { "v=DMARC1; p=quaran|tine; sp=none" }, 300 },
	{ "_dmarc.org.test", "txt", { "v=DMARC1; p=none; sp=reject" }, 300 },
	{ "_dmarc.multi.test", "txt", { "v=spf1 -all", "v=DMARC1; p=reject" }, 300 },
	{ "_dmarc.x.two.test", "txt", { "v=DMARC1; p=reject", "v=DMARC1; p=none" }, 300 },
	{ "_dmarc.two.test", "txt", { "v=DMARC1; p=reject" }, 300 },
	{ "_dmarc.case.test", "txt", { "V=dmarc1; P=REJECT" }, 300 },
	{ "_dmarc.bad.test", "txt", { "v=DMARC1; p=maybe" }, 300 },
	{ "_dmarc.spf.test", "txt", { "v=spf1 -all" }, 300 },
	{ "_dmarc.short.test", "txt", { "v=DMARC1; p=quarantine" }, 5 },
	{ "_dmarc.cname.test", "cname", { "_dmarc.target.test" }, 300 },
	{ "_dmarc.target.test", "txt", { "v=DMARC1; p=quarantine" }, 300 },
	{ "_dmarc.servfail.test", "servfail", { NULL }, 0 },
	{ "_dmarc.slow.test", "drop", { NULL }, 0 },
	{ "_dmarc.a.b.slow2.test", "drop", { NULL }, 0 },
};

struct fake_dns {
	struct event_base	*base;
	struct evdns_server_port *port;
	evutil_socket_t		 fd;
	int			 portnum;
	char			*names[256];	/* each question received */
	size_t			 nq;
};

static size_t
fake_count(const struct fake_dns *d, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nq; i++)
		if (strcasecmp(d->names[i], name) == 0)
			n++;
	return n;
}

/* TXT RDATA: the strings of one record, split at '|'. */
static size_t
txt_rdata(const char *s, unsigned char *out)
{
	size_t o = 0;

	while (1) {
		size_t n = strcspn(s, "|");

		out[o++] = (unsigned char)n;
		memcpy(out + o, s, n);
		o += n;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	return o;
}

static void
fake_request(struct evdns_server_request *req, void *arg)
{
	struct fake_dns *d = arg;
	const struct evdns_server_question *q;
	const struct zone_rr *z = NULL;

	if (req->nquestions != 1) {
		evdns_server_request_respond(req, DNS_ERR_FORMAT);
		return;
	}
	q = req->questions[0];
	if (d->nq < sizeof(d->names) / sizeof(d->names[0]))
		d->names[d->nq++] = strdup(q->name);
	for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcasecmp(zone[i].name, q->name) == 0)
			z = &zone[i];
	if (z == NULL || q->type != EVDNS_TYPE_TXT) {
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
		return;
	}
	if (strcmp(z->what, "drop") == 0) {
		evdns_server_request_drop(req);
		return;
	}
	if (strcmp(z->what, "servfail") == 0) {
		evdns_server_request_respond(req, DNS_ERR_SERVERFAILED);
		return;
	}
	if (strcmp(z->what, "cname") == 0) {
		const struct zone_rr *t = NULL;

		evdns_server_request_add_cname_reply(req, q->name, z->data[0], z->ttl);
		for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
			if (strcmp(zone[i].name, z->data[0]) == 0)
				t = &zone[i];
		z = t;
	}
	for (size_t i = 0; z != NULL && i < 3 && z->data[i] != NULL; i++) {
		unsigned char rd[600];
		size_t n = txt_rdata(z->data[i], rd);

		evdns_server_request_add_reply(req, EVDNS_ANSWER_SECTION, z->name,
		    EVDNS_TYPE_TXT, EVDNS_CLASS_INET, z->ttl, (int)n, 0,
		    (const char *)rd);
	}
	evdns_server_request_respond(req, 0);
}

static void
fake_start(struct fake_dns *d, struct event_base *base)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(d, 0, sizeof(*d));
	d->base = base;
	d->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(d->fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(d->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(d->fd, (struct sockaddr *)&sin, &len), 0);
	d->portnum = ntohs(sin.sin_port);
	evutil_make_socket_nonblocking(d->fd);
	d->port = evdns_add_server_port_with_base(base, d->fd, 0, fake_request, d);
	assert_non_null(d->port);
}

static void
fake_stop(struct fake_dns *d)
{
	evdns_close_server_port(d->port);
	evutil_closesocket(d->fd);
	for (size_t i = 0; i < d->nq; i++)
		free(d->names[i]);
}

static time_t fake_now = 1000;

static time_t
fake_clock(void)
{
	return fake_now;
}

static struct dmarc_resolver *
dns_resolver(struct event_base *base, const struct fake_dns *d, unsigned timeout_ms,
    size_t cache_max)
{
	struct dmarc_resolver_opts o;
	struct dmarc_resolver *r;
	struct buf err = BUF_INIT(1024);
	char ns[64];

	dmarc_resolver_opts_default(&o);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", d->portnum);
	o.nameservers = ns;
	o.timeout_ms = timeout_ms;
	o.retry_ms = timeout_ms / 4;
	o.cache_max = cache_max;
	o.clock = fake_clock;
	r = dmarc_resolver_new(base, &o, &err);
	if (r == NULL)
		fail_msg("%s", buf_cstr(&err));
	buf_free(&err);
	return r;
}

struct dns_case {
	const char	*domain;
	enum dmarc_status status;
	enum dmarc_policy policy;
	const char	*found_at;
	const char	*record;
};

static void
test_resolver_dns(void **state)
{
	static const struct dns_case cases[] = {
		{ "reject.test", DMARC_FOUND, DMARC_P_REJECT, "reject.test",
		  "v=DMARC1; p=reject" },
		{ "QUAR.test", DMARC_FOUND, DMARC_P_QUARANTINE, "quar.test",
		  "v=DMARC1; p=quarantine; sp=none" },
		/* The domain itself: p=; a subdomain falls back to sp=. */
		{ "org.test", DMARC_FOUND, DMARC_P_NONE, "org.test",
		  "v=DMARC1; p=none; sp=reject" },
		{ "a.b.org.test", DMARC_FOUND, DMARC_P_REJECT, "org.test",
		  "v=DMARC1; p=none; sp=reject" },
		{ "mail.reject.test", DMARC_FOUND, DMARC_P_REJECT, "reject.test",
		  "v=DMARC1; p=reject" },
		{ "multi.test", DMARC_FOUND, DMARC_P_REJECT, "multi.test",
		  "v=DMARC1; p=reject" },
		/* Two DMARC records: no policy, and no walk to two.test. */
		{ "x.two.test", DMARC_ABSENT, DMARC_P_UNSET, "", "" },
		{ "case.test", DMARC_FOUND, DMARC_P_REJECT, "case.test",
		  "V=dmarc1; P=REJECT" },
		{ "bad.test", DMARC_ABSENT, DMARC_P_UNSET, "", "" },
		{ "spf.test", DMARC_ABSENT, DMARC_P_UNSET, "", "" },
		{ "cname.test", DMARC_FOUND, DMARC_P_QUARANTINE, "cname.test",
		  "v=DMARC1; p=quarantine" },
		{ "nowhere.test", DMARC_ABSENT, DMARC_P_UNSET, "", "" },
		{ "servfail.test", DMARC_UNKNOWN, DMARC_P_UNSET, "", "" },
	};
	struct event_base *base = event_base_new();
	struct fake_dns d;
	struct dmarc_resolver *r;
	struct dmarc_result res;

	(void)state;
	fake_start(&d, base);
	r = dns_resolver(base, &d, 1000, 100);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dns_case *k = &cases[i];

		dmarc_lookup_wait(r, k->domain, &res);
		if (res.status != k->status || res.policy != k->policy ||
		    strcmp(res.domain, k->found_at) != 0 ||
		    strcmp(res.record, k->record) != 0)
			fail_msg("%s: %s %s at \"%s\" record \"%s\"", k->domain,
			    dmarc_status_name(res.status), dmarc_policy_name(res.policy),
			    res.domain, res.record);
	}
	/* The walk asked each name once, parents after the subdomain. */
	assert_int_equal(fake_count(&d, "_dmarc.a.b.org.test"), 1);
	assert_int_equal(fake_count(&d, "_dmarc.b.org.test"), 1);
	assert_int_equal(fake_count(&d, "_dmarc.two.test"), 0);
	/* SERVFAIL: every attempt was made, nothing cached. */
	assert_int_equal(fake_count(&d, "_dmarc.servfail.test"), 3);
	dmarc_lookup_wait(r, "servfail.test", &res);
	assert_int_equal(fake_count(&d, "_dmarc.servfail.test"), 6);
	dmarc_resolver_free(r);
	fake_stop(&d);
	event_base_free(base);
}

static void
test_resolver_cache(void **state)
{
	struct event_base *base = event_base_new();
	struct fake_dns d;
	struct dmarc_resolver *r;
	struct dmarc_result res;
	struct dmarc_stats st;

	(void)state;
	fake_start(&d, base);
	r = dns_resolver(base, &d, 1000, 3);
	fake_now = 1000;

	/* Positive: the second lookup makes no query. */
	assert_int_equal(dmarc_lookup_wait(r, "reject.test", &res), DMARC_FOUND);
	assert_int_equal(res.source, DMARC_SRC_DNS);
	assert_int_equal(dmarc_lookup_wait(r, "reject.test", &res), DMARC_FOUND);
	assert_int_equal(res.source, DMARC_SRC_CACHE);
	assert_int_equal(res.policy, DMARC_P_REJECT);
	assert_string_equal(res.record, "v=DMARC1; p=reject");
	assert_int_equal(fake_count(&d, "_dmarc.reject.test"), 1);
	/* Negative too. */
	assert_int_equal(dmarc_lookup_wait(r, "nx.test", &res), DMARC_ABSENT);
	assert_int_equal(dmarc_lookup_wait(r, "nx.test", &res), DMARC_ABSENT);
	assert_int_equal(fake_count(&d, "_dmarc.nx.test"), 1);
	dmarc_resolver_stats(r, &st);
	assert_int_equal(st.cache_hits, 2);
	assert_int_equal(st.cached, 2);

	/* A TTL under ttl_min is raised to it (60 s). */
	assert_int_equal(dmarc_lookup_wait(r, "short.test", &res), DMARC_FOUND);
	fake_now += 30;
	dmarc_lookup_wait(r, "short.test", &res);
	assert_int_equal(fake_count(&d, "_dmarc.short.test"), 1);
	/* Past the TTL (300 s) the name is asked again. */
	fake_now += 301;
	assert_int_equal(dmarc_lookup_wait(r, "reject.test", &res), DMARC_FOUND);
	assert_int_equal(res.source, DMARC_SRC_DNS);
	assert_int_equal(fake_count(&d, "_dmarc.reject.test"), 2);
	/* Past negative_ttl (600 s) too. */
	fake_now += 600;
	dmarc_lookup_wait(r, "nx.test", &res);
	assert_int_equal(fake_count(&d, "_dmarc.nx.test"), 2);

	/* Size-bounded: three names at most, the least recently used goes. */
	dmarc_resolver_flush(r);
	dmarc_lookup_wait(r, "reject.test", &res);	/* reject */
	dmarc_lookup_wait(r, "quar.test", &res);	/* quar reject */
	dmarc_lookup_wait(r, "case.test", &res);	/* case quar reject */
	dmarc_lookup_wait(r, "reject.test", &res);	/* reject case quar (hit) */
	dmarc_lookup_wait(r, "multi.test", &res);	/* multi reject case: quar out */
	dmarc_resolver_stats(r, &st);
	assert_int_equal(st.cached, 3);
	assert_int_equal(fake_count(&d, "_dmarc.reject.test"), 3);
	dmarc_lookup_wait(r, "reject.test", &res);
	assert_int_equal(fake_count(&d, "_dmarc.reject.test"), 3);
	dmarc_lookup_wait(r, "quar.test", &res);
	assert_int_equal(fake_count(&d, "_dmarc.quar.test"), 2);

	/* The table comes before the cache and DNS. */
	{
		struct buf err = BUF_INIT(256);

		dmarc_resolver_set_table(r, dmarc_table_load_text("t",
		    "reject.test none\n", 17, &err));
		buf_free(&err);
	}
	assert_int_equal(dmarc_lookup_wait(r, "reject.test", &res), DMARC_FOUND);
	assert_int_equal(res.source, DMARC_SRC_TABLE);
	assert_int_equal(res.policy, DMARC_P_NONE);
	assert_int_equal(fake_count(&d, "_dmarc.reject.test"), 3);
	dmarc_resolver_free(r);
	fake_stop(&d);
	event_base_free(base);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
test_resolver_timeout(void **state)
{
	struct event_base *base = event_base_new();
	struct fake_dns d;
	struct dmarc_resolver *r;
	struct dmarc_result res;
	struct dmarc_stats st;
	struct got g1 = { 0 }, g2 = { 0 };
	double t0, t;

	(void)state;
	fake_start(&d, base);
	r = dns_resolver(base, &d, 300, 100);
	t0 = now_ms();
	assert_int_equal(dmarc_lookup_wait(r, "slow.test", &res), DMARC_UNKNOWN);
	t = now_ms() - t0;
	assert_true(t >= 290 && t < 1500);
	/* Retries went out before the end, and the failure is not cached. */
	assert_int_equal(fake_count(&d, "_dmarc.slow.test"), 3);
	dmarc_resolver_stats(r, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.cached, 0);
	/* The time bounds the whole walk, not each name. */
	t0 = now_ms();
	assert_int_equal(dmarc_lookup_wait(r, "a.b.slow2.test", &res), DMARC_UNKNOWN);
	assert_true(now_ms() - t0 < 1500);

	/* Two lookups at once on the loop: one slow, one quick. */
	dmarc_lookup_start(r, "slow.test", got_cb, &g1);
	dmarc_lookup_start(r, "quar.test", got_cb, &g2);
	while (g1.calls == 0 || g2.calls == 0)
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(g1.res.status, DMARC_UNKNOWN);
	assert_int_equal(g2.res.status, DMARC_FOUND);
	assert_int_equal(g2.res.policy, DMARC_P_QUARANTINE);
	dmarc_resolver_free(r);
	fake_stop(&d);
	event_base_free(base);
}

/* Nobody listens on the port: ICMP unreachable is a quick failure. */
static void
test_resolver_refused(void **state)
{
	struct event_base *base = event_base_new();
	struct dmarc_resolver_opts o;
	struct dmarc_resolver *r;
	struct dmarc_result res;
	struct buf err = BUF_INIT(256);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char ns[64];
	int fd;
	double t0;

	(void)state;
	/* A port just freed, so that nothing listens there. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", ntohs(sin.sin_port));
	dmarc_resolver_opts_default(&o);
	o.nameservers = ns;
	r = dmarc_resolver_new(base, &o, &err);
	assert_non_null(r);
	t0 = now_ms();
	assert_int_equal(dmarc_lookup_wait(r, "reject.test", &res), DMARC_UNKNOWN);
	assert_true(now_ms() - t0 < 1900);
	dmarc_resolver_free(r);
	buf_free(&err);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_modes_parse),
		cmocka_unit_test(test_phrase_parse),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_rewrite_table),
		cmocka_unit_test(test_rewrite_fields),
		cmocka_unit_test(test_rewrite_errors),
		cmocka_unit_test(test_rewrite_long_name),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_dns_wire),
		cmocka_unit_test(test_resolver_table),
		cmocka_unit_test(test_resolver_options),
		cmocka_unit_test(test_resolver_dns),
		cmocka_unit_test(test_resolver_cache),
		cmocka_unit_test(test_resolver_timeout),
		cmocka_unit_test(test_resolver_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
