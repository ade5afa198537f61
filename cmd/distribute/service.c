/*
 * service.c - every address but the list's own, and the mail distribute
 * sends itself.
 *
 * -owner forwards to the owners, -editor to the moderators (owners when
 * there are none), listmaster to the listmasters; the robot address,
 * -request, -subscribe and -unsubscribe go to the command processor
 * (robot.c), which forwards -request mail that holds no command to the
 * owners. Spam to any of them is dropped without a word (reference
 * §2.3). Replies never go to automatons, to <> or to spam (RFC 3834):
 * see service_may_reply().
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "autoreply.h"
#include "distribute.h"
#include "listconf.h"
#include "log.h"
#include "mem.h"
#include "notice.h"
#include "robot.h"

#define SERVICE_MSG_MAX		(256u * 1024 * 1024)

static const char admins_sql[] =
    "SELECT email FROM admins WHERE list_id = $1 AND role = $2"
    " AND reception <> 'nomail' ORDER BY email";

void
service_free_rcpts(char **rcpts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rcpts[i]);
	free(rcpts);
}

void
service_add_rcpt(char ***rcpts, size_t *n, const char *a)
{
	*rcpts = xreallocarray(*rcpts, *n + 1, sizeof(char *));
	(*rcpts)[(*n)++] = xstrdup(a);
}

/* The site's listmasters, added to rcpts. */
static void
listmasters(struct dist *d, char ***rcpts, size_t *n)
{
	char **lm;
	size_t nlm = config_addresses(d->cf, CF_LISTMASTER, &lm);

	for (size_t i = 0; i < nlm; i++)
		service_add_rcpt(rcpts, n, lm[i]);
	config_addresses_free(lm, nlm);
}

int
service_admins(struct dist *d, const char *list_id, const char *role,
    char ***rcpts, size_t *n)
{
	const char *roles[2] = { role, "owner" };
	PGresult *r;
	int rc;

	*rcpts = NULL;
	*n = 0;
	for (size_t k = 0; k < 2 && *n == 0 && list_id != NULL; k++) {
		const char *p[2] = { list_id, roles[k] };

		rc = store_query_prepared(d->st, "distribute_admins", admins_sql,
		    2, p, &r);
		if (rc != STORE_OK)
			return rc;
		for (int i = 0; i < PQntuples(r); i++)
			service_add_rcpt(rcpts, n, PQgetvalue(r, i, 0));
		PQclear(r);
	}
	if (*n == 0)
		listmasters(d, rcpts, n);
	return STORE_OK;
}

/* What the loop and automaton tests need to know of im. */
static void
autoreply_input_of(struct dist *d, const struct inmsg *im,
    struct autoreply_input *in, struct buf *addrs, const char **ours,
    struct buf *list_id)
{
	memset(in, 0, sizeof(*in));
	in->msg = im->m;
	in->envelope_sender = im->env_sender;
	in->sender = im->from[0] ? im->from : NULL;
	buf_printf(addrs, "%s@%s", config_str(d->cf, CF_ROBOT_LOCALPART),
	    im->route.domain);
	ours[0] = buf_cstr(addrs);
	in->our_addresses = ours;
	in->n_our_addresses = 1;
	if (im->route.list[0] != '\0') {
		buf_printf(list_id, "%s.%s", im->route.list, im->route.domain);
		in->list_id = buf_cstr(list_id);
	}
	in->bounce_localpart = config_str(d->cf, CF_BOUNCE_LOCALPART);
}

int
service_may_reply(struct dist *d, const struct inmsg *im)
{
	struct autoreply_input in;
	struct buf a = BUF_INIT(512), l = BUF_INIT(512);
	const char *ours[1], *why = NULL;
	int ok;

	if (im->from[0] == '\0')
		return 0;
	autoreply_input_of(d, im, &in, &a, ours, &l);
	ok = autoreply_may_reply(&in, im->is_spam, &why);
	if (!ok)
		log_info("no reply to %s: %s", im->from, why ? why : "");
	buf_free(&a);
	buf_free(&l);
	return ok;
}

int
service_automaton(struct dist *d, const struct inmsg *im, const char **why)
{
	struct autoreply_input in;
	struct buf a = BUF_INIT(512), l = BUF_INIT(512);
	const char *ours[1];
	unsigned int bits;

	autoreply_input_of(d, im, &in, &a, ours, &l);
	bits = autoreply_check(&in) & (AUTOREPLY_AUTOMATON | AUTOREPLY_LOOP |
	    AUTOREPLY_ROLE | AUTOREPLY_PRECEDENCE);
	*why = autoreply_reason(bits);
	buf_free(&a);
	buf_free(&l);
	return bits != 0;
}

