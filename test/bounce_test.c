/*
 * bounce_test - the report parser on constructed messages.
 *
 * Golden files: every test/data/bounce/NAME.eml is parsed and its report,
 * written out by format_report(), must equal NAME.expected (DSN with one
 * and several recipients, RFC 6533 utf-8 addresses, MDN, ARF with and
 * without Original-Rcpt-To, qmail, Exim, old Postfix and Sendmail texts,
 * an SES notification, a forwarded bounce, auto-replies). Set
 * HERALD_BOUNCE_REGEN=1 to rewrite the expected files after a deliberate
 * change, then read the diff.
 *
 * Tables: status inference from diagnostic text, hard or soft. Hostile
 * input: no boundary, huge headers, 2000 recipients (capped), binary
 * bytes, overlong addresses and texts, deep nesting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "bounce.h"
#include "buf.h"
#include "testutil.h"

#define DATA_DIR	"test/data/bounce"

static void
put_field(struct buf *out, const char *name, const char *v)
{
	if (v != NULL)
		buf_printf(out, "%s: %s\n", name, v);
}

/* The whole report as text, one line per field and per recipient. */
static void
format_report(const struct bounce_report *r, struct buf *out)
{
	buf_printf(out, "kind: %s\nrecogniser: %s\n", bounce_kind_name(r->kind),
	    r->recogniser);
	put_field(out, "envid", r->envid);
	put_field(out, "reporting-mta", r->reporting_mta);
	put_field(out, "feedback-type", r->feedback_type);
	put_field(out, "disposition", r->disposition);
	put_field(out, "orig-message-id", r->orig_message_id);
	put_field(out, "orig-list-id", r->orig_list_id);
	put_field(out, "orig-to", r->orig_to);
	put_field(out, "orig-return-path", r->orig_return_path);
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *rc = &r->rcpts[i];

		buf_printf(out, "rcpt: %s | %s | %s | %s%s | %s | %s | %s\n",
		    rc->address, rc->original ? rc->original : "-",
		    bounce_action_name(rc->action),
		    rc->status[0] ? rc->status : "-",
		    rc->status_inferred ? " (inferred)" : "",
		    rc->hard ? "hard" : "soft",
		    rc->remote_mta ? rc->remote_mta : "-",
		    rc->diagnostic ? rc->diagnostic : "-");
	}
}

static void
parse_buf(const char *s, size_t n, struct bounce_report *r)
{
	struct buf err = BUF_INIT(256);

	if (bounce_parse(s, n, r, &err) != 0)
		fail_msg("bounce_parse: %s", buf_cstr(&err));
	buf_free(&err);
}

static void
test_golden(void **state)
{
	char **files = test_list_dir(DATA_DIR, ".eml");
	int regen = getenv("HERALD_BOUNCE_REGEN") != NULL;
	struct buf data = BUF_INIT(1 << 24), got = BUF_INIT(1 << 20);
	struct buf want = BUF_INIT(1 << 20);
	size_t n = 0, bad = 0;

	(void)state;
	assert_non_null(files);
	for (char **f = files; *f; f++, n++) {
		struct bounce_report r;
		char exp[4096];
		size_t l = strlen(*f);

		assert_int_equal(test_read_file(*f, &data), 0);
		parse_buf(data.data, data.len, &r);
		buf_reset(&got);
		format_report(&r, &got);
		bounce_report_free(&r);
		snprintf(exp, sizeof exp, "%.*s.expected", (int)(l - 4), *f);
		if (regen) {
			FILE *fp = fopen(exp, "w");

			assert_non_null(fp);
			fputs(buf_cstr(&got), fp);
			fclose(fp);
			continue;
		}
		if (test_read_file(exp, &want) < 0)
			fail_msg("%s: missing (HERALD_BOUNCE_REGEN=1 writes it)", exp);
		if (strcmp(buf_cstr(&got), buf_cstr(&want)) != 0) {
			printf("%s differs:\n--- want\n%s--- got\n%s", *f,
			    buf_cstr(&want), buf_cstr(&got));
			bad++;
		}
	}
	assert_true(n >= 14);
	assert_int_equal(bad, 0);
	test_free_list(files);
	buf_free(&data);
	buf_free(&got);
	buf_free(&want);
}

