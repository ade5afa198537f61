/*
 * bounce_nonstd - the reports MTAs and providers write in their own words.
 *
 * Each recogniser is a row of a table: the phrases that identify the
 * report (in its text, or "from:"/"subject:" for those headers), the
 * phrases after which its recipients are listed, and those that end the
 * list. One scanner serves them all: in the section so delimited, a line
 * that starts with an address (after indentation, a bullet or a label
 * such as "Recipient address:") opens a recipient, and the lines after it,
 * up to the next such line, are its error text. Some reports name the
 * recipient inside a sentence ("...delivering your mail to <a@b>."): the
 * lead-in phrases of bounce_leadins[] catch those.
 *
 * Everything stops where the returned message starts: the marker lines
 * of bounce_markers[] ("--- Below this line is a copy of the message."),
 * or the first header-looking line (Received:, Return-Path:).
 *
 * The same scanner also annotates recipients found elsewhere (DSN fields,
 * X-Failed-Recipients) with the error text the report gives them, and as
 * a last resort reads a report nobody recognised when it at least looks
 * like one (from a mailer daemon, a failure subject).
 */
#include <stdlib.h>
#include <string.h>

#include "bounce.h"
#include "bounce_int.h"
#include "buf.h"
#include "mem.h"

#define BOUNCE_LIST(...)	((const char *const[]){ __VA_ARGS__, NULL })

/* One MTA's or provider's report. */
struct bounce_mta {
	const char	*name;		/* the recogniser's name */
	const char *const *detect;	/* any one identifies the report */
	const char *const *begin;	/* recipients follow; NULL: at detect */
	const char *const *end;		/* the recipients end (or a marker) */
};

static const struct bounce_mta bounce_mtas[] = {
	{ "qmail",
	  BOUNCE_LIST("this is the qmail-send program",
	    "this is the qmail program", "qmail-send program at"),
	  NULL,
	  BOUNCE_LIST("--- below this line is a copy", "--- enclosed are") },
	{ "exim",
	  BOUNCE_LIST("this message was created automatically by mail delivery software",
	    "the following address(es) failed",
	    "could not be delivered to one or more of its recipients"),
	  BOUNCE_LIST("the following address(es) failed",
	    "could not be delivered to one or more of its",
	    "has not yet been delivered to the following"),
	  BOUNCE_LIST("------ this is a copy of", "------ the body of the") },
	{ "postfix",
	  BOUNCE_LIST("this is the postfix program", "this is the mail system at host",
	    "i'm sorry to have to inform you that your message could not"),
	  NULL,
	  BOUNCE_LIST("--- delivery report unavailable", "--- undelivered message follows") },
	{ "sendmail",
	  BOUNCE_LIST("----- the following addresses had",
	    "----- transcript of session follows",
	    "the original message was received at"),
	  NULL,
	  BOUNCE_LIST("message follows -----", "----- original message", "-----unsent") },
	{ "gmail",
	  BOUNCE_LIST("delivery to the following recipient",
	    "google tried to deliver your message",
	    "from:mailer-daemon@googlemail.com"),
	  NULL,
	  BOUNCE_LIST("----- original message -----") },
	{ "yahoo",
	  BOUNCE_LIST("sorry, we were unable to deliver your message",
	    "unable to deliver message to the following address"),
	  NULL,
	  BOUNCE_LIST("--- below this line is a copy", "--- original message follows") },
	{ "exchange",
	  BOUNCE_LIST("did not reach some or all of the intended recipients",
	    "the following recipient(s) could not be reached"),
	  BOUNCE_LIST("the following recipient(s) could not be reached"),
	  NULL },
	{ "office365",
	  BOUNCE_LIST("delivery has failed to these recipients or groups",
	    "your message couldn't be delivered",
	    "your message wasn't delivered",
	    "did not reach the following recipient",
	    "could not be delivered to the following recipient",
	    "the following recipient(s) cannot be reached",
	    "diagnostic information for administrators"),
	  NULL,
	  BOUNCE_LIST("original message headers", "original message details") },
	{ "notes",
	  BOUNCE_LIST("was not delivered to:", "delivery failure report",
	    "------- failure reasons"),
	  BOUNCE_LIST("was not delivered to:", "------- failure reasons"),
	  NULL },
	{ "groupwise",
	  BOUNCE_LIST("the message that you sent was undeliverable to the following",
	    "the original message has been attached"),
	  NULL,
	  NULL },
	{ "dragonfly",
	  BOUNCE_LIST("this is the dragonfly mail agent"),
	  NULL,
	  BOUNCE_LIST("message headers follow") },
	{ "opensmtpd",
	  BOUNCE_LIST("this is the mailer-daemon at",
	    "an error has occurred while attempting to deliver a message"),
	  NULL,
	  BOUNCE_LIST("below is a copy of the original message") },
	{ "courier",
	  BOUNCE_LIST("courier mail server at"),
	  NULL,
	  NULL },
	{ "mfilter",
	  BOUNCE_LIST("m-filter"),
	  NULL,
	  NULL },
	{ "amazonworkmail",
	  BOUNCE_LIST("an error occurred while trying to deliver the mail to the following"),
	  NULL,
	  BOUNCE_LIST("technical report:") },
	{ "messagingserver",
	  BOUNCE_LIST("this report relates to a message you sent"),
	  NULL,
	  NULL },
};

