/*
 * scenario_eval - deciding a request with a compiled scenario.
 *
 * Rules are tried in order; the first one that applies to the request's
 * auth method and whose condition holds gives the action. A variable's
 * value is a list of strings (a header occurring several times, the
 * parts of a message); a condition on a list holds when it holds for any
 * element, as in Sympa. Anything that cannot be decided - a membership
 * oracle error, a missing filter file, a bad netmask - rejects, and so
 * does reaching the end of the rules: fail closed.
 *
 * Evaluation is not reentrant: the value lists are static scratch
 * buffers, kept between calls so that a steady stream of evaluations
 * allocates nothing (the 1,000,000/s goal).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "listconf.h"
#include "log.h"
#include "mem.h"
#include "msg.h"
#include "scenario_int.h"

#define VALS_MAX	1024		/* elements of a value list */
#define VAL_BYTES	(8 * 1024 * 1024)	/* bytes of a value list */
#define MCACHE		16		/* membership answers per evaluation */
#define FILTER_MAX	(1024 * 1024)	/* bytes of a search() text filter */

/* A variable's value: n strings, or undefined (conditions are false). */
struct vals {
	struct buf	 b;
	size_t		*off;
	size_t		 n, cap;
	int		 undef;
};

struct mcache_ent {
	int		 role;
	char		 key[320];
	int		 answer;
};

struct eval {
	const struct scenario_ctx *ctx;
	const struct scenario *sc;
	const struct scenario_rule *rule;
	struct mcache_ent mc[MCACHE];
	size_t		 nmc;
	struct buf	*why;		/* an error's text */
};

static struct vals scratch[SCENARIO_ARGS_MAX + 1];

static void
vals_reset(struct vals *v)
{
	if (v->b.max == 0)
		buf_init(&v->b, VAL_BYTES);
	buf_reset(&v->b);
	v->n = 0;
	v->undef = 0;
}

static void
vals_add(struct vals *v, const char *s, size_t len)
{
	size_t at = v->b.len;

	if (v->n == VALS_MAX)
		return;
	/* A value over the limit is cut: what fits is still compared. */
	if (buf_append(&v->b, s, len) == -1)
		buf_truncate(&v->b, at);
	if (buf_putc(&v->b, '\0') == -1)
		return;
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->off = xreallocarray(v->off, v->cap, sizeof(size_t));
	}
	v->off[v->n++] = at;
}

