-- OTP setup on /me/otp (SPEC §7a): the new secret a browser session shows as a QR code,
-- sealed with the server's OTP key as users.totp_secret is. It is not the account's OTP
-- until a code from the app confirms it; then it moves to users and leaves the session.
ALTER TABLE sessions ADD COLUMN otp_setup_secret TEXT;
