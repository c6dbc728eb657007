//! `POST /oidc/token`: a code for an ID token and an access token. The client
//! authenticates by `client_secret_basic` or `client_secret_post`, or, if public, by PKCE
//! alone; every client proves the PKCE verifier. A request from a browser comes from the
//! origin of one of the client's redirect URIs. No refresh tokens.

use super::clients::Client;
use super::codes::{self, Spent};
use super::id_token::IdToken;
use super::OidcError;
use crate::http::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use std::collections::HashMap;

/// A refusal in the token endpoint's shape (RFC 6749 §5.2).
pub struct TokenError(pub OidcError);

impl From<OidcError> for TokenError {
    fn from(error: OidcError) -> TokenError {
        TokenError(error)
    }
}

impl From<sqlx::Error> for TokenError {
    fn from(error: sqlx::Error) -> TokenError {
        TokenError(OidcError::Database(error))
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            OidcError::BadClientAuthentication | OidcError::UnknownClient => {
                StatusCode::UNAUTHORIZED
            }
            OidcError::Database(error) => {
                tracing::error!("database: {error}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        tracing::info!(reason = %self.0, "oidc token refused");
        let mut response = (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(self.0.body()),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"thaiid-server\""),
            );
        }
        response
    }
}

#[derive(serde::Serialize)]
pub struct Tokens {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    id_token: String,
    scope: String,
}

/// The client's credentials as sent: (client_id, secret) from the Basic header or the body.
fn credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, Option<String>), OidcError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "));
    let posted_secret = form.get("client_secret").cloned();
    match basic {
        Some(encoded) => {
            if posted_secret.is_some() {
                return Err(OidcError::SeveralClientAuthentications);
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or(OidcError::BadClientAuthentication)?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or(OidcError::BadClientAuthentication)?;
            // RFC 6749 §2.3.1: both are form-urlencoded inside the header.
            let unescape = |text: &str| {
                url::form_urlencoded::parse(format!("x={text}").as_bytes())
                    .next()
                    .map(|(_, value)| value.into_owned())
                    .unwrap_or_default()
            };
            let id = unescape(id);
            if form.get("client_id").is_some_and(|posted| *posted != id) {
                return Err(OidcError::BadClientAuthentication);
            }
            Ok((id, Some(unescape(secret))))
        }
        None => {
            let id = form
                .get("client_id")
                .cloned()
                .ok_or(OidcError::BadClientAuthentication)?;
            Ok((id, posted_secret))
        }
    }
}

/// The client the request authenticates as.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Client, OidcError> {
    let (id, secret) = credentials(headers, form)?;
    let client = super::clients::find(&state.pool, &id)
        .await?
        .ok_or(OidcError::BadClientAuthentication)?;
    let authenticated = match secret {
        // A public client has no secret to send; one that sends a secret is not it.
        None => client.is_public(),
        Some(secret) => client.secret_matches(&secret),
    };
    if !authenticated {
        return Err(OidcError::BadClientAuthentication);
    }
    // From a browser (it sends `Origin`), only the client's own pages may spend its codes.
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = super::origins::WebOrigin::from_header(origin.as_bytes())
            .is_some_and(|origin| super::origins::is_clients(&client, &origin));
        if !own {
            return Err(OidcError::ForeignOrigin);
        }
    }
    Ok(client)
}

pub async fn exchange(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, TokenError> {
    let form = super::parameters(&body)?;
    let client = authenticate(&state, &headers, &form).await?;
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return Err(OidcError::UnsupportedGrantType.into());
    }
    let field = |name: &'static str| form.get(name).ok_or(OidcError::Missing(name));
    let (code, redirect_uri, verifier) = (
        field("code")?,
        field("redirect_uri")?,
        field("code_verifier")?,
    );
    let now = crate::now();
    let (grant, code_hash) = match codes::spend(&state.pool, code, now).await? {
        Spent::Fresh { grant, code_hash } => (grant, code_hash),
        Spent::Unknown => return Err(OidcError::UnknownCode.into()),
        Spent::Expired => return Err(OidcError::CodeExpired.into()),
        Spent::Reused => return Err(OidcError::CodeReused.into()),
    };
    if grant.client_id != client.id {
        return Err(OidcError::CodeForAnotherClient.into());
    }
    if grant.redirect_uri != *redirect_uri {
        return Err(OidcError::RedirectUriMismatch.into());
    }
    if !codes::verifier_matches(verifier, &grant.code_challenge) {
        return Err(OidcError::WrongCodeVerifier.into());
    }
    let account = crate::users::find(&state.pool, &grant.username)
        .await?
        .ok_or(OidcError::UnknownCode)?;
    let sub = super::subjects::of(&state.pool, &grant.username).await?;
    let name_in_system = crate::systems::name_in(&state.pool, &grant.username, &client.id).await?;
    let id_token = IdToken::new(
        &state.public_url,
        sub,
        &grant,
        account.display_name,
        name_in_system,
        now,
    )
    .sign(&state.oidc_keys, client.id_token_alg);
    let access_token =
        super::userinfo::issue(&state.pool, &code_hash, &client.id, &grant.username, now).await?;
    tracing::info!(client = %client.id, alg = %client.id_token_alg, "oidc tokens issued");
    let tokens = Tokens {
        access_token,
        token_type: "Bearer",
        expires_in: super::ACCESS_TOKEN_TTL_SECS,
        id_token,
        scope: grant.scope,
    };
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(tokens),
    )
        .into_response())
}
