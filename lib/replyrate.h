/*
 * replyrate - how many replies the command robot sends one address
 * (schema: 0012_requests.sql, command_replies).
 *
 * Every reply, report or confirmation the robot would send is counted
 * against its recipient first, in windows of a fixed length: past the
 * limit the address gets nothing more until its window ends. A forger
 * who writes commands in a victim's name can then make Herald write to
 * the victim a bounded number of times, whatever the flood (Sympa's
 * loop_command_max, per window rather than a decaying count).
 */
#ifndef HERALD_REPLYRATE_H
#define HERALD_REPLYRATE_H

#include "store.h"

enum replyrate_verdict {
	REPLYRATE_SEND,		/* under the limit: send */
	REPLYRATE_FIRST_OVER,	/* just over: send nothing, tell the listmasters */
	REPLYRATE_OVER		/* over, already told: send nothing */
};

/*
 * Count one reply to address (canonical) in windows of window seconds,
 * at most max each; *verdict says what to do. A STORE_* code.
 */
int	replyrate_take(struct store *st, const char *address, int max,
	    int window, enum replyrate_verdict *verdict);
/* Forget the windows that ended before now - window; *n how many. */
int	replyrate_purge(struct store *st, int window, long long *n);

#endif
