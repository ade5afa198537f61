/*
 * verp_test - VERP return paths: encode, parse, verify.
 *
 * Known vectors (computed apart from this code, with Python's hmac and
 * base64 modules, so bulk and bounced of different versions agree), round
 * trips for ordinary and nasty members (with '=', '+', '-' and dots in
 * the local part, 64-character local parts, an envelope id), addresses
 * an MTA upper-cased, every field tampered with, another key, the
 * validity window and the 10-bit day wrapping, hostile addresses, what
 * encode refuses, and the cost of verp_verify (printed, not asserted).
 * No database: the key is made by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "addr.h"
#include "buf.h"
#include "secret.h"
#include "verp.h"

#define DAY		86400
#define TODAY		20414		/* 2025-11-22 */
#define NOW		((time_t)TODAY * DAY + 4000)

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

/* Addresses computed outside Herald, with the key 0x01..0x20. */
static const struct {
	const char	*list, *domain, *member, *envid;
	long long	 day;
	const char	*address;
} vectors[] = {
	{ "staff", "lists.example.org", "alice@example.org", NULL, 20414,
	    "bounce+567ql7hrih=staff=alice=example.org@lists.example.org" },
	{ "a.b_c-d", "x.example", "a=b+c@y.example", NULL, 0,
	    "bounce+aaqsjl5q6j=a.b_c-d=a=b+c=y.example@x.example" },
	{ "staff", "lists.example.org", "alice@example.org", "12345", 20414,
	    "bounce+56etnpj4po-12345=staff=alice=example.org@"
	    "lists.example.org" },
};

static void
test_vectors(void **state)
{
	struct secret k = test_key(1);
	struct buf b = BUF_INIT(1024);
	struct verp_parsed p;

	(void)state;
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		time_t t = (time_t)vectors[i].day * DAY + 12345;

		buf_reset(&b);
		assert_int_equal(verp_encode_envid(&k, "bounce", vectors[i].list,
		    vectors[i].domain, vectors[i].member, vectors[i].envid, t,
		    &b), 0);
		assert_string_equal(buf_cstr(&b), vectors[i].address);
		assert_int_equal(verp_parse("bounce", b.data, b.len, &p), 0);
		assert_string_equal(p.list, vectors[i].list);
		assert_string_equal(p.list_domain, vectors[i].domain);
		assert_string_equal(p.member, vectors[i].member);
		assert_string_equal(p.envid,
		    vectors[i].envid ? vectors[i].envid : "");
		assert_int_equal(p.day_mod, vectors[i].day % VERP_DAY_MOD);
		assert_int_equal(verp_day(&p, t), vectors[i].day);
		assert_int_equal(verp_verify(&k, &p, t, 0), VERP_OK);
	}
	/* Without an envid, verp_encode() is the same call. */
	buf_reset(&b);
	assert_int_equal(verp_encode(&k, NULL, "staff", "lists.example.org",
	    "alice@example.org", (time_t)20414 * DAY, &b), 0);
	assert_string_equal(buf_cstr(&b), vectors[0].address);
	buf_free(&b);
}

static const char long_local[] =
    "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abcd";

/* Members that must survive the trip, with the address they become. */
static const struct {
	const char	*member, *envid, *local_tail;
} members[] = {
	{ "alice@example.org", NULL, "=staff=alice=example.org" },
	{ "a=b@x", NULL, "=staff=a=b=x" },
	{ "a+b@x", NULL, "=staff=a+b=x" },
	{ "-a@x.example", NULL, "=staff=-a=x.example" },
	{ "=a@x.example", NULL, "=staff==a=x.example" },
	{ "a=@x.example", NULL, "=staff=a==x.example" },
	{ "a==b@x.example", NULL, "=staff=a==b=x.example" },
	{ ".a.@x.example", NULL, "=staff=.a.=x.example" },
	{ "first.last+tag@sub.example.co.uk", NULL,
	    "=staff=first.last+tag=sub.example.co.uk" },
	{ "o'neil/x?y#z%&{}|~^`!*$@example.com", NULL,
	    "=staff=o'neil/x?y#z%&{}|~^`!*$=example.com" },
	{ "alice@example.org", "7", "=staff=alice=example.org" },
	{ "a=b@x", "00000000000000000000", "=staff=a=b=x" },
	{ "bounce+zz=staff=a=b@x.example", "abc",
	    "=staff=bounce+zz=staff=a=b=x.example" },
};

