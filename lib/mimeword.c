/*
 * mimeword - RFC 2047 encoded-word decoding and charset conversion.
 *
 * The scanner looks for "=?charset?B|Q?text?=" anywhere in the value.
 * Decoded bytes of adjacent words are collected in a pending buffer while
 * the charset stays the same and only linear whitespace separates them;
 * the buffer is converted to UTF-8 when something else comes. Scanning is
 * linear: the search for the "?=" that ends a word and for whitespace
 * inside it remembers its last answer, so a value made of many
 * unterminated "=?" starts costs one pass, not one pass per start.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "mimeword.h"

#define MW_NONE		((size_t)-1)
#define MW_LANG_MAX	64		/* "*lang" suffix accepted after a charset */
#define MW_CHUNK	1024		/* iconv output chunk */

static const char mw_replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

/* How a charset is converted. */
enum mw_kind {
	MW_UNKNOWN,
	MW_UTF8,		/* utf-8 and us-ascii: validate, no iconv */
	MW_ICONV
};

/* A converter for one charset name, kept while a value is decoded. */
struct mw_conv {
	char		name[MIMEWORD_CHARSET_MAX + 1];
	enum mw_kind	kind;
	iconv_t		cd;
	unsigned	used;		/* for least-recently-used eviction */
};

/* Two converters: the pending charset and the one being looked at. */
struct mw_cache {
	struct mw_conv	conv[2];
	unsigned	clock;
};

/* Names glibc lacks or that mailers use for a superset. */
static const struct {
	const char *from;
	const char *to;
} mw_aliases[] = {
	{ "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601", "CP949" },
	{ "gb2312", "GB18030" },	/* mailers send GBK/GB18030 text as gb2312 */
	{ "gbk", "GB18030" },
	{ "iso-8859-8-i", "ISO-8859-8" },
	{ "x-sjis", "SHIFT_JIS" },
	{ "x-mac-roman", "MACINTOSH" },
	{ "unicode-1-1-utf-7", "UTF-7" },
};

/* One encoded-word found in the input. */
struct mw_word {
	const char	*charset;
	size_t		 charset_len;	/* without a "*lang" suffix */
	int		 enc;		/* 'B' or 'Q' */
	const char	*text;
	size_t		 text_len;
	size_t		 end;		/* index just past "?=" */
};

/* Memos of the scanner that keep it linear. */
struct mw_scan {
	size_t	next_end;		/* index of the next "?=", or MW_NONE */
	size_t	next_end_from;		/* where that search started */
	size_t	next_ws;		/* index of the next blank/control, or len */
	size_t	next_ws_from;
};

static int
mw_is_lws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * A charset name is handed to iconv_open(), so only plain names pass:
 * glibc gives "/" and "," meanings of their own.
 */
static int
mw_name_ok(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p; p++, n++) {
		unsigned char c = (unsigned char)*p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == ':' || c == '+'))
			return 0;
	}
	return n > 0 && n <= MIMEWORD_CHARSET_MAX;
}

static int
mw_is_utf8_name(const char *name)
{
	return strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0 ||
	    strcasecmp(name, "us-ascii") == 0 || strcasecmp(name, "ascii") == 0;
}

static void
mw_conv_close(struct mw_conv *c)
{
	if (c->kind == MW_ICONV)
		iconv_close(c->cd);
	c->kind = MW_UNKNOWN;
	c->name[0] = '\0';
}

/* Set c up for name (a NUL-terminated, length-checked copy). */
static void
mw_conv_open(struct mw_conv *c, const char *name)
{
	const char *target = name;

	mw_conv_close(c);
	memcpy(c->name, name, strlen(name) + 1);
	if (!mw_name_ok(name))
		return;
	if (mw_is_utf8_name(name)) {
		c->kind = MW_UTF8;
		return;
	}
	for (size_t i = 0; i < sizeof mw_aliases / sizeof mw_aliases[0]; i++)
		if (strcasecmp(name, mw_aliases[i].from) == 0)
			target = mw_aliases[i].to;
	c->cd = iconv_open("UTF-8", target);
	if (c->cd != (iconv_t)-1)
		c->kind = MW_ICONV;
}

