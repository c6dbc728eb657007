//! `thaiid-agent doctor`: one line per check, ok or what failed with the fix in Thai
//! and English; exit 6 when anything failed. With the service's state dir (`--state-dir`,
//! `THAIID_STATE_DIR`) that this process can read, the service's own checks; otherwise
//! (a desktop user) the service through its API.

use crate::config::{Config, Overrides};
use crate::doctor;
use crate::error::AgentError;
use crate::paths::StateDir;
use std::path::Path;

pub fn run(state: &StateDir) -> Result<(), AgentError> {
    println!("thaiid-agent {}", env!("CARGO_PKG_VERSION"));
    let findings = match Config::for_state(state, &Overrides::default()) {
        Err(error) => vec![doctor::Finding::unconfigured(error)],
        Ok(config) if state.machine && readable(&state.path) => doctor::examine(&config, state),
        Ok(config) => {
            if state.machine {
                println!(
                    "(cannot read {}: the service as this user sees it; root sees its key and enrollment)",
                    state.path.display()
                );
            }
            doctor::examine_as_user(&config, state.machine.then_some(state.path.as_path()))
        }
    };
    for finding in &findings {
        println!("{finding}");
    }
    match findings.iter().filter(|finding| finding.failed()).count() {
        0 => Ok(()),
        failed => Err(AgentError::Unhealthy(failed)),
    }
}

/// Readable, or not made yet (the checks then say what is missing).
fn readable(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(_) => true,
        Err(error) => error.kind() == std::io::ErrorKind::NotFound,
    }
}