/* A report that only warns: its recipients are delayed, not failed. */
static const char *const bounce_warnings[] = {
	"this is a warning message only",
	"will continue to try",
	"delivery attempts will continue",
	"will be retried",
	"will retry for",
	"has not yet been delivered",
	"has been delayed",
	"only a temporary failure",
	"delivery delayed",
	"still trying",
	NULL
};

/* Lines where the returned message starts (lower case, anywhere in it). */
static const char *const bounce_markers[] = {
	"below this line is a copy of the message",
	"this is a copy of the message",
	"this is a copy of its headers",
	"this is a copy of the headers",
	"original message follows",
	"unsent message follows",
	"undelivered message follows",
	"original message headers",
	"message headers follow",
	"message header follows",
	"----- original message -----",
	"-----original message-----",
	"below is a copy of the original message",
	"content-type: message/rfc822",
	"returned message follows",
	"------- returned message",
	"-------original message",
	NULL
};

/* Header fields that start a quoted returned message. */
static const char *const bounce_marker_fields[] = {
	"received:", "return-path:", "dkim-signature:", "x-original-to:",
	"delivered-to:", "message-id:", NULL
};

/* Phrases after which a recipient is named inside a sentence. */
static const char *const bounce_leadins[] = {
	"error delivering your mail to",
	"could not be delivered to",
	"couldn't be delivered to",
	"was not delivered to",
	"wasn't delivered to",
	"delivery to the following recipient failed permanently:",
	"your message to",
	"failed to deliver to",
	"unable to deliver your message to",
	"unable to deliver message to",
	"delivery to",
	"returned permanent errors:",
	"returned temporary errors:",
	"rcpt to:",
	"rejected recipient",
	NULL
};

/* Labels that may come before a recipient at the start of a line. */
static const char *const bounce_labels[] = {
	"recipient address:", "original recipient:", "original-recipient:",
	"final-recipient:", "final recipient:", "failed recipient:",
	"failed address:", "rcpt to:", "recipient:", "address:",
	"addressee:", "rfc822;", "email address:", "e-mail address:",
	NULL
};

/* Whether line s[0..n) holds one of phrases. */
static const char *
bounce_line_has(const char *s, size_t n, const char *const *phrases)
{
	for (size_t i = 0; phrases != NULL && phrases[i] != NULL; i++)
		if (bounce_memcasemem(s, n, phrases[i]) != NULL)
			return phrases[i];
	return NULL;
}

static size_t
bounce_line_end(const char *t, size_t n, size_t i)
{
	const char *e = memchr(t + i, '\n', n - i);

	return e ? (size_t)(e - t) : n;
}

static int
bounce_line_starts(const char *s, size_t n, const char *const *fields)
{
	for (size_t i = 0; fields[i] != NULL; i++) {
		size_t l = strlen(fields[i]);

		if (n >= l && bounce_memcasemem(s, l, fields[i]) == s)
			return 1;
	}
	return 0;
}

/*
 * Where the returned message starts in the text (its length if nowhere),
 * and where its header fields start (headers may be NULL).
 */
