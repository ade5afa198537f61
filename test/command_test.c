/*
 * command_test - the mail command parser, table-driven: every verb and
 * short form as a line; whole messages (subject, body, prefixes, quoting,
 * signatures, encodings, charsets, format=flowed, MIME structure, bounds)
 * for each kind of address; the canonical format and its round trip;
 * misaddressed posts. A command set is compared as a compact dump:
 * "S:" subject, "B:" body, "A:" address, "-" nothing; "!" a syntax error,
 * "?" an unknown line; "+T" truncated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "command.h"
#include "msg.h"

#define K32	"0123456789abcdef0123456789ABCDEF"
#define K32L	"0123456789abcdef0123456789abcdef"
#define K16	"fedcba9876543210"

static void
dump_cmd(const struct command *c, struct buf *b)
{
	if (c->status == COMMAND_UNKNOWN) {
		buf_printf(b, "?%s", c->line);
		return;
	}
	buf_printf(b, "%s%s", c->status == COMMAND_SYNTAX_ERROR ? "!" : "",
	    command_verb_name(c->verb));
	if (c->quiet)
		buf_puts(b, " Q");
	if (c->list)
		buf_printf(b, " l=%s", c->list);
	if (c->list_domain)
		buf_printf(b, "@%s", c->list_domain);
	if (c->email)
		buf_printf(b, " e=%s", c->email);
	if (c->gecos)
		buf_printf(b, " g=[%s]", c->gecos);
	if (c->mode != COMMAND_MODE_NONE)
		buf_printf(b, " m=%s", command_mode_name(c->mode));
	if (c->key)
		buf_printf(b, " k=%s", c->key);
	if (c->month)
		buf_printf(b, " d=%s", c->month);
	if (c->auth) {
		buf_puts(b, " (");
		dump_cmd(c->auth, b);
		buf_puts(b, ")");
	}
	if (c->status == COMMAND_SYNTAX_ERROR)
		buf_printf(b, " r=%s", c->reason);
}

static void
dump_set(const struct command_set *s, struct buf *b)
{
	static const char *const src[] = { "-", "S:", "B:", "A:" };

	buf_puts(b, src[s->source]);
	for (size_t i = 0; i < s->n; i++) {
		buf_puts(b, i ? "; " : "");
		dump_cmd(&s->v[i], b);
	}
	if (s->truncated)
		buf_puts(b, " +T");
}

/* One line: what it parses to. */
static const struct {
	const char	*line;
	const char	*want;
} lines[] = {
	/* every keyword and short form */
	{ "HELP", "HELP" }, { "hel", "HELP" }, { "sos", "HELP" },
	{ "help me please", "HELP" },
	{ "LISTS", "LISTS" }, { "lis", "LISTS" }, { "list", "LISTS" },
	{ "INFO staff", "INFO l=staff" }, { "inf Staff", "INFO l=staff" },
	{ "SUBSCRIBE staff", "SUBSCRIBE l=staff" },
	{ "sub staff   John  Doe  ", "SUBSCRIBE l=staff g=[John  Doe]" },
	{ "Sub staff@Lists.Example.ORG", "SUBSCRIBE l=staff@lists.example.org" },
	{ "SIGNOFF staff", "SIGNOFF l=staff" }, { "sig staff", "SIGNOFF l=staff" },
	{ "uns staff", "SIGNOFF l=staff" }, { "unsub staff", "SIGNOFF l=staff" },
	{ "unsubscribe staff Jo@Example.COM", "SIGNOFF l=staff e=jo@example.com" },
	{ "SIG * ", "SIGNOFF_ALL" }, { "unsubscribe *", "SIGNOFF_ALL" },
	{ "SIG * jo@example.com", "SIGNOFF_ALL e=jo@example.com" },
	{ "ADD staff jo@example.com", "ADD l=staff e=jo@example.com" },
	{ "add staff jo@example.com Jo Smith", "ADD l=staff e=jo@example.com g=[Jo Smith]" },
	{ "DEL staff jo@example.com", "DEL l=staff e=jo@example.com" },
	{ "delete staff jo@example.com because", "DEL l=staff e=jo@example.com" },
	{ "INVITE staff jo@example.com Jo", "INVITE l=staff e=jo@example.com g=[Jo]" },
	{ "inv staff jo@example.com", "INVITE l=staff e=jo@example.com" },
	{ "REMIND staff", "REMIND l=staff" }, { "rem staff", "REMIND l=staff" },
	{ "REMIND *", "REMIND_ALL" },
	{ "REVIEW staff", "REVIEW l=staff" }, { "rev staff", "REVIEW l=staff" },
	{ "who staff", "REVIEW l=staff" },
	{ "WHICH", "WHICH" }, { "whi", "WHICH" }, { "status", "WHICH" },
	{ "SET staff nomail", "SET l=staff m=nomail" },
	{ "set staff EACH", "SET l=staff m=mail" },
	{ "set staff normal", "SET l=staff m=mail" },
	{ "set staff mail", "SET l=staff m=mail" },
	{ "set staff digest", "SET l=staff m=digest" },
	{ "set staff digestplain", "SET l=staff m=digestplain" },
	{ "set staff summary", "SET l=staff m=summary" },
	{ "set staff notice", "SET l=staff m=notice" },
	{ "set staff txt", "SET l=staff m=txt" },
	{ "set staff html", "SET l=staff m=html" },
	{ "set staff urlize", "SET l=staff m=urlize" },
	{ "set staff not_me", "SET l=staff m=not_me" },
	{ "set staff conceal", "SET l=staff m=conceal" },
	{ "set staff noconceal", "SET l=staff m=noconceal" },
	{ "SET * digest", "SET_ALL m=digest" },
	{ "INDEX staff", "INDEX l=staff" }, { "ind staff", "INDEX l=staff" },
	{ "GET staff 2024-03", "GET l=staff d=2024-03" },
	{ "LAST staff", "LAST l=staff" }, { "las staff", "LAST l=staff" },
	{ "CONFIRM " K32, "CONFIRM k=" K32L }, { "con " K32L, "CONFIRM k=" K32L },
	{ "AUTH " K16 " SUB staff", "AUTH k=" K16 " (SUBSCRIBE l=staff)" },
	{ "auth " K32 " del staff jo@example.com",
	    "AUTH k=" K32L " (DEL l=staff e=jo@example.com)" },
	{ "DISTRIBUTE staff " K32, "DISTRIBUTE l=staff k=" K32L },
	{ "dis staff " K32L, "DISTRIBUTE l=staff k=" K32L },
	{ "REJECT staff " K32L, "REJECT l=staff k=" K32L },
	{ "rej staff@example.org " K32L, "REJECT l=staff@example.org k=" K32L },
	{ "MODINDEX staff", "MODINDEX l=staff" }, { "mod staff", "MODINDEX l=staff" },
	{ "modind staff", "MODINDEX l=staff" },
	{ "STATS staff", "STATS l=staff" }, { "sta staff", "STATS l=staff" },
	{ "VERIFY staff", "VERIFY l=staff" }, { "ver staff", "VERIFY l=staff" },
	{ "QUIT", "QUIT" }, { "qui", "QUIT" }, { "end", "QUIT" }, { "STOP", "QUIT" },
	{ "-", "QUIT" },
	{ "\tsub\tstaff\t", "SUBSCRIBE l=staff" },
	/* not keywords: exact words only */
	{ "subs staff", "?subs staff" }, { "help.", "?help." },
	{ "sub:staff", "?sub:staff" }, { "hello", "?hello" },
	{ "QUIET sub staff", "?QUIET sub staff" },	/* the message layer strips it */
	/* syntax errors */
	{ "SUB", "!SUBSCRIBE r=no list name given" },
	{ "sub Sta;ff", "!SUBSCRIBE l=sta;ff r=not a list name" },
	{ "sub staff@", "!SUBSCRIBE l=staff@ r=not a domain after the list name" },
	{ "SET staff loud", "!SET l=staff r=not a reception mode" },
	{ "SET staff", "!SET l=staff r=no reception mode given" },
	{ "SET staff eachmail", "!SET l=staff r=not a reception mode" },
	{ "SET * mail extra", "!SET_ALL m=mail r=unexpected text after the command" },
	{ "DISTRIBUTE staff 0123456789abcdef0123456789abcdeg",
	    "!DISTRIBUTE l=staff r=not a key (not hexadecimal)" },
	{ "DISTRIBUTE staff 1234", "!DISTRIBUTE l=staff r=not a key (wrong length)" },
	{ "DISTRIBUTE staff", "!DISTRIBUTE l=staff r=no key given" },
	{ "CONFIRM " K16, "!CONFIRM r=not a key (wrong length)" },
	{ "AUTH " K16 " AUTH " K16 " SUB staff",
	    "!AUTH k=" K16 " (!AUTH r=AUTH inside AUTH) r=AUTH inside AUTH" },
	{ "AUTH " K16, "!AUTH k=" K16 " r=no command after the key" },
	{ "AUTH 0123 SUB staff", "!AUTH r=not a key (wrong length)" },
	{ "AUTH " K16 " hello", "!AUTH k=" K16 " (?hello) r=unknown command after the key" },
	{ "AUTH " K16 " quit", "!AUTH k=" K16 " (QUIT) r=QUIT cannot be confirmed" },
	{ "ADD staff", "!ADD l=staff r=no address given" },
	{ "ADD staff not-an-address", "!ADD l=staff r=not an address" },
	{ "SIG staff a@b c@d", "!SIGNOFF l=staff e=a@b r=unexpected text after the command" },
	{ "GET staff 2024-13", "!GET l=staff r=not a month (YYYY-MM)" },
	{ "GET staff 202403", "!GET l=staff r=not a month (YYYY-MM)" },
	{ "GET staff", "!GET l=staff r=no month given" },
	{ "INFO staff more", "!INFO l=staff r=unexpected text after the command" },
	{ "REVIEW", "!REVIEW r=no list name given" },
};

