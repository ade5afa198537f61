/*
 * scenario_test - the scenario engine without a database: Sympa's 105
 * shipped files parse, malformed files are refused with file:line and
 * reject, a table of decisions on Sympa's own files (read in place from
 * the corpora) with a fake membership oracle, conditions one by one, the
 * lookup order and the cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "msg.h"
#include "scenario.h"
#include "testutil.h"

#define SCENARI	"sympa-testdata/default/scenari"

/* The fake oracle: who is what on list "staff" (and "noed", no editors). */
static int oracle_calls;

static int
fake_role(void *arg, enum scenario_role role, const char *list,
    const char *domain, const char *email)
{
	(void)arg;
	(void)domain;
	oracle_calls++;
	switch (role) {
	case SCENARIO_ROLE_SUBSCRIBER:
		return strcmp(email, "member@example.org") == 0 ||
		    strcmp(email, "editor@example.org") == 0;
	case SCENARIO_ROLE_OWNER:
		return strcmp(email, "owner@example.org") == 0;
	case SCENARIO_ROLE_EDITOR:
		return strcmp(list, "noed") != 0 &&
		    strcmp(email, "editor@example.org") == 0;
	case SCENARIO_ROLE_HAS_EDITORS:
		return strcmp(list, "noed") != 0;
	case SCENARIO_ROLE_LISTMASTER:
		return strcmp(email, "lm@example.org") == 0;
	}
	return -1;
}

static int
failing_role(void *arg, enum scenario_role role, const char *list,
    const char *domain, const char *email)
{
	(void)arg; (void)role; (void)list; (void)domain; (void)email;
	return -1;
}

static const struct scenario_members fake = { fake_role, NULL, NULL };

static struct scenario *
corpus_load(const char *name)
{
	char rel[256];
	const char *path;
	struct buf err = BUF_INIT(1024);
	struct scenario *sc;

	snprintf(rel, sizeof(rel), "%s/%s", SCENARI, name);
	path = test_corpus_path(rel);
	assert_non_null(path);
	sc = scenario_load(path, NULL, &err);
	if (sc == NULL)
		fail_msg("%s", buf_cstr(&err));
	buf_free(&err);
	return sc;
}

static void
test_corpus_parse(void **state)
{
	const char *dir = test_corpus_path(SCENARI);
	char **files;
	int n = 0, ok = 0;

	(void)state;
	if (dir == NULL || access(dir, R_OK) != 0) {
		printf("sympa scenarios: skipped (corpora absent)\n");
		skip();
	}
	files = test_list_dir(dir, NULL);
	for (char **f = files; *f != NULL; f++) {
		struct buf err = BUF_INIT(1024);
		struct scenario *sc = scenario_load(*f, NULL, &err);

		n++;
		if (sc != NULL && scenario_nrules(sc) > 0)
			ok++;
		else
			printf("  %s: %s\n", *f, buf_cstr(&err));
		scenario_unref(sc);
		buf_free(&err);
	}
	test_free_list(files);
	printf("sympa scenarios: %d/%d parse\n", ok, n);
	assert_int_equal(n, 105);
	assert_int_equal(ok, n);
}

/* A message from header lines ("\n"-separated) and a body. */
static struct msg *
mkmsg(const char *headers, struct buf *keep)
{
	buf_reset(keep);
	buf_puts(keep, headers);
	buf_puts(keep, "\nhello\n");
	return msg_parse(keep->data, keep->len, NULL, NULL);
}

struct row {
	const char	*file;
	const char	*sender;
	const char	*email;		/* NULL: the sender */
	const char	*auth;
	const char	*headers;	/* NULL: no message */
	const char	*expect;	/* scenario_result_format() */
};

