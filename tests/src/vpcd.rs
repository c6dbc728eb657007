//! The vpcd wire protocol (SPEC §8): the card is the TCP client of vsmartcard-vpcd.
//!
//! Every message, both ways, is a 2-byte big-endian length + payload. A 1-byte message from
//! vpcd is a control (power off, power on, reset, get ATR); a longer one is an APDU.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use crate::card::Card;

/// The TCP port vpcd listens on for the card of reader `slot` ("Virtual PCD 00 <slot>").
pub fn port(slot: u8) -> u16 {
    35963 + u16::from(slot)
}

/// Where the card of reader `slot` connects.
pub fn address(slot: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port(slot)))
}

/// One message from vpcd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    PowerOff,
    PowerOn,
    Reset,
    GetAtr,
    /// A control byte this emulator does not know; ignored.
    UnknownControl(u8),
    Apdu(Vec<u8>),
}

impl Message {
    pub fn parse(payload: Vec<u8>) -> Message {
        match payload.as_slice() {
            [0] => Message::PowerOff,
            [1] => Message::PowerOn,
            [2] => Message::Reset,
            [4] => Message::GetAtr,
            [other] => Message::UnknownControl(*other),
            _ => Message::Apdu(payload),
        }
    }
}

/// Why a session with vpcd ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// vpcd (or our own `remove`) closed the connection.
    Closed,
    /// The `remove_after` fault pulled the card out.
    RemovedByFault,
    /// Reading or writing the socket failed.
    Failed(io::Error),
}

/// Reads one message; `None` when the peer closed the connection between messages.
pub fn read_message(reader: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 2];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(err),
    }
    let mut payload = vec![0u8; usize::from(u16::from_be_bytes(header))];
    reader.read_exact(&mut payload)?;
    Ok(Some(payload))
}

/// Writes one message, length and payload in a single write.
pub fn write_message(writer: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, "vpcd message over 65535 bytes")
    })?;
    let mut message = Vec::with_capacity(payload.len() + 2);
    message.extend_from_slice(&len.to_be_bytes());
    message.extend_from_slice(payload);
    writer.write_all(&message)?;
    writer.flush()
}

/// Asks the kernel to acknowledge at once. Linux drops back to delayed ACKs after a while, so
/// this is set again before every read: vpcd writes length and payload separately and, with a
/// delayed ACK, every APDU would wait ~40 ms.
#[cfg(target_os = "linux")]
pub fn quick_ack(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let on: libc::c_int = 1;
    // SAFETY: a valid socket fd and a pointer to a c_int that outlives the call.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            std::ptr::addr_of!(on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Other systems have no TCP_QUICKACK; there is nothing to do.
#[cfg(not(target_os = "linux"))]
pub fn quick_ack(_stream: &TcpStream) -> io::Result<()> {
    Ok(())
}

/// Serves `card` on an open vpcd connection until it closes or a fault removes the card.
pub fn serve(mut stream: TcpStream, card: &mut Card) -> SessionEnd {
    let end = match serve_inner(&mut stream, card) {
        Ok(end) => end,
        Err(err) => SessionEnd::Failed(err),
    };
    // Shut down rather than just drop: a clone of the stream (the handle's, to stop the session)
    // would keep the connection open, and vpcd would wait for an answer forever.
    let _ = stream.shutdown(Shutdown::Both);
    end
}

fn serve_inner(stream: &mut TcpStream, card: &mut Card) -> io::Result<SessionEnd> {
    stream.set_nodelay(true)?;
    let remove_after = card.faults().remove_after;
    let slow = card.faults().slow;
    loop {
        quick_ack(stream)?;
        let Some(payload) = read_message(stream)? else {
            return Ok(SessionEnd::Closed);
        };
        match Message::parse(payload) {
            Message::PowerOff => card.power_off(),
            Message::PowerOn => card.power_on(),
            Message::Reset => card.reset(),
            Message::GetAtr => write_message(stream, card.atr())?,
            Message::UnknownControl(_) => {}
            Message::Apdu(apdu) => {
                if remove_after.is_some_and(|n| card.apdus_since_power_on() >= n) {
                    card.record_unanswered(&apdu);
                    return Ok(SessionEnd::RemovedByFault);
                }
                let response = card.answer(&apdu);
                if let Some(delay) = slow {
                    thread::sleep(delay);
                }
                write_message(stream, &response)?;
            }
        }
    }
}

/// How long to wait for vpcd to take the connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to vpcd for reader `slot`.
pub fn connect(slot: u8) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&address(slot), CONNECT_TIMEOUT)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_length_prefixed() {
        let mut wire = Vec::new();
        write_message(&mut wire, &[0x90, 0x00]).unwrap();
        assert_eq!(wire, [0x00, 0x02, 0x90, 0x00]);

        let mut reader = io::Cursor::new(vec![0x00, 0x01, 0x04, 0x00, 0x02, 0xAB, 0xCD]);
        assert_eq!(read_message(&mut reader).unwrap(), Some(vec![0x04]));
        assert_eq!(read_message(&mut reader).unwrap(), Some(vec![0xAB, 0xCD]));
        assert_eq!(read_message(&mut reader).unwrap(), None);
    }

    #[test]
    fn a_message_cut_short_is_an_error_not_a_panic() {
        let mut reader = io::Cursor::new(vec![0x00, 0x05, 0x00, 0xA4]);
        assert!(read_message(&mut reader).is_err());
    }

    #[test]
    fn one_byte_messages_are_controls() {
        assert_eq!(Message::parse(vec![0]), Message::PowerOff);
        assert_eq!(Message::parse(vec![1]), Message::PowerOn);
        assert_eq!(Message::parse(vec![2]), Message::Reset);
        assert_eq!(Message::parse(vec![4]), Message::GetAtr);
        assert_eq!(Message::parse(vec![9]), Message::UnknownControl(9));
        assert_eq!(
            Message::parse(vec![0x00, 0xC0, 0x00, 0x00, 0x0A]),
            Message::Apdu(vec![0x00, 0xC0, 0x00, 0x00, 0x0A])
        );
    }

    #[test]
    fn ports_follow_the_slots() {
        assert_eq!(port(0), 35963);
        assert_eq!(port(1), 35964);
    }
}
