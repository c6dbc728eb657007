//! `thaiid-agent doctor`: every check a login needs, from the smart card service to the
//! server's clock; each says ok, or what is wrong and how to fix it, in Thai and English.
//! Run with the service's state dir (root, the service's user), it checks the key and
//! enrollment there; run by a desktop user, it checks the service through its API.

mod callers;
mod card;
mod enrollment;
mod network;
mod service;
mod trust;

use crate::config::Config;
use crate::paths::StateDir;
use std::fmt;
use std::path::Path;

/// One check's result.
pub struct Finding {
    /// What was checked, e.g. "card readers".
    pub check: String,
    pub outcome: Result<String, Fault>,
}

/// What is wrong, and the fix in both languages.
pub struct Fault {
    pub problem: String,
    pub fix_th: String,
    pub fix_en: String,
}

impl Finding {
    fn ok(check: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding {
            check: check.into(),
            outcome: Ok(detail.into()),
        }
    }

    fn fail(
        check: impl Into<String>,
        problem: impl Into<String>,
        fix_th: &str,
        fix_en: &str,
    ) -> Finding {
        Finding {
            check: check.into(),
            outcome: Err(Fault {
                problem: problem.into(),
                fix_th: fix_th.into(),
                fix_en: fix_en.into(),
            }),
        }
    }

    /// A configuration that does not load stops the other checks.
    pub fn unconfigured(error: crate::config::ConfigError) -> Finding {
        Finding::fail(
            "configuration",
            error.to_string(),
            "แก้ค่าที่ผิดในไฟล์ตั้งค่าตามที่บอกไว้ (หรือให้ IT ติดตั้งใหม่)",
            "correct the value named above (or have IT reinstall)",
        )
    }

    pub fn failed(&self) -> bool {
        self.outcome.is_err()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(detail) => write!(f, "ok    {}: {detail}", self.check),
            Err(fault) => write!(
                f,
                "fail  {}: {}\n      วิธีแก้: {}\n      fix: {}",
                self.check, fault.problem, fault.fix_th, fault.fix_en
            ),
        }
    }
}

/// Runs every check against the state in `state` (root, the service's user), in the
/// order a login needs them.
pub fn examine(config: &Config, state: &StateDir) -> Vec<Finding> {
    let mut findings = card::examine(config.reader.as_deref());
    findings.push(callers::examine(config));
    findings.extend(trust::examine(state));
    findings.extend(network::examine(config, &state.path));
    findings
}

/// The checks a desktop user can make: the card side, the service through its API, and
/// the login server with this machine's clock. `state_dir`: the service's, when named.
pub fn examine_as_user(config: &Config, state_dir: Option<&Path>) -> Vec<Finding> {
    let mut findings = card::examine(config.reader.as_deref());
    findings.push(callers::examine(config));
    match crate::commands::runtime() {
        Ok(runtime) => {
            findings.extend(runtime.block_on(service::examine(config, state_dir)));
            findings.extend(runtime.block_on(network::server(config.server_url.as_deref())));
        }
        Err(error) => findings.push(network::no_runtime(&error)),
    }
    findings
}
