/*
 * sympaconf_test - Sympa's paragraph files and their translation into
 * config.yaml: every paragraph kind, obsolete names, comments, repeated
 * and broken paragraphs reported with their line numbers, the user
 * dumps, and the example config of the reference (§4.1), written here
 * from its description.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listconf.h"
#include "sympaconf.h"

/* The reference's example (§4.1), as it describes the file. */
static const char reference_example[] =
    "subject A test list\n"
    "\n"
    "send editorkeyonly\n"
    "\n"
    "archive\n"
    "web_access private\n"
    "mail_access owner\n"
    "\n"
    "rfc2369_header_fields archive,help,owner,post,unsubscribe\n"
    "\n"
    "digest 0,1,2,3,4,5,6 2:50\n";

/* -- the parser ------------------------------------------------------------ */

static void
test_parse_paragraphs(void **state)
{
	struct sympaconf *sc;
	const char *text =
	    "# a comment\n"			/* 1 */
	    "subject  Hello  world  \n"		/* 2 */
	    "\n"				/* 3 */
	    "\n"				/* 4 */
	    "archive\n"				/* 5 */
	    "  web_access private\n"		/* 6 */
	    "# inside a paragraph\n"		/* 7 */
	    "mail_access owner\r\n"		/* 8 */
	    "   \t\n"				/* 9 */
	    "custom_header X-A: 1\n"		/* 10 */
	    "\n"				/* 11 */
	    "custom_header X-B: 2";		/* 12, no final newline */

	(void)state;
	sc = sympaconf_parse(text, strlen(text), 0, 100);
	assert_int_equal(sc->npara, 4);
	assert_int_equal(sc->nprob, 0);
	assert_string_equal(sc->para[0].name, "subject");
	assert_string_equal(sc->para[0].value, "Hello  world");
	assert_int_equal(sc->para[0].line, 2);
	assert_string_equal(sc->para[1].name, "archive");
	assert_string_equal(sc->para[1].value, "");
	assert_int_equal(sc->para[1].line, 5);
	assert_int_equal(sc->para[1].nkv, 2);
	assert_string_equal(sc->para[1].kv[1].key, "mail_access");
	assert_string_equal(sc->para[1].kv[1].value, "owner");
	assert_int_equal(sc->para[1].kv[1].line, 8);
	assert_string_equal(sympaconf_get(&sc->para[1], "web_access"), "private");
	assert_null(sympaconf_get(&sc->para[1], "quota"));
	assert_int_equal(sc->para[3].line, 12);
	assert_string_equal(sc->para[3].value, "X-B: 2");
	sympaconf_free(sc);
}

/* Obsolete names and what they become. */
static const struct {
	const char	*text;
	const char	*name;
	const char	*value;		/* of the first line after rewriting */
	const char	*keys;		/* "k=v;k=v;" of the key lines */
} obsolete_cases[] = {
	{ "custom-header X-A: 1", "custom_header", "X-A: 1", "" },
	{ "custom-subject tag", "custom_subject", "tag", "" },
	{ "max-size 1000", "max_size", "1000", "" },
	{ "subscription open", "subscribe", "open", "" },
	{ "unsubscription owner", "unsubscribe", "owner", "" },
	{ "reply-to list", "reply_to_header", "", "value=list;" },
	{ "replyto sender", "reply_to_header", "", "value=sender;" },
	{ "reply_to all", "reply_to_header", "", "value=all;" },
	{ "reply_to x@example.org", "reply_to_header", "",
	    "value=other_email;other_email=x@example.org;" },
	{ "forced_reply_to list", "reply_to_header", "",
	    "value=list;apply=forced;" },
	{ "merge_feature on", "personalization_feature", "on", "" },
	{ "welcome_return_path unique", "verp_welcome", "on", "" },
	{ "remind_return_path owner", "verp_remind", "off", "" },
	{ "web_archive\naccess private", "archive", "", "web_access=private;" },
	{ "include_list other", "include_sympa_list", "other", "" },
	{ "reply_to_header\nvalue list", "reply_to_header", "", "value=list;" },
};

static void
test_obsolete_names(void **state)
{
	char keys[512];

	(void)state;
	for (size_t i = 0; i < sizeof obsolete_cases / sizeof obsolete_cases[0]; i++) {
		const char *t = obsolete_cases[i].text;
		struct sympaconf *sc = sympaconf_parse(t, strlen(t), 0, 10);
		size_t n = 0;

		assert_int_equal(sc->npara, 1);
		assert_string_equal(sc->para[0].name, obsolete_cases[i].name);
		assert_string_equal(sc->para[0].value, obsolete_cases[i].value);
		keys[0] = '\0';
		for (size_t k = 0; k < sc->para[0].nkv; k++)
			n += (size_t)snprintf(keys + n, sizeof keys - n, "%s=%s;",
			    sc->para[0].kv[k].key, sc->para[0].kv[k].value);
		assert_string_equal(keys, obsolete_cases[i].keys);
		sympaconf_free(sc);
	}
}

