-- 0001_initial - Herald's first schema.
--
-- Conventions, for this file and every later one:
--  * Identifiers that mail compares (addresses, list names, domains,
--    Message-IDs) use COLLATE "C": byte order, the same on every host, and
--    no index corruption when the C library's locale tables change.
--  * Addresses are stored with ASCII letters lower-cased (callers fold
--    them; the email_address domain refuses anything else). No citext:
--    the schema needs no extension, and plain btree indexes serve every
--    lookup.
--  * Times are timestamptz; surrogate keys are bigint identities; every
--    enumeration is text with a CHECK, so a new value is one migration.
--  * Text that may end up in a header (names, statuses) refuses control
--    characters, so the database can never carry a header injection.
--  * A migration runs inside one transaction opened by store_migrate():
--    no BEGIN or COMMIT here.

CREATE DOMAIN email_address AS text COLLATE "C"
    CONSTRAINT email_address_check CHECK (
	octet_length(VALUE) <= 254
	AND VALUE ~ '^[^@]+@[^@]+$'
	AND VALUE !~ '[A-Z[:cntrl:][:space:]]');

CREATE DOMAIN dns_name AS text COLLATE "C"
    CONSTRAINT dns_name_check CHECK (
	octet_length(VALUE) <= 253
	AND VALUE ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$');

-- Sympa's list names: a lower-case letter or digit, then up to 49 of
-- letters, digits and . _ + - (families use the same rule).
CREATE DOMAIN list_name AS text COLLATE "C"
    CONSTRAINT list_name_check CHECK (VALUE ~ '^[a-z0-9][a-z0-9._+-]{0,49}$');

-- A person's display name (gecos): bounded, one line.
CREATE DOMAIN display_name AS text
    CONSTRAINT display_name_check CHECK (
	char_length(VALUE) <= 150 AND VALUE !~ '[[:cntrl:]]');

CREATE DOMAIN reception_mode AS text COLLATE "C"
    CONSTRAINT reception_mode_check CHECK (VALUE IN ('mail', 'digest',
	'digestplain', 'summary', 'notice', 'txt', 'urlize', 'nomail', 'not_me'));

CREATE DOMAIN visibility_mode AS text COLLATE "C"
    CONSTRAINT visibility_mode_check CHECK (VALUE IN ('conceal', 'noconceal'));

-- Lists. The configuration lives in files; this row is what several hosts
-- must agree on (existence, status) and what members hang from.
CREATE TABLE lists (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		list_name NOT NULL,
	domain		dns_name NOT NULL,
	status		text COLLATE "C" NOT NULL DEFAULT 'open'
			CONSTRAINT lists_status_check CHECK (status IN ('open',
			    'closed', 'pending', 'error_config', 'family_closed')),
	family		list_name,
	created_at	timestamptz NOT NULL DEFAULT now(),
	created_by	email_address,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	updated_by	email_address,
	CONSTRAINT lists_domain_name_key UNIQUE (domain, name)
);
CREATE INDEX lists_family_idx ON lists (family) WHERE family IS NOT NULL;

-- Members. One row per (list, address).
CREATE TABLE subscribers (
	list_id		bigint NOT NULL
			CONSTRAINT subscribers_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	email		email_address NOT NULL,
	name		display_name,
	reception	reception_mode NOT NULL DEFAULT 'mail',
	visibility	visibility_mode NOT NULL DEFAULT 'noconceal',
	subscribed_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	-- Included from a data source (Sympa's inclusion_*) rather than, or
	-- as well as, subscribed: decides whether a removal needs an exclusion.
	subscribed	boolean NOT NULL DEFAULT true,
	included_at	timestamptz,
	inclusion_label	text,
	-- Bounces: first and last report, how many, the score task_manager
	-- computed (0-100, NULL = not yet scored), the last DSN status.
	bounce_first_at	timestamptz,
	bounce_last_at	timestamptz,
	bounce_count	integer NOT NULL DEFAULT 0
			CONSTRAINT subscribers_bounce_count_check
			CHECK (bounce_count >= 0),
	bounce_score	smallint
			CONSTRAINT subscribers_bounce_score_check
			CHECK (bounce_score BETWEEN 0 AND 100),
	bounce_status	text COLLATE "C"
			CONSTRAINT subscribers_bounce_status_check
			CHECK (bounce_status ~ '^[245]\.[0-9]{1,3}\.[0-9]{1,3}$'),
	custom_attributes jsonb NOT NULL DEFAULT '{}'
			CONSTRAINT subscribers_custom_attributes_check
			CHECK (jsonb_typeof(custom_attributes) = 'object'),
	suspended	boolean NOT NULL DEFAULT false,
	suspend_start	timestamptz,
	suspend_end	timestamptz,
	PRIMARY KEY (list_id, email),
	CONSTRAINT subscribers_bounce_dates_check CHECK (
	    (bounce_first_at IS NULL) = (bounce_last_at IS NULL)
	    AND bounce_first_at <= bounce_last_at),
	CONSTRAINT subscribers_suspend_check CHECK (
	    (suspended OR (suspend_start IS NULL AND suspend_end IS NULL))
	    AND (suspend_end IS NULL OR suspend_start IS NULL
		OR suspend_end > suspend_start))
);
-- "Which lists is this address on": bounces, unsubscribe-all, user pages.
CREATE INDEX subscribers_email_idx ON subscribers (email);
-- task_manager scores and acts on bouncing members only.
CREATE INDEX subscribers_bouncing_idx ON subscribers (list_id, bounce_score)
    WHERE bounce_count > 0;
-- Suspensions to lift when they end.
CREATE INDEX subscribers_suspended_idx ON subscribers (suspend_end)
    WHERE suspended;

-- Owners and moderators (editors). Only owners have a profile.
CREATE TABLE admins (
	list_id		bigint NOT NULL
			CONSTRAINT admins_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	email		email_address NOT NULL,
	role		text COLLATE "C" NOT NULL
			CONSTRAINT admins_role_check
			CHECK (role IN ('owner', 'editor')),
	profile		text COLLATE "C" NOT NULL DEFAULT 'normal'
			CONSTRAINT admins_profile_check
			CHECK (profile IN ('privileged', 'normal')),
	name		display_name,
	reception	reception_mode NOT NULL DEFAULT 'mail',
	visibility	visibility_mode NOT NULL DEFAULT 'noconceal',
	info		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (list_id, role, email),
	CONSTRAINT admins_editor_profile_check
	    CHECK (role = 'owner' OR profile = 'normal')
);
CREATE INDEX admins_email_idx ON admins (email);

-- Addresses removed from a list that a data source would add again.
CREATE TABLE exclusions (
	list_id		bigint NOT NULL
			CONSTRAINT exclusions_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	email		email_address NOT NULL,
	excluded_at	timestamptz NOT NULL DEFAULT now(),
	excluded_by	email_address,
	PRIMARY KEY (list_id, email)
);

-- People who log in (web) or have preferences. Members need no row here.
CREATE TABLE users (
	email		email_address PRIMARY KEY,
	-- A crypt(3)/PHC string ("$argon2id$...", "$6$..."); NULL = none.
	password_hash	text COLLATE "C"
			CONSTRAINT users_password_hash_check
			CHECK (password_hash ~ '^\$[a-z0-9-]+\$[!-~]+$'),
	display_name	display_name,
	-- A BCP 47 tag such as "en", "pt-BR", "zh-Hant".
	language	text COLLATE "C"
			CONSTRAINT users_language_check
			CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	last_login_at	timestamptz,
	wrong_login_count integer NOT NULL DEFAULT 0
			CONSTRAINT users_wrong_login_count_check
			CHECK (wrong_login_count >= 0),
	attributes	jsonb NOT NULL DEFAULT '{}'
			CONSTRAINT users_attributes_check
			CHECK (jsonb_typeof(attributes) = 'object')
);

-- What was done, by whom, through which channel: the proof of opt-in.
-- The list's address is copied so that the record outlives the list.
CREATE TABLE audit_log (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	-- Who: an address, a Unix user (cli) or a daemon name; NULL = anonymous.
	actor		text COLLATE "C"
			CONSTRAINT audit_log_actor_check
			CHECK (actor !~ '[[:cntrl:]]'),
	channel		text COLLATE "C" NOT NULL
			CONSTRAINT audit_log_channel_check
			CHECK (channel IN ('cli', 'mail', 'web', 'daemon')),
	action		text COLLATE "C" NOT NULL
			CONSTRAINT audit_log_action_check
			CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
	target		email_address,
	list_id		bigint
			CONSTRAINT audit_log_list_fkey REFERENCES lists (id)
			ON DELETE SET NULL,
	list_address	text COLLATE "C",
	message_id	text COLLATE "C",
	status		text COLLATE "C" NOT NULL
			CONSTRAINT audit_log_status_check
			CHECK (status IN ('success', 'error')),
	error		text,
	-- Where the request came from (web: the client address; mail: the
	-- relay); free text, kept for the record.
	client		text,
	details		jsonb NOT NULL DEFAULT '{}'
			CONSTRAINT audit_log_details_check
			CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_log_target_idx ON audit_log (target, at);
CREATE INDEX audit_log_list_idx ON audit_log (list_id, at);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Evidence is not edited: rows may be purged when they expire, never
-- changed.
CREATE FUNCTION audit_log_refuse_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log rows cannot be changed'
	    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_update();

-- Message-IDs a list has distributed: duplicates are suppressed across
-- restarts and hosts. The id is stored without its angle brackets.
CREATE TABLE seen_message_ids (
	list_id		bigint NOT NULL
			CONSTRAINT seen_message_ids_list_fkey
			REFERENCES lists (id) ON DELETE CASCADE,
	message_id	text COLLATE "C" NOT NULL
			CONSTRAINT seen_message_ids_message_id_check
			CHECK (octet_length(message_id) BETWEEN 1 AND 998
			    AND message_id !~ '[[:cntrl:]]'),
	first_seen	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (list_id, message_id)
);
-- The purge task removes the oldest.
CREATE INDEX seen_message_ids_first_seen_idx ON seen_message_ids (first_seen);

-- Outgoing mail. A job holds the message once; packets split its
-- recipients; each recipient row records its own result, so a crashed
-- sender's packet is taken over (its lease expires) and only recipients
-- still pending are sent again.
CREATE TABLE bulk_jobs (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	-- NULL for a service message (command replies, notifications).
	list_id		bigint
			CONSTRAINT bulk_jobs_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	domain		dns_name NOT NULL,
	message		bytea NOT NULL,
	message_id	text COLLATE "C",
	-- The author, for not_me and the logs.
	sender		email_address,
	-- The envelope sender; '' is the null sender <>.
	return_path	text COLLATE "C" NOT NULL
			CONSTRAINT bulk_jobs_return_path_check
			CHECK (return_path = '' OR (return_path ~ '^[^@]+@[^@]+$'
			    AND return_path !~ '[[:cntrl:][:space:]<>]')),
	-- 0 first, 9 last (Sympa: service messages 1, list posts 5).
	priority	smallint NOT NULL DEFAULT 5
			CONSTRAINT bulk_jobs_priority_check
			CHECK (priority BETWEEN 0 AND 9),
	created_at	timestamptz NOT NULL DEFAULT now(),
	-- Nothing is sent before this (a list's delivery_time).
	deliver_after	timestamptz NOT NULL DEFAULT now(),
	spool_id	text COLLATE "C",
	-- Sign with DKIM (the key is found by domain and selector on the
	-- sending host; the body hash is computed once per job).
	dkim_sign	boolean NOT NULL DEFAULT false,
	dkim_domain	dns_name,
	dkim_selector	text COLLATE "C"
			CONSTRAINT bulk_jobs_dkim_selector_check
			CHECK (dkim_selector ~ '^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$'),
	-- Per-recipient work: merge fields, one-click tokens; VERP return paths.
	personalize	boolean NOT NULL DEFAULT false,
	verp		boolean NOT NULL DEFAULT false,
	tracking	text COLLATE "C"
			CONSTRAINT bulk_jobs_tracking_check
			CHECK (tracking IN ('dsn', 'mdn')),
	CONSTRAINT bulk_jobs_dkim_check CHECK (NOT dkim_sign
	    OR (dkim_domain IS NOT NULL AND dkim_selector IS NOT NULL))
);
CREATE INDEX bulk_jobs_list_idx ON bulk_jobs (list_id);

CREATE TABLE bulk_packets (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_id		bigint NOT NULL
			CONSTRAINT bulk_packets_job_fkey REFERENCES bulk_jobs (id)
			ON DELETE CASCADE,
	-- Claim order: lower first (the job's priority, or higher urgency).
	priority	smallint NOT NULL DEFAULT 5
			CONSTRAINT bulk_packets_priority_check
			CHECK (priority BETWEEN 0 AND 9),
	state		text COLLATE "C" NOT NULL DEFAULT 'ready'
			CONSTRAINT bulk_packets_state_check
			CHECK (state IN ('ready', 'claimed', 'done', 'failed')),
	-- Who holds the packet ("host:pid") and until when; a claimed packet
	-- whose lease expired may be claimed again.
	lease_owner	text COLLATE "C",
	lease_expires_at timestamptz,
	attempts	integer NOT NULL DEFAULT 0
			CONSTRAINT bulk_packets_attempts_check
			CHECK (attempts >= 0),
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	last_error	text,
	CONSTRAINT bulk_packets_lease_check CHECK (state <> 'claimed'
	    OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
CREATE INDEX bulk_packets_job_idx ON bulk_packets (job_id);
-- The claim: SELECT ... WHERE state IN ('ready', 'claimed') AND
-- next_attempt_at <= now() (and the lease expired if claimed) ORDER BY
-- priority, next_attempt_at, id FOR UPDATE SKIP LOCKED. Finished packets
-- leave the index.
CREATE INDEX bulk_packets_claim_idx ON bulk_packets
    (priority, next_attempt_at, id) WHERE state IN ('ready', 'claimed');

CREATE TABLE bulk_recipients (
	packet_id	bigint NOT NULL
			CONSTRAINT bulk_recipients_packet_fkey
			REFERENCES bulk_packets (id) ON DELETE CASCADE,
	email		email_address NOT NULL,
	state		text COLLATE "C" NOT NULL DEFAULT 'pending'
			CONSTRAINT bulk_recipients_state_check
			CHECK (state IN ('pending', 'sent', 'failed')),
	-- The SMTP reply of the last attempt (code, enhanced status, text).
	smtp_status	text
			CONSTRAINT bulk_recipients_smtp_status_check
			CHECK (smtp_status !~ '[[:cntrl:]]'),
	done_at		timestamptz,
	PRIMARY KEY (packet_id, email)
);
