/*
 * bouncedb_test - attribution of bounces (a table of envelopes and
 * headers: VERP addresses good, forged, expired, list-only, in the
 * envelope or the header; list-owner with and without tokens; ARF; the
 * robot's addresses), the ARF's list from its returned message, the
 * counting rule, the file names; and, against a real PostgreSQL, the
 * record of a report (members' fields, events, tracking), the counts of
 * dropped bounces and a member's reset.
 *
 * The database cases need HERALD_TEST_DATABASE (a database this test may
 * wipe) and are skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bouncedb.h"
#include "buf.h"
#include "log.h"
#include "store.h"

#define DAY		86400
#define NOW		((time_t)20414 * DAY + 4000)	/* 2025-11-22 */
#define LD		"lists.example.org"

static const char *conninfo;
static struct secret key;
/* Addresses made by setup(): good, forged, expired, list only, envid. */
static char good[300], forged[300], expired[300], listonly[300],
    withenvid[300], otherkey[300];

static void
make(const struct secret *k, const char *member, const char *envid,
    time_t t, char *out)
{
	struct buf b = BUF_INIT(512);

	assert_int_equal(verp_encode_envid(k, NULL, "staff", LD, member, envid,
	    t, &b), 0);
	snprintf(out, 300, "%s", buf_cstr(&b));
	buf_free(&b);
}

static int
setup(void **state)
{
	struct secret other;

	(void)state;
	memset(&key, 0, sizeof key);
	for (size_t i = 0; i < SECRET_LEN; i++)
		key.key[i] = (unsigned char)(7 + i);
	key.len = SECRET_LEN;
	other = key;
	other.key[0] ^= 1;
	make(&key, "alice@example.net", NULL, NOW - 3 * DAY, good);
	make(&key, "alice@example.net", NULL, NOW - 40 * DAY, expired);
	make(&key, NULL, NULL, NOW - DAY, listonly);
	make(&key, "bob@example.net", "42", NOW, withenvid);
	make(&other, "alice@example.net", NULL, NOW, otherkey);
	/* One MAC character changed. */
	snprintf(forged, sizeof forged, "%s", good);
	forged[16] = forged[16] == 'a' ? 'b' : 'a';
	return 0;
}

/* Placeholders in the table's strings: G good, F forged, ... */
static const char *
subst(const char *s, struct buf *out)
{
	if (s == NULL)
		return NULL;
	buf_reset(out);
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '\x01': buf_puts(out, good); break;
		case '\x02': buf_puts(out, forged); break;
		case '\x03': buf_puts(out, expired); break;
		case '\x04': buf_puts(out, listonly); break;
		case '\x05': buf_puts(out, withenvid); break;
		case '\x06': buf_puts(out, otherkey); break;
		default: buf_putc(out, *s);
		}
	}
	return buf_cstr(out);
}

#define G	"\x01"
#define F	"\x02"
#define X	"\x03"
#define L	"\x04"
#define E	"\x05"
#define K	"\x06"

