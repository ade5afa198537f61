/*
 * listname - the list-name and domain-name rules.
 *
 * The rules are allow-lists of bytes, never deny-lists: whatever is not a
 * lower-case letter, a digit or one of a few punctuation marks is refused,
 * so no quoting, separator, path or control character can reach an
 * aliases file, a shell or a path.
 */
#include <string.h>

#include "listname.h"

/* The suffixes of a list's own addresses (Sympa's list_check_suffixes). */
static const char *const listname_suffixes[] = {
	"-request", "-owner", "-editor", "-subscribe", "-unsubscribe",
};

/* Local parts every domain keeps for itself, whatever the site says. */
static const char *const listname_domain_parts[] = {
	"listmaster", "postmaster", "mailer-daemon", "abuse-feedback-report",
};

static int
listname_is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
listname_has_suffix(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof listname_suffixes / sizeof listname_suffixes[0]; i++) {
		size_t n = strlen(listname_suffixes[i]);

		if (len >= n && strcmp(name + len - n, listname_suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

int
listname_check(const char *name, const char **why)
{
	size_t len;

	if (name == NULL || *name == '\0')
		return (*why = "empty list name"), -1;
	if (name[0] >= 'A' && name[0] <= 'Z')
		return (*why = "a list name is in lower case"), -1;
	if (!listname_is_lower_alnum((unsigned char)name[0]))
		return (*why = "a list name starts with a lower-case letter or a digit"), -1;
	for (len = 0; name[len]; len++) {
		int c = (unsigned char)name[len];

		if (c >= 'A' && c <= 'Z')
			return (*why = "a list name is in lower case"), -1;
		if (!listname_is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
			return (*why = "a list name has only a-z, 0-9, '.', '_' and '-'"), -1;
		if (len >= LISTNAME_MAX)
			return (*why = "a list name has at most 50 characters"), -1;
	}
	if (listname_has_suffix(name, len))
		return (*why = "a list name may not end in -request, -owner, -editor, "
		    "-subscribe or -unsubscribe"), -1;
	return 0;
}

int
listname_is_reserved(const char *name, const char *robot_localpart,
    const char *bounce_localpart)
{
	if (listname_has_suffix(name, strlen(name)))
		return 1;
	if (robot_localpart != NULL && strcmp(name, robot_localpart) == 0)
		return 1;
	if (bounce_localpart != NULL && strcmp(name, bounce_localpart) == 0)
		return 1;
	for (size_t i = 0; i < sizeof listname_domain_parts / sizeof listname_domain_parts[0]; i++)
		if (strcmp(name, listname_domain_parts[i]) == 0)
			return 1;
	return 0;
}

int
listname_check_domain(const char *domain, const char **why)
{
	size_t label = 0, len;

	if (domain == NULL || *domain == '\0')
		return (*why = "empty domain"), -1;
	for (len = 0; domain[len]; len++) {
		int c = (unsigned char)domain[len];

		if (len >= LISTNAME_DOMAIN_MAX)
			return (*why = "a domain has at most 253 characters"), -1;
		if (c == '.') {
			if (label == 0)
				return (*why = "empty label in domain"), -1;
			if (domain[len - 1] == '-')
				return (*why = "a domain label does not end with '-'"), -1;
			label = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			return (*why = "a domain is written in lower case"), -1;
		if (!listname_is_lower_alnum(c) && c != '-')
			return (*why = "a domain has only a-z, 0-9, '-' and '.'"), -1;
		if (c == '-' && label == 0)
			return (*why = "a domain label does not start with '-'"), -1;
		if (++label > 63)
			return (*why = "a domain label has at most 63 characters"), -1;
	}
	if (label == 0)
		return (*why = "empty label in domain"), -1;
	if (domain[len - 1] == '-')
		return (*why = "a domain label does not end with '-'"), -1;
	return 0;
}

int
listaddr_split(const char *addr, struct buf *name, struct buf *domain,
    const char **why)
{
	const char *at = strchr(addr, '@');

	buf_reset(name);
	buf_reset(domain);
	if (at == NULL)
		return (*why = "no domain: expected name@domain"), -1;
	if (strchr(at + 1, '@') != NULL)
		return (*why = "more than one '@'"), -1;
	if (buf_append(name, addr, (size_t)(at - addr)) < 0)
		return (*why = "list name too long"), -1;
	for (const char *p = at + 1; *p; p++) {
		int c = (unsigned char)*p;

		if (buf_putc(domain, c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) < 0)
			return (*why = "domain too long"), -1;
	}
	if (listname_check(buf_cstr(name), why) < 0 ||
	    listname_check_domain(buf_cstr(domain), why) < 0) {
		buf_reset(name);
		buf_reset(domain);
		return -1;
	}
	return 0;
}
