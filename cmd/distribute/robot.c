/*
 * robot.c - the life of a command message.
 *
 * In order: a sender is required; mail from an automaton, a loop or a
 * bounce is kept without a word (RFC 3834; Sympa ignores it too); the
 * commands are read (lib/command); a message to list-request without a
 * Smartlist subject goes to the owners. When the sender has not shown
 * that the address is theirs (commands_confirm: no aligned DKIM
 * signature, by default), the whole message is held and one
 * confirmation goes to that address: a forger makes Herald write one
 * "did you send this?" to the real owner of the address, and nothing
 * else. Then each command runs under its scenario and the results go
 * back in one report.
 *
 * Every message the robot writes to one address is counted against
 * that address first (lib/replyrate): past loop_command_max in a window
 * it sends nothing more, and the listmasters hear of it once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "autoreply.h"
#include "catalog.h"
#include "log.h"
#include "notice.h"
#include "replyrate.h"
#include "seen.h"
#include "robot.h"

#define ROBOT_MSG_MAX		(4u * 1024 * 1024)	/* one reply */
#define ROBOT_TEXT_MAX		(1024u * 1024)		/* one text */

static const char known_sql[] =
    "SELECT 1 FROM subscribers s JOIN lists l ON l.id = s.list_id"
    " WHERE s.email = $1 AND l.domain = $2"
    " UNION ALL SELECT 1 FROM admins a JOIN lists l ON l.id = a.list_id"
    " WHERE a.email = $1 AND l.domain = $2 LIMIT 1";
static const char lang_sql[] =
    "SELECT language FROM users WHERE email = $1 AND language IS NOT NULL";

/* Texts. */

/* {robot} and {domain} go into every text; the pairs may override them. */
static void
robot_vtext(struct robot_run *r, const char *lang, struct buf *out,
    const char *key, va_list ap)
{
	struct catalog_vars vs;
	const char *name, *value;

	catalog_vars_init(&vs);
	catalog_vars_addf(&vs, "robot", "%s@%s", config_str(r->d->cf,
	    CF_ROBOT_LOCALPART), r->domain);
	catalog_vars_add(&vs, "domain", r->domain);
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		if (catalog_vars_add(&vs, name, value ? value : "") == -1)
			log_warn("catalog: cannot set {%s} for %s", name, key);
	}
	if (catalog_text(r->d->cat, lang, key, &vs, out) == -1)
		log_warn("catalog: %s: no such text, or too long", key);
	catalog_vars_free(&vs);
}

void
robot_text(struct robot_run *r, const char *lang, struct buf *out,
    const char *key, ...)
{
	va_list ap;

	va_start(ap, key);
	robot_vtext(r, lang, out, key, ap);
	va_end(ap);
}

/* "> the command line" above each entry: the sender sees what it answers. */
static void
robot_quote(struct buf *b, const struct command *c)
{
	if (c == NULL)
		return;
	buf_printf(b, "> %s%s\n", c->quiet ? "QUIET " : "",
	    c->line != NULL ? c->line : "");
}

void
robot_say_text(struct robot_run *r, enum robot_section s,
    const struct command *c, const char *text)
{
	struct buf *b = &r->sec[s];

	robot_quote(b, c);
	buf_puts(b, text);
	if (b->len > 0 && b->data[b->len - 1] != '\n')
		buf_putc(b, '\n');
	buf_putc(b, '\n');
	r->said++;
}

void
robot_say(struct robot_run *r, enum robot_section s, const struct command *c,
    const char *key, ...)
{
	struct buf t = BUF_INIT(ROBOT_TEXT_MAX);
	va_list ap;

	va_start(ap, key);
	robot_vtext(r, r->lang, &t, key, ap);
	va_end(ap);
	robot_say_text(r, s, c, buf_cstr(&t));
	buf_free(&t);
}

void
robot_store_failed(struct robot_run *r, const struct command *c, int rc,
    const char *what)
{
	log_warn("%s: %s", what, store_error(r->d->st));
	if (rc == STORE_TEMP && !r->retry) {
		r->retry = 1;
		snprintf(r->im->why, sizeof(r->im->why), "%s: %s", what,
		    store_error(r->d->st));
	}
	robot_say(r, RS_INTERN, c, "cmd.internal", NULL);
}