static void
test_round_trip(void **state)
{
	struct secret k = test_key(7);
	struct buf b = BUF_INIT(1024), want = BUF_INIT(1024);
	struct verp_parsed p;
	struct addr a;
	const char *err;
	char longm[128];

	(void)state;
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		buf_reset(&b);
		if (verp_encode_envid(&k, "bounce", "staff", "lists.example.org",
		    members[i].member, members[i].envid, NOW, &b) != 0)
			fail_msg("member %s refused", members[i].member);
		/* The form, but for the token's ten characters. */
		buf_reset(&want);
		buf_printf(&want, "bounce+%.10s%s%s%s@lists.example.org",
		    b.data + 7, members[i].envid ? "-" : "",
		    members[i].envid ? members[i].envid : "",
		    members[i].local_tail);
		assert_string_equal(buf_cstr(&b), buf_cstr(&want));
		/* A plain dot-atom: written as is in MAIL FROM and headers. */
		assert_int_equal(addr_parse_one(b.data, b.len, &a, &err), 0);
		assert_string_equal(a.spec, buf_cstr(&b));
		addr_free(&a);
		assert_int_equal(verp_parse("bounce", b.data, b.len, &p), 0);
		assert_string_equal(p.member, members[i].member);
		assert_string_equal(p.list, "staff");
		assert_string_equal(p.list_domain, "lists.example.org");
		assert_string_equal(p.envid,
		    members[i].envid ? members[i].envid : "");
		assert_int_equal(verp_verify(&k, &p, NOW, 0), VERP_OK);
	}
	/* The longest local part RFC 5321 allows a member. */
	snprintf(longm, sizeof longm, "%s@example.org", long_local);
	buf_reset(&b);
	assert_int_equal(verp_encode(&k, "bounce", "a-rather-long-list-name",
	    "lists.example.org", longm, NOW, &b), 0);
	assert_int_equal(verp_parse(NULL, b.data, b.len, &p), 0);
	assert_string_equal(p.member, longm);
	assert_string_equal(p.list, "a-rather-long-list-name");
	assert_int_equal(verp_verify(&k, &p, NOW, 0), VERP_OK);
	/* The encoding appends. */
	buf_reset(&b);
	buf_puts(&b, "<");
	assert_int_equal(verp_encode(&k, "Bounce", "staff", "x.example",
	    "a@x.example", NOW, &b), 0);
	assert_memory_equal(b.data, "<bounce+", 8);
	assert_int_equal(verp_parse("BOUNCE", b.data + 1, b.len - 1, &p), 0);
	assert_int_equal(verp_verify(&k, &p, NOW, 0), VERP_OK);
	buf_free(&b);
	buf_free(&want);
}

/*
 * The list-only form: no member part, verified like the rest; a member
 * added to it, or a list-only token moved to a member's, is forged.
 */
