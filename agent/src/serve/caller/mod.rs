//! Who is behind a connection (SPEC §5 "Caller"): the service serves only the person at
//! the machine, the user of its active, unlocked local session. Another user of the same
//! machine (a remote desktop, an SSH login, a second seat's account), or a session left
//! locked with a request running, is refused, so that nobody but the person who inserted
//! the card can have the service sign for it.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod logind;
#[cfg(windows)]
mod windows;

#[cfg(target_os = "linux")]
use linux as platform;
#[cfg(windows)]
use windows as platform;

use crate::watcher::Owner;
use std::net::SocketAddr;
use thaiid_protocol::api::AgentErrorCode;

/// Who a caller is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// Root or the service's own account (Windows: the service itself, an elevated process
    /// or LocalSystem): it can read the key anyway.
    Privileged,
    /// A local user (Linux: the uid; Windows: the session id of the client's process).
    User(u32),
}

/// The machine's console at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Console {
    /// No session manager (a container, CI).
    Unmanaged,
    /// Nobody's session is at the console (a greeter only).
    Vacant,
    /// The session at the console: its user (as in [`Caller::User`]) and lock state.
    Active { user: u32, locked: bool },
}

impl Console {
    /// Whose a card inserted now is.
    pub fn owner(self) -> Owner {
        match self {
            Console::Unmanaged => Owner::AnyLocalUser,
            Console::Active {
                user,
                locked: false,
            } => Owner::User(user),
            Console::Vacant | Console::Active { locked: true, .. } => Owner::Nobody,
        }
    }
}

/// Why a caller is not served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotLocalSession,
    SessionLocked,
}

impl Refusal {
    pub fn code(self) -> AgentErrorCode {
        match self {
            Refusal::NotLocalSession => AgentErrorCode::NotLocalSession,
            Refusal::SessionLocked => AgentErrorCode::SessionLocked,
        }
    }
}

/// Whether `caller` is served with the console as it is; `any_local_user`: the
/// configuration serves every local user of a machine without a session manager.
pub fn admits(caller: Caller, console: Console, any_local_user: bool) -> Result<(), Refusal> {
    let Caller::User(uid) = caller else {
        return Ok(());
    };
    match console {
        Console::Unmanaged if any_local_user => Ok(()),
        Console::Active { user, locked } if user == uid => match locked {
            true => Err(Refusal::SessionLocked),
            false => Ok(()),
        },
        Console::Unmanaged | Console::Vacant | Console::Active { .. } => {
            Err(Refusal::NotLocalSession)
        }
    }
}

/// Whether `caller` may take the insertion of `owner` now: it must still be served, and
/// the card must have gone in at its own unlocked session.
pub fn may_take(
    caller: Caller,
    owner: Owner,
    console: Console,
    any_local_user: bool,
) -> Result<(), Refusal> {
    admits(caller, console, any_local_user)?;
    match (caller, owner) {
        (Caller::Privileged, _) => Ok(()),
        (Caller::User(uid), Owner::User(owner)) if uid == owner => Ok(()),
        (Caller::User(_), Owner::AnyLocalUser) if console == Console::Unmanaged => Ok(()),
        (Caller::User(_), Owner::Nobody) => Err(Refusal::SessionLocked),
        (Caller::User(_), _) => Err(Refusal::NotLocalSession),
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallerError {
    #[error("no socket of this machine is the caller {0}")]
    Unknown(SocketAddr),
    #[error("cannot read the machine's sockets or sessions: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot ask logind whether the session is locked: {0}")]
    Logind(String),
}

/// Who the client at `peer` is, for a connection to `local`.
pub fn identify(peer: SocketAddr, local: SocketAddr) -> Result<Caller, CallerError> {
    #[cfg(any(target_os = "linux", windows))]
    return platform::identify(peer, local);
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let _ = (peer, local);
        Ok(Caller::User(u32::MAX))
    }
}

/// Whether the machine has a session manager the service follows (Linux: logind's
/// seat0; Windows always has its console).
pub fn has_session_manager() -> bool {
    #[cfg(target_os = "linux")]
    return platform::has_seat0();
    #[cfg(windows)]
    return true;
    #[cfg(not(any(target_os = "linux", windows)))]
    false
}

/// The machine's console, asked again at each call (a D-Bus connection to logind is
/// kept between calls on Linux).
#[derive(Default)]
pub struct Seats {
    #[cfg(target_os = "linux")]
    logind: logind::Logind,
}

impl Seats {
    pub async fn console(&self) -> Result<Console, CallerError> {
        #[cfg(target_os = "linux")]
        return platform::console(&self.logind).await;
        #[cfg(windows)]
        return platform::console();
        #[cfg(not(any(target_os = "linux", windows)))]
        Ok(Console::Unmanaged)
    }
}

#[cfg(test)]
mod tests;
