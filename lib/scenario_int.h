/*
 * scenario_int - what the scenario modules share: the compiled form.
 *
 * Not for other modules: use scenario.h. A compiled scenario is a flat
 * array of rules (include lines already expanded), each rule a condition
 * with its arguments resolved to kinds at parse time so that evaluation
 * does no parsing, and regexes compiled once.
 */
#ifndef HERALD_SCENARIO_INT_H
#define HERALD_SCENARIO_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sys/types.h>

#include "scenario.h"

enum scenario_cond {
	SC_TRUE,		/* true(), all() */
	SC_EQUAL,
	SC_MATCH,
	SC_IS_SUBSCRIBER,
	SC_IS_OWNER,
	SC_IS_EDITOR,
	SC_IS_LISTMASTER,
	SC_LESS_THAN,
	SC_OLDER,
	SC_NEWER,
	SC_SEARCH,
	SC_NETMASK,
	SC_UNSUPPORTED		/* CustomCondition::, message(), ldap/sql search */
};

/* What an argument is; variables are classified once, at parse time. */
enum scenario_argk {
	SA_LITERAL,
	SA_REGEX,
	SA_SENDER, SA_EMAIL, SA_LISTNAME, SA_DOMAIN, SA_NOW,
	SA_HEADER,		/* [msg_header->X], [header->X] */
	SA_BODY,		/* [msg_body] */
	SA_PART_TYPE,		/* [msg_part->type] */
	SA_PART_BODY,		/* [msg_part->body] */
	SA_MSG,			/* [msg->key] */
	SA_IS_BCC,
	SA_ENCRYPTED,
	SA_TOPIC,
	SA_REMOTE_ADDR,
	SA_ENV, SA_CONF, SA_LIST, SA_USER, SA_SUBSCRIBER, SA_CUSTOM,
	SA_OTHER		/* any other [word] or [word->key]: ctx->vars */
};

struct scenario_arg {
	enum scenario_argk kind;
	char		*text;		/* literal, regex source, var name */
	char		*key;		/* after "->", or NULL */
	int		 has_index;	/* [..][i] */
	long		 index;
};

struct scenario_rule {
	int		 line;
	size_t		 file;		/* index into scenario.files */
	int		 neg;
	enum scenario_cond cond;
	char		*cond_name;	/* for the log */
	size_t		 nargs;
	struct scenario_arg args[SCENARIO_ARGS_MAX];
	/* match(): compiled at parse time; a regex using [domain] is
	 * compiled again for each domain, the last one kept. */
	pcre2_code	*re;
	pcre2_match_data *md;
	int		 re_domain;	/* the regex mentions [domain]/[host] */
	char		*re_for;	/* the domain re was compiled for */
	unsigned int	 auths;		/* SCENARIO_AUTH_BIT()s */
	enum scenario_action action;
	int		 quiet, notify, auth_email;
	char		*reason, *tt2;
};

struct scenario_title {
	char	*lang;			/* NULL: the plain title */
	char	*text;
};

/* A file the compiled form depends on, to see it change. */
struct scenario_dep {
	char	*path;
	dev_t	 dev;
	ino_t	 ino;
	off_t	 size;
	struct timespec mtime;
};

struct scenario {
	int		 refs;
	char		**files;	/* files[0] is the scenario itself */
	size_t		 nfiles;
	struct scenario_rule *rules;
	size_t		 nrules;
	struct scenario_title *titles;
	size_t		 ntitles;
	struct scenario_dep *deps;
	size_t		 ndeps;
};

/* From scenario_parse.c, for the evaluator and the cache. */
pcre2_code *scenario_re_compile(const char *src, const char *domain,
	    struct buf *err);
pcre2_match_context *scenario_re_mctx(void);
int	scenario_dep_stat(const char *path, struct scenario_dep *d);
/* Prepend the rules of pre (include.<function>.header) to sc. */
void	scenario_prepend(struct scenario *sc, const struct scenario *pre);

#endif
