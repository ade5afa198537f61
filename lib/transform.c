/*
 * transform - the header field steps of distribution (subject tagging is
 * in transform_subject.c, header and footer in transform_footer.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "listconf.h"
#include "mem.h"
#include "msgedit.h"
#include "transform.h"

/*
 * Sympa's anonymous_header_fields default: what may name or locate the
 * sender. A site parameter does not exist yet; "ARC-*" is every ARC field.
 */
static const char *const anonymous_fields[] = {
	"ARC-*", "Authentication-Results", "Disposition-Notification-To",
	"DKIM-Signature", "Domainkey-Signature", "Fax", "Injection-Info",
	"Mailer", "Organisation", "Organization", "Original-Recipient",
	"Originating-Client", "Originator", "Path", "Phone", "Received",
	"Received-SPF", "Reply-To", "Resent-Reply-To", "Return-Receipt-To",
	"Telefax", "User-Agent", "X-Envelope-From", "X-Envelope-To", "X-Face",
	"X-Mailer", "X-MimeOLE", "X-Newsreader", "X-Sender", "X-X-Sender",
};

/* The RFC 2369 fields in Sympa's order, as the rfc2369_header_fields choices. */
enum { F_HELP, F_SUBSCRIBE, F_UNSUBSCRIBE, F_POST, F_OWNER, F_ARCHIVE };

int
transform_random_hex(size_t n, struct buf *out)
{
	static unsigned long counter;
	unsigned char b[64];

	while (n > 0) {
		size_t k = n < sizeof b ? n : sizeof b;

		if (getrandom(b, k, 0) != (ssize_t)k) {
			/* Unique rather than secret is what callers need. */
			unsigned long x = (unsigned long)time(NULL) ^
			    ((unsigned long)getpid() << 16) ^ ++counter * 2654435761UL;

			for (size_t i = 0; i < k; i++, x = x * 6364136223846793005ULL + 1)
				b[i] = (unsigned char)(x >> 33);
		}
		for (size_t i = 0; i < k; i++)
			if (buf_printf(out, "%02x", b[i]) < 0)
				return -1;
		n -= k;
	}
	return 0;
}

/* Set a field, with the step's name in front of msgedit's reason. */
static int
put(struct msgedit *e, int (*how)(struct msgedit *, const char *, const char *,
    struct buf *), const char *name, const char *value, struct buf *err)
{
	struct buf why = BUF_INIT(256);
	int rc = how(e, name, value, &why);

	if (rc < 0 && err != NULL)
		buf_printf(err, "%s: %s", name, buf_cstr(&why));
	buf_free(&why);
	return rc;
}

static const char *
robot_of(const struct transform_list *l, struct buf *tmp)
{
	if (l->robot != NULL && *l->robot != '\0')
		return l->robot;
	buf_reset(tmp);
	buf_printf(tmp, "sympa@%s", l->domain);
	return buf_cstr(tmp);
}

int
transform_anonymize(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, struct buf *err)
{
	const char *anon = listconf_str(lc, LC_ANONYMOUS_SENDER);
	struct buf id = BUF_INIT(512);
	int rc = -1;

	if (*anon == '\0')
		return 0;
	for (size_t i = 0; i < sizeof anonymous_fields / sizeof anonymous_fields[0]; i++)
		msgedit_delete(e, anonymous_fields[i]);
	/* The Resent-* twins would give away what From and Message-ID hid. */
	msgedit_delete(e, "Resent-From");
	msgedit_delete(e, "Resent-Message-ID");
	if (buf_puts(&id, "<herald.") < 0 || transform_random_hex(12, &id) < 0 ||
	    buf_printf(&id, ".%lld@%s>", (long long)time(NULL), l->domain) < 0) {
		buf_puts(err, "Message-ID: too long");
		goto out;
	}
	if (put(e, msgedit_replace, "From", anon, err) < 0 ||
	    put(e, msgedit_replace, "Message-ID", buf_cstr(&id), err) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&id);
	return rc;
}

int
transform_remove_headers(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, struct buf *err)
{
	const char *const *names;
	size_t n = listconf_strv(lc, LC_REMOVE_HEADERS, &names);

	(void)l;
	(void)err;
	for (size_t i = 0; i < n; i++)
		msgedit_delete(e, names[i]);
	return 0;
}

