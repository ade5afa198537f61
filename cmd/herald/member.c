/*
 * herald member - a list's members: add, del, ls, set, find, import, export,
 * history.
 *
 * Addresses are stored lower-cased (Sympa treats John@x and john@x as one
 * member). Every change writes its audit record in its own transaction.
 *
 * import reads CSV (RFC 4180, lib/csv.h) whose first line names the
 * columns: email (required), name, reception, visibility; any other
 * column is a custom attribute. A file whose first line is an address has
 * no header: its columns are email and name. Good rows are imported, bad
 * ones reported with their line and why; all of it in one transaction
 * with one audit record per member added. A progress bar goes to stderr
 * when stderr is a terminal, and nothing of it otherwise.
 *
 * history prints every audit record about one address on one list, oldest
 * first, with the proof each keeps (Message-ID, confirming key, who asked,
 * why): what an owner shows when a member says "I never subscribed". The
 * records are found by the list's id and, once the list is purged, by its
 * address, so they outlive the list.
 *
 * Exit statuses: 0; 64 usage; 65 bad data (for import: some rows were
 * invalid, the good ones were imported); 66 the file cannot be read;
 * 67 no such list or member (history: no record); 73 cannot create the
 * export file; 75 the database cannot be reached; 78 configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "config.h"
#include "csv.h"
#include "herald.h"
#include "log.h"
#include "mem.h"
#include "roster.h"
#include "store.h"

/* Rows sent to the database per statement, and per progress step. */
#define MEMBER_CHUNK		5000
/* Invalid rows listed one by one; beyond, only counted. */
#define MEMBER_REPORT_MAX	10000

struct member_ctx {
	struct config	*cf;
	struct store	*st;
	struct roster_who who;
	struct buf	 name, domain;	/* the list */
	char		 addr[320];	/* name@domain, for messages */
};

static const char member_usage_text[] =
    "usage: herald member add LIST EMAIL [--name NAME]\n"
    "       herald member del LIST EMAIL\n"
    "       herald member ls LIST\n"
    "       herald member set LIST EMAIL [--reception MODE] "
    "[--visibility conceal|noconceal]\n"
    "       herald member find PATTERN\n"
    "       herald member import LIST FILE.csv\n"
    "       herald member export LIST [FILE.csv]\n"
    "       herald member history LIST EMAIL [--json]\n"
    "  LIST is NAME[@DOMAIN]; MODE is one of mail, digest, digestplain,\n"
    "  summary, notice, txt, urlize, nomail, not_me.\n"
    "  import: a header line names the columns (email, name, reception,\n"
    "  visibility; others are custom attributes); good rows are imported,\n"
    "  bad ones reported with their line number.\n"
    "  history: every change about EMAIL on LIST, oldest first, with its\n"
    "  proof (Message-ID, confirming key, who asked, why).\n";

static void
member_usage(FILE *out)
{
	fputs(member_usage_text, out);
}

static int
member_open(const char *cfpath, struct member_ctx *c, const char *sub,
    const char *list)
{
	const char *why;
	int rc;

	memset(c, 0, sizeof *c);
	buf_init(&c->name, 256);
	buf_init(&c->domain, 512);
	c->who.actor = audit_cli_actor();
	c->who.channel = "cli";
	if ((rc = herald_load_config(cfpath, &c->cf)) != EX_OK)
		return rc;
	if (list != NULL) {
		if (roster_list_arg(list, config_str(c->cf, CF_DOMAIN),
		    &c->name, &c->domain, &why) != 0) {
			fprintf(stderr, "herald member %s: %s: %s\n", sub, list,
			    why);
			return EX_DATAERR;
		}
		snprintf(c->addr, sizeof c->addr, "%s@%s", buf_cstr(&c->name),
		    buf_cstr(&c->domain));
	}
	return herald_open_store(c->cf, "herald", &c->st);
}

static void
member_close(struct member_ctx *c)
{
	if (c->st != NULL)
		store_close(c->st);
	if (c->cf != NULL)
		config_free(c->cf);
	buf_free(&c->name);
	buf_free(&c->domain);
}

