/*
 * send.c - connections, the choice of the next transaction, and results.
 *
 * Claiming. A packet is claimed only when a connection is idle and no
 * planned transaction can start, so a process holds few packets (at most
 * two per connection) and the priority order is looked at again for
 * every packet: an urgent post claimed now goes before the rest of a
 * large job.
 *
 * Results. The answers of a transaction are recorded in the database as
 * soon as the relay has given its final reply, by a second connection
 * (the recorder) that takes every packet's waiting answers in one
 * statement (bulkq_record_send) while the loop goes on; a packet whose
 * last answers leave nobody deferred is ended as done by that statement
 * too. A packet to retry or give back is ended on the main connection
 * (bulkq_finish, bulkq_release), its last answers in the same database
 * transaction. A kill -9 can thus repeat only what was in flight. When the database is away, the answers wait in memory and are
 * recorded when it is back; no new packet is claimed and no transaction
 * starts meanwhile, since every message sent then is one whose answer
 * may be lost with the process (or with the lease: another process takes
 * the packet over once it expires). For the same reason a transaction
 * starts only while its packet's lease was confirmed less than two
 * thirds of bulk_lease ago: the last third is for the transaction and
 * its record.
 *
 * The relay. A connection that cannot be made marks the relay down when
 * no other connection is up: the planned transactions get a temporary
 * failure (their packets come back after a backoff, as an MTA's queue
 * would), no packet is claimed, and one connection is tried again after
 * 1, 2, 4 ... 60 seconds.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <event2/event.h>

#include "bulk.h"
#include "log.h"
#include "mem.h"

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Packets a process holds per connection, at most. */
#define BULK_PACKETS_PER_CONN	2
/* Claims tried in one go when claimed packets turn out empty. */
#define BULK_CLAIM_TRIES	16

static void packet_end(struct bulk *b, struct bulk_packet *pk);
static void sending_clear(struct bulk_packet *pk);
static void smtp_result(struct smtp_session *s, const struct smtp_result *res,
    void *arg);

/* -- domains ----------------------------------------------------------- */

static struct bulk_domain *
domain_state(struct bulk *b, const char *domain)
{
	struct bulk_domain *ds = strmap_get(b->domains, domain);

	if (ds == NULL) {
		ds = xcalloc(1, sizeof(*ds));
		strmap_put(b->domains, domain, ds);
	}
	return ds;
}

/* Whether t may start now under its domain's concurrency. */
static int
domain_may_start(struct bulk *b, const struct bulk_txn *t)
{
	struct bulk_domain *ds = strmap_get(b->domains, t->domain);
	int limit = t->limit;

	if (ds != NULL && ds->slow_until > time(NULL))
		limit = 1;
	return limit == 0 || ds == NULL || ds->inflight < limit;
}

static void
domain_started(struct bulk *b, const struct bulk_txn *t)
{
	struct bulk_domain *ds = strmap_get(b->domains, t->domain);

	if (ds != NULL || t->limit > 0)
		(ds != NULL ? ds : domain_state(b, t->domain))->inflight++;
}

static void
domain_ended(struct bulk *b, const struct bulk_txn *t, int slow)
{
	struct bulk_domain *ds = strmap_get(b->domains, t->domain);

	if (ds == NULL && slow)
		ds = domain_state(b, t->domain);
	if (ds == NULL)
		return;
	if (ds->inflight > 0)
		ds->inflight--;
	if (slow) {
		if (ds->slow_until <= time(NULL))
			log_warn("%s: the relay asks to slow down: one "
			    "transaction at a time for %d s", t->domain,
			    BULK_SLOW_SECONDS);
		ds->slow_until = time(NULL) + BULK_SLOW_SECONDS;
	}
}

/* -- packets in hand --------------------------------------------------- */

static void
answers_clear(struct bulk_packet *pk)
{
	for (size_t i = 0; i < pk->nanswers; i++) {
		free(pk->answers[i].email);
		free(pk->answers[i].status);
	}
	pk->nanswers = 0;
}

static void
answer_add(struct bulk_packet *pk, const char *email, int code,
    const char *status)
{
	if (pk->nanswers == pk->cap) {
		pk->cap = pk->cap ? 2 * pk->cap : 16;
		pk->answers = xreallocarray(pk->answers, pk->cap,
		    sizeof(*pk->answers));
	}
	pk->answers[pk->nanswers].email = xstrdup(email);
	pk->answers[pk->nanswers].code = code;
	pk->answers[pk->nanswers].status = xstrdup(status);
	pk->nanswers++;
}

