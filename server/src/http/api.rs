//! The server's HTTP API (SPEC §7): agent enrollment, challenges for other front ends,
//! card logins. Errors: `{"error": {"code", "message"}}` with 4xx.

use super::error::ApiError;
use super::extract::{calling_key, ClientAddr};
use super::AppState;
use crate::card_login::{self, VerifyError};
use crate::{agents, api_keys, challenges, tokens};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use thaiid_protocol::api::{EnrollRequest, EnrollResponse, ServerErrorCode, Ticket};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agents/enroll", post(enroll))
        .route("/api/v1/card-logins", post(card_login))
        .route("/api/v1/challenges", post(challenge))
        .route("/api/v1/tickets/redeem", post(super::redeem::redeem))
        .layer(axum::middleware::from_fn(super::in_the_error_shape))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeRequest {
    origin: String,
}

#[derive(serde::Serialize)]
struct Challenge {
    nonce: String,
    expires_at: String,
}

/// A nonce for another SSO front end (server to server, `Authorization: Bearer KEY`),
/// bound to the origin its login page runs at, which must be one of the key's.
async fn challenge(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<ChallengeRequest>,
) -> Result<Json<Challenge>, ApiError> {
    let key = calling_key(&state, &headers).await?;
    let origin = thaiid_protocol::origin::web_origin(&request.origin)
        .map_err(|problem| ApiError::new(ServerErrorCode::BadOrigin, problem))?;
    if !key.serves(&origin) {
        return Err(ApiError::with_status(
            axum::http::StatusCode::FORBIDDEN,
            ServerErrorCode::BadOrigin,
            "the API key is not bound to this origin (apikey create NAME --origin ORIGIN)",
        ));
    }
    let now = crate::now();
    let session = api_keys::ticket_session(&key.name, &origin);
    let nonce = challenges::issue(&state.pool, &origin, &session, now).await?;
    Ok(Json(Challenge {
        nonce,
        expires_at: thaiid_protocol::date::rfc3339_utc(now + challenges::NONCE_TTL_SECS),
    }))
}

async fn card_login(
    State(state): State<AppState>,
    client: ClientAddr,
    token: String,
) -> Result<Json<Ticket>, ApiError> {
    let started = std::time::Instant::now();
    let ticket = card_login::verify(
        &state.verifier,
        token.trim(),
        &state.public_url,
        crate::now(),
        client.text(),
    )
    .await;
    let refused = ticket.as_ref().err().map(VerifyError::code);
    state.metrics.card_login(started.elapsed(), refused);
    match ticket {
        Ok(ticket) => {
            tracing::info!("card login: ticket issued");
            Ok(Json(ticket))
        }
        Err(VerifyError::Db(error)) => Err(error.into()),
        Err(busy @ VerifyError::Busy(_)) => {
            tracing::warn!("{busy}: turned away");
            Err(ApiError::busy(
                "the server has too many card logins in progress: try again in a moment",
                card_login::queue::RETRY_AFTER_SECS,
            ))
        }
        Err(VerifyError::Refused(refusal)) => {
            tracing::info!(code = refusal.code().as_str(), "card login refused");
            Err(ApiError::new(refusal.code(), refusal.message()))
        }
    }
}

async fn enroll(
    State(state): State<AppState>,
    Json(request): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    if request.public_key_jwk.point().is_err() {
        return Err(ApiError::new(
            ServerErrorCode::BadAgentKey,
            "the public key is not a P-256 JWK",
        ));
    }
    let now = crate::now();
    if !tokens::consume(&state.pool, &request.token, now).await? {
        return Err(ApiError::new(
            ServerErrorCode::BadEnrollmentToken,
            "the enrollment token is unknown, used up or expired",
        ));
    }
    let agent_id = agents::insert(&state.pool, &request, now).await?;
    let host = crate::text::printable(&request.hostname);
    tracing::info!(agent = %agent_id, host = %host, "agent enrolled");
    Ok(Json(EnrollResponse { agent_id }))
}