int
transform_reply_to(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, struct buf *err)
{
	const char *value = listconf_str(lc, LC_REPLY_TO_HEADER_VALUE);
	const char *apply = listconf_str(lc, LC_REPLY_TO_HEADER_APPLY);
	struct buf v = BUF_INIT(MSGEDIT_VALUE_MAX);
	int rc = 0;

	/* The sender's own Reply-To wins unless the list forces its own. */
	if (msgedit_count(e, "Reply-To") > 0 && strcmp(apply, "forced") != 0)
		return 0;
	msgedit_delete(e, "Reply-To");
	msgedit_delete(e, "Resent-Reply-To");
	if (strcmp(value, "list") == 0)
		buf_printf(&v, "%s@%s", l->name, l->domain);
	else if (strcmp(value, "other_email") == 0)
		buf_puts(&v, listconf_str(lc, LC_REPLY_TO_HEADER_OTHER_EMAIL));
	else {
		if (strcmp(value, "all") == 0)
			buf_printf(&v, "%s@%s, ", l->name, l->domain);
		/* No From: the list alone for "all", nothing for "sender". */
		if (msgedit_get(e, "From", 0, &v) < 0) {
			buf_puts(err, "Reply-To: From too long");
			rc = -1;
		} else if (v.len >= 2 && v.data[v.len - 2] == ',')
			buf_truncate(&v, v.len - 2);
	}
	if (rc == 0 && v.len > 0)
		rc = put(e, msgedit_append, "Reply-To", buf_cstr(&v), err);
	buf_free(&v);
	return rc;
}

/* "Field: value" of custom_header, checked, added. */
static int
add_custom(struct msgedit *e, const char *line, struct buf *err)
{
	const char *colon = strchr(line, ':'), *v;
	char *name;
	int rc;

	if (colon == NULL || colon == line) {
		buf_printf(err, "custom_header: not \"Field: value\": %.60s", line);
		return -1;
	}
	name = xstrndup(line, (size_t)(colon - line));
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	rc = put(e, msgedit_append, name, v, err);
	free(name);
	return rc;
}

/* List-Id: "subject" <name.domain>, the phrase quoted or encoded by addr. */
static int
add_list_id(struct msgedit *e, const struct transform_list *l, struct buf *err)
{
	struct buf spec = BUF_INIT(1024), v = BUF_INIT(MSGEDIT_VALUE_MAX);
	struct addr a;
	int rc = -1;

	if (buf_printf(&spec, "%s.%s", l->name, l->domain) < 0) {
		buf_puts(err, "List-Id: too long");
		goto out;
	}
	memset(&a, 0, sizeof a);
	a.name = (char *)(l->subject != NULL ? l->subject : "");
	a.spec = spec.data;
	if (addr_format(&a, &v) < 0) {
		buf_puts(err, "List-Id: too long");
		goto out;
	}
	rc = put(e, msgedit_replace, "List-Id", buf_cstr(&v), err);
out:
	buf_free(&spec);
	buf_free(&v);
	return rc;
}

/* The value of one RFC 2369 field; "" when it has none here. */
static int
rfc2369_value(int f, const struct transform_list *l, const struct listconf *lc,
    const char *robot, struct buf *v)
{
	const char *web = l->web_url != NULL && *l->web_url != '\0' ? l->web_url : NULL;
	int oneclick = l->oneclick_url != NULL && *l->oneclick_url != '\0';

	switch (f) {
	case F_HELP:
		if (web && buf_printf(v, "<%s/help>, ", web) < 0)
			return -1;
		return buf_printf(v, "<mailto:%s?subject=HELP>", robot);
	case F_SUBSCRIBE:
		if (web && buf_printf(v, "<%s/subscribe/%s>, ", web, l->name) < 0)
			return -1;
		return buf_printf(v, "<mailto:%s?subject=SUB%%20%s>", robot, l->name);
	case F_UNSUBSCRIBE:
		/* With one-click, bulk puts each recipient's URL in front. */
		if (web && !oneclick &&
		    buf_printf(v, "<%s/signoff/%s>, ", web, l->name) < 0)
			return -1;
		return buf_printf(v, "<mailto:%s?subject=SIG%%20%s>", robot, l->name);
	case F_POST:
		return buf_printf(v, "<mailto:%s@%s>", l->name, l->domain);
	case F_OWNER:
		return buf_printf(v, "<mailto:%s-request@%s>", l->name, l->domain);
	case F_ARCHIVE:
		if (web && listconf_bool(lc, LC_PROCESS_ARCHIVE))
			return buf_printf(v, "<%s/arc/%s>", web, l->name);
		return 0;
	}
	return 0;
}

