/*
 * held.c - posts waiting for a moderator or for their sender.
 *
 * Holding: the key row and the notice's bulk job are written in one
 * transaction, then the entry moves (rename) into the moderation or auth
 * spool under its own name. The notice's job carries the entry's name
 * with "/held" as spool_id: a crash after the commit and before the move
 * makes the retry find it, and move the entry without a second key or a
 * second notice.
 *
 * Releasing: DISTRIBUTE and CONFIRM claim the held entry by its name and
 * hand it to deliver_post() or to the send scenario again (now as md5,
 * Sympa's method for a confirmed post); the key is deleted in the
 * transaction that writes the job. REJECT deletes the key, then the
 * entry, and tells the author unless the post was spam.
 *
 * Sweeping: task_manager's purge_keys deletes the keys that expired, and
 * cannot reach the entries (they are on the host that held them). Every
 * distribute sweeps its own spools: an entry no hold names any more goes
 * to bad/ with the reason, kept, never deleted. Releases claim the entry
 * before they delete its key, and holding writes the key before the
 * entry arrives, so an entry in new/ without a key is forgotten for good.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "distribute.h"
#include "listconf.h"
#include "log.h"
#include "robot.h"

/* Entries of a held spool looked at in one sweep. */
#define HELD_SWEEP_MAX	100000

static struct spool *
held_spool(struct dist *d, enum hold_kind kind)
{
	return kind == HOLD_MODERATION ? &d->moderation : &d->auth;
}

/* Who is told: the moderators, or the author for a confirmation. */
static int
held_recipients(struct dist *d, struct inmsg *im, enum hold_kind kind,
    char ***rcpts, size_t *n)
{
	if (kind == HOLD_MODERATION)
		return service_admins(d, im->list_id, "editor", rcpts, n);
	*rcpts = NULL;
	*n = 0;
	service_add_rcpt(rcpts, n, im->from);
	return STORE_OK;
}

enum dist_fate
held_put(struct dist *d, struct inmsg *im, enum hold_kind kind)
{
	struct hold h;
	struct buf notice = BUF_INIT(1024 * 1024 * 1024);
	char **rcpts = NULL;
	size_t n = 0;
	enum dist_fate f;
	int rc;

	/* A confirmation request to a robot or a spammer is backscatter. */
	if (kind == HOLD_AUTH && !service_may_reply(d, im))
		return dist_fail(im, DIST_BAD, "confirmation asked of a sender "
		    "who gets no automatic mail (automaton or spam)");
	memset(&h, 0, sizeof(h));
	h.kind = kind;
	if (hold_key_new(h.key) == -1)
		return dist_fail(im, DIST_RETRY, "no randomness for a key");
	snprintf(h.list_id, sizeof(h.list_id), "%s", im->list_id);
	snprintf(h.spool_name, sizeof(h.spool_name), "%s", im->id);
	snprintf(h.sender, sizeof(h.sender), "%s", im->from);
	snprintf(h.message_id, sizeof(h.message_id), "%s", im->message_id);
	snprintf(h.subject, sizeof(h.subject), "%s", im->subject);
	h.spam = im->is_spam;

	if ((rc = held_recipients(d, im, kind, &rcpts, &n)) != STORE_OK)
		return dist_store_fail(d, im, rc, "moderators");
	if (service_compose(d, im, kind == HOLD_MODERATION ? DN_MODERATE :
	    DN_AUTH_REQUEST, h.key, kind == HOLD_MODERATION ? NULL : im->from,
	    &notice) == -1) {
		service_free_rcpts(rcpts, n);
		buf_free(&notice);
		return dist_fail(im, DIST_BAD, "cannot compose the %s notice",
		    hold_kind_name(kind));
	}
	f = held_store(d, im, &h, &notice, (const char *const *)rcpts, n);
	service_free_rcpts(rcpts, n);
	buf_free(&notice);
	return f;
}

