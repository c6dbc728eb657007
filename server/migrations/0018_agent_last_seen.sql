-- When the server last heard from each enrolled agent (its enrollment, then each card
-- login it signed), for the admin console's list of agents (SPEC §7b). Unix seconds;
-- NULL for agents enrolled before this column, until their next card login.
ALTER TABLE agents ADD COLUMN last_seen_at BIGINT;
