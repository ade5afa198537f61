-- 0012_requests - mail commands waiting for someone, and the count of
-- replies the command robot sends to each address.
--
-- A SUBSCRIBE or SIGNOFF the list's scenario answers with request_auth
-- waits for the address it names to confirm; one it answers with owner
-- waits for an owner; an INVITE waits for the guest. The key is the
-- capability, as for held messages (0007): 128 random bits, single use
-- (the row is deleted in the transaction that carries the command out),
-- expiring. One request of a kind per list, action and address: asking
-- again finds the one that waits rather than piling up keys.
CREATE TABLE requests (
	key		text COLLATE "C" PRIMARY KEY
			CONSTRAINT requests_key_check
			CHECK (key ~ '^[0-9a-f]{32}$'),
	kind		text COLLATE "C" NOT NULL
			CONSTRAINT requests_kind_check
			CHECK (kind IN ('confirm', 'owner', 'invite')),
	list_id		bigint NOT NULL
			CONSTRAINT requests_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	action		text COLLATE "C" NOT NULL
			CONSTRAINT requests_action_check
			CHECK (action IN ('subscribe', 'signoff')),
	-- The address the command acts on.
	email		email_address NOT NULL,
	gecos		text
			CONSTRAINT requests_gecos_check
			CHECK (char_length(gecos) <= 150
			    AND gecos !~ '[[:cntrl:]]'),
	-- Who sent the command (the same as email unless an owner or an
	-- inviter asked for someone else).
	requester	email_address NOT NULL,
	quiet		boolean NOT NULL DEFAULT false,
	-- The command's Message-ID, without its angle brackets: with the
	-- key, the proof of the opt-in once confirmed.
	message_id	text COLLATE "C"
			CONSTRAINT requests_message_id_check
			CHECK (octet_length(message_id) BETWEEN 1 AND 998
			    AND message_id !~ '[[:cntrl:]]'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	CONSTRAINT requests_expiry_check CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX requests_one_idx ON requests (list_id, kind, action, email);
CREATE INDEX requests_expires_at_idx ON requests (expires_at);

-- Replies of the command robot per address, in windows: past the site's
-- limit an address gets nothing more until its window ends, so a forged
-- sender cannot turn the robot into a mail cannon (Sympa's
-- loop_command_max). The count stops just past the limit (lib/replyrate).
CREATE TABLE command_replies (
	address		email_address PRIMARY KEY,
	window_start	timestamptz NOT NULL,
	count		integer NOT NULL
			CONSTRAINT command_replies_count_check CHECK (count >= 0)
);
CREATE INDEX command_replies_window_idx ON command_replies (window_start);
