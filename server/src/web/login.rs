//! Login by user name + password (the OTP follows: [`super::second_factor`]); and logout.
//! Every attempt is audited.

use super::attempts::audit;
use super::guessing::{self, Wait};
use super::html::{self, csrf_field, escape, notice};
use super::{stale_form, Reply, WebResult};
use crate::audit::Method;
use crate::http::extract::{ClientAddr, CurrentSession};
use crate::http::{cookie, AppState};
use crate::sessions::{self, FirstFactor, Session};
use crate::signin;
use crate::{passwords, users};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use thaiid_protocol::api::ServerErrorCode;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    username: String,
    password: String,
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    /// Set after logout.
    bye: Option<String>,
    /// Set after a new password was set on `/forgot`.
    reset: Option<String>,
}

fn login_page(state: &AppState, session: &Session, message: &str, username: &str) -> String {
    let body = format!(
        r#"{message}
<section class="card-login">
<h2>เข้าสู่ระบบด้วยบัตรประชาชน</h2>
<p>เสียบบัตรประชาชนในเครื่องอ่านบัตร ระบบจะเข้าสู่ระบบให้ทันที หากบัตรเสียบอยู่แล้ว กดปุ่มด้านล่าง</p>
<p lang="en">Insert your ID card into the reader to log in; if it is in already, press the button.</p>
<button type="button" id="card-login" data-agent-url="{agent_url}">เข้าสู่ระบบด้วยการเสียบบัตรประชาชน</button>
<div id="card-status" role="status" aria-live="polite"></div>
</section>
<section>
<h2>เข้าสู่ระบบด้วยชื่อผู้ใช้และรหัสผ่าน</h2>
<form method="post" action="/login" id="password-login">
{csrf}
<label>ชื่อผู้ใช้ <input name="username" id="username" autocomplete="username" required value="{username}"></label>
<label>รหัสผ่าน <input name="password" id="password" type="password" autocomplete="current-password" required></label>
<button type="submit">ถัดไป</button>
</form>
<p><a href="/forgot" id="forgot-link">ลืมรหัสผ่าน</a> <span lang="en">(Forgot password)</span></p>
</section>
<script type="module" src="/assets/login.js"></script>"#,
        csrf = csrf_field(session),
        username = escape(username),
        agent_url = escape(&state.agent_url),
    );
    html::page("เข้าสู่ระบบ", Some(session), &body)
}

/// The session of a form post, if its CSRF token is right.
pub(super) fn form_session(current: Option<Session>, csrf: &str) -> Option<Session> {
    current.filter(|session| session.csrf_matches(csrf))
}

pub async fn form(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Query(query): Query<LoginQuery>,
) -> WebResult {
    let now = crate::now();
    let (session, cookie) = match current {
        // Signed in: the systems page, unless a system asked for a new login.
        Some(session) if session.username.is_some() => {
            if !signin::pending(&state.pool, &session, now).await? {
                return Ok(Reply::see_other("/systems"));
            }
            (session, None)
        }
        Some(session) => (session, None),
        None => {
            let per_address = state.sessions_per_address;
            let (session, id) =
                sessions::create_anonymous(&state.pool, client.0, per_address, now).await?;
            (session, Some(cookie::set(&id)))
        }
    };
    let message = if query.bye.is_some() {
        notice("ok", "ออกจากระบบเรียบร้อยแล้ว", "You are logged out.")
    } else if query.reset.is_some() {
        notice(
            "ok",
            "ตั้งรหัสผ่านใหม่เรียบร้อยแล้ว ทุกเซสชันเดิมของบัญชีออกจากระบบแล้ว กรุณาเข้าสู่ระบบด้วยรหัสผ่านใหม่",
            "Your new password is set and every other session of the account has ended: log in with it.",
        )
    } else if session.username.is_some() {
        notice(
            "info",
            "ระบบงานขอให้ยืนยันตัวตนอีกครั้ง กรุณาเข้าสู่ระบบใหม่",
            "The system asks you to log in again.",
        )
    } else {
        String::new()
    };
    Ok(Reply::page(StatusCode::OK, login_page(&state, &session, &message, "")).with_cookie(cookie))
}

pub(super) fn too_many(state: &AppState, session: &Session, username: &str, wait: Wait) -> Reply {
    let message = guessing::login_wait_notice(wait);
    Reply::page(
        StatusCode::TOO_MANY_REQUESTS,
        login_page(state, session, &message, username),
    )
    .with_retry_after(wait.0)
}

pub async fn password(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Form(form): Form<PasswordForm>,
) -> WebResult {
    let Some(session) = form_session(current, &form.csrf) else {
        return Ok(stale_form());
    };
    let username = form.username.trim();
    let account = users::find(&state.pool, username).await?;
    let known = account.as_ref().map(|account| account.username.as_str());
    if let Err(wait) = guessing::attempt(&state, Method::Password, username, known, client).await? {
        return Ok(too_many(&state, &session, username, wait));
    }
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let right = passwords::verify_queued(stored, form.password).await;
    let account = match account {
        Some(account) if right => account,
        _ => {
            let wrong = Err(ServerErrorCode::BadPassword);
            audit(&state, Method::Password, wrong, known, client).await?;
            let message = notice(
                "error",
                "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
                "Wrong user name or password.",
            );
            return Ok(Reply::page(
                StatusCode::UNAUTHORIZED,
                login_page(&state, &session, &message, username),
            ));
        }
    };
    if account.totp_secret.is_none() {
        let no_otp = Err(ServerErrorCode::NoOtp);
        audit(
            &state,
            Method::Password,
            no_otp,
            Some(&account.username),
            client,
        )
        .await?;
        let message = notice(
            "error",
            "บัญชีนี้ยังไม่ได้ตั้งค่า OTP กรุณาเข้าสู่ระบบด้วยบัตรประชาชน แล้วตั้งค่า OTP ที่หน้าข้อมูลส่วนบุคคล (/me)",
            "This account has no OTP yet: log in with your ID card, then set the OTP up on your page (/me).",
        );
        return Ok(Reply::page(
            StatusCode::FORBIDDEN,
            login_page(&state, &session, &message, username),
        ));
    }
    guessing::right(&state, username, client).await?;
    sessions::set_pending(
        &state.pool,
        &session,
        &account.username,
        FirstFactor::Password,
    )
    .await?;
    audit(
        &state,
        Method::Password,
        Ok(()),
        Some(&account.username),
        client,
    )
    .await?;
    Ok(Reply::see_other("/login/otp"))
}

pub async fn logout(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Form(form): Form<CsrfForm>,
) -> WebResult {
    let Some(session) = form_session(current, &form.csrf) else {
        return Ok(stale_form());
    };
    sessions::end(&state.pool, &session).await?;
    if let Some(username) = &session.username {
        audit(&state, Method::Logout, Ok(()), Some(username), client).await?;
    }
    Ok(Reply::see_other("/login?bye=1").with_cookie(Some(cookie::clear())))
}
