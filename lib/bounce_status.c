/*
 * bounce_status - RFC 3463 status codes from what a report says.
 *
 * A report's text is trusted in this order: an enhanced status code
 * written in it ("550 5.1.1 <x>... User unknown", "(#5.5.0)"); then the
 * wording, table-driven below, with its class taken from the SMTP reply
 * code when there is one; then the reply code alone (5.0.0, 4.0.0).
 */
#include <string.h>

#include "bounce.h"
#include "bounce_int.h"

/* A phrase of a diagnostic and the status it implies. */
struct bounce_wording {
	const char	*phrase;	/* lower case, matched anywhere */
	const char	*status;	/* with the class used without a reply code */
	int		 weak;		/* too vague to overrule a given code */
};

/*
 * First match wins, so the specific comes before the general: a full
 * mailbox before a missing one ("mailbox ... does not exist" is rarer
 * than "mailbox full ... quota"), connection failures before timeouts,
 * and the vague policy words ("rejected", "denied") near the end.
 */
static const struct bounce_wording bounce_wordings[] = {
	/* A full mailbox or system. */
	{ "insufficient system storage", "4.3.1", 0 },
	{ "no space left",		"4.3.1", 0 },
	{ "out of disk space",		"4.3.1", 0 },
	{ "mailbox full",		"4.2.2", 0 },
	{ "mailbox is full",		"4.2.2", 0 },
	{ "mailbox has exceeded",	"4.2.2", 0 },
	{ "mailbox exceeds",		"4.2.2", 0 },
	{ "mailbox size limit",		"4.2.2", 0 },
	{ "full mailbox",		"4.2.2", 0 },
	{ "over quota",			"4.2.2", 0 },
	{ "overquota",			"4.2.2", 0 },
	{ "quota exceeded",		"4.2.2", 0 },
	{ "exceeded storage",		"4.2.2", 0 },
	{ "storage allocation",		"4.2.2", 0 },
	{ "exceeds allowed size",	"4.2.2", 0 },
	/* The message itself. */
	{ "message too large",		"5.3.4", 0 },
	{ "message is too large",	"5.3.4", 0 },
	{ "message size exceeds",	"5.3.4", 0 },
	{ "message exceeds the maximum", "5.3.4", 0 },
	{ "exceeds the maximum size",	"5.3.4", 0 },
	{ "exceeds size limit",		"5.3.4", 0 },
	{ "message size limit",		"5.3.4", 0 },
	{ "maximum message size",	"5.3.4", 0 },
	{ "message length exceeds",	"5.3.4", 0 },
	{ "size limit exceeded",	"5.3.4", 0 },
	{ "too big",			"5.3.4", 0 },
	{ "too large",			"5.3.4", 0 },
	/* Vaguer words for a full mailbox. */
	{ "quota",			"4.2.2", 0 },
	{ "is full",			"4.2.2", 0 },
	/* A mailbox that exists but takes nothing. */
	{ "mailbox disabled",		"5.2.1", 0 },
	{ "mailbox is disabled",	"5.2.1", 0 },
	{ "account disabled",		"5.2.1", 0 },
	{ "account is disabled",	"5.2.1", 0 },
	{ "account has been disabled",	"5.2.1", 0 },
	{ "account has been suspended",	"5.2.1", 0 },
	{ "account suspended",		"5.2.1", 0 },
	{ "account is suspended",	"5.2.1", 0 },
	{ "mailbox is inactive",	"5.2.1", 0 },
	{ "account inactive",		"5.2.1", 0 },
	{ "deactivated",		"5.2.1", 0 },
	{ "not accepting mail",		"5.2.1", 0 },
	/* The address has moved. */
	{ "has moved",			"5.1.6", 0 },
	{ "address has changed",	"5.1.6", 0 },
	/* The domain. */
	{ "host unknown",		"5.1.2", 0 },
	{ "unknown host",		"5.1.2", 0 },
	{ "host not found",		"5.1.2", 0 },
	{ "domain not found",		"5.1.2", 0 },
	{ "no such domain",		"5.1.2", 0 },
	{ "unknown domain",		"5.1.2", 0 },
	{ "domain unknown",		"5.1.2", 0 },
	{ "domain does not exist",	"5.1.2", 0 },
	{ "domain name not found",	"5.1.2", 0 },
	{ "host or domain name not found", "5.1.2", 0 },
	{ "name or service not known",	"5.1.2", 0 },
	{ "unrouteable",		"5.1.2", 0 },
	{ "unroutable",			"5.1.2", 0 },
	{ "no mx record",		"5.1.2", 0 },
	{ "no mx found",		"5.1.2", 0 },
	{ "couldn't find a mail exchanger", "5.1.2", 0 },
	{ "no smtp service",		"5.1.2", 0 },
	{ "nxdomain",			"5.1.2", 0 },
	/* The address's syntax. */
	{ "bad address syntax",		"5.1.3", 0 },
	{ "address syntax",		"5.1.3", 0 },
	{ "syntax error in address",	"5.1.3", 0 },
	{ "malformed address",		"5.1.3", 0 },
	{ "illegal address",		"5.1.3", 0 },
	/* The mailbox. */
	{ "user unknown",		"5.1.1", 0 },
	{ "unknown user",		"5.1.1", 0 },
	{ "no such user",		"5.1.1", 0 },
	{ "no such mailbox",		"5.1.1", 0 },
	{ "no such recipient",		"5.1.1", 0 },
	{ "no such address",		"5.1.1", 0 },
	{ "no such person",		"5.1.1", 0 },
	{ "no such account",		"5.1.1", 0 },
	{ "no such local user",		"5.1.1", 0 },
	{ "unknown recipient",		"5.1.1", 0 },
	{ "recipient unknown",		"5.1.1", 0 },
	{ "unknown mailbox",		"5.1.1", 0 },
	{ "mailbox unknown",		"5.1.1", 0 },
	{ "mailbox not found",		"5.1.1", 0 },
	{ "mailbox does not exist",	"5.1.1", 0 },
	{ "mailbox unavailable",	"5.1.1", 0 },
	{ "user not found",		"5.1.1", 0 },
	{ "user not known",		"5.1.1", 0 },
	{ "user does not exist",	"5.1.1", 0 },
	{ "user doesn't exist",		"5.1.1", 0 },
	{ "account does not exist",	"5.1.1", 0 },
	{ "account not found",		"5.1.1", 0 },
	{ "address does not exist",	"5.1.1", 0 },
	{ "recipient does not exist",	"5.1.1", 0 },
	{ "recipient not found",	"5.1.1", 0 },
	{ "address not found",		"5.1.1", 0 },
	{ "unknown address",		"5.1.1", 0 },
	{ "address unknown",		"5.1.1", 0 },
	{ "addressee unknown",		"5.1.1", 0 },
	{ "invalid recipient",		"5.1.1", 0 },
	{ "invalid mailbox",		"5.1.1", 0 },
	{ "not a valid mailbox",	"5.1.1", 0 },
	{ "unknown local part",		"5.1.1", 0 },
	{ "unknown local-part",		"5.1.1", 0 },
	{ "is not a known user",	"5.1.1", 0 },
	{ "does not exist",		"5.1.1", 1 },
	{ "doesn't exist",		"5.1.1", 1 },
	{ "wasn't found at the destination", "5.1.1", 0 },
	{ "no mailbox",			"5.1.1", 0 },
	{ "not listed in domino directory", "5.1.1", 0 },
	{ "address couldn't be found",	"5.1.1", 0 },
	{ "user doesn't have a",	"5.1.1", 0 },
	{ "invalid address",		"5.1.1", 0 },
	/* Routing loops. */
	{ "routing loop",		"5.4.6", 0 },
	{ "mail loop",			"5.4.6", 0 },
	{ "loop detected",		"5.4.6", 0 },
	{ "too many hops",		"5.4.6", 0 },
	{ "hop count exceeded",		"5.4.6", 0 },
	{ "loops back to myself",	"5.4.6", 0 },
	/* The network, then time. */
	{ "connection refused",		"4.4.1", 0 },
	{ "connection timed out",	"4.4.1", 0 },
	{ "no route to host",		"4.4.1", 0 },
	{ "network is unreachable",	"4.4.1", 0 },
	{ "could not connect",		"4.4.1", 0 },
	{ "couldn't connect",		"4.4.1", 0 },
	{ "unable to connect",		"4.4.1", 0 },
	{ "no answer from host",	"4.4.1", 0 },
	{ "dns error",			"4.4.3", 0 },
	{ "temporary dns",		"4.4.3", 0 },
	{ "name server timeout",	"4.4.3", 0 },
	{ "expired",			"4.4.7", 0 },
	{ "timed out",			"4.4.7", 0 },
	{ "timeout",			"4.4.7", 0 },
	{ "in the queue too long",	"4.4.7", 0 },
	{ "too long in queue",		"4.4.7", 0 },
	{ "retry time",			"4.4.7", 0 },
	{ "could not be delivered within", "4.4.7", 0 },
	{ "giving up",			"4.4.7", 0 },
	{ "gave up",			"4.4.7", 0 },
	/* Policy, spam and other refusals. */
	{ "relay access denied",	"5.7.1", 0 },
	{ "relaying denied",		"5.7.1", 0 },
	{ "not permitted to relay",	"5.7.1", 0 },
	{ "virus",			"5.7.1", 0 },
	{ "malware",			"5.7.1", 0 },
	{ "spam",			"5.7.1", 0 },
	{ "blacklist",			"5.7.1", 0 },
	{ "black list",			"5.7.1", 0 },
	{ "blocklist",			"5.7.1", 0 },
	{ "block list",			"5.7.1", 0 },
	{ "denylist",			"5.7.1", 0 },
	{ "dnsbl",			"5.7.1", 0 },
	{ "blocked",			"5.7.1", 0 },
	{ "reputation",			"5.7.1", 1 },
	{ "dmarc",			"5.7.1", 0 },
	{ "policy",			"5.7.1", 1 },
	{ "prohibited",			"5.7.1", 1 },
	{ "not allowed",		"5.7.1", 1 },
	{ "not permitted",		"5.7.1", 1 },
	{ "access denied",		"5.7.1", 1 },
	{ "refused",			"5.7.1", 1 },
	{ "denied",			"5.7.1", 1 },
	{ "rejected",			"5.7.1", 1 },
};

