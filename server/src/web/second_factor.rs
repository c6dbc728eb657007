//! `/login/otp`: a session that holds a first factor ([`Pending`]: the right password, or
//! a card registered without its laser ID) gives the 6-digit OTP of the mobile app (180 s
//! step, each code once, guesses rate-limited per account and address), and only then is
//! it logged in, as the first factor and the OTP together (`pwd otp`, `card otp`). A
//! person signed in by card whose system needs two factors comes here too (step-up,
//! [`crate::oidc::step_up`]): the card is held as the first factor. Every attempt is
//! audited.

use super::attempts::audit;
use super::guessing;
use super::html::{self, csrf_field, notice};
use super::login::{form_session, too_many};
use super::{stale_form, Reply, WebResult};
use crate::audit::Method;
use crate::http::extract::{ClientAddr, CurrentSession};
use crate::http::{cookie, AppState};
use crate::otp::Step;
use crate::otp_check::{self, OtpCheck};
use crate::sessions::{Amr, FirstFactor, Pending, Session};
use crate::signin::{self, AfterLogin};
use crate::{cards, users};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Form;
use thaiid_protocol::api::ServerErrorCode;

/// Where a session waiting for its OTP is sent.
pub const PATH: &str = crate::signin::OTP_PATH;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct OtpForm {
    code: String,
    csrf: String,
}

/// Whether `session`, signed in by its card, waits for the OTP a system needs.
fn steps_up(session: &Session, pending: &Pending) -> bool {
    session.amr == Some(Amr::Card)
        && pending.factor == FirstFactor::Card
        && session.username.as_deref() == Some(pending.username.as_str())
}

/// The step of `username`'s app, for the page to say how often its code changes.
async fn step_of(state: &AppState, username: &str) -> Result<Step, sqlx::Error> {
    let account = users::find(&state.pool, username).await?;
    Ok(account.map_or(Step::Slow, |account| account.totp_step))
}

fn otp_page(session: &Session, pending: &Pending, step: Step, message: &str) -> String {
    let why = match pending.factor {
        _ if steps_up(session, pending) => notice(
            "info",
            "ระบบงานที่ท่านกำลังเข้าใช้ต้องยืนยันตัวตนสองขั้น: บัตรประชาชนและรหัส OTP ท่านเข้าสู่ระบบด้วยบัตรแล้ว กรุณากรอกรหัส OTP อีกขั้นหนึ่ง",
            "This system needs the OTP too: you are signed in by your ID card, enter the OTP to go on.",
        ),
        FirstFactor::Password => String::new(),
        FirstFactor::Card => notice(
            "info",
            "อ่านบัตรประชาชนแล้ว บัตรใบนี้ลงทะเบียนไว้โดยไม่มีเลขหลังบัตร (laser ID) จึงต้องยืนยันด้วยรหัส OTP อีกขั้นหนึ่ง",
            "Your ID card was read. It is registered without its laser ID, so the OTP is asked too.",
        ),
    };
    let body = format!(
        r#"{message}
{why}
<p>กรอกรหัส OTP 6 หลักจากแอปพลิเคชันบนมือถือ (รหัสเปลี่ยนทุก {every_th})</p>
<p lang="en">Enter the 6-digit code of your mobile app (it changes every {every_en}).</p>
<form method="post" action="{PATH}" id="otp-login" data-first-factor="{factor}">
{csrf}
<label>รหัส OTP <input name="code" id="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{{6}}" maxlength="6" required autofocus></label>
<button type="submit">เข้าสู่ระบบ</button>
</form>
<p><a href="/login">เริ่มใหม่</a></p>"#,
        csrf = csrf_field(session),
        factor = pending.factor.as_str(),
        every_th = step.every().0,
        every_en = step.every().1,
    );
    html::page("ยืนยันรหัส OTP", Some(session), &body)
}

