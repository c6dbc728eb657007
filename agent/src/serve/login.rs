//! `POST /v1/login`: the card already read by the watcher, an assertion signed with the
//! workstation key, posted to the server; its ticket goes back to the page. Each
//! insertion of a card authorizes one login within a window after it (SPEC §5): the
//! person's act of inserting the card is the consent, which a script on the page cannot
//! repeat on its own, and it is the consent of the person whose unlocked session was at
//! the console as it went in: a login left running by someone who then locked the screen
//! or switched user ends as the console changes, is checked again when it takes the card,
//! and never gets it.

use super::caller::{self, Caller};
use super::error::ApiError;
use super::guard::{CallerOrigin, Identified};
use super::{AppState, LoginEvent};
use crate::enrollment::{self, Identity, Refusal};
use crate::smartcard::CardError;
use crate::watcher::{CardState, Inserted, Snapshot};
use axum::extract::State;
use axum::{Extension, Json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thaiid_protocol::api::{AgentErrorCode, LoginRequest, Ticket};
use thaiid_protocol::date::thai_date;

/// How long a login waits for a card to be inserted and read.
pub const CARD_WAIT: Duration = Duration::from_secs(30);
/// How often a waiting login asks whether its caller is still at the console.
const CONSOLE_CHECK: Duration = Duration::from_millis(500);

pub async fn login(
    State(app): State<Arc<AppState>>,
    Extension(CallerOrigin(origin)): Extension<CallerOrigin>,
    Extension(Identified(caller)): Extension<Identified>,
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
    let result = sign_in(&app, identity, caller, &origin, &request.nonce).await;
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
    caller: Caller,
    origin: &str,
    nonce: &str,
) -> Result<Ticket, ApiError> {
    let usable = Usable {
        spent: spent_now(app),
        window: app.config.insertion_window,
    };
    // A caller who locks the screen or leaves the console while it waits is answered
    // then, rather than holding the service (BUSY to everyone else) until the wait ends.
    let card = tokio::select! {
        card = wait_for_card(app.watcher.snapshot.clone(), &usable) => card?,
        refusal = left_the_console(app, caller) => return Err(refusal),
    };
    // The caller may have locked the screen or left the console while it waited; the
    // card is not taken (nor spent) unless it went in at the caller's own session.
    take(app, caller, &card).await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    if card.claim.expiry_date.is_past(thai_date(now as i64)) {
        return Err(AgentErrorCode::CardExpired.into());
    }
    still_inserted(&card).await?;
    let ctr = identity.counter.advance().map_err(|error| {
        tracing::error!("assertion counter: {error}");
        ApiError::new(AgentErrorCode::NotEnrolled)
    })?;
    // Signed for this insertion: its one login is taken, whatever the server answers.
    app.spent
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(card.insertion);
    let token = identity
        .assert(nonce, origin, ctr, card.claim.clone())
        .map_err(|_| AgentErrorCode::NotEnrolled)?;
    identity
        .post(&app.http, token)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Unreachable => AgentErrorCode::ServerUnreachable.into(),
            Refusal::Rejected(reason) => ApiError::rejected(reason),
        })
}

/// Whether `caller` may take `card` now (SPEC §5 "Caller").
async fn take(app: &AppState, caller: Caller, card: &Inserted) -> Result<(), ApiError> {
    if caller == Caller::Privileged {
        return Ok(());
    }
    let console = app.seats.console().await.map_err(|error| {
        tracing::warn!("caller check at the card: {error}: refused");
        ApiError::new(AgentErrorCode::NotLocalSession)
    })?;
    caller::may_take(caller, card.owner, console, app.config.any_local_user).map_err(|refusal| {
        tracing::info!(?refusal, "the card is not the caller's: left for its owner");
        ApiError::new(refusal.code())
    })
}

