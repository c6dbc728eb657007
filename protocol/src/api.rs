//! The JSON of the agent's localhost API (SPEC §5) and of the central server's API
//! (SPEC §7), shared by the agent, the server and the tests.

use crate::assertion::AssertionError;
use serde::{Deserialize, Serialize};

/// A closed set of reason codes: the enum (each variant sent as its upper snake case
/// code), every code in `ALL`, and the text of each.
macro_rules! error_codes {
    (
        $(#[$enum_doc:meta])*
        $name:ident {
            $($(#[$doc:meta])* $variant:ident = $code:literal,)*
        }
    ) => {
        $(#[$enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$doc])* #[serde(rename = $code)] $variant,)*
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The code as sent: upper snake case.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// The code sent as `code`, if this version knows it.
            pub fn parse(code: &str) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

/// `GET /v1/status`: no personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStatus {
    /// The agent's version.
    pub version: String,
    /// Whether this workstation is enrolled with the login server.
    pub enrolled: bool,
    /// The PC/SC readers attached now.
    pub readers: Vec<ReaderInfo>,
}

/// One card reader as `GET /v1/status` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderInfo {
    /// The PC/SC reader name.
    pub name: String,
    /// Whether a card is in the reader.
    pub card_present: bool,
}

/// `POST /v1/login` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The single-use nonce the page got from its login server.
    pub nonce: String,
}

/// A one-time ticket: the agent's login answer and the server's card-login answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The ticket itself: single use, redeemed by the server's completion URL.
    pub ticket: String,
    /// RFC 3339.
    pub expires_at: String,
}

error_codes! {
    /// Error codes of the localhost API, each with its HTTP status and messages.
    AgentErrorCode {
        /// No card reader is attached.
        NoReader = "NO_READER",
        /// No card was inserted and read in time.
        NoCard = "NO_CARD",
        /// The card was taken out while it was being read.
        CardRemoved = "CARD_REMOVED",
        /// The card is not a Thai ID card, or answers wrongly.
        CardUnreadable = "CARD_UNREADABLE",
        /// The card has expired.
        CardExpired = "CARD_EXPIRED",
        /// This workstation is not enrolled with the login server.
        NotEnrolled = "NOT_ENROLLED",
        /// The login server cannot be reached, or failed.
        ServerUnreachable = "SERVER_UNREACHABLE",
        /// The login server refused the assertion (its code in `reason`).
        ServerRejected = "SERVER_REJECTED",
        /// Another login is in progress.
        Busy = "BUSY",
        /// The request itself is wrong (host, path, method, body).
        BadRequest = "BAD_REQUEST",
        /// The Origin is missing or not allowed, or `X-ThaiID-Agent: 1` is missing.
        OriginNotAllowed = "ORIGIN_NOT_ALLOWED",
        /// The caller is not the user of the machine's active local session.
        NotLocalSession = "NOT_LOCAL_SESSION",
        /// The caller's session is locked, or the card went in while the screen was locked.
        SessionLocked = "SESSION_LOCKED",
        /// This insertion was used for a login already: take the card out and put it back.
        ReinsertCard = "REINSERT_CARD",
    }
}

impl AgentErrorCode {
    /// The status the agent answers this code with.
    pub fn http_status(self) -> u16 {
        match self {
            AgentErrorCode::NoReader | AgentErrorCode::NotEnrolled => 503,
            AgentErrorCode::NoCard => 408,
            AgentErrorCode::CardRemoved | AgentErrorCode::Busy | AgentErrorCode::ReinsertCard => {
                409
            }
            AgentErrorCode::CardUnreadable => 422,
            AgentErrorCode::CardExpired
            | AgentErrorCode::ServerRejected
            | AgentErrorCode::OriginNotAllowed
            | AgentErrorCode::NotLocalSession
            | AgentErrorCode::SessionLocked => 403,
            AgentErrorCode::ServerUnreachable => 502,
            AgentErrorCode::BadRequest => 400,
        }
    }

    /// (Thai, English): what happened and what to do, for the person at the reader.
    pub fn messages(self) -> (&'static str, &'static str) {
        match self {
            AgentErrorCode::NoReader => (
                "ไม่พบเครื่องอ่านบัตร กรุณาเสียบเครื่องอ่านบัตรเข้ากับคอมพิวเตอร์",
                "No card reader found: plug a card reader into this computer.",
            ),
            AgentErrorCode::NoCard => (
                "ไม่พบบัตรประชาชน กรุณาเสียบบัตรแล้วลองอีกครั้ง",
                "No ID card was inserted in time: insert your card and try again.",
            ),
            AgentErrorCode::CardRemoved => (
                "บัตรถูกดึงออกระหว่างการอ่าน กรุณาเสียบบัตรค้างไว้แล้วลองอีกครั้ง",
                "The card was removed while it was being read: leave it in and try again.",
            ),
            AgentErrorCode::CardUnreadable => (
                "อ่านบัตรไม่ได้ หรือไม่ใช่บัตรประชาชน กรุณาถอดบัตรแล้วเสียบใหม่",
                "The card cannot be read or is not a Thai ID card: take it out and insert it again.",
            ),
            AgentErrorCode::CardExpired => (
                "บัตรประชาชนหมดอายุแล้ว",
                "This ID card has expired.",
            ),
            AgentErrorCode::NotEnrolled => (
                "เครื่องนี้ยังไม่ได้ลงทะเบียนกับระบบ กรุณาติดต่อฝ่ายไอที",
                "This computer is not enrolled with the login server: contact IT.",
            ),
            AgentErrorCode::ServerUnreachable => (
                "ติดต่อเซิร์ฟเวอร์ยืนยันตัวตนไม่ได้ กรุณาลองใหม่ภายหลัง",
                "The login server cannot be reached: try again later.",
            ),
            AgentErrorCode::ServerRejected => (
                "เซิร์ฟเวอร์ปฏิเสธการเข้าสู่ระบบด้วยบัตรนี้",
                "The login server refused this card login.",
            ),
            AgentErrorCode::Busy => (
                "กำลังเข้าสู่ระบบอยู่แล้ว กรุณารอสักครู่",
                "A login is already in progress: wait a moment.",
            ),
            AgentErrorCode::BadRequest => ("คำขอไม่ถูกต้อง", "Bad request."),
            AgentErrorCode::OriginNotAllowed => (
                "เว็บไซต์นี้ไม่ได้รับอนุญาตให้ใช้เครื่องอ่านบัตร",
                "This web site may not use the card reader.",
            ),
            AgentErrorCode::ReinsertCard => (
                "บัตรนี้ใช้เข้าสู่ระบบไปแล้ว กรุณาถอดบัตรออกแล้วเสียบใหม่อีกครั้ง",
                "This card was already used to log in: take it out and insert it again.",
            ),
            AgentErrorCode::NotLocalSession => (
                "ใช้บัตรได้เฉพาะผู้ที่เข้าสู่ระบบอยู่หน้าเครื่องนี้",
                "Only the person logged in at this computer's screen may use its card reader.",
            ),
            AgentErrorCode::SessionLocked => (
                "หน้าจอเครื่องนี้ล็อกอยู่ หรือบัตรถูกเสียบขณะหน้าจอล็อก กรุณาปลดล็อกหน้าจอ แล้วถอดบัตรออกและเสียบใหม่",
                "This computer's screen is locked, or the card went in while it was: unlock the screen, then take the card out and insert it again.",
            ),
        }
    }
}

/// `{"error": {"code", "message_th", "message_en", "reason"?}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentErrorBody {
    /// The error.
    pub error: AgentErrorDetail,
}

/// One error of the localhost API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentErrorDetail {
    /// What went wrong.
    pub code: AgentErrorCode,
    /// What happened and what to do, in Thai, for the person at the reader.
    pub message_th: String,
    /// The same in English.
    pub message_en: String,
    /// The server's reason code, with `SERVER_REJECTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl AgentErrorBody {
    /// The body for `code`, with its messages; `reason` goes with `SERVER_REJECTED`.
    pub fn new(code: AgentErrorCode, reason: Option<String>) -> AgentErrorBody {
        let (th, en) = code.messages();
        AgentErrorBody {
            error: AgentErrorDetail {
                code,
                message_th: th.to_owned(),
                message_en: en.to_owned(),
                reason,
            },
        }
    }
}

