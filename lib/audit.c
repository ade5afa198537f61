/*
 * audit - appending to audit_log, and the small JSON writer its details
 * need.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "store.h"

int
audit_write(struct store *st, const struct audit_rec *r)
{
	const char *p[] = {
		r->actor, r->channel, r->action, r->target, r->list_id,
		r->list_address, r->status != NULL ? r->status : "success",
		r->error, r->details != NULL ? r->details : "{}",
	};

	return store_cmd(st,
	    "INSERT INTO audit_log (actor, channel, action, target, list_id, "
	    "list_address, status, error, details) "
	    "VALUES ($1, $2, $3, $4, $5::bigint, $6, $7, $8, $9::jsonb)",
	    STORE_NPARAMS(p), p, NULL);
}

/* A name fit for the actor column: no control characters, bounded. */
static void
audit_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

const char *
audit_cli_actor(void)
{
	static char actor[160];
	struct passwd *pw;
	const char *sudo;

	if (actor[0] != '\0')
		return actor;
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(actor, sizeof actor, "%s", pw->pw_name);
	else
		snprintf(actor, sizeof actor, "uid %lu",
		    (unsigned long)getuid());
	/*
	 * root through sudo: the person behind it is what the record is for.
	 * SUDO_USER is only believed for root, where sudo is what set it.
	 */
	if (getuid() == 0 && (sudo = getenv("SUDO_USER")) != NULL &&
	    *sudo != '\0' && strlen(sudo) < 64) {
		size_t n = strlen(actor);

		snprintf(actor + n, sizeof actor - n, " (sudo %s)", sudo);
	}
	audit_clean(actor);
	return actor;
}

void
audit_json_quote(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, c);
		} else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_putc(b, c);
	}
	buf_putc(b, '"');
}

void
audit_json_begin(struct buf *b)
{
	buf_reset(b);
	buf_putc(b, '{');
}

static void
audit_json_key(struct buf *b, const char *key)
{
	if (b->len > 1)
		buf_putc(b, ',');
	audit_json_quote(b, key);
	buf_putc(b, ':');
}

void
audit_json_str(struct buf *b, const char *key, const char *value)
{
	audit_json_key(b, key);
	if (value == NULL)
		buf_puts(b, "null");
	else
		audit_json_quote(b, value);
}

void
audit_json_int(struct buf *b, const char *key, long long value)
{
	audit_json_key(b, key);
	buf_printf(b, "%lld", value);
}

void
audit_json_end(struct buf *b)
{
	buf_putc(b, '}');
}
