//! A person registers their own card on `/me`: only in a session that logged in with
//! password + OTP, or with card + OTP to add the laser ID to the card registered by its
//! serial alone (a card alone never registers one). The page gets a registration nonce
//! bound to the session, the agent signs the card's claims with it and posts them as for
//! a login; the server registers the card if its citizen ID is the account's and it gave
//! its laser ID, and the page redeems the ticket here to show the result, or why not.

use super::card::{Completion, Nonce};
use super::html::{self, escape, notice};
use super::{Reply, WebResult};
use crate::challenges::{self, Purpose};
use crate::http::extract::{LoggedIn, ScriptSession};
use crate::http::{ApiError, AppState};
use crate::sessions::{Amr, Session};
use crate::tickets::{self, Grant, Redeemed, TicketRefusal};
use crate::{cards, users};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use thaiid_protocol::api::ServerErrorCode;

/// Whether `session` may register a card: logged in with password + OTP, or with card +
/// OTP (then only to add the laser ID to the card it logged in with).
fn may_register(session: &Session) -> bool {
    matches!(session.amr, Some(Amr::PasswordOtp | Amr::CardOtp))
}

/// The `/me` section: the registered card (serial masked, never the laser ID), a card
/// registered by its serial alone asked for again, and, in a session that may register,
/// the button that registers the card in the reader.
pub(super) async fn section(
    state: &AppState,
    session: &Session,
    account: &users::Account,
) -> Result<String, sqlx::Error> {
    let registered = cards::registered(&state.pool, &account.username).await?;
    let register_again = registered
        .as_ref()
        .is_some_and(cards::Registered::to_register_again);
    let again = if register_again {
        format!(
            "<div id=\"register-again\">{}</div>",
            notice(
                "error",
                "บัตรของท่านลงทะเบียนไว้ด้วยเลขใต้รูปเท่านั้น ซึ่งพิมพ์อยู่บนหน้าบัตรและปลอมได้ จึงต้องยืนยันด้วย OTP ทุกครั้ง กรุณาเสียบบัตรอีกครั้งแล้วกดปุ่มลงทะเบียนด้านล่าง เพื่อลงทะเบียนบัตรพร้อมเลขหลังบัตร (laser ID)",
                "Your card is registered by the number under the photo alone, which is printed on its front and can be copied, so the OTP is asked every time: insert the card again and press the button below to register it with its laser ID.",
            )
        )
    } else {
        String::new()
    };
    let state_row = match registered {
        Some(card) => format!(
            "<p id=\"registered-card\" data-state=\"registered\">บัตรที่ลงทะเบียน: เลขใต้รูป <span class=\"serial\">{}</span>{} (ลงทะเบียนเมื่อ {} เวลาประเทศไทย)</p>",
            escape(&card.serial_masked),
            match (card.laser, card.without_laser) {
                (true, _) => " พร้อมเลขหลังบัตร",
                (false, Some(cards::WithoutLaser::NoApplet)) => {
                    " (บัตรรุ่นไม่มีเลขหลังบัตร: ยืนยันด้วย OTP ทุกครั้งที่เข้าสู่ระบบด้วยบัตร)"
                }
                (false, _) => " (ไม่มีเลขหลังบัตร)",
            },
            html::thai_time(card.registered_at),
        ),
        None => "<p id=\"registered-card\" data-state=\"none\">ยังไม่ได้ลงทะเบียนบัตร: เข้าสู่ระบบด้วยบัตรไม่ได้จนกว่าจะลงทะเบียน</p>\n<p lang=\"en\">No card registered: card login is refused until one is.</p>".to_owned(),
    };
    let action = if account.citizen_id.is_none() {
        notice(
            "info",
            "บัญชีนี้ยังไม่ได้ผูกกับเลขประจำตัวประชาชน กรุณาติดต่อผู้ดูแลระบบก่อนลงทะเบียนบัตร",
            "This account is linked to no citizen ID: ask IT before registering a card.",
        )
    } else if !may_register(session)
        // A card + OTP session only adds the laser ID to its own card.
        || (session.amr == Some(Amr::CardOtp) && !register_again)
    {
        notice(
            "info",
            "ลงทะเบียนบัตรใหม่ได้หลังเข้าสู่ระบบด้วยชื่อผู้ใช้ รหัสผ่าน และ OTP เท่านั้น",
            "To register a card, log in with your user name, password and OTP.",
        )
    } else {
        format!(
            r#"<p>เสียบบัตรประชาชนของท่านในเครื่องอ่านบัตร แล้วกดปุ่มด้านล่าง บัตรใบเดิม (ถ้ามี) จะใช้เข้าสู่ระบบไม่ได้อีก</p>
<p lang="en">Put your ID card in the reader and press the button. Your old card, if any, stops working.</p>
<button type="button" id="card-register" data-agent-url="{}">ลงทะเบียนบัตรนี้</button>
<div id="card-status" role="status" aria-live="polite"></div>
<script type="module" src="/assets/card-register.js"></script>"#,
            escape(&state.agent_url)
        )
    };
    Ok(format!(
        "<h2>บัตรประชาชนสำหรับเข้าสู่ระบบ</h2>\n<section class=\"card-registration\">\n{again}{state_row}\n{action}\n</section>"
    ))
}