static int
bounce_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * s[0..n) is exactly class.subject.detail (class 2, 4 or 5, subject and
 * detail of 1 to 3 digits): copied into status.
 */
int
bounce_status_valid(const char *s, size_t n, char status[16])
{
	size_t i = 0, dots = 0, run = 0;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n < 5 || n > 9 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] == '.') {
			if (i > 1 && run == 0)
				return 0;
			dots++;
			run = 0;
		} else if (bounce_is_digit((unsigned char)s[i])) {
			if (++run > 3)
				return 0;
		} else
			return 0;
	}
	if (dots != 2 || run == 0)
		return 0;
	memcpy(status, s, n);
	status[n] = '\0';
	return 1;
}

/*
 * The enhanced code starting at text[i], if one does, into status; its
 * length, or 0. It must stand alone: not part of an IP address, a
 * version ("v5.1.0p3", "8.14.4/8.14.4") or a longer dotted number.
 */
static size_t
bounce_code_at(const char *t, size_t len, size_t i, char status[16])
{
	size_t j = i + 1, parts = 1, run = 0;

	if (t[i] != '2' && t[i] != '4' && t[i] != '5')
		return 0;
	if (i > 0) {
		int p = (unsigned char)t[i - 1];

		if (bounce_is_digit(p) || p == '.' || (p >= 'a' && p <= 'z') ||
		    (p >= 'A' && p <= 'Z') || p == '_' || p == '/')
			return 0;
	}
	if (j >= len || t[j] != '.')
		return 0;
	for (; j < len; j++) {
		if (t[j] == '.') {
			if (run == 0 && parts > 1)
				return 0;
			if (parts == 3)
				break;
			parts++;
			run = 0;
		} else if (bounce_is_digit((unsigned char)t[j])) {
			if (++run > 3)
				return 0;
		} else
			break;
	}
	if (parts != 3 || run == 0)
		return 0;
	/* A fourth dotted number makes it an address, not a code. */
	if (j < len && t[j] == '.' && j + 1 < len &&
	    bounce_is_digit((unsigned char)t[j + 1]))
		return 0;
	if (j < len && (t[j] == '/' || t[j] == '_'))
		return 0;
	memcpy(status, t + i, j - i);
	status[j - i] = '\0';
	return j - i;
}

