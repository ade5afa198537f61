/*
 * smtp - the SMTP client session on libevent (see smtp.h).
 *
 * Every command sent pushes what it expects on a small queue; replies are
 * matched to it in order, which is all PIPELINING (RFC 2920) needs. One
 * timer waits for the reply at the head of the queue with that phase's
 * timeout. Callbacks may free the session: entry points from libevent count
 * their depth, and the session is destroyed when the outermost returns.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "codec.h"
#include "log.h"
#include "mem.h"
#include "smtp.h"

/* A message bigger than this cannot be sent through this client. */
#define SMTP_BODY_MAX		((size_t)1 << 30)
/* Bytes of input looked at for one reply: its longest possible size. */
#define SMTP_REPLY_BYTES_MAX	((size_t)SMTP_LINE_MAX * SMTP_REPLY_LINES_MAX)

enum state {
	ST_NEW,
	ST_CONNECTING,
	ST_GREETING,
	ST_EHLO,
	ST_HELO,
	ST_STARTTLS,
	ST_TLS_HANDSHAKE,
	ST_AUTH,
	ST_IDLE,
	ST_TXN,
	ST_QUIT,
	ST_CLOSED
};

enum cmd {
	CMD_RSET,
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_DOT
};

struct expect {
	enum cmd	cmd;
	size_t		idx;		/* CMD_RCPT: the recipient */
};

struct txn {
	const char		*rp;
	unsigned		 flags;
	char			 envid[SMTP_ENVID_MAX + 1];	/* "" none */
	struct buf		 body;	/* when not SMTP_TXN_PREPARED */
	const char		*wire;	/* the body as it goes out */
	size_t			 wirelen;
	smtp_result_cb		*cb;
	void			*arg;
	struct smtp_result	 res;
	unsigned char		*final;	/* per recipient: decided locally */
	size_t			 next;	/* without pipelining: next RCPT */
	size_t			 accepted;
	int			 aborted;	/* a 354 came with nobody to send to */
};

struct smtp_session {
	struct event_base	*base;
	struct smtp_config	 cfg;
	smtp_event_cb		*cb;
	void			*arg;
	struct bufferevent	*bev;
	struct event		*timer;
	struct event		*later;	/* runs finish_later() */
	enum state		 state;
	struct smtp_ext		 ext;
	int			 tls_done;
	int			 ready_told;
	int			 need_rset;
	size_t			 ntxn;		/* transactions begun */
	int			 quit_wanted;
	int			 depth;
	int			 dead;
	struct expect		*exp;
	size_t			 exp_head, exp_len, exp_cap;
	int			 in_txn;
	struct txn		 txn;
	struct smtp_reply	 pending_close;	/* for a close from later */
	SSL_CTX			*ssl_ctx;
};

static void	read_cb(struct bufferevent *, void *);
static void	event_cb(struct bufferevent *, short, void *);
static void	fail_session(struct smtp_session *, const struct smtp_reply *);
static void	send_quit(struct smtp_session *);

void
smtp_config_default(struct smtp_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 25;
	c->helo = "localhost";
	c->tls = SMTP_TLS_OFF;
	c->to.connect = 30 * 1000;
	c->to.greeting = 5 * 60 * 1000;
	c->to.ehlo = 5 * 60 * 1000;
	c->to.mail = 5 * 60 * 1000;
	c->to.rcpt = 5 * 60 * 1000;
	c->to.data = 2 * 60 * 1000;
	c->to.block = 3 * 60 * 1000;
	c->to.dot = 10 * 60 * 1000;
}

struct smtp_session *
smtp_session_new(struct event_base *base, const struct smtp_config *cfg,
    smtp_event_cb *cb, void *arg)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	s->base = base;
	s->cfg = *cfg;
	if (s->cfg.port == 0)
		s->cfg.port = 25;
	if (s->cfg.helo == NULL)
		s->cfg.helo = "localhost";
	s->cb = cb;
	s->arg = arg;
	s->state = ST_NEW;
	return s;
}

/* Timers. */

static void
arm_ms(struct smtp_session *s, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(s->timer, &tv);
}

