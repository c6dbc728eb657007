//! The ID-card button's two calls: a nonce bound to this browser session and the
//! server's origin (the page hands it to the agent), and the completion URL the page
//! goes to with the agent's ticket.

use super::html::{self, notice};
use super::session;
use super::{Reply, WebResult};
use crate::api::{remote, ApiError, AppState};
use crate::audit::{self, Method};
use crate::card_login::{self, TicketRefusal};
use crate::challenges::{self, Purpose};
use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::Json;

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
    headers: HeaderMap,
) -> Result<Json<Nonce>, ApiError> {
    let now = crate::now();
    let session = calling_session(&state, &headers, now).await?;
    let nonce = challenges::issue(&state.pool, &state.origin, &session.id_hash, now)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Nonce::new(nonce, now)))
}

/// The session of a page's script call, if it sent the session's `X-CSRF-Token`.
pub(super) async fn calling_session(
    state: &AppState,
    headers: &HeaderMap,
    now: i64,
) -> Result<session::Session, ApiError> {
    let session = session::load(&state.pool, headers, now)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "NO_SESSION",
                "the session expired: reload the page",
            )
        })?;
    let token = headers
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !session.csrf_matches(token) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "BAD_CSRF",
            "the page is stale: reload it",
        ));
    }
    Ok(session)
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
    let code = refusal.map_or("NO_SESSION", TicketRefusal::code);
    let body = format!(
        "{}<p class=\"code\">{code}</p><p><a href=\"/login\">กลับไปหน้าเข้าสู่ระบบ</a></p>",
        notice("error", th, en)
    );
    Reply::page(
        StatusCode::BAD_REQUEST,
        html::page("เข้าสู่ระบบไม่สำเร็จ", None, &body),
    )
}

/// `GET /login/card/complete?ticket=T`: logs in the session that asked for the nonce.
pub async fn complete(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Query(query): Query<Completion>,
) -> WebResult {
    let now = crate::now();
    let mut entry = audit::Entry::new(Method::Ticket);
    entry.remote = remote(&extensions);
    let Some(session) = session::load(&state.pool, &headers, now).await? else {
        entry.outcome = "NO_SESSION".into();
        audit::record(&state.pool, &entry, now).await?;
        return Ok(refused(None));
    };
    let redeemed = card_login::redeem(
        &state.pool,
        &query.ticket,
        &session.id_hash,
        Purpose::Login,
        now,
    )
    .await?;
    match redeemed {
        Ok(username) => {
            let next = crate::oidc::resume::after_login(&state.pool, &session, now).await?;
            let (_, cookie) =
                session::log_in(&state.pool, &session, &username, session::Amr::Card, now).await?;
            entry.outcome = "OK".into();
            entry.username = Some(username);
            audit::record(&state.pool, &entry, now).await?;
            Ok(next.reply(cookie))
        }
        Err(refusal) => {
            entry.outcome = refusal.code().into();
            audit::record(&state.pool, &entry, now).await?;
            Ok(refused(Some(refusal)))
        }
    }
}
