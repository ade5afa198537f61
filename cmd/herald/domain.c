/*
 * herald domain - virtual mail domains.
 *
 *	herald domain create DOMAIN
 *	herald domain ls
 *	herald domain show DOMAIN
 *
 * A domain is a directory of lists_directory with an optional domain.yaml
 * of site parameters for it (domain(3) of lib/domain.h). show prints the
 * parameters whose effective value differs from the site's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "domain.h"
#include "herald.h"

static void
domain_cmd_usage(FILE *out)
{
	fprintf(out,
	    "usage: herald domain create DOMAIN\n"
	    "       herald domain ls\n"
	    "       herald domain show DOMAIN\n"
	    "  create  make the domain's directory in lists_directory and an empty domain.yaml\n"
	    "  ls      the domains, the site's default domain marked with *\n"
	    "  show    the domain's parameters that differ from the site's\n");
}

/* Options of a verb: only -h; 1 with *rc set if the command is done. */
static int
domain_cmd_options(int argc, char **argv, int *rc)
{
	int ch;

	optind = 0;	/* a full reset of getopt: see herald.c */
	while ((ch = getopt(argc, argv, "h")) != -1) {
		if (ch == 'h') {
			domain_cmd_usage(stdout);
			*rc = EX_OK;
		} else {
			domain_cmd_usage(stderr);
			*rc = EX_USAGE;
		}
		return 1;
	}
	return 0;
}

static int
domain_cmd_create(const struct config *site, char *domain)
{
	struct buf err = BUF_INIT(64 * 1024);
	int rc = EX_OK;

	/* Domain names are the same in any case; the directory is in lower case. */
	for (char *p = domain; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');

	if (domain_create(site, domain, &err) < 0) {
		fprintf(stderr, "herald domain create: %s", buf_cstr(&err));
		rc = strstr(buf_cstr(&err), "already exists") ? EX_CANTCREAT :
		    strstr(buf_cstr(&err), "cannot") ? EX_CANTCREAT : EX_DATAERR;
	} else {
		printf("%s/%s\n", config_str(site, CF_LISTS_DIRECTORY), domain);
	}
	buf_free(&err);
	return rc;
}

static int
domain_cmd_ls(const struct config *site)
{
	struct buf err = BUF_INIT(64 * 1024);
	char **v = domain_list(site, &err);

	if (v == NULL) {
		fprintf(stderr, "herald domain ls: %s", buf_cstr(&err));
		buf_free(&err);
		return EX_IOERR;
	}
	for (char **p = v; *p; p++)
		printf("%s%s\n", *p, strcmp(*p, config_str(site, CF_DOMAIN)) == 0 ? " *" : "");
	domain_list_free(v);
	buf_free(&err);
	return EX_OK;
}

static int
domain_cmd_show(const struct config *site, const char *domain)
{
	struct buf err = BUF_INIT(64 * 1024);
	struct config *cf;

	if (!domain_exists(site, domain)) {
		fprintf(stderr, "herald domain show: %s: no such domain in %s\n", domain,
		    config_str(site, CF_LISTS_DIRECTORY));
		buf_free(&err);
		return EX_NOINPUT;
	}
	if ((cf = domain_config(site, domain, &err)) == NULL) {
		fprintf(stderr, "%s", buf_cstr(&err));
		buf_free(&err);
		return EX_CONFIG;
	}
	for (int id = 0; id < CONFIG_NPARAMS; id++)
		if (strcmp(config_str(cf, (enum config_param)id),
		    config_str(site, (enum config_param)id)) != 0)
			printf("%s = %s\n", config_name((enum config_param)id),
			    config_str(cf, (enum config_param)id));
	config_free(cf);
	buf_free(&err);
	return EX_OK;
}

int
herald_domain_cmd(const char *cfpath, int argc, char **argv)
{
	struct config *site;
	const char *verb;
	int rc = EX_OK, nargs;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		domain_cmd_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	verb = argv[1];
	argc--;
	argv++;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0)
			argv[i] = "-h";
	if (domain_cmd_options(argc, argv, &rc))
		return rc;
	nargs = argc - optind;
	if ((strcmp(verb, "ls") == 0 && nargs != 0) ||
	    ((strcmp(verb, "create") == 0 || strcmp(verb, "show") == 0) && nargs != 1)) {
		domain_cmd_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(verb, "ls") != 0 && strcmp(verb, "create") != 0 && strcmp(verb, "show") != 0) {
		fprintf(stderr, "herald domain: unknown command '%s'\n", verb);
		domain_cmd_usage(stderr);
		return EX_USAGE;
	}
	if ((rc = herald_load_config(cfpath, &site)) != EX_OK)
		return rc;
	if (strcmp(verb, "ls") == 0)
		rc = domain_cmd_ls(site);
	else if (strcmp(verb, "create") == 0)
		rc = domain_cmd_create(site, argv[optind]);
	else
		rc = domain_cmd_show(site, argv[optind]);
	config_free(site);
	return rc;
}