/* Drop the packet's planned transactions (lease lost, stopping). */
static void
packet_drop_planned(struct bulk *b, struct bulk_packet *pk)
{
	struct bulk_txn *t, *next;

	for (t = TAILQ_FIRST(&b->txns); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		if (t->pk != pk)
			continue;
		TAILQ_REMOVE(&b->txns, t, entry);
		bulk_txn_free(t);
		pk->planned--;
		pk->dropped = 1;
	}
}

/* Not ours any more: nothing more of it is sent. */
static void
packet_lost(struct bulk *b, struct bulk_packet *pk)
{
	pk->lost = 1;
	packet_drop_planned(b, pk);
}

static void
packet_free(struct bulk *b, struct bulk_packet *pk)
{
	TAILQ_REMOVE(&b->packets, pk, entry);
	b->npackets--;
	answers_clear(pk);
	free(pk->answers);
	sending_clear(pk);
	bulk_job_put(b, pk->job);
	bulkq_packet_free(&pk->q);
	free(pk);
}

/* The answers as bulkq takes them (the strings stay the answers'). */
static struct bulkq_result *
results_of(const struct bulk_answer *a, size_t n)
{
	struct bulkq_result *res = xcalloc(n ? n : 1, sizeof(*res));

	for (size_t i = 0; i < n; i++) {
		res[i].email = a[i].email;
		res[i].code = a[i].code;
		res[i].status = a[i].status;
	}
	return res;
}

/*
 * Note per-domain backoff when a transaction was deferred as a whole, and
 * lift it where we set it and a domain is answering again. Advice only.
 */
static void
note_domains(struct bulk *b, const struct bulkq_result *res, size_t n)
{
	int deferred = 0, known = 0;

	for (size_t i = 0; i < n; i++) {
		const char *at = strrchr(res[i].email, '@');

		deferred |= bulkq_state_of(res[i].code) == BULKQ_DEFERRED;
		if (at != NULL && strmap_get(b->backoff_noted, at + 1) != NULL)
			known = 1;
	}
	if (!deferred && !known)
		return;
	if (bulkq_note_domains(b->st, res, n, &b->policy) != STORE_OK) {
		log_warn("cannot note domain backoff: %s", store_error(b->st));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *at = strrchr(res[i].email, '@');

		if (at == NULL)
			continue;
		if (bulkq_state_of(res[i].code) == BULKQ_DEFERRED)
			strmap_put(b->backoff_noted, at + 1, (void *)1);
		else
			strmap_put(b->backoff_noted, at + 1, NULL);
	}
}

static void
packet_log_end(const struct bulk_packet *pk, enum bulkq_end how)
{
	log_info("packet %lld job %lld%s%s: %lld sent, %lld deferred, %lld "
	    "failed%s", pk->q.id, pk->q.job_id, pk->q.list_name ? " list " : "",
	    pk->q.list_name ? pk->q.list_name : "", pk->sent, pk->deferred,
	    pk->failed, how == BULKQ_RETRY ? "; will retry" :
	    how == BULKQ_GAVE_UP ? "; gave up" : "");
}

/*
 * Record the packet's answers and, when end is set, end its claim (given
 * back untouched when transactions were left unsent), in one database
 * transaction. 0 when done, -1 when it must be tried again (the database
 * is away), and the packet is marked lost when it is no longer ours.
 */
static int
packet_settle(struct bulk *b, struct bulk_packet *pk, int end)
{
	struct bulkq_result *res = NULL;
	enum bulkq_end how = BULKQ_DONE;
	int rc;

	if (pk->nanswers == 0 && !end)
		return 0;
	if (pk->nanswers > 0)
		res = results_of(pk->answers, pk->nanswers);
	/* Answers alone are one statement; with the end, one transaction. */
	rc = end ? store_begin(b->st) : STORE_OK;
	if (rc == STORE_OK && pk->nanswers > 0)
		rc = bulkq_record(b->st, &pk->q, res, pk->nanswers, NULL);
	if (rc == STORE_OK && end)
		rc = pk->dropped ? bulkq_release(b->st, &pk->q) :
		    bulkq_finish(b->st, &pk->q, &b->policy, &how);
	if (end && rc == STORE_OK)
		rc = store_commit(b->st);
	else if (end)
		store_rollback(b->st);
	if (rc == STORE_OK && res != NULL)
		note_domains(b, res, pk->nanswers);
	free(res);
	switch (rc) {
	case STORE_OK:
		answers_clear(pk);
		if (end && !pk->dropped)
			packet_log_end(pk, how);
		b->db_down = 0;
		return 0;
	case STORE_TEMP:
		if (!b->db_down)
			log_warn("database unavailable (%s): answers kept until "
			    "it is back", store_error(b->st));
		b->db_down = 1;
		return -1;
	default:
		/* Not ours any more, or refused: its recipients are resent. */
		log_error("packet %lld: %s; left to its next claim", pk->q.id,
		    rc == BULKQ_LOST ? "lease lost" : store_error(b->st));
		answers_clear(pk);
		packet_lost(b, pk);
		return 0;
	}
}

