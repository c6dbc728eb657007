//! The localhost certificate (SPEC §5): a per-install CA, name-constrained to
//! `localhost`, `127.0.0.1` and `::1`, signs the leaf the agent serves and is dropped
//! without touching disk; its certificate goes into the trust stores the user's browsers
//! read. Made at first start (or by `thaiid-agent setup`), replaced with a new CA when
//! the leaf nears its end or the files are damaged, and removed by `setup --uninstall`.
//! The machine service's CA (a state dir, SPEC §10) is trusted machine-wide by the
//! installer (browser policies, the machine's Root store), never in a user's files.

mod anchor;
mod ca;
mod done;
mod files;
#[cfg(not(windows))]
mod nss;
#[cfg(not(windows))]
mod policy;
mod stores;
#[cfg(windows)]
mod windows;

pub use anchor::RefusedCa;
pub use done::Done;
pub use files::Stale;
pub use stores::{TrustOutcome, TrustStore};

use crate::paths::StateDir;
use std::fmt;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// What the HTTPS server presents, and the CA the browsers trust.
#[derive(Clone)]
pub struct LocalTls {
    /// The leaf, then the CA (PEM).
    pub cert_chain_pem: String,
    /// The leaf's key (PKCS#8 PEM). Never logged.
    pub key_pem: String,
    pub ca_pem: String,
    /// The CA's common name, which is also its nickname in the NSS dbs.
    ca_name: String,
}

impl LocalTls {
    /// "ThaiID Login Agent local CA 1A2B3C4D": what the user sees in certificate lists.
    pub fn ca_name(&self) -> &str {
        &self.ca_name
    }
}

