//! The provider's ID-token signing keys: ES256 (P-256) key pairs in one JSON file readable
//! by the server alone (0600), made at first start like the OTP key; every server on one
//! database needs the same file. `thaiid-server oidc rotate-key` adds a new current key and
//! retires the old one, which stays published in the JWKS until the ID tokens it signed
//! have expired. A running server sees a rotation at its next use of the keys (it re-reads
//! the file when the file changed).
//!
//! Only ES256: ring verifies and signs RSA but cannot generate RSA keys, and the server
//! makes its keys itself.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use thaiid_protocol::assertion::PublicJwk;

/// The one signing algorithm offered.
pub const ALG: &str = "ES256";

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
    #[error("no current key")]
    NoCurrentKey,
}

#[derive(Serialize, Deserialize, Clone)]
struct KeyFile {
    keys: Vec<StoredKey>,
}

#[derive(Serialize, Deserialize, Clone)]
struct StoredKey {
    kid: String,
    /// PKCS#8 of the P-256 key pair, base64url.
    pkcs8: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl StoredKey {
    fn generate(now: i64) -> StoredKey {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("the system's random source works");
        StoredKey {
            kid: crate::random_id(),
            pkcs8: B64.encode(pkcs8.as_ref()),
            created_at: now,
            retired_at: None,
        }
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
    pair: EcdsaKeyPair,
    retired_at: Option<i64>,
}

struct KeySet {
    keys: Vec<LoadedKey>,
}

impl KeySet {
    fn parse(file: &KeyFile) -> Result<KeySet, KeyFileProblem> {
        let rng = ring::rand::SystemRandom::new();
        let keys = file
            .keys
            .iter()
            .map(|stored| {
                let pkcs8 = B64
                    .decode(&stored.pkcs8)
                    .map_err(|_| KeyFileProblem::NotBase64(stored.kid.clone()))?;
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
                    .map_err(|_| KeyFileProblem::NotP256(stored.kid.clone()))?;
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
        Ok(KeySet { keys })
    }

    fn current(&self) -> &LoadedKey {
        self.keys
            .iter()
            .rev()
            .find(|key| key.retired_at.is_none())
            .expect("parse checked there is a current key")
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

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl SigningKeys {
    /// One key that lives as long as the process (tests).
    pub fn ephemeral() -> SigningKeys {
        let file = KeyFile {
            keys: vec![StoredKey::generate(crate::now())],
        };
        let set = KeySet::parse(&file).expect("a fresh key parses");
        SigningKeys {
            inner: Arc::new(Inner {
                path: None,
                cache: Mutex::new((None, Arc::new(set))),
            }),
        }
    }

    /// The keys in `path`, made there (mode 0600) if there is no file yet.
    pub fn load_or_create(path: &Path, now: i64) -> Result<SigningKeys, KeysError> {
        if !path.exists() {
            write_file(
                path,
                &KeyFile {
                    keys: vec![StoredKey::generate(now)],
                },
            )?;
        }
        let stamp = modified(path);
        let set = KeySet::parse(&read_file(path)?).map_err(|why| KeysError::Damaged {
            path: shown(path),
            why,
        })?;
        Ok(SigningKeys {
            inner: Arc::new(Inner {
                path: Some(path.to_owned()),
                cache: Mutex::new((stamp, Arc::new(set))),
            }),
        })
    }

    /// Makes a new current key in `path` and retires the others; drops keys retired long
    /// enough ago that no token they signed is still valid. Answers the new key's id.
    pub fn rotate(path: &Path, now: i64) -> Result<String, KeysError> {
        let mut file = if path.exists() {
            read_file(path)?
        } else {
            KeyFile { keys: Vec::new() }
        };
        for key in &mut file.keys {
            key.retired_at.get_or_insert(now);
        }
        file.keys.retain(|key| key.published(now));
        let fresh = StoredKey::generate(now);
        let kid = fresh.kid.clone();
        file.keys.push(fresh);
        write_file(path, &file)?;
        Ok(kid)
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

    /// A compact JWS of `claims` under the current key: `{"alg":"ES256","typ":"JWT","kid"}`.
    pub fn sign(&self, claims: &impl Serialize) -> String {
        let keys = self.keys();
        let key = keys.current();
        let header = serde_json::json!({"alg": ALG, "typ": "JWT", "kid": key.kid});
        let rng = ring::rand::SystemRandom::new();
        thaiid_protocol::assertion::compact_jws(&header, claims, |input| {
            key.pair
                .sign(&rng, input)
                .map(|signature| signature.as_ref().to_vec())
        })
        .expect("ECDSA signing works")
    }

    /// The published keys (`jwks_uri`): the current one and the retired ones still kept.
    pub fn jwks(&self, now: i64) -> serde_json::Value {
        let keys = self.keys();
        let listed: Vec<serde_json::Value> = keys
            .keys
            .iter()
            .filter(|key| published(key.retired_at, now))
            .map(|key| {
                let jwk = PublicJwk::from_key_pair(&key.pair);
                serde_json::json!({
                    "kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y,
                    "kid": key.kid, "use": "sig", "alg": ALG,
                })
            })
            .collect();
        serde_json::json!({ "keys": listed })
    }

    /// The claims of a token this provider signed with a key it still publishes: the
    /// header must say ES256 and name such a key; anything else (`none`, HS256, RS256, an
    /// unknown `kid`, a bad signature) is refused. Expiry is the caller's to judge.
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
        if header["alg"] != ALG {
            return Err(TokenRefusal::AlgNotAllowed);
        }
        let keys = self.keys();
        let key = keys
            .keys
            .iter()
            .filter(|key| published(key.retired_at, now))
            .find(|key| header["kid"] == key.kid.as_str())
            .ok_or(TokenRefusal::UnknownKey)?;
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            key.pair.public_key().as_ref(),
        );
        let signed = &token[..token.len() - signature.len() - 1];
        public
            .verify(signed.as_bytes(), &decode(signature)?)
            .map_err(|_| TokenRefusal::BadSignature)?;
        serde_json::from_slice(&decode(payload)?).map_err(|_| TokenRefusal::Malformed)
    }
}

/// Why a token is not this provider's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("not a compact JWS")]
    Malformed,
    #[error("alg is not ES256")]
    AlgNotAllowed,
    #[error("signed by no key this provider publishes")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_verifies_and_a_forged_one_does_not() {
        let keys = SigningKeys::ephemeral();
        let now = crate::now();
        let token = keys.sign(&serde_json::json!({"sub": "x"}));
        assert_eq!(keys.verify(&token, now).unwrap()["sub"], "x");
        let other = SigningKeys::ephemeral().sign(&serde_json::json!({"sub": "x"}));
        assert_eq!(keys.verify(&other, now), Err(TokenRefusal::UnknownKey));
        let (head, rest) = token.split_once('.').unwrap();
        let (payload, _) = rest.split_once('.').unwrap();
        let kid = serde_json::from_slice::<serde_json::Value>(&B64.decode(head).unwrap()).unwrap()
            ["kid"]
            .clone();
        for alg in ["none", "HS256", "RS256", "es256"] {
            let header = B64.encode(serde_json::json!({"alg": alg, "kid": kid}).to_string());
            for signature in ["", "AAAA"] {
                let forged = format!("{header}.{payload}.{signature}");
                assert_eq!(
                    keys.verify(&forged, now),
                    Err(TokenRefusal::AlgNotAllowed),
                    "{alg}"
                );
            }
        }
        let tampered = format!("{head}.{}.{}", B64.encode(br#"{"sub":"y"}"#), {
            token.rsplit_once('.').unwrap().1
        });
        assert_eq!(keys.verify(&tampered, now), Err(TokenRefusal::BadSignature));
    }

    #[test]
    fn rotation_keeps_the_old_key_published_until_its_tokens_expired() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oidc/signing-keys.json");
        let now = 1_800_000_000;
        let keys = SigningKeys::load_or_create(&path, now).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let old = keys.sign(&serde_json::json!({"n": 1}));
        // A new modification time, as a later rotation has.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let kid = SigningKeys::rotate(&path, now).unwrap();
        let new = keys.sign(&serde_json::json!({"n": 2}));
        assert!(new.starts_with(
            &B64.encode(serde_json::json!({"alg": ALG, "typ": "JWT", "kid": kid}).to_string())
        ));
        assert_eq!(keys.jwks(now)["keys"].as_array().unwrap().len(), 2);
        assert!(keys.verify(&old, now).is_ok());
        let later = now + RETIRED_KEPT_SECS;
        assert_eq!(keys.jwks(later)["keys"].as_array().unwrap().len(), 1);
        assert_eq!(keys.verify(&old, later), Err(TokenRefusal::UnknownKey));
        assert!(keys.verify(&new, later).is_ok());
        std::fs::write(&path, b"{}").unwrap();
        let error = SigningKeys::load_or_create(&path, now).unwrap_err();
        assert!(
            error.to_string().contains("not a valid OIDC key file"),
            "{error}"
        );
    }
}