/*
 * The recorder may end the packet with its last answers: nothing left to
 * send, nothing deferred (a retry is bulkq_finish's to plan).
 */
static int
rec_may_finish(const struct bulk_packet *pk)
{
	return pk->planned == 0 && pk->inflight == 0 && !pk->dropped &&
	    !pk->lost && pk->deferred == 0 && !pk->asked_done;
}

/* Record and end the packet on the main connection, then let it go. */
static void
packet_close(struct bulk *b, struct bulk_packet *pk)
{
	pk->ending = 0;
	if (!pk->lost && packet_settle(b, pk, 1) == -1)
		return;			/* retried by bulk_flush_all() */
	packet_free(b, pk);
}

/* The packet has no transaction left: record and end it. */
static void
packet_end(struct bulk *b, struct bulk_packet *pk)
{
	if (pk->planned > 0 || pk->inflight > 0)
		return;
	if (pk->recording) {
		/* Its answers in flight must be in before its end. */
		pk->ending = 1;
		return;
	}
	/*
	 * The last answers and the end go together by the recorder with the
	 * other packets' answers (bulk_flush_dirty): the rows are most of
	 * the cost. A retry or a give-back is planned on the main connection.
	 */
	if (b->rec != NULL && !b->db_down && rec_may_finish(pk)) {
		pk->ending = 1;
		pk->dirty = 1;
		event_active(b->ev_flush, EV_TIMEOUT, 0);
		return;
	}
	packet_close(b, pk);
}

void
bulk_flush_all(struct bulk *b)
{
	struct bulk_packet *pk, *next;

	for (pk = TAILQ_FIRST(&b->packets); pk != NULL; pk = next) {
		next = TAILQ_NEXT(pk, entry);
		if (pk->planned == 0 && pk->inflight == 0)
			packet_end(b, pk);
		else if (!pk->lost && packet_settle(b, pk, 0) == -1)
			return;
		else if (pk->lost && pk->inflight == 0)
			packet_end(b, pk);	/* taken over meanwhile */
		if (b->db_down)
			return;
	}
	/*
	 * Nothing waits for the database any more: let the next claim try
	 * it (and say again that it is away if it still is).
	 */
	b->db_down = 0;
}

/* Stopping: nothing more is started; what is not in flight goes back. */
void
bulk_give_back_all(struct bulk *b)
{
	struct bulk_packet *pk, *next;

	for (pk = TAILQ_FIRST(&b->packets); pk != NULL; pk = next) {
		next = TAILQ_NEXT(pk, entry);
		packet_drop_planned(b, pk);
		packet_end(b, pk);
	}
}

void
bulk_renew_leases(struct bulk *b)
{
	struct bulk_packet *pk, *next;
	long long asked;
	int rc;

	for (pk = TAILQ_FIRST(&b->packets); pk != NULL; pk = next) {
		next = TAILQ_NEXT(pk, entry);
		if (pk->lost)
			continue;
		asked = monotonic_ms();
		rc = bulkq_renew(b->st, &pk->q, b->lease);
		if (rc == STORE_TEMP) {
			b->db_down = 1;
			return;
		}
		if (rc == STORE_OK)
			pk->lease_at = asked;
		if (rc != STORE_OK) {
			log_warn("packet %lld: lease lost: not sending the rest",
			    pk->q.id);
			packet_lost(b, pk);
			packet_end(b, pk);
		}
	}
}

/* -- claiming ---------------------------------------------------------- */

