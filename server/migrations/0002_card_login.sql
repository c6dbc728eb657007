-- Card logins: nonces bound to a browser session and origin, assertion ids seen,
-- one-time tickets, and the accounts citizen IDs are linked to.
CREATE TABLE nonces (
    nonce TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    session TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE assertion_ids (
    jti TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE tickets (
    ticket TEXT PRIMARY KEY,
    session TEXT NOT NULL,
    username TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    citizen_id TEXT UNIQUE,
    created_at BIGINT NOT NULL
);
