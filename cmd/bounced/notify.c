/*
 * notify.c - the owners' notice of a member's complaint (an RFC 5965
 * feedback report, "this is spam"). Herald records the complaint and
 * tells the owners; it does not unsubscribe the member itself: a
 * complaint may be a slip of the finger, and the owners know their list.
 *
 * The notice goes out as a bulk job of kind "notice" in the transaction
 * that records the complaint, with the null return path (RFC 3834: an
 * automatic message must not cause another) and "Auto-Submitted:
 * auto-generated". Texts from the report are reduced to printable ASCII
 * before they are written into it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounced.h"
#include "listconf.h"
#include "log.h"
#include "mem.h"

#define NOTIFY_MSG_MAX		(64 * 1024)
#define NOTIFY_VALUE_MAX	200

static const char owners_sql[] =
    "SELECT email FROM admins WHERE list_id = $1 AND role = 'owner'"
    " AND reception <> 'nomail' ORDER BY email";

/* A value from the report as printable ASCII, cut; "" for NULL. */
static void
plain(const char *in, struct buf *out)
{
	buf_reset(out);
	for (const unsigned char *s = (const unsigned char *)(in ? in : "");
	    *s != '\0' && out->len < NOTIFY_VALUE_MAX; s++)
		buf_putc(out, *s >= 0x20 && *s < 0x7f ? *s : '?');
	buf_cstr(out);
}

static void
add_rcpt(char ***v, size_t *n, const char *a)
{
	*v = xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[(*n)++] = xstrdup(a);
}

static void
free_rcpts(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The list's owners who take mail, else the listmasters. */
static int
owners(struct bd *b, const char *list_id, char ***v, size_t *n)
{
	const char *p[] = { list_id };
	PGresult *res;
	int rc;

	*v = NULL;
	*n = 0;
	rc = store_query_prepared(b->st, "bounced_owners", owners_sql,
	    STORE_NPARAMS(p), p, &res);
	if (rc != STORE_OK)
		return rc;
	for (int i = 0; i < PQntuples(res); i++)
		add_rcpt(v, n, PQgetvalue(res, i, 0));
	PQclear(res);
	if (*n == 0) {
		char **lm;
		size_t nlm = config_addresses(b->cf, CF_LISTMASTER, &lm);

		for (size_t i = 0; i < nlm; i++)
			add_rcpt(v, n, lm[i]);
		config_addresses_free(lm, nlm);
	}
	return STORE_OK;
}

static int
compose(struct bd *b, const struct bd_entry *be, const char *member,
    const struct bounce_report *r, int removed, struct buf *out)
{
	const char *list = be->attr.list, *domain = be->attr.domain;
	const char *robot = config_str(b->cf, CF_ROBOT_LOCALPART);
	struct buf who = BUF_INIT(512), type = BUF_INIT(512),
	    mta = BUF_INIT(512), mid = BUF_INIT(512);
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	int ascii = 1, rc;

	for (const char *s = member; *s != '\0'; s++)
		ascii &= (unsigned char)*s < 0x7f;
	plain(member, &who);
	plain(r->feedback_type ? r->feedback_type : "abuse", &type);
	plain(r->reporting_mta, &mta);
	plain(r->orig_message_id, &mid);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	rc = buf_printf(out, "From: %s@%s\nTo: %s-request@%s\n"
	    "Subject: %s: a complaint from %s\nDate: %s\n"
	    "Message-ID: <%lx.%ld.%lx.complaint@%s>\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "Auto-Submitted: auto-generated\nX-Loop: %s@%s\n\n",
	    robot, domain, list, domain, list,
	    ascii ? buf_cstr(&who) : "a member", date, (unsigned long)now,
	    (long)getpid(), (unsigned long)random(), domain, robot, domain);
	if (rc == 0)
		rc = buf_printf(out, "%s, a member of %s@%s, reported a message "
		    "of the list to their\nmail provider as unwanted "
		    "(feedback type: %s).\n\n", member, list, domain,
		    buf_cstr(&type));
	if (rc == 0 && mid.len > 0)
		rc = buf_printf(out, "The message: <%s>\n", buf_cstr(&mid));
	if (rc == 0 && mta.len > 0)
		rc = buf_printf(out, "Reported by: %s\n", buf_cstr(&mta));
	if (rc == 0 && removed)
		rc = buf_printf(out, "\nHerald recorded the complaint and "
		    "removed the member, as the list's\ncomplaint_action says "
		    "(unsubscribe).\n");
	else if (rc == 0)
		rc = buf_printf(out, "\nHerald recorded the complaint; the "
		    "member is still subscribed.\nProviders stop delivering "
		    "mail that their users complain about: you\nmay want to "
		    "remove the member:\n\n\therald member del %s@%s %s\n",
		    list, domain, member);
	buf_free(&who);
	buf_free(&type);
	buf_free(&mta);
	buf_free(&mid);
	return rc;
}

int
bd_notify_complaint(struct bd *b, const struct bd_entry *be,
    const char *list_id, const char *member, const struct bounce_report *r,
    size_t n, int removed)
{
	struct buf msg = BUF_INIT(NOTIFY_MSG_MAX), jid = BUF_INIT(512);
	struct packet_job job;
	struct packet_outcome oc;
	char **rcpts;
	size_t nr;
	int rc;

	if ((rc = owners(b, list_id, &rcpts, &nr)) != STORE_OK)
		return rc;
	if (nr == 0) {
		log_warn("nobody to tell of %s's complaint", member);
		return STORE_OK;
	}
	if (compose(b, be, member, r, removed, &msg) != 0) {
		free_rcpts(rcpts, nr);
		buf_free(&msg);
		log_warn("the notice of %s's complaint is too long", member);
		return STORE_OK;
	}
	buf_printf(&jid, "%s/complaint%zu", be->name, n);
	memset(&job, 0, sizeof(job));
	job.spool_id = buf_cstr(&jid);
	job.kind = "notice";
	job.list_id = list_id;
	job.list_name = be->attr.list;
	job.domain = be->attr.domain;
	job.message = msg.data;
	job.message_len = msg.len;
	job.return_path = "";
	job.priority = 1;
	rc = packet_job_create_to(b->st, &job, (const char *const *)rcpts, nr,
	    &b->limits, &oc);
	if (rc == STORE_OK)
		log_info("told %zu owner%s of %s's complaint", nr,
		    nr == 1 ? "" : "s", member);
	free_rcpts(rcpts, nr);
	buf_free(&msg);
	buf_free(&jid);
	return rc;
}

int
bd_complaint_unsubscribes(struct bd *b, const struct bd_entry *be)
{
	struct buf path = BUF_INIT(PATH_MAX), err = BUF_INIT(4096);
	struct listconf *lc = NULL;
	int yes = 0;

	if (listconf_path(config_str(b->cf, CF_LISTS_DIRECTORY), be->attr.domain,
	    be->attr.list, &path) == 0 &&
	    (lc = listconf_load(buf_cstr(&path), b->cf, &err)) != NULL)
		yes = strcmp(listconf_str(lc, LC_COMPLAINT_ACTION),
		    "unsubscribe") == 0;
	else
		log_warn("%s@%s: its config cannot be read (%s): a complaint "
		    "leaves the member subscribed", be->attr.list,
		    be->attr.domain, buf_cstr(&err));
	listconf_free(lc);
	buf_free(&path);
	buf_free(&err);
	return yes;
}
