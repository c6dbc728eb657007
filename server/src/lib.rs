//! `thaiid-server`: the reference central card-login server (SPEC §7). Storage is SQLite
//! by default and PostgreSQL by URL, through one portable schema.
//!
//! The modules depend in one direction, each on those before it only:
//!
//! 1. `thaiid_protocol`: the wire types, the reason codes ([`ServerErrorCode`]), the
//!    assertion's checks.
//! 2. The domain, which knows nothing of HTTP: [`db`], [`text`], [`amr`], [`key_file`],
//!    [`card_key`], [`otp_key`], [`passwords`], [`otp`], [`otp_setup`], [`audit`],
//!    [`audit_search`], [`audit_export`], [`thai_clock`], [`alerts`], [`sessions`],
//!    [`users`], [`systems`], [`cards`], [`challenges`], [`tickets`], [`tokens`],
//!    [`api_keys`], [`agents`], [`throttle`], [`sweep`], [`demo`], [`reset_codes`],
//!    [`password_resets`], [`people`], [`roles`], [`import`], [`metrics`], [`readiness`],
//!    [`logs`]. Each
//!    answers a typed error (a `thiserror` enum with `Db(sqlx::Error)`, or `sqlx::Error`
//!    alone where the database is all that can fail) and refusals with their
//!    [`ServerErrorCode`].
//! 3. [`http`]: state, errors (statuses live here), extractors, the API's handlers, the
//!    listener with its timeouts.
//! 4. [`page`]: what a page answers ([`page::Reply`]) and the frame it is drawn in
//!    ([`page::html`]); [`signin`]: logging a browser session in and going back to the
//!    request that waited for it (an authorization request, a console page).
//! 5. [`web`]: the pages, on `http`'s extractors and errors; [`oidc`]: the OpenID
//!    Connect provider, its pages and endpoints, with the stores it alone uses (clients,
//!    codes, subjects, signing keys). Side by side: `web`'s console uses `oidc`'s stores,
//!    `oidc` names nothing of `web`.
//! 6. [`app`]: the router of both; [`cli`] and [`commands`]: the admin command line.
//!
//! No file names, through others, a file that names it (`tests/layers.rs` checks every
//! crate of the workspace): what two modules both need lives in a module below both.
//!
//! [`ServerErrorCode`]: thaiid_protocol::api::ServerErrorCode

pub mod agents;
pub mod alerts;
pub mod amr;
pub mod api_keys;
pub mod app;
pub mod audit;
pub mod audit_export;
pub mod audit_search;
pub mod card_key;
pub mod card_login;
pub mod cards;
pub mod challenges;
pub mod cli;
pub mod commands;
pub mod db;
pub mod demo;
pub mod http;
pub mod import;
pub mod key_file;
pub mod logs;
pub mod metrics;
pub mod oidc;
pub mod otp;
pub mod otp_check;
pub mod otp_key;
pub mod otp_setup;
pub mod page;
pub mod password_resets;
pub mod password_rules;
pub mod passwords;
pub mod people;
pub mod readiness;
pub mod reset_codes;
pub mod roles;
pub mod sessions;
pub mod signin;
pub mod sweep;
pub mod systems;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod text;
pub mod thai_clock;
pub mod throttle;
pub mod tickets;
pub mod tokens;
pub mod users;
pub mod web;

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds now; handlers take it as an argument so tests can move time.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `N` bytes from the system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the system's random source works");
    bytes
}

/// 128 random bits, base64url: ids, tokens, tickets.
pub fn random_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// SHA-256 of a secret, hex: how tokens, keys and session ids are stored, so that
/// reading the database does not give them away.
pub fn sha256_hex(secret: &str) -> String {
    thaiid_protocol::hex::lower(
        ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref(),
    )
}

/// Compares two secrets (OTP codes, CSRF tokens) in time that does not depend on where
/// they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}
