-- 0002_audit_purge - let a list be purged while its audit records stay.
--
-- audit_log.list_id references lists ON DELETE SET NULL, and that SET NULL
-- is an UPDATE, which audit_log_no_update refused: no list with a record
-- could ever be deleted. The one change now allowed is exactly that one:
-- list_id going to NULL with every other column unchanged (list_address
-- keeps naming the list). Anything else is still refused.

CREATE OR REPLACE FUNCTION audit_log_refuse_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.list_id IS NOT NULL AND NEW.list_id IS NULL
	    AND (to_jsonb(NEW) - 'list_id') = (to_jsonb(OLD) - 'list_id') THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit_log rows cannot be changed'
	    USING ERRCODE = 'insufficient_privilege';
END
$$;