/* Report a roster result; its exit status. */
static int
member_fail(const struct member_ctx *c, const char *sub, const char *email,
    int rc)
{
	if (rc == ROSTER_NOLIST)
		fprintf(stderr, "herald member %s: %s: no such list\n", sub,
		    c->addr);
	else if (rc == ROSTER_NOTFOUND)
		fprintf(stderr, "herald member %s: %s: %s is not a member\n",
		    sub, c->addr, email);
	else if (rc == ROSTER_EXISTS)
		fprintf(stderr, "herald member %s: %s: %s is a member "
		    "already\n", sub, c->addr, email);
	else if (rc == ROSTER_STATE)
		fprintf(stderr, "herald member %s: %s: the list is closed\n",
		    sub, c->addr);
	else
		fprintf(stderr, "herald member %s: %s: %s\n", sub, c->addr,
		    roster_strerror(rc));
	return roster_sysexit(rc);
}

/* An address argument in its stored form; a message if it is bad. */
static int
member_email(const char *sub, const char *arg, struct buf *out)
{
	const char *why;

	if (roster_canonical_email(arg, out, &why) != 0) {
		fprintf(stderr, "herald member %s: %s: %s\n", sub, arg, why);
		return -1;
	}
	return 0;
}

/* -- add, del, set ------------------------------------------------------------ */

static int
member_change(const char *cfpath, const char *sub, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "reception", required_argument, NULL, 'r' },
		{ "visibility", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *gecos = NULL, *reception = NULL, *visibility = NULL, *why;
	struct buf email = BUF_INIT(1024);
	struct member_ctx c;
	int ch, rc, ex;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "n:r:V:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			gecos = optarg;
			break;
		case 'r':
			reception = optarg;
			break;
		case 'V':
			visibility = optarg;
			break;
		case 'h':
			member_usage(stdout);
			return EX_OK;
		default:
			member_usage(stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind != 2 ||
	    (gecos != NULL && strcmp(sub, "add") != 0) ||
	    ((reception != NULL || visibility != NULL) &&
	    strcmp(sub, "set") != 0) ||
	    (strcmp(sub, "set") == 0 && reception == NULL &&
	    visibility == NULL)) {
		member_usage(stderr);
		return EX_USAGE;
	}
	if (reception != NULL && !roster_reception_valid(reception)) {
		fprintf(stderr, "herald member set: --reception %s: not a "
		    "reception mode\n", reception);
		return EX_USAGE;
	}
	if (visibility != NULL && !roster_visibility_valid(visibility)) {
		fprintf(stderr, "herald member set: --visibility %s: conceal "
		    "or noconceal\n", visibility);
		return EX_USAGE;
	}
	if (gecos != NULL && !roster_name_storable(gecos, &why)) {
		fprintf(stderr, "herald member add: --name: %s\n", why);
		return EX_DATAERR;
	}
	if (member_email(sub, argv[optind + 1], &email) != 0) {
		buf_free(&email);
		return EX_DATAERR;
	}
	if ((ex = member_open(cfpath, &c, sub, argv[optind])) != EX_OK)
		goto out;
	if (strcmp(sub, "add") == 0)
		rc = roster_member_add(c.st, &c.who, buf_cstr(&c.name),
		    buf_cstr(&c.domain), buf_cstr(&email), gecos, NULL);
	else if (strcmp(sub, "del") == 0)
		rc = roster_member_del(c.st, &c.who, buf_cstr(&c.name),
		    buf_cstr(&c.domain), buf_cstr(&email));
	else
		rc = roster_member_set(c.st, &c.who, buf_cstr(&c.name),
		    buf_cstr(&c.domain), buf_cstr(&email), reception,
		    visibility);
	if (rc != STORE_OK) {
		ex = member_fail(&c, sub, buf_cstr(&email), rc);
		goto out;
	}
	printf("%s: %s %s\n", c.addr, buf_cstr(&email),
	    strcmp(sub, "add") == 0 ? "added" :
	    strcmp(sub, "del") == 0 ? "removed" : "updated");
	ex = EX_OK;
out:
	member_close(&c);
	buf_free(&email);
	return ex;
}

/* -- ls, find ---------------------------------------------------------------- */

static int
member_print(const struct roster_entry *e, void *arg)
{
	int with_list = *(int *)arg;

	if (with_list)
		printf("%s@%s\t", e->list_name, e->list_domain);
	printf("%s\t%s\t%s\t%s\n", e->email, e->reception, e->visibility,
	    e->name);
	return STORE_OK;
}