/* (scenario, who, method, headers) -> what Sympa documents. */
static const struct row table[] = {
	{ "send.public", "stranger@example.net", NULL, "smtp", NULL, "do_it" },
	{ "send.public", "nobody", NULL, "md5", NULL, "do_it" },
	{ "send.private", "member@example.org", NULL, "smtp", NULL, "do_it" },
	{ "send.private", "editor@example.org", NULL, "smtp", NULL, "do_it" },
	{ "send.private", "owner@example.org", NULL, "smtp", NULL, "do_it" },
	{ "send.private", "lm@example.org", NULL, "smtp", NULL, "do_it" },
	{ "send.private", "Member@Example.ORG", NULL, "smtp", NULL, "do_it" },
	{ "send.private", "stranger@example.net", NULL, "smtp", NULL,
	    "reject(reason='send_subscriber')" },
	{ "send.private", "stranger@example.net", NULL, "smime", NULL,
	    "reject(reason='send_subscriber')" },
	{ "send.private", "member@example.org", NULL, "dkim", NULL, "do_it" },
	{ "send.private", "stranger@example.net", NULL, "pgp", NULL, "reject" },
	{ "send.privateorpublickey", "member@example.org", NULL, "smtp", NULL,
	    "do_it" },
	{ "send.privateorpublickey", "stranger@example.net", NULL, "smtp", NULL,
	    "request_auth" },
	{ "send.privateorpublickey", "stranger@example.net", NULL, "md5", NULL,
	    "do_it" },
	{ "send.editorkey", "editor@example.org", NULL, "smtp", NULL, "do_it" },
	{ "send.editorkey", "member@example.org", NULL, "smtp", NULL,
	    "editorkey" },
	{ "send.editorkey", "stranger@example.net", NULL, "smtp",
	    "X-Sender: a@b\nX-Sender: editor@example.org", "do_it" },
	{ "send.editorkey", "stranger@example.net", NULL, "smtp",
	    "X-Sender: editor@example.org\nX-Sender: a@b", "editorkey" },
	{ "send.editorkeyonly", "editor@example.org", NULL, "smtp", NULL,
	    "editorkey" },
	{ "send.editorkeyonly", "owner@example.org", NULL, "md5", NULL,
	    "editorkey" },
	{ "send.closed", "owner@example.org", NULL, "smtp", NULL,
	    "reject(reason='send_closed')" },
	{ "subscribe.open", "stranger@example.net", NULL, "smtp", NULL,
	    "do_it" },
	{ "subscribe.open", "stranger@example.net", "other@example.net", "smtp",
	    NULL, "request_auth([email])" },
	{ "subscribe.owner", "stranger@example.net", NULL, "smtp", NULL,
	    "owner" },
	{ "subscribe.owner", "member@example.org", NULL, "smtp", NULL, "do_it" },
	{ "subscribe.owner", "owner@example.org", NULL, "smtp", NULL, "do_it" },
	{ "subscribe.auth", "stranger@example.net", NULL, "smtp", NULL,
	    "request_auth([email])" },
	{ "subscribe.auth", "stranger@example.net", NULL, "md5", NULL, "do_it" },
	{ "subscribe.auth", "member@example.org", NULL, "smtp", NULL, "do_it" },
	{ "unsubscribe.open", "member@example.org", NULL, "smtp", NULL, "do_it" },
	{ "unsubscribe.open", "stranger@example.net", "member@example.org",
	    "smtp", NULL, "request_auth([email])" },
	{ "review.owner", "owner@example.org", NULL, "smtp", NULL, "do_it" },
	{ "review.owner", "lm@example.org", NULL, "smtp", NULL, "do_it" },
	{ "review.owner", "member@example.org", NULL, "smtp", NULL,
	    "reject(reason='review_owner')" },
	{ "spam_status.x-spam-status", "nobody", NULL, "smtp",
	    "X-Spam-Status: Yes, score=12", "spam" },
	{ "spam_status.x-spam-status", "nobody", NULL, "smtp",
	    "X-Spam-Status: yes\nX-Spam-Status: No, score=0", "unsure" },
	{ "spam_status.x-spam-status", "nobody", NULL, "smtp",
	    "X-Spam-Status: No\nX-Spam-Status:   YES", "spam" },
	{ "spam_status.x-spam-status", "nobody", NULL, "smtp",
	    "Subject: hi", "unsure" },
	{ "spam_status.x-spam-status", "nobody", NULL, "smtp", NULL, "unsure" },
};

