-- Forgot password (SPEC §7a). A helpdesk reset code stands in for the card: one use,
-- 15 minutes, bound to its account, stored as its SHA-256 (the code itself is shown once,
-- by `thaiid-server user reset-code`). A browser session's way through /forgot, kept
-- server side and short-lived: the account it names, then what it has proven.
CREATE TABLE reset_codes (
    code_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX reset_codes_username ON reset_codes (username);

CREATE TABLE password_resets (
    session_hash TEXT PRIMARY KEY,  -- the browser session on /forgot
    username TEXT NOT NULL,         -- as typed: an account's name, or nobody's
    stage TEXT NOT NULL,            -- named | proven (the OTP next) | ready (the new password)
    proof TEXT,                     -- card | code, once proven
    expires_at BIGINT NOT NULL
);
