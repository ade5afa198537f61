/*
 * herald aliases - write the MTA's aliases file from the lists and
 * rebuild its map.
 *
 *	herald aliases [-n]
 *
 * Without options: generate the file(s) from the database and the domain
 * directories, install them atomically (the previous copies kept as .old)
 * and run alias_rebuild_command; print what was written and run. -n: print
 * the generated text on stdout and change nothing. See herald-aliases(5).
 *
 * Exit: 0; 65 when some lists were refused (named on stderr; the others
 * were written); 73 a file cannot be created; 75 the database cannot be
 * reached or the rebuild failed (the previous file is back); 77 run by a
 * user who is neither root nor mail_owner; 78 a configuration problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aliases.h"
#include "config.h"
#include "herald.h"
#include "store.h"

static void
aliases_cmd_usage(FILE *out)
{
	fprintf(out,
	    "usage: herald aliases [-n]\n"
	    "  write alias_file (and alias_file.virtual for other domains) from the\n"
	    "  lists in the database, keep the previous copies as .old, and run\n"
	    "  alias_rebuild_command\n"
	    "  -n  print what would be written; change nothing\n");
}

/* -n: the text on stdout, each file under a comment naming it. */
static int
aliases_cmd_print(const struct config *cf, const struct buf *al,
    const struct buf *vi, int with_virtual)
{
	if (with_virtual)
		printf("### %s\n", config_str(cf, CF_ALIAS_FILE));
	fwrite(buf_cstr(al), 1, al->len, stdout);
	if (with_virtual) {
		printf("### %s.virtual\n", config_str(cf, CF_ALIAS_FILE));
		fwrite(buf_cstr(vi), 1, vi->len, stdout);
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? EX_OK : EX_IOERR;
}

int
herald_aliases_cmd(const char *cfpath, int argc, char **argv)
{
	struct buf err = BUF_INIT(1024 * 1024), report = BUF_INIT(64 * 1024);
	struct buf al = BUF_INIT(ALIASES_FILE_MAX), vi = BUF_INIT(ALIASES_FILE_MAX);
	struct store *st = NULL;
	struct config *cf;
	int dry = 0, ch, rc, fmt;

	while ((ch = getopt(argc, argv, "nh")) != -1) {
		switch (ch) {
		case 'n': dry = 1; break;
		case 'h': aliases_cmd_usage(stdout); return EX_OK;
		default: aliases_cmd_usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		aliases_cmd_usage(stderr);
		return EX_USAGE;
	}
	if ((rc = herald_load_config(cfpath, &cf)) != EX_OK)
		return rc;
	fmt = aliases_format_of(config_str(cf, CF_ALIAS_FORMAT));
	if ((rc = herald_open_store(cf, "herald-aliases", &st)) != EX_OK) {
		fprintf(stderr, "herald aliases: cannot connect to the database\n");
		config_free(cf);
		return rc;
	}
	if (dry) {
		rc = aliases_generate(cf, cfpath, st, &al, &vi, &err);
		if (rc == EX_OK || rc == EX_DATAERR) {
			int prc = aliases_cmd_print(cf, &al, &vi,
			    fmt >= 0 && aliases_has_virtual((enum aliases_format)fmt));

			if (prc != EX_OK)
				rc = prc;
		}
	} else {
		rc = aliases_regenerate_with(cf, cfpath, st, &report, &err);
		fputs(buf_cstr(&report), stdout);
	}
	fputs(buf_cstr(&err), stderr);
	store_close(st);
	config_free(cf);
	buf_free(&err);
	buf_free(&report);
	buf_free(&al);
	buf_free(&vi);
	return rc;
}
