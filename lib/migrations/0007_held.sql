-- 0007_held - messages held for a moderator or for their sender.
--
-- A held message waits in the moderation or auth spool; this row is its
-- key: whoever sends DISTRIBUTE/REJECT (moderation) or CONFIRM (auth)
-- with the key decides, as in Sympa, so the key is 128 random bits from
-- OpenSSL, one per message, and expires. The row and the spool entry
-- are one: the entry is written (fsynced) before the row commits, and
-- the row is deleted in the transaction that writes the message's bulk
-- job, so a crash anywhere leaves a key that still works or nothing.
CREATE TABLE held_messages (
	key		text COLLATE "C" PRIMARY KEY
			CONSTRAINT held_messages_key_check
			CHECK (key ~ '^[0-9a-f]{32}$'),
	kind		text COLLATE "C" NOT NULL
			CONSTRAINT held_messages_kind_check
			CHECK (kind IN ('moderation', 'auth')),
	list_id		bigint NOT NULL
			CONSTRAINT held_messages_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	-- The entry's name in the moderation or auth spool.
	spool_name	text COLLATE "C" NOT NULL
			CONSTRAINT held_messages_spool_name_check
			CHECK (spool_name ~ '^[!-~]{1,255}$'),
	sender		text COLLATE "C" NOT NULL
			CONSTRAINT held_messages_sender_check
			CHECK (octet_length(sender) <= 254
			    AND sender !~ '[[:cntrl:][:space:]]'),
	message_id	text COLLATE "C"
			CONSTRAINT held_messages_message_id_check
			CHECK (octet_length(message_id) BETWEEN 1 AND 998
			    AND message_id !~ '[[:cntrl:]]'),
	subject		text
			CONSTRAINT held_messages_subject_check
			CHECK (char_length(subject) <= 200
			    AND subject !~ '[[:cntrl:]]'),
	-- Tagged as spam: moderators are told, never sent it by mail.
	spam		boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	CONSTRAINT held_messages_expiry_check CHECK (expires_at > created_at)
);
CREATE INDEX held_messages_list_idx ON held_messages (list_id, created_at);
CREATE INDEX held_messages_expires_at_idx ON held_messages (expires_at);

-- Each list's post counter: X-Sequence and [%list.sequence%] in subject
-- tags, and the turn of the VERP slice. Apart from lists so that counting
-- a post is not a change of the list (0006 announces those).
CREATE TABLE list_sequences (
	list_id		bigint PRIMARY KEY
			CONSTRAINT list_sequences_list_fkey REFERENCES lists (id)
			ON DELETE CASCADE,
	posts		bigint NOT NULL DEFAULT 0
			CONSTRAINT list_sequences_posts_check CHECK (posts >= 0)
);
