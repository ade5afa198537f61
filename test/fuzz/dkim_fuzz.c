/*
 * dkim_fuzz - libFuzzer target for the DKIM glue: the input is a message
 * that is verified (keys from a file written at start-up, so no DNS),
 * checked against itself with a footer for broken signatures, and
 * signed. Checks that every DKIM-Signature field gets exactly one entry,
 * in order, with strings that are never NULL.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "codec.h"
#include "dkim.h"
#include "msg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static struct dkim_verifier *verifier;
static struct dkim_signer *signer;
static char keys_path[512], dir_path[512];

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "dkim_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

/* A key pair in a temporary directory: key.pem and a keys file. */
static void
fuzz_keys(const char *dir)
{
	char path[512];
	unsigned char *der = NULL;
	struct buf b64 = BUF_INIT(1 << 16);
	EVP_PKEY *pk = EVP_RSA_gen(1024);
	FILE *f;
	int n;

	snprintf(path, sizeof path, "%s/key.pem", dir);
	if (pk == NULL || (f = fopen(path, "w")) == NULL)
		abort();
	PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	n = i2d_PUBKEY(pk, &der);
	if (n <= 0 || codec_base64_encode(der, (size_t)n, &b64, 0) == -1)
		abort();
	snprintf(path, sizeof path, "%s/keys.txt", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "s._domainkey.example.org v=DKIM1; k=rsa; p=%s\n",
	    buf_cstr(&b64));
	fclose(f);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	buf_free(&b64);
}

static void
fuzz_cleanup(void)
{
	unlink(keys_path);
	rmdir(dir_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/herald-dkim-fuzz.XXXXXX", keys[512], key[512];
	struct dkim_verify_conf vc = { NULL, 0, 0, 0 };
	struct dkim_sign_conf sc = { NULL, "example.org", "s", NULL, 0 };
	struct buf err = BUF_INIT(1024);

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	fuzz_keys(dir);
	snprintf(keys, sizeof keys, "%s/keys.txt", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	vc.keys_file = keys;
	sc.key_path = key;
	if ((verifier = dkim_verifier_new(&vc, &err)) == NULL ||
	    (signer = dkim_signer_new(&sc, &err)) == NULL) {
		fprintf(stderr, "dkim_fuzz: %s\n", buf_cstr(&err));
		abort();
	}
	/* The signer holds the key in memory; the keys file is read per lookup. */
	unlink(key);
	snprintf(keys_path, sizeof keys_path, "%s", keys);
	snprintf(dir_path, sizeof dir_path, "%s", dir);
	atexit(fuzz_cleanup);
	buf_free(&err);
	return 0;
}

static size_t
fuzz_fields(const char *data, size_t size)
{
	const struct msg_header *h = NULL;
	struct msg *m = msg_parse(data, size, NULL, NULL);
	size_t n = 0;

	if (m == NULL)
		return 0;
	while ((h = msg_header_find(m, NULL, "DKIM-Signature", h)) != NULL)
		n++;
	msg_free(m);
	return n;
}

static void
fuzz_results(const struct dkim_results *r, size_t nfields)
{
	fuzz_check(r->nsigs == nfields);
	for (size_t i = 0; i < r->nsigs; i++) {
		const struct dkim_sig *s = &r->sigs[i];

		fuzz_check(s->field == i);
		fuzz_check(s->domain != NULL && s->selector != NULL);
		fuzz_check(s->identity != NULL && s->algorithm != NULL);
		fuzz_check(s->reason != NULL);
		fuzz_check(dkim_result_name(s->result) != NULL);
		fuzz_check(!s->broken || s->result != DKIM_RESULT_PASS);
	}
	dkim_aligned(r, "mail.example.org", DKIM_ALIGN_RELAXED);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	struct buf err = BUF_INIT(4096), out = BUF_INIT(1 << 20),
	    after = BUF_INIT(1 << 20);
	struct dkim_results r;
	size_t nfields = fuzz_fields(msg, size);

	if (dkim_verify_message(verifier, msg, size, &r, &err) == 0) {
		fuzz_results(&r, nfields);
		dkim_results_free(&r);
	}
	if (buf_append(&after, msg, size) == 0 &&
	    buf_puts(&after, "\n-- \nfooter\n") == 0) {
		buf_reset(&err);
		if (dkim_verify_broken(verifier, msg, size, after.data,
		    after.len, &r, &err) == 0)
			dkim_results_free(&r);
	}
	buf_reset(&err);
	if (dkim_signer_sign(signer, msg, size, &out, &err) == 0)
		fuzz_check(out.len > 16 &&
		    memcmp(out.data, "DKIM-Signature: ", 16) == 0 &&
		    out.data[out.len - 1] == '\n');
	else
		fuzz_check(out.len == 0);
	buf_free(&err);
	buf_free(&out);
	buf_free(&after);
	return 0;
}
