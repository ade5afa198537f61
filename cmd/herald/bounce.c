/*
 * herald bounce - bounces for administrators: explain, reset, verp.
 *
 * explain FILE reads one bounce (a raw message, or a bounce spool entry,
 * whose envelope then counts) and prints what bounced would make of it:
 * the attribution (lib/bouncedb: VERP address and token, list-owner,
 * ARF), the report (lib/bounce: kind, recogniser, the returned message's
 * ids) and one line per recipient:
 *
 *	rcpt: ADDRESS ACTION STATUS hard|soft DIAGNOSTIC
 *
 * STATUS is "-" when none can be said and ends in "*" when the parser
 * inferred it from the text. The VERP token is checked when the site's
 * database can be reached (-n: not tried). Exit 0 when the report names
 * a recipient or is of a known kind, 65 otherwise.
 *
 * reset LIST EMAIL forgets a member's bounce data and score (and the
 * latest report on disk), with an audit record; verp LIST MEMBER [ENVID]
 * prints a fresh VERP return path (MEMBER "-" for the list-only form),
 * for tests and for administrators checking their MTA's routing.
 *
 * Exit statuses: 0; 64 usage; 65 bad data (explain: nothing understood);
 * 66 the file cannot be read; 67 no such list or member; 75 the database
 * cannot be reached; 78 configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "bounce.h"
#include "bouncedb.h"
#include "buf.h"
#include "config.h"
#include "herald.h"
#include "log.h"
#include "roster.h"
#include "secret.h"
#include "spool.h"
#include "store.h"
#include "verp.h"

/* The largest file explain reads. */
#define BOUNCE_FILE_MAX		(64u * 1024 * 1024)

static const char bounce_usage_text[] =
    "usage: herald bounce explain [-n] FILE\n"
    "       herald bounce reset LIST EMAIL\n"
    "       herald bounce verp [-t EPOCH] LIST MEMBER [ENVID]\n"
    "  explain: what bounced makes of FILE (a message or a bounce spool\n"
    "  entry): the list, the report's kind and recogniser, and each\n"
    "  recipient's action, status (* inferred), hard or soft, diagnostic;\n"
    "  -n: do not check the VERP token against the site's secret.\n"
    "  reset: forget a member's bounce data and score.\n"
    "  verp: a VERP return path for MEMBER (\"-\": the list-only form).\n";

static void
bounce_usage(FILE *out)
{
	fputs(bounce_usage_text, out);
}

/* The whole file into b; -1 with errno. */
static int
read_file(const char *path, struct buf *b)
{
	FILE *fp = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (fp == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (buf_append(b, chunk, n) < 0) {
			errno = EFBIG;
			rc = -1;
			break;
		}
	if (ferror(fp)) {
		rc = -1;
		errno = EIO;
	}
	fclose(fp);
	return rc;
}

/* The site's configuration, or the defaults when there is none. */
static struct config *
explain_config(const char *cfpath, int *loaded)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct config *cf = config_load(config_path(cfpath), &err);

	*loaded = cf != NULL;
	if (cf == NULL) {
		size_t n = err.len;

		while (n > 0 && (err.data[n - 1] == '\n' || err.data[n - 1] == ' '))
			n--;
		buf_truncate(&err, n);
		fprintf(stderr, "herald bounce explain: %s; the defaults are "
		    "used\n", buf_cstr(&err));
		cf = config_defaults();
	}
	buf_free(&err);
	return cf;
}

/* The VERP key from the site's database: 0, or -1 (not checked). */
static int
explain_key(const struct config *cf, struct secret *key)
{
	struct store *st;
	int rc;

	if (store_open(config_str(cf, CF_DATABASE), "herald", &st) != STORE_OK)
		return -1;
	rc = secret_get(st, VERP_SECRET, key);
	store_close(st);
	return rc == STORE_OK ? 0 : -1;
}

static const char *
token_name(int v)
{
	switch (v) {
	case BOUNCEDB_VERP_NONE:
		return "none";
	case BOUNCEDB_VERP_UNCHECKED:
		return "not checked";
	default:
		return verp_result_name(v);
	}
}

