/*
 * herald - Herald's administration command.
 *
 * SYNOPSIS
 *	herald [-v] [-c config] command [arguments]
 *
 * Git-style subcommands; `herald command --help` describes each. Exit
 * codes are those of <sysexits.h>; errors go to stderr and name what is
 * wrong. See herald(8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "herald.h"
#include "log.h"

static const struct {
	const char *name;
	int (*run)(const char *cfpath, int argc, char **argv);
	const char *summary;
} herald_commands[] = {
	{ "config", herald_config_cmd, "print the effective or default site parameters" },
	{ "spool", herald_spool_cmd, "create the spool tree (spool init)" },
	{ "db", herald_db_cmd, "database schema: migrate, status" },
	{ "domain", herald_domain_cmd, "mail domains: create, ls, show" },
	{ "list", herald_list_cmd, "lists: create, close, reopen, purge, rename, show, ls, dump" },
	{ "member", herald_member_cmd, "members: add, del, ls, set, find, import, export, history" },
	{ "owner", herald_owner_cmd, "list owners: add, del, ls" },
	{ "editor", herald_editor_cmd, "list moderators: add, del, ls" },
	{ "which", herald_which_cmd, "every list of an address" },
	{ "aliases", herald_aliases_cmd, "write the MTA's aliases file and rebuild its map" },
	{ "family", herald_family_cmd, "list families: instantiate, ls, show, close" },
	{ "audit", herald_audit_cmd, "print the audit log, newest first" },
	{ "import-sympa", herald_import_sympa_cmd, "create a list from a Sympa list directory" },
	{ "scenario", herald_scenario_cmd, "authorization scenarios: test, check" },
	{ "bounce", herald_bounce_cmd, "bounces: explain a report, reset a member's bounce data" },
};

#define HERALD_NCOMMANDS (sizeof herald_commands / sizeof herald_commands[0])

static void
herald_usage(FILE *out)
{
	fprintf(out, "usage: herald [-v] [-c config] command [arguments]\n\ncommands:\n");
	for (size_t i = 0; i < HERALD_NCOMMANDS; i++)
		fprintf(out, "  %-12s %s\n", herald_commands[i].name,
		    herald_commands[i].summary);
	fprintf(out, "\n'herald command --help' describes a command.\n");
}

int
main(int argc, char **argv)
{
	const char *cfpath = NULL;
	int ch;

	log_open("herald", 0, LOG_TO_STDERR);
	while ((ch = getopt(argc, argv, "+c:hv")) != -1) {
		switch (ch) {
		case 'c':
			cfpath = optarg;
			break;
		case 'h':
			herald_usage(stdout);
			return EX_OK;
		case 'v':
			log_set_verbose(1);
			break;
		default:
			herald_usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		herald_usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0) {
		herald_usage(stdout);
		return EX_OK;
	}
	for (size_t i = 0; i < HERALD_NCOMMANDS; i++) {
		if (strcmp(argv[0], herald_commands[i].name) == 0) {
			/*
			 * Each subcommand parses its own options. 0, not 1:
			 * glibc then forgets the "+" (stop at the first
			 * operand) of the parse above, so a subcommand's
			 * options may follow its operands.
			 */
			optind = 0;
			if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			    strcmp(argv[1], "help") == 0))
				argv[1] = "-h";
			return herald_commands[i].run(cfpath, argc, argv);
		}
	}
	fprintf(stderr, "herald: unknown command '%s'\n", argv[0]);
	herald_usage(stderr);
	return EX_USAGE;
}
