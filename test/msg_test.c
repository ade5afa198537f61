/*
 * msg_test - the message parser: header fields, line ends, MIME tree,
 * parameters, body decoding, limits. Most cases are a table of messages
 * with the tree, defects, a header and a body they must give.
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

#include "buf.h"
#include "mem.h"
#include "mime.h"
#include "msg.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct msg_case {
	const char	*name;
	const char	*in;
	const char	*tree;
	unsigned int	 defects;	/* the union, exactly */
	const char	*hname;		/* a field to look up, or NULL */
	const char	*hvalue;	/* its unfolded value */
	int		 part;		/* a part whose decoded body to check */
	const char	*body;		/* NULL: not checked */
};

static void
check_case(const struct msg_case *c, const char *in, size_t len)
{
	struct msg *m = msg_parse(in, len, NULL, NULL);
	struct buf b = BUF_INIT(1 << 20);

	assert_non_null(m);
	msg_tree_format(m->root, &b);
	if (strcmp(buf_cstr(&b), c->tree) != 0)
		fail_msg("%s: tree %s, want %s", c->name, buf_cstr(&b), c->tree);
	if (m->defects != c->defects) {
		buf_reset(&b);
		msg_defects_format(m->defects, &b);
		fail_msg("%s: defects %s (%#x), want %#x", c->name, buf_cstr(&b),
		    m->defects, c->defects);
	}
	if (c->hname) {
		buf_reset(&b);
		assert_int_equal(msg_header_get(m, NULL, c->hname, &b), 1);
		if (b.len != strlen(c->hvalue) || memcmp(buf_cstr(&b), c->hvalue, b.len) != 0)
			fail_msg("%s: %s is '%s', want '%s'", c->name, c->hname,
			    buf_cstr(&b), c->hvalue);
	}
	if (c->body) {
		assert_true((size_t)c->part < m->nparts);
		buf_reset(&b);
		assert_int_equal(msg_part_decode(m, m->parts[c->part], &b), 0);
		if (b.len != strlen(c->body) || memcmp(buf_cstr(&b), c->body, b.len) != 0)
			fail_msg("%s: part %d body '%s', want '%s'", c->name, c->part,
			    buf_cstr(&b), c->body);
	}
	buf_free(&b);
	msg_free(m);
}

static void
run_cases(const struct msg_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_case(&cases[i], cases[i].in, strlen(cases[i].in));
}

