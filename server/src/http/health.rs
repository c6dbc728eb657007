//! `GET /healthz` (the process answers) and `GET /readyz` (it can serve: the checks of
//! [`crate::readiness`]), for a load balancer or Kubernetes. No session, no cookie, no
//! audit row: they are polled every few seconds.

use super::AppState;
use crate::readiness;
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
    /// Each check: `ok` or `failed`.
    checks: std::collections::BTreeMap<&'static str, &'static str>,
}

/// 200 when every check passed, else 503 naming the checks that failed (why is logged:
/// file paths and the database's words are for the operator, not for anyone asking).
async fn ready(State(state): State<AppState>) -> (StatusCode, Json<ReadyBody>) {
    let readiness = readiness::check(&state.pool, &state.otp_key, &state.oidc_keys).await;
    let checks = readiness.summary();
    if readiness.ready() {
        return (
            StatusCode::OK,
            Json(ReadyBody {
                status: "ok",
                checks,
            }),
        );
    }
    for (check, problem) in readiness.checks() {
        if let Some(problem) = problem {
            tracing::warn!(check, problem, "not ready");
        }
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(ReadyBody {
            status: "unavailable",
            checks,
        }),
    )
}
