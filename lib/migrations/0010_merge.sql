-- 0010_merge - personalization (merge fields) of a job.
--
-- distribute writes a list's merge fields into the message as tokens that
-- carry a random word of the job's (lib/transform.h: a poster cannot guess
-- it, so a post's own text is never merged); bulk needs the word to find
-- them. personalize is true exactly when there is one.

ALTER TABLE bulk_jobs
    ADD COLUMN merge_nonce text
	CONSTRAINT bulk_jobs_merge_nonce_check CHECK (merge_nonce ~ '^[0-9a-f]{8,64}$'),
    ADD CONSTRAINT bulk_jobs_personalize_check
	CHECK (personalize = (merge_nonce IS NOT NULL));