/* Wait for the reply now expected, with its phase's timeout. */
static void
rearm(struct smtp_session *s)
{
	const struct smtp_timeouts *to = &s->cfg.to;

	switch (s->state) {
	case ST_CONNECTING:
	case ST_TLS_HANDSHAKE:
		arm_ms(s, to->connect);
		return;
	case ST_GREETING:
		arm_ms(s, to->greeting);
		return;
	case ST_EHLO:
	case ST_HELO:
	case ST_STARTTLS:
	case ST_AUTH:
	case ST_QUIT:
		arm_ms(s, to->ehlo);
		return;
	case ST_TXN:
		if (s->exp_head == s->exp_len)
			break;
		switch (s->exp[s->exp_head].cmd) {
		case CMD_RSET:
			arm_ms(s, to->ehlo);
			return;
		case CMD_MAIL:
			arm_ms(s, to->mail);
			return;
		case CMD_RCPT:
			arm_ms(s, to->rcpt);
			return;
		case CMD_DATA:
			arm_ms(s, to->data);
			return;
		case CMD_DOT:
			/* From the write, not its end: block covers slow writes. */
			arm_ms(s, to->dot);
			return;
		}
		break;
	default:
		break;
	}
	evtimer_del(s->timer);
}

/* Output. */

static void
expect(struct smtp_session *s, enum cmd cmd, size_t idx)
{
	if (s->exp_head == s->exp_len)
		s->exp_head = s->exp_len = 0;
	if (s->exp_len == s->exp_cap) {
		s->exp_cap = s->exp_cap ? s->exp_cap * 2 : 16;
		s->exp = xreallocarray(s->exp, s->exp_cap, sizeof(*s->exp));
	}
	s->exp[s->exp_len].cmd = cmd;
	s->exp[s->exp_len].idx = idx;
	s->exp_len++;
}

static void
send_bytes(struct smtp_session *s, const void *p, size_t n)
{
	if (bufferevent_write(s->bev, p, n) < 0) {
		struct smtp_reply r = { 0 };

		smtp_reply_set(&r, 451, "4.3.0", "cannot queue output");
		fail_session(s, &r);
		smtp_reply_clear(&r);
	}
}

static void
send_line(struct smtp_session *s, const char *line)
{
	struct buf b = BUF_INIT(SMTP_LINE_MAX);

	if (buf_puts(&b, line) == 0 && buf_append(&b, "\r\n", 2) == 0)
		send_bytes(s, b.data, b.len);
	buf_free(&b);
}

/* Callbacks, with the depth count that makes smtp_session_free safe. */

static void
destroy(struct smtp_session *s)
{
	if (s->in_txn) {
		for (size_t i = 0; i < s->txn.res.nrcpt; i++)
			smtp_reply_clear(&s->txn.res.rcpt[i].reply);
		free(s->txn.res.rcpt);
		free(s->txn.final);
		smtp_reply_clear(&s->txn.res.mail);
		smtp_reply_clear(&s->txn.res.data);
		buf_free(&s->txn.body);
	}
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->later != NULL)
		event_free(s->later);
	if (s->ssl_ctx != NULL)
		SSL_CTX_free(s->ssl_ctx);
	smtp_reply_clear(&s->pending_close);
	free(s->exp);
	free(s);
}

static void
enter(struct smtp_session *s)
{
	s->depth++;
}

/* Leave a libevent entry point; 1 if the session is gone. */
static int
leave(struct smtp_session *s)
{
	if (--s->depth == 0 && s->dead) {
		destroy(s);
		return 1;
	}
	return 0;
}

static void
tell(struct smtp_session *s, int event, const struct smtp_reply *why)
{
	if (s->cb != NULL && !s->dead)
		s->cb(s, event, why, s->arg);
}

static int
reply_class(const struct smtp_reply *r)
{
	return r->code / 100;
}

static int
status_of(const struct smtp_reply *r)
{
	switch (reply_class(r)) {
	case 2:
		return SMTP_RCPT_DONE;
	case 5:
		return SMTP_RCPT_PERM;
	default:
		return SMTP_RCPT_TEMP;
	}
}

/*
 * Decide every recipient and hand the result over. When lost is set the
 * session died: recipients still waiting for a reply (or accepted and
 * waiting for the end of DATA) get it, a temporary reply.
 */