static void
vals_adds(struct vals *v, const char *s)
{
	vals_add(v, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

static const char *
vals_get(const struct vals *v, size_t i)
{
	return v->b.data + v->off[i];
}

/* "name=value" in a NULL-ended array. */
static const char *
kv_lookup(const char *const *kv, const char *name)
{
	size_t n = strlen(name);

	for (; kv != NULL && *kv != NULL; kv++)
		if (strncmp(*kv, name, n) == 0 && (*kv)[n] == '=')
			return *kv + n + 1;
	return NULL;
}

static void
header_vals(const struct msg *m, const struct scenario_arg *a, struct vals *v)
{
	const struct msg_header *h = NULL;
	struct buf tmp = BUF_INIT(64 * 1024);
	size_t at;

	if (m == NULL) {
		vals_adds(v, "");
		return;
	}
	while ((h = msg_header_find(m, NULL, a->key, h)) != NULL) {
		buf_reset(&tmp);
		msg_header_unfold(m, h, &tmp);
		vals_add(v, buf_cstr(&tmp), tmp.len);
	}
	buf_free(&tmp);
	/* [msg_header->X][i]: one element, negative from the end. */
	if (a->has_index) {
		long i = a->index < 0 ? (long)v->n + a->index : a->index;

		if (i < 0 || i >= (long)v->n) {
			v->n = 0;
			buf_reset(&v->b);
			vals_adds(v, "");
			return;
		}
		at = v->off[i];
		v->off[0] = at;
		v->n = 1;
	} else if (v->n == 0)
		vals_adds(v, "");
}

static int
is_text(const struct msg_part *p)
{
	return p->ctype.type != NULL && strcmp(p->ctype.type, "text") == 0;
}

static void
body_of(const struct msg *m, const struct msg_part *p, struct vals *v)
{
	struct buf tmp = BUF_INIT(VAL_BYTES / 2);

	msg_part_decode(m, p, &tmp);
	vals_add(v, buf_cstr(&tmp), tmp.len);
	buf_free(&tmp);
}

/* [msg_part->type] / [msg_part->body]: the top-level parts only. */
static void
part_vals(const struct msg *m, int bodies, struct vals *v)
{
	if (m == NULL || m->root->body_kind != MSG_BODY_MULTIPART) {
		v->undef = m == NULL;
		return;
	}
	for (const struct msg_part *p = m->root->child; p != NULL; p = p->next) {
		if (bodies) {
			if (is_text(p))
				body_of(m, p, v);
		} else {
			char t[256];

			snprintf(t, sizeof(t), "%s/%s", p->ctype.type ?
			    p->ctype.type : "", p->ctype.subtype ?
			    p->ctype.subtype : "");
			vals_adds(v, t);
		}
	}
}

/* [is_bcc]: "1" when the list's name is in neither To nor Cc. */
static void
bcc_val(const struct scenario_ctx *ctx, struct vals *v)
{
	static const char *const fields[] = { "To", "Cc" };
	struct buf tmp = BUF_INIT(64 * 1024);
	int seen = 0;

	if (ctx->msg == NULL || ctx->listname == NULL) {
		vals_adds(v, "0");
		return;
	}
	for (size_t i = 0; i < 2 && !seen; i++) {
		const struct msg_header *h = NULL;

		while (!seen && (h = msg_header_find(ctx->msg, NULL, fields[i],
		    h)) != NULL) {
			buf_reset(&tmp);
			msg_header_unfold(ctx->msg, h, &tmp);
			seen = strcasestr(buf_cstr(&tmp), ctx->listname) != NULL;
		}
	}
	buf_free(&tmp);
	vals_adds(v, seen ? "0" : "1");
}

static void
conf_val(const struct scenario_ctx *ctx, const char *key, struct vals *v)
{
	int id;

	if (ctx->conf == NULL || (id = config_lookup(key)) < 0) {
		v->undef = 1;
		return;
	}
	vals_adds(v, config_str(ctx->conf, (enum config_param)id));
}

static void
list_val(const struct scenario_ctx *ctx, const char *key, struct vals *v)
{
	int id;

	if (strcasecmp(key, "name") == 0) {
		vals_adds(v, ctx->listname);
		return;
	}
	if (ctx->list == NULL || (id = listconf_lookup(key)) < 0) {
		v->undef = 1;
		return;
	}
	vals_adds(v, listconf_str(ctx->list, (enum listconf_param)id));
}

static void
custom_val(const struct scenario_ctx *ctx, const char *key, struct vals *v)
{
	const struct listconf_var *vars;
	size_t n;

	if (ctx->list != NULL) {
		n = listconf_vars(ctx->list, &vars);
		for (size_t i = 0; i < n; i++)
			if (strcmp(vars[i].name, key) == 0) {
				vals_adds(v, vars[i].value);
				return;
			}
	}
	v->undef = 1;
}

static int
field_val(struct eval *ev, const char *ns, const char *key, struct vals *v)
{
	const struct scenario_ctx *ctx = ev->ctx;
	struct buf tmp = BUF_INIT(64 * 1024);
	int rc;

	if (ctx->members == NULL || ctx->members->field == NULL) {
		v->undef = 1;
		return 0;
	}
	rc = ctx->members->field(ctx->members->arg, ns, ctx->listname,
	    ctx->domain, ctx->sender != NULL ? ctx->sender : "nobody", key,
	    &tmp);
	if (rc == 1)
		vals_add(v, buf_cstr(&tmp), tmp.len);
	else
		v->undef = 1;
	buf_free(&tmp);
	if (rc == -1) {
		buf_printf(ev->why, "[%s->%s] lookup failed", ns, key);
		return -1;
	}
	return 0;
}

static const char *
sender_of(const struct scenario_ctx *ctx)
{
	return ctx->sender != NULL && *ctx->sender != '\0' ? ctx->sender :
	    "nobody";
}

/* The value of an argument, into v. -1 on an error (in ev->why). */
static int
arg_vals(struct eval *ev, const struct scenario_arg *a, struct vals *v)
{
	const struct scenario_ctx *ctx = ev->ctx;
	const struct msg *m = ctx->msg;
	char num[32];

	vals_reset(v);
	switch (a->kind) {
	case SA_LITERAL:
	case SA_REGEX:
		vals_adds(v, a->text);
		break;
	case SA_SENDER:
		vals_adds(v, sender_of(ctx));
		break;
	case SA_EMAIL:
		vals_adds(v, ctx->email != NULL ? ctx->email : sender_of(ctx));
		break;
	case SA_LISTNAME:
		vals_adds(v, ctx->listname);
		break;
	case SA_DOMAIN:
		vals_adds(v, ctx->domain);
		break;
	case SA_NOW:
		snprintf(num, sizeof(num), "%lld", (long long)(ctx->now ?
		    ctx->now : time(NULL)));
		vals_adds(v, num);
		break;
	case SA_HEADER:
		header_vals(m, a, v);
		break;
	case SA_BODY:
		/* Only a text message has a [msg_body]. */
		if (m == NULL || !is_text(m->root))
			v->undef = 1;
		else
			body_of(m, m->root, v);
		break;
	case SA_PART_TYPE:
	case SA_PART_BODY:
		part_vals(m, a->kind == SA_PART_BODY, v);
		break;
	case SA_MSG:
		if (strcasecmp(a->key, "spam_status") == 0)
			vals_adds(v, ctx->spam_status);
		else
			v->undef = 1;
		break;
	case SA_IS_BCC:
		bcc_val(ctx, v);
		break;
	case SA_ENCRYPTED:
		vals_adds(v, ctx->msg_encrypted);
		break;
	case SA_TOPIC:
		vals_adds(v, ctx->topic);
		break;
	case SA_REMOTE_ADDR:
		vals_adds(v, ctx->remote_addr);
		break;
	case SA_ENV: {
		const char *e = kv_lookup(ctx->env, a->key);

		if (e == NULL)
			v->undef = 1;
		else
			vals_adds(v, e);
		break;
	}
	case SA_CONF:
		conf_val(ctx, a->key, v);
		break;
	case SA_LIST:
		list_val(ctx, a->key, v);
		break;
	case SA_CUSTOM:
		custom_val(ctx, a->key, v);
		break;
	case SA_USER:
		return field_val(ev, "user", a->key, v);
	case SA_SUBSCRIBER:
		return field_val(ev, "subscriber", a->key, v);
	case SA_OTHER:
		/* Any other [word]: the caller's context, "" when absent. */
		vals_adds(v, kv_lookup(ctx->vars, a->text));
		break;
	}
	return 0;
}

static int
cond_equal(const struct vals *a, const struct vals *b)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (strcasecmp(vals_get(a, i), vals_get(b, j)) == 0)
				return 1;
	return 0;
}

static int
re_match(pcre2_code *re, pcre2_match_data *md, const struct vals *a,
    struct eval *ev)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *s = vals_get(a, i);
		size_t len = (i + 1 < a->n ? a->off[i + 1] : a->b.len) -
		    a->off[i] - 1;
		int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md,
		    scenario_re_mctx());

		if (rc >= 0)
			return 1;
		if (rc != PCRE2_ERROR_NOMATCH) {
			/* Over the match limits: a hostile regex or value. */
			buf_printf(ev->why, "regex match failed (%d)", rc);
			return -1;
		}
	}
	return 0;
}

