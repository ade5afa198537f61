-- 0006_roster_notify - tell the daemons when membership changes.
--
-- Daemons keep what they learn about members and admins (scenario
-- conditions such as is_subscriber) across messages, and drop a list's
-- answers when this says it changed: each statement that changes
-- subscribers or admins sends one notification per list it touched on
-- channel herald_roster, the payload being the list's id; a change to
-- lists themselves (created, renamed, removed) or a TRUNCATE sends '*',
-- "forget everything". Notifications go out at commit, and not at all
-- for a rolled back transaction. Statement-level triggers over transition
-- tables: an import of 100,000 members is one notification, not 100,000.

CREATE FUNCTION herald_roster_notify_new() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('herald_roster', d.list_id::text)
	    FROM (SELECT DISTINCT list_id FROM new_rows) d;
	RETURN NULL;
END $$;

CREATE FUNCTION herald_roster_notify_old() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('herald_roster', d.list_id::text)
	    FROM (SELECT DISTINCT list_id FROM old_rows) d;
	RETURN NULL;
END $$;

CREATE FUNCTION herald_roster_notify_both() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('herald_roster', d.list_id::text)
	    FROM (SELECT list_id FROM old_rows UNION SELECT list_id FROM new_rows) d;
	RETURN NULL;
END $$;

CREATE FUNCTION herald_roster_notify_all() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('herald_roster', '*');
	RETURN NULL;
END $$;

CREATE TRIGGER subscribers_notify_insert AFTER INSERT ON subscribers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_new();
CREATE TRIGGER subscribers_notify_update AFTER UPDATE ON subscribers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_both();
CREATE TRIGGER subscribers_notify_delete AFTER DELETE ON subscribers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_old();
CREATE TRIGGER subscribers_notify_truncate AFTER TRUNCATE ON subscribers
    FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_all();

CREATE TRIGGER admins_notify_insert AFTER INSERT ON admins
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_new();
CREATE TRIGGER admins_notify_update AFTER UPDATE ON admins
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_both();
CREATE TRIGGER admins_notify_delete AFTER DELETE ON admins
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_old();
CREATE TRIGGER admins_notify_truncate AFTER TRUNCATE ON admins
    FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_all();

CREATE TRIGGER lists_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON lists FOR EACH STATEMENT EXECUTE FUNCTION herald_roster_notify_all();