static void
print_value(const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		printf("%s: %s\n", key, value);
}

static void
print_attribution(const struct bouncedb_attr *a)
{
	printf("attribution: %s\n", bouncedb_fate_name(a->fate));
	if (a->list[0] != '\0')
		printf("list: %s@%s\n", a->list, a->domain);
	else if (a->domain[0] != '\0')
		printf("domain: %s\n", a->domain);
	if (a->fate == BOUNCEDB_VERP)
		printf("member: %s\n", a->member[0] != '\0' ? a->member :
		    "(list only: the report's recipients)");
	print_value("envid", a->envid);
	if (a->address[0] != '\0')
		printf("address: %s (%s)\n", a->address,
		    a->source != NULL ? a->source : "?");
	printf("token: %s\n", token_name(a->verify));
	print_value("reason", a->reason);
}

static void
print_report(const struct bounce_report *r)
{
	printf("kind: %s\n", bounce_kind_name(r->kind));
	print_value("recogniser", r->recogniser);
	print_value("message-id", r->orig_message_id);
	print_value("list-id", r->orig_list_id);
	print_value("original-to", r->orig_to);
	print_value("return-path", r->orig_return_path);
	print_value("original-envelope-id", r->envid);
	print_value("reporting-mta", r->reporting_mta);
	print_value("feedback-type", r->feedback_type);
	print_value("disposition", r->disposition);
	printf("recipients: %zu\n", r->nrcpts);
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct bounce_rcpt *rc = &r->rcpts[i];

		printf("rcpt: %s %s %s%s %s %s\n", rc->address,
		    bounce_action_name(rc->action),
		    rc->status[0] != '\0' ? rc->status : "-",
		    rc->status[0] != '\0' && rc->status_inferred ? "*" : "",
		    rc->hard ? "hard" : "soft",
		    rc->diagnostic != NULL ? rc->diagnostic : "");
	}
}