/* match(a, /re/): the regex is compiled once (once per domain if it
 * uses [domain]); a regex from a variable is compiled each time. */
static int
cond_match(struct eval *ev, const struct vals *a, const struct vals *b)
{
	struct scenario_rule *r = (struct scenario_rule *)ev->rule;
	const char *domain = ev->ctx->domain != NULL ? ev->ctx->domain : "";
	pcre2_code *re;
	pcre2_match_data *md;
	int rc;

	if (r->re != NULL && (!r->re_domain || (r->re_for != NULL &&
	    strcmp(r->re_for, domain) == 0)))
		return re_match(r->re, r->md, a, ev);
	if (b->n == 0 || *vals_get(b, 0) == '\0')
		return 0;	/* an empty regex never matches (Sympa) */
	if ((re = scenario_re_compile(vals_get(b, 0), domain, ev->why)) == NULL)
		return -1;
	if ((md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		abort();
	rc = re_match(re, md, a, ev);
	if (r->re_domain && r->args[1].kind == SA_REGEX) {
		/* Keep it: the next evaluation is likely the same domain. */
		pcre2_match_data_free(r->md);
		pcre2_code_free(r->re);
		free(r->re_for);
		r->re = re;
		r->md = md;
		r->re_for = xstrdup(domain);
	} else {
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	}
	return rc;
}

static int
is_number(const char *s, double *d)
{
	char *end;

	errno = 0;
	*d = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0;
}

static int
cond_less(const struct vals *a, const struct vals *b)
{
	const char *y = b->n > 0 ? vals_get(b, 0) : "";

	for (size_t i = 0; i < a->n; i++) {
		const char *x = vals_get(a, i);
		double dx, dy;

		if (is_number(x, &dx) && is_number(y, &dy) ? dx < dy :
		    strcmp(x, y) < 0)
			return 1;
	}
	return 0;
}

/* <n><unit> pieces; units y m w d h min sec. Returns seconds or -1. */
static int
date_pieces(const char **sp, long long f[6], int duration)
{
	const char *s = *sp;
	int any = 0;

	while (isdigit((unsigned char)*s)) {
		long long n = strtoll(s, (char **)&s, 10);

		if (strncmp(s, "min", 3) == 0) {
			f[4] += n;
			s += 3;
		} else if (strncmp(s, "sec", 3) == 0) {
			f[5] += n;
			s += 3;
		} else if (*s == 'y')
			f[0] += n, s++;
		else if (*s == 'm')
			f[1] += n, s++;
		else if (*s == 'w' && duration)
			f[2] += 7 * n, s++;
		else if (*s == 'd')
			f[2] += n, s++;
		else if (*s == 'h')
			f[3] += n, s++;
		else
			return -1;
		any = 1;
	}
	*sp = s;
	return any ? 0 : -1;
}

/*
 * A date operand: an epoch, or 2024y3m1d[+|-duration]. Anything else is
 * "now", as in Sympa. Months of a duration are taken as 30 days (Sympa
 * counts real month lengths from the start date): a documented
 * difference.
 */
static long long
date_value(const char *s, time_t now)
{
	long long f[6] = { 0 }, d[6] = { 0 }, t;
	char *end;
	struct tm tm;

	t = strtoll(s, &end, 10);
	if (end != s && *end == '\0')
		return t;
	if (date_pieces(&s, f, 0) == -1 || f[0] == 0)
		return now;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)f[0] - 1900;
	tm.tm_mon = f[1] > 0 ? (int)f[1] - 1 : 0;
	tm.tm_mday = f[2] > 0 ? (int)f[2] : 1;
	tm.tm_hour = (int)f[3];
	tm.tm_min = (int)f[4];
	tm.tm_sec = (int)f[5];
	t = (long long)timegm(&tm);
	if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1;

		if (date_pieces(&s, d, 1) == -1)
			return now;
		t += sign * (d[0] * 365 * 86400 + d[1] * 30 * 86400 +
		    d[2] * 86400 + d[3] * 3600 + d[4] * 60 + d[5]);
	}
	return *s == '\0' ? t : (long long)now;
}