int
service_is_loop(struct dist *d, const struct inmsg *im, const char **why)
{
	const struct listconf *lc = im->le->conf;
	struct autoreply_input in;
	struct buf a = BUF_INIT(512), l = BUF_INIT(512), lp = BUF_INIT(512),
	    err = BUF_INIT(512);
	const char *ours[2];
	struct autoreply_regex *re;
	int drop;

	autoreply_input_of(d, im, &in, &a, ours, &l);
	/* The list's own address in X-Loop is ours too. */
	buf_printf(&lp, "%s@%s", im->route.list, im->route.domain);
	ours[1] = buf_cstr(&lp);
	in.n_our_addresses = 2;
	re = autoreply_regex_new(listconf_str(lc, LC_LOOP_PREVENTION_REGEX),
	    &err);
	if (re == NULL && err.len > 0)
		log_warn("loop_prevention_regex: %s", buf_cstr(&err));
	in.loop_regex = re;
	drop = autoreply_drop_post(&in, listconf_bool(lc,
	    LC_REJECT_MAIL_FROM_AUTOMATES_FEATURE), why);
	autoreply_regex_free(re);
	buf_free(&a);
	buf_free(&l);
	buf_free(&lp);
	buf_free(&err);
	return drop;
}

static void
notice_ctx_of(struct dist *d, const struct inmsg *im, struct notice_ctx *nc)
{
	memset(nc, 0, sizeof(*nc));
	nc->domain = im->route.domain;
	nc->robot_localpart = config_str(d->cf, CF_ROBOT_LOCALPART);
	nc->list = im->route.list[0] ? im->route.list : NULL;
}

int
service_compose(struct dist *d, const struct inmsg *im, enum dist_notice kind,
    const char *arg, const char *to, struct buf *out)
{
	struct notice_ctx nc;
	struct notice_reply r;
	struct notice_moderation m;
	struct buf cmd = BUF_INIT(512);
	const char *why = NULL;
	int rc;

	notice_ctx_of(d, im, &nc);
	memset(&r, 0, sizeof(r));
	r.to = to;
	r.orig = im->m;
	switch (kind) {
	case DN_MODERATE:
		memset(&m, 0, sizeof(m));
		m.held = im->data.data;
		m.held_len = im->data.len;
		m.held_msg = im->m;
		m.key = arg;
		m.is_spam = im->is_spam;
		rc = notice_moderate(&nc, &m, out, &why);
		break;
	case DN_AUTH_REQUEST:
		buf_printf(&cmd, "CONFIRM %s", arg);
		r.command = buf_cstr(&cmd);
		rc = notice_reply(&nc, NOTICE_CONFIRM, &r, out, &why);
		break;
	case DN_TOO_BIG:
		r.size = im->data.len;
		r.max_size = (size_t)listconf_int(im->le->conf, LC_MAX_SIZE);
		if (r.max_size == 0)
			r.max_size = (size_t)config_int(d->cf, CF_MAX_SIZE);
		rc = notice_reply(&nc, NOTICE_TOO_BIG, &r, out, &why);
		break;
	case DN_NO_SUCH_LIST:
	case DN_LIST_CLOSED:
		r.address = im->rcpt[0] ? im->rcpt : im->e->env.recipient;
		rc = notice_reply(&nc, NOTICE_NO_LIST, &r, out, &why);
		break;
	case DN_HELD:
		rc = notice_reply(&nc, NOTICE_HELD, &r, out, &why);
		break;
	case DN_REJECTED_BY_MODERATOR:
		r.reason = "a moderator of the list rejected the message";
		rc = notice_reply(&nc, NOTICE_REJECT, &r, out, &why);
		break;
	case DN_REJECTED:
	default:
		r.reason = arg && *arg ? arg : NULL;
		rc = notice_reply(&nc, NOTICE_REJECT, &r, out, &why);
		break;
	}
	if (rc == -1)
		log_warn("cannot compose a notice: %s", why ? why : "?");
	buf_free(&cmd);
	return rc;
}

/*
 * Whether the service mail about im is signed (dkim_add_signature_to):
 * a list's with the list's key, the robot's with the site's.
 */
static int
service_signing(struct dist *d, const struct inmsg *im, struct signing *sg)
{
	const char *to = config_str(d->cf, CF_DKIM_ADD_SIGNATURE_TO);
	int of_list = im->le != NULL && im->list_id[0] != '\0';

	if (!config_bool(d->cf, CF_DKIM_FEATURE) ||
	    strstr(to, of_list ? "list" : "robot") == NULL)
		return 0;
	return dist_signing(d, of_list ? im->le->conf : NULL,
	    im->route.domain, sg);
}

/* A reply is worth more than its signature: a failure is only logged. */
static int
sign_or_say(const struct signing *sg, struct buf *msg, const struct inmsg *im)
{
	struct buf err = BUF_INIT(1024);
	int ok = dist_sign(sg, msg, &err) == 0;

	if (!ok)
		log_warn("dkim: %s: the service mail about %s goes unsigned",
		    buf_cstr(&err), im->id);
	buf_free(&err);
	return ok;
}

