//! Windows: the owner of the client's socket and its session, against the console's
//! session and its lock state (the calls, and their `unsafe`, are in
//! `crate::win::caller`). An elevated process or LocalSystem's is privileged, as root is on
//! Linux: the state dir's ACL lets it use the key anyway (SPEC §10). A process in session 0 (a service) or in a remote desktop
//! session is not the person at the machine; a socket no Windows process owns (under
//! Wine: a Linux process) is refused too. Windows always has a console: never
//! [`Console::Unmanaged`].

use super::{Caller, CallerError, Console};
use crate::win::caller::{client_session, console_session, ClientSession, ConsoleSession};
use std::net::SocketAddr;

pub fn identify(peer: SocketAddr, local: SocketAddr) -> Result<Caller, CallerError> {
    match client_session(peer, local).map_err(io)? {
        ClientSession::Ourselves | ClientSession::Privileged => Ok(Caller::Privileged),
        ClientSession::Session(session) => Ok(Caller::User(session)),
        ClientSession::NotFound => Err(CallerError::Unknown(peer)),
    }
}

pub fn console() -> Result<Console, CallerError> {
    Ok(match console_session().map_err(io)? {
        ConsoleSession::Vacant => Console::Vacant,
        ConsoleSession::Attached { session, locked } => Console::Active {
            user: session,
            locked,
        },
    })
}

fn io(error: crate::win::caller::CallerError) -> CallerError {
    CallerError::Io(std::io::Error::other(error))
}
