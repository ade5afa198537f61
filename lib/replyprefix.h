/*
 * replyprefix - the reply prefixes of a subject ("Re:", "RE[2]:", "AW:",
 * "SV:", "Antw:", "Odp:" ... and their Greek, Cyrillic, Hebrew, Hungarian
 * and Chinese forms: Sympa::Regexps::re), for the subject tag (one prefix
 * kept, the tag put after it) and the command parser (one prefix taken
 * off before the command).
 */
#ifndef HERALD_REPLYPREFIX_H
#define HERALD_REPLYPREFIX_H

#include <stddef.h>

/*
 * The length of one reply prefix at the start of the len bytes at s
 * (UTF-8), its colon or full-width colon included; 0 if there is none.
 * Letters match without regard to case, as Perl's /i does.
 */
size_t	replyprefix_len(const char *s, size_t len);

#endif
