//! `/admin/people/{username}/card` (helpdesk and admin): the helpdesk registers a
//! person's card by inserting it into the helpdesk's own reader. The page asks for a nonce
//! bound to this console session and naming the person, the helpdesk workstation's agent
//! reads the card and signs its claims with it, and the server registers the card if its
//! citizen ID is that person's ([`crate::card_login`]); the page then redeems the agent's
//! ticket here to show the result.

use super::{page, Console};
use crate::challenges::{self, Purpose};
use crate::http::{ApiError, AppState};
use crate::tickets::{self, Grant, Redeemed};
use crate::users::Account;
use crate::web::card::{Completion, Nonce};
use crate::web::html::{self, escape, notice};
use crate::web::{Reply, WebResult};
use crate::{cards, users};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use thaiid_protocol::api::ServerErrorCode;

/// The page's own path for `username`, each byte outside `[A-Za-z0-9._-]` escaped.
fn card_path(username: &str) -> String {
    let segment: String = username
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/admin/people/{segment}/card")
}

/// The person, their citizen ID masked, and the card registered now.
async fn person_section(state: &AppState, account: &Account) -> Result<String, sqlx::Error> {
    let card = match cards::registered(&state.pool, &account.username).await? {
        Some(card) => format!(
            "<p id=\"registered-card\" data-state=\"registered\">บัตรที่ลงทะเบียนอยู่: เลขใต้รูป <span class=\"serial\">{}</span>{} (เมื่อ {} เวลาประเทศไทย)</p>",
            escape(&card.serial_masked),
            if card.laser { " พร้อมเลขหลังบัตร" } else { " ไม่มีเลขหลังบัตร" },
            html::thai_time(card.registered_at),
        ),
        None => "<p id=\"registered-card\" data-state=\"none\">ยังไม่ได้ลงทะเบียนบัตร <span lang=\"en\">(no card registered)</span></p>".to_owned(),
    };
    Ok(format!(
        r#"<dl class="person">
<dt>ชื่อผู้ใช้ <span lang="en">(user name)</span></dt><dd id="person-username">{username}</dd>
<dt>ชื่อ <span lang="en">(name)</span></dt><dd>{name}</dd>
<dt>เลขประจำตัวประชาชน <span lang="en">(citizen ID)</span></dt><dd id="person-citizen-id">{citizen}</dd>
</dl>
{card}"#,
        username = escape(&account.username),
        name = escape(&account.display_name),
        citizen = escape(&account.citizen_id_masked().unwrap_or_else(|| "-".into())),
    ))
}

/// The page for a user name nobody has.
fn no_person(console: &Console) -> Reply {
    let body = notice("error", "ไม่พบบุคลากรที่มีชื่อผู้ใช้นี้", "Nobody has this user name.");
    with_status(page(console, "ไม่พบบุคลากร", &body), StatusCode::NOT_FOUND)
}

fn with_status(mut reply: Reply, new: StatusCode) -> Reply {
    if let Reply::Page { status, .. } = &mut reply {
        *status = new;
    }
    reply
}

/// `GET /admin/people/{username}/card`: the person, their card, and the button that
/// registers the card in the helpdesk's reader as theirs.
pub async fn form(
    State(state): State<AppState>,
    console: Console,
    Path(username): Path<String>,
) -> WebResult {
    if !console.helps() {
        return Ok(console.refuse());
    }
    let Some(account) = users::find(&state.pool, &username).await? else {
        return Ok(no_person(&console));
    };
    let action = if account.citizen_id.is_none() {
        notice(
            "error",
            "บัญชีนี้ยังไม่ได้ผูกกับเลขประจำตัวประชาชน ต้องผูกเลขประจำตัวประชาชนก่อนจึงจะลงทะเบียนบัตรได้",
            "This account is linked to no citizen ID: link one before registering a card.",
        )
    } else {
        let path = card_path(&account.username);
        format!(
            r#"<p>ให้เจ้าของบัตรเสียบบัตรประชาชนในเครื่องอ่านบัตรของเครื่องนี้ แล้วกดปุ่มด้านล่าง ระบบจะลงทะเบียนบัตรเฉพาะเมื่อเลขประจำตัวประชาชนในบัตรตรงกับของบุคคลนี้ บัตรใบเดิม (ถ้ามี) จะใช้เข้าสู่ระบบไม่ได้อีก</p>
<p lang="en">Have the person insert their ID card into this computer's reader and press the button. The card is registered only if its citizen ID is this person's; their old card, if any, stops working.</p>
<button type="button" id="desk-card-register" data-agent-url="{agent}" data-nonce-url="{path}/nonce" data-complete-url="{path}/complete">อ่านบัตรและลงทะเบียน <span lang="en">(read and register the card)</span></button>
<div id="card-status" role="status" aria-live="polite"></div>
<script type="module" src="/assets/desk-card.js"></script>"#,
            agent = escape(&state.agent_url),
            path = escape(&path),
        )
    };
    let body = format!(
        "<h2>ลงทะเบียนบัตรโดยเสียบบัตร <span lang=\"en\">(register a card by inserting it)</span></h2>\n{}\n{action}",
        person_section(&state, &account).await?
    );
    Ok(page(&console, "ลงทะเบียนบัตร", &body))
}

/// The nonce refused to a session whose roles do not open the helpdesk's pages.
fn forbidden() -> ApiError {
    ApiError::with_status(
        StatusCode::FORBIDDEN,
        ServerErrorCode::NoSession,
        "only the helpdesk and admins register a person's card",
    )
}

