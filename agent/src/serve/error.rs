//! The localhost API's errors: `{"error": {"code", "message_th", "message_en"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use thaiid_protocol::api::{AgentErrorBody, AgentErrorCode};

/// An API error: its code, and the status when it is not the code's usual one.
#[derive(Debug)]
pub struct ApiError {
    pub code: AgentErrorCode,
    pub status: Option<StatusCode>,
    pub reason: Option<String>,
}

impl ApiError {
    pub fn new(code: AgentErrorCode) -> ApiError {
        ApiError {
            code,
            status: None,
            reason: None,
        }
    }

    pub fn with_status(code: AgentErrorCode, status: StatusCode) -> ApiError {
        ApiError {
            status: Some(status),
            ..ApiError::new(code)
        }
    }

    pub fn rejected(reason: String) -> ApiError {
        ApiError {
            reason: Some(reason),
            ..ApiError::new(AgentErrorCode::ServerRejected)
        }
    }
}

impl From<AgentErrorCode> for ApiError {
    fn from(code: AgentErrorCode) -> ApiError {
        ApiError::new(code)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
        });
        (status, Json(AgentErrorBody::new(self.code, self.reason))).into_response()
    }
}
