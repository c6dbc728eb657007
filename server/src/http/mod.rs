//! The HTTP layer: the state handlers share ([`AppState`]), the error every failure
//! becomes ([`ApiError`], [`PageError`]; HTTP statuses live here and nowhere below),
//! the extractors handlers ask for ([`extract`]), the API's handlers ([`api`]), and the
//! listener with its timeouts ([`serve`]). The pages, in [`crate::web`], build on it.

pub mod api;
pub mod cookie;
pub mod error;
pub mod extract;
pub mod health;
pub mod proxies;
pub mod redeem;
pub mod request_id;
pub mod scrape;
pub mod serve;
pub mod state;

pub use error::{status_of, ApiError, PageError};
pub use state::AppState;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use thaiid_protocol::api::ServerErrorCode;

/// The largest body the API and the pages read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// A client that takes longer than this to send its body is cut off.
pub const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// Reads the body (at most [`MAX_BODY_BYTES`]) within the state's deadline
/// ([`BODY_DEADLINE`]) before any handler runs, so a client that sends it a byte at a
/// time holds nothing for long.
pub async fn read_body_in_time(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let deadline = state.body_deadline;
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(deadline, to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) if too_large(&error) => return body_too_large().into_response(),
        Ok(Err(_)) => {
            return ApiError::new(
                ServerErrorCode::MalformedRequest,
                "the body could not be read",
            )
            .into_response()
        }
        Err(_) => {
            return ApiError::new(
                ServerErrorCode::BodyTimeout,
                format!("the body did not arrive within {} s", deadline.as_secs()),
            )
            .into_response();
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_large(error: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

fn body_too_large() -> ApiError {
    ApiError::new(
        ServerErrorCode::BodyTooLarge,
        format!("the body is over {} KiB", MAX_BODY_BYTES / 1024),
    )
}

/// axum's own refusals (a body too large, JSON that does not parse or has unknown fields,
/// the wrong content type) in the API's error shape, `{"error": {"code", "message"}}`.
pub async fn in_the_error_shape(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !status.is_client_error() || json {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            ServerErrorCode::UnsupportedMediaType,
            "send the body as application/json",
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(ServerErrorCode::MethodNotAllowed, "use POST")
        }
        _ => {
            let said = to_bytes(response.into_body(), 1024)
                .await
                .unwrap_or_default();
            ApiError::with_status(
                status,
                ServerErrorCode::MalformedRequest,
                String::from_utf8_lossy(&said).into_owned(),
            )
        }
    };
    error.into_response()
}
