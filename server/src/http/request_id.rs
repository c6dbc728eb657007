//! A request id for every HTTP request: the client's (or its proxy's) `X-Request-Id`
//! when it is a short token, else a new one. It is answered in the same header and put
//! in a tracing span, so that every log line of the request carries it
//! (`THAIID_SERVER_LOG_FORMAT=json`: the `span`'s `request_id`).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";
/// The longest id taken from a request.
pub const MAX_LEN: usize = 64;

/// The id `given` if it is 1 to [`MAX_LEN`] characters of letters, digits, `-`, `_`,
/// `.` or `:` (nothing a log reader could mistake for another field), else a new one.
pub fn request_id(given: Option<&HeaderValue>) -> String {
    let usable = |id: &&str| {
        (1..=MAX_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    given
        .and_then(|value| value.to_str().ok())
        .filter(usable)
        .map_or_else(crate::random_id, str::to_owned)
}

/// Runs the request inside a span with its id, and answers the id.
pub async fn with_request_id(mut request: Request, next: Next) -> Response {
    let id = request_id(request.headers().get(HEADER));
    let value = HeaderValue::from_str(&id).expect("a request id is a header value");
    request.headers_mut().insert(HEADER, value.clone());
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span).await;
    response.headers_mut().insert(HEADER, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_token_is_kept_and_anything_else_replaced() {
        let given = HeaderValue::from_static("lb-7f3a.2:9");
        assert_eq!(request_id(Some(&given)), "lb-7f3a.2:9");
        for bad in ["", "has space", "a\"b", &"x".repeat(MAX_LEN + 1)] {
            let made = request_id(Some(&HeaderValue::from_str(bad).unwrap()));
            assert_ne!(made, bad);
            assert_eq!(made.len(), 22, "{made}");
        }
        assert_eq!(request_id(None).len(), 22);
    }
}