static int
bounce_status_generic(const char *st)
{
	return strcmp(st + 1, ".0.0") == 0;
}

/*
 * Whether the code at t[i] follows an SMTP reply code ("550 5.1.1",
 * "550-5.7.26", "550-'5.7.1"): then it is the remote server's own word.
 */
static int
bounce_after_reply(const char *t, size_t i)
{
	size_t j = i;

	if (j > 0 && (t[j - 1] == '\'' || t[j - 1] == '"'))
		j--;
	if (j < 4 || (t[j - 1] != ' ' && t[j - 1] != '-'))
		return 0;
	j--;
	if (!bounce_is_digit((unsigned char)t[j - 1]) ||
	    !bounce_is_digit((unsigned char)t[j - 2]) ||
	    (t[j - 3] != '2' && t[j - 3] != '4' && t[j - 3] != '5'))
		return 0;
	return j == 3 || !bounce_is_digit((unsigned char)t[j - 4]);
}

/*
 * The enhanced status code a text gives. A code the remote server wrote
 * after its reply code wins (the last specific one: "554 4.4.7 Message
 * expired <421 4.4.2 Connection timed out>" is about the 4.4.2); else the
 * first code, or when that is the generic X.0.0 a later, more specific
 * one of the same class.
 */
int
bounce_status_code(const char *text, size_t len, char status[16])
{
	return bounce_status_code_pos(text, len, status, NULL);
}

