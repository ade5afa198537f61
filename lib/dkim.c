/*
 * dkim - DKIM signing and verification through libopendkim (see dkim.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* Not <dkim.h>: -Ilib comes first and that is this module's header. */
#include <opendkim/dkim.h>

#include "buf.h"
#include "codec.h"
#include "dkim.h"
#include "log.h"
#include "mem.h"
#include "msg.h"

/* Bytes handed to libopendkim at a time, after LF -> CRLF. */
#define DKIM_FEED_CHUNK		(32 * 1024)

/* A signature's b= value, kept to match signatures across two messages. */
#define DKIM_B_MAX		4096

/* A domain name (RFC 1035) with room for a final dot. */
#define DKIM_DOMAIN_MAX		256

struct dkim_signer {
	DKIM_LIB	*lib;
	char		*key;		/* normalised PEM, NUL-terminated */
	size_t		 key_len;
	char		*domain;
	char		*selector;
	char		*identity;	/* NULL: no i= */
};

struct dkim_verifier {
	DKIM_LIB	*lib;
};

static const char *const dkim_signed_fields[] = { DKIM_SIGNED_FIELDS, NULL };

/*
 * Signed one time more than they occur, so that nobody can add one
 * (RFC 6376 section 8.15; RFC 8058 section 4 for the one-click pair).
 */
static const char *const dkim_oversigned_fields[] = {
	"From", "List-Unsubscribe", "List-Unsubscribe-Post", NULL
};

/* libopendkim's DKIM_OPTS_*HDRS take the array itself, sized as a pointer. */
static DKIM_STAT
dkim_set_list(DKIM_LIB *lib, int opt, const char *const *list)
{
	return dkim_options(lib, DKIM_OP_SETOPT, opt, (void *)list,
	    sizeof list);
}

static void
dkim_wipe_free(char *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

/* Append OpenSSL's first queued error, if any, and clear the queue. */
static void
dkim_ssl_reason(struct buf *err)
{
	unsigned long e = ERR_get_error();
	char text[256];

	if (e != 0) {
		ERR_error_string_n(e, text, sizeof text);
		buf_printf(err, " (%s)", text);
	}
	ERR_clear_error();
}

/* ---- Keys ---------------------------------------------------------- */

/* Read a key file, bounded; -1 with the reason in err. */
static int
dkim_read_keyfile(const char *path, struct buf *out, struct buf *err)
{
	char chunk[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		buf_printf(err, "DKIM key %s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			buf_printf(err, "DKIM key %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0) {
			close(fd);
			OPENSSL_cleanse(chunk, sizeof chunk);
			return 0;
		}
		if (buf_append(out, chunk, (size_t)n) == -1) {
			buf_printf(err, "DKIM key %s: larger than %d bytes",
			    path, DKIM_KEYFILE_MAX);
			break;
		}
	}
	close(fd);
	OPENSSL_cleanse(chunk, sizeof chunk);
	return -1;
}

/* OpenSSL must never prompt for a passphrase on a daemon's terminal. */
static int
dkim_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * Parse the key: PEM (any OpenSSL understands, with or without text
 * around it) or, as some sites store it, bare base64 DER. NULL if neither.
 */
static EVP_PKEY *
dkim_parse_key(const char *text, size_t len)
{
	EVP_PKEY *pk = NULL;
	BIO *bio;

	if (memmem(text, len, "-----BEGIN", 10) != NULL) {
		if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL)
			return NULL;
		pk = PEM_read_bio_PrivateKey(bio, NULL, dkim_no_passphrase, NULL);
		BIO_free(bio);
	} else {
		struct buf der = BUF_INIT(DKIM_KEYFILE_MAX);
		const unsigned char *p;

		if (codec_base64_decode(text, len, &der) == 0 && der.len > 0) {
			p = (const unsigned char *)der.data;
			pk = d2i_AutoPrivateKey(NULL, &p, (long)der.len);
		}
		if (der.data != NULL)
			OPENSSL_cleanse(der.data, der.len);
		buf_free(&der);
	}
	return pk;
}

/*
 * Write the key back as unencrypted PKCS#8 PEM: libopendkim recognises
 * PEM only when the text starts with "-----", and a file from a PKCS#12
 * export starts with "Bag Attributes".
 */
