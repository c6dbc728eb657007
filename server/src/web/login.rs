//! Login by user name + password, then the 6-digit OTP of the mobile app (180 s step,
//! never twice, guesses rate-limited); and logout. Every attempt is audited.

use super::html::{self, csrf_field, escape, notice};
use super::session::{self, Session};
use super::{stale_form, Reply, WebResult};
use crate::api::{remote, AppState};
use crate::audit::{self, Method};
use crate::throttle::{self, Key};
use crate::{otp, passwords, users};
use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::Form;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    username: String,
    password: String,
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct OtpForm {
    code: String,
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
</section>
<script type="module" src="/assets/login.js"></script>"#,
        csrf = csrf_field(session),
        username = escape(username),
        agent_url = escape(&state.agent_url),
    );
    html::page("เข้าสู่ระบบ", Some(session), &body)
}

fn otp_page(session: &Session, message: &str) -> String {
    let body = format!(
        r#"{message}
<p>กรอกรหัส OTP 6 หลักจากแอปพลิเคชันบนมือถือ (รหัสเปลี่ยนทุก 3 นาที)</p>
<p lang="en">Enter the 6-digit code of your mobile app (it changes every 3 minutes).</p>
<form method="post" action="/login/otp" id="otp-login">
{csrf}
<label>รหัส OTP <input name="code" id="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{{6}}" maxlength="6" required autofocus></label>
<button type="submit">เข้าสู่ระบบ</button>
</form>
<p><a href="/login">เริ่มใหม่</a></p>"#,
        csrf = csrf_field(session),
    );
    html::page("ยืนยันรหัส OTP", Some(session), &body)
}

