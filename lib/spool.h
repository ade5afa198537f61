/*
 * spool - maildir-style spools: how the MTA hands mail to Herald and how
 * Herald's programs hand it on. The layout is specified in
 * spool-layout/spools.def and herald-spool(5).
 *
 * A spool is a directory with tmp/, new/ and cur/. A state is where a file
 * is:
 *   write	create in tmp/ (O_EXCL), write, fsync, rename into new/, fsync new/
 *   claim	rename new/NAME to cur/NAME,WORKER: rename(2) is atomic, so two
 *		workers can never claim the same entry
 *   done	unlink from cur/ (and fsync cur/), or rename into the next spool
 *   failed	rename into bad/new/SPOOL.NAME beside SPOOL.NAME.reason
 *   recover	at start, cur/ entries of this host's dead workers go back to new/
 *
 * Entry names sort by priority, then time: P.SSSSSSSSSS.UUUUUU.PID.RAND.HOST
 * (P is 0..9, 0 first). An entry file carries its envelope and a length and
 * an end marker, so a torn or truncated file is never taken for a message:
 *
 *   HERALD-SPOOL 1\n
 *   recipient: list@example.org\n	the address the MTA delivered to
 *   original-recipient: ...\n	optional: the address before aliasing, with
 *					its extension (bounce+token@...), when known
 *   sender: alice@example.org\n	envelope sender, empty for <>
 *   received: 1732272000.123456\n	when it was spooled
 *   host: mx1.example.org\n		who spooled it
 *   program: queue\n
 *   size: 00000000000000001234\n	the message's length in bytes
 *   \n
 *   <the message, exactly size bytes>
 *   HERALD-END\n
 */
#ifndef HERALD_SPOOL_H
#define HERALD_SPOOL_H

#include <stddef.h>
#include <sys/time.h>
#include <sys/types.h>

#include "buf.h"

enum spool_id {
#define SPOOL(id, name, writers, readers, doc) SPOOL_##id,
#include "spools.def"
#undef SPOOL
	SPOOL_COUNT
};

#define SPOOL_NAME_MAX		255
#define SPOOL_FIELD_MAX		1024	/* an envelope value */
#define SPOOL_DEFAULT_PRIORITY	5

struct spool {
	enum spool_id	 id;
	char		*path;		/* ROOT/NAME */
	int		 tmp_fd, new_fd, cur_fd;	/* the three directories */
	int		 bad_tmp_fd, bad_new_fd;	/* where failures go */
	char		*host;		/* this host, as it appears in names */
	char		*worker;	/* this process's claim suffix, set by the first claim */
};

struct spool_envelope {
	char		*recipient;
	char		*original_recipient;	/* as the MTA received it (VERP), or NULL */
	char		*sender;	/* "" for the null sender */
	struct timeval	 received;
	char		*host;
	char		*program;
};

struct spool_writer {
	struct spool	*spool;
	int		 fd;
	char		 name[SPOOL_NAME_MAX + 1];
	size_t		 header_len;	/* where the message starts */
	size_t		 size;		/* message bytes written so far */
	char		*pending;	/* write buffer */
	size_t		 npending;
	int		 failed;	/* errno of the first failure, 0 if none */
};

struct spool_entry {
	struct spool	*spool;
	char		 name[SPOOL_NAME_MAX + 1];	/* as in new/ */
	char		 claimed[SPOOL_NAME_MAX + 1];	/* as in cur/ */
	struct spool_envelope env;
};

const char *spool_name(enum spool_id id);
const char *spool_doc(enum spool_id id);
/* SPOOL_* of a name such as "msg"; -1 if none. */
int spool_lookup(const char *name);

/* Open ROOT/NAME (it must exist: `herald spool init` creates it). */
int spool_open(struct spool *s, const char *root, enum spool_id id,
	    const char *hostname, struct buf *err);
/* The same for a program that only writes entries (no claim, no reject). */
int spool_open_writer(struct spool *s, const char *root, enum spool_id id,
	    const char *hostname, struct buf *err);
void spool_close(struct spool *s);

/* Create (or repair the modes and owner of) the whole tree under root. */
int spool_init_tree(const char *root, uid_t uid, gid_t gid, struct buf *err);
/* One directory of the tree: created if missing (0750), owner set, mode repaired. */
int spool_init_tree_dir(const char *path, uid_t uid, gid_t gid, struct buf *err);

/* Writing. On failure errno says why (ENOSPC, EFBIG, EACCES, ...). */
int spool_create(struct spool *s, int priority, const struct spool_envelope *env,
	    struct spool_writer *w);
int spool_write(struct spool_writer *w, const void *data, size_t n);
/* Seal, fsync, move into new/; the entry's name is w->name. */
int spool_commit(struct spool_writer *w);
/* Forget the entry: nothing is left behind. */
void spool_abort(struct spool_writer *w);

/* Reading. */
/*
 * The names in new/, sorted (priority, then age), at most max; NULL only on
 * error. Free with spool_free_names.
 */
char **spool_scan(struct spool *s, size_t max, size_t *count);
void spool_free_names(char **names, size_t count);
/* 0 claimed; 1 another worker was first; -1 error. */
int spool_claim(struct spool *s, const char *name, struct spool_entry *e);
/*
 * Read and check a claimed entry: the envelope into e->env, the message
 * into msg (up to max bytes). -1 with the reason in err if the entry is
 * torn, truncated, too large or not an entry at all.
 */
int spool_read(struct spool_entry *e, size_t max, struct buf *msg, struct buf *err);
int spool_done(struct spool_entry *e);
/*
 * Remove a claimed entry without waiting for the directory to reach the
 * disk: for an entry whose handling is cheap and harmless to repeat (a
 * forged bounce dropped), where a crash would only see it again.
 */
int spool_drop(struct spool_entry *e);
/*
 * Make the removals of spool_drop reach the disk: one directory fsync for
 * a batch of entries whose work was committed together.
 */
int spool_sync_removals(struct spool *s);
/* Give a claimed entry back to new/, for a later try (a temporary failure). */
int spool_release(struct spool_entry *e);
int spool_pass(struct spool_entry *e, struct spool *next);
/* Move into bad/ with a reason file: what failed, when, which program, which host. */
int spool_reject(struct spool_entry *e, const char *program, const char *reason);
void spool_entry_free(struct spool_entry *e);

/*
 * Return cur/ entries of this host's dead workers to new/ and remove tmp/
 * files older than max_tmp_age seconds (their writers died before
 * committing, so the MTA still has the mail). Returns the number returned.
 */
int spool_recover(struct spool *s, time_t max_tmp_age);

/* Parse an entry's header from a buffer; for spool_read and the fuzzer. */
int spool_parse(const char *data, size_t len, struct spool_envelope *env,
	    size_t *msg_off, size_t *msg_len, struct buf *err);
void spool_envelope_free(struct spool_envelope *env);

#endif