static int
dkim_key_to_pem(EVP_PKEY *pk, struct dkim_signer *s)
{
	BIO *bio;
	char *data;
	long n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (!PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0) {
		BIO_free(bio);
		return -1;
	}
	s->key = xmalloc((size_t)n + 1);
	memcpy(s->key, data, (size_t)n);
	s->key[n] = '\0';
	s->key_len = (size_t)n + 1;
	OPENSSL_cleanse(data, (size_t)n);
	BIO_free(bio);
	return 0;
}

static int
dkim_load_key(struct dkim_signer *s, const char *path, struct buf *err)
{
	struct buf text = BUF_INIT(DKIM_KEYFILE_MAX);
	EVP_PKEY *pk = NULL;
	int bits, rc = -1;

	if (dkim_read_keyfile(path, &text, err) == -1)
		goto out;
	if (text.len == 0) {
		buf_printf(err, "DKIM key %s: empty file", path);
		goto out;
	}
	if ((pk = dkim_parse_key(text.data, text.len)) == NULL) {
		buf_printf(err, "DKIM key %s: not a private key in PEM or "
		    "base64 DER, or encrypted", path);
		dkim_ssl_reason(err);
		goto out;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		buf_printf(err, "DKIM key %s: a %s key; Herald signs with "
		    "rsa-sha256 and needs an RSA key", path,
		    OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		goto out;
	}
	if ((bits = EVP_PKEY_get_bits(pk)) < DKIM_MIN_KEY_BITS) {
		buf_printf(err, "DKIM key %s: %d bits; verifiers refuse fewer "
		    "than %d (RFC 8301)", path, bits, DKIM_MIN_KEY_BITS);
		goto out;
	}
	if (dkim_key_to_pem(pk, s) == -1) {
		buf_printf(err, "DKIM key %s: cannot re-encode", path);
		dkim_ssl_reason(err);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(pk);
	ERR_clear_error();
	if (text.data != NULL)
		OPENSSL_cleanse(text.data, text.len);
	buf_free(&text);
	return rc;
}

/* ---- Feeding messages --------------------------------------------- */

/*
 * Feed a whole message to a handle through dkim_chunk(), LF turned into
 * CRLF, then signal its end. Returns the first status that is not OK.
 */
static DKIM_STAT
dkim_feed(DKIM *d, const char *msg, size_t len)
{
	unsigned char chunk[DKIM_FEED_CHUNK + 2];
	size_t i = 0, n = 0;
	char prev = '\0';
	DKIM_STAT st;

	/* An mbox separator is no header field. */
	if (len >= 5 && memcmp(msg, "From ", 5) == 0) {
		const char *nl = memchr(msg, '\n', len);

		i = nl != NULL ? (size_t)(nl - msg) + 1 : len;
	}
	for (; i < len; i++) {
		if (msg[i] == '\n' && prev != '\r')
			chunk[n++] = '\r';
		chunk[n++] = (unsigned char)msg[i];
		prev = msg[i];
		if (n >= DKIM_FEED_CHUNK) {
			if ((st = dkim_chunk(d, chunk, n)) != DKIM_STAT_OK)
				return st;
			n = 0;
		}
	}
	if (n > 0 && (st = dkim_chunk(d, chunk, n)) != DKIM_STAT_OK)
		return st;
	return dkim_chunk(d, NULL, 0);
}

/* The line end the message uses: that of its first line. */
static const char *
dkim_eol(const char *msg, size_t len)
{
	const char *nl = memchr(msg, '\n', len);

	return nl != NULL && nl > msg && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* ---- Signing ------------------------------------------------------ */

struct dkim_signer *
dkim_signer_new(const struct dkim_sign_conf *conf, struct buf *err)
{
	struct dkim_signer *s;
	uint64_t t;

	if (conf->key_path == NULL || conf->key_path[0] == '\0' ||
	    conf->domain == NULL || conf->domain[0] == '\0' ||
	    conf->selector == NULL || conf->selector[0] == '\0') {
		buf_puts(err, "DKIM signing needs a key, a domain and a selector");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	if (dkim_load_key(s, conf->key_path, err) == -1)
		goto fail;
	s->domain = xstrdup(conf->domain);
	s->selector = xstrdup(conf->selector);
	if (conf->identity != NULL && conf->identity[0] != '\0')
		s->identity = xstrdup(conf->identity);
	if ((s->lib = dkim_init(NULL, NULL)) == NULL) {
		buf_puts(err, "DKIM: libopendkim did not initialise");
		goto fail;
	}
	if (dkim_set_list(s->lib, DKIM_OPTS_SIGNHDRS, dkim_signed_fields) !=
	    DKIM_STAT_OK ||
	    dkim_set_list(s->lib, DKIM_OPTS_OVERSIGNHDRS,
	    dkim_oversigned_fields) != DKIM_STAT_OK) {
		buf_puts(err, "DKIM: libopendkim refused the list of signed fields");
		goto fail;
	}
	if (conf->fixed_time != 0) {
		t = (uint64_t)conf->fixed_time;
		if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME,
		    &t, sizeof t) != DKIM_STAT_OK) {
			buf_puts(err, "DKIM: libopendkim refused a fixed time");
			goto fail;
		}
	}
	return s;
fail:
	dkim_signer_free(s);
	return NULL;
}

void
dkim_signer_free(struct dkim_signer *s)
{
	if (s == NULL)
		return;
	if (s->lib != NULL)
		dkim_close(s->lib);
	dkim_wipe_free(s->key, s->key_len);
	free(s->domain);
	free(s->selector);
	free(s->identity);
	free(s);
}

/*
 * Append "DKIM-Signature: " and libopendkim's value, whose folds are a
 * bare "\n\t", with eol for each line end.
 */
static int
dkim_put_field(struct buf *out, const unsigned char *v, size_t n,
    const char *eol)
{
	size_t start = out->len;

	if (buf_puts(out, DKIM_SIGNHEADER ": ") == -1)
		goto full;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\r')
			continue;
		if (v[i] == '\n' ? buf_puts(out, eol) : buf_putc(out, v[i]))
			goto full;
	}
	if (buf_puts(out, eol) == -1)
		goto full;
	return 0;
full:
	buf_truncate(out, start);
	return -1;
}

int
dkim_signer_sign(struct dkim_signer *s, const char *msg, size_t len,
    struct buf *out, struct buf *err)
{
	unsigned char *v;
	size_t vlen;
	DKIM_STAT st;
	DKIM *d;
	int rc = -1;

	d = dkim_sign(s->lib, (const unsigned char *)"herald", NULL,
	    (dkim_sigkey_t)s->key, (const unsigned char *)s->selector,
	    (const unsigned char *)s->domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1L, &st);
	if (d == NULL) {
		buf_printf(err, "DKIM sign: %s", dkim_getresultstr(st));
		return -1;
	}
	if (s->identity != NULL &&
	    (st = dkim_set_signer(d, (const unsigned char *)s->identity)) !=
	    DKIM_STAT_OK) {
		buf_printf(err, "DKIM sign: identity %s: %s", s->identity,
		    dkim_getresultstr(st));
		goto out;
	}
	if ((st = dkim_feed(d, msg, len)) != DKIM_STAT_OK ||
	    (st = dkim_eom(d, NULL)) != DKIM_STAT_OK) {
		const char *why = dkim_geterror(d);

		buf_printf(err, "DKIM sign: %s%s%s", dkim_getresultstr(st),
		    why != NULL && *why != '\0' ? ": " : "",
		    why != NULL ? why : "");
		goto out;
	}
	st = dkim_getsighdr_d(d, strlen(DKIM_SIGNHEADER) + 2, &v, &vlen);
	if (st != DKIM_STAT_OK) {
		buf_printf(err, "DKIM sign: %s", dkim_getresultstr(st));
		goto out;
	}
	if (dkim_put_field(out, v, vlen, dkim_eol(msg, len)) == -1) {
		buf_puts(err, "DKIM sign: the output buffer is full");
		goto out;
	}
	rc = 0;
out:
	dkim_free(d);
	return rc;
}

/* ---- Verification ------------------------------------------------- */

struct dkim_verifier *
dkim_verifier_new(const struct dkim_verify_conf *conf, struct buf *err)
{
	struct dkim_verifier *v;
	unsigned int flags, bits, timeout;
	dkim_query_t qm = DKIM_QUERY_FILE;
	uint64_t drift;
	time_t now;

	v = xcalloc(1, sizeof *v);
	if ((v->lib = dkim_init(NULL, NULL)) == NULL) {
		buf_puts(err, "DKIM: libopendkim did not initialise");
		goto fail;
	}
	/*
	 * BADSIGHANDLES: a malformed signature still gets an entry, so that
	 * entries and fields stay in step. The cache spares dkim_verify_broken()
	 * its second lookups.
	 */
	flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	if (conf->keys_file == NULL)
		flags |= DKIM_LIBFLAGS_CACHE;
	if (dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof flags) != DKIM_STAT_OK)
		goto refused;
	bits = conf->min_key_bits != 0 ? conf->min_key_bits : DKIM_MIN_KEY_BITS;
	if (dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits,
	    sizeof bits) != DKIM_STAT_OK)
		goto refused;
	if (conf->dns_timeout != 0) {
		timeout = conf->dns_timeout;
		if (dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT,
		    &timeout, sizeof timeout) != DKIM_STAT_OK)
			goto refused;
	}
	if (conf->keys_file != NULL) {
		if (access(conf->keys_file, R_OK) == -1) {
			buf_printf(err, "DKIM keys file %s: %s", conf->keys_file,
			    strerror(errno));
			goto fail;
		}
		if (dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD,
		    &qm, sizeof qm) != DKIM_STAT_OK ||
		    dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO,
		    (void *)conf->keys_file, strlen(conf->keys_file) + 1) !=
		    DKIM_STAT_OK)
			goto refused;
	}
	if (conf->at != 0 && conf->at < (now = time(NULL))) {
		drift = (uint64_t)(now - conf->at) + 300;
		if (dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_CLOCKDRIFT,
		    &drift, sizeof drift) != DKIM_STAT_OK)
			goto refused;
	}
	return v;
