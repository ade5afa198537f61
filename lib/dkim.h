/*
 * dkim - DKIM signatures (RFC 6376) through libopendkim: signing the mail
 * Herald distributes, verifying the signatures of the mail it receives,
 * and telling which incoming signatures Herald's own changes break.
 *
 * Signing. A signer is made once per key (list or domain) and signs any
 * number of messages: rsa-sha256, relaxed/relaxed, d=, s=, optional i=,
 * the header fields of DKIM_SIGNED_FIELDS that are present, From,
 * List-Unsubscribe and List-Unsubscribe-Post over-signed (also when
 * absent: RFC 8058 wants the one-click pair covered, and nobody may add a
 * second From). Sign last: after every header and body transformation.
 * The output is the complete "DKIM-Signature:" field, folded, with the
 * message's own line ending, for the caller to prepend.
 *
 * libopendkim as Debian builds it cannot hash a body once for several
 * header sets: dkim_resign(), its only way to share a body between
 * handles, is compiled out (no _FFR_RESIGN; it returns NOTIMPLEMENT), and
 * even when present it needs every signing handle bound before the body
 * is fed. So the API is per message; a per-recipient signature costs one
 * pass over the body besides the RSA operation.
 *
 * Verification. Every DKIM-Signature field is checked, keys come from DNS
 * (libopendkim's resolver, with its cache) or from a keys file of lines
 * "selector._domainkey.domain v=DKIM1; k=rsa; p=..." (tests, offline
 * sites). Each signature gets an RFC 8601 result. Input may end its lines
 * in LF or CRLF: libopendkim is fed CRLF (it hashes garbage otherwise); a
 * leading mbox "From " line is not fed.
 *
 * Breakage. dkim_verify_broken() verifies the message as received and as
 * Herald will send it, with the same keys, and marks each signature that
 * passed before and does not after: the caller removes those fields.
 */
#ifndef HERALD_DKIM_H
#define HERALD_DKIM_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define DKIM_KEYFILE_MAX	(64 * 1024)	/* a private key file, bytes */
#define DKIM_MIN_KEY_BITS	1024		/* RFC 8301 */

/* The fields signed when present, in this order (From always). */
#define DKIM_SIGNED_FIELDS \
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", \
	"In-Reply-To", "References", "List-Id", "List-Help", \
	"List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", \
	"List-Post", "List-Owner", "List-Archive", "MIME-Version", \
	"Content-Type", "Content-Transfer-Encoding"

struct dkim_signer;
struct dkim_verifier;

struct dkim_sign_conf {
	const char	*key_path;	/* PEM (or bare base64 DER) RSA key */
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char	*identity;	/* i=; NULL or "" for none */
	time_t		 fixed_time;	/* t= for reproducible tests; 0: now */
};

/*
 * Load and check the key (readable, RSA, at least DKIM_MIN_KEY_BITS, not
 * encrypted) and prepare a signer; NULL with the reason in err.
 */
struct dkim_signer *dkim_signer_new(const struct dkim_sign_conf *conf,
	    struct buf *err);
/* Forget the signer; the key's bytes are wiped. NULL is fine. */
void	dkim_signer_free(struct dkim_signer *s);
/*
 * Sign len bytes of message and append the DKIM-Signature field (with
 * its final line end) to out. 0, or -1 with the reason in err (no From,
 * out's limit, libopendkim refused).
 */
int	dkim_signer_sign(struct dkim_signer *s, const char *msg, size_t len,
	    struct buf *out, struct buf *err);

/* RFC 8601 section 2.7.1 results. */
enum dkim_result {
	DKIM_RESULT_PASS,
	DKIM_RESULT_FAIL,	/* the hashes or the signature do not match */
	DKIM_RESULT_NEUTRAL,	/* not evaluated (ignored by the library) */
	DKIM_RESULT_TEMPERROR,	/* key lookup failed; a retry may succeed */
	DKIM_RESULT_PERMERROR	/* syntax, no key, bad key, expired... */
};

struct dkim_verify_conf {
	const char	*keys_file;	/* NULL: keys from DNS */
	unsigned int	 dns_timeout;	/* seconds; 0: libopendkim's (10) */
	unsigned int	 min_key_bits;	/* 0: DKIM_MIN_KEY_BITS */
	/*
	 * Judge t= and x= as at this time (0: now). libopendkim has no
	 * verification clock, so a time in the past widens its tolerated
	 * clock drift to reach it: a signature expired since then passes.
	 * For test vectors, never for live mail.
	 */
	time_t		 at;
};

/* One DKIM-Signature field. Strings are never NULL ("" when absent). */
struct dkim_sig {
	enum dkim_result result;
	char		*domain;	/* d= */
	char		*selector;	/* s= */
	char		*identity;	/* i= as written */
	char		*algorithm;	/* a=, e.g. "rsa-sha256" */
	char		*reason;	/* why not pass, libopendkim's words */
	unsigned int	 key_bits;	/* 0 when no key was loaded */
	size_t		 field;		/* nth DKIM-Signature field, from 0 */
	int		 broken;	/* dkim_verify_broken(): passed before */
};

struct dkim_results {
	struct dkim_sig	*sigs;		/* in the order of the fields */
	size_t		 nsigs;
};

struct dkim_verifier *dkim_verifier_new(const struct dkim_verify_conf *conf,
	    struct buf *err);
void	dkim_verifier_free(struct dkim_verifier *v);

/*
 * Verify every DKIM-Signature of a message into res (emptied first; no
 * signature is no entry). A message libopendkim cannot read gives each of
 * its signatures permerror. -1 with err only when resources fail.
 */
int	dkim_verify_message(struct dkim_verifier *v, const char *msg,
	    size_t len, struct dkim_results *res, struct buf *err);

/*
 * Verify after (the message as Herald will send it) into res, and set
 * broken on each of its signatures that passed in before (the message as
 * received) and does not pass now. Signatures are matched by their b=
 * value. 0, or -1 with err.
 */
int	dkim_verify_broken(struct dkim_verifier *v, const char *before,
	    size_t before_len, const char *after, size_t after_len,
	    struct dkim_results *res, struct buf *err);

void	dkim_results_free(struct dkim_results *res);

/* "pass", "fail", "neutral", "temperror", "permerror". */
const char *dkim_result_name(enum dkim_result r);

enum dkim_align {
	DKIM_ALIGN_STRICT,	/* d= is the domain */
	/*
	 * d= is the domain or a parent of it with at least two labels.
	 * Without a public-suffix list, d=co.uk would align with any
	 * domain under it; d=uk never does.
	 */
	DKIM_ALIGN_RELAXED
};

/*
 * Whether some passing signature aligns with domain (the sender's, e.g.
 * of From); case and a final dot do not matter. 1 or 0.
 */
int	dkim_aligned(const struct dkim_results *res, const char *domain,
	    enum dkim_align mode);

#endif
