-- The admin console (SPEC §7b): the roles people hold (admin, helpdesk, auditor, and owner
-- of one system), and who did what in the audit log: an action of the console names the
-- person who did it, the command line names `cli`.
CREATE TABLE roles (
    username TEXT NOT NULL,
    role TEXT NOT NULL,                         -- admin | helpdesk | owner | auditor
    system_code TEXT NOT NULL DEFAULT '',       -- owner: the system owned; '' otherwise
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (username, role, system_code)
);

ALTER TABLE audit_log ADD COLUMN actor TEXT;    -- who did it: a console user, or cli
ALTER TABLE audit_log ADD COLUMN detail TEXT;   -- what it did, e.g. "admin granted"
