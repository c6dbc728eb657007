pub mod doctor;
pub mod enroll;
pub mod read;
pub mod readers;
pub mod serve;
#[cfg(windows)]
pub mod service;
pub mod setup;
pub mod tray;

/// The async runtime for the commands that talk HTTP.
pub fn runtime() -> Result<tokio::runtime::Runtime, crate::error::AgentError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(crate::error::AgentError::Runtime)
}
