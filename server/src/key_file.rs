//! The server's secret key files (the OTP key, the card key): 32 random bytes in a file
//! readable by the server alone (0600), made at first use; every server on one database
//! needs the same files.

use crate::random_bytes;
use std::io::Write;
use std::path::Path;

pub const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    #[error("cannot create the {what} {path}: {source}")]
    Create {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read the {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid {what}: it must hold 32 bytes")]
    WrongLength { what: &'static str, path: String },
}

/// The 32 bytes in `path`, made there (mode 0600) if there is no file yet. `what` names
/// the key in errors ("OTP key", "card key").
pub fn load_or_create(path: &Path, what: &'static str) -> Result<[u8; KEY_LEN], KeyFileError> {
    let shown = || path.display().to_string();
    let create = |source| KeyFileError::Create {
        what,
        path: shown(),
        source,
    };
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(create)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => file
                .write_all(&random_bytes::<KEY_LEN>())
                .and_then(|()| file.sync_all())
                .map_err(create)?,
            // Another server made it first: use theirs.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(create(error)),
        }
    }
    let bytes = std::fs::read(path).map_err(|source| KeyFileError::Read {
        what,
        path: shown(),
        source,
    })?;
    bytes.try_into().map_err(|_| KeyFileError::WrongLength {
        what,
        path: shown(),
    })
}