static int
bounce_explain(const char *cfpath, int argc, char **argv)
{
	struct buf data = BUF_INIT(BOUNCE_FILE_MAX), err = BUF_INIT(4096);
	struct spool_envelope env;
	struct bouncedb_site site;
	struct bouncedb_attr attr;
	struct bounce_report rep;
	struct secret key;
	struct config *cf;
	const char *msg;
	size_t off = 0, len;
	int c, nodb = 0, loaded, spooled = 0, ex;

	while ((c = getopt(argc, argv, "hn")) != -1) {
		switch (c) {
		case 'h':
			bounce_usage(stdout);
			return EX_OK;
		case 'n':
			nodb = 1;
			break;
		default:
			bounce_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		bounce_usage(stderr);
		return EX_USAGE;
	}
	if (read_file(argv[optind], &data) == -1) {
		fprintf(stderr, "herald bounce explain: %s: %s\n", argv[optind],
		    strerror(errno));
		buf_free(&data);
		return EX_NOINPUT;
	}
	memset(&env, 0, sizeof env);
	memset(&key, 0, sizeof key);
	len = data.len;
	if (len >= 13 && memcmp(data.data, "HERALD-SPOOL ", 13) == 0) {
		if (spool_parse(data.data, data.len, &env, &off, &len, &err) < 0) {
			fprintf(stderr, "herald bounce explain: %s: %s\n",
			    argv[optind], buf_cstr(&err));
			buf_free(&data);
			buf_free(&err);
			return EX_DATAERR;
		}
		spooled = 1;
	}
	msg = data.len > 0 ? data.data + off : "";
	cf = explain_config(cfpath, &loaded);
	memset(&site, 0, sizeof site);
	site.bounce_localpart = config_str(cf, CF_BOUNCE_LOCALPART);
	site.robot_localpart = config_str(cf, CF_ROBOT_LOCALPART);
	site.tokens = config_bool(cf, CF_BOUNCE_TOKENS);
	site.verp_days = (int)config_int(cf, CF_VERP_DAYS);
	site.now = time(NULL);
	if (loaded && !nodb && explain_key(cf, &key) == 0)
		site.key = &key;
	if (spooled) {
		printf("envelope: to %s", env.recipient);
		if (env.original_recipient != NULL)
			printf(" (originally %s)", env.original_recipient);
		printf(", from <%s>\n", env.sender);
	}
	bouncedb_attribute(&site, spooled ? env.recipient : NULL,
	    spooled ? env.original_recipient : NULL,
	    spooled ? env.sender : NULL, msg, len, &attr);
	memset(&rep, 0, sizeof rep);
	buf_reset(&err);
	if (bounce_parse(msg, len, &rep, &err) == -1) {
		print_attribution(&attr);
		printf("kind: unreadable (%s)\n", buf_cstr(&err));
		ex = EX_DATAERR;
	} else {
		if (attr.fate == BOUNCEDB_ARF && rep.kind == BOUNCE_KIND_ARF)
			bouncedb_attribute_arf(&site, &rep, &attr);
		print_attribution(&attr);
		print_report(&rep);
		ex = rep.nrcpts > 0 || rep.kind != BOUNCE_KIND_NONE ? EX_OK :
		    EX_DATAERR;
	}
	bounce_report_free(&rep);
	secret_clear(&key);
	spool_envelope_free(&env);
	config_free(cf);
	buf_free(&data);
	buf_free(&err);
	return ex;
}

/* LIST (name[@domain]) into name and domain; EX_OK or EX_USAGE. */
static int
list_arg(const struct config *cf, const char *sub, const char *arg,
    struct buf *name, struct buf *domain)
{
	const char *why;

	if (roster_list_arg(arg, config_str(cf, CF_DOMAIN), name, domain,
	    &why) != 0) {
		fprintf(stderr, "herald bounce %s: %s: %s\n", sub, arg, why);
		return EX_USAGE;
	}
	return EX_OK;
}

static int
bounce_reset_tx(struct herald_ctx *c, const char *id, const char *addr,
    const char *email)
{
	struct audit_rec a;
	int rc;

	if ((rc = store_begin(c->st)) != STORE_OK)
		return rc;
	rc = bouncedb_member_reset(c->st, id, email);
	if (rc == STORE_OK) {
		memset(&a, 0, sizeof a);
		a.actor = c->who.actor;
		a.channel = c->who.channel;
		a.action = "member.bounce_reset";
		a.target = email;
		a.list_id = id;
		a.list_address = addr;
		rc = audit_write(c->st, &a);
	}
	if (rc == STORE_OK)
		return store_commit(c->st);
	store_rollback(c->st);
	return rc;
}

static int
bounce_reset(const char *cfpath, int argc, char **argv)
{
	struct herald_ctx c;
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512),
	    email = BUF_INIT(1024), addr = BUF_INIT(1024), dir = BUF_INIT(4096),
	    path = BUF_INIT(8192);
	const char *why;
	char id[24];
	int rc, ex;

	if (argc != 3) {
		bounce_usage(stderr);
		return EX_USAGE;
	}
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	if ((ex = list_arg(c.cf, "reset", argv[1], &name, &domain)) != EX_OK)
		goto out;
	if (roster_canonical_email(argv[2], &email, &why) != 0) {
		fprintf(stderr, "herald bounce reset: %s: %s\n", argv[2], why);
		ex = EX_DATAERR;
		goto out;
	}
	buf_printf(&addr, "%s@%s", buf_cstr(&name), buf_cstr(&domain));
	rc = bouncedb_list_id(c.st, buf_cstr(&name), buf_cstr(&domain), id);
	if (rc == STORE_OK)
		rc = bounce_reset_tx(&c, id, buf_cstr(&addr), buf_cstr(&email));
	switch (rc) {
	case STORE_OK:
		bouncedb_directory(c.cf, &dir);
		if (bouncedb_member_path(buf_cstr(&dir), buf_cstr(&name),
		    buf_cstr(&domain), buf_cstr(&email), &path) == 0 &&
		    unlink(buf_cstr(&path)) == -1 && errno != ENOENT)
			fprintf(stderr, "herald bounce reset: %s: %s\n",
			    buf_cstr(&path), strerror(errno));
		printf("%s: %s: bounce data reset\n", buf_cstr(&addr),
		    buf_cstr(&email));
		ex = EX_OK;
		break;
	case BOUNCEDB_NOLIST:
		fprintf(stderr, "herald bounce reset: %s: no such list\n",
		    buf_cstr(&addr));
		ex = EX_NOUSER;
		break;
	case BOUNCEDB_NOTFOUND:
		fprintf(stderr, "herald bounce reset: %s: %s is not a member\n",
		    buf_cstr(&addr), buf_cstr(&email));
		ex = EX_NOUSER;
		break;
	default:
		fprintf(stderr, "herald bounce reset: %s\n", store_error(c.st));
		ex = rc == STORE_TEMP ? EX_TEMPFAIL : EX_SOFTWARE;
		break;
	}
out:
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&email);
	buf_free(&addr);
	buf_free(&dir);
	buf_free(&path);
	return ex;
}

