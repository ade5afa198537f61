/*
 * plan.c - a claimed packet into SMTP transactions.
 *
 * Everyone who needs nothing of their own goes grouped, many RCPT to a
 * transaction (at most a domain's nrcpt of one domain, at most
 * BULK_TXN_RCPT_MAX in all). One transaction each goes to a recipient
 *   - listed in the packet's verp_recipients: a return path naming them,
 *     <bounce_localpart>+<token>@<list domain> (lib/verp.h); when the job
 *     tracks delivery (every recipient is VERP then), the token carries
 *     the job id as envelope id and the transaction asks for DSNs
 *     (RFC 3461) if the relay offers them;
 *   - of a domain whose limits ask for one-click URLs (oneclick=yes), when
 *     the job has them: the message with their own List-Unsubscribe URL,
 *     signed again when distribute signed it (the signature covers that
 *     field);
 *   - of a domain whose limits say single=yes;
 *   - of a job with merge fields (personalization): the message with the
 *     tokens distribute left in its header and footer parts filled with
 *     the member's address and name (lib/transform.h), signed again.
 * A one-click copy that cannot be made (no key to sign it again, a field
 * too long) is not made: the recipient gets the common message, which is
 * still correct mail, and the reason is logged. A merged copy that cannot
 * be signed goes unsigned (the common message would show the tokens).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulk.h"
#include "log.h"
#include "mem.h"
#include "msg.h"
#include "oneclick.h"
#include "transform.h"
#include "verp.h"

/* The largest message a job may hold (the schema does not bound it). */
#define BULK_MESSAGE_MAX	((size_t)1 << 30)
#define BULK_FIELD_MAX		(64 * 1024)

/* -- the message cache ------------------------------------------------- */

static void
bulk_job_free(struct bulk_job *job)
{
	buf_free(&job->raw);
	buf_free(&job->prepared);
	free(job->lu_value);
	free(job->return_path);
	dkim_signer_free(job->signer);
	free(job);
}

/*
 * Find where personal parts go (lib/msg's field offsets): our signature
 * (the first field, when the job is signed) and the List-Unsubscribe
 * field, with its value unfolded.
 */
static void
job_locate(struct bulk_job *job, int signed_job)
{
	const char *m = job->raw.data;
	const char *nl = job->raw.len > 0 ? memchr(m, '\n', job->raw.len) : NULL;
	const struct msg_header *h;
	struct msg_limits lim;
	struct buf v = BUF_INIT(BULK_FIELD_MAX);
	struct msg *msg;

	/* Added fields end as the message's first line does. */
	job->eol = nl != NULL && nl > m && nl[-1] == '\r' ? "\r\n" : "\n";
	msg_limits_default(&lim);
	lim.max_size = job->raw.len;	/* stored: its size was checked */
	if ((msg = msg_parse(m, job->raw.len, &lim, NULL)) == NULL)
		return;
	h = msg->root->headers;
	if (signed_job && msg->root->nheaders > 0 && h[0].off == 0 &&
	    msg_header_is(msg, &h[0], "DKIM-Signature"))
		job->sig_end = h[0].off + h[0].len;
	if ((h = msg_header_find(msg, NULL, "List-Unsubscribe", NULL)) != NULL &&
	    msg_header_unfold(msg, h, &v) == 0) {
		job->lu_start = h->off;
		job->lu_end = h->off + h->len;
		job->lu_value = xstrdup(buf_cstr(&v));
	}
	buf_free(&v);
	msg_free(msg);
}

