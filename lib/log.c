/*
 * log - syslog or stderr, with the item's spool id and list on every line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "log.h"

#define LOG_CONTEXT_MAX	256

static const char *log_progname = "herald";
static int log_where = LOG_TO_STDERR;
static int log_facility = LOG_MAIL;
static int log_is_verbose;
static char log_id[LOG_CONTEXT_MAX];
static char log_list[LOG_CONTEXT_MAX];

static const struct {
	const char *name;
	int code;
} log_facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

void
log_open(const char *progname, int facility, int where)
{
	log_progname = progname;
	log_where = where;
	log_facility = facility;
	if (where & LOG_TO_SYSLOG)
		openlog(progname, LOG_PID, facility);
}

void
log_set_facility(int facility)
{
	if (facility == log_facility)
		return;
	log_facility = facility;
	if (log_where & LOG_TO_SYSLOG) {
		closelog();
		openlog(log_progname, LOG_PID, facility);
	}
}

void
log_set_verbose(int verbose)
{
	log_is_verbose = verbose;
}

int
log_verbose(void)
{
	return log_is_verbose;
}

int
log_facility_code(const char *name)
{
	for (size_t i = 0; i < sizeof log_facilities / sizeof log_facilities[0]; i++)
		if (strcasecmp(name, log_facilities[i].name) == 0)
			return log_facilities[i].code;
	return -1;
}

static void
log_copy_field(char *dst, const char *src)
{
	if (src == NULL)
		dst[0] = '\0';
	else
		snprintf(dst, LOG_CONTEXT_MAX, "%s", src);
}

void
log_context(const char *id, const char *list)
{
	log_copy_field(log_id, id);
	log_copy_field(log_list, list);
}

/*
 * Copy src into dst, escaping what must not reach a log line: control
 * bytes and DEL become \xHH. Bytes >= 0x80 pass (UTF-8 text is common).
 */
static void
log_escape(char *dst, size_t size, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			if (o + 4 >= size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[*p >> 4];
			dst[o++] = hex[*p & 0xf];
		} else {
			if (o + 1 >= size)
				break;
			dst[o++] = (char)*p;
		}
	}
	dst[o] = '\0';
}

static void log_emit(int, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_emit(int priority, const char *label, const char *fmt, va_list ap)
{
	char text[LOG_LINE_MAX], line[LOG_LINE_MAX], clean[LOG_LINE_MAX];
	int saved_errno = errno;
	size_t n;

	errno = saved_errno;		/* for %m */
	vsnprintf(text, sizeof text, fmt, ap);
	n = (size_t)snprintf(line, sizeof line, "%s", label);
	if (log_id[0] && n < sizeof line)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s ", log_id);
	if (log_list[0] && n < sizeof line)
		n += (size_t)snprintf(line + n, sizeof line - n, "list=%s ", log_list);
	if ((log_id[0] || log_list[0]) && n < sizeof line) {
		line[n - 1] = ':';
		n += (size_t)snprintf(line + n, sizeof line - n, " ");
	}
	if (n < sizeof line)
		snprintf(line + n, sizeof line - n, "%s", text);
	log_escape(clean, sizeof clean, line);

	if (log_where & LOG_TO_SYSLOG)
		syslog(priority, "%s", clean);
	if ((log_where & LOG_TO_STDERR) ||
	    ((log_where & LOG_PROBLEMS_TO_STDERR) && priority <= LOG_WARNING))
		fprintf(stderr, "%s: %s\n", log_progname, clean);
	errno = saved_errno;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_is_verbose)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void
log_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(status);
}
