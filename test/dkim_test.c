/*
 * dkim_test - DKIM signing and verification with libopendkim: sign and
 * verify with a keys file, LF and CRLF messages, changes that break a
 * signature and changes that do not, broken incoming signatures, keys
 * refused with a reason, alignment, the stalwart-mail-auth vectors, and
 * opendkim(8) -t as an independent verifier.
 *
 * Keys are generated at run time with OpenSSL into a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "codec.h"
#include "dkim.h"
#include "mem.h"
#include "testutil.h"

#define LIST_DOMAIN	"lists.example.test"
#define LIST_SEL	"herald"
#define AUTHOR_DOMAIN	"author.example"
#define AUTHOR_SEL	"a1"
#define GOLDEN_TIME	1795000000	/* t= of the golden signature */
#define STALWART_TIME	1667843664	/* the corpus's verification time */
#define MSG_MAX		(1 << 22)

struct fixture {
	char	*dir;
	char	 list_key[512];
	char	 author_key[512];
	char	 keys[512];		/* keys file for both */
	struct buf post;		/* test/data/dkim/post.eml */
};

static struct fixture fx;

/* ---- helpers ------------------------------------------------------ */

static void
path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", fx.dir, name);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* PEM private key to path; the public key as a keys-file line to keys. */
static void
save_key(EVP_PKEY *pk, const char *path, const char *sel, const char *dom,
    struct buf *keys)
{
	unsigned char *der = NULL;
	struct buf b64 = BUF_INIT(1 << 16);
	FILE *f;
	int n;

	assert_non_null(pk);
	assert_non_null(f = fopen(path, "w"));
	assert_true(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL));
	assert_int_equal(fclose(f), 0);
	if (keys == NULL)
		return;
	assert_true((n = i2d_PUBKEY(pk, &der)) > 0);
	assert_int_equal(codec_base64_encode(der, (size_t)n, &b64, 0), 0);
	buf_printf(keys, "%s._domainkey.%s v=DKIM1; k=rsa; p=%s\n", sel, dom,
	    buf_cstr(&b64));
	OPENSSL_free(der);
	buf_free(&b64);
}

static int
group_setup(void **state)
{
	struct buf keys = BUF_INIT(1 << 16);
	char path[512];
	EVP_PKEY *pk;

	(void)state;
	if ((fx.dir = test_mkdtemp("dkim")) == NULL)
		return -1;
	path_in(fx.list_key, sizeof fx.list_key, "list.pem");
	path_in(fx.author_key, sizeof fx.author_key, "author.pem");
	path_in(fx.keys, sizeof fx.keys, "keys.txt");
	pk = EVP_RSA_gen(2048);
	save_key(pk, fx.list_key, LIST_SEL, LIST_DOMAIN, &keys);
	EVP_PKEY_free(pk);
	pk = EVP_RSA_gen(1024);
	save_key(pk, fx.author_key, AUTHOR_SEL, AUTHOR_DOMAIN, &keys);
	EVP_PKEY_free(pk);
	write_file(fx.keys, keys.data, keys.len);
	buf_free(&keys);
	buf_init(&fx.post, MSG_MAX);
	snprintf(path, sizeof path, "test/data/dkim/post.eml");
	return test_read_file(path, &fx.post);
}

static int
group_teardown(void **state)
{
	(void)state;
	test_rmtree(fx.dir);
	free(fx.dir);
	buf_free(&fx.post);
	return 0;
}

static struct dkim_signer *
signer(const char *key, const char *dom, const char *sel, time_t t)
{
	struct dkim_sign_conf c = { key, dom, sel, NULL, t };
	struct buf err = BUF_INIT(1024);
	struct dkim_signer *s = dkim_signer_new(&c, &err);

	if (s == NULL)
		fail_msg("signer: %s", buf_cstr(&err));
	buf_free(&err);
	return s;
}

static struct dkim_verifier *
verifier(time_t at)
{
	struct dkim_verify_conf c = { fx.keys, 0, 0, at };
	struct buf err = BUF_INIT(1024);
	struct dkim_verifier *v = dkim_verifier_new(&c, &err);

	if (v == NULL)
		fail_msg("verifier: %s", buf_cstr(&err));
	buf_free(&err);
	return v;
}

/* out = signature field + msg. */
static void
sign_into(struct dkim_signer *s, const char *msg, size_t len, struct buf *out)
{
	struct buf err = BUF_INIT(1024);

	buf_reset(out);
	if (dkim_signer_sign(s, msg, len, out, &err) != 0)
		fail_msg("sign: %s", buf_cstr(&err));
	assert_int_equal(buf_append(out, msg, len), 0);
	buf_free(&err);
}

