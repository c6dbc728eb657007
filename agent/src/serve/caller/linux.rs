//! Linux: the caller's uid is the owner of its socket in `/proc/net/tcp{,6}`; the active
//! local session is logind's: `ACTIVE_UID` of `/run/systemd/seats/seat0` (what
//! `sd_seat_get_active` reads). No seat0 there: no session manager.

use super::{Caller, CallerError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
    let table = match peer {
        SocketAddr::V4(_) => "/proc/net/tcp",
        SocketAddr::V6(_) => "/proc/net/tcp6",
    };
    let text = std::fs::read_to_string(table)?;
    find_uid(&text, peer, local).ok_or(CallerError::Unknown(peer))
}

/// In a `/proc/net/tcp{,6}` table, the uid of the socket bound to `from` and connected to `to`.
fn find_uid(table: &str, from: SocketAddr, to: SocketAddr) -> Option<u32> {
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (near, far, uid) = (fields.get(1)?, fields.get(2)?, fields.get(7)?);
        (parse_endpoint(near)? == from && parse_endpoint(far)? == to)
            .then(|| uid.parse().ok())
            .flatten()
    })
}

/// `0100007F:B829` (IPv4) or 32 hex digits and a port (IPv6): the address as the kernel
/// prints it, each 32-bit word in the machine's byte order.
fn parse_endpoint(text: &str) -> Option<SocketAddr> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let hex = address.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(hex, 16).ok()?.to_ne_bytes())
    };
    let ip = match address.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_endian = "little")]
    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:B829 00000000:0000 0A 00000000:00000000 00:00000000 00000000   998        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D431 0100007F:B829 01 00000000:00000000 00:00000000 00000000  1001        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:B829 0100007F:D431 01 00000000:00000000 00:00000000 00000000   998        0 3 1 0000000000000000 20 4 30 10 -1
";

    #[cfg(target_endian = "little")]
    const TABLE6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:D432 00000000000000000000000001000000:B829 01 00000000:00000000 00:00000000 00000000  1002        0 4 1 0000000000000000 20 4 30 10 -1
";

    #[test]
    #[cfg(target_endian = "little")]
    fn the_client_end_of_a_connection_names_its_user() {
        let agent: SocketAddr = "127.0.0.1:47145".parse().unwrap();
        let client: SocketAddr = "127.0.0.1:54321".parse().unwrap();
        assert_eq!(find_uid(TABLE, client, agent), Some(1001));
        // The service's own end, and a connection that is not there, name nobody else.
        assert_eq!(find_uid(TABLE, agent, client), Some(998));
        let absent: SocketAddr = "127.0.0.1:54322".parse().unwrap();
        assert_eq!(find_uid(TABLE, absent, agent), None);
        let agent6: SocketAddr = "[::1]:47145".parse().unwrap();
        let client6: SocketAddr = "[::1]:54322".parse().unwrap();
        assert_eq!(find_uid(TABLE6, client6, agent6), Some(1002));
    }

    #[test]
    fn malformed_lines_are_no_match() {
        let agent: SocketAddr = "127.0.0.1:47145".parse().unwrap();
        for table in [
            "",
            "header only",
            "h\n 0: zz:B829 0100007F:B829 01 x x x 5",
            "h\n 0: 0100007F",
        ] {
            assert_eq!(find_uid(table, agent, agent), None, "{table:?}");
        }
    }
}