size_t
bounce_nonstd_returned(struct bounce_ctx *c, size_t *headers)
{
	const char *t = buf_cstr(&c->text);
	size_t n = c->text.len;

	if (!c->cut_known) {
		size_t i = 0;

		c->cut = c->cut_headers = n;
		while (i < n) {
			size_t e = bounce_line_end(t, n, i);

			if (bounce_line_has(t + i, e - i, bounce_markers)) {
				c->cut = i;
				c->cut_headers = e < n ? e + 1 : n;
				while (c->cut_headers < n &&
				    (t[c->cut_headers] == '\n' ||
				    t[c->cut_headers] == ' '))
					c->cut_headers++;
				break;
			}
			if (i > 0 && bounce_line_starts(t + i, e - i,
			    bounce_marker_fields)) {
				c->cut = c->cut_headers = i;
				break;
			}
			i = e + 1;
		}
		c->cut_known = 1;
	}
	if (headers != NULL)
		*headers = c->cut_headers;
	return c->cut;
}

static int
bounce_addr_char(int c)
{
	return c > ' ' && c != 0x7f && !strchr("<>,;()[]\"'", c);
}

/*
 * Prose in other scripts glues words to an address ("a@example.jp\xe6\x82\xa8
 * \xe5\xa5\xbd"): a last label that starts in ASCII and goes on in other
 * characters ends where the ASCII does. (An IDN's last label is either.)
 */
static size_t
bounce_addr_glued(const char *t, size_t i, size_t j)
{
	size_t dot = j, k;

	while (dot > i && t[dot - 1] != '.' && t[dot - 1] != '@')
		dot--;
	for (k = dot; k < j && (unsigned char)t[k] < 0x80; k++)
		;
	return k > dot && k < j ? k : j;
}

/*
 * The address at t[i..e) if one starts there (after an optional "<"),
 * normalised into a; its end in *end. 1 or 0.
 */
static int
bounce_addr_at(const char *t, size_t i, size_t e, char a[BOUNCE_ADDRESS_MAX + 1],
    size_t *end)
{
	size_t j;
	int angle = 0;

	if (i < e && (t[i] == '<' || t[i] == '"' || t[i] == '\'')) {
		angle = t[i] == '<';
		i++;
	}
	for (j = i; j < e && bounce_addr_char((unsigned char)t[j]); j++)
		if (t[j] == ':' && (j + 1 == e || t[j + 1] == ' ' ||
		    t[j + 1] == '\t'))
			break;
	if (j == i || memchr(t + i, '@', j - i) == NULL)
		return 0;
	j = bounce_addr_glued(t, i, j);
	if (!bounce_addr_norm(t + i, j - i, a))
		return 0;
	if (angle && j < e && t[j] == '>')
		j++;
	*end = j;
	return 1;
}

/*
 * The report's own addresses (its To and From) are no recipients, when
 * nothing tells where the recipients are.
 */
static int
bounce_is_self(const struct bounce_ctx *c, const char *a)
{
	return c->generic && (strcmp(a, c->self[0]) == 0 ||
	    strcmp(a, c->self[1]) == 0);
}

static int
bounce_is_sender(const struct bounce_ctx *c, const char *a)
{
	return strcmp(a, c->self[0]) == 0 || strcmp(a, c->self[1]) == 0;
}

/*
 * "554 <a@b>... Remote protocol error", "550 5.1.1 <a@b>... User
 * unknown": sendmail's own error lines. The "..." after the address is
 * required, and the report's own addresses are refused (a rejected
 * sender is written the same way).
 */
static int
bounce_line_coded(const struct bounce_ctx *c, const char *t, size_t j,
    size_t e, char a[BOUNCE_ADDRESS_MAX + 1])
{
	size_t end;

	if (j + 4 > e || (t[j] != '4' && t[j] != '5') ||
	    t[j + 1] < '0' || t[j + 1] > '9' || t[j + 2] < '0' ||
	    t[j + 2] > '9' || (t[j + 3] != ' ' && t[j + 3] != '-'))
		return 0;
	j += 4;
	/* An enhanced code may follow: "5.1.1 ". */
	if (j + 6 <= e && t[j + 1] == '.') {
		size_t k = j;

		while (k < e && t[k] != ' ')
			k++;
		j = k + 1;
	}
	if (j >= e || !bounce_addr_at(t, j, e, a, &end) || end + 3 > e ||
	    memcmp(t + end, "...", 3) != 0)
		return 0;
	return !bounce_is_sender(c, a);
}

/*
 * "Unknown user: a@b", "User's mailbox is full: <a@b>": a few words of
 * error, a colon and the address ending the line. One word before the
 * colon is a header field ("To: a@b"), and "MAIL FROM: a@b" names the
 * sender.
 */