static void
test_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct command c;
		struct buf b = BUF_INIT(4096);

		command_parse_line(lines[i].line, strlen(lines[i].line), &c);
		dump_cmd(&c, &b);
		if (strcmp(buf_cstr(&b), lines[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", lines[i].line,
			    buf_cstr(&b), lines[i].want);
		command_free(&c);
		buf_free(&b);
	}
}

/* parse(format(c)) == c for every ok line of the table, every verb. */
static void
test_round_trip(void **state)
{
	int seen[COMMAND_VERB_COUNT] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct command c, d;
		struct buf f = BUF_INIT(4096), a = BUF_INIT(4096), b = BUF_INIT(4096);

		command_parse_line(lines[i].line, strlen(lines[i].line), &c);
		if (c.status != COMMAND_OK) {
			assert_int_equal(command_format(&c, &f), -1);
			assert_int_equal(f.len, 0);
			command_free(&c);
			continue;
		}
		seen[c.verb] = 1;
		assert_int_equal(command_format(&c, &f), 0);
		assert_int_equal(command_parse_line(f.data, f.len, &d), 1);
		dump_cmd(&c, &a);
		dump_cmd(&d, &b);
		if (strcmp(buf_cstr(&a), buf_cstr(&b)) != 0)
			fail_msg("'%s' -> '%s': '%s' != '%s'", lines[i].line,
			    buf_cstr(&f), buf_cstr(&a), buf_cstr(&b));
		command_free(&c);
		command_free(&d);
		buf_free(&f);
		buf_free(&a);
		buf_free(&b);
	}
	for (int v = COMMAND_VERB_NONE + 1; v < COMMAND_VERB_COUNT; v++)
		if (!seen[v])
			fail_msg("no round trip for %s", command_verb_name(v));
}

