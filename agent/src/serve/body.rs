//! The JSON body of a POST: at most 16 KiB, read within a deadline, errors in the
//! API's own format.

use super::error::ApiError;
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;
use thaiid_protocol::api::AgentErrorCode;

pub const MAX_BODY: usize = 16 * 1024;
/// A client that takes longer than this to send 16 KiB is cut off.
const BODY_DEADLINE: Duration = Duration::from_secs(10);

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(ApiError::with_status(
                AgentErrorCode::BadRequest,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ));
        }
        let body: Body = request.into_body();
        let bytes = match tokio::time::timeout(BODY_DEADLINE, to_bytes(body, MAX_BODY)).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => {
                return Err(ApiError::with_status(
                    AgentErrorCode::BadRequest,
                    StatusCode::PAYLOAD_TOO_LARGE,
                ))
            }
            Err(_) => {
                return Err(ApiError::with_status(
                    AgentErrorCode::BadRequest,
                    StatusCode::REQUEST_TIMEOUT,
                ))
            }
        };
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|_| ApiError::new(AgentErrorCode::BadRequest))
    }
}
