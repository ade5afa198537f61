/*
 * smtp_test - the SMTP client: reply parser and body preparation from
 * tables; sessions against a scripted fake server in this process (exact
 * bytes received compared); one run against Postfix's smtp-sink when it is
 * installed, with a transactions-per-second figure (not asserted).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "smtp.h"
#include "testutil.h"

/* Reply parser. */

struct parse_case {
	const char	*in;
	int		 rc;
	size_t		 used;
	int		 code;
	const char	*enh;
	const char	*text;
	size_t		 nlines;
};

static const struct parse_case parse_cases[] = {
	{ "250 ok\r\n", 1, 8, 250, "", "ok", 1 },
	{ "250 ok\n", 1, 7, 250, "", "ok", 1 },
	{ "250\r\n", 1, 5, 250, "", "", 1 },
	{ "250 2.1.5 Ok\r\n", 1, 14, 250, "2.1.5", "Ok", 1 },
	{ "550 5.1.1 <a@b>: unknown\r\n", 1, 26, 550, "5.1.1", "<a@b>: unknown", 1 },
	/* An enhanced code of another class is text, not a code. */
	{ "550 2.1.1 odd\r\n", 1, 15, 550, "", "2.1.1 odd", 1 },
	{ "451 4.123.456\r\n", 1, 15, 451, "4.123.456", "", 1 },
	{ "451 4.1234.1 x\r\n", 1, 16, 451, "", "4.1234.1 x", 1 },
	{ "250-a\r\n250-b\r\n250 c\r\nrest", 1, 21, 250, "", "a\nb\nc", 3 },
	{ "250-2.0.0 a\r\n250 2.0.0 b\r\n", 1, 26, 250, "2.0.0", "a\nb", 2 },
	{ "220-hello\r\n220 there\r\n250 next\r\n", 1, 22, 220, "", "hello\nthere", 2 },
	/* Incomplete: more bytes needed. */
	{ "", 0, 0, 0, NULL, NULL, 0 },
	{ "25", 0, 0, 0, NULL, NULL, 0 },
	{ "250 ok", 0, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n", 0, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n250-b\r\n25", 0, 0, 0, NULL, NULL, 0 },
	/* Protocol errors. */
	{ "25\r\n", -1, 0, 0, NULL, NULL, 0 },
	{ "abc ok\r\n", -1, 0, 0, NULL, NULL, 0 },
	{ "199 no\r\n", -1, 0, 0, NULL, NULL, 0 },
	{ "600 no\r\n", -1, 0, 0, NULL, NULL, 0 },
	{ "260 no\r\n", -1, 0, 0, NULL, NULL, 0 },
	{ "250x\r\n", -1, 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n251 b\r\n", -1, 0, 0, NULL, NULL, 0 },
	{ "\r\n", -1, 0, 0, NULL, NULL, 0 },
};

static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct smtp_reply r = { 0 };
		size_t used = 0;
		int rc = smtp_reply_parse(c->in, strlen(c->in), &used, &r);

		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %d, want %d", i, c->in, rc, c->rc);
		if (rc == 1) {
			assert_int_equal(used, c->used);
			assert_int_equal(r.code, c->code);
			assert_string_equal(r.enh, c->enh);
			assert_string_equal(r.text, c->text);
			assert_int_equal(r.nlines, c->nlines);
		}
		smtp_reply_clear(&r);
	}
}

static void
test_parse_limits(void **state)
{
	struct buf b = BUF_INIT(BUF_UNLIMITED);
	struct smtp_reply r = { 0 };
	size_t used;

	(void)state;
	/* A line of exactly the limit, CRLF included, is fine. */
	buf_puts(&b, "250 ");
	while (b.len < SMTP_LINE_MAX - 2)
		buf_putc(&b, 'x');
	buf_puts(&b, "\r\n");
	assert_int_equal(smtp_reply_parse(b.data, b.len, &used, &r), 1);
	assert_int_equal(used, SMTP_LINE_MAX);
	/* One byte more without a line end: refused, not waited for. */
	buf_reset(&b);
	buf_puts(&b, "250 ");
	while (b.len < SMTP_LINE_MAX)
		buf_putc(&b, 'x');
	assert_int_equal(smtp_reply_parse(b.data, b.len, &used, &r), -1);
	/* Too many lines. */
	buf_reset(&b);
	for (int i = 0; i < SMTP_REPLY_LINES_MAX + 1; i++)
		buf_puts(&b, "250-x\r\n");
	buf_puts(&b, "250 x\r\n");
	assert_int_equal(smtp_reply_parse(b.data, b.len, &used, &r), -1);
	smtp_reply_clear(&r);
	buf_free(&b);
}