static int
bounce_line_colon(const struct bounce_ctx *c, const char *t, size_t j,
    size_t e, char a[BOUNCE_ADDRESS_MAX + 1])
{
	const char *colon = memchr(t + j, ':', e - j);
	size_t k, end;

	if (colon == NULL || (size_t)(colon - (t + j)) > 60 ||
	    memchr(t + j, '@', (size_t)(colon - (t + j))) != NULL ||
	    memchr(t + j, ' ', (size_t)(colon - (t + j))) == NULL ||
	    (colon - (t + j) >= 4 &&
	    bounce_memcasemem(colon - 4, 4, "from") != NULL))
		return 0;
	for (k = (size_t)(colon - t) + 1; k < e && (t[k] == ' ' || t[k] == '\t');
	    k++)
		;
	if (!bounce_addr_at(t, k, e, a, &end) || bounce_is_sender(c, a))
		return 0;
	while (end < e && (t[end] == ' ' || t[end] == '\t' || t[end] == '.'))
		end++;
	return end == e;
}

/*
 * If the line t[i..e) opens a recipient, its address into a, where its
 * error text starts into *rest, and the indentation into *indent.
 */
static int
bounce_line_rcpt(const struct bounce_ctx *c, const char *t, size_t i, size_t e,
    char a[BOUNCE_ADDRESS_MAX + 1], size_t *rest, size_t *indent)
{
	size_t j = i, k;
	const char *lead;
	int bullet = 0;

	while (j < e && (t[j] == ' ' || t[j] == '\t'))
		j++;
	*indent = j - i;
	/* A bullet: "*", "-", "--", ">>>", "\xe2\x80\xa2". */
	for (k = j; k < e && k < j + 3 && strchr("*->", t[k]); k++)
		;
	if (k > j && k < e && (t[k] == ' ' || t[k] == '\t'))
		j = k, bullet = 1;
	else if (j + 3 < e && memcmp(t + j, "\xe2\x80\xa2", 3) == 0)
		j += 3, bullet = 1;
	while (j < e && (t[j] == ' ' || t[j] == '\t'))
		j++;
	for (k = 0; bounce_labels[k] != NULL; k++) {
		size_t l = strlen(bounce_labels[k]);

		if (e - j >= l && bounce_memcasemem(t + j, l, bounce_labels[k])) {
			j += l;
			while (j < e && (t[j] == ' ' || t[j] == '\t'))
				j++;
			break;
		}
	}
	if (bounce_addr_at(t, j, e, a, rest) && !bounce_is_self(c, a))
		return 1;
	if (!bullet && (bounce_line_coded(c, t, j, e, a) ||
	    bounce_line_colon(c, t, j, e, a))) {
		*rest = j;
		return 1;
	}
	/* Named inside a sentence, after a lead-in. */
	if ((lead = bounce_line_has(t + i, e - i, bounce_leadins)) != NULL) {
		const char *p = bounce_memcasemem(t + i, e - i, lead);

		j = (size_t)(p - t) + strlen(lead);
		while (j < e && (t[j] == ' ' || t[j] == '\t' || t[j] == ':'))
			j++;
		if (bounce_addr_at(t, j, e, a, rest) && !bounce_is_self(c, a))
			return 1;
	}
	return 0;
}

/* The line start of position p. */
static size_t
bounce_bol(const char *t, size_t p)
{
	while (p > 0 && t[p - 1] != '\n')
		p--;
	return p;
}

/* The first position in t[0..n) of any of phrases, or n. */
static size_t
bounce_find(const char *t, size_t n, const char *const *phrases, size_t from)
{
	size_t best = n;

	for (size_t i = 0; phrases != NULL && phrases[i] != NULL; i++) {
		const char *p;

		if (from >= n)
			break;
		p = bounce_memcasemem(t + from, n - from, phrases[i]);
		if (p != NULL && (size_t)(p - t) < best)
			best = (size_t)(p - t);
	}
	return best;
}

/* The recipient being read and its text. */
struct bounce_scan {
	struct bounce_ctx *c;
	int		 add;		/* create recipients, or only annotate */
	struct bounce_rcpt *rc;		/* NULL: the text has no owner */
	struct buf	 text;
	size_t		 found;		/* recipient lines seen */
	size_t		 created;
	struct bounce_rcpt *last_created;
};

/*
 * The diagnostic worth keeping from a recipient's text: from the line
 * holding the first status code or reply code on, else all of it.
 */
