//! Who is behind a connection (SPEC §5): the service serves only the person at the
//! machine, the user of its active local session. Another user of the same machine (a
//! remote desktop, an SSH login, a second seat's account) is refused, so that nobody
//! but the person who inserted the card can have the service sign for it.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as platform;
#[cfg(windows)]
mod windows;

use std::net::SocketAddr;

/// What the service knows of a caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The active local session's user, an administrator, or the service itself.
    Local,
    /// A user of this machine who is not at its console now.
    OtherUser,
    /// The machine has no session manager (a container, CI): every local user counts.
    NoSessionManager,
}

impl Caller {
    pub fn is_served(self) -> bool {
        matches!(self, Caller::Local | Caller::NoSessionManager)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallerError {
    #[error("no socket of this machine is the caller {0}")]
    Unknown(SocketAddr),
    #[error("cannot read the machine's sockets or sessions: {0}")]
    Io(#[from] std::io::Error),
}

/// Decides who the client at `peer` is, for a connection to `local`.
pub fn identify(peer: SocketAddr, local: SocketAddr) -> Result<Caller, CallerError> {
    #[cfg(target_os = "linux")]
    return platform::identify(peer, local);
    #[cfg(windows)]
    return windows::identify(peer, local);
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let _ = (peer, local);
        Ok(Caller::NoSessionManager)
    }
}
