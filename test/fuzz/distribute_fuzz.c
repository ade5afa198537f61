/*
 * distribute_fuzz - libFuzzer target over the path one message takes
 * through distribute, without the database and the disk: the spool
 * entry is parsed (envelope and message), the recipient routed, the
 * message judged for loops, classified by spam_status.x-spam-status and
 * authorised by send.private (a fixed membership), transformed as a post
 * (subject tag, List-* fields, footer), protected against DMARC (From
 * rewritten) and wrapped in a moderation notice, as deliver.c and
 * held.c do.
 *
 * Invariants: nothing crashes or leaks; a transformed message parses
 * again with one Subject, one From and one List-Id; a rewritten From
 * holds the list's address; a notice parses again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoreply.h"
#include "buf.h"
#include "dmarc.h"
#include "listconf.h"
#include "msg.h"
#include "msgedit.h"
#include "notice.h"
#include "route.h"
#include "scenario.h"
#include "spool.h"
#include "transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "distribute_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

static const char conf[] =
    "subject: Fuzz list\n"
    "custom_subject: fuzz\n"
    "message_footer: \"-- the fuzz list\"\n"
    "footer_type: mime\n"
    "dmarc_protection:\n  mode: all\n";

static const char spam_rules[] =
    "match([msg_header->X-Spam-Status][-1],/^\\s*yes/) smtp -> spam\n"
    "true() smtp -> ham\n";
static const char send_rules[] =
    "match([msg->spam_status],/spam/) smtp,dkim,md5,smime -> editorkey,quiet\n"
    "is_subscriber([listname],[sender]) smtp,dkim,md5,smime -> do_it\n"
    "true() smtp,dkim,md5,smime -> editorkey\n";

static struct listconf *lc;
static struct scenario *spam_sc, *send_sc;

static int
fake_role(void *arg, enum scenario_role role, const char *list,
    const char *domain, const char *email)
{
	(void)arg;
	(void)list;
	(void)domain;
	return role == SCENARIO_ROLE_SUBSCRIBER && email != NULL &&
	    strcmp(email, "member@example.org") == 0;
}

static const struct scenario_members fake = { fake_role, NULL, NULL };

static void
setup(void)
{
	struct buf err = BUF_INIT(4096);

	if (lc != NULL)
		return;
	lc = listconf_load_text("fuzz", conf, strlen(conf), NULL, &err);
	spam_sc = scenario_parse("spam_status.fuzz", spam_rules,
	    strlen(spam_rules), NULL, &err);
	send_sc = scenario_parse("send.fuzz", send_rules, strlen(send_rules),
	    NULL, &err);
	if (lc == NULL || spam_sc == NULL || send_sc == NULL)
		fuzz_fail(buf_cstr(&err), __LINE__);
	buf_free(&err);
}

/* Transform as a post, rewrite From, check the result parses sanely. */
static void
fuzz_post(const char *m, size_t len, const struct msg *parsed)
{
	const struct transform_list tl = { "fuzz", "lists.example.org",
	    "Fuzz list", NULL, NULL, "https://lists.example.org/oneclick", 7,
	    NULL };
	struct buf err = BUF_INIT(4096), out = BUF_INIT(64 * 1024 * 1024);
	struct msgedit *e = msgedit_new(m, len, NULL, &err);
	struct dmarc_rewrite rw;
	struct dmarc_rewrite_in in;
	const char *raw, *why = NULL;
	size_t rawlen = 0;
	struct msg *again;

	(void)parsed;
	if (e == NULL)
		goto out;
	if (transform_incoming(e, &tl, lc, &err) == -1 ||
	    transform_outgoing(e, &tl, lc, TRANSFORM_SIGNED_PART, &err) == -1)
		goto out;
	dmarc_rewrite_init(&rw);
	if ((raw = msgedit_raw(e, "From", 0, &rawlen)) != NULL) {
		memset(&in, 0, sizeof(in));
		in.from = raw;
		in.from_len = rawlen;
		in.list_name = "fuzz";
		in.addr = "fuzz@lists.example.org";
		in.phrase = DMARC_PHRASE_NAME_VIA_LIST;
		in.kind = DMARC_KIND_POST;
		if (dmarc_rewrite(&in, &rw, &why) == 0) {
			fuzz_check(strstr(buf_cstr(&rw.from),
			    "fuzz@lists.example.org") != NULL);
			fuzz_check(msgedit_replace(e, "From", buf_cstr(&rw.from),
			    &err) == 0);
		}
	}
	dmarc_rewrite_free(&rw);
	if (msgedit_output(e, &out) == 0 &&
	    (again = msg_parse(out.data, out.len, NULL, NULL)) != NULL) {
		fuzz_check(msg_header_count(again, NULL, "Subject") == 1);
		fuzz_check(msg_header_count(again, NULL, "List-Id") == 1);
		fuzz_check(msg_header_count(again, NULL, "From") <= 1);
		msg_free(again);
	}
out:
	msgedit_free(e);
	buf_free(&err);
	buf_free(&out);
}

static void
fuzz_hold(const char *m, size_t len, const struct msg *parsed, int spam)
{
	const struct notice_ctx nc = { "lists.example.org", "sympa", "fuzz",
	    1795000000, NULL, NULL };
	struct notice_moderation mod = { NULL, m, len, parsed,
	    "0123456789abcdef0123456789abcdef", spam };
	struct buf out = BUF_INIT(64 * 1024 * 1024);
	struct msg *again;

	if (notice_moderate(&nc, &mod, &out, NULL) == 0) {
		fuzz_check((again = msg_parse(out.data, out.len, NULL, NULL)) !=
		    NULL);
		msg_free(again);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct route_config rc = { "sympa", "listmaster", "bounce" };
	struct spool_envelope env;
	struct buf err = BUF_INIT(1024);
	struct scenario_ctx ctx;
	struct scenario_result res;
	struct autoreply_input ai;
	struct route r;
	struct msg *m;
	const char *msgp, *spam;
	size_t off = 0, len = 0;

	setup();
	memset(&env, 0, sizeof(env));
	if (spool_parse((const char *)data, size, &env, &off, &len, &err) == -1) {
		buf_free(&err);
		return 0;
	}
	msgp = (const char *)data + off;
	if (route_address(&rc, env.recipient, strlen(env.recipient), &r) !=
	    ROUTE_POST || (m = msg_parse(msgp, len, NULL, NULL)) == NULL)
		goto out;
	/* distribute refuses a post without exactly one From (post.c). */
	if (msg_header_count(m, NULL, "From") != 1)
		goto done;
	memset(&ai, 0, sizeof(ai));
	ai.msg = m;
	ai.envelope_sender = env.sender;
	ai.list_id = "fuzz.lists.example.org";
	if (autoreply_drop_post(&ai, 1, NULL))
		goto done;
	memset(&ctx, 0, sizeof(ctx));
	ctx.domain = r.domain;
	ctx.msg = m;
	scenario_eval(spam_sc, &ctx, &res);
	spam = scenario_action_name(res.action);
	ctx.sender = env.sender;
	ctx.listname = r.list;
	ctx.spam_status = spam;
	ctx.list = lc;
	ctx.members = &fake;
	ctx.now = 1795000000;
	scenario_eval(send_sc, &ctx, &res);
	if (res.action == SCENARIO_DO_IT)
		fuzz_post(msgp, len, m);
	else
		fuzz_hold(msgp, len, m, strcmp(spam, "spam") == 0);
done:
	msg_free(m);
out:
	spool_envelope_free(&env);
	buf_free(&err);
	return 0;
}
