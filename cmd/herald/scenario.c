/*
 * herald scenario - explain authorization scenarios: test, check, ls.
 *
 * "test" answers "what would Herald decide, and why": it finds the
 * scenario a list uses for a function (its config.yaml, or --name),
 * evaluates it with the real database answering the membership questions,
 * and prints the file, the rule that matched (file:line and its text) and
 * the action. It explains, it does not decide: every action exits 0, only
 * errors do not. "check" compiles files and reports their errors with
 * file:line. "ls" shows which names a function has and where each comes
 * from, in the order the lookup searches.
 *
 * Exit statuses: 0; 64 usage; 65 a scenario or message that does not
 * parse; 66 a file that cannot be read; 67 no such list; 75 the database
 * cannot be reached; 78 configuration.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "domain.h"
#include "family.h"
#include "herald.h"
#include "listconf.h"
#include "mem.h"
#include "msg.h"
#include "roster.h"
#include "scenario.h"
#include "store.h"

/* The largest message --message reads; as msg_limits_default(). */
#define SCN_MESSAGE_MAX	(64 * 1024 * 1024)
/* --env K=V options kept. */
#define SCN_ENV_MAX	32

/*
 * The functions Herald knows, the list parameter naming each one's
 * scenario (-1: none, the default applies) and the default name, from
 * the reference's function/parameter table.
 */
static const struct scn_function {
	const char	*name;
	int		 param;
	const char	*def;
	int		 list;		/* evaluated in a list's context */
} scn_functions[] = {
	{ "visibility", LC_VISIBILITY, "conceal", 1 },
	{ "send", LC_SEND, "private", 1 },
	{ "info", LC_INFO, "open", 1 },
	{ "subscribe", LC_SUBSCRIBE, "open", 1 },
	{ "add", LC_ADD, "owner", 1 },
	{ "unsubscribe", LC_UNSUBSCRIBE, "open", 1 },
	{ "del", LC_DEL, "owner", 1 },
	{ "invite", LC_INVITE, "private", 1 },
	{ "remind", LC_REMIND, "owner", 1 },
	{ "review", LC_REVIEW, "owner", 1 },
	{ "d_read", -1, "private", 1 },
	{ "d_edit", -1, "owner", 1 },
	{ "archive_web_access", LC_ARCHIVE_WEB_ACCESS, "closed", 1 },
	{ "archive_mail_access", LC_ARCHIVE_MAIL_ACCESS, "closed", 1 },
	{ "tracking", LC_TRACKING_TRACKING, "owner", 1 },
	{ "create_list", -1, "public_listmaster", 0 },
	{ "global_remind", -1, "listmaster", 0 },
	{ "move_user", -1, "auth", 0 },
	{ "automatic_list_creation", -1, "public", 0 },
	{ "spam_status", -1, "x-spam-status", 0 },
	{ "family_signoff", -1, "auth", 0 },
	{ "topics_visibility", -1, "noconceal", 0 },
};
#define SCN_NFUNCTIONS	(sizeof scn_functions / sizeof scn_functions[0])


static void
scn_usage(FILE *out)
{
	fprintf(out,
	    "usage: herald scenario test LIST FUNCTION --sender ADDR [--auth METHOD]\n"
	    "           [--email ADDR] [--message FILE] [--name NAME] [--env K=V]...\n"
	    "       herald scenario check FILE...\n"
	    "       herald scenario ls [--domain DOMAIN] [FUNCTION]\n"
	    "  test   explain the decision of LIST's scenario for FUNCTION\n"
	    "  check  compile scenario files, report errors as file:line\n"
	    "  ls     the scenario names of a function and where each comes from\n");
}

static int
scn_is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0 ||
	    strcmp(s, "help") == 0;
}

static const struct scn_function *
scn_function(const char *name)
{
	for (size_t i = 0; i < SCN_NFUNCTIONS; i++)
		if (strcmp(scn_functions[i].name, name) == 0)
			return &scn_functions[i];
	return NULL;
}


/* Read a whole file into out (reset first); errno-style message in err. */
static int
scn_read_file(const char *path, size_t max, struct buf *out, struct buf *err)
{
	char chunk[8192];
	FILE *fp;
	size_t n;
	int rc = 0;

	buf_reset(out);
	if ((fp = fopen(path, "rb")) == NULL) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (out->len + n > max || buf_append(out, chunk, n) != 0) {
			buf_printf(err, "%s: larger than %zu bytes", path, max);
			rc = -1;
			break;
		}
	if (rc == 0 && ferror(fp)) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(fp);
	return rc;
}

/* ---- check ---- */

