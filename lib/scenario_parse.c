/*
 * scenario_parse - Sympa's scenario language to the compiled form.
 *
 * Line by line, as Sympa reads it: a lone word is an old paragraph name
 * and skipped; "#" starts a comment (even inside a regex, as in Sympa);
 * title lines; include lines; everything else must be a rule
 *	condition [auth,auth...] -> action
 * Unlike Sympa, which drops every rule of a file with one bad line and so
 * rejects silently, Herald refuses the whole file with "file:line: what":
 * the effect (reject) is the same, the message says why. The condition is
 * read by a small recursive-descent reader, not a regex, so a "->" or a
 * "," inside a regex or a header name cannot confuse it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"
#include "scenario_int.h"

/* PCRE2 bounds: a hostile regex must not eat the CPU or the stack. */
#define RE_MATCH_LIMIT	100000
#define RE_DEPTH_LIMIT	5000
#define RE_HEAP_LIMIT	4096		/* KiB */

struct parser {
	struct scenario	*sc;
	const struct scenario_path *path;
	const char	*dir;		/* of the top file, when no path */
	size_t		 file;		/* index of the file being read */
	int		 line;
	int		 depth;
	struct buf	*err;
};

static int	parse_text(struct parser *, const char *, size_t);

static const char *const auth_names[SCENARIO_AUTH_COUNT] = {
	"smtp", "dkim", "md5", "smime", "pgp"
};

static const char *const action_names[SCENARIO_ACTION_COUNT] = {
	"reject", "do_it", "request_auth", "owner", "editor", "editorkey",
	"listmaster", "spam", "ham", "unsure"
};

const char *
scenario_action_name(enum scenario_action a)
{
	return (unsigned)a < SCENARIO_ACTION_COUNT ? action_names[a] : "?";
}

const char *
scenario_auth_name(enum scenario_auth a)
{
	return (unsigned)a < SCENARIO_AUTH_COUNT ? auth_names[a] : "?";
}

int
scenario_auth_parse(const char *name)
{
	for (int i = 0; i < SCENARIO_AUTH_COUNT; i++)
		if (strcasecmp(name, auth_names[i]) == 0)
			return i;
	return -1;
}