/* The same, with where the chosen code stands in *pos (pos may be NULL). */
int
bounce_status_code_pos(const char *text, size_t len, char status[16],
    size_t *pos)
{
	char cand[16], first[16], reply[16];
	size_t first_at = 0, reply_at = 0;
	int has_first = 0, has_reply = 0, first_final = 0;

	for (size_t i = 0; i < len; i++) {
		size_t n = bounce_code_at(text, len, i, cand);

		if (n == 0)
			continue;
		if (bounce_after_reply(text, i) && (!has_reply ||
		    !bounce_status_generic(cand) || bounce_status_generic(reply))) {
			memcpy(reply, cand, sizeof cand);
			reply_at = i;
			has_reply = 1;
		}
		if (!has_first) {
			memcpy(first, cand, sizeof cand);
			first_at = i;
			has_first = 1;
			first_final = !bounce_status_generic(first);
		} else if (!first_final && cand[0] == first[0] &&
		    !bounce_status_generic(cand)) {
			memcpy(first, cand, sizeof cand);
			first_at = i;
			first_final = 1;
		}
		i += n - 1;
	}
	if (has_reply)
		memcpy(status, reply, sizeof reply);
	else if (has_first)
		memcpy(status, first, sizeof first);
	if (pos != NULL)
		*pos = has_reply ? reply_at : first_at;
	return has_reply || has_first;
}

