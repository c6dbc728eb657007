-- The OpenID Connect provider (SPEC §7): each system may be a client (its code is the
-- client_id; a confidential client's secret stored as SHA-256, hex; a public client has
-- none and relies on PKCE), with its redirect URIs and post-logout redirect URIs, matched
-- exactly; each account's `sub`, random and stable, never the citizen ID; authorization
-- codes (single use, 60 s, stored hashed, bound to client, redirect URI, PKCE challenge and
-- nonce); access tokens (opaque, stored hashed, for userinfo); the authorization request a
-- browser session resumes after it logs in; and the origins each API key may serve.
CREATE TABLE oidc_clients (
    system_code TEXT PRIMARY KEY,
    secret_hash TEXT,               -- NULL: a public client (PKCE alone)
    created_at BIGINT NOT NULL
);

CREATE TABLE oidc_redirect_uris (
    system_code TEXT NOT NULL,
    kind TEXT NOT NULL,             -- login | logout
    uri TEXT NOT NULL,
    PRIMARY KEY (system_code, kind, uri)
);

CREATE TABLE oidc_subjects (
    username TEXT PRIMARY KEY,
    sub TEXT NOT NULL UNIQUE
);

CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce TEXT NOT NULL,
    scope TEXT NOT NULL,
    username TEXT NOT NULL,
    amr TEXT NOT NULL,              -- card | pwd otp
    auth_time BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE oidc_access_tokens (
    token_hash TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,        -- revoked when its code is presented again
    client_id TEXT NOT NULL,
    username TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE oidc_resumes (
    session_hash TEXT PRIMARY KEY,  -- the anonymous session that is logging in
    path TEXT NOT NULL,             -- /oidc/authorize?…, made by the server
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_key_origins (
    key_name TEXT NOT NULL,
    origin TEXT NOT NULL,
    PRIMARY KEY (key_name, origin)
);