/* Claim and plan one packet; 1 if one was added, 0 if none, -1 on error. */
static int
claim_one(struct bulk *b)
{
	struct bulk_packet *pk = xcalloc(1, sizeof(*pk));
	int found = 0, rc;

	/* The server starts the lease after this moment, never before. */
	pk->lease_at = monotonic_ms();
	rc = bulkq_claim(b->st, b->owner, b->lease, &pk->q, &found);
	if (rc != STORE_OK || !found) {
		if (rc == STORE_TEMP && !b->db_down)
			log_warn("database unavailable: %s", store_error(b->st));
		b->db_down = rc == STORE_TEMP;
		free(pk);
		return rc == STORE_OK ? 0 : -1;
	}
	b->db_down = 0;
	TAILQ_INSERT_TAIL(&b->packets, pk, entry);
	b->npackets++;
	log_context(pk->q.message_id, pk->q.list_name);
	if (pk->q.nrcpts > 0 && bulk_plan(b, pk) == -1) {
		/* Its message cannot be had now: leave it to a later claim. */
		pk->dropped = 1;
		packet_end(b, pk);
		log_context(NULL, NULL);
		return -1;
	}
	log_context(NULL, NULL);
	if (pk->planned == 0)
		packet_end(b, pk);
	return 1;
}

static struct bulk_txn *next_txn(struct bulk *b);

/*
 * Claim until a transaction can start, there is none, or we hold enough.
 * Packets whose transactions all wait for a busy domain (concurrency)
 * must not idle the other connections: up to four times the usual
 * holding is claimed past them.
 */
static void
claim_more(struct bulk *b)
{
	size_t hold = (size_t)b->nconns * BULK_PACKETS_PER_CONN;

	for (int i = 0; i < BULK_CLAIM_TRIES; i++) {
		if (b->stopping || b->db_down || b->relay_down ||
		    b->nothing_due || b->npackets >= 4 * hold ||
		    (b->npackets >= hold && next_txn(b) != NULL))
			return;
		switch (claim_one(b)) {
		case 0:
			b->nothing_due = 1;
			return;
		case -1:
			return;
		}
		if (next_txn(b) != NULL)
			return;
	}
}

/* -- transactions ------------------------------------------------------ */

/* The packet's lease holds long enough for one more transaction. */
static int
lease_fresh(const struct bulk *b, const struct bulk_packet *pk)
{
	return monotonic_ms() - pk->lease_at < b->lease * 2000LL / 3;
}

static struct bulk_txn *
next_txn(struct bulk *b)
{
	struct bulk_txn *t;

	TAILQ_FOREACH(t, &b->txns, entry)
		if (lease_fresh(b, t->pk) && domain_may_start(b, t))
			return t;
	return NULL;
}

static void
txn_start(struct bulk *b, struct bulk_conn *c, struct bulk_txn *t)
{
	const struct buf *msg = t->personal != NULL ? t->personal :
	    &t->pk->job->prepared;
	char envid[32] = "";
	int rc;

	/* The job id: what the reports to a tracked job's VERP carry too. */
	if (t->flags & SMTP_TXN_DSN)
		snprintf(envid, sizeof(envid), "%lld", t->pk->q.job_id);
	TAILQ_REMOVE(&b->txns, t, entry);
	t->pk->planned--;
	t->pk->inflight++;
	c->txn = t;
	c->state = CONN_BUSY;
	domain_started(b, t);
	if (b->sendmail)
		rc = bulk_sendmail_start(c, t);
	else
		rc = smtp_session_send_envid(c->s, t->return_path,
		    envid, t->rcpts,
		    t->nrcpt, msg->data, msg->len, t->flags, smtp_result, c);
	if (rc == -1) {
		struct smtp_result res;

		memset(&res, 0, sizeof(res));
		smtp_reply_set(&res.mail, 451, "4.3.0",
		    "local error: the transaction could not start");
		bulk_txn_done(b, c, &res);
		smtp_reply_clear(&res.mail);
	}
}

/* "code enh text" on one line, for bulk_recipients.status. */
static void
status_text(const struct smtp_reply *r, struct buf *out)
{
	buf_reset(out);
	if (r == NULL || r->code == 0) {
		buf_puts(out, "no reply");
		return;
	}
	buf_printf(out, "%d", r->code);
	if (r->enh[0] != '\0')
		buf_printf(out, " %s", r->enh);
	if (r->text != NULL) {
		buf_putc(out, ' ');
		for (const char *p = r->text; *p != '\0' && out->len <
		    BULKQ_STATUS_MAX - 4; p++)
			buf_putc(out, *p == '\n' ? ' ' : (unsigned char)*p < 0x20 ?
			    '?' : *p);
	}
}

