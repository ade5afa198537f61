/*
 * sendmail.c - the fallback transport: one run of a sendmail-compatible
 * program per transaction, for sites without an SMTP listener.
 *
 *	<sendmail_path> -oi -oem [-N success,delay,failure -R hdrs -V <job>]
 *	    -f <return path> -- <recipient>...
 *
 * The DSN options go with a tracked message when sendmail_dsn is on: the
 * SMTP transport asks for DSNs when the relay offers them, but no program
 * says whether it understands -N (Exim's reads it as "do not deliver"),
 * so the site says so.
 * The message is written to the program's standard input, with LF line
 * ends and without SMTP's dot-stuffing. Unlike Sympa, the exit status
 * decides the recipients' fate: 0 sent; EX_TEMPFAIL, a signal, or a
 * message not written whole, deferred; EX_DATAERR, EX_NOUSER and
 * EX_NOHOST, failed; anything else deferred (the program may have
 * failed for reasons of its own: try again rather than lose mail). The
 * program says nothing per recipient: its status is everyone's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bulk.h"
#include "log.h"
#include "mem.h"

/*
 * Undo smtp_body_prepare(): CRLF becomes LF, a doubled leading dot a
 * single one, and the final ".\r\n" goes.
 */
static void
unprepare(const char *p, size_t len, struct evbuffer *out)
{
	const char *end = p + len, *nl;

	if (len >= 3 && memcmp(end - 3, ".\r\n", 3) == 0)
		end -= 3;
	while (p < end) {
		size_t n;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end - 1;
		n = (size_t)(nl - p) + 1;
		if (n >= 2 && p[0] == '.' && p[1] == '.') {
			p++;
			n--;
		}
		if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n') {
			evbuffer_add(out, p, n - 2);
			evbuffer_add(out, "\n", 1);
		} else
			evbuffer_add(out, p, n);
		p += n;
	}
}

static void
pipe_written(struct bufferevent *bev, void *arg)
{
	struct bulk_conn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		c->wrote = 1;
		bufferevent_free(bev);
		c->pipe = NULL;		/* closing it is the program's EOF */
	}
}

static void
pipe_event(struct bufferevent *bev, short what, void *arg)
{
	struct bulk_conn *c = arg;

	(void)what;
	/* EPIPE: the program went away early; its status will tell. */
	bufferevent_free(bev);
	c->pipe = NULL;
}

/* Whether the transaction asks for DSNs; a tracked one that cannot, logged. */
static int
dsn_asked(struct bulk *b, const struct bulk_txn *t)
{
	static int told;

	if (!(t->flags & SMTP_TXN_DSN))
		return 0;
	if (config_bool(b->cf, CF_SENDMAIL_DSN))
		return 1;
	if (!told)
		log_warn("job %lld is tracked, but sendmail_dsn is off: no "
		    "DSNs asked of %s", t->pk->q.job_id,
		    config_str(b->cf, CF_SENDMAIL_PATH));
	told = 1;
	return 0;
}

/* envid: the job id, when DSNs are asked (the SMTP ENVID). */
static char **
argv_of(struct bulk *b, const struct bulk_txn *t, const char *envid)
{
	char **argv = xcalloc(t->nrcpt + 14, sizeof(*argv));
	size_t n = 0;

	argv[n++] = (char *)config_str(b->cf, CF_SENDMAIL_PATH);
	argv[n++] = (char *)"-oi";
	argv[n++] = (char *)"-oem";
	if (envid != NULL) {
		argv[n++] = (char *)"-N";
		argv[n++] = (char *)"success,delay,failure";
		argv[n++] = (char *)"-R";
		argv[n++] = (char *)"hdrs";
		argv[n++] = (char *)"-V";
		argv[n++] = (char *)envid;
	}
	argv[n++] = (char *)"-f";
	argv[n++] = *t->return_path != '\0' ? t->return_path : (char *)"<>";
	argv[n++] = (char *)"--";
	for (size_t i = 0; i < t->nrcpt; i++)
		argv[n++] = (char *)t->rcpts[i];
	argv[n] = NULL;
	return argv;
}

