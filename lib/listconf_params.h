/*
 * The parameters of a list's config.yaml: one line each, the only place a
 * list parameter is declared. Included by listconf.h and listconf.c with
 * LISTCONF_PARAM defined as needed.
 *
 * LISTCONF_PARAM(id, name, type, default, min, max, choices, doc)
 *   A dotted name ("reply_to_header.value") is a key of the mapping its
 *   first part names, which has type MAP.
 *   type: STRING (one line), TEXT (lines), SCENARIO (a scenario name,
 *         [-.,\w]+), INT, SIZE (bytes, k/M/G suffixes), BOOL, ENUM (one of
 *         choices), ADDRESS (local@domain), REGEX (a PCRE2 pattern), PATH
 *         (absolute), DNSNAME (a domain name), FAMILY (a family name),
 *         MAP (a mapping of its dotted keys), ADMINS (a sequence of
 *         {email, gecos, profile, reception, visibility}; choices "owner"
 *         allows profile), HEADERS (a sequence of "Field: value"), SET (a
 *         sequence, or a comma-separated string, of distinct choices),
 *         FIELDS (a sequence or comma-separated string of header field
 *         names), DAYS (week days 0..6, 0 is Sunday, as for SET), VARS (a
 *         mapping of names to one-line values)
 *   default: NULL for a required parameter; "" for none; for SET, FIELDS
 *         and DAYS a comma-separated list.
 *   min, max: bounds for INT and SIZE; 0, 0 otherwise.
 *   choices: "a|b|c" for ENUM and SET, NULL otherwise.
 *   max_size's default is the site's (or the domain's) max_size.
 */
LISTCONF_PARAM(SUBJECT, "subject", STRING, NULL, 0, 0, NULL,
    "the list's one-line description, shown in list indexes (required)")
LISTCONF_PARAM(VISIBILITY, "visibility", SCENARIO, "conceal", 0, 0, NULL,
    "scenario: who sees the list in list indexes")
LISTCONF_PARAM(SEND, "send", SCENARIO, "private", 0, 0, NULL,
    "scenario: who may post to the list")
LISTCONF_PARAM(SUBSCRIBE, "subscribe", SCENARIO, "open", 0, 0, NULL,
    "scenario: who may subscribe")
LISTCONF_PARAM(UNSUBSCRIBE, "unsubscribe", SCENARIO, "open", 0, 0, NULL,
    "scenario: who may unsubscribe")
LISTCONF_PARAM(REVIEW, "review", SCENARIO, "owner", 0, 0, NULL,
    "scenario: who may see the list of members")
LISTCONF_PARAM(INFO, "info", SCENARIO, "open", 0, 0, NULL,
    "scenario: who may read the list's information")
LISTCONF_PARAM(INVITE, "invite", SCENARIO, "private", 0, 0, NULL,
    "scenario: who may invite others to subscribe")
LISTCONF_PARAM(ADD, "add", SCENARIO, "owner", 0, 0, NULL,
    "scenario: who may add members")
LISTCONF_PARAM(DEL, "del", SCENARIO, "owner", 0, 0, NULL,
    "scenario: who may remove members")
LISTCONF_PARAM(REMIND, "remind", SCENARIO, "owner", 0, 0, NULL,
    "scenario: who may send the subscription reminder to every member")
LISTCONF_PARAM(OWNER, "owner", ADMINS, "", 0, 0, "owner",
    "the initial owners, as a creation or a family gives them (the database holds the current ones)")
LISTCONF_PARAM(EDITOR, "editor", ADMINS, "", 0, 0, NULL,
    "the initial moderators, as a creation or a family gives them (the database holds the current ones)")
LISTCONF_PARAM(REPLY_TO_HEADER, "reply_to_header", MAP, "", 0, 0, NULL,
    "the Reply-To field of distributed messages")
LISTCONF_PARAM(REPLY_TO_HEADER_VALUE, "reply_to_header.value", ENUM, "sender", 0, 0,
    "sender|list|all|other_email",
    "where replies go: the sender, the list, both, or other_email")
LISTCONF_PARAM(REPLY_TO_HEADER_OTHER_EMAIL, "reply_to_header.other_email", ADDRESS, "", 0, 0, NULL,
    "the address replies go to when value is other_email")
