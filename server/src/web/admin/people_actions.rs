//! The helpdesk's actions on a person (`POST /admin/people/{username}/…`, helpdesk and
//! admin, CSRF): link or unlink a citizen ID, block the card, reset the OTP, give a
//! password reset code (shown once, on the page that answers), clear a lockout. Each calls
//! the [`crate::people`] function the command line calls, as this console user.

use super::people::{given, refusal_of, refusal_th, refused};
use super::people_person::{person_page, unknown};
use super::Console;
use crate::http::AppState;
use crate::people::{self, PersonError};
use crate::web::html::{escape, notice};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::{Path, State};
use axum::Form;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LinkForm {
    citizen_id: String,
    /// `link` or `unlink`.
    change: String,
    csrf: String,
}

/// Who may act: the form's own session, and the helpdesk's role over this person
/// ([`Console::may_act_on`]).
async fn gate(
    state: &AppState,
    console: &Console,
    csrf: &str,
    username: &str,
) -> Result<Option<Reply>, sqlx::Error> {
    Ok(if !console.csrf_ok(csrf) {
        Some(stale_form())
    } else if !console.may_act_on(&state.pool, username).await? {
        Some(console.refuse())
    } else {
        None
    })
}

/// Back to the person's page, saying what was done.
fn done(username: &str, what: &str) -> Reply {
    let user: String = url::form_urlencoded::byte_serialize(username.as_bytes()).collect();
    Reply::see_other(&format!("/admin/people/{user}?done={what}"))
}

/// The person's page again with why `error` refused the action (400), or 404 for nobody.
async fn refusal(
    state: &AppState,
    console: &Console,
    username: &str,
    error: PersonError,
) -> WebResult {
    let error = refusal_of(error)?;
    let Some(person) = people::state(&state.pool, username, crate::now()).await? else {
        return Ok(unknown(console));
    };
    let message = notice("error", refusal_th(&error), &error.to_string());
    Ok(refused(person_page(console, &person, &message)))
}

/// `POST /admin/people/{username}/link`: link the citizen ID typed, or unlink.
pub async fn link(
    State(state): State<AppState>,
    console: Console,
    Path(username): Path<String>,
    Form(form): Form<LinkForm>,
) -> WebResult {
    if let Some(refused) = gate(&state, &console, &form.csrf, &username).await? {
        return Ok(refused);
    }
    let (citizen_id, what) = match form.change.as_str() {
        "unlink" => (None, "unlinked"),
        _ => (Some(given(&form.citizen_id).unwrap_or_default()), "linked"),
    };
    let now = crate::now();
    match people::link(&state.pool, &username, citizen_id, &console.username, now).await {
        Ok(()) => Ok(done(&username, what)),
        Err(error) => refusal(&state, &console, &username, error).await,
    }
}

/// `POST /admin/people/{username}/block`: block the registered card (a lost card).
pub async fn block(
    State(state): State<AppState>,
    console: Console,
    Path(username): Path<String>,
    Form(form): Form<ActionForm>,
) -> WebResult {
    if let Some(refused) = gate(&state, &console, &form.csrf, &username).await? {
        return Ok(refused);
    }
    let now = crate::now();
    match people::block_card(&state.pool, &username, &console.username, now).await {
        Ok(_) => Ok(done(&username, "blocked")),
        Err(error) => refusal(&state, &console, &username, error).await,
    }
}

/// `POST /admin/people/{username}/otp-reset`: clear the OTP; its owner sets a new one up.
pub async fn otp_reset(
    State(state): State<AppState>,
    console: Console,
    Path(username): Path<String>,
    Form(form): Form<ActionForm>,
) -> WebResult {
    if let Some(refused) = gate(&state, &console, &form.csrf, &username).await? {
        return Ok(refused);
    }
    let now = crate::now();
    match people::reset_otp(&state.pool, &username, &console.username, now).await {
        Ok(()) => Ok(done(&username, "otp-reset")),
        Err(error) => refusal(&state, &console, &username, error).await,
    }
}

/// `POST /admin/people/{username}/unlock`: clear a lockout.
pub async fn unlock(
    State(state): State<AppState>,
    console: Console,
    Path(username): Path<String>,
    Form(form): Form<ActionForm>,
) -> WebResult {
    if let Some(refused) = gate(&state, &console, &form.csrf, &username).await? {
        return Ok(refused);
    }
    let now = crate::now();
    match people::clear_lockout(&state.pool, &username, &console.username, now).await {
        Ok(()) => Ok(done(&username, "unlocked")),
        Err(error) => refusal(&state, &console, &username, error).await,
    }
}

/// `POST /admin/people/{username}/reset-code`: a reset code, shown on this answer alone
/// (a redirect would put it in a URL and the browser's history).
pub async fn reset_code(
    State(state): State<AppState>,
    console: Console,
    Path(username): Path<String>,
    Form(form): Form<ActionForm>,
) -> WebResult {
    if let Some(refused) = gate(&state, &console, &form.csrf, &username).await? {
        return Ok(refused);
    }
    let now = crate::now();
    let code = match people::give_reset_code(&state.pool, &username, &console.username, now).await {
        Ok(code) => code,
        Err(error) => return refusal(&state, &console, &username, error).await,
    };
    let Some(person) = people::state(&state.pool, &username, now).await? else {
        return Ok(unknown(&console));
    };
    let message = format!(
        "{}<p class=\"code\" id=\"reset-code\">{}</p>",
        notice(
            "ok",
            "รหัสรีเซ็ตรหัสผ่าน (แสดงครั้งเดียว ใช้ได้ครั้งเดียวภายใน 15 นาที): แจ้งรหัสนี้แก่เจ้าของบัญชี เพื่อใช้แทนบัตรที่หน้า ลืมรหัสผ่าน",
            "The password reset code, shown once: one use within 15 minutes, in place of the card on the forgot-password page. Give it to the account's owner.",
        ),
        escape(&code)
    );
    Ok(person_page(&console, &person, &message))
}
