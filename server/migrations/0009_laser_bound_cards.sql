-- Laser-bound registration (SPEC §7 "Registered cards"): a card with the laser applet is
-- registered with its laser ID; one registered without it is a first factor only, and the
-- OTP follows its every card login. Why a registered card has no laser ID: IT said the card
-- has no laser applet (`user card --no-laser-applet`), or it was registered by its serial
-- alone before this change (legacy: its holder is asked on /me to insert it again, and
-- `audit --alerts` lists who is left). What a card login's ticket gives (the card alone, or
-- a first factor the OTP must follow) and why a registration on /me was refused after the
-- card was read. Which first factor a session waiting for its OTP holds.
ALTER TABLE users ADD COLUMN card_without_laser TEXT;       -- NULL | no-applet | legacy

UPDATE users SET card_without_laser = 'legacy'
    WHERE card_serial_hash IS NOT NULL AND card_laser_hash IS NULL;

ALTER TABLE tickets ADD COLUMN factor TEXT NOT NULL DEFAULT 'card';   -- card | card-first
ALTER TABLE tickets ADD COLUMN refusal TEXT;                -- LASER_ID_MISSING
ALTER TABLE sessions ADD COLUMN pending_factor TEXT;        -- pwd | card (NULL: pwd)
