-- 0003_list_status_reason - why a list is in its status.
--
-- Family instantiation puts a list whose configuration breaks the family's
-- constraints into status error_config; the reason is kept with the row so
-- that every host (and `herald family show`) can tell the administrator
-- what to fix. One line, bounded, no control characters: it is shown in
-- reports and may be quoted in mail to the owners.

ALTER TABLE lists ADD COLUMN status_reason text
    CONSTRAINT lists_status_reason_check CHECK (
	char_length(status_reason) <= 1000 AND status_reason !~ '[[:cntrl:]]');