refused:
	buf_puts(err, "DKIM: libopendkim refused a verification option");
fail:
	dkim_verifier_free(v);
	return NULL;
}

void
dkim_verifier_free(struct dkim_verifier *v)
{
	if (v == NULL)
		return;
	if (v->lib != NULL)
		dkim_close(v->lib);
	free(v);
}

void
dkim_results_free(struct dkim_results *res)
{
	for (size_t i = 0; i < res->nsigs; i++) {
		free(res->sigs[i].domain);
		free(res->sigs[i].selector);
		free(res->sigs[i].identity);
		free(res->sigs[i].algorithm);
		free(res->sigs[i].reason);
	}
	free(res->sigs);
	res->sigs = NULL;
	res->nsigs = 0;
}

const char *
dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_RESULT_PASS:		return "pass";
	case DKIM_RESULT_FAIL:		return "fail";
	case DKIM_RESULT_NEUTRAL:	return "neutral";
	case DKIM_RESULT_TEMPERROR:	return "temperror";
	case DKIM_RESULT_PERMERROR:	return "permerror";
	}
	return "permerror";
}

/* A tag of a signature as a fresh string, "" when absent. */
static char *
dkim_tag(DKIM_SIGINFO *sig, const char *tag)
{
	unsigned char *v = dkim_sig_gettagvalue(sig, false,
	    (unsigned char *)tag);

	return xstrdup(v != NULL ? (const char *)v : "");
}

