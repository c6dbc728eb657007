//! `thaiid-agent setup [--uninstall]`.

use crate::error::AgentError;

pub fn run(uninstall: bool) -> Result<(), AgentError> {
    let _ = uninstall;
    Err(AgentError::NotYet("setup"))
}
