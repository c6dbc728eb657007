-- Enrollment tokens IT creates, and the agents enrolled with them.
-- Portable SQL: the same file runs on SQLite and PostgreSQL.
CREATE TABLE enrollment_tokens (
    hash TEXT PRIMARY KEY,          -- SHA-256 of the token, hex; the token itself is never stored
    uses_left BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,     -- Unix seconds
    created_at BIGINT NOT NULL
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    public_key_jwk TEXT NOT NULL,
    hostname TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    last_ctr BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);