void
robot_lang_of(struct robot_run *r, const char *email, char *out, size_t size)
{
	const char *p[1] = { email };
	PGresult *res;

	out[0] = '\0';
	if (store_query_prepared(r->d->st, "robot_lang", lang_sql, 1, p,
	    &res) != STORE_OK)
		return;
	if (PQntuples(res) == 1)
		store_copy_value(out, size, res, 0, 0);
	PQclear(res);
}

/* Mail. */

/* Tell the listmasters, once per window, that an address gets no more. */
static void
robot_rate_alarm(struct robot_run *r, const char *address)
{
	struct robot_mail m = { .suffix = "rate" };
	char **lm, max[16], window[16];
	size_t n = config_addresses(r->d->cf, CF_LISTMASTER, &lm);

	snprintf(max, sizeof(max), "%lld",
	    config_int(r->d->cf, CF_LOOP_COMMAND_MAX));
	snprintf(window, sizeof(window), "%lld",
	    config_int(r->d->cf, CF_LOOP_COMMAND_SAMPLING_DELAY));
	m.rcpts = (const char *const *)lm;
	m.nrcpts = n;
	log_warn("command replies to %s stopped: %s in %s s", address, max,
	    window);
	robot_mail(r, &m, "rate.subject", "rate.body", "email", address,
	    "max", max, "window", window, NULL);
	config_addresses_free(lm, n);
}

/* 0: send; 1: not to this address now. A STORE_* code as -rc. */
static int
robot_budget(struct robot_run *r, const char *address)
{
	enum replyrate_verdict v;
	int rc;

	rc = replyrate_take(r->d->st, address,
	    (int)config_int(r->d->cf, CF_LOOP_COMMAND_MAX),
	    (int)config_int(r->d->cf, CF_LOOP_COMMAND_SAMPLING_DELAY), &v);
	if (rc != STORE_OK)
		return -rc;
	if (v == REPLYRATE_SEND)
		return 0;
	if (v == REPLYRATE_FIRST_OVER)
		robot_rate_alarm(r, address);
	else
		log_info("command reply to %s not sent: over the limit", address);
	return 1;
}

int
robot_mail(struct robot_run *r, const struct robot_mail *m,
    const char *subject_key, const char *body_key, ...)
{
	struct buf subj = BUF_INIT(ROBOT_TEXT_MAX), body = BUF_INIT(ROBOT_TEXT_MAX),
	    out = BUF_INIT(ROBOT_MSG_MAX), suffix = BUF_INIT(256);
	struct notice_ctx nc;
	struct notice_message nm;
	const char *one[1] = { m->to }, *why = NULL, *lang;
	char tolang[36];
	va_list ap;
	int rc = 0;

	if (m->to != NULL && m->budget && (rc = robot_budget(r, m->to)) != 0)
		goto done;
	lang = m->lang;
	if (lang == NULL && m->to != NULL) {
		robot_lang_of(r, m->to, tolang, sizeof(tolang));
		lang = tolang;
	}
	va_start(ap, body_key);
	robot_vtext(r, lang, &subj, subject_key, ap);
	va_end(ap);
	va_start(ap, body_key);
	robot_vtext(r, lang, &body, body_key, ap);
	va_end(ap);
	memset(&nc, 0, sizeof(nc));
	nc.domain = r->domain;
	nc.robot_localpart = config_str(r->d->cf, CF_ROBOT_LOCALPART);
	nc.list = m->list;
	memset(&nm, 0, sizeof(nm));
	nm.to = m->to != NULL ? m->to : m->rcpts != NULL && m->nrcpts == 1 ?
	    m->rcpts[0] : NULL;
	if (nm.to == NULL) {
		/* Many recipients: none of them is named in the header. */
		buf_printf(&suffix, "%s@%s", m->list ? m->list :
		    config_str(r->d->cf, CF_ROBOT_LOCALPART), r->domain);
		nm.to = buf_cstr(&suffix);
	}
	nm.subject = buf_cstr(&subj);
	nm.body = buf_cstr(&body);
	nm.orig = m->auto_replied ? r->im->m : NULL;
	nm.from_robot = m->list == NULL;
	nm.auto_replied = m->auto_replied;
	if (notice_text(&nc, &nm, &out, &why) == -1) {
		log_warn("cannot compose %s: %s", subject_key, why ? why : "?");
		rc = 1;
		goto done;
	}
	buf_reset(&suffix);
	buf_printf(&suffix, "c%d.%s", r->seq, m->suffix);
	rc = service_send(r->d, r->im, buf_cstr(&suffix), m->auto_replied ?
	    "reply" : "notice", &out, "", m->to != NULL ? one : m->rcpts,
	    m->to != NULL ? 1 : m->nrcpts, m->merge_nonce);
	rc = rc == STORE_OK ? 0 : -rc;
done:
	buf_free(&subj);
	buf_free(&body);
	buf_free(&out);
	buf_free(&suffix);
	return rc;
}

