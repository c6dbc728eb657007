//! The laser ID's read (SPEC §2): the laser applet's SELECT, then its record, in every
//! shape public readers describe, in at most [`MAX_LASER_COMMANDS`] commands. Whatever
//! the card answers, the read goes on: a card without a laser ID is still a card.

use super::{Ask, CardChannel, CardSession, Malformed, ReadError, Step};
use crate::apdu::{Command, Instruction, Status, StatusWord};
use crate::laser::{LaserId, LaserIdError, RECORD_LEN};

/// The most commands the laser ID may take, its SELECT included: with the login
/// fields' 7, a login read at insertion stays within 10.
pub const MAX_LASER_COMMANDS: usize = 3;

/// What the laser applet gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LaserRead {
    /// The laser ID.
    Id(LaserId),
    /// `6A 82` to its SELECT: the card has no laser applet (older cards).
    NoApplet,
    /// No laser ID, though the card did not say it lacks the applet.
    Unreadable(LaserUnreadable),
}

impl LaserRead {
    /// The laser ID, where the card gave one: what the card JSON and the assertion carry.
    pub fn laser_id(&self) -> Option<&LaserId> {
        match self {
            LaserRead::Id(id) => Some(id),
            LaserRead::NoApplet | LaserRead::Unreadable(_) => None,
        }
    }
}

/// Why the card gave no laser ID. None of these carries the ID, so each may be logged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LaserUnreadable {
    /// A status word outside the protocol, to the SELECT or to the read.
    #[error("{step}: the card answered {sw} ({}) to {instruction}", sw.description())]
    Status {
        /// The SELECT or the read.
        step: Step,
        /// The command the card answered.
        instruction: Instruction,
        /// Its answer.
        sw: StatusWord,
    },
    /// An answer that breaks the protocol, or one that needs more commands than allowed.
    #[error("{step}: malformed answer to {instruction}: {problem}")]
    Malformed {
        /// The SELECT or the read.
        step: Step,
        /// The command the card answered.
        instruction: Instruction,
        /// What is wrong with the answer.
        problem: Malformed,
    },
    /// The data came, but holds no laser ID (its length or its bytes are wrong).
    #[error("reading the laser ID: {0}")]
    NotAnId(LaserIdError),
}

impl<C: CardChannel> CardSession<C> {
    /// The laser ID, after the MOI reads. Only a failed channel (card pulled out, reader
    /// gone) is an error; any answer of the card is a [`LaserRead`].
    pub fn read_laser(&mut self) -> Result<LaserRead, ReadError<C::Error>> {
        let select = Command::select_laser();
        let sw = match self.send(select, Step::SelectLaser) {
            Ok((_, sw)) => sw,
            Err(error) => return unreadable(error),
        };
        match sw.meaning() {
            Status::Ok | Status::MoreData(_) => {}
            _ if sw == StatusWord::FILE_NOT_FOUND => return Ok(LaserRead::NoApplet),
            Status::WrongLength(_) | Status::Error => {
                return Ok(LaserRead::Unreadable(LaserUnreadable::Status {
                    step: Step::SelectLaser,
                    instruction: select.instruction(),
                    sw,
                }))
            }
        }
        // Ask for the whole record (Le 17), as the Android reader does: a card that sends
        // it at once needs no follow-up, and every other shape public readers show (`61 10`
        // after the 7 header bytes or alone, `61 17`, `6C xx`) needs exactly one (GET
        // RESPONSE or the resend), so 2 or 3 commands in all. Le 07, as go-thai-smartcard
        // asks, would cost the direct cards a GET RESPONSE and save the others nothing.
        let ask = Ask {
            step: Step::ReadLaser,
            room: RECORD_LEN,
            // Fewer bytes with 90 00 may be the 16-byte field: its length tells.
            fewer_ok: true,
            max_commands: MAX_LASER_COMMANDS - 1,
        };
        let answer = match self.exchange(Command::read_laser(RECORD_LEN), ask) {
            Ok(answer) => answer,
            Err(error) => return unreadable(error),
        };
        Ok(match LaserId::from_answer(&answer) {
            Ok(id) => LaserRead::Id(id),
            Err(error) => LaserRead::Unreadable(LaserUnreadable::NotAnId(error)),
        })
    }
}

/// The card's odd answer as the reason it gave no laser ID; a failed channel stays an error.
fn unreadable<E: std::error::Error>(error: ReadError<E>) -> Result<LaserRead, ReadError<E>> {
    let reason = match error {
        ReadError::Status {
            step,
            instruction,
            sw,
        } => LaserUnreadable::Status {
            step,
            instruction,
            sw,
        },
        ReadError::Malformed {
            step,
            instruction,
            problem,
        } => LaserUnreadable::Malformed {
            step,
            instruction,
            problem,
        },
        channel @ ReadError::Channel { .. } => return Err(channel),
    };
    Ok(LaserRead::Unreadable(reason))
}

#[cfg(test)]
mod tests;
