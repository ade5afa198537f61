/*
 * deliver.c - an accepted post becomes a bulk job.
 *
 * In one database transaction: the list's post counter moves on, the
 * message is transformed (Sympa's order: subject tag and removals, the
 * archive copy, then Reply-To, the List-* fields and the footer), DMARC
 * protection and the DKIM signature are applied last, and the job with
 * its packets, the Message-ID record and (for a released message) the
 * deletion of its key are written. The spool entry is removed only after
 * the commit; the job's spool_id is the entry's name, so a crash between
 * the two finds the job and sends nothing twice.
 *
 * A list that tracks delivery (tracking.*) marks the job "dsn" or "mdn":
 * every member then gets a VERP return path that names the job, and bulk
 * asks the relay for DSNs. For "mdn" the author's
 * Disposition-Notification-To is removed; none is yet put in its place
 * per member, so read receipts are not collected.
 *
 * The archive and digest copies are written, fsynced, before the commit:
 * a failure after them makes the retry write them again (the archive
 * files a Message-ID once), where writing them after the commit could
 * lose them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "distribute.h"
#include "dmarc.h"
#include "listconf.h"
#include "log.h"
#include "msgedit.h"
#include "packet.h"
#include "seen.h"
#include "transform.h"

#define DELIVER_MAX_OUT	(256u * 1024 * 1024)

static const char sequence_sql[] =
    "INSERT INTO list_sequences (list_id, posts) VALUES ($1, 1)"
    " ON CONFLICT (list_id) DO UPDATE SET posts = list_sequences.posts + 1"
    " RETURNING posts";

/* Write bytes as a new entry of spool s, with im's envelope. */
static int
copy_to_spool(struct spool *s, const struct inmsg *im, int priority,
    const char *data, size_t len)
{
	struct spool_writer w;

	if (spool_create(s, priority, &im->e->env, &w) == -1)
		return -1;
	if (spool_write(&w, data, len) == -1) {
		spool_abort(&w);
		return -1;
	}
	return spool_commit(&w);
}

/* Whether dkim_signature_apply_on covers how the post was accepted. */
static int
dkim_applies(const struct inmsg *im, const struct listconf *lc)
{
	const char *const *v;
	size_t n = listconf_strv(lc, LC_DKIM_SIGNATURE_APPLY_ON, &v);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i], "any") == 0)
			return 1;
		if ((strcmp(v[i], "md5_authenticated_messages") == 0 &&
		    im->auth == SCENARIO_AUTH_MD5) ||
		    (strcmp(v[i], "smime_authenticated_messages") == 0 &&
		    im->auth == SCENARIO_AUTH_SMIME) ||
		    (strcmp(v[i], "dkim_authenticated_messages") == 0 &&
		    im->auth == SCENARIO_AUTH_DKIM) ||
		    (strcmp(v[i], "editor_validated_messages") == 0 &&
		    im->validated))
			return 1;
	}
	return 0;
}

/* The list's DKIM parameters, else the site's; 0 if signing is off or incomplete. */
static int
dkim_params(struct dist *d, const struct inmsg *im, struct signing *sg)
{
	if (!config_bool(d->cf, CF_DKIM_FEATURE) || !dkim_applies(im, im->le->conf))
		return 0;
	return dist_signing(d, im->le->conf, im->route.domain, sg);
}

/*
 * Incoming signatures: kept, removed when our changes broke them
 * (dkim_remove_incoming broken, the default), or always removed. A
 * signature we break would make receivers distrust the list's mail.
 */
static int
drop_incoming_signatures(struct dist *d, const struct inmsg *im,
    struct msgedit *e, const struct buf *after)
{
	const char *mode = config_str(d->cf, CF_DKIM_REMOVE_INCOMING);
	struct dkim_results res;
	struct buf err = BUF_INIT(1024);
	int broken = 0;

