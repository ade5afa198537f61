/*
 * handle.c - one entry of the bounce spool, from its claim to its end.
 *
 *  1. attribution (lib/bouncedb): before the message is parsed and
 *     before any database write; a forged, expired or missing token
 *     drops the bounce here, at the cost of one HMAC;
 *  2. the report (lib/bounce): who, what happened, which status;
 *  3. the record, in the batch's transaction (batch.c): the members'
 *     bounce fields and the events, the tracking row, the owners' notice
 *     of a complaint, and the files of the bounce directory, so that a
 *     failure anywhere leaves the entry for a retry with nothing half
 *     done that a retry would not redo.
 * The database away: the entries go back to new/ and nothing is lost.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounced.h"
#include "log.h"
#include "roster.h"
#include "mem.h"

/* What one report logs, its recipients' lines, at most. */
#define BD_LOG_MAX		(64 * 1024)
/* The status a VERP bounce gets when no recogniser understands it. */
#define BD_VERP_STATUS		"5.0.0"

/* A report's recipients as they will be recorded. */
struct bd_rcpts {
	struct bouncedb_rcpt *v;
	size_t		 n;
	const struct bounce_rcpt **from;	/* the report's, or NULL */
};

static enum bd_fate
bd_fail(struct bd_entry *be, enum bd_fate f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum bd_fate
bd_fail(struct bd_entry *be, enum bd_fate f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(be->why, sizeof(be->why), fmt, ap);
	va_end(ap);
	return f;
}

/* A database failure: the batch is rolled back, this entry's fate told. */
static enum bd_fate
bd_store_fail(struct bd *b, struct bd_entry *be, int rc, const char *what)
{
	enum bd_fate f = bd_fail(be, rc == STORE_TEMP ? BD_RETRY : BD_BAD,
	    "%s: %s", what, store_error(b->st));

	/* After the message: the rollback clears it. */
	bd_batch_abort(b);
	return f;
}

/* Kept aside (OTHER/ or OWNER/); a write that fails is tried again later. */
static enum bd_fate
bd_aside(struct bd *b, struct bd_entry *be, const char *where, int by_list,
    const char *reason)
{
	if (bd_keep_aside(b, be, where, by_list, reason) == -1)
		return bd_fail(be, BD_RETRY, "cannot keep the entry in %s/",
		    where);
	log_info("kept in %s/: %s", where, reason);
	return BD_DONE;
}

static void
rcpts_free(struct bd_rcpts *rs)
{
	free(rs->v);
	free(rs->from);
	memset(rs, 0, sizeof(*rs));
}

static struct bouncedb_rcpt *
rcpts_add(struct bd_rcpts *rs, const struct bounce_rcpt *from)
{
	struct bouncedb_rcpt *r;

	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	rs->from = xreallocarray(rs->from, rs->n + 1, sizeof(*rs->from));
	r = &rs->v[rs->n];
	memset(r, 0, sizeof(*r));
	rs->from[rs->n++] = from;
	if (from != NULL) {
		r->email = from->address;
		r->action = bounce_action_name(from->action);
		r->status = from->status;
		r->hard = from->hard;
		r->diagnostic = from->diagnostic;
		r->count = bouncedb_counts(from->action, from->status);
	}
	return r;
}

/*
 * The report's recipient a VERP member's bounce is about: the one that
 * names the member, else the first whose outcome counts, else the first.
 */
static const struct bounce_rcpt *
verp_pick(const struct bounce_report *rep, const char *member)
{
	for (size_t i = 0; i < rep->nrcpts; i++)
		if (strcmp(rep->rcpts[i].address, member) == 0 ||
		    (rep->rcpts[i].original != NULL &&
		    strcmp(rep->rcpts[i].original, member) == 0))
			return &rep->rcpts[i];
	for (size_t i = 0; i < rep->nrcpts; i++)
		if (bouncedb_counts(rep->rcpts[i].action, rep->rcpts[i].status))
			return &rep->rcpts[i];
	return rep->nrcpts > 0 ? &rep->rcpts[0] : NULL;
}

/*
 * Who the report is recorded against. A member's VERP address names the
 * one member the message went to: one recipient, the member, with the
 * report's address beside it when the report names another (a forward,
 * an alias). Otherwise every recipient the report names, each once.
 */
static void
collect(const struct bd_entry *be, const struct bounce_report *rep,
    struct bd_rcpts *rs)
{
	const char *member = be->attr.member;

	if (be->attr.fate == BOUNCEDB_VERP && member[0] != '\0') {
		const struct bounce_rcpt *rc = verp_pick(rep, member);
		struct bouncedb_rcpt *r;

		if (rc == NULL)
			return;
		r = rcpts_add(rs, rc);
		r->email = member;
		r->reported = strcmp(rc->address, member) != 0 ?
		    rc->address : NULL;
		return;
	}
	for (size_t i = 0; i < rep->nrcpts; i++) {
		size_t j;

		for (j = 0; j < rs->n; j++)
			if (strcmp(rs->v[j].email, rep->rcpts[i].address) == 0)
				break;
		if (j == rs->n)
			rcpts_add(rs, &rep->rcpts[i]);
	}
}

/*
 * A bounce at a member's VERP address that no recogniser understands:
 * the address says who bounced, the null sender that an MTA wrote it.
 * It counts, as BD_VERP_STATUS.
 */
static void
synthesize(const struct bd_entry *be, struct bd_rcpts *rs)
{
	struct bouncedb_rcpt *r = rcpts_add(rs, NULL);

	r->email = be->attr.member;
	r->action = bounce_action_name(BOUNCE_FAILED);
	r->status = BD_VERP_STATUS;
	r->count = 1;
}

/* The tracking row of a DSN or MDN at a member's VERP address with an envid. */
static void
tracking(const struct bd_entry *be, const struct bounce_report *rep,
    const struct bd_rcpts *rs, struct bouncedb_report *out)
{
	if (be->attr.fate != BOUNCEDB_VERP || be->attr.member[0] == '\0' ||
	    be->attr.envid[0] == '\0' || rs->n == 0 ||
	    (rep->kind != BOUNCE_KIND_DSN && rep->kind != BOUNCE_KIND_MDN))
		return;
	out->envid = be->attr.envid;
	out->track_email = be->attr.member;
	out->track_type = bounce_kind_name(rep->kind);
	out->track_status = rep->kind == BOUNCE_KIND_MDN &&
	    rep->disposition != NULL ? rep->disposition : rs->v[0].action;
}

/* A failure or a delay: the outcomes whose report is the member's latest. */
static int
is_failure(const struct bouncedb_rcpt *r)
{
	return strcmp(r->action, bounce_action_name(BOUNCE_FAILED)) == 0 ||
	    strcmp(r->action, bounce_action_name(BOUNCE_DELAYED)) == 0;
}

/* A member's complaint: removed if the list says so, the owners told. */
static int
complaint(struct bd *b, struct bd_entry *be, const char *list_id,
    const struct bounce_report *rep, const char *email, size_t i,
    int unsubscribe)
{
	static const struct roster_who who = { .actor = BD_PROGRAM,
	    .channel = "daemon", .reason = "complaint" };
	int rc = STORE_OK;

	if (unsubscribe && (rc = roster_member_del(b->st, &who, be->attr.list,
	    be->attr.domain, email)) != STORE_OK) {
		log_warn("%s@%s: cannot remove %s after a complaint: %s",
		    be->attr.list, be->attr.domain, email, store_error(b->st));
		return rc;
	}
	if (unsubscribe)
		log_info("%s@%s: %s removed after a complaint", be->attr.list,
		    be->attr.domain, email);
	if ((rc = bd_notify_complaint(b, be, list_id, email, rep, i,
	    unsubscribe)) != STORE_OK)
		log_warn("the owners' notice of %s's complaint: %s", email,
		    store_error(b->st));
	return rc;
}

/*
 * The files and notices that go with the record, inside its transaction:
 * each member's latest failure report (a delivery or read report or a
 * complaint does not replace it), the owners told of a complaint; the
 * whole entry in OTHER/ when no recipient was a member.
 */
static int
after_record(struct bd *b, struct bd_entry *be, const char *list_id,
    const struct bounce_report *rep, const struct bd_rcpts *rs)
{
	struct buf reason = BUF_INIT(1024);
	size_t members = 0;
	int rc = STORE_OK, unsubscribe;

	unsubscribe = rep->kind == BOUNCE_KIND_ARF &&
	    bd_complaint_unsubscribes(b, be);
	for (size_t i = 0; i < rs->n && rc == STORE_OK; i++) {
		const struct bouncedb_rcpt *r = &rs->v[i];

		if (!r->member)
			continue;
		members++;
		if (is_failure(r) && bd_keep_member(b, be, r->email) == -1)
			rc = STORE_TEMP;
		else if (rep->kind == BOUNCE_KIND_ARF)
			rc = complaint(b, be, list_id, rep, r->email, i,
			    unsubscribe);
	}
	if (rc == STORE_OK && members == 0) {
		buf_printf(&reason, "no recipient of the report is a member "
		    "of %s@%s", be->attr.list, be->attr.domain);
		if (bd_keep_aside(b, be, BOUNCEDB_DIR_OTHER, 0,
		    buf_cstr(&reason)) == -1)
			rc = STORE_TEMP;
		else
			log_info("%s", buf_cstr(&reason));
	}
	buf_free(&reason);
	return rc;
}

/* What the record says, one line a recipient, logged once committed. */
static void
log_record(const struct bd_entry *be, const struct bouncedb_report *r,
    struct buf *out)
{
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bouncedb_rcpt *rc = &r->rcpts[i];

		buf_printf(out, "%s@%s: %s %s %s%s%s (%s, %s)\n", be->attr.list,
		    be->attr.domain, rc->email, rc->action,
		    rc->status != NULL && *rc->status ? rc->status : "-",
		    rc->member ? "" : ", not a member",
		    rc->count && rc->member ? ", counted" : "", r->kind,
		    r->recogniser);
	}
}

