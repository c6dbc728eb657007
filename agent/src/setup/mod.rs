//! The localhost certificate (SPEC §5): a per-install CA, name-constrained to
//! localhost, 127.0.0.1 and ::1, signs the leaf the agent serves and is then dropped
//! without touching disk; the CA certificate goes into the trust stores browsers use.

mod authority;
mod trust;

pub use trust::{TrustOutcome, TrustStore};

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

const CA_FILE: &str = "ca.pem";
const CHAIN_FILE: &str = "localhost.pem";
const KEY_FILE: &str = "localhost.key";
const META_FILE: &str = "localhost.json";
/// A leaf this close to its end is replaced, with a new CA (the old CA key is gone).
const RENEW_BEFORE_SECS: u64 = 30 * 86_400;

/// What the HTTPS server presents, and the CA the browsers must trust.
#[derive(Clone, Debug)]
pub struct LocalTls {
    pub cert_chain_pem: String,
    pub key_pem: String,
    pub ca_pem: String,
    /// Names the CA in the trust stores; unique per CA.
    pub nickname: String,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    #[error("cannot make the localhost certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot store the localhost certificate in {path}: {source}")]
    Files {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the browsers' trust stores were not all updated: {0}")]
    Trust(String),
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    not_after: u64,
    nickname: String,
}

/// The certificate to serve, made (and trusted) at first start or when it nears its end.
pub fn ensure(data_dir: &Path) -> Result<(LocalTls, Vec<TrustOutcome>), SetupError> {
    let tls = match load(data_dir) {
        Some(tls) => tls,
        None => {
            // The old CA, if any, is useless now: take it out of the stores first.
            trust::remove_all();
            create(data_dir)?
        }
    };
    let outcomes = trust::add(&tls);
    Ok((tls, outcomes))
}

/// Takes our CAs out of every store and deletes the files.
pub fn uninstall(data_dir: &Path) -> Vec<TrustOutcome> {
    let outcomes = trust::remove_all();
    for file in [CA_FILE, CHAIN_FILE, KEY_FILE, META_FILE] {
        let _ = std::fs::remove_file(data_dir.join(file));
    }
    outcomes
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn load(data_dir: &Path) -> Option<LocalTls> {
    let read = |name| std::fs::read_to_string(data_dir.join(name)).ok();
    let meta: Meta = serde_json::from_str(&read(META_FILE)?).ok()?;
    if meta.not_after < now() + RENEW_BEFORE_SECS {
        return None;
    }
    Some(LocalTls {
        cert_chain_pem: read(CHAIN_FILE)?,
        key_pem: read(KEY_FILE)?,
        ca_pem: read(CA_FILE)?,
        nickname: meta.nickname,
    })
}

fn create(data_dir: &Path) -> Result<LocalTls, SetupError> {
    let made = authority::issue(now())?;
    let tls = LocalTls {
        cert_chain_pem: format!("{}{}", made.leaf_pem, made.ca_pem),
        key_pem: made.leaf_key_pem,
        ca_pem: made.ca_pem,
        nickname: made.nickname.clone(),
    };
    let meta = Meta {
        not_after: made.not_after,
        nickname: made.nickname,
    };
    let write = |name: &str, bytes: &[u8]| {
        let path = data_dir.join(name);
        crate::fs::write_private(&path, bytes).map_err(|source| SetupError::Files { path, source })
    };
    write(KEY_FILE, tls.key_pem.as_bytes())?;
    write(CHAIN_FILE, tls.cert_chain_pem.as_bytes())?;
    write(CA_FILE, tls.ca_pem.as_bytes())?;
    write(META_FILE, &serde_json::to_vec(&meta).expect("plain struct"))?;
    Ok(tls)
}

pub fn ca_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CA_FILE)
}

#[cfg(test)]
mod tests;
