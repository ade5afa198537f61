/*
 * The site parameters of herald.yaml: one line each, the only place a
 * parameter is declared. Included by config.h and config.c with
 * CONFIG_PARAM defined as needed.
 *
 * CONFIG_PARAM(id, name, type, default, min, max, doc)
 *   type: STRING, PATH (absolute), INT, SIZE (bytes, k/M/G suffixes),
 *         BOOL, HOSTPORT (host:port), ADDRESS (local@domain),
 *         FACILITY (syslog facility name)
 *   min, max: bounds for INT and SIZE (ignored otherwise)
 *   An empty default means "derived": see config_derive() in config.c.
 */
CONFIG_PARAM(DOMAIN, "domain", STRING, "localhost", 0, 0,
    "the site's default mail domain, the domain of lists created without one")
CONFIG_PARAM(LISTMASTER, "listmaster", ADDRESS, "", 0, 0,
    "address of the site's listmasters (default: listmaster@<domain>)")
CONFIG_PARAM(MYHOSTNAME, "myhostname", STRING, "", 0, 0,
    "this host's name in spool entry names and logs (default: the system hostname)")
CONFIG_PARAM(MAIL_OWNER, "mail_owner", STRING, "herald", 0, 0,
    "the Unix user that owns the spools and runs the daemons and queue programs")
CONFIG_PARAM(SPOOL_DIRECTORY, "spool_directory", PATH, "/var/spool/herald", 0, 0,
    "root of the spools (msg, bounce, moderation, auth, archive, digest, task, outgoing, bad)")
CONFIG_PARAM(STATE_DIRECTORY, "state_directory", PATH, "/var/lib/herald", 0, 0,
    "where Herald keeps its state: lists, archives, keys")
CONFIG_PARAM(DATABASE, "database", STRING, "dbname=herald", 0, 0,
    "PostgreSQL connection string (libpq conninfo or URI)")
CONFIG_PARAM(RELAY, "relay", HOSTPORT, "127.0.0.1:25", 0, 0,
    "the MTA that outgoing mail is handed to by SMTP, as host:port")
CONFIG_PARAM(MAX_SIZE, "max_size", SIZE, "5M", 1024, 1099511627776LL,
    "largest message a list distributes, in bytes (lists may lower it)")
CONFIG_PARAM(QUEUE_MAX_SIZE, "queue_max_size", SIZE, "64M", 65536, 1099511627776LL,
    "largest message queue and bouncequeue accept from the MTA; larger ones are refused for good")
CONFIG_PARAM(LOG_FACILITY, "log_facility", FACILITY, "mail", 0, 0,
    "syslog facility of every Herald program")
