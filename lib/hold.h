/*
 * hold - the keys of held messages (schema: 0007_held.sql).
 *
 * A post the send scenario holds (editorkey, editor: for the moderators;
 * request_auth: for its sender) waits in the moderation or auth spool
 * under its entry name; its key, 128 random bits written as 32 hex
 * digits, is what a DISTRIBUTE, REJECT or CONFIRM command must quote. The
 * key is the capability, so it is never derived from anything guessable,
 * and it expires. Functions taking a store return STORE_OK, STORE_ERROR
 * or STORE_TEMP and join the caller's transaction when one is open.
 */
#ifndef HERALD_HOLD_H
#define HERALD_HOLD_H

#include <stddef.h>

#include "store.h"

#define HOLD_KEY_LEN	32	/* hex digits */

enum hold_kind {
	HOLD_MODERATION,	/* DISTRIBUTE / REJECT by a moderator */
	HOLD_AUTH,		/* CONFIRM by the sender */
	HOLD_COMMANDS		/* a command message, CONFIRM by its sender:
				   no list (list_id ""), see herald-commands(7) */
};

struct hold {
	char		 key[HOLD_KEY_LEN + 1];
	enum hold_kind	 kind;
	char		 list_id[24];
	char		 list_name[64];
	char		 domain[256];
	char		 spool_name[256];
	char		 sender[256];
	char		 message_id[1000];	/* "" if none */
	char		 subject[256];		/* "" if none */
	int		 spam;
};

/* A fresh random key (OpenSSL RAND_bytes). 0, or -1 if no randomness. */
int	hold_key_new(char key[HOLD_KEY_LEN + 1]);
/* Whether s looks like a key (32 hex digits, any case). */
int	hold_key_valid(const char *s);
/* A key as stored: lower case into out. 0, or -1 when s is no key. */
int	hold_key_normal(const char *s, char out[HOLD_KEY_LEN + 1]);
const char *hold_kind_name(enum hold_kind k);

/* Record h (its list_id, not its names) for days days. */
int	hold_put(struct store *st, const struct hold *h, int days);
/*
 * The unexpired hold of kind with this key (case-insensitive), its row
 * locked until the caller's transaction ends when one is open. Returns
 * STORE_OK with *found 0 or 1.
 */
int	hold_get(struct store *st, enum hold_kind kind, const char *key,
	    struct hold *out, int *found);
int	hold_delete(struct store *st, const char *key);
/* A held message as hold_list() shows it (valid during the callback). */
struct hold_item {
	const char	*key;
	const char	*sender;
	const char	*subject;	/* "" if none */
	const char	*created;	/* "YYYY-MM-DD HH:MM", UTC */
	int		 spam;
};
typedef int hold_list_fn(const struct hold_item *it, void *arg);

/* The first max unexpired holds of kind for a list, oldest first. */
int	hold_list(struct store *st, const char *list_id, enum hold_kind kind,
	    int max, hold_list_fn *fn, void *arg);

/*
 * Whether a hold names the spool entry spool_name, expired or not
 * (*found 0 or 1): an entry that none names is forgotten, to be swept.
 */
int	hold_names_entry(struct store *st, const char *spool_name, int *found);
/* Delete expired keys; *n (may be NULL) gets how many. */
int	hold_purge(struct store *st, long long *n);

#endif
