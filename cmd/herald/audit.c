/*
 * herald audit - print the audit log, newest first, so an administrator
 * sees every change: when, who, through which channel, what, on which
 * list, to whom, how it ended and its details.
 *
 *	herald audit [--list LIST] [--target EMAIL] [--actor WHO]
 *	    [--since DATE|DURATION] [--limit N] [--json]
 *
 * Text output is one tab-separated line per record (an empty field is
 * "-"); --json prints one JSON object per line (JSON Lines), so a script
 * can stream it through jq. Reading only: nothing here changes the log.
 *
 * Exit statuses (<sysexits.h>): 64 usage, 65 a bad value, 75 the database
 * cannot be reached, 78 configuration.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "audit.h"
#include "buf.h"
#include "config.h"
#include "herald.h"
#include "roster.h"
#include "store.h"

/* The default number of records: the latest, not a whole year's log. */
#define AUDIT_DEFAULT_LIMIT	100

static const char audit_usage_text[] =
    "usage: herald audit [--list LIST] [--target EMAIL] [--actor WHO]\n"
    "                    [--since DATE|DURATION] [--limit N] [--json]\n"
    "  print the audit log, newest first: time (UTC), actor, channel,\n"
    "  action, list, target, status, details (tab-separated; --json: one\n"
    "  JSON object per line).\n"
    "  LIST is NAME[@DOMAIN]; DATE is YYYY-MM-DD[THH:MM[:SS]] (UTC);\n"
    "  DURATION is N followed by s, m, h, d or w (e.g. 7d: the last 7 days);\n"
    "  --limit N: at most N records (default 100, 0 for all).\n";

struct audit_out {
	int		 json;
	long		 count;
	struct buf	 line;
};

/* Whether s is n digits. */
static int
audit_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * YYYY-MM-DD, optionally followed by T or a space and HH:MM[:SS], taken as
 * UTC: checked here so only well-formed text reaches the database.
 */
static int
audit_date(const char *s, struct buf *out)
{
	size_t n = strlen(s);

	if (n < 10 || !audit_digits(s, 4) || s[4] != '-' ||
	    !audit_digits(s + 5, 2) || s[7] != '-' || !audit_digits(s + 8, 2))
		return -1;
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != ' ') || n < 16 ||
		    !audit_digits(s + 11, 2) || s[13] != ':' ||
		    !audit_digits(s + 14, 2))
			return -1;
		if (n != 16 && (n != 19 || s[16] != ':' ||
		    !audit_digits(s + 17, 2)))
			return -1;
	}
	buf_reset(out);
	buf_printf(out, "%.10s %s+00", s, n > 10 ? s + 11 : "00:00");
	return 0;
}

/* N followed by s, m, h, d or w into an interval PostgreSQL reads. */
static int
audit_duration(const char *s, struct buf *out)
{
	static const struct {
		char		 c;
		const char	*unit;
	} units[] = {
		{ 's', "seconds" }, { 'm', "minutes" }, { 'h', "hours" },
		{ 'd', "days" }, { 'w', "weeks" },
	};
	size_t n = strlen(s);

	/* Nine digits at most: no overflow of PostgreSQL's interval. */
	if (n < 2 || n > 10 || !audit_digits(s, n - 1))
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (s[n - 1] == units[i].c) {
			buf_reset(out);
			buf_printf(out, "%.*s %s", (int)(n - 1), s, units[i].unit);
			return 0;
		}
	}
	return -1;
}

