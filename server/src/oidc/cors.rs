//! CORS on the provider's API, so a single-page app (a public client) can call it with
//! `fetch()` from its own origin. Discovery and the JWKS are public documents (`*`); token
//! and userinfo answer only the origins of registered login redirect URIs
//! ([`super::origins`]), echoing the origin and never allowing credentials: the app sends
//! a bearer token, not cookies. Written here rather than taken from tower-http's
//! `CorsLayer`: the allowed origins live in the database, a refused preflight should be a
//! plain 403, and it is a page of code with no new dependency.

use super::origins::{self, WebOrigin};
use super::token::TokenError;
use crate::http::AppState;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How long a browser may keep a preflight's answer, in seconds.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;
/// What a browser may send to token and userinfo: the bearer token and a form or JSON.
const ALLOWED_HEADERS: [HeaderName; 2] = [header::AUTHORIZATION, header::CONTENT_TYPE];
const ALLOWED_METHODS: &str = "GET, POST";

/// A preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ORIGIN)
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Discovery and the JWKS: any origin may read them.
pub async fn public_document(request: Request, next: Next) -> Response {
    let mut response = if is_preflight(&request) {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, max_age());
        response
    } else {
        next.run(request).await
    };
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Token and userinfo: the origins of registered redirect URIs, and no other. The token
/// endpoint also checks that the origin is the client's own ([`origins::is_clients`]).
pub async fn registered_origins(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let preflight = is_preflight(&request);
    let allowed = match origin
        .as_ref()
        .and_then(|o| WebOrigin::from_header(o.as_bytes()))
    {
        None => None,
        Some(origin) => match origins::is_registered(&state.pool, &origin).await {
            Ok(true) => Some(origin),
            Ok(false) => None,
            // The OAuth error body a relying party expects (`server_error`, 500).
            Err(error) => return TokenError(error.into()).into_response(),
        },
    };
    let mut response = match (preflight, &allowed) {
        (true, Some(_)) if asks_what_is_allowed(request.headers()) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOWED_METHODS),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Authorization, Content-Type"),
            );
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, max_age());
            response
        }
        (true, _) => {
            tracing::info!("cors preflight refused");
            return refused_preflight();
        }
        (false, _) => next.run(request).await,
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed {
        if let Ok(value) = HeaderValue::from_str(origin.as_str()) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            // So the app can read why userinfo refused its token (RFC 6750 §3).
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("WWW-Authenticate"),
            );
        }
    }
    response
}

/// Whether a preflight asks for an allowed method and allowed headers only.
fn asks_what_is_allowed(headers: &HeaderMap) -> bool {
    let method = headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .map(HeaderValue::as_bytes);
    if !matches!(method, Some(b"GET" | b"POST")) {
        return false;
    }
    headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .all(|value| {
            value.to_str().is_ok_and(|names| {
                names
                    .split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .all(|name| {
                        ALLOWED_HEADERS
                            .iter()
                            .any(|allowed| allowed.as_str().eq_ignore_ascii_case(name))
                    })
            })
        })
}

fn refused_preflight() -> Response {
    let mut response = StatusCode::FORBIDDEN.into_response();
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

fn max_age() -> HeaderValue {
    HeaderValue::from(PREFLIGHT_MAX_AGE_SECS)
}
