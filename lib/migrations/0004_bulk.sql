-- 0004_bulk - bulk jobs as distribute writes them and bulk claims them.
--
-- 0001 drew the three tables (bulk_jobs, bulk_packets, bulk_recipients);
-- this fills in what the packetiser (lib/packet.c) and the senders need:
--
--  * A job is one message to send, its bytes stored once (bulk hosts
--    need no shared filesystem). spool_id names what it was made from -
--    the spool entry, with a suffix of the caller's when one entry makes
--    several jobs - and is UNIQUE: distribute writes the job and its
--    packets in one transaction and removes the spool entry only after
--    the commit, so a crash in between leaves an entry whose job exists,
--    and the re-run finds it (INSERT ... ON CONFLICT) instead of sending
--    the message twice.
--  * A packet carries its recipients as an array, written at once with
--    the packet: 100,000 recipients are 4,000 rows, not 100,000 (rows
--    per recipient cost six times as much to insert, and packetising a
--    large list must take well under two seconds). verp_recipients is
--    the part of recipients that gets a VERP return path, hence an SMTP
--    transaction each; the others go grouped. reception says which form
--    of the message the packet's recipients get (mail, notice, txt,
--    urlize): the message is stored once, its variants are made by the
--    sender.
--  * bulk_recipients is now the result store: one row per recipient that
--    has an answer, written by the sender in the transaction that commits
--    after the relay's final reply. sent (2xx) and failed (5xx, for the
--    bounce machinery) are final and never sent again; deferred (4xx) is
--    retried with the packet. A recipient of the packet without a final
--    row is still to be sent, so after a crash only what was in flight
--    can go out twice.
--  * The claim, by priority then age, is served by bulk_packets_claim_idx
--    (0001): ready packets, and claimed ones whose lease may have expired.
--    A packet's next_attempt_at starts at its job's deliver_after, so the
--    claim needs no join.

ALTER TABLE bulk_jobs
	ADD COLUMN kind text COLLATE "C" NOT NULL DEFAULT 'post'
	    CONSTRAINT bulk_jobs_kind_check CHECK (kind IN ('post', 'digest',
		'notice', 'forward', 'reply', 'auth', 'reminder')),
	-- For the logs; NULL for site mail (domain is then the site's).
	ADD COLUMN list_name list_name,
	-- Per cent of the members who get a VERP return path (rotating with
	-- the list's sequence number; members with bounces always do).
	ADD COLUMN verp_rate smallint NOT NULL DEFAULT 0
	    CONSTRAINT bulk_jobs_verp_rate_check
	    CHECK (verp_rate BETWEEN 0 AND 100),
	-- An RFC 8058 one-click List-Unsubscribe per recipient.
	ADD COLUMN oneclick boolean NOT NULL DEFAULT false,
	-- Recipients over all packets, and those sent to the digest spool.
	ADD COLUMN recipient_count integer NOT NULL DEFAULT 0
	    CONSTRAINT bulk_jobs_recipient_count_check
	    CHECK (recipient_count >= 0),
	ADD COLUMN digest_count integer NOT NULL DEFAULT 0
	    CONSTRAINT bulk_jobs_digest_count_check CHECK (digest_count >= 0),
	ADD CONSTRAINT bulk_jobs_spool_id_check CHECK (
	    octet_length(spool_id) <= 300 AND spool_id ~ '^[!-~]+$'),
	ADD CONSTRAINT bulk_jobs_spool_id_key UNIQUE (spool_id),
	ADD CONSTRAINT bulk_jobs_message_id_check CHECK (
	    octet_length(message_id) BETWEEN 1 AND 998
	    AND message_id !~ '[[:cntrl:]]');

ALTER TABLE bulk_packets
	ADD COLUMN reception text COLLATE "C" NOT NULL DEFAULT 'mail'
	    CONSTRAINT bulk_packets_reception_check
	    CHECK (reception IN ('mail', 'notice', 'txt', 'urlize')),
	-- In sending order: sorted by domain, then local part.
	ADD COLUMN recipients email_address[] NOT NULL DEFAULT '{}'
	    CONSTRAINT bulk_packets_recipients_check
	    CHECK (cardinality(recipients) <= 100000),
	-- A subset of recipients (not checked here: <@ is quadratic).
	ADD COLUMN verp_recipients email_address[] NOT NULL DEFAULT '{}';

-- Results: 'pending' (no answer yet; a recipient without a row is pending
-- too), 'sent' (2xx), 'deferred' (4xx: sent again with the packet),
-- 'failed' (5xx: permanent).
ALTER TABLE bulk_recipients
	DROP CONSTRAINT bulk_recipients_state_check,
	ADD CONSTRAINT bulk_recipients_state_check
	    CHECK (state IN ('pending', 'sent', 'deferred', 'failed')),
	ADD COLUMN attempts integer NOT NULL DEFAULT 0
	    CONSTRAINT bulk_recipients_attempts_check CHECK (attempts >= 0);

-- Delete the jobs that are finished: every packet done or failed (or no
-- packet at all), the last finished at least keep ago. Their packets and
-- results go with them (ON DELETE CASCADE); whatever reads the results
-- (the bounce machinery) must have done so by then. Returns how many
-- jobs were deleted.
CREATE FUNCTION bulk_jobs_delete_finished(keep interval) RETURNS bigint
    LANGUAGE sql AS $$
	WITH gone AS (
		DELETE FROM bulk_jobs j
		WHERE j.created_at <= now() - keep
		    AND NOT EXISTS (SELECT 1 FROM bulk_packets p
			WHERE p.job_id = j.id AND (p.state IN ('ready', 'claimed')
			    OR p.finished_at > now() - keep))
		RETURNING 1)
	SELECT count(*) FROM gone
$$;
-- The purge looks at old jobs first.
CREATE INDEX bulk_jobs_created_at_idx ON bulk_jobs (created_at);