static void
test_ehlo(void **state)
{
	static const char ehlo[] =
	    "250-relay.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	    "250-8bitmime\r\n250-SMTPUTF8\r\n250-STARTTLS\r\n"
	    "250-AUTH PLAIN LOGIN CRAM-MD5\r\n250-AUTH=LOGIN\r\n"
	    "250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n";
	struct smtp_reply r = { 0 };
	struct smtp_ext e;
	size_t used;

	(void)state;
	assert_int_equal(smtp_reply_parse(ehlo, strlen(ehlo), &used, &r), 1);
	smtp_ehlo_parse(&r, &e);
	assert_int_equal(e.flags, SMTP_EXT_PIPELINING | SMTP_EXT_SIZE |
	    SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 | SMTP_EXT_STARTTLS |
	    SMTP_EXT_AUTH | SMTP_EXT_DSN | SMTP_EXT_ENHANCED);
	assert_int_equal(e.auth, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_CRAM_MD5);
	assert_int_equal(e.size, 10240000);
	/* A single-line reply offers nothing; the greeting name is no keyword. */
	assert_int_equal(smtp_reply_parse("250 PIPELINING\r\n", 16, &used, &r), 1);
	smtp_ehlo_parse(&r, &e);
	assert_int_equal(e.flags, 0);
	/* SIZE without a number, and one too big to hold: no limit. */
	assert_int_equal(smtp_reply_parse("250-x\r\n250-SIZE\r\n250 PIPELININGX\r\n",
	    34, &used, &r), 1);
	smtp_ehlo_parse(&r, &e);
	assert_int_equal(e.flags, SMTP_EXT_SIZE);
	assert_int_equal(e.size, 0);
	assert_int_equal(smtp_reply_parse("250-x\r\n250 SIZE 99999999999999999999999\r\n",
	    41, &used, &r), 1);
	smtp_ehlo_parse(&r, &e);
	assert_int_equal(e.size, 0);
	smtp_reply_clear(&r);
}

/* Body preparation. */

static const struct {
	const char	*in;
	const char	*out;
} body_cases[] = {
	{ "", ".\r\n" },
	{ "a\n", "a\r\n.\r\n" },
	{ "a\r\n", "a\r\n.\r\n" },
	{ "a", "a\r\n.\r\n" },
	{ "a\nb", "a\r\nb\r\n.\r\n" },
	{ ".\n", "..\r\n.\r\n" },
	{ ".a\n..b\nc.d\n.", "..a\r\n...b\r\nc.d\r\n..\r\n.\r\n" },
	{ "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n" },
	{ "a\rb\n", "a\r\nb\r\n.\r\n" },
	{ "a\n\n\nb\n", "a\r\n\r\n\r\nb\r\n.\r\n" },
	{ "\n.\n", "\r\n..\r\n.\r\n" },
	{ "x\r\r\n", "x\r\n\r\n.\r\n" },
};

static void
test_body_prepare(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		struct buf b = BUF_INIT(BUF_UNLIMITED);

		assert_int_equal(smtp_body_prepare(body_cases[i].in,
		    strlen(body_cases[i].in), &b), 0);
		if (strcmp(buf_cstr(&b), body_cases[i].out) != 0)
			fail_msg("body case %zu: got \"%s\"", i, buf_cstr(&b));
		buf_free(&b);
	}
	{
		struct buf b = BUF_INIT(4);

		assert_int_equal(smtp_body_prepare("abcdef\n", 7, &b), -1);
		buf_free(&b);
	}
}

/* The fake server: a script of (bytes awaited, reply sent). */

struct step {
	const char	*wait;		/* NULL: at once */
	const char	*reply;		/* NULL: nothing */
	int		 bytewise;	/* one byte per loop turn */
	int		 after;		/* AFTER_CLOSE, AFTER_TLS or 0 */
};

#define AFTER_CLOSE	1	/* close once the reply is out */
#define AFTER_TLS	2	/* start TLS as the server */

#define END	{ NULL, NULL, 0, 0 }

struct fake {
	struct event_base	*base;
	struct evconnlistener	*lis;
	int			 port;
	const struct step	*steps;
	size_t			 cur;
	struct bufferevent	*bev;
	struct buf		 rx;
	size_t			 matched;
	const char		*drip;
	struct event		*drip_ev;
	int			 close_when_flushed;
};

static void fake_advance(struct fake *f);
static void fake_read_cb(struct bufferevent *, void *);
static void fake_write_cb(struct bufferevent *, void *);
static void fake_event_cb(struct bufferevent *, short, void *);

/* The fake server's TLS context (a self-signed certificate for 127.0.0.1). */
static SSL_CTX *fake_tls;

static void
fake_start_tls(struct fake *f)
{
	SSL *ssl = SSL_new(fake_tls);

	assert_non_null(ssl);
	f->bev = bufferevent_openssl_filter_new(f->base, f->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(f->bev);
	bufferevent_setcb(f->bev, fake_read_cb, fake_write_cb, fake_event_cb, f);
	bufferevent_enable(f->bev, EV_READ | EV_WRITE);
}

static void
fake_close(struct fake *f)
{
	if (f->bev != NULL) {
		bufferevent_free(f->bev);
		f->bev = NULL;
	}
}

static void
fake_write_cb(struct bufferevent *bev, void *arg)
{
	struct fake *f = arg;

	(void)bev;
	if (f->close_when_flushed && f->drip == NULL)
		fake_close(f);
}

static void
fake_drip_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;
	struct timeval tv = { 0, 1000 };

	(void)fd;
	(void)what;
	if (f->bev == NULL || f->drip == NULL)
		return;
	bufferevent_write(f->bev, f->drip, 1);
	if (*++f->drip != '\0') {
		evtimer_add(f->drip_ev, &tv);
		return;
	}
	f->drip = NULL;
	fake_advance(f);
}

