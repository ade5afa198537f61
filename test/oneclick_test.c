/*
 * oneclick_test - RFC 8058 tokens and the site secret.
 *
 * Tokens: known vectors (computed apart from this code, with Python's
 * hmac module, so bulk and oneclick of different versions agree), a
 * round trip, every field tampered with, another key, the validity
 * window, hostile request paths, what make refuses, and the POST bodies
 * RFC 8058 allows. The secret: made once, the same on every call and for
 * every connection, distinct per name, an existing row kept, a bad name
 * refused - on a real PostgreSQL (HERALD_TEST_DATABASE; skipped without).
 *
 * With --url BASE LIST DOMAIN ADDRESS [DAYS_AGO] it prints the URL bulk
 * would write today (or DAYS_AGO days ago) with the database's secret:
 * test/oneclick_test.sh makes its URLs the way bulk does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "oneclick.h"
#include "secret.h"
#include "store.h"

#define DAY		86400
#define TODAY		20414		/* 2025-11-22 */

static struct secret
test_key(unsigned char first)
{
	struct secret k;

	memset(&k, 0, sizeof k);
	for (size_t i = 0; i < SECRET_LEN; i++)
		k.key[i] = (unsigned char)(first + i);
	k.len = SECRET_LEN;
	return k;
}

static void
test_day(void **state)
{
	(void)state;
	assert_int_equal(oneclick_day(0), 0);
	assert_int_equal(oneclick_day(DAY - 1), 0);
	assert_int_equal(oneclick_day(DAY), 1);
	assert_int_equal(oneclick_day(-1), -1);
	assert_int_equal(oneclick_day((time_t)TODAY * DAY + 4000), TODAY);
}

/* Tokens computed outside Herald, with the key 0x01..0x20. */
static const struct {
	const char	*list, *domain, *address;
	long long	 day;
	const char	*token;
} vectors[] = {
	{ "staff", "lists.example.org", "alice@example.org", 20414,
	    "staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
	    "k05XfiJTFB4ZGmp-02p1kahQ" },
	{ "a.b+c", "x.example", "o'neil/x?y#z%@example.com", 0,
	    "a.b+c@x.example/byduZWlsL3g_eSN6JUBleGFtcGxlLmNvbQ/0/"
	    "haWo7DpZSRgtCrxijp92xGmw" },
};

static void
test_vectors(void **state)
{
	struct secret k = test_key(1);
	struct buf b = BUF_INIT(2048);
	struct oneclick_token t;

	(void)state;
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		buf_reset(&b);
		assert_int_equal(oneclick_token_make(&k, vectors[i].list,
		    vectors[i].domain, vectors[i].address, vectors[i].day,
		    &b), 0);
		assert_string_equal(buf_cstr(&b), vectors[i].token);
		assert_int_equal(oneclick_parse(b.data, b.len, &t), 0);
		assert_string_equal(t.list, vectors[i].list);
		assert_string_equal(t.domain, vectors[i].domain);
		assert_string_equal(t.address, vectors[i].address);
		assert_int_equal(t.day, vectors[i].day);
		assert_int_equal(oneclick_verify(&k, &t,
		    (time_t)vectors[i].day * DAY, 0), ONECLICK_OK);
	}
	buf_free(&b);
}

static void
test_url(void **state)
{
	struct secret k = test_key(1);
	struct buf b = BUF_INIT(2048);
	struct oneclick_token t;
	time_t now = (time_t)TODAY * DAY + 3600;
	const char *want = "https://lists.example.org/oneclick/"
	    "staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
	    "k05XfiJTFB4ZGmp-02p1kahQ";

	(void)state;
	assert_int_equal(oneclick_url("https://lists.example.org/oneclick", &k,
	    "staff", "lists.example.org", "alice@example.org", now, &b), 0);
	assert_string_equal(buf_cstr(&b), want);
	/* A trailing slash is not doubled; out is reset first. */
	assert_int_equal(oneclick_url("https://lists.example.org/oneclick/",
	    &k, "staff", "lists.example.org", "alice@example.org", now, &b), 0);
	assert_string_equal(buf_cstr(&b), want);
	/* The daemon reads the whole URL's path, under any prefix. */
	assert_int_equal(oneclick_parse(b.data, b.len, &t), 0);
	assert_int_equal(oneclick_verify(&k, &t, now, 0), ONECLICK_OK);
	assert_int_equal(oneclick_url("", &k, "staff", "lists.example.org",
	    "alice@example.org", now, &b), -1);
	assert_int_equal(oneclick_url("/", &k, "staff", "lists.example.org",
	    "alice@example.org", now, &b), -1);
	buf_free(&b);
}