	if (msg_header_count(im->m, NULL, "DKIM-Signature") == 0 ||
	    strcmp(mode, "never") == 0)
		return 0;
	if (strcmp(mode, "always") == 0) {
		msgedit_delete(e, "DKIM-Signature");
		return 1;
	}
	memset(&res, 0, sizeof(res));
	if (dkim_verify_broken(d->dkim, im->data.data, im->data.len,
	    after->data, after->len, &res, &err) == 0)
		for (size_t i = 0; i < res.nsigs; i++)
			broken |= res.sigs[i].broken;
	dkim_results_free(&res);
	buf_free(&err);
	/* Fields cannot be told apart by msgedit: one broken drops them all. */
	if (broken)
		msgedit_delete(e, "DKIM-Signature");
	return broken;
}

/* Apply the rewrite's values: From, X-Original-From, Reply-To, the record. */
static int
apply_dmarc(struct msgedit *e, const struct dmarc_rewrite *rw, struct buf *err)
{
	if (rw->move_dkim) {
		/* The first signature is kept for the record, as Sympa does. */
		struct buf v = BUF_INIT(64 * 1024);

		if (msgedit_get(e, "DKIM-Signature", 0, &v) == 1)
			msgedit_append(e, "X-Original-DKIM-Signature",
			    buf_cstr(&v), err);
		buf_free(&v);
		msgedit_delete(e, "DKIM-Signature");
		msgedit_delete(e, "DomainKey-Signature");
	}
	if (msgedit_replace(e, "From", buf_cstr(&rw->from), err) == -1 ||
	    msgedit_append(e, "X-Original-From", buf_cstr(&rw->x_original_from),
	    err) == -1)
		return -1;
	if (rw->reply_to.len > 0 &&
	    msgedit_append(e, "Reply-To", buf_cstr(&rw->reply_to), err) == -1)
		return -1;
	if (rw->x_original_dmarc_record.len > 0 &&
	    msgedit_append(e, "X-Original-DMARC-Record",
	    buf_cstr(&rw->x_original_dmarc_record), err) == -1)
		return -1;
	return 0;
}

/*
 * DMARC protection (reference §6): decide by the list's modes, asking the
 * sender domain's policy only when a mode needs it (a lookup that fails
 * or times out leaves From alone), then rewrite From.
 */
static int
protect_from(struct dist *d, const struct inmsg *im, struct msgedit *e,
    struct buf *err)
{
	const struct listconf *lc = im->le->conf;
	struct dmarc_conf *dc;
	struct dmarc_result policy;
	struct dmarc_rewrite rw;
	struct dmarc_rewrite_in in;
	struct buf addr = BUF_INIT(512);
	const char *raw;
	size_t rawlen = 0;
	int has_dkim = msgedit_count(e, "DKIM-Signature") > 0, rc = 0;
	enum dmarc_verdict v;