static int
scn_check(int argc, char **argv)
{
	struct buf err = BUF_INIT(4096);
	struct scenario *sc;
	int ex = EX_OK;

	if (argc < 2) {
		scn_usage(stderr);
		return EX_USAGE;
	}
	if (scn_is_help(argv[1])) {
		printf("usage: herald scenario check FILE...\n"
		    "  compile each file; \"FILE: N rules\" for a good one,\n"
		    "  \"FILE:LINE: what\" on stderr for a bad one (exit 65)\n");
		return EX_OK;
	}
	for (int i = 1; i < argc; i++) {
		buf_reset(&err);
		/* include() lines are resolved beside the file itself. */
		if ((sc = scenario_load(argv[i], NULL, &err)) == NULL) {
			fprintf(stderr, "%s\n", buf_cstr(&err));
			ex = EX_DATAERR;
			continue;
		}
		printf("%s: %zu rules\n", argv[i], scenario_nrules(sc));
		scenario_unref(sc);
	}
	buf_free(&err);
	return ex;
}

/* ---- ls ---- */

/* Where a directory of the standard path comes from, by its position. */
static const char *
scn_source(const struct scenario_path *p, size_t i)
{
	/* scenario_path_std() without list or family: domain, site, default. */
	if (i + 1 == p->ndirs)
		return "default";
	if (i + 2 == p->ndirs)
		return "site";
	return "domain";
}

/* Whether a directory earlier on the path already has function.name. */
static int
scn_shadowed(const struct scenario_path *p, size_t upto, const char *file)
{
	struct buf path = BUF_INIT(4096);
	struct stat sb;
	int found = 0;

	for (size_t i = 0; i < upto && !found; i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%s", p->dirs[i], file);
		found = stat(buf_cstr(&path), &sb) == 0;
	}
	buf_free(&path);
	return found;
}

