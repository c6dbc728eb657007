//! The exchange rules of the card, written once: SELECT, READ BINARY, `61 xx` + GET
//! RESPONSE (P2 = 01 for ATRs starting `3B 67`), data with `90 00` at once, `6C xx`
//! resend, and a typed error naming the field and status word for anything else.

use crate::apdu::{split_answer, Command, Instruction, Status, StatusWord};
use crate::image::CardImage;
use crate::layout::{Chunk, Field, ReadPlan};
use std::fmt;

pub mod laser;

/// Sends one command APDU to the card and returns its whole answer (data + SW1 SW2).
///
/// The agent implements it over PC/SC; tests implement it over a card in memory.
pub trait CardChannel {
    /// Why a transmission failed (the reader's error).
    type Error: std::error::Error + 'static;

    /// Sends `command` and writes the answer into `answer`; answers the part written.
    fn transmit<'a>(
        &mut self,
        command: &[u8],
        answer: &'a mut [u8],
    ) -> Result<&'a [u8], Self::Error>;
}

/// Room for the longest answer: 256 data bytes and the status word.
const ANSWER_CAPACITY: usize = 258;

/// One READ may be followed by a few GET RESPONSE or 6C resends; a card that keeps
/// asking for more than this is broken, not slow.
const MAX_EXCHANGES: usize = 8;

/// What the agent was doing when the card failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Selecting the MOI applet.
    Select,
    /// Reading the file at `offset`.
    Read {
        /// Where in the file.
        offset: u16,
    },
    /// Selecting the laser ID applet.
    SelectLaser,
    /// Reading the laser ID.
    ReadLaser,
}

impl Step {
    /// The field being read, if any.
    pub fn field(self) -> Option<Field> {
        match self {
            Step::Read { offset } => Field::at(offset),
            Step::Select | Step::SelectLaser | Step::ReadLaser => None,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.field()) {
            (Step::Select, _) => f.write_str("selecting the Thai ID applet"),
            (Step::Read { offset }, Some(field)) => {
                write!(f, "reading {field} (offset 0x{offset:04X})")
            }
            (Step::Read { offset }, None) => write!(f, "reading offset 0x{offset:04X}"),
            (Step::SelectLaser, _) => f.write_str("selecting the laser ID applet"),
            (Step::ReadLaser, _) => f.write_str("reading the laser ID"),
        }
    }
}

/// An answer that breaks the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// Fewer bytes than a status word.
    #[error("the answer has {0} byte(s), fewer than a status word")]
    NoStatusWord(usize),
    #[error("{got} data bytes where {expected} were due")]
    /// Fewer data bytes than the card said it had.
    Short {
        /// What the card announced.
        expected: usize,
        /// What came.
        got: usize,
    },
    #[error("{got} data bytes where {expected} were asked for")]
    /// More data bytes than were asked for.
    Long {
        /// What was asked for.
        expected: usize,
        /// What came.
        got: usize,
    },
    #[error("it offers {offered} bytes where at most {room} were asked for")]
    /// A `61 xx` or `6C xx` offering more than was asked for.
    BadLength {
        /// What the card offered.
        offered: usize,
        /// What was asked for.
        room: usize,
    },
    /// More commands (GET RESPONSE or resends) than one read may take: that limit.
    #[error("it asked for more than {0} exchanges for one read")]
    Endless(usize),
}

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError<E: std::error::Error + 'static> {
    /// The channel failed: card removed, reader gone, service stopped.
    #[error("{step}: {source}")]
    Channel {
        /// What was being done.
        step: Step,
        /// The channel's error.
        #[source]
        source: E,
    },
    /// The card answered a status word that is not part of the protocol.
    #[error("{step}: the card answered {sw} ({}) to {instruction}", sw.description())]
    Status {
        /// What was being done.
        step: Step,
        /// The command the card answered.
        instruction: Instruction,
        /// Its answer.
        sw: StatusWord,
    },
    /// The card's answer broke the protocol.
    #[error("{step}: malformed answer to {instruction}: {problem}")]
    Malformed {
        /// What was being done.
        step: Step,
        /// The command the card answered.
        instruction: Instruction,
        /// What is wrong with the answer.
        problem: Malformed,
    },
}

impl<E: std::error::Error + 'static> ReadError<E> {
    /// What was being done when it failed.
    pub fn step(&self) -> Step {
        match self {
            ReadError::Channel { step, .. }
            | ReadError::Status { step, .. }
            | ReadError::Malformed { step, .. } => *step,
        }
    }
}

/// What one command and its follow-ups may bring back.
#[derive(Clone, Copy, Debug)]
struct Ask {
    /// What is being done, for errors.
    step: Step,
    /// The most data bytes the answer may carry: the command's Le.
    room: u8,
    /// Whether data + `90 00` with fewer bytes than announced is an answer (ISO 7816-4's
    /// Le is a maximum) or malformed (a READ BINARY owes every byte it was asked for).
    fewer_ok: bool,
    /// The most commands it may take, follow-ups included.
    max_commands: usize,
}