static const struct attr_case {
	const char	*name;
	int		 tokens, nokey;
	const char	*recipient, *original, *sender, *head;
	enum bouncedb_fate fate;
	const char	*reason;	/* REJECT: exactly; else NULL: none */
	const char	*list, *member, *envid, *source;
} attr_cases[] = {
	{ "VERP in the envelope", 1, 0, "sympa@" LD, G, "", "",
	    BOUNCEDB_VERP, NULL, "staff", "alice@example.net", "",
	    "original-recipient" },
	{ "forged", 1, 0, "sympa@" LD, F, "", "", BOUNCEDB_REJECT, "forged",
	    "staff", NULL, NULL, NULL },
	{ "another key", 1, 0, "sympa@" LD, K, "", "", BOUNCEDB_REJECT,
	    "forged", NULL, NULL, NULL, NULL },
	{ "expired", 1, 0, "sympa@" LD, X, "", "", BOUNCEDB_REJECT, "expired",
	    NULL, NULL, NULL, NULL },
	{ "forged, tokens off too", 0, 0, "sympa@" LD, F, "", "",
	    BOUNCEDB_REJECT, "forged", NULL, NULL, NULL, NULL },
	{ "list only", 1, 0, "sympa@" LD, L, "", "", BOUNCEDB_VERP, NULL,
	    "staff", "", "", NULL },
	{ "an envid", 1, 0, "sympa@" LD, E, "", "", BOUNCEDB_VERP, NULL,
	    "staff", "bob@example.net", "42", NULL },
	{ "no key: not checked", 1, 1, "sympa@" LD, F, "", "", BOUNCEDB_VERP,
	    NULL, "staff", "alice@example.net", NULL, NULL },
	{ "Delivered-To", 1, 0, "sympa@" LD, NULL, "",
	    "From: x@y\nDelivered-To: " G "\nSubject: s\n\nbody\n",
	    BOUNCEDB_VERP, NULL, "staff", "alice@example.net", NULL,
	    "delivered-to" },
	{ "To with a name, folded", 1, 0, "sympa@" LD, NULL, "",
	    "From: x@y\nTo: \"Bounces\"\n <" G ">\n\nbody\n", BOUNCEDB_VERP, NULL,
	    "staff", NULL, NULL, "to" },
	{ "CRLF, mbox From line, the second To item", 1, 0, "sympa@" LD, NULL,
	    "", "From MAILER-DAEMON Mon Nov 23 10:00:00 2026\r\n"
	    "To: someone@else.example, " G "\r\n\r\n", BOUNCEDB_VERP, NULL,
	    "staff", NULL, NULL, "to" },
	{ "Delivered-To first, forged To ignored", 1, 0, "sympa@" LD, NULL, "",
	    "To: " F "\nX-Original-To: " L "\nDelivered-To: " G "\n\n",
	    BOUNCEDB_VERP, NULL, "staff", "alice@example.net", NULL,
	    "delivered-to" },
	{ "a later field that is no VERP address keeps the earlier", 1, 0,
	    "sympa@" LD, NULL, "", "To: " G "\nDelivered-To: bounce+x@" LD
	    "\n\n", BOUNCEDB_VERP, NULL, "staff", "alice@example.net", NULL,
	    "to" },
	{ "X-Original-To before To", 1, 0, "sympa@" LD, NULL, "",
	    "To: " F "\nX-Original-To: " L "\n\n", BOUNCEDB_VERP, NULL,
	    "staff", "", NULL, "x-original-to" },
	{ "the header is not read when the envelope has it", 1, 0,
	    "staff@" LD, "staff-owner@" LD, "", "Delivered-To: " G "\n\n",
	    BOUNCEDB_REJECT, "no-token", NULL, NULL, NULL, NULL },
	{ "a field of the body is not the header", 1, 0, "sympa@" LD, NULL, "",
	    "From: x@y\n\nDelivered-To: " G "\n", BOUNCEDB_REJECT, "no-token",
	    NULL, NULL, NULL, NULL },
	{ "list-owner, null sender, tokens on", 1, 0, "staff@" LD,
	    "staff-owner@" LD, "", "", BOUNCEDB_REJECT, "no-token", "staff",
	    NULL, NULL, NULL },
	{ "list-owner, no original recipient", 1, 0, "staff@" LD, NULL, "",
	    "", BOUNCEDB_REJECT, "no-token", "staff", NULL, NULL, "recipient" },
	{ "the original recipient is the recipient", 1, 0, "staff@" LD,
	    "Staff@" LD, "", "", BOUNCEDB_REJECT, "no-token", "staff", NULL,
	    NULL, NULL },
	{ "a list's address as the original recipient", 1, 0, "sympa@" LD,
	    "staff@" LD, "", "", BOUNCEDB_OTHER, NULL, NULL, NULL, NULL,
	    NULL },
	{ "list-owner, a person", 1, 0, "staff@" LD, "staff-owner@" LD,
	    "p@example.com", "", BOUNCEDB_OWNER, NULL, "staff", NULL, NULL,
	    NULL },
	{ "list-owner, tokens off", 0, 0, "staff@" LD, "staff-owner@" LD, "",
	    "", BOUNCEDB_LIST, NULL, "staff", NULL, NULL, NULL },
	{ "list-owner, sender unknown (explain)", 1, 0, "staff@" LD, NULL,
	    NULL, "", BOUNCEDB_LIST, NULL, "staff", NULL, NULL, NULL },
	{ "abuse-feedback-report", 1, 0, "sympa@" LD,
	    "abuse-feedback-report@" LD, "fbl@isp.example", "", BOUNCEDB_ARF,
	    NULL, "", NULL, NULL, NULL },
	{ "abuse-feedback-report from the header", 1, 0, "sympa@" LD, NULL,
	    "fbl@isp.example", "To: abuse-feedback-report@" LD "\n\n",
	    BOUNCEDB_ARF, NULL, "", NULL, NULL, "to" },
	{ "a token that is no VERP address", 1, 0, "sympa@" LD,
	    "bounce+garbage@" LD, "", "", BOUNCEDB_REJECT, "malformed", NULL,
	    NULL, NULL, NULL },
	{ "the bounce address, null sender", 1, 0, "sympa@" LD, "bounce@" LD,
	    "", "", BOUNCEDB_REJECT, "no-token", NULL, NULL, NULL, NULL },
	{ "the bounce address, tokens off", 0, 0, "sympa@" LD, "bounce@" LD,
	    "", "", BOUNCEDB_OTHER, NULL, NULL, NULL, NULL, NULL },
	{ "robot-owner, a person", 1, 0, "sympa@" LD, "sympa-owner@" LD,
	    "p@example.com", "", BOUNCEDB_OTHER, NULL, NULL, NULL, NULL, NULL },
	{ "the robot, no original, null sender", 1, 0, "sympa@" LD, NULL, "",
	    "Subject: x\n\n", BOUNCEDB_REJECT, "no-token", NULL, NULL, NULL,
	    NULL },
	{ "not a bounce address", 1, 0, "sympa@" LD, "someone@else.example",
	    "", "", BOUNCEDB_OTHER, NULL, NULL, NULL, NULL, NULL },
	{ "nothing at all", 1, 0, NULL, NULL, NULL, "Subject: x\n\n",
	    BOUNCEDB_OTHER, NULL, NULL, NULL, NULL, NULL },
};