/// The page a card registered without its laser ID gets when its account has no OTP: the
/// login cannot be completed here.
pub fn no_otp_after_card() -> Reply {
    let body = format!(
        "{}<p class=\"code\">{}</p><p><a href=\"/login\">กลับไปหน้าเข้าสู่ระบบ</a></p>",
        notice(
            "error",
            "บัตรใบนี้ลงทะเบียนไว้โดยไม่มีเลขหลังบัตร (laser ID) จึงต้องยืนยันด้วยรหัส OTP ด้วย แต่บัญชีของท่านยังไม่ได้ลงทะเบียน OTP กรุณาติดต่อเจ้าหน้าที่ (helpdesk)",
            "This card is registered without its laser ID, so the OTP must follow it, and your account has no OTP: ask the helpdesk.",
        ),
        ServerErrorCode::NoOtp.as_str()
    );
    Reply::page(
        StatusCode::FORBIDDEN,
        html::page("เข้าสู่ระบบไม่สำเร็จ", None, &body),
    )
}

/// What a page says of an OTP it refused.
pub(super) fn otp_refusal_notice(checked: OtpCheck) -> String {
    let (th, en) = match checked {
        OtpCheck::Replayed => (
            "รหัส OTP นี้ถูกใช้ไปแล้ว กรุณารอรหัสใหม่จากแอปพลิเคชัน",
            "This code was used already: wait for the next one.",
        ),
        OtpCheck::NoOtp => ("บัญชีนี้ยังไม่ได้ลงทะเบียน OTP", "This account has no OTP yet."),
        OtpCheck::Right | OtpCheck::Wrong => ("รหัส OTP ไม่ถูกต้อง", "Wrong code."),
    };
    notice("error", th, en)
}

/// `GET /login/otp`: the form, for a session that holds a first factor.
pub async fn form(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
) -> WebResult {
    let Some((session, pending)) = current.and_then(|s| Some((s.clone(), s.pending?))) else {
        return Ok(Reply::see_other("/login"));
    };
    let step = step_of(&state, &pending.username).await?;
    let page = otp_page(&session, &pending, step, "");
    Ok(Reply::page(StatusCode::OK, page))
}

/// `POST /login/otp` (field `code`): the OTP completes the first factor's login.
pub async fn submit(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Form(form): Form<OtpForm>,
) -> WebResult {
    let Some(session) = form_session(current, &form.csrf) else {
        return Ok(stale_form());
    };
    let Some(pending) = session.pending.clone() else {
        return Ok(Reply::see_other("/login"));
    };
    let username = pending.username.as_str();
    let now = crate::now();
    let known = Some(username);
    if let Err(wait) = guessing::attempt(&state, Method::Otp, username, known, client).await? {
        return Ok(too_many(&state, &session, username, wait));
    }
    let checked = otp_check::check(&state.pool, &state.otp_key, username, &form.code, now).await?;
    if let Some(code) = checked.refusal() {
        audit(&state, Method::Otp, Err(code), Some(username), client).await?;
        let message = otp_refusal_notice(checked);
        let step = step_of(&state, username).await?;
        return Ok(Reply::page(
            StatusCode::UNAUTHORIZED,
            otp_page(&session, &pending, step, &message),
        ));
    }
    guessing::right(&state, username, client).await?;
    guessing::logged_in(&state, username, client).await?;
    let amr = pending.factor.with_otp();
    let (next, id) = signin::log_in(&state.pool, &session, username, amr, now).await?;
    audit(&state, Method::Otp, Ok(()), Some(username), client).await?;
    // A card registered by its serial alone before laser binding: its holder is asked on
    // /me to insert it again, unless a system is waiting.
    if pending.factor == FirstFactor::Card && next == AfterLogin::Systems {
        let again = cards::registered(&state.pool, username)
            .await?
            .is_some_and(|card| card.to_register_again());
        if again {
            return Ok(Reply::see_other("/me").with_cookie(Some(cookie::set(&id))));
        }
        // A first login by such a card: /me asks for the password still missing.
        return super::first_login::after_card(&state, username, next, cookie::set(&id)).await;
    }
    Ok(next.reply(cookie::set(&id)))
}
