//! `thaiid-agent doctor`: one line per check, ok or what failed with the fix in Thai
//! and English; exit 6 when anything failed.

use crate::config::{Config, Overrides};
use crate::doctor;
use crate::error::AgentError;
use crate::paths::StateDir;

pub fn run(state: &StateDir) -> Result<(), AgentError> {
    println!("thaiid-agent {}", env!("CARGO_PKG_VERSION"));
    let findings = match Config::from_environment(&Overrides::default()) {
        Ok(config) => doctor::examine(&config, state),
        Err(error) => vec![doctor::Finding::unconfigured(error)],
    };
    for finding in &findings {
        println!("{finding}");
    }
    match findings.iter().filter(|finding| finding.failed()).count() {
        0 => Ok(()),
        failed => Err(AgentError::Unhealthy(failed)),
    }
}