static int
cond_date(const struct scenario_ctx *ctx, const struct vals *a,
    const struct vals *b, int older)
{
	time_t now = ctx->now ? ctx->now : time(NULL);
	long long y;

	if (a->n == 0 || b->n == 0)
		return 0;
	y = date_value(vals_get(b, 0), now);
	for (size_t i = 0; i < a->n; i++) {
		long long x = date_value(vals_get(a, i), now);

		if (older ? x <= y : x > y)
			return 1;
	}
	return 0;
}

/* An address list's addresses, lower-cased, into out. */
static void
addresses(const struct vals *who, struct vals *out)
{
	vals_reset(out);
	for (size_t i = 0; i < who->n; i++) {
		const char *s = vals_get(who, i);

		while (*s != '\0') {
			const char *e = strchr(s, ','), *lt, *gt;
			size_t n;
			char a[320];

			if (e == NULL)
				e = s + strlen(s);
			lt = memchr(s, '<', (size_t)(e - s));
			gt = lt != NULL ? memchr(lt, '>', (size_t)(e - lt)) : NULL;
			if (lt != NULL && gt != NULL) {
				s = lt + 1;
				n = (size_t)(gt - s);
			} else {
				while (s < e && isspace((unsigned char)*s))
					s++;
				n = (size_t)(e - s);
				while (n > 0 && isspace((unsigned char)s[n - 1]))
					n--;
			}
			if (n > 0 && n < sizeof(a)) {
				for (size_t k = 0; k < n; k++)
					a[k] = (char)tolower((unsigned char)s[k]);
				a[n] = '\0';
				if (strcmp(a, "nobody") != 0)
					vals_add(out, a, n);
			}
			s = *e != '\0' ? e + 1 : e;
		}
	}
}

