//! The provider's ID-token signing keys: one current key per algorithm offered (ES256 and
//! RS256, see [`super::alg`]) in one JSON file readable by the server alone (0600), made at
//! first start like the OTP key; every server on one database needs the same file.
//! `thaiid-server oidc rotate-key` makes a new current key of each algorithm and retires
//! the old ones, which stay published in the JWKS until the ID tokens they signed have
//! expired. A running server sees a rotation at its next use of the keys (it re-reads the
//! file when the file changed).
//!
//! A file written before RS256 was offered holds ES256 keys without an `alg`: they are
//! read as ES256, and the server adds the RS256 key it lacks at start.

use super::alg::SigningAlg;
use super::signing_key::{self, SigningKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How long a retired key stays published: past the life of the last ID token it signed,
/// with room for clocks that differ.
pub const RETIRED_KEPT_SECS: i64 = super::ID_TOKEN_TTL_SECS + 300;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeysError {
    #[error("cannot read the OIDC signing keys {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the OIDC signing keys {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid OIDC key file ({why}): restore it from a backup, or move it away to start with a new key")]
    Damaged { path: String, why: KeyFileProblem },
}

/// What is wrong with a key file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileProblem {
    #[error("not the key file's JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("key {0} is not base64url")]
    NotBase64(String),
    #[error("key {0} is not a P-256 PKCS#8 key")]
    NotP256(String),
    #[error("key {0} is not an RSA PKCS#8 key of 2048 to 8192 bits")]
    NotRsa(String),
    #[error("no current key")]
    NoCurrentKey,
    #[error("no current {0} key")]
    NoCurrentKeyFor(SigningAlg),
}

#[derive(Serialize, Deserialize, Clone)]
struct KeyFile {
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize, Clone)]
struct StoredKey {
    kid: String,
    /// Absent in files written before RS256 was offered: ES256.
    #[serde(default)]
    alg: SigningAlg,
    /// PKCS#8 of the key pair (P-256 or RSA), base64url.
    pkcs8: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl StoredKey {
    fn generate(alg: SigningAlg, now: i64) -> StoredKey {
        StoredKey {
            kid: crate::random_id(),
            alg,
            pkcs8: B64.encode(signing_key::generate_pkcs8(alg)),
            created_at: now,
            retired_at: None,
        }
    }

    /// A new current key of each algorithm.
    fn generate_all(now: i64) -> Vec<StoredKey> {
        SigningAlg::ALL
            .into_iter()
            .map(|alg| StoredKey::generate(alg, now))
            .collect()
    }

    fn published(&self, now: i64) -> bool {
        published(self.retired_at, now)
    }
}

/// Whether a key retired at `retired_at` (never: `None`) is still published at `now`.
fn published(retired_at: Option<i64>, now: i64) -> bool {
    retired_at.is_none_or(|retired| retired + RETIRED_KEPT_SECS > now)
}

struct LoadedKey {
    kid: String,
    pair: SigningKey,
    retired_at: Option<i64>,
}

struct KeySet {
    keys: Vec<LoadedKey>,
}

impl KeySet {
    fn parse(file: &KeyFile) -> Result<KeySet, KeyFileProblem> {
        let keys = file
            .keys
            .iter()
            .map(|stored| {
                let pkcs8 = B64
                    .decode(&stored.pkcs8)
                    .map_err(|_| KeyFileProblem::NotBase64(stored.kid.clone()))?;
                let pair = SigningKey::from_pkcs8(stored.alg, &pkcs8).map_err(|_| {
                    let kid = stored.kid.clone();
                    match stored.alg {
                        SigningAlg::Es256 => KeyFileProblem::NotP256(kid),
                        SigningAlg::Rs256 => KeyFileProblem::NotRsa(kid),
                    }
                })?;
                Ok(LoadedKey {
                    kid: stored.kid.clone(),
                    pair,
                    retired_at: stored.retired_at,
                })
            })
            .collect::<Result<Vec<_>, KeyFileProblem>>()?;
        if !keys.iter().any(|key| key.retired_at.is_none()) {
            return Err(KeyFileProblem::NoCurrentKey);
        }
        if let Some(alg) = missing_current(&file.keys) {
            return Err(KeyFileProblem::NoCurrentKeyFor(alg));
        }
        Ok(KeySet { keys })
    }

