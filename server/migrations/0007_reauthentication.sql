-- Re-authentication asked by a system (OpenID Connect prompt=login, max_age). A login made
-- for an authorization request is what that request, resumed by the new session, counts
-- as its new login: once, for that request alone, for a couple of minutes.
CREATE TABLE oidc_fresh_logins (
    session_hash TEXT PRIMARY KEY,  -- the session the login made
    path TEXT NOT NULL,             -- /oidc/authorize?…, the request it resumes
    expires_at BIGINT NOT NULL
);