int
bulk_sendmail_start(struct bulk_conn *c, struct bulk_txn *t)
{
	struct bulk *b = c->b;
	const struct buf *msg = t->personal != NULL ? t->personal :
	    &t->pk->job->prepared;
	char envid[32], **argv;
	int fd[2];
	pid_t pid;

	snprintf(envid, sizeof(envid), "%lld", t->pk->q.job_id);
	argv = argv_of(b, t, dsn_asked(b, t) ? envid : NULL);

	if (pipe2(fd, O_CLOEXEC) == -1) {
		log_error("sendmail: pipe: %s", strerror(errno));
		free(argv);
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_error("sendmail: fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		free(argv);
		return -1;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fd[0], STDIN_FILENO) == -1)
			_exit(EX_OSERR);
		execv(argv[0], argv);
		_exit(errno == ENOENT ? EX_UNAVAILABLE : EX_OSERR);
	}
	free(argv);
	close(fd[0]);
	evutil_make_socket_nonblocking(fd[1]);
	c->pid = pid;
	c->wrote = 0;
	c->pipe = bufferevent_socket_new(b->base, fd[1], BEV_OPT_CLOSE_ON_FREE);
	if (c->pipe == NULL) {
		close(fd[1]);
		return 0;	/* the program sees EOF at once; its status tells */
	}
	bufferevent_setcb(c->pipe, NULL, pipe_written, pipe_event, c);
	unprepare(msg->data, msg->len, bufferevent_get_output(c->pipe));
	bufferevent_enable(c->pipe, EV_WRITE);
	return 0;
}

/* The exit status as an SMTP-like reply for every recipient. */
static void
status_reply(int status, int wrote, struct smtp_reply *r)
{
	char text[128];

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && wrote) {
		smtp_reply_set(r, 250, "2.0.0", "accepted by sendmail");
		return;
	}
	if (!wrote)
		snprintf(text, sizeof(text), "sendmail did not take the whole "
		    "message (status %d)", status);
	else if (WIFSIGNALED(status))
		snprintf(text, sizeof(text), "sendmail killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(text, sizeof(text), "sendmail exited with status %d",
		    WEXITSTATUS(status));
	if (wrote && WIFEXITED(status) && (WEXITSTATUS(status) == EX_DATAERR ||
	    WEXITSTATUS(status) == EX_NOUSER || WEXITSTATUS(status) == EX_NOHOST))
		smtp_reply_set(r, 550, "5.0.0", text);
	else
		smtp_reply_set(r, 451, "4.3.0", text);
}

static void
child_done(struct bulk_conn *c, int status)
{
	struct smtp_result res;

	if (c->pipe != NULL) {
		bufferevent_free(c->pipe);
		c->pipe = NULL;
	}
	c->pid = 0;
	memset(&res, 0, sizeof(res));
	status_reply(status, c->wrote, &res.mail);
	if (res.mail.code == 250) {
		/* Everyone delivered: say so per recipient. */
		res.nrcpt = c->txn != NULL ? c->txn->nrcpt : 0;
		res.rcpt = xcalloc(res.nrcpt ? res.nrcpt : 1, sizeof(*res.rcpt));
		for (size_t i = 0; i < res.nrcpt; i++) {
			res.rcpt[i].rcpt = c->txn->rcpts[i];
			res.rcpt[i].status = SMTP_RCPT_DONE;
			smtp_reply_copy(&res.rcpt[i].reply, &res.mail);
		}
		res.ndone = res.nrcpt;
	}
	bulk_txn_done(c->b, c, &res);
	for (size_t i = 0; i < res.nrcpt; i++)
		smtp_reply_clear(&res.rcpt[i].reply);
	free(res.rcpt);
	smtp_reply_clear(&res.mail);
}

void
bulk_sendmail_reap(struct bulk *b)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < b->nconns; i++)
			if (b->conns[i].pid == pid) {
				child_done(&b->conns[i], status);
				break;
			}
	}
	bulk_pump(b);
}

/* Stop the program in flight, if any; its transaction is not recorded. */
void
bulk_sendmail_kill(struct bulk_conn *c)
{
	if (c->pipe != NULL) {
		bufferevent_free(c->pipe);
		c->pipe = NULL;
	}
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
	}
}