/* The reply that decides a recipient when the session gave none of its own. */
static const struct smtp_reply *
rcpt_reply(const struct smtp_result *res, size_t i)
{
	if (res->rcpt != NULL && i < res->nrcpt && res->rcpt[i].reply.code != 0)
		return &res->rcpt[i].reply;
	if (res->data.code != 0)
		return &res->data;
	return &res->mail;
}

static int
slow_down_code(int code)
{
	return code == 421 || code == 451;
}

void
bulk_txn_done(struct bulk *b, struct bulk_conn *c,
    const struct smtp_result *res)
{
	struct bulk_txn *t = c->txn;
	struct bulk_packet *pk;
	struct buf st = BUF_INIT(BULKQ_STATUS_MAX);
	size_t sent = 0, deferred = 0, failed = 0;
	int slow = 0;

	if (t == NULL)
		return;
	c->txn = NULL;
	if (c->state == CONN_BUSY)
		c->state = CONN_IDLE;
	pk = t->pk;
	pk->inflight--;
	for (size_t i = 0; i < t->nrcpt; i++) {
		const struct smtp_reply *r = rcpt_reply(res, i);
		int done = res->rcpt != NULL && i < res->nrcpt &&
		    res->rcpt[i].status == SMTP_RCPT_DONE;
		int code = r->code;

		/* Only a 2xx for both RCPT and the final dot is delivered. */
		if (done && code / 100 != 2)
			code = 250;
		if (!done && code / 100 == 2)
			code = 451;
		if (code == 0)
			code = 451;
		slow |= slow_down_code(code);
		status_text(r, &st);
		switch (bulkq_state_of(code)) {
		case BULKQ_SENT:
			sent++;
			break;
		case BULKQ_DEFERRED:
			deferred++;
			break;
		case BULKQ_FAILED:
			failed++;
			break;
		}
		if (!pk->lost)
			answer_add(pk, t->rcpts[i], code, buf_cstr(&st));
	}
	buf_free(&st);
	pk->sent += (long long)sent;
	pk->deferred += (long long)deferred;
	pk->failed += (long long)failed;
	b->total_sent += (long long)sent;
	b->total_deferred += (long long)deferred;
	b->total_failed += (long long)failed;
	log_debug("packet %lld: %zu rcpt from <%s>: %zu sent, %zu deferred, "
	    "%zu failed", pk->q.id, t->nrcpt, t->return_path, sent, deferred,
	    failed);
	domain_ended(b, t, slow);
	bulk_txn_free(t);
	if (pk->planned == 0 && pk->inflight == 0)
		packet_end(b, pk);
	else if (!pk->lost && !pk->dirty) {
		/*
		 * Recorded once the replies that arrived together are in:
		 * one statement for the transactions of this loop pass.
		 */
		pk->dirty = 1;
		event_active(b->ev_flush, EV_TIMEOUT, 0);
	}
}

/* -- the recorder ------------------------------------------------------ */

static void
sending_clear(struct bulk_packet *pk)
{
	for (size_t i = 0; i < pk->nsending; i++) {
		free(pk->sending[i].email);
		free(pk->sending[i].status);
	}
	free(pk->sending);
	pk->sending = NULL;
	pk->nsending = 0;
}

/* The answers the recorder could not record go back in front. */
static void
sending_restore(struct bulk_packet *pk)
{
	size_t n = pk->nsending + pk->nanswers;
	struct bulk_answer *all = xreallocarray(NULL, n ? n : 1, sizeof(*all));

	/* Either may be empty (and NULL): an end sent with no answer. */
	if (pk->nsending > 0)
		memcpy(all, pk->sending, pk->nsending * sizeof(*all));
	if (pk->nanswers > 0)
		memcpy(all + pk->nsending, pk->answers,
		    pk->nanswers * sizeof(*all));
	free(pk->answers);
	free(pk->sending);
	pk->answers = all;
	pk->nanswers = pk->cap = n;
	pk->sending = NULL;
	pk->nsending = 0;
}

static void
on_rec(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bulk_rec_readable(arg);
}

/* Watch the recorder's socket (it changes with a reconnect). */
static int
rec_watch(struct bulk *b)
{
	int fd = store_socket(b->rec);

	if (fd < 0)
		return -1;
	if (b->ev_rec == NULL || fd != b->rec_fd) {
		if (b->ev_rec != NULL)
			event_free(b->ev_rec);
		b->ev_rec = event_new(b->base, fd, EV_READ | EV_PERSIST,
		    on_rec, b);
		b->rec_fd = fd;
	}
	return b->ev_rec != NULL ? event_add(b->ev_rec, NULL) : -1;
}