/// A conversation with one inserted card.
pub struct CardSession<C> {
    channel: C,
    get_response_p2: u8,
    commands_sent: u32,
}

impl<C: CardChannel> CardSession<C> {
    /// Cards whose ATR starts `3B 67` want GET RESPONSE with P2 = 01.
    pub fn new(channel: C, atr: &[u8]) -> CardSession<C> {
        let get_response_p2 = u8::from(atr.starts_with(&[0x3B, 0x67]));
        CardSession {
            channel,
            get_response_p2,
            commands_sent: 0,
        }
    }

    /// How many APDUs this session has sent.
    pub fn commands_sent(&self) -> u32 {
        self.commands_sent
    }

    /// The channel back, for the card's next session.
    pub fn into_channel(self) -> C {
        self.channel
    }

    /// Selects the MOI applet. Its answer (`61 0A` or `90 00`) carries nothing the
    /// agent needs, so no GET RESPONSE follows: one APDU saved per read.
    pub fn select(&mut self) -> Result<(), ReadError<C::Error>> {
        let command = Command::select_moi();
        let (_, sw) = self.send(command, Step::Select)?;
        match sw.meaning() {
            Status::Ok | Status::MoreData(_) => Ok(()),
            Status::WrongLength(_) | Status::Error => Err(ReadError::Status {
                step: Step::Select,
                instruction: command.instruction(),
                sw,
            }),
        }
    }

    /// Reads every chunk of `plan`; nothing is returned unless all of it was read.
    pub fn read(&mut self, plan: &ReadPlan) -> Result<CardImage, ReadError<C::Error>> {
        let mut image = CardImage::new();
        for &Chunk { offset, len } in plan.chunks() {
            let end = offset + u16::from(len);
            let mut at = offset;
            // A card may announce fewer bytes than asked (61 xx or 6C xx): go on from there.
            while at < end {
                let data = self.read_once(at, (end - at) as u8)?;
                image.put(at, &data);
                at += data.len() as u16;
            }
        }
        Ok(image)
    }

    /// One READ BINARY with its GET RESPONSE or 6C follow-ups: 1 to `le` bytes.
    fn read_once(&mut self, offset: u16, le: u8) -> Result<Vec<u8>, ReadError<C::Error>> {
        let ask = Ask {
            step: Step::Read { offset },
            room: le,
            fewer_ok: false,
            max_commands: MAX_EXCHANGES,
        };
        self.exchange(Command::read_binary(offset, le), ask)
    }

    /// `command` and its GET RESPONSE or 6C follow-ups, as `ask` allows: the data, at
    /// most `ask.room` bytes. The one place the card's `61 xx` and `6C xx` are followed.
    fn exchange(&mut self, mut command: Command, ask: Ask) -> Result<Vec<u8>, ReadError<C::Error>> {
        let Ask {
            step,
            fewer_ok,
            max_commands,
            ..
        } = ask;
        let room = usize::from(ask.room);
        let mut expected = room;
        let mut data = Vec::with_capacity(room);
        for _ in 0..max_commands {
            let (answer, sw) = self.send(command, step)?;
            data.extend_from_slice(&answer);
            let malformed = |problem| ReadError::Malformed {
                step,
                instruction: command.instruction(),
                problem,
            };
            if data.len() > expected {
                return Err(malformed(Malformed::Long {
                    expected,
                    got: data.len(),
                }));
            }
            let announced = match sw.meaning() {
                Status::Ok if data.len() < expected && !fewer_ok => {
                    return Err(malformed(Malformed::Short {
                        expected,
                        got: data.len(),
                    }))
                }
                Status::Ok => return Ok(data),
                Status::Error => {
                    return Err(ReadError::Status {
                        step,
                        instruction: command.instruction(),
                        sw,
                    })
                }
                Status::MoreData(n) | Status::WrongLength(n) => match n {
                    0 => 256,
                    n => usize::from(n),
                },
            };
            let remaining = room - data.len();
            if announced > remaining {
                return Err(malformed(Malformed::BadLength {
                    offered: announced,
                    room: remaining,
                }));
            }
            expected = data.len() + announced;
            command = match sw.meaning() {
                Status::MoreData(n) => Command::get_response(self.get_response_p2, n),
                _ => command.with_le(announced as u8),
            };
        }
        Err(ReadError::Malformed {
            step,
            instruction: command.instruction(),
            problem: Malformed::Endless(max_commands),
        })
    }

    fn send(
        &mut self,
        command: Command,
        step: Step,
    ) -> Result<(Vec<u8>, StatusWord), ReadError<C::Error>> {
        let mut buffer = [0u8; ANSWER_CAPACITY];
        self.commands_sent += 1;
        let answer = self
            .channel
            .transmit(command.as_bytes(), &mut buffer)
            .map_err(|source| ReadError::Channel { step, source })?;
        let (data, sw) = split_answer(answer).ok_or(ReadError::Malformed {
            step,
            instruction: command.instruction(),
            problem: Malformed::NoStatusWord(answer.len()),
        })?;
        Ok((data.to_vec(), sw))
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod transcript;