static int
member_list(const char *cfpath, const char *sub, int argc, char **argv)
{
	struct member_ctx c;
	int find = strcmp(sub, "find") == 0;
	int help = 0, rc, ex;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0))
		help = 1;
	if (help) {
		member_usage(stdout);
		return EX_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		member_usage(stderr);
		return EX_USAGE;
	}
	if (find && (argv[1][0] == '\0' || strlen(argv[1]) > 254)) {
		fprintf(stderr, "herald member find: the pattern must be 1 to "
		    "254 bytes\n");
		return EX_USAGE;
	}
	if ((ex = member_open(cfpath, &c, sub, find ? NULL : argv[1])) !=
	    EX_OK)
		goto out;
	if (find)
		rc = roster_member_find(c.st, argv[1], member_print, &find);
	else
		rc = roster_member_ls(c.st, buf_cstr(&c.name),
		    buf_cstr(&c.domain), member_print, &find);
	ex = rc == STORE_OK ? EX_OK : member_fail(&c, sub, "", rc);
out:
	member_close(&c);
	return ex;
}

/* -- export -------------------------------------------------------------------- */

static int
member_export(const char *cfpath, int argc, char **argv)
{
	struct herald_csv_out o = { NULL, BUF_INIT(1024 * 1024), 0 };
	struct member_ctx c;
	const char *file;
	int rc, ex;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		member_usage(stdout);
		return EX_OK;
	}
	if (argc < 2 || argc > 3) {
		member_usage(stderr);
		return EX_USAGE;
	}
	file = argc == 3 ? argv[2] : NULL;
	if ((ex = member_open(cfpath, &c, "export", argv[1])) != EX_OK)
		goto out;
	if (file == NULL || strcmp(file, "-") == 0)
		o.fp = stdout;
	else if ((o.fp = fopen(file, "w")) == NULL) {
		fprintf(stderr, "herald member export: %s: %s\n", file,
		    strerror(errno));
		ex = EX_CANTCREAT;
		goto out;
	}
	rc = roster_member_export(c.st, buf_cstr(&c.name), buf_cstr(&c.domain),
	    herald_csv_row, &o);
	if ((o.fp == stdout ? fflush(o.fp) : fclose(o.fp)) != 0 &&
	    rc == STORE_OK) {
		fprintf(stderr, "herald member export: %s: %s\n",
		    file != NULL ? file : "stdout", strerror(errno));
		ex = EX_IOERR;
		goto out;
	}
	if (rc != STORE_OK) {
		ex = member_fail(&c, "export", "", rc);
		goto out;
	}
	if (file != NULL && strcmp(file, "-") != 0)
		printf("%s: %ld members written to %s\n", c.addr, o.rows - 1,
		    file);
	ex = EX_OK;
out:
	member_close(&c);
	buf_free(&o.line);
	return ex;
}

/* -- import ---------------------------------------------------------------------- */

struct member_bad {
	unsigned long	 line;
	char		*why;
};

struct member_import {
	const char	*file;
	struct roster_import_row *rows;
	size_t		 nrows, caprows;
	struct member_bad *bad;
	size_t		 nbad, capbad;
	unsigned long	 ninvalid;
	/* Columns: -1 when absent. */
	int		 col_email, col_name, col_reception, col_visibility;
	char		**colnames;
	size_t		 ncols;
	/* Addresses seen: open addressing over indexes into rows, + 1. */
	size_t		*seen;
	size_t		 capseen;
	/* Progress on a terminal. */
	int		 tty;
	struct timespec	 last;
};

/* Text from the file, fit for a terminal: controls and bad bytes as \xHH. */
static void
member_quote(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);
	long bad = csv_utf8_check(s, n);

	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || (bad >= 0 && ch >= 0x80))
			buf_printf(b, "\\x%02x", ch);
		else
			buf_putc(b, ch);
	}
	if (n > max)
		buf_puts(b, "...");
}

