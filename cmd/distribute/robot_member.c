/*
 * robot_member.c - the commands that change memberships (SUBSCRIBE,
 * SIGNOFF, ADD, DEL, SET), INVITE and REMIND, and AUTH, which carries out
 * one of them once its key comes back.
 *
 * A command asks its scenario. do_it: done now, the change and the mail
 * about it (welcome, bye, removed, the owners' notice) in one
 * transaction. request_auth: a request waits under a fresh key and the
 * key goes to the address that must confirm (the target with
 * request_auth([email]), else the sender), never anywhere else.
 * owner: the key goes to the owners, who answer with the ADD or DEL line.
 * AUTH key LINE must quote the very line the key was given for; the key
 * is spent in the transaction that carries the command out, and the
 * audit record of the change keeps it with the Message-ID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mem.h"
#include "request.h"
#include "robot.h"
#include "transform.h"

/* Transactions: a command joins one already open (AUTH's). */

static int
robot_begin(struct robot_run *r, int *mine)
{
	*mine = !store_in_transaction(r->d->st);
	return *mine ? store_begin(r->d->st) : STORE_OK;
}

/* Commit (rc STORE_OK) or roll back what robot_begin opened. */
static int
robot_end(struct robot_run *r, int mine, int rc)
{
	if (!mine)
		return rc;
	if (rc == STORE_OK)
		return store_commit(r->d->st);
	store_rollback(r->d->st);
	return rc;
}

/* A mail's failure code (robot_mail) as a STORE_* code. */
static int
robot_mail_rc(int rc)
{
	return rc < 0 ? -rc : STORE_OK;
}

static void
robot_refused(struct robot_run *r, const struct command *c,
    const struct scenario_result *res)
{
	if (res->reason[0] != '\0')
		robot_say(r, RS_AUTH, c, "cmd.not_allowed_reason", "reason",
		    res->reason, NULL);
	else
		robot_say(r, RS_AUTH, c, "cmd.not_allowed", NULL);
}

static int
robot_is_member(struct robot_run *r, const char *list, const char *email)
{
	return robot_role(r, SCENARIO_ROLE_SUBSCRIBER, list, email);
}

/* Requests. */

static void
robot_days(struct robot_run *r, char *out, size_t size)
{
	snprintf(out, size, "%lld", config_int(r->d->cf, CF_KEY_DAYS));
}

static void
robot_date(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm);
}

/* The line AUTH must quote: line, lower-cased where command_format does. */
static int
robot_line(const struct command *c, struct buf *out)
{
	return command_format(c, out);
}

/*
 * A request of kind for c, its key sent to to (kind confirm or invite)
 * or to the owners (owner). line is what AUTH must quote.
 */
