/*
 * sympaconf - reading Sympa's paragraph files and translating a list's
 * config into Herald's config.yaml. The format is described in the
 * reference (sympa-scenarios-commands.md §4.1); this is a reading of that
 * description, not of Sympa's code.
 *
 * The translation is a table walk: a Sympa parameter whose name is a
 * Herald parameter (scalar or mapping) is carried over as it is, a few
 * need work (digest, custom_subject, custom_header, custom_vars, owner,
 * editor, status), and everything else is reported with its line and the
 * reason. Every carried-over parameter is loaded alone by listconf's own
 * loader before it is kept, so a value Herald would refuse is reported
 * instead of breaking the whole file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listconf.h"
#include "mem.h"
#include "sympaconf.h"

/* ---- parsing ---- */

static void
sc_problem(struct sympaconf *sc, unsigned long line, const char *why)
{
	sc->problems++;
	if (sc->nprob == SYMPACONF_PROBLEMS_MAX)
		return;
	sc->prob = xreallocarray(sc->prob, sc->nprob + 1, sizeof *sc->prob);
	sc->prob[sc->nprob].line = line;
	sc->prob[sc->nprob].why = xstrdup(why);
	sc->nprob++;
}

/* Bytes shown in a message: printable ASCII only, at most max of them. */
static void
sc_show(struct buf *b, const char *s, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		buf_putc(b, c >= 0x20 && c < 0x7f ? c : '?');
	}
	if (i < n)
		buf_puts(b, "...");
}

/* Sympa's parameter names: [\w-]+ (ASCII here: no locale games). */
static int
sc_name_ok(const char *s, size_t n, int dash)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && !(dash && c == '-'))
			return 0;
	}
	return 1;
}

static int
sc_space(char c)
{
	return c == ' ' || c == '\t';
}

/* An obsolete name and the one Sympa rewrites it to. */
static const struct {
	const char	*old;
	const char	*cur;
} sc_obsolete[] = {
	{ "custom-header", "custom_header" },
	{ "custom-subject", "custom_subject" },
	{ "max-size", "max_size" },
	{ "subscription", "subscribe" },
	{ "unsubscription", "unsubscribe" },
	{ "reply-to", "reply_to_header" },
	{ "replyto", "reply_to_header" },
	{ "reply_to", "reply_to_header" },
	{ "forced_reply_to", "reply_to_header" },
	{ "merge_feature", "personalization_feature" },
	{ "welcome_return_path", "verp_welcome" },
	{ "remind_return_path", "verp_remind" },
	{ "web_archive", "archive" },
	{ "include_list", "include_sympa_list" },
};

static void
sc_add_kv(struct sympaconf_para *p, const char *key, const char *value,
    unsigned long line)
{
	p->kv = xreallocarray(p->kv, p->nkv + 1, sizeof *p->kv);
	p->kv[p->nkv].key = xstrdup(key);
	p->kv[p->nkv].value = xstrdup(value);
	p->kv[p->nkv].line = line;
	p->nkv++;
}

/*
 * The old one-line forms become the paragraph the current name takes:
 * "reply_to list" is "reply_to_header / value list", an address is
 * value other_email, and forced_reply_to also says apply forced.
 */
static void
sc_rewrite(struct sympaconf_para *p)
{
	const char *v = p->value;

	for (size_t i = 0; i < sizeof sc_obsolete / sizeof sc_obsolete[0]; i++) {
		if (strcmp(p->name, sc_obsolete[i].old) != 0)
			continue;
		free(p->name);
		p->name = xstrdup(sc_obsolete[i].cur);
		break;
	}
	if (strcmp(p->name, "reply_to_header") == 0 &&
	    strcmp(p->written, "reply_to_header") != 0) {
		if (*v != '\0' && strchr(v, '@') != NULL) {
			sc_add_kv(p, "value", "other_email", p->line);
			sc_add_kv(p, "other_email", v, p->line);
		} else if (*v != '\0')
			sc_add_kv(p, "value", v, p->line);
		if (strcmp(p->written, "forced_reply_to") == 0)
			sc_add_kv(p, "apply", "forced", p->line);
		free(p->value);
		p->value = xstrdup("");
	} else if ((strcmp(p->written, "welcome_return_path") == 0 ||
	    strcmp(p->written, "remind_return_path") == 0) &&
	    (strcmp(v, "unique") == 0 || strcmp(v, "owner") == 0)) {
		/* The old values: unique is on, owner is off. */
		const char *nv = strcmp(v, "unique") == 0 ? "on" : "off";

		free(p->value);
		p->value = xstrdup(nv);
	} else if (strcmp(p->written, "web_archive") == 0) {
		/* web_archive's access is today's archive.web_access. */
		for (size_t k = 0; k < p->nkv; k++) {
			if (strcmp(p->kv[k].key, "access") == 0) {
				free(p->kv[k].key);
				p->kv[k].key = xstrdup("web_access");
			}
		}
	}
}