static void
test_attribute(void **state)
{
	struct buf o = BUF_INIT(4096), h = BUF_INIT(8192);

	(void)state;
	for (size_t i = 0; i < sizeof attr_cases / sizeof attr_cases[0]; i++) {
		const struct attr_case *c = &attr_cases[i];
		struct bouncedb_site s = { NULL, NULL, c->tokens, 30,
		    c->nokey ? NULL : &key, NOW };
		struct bouncedb_attr a;
		const char *orig = subst(c->original, &o);
		const char *head = subst(c->head, &h);

		bouncedb_attribute(&s, c->recipient, orig, c->sender, head,
		    strlen(head), &a);
		if (a.fate != c->fate)
			fail_msg("%s: fate %s, wanted %s (%s)", c->name,
			    bouncedb_fate_name(a.fate),
			    bouncedb_fate_name(c->fate), a.reason ? a.reason : "");
		if (c->fate == BOUNCEDB_REJECT)
			assert_string_equal(a.reason, c->reason);
		if (c->fate == BOUNCEDB_OTHER || c->fate == BOUNCEDB_OWNER)
			assert_non_null(a.reason);
		if (c->list != NULL)
			assert_string_equal(a.list, c->list);
		if (c->member != NULL)
			assert_string_equal(a.member, c->member);
		if (c->envid != NULL)
			assert_string_equal(a.envid, c->envid);
		if (c->source != NULL)
			assert_string_equal(a.source, c->source);
		if (c->fate == BOUNCEDB_VERP)
			assert_int_equal(a.verify, c->nokey ?
			    BOUNCEDB_VERP_UNCHECKED : VERP_OK);
	}
	buf_free(&o);
	buf_free(&h);
}