static void
robot_request(struct robot_run *r, const struct command *c,
    const struct robot_list *l, enum request_kind kind,
    enum request_action action, const char *email, const char *to,
    const char *line)
{
	struct request q;
	struct robot_mail m = { .list = l->rl.name, .suffix = "request" };
	char days[16], date[64], **owners = NULL;
	size_t nowners = 0;
	struct buf url = BUF_INIT(4096), gl = BUF_INIT(512);
	int waiting = 0, mine, rc;

	memset(&q, 0, sizeof(q));
	q.kind = kind;
	q.action = action;
	snprintf(q.list_id, sizeof(q.list_id), "%s", l->rl.id);
	snprintf(q.email, sizeof(q.email), "%s", email);
	snprintf(q.gecos, sizeof(q.gecos), "%s", c->gecos ? c->gecos : "");
	snprintf(q.requester, sizeof(q.requester), "%s", r->sender);
	q.quiet = c->quiet;
	snprintf(q.message_id, sizeof(q.message_id), "%s", r->im->message_id);
	snprintf(q.command, sizeof(q.command), "%s", line);
	robot_days(r, days, sizeof(days));
	for (const char *p = line; *p; p++)
		buf_printf(&url, (*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._@",
		    *p) ? "%c" : "%%%02X", (unsigned char)*p);
	if (c->gecos != NULL && *c->gecos != '\0')
		buf_printf(&gl, " (%s)", c->gecos);

	if ((rc = robot_begin(r, &mine)) == STORE_OK)
		rc = request_put(r->d->st, &q, (int)config_int(r->d->cf,
		    CF_KEY_DAYS), &waiting);
	if (rc == STORE_OK && !waiting && kind == REQUEST_OWNER) {
		rc = service_admins(r->d, l->rl.id, "owner", &owners, &nowners);
		m.rcpts = (const char *const *)owners;
		m.nrcpts = nowners;
		if (rc == STORE_OK)
			rc = robot_mail_rc(robot_mail(r, &m, "owner.subject",
			    action == REQUEST_SIGNOFF || action == REQUEST_DEL ?
			    "owner.body_signoff" : "owner.body_subscribe",
			    "key", q.key, "command", line, "command_url",
			    buf_cstr(&url), "email", email, "gecos_line",
			    buf_cstr(&gl), "list", l->rl.name, "days", days,
			    NULL));
	} else if (rc == STORE_OK && !waiting) {
		m.to = to;
		m.budget = 1;
		m.auto_replied = strcasecmp(to, r->sender) == 0;
		rc = robot_mail(r, &m, kind == REQUEST_INVITE ?
		    "invite.subject" : "auth.subject", kind == REQUEST_INVITE ?
		    "invite.body" : "auth.body", "key", q.key, "command", line,
		    "command_url", buf_cstr(&url), "requester", r->sender,
		    "list", l->rl.name, "subject", listconf_str(l->lc,
		    LC_SUBJECT), "days", days, NULL);
		/* Over the reply limit: the request waits, unsent; say so. */
		if (rc == 1)
			log_info("request for %s not sent: reply limit", to);
		rc = robot_mail_rc(rc);
	}
	rc = robot_end(r, mine, rc);
	service_free_rcpts(owners, nowners);
	buf_free(&url);
	buf_free(&gl);
	if (rc != STORE_OK) {
		robot_store_failed(r, c, rc, "request");
		return;
	}
	robot_date(q.created, date, sizeof(date));
	if (kind == REQUEST_OWNER)
		robot_say(r, RS_DONE, c, waiting ? "sub.owner_waiting" :
		    "sub.owner_sent", "list", l->rl.name, "date", date, NULL);
	else if (kind == REQUEST_INVITE)
		robot_say(r, RS_DONE, c, "invite.sent", "email", email, "list",
		    l->rl.name, NULL);
	else
		robot_say(r, RS_DONE, c, waiting ? "sub.confirm_waiting" :
		    "sub.confirm_sent", "email", to, "date", date, NULL);
}

/*
 * What the scenario decided, for the commands that can wait: 1 go on and
 * do it, 0 handled (refused, or a request now waits).
 */
static int
robot_decide(struct robot_run *r, const struct command *c,
    const struct robot_list *l, const struct scenario_result *res,
    enum request_action action, const char *email, const char *owner_line)
{
	struct buf line = BUF_INIT(2048);
	int go = 0;

	switch (res->action) {
	case SCENARIO_DO_IT:
		go = 1;
		break;
	case SCENARIO_REQUEST_AUTH:
		/* Confirmed already: a scenario asking again would loop. */
		if (r->auth == SCENARIO_AUTH_MD5 || robot_line(c, &line) == -1) {
			robot_refused(r, c, res);
			break;
		}
		robot_request(r, c, l, REQUEST_CONFIRM, action, email,
		    res->auth_email ? email : r->sender, buf_cstr(&line));
		break;
	case SCENARIO_OWNER:
		if (owner_line == NULL) {
			robot_refused(r, c, res);
			break;
		}
		robot_request(r, c, l, REQUEST_OWNER, action, email, NULL,
		    owner_line);
		break;
	default:
		robot_refused(r, c, res);
		break;
	}
	buf_free(&line);
	return go;
}

/* The line an owner sends back to approve: ADD or DEL. */
static void
robot_owner_line(enum command_verb verb, const char *list, const char *email,
    const char *gecos, struct buf *out)
{
	struct command a;

	memset(&a, 0, sizeof(a));
	a.verb = verb;
	a.status = COMMAND_OK;
	a.list = (char *)list;
	a.email = (char *)email;
	a.gecos = (char *)gecos;
	if (command_format(&a, out) == -1)
		buf_reset(out);
}

/* Changes. */

