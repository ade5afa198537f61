-- 0015: distribute sweeps the held entries whose key is gone (purged
-- when it expired) out of the moderation and auth spools, asking for
-- each entry whether a hold still names it.
CREATE INDEX held_messages_spool_name_idx ON held_messages (spool_name);
