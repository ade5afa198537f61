/*
 * listconf_test - a list's config.yaml: defaults, every parameter type,
 * compound values, every kind of error reported with file, line and key,
 * Sympa's example translated to YAML, printing back, and the creation of
 * a new list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "listconf.h"
#include "testutil.h"

static char *tmpdir;

static int
setup(void **state)
{
	(void)state;
	tmpdir = test_mkdtemp("listconf");
	return tmpdir ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	test_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

/* Load text as "t.yaml"; NULL and the errors in err when it does not load. */
static struct listconf *
load(const char *text, struct buf *err)
{
	buf_reset(err);
	return listconf_load_text("t.yaml", text, strlen(text), NULL, err);
}

/* The text must be refused with an error line containing want. */
static void
refused(const char *text, const char *want)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct listconf *lc = load(text, &err);

	if (lc != NULL)
		fail_msg("accepted: %s", text);
	if (strstr(buf_cstr(&err), want) == NULL)
		fail_msg("for %s\nexpected '%s' in:\n%s", text, want, buf_cstr(&err));
	buf_free(&err);
}

static void
test_defaults(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct listconf *lc = load("subject: A list\n", &err);
	const char *const *items;
	struct listconf_digest dg;
	const struct listconf_admin *adm;

	(void)state;
	assert_non_null(lc);
	assert_string_equal(listconf_str(lc, LC_SUBJECT), "A list");
	assert_true(listconf_explicit(lc, LC_SUBJECT));
	assert_false(listconf_explicit(lc, LC_SEND));
	assert_string_equal(listconf_str(lc, LC_VISIBILITY), "conceal");
	assert_string_equal(listconf_str(lc, LC_SEND), "private");
	assert_string_equal(listconf_str(lc, LC_SUBSCRIBE), "open");
	assert_string_equal(listconf_str(lc, LC_REVIEW), "owner");
	assert_string_equal(listconf_str(lc, LC_INVITE), "private");
	assert_string_equal(listconf_str(lc, LC_REPLY_TO_HEADER_VALUE), "sender");
	assert_string_equal(listconf_str(lc, LC_REPLY_TO_HEADER_APPLY), "respect");
	assert_string_equal(listconf_str(lc, LC_FOOTER_TYPE), "mime");
	assert_int_equal(listconf_int(lc, LC_MAX_SIZE), 5 * 1024 * 1024);
	assert_false(listconf_explicit(lc, LC_MAX_SIZE));
	assert_int_equal(listconf_int(lc, LC_PRIORITY), 5);
	assert_int_equal(listconf_int(lc, LC_MAX_LIST_MEMBERS), 0);
	assert_int_equal(listconf_int(lc, LC_BOUNCE_WARN_RATE), 30);
	assert_int_equal(listconf_int(lc, LC_BOUNCE_HALT_RATE), 50);
	assert_int_equal(listconf_int(lc, LC_BOUNCERS_LEVEL1_RATE), 45);
	assert_string_equal(listconf_str(lc, LC_BOUNCERS_LEVEL1_ACTION), "notify_bouncers");
	assert_int_equal(listconf_int(lc, LC_BOUNCERS_LEVEL2_RATE), 75);
	assert_string_equal(listconf_str(lc, LC_BOUNCERS_LEVEL2_ACTION), "remove_bouncers");
	assert_string_equal(listconf_str(lc, LC_BOUNCERS_LEVEL2_NOTIFICATION), "owner");
	assert_int_equal(listconf_verp_rate(lc), 0);
	assert_false(listconf_bool(lc, LC_TRACKING_DELIVERY_STATUS_NOTIFICATION));
	assert_string_equal(listconf_str(lc, LC_TRACKING_TRACKING), "owner");
	assert_int_equal(listconf_int(lc, LC_TRACKING_RETENTION_PERIOD), 90);
	assert_int_equal(listconf_int(lc, LC_DIGEST_MAX_SIZE), 25);
	assert_string_equal(listconf_str(lc, LC_DEFAULT_USER_OPTIONS_RECEPTION), "mail");
	assert_string_equal(listconf_str(lc, LC_DEFAULT_USER_OPTIONS_VISIBILITY), "noconceal");
	assert_string_equal(listconf_str(lc, LC_ARCHIVE_WEB_ACCESS), "closed");
	assert_false(listconf_bool(lc, LC_PROCESS_ARCHIVE));
	assert_string_equal(listconf_str(lc, LC_DMARC_PROTECTION_PHRASE), "name_via_list");
	assert_int_equal(listconf_int(lc, LC_DMARC_PROTECTION_MODE), 0);
	assert_true(listconf_bool(lc, LC_REJECT_MAIL_FROM_AUTOMATES_FEATURE));
	assert_string_equal(listconf_str(lc, LC_LOOP_PREVENTION_REGEX),
	    "mailer-daemon|sympa|listserv|majordomo|smartlist|mailman");
	assert_int_equal(listconf_strv(lc, LC_RFC2369_HEADER_FIELDS, &items), 6);
	assert_string_equal(items[0], "help");
	assert_string_equal(items[5], "archive");
	assert_int_equal(listconf_int(lc, LC_RFC2369_HEADER_FIELDS), 0x3f);
	assert_int_equal(listconf_strv(lc, LC_REMOVE_HEADERS, &items), 7);
	assert_string_equal(items[6], "Sender");
	assert_int_equal(listconf_strv(lc, LC_DKIM_SIGNATURE_APPLY_ON, &items), 4);
	assert_int_equal(listconf_strv(lc, LC_CUSTOM_HEADER, &items), 0);
	assert_int_equal(listconf_admins(lc, LC_OWNER, &adm), 0);
	listconf_digest(lc, &dg);
	assert_false(dg.set);
	assert_string_equal(listconf_str(lc, LC_ANONYMOUS_SENDER), "");
	assert_string_equal(listconf_warnings(lc), "");
	listconf_free(lc);
	buf_free(&err);
}

