/*
 * command_int - what the two halves of the command parser share:
 * command.c (one line) and command_msg.c (a message into lines).
 */
#ifndef HERALD_COMMAND_INT_H
#define HERALD_COMMAND_INT_H

#include <stddef.h>

/*
 * The line as valid UTF-8, control characters turned into spaces, blanks
 * trimmed, at most COMMAND_LINE_MAX bytes, cut between characters.
 */
char	*command_clean_line(const char *line, size_t len);

#endif