/*
 * Record the report's recipients on the list, in the batch's transaction;
 * the entry joins the batch.
 */
static enum bd_fate
record(struct bd *b, struct bd_entry *be, const char *list_id,
    const struct bounce_report *rep, struct bd_rcpts *rs, int synthesized)
{
	struct bouncedb_report r;
	struct buf log = BUF_INIT(BD_LOG_MAX);
	int rc;

	memset(&r, 0, sizeof(r));
	r.list_id = list_id;
	r.kind = synthesized ? "verp" : bounce_kind_name(rep->kind);
	r.recogniser = synthesized ? "verp" : rep->recogniser;
	r.message_id = rep->orig_message_id;
	r.rcpts = rs->v;
	r.nrcpts = rs->n;
	tracking(be, rep, rs, &r);
	if ((rc = bd_batch_join(b)) != STORE_OK)
		return bd_store_fail(b, be, rc, "begin");
	if ((rc = bouncedb_record(b->st, &r)) != STORE_OK)
		return bd_store_fail(b, be, rc, "record");
	if ((rc = after_record(b, be, list_id, rep, rs)) != STORE_OK) {
		bd_batch_abort(b);
		return bd_fail(be, rc == STORE_TEMP ? BD_RETRY : BD_BAD,
		    "the files or notices of the report failed");
	}
	log_record(be, &r, &log);
	bd_batch_add(b, be->e, be->attr.list, &log);
	buf_free(&log);
	return BD_PENDING;
}