/* Tell the owners of a change when the scenario said ",notify". */
static int
robot_notify_owners(struct robot_run *r, const struct robot_list *l,
    int joined, const char *email, const char *gecos)
{
	struct robot_mail m = { .list = l->rl.name, .suffix = "notify" };
	struct buf gl = BUF_INIT(512);
	char **owners = NULL;
	size_t n = 0;
	int rc;

	if (gecos != NULL && *gecos != '\0')
		buf_printf(&gl, " (%s)", gecos);
	rc = service_admins(r->d, l->rl.id, "owner", &owners, &n);
	m.rcpts = (const char *const *)owners;
	m.nrcpts = n;
	if (rc == STORE_OK && n > 0)
		rc = robot_mail_rc(robot_mail(r, &m, joined ?
		    "notify_sub.subject" : "notify_sig.subject", joined ?
		    "notify_sub.body" : "notify_sig.body", "email", email,
		    "gecos_line", buf_cstr(&gl), "list", l->rl.name, NULL));
	service_free_rcpts(owners, n);
	buf_free(&gl);
	return rc;
}

/* Add email to the list, tell it (unless quiet) and the owners (notify). */
static void
robot_do_add(struct robot_run *r, const struct command *c,
    const struct robot_list *l, const struct scenario_result *res,
    const char *email, const char *auth_key, const char *requested_by)
{
	struct robot_mail m = { .to = email, .list = l->rl.name,
	    .suffix = "welcome", .budget = 1 };
	struct roster_who who;
	long long max = listconf_int(l->lc, LC_MAX_LIST_MEMBERS);
	int mine, rc;

	if (max > 0 && l->rl.members >= max) {
		robot_say(r, RS_USER, c, "sub.full", "list", l->rl.name, NULL);
		return;
	}
	robot_who(r, auth_key, &who);
	if (requested_by != NULL && strcasecmp(requested_by, r->sender) != 0)
		who.requested_by = requested_by;
	if ((rc = robot_begin(r, &mine)) == STORE_OK)
		rc = roster_member_add(r->d->st, &who, l->rl.name, r->domain,
		    email, c->gecos, NULL);
	if (rc == STORE_OK && !c->quiet && !res->quiet)
		rc = robot_mail_rc(robot_mail(r, &m, "welcome.subject",
		    "welcome.body", "list", l->rl.name, "subject",
		    listconf_str(l->lc, LC_SUBJECT), NULL));
	if (rc == STORE_OK && res->notify)
		rc = robot_notify_owners(r, l, 1, email, c->gecos);
	if (rc == ROSTER_EXISTS || rc == ROSTER_STATE) {
		robot_end(r, mine, STORE_ERROR);
		robot_say(r, RS_USER, c, rc == ROSTER_EXISTS ? "sub.already" :
		    "cmd.list_closed", "email", email, "list", l->rl.name, NULL);
		return;
	}
	if ((rc = robot_end(r, mine, rc)) != STORE_OK) {
		robot_store_failed(r, c, rc, "subscribe");
		return;
	}
	robot_say(r, RS_DONE, c, strcasecmp(email, r->sender) == 0 ?
	    "sub.done" : "sub.done_other", "email", email, "list", l->rl.name,
	    NULL);
}

/* Remove email from the list; tell it: bye (its own) or removed. */
static void
robot_do_del(struct robot_run *r, const struct command *c,
    const struct robot_list *l, const struct scenario_result *res,
    const char *email, const char *auth_key, int removed,
    const char *requested_by)
{
	struct robot_mail m = { .to = email, .list = l->rl.name,
	    .suffix = removed ? "removed" : "bye", .budget = 1 };
	struct roster_who who;
	int mine, rc;

	robot_who(r, auth_key, &who);
	if (requested_by != NULL && strcasecmp(requested_by, r->sender) != 0)
		who.requested_by = requested_by;
	if ((rc = robot_begin(r, &mine)) == STORE_OK)
		rc = roster_member_del(r->d->st, &who, l->rl.name, r->domain,
		    email);
	if (rc == STORE_OK && !c->quiet && !res->quiet)
		rc = robot_mail_rc(robot_mail(r, &m, removed ?
		    "removed.subject" : "bye.subject", removed ? "removed.body" :
		    "bye.body", "list", l->rl.name, NULL));
	if (rc == STORE_OK && res->notify)
		rc = robot_notify_owners(r, l, 0, email, NULL);
	if (rc == ROSTER_NOTFOUND || rc == ROSTER_STATE) {
		robot_end(r, mine, STORE_ERROR);
		robot_say(r, RS_USER, c, rc == ROSTER_NOTFOUND ?
		    "sig.not_member" : "cmd.list_closed", "email", email,
		    "list", l->rl.name, NULL);
		return;
	}
	if ((rc = robot_end(r, mine, rc)) != STORE_OK) {
		robot_store_failed(r, c, rc, "signoff");
		return;
	}
	robot_say(r, RS_DONE, c, removed ? "del.done" : "sig.done", "email",
	    email, "list", l->rl.name, NULL);
}