static void __attribute__((format(printf, 3, 4)))
member_invalid(struct member_import *im, unsigned long line,
    const char *fmt, ...)
{
	struct buf why = BUF_INIT(4096);
	va_list ap;

	im->ninvalid++;
	if (im->nbad >= MEMBER_REPORT_MAX)
		return;
	va_start(ap, fmt);
	buf_vprintf(&why, fmt, ap);
	va_end(ap);
	if (im->nbad == im->capbad) {
		im->capbad = im->capbad ? im->capbad * 2 : 64;
		im->bad = xreallocarray(im->bad, im->capbad, sizeof *im->bad);
	}
	im->bad[im->nbad].line = line;
	im->bad[im->nbad].why = buf_steal(&why);
	im->nbad++;
}

static uint64_t
member_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The row with this address already, or (size_t)-1; else remember it. */
static size_t
member_seen(struct member_import *im, size_t row)
{
	size_t mask, i;

	/* Keep the table at most half full. */
	if ((im->nrows + 1) * 2 > im->capseen) {
		size_t ncap = im->capseen ? im->capseen * 2 : 1024;
		size_t *nseen = xcalloc(ncap, sizeof *nseen);

		for (size_t k = 0; k < im->capseen; k++) {
			if (im->seen[k] == 0)
				continue;
			i = member_hash(im->rows[im->seen[k] - 1].email) &
			    (ncap - 1);
			while (nseen[i] != 0)
				i = (i + 1) & (ncap - 1);
			nseen[i] = im->seen[k];
		}
		free(im->seen);
		im->seen = nseen;
		im->capseen = ncap;
	}
	mask = im->capseen - 1;
	i = member_hash(im->rows[row].email) & mask;
	while (im->seen[i] != 0) {
		if (strcmp(im->rows[im->seen[i] - 1].email,
		    im->rows[row].email) == 0)
			return im->seen[i] - 1;
		i = (i + 1) & mask;
	}
	im->seen[i] = row + 1;
	return (size_t)-1;
}

