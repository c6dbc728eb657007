//! Who is behind a TCP connection to the service, on Windows (SPEC §5 "Caller"): the
//! process owning the client's socket (GetExtendedTcpTable, IPv4 and IPv6), its session
//! (ProcessIdToSessionId), compared with the session at the physical console
//! (WTSGetActiveConsoleSessionId). A service in session 0, another user's remote
//! session, or a socket whose owner cannot be found is not the console's user.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use windows_sys::Win32::Foundation::{ERROR_INSUFFICIENT_BUFFER, NO_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetExtendedTcpTable, MIB_TCP6ROW_OWNER_PID, MIB_TCPROW_OWNER_PID, TCP_TABLE_OWNER_PID_ALL,
};
use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};
use windows_sys::Win32::System::RemoteDesktop::{
    ProcessIdToSessionId, WTSGetActiveConsoleSessionId,
};
use windows_sys::Win32::System::Threading::GetCurrentProcessId;

/// No session is attached to the console (WTSGetActiveConsoleSessionId).
const NO_CONSOLE_SESSION: u32 = 0xFFFF_FFFF;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallerError {
    #[error("cannot read the TCP table: Windows error {0}")]
    TcpTable(u32),
}

/// Where the client of a connection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Session {
    /// In the session at the physical console.
    Console,
    /// This very process (the service asking itself).
    Ourselves,
    /// Another session: session 0 (services), a remote desktop, no console session.
    Other,
    /// No process of this machine owns the socket (or Windows will not say which).
    NotFound,
}

/// Where the client at `peer`, connected to us at `local`, runs.
pub fn session_of(peer: SocketAddr, local: SocketAddr) -> Result<Session, CallerError> {
    let Some(pid) = owner_of(peer, local)?.filter(|pid| *pid != 0) else {
        return Ok(Session::NotFound);
    };
    // SAFETY: no arguments, no preconditions.
    if pid == unsafe { GetCurrentProcessId() } {
        return Ok(Session::Ourselves);
    }
    // SAFETY: no arguments, no preconditions.
    let console = unsafe { WTSGetActiveConsoleSessionId() };
    let mut session = 0u32;
    // SAFETY: `session` is a valid out pointer.
    if unsafe { ProcessIdToSessionId(pid, &mut session) } == 0 {
        return Ok(Session::NotFound);
    }
    Ok(match console != NO_CONSOLE_SESSION && session == console {
        true => Session::Console,
        false => Session::Other,
    })
}

/// The pid owning the socket whose local end is `peer` and remote end `local`: the
/// client's side of our connection.
fn owner_of(peer: SocketAddr, local: SocketAddr) -> Result<Option<u32>, CallerError> {
    match (peer.ip(), local.ip()) {
        (IpAddr::V4(peer_ip), IpAddr::V4(local_ip)) => {
            let rows: Vec<MIB_TCPROW_OWNER_PID> = table(AF_INET)?;
            Ok(rows
                .iter()
                .find(|row| {
                    Ipv4Addr::from(row.dwLocalAddr.to_ne_bytes()) == peer_ip
                        && port(row.dwLocalPort) == peer.port()
                        && Ipv4Addr::from(row.dwRemoteAddr.to_ne_bytes()) == local_ip
                        && port(row.dwRemotePort) == local.port()
                })
                .map(|row| row.dwOwningPid))
        }
        (IpAddr::V6(peer_ip), IpAddr::V6(local_ip)) => {
            let rows: Vec<MIB_TCP6ROW_OWNER_PID> = table(AF_INET6)?;
            Ok(rows
                .iter()
                .find(|row| {
                    Ipv6Addr::from(row.ucLocalAddr) == peer_ip
                        && port(row.dwLocalPort) == peer.port()
                        && Ipv6Addr::from(row.ucRemoteAddr) == local_ip
                        && port(row.dwRemotePort) == local.port()
                })
                .map(|row| row.dwOwningPid))
        }
        // A v4-mapped peer on a v6 socket: the v4 table holds it.
        (IpAddr::V6(peer_ip), IpAddr::V4(_)) | (IpAddr::V4(_), IpAddr::V6(peer_ip)) => {
            match peer_ip.to_ipv4_mapped() {
                Some(v4) => owner_of(SocketAddr::new(v4.into(), peer.port()), local),
                None => Ok(None),
            }
        }
    }
}

/// The port of a table row: network byte order in the low 16 bits.
fn port(raw: u32) -> u16 {
    u16::from_be((raw & 0xFFFF) as u16)
}

/// The rows of the TCP table of `family`; `Row` is the family's OWNER_PID row type.
fn table<Row: Copy>(family: u16) -> Result<Vec<Row>, CallerError> {
    let mut size = 0u32;
    let mut buffer: Vec<u64> = Vec::new();
    // The table grows between the size query and the read: retry a few times.
    for _ in 0..5 {
        // SAFETY: `buffer` holds `size` bytes (8-aligned, as the rows need).
        let code = unsafe {
            GetExtendedTcpTable(
                buffer.as_mut_ptr().cast(),
                &mut size,
                0,
                u32::from(family),
                TCP_TABLE_OWNER_PID_ALL,
                0,
            )
        };
        match code {
            NO_ERROR => {
                if buffer.is_empty() {
                    return Ok(Vec::new());
                }
                let base = buffer.as_ptr().cast::<u8>();
                // SAFETY: the table starts with dwNumEntries, rows follow at the row
                // type's alignment (after a u32 padded to it); the count is bounded by
                // the bytes the call wrote.
                unsafe {
                    let count = base.cast::<u32>().read_unaligned() as usize;
                    let offset = std::mem::align_of::<Row>().max(4);
                    let room = (size as usize).saturating_sub(offset) / std::mem::size_of::<Row>();
                    let rows = base.add(offset).cast::<Row>();
                    return Ok((0..count.min(room))
                        .map(|index| rows.add(index).read_unaligned())
                        .collect());
                }
            }
            ERROR_INSUFFICIENT_BUFFER => {
                buffer = vec![0u64; (size as usize).div_ceil(8) + 64];
                size = (buffer.len() * 8) as u32;
            }
            code => return Err(CallerError::TcpTable(code)),
        }
    }
    Err(CallerError::TcpTable(ERROR_INSUFFICIENT_BUFFER))
}