/// `POST /api/v1/agents/enroll`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The enrollment token IT created (`thaiid-server token create`).
    pub token: String,
    /// The agent's P-256 public key, which will verify its assertions.
    pub public_key_jwk: crate::assertion::PublicJwk,
    /// The workstation's name, for IT's agent list.
    pub hostname: String,
    /// The agent's version.
    pub agent_version: String,
}

/// `POST /api/v1/agents/enroll`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The id the agent signs as (`kid` and `iss` of its assertions).
    pub agent_id: String,
}

/// The server's errors: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerErrorBody {
    /// The error.
    pub error: ServerErrorDetail,
}

/// One error: its reason code (a [`ServerErrorCode`] as the server sends it; kept as
/// text so that an agent reads codes from newer servers too) and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerErrorDetail {
    /// The reason code, upper snake case.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

impl ServerErrorBody {
    /// The body of a refusal under `code`.
    pub fn new(code: ServerErrorCode, message: impl Into<String>) -> ServerErrorBody {
        ServerErrorBody {
            error: ServerErrorDetail {
                code: code.as_str().to_owned(),
                message: message.into(),
            },
        }
    }
}

error_codes! {
    /// The central server's reason codes (SPEC §7), upper snake case on the wire.
    ServerErrorCode {
        // The request itself.
        /// The body is over the server's limit.
        BodyTooLarge = "BODY_TOO_LARGE",
        /// The body did not arrive within the server's deadline.
        BodyTimeout = "BODY_TIMEOUT",
        /// The body is not `application/json`.
        UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE",
        /// The route exists, not with this method.
        MethodNotAllowed = "METHOD_NOT_ALLOWED",
        /// The body does not parse or has unknown fields.
        MalformedRequest = "MALFORMED_REQUEST",
        /// The server failed (its database); try again.
        Internal = "INTERNAL",
        /// Too many attempts from this address or for this account.
        Throttled = "THROTTLED",
        /// The server has more card logins waiting than it takes: try again shortly
        /// (`503` with `Retry-After`).
        ServerBusy = "SERVER_BUSY",
        // Enrollment and API keys.
        /// The enrollment token is unknown, used up or expired.
        BadEnrollmentToken = "BAD_ENROLLMENT_TOKEN",
        /// The agent's public key is not a P-256 JWK (or is damaged).
        BadAgentKey = "BAD_AGENT_KEY",
        /// No valid API key in `Authorization: Bearer`.
        BadApiKey = "BAD_API_KEY",
        /// The origin is not a web origin, or not one the API key is bound to.
        BadOrigin = "BAD_ORIGIN",
        // The assertion (SPEC §6).
        /// Not a compact JWS.
        MalformedAssertion = "MALFORMED_ASSERTION",
        /// `alg` other than ES256.
        AlgNotAllowed = "ALG_NOT_ALLOWED",
        /// `typ` is not the assertion's.
        WrongTyp = "WRONG_TYP",
        /// The signature does not verify under the agent's key.
        BadSignature = "BAD_SIGNATURE",
        /// `iss` is not the signing agent.
        WrongIssuer = "WRONG_ISSUER",
        /// `aud` is not this server.
        WrongAudience = "WRONG_AUDIENCE",
        /// The assertion's lifetime is out of bounds.
        BadLifetime = "BAD_LIFETIME",
        /// `exp` has passed.
        AssertionExpired = "ASSERTION_EXPIRED",
        /// `iat` is in the future.
        IssuedInFuture = "ISSUED_IN_FUTURE",
        /// No enrolled agent has this `kid`.
        UnknownAgent = "UNKNOWN_AGENT",
        /// The agent was revoked.
        RevokedAgent = "REVOKED_AGENT",
        /// The `jti` was used already.
        ReplayedJti = "REPLAYED_JTI",
        /// The nonce was never issued.
        UnknownNonce = "UNKNOWN_NONCE",
        /// The nonce's two minutes have passed.
        ExpiredNonce = "EXPIRED_NONCE",
        /// The nonce was spent already.
        UsedNonce = "USED_NONCE",
        /// The assertion's origin is not the nonce's.
        OriginMismatch = "ORIGIN_MISMATCH",
        /// The agent's counter did not increase.
        CounterNotIncreasing = "COUNTER_NOT_INCREASING",
        // The card and the account.
        /// The citizen ID's check digit is wrong.
        InvalidCitizenId = "INVALID_CITIZEN_ID",
        /// The card has expired.
        CardExpired = "CARD_EXPIRED",
        /// No account has this citizen ID.
        NotLinked = "NOT_LINKED",
        /// The card is not the account's registered card.
        CardNotRegistered = "CARD_NOT_REGISTERED",
        /// The card was replaced or blocked.
        CardBlocked = "CARD_BLOCKED",
        /// A card being registered is not the card of the account registering it.
        CardNotAccounts = "CARD_NOT_ACCOUNTS",
        /// Only a password + OTP session may register a card.
        NeedsPasswordOtp = "NEEDS_PASSWORD_OTP",
        /// The card's serial is not 14 digits.
        BadCardSerial = "BAD_CARD_SERIAL",
        // Tickets.
        /// The ticket was never issued.
        UnknownTicket = "UNKNOWN_TICKET",
        /// The ticket was redeemed already.
        UsedTicket = "USED_TICKET",
        /// The ticket's minute has passed.
        ExpiredTicket = "EXPIRED_TICKET",
        /// Another browser session asked for the ticket's nonce.
        TicketSessionMismatch = "TICKET_SESSION_MISMATCH",
        // The pages.
        /// The form's CSRF token is missing or wrong.
        BadCsrf = "BAD_CSRF",
        /// No logged-in session.
        NoSession = "NO_SESSION",
        /// The user name or the password is wrong.
        BadPassword = "BAD_PASSWORD",
        /// The OTP is wrong or out of its window.
        BadOtp = "BAD_OTP",
        /// The OTP was used already.
        ReplayedOtp = "REPLAYED_OTP",
        /// The account has no OTP set up.
        NoOtp = "NO_OTP",
        // Self-service (SPEC §7a) and assurance levels (SPEC §7).
        /// A new password is too short, the user name, the citizen ID or a common one.
        WeakPassword = "WEAK_PASSWORD",
        /// The helpdesk's reset code is unknown, used, expired or another account's.
        BadResetCode = "BAD_RESET_CODE",
        /// The sign-in is weaker than the system, or the request's `acr_values`, needs.
        InsufficientLevel = "INSUFFICIENT_LEVEL",
    }
}