static int
has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* The signer for the job's personal copies, when it was signed. */
static void
job_signer(struct bulk_job *job, const struct bulkq_packet *q)
{
	struct dkim_sign_conf sc;
	struct buf err = BUF_INIT(1024);

	if (!q->dkim_sign)
		return;
	if (q->dkim_key_path == NULL || job->sig_end == 0) {
		log_warn("job %lld: signed without a key bulk can use: "
		    "personal copies go without one-click URLs or unsigned",
		    job->id);
		return;
	}
	memset(&sc, 0, sizeof(sc));
	sc.key_path = q->dkim_key_path;
	sc.domain = q->dkim_domain;
	sc.selector = q->dkim_selector;
	sc.identity = q->dkim_identity;
	if ((job->signer = dkim_signer_new(&sc, &err)) == NULL)
		log_warn("job %lld: dkim: %s: personal copies go without "
		    "one-click URLs or unsigned", job->id, buf_cstr(&err));
	buf_free(&err);
}

/*
 * A list post's return path with a token (the list-only form of
 * lib/verp.h) when bounce_tokens is on: bounced then drops a bounce to
 * the list that does not carry a good one. NULL: the job's own.
 */
static char *
list_return_path(struct bulk *b, const struct bulkq_packet *q)
{
	struct buf rp = BUF_INIT(1024);

	if (!config_bool(b->cf, CF_BOUNCE_TOKENS) || q->list_name == NULL ||
	    strcmp(q->kind, "post") != 0 || *q->return_path == '\0')
		return NULL;
	if (verp_encode(&b->verp_key, config_str(b->cf, CF_BOUNCE_LOCALPART),
	    q->list_name, q->domain, NULL, time(NULL), &rp) == -1) {
		log_warn("job %lld: no tokened return path for list %s: its "
		    "own is used", q->job_id, q->list_name);
		buf_free(&rp);
		return NULL;
	}
	return buf_steal(&rp);
}

static struct bulk_job *
job_load(struct bulk *b, const struct bulkq_packet *q)
{
	struct bulk_job *job = xcalloc(1, sizeof(*job));
	int rc;

	job->id = q->job_id;
	buf_init(&job->raw, BULK_MESSAGE_MAX);
	buf_init(&job->prepared, BULK_MESSAGE_MAX + BULK_MESSAGE_MAX / 8);
	if ((rc = bulkq_message(b->st, q->job_id, &job->raw)) != STORE_OK) {
		b->db_down = rc == STORE_TEMP;
		log_error("job %lld: cannot read its message: %s", q->job_id,
		    store_error(b->st));
		bulk_job_free(job);
		return NULL;
	}
	if (smtp_body_prepare(job->raw.data, job->raw.len, &job->prepared) == -1) {
		log_error("job %lld: message too large", q->job_id);
		bulk_job_free(job);
		return NULL;
	}
	if (has_8bit(job->raw.data, job->raw.len))
		job->flags |= SMTP_TXN_8BIT;
	job_locate(job, q->dkim_sign);
	job->return_path = list_return_path(b, q);
	job->oneclick_ok = q->oneclick && b->oneclick_base != NULL &&
	    q->list_name != NULL && job->lu_end != 0;
	if (job->oneclick_ok || q->merge_nonce != NULL)
		job_signer(job, q);
	if (q->dkim_sign && job->signer == NULL)
		job->oneclick_ok = 0;
	return job;
}

/* Drop cached jobs nobody uses, the least recently used first. */
static void
jobs_trim(struct bulk *b)
{
	struct bulk_job *job, *oldest;

	while (b->njobs > BULK_JOB_CACHE) {
		oldest = NULL;
		TAILQ_FOREACH(job, &b->jobs, entry)
			if (job->refs == 0 && (oldest == NULL ||
			    job->used < oldest->used))
				oldest = job;
		if (oldest == NULL)
			return;
		TAILQ_REMOVE(&b->jobs, oldest, entry);
		b->njobs--;
		bulk_job_free(oldest);
	}
}

static struct bulk_job *
job_for(struct bulk *b, const struct bulkq_packet *q)
{
	struct bulk_job *job;

	TAILQ_FOREACH(job, &b->jobs, entry)
		if (job->id == q->job_id)
			break;
	if (job == NULL) {
		if ((job = job_load(b, q)) == NULL)
			return NULL;
		TAILQ_INSERT_HEAD(&b->jobs, job, entry);
		b->njobs++;
	}
	job->refs++;
	job->used = ++b->clock;
	jobs_trim(b);
	return job;
}

