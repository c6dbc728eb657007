//! Windows: the owner of the client's socket and its session, against the console's
//! (the calls, and their `unsafe`, are in `crate::win::caller`). A process in session 0
//! (a service) or in a remote desktop session is not the person at the machine; a
//! socket no Windows process owns (under Wine: a Linux process) is refused too.

use super::{Caller, CallerError};
use crate::win::caller::{session_of, Session};
use std::net::SocketAddr;

pub fn identify(peer: SocketAddr, local: SocketAddr) -> Result<Caller, CallerError> {
    match session_of(peer, local) {
        Ok(Session::Console | Session::Ourselves) => Ok(Caller::Local),
        Ok(Session::Other) => Ok(Caller::OtherUser),
        Ok(Session::NotFound) => Err(CallerError::Unknown(peer)),
        Err(error) => Err(CallerError::Io(std::io::Error::other(error))),
    }
}
