-- The SSO pages: passwords and TOTP, browser sessions, the systems each account may
-- use, permission-change requests, the audit log of login attempts, and the counts
-- that rate-limit password and OTP guesses.
ALTER TABLE users ADD COLUMN password_hash TEXT;            -- argon2id PHC string; NULL: card login only
ALTER TABLE users ADD COLUMN totp_secret TEXT;              -- base32; NULL: no OTP enrolled yet
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;  -- the last 180 s step accepted
ALTER TABLE users ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,       -- SHA-256 of the cookie's value, hex
    csrf TEXT NOT NULL,
    username TEXT,                  -- set once logged in
    pending_username TEXT,          -- password accepted, OTP not yet
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE systems (
    code TEXT PRIMARY KEY,          -- e.g. 01010101
    name TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT ''
);

CREATE TABLE permissions (
    username TEXT NOT NULL,
    system_code TEXT NOT NULL,
    PRIMARY KEY (username, system_code)
);

CREATE TABLE permission_requests (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    system_code TEXT NOT NULL,
    action TEXT NOT NULL,           -- grant | revoke
    reason TEXT NOT NULL,
    status TEXT NOT NULL,           -- pending | approved | rejected
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    method TEXT NOT NULL,           -- card | password | otp | logout
    outcome TEXT NOT NULL,          -- OK or the reason code
    username TEXT,
    citizen_id TEXT,                -- masked: 1-1037-xxxxx-xx-8
    agent_id TEXT,
    remote TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,           -- user:NAME or addr:IP
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);
