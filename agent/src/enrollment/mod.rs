//! The workstation's identity at the central server: its P-256 key, the agent id the
//! server gave it, and the assertion counter. All in the state dir, readable by the
//! machine service's user only (SPEC §10).

mod counter;
mod deployment;
mod key;
mod key_store;

pub use counter::Counter;
pub use deployment::enroll_with_token;
pub use key::{KeyError, WorkstationKey};

use crate::config::server_url;
use ring::rand::SystemRandom;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thaiid_protocol::api::{EnrollRequest, EnrollResponse, ServerErrorBody, Ticket};
use thaiid_protocol::assertion::{self, CardClaim, Claims, MAX_LIFETIME_SECS};

const ENROLLMENT_FILE: &str = "enrollment.json";

/// Who this agent is at which server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    pub agent_id: String,
    /// The server's base URL: the assertions' `aud` and where they are posted.
    pub server_url: String,
}

/// An enrolled agent, ready to sign.
pub struct Identity {
    pub enrollment: Enrollment,
    pub key: WorkstationKey,
    pub counter: Counter,
    /// Which enrollment this is, to notice a new one (IT enrolling again).
    stamp: Option<Stamp>,
}

/// When the enrollment file was last replaced: a new enrollment replaces it last.
pub type Stamp = std::time::SystemTime;

/// The stamp of the enrollment in `data_dir` now; `None` without one.
pub fn stamp(data_dir: &Path) -> Option<Stamp> {
    std::fs::metadata(data_dir.join(ENROLLMENT_FILE))
        .and_then(|metadata| metadata.modified())
        .ok()
}

impl Identity {
    /// Whether this is the enrollment on disk (not replaced by a newer one).
    pub fn is_current(&self, data_dir: &Path) -> bool {
        self.stamp.is_some() && self.stamp == stamp(data_dir)
    }

    /// The assertion (SPEC §6) that `card` is at this workstation, for `nonce` of the page
    /// at `origin`, numbered `ctr`, valid for [`MAX_LIFETIME_SECS`] from now.
    pub fn assert(
        &self,
        nonce: &str,
        origin: &str,
        ctr: u64,
        card: CardClaim,
    ) -> Result<String, KeyError> {
        let rng = SystemRandom::new();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims = Claims {
            iss: self.enrollment.agent_id.clone(),
            aud: self.enrollment.server_url.clone(),
            iat: now,
            exp: now + MAX_LIFETIME_SECS,
            jti: assertion::new_jti(&rng).map_err(|_| KeyError::Ring)?,
            nonce: nonce.to_owned(),
            origin: origin.to_owned(),
            ctr,
            card,
        };
        assertion::sign_with(&claims, |input| self.key.sign(input))
    }

    /// Posts `assertion` to the server this agent is enrolled at (SPEC §7): the ticket, or
    /// why there is none.
    pub async fn post(&self, http: &reqwest::Client, assertion: String) -> Result<Ticket, Refusal> {
        let url = format!("{}/api/v1/card-logins", self.enrollment.server_url);
        let response = http
            .post(&url)
            .header("content-type", "application/jose")
            .body(assertion)
            .send()
            .await
            .map_err(|error| {
                tracing::warn!("server unreachable: {error}");
                Refusal::Unreachable
            })?;
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|_| Refusal::Unreachable);
        }
        if status.is_server_error() {
            return Err(Refusal::Unreachable);
        }
        let reason = serde_json::from_slice::<ServerErrorBody>(&body)
            .map(|body| body.error.code)
            .unwrap_or_else(|_| format!("HTTP_{}", status.as_u16()));
        Err(Refusal::Rejected(reason))
    }
}

