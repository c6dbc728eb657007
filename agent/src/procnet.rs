//! Linux: the TCP sockets of `/proc/net/tcp` and `/proc/net/tcp6`, with the uid that
//! owns each. Who holds a port on this machine, without asking the holder.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The kernel's `TCP_LISTEN` state, as `/proc/net/tcp` prints it (`0A`).
const LISTEN: u8 = 0x0A;
/// `TCP_ESTABLISHED` (`01`).
const ESTABLISHED: u8 = 0x01;

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Socket {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// The kernel's TCP state number.
    pub state: u8,
    pub uid: u32,
    /// The socket's inode; 0 for a row no open socket holds any more (TIME_WAIT, an
    /// orphan being closed), whose uid may be left over from anyone.
    pub inode: u64,
}

impl Socket {
    pub fn listening(&self) -> bool {
        self.state == LISTEN
    }

    /// A connection a process holds open now: only its uid names a live caller.
    pub fn held_open(&self) -> bool {
        self.state == ESTABLISHED && self.inode != 0
    }
}

/// The sockets of `ip`'s family.
pub fn sockets_of(ip: IpAddr) -> std::io::Result<Vec<Socket>> {
    let table = match ip {
        IpAddr::V4(_) => "/proc/net/tcp",
        IpAddr::V6(_) => "/proc/net/tcp6",
    };
    Ok(parse(&std::fs::read_to_string(table)?))
}

/// The uid of the socket listening on `ip`:`port` (or on the unspecified address of its
/// family, which takes `ip` too); `None` when nothing listens or the table is unreadable.
pub fn listener_uid(ip: IpAddr, port: u16) -> Option<u32> {
    sockets_of(ip)
        .ok()?
        .into_iter()
        .filter(|socket| socket.listening() && socket.local.port() == port)
        .find(|socket| socket.local.ip() == ip || socket.local.ip().is_unspecified())
        .map(|socket| socket.uid)
}

/// In `sockets`, the uid of the established one, held open, bound to `from` and
/// connected to `to`.
pub fn connection_uid(sockets: &[Socket], from: SocketAddr, to: SocketAddr) -> Option<u32> {
    (sockets.iter())
        .find(|socket| socket.local == from && socket.remote == to && socket.held_open())
        .map(|socket| socket.uid)
}

/// The rows of a `/proc/net/tcp{,6}` text; rows that do not parse are skipped.
pub fn parse(text: &str) -> Vec<Socket> {
    text.lines().skip(1).filter_map(row).collect()
}

fn row(line: &str) -> Option<Socket> {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    let fields: Vec<&str> = line.split_whitespace().collect();
    Some(Socket {
        local: address(fields.get(1)?)?,
        remote: address(fields.get(2)?)?,
        state: u8::from_str_radix(fields.get(3)?, 16).ok()?,
        uid: fields.get(7)?.parse().ok()?,
        inode: fields.get(9)?.parse().ok()?,
    })
}

/// `0100007F:B869` (IPv4) or 32 hex digits and a port (IPv6): the address as the kernel
/// prints it, each 32-bit word in the machine's byte order, then the port in hex.
fn address(field: &str) -> Option<SocketAddr> {
    let (ip, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for word in 0..ip.len() / 8 {
        let word = ip.get(word * 8..word * 8 + 8)?;
        bytes.extend_from_slice(&u32::from_str_radix(word, 16).ok()?.to_ne_bytes());
    }
    let ip = match bytes.len() {
        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_endian = "little")]
    fn listeners_of_both_families_parse_with_their_uid() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 0100007F:B869 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 1 1 0 100 0 0 10 0\n\
           1: 0100007F:B869 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 20 4 30 10 -1\n\
           bad row\n";
        let sockets = parse(v4);
        assert_eq!(sockets.len(), 2);
        let listener = sockets[0];
        assert!(listener.listening());
        assert_eq!(listener.local, "127.0.0.1:47209".parse().unwrap());
        assert_eq!(listener.uid, 999);
        assert!(!sockets[1].listening());
        assert_eq!(sockets[1].remote, "127.0.0.1:54321".parse().unwrap());

        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 00000000000000000000000001000000:B869 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 100 0 0 10 0\n";
        let sockets = parse(v6);
        assert_eq!(sockets[0].local, "[::1]:47209".parse().unwrap());
        assert_eq!(sockets[0].uid, 1000);
    }

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
        let (table, table6) = (parse(TABLE), parse(TABLE6));
        let agent: SocketAddr = "127.0.0.1:47145".parse().unwrap();
        let client: SocketAddr = "127.0.0.1:54321".parse().unwrap();
        assert_eq!(connection_uid(&table, client, agent), Some(1001));
        // The service's own end, and a connection that is not there, name nobody else.
        assert_eq!(connection_uid(&table, agent, client), Some(998));
        let absent: SocketAddr = "127.0.0.1:54322".parse().unwrap();
        assert_eq!(connection_uid(&table, absent, agent), None);
        let agent6: SocketAddr = "[::1]:47145".parse().unwrap();
        let client6: SocketAddr = "[::1]:54322".parse().unwrap();
        assert_eq!(connection_uid(&table6, client6, agent6), Some(1002));
    }

    /// Rows of client ports: an orphan of root's (uid 0, inode 0), TIME_WAIT rows of
    /// earlier connections (one beside a live connection from the same port), CLOSE_WAIT.
    #[cfg(target_endian = "little")]
    const LEFTOVERS: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:D431 0100007F:B829 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1
   1: 0100007F:D432 0100007F:B829 06 00000000:00000000 03:00000F9E 00000000     0        0 0 3 0000000000000000
   2: 0100007F:D433 0100007F:B829 06 00000000:00000000 03:00000F9E 00000000  1001        0 0 3 0000000000000000
   3: 0100007F:D433 0100007F:B829 01 00000000:00000000 00:00000000 00000000  1003        0 7 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:D434 0100007F:B829 08 00000000:00000000 00:00000000 00000000  1004        0 8 1 0000000000000000 20 4 30 10 -1
";

    #[test]
    #[cfg(target_endian = "little")]
    fn only_established_rows_held_open_name_a_caller() {
        let table = parse(LEFTOVERS);
        assert_eq!(table.len(), 5);
        let agent: SocketAddr = "127.0.0.1:47145".parse().unwrap();
        let port = |port: u16| SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port);
        // An orphan row of root's (inode 0) is not root calling.
        assert_eq!(table[0].uid, 0);
        assert_eq!(table[0].inode, 0);
        assert_eq!(connection_uid(&table, port(54321), agent), None);
        // TIME_WAIT rows name nobody, even beside a live connection of the same port.
        assert_eq!(connection_uid(&table, port(54322), agent), None);
        assert_eq!(connection_uid(&table, port(54323), agent), Some(1003));
        // CLOSE_WAIT (08) is no caller either.
        assert_eq!(connection_uid(&table, port(54324), agent), None);
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
            assert_eq!(
                connection_uid(&parse(table), agent, agent),
                None,
                "{table:?}"
            );
        }
    }

    #[test]
    fn a_listener_of_this_process_is_found_with_this_uid() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        assert_eq!(listener_uid(Ipv4Addr::LOCALHOST.into(), port), Some(uid));
        drop(listener);
        assert_eq!(listener_uid(Ipv4Addr::LOCALHOST.into(), port), None);
    }
}
