/*
 * msg_fuzz - libFuzzer target for the message parser: parse, walk the
 * tree checking its ranges, decode every part, look up and decode header
 * fields, file names and display names. Small limits make the limit paths
 * reachable with small inputs; every other run uses the defaults.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash, with the invariant named. */
#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "msg_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

static void
fuzz_part(const struct msg *m, const struct msg_part *p)
{
	struct buf b = BUF_INIT(1 << 20);
	const struct msg_header *h = NULL;
	size_t n = 0;

	fuzz_check(p->hdr_off <= p->hdr_end && p->hdr_end <= p->body_off);
	fuzz_check(p->body_off <= p->preamble_end && p->preamble_end <= p->body_end);
	fuzz_check(p->epilogue_off <= p->body_end && p->body_end <= m->len);
	fuzz_check(p->ctype.type != NULL && p->ctype.subtype != NULL);
	for (const struct msg_part *c = p->child; c; c = c->next, n++) {
		fuzz_check(c->parent == p && c->depth == p->depth + 1);
		fuzz_check(c->body_off >= p->body_off && c->body_end <= p->body_end);
	}
	fuzz_check(n == p->nchildren);
	for (size_t i = 0; i < p->nheaders; i++) {
		const struct msg_header *f = &p->headers[i];

		fuzz_check(f->off + f->len <= m->len && f->value_off + f->value_len <= m->len);
		buf_reset(&b);
		msg_header_decode(m, f, &b);
	}
	while ((h = msg_header_find(m, p, "received", h)) != NULL)
		;
	buf_reset(&b);
	msg_header_display_name(m, p, "From", &b);
	buf_reset(&b);
	msg_part_decode(m, p, &b);
	buf_reset(&b);
	msg_part_filename(p, &b);
	msg_part_charset(p);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_limits lim;
	struct msg *m;
	struct buf b = BUF_INIT(4096);

	msg_limits_default(&lim);
	if (size > 0 && data[0] == 'X') {
		lim.max_headers = 8;
		lim.max_total_headers = 20;
		lim.max_header_len = 64;
		lim.max_parts = 10;
		lim.max_depth = 4;
		lim.max_boundary_len = 10;
		lim.max_params = 3;
	}
	if ((m = msg_parse((const char *)data, size, &lim, NULL)) == NULL)
		return 0;
	fuzz_check(m->nparts >= 1 && m->nparts <= lim.max_parts);
	for (size_t i = 0; i < m->nparts; i++) {
		fuzz_check(m->parts[i]->index == i);
		fuzz_part(m, m->parts[i]);
	}
	msg_subject(m, &b);
	msg_defects_format(m->defects, &b);
	buf_free(&b);
	msg_free(m);
	return 0;
}