struct sympaconf *
sympaconf_parse(const char *text, size_t len, int flags, size_t max_paragraphs)
{
	struct sympaconf *sc = xcalloc(1, sizeof *sc);
	struct sympaconf_para *cur = NULL;
	struct buf msg = BUF_INIT(1024);
	unsigned long lineno = 0;
	int skipping = 0, toomany = 0, users = flags & SYMPACONF_USERS;
	size_t pos = 0;

	while (pos < len) {
		const char *line = text + pos, *eol, *word, *rest;
		size_t n, wn;

		lineno++;
		eol = memchr(line, '\n', len - pos);
		n = eol != NULL ? (size_t)(eol - line) : len - pos;
		pos += n + (eol != NULL);
		buf_reset(&msg);
		if (memchr(line, '\0', n) != NULL) {
			sc_problem(sc, lineno, "a NUL byte: line ignored");
			continue;
		}
		if (n > SYMPACONF_LINE_MAX) {
			buf_printf(&msg, "a line longer than %d bytes: ignored",
			    SYMPACONF_LINE_MAX);
			sc_problem(sc, lineno, buf_cstr(&msg));
			continue;
		}
		while (n > 0 && sc_space(*line)) {
			line++;
			n--;
		}
		while (n > 0 && (sc_space(line[n - 1]) || line[n - 1] == '\r'))
			n--;
		if (n == 0) {
			/* A blank line ends the paragraph. */
			cur = NULL;
			skipping = 0;
			continue;
		}
		if (*line == '#' || skipping)
			continue;
		word = line;
		for (wn = 0; wn < n && !sc_space(word[wn]); wn++)
			;
		rest = word + wn;
		while (rest < line + n && sc_space(*rest))
			rest++;
		if (cur == NULL) {
			if (!users && !sc_name_ok(word, wn, 1)) {
				buf_puts(&msg, "not a parameter name: \"");
				sc_show(&msg, word, wn, 64);
				buf_puts(&msg, "\": paragraph ignored");
				sc_problem(sc, lineno, buf_cstr(&msg));
				skipping = 1;
				continue;
			}
			if (sc->npara == max_paragraphs) {
				if (!toomany)
					sc_problem(sc, lineno, "too many "
					    "paragraphs: the rest is ignored");
				toomany = skipping = 1;
				continue;
			}
			sc->para = xreallocarray(sc->para, sc->npara + 1,
			    sizeof *sc->para);
			cur = &sc->para[sc->npara++];
			memset(cur, 0, sizeof *cur);
			cur->name = xstrndup(word, wn);
			cur->written = xstrndup(word, wn);
			cur->value = xstrndup(rest, (size_t)(line + n - rest));
			cur->line = lineno;
			continue;
		}
		if (!users && !sc_name_ok(word, wn, 0)) {
			buf_printf(&msg, "in paragraph %s: not a \"key value\" "
			    "line: \"", cur->written);
			sc_show(&msg, line, n, 64);
			buf_puts(&msg, "\": ignored");
			sc_problem(sc, lineno, buf_cstr(&msg));
			continue;
		}
		if (cur->nkv == SYMPACONF_KEYS_MAX) {
			buf_printf(&msg, "in paragraph %s: more than %d lines: "
			    "ignored", cur->written, SYMPACONF_KEYS_MAX);
			sc_problem(sc, lineno, buf_cstr(&msg));
			continue;
		}
		cur->kv = xreallocarray(cur->kv, cur->nkv + 1, sizeof *cur->kv);
		cur->kv[cur->nkv].key = xstrndup(word, wn);
		cur->kv[cur->nkv].value = xstrndup(rest, (size_t)(line + n - rest));
		cur->kv[cur->nkv].line = lineno;
		cur->nkv++;
	}
	if (!users)
		for (size_t i = 0; i < sc->npara; i++)
			sc_rewrite(&sc->para[i]);
	buf_free(&msg);
	return sc;
}