/* Lists and scenarios. */

int
robot_list_lookup(struct robot_run *r, const char *name,
    struct robot_list *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->le = listreg_find(r->d->lists, name, r->domain);
	rc = roster_list_get(r->d->st, name, r->domain, &out->rl);
	if (rc != STORE_OK)
		return rc;
	if (out->le == NULL)
		return ROSTER_NOLIST;
	if (out->le->state != LISTREG_OK) {
		log_warn("%s@%s: configuration does not load: %s", name,
		    r->domain, out->le->error ? out->le->error : "?");
		return ROBOT_LIST_BROKEN;
	}
	out->lc = out->le->conf;
	return STORE_OK;
}

int
robot_find_list(struct robot_run *r, const struct command *c,
    struct robot_list *out)
{
	int rc = ROSTER_NOLIST;

	if (c->list_domain == NULL || strcasecmp(c->list_domain,
	    r->domain) == 0)
		rc = robot_list_lookup(r, c->list, out);
	if (rc == STORE_OK)
		return 0;
	if (rc == ROSTER_NOLIST)
		robot_say(r, RS_USER, c, "cmd.unknown_list", "list", c->list,
		    NULL);
	else if (rc == ROBOT_LIST_BROKEN)
		robot_say(r, RS_INTERN, c, "cmd.internal", NULL);
	else
		robot_store_failed(r, c, rc, "list lookup");
	return -1;
}

void
robot_scenario(struct robot_run *r, const struct robot_list *l,
    const char *function, enum listconf_param param, const char *email,
    struct scenario_result *res)
{
	struct scenario_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.sender = r->sender;
	ctx.email = email;
	ctx.auth = r->auth;
	ctx.msg = r->im->m;
	ctx.spam_status = r->im->spam;
	dist_scenario(r->d, l->le, l->rl.name, r->domain, function,
	    listconf_str(l->lc, param), &ctx, res);
	log_info("%s.%s: %s (%s) for %s", function, listconf_str(l->lc, param),
	    scenario_action_name(res->action), res->origin, r->sender);
}

void
robot_who(const struct robot_run *r, const char *auth_key,
    struct roster_who *who)
{
	*who = (struct roster_who){
		.actor = r->sender,
		.channel = "mail",
		.message_id = r->im->message_id[0] ? r->im->message_id : NULL,
		.auth_key = auth_key != NULL ? auth_key : r->confirm_key,
		.client = r->im->env_sender[0] ? r->im->env_sender : NULL,
	};
}

int
robot_role(struct robot_run *r, enum scenario_role role, const char *list,
    const char *email)
{
	const struct scenario_members *m = scenario_store_members(r->d->ss);

	scenario_store_reset(r->d->ss);
	return m->role(m->arg, role, list, list != NULL ? r->domain : NULL,
	    email);
}

/* Gates. */

/* Whether the sender is a member, owner or editor in the domain. */
static int
robot_sender_known(struct robot_run *r, int *known)
{
	const char *p[2] = { r->sender, r->domain };
	PGresult *res;
	int rc;

	*known = 0;
	if (robot_role(r, SCENARIO_ROLE_LISTMASTER, NULL, r->sender) == 1) {
		*known = 1;
		return STORE_OK;
	}
	rc = store_query_prepared(r->d->st, "robot_known", known_sql, 2, p,
	    &res);
	if (rc != STORE_OK)
		return rc;
	*known = PQntuples(res) > 0;
	PQclear(res);
	return STORE_OK;
}

