/*
 * roster - who belongs to which list: the lists rows, members, owners and
 * editors, exclusions, in the shared database.
 *
 * Every change writes its audit record (lib/audit.h) in the transaction
 * of the change, with the proof struct roster_who carries (Message-ID,
 * client, and in its details "key", "requested_by" and "reason"). A
 * change function runs in the caller's transaction when one is open
 * (store_begin(): the caller may then add its own steps, such as moving
 * a directory, before it commits), else in one of its own that it
 * commits before returning.
 *
 * Functions return STORE_OK, STORE_ERROR or STORE_TEMP (lib/store.h), or
 * one of the refusals below, which leave the caller's transaction usable
 * (nothing failed in SQL). Addresses must already be canonical (lower
 * case: see roster_email_storable()).
 */
#ifndef HERALD_ROSTER_H
#define HERALD_ROSTER_H

#include <stddef.h>

#include "buf.h"
#include "store.h"

#define ROSTER_NOLIST		1	/* no such list */
#define ROSTER_NOTFOUND		2	/* no such member, owner or editor */
#define ROSTER_EXISTS		3	/* the list, member or admin exists */
#define ROSTER_STATE		4	/* the list's status forbids it */
#define ROSTER_LAST_OWNER	5	/* a list keeps at least one owner */

/*
 * Who makes a change, and the proof of it that its audit record keeps.
 * Only actor and channel are required; every other member may be NULL
 * (a designated initialiser, { .actor = ..., .channel = ... }, leaves
 * them so).
 *
 * auth_key is the key of the confirmation or owner approval that led to
 * the change. Keys are single-use: set it only once the key has been
 * consumed (its held request removed), so the record never holds a key
 * that still confirms something. message_id and client come from mail
 * and are stored made safe (lib/audit.h, audit_ascii()); requested_by
 * and reason must be UTF-8.
 */
struct roster_who {
	const char	*actor;		/* audit_cli_actor(), an address, ... */
	const char	*channel;	/* "cli", "mail", "web", "daemon" */
	const char	*message_id;	/* the mail that asked, without <> */
	const char	*auth_key;	/* the confirming key, once used */
	const char	*client;	/* mail: relay, envelope sender */
	const char	*requested_by;	/* who asked, when not the actor */
	const char	*reason;	/* "complaint", "bounce level 2", ... */
};

struct roster_list {
	char		id[24];
	char		name[64];
	char		domain[256];
	char		status[16];	/* open, closed, pending, ... */
	char		family[64];	/* "" if none */
	char		created_at[40];
	char		updated_at[40];
	long long	members, owners, editors;
};

/* A member, owner or editor as the listing functions give it. */
struct roster_entry {
	const char	*list_name;
	const char	*list_domain;
	const char	*list_status;
	const char	*role;		/* member, owner, editor */
	const char	*email;
	const char	*name;		/* "" if none */
	const char	*reception;	/* members: the mode; admins: "" */
	const char	*visibility;
	const char	*profile;	/* owners: privileged/normal; else "" */
	const char	*since;		/* ISO 8601 */
	const char	*attributes;	/* members: a JSON object; else "{}" */
};

typedef int roster_list_fn(const struct roster_list *l, void *arg);
typedef int roster_entry_fn(const struct roster_entry *e, void *arg);

/*
 * Checks that match the schema's domains, so a value refused here never
 * reaches the database (where it would fail the whole statement):
 * an address (lower case, one @, no space or control, <= 254 bytes), a
 * display name (UTF-8, <= 150 characters, no control character). *why
 * says what is wrong.
 */
int	roster_email_storable(const char *email, const char **why);
int	roster_name_storable(const char *name, const char **why);
/* Reception modes and visibilities the schema knows. */
int	roster_reception_valid(const char *mode);
int	roster_visibility_valid(const char *v);

/* Lists. */
int	roster_list_get(struct store *st, const char *name, const char *domain,
	    struct roster_list *out);
/* The same, locking the row until the caller's transaction ends. */
int	roster_list_lock(struct store *st, const char *name,
	    const char *domain, struct roster_list *out);
/* A new open list and its owners (privileged). ROSTER_EXISTS. */
int	roster_list_create(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, const char *const *owners,
	    size_t nowners, struct roster_list *out);
/* open/pending/error_config -> closed; ROSTER_STATE if already closed. */
int	roster_list_close(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain);
/* closed/family_closed -> open; ROSTER_STATE otherwise. */
int	roster_list_reopen(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain);

struct roster_purged {
	long long	members, owners, editors, exclusions;
};
/* Delete a closed list and everything hanging from it (ROSTER_STATE). */
int	roster_list_purge(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, struct roster_purged *out);
/* A new name, a new domain or both; ROSTER_EXISTS if taken. */
int	roster_list_rename(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, const char *newname,
	    const char *newdomain);
/* Lists by domain and name; domain and status NULL for all. */
int	roster_list_ls(struct store *st, const char *domain,
	    const char *status, roster_list_fn *fn, void *arg);