void
sympaconf_free(struct sympaconf *sc)
{
	if (sc == NULL)
		return;
	for (size_t i = 0; i < sc->npara; i++) {
		struct sympaconf_para *p = &sc->para[i];

		for (size_t k = 0; k < p->nkv; k++) {
			free(p->kv[k].key);
			free(p->kv[k].value);
		}
		free(p->kv);
		free(p->name);
		free(p->written);
		free(p->value);
	}
	for (size_t i = 0; i < sc->nprob; i++)
		free(sc->prob[i].why);
	free(sc->para);
	free(sc->prob);
	free(sc);
}

const char *
sympaconf_get(const struct sympaconf_para *p, const char *key)
{
	const char *v = NULL;

	for (size_t k = 0; k < p->nkv; k++)
		if (strcmp(p->kv[k].key, key) == 0)
			v = p->kv[k].value;
	return v;
}

/* ---- YAML output ---- */

/* Words a YAML reader may take for a boolean or a null. */
static int
sc_yaml_special(const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no",
	    "on", "off", "null", "y", "n", "~" };

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(s, words[i]) == 0)
			return 1;
	return 0;
}

int
sympaconf_yaml_scalar(struct buf *out, const char *s)
{
	int plain = *s != '\0' && strchr("-.%@,", *s) == NULL &&
	    !sc_yaml_special(s);
	int rc = 0;

	for (const char *p = s; plain && *p != '\0'; p++)
		plain = isalnum((unsigned char)*p) || strchr("_-./@%+=,", *p);
	if (plain)
		return buf_puts(out, s);
	rc |= buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			rc |= buf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			rc |= buf_printf(out, "\\x%02x", *p);
		else
			rc |= buf_putc(out, *p);
	}
	rc |= buf_putc(out, '"');
	return rc;
}

int
sympaconf_yaml_admins(struct buf *out, const char *key,
    const struct sympaconf_admin *a, size_t n)
{
	int rc = 0, owner = strcmp(key, "owner") == 0;

	if (n == 0)
		return 0;
	rc |= buf_printf(out, "%s:\n", key);
	for (size_t i = 0; i < n; i++) {
		rc |= buf_puts(out, "  - email: ");
		rc |= sympaconf_yaml_scalar(out, a[i].email);
		if (*a[i].gecos != '\0') {
			rc |= buf_puts(out, "\n    gecos: ");
			rc |= sympaconf_yaml_scalar(out, a[i].gecos);
		}
		if (owner) {
			rc |= buf_puts(out, "\n    profile: ");
			rc |= sympaconf_yaml_scalar(out, a[i].profile);
		}
		rc |= buf_puts(out, "\n    reception: ");
		rc |= sympaconf_yaml_scalar(out, a[i].reception);
		rc |= buf_puts(out, "\n    visibility: ");
		rc |= sympaconf_yaml_scalar(out, a[i].visibility);
		rc |= buf_putc(out, '\n');
	}
	return rc < 0 ? -1 : 0;
}

/* ---- translation ---- */

/* Parameters with no Herald equivalent that deserve a precise reason. */
static const struct {
	const char	*prefix;	/* a name, or a prefix ending in '_' or '*' */
	const char	*why;
} sc_reasons[] = {
	{ "serial", "Sympa's own bookkeeping; Herald keeps none" },
	{ "creation", "Sympa's own bookkeeping; Herald keeps none" },
	{ "update", "Sympa's own bookkeeping; Herald keeps none" },
	{ "total", "Sympa's own bookkeeping; Herald keeps none" },
	{ "cookie", "Sympa's own bookkeeping; Herald keeps none" },
	{ "include_*", "data sources (inclusion) are not supported: import "
	    "the members instead" },
	{ "owner_include", "data sources (inclusion) are not supported" },
	{ "editor_include", "data sources (inclusion) are not supported" },
	{ "member_include", "data sources (inclusion) are not supported" },
	{ "user_data_source", "members live in Herald's database" },
	{ "ttl", "data sources (inclusion) are not supported" },
	{ "family_name", "the family is not imported: instantiate the list "
	    "from a Herald family instead" },
	{ "family", "the family is not imported" },
	{ "topics", "message topics are not supported" },
	{ "msg_topic*", "message topics are not supported" },
	{ "shared_doc", "shared documents are not part of Herald" },
	{ "d_read", "shared documents are not part of Herald" },
	{ "d_edit", "shared documents are not part of Herald" },
	{ "lang", "Herald has no per-list language" },
	{ "web_archive_spam_protection", "Herald has no web archive view "
	    "settings" },
	{ "spam_protection", "Herald has no web archive view settings" },
};