/* The header: which column is which. -1 (reported) if it is unusable. */
static int
member_header(struct member_import *im, const struct csv_record *rec)
{
	im->col_email = im->col_name = -1;
	im->col_reception = im->col_visibility = -1;
	im->ncols = rec->n;
	im->colnames = xcalloc(rec->n, sizeof *im->colnames);
	for (size_t i = 0; i < rec->n; i++) {
		char *f = xstrdup(rec->fields[i]);
		const char *why;

		/* Names compare trimmed and without regard to ASCII case. */
		for (char *p = f; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		im->colnames[i] = f;
		if (strcmp(f, "email") == 0 || strcmp(f, "e-mail") == 0 ||
		    strcmp(f, "address") == 0)
			im->col_email = (int)i;
		else if (strcmp(f, "name") == 0 || strcmp(f, "gecos") == 0)
			im->col_name = (int)i;
		else if (strcmp(f, "reception") == 0)
			im->col_reception = (int)i;
		else if (strcmp(f, "visibility") == 0)
			im->col_visibility = (int)i;
		else if (*f == '\0' || !roster_name_storable(f, &why)) {
			fprintf(stderr, "herald member import: %s:%lu: column "
			    "%zu: an attribute needs a name in UTF-8 without "
			    "control characters\n", im->file, rec->line, i + 1);
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(im->colnames[k], f) == 0) {
				fprintf(stderr, "herald member import: %s:%lu: "
				    "column '%s' twice\n", im->file, rec->line,
				    f);
				return -1;
			}
	}
	if (im->col_email < 0) {
		fprintf(stderr, "herald member import: %s:%lu: no 'email' "
		    "column in the header line\n", im->file, rec->line);
		return -1;
	}
	return 0;
}

/* Trim blanks around a field in place. */
static char *
member_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Check one data row; keep it, or report it. */
static void
member_row(struct member_import *im, const struct csv_record *rec)
{
	struct buf email = BUF_INIT(1024), attrs = BUF_INIT(BUF_UNLIMITED);
	struct buf q = BUF_INIT(4096);
	struct roster_import_row *r;
	const char *why, *name = NULL, *reception = NULL, *visibility = NULL;
	char *e;
	size_t dup;
	int nattrs = 0;

	if (rec->n != im->ncols) {
		member_invalid(im, rec->line, "%zu fields, the header has %zu",
		    rec->n, im->ncols);
		goto out;
	}
	e = member_trim(rec->fields[im->col_email]);
	if (roster_canonical_email(e, &email, &why) != 0) {
		member_quote(&q, e, 80);
		member_invalid(im, rec->line, "'%s': %s", buf_cstr(&q), why);
		goto out;
	}
	if (im->col_name >= 0 &&
	    *(name = member_trim(rec->fields[im->col_name])) != '\0' &&
	    !roster_name_storable(name, &why)) {
		long at = csv_utf8_check(name, strlen(name));

		if (at >= 0)
			member_invalid(im, rec->line, "name: not UTF-8 (byte "
			    "0x%02x at offset %ld; is the file Latin-1?)",
			    (unsigned char)name[at], at);
		else
			member_invalid(im, rec->line, "name: %s", why);
		goto out;
	}
	if (name != NULL && *name == '\0')
		name = NULL;
	if (im->col_reception >= 0 &&
	    *(reception = member_trim(rec->fields[im->col_reception])) != '\0' &&
	    !roster_reception_valid(reception)) {
		member_quote(&q, reception, 40);
		member_invalid(im, rec->line, "reception '%s': not a reception "
		    "mode", buf_cstr(&q));
		goto out;
	}
	if (reception != NULL && *reception == '\0')
		reception = NULL;
	if (im->col_visibility >= 0 &&
	    *(visibility = member_trim(rec->fields[im->col_visibility])) !=
	    '\0' && !roster_visibility_valid(visibility)) {
		member_quote(&q, visibility, 40);
		member_invalid(im, rec->line, "visibility '%s': conceal or "
		    "noconceal", buf_cstr(&q));
		goto out;
	}
	if (visibility != NULL && *visibility == '\0')
		visibility = NULL;
	/* Every other column is a custom attribute; empty ones are left out. */
	audit_json_begin(&attrs);
	for (size_t i = 0; i < rec->n; i++) {
		if ((int)i == im->col_email || (int)i == im->col_name ||
		    (int)i == im->col_reception ||
		    (int)i == im->col_visibility || rec->lens[i] == 0)
			continue;
		if (csv_utf8_check(rec->fields[i], rec->lens[i]) >= 0) {
			member_invalid(im, rec->line, "column '%s': not UTF-8",
			    im->colnames[i]);
			goto out;
		}
		audit_json_str(&attrs, im->colnames[i], rec->fields[i]);
		nattrs++;
	}
	audit_json_end(&attrs);
	if (im->nrows == im->caprows) {
		im->caprows = im->caprows ? im->caprows * 2 : 1024;
		im->rows = xreallocarray(im->rows, im->caprows,
		    sizeof *im->rows);
	}
	r = &im->rows[im->nrows];
	r->email = buf_steal(&email);
	r->name = name != NULL ? xstrdup(name) : NULL;
	r->attributes = nattrs > 0 ? buf_steal(&attrs) : NULL;
	r->reception = reception != NULL ? xstrdup(reception) : NULL;
	r->visibility = visibility != NULL ? xstrdup(visibility) : NULL;
	r->line = rec->line;
	if ((dup = member_seen(im, im->nrows)) != (size_t)-1) {
		member_invalid(im, rec->line, "%s: already on line %lu",
		    r->email, im->rows[dup].line);
		free((char *)r->email);
		free((char *)r->name);
		free((char *)r->attributes);
		free((char *)r->reception);
		free((char *)r->visibility);
		goto out;
	}
	im->nrows++;
out:
	buf_free(&email);
	buf_free(&attrs);
	buf_free(&q);
}

static void
member_import_free(struct member_import *im)
{
	for (size_t i = 0; i < im->nrows; i++) {
		free((char *)im->rows[i].email);
		free((char *)im->rows[i].name);
		free((char *)im->rows[i].attributes);
		free((char *)im->rows[i].reception);
		free((char *)im->rows[i].visibility);
	}
	free(im->rows);
	for (size_t i = 0; i < im->nbad; i++)
		free(im->bad[i].why);
	free(im->bad);
	for (size_t i = 0; i < im->ncols; i++)
		free(im->colnames[i]);
	free(im->colnames);
	free(im->seen);
}

/* A progress bar on a terminal, redrawn at most ten times a second. */
static void
member_progress(struct member_import *im, const char *what,
    unsigned long long done, unsigned long long total, int force)
{
	struct timespec now;
	int width = 40, fill;
	double frac;

	if (!im->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && (now.tv_sec - im->last.tv_sec) * 1000000000L +
	    (now.tv_nsec - im->last.tv_nsec) < 100000000L)
		return;
	im->last = now;
	frac = total > 0 ? (double)done / (double)total : 1.0;
	if (frac > 1.0)
		frac = 1.0;
	fill = (int)(frac * width);
	fprintf(stderr, "\r%-9s [%.*s%*s] %3d%% %llu/%llu", what, fill,
	    "########################################", width - fill, "",
	    (int)(frac * 100), done, total);
	fflush(stderr);
}

static void
member_progress_end(struct member_import *im)
{
	if (im->tty)
		fputs("\r\033[K", stderr);
}

/* Read and check the whole file. -1 (reported) if it cannot be used. */
static int
member_read(struct member_import *im, FILE *fp, unsigned long long size)
{
	struct csv_reader *r = csv_open(fp, NULL);
	struct csv_record rec;
	int rc, have_header = 0, ret = 0;

	for (;;) {
		rc = csv_read(r, &rec);
		if (rc == CSV_EOF)
			break;
		if (rc == CSV_FATAL) {
			fprintf(stderr, "herald member import: %s:%lu: %s\n",
			    im->file, csv_line(r), csv_error(r));
			ret = -1;
			break;
		}
		if (rc == CSV_BAD) {
			if (!have_header) {
				fprintf(stderr, "herald member import: %s:%lu: "
				    "header line: %s\n", im->file, rec.line,
				    csv_error(r));
				ret = -1;
				break;
			}
			member_invalid(im, rec.line, "%s", csv_error(r));
			continue;
		}
		if (csv_record_blank(&rec))
			continue;
		if (!have_header) {
			have_header = 1;
			/* No header: the first line is already an address. */
			if (strchr(rec.fields[0], '@') != NULL) {
				static char *cols[] = { "email", "name" };
				struct csv_record h = { cols, NULL, 2, rec.line };

				if (member_header(im, &h) != 0) {
					ret = -1;
					break;
				}
				if (rec.n == 1)
					im->ncols = 1, im->col_name = -1;
			} else {
				if (member_header(im, &rec) != 0) {
					ret = -1;
					break;
				}
				continue;
			}
		}
		member_row(im, &rec);
		member_progress(im, "reading", csv_offset(r), size, 0);
	}
	if (ret == 0 && !have_header) {
		fprintf(stderr, "herald member import: %s: no rows\n",
		    im->file);
		ret = -1;
	}
	csv_close(r);
	return ret;
}

static int
member_import(const char *cfpath, int argc, char **argv)
{
	struct member_import im;
	struct member_ctx c;
	struct roster_list l;
	struct stat sb;
	unsigned long long size = 0;
	long long added = 0, k;
	FILE *fp;
	int rc, ex;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		member_usage(stdout);
		return EX_OK;
	}
	if (argc != 3) {
		member_usage(stderr);
		return EX_USAGE;
	}
	memset(&im, 0, sizeof im);
	im.file = argv[2];
	im.tty = isatty(STDERR_FILENO);
	if (strcmp(im.file, "-") == 0) {
		fp = stdin;
		im.file = "stdin";
	} else if ((fp = fopen(im.file, "rb")) == NULL) {
		fprintf(stderr, "herald member import: %s: %s\n", im.file,
		    strerror(errno));
		return EX_NOINPUT;
	}
	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
		size = (unsigned long long)sb.st_size;
	if ((ex = member_open(cfpath, &c, "import", argv[1])) != EX_OK)
		goto out;
	/* The list first: no point reading a file for a list that is not. */
	if ((rc = roster_list_get(c.st, buf_cstr(&c.name),
	    buf_cstr(&c.domain), &l)) != STORE_OK) {
		ex = member_fail(&c, "import", "", rc);
		goto out;
	}
	if (member_read(&im, fp, size) != 0) {
		member_progress_end(&im);
		ex = EX_DATAERR;
		goto out;
	}
	/* One transaction: all the good rows and their records, or nothing. */
	if ((rc = store_begin(c.st)) != STORE_OK ||
	    (rc = roster_list_lock(c.st, l.name, l.domain, &l)) != STORE_OK) {
		store_rollback(c.st);
		member_progress_end(&im);
		ex = member_fail(&c, "import", "", rc);
		goto out;
	}
	for (size_t i = 0; i < im.nrows; i += MEMBER_CHUNK) {
		size_t n = im.nrows - i < MEMBER_CHUNK ? im.nrows - i :
		    MEMBER_CHUNK;

		member_progress(&im, "importing", i, im.nrows, 1);
		if ((rc = roster_member_import(c.st, &c.who, &l, im.file,
		    im.rows + i, n, &k)) != STORE_OK)
			break;
		added += k;
	}
	if (rc == STORE_OK)
		member_progress(&im, "importing", im.nrows, im.nrows, 1);
	if (rc == STORE_OK)
		rc = store_commit(c.st);
	else
		store_rollback(c.st);
	member_progress_end(&im);
	if (rc != STORE_OK) {
		ex = member_fail(&c, "import", "", rc);
		fprintf(stderr, "herald member import: nothing was imported\n");
		goto out;
	}
	for (size_t i = 0; i < im.nbad; i++)
		fprintf(stderr, "herald member import: %s:%lu: %s\n", im.file,
		    im.bad[i].line, im.bad[i].why);
	if (im.ninvalid > im.nbad)
		fprintf(stderr, "herald member import: ... and %lu more "
		    "invalid rows\n", im.ninvalid - im.nbad);
	printf("%s: added %lld, already there %lld, invalid %lu\n", c.addr,
	    added, (long long)im.nrows - added, im.ninvalid);
	ex = im.ninvalid > 0 ? EX_DATAERR : EX_OK;
out:
	if (fp != stdin)
		fclose(fp);
	member_close(&c);
	member_import_free(&im);
	return ex;
}

