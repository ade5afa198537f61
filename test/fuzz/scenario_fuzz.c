/*
 * scenario_fuzz - scenario text: parsing never crashes, hangs or leaks;
 * a refusal always says "file:line: what"; a file that parses is
 * evaluated with every auth method against a fake context (a small
 * message, an oracle that says yes to one address) and always decides.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char mail[] =
    "From: a@example.org\nTo: staff@lists.example.org\n"
    "X-Spam-Status: Yes, score=9\nContent-Type: multipart/mixed; "
    "boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b--\n";

static int
role(void *arg, enum scenario_role r, const char *list, const char *domain,
    const char *email)
{
	(void)arg; (void)list; (void)domain;
	if (r == SCENARIO_ROLE_HAS_EDITORS)
		return 1;
	return email != NULL && strcmp(email, "a@example.org") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct scenario_members members = { role, NULL, NULL };
	static const char *const env[] = { "HTTPS=on", NULL };
	static struct msg *m;
	struct buf err = BUF_INIT(4096);
	struct scenario *sc;

	if (m == NULL) {
		log_open("scenario_fuzz", 0, 0);
		m = msg_parse(mail, sizeof(mail) - 1, NULL, NULL);
	}
	sc = scenario_parse("fuzz", (const char *)data, size, NULL, &err);
	if (sc == NULL) {
		if (strncmp(buf_cstr(&err), "fuzz:", 5) != 0)
			abort();
	} else {
		for (int a = 0; a < SCENARIO_AUTH_COUNT; a++) {
			struct scenario_ctx ctx = { 0 };
			struct scenario_result res;

			ctx.sender = "a@example.org";
			ctx.listname = "staff";
			ctx.domain = "lists.example.org";
			ctx.auth = (enum scenario_auth)a;
			ctx.msg = m;
			ctx.env = env;
			ctx.remote_addr = "10.0.0.1";
			ctx.spam_status = "spam";
			ctx.members = &members;
			ctx.now = 1700000000;
			if (scenario_eval(sc, &ctx, &res) == 0 && res.origin[0] == '\0')
				abort();
		}
		scenario_unref(sc);
	}
	buf_free(&err);
	return 0;
}
