//! The server tests' support: the shared test support of the server's `test-support`
//! feature, the admin command line as IT runs it, a browser for the pages, and the
//! OpenID Connect tests' clients, requests and token checks.
#![allow(dead_code, unused_imports)]

pub use thaiid_server::test_support::*;

pub mod browser;
pub mod console;
pub mod hr_export;
pub mod oidc;
pub mod self_service;

/// `thaiid-server ARGS` as IT runs it, on the database `url` with its key files in `dir`:
/// the exit code, stdout and stderr.
pub fn admin(url: &str, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_thaiid-server"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("THAIID_SERVER_CARD_KEY_FILE", dir.join("card.key"))
        .env("THAIID_SERVER_OTP_KEY_FILE", dir.join("otp.key"))
        .env("THAIID_SERVER_OIDC_KEY_FILE", dir.join("oidc-keys.json"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