static int
scn_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print the files of one directory that are scenarios of function. */
static void
scn_ls_dir(const struct scenario_path *p, size_t i, const char *function)
{
	struct dirent *de;
	char **names = NULL, fn[64];
	size_t n = 0, cap = 0, fl;
	const char *dot;
	DIR *d;

	if ((d = opendir(p->dirs[i])) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((dot = strchr(de->d_name, '.')) == NULL || dot[1] == '\0' ||
		    strchr(de->d_name, ':') != NULL)
			continue;
		/* Only files of a known function, or of the one asked for. */
		fl = (size_t)(dot - de->d_name);
		if (fl >= sizeof fn)
			continue;
		memcpy(fn, de->d_name, fl);
		fn[fl] = '\0';
		if (function != NULL ? strcmp(fn, function) != 0 :
		    scn_function(fn) == NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xreallocarray(names, cap, sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, scn_cmp);
	for (size_t k = 0; k < n; k++) {
		printf("%s\t%s\t%s/%s%s\n", names[k], scn_source(p, i), p->dirs[i],
		    names[k], scn_shadowed(p, i, names[k]) ? "\t(hidden)" : "");
		free(names[k]);
	}
	free(names);
}

static int
scn_ls(const char *cfpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct buf store = BUF_INIT(4096);
	struct scenario_path p;
	const char *domain = NULL, *function = NULL;
	struct config *cf;
	int ch, ex;

	optind = 0;	/* a full reset of getopt: see herald.c */
	while ((ch = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			domain = optarg;
			break;
		case 'h':
			printf("usage: herald scenario ls [--domain DOMAIN] [FUNCTION]\n"
			    "  NAME<TAB>SOURCE<TAB>FILE, SOURCE one of domain, site,\n"
			    "  default, in lookup order; \"(hidden)\" when an earlier\n"
			    "  directory has the same name\n");
			return EX_OK;
		default:
			scn_usage(stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind > 1) {
		scn_usage(stderr);
		return EX_USAGE;
	}
	if (argc - optind == 1) {
		function = argv[optind];
		if (scn_function(function) == NULL) {
			fprintf(stderr, "herald scenario ls: %s: unknown function\n",
			    function);
			return EX_USAGE;
		}
	}
	if ((ex = herald_load_config(cfpath, &cf)) != EX_OK)
		return ex;
	if (domain == NULL)
		domain = config_str(cf, CF_DOMAIN);
	if (scenario_path_std(&p, &store, cf, domain, NULL, NULL) != 0) {
		fprintf(stderr, "herald scenario ls: search path too long\n");
		ex = EX_CONFIG;
	} else
		for (size_t i = 0; i < p.ndirs; i++)
			scn_ls_dir(&p, i, function);
	config_free(cf);
	buf_free(&store);
	return ex;
}

/* ---- test ---- */

struct scn_test {
	const char	*list;
	const char	*function;
	const char	*sender;
	const char	*email;
	const char	*message;
	const char	*name;
	const char	*env[SCN_ENV_MAX + 1];
	size_t		 nenv;
	int		 auth;
};

static int
scn_test_args(int argc, char **argv, struct scn_test *t)
{
	static const struct option longopts[] = {
		{ "sender", required_argument, NULL, 's' },
		{ "auth", required_argument, NULL, 'a' },
		{ "email", required_argument, NULL, 'e' },
		{ "message", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "env", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(t, 0, sizeof *t);
	t->auth = SCENARIO_AUTH_SMTP;
	optind = 0;	/* a full reset of getopt: see herald.c */
	while ((ch = getopt_long(argc, argv, "s:a:e:m:n:E:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			t->sender = optarg;
			break;
		case 'a':
			if ((t->auth = scenario_auth_parse(optarg)) < 0 ||
			    t->auth == SCENARIO_AUTH_PGP) {
				fprintf(stderr, "herald scenario test: %s: not one "
				    "of smtp, dkim, md5, smime\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'e':
			t->email = optarg;
			break;
		case 'm':
			t->message = optarg;
			break;
		case 'n':
			t->name = optarg;
			break;
		case 'E':
			if (t->nenv == SCN_ENV_MAX || strchr(optarg, '=') == NULL) {
				fprintf(stderr, "herald scenario test: --env "
				    "K=V, at most %d\n", SCN_ENV_MAX);
				return EX_USAGE;
			}
			t->env[t->nenv++] = optarg;
			break;
		case 'h':
			printf("usage: herald scenario test LIST FUNCTION --sender ADDR\n"
			    "           [--auth smtp|dkim|md5|smime] [--email ADDR]\n"
			    "           [--message FILE] [--name NAME] [--env K=V]...\n"
			    "  evaluate LIST's scenario for FUNCTION (or FUNCTION.NAME\n"
			    "  with --name) and print the file, the rule that matched\n"
			    "  and the action; exit 0 whatever the action\n");
			return -1;
		default:
			return EX_USAGE;
		}
	}
	if (argc - optind != 2 || t->sender == NULL) {
		scn_usage(stderr);
		return EX_USAGE;
	}
	t->list = argv[optind];
	t->function = argv[optind + 1];
	return EX_OK;
}

/* Print line n of file (the rule's text), trimmed; nothing if unreadable. */
static void
scn_print_rule_text(const char *file, int n)
{
	char line[SCENARIO_LINE_MAX + 2];
	FILE *fp;
	int i = 0;

	if (n <= 0 || (fp = fopen(file, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, fp) != NULL)
		if (++i == n) {
			line[strcspn(line, "\r\n")] = '\0';
			printf("rule: %s\n", line + strspn(line, " \t"));
			break;
		}
	fclose(fp);
}

/* Print a result: where it comes from and what it is. */
static void
scn_print_result(const char *label, const struct scenario_result *res)
{
	struct buf act = BUF_INIT(1024), file = BUF_INIT(4096);
	const char *colon;

	if (res->line > 0 && (colon = strrchr(res->origin, ':')) != NULL) {
		buf_append(&file, res->origin, (size_t)(colon - res->origin));
		printf("%smatched: %s\n", label, res->origin);
		scn_print_rule_text(buf_cstr(&file), res->line);
	} else
		printf("%smatched: none (%s)\n", label, res->origin);
	if (scenario_result_format(res, &act) != 0)
		buf_puts(&act, scenario_action_name(res->action));
	printf("%saction: %s\n", label, buf_cstr(&act));
	if (res->failed)
		printf("%snote: fail-closed reject\n", label);
	buf_free(&act);
	buf_free(&file);
}

/*
 * Classify the message as the spool daemon does before anything else:
 * the domain's spam_status scenario, no list, no sender, smtp.
 */
static void
scn_spam_status(const struct scenario_path *dp, const struct scenario_ctx *base,
    const struct config *cf, char *out, size_t outsz)
{
	struct scenario_result res;

	snprintf(out, outsz, "%s", scenario_spam_status(dp,
	    config_str(cf, CF_SPAM_STATUS), base->domain, base->msg, base->conf,
	    &res));
	printf("spam_status: %s (%s)\n", out, res.origin);
}

struct scn_run {
	struct config	*cf, *dcf;
	struct store	*st;
	struct scenario_store *ss;
	struct listconf	*lc;
	struct msg	*msg;
	struct buf	 name, domain, path, store, dstore, file, err, msgdata,
			 sname, fdir;
	struct roster_list l;
};

static void
scn_run_free(struct scn_run *r)
{
	if (r->msg != NULL)
		msg_free(r->msg);
	listconf_free(r->lc);
	if (r->ss != NULL)
		scenario_store_free(r->ss);
	if (r->st != NULL)
		store_close(r->st);
	if (r->dcf != NULL)
		config_free(r->dcf);
	if (r->cf != NULL)
		config_free(r->cf);
	buf_free(&r->name);
	buf_free(&r->domain);
	buf_free(&r->path);
	buf_free(&r->store);
	buf_free(&r->dstore);
	buf_free(&r->file);
	buf_free(&r->err);
	buf_free(&r->msgdata);
	buf_free(&r->sname);
	buf_free(&r->fdir);
}

/* The list, its configuration and the database; an exit status. */
static int
scn_open(const char *cfpath, const struct scn_test *t, struct scn_run *r)
{
	const char *why;
	int rc, ex;

	if ((ex = herald_load_config(cfpath, &r->cf)) != EX_OK)
		return ex;
	if (roster_list_arg(t->list, config_str(r->cf, CF_DOMAIN), &r->name,
	    &r->domain, &why) != 0) {
		fprintf(stderr, "herald scenario test: %s: %s\n", t->list, why);
		return EX_USAGE;
	}
	if ((ex = herald_open_store(r->cf, "herald", &r->st)) != EX_OK)
		return ex;
	if ((rc = roster_list_get(r->st, buf_cstr(&r->name),
	    buf_cstr(&r->domain), &r->l)) != STORE_OK) {
		fprintf(stderr, "herald scenario test: %s: %s\n", t->list,
		    roster_strerror(rc));
		return rc == ROSTER_NOLIST ? EX_NOUSER : roster_sysexit(rc);
	}
	listconf_path(config_str(r->cf, CF_LISTS_DIRECTORY), r->l.domain,
	    r->l.name, &r->path);
	if ((r->dcf = domain_config(r->cf, r->l.domain, &r->err)) == NULL ||
	    (r->lc = listconf_load(buf_cstr(&r->path), r->dcf, &r->err)) ==
	    NULL) {
		fprintf(stderr, "%s", buf_cstr(&r->err));
		return EX_CONFIG;
	}
	if ((r->ss = scenario_store_new(r->st, r->dcf)) == NULL) {
		fprintf(stderr, "herald scenario test: cannot set up the "
		    "membership queries\n");
		return EX_SOFTWARE;
	}
	return EX_OK;
}

/* Read and parse --message. */
static int
scn_message(const char *file, struct scn_run *r)
{
	buf_reset(&r->err);
	if (scn_read_file(file, SCN_MESSAGE_MAX, &r->msgdata, &r->err) != 0) {
		fprintf(stderr, "herald scenario test: %s\n", buf_cstr(&r->err));
		return EX_NOINPUT;
	}
	buf_reset(&r->err);
	if ((r->msg = msg_parse(r->msgdata.data != NULL ? r->msgdata.data : "",
	    r->msgdata.len, NULL, &r->err)) == NULL) {
		fprintf(stderr, "herald scenario test: %s: %s\n", file,
		    buf_cstr(&r->err));
		return EX_DATAERR;
	}
	return EX_OK;
}

static int
scn_test(const char *cfpath, int argc, char **argv)
{
	const struct scn_function *f;
	struct scenario_path lp, dp;
	struct scenario_result res;
	struct scenario_ctx ctx;
	struct scenario *sc;
	struct scn_test t;
	struct scn_run r;
	char spam[32];
	int ex;

	if ((ex = scn_test_args(argc, argv, &t)) != EX_OK)
		return ex == -1 ? EX_OK : ex;
	if ((f = scn_function(t.function)) == NULL) {
		fprintf(stderr, "herald scenario test: %s: unknown function\n",
		    t.function);
		return EX_USAGE;
	}
	memset(&r, 0, sizeof r);
	buf_init(&r.name, 1024);
	buf_init(&r.domain, 1024);
	buf_init(&r.path, 4096);
	buf_init(&r.store, 4096);
	buf_init(&r.dstore, 4096);
	buf_init(&r.file, 4096);
	buf_init(&r.err, 8192);
	buf_init(&r.msgdata, SCN_MESSAGE_MAX);
	buf_init(&r.sname, 1024);
	buf_init(&r.fdir, 4096);
	if ((ex = scn_open(cfpath, &t, &r)) != EX_OK ||
	    (t.message != NULL && (ex = scn_message(t.message, &r)) != EX_OK))
		goto out;

	/* The name: --name, else the list's parameter, else the default. */
	if (t.name != NULL)
		scenario_name_canonical(f->name, t.name, &r.sname);
	else if (f->param >= 0 && listconf_str(r.lc, f->param)[0] != '\0')
		scenario_name_canonical(f->name, listconf_str(r.lc, f->param), &r.sname);
	else if (strcmp(f->name, "spam_status") == 0)
		buf_puts(&r.sname, config_str(r.cf, CF_SPAM_STATUS));
	else
		buf_puts(&r.sname, f->def);

	/* A family's directory comes first, as in Sympa. */
	if (r.l.family[0] != '\0')
		buf_printf(&r.fdir, "%s/%s/%s/%s/scenarios",
		    config_str(r.cf, CF_LISTS_DIRECTORY), r.l.domain, FAMILY_DIR,
		    r.l.family);
	if (scenario_path_std(&lp, &r.store, r.cf, r.l.domain, r.l.name,
	    r.fdir.len > 0 ? buf_cstr(&r.fdir) : NULL) != 0 ||
	    scenario_path_std(&dp, &r.dstore, r.cf, r.l.domain, NULL, NULL) != 0) {
		fprintf(stderr, "herald scenario test: search path too long\n");
		ex = EX_CONFIG;
		goto out;
	}

	memset(&ctx, 0, sizeof ctx);
	ctx.sender = t.sender;
	ctx.email = t.email;
	ctx.listname = f->list ? r.l.name : NULL;
	ctx.domain = r.l.domain;
	ctx.auth = (enum scenario_auth)t.auth;
	ctx.msg = r.msg;
	ctx.env = t.nenv > 0 ? t.env : NULL;
	ctx.conf = r.dcf;
	ctx.list = r.lc;
	ctx.members = scenario_store_members(r.ss);

	printf("list: %s@%s (%s)\nfunction: %s\n", r.l.name, r.l.domain,
	    r.l.status, f->name);
	/* Every incoming message is classified first; posts see the result. */
	if (r.msg != NULL && strcmp(f->name, "spam_status") != 0) {
		scn_spam_status(&dp, &ctx, r.cf, spam, sizeof spam);
		ctx.spam_status = spam;
	}
	if (strcmp(f->name, "spam_status") == 0) {
		/* Classification knows only the message (see scn_spam_status). */
		ctx.sender = NULL;
		ctx.email = NULL;
		ctx.auth = SCENARIO_AUTH_SMTP;
	}

	buf_reset(&r.err);
	sc = scenario_find(f->list ? &lp : &dp, f->name, buf_cstr(&r.sname),
	    &r.file, &r.err);
	if (sc == NULL) {
		/* Missing is a decision (reject); broken is an error to fix. */
		if (strstr(buf_cstr(&r.err), "not found") == NULL &&
		    access(buf_cstr(&r.file), R_OK) == 0) {
			fprintf(stderr, "herald scenario test: %s\n",
			    buf_cstr(&r.err));
			ex = EX_DATAERR;
			goto out;
		}
		printf("scenario: %s.%s: none found (%s)\n", f->name,
		    buf_cstr(&r.sname), buf_cstr(&r.err));
	} else {
		printf("scenario: %s\n", scenario_file(sc));
		if (scenario_title(sc, NULL) != NULL)
			printf("title: %s\n", scenario_title(sc, NULL));
	}
	printf("sender: %s\nauth: %s\n", t.sender,
	    scenario_auth_name(ctx.auth));
	scenario_store_reset(r.ss);
	/* Sympa refuses posts and visibility of a list that is not open. */
	if ((strcmp(f->name, "send") == 0 || strcmp(f->name, "visibility") ==
	    0) && strcmp(r.l.status, "open") != 0) {
		printf("matched: none (the list is %s)\naction: "
		    "reject(reason='list-no-open')\n", r.l.status);
	} else {
		scenario_eval(sc, &ctx, &res);
		scn_print_result("", &res);
	}
	if (sc != NULL)
		scenario_unref(sc);
	ex = EX_OK;
out:
	scn_run_free(&r);
	return ex;
}

int
herald_scenario_cmd(const char *cfpath, int argc, char **argv)
{
	if (argc < 2) {
		scn_usage(stderr);
		return EX_USAGE;
	}
	if (scn_is_help(argv[1])) {
		scn_usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "check") == 0)
		return scn_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "ls") == 0)
		return scn_ls(cfpath, argc - 1, argv + 1);
	if (strcmp(argv[1], "test") == 0)
		return scn_test(cfpath, argc - 1, argv + 1);
	fprintf(stderr, "herald scenario: %s: unknown subcommand\n", argv[1]);
	scn_usage(stderr);
	return EX_USAGE;
}