/* The result of one processed signature, and why when it is not pass. */
static enum dkim_result
dkim_judge(DKIM_SIGINFO *sig, const char **why)
{
	unsigned int flags = dkim_sig_getflags(sig);
	DKIM_SIGERROR e = dkim_sig_geterror(sig);
	int bh = dkim_sig_getbh(sig);

	*why = NULL;
	if ((flags & DKIM_SIGFLAG_IGNORE) != 0) {
		*why = "signature ignored";
		return DKIM_RESULT_NEUTRAL;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) != 0) {
		if (bh == DKIM_SIGBH_MATCH)
			return DKIM_RESULT_PASS;
		/* The header hash (with bh=) holds: only the body changed. */
		*why = "body hash mismatch";
		return DKIM_RESULT_FAIL;
	}
	if (e == DKIM_SIGERROR_KEYFAIL) {
		*why = dkim_sig_geterrorstr(e);
		return DKIM_RESULT_TEMPERROR;
	}
	if (e == DKIM_SIGERROR_BADSIG || e == DKIM_SIGERROR_MBSFAILED) {
		*why = dkim_sig_geterrorstr(e);
		return DKIM_RESULT_FAIL;
	}
	if (e == DKIM_SIGERROR_OK || e == DKIM_SIGERROR_UNKNOWN) {
		*why = (flags & DKIM_SIGFLAG_PROCESSED) != 0 ?
		    "not verified" : "not processed";
		return (flags & DKIM_SIGFLAG_PROCESSED) != 0 ?
		    DKIM_RESULT_PERMERROR : DKIM_RESULT_NEUTRAL;
	}
	*why = dkim_sig_geterrorstr(e);
	return DKIM_RESULT_PERMERROR;
}