/*
 * The first SMTP reply code of a text (250 to 559 as written by a
 * server: "550 ...", "550-...", "said: 550"), or 0. Numbers inside IP
 * addresses, sizes, dates and longer numbers do not count.
 */
static int
bounce_reply_code(const char *t, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++) {
		int c = (unsigned char)t[i];

		if (c != '2' && c != '4' && c != '5')
			continue;
		if (i > 0 && !strchr(" \t([<:\"'=#;\n", t[i - 1]))
			continue;
		if (!bounce_is_digit((unsigned char)t[i + 1]) ||
		    !bounce_is_digit((unsigned char)t[i + 2]) || t[i + 1] > '5')
			continue;
		if (i + 3 < len && !strchr(" \t-,;:)]\"'\n", t[i + 3]))
			continue;
		return (c - '0') * 100 + (t[i + 1] - '0') * 10 + (t[i + 2] - '0');
	}
	return 0;
}

/* The first wording entry a text matches, or NULL. */
static const struct bounce_wording *
bounce_wording_find(const char *text, size_t len)
{
	char low[BOUNCE_DIAG_SCAN_MAX + 1];
	size_t n = len < BOUNCE_DIAG_SCAN_MAX ? len : BOUNCE_DIAG_SCAN_MAX;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)text[i];

		low[i] = c == '\0' || c == '\n' || c == '\t' || c == '\r' ? ' ' :
		    (char)bounce_lower(c);
	}
	low[n] = '\0';
	for (size_t i = 0; i < sizeof bounce_wordings / sizeof bounce_wordings[0];
	    i++)
		if (strstr(low, bounce_wordings[i].phrase) != NULL)
			return &bounce_wordings[i];
	return NULL;
}

/* The status the wording of a text implies, class from its reply code. */
int
bounce_status_wording(const char *text, size_t len, char status[16])
{
	const struct bounce_wording *w = bounce_wording_find(text, len);
	int code = bounce_reply_code(text, len);

	if (w != NULL) {
		strcpy(status, w->status);
		if (code >= 400 && code < 600)
			status[0] = (char)('0' + code / 100);
		return 1;
	}
	if (code >= 400 && code < 600) {
		strcpy(status, code >= 500 ? "5.0.0" : "4.0.0");
		return 1;
	}
	return 0;
}

int
bounce_status_from_text(const char *text, char status[16])
{
	size_t len;

	status[0] = '\0';
	if (text == NULL)
		return 0;
	len = strlen(text);
	if (bounce_status_code(text, len, status))
		return 1;
	if (bounce_status_wording(text, len, status))
		return 1;
	status[0] = '\0';
	return 0;
}

/* The statuses that say the address itself is bad. */
static int
bounce_status_hard(const char *st)
{
	static const char *const hard[] = {
		"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.4.4"
	};

	for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++)
		if (strcmp(st, hard[i]) == 0)
			return 1;
	return 0;
}

/*
 * Permanent, and about the address: the wording decides when it says
 * something clear ("User unknown" under 5.2.1 is hard, "over quota" under
 * 5.1.1 is not); a vague word ("rejected") or none leaves it to the code.
 */
int
bounce_is_hard(const char *status, const char *diagnostic)
{
	const struct bounce_wording *w = NULL;
	char st[16];

	if (diagnostic != NULL)
		w = bounce_wording_find(diagnostic, strlen(diagnostic));
	if (status == NULL || *status == '\0') {
		if (diagnostic == NULL ||
		    !bounce_status_wording(diagnostic, strlen(diagnostic), st))
			return 0;
		status = st;
	}
	if (status[0] != '5')
		return 0;
	if (w != NULL && !w->weak) {
		char ws[16];

		strcpy(ws, w->status);
		ws[0] = '5';
		return bounce_status_hard(ws);
	}
	return bounce_status_hard(status);
}