/* One oracle question, through the evaluation's cache. */
static int
ask(struct eval *ev, enum scenario_role role, const char *list,
    const char *domain, const char *email)
{
	const struct scenario_members *m = ev->ctx->members;
	char key[320];
	int n, answer;

	if (m == NULL || m->role == NULL)
		return 0;
	n = snprintf(key, sizeof(key), "%s\n%s\n%s", list ? list : "",
	    domain ? domain : "", email ? email : "");
	if (n > 0 && (size_t)n < sizeof(key))
		for (size_t i = 0; i < ev->nmc; i++)
			if (ev->mc[i].role == (int)role &&
			    strcmp(ev->mc[i].key, key) == 0)
				return ev->mc[i].answer;
	answer = m->role(m->arg, role, list, domain, email);
	if (answer == -1) {
		buf_printf(ev->why, "membership lookup failed");
		return -1;
	}
	if (n > 0 && (size_t)n < sizeof(key) && ev->nmc < MCACHE) {
		ev->mc[ev->nmc].role = (int)role;
		memcpy(ev->mc[ev->nmc].key, key, (size_t)n + 1);
		ev->mc[ev->nmc++].answer = answer;
	}
	return answer;
}

/* The Sympa folds: owners include listmasters, editors fall back. */
static int
has_role(struct eval *ev, enum scenario_cond c, const char *list,
    const char *domain, const char *email)
{
	int rc;

	switch (c) {
	case SC_IS_SUBSCRIBER:
		return ask(ev, SCENARIO_ROLE_SUBSCRIBER, list, domain, email);
	case SC_IS_OWNER:
		if ((rc = ask(ev, SCENARIO_ROLE_OWNER, list, domain, email)) != 0)
			return rc;
		return ask(ev, SCENARIO_ROLE_LISTMASTER, NULL, domain, email);
	case SC_IS_EDITOR:
		if ((rc = ask(ev, SCENARIO_ROLE_EDITOR, list, domain, email)) != 0)
			return rc;
		if ((rc = ask(ev, SCENARIO_ROLE_HAS_EDITORS, list, domain,
		    NULL)) != 0)
			return rc == 1 ? 0 : rc;
		return ask(ev, SCENARIO_ROLE_OWNER, list, domain, email);
	default:
		return ask(ev, SCENARIO_ROLE_LISTMASTER, NULL, domain, email);
	}
}