/* Broken input: each problem with its line; the rest is still read. */
static const struct {
	const char	*text;
	size_t		 len;		/* 0: strlen */
	size_t		 npara;
	unsigned long	 line;		/* of the first problem */
	const char	*why;		/* in its text */
} broken_cases[] = {
	{ "subject ok\n\n$bad value\nmore\n\nsend private\n", 0, 2, 3,
	    "not a parameter name" },
	{ "archive\nweb_access private\n=x y\n", 0, 1, 3,
	    "not a \"key value\" line" },
	{ "subject a\0b\n\nsend private\n", 24, 1, 1, "NUL byte" },
	{ "s1 a\n\ns2 b\n\ns3 c\n", 0, 2, 5, "too many paragraphs" },
	{ "caf\xc3\xa9 x\n", 0, 0, 1, "not a parameter name" },
};

static void
test_broken(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof broken_cases / sizeof broken_cases[0]; i++) {
		size_t len = broken_cases[i].len ? broken_cases[i].len :
		    strlen(broken_cases[i].text);
		struct sympaconf *sc = sympaconf_parse(broken_cases[i].text, len,
		    0, 2);

		assert_int_equal(sc->npara, broken_cases[i].npara);
		assert_true(sc->nprob >= 1);
		assert_int_equal(sc->prob[0].line, broken_cases[i].line);
		if (strstr(sc->prob[0].why, broken_cases[i].why) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, sc->prob[0].why,
			    broken_cases[i].why);
		sympaconf_free(sc);
	}
}

static void
test_long_line(void **state)
{
	size_t n = SYMPACONF_LINE_MAX + 100;
	char *t = malloc(n + 32);
	struct sympaconf *sc;

	(void)state;
	memcpy(t, "subject ", 8);
	memset(t + 8, 'a', n - 8);
	memcpy(t + n, "\n\nsend private\n", 16);
	sc = sympaconf_parse(t, n + 15, 0, 10);
	assert_int_equal(sc->npara, 1);
	assert_string_equal(sc->para[0].name, "send");
	assert_int_equal(sc->prob[0].line, 1);
	sympaconf_free(sc);
	free(t);
}

/* -- translation ----------------------------------------------------------- */

/* Translate text; the result must load with Herald's loader. */
static void
xlat(const char *text, struct sympaconf_xlat *x)
{
	struct sympaconf *sc = sympaconf_parse(text, strlen(text), 0, 1000);
	struct buf err = BUF_INIT(64 * 1024);
	struct listconf *lc;

	sympaconf_translate(sc, "mylist", x);
	sympaconf_free(sc);
	if (x->subject != NULL) {
		lc = listconf_load_text("xlat", x->yaml.data, x->yaml.len, NULL,
		    &err);
		if (lc == NULL)
			fail_msg("does not load: %s\n%s", buf_cstr(&err),
			    buf_cstr(&x->yaml));
		listconf_free(lc);
	}
	buf_free(&err);
}

