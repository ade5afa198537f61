/*
 * verp - VERP return paths with a keyed token: encode, parse, verify.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "listname.h"
#include "roster.h"
#include "secret.h"
#include "verp.h"

/* Changing the encoding changes this label, so old addresses fail cleanly. */
#define VERP_LABEL		"herald-verp-1"
#define VERP_DAY_CHARS		2	/* base32 characters of the day */
#define VERP_PREFIX_MAX		64	/* a local part of its own */

/*
 * The MAC input, on the stack: the label with its NUL, four fields each
 * with a 4-byte length, the day. Every field is bounded by the checks
 * made before it is built.
 */
#define VERP_MAC_INPUT_MAX	(sizeof VERP_LABEL + 4 * 4 + LISTNAME_MAX + \
    LISTNAME_DOMAIN_MAX + VERP_MEMBER_MAX + VERP_ENVID_MAX + 8)

static const char verp_b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static int
verp_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
verp_b32_value(int c)
{
	c = verp_lower(c);
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* RFC 5322 atext: what a dot-atom holds between its dots. */
static int
verp_is_atext(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* s[0..n) is a dot-atom: atext runs joined by single dots. */
static int
verp_is_dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!verp_is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static const char *
verp_prefix(const char *prefix)
{
	return prefix != NULL && *prefix != '\0' ? prefix : VERP_PREFIX_DEFAULT;
}

/* The prefix as bounce_localpart may be: [A-Za-z0-9._-], bounded. */
static int
verp_prefix_ok(const char *p)
{
	size_t n = strlen(p);

	if (n > VERP_PREFIX_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int c = verp_lower((unsigned char)p[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
verp_envid_ok(const char *s, size_t n)
{
	if (n == 0 || n > VERP_ENVID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/*
 * A member whose address can travel inside ours: storable (lower case,
 * no space or control), its local part a piece of dot-atom ('.' at either
 * end is fine: '=' stands beside it) and its domain a DNS name, so that
 * it holds no '=' and the split at the last '=' finds it again.
 */
static int
verp_member_ok(const char *member)
{
	const char *at = strrchr(member, '@'), *why;
	size_t n = strlen(member);

	if (n > VERP_MEMBER_MAX || at == NULL || at == member ||
	    !roster_email_storable(member, &why) ||
	    listname_check_domain(at + 1, &why) < 0)
		return 0;
	for (const char *p = member; p < at; p++)
		if (!(verp_is_atext((unsigned char)*p) ||
		    (*p == '.' && (p == member || p[-1] != '.'))))
			return 0;
	return 1;
}

static int
verp_fields_ok(const char *list, const char *list_domain, const char *member,
    const char *envid)
{
	const char *why;

	return listname_check(list, &why) == 0 &&
	    listname_check_domain(list_domain, &why) == 0 &&
	    (member[0] == '\0' || verp_member_ok(member)) &&
	    (envid[0] == '\0' || verp_envid_ok(envid, strlen(envid)));
}

static void
verp_put_field(unsigned char *in, size_t *off, const char *s)
{
	size_t n = strlen(s);

	in[(*off)++] = (unsigned char)(n >> 24);
	in[(*off)++] = (unsigned char)(n >> 16);
	in[(*off)++] = (unsigned char)(n >> 8);
	in[(*off)++] = (unsigned char)n;
	memcpy(in + *off, s, n);
	*off += n;
}

/*
 * The MAC of checked fields (each within its bound, which the size of
 * the input relies on); -1 only if OpenSSL fails.
 */
static int
verp_mac(const struct secret *key, const char *list, const char *list_domain,
    const char *member, const char *envid, long long day,
    unsigned char mac[VERP_MAC_LEN])
{
	unsigned char in[VERP_MAC_INPUT_MAX], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t u = (uint64_t)day;
	size_t off = sizeof VERP_LABEL;
	int rc = -1;

	memcpy(in, VERP_LABEL, sizeof VERP_LABEL);
	verp_put_field(in, &off, list);
	verp_put_field(in, &off, list_domain);
	verp_put_field(in, &off, member);
	verp_put_field(in, &off, envid);
	for (int i = 7; i >= 0; i--, u >>= 8)
		in[off + (size_t)i] = (unsigned char)u;
	off += 8;
	if (HMAC(EVP_sha256(), key->key, (int)key->len, in, off, md,
	    &mdlen) != NULL && mdlen >= VERP_MAC_LEN) {
		memcpy(mac, md, VERP_MAC_LEN);
		rc = 0;
	}
	OPENSSL_cleanse(md, sizeof md);
	return rc;
}

/*
 * Whether a parsed address's strings end within their arrays, so that
 * the MAC input stays within its bound even for one a caller filled in.
 */
static int
verp_parsed_bounded(const struct verp_parsed *p)
{
	return strnlen(p->list, sizeof p->list) < sizeof p->list &&
	    strnlen(p->list_domain, sizeof p->list_domain) <
	    sizeof p->list_domain &&
	    strnlen(p->member, sizeof p->member) < sizeof p->member &&
	    strnlen(p->envid, sizeof p->envid) < sizeof p->envid;
}

/* Floor, not truncation: days before 1970 stay monotonic. */
static long long
verp_today(time_t t)
{
	long long s = (long long)t;

	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* The 10 token characters: the day's low bits, then 40 bits of MAC. */
static void
verp_token(long long day, const unsigned char mac[VERP_MAC_LEN],
    char tok[VERP_TOKEN_LEN])
{
	unsigned d = (unsigned)(day % VERP_DAY_MOD);
	uint64_t m = 0;

	tok[0] = verp_b32[d >> 5 & 31];
	tok[1] = verp_b32[d & 31];
	for (int i = 0; i < VERP_MAC_LEN; i++)
		m = m << 8 | mac[i];
	for (int i = 0; i < 8; i++)
		tok[VERP_DAY_CHARS + i] = verp_b32[m >> (35 - 5 * i) & 31];
}

int
verp_encode(const struct secret *key, const char *prefix, const char *list,
    const char *list_domain, const char *member, time_t now, struct buf *out)
{
	return verp_encode_envid(key, prefix, list, list_domain, member, NULL,
	    now, out);
}

int
verp_encode_envid(const struct secret *key, const char *prefix,
    const char *list, const char *list_domain, const char *member,
    const char *envid, time_t now, struct buf *out)
{
	unsigned char mac[VERP_MAC_LEN];
	char tok[VERP_TOKEN_LEN];
	long long day = verp_today(now);
	size_t mark = out->len, at;
	const char *p;

	prefix = verp_prefix(prefix);
	if (envid == NULL)
		envid = "";
	if (member == NULL)
		member = "";
	if (!verp_prefix_ok(prefix) ||
	    !verp_fields_ok(list, list_domain, member, envid) || day < 0 ||
	    verp_mac(key, list, list_domain, member, envid, day, mac) < 0)
		return -1;
	verp_token(day, mac, tok);
	OPENSSL_cleanse(mac, sizeof mac);
	for (p = prefix; *p != '\0'; p++)
		if (buf_putc(out, verp_lower((unsigned char)*p)) < 0)
			goto fail;
	if (buf_putc(out, '+') < 0 || buf_append(out, tok, sizeof tok) < 0 ||
	    (envid[0] != '\0' && buf_printf(out, "-%s", envid) < 0) ||
	    buf_printf(out, "=%s", list) < 0)
		goto fail;
	if (member[0] == '\0') {
		if (buf_printf(out, "@%s", list_domain) < 0)
			goto fail;
	} else {
		at = (size_t)(strrchr(member, '@') - member);
		if (buf_putc(out, '=') < 0 || buf_append(out, member, at) < 0 ||
		    buf_printf(out, "=%s@%s", member + at + 1, list_domain) < 0)
			goto fail;
	}
	/*
	 * The prefix and the list name may hold dots a dot-atom refuses
	 * (".bounce", "a..b"): the local part is checked once, whole.
	 */
	p = out->data + mark;
	at = (size_t)(strrchr(p, '@') - p);
	if (out->len - mark > VERP_ADDRESS_MAX || !verp_is_dot_atom(p, at))
		goto fail;
	return 0;
fail:
	buf_truncate(out, mark);
	return -1;
}

/* Copy s[0..n) into dst of size dstsize; -1 if it does not fit. */
static int
verp_copy(char *dst, size_t dstsize, const char *s, size_t n)
{
	if (n >= dstsize)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* The 10 token characters into day_mod and mac; -1 if not base32. */
static int
verp_parse_token(const char *s, struct verp_parsed *out)
{
	int v[VERP_TOKEN_LEN];
	uint64_t m = 0;

	for (int i = 0; i < VERP_TOKEN_LEN; i++)
		if ((v[i] = verp_b32_value((unsigned char)s[i])) < 0)
			return -1;
	out->day_mod = (unsigned)(v[0] << 5 | v[1]);
	for (int i = VERP_DAY_CHARS; i < VERP_TOKEN_LEN; i++)
		m = m << 5 | (uint64_t)v[i];
	for (int i = VERP_MAC_LEN - 1; i >= 0; i--, m >>= 8)
		out->mac[i] = (unsigned char)m;
	return 0;
}

/*
 * The member part LOCAL=DOMAIN (n bytes at s, lower case), split at its
 * last '='.
 */
static int
verp_parse_member(const char *s, size_t n, struct verp_parsed *out)
{
	const char *eq = NULL;
	size_t llen;

	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == '=') {
			eq = s + i - 1;
			break;
		}
	if (eq == NULL || eq == s || (llen = (size_t)(eq - s)) + 1 == n ||
	    n > VERP_MEMBER_MAX)
		return -1;
	memcpy(out->member, s, llen);
	out->member[llen] = '@';
	memcpy(out->member + llen + 1, eq + 1, n - llen - 1);
	out->member[n] = '\0';
	return verp_member_ok(out->member) ? 0 : -1;
}

static int
verp_parse_lower(const char *prefix, const char *a, size_t len,
    struct verp_parsed *out)
{
	const char *at, *why, *p, *end, *eq;
	size_t plen = strlen(prefix);

	if ((at = memchr(a, '@', len)) == NULL ||
	    memchr(at + 1, '@', len - (size_t)(at - a) - 1) != NULL ||
	    !verp_is_dot_atom(a, (size_t)(at - a)))
		return -1;
	if (verp_copy(out->list_domain, sizeof out->list_domain, at + 1,
	    len - (size_t)(at - a) - 1) < 0 ||
	    listname_check_domain(out->list_domain, &why) < 0)
		return -1;
	/* The token, first, then the optional envid. */
	end = at;
	if ((size_t)(end - a) < plen + 1 + VERP_TOKEN_LEN + 1 ||
	    memcmp(a, prefix, plen) != 0 || a[plen] != '+' ||
	    verp_parse_token(a + plen + 1, out) < 0)
		return -1;
	p = a + plen + 1 + VERP_TOKEN_LEN;
	if (*p == '-') {
		p++;
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL ||
		    !verp_envid_ok(p, (size_t)(eq - p)) ||
		    verp_copy(out->envid, sizeof out->envid, p,
		    (size_t)(eq - p)) < 0)
			return -1;
		p = eq;
	}
	if (*p != '=')
		return -1;
	p++;
	/* The list: no '=' can be in its name; none after it: list only. */
	if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
		eq = end;
	if (verp_copy(out->list, sizeof out->list, p, (size_t)(eq - p)) < 0 ||
	    listname_check(out->list, &why) < 0)
		return -1;
	if (eq == end)
		return 0;
	p = eq + 1;
	return verp_parse_member(p, (size_t)(end - p), out);
}

int
verp_parse(const char *prefix, const char *addr, size_t len,
    struct verp_parsed *out)
{
	char a[VERP_ADDRESS_MAX + 1], pre[VERP_PREFIX_MAX + 1];
	size_t plen;

	memset(out, 0, sizeof *out);
	prefix = verp_prefix(prefix);
	if (len == 0 || len > VERP_ADDRESS_MAX || !verp_prefix_ok(prefix) ||
	    (plen = strlen(prefix)) >= sizeof pre)
		return -1;
	for (size_t i = 0; i <= plen; i++)
		pre[i] = (char)verp_lower((unsigned char)prefix[i]);
	/* Bytes no address of ours holds (NUL, 8-bit, specials) stop here. */
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)addr[i];

		if (!verp_is_atext(c) && c != '.' && c != '@')
			return -1;
		a[i] = (char)verp_lower(c);
	}
	a[len] = '\0';
	if (verp_parse_lower(pre, a, len, out) < 0) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}

long long
verp_day(const struct verp_parsed *p, time_t now)
{
	long long limit = verp_today(now) + 1;
	long long back = (limit - (long long)p->day_mod) % VERP_DAY_MOD;

	if (back < 0)
		back += VERP_DAY_MOD;
	return limit - back;
}

int
verp_verify(const struct secret *key, const struct verp_parsed *p,
    time_t now, int valid_days)
{
	unsigned char mac[VERP_MAC_LEN];
	long long day = verp_day(p, now);
	int same;

	if (valid_days <= 0)
		valid_days = VERP_DAYS;
	if (valid_days > VERP_DAY_MOD - 2)
		valid_days = VERP_DAY_MOD - 2;
	if (day < 0 || p->day_mod >= VERP_DAY_MOD || !verp_parsed_bounded(p) ||
	    verp_mac(key, p->list, p->list_domain, p->member, p->envid, day,
	    mac) < 0)
		return VERP_FORGED;
	same = CRYPTO_memcmp(mac, p->mac, sizeof mac) == 0;
	OPENSSL_cleanse(mac, sizeof mac);
	if (!same)
		return VERP_FORGED;
	if (verp_today(now) - day > valid_days)
		return VERP_EXPIRED;
	return VERP_OK;
}

const char *
verp_result_name(int result)
{
	switch (result) {
	case VERP_OK:
		return "ok";
	case VERP_FORGED:
		return "forged";
	case VERP_EXPIRED:
		return "expired";
	}
	return "invalid";
}