static int
cond_role(struct eval *ev, const struct vals *l, const struct vals *who)
{
	static struct vals addrs;
	const struct scenario_ctx *ctx = ev->ctx;
	const char *list = NULL, *domain = ctx->domain;
	char name[256];
	int rc;

	if (ev->rule->cond != SC_IS_LISTMASTER) {
		const char *at;

		if (l->undef || l->n == 0 || *vals_get(l, 0) == '\0')
			return 0;
		list = vals_get(l, 0);
		/* name@domain names a list of another domain. */
		if ((at = strchr(list, '@')) != NULL &&
		    (size_t)(at - list) < sizeof(name)) {
			memcpy(name, list, (size_t)(at - list));
			name[at - list] = '\0';
			domain = at + 1;
			list = name;
		}
	}
	addresses(who, &addrs);
	for (size_t i = 0; i < addrs.n; i++)
		if ((rc = has_role(ev, ev->rule->cond, list, domain,
		    vals_get(&addrs, i))) != 0)
			return rc;
	return 0;
}

/* A text filter line against the sender: the first "*" is a wildcard. */
static int
filter_line(const char *line, const char *sender)
{
	const char *star = strchr(line, '*');
	size_t ls = strlen(sender), lp, lsuf;

	if (star == NULL)
		return strcasecmp(line, sender) == 0;
	lp = (size_t)(star - line);
	lsuf = strlen(star + 1);
	return ls >= lp + lsuf && strncasecmp(line, sender, lp) == 0 &&
	    strcasecmp(star + 1, sender + ls - lsuf) == 0;
}

static int
filter_file(const char *file, const char *sender, int *found)
{
	struct buf text = BUF_INIT(FILTER_MAX);
	char chunk[8192], *s, *next;
	ssize_t n;
	int fd, hit = 0;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	*found = 1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(&text, chunk, (size_t)n) == -1)
			break;
	close(fd);
	for (s = text.data; s != NULL && !hit; s = next) {
		char *e;

		if ((next = strchr(s, '\n')) != NULL)
			*next++ = '\0';
		while (isspace((unsigned char)*s))
			s++;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); )
			*--e = '\0';
		if (*s != '\0' && *s != '#' && *s != ';')
			hit = filter_line(s, sender);
	}
	buf_free(&text);
	return hit;
}

/* search('name.txt'): every search_filters/name.txt on the path. */
static int
cond_search(struct eval *ev, const struct vals *f)
{
	const struct scenario_path *p = ev->ctx->path;
	const char *name = f->n > 0 ? vals_get(f, 0) : "";
	char sender[320], file[4096];
	int found = 0;
	size_t k;

	if (*name == '\0' || strchr(name, '/') != NULL || name[0] == '.') {
		buf_printf(ev->why, "bad filter name \"%s\"", name);
		return -1;
	}
	for (k = 0; k < sizeof(sender) - 1 && sender_of(ev->ctx)[k]; k++)
		sender[k] = (char)tolower((unsigned char)sender_of(ev->ctx)[k]);
	sender[k] = '\0';
	for (size_t i = 0; p != NULL && i < p->ndirs; i++) {
		snprintf(file, sizeof(file), "%s/search_filters/%s",
		    p->dirs[i], name);
		if (filter_file(file, sender, &found))
			return 1;
	}
	/* A missing blocklist is an empty one; any other is an error. */
	if (!found && strcmp(name, "blocklist.txt") != 0) {
		buf_printf(ev->why, "filter %s not found", name);
		return -1;
	}
	return 0;
}