/* Room for n packets in the recorder's batch. */
static void
rec_grow(struct bulk *b, size_t n)
{
	if (n <= b->rec_cap)
		return;
	b->rec_cap = n * 2;
	b->rec_batch = xreallocarray(b->rec_batch, b->rec_cap,
	    sizeof(*b->rec_batch));
	b->rec_items = xreallocarray(b->rec_items, b->rec_cap,
	    sizeof(*b->rec_items));
}

/*
 * The answers every packet has waiting, and the end of those that may
 * end so, to the recorder in one statement: 0 when sent (or nothing
 * waits), -1 when it cannot take them (they stay for the main
 * connection).
 */
static int
rec_send(struct bulk *b)
{
	struct bulk_packet *pk;
	size_t n = 0;
	int rc;

	TAILQ_FOREACH(pk, &b->packets, entry) {
		int finish = pk->ending && rec_may_finish(pk);

		if (!pk->dirty || pk->lost || pk->recording ||
		    (pk->nanswers == 0 && !finish))
			continue;
		rec_grow(b, n + 1);
		b->rec_batch[n] = pk;
		b->rec_items[n] = (struct bulkq_batch_item){ .p = &pk->q,
		    .results = results_of(pk->answers, pk->nanswers),
		    .n = pk->nanswers, .finish = finish };
		n++;
	}
	if (n == 0)
		return 0;
	rc = bulkq_record_send(b->rec, b->rec_items, n);
	for (size_t i = 0; i < n; i++) {
		free((void *)b->rec_items[i].results);
		b->rec_items[i].results = NULL;
	}
	if (rc == STORE_OK && rec_watch(b) == 0) {
		for (size_t i = 0; i < n; i++) {
			pk = b->rec_batch[i];
			pk->dirty = 0;
			pk->recording = 1;
			/* Not done by it (a row not final after all)? bulkq_finish. */
			pk->asked_done |= b->rec_items[i].finish;
			pk->sending = pk->answers;
			pk->nsending = pk->nanswers;
			pk->answers = NULL;
			pk->nanswers = pk->cap = 0;
		}
		b->rec_n = n;
		return 0;
	}
	log_warn("recorder: %s; answers go by the main connection",
	    store_error(b->rec));
	if (rc == STORE_TEMP)
		b->db_down = 1;
	return -1;
}

/* The recorder's answer for one packet of its batch. */
static void
rec_done(struct bulk *b, struct bulk_packet *pk,
    const struct bulkq_batch_item *it, int rc)
{
	struct bulkq_result *res;

	pk->recording = 0;
	if (rc == STORE_TEMP) {
		/* Kept: tried again with the next batch, or bulk_flush_all. */
		sending_restore(pk);
		pk->dirty = 1;
		return;
	}
	if (it->held && (rc == STORE_OK || rc == BULKQ_LOST)) {
		res = results_of(pk->sending, pk->nsending);
		note_domains(b, res, pk->nsending);
		free(res);
		sending_clear(pk);
		if (it->finished) {
			packet_log_end(pk, BULKQ_DONE);
			packet_free(b, pk);
			return;
		}
	} else {
		log_error("packet %lld: %s; left to its next claim", pk->q.id,
		    rc == BULKQ_LOST ? "lease lost" : store_error(b->rec));
		sending_clear(pk);
		packet_lost(b, pk);
	}
	if (pk->ending || (pk->lost && pk->inflight == 0))
		packet_end(b, pk);
}

void
bulk_rec_readable(struct bulk *b)
{
	size_t n = b->rec_n;
	int done = 0, rc;

	if (n == 0) {
		if (b->ev_rec != NULL)
			event_del(b->ev_rec);
		return;
	}
	rc = bulkq_record_receive(b->rec, b->rec_items, n, &done);
	if (!done)
		return;
	event_del(b->ev_rec);
	b->rec_n = 0;
	if (rc == STORE_TEMP) {
		log_warn("recorder: %s; answers kept", store_error(b->rec));
		b->db_down = 1;
	}
	for (size_t i = 0; i < n; i++)
		rec_done(b, b->rec_batch[i], &b->rec_items[i], rc);
	bulk_flush_dirty(b);
	bulk_pump(b);
}