	dc = dmarc_conf_new(listconf_str(lc, LC_DMARC_PROTECTION_MODE),
	    config_str(d->cf, CF_DMARC_PROTECTION_MODE),
	    listconf_str(lc, LC_DMARC_PROTECTION_DOMAIN_REGEX),
	    listconf_str(lc, LC_DMARC_PROTECTION_OTHER_EMAIL),
	    listconf_str(lc, LC_DMARC_PROTECTION_PHRASE), err);
	if (dc == NULL) {
		log_warn("dmarc_protection: %s: From left alone", buf_cstr(err));
		buf_reset(err);
		return 0;
	}
	memset(&policy, 0, sizeof(policy));
	v = dmarc_decide(dc, *listconf_str(lc, LC_ANONYMOUS_SENDER) != '\0',
	    has_dkim, im->from, NULL);
	if (v == DMARC_NEED_POLICY) {
		dmarc_lookup_wait(d->dmarc, dmarc_addr_domain(im->from), &policy);
		v = dmarc_decide(dc, 0, has_dkim, im->from, &policy);
	}
	dmarc_conf_free(dc);
	if (v != DMARC_PROTECT || (raw = msgedit_raw(e, "From", 0,
	    &rawlen)) == NULL) {
		buf_free(&addr);
		return 0;
	}
	buf_printf(&addr, "%s@%s", im->route.list, im->route.domain);
	memset(&in, 0, sizeof(in));
	in.from = raw;
	in.from_len = rawlen;
	in.list_name = im->route.list;
	in.addr = buf_cstr(&addr);
	in.other_email = listconf_str(lc, LC_DMARC_PROTECTION_OTHER_EMAIL);
	in.phrase = dmarc_phrase_parse(listconf_str(lc,
	    LC_DMARC_PROTECTION_PHRASE));
	in.kind = DMARC_KIND_POST;
	in.has_reply_to = msgedit_count(e, "Reply-To") > 0;
	in.has_dkim_signature = has_dkim;
	in.policy = &policy;
	dmarc_rewrite_init(&rw);
	{
		const char *why = NULL;

		if (dmarc_rewrite(&in, &rw, &why) == -1) {
			log_warn("dmarc: cannot rewrite From: %s", why ? why : "?");
		} else {
			rc = apply_dmarc(e, &rw, err);
			log_info("dmarc: From rewritten to %s", buf_cstr(&rw.from));
		}
	}
	dmarc_rewrite_free(&rw);
	buf_free(&addr);
	return rc;
}

/* The list's own name for the transformations. */
static void
describe_list(struct dist *d, const struct inmsg *im, unsigned long seq,
    struct buf *robot, struct transform_list *tl)
{
	const char *oneclick = config_str(d->cf, CF_ONECLICK_URL);

	buf_printf(robot, "%s@%s", config_str(d->cf, CF_ROBOT_LOCALPART),
	    im->route.domain);
	memset(tl, 0, sizeof(*tl));
	tl->name = im->route.list;
	tl->domain = im->route.domain;
	tl->subject = listconf_str(im->le->conf, LC_SUBJECT);
	tl->robot = buf_cstr(robot);
	tl->oneclick_url = *oneclick ? oneclick : NULL;
	tl->sequence = seq;
}

/*
 * Whether the list's merge fields are filled in per recipient (Sympa's
 * personalization_feature with mail_apply_on footer or all: Herald merges
 * message_header and message_footer only, never the post's own text).
 */
static int
personalized(const struct listconf *lc)
{
	return listconf_bool(lc, LC_PERSONALIZATION_FEATURE) &&
	    strcmp(listconf_str(lc, LC_PERSONALIZATION_MAIL_APPLY_ON),
	    "none") != 0;
}

/* Whether out holds a merge token of the job's word. */
static int
has_merge_token(const struct buf *out, const char *nonce)
{
	struct buf tok = BUF_INIT(128);
	int found;

	buf_printf(&tok, "[%%%s:", nonce);
	found = memmem(out->data, out->len, tok.data, tok.len) != NULL;
	buf_free(&tok);
	return found;
}

/*
 * What the list tracks for this post, as bulk jobs say it: "mdn" when
 * read receipts are asked for (always, or on demand when the author's
 * message carries Disposition-Notification-To), which implies delivery
 * reports as in Sympa; "dsn" for delivery reports alone; NULL for none.
 */
static const char *
tracking_of(const struct inmsg *im)
{
	const struct listconf *lc = im->le->conf;
	const char *mdn = listconf_str(lc,
	    LC_TRACKING_MESSAGE_DISPOSITION_NOTIFICATION);

	if (strcmp(mdn, "on") == 0 || (strcmp(mdn, "on_demand") == 0 &&
	    im->m != NULL && msg_header_count(im->m, NULL,
	    "Disposition-Notification-To") > 0))
		return "mdn";
	if (listconf_bool(lc, LC_TRACKING_DELIVERY_STATUS_NOTIFICATION))
		return "dsn";
	return NULL;
}