static void
test_make_refuses(void **state)
{
	struct secret k = test_key(1);
	struct buf b = BUF_INIT(2048);
	struct buf small = BUF_INIT(10);
	char longaddr[300];
	static const struct {
		const char *list, *domain, *address;
		long long day;
	} bad[] = {
		{ "Staff", "example.org", "a@example.org", 1 },
		{ "", "example.org", "a@example.org", 1 },
		{ "st/aff", "example.org", "a@example.org", 1 },
		{ "-staff", "example.org", "a@example.org", 1 },
		{ "staff", "Example.org", "a@example.org", 1 },
		{ "staff", "", "a@example.org", 1 },
		{ "staff", "exa_mple.org", "a@example.org", 1 },
		{ "staff", "example.org", "A@example.org", 1 },
		{ "staff", "example.org", "a example@example.org", 1 },
		{ "staff", "example.org", "nobody", 1 },
		{ "staff", "example.org", "a@b@example.org", 1 },
		{ "staff", "example.org", "", 1 },
		{ "staff", "example.org", "a@example.org", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_reset(&b);
		buf_puts(&b, "kept");
		if (oneclick_token_make(&k, bad[i].list, bad[i].domain,
		    bad[i].address, bad[i].day, &b) != -1)
			fail_msg("case %zu made a token", i);
		assert_string_equal(buf_cstr(&b), "kept");
	}
	memset(longaddr, 'a', sizeof longaddr);
	memcpy(longaddr + 243, "@example.org", 13);	/* 255 bytes */
	assert_int_equal(oneclick_token_make(&k, "l", "example.org", longaddr,
	    1, &b), -1);
	/* At the output's limit: -1 and nothing half-written. */
	assert_int_equal(oneclick_token_make(&k, "staff", "example.org",
	    "a@example.org", 1, &small), -1);
	assert_int_equal(small.len, 0);
	buf_free(&b);
	buf_free(&small);
}

/* Replace the n-th '/'-separated field of a token. */
static void
swap_field(const char *token, int n, const char *with, struct buf *out)
{
	const char *p = token;

	buf_reset(out);
	for (int i = 0; i < n; i++) {
		const char *s = strchr(p, '/');

		buf_append(out, p, (size_t)(s - p + 1));
		p = s + 1;
	}
	buf_puts(out, with);
	if ((p = strchr(p, '/')) != NULL)
		buf_puts(out, p);
}

static void
test_tampering(void **state)
{
	struct secret k = test_key(1), other = test_key(2);
	struct buf b = BUF_INIT(2048);
	struct oneclick_token t;
	time_t now = (time_t)TODAY * DAY;
	const char *tok = vectors[0].token;
	static const struct {
		int	 field;
		const char *with;
	} forged[] = {
		{ 0, "stafg@lists.example.org" },
		{ 0, "staff@lists.example.com" },
		{ 0, "staff-request@lists.example.org" },
		{ 1, "Ym9iQGV4YW1wbGUub3Jn" },		/* bob@example.org */
		{ 1, "YWxpY2VAZXhhbXBsZS5uZXQ" },	/* alice@example.net */
		{ 2, "20413" },
		{ 2, "20415" },
		{ 3, "k05XfiJTFB4ZGmp-02p1kahR" },
		{ 3, "A05XfiJTFB4ZGmp-02p1kahQ" },
		{ 3, "AAAAAAAAAAAAAAAAAAAAAAAA" },
	};

	(void)state;
	assert_int_equal(oneclick_parse(tok, strlen(tok), &t), 0);
	assert_int_equal(oneclick_verify(&other, &t, now, 0), ONECLICK_FORGED);
	for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
		swap_field(tok, forged[i].field, forged[i].with, &b);
		if (oneclick_parse(b.data, b.len, &t) != 0)
			fail_msg("case %zu: %s does not parse", i, b.data);
		if (oneclick_verify(&k, &t, now, 0) != ONECLICK_FORGED)
			fail_msg("case %zu: %s verifies", i, b.data);
	}
	/* One key byte makes the difference. */
	other = k;
	other.key[SECRET_LEN - 1] ^= 1;
	assert_int_equal(oneclick_parse(tok, strlen(tok), &t), 0);
	assert_int_equal(oneclick_verify(&other, &t, now, 0), ONECLICK_FORGED);
	/*
	 * So does a key longer by one byte; not a zero byte, which HMAC's
	 * padding of short keys would make the same key.
	 */
	other = k;
	other.key[other.len++] = 0x55;
	assert_int_equal(oneclick_verify(&other, &t, now, 0), ONECLICK_FORGED);
	buf_free(&b);
}