static const char *
sc_reason(const char *name)
{
	for (size_t i = 0; i < sizeof sc_reasons / sizeof sc_reasons[0]; i++) {
		const char *p = sc_reasons[i].prefix;
		size_t n = strlen(p);

		if (p[n - 1] == '*' ? strncmp(name, p, n - 1) == 0 :
		    strcmp(name, p) == 0)
			return sc_reasons[i].why;
	}
	return "no Herald parameter of that name";
}

/* A kept translation: one top-level key of config.yaml. */
struct sc_entry {
	char		*key;
	char		*yaml;		/* "key: ...\n" or "key:\n  k: v\n" */
	const struct sympaconf_para *p;	/* the paragraph it came from */
};

struct sc_xstate {
	struct sympaconf_xlat *x;
	const char	*listname;
	struct sc_entry	*e;
	size_t		 ne;
	struct buf	 headers;	/* custom_header items, YAML */
	size_t		 nheaders;
	unsigned long	 headers_line;
	struct buf	 vars;		/* custom_vars, YAML */
	char		**varnames;
	unsigned long	*varlines;
	size_t		 nvars;
	struct buf	 err;
	struct buf	 tmp;
};

/* One report line: "LINE: NAME[ (written as OLD)][ "value"]: why". */
static void
sc_report(struct sc_xstate *s, unsigned long line,
    const struct sympaconf_para *p, const char *key, const char *value,
    const char *why)
{
	struct buf *r = &s->x->report;

	buf_printf(r, "%lu: ", line);
	if (p != NULL) {
		sc_show(r, p->name, strlen(p->name), 64);
		if (key != NULL) {
			buf_putc(r, '.');
			sc_show(r, key, strlen(key), 64);
		}
		if (strcmp(p->name, p->written) != 0) {
			buf_puts(r, " (written as ");
			sc_show(r, p->written, strlen(p->written), 64);
			buf_putc(r, ')');
		}
	} else
		buf_puts(r, "-");
	if (value != NULL && *value != '\0') {
		buf_puts(r, " \"");
		sc_show(r, value, strlen(value), 80);
		buf_putc(r, '"');
	}
	buf_printf(r, ": not translated: %s\n", why);
	s->x->reported++;
}

/*
 * Whether Herald's loader takes fragment (with a subject unless the
 * fragment is the subject); else the loader's reason in s->err.
 */
static int
sc_check(struct sc_xstate *s, const char *fragment, int has_subject)
{
	struct listconf *lc;
	char *p;

	buf_reset(&s->tmp);
	buf_reset(&s->err);
	if (!has_subject)
		buf_puts(&s->tmp, "subject: x\n");
	buf_puts(&s->tmp, fragment);
	lc = listconf_load_text("x", s->tmp.data, s->tmp.len, NULL, &s->err);
	if (lc != NULL) {
		listconf_free(lc);
		return 0;
	}
	/* "x:LINE: key: what" -> "key: what", its first line. */
	if ((p = strchr(buf_cstr(&s->err), '\n')) != NULL)
		buf_truncate(&s->err, (size_t)(p - s->err.data));
	if (strncmp(buf_cstr(&s->err), "x:", 2) == 0 &&
	    (p = strstr(s->err.data + 2, ": ")) != NULL) {
		size_t skip = (size_t)(p + 2 - s->err.data);

		memmove(s->err.data, s->err.data + skip, s->err.len - skip + 1);
		s->err.len -= skip;
	}
	return -1;
}