static void
finish_txn(struct smtp_session *s, const struct smtp_reply *lost)
{
	struct txn t = s->txn;
	struct smtp_result *res = &t.res;
	int mail_failed = res->mail.code != 0 && reply_class(&res->mail) != 2;

	for (size_t i = 0; i < res->nrcpt; i++) {
		struct smtp_rcpt_result *rr = &res->rcpt[i];
		const struct smtp_reply *by;

		if (t.final[i])
			continue;
		if (mail_failed)
			by = &res->mail;
		else if (rr->reply.code != 0 && reply_class(&rr->reply) != 2)
			by = &rr->reply;
		else if (lost == NULL && res->data.code != 0)
			by = &res->data;
		else
			by = lost;
		if (by == NULL) {
			/* Unreachable by construction; never report success. */
			smtp_reply_set(&rr->reply, 451, "4.3.0", "no reply");
		} else if (by != &rr->reply)
			smtp_reply_copy(&rr->reply, by);
		rr->status = status_of(&rr->reply);
		/* Whatever the relay said, a lost session is temporary. */
		if (by == lost && rr->status != SMTP_RCPT_TEMP)
			rr->status = SMTP_RCPT_TEMP;
	}
	for (size_t i = 0; i < res->nrcpt; i++)
		if (res->rcpt[i].status == SMTP_RCPT_DONE)
			res->ndone++;
	memset(&s->txn, 0, sizeof(s->txn));
	s->in_txn = 0;
	s->exp_head = s->exp_len = 0;
	if (s->state == ST_TXN)
		s->state = ST_IDLE;
	evtimer_del(s->timer);
	if (t.cb != NULL && !s->dead)
		t.cb(s, res, t.arg);
	if (!s->dead && s->state == ST_IDLE && !s->in_txn && s->quit_wanted)
		send_quit(s);
	for (size_t i = 0; i < res->nrcpt; i++)
		smtp_reply_clear(&res->rcpt[i].reply);
	free(res->rcpt);
	free(t.final);
	smtp_reply_clear(&res->mail);
	smtp_reply_clear(&res->data);
	buf_free(&t.body);
}

static void
close_bev(struct smtp_session *s)
{
	if (s->bev != NULL) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	evtimer_del(s->timer);
	s->state = ST_CLOSED;
}

/* The session is over, badly: the transaction in flight fails with why. */
static void
fail_session(struct smtp_session *s, const struct smtp_reply *why)
{
	if (s->state == ST_CLOSED)
		return;
	log_debug("smtp %s:%d: session ends: %d %s", s->cfg.host, s->cfg.port,
	    why->code, why->text != NULL ? why->text : "");
	close_bev(s);
	if (s->in_txn)
		finish_txn(s, why);
	tell(s, SMTP_EV_CLOSED, why);
}

static void
fail_local(struct smtp_session *s, int code, const char *enh, const char *text)
{
	struct smtp_reply r = { 0 };

	smtp_reply_set(&r, code, enh, text);
	fail_session(s, &r);
	smtp_reply_clear(&r);
}

/* Handshake. */

static void
send_quit(struct smtp_session *s)
{
	s->state = ST_QUIT;
	send_line(s, "QUIT");
	rearm(s);
}

static void
become_ready(struct smtp_session *s)
{
	s->state = ST_IDLE;
	evtimer_del(s->timer);
	if (s->quit_wanted) {
		send_quit(s);
		return;
	}
	if (!s->ready_told) {
		s->ready_told = 1;
		tell(s, SMTP_EV_READY, NULL);
	}
}

static void
send_hello(struct smtp_session *s, const char *verb, enum state st)
{
	struct buf b = BUF_INIT(SMTP_LINE_MAX);

	s->state = st;
	if (buf_printf(&b, "%s %s", verb, s->cfg.helo) < 0)
		fail_local(s, 451, "4.3.0", "HELO name too long");
	else
		send_line(s, b.data);
	buf_free(&b);
	if (s->state == st)
		rearm(s);
}