/* Commands whose key is their authority: they need no confirmation. */
static int
robot_keyed_only(const struct command_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		switch (s->v[i].verb) {
		case COMMAND_VERB_CONFIRM:
		case COMMAND_VERB_AUTH:
		case COMMAND_VERB_DISTRIBUTE:
		case COMMAND_VERB_REJECT:
		case COMMAND_VERB_QUIT:
			break;
		default:
			if (s->v[i].status == COMMAND_OK)
				return 0;
		}
	}
	return 1;
}

/*
 * Whether s holds a REMIND * that global_remind wants confirmed: a
 * request with no list has no key of its own, so the message waits.
 */
static int
robot_remind_all_waits(struct robot_run *r, const struct command_set *s)
{
	struct scenario_result res;

	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].verb != COMMAND_VERB_REMIND_ALL ||
		    s->v[i].status != COMMAND_OK)
			continue;
		robot_global_remind_scenario(r, &res);
		return res.action == SCENARIO_REQUEST_AUTH;
	}
	return 0;
}

/* 1: hold for the sender's confirmation; 0: go on; a STORE_* code as -rc. */
static int
robot_must_confirm(struct robot_run *r, const struct command_set *s)
{
	const char *policy = config_str(r->d->cf, CF_COMMANDS_CONFIRM);
	int known, rc;

	if (r->auth != SCENARIO_AUTH_MD5 && robot_remind_all_waits(r, s))
		return 1;
	if (strcmp(policy, "never") == 0 || r->auth != SCENARIO_AUTH_SMTP ||
	    robot_keyed_only(s))
		return 0;
	if (strcmp(policy, "unknown") != 0)
		return 1;
	if ((rc = robot_sender_known(r, &known)) != STORE_OK)
		return -rc;
	return !known;
}

/* The commands of s as the confirmation lists them. */
static void
robot_list_commands(const struct command_set *s, struct buf *out)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct command *c = &s->v[i];

		buf_puts(out, "  ");
		if (c->quiet)
			buf_puts(out, "QUIET ");
		if (c->status != COMMAND_OK || command_format(c, out) == -1)
			buf_puts(out, c->line ? c->line : "?");
		buf_putc(out, '\n');
	}
}

/* Hold the whole message until its sender sends CONFIRM key. */
static enum dist_fate
robot_hold(struct robot_run *r, const struct command_set *s)
{
	struct hold h;
	struct buf list = BUF_INIT(64 * 1024), subj = BUF_INIT(4096),
	    body = BUF_INIT(ROBOT_TEXT_MAX), out = BUF_INIT(ROBOT_MSG_MAX);
	struct notice_ctx nc;
	struct notice_message nm;
	const char *why = NULL;
	char days[16];
	enum dist_fate f;
	int rc;

	memset(&h, 0, sizeof(h));
	h.kind = HOLD_COMMANDS;
	if (hold_key_new(h.key) == -1)
		return dist_fail(r->im, DIST_RETRY, "no randomness for a key");
	snprintf(h.spool_name, sizeof(h.spool_name), "%s", r->im->id);
	snprintf(h.sender, sizeof(h.sender), "%s", r->sender);
	snprintf(h.message_id, sizeof(h.message_id), "%s", r->im->message_id);
	snprintf(h.subject, sizeof(h.subject), "%s", r->im->subject);
	snprintf(days, sizeof(days), "%lld", config_int(r->d->cf, CF_KEY_DAYS));
	if ((rc = robot_budget(r, r->sender)) != 0) {
		buf_free(&list);
		buf_free(&subj);
		buf_free(&body);
		buf_free(&out);
		if (rc < 0)
			return dist_store_fail(r->d, r->im, -rc, "reply count");
		return dist_fail(r->im, DIST_BAD, "commands to confirm, but %s "
		    "gets no more replies for now", r->sender);
	}
	robot_list_commands(s, &list);
	robot_text(r, r->lang, &subj, "commands_confirm.subject", "key",
	    h.key, NULL);
	robot_text(r, r->lang, &body, "commands_confirm.body", "key", h.key,
	    "commands", buf_cstr(&list), "days", days, NULL);
	memset(&nc, 0, sizeof(nc));
	nc.domain = r->domain;
	nc.robot_localpart = config_str(r->d->cf, CF_ROBOT_LOCALPART);
	memset(&nm, 0, sizeof(nm));
	nm.to = r->sender;
	nm.subject = buf_cstr(&subj);
	nm.body = buf_cstr(&body);
	nm.orig = r->im->m;
	nm.from_robot = 1;
	nm.auto_replied = 1;
	if (notice_text(&nc, &nm, &out, &why) == -1)
		f = dist_fail(r->im, DIST_BAD, "cannot compose the "
		    "confirmation: %s", why ? why : "?");
	else
		f = held_store(r->d, r->im, &h, &out, &r->sender, 1);
	buf_free(&list);
	buf_free(&subj);
	buf_free(&body);
	buf_free(&out);
	return f;
}

