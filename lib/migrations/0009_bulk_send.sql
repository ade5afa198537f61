-- 0009_bulk_send - what bulk needs to send a job on any host.
--
-- A job whose headers bulk changes per recipient (the RFC 8058 one-click
-- URL) must be signed again per recipient, with the key distribute used:
-- the job names the key file and the i= identity besides d= and s=.
--
-- New packets wake the bulk processes at once: each statement that
-- inserts packets sends one notification on channel herald_bulk (at
-- commit; none for a rolled back transaction). Bulk still looks on its
-- own every few seconds, for retries that fall due.

ALTER TABLE bulk_jobs
    ADD COLUMN dkim_key_path text,
    ADD COLUMN dkim_identity text;

CREATE FUNCTION herald_bulk_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('herald_bulk', '');
	RETURN NULL;
END $$;

CREATE TRIGGER bulk_packets_notify AFTER INSERT ON bulk_packets
    FOR EACH STATEMENT EXECUTE FUNCTION herald_bulk_notify();
