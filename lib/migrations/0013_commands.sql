-- 0013: the command processor (issue 8).
--
-- A request may wait for any list command that a scenario sends to a
-- confirmation or to the owners, not only SUBSCRIBE and SIGNOFF: its
-- canonical command line is kept, and AUTH must quote exactly that line.
ALTER TABLE requests DROP CONSTRAINT requests_action_check;
ALTER TABLE requests ADD CONSTRAINT requests_action_check
	CHECK (action IN ('subscribe', 'signoff', 'add', 'del', 'invite',
	    'remind'));
ALTER TABLE requests ADD COLUMN command text COLLATE "C"
	CONSTRAINT requests_command_check
	CHECK (octet_length(command) BETWEEN 1 AND 1000
	    AND command !~ '[[:cntrl:]]');

-- A whole command message held until its sender confirms it
-- (commands_confirm): it belongs to no list, the envelope of its spool
-- entry says where it was sent.
ALTER TABLE held_messages DROP CONSTRAINT held_messages_kind_check;
ALTER TABLE held_messages ADD CONSTRAINT held_messages_kind_check
	CHECK (kind IN ('moderation', 'auth', 'commands'));
ALTER TABLE held_messages ALTER COLUMN list_id DROP NOT NULL;
ALTER TABLE held_messages ADD CONSTRAINT held_messages_list_check
	CHECK ((list_id IS NULL) = (kind = 'commands'));
