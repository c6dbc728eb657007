//! Forgot password's card step: a nonce for this browser session, for the account it
//! named on `/forgot` (the agent signs the card's claims with it and posts them, as for a
//! login, one login per insertion); the server gives a ticket only for that account's
//! registered card, and the page redeems it here. A card of another account, a blocked or
//! unregistered card is refused under its reason code.

use super::card::{Completion, Nonce};
use super::forgot::after_proof;
use super::forgot_page::PATH;
use super::html::{self, notice};
use super::{Reply, WebResult};
use crate::audit::{self, Method};
use crate::challenges::{self, Purpose};
use crate::http::extract::{ClientAddr, CurrentSession, ScriptSession};
use crate::http::{ApiError, AppState};
use crate::password_resets::{self, Proof, Stage};
use crate::tickets::{self, Grant, Redeemed};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use thaiid_protocol::api::ServerErrorCode;

/// `POST /forgot/card/nonce` with `X-CSRF-Token`: a nonce for the card of the account
/// this session named.
pub async fn nonce(
    State(state): State<AppState>,
    ScriptSession(session): ScriptSession,
) -> Result<Json<Nonce>, ApiError> {
    let now = crate::now();
    let named = password_resets::load(&state.pool, &session.id_hash, now)
        .await?
        .is_some_and(|reset| reset.stage == Stage::Named);
    if !named {
        return Err(ApiError::new(
            ServerErrorCode::NoSession,
            "this page waits for no card: open /forgot again",
        ));
    }
    let nonce = challenges::issue_for(
        &state.pool,
        Purpose::Reset,
        &state.origin,
        &session.id_hash,
        now,
    )
    .await?;
    Ok(Json(Nonce::new(nonce, now)))
}

fn refused(code: ServerErrorCode) -> Reply {
    let (th, en) = match code {
        ServerErrorCode::NoOtp => (
            "บัตรใบนี้ลงทะเบียนไว้โดยไม่มีเลขหลังบัตร (laser ID) จึงต้องยืนยันด้วย OTP ด้วย แต่บัญชีนี้ยังไม่ได้ลงทะเบียน OTP กรุณาขอรหัสรีเซ็ตจากเจ้าหน้าที่ (helpdesk)",
            "This card is registered without its laser ID, so the OTP must follow it, and the account has no OTP: ask the helpdesk for a reset code.",
        ),
        _ => (
            "ยืนยันตัวตนด้วยบัตรไม่สำเร็จ หรือผลการอ่านบัตรใช้ไปแล้ว กรุณาเริ่มใหม่",
            "The card did not prove who you are, or its result was used already: start again.",
        ),
    };
    let body = format!(
        "{}<p class=\"code\">{}</p><p><a href=\"{PATH}\">กลับไปหน้าลืมรหัสผ่าน</a></p>",
        notice("error", th, en),
        code.as_str()
    );
    Reply::page(StatusCode::BAD_REQUEST, html::page("ลืมรหัสผ่าน", None, &body))
}

/// `GET /forgot/card/complete?ticket=T`: the card proved the account; the OTP follows
/// (if the account has one, and it must for a card registered without its laser ID).
pub async fn complete(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Query(query): Query<Completion>,
) -> WebResult {
    let now = crate::now();
    let mut entry = audit::Entry::new(Method::Forgot);
    entry.remote = client.text();
    let Some(session) = current else {
        entry.set_outcome(Err(ServerErrorCode::NoSession));
        audit::record(&state.pool, &entry, now).await?;
        return Ok(refused(ServerErrorCode::NoSession));
    };
    let redeemed = tickets::redeem(
        &state.pool,
        &query.ticket,
        &session.id_hash,
        Purpose::Reset,
        now,
    )
    .await?;
    let reset = password_resets::load(&state.pool, &session.id_hash, now).await?;
    let outcome = match (redeemed, reset) {
        (Ok(Redeemed { username, grant }), Some(reset))
            if reset.username == username && reset.stage == Stage::Named =>
        {
            entry.username = Some(username.clone());
            let next = after_proof(&state, &username).await?;
            if next == Stage::Ready && grant != Grant::Card {
                Err(ServerErrorCode::NoOtp)
            } else {
                let moved = password_resets::advance(
                    &state.pool,
                    &session.id_hash,
                    Stage::Named,
                    next,
                    Some(Proof::Card),
                    now,
                )
                .await?;
                if moved {
                    Ok(())
                } else {
                    Err(ServerErrorCode::NoSession)
                }
            }
        }
        (Ok(_), _) => Err(ServerErrorCode::NoSession),
        (Err(refusal), _) => Err(refusal.code()),
    };
    entry.set_outcome(outcome);
    audit::record(&state.pool, &entry, now).await?;
    Ok(match outcome {
        Ok(()) => Reply::see_other(PATH),
        Err(code) => refused(code),
    })
}