/* max_size follows the site (or domain) configuration given. */
static void
test_site_default(void **state)
{
	struct buf err = BUF_INIT(4096);
	const char *site = "max_size: 2M\n";
	struct config *cf = config_load_text(NULL, "herald.yaml", site, strlen(site), &err);
	struct listconf *lc;

	(void)state;
	assert_non_null(cf);
	lc = listconf_load_text("t", "subject: s\n", 11, cf, &err);
	assert_non_null(lc);
	assert_int_equal(listconf_int(lc, LC_MAX_SIZE), 2 * 1024 * 1024);
	assert_string_equal(listconf_str(lc, LC_MAX_SIZE), "2M");
	listconf_free(lc);
	lc = listconf_load_text("t", "subject: s\nmax_size: 100k\n", 26, cf, &err);
	assert_non_null(lc);
	assert_int_equal(listconf_int(lc, LC_MAX_SIZE), 100 * 1024);
	assert_true(listconf_explicit(lc, LC_MAX_SIZE));
	listconf_free(lc);
	config_free(cf);
	buf_free(&err);
}

static const char full_yaml[] =
    "# every type\n"
    "subject: \"Staff: everything\"\n"
    "visibility: noconceal\n"
    "send: editorkey\n"
    "subscribe: open,notify\n"
    "unsubscribe: auth\n"
    "review: private\n"
    "info: open\n"
    "invite: owner\n"
    "add: owner\n"
    "del: owner\n"
    "remind: listmaster\n"
    "owner:\n"
    "  - email: Alice@Example.ORG\n"
    "    gecos: Alice Liddell\n"
    "    profile: privileged\n"
    "  - email: bob@example.org\n"
    "    reception: nomail\n"
    "    visibility: conceal\n"
    "editor:\n"
    "  - email: carol@example.org\n"
    "reply_to_header:\n"
    "  value: other_email\n"
    "  other_email: replies@example.org\n"
    "  apply: forced\n"
    "custom_subject: staff\n"
    "custom_header:\n"
    "  - \"X-Staff: yes\"\n"
    "  - \"Organization: Example\"\n"
    "message_header: |\n"
    "  Hello\n"
    "  \tworld\n"
    "message_footer: \"--\\nThe staff list\\n\"\n"
    "footer_type: append\n"
    "max_size: 512k\n"
    "priority: 0\n"
    "max_list_members: 1000\n"
    "bounce:\n"
    "  warn_rate: 10\n"
    "  halt_rate: 20\n"
    "bouncers_level1: {rate: 40, action: none, notification: listmaster}\n"
    "bouncers_level2:\n"
    "  rate: 80\n"
    "verp_rate: 33%\n"
    "tracking:\n"
    "  delivery_status_notification: on\n"
    "  message_disposition_notification: on_demand\n"
    "  tracking: owner\n"
    "  retention_period: 30\n"
    "digest:\n"
    "  days: [5, 1, 3]\n"
    "  hour: 2\n"
    "  minute: 50\n"
    "digest_max_size: 10\n"
    "default_user_options:\n"
    "  reception: digest\n"
    "  visibility: conceal\n"
    "archive:\n"
    "  web_access: public\n"
    "  mail_access: owner\n"
    "  quota: 10000\n"
    "  max_month: 24\n"
    "process_archive: yes\n"
    "dmarc_protection:\n"
    "  mode: [dmarc_reject, domain_regex]\n"
    "  domain_regex: '(yahoo|aol)\\.com$'\n"
    "  other_email: staff@example.org\n"
    "  phrase: name_and_email\n"
    "dkim_signature_apply_on: any\n"
    "dkim_parameters:\n"
    "  private_key_path: /etc/herald/dkim.key\n"
    "  selector: s2026\n"
    "  signer_domain: Example.org\n"
    "  signer_identity: staff-request@example.org\n"
    "rfc2369_header_fields: help,post , unsubscribe\n"
    "remove_headers: [Received, X-Spam]\n"
    "anonymous_sender: anon@example.org\n"
    "loop_prevention_regex: 'mailer-daemon|robot'\n"
    "reject_mail_from_automates_feature: off\n"
    "family: departments\n"
    "custom_vars:\n"
    "  room: B 201\n"
    "  floor: \"2\"\n";

