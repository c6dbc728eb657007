//! The commands the agent sends and the status words the card answers.
//!
//! Only reading commands exist here on purpose: a citizen's card must never be
//! written to or locked by a PIN VERIFY.

use std::fmt;

/// Application id of the Ministry of Interior applet.
pub const MOI_AID: [u8; 8] = [0xA0, 0x00, 0x00, 0x00, 0x54, 0x48, 0x00, 0x01];

/// Which command a status word answered, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instruction {
    /// SELECT by application id.
    Select,
    /// READ BINARY at an offset of the selected file.
    ReadBinary,
    /// GET RESPONSE: the rest of an answer the card announced with `61 xx`.
    GetResponse,
    /// The laser applet's read of the number printed on the card's back.
    ReadLaser,
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Instruction::Select => "SELECT",
            Instruction::ReadBinary => "READ BINARY",
            Instruction::GetResponse => "GET RESPONSE",
            Instruction::ReadLaser => "READ LASER ID",
        })
    }
}

/// A command APDU (at most 13 bytes: SELECT with the 8-byte AID).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Command {
    instruction: Instruction,
    bytes: [u8; 13],
    len: u8,
}

impl Command {
    /// `00 A4 04 00 08 <MOI AID>`.
    pub fn select_moi() -> Command {
        Command::select(&MOI_AID)
    }

    /// `00 A4 04 00 08 <laser AID>`: the applet that holds the laser ID.
    pub fn select_laser() -> Command {
        Command::select(&crate::laser::LASER_AID)
    }

    fn select(aid: &[u8; 8]) -> Command {
        let mut bytes = [0u8; 13];
        bytes[..5].copy_from_slice(&[0x00, 0xA4, 0x04, 0x00, 0x08]);
        bytes[5..].copy_from_slice(aid);
        Command {
            instruction: Instruction::Select,
            bytes,
            len: 13,
        }
    }

    /// `80 00 00 00 Le`: the laser applet's answer with the laser ID (SPEC §2).
    pub fn read_laser(le: u8) -> Command {
        Command::short(Instruction::ReadLaser, &[0x80, 0x00, 0x00, 0x00, le])
    }

    /// `80 B0 P1 P2 02 00 Le`: `le` bytes at `offset` of the card's file.
    pub fn read_binary(offset: u16, le: u8) -> Command {
        let [p1, p2] = offset.to_be_bytes();
        Command::short(
            Instruction::ReadBinary,
            &[0x80, 0xB0, p1, p2, 0x02, 0x00, le],
        )
    }

    /// `00 C0 00 P2 Le`: the data a `61 xx` answer announced.
    pub fn get_response(p2: u8, le: u8) -> Command {
        Command::short(Instruction::GetResponse, &[0x00, 0xC0, 0x00, p2, le])
    }

    fn short(instruction: Instruction, header: &[u8]) -> Command {
        let mut bytes = [0u8; 13];
        bytes[..header.len()].copy_from_slice(header);
        Command {
            instruction,
            bytes,
            len: header.len() as u8,
        }
    }

    /// The same command asking for `le` bytes instead (the answer to `6C xx`).
    pub fn with_le(mut self, le: u8) -> Command {
        self.bytes[usize::from(self.len) - 1] = le;
        self
    }

    /// Which command this is, for error messages.
    pub fn instruction(&self) -> Instruction {
        self.instruction
    }

    /// The command's bytes as sent to the card.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}]",
            self.instruction,
            crate::hex::spaced(self.as_bytes())
        )
    }
}