/* Shutting down: the answers waiting, then (2 s at most) those in flight. */
void
bulk_rec_drain(struct bulk *b)
{
	bulk_flush_dirty(b);
	for (int i = 0; i < 200 && b->rec_n > 0; i++) {
		struct pollfd pfd = { store_socket(b->rec), POLLIN, 0 };

		if (pfd.fd < 0 || poll(&pfd, 1, 10) < 0)
			break;
		bulk_rec_readable(b);
	}
}

/*
 * The answers of the loop pass: to the recorder, in one batch, when it is
 * free (else with the next one); on the main connection when there is no
 * recorder, or it cannot take them.
 */
void
bulk_flush_dirty(struct bulk *b)
{
	struct bulk_packet *pk, *next;

	if (b->rec != NULL && !b->db_down && (b->rec_n > 0 || rec_send(b) == 0))
		return;
	for (pk = TAILQ_FIRST(&b->packets); pk != NULL; pk = next) {
		next = TAILQ_NEXT(pk, entry);
		if (!pk->dirty || pk->lost || pk->recording)
			continue;
		pk->dirty = 0;
		if (pk->ending)
			packet_close(b, pk);
		else if (packet_settle(b, pk, 0) == 0 && pk->lost &&
		    pk->inflight == 0)
			packet_end(b, pk);	/* taken over meanwhile */
		if (b->db_down)
			return;
	}
}

/* -- connections ------------------------------------------------------- */

static void
smtp_result(struct smtp_session *s, const struct smtp_result *res, void *arg)
{
	struct bulk_conn *c = arg;

	(void)s;
	bulk_txn_done(c->b, c, res);
	bulk_pump(c->b);
}

static int
conns_up(const struct bulk *b)
{
	int n = 0;

	for (int i = 0; i < b->nconns; i++)
		n += b->conns[i].state != CONN_DOWN;
	return n;
}

/* The relay cannot be reached: what waits for it goes back, deferred. */
static void
relay_unavailable(struct bulk *b, const struct smtp_reply *why)
{
	struct smtp_result res;
	struct bulk_conn fake;
	struct bulk_txn *t;
	struct timeval tv;
	int secs = 1 << (b->relay_failures < 6 ? b->relay_failures : 6);

	if (secs > 60)
		secs = 60;
	b->relay_down = 1;
	memset(&res, 0, sizeof(res));
	smtp_reply_set(&res.mail, 451, "4.4.1", why != NULL && why->text != NULL ?
	    why->text : "the relay is unavailable");
	memset(&fake, 0, sizeof(fake));
	fake.b = b;
	while ((t = TAILQ_FIRST(&b->txns)) != NULL) {
		TAILQ_REMOVE(&b->txns, t, entry);
		t->pk->planned--;
		t->pk->inflight++;
		fake.txn = t;
		domain_started(b, t);
		bulk_txn_done(b, &fake, &res);
	}
	smtp_reply_clear(&res.mail);
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	evtimer_add(b->ev_relay, &tv);
}

static void smtp_event(struct smtp_session *s, int event,
    const struct smtp_reply *why, void *arg);

static void
conn_connect(struct bulk_conn *c)
{
	struct bulk *b = c->b;

	if ((c->s = smtp_session_new(b->base, &b->smtp, smtp_event, c)) == NULL ||
	    smtp_session_connect(c->s) == -1) {
		log_error("cannot start an SMTP session");
		if (c->s != NULL)
			smtp_session_free(c->s);
		c->s = NULL;
		return;
	}
	c->state = CONN_CONNECTING;
}

static void
smtp_event(struct smtp_session *s, int event, const struct smtp_reply *why,
    void *arg)
{
	struct bulk_conn *c = arg;
	struct bulk *b = c->b;

	(void)s;
	if (event == SMTP_EV_READY) {
		c->state = CONN_IDLE;
		if (b->relay_down)
			log_info("the relay answers again");
		b->relay_down = 0;
		b->relay_failures = 0;
		bulk_pump(b);
		return;
	}
	bulk_conn_closed(c, why, c->state != CONN_CONNECTING);
}