static const struct {
	const char	*text;
	const char	*yaml;		/* in the YAML, or NULL */
	const char	*report;	/* in the report, or NULL */
	size_t		 translated, reported;
} xlat_cases[] = {
	/* scalars, scenario-valued */
	{ "subject S\n\nsend privateoreditorkey\n", "send: privateoreditorkey\n",
	    NULL, 2, 0 },
	{ "subject S\n\nvisibility noconceal\n", "visibility: noconceal\n", NULL, 2, 0 },
	{ "subject S\n\nmax_size 2097152\n", "max_size: 2097152\n", NULL, 2, 0 },
	{ "subject S\n\nmax-size 2097152\n", "max_size: 2097152\n", NULL, 2, 0 },
	{ "subject S\n\npriority 3\n", "priority: 3\n", NULL, 2, 0 },
	{ "subject S\n\npriority z\n", NULL, "3: priority \"z\": not translated: ",
	    1, 1 },
	{ "subject S\n\nsubscription owner\n", "subscribe: owner\n", NULL, 2, 0 },
	{ "subject S\n\nfooter_type append\n", "footer_type: append\n", NULL, 2, 0 },
	{ "subject S\n\nreject_mail_from_automates_feature off\n",
	    "reject_mail_from_automates_feature: \"off\"\n", NULL, 2, 0 },
	{ "subject S\n\nanonymous_sender anon@example.org\n",
	    "anonymous_sender: anon@example.org\n", NULL, 2, 0 },
	/* comma lists */
	{ "subject S\n\nremove_headers Received,X-Foo\n",
	    "remove_headers: Received,X-Foo\n", NULL, 2, 0 },
	{ "subject S\n\nrfc2369_header_fields help,bogus\n", NULL,
	    "3: rfc2369_header_fields \"help,bogus\": not translated", 1, 1 },
	/* structured */
	{ "subject S\n\nbouncers_level1\nrate 40\naction remove_bouncers\n",
	    "bouncers_level1:\n  rate: 40\n  action: remove_bouncers\n", NULL, 2, 0 },
	{ "subject S\n\nbounce\nwarn_rate 20\nbogus 1\n", "bounce:\n  warn_rate: 20\n",
	    "5: bounce.bogus \"1\": not translated: no Herald key", 2, 1 },
	{ "subject S\n\ntracking\ndelivery_status_notification on\n",
	    "tracking:\n  delivery_status_notification: \"on\"\n", NULL, 2, 0 },
	{ "subject S\n\ndefault_user_options\nreception digest\n",
	    "default_user_options:\n  reception: digest\n", NULL, 2, 0 },
	{ "subject S\n\ndmarc_protection\nmode dmarc_reject,dmarc_quarantine\n",
	    "dmarc_protection:\n  mode: dmarc_reject,dmarc_quarantine\n", NULL, 2, 0 },
	{ "subject S\n\nreply_to_header\nvalue other_email\nother_email r@example.org\napply forced\n",
	    "reply_to_header:\n  value: other_email\n  other_email: r@example.org\n  apply: forced\n",
	    NULL, 2, 0 },
	/* obsolete reply-to forms */
	{ "subject S\n\nforced_reply_to r@example.org\n",
	    "  value: other_email\n  other_email: r@example.org\n  apply: forced\n",
	    NULL, 2, 0 },
	{ "subject S\n\nweb_archive\naccess private\n", "archive:\n  web_access: private\n",
	    NULL, 2, 0 },
	/* digest */
	{ "subject S\n\ndigest 1,4 6:30\n",
	    "digest:\n  days: \"1,4\"\n  hour: 6\n  minute: 30\n", NULL, 2, 0 },
	{ "subject S\n\ndigest 1,4\n", NULL, "3: digest \"1,4\": not translated", 1, 1 },
	{ "subject S\n\ndigest 1,9 6:30\n", NULL, "3: digest \"1,9 6:30\": not translated",
	    1, 1 },
	/* custom_subject */
	{ "subject S\n\ncustom_subject [mylist]\n", "custom_subject: mylist\n", NULL, 2, 0 },
	{ "subject S\n\ncustom_subject [%list.name%]\n", "custom_subject: mylist\n",
	    NULL, 2, 0 },
	{ "subject S\n\ncustom_subject [%list.sequence%]\n", NULL,
	    "a template Herald does not expand", 1, 1 },
	/* repeated paragraphs */
	{ "subject S\n\ncustom_header X-A: 1\n\ncustom-header X-B: 2\n",
	    "custom_header:\n  - \"X-A: 1\"\n  - \"X-B: 2\"\n", NULL, 3, 0 },
	{ "subject S\n\ncustom_vars\nname color\nvalue blue\n\ncustom_vars\nname size\nvalue 3\n",
	    "custom_vars:\n  color: blue\n  size: 3\n", NULL, 3, 0 },
	{ "subject S\n\nsend private\n\nsend public\n", "send: public\n",
	    "3: send: not translated: given again at line 5", 2, 1 },
	/* owners, editors, status */
	{ "subject S\n\nowner\nemail o@example.org\nprofile privileged\ninfo boss\n",
	    NULL, "6: owner.info \"boss\": not translated", 2, 1 },
	{ "subject S\n\nowner\ngecos nobody\n", NULL, "3: owner: not translated: no email",
	    1, 1 },
	{ "subject S\n\nstatus open\n", NULL, NULL, 2, 0 },
	{ "subject S\n\nstatus closed\n", NULL, "3: status \"closed\": not translated", 1, 1 },
	/* untranslatable */
	{ "subject S\n\nlang fr\n\nserial 3\n", NULL, "3: lang \"fr\": not translated", 1, 2 },
	{ "subject S\n\ninclude_ldap_query\nhost ldap.example.org\n", NULL,
	    "3: include_ldap_query: not translated: data sources", 1, 1 },
	{ "subject S\n\nfamily_name fam\n", NULL, "family is not imported", 1, 1 },
	{ "subject S\n\nsend private\nextra line\n", "send: private\n",
	    "4: send.extra \"line\": not translated: a key line after a one-line", 2, 1 },
	{ "subject S\n\nsend\n", NULL, "3: send: not translated: no value", 1, 1 },
	/* broken paragraphs come out in the report too */
	{ "subject S\n\n!!! x\n", NULL, "3: not a parameter name", 1, 1 },
	/* the reference's example */
	{ reference_example,
	    "subject: \"A test list\"\nsend: editorkeyonly\narchive:\n  web_access: private\n"
	    "  mail_access: owner\nrfc2369_header_fields: archive,help,owner,post,unsubscribe\n"
	    "digest:\n  days: \"0,1,2,3,4,5,6\"\n  hour: 2\n  minute: 50\n", NULL, 5, 0 },
};

