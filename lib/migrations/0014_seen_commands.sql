-- 0014: command messages carried out once (issue 8).
--
-- The Message-IDs of the command mail a domain's robot has taken, as
-- seen_message_ids does for a list's posts: a message that reaches the
-- robot twice (sent to sympa@ and to list-subscribe@, or sent again by a
-- client) is carried out, and answered, once. The id is stored without
-- its angle brackets. The purge_keys task forgets both tables' rows
-- after msgid_days.
CREATE TABLE seen_command_ids (
	domain		dns_name NOT NULL,
	message_id	text COLLATE "C" NOT NULL
			CONSTRAINT seen_command_ids_message_id_check
			CHECK (octet_length(message_id) BETWEEN 1 AND 998
			    AND message_id !~ '[[:cntrl:]]'),
	first_seen	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (domain, message_id)
);
CREATE INDEX seen_command_ids_first_seen_idx ON seen_command_ids (first_seen);