/* Keep fragment as the translation of key; a later one replaces it. */
static void
sc_keep(struct sc_xstate *s, const struct sympaconf_para *p, const char *key,
    const char *fragment)
{
	/* The subject the list is created with: only one Herald took. */
	if (strcmp(key, "subject") == 0) {
		free(s->x->subject);
		s->x->subject = xstrdup(p->value);
	}
	for (size_t i = 0; i < s->ne; i++) {
		char why[128];

		if (strcmp(s->e[i].key, key) != 0)
			continue;
		snprintf(why, sizeof why, "given again at line %lu: the later "
		    "one wins", p->line);
		sc_report(s, s->e[i].p->line, s->e[i].p, NULL, NULL, why);
		free(s->e[i].yaml);
		s->e[i].yaml = xstrdup(fragment);
		s->e[i].p = p;
		return;
	}
	s->e = xreallocarray(s->e, s->ne + 1, sizeof *s->e);
	s->e[s->ne].key = xstrdup(key);
	s->e[s->ne].yaml = xstrdup(fragment);
	s->e[s->ne].p = p;
	s->ne++;
	s->x->translated++;
}

/* Check and keep a fragment, or report it with the loader's reason. */
static void
sc_try(struct sc_xstate *s, const struct sympaconf_para *p, const char *key,
    struct buf *fragment)
{
	if (sc_check(s, buf_cstr(fragment), strcmp(key, "subject") == 0) != 0) {
		sc_report(s, p->line, p, NULL, p->value, buf_cstr(&s->err));
		return;
	}
	sc_keep(s, p, key, buf_cstr(fragment));
}

/* Key lines after a one-line parameter: reported, not used. */
static void
sc_extra_lines(struct sc_xstate *s, const struct sympaconf_para *p)
{
	for (size_t k = 0; k < p->nkv; k++)
		sc_report(s, p->kv[k].line, p, p->kv[k].key, p->kv[k].value,
		    "a key line after a one-line parameter");
}

static void
sc_scalar(struct sc_xstate *s, const struct sympaconf_para *p, const char *v)
{
	struct buf f = BUF_INIT(2 * SYMPACONF_LINE_MAX);

	sc_extra_lines(s, p);
	if (*v == '\0') {
		sc_report(s, p->line, p, NULL, NULL, "no value");
		buf_free(&f);
		return;
	}
	buf_printf(&f, "%s: ", p->name);
	sympaconf_yaml_scalar(&f, v);
	buf_putc(&f, '\n');
	sc_try(s, p, p->name, &f);
	buf_free(&f);
}

/* A structured parameter whose keys are Herald's own. */
static void
sc_map(struct sc_xstate *s, const struct sympaconf_para *p)
{
	struct buf f = BUF_INIT(SYMPACONF_KEYS_MAX * 2 * SYMPACONF_LINE_MAX);
	struct buf dotted = BUF_INIT(256);
	size_t used = 0;

	if (*p->value != '\0')
		sc_report(s, p->line, p, NULL, p->value, "a value on the "
		    "first line of a structured parameter (its keys go on "
		    "the lines below)");
	buf_printf(&f, "%s:\n", p->name);
	for (size_t k = 0; k < p->nkv; k++) {
		const struct sympaconf_kv *kv = &p->kv[k];
		int later = 0;

		buf_reset(&dotted);
		buf_printf(&dotted, "%s.%s", p->name, kv->key);
		if (listconf_lookup(buf_cstr(&dotted)) < 0) {
			sc_report(s, kv->line, p, kv->key, kv->value,
			    "no Herald key of that name");
			continue;
		}
		/* A key given twice: the last one counts, as in Sympa. */
		for (size_t j = k + 1; j < p->nkv; j++)
			later |= strcmp(p->kv[j].key, kv->key) == 0;
		if (later) {
			sc_report(s, kv->line, p, kv->key, kv->value,
			    "given again below: the later one wins");
			continue;
		}
		buf_printf(&f, "  %s: ", kv->key);
		sympaconf_yaml_scalar(&f, kv->value);
		buf_putc(&f, '\n');
		used++;
	}
	if (used == 0)
		sc_report(s, p->line, p, NULL, NULL, "no key Herald knows: "
		    "Herald's defaults apply");
	else
		sc_try(s, p, p->name, &f);
	buf_free(&f);
	buf_free(&dotted);
}

/* "d[,d...] hh:mm" (days 0..6, 0 is Sunday). */
static void
sc_digest(struct sc_xstate *s, const struct sympaconf_para *p)
{
	struct buf f = BUF_INIT(1024);
	const char *v = p->value, *sp;
	unsigned hour, minute;
	char tail;

	sc_extra_lines(s, p);
	sp = strpbrk(v, " \t");
	if (sp == NULL || sp == v || strspn(v, "0123456789,") != (size_t)(sp - v) ||
	    sscanf(sp, " %2u:%2u%c", &hour, &minute, &tail) != 2) {
		sc_report(s, p->line, p, NULL, v, "not \"days hh:mm\" "
		    "(e.g. \"1,4 6:30\")");
		buf_free(&f);
		return;
	}
	buf_printf(&f, "digest:\n  days: \"%.*s\"\n  hour: %u\n  minute: %u\n",
	    (int)(sp - v), v, hour, minute);
	sc_try(s, p, "digest", &f);
	buf_free(&f);
}