/// The session of a form post, if its CSRF token is right.
async fn form_session(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Option<Session>, super::WebError> {
    let session = session::load(&state.pool, headers, crate::now()).await?;
    Ok(session.filter(|session| session.csrf_matches(csrf)))
}

/// Audits an attempt under `account`: a name only once it is an account's, never as typed
/// (people type their password into the name field).
async fn audit(
    state: &AppState,
    method: Method,
    outcome: &str,
    account: Option<&str>,
    extensions: &Extensions,
) -> Result<(), sqlx::Error> {
    let mut entry = audit::Entry::new(method);
    entry.outcome = outcome.into();
    entry.username = account.map(str::to_owned);
    entry.remote = remote(extensions);
    audit::record(&state.pool, &entry, crate::now()).await
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> WebResult {
    let now = crate::now();
    let (session, cookie) = match session::load(&state.pool, &headers, now).await? {
        Some(session) if session.username.is_some() => return Ok(Reply::see_other("/systems")),
        Some(session) => (session, None),
        None => {
            let (session, cookie) = session::create(&state.pool, None, now).await?;
            (session, Some(cookie))
        }
    };
    let message = if query.bye.is_some() {
        notice("ok", "ออกจากระบบเรียบร้อยแล้ว", "You are logged out.")
    } else {
        String::new()
    };
    Ok(Reply::page(StatusCode::OK, login_page(&state, &session, &message, "")).with_cookie(cookie))
}

fn too_many(state: &AppState, session: &Session, username: &str) -> Reply {
    let message = notice(
        "error",
        "ลองผิดหลายครั้งเกินไป กรุณารอ 15 นาทีแล้วลองใหม่ หรือเข้าสู่ระบบด้วยบัตรประชาชน",
        "Too many failed attempts: wait 15 minutes, or log in with your ID card.",
    );
    Reply::page(
        StatusCode::TOO_MANY_REQUESTS,
        login_page(state, session, &message, username),
    )
}

pub async fn password(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<PasswordForm>,
) -> WebResult {
    let Some(session) = form_session(&state, &headers, &form.csrf).await? else {
        return Ok(stale_form());
    };
    let now = crate::now();
    let address = remote(&extensions).unwrap_or_default();
    let username = form.username.trim();
    let keys = [Key::Account(username), Key::Address(&address)];
    let account = users::find(&state.pool, username).await?;
    let known = account.as_ref().map(|account| account.username.as_str());
    if !throttle::allowed(&state.pool, &keys, now).await? {
        audit(&state, Method::Password, "THROTTLED", known, &extensions).await?;
        return Ok(too_many(&state, &session, username));
    }
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let password = form.password;
    let right =
        tokio::task::spawn_blocking(move || passwords::verify(stored.as_deref(), &password))
            .await
            .unwrap_or(false);
    let account = match account {
        Some(account) if right => account,
        _ => {
            throttle::failed(&state.pool, &keys, now).await?;
            audit(&state, Method::Password, "BAD_PASSWORD", known, &extensions).await?;
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
        audit(
            &state,
            Method::Password,
            "NO_OTP",
            Some(&account.username),
            &extensions,
        )
        .await?;
        let message = notice(
            "error",
            "บัญชีนี้ยังไม่ได้ลงทะเบียน OTP กรุณาติดต่อผู้ดูแลระบบ หรือเข้าสู่ระบบด้วยบัตรประชาชน",
            "This account has no OTP yet: ask IT, or log in with your ID card.",
        );
        return Ok(Reply::page(
            StatusCode::FORBIDDEN,
            login_page(&state, &session, &message, username),
        ));
    }
    session::set_pending(&state.pool, &session, &account.username).await?;
    audit(
        &state,
        Method::Password,
        "OK",
        Some(&account.username),
        &extensions,
    )
    .await?;
    Ok(Reply::see_other("/login/otp"))
}

pub async fn otp_form(State(state): State<AppState>, headers: HeaderMap) -> WebResult {
    match session::load(&state.pool, &headers, crate::now()).await? {
        Some(session) if session.pending_username.is_some() => {
            Ok(Reply::page(StatusCode::OK, otp_page(&session, "")))
        }
        _ => Ok(Reply::see_other("/login")),
    }
}

pub async fn otp(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<OtpForm>,
) -> WebResult {
    let Some(session) = form_session(&state, &headers, &form.csrf).await? else {
        return Ok(stale_form());
    };
    let Some(username) = session.pending_username.clone() else {
        return Ok(Reply::see_other("/login"));
    };
    let now = crate::now();
    let address = remote(&extensions).unwrap_or_default();
    let keys = [Key::Account(&username), Key::Address(&address)];
    if !throttle::allowed(&state.pool, &keys, now).await? {
        audit(
            &state,
            Method::Otp,
            "THROTTLED",
            Some(&username),
            &extensions,
        )
        .await?;
        return Ok(too_many(&state, &session, &username));
    }
    let secret = users::find(&state.pool, &username)
        .await?
        .and_then(|account| account.totp_secret)
        .and_then(|stored| match state.otp_key.open(&stored, &username) {
            Ok(secret) => Some(secret),
            Err(problem) => {
                tracing::error!("{problem}");
                None
            }
        });
    let step = secret.and_then(|secret| otp::matching_step(&secret, &form.code, now as u64));
    let refusal = match step {
        None => Some(("BAD_OTP", "รหัส OTP ไม่ถูกต้อง", "Wrong code.")),
        Some(step) if !users::spend_otp_step(&state.pool, &username, step).await? => Some((
            "REPLAYED_OTP",
            "รหัส OTP นี้ถูกใช้ไปแล้ว กรุณารอรหัสใหม่จากแอปพลิเคชัน",
            "This code was used already: wait for the next one.",
        )),
        Some(_) => None,
    };
    if let Some((code, th, en)) = refusal {
        throttle::failed(&state.pool, &keys, now).await?;
        audit(&state, Method::Otp, code, Some(&username), &extensions).await?;
        return Ok(Reply::page(
            StatusCode::UNAUTHORIZED,
            otp_page(&session, &notice("error", th, en)),
        ));
    }
    throttle::succeeded(&state.pool, &username).await?;
    let next = crate::oidc::resume::after_login(&state.pool, &session, now).await?;
    let (_, cookie) = session::log_in(
        &state.pool,
        &session,
        &username,
        session::Amr::PasswordOtp,
        now,
    )
    .await?;
    audit(&state, Method::Otp, "OK", Some(&username), &extensions).await?;
    Ok(next.reply(cookie))
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<CsrfForm>,
) -> WebResult {
    let Some(session) = form_session(&state, &headers, &form.csrf).await? else {
        return Ok(stale_form());
    };
    session::end(&state.pool, &session).await?;
    if let Some(username) = &session.username {
        audit(&state, Method::Logout, "OK", Some(username), &extensions).await?;
    }
    Ok(Reply::see_other("/login?bye=1").with_cookie(Some(session::clear_cookie())))
}