static void
send_auth(struct smtp_session *s)
{
	struct buf raw = BUF_INIT(SMTP_LINE_MAX), b = BUF_INIT(SMTP_LINE_MAX * 2);

	/* RFC 4616: authzid NUL authcid NUL passwd. */
	if (buf_putc(&raw, '\0') < 0 || buf_puts(&raw, s->cfg.auth_user) < 0 ||
	    buf_putc(&raw, '\0') < 0 || buf_puts(&raw, s->cfg.auth_pass) < 0 ||
	    buf_puts(&b, "AUTH PLAIN ") < 0 ||
	    codec_base64_encode(raw.data, raw.len, &b, 0) < 0) {
		fail_local(s, 454, "4.7.0", "AUTH credentials too long");
	} else {
		s->state = ST_AUTH;
		send_line(s, b.data);
		if (s->state == ST_AUTH)
			rearm(s);
	}
	buf_free(&raw);
	buf_free(&b);
}

static int
want_auth(const struct smtp_session *s)
{
	return s->cfg.auth_user != NULL && s->cfg.auth_pass != NULL;
}

static int
host_is_address(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static void
start_tls(struct smtp_session *s)
{
	struct bufferevent *tb;
	SSL *ssl;

	if (s->ssl_ctx == NULL) {
		if ((s->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			goto fail;
		SSL_CTX_set_min_proto_version(s->ssl_ctx, TLS1_2_VERSION);
		if (s->cfg.tls_verify) {
			SSL_CTX_set_verify(s->ssl_ctx, SSL_VERIFY_PEER, NULL);
			if ((s->cfg.tls_ca_file != NULL ?
			    SSL_CTX_load_verify_locations(s->ssl_ctx,
			    s->cfg.tls_ca_file, NULL) :
			    SSL_CTX_set_default_verify_paths(s->ssl_ctx)) != 1)
				goto fail;
		}
	}
	if ((ssl = SSL_new(s->ssl_ctx)) == NULL)
		goto fail;
	/* RFC 6066 §3: no SNI for an address literal. */
	if (!host_is_address(s->cfg.host))
		SSL_set_tlsext_host_name(ssl, s->cfg.host);
	if (s->cfg.tls_verify && SSL_set1_host(ssl, s->cfg.host) != 1) {
		SSL_free(ssl);
		goto fail;
	}
	tb = bufferevent_openssl_filter_new(s->base, s->bev, ssl,
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (tb == NULL) {
		SSL_free(ssl);
		goto fail;
	}
	s->bev = tb;
	bufferevent_setcb(tb, read_cb, NULL, event_cb, s);
	bufferevent_enable(tb, EV_READ | EV_WRITE);
	s->state = ST_TLS_HANDSHAKE;
	rearm(s);
	return;
fail:
	ERR_clear_error();
	fail_local(s, 454, "4.7.0", "cannot start TLS");
}

/* After EHLO (or HELO): STARTTLS, AUTH, or ready. */
static void
after_hello(struct smtp_session *s)
{
	if (s->cfg.tls != SMTP_TLS_OFF && !s->tls_done &&
	    (s->ext.flags & SMTP_EXT_STARTTLS)) {
		s->state = ST_STARTTLS;
		send_line(s, "STARTTLS");
		if (s->state == ST_STARTTLS)
			rearm(s);
		return;
	}
	if (s->cfg.tls == SMTP_TLS_REQUIRE && !s->tls_done) {
		fail_local(s, 454, "4.7.0", "STARTTLS required but not offered");
		return;
	}
	if (want_auth(s) && (s->ext.flags & SMTP_EXT_AUTH)) {
		send_auth(s);
		return;
	}
	become_ready(s);
}

static void
on_handshake_reply(struct smtp_session *s, const struct smtp_reply *r)
{
	switch (s->state) {
	case ST_GREETING:
		if (reply_class(r) == 2)
			send_hello(s, "EHLO", ST_EHLO);
		else
			fail_session(s, r);
		break;
	case ST_EHLO:
		if (reply_class(r) == 2) {
			smtp_ehlo_parse(r, &s->ext);
			after_hello(s);
		} else if (reply_class(r) == 5)
			send_hello(s, "HELO", ST_HELO);
		else
			fail_session(s, r);
		break;
	case ST_HELO:
		if (reply_class(r) == 2) {
			memset(&s->ext, 0, sizeof(s->ext));
			after_hello(s);
		} else
			fail_session(s, r);
		break;
	case ST_STARTTLS:
		if (reply_class(r) == 2) {
			/*
			 * Bytes after the 220 were sent in clear before the
			 * handshake: accepting them would let a man in the
			 * middle inject replies (CVE-2011-0411's mirror).
			 */
			if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
				fail_local(s, 451, "4.5.0",
				    "protocol error: data after STARTTLS reply");
			else
				start_tls(s);
			break;
		}
		if (s->cfg.tls == SMTP_TLS_REQUIRE) {
			fail_session(s, r);
			break;
		}
		s->tls_done = -1;	/* refused: go on in clear */
		if (want_auth(s) && (s->ext.flags & SMTP_EXT_AUTH))
			send_auth(s);
		else
			become_ready(s);
		break;
	case ST_AUTH:
		if (reply_class(r) == 2)
			become_ready(s);
		else
			fail_session(s, r);
		break;
	case ST_QUIT:
		close_bev(s);
		tell(s, SMTP_EV_CLOSED, r);
		break;
	default:
		fail_local(s, 451, "4.5.0", "protocol error: unexpected reply");
		break;
	}
}

/* Transactions. */

/* No byte that could end or split a command line. */
static int
address_ok(const char *a)
{
	for (; *a; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f || *a == '<' || *a == '>')
			return 0;
	return 1;
}

/* Whether this transaction asks for DSNs: wanted and offered. */
static int
want_dsn(const struct smtp_session *s)
{
	return (s->txn.flags & SMTP_TXN_DSN) && (s->ext.flags & SMTP_EXT_DSN);
}

/*
 * RFC 3461 §4's xtext: printable ASCII but '+' and '=' as itself, any
 * other byte as "+HH".
 */
static void
xtext_put(struct buf *out, const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c >= '!' && c <= '~' && c != '+' && c != '=')
			buf_putc(out, (char)c);
		else
			buf_printf(out, "+%02X", c);
	}
}

static int
is_ascii(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v >= 0x80)
			return 0;
	return 1;
}

static void
send_mail(struct smtp_session *s, struct buf *out)
{
	struct txn *t = &s->txn;

	buf_printf(out, "MAIL FROM:<%s>", t->rp);
	if (s->ext.flags & SMTP_EXT_SIZE)
		buf_printf(out, " SIZE=%zu", t->wirelen);
	if ((t->flags & SMTP_TXN_8BIT) && (s->ext.flags & SMTP_EXT_8BITMIME))
		buf_puts(out, " BODY=8BITMIME");
	if (t->flags & SMTP_TXN_UTF8)
		buf_puts(out, " SMTPUTF8");
	if (want_dsn(s)) {
		/* The headers are enough to know the message; not the body. */
		buf_puts(out, " RET=HDRS");
		if (t->envid[0] != '\0') {
			buf_puts(out, " ENVID=");
			xtext_put(out, t->envid);
		}
	}
	buf_puts(out, "\r\n");
	expect(s, CMD_MAIL, 0);
}

/* The next recipient still to be sent from t->next on; nrcpt if none. */
static size_t
next_rcpt(const struct txn *t)
{
	size_t i = t->next;

	while (i < t->res.nrcpt && t->final[i])
		i++;
	return i;
}

static void
add_rcpt(struct smtp_session *s, struct buf *out, size_t i)
{
	const char *rcpt = s->txn.res.rcpt[i].rcpt;

	buf_printf(out, "RCPT TO:<%s>", rcpt);
	if (want_dsn(s)) {
		buf_puts(out, " NOTIFY=SUCCESS,DELAY,FAILURE");
		/*
		 * The report then names the address we sent to, whatever the
		 * relay makes of it. An address that is not ASCII would need
		 * RFC 6533's utf-8 type: none is better than a wrong one.
		 */
		if (is_ascii(rcpt)) {
			buf_puts(out, " ORCPT=rfc822;");
			xtext_put(out, rcpt);
		}
	}
	buf_puts(out, "\r\n");
	expect(s, CMD_RCPT, i);
}

static void
flush(struct smtp_session *s, struct buf *out)
{
	if (out->len > 0)
		send_bytes(s, out->data, out->len);
	buf_free(out);
	if (s->state == ST_TXN)
		rearm(s);
}

/* Send what comes next without pipelining: one command. */
static void
step(struct smtp_session *s, enum cmd after)
{
	struct txn *t = &s->txn;
	struct buf out = BUF_INIT(SMTP_LINE_MAX * 2);
	size_t i;

	switch (after) {
	case CMD_RSET:
		send_mail(s, &out);
		break;
	case CMD_MAIL:
	case CMD_RCPT:
		if ((i = next_rcpt(t)) < t->res.nrcpt) {
			t->next = i + 1;
			add_rcpt(s, &out, i);
		} else if (t->accepted > 0) {
			buf_puts(&out, "DATA\r\n");
			expect(s, CMD_DATA, 0);
		} else {
			buf_free(&out);
			s->need_rset = 1;
			finish_txn(s, NULL);
			return;
		}
		break;
	default:
		break;
	}
	flush(s, &out);
}

static void
on_txn_reply(struct smtp_session *s, const struct smtp_reply *r)
{
	struct txn *t = &s->txn;
	int pipelined = (s->ext.flags & SMTP_EXT_PIPELINING) != 0;
	struct expect e;

	if (s->exp_head == s->exp_len) {
		fail_local(s, 451, "4.5.0", "protocol error: unexpected reply");
		return;
	}
	e = s->exp[s->exp_head++];
	switch (e.cmd) {
	case CMD_RSET:
		s->need_rset = 0;
		if (!pipelined)
			step(s, CMD_RSET);
		else
			rearm(s);
		return;
	case CMD_MAIL:
		smtp_reply_copy(&t->res.mail, r);
		if (reply_class(r) != 2 && !pipelined) {
			s->need_rset = 1;
			finish_txn(s, NULL);
		} else if (!pipelined)
			step(s, CMD_MAIL);
		else
			rearm(s);
		return;
	case CMD_RCPT:
		smtp_reply_copy(&t->res.rcpt[e.idx].reply, r);
		if (reply_class(r) == 2 && reply_class(&t->res.mail) == 2)
			t->accepted++;
		if (!pipelined)
			step(s, CMD_RCPT);
		else
			rearm(s);
		return;
	case CMD_DATA:
		if (r->code == 354) {
			if (t->accepted == 0 || reply_class(&t->res.mail) != 2) {
				/* Pipelined DATA went through although nobody
				 * was accepted: end it empty. */
				t->aborted = 1;
				send_bytes(s, ".\r\n", 3);
			} else
				send_bytes(s, t->wire, t->wirelen);
			expect(s, CMD_DOT, 0);
			if (s->state == ST_TXN)
				rearm(s);
			return;
		}
		smtp_reply_copy(&t->res.data, r);
		s->need_rset = 1;
		finish_txn(s, NULL);
		return;
	case CMD_DOT:
		if (!t->aborted)
			smtp_reply_copy(&t->res.data, r);
		s->need_rset = 0;
		finish_txn(s, NULL);
		return;
	}
}

static void
later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)fd;
	(void)what;
	enter(s);
	if (s->pending_close.code != 0) {
		struct smtp_reply r = s->pending_close;

		memset(&s->pending_close, 0, sizeof(s->pending_close));
		fail_session(s, &r);
		smtp_reply_clear(&r);
	} else if (s->in_txn && s->state == ST_TXN && s->exp_len == 0)
		finish_txn(s, NULL);	/* decided locally: nothing was sent */
	leave(s);
}

