//! The JSON of the agent's localhost API (SPEC §5) and of the central server's API
//! (SPEC §7), shared by the agent, the server and the tests.

use serde::{Deserialize, Serialize};

/// `GET /v1/status`: no personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStatus {
    pub version: String,
    pub enrolled: bool,
    pub readers: Vec<ReaderInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderInfo {
    pub name: String,
    pub card_present: bool,
}

/// `POST /v1/login` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub nonce: String,
}

/// A one-time ticket: the agent's login answer and the server's card-login answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// Error codes of the localhost API, each with its HTTP status and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgentErrorCode {
    NoReader,
    NoCard,
    CardRemoved,
    CardUnreadable,
    CardExpired,
    NotEnrolled,
    ServerUnreachable,
    ServerRejected,
    Busy,
    BadRequest,
    OriginNotAllowed,
    NotLocalSession,
    ReinsertCard,
}

impl AgentErrorCode {
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
            | AgentErrorCode::NotLocalSession => 403,
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
        }
    }
}

/// `{"error": {"code", "message_th", "message_en", "reason"?}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentErrorBody {
    pub error: AgentErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentErrorDetail {
    pub code: AgentErrorCode,
    pub message_th: String,
    pub message_en: String,
    /// The server's reason code, with `SERVER_REJECTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl AgentErrorBody {
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
    pub token: String,
    pub public_key_jwk: crate::assertion::PublicJwk,
    pub hostname: String,
    pub agent_version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub agent_id: String,
}

/// The server's errors: `{"error": {"code", "message"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerErrorBody {
    pub error: ServerErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerErrorDetail {
    pub code: String,
    pub message: String,
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