/* The commands. */

void
robot_subscribe(struct robot_run *r, const struct command *c,
    const char *auth_key)
{
	struct scenario_result res;
	struct robot_list l;
	struct buf owner = BUF_INIT(2048);

	if (robot_find_list(r, c, &l) == -1)
		goto done;
	if (robot_is_member(r, l.rl.name, r->sender) == 1) {
		robot_say(r, RS_USER, c, "sub.already", "email", r->sender,
		    "list", l.rl.name, NULL);
		goto done;
	}
	robot_scenario(r, &l, "subscribe", LC_SUBSCRIBE, r->sender, &res);
	robot_owner_line(COMMAND_VERB_ADD, l.rl.name, r->sender, c->gecos,
	    &owner);
	if (robot_decide(r, c, &l, &res, REQUEST_SUBSCRIBE, r->sender,
	    buf_cstr(&owner)))
		robot_do_add(r, c, &l, &res, r->sender, auth_key, NULL);
done:
	buf_free(&owner);
}

void
robot_signoff(struct robot_run *r, const struct command *c,
    const char *auth_key)
{
	const char *email = c->email ? c->email : r->sender;
	struct scenario_result res;
	struct robot_list l;
	struct buf owner = BUF_INIT(2048);

	if (robot_find_list(r, c, &l) == -1)
		goto done;
	if (robot_is_member(r, l.rl.name, email) != 1) {
		robot_say(r, RS_USER, c, "sig.not_member", "email", email,
		    "list", l.rl.name, NULL);
		goto done;
	}
	robot_scenario(r, &l, "unsubscribe", LC_UNSUBSCRIBE, email, &res);
	robot_owner_line(COMMAND_VERB_DEL, l.rl.name, email, NULL, &owner);
	if (robot_decide(r, c, &l, &res, REQUEST_SIGNOFF, email,
	    buf_cstr(&owner)))
		robot_do_del(r, c, &l, &res, email, auth_key, 0, NULL);
done:
	buf_free(&owner);
}

/* The lists of the domain of which email is a member. */
struct memberships {
	const char	*domain;
	struct buf	 names;		/* NUL-separated */
	size_t		 n;
};

static int
collect_membership(const struct roster_entry *e, void *arg)
{
	struct memberships *ms = arg;

	if (strcmp(e->role, "member") != 0 ||
	    strcasecmp(e->list_domain, ms->domain) != 0)
		return 0;
	buf_append(&ms->names, e->list_name, strlen(e->list_name) + 1);
	ms->n++;
	return 0;
}

/* Call fn with a copy of c naming each list email is a member of. */
static void
robot_each_membership(struct robot_run *r, const struct command *c,
    const char *email, enum command_verb verb,
    void (*fn)(struct robot_run *, const struct command *))
{
	struct memberships ms = { r->domain, BUF_INIT(1024 * 1024), 0 };
	struct command one;
	const char *p;
	int rc;

	if ((rc = roster_which(r->d->st, email, collect_membership, &ms)) !=
	    STORE_OK) {
		robot_store_failed(r, c, rc, "which");
	} else if (ms.n == 0) {
		robot_say(r, RS_USER, c, verb == COMMAND_VERB_SET ? "set.none" :
		    "sig.none", "email", email, NULL);
	} else {
		p = ms.names.data;
		for (size_t i = 0; i < ms.n && !r->retry; i++) {
			one = *c;
			one.verb = verb;
			one.list = (char *)p;
			one.list_domain = NULL;
			fn(r, &one);
			p += strlen(p) + 1;
		}
	}
	buf_free(&ms.names);
}

static void
robot_signoff_one(struct robot_run *r, const struct command *c)
{
	robot_signoff(r, c, NULL);
}