static void
test_table(void **state)
{
	struct buf keep = BUF_INIT(1 << 20), out = BUF_INIT(1024);

	(void)state;
	if (test_corpora_dir() == NULL)
		skip();
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct row *r = &table[i];
		struct scenario *sc = corpus_load(r->file);
		struct scenario_result res;
		struct scenario_ctx ctx = { 0 };
		struct msg *m = r->headers ? mkmsg(r->headers, &keep) : NULL;

		ctx.sender = r->sender;
		ctx.email = r->email;
		ctx.listname = "staff";
		ctx.domain = "lists.example.org";
		ctx.auth = (enum scenario_auth)scenario_auth_parse(r->auth);
		ctx.msg = m;
		ctx.members = &fake;
		scenario_eval(sc, &ctx, &res);
		buf_reset(&out);
		scenario_result_format(&res, &out);
		if (strcmp(buf_cstr(&out), r->expect) != 0)
			fail_msg("%s %s %s: got %s (%s), want %s", r->file,
			    r->sender, r->auth, buf_cstr(&out), res.origin,
			    r->expect);
		if (!res.failed)
			assert_non_null(strstr(res.origin, r->file));
		else
			assert_string_equal(res.origin, "no rule matched");
		msg_free(m);
		scenario_unref(sc);
	}
	printf("scenario table: %zu decisions\n", sizeof(table) / sizeof(table[0]));
	buf_free(&keep);
	buf_free(&out);
}

/* Parse text, evaluate for sender; the formatted action. */
static const char *
decide(const char *text, struct scenario_ctx *ctx, struct scenario_result *res)
{
	static struct buf out = BUF_INIT(1024);
	struct buf err = BUF_INIT(1024);
	struct scenario *sc = scenario_parse("t.x", text, strlen(text), NULL,
	    &err);

	if (sc == NULL)
		fail_msg("%s", buf_cstr(&err));
	scenario_eval(sc, ctx, res);
	scenario_unref(sc);
	buf_free(&err);
	buf_reset(&out);
	scenario_result_format(res, &out);
	return buf_cstr(&out);
}

