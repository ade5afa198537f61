/*
 * request - mail commands waiting for a confirmation, an owner's approval
 * or an invited guest (schema: 0012_requests.sql).
 *
 * A SUBSCRIBE or SIGNOFF whose scenario says request_auth waits for the
 * address it acts on to quote the key (AUTH key command); one that says
 * owner waits for an owner; an INVITE waits for the guest. The key is 128
 * random bits (hold_key_new), sent only to the address that must act,
 * single use: request_take() deletes the row it returns, in the caller's
 * transaction, so the command and the key's end commit together.
 *
 * Functions taking a store return STORE_OK, STORE_ERROR or STORE_TEMP and
 * join the caller's transaction when one is open.
 */
#ifndef HERALD_REQUEST_H
#define HERALD_REQUEST_H

#include <time.h>

#include "hold.h"
#include "store.h"

enum request_kind {
	REQUEST_CONFIRM,	/* the address confirms (request_auth) */
	REQUEST_OWNER,		/* an owner approves (owner) */
	REQUEST_INVITE		/* the guest accepts an INVITE */
};

/* What waits: the verb of the command (SUBSCRIBE, SIGNOFF, ADD...). */
enum request_action {
	REQUEST_SUBSCRIBE,
	REQUEST_SIGNOFF,
	REQUEST_ADD,
	REQUEST_DEL,
	REQUEST_DO_INVITE,
	REQUEST_REMIND
};

struct request {
	char		 key[HOLD_KEY_LEN + 1];
	enum request_kind kind;
	enum request_action action;
	char		 list_id[24];
	char		 list_name[64];		/* filled by the readers */
	char		 domain[256];		/* filled by the readers */
	char		 email[256];		/* the address acted on */
	char		 gecos[601];		/* "" if none */
	char		 requester[256];	/* who sent the command */
	int		 quiet;
	char		 message_id[1000];	/* "" if none */
	time_t		 created;		/* filled by the readers */
	/*
	 * The canonical line of the command that waits (command_format):
	 * AUTH must quote exactly this one. "" for none (then only the
	 * kind, list, action and address are compared).
	 */
	char		 command[1001];
};

const char *request_kind_name(enum request_kind k);
const char *request_action_name(enum request_action a);

/*
 * Record r for days days under a fresh key, written into r->key. When a
 * request of the same kind, list, action and address waits already,
 * *waiting is 1 and r gets that one (its key, its date) unchanged: the
 * caller says the confirmation was sent, rather than sending another.
 */
int	request_put(struct store *st, struct request *r, int days,
	    int *waiting);
/*
 * The unexpired request with this key (case-insensitive), deleted: the
 * key is spent. *found 0 when there is none (unknown, spent, expired, or
 * not a key at all).
 */
int	request_take(struct store *st, const char *key, struct request *out,
	    int *found);
/* Delete expired requests; *n (may be NULL) gets how many. */
int	request_purge(struct store *st, long long *n);

#endif