/// An assertion refused (SPEC §6) is answered with its own reason code.
impl AssertionError {
    /// The reason code the server answers with.
    pub fn code(&self) -> ServerErrorCode {
        match self {
            AssertionError::Malformed(_) => ServerErrorCode::MalformedAssertion,
            AssertionError::AlgNotAllowed(_) => ServerErrorCode::AlgNotAllowed,
            AssertionError::WrongType(_) => ServerErrorCode::WrongTyp,
            AssertionError::BadSignature => ServerErrorCode::BadSignature,
            AssertionError::WrongIssuer { .. } => ServerErrorCode::WrongIssuer,
            AssertionError::WrongAudience(_) => ServerErrorCode::WrongAudience,
            AssertionError::BadLifetime(_) => ServerErrorCode::BadLifetime,
            AssertionError::Expired(_) => ServerErrorCode::AssertionExpired,
            AssertionError::IssuedInFuture(_) => ServerErrorCode::IssuedInFuture,
            AssertionError::BadKey => ServerErrorCode::BadAgentKey,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_body_shape() {
        let body = AgentErrorBody::new(AgentErrorCode::ServerRejected, Some("REPLAYED_JTI".into()));
        let value = serde_json::to_value(&body).unwrap();
        assert_eq!(value["error"]["code"], "SERVER_REJECTED");
        assert_eq!(value["error"]["reason"], "REPLAYED_JTI");
        assert!(value["error"]["message_th"]
            .as_str()
            .unwrap()
            .contains("เซิร์ฟเวอร์"));
        let busy = serde_json::to_value(AgentErrorBody::new(AgentErrorCode::Busy, None)).unwrap();
        assert_eq!(busy["error"].get("reason"), None);
        assert_eq!(AgentErrorCode::Busy.http_status(), 409);
    }

    #[test]
    fn login_request_refuses_unknown_fields() {
        assert!(serde_json::from_value::<LoginRequest>(json!({"nonce": "n"})).is_ok());
        assert!(
            serde_json::from_value::<LoginRequest>(json!({"nonce": "n", "origin": "x"})).is_err()
        );
    }
}
