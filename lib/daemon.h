/*
 * daemon - what Herald's spool daemons (distribute, bounced, task_manager)
 * share of their life: the signals they answer, and waiting for work.
 *
 * SIGTERM and SIGINT call on_stop, SIGHUP on_hup (the program's own
 * handlers set its flags); SIGPIPE is ignored. No SA_RESTART: a signal
 * ends a wait at once.
 *
 * daemon_watch() watches a spool's new/ with inotify (-1 when it cannot:
 * the caller then looks on a timeout only); daemon_wait() returns when
 * something arrives there, a signal comes, or ms pass.
 */
#ifndef HERALD_DAEMON_H
#define HERALD_DAEMON_H

#include "spool.h"

void	daemon_signals(void (*on_stop)(int), void (*on_hup)(int));
int	daemon_watch(const struct spool *s);
void	daemon_wait(int ino, int ms);

#endif
