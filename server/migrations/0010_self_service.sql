-- Self-service and assurance levels (SPEC §7, §7a). The step of each account's OTP app:
-- 180 s (the administration's app) or 30 s (the common authenticator apps, which ignore
-- the URI's period); `totp_last_step` counts in that step. The level of sign-in each
-- system needs. The person's own account name in a system, carried by a permission.
ALTER TABLE users ADD COLUMN totp_step BIGINT NOT NULL DEFAULT 180;   -- 180 | 30
ALTER TABLE systems ADD COLUMN required_level TEXT NOT NULL DEFAULT 'one-factor';  -- | two-factor
ALTER TABLE permissions ADD COLUMN account_name TEXT;                 -- NULL: the SSO's username