/* A few facts stated outright, so a wrong golden file cannot hide them. */
static void
test_facts(void **state)
{
	static const struct {
		const char *file;
		enum bounce_kind kind;
		size_t nrcpts;
		const char *address, *status;
		enum bounce_action action;
		int hard;
	} cases[] = {
		{ "dsn-basic", BOUNCE_KIND_DSN, 1, "ann@example.net", "5.1.1",
		    BOUNCE_FAILED, 1 },
		{ "dsn-multi", BOUNCE_KIND_DSN, 4, "dave@example.net", "4.4.2",
		    BOUNCE_DELAYED, 0 },
		{ "dsn-utf8", BOUNCE_KIND_DSN, 1, "j\xc3\xb6rg@example.de", "5.1.1",
		    BOUNCE_FAILED, 1 },
		{ "mdn", BOUNCE_KIND_MDN, 1, "grace@example.org", "",
		    BOUNCE_DISPLAYED, 0 },
		{ "arf", BOUNCE_KIND_ARF, 1, "heidi@example.net", "",
		    BOUNCE_FEEDBACK, 0 },
		{ "arf-noaddr", BOUNCE_KIND_ARF, 1, "ivan@example.com", "",
		    BOUNCE_FEEDBACK, 0 },
		{ "qmail", BOUNCE_KIND_NONSTANDARD, 2, "kim@example.net", "5.2.2",
		    BOUNCE_FAILED, 0 },
		{ "exim", BOUNCE_KIND_NONSTANDARD, 2, "mia@example.com", "5.1.2",
		    BOUNCE_FAILED, 1 },
		{ "postfix-old", BOUNCE_KIND_NONSTANDARD, 2, "oscar@nowhere.example",
		    "5.1.2", BOUNCE_FAILED, 1 },
		{ "sendmail-old", BOUNCE_KIND_NONSTANDARD, 1, "pat@example.com",
		    "5.1.1", BOUNCE_FAILED, 1 },
		{ "ses-json", BOUNCE_KIND_DSN, 2, "tia@example.net", "5.2.2",
		    BOUNCE_FAILED, 0 },
		{ "nested", BOUNCE_KIND_DSN, 1, "uma@example.net", "5.1.2",
		    BOUNCE_FAILED, 1 },
		{ "autoreply", BOUNCE_KIND_AUTOREPLY, 0, NULL, NULL, 0, 0 },
		{ "vacation", BOUNCE_KIND_AUTOREPLY, 0, NULL, NULL, 0, 0 },
	};
	struct buf data = BUF_INIT(1 << 24);

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bounce_report r;
		char path[256];
		const struct bounce_rcpt *rc = NULL;

		snprintf(path, sizeof path, DATA_DIR "/%s.eml", cases[i].file);
		assert_int_equal(test_read_file(path, &data), 0);
		parse_buf(data.data, data.len, &r);
		if (r.kind != cases[i].kind || r.nrcpts != cases[i].nrcpts)
			fail_msg("%s: %s with %zu recipients", cases[i].file,
			    bounce_kind_name(r.kind), r.nrcpts);
		for (size_t j = 0; cases[i].address && j < r.nrcpts; j++)
			if (strcmp(r.rcpts[j].address, cases[i].address) == 0)
				rc = &r.rcpts[j];
		if (cases[i].address != NULL) {
			if (rc == NULL)
				fail_msg("%s: no %s", cases[i].file, cases[i].address);
			assert_string_equal(rc->status, cases[i].status);
			assert_int_equal(rc->action, cases[i].action);
			assert_int_equal(rc->hard, cases[i].hard);
		}
		bounce_report_free(&r);
	}
	buf_free(&data);
}