/* The DKIM-Signature fields of the top-level header, counted. */
static size_t
dkim_count_fields(const char *msg, size_t len)
{
	const struct msg_header *h = NULL;
	struct msg *m;
	size_t n = 0;

	if ((m = msg_parse(msg, len, NULL, NULL)) == NULL)
		return 0;
	while ((h = msg_header_find(m, NULL, DKIM_SIGNHEADER, h)) != NULL)
		n++;
	msg_free(m);
	return n;
}

/* Every field gets the same verdict: libopendkim could not read them. */
static void
dkim_all_fields(struct dkim_results *res, size_t n, enum dkim_result r,
    const char *why)
{
	res->sigs = xcalloc(n > 0 ? n : 1, sizeof *res->sigs);
	for (size_t i = 0; i < n; i++) {
		struct dkim_sig *s = &res->sigs[i];

		s->result = r;
		s->domain = xstrdup("");
		s->selector = xstrdup("");
		s->identity = xstrdup("");
		s->algorithm = xstrdup("");
		s->reason = xstrdup(why);
		s->field = i;
	}
	res->nsigs = n;
}

/*
 * Collect the verdicts. b, when not NULL, receives each signature's b=
 * value without folding (for dkim_verify_broken()), NULL-terminated.
 */
static void
dkim_collect(DKIM_SIGINFO **list, int n, struct dkim_results *res, char ***b)
{
	const char *why;

	res->sigs = xcalloc(n > 0 ? (size_t)n : 1, sizeof *res->sigs);
	if (b != NULL)
		*b = xcalloc((size_t)n + 1, sizeof **b);
	for (int i = 0; i < n; i++) {
		struct dkim_sig *s = &res->sigs[i];
		unsigned int bits = 0;

		s->result = dkim_judge(list[i], &why);
		s->domain = dkim_tag(list[i], "d");
		s->selector = dkim_tag(list[i], "s");
		s->identity = dkim_tag(list[i], "i");
		s->algorithm = dkim_tag(list[i], "a");
		s->reason = xstrdup(why != NULL ? why : "");
		if (dkim_sig_getkeysize(list[i], &bits) == DKIM_STAT_OK)
			s->key_bits = bits;
		s->field = (size_t)i;
		if (b != NULL) {
			char *v = dkim_tag(list[i], "b"), *w = v;

			/* FWS inside b= is not part of the value. */
			for (char *r = v; *r != '\0'; r++)
				if (*r != ' ' && *r != '\t' && *r != '\r' &&
				    *r != '\n')
					*w++ = *r;
			*w = '\0';
			(*b)[i] = v;
		}
	}
	res->nsigs = (size_t)n;
}