LISTCONF_PARAM(REPLY_TO_HEADER_APPLY, "reply_to_header.apply", ENUM, "respect", 0, 0,
    "forced|respect",
    "respect: keep a Reply-To the sender set; forced: replace it")
LISTCONF_PARAM(CUSTOM_SUBJECT, "custom_subject", STRING, "", 0, 0, NULL,
    "the tag put in brackets before each subject, e.g. the list name")
LISTCONF_PARAM(CUSTOM_HEADER, "custom_header", HEADERS, "", 0, 0, NULL,
    "header fields added to each distributed message, as \"Field: value\"")
LISTCONF_PARAM(MESSAGE_HEADER, "message_header", TEXT, "", 0, 0, NULL,
    "text put before the body of each distributed message")
LISTCONF_PARAM(MESSAGE_FOOTER, "message_footer", TEXT, "", 0, 0, NULL,
    "text put after the body of each distributed message")
LISTCONF_PARAM(FOOTER_TYPE, "footer_type", ENUM, "mime", 0, 0, "mime|append",
    "mime: header and footer as MIME parts; append: added to a plain text body")
LISTCONF_PARAM(PERSONALIZATION_FEATURE, "personalization_feature", BOOL, "off", 0, 0, NULL,
    "merge fields ([% user.email %], [% user.gecos %]) filled in per recipient")
LISTCONF_PARAM(PERSONALIZATION, "personalization", MAP, "", 0, 0, NULL,
    "where merge fields are filled in")
LISTCONF_PARAM(PERSONALIZATION_MAIL_APPLY_ON, "personalization.mail_apply_on", ENUM, "none", 0, 0,
    "none|footer|all",
    "footer: in message_header and message_footer; all: the same (Herald never merges the body)")
LISTCONF_PARAM(MAX_SIZE, "max_size", SIZE, "", 1024, 1099511627776LL, NULL,
    "largest message the list distributes, in bytes (default: the site's or domain's max_size)")
LISTCONF_PARAM(PRIORITY, "priority", INT, "5", 0, 9, NULL,
    "the list's delivery priority, 0 most urgent")
LISTCONF_PARAM(MAX_LIST_MEMBERS, "max_list_members", INT, "0", 0, 100000000, NULL,
    "most members the list may have; 0 for no limit")
LISTCONF_PARAM(BOUNCE, "bounce", MAP, "", 0, 0, NULL,
    "bounce rates of a distribution")
LISTCONF_PARAM(BOUNCE_WARN_RATE, "bounce.warn_rate", INT, "30", 0, 100, NULL,
    "per cent of bouncing members above which the owners are warned at each post")
LISTCONF_PARAM(BOUNCE_HALT_RATE, "bounce.halt_rate", INT, "50", 0, 100, NULL,
    "kept for Sympa's files; not acted on (Sympa never implemented it)")
LISTCONF_PARAM(COMPLAINT_ACTION, "complaint_action", ENUM, "notify", 0, 0, "notify|unsubscribe",
    "a member's complaint (RFC 5965 feedback report): notify the owners, or unsubscribe the member and notify them")
LISTCONF_PARAM(BOUNCERS_LEVEL1, "bouncers_level1", MAP, "", 0, 0, NULL,
    "what happens to members whose bounce score reaches the first level")
LISTCONF_PARAM(BOUNCERS_LEVEL1_RATE, "bouncers_level1.rate", INT, "45", 0, 100, NULL,
    "the bounce score of the first level")
LISTCONF_PARAM(BOUNCERS_LEVEL1_ACTION, "bouncers_level1.action", ENUM, "notify_bouncers", 0, 0,
    "remove_bouncers|notify_bouncers|none",
    "the action on members of the first level")
LISTCONF_PARAM(BOUNCERS_LEVEL1_NOTIFICATION, "bouncers_level1.notification", ENUM, "owner", 0, 0,
    "none|owner|listmaster",
    "who is told of the action")
LISTCONF_PARAM(BOUNCERS_LEVEL2, "bouncers_level2", MAP, "", 0, 0, NULL,
    "what happens to members whose bounce score reaches the second level")
LISTCONF_PARAM(BOUNCERS_LEVEL2_RATE, "bouncers_level2.rate", INT, "75", 0, 100, NULL,
    "the bounce score of the second level")