static void
test_every_type(void **state)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct listconf *lc = load(full_yaml, &err);
	const struct listconf_admin *adm;
	const struct listconf_var *vars;
	const char *const *items;
	struct listconf_digest dg;

	(void)state;
	if (lc == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_string_equal(listconf_str(lc, LC_SUBJECT), "Staff: everything");
	assert_string_equal(listconf_str(lc, LC_VISIBILITY), "noconceal");
	assert_string_equal(listconf_str(lc, LC_SUBSCRIBE), "open_notify");	/* Sympa's rule */
	assert_string_equal(listconf_str(lc, LC_REMIND), "listmaster");
	assert_int_equal(listconf_admins(lc, LC_OWNER, &adm), 2);
	assert_string_equal(adm[0].email, "Alice@example.org");	/* domain lower-cased */
	assert_string_equal(adm[0].gecos, "Alice Liddell");
	assert_string_equal(adm[0].profile, "privileged");
	assert_string_equal(adm[0].reception, "mail");
	assert_string_equal(adm[1].profile, "normal");
	assert_string_equal(adm[1].reception, "nomail");
	assert_string_equal(adm[1].visibility, "conceal");
	assert_string_equal(adm[1].gecos, "");
	assert_int_equal(listconf_admins(lc, LC_EDITOR, &adm), 1);
	assert_string_equal(adm[0].email, "carol@example.org");
	assert_string_equal(listconf_str(lc, LC_REPLY_TO_HEADER_VALUE), "other_email");
	assert_int_equal(listconf_int(lc, LC_REPLY_TO_HEADER_VALUE), 3);
	assert_string_equal(listconf_str(lc, LC_REPLY_TO_HEADER_OTHER_EMAIL), "replies@example.org");
	assert_string_equal(listconf_str(lc, LC_REPLY_TO_HEADER_APPLY), "forced");
	assert_int_equal(listconf_strv(lc, LC_CUSTOM_HEADER, &items), 2);
	assert_string_equal(items[1], "Organization: Example");
	assert_string_equal(listconf_str(lc, LC_MESSAGE_HEADER), "Hello\n\tworld\n");
	assert_string_equal(listconf_str(lc, LC_MESSAGE_FOOTER), "--\nThe staff list\n");
	assert_string_equal(listconf_str(lc, LC_FOOTER_TYPE), "append");
	assert_int_equal(listconf_int(lc, LC_MAX_SIZE), 512 * 1024);
	assert_int_equal(listconf_int(lc, LC_PRIORITY), 0);
	assert_int_equal(listconf_int(lc, LC_MAX_LIST_MEMBERS), 1000);
	assert_int_equal(listconf_int(lc, LC_BOUNCE_WARN_RATE), 10);
	assert_int_equal(listconf_int(lc, LC_BOUNCERS_LEVEL1_RATE), 40);
	assert_string_equal(listconf_str(lc, LC_BOUNCERS_LEVEL1_ACTION), "none");
	assert_string_equal(listconf_str(lc, LC_BOUNCERS_LEVEL1_NOTIFICATION), "listmaster");
	assert_int_equal(listconf_int(lc, LC_BOUNCERS_LEVEL2_RATE), 80);
	assert_string_equal(listconf_str(lc, LC_BOUNCERS_LEVEL2_ACTION), "remove_bouncers");
	assert_int_equal(listconf_verp_rate(lc), 33);
	assert_true(listconf_bool(lc, LC_TRACKING_DELIVERY_STATUS_NOTIFICATION));
	assert_string_equal(listconf_str(lc, LC_TRACKING_MESSAGE_DISPOSITION_NOTIFICATION), "on_demand");
	assert_int_equal(listconf_int(lc, LC_TRACKING_RETENTION_PERIOD), 30);
	listconf_digest(lc, &dg);
	assert_true(dg.set);
	assert_int_equal(dg.days, (1u << 1) | (1u << 3) | (1u << 5));
	assert_int_equal(dg.hour, 2);
	assert_int_equal(dg.minute, 50);
	assert_string_equal(listconf_str(lc, LC_DIGEST_DAYS), "1,3,5");
	assert_int_equal(listconf_int(lc, LC_DIGEST_MAX_SIZE), 10);
	assert_string_equal(listconf_str(lc, LC_DEFAULT_USER_OPTIONS_RECEPTION), "digest");
	assert_string_equal(listconf_str(lc, LC_ARCHIVE_WEB_ACCESS), "public");
	assert_int_equal(listconf_int(lc, LC_ARCHIVE_QUOTA), 10000);
	assert_int_equal(listconf_int(lc, LC_ARCHIVE_MAX_MONTH), 24);
	assert_true(listconf_bool(lc, LC_PROCESS_ARCHIVE));
	assert_int_equal(listconf_strv(lc, LC_DMARC_PROTECTION_MODE, &items), 2);
	assert_string_equal(items[0], "dmarc_reject");
	assert_string_equal(listconf_str(lc, LC_DMARC_PROTECTION_MODE), "dmarc_reject,domain_regex");
	assert_string_equal(listconf_str(lc, LC_DMARC_PROTECTION_DOMAIN_REGEX), "(yahoo|aol)\\.com$");
	assert_string_equal(listconf_str(lc, LC_DMARC_PROTECTION_PHRASE), "name_and_email");
	assert_int_equal(listconf_strv(lc, LC_DKIM_SIGNATURE_APPLY_ON, &items), 1);
	assert_string_equal(items[0], "any");
	assert_string_equal(listconf_str(lc, LC_DKIM_PARAMETERS_PRIVATE_KEY_PATH), "/etc/herald/dkim.key");
	assert_string_equal(listconf_str(lc, LC_DKIM_PARAMETERS_SIGNER_DOMAIN), "example.org");
	assert_int_equal(listconf_strv(lc, LC_RFC2369_HEADER_FIELDS, &items), 3);
	assert_string_equal(items[1], "post");
	assert_string_equal(items[2], "unsubscribe");
	assert_int_equal(listconf_int(lc, LC_RFC2369_HEADER_FIELDS), 1 | 4 | 8);
	assert_int_equal(listconf_strv(lc, LC_REMOVE_HEADERS, &items), 2);
	assert_string_equal(listconf_str(lc, LC_ANONYMOUS_SENDER), "anon@example.org");
	assert_false(listconf_bool(lc, LC_REJECT_MAIL_FROM_AUTOMATES_FEATURE));
	assert_string_equal(listconf_str(lc, LC_REJECT_MAIL_FROM_AUTOMATES_FEATURE), "off");
	assert_string_equal(listconf_str(lc, LC_FAMILY), "departments");
	assert_int_equal(listconf_vars(lc, &vars), 2);
	assert_string_equal(vars[0].name, "room");
	assert_string_equal(vars[0].value, "B 201");
	assert_string_equal(vars[1].value, "2");
	listconf_free(lc);
	buf_free(&err);
}

