/*
 * secret - named site secrets in the shared database, made on first use.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "log.h"
#include "secret.h"
#include "store.h"

#define SECRET_NAME_MAX	63

int
secret_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SECRET_NAME_MAX || name[0] < 'a' || name[0] > 'z')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789_.-",
		    name[i]) == NULL)
			return 0;
	return 1;
}

static int
secret_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* PostgreSQL's encode(value, 'hex') text into out; -1 if it is not that. */
static int
secret_from_hex(const char *hex, struct secret *out)
{
	size_t n = strlen(hex);

	if (n % 2 != 0 || n / 2 < SECRET_LEN || n / 2 > SECRET_MAX)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = secret_hexval((unsigned char)hex[2 * i]);
		int lo = secret_hexval((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out->key[i] = (unsigned char)(hi << 4 | lo);
	}
	out->len = n / 2;
	return 0;
}

/* The stored value, if any: STORE_OK with *found set or not. */
static int
secret_read(struct store *st, const char *name, struct secret *out,
    int *found)
{
	const char *p[] = { name };
	char *hex = NULL;
	int rc;

	*found = 0;
	rc = store_scalar(st, "SELECT encode(value, 'hex') FROM secrets "
	    "WHERE name = $1", STORE_NPARAMS(p), p, &hex);
	if (rc != STORE_OK || hex == NULL)
		return rc;
	if (secret_from_hex(hex, out) < 0) {
		log_error("secret %s: the stored value is not %d to %d bytes",
		    name, SECRET_LEN, SECRET_MAX);
		rc = STORE_ERROR;
	} else
		*found = 1;
	OPENSSL_cleanse(hex, strlen(hex));
	free(hex);
	return rc;
}

/*
 * Offer new random bytes as the secret. A host that got there first keeps
 * its value (DO NOTHING): the caller reads back whichever won.
 */
static int
secret_offer(struct store *st, const char *name, long long *made)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[SECRET_LEN];
	char hex[2 * SECRET_LEN + 1];
	const char *p[] = { name, hex };
	int rc;

	if (RAND_bytes(raw, sizeof raw) != 1) {
		log_error("secret %s: no random bytes from OpenSSL", name);
		return STORE_ERROR;
	}
	for (size_t i = 0; i < sizeof raw; i++) {
		hex[2 * i] = digits[raw[i] >> 4];
		hex[2 * i + 1] = digits[raw[i] & 0xf];
	}
	hex[sizeof hex - 1] = '\0';
	rc = store_cmd(st, "INSERT INTO secrets (name, value) "
	    "VALUES ($1, decode($2, 'hex')) ON CONFLICT (name) DO NOTHING",
	    STORE_NPARAMS(p), p, made);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(hex, sizeof hex);
	return rc;
}

int
secret_get(struct store *st, const char *name, struct secret *out)
{
	long long made = 0;
	int found, rc;

	memset(out, 0, sizeof *out);
	if (!secret_name_valid(name)) {
		log_error("secret: invalid name");
		return STORE_ERROR;
	}
	if ((rc = secret_read(st, name, out, &found)) != STORE_OK || found)
		return rc;
	if ((rc = secret_offer(st, name, &made)) != STORE_OK)
		return rc;
	if ((rc = secret_read(st, name, out, &found)) != STORE_OK)
		return rc;
	if (!found) {
		/* Deleted between our insert and our read: a replacement. */
		log_error("secret %s: vanished as it was made; try again",
		    name);
		return STORE_TEMP;
	}
	if (made > 0)
		log_info("secret %s: created", name);
	return STORE_OK;
}

void
secret_clear(struct secret *s)
{
	OPENSSL_cleanse(s, sizeof *s);
}
