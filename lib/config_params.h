/*
 * The site parameters of herald.yaml: one line each, the only place a
 * parameter is declared. Included by config.h and config.c with
 * CONFIG_PARAM defined as needed.
 *
 * CONFIG_PARAM(id, name, type, default, min, max, choices, doc)
 *   type: STRING, PATH (absolute), INT, SIZE (bytes, k/M/G suffixes),
 *         BOOL, HOSTPORT (host:port), ADDRESS (local@domain),
 *         FACILITY (syslog facility name), ENUM (one of choices)
 *   min, max: bounds for INT and SIZE (ignored otherwise)
 *   choices: "a|b|c" for ENUM, NULL otherwise
 *   An empty default means "derived": see config_derive() in config.c.
 */
CONFIG_PARAM(DOMAIN, "domain", STRING, "localhost", 0, 0, NULL,
    "the site's default mail domain, the domain of lists created without one")
CONFIG_PARAM(LISTMASTER, "listmaster", ADDRESS, "", 0, 0, NULL,
    "address of the site's listmasters (default: listmaster@<domain>)")
CONFIG_PARAM(MYHOSTNAME, "myhostname", STRING, "", 0, 0, NULL,
    "this host's name in spool entry names and logs (default: the system hostname)")
CONFIG_PARAM(MAIL_OWNER, "mail_owner", STRING, "herald", 0, 0, NULL,
    "the Unix user that owns the spools and runs the daemons and queue programs")
CONFIG_PARAM(SPOOL_DIRECTORY, "spool_directory", PATH, "/var/spool/herald", 0, 0, NULL,
    "root of the spools (msg, bounce, moderation, auth, archive, digest, task, outgoing, bad)")
CONFIG_PARAM(STATE_DIRECTORY, "state_directory", PATH, "/var/lib/herald", 0, 0, NULL,
    "where Herald keeps its state: lists, archives, keys")
CONFIG_PARAM(DATABASE, "database", STRING, "dbname=herald", 0, 0, NULL,
    "PostgreSQL connection string (libpq conninfo or URI)")
CONFIG_PARAM(RELAY, "relay", HOSTPORT, "127.0.0.1:25", 0, 0, NULL,
    "the MTA that outgoing mail is handed to by SMTP, as host:port")
CONFIG_PARAM(MAX_SIZE, "max_size", SIZE, "5M", 1024, 1099511627776LL, NULL,
    "largest message a list distributes, in bytes (lists may lower it)")
CONFIG_PARAM(QUEUE_MAX_SIZE, "queue_max_size", SIZE, "64M", 65536, 1099511627776LL, NULL,
    "largest message queue and bouncequeue accept from the MTA; larger ones are refused for good")
CONFIG_PARAM(LOG_FACILITY, "log_facility", FACILITY, "mail", 0, 0, NULL,
    "syslog facility of every Herald program")
CONFIG_PARAM(LISTS_DIRECTORY, "lists_directory", PATH, "", 0, 0, NULL,
    "where lists live, as DOMAIN/LIST/config.yaml (default: <state_directory>/lists)")
CONFIG_PARAM(LIBEXEC_DIRECTORY, "libexec_directory", PATH, HERALD_LIBEXECDIR, 0, 0, NULL,
    "where queue and bouncequeue are installed, for the lines of the aliases file")
CONFIG_PARAM(ROBOT_LOCALPART, "robot_localpart", STRING, "sympa", 0, 0, NULL,
    "local part of each domain's command address (Sympa's 'email'), e.g. sympa@<domain>")
CONFIG_PARAM(BOUNCE_LOCALPART, "bounce_localpart", STRING, "bounce", 0, 0, NULL,
    "local part of the VERP return paths, <bounce_localpart>+<token>@<domain>")
CONFIG_PARAM(ALIAS_FILE, "alias_file", PATH, "", 0, 0, NULL,
    "the aliases file Herald writes for the MTA (default: <state_directory>/aliases)")
CONFIG_PARAM(ALIAS_FORMAT, "alias_format", ENUM, "postfix", 0, 0, "postfix|sendmail|exim",
    "the format of alias_file: postfix and sendmail aliases(5), or an exim aliases file")
CONFIG_PARAM(ALIAS_REBUILD_COMMAND, "alias_rebuild_command", STRING, "/usr/sbin/postalias", 0, 0, NULL,
    "run with the alias file's path as last argument after each rewrite; 'none' for none")
CONFIG_PARAM(SPAM_STATUS, "spam_status", STRING, "x-spam-status", 0, 0, NULL,
    "the spam_status.<name> scenario that classifies incoming mail as spam, ham or unsure")
CONFIG_PARAM(NRCPT, "nrcpt", INT, "25", 1, 100000, NULL,
    "most recipients in one packet (one SMTP transaction)")