/*
 * The id of the list the bounce is for: 0, or -1 with the entry's fate
 * in *f (a list that is gone drops the bounce).
 */
static int
find_list(struct bd *b, struct bd_entry *be, char id[24], enum bd_fate *f)
{
	int rc = bd_batch_list_id(b, be->attr.list, be->attr.domain, id);

	if (rc == STORE_OK)
		return 0;
	if (rc == BOUNCEDB_NOLIST) {
		bd_drop(b, be, "no-list");
		*f = BD_DONE;
	} else
		*f = bd_store_fail(b, be, rc, "the list");
	return -1;
}

static enum bd_fate
with_report(struct bd *b, struct bd_entry *be, const struct bounce_report *rep)
{
	const char *sender = be->e->env.sender;
	struct bd_rcpts rs;
	enum bd_fate f;
	char id[24];
	int synthesized = 0;

	if (be->attr.fate == BOUNCEDB_ARF) {
		if (rep->kind != BOUNCE_KIND_ARF)
			return bd_aside(b, be, BOUNCEDB_DIR_OTHER, 0, "mail to "
			    "abuse-feedback-report that is no feedback report");
		if (bouncedb_attribute_arf(&b->site, rep, &be->attr) ==
		    BOUNCEDB_OTHER)
			return bd_aside(b, be, BOUNCEDB_DIR_OTHER, 0,
			    be->attr.reason);
	}
	if (rep->kind == BOUNCE_KIND_AUTOREPLY) {
		log_info("an auto-reply, no bounce: dropped (%s)",
		    be->attr.address);
		return BD_DONE;
	}
	memset(&rs, 0, sizeof(rs));
	collect(be, rep, &rs);
	if (rs.n == 0) {
		if (be->attr.fate == BOUNCEDB_VERP &&
		    be->attr.member[0] != '\0' && *sender == '\0') {
			synthesize(be, &rs);
			synthesized = 1;
		} else if (*sender != '\0') {
			rcpts_free(&rs);
			return bd_aside(b, be, BOUNCEDB_DIR_OWNER, 1, "mail from "
			    "a person to the list's return path");
		} else {
			rcpts_free(&rs);
			return bd_aside(b, be, BOUNCEDB_DIR_OTHER, 0, "no "
			    "recipient found in the report");
		}
	}
	if (find_list(b, be, id, &f) == 0)
		f = record(b, be, id, rep, &rs, synthesized);
	rcpts_free(&rs);
	return f;
}

