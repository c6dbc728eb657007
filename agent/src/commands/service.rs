//! `thaiid-agent service install|uninstall --state-dir DIR` (Windows): the machine
//! service, as the installer sets it up and takes it away.

use crate::cli::ServiceAction;
use crate::error::AgentError;
use crate::paths::StateDir;

pub fn run(action: ServiceAction, state: &StateDir) -> Result<(), AgentError> {
    match action {
        ServiceAction::Install => {
            crate::win::acl::ensure_state_dir(&state.path)?;
            Ok(crate::win::service::install(&state.path)?)
        }
        ServiceAction::Uninstall => Ok(crate::win::service::uninstall()?),
    }
}
