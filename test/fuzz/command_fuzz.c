/*
 * command_fuzz - libFuzzer target for the mail command parser: the input
 * is a whole message, parsed for each kind of address; every command
 * found is checked (bounds, clean strings) and formatted, and an ok
 * command's canonical line must parse back to the same canonical line.
 * The misaddressed-post test runs on the same subject and body.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "command.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "command_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

/* No control characters in what a command keeps. */
static int
clean(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static void
fuzz_command(const struct command *c)
{
	struct buf f = BUF_INIT(8192), g = BUF_INIT(8192);
	struct command d;

	fuzz_check(c->line != NULL && strlen(c->line) <= COMMAND_LINE_MAX);
	fuzz_check(clean(c->line) && clean(c->list) && clean(c->email) &&
	    clean(c->gecos) && clean(c->key) && clean(c->month));
	fuzz_check(c->gecos == NULL || strlen(c->gecos) <= COMMAND_GECOS_MAX);
	if (c->auth != NULL) {
		fuzz_check(c->verb == COMMAND_VERB_AUTH);
		fuzz_check(c->auth->auth == NULL);
		fuzz_command(c->auth);
	}
	(void)command_verb_name(c->verb);
	(void)command_mode_name(c->mode);
	if (command_format(c, &f) == 0) {
		fuzz_check(c->status == COMMAND_OK);
		fuzz_check(command_parse_line(f.data, f.len, &d) == 1);
		fuzz_check(d.status == COMMAND_OK && d.verb == c->verb);
		fuzz_check(command_format(&d, &g) == 0);
		fuzz_check(f.len == g.len && memcmp(f.data, g.data, f.len) == 0);
		command_free(&d);
	} else
		fuzz_check(c->status != COMMAND_OK);
	buf_free(&f);
	buf_free(&g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum command_kind kinds[] = {
		COMMAND_ROBOT, COMMAND_REQUEST, COMMAND_SUBSCRIBE,
		COMMAND_UNSUBSCRIBE
	};
	const char *msgdata = (const char *)data;
	struct command_set s;
	struct command c;
	struct msg *m;

	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		if (command_parse(msgdata, size, kinds[k], "staff", &s) != 0)
			continue;
		fuzz_check(s.n <= COMMAND_MAX);
		fuzz_check(s.none_found == (s.n == 0));
		for (size_t i = 0; i < s.n; i++)
			fuzz_command(&s.v[i]);
		command_set_free(&s);
	}
	/* The input as one line too. */
	command_parse_line(msgdata, size, &c);
	fuzz_command(&c);
	command_free(&c);
	if ((m = msg_parse(msgdata, size, NULL, NULL)) != NULL) {
		struct buf subj = BUF_INIT(64 * 1024), body = BUF_INIT(4 * COMMAND_BODY_MAX);

		(void)msg_subject(m, &subj);
		(void)command_plain_body(m, &body, NULL);
		fuzz_check(command_misaddressed(buf_cstr(&subj), buf_cstr(&body),
		    body.len, NULL) >= 0);
		buf_free(&subj);
		buf_free(&body);
		msg_free(m);
	}
	return 0;
}
