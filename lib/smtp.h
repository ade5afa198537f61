/*
 * smtp - the SMTP client bulk delivers with (RFC 5321, RFC 2920).
 *
 * Two layers. The reply parser is pure and bounded: it takes bytes as they
 * came from the server and gives complete replies (multi-line ones joined),
 * with their RFC 3463 enhanced status code when present, and reads the
 * extensions an EHLO reply offers. A line longer than SMTP_LINE_MAX or a
 * reply of more than SMTP_REPLY_LINES_MAX lines is a protocol error, never
 * a reason to grow.
 *
 * The session runs on the caller's event_base (libevent bufferevents): it
 * connects, reads the greeting, says EHLO (HELO when EHLO is refused), does
 * STARTTLS when configured, then runs one transaction at a time: MAIL FROM
 * with SIZE, BODY=8BITMIME, SMTPUTF8 and the DSN requests (RFC 3461) when
 * offered and wanted, one RCPT per recipient, DATA, and the body,
 * dot-stuffed with CRLF line ends and written in one go with its final
 * ".\r\n" (a lone final dot in its own segment costs a delayed-ACK round
 * trip per message). With PIPELINING,
 * MAIL, every RCPT and DATA leave in one write. A session is reused across
 * transactions: with PIPELINING a RSET rides in front of each reused one;
 * without, RSET is sent only when the previous one was cut short. AUTH
 * PLAIN is used when credentials are configured and the relay offers AUTH.
 *
 * Each transaction ends in exactly one result callback giving, per
 * recipient, the reply that decides its fate: a recipient is delivered
 * only when its RCPT and the final DATA reply were both 2xx. A connection
 * lost, a timeout or a 421 ends the session; every recipient not yet
 * final gets a temporary (4xx) result.
 */
#ifndef HERALD_SMTP_H
#define HERALD_SMTP_H

#include <stddef.h>

struct buf;
struct event_base;

/* A reply line longer than this (with its CRLF) is a protocol error. */
#define SMTP_LINE_MAX		4096
#define SMTP_REPLY_LINES_MAX	128

/* "5.1.1": class, subject (3 digits at most), detail (3 digits at most). */
#define SMTP_ENH_MAX		12

struct smtp_reply {
	int	 code;			/* 200..599; 0 when none */
	char	 enh[SMTP_ENH_MAX];	/* enhanced status code or "" */
	char	*text;			/* lines' text joined by '\n'; owned */
	size_t	 nlines;
};

/*
 * Parse one complete reply at the start of data[0..len). Returns 1 and sets
 * *consumed to the bytes it used, 0 when more bytes are needed, -1 on a
 * protocol error (bad code, codes that differ between lines, a line too
 * long, too many lines). Lines may end in CRLF or a bare LF. The previous
 * contents of r are freed.
 */
int	smtp_reply_parse(const char *data, size_t len, size_t *consumed,
	    struct smtp_reply *r);
/* Set a reply by hand (a local verdict such as "message too big"). */
void	smtp_reply_set(struct smtp_reply *r, int code, const char *enh,
	    const char *text);
void	smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src);
void	smtp_reply_clear(struct smtp_reply *r);

/* What an EHLO reply offers. */
#define SMTP_EXT_PIPELINING	0x01
#define SMTP_EXT_SIZE		0x02
#define SMTP_EXT_8BITMIME	0x04
#define SMTP_EXT_SMTPUTF8	0x08
#define SMTP_EXT_STARTTLS	0x10
#define SMTP_EXT_AUTH		0x20
#define SMTP_EXT_ENHANCED	0x40	/* ENHANCEDSTATUSCODES */
#define SMTP_EXT_DSN		0x80	/* RFC 3461 delivery status notifications */

#define SMTP_AUTH_PLAIN		0x01
#define SMTP_AUTH_LOGIN		0x02
#define SMTP_AUTH_CRAM_MD5	0x04
#define SMTP_AUTH_XOAUTH2	0x08

struct smtp_ext {
	unsigned	flags;		/* SMTP_EXT_* */
	unsigned	auth;		/* SMTP_AUTH_* */
	size_t		size;		/* SIZE limit; 0 when none is announced */
};

/* Read the keywords of an EHLO reply (its lines after the first). */
void	smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ext *ext);

/*
 * The body as it goes after DATA: every line end (CRLF, LF or a bare CR)
 * becomes CRLF, a line starting with "." gets another, a missing final line
 * end is added, then ".\r\n". Appends to out; -1 if out's limit is reached.
 */
int	smtp_body_prepare(const char *msg, size_t len, struct buf *out);

/* The session. */

#define SMTP_TLS_OFF		0	/* never STARTTLS */
#define SMTP_TLS_MAY		1	/* when offered */
#define SMTP_TLS_REQUIRE	2	/* fail the session when not offered */

/* Timeouts in milliseconds; the defaults are RFC 5321 §4.5.3.2's. */
struct smtp_timeouts {
	int	connect;	/* 30 s (not in the RFC) */
	int	greeting;	/* 5 min */
	int	ehlo;		/* 5 min, also HELO, STARTTLS, AUTH, RSET, QUIT */
	int	mail;		/* 5 min */
	int	rcpt;		/* 5 min */
	int	data;		/* 2 min: the 354 */
	int	block;		/* 3 min: each write of the body */
	int	dot;		/* 10 min: the reply to the final dot */
};