impl fmt::Debug for LocalTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalTls")
            .field("ca_name", &self.ca_name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    #[error("cannot make the localhost certificate ({0}): report this to IT")]
    Certificate(#[from] rcgen::Error),
    #[error(
        "cannot store the localhost certificate in {path} ({source}): let the agent's user \
         write there and run `thaiid-agent setup` again"
    )]
    Files {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot find the home directory of this user: set HOME and run `thaiid-agent setup` again"
    )]
    NoHome,
    /// Some stores failed; the command names them and the fix for each.
    #[error("the local CA is not trusted by: {0} (the lines above say how to fix each)")]
    Trust(String),
    #[error("the local CA could not be removed from: {0} (the lines above say how to fix each)")]
    Untrust(String),
    #[error(
        "{path} is refused, nothing trusts it: {reason}. This agent did not make it: find out \
         who put it there, then delete ca.pem, localhost.pem and localhost.key beside it and \
         run `thaiid-agent setup` again"
    )]
    RefusedCa { path: PathBuf, reason: RefusedCa },
    #[error("cannot read {path} ({source})")]
    CheckCa {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What [`install`] did.
#[derive(Debug)]
pub struct Installed {
    pub tls: LocalTls,
    /// Why a new CA was made; `None` when the one on disk was kept.
    pub renewed: Option<Stale>,
    pub trust: Vec<TrustOutcome>,
}

/// The certificate to serve, made at first start (or when it nears its end or is
/// damaged) and trusted where it is not yet. Fast when all is in place: it runs at
/// every start. A store that fails is reported, not fatal: the agent still serves.
pub fn ensure(state: &StateDir) -> Result<(LocalTls, Vec<TrustOutcome>), SetupError> {
    let installed = install(state)?;
    Ok((installed.tls, installed.trust))
}

/// [`ensure`], also saying whether a new CA was made and why.
pub fn install(state: &StateDir) -> Result<Installed, SetupError> {
    install_in(&state.path, stores::of(state)?, OffsetDateTime::now_utc())
}

fn install_in(
    data_dir: &Path,
    stores: Vec<TrustStore>,
    now: OffsetDateTime,
) -> Result<Installed, SetupError> {
    let _lock = files::DirLock::acquire(data_dir)?;
    let refused = |reason| SetupError::RefusedCa {
        path: ca_path(data_dir),
        reason,
    };
    let (tls, renewed) = match files::load(data_dir, now) {
        Ok(tls) => (tls, None),
        Err(Stale::Refused(reason)) => return Err(refused(reason)),
        Err(stale) => {
            let tls = create(now)?;
            files::write(data_dir, &tls)?;
            (tls, Some(stale))
        }
    };
    // No store gets a CA that is not this agent's kind, whatever made it.
    anchor::check(tls.ca_pem.as_bytes()).map_err(refused)?;
    // Syncing also takes out the CAs a renewal replaced.
    let trust = stores.into_iter().map(|store| store.sync(&tls)).collect();
    Ok(Installed {
        tls,
        renewed,
        trust,
    })
}

fn create(now: OffsetDateTime) -> Result<LocalTls, SetupError> {
    let issued = ca::issue(now)?;
    Ok(LocalTls {
        cert_chain_pem: format!("{}{}", issued.leaf_pem, issued.ca_pem),
        key_pem: issued.leaf_key_pem,
        ca_pem: issued.ca_pem,
        ca_name: issued.ca_name,
    })
}

/// Takes every CA of this agent out of every store, then deletes the files (kept when
/// a store failed, so that `setup --uninstall` can be run again after the fix).
pub fn uninstall(state: &StateDir) -> Result<Vec<TrustOutcome>, SetupError> {
    uninstall_in(&state.path, stores::of(state)?)
}

fn uninstall_in(data_dir: &Path, stores: Vec<TrustStore>) -> Result<Vec<TrustOutcome>, SetupError> {
    let _lock = files::DirLock::acquire(data_dir)?;
    let outcomes: Vec<TrustOutcome> = stores.into_iter().map(TrustStore::remove_ours).collect();
    if outcomes.iter().all(|outcome| outcome.result.is_ok()) {
        files::remove(data_dir)?;
    }
    Ok(outcomes)
}

/// For `doctor`: the CA's name if the certificate on disk is usable, else why not.
pub fn certificate_status(data_dir: &Path) -> Result<String, Stale> {
    files::load(data_dir, OffsetDateTime::now_utc()).map(|tls| tls.ca_name)
}

/// For `doctor`: each store, and whether it trusts the CA on disk (false when there is
/// none, or the store cannot be read).
pub fn trust_status(state: &StateDir) -> Vec<(String, bool)> {
    let stores = stores::trusting(state);
    status_in(&state.path, &stores, OffsetDateTime::now_utc())
}

fn status_in(data_dir: &Path, stores: &[TrustStore], now: OffsetDateTime) -> Vec<(String, bool)> {
    let tls = files::load(data_dir, now).ok();
    stores
        .iter()
        .map(|store| {
            let trusted = tls
                .as_ref()
                .is_some_and(|tls| store.trusts(tls).unwrap_or(false));
            (store.description.clone(), trusted)
        })
        .collect()
}

/// `setup --check-ca FILE`: the CA's name when FILE holds a CA of this agent and nothing
/// else (what the .deb's postinst asks before its policies trust the state dir's CA).
pub fn check_ca_file(path: &Path) -> Result<String, SetupError> {
    // A CA certificate is under 1 KiB: a larger file is not one, and is not read whole.
    const LIMIT: usize = 64 * 1024;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| {
            std::io::Read::read_to_end(&mut std::io::Read::take(file, LIMIT as u64 + 1), &mut bytes)
        })
        .map_err(|source| SetupError::CheckCa {
            path: path.to_owned(),
            source,
        })?;
    let checked = match bytes.len() > LIMIT {
        true => Err(RefusedCa::NotPem("larger than 64 KiB".into())),
        false => anchor::check(&bytes),
    };
    checked.map_err(|reason| SetupError::RefusedCa {
        path: path.to_owned(),
        reason,
    })
}

/// Where the CA certificate is, for people who add it by hand.
pub fn ca_path(data_dir: &Path) -> PathBuf {
    files::path(data_dir, files::CA_FILE)
}

#[cfg(test)]
mod tests;