/* The converter for name, opened or found in the cache. */
static struct mw_conv *
mw_cache_get(struct mw_cache *cache, const char *name)
{
	struct mw_conv *c;

	for (int i = 0; i < 2; i++) {
		c = &cache->conv[i];
		if (c->name[0] != '\0' && strcasecmp(c->name, name) == 0) {
			c->used = ++cache->clock;
			return c;
		}
	}
	c = cache->conv[0].used <= cache->conv[1].used ? &cache->conv[0] :
	    &cache->conv[1];
	mw_conv_open(c, name);
	c->used = ++cache->clock;
	return c;
}

static void
mw_cache_free(struct mw_cache *cache)
{
	mw_conv_close(&cache->conv[0]);
	mw_conv_close(&cache->conv[1]);
}

/*
 * Length of the valid UTF-8 sequence at p, or 0 when it is invalid; then
 * *skip is how many bytes the invalid part covers (at least 1), so that
 * one U+FFFD replaces it.
 */
static size_t
mw_utf8_seq(const unsigned char *p, size_t left, size_t *skip)
{
	unsigned char c = p[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xbf;

	*skip = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (c == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;		/* beyond U+10FFFF */
	} else
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if (k >= left || p[k] < lo || p[k] > hi) {
			*skip = k;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

static int
mw_utf8_copy(const char *in, size_t len, struct buf *out)
{
	size_t i = 0, start = 0;

	while (i < len) {
		size_t skip, n;

		n = mw_utf8_seq((const unsigned char *)in + i, len - i, &skip);
		if (n > 0) {
			i += n;
			continue;
		}
		if (buf_append(out, in + start, i - start) < 0 ||
		    buf_append(out, mw_replacement, 3) < 0)
			return -2;
		i += skip;
		start = i;
	}
	return buf_append(out, in + start, len - start) < 0 ? -2 : 0;
}

static int
mw_iconv_copy(iconv_t cd, const char *in, size_t len, struct buf *out)
{
	char chunk[MW_CHUNK];
	char *ip = (char *)(uintptr_t)in;	/* iconv's prototype lacks const */
	size_t il = len;

	iconv(cd, NULL, NULL, NULL, NULL);	/* initial shift state */
	while (il > 0) {
		char *op = chunk;
		size_t ol = sizeof chunk, r;
		int err;

		r = iconv(cd, &ip, &il, &op, &ol);
		err = errno;
		if (buf_append(out, chunk, (size_t)(op - chunk)) < 0)
			return -2;
		if (r != (size_t)-1 || err == E2BIG)
			continue;
		if (buf_append(out, mw_replacement, 3) < 0)
			return -2;
		/* A byte the charset cannot map: replace it and go on. */
		if (err == EILSEQ) {
			ip++;
			il--;
		} else
			break;		/* EINVAL: cut sequence at the end */
	}
	return 0;
}

static int
mw_conv_run(const struct mw_conv *c, const char *in, size_t len, struct buf *out)
{
	if (c->kind == MW_UTF8)
		return mw_utf8_copy(in, len, out);
	return mw_iconv_copy(c->cd, in, len, out);
}

int
mimeword_to_utf8(const char *charset, const char *in, size_t len, struct buf *out)
{
	struct mw_conv conv = { .kind = MW_UNKNOWN };
	int rc;

	if (strlen(charset) > MIMEWORD_CHARSET_MAX)
		return -1;
	mw_conv_open(&conv, charset);
	if (conv.kind == MW_UNKNOWN)
		return -1;
	rc = mw_conv_run(&conv, in, len, out);
	mw_conv_close(&conv);
	return rc;
}

int
mimeword_charset_known(const char *charset)
{
	struct mw_conv conv = { .kind = MW_UNKNOWN };
	int known;

	if (strlen(charset) > MIMEWORD_CHARSET_MAX)
		return 0;
	mw_conv_open(&conv, charset);
	known = conv.kind != MW_UNKNOWN;
	mw_conv_close(&conv);
	return known;
}

/* Index of the first "?=" at or after from, remembered. */
static size_t
mw_find_end(struct mw_scan *s, const char *in, size_t len, size_t from)
{
	const char *p;

	if (s->next_end_from != MW_NONE && from >= s->next_end_from &&
	    (s->next_end == MW_NONE || from <= s->next_end))
		return s->next_end;
	s->next_end_from = from;
	p = from < len ? memmem(in + from, len - from, "?=", 2) : NULL;
	s->next_end = p ? (size_t)(p - in) : MW_NONE;
	return s->next_end;
}

/* Index of the first blank or control byte at or after from, remembered. */
static size_t
mw_find_ws(struct mw_scan *s, const char *in, size_t len, size_t from)
{
	size_t i;

	if (s->next_ws_from != MW_NONE && from >= s->next_ws_from &&
	    from <= s->next_ws)
		return s->next_ws;
	for (i = from; i < len; i++)
		if ((unsigned char)in[i] <= ' ' || in[i] == 0x7f)
			break;
	s->next_ws_from = from;
	s->next_ws = i;
	return i;
}

/* Parse the encoded-word starting at in[i] ("=?"); 0 if there is none. */
static int
mw_parse(struct mw_scan *s, const char *in, size_t len, size_t i,
    struct mw_word *w)
{
	size_t j = i + 2, star = MW_NONE, end;

	for (; j < len && in[j] != '?'; j++) {
		unsigned char c = (unsigned char)in[j];

		if (j - (i + 2) >= MIMEWORD_CHARSET_MAX + MW_LANG_MAX ||
		    c <= ' ' || c >= 0x7f)
			return 0;
		if (c == '*' && star == MW_NONE)
			star = j;
	}
	if (j + 2 >= len || j == i + 2 || in[j + 2] != '?')
		return 0;
	w->charset = in + i + 2;
	w->charset_len = (star != MW_NONE ? star : j) - (i + 2);
	if (w->charset_len == 0 || w->charset_len > MIMEWORD_CHARSET_MAX)
		return 0;
	switch (in[j + 1]) {
	case 'B': case 'b':
		w->enc = 'B';
		break;
	case 'Q': case 'q':
		w->enc = 'Q';
		break;
	default:
		return 0;
	}
	w->text = in + j + 3;
	/* The word ends at the first "?="; it holds no whitespace. */
	if ((end = mw_find_end(s, in, len, j + 3)) == MW_NONE)
		return 0;
	if (mw_find_ws(s, in, len, j + 3) < end)
		return 0;
	w->text_len = end - (j + 3);
	w->end = end + 2;
	return 1;
}

static int
mw_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

static int
mw_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
	    (c >= 'a' && c <= 'f');
}

/*
 * Whether the text is well-formed for its encoding. The codec decoders
 * are lenient on purpose; here a broken word must be kept as it is, not
 * half-decoded. Missing base64 padding is tolerated.
 */
static int
mw_text_ok(const struct mw_word *w)
{
	const unsigned char *t = (const unsigned char *)w->text;
	size_t n = w->text_len, data = 0, pad = 0;

	if (w->enc == 'B') {
		for (size_t k = 0; k < n; k++) {
			if (t[k] == '=')
				pad++;
			else if (!mw_b64_char(t[k]) || pad > 0)
				return 0;
			else
				data++;
		}
		return pad <= 2 && data % 4 != 1 &&
		    (pad == 0 || (data + pad) % 4 == 0);
	}
	for (size_t k = 0; k < n; k++)
		if (t[k] == '=' && (k + 2 >= n || !mw_hex(t[k + 1]) ||
		    !mw_hex(t[k + 2])))
			return 0;
	return 1;
}

/* The words' decoded bytes waiting for conversion. */
struct mw_pending {
	struct buf	raw;
	char		charset[MIMEWORD_CHARSET_MAX + 1];
	int		have;
};

static int
mw_flush(struct mw_pending *p, struct mw_cache *cache, struct buf *out)
{
	struct mw_conv *c;
	int rc;

	if (!p->have)
		return 0;
	c = mw_cache_get(cache, p->charset);
	rc = mw_conv_run(c, p->raw.data ? p->raw.data : "", p->raw.len, out);
	buf_reset(&p->raw);
	p->have = 0;
	return rc < 0 ? -1 : 0;
}

static int
mw_all_lws(const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!mw_is_lws((unsigned char)p[k]))
			return 0;
	return 1;
}

/*
 * Take the word at in[i]: 1 if it was decoded into the pending bytes (the
 * text before it handled), 0 if it is to be kept literally, -1 on limit.
 */
static int
mw_take(const struct mw_word *w, const char *in, size_t *copy_from, size_t i,
    struct mw_pending *p, struct mw_cache *cache, struct buf *out)
{
	char cs[MIMEWORD_CHARSET_MAX + 1];
	struct mw_conv *c;
	int same;

	memcpy(cs, w->charset, w->charset_len);
	cs[w->charset_len] = '\0';
	if (!mw_text_ok(w))
		return 0;
	same = p->have && strcasecmp(p->charset, cs) == 0;
	if (!same) {
		c = mw_cache_get(cache, cs);
		if (c->kind == MW_UNKNOWN)
			return 0;
	}
	/* Only whitespace since the last word: it vanishes (6.2). */
	if (!(p->have && mw_all_lws(in + *copy_from, i - *copy_from))) {
		if (mw_flush(p, cache, out) < 0 ||
		    buf_append(out, in + *copy_from, i - *copy_from) < 0)
			return -1;
	} else if (!same && mw_flush(p, cache, out) < 0)
		return -1;
	if ((w->enc == 'B' ? codec_base64_decode(w->text, w->text_len, &p->raw) :
	    codec_q_decode(w->text, w->text_len, &p->raw)) < 0)
		return -1;
	memcpy(p->charset, cs, w->charset_len + 1);
	p->have = 1;
	*copy_from = w->end;
	return 1;
}

int
mimeword_decode(const char *in, size_t len, struct buf *out)
{
	struct mw_scan scan = { 0, MW_NONE, 0, MW_NONE };
	struct mw_cache cache;
	struct mw_pending pend;
	size_t i = 0, copy_from = 0;
	int words = 0, rc = 0;

	memset(&cache, 0, sizeof cache);
	memset(&pend, 0, sizeof pend);
	/* Decoded text is never longer than its encoding. */
	buf_init(&pend.raw, len);
	while (i + 1 < len && words < MIMEWORD_MAX_WORDS) {
		struct mw_word w;
		const char *q;
		int r;

		q = memchr(in + i, '=', len - i - 1);
		if (q == NULL)
			break;
		i = (size_t)(q - in);
		if (in[i + 1] != '?' || !mw_parse(&scan, in, len, i, &w)) {
			i++;
			continue;
		}
		words++;
		if ((r = mw_take(&w, in, &copy_from, i, &pend, &cache, out)) < 0) {
			rc = -1;
			break;
		}
		/* A word kept literally is skipped whole. */
		i = w.end;
	}
	if (rc == 0 && (mw_flush(&pend, &cache, out) < 0 ||
	    buf_append(out, in + copy_from, len - copy_from) < 0))
		rc = -1;
	buf_free(&pend.raw);
	mw_cache_free(&cache);
	return rc;
}

/* The length of the UTF-8 sequence a lead byte announces (1 for others). */
static size_t
mimeword_seq_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

int
mimeword_encode(const char *s, size_t len, size_t max_bytes, const char *sep,
    struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	if (max_bytes < 4)
		max_bytes = 4;
	while (i < len) {
		size_t start = i;

		while (i < len) {
			size_t k = mimeword_seq_len(u[i]);

			if (k > len - i)
				k = len - i;
			if (i - start + k > max_bytes)
				break;
			i += k;
		}
		if ((start > 0 && buf_puts(out, sep) < 0) ||
		    buf_puts(out, "=?utf-8?b?") < 0 ||
		    codec_base64_encode(u + start, i - start, out, 0) < 0 ||
		    buf_puts(out, "?=") < 0)
			return -1;
	}
	return 0;
}

int
mimeword_is_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}
