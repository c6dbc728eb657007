//! The whole site: the API ([`crate::http::api`]) and the pages ([`crate::web`]) on one
//! router, every body read within its deadline and limit (the console's uploads within
//! their own).

use crate::http::{self, AppState};
use axum::Router;

/// The API and the pages.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::web::routes(&state))
        .merge(crate::web::guarded(&state, crate::oidc::browser_routes()))
        .merge(http::api::routes())
        .merge(crate::oidc::api_routes(&state))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::read_body_in_time,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(http::MAX_BODY_BYTES))
        // Merged after the layers above: a file upload is read by its handler, after the
        // console's gate, within its own limit and deadline.
        .merge(crate::web::upload_routes(&state))
        // No session, no body to read: a load balancer's polls.
        .merge(http::health::routes())
        // Outermost: every log line of a request, its body's refusal included, carries its id.
        .layer(axum::middleware::from_fn(http::request_id::with_request_id))
        .with_state(state)
}
