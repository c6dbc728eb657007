//! What handlers ask for instead of parsing requests themselves: the client's address,
//! the browser's session, a logged-in person, a page script's session.

use super::error::{ApiError, PageError};
use super::{cookie, AppState};
use crate::api_keys;
use crate::sessions::{self, Session};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use thaiid_protocol::api::ServerErrorCode;

/// The client's address: the peer's, or behind a trusted proxy the one its
/// `X-Forwarded-For` names ([`super::proxies::TrustedProxies::client`]). `None` when the
/// server runs without connect info (tests on the router alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// As the audit log and the rate limits keep it.
    pub fn text(&self) -> Option<String> {
        self.0.map(|address| address.to_string())
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(ClientAddr(peer.map(|peer| {
            state.trusted_proxies.client(peer, &parts.headers)
        })))
    }
}

/// The browser's session, if its cookie names a live one.
pub struct CurrentSession(pub Option<Session>);

/// The live session the request's cookie names, if any.
pub async fn session_of(
    pool: &crate::db::Pool,
    headers: &axum::http::HeaderMap,
    now: i64,
) -> Result<Option<Session>, sqlx::Error> {
    match cookie::session_id(headers) {
        Some(id) => sessions::load(pool, id, now).await,
        None => Ok(None),
    }
}

async fn current(parts: &Parts, state: &AppState) -> Result<Option<Session>, sqlx::Error> {
    session_of(&state.pool, &parts.headers, crate::now()).await
}

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(CurrentSession(current(parts, state).await?))
    }
}

/// A person logged in: their session and account name. Anybody else is sent to the
/// login page.
pub struct LoggedIn {
    pub session: Session,
    pub username: String,
}

impl FromRequestParts<AppState> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = current(parts, state)
            .await
            .map_err(|error| PageError::from(error).into_response())?;
        session
            .and_then(|session| {
                Some(LoggedIn {
                    username: session.username.clone()?,
                    session,
                })
            })
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

/// The session of a page script's call, which must carry the session's CSRF token in
/// `X-CSRF-Token`.
pub struct ScriptSession(pub Session);

impl FromRequestParts<AppState> for ScriptSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let session = current(parts, state).await?.ok_or_else(|| {
            ApiError::new(
                ServerErrorCode::NoSession,
                "the session expired: reload the page",
            )
        })?;
        let token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if !session.csrf_matches(token) {
            return Err(ApiError::new(
                ServerErrorCode::BadCsrf,
                "the page is stale: reload it",
            ));
        }
        Ok(ScriptSession(session))
    }
}

/// The token in `Authorization: Bearer TOKEN`: an API key, an access token.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
}

/// The front end whose key is in `Authorization: Bearer KEY`: the caller of the API for
/// other SSO front ends (challenges, ticket redemption).
pub async fn calling_key(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<api_keys::ApiKey, ApiError> {
    api_keys::owner(&state.pool, bearer(headers).unwrap_or_default())
        .await?
        .ok_or_else(|| ApiError::new(ServerErrorCode::BadApiKey, "a valid API key is required"))
}
