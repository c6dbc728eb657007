//! Who is behind a TCP connection to the service, on Windows (SPEC §5 "Caller"): the
//! process owning the client's socket (GetExtendedTcpTable, IPv4 and IPv6), whether it is
//! privileged (elevated or LocalSystem, `super::token`), else its session
//! (ProcessIdToSessionId), and the session at the physical console
//! (WTSGetActiveConsoleSessionId) with its lock state (WTSQuerySessionInformationW,
//! WTSSessionInfoEx). A service in session 0, another user's remote session, or a
//! socket whose owner cannot be found is not the console's user.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use windows_sys::Win32::Foundation::{ERROR_INSUFFICIENT_BUFFER, NO_ERROR};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetExtendedTcpTable, MIB_TCP6ROW_OWNER_PID, MIB_TCPROW_OWNER_PID, TCP_TABLE_OWNER_PID_ALL,
};
use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};
use windows_sys::Win32::System::RemoteDesktop::{
    ProcessIdToSessionId, WTSFreeMemory, WTSGetActiveConsoleSessionId, WTSQuerySessionInformationW,
    WTSSessionInfoEx, WTSINFOEXW, WTS_CURRENT_SERVER_HANDLE, WTS_SESSIONSTATE_UNLOCK,
};
use windows_sys::Win32::System::Threading::GetCurrentProcessId;

/// No session is attached to the console (WTSGetActiveConsoleSessionId).
const NO_CONSOLE_SESSION: u32 = 0xFFFF_FFFF;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallerError {
    #[error("cannot read the TCP table: Windows error {0}")]
    TcpTable(u32),
    #[error("cannot ask Windows whether session {session} is locked: {source}")]
    LockState {
        session: u32,
        source: std::io::Error,
    },
}

/// Where the client of a connection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientSession {
    /// This very process (the service asking itself).
    Ourselves,
    /// An elevated process or LocalSystem's, which the state dir's ACL lets use the key.
    Privileged,
    /// A process in this session: the console's, session 0 (services), a remote desktop.
    Session(u32),
    /// No process of this machine owns the socket (or Windows will not say which).
    NotFound,
}

/// The session at the physical console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleSession {
    /// None is attached (between sessions).
    Vacant,
    Attached {
        session: u32,
        locked: bool,
    },
}

/// Where the client at `peer`, connected to us at `local`, runs.
pub fn client_session(peer: SocketAddr, local: SocketAddr) -> Result<ClientSession, CallerError> {
    let Some(pid) = owner_of(peer, local)?.filter(|pid| *pid != 0) else {
        return Ok(ClientSession::NotFound);
    };
    // SAFETY: no arguments, no preconditions.
    if pid == unsafe { GetCurrentProcessId() } {
        return Ok(ClientSession::Ourselves);
    }
    if super::token::is_privileged(pid) {
        return Ok(ClientSession::Privileged);
    }
    let mut session = 0u32;
    // SAFETY: `session` is a valid out pointer.
    if unsafe { ProcessIdToSessionId(pid, &mut session) } == 0 {
        return Ok(ClientSession::NotFound);
    }
    Ok(ClientSession::Session(session))
}

/// The console's session and whether it is locked.
pub fn console_session() -> Result<ConsoleSession, CallerError> {
    // SAFETY: no arguments, no preconditions.
    let session = unsafe { WTSGetActiveConsoleSessionId() };
    if session == NO_CONSOLE_SESSION {
        return Ok(ConsoleSession::Vacant);
    }
    Ok(ConsoleSession::Attached {
        session,
        locked: is_locked(session)?,
    })
}

/// WTSINFOEX_LEVEL1_W.SessionFlags: only WTS_SESSIONSTATE_UNLOCK is unlocked; LOCK and
/// UNKNOWN count as locked. (Windows 7 and Server 2008 R2 report the two swapped; Rust's
/// Windows targets need Windows 10 or later, so this binary never runs there.)
fn is_locked(session: u32) -> Result<bool, CallerError> {
    let mut buffer: windows_sys::core::PWSTR = std::ptr::null_mut();
    let mut bytes = 0u32;
    // SAFETY: valid out pointers; on success Windows allocates `buffer`, freed below.
    let done = unsafe {
        WTSQuerySessionInformationW(
            WTS_CURRENT_SERVER_HANDLE,
            session,
            WTSSessionInfoEx,
            &mut buffer,
            &mut bytes,
        )
    };
    if done == 0 || buffer.is_null() {
        return Err(CallerError::LockState {
            session,
            source: std::io::Error::last_os_error(),
        });
    }
    let enough = bytes as usize >= std::mem::size_of::<WTSINFOEXW>();
    // SAFETY: `buffer` holds `bytes` bytes, checked to hold a WTSINFOEXW, whose Level 1
    // is the only level Windows defines; read unaligned, then freed once.
    let flags = unsafe {
        let flags = enough.then(|| {
            let info = buffer.cast::<WTSINFOEXW>().read_unaligned();
            (info.Level == 1).then_some(info.Data.WTSInfoExLevel1.SessionFlags)
        });
        WTSFreeMemory(buffer.cast());
        flags.flatten()
    };
    match flags {
        Some(flags) => Ok(flags as u32 != WTS_SESSIONSTATE_UNLOCK),
        None => Err(CallerError::LockState {
            session,
            source: std::io::Error::other("an answer that is not WTSINFOEX level 1"),
        }),
    }
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