static void
test_report_fields(void **state)
{
	struct buf data = BUF_INIT(1 << 24);
	struct bounce_report r;

	(void)state;
	assert_int_equal(test_read_file(DATA_DIR "/dsn-basic.eml", &data), 0);
	parse_buf(data.data, data.len, &r);
	assert_string_equal(r.recogniser, "rfc3464");
	assert_string_equal(r.envid, "msg-20250603-0042");
	assert_string_equal(r.reporting_mta, "mx.example.net");
	assert_string_equal(r.orig_message_id, "a1b2c3@example.com");
	assert_string_equal(r.orig_list_id, "news.lists.example.org");
	assert_string_equal(r.orig_to, "news@lists.example.org");
	assert_string_equal(r.orig_return_path,
	    "bounce+ab12cd=news=ann=example.net@lists.example.org");
	assert_string_equal(r.rcpts[0].remote_mta, "mail.example.net");
	/* Final-Recipient differs in case only: no Original kept. */
	assert_null(r.rcpts[0].original);
	bounce_report_free(&r);

	assert_int_equal(test_read_file(DATA_DIR "/mdn.eml", &data), 0);
	parse_buf(data.data, data.len, &r);
	assert_string_equal(r.disposition, "displayed");
	assert_string_equal(r.orig_message_id, "a1b2c3@example.com");
	bounce_report_free(&r);

	assert_int_equal(test_read_file(DATA_DIR "/arf.eml", &data), 0);
	parse_buf(data.data, data.len, &r);
	assert_string_equal(r.feedback_type, "abuse");
	assert_string_equal(r.orig_list_id, "news.lists.example.org");
	bounce_report_free(&r);
	buf_free(&data);
}