/* verify_netmask(cidr): 10.0.0.0/8, ::1/128, a.b.c.d:e.f.g.h, any. */
static int
cond_netmask(struct eval *ev, const struct vals *m)
{
	const char *addr = ev->ctx->remote_addr, *spec;
	unsigned char a[16], net[16], hi[16];
	char buf[128], *slash, *colon;
	int fam, bits;

	spec = m->n > 0 ? vals_get(m, 0) : "";
	if (addr == NULL || *addr == '\0')
		return 0;
	if (strcasecmp(spec, "default") == 0 || strcasecmp(spec, "any") == 0)
		return 1;
	fam = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(fam, addr, a) != 1 || strlen(spec) >= sizeof(buf))
		goto bad;
	strcpy(buf, spec);
	/* The a.b.c.d:e.f.g.h range form is IPv4 only. */
	if (fam == AF_INET && (colon = strchr(buf, ':')) != NULL) {
		*colon = '\0';
		if (inet_pton(AF_INET, buf, net) != 1 ||
		    inet_pton(AF_INET, colon + 1, hi) != 1)
			goto bad;
		return memcmp(a, net, 4) >= 0 && memcmp(a, hi, 4) <= 0;
	}
	bits = fam == AF_INET ? 32 : 128;
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		bits = atoi(slash + 1);
	}
	if (inet_pton(fam, buf, net) != 1) {
		/* A mask of the other family is simply not this address. */
		if (inet_pton(fam == AF_INET ? AF_INET6 : AF_INET, buf, net) == 1)
			return 0;
		goto bad;
	}
	if (bits < 0 || bits > (fam == AF_INET ? 32 : 128))
		goto bad;
	for (int i = 0; i < bits; i++)
		if ((a[i / 8] ^ net[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
bad:
	buf_printf(ev->why, "bad netmask or address");
	return -1;
}

/* 1 holds, 0 does not, -1 error, 2 unsupported (never applies). */
static int
cond_eval(struct eval *ev, const struct scenario_rule *r)
{
	struct vals *v = scratch;

	if (r->cond == SC_TRUE)
		return 1;
	if (r->cond == SC_UNSUPPORTED) {
		log_warn("%s:%d: %s() is not supported by Herald: the rule "
		    "does not apply", ev->sc->files[r->file], r->line,
		    r->cond_name);
		return 2;
	}
	for (size_t i = 0; i < r->nargs; i++)
		if (arg_vals(ev, &r->args[i], &v[i]) == -1)
			return -1;
	/* An undefined value ([conf->unknown]...) makes a condition false. */
	if (r->cond != SC_SEARCH)
		for (size_t i = 0; i < r->nargs; i++)
			if (v[i].undef)
				return 0;
	switch (r->cond) {
	case SC_EQUAL:
		return cond_equal(&v[0], &v[1]);
	case SC_MATCH:
		return cond_match(ev, &v[0], &v[1]);
	case SC_IS_SUBSCRIBER:
	case SC_IS_OWNER:
	case SC_IS_EDITOR:
		return cond_role(ev, &v[0], &v[1]);
	case SC_IS_LISTMASTER:
		return cond_role(ev, NULL, &v[0]);
	case SC_LESS_THAN:
		return cond_less(&v[0], &v[1]);
	case SC_OLDER:
	case SC_NEWER:
		return cond_date(ev->ctx, &v[0], &v[1], r->cond == SC_OLDER);
	case SC_SEARCH:
		return cond_search(ev, &v[0]);
	case SC_NETMASK:
		return cond_netmask(ev, &v[0]);
	default:
		return 2;
	}
}

/*
 * Whether a rule applies to the method. dkim is a verified signature of
 * the sender's domain, at least as good as smtp: a rule for smtp applies
 * (so Sympa's files, where dkim is smtp, mean the same), and a rule may
 * name dkim alone to ask for it.
 */
static int
auth_applies(const struct scenario_rule *r, enum scenario_auth a)
{
	if (r->auths & SCENARIO_AUTH_BIT(a))
		return 1;
	return a == SCENARIO_AUTH_DKIM &&
	    (r->auths & SCENARIO_AUTH_BIT(SCENARIO_AUTH_SMTP));
}

static void
res_reject(struct scenario_result *res, const char *reason, const char *origin)
{
	memset(res, 0, sizeof(*res));
	res->action = SCENARIO_REJECT;
	res->failed = 1;
	snprintf(res->reason, sizeof(res->reason), "%s", reason);
	snprintf(res->origin, sizeof(res->origin), "%s", origin);
}

static void
res_rule(struct scenario_result *res, const struct scenario *sc,
    const struct scenario_rule *r)
{
	memset(res, 0, sizeof(*res));
	res->action = r->action;
	res->quiet = r->quiet;
	res->notify = r->notify;
	res->auth_email = r->auth_email;
	res->line = r->line;
	if (r->reason != NULL)
		snprintf(res->reason, sizeof(res->reason), "%s", r->reason);
	if (r->tt2 != NULL)
		snprintf(res->tt2, sizeof(res->tt2), "%s", r->tt2);
	snprintf(res->origin, sizeof(res->origin), "%s:%d", sc->files[r->file],
	    r->line);
}

int
scenario_eval(const struct scenario *sc, const struct scenario_ctx *ctx,
    struct scenario_result *res)
{
	struct buf why = BUF_INIT(1024);
	struct eval ev;

	if (sc == NULL) {
		res_reject(res, "not-compiled", "no scenario");
		log_info("scenario: no scenario: reject");
		return -1;
	}
	if ((unsigned)ctx->auth >= SCENARIO_AUTH_COUNT) {
		res_reject(res, "unknown-auth-method", sc->files[0]);
		log_warn("%s: unknown auth method: reject", sc->files[0]);
		return -1;
	}
	ev.ctx = ctx;
	ev.sc = sc;
	ev.nmc = 0;
	ev.why = &why;
	for (size_t i = 0; i < sc->nrules; i++) {
		const struct scenario_rule *r = &sc->rules[i];
		int rc;

		if (!auth_applies(r, ctx->auth))
			continue;
		ev.rule = r;
		if ((rc = cond_eval(&ev, r)) == -1) {
			char o[SCENARIO_TEXT_MAX * 2];

			snprintf(o, sizeof(o), "%s:%d", sc->files[r->file], r->line);
			res_reject(res, "error-performing-condition", o);
			res->line = r->line;
			log_warn("%s: %s: reject", o, buf_cstr(&why));
			buf_free(&why);
			return -1;
		}
		if (rc == 2 || rc == r->neg)
			continue;
		res_rule(res, sc, r);
		buf_free(&why);
		return 0;
	}
	buf_free(&why);
	res_reject(res, "no-rule-match", "no rule matched");
	log_info("%s: no rule matched for %s (%s): reject", sc->files[0],
	    sender_of(ctx), scenario_auth_name(ctx->auth));
	return -1;
}

int
scenario_result_format(const struct scenario_result *res, struct buf *out)
{
	int rc = buf_puts(out, scenario_action_name(res->action));

	if (res->action == SCENARIO_REJECT && (res->reason[0] || res->tt2[0]) &&
	    !res->failed) {
		rc |= buf_putc(out, '(');
		if (res->reason[0])
			rc |= buf_printf(out, "reason='%s'%s", res->reason,
			    res->tt2[0] ? "," : "");
		if (res->tt2[0])
			rc |= buf_printf(out, "tt2='%s'", res->tt2);
		rc |= buf_putc(out, ')');
	}
	if (res->auth_email)
		rc |= buf_puts(out, "([email])");
	if (res->quiet)
		rc |= buf_puts(out, ",quiet");
	if (res->notify)
		rc |= buf_puts(out, ",notify");
	return rc ? -1 : 0;
}