static void
verify(struct dkim_verifier *v, const struct buf *msg, struct dkim_results *r)
{
	struct buf err = BUF_INIT(1024);

	if (dkim_verify_message(v, msg->data, msg->len, r, &err) != 0)
		fail_msg("verify: %s", buf_cstr(&err));
	buf_free(&err);
}

/* Replace the first occurrence of from by to. */
static void
replace(struct buf *b, const char *from, const char *to)
{
	struct buf n = BUF_INIT(MSG_MAX);
	const char *p = memmem(b->data, b->len, from, strlen(from));
	size_t at;

	assert_non_null(p);
	at = (size_t)(p - b->data);
	assert_int_equal(buf_append(&n, b->data, at), 0);
	assert_int_equal(buf_puts(&n, to), 0);
	assert_int_equal(buf_append(&n, p + strlen(from),
	    b->len - at - strlen(from)), 0);
	buf_free(b);
	*b = n;
}

static void
to_crlf(const struct buf *in, struct buf *out)
{
	buf_reset(out);
	for (size_t i = 0; i < in->len; i++) {
		if (in->data[i] == '\n')
			assert_int_equal(buf_putc(out, '\r'), 0);
		assert_int_equal(buf_putc(out, in->data[i]), 0);
	}
}

/* The field at the start of a signed message, up to its end. */
static size_t
field_len(const struct buf *signed_msg)
{
	const char *p = signed_msg->data, *e = p + signed_msg->len;

	for (const char *q = p; q < e; q++)
		if (*q == '\n' && (q + 1 == e || (q[1] != '\t' && q[1] != ' ')))
			return (size_t)(q + 1 - p);
	return signed_msg->len;
}

/* A tag's value in a field, unfolded; "" when absent. */
static void
tag_value(const char *field, size_t len, const char *tag, struct buf *out)
{
	size_t tl = strlen(tag);

	buf_reset(out);
	for (size_t i = 0; i + tl + 1 < len; i++) {
		if ((i == 0 || field[i - 1] == ' ' || field[i - 1] == '\t' ||
		    field[i - 1] == ';') && memcmp(field + i, tag, tl) == 0 &&
		    field[i + tl] == '=') {
			for (i += tl + 1; i < len && field[i] != ';'; i++)
				if (field[i] != ' ' && field[i] != '\t' &&
				    field[i] != '\r' && field[i] != '\n')
					buf_putc(out, field[i]);
			return;
		}
	}
}

/* ---- signing and verifying ---------------------------------------- */

static void
check_signed_pass(const struct buf *msg, int crlf)
{
	struct dkim_signer *s = signer(fx.list_key, LIST_DOMAIN, LIST_SEL, 0);
	struct dkim_verifier *v = verifier(0);
	struct buf out = BUF_INIT(MSG_MAX);
	struct dkim_results r;
	size_t flen;

	sign_into(s, msg->data, msg->len, &out);
	flen = field_len(&out);
	assert_true(strncmp(out.data, "DKIM-Signature: v=1; a=rsa-sha256; "
	    "c=relaxed/relaxed; d=" LIST_DOMAIN "; s=" LIST_SEL ";", 66) == 0);
	/* Folded, every line end the message's own. */
	assert_true(memchr(out.data, '\t', flen) != NULL);
	for (size_t i = 0; i < flen; i++) {
		if (out.data[i] == '\n')
			assert_int_equal(i > 0 && out.data[i - 1] == '\r', crlf);
		if (out.data[i] == '\r')
			assert_true(crlf && out.data[i + 1] == '\n');
	}
	verify(v, &out, &r);
	assert_int_equal(r.nsigs, 1);
	assert_string_equal(dkim_result_name(r.sigs[0].result), "pass");
	assert_string_equal(r.sigs[0].domain, LIST_DOMAIN);
	assert_string_equal(r.sigs[0].selector, LIST_SEL);
	assert_string_equal(r.sigs[0].algorithm, "rsa-sha256");
	assert_int_equal(r.sigs[0].key_bits, 2048);
	assert_int_equal(r.sigs[0].field, 0);
	assert_true(dkim_aligned(&r, LIST_DOMAIN, DKIM_ALIGN_STRICT));
	dkim_results_free(&r);
	buf_free(&out);
	dkim_verifier_free(v);
	dkim_signer_free(s);
}

static void
test_sign_verify_lf(void **state)
{
	(void)state;
	check_signed_pass(&fx.post, 0);
}

static void
test_sign_verify_crlf(void **state)
{
	struct buf crlf = BUF_INIT(MSG_MAX);

	(void)state;
	to_crlf(&fx.post, &crlf);
	check_signed_pass(&crlf, 1);
	buf_free(&crlf);
}