static void
bounce_scan_flush(struct bounce_scan *sc)
{
	const char *t = buf_cstr(&sc->text);
	size_t n = sc->text.len, from = 0;
	char st[16];
	struct bounce_rcpt *rc = sc->rc;
	int had_code;

	if (rc == NULL || n == 0)
		goto done;
	had_code = rc->diagnostic != NULL && bounce_status_code(rc->diagnostic,
	    strlen(rc->diagnostic), st);
	if (bounce_status_code_pos(t, n, st, &from)) {
		/* Keep the text from the line of the code on. */
		while (from > 0 && t[from - 1] != '\n')
			from--;
		if (sc->add && (rc->status[0] == '\0' || rc->status_inferred)) {
			strcpy(rc->status, st);
			rc->status_inferred = 0;
		} else if (!sc->add && !had_code && (rc->status[0] == '\0' ||
		    (strcmp(rc->status + 1, ".0.0") == 0 &&
		    st[0] == rc->status[0])))
			/* The report's text says more than its fields. */
			strcpy(rc->status, st);
	} else if (sc->add && rc->status[0] == '\0' &&
	    bounce_status_wording(t, n, rc->status))
		rc->status_inferred = 1;
	/* What followed the address: ": host ... said: 550 ...". */
	while (from < n && strchr(" \t\n:;,.-<>", t[from]))
		from++;
	bounce_rcpt_diag(rc, t + from, n - from);
done:
	buf_reset(&sc->text);
	sc->rc = NULL;
}

static void
bounce_scan_open(struct bounce_scan *sc, const char *a)
{
	struct bounce_report *r = sc->c->r;

	bounce_scan_flush(sc);
	sc->found++;
	if (sc->add) {
		size_t before = r->nrcpts;

		sc->rc = bounce_rcpt_get(r, a, strlen(a));
		if (r->nrcpts > before) {
			sc->created++;
			sc->last_created = sc->rc;
		}
		return;
	}
	for (size_t i = 0; i < r->nrcpts; i++)
		if (strcmp(r->rcpts[i].address, a) == 0)
			sc->rc = &r->rcpts[i];
}

/*
 * Read the recipients of text[b..e). Returns the number of recipient
 * lines seen.
 */
static size_t
bounce_scan_section(struct bounce_ctx *c, size_t b, size_t e, int add)
{
	struct bounce_scan sc;
	const char *t = buf_cstr(&c->text);
	char a[BOUNCE_ADDRESS_MAX + 1];
	size_t i = b, indent0 = (size_t)-1;

	memset(&sc, 0, sizeof sc);
	sc.c = c;
	sc.add = add;
	buf_init(&sc.text, BOUNCE_DIAG_SCAN_MAX);
	while (i < e) {
		size_t le = bounce_line_end(t, e, i), rest, indent;

		/* Deeper than the first recipient: its text, not a new one. */
		if (bounce_line_rcpt(c, t, i, le, a, &rest, &indent) &&
		    (indent0 == (size_t)-1 || indent <= indent0 + 1)) {
			if (indent0 == (size_t)-1)
				indent0 = indent;
			bounce_scan_open(&sc, a);
			(void)buf_append(&sc.text, t + rest, le - rest);
			(void)buf_putc(&sc.text, '\n');
		} else if (sc.rc != NULL) {
			(void)buf_append(&sc.text, t + i, le - i);
			(void)buf_putc(&sc.text, '\n');
		}
		i = le + 1;
	}
	bounce_scan_flush(&sc);
	if (add && sc.created > 0 && bounce_find(t, bounce_nonstd_returned(c,
	    NULL), bounce_warnings, 0) < c->cut)
		for (size_t k = c->r->nrcpts - sc.created; k < c->r->nrcpts; k++)
			c->r->rcpts[k].action = BOUNCE_DELAYED;
	/* One recipient: the whole section speaks of it. */
	if (add && sc.created == 1 && c->r->nrcpts == 1) {
		struct bounce_rcpt *rc = sc.last_created;
		char st[16];

		if ((rc->status[0] == '\0' || rc->status_inferred) &&
		    bounce_status_code(t + b, e - b, st)) {
			strcpy(rc->status, st);
			rc->status_inferred = 0;
		}
	}
	buf_free(&sc.text);
	return sc.found;
}

/*
 * Whether a recogniser's report is this one: a phrase found in the
 * text (before the returned message) or in the named header. The text
 * position of the match in *at (0 for a header).
 */