    /// The newest current key of `alg`.
    fn current(&self, alg: SigningAlg) -> &LoadedKey {
        self.keys
            .iter()
            .rev()
            .find(|key| key.retired_at.is_none() && key.pair.alg() == alg)
            .expect("parse checked there is a current key of each algorithm")
    }
}

/// The signing keys, from their file (or, in tests, made in memory).
#[derive(Clone)]
pub struct SigningKeys {
    inner: Arc<Inner>,
}

struct Inner {
    path: Option<PathBuf>,
    /// The file's modification time when it was read, and what it held.
    cache: Mutex<(Option<SystemTime>, Arc<KeySet>)>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeys(…)")
    }
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn read_file(path: &Path) -> Result<KeyFile, KeysError> {
    let bytes = std::fs::read(path).map_err(|source| KeysError::Read {
        path: shown(path),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|error| KeysError::Damaged {
        path: shown(path),
        why: error.into(),
    })
}

/// Writes `file` to `path` at once (a temporary file renamed over it), mode 0600.
fn write_file(path: &Path, file: &KeyFile) -> Result<(), KeysError> {
    let failed = |source| KeysError::Write {
        path: shown(path),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let json = serde_json::to_vec_pretty(file).expect("the key file serializes");
    options
        .open(&temporary)
        .and_then(|mut out| out.write_all(&json).and_then(|()| out.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(failed)
}

/// The first algorithm that has no current key in `keys`.
fn missing_current(keys: &[StoredKey]) -> Option<SigningAlg> {
    SigningAlg::ALL.into_iter().find(|&alg| {
        !keys
            .iter()
            .any(|key| key.alg == alg && key.retired_at.is_none())
    })
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl SigningKeys {
    /// One key of each algorithm that lives as long as the process (tests).
    pub fn ephemeral() -> SigningKeys {
        let file = KeyFile {
            keys: StoredKey::generate_all(crate::now()),
        };
        let set = KeySet::parse(&file).expect("a fresh key parses");
        SigningKeys {
            inner: Arc::new(Inner {
                path: None,
                cache: Mutex::new((None, Arc::new(set))),
            }),
        }
    }

    /// The keys in `path`, made there (mode 0600) if there is no file yet. A file with
    /// current keys but none of some algorithm (written before that algorithm was offered)
    /// gets one of it; a file with no current key at all is damaged, not made up for.
    pub fn load_or_create(path: &Path, now: i64) -> Result<SigningKeys, KeysError> {
        let existed = path.exists();
        let mut file = if existed {
            read_file(path)?
        } else {
            KeyFile { keys: Vec::new() }
        };
        let mut added = Vec::new();
        if !existed || file.keys.iter().any(|key| key.retired_at.is_none()) {
            while let Some(alg) = missing_current(&file.keys) {
                file.keys.push(StoredKey::generate(alg, now));
                added.push(alg.as_str());
            }
        }
        // Checked before anything is written: a damaged file stays as it was.
        let set = KeySet::parse(&file).map_err(|why| KeysError::Damaged {
            path: shown(path),
            why,
        })?;
        if !added.is_empty() {
            write_file(path, &file)?;
            if existed {
                tracing::warn!(
                    "added a {} signing key to {}: copy the file to the other servers on this database",
                    added.join(" and "),
                    shown(path)
                );
            }
        }
        Ok(SigningKeys {
            inner: Arc::new(Inner {
                path: Some(path.to_owned()),
                cache: Mutex::new((modified(path), Arc::new(set))),
            }),
        })
    }

    /// Makes a new current key of each algorithm in `path` and retires the others; drops
    /// keys retired long enough ago that no token they signed is still valid. Answers the
    /// new keys' algorithms and ids.
    pub fn rotate(path: &Path, now: i64) -> Result<Vec<(SigningAlg, String)>, KeysError> {
        let mut file = if path.exists() {
            read_file(path)?
        } else {
            KeyFile { keys: Vec::new() }
        };
        for key in &mut file.keys {
            key.retired_at.get_or_insert(now);
        }
        file.keys.retain(|key| key.published(now));
        let fresh = StoredKey::generate_all(now);
        let kids = fresh.iter().map(|key| (key.alg, key.kid.clone())).collect();
        file.keys.extend(fresh);
        write_file(path, &file)?;
        Ok(kids)
    }

    /// The keys as they are now: read again when the file changed (a rotation). A file
    /// that cannot be read keeps the keys read before, and says so in the log.
    fn keys(&self) -> Arc<KeySet> {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = &self.inner.path {
            let stamp = modified(path);
            if stamp != cache.0 {
                let read = read_file(path).and_then(|file| {
                    KeySet::parse(&file).map_err(|why| KeysError::Damaged {
                        path: shown(path),
                        why,
                    })
                });
                match read {
                    Ok(set) => *cache = (stamp, Arc::new(set)),
                    Err(error) => tracing::error!("{error}; signing with the keys read before"),
                }
            }
        }
        cache.1.clone()
    }

    /// Whether the key file still holds the keys in use, or keys that replace them (a
    /// rotation): a file gone or damaged since it was read is an error, which the server
    /// would meet at its next start. Keys made in memory always pass.
    pub fn check(&self) -> Result<(), KeysError> {
        let _ = self.keys();
        let Some(path) = &self.inner.path else {
            return Ok(());
        };
        let read_at = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner()).0;
        if read_at.is_some() && modified(path) == read_at {
            return Ok(());
        }
        // Changed since, and [`Self::keys`] could not read it: say why.
        let file = read_file(path)?;
        KeySet::parse(&file).map_err(|why| KeysError::Damaged {
            path: shown(path),
            why,
        })?;
        Ok(())
    }

    /// A compact JWS of `claims` under the current key of `alg`:
    /// `{"alg","typ":"JWT","kid"}`.
    pub fn sign(&self, alg: SigningAlg, claims: &impl Serialize) -> String {
        let keys = self.keys();
        let key = keys.current(alg);
        let header = serde_json::json!({"alg": alg.as_str(), "typ": "JWT", "kid": key.kid});
        thaiid_protocol::assertion::compact_jws(&header, claims, |input| key.pair.sign(input))
            .expect("signing works")
    }

    /// The published keys (`jwks_uri`): the current ones and the retired ones still kept.
    pub fn jwks(&self, now: i64) -> serde_json::Value {
        let keys = self.keys();
        let listed: Vec<serde_json::Value> = keys
            .keys
            .iter()
            .filter(|key| published(key.retired_at, now))
            .map(|key| {
                let mut jwk = key.pair.public_jwk();
                jwk["kid"] = key.kid.clone().into();
                jwk["use"] = "sig".into();
                jwk["alg"] = key.pair.alg().as_str().into();
                jwk
            })
            .collect();
        serde_json::json!({ "keys": listed })
    }

    /// The claims of a token this provider signed with a key it still publishes: the
    /// header must say ES256 or RS256 and name such a key of that algorithm; anything else
    /// (`none`, HS256, an alg that is not its key's, an unknown `kid`, a bad signature) is
    /// refused. Expiry is the caller's to judge.
    pub fn verify(&self, token: &str, now: i64) -> Result<serde_json::Value, TokenRefusal> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenRefusal::Malformed);
        };
        let decode = |part: &str| B64.decode(part).map_err(|_| TokenRefusal::Malformed);
        let header: serde_json::Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| TokenRefusal::Malformed)?;
        let alg = header["alg"]
            .as_str()
            .and_then(|name| SigningAlg::parse(name).ok())
            .ok_or(TokenRefusal::AlgNotAllowed)?;
        let keys = self.keys();
        let key = keys
            .keys
            .iter()
            .filter(|key| published(key.retired_at, now))
            .find(|key| header["kid"] == key.kid.as_str())
            .ok_or(TokenRefusal::UnknownKey)?;
        if key.pair.alg() != alg {
            return Err(TokenRefusal::NotTheKeysAlg);
        }
        let signed = &token[..token.len() - signature.len() - 1];
        if !key.pair.verifies(signed.as_bytes(), &decode(signature)?) {
            return Err(TokenRefusal::BadSignature);
        }
        serde_json::from_slice(&decode(payload)?).map_err(|_| TokenRefusal::Malformed)
    }
}

/// Why a token is not this provider's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("not a compact JWS")]
    Malformed,
    #[error("alg is neither ES256 nor RS256")]
    AlgNotAllowed,
    #[error("alg is not the algorithm of the key named by kid")]
    NotTheKeysAlg,
    #[error("signed by no key this provider publishes")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
}

#[cfg(test)]
mod tests;