/*
 * Families (herald family): lists made from a family's template. A row as
 * the family commands see it; every string is valid during the callback
 * only; reason is the list's status_reason, "" if none.
 */
struct roster_family_row {
	const char	*id;
	const char	*name;
	const char	*status;
	const char	*family;	/* "" for a list of no family */
	const char	*reason;
};
typedef int roster_family_fn(const struct roster_family_row *r, void *arg);
/* The lists of domain, every one (family NULL) or family's, by name. */
int	roster_family_lists(struct store *st, const char *domain,
	    const char *family, roster_family_fn *fn, void *arg);
/*
 * A new list of family with status (open, closed, pending or
 * error_config) and reason (NULL for none), its owners privileged, and
 * its audit record (list.create, with the family). id (24 bytes) gets
 * the new row's id. ROSTER_EXISTS if the name is taken.
 */
int	roster_family_create(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, const char *family,
	    const char *status, const char *reason, const char *const *owners,
	    size_t nowners, char id[24]);
/*
 * Set the status (and reason, NULL for none) of list id, known to be in
 * status from; audited as list.close (to closed or family_closed),
 * list.reopen (from those to another) or list.status, with from, to and
 * the reason.
 */
int	roster_family_set_status(struct store *st, const struct roster_who *who,
	    const char *id, const char *name, const char *domain,
	    const char *from, const char *to, const char *reason);
/* An audit record about list id (details a JSON object, or NULL). */
int	roster_family_audit(struct store *st, const struct roster_who *who,
	    const char *id, const char *name, const char *domain,
	    const char *action, const char *details);

/* Members. Changes are refused (ROSTER_STATE) on a closed list. */
int	roster_member_add(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, const char *email,
	    const char *gecos, const char *attributes);
int	roster_member_del(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, const char *email);
/* reception and visibility may each be NULL (left as they are). */
int	roster_member_set(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, const char *email,
	    const char *reception, const char *visibility);
int	roster_member_ls(struct store *st, const char *name,
	    const char *domain, roster_entry_fn *fn, void *arg);
/*
 * Every membership of the domain's open lists, by address and then list
 * name, so that one address's lists come together.
 */
int	roster_domain_members(struct store *st, const char *domain,
	    roster_entry_fn *fn, void *arg);
/* Members of every list whose address contains pattern (lower-cased). */
int	roster_member_find(struct store *st, const char *pattern,
	    roster_entry_fn *fn, void *arg);

/*
 * A batch of new members for one list, already checked (storable, no
 * address twice in the batch). The caller holds the list with
 * roster_list_lock() in its transaction and may call this many times;
 * each member added gets its audit record (action member.add, with
 * source and line in its details). *added counts the rows added; the
 * others were members already.
 */
struct roster_import_row {
	const char	*email;
	const char	*name;		/* NULL for none */
	const char	*attributes;	/* a JSON object, or NULL */
	const char	*reception;	/* NULL for the default (mail) */
	const char	*visibility;	/* NULL for the default (noconceal) */
	unsigned long	 line;		/* in the source file */
};
int	roster_member_import(struct store *st, const struct roster_who *who,
	    const struct roster_list *l, const char *source,
	    const struct roster_import_row *rows, size_t n, long long *added);

/*
 * The members of a list as rows of text for a CSV export: first the
 * header (email, name, reception, visibility, then every custom
 * attribute key of the list, sorted), then one row per member, by
 * address. An attribute a member lacks is "".
 */
typedef int roster_row_fn(const char *const *fields, size_t n, void *arg);
int	roster_member_export(struct store *st, const char *name,
	    const char *domain, roster_row_fn *fn, void *arg);

/* Owners and editors: role is "owner" or "editor". */
int	roster_admin_add(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, const char *role,
	    const char *email, const char *profile, const char *gecos);
int	roster_admin_del(struct store *st, const struct roster_who *who,
	    const char *name, const char *domain, const char *role,
	    const char *email);
/* role NULL: both. */
int	roster_admin_ls(struct store *st, const char *name, const char *domain,
	    const char *role, roster_entry_fn *fn, void *arg);

/* Every list of an address, with its role there (member, owner, editor). */
int	roster_which(struct store *st, const char *email, roster_entry_fn *fn,
	    void *arg);

/*
 * What command lines share. roster_canonical_email: an address as typed
 * into its stored form (lower case, checked for subscription use and for
 * the schema); -1 with *why. roster_list_arg: "name[@domain]" split and
 * checked (lib/listname.h), default_domain for a bare name; -1 with *why.
 * roster_sysexit: the <sysexits.h> status of a result; roster_strerror:
 * a refusal's text ("" for the store's own failures, already logged).
 */
int	roster_canonical_email(const char *in, struct buf *out,
	    const char **why);
int	roster_list_arg(const char *arg, const char *default_domain,
	    struct buf *name, struct buf *domain, const char **why);
int	roster_sysexit(int rc);
const char *roster_strerror(int rc);

#endif