int
service_send(struct dist *d, struct inmsg *im, const char *suffix,
    const char *kind, const struct buf *message, const char *return_path,
    const char *const *rcpts, size_t n, const char *merge_nonce)
{
	struct buf jid = BUF_INIT(512), signed_copy = BUF_INIT(message->max);
	struct packet_job job;
	struct packet_outcome oc;
	struct signing sg;
	int rc;

	if (service_signing(d, im, &sg) &&
	    buf_append(&signed_copy, message->data, message->len) == 0 &&
	    sign_or_say(&sg, &signed_copy, im))
		message = &signed_copy;
	else
		memset(&sg, 0, sizeof(sg));
	buf_printf(&jid, "%s/%s", im->id, suffix);
	memset(&job, 0, sizeof(job));
	job.spool_id = buf_cstr(&jid);
	job.kind = kind;
	job.list_id = im->list_id[0] ? im->list_id : NULL;
	job.list_name = im->route.list[0] ? im->route.list : NULL;
	job.domain = im->route.domain;
	job.message = message->data;
	job.message_len = message->len;
	job.return_path = return_path;
	job.priority = 1;
	job.dkim_sign = sg.key != NULL;
	job.dkim_domain = sg.domain;
	job.dkim_selector = sg.selector;
	job.dkim_key_path = sg.key;
	job.dkim_identity = sg.identity;
	job.merge_nonce = merge_nonce;
	rc = packet_job_create_to(d->st, &job, rcpts, n, &d->limits, &oc);
	buf_free(&jid);
	buf_free(&signed_copy);
	return rc;
}

void
service_reply(struct dist *d, struct inmsg *im, enum dist_notice kind,
    const char *arg)
{
	struct buf out = BUF_INIT(SERVICE_MSG_MAX);
	const char *to[1] = { im->from };
	char suffix[32];

	if (!service_may_reply(d, im))
		return;
	snprintf(suffix, sizeof(suffix), "reply%d", (int)kind);
	if (service_compose(d, im, kind, arg, im->from, &out) == 0 &&
	    service_send(d, im, suffix, "reply", &out, "", to, 1, NULL) != STORE_OK)
		log_warn("the reply to %s is lost: %s", im->from,
		    store_error(d->st));
	buf_free(&out);
}

enum dist_fate
service_forward(struct dist *d, struct inmsg *im, const char *to)
{
	struct buf out = BUF_INIT(SERVICE_MSG_MAX), rp = BUF_INIT(512),
	    recv = BUF_INIT(512);
	char **rcpts = NULL;
	size_t n = 0;
	const char *why = NULL;
	int rc = STORE_OK;

	if (strcmp(to, "listmaster") == 0)
		listmasters(d, &rcpts, &n);
	else if ((rc = service_admins(d, im->list_id[0] ? im->list_id : NULL,
	    to, &rcpts, &n)) != STORE_OK)
		return dist_store_fail(d, im, rc, "admins");
	buf_printf(&rp, "%s-request@%s", config_str(d->cf, CF_ROBOT_LOCALPART),
	    im->route.domain);
	buf_puts(&recv, im->e->env.recipient);
	if (n == 0) {
		buf_free(&out);
		buf_free(&rp);
		buf_free(&recv);
		return dist_fail(im, DIST_BAD, "nobody to forward to");
	}
	if (notice_forward(im->data.data, im->data.len, buf_cstr(&recv),
	    buf_cstr(&rp), &out, &why) == -1) {
		service_free_rcpts(rcpts, n);
		buf_free(&out);
		buf_free(&rp);
		buf_free(&recv);
		return dist_fail(im, DIST_BAD, "cannot forward: %s", why);
	}
	rc = service_send(d, im, "forward", "forward", &out, buf_cstr(&rp),
	    (const char *const *)rcpts, n, NULL);
	log_info("forwarded to %zu %s address%s", n, to, n == 1 ? "" : "es");
	service_free_rcpts(rcpts, n);
	buf_free(&out);
	buf_free(&rp);
	buf_free(&recv);
	if (rc != STORE_OK)
		return dist_store_fail(d, im, rc, "forward");
	return DIST_DONE;
}

enum dist_fate
service_handle(struct dist *d, struct inmsg *im)
{
	enum dist_fate f;

	post_identify(d, im);
	if (im->route.list[0] != '\0' && post_find_list(d, im, &f) == -1)
		return f;
	if (im->is_spam)
		return dist_fail(im, DIST_BAD, "spam to %s: dropped without "
		    "reply", route_kind_name(im->route.kind));
	switch (im->route.kind) {
	case ROUTE_REQUEST:
	case ROUTE_ROBOT:
	case ROUTE_SUBSCRIBE:
	case ROUTE_UNSUBSCRIBE:
		return robot_handle(d, im);
	case ROUTE_OWNER:
		return service_forward(d, im, "owner");
	case ROUTE_EDITOR:
		return service_forward(d, im, "editor");
	case ROUTE_LISTMASTER:
		return service_forward(d, im, "listmaster");
	case ROUTE_ROBOT_REQUEST:
		return dist_fail(im, DIST_BAD, "mail to the robot's -request "
		    "address: dropped (a loop guard; alias it to the listmasters)");
	case ROUTE_BOUNCE:
		return dist_fail(im, DIST_BAD, "a bounce address in the msg "
		    "spool: its alias must run bouncequeue");
	default:
		return dist_fail(im, DIST_BAD, "%s: not an address distribute "
		    "serves", route_kind_name(im->route.kind));
	}
}
