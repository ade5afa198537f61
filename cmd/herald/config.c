/*
 * herald config - print site parameters, as postconf(1) does.
 *
 *	herald config [-d | -n] [-x] [name ...]
 *
 * Without options: the effective value of every parameter (defaults with
 * the file applied); -d: the defaults, without reading the file; -n: only
 * the parameters the file sets; -x: each value followed by its doc line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "herald.h"

static void
config_cmd_usage(FILE *out)
{
	fprintf(out,
	    "usage: herald config [-d | -n] [-x] [name ...]\n"
	    "  -d  default values (the configuration file is not read)\n"
	    "  -n  only the parameters the configuration file sets\n"
	    "  -x  add each parameter's description\n");
}

static void
config_cmd_print_one(const struct config *cf, int id, int with_doc)
{
	printf("%s = %s\n", config_name((enum config_param)id),
	    config_str(cf, (enum config_param)id));
	if (with_doc)
		printf("    # %s\n", config_doc((enum config_param)id));
}

int
herald_config_cmd(const char *cfpath, int argc, char **argv)
{
	int defaults = 0, only_set = 0, with_doc = 0, rc = EX_OK, ch;
	struct buf err = BUF_INIT(64 * 1024);
	struct config *cf;

	while ((ch = getopt(argc, argv, "dnxh")) != -1) {
		switch (ch) {
		case 'd': defaults = 1; break;
		case 'n': only_set = 1; break;
		case 'x': with_doc = 1; break;
		case 'h': config_cmd_usage(stdout); return EX_OK;
		default: config_cmd_usage(stderr); return EX_USAGE;
		}
	}
	if (defaults && only_set) {
		config_cmd_usage(stderr);
		return EX_USAGE;
	}
	cf = defaults ? config_defaults() : config_load(config_path(cfpath), &err);
	if (cf == NULL) {
		fprintf(stderr, "%s", buf_cstr(&err));
		buf_free(&err);
		return EX_CONFIG;
	}
	if (optind == argc) {
		for (int id = 0; id < CONFIG_NPARAMS; id++)
			if (!only_set || config_explicit(cf, (enum config_param)id))
				config_cmd_print_one(cf, id, with_doc);
	}
	for (int i = optind; i < argc; i++) {
		int id = config_lookup(argv[i]);

		if (id < 0) {
			fprintf(stderr, "herald config: %s: unknown parameter\n", argv[i]);
			rc = EX_USAGE;
		} else if (!only_set || config_explicit(cf, (enum config_param)id)) {
			config_cmd_print_one(cf, id, with_doc);
		}
	}
	config_free(cf);
	buf_free(&err);
	return rc;
}