/* LF and CRLF copies of one message get the same signature. */
static void
test_lf_crlf_same_signature(void **state)
{
	struct dkim_signer *s = signer(fx.list_key, LIST_DOMAIN, LIST_SEL,
	    GOLDEN_TIME);
	struct buf crlf = BUF_INIT(MSG_MAX), a = BUF_INIT(MSG_MAX),
	    b = BUF_INIT(MSG_MAX), ta = BUF_INIT(4096), tb = BUF_INIT(4096);

	(void)state;
	to_crlf(&fx.post, &crlf);
	sign_into(s, fx.post.data, fx.post.len, &a);
	sign_into(s, crlf.data, crlf.len, &b);
	tag_value(a.data, field_len(&a), "b", &ta);
	tag_value(b.data, field_len(&b), "b", &tb);
	assert_true(ta.len > 300);
	assert_string_equal(buf_cstr(&ta), buf_cstr(&tb));
	buf_free(&crlf);
	buf_free(&a);
	buf_free(&b);
	buf_free(&ta);
	buf_free(&tb);
	dkim_signer_free(s);
}

/*
 * The signature's tags but b= against test/data/dkim/post.sig: the signed
 * fields (present ones in order, From and the one-click pair once more),
 * the body hash of the relaxed body, t=.
 */
static void
test_golden_signature(void **state)
{
	struct dkim_signer *s = signer(fx.list_key, LIST_DOMAIN, LIST_SEL,
	    GOLDEN_TIME);
	struct buf out = BUF_INIT(MSG_MAX), want = BUF_INIT(8192),
	    got = BUF_INIT(8192), h = BUF_INIT(4096);
	const char *bt;
	size_t flen;

	(void)state;
	sign_into(s, fx.post.data, fx.post.len, &out);
	flen = field_len(&out);
	/* The field up to its b= tag: nothing there depends on the key. */
	for (bt = out.data + 1; bt + 2 < out.data + flen; bt++)
		if (bt[0] == 'b' && bt[1] == '=' &&
		    (bt[-1] == '\t' || bt[-1] == ' ' || bt[-1] == ';'))
			break;
	assert_true(bt + 2 < out.data + flen);
	assert_int_equal(buf_append(&got, out.data,
	    (size_t)(bt + 2 - out.data)), 0);
	assert_int_equal(buf_putc(&got, '\n'), 0);
	assert_int_equal(test_read_file("test/data/dkim/post.sig", &want), 0);
	if (strcmp(buf_cstr(&got), buf_cstr(&want)) != 0)
		fail_msg("signature:\n got %s want %s", buf_cstr(&got),
		    buf_cstr(&want));
	tag_value(out.data, flen, "h", &h);
	assert_string_equal(buf_cstr(&h),
	    "From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:"
	    "Content-Transfer-Encoding:List-Id:List-Unsubscribe:List-Post:"
	    "From:List-Unsubscribe:List-Unsubscribe-Post");
	buf_free(&out);
	buf_free(&want);
	buf_free(&got);
	buf_free(&h);
	dkim_signer_free(s);
}

static void
test_identity(void **state)
{
	struct dkim_sign_conf c = { fx.list_key, LIST_DOMAIN, LIST_SEL,
	    "@" LIST_DOMAIN, 0 };
	struct buf err = BUF_INIT(1024), out = BUF_INIT(MSG_MAX);
	struct dkim_verifier *v = verifier(0);
	struct dkim_signer *s;
	struct dkim_results r;

	(void)state;
	assert_non_null(s = dkim_signer_new(&c, &err));
	sign_into(s, fx.post.data, fx.post.len, &out);
	verify(v, &out, &r);
	assert_int_equal(r.nsigs, 1);
	assert_int_equal(r.sigs[0].result, DKIM_RESULT_PASS);
	assert_string_equal(r.sigs[0].identity, "@" LIST_DOMAIN);
	dkim_results_free(&r);
	buf_free(&err);
	buf_free(&out);
	dkim_signer_free(s);
	dkim_verifier_free(v);
}

