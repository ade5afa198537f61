/*
 * oneclick - RFC 8058 tokens: make, parse, verify; and the POST body check.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "listname.h"
#include "msg.h"
#include "oneclick.h"
#include "roster.h"
#include "secret.h"

/* Changing the encoding changes this label, so old tokens fail cleanly. */
#define ONECLICK_LABEL		"herald-oneclick-1"
#define ONECLICK_MAC_CHARS	24	/* base64url of ONECLICK_MAC_LEN bytes */
#define ONECLICK_DAY_DIGITS	9	/* more than enough until year 2,700,000 */
#define ONECLICK_BODY_MAX	4096	/* a one-click body is 26 bytes */

static const char oneclick_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

long long
oneclick_day(time_t t)
{
	/* Floor, not truncation, so that times before 1970 stay monotonic. */
	long long s = (long long)t;

	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

static int
oneclick_b64url_encode(const unsigned char *in, size_t n, struct buf *out)
{
	char q[4];
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		q[0] = oneclick_b64[v >> 18 & 63];
		q[1] = oneclick_b64[v >> 12 & 63];
		q[2] = oneclick_b64[v >> 6 & 63];
		q[3] = oneclick_b64[v & 63];
		if (buf_append(out, q, 4) < 0)
			return -1;
	}
	if (n - i == 1) {
		q[0] = oneclick_b64[in[i] >> 2];
		q[1] = oneclick_b64[(in[i] & 3) << 4];
		return buf_append(out, q, 2);
	}
	if (n - i == 2) {
		q[0] = oneclick_b64[in[i] >> 2];
		q[1] = oneclick_b64[(in[i] & 3) << 4 | in[i + 1] >> 4];
		q[2] = oneclick_b64[(in[i + 1] & 15) << 2];
		return buf_append(out, q, 3);
	}
	return 0;
}

static int
oneclick_b64url_value(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(oneclick_b64, c)) == NULL)
		return -1;
	return (int)(p - oneclick_b64);
}

/*
 * Strict base64url: alphabet only, no padding, and the unused low bits of
 * the last character zero, so a token has exactly one spelling. Returns
 * the number of bytes written to out (at most max), or -1.
 */