/* The report: intro, the sections that have entries, a footer. */
static void
robot_report(struct robot_run *r, const struct command_set *s)
{
	static const char *const heads[RS_COUNT] = { "report.done",
	    "report.auth", "report.user", "report.intern" };
	struct robot_mail m = { .to = r->sender, .suffix = "report",
	    .auto_replied = 1, .budget = 1, .lang = r->lang };
	struct buf text = BUF_INIT(ROBOT_MSG_MAX), max = BUF_INIT(16);
	int first = 1, rc;

	if (r->said == 0)
		return;
	for (int i = 0; i < RS_COUNT; i++) {
		if (r->sec[i].len == 0)
			continue;
		if (!first)
			buf_puts(&text, "=====\n\n");
		first = 0;
		robot_text(r, r->lang, &text, heads[i], NULL);
		buf_puts(&text, "\n\n");
		buf_append(&text, r->sec[i].data, r->sec[i].len);
	}
	if (s->truncated) {
		buf_printf(&max, "%d", COMMAND_MAX);
		robot_text(r, r->lang, &text, "report.truncated", "max",
		    buf_cstr(&max), NULL);
		buf_puts(&text, "\n\n");
	}
	r->seq = -1;
	rc = robot_mail(r, &m, "report.subject", "report.body",
	    "msgid", r->im->message_id, "sections", buf_cstr(&text), NULL);
	if (rc < 0 && -rc == STORE_TEMP && !r->retry) {
		r->retry = 1;
		snprintf(r->im->why, sizeof(r->im->why), "the report: %s",
		    store_error(r->d->st));
	} else if (rc < 0)
		log_warn("the command report to %s is lost: %s", r->sender,
		    store_error(r->d->st));
	buf_free(&text);
	buf_free(&max);
}

static enum command_kind
robot_kind(enum route_kind k)
{
	switch (k) {
	case ROUTE_REQUEST:	return COMMAND_REQUEST;
	case ROUTE_SUBSCRIBE:	return COMMAND_SUBSCRIBE;
	case ROUTE_UNSUBSCRIBE:	return COMMAND_UNSUBSCRIBE;
	default:		return COMMAND_ROBOT;
	}
}

/* Held messages: CONFIRM, DISTRIBUTE, REJECT. */

void
robot_moderate(struct robot_run *r, const struct command *c)
{
	const char *verb = c->verb == COMMAND_VERB_CONFIRM ? "CONFIRM" :
	    c->verb == COMMAND_VERB_DISTRIBUTE ? "DISTRIBUTE" : "REJECT";
	struct held_result res;

	switch (held_command(r->d, r, verb, c->key, c->verb ==
	    COMMAND_VERB_CONFIRM ? NULL : c->list, &res)) {
	case HELD_NOKEY:
		robot_say(r, RS_USER, c, "key.unknown", NULL);
		break;
	case HELD_OTHER_LIST:
		robot_say(r, RS_USER, c, "key.other_list", NULL);
		break;
	case HELD_BUSY:
		robot_say(r, RS_USER, c, "hold.busy", NULL);
		break;
	case HELD_DAMAGED:
		robot_say(r, RS_INTERN, c, "hold.damaged", NULL);
		break;
	case HELD_DONE:
		/* A command message's own entries say what became of it. */
		if (res.h.kind != HOLD_COMMANDS)
			robot_say(r, RS_DONE, c, "hold.done", "list",
			    res.h.list_name, "subject", res.h.subject, NULL);
		break;
	case HELD_MODERATED:
		robot_say(r, RS_DONE, c, "hold.moderated", NULL);
		break;
	case HELD_REFUSED:
		robot_say(r, RS_USER, c, "hold.refused", "reason", res.reason,
		    NULL);
		break;
	case HELD_RETRY:
		r->retry = 1;
		break;
	case HELD_ERROR:
		robot_say(r, RS_INTERN, c, "cmd.internal", NULL);
		break;
	}
}

