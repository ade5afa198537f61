/*
 * mimeword - RFC 2047 encoded-words in header values, to UTF-8.
 *
 * A header such as "Subject: =?iso-8859-1?q?Andr=E9?= wrote" carries text
 * in another charset; mimeword_decode() turns an unstructured value
 * (already unfolded) into UTF-8. It is lenient the way a mail reader must
 * be: an encoded-word is recognised anywhere, an encoded-word with an
 * unknown charset or a broken encoding is kept literally, text outside
 * encoded-words is copied unchanged. Whitespace between two adjacent
 * encoded-words vanishes (RFC 2047 section 6.2), and the bytes of adjacent
 * words in one charset are converted together, so a character split over
 * two words (as some mailers do) survives.
 *
 * Work is linear in the input: at most MIMEWORD_MAX_WORDS words are
 * decoded, the rest of the value is then copied as it is.
 */
#ifndef HERALD_MIMEWORD_H
#define HERALD_MIMEWORD_H

#include <stddef.h>

#include "buf.h"

#define MIMEWORD_MAX_WORDS	1000	/* encoded-words decoded per value */
#define MIMEWORD_CHARSET_MAX	64	/* longest charset name accepted */

/*
 * Append the decoded value to out. Returns 0, or -1 when out's limit is
 * reached (out then holds a cut value).
 */
int	mimeword_decode(const char *in, size_t len, struct buf *out);

/*
 * Append in (len bytes in charset) to out as UTF-8. "us-ascii" and
 * "utf-8" take a fast path where invalid UTF-8 becomes U+FFFD (so does a
 * byte the charset cannot map, through iconv). Returns 0, -1 for an
 * unknown or unacceptable charset name (out untouched), -2 when out's limit
 * is reached.
 */
int	mimeword_to_utf8(const char *charset, const char *in, size_t len,
	    struct buf *out);

/* Whether mimeword_to_utf8() knows the charset. */
int	mimeword_charset_known(const char *charset);

/*
 * The encoding side: len bytes of UTF-8 text as "=?utf-8?b?...?="
 * encoded-words of at most max_bytes bytes of text each (45 makes a word
 * of 72 characters, within RFC 2047's 75), cut only between characters,
 * with sep (" ", or "\n " to fold) between two words. Appends to out;
 * 0, or -1 at out's limit.
 */
int	mimeword_encode(const char *s, size_t len, size_t max_bytes,
	    const char *sep, struct buf *out);
/* Whether s is printable ASCII only (then it needs no encoded-word). */
int	mimeword_is_plain(const char *s);

#endif