static long
oneclick_b64url_decode(const char *in, size_t n, unsigned char *out,
    size_t max)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	if (n % 4 == 1 || (n / 4) * 3 + (n % 4 ? n % 4 - 1 : 0) > max)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((v = oneclick_b64url_value((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

/* A list name as the schema's list_name domain has it. */
static int
oneclick_list_ok(const char *s, size_t n)
{
	if (n == 0 || n > LISTNAME_MAX ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '+' || s[i] == '-'))
			return 0;
	return 1;
}

static int
oneclick_fields_ok(const char *list, const char *domain, const char *address)
{
	const char *why;

	return oneclick_list_ok(list, strlen(list)) &&
	    listname_check_domain(domain, &why) == 0 &&
	    address[0] != '\0' && roster_email_storable(address, &why);
}

static int
oneclick_put_field(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	unsigned char len[4] = {
		(unsigned char)(n >> 24), (unsigned char)(n >> 16),
		(unsigned char)(n >> 8), (unsigned char)n,
	};

	if (buf_append(b, len, sizeof len) < 0 || buf_append(b, s, n) < 0)
		return -1;
	return 0;
}

/* The MAC of the fields; -1 only if OpenSSL fails. */
static int
oneclick_mac(const struct secret *key, const char *list, const char *domain,
    const char *address, long long day, unsigned char mac[ONECLICK_MAC_LEN])
{
	struct buf in = BUF_INIT(2048);
	unsigned char md[EVP_MAX_MD_SIZE], d[8];
	unsigned int mdlen = 0;
	uint64_t u = (uint64_t)day;
	int rc = -1;

	for (int i = 7; i >= 0; i--, u >>= 8)
		d[i] = (unsigned char)u;
	if (buf_append(&in, ONECLICK_LABEL, sizeof ONECLICK_LABEL) == 0 &&
	    oneclick_put_field(&in, list) == 0 &&
	    oneclick_put_field(&in, domain) == 0 &&
	    oneclick_put_field(&in, address) == 0 &&
	    buf_append(&in, d, sizeof d) == 0 &&
	    HMAC(EVP_sha256(), key->key, (int)key->len,
	    (const unsigned char *)in.data, in.len, md, &mdlen) != NULL &&
	    mdlen >= ONECLICK_MAC_LEN) {
		memcpy(mac, md, ONECLICK_MAC_LEN);
		rc = 0;
	}
	OPENSSL_cleanse(md, sizeof md);
	buf_free(&in);
	return rc;
}

int
oneclick_token_make(const struct secret *key, const char *list,
    const char *domain, const char *address, long long day, struct buf *out)
{
	unsigned char mac[ONECLICK_MAC_LEN];
	size_t mark = out->len;

	if (!oneclick_fields_ok(list, domain, address) || day < 0 ||
	    oneclick_mac(key, list, domain, address, day, mac) < 0)
		return -1;
	if (buf_printf(out, "%s@%s/", list, domain) < 0 ||
	    oneclick_b64url_encode((const unsigned char *)address,
	    strlen(address), out) < 0 ||
	    buf_printf(out, "/%lld/", day) < 0 ||
	    oneclick_b64url_encode(mac, sizeof mac, out) < 0) {
		buf_truncate(out, mark);
		return -1;
	}
	return 0;
}

int
oneclick_url(const char *base, const struct secret *key, const char *list,
    const char *domain, const char *address, time_t now, struct buf *out)
{
	size_t n = strlen(base);

	buf_reset(out);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (n == 0 || buf_append(out, base, n) < 0 || buf_putc(out, '/') < 0)
		return -1;
	return oneclick_token_make(key, list, domain, address,
	    oneclick_day(now), out);
}

static int
oneclick_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode in[0..n) into out (room for n + 1). A bad escape, a
 * control byte or a NUL anywhere refuses the whole target. Returns the
 * decoded length or -1.
 */
static long
oneclick_unescape(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = oneclick_hexval((unsigned char)in[i + 1]);
			lo = oneclick_hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

/* Copy [s, s + n) into dst of size dstsize; -1 if it does not fit. */
static int
oneclick_copy(char *dst, size_t dstsize, const char *s, size_t n)
{
	if (n >= dstsize)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* Decimal, no sign, no leading zero, at most ONECLICK_DAY_DIGITS. */
static int
oneclick_parse_day(const char *s, size_t n, long long *day)
{
	long long v = 0;

	if (n == 0 || n > ONECLICK_DAY_DIGITS || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*day = v;
	return 0;
}

static int
oneclick_parse_listaddr(const char *s, size_t n, struct oneclick_token *t)
{
	const char *at = memchr(s, '@', n);
	const char *why;

	if (at == NULL || memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL)
		return -1;
	if (!oneclick_list_ok(s, (size_t)(at - s)) ||
	    oneclick_copy(t->list, sizeof t->list, s, (size_t)(at - s)) < 0 ||
	    oneclick_copy(t->domain, sizeof t->domain, at + 1,
	    n - (size_t)(at - s) - 1) < 0 ||
	    listname_check_domain(t->domain, &why) < 0)
		return -1;
	return 0;
}

static int
oneclick_parse_address(const char *s, size_t n, struct oneclick_token *t)
{
	unsigned char raw[ONECLICK_ADDRESS_MAX];
	const char *why;
	long len;

	if ((len = oneclick_b64url_decode(s, n, raw, sizeof raw)) <= 0 ||
	    memchr(raw, '\0', (size_t)len) != NULL)
		return -1;
	memcpy(t->address, raw, (size_t)len);
	t->address[len] = '\0';
	return roster_email_storable(t->address, &why) ? 0 : -1;
}

int
oneclick_parse(const char *target, size_t len, struct oneclick_token *t)
{
	char path[ONECLICK_PATH_MAX + 1];
	const char *seg[4];
	size_t seglen[4], end;
	long n;

	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < len; i++)
		if (target[i] == '?' || target[i] == '#') {
			len = i;
			break;
		}
	if (len > ONECLICK_PATH_MAX ||
	    (n = oneclick_unescape(target, len, path)) < 0)
		return -1;
	end = (size_t)n;
	/* A trailing slash, as some proxies add, is forgiven once. */
	if (end > 0 && path[end - 1] == '/')
		end--;
	for (int k = 3; k >= 0; k--) {
		size_t start = end;

		while (start > 0 && path[start - 1] != '/')
			start--;
		if (start == end || (k > 0 && start == 0))
			return -1;
		seg[k] = path + start;
		seglen[k] = end - start;
		end = start > 0 ? start - 1 : 0;
	}
	if (oneclick_parse_listaddr(seg[0], seglen[0], t) < 0 ||
	    oneclick_parse_address(seg[1], seglen[1], t) < 0 ||
	    oneclick_parse_day(seg[2], seglen[2], &t->day) < 0 ||
	    seglen[3] != ONECLICK_MAC_CHARS ||
	    oneclick_b64url_decode(seg[3], seglen[3], t->mac,
	    sizeof t->mac) != ONECLICK_MAC_LEN)
		return -1;
	return 0;
}

int
oneclick_verify(const struct secret *key, const struct oneclick_token *t,
    time_t now, int valid_days)
{
	unsigned char mac[ONECLICK_MAC_LEN];
	long long today = oneclick_day(now);
	int same;

	if (valid_days <= 0)
		valid_days = ONECLICK_DAYS;
	if (oneclick_mac(key, t->list, t->domain, t->address, t->day, mac) < 0)
		return ONECLICK_FORGED;
	same = CRYPTO_memcmp(mac, t->mac, sizeof mac) == 0;
	OPENSSL_cleanse(mac, sizeof mac);
	if (!same)
		return ONECLICK_FORGED;
	if (t->day > today + 1 || today - t->day >= valid_days)
		return ONECLICK_EXPIRED;
	return ONECLICK_OK;
}

/* A form value or name percent- and plus-decoded into out; -1 if bad. */
static int
oneclick_form_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+')
			c = ' ';
		else if (c == '%') {
			int hi, lo;

			if (n - i < 3 ||
			    (hi = oneclick_hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = oneclick_hexval((unsigned char)s[i + 2])) < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (buf_putc(out, c) < 0)
			return -1;
	}
	return 0;
}

/* Length of s[0..n) without trailing blanks and line ends. */
static size_t
oneclick_rtrim(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n' ||
	    s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

static int
oneclick_form_ok(const char *body, size_t len)
{
	struct buf b = BUF_INIT(ONECLICK_BODY_MAX);
	int ok;

	len = oneclick_rtrim(body, len);
	/* The only field: no '&' separates a second one. */
	ok = memchr(body, '&', len) == NULL &&
	    oneclick_form_decode(body, len, &b) == 0 &&
	    b.len == sizeof ONECLICK_POST_BODY - 1 &&
	    memcmp(b.data, ONECLICK_POST_BODY, b.len) == 0;
	buf_free(&b);
	return ok;
}

/*
 * multipart/form-data (RFC 7578) read with the mail parser: the HTTP
 * Content-Type becomes the header of a one-header message around the body.
 */
static int
oneclick_multipart_ok(const char *content_type, const char *body, size_t len)
{
	struct buf m = BUF_INIT(ONECLICK_BODY_MAX + 1024);
	struct buf v = BUF_INIT(256);
	struct msg_limits lim;
	const struct mime_param *name;
	const struct msg_part *p;
	struct msg *msg = NULL;
	int ok = 0;

	msg_limits_default(&lim);
	lim.max_size = ONECLICK_BODY_MAX + 1024;
	lim.max_parts = 4;
	lim.max_depth = 2;
	lim.max_headers = 16;
	lim.max_total_headers = 32;
	lim.max_header_len = 1024;
	lim.max_params = 8;
	for (const char *c = content_type; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			goto out;
	if (buf_printf(&m, "Content-Type: %s\r\n\r\n", content_type) < 0 ||
	    buf_append(&m, body, len) < 0 ||
	    (msg = msg_parse(m.data, m.len, &lim, NULL)) == NULL)
		goto out;
	if (!msg_part_is(msg->root, "multipart", "form-data") ||
	    msg->root->nchildren != 1)
		goto out;
	p = msg->root->child;
	if (p->disp.type == NULL || strcmp(p->disp.type, "form-data") != 0 ||
	    (name = mime_param_find(&p->disp, "name")) == NULL ||
	    name->value_len != strlen("List-Unsubscribe") ||
	    memcmp(name->value, "List-Unsubscribe", name->value_len) != 0 ||
	    msg_part_decode(msg, p, &v) < 0)
		goto out;
	ok = oneclick_rtrim(buf_cstr(&v), v.len) == strlen("One-Click") &&
	    memcmp(buf_cstr(&v), "One-Click", strlen("One-Click")) == 0;
out:
	msg_free(msg);
	buf_free(&v);
	buf_free(&m);
	return ok;
}

int
oneclick_body_ok(const char *content_type, const char *body, size_t len)
{
	struct mime_value ct;
	int ok = 0;

	if (len > ONECLICK_BODY_MAX)
		return 0;
	if (content_type == NULL || *content_type == '\0')
		return oneclick_form_ok(body, len);
	mime_value_parse(content_type, strlen(content_type), 1, 8, &ct);
	if (ct.type != NULL && ct.subtype != NULL) {
		if ((strcmp(ct.type, "application") == 0 &&
		    strcmp(ct.subtype, "x-www-form-urlencoded") == 0) ||
		    (strcmp(ct.type, "text") == 0 &&
		    strcmp(ct.subtype, "plain") == 0))
			ok = oneclick_form_ok(body, len);
		else if (strcmp(ct.type, "multipart") == 0 &&
		    strcmp(ct.subtype, "form-data") == 0)
			ok = oneclick_multipart_ok(content_type, body, len);
	}
	mime_value_free(&ct);
	return ok;
}
