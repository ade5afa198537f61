-- 0005_secrets - named site secrets that every host shares.
--
-- A secret is made once, by the first host that needs it (secret_get() in
-- lib/secret.c: INSERT ... ON CONFLICT DO NOTHING, then SELECT, so hosts
-- racing to create it all end up with the winner's bytes). Each use has
-- its own name ("oneclick" for RFC 8058 tokens, "verp" for return paths
-- later), so one can be replaced without invalidating the others.
-- Replacing a secret is deleting its row: every token made with it stops
-- verifying, which is the point of replacing it.

CREATE TABLE secrets (
	name		text COLLATE "C" PRIMARY KEY
			CONSTRAINT secrets_name_check
			CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
	-- At least 256 bits: HMAC-SHA256 gains nothing from a longer key.
	value		bytea NOT NULL
			CONSTRAINT secrets_value_check
			CHECK (octet_length(value) >= 32),
	created_at	timestamptz NOT NULL DEFAULT now()
);
