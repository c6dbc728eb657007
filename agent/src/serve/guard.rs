//! Who may talk to the agent: the checks of SPEC §5 before any handler runs.
//! Host must name the agent itself (DNS rebinding), the caller must be the user at the
//! machine, its screen unlocked, Origin must be allowed exactly, POSTs carry the custom
//! header; preflights answer only allowed origins.

use super::caller::{self, Caller, Refusal};
use super::error::ApiError;
use super::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use thaiid_protocol::api::AgentErrorCode;

pub const CUSTOM_HEADER: &str = "x-thaiid-agent";

/// The request's allowed Origin, for the handlers (the assertion's `origin`).
#[derive(Clone, Debug)]
pub struct CallerOrigin(pub String);

/// Who the request came from, for the handlers that check again later.
#[derive(Clone, Copy, Debug)]
pub struct Identified(pub Caller);

pub async fn guard(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if !host_is_ours(headers, app.config.port) {
        return ApiError::with_status(AgentErrorCode::BadRequest, StatusCode::MISDIRECTED_REQUEST)
            .into_response();
    }
    let get = request.method() == Method::GET;
    let path = request.uri().path();
    // The OpenAPI document is public and carries no data: readable without an Origin.
    if get && path == "/openapi.json" && !headers.contains_key(header::ORIGIN) {
        return next.run(request).await;
    }
    let caller = match served(&app, peer).await {
        Ok(caller) => caller,
        Err(refusal) => return ApiError::new(refusal.code()).into_response(),
    };
    // Status and events carry no personal data: the user's own tray and doctor read
    // them without an Origin (a browser always sends one on a cross-origin read).
    let headless = get && matches!(path, "/v1/status" | "/v1/events");
    let origin = match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin)
            if app
                .config
                .allowed_origins
                .iter()
                .any(|allowed| allowed == origin) =>
        {
            origin.to_owned()
        }
        None if headless => return next.run(request).await,
        _ => return ApiError::new(AgentErrorCode::OriginNotAllowed).into_response(),
    };
    if request.method() == Method::OPTIONS {
        return preflight(&origin);
    }
    if request.method() == Method::POST
        && headers.get(CUSTOM_HEADER).and_then(|v| v.to_str().ok()) != Some("1")
    {
        return ApiError::new(AgentErrorCode::OriginNotAllowed).into_response();
    }
    request
        .extensions_mut()
        .insert(CallerOrigin(origin.clone()));
    request.extensions_mut().insert(Identified(caller));
    let mut response = next.run(request).await;
    allow_origin(response.headers_mut(), &origin);
    response
}

/// The client at `peer`, if it is the user at the machine, screen unlocked (SPEC §5).
async fn served(app: &AppState, peer: SocketAddr) -> Result<Caller, Refusal> {
    let port = app.config.port;
    let local = match peer {
        SocketAddr::V4(_) => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
        SocketAddr::V6(_) => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port),
    };
    let checked = match caller::identify(peer, local) {
        Ok(Caller::Privileged) => return Ok(Caller::Privileged),
        Ok(caller) => app.seats.console().await.map(|console| (caller, console)),
        Err(error) => Err(error),
    };
    match checked {
        Ok((caller, console)) => {
            caller::admits(caller, console, app.config.any_local_user).map(|()| caller)
        }
        Err(error) => {
            tracing::warn!("caller check: {error}: refused");
            Err(Refusal::NotLocalSession)
        }
    }
}

fn host_is_ours(headers: &HeaderMap, port: u16) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == format!("{name}:{port}"))
}

fn preflight(origin: &str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    allow_origin(headers, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, x-thaiid-agent"),
    );
    headers.insert(
        "access-control-allow-private-network",
        HeaderValue::from_static("true"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

fn allow_origin(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
}