static void
test_window(void **state)
{
	struct secret k = test_key(1);
	struct oneclick_token t;
	const char *tok = vectors[0].token;	/* day TODAY */
	static const struct {
		long long	 age;	/* days from the token's to now */
		int		 days;
		int		 want;
	} cases[] = {
		{ 0, 0, ONECLICK_OK },
		{ 59, 0, ONECLICK_OK },
		{ 60, 0, ONECLICK_EXPIRED },
		{ 59, 60, ONECLICK_OK },
		{ 60, 60, ONECLICK_EXPIRED },
		{ 6, 7, ONECLICK_OK },
		{ 7, 7, ONECLICK_EXPIRED },
		{ 400, 0, ONECLICK_EXPIRED },
		{ -1, 0, ONECLICK_OK },		/* a clock a little ahead */
		{ -2, 0, ONECLICK_EXPIRED },	/* from the future */
		{ 0, -5, ONECLICK_OK },		/* <= 0: the default */
	};

	(void)state;
	assert_int_equal(oneclick_parse(tok, strlen(tok), &t), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		time_t now = (time_t)(TODAY + cases[i].age) * DAY + DAY - 1;

		if (oneclick_verify(&k, &t, now, cases[i].days) !=
		    cases[i].want)
			fail_msg("case %zu: age %lld, %d days", i,
			    cases[i].age, cases[i].days);
	}
}

