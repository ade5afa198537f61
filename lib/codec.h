/*
 * codec - base64 and quoted-printable, as mail uses them.
 *
 * Decoders are lenient the way a mail reader must be: base64 skips
 * whitespace and bytes outside the alphabet and stops at padding;
 * quoted-printable keeps a malformed "=" sequence as it is. They return 0,
 * or -1 when the output buffer's limit is reached (the output is then cut).
 */
#ifndef HERALD_CODEC_H
#define HERALD_CODEC_H

#include <stddef.h>

#include "buf.h"

int codec_base64_decode(const char *in, size_t len, struct buf *out);
/* Lines of line_len characters (CRLF-separated) when line_len > 0. */
int codec_base64_encode(const void *in, size_t len, struct buf *out, size_t line_len);
/* RFC 2045 quoted-printable; soft line breaks ("=" at end of line) vanish. */
int codec_qp_decode(const char *in, size_t len, struct buf *out);
/* RFC 2047 "Q" encoding: quoted-printable where "_" stands for a space. */
int codec_q_decode(const char *in, size_t len, struct buf *out);

#endif
