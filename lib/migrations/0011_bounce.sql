-- 0011_bounce - what bounced records and task_manager reads and acts on.
--
-- Per member (subscribers, 0001): first and last bounce, count, last
-- status, score; here also the address the last report named, when it
-- is not the member's own (a forward, an alias), and when the member was
-- last told or acted on by process_bouncers.
--
-- bounce_events: one row per recipient of a report that was attributed
-- to a list (member or not), for the owners' view and the score's
-- history; bounced writes it, expire_bounce and the purge tasks delete it.
--
-- tracking: per message and member, the delivery or read report that
-- came back, when the list tracks delivery (DSN/MDN, Sympa's
-- notification_table); envid is the VERP address's envelope id.
--
-- bounce_rejects: bounces dropped before any other work (a forged, wrong
-- or expired token, no list), counted per day and reason. bounced adds
-- its counts in batches, never a write per dropped bounce.
--
-- task_runs: one row per scheduled run of a task_manager task, claimed
-- before the run and finished after it: a restart neither skips a run
-- whose time has passed nor repeats one that finished.

ALTER TABLE subscribers
    ADD COLUMN bounce_address email_address,
    ADD COLUMN bounce_action_at timestamptz,
    ADD COLUMN bounce_action_level smallint
	CONSTRAINT subscribers_bounce_action_level_check
	CHECK (bounce_action_level BETWEEN 1 AND 2);

CREATE TABLE bounce_events (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	list_id		bigint NOT NULL
			CONSTRAINT bounce_events_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	email		email_address NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	kind		text COLLATE "C" NOT NULL
			CONSTRAINT bounce_events_kind_check CHECK (kind IN
			    ('dsn', 'mdn', 'arf', 'nonstandard', 'verp')),
	action		text COLLATE "C" NOT NULL
			CONSTRAINT bounce_events_action_check CHECK (action IN
			    ('failed', 'delayed', 'delivered', 'relayed',
			    'expanded', 'displayed', 'feedback')),
	status		text COLLATE "C"
			CONSTRAINT bounce_events_status_check
			CHECK (status ~ '^[245]\.[0-9]{1,3}\.[0-9]{1,3}$'),
	hard		boolean NOT NULL DEFAULT false,
	recogniser	text COLLATE "C" NOT NULL
			CONSTRAINT bounce_events_recogniser_check
			CHECK (recogniser ~ '^[a-z0-9_.-]{1,40}$'),
	diagnostic	text
			CONSTRAINT bounce_events_diagnostic_check
			CHECK (octet_length(diagnostic) <= 512),
	member		boolean NOT NULL,	-- a member when it came
	message_id	text
			CONSTRAINT bounce_events_message_id_check
			CHECK (octet_length(message_id) <= 998)
);
CREATE INDEX bounce_events_member_idx ON bounce_events (list_id, email, received_at);
CREATE INDEX bounce_events_received_idx ON bounce_events (received_at);

CREATE TABLE tracking (
	list_id		bigint NOT NULL
			CONSTRAINT tracking_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	envid		text COLLATE "C" NOT NULL
			CONSTRAINT tracking_envid_check CHECK (envid ~ '^[a-z0-9]{1,20}$'),
	email		email_address NOT NULL,
	message_id	text
			CONSTRAINT tracking_message_id_check
			CHECK (octet_length(message_id) <= 998),
	type		text COLLATE "C" NOT NULL
			CONSTRAINT tracking_type_check CHECK (type IN ('dsn', 'mdn')),
	status		text COLLATE "C" NOT NULL,	-- the action or disposition
	arrived_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (list_id, envid, email, type)
);
CREATE INDEX tracking_arrived_idx ON tracking (arrived_at);

CREATE TABLE bounce_rejects (
	day		date NOT NULL,
	reason		text COLLATE "C" NOT NULL
			CONSTRAINT bounce_rejects_reason_check
			CHECK (reason ~ '^[a-z0-9_-]{1,40}$'),
	count		bigint NOT NULL CONSTRAINT bounce_rejects_count_check
			CHECK (count >= 0),
	PRIMARY KEY (day, reason)
);

CREATE TABLE task_runs (
	task		text COLLATE "C" NOT NULL
			CONSTRAINT task_runs_task_check
			CHECK (task ~ '^[a-z][a-z0-9_]{0,63}$'),
	scheduled_for	timestamptz NOT NULL,
	state		text COLLATE "C" NOT NULL DEFAULT 'running'
			CONSTRAINT task_runs_state_check
			CHECK (state IN ('running', 'done', 'failed')),
	owner		text,		-- host:pid while running
	started_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	detail		text
			CONSTRAINT task_runs_detail_check
			CHECK (octet_length(detail) <= 2000),
	PRIMARY KEY (task, scheduled_for)
);
