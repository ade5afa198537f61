/*
 * herald - the administration command; one file per subcommand group.
 *
 * Each subcommand gets the configuration path chosen by -c (or NULL for the
 * default) and its own argv (argv[0] is the subcommand name), and returns a
 * <sysexits.h> status.
 */
#ifndef HERALD_CMD_H
#define HERALD_CMD_H

int herald_config_cmd(const char *cfpath, int argc, char **argv);
int herald_spool_cmd(const char *cfpath, int argc, char **argv);
int herald_db_cmd(const char *cfpath, int argc, char **argv);

#endif