/* Diagnostic text to status: the code first, then the words. */
static void
test_status_table(void **state)
{
	static const struct {
		const char *text, *status;
	} cases[] = {
		{ "550 5.1.1 <a@b>... User unknown", "5.1.1" },
		{ "Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1" },
		{ "550-5.7.26 Unauthenticated email\n550 5.7.26 DMARC", "5.7.26" },
		{ "5.1.0 - Unknown address error 550-'5.7.1 Access denied'", "5.7.1" },
		{ "554 4.4.7 Message expired <421 4.4.2 Connection timed out>", "4.4.2" },
		{ "5.0.0 then 5.1.1", "5.1.1" },
		{ "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'",
		    "5.1.10" },
		{ "550 Unknown user kijitora@example.net", "5.1.1" },
		{ "user unknown", "5.1.1" },
		{ "450 user unknown", "4.1.1" },
		{ "Host unknown (Name server: x: host not found)", "5.1.2" },
		{ "mailbox full", "4.2.2" },
		{ "552 sorry, mailbox is over quota", "5.2.2" },
		{ "552 Message size exceeds fixed maximum message size", "5.3.4" },
		{ "554 mailbox size limit exceeded", "5.2.2" },
		{ "550 Message rejected as spam", "5.7.1" },
		{ "blocked by policy", "5.7.1" },
		{ "retry timeout exceeded", "4.4.7" },
		{ "Connection refused", "4.4.1" },
		{ "554 Service unavailable", "5.0.0" },
		{ "421 Try again later", "4.0.0" },
		{ "Hop count exceeded - possible mail loop", "5.4.6" },
		/* Not codes: addresses, versions, sizes. */
		{ "host 10.5.1.1 said nothing", "" },
		{ "Sendmail 8.14.4/8.14.4 v5.1.0p3", "" },
		{ "SIZE=1543 at 23:45:01 from 192.0.2.254", "" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char st[16];
		int found = bounce_status_from_text(cases[i].text, st);

		if (strcmp(st, cases[i].status) != 0 ||
		    found != (cases[i].status[0] != '\0'))
			fail_msg("\"%s\": got \"%s\" (%d), want \"%s\"",
			    cases[i].text, st, found, cases[i].status);
	}
	{
		char st[16] = "x";

		assert_int_equal(bounce_status_from_text(NULL, st), 0);
		assert_string_equal(st, "");
	}
}

static void
test_hard_table(void **state)
{
	static const struct {
		const char *status, *diag;
		int hard;
	} cases[] = {
		{ "5.1.1", NULL, 1 },
		{ "5.1.2", NULL, 1 },
		{ "5.1.3", NULL, 1 },
		{ "5.1.6", NULL, 1 },
		{ "5.1.10", NULL, 1 },
		{ "5.2.2", NULL, 0 },
		{ "5.7.1", NULL, 0 },
		{ "4.1.1", "450 4.1.1 User unknown", 0 },
		{ "4.4.7", NULL, 0 },
		{ "5.0.0", "550 User unknown", 1 },
		{ "5.0.0", "554 Service unavailable", 0 },
		{ "5.2.1", "550 5.2.1 <a@b>... User Unknown", 1 },
		{ "5.1.1", "552 mailbox a@b is over quota (#5.1.1)", 0 },
		{ "5.1.1", "550 5.1.1 <a@b>: Recipient address rejected", 1 },
		{ "", "550 no such user here", 1 },
		{ "", "450 no such user here", 0 },
		{ "", NULL, 0 },
		{ NULL, "Host or domain name not found", 1 },
		{ "2.0.0", "delivered", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (bounce_is_hard(cases[i].status, cases[i].diag) != cases[i].hard)
			fail_msg("%s / %s: want %d", cases[i].status ?
			    cases[i].status : "NULL", cases[i].diag ?
			    cases[i].diag : "NULL", cases[i].hard);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(bounce_action_name(BOUNCE_FAILED), "failed");
	assert_string_equal(bounce_action_name(BOUNCE_DELAYED), "delayed");
	assert_string_equal(bounce_action_name(BOUNCE_DELIVERED), "delivered");
	assert_string_equal(bounce_action_name(BOUNCE_RELAYED), "relayed");
	assert_string_equal(bounce_action_name(BOUNCE_EXPANDED), "expanded");
	assert_string_equal(bounce_action_name(BOUNCE_DISPLAYED), "displayed");
	assert_string_equal(bounce_action_name(BOUNCE_FEEDBACK), "feedback");
	assert_string_equal(bounce_kind_name(BOUNCE_KIND_NONE), "none");
	assert_string_equal(bounce_kind_name(BOUNCE_KIND_DSN), "dsn");
	assert_string_equal(bounce_kind_name(BOUNCE_KIND_MDN), "mdn");
	assert_string_equal(bounce_kind_name(BOUNCE_KIND_ARF), "arf");
	assert_string_equal(bounce_kind_name(BOUNCE_KIND_NONSTANDARD), "nonstandard");
	assert_string_equal(bounce_kind_name(BOUNCE_KIND_AUTOREPLY), "autoreply");
}

/* A DSN of n recipients r0..r(n-1)@example.net. */
static void
make_dsn(struct buf *b, size_t n, const char *extra_block)
{
	buf_puts(b, "From: MAILER-DAEMON@example.com\nSubject: failure\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"x\"\n\n--x\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; example.com\n");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "\nFinal-Recipient: rfc822; r%zu@example.net\n"
		    "Action: failed\nStatus: 5.1.1\n", i);
	if (extra_block != NULL)
		buf_printf(b, "\n%s", extra_block);
	buf_puts(b, "\n--x--\n");
}

static void
test_many_recipients(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct bounce_report r;

	(void)state;
	make_dsn(&b, 2000, NULL);
	parse_buf(b.data, b.len, &r);
	assert_int_equal(r.kind, BOUNCE_KIND_DSN);
	assert_int_equal(r.nrcpts, BOUNCE_RCPTS_MAX);
	assert_string_equal(r.rcpts[0].address, "r0@example.net");
	assert_string_equal(r.rcpts[BOUNCE_RCPTS_MAX - 1].address, "r999@example.net");
	bounce_report_free(&r);
	buf_free(&b);
}

static void
test_bounded_fields(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED), blk = BUF_INIT(BUF_UNLIMITED);
	struct bounce_report r;

	(void)state;
	/* An address over 254 bytes is dropped, a long diagnostic cut. */
	buf_puts(&blk, "Final-Recipient: rfc822; ");
	for (int i = 0; i < 300; i++)
		buf_putc(&blk, 'a');
	buf_puts(&blk, "@example.net\nAction: failed\nStatus: 5.1.1\n\n"
	    "Final-Recipient: rfc822; long@example.net\nAction: failed\n"
	    "Diagnostic-Code: smtp; 550 5.7.1 \x01\x02 bad\xff\xfe bytes ");
	for (int i = 0; i < 5000; i++)
		buf_puts(&blk, "x ");
	buf_puts(&blk, "\n");
	make_dsn(&b, 0, buf_cstr(&blk));
	parse_buf(b.data, b.len, &r);
	assert_int_equal(r.nrcpts, 1);
	assert_string_equal(r.rcpts[0].address, "long@example.net");
	assert_string_equal(r.rcpts[0].status, "5.7.1");
	assert_non_null(r.rcpts[0].diagnostic);
	assert_true(strlen(r.rcpts[0].diagnostic) <= BOUNCE_TEXT_MAX);
	assert_non_null(strstr(r.rcpts[0].diagnostic, "5.7.1 bad?? bytes"));
	bounce_report_free(&r);
	buf_free(&b);
	buf_free(&blk);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_hostile(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct bounce_report r;
	double t0;

	(void)state;
	/* Nothing at all. */
	parse_buf(NULL, 0, &r);
	assert_int_equal(r.kind, BOUNCE_KIND_NONE);
	assert_int_equal(r.nrcpts, 0);
	bounce_report_free(&r);
	/* bounce_report_free twice is harmless. */
	bounce_report_free(&r);

	/* A report that never opens its boundary: read as text. */
	buf_puts(&b, "From: MAILER-DAEMON@example.com\nSubject: Undelivered\n"
	    "Content-Type: multipart/report; report-type=delivery-status\n\n"
	    "This is the mail system at host example.com.\n\n"
	    "<vic@example.net>: host mx.example.net said: 550 5.1.1 unknown\n");
	parse_buf(b.data, b.len, &r);
	assert_int_equal(r.nrcpts, 1);
	assert_string_equal(r.rcpts[0].address, "vic@example.net");
	assert_string_equal(r.rcpts[0].status, "5.1.1");
	bounce_report_free(&r);

	/* Huge headers: a 4 MB Subject and 100,000 fields, quickly. */
	buf_reset(&b);
	buf_puts(&b, "From: MAILER-DAEMON@example.com\nSubject: ");
	for (int i = 0; i < 4 * 1024 * 1024 / 8; i++)
		buf_puts(&b, "failure ");
	buf_puts(&b, "\n");
	for (int i = 0; i < 100000; i++)
		buf_printf(&b, "X-H%d: <w%d@example.net>\n", i, i);
	buf_puts(&b, "\n<wendy@example.net>: 550 user unknown\n");
	t0 = now();
	parse_buf(b.data, b.len, &r);
	assert_true(now() - t0 < 10.0);
	assert_true(r.nrcpts <= 1);
	bounce_report_free(&r);

	/* Binary bytes, NULs included: no crash, nothing invented. */
	buf_reset(&b);
	srand(7);
	for (int i = 0; i < 200000; i++)
		buf_putc(&b, rand() & 0xff);
	parse_buf(b.data, b.len, &r);
	assert_true(r.nrcpts <= BOUNCE_RCPTS_MAX);
	bounce_report_free(&r);

	/* Lines of addresses without end: bounded by the cap. */
	buf_reset(&b);
	buf_puts(&b, "From: MAILER-DAEMON@example.com\nSubject: failure notice\n\n"
	    "Hi. This is the qmail-send program at example.com.\n\n");
	for (int i = 0; i < 3000; i++)
		buf_printf(&b, "<q%d@example.net>:\nno mailbox here (#5.1.1)\n\n", i);
	parse_buf(b.data, b.len, &r);
	assert_int_equal(r.nrcpts, BOUNCE_RCPTS_MAX);
	bounce_report_free(&r);
	buf_free(&b);
}

/* Inputs built to make a careless parser quadratic: all quick. */
static void
test_linear(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct bounce_report r;
	double t0;

	(void)state;
	/* 20,000 recipient blocks of a DSN. */
	make_dsn(&b, 20000, NULL);
	t0 = now();
	parse_buf(b.data, b.len, &r);
	assert_int_equal(r.nrcpts, BOUNCE_RCPTS_MAX);
	bounce_report_free(&r);

	/*
	 * Recipients with texts full of digits that look like codes: 1,000
	 * short ones, then long ones (the text read is cut at 256 KB).
	 */
	for (int lines = 5; lines <= 100; lines += 95) {
		buf_reset(&b);
		buf_puts(&b, "From: MAILER-DAEMON@example.com\n"
		    "Subject: failure notice\n\n"
		    "Hi. This is the qmail-send program at example.com.\n\n");
		for (int i = 0; i < 1000; i++) {
			buf_printf(&b, "<z%d@example.net>:\n", i);
			for (int j = 0; j < lines; j++)
				buf_puts(&b, "5 4 2 5.5 4.4 2.2 550 5.1 5.1.\n");
			buf_puts(&b, "\n");
		}
		parse_buf(b.data, b.len, &r);
		if (lines == 5)
			assert_int_equal(r.nrcpts, 1000);
		else
			assert_true(r.nrcpts > 50 && r.nrcpts < 1000);
		bounce_report_free(&r);
	}

	/* One 200 KB line of lead-ins and half addresses. */
	buf_reset(&b);
	buf_puts(&b, "From: MAILER-DAEMON@example.com\nSubject: failure\n\n");
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, "rcpt to:<a@ delivery to ");
	buf_puts(&b, "\n");
	parse_buf(b.data, b.len, &r);
	bounce_report_free(&r);
	printf("linear inputs: %.2f s\n", now() - t0);
	assert_true(now() - t0 < 10.0);
	buf_free(&b);
}

/* Bounces inside bounces: read two levels down, never more. */
static void
test_nesting(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED), in = BUF_INIT(BUF_UNLIMITED);
	struct bounce_report r;

	(void)state;
	buf_puts(&in, "From: MAILER-DAEMON@example.net\nSubject: Undelivered\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"d\"\n\n--d\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; xena@example.net\nAction: failed\n"
	    "Status: 5.1.1\n\n--d--\n");
	for (int level = 1; level <= 4; level++) {
		buf_reset(&b);
		buf_printf(&b, "From: someone@example.com\nSubject: Fwd\n"
		    "Content-Type: multipart/mixed; boundary=\"f%d\"\n\n--f%d\n"
		    "Content-Type: text/plain\n\nsee below\n\n--f%d\n"
		    "Content-Type: message/rfc822\n\n%s\n--f%d--\n",
		    level, level, level, buf_cstr(&in), level);
		parse_buf(b.data, b.len, &r);
		/* Two levels of wrapping are read, deeper ones are not. */
		assert_int_equal(r.nrcpts, level <= 2 ? 1 : 0);
		bounce_report_free(&r);
		buf_reset(&in);
		buf_append(&in, b.data, b.len);
	}
	buf_free(&b);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_report_fields),
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_hard_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_many_recipients),
		cmocka_unit_test(test_bounded_fields),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