void
robot_signoff_all(struct robot_run *r, const struct command *c)
{
	robot_each_membership(r, c, c->email ? c->email : r->sender,
	    COMMAND_VERB_SIGNOFF, robot_signoff_one);
}

void
robot_add(struct robot_run *r, const struct command *c, const char *auth_key)
{
	struct scenario_result res;
	struct robot_list l;

	if (robot_find_list(r, c, &l) == -1)
		return;
	if (robot_is_member(r, l.rl.name, c->email) == 1) {
		robot_say(r, RS_USER, c, "sub.already", "email", c->email,
		    "list", l.rl.name, NULL);
		return;
	}
	robot_scenario(r, &l, "add", LC_ADD, c->email, &res);
	if (robot_decide(r, c, &l, &res, REQUEST_ADD, c->email, NULL))
		robot_do_add(r, c, &l, &res, c->email, auth_key, NULL);
}

void
robot_del(struct robot_run *r, const struct command *c, const char *auth_key)
{
	struct scenario_result res;
	struct robot_list l;

	if (robot_find_list(r, c, &l) == -1)
		return;
	if (robot_is_member(r, l.rl.name, c->email) != 1) {
		robot_say(r, RS_USER, c, "sig.not_member", "email", c->email,
		    "list", l.rl.name, NULL);
		return;
	}
	robot_scenario(r, &l, "del", LC_DEL, c->email, &res);
	if (robot_decide(r, c, &l, &res, REQUEST_DEL, c->email, NULL))
		robot_do_del(r, c, &l, &res, c->email, auth_key, 1, NULL);
}

void
robot_invite(struct robot_run *r, const struct command *c,
    const char *auth_key)
{
	struct scenario_result res, sub;
	struct robot_list l;
	struct command s;
	struct buf line = BUF_INIT(2048);
	const char *sender = r->sender;
	enum scenario_auth auth = r->auth;

	(void)auth_key;
	if (robot_find_list(r, c, &l) == -1)
		goto done;
	if (robot_is_member(r, l.rl.name, c->email) == 1) {
		robot_say(r, RS_USER, c, "invite.member", "email", c->email,
		    "list", l.rl.name, NULL);
		goto done;
	}
	robot_scenario(r, &l, "invite", LC_INVITE, c->email, &res);
	if (!robot_decide(r, c, &l, &res, REQUEST_DO_INVITE, c->email, NULL))
		goto done;
	/* Would the guest be let in once the key came back? (Sympa's test) */
	r->sender = c->email;
	r->auth = SCENARIO_AUTH_MD5;
	robot_scenario(r, &l, "subscribe", LC_SUBSCRIBE, c->email, &sub);
	r->sender = sender;
	r->auth = auth;
	if (sub.action == SCENARIO_REJECT) {
		robot_say(r, RS_USER, c, "invite.refused", "email", c->email,
		    "list", l.rl.name, NULL);
		goto done;
	}
	memset(&s, 0, sizeof(s));
	s.verb = COMMAND_VERB_SUBSCRIBE;
	s.status = COMMAND_OK;
	s.list = l.rl.name;
	s.gecos = c->gecos;
	if (command_format(&s, &line) == -1) {
		robot_say(r, RS_INTERN, c, "cmd.internal", NULL);
		goto done;
	}
	robot_request(r, c, &l, REQUEST_INVITE, REQUEST_SUBSCRIBE, c->email,
	    c->email, buf_cstr(&line));
done:
	buf_free(&line);
}

/*
 * REMIND: one reminder to every member, in one job whose text names each
 * member's own address (a merge token bulk fills per copy).
 */

struct everyone {
	char	**v;
	size_t	  n;
};

static int
collect_member(const struct roster_entry *e, void *arg)
{
	struct everyone *ev = arg;

	ev->v = xreallocarray(ev->v, ev->n + 1, sizeof(char *));
	ev->v[ev->n++] = xstrdup(e->email);
	return 0;
}

