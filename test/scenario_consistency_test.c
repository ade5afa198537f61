/*
 * scenario_consistency_test - Herald's default scenarios (scenarios/) have
 * the meaning of Sympa's: for every name both ship, the two files decide
 * the same on a table of lists (with and without editors), senders of
 * every role, every auth method and spam verdicts. For dkim, Herald's
 * answer must be Sympa's for smtp or for md5. Sympa's files are read
 * in place from the corpora; the test skips when they are absent.
 *
 * In process with a fake membership oracle: thousands of decisions take
 * milliseconds, where the same table through `herald scenario test` would
 * start thousands of processes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "scenario.h"
#include "testutil.h"

#define SYMPA_SCENARI	"sympa-testdata/default/scenari"

static const char *senders[] = {
	"member@example.org", "owner@example.org", "editor@example.org",
	"stranger@example.net", "lm@example.org",
};
static const char *lists[] = { "staff", "noed" };	/* noed: no editor */
/*
 * Messages for every other name: plain, multipart/mixed, alternative, an
 * attachment disposition, an X-Sender naming the editor (send.editorkey
 * trusts it), none at all.
 */
static const char *messages[] = {
	NULL,
	"From: x@example.org\nContent-Type: text/plain\n\nhello\n",
	"From: x@example.org\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nhello\n--b--\n",
	"From: x@example.org\nContent-Type: multipart/alternative; boundary=b\n\n"
	    "--b\n\nhello\n--b--\n",
	"From: x@example.org\nContent-Disposition: attachment; filename=a.pdf\n"
	    "Content-Type: application/pdf\n\nJVBERi0=\n",
	"From: x@example.org\nX-Sender: editor@example.org\n\nhello\n",
};
/* The verdict headers of the filters Sympa's spam_status files read. */
static const char *spam_headers[] = {
	NULL,
	"X-Spam-Status: Yes, score=9.1\n",
	"X-Spam-Status: No, score=0.1\n",
	"X-Spam-Flag: YES\n",
	"X-Spam: Yes\n",
	"X-Bogosity: Spam, tests=x\n",
	"X-Bogosity: Ham, tests=x\n",
	"X-j-chkmail-Status: Spam Hi\n",
	"X-j-chkmail-Status: Unsure\n",
};

static int
fake_role(void *arg, enum scenario_role role, const char *list,
    const char *domain, const char *email)
{
	(void)arg;
	(void)domain;
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

static const struct scenario_members fake = { fake_role, NULL, NULL };

static struct scenario *
load(const char *dir, const char *name)
{
	char path[4096];
	struct buf err = BUF_INIT(1024);
	struct scenario *sc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((sc = scenario_load(path, NULL, &err)) == NULL)
		fail_msg("%s", buf_cstr(&err));
	buf_free(&err);
	return sc;
}

static enum scenario_action
decide(const struct scenario *sc, const char *list, const char *sender,
    enum scenario_auth auth, const struct msg *m)
{
	struct scenario_ctx ctx = { 0 };
	struct scenario_result res;

	ctx.sender = ctx.email = sender;
	ctx.listname = list;
	ctx.domain = "example.org";
	ctx.auth = auth;
	ctx.msg = m;
	ctx.members = &fake;
	ctx.now = 1795000000;
	scenario_eval(sc, &ctx, &res);
	return res.action;
}

/* Compare one name on the whole table; the number of differing cases. */
static int
compare(const struct scenario *herald, const struct scenario *sympa,
    const char *name)
{
	int differ = 0, spam = strncmp(name, "spam_status.", 12) == 0;
	size_t nh = spam ? sizeof spam_headers / sizeof spam_headers[0] :
	    sizeof messages / sizeof messages[0];
	struct buf keep = BUF_INIT(4096);

	for (size_t h = 0; h < nh; h++) {
		struct msg *m = NULL;

		buf_reset(&keep);
		if (spam && spam_headers[h] != NULL)
			buf_printf(&keep, "From: x@example.org\n%s\nhello\n",
			    spam_headers[h]);
		else if (!spam && messages[h] != NULL)
			buf_puts(&keep, messages[h]);
		if (keep.len > 0)
			m = msg_parse(keep.data, keep.len, NULL, NULL);
		for (size_t l = 0; l < 2; l++)
			for (size_t s = 0; s < sizeof senders / sizeof senders[0]; s++)
				for (int a = SCENARIO_AUTH_SMTP; a <= SCENARIO_AUTH_SMIME; a++) {
					enum scenario_action ah, as;

					ah = decide(herald, lists[l], senders[s], a, m);
					as = decide(sympa, lists[l], senders[s], a, m);
					/*
					 * Sympa folds dkim into smtp; Herald takes a
					 * verified signature as authentication where a
					 * key would do (the "Herald does
					 * better"): either of Sympa's answers is right.
					 */
					if (a == SCENARIO_AUTH_DKIM && ah != as)
						as = decide(sympa, lists[l], senders[s],
						    SCENARIO_AUTH_MD5, m);
					if (ah != as && differ++ < 3)
						printf("  %s: message %zu, list %s, %s, %s: herald %s, sympa %s\n",
						    name, h, lists[l], senders[s],
						    scenario_auth_name(a),
						    scenario_action_name(ah),
						    scenario_action_name(as));
				}
		msg_free(m);
	}
	buf_free(&keep);
	return differ;
}

static void
test_defaults_decide_as_sympa(void **state)
{
	const char *sympa_dir = test_corpus_path(SYMPA_SCENARI);
	char **files;
	int names = 0, same = 0;

	(void)state;
	if (sympa_dir == NULL || access(sympa_dir, R_OK) != 0) {
		printf("scenario consistency: skipped (corpora absent)\n");
		skip();
	}
	files = test_list_dir("scenarios", NULL);
	assert_non_null(files);
	for (char **f = files; *f != NULL; f++) {
		const char *name = strrchr(*f, '/') + 1;
		char theirs[4096];
		struct scenario *h, *s;

		snprintf(theirs, sizeof theirs, "%s/%s", sympa_dir, name);
		if (access(theirs, R_OK) != 0)
			continue;
		names++;
		h = load("scenarios", name);
		s = load(sympa_dir, name);
		if (compare(h, s, name) == 0)
			same++;
		scenario_unref(h);
		scenario_unref(s);
	}
	test_free_list(files);
	printf("scenario consistency: %d/%d names decide as Sympa's\n", same, names);
	assert_int_equal(names, 105);
	assert_int_equal(same, names);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_decide_as_sympa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
