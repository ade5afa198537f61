-- 0008_bulkq - what bulk hosts learn about the domains they send to.
--
-- A domain whose relay defers every recipient of a transaction (4xx,
-- or no answer: greylisting, rate limits, a server down) is noted here
-- with a backoff that doubles with each such transaction, and cleared by
-- the first 2xx from it (lib/bulkq.c, bulkq_note_domains()). Every bulk
-- host sees the note: a packet going back to the queue waits at least
-- until one of its remaining recipients' domains may be tried again, and
-- a sender may skip a domain still in backoff (bulkq_domain_wait()).
-- Notes are advice, written after the results have committed: losing
-- one never loses or repeats mail.
--
-- The domain is the text after an address's last '@', as stored (lower
-- case); not dns_name, because address literals ("[192.0.2.1]") are
-- domains too.
CREATE TABLE bulk_domain_backoff (
	domain		text COLLATE "C" PRIMARY KEY
			CONSTRAINT bulk_domain_backoff_domain_check
			CHECK (octet_length(domain) BETWEEN 1 AND 255
			    AND domain !~ '[[:cntrl:][:space:]@]'),
	-- Transactions deferred in a row; the backoff doubles with each.
	deferrals	integer NOT NULL DEFAULT 1
			CONSTRAINT bulk_domain_backoff_deferrals_check
			CHECK (deferrals >= 1),
	until		timestamptz NOT NULL,
	-- The last reply that deferred (for the logs and the operator).
	last_status	text
			CONSTRAINT bulk_domain_backoff_last_status_check
			CHECK (last_status !~ '[[:cntrl:]]'),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
-- Old notes are purged by age.
CREATE INDEX bulk_domain_backoff_until_idx ON bulk_domain_backoff (until);
