//! `thaiid-agent enroll [--server URL] [--token T]`, each by default from the configuration.

use crate::config::{Config, Overrides};
use crate::enrollment::{self, EnrollError};
use crate::error::AgentError;
use crate::paths::StateDir;

pub fn run(server: Option<&str>, token: Option<&str>, state: &StateDir) -> Result<(), AgentError> {
    let config = Config::for_state(
        state,
        &Overrides {
            server_url: server.map(str::to_owned),
            ..Overrides::default()
        },
    )?;
    let server = config
        .server_url
        .ok_or(AgentError::Enroll(EnrollError::BadServerUrl(
            "no server: give --server URL or set server_url in config.toml".into(),
        )))?;
    let token = match (token, &config.enroll_token) {
        (Some(token), _) => token.to_owned(),
        (None, Some(token)) => token.0.clone(),
        (None, None) => {
            return Err(AgentError::Enroll(EnrollError::NoToken));
        }
    };
    #[cfg(windows)]
    if state.machine {
        crate::win::acl::ensure_state_dir(&state.path)?;
    }
    let runtime = crate::commands::runtime()?;
    let enrolled = runtime.block_on(enrollment::enroll(&state.path, &server, &token))?;
    println!(
        "enrolled at {} as {}",
        enrolled.server_url, enrolled.agent_id
    );
    Ok(())
}