/* Parse the report of an attributed bounce, and record it. */
static enum bd_fate
report(struct bd *b, struct bd_entry *be)
{
	struct bounce_report rep;
	struct buf err = BUF_INIT(1024);
	enum bd_fate f;

	memset(&rep, 0, sizeof(rep));
	if (bounce_parse(be->msg, be->len, &rep, &err) == -1) {
		struct buf reason = BUF_INIT(1024);

		buf_printf(&reason, "the report cannot be read: %s",
		    buf_cstr(&err));
		f = bd_aside(b, be, BOUNCEDB_DIR_OTHER, 0, buf_cstr(&reason));
		buf_free(&reason);
	} else
		f = with_report(b, be, &rep);
	bounce_report_free(&rep);
	buf_free(&err);
	return f;
}

/* What attribution decided, carried out. */
static enum bd_fate
dispatch(struct bd *b, struct bd_entry *be)
{
	switch (be->attr.fate) {
	case BOUNCEDB_REJECT:
		bd_drop(b, be, be->attr.reason);
		return BD_DROPPED;
	case BOUNCEDB_OWNER:
		return bd_aside(b, be, BOUNCEDB_DIR_OWNER, 1, be->attr.reason);
	case BOUNCEDB_OTHER:
		return bd_aside(b, be, BOUNCEDB_DIR_OTHER, 0, be->attr.reason);
	default:
		return report(b, be);
	}
}

/*
 * Put the entry where its fate says. A failure to do so leaves it claimed
 * in cur/, where the next start's recovery finds it: never lost.
 */
static void
finish(struct spool_entry *e, enum bd_fate fate, const char *why)
{
	switch (fate) {
	case BD_DONE:
		if (spool_done(e) == -1)
			log_error("cannot remove the entry: %s", strerror(errno));
		break;
	case BD_DROPPED:
		/* A crash may bring it back: it is dropped again, as cheaply. */
		if (spool_drop(e) == -1)
			log_error("cannot remove the entry: %s", strerror(errno));
		break;
	case BD_KEPT:
	case BD_PENDING:
		break;
	case BD_RETRY:
		log_warn("will retry: %s", why);
		if (spool_release(e) == -1)
			log_error("cannot release the entry: %s", strerror(errno));
		break;
	case BD_BAD:
		log_warn("moved to bad/: %s", why);
		if (spool_reject(e, BD_PROGRAM, why) == -1)
			log_error("cannot move the entry to bad/: %s",
			    strerror(errno));
		break;
	}
}

enum bd_fate
bd_handle(struct bd *b, const char *name)
{
	struct spool_entry e;
	struct bd_entry be;
	struct buf data, err = BUF_INIT(1024);
	size_t max = (size_t)config_int(b->cf, CF_QUEUE_MAX_SIZE);
	enum bd_fate fate;
	int rc;

	if ((rc = spool_claim(&b->bounce, name, &e)) != 0) {
		if (rc == -1)
			log_error("%s: cannot claim: %s", name, strerror(errno));
		return BD_KEPT;
	}
	log_context(name, NULL);
	memset(&be, 0, sizeof(be));
	be.e = &e;
	be.name = e.name;
	buf_init(&data, max);
	if (spool_read(&e, max, &data, &err) == -1)
		fate = bd_fail(&be, BD_BAD, "unreadable entry: %s",
		    buf_cstr(&err));
	else {
		be.msg = data.data != NULL ? data.data : "";
		be.len = data.len;
		b->site.now = time(NULL);
		bouncedb_attribute(&b->site, e.env.recipient,
		    e.env.original_recipient, e.env.sender, be.msg, be.len,
		    &be.attr);
		if (be.attr.list[0] != '\0')
			log_context(name, be.attr.list);
		fate = dispatch(b, &be);
	}
	finish(&e, fate, be.why);
	/* A pending entry is the batch's now. */
	if (fate != BD_PENDING)
		spool_entry_free(&e);
	buf_free(&data);
	buf_free(&err);
	log_context(NULL, NULL);
	return fate;
}