static void
run_later(struct smtp_session *s)
{
	struct timeval zero = { 0, 0 };

	evtimer_add(s->later, &zero);
}

int
smtp_session_send(struct smtp_session *s, const char *return_path,
    const char *const *rcpts, size_t nrcpt, const char *msg, size_t len,
    unsigned flags, smtp_result_cb *cb, void *arg)
{
	return smtp_session_send_envid(s, return_path, NULL, rcpts, nrcpt,
	    msg, len, flags, cb, arg);
}

int
smtp_session_send_envid(struct smtp_session *s, const char *return_path,
    const char *envid, const char *const *rcpts, size_t nrcpt,
    const char *msg, size_t len, unsigned flags, smtp_result_cb *cb,
    void *arg)
{
	struct txn *t = &s->txn;
	struct buf out = BUF_INIT(BUF_UNLIMITED);
	const char *local = NULL, *enh = NULL;
	int code = 0;
	size_t nsend = 0;

	if (s->state != ST_IDLE || s->in_txn || s->dead || nrcpt == 0)
		return -1;
	memset(t, 0, sizeof(*t));
	s->in_txn = 1;
	s->state = ST_TXN;
	s->exp_head = s->exp_len = 0;
	t->rp = return_path;
	t->flags = flags;
	if (envid != NULL) {
		size_t n = strlen(envid);

		if (n <= SMTP_ENVID_MAX)
			memcpy(t->envid, envid, n + 1);
		else
			log_warn("smtp: an envelope id of %zu bytes is not "
			    "sent", n);
	}
	t->cb = cb;
	t->arg = arg;
	t->res.nrcpt = nrcpt;
	t->res.rcpt = xcalloc(nrcpt, sizeof(*t->res.rcpt));
	t->final = xcalloc(nrcpt, 1);
	if (flags & SMTP_TXN_PREPARED) {
		t->wire = msg;
		t->wirelen = len;
	} else {
		buf_init(&t->body, SMTP_BODY_MAX);
		if (smtp_body_prepare(msg, len, &t->body) < 0) {
			code = 552, enh = "5.3.4", local = "message too big";
		}
		t->wire = t->body.data;
		t->wirelen = t->body.len;
	}
	for (size_t i = 0; i < nrcpt; i++) {
		t->res.rcpt[i].rcpt = rcpts[i];
		t->res.rcpt[i].status = SMTP_RCPT_TEMP;
		if (!address_ok(rcpts[i])) {
			smtp_reply_set(&t->res.rcpt[i].reply, 501, "5.1.3",
			    "bad recipient address syntax");
			t->res.rcpt[i].status = SMTP_RCPT_PERM;
			t->final[i] = 1;
		} else
			nsend++;
	}
	if (local != NULL)
		;
	else if (!address_ok(return_path))
		code = 501, enh = "5.1.7", local = "bad return path syntax";
	else if ((flags & SMTP_TXN_UTF8) && !(s->ext.flags & SMTP_EXT_SMTPUTF8))
		code = 553, enh = "5.6.7", local = "relay does not offer SMTPUTF8";
	else if (s->ext.size > 0 && t->wirelen > s->ext.size)
		code = 552, enh = "5.3.4", local = "message bigger than relay's SIZE";
	if (local != NULL)
		smtp_reply_set(&t->res.mail, code, enh, local);
	if (local != NULL || nsend == 0) {
		/* Nothing to say to the relay: the result comes from the loop. */
		run_later(s);
		return 0;
	}
	/*
	 * Pipelined, a RSET before each reused transaction is free (it rides
	 * in the same write) and clears any state a relay kept; without
	 * pipelining it costs a round trip, so only when needed.
	 */
	if ((s->ext.flags & SMTP_EXT_PIPELINING) && s->ntxn > 0)
		s->need_rset = 1;
	s->ntxn++;
	if (s->need_rset) {
		buf_puts(&out, "RSET\r\n");
		expect(s, CMD_RSET, 0);
	}
	if (!(s->ext.flags & SMTP_EXT_PIPELINING)) {
		if (!s->need_rset)
			send_mail(s, &out);
	} else {
		send_mail(s, &out);
		for (size_t i = 0; i < nrcpt; i++)
			if (!t->final[i])
				add_rcpt(s, &out, i);
		t->next = nrcpt;
		buf_puts(&out, "DATA\r\n");
		expect(s, CMD_DATA, 0);
	}
	enter(s);
	flush(s, &out);
	leave(s);
	return 0;
}

