//! The certificate files in the data dir: written whole (temporary file and rename; the
//! key 0600 in a 0700 dir), and taken back only if they still make a chain a browser
//! will accept for the next 30 days. Anything less is a reason to start over.

use super::anchor::{self, RefusedCa};
use super::{LocalTls, SetupError};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, RootCertStore};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

pub const CA_FILE: &str = "ca.pem";
pub const CHAIN_FILE: &str = "localhost.pem";
pub const KEY_FILE: &str = "localhost.key";
/// What earlier versions left: a metadata file, and the temporary files of
/// `crate::fs::write_private` if it was interrupted.
const LEFTOVERS: [&str; 3] = ["localhost.json", "ca.tmp", "localhost.tmp"];
/// A leaf this close to its end is replaced (with a new CA: the old CA key is gone).
pub const RENEW_BEFORE: Duration = Duration::days(30);

/// Why the files on disk cannot be used: a new CA is made, unless they were [`Stale::Refused`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Stale {
    #[error("first setup")]
    NotMade,
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{file} is unreadable ({reason})")]
    Unreadable { file: &'static str, reason: String },
    #[error("the certificate has less than 30 days left")]
    Expiring,
    #[error("the certificate does not verify ({0})")]
    Invalid(String),
    /// Not stale but planted: never replaced silently, never trusted (SPEC §10).
    #[error("{CA_FILE} is not a CA of this agent: {0}")]
    Refused(RefusedCa),
}

pub fn path(data_dir: &Path, file: &str) -> PathBuf {
    data_dir.join(file)
}

/// The files as a [`LocalTls`], if they are whole, match and stay valid past `now` + 30 days.
pub fn load(data_dir: &Path, now: OffsetDateTime) -> Result<LocalTls, Stale> {
    let read = |file: &'static str| match std::fs::read_to_string(path(data_dir, file)) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(Stale::Unreadable {
            file,
            reason: error.to_string(),
        }),
    };
    let (ca_pem, chain_pem, key_pem) = match (read(CA_FILE)?, read(CHAIN_FILE)?, read(KEY_FILE)?) {
        (None, None, None) => return Err(Stale::NotMade),
        (Some(ca), Some(chain), Some(key)) => (ca, chain, key),
        (None, ..) => return Err(Stale::Missing(CA_FILE)),
        (_, None, _) => return Err(Stale::Missing(CHAIN_FILE)),
        (.., None) => return Err(Stale::Missing(KEY_FILE)),
    };
    let ca_name = check(&ca_pem, &chain_pem, &key_pem, now)?;
    Ok(LocalTls {
        cert_chain_pem: chain_pem,
        key_pem,
        ca_pem,
        ca_name,
    })
}

/// Checks what a browser and the agent's TLS stack will check; gives the CA's name.
fn check(
    ca_pem: &str,
    chain_pem: &str,
    key_pem: &str,
    now: OffsetDateTime,
) -> Result<String, Stale> {
    let ca = certificates(ca_pem).map_err(|e| unreadable(CA_FILE, e))?;
    let chain = certificates(chain_pem).map_err(|e| unreadable(CHAIN_FILE, e))?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| unreadable(KEY_FILE, e))?;
    let [ca] = <[_; 1]>::try_from(ca).map_err(|certs| {
        unreadable(
            CA_FILE,
            format!("{} certificates instead of one", certs.len()),
        )
    })?;
    let [leaf, chained_ca] = <[_; 2]>::try_from(chain).map_err(|certs| {
        unreadable(
            CHAIN_FILE,
            format!("{} certificates instead of two", certs.len()),
        )
    })?;
    if chained_ca != ca {
        return Err(Stale::Invalid(format!(
            "{CHAIN_FILE} ends with another CA than {CA_FILE}"
        )));
    }

    let mut roots = RootCertStore::empty();
    roots.add(ca).map_err(|e| unreadable(CA_FILE, e))?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| Stale::Invalid(e.to_string()))?;
    let names: [ServerName; 3] = [
        ServerName::try_from("localhost").expect("valid DNS name"),
        Ipv4Addr::LOCALHOST.into(),
        Ipv6Addr::LOCALHOST.into(),
    ];
    for at in [now, now + RENEW_BEFORE] {
        let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            u64::try_from(at.unix_timestamp()).unwrap_or(0),
        ));
        for name in &names {
            verifier
                .verify_server_cert(&leaf, &[], name, &[], at)
                .map_err(|error| match error {
                    rustls::Error::InvalidCertificate(
                        CertificateError::Expired | CertificateError::ExpiredContext { .. },
                    ) => Stale::Expiring,
                    other => Stale::Invalid(other.to_string()),
                })?;
        }
    }

    let key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| unreadable(KEY_FILE, e))?;
    rustls::sign::CertifiedKey::new(vec![leaf], key)
        .keys_match()
        .map_err(|_| Stale::Invalid(format!("{KEY_FILE} is not the certificate's key")))?;
    // Last: files that do not work are only damaged and made anew, but a working set
    // under a CA that is not this agent's kind was put there, and is refused.
    anchor::check(ca_pem.as_bytes()).map_err(Stale::Refused)
}

