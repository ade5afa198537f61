/*
 * log - the one way Herald programs report what happens.
 *
 * Lines go to syslog, to stderr, or both (the queue programs write their
 * errors to both: Postfix quotes a pipe command's stderr in its logs and
 * DSNs). A program sets the context of the item it is working on with
 * log_context(); every line then carries the spool id and the list, e.g.
 *   distribute[812]: warning: 5.1732272000.123456.abc.host list=staff@example.org: no Message-ID
 * Text that may come from outside is escaped: control bytes never reach the
 * log, and a line is cut at LOG_LINE_MAX bytes.
 */
#ifndef HERALD_LOG_H
#define HERALD_LOG_H

#include <stdarg.h>

#define LOG_TO_SYSLOG	0x1
#define LOG_TO_STDERR	0x2
#define LOG_PROBLEMS_TO_STDERR 0x4	/* warnings and worse also on stderr */

#define LOG_LINE_MAX	2048

void	log_open(const char *progname, int facility, int where);
void	log_set_facility(int facility);
void	log_set_verbose(int verbose);
int	log_verbose(void);
/* The syslog facility code of a name such as "mail" or "local3"; -1 if none. */
int	log_facility_code(const char *name);
/* The item being worked on; NULL clears a field. The strings are copied. */
void	log_context(const char *id, const char *list);

void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void log_fatal(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
