-- The auditors' search (SPEC §7b): pages and exports read the log newest first by keyset on
-- (at, id), and by person, as whom a row is about or who did it.
CREATE INDEX audit_log_at_id ON audit_log (at, id);
DROP INDEX audit_log_at;
CREATE INDEX audit_log_username ON audit_log (username, at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
