//! What can go wrong at the card reader, as one line a user can act on (the PC/SC
//! layer's own error, SPEC §3's exit codes 3 to 6). The command line wraps it.

use thaiid_protocol::decode::DecodeError;
use thaiid_protocol::transport::{ReadError, Step};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    #[error("no card reader found: plug in a card reader")]
    NoReader,
    #[error("no reader named {wanted:?}: the readers are {available}")]
    UnknownReader { wanted: String, available: String },
    #[error("the card reader was unplugged: plug it in and try again")]
    ReaderGone,
    #[error("no card in the reader: insert a Thai national ID card (or give --wait SECONDS)")]
    NoCard,
    #[error("the card was removed during the read: leave it in the reader and try again")]
    CardRemoved,
    #[error("this is not a Thai national ID card ({0}): insert a Thai national ID card")]
    NotThaiIdCard(String),
    #[error(
        "the card does not answer properly ({0}): take it out, wipe the chip and insert it again"
    )]
    CardUnreadable(String),
    #[error("the card's data cannot be decoded ({0}): the card may be damaged; report it to IT")]
    Undecodable(#[from] DecodeError),
    #[error(
        "the smart card service (pcscd) is not running: start it (sudo systemctl start pcscd)"
    )]
    NoService(pcsc::Error),
    #[error("smart card service error: {0}")]
    Pcsc(pcsc::Error),
}

/// Exit codes of `thaiid-agent` (SPEC §3).
pub mod exit {
    pub const OK: u8 = 0;
    pub const NO_READER: u8 = 3;
    pub const NO_CARD: u8 = 4;
    pub const CARD_UNREADABLE: u8 = 5;
    pub const OTHER: u8 = 6;
}

impl CardError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CardError::NoReader | CardError::UnknownReader { .. } | CardError::ReaderGone => {
                exit::NO_READER
            }
            CardError::NoCard => exit::NO_CARD,
            CardError::CardRemoved
            | CardError::NotThaiIdCard(_)
            | CardError::CardUnreadable(_)
            | CardError::Undecodable(_) => exit::CARD_UNREADABLE,
            CardError::NoService(_) | CardError::Pcsc(_) => exit::OTHER,
        }
    }
}

impl From<pcsc::Error> for CardError {
    fn from(error: pcsc::Error) -> CardError {
        use pcsc::Error as E;
        match error {
            E::NoReadersAvailable => CardError::NoReader,
            E::ReaderUnavailable | E::UnknownReader => CardError::ReaderGone,
            E::NoSmartcard | E::RemovedCard | E::ResetCard => CardError::CardRemoved,
            E::UnpoweredCard | E::UnresponsiveCard | E::UnsupportedCard | E::InvalidAtr => {
                CardError::CardUnreadable(error.to_string())
            }
            E::NoService | E::ServiceStopped | E::CommError | E::Shutdown => {
                CardError::NoService(error)
            }
            _ => CardError::Pcsc(error),
        }
    }
}

/// A channel that cannot fail (a card in memory).
impl From<std::convert::Infallible> for CardError {
    fn from(never: std::convert::Infallible) -> CardError {
        match never {}
    }
}

impl<E: std::error::Error + 'static> From<ReadError<E>> for CardError
where
    CardError: From<E>,
{
    fn from(error: ReadError<E>) -> CardError {
        match error {
            ReadError::Channel { source, .. } => CardError::from(source),
            ReadError::Status {
                step: Step::Select, ..
            } => CardError::NotThaiIdCard(error.to_string()),
            other => CardError::CardUnreadable(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use thaiid_protocol::apdu::{Instruction, StatusWord};

    #[test]
    fn exit_codes_follow_the_spec() {
        assert_eq!(
            CardError::from(pcsc::Error::NoReadersAvailable).exit_code(),
            3
        );
        assert_eq!(
            CardError::from(pcsc::Error::ReaderUnavailable).exit_code(),
            3
        );
        assert_eq!(CardError::NoCard.exit_code(), 4);
        for removed in [
            pcsc::Error::RemovedCard,
            pcsc::Error::ResetCard,
            pcsc::Error::NoSmartcard,
        ] {
            assert!(matches!(CardError::from(removed), CardError::CardRemoved));
        }
        assert_eq!(CardError::CardRemoved.exit_code(), 5);
        assert_eq!(CardError::from(pcsc::Error::NoService).exit_code(), 6);
    }

    #[test]
    fn a_refused_select_means_another_kind_of_card() {
        let error = CardError::from(ReadError::<pcsc::Error>::Status {
            step: Step::Select,
            instruction: Instruction::Select,
            sw: StatusWord(0x6A82),
        });
        assert!(matches!(error, CardError::NotThaiIdCard(_)));
        assert_eq!(error.exit_code(), 5);
        let error = CardError::from(ReadError::<pcsc::Error>::Status {
            step: Step::Read { offset: 0x11 },
            instruction: Instruction::GetResponse,
            sw: StatusWord(0x6F00),
        });
        assert_eq!(
            error.to_string(),
            "the card does not answer properly (reading name_th (offset 0x0011): the card \
             answered 6F 00 (card error, no precise diagnosis) to GET RESPONSE): take it out, \
             wipe the chip and insert it again"
        );
    }
}