void
bulk_job_put(struct bulk *b, struct bulk_job *job)
{
	if (job == NULL)
		return;
	job->refs--;
	jobs_trim(b);
}

void
bulk_jobs_free(struct bulk *b)
{
	struct bulk_job *job;

	while ((job = TAILQ_FIRST(&b->jobs)) != NULL) {
		TAILQ_REMOVE(&b->jobs, job, entry);
		bulk_job_free(job);
	}
	b->njobs = 0;
}

/* -- personal parts ---------------------------------------------------- */

static const char *
domain_of(const char *email)
{
	const char *at = strrchr(email, '@');

	return at != NULL ? at + 1 : "";
}

/*
 * The member's own return path, or NULL to use the job's. A job with
 * tracking puts its id in it as the envelope id: the DSN or MDN that
 * comes back to it then says which message it is about.
 */
static char *
verp_return_path(struct bulk *b, const struct bulkq_packet *q,
    const char *rcpt)
{
	struct buf rp = BUF_INIT(1024);
	char envid[32];

	snprintf(envid, sizeof(envid), "%lld", q->job_id);
	if (q->list_name == NULL || verp_encode_envid(&b->verp_key,
	    config_str(b->cf, CF_BOUNCE_LOCALPART), q->list_name, q->domain,
	    rcpt, q->tracking != NULL ? envid : NULL, time(NULL), &rp) == -1) {
		log_info("packet %lld: %s cannot have a VERP return path: "
		    "the list's is used", q->id, rcpt);
		buf_free(&rp);
		return NULL;
	}
	return buf_steal(&rp);
}

/* What a recipient gets of their own in a personal copy. */
struct personal {
	const char	*rcpt;
	int		 oneclick;	/* their own one-click URL */
	const char	*gecos;		/* merge fields: their name, or NULL */
	const char	*receipts_to;	/* read tracking: their return path */
	int		 n_8bit;	/* out: a merged value brought 8bit */
};

/* The job's message less our signature, with rcpt's one-click URL. */
static int
oneclick_fields(struct bulk *b, const struct bulkq_packet *q,
    const struct bulk_job *job, const char *rcpt, struct buf *raw)
{
	struct buf url = BUF_INIT(2048), value = BUF_INIT(BULK_FIELD_MAX);
	const char *m = job->raw.data;
	int rc = -1;

	if (oneclick_url(b->oneclick_base, &b->oneclick_key, q->list_name,
	    q->domain, rcpt, time(NULL), &url) == -1 ||
	    transform_unsubscribe_value(job->lu_value, buf_cstr(&url),
	    &value) == -1)
		goto out;
	if (buf_append(raw, m + job->sig_end, job->lu_start - job->sig_end) == -1 ||
	    buf_printf(raw, "List-Unsubscribe: %s%sList-Unsubscribe-Post: "
	    "%s%s", buf_cstr(&value), job->eol, ONECLICK_POST_BODY,
	    job->eol) == -1 ||
	    buf_append(raw, m + job->lu_end, job->raw.len - job->lu_end) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&url);
	buf_free(&value);
	return rc;
}

/*
 * The job's message for one recipient, signed again when the job was
 * signed, prepared for DATA. NULL when it cannot be.
 */
static struct buf *
personal_copy(struct bulk *b, const struct bulkq_packet *q,
    struct bulk_job *job, struct personal *pp)
{
	struct buf raw = BUF_INIT(BULK_MESSAGE_MAX),
	    merged = BUF_INIT(BULK_MESSAGE_MAX), sig = BUF_INIT(64 * 1024),
	    err = BUF_INIT(1024);
	struct buf *out = NULL, *msg = &raw;

