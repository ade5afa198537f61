/*
 * batch.c - the transaction in hand and the entries recorded in it.
 *
 * handle.c records each report inside the batch's transaction and hands
 * the claimed entry over; the entries stay in cur/ until the commit, then
 * go together. The order that keeps a crash harmless:
 *
 *  1. the members' latest reports, written during the batch, reach the
 *     disk (one syncfs);
 *  2. COMMIT;
 *  3. the entries are unlinked, and their directory fsynced once.
 *
 * A crash before 2 leaves every entry in cur/ and nothing in the database:
 * the recovery hands them to the next pass, which writes the same files
 * again. A crash between 2 and 3 records those reports twice, as it did
 * with one transaction per report. A failure rolls the whole batch back
 * and returns its entries to new/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounced.h"
#include "log.h"
#include "mem.h"

int
bd_batch_join(struct bd *b)
{
	if (store_in_transaction(b->st))
		return STORE_OK;
	return store_begin(b->st);
}

void
bd_batch_add(struct bd *b, struct spool_entry *e, const char *list,
    const struct buf *log)
{
	struct bd_batch *bt = &b->batch;
	struct bd_pending *p;

	bt->v = xreallocarray(bt->v, bt->n + 1, sizeof(*bt->v));
	p = &bt->v[bt->n++];
	p->e = *e;
	snprintf(p->list, sizeof(p->list), "%s", list);
	buf_init(&p->log, log->max);
	if (log->len > 0 && buf_append(&p->log, log->data, log->len) < 0)
		buf_reset(&p->log);
}

/* Forget the batch's entries (their spool files are dealt with) and list. */
static void
batch_clear(struct bd_batch *bt)
{
	for (size_t i = 0; i < bt->n; i++) {
		spool_entry_free(&bt->v[i].e);
		buf_free(&bt->v[i].log);
	}
	free(bt->v);
	bt->v = NULL;
	bt->n = 0;
	bt->keep_unsynced = 0;
	bt->list[0] = bt->domain[0] = bt->list_id[0] = '\0';
}

/* The lines of an entry, one log line each, under its name and list. */
static void
log_lines(const struct bd_pending *p)
{
	const char *s = buf_cstr(&p->log), *nl;

	log_context(p->e.name, p->list);
	for (; *s != '\0'; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s);
		log_info("%.*s", (int)(nl - s), s);
		if (*nl == '\0')
			break;
	}
	log_context(NULL, NULL);
}

void
bd_batch_abort(struct bd *b)
{
	struct bd_batch *bt = &b->batch;

	if (store_in_transaction(b->st))
		store_rollback(b->st);
	for (size_t i = 0; i < bt->n; i++)
		if (spool_release(&bt->v[i].e) == -1)
			log_error("%s: cannot release the entry: %s",
			    bt->v[i].e.name, strerror(errno));
	if (bt->n > 0)
		log_warn("%zu entr%s of the batch back in new/ for the next "
		    "pass", bt->n, bt->n == 1 ? "y" : "ies");
	batch_clear(bt);
}

enum bd_fate
bd_batch_end(struct bd *b)
{
	struct bd_batch *bt = &b->batch;
	int rc;

	if (bt->n == 0 && !store_in_transaction(b->st)) {
		batch_clear(bt);
		return BD_DONE;
	}
	if (bt->keep_unsynced && bd_keep_sync(b) == -1) {
		bd_batch_abort(b);
		return BD_RETRY;
	}
	if ((rc = store_commit(b->st)) != STORE_OK) {
		log_warn("cannot commit %zu bounce report%s: %s", bt->n,
		    bt->n == 1 ? "" : "s", store_error(b->st));
		bd_batch_abort(b);
		return BD_RETRY;
	}
	for (size_t i = 0; i < bt->n; i++) {
		log_lines(&bt->v[i]);
		if (spool_drop(&bt->v[i].e) == -1)
			log_error("%s: cannot remove the entry: %s",
			    bt->v[i].e.name, strerror(errno));
	}
	if (bt->n > 0 && spool_sync_removals(&b->bounce) == -1)
		log_error("cannot sync the removals from cur/: %s",
		    strerror(errno));
	batch_clear(bt);
	return BD_DONE;
}

int
bd_batch_list_id(struct bd *b, const char *list, const char *domain,
    char id[24])
{
	struct bd_batch *bt = &b->batch;
	int rc;

	if (bt->list_id[0] != '\0' && strcmp(bt->list, list) == 0 &&
	    strcmp(bt->domain, domain) == 0) {
		memcpy(id, bt->list_id, sizeof(bt->list_id));
		return STORE_OK;
	}
	if ((rc = bouncedb_list_id(b->st, list, domain, id)) != STORE_OK)
		return rc;
	snprintf(bt->list, sizeof(bt->list), "%s", list);
	snprintf(bt->domain, sizeof(bt->domain), "%s", domain);
	memcpy(bt->list_id, id, sizeof(bt->list_id));
	return STORE_OK;
}
