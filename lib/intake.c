/*
 * intake - stdin to spool for queue(8) and bouncequeue(8).
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "intake.h"
#include "log.h"
#include "mem.h"

#define INTAKE_HEAD_MAX		(64 * 1024)	/* looked at for From_ and Return-Path */
#define INTAKE_ADDRESS_MAX	320
#define INTAKE_CHUNK		(64 * 1024)

struct intake {
	const char	*program;
	const char	*config_option;
	const char	*recipient;
	const char	*sender_option;
	const char	*original;	/* $ORIGINAL_RECIPIENT or $RECIPIENT, if usable */
	int		 priority;
	long long	 max_size;
	char		*sender;
};

static _Noreturn void
intake_usage(const char *program)
{
	fprintf(stderr, "usage: %s [-v] [-c config] [-f sender] [-p priority] address\n",
	    program);
	exit(EX_USAGE);
}

/* The address the MTA delivered to: local@domain, printable, no '/'. */
static int
intake_address_ok(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t n = strlen(a);

	if (n == 0 || n > INTAKE_ADDRESS_MAX || at == NULL || at == a || at[1] == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '/' || *p == '<' || *p == '>')
			return 0;
	return 1;
}

/*
 * The address as the MTA received it. An alias cannot pass a VERP return
 * path's extension (bounce+alice=example.org@) on the command line, but
 * Postfix, Exim and qmail give it to the pipe in the environment.
 */
static void
intake_original_recipient(struct intake *in)
{
	const char *v = getenv("ORIGINAL_RECIPIENT");

	if (v == NULL || *v == '\0')
		v = getenv("RECIPIENT");
	if (v == NULL || *v == '\0')
		return;
	if (intake_address_ok(v))
		in->original = v;
	else
		log_warn("ignoring a malformed original recipient from the MTA");
}

static void
intake_parse_args(struct intake *in, int argc, char **argv)
{
	int ch;

	in->program = argv[0] && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 :
	    argv[0] ? argv[0] : "queue";
	in->priority = SPOOL_DEFAULT_PRIORITY;
	while ((ch = getopt(argc, argv, "c:f:p:v")) != -1) {
		switch (ch) {
		case 'c':
			in->config_option = optarg;
			break;
		case 'f':
			in->sender_option = optarg;
			break;
		case 'p':
			if (strlen(optarg) != 1 || !isdigit((unsigned char)optarg[0]))
				intake_usage(in->program);
			in->priority = optarg[0] - '0';
			break;
		case 'v':
			log_set_verbose(1);
			break;
		default:
			intake_usage(in->program);
		}
	}
	if (optind != argc - 1 || !intake_address_ok(argv[optind])) {
		if (optind == argc - 1)
			fprintf(stderr, "%s: bad address '%s'\n", in->program, argv[optind]);
		intake_usage(in->program);
	}
	in->recipient = argv[optind];
}

/*
 * An envelope sender as the MTA wrote it ("<a@b>", "a@b", "<>",
 * "MAILER-DAEMON") into the spool's form: the bare address, "" for the null
 * sender, control bytes made visible rather than trusted.
 */
