//! What can go wrong when the agent reads a card, as one line a user can act on and
//! an exit code (SPEC §3).

use thaiid_protocol::decode::DecodeError;
use thaiid_protocol::transport::{ReadError, Step};

/// Exit codes of `thaiid-agent` (SPEC §3).
pub mod exit {
    pub const OK: u8 = 0;
    pub const NO_READER: u8 = 3;
    pub const NO_CARD: u8 = 4;
    pub const CARD_UNREADABLE: u8 = 5;
    pub const OTHER: u8 = 6;
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
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
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("enrollment: {0}")]
    Enroll(#[from] crate::enrollment::EnrollError),
    #[error("{0}")]
    Serve(#[from] crate::serve::ServeError),
    #[error("cannot start: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Setup(#[from] crate::setup::SetupError),
    #[cfg(windows)]
    #[error("{0}")]
    StateDir(#[from] crate::win::acl::StateDirError),
    #[cfg(windows)]
    #[error("{0}")]
    Service(#[from] crate::win::service::ServiceError),
    #[error("{0} checks failed: the lines above say how to fix each")]
    Unhealthy(usize),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

impl AgentError {
    pub fn exit_code(&self) -> u8 {
        match self {
            AgentError::NoReader | AgentError::UnknownReader { .. } | AgentError::ReaderGone => {
                exit::NO_READER
            }
            AgentError::NoCard => exit::NO_CARD,
            AgentError::CardRemoved
            | AgentError::NotThaiIdCard(_)
            | AgentError::CardUnreadable(_)
            | AgentError::Undecodable(_) => exit::CARD_UNREADABLE,
            AgentError::NoService(_)
            | AgentError::Pcsc(_)
            | AgentError::Write { .. }
            | AgentError::Unhealthy(_)
            | AgentError::Config(_)
            | AgentError::Enroll(_)
            | AgentError::Serve(_)
            | AgentError::Setup(_)
            | AgentError::Runtime(_) => exit::OTHER,
            #[cfg(windows)]
            AgentError::StateDir(_) | AgentError::Service(_) => exit::OTHER,
        }
    }
}

impl From<pcsc::Error> for AgentError {
    fn from(error: pcsc::Error) -> AgentError {
        use pcsc::Error as E;
        match error {
            E::NoReadersAvailable => AgentError::NoReader,
            E::ReaderUnavailable | E::UnknownReader => AgentError::ReaderGone,
            E::NoSmartcard | E::RemovedCard | E::ResetCard => AgentError::CardRemoved,
            E::UnpoweredCard | E::UnresponsiveCard | E::UnsupportedCard | E::InvalidAtr => {
                AgentError::CardUnreadable(error.to_string())
            }
            E::NoService | E::ServiceStopped | E::CommError | E::Shutdown => {
                AgentError::NoService(error)
            }
            _ => AgentError::Pcsc(error),
        }
    }
}

impl From<ReadError<pcsc::Error>> for AgentError {
    fn from(error: ReadError<pcsc::Error>) -> AgentError {
        match error {
            ReadError::Channel { source, .. } => AgentError::from(source),
            ReadError::Status {
                step: Step::Select, ..
            } => AgentError::NotThaiIdCard(error.to_string()),
            other => AgentError::CardUnreadable(other.to_string()),
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
            AgentError::from(pcsc::Error::NoReadersAvailable).exit_code(),
            3
        );
        assert_eq!(
            AgentError::from(pcsc::Error::ReaderUnavailable).exit_code(),
            3
        );
        assert_eq!(AgentError::NoCard.exit_code(), 4);
        for removed in [
            pcsc::Error::RemovedCard,
            pcsc::Error::ResetCard,
            pcsc::Error::NoSmartcard,
        ] {
            assert!(matches!(AgentError::from(removed), AgentError::CardRemoved));
        }
        assert_eq!(AgentError::CardRemoved.exit_code(), 5);
        assert_eq!(AgentError::from(pcsc::Error::NoService).exit_code(), 6);
    }

    #[test]
    fn a_refused_select_means_another_kind_of_card() {
        let error = AgentError::from(ReadError::<pcsc::Error>::Status {
            step: Step::Select,
            instruction: Instruction::Select,
            sw: StatusWord(0x6A82),
        });
        assert!(matches!(error, AgentError::NotThaiIdCard(_)));
        assert_eq!(error.exit_code(), 5);
        let error = AgentError::from(ReadError::<pcsc::Error>::Status {
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
