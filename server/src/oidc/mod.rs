//! The OpenID Connect provider (SPEC §7): Core 1.0's authorization code flow with PKCE
//! S256, for the administration's systems (each a client) and for other SSO products by
//! identity brokering. Written here on ring + serde rather than taken from a crate: the
//! Rust OpenID Connect crates (`openidconnect`, `oauth2`, `axum-oidc`) are clients, and a
//! provider for this one flow is a few small, reviewable modules.
//!
//! Routes: discovery and JWKS, token and userinfo (server to server, and from single-page
//! apps by CORS), and the two a browser visits, authorization and end-session, which go
//! through the pages' guard.

pub mod alg;
pub mod authorize;
pub mod clients;
pub mod codes;
pub mod cors;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod id_token;
pub mod keys;
pub mod origins;
pub mod reauth;
pub mod signing_key;
pub mod step_up;
pub mod subjects;
pub mod system_admin;
pub mod token;
pub mod userinfo;

use crate::http::AppState;
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;

pub use error::OidcError;

/// A code's life: single use within a minute (SPEC §7).
pub const CODE_TTL_SECS: i64 = 60;
/// ID tokens and access tokens live five minutes; there are no refresh tokens.
pub const ID_TOKEN_TTL_SECS: i64 = 300;
pub const ACCESS_TOKEN_TTL_SECS: i64 = 300;
/// The longest `state` and `nonce` kept.
pub const MAX_PARAM_CHARS: usize = 512;

pub use crate::signin::AUTHORIZE_PATH;
pub const TOKEN_PATH: &str = "/oidc/token";
pub const USERINFO_PATH: &str = "/oidc/userinfo";
pub const JWKS_PATH: &str = "/oidc/jwks";
pub const END_SESSION_PATH: &str = "/oidc/logout";

/// What relying parties call: discovery, keys, token, userinfo; the first two open to
/// every origin, the others to the origins of registered redirect URIs ([`cors`]).
pub fn api_routes(state: &AppState) -> Router<AppState> {
    let documents = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration),
        )
        .route(JWKS_PATH, get(discovery::jwks))
        .layer(axum::middleware::from_fn(cors::public_document));
    let calls = Router::new()
        .route(TOKEN_PATH, axum::routing::post(token::exchange))
        .route(
            USERINFO_PATH,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::registered_origins,
        ));
    documents.merge(calls)
}

/// What browsers visit: under the pages' guard and headers.
pub fn browser_routes() -> Router<AppState> {
    Router::new()
        .route(AUTHORIZE_PATH, get(authorize::authorize))
        .route(END_SESSION_PATH, get(end_session::end_session))
}

/// A request's form or query parameters; one given twice refuses the request (RFC 6749
/// §3.1, §3.2).
pub fn parameters(encoded: &str) -> Result<HashMap<String, String>, OidcError> {
    let mut parameters = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(encoded.as_bytes()) {
        if parameters
            .insert(name.into_owned(), value.into_owned())
            .is_some()
        {
            return Err(OidcError::RepeatedParameter);
        }
    }
    Ok(parameters)
}

/// 256 random bits, base64url: codes, access tokens, client secrets.
pub fn new_secret() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::random_bytes::<32>())
}

/// A browser request refused where no redirect can be trusted: a page that says so in
/// Thai and English, with the OAuth error for the system's administrators.
pub fn refusal_page(
    error: &OidcError,
    title: &str,
    th: &str,
    en: &str,
) -> axum::response::Response {
    use crate::page::html;
    use axum::response::IntoResponse;
    if let OidcError::Database(source) = error {
        tracing::error!("database: {source}");
    }
    tracing::info!(reason = %error, "oidc request refused with a page");
    let body = format!(
        "{}<p class=\"code\">{}: {}</p><p><a href=\"/systems\">ระบบงาน</a></p>",
        html::notice("error", th, en),
        error.code(),
        html::escape(&error.to_string()),
    );
    crate::page::Reply::page(
        axum::http::StatusCode::BAD_REQUEST,
        html::page(title, None, &body),
    )
    .into_response()
}
