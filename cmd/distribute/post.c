/*
 * post.c - a message to a list's own address.
 *
 * In Sympa's order (reference §4.4): the message's identity (Message-ID,
 * author), its spam status, the list, loops and automatons, a Message-ID
 * already distributed to the list, max_size, then the send scenario,
 * whose action decides: distribute, hold for the moderators or for the
 * sender's confirmation, forward to the owners, or reject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dkim.h"
#include "distribute.h"
#include "family.h"
#include "listconf.h"
#include "log.h"
#include "seen.h"

static const char list_sql[] =
    "SELECT id, status FROM lists WHERE name = $1 AND domain = $2";

/* The Message-ID without its angle brackets, bounded. */
static void
read_message_id(struct inmsg *im)
{
	struct buf v = BUF_INIT(sizeof(im->message_id) + 8);
	const char *s;
	size_t n;

	if (msg_header_get(im->m, NULL, "Message-ID", &v) == 1) {
		s = buf_cstr(&v);
		n = v.len;
		if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
			s++;
			n -= 2;
		}
		if (n > 0 && n < sizeof(im->message_id))
			snprintf(im->message_id, sizeof(im->message_id), "%.*s",
			    (int)n, s);
	}
	buf_free(&v);
}

/* The author: the first address of From, canonical, lower-cased. */
static void
read_author(struct inmsg *im)
{
	struct buf v = BUF_INIT(4096), c = BUF_INIT(DIST_ADDR_MAX);

	if (msg_header_get(im->m, NULL, "From", &v) == 1 &&
	    addr_canonical(v.data, v.len, ADDR_CANON_LOWER_ALL, &c) == 0 &&
	    c.len < sizeof(im->from) && addr_is_valid_email(buf_cstr(&c)))
		snprintf(im->from, sizeof(im->from), "%s", buf_cstr(&c));
	buf_reset(&v);
	if (msg_subject(im->m, &v) >= 0) {
		/* One line for logs and notices. */
		for (char *p = v.data; p != NULL && *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		snprintf(im->subject, sizeof(im->subject), "%s", buf_cstr(&v));
	}
	buf_free(&v);
	buf_free(&c);
}

/* The spam status: the site's spam_status scenario on the message alone. */
static void
classify(struct dist *d, struct inmsg *im)
{
	struct scenario_path p;
	struct buf store = BUF_INIT(4096);
	struct scenario_result res;

	scenario_path_init(&p);
	if (scenario_path_std(&p, &store, d->cf, im->route.domain, NULL,
	    NULL) == 0)
		im->spam = scenario_spam_status(&p, config_str(d->cf,
		    CF_SPAM_STATUS), im->route.domain, im->m, d->cf, &res);
	else
		im->spam = "unknown";
	im->is_spam = strcmp(im->spam, "spam") == 0;
	buf_free(&store);
}

void
post_identify(struct dist *d, struct inmsg *im)
{
	read_message_id(im);
	read_author(im);
	snprintf(im->env_sender, sizeof(im->env_sender), "%s",
	    im->e->env.sender ? im->e->env.sender : "");
	snprintf(im->rcpt, sizeof(im->rcpt), "%s", im->e->env.recipient);
	classify(d, im);
}

int
post_find_list(struct dist *d, struct inmsg *im, enum dist_fate *f)
{
	const char *p[2] = { im->route.list, im->route.domain };
	PGresult *r;
	int rc;

	log_context(im->id, im->route.list);
	im->le = listreg_find(d->lists, im->route.list, im->route.domain);
	rc = store_query_prepared(d->st, "distribute_list", list_sql, 2, p, &r);
	if (rc != STORE_OK) {
		*f = dist_store_fail(d, im, rc, "list lookup");
		return -1;
	}
	if (PQntuples(r) == 1) {
		snprintf(im->list_id, sizeof(im->list_id), "%s",
		    PQgetvalue(r, 0, 0));
		snprintf(im->list_status, sizeof(im->list_status), "%s",
		    PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	if (im->le == NULL || im->list_id[0] == '\0') {
		service_reply(d, im, DN_NO_SUCH_LIST, NULL);
		*f = dist_fail(im, DIST_BAD, "no such list %s@%s",
		    im->route.list, im->route.domain);
		return -1;
	}
	if (im->le->state != LISTREG_OK) {
		*f = dist_fail(im, DIST_BAD, "the list's configuration does not "
		    "load: %s", im->le->error ? im->le->error : "?");
		return -1;
	}
	if (strcmp(im->list_status, "open") != 0) {
		service_reply(d, im, DN_LIST_CLOSED, NULL);
		*f = dist_fail(im, DIST_BAD, "the list is %s", im->list_status);
		return -1;
	}
	return 0;
}

/* A verified DKIM signature of the author's domain authenticates. */
enum scenario_auth
post_authenticate(struct dist *d, struct inmsg *im)
{
	struct dkim_results res;
	const char *at = strrchr(im->from, '@');
	enum scenario_auth auth = SCENARIO_AUTH_SMTP;
	struct buf err = BUF_INIT(1024);

	if (at == NULL || msg_header_count(im->m, NULL, "DKIM-Signature") == 0)
		return auth;
	memset(&res, 0, sizeof(res));
	if (dkim_verify_message(d->dkim, im->data.data, im->data.len, &res,
	    &err) == 0 && dkim_aligned(&res, at + 1, DKIM_ALIGN_RELAXED))
		auth = SCENARIO_AUTH_DKIM;
	else if (err.len > 0)
		log_info("dkim: %s", buf_cstr(&err));
	dkim_results_free(&res);
	buf_free(&err);
	return auth;
}

void
dist_scenario(struct dist *d, const struct listreg_entry *le, const char *list,
    const char *domain, const char *function, const char *value,
    struct scenario_ctx *ctx, struct scenario_result *res)
{
	struct scenario_path path;
	struct buf store = BUF_INIT(8192), name = BUF_INIT(256),
	    fdir = BUF_INIT(4096);
	const char *family = le != NULL ? listconf_str(le->conf, LC_FAMILY) : "";

	scenario_path_init(&path);
	if (*family != '\0')
		buf_printf(&fdir, "%s/%s/%s/%s/scenarios", config_str(d->cf,
		    CF_LISTS_DIRECTORY), domain, FAMILY_DIR, family);
	scenario_name_canonical(function, value, &name);
	ctx->listname = list;
	ctx->domain = domain;
	ctx->conf = le != NULL ? le->domain_config : d->cf;
	ctx->list = le != NULL ? le->conf : NULL;
	ctx->members = scenario_store_members(d->ss);
	ctx->path = &path;
	scenario_store_reset(d->ss);
	if (scenario_path_std(&path, &store, d->cf, domain, list,
	    fdir.len ? buf_cstr(&fdir) : NULL) != 0)
		scenario_decide(NULL, function, buf_cstr(&name), ctx, res);
	else
		scenario_decide(&path, function, buf_cstr(&name), ctx, res);
	ctx->path = NULL;
	buf_free(&store);
	buf_free(&name);
	buf_free(&fdir);
}

enum dist_fate
post_authorize(struct dist *d, struct inmsg *im)
{
	const struct listconf *lc = im->le->conf;
	struct buf name = BUF_INIT(256);
	struct scenario_ctx ctx;
	struct scenario_result res;
	char fmt[512];
	enum dist_fate fate;

	memset(&ctx, 0, sizeof(ctx));
	ctx.sender = im->from;
	ctx.auth = im->auth;
	ctx.msg = im->m;
	ctx.spam_status = im->spam;
	dist_scenario(d, im->le, im->route.list, im->route.domain, "send",
	    listconf_str(lc, LC_SEND), &ctx, &res);
	scenario_result_format(&res, &name);
	snprintf(fmt, sizeof(fmt), "%s", buf_cstr(&name));
	log_info("send.%s: %s (%s) for %s", listconf_str(lc, LC_SEND), fmt,
	    res.origin, im->from);
	switch (res.action) {
	case SCENARIO_DO_IT:
		fate = deliver_post(d, im);
		break;
	case SCENARIO_EDITOR:
	case SCENARIO_EDITORKEY:
		fate = held_put(d, im, HOLD_MODERATION);
		if (fate == DIST_KEPT && !res.quiet && !im->is_spam)
			service_reply(d, im, DN_HELD, NULL);
		break;
	case SCENARIO_REQUEST_AUTH:
		fate = held_put(d, im, HOLD_AUTH);
		break;
	case SCENARIO_OWNER:
	case SCENARIO_LISTMASTER:
		fate = service_forward(d, im, res.action == SCENARIO_OWNER ?
		    "owner" : "listmaster");
		break;
	default:
		if (!res.quiet)
			service_reply(d, im, DN_REJECTED, res.reason[0] ?
			    res.reason : res.tt2);
		fate = dist_fail(im, DIST_BAD, "rejected by send.%s (%s)",
		    listconf_str(lc, LC_SEND), res.origin);
		break;
	}
	buf_free(&name);
	return fate;
}

enum dist_fate
post_handle(struct dist *d, struct inmsg *im)
{
	enum dist_fate fate;
	const char *why;
	long long max;
	int seen, rc;

	post_identify(d, im);
	if (im->message_id[0] == '\0')
		return dist_fail(im, DIST_BAD, "no Message-ID");
	if (im->from[0] == '\0')
		return dist_fail(im, DIST_BAD, "no usable From address");
	/*
	 * RFC 5322 allows one From. With two, receivers may judge DMARC on
	 * one and show the other: a known way to pass a forged author.
	 */
	if (msg_header_count(im->m, NULL, "From") != 1)
		return dist_fail(im, DIST_BAD, "more than one From field");
	if (post_find_list(d, im, &fate) == -1)
		return fate;
	if (service_is_loop(d, im, &why))
		return dist_fail(im, DIST_BAD, "loop or automaton: %s", why);
	if ((rc = seen_check(d->st, SEEN_POST, im->list_id, im->message_id,
	    &seen)) != STORE_OK)
		return dist_store_fail(d, im, rc, "Message-ID lookup");
	if (seen)
		return dist_fail(im, DIST_BAD, "Message-ID <%s> already "
		    "distributed to the list", im->message_id);
	max = listconf_int(im->le->conf, LC_MAX_SIZE);
	if (max <= 0)
		max = config_int(im->le->domain_config ? im->le->domain_config :
		    d->cf, CF_MAX_SIZE);
	if ((long long)im->data.len > max) {
		service_reply(d, im, DN_TOO_BIG, NULL);
		return dist_fail(im, DIST_BAD, "too big: %zu bytes, the list "
		    "takes at most %lld", im->data.len, max);
	}
	im->auth = post_authenticate(d, im);
	return post_authorize(d, im);
}