struct smtp_config {
	const char	*host;		/* relay: a name or an address */
	int		 port;		/* 25 when 0 */
	const char	*helo;		/* our name; "localhost" when NULL */
	int		 tls;		/* SMTP_TLS_* */
	int		 tls_verify;	/* verify the relay's certificate */
	const char	*tls_ca_file;	/* else the system's store */
	const char	*auth_user;	/* AUTH PLAIN when both are set */
	const char	*auth_pass;
	struct smtp_timeouts to;
};

void	smtp_config_default(struct smtp_config *c);

/* A transaction's flags. */
#define SMTP_TXN_8BIT		0x01	/* body has 8-bit bytes: BODY=8BITMIME */
#define SMTP_TXN_UTF8		0x02	/* needs SMTPUTF8 (refused if not offered) */
#define SMTP_TXN_PREPARED	0x04	/* msg is smtp_body_prepare()'s output */
/*
 * Ask for delivery status notifications (RFC 3461) when the relay offers
 * DSN: MAIL gets RET=HDRS (and ENVID= when one is given), every RCPT
 * NOTIFY=SUCCESS,DELAY,FAILURE and ORCPT=rfc822;<the address> (left out
 * for an address that is not ASCII). A relay without DSN gets the
 * transaction without them: tracking is a wish, never a reason to fail.
 */
#define SMTP_TXN_DSN		0x08

/* An ENVID longer than this (before xtext encoding) is not sent. */
#define SMTP_ENVID_MAX		100

/* A recipient's fate in one transaction. */
#define SMTP_RCPT_DONE		0	/* RCPT and DATA were 2xx */
#define SMTP_RCPT_TEMP		1	/* retry later */
#define SMTP_RCPT_PERM		2	/* give up */

struct smtp_rcpt_result {
	const char		*rcpt;	/* the caller's string */
	int			 status;	/* SMTP_RCPT_* */
	struct smtp_reply	 reply;	/* the reply that decided it */
};

struct smtp_result {
	struct smtp_reply	 mail;	/* MAIL's reply, or a local verdict
					   (SIZE, SMTPUTF8, bad return path) */
	struct smtp_reply	 data;	/* DATA's final reply (or its refusal) */
	size_t			 nrcpt;
	struct smtp_rcpt_result	*rcpt;
	size_t			 ndone;	/* recipients with SMTP_RCPT_DONE */
};

struct smtp_session;

/*
 * What the session tells its owner besides transaction results. With
 * SMTP_EV_CLOSED, why is the relay's reply (221 after QUIT, a 421, a
 * refusal of the greeting, EHLO/HELO or AUTH) or a local 4xx verdict
 * (timeout, connection lost, protocol error, TLS failure); NULL when the
 * relay closed after our QUIT without a reply. The session must still be
 * freed.
 */
#define SMTP_EV_READY		1	/* handshake over: send a transaction */
#define SMTP_EV_CLOSED		2	/* session over */

typedef void smtp_event_cb(struct smtp_session *s, int event,
	    const struct smtp_reply *why, void *arg);
typedef void smtp_result_cb(struct smtp_session *s,
	    const struct smtp_result *res, void *arg);

/* The config's strings must outlive the session. */
struct smtp_session *smtp_session_new(struct event_base *base,
	    const struct smtp_config *cfg, smtp_event_cb *cb, void *arg);
/* Start connecting; the outcome comes through the event callback. */
int	smtp_session_connect(struct smtp_session *s);
/*
 * Start a transaction. Only when the session is idle (after SMTP_EV_READY
 * or inside/after the previous result callback); -1 otherwise. The strings
 * and msg must stay valid until the result callback.
 */
int	smtp_session_send(struct smtp_session *s, const char *return_path,
	    const char *const *rcpts, size_t nrcpt, const char *msg,
	    size_t len, unsigned flags, smtp_result_cb *cb, void *arg);
/*
 * The same with the envelope id that SMTP_TXN_DSN sends as ENVID= (NULL
 * or "": none; it is copied, and one longer than SMTP_ENVID_MAX is left
 * out). smtp_session_send() is this with envid NULL.
 */
int	smtp_session_send_envid(struct smtp_session *s,
	    const char *return_path, const char *envid,
	    const char *const *rcpts, size_t nrcpt, const char *msg,
	    size_t len, unsigned flags, smtp_result_cb *cb, void *arg);
int	smtp_session_idle(const struct smtp_session *s);
/* The extensions the relay offered (valid after SMTP_EV_READY). */
const struct smtp_ext *smtp_session_ext(const struct smtp_session *s);
/* Say QUIT when idle (now or after the transaction in flight), then close. */
void	smtp_session_quit(struct smtp_session *s);
/* Close at once; may be called from a callback. No callback follows. */
void	smtp_session_free(struct smtp_session *s);

#endif
