//! The HTTP face of every failure: the API's `{"error": {"code", "message"}}` with the
//! status of its [`ServerErrorCode`], and the pages' "the server failed" page. The
//! database's errors become 500 `INTERNAL` here, logged, never shown.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use thaiid_protocol::api::{ServerErrorBody, ServerErrorCode};

/// The status a refusal under `code` answers with.
pub fn status_of(code: ServerErrorCode) -> StatusCode {
    use ServerErrorCode as C;
    match code {
        C::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
        C::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        C::ServerBusy => StatusCode::SERVICE_UNAVAILABLE,
        C::Throttled => StatusCode::TOO_MANY_REQUESTS,
        C::MalformedRequest
        | C::BadAgentKey
        | C::BadOrigin
        | C::MalformedAssertion
        | C::AlgNotAllowed
        | C::WrongTyp
        | C::BadCardSerial
        | C::UnknownTicket
        | C::UsedTicket
        | C::ExpiredTicket
        | C::TicketSessionMismatch => StatusCode::BAD_REQUEST,
        C::BadEnrollmentToken
        | C::BadApiKey
        | C::BadSignature
        | C::WrongIssuer
        | C::WrongAudience
        | C::BadLifetime
        | C::AssertionExpired
        | C::IssuedInFuture
        | C::UnknownAgent
        | C::RevokedAgent
        | C::NoSession
        | C::BadPassword
        | C::BadOtp
        | C::ReplayedOtp
        | C::BadResetCode => StatusCode::UNAUTHORIZED,
        C::OriginMismatch
        | C::InvalidCitizenId
        | C::CardExpired
        | C::NotLinked
        | C::CardNotRegistered
        | C::CardBlocked
        | C::CardNotAccounts
        | C::NeedsPasswordOtp
        | C::BadCsrf
        | C::NoOtp
        | C::InsufficientLevel => StatusCode::FORBIDDEN,
        C::WeakPassword => StatusCode::UNPROCESSABLE_ENTITY,
        C::ReplayedJti
        | C::UnknownNonce
        | C::ExpiredNonce
        | C::UsedNonce
        | C::CounterNotIncreasing => StatusCode::CONFLICT,
    }
}

/// A refusal of the API with its reason code.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    pub code: ServerErrorCode,
    message: String,
    /// `Retry-After`, in seconds: when a busy server may take the request again.
    retry_after: Option<u64>,
}

impl ApiError {
    /// A refusal under `code`, with [`status_of`] it.
    pub fn new(code: ServerErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::with_status(status_of(code), code, message)
    }

    /// A refusal whose status is not its code's alone: axum's own refusals, and
    /// [`crate::card_login`]'s, which still choose their statuses.
    pub fn with_status(
        status: StatusCode,
        code: ServerErrorCode,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// `503 SERVER_BUSY`: too much waits already; `Retry-After: retry_after` seconds.
    pub fn busy(message: impl Into<String>, retry_after: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(ServerErrorCode::ServerBusy, message)
        }
    }

    /// The database failed: logged here, a plain 500 `INTERNAL` to the client.
    pub fn internal(error: sqlx::Error) -> ApiError {
        tracing::error!("database: {error}");
        ApiError::new(ServerErrorCode::Internal, "the server failed; try again")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ServerErrorBody::new(self.code, self.message);
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A page that failed (the database): a 500 page that says so, the details in the log
/// only.
#[derive(Debug)]
pub struct PageError;

impl From<sqlx::Error> for PageError {
    fn from(error: sqlx::Error) -> PageError {
        tracing::error!("database: {error}");
        PageError
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        const PAGE: &str = r#"<!doctype html>
<html lang="th">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>เกิดข้อผิดพลาด · ระบบยืนยันตัวตนกลาง</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main>
<h1>เกิดข้อผิดพลาด</h1>
<div class="notice error" role="alert"><p>ระบบขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง</p><p lang="en">The server failed; try again.</p></div>
</main>
</body>
</html>
"#;
        (StatusCode::INTERNAL_SERVER_ERROR, Html(PAGE)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_client_or_server_error_status() {
        for &code in ServerErrorCode::ALL {
            let status = status_of(code);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code:?}"
            );
        }
        assert_eq!(status_of(ServerErrorCode::Internal), 500);
        assert_eq!(status_of(ServerErrorCode::ReplayedJti), 409);
    }
}
