/*
 * mime - structured MIME header values: a type and its parameters.
 *
 * Content-Type ("text/plain; charset=utf-8") and Content-Disposition
 * ("attachment; filename=a.txt") share one grammar (RFC 2045 section 5.1,
 * RFC 2183): a type, then ";"-separated attribute=value pairs where a value
 * is a token or a quoted-string, with comments allowed between them.
 * RFC 2231 adds continuations ("title*0=", "title*1=") and an encoded form
 * ("title*=us-ascii'en'%41") carrying a charset and a language; the parser
 * joins the sections of a parameter into one value and percent-decodes it.
 *
 * The parser is lenient the way a mail reader must be: it never fails, it
 * records what it had to forgive as MIME_DEFECT_* flags. An unquoted value
 * runs to the next ";" (mailers write "name=a b.txt"). Work is linear in
 * the input plus a quadratic term in the number of parameters, which the
 * caller bounds (max_params, capped at MIME_PARAMS_CAP).
 */
#ifndef HERALD_MIME_H
#define HERALD_MIME_H

#include <stddef.h>

#include "buf.h"

#define MIME_PARAMS_CAP		1024	/* hard cap on max_params */

/* What the parser forgave; more than one may be set. */
#define MIME_DEFECT_SYNTAX	0x01	/* no type/subtype, junk, bad quoting */
#define MIME_DEFECT_TOO_MANY	0x02	/* parameters past max_params ignored */
#define MIME_DEFECT_SECTIONS	0x04	/* RFC 2231 sections missing or repeated */

/* One parameter, RFC 2231 sections joined. */
struct mime_param {
	char	*name;		/* attribute, lower-cased, without "*N*" */
	char	*value;		/* NUL-terminated, but may hold NUL bytes */
	size_t	 value_len;
	char	*charset;	/* RFC 2231 charset as written, or NULL */
	char	*language;	/* RFC 2231 language, or NULL */
};

/* A parsed header value. */
struct mime_value {
	char		*type;		/* lower-cased; NULL if there is none */
	char		*subtype;	/* lower-cased; NULL if none or not asked */
	struct mime_param *params;	/* in the order of their first section */
	size_t		 nparams;
	unsigned int	 defects;	/* MIME_DEFECT_* */
};

/*
 * Parse an unfolded header value (len bytes, NUL bytes allowed). With
 * want_subtype the value starts with "type/subtype" (Content-Type),
 * otherwise with a single token (Content-Disposition). At most max_params
 * parameters are kept. Release the result with mime_value_free().
 */
void	mime_value_parse(const char *in, size_t len, int want_subtype,
	    size_t max_params, struct mime_value *out);
void	mime_value_free(struct mime_value *v);

/* The parameter named name (case-insensitive), or NULL. */
const struct mime_param *mime_param_find(const struct mime_value *v,
	    const char *name);

/*
 * Append a parameter's value to out as UTF-8: an RFC 2231 value is
 * converted from its charset (an unknown charset is taken as UTF-8, bad
 * bytes becoming U+FFFD); any other value has its RFC 2047 encoded-words
 * decoded, as many mailers put them in quoted file names. Returns 0, or -1
 * when out's limit is reached.
 */
int	mime_param_utf8(const struct mime_param *p, struct buf *out);

#endif
