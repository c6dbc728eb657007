//! `thaiid-agent setup [--uninstall | --check-ca FILE]`: the local CA and the browsers' trust in it; one
//! line per trust store, ok or what failed and how to fix it.

use crate::error::AgentError;
use crate::paths::StateDir;
use crate::setup::{self, SetupError, Stale, TrustOutcome};
use std::path::Path;

pub fn run(uninstall: bool, state: &StateDir) -> Result<(), AgentError> {
    let data_dir = &state.path;
    if uninstall {
        let outcomes = setup::uninstall(state)?;
        let failed = report(&outcomes);
        if !failed.is_empty() {
            return Err(SetupError::Untrust(failed.join(", ")).into());
        }
        println!(
            "deleted the localhost certificate from {}",
            data_dir.display()
        );
        return Ok(());
    }
    // The machine service's state dir: made here with its ACL, or refused when a user
    // could have made it first (Windows; the .deb makes /var/lib/thaiid-agent).
    #[cfg(windows)]
    if state.machine {
        crate::win::acl::ensure_state_dir(data_dir)?;
    }
    let installed = setup::install(state)?;
    let made = match &installed.renewed {
        None => "kept".to_owned(),
        Some(Stale::NotMade) => "made".to_owned(),
        Some(reason) => format!("made anew: {reason}"),
    };
    println!(
        "local CA: {} ({made}), its certificate in {}",
        installed.tls.ca_name(),
        setup::ca_path(data_dir).display()
    );
    let failed = report(&installed.trust);
    match failed.is_empty() {
        true => Ok(()),
        false => Err(SetupError::Trust(failed.join(", ")).into()),
    }
}

/// `setup --check-ca FILE`: one line, ok or why the CA is refused (as the error).
pub fn check_ca(file: &Path) -> Result<(), AgentError> {
    let name = setup::check_ca_file(file)?;
    println!("ok    {}: {name}, a CA of this agent", file.display());
    Ok(())
}

/// Prints one line per store; gives the stores that failed.
fn report(outcomes: &[TrustOutcome]) -> Vec<String> {
    let mut failed = Vec::new();
    let mut changed = false;
    for outcome in outcomes {
        match &outcome.result {
            Ok(done) => {
                println!("ok    {}: {done}", outcome.store.description);
                changed |= done.changed();
            }
            Err(problem) => {
                println!("fail  {}: {problem}", outcome.store.description);
                failed.push(outcome.store.description.clone());
            }
        }
    }
    // Browsers read their trust stores when they start.
    if changed {
        println!("browsers that are open see the change once restarted");
    }
    failed
}