/* "[tag]" is the tag; [%list.name%] is the list's name. */
static void
sc_custom_subject(struct sc_xstate *s, const struct sympaconf_para *p)
{
	struct buf v = BUF_INIT(2 * SYMPACONF_LINE_MAX);
	const char *in = p->value, *t;
	size_t n = strlen(in);

	if (n >= 2 && in[0] == '[' && in[n - 1] == ']' && in[1] != '%') {
		in++;
		n -= 2;
	}
	while (n > 0) {
		if ((t = memchr(in, '[', n)) == NULL) {
			buf_append(&v, in, n);
			break;
		}
		buf_append(&v, in, (size_t)(t - in));
		n -= (size_t)(t - in);
		in = t;
		if (n >= 13 && strncmp(in, "[%list.name%]", 13) == 0) {
			buf_puts(&v, s->listname);
			in += 13;
			n -= 13;
		} else if (n >= 2 && in[1] == '%') {
			sc_report(s, p->line, p, NULL, p->value, "a template "
			    "Herald does not expand (only [%list.name%])");
			buf_free(&v);
			return;
		} else {
			buf_putc(&v, '[');
			in++;
			n--;
		}
	}
	sc_scalar(s, p, buf_cstr(&v));
	buf_free(&v);
}

static void
sc_custom_header(struct sc_xstate *s, const struct sympaconf_para *p)
{
	struct buf f = BUF_INIT(2 * SYMPACONF_LINE_MAX);

	sc_extra_lines(s, p);
	buf_puts(&f, "custom_header:\n  - ");
	sympaconf_yaml_scalar(&f, p->value);
	buf_putc(&f, '\n');
	if (sc_check(s, buf_cstr(&f), 0) != 0) {
		sc_report(s, p->line, p, NULL, p->value, buf_cstr(&s->err));
	} else {
		buf_puts(&s->headers, f.data + strlen("custom_header:\n"));
		if (s->nheaders++ == 0)
			s->headers_line = p->line;
		s->x->translated++;
	}
	buf_free(&f);
}

static void
sc_custom_vars(struct sc_xstate *s, const struct sympaconf_para *p)
{
	const char *name = sympaconf_get(p, "name");
	const char *value = sympaconf_get(p, "value");
	struct buf f = BUF_INIT(4 * SYMPACONF_LINE_MAX);

	if (name == NULL || value == NULL) {
		sc_report(s, p->line, p, NULL, NULL, "needs both name and "
		    "value");
		return;
	}
	for (size_t i = 0; i < s->nvars; i++) {
		if (strcmp(s->varnames[i], name) == 0) {
			sc_report(s, p->line, p, NULL, name, "a variable of "
			    "that name is given earlier: the first one wins");
			return;
		}
	}
	buf_puts(&f, "custom_vars:\n  ");
	sympaconf_yaml_scalar(&f, name);
	buf_puts(&f, ": ");
	sympaconf_yaml_scalar(&f, value);
	buf_putc(&f, '\n');
	if (sc_check(s, buf_cstr(&f), 0) != 0) {
		sc_report(s, p->line, p, NULL, name, buf_cstr(&s->err));
	} else {
		buf_puts(&s->vars, f.data + strlen("custom_vars:\n"));
		s->varnames = xreallocarray(s->varnames, s->nvars + 1,
		    sizeof *s->varnames);
		s->varlines = xreallocarray(s->varlines, s->nvars + 1,
		    sizeof *s->varlines);
		s->varnames[s->nvars] = xstrdup(name);
		s->varlines[s->nvars] = p->line;
		s->nvars++;
		s->x->translated++;
	}
	buf_free(&f);
}