static void
test_attribute_arf(void **state)
{
	struct bouncedb_site s = { NULL, NULL, 1, 30, &key, NOW };
	struct bouncedb_attr a;
	struct bounce_report r;
	char rp[300];

	(void)state;
	memset(&r, 0, sizeof r);
	/* The returned message's VERP Return-Path names the member. */
	memset(&a, 0, sizeof a);
	snprintf(a.domain, sizeof a.domain, LD);
	a.fate = BOUNCEDB_ARF;
	snprintf(rp, sizeof rp, "%s", good);
	r.orig_return_path = rp;
	r.orig_list_id = (char *)"other." LD;
	assert_int_equal(bouncedb_attribute_arf(&s, &r, &a), BOUNCEDB_VERP);
	assert_string_equal(a.member, "alice@example.net");
	assert_string_equal(a.source, "return-path");
	/* A forged one is only a claim: the List-Id decides. */
	memset(&a, 0, sizeof a);
	snprintf(a.domain, sizeof a.domain, LD);
	snprintf(rp, sizeof rp, "%s", forged);
	assert_int_equal(bouncedb_attribute_arf(&s, &r, &a), BOUNCEDB_LIST);
	assert_string_equal(a.list, "other");
	assert_string_equal(a.member, "");
	/* List-Id alone, in any case. */
	r.orig_return_path = NULL;
	r.orig_list_id = (char *)"Staff.LISTS.example.org";
	memset(&a, 0, sizeof a);
	snprintf(a.domain, sizeof a.domain, LD);
	assert_int_equal(bouncedb_attribute_arf(&s, &r, &a), BOUNCEDB_LIST);
	assert_string_equal(a.list, "staff");
	/* Another domain's, a bad name, none. */
	r.orig_list_id = (char *)"staff.example.com";
	assert_int_equal(bouncedb_attribute_arf(&s, &r, &a), BOUNCEDB_OTHER);
	r.orig_list_id = (char *)"a/b." LD;
	assert_int_equal(bouncedb_attribute_arf(&s, &r, &a), BOUNCEDB_OTHER);
	r.orig_list_id = (char *)"." LD;
	assert_int_equal(bouncedb_attribute_arf(&s, &r, &a), BOUNCEDB_OTHER);
	r.orig_list_id = NULL;
	assert_int_equal(bouncedb_attribute_arf(&s, &r, &a), BOUNCEDB_OTHER);
	/* No domain known (explain): the first dot. */
	memset(&a, 0, sizeof a);
	r.orig_list_id = (char *)"staff." LD;
	assert_int_equal(bouncedb_attribute_arf(&s, &r, &a), BOUNCEDB_LIST);
	assert_string_equal(a.list, "staff");
	assert_string_equal(a.domain, LD);
}

static void
test_counts(void **state)
{
	(void)state;
	assert_true(bouncedb_counts(BOUNCE_FAILED, "5.1.1"));
	assert_true(bouncedb_counts(BOUNCE_DELAYED, "4.4.7"));
	assert_false(bouncedb_counts(BOUNCE_FAILED, ""));
	assert_false(bouncedb_counts(BOUNCE_FAILED, NULL));
	assert_false(bouncedb_counts(BOUNCE_FAILED, "2.0.0"));
	assert_false(bouncedb_counts(BOUNCE_DELIVERED, "5.1.1"));
	assert_false(bouncedb_counts(BOUNCE_FEEDBACK, "5.7.1"));
	assert_false(bouncedb_counts(BOUNCE_DISPLAYED, ""));
}

static void
test_safe_name(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "alice@example.net", "alice@example.net" },
		{ "a+b=c_d-e.f@x.example", "a+b=c_d-e.f@x.example" },
		{ "a/b@x", "a%2Fb@x" },
		{ ".hidden@x", "%2Ehidden@x" },
		{ "..@x", "%2E.@x" },
		{ "a%b@x", "a%25b@x" },
		{ "\"a b\"@x", "%22a%20b%22@x" },
		{ "jos\xc3\xa9@x", "jos%C3%A9@x" },
	};
	struct buf b = BUF_INIT(4096), c = BUF_INIT(4096);
	char longa[300], longb[300];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&b);
		assert_int_equal(bouncedb_safe_name(cases[i].in, &b), 0);
		assert_string_equal(buf_cstr(&b), cases[i].out);
	}
	memset(longa, 'a', 250);
	memcpy(longa + 250, "@x.y", 5);
	memcpy(longb, longa, sizeof longa);
	longb[240] = 'b';
	buf_reset(&b);
	assert_int_equal(bouncedb_safe_name(longa, &b), 0);
	assert_int_equal(b.len, BOUNCEDB_NAME_MAX);
	assert_int_equal(b.data[BOUNCEDB_NAME_MAX - 17], '~');
	assert_int_equal(bouncedb_safe_name(longb, &c), 0);
	assert_string_not_equal(buf_cstr(&b), buf_cstr(&c));
	buf_reset(&b);
	assert_int_equal(bouncedb_member_path("/b", "staff", LD,
	    "a/b@x", &b), 0);
	assert_string_equal(buf_cstr(&b), "/b/staff@" LD "/a%2Fb@x");
	buf_free(&b);
	buf_free(&c);
}

static void
test_directory(void **state)
{
	struct config *cf = config_defaults();
	struct buf b = BUF_INIT(4096), err = BUF_INIT(1024);

	(void)state;
	bouncedb_directory(cf, &b);
	assert_string_equal(buf_cstr(&b), "/var/lib/herald/bounce");
	assert_int_equal(config_set(cf, config_lookup("bounce_directory"),
	    "/srv/bounces", "test", &err), 0);
	bouncedb_directory(cf, &b);
	assert_string_equal(buf_cstr(&b), "/srv/bounces");
	config_free(cf);
	buf_free(&b);
	buf_free(&err);
}

