/*
 * addr - RFC 5322 addresses: parsing header values, formatting addr-specs,
 * and judging an address for subscriber and envelope use.
 *
 * Parsing (addr_parse_list, addr_parse_one) is lenient the way a mail
 * reader must be and follows Go's net/mail where RFC 5322 leaves room:
 * groups are flattened, obsolete empty list elements and obsolete routes
 * are skipped, a comment after a bare addr-spec is taken as the display
 * name, comments inside a display name are kept as text, and RFC 2047
 * encoded-words in display names are decoded (lib/mimeword.h; an unknown
 * charset is kept literally rather than failing). Input must be valid
 * UTF-8 (RFC 6532 allows it in names, local parts and domains).
 *
 * Judging (addr_classify) is strict and separate: it takes what a user
 * typed as an address and says how usable it is, with a reason, along the
 * lines of the isemail categories. addr_is_valid_email() is the test
 * subscriptions use.
 *
 * Case: a domain is compared without regard to case, a local part with
 * it (RFC 5321 section 2.4). addr_canonical() lower-cases the domain;
 * ADDR_CANON_LOWER_ALL lower-cases the whole address as Sympa does for its
 * subscriber table (Sympa treats John@x and john@x as one member).
 */
#ifndef HERALD_ADDR_H
#define HERALD_ADDR_H

#include <stddef.h>

#include "buf.h"

#define ADDR_LOCAL_MAX		64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX		255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_SPEC_MAX		254	/* path of 256 less the angle brackets */
#define ADDR_HEADER_MAX		(256 * 1024)	/* longest value parsed */
#define ADDR_LIST_MAX		10000	/* most mailboxes in one value */
/* Hard caps of the lenient parser: generous, for memory not policy. */
#define ADDR_PARSE_SPEC_MAX	1024

struct addr {
	char	*name;		/* display name in UTF-8, "" if none */
	char	*local;		/* local part, unquoted */
	char	*domain;	/* as written ("[1.2.3.4]" for a literal) */
	char	*spec;		/* the addr-spec, quoted as needed */
};

struct addr_list {
	struct addr	*v;
	size_t		 n;
};

/*
 * Parse an address-list (groups flattened, an empty group adds nothing).
 * Returns 0, or -1 with *err (a static string naming the problem) and
 * out left empty.
 */
int	addr_parse_list(const char *in, size_t len, struct addr_list *out,
	    const char **err);
/* Exactly one mailbox (a group holding exactly one counts); -1 and *err. */
int	addr_parse_one(const char *in, size_t len, struct addr *out,
	    const char **err);
void	addr_free(struct addr *a);
void	addr_list_free(struct addr_list *l);

/* local@domain, the local part quoted only when it is not a dot-atom. */
int	addr_format_spec(const char *local, const char *domain, struct buf *out);
/*
 * "name <spec>" or "<spec>": the name as atoms, a quoted-string, or
 * RFC 2047 encoded-words when it is not ASCII. -1 on out's limit.
 */
int	addr_format(const struct addr *a, struct buf *out);

/* How usable an address is, best first. */
enum addr_class {
	ADDR_OK,		/* plain dot-atom@host.name */
	ADDR_UNUSUAL,		/* valid for SMTP but odd: quoted local part,
				   address literal, single-label or numeric
				   top-level domain, non-ASCII (SMTPUTF8) */
	ADDR_CFWS,		/* valid only in a header: comments, folding */
	ADDR_DEPRECATED,	/* obsolete syntax (RFC 5322 section 4) */
	ADDR_RFC5322,		/* grammatical but not deliverable: too long,
				   a domain literal that is no address, a
				   domain that is no host name */
	ADDR_INVALID
};

/*
 * Judge in (an addr-spec, possibly with comments and folding, as a user
 * may type it). *reason, when reason is not NULL, says why the class is
 * not ADDR_OK (a static string, "" for ADDR_OK).
 */
enum addr_class addr_classify(const char *in, size_t len, const char **reason);
const char *addr_class_name(enum addr_class c);
/*
 * The test for subscriptions and envelope addresses: ADDR_OK or
 * ADDR_UNUSUAL (so a quoted local part or user@[192.0.2.1] is accepted,
 * a comment, folding or any obsolete form is not).
 */
int	addr_is_valid_email(const char *s);

/* Domains equal without regard to ASCII case. */
int	addr_domain_equal(const char *a, const char *b);

#define ADDR_CANON_LOWER_ALL	0x1	/* lower-case the local part too */
/*
 * The canonical addr-spec of one address (a bare addr-spec or a mailbox):
 * formatted by addr_format_spec with the domain in lower case. -1 if it
 * does not parse or out's limit is hit.
 */
int	addr_canonical(const char *in, size_t len, int flags, struct buf *out);

#endif
