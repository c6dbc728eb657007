-- Bounded under abuse (SPEC §7c): a session not logged in remembers the address it was
-- made for (an IPv6 address by its /64), so that one address keeps only so many alive.
-- `remote_micros` orders them (the microseconds of the wall clock): the oldest go first.
ALTER TABLE sessions ADD COLUMN remote TEXT;
ALTER TABLE sessions ADD COLUMN remote_micros BIGINT;
CREATE INDEX sessions_remote ON sessions (remote, remote_micros);