static void
fake_advance(struct fake *f)
{
	while (f->bev != NULL && f->drip == NULL && !f->close_when_flushed) {
		const struct step *st = &f->steps[f->cur];

		if (st->wait == NULL && st->reply == NULL && st->after == 0)
			return;
		if (st->wait != NULL) {
			const char *p = memmem(f->rx.data + f->matched,
			    f->rx.len - f->matched, st->wait, strlen(st->wait));

			if (p == NULL)
				return;
			f->matched = (size_t)(p - f->rx.data) + strlen(st->wait);
		}
		f->cur++;
		if (st->after == AFTER_CLOSE)
			f->close_when_flushed = 1;
		if (st->reply != NULL && st->bytewise) {
			f->drip = st->reply;
			fake_drip_cb(-1, 0, f);
		} else if (st->reply != NULL)
			bufferevent_write(f->bev, st->reply, strlen(st->reply));
		if (st->after == AFTER_TLS)
			fake_start_tls(f);
		if (st->after == AFTER_CLOSE && st->reply == NULL)
			fake_close(f);
	}
}

static void
fake_read_cb(struct bufferevent *bev, void *arg)
{
	struct fake *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);

	buf_append(&f->rx, evbuffer_pullup(in, (ev_ssize_t)n), n);
	evbuffer_drain(in, n);
	fake_advance(f);
}

static void
fake_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		fake_close(arg);
}

static void
fake_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct fake *f = arg;

	(void)l;
	(void)sa;
	(void)salen;
	f->bev = bufferevent_socket_new(f->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(f->bev, fake_read_cb, fake_write_cb, fake_event_cb, f);
	bufferevent_enable(f->bev, EV_READ | EV_WRITE);
	fake_advance(f);
}

static void
fake_start(struct fake *f, struct event_base *base, const struct step *steps)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	memset(f, 0, sizeof(*f));
	f->base = base;
	f->steps = steps;
	buf_init(&f->rx, BUF_UNLIMITED);
	buf_puts(&f->rx, "");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lis = evconnlistener_new_bind(base, fake_accept, f,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
	    (struct sockaddr *)&sin, sizeof(sin));
	assert_non_null(f->lis);
	getsockname(evconnlistener_get_fd(f->lis), (struct sockaddr *)&sin, &len);
	f->port = ntohs(sin.sin_port);
	f->drip_ev = evtimer_new(base, fake_drip_cb, f);
}

static void
fake_stop(struct fake *f)
{
	fake_close(f);
	evconnlistener_free(f->lis);
	event_free(f->drip_ev);
	buf_free(&f->rx);
}

/* The client side: jobs sent one after the other, results recorded. */

struct job {
	const char	*rp;
	const char	*rcpts[4];
	size_t		 nrcpt;
	const char	*msg;
	unsigned	 flags;
};

struct rec {
	int	 mail;
	int	 data;
	int	 status[4];
	int	 code[4];
	char	 enh[4][SMTP_ENH_MAX];
	size_t	 ndone;
};

struct run {
	const struct job	*jobs;
	size_t			 njobs, next;
	struct rec		 rec[8];
	size_t			 nrec;
	int			 ready;
	int			 closed;
	int			 why_code;
	char			 why_enh[SMTP_ENH_MAX];
	struct event_base	*base;
};

static void client_result(struct smtp_session *, const struct smtp_result *, void *);

/* The envelope id every job of the next run gives (NULL: none). */
static const char *client_envid;

static void
client_next(struct smtp_session *s, struct run *r)
{
	if (r->next < r->njobs) {
		const struct job *j = &r->jobs[r->next++];

		assert_int_equal(smtp_session_send_envid(s, j->rp, client_envid,
		    j->rcpts, j->nrcpt, j->msg, strlen(j->msg), j->flags,
		    client_result, r), 0);
	} else
		smtp_session_quit(s);
}

static void
client_result(struct smtp_session *s, const struct smtp_result *res, void *arg)
{
	struct run *r = arg;
	struct rec *rc = &r->rec[r->nrec++];

	rc->mail = res->mail.code;
	rc->data = res->data.code;
	rc->ndone = res->ndone;
	for (size_t i = 0; i < res->nrcpt && i < 4; i++) {
		rc->status[i] = res->rcpt[i].status;
		rc->code[i] = res->rcpt[i].reply.code;
		strcpy(rc->enh[i], res->rcpt[i].reply.enh);
	}
	/* A lost session is closed; otherwise the next one may start. */
	if (smtp_session_idle(s))
		client_next(s, r);
}

static void
client_event(struct smtp_session *s, int ev, const struct smtp_reply *why, void *arg)
{
	struct run *r = arg;

	if (ev == SMTP_EV_READY) {
		r->ready = 1;
		client_next(s, r);
		return;
	}
	r->closed = 1;
	if (why != NULL) {
		r->why_code = why->code;
		strcpy(r->why_enh, why->enh);
	}
	event_base_loopexit(r->base, NULL);
}