void
bulk_conn_closed(struct bulk_conn *c, const struct smtp_reply *why,
    int ever_ready)
{
	struct bulk *b = c->b;

	if (c->txn != NULL) {
		/* The session gave no result: in doubt, to be resent. */
		struct smtp_result res;

		memset(&res, 0, sizeof(res));
		smtp_reply_set(&res.mail, 451, "4.4.2", "connection lost");
		bulk_txn_done(b, c, &res);
		smtp_reply_clear(&res.mail);
	}
	if (c->s != NULL)
		smtp_session_free(c->s);
	c->s = NULL;
	c->state = CONN_DOWN;
	if (!ever_ready) {
		b->relay_failures++;
		log_warn("relay %s:%d: %s", b->smtp.host, b->smtp.port,
		    why != NULL && why->text != NULL ? why->text : "closed");
		if (conns_up(b) == 0 && !b->stopping)
			relay_unavailable(b, why);
	} else if (why != NULL && why->code != 221)
		log_info("relay %s:%d closed the session: %d %s", b->smtp.host,
		    b->smtp.port, why->code, why->text ? why->text : "");
	bulk_pump(b);
}

void
bulk_conns_start(struct bulk *b)
{
	b->conns = xcalloc((size_t)b->nconns, sizeof(*b->conns));
	for (int i = 0; i < b->nconns; i++) {
		b->conns[i].b = b;
		b->conns[i].n = i;
		b->conns[i].state = b->sendmail ? CONN_IDLE : CONN_DOWN;
	}
}

/* Say QUIT (or stop the program) everywhere; sessions end on their own. */
void
bulk_conns_stop(struct bulk *b)
{
	for (int i = 0; i < b->nconns; i++) {
		struct bulk_conn *c = &b->conns[i];

		if (b->sendmail) {
			bulk_sendmail_kill(c);
			continue;
		}
		if (c->s != NULL) {
			smtp_session_free(c->s);
			c->s = NULL;
		}
		c->state = CONN_DOWN;
	}
}

/* Connections wanted: one per planned transaction, up to the maximum. */
static void
conns_wanted(struct bulk *b)
{
	size_t want = 0;
	struct bulk_txn *t;

	if (b->sendmail || b->relay_down || b->stopping)
		return;
	TAILQ_FOREACH(t, &b->txns, entry)
		if (++want >= (size_t)b->nconns)
			break;
	for (int i = 0; i < b->nconns && want > 0; i++) {
		struct bulk_conn *c = &b->conns[i];

		if (c->state == CONN_DOWN)
			conn_connect(c);
		if (c->state != CONN_BUSY)
			want--;
	}
}

int
bulk_idle(const struct bulk *b)
{
	for (int i = 0; i < b->nconns; i++)
		if (b->conns[i].state == CONN_BUSY)
			return 0;
	return TAILQ_EMPTY(&b->txns) && TAILQ_EMPTY(&b->packets);
}

/* Start whatever can start. */
void
bulk_pump(struct bulk *b)
{
	if (b->stopping) {
		/* SIGTERM: exit once the transactions in flight are over. */
		if (bulk_idle(b))
			event_base_loopexit(b->base, NULL);
		return;
	}
	for (int i = 0; i < b->nconns; i++) {
		struct bulk_conn *c = &b->conns[i];
		struct bulk_txn *t;

		if (b->db_down)
			break;		/* nothing sent that cannot be recorded */
		if (c->state != CONN_IDLE)
			continue;
		if ((t = next_txn(b)) == NULL) {
			claim_more(b);
			if ((t = next_txn(b)) == NULL)
				break;
		}
		txn_start(b, c, t);
	}
	if (TAILQ_EMPTY(&b->txns) && conns_up(b) == 0)
		claim_more(b);
	conns_wanted(b);
	if (b->once && bulk_idle(b) && !b->db_down &&
	    (b->nothing_due || b->relay_down)) {
		if (b->relay_down)
			b->exit_code = EX_TEMPFAIL;
		event_base_loopexit(b->base, NULL);
	}
}

/*
 * Stop at once (SIGTERM's grace is over): the transactions in flight are
 * cut; their recipients go back with the packet, in doubt, to be resent.
 */
void
bulk_abandon_all(struct bulk *b)
{
	for (int i = 0; i < b->nconns; i++) {
		struct bulk_conn *c = &b->conns[i];
		struct bulk_txn *t = c->txn;

		if (b->sendmail)
			bulk_sendmail_kill(c);
		else if (c->s != NULL) {
			smtp_session_free(c->s);
			c->s = NULL;
		}
		c->state = b->sendmail ? CONN_IDLE : CONN_DOWN;
		c->txn = NULL;
		if (t == NULL)
			continue;
		log_warn("packet %lld: %zu recipients cut off in flight; they "
		    "will be sent again", t->pk->q.id, t->nrcpt);
		t->pk->inflight--;
		t->pk->dropped = 1;
		domain_ended(b, t, 0);
		bulk_txn_free(t);
	}
}