/// SW1 SW2, the last two bytes of every answer.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `90 00`: success.
    pub const OK: StatusWord = StatusWord(0x9000);
    /// `6A 82`: no such file or application (a card without the laser applet).
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);

    /// The status word of the answer's last two bytes.
    pub fn new(sw1: u8, sw2: u8) -> StatusWord {
        StatusWord(u16::from_be_bytes([sw1, sw2]))
    }

    /// The first byte (the class of the answer, e.g. `61`, `6C`, `90`).
    pub fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }

    /// The second byte (a count or a detail, depending on SW1).
    pub fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }

    /// What the exchange should do next.
    pub fn meaning(self) -> Status {
        match (self.sw1(), self.sw2()) {
            (0x90, 0x00) => Status::Ok,
            (0x61, n) => Status::MoreData(n),
            (0x6C, n) => Status::WrongLength(n),
            _ => Status::Error,
        }
    }

    /// A short English description of the common ISO 7816-4 status words.
    pub fn description(self) -> &'static str {
        match (self.sw1(), self.sw2()) {
            (0x90, 0x00) => "success",
            (0x61, _) => "more data available",
            (0x62, _) | (0x63, _) => "warning",
            (0x64, _) | (0x65, _) => "execution error",
            (0x67, 0x00) => "wrong length",
            (0x68, _) => "function in CLA not supported",
            (0x69, 0x82) => "security status not satisfied",
            (0x69, 0x85) => "conditions of use not satisfied",
            (0x69, 0x86) => "command not allowed (no current file)",
            (0x69, _) => "command not allowed",
            (0x6A, 0x82) => "file or application not found",
            (0x6A, 0x86) => "incorrect P1 P2",
            (0x6A, _) => "wrong parameters",
            (0x6B, 0x00) => "offset outside the file",
            (0x6C, _) => "wrong Le",
            (0x6D, 0x00) => "instruction not supported",
            (0x6E, 0x00) => "class not supported",
            (0x6F, _) => "card error, no precise diagnosis",
            _ => "unknown status",
        }
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X} {:02X}", self.sw1(), self.sw2())
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({self})")
    }
}

/// How the transport reads a status word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `90 00`.
    Ok,
    /// `61 xx`: xx bytes wait for a GET RESPONSE (00 means 256).
    MoreData(u8),
    /// `6C xx`: resend with Le = xx.
    WrongLength(u8),
    /// Anything else.
    Error,
}

/// Splits a raw answer into its data and status word; `None` when it is shorter than a status word.
pub fn split_answer(answer: &[u8]) -> Option<(&[u8], StatusWord)> {
    let (data, sw) = answer.split_at_checked(answer.len().checked_sub(2)?)?;
    Some((data, StatusWord::new(sw[0], sw[1])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_bytes() {
        assert_eq!(
            Command::select_moi().as_bytes(),
            [0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x00, 0x54, 0x48, 0x00, 0x01]
        );
        assert_eq!(
            Command::read_binary(0x1579, 0xA0).as_bytes(),
            [0x80, 0xB0, 0x15, 0x79, 0x02, 0x00, 0xA0]
        );
        assert_eq!(
            Command::get_response(0x01, 0x0D).as_bytes(),
            [0x00, 0xC0, 0x00, 0x01, 0x0D]
        );
        assert_eq!(
            Command::read_binary(4, 255).with_le(13).as_bytes(),
            [0x80, 0xB0, 0x00, 0x04, 0x02, 0x00, 0x0D]
        );
        assert_eq!(
            format!("{:?}", Command::get_response(0, 0x0A)),
            "GET RESPONSE [00 C0 00 00 0A]"
        );
    }

    #[test]
    fn status_words() {
        assert_eq!(StatusWord::new(0x90, 0x00).meaning(), Status::Ok);
        assert_eq!(
            StatusWord::new(0x61, 0x0A).meaning(),
            Status::MoreData(0x0A)
        );
        assert_eq!(
            StatusWord::new(0x6C, 0x0D).meaning(),
            Status::WrongLength(0x0D)
        );
        for sw in [
            0x6A82, 0x6982, 0x6B00, 0x6D00, 0x6E00, 0x6F00, 0x9001, 0x0000,
        ] {
            assert_eq!(StatusWord(sw).meaning(), Status::Error, "{sw:04X}");
        }
        assert_eq!(StatusWord(0x6A82).to_string(), "6A 82");
        assert_eq!(
            StatusWord(0x6A82).description(),
            "file or application not found"
        );
    }

    #[test]
    fn answers_split_into_data_and_status() {
        assert_eq!(split_answer(&[0x90, 0x00]), Some((&[][..], StatusWord::OK)));
        assert_eq!(
            split_answer(&[1, 2, 0x61, 0x05]),
            Some((&[1, 2][..], StatusWord(0x6105)))
        );
        assert_eq!(split_answer(&[0x90]), None);
        assert_eq!(split_answer(&[]), None);
    }
}