static void
dkim_free_strings(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/* dkim_verify_message(), keeping the b= values when b is not NULL. */
static int
dkim_verify_b(struct dkim_verifier *v, const char *msg, size_t len,
    struct dkim_results *res, char ***b, struct buf *err)
{
	DKIM_SIGINFO **list = NULL;
	DKIM_STAT st, fst;
	size_t nfields;
	DKIM *d;
	int n = 0;

	res->sigs = NULL;
	res->nsigs = 0;
	if (b != NULL)
		*b = NULL;
	if ((d = dkim_verify(v->lib, (const unsigned char *)"herald", NULL,
	    &st)) == NULL) {
		buf_printf(err, "DKIM verify: %s", dkim_getresultstr(st));
		return -1;
	}
	fst = dkim_feed(d, msg, len);
	if (fst == DKIM_STAT_NORESOURCE || fst == DKIM_STAT_INTERNAL) {
		buf_printf(err, "DKIM verify: %s", dkim_getresultstr(fst));
		dkim_free(d);
		return -1;
	}
	nfields = dkim_count_fields(msg, len);
	if (fst == DKIM_STAT_OK)
		(void)dkim_eom(d, NULL);
	/*
	 * A message libopendkim cannot take (no signature it can see, or
	 * header syntax it refuses) has no list; its fields, if any, are
	 * unverifiable for good.
	 */
	if (dkim_getsiglist(d, &list, &n) != DKIM_STAT_OK || n < 0 ||
	    (size_t)n != nfields) {
		if (n >= 0 && (size_t)n != nfields && nfields > 0)
			log_debug("dkim: %d signatures seen by libopendkim, "
			    "%zu fields", n, nfields);
		dkim_all_fields(res, nfields, DKIM_RESULT_PERMERROR,
		    fst == DKIM_STAT_OK || fst == DKIM_STAT_NOSIG ?
		    "signature not readable" : dkim_getresultstr(fst));
		if (b != NULL)
			*b = xcalloc(nfields + 1, sizeof **b);
		for (size_t i = 0; b != NULL && i < nfields; i++)
			(*b)[i] = xstrdup("");
		dkim_free(d);
		return 0;
	}
	dkim_collect(list, n, res, b);
	dkim_free(d);
	return 0;
}

int
dkim_verify_message(struct dkim_verifier *v, const char *msg, size_t len,
    struct dkim_results *res, struct buf *err)
{
	return dkim_verify_b(v, msg, len, res, NULL, err);
}

int
dkim_verify_broken(struct dkim_verifier *v, const char *before,
    size_t before_len, const char *after, size_t after_len,
    struct dkim_results *res, struct buf *err)
{
	struct dkim_results old = { NULL, 0 };
	char **bold = NULL, **bnew = NULL;
	unsigned char *used;

	if (dkim_verify_b(v, before, before_len, &old, &bold, err) == -1)
		return -1;
	if (dkim_verify_b(v, after, after_len, res, &bnew, err) == -1) {
		dkim_results_free(&old);
		dkim_free_strings(bold);
		return -1;
	}
	/* Each old signature matches at most one new one, in order. */
	used = xcalloc(old.nsigs + 1, 1);
	for (size_t i = 0; i < res->nsigs; i++) {
		if (bnew[i][0] == '\0')
			continue;
		for (size_t j = 0; j < old.nsigs; j++) {
			if (used[j] || strcmp(bold[j], bnew[i]) != 0)
				continue;
			used[j] = 1;
			res->sigs[i].broken =
			    old.sigs[j].result == DKIM_RESULT_PASS &&
			    res->sigs[i].result != DKIM_RESULT_PASS;
			break;
		}
	}
	free(used);
	dkim_results_free(&old);
	dkim_free_strings(bold);
	dkim_free_strings(bnew);
	return 0;
}

/* ---- Alignment ---------------------------------------------------- */

/* Copy a domain lower-cased without a final dot; -1 if too long. */
static int
dkim_norm_domain(const char *in, char out[DKIM_DOMAIN_MAX + 1])
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > DKIM_DOMAIN_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a' : in[i];
	out[n] = '\0';
	return 0;
}

static int
dkim_domain_aligns(const char *d, const char *domain, enum dkim_align mode)
{
	char a[DKIM_DOMAIN_MAX + 1], b[DKIM_DOMAIN_MAX + 1];
	size_t la, lb;

	if (dkim_norm_domain(d, a) == -1 || dkim_norm_domain(domain, b) == -1)
		return 0;
	if (strcmp(a, b) == 0)
		return 1;
	if (mode != DKIM_ALIGN_RELAXED || strchr(a, '.') == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	return lb > la + 1 && b[lb - la - 1] == '.' && strcmp(b + lb - la, a) == 0;
}

int
dkim_aligned(const struct dkim_results *res, const char *domain,
    enum dkim_align mode)
{
	for (size_t i = 0; i < res->nsigs; i++)
		if (res->sigs[i].result == DKIM_RESULT_PASS &&
		    dkim_domain_aligns(res->sigs[i].domain, domain, mode))
			return 1;
	return 0;
}