LISTCONF_PARAM(BOUNCERS_LEVEL2_ACTION, "bouncers_level2.action", ENUM, "remove_bouncers", 0, 0,
    "remove_bouncers|notify_bouncers|none",
    "the action on members of the second level")
LISTCONF_PARAM(BOUNCERS_LEVEL2_NOTIFICATION, "bouncers_level2.notification", ENUM, "owner", 0, 0,
    "none|owner|listmaster",
    "who is told of the action")
LISTCONF_PARAM(VERP_RATE, "verp_rate", ENUM, "0%", 0, 0,
    "0%|2%|5%|10%|20%|25%|33%|50%|100%",
    "share of the recipients of each post who get a VERP return path (100% when tracking is on)")
LISTCONF_PARAM(TRACKING, "tracking", MAP, "", 0, 0, NULL,
    "delivery and read tracking")
LISTCONF_PARAM(TRACKING_DELIVERY_STATUS_NOTIFICATION, "tracking.delivery_status_notification",
    BOOL, "off", 0, 0, NULL,
    "ask for delivery status notifications (DSN) for each recipient")
LISTCONF_PARAM(TRACKING_MESSAGE_DISPOSITION_NOTIFICATION, "tracking.message_disposition_notification",
    ENUM, "off", 0, 0, "on|on_demand|off",
    "ask for message disposition notifications (read receipts); on_demand: when the sender asked")
LISTCONF_PARAM(TRACKING_TRACKING, "tracking.tracking", SCENARIO, "owner", 0, 0, NULL,
    "scenario: who may see the tracking data")
LISTCONF_PARAM(TRACKING_RETENTION_PERIOD, "tracking.retention_period", INT, "90", 1, 36500, NULL,
    "days tracking data is kept")
LISTCONF_PARAM(DIGEST, "digest", MAP, "", 0, 0, NULL,
    "when digests are sent; without it the list has no digest reception modes")
LISTCONF_PARAM(DIGEST_DAYS, "digest.days", DAYS, "", 0, 0, NULL,
    "the week days of the digest, 0 is Sunday (required when digest is set)")
LISTCONF_PARAM(DIGEST_HOUR, "digest.hour", INT, "0", 0, 23, NULL,
    "the hour of the digest")
LISTCONF_PARAM(DIGEST_MINUTE, "digest.minute", INT, "0", 0, 59, NULL,
    "the minute of the digest")
LISTCONF_PARAM(DIGEST_MAX_SIZE, "digest_max_size", INT, "25", 1, 100000, NULL,
    "most messages in one digest")
LISTCONF_PARAM(DEFAULT_USER_OPTIONS, "default_user_options", MAP, "", 0, 0, NULL,
    "the options a new member gets")
LISTCONF_PARAM(DEFAULT_USER_OPTIONS_RECEPTION, "default_user_options.reception", ENUM, "mail", 0, 0,
    "mail|notice|digest|digestplain|summary|nomail|txt|urlize|not_me",
    "reception mode of a new member")
LISTCONF_PARAM(DEFAULT_USER_OPTIONS_VISIBILITY, "default_user_options.visibility", ENUM, "noconceal", 0, 0,
    "conceal|noconceal",
    "whether a new member appears in the list of members")
LISTCONF_PARAM(ARCHIVE, "archive", MAP, "", 0, 0, NULL,
    "access to the archives")
LISTCONF_PARAM(ARCHIVE_WEB_ACCESS, "archive.web_access", SCENARIO, "closed", 0, 0, NULL,
    "scenario: who may read the archives on the web")
LISTCONF_PARAM(ARCHIVE_MAIL_ACCESS, "archive.mail_access", SCENARIO, "closed", 0, 0, NULL,
    "scenario: who may get archives by mail")
LISTCONF_PARAM(ARCHIVE_QUOTA, "archive.quota", INT, "0", 0, 1073741824, NULL,
    "largest size of the archives, in kilobytes; 0 for no limit")
LISTCONF_PARAM(ARCHIVE_MAX_MONTH, "archive.max_month", INT, "0", 0, 12000, NULL,
    "months of archives kept; 0 for all")
LISTCONF_PARAM(PROCESS_ARCHIVE, "process_archive", BOOL, "off", 0, 0, NULL,
    "whether distributed messages are archived")
LISTCONF_PARAM(DMARC_PROTECTION, "dmarc_protection", MAP, "", 0, 0, NULL,
    "rewriting of From for senders whose domain has a strict DMARC policy")