enum dist_fate
robot_release(struct robot_run *r, struct inmsg *held, const struct hold *h)
{
	struct command_set set;
	struct robot_run sub;
	enum dist_fate f = DIST_DONE;
	int rc;

	if (command_parse(held->data.data, held->data.len,
	    robot_kind(held->route.kind), held->route.list, &set) == -1) {
		command_set_free(&set);
		return dist_fail(held, DIST_BAD, "commands: the message cannot "
		    "be read");
	}
	robot_run_init(&sub, r->d, held);
	/* Whoever holds the key read the mail sent to that address. */
	sub.auth = SCENARIO_AUTH_MD5;
	sub.confirm_key = h->key;
	robot_say(r, RS_DONE, r->cur, "commands.confirmed", NULL);
	robot_run_commands(&sub, &set);
	if (sub.retry) {
		snprintf(held->why, sizeof(held->why), "%s", held->why[0] ?
		    held->why : "a temporary failure");
		f = DIST_RETRY;
	} else if ((rc = hold_delete(r->d->st, h->key)) != STORE_OK) {
		f = dist_store_fail(r->d, held, rc, "key");
	} else {
		for (int i = 0; i < RS_COUNT; i++)
			buf_append(&r->sec[i], sub.sec[i].data, sub.sec[i].len);
		r->said += sub.said;
	}
	log_info("held commands of %s confirmed: %zu", held->from, set.n);
	robot_run_free(&sub);
	command_set_free(&set);
	return f;
}

/* One command. */
static void
robot_one(struct robot_run *r, const struct command *c)
{
	r->cur = c;
	if (c->status == COMMAND_UNKNOWN) {
		robot_say(r, RS_USER, c, "cmd.unknown", NULL);
		return;
	}
	if (c->status == COMMAND_SYNTAX_ERROR) {
		robot_say(r, RS_USER, c, "cmd.syntax", "reason", c->reason,
		    NULL);
		return;
	}
	switch (c->verb) {
	case COMMAND_VERB_HELP:		robot_help(r, c); break;
	case COMMAND_VERB_LISTS:	robot_lists(r, c); break;
	case COMMAND_VERB_INFO:		robot_info(r, c); break;
	case COMMAND_VERB_SUBSCRIBE:	robot_subscribe(r, c, NULL); break;
	case COMMAND_VERB_SIGNOFF:	robot_signoff(r, c, NULL); break;
	case COMMAND_VERB_SIGNOFF_ALL:	robot_signoff_all(r, c); break;
	case COMMAND_VERB_ADD:		robot_add(r, c, NULL); break;
	case COMMAND_VERB_DEL:		robot_del(r, c, NULL); break;
	case COMMAND_VERB_INVITE:	robot_invite(r, c, NULL); break;
	case COMMAND_VERB_REMIND:	robot_remind(r, c, NULL); break;
	case COMMAND_VERB_REMIND_ALL:	robot_remind_all(r, c); break;
	case COMMAND_VERB_REVIEW:	robot_review(r, c); break;
	case COMMAND_VERB_WHICH:	robot_which(r, c); break;
	case COMMAND_VERB_SET:		robot_set(r, c); break;
	case COMMAND_VERB_SET_ALL:	robot_set_all(r, c); break;
	case COMMAND_VERB_INDEX:
	case COMMAND_VERB_GET:
	case COMMAND_VERB_LAST:		robot_archive(r, c); break;
	case COMMAND_VERB_CONFIRM:
	case COMMAND_VERB_DISTRIBUTE:
	case COMMAND_VERB_REJECT:	robot_moderate(r, c); break;
	case COMMAND_VERB_AUTH:		robot_auth(r, c); break;
	case COMMAND_VERB_MODINDEX:	robot_modindex(r, c); break;
	case COMMAND_VERB_STATS:	robot_stats(r, c); break;
	case COMMAND_VERB_VERIFY:	robot_verify(r, c); break;
	case COMMAND_VERB_QUIT:
		robot_say(r, RS_DONE, c, "cmd.quit", NULL);
		break;
	default:
		robot_say(r, RS_USER, c, "cmd.unknown", NULL);
		break;
	}
}