/// Ends once `caller` is no longer served at the console (a privileged caller never
/// leaves it); the refusal says why.
async fn left_the_console(app: &AppState, caller: Caller) -> ApiError {
    if caller == Caller::Privileged {
        return std::future::pending().await;
    }
    loop {
        tokio::time::sleep(CONSOLE_CHECK).await;
        let console = match app.seats.console().await {
            Ok(console) => console,
            Err(error) => {
                tracing::warn!("caller check while waiting: {error}: refused");
                return ApiError::new(AgentErrorCode::NotLocalSession);
            }
        };
        if let Err(refusal) = caller::admits(caller, console, app.config.any_local_user) {
            tracing::info!(
                ?refusal,
                "the caller left the console while its login waited"
            );
            return ApiError::new(refusal.code());
        }
    }
}

/// The card read at insertion is still in its reader, just before it is signed for: one
/// pulled out a moment ago, before the watcher saw it go, is not signed with its read.
async fn still_inserted(card: &Inserted) -> Result<(), ApiError> {
    let (reader, count) = (card.reader.clone(), card.event_count);
    let checked = tokio::task::spawn_blocking(move || -> Result<bool, CardError> {
        let context = pcsc::Context::establish(pcsc::Scope::User)?;
        crate::smartcard::still_inserted(&context, &reader, count)
    })
    .await;
    match checked {
        Ok(Ok(true)) => Ok(()),
        Ok(Ok(false)) => Err(AgentErrorCode::CardRemoved.into()),
        Ok(Err(error)) => {
            tracing::warn!("is the card still in: {error}");
            Err(AgentErrorCode::CardRemoved.into())
        }
        Err(error) => {
            tracing::error!("is the card still in: {error}");
            Err(AgentErrorCode::CardRemoved.into())
        }
    }
}

/// Which read cards may still log in.
struct Usable {
    /// Insertions that gave their login already.
    spent: BTreeSet<u64>,
    window: Duration,
}

impl Usable {
    fn allows(&self, card: &Inserted) -> bool {
        !self.spent.contains(&card.insertion) && card.read_at.elapsed() <= self.window
    }
}

/// The spent insertions, less those of cards taken out (they can never come back).
fn spent_now(app: &AppState) -> BTreeSet<u64> {
    let present: BTreeSet<u64> = (app.watcher.snapshot.borrow().readers.iter())
        .filter_map(|reader| match &reader.card {
            Some(CardState::Ready(card)) => Some(card.insertion),
            _ => None,
        })
        .collect();
    let mut spent = app
        .spent
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    spent.retain(|insertion| present.contains(insertion));
    spent.clone()
}

/// The first card read that may still log in, waiting up to [`CARD_WAIT`] for one to be
/// inserted and read; a card already in that gave its login (or whose window passed)
/// must be taken out and put back first.
async fn wait_for_card(
    mut snapshot: tokio::sync::watch::Receiver<Snapshot>,
    usable: &Usable,
) -> Result<Arc<Inserted>, ApiError> {
    let pulled_before = snapshot.borrow().pulled_mid_read;
    if snapshot.borrow().readers.is_empty() {
        return Err(AgentErrorCode::NoReader.into());
    }
    let pick = |s: &Snapshot| pick(s, pulled_before, usable);
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

/// A usable card wins; otherwise the first failed one says why; `None`: keep waiting.
fn pick(
    snapshot: &Snapshot,
    pulled_before: u64,
    usable: &Usable,
) -> Option<Result<Arc<Inserted>, ApiError>> {
    let cards = || {
        snapshot
            .readers
            .iter()
            .filter_map(|reader| reader.card.as_ref())
    };
    let ready = || {
        cards().filter_map(|card| match card {
            CardState::Ready(card) => Some(card),
            _ => None,
        })
    };
    if let Some(card) = ready().find(|card| usable.allows(card)) {
        return Some(Ok(card.clone()));
    }
    if cards().any(|card| matches!(card, CardState::Reading)) {
        return None;
    }
    if snapshot.pulled_mid_read > pulled_before {
        return Some(Err(AgentErrorCode::CardRemoved.into()));
    }
    if ready().next().is_some() {
        return Some(Err(AgentErrorCode::ReinsertCard.into()));
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
