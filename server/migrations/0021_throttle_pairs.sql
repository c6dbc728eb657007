-- Guessing is counted per account and address (SPEC §7c): keys `pair:HASH:ADDRESS` join
-- `user:HASH` and `addr:ADDRESS`. `last_at` is when a key last counted an attempt, so that
-- an address guessing at an account guessed at from many addresses waits between tries.
ALTER TABLE login_throttle ADD COLUMN last_at BIGINT NOT NULL DEFAULT 0;