/* Input. */

static void
handle_reply(struct smtp_session *s, const struct smtp_reply *r)
{
	/* RFC 5321 §3.8: 421 may come at any time and ends the session. */
	if (r->code == 421 && s->state != ST_QUIT) {
		fail_session(s, r);
		return;
	}
	if (s->state == ST_TXN)
		on_txn_reply(s, r);
	else
		on_handshake_reply(s, r);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	enter(s);
	while (!s->dead && s->state != ST_CLOSED && s->bev == bev) {
		struct smtp_reply r = { 0 };
		size_t len = evbuffer_get_length(in), used = 0;
		const char *p;
		int rc;

		if (len == 0)
			break;
		if (len > SMTP_REPLY_BYTES_MAX)
			len = SMTP_REPLY_BYTES_MAX;
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		if ((rc = smtp_reply_parse(p, len, &used, &r)) == 0)
			break;
		if (rc < 0) {
			fail_local(s, 451, "4.5.0", "protocol error: bad reply");
			break;
		}
		evbuffer_drain(in, used);
		if (s->state == ST_CONNECTING || s->state == ST_TLS_HANDSHAKE ||
		    s->state == ST_IDLE) {
			if (r.code == 421)
				fail_session(s, &r);
			else
				fail_local(s, 451, "4.5.0",
				    "protocol error: unexpected reply");
		} else
			handle_reply(s, &r);
		smtp_reply_clear(&r);
	}
	leave(s);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)bev;
	enter(s);
	if (what & BEV_EVENT_CONNECTED) {
		if (s->state == ST_CONNECTING) {
			s->state = ST_GREETING;
			rearm(s);
		} else if (s->state == ST_TLS_HANDSHAKE) {
			s->tls_done = 1;
			send_hello(s, "EHLO", ST_EHLO);
		}
	} else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		if (s->state == ST_QUIT) {
			close_bev(s);
			tell(s, SMTP_EV_CLOSED, NULL);
		} else if (what & BEV_EVENT_TIMEOUT)
			fail_local(s, 451, "4.4.2", "timeout writing to relay");
		else if (s->state == ST_CONNECTING)
			fail_local(s, 451, "4.4.1", "cannot connect to relay");
		else if (s->state == ST_TLS_HANDSHAKE)
			fail_local(s, 454, "4.7.0", "TLS handshake failed");
		else
			fail_local(s, 451, "4.4.2", "connection lost");
	}
	leave(s);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)fd;
	(void)what;
	enter(s);
	fail_local(s, 451, "4.4.2", s->state == ST_CONNECTING ?
	    "timeout connecting to relay" : "timeout waiting for relay");
	leave(s);
}

