//! `POST /api/v1/tickets/redeem` (SPEC §7): how another SSO front end learns who logged in
//! by card. It asked for the challenge with its API key for one of the key's origins; the
//! agent's assertion got a ticket bound to that key and origin; the front end's server
//! redeems it, once, within its minute, with the same key, while the origin is still the
//! key's. Tickets of the bundled login pages (bound to a browser session) are not
//! redeemable here.

use super::error::ApiError;
use super::extract::{calling_key, ClientAddr};
use super::AppState;
use crate::amr::Amr;
use crate::audit;
use crate::card_login::TICKET_TTL_SECS;
use crate::challenges::Purpose;
use crate::tickets::{self, Grant, TicketRefusal};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sqlx::Row;
use thaiid_protocol::api::ServerErrorCode;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    ticket: String,
}

#[derive(Debug, serde::Serialize, PartialEq, Eq)]
pub struct Redeemed {
    pub username: String,
    pub display_name: String,
    /// How the person logged in: `["card"]` (tickets are card logins).
    pub amr: &'static [&'static str],
    /// When (Unix seconds): when the ticket was issued.
    pub auth_time: i64,
}

fn refused(code: ServerErrorCode, status: StatusCode, message: &str) -> ApiError {
    ApiError::with_status(status, code, message)
}

fn ticket_refused(refusal: TicketRefusal) -> ApiError {
    match refusal {
        TicketRefusal::Unknown => refused(
            ServerErrorCode::UnknownTicket,
            StatusCode::NOT_FOUND,
            "no such ticket",
        ),
        TicketRefusal::Used => refused(
            ServerErrorCode::UsedTicket,
            StatusCode::CONFLICT,
            "the ticket was redeemed already",
        ),
        TicketRefusal::Expired => refused(
            ServerErrorCode::ExpiredTicket,
            StatusCode::GONE,
            "the ticket's minute has passed",
        ),
        TicketRefusal::OtherSession => bad_origin(),
    }
}

fn bad_origin() -> ApiError {
    refused(
        ServerErrorCode::BadOrigin,
        StatusCode::FORBIDDEN,
        "the ticket was not issued for a challenge of this key at one of its origins",
    )
}

/// Redeems the ticket for the calling front end, and audits the attempt as a ticket
/// redemption: a row when redeemed; a refusal (anyone may send anything, however often)
/// is counted for the minute's row of its address ([`crate::card_login::strangers`]).
pub async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    Json(request): Json<RedeemRequest>,
) -> Result<Json<Redeemed>, ApiError> {
    let redeemed = redeem_for(&state, &headers, &request.ticket).await;
    let mut entry = audit::Entry::new(audit::Method::Ticket);
    entry.remote = client.text();
    state.metrics.login(entry.method, redeemed.is_ok());
    match &redeemed {
        Ok(who) => {
            entry.set_outcome(Ok(()));
            entry.username = Some(who.username.clone());
            audit::record(&state.pool, &entry, crate::now()).await?;
        }
        Err(error) => state.verifier.strangers().count_refusal(
            entry.method,
            entry.remote.as_deref(),
            error.code,
            None,
        ),
    }
    redeemed.map(Json)
}

async fn redeem_for(
    state: &AppState,
    headers: &HeaderMap,
    ticket: &str,
) -> Result<Redeemed, ApiError> {
    let key = calling_key(state, headers).await?;
    let row =
        sqlx::query("SELECT session, expires_at FROM tickets WHERE ticket = $1 AND purpose = $2")
            .bind(ticket)
            .bind(Purpose::Login.as_str())
            .fetch_optional(&state.pool)
            .await?
            .ok_or_else(|| ticket_refused(TicketRefusal::Unknown))?;
    let session: String = row.try_get("session")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    match crate::api_keys::parse_ticket_session(&session) {
        Some((name, origin)) if name == key.name && key.serves(origin) => {}
        _ => {
            tracing::info!(key = %key.name, "ticket redemption refused: BAD_ORIGIN");
            return Err(bad_origin());
        }
    }
    let redeemed = tickets::redeem(&state.pool, ticket, &session, Purpose::Login, crate::now())
        .await?
        .map_err(|refusal| {
            tracing::info!(key = %key.name, code = refusal.code().as_str(), "ticket redemption refused");
            ticket_refused(refusal)
        })?;
    if redeemed.grant != Grant::Card {
        // A card registered without its laser ID is a first factor only, and the OTP that
        // must follow it is asked on this server's pages alone.
        tracing::info!(key = %key.name, "ticket redemption refused: a first factor only");
        return Err(refused(
            ServerErrorCode::CardNotRegistered,
            StatusCode::FORBIDDEN,
            "this card is registered without its laser ID: a first factor only, whose OTP \
             this server's own login page asks for; register the card with its laser ID",
        ));
    }
    let account = crate::users::find(&state.pool, &redeemed.username)
        .await?
        .ok_or_else(|| ticket_refused(TicketRefusal::Unknown))?;
    tracing::info!(key = %key.name, "ticket redeemed");
    Ok(Redeemed {
        username: account.username,
        display_name: account.display_name,
        amr: Amr::Card.values(),
        auth_time: expires_at - TICKET_TTL_SECS,
    })
}