/* The canonical lines themselves (Sympa's cmd_format). */
static const struct {
	const char	*line;
	const char	*want;
} formats[] = {
	{ "subscribe Staff", "SUB staff" },
	{ "sub staff Jo  Smith", "SUB staff Jo  Smith" },
	{ "unsubscribe staff", "SIG staff" },
	{ "signoff staff JO@example.com", "SIG staff jo@example.com" },
	{ "sig *", "SIG *" },
	{ "rem *", "REMIND *" },
	{ "set * each", "SET * mail" },
	{ "set staff@EXAMPLE.org not_me", "SET staff@example.org not_me" },
	{ "who staff", "REVIEW staff" },
	{ "status", "WHICH" },
	{ "con " K32, "CONFIRM " K32L },
	{ "dis staff " K32, "DISTRIBUTE staff " K32L },
	{ "auth " K16 " add staff jo@example.com Jo", "AUTH " K16 " ADD staff jo@example.com Jo" },
	{ "auth " K16 " inv staff jo@example.com", "AUTH " K16 " INVITE staff jo@example.com" },
	{ "get staff 2023-01", "GET staff 2023-01" },
	{ "-", "QUIT" },
};

static void
test_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct command c;
		struct buf b = BUF_INIT(4096);

		command_parse_line(formats[i].line, strlen(formats[i].line), &c);
		assert_int_equal(command_format(&c, &b), 0);
		if (strcmp(buf_cstr(&b), formats[i].want) != 0)
			fail_msg("'%s': got '%s', want '%s'", formats[i].line,
			    buf_cstr(&b), formats[i].want);
		command_free(&c);
		buf_free(&b);
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(command_verb_name(COMMAND_VERB_SIGNOFF_ALL), "SIGNOFF_ALL");
	assert_string_equal(command_verb_name(COMMAND_VERB_COUNT), "?");
	assert_string_equal(command_mode_name(COMMAND_MODE_NOT_ME), "not_me");
	assert_string_equal(command_mode_name(COMMAND_MODE_NONE), "");
	assert_string_equal(command_mode_name(COMMAND_MODE_COUNT), "?");
	assert_int_equal(command_mode_from_name("Normal", 6), COMMAND_MODE_MAIL);
	assert_int_equal(command_mode_from_name("nomai", 5), COMMAND_MODE_NONE);
	for (int m = COMMAND_MODE_NONE + 1; m < COMMAND_MODE_COUNT; m++) {
		const char *n = command_mode_name(m);

		assert_int_equal(command_mode_from_name(n, strlen(n)), m);
	}
}