CONFIG_PARAM(AVG, "avg", INT, "10", 1, 100000, NULL,
    "recipients a packet holds before it is closed at the next change of domain")
CONFIG_PARAM(NRCPT_BY_DOMAIN, "nrcpt_by_domain", PATH, "", 0, 0, NULL,
    "the per-domain sending limits file (herald-domains(5)), Sympa's nrcpt_by_domain.conf included; empty for none")
CONFIG_PARAM(DKIM_FEATURE, "dkim_feature", BOOL, "off", 0, 0, NULL,
    "whether distributed messages are DKIM-signed (per dkim_signature_apply_on)")
CONFIG_PARAM(DKIM_PRIVATE_KEY_PATH, "dkim_private_key_path", PATH, "", 0, 0, NULL,
    "the site's DKIM private key (PEM), used when a list names none")
CONFIG_PARAM(DKIM_SELECTOR, "dkim_selector", STRING, "", 0, 0, NULL,
    "the site's DKIM selector (s=)")
CONFIG_PARAM(DKIM_SIGNER_DOMAIN, "dkim_signer_domain", STRING, "", 0, 0, NULL,
    "the site's DKIM signing domain (d=; default: the list's domain)")
CONFIG_PARAM(DKIM_ADD_SIGNATURE_TO, "dkim_add_signature_to", ENUM, "robot,list", 0, 0, "robot,list|list,robot|robot|list|none",
    "which service mail is DKIM-signed when dkim_feature is on: the robot's, the lists' (replies, notices, forwards), both or none")
CONFIG_PARAM(DKIM_REMOVE_INCOMING, "dkim_remove_incoming", ENUM, "broken", 0, 0, "never|broken|always",
    "incoming DKIM signatures: kept, removed when Herald's changes break them, or always removed")
CONFIG_PARAM(DMARC_PROTECTION_MODE, "dmarc_protection_mode", STRING, "", 0, 0, NULL,
    "the lists' default dmarc_protection.mode, comma-separated; empty: never")
CONFIG_PARAM(DMARC_POLICY_FILE, "dmarc_policy_file", PATH, "", 0, 0, NULL,
    "file of 'domain policy' lines consulted before DNS (tests, sites without a resolver)")
CONFIG_PARAM(ONECLICK_URL, "oneclick_url", STRING, "", 0, 0, NULL,
    "base https URL of the one-click unsubscribe endpoint (RFC 8058); empty: mailto only")
CONFIG_PARAM(ONECLICK_LISTEN, "oneclick_listen", HOSTPORT, "127.0.0.1:8025", 0, 0, NULL,
    "where the one-click endpoint listens, behind the site's web server")
CONFIG_PARAM(ONECLICK_DAYS, "oneclick_days", INT, "60", 1, 3650, NULL,
    "days a one-click unsubscribe URL stays valid")
CONFIG_PARAM(MSGID_DAYS, "msgid_days", INT, "30", 1, 3650, NULL,
    "days a Message-ID is remembered, so that a list distributes it and the robot carries it out once")
CONFIG_PARAM(KEY_DAYS, "key_days", INT, "14", 1, 365, NULL,
    "days a moderation or confirmation key stays valid")
CONFIG_PARAM(LANG, "lang", STRING, "en", 0, 0, NULL,
    "language of the robot's replies when the recipient's is not known (a BCP 47 tag)")
CONFIG_PARAM(CATALOG_DIRECTORY, "catalog_directory", PATH, HERALD_CATALOGDIR, 0, 0, NULL,
    "where the translated message catalogues (<lang>.yaml) are; English is built in")
CONFIG_PARAM(COMMANDS_CONFIRM, "commands_confirm", ENUM, "unauthenticated", 0, 0,
    "unauthenticated|unknown|never",
    "which mail commands are held until their sender confirms: those without an aligned DKIM signature, those of addresses unknown to the domain, or none (Sympa)")
CONFIG_PARAM(LOOP_COMMAND_MAX, "loop_command_max", INT, "20", 1, 100000, NULL,
    "replies the command robot sends one address per loop_command_sampling_delay")
CONFIG_PARAM(LOOP_COMMAND_SAMPLING_DELAY, "loop_command_sampling_delay", INT, "3600", 60, 604800, NULL,
    "seconds of the window in which loop_command_max replies are counted")
CONFIG_PARAM(BULK_MODE, "bulk_mode", ENUM, "smtp", 0, 0, "smtp|sendmail",
    "how bulk hands mail over: SMTP to the relay, or a sendmail-compatible program")
CONFIG_PARAM(SENDMAIL_PATH, "sendmail_path", PATH, "/usr/sbin/sendmail", 0, 0, NULL,
    "the sendmail-compatible program bulk runs when bulk_mode is sendmail")