/* -- history ------------------------------------------------------------------ */

struct member_history {
	const char	*list;		/* name@domain */
	const char	*email;
	int		 json;
	long		 n;
	struct buf	 out;
};

/* Text from the log fit for a terminal: controls shown as '?'. */
static void
member_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		buf_putc(b, ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
}

/* One "  label: value" line of a record, left out when value is "". */
static void
member_history_line(struct buf *b, const char *label, const char *value,
    const char *before, const char *after)
{
	if (*value == '\0')
		return;
	buf_printf(b, "  %-13s %s", label, before);
	member_text(b, value);
	buf_printf(b, "%s\n", after);
}

static void
member_history_text(struct member_history *h, const struct audit_row *r)
{
	struct buf *b = &h->out;

	/* Seconds are precise enough to read; --json has the microseconds. */
	buf_printf(b, "\n%.19sZ  %s  via %s\n", r->at, r->action, r->channel);
	member_history_line(b, "actor:", *r->actor ? r->actor : "(anonymous)",
	    "", "");
	member_history_line(b, "requested by:", r->requested_by, "", "");
	member_history_line(b, "message-id:", r->message_id, "<", ">");
	member_history_line(b, "key:", r->key, "", "");
	member_history_line(b, "client:", r->client, "", "");
	member_history_line(b, "reason:", r->reason, "", "");
	if (strcmp(r->details_rest, "{}") != 0)
		member_history_line(b, "details:", r->details_rest, "", "");
	/* A record of a list since renamed: the name it had then. */
	if (strcmp(r->list_address, h->list) != 0)
		member_history_line(b, "list:", r->list_address, "", "");
	if (*r->error != '\0')
		member_history_line(b, "status:", r->error, "error: ", "");
	else
		member_history_line(b, "status:", r->status, "", "");
}