	/*
	 * A read receipt goes to the member's own return path, which names
	 * the member and the job (distribute removed the author's field).
	 */
	if (pp->receipts_to != NULL && buf_printf(&raw,
	    "Disposition-Notification-To: <%s>%s", pp->receipts_to,
	    job->eol) == -1)
		goto out;
	if (pp->oneclick) {
		if (oneclick_fields(b, q, job, pp->rcpt, &raw) == -1)
			goto out;
	} else if (buf_append(&raw, job->raw.data + job->sig_end,
	    job->raw.len - job->sig_end) == -1)
		goto out;
	if (q->merge_nonce != NULL) {
		const struct transform_merge_values v = { pp->rcpt, pp->gecos };

		if (transform_merge(raw.data, raw.len, q->merge_nonce, &v,
		    &merged, &pp->n_8bit) == -1)
			goto out;
		msg = &merged;
	}
	/* The signature goes first; it covers what follows. */
	if (job->signer != NULL && dkim_signer_sign(job->signer, msg->data,
	    msg->len, &sig, &err) == -1) {
		log_warn("packet %lld: dkim: %s", q->id, buf_cstr(&err));
		if (q->merge_nonce == NULL)
			goto out;
		buf_reset(&sig);
	}
	sig.max = BULK_MESSAGE_MAX + sig.len;
	if (buf_append(&sig, msg->data, msg->len) == -1)
		goto out;
	out = xmalloc(sizeof(*out));
	buf_init(out, job->prepared.max);
	if (smtp_body_prepare(sig.data, sig.len, out) == -1) {
		buf_free(out);
		free(out);
		out = NULL;
	}
out:
	buf_free(&raw);
	buf_free(&merged);
	buf_free(&sig);
	buf_free(&err);
	return out;
}

/* -- transactions ------------------------------------------------------ */

void
bulk_limits(const struct bulk *b, const char *domain, struct domlimit *dl)
{
	if (b->limits != NULL)
		domlimits_get(b->limits, domain, strlen(domain), dl);
	else
		memset(dl, 0, sizeof(*dl));
}

void
bulk_txn_free(struct bulk_txn *t)
{
	if (t == NULL)
		return;
	free(t->return_path);
	free(t->rcpts);
	free(t->domain);
	if (t->personal != NULL) {
		buf_free(t->personal);
		free(t->personal);
	}
	free(t);
}

static int
utf8_needed(const char *rp, const char *const *rcpts, size_t n)
{
	if (has_8bit(rp, strlen(rp)))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (has_8bit(rcpts[i], strlen(rcpts[i])))
			return 1;
	return 0;
}

static struct bulk_txn *
txn_new(struct bulk *b, struct bulk_packet *pk, char *return_path,
    const char **rcpts, size_t n)
{
	struct bulk_txn *t = xcalloc(1, sizeof(*t));
	struct domlimit dl;
	const char *d = domain_of(rcpts[0]);

	t->pk = pk;
	t->return_path = return_path != NULL ? return_path :
	    xstrdup(pk->job->return_path != NULL ? pk->job->return_path :
	    pk->q.return_path);
	t->rcpts = xmemdup(rcpts, n * sizeof(*rcpts));
	t->nrcpt = n;
	t->flags = pk->job->flags | SMTP_TXN_PREPARED;
	if (utf8_needed(t->return_path, rcpts, n))
		t->flags |= SMTP_TXN_UTF8;
	t->domain = xstrdup(d);
	bulk_limits(b, d, &dl);
	t->limit = dl.concurrency;
	return t;
}

