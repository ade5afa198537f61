/*
 * daemon - signals and waiting for work, shared by the spool daemons.
 */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"
#include "log.h"

/* What the handlers may touch: flags, nothing else. */
static volatile sig_atomic_t stop_asked, reload_asked;

static void
on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	reload_asked = 1;
}

int
daemon_stopping(void)
{
	return stop_asked != 0;
}

int
daemon_reload_pending(void)
{
	return reload_asked != 0;
}

int
daemon_reload_take(void)
{
	if (!reload_asked)
		return 0;
	reload_asked = 0;
	return 1;
}

void
daemon_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int
daemon_watch(const struct spool *s)
{
	char path[PATH_MAX];
	int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (ino < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/new", s->path);
	if (inotify_add_watch(ino, path, IN_MOVED_TO | IN_CREATE) < 0) {
		close(ino);
		return -1;
	}
	return ino;
}

void
daemon_wait(int ino, int ms)
{
	struct pollfd pfd = { ino, POLLIN, 0 };
	char drain[4096];

	if (ino < 0) {
		poll(NULL, 0, ms);
		return;
	}
	if (poll(&pfd, 1, ms) > 0)
		while (read(ino, drain, sizeof(drain)) > 0)
			;
}

struct config *
daemon_config_load(const char *path)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct config *cf;

	if ((cf = config_load(config_path(path), &err)) == NULL)
		log_error("%s", buf_cstr(&err));
	buf_free(&err);
	return cf;
}

void
daemon_log_facility(const struct config *cf)
{
	log_set_facility(log_facility_code(config_str(cf, CF_LOG_FACILITY)));
}