static int
bounce_verp(const char *cfpath, int argc, char **argv)
{
	struct herald_ctx c;
	struct buf name = BUF_INIT(256), domain = BUF_INIT(512),
	    email = BUF_INIT(1024), out = BUF_INIT(1024);
	struct secret key;
	const char *why, *member = NULL, *envid = NULL;
	time_t now = time(NULL);
	char *end;
	int ch, ex, rc;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		switch (ch) {
		case 't':
			errno = 0;
			now = (time_t)strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    now < 0) {
				fprintf(stderr, "herald bounce verp: -t %s: "
				    "not a time (seconds since 1970)\n", optarg);
				return EX_USAGE;
			}
			break;
		default:
			bounce_usage(stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind < 2 || argc - optind > 3) {
		bounce_usage(stderr);
		return EX_USAGE;
	}
	if (argc - optind == 3)
		envid = argv[optind + 2];
	if ((ex = herald_ctx_open(cfpath, &c, 1)) != EX_OK)
		return ex;
	memset(&key, 0, sizeof key);
	if ((ex = list_arg(c.cf, "verp", argv[optind], &name, &domain)) !=
	    EX_OK)
		goto out;
	if (strcmp(argv[optind + 1], "-") != 0) {
		if (roster_canonical_email(argv[optind + 1], &email, &why) !=
		    0) {
			fprintf(stderr, "herald bounce verp: %s: %s\n",
			    argv[optind + 1], why);
			ex = EX_DATAERR;
			goto out;
		}
		member = buf_cstr(&email);
	}
	if ((rc = secret_get(c.st, VERP_SECRET, &key)) != STORE_OK) {
		fprintf(stderr, "herald bounce verp: the VERP secret: %s\n",
		    store_error(c.st));
		ex = rc == STORE_TEMP ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	if (verp_encode_envid(&key, config_str(c.cf, CF_BOUNCE_LOCALPART),
	    buf_cstr(&name), buf_cstr(&domain), member, envid, now,
	    &out) != 0) {
		fprintf(stderr, "herald bounce verp: no VERP address can be "
		    "made of these (an envid is [a-z0-9]{1,%d}; the member "
		    "must be a plain dot-atom address)\n", VERP_ENVID_MAX);
		ex = EX_DATAERR;
		goto out;
	}
	printf("%s\n", buf_cstr(&out));
	ex = EX_OK;
out:
	secret_clear(&key);
	herald_ctx_close(&c);
	buf_free(&name);
	buf_free(&domain);
	buf_free(&email);
	buf_free(&out);
	return ex;
}

int
herald_bounce_cmd(const char *cfpath, int argc, char **argv)
{
	if (argc < 2) {
		bounce_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		bounce_usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "explain") == 0)
		return bounce_explain(cfpath, argc - 1, argv + 1);
	if (strcmp(argv[1], "reset") == 0)
		return bounce_reset(cfpath, argc - 1, argv + 1);
	if (strcmp(argv[1], "verp") == 0)
		return bounce_verp(cfpath, argc - 1, argv + 1);
	fprintf(stderr, "herald bounce: unknown command '%s'\n", argv[1]);
	bounce_usage(stderr);
	return EX_USAGE;
}