/* Changes after signing, and the verdict each gives. */
static void
test_changes_after_signing(void **state)
{
	static const struct {
		const char *from, *to;
		enum dkim_result want;
		const char *reason;
	} cases[] = {
		/* relaxed/relaxed forgives whitespace and header case */
		{ "the  budget   for", "the budget for", DKIM_RESULT_PASS, "" },
		{ "Subject: [staff]", "SUBJECT:    [staff]", DKIM_RESULT_PASS, "" },
		{ "X-Loop: staff", "X-Loop: other", DKIM_RESULT_PASS, "" },
		{ "Hello team,\n", "Hello team,\nNew line.\n", DKIM_RESULT_FAIL,
		  "body hash mismatch" },
		{ "2027 is", "2028 is", DKIM_RESULT_FAIL, "body hash mismatch" },
		{ "Subject: [staff] Budget", "Subject: [staff] Budgets",
		  DKIM_RESULT_FAIL, "signature verification failed" },
		/* a second From or List-Unsubscribe-Post: over-signed */
		{ "To: staff", "From: mallory@evil.example\nTo: staff",
		  DKIM_RESULT_FAIL, "signature verification failed" },
		{ "To: staff", "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"
		  "To: staff", DKIM_RESULT_FAIL, "signature verification failed" },
	};
	struct dkim_signer *s = signer(fx.list_key, LIST_DOMAIN, LIST_SEL, 0);
	struct dkim_verifier *v = verifier(0);
	struct buf out = BUF_INIT(MSG_MAX);
	struct dkim_results r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sign_into(s, fx.post.data, fx.post.len, &out);
		replace(&out, cases[i].from, cases[i].to);
		verify(v, &out, &r);
		assert_int_equal(r.nsigs, 1);
		if (r.sigs[0].result != cases[i].want ||
		    strcmp(r.sigs[0].reason, cases[i].reason) != 0)
			fail_msg("case %zu: %s (%s)", i,
			    dkim_result_name(r.sigs[0].result), r.sigs[0].reason);
		dkim_results_free(&r);
	}
	buf_free(&out);
	dkim_signer_free(s);
	dkim_verifier_free(v);
}

/* Herald's transformations come first; the signature then holds. */
static void
test_sign_after_footer(void **state)
{
	struct dkim_signer *s = signer(fx.list_key, LIST_DOMAIN, LIST_SEL, 0);
	struct dkim_verifier *v = verifier(0);
	struct buf msg = BUF_INIT(MSG_MAX), out = BUF_INIT(MSG_MAX);
	struct dkim_results r;

	(void)state;
	assert_int_equal(buf_append(&msg, fx.post.data, fx.post.len), 0);
	replace(&msg, "Subject: [staff]", "Subject: [staff] [ext]");
	assert_int_equal(buf_puts(&msg, "--\nstaff mailing list\n"
	    "https://lists.example.test/info/staff\n"), 0);
	sign_into(s, msg.data, msg.len, &out);
	verify(v, &out, &r);
	assert_int_equal(r.nsigs, 1);
	assert_int_equal(r.sigs[0].result, DKIM_RESULT_PASS);
	dkim_results_free(&r);
	buf_free(&msg);
	buf_free(&out);
	dkim_signer_free(s);
	dkim_verifier_free(v);
}

/* ---- broken incoming signatures ------------------------------------ */

static void
test_broken_by_changes(void **state)
{
	struct dkim_signer *author = signer(fx.author_key, AUTHOR_DOMAIN,
	    AUTHOR_SEL, 0);
	struct dkim_signer *list = signer(fx.list_key, LIST_DOMAIN, LIST_SEL, 0);
	struct dkim_verifier *v = verifier(0);
	struct buf in = BUF_INIT(MSG_MAX), tmp = BUF_INIT(MSG_MAX),
	    out = BUF_INIT(MSG_MAX), err = BUF_INIT(1024);
	struct dkim_results r;

	(void)state;
	/* Incoming: the author's signature over a list-signed message. */
	sign_into(list, fx.post.data, fx.post.len, &tmp);
	replace(&tmp, "2027 is", "2028 is");	/* the list's now fails */
	sign_into(author, tmp.data, tmp.len, &in);

	/* A change outside what is signed breaks nothing. */
	assert_int_equal(buf_append(&out, in.data, in.len), 0);
	replace(&out, "X-Loop: staff", "X-Loop: another");
	assert_int_equal(dkim_verify_broken(v, in.data, in.len, out.data,
	    out.len, &r, &err), 0);
	assert_int_equal(r.nsigs, 2);
	assert_int_equal(r.sigs[0].result, DKIM_RESULT_PASS);
	assert_int_equal(r.sigs[1].result, DKIM_RESULT_FAIL);
	assert_false(r.sigs[0].broken);
	assert_false(r.sigs[1].broken);	/* failed already */
	dkim_results_free(&r);

	/* A footer breaks the author's; the failing one is not "broken". */
	buf_reset(&out);
	assert_int_equal(buf_append(&out, in.data, in.len), 0);
	assert_int_equal(buf_puts(&out, "--\nfooter\n"), 0);
	assert_int_equal(dkim_verify_broken(v, in.data, in.len, out.data,
	    out.len, &r, &err), 0);
	assert_int_equal(r.nsigs, 2);
	assert_string_equal(r.sigs[0].domain, AUTHOR_DOMAIN);
	assert_int_equal(r.sigs[0].result, DKIM_RESULT_FAIL);
	assert_true(r.sigs[0].broken);
	assert_int_equal(r.sigs[0].field, 0);
	assert_false(r.sigs[1].broken);
	dkim_results_free(&r);

	/* A new field above and a subject tag: fields keep their numbers. */
	buf_reset(&out);
	assert_int_equal(buf_puts(&out, "DKIM-Signature: v=1; broken\n"), 0);
	assert_int_equal(buf_append(&out, in.data, in.len), 0);
	replace(&out, "Subject: [staff]", "Subject: [staff] [ext]");
	assert_int_equal(dkim_verify_broken(v, in.data, in.len, out.data,
	    out.len, &r, &err), 0);
	assert_int_equal(r.nsigs, 3);
	assert_int_equal(r.sigs[0].result, DKIM_RESULT_PERMERROR);
	assert_false(r.sigs[0].broken);
	assert_true(r.sigs[1].broken);
	assert_int_equal(r.sigs[1].field, 1);
	assert_false(r.sigs[2].broken);
	dkim_results_free(&r);

	buf_free(&in);
	buf_free(&tmp);
	buf_free(&out);
	buf_free(&err);
	dkim_signer_free(author);
	dkim_signer_free(list);
	dkim_verifier_free(v);
}