static void
test_list_only(void **state)
{
	struct secret k = test_key(7);
	struct buf b = BUF_INIT(1024), m = BUF_INIT(1024), f = BUF_INIT(1024);
	struct verp_parsed p;

	(void)state;
	assert_int_equal(verp_encode(&k, "bounce", "staff", "lists.example.org",
	    NULL, NOW, &b), 0);
	assert_int_equal(b.len, strlen("bounce+") + VERP_TOKEN_LEN +
	    strlen("=staff@lists.example.org"));
	assert_string_equal(b.data + 17, "=staff@lists.example.org");
	assert_int_equal(verp_parse(NULL, b.data, b.len, &p), 0);
	assert_string_equal(p.list, "staff");
	assert_string_equal(p.member, "");
	assert_int_equal(verp_verify(&k, &p, NOW, 0), VERP_OK);
	assert_int_equal(verp_verify(&k, &p, NOW + 40 * 86400, 30), VERP_EXPIRED);
	/* The same token with a member after it. */
	buf_printf(&f, "%.17s=staff=alice=example.org@lists.example.org", b.data);
	assert_int_equal(verp_parse(NULL, f.data, f.len, &p), 0);
	assert_int_equal(verp_verify(&k, &p, NOW, 0), VERP_FORGED);
	/* A member's token with the member taken off. */
	assert_int_equal(verp_encode(&k, "bounce", "staff", "lists.example.org",
	    "alice@example.org", NOW, &m), 0);
	buf_reset(&f);
	buf_printf(&f, "%.17s=staff@lists.example.org", m.data);
	assert_int_equal(verp_parse(NULL, f.data, f.len, &p), 0);
	assert_int_equal(verp_verify(&k, &p, NOW, 0), VERP_FORGED);
	/* With an envid. */
	buf_reset(&b);
	assert_int_equal(verp_encode_envid(&k, "bounce", "staff",
	    "lists.example.org", "", "42", NOW, &b), 0);
	assert_int_equal(verp_parse(NULL, b.data, b.len, &p), 0);
	assert_string_equal(p.envid, "42");
	assert_string_equal(p.member, "");
	assert_int_equal(verp_verify(&k, &p, NOW, 0), VERP_OK);
	buf_free(&b);
	buf_free(&m);
	buf_free(&f);
}

static void
upcase(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static void
test_case(void **state)
{
	struct secret k = test_key(1);
	struct verp_parsed p;
	char a[300];

	(void)state;
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		time_t t = (time_t)vectors[i].day * DAY;

		snprintf(a, sizeof a, "%s", vectors[i].address);
		upcase(a);
		assert_int_equal(verp_parse("bounce", a, strlen(a), &p), 0);
		assert_string_equal(p.member, vectors[i].member);
		assert_string_equal(p.list, vectors[i].list);
		assert_string_equal(p.list_domain, vectors[i].domain);
		assert_int_equal(verp_verify(&k, &p, t, 0), VERP_OK);
	}
	/* Only the domain upper-cased, as a relay might. */
	snprintf(a, sizeof a, "%s", vectors[0].address);
	upcase(strchr(a, '@'));
	assert_int_equal(verp_parse("bounce", a, strlen(a), &p), 0);
	assert_int_equal(verp_verify(&k, &p, (time_t)20414 * DAY, 0), VERP_OK);
}

/* An address with the span [from, from + n) replaced by with. */
static void
splice(const char *addr, size_t from, size_t n, const char *with,
    char *out, size_t outsize)
{
	snprintf(out, outsize, "%.*s%s%s", (int)from, addr, with,
	    addr + from + n);
}