static int perr(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	buf_reset(p->err);
	buf_printf(p->err, "%s:%d: ", p->sc->files[p->file], p->line);
	va_start(ap, fmt);
	buf_vprintf(p->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* The match context is shared: limits are the same for every regex. */
pcre2_match_context *
scenario_re_mctx(void)
{
	static pcre2_match_context *mc;

	if (mc == NULL) {
		mc = pcre2_match_context_create(NULL);
		if (mc == NULL)
			abort();
		pcre2_set_match_limit(mc, RE_MATCH_LIMIT);
		pcre2_set_depth_limit(mc, RE_DEPTH_LIMIT);
		pcre2_set_heap_limit(mc, RE_HEAP_LIMIT);
	}
	return mc;
}

/*
 * Compile a scenario regex: case-insensitive always (as Sympa), [domain]
 * and the old [host] replaced by the domain with its dots escaped. Byte
 * semantics (no UTF): mail headers need not be valid UTF-8.
 */
pcre2_code *
scenario_re_compile(const char *src, const char *domain, struct buf *err)
{
	struct buf b = BUF_INIT(SCENARIO_REGEX_MAX * 4);
	pcre2_code *re;
	int ec;
	PCRE2_SIZE eo;
	const char *s;

	if (domain == NULL)
		domain = "";
	for (s = src; *s != '\0'; ) {
		const char *tag = NULL;

		if (strncasecmp(s, "[domain]", 8) == 0)
			tag = "[domain]";
		else if (strncasecmp(s, "[host]", 6) == 0)
			tag = "[host]";
		if (tag != NULL) {
			for (const char *d = domain; *d != '\0'; d++) {
				if (*d == '.')
					buf_putc(&b, '\\');
				buf_putc(&b, *d);
			}
			s += strlen(tag);
		} else
			buf_putc(&b, *s++);
	}
	re = pcre2_compile((PCRE2_SPTR)buf_cstr(&b), b.len, PCRE2_CASELESS,
	    &ec, &eo, NULL);
	if (re == NULL && err != NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		buf_reset(err);
		buf_printf(err, "bad regex at offset %zu: %s", (size_t)eo,
		    (char *)msg);
	}
	buf_free(&b);
	return re;
}

int
scenario_dep_stat(const char *path, struct scenario_dep *d)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->size = st.st_size;
	d->mtime = st.st_mtim;
	return 0;
}

static void
skip_ws(const char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

static int
is_word(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Classify a variable name (and key) once. */
static enum scenario_argk
var_kind(const char *name, const char *key)
{
	static const struct { const char *name; int keyed;
	    enum scenario_argk k; } tab[] = {
		{ "sender", 0, SA_SENDER }, { "email", 0, SA_EMAIL },
		{ "listname", 0, SA_LISTNAME }, { "domain", 0, SA_DOMAIN },
		{ "host", 0, SA_DOMAIN }, { "current_date", 0, SA_NOW },
		{ "execution_date", 0, SA_NOW },
		{ "msg_header", 1, SA_HEADER }, { "header", 1, SA_HEADER },
		{ "msg_body", 0, SA_BODY }, { "msg", 1, SA_MSG },
		{ "is_bcc", 0, SA_IS_BCC }, { "msg_encrypted", 0, SA_ENCRYPTED },
		{ "topic", 0, SA_TOPIC }, { "remote_addr", 0, SA_REMOTE_ADDR },
		{ "env", 1, SA_ENV }, { "conf", 1, SA_CONF },
		{ "list", 1, SA_LIST }, { "user", 1, SA_USER },
		{ "subscriber", 1, SA_SUBSCRIBER },
		{ "custom_vars", 1, SA_CUSTOM },
	};

	if (strcasecmp(name, "msg_part") == 0 && key != NULL) {
		if (strcasecmp(key, "type") == 0)
			return SA_PART_TYPE;
		if (strcasecmp(key, "body") == 0)
			return SA_PART_BODY;
		return SA_OTHER;
	}
	/* [conf->host] is the domain, as in Sympa since 6.2.32. */
	if (strcasecmp(name, "conf") == 0 && key != NULL &&
	    (strcasecmp(key, "host") == 0 || strcasecmp(key, "domain") == 0))
		return SA_DOMAIN;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(name, tab[i].name) == 0 &&
		    tab[i].keyed == (key != NULL))
			return tab[i].k;
	return SA_OTHER;
}

/* [name] or [name->key], then an optional [index]. */
static int
parse_var(struct parser *p, const char **sp, struct scenario_arg *a)
{
	const char *s = *sp + 1, *e, *arrow;
	char *inner;

	if ((e = strchr(s, ']')) == NULL)
		return perr(p, "%s", "unclosed [variable]");
	inner = xstrndup(s, (size_t)(e - s));
	if ((arrow = strstr(inner, "->")) != NULL) {
		a->text = xstrndup(inner, (size_t)(arrow - inner));
		a->key = xstrdup(arrow + 2);
		free(inner);
	} else
		a->text = inner;
	for (const char *c = a->text; *c != '\0'; c++)
		if (!is_word(*c))
			return perr(p, "bad variable name \"%s\"", a->text);
	if (a->text[0] == '\0' || (a->key != NULL && a->key[0] == '\0'))
		return perr(p, "%s", "empty variable name");
	a->kind = var_kind(a->text, a->key);
	s = e + 1;
	if (*s == '[') {
		char *end;

		errno = 0;
		a->index = strtol(s + 1, &end, 10);
		if (end == s + 1 || *end != ']' || errno != 0)
			return perr(p, "%s", "bad [index] after a variable");
		a->has_index = 1;
		s = end + 1;
	}
	*sp = s;
	return 0;
}

/* One argument of a condition. */
static int
parse_arg(struct parser *p, const char **sp, struct scenario_arg *a)
{
	const char *s = *sp, *e;

	memset(a, 0, sizeof(*a));
	if (*s == '[')
		return parse_var(p, sp, a);
	if (*s == '\'' || *s == '"') {
		if ((e = strchr(s + 1, *s)) == NULL)
			return perr(p, "%s", "unclosed quote");
		a->kind = SA_LITERAL;
		a->text = xstrndup(s + 1, (size_t)(e - s - 1));
		*sp = e + 1;
		return 0;
	}
	if (*s == '/') {
		struct buf b = BUF_INIT(SCENARIO_REGEX_MAX);

		/* Up to the first unescaped "/"; "\/" stays "\/" for PCRE2. */
		for (e = s + 1; *e != '\0' && *e != '/'; e++) {
			if (*e == '\\' && e[1] != '\0')
				buf_putc(&b, *e++);
			if (buf_putc(&b, *e) == -1) {
				buf_free(&b);
				return perr(p, "%s", "regex too long");
			}
		}
		if (*e != '/') {
			buf_free(&b);
			return perr(p, "%s", "unclosed /regex/");
		}
		a->kind = SA_REGEX;
		a->text = buf_steal(&b);
		*sp = e + 1;
		return 0;
	}
	/* A bareword: anything up to a separator (nobody, 1, 10.0.0.0/8). */
	for (e = s; *e != '\0' && *e != ',' && *e != ')' && *e != ' ' &&
	    *e != '\t'; e++)
		;
	if (e == s)
		return perr(p, "%s", "missing argument");
	a->kind = SA_LITERAL;
	a->text = xstrndup(s, (size_t)(e - s));
	*sp = e;
	return 0;
}

static const struct {
	const char	*name;
	enum scenario_cond cond;
	int		 min, max;
} conds[] = {
	{ "true", SC_TRUE, 0, 0 }, { "all", SC_TRUE, 0, 0 },
	{ "equal", SC_EQUAL, 2, 2 }, { "match", SC_MATCH, 2, 2 },
	{ "is_subscriber", SC_IS_SUBSCRIBER, 2, 2 },
	{ "is_owner", SC_IS_OWNER, 2, 2 }, { "is_editor", SC_IS_EDITOR, 2, 2 },
	{ "is_listmaster", SC_IS_LISTMASTER, 1, 1 },
	{ "less_than", SC_LESS_THAN, 2, 2 }, { "older", SC_OLDER, 2, 2 },
	{ "newer", SC_NEWER, 2, 2 }, { "search", SC_SEARCH, 1, 2 },
	{ "verify_netmask", SC_NETMASK, 1, 1 },
	{ "message", SC_UNSUPPORTED, 2, 2 },
};

/* The keyword: one of conds[], or CustomCondition::name (any arguments). */
static int
parse_keyword(struct parser *p, const char **sp, struct scenario_rule *r,
    int *min, int *max)
{
	const char *s = *sp, *e = s;

	if (strncasecmp(s, "CustomCondition::", 17) == 0)
		e = s + 17;
	while (is_word(*e))
		e++;
	r->cond_name = xstrndup(s, (size_t)(e - s));
	*sp = e;
	if (strncasecmp(s, "CustomCondition::", 17) == 0) {
		if (e == s + 17)
			return perr(p, "%s", "CustomCondition:: without a name");
		r->cond = SC_UNSUPPORTED;
		*min = 0;
		*max = SCENARIO_ARGS_MAX;
		return 0;
	}
	for (size_t i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
		if (strcasecmp(r->cond_name, conds[i].name) == 0) {
			r->cond = conds[i].cond;
			*min = conds[i].min;
			*max = conds[i].max;
			return 0;
		}
	return perr(p, "unknown condition \"%s\"", r->cond_name);
}

/* "!"? keyword "(" args ")" */
static int
parse_condition(struct parser *p, const char **sp, struct scenario_rule *r)
{
	const char *s = *sp;
	int min = 0, max = 0;

	skip_ws(&s);
	if (*s == '!') {
		r->neg = 1;
		s++;
		skip_ws(&s);
	}
	if (parse_keyword(p, &s, r, &min, &max) == -1)
		return -1;
	skip_ws(&s);
	if (*s != '(')
		return perr(p, "\"(\" expected after \"%s\"", r->cond_name);
	s++;
	skip_ws(&s);
	while (*s != ')') {
		if (r->nargs == SCENARIO_ARGS_MAX)
			return perr(p, "%s", "too many arguments");
		/* Counted first: rule_free() frees a half-parsed one. */
		r->nargs++;
		if (parse_arg(p, &s, &r->args[r->nargs - 1]) == -1)
			return -1;
		skip_ws(&s);
		if (*s == ',') {
			s++;
			skip_ws(&s);
		} else if (*s != ')')
			return perr(p, "%s", "\",\" or \")\" expected");
	}
	s++;
	if ((int)r->nargs < min || (int)r->nargs > max)
		return perr(p, "wrong number of arguments to %s()",
		    r->cond_name);
	*sp = s;
	return 0;
}

/* Zero or more methods, separated by commas or blanks, up to "->". */
static int
parse_auths(struct parser *p, const char **sp, unsigned int *auths)
{
	const char *s = *sp;

	*auths = 0;
	for (;;) {
		char w[16];
		size_t n = 0;
		int a;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (strncmp(s, "->", 2) == 0)
			break;
		while (is_word(*s) && n < sizeof(w) - 1)
			w[n++] = *s++;
		w[n] = '\0';
		if (n == 0 || (a = scenario_auth_parse(w)) == -1)
			return perr(p, "%s", n == 0 ? "\"->\" expected" :
			    "unknown authentication method");
		*auths |= SCENARIO_AUTH_BIT(a);
	}
	/* No method listed: smtp only (Sympa). */
	if (*auths == 0)
		*auths = SCENARIO_AUTH_BIT(SCENARIO_AUTH_SMTP);
	*sp = s + 2;
	return 0;
}

/* A quoted or bare value inside reject(...): 'x', "x" or x. */
static char *
action_value(const char **sp)
{
	const char *s = *sp, *e;
	char *v;

	skip_ws(&s);
	if (*s == '\'' || *s == '"') {
		if ((e = strchr(s + 1, *s)) == NULL)
			return NULL;
		v = xstrndup(s + 1, (size_t)(e - s - 1));
		s = e + 1;
	} else {
		for (e = s; *e != '\0' && *e != ',' && *e != ')'; e++)
			;
		v = xstrndup(s, (size_t)(e - s));
		s = e;
	}
	skip_ws(&s);
	*sp = s;
	return v;
}

/* reject(...) parameters: reason=, tt2=, or a bare quoted template. */
static int
parse_reject_params(struct parser *p, const char **sp, struct scenario_rule *r)
{
	const char *s = *sp;

	for (;;) {
		char **slot = &r->tt2;
		char *v;

		skip_ws(&s);
		if (strncasecmp(s, "reason", 6) == 0 || strncasecmp(s, "tt2", 3) == 0) {
			slot = tolower((unsigned char)*s) == 'r' ? &r->reason : &r->tt2;
			s += slot == &r->reason ? 6 : 3;
			skip_ws(&s);
			if (*s++ != '=')
				return perr(p, "%s", "\"=\" expected in reject()");
		}
		if ((v = action_value(&s)) == NULL)
			return perr(p, "%s", "unclosed quote in reject()");
		if (strlen(v) >= SCENARIO_TEXT_MAX) {
			free(v);
			return perr(p, "%s", "reject() value too long");
		}
		free(*slot);
		*slot = v;
		if (*s == ')')
			break;
		if (*s++ != ',')
			return perr(p, "%s", "\",\" or \")\" expected in reject()");
	}
	*sp = s + 1;
	return 0;
}

static int
parse_action(struct parser *p, const char *s, struct scenario_rule *r)
{
	char w[32];
	size_t n = 0;
	int a = -1;

	skip_ws(&s);
	while (is_word(*s) && n < sizeof(w) - 1)
		w[n++] = *s++;
	w[n] = '\0';
	for (int i = 0; i < SCENARIO_ACTION_COUNT; i++)
		if (strcasecmp(w, action_names[i]) == 0)
			a = i;
	if (a == -1)
		return perr(p, "unknown action \"%s\"", w);
	r->action = (enum scenario_action)a;
	skip_ws(&s);
	if (*s == '(') {
		s++;
		if (r->action == SCENARIO_REJECT) {
			if (parse_reject_params(p, &s, r) == -1)
				return -1;
		} else if (r->action == SCENARIO_REQUEST_AUTH) {
			char *v = action_value(&s);

			/* request_auth([email]): the key goes to the target. */
			if (v == NULL || *s != ')' || (strcasecmp(v, "[email]") != 0 &&
			    strcasecmp(v, "[sender]") != 0)) {
				free(v);
				return perr(p, "%s", "request_auth() takes [email]");
			}
			r->auth_email = strcasecmp(v, "[email]") == 0;
			free(v);
			s++;
		} else
			return perr(p, "%s takes no parameters", w);
	}
	for (;;) {
		skip_ws(&s);
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			return perr(p, "%s", "junk after the action");
		skip_ws(&s);
		if (strncasecmp(s, "quiet", 5) == 0 && !is_word(s[5])) {
			r->quiet = 1;
			s += 5;
		} else if (strncasecmp(s, "notify", 6) == 0 && !is_word(s[6])) {
			r->notify = 1;
			s += 6;
		} else
			return perr(p, "%s", "\"quiet\" or \"notify\" expected");
	}
}

static void
rule_free(struct scenario_rule *r)
{
	for (size_t i = 0; i < r->nargs; i++) {
		free(r->args[i].text);
		free(r->args[i].key);
	}
	free(r->cond_name);
	free(r->reason);
	free(r->tt2);
	free(r->re_for);
	pcre2_match_data_free(r->md);
	pcre2_code_free(r->re);
}

/* match(): compile now so that a bad regex is a load error. */
static int
compile_match(struct parser *p, struct scenario_rule *r)
{
	struct scenario_arg *re = &r->args[1];
	struct buf e = BUF_INIT(512);

	if (re->kind != SA_REGEX)
		return 0;	/* a variable: compiled at evaluation */
	r->re_domain = strcasestr(re->text, "[domain]") != NULL ||
	    strcasestr(re->text, "[host]") != NULL;
	r->re = scenario_re_compile(re->text, "example.org", &e);
	if (r->re == NULL) {
		perr(p, "%s", buf_cstr(&e));
		buf_free(&e);
		return -1;
	}
	buf_free(&e);
	r->md = pcre2_match_data_create_from_pattern(r->re, NULL);
	if (r->md == NULL)
		abort();
	return 0;
}

static int
add_rule(struct parser *p, const char *line)
{
	struct scenario *sc = p->sc;
	struct scenario_rule *r;
	const char *s = line;

	if (sc->nrules == SCENARIO_RULES_MAX)
		return perr(p, "%s", "too many rules");
	sc->rules = xreallocarray(sc->rules, sc->nrules + 1, sizeof(*r));
	r = &sc->rules[sc->nrules];
	memset(r, 0, sizeof(*r));
	r->line = p->line;
	r->file = p->file;
	if (parse_condition(p, &s, r) == -1 || parse_auths(p, &s, &r->auths) == -1 ||
	    parse_action(p, s, r) == -1 ||
	    (r->cond == SC_MATCH && compile_match(p, r) == -1)) {
		rule_free(r);
		return -1;
	}
	/* A search() of an LDAP or SQL filter is not done by Herald. */
	if (r->cond == SC_SEARCH && r->args[0].kind == SA_LITERAL) {
		const char *dot = strrchr(r->args[0].text, '.');

		if (dot != NULL && (strcasecmp(dot, ".ldap") == 0 ||
		    strcasecmp(dot, ".sql") == 0))
			r->cond = SC_UNSUPPORTED;
	}
	sc->nrules++;
	return 0;
}

static void
add_title(struct scenario *sc, const char *lang, size_t langlen,
    const char *text)
{
	struct scenario_title *t;

	sc->titles = xreallocarray(sc->titles, sc->ntitles + 1, sizeof(*t));
	t = &sc->titles[sc->ntitles++];
	t->lang = langlen ? xstrndup(lang, langlen) : NULL;
	t->text = xstrdup(text);
}

/* title, title.<lang>, title.gettext: 1 if the line is one. */
static int
title_line(struct parser *p, const char *s)
{
	const char *lang = NULL;
	size_t langlen = 0;

	if (strncasecmp(s, "title", 5) != 0)
		return 0;
	s += 5;
	if (*s == '.') {
		lang = ++s;
		while (is_word(*s) || *s == '-')
			s++;
		langlen = (size_t)(s - lang);
		/* title.gettext is the untranslated, default title. */
		if (langlen == 7 && strncasecmp(lang, "gettext", 7) == 0)
			langlen = 0;
	}
	if (*s != ' ' && *s != '\t')
		return 0;
	skip_ws(&s);
	add_title(p->sc, lang, langlen, s);
	return 1;
}

static int
read_file(const char *file, struct buf *out, struct buf *err)
{
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		buf_reset(err);
		buf_printf(err, "%s: %s", file, strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(out, chunk, (size_t)n) == -1) {
			close(fd);
			buf_reset(err);
			buf_printf(err, "%s: file too large", file);
			return -1;
		}
	close(fd);
	if (n == -1) {
		buf_reset(err);
		buf_printf(err, "%s: %s", file, strerror(errno));
		return -1;
	}
	return 0;
}

static void
add_dep(struct scenario *sc, const char *path)
{
	struct scenario_dep d;

	memset(&d, 0, sizeof(d));
	if (scenario_dep_stat(path, &d) == -1)
		return;
	d.path = xstrdup(path);
	sc->deps = xreallocarray(sc->deps, sc->ndeps + 1, sizeof(d));
	sc->deps[sc->ndeps++] = d;
}

/* The first include.<name> on the path (or in the top file's dir). */
static int
find_include(struct parser *p, const char *name, struct buf *file)
{
	struct stat st;
	size_t n = p->path != NULL ? p->path->ndirs : 1;

	for (size_t i = 0; i < n; i++) {
		const char *dir = p->path != NULL ? p->path->dirs[i] : p->dir;

		buf_reset(file);
		buf_printf(file, "%s/include.%s", dir, name);
		if (stat(buf_cstr(file), &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	return -1;
}

/* include(name): the rules of include.<name>, here. */
static int
include_line(struct parser *p, const char *s)
{
	const char *e;
	char name[256];
	size_t n = 0;
	struct buf file = BUF_INIT(4096), text = BUF_INIT(SCENARIO_FILE_MAX);
	struct parser sub;
	int rc;

	s += 7;
	skip_ws(&s);
	e = s;
	if (*e == '(')
		e++;
	if (*e == '\'')
		e++;
	while ((is_word(*e) || *e == '-' || *e == '.') && n < sizeof(name) - 1)
		name[n++] = *e++;
	name[n] = '\0';
	if (*e == '\'')
		e++;
	if (*e == ')')
		e++;
	skip_ws(&e);
	if (n == 0 || *e != '\0' || strstr(name, "..") != NULL)
		return perr(p, "%s", "bad include line");
	if (p->depth >= SCENARIO_INCLUDE_DEPTH)
		return perr(p, "%s", "includes nested too deep");
	/* A missing include file adds nothing, as in Sympa. */
	if (find_include(p, name, &file) == -1) {
		buf_free(&file);
		return 0;
	}
	if (read_file(buf_cstr(&file), &text, p->err) == -1) {
		buf_free(&file);
		buf_free(&text);
		return -1;
	}
	sub = *p;
	sub.depth++;
	sub.line = 0;
	p->sc->files = xreallocarray(p->sc->files, p->sc->nfiles + 1,
	    sizeof(char *));
	sub.file = p->sc->nfiles;
	p->sc->files[p->sc->nfiles++] = xstrdup(buf_cstr(&file));
	add_dep(p->sc, buf_cstr(&file));
	rc = parse_text(&sub, text.data != NULL ? text.data : "", text.len);
	buf_free(&file);
	buf_free(&text);
	return rc;
}

/* One line, comment already cut, blanks trimmed. */
static int
parse_line(struct parser *p, char *s)
{
	const char *w;

	if (*s == '\0')
		return 0;
	/* A lone word: an old paragraph name, skipped by Sympa. */
	for (w = s; is_word(*w); w++)
		;
	if (*w == '\0')
		return 0;
	if (title_line(p, s))
		return 0;
	if (strncasecmp(s, "include", 7) == 0 && !is_word(s[7]))
		return include_line(p, s);
	return add_rule(p, s);
}

static int
parse_text(struct parser *p, const char *text, size_t len)
{
	char line[SCENARIO_LINE_MAX + 1];
	size_t i = 0;

	while (i < len) {
		size_t n = 0, j = i;
		char *s, *e;

		/* CR, LF or CRLF end a line. */
		while (j < len && text[j] != '\n' && text[j] != '\r')
			j++;
		p->line++;
		if (j - i > SCENARIO_LINE_MAX)
			return perr(p, "%s", "line too long");
		n = j - i;
		memcpy(line, text + i, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL)
			return perr(p, "%s", "NUL byte");
		if (j + 1 < len && text[j] == '\r' && text[j + 1] == '\n')
			i = j + 2;
		else
			i = j < len ? j + 1 : j;
		/* "#" to the end of the line is a comment, as in Sympa. */
		if ((e = strchr(line, '#')) != NULL)
			*e = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); )
			*--e = '\0';
		if (parse_line(p, s) == -1)
			return -1;
	}
	return 0;
}

struct scenario *
scenario_parse(const char *origin, const char *text, size_t len,
    const struct scenario_path *path, struct buf *err)
{
	struct scenario *sc = xcalloc(1, sizeof(*sc));
	struct parser p;
	char *dir, *slash;

	sc->refs = 1;
	sc->files = xmalloc(sizeof(char *));
	sc->files[0] = xstrdup(origin);
	sc->nfiles = 1;
	dir = xstrdup(origin);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	memset(&p, 0, sizeof(p));
	p.sc = sc;
	p.path = path;
	p.dir = dir;
	p.err = err;
	if (len > SCENARIO_FILE_MAX) {
		perr(&p, "%s", "file too large");
		goto fail;
	}
	if (parse_text(&p, text, len) == -1)
		goto fail;
	free(dir);
	return sc;
fail:
	free(dir);
	scenario_unref(sc);
	return NULL;
}

struct scenario *
scenario_load(const char *file, const struct scenario_path *path,
    struct buf *err)
{
	struct buf text = BUF_INIT(SCENARIO_FILE_MAX);
	struct scenario *sc;

	if (read_file(file, &text, err) == -1) {
		buf_free(&text);
		return NULL;
	}
	sc = scenario_parse(file, text.data != NULL ? text.data : "", text.len,
	    path, err);
	if (sc != NULL) {
		/* The file itself is the first dependency. */
		struct scenario_dep *old = sc->deps;
		size_t n = sc->ndeps;

		sc->deps = NULL;
		sc->ndeps = 0;
		add_dep(sc, file);
		sc->deps = xreallocarray(sc->deps, sc->ndeps + n, sizeof(*old));
		if (n > 0)
			memcpy(sc->deps + sc->ndeps, old, n * sizeof(*old));
		sc->ndeps += n;
		free(old);
	}
	buf_free(&text);
	return sc;
}

struct scenario *
scenario_ref(struct scenario *sc)
{
	if (sc != NULL)
		sc->refs++;
	return sc;
}

void
scenario_unref(struct scenario *sc)
{
	if (sc == NULL || --sc->refs > 0)
		return;
	for (size_t i = 0; i < sc->nrules; i++)
		rule_free(&sc->rules[i]);
	for (size_t i = 0; i < sc->nfiles; i++)
		free(sc->files[i]);
	for (size_t i = 0; i < sc->ntitles; i++) {
		free(sc->titles[i].lang);
		free(sc->titles[i].text);
	}
	for (size_t i = 0; i < sc->ndeps; i++)
		free(sc->deps[i].path);
	free(sc->rules);
	free(sc->files);
	free(sc->titles);
	free(sc->deps);
	free(sc);
}

/* Deep-copy a rule (the regex is compiled again: codes are not shared). */
static void
rule_copy(struct scenario_rule *to, const struct scenario_rule *from)
{
	*to = *from;
	to->cond_name = xstrdup(from->cond_name);
	for (size_t i = 0; i < from->nargs; i++) {
		to->args[i].text = from->args[i].text ?
		    xstrdup(from->args[i].text) : NULL;
		to->args[i].key = from->args[i].key ?
		    xstrdup(from->args[i].key) : NULL;
	}
	to->reason = from->reason ? xstrdup(from->reason) : NULL;
	to->tt2 = from->tt2 ? xstrdup(from->tt2) : NULL;
	to->re_for = NULL;
	to->re = from->re != NULL ? pcre2_code_copy(from->re) : NULL;
	to->md = to->re != NULL ?
	    pcre2_match_data_create_from_pattern(to->re, NULL) : NULL;
	if (from->re != NULL && (to->re == NULL || to->md == NULL))
		abort();
}

void
scenario_prepend(struct scenario *sc, const struct scenario *pre)
{
	size_t n = pre->nrules, base = sc->nfiles;
	struct scenario_rule *rules;

	if (n == 0)
		return;
	rules = xreallocarray(NULL, n + sc->nrules, sizeof(*rules));
	for (size_t i = 0; i < n; i++) {
		rule_copy(&rules[i], &pre->rules[i]);
		rules[i].file += base;
	}
	if (sc->nrules > 0)
		memcpy(rules + n, sc->rules, sc->nrules * sizeof(*rules));
	free(sc->rules);
	sc->rules = rules;
	sc->nrules += n;
	sc->files = xreallocarray(sc->files, sc->nfiles + pre->nfiles,
	    sizeof(char *));
	for (size_t i = 0; i < pre->nfiles; i++)
		sc->files[sc->nfiles++] = xstrdup(pre->files[i]);
	sc->deps = xreallocarray(sc->deps, sc->ndeps + pre->ndeps,
	    sizeof(*sc->deps));
	for (size_t i = 0; i < pre->ndeps; i++) {
		sc->deps[sc->ndeps] = pre->deps[i];
		sc->deps[sc->ndeps++].path = xstrdup(pre->deps[i].path);
	}
}

const char *
scenario_file(const struct scenario *sc)
{
	return sc->files[0];
}

size_t
scenario_nrules(const struct scenario *sc)
{
	return sc->nrules;
}

const char *
scenario_title(const struct scenario *sc, const char *lang)
{
	const char *plain = NULL;

	for (size_t i = 0; i < sc->ntitles; i++) {
		const struct scenario_title *t = &sc->titles[i];

		if (t->lang == NULL)
			plain = t->text;
		else if (lang != NULL && strcasecmp(t->lang, lang) == 0)
			return t->text;
	}
	return plain;
}
