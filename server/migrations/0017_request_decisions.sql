-- A permission request's decision by its system's owner (SPEC §7b): why, which the
-- requester reads on /permissions (required for a rejection), and who decided (a console
-- user, or cli).
ALTER TABLE permission_requests ADD COLUMN decision_reason TEXT;
ALTER TABLE permission_requests ADD COLUMN decided_by TEXT;