static void
plan_add(struct bulk *b, struct bulk_packet *pk, struct bulk_txn *t)
{
	TAILQ_INSERT_TAIL(&b->txns, t, entry);
	pk->planned++;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether rcpt is among the packet's VERP recipients (sorted). */
static int
is_verp(const struct bulkq_packet *q, const char *rcpt)
{
	return q->nverp > 0 && bsearch(&rcpt, q->verp, q->nverp,
	    sizeof(*q->verp), strp_cmp) != NULL;
}

/* One transaction for one recipient, with what they need of their own. */
static void
plan_single(struct bulk *b, struct bulk_packet *pk, int verp,
    struct personal *pp)
{
	char *rp = verp ? verp_return_path(b, &pk->q, pp->rcpt) : NULL;
	struct bulk_txn *t = txn_new(b, pk, rp, &pp->rcpt, 1);

	/*
	 * DSNs only where the return path names the member and the job: a
	 * success report to the list's own address would say nothing.
	 */
	if (rp != NULL && pk->q.tracking != NULL)
		t->flags |= SMTP_TXN_DSN;
	if (rp != NULL && pk->q.tracking != NULL &&
	    strcmp(pk->q.tracking, "mdn") == 0)
		pp->receipts_to = rp;

	if (pp->oneclick || pk->q.merge_nonce != NULL ||
	    pp->receipts_to != NULL) {
		if ((t->personal = personal_copy(b, &pk->q, pk->job, pp)) == NULL)
			log_warn("packet %lld: no personal copy for %s: the "
			    "common one goes", pk->q.id, pp->rcpt);
		else if (pp->n_8bit)
			t->flags |= SMTP_TXN_8BIT;
	}
	plan_add(b, pk, t);
}

static void
names_free(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The members' names for the merge fields; 0, or -1 (logged). */
static int
member_names(struct bulk *b, struct bulk_packet *pk, char ***names)
{
	int rc = bulkq_member_names(b->st, &pk->q, names);

	if (rc == STORE_OK)
		return 0;
	b->db_down = rc == STORE_TEMP;
	log_error("packet %lld: cannot read the members' names: %s", pk->q.id,
	    store_error(b->st));
	names_free(*names, pk->q.nrcpts);
	*names = NULL;
	return -1;
}

/*
 * Plan the packet's transactions; 0, or -1 when its message cannot be
 * had (the database is away, or the job is broken: logged).
 */
int
bulk_plan(struct bulk *b, struct bulk_packet *pk)
{
	struct bulkq_packet *q = &pk->q;
	const char **group;
	size_t ng = 0, run = 0;
	const char *run_domain = NULL;
	int run_limit = 0, run_limited = 0;
	char **names = NULL;

	if ((pk->job = job_for(b, q)) == NULL)
		return -1;
	if (q->merge_nonce != NULL && member_names(b, pk, &names) == -1)
		return -1;
	if (q->nverp > 1)
		qsort(q->verp, q->nverp, sizeof(*q->verp), strp_cmp);
	group = xcalloc(q->nrcpts > 0 ? q->nrcpts : 1, sizeof(*group));
	for (size_t i = 0; i < q->nrcpts; i++) {
		const char *r = q->rcpts[i], *d = domain_of(r);
		struct domlimit dl;
		int verp = is_verp(q, r);
		struct personal pp = { r, 0, names != NULL ? names[i] : NULL,
		    NULL, 0 };

		bulk_limits(b, d, &dl);
		pp.oneclick = pk->job->oneclick_ok && dl.oneclick;
		if (verp || pp.oneclick || dl.single || q->merge_nonce != NULL) {
			plan_single(b, pk, verp, &pp);
			continue;
		}
		if (run_domain == NULL || strcmp(run_domain, d) != 0) {
			/* A limited domain is counted alone: its own groups. */
			if (ng > 0 && (dl.concurrency > 0 || run_limited)) {
				plan_add(b, pk, txn_new(b, pk, NULL, group, ng));
				ng = 0;
			}
			run_domain = d;
			run = 0;
			run_limit = dl.nrcpt;
			run_limited = dl.concurrency > 0;
		}
		if (ng == BULK_TXN_RCPT_MAX || (run_limit > 0 && run == (size_t)run_limit)) {
			plan_add(b, pk, txn_new(b, pk, NULL, group, ng));
			ng = 0;
			run = 0;
		}
		group[ng++] = r;
		run++;
	}
	if (ng > 0)
		plan_add(b, pk, txn_new(b, pk, NULL, group, ng));
	free(group);
	names_free(names, q->nrcpts);
	return 0;
}