static void
run_script(const struct step *steps, const struct job *jobs, size_t njobs,
    struct smtp_config *cfg, struct run *r, struct buf *transcript,
    const struct smtp_ext **ext_out, struct smtp_ext *ext_copy)
{
	struct event_base *base = event_base_new();
	struct fake f;
	struct smtp_session *s;
	struct smtp_config def;
	struct timeval limit = { 5, 0 };

	(void)ext_out;
	fake_start(&f, base, steps);
	if (cfg == NULL) {
		smtp_config_default(&def);
		cfg = &def;
	}
	cfg->host = "127.0.0.1";
	cfg->port = f.port;
	cfg->helo = "test.example";
	memset(r, 0, sizeof(*r));
	r->jobs = jobs;
	r->njobs = njobs;
	r->base = base;
	s = smtp_session_new(base, cfg, client_event, r);
	assert_int_equal(smtp_session_connect(s), 0);
	event_base_loopexit(base, &limit);
	event_base_dispatch(base);
	assert_true(r->closed);
	if (ext_copy != NULL)
		*ext_copy = *smtp_session_ext(s);
	smtp_session_free(s);
	/* Let the fake read what is still in flight (QUIT). */
	{
		struct timeval tv = { 0, 20000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	buf_reset(transcript);
	buf_append(transcript, f.rx.data, f.rx.len);
	fake_stop(&f);
	event_base_free(base);
}

#define MSG_LF		"Subject: t\n\n.dot\nend\n"
#define MSG_WIRE	"Subject: t\r\n\r\n..dot\r\nend\r\n.\r\n"

static void
test_pipelined(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake ESMTP\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250-PIPELINING\r\n"
		    "250-SIZE 1000000\r\n250 8BITMIME\r\n", 0, 0 },
		{ "DATA\r\n", "250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 2.0.0 queued\r\n", 0, 0 },
		{ "QUIT\r\n", "221 2.0.0 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x", "b@x" }, 2, MSG_LF, SMTP_TXN_8BIT },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	run_script(steps, jobs, 1, NULL, &r, &t, NULL, NULL);
	assert_string_equal(buf_cstr(&t),
	    "EHLO test.example\r\n"
	    "MAIL FROM:<rp@x> SIZE=29 BODY=8BITMIME\r\n"
	    "RCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"
	    MSG_WIRE "QUIT\r\n");
	assert_int_equal(r.nrec, 1);
	assert_int_equal(r.rec[0].ndone, 2);
	assert_int_equal(r.rec[0].status[0], SMTP_RCPT_DONE);
	assert_int_equal(r.rec[0].status[1], SMTP_RCPT_DONE);
	assert_string_equal(r.rec[0].enh[1], "2.0.0");
	assert_int_equal(r.why_code, 221);
	buf_free(&t);
}

/*
 * DSN requests (RFC 3461) go only when wanted and offered: RET and ENVID
 * on MAIL, NOTIFY and an xtext ORCPT on every RCPT ('+' and '=' encoded;
 * none for an address that is not ASCII).
 */
static void
test_dsn_offered(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake ESMTP\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250-PIPELINING\r\n"
		    "250-SMTPUTF8\r\n250 DSN\r\n", 0, 0 },
		{ "DATA\r\n", "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		{ "DATA\r\n", "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "bounce+t-42=l=a=x@x", { "a@x", "b+c=d@x", "\xc3\xa9@x" }, 3,
		    "x", SMTP_TXN_DSN | SMTP_TXN_UTF8 },
		{ "rp@x", { "a@x" }, 1, "x", 0 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	client_envid = "42";
	run_script(steps, jobs, 2, NULL, &r, &t, NULL, NULL);
	client_envid = NULL;
	assert_string_equal(buf_cstr(&t),
	    "EHLO test.example\r\n"
	    "MAIL FROM:<bounce+t-42=l=a=x@x> SMTPUTF8 RET=HDRS ENVID=42\r\n"
	    "RCPT TO:<a@x> NOTIFY=SUCCESS,DELAY,FAILURE ORCPT=rfc822;a@x\r\n"
	    "RCPT TO:<b+c=d@x> NOTIFY=SUCCESS,DELAY,FAILURE"
	    " ORCPT=rfc822;b+2Bc+3Dd@x\r\n"
	    "RCPT TO:<\xc3\xa9@x> NOTIFY=SUCCESS,DELAY,FAILURE\r\n"
	    "DATA\r\nx\r\n.\r\n"
	    /* Not wanted: nothing, although offered. */
	    "RSET\r\nMAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n"
	    "x\r\n.\r\nQUIT\r\n");
	assert_int_equal(r.nrec, 2);
	assert_int_equal(r.rec[0].ndone, 3);
	assert_int_equal(r.rec[1].ndone, 1);
	buf_free(&t);
}

/* Wanted but not offered: the transaction goes plain, not refused. */
static void
test_dsn_not_offered(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 PIPELINING\r\n", 0, 0 },
		{ "DATA\r\n", "250 ok\r\n250 ok\r\n354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x" }, 1, "x", SMTP_TXN_DSN },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	client_envid = "42";
	run_script(steps, jobs, 1, NULL, &r, &t, NULL, NULL);
	client_envid = NULL;
	assert_string_equal(buf_cstr(&t), "EHLO test.example\r\n"
	    "MAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\nx\r\n.\r\n"
	    "QUIT\r\n");
	assert_int_equal(r.nrec, 1);
	assert_int_equal(r.rec[0].ndone, 1);
	buf_free(&t);
}

/* Without pipelining, and an envelope id too long to send: RET alone. */
static void
test_dsn_unpipelined_long_envid(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 DSN\r\n", 0, 0 },
		{ "MAIL FROM:<rp@x> RET=HDRS\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<a@x> NOTIFY=SUCCESS,DELAY,FAILURE ORCPT=rfc822;a@x\r\n",
		    "250 ok\r\n", 0, 0 },
		{ "DATA\r\n", "354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x" }, 1, "x", SMTP_TXN_DSN },
	};
	char envid[SMTP_ENVID_MAX + 2];
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	memset(envid, '7', sizeof(envid) - 1);
	envid[sizeof(envid) - 1] = '\0';
	client_envid = envid;
	run_script(steps, jobs, 1, NULL, &r, &t, NULL, NULL);
	client_envid = NULL;
	assert_string_equal(buf_cstr(&t), "EHLO test.example\r\n"
	    "MAIL FROM:<rp@x> RET=HDRS\r\n"
	    "RCPT TO:<a@x> NOTIFY=SUCCESS,DELAY,FAILURE ORCPT=rfc822;a@x\r\n"
	    "DATA\r\nx\r\n.\r\nQUIT\r\n");
	assert_int_equal(r.nrec, 1);
	assert_int_equal(r.rec[0].ndone, 1);
	buf_free(&t);
}