static void
test_parse_hostile(void **state)
{
	struct oneclick_token t;
	char big[ONECLICK_PATH_MAX + 64];
	static const char *bad[] = {
		"",
		"/",
		"staff@lists.example.org",
		"YWxpY2VAZXhhbXBsZS5vcmc/20414/k05XfiJTFB4ZGmp-02p1kahQ",
		/* empty segments */
		"staff@lists.example.org//20414/k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc//"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414//",
		/* list@domain */
		"lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@/YWxpY2VAZXhhbXBsZS5vcmc/20414/k05XfiJTFB4ZGmp-02p1kahQ",
		"Staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@Lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"st@ff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@lists..example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		/* the address */
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc=/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmd/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",		/* stray low bits */
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",		/* 4n+1 characters */
		"staff@lists.example.org/YWxp+2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",		/* not base64url */
		"staff@lists.example.org/QWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",		/* Alice@: upper case */
		"staff@lists.example.org/YWxpY2UuZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",		/* no @ */
		"staff@lists.example.org/YQBiQGV4YW1wbGUub3Jn/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",		/* a NUL inside */
		"staff@lists.example.org/YQpiQGV4YW1wbGUub3Jn/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",		/* a line feed */
		/* the day */
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/020414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/-20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/2041x/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/1234567890/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		/* the MAC */
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kah",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQQ",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp+02p1kahQ",
		/* escapes */
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kah%",
		"staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kah%5",
		"staff%00@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
	};
	static const char *good[] = {
		"/staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"/a/b/c/staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"/x/staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ/",
		"/x/staff%40lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ",
		"/x/staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ?utm=1/2/3/4",
		"/x/staff@lists.example.org/YWxpY2VAZXhhbXBsZS5vcmc/20414/"
		    "k05XfiJTFB4ZGmp-02p1kahQ#frag",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (oneclick_parse(bad[i], strlen(bad[i]), &t) != -1)
			fail_msg("bad case %zu parsed: %s", i, bad[i]);
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (oneclick_parse(good[i], strlen(good[i]), &t) != 0)
			fail_msg("good case %zu refused: %s", i, good[i]);
		assert_string_equal(t.list, "staff");
		assert_string_equal(t.domain, "lists.example.org");
		assert_string_equal(t.address, "alice@example.org");
		assert_int_equal(t.day, 20414);
	}
	/* Longer than ONECLICK_PATH_MAX: refused unread, whatever it ends in. */
	memset(big, 'a', sizeof big);
	strcpy(big + sizeof big - strlen(vectors[0].token) - 2, "/");
	strcat(big, vectors[0].token);
	assert_int_equal(oneclick_parse(big, strlen(big), &t), -1);
	/* The length given is obeyed: no reading past it. */
	assert_int_equal(oneclick_parse(vectors[0].token,
	    strlen(vectors[0].token) - 1, &t), -1);
}