/// `POST /me/card/nonce` with `X-CSRF-Token`: a registration nonce, for a session logged
/// in with password + OTP (or card + OTP) to an account linked to a citizen ID.
pub async fn nonce(
    State(state): State<AppState>,
    ScriptSession(session): ScriptSession,
) -> Result<Json<Nonce>, ApiError> {
    let now = crate::now();
    let Some(username) = session
        .username
        .as_deref()
        .filter(|_| may_register(&session))
    else {
        return Err(ApiError::new(
            ServerErrorCode::NeedsPasswordOtp,
            "log in with password + OTP to register a card",
        ));
    };
    let linked = users::find(&state.pool, username)
        .await?
        .is_some_and(|account| account.citizen_id.is_some());
    if !linked {
        return Err(ApiError::new(
            ServerErrorCode::NotLinked,
            "this account is linked to no citizen ID: ask IT",
        ));
    }
    let nonce = challenges::issue_for(
        &state.pool,
        Purpose::RegisterCard,
        &state.origin,
        &session.id_hash,
        now,
    )
    .await?;
    Ok(Json(Nonce::new(nonce, now)))
}

/// `GET /me/card/complete?ticket=T`: the registration's result, for the session that
/// asked for the nonce.
pub async fn complete(
    State(state): State<AppState>,
    LoggedIn { session, username }: LoggedIn,
    Query(query): Query<Completion>,
) -> WebResult {
    let now = crate::now();
    let redeemed = tickets::redeem(
        &state.pool,
        &query.ticket,
        &session.id_hash,
        Purpose::RegisterCard,
        now,
    )
    .await?;
    let (status, title, body) = match redeemed {
        Ok(Redeemed {
            username: registered,
            grant: Grant::LaserIdMissing,
        }) if registered == username => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "ลงทะเบียนบัตรไม่สำเร็จ",
            format!(
                "{}<p class=\"code\">{}</p><p><a href=\"/me\">กลับไปหน้าข้อมูลส่วนบุคคล</a></p>",
                notice(
                    "error",
                    "ลงทะเบียนบัตรไม่ได้ เพราะอ่านเลขหลังบัตร (laser ID) จากบัตรไม่ได้ กรุณาถอดบัตรแล้วเสียบใหม่และลองอีกครั้ง หากเป็นบัตรรุ่นเก่าที่ไม่มีชิปนี้ กรุณาติดต่อเจ้าหน้าที่ (helpdesk) ให้ลงทะเบียนบัตรให้",
                    "The card was not registered: its laser ID could not be read from the card. Take it out, insert it again and retry; if it is an old card without that chip, the helpdesk registers it.",
                ),
                crate::audit::LASER_ID_MISSING
            ),
        ),
        Ok(Redeemed {
            username: registered,
            ..
        }) if registered == username => {
            let serial = cards::registered(&state.pool, &username)
                .await?
                .map(|card| card.serial_masked)
                .unwrap_or_default();
            (
                StatusCode::OK,
                "ลงทะเบียนบัตรเรียบร้อยแล้ว",
                format!(
                    "{}<p id=\"registered-serial\">{}</p><p><a href=\"/me\">กลับไปหน้าข้อมูลส่วนบุคคล</a></p>",
                    notice(
                        "ok",
                        "ลงทะเบียนบัตรเรียบร้อยแล้ว ใช้บัตรนี้เข้าสู่ระบบได้ บัตรใบเดิม (ถ้ามี) ใช้ไม่ได้อีก",
                        "Card registered: log in with it from now on. Your old card, if any, no longer works.",
                    ),
                    escape(&serial)
                ),
            )
        }
        other => {
            let code = match other {
                Err(refusal) => refusal.code(),
                Ok(_) => TicketRefusal::OtherSession.code(),
            };
            (
                StatusCode::BAD_REQUEST,
                "ลงทะเบียนบัตรไม่สำเร็จ",
                format!(
                    "{}<p class=\"code\">{}</p><p><a href=\"/me\">กลับไปหน้าข้อมูลส่วนบุคคล</a></p>",
                    notice(
                        "error",
                        "ไม่พบผลการลงทะเบียนบัตร หรือใช้ไปแล้ว กรุณาลองลงทะเบียนใหม่จากหน้าข้อมูลส่วนบุคคล",
                        "No such registration result, or it was shown already: register again from your page.",
                    ),
                    code.as_str()
                ),
            )
        }
    };
    Ok(Reply::page(
        status,
        html::page(title, Some(&session), &body),
    ))
}
