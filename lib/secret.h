/*
 * secret - named site secrets, shared by every host through the database.
 *
 * Tokens that one host makes and another checks (RFC 8058 one-click URLs
 * written by bulk and checked by oneclick, VERP return paths later) need
 * one key for the whole site. It lives in the secrets table
 * (lib/migrations/0005_secrets.sql), one row per use, so that replacing
 * one (deleting its row) leaves the others valid.
 *
 * A secret is made on first use, from OpenSSL's RAND_bytes: the first
 * host inserts its random bytes with ON CONFLICT DO NOTHING and every
 * host then reads the row back, so hosts that race all get the same key
 * and nobody ever holds a key that is not the stored one. Nothing is
 * cached here: a daemon keeps the key it got for as long as it runs.
 */
#ifndef HERALD_SECRET_H
#define HERALD_SECRET_H

#include <stddef.h>

#include "store.h"

#define SECRET_LEN	32	/* bytes made for a new secret (256 bits) */
#define SECRET_MAX	64	/* the longest stored value accepted */

struct secret {
	unsigned char	key[SECRET_MAX];
	size_t		len;		/* SECRET_LEN .. SECRET_MAX */
};

/*
 * Whether name is fit for a secret: a lower-case letter, then up to 62 of
 * [a-z0-9_.-] (the table's rule).
 */
int	secret_name_valid(const char *name);

/*
 * The secret called name, created if there is none yet. STORE_OK, or
 * STORE_TEMP (the database is away: try later) or STORE_ERROR (a bad
 * name, a stored value of the wrong size, no randomness, a missing
 * table: logged). Runs in the caller's transaction if one is open.
 */
int	secret_get(struct store *st, const char *name, struct secret *out);

/* Wipe a secret from memory. */
void	secret_clear(struct secret *s);

#endif
