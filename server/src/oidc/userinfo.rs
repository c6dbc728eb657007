//! Access tokens (opaque, 256 random bits, stored hashed, [`ACCESS_TOKEN_TTL_SECS`]) and
//! the userinfo endpoint they open. A JWT presented as an access token is simply unknown:
//! nothing here reads a token's header, so no `alg` can be slipped in.

use super::{OidcError, ACCESS_TOKEN_TTL_SECS};
use crate::db::Pool;
use crate::http::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sqlx::Row;

/// An access token for `username` at `client_id`, filed under the code it was issued for.
pub async fn issue(
    pool: &Pool,
    code_hash: &str,
    client_id: &str,
    username: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let token = super::new_secret();
    sqlx::query(
        "INSERT INTO oidc_access_tokens (token_hash, code_hash, client_id, username, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(crate::sha256_hex(&token))
    .bind(code_hash)
    .bind(client_id)
    .bind(username)
    .bind(now + ACCESS_TOKEN_TTL_SECS)
    .execute(pool)
    .await?;
    Ok(token)
}

/// Revokes the tokens issued for a code (it was presented twice).
pub async fn revoke_for_code(pool: &Pool, code_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM oidc_access_tokens WHERE code_hash = $1")
        .bind(code_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Who `token` was issued for: the account and the client, while it is valid.
pub struct Holder {
    pub username: String,
    pub client_id: String,
}

/// The holder of `token`, while it is valid.
pub async fn holder(pool: &Pool, token: &str, now: i64) -> Result<Option<Holder>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT username, client_id FROM oidc_access_tokens \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(crate::sha256_hex(token))
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|row| {
        Ok(Holder {
            username: row.try_get("username")?,
            client_id: row.try_get("client_id")?,
        })
    })
    .transpose()
}

/// A bearer token's refusal (RFC 6750 §3).
struct Unauthorized(OidcError);

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        if let OidcError::Database(error) = &self.0 {
            tracing::error!("database: {error}");
        }
        let challenge = format!(
            "Bearer error=\"{}\", error_description=\"{}\"",
            self.0.code(),
            self.0
        );
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            Json(self.0.body()),
        )
            .into_response()
    }
}

/// `GET|POST /oidc/userinfo` with `Authorization: Bearer`: `sub`, `name`,
/// `preferred_username` (the person's account name in the token's system, as the ID
/// token says).
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match claims(&state, &headers).await {
        Ok(claims) => ([(header::CACHE_CONTROL, "no-store")], Json(claims)).into_response(),
        Err(error) => Unauthorized(error).into_response(),
    }
}

async fn claims(state: &AppState, headers: &HeaderMap) -> Result<serde_json::Value, OidcError> {
    let token = crate::http::extract::bearer(headers).ok_or(OidcError::InvalidToken)?;
    let Holder {
        username,
        client_id,
    } = holder(&state.pool, token.trim(), crate::now())
        .await?
        .ok_or(OidcError::InvalidToken)?;
    let account = crate::users::find(&state.pool, &username)
        .await?
        .ok_or(OidcError::InvalidToken)?;
    Ok(serde_json::json!({
        "sub": super::subjects::of(&state.pool, &username).await?,
        "name": account.display_name,
        "preferred_username": crate::systems::name_in(&state.pool, &username, &client_id).await?,
    }))
}