static int
bounce_mta_detect(struct bounce_ctx *c, const struct bounce_mta *mta,
    size_t cut, size_t *at)
{
	const char *t = buf_cstr(&c->text);

	for (size_t i = 0; mta->detect[i] != NULL; i++) {
		const char *ph = mta->detect[i];
		size_t p;

		if (strncmp(ph, "from:", 5) == 0) {
			if (bounce_memcasemem(c->from, strlen(c->from), ph + 5)) {
				*at = 0;
				return 1;
			}
		} else if (strncmp(ph, "subject:", 8) == 0) {
			if (bounce_memcasemem(c->subject, strlen(c->subject),
			    ph + 8)) {
				*at = 0;
				return 1;
			}
		} else if ((p = bounce_find(t, cut, BOUNCE_LIST(ph), 0)) < cut) {
			*at = bounce_bol(t, p);
			return 1;
		}
	}
	return 0;
}

int
bounce_nonstd(struct bounce_ctx *c)
{
	const char *t = buf_cstr(&c->text);
	size_t cut = bounce_nonstd_returned(c, NULL);

	for (size_t i = 0; i < sizeof bounce_mtas / sizeof bounce_mtas[0]; i++) {
		const struct bounce_mta *mta = &bounce_mtas[i];
		size_t at, b, e;

		if (!bounce_mta_detect(c, mta, cut, &at))
			continue;
		b = at;
		if (mta->begin != NULL) {
			size_t p = bounce_find(t, cut, mta->begin, 0);

			if (p < cut)
				b = bounce_bol(t, p);
		}
		e = bounce_find(t, cut, mta->end, b);
		if (e < cut)
			e = bounce_bol(t, e);
		if (bounce_scan_section(c, b, e, 1) == 0 || c->r->nrcpts == 0)
			continue;
		c->r->kind = BOUNCE_KIND_NONSTANDARD;
		c->r->recogniser = mta->name;
		return 1;
	}
	return 0;
}

/* The error text of recipients found elsewhere. */
void
bounce_nonstd_diagnose(struct bounce_ctx *c)
{
	size_t cut = bounce_nonstd_returned(c, NULL);

	(void)bounce_scan_section(c, 0, cut, 0);
	/* One recipient: the whole text speaks of it. */
	if (c->r->nrcpts == 1 && cut > 0) {
		struct bounce_rcpt *rc = &c->r->rcpts[0];
		const char *t = buf_cstr(&c->text);
		char st[16];
		int had_code = rc->diagnostic != NULL && bounce_status_code(
		    rc->diagnostic, strlen(rc->diagnostic), st);

		if (!had_code && bounce_status_code(t, cut, st) &&
		    (rc->status[0] == '\0' || (strcmp(rc->status + 1, ".0.0") == 0 &&
		    st[0] == rc->status[0]))) {
			strcpy(rc->status, st);
			rc->status_inferred = 0;
		} else if (rc->status[0] == '\0' && rc->diagnostic == NULL &&
		    bounce_status_wording(t, cut, st)) {
			strcpy(rc->status, st);
			rc->status_inferred = 1;
		}
	}
}

/* Whether an unrecognised message still looks like a delivery report. */
static int
bounce_looks_like_report(struct bounce_ctx *c)
{
	static const char *const from[] = {
		"mailer-daemon", "postmaster", "mail delivery", "mail-daemon",
		NULL
	};
	static const char *const subject[] = {
		"undeliver", "undelivered", "delivery fail", "delivery status",
		"failure notice", "returned mail", "mail delivery",
		"not delivered", "delivery error", "could not be delivered",
		"failed delivery", "delivery problem", "bounce", "rejected",
		"nondeliverable", "non-delivery", "non remis",
		"unzustellbar", "delivery notification", NULL
	};

	return bounce_line_has(c->from, strlen(c->from), from) != NULL ||
	    bounce_line_has(c->subject, strlen(c->subject), subject) != NULL ||
	    bounce_find(buf_cstr(&c->text), bounce_nonstd_returned(c, NULL),
	    bounce_leadins, 0) < c->cut;
}

int
bounce_nonstd_fallback(struct bounce_ctx *c)
{
	size_t cut = bounce_nonstd_returned(c, NULL);

	if (!bounce_looks_like_report(c))
		return 0;
	c->generic = 1;
	if (bounce_scan_section(c, 0, cut, 1) == 0 || c->r->nrcpts == 0)
		return 0;
	c->r->recogniser = "generic";
	return 1;
}