/*
 * The transformed message into out: DIST_DONE, or a failure with im->why.
 * sg tells bulk who signed it (key NULL: nobody), so that it signs again
 * when it changes headers per recipient. nonce gets the word of the merge
 * tokens the message holds (lib/transform.h), or stays empty.
 */
static enum dist_fate
transform(struct dist *d, struct inmsg *im, unsigned long seq,
    const char *tracking, struct buf *out, struct signing *signer,
    struct buf *nonce)
{
	const struct listconf *lc = im->le->conf;
	struct transform_list tl;
	struct buf robot = BUF_INIT(512), err = BUF_INIT(1024);
	struct msgedit *e;
	struct signing sg;
	enum dist_fate rc = DIST_BAD;

	memset(signer, 0, sizeof(*signer));

	describe_list(d, im, seq, &robot, &tl);
	buf_reset(nonce);
	if (personalized(lc) && transform_random_hex(6, nonce) == 0)
		tl.merge_nonce = buf_cstr(nonce);
	if ((e = msgedit_new(im->data.data, im->data.len, NULL, &err)) == NULL) {
		rc = dist_fail(im, DIST_BAD, "cannot edit: %s", buf_cstr(&err));
		goto out;
	}
	if (transform_incoming(e, &tl, lc, &err) == -1)
		goto fail;
	/* The receiving MTA writes its own; an old one would name the author. */
	msgedit_delete(e, "Return-Path");
	if (listconf_bool(lc, LC_PROCESS_ARCHIVE)) {
		buf_reset(out);
		if (msgedit_output(e, out) == -1 ||
		    copy_to_spool(&d->archive, im, SPOOL_DEFAULT_PRIORITY,
		    out->data, out->len) == -1) {
			rc = dist_fail(im, DIST_RETRY,
			    "cannot write the archive copy");
			goto out;
		}
	}
	/*
	 * With read tracking the receipts are the list's to collect, not
	 * the author's (Sympa removes the field too);
	 * the archive keeps it, as there.
	 */
	if (tracking != NULL && strcmp(tracking, "mdn") == 0)
		msgedit_delete(e, "Disposition-Notification-To");
	if (transform_outgoing(e, &tl, lc, TRANSFORM_SIGNED_PART, &err) == -1 ||
	    protect_from(d, im, e, &err) == -1)
		goto fail;
	buf_reset(out);
	if (msgedit_output(e, out) == -1)
		goto fail;
	/* Nothing of the members' in the header or footer: one copy for all. */
	if (tl.merge_nonce != NULL && !has_merge_token(out, tl.merge_nonce))
		buf_reset(nonce);
	if (drop_incoming_signatures(d, im, e, out)) {
		buf_reset(out);
		if (msgedit_output(e, out) == -1)
			goto fail;
	}
	if (dkim_params(d, im, &sg)) {
		if (dist_sign(&sg, out, &err) == -1) {
			/* A key problem is the site's: hold the mail, say why. */
			rc = dist_fail(im, DIST_RETRY, "dkim: %s", buf_cstr(&err));
			goto out;
		}
		*signer = sg;
	}
	rc = DIST_DONE;
	goto out;
fail:
	rc = dist_fail(im, DIST_BAD, "transformation: %s", buf_cstr(&err));
out:
	msgedit_free(e);
	buf_free(&robot);
	buf_free(&err);
	return rc;
}

/*
 * The digest's copy: one for every digest member, so its merge fields
 * (if any) name nobody.
 */
static int
digest_copy(struct dist *d, const struct inmsg *im, const struct buf *out,
    const struct buf *nonce)
{
	static const struct transform_merge_values nobody = { "", "" };
	struct buf merged = BUF_INIT(DELIVER_MAX_OUT);
	int n8, rc;

	if (nonce->len == 0)
		return copy_to_spool(&d->digest, im, SPOOL_DEFAULT_PRIORITY,
		    out->data, out->len);
	rc = transform_merge(out->data, out->len, buf_cstr(nonce), &nobody,
	    &merged, &n8);
	if (rc == 0)
		rc = copy_to_spool(&d->digest, im, SPOOL_DEFAULT_PRIORITY,
		    merged.data, merged.len);
	buf_free(&merged);
	return rc;
}