static void
test_malformed(void **state)
{
	static const struct { const char *text; const char *err; } bad[] = {
		{ "true() smtp -> do_it\nfoo( smtp -> do_it\n", "t.x:2: " },
		{ "true() smtp -> jump\n", "t.x:1: unknown action" },
		{ "true() smtp,bogus -> do_it\n", "t.x:1: unknown auth" },
		{ "equal([sender]) smtp -> do_it\n", "t.x:1: wrong number" },
		{ "\n\nmatch([sender],/(/) smtp -> do_it\n", "t.x:3: bad regex" },
		{ "frobnicate(1) smtp -> do_it\n", "t.x:1: unknown condition" },
		{ "true() smtp do_it\n", "t.x:1: " },
		{ "match([sender],/abc) smtp -> do_it\n", "t.x:1: unclosed" },
		{ "true() smtp -> reject(reason='x\n", "t.x:1: " },
		{ "true() smtp -> do_it,loud\n", "t.x:1: " },
		{ "include(\n", "t.x:1: bad include" },
		{ "equal([sen der],1) smtp -> do_it\n", "t.x:1: " },
	};
	struct scenario_result res;
	struct scenario_ctx ctx = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf err = BUF_INIT(1024);
		struct scenario *sc = scenario_parse("t.x", bad[i].text,
		    strlen(bad[i].text), NULL, &err);

		if (sc != NULL)
			fail_msg("accepted: %s", bad[i].text);
		if (strncmp(buf_cstr(&err), bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("%s: got \"%s\"", bad[i].text, buf_cstr(&err));
		buf_free(&err);
	}
	/* A missing scenario rejects. */
	assert_int_equal(scenario_eval(NULL, &ctx, &res), -1);
	assert_int_equal(res.action, SCENARIO_REJECT);
	assert_int_equal(res.failed, 1);
	/* So does a file with no rule that matches. */
	assert_string_equal(decide("true() md5 -> do_it\n", &ctx, &res),
	    "reject");
	assert_string_equal(res.origin, "no rule matched");
}

static void
test_syntax(void **state)
{
	struct scenario_result res;
	struct scenario_ctx ctx = { 0 };

	(void)state;
	ctx.sender = "a@example.org";
	ctx.domain = "lists.example.org";
	/* Comments, lone words, titles, blank lines, CRLF, no method = smtp. */
	assert_string_equal(decide("title.gettext Hello\r\ntitle.fr Bonjour\r\n"
	    "paragraph\r\n# comment\r\n\r\ntrue() -> do_it,notify # end\r\n",
	    &ctx, &res), "do_it,notify");
	assert_int_equal(res.line, 6);
	assert_string_equal(res.origin, "t.x:6");
	ctx.auth = SCENARIO_AUTH_MD5;
	assert_string_equal(decide("true() -> do_it\ntrue() md5 smime -> "
	    "reject(reason='r',tt2='t'),quiet\n", &ctx, &res),
	    "reject(reason='r',tt2='t'),quiet");
	assert_string_equal(decide("TRUE()  Md5 -> reject('tpl')\n", &ctx, &res),
	    "reject(tt2='tpl')");
	assert_string_equal(decide("all() md5 -> listmaster,notify\n", &ctx,
	    &res), "listmaster,notify");
	/* Negation, and the bare words. */
	ctx.auth = SCENARIO_AUTH_SMTP;
	assert_string_equal(decide("!equal([sender],a@example.org) smtp -> "
	    "reject\nequal( [sender] , 'A@EXAMPLE.ORG' ) smtp -> do_it\n",
	    &ctx, &res), "do_it");
	/* [domain] in a regex is the context's domain, dots escaped. */
	ctx.sender = "x@lists.example.org";
	assert_string_equal(decide("match([sender],/@[domain]$/) smtp -> do_it\n"
	    "true() smtp -> reject\n", &ctx, &res), "do_it");
	ctx.sender = "x@listsXexample.org";
	assert_string_equal(decide("match([sender],/@[domain]$/) smtp -> do_it\n"
	    "true() smtp -> reject\n", &ctx, &res), "reject");
	/* Unsupported conditions never apply, negated or not. */
	assert_string_equal(decide("CustomCondition::foo([sender]) smtp -> do_it\n"
	    "!search(people.ldap) smtp -> do_it\ntrue() smtp -> editorkey\n",
	    &ctx, &res), "editorkey");
}

static void
test_conditions(void **state)
{
	struct buf keep = BUF_INIT(1 << 20);
	struct scenario_result res;
	struct scenario_ctx ctx = { 0 };
	const char *env[] = { "HTTPS=on", NULL };
	const char *vars[] = { "date=100", NULL };
	struct msg *m;

	(void)state;
	ctx.sender = "a@example.org";
	ctx.listname = "staff";
	ctx.domain = "lists.example.org";
	ctx.env = env;
	ctx.vars = vars;
	ctx.now = 1700000000;
	ctx.spam_status = "spam";
	m = mkmsg("To: staff@lists.example.org\nContent-Type: multipart/mixed; "
	    "boundary=b\n\n--b\nContent-Type: text/plain\n\nbody one\n--b\n"
	    "Content-Type: image/png\n\nxx\n--b--", &keep);
	ctx.msg = m;
	assert_string_equal(decide("equal([env->HTTPS],'on') -> do_it\n", &ctx,
	    &res), "do_it");
	assert_string_equal(decide("equal([env->NONE],'') -> do_it\n"
	    "true() -> editor\n", &ctx, &res), "editor");
	assert_string_equal(decide("match([msg->spam_status],/spam/) -> "
	    "editorkey,quiet\n", &ctx, &res), "editorkey,quiet");
	assert_string_equal(decide("equal([is_bcc],1) -> reject\n"
	    "true() -> do_it\n", &ctx, &res), "do_it");
	assert_string_equal(decide("equal([msg_part->type],'image/png') -> "
	    "reject\n", &ctx, &res), "reject");
	assert_int_equal(res.failed, 0);
	assert_string_equal(decide("match([msg_part->body],/one/) -> do_it\n",
	    &ctx, &res), "do_it");
	assert_string_equal(decide("match([msg_body],/one/) -> do_it\n"
	    "true() -> editor\n", &ctx, &res), "editor");
	assert_string_equal(decide("less_than([date],'99') -> reject\n"
	    "less_than([date],'101') -> do_it\n", &ctx, &res), "do_it");
	assert_string_equal(decide("older([current_date],'2030y') -> do_it\n",
	    &ctx, &res), "do_it");
	assert_string_equal(decide("newer([current_date],'2020y1m1d+2w') -> "
	    "do_it\n", &ctx, &res), "do_it");
	assert_string_equal(decide("older('1600000000',[current_date]) -> "
	    "do_it\n", &ctx, &res), "do_it");
	msg_free(m);
	/* The To has no list name: Bcc. */
	m = mkmsg("To: someone@example.org\nSubject: x", &keep);
	ctx.msg = m;
	assert_string_equal(decide("equal([is_bcc],1) -> reject\n"
	    "true() -> do_it\n", &ctx, &res), "reject");
	msg_free(m);
	ctx.msg = NULL;
	/* verify_netmask: only with an address. */
	assert_string_equal(decide("verify_netmask('10.0.0.0/8') -> do_it\n"
	    "true() -> reject\n", &ctx, &res), "reject");
	ctx.remote_addr = "10.1.2.3";
	assert_string_equal(decide("verify_netmask('10.0.0.0/8') -> do_it\n",
	    &ctx, &res), "do_it");
	assert_string_equal(decide("verify_netmask('10.0.0.0:10.0.255.255') -> "
	    "do_it\ntrue() -> editor\n", &ctx, &res), "editor");
	assert_string_equal(decide("verify_netmask(junk) -> do_it\n", &ctx,
	    &res), "reject");
	assert_int_equal(res.failed, 1);
	/* Membership: is_editor falls back to owners; is_owner has listmasters. */
	ctx.members = &fake;
	ctx.sender = "owner@example.org";
	assert_string_equal(decide("is_editor([listname],[sender]) -> do_it\n"
	    "true() -> reject\n", &ctx, &res), "reject");
	assert_string_equal(decide("is_editor(noed,[sender]) -> do_it\n",
	    &ctx, &res), "do_it");
	ctx.sender = "lm@example.org";
	assert_string_equal(decide("is_owner([listname],[sender]) -> do_it\n",
	    &ctx, &res), "do_it");
	assert_string_equal(decide("is_listmaster([sender]) -> do_it\n",
	    &ctx, &res), "do_it");
	assert_string_equal(decide("is_subscriber(staff,'Bob <member@example.org>')"
	    " -> do_it\n", &ctx, &res), "do_it");
	assert_string_equal(decide("is_subscriber(staff,nobody) -> do_it\n"
	    "true() -> editor\n", &ctx, &res), "editor");
	/* The evaluation asks the oracle once per question. */
	oracle_calls = 0;
	decide("is_subscriber([listname],[sender]) -> reject('a')\n"
	    "is_subscriber([listname],[sender]) -> reject('b')\n"
	    "true() -> do_it\n", &ctx, &res);
	assert_int_equal(oracle_calls, 1);
	/* An oracle error rejects. */
	{
		struct scenario_members bad = { failing_role, NULL, NULL };

		ctx.members = &bad;
		assert_string_equal(decide("!is_subscriber([listname],[sender]) "
		    "-> do_it\n", &ctx, &res), "reject");
		assert_int_equal(res.failed, 1);
		assert_string_equal(res.reason, "error-performing-condition");
	}
	buf_free(&keep);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char path[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
test_lookup_cache(void **state)
{
	char *top = test_mkdtemp("scenario");
	char d[4][1024], f[8192];
	struct scenario_path path;
	struct scenario_result res;
	struct scenario_ctx ctx = { 0 };
	struct buf err = BUF_INIT(1024), file = BUF_INIT(4096);
	struct scenario *a, *b;
	const char *names[4] = { "list", "domain", "site", "default" };

	(void)state;
	scenario_path_init(&path);
	for (int i = 0; i < 4; i++) {
		snprintf(d[i], sizeof(d[i]), "%s/%s", top, names[i]);
		assert_int_equal(mkdir(d[i], 0700), 0);
		assert_int_equal(scenario_path_add(&path, d[i]), 0);
		snprintf(f, sizeof(f), "true() -> reject(reason='%s')\n", names[i]);
		put(d[i], "send.x", f);
	}
	ctx.sender = "a@b";
	ctx.path = &path;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(scenario_decide(&path, "send", "x", &ctx, &res), 0);
		assert_string_equal(res.reason, names[i]);
		snprintf(f, sizeof(f), "%s/send.x", d[i]);
		unlink(f);
	}
	/* Missing: reject, fail closed. */
	assert_int_equal(scenario_decide(&path, "send", "x", &ctx, &res), -1);
	assert_int_equal(res.failed, 1);
	assert_null(scenario_find(&path, "send", "../x", NULL, &err));
	/* Shared and cached; reloaded when changed. */
	put(d[2], "send.y", "true() -> do_it\n");
	a = scenario_find(&path, "send", "y", &file, &err);
	b = scenario_find(&path, "send", "y", NULL, &err);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	scenario_unref(b);
	put(d[2], "send.y", "true() -> editorkey\ntrue() -> do_it\n");
	b = scenario_find(&path, "send", "y", NULL, &err);
	assert_ptr_not_equal(a, b);
	assert_int_equal(scenario_nrules(b), 2);
	scenario_unref(a);
	scenario_unref(b);
	/* Broken: reject with file:line. */
	put(d[1], "send.y", "true() -> do_it\nbad line\n");
	assert_int_equal(scenario_decide(&path, "send", "y", &ctx, &res), -1);
	assert_non_null(strstr(res.origin, "domain/send.y:2:"));
	/* include() lines and include.<function>.header. */
	put(d[3], "include.common", "equal([sender],'x@y') -> reject,quiet\n");
	put(d[0], "send.z", "include(common)\ntrue() -> do_it\n");
	put(d[2], "include.send.header", "equal([sender],'h@y') -> editorkey\n");
	ctx.sender = "x@y";
	scenario_decide(&path, "send", "z", &ctx, &res);
	assert_int_equal(res.action, SCENARIO_REJECT);
	assert_int_equal(res.quiet, 1);
	assert_non_null(strstr(res.origin, "default/include.common:1"));
	ctx.sender = "h@y";
	scenario_decide(&path, "send", "z", &ctx, &res);
	assert_int_equal(res.action, SCENARIO_EDITORKEY);
	/* A changed include file is seen too. */
	put(d[3], "include.common", "equal([sender],'x@y') -> do_it,quiet\n#\n");
	ctx.sender = "x@y";
	scenario_decide(&path, "send", "z", &ctx, &res);
	assert_int_equal(res.action, SCENARIO_DO_IT);
	/* search() of a text filter on the path. */
	mkdir(strcat(strcpy(f, d[1]), "/search_filters"), 0700);
	put(f, "bad.txt", "# blocked\n*@spam.example\n\nexact@x.org\n");
	put(d[0], "send.s", "search('bad.txt') -> reject\ntrue() -> do_it\n");
	ctx.sender = "Joe@SPAM.example";
	scenario_decide(&path, "send", "s", &ctx, &res);
	assert_int_equal(res.action, SCENARIO_REJECT);
	ctx.sender = "joe@ok.example";
	scenario_decide(&path, "send", "s", &ctx, &res);
	assert_int_equal(res.action, SCENARIO_DO_IT);
	put(d[0], "send.t", "search(missing.txt) -> reject\ntrue() -> do_it\n");
	assert_int_equal(scenario_decide(&path, "send", "t", &ctx, &res), -1);
	scenario_cache_flush();
	buf_free(&err);
	buf_free(&file);
	test_rmtree(top);
	free(top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_parse),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_lookup_cache),
	};

	log_open("scenario_test", 0, LOG_TO_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