/* The database cases. */

static void
sql(struct store *st, const char *q)
{
	if (store_cmd(st, q, 0, NULL, NULL) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
}

static char *
value(struct store *st, const char *q)
{
	char *v = NULL;

	if (store_scalar(st, q, 0, NULL, &v) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
	return v;
}

static void
assert_value(struct store *st, const char *q, const char *want)
{
	char *v = value(st, q);

	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s: got '%s', wanted '%s'", q, v ? v : "(null)", want);
	free(v);
}

static struct store *
fresh(char id[24])
{
	struct store *st = NULL;

	if (conninfo == NULL)
		return NULL;
	assert_int_equal(store_open(conninfo, "bouncedb_test", &st), STORE_OK);
	sql(st, "DROP SCHEMA IF EXISTS public CASCADE");
	sql(st, "CREATE SCHEMA public");
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	sql(st, "INSERT INTO lists (name, domain) VALUES ('staff', '" LD "')");
	sql(st, "INSERT INTO subscribers (list_id, email) SELECT id, m FROM "
	    "lists, unnest(ARRAY['alice@example.net', 'bob@example.net']) m");
	assert_int_equal(bouncedb_list_id(st, "staff", LD, id), STORE_OK);
	return st;
}

static void
test_record(void **state)
{
	char id[24], nid[24];
	struct store *st = fresh(id);
	struct bouncedb_rcpt rc[4];
	struct bouncedb_report r;

	(void)state;
	if (st == NULL)
		skip();
	assert_int_equal(bouncedb_list_id(st, "nosuch", LD, nid),
	    BOUNCEDB_NOLIST);
	memset(rc, 0, sizeof rc);
	rc[0] = (struct bouncedb_rcpt){ "alice@example.net",
	    "alice@forward.example", "failed", "5.1.1", 1,
	    "550 5.1.1 \x01unknown\xff user", 1, 0 };
	rc[1] = (struct bouncedb_rcpt){ "bob@example.net", NULL, "delivered",
	    "2.0.0", 0, NULL, 0, 0 };
	rc[2] = (struct bouncedb_rcpt){ "stranger@example.com", NULL, "failed",
	    "5.1.1", 1, NULL, 1, 0 };
	rc[3] = (struct bouncedb_rcpt){ "Upper@Example.com", NULL, "failed",
	    "5.1.1", 1, NULL, 1, 1 };
	memset(&r, 0, sizeof r);
	r.list_id = id;
	r.kind = "dsn";
	r.recogniser = "rfc3464";
	r.message_id = "post1@example.org";
	r.rcpts = rc;
	r.nrcpts = 4;
	r.envid = "42";
	r.track_type = "dsn";
	r.track_email = "alice@example.net";
	r.track_status = "failed";
	assert_int_equal(bouncedb_record(st, &r), STORE_OK);
	assert_true(rc[0].member);
	assert_true(rc[1].member);
	assert_false(rc[2].member);
	assert_false(rc[3].member);	/* not storable: not recorded */
	assert_value(st, "SELECT bounce_count || ',' || bounce_status || ',' || "
	    "bounce_address || ',' || (bounce_first_at = bounce_last_at) FROM "
	    "subscribers WHERE email = 'alice@example.net'",
	    "1,5.1.1,alice@forward.example,true");
	assert_value(st, "SELECT bounce_count || ',' || coalesce(bounce_status, "
	    "'-') FROM subscribers WHERE email = 'bob@example.net'", "0,-");
	assert_value(st, "SELECT string_agg(email || ':' || action || ':' || "
	    "member || ':' || hard, ' ' ORDER BY id) FROM bounce_events",
	    "alice@example.net:failed:true:true "
	    "bob@example.net:delivered:true:false "
	    "stranger@example.com:failed:false:true");
	assert_value(st, "SELECT diagnostic FROM bounce_events WHERE email = "
	    "'alice@example.net'", "550 5.1.1  unknown? user");
	assert_value(st, "SELECT count(DISTINCT message_id) || message_id FROM "
	    "bounce_events GROUP BY message_id", "1post1@example.org");
	assert_value(st, "SELECT envid || ',' || email || ',' || type || ',' || "
	    "status || ',' || message_id FROM tracking",
	    "42,alice@example.net,dsn,failed,post1@example.org");
	/* Again: count 2, the other address forgotten, tracking updated. */
	rc[0].reported = NULL;
	rc[0].status = "4.2.2";
	r.nrcpts = 1;
	r.track_status = "delayed";
	r.message_id = NULL;
	r.recogniser = "Not Valid!";
	assert_int_equal(bouncedb_record(st, &r), STORE_OK);
	assert_value(st, "SELECT bounce_count || ',' || bounce_status || ',' || "
	    "coalesce(bounce_address, '-') || ',' || (bounce_first_at < "
	    "bounce_last_at) FROM subscribers WHERE email = 'alice@example.net'",
	    "2,4.2.2,-,true");
	assert_value(st, "SELECT status || ',' || message_id FROM tracking",
	    "delayed,post1@example.org");
	assert_value(st, "SELECT recogniser FROM bounce_events ORDER BY id DESC "
	    "LIMIT 1", "unknown");
	/* A status the schema would refuse is none; it counts no more. */
	rc[0].status = "5.1";
	assert_int_equal(bouncedb_record(st, &r), STORE_OK);
	assert_value(st, "SELECT bounce_count FROM subscribers WHERE email = "
	    "'alice@example.net'", "2");
	assert_value(st, "SELECT coalesce(status, '-') FROM bounce_events ORDER "
	    "BY id DESC LIMIT 1", "-");
	/* In the caller's transaction: a rollback takes it all back. */
	rc[0].status = "5.1.1";
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(bouncedb_record(st, &r), STORE_OK);
	assert_int_equal(store_rollback(st), STORE_OK);
	assert_value(st, "SELECT count(*) FROM bounce_events", "5");
	/* Reset. */
	assert_int_equal(bouncedb_member_reset(st, id, "alice@example.net"),
	    STORE_OK);
	assert_value(st, "SELECT bounce_count || coalesce(bounce_status, '-') || "
	    "coalesce(bounce_first_at::text, '-') || coalesce(bounce_score::text,"
	    " '-') FROM subscribers WHERE email = 'alice@example.net'", "0---");
	assert_int_equal(bouncedb_member_reset(st, id, "nobody@example.net"),
	    BOUNCEDB_NOTFOUND);
	store_close(st);
}

static void
test_rejects(void **state)
{
	char id[24];
	struct store *st = fresh(id);
	struct bouncedb_rejects r;

	(void)state;
	if (st == NULL)
		skip();
	memset(&r, 0, sizeof r);
	assert_int_equal(bouncedb_rejects_flush(st, &r), STORE_OK);
	for (int i = 0; i < 5; i++)
		bouncedb_reject_add(&r, "forged", NOW);
	bouncedb_reject_add(&r, "forged", NOW + DAY);
	bouncedb_reject_add(&r, "null", NOW);
	bouncedb_reject_add(&r, "Bad Reason", NOW);
	assert_int_equal(r.pending, 8);
	assert_int_equal(bouncedb_rejects_flush(st, &r), STORE_OK);
	assert_int_equal(r.pending, 0);
	assert_int_equal(r.n, 0);
	bouncedb_reject_add(&r, "forged", NOW);
	assert_int_equal(bouncedb_rejects_flush(st, &r), STORE_OK);
	assert_value(st, "SELECT string_agg(day || ':' || reason || ':' || count,"
	    " ' ' ORDER BY day, reason) FROM bounce_rejects",
	    "2025-11-22:forged:6 2025-11-22:invalid:1 2025-11-22:null:1 "
	    "2025-11-23:forged:1");
	/* Every slot taken: counted as lost, never an overflow. */
	for (int i = 0; i < BOUNCEDB_REJECT_SLOTS + 3; i++)
		bouncedb_reject_add(&r, "forged", NOW + (time_t)i * DAY);
	assert_int_equal(r.n, BOUNCEDB_REJECT_SLOTS);
	assert_int_equal(r.lost, 3);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attribute),
		cmocka_unit_test(test_attribute_arf),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_safe_name),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_rejects),
	};

	log_open("bouncedb_test", 0, LOG_TO_STDERR);
	conninfo = getenv("HERALD_TEST_DATABASE");
	if (conninfo != NULL && *conninfo == '\0')
		conninfo = NULL;
	if (conninfo == NULL)
		printf("skip: bouncedb_test: HERALD_TEST_DATABASE is not set: "
		    "the database cases are skipped\n");
	return cmocka_run_group_tests(tests, setup, NULL);
}
