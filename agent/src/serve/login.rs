//! `POST /v1/login`: the card already read by the watcher, an assertion signed with the
//! workstation key, posted to the server; its ticket goes back to the page.

use super::error::ApiError;
use super::guard::CallerOrigin;
use super::{AppState, LoginEvent};
use crate::enrollment::{self, Identity, Refusal};
use crate::watcher::{CardState, Snapshot};
use axum::extract::State;
use axum::{Extension, Json};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thaiid_protocol::api::{AgentErrorCode, LoginRequest, Ticket};
use thaiid_protocol::assertion::CardClaim;
use thaiid_protocol::date::thai_date;

/// How long a login waits for a card to be inserted and read.
pub const CARD_WAIT: Duration = Duration::from_secs(30);

pub async fn login(
    State(app): State<Arc<AppState>>,
    Extension(CallerOrigin(origin)): Extension<CallerOrigin>,
    super::body::JsonBody(request): super::body::JsonBody<LoginRequest>,
) -> Result<Json<Ticket>, ApiError> {
    if !nonce_is_plausible(&request.nonce) {
        return Err(AgentErrorCode::BadRequest.into());
    }
    // One login at a time: a second caller is told, not queued.
    let Ok(mut identity) = app.identity.try_lock() else {
        return Err(AgentErrorCode::Busy.into());
    };
    // A first or a new enrollment (IT enrolling again) is taken without a restart.
    if !identity
        .as_ref()
        .is_some_and(|i| i.is_current(&app.data_dir))
    {
        *identity = enrollment::load(&app.data_dir).unwrap_or_else(|error| {
            tracing::error!("{error}");
            None
        });
    }
    let identity = identity.as_mut().ok_or(AgentErrorCode::NotEnrolled)?;
    let _ = app.login_events.send(LoginEvent::Started {
        origin: origin.clone(),
    });
    let result = sign_in(&app, identity, &origin, &request.nonce).await;
    let _ = app.login_events.send(LoginEvent::Finished {
        origin: origin.clone(),
        code: result.as_ref().err().map(|error| error.code),
    });
    match &result {
        Ok(_) => tracing::info!(%origin, "login ticket issued"),
        Err(error) => {
            tracing::info!(%origin, code = ?error.code, reason = ?error.reason, "login failed")
        }
    }
    result.map(Json)
}

async fn sign_in(
    app: &AppState,
    identity: &mut Identity,
    origin: &str,
    nonce: &str,
) -> Result<Ticket, ApiError> {
    let card = wait_for_card(app.watcher.snapshot.clone()).await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    if card.expiry_date.is_past(thai_date(now as i64)) {
        return Err(AgentErrorCode::CardExpired.into());
    }
    let ctr = identity.counter.advance().map_err(|error| {
        tracing::error!("assertion counter: {error}");
        ApiError::new(AgentErrorCode::NotEnrolled)
    })?;
    let token = identity
        .assert(nonce, origin, ctr, (*card).clone())
        .map_err(|_| AgentErrorCode::NotEnrolled)?;
    identity
        .post(&app.http, token)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Unreachable => AgentErrorCode::ServerUnreachable.into(),
            Refusal::Rejected(reason) => ApiError::rejected(reason),
        })
}

/// The first card read, waiting up to [`CARD_WAIT`] for one to be inserted and read.
async fn wait_for_card(
    mut snapshot: tokio::sync::watch::Receiver<Snapshot>,
) -> Result<Arc<CardClaim>, ApiError> {
    let pulled_before = snapshot.borrow().pulled_mid_read;
    if snapshot.borrow().readers.is_empty() {
        return Err(AgentErrorCode::NoReader.into());
    }
    let pick = |s: &Snapshot| pick(s, pulled_before);
    let found = tokio::time::timeout(CARD_WAIT, snapshot.wait_for(|s| pick(s).is_some()))
        .await
        .is_ok_and(|waited| waited.is_ok());
    let last = snapshot.borrow().clone();
    match pick(&last) {
        Some(picked) if found => picked,
        _ if last.readers.is_empty() => Err(AgentErrorCode::NoReader.into()),
        _ => Err(AgentErrorCode::NoCard.into()),
    }
}

/// A ready card wins; otherwise the first failed one says why; `None`: keep waiting.
fn pick(snapshot: &Snapshot, pulled_before: u64) -> Option<Result<Arc<CardClaim>, ApiError>> {
    let cards = || {
        snapshot
            .readers
            .iter()
            .filter_map(|reader| reader.card.as_ref())
    };
    if let Some(claim) = cards().find_map(|card| match card {
        CardState::Ready(claim) => Some(claim.clone()),
        _ => None,
    }) {
        return Some(Ok(claim));
    }
    if cards().any(|card| matches!(card, CardState::Reading)) {
        return None;
    }
    if snapshot.pulled_mid_read > pulled_before {
        return Some(Err(AgentErrorCode::CardRemoved.into()));
    }
    cards().find_map(|card| match card {
        CardState::Removed => Some(Err(AgentErrorCode::CardRemoved.into())),
        CardState::Unreadable => Some(Err(AgentErrorCode::CardUnreadable.into())),
        _ => None,
    })
}

/// Nonces are the server's business; the agent only refuses what cannot be one.
fn nonce_is_plausible(nonce: &str) -> bool {
    (1..=512).contains(&nonce.len()) && nonce.bytes().all(|b| b.is_ascii_graphic())
}
