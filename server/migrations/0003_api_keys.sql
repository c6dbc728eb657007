-- API keys of other SSO front ends that ask for challenges server to server.
CREATE TABLE api_keys (
    hash TEXT PRIMARY KEY,          -- SHA-256 of the key, hex
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
