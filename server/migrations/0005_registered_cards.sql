-- Registered cards (SPEC §7): keyed hashes (HMAC-SHA256 under the server's card key) of
-- the account's card serial and laser ID, never the numbers; the cards an account
-- registered before (blocked: refused as CARD_BLOCKED); what a browser session logged in
-- with (only a password + OTP session may register a card); what a nonce and a ticket are
-- for (a login, or registering the card on /me); and the card each audit row is about.
ALTER TABLE users ADD COLUMN card_serial_hash TEXT;
ALTER TABLE users ADD COLUMN card_laser_hash TEXT;          -- NULL: no laser ID registered
ALTER TABLE users ADD COLUMN card_serial_masked TEXT;       -- xxxxxxxxxx5678, for /me
ALTER TABLE users ADD COLUMN card_registered_at BIGINT;

CREATE TABLE blocked_cards (
    username TEXT NOT NULL,
    serial_hash TEXT NOT NULL,
    serial_masked TEXT NOT NULL,
    blocked_at BIGINT NOT NULL,
    PRIMARY KEY (username, serial_hash)
);

ALTER TABLE sessions ADD COLUMN amr TEXT;                   -- card | pwd otp
ALTER TABLE nonces ADD COLUMN purpose TEXT NOT NULL DEFAULT 'login';   -- login | register
ALTER TABLE tickets ADD COLUMN purpose TEXT NOT NULL DEFAULT 'login';
ALTER TABLE audit_log ADD COLUMN card TEXT;                 -- masked serial
ALTER TABLE audit_log ADD COLUMN card_ref TEXT;             -- 64 bits of the serial's hash