fn unreadable(file: &'static str, error: impl std::fmt::Display) -> Stale {
    Stale::Unreadable {
        file,
        reason: error.to_string(),
    }
}

fn certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, rustls::pki_types::pem::Error> {
    CertificateDer::pem_slice_iter(pem.as_bytes()).collect()
}

/// Writes the three files; the key first, so that a crash leaves no chain without it.
pub fn write(data_dir: &Path, tls: &LocalTls) -> Result<(), SetupError> {
    for (file, text) in [
        (KEY_FILE, &tls.key_pem),
        (CHAIN_FILE, &tls.cert_chain_pem),
        (CA_FILE, &tls.ca_pem),
    ] {
        let path = path(data_dir, file);
        crate::fs::write_private(&path, text.as_bytes())
            .map_err(|source| SetupError::Files { path, source })?;
    }
    remove_leftovers(data_dir)
}

/// Deletes every file `setup` made; files already gone are fine.
pub fn remove(data_dir: &Path) -> Result<(), SetupError> {
    for file in [KEY_FILE, CHAIN_FILE, CA_FILE] {
        remove_file(&path(data_dir, file))?;
    }
    remove_leftovers(data_dir)
}

fn remove_leftovers(data_dir: &Path) -> Result<(), SetupError> {
    LEFTOVERS
        .iter()
        .try_for_each(|file| remove_file(&path(data_dir, file)))
}

fn remove_file(path: &Path) -> Result<(), SetupError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(SetupError::Files {
            path: path.to_owned(),
            source: error,
        }),
        _ => Ok(()),
    }
}

/// Held while one process makes, trusts or removes the certificate: an agent starting
/// while `setup` runs must not make a second CA and take the first one out of the stores.
pub struct DirLock {
    _held: std::fs::File,
}

impl DirLock {
    /// Creates the data dir (0700) and locks it, waiting for another holder to finish.
    pub fn acquire(data_dir: &Path) -> Result<DirLock, SetupError> {
        let failed = |source| SetupError::Files {
            path: data_dir.to_owned(),
            source,
        };
        crate::fs::private_dir(data_dir).map_err(failed)?;
        lock(data_dir)
            .map(|held| DirLock { _held: held })
            .map_err(failed)
    }
}

#[cfg(unix)]
fn lock(data_dir: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::io::AsRawFd;
    let dir = std::fs::File::open(data_dir)?;
    // SAFETY: flock on a descriptor we own; the lock goes with it when it is closed.
    match unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX) } {
        0 => Ok(dir),
        _ => Err(std::io::Error::last_os_error()),
    }
}

/// Windows: a lock file nobody else may open, deleted when it is closed.
#[cfg(windows)]
fn lock(data_dir: &Path) -> std::io::Result<std::fs::File> {
    use std::os::windows::fs::OpenOptionsExt;
    const FILE_FLAG_DELETE_ON_CLOSE: u32 = 0x0400_0000;
    const ERROR_SHARING_VIOLATION: i32 = 32;
    let started = std::time::Instant::now();
    loop {
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .share_mode(0)
            .custom_flags(FILE_FLAG_DELETE_ON_CLOSE)
            .open(data_dir.join("setup.lock"));
        match opened {
            Err(error)
                if error.raw_os_error() == Some(ERROR_SHARING_VIOLATION)
                    && started.elapsed() < std::time::Duration::from_secs(60) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}