static void
test_tampering(void **state)
{
	struct secret k = test_key(1), other = test_key(2);
	struct verp_parsed p;
	const char *v = vectors[0].address, *e = vectors[2].address;
	time_t now = (time_t)20414 * DAY;
	char a[300];
	/* Each still parses; none verifies. */
	static const struct {
		const char *addr;
	} forged[] = {
		/* Another MAC: first and last characters changed. */
		{ "bounce+56aql7hrih=staff=alice=example.org@lists.example.org" },
		{ "bounce+567ql7hria=staff=alice=example.org@lists.example.org" },
		/* Another day, the same MAC. */
		{ "bounce+577ql7hrih=staff=alice=example.org@lists.example.org" },
		/* The same token for another list, domain or member. */
		{ "bounce+567ql7hrih=staff2=alice=example.org@lists.example.org" },
		{ "bounce+567ql7hrih=staff=alice=example.org@lists.example.net" },
		{ "bounce+567ql7hrih=staff=bob=example.org@lists.example.org" },
		{ "bounce+567ql7hrih=staff=alice=example.net@lists.example.org" },
		{ "bounce+567ql7hrih=staff=alice.=example.org@lists.example.org" },
		/* An envid added, changed, or taken away. */
		{ "bounce+567ql7hrih-1=staff=alice=example.org@lists.example.org" },
		{ "bounce+56etnpj4po-12346=staff=alice=example.org@"
		    "lists.example.org" },
		{ "bounce+56etnpj4po=staff=alice=example.org@lists.example.org" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
		if (verp_parse("bounce", forged[i].addr, strlen(forged[i].addr),
		    &p) != 0)
			fail_msg("case %zu does not parse", i);
		if (verp_verify(&k, &p, now, 0) != VERP_FORGED)
			fail_msg("case %zu verifies", i);
	}
	/* The genuine ones, under another key. */
	assert_int_equal(verp_parse("bounce", v, strlen(v), &p), 0);
	assert_int_equal(verp_verify(&other, &p, now, 0), VERP_FORGED);
	assert_int_equal(verp_parse("bounce", e, strlen(e), &p), 0);
	assert_int_equal(verp_verify(&other, &p, now, 0), VERP_FORGED);
	assert_int_equal(verp_verify(&k, &p, now, 0), VERP_OK);
	/* Every single MAC bit flipped, through the parsed form. */
	assert_int_equal(verp_parse("bounce", v, strlen(v), &p), 0);
	for (int bit = 0; bit < VERP_MAC_LEN * 8; bit++) {
		p.mac[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		assert_int_equal(verp_verify(&k, &p, now, 0), VERP_FORGED);
		p.mac[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
	assert_int_equal(verp_verify(&k, &p, now, 0), VERP_OK);
	/* Another list's name put in place of the list's. */
	splice(v, 18, 5, "alice", a, sizeof a);
	assert_int_equal(verp_parse("bounce", a, strlen(a), &p), 0);
	assert_int_equal(verp_verify(&k, &p, now, 0), VERP_FORGED);
	/* A parsed form filled in by hand, unterminated, is refused. */
	assert_int_equal(verp_parse("bounce", v, strlen(v), &p), 0);
	memset(p.envid, 'a', sizeof p.envid);
	assert_int_equal(verp_verify(&k, &p, now, 0), VERP_FORGED);
	assert_int_equal(verp_parse("bounce", v, strlen(v), &p), 0);
	p.day_mod = VERP_DAY_MOD + (20414 % VERP_DAY_MOD);
	assert_int_equal(verp_verify(&k, &p, now, 0), VERP_FORGED);
}

/* Encode at day made, parse, verify at day seen. */
static int
check_at(const struct secret *k, long long made, long long seen, int valid,
    long long *day)
{
	struct buf b = BUF_INIT(1024);
	struct verp_parsed p;
	int r;

	assert_int_equal(verp_encode(k, NULL, "staff", "example.org",
	    "m@example.net", (time_t)made * DAY + 80000, &b), 0);
	assert_int_equal(verp_parse(NULL, b.data, b.len, &p), 0);
	r = verp_verify(k, &p, (time_t)seen * DAY + 100, valid);
	if (day != NULL)
		*day = verp_day(&p, (time_t)seen * DAY + 100);
	buf_free(&b);
	return r;
}

static void
test_window(void **state)
{
	struct secret k = test_key(3);
	long long d;
	/* A day whose residue is 1023: the next one wraps to 0. */
	long long wrap = 20 * VERP_DAY_MOD - 1;

	(void)state;
	assert_int_equal(check_at(&k, TODAY, TODAY, 0, &d), VERP_OK);
	assert_int_equal(d, TODAY);
	assert_int_equal(check_at(&k, TODAY - 30, TODAY, 0, NULL), VERP_OK);
	assert_int_equal(check_at(&k, TODAY - 31, TODAY, 0, &d), VERP_EXPIRED);
	assert_int_equal(d, TODAY - 31);
	assert_int_equal(check_at(&k, TODAY - 31, TODAY, 31, NULL), VERP_OK);
	assert_int_equal(check_at(&k, TODAY - 32, TODAY, 31, NULL),
	    VERP_EXPIRED);
	assert_int_equal(check_at(&k, TODAY - 1000, TODAY, 0, &d),
	    VERP_EXPIRED);
	assert_int_equal(d, TODAY - 1000);
	/* A window wider than the day's 10 bits can tell is narrowed. */
	assert_int_equal(check_at(&k, TODAY - 1022, TODAY, 5000, NULL),
	    VERP_OK);
	/* 1024 days or more: read as a recent day, whose MAC differs. */
	assert_int_equal(check_at(&k, TODAY - 1024, TODAY, 0, &d),
	    VERP_FORGED);
	assert_int_equal(d, TODAY);
	assert_int_equal(check_at(&k, TODAY - 1030, TODAY, 0, NULL),
	    VERP_FORGED);
	/* Across the wrap: made on residue 1023, seen on residues 0, 5. */
	assert_int_equal(wrap % VERP_DAY_MOD, VERP_DAY_MOD - 1);
	assert_int_equal(check_at(&k, wrap, wrap + 1, 0, &d), VERP_OK);
	assert_int_equal(d, wrap);
	assert_int_equal(check_at(&k, wrap - 3, wrap + 6, 0, &d), VERP_OK);
	assert_int_equal(d, wrap - 3);
	assert_int_equal(check_at(&k, wrap - 20, wrap + 20, 0, &d),
	    VERP_EXPIRED);
	assert_int_equal(d, wrap - 20);
	/* Made a day ahead of the checking host: allowed (clocks differ). */
	assert_int_equal(check_at(&k, TODAY + 1, TODAY, 0, &d), VERP_OK);
	assert_int_equal(d, TODAY + 1);
	assert_int_equal(check_at(&k, wrap + 1, wrap, 0, &d), VERP_OK);
	assert_int_equal(d, wrap + 1);
	/*
	 * Two days ahead or more reads as ~1022 days old: the MAC was over
	 * another day, so it is refused as forged.
	 */
	assert_int_equal(check_at(&k, TODAY + 2, TODAY, 0, &d), VERP_FORGED);
	assert_int_equal(d, TODAY + 2 - VERP_DAY_MOD);
	assert_int_equal(check_at(&k, TODAY + 40, TODAY, 0, NULL), VERP_FORGED);
	/* The first days of 1970. */
	assert_int_equal(check_at(&k, 0, 0, 0, &d), VERP_OK);
	assert_int_equal(d, 0);
	assert_int_equal(check_at(&k, 0, 30, 0, NULL), VERP_OK);
	assert_int_equal(check_at(&k, 5, 0, 0, NULL), VERP_FORGED);
}

static void
test_parse_hostile(void **state)
{
	static const char *bad[] = {
		"",
		"bounce",
		"bounce+",
		"bounce@lists.example.org",
		"bounce+@lists.example.org",
		"bounce+567ql7hrih@lists.example.org",
		"bounce+567ql7hrih=@lists.example.org",
		"bounce+567ql7hrih=staff=@lists.example.org",
		"bounce+567ql7hrih=staff=alice@lists.example.org",
		"bounce+567ql7hrih=staff=alice=example.org",
		"bounce+567ql7hrih=staff=alice=example.org@",
		"bounce+567ql7hrih=staff==example.org@lists.example.org",
		"bounce+567ql7hrih=staff=alice=@lists.example.org",
		"bounce+567ql7hrih==alice=example.org@lists.example.org",
		/* The token: short, long, outside base32 (0, 1, 8, 9). */
		"bounce+567ql7hri=staff=alice=example.org@lists.example.org",
		"bounce+567ql7hrihh=staff=alice=example.org@lists.example.org",
		"bounce+567ql7hri0=staff=alice=example.org@lists.example.org",
		"bounce+167ql7hrih=staff=alice=example.org@lists.example.org",
		"bounce+567ql8hrih=staff=alice=example.org@lists.example.org",
		"bounce+567ql9hrih=staff=alice=example.org@lists.example.org",
		"bounce+567ql7hri_=staff=alice=example.org@lists.example.org",
		/* The envid: empty, too long, not [a-z0-9]. */
		"bounce+567ql7hrih-=staff=alice=example.org@lists.example.org",
		"bounce+567ql7hrih-012345678901234567890=staff=alice="
		    "example.org@lists.example.org",
		"bounce+567ql7hrih-1_2=staff=alice=example.org@"
		    "lists.example.org",
		"bounce+567ql7hrih-1+2=staff=alice=example.org@"
		    "lists.example.org",
		"bounce+567ql7hrih--1=staff=alice=example.org@"
		    "lists.example.org",
		/* The list: not a list name. */
		"bounce+567ql7hrih=staff-owner=alice=example.org@"
		    "lists.example.org",
		"bounce+567ql7hrih=-staff=alice=example.org@lists.example.org",
		"bounce+567ql7hrih=st+aff=alice=example.org@lists.example.org",
		"bounce+567ql7hrih=st..aff=alice=example.org@lists.example.org",
		"bounce+567ql7hrih=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaa=alice=example.org@lists.example.org",
		/* The member: its domain not a DNS name, dots doubled. */
		"bounce+567ql7hrih=staff=alice=exa_mple.org@lists.example.org",
		"bounce+567ql7hrih=staff=alice=example..org@lists.example.org",
		"bounce+567ql7hrih=staff=alice=.example.org@lists.example.org",
		"bounce+567ql7hrih=staff=alice=-example.org@lists.example.org",
		"bounce+567ql7hrih=staff=al..ice=example.org@lists.example.org",
		/* The list domain. */
		"bounce+567ql7hrih=staff=alice=example.org@lists..example.org",
		"bounce+567ql7hrih=staff=alice=example.org@lists.example.org.",
		"bounce+567ql7hrih=staff=alice=example.org@lists_example.org",
		"bounce+567ql7hrih=staff=alice=example.org@[127.0.0.1]",
		/* Not a bare dot-atom addr-spec. */
		"<bounce+567ql7hrih=staff=alice=example.org@lists.example.org>",
		" bounce+567ql7hrih=staff=alice=example.org@lists.example.org",
		"bounce+567ql7hrih=staff=alice=example.org@lists.example.org ",
		"\"bounce+567ql7hrih=staff=alice=example.org\"@lists.example.org",
		"bounce+567ql7hrih=staff=alice=example.org@a@lists.example.org",
		"bounce+567ql7hrih=staff=alice@example.org@lists.example.org",
		".bounce+567ql7hrih=staff=alice=example.org@lists.example.org",
		"bounce+567ql7hrih=staff=al\xc3\xa9=example.org@"
		    "lists.example.org",
		"bounce+567ql7hrih=staff=al(ice=example.org@lists.example.org",
		/* Another prefix, or none. */
		"bounces+567ql7hrih=staff=alice=example.org@lists.example.org",
		"bounc+567ql7hrih=staff=alice=example.org@lists.example.org",
		"bounce-567ql7hrih=staff=alice=example.org@lists.example.org",
		"bounce567ql7hrih=staff=alice=example.org@lists.example.org",
		"+567ql7hrih=staff=alice=example.org@lists.example.org",
		"staff-owner@lists.example.org",
		/* Sympa's form is not Herald's. */
		"bounce+jo==a==ex.net==mylist@lists.org",
	};
	struct secret k = test_key(1);
	struct verp_parsed p;
	char big[400], nul[80];
	const char *v = vectors[0].address;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&p, 0x55, sizeof p);
		if (verp_parse("bounce", bad[i], strlen(bad[i]), &p) != -1)
			fail_msg("case %zu parses: %s", i, bad[i]);
		assert_int_equal(p.list[0], '\0');
		assert_int_equal(p.member[0], '\0');
	}
	/* A NUL inside, and the length that says where the end is. */
	memcpy(nul, v, strlen(v) + 1);
	nul[20] = '\0';
	assert_int_equal(verp_parse("bounce", nul, strlen(v), &p), -1);
	assert_int_equal(verp_parse("bounce", v, (size_t)(strchr(v, '@') - v),
	    &p), -1);
	assert_int_equal(verp_parse("bounce", v, strlen(v), &p), 0);
	/* A domain cut short may still be a domain: the MAC refuses it. */
	assert_int_equal(verp_parse("bounce", v, strlen(v) - 1, &p), 0);
	assert_string_equal(p.list_domain, "lists.example.or");
	assert_int_equal(verp_verify(&k, &p, (time_t)20414 * DAY, 0),
	    VERP_FORGED);
	assert_int_equal(verp_parse("bounce", v, 0, &p), -1);
	/* Longer than a path. */
	memset(big, 'a', sizeof big);
	snprintf(big, sizeof big, "bounce+567ql7hrih=staff=%0210d=example.org@"
	    "lists.example.org", 0);
	assert_true(strlen(big) > VERP_ADDRESS_MAX);
	assert_int_equal(verp_parse("bounce", big, strlen(big), &p), -1);
	/* The prefix asked for must be the one there; a bad one never is. */
	assert_int_equal(verp_parse("owner", v, strlen(v), &p), -1);
	assert_int_equal(verp_parse("bounc", v, strlen(v), &p), -1);
	assert_int_equal(verp_parse("bounce+567", v, strlen(v), &p), -1);
	assert_int_equal(verp_parse("b@unce", v, strlen(v), &p), -1);
	assert_int_equal(verp_parse("BOUNCE", v, strlen(v), &p), 0);
	assert_int_equal(verp_parse("", v, strlen(v), &p), 0);
	assert_int_equal(verp_parse(NULL, v, strlen(v), &p), 0);
}

static void
test_prefix(void **state)
{
	struct secret k = test_key(1);
	struct buf b = BUF_INIT(1024);
	struct verp_parsed p;

	(void)state;
	assert_int_equal(verp_encode(&k, "list.Bounces_x-y", "staff",
	    "lists.example.org", "alice@example.org", (time_t)20414 * DAY,
	    &b), 0);
	assert_string_equal(buf_cstr(&b), "list.bounces_x-y+567ql7hrih=staff="
	    "alice=example.org@lists.example.org");
	assert_int_equal(verp_parse("list.bounces_x-y", b.data, b.len, &p), 0);
	assert_int_equal(verp_parse("LIST.BOUNCES_X-Y", b.data, b.len, &p), 0);
	assert_int_equal(verp_verify(&k, &p, (time_t)20414 * DAY, 0), VERP_OK);
	assert_int_equal(verp_parse("bounce", b.data, b.len, &p), -1);
	buf_free(&b);
}

static void
test_encode_refuses(void **state)
{
	struct secret k = test_key(1);
	struct buf b = BUF_INIT(1024);
	struct buf small = BUF_INIT(40);
	char longdom[200], longm[300];
	static const struct {
		const char *prefix, *list, *domain, *member, *envid;
	} bad[] = {
		/* The list and its domain. */
		{ NULL, "Staff", "example.org", "a@example.org", NULL },
		{ NULL, "", "example.org", "a@example.org", NULL },
		{ NULL, "st=aff", "example.org", "a@example.org", NULL },
		{ NULL, "st+aff", "example.org", "a@example.org", NULL },
		{ NULL, "staff-owner", "example.org", "a@example.org", NULL },
		{ NULL, "st..aff", "example.org", "a@example.org", NULL },
		{ NULL, "staff", "Example.org", "a@example.org", NULL },
		{ NULL, "staff", "", "a@example.org", NULL },
		{ NULL, "staff", "exa_mple.org", "a@example.org", NULL },
		/* Members roster would not store. */
		{ NULL, "staff", "example.org", "A@example.org", NULL },
		{ NULL, "staff", "example.org", "a@Example.org", NULL },
		{ NULL, "staff", "example.org", "a b@example.org", NULL },
		{ NULL, "staff", "example.org", "nobody", NULL },
		{ NULL, "staff", "example.org", "a@b@example.org", NULL },
		/* "" is the list-only form (test_list_only). */
		{ NULL, "staff", "example.org", "@example.org", NULL },
		{ NULL, "staff", "example.org", "a@", NULL },
		/* Members that cannot be written inside a dot-atom. */
		{ NULL, "staff", "example.org", "a\"b@example.org", NULL },
		{ NULL, "staff", "example.org", "a(b)@example.org", NULL },
		{ NULL, "staff", "example.org", "a,b@example.org", NULL },
		{ NULL, "staff", "example.org", "a..b@example.org", NULL },
		{ NULL, "staff", "example.org", "\xc3\xa9t\xc3\xa9@example.org",
		    NULL },
		{ NULL, "staff", "example.org", "a@[192.0.2.1]", NULL },
		{ NULL, "staff", "example.org", "a@exa_mple.org", NULL },
		{ NULL, "staff", "example.org", "a@x=y.org", NULL },
		{ NULL, "staff", "example.org", "a@example.org.", NULL },
		/* Prefixes bounce_localpart cannot be. */
		{ "bounce+x", "staff", "example.org", "a@example.org", NULL },
		{ "bou=nce", "staff", "example.org", "a@example.org", NULL },
		{ "b@x", "staff", "example.org", "a@example.org", NULL },
		{ ".bounce", "staff", "example.org", "a@example.org", NULL },
		{ "bou..nce", "staff", "example.org", "a@example.org", NULL },
		/* Envids. */
		{ NULL, "staff", "example.org", "a@example.org", "ABC" },
		{ NULL, "staff", "example.org", "a@example.org", "a-b" },
		{ NULL, "staff", "example.org", "a@example.org", "a=b" },
		{ NULL, "staff", "example.org", "a@example.org",
		    "012345678901234567890" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_reset(&b);
		buf_puts(&b, "kept");
		if (verp_encode_envid(&k, bad[i].prefix, bad[i].list,
		    bad[i].domain, bad[i].member, bad[i].envid, NOW, &b) != -1)
			fail_msg("case %zu encoded: %s", i, buf_cstr(&b));
		assert_string_equal(buf_cstr(&b), "kept");
	}
	/* Before 1970. */
	assert_int_equal(verp_encode(&k, NULL, "staff", "example.org",
	    "a@example.org", -1, &b), -1);
	/* Longer than a path: 64 + 1 + 180 in the member alone. */
	memset(longdom, 'd', sizeof longdom);
	for (size_t i = 60; i < 180; i += 61)
		longdom[i] = '.';
	memcpy(longdom + 176, ".org", 5);
	snprintf(longm, sizeof longm, "%s@%s", long_local, longdom);
	buf_reset(&b);
	assert_int_equal(verp_encode(&k, NULL, "s", "e.org", longm, NOW, &b),
	    -1);
	assert_int_equal(b.len, 0);
	/* Exactly at the limit, and one over. */
	snprintf(longm, sizeof longm, "%s@%.*s", long_local, 163, longdom);
	assert_int_equal(verp_encode(&k, NULL, "s", "e.org", longm, NOW, &b),
	    0);
	assert_int_equal(b.len, VERP_ADDRESS_MAX);
	buf_reset(&b);
	assert_int_equal(verp_encode(&k, NULL, "st", "e.org", longm, NOW, &b),
	    -1);
	assert_int_equal(b.len, 0);
	/* At the output's limit: -1 and nothing half-written. */
	assert_int_equal(verp_encode(&k, NULL, "staff", "lists.example.org",
	    "alice@example.org", NOW, &small), -1);
	assert_int_equal(small.len, 0);
	buf_free(&b);
	buf_free(&small);
}

static void
test_result_names(void **state)
{
	(void)state;
	assert_string_equal(verp_result_name(VERP_OK), "ok");
	assert_string_equal(verp_result_name(VERP_FORGED), "forged");
	assert_string_equal(verp_result_name(VERP_EXPIRED), "expired");
	assert_string_equal(verp_result_name(42), "invalid");
}

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* What a forged flood costs: printed, not asserted (machines differ). */
static void
test_cost(void **state)
{
	struct secret k = test_key(1);
	struct verp_parsed p, forged;
	struct timespec t0, t1, t2;
	const char *v = vectors[0].address;
	long n = 1000000, ok = 0;
	const char *env = getenv("VERP_TEST_ROUNDS");

	(void)state;
	if (env != NULL)
		n = atol(env);
	assert_int_equal(verp_parse("bounce", v, strlen(v), &p), 0);
	forged = p;
	forged.mac[0] ^= 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		ok += verp_verify(&k, i & 1 ? &forged : &p,
		    (time_t)20414 * DAY, 0) == VERP_OK;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (long i = 0; i < n / 10; i++)
		ok += verp_parse("bounce", v, strlen(v), &forged) == 0;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	assert_int_equal(ok, (n + 1) / 2 + n / 10);
	printf("verp: %ld verify calls in %.3f s (%.0f ns each); "
	    "parse %.0f ns each\n", n, elapsed(&t0, &t1),
	    n > 0 ? elapsed(&t0, &t1) * 1e9 / (double)n : 0.0,
	    n >= 10 ? elapsed(&t1, &t2) * 1e9 / (double)(n / 10) : 0.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_list_only),
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