/// `POST /admin/people/{username}/card/nonce` with `X-CSRF-Token`: a nonce that registers
/// the card read with it to this person, for this console session.
pub async fn nonce(
    State(state): State<AppState>,
    console: Result<Console, Response>,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Nonce>, ApiError> {
    // The console's refusals are pages (the login, the OTP, 403): the script says reload,
    // and the page shows which.
    let console = console.map_err(|refused| match refused.status() {
        StatusCode::FORBIDDEN => forbidden(),
        _ => ApiError::new(
            ServerErrorCode::NoSession,
            "the console asks you to sign in again: reload the page",
        ),
    })?;
    let token = headers
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !console.csrf_ok(token) {
        return Err(ApiError::new(
            ServerErrorCode::BadCsrf,
            "the page is stale: reload it",
        ));
    }
    if !console.may_act_on(&state.pool, &username).await? {
        return Err(forbidden());
    }
    let linked = users::find(&state.pool, &username)
        .await?
        .is_some_and(|account| account.citizen_id.is_some());
    if !linked {
        return Err(ApiError::new(
            ServerErrorCode::NotLinked,
            "no person of this user name is linked to a citizen ID",
        ));
    }
    let now = crate::now();
    let nonce = challenges::issue_for_desk(
        &state.pool,
        &state.origin,
        &console.session.id_hash,
        &username,
        now,
    )
    .await?;
    Ok(Json(Nonce::new(nonce, now)))
}

/// `GET /admin/people/{username}/card/complete?ticket=T`: the registration's result, for
/// the console session that asked for the nonce and the person it named.
pub async fn complete(
    State(state): State<AppState>,
    console: Console,
    Path(username): Path<String>,
    Query(query): Query<Completion>,
) -> WebResult {
    if !console.helps() {
        return Ok(console.refuse());
    }
    let now = crate::now();
    let redeemed = tickets::redeem(
        &state.pool,
        &query.ticket,
        &console.session.id_hash,
        Purpose::DeskRegister,
        now,
    )
    .await?;
    let back = format!(
        "<p><a href=\"{}\">กลับไปหน้าบัตรของบุคคลนี้</a> · <a href=\"/admin/people\">บุคลากรและบัตร</a></p>",
        escape(&card_path(&username))
    );
    let (status, title, body) = match redeemed {
        Ok(Redeemed {
            username: registered,
            grant: Grant::Card,
        }) if registered == username => {
            let serial = cards::registered(&state.pool, &username)
                .await?
                .map(|card| card.serial_masked)
                .unwrap_or_default();
            let body = format!(
                "{}<p id=\"registered-card\" data-state=\"registered\">{} · เลขใต้รูป <span class=\"serial\" id=\"registered-serial\">{}</span> พร้อมเลขหลังบัตร</p>{back}",
                notice(
                    "ok",
                    "ลงทะเบียนบัตรเรียบร้อยแล้ว บุคคลนี้ใช้บัตรนี้เข้าสู่ระบบได้ บัตรใบเดิม (ถ้ามี) ใช้ไม่ได้อีก",
                    "Card registered: this person logs in with it from now on; their old card, if any, no longer works.",
                ),
                escape(&username),
                escape(&serial),
            );
            (StatusCode::OK, "ลงทะเบียนบัตรเรียบร้อยแล้ว", body)
        }
        Ok(Redeemed {
            username: registered,
            grant: Grant::LaserIdMissing,
        }) if registered == username => {
            let body = format!(
                "{}<p class=\"code\">{}</p>{back}",
                notice(
                    "error",
                    "ไม่ได้ลงทะเบียนบัตร เพราะอ่านเลขหลังบัตร (laser ID) จากบัตรไม่ได้ กรุณาถอดบัตรแล้วเสียบใหม่และลองอีกครั้ง หากเป็นบัตรรุ่นเก่าที่ไม่มีเลขหลังบัตร (ดูที่ด้านหลังบัตร) ให้ฝ่ายไอทีลงทะเบียนด้วยคำสั่ง thaiid-server user card ชื่อผู้ใช้ --serial เลขใต้รูป --no-laser-applet",
                    "The card was not registered: its laser ID could not be read. Take it out, insert it again and retry. For an old card with no laser ID on its back, IT registers it with `thaiid-server user card NAME --serial S --no-laser-applet`; its card logins then ask for the OTP too.",
                ),
                crate::audit::LASER_ID_MISSING
            );
            (StatusCode::UNPROCESSABLE_ENTITY, "ลงทะเบียนบัตรไม่สำเร็จ", body)
        }
        other => {
            let code = match other {
                Err(refusal) => refusal.code(),
                Ok(_) => tickets::TicketRefusal::OtherSession.code(),
            };
            let body = format!(
                "{}<p class=\"code\">{}</p>{back}",
                notice(
                    "error",
                    "ไม่พบผลการลงทะเบียนบัตรของบุคคลนี้สำหรับหน้านี้ หรือแสดงไปแล้ว กรุณาลงทะเบียนใหม่จากหน้าบัตรของบุคคลนี้",
                    "No registration result for this person and this page, or it was shown already: register again from the person's card page.",
                ),
                code.as_str()
            );
            (StatusCode::BAD_REQUEST, "ลงทะเบียนบัตรไม่สำเร็จ", body)
        }
    };
    Ok(with_status(page(&console, title, &body), status))
}
