//! Linux: the caller's uid is the owner of its socket in `/proc/net/tcp{,6}` (read by
//! `crate::procnet`); the console is logind's seat0: `ACTIVE=` (the session) and
//! `ACTIVE_UID=` of `/run/systemd/seats/seat0` (what `sd_seat_get_active` reads), and
//! that session's `LockedHint`, which logind keeps only in memory and on D-Bus (its
//! session files carry no lock state). No seat0 there: no session manager.

use super::logind::Logind;
use super::{Caller, CallerError, Console};
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
    Ok(match uid == 0 || uid == service {
        true => Caller::Privileged,
        false => Caller::User(uid),
    })
}

pub fn has_seat0() -> bool {
    logind_dir().join("seats/seat0").exists()
}

pub async fn console(logind: &Logind) -> Result<Console, CallerError> {
    let text = match std::fs::read_to_string(logind_dir().join("seats/seat0")) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Console::Unmanaged)
        }
        Err(error) => return Err(error.into()),
    };
    let Some(seat) = ActiveSession::parse(&text) else {
        return Ok(Console::Vacant);
    };
    let locked = logind.locked_hint(&seat.session).await?;
    Ok(Console::Active {
        user: seat.uid,
        locked,
    })
}

/// seat0's active session, as its file names it.
#[derive(Debug, PartialEq, Eq)]
struct ActiveSession {
    session: String,
    uid: u32,
}

impl ActiveSession {
    /// `None`: nobody's session is active (or the file says too little to tell whose).
    fn parse(text: &str) -> Option<ActiveSession> {
        let value = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        Some(ActiveSession {
            session: value("ACTIVE")?.to_owned(),
            uid: value("ACTIVE_UID")?.parse().ok()?,
        })
    }
}

/// The uid owning the client end of the connection `peer` → `local`.
fn socket_uid(peer: SocketAddr, local: SocketAddr) -> Result<u32, CallerError> {
    let sockets = crate::procnet::sockets_of(peer.ip())?;
    crate::procnet::connection_uid(&sockets, peer, local).ok_or(CallerError::Unknown(peer))
}

#[cfg(test)]
mod tests {
    use super::ActiveSession;

    #[test]
    fn seat0_names_its_active_session_and_user() {
        let seat0 = "# This is private data. Do not parse.\nIS_SEAT0=1\nCAN_MULTI_SESSION=1\n\
                     ACTIVE=c2\nACTIVE_UID=1000\nSESSIONS=c2 c1\nUIDS=1000 114\n";
        assert_eq!(
            ActiveSession::parse(seat0),
            Some(ActiveSession {
                session: "c2".into(),
                uid: 1000
            })
        );
        // A greeter being shut down, or a half-written file: nobody.
        for text in [
            "IS_SEAT0=1\n",
            "ACTIVE=c2\n",
            "ACTIVE_UID=1000\n",
            "ACTIVE=\nACTIVE_UID=x\n",
        ] {
            assert_eq!(ActiveSession::parse(text), None, "{text:?}");
        }
    }
}