static void
test_translate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof xlat_cases / sizeof xlat_cases[0]; i++) {
		struct sympaconf_xlat x;

		xlat(xlat_cases[i].text, &x);
		if (xlat_cases[i].yaml != NULL &&
		    strstr(buf_cstr(&x.yaml), xlat_cases[i].yaml) == NULL)
			fail_msg("case %zu: YAML lacks\n%s\nin\n%s", i,
			    xlat_cases[i].yaml, buf_cstr(&x.yaml));
		if (xlat_cases[i].report != NULL &&
		    strstr(buf_cstr(&x.report), xlat_cases[i].report) == NULL)
			fail_msg("case %zu: report lacks \"%s\" in\n%s", i,
			    xlat_cases[i].report, buf_cstr(&x.report));
		if (x.translated != xlat_cases[i].translated ||
		    x.reported != xlat_cases[i].reported)
			fail_msg("case %zu: translated %zu reported %zu, wanted "
			    "%zu %zu\n%s", i, x.translated, x.reported,
			    xlat_cases[i].translated, xlat_cases[i].reported,
			    buf_cstr(&x.report));
		sympaconf_xlat_free(&x);
	}
}

static void
test_admins(void **state)
{
	struct sympaconf_xlat x;
	struct buf y = BUF_INIT(4096);

	(void)state;
	xlat("subject S\n\nowner\nemail o@example.org\ngecos O\nprofile privileged\n\n"
	    "owner\nemail p@example.org\nreception weird\n\n"
	    "editor\nemail e@example.org\nvisibility conceal\n", &x);
	assert_int_equal(x.nowners, 2);
	assert_int_equal(x.neditors, 1);
	assert_string_equal(x.owners[0].profile, "privileged");
	assert_string_equal(x.owners[0].gecos, "O");
	assert_string_equal(x.owners[1].profile, "normal");
	assert_string_equal(x.owners[1].reception, "mail");	/* weird refused */
	assert_int_equal(x.owners[1].line, 8);
	assert_non_null(strstr(buf_cstr(&x.report), "8: owner.reception \"weird\""));
	assert_string_equal(x.editors[0].visibility, "conceal");
	assert_int_equal(sympaconf_yaml_admins(&y, "owner", x.owners, x.nowners), 0);
	assert_int_equal(sympaconf_yaml_admins(&y, "editor", x.editors, x.neditors), 0);
	assert_non_null(strstr(buf_cstr(&y), "  - email: o@example.org\n    gecos: O\n"
	    "    profile: privileged\n"));
	assert_null(strstr(strstr(buf_cstr(&y), "editor:"), "profile"));
	sympaconf_xlat_free(&x);
	buf_free(&y);
}

/* The user dumps: "email X" paragraphs and "address name" lines. */
static void
test_users(void **state)
{
	const char *t = "email a@example.org\ngecos Alice A\nreception digest\n\n"
	    "email b@example.org\n\n"
	    "c@example.org Carol C\nd@example.org\n";
	struct sympaconf *sc = sympaconf_parse(t, strlen(t), SYMPACONF_USERS, 100);
	struct sympaconf_admin *u;
	size_t n = sympaconf_users(sc, &u);

	(void)state;
	assert_int_equal(n, 4);
	assert_string_equal(u[0].email, "a@example.org");
	assert_string_equal(u[0].gecos, "Alice A");
	assert_string_equal(u[0].reception, "digest");
	assert_string_equal(u[1].reception, "mail");
	assert_string_equal(u[2].email, "c@example.org");
	assert_string_equal(u[2].gecos, "Carol C");
	assert_int_equal(u[3].line, 8);
	assert_string_equal(u[3].gecos, "");
	sympaconf_admins_free(u, n);
	sympaconf_free(sc);
}

static void
test_yaml_scalar(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "private", "private" }, { "on", "\"on\"" }, { "", "\"\"" },
		{ "a b", "\"a b\"" }, { "-x", "\"-x\"" }, { "a\"b\\", "\"a\\\"b\\\\\"" },
		{ "l\n", "\"l\\x0a\"" }, { "x@example.org", "x@example.org" },
	};
	struct buf b = BUF_INIT(256);

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&b);
		sympaconf_yaml_scalar(&b, cases[i].in);
		assert_string_equal(buf_cstr(&b), cases[i].out);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_paragraphs),
		cmocka_unit_test(test_obsolete_names),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_admins),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_yaml_scalar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
