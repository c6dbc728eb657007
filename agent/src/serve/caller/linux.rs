//! Linux: the caller's uid is the owner of its socket in `/proc/net/tcp{,6}` (read by
//! `crate::procnet`); the active local session is logind's: `ACTIVE_UID` of
//! `/run/systemd/seats/seat0` (what `sd_seat_get_active` reads). No seat0 there: no
//! session manager.

use super::{Caller, CallerError};
use std::net::SocketAddr;
use std::path::PathBuf;

/// logind's runtime dir; `THAIID_LOGIND_DIR` stands in for it in tests (the service's
/// environment is set by its unit, which only root writes).
fn logind_dir() -> PathBuf {
    std::env::var_os("THAIID_LOGIND_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/systemd"))
}

pub fn identify(peer: SocketAddr, local: SocketAddr) -> Result<Caller, CallerError> {
    let uid = socket_uid(peer, local)?;
    // SAFETY: geteuid has no preconditions.
    let service = unsafe { libc::geteuid() };
    if uid == 0 || uid == service {
        return Ok(Caller::Local);
    }
    Ok(match active_uid()? {
        Seat::None => Caller::NoSessionManager,
        Seat::Active(active) if active == uid => Caller::Local,
        Seat::Active(_) | Seat::Idle => Caller::OtherUser,
    })
}

enum Seat {
    /// No seat0: no session manager on this machine.
    None,
    /// Nobody is logged in at the console (or only a greeter's own user).
    Idle,
    Active(u32),
}

fn active_uid() -> Result<Seat, CallerError> {
    let text = match std::fs::read_to_string(logind_dir().join("seats/seat0")) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Seat::None),
        Err(error) => return Err(error.into()),
    };
    Ok(text
        .lines()
        .find_map(|line| line.strip_prefix("ACTIVE_UID="))
        .and_then(|uid| uid.trim().parse().ok())
        .map_or(Seat::Idle, Seat::Active))
}

/// The uid owning the client end of the connection `peer` → `local`.
fn socket_uid(peer: SocketAddr, local: SocketAddr) -> Result<u32, CallerError> {
    let sockets = crate::procnet::sockets_of(peer.ip())?;
    crate::procnet::connection_uid(&sockets, peer, local).ok_or(CallerError::Unknown(peer))
}