/* A text field: "-" for empty; tabs and line ends would break the line. */
static void
audit_field(struct buf *b, const char *s)
{
	if (*s == '\0') {
		buf_putc(b, '-');
		return;
	}
	for (; *s != '\0'; s++)
		buf_putc(b, *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static int
audit_print(const struct audit_row *r, void *arg)
{
	struct audit_out *o = arg;
	struct buf *b = &o->line;

	buf_reset(b);
	if (o->json) {
		/* details is already a JSON object: it goes in as it is. */
		audit_json_begin(b);
		audit_json_int(b, "id", strtoll(r->id, NULL, 10));
		audit_json_str(b, "at", r->at);
		audit_json_str(b, "actor", *r->actor ? r->actor : NULL);
		audit_json_str(b, "channel", r->channel);
		audit_json_str(b, "action", r->action);
		audit_json_str(b, "list", *r->list_address ? r->list_address :
		    NULL);
		audit_json_str(b, "target", *r->target ? r->target : NULL);
		audit_json_str(b, "status", r->status);
		audit_json_str(b, "error", *r->error ? r->error : NULL);
		audit_json_str(b, "message_id", *r->message_id ?
		    r->message_id : NULL);
		audit_json_str(b, "client", *r->client ? r->client : NULL);
		buf_puts(b, ",\"details\":");
		buf_puts(b, *r->details ? r->details : "{}");
		audit_json_end(b);
	} else {
		const char *f[] = { r->at, r->actor, r->channel, r->action,
		    r->list_address, r->target, r->status };

		for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
			audit_field(b, f[i]);
			buf_putc(b, '\t');
		}
		if (*r->error != '\0') {
			buf_puts(b, "error: ");
			audit_field(b, r->error);
			buf_putc(b, ' ');
		}
		audit_field(b, r->details);
	}
	buf_putc(b, '\n');
	if (fwrite(b->data, 1, b->len, stdout) != b->len)
		return STORE_ERROR;
	o->count++;
	return STORE_OK;
}

int
herald_audit_cmd(const char *cfpath, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list", required_argument, NULL, 'l' },
		{ "target", required_argument, NULL, 't' },
		{ "actor", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512);
	struct buf list = BUF_INIT(1024), target = BUF_INIT(1024);
	struct buf since = BUF_INIT(256);
	struct audit_out o = { 0, 0, BUF_INIT(BUF_UNLIMITED) };
	struct audit_filter f = { NULL, NULL, NULL, NULL, NULL,
	    AUDIT_DEFAULT_LIMIT };
	const char *list_arg = NULL, *target_arg = NULL, *since_arg = NULL;
	const char *why;
	struct config *cf = NULL;
	struct store *st = NULL;
	char *end;
	int ch, rc, ex = EX_USAGE;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "l:t:a:s:n:jh", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'l':
			list_arg = optarg;
			break;
		case 't':
			target_arg = optarg;
			break;
		case 'a':
			f.actor = optarg;
			break;
		case 's':
			since_arg = optarg;
			break;
		case 'n':
			f.limit = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || f.limit < 0 ||
			    f.limit > 1000000000L) {
				fprintf(stderr, "herald audit: --limit %s: not "
				    "a number from 0 to 1000000000\n", optarg);
				goto usage;
			}
			break;
		case 'j':
			o.json = 1;
			break;
		case 'h':
			fputs(audit_usage_text, stdout);
			ex = EX_OK;
			goto out;
		default:
			goto usage;
		}
	}
	if (argc != optind)
		goto usage;
	if (since_arg != NULL) {
		if (audit_duration(since_arg, &since) == 0)
			f.ago = buf_cstr(&since);
		else if (audit_date(since_arg, &since) == 0)
			f.since = buf_cstr(&since);
		else {
			fprintf(stderr, "herald audit: --since %s: neither a "
			    "date (YYYY-MM-DD[THH:MM[:SS]]) nor a duration "
			    "(7d, 12h, 30m, 2w)\n", since_arg);
			goto usage;
		}
	}
	if (target_arg != NULL) {
		if (roster_canonical_email(target_arg, &target, &why) != 0) {
			fprintf(stderr, "herald audit: --target %s: %s\n",
			    target_arg, why);
			ex = EX_DATAERR;
			goto out;
		}
		f.target = buf_cstr(&target);
	}
	if ((ex = herald_load_config(cfpath, &cf)) != EX_OK)
		goto out;
	if (list_arg != NULL) {
		if (roster_list_arg(list_arg, config_str(cf, CF_DOMAIN), &name,
		    &domain, &why) != 0) {
			fprintf(stderr, "herald audit: --list %s: %s\n",
			    list_arg, why);
			ex = EX_DATAERR;
			goto out;
		}
		buf_printf(&list, "%s@%s", buf_cstr(&name), buf_cstr(&domain));
		f.list_address = buf_cstr(&list);
	}
	if ((ex = herald_open_store(cf, "herald", &st)) != EX_OK)
		goto out;
	rc = audit_read(st, &f, audit_print, &o);
	if (rc != STORE_OK) {
		/* Class 22: a value PostgreSQL could not take (a 31 April). */
		if (rc == STORE_ERROR && strncmp(store_sqlstate(st), "22", 2) == 0) {
			fprintf(stderr, "herald audit: --since %s: not a valid "
			    "date\n", since_arg != NULL ? since_arg : "");
			ex = EX_DATAERR;
			goto out;
		}
		fprintf(stderr, "herald audit: reading the audit log failed\n");
		ex = rc == STORE_TEMP ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	if (fflush(stdout) != 0) {
		ex = EX_IOERR;
		goto out;
	}
	ex = EX_OK;
out:
	if (st != NULL)
		store_close(st);
	if (cf != NULL)
		config_free(cf);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&list);
	buf_free(&target);
	buf_free(&since);
	buf_free(&o.line);
	return ex;
usage:
	fputs(audit_usage_text, stderr);
	ex = EX_USAGE;
	goto out;
}
