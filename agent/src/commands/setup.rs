//! `thaiid-agent setup [--uninstall]`: one line per trust store, ok or what failed.

use crate::error::AgentError;
use crate::setup::{self, SetupError, TrustOutcome};

pub fn run(uninstall: bool) -> Result<(), AgentError> {
    let data_dir = crate::paths::data_dir();
    let outcomes = if uninstall {
        let outcomes = setup::uninstall(&data_dir);
        println!(
            "removed the localhost certificate from {}",
            data_dir.display()
        );
        outcomes
    } else {
        let (tls, outcomes) = setup::ensure(&data_dir)?;
        println!(
            "localhost certificate: {} ({})",
            tls.nickname,
            setup::ca_path(&data_dir).display()
        );
        outcomes
    };
    report(&outcomes)
}

fn report(outcomes: &[TrustOutcome]) -> Result<(), AgentError> {
    let mut failed = Vec::new();
    for outcome in outcomes {
        match &outcome.result {
            Ok(()) => println!("ok    {}", outcome.store.description),
            Err(problem) => {
                println!("fail  {}: {problem}", outcome.store.description);
                failed.push(outcome.store.description.clone());
            }
        }
    }
    match failed.is_empty() {
        true => Ok(()),
        false => Err(SetupError::Trust(failed.join(", ")).into()),
    }
}