static char *
intake_clean_sender(const char *s, size_t n)
{
	char *out;

	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		s++, n -= 2;
	if (n > INTAKE_ADDRESS_MAX)
		n = INTAKE_ADDRESS_MAX;
	out = xstrndup(s, n);
	if (strcasecmp(out, "MAILER-DAEMON") == 0)
		out[0] = '\0';
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

/* Read up to INTAKE_HEAD_MAX bytes, enough to see the first lines. */
static ssize_t
intake_read_head(struct buf *head)
{
	char chunk[4096];
	ssize_t n;
	int newlines = 0;

	while (head->len < INTAKE_HEAD_MAX && newlines < 2) {
		size_t want = INTAKE_HEAD_MAX - head->len;

		n = read(STDIN_FILENO, chunk, want < sizeof chunk ? want : sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			newlines += chunk[i] == '\n';
		buf_append(head, chunk, (size_t)n);
	}
	return (ssize_t)head->len;
}

/* The length of the first line of p (with its newline), or n if none. */
static size_t
intake_line_len(const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);

	return nl ? (size_t)(nl - p) + 1 : n;
}

/*
 * Drop a leading mbox "From " line and pick the envelope sender, in order
 * of trust: -f, $SENDER (set by Postfix, Exim and qmail), the From_ line,
 * a Return-Path header at the very top. Returns the offset of the message.
 */
static size_t
intake_envelope_from_head(struct intake *in, const struct buf *head)
{
	const char *p = buf_cstr(head), *env = getenv("SENDER");
	size_t off = 0, len;

	if (in->sender_option)
		in->sender = intake_clean_sender(in->sender_option, strlen(in->sender_option));
	else if (env)
		in->sender = intake_clean_sender(env, strlen(env));
	if (head->len >= 5 && memcmp(p, "From ", 5) == 0) {
		len = intake_line_len(p, head->len);
		if (in->sender == NULL)
			in->sender = intake_clean_sender(p + 5, strcspn(p + 5, " \t\r\n"));
		off = len;
	}
	if (in->sender == NULL && head->len - off > 12 &&
	    strncasecmp(p + off, "Return-Path:", 12) == 0) {
		len = intake_line_len(p + off, head->len - off);
		in->sender = intake_clean_sender(p + off + 12, len - 12);
	}
	if (in->sender == NULL) {
		log_warn("no envelope sender (no -f, $SENDER, From_ line or Return-Path): "
		    "stored as the null sender");
		in->sender = xstrdup("");
	}
	return off;
}

/* Copy head and the rest of stdin into the entry; EX_* status. */
static int
intake_copy(struct intake *in, struct spool_writer *w, const struct buf *head,
    size_t off)
{
	char *chunk = xmalloc(INTAKE_CHUNK);
	long long total = (long long)(head->len - off);
	ssize_t n;
	int status = EX_OK;

	if (total > in->max_size || spool_write(w, head->data + off, head->len - off) < 0)
		status = total > in->max_size ? EX_DATAERR : EX_TEMPFAIL;
	while (status == EX_OK) {
		n = read(STDIN_FILENO, chunk, INTAKE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				status = EX_TEMPFAIL;
			break;
		}
		total += n;
		if (total > in->max_size)
			status = EX_DATAERR;
		else if (spool_write(w, chunk, (size_t)n) < 0)
			status = EX_TEMPFAIL;
	}
	if (status == EX_DATAERR)
		log_error("message larger than queue_max_size (%lld bytes): refused",
		    in->max_size);
	else if (status != EX_OK)
		log_error("cannot spool message: %m");
	free(chunk);
	return status;
}

static int
intake_store(struct intake *in, struct spool *s)
{
	struct buf head = BUF_INIT(INTAKE_HEAD_MAX);
	struct spool_envelope env = { 0 };
	struct spool_writer w;
	size_t off;
	int status;

	if (intake_read_head(&head) < 0) {
		log_error("cannot read the message: %m");
		buf_free(&head);
		return EX_TEMPFAIL;
	}
	off = intake_envelope_from_head(in, &head);
	env.recipient = (char *)in->recipient;
	env.original_recipient = (char *)in->original;
	env.sender = in->sender;
	env.program = (char *)in->program;
	if (spool_create(s, in->priority, &env, &w) < 0) {
		log_error("cannot create an entry in %s/tmp: %m", s->path);
		buf_free(&head);
		return EX_TEMPFAIL;
	}
	log_context(w.name, in->recipient);
	status = intake_copy(in, &w, &head, off);
	buf_free(&head);
	if (status != EX_OK) {
		spool_abort(&w);
		return status;
	}
	if (spool_commit(&w) < 0) {
		log_error("cannot commit the entry to %s/new: %m", s->path);
		return EX_TEMPFAIL;
	}
	log_info("from=<%s> to=<%s> size=%zu spooled", in->sender, in->recipient, w.size);
	return EX_OK;
}

/* Configuration errors come one per line: log them so. */
static void
intake_log_lines(struct buf *err)
{
	char *save = NULL;

	for (char *line = strtok_r(err->data ? err->data : "", "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		log_error("configuration: %s", line);
}

int
intake_main(int argc, char **argv, enum spool_id spool)
{
	struct intake in = { 0 };
	struct buf err = BUF_INIT(64 * 1024);
	struct config *cf;
	struct spool s;
	int status = EX_TEMPFAIL;

	/* A file size limit must fail a write (EFBIG, exit 75), not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	intake_parse_args(&in, argc, argv);
	log_open(in.program, LOG_MAIL, LOG_TO_SYSLOG | LOG_PROBLEMS_TO_STDERR);
	intake_original_recipient(&in);
	if ((cf = config_load(config_path(in.config_option), &err)) == NULL) {
		intake_log_lines(&err);
		goto out;
	}
	log_set_facility(log_facility_code(config_str(cf, CF_LOG_FACILITY)));
	in.max_size = config_int(cf, CF_QUEUE_MAX_SIZE);
	if (spool_open_writer(&s, config_str(cf, CF_SPOOL_DIRECTORY), spool,
	    config_str(cf, CF_MYHOSTNAME), &err) < 0) {
		log_error("%s", buf_cstr(&err));
		goto out;
	}
	status = intake_store(&in, &s);
	spool_close(&s);
out:
	config_free(cf);
	free(in.sender);
	buf_free(&err);
	return status;
}
