//! Linux: the TCP sockets of `/proc/net/tcp` and `/proc/net/tcp6`, with the uid that
//! owns each. Who holds a port on this machine, without asking the holder.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The kernel's `TCP_LISTEN` state, as `/proc/net/tcp` prints it (`0A`).
const LISTEN: u8 = 0x0A;

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Socket {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// The kernel's TCP state number.
    pub state: u8,
    pub uid: u32,
}

impl Socket {
    pub fn listening(&self) -> bool {
        self.state == LISTEN
    }
}

/// The uid of the socket listening on `ip`:`port` (or on the unspecified address of its
/// family, which takes `ip` too); `None` when nothing listens or the table is unreadable.
pub fn listener_uid(ip: IpAddr, port: u16) -> Option<u32> {
    let table = match ip {
        IpAddr::V4(_) => "/proc/net/tcp",
        IpAddr::V6(_) => "/proc/net/tcp6",
    };
    let text = std::fs::read_to_string(table).ok()?;
    parse(&text)
        .into_iter()
        .filter(|socket| socket.listening() && socket.local.port() == port)
        .find(|socket| socket.local.ip() == ip || socket.local.ip().is_unspecified())
        .map(|socket| socket.uid)
}

/// The rows of a `/proc/net/tcp{,6}` text; rows that do not parse are skipped.
pub fn parse(text: &str) -> Vec<Socket> {
    text.lines().skip(1).filter_map(row).collect()
}

fn row(line: &str) -> Option<Socket> {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
    let fields: Vec<&str> = line.split_whitespace().collect();
    Some(Socket {
        local: address(fields.get(1)?)?,
        remote: address(fields.get(2)?)?,
        state: u8::from_str_radix(fields.get(3)?, 16).ok()?,
        uid: fields.get(7)?.parse().ok()?,
    })
}

/// `0100007F:B869`: the address as the kernel's 32-bit words in host byte order, then
/// the port in hex.
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
