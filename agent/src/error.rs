//! What can go wrong in a command, as one line a user can act on and an exit code
//! (SPEC §3): the card's errors (`smartcard::CardError`) and the rest.

pub use crate::smartcard::exit;
use crate::smartcard::CardError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    #[error("{0}")]
    Card(#[from] CardError),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("enrollment: {0}")]
    Enroll(#[from] crate::enrollment::EnrollError),
    #[error("{0}")]
    Serve(#[from] crate::serve::ServeError),
    #[error("cannot start: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Setup(#[from] crate::setup::SetupError),
    #[cfg(windows)]
    #[error("{0}")]
    StateDir(#[from] crate::win::acl::StateDirError),
    #[cfg(unix)]
    #[error("{0}")]
    ServiceStateDir(#[from] crate::fs::StateDirError),
    #[cfg(windows)]
    #[error("{0}")]
    Service(#[from] crate::win::service::ServiceError),
    #[error("{0} checks failed: the lines above say how to fix each")]
    Unhealthy(usize),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl AgentError {
    pub fn exit_code(&self) -> u8 {
        match self {
            AgentError::Card(error) => error.exit_code(),
            AgentError::Write { .. }
            | AgentError::Unhealthy(_)
            | AgentError::Config(_)
            | AgentError::Enroll(_)
            | AgentError::Serve(_)
            | AgentError::Setup(_)
            | AgentError::Runtime(_) => exit::OTHER,
            #[cfg(windows)]
            AgentError::StateDir(_) | AgentError::Service(_) => exit::OTHER,
            #[cfg(unix)]
            AgentError::ServiceStateDir(_) => exit::OTHER,
        }
    }
}

impl From<pcsc::Error> for AgentError {
    fn from(error: pcsc::Error) -> AgentError {
        AgentError::Card(error.into())
    }
}