LISTCONF_PARAM(DMARC_PROTECTION_MODE, "dmarc_protection.mode", SET, "", 0, 0,
    "none|all|dkim_signature|dkim|dkim_exists|dmarc_any|dmarc_exists|dmarc_reject|dmarc_quarantine|domain_regex|domain|domain_match",
    "when From is rewritten; empty: never")
LISTCONF_PARAM(DMARC_PROTECTION_DOMAIN_REGEX, "dmarc_protection.domain_regex", REGEX, "", 0, 0, NULL,
    "sender domains to protect when mode has domain_regex")
LISTCONF_PARAM(DMARC_PROTECTION_OTHER_EMAIL, "dmarc_protection.other_email", ADDRESS, "", 0, 0, NULL,
    "the address put in From (default: the list's address)")
LISTCONF_PARAM(DMARC_PROTECTION_PHRASE, "dmarc_protection.phrase", ENUM, "name_via_list", 0, 0,
    "display_name|name|name_and_email|name_via_list|name_email_via_list|list_for_email|list_for_name|prefixed",
    "the display name of the rewritten From")
LISTCONF_PARAM(DKIM_SIGNATURE_APPLY_ON, "dkim_signature_apply_on", SET,
    "md5_authenticated_messages,smime_authenticated_messages,dkim_authenticated_messages,editor_validated_messages",
    0, 0,
    "md5_authenticated_messages|smime_authenticated_messages|dkim_authenticated_messages|editor_validated_messages|none|any",
    "which distributed messages are DKIM-signed (when the site signs)")
LISTCONF_PARAM(DKIM_PARAMETERS, "dkim_parameters", MAP, "", 0, 0, NULL,
    "the list's DKIM key (default: the domain's)")
LISTCONF_PARAM(DKIM_PARAMETERS_PRIVATE_KEY_PATH, "dkim_parameters.private_key_path", PATH, "", 0, 0, NULL,
    "the PEM file of the private key")
LISTCONF_PARAM(DKIM_PARAMETERS_SELECTOR, "dkim_parameters.selector", DNSNAME, "", 0, 0, NULL,
    "the selector (s=)")
LISTCONF_PARAM(DKIM_PARAMETERS_SIGNER_DOMAIN, "dkim_parameters.signer_domain", DNSNAME, "", 0, 0, NULL,
    "the signing domain (d=)")
LISTCONF_PARAM(DKIM_PARAMETERS_SIGNER_IDENTITY, "dkim_parameters.signer_identity", ADDRESS, "", 0, 0, NULL,
    "the identity (i=; default <list>-request@<domain>)")
LISTCONF_PARAM(RFC2369_HEADER_FIELDS, "rfc2369_header_fields", SET,
    "help,subscribe,unsubscribe,post,owner,archive", 0, 0,
    "help|subscribe|unsubscribe|post|owner|archive",
    "the List-* fields (RFC 2369) added to distributed messages")
LISTCONF_PARAM(REMOVE_HEADERS, "remove_headers", FIELDS,
    "X-Sympa-To,X-Family-To,Return-Receipt-To,Precedence,X-Sequence,Disposition-Notification-To,Sender",
    0, 0, NULL,
    "header fields removed from incoming messages before distribution")
LISTCONF_PARAM(ANONYMOUS_SENDER, "anonymous_sender", ADDRESS, "", 0, 0, NULL,
    "when set, the From of every post is replaced by this address and identifying fields removed")
LISTCONF_PARAM(LOOP_PREVENTION_REGEX, "loop_prevention_regex", REGEX,
    "mailer-daemon|sympa|listserv|majordomo|smartlist|mailman", 0, 0, NULL,
    "sender local parts taken for automatons (with reject_mail_from_automates_feature)")
LISTCONF_PARAM(REJECT_MAIL_FROM_AUTOMATES_FEATURE, "reject_mail_from_automates_feature", BOOL,
    "on", 0, 0, NULL,
    "drop posts from automatons (loop_prevention_regex, Auto-Submitted and the like)")
LISTCONF_PARAM(FAMILY, "family", FAMILY, "", 0, 0, NULL,
    "the family that made the list; set by family instantiation")
LISTCONF_PARAM(CUSTOM_VARS, "custom_vars", VARS, "", 0, 0, NULL,
    "names and values for the list's templates and scenarios")