static void
test_unverifiable_signatures(void **state)
{
	struct dkim_signer *s = signer(fx.list_key, LIST_DOMAIN, LIST_SEL, 0);
	struct dkim_verifier *v = verifier(0);
	struct buf out = BUF_INIT(MSG_MAX), msg = BUF_INIT(MSG_MAX);
	struct dkim_results r;

	(void)state;
	/* No signature at all. */
	verify(v, &fx.post, &r);
	assert_int_equal(r.nsigs, 0);
	assert_false(dkim_aligned(&r, AUTHOR_DOMAIN, DKIM_ALIGN_RELAXED));
	dkim_results_free(&r);

	/* Garbage, a good one, one whose key is unknown. */
	sign_into(s, fx.post.data, fx.post.len, &out);
	assert_int_equal(buf_puts(&msg,
	    "DKIM-Signature: this is not a tag list\n"), 0);
	assert_int_equal(buf_append(&msg, out.data, field_len(&out)), 0);
	assert_int_equal(buf_puts(&msg, "DKIM-Signature: v=1; a=rsa-sha256; "
	    "c=relaxed/relaxed; d=" AUTHOR_DOMAIN "; s=nokey; h=From;\n"
	    "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\n"), 0);
	assert_int_equal(buf_append(&msg, fx.post.data, fx.post.len), 0);
	verify(v, &msg, &r);
	assert_int_equal(r.nsigs, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(r.sigs[i].field, i);
	assert_int_equal(r.sigs[0].result, DKIM_RESULT_PERMERROR);
	assert_int_equal(r.sigs[1].result, DKIM_RESULT_PASS);
	assert_int_equal(r.sigs[2].result, DKIM_RESULT_PERMERROR);
	assert_string_equal(r.sigs[2].domain, AUTHOR_DOMAIN);
	assert_string_equal(r.sigs[2].selector, "nokey");
	assert_int_equal(r.sigs[2].key_bits, 0);
	assert_true(r.sigs[2].reason[0] != '\0');
	assert_true(dkim_aligned(&r, LIST_DOMAIN, DKIM_ALIGN_STRICT));
	assert_false(dkim_aligned(&r, AUTHOR_DOMAIN, DKIM_ALIGN_RELAXED));
	dkim_results_free(&r);
	buf_free(&out);
	buf_free(&msg);
	dkim_signer_free(s);
	dkim_verifier_free(v);
}

/* ---- keys ---------------------------------------------------------- */

static void
expect_refused(const char *path, const char *why)
{
	struct dkim_sign_conf c = { path, LIST_DOMAIN, LIST_SEL, NULL, 0 };
	struct buf err = BUF_INIT(1024);

	assert_null(dkim_signer_new(&c, &err));
	if (strstr(buf_cstr(&err), why) == NULL)
		fail_msg("%s: reason '%s' lacks '%s'", path, buf_cstr(&err), why);
	buf_free(&err);
}

static void
test_keys_refused(void **state)
{
	char path[512];
	EVP_PKEY *pk;
	FILE *f;

	(void)state;
	path_in(path, sizeof path, "absent.pem");
	expect_refused(path, "No such file or directory");
	path_in(path, sizeof path, "empty.pem");
	write_file(path, "", 0);
	expect_refused(path, "empty file");
	path_in(path, sizeof path, "garbage.pem");
	write_file(path, "-----BEGIN PRIVATE KEY-----\nnot a key\n"
	    "-----END PRIVATE KEY-----\n", 60);
	expect_refused(path, "not a private key");

	path_in(path, sizeof path, "ec.pem");
	pk = EVP_EC_gen("P-256");
	save_key(pk, path, NULL, NULL, NULL);
	EVP_PKEY_free(pk);
	expect_refused(path, "needs an RSA key");

	path_in(path, sizeof path, "small.pem");
	pk = EVP_RSA_gen(512);
	save_key(pk, path, NULL, NULL, NULL);
	expect_refused(path, "512 bits");

	/* Encrypted: refused, and OpenSSL must not prompt. */
	path_in(path, sizeof path, "encrypted.pem");
	assert_non_null(f = fopen(path, "w"));
	assert_true(PEM_write_PrivateKey(f, pk, EVP_aes_128_cbc(),
	    (unsigned char *)"secret", 6, NULL, NULL));
	fclose(f);
	EVP_PKEY_free(pk);
	expect_refused(path, "or encrypted");

	{
		struct dkim_sign_conf c = { fx.list_key, "", LIST_SEL, NULL, 0 };
		struct buf err = BUF_INIT(1024);

		assert_null(dkim_signer_new(&c, &err));
		assert_non_null(strstr(buf_cstr(&err), "a domain"));
		buf_free(&err);
	}
}

/* The armour stripped (Sympa's habit) and text before it still load. */
static void
test_keys_accepted(void **state)
{
	struct buf pem = BUF_INIT(1 << 16), alt = BUF_INIT(1 << 16),
	    out = BUF_INIT(MSG_MAX);
	struct dkim_verifier *v = verifier(0);
	struct dkim_results r;
	const char *variants[2];
	char path[512];

	(void)state;
	assert_int_equal(test_read_file(fx.list_key, &pem), 0);
	for (const char *p = pem.data; p < pem.data + pem.len; ) {
		const char *nl = memchr(p, '\n', (size_t)(pem.data + pem.len - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(pem.data + pem.len - p);

		if (strncmp(p, "-----", 5) != 0)
			buf_append(&alt, p, n);
		p += n;
	}
	path_in(path, sizeof path, "bare.b64");
	write_file(path, alt.data, alt.len);
	variants[0] = xstrdup(path);
	buf_reset(&alt);
	buf_printf(&alt, "Bag Attributes\n    localKeyID: 01\n%s", buf_cstr(&pem));
	path_in(path, sizeof path, "bag.pem");
	write_file(path, alt.data, alt.len);
	variants[1] = xstrdup(path);
	for (size_t i = 0; i < 2; i++) {
		struct dkim_signer *s = signer(variants[i], LIST_DOMAIN,
		    LIST_SEL, 0);

		sign_into(s, fx.post.data, fx.post.len, &out);
		verify(v, &out, &r);
		assert_int_equal(r.nsigs, 1);
		assert_int_equal(r.sigs[0].result, DKIM_RESULT_PASS);
		dkim_results_free(&r);
		dkim_signer_free(s);
		free((char *)variants[i]);
	}
	buf_free(&pem);
	buf_free(&alt);
	buf_free(&out);
	dkim_verifier_free(v);
}

static void
test_sign_refused(void **state)
{
	struct dkim_signer *s = signer(fx.list_key, LIST_DOMAIN, LIST_SEL, 0);
	struct buf out = BUF_INIT(MSG_MAX), err = BUF_INIT(1024),
	    small = BUF_INIT(64);
	const char *nofrom = "To: a@b.example\nSubject: x\n\nbody\n";

	(void)state;
	assert_int_equal(dkim_signer_sign(s, nofrom, strlen(nofrom), &out,
	    &err), -1);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(buf_cstr(&err), "DKIM sign"));
	buf_reset(&err);
	assert_int_equal(dkim_signer_sign(s, fx.post.data, fx.post.len,
	    &small, &err), -1);
	assert_int_equal(small.len, 0);
	assert_non_null(strstr(buf_cstr(&err), "full"));
	buf_free(&out);
	buf_free(&err);
	buf_free(&small);
	dkim_signer_free(s);
}

/* ---- alignment ------------------------------------------------------ */

static void
test_aligned(void **state)
{
	static const struct {
		const char *d;
		enum dkim_result res;
		const char *domain;
		int strict, relaxed;
	} cases[] = {
		{ "example.org", DKIM_RESULT_PASS, "example.org", 1, 1 },
		{ "Example.ORG.", DKIM_RESULT_PASS, "example.org", 1, 1 },
		{ "example.org", DKIM_RESULT_PASS, "mail.Example.org.", 0, 1 },
		{ "example.org", DKIM_RESULT_PASS, "a.b.example.org", 0, 1 },
		{ "mail.example.org", DKIM_RESULT_PASS, "example.org", 0, 0 },
		{ "example.org", DKIM_RESULT_PASS, "badexample.org", 0, 0 },
		{ "org", DKIM_RESULT_PASS, "example.org", 0, 0 },
		{ "example.org", DKIM_RESULT_FAIL, "example.org", 0, 0 },
		{ "example.org", DKIM_RESULT_PASS, "", 0, 0 },
		{ "", DKIM_RESULT_PASS, "example.org", 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct dkim_sig sig = { 0 };
		struct dkim_results r = { &sig, 1 };

		sig.domain = (char *)cases[i].d;
		sig.result = cases[i].res;
		if (dkim_aligned(&r, cases[i].domain, DKIM_ALIGN_STRICT) !=
		    cases[i].strict ||
		    dkim_aligned(&r, cases[i].domain, DKIM_ALIGN_RELAXED) !=
		    cases[i].relaxed)
			fail_msg("case %zu: d=%s %s", i, cases[i].d,
			    cases[i].domain);
	}
}

/* ---- the stalwart-mail-auth vectors --------------------------------- */

/*
 * A vector: DNS records ("name value" lines, as libopendkim's keys file
 * wants them) up to the first blank line, then the message. Verify at
 * the corpus's time. Returns 1 if the expectation holds.
 */
static int
run_vector(const char *path, int arc, time_t at, int *ed25519, int *ed_pass)
{
	struct buf file = BUF_INIT(MSG_MAX), err = BUF_INIT(1024),
	    msg = BUF_INIT(MSG_MAX);
	struct dkim_verify_conf c = { NULL, 0, 0, at };
	struct dkim_verifier *v;
	struct dkim_results r;
	char keys[512];
	const char *sep;
	int ok = 0;

	assert_int_equal(test_read_file(path, &file), 0);
	sep = memmem(file.data, file.len, "\n\n", 2);
	assert_non_null(sep);
	path_in(keys, sizeof keys, "vector-keys.txt");
	write_file(keys, file.data, (size_t)(sep - file.data) + 1);
	assert_int_equal(buf_append(&msg, sep + 2,
	    file.len - (size_t)(sep + 2 - file.data)), 0);
	c.keys_file = keys;
	assert_non_null(v = dkim_verifier_new(&c, &err));
	verify(v, &msg, &r);
	for (size_t i = 0; i < r.nsigs; i++) {
		printf("  %s sig %zu: a=%s d=%s s=%s: %s%s%s\n",
		    strrchr(path, '/') + 1, i, r.sigs[i].algorithm,
		    r.sigs[i].domain, r.sigs[i].selector,
		    dkim_result_name(r.sigs[i].result),
		    r.sigs[i].reason[0] ? " " : "", r.sigs[i].reason);
		if (strncmp(r.sigs[i].algorithm, "ed25519", 7) == 0) {
			(*ed25519)++;
			*ed_pass += r.sigs[i].result == DKIM_RESULT_PASS;
		}
	}
	if (arc) {
		for (size_t i = 0; i < r.nsigs; i++)
			ok |= r.sigs[i].result == DKIM_RESULT_PASS;
	} else
		ok = r.nsigs > 0 &&
		    r.sigs[r.nsigs - 1].result == DKIM_RESULT_PASS;
	dkim_results_free(&r);
	dkim_verifier_free(v);
	buf_free(&file);
	buf_free(&err);
	buf_free(&msg);
	return ok;
}

/*
 * Vectors libopendkim cannot verify, and why: counted and reported, not
 * failed on.
 */
static const char *
vector_unsupported(const char *file)
{
	static const struct {
		const char *file, *why;
	} list[] = {
		{ "resources/dkim/002.txt", "its key record's p= is a bare "
		  "PKCS#1 RSAPublicKey; libopendkim reads SubjectPublicKeyInfo "
		  "only (\"unable to apply public key\")" },
	};

	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
		if (strcmp(file, list[i].file) == 0)
			return list[i].why;
	return NULL;
}

static void
test_stalwart_vectors(void **state)
{
	const char *tsv_path = test_corpus_path(
	    "stalwart-mail-auth/expected-results.tsv");
	int total = 0, agree = 0, unsupported = 0, ed25519 = 0, ed_pass = 0;
	const char *why;
	struct tsv *t;

	(void)state;
	if (tsv_path == NULL || (t = test_tsv_load(tsv_path, 0)) == NULL) {
		printf("skip: stalwart-mail-auth corpus absent\n");
		return;
	}
	for (int i = 0; i < t->nrows; i++) {
		const char *file = t->rows[i][test_tsv_col(t, "file")];
		const char *check = t->rows[i][test_tsv_col(t, "check")];
		char rel[512];
		int arc = strcmp(check, "arc-verify") == 0;

		if (!arc && strcmp(check, "dkim-verify") != 0)
			continue;
		snprintf(rel, sizeof rel, "stalwart-mail-auth/%s", file);
		total++;
		if (run_vector(test_corpus_path(rel), arc, STALWART_TIME,
		    &ed25519, &ed_pass)) {
			agree++;
			continue;
		}
		why = vector_unsupported(file);
		printf("  %s: expected pass, not agreed%s%s\n", file,
		    why != NULL ? ": unsupported: " : "", why != NULL ? why : "");
		unsupported += why != NULL;
	}
	printf("stalwart DKIM vectors: %d of %d agree with "
	    "expected-results.tsv; %d unsupported by libopendkim "
	    "(Ed25519 signatures: %d, %d pass)\n",
	    agree, total, unsupported, ed25519, ed_pass);
	assert_int_equal(total, 8);
	assert_int_equal(agree + unsupported, total);
	/* 005 has x=: judged now rather than then, it has expired. */
	assert_false(run_vector(test_corpus_path(
	    "stalwart-mail-auth/resources/dkim/005.txt"), 0, 0, &ed25519,
	    &ed_pass));
	test_tsv_free(t);
}

/* ---- opendkim(8) as a second verifier ------------------------------- */

/* Run opendkim -t on a message; 1 if it says "succeeded". */
static int
opendkim_says_ok(const char *conf, const struct buf *msg)
{
	char file[512], cmd[2048], line[1024];
	int ok = 0;
	FILE *p;

	path_in(file, sizeof file, "tool.eml");
	write_file(file, msg->data, msg->len);
	snprintf(cmd, sizeof cmd, "/usr/sbin/opendkim -x '%s' -t '%s' 2>&1",
	    conf, file);
	assert_non_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof line, p) != NULL) {
		printf("  %s", line);
		if (strstr(line, "verification") != NULL &&
		    strstr(line, "succeeded") != NULL)
			ok = 1;
	}
	pclose(p);
	return ok;
}

static void
test_opendkim_tool(void **state)
{
	struct dkim_signer *s = signer(fx.list_key, LIST_DOMAIN, LIST_SEL, 0);
	struct buf out = BUF_INIT(MSG_MAX), crlf = BUF_INIT(MSG_MAX),
	    conf = BUF_INIT(4096);
	char conf_path[512];

	(void)state;
	if (access("/usr/sbin/opendkim", X_OK) != 0) {
		printf("skip: /usr/sbin/opendkim absent (Debian package opendkim)\n");
		dkim_signer_free(s);
		return;
	}
	buf_printf(&conf, "Mode v\nSyslog no\nTestPublicKeys %s\n", fx.keys);
	path_in(conf_path, sizeof conf_path, "verify.conf");
	write_file(conf_path, conf.data, conf.len);

	sign_into(s, fx.post.data, fx.post.len, &out);
	assert_true(opendkim_says_ok(conf_path, &out));
	to_crlf(&fx.post, &crlf);
	sign_into(s, crlf.data, crlf.len, &out);
	assert_true(opendkim_says_ok(conf_path, &out));
	replace(&out, "2027 is", "2028 is");
	assert_false(opendkim_says_ok(conf_path, &out));
	buf_free(&out);
	buf_free(&crlf);
	buf_free(&conf);
	dkim_signer_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify_lf),
		cmocka_unit_test(test_sign_verify_crlf),
		cmocka_unit_test(test_lf_crlf_same_signature),
		cmocka_unit_test(test_golden_signature),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_changes_after_signing),
		cmocka_unit_test(test_sign_after_footer),
		cmocka_unit_test(test_broken_by_changes),
		cmocka_unit_test(test_unverifiable_signatures),
		cmocka_unit_test(test_keys_refused),
		cmocka_unit_test(test_keys_accepted),
		cmocka_unit_test(test_sign_refused),
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_stalwart_vectors),
		cmocka_unit_test(test_opendkim_tool),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