static int
next_sequence(struct dist *d, const struct inmsg *im, unsigned long *seq)
{
	const char *p[1] = { im->list_id };
	long long v = 0;
	int rc;

	rc = store_scalar_int(d->st, sequence_sql, 1, p, &v);
	*seq = (unsigned long)v;
	return rc;
}

enum dist_fate
deliver_post(struct dist *d, struct inmsg *im)
{
	const struct hold *released = im->released;
	const struct listconf *lc = im->le->conf;
	struct buf out = BUF_INIT(DELIVER_MAX_OUT), rp = BUF_INIT(512),
	    nonce = BUF_INIT(64);
	struct packet_job job;
	struct packet_outcome oc;
	unsigned long seq = 0;
	enum dist_fate fate;
	struct signing signer;
	const char *tracking;
	int rc;

	if ((rc = store_begin(d->st)) != STORE_OK ||
	    (rc = next_sequence(d, im, &seq)) != STORE_OK) {
		buf_free(&out);
		return dist_store_fail(d, im, rc, "post counter");
	}
	tracking = tracking_of(im);
	if ((fate = transform(d, im, seq, tracking, &out, &signer, &nonce)) !=
	    DIST_DONE) {
		store_rollback(d->st);
		buf_free(&out);
		buf_free(&nonce);
		return fate;
	}
	buf_printf(&rp, "%s-owner@%s", im->route.list, im->route.domain);
	memset(&job, 0, sizeof(job));
	job.spool_id = im->id;
	job.kind = "post";
	job.list_id = im->list_id;
	job.list_name = im->route.list;
	job.domain = im->route.domain;
	job.message = out.data;
	job.message_len = out.len;
	job.message_id = im->message_id;
	job.sender = im->from;
	job.return_path = buf_cstr(&rp);
	job.priority = (int)listconf_int(lc, LC_PRIORITY);
	job.verp_rate = listconf_verp_rate(lc);
	job.verp_seq = seq;
	job.oneclick = *config_str(d->cf, CF_ONECLICK_URL) != '\0';
	job.dkim_sign = signer.key != NULL;
	job.dkim_domain = signer.domain;
	job.dkim_selector = signer.selector;
	job.dkim_key_path = signer.key;
	job.dkim_identity = signer.identity;
	job.merge_nonce = nonce.len > 0 ? buf_cstr(&nonce) : NULL;
	job.tracking = tracking;
	rc = packet_job_create(d->st, &job, &d->limits, &oc);
	if (rc == STORE_OK && !oc.already)
		rc = seen_record(d->st, SEEN_POST, im->list_id,
		    im->message_id);
	if (rc == STORE_OK && released != NULL)
		rc = hold_delete(d->st, released->key);
	if (rc == STORE_OK && oc.digest > 0 && !oc.already &&
	    digest_copy(d, im, &out, &nonce) == -1) {
		store_rollback(d->st);
		buf_free(&out);
		buf_free(&rp);
		buf_free(&nonce);
		return dist_fail(im, DIST_RETRY, "cannot write the digest copy");
	}
	/* A job that existed: the post counter must not move twice. */
	if (rc == STORE_OK)
		rc = oc.already ? store_rollback(d->st) : store_commit(d->st);
	buf_free(&out);
	buf_free(&rp);
	buf_free(&nonce);
	if (rc != STORE_OK)
		return dist_store_fail(d, im, rc, "bulk job");
	if (oc.already)
		log_info("job %s existed already: nothing sent twice", oc.job_id);
	else
		log_info("job %s: %lld recipients in %lld packets (%lld VERP, "
		    "%lld digest, %lld skipped), sequence %lu", oc.job_id,
		    oc.recipients, oc.packets, oc.verp, oc.digest, oc.skipped, seq);
	return DIST_DONE;
}
