/*
 * daemon - what Herald's spool daemons (distribute, bounced, task_manager)
 * share of their life: the signals they answer, and waiting for work.
 *
 * daemon_signals(): SIGTERM and SIGINT ask the daemon to stop
 * (daemon_stopping() says so from then on), SIGHUP to reload its
 * configuration (daemon_reload_pending() says so; daemon_reload_take()
 * answers it, once per SIGHUP); SIGPIPE is ignored. No SA_RESTART: a
 * signal ends a wait at once.
 *
 * daemon_watch() watches a spool's new/ with inotify (-1 when it cannot:
 * the caller then looks on a timeout only); daemon_wait() returns when
 * something arrives there, a signal comes, or ms pass.
 *
 * daemon_config_load() reads the site configuration at start and on
 * SIGHUP, its errors logged; daemon_log_facility() then sends the log
 * where it says. bulk uses these two as well.
 */
#ifndef HERALD_DAEMON_H
#define HERALD_DAEMON_H

#include "config.h"
#include "spool.h"

void	daemon_signals(void);
int	daemon_stopping(void);
int	daemon_reload_pending(void);
int	daemon_reload_take(void);
int	daemon_watch(const struct spool *s);
void	daemon_wait(int ino, int ms);
/* The configuration at path (NULL: the default), or NULL (logged). */
struct config *daemon_config_load(const char *path);
void	daemon_log_facility(const struct config *cf);

#endif
