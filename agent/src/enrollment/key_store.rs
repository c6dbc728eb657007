//! The agent's key at rest, `agent.key` in the state dir:
//! - Unix: the PKCS#8, in a file only the agent's user can read (0600).
//! - Windows, a developer's agent: the PKCS#8 sealed by DPAPI for the current user.
//! - Windows, the machine service: `thaiid-agent cng <provider>` naming the CNG machine
//!   key, or `thaiid-agent dpapi-machine` and the PKCS#8 sealed by DPAPI for the machine
//!   (where CNG cannot make the key: Wine), inside the state dir's ACL.

use super::EnrollError;
use std::path::Path;

const KEY_FILE: &str = "agent.key";
#[cfg(windows)]
const CNG_TAG: &[u8] = b"thaiid-agent cng ";
#[cfg(windows)]
const MACHINE_TAG: &[u8] = b"thaiid-agent dpapi-machine\n";

#[cfg(not(windows))]
pub const USER_PROTECTION: &str = "software key in a file only the agent's user can read (0600)";
#[cfg(windows)]
pub const USER_PROTECTION: &str = "software key sealed by DPAPI for this Windows user";
#[cfg(not(windows))]
pub const MACHINE_PROTECTION: &str = USER_PROTECTION;
#[cfg(windows)]
pub const MACHINE_PROTECTION: &str =
    "software key (DPAPI, machine scope) in the state dir, protected by its ACL only; no TPM, no CNG";

/// What `agent.key` holds.
pub enum Stored {
    UserFile(Vec<u8>),
    /// The machine service's ring key (Unix: the same 0600 file as `UserFile`).
    MachineSealed(Vec<u8>),
    #[cfg(windows)]
    Cng(crate::win::cng::Provider),
}

pub fn save(data_dir: &Path, stored: &Stored) -> Result<(), EnrollError> {
    let path = data_dir.join(KEY_FILE);
    let bytes = platform::encode(stored).map_err(|source| EnrollError::Store {
        path: path.clone(),
        source,
    })?;
    crate::fs::write_private(&path, &bytes).map_err(|source| EnrollError::Store { path, source })
}

pub fn load(data_dir: &Path) -> Result<Stored, EnrollError> {
    let path = data_dir.join(KEY_FILE);
    let bytes = std::fs::read(&path).map_err(|source| EnrollError::Store {
        path: path.clone(),
        source,
    })?;
    platform::decode(&bytes).map_err(|error| EnrollError::Damaged {
        path,
        problem: error.to_string(),
    })
}

#[cfg(not(windows))]
mod platform {
    use super::Stored;

    /// The file's 0600 mode is the protection.
    pub fn encode(stored: &Stored) -> std::io::Result<Vec<u8>> {
        match stored {
            Stored::UserFile(key) | Stored::MachineSealed(key) => Ok(key.clone()),
        }
    }

    pub fn decode(bytes: &[u8]) -> std::io::Result<Stored> {
        Ok(Stored::UserFile(bytes.to_vec()))
    }
}

#[cfg(windows)]
mod platform {
    use super::{Stored, CNG_TAG, MACHINE_TAG};
    use crate::win::cng::Provider;
    use crate::win::dpapi::{seal, unseal, Scope};

    pub fn encode(stored: &Stored) -> std::io::Result<Vec<u8>> {
        Ok(match stored {
            Stored::UserFile(key) => seal(key, Scope::User)?,
            Stored::MachineSealed(key) => [MACHINE_TAG, &seal(key, Scope::Machine)?].concat(),
            Stored::Cng(provider) => [CNG_TAG, provider.tag().as_bytes(), b"\n"].concat(),
        })
    }

    pub fn decode(bytes: &[u8]) -> std::io::Result<Stored> {
        if let Some(tag) = bytes.strip_prefix(CNG_TAG) {
            let tag = String::from_utf8_lossy(tag);
            return Provider::from_tag(tag.trim())
                .map(Stored::Cng)
                .ok_or_else(|| std::io::Error::other(format!("unknown key provider {tag:?}")));
        }
        if let Some(sealed) = bytes.strip_prefix(MACHINE_TAG) {
            return Ok(Stored::MachineSealed(unseal(sealed)?));
        }
        Ok(Stored::UserFile(unseal(bytes)?))
    }
}