void
robot_run_init(struct robot_run *r, struct dist *d, struct inmsg *im)
{
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->im = im;
	r->sender = im->from;
	r->domain = im->route.domain;
	for (int i = 0; i < RS_COUNT; i++)
		buf_init(&r->sec[i], ROBOT_MSG_MAX);
	robot_lang_of(r, r->sender, r->lang, sizeof(r->lang));
}

void
robot_run_free(struct robot_run *r)
{
	for (int i = 0; i < RS_COUNT; i++)
		buf_free(&r->sec[i]);
}

void
robot_run_commands(struct robot_run *r, const struct command_set *s)
{
	for (size_t i = 0; i < s->n && !r->retry; i++) {
		r->seq = (int)i;
		robot_one(r, &s->v[i]);
	}
}

enum dist_fate
robot_handle(struct dist *d, struct inmsg *im)
{
	struct command_set set;
	struct robot_run r;
	enum dist_fate f = DIST_DONE;
	const char *why = NULL;
	int rc, seen;

	if (im->from[0] == '\0')
		return dist_fail(im, DIST_BAD, "commands without a sender");
	if (command_parse(im->data.data, im->data.len,
	    robot_kind(im->route.kind), im->route.list, &set) == -1) {
		command_set_free(&set);
		return dist_fail(im, DIST_BAD, "commands: the message cannot "
		    "be read");
	}
	if (im->route.kind == ROUTE_REQUEST && set.none_found) {
		command_set_free(&set);
		return service_forward(d, im, "owner");
	}
	/* Not a word to an automaton, a loop or a bounce: no command either. */
	if (service_automaton(d, im, &why)) {
		command_set_free(&set);
		return dist_fail(im, DIST_BAD, "commands from an automaton or a "
		    "loop (%s): ignored", why);
	}
	if ((rc = seen_check(d->st, SEEN_COMMAND, im->route.domain,
	    im->message_id, &seen)) != STORE_OK) {
		command_set_free(&set);
		return dist_store_fail(d, im, rc, "Message-ID lookup");
	}
	if (seen) {
		command_set_free(&set);
		return dist_fail(im, DIST_BAD, "commands: Message-ID <%s> "
		    "already taken: ignored", im->message_id);
	}
	robot_run_init(&r, d, im);
	r.auth = post_authenticate(d, im);
	if ((rc = robot_must_confirm(&r, &set)) < 0)
		f = dist_store_fail(d, im, -rc, "sender lookup");
	else if (rc == 1 && set.none_found)
		f = dist_fail(im, DIST_BAD, "no command found, from an "
		    "unconfirmed sender: no reply");
	else if (rc == 1)
		f = robot_hold(&r, &set);
	else {
		if (set.none_found)
			robot_say(&r, RS_USER, NULL, "cmd.no_command", NULL);
		robot_run_commands(&r, &set);
		if (!r.retry)
			robot_report(&r, &set);
		f = r.retry ? DIST_RETRY : set.none_found ? dist_fail(im,
		    DIST_BAD, "no command found") : DIST_DONE;
	}
	/* Remembered once taken, whatever came of it; a retry is not taken. */
	if (f != DIST_RETRY && (rc = seen_record(d->st, SEEN_COMMAND,
	    im->route.domain, im->message_id)) != STORE_OK)
		log_warn("Message-ID <%s> not remembered: %s", im->message_id,
		    store_error(d->st));
	log_info("commands from %s (%s): %zu, %s", im->from,
	    scenario_auth_name(r.auth), set.n, f == DIST_DONE ? "done" :
	    f == DIST_KEPT ? "held for the sender's confirmation" :
	    f == DIST_RETRY ? "to retry" : "kept");
	robot_run_free(&r);
	command_set_free(&set);
	return f;
}