int
smtp_session_connect(struct smtp_session *s)
{
	struct timeval block;

	if (s->state != ST_NEW || s->cfg.host == NULL)
		return -1;
	s->timer = evtimer_new(s->base, timer_cb, s);
	s->later = evtimer_new(s->base, later_cb, s);
	s->bev = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (s->timer == NULL || s->later == NULL || s->bev == NULL)
		return -1;
	bufferevent_setcb(s->bev, read_cb, NULL, event_cb, s);
	block.tv_sec = s->cfg.to.block / 1000;
	block.tv_usec = (s->cfg.to.block % 1000) * 1000;
	bufferevent_set_timeouts(s->bev, NULL, &block);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	s->state = ST_CONNECTING;
	rearm(s);
	enter(s);
	/* No evdns base: a name is resolved by a blocking getaddrinfo. */
	if (bufferevent_socket_connect_hostname(s->bev, NULL, AF_UNSPEC,
	    s->cfg.host, s->cfg.port) < 0 && s->state == ST_CONNECTING) {
		smtp_reply_set(&s->pending_close, 451, "4.4.1",
		    "cannot connect to relay");
		run_later(s);
	}
	leave(s);
	return 0;
}

int
smtp_session_idle(const struct smtp_session *s)
{
	return s->state == ST_IDLE && !s->in_txn && !s->dead;
}

const struct smtp_ext *
smtp_session_ext(const struct smtp_session *s)
{
	return &s->ext;
}

void
smtp_session_quit(struct smtp_session *s)
{
	s->quit_wanted = 1;
	if (s->state == ST_IDLE && !s->in_txn) {
		enter(s);
		send_quit(s);
		leave(s);
	}
}

void
smtp_session_free(struct smtp_session *s)
{
	if (s == NULL)
		return;
	s->dead = 1;
	if (s->depth == 0)
		destroy(s);
}