/* Each kind of error, with its file:line: key. */
static void
test_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "send: private\n", "t.yaml:1: subject: required parameter missing" },
		{ "subject: s\nsubjet: x\n", "t.yaml:2: subjet: unknown parameter" },
		{ "subject: s\nsubject: t\n", "t.yaml:2: subject: set twice" },
		{ "subject: s\nsend: 'a b'\n", "t.yaml:2: send: expected a scenario name" },
		{ "subject: s\nsend: [private]\n", "t.yaml:2: send: expected a single value, not a sequence" },
		{ "subject: [a, b]\n", "t.yaml:1: subject: expected a single value" },
		{ "subject: \"a\\nb\"\n", "t.yaml:1: subject: control characters or newlines" },
		{ "subject: s\npriority: 10\n", "t.yaml:2: priority: value out of range '10' (allowed 0..9)" },
		{ "subject: s\npriority: z\n", "t.yaml:2: priority: expected a whole number" },
		{ "subject: s\npriority:\n", "t.yaml:2: priority: expected a single value, not nothing" },
		{ "subject: s\nmax_size: 5X\n", "t.yaml:2: max_size: expected a size" },
		{ "subject: s\nmax_size: 10\n", "t.yaml:2: max_size: value out of range" },
		{ "subject: s\nprocess_archive: maybe\n", "t.yaml:2: process_archive: expected on or off" },
		{ "subject: s\nfooter_type: html\n", "t.yaml:2: footer_type: not one of the allowed values 'html' (mime|append)" },
		{ "subject: s\nanonymous_sender: nobody\n", "t.yaml:2: anonymous_sender: expected an address" },
		{ "subject: s\nloop_prevention_regex: '(a'\n", "t.yaml:2: loop_prevention_regex: not a valid regular expression" },
		{ "subject: s\ndkim_parameters:\n  private_key_path: key.pem\n", "t.yaml:3: dkim_parameters.private_key_path: expected an absolute path" },
		{ "subject: s\ndkim_parameters:\n  signer_domain: a..b\n", "t.yaml:3: dkim_parameters.signer_domain: empty label" },
		{ "subject: s\nfamily: Big/One\n", "t.yaml:2: family: expected a family name" },
		{ "subject: s\nreply_to_header: list\n", "t.yaml:2: reply_to_header: expected a mapping, not a single value" },
		{ "subject: s\nreply_to_header:\n  value: list\n  aply: forced\n", "t.yaml:4: reply_to_header.aply: unknown parameter" },
		{ "subject: s\nreply_to_header:\n  value: other_email\n", "reply_to_header.other_email: required when value is other_email" },
		{ "subject: s\nreply_to_header:\n  value: list\n  value: all\n", "t.yaml:4: reply_to_header.value: set twice" },
		{ "subject: s\nowner: alice@example.org\n", "t.yaml:2: owner: expected a sequence of mappings" },
		{ "subject: s\nowner:\n  - alice@example.org\n", "t.yaml:3: owner[1]: expected a mapping" },
		{ "subject: s\nowner:\n  - gecos: Alice\n", "t.yaml:3: owner[1]: no email" },
		{ "subject: s\nowner:\n  - email: a@b.org\n    role: x\n", "t.yaml:4: owner[1].role: unknown key" },
		{ "subject: s\nowner:\n  - email: a@b.org\n    profile: boss\n", "t.yaml:4: owner[1].profile: not one of the allowed values" },
		{ "subject: s\neditor:\n  - email: a@b.org\n    profile: privileged\n", "t.yaml:4: editor[1].profile: only owners have a profile" },
		{ "subject: s\nowner:\n  - email: not an address\n", "t.yaml:3: owner[1].email: expected an address" },
		{ "subject: s\nowner:\n  - email: a@b.org\n  - email: a@B.org\n", "t.yaml:4: owner: a@b.org given twice" },
		{ "subject: s\ncustom_header:\n  - \"X-A: b\"\n  - \"no colon\"\n", "t.yaml:4: custom_header: expected \"Field: value\"" },
		{ "subject: s\ncustom_header:\n  - \"Bad Field: b\"\n", "t.yaml:3: custom_header: expected \"Field: value\" with a field name" },
		{ "subject: s\ncustom_header:\n  - \"X-A: b\\r\\nBcc: x@y\"\n", "t.yaml:3: custom_header: a header line has no newline" },
		{ "subject: s\ncustom_header: \"X-A: b\"\n", "t.yaml:2: custom_header: expected a sequence" },
		{ "subject: s\nrfc2369_header_fields: help,list\n", "t.yaml:2: rfc2369_header_fields: not one of the allowed values 'list'" },
		{ "subject: s\nrfc2369_header_fields: [help, help]\n", "t.yaml:2: rfc2369_header_fields: 'help' given twice" },
		{ "subject: s\nrfc2369_header_fields: [[help]]\n", "t.yaml:2: rfc2369_header_fields: expected a single value as item" },
		{ "subject: s\nremove_headers: [\"a b\"]\n", "t.yaml:2: remove_headers: not a header field name" },
		{ "subject: s\nverp_rate: 3%\n", "t.yaml:2: verp_rate: not one of the allowed values" },
		{ "subject: s\ndigest:\n  days: [7]\n", "t.yaml:3: digest.days: expected a week day" },
		{ "subject: s\ndigest:\n  hour: 2\n", "digest.days: required when digest is set" },
		{ "subject: s\ndigest:\n  days: 1\n  minute: 60\n", "t.yaml:4: digest.minute: value out of range" },
		{ "subject: s\nbounce:\n  warn_rate: 101\n", "t.yaml:3: bounce.warn_rate: value out of range" },
		{ "subject: s\nbouncers_level1:\n  action: delete\n", "t.yaml:3: bouncers_level1.action: not one of" },
		{ "subject: s\ndmarc_protection:\n  mode: sometimes\n", "t.yaml:3: dmarc_protection.mode: not one of" },
		{ "subject: s\ncustom_vars: [a]\n", "t.yaml:2: custom_vars: expected a mapping of names" },
		{ "subject: s\ncustom_vars:\n  a-b: 1\n", "t.yaml:3: custom_vars: expected a variable name" },
		{ "subject: s\ncustom_vars:\n  a: [1]\n", "t.yaml:3: custom_vars: a: expected a single value" },
		{ "subject: s\nreply_to_header.value: list\n", "t.yaml:2: reply_to_header.value: unknown parameter" },
		{ "- subject: s\n", "t.yaml:1: expected a mapping of parameter names to values" },
		{ "subject: s\n  send: x\n", "t.yaml:2: YAML syntax error" },
		{ "subject: &a s\nsend: *a\n", "t.yaml:2: YAML aliases" },
		{ "subject: s\n---\nsubject: t\n", "more than one YAML document" },
		{ "subject: s\n? [a]\n: b\n", "t.yaml:2: expected a parameter name" },
		{ "subject: \"s\\0t\"\n", "t.yaml:1: subject: NUL byte" },
		{ "subject: s\nmessage_footer: \"a\\x01b\"\n", "t.yaml:2: message_footer: control characters" },
		{ "a: [[[[[[[[[[1]]]]]]]]]]\n", "nested too deep" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		refused(cases[i].text, cases[i].want);
}

