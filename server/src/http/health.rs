//! `GET /healthz` (the process answers) and `GET /readyz` (it can serve: the checks of
//! [`crate::readiness`]), for a load balancer or Kubernetes. No session, no cookie, no
//! audit row: they are polled every few seconds.

use super::AppState;
use crate::readiness::{self, Readiness};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(live))
        .route("/readyz", get(ready))
}

async fn live() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

#[derive(serde::Serialize)]
struct ReadyBody {
    /// `ok` or `unavailable`.
    status: &'static str,
    /// Each check's failure, if it failed (`null` when it passed).
    checks: Readiness,
}

/// 200 when every check passed, else 503 naming the checks that failed.
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<ReadyBody>) {
    let checks = readiness::check(&state.pool, &state.otp_key, &state.oidc_keys).await;
    if !checks.ready() {
        tracing::warn!(?checks, "not ready");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(ReadyBody {
                status: "unavailable",
                checks,
            }),
        );
    }
    (
        StatusCode::OK,
        Json(ReadyBody {
            status: "ok",
            checks,
        }),
    )
}