/* A JSON string member, null for "". */
static void
member_json_str(struct buf *b, const char *key, const char *value)
{
	audit_json_str(b, key, *value != '\0' ? value : NULL);
}

static void
member_history_json(struct member_history *h, const struct audit_row *r)
{
	struct buf rec = BUF_INIT(BUF_UNLIMITED);

	audit_json_begin(&rec);
	audit_json_int(&rec, "id", strtoll(r->id, NULL, 10));
	member_json_str(&rec, "at", r->at);
	member_json_str(&rec, "action", r->action);
	member_json_str(&rec, "channel", r->channel);
	member_json_str(&rec, "actor", r->actor);
	member_json_str(&rec, "requested_by", r->requested_by);
	member_json_str(&rec, "message_id", r->message_id);
	member_json_str(&rec, "key", r->key);
	member_json_str(&rec, "client", r->client);
	member_json_str(&rec, "reason", r->reason);
	member_json_str(&rec, "list", r->list_address);
	member_json_str(&rec, "status", r->status);
	member_json_str(&rec, "error", r->error);
	/* details is a JSON object from the database: it goes in as it is. */
	buf_puts(&rec, ",\"details\":");
	buf_puts(&rec, *r->details ? r->details : "{}");
	audit_json_end(&rec);
	buf_puts(&h->out, h->n > 0 ? ",\n    " : "\n    ");
	buf_append(&h->out, rec.data, rec.len);
	buf_free(&rec);
}

