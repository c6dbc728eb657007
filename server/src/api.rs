//! The server's HTTP API (SPEC §7). Errors: `{"error": {"code", "message"}}` with 4xx.

use crate::card_key::CardKey;
use crate::db::Pool;
use crate::otp_key::OtpKey;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use thaiid_protocol::api::{
    EnrollRequest, EnrollResponse, ServerErrorBody, ServerErrorDetail, Ticket,
};

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// The server's public base URL: what assertions must name as `aud`.
    pub public_url: String,
    /// Where its own pages run: the origin their nonces are bound to.
    pub origin: String,
    /// Where the pages call the agent on each workstation (its `port` setting).
    pub agent_url: String,
    /// Opens the accounts' OTP secrets.
    pub otp_key: OtpKey,
    /// What registered cards are stored under.
    pub card_key: CardKey,
    /// Card logins' verifier (agents' keys, the SQLite writer).
    pub verifier: crate::card_login::Verifier,
}

impl AppState {
    pub fn new(
        pool: Pool,
        public_url: &str,
        otp_key: OtpKey,
        card_key: CardKey,
    ) -> Result<AppState, String> {
        let public_url = thaiid_protocol::origin::server_url(public_url)?;
        Ok(AppState {
            origin: thaiid_protocol::origin::origin_of(&public_url)?,
            verifier: crate::card_login::Verifier::new(pool.clone(), card_key.clone()),
            pool,
            public_url,
            agent_url: crate::web::DEFAULT_AGENT_URL.into(),
            otp_key,
            card_key,
        })
    }

    /// The pages call the agent at `url` instead of the default.
    pub fn with_agent_url(self, url: &str) -> Result<AppState, String> {
        Ok(AppState {
            agent_url: thaiid_protocol::origin::agent_url(url)?,
            ..self
        })
    }
}

/// The largest body the API and the pages read.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The API and the pages.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/v1/agents/enroll", post(enroll))
        .route("/api/v1/card-logins", post(card_login))
        .route("/api/v1/challenges", post(challenge))
        .layer(axum::middleware::from_fn(in_the_error_shape));
    Router::new()
        .merge(crate::web::routes(&state))
        .merge(api)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// axum's own refusals (a body too large, JSON that does not parse or has unknown fields,
/// the wrong content type) in the API's error shape, `{"error": {"code", "message"}}`.
async fn in_the_error_shape(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !status.is_client_error() || json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "BODY_TOO_LARGE",
            format!("the body is over {} KiB", MAX_BODY_BYTES / 1024),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "UNSUPPORTED_MEDIA_TYPE",
            "send the body as application/json".to_owned(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => ("METHOD_NOT_ALLOWED", "use POST".to_owned()),
        _ => {
            let said = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .unwrap_or_default();
            (
                "MALFORMED_REQUEST",
                String::from_utf8_lossy(&said).into_owned(),
            )
        }
    };
    ApiError::new(status, code, message).into_response()
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
/// bound to the origin its login page runs at.
async fn challenge(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Json(request): Json<ChallengeRequest>,
) -> Result<Json<Challenge>, ApiError> {
    let key = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let owner = crate::api_keys::owner(&state.pool, key)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "BAD_API_KEY",
                "a valid API key is required",
            )
        })?;
    let origin = thaiid_protocol::origin::web_origin(&request.origin)
        .map_err(|problem| ApiError::new(StatusCode::BAD_REQUEST, "BAD_ORIGIN", problem))?;
    let now = crate::now();
    let nonce = crate::challenges::issue(&state.pool, &origin, &format!("api:{owner}"), now)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Challenge {
        nonce,
        expires_at: thaiid_protocol::date::rfc3339_utc(now + crate::challenges::NONCE_TTL_SECS),
    }))
}

async fn card_login(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    token: String,
) -> Result<Json<Ticket>, ApiError> {
    use crate::card_login::VerifyError;
    use thaiid_protocol::api::ServerErrorCode as C;
    let ticket = crate::card_login::verify(
        &state.verifier,
        token.trim(),
        &state.public_url,
        crate::now(),
        remote(&extensions),
    )
    .await;
    match ticket {
        Ok(ticket) => {
            tracing::info!("card login: ticket issued");
            Ok(Json(ticket))
        }
        Err(VerifyError::Db(error)) => Err(ApiError::internal(error)),
        Err(VerifyError::Refused(refusal)) => {
            let code = refusal.code();
            tracing::info!(code = code.as_str(), "card login refused");
            let status = match code {
                C::MalformedAssertion | C::AlgNotAllowed | C::WrongTyp | C::BadCardSerial => {
                    StatusCode::BAD_REQUEST
                }
                C::UnknownAgent
                | C::RevokedAgent
                | C::BadAgentKey
                | C::BadSignature
                | C::WrongIssuer
                | C::WrongAudience
                | C::BadLifetime
                | C::AssertionExpired
                | C::IssuedInFuture => StatusCode::UNAUTHORIZED,
                C::ReplayedJti
                | C::UnknownNonce
                | C::ExpiredNonce
                | C::UsedNonce
                | C::CounterNotIncreasing => StatusCode::CONFLICT,
                _ => StatusCode::FORBIDDEN,
            };
            Err(ApiError::new(status, code.as_str(), refusal.message()))
        }
    }
}

/// The peer's address, when the server was started with connect info.
pub fn remote(extensions: &axum::http::Extensions) -> Option<String> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

/// A refusal with its reason code.
pub struct ApiError {
    status: StatusCode,
    pub code: &'static str,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn internal(error: sqlx::Error) -> ApiError {
        tracing::error!("database: {error}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "the server failed; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ServerErrorBody {
            error: ServerErrorDetail {
                code: self.code.into(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

async fn enroll(
    State(state): State<AppState>,
    Json(request): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    if request.public_key_jwk.point().is_err() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_AGENT_KEY",
            "the public key is not a P-256 JWK",
        ));
    }
    let now = crate::now();
    if !crate::tokens::consume(&state.pool, &request.token, now)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "BAD_ENROLLMENT_TOKEN",
            "the enrollment token is unknown, used up or expired",
        ));
    }
    let agent_id = crate::agents::insert(&state.pool, &request, now)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(agent = %agent_id, host = %request.hostname, "agent enrolled");
    Ok(Json(EnrollResponse { agent_id }))
}