/// Why the server gave no ticket for an assertion.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No answer, a server error, or an answer that is not one.
    Unreachable,
    /// The server's reason code, or `HTTP_<status>` without one.
    Rejected(String),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrollError {
    #[error("bad server URL: {0}")]
    BadServerUrl(String),
    #[error("no enrollment token: give --token T or set enroll_token in the configuration")]
    NoToken,
    #[error("cannot reach the server {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("the server refused the enrollment: {code}: {message}")]
    Refused { code: String, message: String },
    #[error("the server answered {0} without a usable body")]
    BadAnswer(u16),
    #[error("cannot store the agent's identity in {path}: {source}")]
    Store {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the stored agent identity in {path} is damaged: {problem}: enroll again")]
    Damaged { path: PathBuf, problem: String },
    #[error("cannot make a key: {0}")]
    Crypto(String),
}

/// Makes a key on this workstation, registers it with the server and stores it.
pub async fn enroll(data_dir: &Path, server: &str, token: &str) -> Result<Enrollment, EnrollError> {
    let server = server_url(server).map_err(EnrollError::BadServerUrl)?;
    // The key is made (and stored) first: a TPM key cannot wait in memory to be saved.
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EnrollError::Store { path, source }
    };
    crate::fs::private_dir(data_dir).map_err(failed(data_dir))?;
    let key = WorkstationKey::generate(data_dir, is_machine_state(data_dir))?;
    let public_key_jwk = key
        .public_jwk()
        .map_err(|error| EnrollError::Crypto(error.to_string()))?;
    let request = EnrollRequest {
        token: token.to_owned(),
        public_key_jwk,
        hostname: hostname(),
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let url = format!("{server}/api/v1/agents/enroll");
    let response = crate::http::client()
        .post(&url)
        .json(&request)
        .send()
        .await
        .map_err(|source| EnrollError::Unreachable {
            url: url.clone(),
            source,
        })?;
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    if !status.is_success() {
        return Err(match serde_json::from_slice::<ServerErrorBody>(&body) {
            Ok(error) => EnrollError::Refused {
                code: error.error.code,
                message: error.error.message,
            },
            Err(_) => EnrollError::BadAnswer(status.as_u16()),
        });
    }
    let answer: EnrollResponse =
        serde_json::from_slice(&body).map_err(|_| EnrollError::BadAnswer(status.as_u16()))?;
    let enrollment = Enrollment {
        agent_id: answer.agent_id,
        server_url: server,
    };
    store(data_dir, &enrollment)?;
    Ok(enrollment)
}

/// Whether `data_dir` is the machine service's state dir rather than a developer's own
/// data dir: on Windows the service's key goes to CNG.
fn is_machine_state(data_dir: &Path) -> bool {
    data_dir != crate::paths::data_dir()
}

fn store(data_dir: &Path, enrollment: &Enrollment) -> Result<(), EnrollError> {
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EnrollError::Store { path, source }
    };
    Counter::reset(data_dir)?;
    let path = data_dir.join(ENROLLMENT_FILE);
    let json = serde_json::to_vec_pretty(enrollment).expect("plain struct");
    crate::fs::write_private(&path, &json).map_err(failed(&path))
}

/// The stored enrollment, if this agent is enrolled.
pub fn load(data_dir: &Path) -> Result<Option<Identity>, EnrollError> {
    let stamp = stamp(data_dir);
    let path = data_dir.join(ENROLLMENT_FILE);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(EnrollError::Store { path, source }),
    };
    let enrollment: Enrollment =
        serde_json::from_slice(&text).map_err(|error| EnrollError::Damaged {
            path: path.clone(),
            problem: error.to_string(),
        })?;
    let key = WorkstationKey::load(data_dir)?;
    Ok(Some(Identity {
        enrollment,
        key,
        counter: Counter::open(data_dir)?,
        stamp,
    }))
}

fn hostname() -> String {
    let mut buffer = [0u8; 256];
    #[cfg(unix)]
    {
        // SAFETY: gethostname writes at most buffer.len() bytes into the buffer.
        if unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) } == 0 {
            let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
            return String::from_utf8_lossy(&buffer[..end]).into_owned();
        }
    }
    let _ = &mut buffer;
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests;
