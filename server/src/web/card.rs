//! The ID-card button's two calls: a nonce bound to this browser session and the
//! server's origin (the page hands it to the agent), and the completion URL the page
//! goes to with the agent's ticket. A card registered without its laser ID is a first
//! factor only: its completion asks for the OTP ([`super::second_factor`]).

use super::html::{self, notice};
use super::{Reply, WebResult};
use crate::audit::{self, Method};
use crate::challenges::{self, Purpose};
use crate::http::extract::{ClientAddr, CurrentSession, ScriptSession};
use crate::http::{cookie, ApiError, AppState};
use crate::sessions::{self, Amr, FirstFactor};
use crate::signin;
use crate::tickets::{self, Grant, Redeemed, TicketRefusal};
use crate::users;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use thaiid_protocol::api::ServerErrorCode;

#[derive(serde::Serialize)]
pub struct Nonce {
    nonce: String,
    expires_at: String,
}

impl Nonce {
    pub(super) fn new(nonce: String, now: i64) -> Nonce {
        Nonce {
            nonce,
            expires_at: thaiid_protocol::date::rfc3339_utc(now + challenges::NONCE_TTL_SECS),
        }
    }
}

/// `POST /login/card/nonce` with `X-CSRF-Token`: the login page's nonce.
pub async fn nonce(
    State(state): State<AppState>,
    ScriptSession(session): ScriptSession,
) -> Result<Json<Nonce>, ApiError> {
    let now = crate::now();
    let nonce = challenges::issue(&state.pool, &state.origin, &session.id_hash, now).await?;
    Ok(Json(Nonce::new(nonce, now)))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Completion {
    pub(super) ticket: String,
}

fn refused(refusal: Option<TicketRefusal>) -> Reply {
    let (th, en) = match refusal {
        Some(TicketRefusal::Used) => (
            "ตั๋วเข้าสู่ระบบนี้ถูกใช้ไปแล้ว กรุณาเข้าสู่ระบบใหม่",
            "This login ticket was used already: log in again.",
        ),
        Some(TicketRefusal::Expired) => (
            "ตั๋วเข้าสู่ระบบหมดอายุ กรุณาเข้าสู่ระบบใหม่",
            "This login ticket expired: log in again.",
        ),
        Some(TicketRefusal::OtherSession) => (
            "ตั๋วเข้าสู่ระบบนี้ออกให้กับหน้าต่างเบราว์เซอร์อื่น กรุณาเข้าสู่ระบบใหม่จากหน้านี้",
            "This ticket belongs to another browser session: log in again here.",
        ),
        Some(TicketRefusal::Unknown) | None => (
            "ไม่พบตั๋วเข้าสู่ระบบ หรือเซสชันหมดอายุ กรุณาเข้าสู่ระบบใหม่",
            "Unknown ticket, or the session expired: log in again.",
        ),
    };
    let code = refusal.map_or(ServerErrorCode::NoSession, TicketRefusal::code);
    let body = format!(
        "{}<p class=\"code\">{}</p><p><a href=\"/login\">กลับไปหน้าเข้าสู่ระบบ</a></p>",
        notice("error", th, en),
        code.as_str()
    );
    Reply::page(
        StatusCode::BAD_REQUEST,
        html::page("เข้าสู่ระบบไม่สำเร็จ", None, &body),
    )
}

/// A refused redemption: counted for the minute's audit row of its address
/// ([`crate::card_login::strangers`]), not a row of its own, since anyone may send any
/// ticket, however often.
fn count_refusal(state: &AppState, entry: &audit::Entry, code: ServerErrorCode) {
    state.metrics.login(Method::Ticket, false);
    state
        .verifier
        .strangers()
        .count_refusal(Method::Ticket, entry.remote.as_deref(), code, None);
}

/// A ticket's redemption, audited and counted as a login.
async fn record(state: &AppState, entry: &audit::Entry, now: i64) -> Result<(), sqlx::Error> {
    state
        .metrics
        .login(entry.method, entry.outcome == audit::OK);
    audit::record(&state.pool, entry, now).await
}

/// `GET /login/card/complete?ticket=T`: logs in the session that asked for the nonce.
pub async fn complete(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Query(query): Query<Completion>,
) -> WebResult {
    let now = crate::now();
    let mut entry = audit::Entry::new(Method::Ticket);
    entry.remote = client.text();
    let Some(session) = current else {
        count_refusal(&state, &entry, ServerErrorCode::NoSession);
        return Ok(refused(None));
    };
    let redeemed = tickets::redeem(
        &state.pool,
        &query.ticket,
        &session.id_hash,
        Purpose::Login,
        now,
    )
    .await?;
    match redeemed {
        Ok(Redeemed {
            username,
            grant: Grant::FirstFactor,
        }) => {
            let has_otp = users::find(&state.pool, &username)
                .await?
                .is_some_and(|account| account.totp_secret.is_some());
            entry.set_outcome(if has_otp {
                Ok(())
            } else {
                Err(ServerErrorCode::NoOtp)
            });
            if has_otp {
                sessions::set_pending(&state.pool, &session, &username, FirstFactor::Card).await?;
            }
            entry.username = Some(username);
            record(&state, &entry, now).await?;
            Ok(if has_otp {
                Reply::see_other(super::second_factor::PATH)
            } else {
                super::second_factor::no_otp_after_card()
            })
        }
        Ok(Redeemed {
            username,
            grant: Grant::Card,
        }) => {
            let (next, id) =
                signin::log_in(&state.pool, &session, &username, Amr::Card, now).await?;
            entry.set_outcome(Ok(()));
            entry.username = Some(username.clone());
            record(&state, &entry, now).await?;
            super::first_login::after_card(&state, &username, next, cookie::set(&id)).await
        }
        // Only a registration's ticket carries a refusal.
        Ok(Redeemed {
            grant: Grant::LaserIdMissing,
            ..
        }) => {
            count_refusal(&state, &entry, ServerErrorCode::UnknownTicket);
            Ok(refused(Some(TicketRefusal::Unknown)))
        }
        Err(refusal) => {
            count_refusal(&state, &entry, refusal.code());
            Ok(refused(Some(refusal)))
        }
    }
}