static void
test_unpipelined_rcpt_refused(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250 fake\r\n", 0, 0 },
		{ "MAIL FROM:<rp@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<a@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<bad@x>\r\n", "550 5.1.1 no such user\r\n", 0, 0 },
		{ "RCPT TO:<c@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "DATA\r\n", "354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		/* Second transaction: nothing refused before, so no RSET. */
		{ "MAIL FROM:<rp@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<a@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "DATA\r\n", "354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x", "bad@x", "c@x" }, 3, MSG_LF, SMTP_TXN_8BIT },
		{ "rp@x", { "a@x" }, 1, "x", 0 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	run_script(steps, jobs, 2, NULL, &r, &t, NULL, NULL);
	assert_string_equal(buf_cstr(&t),
	    "EHLO test.example\r\nMAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\n"
	    "RCPT TO:<bad@x>\r\nRCPT TO:<c@x>\r\nDATA\r\n" MSG_WIRE
	    "MAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
	assert_int_equal(r.nrec, 2);
	assert_int_equal(r.rec[0].ndone, 2);
	assert_int_equal(r.rec[0].status[0], SMTP_RCPT_DONE);
	assert_int_equal(r.rec[0].status[1], SMTP_RCPT_PERM);
	assert_int_equal(r.rec[0].code[1], 550);
	assert_string_equal(r.rec[0].enh[1], "5.1.1");
	assert_int_equal(r.rec[0].status[2], SMTP_RCPT_DONE);
	assert_int_equal(r.rec[1].ndone, 1);
	buf_free(&t);
}

static void
test_data_refusals_and_rset(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 PIPELINING\r\n", 0, 0 },
		/* 1: every RCPT refused, DATA refused. */
		{ "DATA\r\n", "250 ok\r\n550 5.1.1 no\r\n450 4.2.0 busy\r\n"
		    "554 5.5.1 no valid recipients\r\n", 0, 0 },
		/* 2: RSET first; the final reply is a 4xx. */
		{ "DATA\r\n", "250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "451 4.3.0 try later\r\n", 0, 0 },
		/* 3: MAIL refused; pipelined RCPT and DATA refused after it. */
		{ "DATA\r\n", "250 reset\r\n452 4.3.1 full\r\n503 5.5.1 no MAIL\r\n"
		    "503 5.5.1 no MAIL\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x", "b@x" }, 2, "x\n", 0 },
		{ "rp@x", { "a@x" }, 1, "x\n", 0 },
		{ "rp@x", { "a@x" }, 1, "x\n", 0 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	run_script(steps, jobs, 3, NULL, &r, &t, NULL, NULL);
	assert_string_equal(buf_cstr(&t),
	    "EHLO test.example\r\n"
	    "MAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"
	    "RSET\r\nMAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\nx\r\n.\r\n"
	    "RSET\r\nMAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n"
	    "QUIT\r\n");
	assert_int_equal(r.nrec, 3);
	assert_int_equal(r.rec[0].status[0], SMTP_RCPT_PERM);
	assert_int_equal(r.rec[0].code[0], 550);
	assert_int_equal(r.rec[0].status[1], SMTP_RCPT_TEMP);
	assert_int_equal(r.rec[0].code[1], 450);
	assert_int_equal(r.rec[0].data, 554);
	assert_int_equal(r.rec[1].status[0], SMTP_RCPT_TEMP);
	assert_int_equal(r.rec[1].code[0], 451);
	assert_string_equal(r.rec[1].enh[0], "4.3.0");
	assert_int_equal(r.rec[2].mail, 452);
	assert_int_equal(r.rec[2].status[0], SMTP_RCPT_TEMP);
	assert_int_equal(r.rec[2].code[0], 452);
	buf_free(&t);
}

static void
test_421_mid_session(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250 fake\r\n", 0, 0 },
		{ "MAIL FROM:<rp@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<a@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<b@x>\r\n", "550 5.1.1 no\r\n", 0, 0 },
		{ "RCPT TO:<c@x>\r\n", "421 4.3.2 shutting down\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x", "b@x", "c@x", "d@x" }, 4, "x", 0 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	run_script(steps, jobs, 1, NULL, &r, &t, NULL, NULL);
	assert_int_equal(r.nrec, 1);
	assert_int_equal(r.rec[0].ndone, 0);
	assert_int_equal(r.rec[0].status[0], SMTP_RCPT_TEMP);
	assert_int_equal(r.rec[0].code[0], 421);
	assert_int_equal(r.rec[0].status[1], SMTP_RCPT_PERM);
	assert_int_equal(r.rec[0].status[2], SMTP_RCPT_TEMP);
	assert_int_equal(r.rec[0].code[2], 421);
	assert_int_equal(r.rec[0].status[3], SMTP_RCPT_TEMP);
	assert_int_equal(r.why_code, 421);
	assert_string_equal(r.why_enh, "4.3.2");
	/* No QUIT after a 421. */
	assert_null(strstr(buf_cstr(&t), "QUIT"));
	buf_free(&t);
}

static void
test_connection_lost_in_data(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 PIPELINING\r\n", 0, 0 },
		{ "DATA\r\n", "250 ok\r\n250 ok\r\n354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", NULL, 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x" }, 1, "x", 0 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	run_script(steps, jobs, 1, NULL, &r, &t, NULL, NULL);
	assert_int_equal(r.nrec, 1);
	assert_int_equal(r.rec[0].status[0], SMTP_RCPT_TEMP);
	assert_string_equal(r.rec[0].enh[0], "4.4.2");
	assert_int_equal(r.why_code, 451);
	buf_free(&t);
}

static void
test_greeting_timeout(void **state)
{
	static const struct step steps[] = { END };
	struct smtp_config cfg;
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	smtp_config_default(&cfg);
	cfg.to.greeting = 150;
	run_script(steps, NULL, 0, &cfg, &r, &t, NULL, NULL);
	assert_false(r.ready);
	assert_int_equal(r.why_code, 451);
	assert_string_equal(r.why_enh, "4.4.2");
	assert_int_equal(t.len, 0);
	buf_free(&t);
}

static void
test_bytewise_multiline(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220-fake.example\r\n220-second line\r\n220 ready\r\n", 1, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250-PIPELINING\r\n"
		    "250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n", 1, 0 },
		{ "DATA\r\n", "250-2.1.0 ok\r\n250 2.1.0 really\r\n250 2.1.5 ok\r\n354 go\r\n", 1, 0 },
		{ "\r\n.\r\n", "250-2.0.0 queued\r\n250 2.0.0 as 12345\r\n", 1, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 1, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "\xc3\xa9@x" }, 1, "x", SMTP_TXN_UTF8 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct smtp_ext ext;
	struct run r;

	(void)state;
	run_script(steps, jobs, 1, NULL, &r, &t, NULL, &ext);
	assert_int_equal(ext.flags, SMTP_EXT_PIPELINING | SMTP_EXT_ENHANCED |
	    SMTP_EXT_SMTPUTF8);
	assert_string_equal(buf_cstr(&t),
	    "EHLO test.example\r\nMAIL FROM:<rp@x> SMTPUTF8\r\n"
	    "RCPT TO:<\xc3\xa9@x>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
	assert_int_equal(r.nrec, 1);
	assert_int_equal(r.rec[0].status[0], SMTP_RCPT_DONE);
	assert_int_equal(r.why_code, 221);
	buf_free(&t);
}

static void
test_line_endings_and_dots(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 PIPELINING\r\n", 0, 0 },
		{ "DATA\r\n", "250 ok\r\n250 ok\r\n354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		{ "DATA\r\n", "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x" }, 1, ".top\nmid\n..two\n.\nlast", 0 },
		{ "rp@x", { "a@x" }, 1, ".top\r\nmid\r\n..two\r\n.\r\nlast", 0 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

#define WIRE "..top\r\nmid\r\n...two\r\n..\r\nlast\r\n.\r\n"
	(void)state;
	run_script(steps, jobs, 2, NULL, &r, &t, NULL, NULL);
	assert_string_equal(buf_cstr(&t),
	    "EHLO test.example\r\nMAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n" WIRE
	    "RSET\r\nMAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n" WIRE
	    "QUIT\r\n");
#undef WIRE
	assert_int_equal(r.nrec, 2);
	assert_int_equal(r.rec[0].ndone, 1);
	assert_int_equal(r.rec[1].ndone, 1);
	buf_free(&t);
}

static void
test_local_refusals(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "502 5.5.2 what\r\n", 0, 0 },
		{ "HELO test.example\r\n", "250 fake\r\n", 0, 0 },
		{ "MAIL FROM:<rp@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "RCPT TO:<a@x>\r\n", "250 ok\r\n", 0, 0 },
		{ "DATA\r\n", "354 go\r\n", 0, 0 },
		{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		/* No SMTPUTF8 after HELO: refused here, nothing sent. */
		{ "rp@x", { "a@x" }, 1, "x", SMTP_TXN_UTF8 },
		/* An address that would inject a command: refused alone. */
		{ "rp@x", { "a@x\r\nRSET", "a@x" }, 2, "x", 0 },
		{ "rp@x\r\nQUIT", { "a@x" }, 1, "x", 0 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	run_script(steps, jobs, 3, NULL, &r, &t, NULL, NULL);
	assert_string_equal(buf_cstr(&t),
	    "EHLO test.example\r\nHELO test.example\r\n"
	    "MAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
	assert_int_equal(r.nrec, 3);
	assert_int_equal(r.rec[0].status[0], SMTP_RCPT_PERM);
	assert_int_equal(r.rec[0].code[0], 553);
	assert_int_equal(r.rec[1].status[0], SMTP_RCPT_PERM);
	assert_int_equal(r.rec[1].code[0], 501);
	assert_int_equal(r.rec[1].status[1], SMTP_RCPT_DONE);
	assert_int_equal(r.rec[2].status[0], SMTP_RCPT_PERM);
	assert_string_equal(r.rec[2].enh[0], "5.1.7");
	buf_free(&t);
}

static void
test_size_limit(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 SIZE 10\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct job jobs[] = {
		{ "rp@x", { "a@x" }, 1, "0123456789\n", 0 },
	};
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	run_script(steps, jobs, 1, NULL, &r, &t, NULL, NULL);
	assert_string_equal(buf_cstr(&t), "EHLO test.example\r\nQUIT\r\n");
	assert_int_equal(r.rec[0].status[0], SMTP_RCPT_PERM);
	assert_int_equal(r.rec[0].code[0], 552);
	buf_free(&t);
}

static void
test_tls_required_not_offered(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 PIPELINING\r\n", 0, 0 },
		END
	};
	struct smtp_config cfg;
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	smtp_config_default(&cfg);
	cfg.tls = SMTP_TLS_REQUIRE;
	run_script(steps, NULL, 0, &cfg, &r, &t, NULL, NULL);
	assert_false(r.ready);
	assert_string_equal(r.why_enh, "4.7.0");
	buf_free(&t);
}

static char *tls_dir;
static char tls_cert_path[512];

/* A self-signed certificate for 127.0.0.1, also written out as a CA file. */
static void
tls_setup(void)
{
	EVP_PKEY *key;
	X509 *x;
	X509_NAME *name;
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	FILE *fp;

	if (fake_tls != NULL)
		return;
	assert_non_null(key = EVP_EC_gen("P-256"));
	assert_non_null(x = X509_new());
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	assert_non_null(ext = X509V3_EXT_conf_nid(NULL, &v3,
	    NID_subject_alt_name, "IP:127.0.0.1"));
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_non_null(fake_tls = SSL_CTX_new(TLS_server_method()));
	assert_int_equal(SSL_CTX_use_certificate(fake_tls, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(fake_tls, key), 1);
	tls_dir = test_mkdtemp("smtp-tls");
	snprintf(tls_cert_path, sizeof(tls_cert_path), "%s/ca.pem", tls_dir);
	assert_non_null(fp = fopen(tls_cert_path, "w"));
	assert_int_equal(PEM_write_X509(fp, x), 1);
	fclose(fp);
	X509_free(x);
	EVP_PKEY_free(key);
}

static int
tls_teardown(void **state)
{
	(void)state;
	if (fake_tls != NULL)
		SSL_CTX_free(fake_tls);
	fake_tls = NULL;
	if (tls_dir != NULL) {
		test_rmtree(tls_dir);
		free(tls_dir);
		tls_dir = NULL;
	}
	return 0;
}

static const struct step tls_steps[] = {
	{ NULL, "220 fake\r\n", 0, 0 },
	{ "EHLO test.example\r\n", "250-fake\r\n250-STARTTLS\r\n250 SIZE 100\r\n", 0, 0 },
	{ "STARTTLS\r\n", "220 2.0.0 go ahead\r\n", 0, AFTER_TLS },
	{ "EHLO test.example\r\n", "250-fake\r\n250 PIPELINING\r\n", 0, 0 },
	{ "DATA\r\n", "250 ok\r\n250 ok\r\n354 go\r\n", 0, 0 },
	{ "\r\n.\r\n", "250 queued\r\n", 0, 0 },
	{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
	END
};

static const struct job tls_jobs[] = {
	{ "rp@x", { "a@x" }, 1, "secret\n", 0 },
};

static void
tls_run(int verify, const char *ca, struct run *r, struct buf *t,
    struct smtp_ext *ext)
{
	struct smtp_config cfg;

	tls_setup();
	smtp_config_default(&cfg);
	cfg.tls = SMTP_TLS_REQUIRE;
	cfg.tls_verify = verify;
	cfg.tls_ca_file = ca;
	run_script(tls_steps, tls_jobs, 1, &cfg, r, t, NULL, ext);
}

static void
test_starttls(void **state)
{
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct smtp_ext ext;
	struct run r;

	(void)state;
	/* Unverified (a loopback relay), then verified against its CA. */
	for (int verify = 0; verify < 2; verify++) {
		tls_run(verify, verify ? tls_cert_path : NULL, &r, &t, &ext);
		assert_string_equal(buf_cstr(&t),
		    "EHLO test.example\r\nSTARTTLS\r\nEHLO test.example\r\n"
		    "MAIL FROM:<rp@x>\r\nRCPT TO:<a@x>\r\nDATA\r\nsecret\r\n.\r\n"
		    "QUIT\r\n");
		assert_int_equal(r.nrec, 1);
		assert_int_equal(r.rec[0].ndone, 1);
		/* The extensions are those offered after the handshake. */
		assert_int_equal(ext.flags, SMTP_EXT_PIPELINING);
	}
	/* Verified against the system's store: the self-signed one fails. */
	tls_run(1, NULL, &r, &t, &ext);
	assert_false(r.ready);
	assert_int_equal(r.why_code, 454);
	assert_string_equal(r.why_enh, "4.7.0");
	buf_free(&t);
}

static void
test_auth_plain(void **state)
{
	static const struct step steps[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 AUTH LOGIN PLAIN\r\n", 0, 0 },
		{ "AUTH PLAIN AHVzZXIAcGFzcw==\r\n", "235 2.7.0 ok\r\n", 0, 0 },
		{ "QUIT\r\n", "221 bye\r\n", 0, AFTER_CLOSE },
		END
	};
	static const struct step refused[] = {
		{ NULL, "220 fake\r\n", 0, 0 },
		{ "EHLO test.example\r\n", "250-fake\r\n250 AUTH PLAIN\r\n", 0, 0 },
		{ "AUTH PLAIN", "535 5.7.8 bad credentials\r\n", 0, 0 },
		END
	};
	struct smtp_config cfg;
	struct buf t = BUF_INIT(BUF_UNLIMITED);
	struct run r;

	(void)state;
	smtp_config_default(&cfg);
	cfg.auth_user = "user";
	cfg.auth_pass = "pass";
	run_script(steps, NULL, 0, &cfg, &r, &t, NULL, NULL);
	assert_true(r.ready);
	assert_string_equal(buf_cstr(&t), "EHLO test.example\r\n"
	    "AUTH PLAIN AHVzZXIAcGFzcw==\r\nQUIT\r\n");
	run_script(refused, NULL, 0, &cfg, &r, &t, NULL, NULL);
	assert_false(r.ready);
	assert_int_equal(r.why_code, 535);
	buf_free(&t);
}

/* smtp-sink, when installed. */

#define SINK	"/usr/sbin/smtp-sink"

static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
wait_listening(int port)
{
	for (int i = 0; i < 200; i++) {
		struct sockaddr_in sin;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (ok)
			return 0;
		usleep(10000);
	}
	return -1;
}

#define SINK_TXNS	100
#define SINK_RCPTS	100

struct sink_run {
	struct event_base	*base;
	const char		*rcpts[SINK_RCPTS];
	size_t			 sent, done_txns, done_rcpts;
	int			 ready, closed;
};

static void sink_result(struct smtp_session *, const struct smtp_result *, void *);

static void
sink_next(struct smtp_session *s, struct sink_run *sr)
{
	static const char msg[] = "From: a@x\nTo: list@x\nSubject: bench\n\n"
	    "A line.\n.A line with a dot.\nThe end.\n";

	if (sr->sent++ < SINK_TXNS)
		assert_int_equal(smtp_session_send(s, "bounce@x", sr->rcpts,
		    SINK_RCPTS, msg, sizeof(msg) - 1, 0, sink_result, sr), 0);
	else
		smtp_session_quit(s);
}

static void
sink_result(struct smtp_session *s, const struct smtp_result *res, void *arg)
{
	struct sink_run *sr = arg;

	sr->done_txns++;
	sr->done_rcpts += res->ndone;
	sink_next(s, sr);
}

static void
sink_event(struct smtp_session *s, int ev, const struct smtp_reply *why, void *arg)
{
	struct sink_run *sr = arg;

	(void)why;
	if (ev == SMTP_EV_READY) {
		sr->ready = 1;
		sink_next(s, sr);
		return;
	}
	sr->closed = 1;
	event_base_loopexit(sr->base, NULL);
}

static void
test_smtp_sink(void **state)
{
	char portarg[64], names[SINK_RCPTS][32];
	struct sink_run sr;
	struct smtp_config cfg;
	struct smtp_session *s;
	struct timespec t0, t1;
	struct timeval limit = { 30, 0 };
	int port, status;
	pid_t pid;
	double secs;

	(void)state;
	if (access(SINK, X_OK) != 0) {
		printf("skip: %s not installed\n", SINK);
		return;
	}
	assert_true((port = free_port()) > 0);
	snprintf(portarg, sizeof(portarg), "127.0.0.1:%d", port);
	if ((pid = fork()) == 0) {
		if (geteuid() == 0)
			execl(SINK, "smtp-sink", "-u", "nobody", portarg, "100",
			    (char *)NULL);
		else
			execl(SINK, "smtp-sink", portarg, "100", (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(wait_listening(port), 0);

	memset(&sr, 0, sizeof(sr));
	for (int i = 0; i < SINK_RCPTS; i++) {
		snprintf(names[i], sizeof(names[i]), "member%d@example.test", i);
		sr.rcpts[i] = names[i];
	}
	sr.base = event_base_new();
	smtp_config_default(&cfg);
	cfg.host = "127.0.0.1";
	cfg.port = port;
	cfg.helo = "herald.test";
	s = smtp_session_new(sr.base, &cfg, sink_event, &sr);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(smtp_session_connect(s), 0);
	event_base_loopexit(sr.base, &limit);
	event_base_dispatch(sr.base);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(sr.ready);
	assert_true((smtp_session_ext(s)->flags & SMTP_EXT_PIPELINING) != 0);
	smtp_session_free(s);
	event_base_free(sr.base);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);

	assert_true(sr.closed);
	assert_int_equal(sr.done_txns, SINK_TXNS);
	assert_int_equal(sr.done_rcpts, SINK_TXNS * SINK_RCPTS);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("bench smtp_sink: %.0f transactions/s (%d x %d recipients in %.3f s, "
	    "one connection)\n", SINK_TXNS / secs, SINK_TXNS, SINK_RCPTS, secs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_ehlo),
		cmocka_unit_test(test_body_prepare),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_dsn_offered),
		cmocka_unit_test(test_dsn_not_offered),
		cmocka_unit_test(test_dsn_unpipelined_long_envid),
		cmocka_unit_test(test_unpipelined_rcpt_refused),
		cmocka_unit_test(test_data_refusals_and_rset),
		cmocka_unit_test(test_421_mid_session),
		cmocka_unit_test(test_connection_lost_in_data),
		cmocka_unit_test(test_greeting_timeout),
		cmocka_unit_test(test_bytewise_multiline),
		cmocka_unit_test(test_line_endings_and_dots),
		cmocka_unit_test(test_local_refusals),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_tls_required_not_offered),
		cmocka_unit_test(test_auth_plain),
		cmocka_unit_test_teardown(test_starttls, tls_teardown),
		cmocka_unit_test(test_smtp_sink),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
