/*
 * transform_fuzz - libFuzzer target for msgedit and every transformation:
 * arbitrary bytes go through all the steps for a fixed list, and the
 * result must come out, parse again, and carry what the steps promise
 * (one Subject with the tag, one List-Id, the header still a header).
 * The first byte picks a variant of the list: footer_type append, the
 * signed policy, an anonymous list, a one-click URL.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "listconf.h"
#include "msg.h"
#include "msgedit.h"
#include "transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(ok)	((ok) ? (void)0 : fuzz_fail(#ok, __LINE__))

static void
fuzz_fail(const char *what, int line)
{
	fprintf(stderr, "transform_fuzz.c:%d: invariant broken: %s\n", line, what);
	abort();
}

static const char conf_mime[] =
    "subject: \"D\xc3\xa9veloppeurs \\\"core\\\"\"\n"
    "custom_subject: \"[%list.name%] #[%list.sequence%]\"\n"
    "reply_to_header: {value: all, apply: forced}\n"
    "custom_header: [\"X-Team: core\"]\n"
    "message_header: \"Header \xc3\xa9\"\n"
    "message_footer: \"-- \\nFooter [% user.email %]\\n\"\n"
    "process_archive: on\n";
static const char conf_append[] =
    "subject: Developers\n"
    "custom_subject: dev\n"
    "footer_type: append\n"
    "message_footer: \"-- \\nFooter \xc3\xa9\\n\"\n"
    "anonymous_sender: anon@example.org\n";

static struct listconf *lc_mime, *lc_append;

static struct listconf *
load(const char *text)
{
	struct buf err = BUF_INIT(4096);
	struct listconf *lc = listconf_load_text("fuzz", text, strlen(text), NULL, &err);

	if (lc == NULL) {
		fprintf(stderr, "transform_fuzz: %s\n", buf_cstr(&err));
		abort();
	}
	buf_free(&err);
	return lc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct transform_list l = { "dev", "example.org", "Developers", NULL,
	    "https://lists.example.org/sympa", NULL, 7, NULL };
	struct buf err = BUF_INIT(4096), out = BUF_INIT(64 << 20), v = BUF_INIT(1 << 16);
	unsigned flags = size > 0 ? data[0] : 0;
	const struct listconf *lc;
	struct msgedit *e;
	struct msg *m;
	int rc;

	if (lc_mime == NULL) {
		lc_mime = load(conf_mime);
		lc_append = load(conf_append);
	}
	lc = flags & 1 ? lc_append : lc_mime;
	if (flags & 2)
		l.oneclick_url = "https://lists.example.org/oneclick";
	if (flags & 8)
		l.merge_nonce = "0123456789ab";
	if ((e = msgedit_new((const char *)data, size, NULL, &err)) == NULL)
		goto out;
	rc = transform_incoming(e, &l, lc, &err);
	if (rc == 0)
		rc = transform_outgoing(e, &l, lc,
		    flags & 4 ? TRANSFORM_SIGNED_SKIP : TRANSFORM_SIGNED_PART, &err);
	if (rc == 0) {
		fuzz_check(msgedit_output(e, &out) == 0);
		m = msg_parse(out.data, out.len, NULL, NULL);
		fuzz_check(m != NULL);
		fuzz_check(msg_header_count(m, NULL, "Subject") == 1);
		fuzz_check(msg_header_count(m, NULL, "List-Id") == 1);
		fuzz_check(msg_header_count(m, NULL, "Sender") == 1);
		fuzz_check(msg_header_count(m, NULL, "X-Team") == (lc == lc_mime));
		fuzz_check(msg_subject(m, &v) == 1);
		/* Subjects over transform's bound are left as they are. */
		if (v.len < 8192)
			fuzz_check(strstr(buf_cstr(&v), lc == lc_mime ? "[dev #7]" : "[dev]") != NULL);
		msg_free(m);
		if (l.merge_nonce != NULL) {
			const struct transform_merge_values mv = { "a@b.org", "A" };
			struct buf merged = BUF_INIT(128 << 20);
			int n8;

			fuzz_check(transform_merge(out.data, out.len,
			    l.merge_nonce, &mv, &merged, &n8) == 0);
			buf_free(&merged);
		}
	}
out:
	msgedit_free(e);
	buf_free(&err);
	buf_free(&out);
	buf_free(&v);
	return 0;
}