static void
test_body(void **state)
{
	static const char mp[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n"
	    "\r\n"
	    "One-Click\r\n"
	    "--XyZ--\r\n";
	static const char mp_other[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"Unsubscribe\"\r\n"
	    "\r\n"
	    "One-Click\r\n"
	    "--XyZ--\r\n";
	static const char mp_two[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n"
	    "\r\n"
	    "One-Click\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"x\"\r\n"
	    "\r\n"
	    "y\r\n"
	    "--XyZ--\r\n";
	static const char mp_value[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n"
	    "\r\n"
	    "Two-Clicks\r\n"
	    "--XyZ--\r\n";
	static const struct {
		const char	*ctype;
		const char	*body;
		int		 want;
	} cases[] = {
		{ NULL, "List-Unsubscribe=One-Click", 1 },
		{ "", "List-Unsubscribe=One-Click\r\n", 1 },
		{ "application/x-www-form-urlencoded",
		    "List-Unsubscribe=One-Click", 1 },
		{ "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
		    "List-Unsubscribe=One-Click", 1 },
		{ "text/plain", "List-Unsubscribe=One-Click\n", 1 },
		{ "application/x-www-form-urlencoded",
		    "List-Unsubscribe=One%2DClick", 1 },
		{ "application/x-www-form-urlencoded",
		    "List-Unsubscribe=One-Click&x=y", 0 },
		{ "application/x-www-form-urlencoded",
		    "List-Unsubscribe=One-Click&", 0 },
		{ "application/x-www-form-urlencoded",
		    "list-unsubscribe=one-click", 0 },
		{ "application/x-www-form-urlencoded",
		    "List-Unsubscribe=One-Click%", 0 },
		{ "application/x-www-form-urlencoded", "", 0 },
		{ "application/x-www-form-urlencoded", "One-Click", 0 },
		{ "application/json",
		    "{\"List-Unsubscribe\":\"One-Click\"}", 0 },
		{ "application/json", "List-Unsubscribe=One-Click", 0 },
		{ "multipart/form-data; boundary=XyZ", mp, 1 },
		{ "multipart/form-data; boundary=\"XyZ\"", mp, 1 },
		{ "multipart/form-data; boundary=XyZ", mp_other, 0 },
		{ "multipart/form-data; boundary=XyZ", mp_two, 0 },
		{ "multipart/form-data; boundary=XyZ", mp_value, 0 },
		{ "multipart/form-data; boundary=Other", mp, 0 },
		{ "multipart/form-data; boundary=XyZ\r\nX-Evil: 1", mp, 0 },
		{ "multipart/form-data", "List-Unsubscribe=One-Click", 0 },
	};
	char *huge;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (oneclick_body_ok(cases[i].ctype, cases[i].body,
		    strlen(cases[i].body)) != cases[i].want)
			fail_msg("case %zu: %s", i, cases[i].body);
	/* The length is the body's, NUL bytes included. */
	assert_int_equal(oneclick_body_ok(NULL,
	    "List-Unsubscribe=One-Click\0x", 28), 0);
	huge = calloc(1, 100000);
	assert_non_null(huge);
	memcpy(huge, "List-Unsubscribe=One-Click", 26);
	memset(huge + 26, ' ', 100000 - 27);
	assert_int_equal(oneclick_body_ok(NULL, huge, strlen(huge)), 0);
	free(huge);
}

/* The secret, against PostgreSQL. */

static const char *conninfo;

static void
sql(struct store *st, const char *q)
{
	if (store_cmd(st, q, 0, NULL, NULL) != STORE_OK)
		fail_msg("%s: %s", q, store_error(st));
}

static struct store *
fresh(void)
{
	struct store *st = NULL;

	assert_int_equal(store_open(conninfo, "oneclick_test", &st), STORE_OK);
	sql(st, "DROP SCHEMA IF EXISTS public CASCADE");
	sql(st, "CREATE SCHEMA public");
	assert_int_equal(store_migrate(st, NULL, NULL), STORE_OK);
	return st;
}

static void
test_secret(void **state)
{
	struct secret a, b, c, v;
	struct store *st, *st2 = NULL;
	long long n;

	(void)state;
	if (conninfo == NULL)
		skip();
	st = fresh();
	assert_int_equal(store_scalar_int(st, "SELECT count(*) FROM secrets",
	    0, NULL, &n), STORE_OK);
	assert_int_equal(n, 0);
	/* Made on first use, then the same for every caller. */
	assert_int_equal(secret_get(st, "oneclick", &a), STORE_OK);
	assert_int_equal(a.len, SECRET_LEN);
	assert_int_equal(secret_get(st, "oneclick", &b), STORE_OK);
	assert_int_equal(b.len, SECRET_LEN);
	assert_memory_equal(a.key, b.key, SECRET_LEN);
	assert_int_equal(store_open(conninfo, "oneclick_test2", &st2),
	    STORE_OK);
	assert_int_equal(secret_get(st2, "oneclick", &c), STORE_OK);
	assert_memory_equal(a.key, c.key, SECRET_LEN);
	/* Another name, another key. */
	assert_int_equal(secret_get(st, "verp", &v), STORE_OK);
	assert_memory_not_equal(a.key, v.key, SECRET_LEN);
	assert_int_equal(store_scalar_int(st, "SELECT count(*) FROM secrets "
	    "WHERE octet_length(value) = 32", 0, NULL, &n), STORE_OK);
	assert_int_equal(n, 2);
	/*
	 * A row another host wrote first wins, whatever its length; this is
	 * also what a host losing the insert race reads back.
	 */
	sql(st, "INSERT INTO secrets (name, value) VALUES ('other', "
	    "decode(repeat('ab', 40), 'hex'))");
	assert_int_equal(secret_get(st2, "other", &v), STORE_OK);
	assert_int_equal(v.len, 40);
	for (size_t i = 0; i < v.len; i++)
		assert_int_equal(v.key[i], 0xab);
	/* Inside the caller's transaction too. */
	assert_int_equal(store_begin(st), STORE_OK);
	assert_int_equal(secret_get(st, "intx", &v), STORE_OK);
	assert_int_equal(store_commit(st), STORE_OK);
	assert_int_equal(secret_get(st2, "intx", &c), STORE_OK);
	assert_memory_equal(v.key, c.key, SECRET_LEN);
	/* Replacing a secret is deleting it: the next one differs. */
	sql(st, "DELETE FROM secrets WHERE name = 'oneclick'");
	assert_int_equal(secret_get(st2, "oneclick", &c), STORE_OK);
	assert_memory_not_equal(a.key, c.key, SECRET_LEN);
	/* Refusals. */
	assert_int_equal(secret_get(st, "", &v), STORE_ERROR);
	assert_int_equal(secret_get(st, "Upper", &v), STORE_ERROR);
	assert_int_equal(secret_get(st, "a b", &v), STORE_ERROR);
	assert_int_equal(secret_get(st, "1abc", &v), STORE_ERROR);
	secret_clear(&v);
	for (size_t i = 0; i < sizeof v; i++)
		assert_int_equal(((unsigned char *)&v)[i], 0);
	store_close(st2);
	store_close(st);
}

static void
test_secret_names(void **state)
{
	char longname[80];

	(void)state;
	assert_true(secret_name_valid("oneclick"));
	assert_true(secret_name_valid("verp.v2_x-y"));
	assert_false(secret_name_valid(""));
	assert_false(secret_name_valid("Oneclick"));
	assert_false(secret_name_valid("_x"));
	assert_false(secret_name_valid("a/b"));
	memset(longname, 'a', sizeof longname);
	longname[63] = '\0';
	assert_true(secret_name_valid(longname));
	longname[63] = 'a';
	longname[64] = '\0';
	assert_false(secret_name_valid(longname));
}

/* A token made with the stored secret verifies with a fresh read of it. */
static void
test_secret_token(void **state)
{
	struct secret a, b;
	struct store *st;
	struct buf url = BUF_INIT(2048);
	struct oneclick_token t;
	time_t now = (time_t)TODAY * DAY;

	(void)state;
	if (conninfo == NULL)
		skip();
	st = fresh();
	assert_int_equal(secret_get(st, ONECLICK_SECRET, &a), STORE_OK);
	assert_int_equal(oneclick_url("https://h.example/u", &a, "staff",
	    "lists.example.org", "bob@example.org", now, &url), 0);
	assert_int_equal(secret_get(st, ONECLICK_SECRET, &b), STORE_OK);
	assert_int_equal(oneclick_parse(url.data, url.len, &t), 0);
	assert_int_equal(oneclick_verify(&b, &t, now + 30 * DAY, 0),
	    ONECLICK_OK);
	buf_free(&url);
	store_close(st);
}

/* --url: what bulk does, for the integration test. */
static int
print_url(int argc, char **argv)
{
	struct store *st = NULL;
	struct secret k;
	struct buf url = BUF_INIT(4096);
	time_t now = time(NULL);
	int rc = 1;

	if (argc < 6 || argc > 7 || conninfo == NULL) {
		fprintf(stderr, "usage: HERALD_TEST_DATABASE=... oneclick_test "
		    "--url BASE LIST DOMAIN ADDRESS [DAYS_AGO]\n");
		return 2;
	}
	if (argc == 7)
		now -= (time_t)atoi(argv[6]) * DAY;
	if (store_open(conninfo, "oneclick_test", &st) == STORE_OK &&
	    secret_get(st, ONECLICK_SECRET, &k) == STORE_OK &&
	    oneclick_url(argv[2], &k, argv[3], argv[4], argv[5], now,
	    &url) == 0) {
		printf("%s\n", buf_cstr(&url));
		rc = 0;
	}
	store_close(st);
	buf_free(&url);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_make_refuses),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_secret_names),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_secret_token),
	};

	log_open("oneclick_test", 0, LOG_TO_STDERR);
	conninfo = getenv("HERALD_TEST_DATABASE");
	if (conninfo != NULL && *conninfo == '\0')
		conninfo = NULL;
	if (argc > 1 && strcmp(argv[1], "--url") == 0)
		return print_url(argc, argv);
	if (conninfo == NULL) {
		printf("skip: oneclick_test: HERALD_TEST_DATABASE not set: "
		    "the secret's cases skip\n");
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