#define H	"From: Jo <jo@example.com>\nTo: sympa@example.org\n"
#define HS(s)	H "Subject: " s "\n"

/* Whole messages. */
static const struct {
	enum command_kind	 kind;
	const char		*list;
	const char		*msg;
	const char		*want;
} msgs[] = {
	/* the subject; only it when it is a command */
	{ COMMAND_ROBOT, NULL, HS("sub staff") "\nsig other\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("QUIET sig staff") "\n", "S:SIGNOFF Q l=staff" },
	{ COMMAND_ROBOT, NULL, HS("SUB") "\nsig other\n", "S:!SUBSCRIBE r=no list name given" },
	{ COMMAND_ROBOT, NULL, HS("hello") "\nsig other\n", "B:SIGNOFF l=other" },
	{ COMMAND_ROBOT, NULL, H "\nwhich\n", "B:WHICH" },
	/* reply prefixes */
	{ COMMAND_ROBOT, NULL, HS("Re: CONFIRM " K32) "\n", "S:CONFIRM k=" K32L },
	{ COMMAND_ROBOT, NULL, HS("RE[2]: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("Re(3): sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("Re^2: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("AW: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("SV: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("Antw: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("VS: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("Odp: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("REF: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("RES: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("Rif: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("YNT: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("ATB: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("R: sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("Re : sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("Re\xef\xbc\x9a sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?zpHOoDo=?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?0J3QsDo=?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?5Zue5aSNOg==?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?zpHPgDo=?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?zqPOp86VzqQ6?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?VsOBOg==?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?15TXqdeROg==?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?0J3QkDo=?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("=?utf-8?b?5Zue6KaGOg==?= sub staff") "\n", "S:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, HS("rE : sub staff") "\n", "S:SUBSCRIBE l=staff" },
	/* only one prefix; Fwd is not one */
	{ COMMAND_ROBOT, NULL, HS("Re: Re: sub staff") "\nwhich\n", "B:WHICH" },
	{ COMMAND_ROBOT, NULL, HS("Fwd: sub staff") "\nwhich\n", "B:WHICH" },
	/* RFC 2047 and folding */
	{ COMMAND_ROBOT, NULL, HS("=?iso-8859-1?q?sub_staff_Andr=E9?=") "\n",
	    "S:SUBSCRIBE l=staff g=[Andr\xc3\xa9]" },
	{ COMMAND_ROBOT, NULL, H "Subject: sub staff\n Jo\n\n", "S:SUBSCRIBE l=staff g=[Jo]" },
	/* the body: several, QUIET, quotes, comments, blank lines */
	{ COMMAND_ROBOT, NULL, H "\nsub staff\n\n# a comment\nQUIET sig other\n"
	    "> set staff nomail\n  >  which\n", "B:SUBSCRIBE l=staff; SIGNOFF Q l=other; "
	    "SET l=staff m=nomail; WHICH" },
	{ COMMAND_ROBOT, NULL, H "\r\nsub staff\r\nlists\r\n", "B:SUBSCRIBE l=staff; LISTS" },
	{ COMMAND_ROBOT, NULL, H "\n>> sub staff\n", "-" },
	/* signature, QUIT, unknown lines */
	{ COMMAND_ROBOT, NULL, H "\nsub staff\n-- \nlists\n", "B:SUBSCRIBE l=staff" },
	{ COMMAND_ROBOT, NULL, H "\nsub staff\n--\nlists\n", "B:SUBSCRIBE l=staff; ?--" },
	{ COMMAND_ROBOT, NULL, H "\nsub staff\nend\nlists\n", "B:SUBSCRIBE l=staff; QUIT" },
	{ COMMAND_ROBOT, NULL, H "\nhello robot\nsub staff\n", "-" },
	{ COMMAND_ROBOT, NULL, H "\nsub staff\nthanks a lot\nlists\n",
	    "B:SUBSCRIBE l=staff; ?thanks a lot" },
	{ COMMAND_ROBOT, NULL, H "\nsub staff\nset staff loud\nlists\n",
	    "B:SUBSCRIBE l=staff; !SET l=staff r=not a reception mode; LISTS" },
	{ COMMAND_ROBOT, NULL, H "\n", "-" },
	{ COMMAND_ROBOT, NULL, H, "-" },
	{ COMMAND_ROBOT, NULL, "", "-" },
	/* transfer encodings and charsets */
	{ COMMAND_ROBOT, NULL, H "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: base64\n\nc3ViIHN0YWZmCndoaWNoCg==\n",
	    "B:SUBSCRIBE l=staff; WHICH" },
	{ COMMAND_ROBOT, NULL, H "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\nsub staff Ren=E9 L=\nefort\n",
	    "B:SUBSCRIBE l=staff g=[Ren\xc3\xa9 Lefort]" },
	{ COMMAND_ROBOT, NULL, H "Content-Type: text/plain; charset=iso-8859-1\n\n"
	    "sub staff Jos\xe9\n", "B:SUBSCRIBE l=staff g=[Jos\xc3\xa9]" },
	{ COMMAND_ROBOT, NULL, H "Content-Type: text/plain; charset=x-no-such\n\n"
	    "sub staff Jos\xe9\n", "B:SUBSCRIBE l=staff g=[Jos\xef\xbf\xbd]" },
	{ COMMAND_ROBOT, NULL, H "\nsub staff a\x01" "b\n", "B:SUBSCRIBE l=staff g=[a b]" },
	/* format=flowed */
	{ COMMAND_ROBOT, NULL, H "Content-Type: text/plain; format=flowed\n\n"
	    "sub staff Jo \nSmith\n which\n-- \nlists\n",
	    "B:SUBSCRIBE l=staff g=[Jo Smith]; WHICH" },
	{ COMMAND_ROBOT, NULL, H "Content-Type: text/plain; format=flowed; delsp=yes\n\n"
	    "sub staff Jo \nSmith\n", "B:SUBSCRIBE l=staff g=[JoSmith]" },
	/* MIME structure */
	{ COMMAND_ROBOT, NULL, H "Content-Type: multipart/alternative; boundary=b\n\n"
	    "--b\nContent-Type: text/html\n\n<p>lists</p>\n--b\n"
	    "Content-Type: text/plain\n\nwhich\n--b--\n", "B:WHICH" },
	{ COMMAND_ROBOT, NULL, H "Content-Type: text/html\n\n<p>sub staff</p>\n", "-" },
	{ COMMAND_ROBOT, NULL, H "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\nContent-Disposition: attachment\n\nlists\n"
	    "--b\nContent-Type: message/rfc822\n\nSubject: x\n\nwhich\n--b--\n", "-" },
	{ COMMAND_ROBOT, NULL, H "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\ninfo staff\n--b\n"
	    "Content-Type: text/plain\n\nwhich\n--b--\n", "B:INFO l=staff" },
	/* -request: Smartlist emulation only */
	{ COMMAND_REQUEST, "staff", HS("subscribe") "\nsig staff\n", "A:SUBSCRIBE l=staff" },
	{ COMMAND_REQUEST, "staff", HS(" Unsubscribe  STAFF ") "\n", "A:SIGNOFF l=staff" },
	{ COMMAND_REQUEST, "staff", HS("subscribe other") "\n", "-" },
	{ COMMAND_REQUEST, "staff", HS("sub staff") "\n", "-" },
	{ COMMAND_REQUEST, "staff", HS("Re: subscribe") "\n", "-" },
	{ COMMAND_REQUEST, "staff", H "\nsubscribe staff\n", "-" },
	/* -subscribe, -unsubscribe: nothing read */
	{ COMMAND_SUBSCRIBE, "Staff", HS("sig staff") "\nsig staff\n", "A:SUBSCRIBE l=staff" },
	{ COMMAND_UNSUBSCRIBE, "staff", HS("sub staff") "\n", "A:SIGNOFF l=staff" },
	{ COMMAND_SUBSCRIBE, "staff", "", "A:SUBSCRIBE l=staff" },
	{ COMMAND_SUBSCRIBE, NULL, "", "-" },
};

static void
test_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
		struct command_set s;
		struct buf b = BUF_INIT(8192);

		assert_int_equal(command_parse(msgs[i].msg, strlen(msgs[i].msg),
		    msgs[i].kind, msgs[i].list, &s), 0);
		dump_set(&s, &b);
		if (strcmp(buf_cstr(&b), msgs[i].want) != 0)
			fail_msg("message %zu: got '%s', want '%s'", i,
			    buf_cstr(&b), msgs[i].want);
		assert_int_equal(s.none_found, s.n == 0);
		command_set_free(&s);
		buf_free(&b);
	}
}

/* The line as written, QUIET included, for the report. */
static void
test_line_kept(void **state)
{
	static const char m[] = H "\n  > QUIET  sub staff  Jo \nfoo bar\n";
	struct command_set s;

	(void)state;
	assert_int_equal(command_parse(m, sizeof m - 1, COMMAND_ROBOT, NULL, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.v[0].line, "QUIET  sub staff  Jo");
	assert_int_equal(s.v[1].status, COMMAND_UNKNOWN);
	assert_string_equal(s.v[1].line, "foo bar");
	command_set_free(&s);
}

static void
test_bounds(void **state)
{
	struct buf m = BUF_INIT(BUF_UNLIMITED), b = BUF_INIT(8192);
	struct command_set s;

	(void)state;
	/* COMMAND_MAX commands, then the rest ignored and flagged */
	buf_puts(&m, H "\n");
	for (int i = 0; i < COMMAND_MAX + 5; i++)
		buf_printf(&m, "info list%d\n", i);
	assert_int_equal(command_parse(m.data, m.len, COMMAND_ROBOT, NULL, &s), 0);
	assert_int_equal(s.n, COMMAND_MAX);
	assert_true(s.truncated);
	assert_string_equal(s.v[COMMAND_MAX - 1].list, "list19");
	command_set_free(&s);

	/* exactly COMMAND_MAX: not truncated */
	buf_reset(&m);
	buf_puts(&m, H "\n");
	for (int i = 0; i < COMMAND_MAX; i++)
		buf_printf(&m, "info list%d\n", i);
	assert_int_equal(command_parse(m.data, m.len, COMMAND_ROBOT, NULL, &s), 0);
	assert_int_equal(s.n, COMMAND_MAX);
	assert_false(s.truncated);
	command_set_free(&s);

	/* a long line is cut at COMMAND_LINE_MAX, the gecos at its own bound */
	buf_reset(&m);
	buf_puts(&m, H "\nsub staff ");
	for (int i = 0; i < 3000; i++)
		buf_puts(&m, "\xc3\xa9");
	buf_puts(&m, "\nwhich\n");
	assert_int_equal(command_parse(m.data, m.len, COMMAND_ROBOT, NULL, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.truncated);
	assert_true(strlen(s.v[0].line) <= COMMAND_LINE_MAX);
	assert_true(strlen(s.v[0].gecos) <= COMMAND_GECOS_MAX);
	assert_int_equal(strlen(s.v[0].gecos) % 2, 0);	/* whole characters */
	assert_int_equal(s.v[1].verb, COMMAND_VERB_WHICH);
	command_set_free(&s);

	/* a body past COMMAND_BODY_MAX: cut, flagged, the start still read */
	buf_reset(&m);
	buf_puts(&m, H "\nwhich\n");
	while (m.len < COMMAND_BODY_MAX + 1000)
		buf_puts(&m, "# padding padding padding padding padding\n");
	assert_int_equal(command_parse(m.data, m.len, COMMAND_ROBOT, NULL, &s), 0);
	dump_set(&s, &b);
	assert_string_equal(buf_cstr(&b), "B:WHICH +T");
	command_set_free(&s);
	buf_free(&m);
	buf_free(&b);
}

static const struct {
	const char	*subject;
	const char	*body;
	int		 want;
} misaddressed[] = {
	{ "subscribe staff", "", 1 },
	{ "Re: Unsubscribe staff ", "hello", 1 },
	{ "signoff staff", NULL, 1 },
	{ "set staff nomail", NULL, 1 },
	{ "set staff summary", NULL, 0 },
	{ "subscribe", NULL, 0 },
	{ "how do I subscribe staff?", NULL, 0 },
	{ "Meeting", "subscribe me please\n", 1 },
	{ "Meeting", "\n  \nunsubscribe staff\nthanks\n\n\n", 1 },
	{ "Meeting", "Hi all,\nsubscribe staff\n", 0 },
	{ "Meeting", "unsubscribe staff\n2\n3\n4\n5\n6\n", 0 },
	{ "Meeting", "unsubscribe staff\n2\n3\n4\n5\n", 1 },
	{ NULL, NULL, 0 },
};

static void
test_misaddressed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof misaddressed / sizeof misaddressed[0]; i++) {
		const char *body = misaddressed[i].body;
		int got = command_misaddressed(misaddressed[i].subject, body,
		    body ? strlen(body) : 0, NULL);

		if (got != misaddressed[i].want)
			fail_msg("misaddressed %zu ('%s'): got %d", i,
			    misaddressed[i].subject ? misaddressed[i].subject : "",
			    got);
	}
	assert_int_equal(command_misaddressed("join x", NULL, 0, "join\\s+\\S+"), 1);
	assert_int_equal(command_misaddressed("x", NULL, 0, "(unclosed"), -1);
}

/* The plain body helper distribute uses for misaddressed posts. */
static void
test_plain_body(void **state)
{
	static const char m[] = H "Content-Type: multipart/alternative; boundary=b\n\n"
	    "--b\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n\nc3Vic2NyaWJlIHN0YWZm\n--b--\n";
	struct msg *p = msg_parse(m, sizeof m - 1, NULL, NULL);
	struct buf b = BUF_INIT(4096);
	int cut = 0;

	(void)state;
	assert_non_null(p);
	assert_int_equal(command_plain_body(p, &b, &cut), 1);
	assert_string_equal(buf_cstr(&b), "subscribe staff");
	assert_int_equal(cut, 0);
	assert_int_equal(command_misaddressed("Hello", b.data, b.len, NULL), 1);
	msg_free(p);
	buf_free(&b);
}

static void
test_strip_reply(void **state)
{
	(void)state;
	assert_string_equal(command_strip_reply("  Re:  x"), "x");
	assert_string_equal(command_strip_reply("Re: Re: x"), "Re: x");
	assert_string_equal(command_strip_reply("Remind *"), "Remind *");
	assert_string_equal(command_strip_reply("RE[12]: x"), "x");
	assert_string_equal(command_strip_reply("RE[]: x"), "RE[]: x");
	assert_string_equal(command_strip_reply("Fwd: x"), "Fwd: x");
	assert_string_equal(command_strip_reply("Re:"), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_line_kept),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_misaddressed),
		cmocka_unit_test(test_plain_body),
		cmocka_unit_test(test_strip_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
