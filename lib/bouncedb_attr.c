/*
 * bouncedb_attr - which list and member a bounce is for, before its report
 * is parsed (see bouncedb.h). Pure: no database, no file, no clock.
 */
#include <string.h>
#include <strings.h>

#include "bouncedb.h"
#include "route.h"

/* The longest header value looked at for an address. */
#define ATTR_VALUE_MAX		1024
/* Header fields that may hold the address the bounce was sent to. */
static const char *const attr_fields[] = {
	"delivered-to", "x-original-to", "to"
};
#define ATTR_NFIELDS	(sizeof attr_fields / sizeof attr_fields[0])

static const char *
attr_or(const char *s, const char *dflt)
{
	return s != NULL && *s != '\0' ? s : dflt;
}

static void
attr_copy(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static enum bouncedb_fate
attr_set(struct bouncedb_attr *out, enum bouncedb_fate f, const char *reason)
{
	out->fate = f;
	out->reason = reason;
	return f;
}

/* The addresses a header field collects, one per comma-separated item. */
struct attr_head {
	char	 addr[ATTR_NFIELDS][BOUNCEDB_ADDRESS_MAX + 1]; /* first of each */
	int	 verp_field;		/* the field of vp, or -1 */
	struct verp_parsed vp;
	char	 verp_addr[BOUNCEDB_ADDRESS_MAX + 1];
};

static int
attr_is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * One item of an address list: what is inside its first <...>, else the
 * item trimmed. Quoted commas are not looked for: a display name with
 * a comma only makes one item unusable, never a wrong address usable.
 */
static int
attr_item_address(const char *v, size_t n, char *out, size_t size)
{
	const char *lt = memchr(v, '<', n), *gt;

	if (lt != NULL && (gt = memchr(lt, '>', n - (size_t)(lt - v))) != NULL) {
		v = lt + 1;
		n = (size_t)(gt - v);
	}
	while (n > 0 && attr_is_blank((unsigned char)*v))
		v++, n--;
	while (n > 0 && attr_is_blank((unsigned char)v[n - 1]))
		n--;
	if (n == 0 || n >= size || memchr(v, '@', n) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

/* The items of one unfolded value of field k. */
static void
attr_head_value(const char *prefix, const char *v, size_t n, size_t k,
    struct attr_head *h)
{
	char a[BOUNCEDB_ADDRESS_MAX + 1];
	struct verp_parsed vp;

	while (n > 0) {
		const char *comma = memchr(v, ',', n);
		size_t m = comma != NULL ? (size_t)(comma - v) : n;

		if (attr_item_address(v, m, a, sizeof a) == 0) {
			if (h->addr[k][0] == '\0')
				memcpy(h->addr[k], a, sizeof a);
			/* verp_parse() zeroes what it fails on: not h->vp. */
			if ((h->verp_field < 0 || (int)k < h->verp_field) &&
			    verp_parse(prefix, a, strlen(a), &vp) == 0) {
				h->vp = vp;
				h->verp_field = (int)k;
				memcpy(h->verp_addr, a, sizeof a);
			}
		}
		if (comma == NULL)
			break;
		n -= m + 1;
		v = comma + 1;
	}
}

/* The index of a field named like one of attr_fields, or -1. */
static int
attr_field_index(const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	size_t nl;

	if (colon == NULL)
		return -1;
	nl = (size_t)(colon - line);
	while (nl > 0 && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
		nl--;
	for (size_t k = 0; k < ATTR_NFIELDS; k++)
		if (strlen(attr_fields[k]) == nl &&
		    strncasecmp(line, attr_fields[k], nl) == 0)
			return (int)k;
	return -1;
}

/*
 * Scan the top header (at most BOUNCEDB_HEAD_SCAN bytes) for the fields
 * of attr_fields: the first address of each, and the VERP address of the
 * first field (in attr_fields' order) that holds one. A field is
 * unfolded into a bounded buffer; what passes ATTR_VALUE_MAX is cut.
 */
static void
attr_scan_head(const char *prefix, const char *msg, size_t len,
    struct attr_head *h)
{
	char value[ATTR_VALUE_MAX];
	size_t vlen = 0, p = 0, end = len < BOUNCEDB_HEAD_SCAN ? len :
	    BOUNCEDB_HEAD_SCAN;
	int cur = -1;

	memset(h, 0, sizeof *h);
	h->verp_field = -1;
	if (end >= 5 && memcmp(msg, "From ", 5) == 0) {
		const char *nl = memchr(msg, '\n', end);

		p = nl != NULL ? (size_t)(nl - msg) + 1 : end;
	}
	while (p < end && h->verp_field != 0) {
		const char *line = msg + p, *nl = memchr(line, '\n', end - p);
		size_t n = nl != NULL ? (size_t)(nl - line) : end - p;

		p += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > 0 && (line[0] == ' ' || line[0] == '\t')) {
			/* A continuation of the field in hand. */
			if (cur >= 0 && vlen < sizeof value) {
				size_t m = n < sizeof value - vlen ? n :
				    sizeof value - vlen;

				memcpy(value + vlen, line, m);
				vlen += m;
			}
			continue;
		}
		if (cur >= 0)
			attr_head_value(prefix, value, vlen, (size_t)cur, h);
		cur = -1;
		if (n == 0)
			return;		/* the end of the header */
		if ((cur = attr_field_index(line, n)) >= 0) {
			const char *colon = memchr(line, ':', n);
			size_t m = n - (size_t)(colon + 1 - line);

			vlen = m < sizeof value ? m : sizeof value;
			memcpy(value, colon + 1, vlen);
		}
	}
	if (cur >= 0)
		attr_head_value(prefix, value, vlen, (size_t)cur, h);
}

/* A good token names the list; a bad one drops the bounce. */
static enum bouncedb_fate
attr_verp(const struct bouncedb_site *s, const struct verp_parsed *vp,
    const char *addr, const char *source, struct bouncedb_attr *out)
{
	memcpy(out->list, vp->list, sizeof out->list);
	memcpy(out->domain, vp->list_domain, sizeof out->domain);
	memcpy(out->member, vp->member, sizeof out->member);
	memcpy(out->envid, vp->envid, sizeof out->envid);
	attr_copy(out->address, sizeof out->address, addr, strlen(addr));
	out->source = source;
	if (s->key == NULL) {
		out->verify = BOUNCEDB_VERP_UNCHECKED;
		return attr_set(out, BOUNCEDB_VERP, NULL);
	}
	out->verify = verp_verify(s->key, vp, s->now, s->verp_days);
	switch (out->verify) {
	case VERP_OK:
		return attr_set(out, BOUNCEDB_VERP, NULL);
	case VERP_EXPIRED:
		return attr_set(out, BOUNCEDB_REJECT, "expired");
	default:
		return attr_set(out, BOUNCEDB_REJECT, "forged");
	}
}

/* The list's own return path (list-owner). */
static enum bouncedb_fate
attr_list_owner(const struct bouncedb_site *s, const char *sender,
    struct bouncedb_attr *out)
{
	if (!s->tokens || sender == NULL)
		return attr_set(out, BOUNCEDB_LIST, NULL);
	if (*sender == '\0')
		return attr_set(out, BOUNCEDB_REJECT, "no-token");
	return attr_set(out, BOUNCEDB_OWNER,
	    "mail from a person to the list's owners (list-owner)");
}

/* The bounce or robot addresses without a token: no list to speak of. */
static enum bouncedb_fate
attr_no_list(const struct bouncedb_site *s, const char *sender,
    struct bouncedb_attr *out)
{
	if (sender != NULL && *sender == '\0' && s->tokens)
		return attr_set(out, BOUNCEDB_REJECT, "no-token");
	if (sender != NULL && *sender != '\0')
		return attr_set(out, BOUNCEDB_OTHER,
		    "mail from a person to a bounce address");
	return attr_set(out, BOUNCEDB_OTHER,
	    "a bounce without a token or a list (of robot or listmaster mail)");
}

/* The local part of addr is local (addr has its '@'). */
static int
attr_local_is(const char *addr, const char *local)
{
	const char *at = strrchr(addr, '@');
	size_t n = strlen(local);

	return at != NULL && (size_t)(at - addr) == n &&
	    strncasecmp(addr, local, n) == 0;
}

/*
 * What the address a bounce came to says. A list's own address stands
 * for its list-owner only as the recipient bouncequeue was given (the
 * list-owner alias passes list@domain); as an original recipient or in
 * the header it is no return path of ours.
 */
static enum bouncedb_fate
attr_route(const struct bouncedb_site *s, const char *addr,
    const char *source, const char *sender, struct bouncedb_attr *out)
{
	struct route_config rc;
	struct route rt;
	enum route_kind k;

	memset(&rc, 0, sizeof rc);
	rc.robot_localpart = s->robot_localpart;
	rc.bounce_localpart = s->bounce_localpart;
	attr_copy(out->address, sizeof out->address, addr, strlen(addr));
	out->source = source;
	k = route_address(&rc, addr, strlen(addr), &rt);
	if (k == ROUTE_POST && strcmp(source, "recipient") != 0)
		k = ROUTE_INVALID;
	switch (k) {
	case ROUTE_POST:
	case ROUTE_OWNER:
		memcpy(out->list, rt.list, sizeof out->list);
		memcpy(out->domain, rt.domain, sizeof out->domain);
		return attr_list_owner(s, sender, out);
	case ROUTE_BOUNCE:
		memcpy(out->domain, rt.domain, sizeof out->domain);
		if (attr_local_is(addr, "abuse-feedback-report"))
			return attr_set(out, BOUNCEDB_ARF, NULL);
		if (rt.token[0] != '\0')
			return attr_set(out, BOUNCEDB_REJECT, "malformed");
		return attr_no_list(s, sender, out);
	case ROUTE_ROBOT:
		memcpy(out->domain, rt.domain, sizeof out->domain);
		return attr_no_list(s, sender, out);
	default:
		return attr_set(out, BOUNCEDB_OTHER,
		    "not an address bounces are sent to");
	}
}

/* Whether addr routes to a list-owner or a bounce address. */
static int
attr_is_bounce_route(const struct bouncedb_site *s, const char *addr)
{
	struct route_config rc;
	struct route rt;
	enum route_kind k;

	memset(&rc, 0, sizeof rc);
	rc.robot_localpart = s->robot_localpart;
	rc.bounce_localpart = s->bounce_localpart;
	k = route_address(&rc, addr, strlen(addr), &rt);
	return k == ROUTE_OWNER || k == ROUTE_BOUNCE;
}

enum bouncedb_fate
bouncedb_attribute(const struct bouncedb_site *s, const char *recipient,
    const char *original, const char *sender, const char *msg, size_t len,
    struct bouncedb_attr *out)
{
	const char *prefix = attr_or(s->bounce_localpart, VERP_PREFIX_DEFAULT);
	struct verp_parsed vp;
	struct attr_head h;

	memset(out, 0, sizeof *out);
	out->verify = BOUNCEDB_VERP_NONE;
	if (recipient != NULL && *recipient == '\0')
		recipient = NULL;
	if (original != NULL && *original != '\0') {
		/* The MTA's word: the header is not looked at. */
		if (verp_parse(prefix, original, strlen(original), &vp) == 0)
			return attr_verp(s, &vp, original,
			    "original-recipient", out);
		/* An MTA that gives the recipient itself: the alias's word. */
		return attr_route(s, original, recipient != NULL &&
		    strcasecmp(original, recipient) == 0 ? "recipient" :
		    "original-recipient", sender, out);
	}
	attr_scan_head(prefix, msg, len, &h);
	if (h.verp_field >= 0)
		return attr_verp(s, &h.vp, h.verp_addr,
		    attr_fields[h.verp_field], out);
	if (recipient != NULL &&
	    verp_parse(prefix, recipient, strlen(recipient), &vp) == 0)
		return attr_verp(s, &vp, recipient, "recipient", out);
	/*
	 * No VERP address. The recipient bouncequeue was given says which
	 * list's return path it came to; the robot's address is shared by
	 * the bounce, robot-owner and abuse-feedback-report aliases, which
	 * only the header can tell apart then.
	 */
	if (recipient != NULL) {
		struct route rt;
		struct route_config rc;

		memset(&rc, 0, sizeof rc);
		rc.robot_localpart = s->robot_localpart;
		rc.bounce_localpart = s->bounce_localpart;
		if (route_address(&rc, recipient, strlen(recipient), &rt) ==
		    ROUTE_POST)
			return attr_route(s, recipient, "recipient", sender,
			    out);
	}
	for (size_t k = 0; k < ATTR_NFIELDS; k++)
		if (h.addr[k][0] != '\0' && attr_is_bounce_route(s, h.addr[k]))
			return attr_route(s, h.addr[k], attr_fields[k], sender,
			    out);
	if (recipient != NULL)
		return attr_route(s, recipient, "recipient", sender, out);
	return attr_set(out, BOUNCEDB_OTHER,
	    "no envelope and no address of bounces in the header");
}

/* The list of a List-Id "<name>.<domain>" (brackets already gone). */
static int
attr_list_id(const char *id, const char *domain, struct bouncedb_attr *out)
{
	size_t n = strlen(id), dn = strlen(domain);
	const char *why;
	char name[LISTNAME_MAX + 1];

	if (dn > 0) {
		if (n <= dn + 1 || id[n - dn - 1] != '.' ||
		    strcasecmp(id + n - dn, domain) != 0)
			return -1;
		n -= dn + 1;
	} else {
		/* No domain to go by (explain): the first dot it is. */
		const char *dot = strchr(id, '.');

		if (dot == NULL || listname_check_domain(dot + 1, &why) < 0)
			return -1;
		attr_copy(out->domain, sizeof out->domain, dot + 1,
		    strlen(dot + 1));
		n = (size_t)(dot - id);
	}
	if (n == 0 || n > LISTNAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		name[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] - 'A' +
		    'a' : id[i]);
	name[n] = '\0';
	if (listname_check(name, &why) < 0)
		return -1;
	memcpy(out->list, name, n + 1);
	return 0;
}

enum bouncedb_fate
bouncedb_attribute_arf(const struct bouncedb_site *s,
    const struct bounce_report *r, struct bouncedb_attr *out)
{
	const char *prefix = attr_or(s->bounce_localpart, VERP_PREFIX_DEFAULT);
	struct verp_parsed vp;

	if (r->orig_return_path != NULL &&
	    verp_parse(prefix, r->orig_return_path,
	    strlen(r->orig_return_path), &vp) == 0 &&
	    (out->domain[0] == '\0' ||
	    strcmp(vp.list_domain, out->domain) == 0)) {
		struct bouncedb_attr save = *out;

		/*
		 * Anyone may send an ARF: only a good token makes its
		 * member more than a claim; a bad one leaves the List-Id.
		 */
		if (attr_verp(s, &vp, r->orig_return_path, "return-path",
		    out) == BOUNCEDB_VERP)
			return BOUNCEDB_VERP;
		*out = save;
	}
	if (r->orig_list_id != NULL &&
	    attr_list_id(r->orig_list_id, out->domain, out) == 0) {
		out->source = "list-id";
		return attr_set(out, BOUNCEDB_LIST, NULL);
	}
	return attr_set(out, BOUNCEDB_OTHER, r->orig_list_id != NULL ?
	    "a feedback report about mail of no list of this domain" :
	    "a feedback report naming no list (no List-Id, no VERP "
	    "Return-Path in the returned message)");
}

const char *
bouncedb_fate_name(enum bouncedb_fate f)
{
	switch (f) {
	case BOUNCEDB_VERP:
		return "verp";
	case BOUNCEDB_LIST:
		return "list";
	case BOUNCEDB_ARF:
		return "arf";
	case BOUNCEDB_OWNER:
		return "owner";
	case BOUNCEDB_REJECT:
		return "reject";
	default:
		return "other";
	}
}

int
bouncedb_counts(enum bounce_action action, const char *status)
{
	return (action == BOUNCE_FAILED || action == BOUNCE_DELAYED) &&
	    status != NULL && (status[0] == '4' || status[0] == '5') &&
	    status[1] == '.';
}