CONFIG_PARAM(SENDMAIL_DSN, "sendmail_dsn", BOOL, "off", 0, 0, NULL,
    "a tracked message given to sendmail_path asks for DSNs with -N, -R and -V (Postfix, Sendmail; not Exim, where -N means do not deliver)")
CONFIG_PARAM(BULK_CONNECTIONS, "bulk_connections", INT, "4", 1, 256, NULL,
    "SMTP connections (or sendmail processes) each bulk process keeps to the relay")
CONFIG_PARAM(BULK_LEASE, "bulk_lease", INT, "120", 2, 86400, NULL,
    "seconds a claimed packet stays a bulk process's without renewal; a dead one's packets are taken over after it")
CONFIG_PARAM(BULK_MAX_ATTEMPTS, "bulk_max_attempts", INT, "30", 1, 1000, NULL,
    "attempts at a packet before its recipients still deferred are given up as failed")
CONFIG_PARAM(BULK_MAX_AGE, "bulk_max_age", INT, "432000", 60, 31536000, NULL,
    "seconds after which deferred recipients of a packet are given up as failed (default 5 days)")
CONFIG_PARAM(RELAY_HELO, "relay_helo", STRING, "", 0, 0, NULL,
    "the name bulk gives in EHLO (default: myhostname)")
CONFIG_PARAM(RELAY_TLS, "relay_tls", ENUM, "may", 0, 0, "off|may|require",
    "STARTTLS to the relay: never, when offered, or required")
CONFIG_PARAM(RELAY_TLS_VERIFY, "relay_tls_verify", BOOL, "off", 0, 0, NULL,
    "whether the relay's certificate must verify (and match its name)")
CONFIG_PARAM(RELAY_TLS_CA_FILE, "relay_tls_ca_file", PATH, "", 0, 0, NULL,
    "CA certificates for relay_tls_verify (default: the system's store)")
CONFIG_PARAM(RELAY_AUTH_USER, "relay_auth_user", STRING, "", 0, 0, NULL,
    "user name for AUTH PLAIN at the relay; empty: no AUTH")
CONFIG_PARAM(RELAY_AUTH_PASSWORD_FILE, "relay_auth_password_file", PATH, "", 0, 0, NULL,
    "file whose first line is the relay's AUTH password (kept out of herald.yaml)")
CONFIG_PARAM(VERP_DAYS, "verp_days", INT, "30", 1, 3650, NULL,
    "days a VERP return path is accepted by bounced after it was issued")
CONFIG_PARAM(BOUNCE_TOKENS, "bounce_tokens", BOOL, "on", 0, 0, NULL,
    "list mail goes out with a keyed, dated return path; bounced drops bounces without a good one")
CONFIG_PARAM(BOUNCE_DIRECTORY, "bounce_directory", PATH, "", 0, 0, NULL,
    "where bounced keeps each member's latest bounce, by list (default: <state_directory>/bounce)")
CONFIG_PARAM(MINIMUM_BOUNCING_COUNT, "minimum_bouncing_count", INT, "10", 1, 100000, NULL,
    "bounces a member needs before eval_bouncers gives a score")
CONFIG_PARAM(MINIMUM_BOUNCING_PERIOD, "minimum_bouncing_period", INT, "10", 0, 3650, NULL,
    "days between a member's first and last bounce before eval_bouncers gives a score")
CONFIG_PARAM(BOUNCE_DELAY, "bounce_delay", INT, "0", 0, 365, NULL,
    "days bounces take to come back, taken off their dates when scoring")
CONFIG_PARAM(EXPIRE_BOUNCE_DAYS, "expire_bounce_days", INT, "10", 1, 3650, NULL,
    "expire_bounce forgets the bounce data of members who have not bounced for this many days")
CONFIG_PARAM(TASK_EVAL_BOUNCERS, "task_eval_bouncers", STRING, "0 3 * * *", 0, 0, NULL,
    "when eval_bouncers runs (cron fields: minute hour day month weekday; \"off\": never)")
CONFIG_PARAM(TASK_PROCESS_BOUNCERS, "task_process_bouncers", STRING, "0 4 * * 1", 0, 0, NULL,
    "when process_bouncers runs (cron fields; \"off\": never)")
CONFIG_PARAM(TASK_EXPIRE_BOUNCE, "task_expire_bounce", STRING, "30 3 * * *", 0, 0, NULL,
    "when expire_bounce runs (cron fields; \"off\": never)")
CONFIG_PARAM(TASK_PURGE_KEYS, "task_purge_keys", STRING, "17 * * * *", 0, 0, NULL,
    "when purge_keys runs: expired moderation and confirmation keys, requests, reply counts and Message-IDs (cron fields; \"off\": never)")
