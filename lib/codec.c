/*
 * codec - base64 and quoted-printable decoding (and base64 encoding).
 */
#include <string.h>

#include "codec.h"

static const char codec_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
codec_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
codec_base64_decode(const char *in, size_t len, struct buf *out)
{
	unsigned int acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v;

		if (in[i] == '=')
			break;
		if ((v = codec_b64_value((unsigned char)in[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (buf_putc(out, (int)((acc >> bits) & 0xff)) < 0)
				return -1;
		}
	}
	return 0;
}

int
codec_base64_encode(const void *in, size_t len, struct buf *out, size_t line_len)
{
	const unsigned char *p = in;
	size_t col = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned int v = (unsigned int)p[i] << 16;
		char q[4];

		if (i + 1 < len)
			v |= (unsigned int)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = codec_b64_alphabet[(v >> 18) & 63];
		q[1] = codec_b64_alphabet[(v >> 12) & 63];
		q[2] = i + 1 < len ? codec_b64_alphabet[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? codec_b64_alphabet[v & 63] : '=';
		if (line_len && col + 4 > line_len) {
			if (buf_append(out, "\r\n", 2) < 0)
				return -1;
			col = 0;
		}
		if (buf_append(out, q, 4) < 0)
			return -1;
		col += 4;
	}
	return 0;
}

static int
codec_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Length of a line end at p ("\r\n", "\n" or "\r"), 0 if none. */
static size_t
codec_eol(const char *p, size_t left)
{
	if (left >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	if (left >= 1 && (p[0] == '\n' || p[0] == '\r'))
		return 1;
	return 0;
}

static int
codec_qp_common(const char *in, size_t len, struct buf *out, int underscore)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int hi, lo;

		if (c == '_' && underscore) {
			c = ' ';
		} else if (c == '=') {
			size_t j = i + 1, eol;

			/* A soft line break may have trailing blanks before it. */
			while (j < len && (in[j] == ' ' || in[j] == '\t'))
				j++;
			if ((eol = codec_eol(in + j, len - j)) > 0 || j == len) {
				i = j + eol - 1;
				continue;
			}
			if (i + 2 < len && (hi = codec_hex_value((unsigned char)in[i + 1])) >= 0 &&
			    (lo = codec_hex_value((unsigned char)in[i + 2])) >= 0) {
				c = (unsigned char)(hi * 16 + lo);
				i += 2;
			}
		}
		if (buf_putc(out, c) < 0)
			return -1;
	}
	return 0;
}

int
codec_qp_decode(const char *in, size_t len, struct buf *out)
{
	return codec_qp_common(in, len, out, 0);
}

int
codec_q_decode(const char *in, size_t len, struct buf *out)
{
	return codec_qp_common(in, len, out, 1);
}