/* A value among choices ("a|b"), or def with a report. */
static char *
sc_choice(struct sc_xstate *s, const struct sympaconf_para *p,
    const char *key, const char *choices, const char *def)
{
	const char *v = sympaconf_get(p, key);
	size_t n;

	if (v == NULL || *v == '\0')
		return xstrdup(def);
	n = strlen(v);
	for (const char *c = choices; *c != '\0'; ) {
		size_t cn = strcspn(c, "|");

		if (cn == n && strncmp(c, v, n) == 0)
			return xstrdup(v);
		c += cn + (c[cn] == '|');
	}
	{
		char why[160];

		snprintf(why, sizeof why, "not one of %s: %s is used", choices,
		    def);
		sc_report(s, p->line, p, key, v, why);
	}
	return xstrdup(def);
}

static void
sc_admin(struct sc_xstate *s, const struct sympaconf_para *p, int owner)
{
	static const char *const known[] = { "email", "gecos", "profile",
	    "reception", "visibility", "date", "update_date", "subscribed",
	    "included", "id" };
	struct sympaconf_admin a;
	const char *email = sympaconf_get(p, "email");
	const char *gecos = sympaconf_get(p, "gecos");
	struct sympaconf_xlat *x = s->x;

	if (email == NULL || *email == '\0') {
		sc_report(s, p->line, p, NULL, NULL, "no email: the admin "
		    "is dropped");
		return;
	}
	for (size_t k = 0; k < p->nkv; k++) {
		size_t i;

		for (i = 0; i < sizeof known / sizeof known[0]; i++)
			if (strcmp(p->kv[k].key, known[i]) == 0)
				break;
		if (i == sizeof known / sizeof known[0])
			sc_report(s, p->kv[k].line, p, p->kv[k].key,
			    p->kv[k].value, "no Herald admin field of that "
			    "name");
	}
	a.email = xstrdup(email);
	a.gecos = xstrdup(gecos != NULL ? gecos : "");
	a.profile = owner ? sc_choice(s, p, "profile", "normal|privileged",
	    "normal") : xstrdup("normal");
	a.reception = sc_choice(s, p, "reception", "mail|nomail", "mail");
	a.visibility = sc_choice(s, p, "visibility", "conceal|noconceal",
	    "noconceal");
	a.line = p->line;
	if (owner) {
		x->owners = xreallocarray(x->owners, x->nowners + 1,
		    sizeof *x->owners);
		x->owners[x->nowners++] = a;
	} else {
		x->editors = xreallocarray(x->editors, x->neditors + 1,
		    sizeof *x->editors);
		x->editors[x->neditors++] = a;
	}
	x->translated++;
}

static void
sc_status(struct sc_xstate *s, const struct sympaconf_para *p)
{
	sc_extra_lines(s, p);
	if (strcmp(p->value, "open") == 0) {
		s->x->translated++;	/* an imported list is open */
		return;
	}
	sc_report(s, p->line, p, NULL, p->value, "the imported list is "
	    "created open (close it with herald list close)");
}

/* One paragraph to its translation or its report. */
static void
sc_translate_one(struct sc_xstate *s, const struct sympaconf_para *p)
{
	int id = listconf_lookup(p->name);

	if (strcmp(p->name, "owner") == 0 || strcmp(p->name, "editor") == 0)
		sc_admin(s, p, p->name[0] == 'o');
	else if (strcmp(p->name, "status") == 0)
		sc_status(s, p);
	else if (strcmp(p->name, "digest") == 0)
		sc_digest(s, p);
	else if (strcmp(p->name, "custom_subject") == 0) {
		sc_extra_lines(s, p);
		sc_custom_subject(s, p);
	} else if (strcmp(p->name, "custom_header") == 0)
		sc_custom_header(s, p);
	else if (strcmp(p->name, "custom_vars") == 0)
		sc_custom_vars(s, p);
	else if (strcmp(p->name, "family") == 0 || strchr(p->name, '.') ||
	    id < 0 || listconf_parent(id) >= 0)
		sc_report(s, p->line, p, NULL, p->value, sc_reason(p->name));
	else if (listconf_type_of(id) == LISTCONF_MAP)
		sc_map(s, p);
	else if (listconf_type_of(id) == LISTCONF_TEXT ||
	    listconf_type_of(id) == LISTCONF_ADMINS ||
	    listconf_type_of(id) == LISTCONF_VARS ||
	    listconf_type_of(id) == LISTCONF_HEADERS)
		sc_report(s, p->line, p, NULL, p->value, "not a parameter of "
		    "Sympa's config file");
	else
		sc_scalar(s, p, p->value);
}