static void
test_headers_and_line_ends(void **state)
{
	static const struct msg_case cases[] = {
		{ "lf", "Subject: hi\nFrom: a@b\n\nbody\n", "text/plain", 0,
		    "subject", "hi", 0, "body\n" },
		{ "crlf", "Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n", "text/plain", 0,
		    "SUBJECT", "hi", 0, "body\r\n" },
		{ "cr", "Subject: hi\rFrom: a@b\r\rbody\r", "text/plain", 0,
		    "From", "a@b", 0, "body\r" },
		{ "mixed", "Subject: hi\r\nFrom: a@b\rTo: c\n\r\nbody", "text/plain", 0,
		    "to", "c", 0, "body" },
		{ "folded lf", "Subject: a\n b\n\tc  \n\nx", "text/plain", 0,
		    "subject", "a b\tc", 0, "x" },
		{ "folded crlf", "Subject:\r\n  a\r\n b\r\n\r\nx", "text/plain", 0,
		    "subject", "a b", 0, "x" },
		{ "folded cr", "Subject: a\r b\r\rx", "text/plain", 0,
		    "subject", "a b", 0, "x" },
		{ "blank before colon", "Subject : a\n\nx", "text/plain", 0,
		    "subject", "a", 0, "x" },
		{ "empty value", "Subject:\n\nx", "text/plain", 0, "subject", "", 0, "x" },
		{ "mbox from", "From a@b Sat Jan  3 01:05:34 1996\nSubject: s\n\nb",
		    "text/plain", 0, "subject", "s", 0, "b" },
		{ "no separator", "Subject: s\nthis is the body\n", "text/plain",
		    MSG_DEFECT_NO_SEPARATOR, "subject", "s", 0, "this is the body\n" },
		{ "all headers", "Subject: s\nTo: t", "text/plain", 0, "to", "t", 0, "" },
		{ "empty", "", "text/plain", 0, NULL, NULL, 0, "" },
		{ "only blank", "\n", "text/plain", 0, NULL, NULL, 0, "" },
		{ "body only", "\nhello", "text/plain", 0, NULL, NULL, 0, "hello" },
		{ "first continuation", " x\nSubject: s\n\nb", "text/plain",
		    MSG_DEFECT_FIRST_CONTINUATION, "subject", "s", 0, "b" },
		{ "misplaced from", "Subject: s\nFrom x\n\nb", "text/plain",
		    MSG_DEFECT_MISPLACED_FROM, "subject", "s", 0, "b" },
		{ "8-bit", "Subject: caf\xc3\xa9\n\n\xff\xfe", "text/plain", 0,
		    "subject", "caf\xc3\xa9", 0, "\xff\xfe" },
	};

	(void)state;
	run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void
test_nul_bytes(void **state)
{
	static const char in[] = "Subject: a\0b\nX-Y: 1\n\nx\0y\n--\0";
	struct msg *m = msg_parse(in, sizeof in - 1, NULL, NULL);
	struct buf b = BUF_INIT(100);
	const char *body;
	size_t len;

	(void)state;
	assert_int_equal(m->root->nheaders, 2);
	assert_int_equal(msg_header_get(m, NULL, "subject", &b), 1);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	body = msg_part_body(m, m->root, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(body, "x\0y\n--\0", 7);
	buf_free(&b);
	msg_free(m);
}

static void
test_header_lookup(void **state)
{
	static const char in[] =
	    "Received: one\r\nSubject: s\r\nreceived: two\r\n\tfolded\r\n"
	    "RECEIVED: three\r\n\r\nbody";
	struct msg *m = msg_parse(in, sizeof in - 1, NULL, NULL);
	const struct msg_header *h = NULL;
	/* Unfolding removes line ends only; the tab stays (RFC 5322 2.2.3). */
	const char *want[] = { "one", "two\tfolded", "three" };
	struct buf b = BUF_INIT(100);
	const char *raw;
	size_t n = 0, len;

	(void)state;
	assert_int_equal(msg_header_count(m, NULL, "received"), 3);
	while ((h = msg_header_find(m, NULL, "Received", h)) != NULL) {
		buf_reset(&b);
		assert_int_equal(msg_header_unfold(m, h, &b), 0);
		assert_string_equal(buf_cstr(&b), want[n]);
		n++;
	}
	assert_int_equal(n, 3);
	/* The raw value keeps folding; the field range covers its line end. */
	h = &m->root->headers[2];
	raw = msg_header_raw(m, h, &len);
	assert_int_equal(len, strlen(" two\r\n\tfolded"));
	assert_memory_equal(raw, " two\r\n\tfolded", len);
	assert_int_equal(h->len, strlen("received: two\r\n\tfolded\r\n"));
	assert_int_equal(h->name_len, 8);
	assert_memory_equal(in + h->off, "received", 8);
	/* Iteration in order. */
	assert_true(msg_header_is(m, &m->root->headers[1], "subject"));
	assert_null(msg_header_find(m, NULL, "X-None", NULL));
	assert_int_equal(msg_header_get(m, NULL, "X-None", &b), 0);
	/* Header block and body offsets. */
	assert_int_equal(m->root->hdr_off, 0);
	assert_int_equal(m->root->hdr_end, sizeof in - 1 - strlen("\r\nbody"));
	assert_int_equal(m->root->body_off, sizeof in - 1 - 4);
	buf_free(&b);
	msg_free(m);
}

static void
test_mime_tree(void **state)
{
	static const struct msg_case cases[] = {
		{ "simple multipart",
		    "Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b\n"
		    "Content-Type: text/html\n\n<p>two</p>\n--b--\nepi\n",
		    "multipart/mixed[text/plain,text/html]", 0, NULL, NULL, 1, "one" },
		{ "quoted boundary, crlf",
		    "Content-Type: multipart/mixed;\r\n boundary=\"a b:c\"\r\n\r\n"
		    "--a b:c\r\n\r\none\r\n--a b:c  \r\n\r\ntwo\r\n--a b:c--\r\n",
		    "multipart/mixed[text/plain,text/plain]", 0, NULL, NULL, 2, "two" },
		{ "nested",
		    "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
		    "Content-Type: multipart/alternative; boundary=i\n\n--i\n\na\n--i\n"
		    "Content-Type: text/html\n\nb\n--i--\n--o\n\nc\n--o--\n",
		    "multipart/mixed[multipart/alternative[text/plain,text/html],text/plain]",
		    0, NULL, NULL, 3, "b" },
		{ "message/rfc822",
		    "Content-Type: multipart/mixed; boundary=o\n\n--o\n\nintro\n--o\n"
		    "Content-Type: message/rfc822\n\nSubject: inner\n"
		    "Content-Type: text/html\n\n<b>x</b>\n--o--\n",
		    "multipart/mixed[text/plain,message/rfc822[text/html]]", 0,
		    NULL, NULL, 3, "<b>x</b>" },
		{ "digest default",
		    "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: 1\n\none\n"
		    "--d\nContent-Type: text/plain\n\nplain\n--d--\n",
		    "multipart/digest[message/rfc822[text/plain],text/plain]", 0,
		    NULL, NULL, 2, "one" },
		{ "missing start boundary",
		    "Content-Type: multipart/mixed; boundary=b\n\nno delimiter\n",
		    "multipart/mixed", MSG_DEFECT_NO_START_BOUNDARY, NULL, NULL, 0,
		    "no delimiter\n" },
		{ "close before start",
		    "Content-Type: multipart/mixed; boundary=b\n\nx\n--b--\ny\n",
		    "multipart/mixed", MSG_DEFECT_NO_START_BOUNDARY, NULL, NULL, -1, NULL },
		{ "missing close boundary",
		    "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n",
		    "multipart/mixed[text/plain,text/plain]", MSG_DEFECT_NO_CLOSE_BOUNDARY,
		    NULL, NULL, 2, "two\n" },
		{ "inner close ended by outer",
		    "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
		    "Content-Type: multipart/mixed; boundary=i\n\n--i\n\na\n--o\n\nb\n--o--\n",
		    "multipart/mixed[multipart/mixed[text/plain],text/plain]",
		    MSG_DEFECT_NO_CLOSE_BOUNDARY, NULL, NULL, 2, "a" },
		{ "bare cr, no close",
		    "Content-Type: multipart/mixed; boundary=b\r\r--b\r\rx\r",
		    "multipart/mixed[text/plain]", MSG_DEFECT_NO_CLOSE_BOUNDARY,
		    NULL, NULL, 1, "x\r" },
		{ "crlf split by the end",
		    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r",
		    "multipart/mixed[text/plain]", MSG_DEFECT_NO_CLOSE_BOUNDARY,
		    NULL, NULL, 1, "x\r" },
		{ "fields-only child before outer delimiter (fuzz)",
		    "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
		    "Content-Type: multipart/mixed; boundary=i\n\n--i\nX: y\n--o--\n",
		    "multipart/mixed[multipart/mixed[text/plain]]",
		    MSG_DEFECT_NO_CLOSE_BOUNDARY, NULL, NULL, 2, "" },
		{ "no boundary parameter",
		    "Content-Type: multipart/mixed\n\n--b\n\nx\n",
		    "multipart/mixed", MSG_DEFECT_NO_BOUNDARY, NULL, NULL, -1, NULL },
		{ "separator missing in parts",
		    "Content-Type: multipart/mixed; boundary=foo\n\n--foo\n"
		    "Content-Type: text/plain\nbar\n\n--foo--\n",
		    "multipart/mixed[text/plain]", MSG_DEFECT_NO_SEPARATOR,
		    NULL, NULL, 1, "bar\n" },
		{ "repeated delimiters",
		    "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nx\n--b--\n",
		    "multipart/mixed[text/plain]", 0, NULL, NULL, 1, "x" },
		{ "delimiter lookalikes",
		    "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bx\n-- b\n--b-\n--b--\n",
		    "multipart/mixed[text/plain]", 0, NULL, NULL, 1, "--bx\n-- b\n--b-" },
		{ "delivery-status blocks",
		    "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n"
		    "--r\n\nsorry\n--r\nContent-Type: message/delivery-status\n\n"
		    "Reporting-MTA: dns; a\n\n\nFinal-Recipient: rfc822; x@y\nAction: failed\n\n"
		    "Final-Recipient: rfc822; z@y\nAction: failed\n--r\n"
		    "Content-Type: text/rfc822-headers\n\nSubject: x\n--r--\n",
		    "multipart/report[text/plain,message/delivery-status[text/plain,text/plain,"
		    "text/plain],text/rfc822-headers]", 0, NULL, NULL, -1, NULL },
		{ "bad content type",
		    "Content-Type: foo\n\nx", "text/plain", MSG_DEFECT_BAD_CONTENT_TYPE,
		    NULL, NULL, 0, "x" },
		{ "type with comments and case",
		    "Content-Type: (c) Text / HTML (x) ; charset=utf-8\n\nx", "text/html", 0,
		    NULL, NULL, 0, "x" },
		{ "encoded message is a leaf",
		    "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
		    "U3ViamVjdDogeAoKeQ==\n", "message/rfc822", MSG_DEFECT_ENCODED_MESSAGE,
		    NULL, NULL, 0, "Subject: x\n\ny" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct msg_case c = cases[i];

		if (c.part < 0)
			c.body = NULL, c.part = 0;
		check_case(&c, c.in, strlen(c.in));
	}
}

static void
test_offsets(void **state)
{
	static const char in[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n"
	    "X-A: 1\r\n\r\nbody one\r\n--b--\r\nepilogue\r\n";
	struct msg *m = msg_parse(in, sizeof in - 1, NULL, NULL);
	const struct msg_part *r = m->root, *c = r->child;

	(void)state;
	assert_int_equal(r->body_kind, MSG_BODY_MULTIPART);
	assert_int_equal(r->body_off, strlen("Content-Type: multipart/mixed; boundary=b\r\n\r\n"));
	assert_int_equal(r->preamble_end - r->body_off, 3);		/* "pre" */
	assert_memory_equal(in + r->epilogue_off, "epilogue\r\n", 10);
	assert_int_equal(r->body_end, sizeof in - 1);
	assert_memory_equal(in + c->hdr_off, "X-A: 1\r\n", c->hdr_end - c->hdr_off);
	assert_int_equal(c->body_end - c->body_off, strlen("body one"));
	assert_memory_equal(in + c->body_off, "body one", 8);
	/* A footer goes at body_end; the "\r\n--b--" after it stays. */
	assert_memory_equal(in + c->body_end, "\r\n--b--", 7);
	assert_ptr_equal(c->parent, r);
	assert_int_equal(c->depth, 1);
	assert_int_equal(m->nparts, 2);
	assert_ptr_equal(m->parts[1], c);
	msg_free(m);
}

static void
test_params(void **state)
{
	static const char in[] =
	    "Content-Type: application/x-stuff;\n"
	    " title*0*=us-ascii'en'This%20is%20even%20more%20;\n"
	    " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\n"
	    " title*2=\"isn't it!\"; Charset=\"UTF-8\";\n"
	    " q=\"a \\\"b\\\" \\\\c\"; plain=x y.txt ; c=us-ascii (comment)\n"
	    "Content-Disposition: attachment; filename*=iso-8859-1'fr'%E9t%E9.txt\n\nx";
	struct msg *m = msg_parse(in, sizeof in - 1, NULL, NULL);
	const struct mime_param *p;
	struct buf b = BUF_INIT(100);

	(void)state;
	assert_int_equal(m->defects, 0);
	p = msg_part_param(m->root, "TITLE");
	assert_non_null(p);
	assert_string_equal(p->value, "This is even more ***fun*** isn't it!");
	assert_string_equal(p->charset, "us-ascii");
	assert_string_equal(p->language, "en");
	assert_string_equal(msg_part_charset(m->root), "UTF-8");
	assert_string_equal(msg_part_param(m->root, "q")->value, "a \"b\" \\c");
	assert_string_equal(msg_part_param(m->root, "plain")->value, "x y.txt");
	assert_string_equal(msg_part_param(m->root, "c")->value, "us-ascii");
	assert_string_equal(m->root->disp.type, "attachment");
	assert_int_equal(msg_part_filename(m->root, &b), 1);
	assert_string_equal(buf_cstr(&b), "\xc3\xa9t\xc3\xa9.txt");
	buf_free(&b);
	msg_free(m);
}

struct param_case {
	const char	*value;
	const char	*type;		/* NULL: none expected */
	const char	*pname;
	const char	*pvalue;	/* NULL: absent */
	unsigned int	 defects;
};

static void
test_param_table(void **state)
{
	static const struct param_case cases[] = {
		{ "text/plain", "text", "charset", NULL, 0 },
		{ "text/plain;", "text", "charset", NULL, 0 },
		{ "TEXT/Plain; CHARSET=Koi8-R", "text", "charset", "Koi8-R", 0 },
		{ "text/plain; charset=\"us-ascii\"", "text", "charset", "us-ascii", 0 },
		{ "text/plain; charset=\"unterminated", "text", "charset", "unterminated",
		    MIME_DEFECT_SYNTAX },
		{ "text/plain; =x; a=1", "text", "a", "1", MIME_DEFECT_SYNTAX },
		{ "text/plain; novalue; a=1", "text", "a", "1", MIME_DEFECT_SYNTAX },
		{ "text/plain; a=1; a=2", "text", "a", "1", 0 },
		{ "text", NULL, "a", NULL, MIME_DEFECT_SYNTAX },
		{ "/plain; a=1", NULL, "a", "1", MIME_DEFECT_SYNTAX },
		{ "text/plain junk; a=1", "text", "a", "1", MIME_DEFECT_SYNTAX },
		/* RFC 2231: sections in any order, plain fallback loses. */
		{ "a/b; n*1=B; n*0=A; n=fallback", "a", "n", "AB", 0 },
		{ "a/b; n=fallback; n*=utf-8''%41%zz%4", "a", "n", "A%zz%4", 0 },
		{ "a/b; n*0=A; n*2=C", "a", "n", "AC", MIME_DEFECT_SECTIONS },
		{ "a/b; n*0=A; n*0=B", "a", "n", "A", MIME_DEFECT_SECTIONS },
		{ "a/b; n*0*=''%41; n*1*=%42", "a", "n", "AB", 0 },
		{ "a/b; n*=noquotes%41", "a", "n", "noquotesA", 0 },
		{ "a/b; n*x=1", "a", "n*x", "1", 0 },
		{ "a/b; boundary=----=_Part_0_1.2", "a", "boundary", "----=_Part_0_1.2", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct param_case *c = &cases[i];
		struct mime_value v;
		const struct mime_param *p;

		mime_value_parse(c->value, strlen(c->value), 1, 64, &v);
		if (c->type == NULL)
			assert_null(v.type);
		else
			assert_string_equal(v.type, c->type);
		p = mime_param_find(&v, c->pname);
		if (c->pvalue == NULL)
			assert_null(p);
		else if (p == NULL || strcmp(p->value, c->pvalue) != 0)
			fail_msg("case %zu: %s=%s, want %s", i, c->pname,
			    p ? p->value : "(none)", c->pvalue);
		if (v.defects != c->defects)
			fail_msg("case %zu: defects %#x, want %#x", i, v.defects, c->defects);
		mime_value_free(&v);
	}
}

static void
test_decode_bodies(void **state)
{
	static const struct msg_case cases[] = {
		{ "base64", "Content-Transfer-Encoding: base64\n\nZm9v\nYmFy\n",
		    "text/plain", 0, NULL, NULL, 0, "foobar" },
		{ "base64 upper", "Content-Transfer-Encoding: BASE64\n\nZm9v",
		    "text/plain", 0, NULL, NULL, 0, "foo" },
		{ "qp", "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9 soft=\nbreak",
		    "text/plain", 0, NULL, NULL, 0, "caf\xc3\xa9 softbreak" },
		{ "8bit", "Content-Transfer-Encoding: 8bit (raw)\n\n=41", "text/plain", 0,
		    NULL, NULL, 0, "=41" },
		{ "unknown", "Content-Transfer-Encoding: x-uuencode\n\n=41", "text/plain",
		    MSG_DEFECT_BAD_ENCODING, NULL, NULL, 0, "=41" },
		{ "base64 part",
		    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
		    "Content-Transfer-Encoding: base64\n\nZm9v\n--b--\n",
		    "multipart/mixed[text/plain]", 0, NULL, NULL, 1, "foo" },
	};

	(void)state;
	run_cases(cases, sizeof cases / sizeof cases[0]);
}

/* A message made by repeating a piece n times between a head and a tail. */
static char *
build(const char *head, const char *piece, size_t n, const char *tail, size_t *len)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);

	buf_puts(&b, head);
	for (size_t i = 0; i < n; i++)
		buf_puts(&b, piece);
	buf_puts(&b, tail);
	*len = b.len;
	return buf_steal(&b);
}

static void
test_limit_many_headers(void **state)
{
	size_t len;
	char *in = build("", "X-Header: value\n", 10000, "\nbody", &len);
	double t = now();
	struct msg *m = msg_parse(in, len, NULL, NULL);

	(void)state;
	assert_true(m->defects & MSG_DEFECT_TOO_MANY_HEADERS);
	assert_int_equal(m->root->nheaders, 1000);
	assert_memory_equal(in + m->root->body_off, "body", 4);
	assert_true(now() - t < 2.0);
	msg_free(m);
	free(in);
}

static void
test_limit_long_header(void **state)
{
	size_t len;
	char *in = build("Subject: ", "x", 1 << 20, "\n\nbody", &len);
	struct msg_limits lim;
	struct msg *m;
	struct buf b = BUF_INIT(BUF_UNLIMITED);

	(void)state;
	msg_limits_default(&lim);
	m = msg_parse(in, len, &lim, NULL);
	assert_true(m->defects & MSG_DEFECT_HEADER_TOO_LONG);
	assert_int_equal(m->root->headers[0].value_len, lim.max_header_len);
	assert_int_equal(msg_subject(m, &b), 1);
	assert_int_equal(b.len, lim.max_header_len - 1);	/* the blank is trimmed */
	assert_memory_equal(in + m->root->body_off, "body", 4);
	/* The same as a million continuation lines. */
	msg_free(m);
	free(in);
	in = build("Subject: a\n", " x\n", 1 << 20, "\nbody", &len);
	m = msg_parse(in, len, &lim, NULL);
	assert_true(m->defects & MSG_DEFECT_HEADER_TOO_LONG);
	assert_int_equal(m->root->nheaders, 1);
	assert_memory_equal(in + m->root->body_off, "body", 4);
	buf_free(&b);
	msg_free(m);
	free(in);
}

static void
test_limit_deep_nesting(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct msg *m;
	double t = now();
	size_t depth = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	buf_puts(&b, "\nleaf\n");
	for (int i = 999; i >= 0; i--)
		buf_printf(&b, "--b%d--\n", i);
	m = msg_parse(b.data, b.len, NULL, NULL);
	assert_true(m->defects & MSG_DEFECT_TOO_DEEP);
	for (const struct msg_part *p = m->root; p; p = p->child)
		depth = p->depth;
	assert_int_equal(depth, m->limits.max_depth);
	assert_int_equal(m->nparts, m->limits.max_depth + 1);
	msg_free(m);

	/* The same with message/rfc822 and without any close delimiter. */
	buf_reset(&b);
	for (int i = 0; i < 1000; i++)
		buf_puts(&b, "Content-Type: message/rfc822\n\n");
	m = msg_parse(b.data, b.len, NULL, NULL);
	assert_true(m->defects & MSG_DEFECT_TOO_DEEP);
	assert_int_equal(m->nparts, m->limits.max_depth + 1);
	msg_free(m);
	assert_true(now() - t < 2.0);
	buf_free(&b);
}

static void
test_limit_many_parts(void **state)
{
	size_t len;
	char *in = build("Content-Type: multipart/mixed; boundary=b\n\n", "--b\n\nx\n",
	    200000, "--b--\nepilogue", &len);
	double t = now();
	struct msg *m = msg_parse(in, len, NULL, NULL);

	(void)state;
	assert_true(m->defects & MSG_DEFECT_TOO_MANY_PARTS);
	assert_int_equal(m->nparts, m->limits.max_parts);
	/* The close delimiter is still found. */
	assert_false(m->defects & MSG_DEFECT_NO_CLOSE_BOUNDARY);
	assert_memory_equal(in + m->root->epilogue_off, "epilogue", 8);
	assert_true(now() - t < 2.0);
	msg_free(m);
	free(in);
}

/*
 * The worst case for delimiter matching: the maximum depth of multiparts
 * with long boundaries sharing a prefix, then many lines that look like
 * all of them. The work stays linear in lines x depth.
 */
static void
test_limit_delimiter_storm(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	char prefix[200];
	struct msg *m;
	double t = now();

	(void)state;
	memset(prefix, 'a', sizeof prefix - 4);
	prefix[sizeof prefix - 4] = '\0';
	for (int i = 0; i < 50; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"%s%02d\"\n\n--%s%02d\n",
		    prefix, i, prefix, i);
	for (int i = 0; i < 100000; i++)
		buf_printf(&b, "--%s\n", prefix);
	m = msg_parse(b.data, b.len, NULL, NULL);
	assert_true(m->defects & MSG_DEFECT_NO_CLOSE_BOUNDARY);
	assert_true(now() - t < 5.0);
	msg_free(m);
	buf_free(&b);
}

static void
test_limit_size(void **state)
{
	struct msg_limits lim;
	struct buf err = BUF_INIT(200);
	struct msg *m;

	(void)state;
	msg_limits_default(&lim);
	lim.max_size = 10;
	assert_null(msg_parse("Subject: too long\n\n", 19, &lim, &err));
	assert_non_null(strstr(buf_cstr(&err), "over the limit"));
	m = msg_parse(NULL, 0, &lim, NULL);
	assert_non_null(m);
	assert_int_equal(m->root->nheaders, 0);
	msg_free(m);
	buf_free(&err);
}

static void
test_defect_names(void **state)
{
	struct buf b = BUF_INIT(200);

	(void)state;
	assert_string_equal(msg_defect_name(MSG_DEFECT_NO_START_BOUNDARY), "no-start-boundary");
	assert_string_equal(msg_defect_name(0x80000000u), "unknown");
	assert_int_equal(msg_defects_format(MSG_DEFECT_NO_SEPARATOR | MSG_DEFECT_TOO_DEEP, &b), 0);
	assert_string_equal(buf_cstr(&b), "no-separator,too-deep");
	buf_free(&b);
}

/* Last: these go through lib/mimeword.c. */
static void
test_subject_and_names(void **state)
{
	static const char in[] =
	    "From: =?iso-8859-1?q?Andr=E9?= Pirard <pirard@example.org>\n"
	    "To: \"Doe, \\\"J\\\"\" <j@d>, other@x\n"
	    "Cc: plain@example.org (Old Style)\n"
	    "Bcc: Group: =?utf-8?b?w6k=?= <e@x>;\n"
	    "Reply-To: nobody@example.org\n"
	    "Subject: =?utf-8?q?caf=C3=A9?=\n =?utf-8?q?_au_lait?= ok\n\n";
	struct msg *m = msg_parse(in, sizeof in - 1, NULL, NULL);
	struct buf b = BUF_INIT(200), small = BUF_INIT(3);

	(void)state;
	assert_int_equal(msg_subject(m, &b), 1);
	assert_string_equal(buf_cstr(&b), "caf\xc3\xa9 au lait ok");
	buf_reset(&b);
	assert_int_equal(msg_header_display_name(m, NULL, "From", &b), 1);
	assert_string_equal(buf_cstr(&b), "Andr\xc3\xa9 Pirard");
	buf_reset(&b);
	assert_int_equal(msg_header_display_name(m, NULL, "To", &b), 1);
	assert_string_equal(buf_cstr(&b), "Doe, \"J\"");
	buf_reset(&b);
	assert_int_equal(msg_header_display_name(m, NULL, "Cc", &b), 1);
	assert_string_equal(buf_cstr(&b), "Old Style");
	buf_reset(&b);
	assert_int_equal(msg_header_display_name(m, NULL, "Bcc", &b), 1);
	assert_string_equal(buf_cstr(&b), "\xc3\xa9");
	buf_reset(&b);
	assert_int_equal(msg_header_display_name(m, NULL, "Reply-To", &b), 0);
	assert_int_equal(msg_header_display_name(m, NULL, "Sender", &b), 0);
	assert_int_equal(msg_subject(m, &small), -1);
	buf_free(&b);
	buf_free(&small);
	msg_free(m);
}

static void
test_filenames(void **state)
{
	static const struct {
		const char *fields;
		int rc;
		const char *want;
	} cases[] = {
		{ "Content-Disposition: attachment; filename=a.txt\n", 1, "a.txt" },
		{ "Content-Type: application/pdf; name=\"b c.pdf\"\n", 1, "b c.pdf" },
		{ "Content-Type: a/b; name=x\nContent-Disposition: inline; filename=y\n", 1, "y" },
		{ "Content-Disposition: attachment;\n filename*0*=utf-8''%C3%A9;\n"
		    " filename*1=.txt\n", 1, "\xc3\xa9.txt" },
		{ "Content-Disposition: attachment; filename=\"=?utf-8?b?w6l0w6kudHh0?=\"\n",
		    1, "\xc3\xa9t\xc3\xa9.txt" },
		{ "Content-Disposition: attachment; filename*=x-unknown''%C3%A9\n", 1, "\xc3\xa9" },
		{ "Content-Type: text/plain\n", 0, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf in = BUF_INIT(1000), b = BUF_INIT(100);
		struct msg *m;

		buf_printf(&in, "%s\nbody", cases[i].fields);
		m = msg_parse(in.data, in.len, NULL, NULL);
		assert_int_equal(msg_part_filename(m->root, &b), cases[i].rc);
		if (strcmp(buf_cstr(&b), cases[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, buf_cstr(&b), cases[i].want);
		msg_free(m);
		buf_free(&in);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_and_line_ends),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_header_lookup),
		cmocka_unit_test(test_mime_tree),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_param_table),
		cmocka_unit_test(test_decode_bodies),
		cmocka_unit_test(test_limit_many_headers),
		cmocka_unit_test(test_limit_long_header),
		cmocka_unit_test(test_limit_deep_nesting),
		cmocka_unit_test(test_limit_many_parts),
		cmocka_unit_test(test_limit_delimiter_storm),
		cmocka_unit_test(test_limit_size),
		cmocka_unit_test(test_defect_names),
		cmocka_unit_test(test_subject_and_names),
		cmocka_unit_test(test_filenames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