void
robot_remind(struct robot_run *r, const struct command *c,
    const char *auth_key)
{
	struct scenario_result res;
	struct robot_list l;
	struct everyone ev = { NULL, 0 };
	struct robot_mail m = { .suffix = "remind" };
	struct buf nonce = BUF_INIT(64), token = BUF_INIT(128);
	char count[32];
	int rc;

	(void)auth_key;
	if (robot_find_list(r, c, &l) == -1)
		return;
	robot_scenario(r, &l, "remind", LC_REMIND, r->sender, &res);
	if (!robot_decide(r, c, &l, &res, REQUEST_REMIND, r->sender, NULL))
		return;
	if (transform_random_hex(6, &nonce) == -1) {
		robot_say(r, RS_INTERN, c, "cmd.internal", NULL);
		return;
	}
	buf_printf(&token, "[%%%s:user.email%%]", buf_cstr(&nonce));
	if ((rc = roster_member_ls(r->d->st, l.rl.name, r->domain,
	    collect_member, &ev)) == STORE_OK && ev.n > 0) {
		m.list = l.rl.name;
		m.rcpts = (const char *const *)ev.v;
		m.nrcpts = ev.n;
		m.merge_nonce = buf_cstr(&nonce);
		rc = robot_mail_rc(robot_mail(r, &m, "remind.subject",
		    "remind.body", "list", l.rl.name, "email",
		    buf_cstr(&token), NULL));
	}
	service_free_rcpts(ev.v, ev.n);
	buf_free(&nonce);
	buf_free(&token);
	if (rc != STORE_OK) {
		robot_store_failed(r, c, rc, "remind");
		return;
	}
	snprintf(count, sizeof(count), "%zu", ev.n);
	robot_say(r, RS_DONE, c, "remind.sent", "count", count, "list",
	    l.rl.name, NULL);
}

/*
 * REMIND *: every member of the domain's open lists gets one message
 * naming the lists they are on and may see (the visibility scenario,
 * asked as them, as Sympa does), in their language. The global_remind
 * scenario decides; its request_auth holds the whole command message for
 * CONFIRM (robot.c), which comes back authenticated.
 */

void
robot_global_remind_scenario(struct robot_run *r, struct scenario_result *res)
{
	struct scenario_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.sender = r->sender;
	ctx.email = r->sender;
	ctx.auth = r->auth;
	ctx.msg = r->im->m;
	ctx.spam_status = r->im->spam;
	dist_scenario(r->d, NULL, NULL, r->domain, "global_remind",
	    "listmaster", &ctx, res);
}

struct membership {
	char	*email, *list;
};

struct domain_members {
	struct membership *v;
	size_t	 n;
};

static int
collect_domain_member(const struct roster_entry *e, void *arg)
{
	struct domain_members *ms = arg;

	ms->v = xreallocarray(ms->v, ms->n + 1, sizeof(*ms->v));
	ms->v[ms->n].email = xstrdup(e->email);
	ms->v[ms->n++].list = xstrdup(e->list_name);
	return 0;
}

static void
domain_members_free(struct domain_members *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->v[i].email);
		free(ms->v[i].list);
	}
	free(ms->v);
}

/* Whether email, asking by plain mail, may see the list name. */
static int
visible_to(struct robot_run *r, const char *name, const char *email)
{
	const struct listreg_entry *le = listreg_find(r->d->lists, name,
	    r->domain);
	struct scenario_ctx ctx;
	struct scenario_result res;

	if (le == NULL || le->state != LISTREG_OK)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.sender = email;
	ctx.email = email;
	ctx.auth = SCENARIO_AUTH_SMTP;
	dist_scenario(r->d, le, name, r->domain, "visibility",
	    listconf_str(le->conf, LC_VISIBILITY), &ctx, &res);
	return res.action == SCENARIO_DO_IT;
}

/*
 * A short stable name for email in the job id: a retry of the message
 * finds the jobs it made already, whatever the members' order then.
 */