void
sympaconf_translate(const struct sympaconf *sc, const char *listname,
    struct sympaconf_xlat *x)
{
	struct sc_xstate s;

	memset(x, 0, sizeof *x);
	buf_init(&x->yaml, LISTCONF_FILE_MAX);
	buf_init(&x->report, BUF_UNLIMITED);
	memset(&s, 0, sizeof s);
	s.x = x;
	s.listname = listname;
	buf_init(&s.headers, LISTCONF_FILE_MAX);
	buf_init(&s.vars, LISTCONF_FILE_MAX);
	buf_init(&s.err, 64 * 1024);
	buf_init(&s.tmp, LISTCONF_FILE_MAX);
	for (size_t i = 0; i < sc->nprob; i++) {
		buf_printf(&x->report, "%lu: %s\n", sc->prob[i].line,
		    sc->prob[i].why);
		x->reported++;
	}
	if (sc->problems > sc->nprob) {
		buf_printf(&x->report, "-: ... and %lu more problems\n",
		    sc->problems - sc->nprob);
		x->reported++;
	}
	for (size_t i = 0; i < sc->npara; i++)
		sc_translate_one(&s, &sc->para[i]);
	/* The subject first, then the file's order. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s.ne; i++)
			if ((strcmp(s.e[i].key, "subject") == 0) == (pass == 0))
				buf_puts(&x->yaml, s.e[i].yaml);
	if (s.nheaders > 0) {
		buf_puts(&x->yaml, "custom_header:\n");
		buf_puts(&x->yaml, buf_cstr(&s.headers));
	}
	if (s.nvars > 0) {
		buf_puts(&x->yaml, "custom_vars:\n");
		buf_puts(&x->yaml, buf_cstr(&s.vars));
	}
	for (size_t i = 0; i < s.ne; i++) {
		free(s.e[i].key);
		free(s.e[i].yaml);
	}
	for (size_t i = 0; i < s.nvars; i++)
		free(s.varnames[i]);
	free(s.e);
	free(s.varnames);
	free(s.varlines);
	buf_free(&s.headers);
	buf_free(&s.vars);
	buf_free(&s.err);
	buf_free(&s.tmp);
}

void
sympaconf_admins_free(struct sympaconf_admin *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].email);
		free(a[i].gecos);
		free(a[i].profile);
		free(a[i].reception);
		free(a[i].visibility);
	}
	free(a);
}

void
sympaconf_xlat_free(struct sympaconf_xlat *x)
{
	buf_free(&x->yaml);
	buf_free(&x->report);
	free(x->subject);
	sympaconf_admins_free(x->owners, x->nowners);
	sympaconf_admins_free(x->editors, x->neditors);
	memset(x, 0, sizeof *x);
}

/* ---- user dumps ---- */

static void
sc_user_add(struct sympaconf_admin **out, size_t *n, const char *email,
    const char *gecos, const char *profile, const char *reception,
    const char *visibility, unsigned long line)
{
	struct sympaconf_admin *a;

	*out = xreallocarray(*out, *n + 1, sizeof **out);
	a = &(*out)[(*n)++];
	a->email = xstrdup(email);
	a->gecos = xstrdup(gecos != NULL ? gecos : "");
	a->profile = xstrdup(profile != NULL ? profile : "normal");
	a->reception = xstrdup(reception != NULL ? reception : "mail");
	a->visibility = xstrdup(visibility != NULL ? visibility : "noconceal");
	a->line = line;
}

size_t
sympaconf_users(const struct sympaconf *sc, struct sympaconf_admin **out)
{
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; i < sc->npara; i++) {
		const struct sympaconf_para *p = &sc->para[i];

		if (strcmp(p->name, "email") == 0) {
			sc_user_add(out, &n, p->value,
			    sympaconf_get(p, "gecos"),
			    sympaconf_get(p, "profile"),
			    sympaconf_get(p, "reception"),
			    sympaconf_get(p, "visibility"), p->line);
			continue;
		}
		/* "address [name]" lines: the first, then the others. */
		sc_user_add(out, &n, p->name, p->value, NULL, NULL, NULL,
		    p->line);
		for (size_t k = 0; k < p->nkv; k++)
			sc_user_add(out, &n, p->kv[k].key, p->kv[k].value,
			    NULL, NULL, NULL, p->kv[k].line);
	}
	return n;
}