enum dist_fate
held_store(struct dist *d, struct inmsg *im, const struct hold *h,
    const struct buf *notice, const char *const *rcpts, size_t n)
{
	struct buf jid = BUF_INIT(512);
	struct packet_job job;
	struct packet_outcome oc;
	int rc;

	buf_printf(&jid, "%s/held", im->id);
	memset(&job, 0, sizeof(job));
	job.spool_id = buf_cstr(&jid);
	job.kind = h->kind == HOLD_MODERATION ? "notice" : "auth";
	job.list_id = h->list_id[0] ? h->list_id : NULL;
	job.list_name = im->route.list[0] ? im->route.list : NULL;
	job.domain = im->route.domain;
	job.message = notice->data;
	job.message_len = notice->len;
	job.return_path = "";
	/* Moderators and senders wait for this one: ahead of every post. */
	job.priority = 0;
	memset(&oc, 0, sizeof(oc));
	rc = store_begin(d->st);
	if (rc == STORE_OK && n > 0)
		rc = packet_job_create_to(d->st, &job, rcpts, n, &d->limits, &oc);
	if (rc == STORE_OK && !oc.already && im->released != NULL)
		rc = hold_delete(d->st, im->released->key);
	if (rc == STORE_OK && !oc.already)
		rc = hold_put(d->st, h, (int)config_int(d->cf, CF_KEY_DAYS));
	if (rc == STORE_OK && oc.already)
		rc = store_rollback(d->st);
	else if (rc == STORE_OK)
		rc = store_commit(d->st);
	else
		store_rollback(d->st);
	buf_free(&jid);
	if (rc != STORE_OK)
		return dist_store_fail(d, im, rc, "holding");
	if (spool_pass(im->e, held_spool(d, h->kind)) == -1)
		return dist_fail(im, DIST_RETRY, "cannot move into %s: %s",
		    held_spool(d, h->kind)->path, strerror(errno));
	log_info("held for %s%s, key sent to %zu address%s",
	    h->kind == HOLD_MODERATION ? "the moderators" : "its sender",
	    im->is_spam ? " (spam: not attached)" : "", n, n == 1 ? "" : "es");
	return DIST_KEPT;
}

/* Read a held entry into im as the msg spool's reader would. */
static int
held_read(struct dist *d, struct spool_entry *e, const struct hold *h,
    struct inmsg *im, struct buf *why)
{
	struct buf err = BUF_INIT(1024);
	size_t max = (size_t)config_int(d->cf, CF_QUEUE_MAX_SIZE);
	int rc = -1;

	memset(im, 0, sizeof(*im));
	im->e = e;
	im->id = e->name;
	buf_init(&im->data, max);
	if (spool_read(e, max, &im->data, &err) == -1)
		buf_printf(why, "unreadable: %s", buf_cstr(&err));
	else if ((im->m = msg_parse(im->data.data, im->data.len, NULL,
	    &err)) == NULL)
		buf_printf(why, "unparsable: %s", buf_cstr(&err));
	else
		rc = 0;
	buf_free(&err);
	if (rc == -1)
		return -1;
	if (h->kind == HOLD_COMMANDS) {
		/* A command message: its envelope says where it went. */
		if (route_address(&d->rcfg, e->env.recipient,
		    strlen(e->env.recipient), &im->route) == ROUTE_INVALID) {
			buf_printf(why, "unroutable: %s", im->route.reason);
			return -1;
		}
		snprintf(im->rcpt, sizeof(im->rcpt), "%s", e->env.recipient);
	} else {
		im->route.kind = ROUTE_POST;
		snprintf(im->route.list, sizeof(im->route.list), "%.*s",
		    (int)sizeof(im->route.list) - 1, h->list_name);
		snprintf(im->route.domain, sizeof(im->route.domain), "%.*s",
		    (int)sizeof(im->route.domain) - 1, h->domain);
	}
	snprintf(im->from, sizeof(im->from), "%s", h->sender);
	snprintf(im->message_id, sizeof(im->message_id), "%s", h->message_id);
	snprintf(im->subject, sizeof(im->subject), "%s", h->subject);
	snprintf(im->env_sender, sizeof(im->env_sender), "%s",
	    e->env.sender ? e->env.sender : "");
	im->is_spam = h->spam;
	im->spam = h->spam ? "spam" : "ham";
	return 0;
}

/* What a released entry becomes. */
static enum dist_fate
held_release(struct dist *d, struct robot_run *r, struct inmsg *im,
    const struct hold *h, const char *verb)
{
	enum dist_fate f;
	int rc;

	im->released = h;
	if (h->kind == HOLD_COMMANDS)
		return robot_release(r, im, h);
	if (post_find_list(d, im, &f) == -1)
		return f;
	if (strcasecmp(verb, "DISTRIBUTE") == 0) {
		im->validated = 1;
		im->auth = SCENARIO_AUTH_MD5;
		return deliver_post(d, im);
	}
	if (strcasecmp(verb, "CONFIRM") == 0) {
		im->auth = SCENARIO_AUTH_MD5;
		return post_authorize(d, im);
	}
	/* REJECT */
	if ((rc = hold_delete(d->st, h->key)) != STORE_OK)
		return dist_store_fail(d, im, rc, "key");
	if (!h->spam)
		service_reply(d, im, DN_REJECTED_BY_MODERATOR, NULL);
	log_info("rejected by a moderator");
	return DIST_DONE;
}