static unsigned long long
fnv1a(const char *s)
{
	unsigned long long h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* One member's reminder: the lists v[from..to) that they may see. */
static int
remind_one(struct robot_run *r, const struct domain_members *ms, size_t from,
    size_t to, int *sent)
{
	const char *email = ms->v[from].email;
	struct buf lists = BUF_INIT(1024 * 1024);
	char lang[36], suffix[64];
	struct robot_mail m = { .to = email, .lang = lang, .suffix = suffix };
	int rc = 0;

	*sent = 0;
	robot_lang_of(r, email, lang, sizeof(lang));
	for (size_t i = from; i < to; i++) {
		if (!visible_to(r, ms->v[i].list, email))
			continue;
		robot_text(r, lang, &lists, "remind_all.item", "list",
		    ms->v[i].list, NULL);
		buf_putc(&lists, '\n');
	}
	if (lists.len > 0) {
		snprintf(suffix, sizeof(suffix), "gremind.%016llx",
		    fnv1a(email));
		rc = robot_mail(r, &m, "remind_all.subject", "remind_all.body",
		    "email", email, "lists", buf_cstr(&lists), NULL);
		*sent = rc == 0;
	}
	buf_free(&lists);
	return rc;
}

void
robot_remind_all(struct robot_run *r, const struct command *c)
{
	struct scenario_result res;
	struct domain_members ms = { NULL, 0 };
	size_t i, j, users = 0;
	char count[32];
	int rc, sent;

	robot_global_remind_scenario(r, &res);
	if (res.action != SCENARIO_DO_IT) {
		robot_refused(r, c, &res);
		return;
	}
	if ((rc = roster_domain_members(r->d->st, r->domain,
	    collect_domain_member, &ms)) != STORE_OK) {
		domain_members_free(&ms);
		robot_store_failed(r, c, rc, "remind");
		return;
	}
	for (i = 0; i < ms.n; i = j) {
		for (j = i + 1; j < ms.n && strcmp(ms.v[j].email,
		    ms.v[i].email) == 0; j++)
			;
		if ((rc = robot_mail_rc(remind_one(r, &ms, i, j, &sent))) !=
		    STORE_OK)
			break;
		users += sent;
	}
	domain_members_free(&ms);
	if (rc != STORE_OK) {
		robot_store_failed(r, c, rc, "remind");
		return;
	}
	snprintf(count, sizeof(count), "%zu", users);
	robot_say(r, RS_DONE, c, "remind_all.sent", "count", count, "domain",
	    r->domain, NULL);
}

/* SET */

static int
robot_has_digest(const struct robot_list *l)
{
	return *listconf_str(l->lc, LC_DIGEST_DAYS) != '\0';
}

void
robot_set(struct robot_run *r, const struct command *c)
{
	const char *mode = command_mode_name(c->mode);
	const char *reception = NULL, *visibility = NULL;
	struct roster_who who;
	struct robot_list l;
	int rc;

	if (robot_find_list(r, c, &l) == -1)
		return;
	if (robot_is_member(r, l.rl.name, r->sender) != 1) {
		robot_say(r, RS_USER, c, "set.not_member", "list", l.rl.name,
		    NULL);
		return;
	}
	if (c->mode == COMMAND_MODE_CONCEAL || c->mode == COMMAND_MODE_NOCONCEAL)
		visibility = mode;
	else
		reception = mode;
	if (reception != NULL && (!roster_reception_valid(reception) ||
	    ((c->mode == COMMAND_MODE_DIGEST || c->mode ==
	    COMMAND_MODE_DIGESTPLAIN || c->mode == COMMAND_MODE_SUMMARY) &&
	    !robot_has_digest(&l)))) {
		robot_say(r, RS_USER, c, "set.unavailable", "list", l.rl.name,
		    "mode", mode, NULL);
		return;
	}
	robot_who(r, NULL, &who);
	rc = roster_member_set(r->d->st, &who, l.rl.name, r->domain, r->sender,
	    reception, visibility);
	if (rc == ROSTER_NOTFOUND)
		robot_say(r, RS_USER, c, "set.not_member", "list", l.rl.name,
		    NULL);
	else if (rc != STORE_OK)
		robot_store_failed(r, c, rc, "set");
	else
		robot_say(r, RS_DONE, c, "set.done", "list", l.rl.name, "mode",
		    mode, NULL);
}

void
robot_set_all(struct robot_run *r, const struct command *c)
{
	robot_each_membership(r, c, r->sender, COMMAND_VERB_SET, robot_set);
}

/* AUTH */

/* The verb a request's key may confirm. */
static int
robot_auth_verb_ok(const struct request *q, enum command_verb v)
{
	switch (q->action) {
	case REQUEST_SUBSCRIBE:
		return v == COMMAND_VERB_SUBSCRIBE || v == COMMAND_VERB_ADD;
	case REQUEST_SIGNOFF:
		return v == COMMAND_VERB_SIGNOFF || v == COMMAND_VERB_DEL;
	case REQUEST_ADD:	return v == COMMAND_VERB_ADD;
	case REQUEST_DEL:	return v == COMMAND_VERB_DEL;
	case REQUEST_DO_INVITE:	return v == COMMAND_VERB_INVITE;
	case REQUEST_REMIND:	return v == COMMAND_VERB_REMIND;
	}
	return 0;
}

/* Carry out the confirmed command a, as r's sender, authenticated. */
static void
robot_auth_run(struct robot_run *r, const struct command *a,
    const struct request *q)
{
	const char *by = strcasecmp(q->requester, r->sender) != 0 ?
	    q->requester : NULL;
	struct scenario_result res;
	struct robot_list l;

	switch (a->verb) {
	case COMMAND_VERB_SUBSCRIBE:
		robot_subscribe(r, a, q->key);
		break;
	case COMMAND_VERB_SIGNOFF:
		robot_signoff(r, a, q->key);
		break;
	case COMMAND_VERB_ADD:
		if (by == NULL) {
			robot_add(r, a, q->key);
			break;
		}
		/* An owner approves someone's request: the add scenario. */
		if (robot_find_list(r, a, &l) == -1)
			break;
		robot_scenario(r, &l, "add", LC_ADD, a->email, &res);
		if (res.action != SCENARIO_DO_IT)
			robot_refused(r, a, &res);
		else
			robot_do_add(r, a, &l, &res, a->email, q->key, by);
		break;
	case COMMAND_VERB_DEL:
		if (by == NULL) {
			robot_del(r, a, q->key);
			break;
		}
		if (robot_find_list(r, a, &l) == -1)
			break;
		robot_scenario(r, &l, "del", LC_DEL, a->email, &res);
		if (res.action != SCENARIO_DO_IT)
			robot_refused(r, a, &res);
		else
			robot_do_del(r, a, &l, &res, a->email, q->key,
			    strcasecmp(a->email, q->requester) != 0, by);
		break;
	case COMMAND_VERB_INVITE:
		robot_invite(r, a, q->key);
		break;
	case COMMAND_VERB_REMIND:
		robot_remind(r, a, q->key);
		break;
	default:
		robot_say(r, RS_USER, a, "key.mismatch", NULL);
		break;
	}
}

void
robot_auth(struct robot_run *r, const struct command *c)
{
	const struct command *a = c->auth;
	struct request q;
	struct buf line = BUF_INIT(2048);
	enum scenario_auth saved = r->auth;
	const char *target;
	int found = 0, rc;

	if (a == NULL || a->status != COMMAND_OK ||
	    command_format(a, &line) == -1) {
		robot_say(r, RS_USER, c, "key.mismatch", NULL);
		goto done;
	}
	if ((rc = store_begin(r->d->st)) == STORE_OK)
		rc = request_take(r->d->st, c->key, &q, &found);
	if (rc != STORE_OK) {
		store_rollback(r->d->st);
		robot_store_failed(r, c, rc, "key lookup");
		goto done;
	}
	target = a->email != NULL ? a->email : r->sender;
	if (!found || strcasecmp(q.domain, r->domain) != 0) {
		store_rollback(r->d->st);
		robot_say(r, RS_USER, c, "key.unknown", NULL);
		goto done;
	}
	/* The key confirms one line for one address: nothing else. */
	if (strcmp(buf_cstr(&line), q.command) != 0 ||
	    !robot_auth_verb_ok(&q, a->verb) ||
	    (q.kind != REQUEST_OWNER && a->verb != COMMAND_VERB_INVITE &&
	    a->verb != COMMAND_VERB_REMIND && a->verb != COMMAND_VERB_ADD &&
	    a->verb != COMMAND_VERB_DEL && strcasecmp(target, q.email) != 0)) {
		store_rollback(r->d->st);
		robot_say(r, RS_USER, c, "key.mismatch", NULL);
		goto done;
	}
	r->auth = SCENARIO_AUTH_MD5;
	robot_auth_run(r, a, &q);
	r->auth = saved;
	if (r->retry) {
		store_rollback(r->d->st);
		goto done;
	}
	/* Spent, whatever the command's own outcome: it was its one use. */
	if ((rc = store_commit(r->d->st)) != STORE_OK)
		robot_store_failed(r, c, rc, "key");
done:
	buf_free(&line);
}
