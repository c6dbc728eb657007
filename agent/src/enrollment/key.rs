//! The workstation key (SPEC §6): made at enrollment, never leaves the workstation.
//! - Linux, and a developer's agent on Windows: a P-256 key in ring, its PKCS#8 in
//!   `agent.key` (0600 on Unix; DPAPI for the user on Windows).
//! - The Windows machine service: a non-exportable CNG machine key (TPM, else the
//!   software KSP; `agent.key` then only names the provider). Where CNG cannot make an
//!   ECDSA P-256 machine key (Wine 8 answers NTE_NOT_SUPPORTED), a ring key sealed with
//!   machine-scope DPAPI in the ACL'd state dir: any process of the machine can unseal
//!   that blob, so the state dir's ACL is then the only protection, and `doctor` says so.

use super::key_store::{self, Stored};
use super::EnrollError;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use std::path::Path;
use thaiid_protocol::assertion::PublicJwk;

/// The agent's signing key.
pub enum WorkstationKey {
    /// A ring key from `agent.key`; says how that file protects it.
    File {
        key: Box<EcdsaKeyPair>,
        protection: &'static str,
    },
    #[cfg(windows)]
    Cng(crate::win::cng::CngKey),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("the key would not sign")]
    Ring,
    #[cfg(windows)]
    #[error("the Windows key store would not sign: {0}")]
    Cng(#[from] crate::win::cng::CngError),
}

impl WorkstationKey {
    /// A new key for `data_dir`, stored there (or in CNG). `machine`: the Windows service's.
    pub fn generate(data_dir: &Path, machine: bool) -> Result<WorkstationKey, EnrollError> {
        #[cfg(windows)]
        if machine {
            use crate::win::cng::CngKey;
            match CngKey::create() {
                Ok(key) => {
                    key_store::save(data_dir, &Stored::Cng(key.provider))?;
                    return Ok(WorkstationKey::Cng(key));
                }
                Err(error) => tracing::warn!(
                    "no CNG machine key ({error}): the key is sealed with DPAPI for the \
                     machine in the state dir, protected by its ACL only"
                ),
            }
        }
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| EnrollError::Crypto("P-256 key generation failed".into()))?;
        let stored = match machine {
            true => Stored::MachineSealed(pkcs8.as_ref().to_vec()),
            false => Stored::UserFile(pkcs8.as_ref().to_vec()),
        };
        key_store::save(data_dir, &stored)?;
        WorkstationKey::from_stored(data_dir, stored)
    }

    /// The key stored in `data_dir` at enrollment.
    pub fn load(data_dir: &Path) -> Result<WorkstationKey, EnrollError> {
        let stored = key_store::load(data_dir)?;
        WorkstationKey::from_stored(data_dir, stored)
    }

    fn from_stored(data_dir: &Path, stored: Stored) -> Result<WorkstationKey, EnrollError> {
        let damaged = |problem: String| EnrollError::Damaged {
            path: data_dir.to_path_buf(),
            problem,
        };
        let (pkcs8, protection) = match stored {
            Stored::UserFile(pkcs8) => (pkcs8, key_store::USER_PROTECTION),
            Stored::MachineSealed(pkcs8) => (pkcs8, key_store::MACHINE_PROTECTION),
            #[cfg(windows)]
            Stored::Cng(provider) => {
                return crate::win::cng::CngKey::open(provider)
                    .map(WorkstationKey::Cng)
                    .map_err(|error| damaged(format!("the CNG key does not open: {error}")));
            }
        };
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|_| damaged("the agent key does not load".into()))?;
        Ok(WorkstationKey::File {
            key: Box::new(key),
            protection,
        })
    }

    pub fn public_jwk(&self) -> Result<PublicJwk, KeyError> {
        match self {
            WorkstationKey::File { key, .. } => {
                // ring gives the uncompressed point: 04 || x || y.
                let point = key.public_key().as_ref();
                let x = point[1..33].try_into().map_err(|_| KeyError::Ring)?;
                let y = point[33..65].try_into().map_err(|_| KeyError::Ring)?;
                Ok(PublicJwk::from_coordinates(x, y))
            }
            #[cfg(windows)]
            WorkstationKey::Cng(key) => {
                let (x, y) = key.public_point()?;
                Ok(PublicJwk::from_coordinates(&x, &y))
            }
        }
    }

    /// ES256 of `message`: r || s.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            WorkstationKey::File { key, .. } => key
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| KeyError::Ring),
            #[cfg(windows)]
            WorkstationKey::Cng(key) => Ok(key.sign(message)?),
        }
    }

    /// Where the key is and what protects it, for `doctor`.
    pub fn describe(&self) -> String {
        match self {
            WorkstationKey::File { protection, .. } => (*protection).to_owned(),
            #[cfg(windows)]
            WorkstationKey::Cng(key) => key.provider.describe().to_owned(),
        }
    }
}
