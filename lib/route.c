/*
 * route - what an envelope recipient address asks for.
 *
 * The address is checked byte by byte first (an allow-list: what a
 * dot-atom may hold), split at its only '@', lower-cased into fixed
 * arrays whose sizes the checks guarantee, and then matched: the domain's
 * own local parts first, then a list name, then a list name and a suffix.
 */
#include <string.h>
#include <strings.h>

#include "listname.h"
#include "route.h"

static const struct {
	const char	*suffix;
	enum route_kind	 kind;
} route_suffixes[] = {
	{ "-request", ROUTE_REQUEST },
	{ "-editor", ROUTE_EDITOR },
	{ "-owner", ROUTE_OWNER },
	{ "-subscribe", ROUTE_SUBSCRIBE },
	{ "-unsubscribe", ROUTE_UNSUBSCRIBE },
};

static const char *const route_names[] = {
	[ROUTE_INVALID] = "invalid",
	[ROUTE_POST] = "post",
	[ROUTE_REQUEST] = "request",
	[ROUTE_EDITOR] = "editor",
	[ROUTE_OWNER] = "owner",
	[ROUTE_SUBSCRIBE] = "subscribe",
	[ROUTE_UNSUBSCRIBE] = "unsubscribe",
	[ROUTE_ROBOT] = "robot",
	[ROUTE_LISTMASTER] = "listmaster",
	[ROUTE_ROBOT_REQUEST] = "robot-request",
	[ROUTE_BOUNCE] = "bounce",
};

const char *
route_kind_name(enum route_kind kind)
{
	if ((size_t)kind >= sizeof route_names / sizeof route_names[0])
		return "invalid";
	return route_names[kind];
}

static enum route_kind
route_invalid(struct route *out, const char *why)
{
	memset(out, 0, sizeof *out);
	out->kind = ROUTE_INVALID;
	out->reason = why;
	return ROUTE_INVALID;
}

static enum route_kind
route_found(struct route *out, enum route_kind kind, const char *list, size_t n)
{
	out->kind = kind;
	memcpy(out->list, list, n);
	out->list[n] = '\0';
	out->reason = "";
	return kind;
}

/* RFC 5322 atext and '.': the bytes of an unquoted local part. */
static int
route_is_atext(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

static void
route_lower(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)src[i];

		dst[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	dst[n] = '\0';
}

static const char *
route_or(const char *s, const char *dflt)
{
	return s != NULL && *s != '\0' ? s : dflt;
}

/* local is "<base><suffix>" exactly. */
static int
route_is(const char *local, const char *base, const char *suffix)
{
	size_t n = strlen(base);

	return strncasecmp(local, base, n) == 0 && strcmp(local + n, suffix) == 0;
}

/* The domain's own local parts; ROUTE_INVALID if local is none of them. */
static enum route_kind
route_domain_part(const struct route_config *cf, const char *local,
    const char *raw, struct route *out)
{
	const char *robot = route_or(cf->robot_localpart, "sympa");
	const char *lm = route_or(cf->listmaster_localpart, "listmaster");
	const char *bounce = route_or(cf->bounce_localpart, "bounce");
	size_t blen = strlen(bounce);

	/* local is in lower case; the site's values may not be. */
	if (strcasecmp(local, robot) == 0)
		return ROUTE_ROBOT;
	if (route_is(local, robot, "-request"))
		return ROUTE_ROBOT_REQUEST;
	if (strcasecmp(local, lm) == 0)
		return ROUTE_LISTMASTER;
	/* The robot's return path and ARF reports go where bounces go. */
	if (route_is(local, robot, "-owner") ||
	    strcmp(local, "abuse-feedback-report") == 0 ||
	    strcasecmp(local, bounce) == 0)
		return ROUTE_BOUNCE;
	if (strncasecmp(local, bounce, blen) == 0 && local[blen] == '+') {
		/* The token keeps its case: it may be a MAC. */
		size_t n = strlen(raw + blen + 1);

		memcpy(out->token, raw + blen + 1, n + 1);
		return ROUTE_BOUNCE;
	}
	return ROUTE_INVALID;
}

/* A list name, or a list name and a suffix. */
static enum route_kind
route_list_part(const struct route_config *cf, const char *local, struct route *out)
{
	const char *lm = route_or(cf->listmaster_localpart, "listmaster");
	size_t len = strlen(local);
	const char *why = NULL;

	if (listname_check(local, &why) == 0) {
		if (listname_is_reserved(local, route_or(cf->robot_localpart, "sympa"),
		    route_or(cf->bounce_localpart, "bounce")) || strcmp(local, lm) == 0)
			return route_invalid(out, "a local part reserved by the domain");
		return route_found(out, ROUTE_POST, local, len);
	}
	for (size_t i = 0; i < sizeof route_suffixes / sizeof route_suffixes[0]; i++) {
		size_t n = strlen(route_suffixes[i].suffix);
		char stem[ADDR_LOCAL_MAX + 1];

		if (len <= n || strcmp(local + len - n, route_suffixes[i].suffix) != 0)
			continue;
		memcpy(stem, local, len - n);
		stem[len - n] = '\0';
		if (listname_check(stem, &why) < 0)
			return route_invalid(out, why);
		if (listname_is_reserved(stem, route_or(cf->robot_localpart, "sympa"),
		    route_or(cf->bounce_localpart, "bounce")) || strcmp(stem, lm) == 0)
			return route_invalid(out, "a suffix after a reserved local part");
		return route_found(out, route_suffixes[i].kind, stem, len - n);
	}
	return route_invalid(out, why);
}

enum route_kind
route_address(const struct route_config *cf, const char *rcpt, size_t len,
    struct route *out)
{
	static const struct route_config dflt;
	char raw[ADDR_LOCAL_MAX + 1], local[ADDR_LOCAL_MAX + 1];
	const char *at = NULL, *why = NULL;
	size_t llen, dlen;
	enum route_kind kind;

	if (cf == NULL)
		cf = &dflt;
	memset(out, 0, sizeof *out);
	if (rcpt == NULL || len == 0)
		return route_invalid(out, "empty address");
	if (len > ROUTE_INPUT_MAX)
		return route_invalid(out, "address too long");
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)rcpt[i];

		if (c == '@') {
			if (at != NULL)
				return route_invalid(out, "more than one '@'");
			at = rcpt + i;
		} else if (!route_is_atext(c))
			return route_invalid(out, "a byte no list address holds");
	}
	if (at == NULL)
		return route_invalid(out, "no domain");
	llen = (size_t)(at - rcpt);
	dlen = len - llen - 1;
	if (llen == 0)
		return route_invalid(out, "empty local part");
	if (llen > ADDR_LOCAL_MAX)
		return route_invalid(out, "local part too long");
	if (dlen > LISTNAME_DOMAIN_MAX)
		return route_invalid(out, "domain too long");
	route_lower(out->domain, at + 1, dlen);
	if (listname_check_domain(out->domain, &why) < 0)
		return route_invalid(out, why);
	memcpy(raw, rcpt, llen);
	raw[llen] = '\0';
	route_lower(local, rcpt, llen);

	if (strcmp(local, "postmaster") == 0 || strcmp(local, "mailer-daemon") == 0)
		return route_invalid(out, "the MTA's own address");
	if ((kind = route_domain_part(cf, local, raw, out)) != ROUTE_INVALID) {
		out->kind = kind;
		out->reason = "";
		return kind;
	}
	return route_list_part(cf, local, out);
}