static int
member_history_row(const struct audit_row *r, void *arg)
{
	struct member_history *h = arg;

	if (h->json)
		member_history_json(h, r);
	else
		member_history_text(h, r);
	h->n++;
	return STORE_OK;
}

static int
member_history(const char *cfpath, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct member_history h = { NULL, NULL, 0, 0, BUF_INIT(BUF_UNLIMITED) };
	struct buf email = BUF_INIT(1024);
	struct member_ctx c;
	struct roster_list l;
	long n;
	int ch, rc, ex;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			h.json = 1;
			break;
		case 'h':
			member_usage(stdout);
			return EX_OK;
		default:
			member_usage(stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind != 2) {
		member_usage(stderr);
		return EX_USAGE;
	}
	if (member_email("history", argv[optind + 1], &email) != 0) {
		buf_free(&email);
		return EX_DATAERR;
	}
	if ((ex = member_open(cfpath, &c, "history", argv[optind])) != EX_OK)
		goto out;
	h.list = c.addr;
	h.email = buf_cstr(&email);
	/* A list that is gone (purged) still has its records, by address. */
	rc = roster_list_get(c.st, buf_cstr(&c.name), buf_cstr(&c.domain), &l);
	if (rc != STORE_OK && rc != ROSTER_NOLIST) {
		ex = member_fail(&c, "history", h.email, rc);
		goto out;
	}
	if ((rc = audit_history(c.st, rc == STORE_OK ? l.id : NULL, c.addr,
	    h.email, member_history_row, &h, &n)) != STORE_OK) {
		fprintf(stderr, "herald member history: reading the audit log "
		    "failed\n");
		ex = rc == STORE_TEMP ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	if (n == 0) {
		fprintf(stderr, "herald member history: %s: no record of %s "
		    "on this list\n", c.addr, h.email);
		ex = EX_NOUSER;
		goto out;
	}
	if (h.json) {
		struct buf head = BUF_INIT(BUF_UNLIMITED);

		audit_json_begin(&head);
		audit_json_str(&head, "list", c.addr);
		audit_json_str(&head, "email", h.email);
		audit_json_int(&head, "count", n);
		printf("%s,\n  \"records\": [%s\n  ]}\n", buf_cstr(&head),
		    buf_cstr(&h.out));
		buf_free(&head);
	} else
		printf("History of %s on %s: %ld record%s, oldest first, "
		    "times in UTC\n%s", h.email, c.addr, n, n == 1 ? "" : "s",
		    buf_cstr(&h.out));
	ex = fflush(stdout) == 0 ? EX_OK : EX_IOERR;
out:
	member_close(&c);
	buf_free(&email);
	buf_free(&h.out);
	return ex;
}

int
herald_member_cmd(const char *cfpath, int argc, char **argv)
{
	const char *sub;

	if (argc < 2) {
		member_usage(stderr);
		return EX_USAGE;
	}
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "help") == 0) {
		member_usage(stdout);
		return EX_OK;
	}
	if (strcmp(sub, "add") == 0 || strcmp(sub, "del") == 0 ||
	    strcmp(sub, "set") == 0)
		return member_change(cfpath, sub, argc, argv);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "find") == 0)
		return member_list(cfpath, sub, argc, argv);
	if (strcmp(sub, "import") == 0)
		return member_import(cfpath, argc, argv);
	if (strcmp(sub, "export") == 0)
		return member_export(cfpath, argc, argv);
	if (strcmp(sub, "history") == 0)
		return member_history(cfpath, argc, argv);
	fprintf(stderr, "herald member: unknown subcommand '%s'\n", sub);
	member_usage(stderr);
	return EX_USAGE;
}