/* The hold a command quotes: CONFIRM is a post's or a command message's. */
static int
held_find(struct dist *d, const char *verb, const char *key, struct hold *h,
    int *found)
{
	int rc;

	if (strcasecmp(verb, "CONFIRM") != 0)
		return hold_get(d->st, HOLD_MODERATION, key, h, found);
	rc = hold_get(d->st, HOLD_AUTH, key, h, found);
	if (rc == STORE_OK && !*found)
		rc = hold_get(d->st, HOLD_COMMANDS, key, h, found);
	return rc;
}

enum held_outcome
held_command(struct dist *d, struct robot_run *r, const char *verb,
    const char *key, const char *list, struct held_result *res)
{
	struct inmsg *cmd = r->im;
	struct buf why = BUF_INIT(1024);
	struct spool_entry e;
	struct inmsg im;
	struct hold *h = &res->h;
	enum dist_fate f;
	int found = 0, rc;

	memset(res, 0, sizeof(*res));
	if ((rc = held_find(d, verb, key, h, &found)) != STORE_OK) {
		dist_store_fail(d, cmd, rc, "key lookup");
		return res->outcome = rc == STORE_TEMP ? HELD_RETRY : HELD_ERROR;
	}
	if (!found)
		return res->outcome = HELD_NOKEY;
	/* Sympa takes the key alone; Herald also wants it to be the list's. */
	if (list != NULL && (strcasecmp(list, h->list_name) != 0 ||
	    strcasecmp(r->domain, h->domain) != 0))
		return res->outcome = HELD_OTHER_LIST;
	if ((rc = spool_claim(held_spool(d, h->kind), h->spool_name, &e)) != 0) {
		if (rc == -1)
			log_error("%s: cannot claim %s: %s",
			    held_spool(d, h->kind)->path, h->spool_name,
			    strerror(errno));
		return res->outcome = HELD_BUSY;
	}
	if (held_read(d, &e, h, &im, &why) == -1) {
		log_warn("held %s: %s", h->spool_name, buf_cstr(&why));
		spool_reject(&e, DIST_PROGRAM, buf_cstr(&why));
		hold_delete(d->st, h->key);
		res->outcome = HELD_DAMAGED;
	} else {
		f = held_release(d, r, &im, h, verb);
		switch (f) {
		case DIST_DONE:
			spool_done(&e);
			res->outcome = HELD_DONE;
			break;
		case DIST_KEPT:
			res->outcome = HELD_MODERATED;
			break;
		case DIST_RETRY:
			spool_release(&e);
			snprintf(cmd->why, sizeof(cmd->why), "%s", im.why);
			res->outcome = HELD_RETRY;
			break;
		case DIST_BAD:
			spool_reject(&e, DIST_PROGRAM, im.why);
			snprintf(res->reason, sizeof(res->reason), "%s", im.why);
			res->outcome = HELD_REFUSED;
			break;
		}
	}
	log_context(cmd->id, NULL);
	msg_free(im.m);
	buf_free(&im.data);
	spool_entry_free(&e);
	buf_free(&why);
	return res->outcome;
}

/* One held spool: its entries that no hold names go to bad/. */
static int
held_sweep_spool(struct dist *d, struct spool *s, size_t *swept)
{
	struct spool_entry e;
	char **names;
	size_t n = 0;
	int found, rc = STORE_OK;

	if ((names = spool_scan(s, HELD_SWEEP_MAX, &n)) == NULL) {
		log_error("cannot scan %s: %s", s->path, strerror(errno));
		return STORE_OK;
	}
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		if ((rc = hold_names_entry(d->st, names[i], &found)) !=
		    STORE_OK || found)
			continue;
		if (spool_claim(s, names[i], &e) != 0)
			continue;
		log_context(names[i], NULL);
		if (spool_reject(&e, DIST_PROGRAM, "held, and its key expired "
		    "before anyone confirmed or moderated it") == 0)
			(*swept)++;
		log_context(NULL, NULL);
		spool_entry_free(&e);
	}
	spool_free_names(names, n);
	return rc;
}

void
held_sweep(struct dist *d)
{
	size_t swept = 0;
	int rc;

	if ((rc = held_sweep_spool(d, &d->moderation, &swept)) == STORE_OK)
		rc = held_sweep_spool(d, &d->auth, &swept);
	if (rc != STORE_OK)
		log_warn("held entries not swept: %s", store_error(d->st));
	if (swept > 0)
		log_info("%zu held entries whose key expired moved to bad/",
		    swept);
}
