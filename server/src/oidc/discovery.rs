//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0) and the JWKS.

use super::alg::SigningAlg;
use crate::amr::Level;
use crate::http::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;

/// The provider's metadata: the issuer is the server's public URL.
pub fn metadata(issuer: &str) -> serde_json::Value {
    let at = |path: &str| format!("{issuer}{path}");
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": at(super::AUTHORIZE_PATH),
        "token_endpoint": at(super::TOKEN_PATH),
        "userinfo_endpoint": at(super::USERINFO_PATH),
        "jwks_uri": at(super::JWKS_PATH),
        "end_session_endpoint": at(super::END_SESSION_PATH),
        "scopes_supported": ["openid", "profile"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": SigningAlg::ALL.map(SigningAlg::as_str),
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        // consent and select_account are accepted too, and need no screen here.
        "prompt_values_supported": ["none", "login"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "auth_time", "acr",
            "amr", "name", "preferred_username"],
        // Asked for in acr_values, honoured as essential; the lowest named is the least.
        "acr_values_supported": Level::ALL.map(Level::acr),
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    })
}

pub async fn configuration(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(metadata(&state.public_url)),
    )
}

pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    // Short: relying parties see a rotated key within a minute.
    (
        [(header::CACHE_CONTROL, "public, max-age=60")],
        Json(state.oidc_keys.jwks(crate::now())),
    )
}