/* Every error of a file is reported, each on its line. */
static void
test_all_errors(void **state)
{
	struct buf err = BUF_INIT(64 * 1024);

	(void)state;
	assert_null(load("subject: s\npriority: 11\nsend: 'x y'\nbogus: 1\n", &err));
	assert_non_null(strstr(buf_cstr(&err), "t.yaml:2: priority:"));
	assert_non_null(strstr(buf_cstr(&err), "t.yaml:3: send:"));
	assert_non_null(strstr(buf_cstr(&err), "t.yaml:4: bogus:"));
	buf_free(&err);
}

/* A status key: accepted, reported as ignored. */
static void
test_status_ignored(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct listconf *lc = load("subject: s\nstatus: closed\n", &err);

	(void)state;
	assert_non_null(lc);
	assert_non_null(strstr(listconf_warnings(lc), "t.yaml:2: status: ignored"));
	listconf_free(lc);
	buf_free(&err);
}

/* Empty values for parameters without a default mean none; an empty file has no subject. */
static void
test_empty_values(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct listconf *lc = load("subject: s\ncustom_subject:\nanonymous_sender: ''\n"
	    "custom_header: []\nowner:\nreply_to_header: {}\n", &err);

	(void)state;
	if (lc == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_string_equal(listconf_str(lc, LC_CUSTOM_SUBJECT), "");
	assert_string_equal(listconf_str(lc, LC_ANONYMOUS_SENDER), "");
	assert_string_equal(listconf_str(lc, LC_REPLY_TO_HEADER_VALUE), "sender");
	listconf_free(lc);
	refused("", "subject: required");
	refused("subject:\n", "subject: expected a single value, not nothing");
	buf_free(&err);
}

/* Sympa's example of its reference (section 4.1), translated to YAML. */
static void
test_sympa_example(void **state)
{
	struct buf err = BUF_INIT(4096);
	struct listconf *lc = load(
	    "subject: A test list\n"
	    "\n"
	    "send: editorkeyonly\n"
	    "\n"
	    "archive:\n"
	    "  web_access: private\n"
	    "  mail_access: owner\n"
	    "\n"
	    "rfc2369_header_fields: archive,help,owner,post,unsubscribe\n"
	    "\n"
	    "digest:\n"
	    "  days: 0,1,2,3,4,5,6\n"
	    "  hour: 2\n"
	    "  minute: 50\n", &err);
	struct listconf_digest dg;
	const char *const *items;

	(void)state;
	if (lc == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_string_equal(listconf_str(lc, LC_SEND), "editorkeyonly");
	assert_string_equal(listconf_str(lc, LC_ARCHIVE_WEB_ACCESS), "private");
	assert_string_equal(listconf_str(lc, LC_ARCHIVE_MAIL_ACCESS), "owner");
	assert_int_equal(listconf_strv(lc, LC_RFC2369_HEADER_FIELDS, &items), 5);
	assert_false(listconf_int(lc, LC_RFC2369_HEADER_FIELDS) & 2);	/* no subscribe */
	listconf_digest(lc, &dg);
	assert_true(dg.set);
	assert_int_equal(dg.days, 0x7f);
	assert_int_equal(dg.hour, 2);
	assert_int_equal(dg.minute, 50);
	listconf_free(lc);
	buf_free(&err);
}

/* Printing loads back to the same text; with defaults too. */
static void
test_print_round_trip(void **state)
{
	struct buf err = BUF_INIT(64 * 1024), out = BUF_INIT(1 << 20), again = BUF_INIT(1 << 20);
	struct listconf *lc = load(full_yaml, &err), *lc2;

	(void)state;
	assert_non_null(lc);
	for (int flags = 0; flags < 4; flags++) {
		buf_reset(&out);
		buf_reset(&again);
		assert_int_equal(listconf_print(lc, NULL, flags, &out), 0);
		lc2 = listconf_load_text("printed", out.data, out.len, NULL, &err);
		if (lc2 == NULL)
			fail_msg("%s\n%s", buf_cstr(&out), buf_cstr(&err));
		assert_int_equal(listconf_print(lc2, NULL, flags, &again), 0);
		assert_string_equal(buf_cstr(&out), buf_cstr(&again));
		assert_string_equal(listconf_str(lc2, LC_MESSAGE_HEADER), "Hello\n\tworld\n");
		assert_int_equal(listconf_int(lc2, LC_DIGEST_DAYS), listconf_int(lc, LC_DIGEST_DAYS));
		listconf_free(lc2);
	}
	assert_non_null(strstr(buf_cstr(&out), "# the list's one-line description"));
	listconf_free(lc);
	/* Defaults only: no digest mapping (a digest there would mean one). */
	buf_reset(&out);
	assert_int_equal(listconf_print(NULL, NULL, LISTCONF_PRINT_DEFAULTS, &out), 0);
	assert_null(strstr(buf_cstr(&out), "digest:"));
	assert_non_null(strstr(buf_cstr(&out), "send: private\n"));
	assert_non_null(strstr(buf_cstr(&out), "verp_rate: 0%\n"));
	/* A list with only a subject prints just that without defaults. */
	lc = load("subject: yes\n", &err);
	assert_non_null(lc);
	buf_reset(&out);
	assert_int_equal(listconf_print(lc, NULL, 0, &out), 0);
	assert_string_equal(buf_cstr(&out), "subject: \"yes\"\n");
	listconf_free(lc);
	buf_free(&err);
	buf_free(&out);
	buf_free(&again);
}

static void
test_write_new(void **state)
{
	struct buf err = BUF_INIT(64 * 1024), path = BUF_INIT(4096);
	struct listconf_admin owners[2] = {
		{ "Alice@Example.org", "Alice \"A\" Liddell", "privileged", NULL, NULL },
		{ "bob@example.org", NULL, NULL, "nomail", NULL },
	};
	const struct listconf_admin *adm;
	struct listconf *lc;
	struct stat st;

	(void)state;
	assert_int_equal(listconf_write_new(tmpdir, "example.org", "staff", "Staff: all of us",
	    owners, 2, &err), 0);
	listconf_path(tmpdir, "example.org", "staff", &path);
	assert_int_equal(stat(buf_cstr(&path), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	lc = listconf_load(buf_cstr(&path), NULL, &err);
	if (lc == NULL)
		fail_msg("%s", buf_cstr(&err));
	assert_string_equal(listconf_str(lc, LC_SUBJECT), "Staff: all of us");
	assert_int_equal(listconf_admins(lc, LC_OWNER, &adm), 2);
	assert_string_equal(adm[0].email, "Alice@example.org");
	assert_string_equal(adm[0].gecos, "Alice \"A\" Liddell");
	assert_string_equal(adm[0].profile, "privileged");
	assert_string_equal(adm[1].reception, "nomail");
	listconf_free(lc);
	/* Again: the list exists. */
	buf_reset(&err);
	assert_int_equal(listconf_write_new(tmpdir, "example.org", "staff", "x", owners, 1, &err), -1);
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(buf_cstr(&err), "already exists"));
	/* Refusals: name, domain, owners, subject, address; nothing created. */
	buf_reset(&err);
	assert_int_equal(listconf_write_new(tmpdir, "example.org", "a;rm", "x", owners, 1, &err), -1);
	assert_int_equal(listconf_write_new(tmpdir, "../etc", "x", "x", owners, 1, &err), -1);
	assert_int_equal(listconf_write_new(tmpdir, "example.org", "x", "x", owners, 0, &err), -1);
	assert_int_equal(listconf_write_new(tmpdir, "example.org", "y", "a\nb", owners, 1, &err), -1);
	owners[0].email = "nobody";
	assert_int_equal(listconf_write_new(tmpdir, "example.org", "z", "x", owners, 1, &err), -1);
	buf_reset(&path);
	buf_printf(&path, "%s/example.org/y", tmpdir);
	assert_int_not_equal(stat(buf_cstr(&path), &st), 0);
	buf_free(&err);
	buf_free(&path);
}

/* A broken file: NULL and the reason; a missing one: cannot open. */
static void
test_broken_file(void **state)
{
	struct buf err = BUF_INIT(4096), path = BUF_INIT(4096);
	FILE *f;

	(void)state;
	buf_printf(&path, "%s/broken.yaml", tmpdir);
	assert_non_null(f = fopen(buf_cstr(&path), "w"));
	fputs("subject: s\nsend: [\n", f);
	fclose(f);
	assert_null(listconf_load(buf_cstr(&path), NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "broken.yaml:"));
	assert_non_null(strstr(buf_cstr(&err), "YAML syntax error"));
	buf_reset(&err);
	assert_null(listconf_load("/nonexistent/config.yaml", NULL, &err));
	assert_non_null(strstr(buf_cstr(&err), "/nonexistent/config.yaml: cannot open"));
	buf_free(&err);
	buf_free(&path);
}

static void
test_metadata(void **state)
{
	(void)state;
	assert_int_equal(listconf_lookup("reply_to_header.apply"), LC_REPLY_TO_HEADER_APPLY);
	assert_int_equal(listconf_lookup("nope"), -1);
	assert_int_equal(listconf_parent(LC_REPLY_TO_HEADER_APPLY), LC_REPLY_TO_HEADER);
	assert_int_equal(listconf_parent(LC_SUBJECT), -1);
	assert_null(listconf_default(LC_SUBJECT));
	assert_string_equal(listconf_type_name(listconf_type_of(LC_DIGEST_DAYS)), "days");
	for (int i = 0; i < LISTCONF_NPARAMS; i++) {
		assert_non_null(listconf_doc((enum listconf_param)i));
		assert_int_equal(listconf_lookup(listconf_name((enum listconf_param)i)), i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_site_default),
		cmocka_unit_test(test_every_type),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_status_ignored),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_sympa_example),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_write_new),
		cmocka_unit_test(test_broken_file),
		cmocka_unit_test(test_metadata),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
