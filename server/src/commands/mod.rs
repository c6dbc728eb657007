//! The admin commands, one module per group of `thaiid-server`'s command line. What
//! they print from the database (names, hostnames, reasons, audit rows) goes through
//! [`crate::text::printable`]: one value, one line.

pub mod agent;
pub mod apikey;
pub mod audit;
pub mod demo;
pub mod oidc;
pub mod permission;
pub mod role;
pub mod serve;
pub mod system;
pub mod token;
pub mod user;
pub mod user_import;

use crate::card_key::CardKey;
use crate::cli::{Cli, Command, OidcCommand, TokenCommand};
use crate::db;
use crate::otp_key::{OtpKey, OtpKeyError};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

/// What a command answers: its error is printed as it is, after `thaiid-server: `.
pub type Outcome = Result<(), Box<dyn std::error::Error>>;

pub async fn run(cli: Cli) -> Outcome {
    let pool = db::open(&database_url()).await?;
    let now = crate::now();
    match cli.command {
        Command::Serve(args) => serve::run(pool, args).await,
        Command::Token {
            command: TokenCommand::Create { uses, ttl },
        } => token::create(&pool, uses, ttl, now).await,
        Command::User { command } => user::run(&pool, command, now).await,
        Command::System { command } => system::run(&pool, command, now).await,
        Command::Permission { command } => permission::run(&pool, command, now).await,
        Command::Apikey { command } => apikey::run(&pool, command, now).await,
        Command::Oidc {
            command: OidcCommand::RotateKey,
        } => oidc::rotate_key(now),
        Command::Agent { command } => agent::run(&pool, command, now).await,
        Command::Demo { command } => demo::run(&pool, command, now).await,
        Command::Role { command } => role::run(&pool, command, now).await,
        Command::Audit(args) => audit::run(&pool, args, now).await,
    }
}

fn data_dir() -> PathBuf {
    let dir = directories::ProjectDirs::from("", "", "thaiid-server")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| ".".into());
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite:{}", data_dir().join("thaiid-server.db").display()))
}

/// The key OTP secrets are sealed with: `THAIID_SERVER_OTP_KEY_FILE`, by default `otp.key`
/// in the data dir, made at first use.
fn otp_key() -> Result<OtpKey, OtpKeyError> {
    let path = std::env::var_os("THAIID_SERVER_OTP_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir().join("otp.key"));
    OtpKey::load_or_create(&path)
}

/// The key registered cards are hashed with: `THAIID_SERVER_CARD_KEY_FILE`, by default
/// `card.key` in the data dir, made at first use.
fn card_key() -> Result<CardKey, crate::key_file::KeyFileError> {
    let path = std::env::var_os("THAIID_SERVER_CARD_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir().join("card.key"));
    CardKey::load_or_create(&path)
}

/// The OpenID Connect signing keys: `THAIID_SERVER_OIDC_KEY_FILE`, by default
/// `oidc-keys.json` in the data dir, made at first start.
fn oidc_key_file() -> PathBuf {
    std::env::var_os("THAIID_SERVER_OIDC_KEY_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| data_dir().join("oidc-keys.json"))
}

/// The first line of stdin, without its line end.
fn password_from_stdin() -> Result<String, std::io::Error> {
    if std::io::stdin().is_terminal() {
        eprint!("password (shown as typed; empty for card login only): ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
