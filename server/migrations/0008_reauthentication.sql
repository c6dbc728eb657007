-- Re-authentication asked by a system (OpenID Connect prompt=login, max_age) and the audit
-- of sign-ins to systems. A login made for an authorization request is what that request,
-- resumed by the new session, counts as its new login: once, for that request alone, for
-- a couple of minutes. Each code issued to a system, and each refusal for lack of
-- permission, is an audit row naming the system (its client_id) and how the person had
-- logged in.
CREATE TABLE oidc_fresh_logins (
    session_hash TEXT PRIMARY KEY,  -- the session the login made
    path TEXT NOT NULL,             -- /oidc/authorize?…, the request it resumes
    expires_at BIGINT NOT NULL
);

ALTER TABLE audit_log ADD COLUMN system_code TEXT;          -- a sign-in to a system: its code
ALTER TABLE audit_log ADD COLUMN amr TEXT;                  -- card | pwd otp