static int
add_rfc2369(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, struct buf *err)
{
	static const char *const names[] = { "List-Help", "List-Subscribe",
	    "List-Unsubscribe", "List-Post", "List-Owner", "List-Archive" };
	long long set = listconf_int(lc, LC_RFC2369_HEADER_FIELDS);
	struct buf v = BUF_INIT(4096), tmp = BUF_INIT(1024);
	const char *robot = robot_of(l, &tmp);
	int rc = 0;

	/* Inherited fields would point at another list. */
	msgedit_delete(e, "List-Help");
	msgedit_delete(e, "List-Subscribe");
	msgedit_delete(e, "List-Unsubscribe");
	msgedit_delete(e, "List-Unsubscribe-Post");
	msgedit_delete(e, "List-Post");
	msgedit_delete(e, "List-Owner");
	msgedit_delete(e, "List-Archive");
	for (int f = F_HELP; f <= F_ARCHIVE && rc == 0; f++) {
		if (!(set & (1LL << f)))
			continue;
		buf_reset(&v);
		if (rfc2369_value(f, l, lc, robot, &v) < 0) {
			buf_printf(err, "%s: too long", names[f]);
			rc = -1;
		} else if (v.len > 0)
			rc = put(e, msgedit_append, names[f], buf_cstr(&v), err);
	}
	buf_free(&v);
	buf_free(&tmp);
	return rc;
}

int
transform_list_fields(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, struct buf *err)
{
	struct buf a = BUF_INIT(1024), b = BUF_INIT(1024), c = BUF_INIT(1024);
	const char *const *custom;
	size_t ncustom = listconf_strv(lc, LC_CUSTOM_HEADER, &custom);
	int rc = -1;

	if (buf_printf(&a, "%s@%s", l->name, l->domain) < 0 ||
	    buf_printf(&b, "%s-request@%s", l->name, l->domain) < 0 ||
	    buf_printf(&c, "%s-owner@%s", l->name, l->domain) < 0) {
		buf_puts(err, "list address too long");
		goto out;
	}
	/* X-Loop is added, not replaced: other lists' marks stay. */
	if (put(e, msgedit_append, "X-Loop", buf_cstr(&a), err) < 0)
		goto out;
	if (l->sequence > 0) {
		char seq[32];

		snprintf(seq, sizeof seq, "%lu", l->sequence);
		if (put(e, msgedit_replace, "X-Sequence", seq, err) < 0)
			goto out;
	}
	msgedit_delete(e, "Errors-To");
	if (put(e, msgedit_append, "Errors-To", buf_cstr(&c), err) < 0)
		goto out;
	/* Two Precedence fields: some MTAs know only one of the words. */
	msgedit_delete(e, "Precedence");
	if (put(e, msgedit_append, "Precedence", "list", err) < 0 ||
	    put(e, msgedit_append, "Precedence", "bulk", err) < 0)
		goto out;
	msgedit_delete(e, "Resent-Sender");
	if (put(e, msgedit_replace, "Sender", buf_cstr(&b), err) < 0)
		goto out;
	for (size_t i = 0; i < ncustom; i++)
		if (add_custom(e, custom[i], err) < 0)
			goto out;
	if (add_list_id(e, l, err) < 0 || add_rfc2369(e, l, lc, err) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	return rc;
}

int
transform_unsubscribe_value(const char *mailto_value, const char *url,
    struct buf *out)
{
	if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>' || *p == ',')
			return -1;
	if (msgedit_check_value(mailto_value, strlen(mailto_value), NULL) < 0)
		return -1;
	return buf_printf(out, "<%s>, %s", url, mailto_value);
}

int
transform_incoming(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, struct buf *err)
{
	if (transform_anonymize(e, l, lc, err) < 0 ||
	    transform_subject(e, l, lc, err) < 0 ||
	    transform_remove_headers(e, l, lc, err) < 0)
		return -1;
	return 0;
}

int
transform_outgoing(struct msgedit *e, const struct transform_list *l,
    const struct listconf *lc, enum transform_signed policy, struct buf *err)
{
	if (transform_reply_to(e, l, lc, err) < 0 ||
	    transform_list_fields(e, l, lc, err) < 0 ||
	    transform_footer(e, l, lc, policy, err) < 0)
		return -1;
	return 0;
}
