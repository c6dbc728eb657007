//! Why a card login was refused: one variant per reason code of SPEC §7.

use thaiid_protocol::api::ServerErrorCode;
use thaiid_protocol::assertion::AssertionError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MalformedAssertion,
    AlgNotAllowed,
    WrongTyp,
    BadSignature,
    WrongIssuer,
    WrongAudience,
    BadLifetime,
    AssertionExpired,
    IssuedInFuture,
    UnknownAgent,
    RevokedAgent,
    /// The agent's stored key does not parse.
    BadAgentKey,
    ReplayedJti,
    UnknownNonce,
    ExpiredNonce,
    UsedNonce,
    OriginMismatch,
    CounterNotIncreasing,
    InvalidCitizenId,
    CardExpired,
    NotLinked,
    CardNotRegistered,
    CardBlocked,
    CardNotAccounts,
    NeedsPasswordOtp,
    BadCardSerial,
    /// A forgot-password nonce whose session no longer waits for a card.
    NoReset,
    /// A helpdesk nonce whose console session is no longer a helpdesk user's (signed out,
    /// expired, the role revoked).
    NoDesk,
}

impl Refusal {
    pub fn code(self) -> ServerErrorCode {
        use ServerErrorCode as C;
        match self {
            Refusal::MalformedAssertion => C::MalformedAssertion,
            Refusal::AlgNotAllowed => C::AlgNotAllowed,
            Refusal::WrongTyp => C::WrongTyp,
            Refusal::BadSignature => C::BadSignature,
            Refusal::WrongIssuer => C::WrongIssuer,
            Refusal::WrongAudience => C::WrongAudience,
            Refusal::BadLifetime => C::BadLifetime,
            Refusal::AssertionExpired => C::AssertionExpired,
            Refusal::IssuedInFuture => C::IssuedInFuture,
            Refusal::UnknownAgent => C::UnknownAgent,
            Refusal::RevokedAgent => C::RevokedAgent,
            Refusal::BadAgentKey => C::BadAgentKey,
            Refusal::ReplayedJti => C::ReplayedJti,
            Refusal::UnknownNonce => C::UnknownNonce,
            Refusal::ExpiredNonce => C::ExpiredNonce,
            Refusal::UsedNonce => C::UsedNonce,
            Refusal::OriginMismatch => C::OriginMismatch,
            Refusal::CounterNotIncreasing => C::CounterNotIncreasing,
            Refusal::InvalidCitizenId => C::InvalidCitizenId,
            Refusal::CardExpired => C::CardExpired,
            Refusal::NotLinked => C::NotLinked,
            Refusal::CardNotRegistered => C::CardNotRegistered,
            Refusal::CardBlocked => C::CardBlocked,
            Refusal::CardNotAccounts => C::CardNotAccounts,
            Refusal::NeedsPasswordOtp => C::NeedsPasswordOtp,
            Refusal::BadCardSerial => C::BadCardSerial,
            Refusal::NoReset | Refusal::NoDesk => C::NoSession,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::MalformedAssertion => "the assertion is not a compact JWS of the agent's form",
            Refusal::AlgNotAllowed => "the assertion's algorithm is not ES256",
            Refusal::WrongTyp => "the assertion's type is not thaiid-card+jwt",
            Refusal::BadSignature => "the signature does not verify",
            Refusal::WrongIssuer => "the issuer is not the signing agent",
            Refusal::WrongAudience => "the assertion is for another server",
            Refusal::BadLifetime => "the assertion's lifetime is out of bounds",
            Refusal::AssertionExpired => "the assertion has expired",
            Refusal::IssuedInFuture => "the assertion is issued in the future",
            Refusal::UnknownAgent => "no such agent",
            Refusal::RevokedAgent => "this agent was revoked",
            Refusal::BadAgentKey => "the stored key is damaged",
            Refusal::ReplayedJti => "this assertion was used already",
            Refusal::UnknownNonce
            | Refusal::ExpiredNonce
            | Refusal::UsedNonce
            | Refusal::OriginMismatch => "the nonce cannot be used",
            Refusal::CounterNotIncreasing => "the agent's counter went back",
            Refusal::InvalidCitizenId => "the citizen ID's check digit is wrong",
            Refusal::CardExpired => "the ID card has expired",
            Refusal::NotLinked => "this citizen ID is linked to no account",
            Refusal::CardNotRegistered => "this card is not the account's registered card",
            Refusal::CardBlocked => {
                "this card was replaced or blocked: log in with the card registered now"
            }
            Refusal::CardNotAccounts => {
                "this card is not the card of the account that asked to register it"
            }
            Refusal::NeedsPasswordOtp => {
                "only a session logged in with password + OTP may register a card"
            }
            Refusal::BadCardSerial => "the card's serial is not 14 digits",
            Refusal::NoReset => "this forgot-password page waits for no card: start again",
            Refusal::NoDesk => {
                "the console session that asked is no longer a helpdesk user's: sign in again"
            }
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code().as_str(), self.message())
    }
}

impl From<&AssertionError> for Refusal {
    fn from(error: &AssertionError) -> Refusal {
        use ServerErrorCode as C;
        match error.code() {
            C::AlgNotAllowed => Refusal::AlgNotAllowed,
            C::WrongTyp => Refusal::WrongTyp,
            C::BadSignature => Refusal::BadSignature,
            C::WrongIssuer => Refusal::WrongIssuer,
            C::WrongAudience => Refusal::WrongAudience,
            C::BadLifetime => Refusal::BadLifetime,
            C::AssertionExpired => Refusal::AssertionExpired,
            C::IssuedInFuture => Refusal::IssuedInFuture,
            C::BadAgentKey => Refusal::BadAgentKey,
            _ => Refusal::MalformedAssertion,
        }
    }
}
