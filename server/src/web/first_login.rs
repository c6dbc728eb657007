//! The first login (SPEC §7a): IT created the account, linked the citizen ID and
//! registered the card; the person's card login lands on `/me`, which shows what is
//! still missing (a password, the OTP) and leads through both: the password form here
//! (`POST /me/password`, only while the account has none) and the OTP setup
//! ([`super::otp_setup`]).

use super::html::{self, csrf_field, notice};
use super::{stale_form, Reply, WebResult};
use crate::audit::{self, Method};
use crate::http::extract::{ClientAddr, LoggedIn};
use crate::http::AppState;
use crate::otp::Step;
use crate::password_rules;
use crate::sessions::Session;
use crate::signin::AfterLogin;
use crate::users::{self, Account};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Form;

/// Whether the account still lacks a way to log in without its card.
pub(super) fn unfinished(account: &Account) -> bool {
    account.password_hash.is_none() || account.totp_secret.is_none()
}

/// Where a card login goes: `/me` while the account is unfinished, unless a system's
/// request is waiting for the login.
pub(super) async fn after_card(
    state: &AppState,
    username: &str,
    next: AfterLogin,
    cookie: String,
) -> WebResult {
    if next == AfterLogin::Systems {
        let account = users::find(&state.pool, username).await?;
        if account.as_ref().is_some_and(unfinished) {
            return Ok(Reply::see_other("/me").with_cookie(Some(cookie)));
        }
    }
    Ok(next.reply(cookie))
}

/// What `/me` was sent back with after a step: `otp=30|180`, `password=1`.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    /// Text, read leniently: a query this page did not make is no error.
    otp: Option<String>,
    password: Option<String>,
}

const PASSWORD_RULES: &str =
    "อย่างน้อย 10 ตัวอักษร ไม่ใช่ชื่อผู้ใช้ ไม่ใช่เลขประจำตัวประชาชน และไม่ใช่รหัสผ่านที่ใช้กันทั่วไป";

fn password_form(session: &Session) -> String {
    format!(
        r#"<form method="post" action="/me/password" id="password-setup">
{csrf}
<label>ตั้งรหัสผ่าน (New password) <input name="password" id="new-password" type="password" autocomplete="new-password" minlength="{min}" required></label>
<p class="hint">{PASSWORD_RULES}</p>
<p class="hint" lang="en">At least {min} characters; not your user name, your citizen ID or a common password.</p>
<button type="submit">บันทึกรหัสผ่าน</button>
</form>"#,
        csrf = csrf_field(session),
        min = password_rules::MIN_LENGTH,
    )
}

/// The `/me` section that shows what is set up and what is still missing.
pub(super) fn section(session: &Session, account: &Account, done: &Done) -> String {
    let mut messages = String::new();
    if let Some(step) = done
        .otp
        .as_deref()
        .and_then(|secs| secs.parse().ok())
        .and_then(Step::from_secs)
    {
        let (th, en) = step.every();
        let th = format!("ตั้งค่า OTP เรียบร้อยแล้ว แอปของท่านเปลี่ยนรหัสทุก {th}");
        let en = format!("OTP set up: your app shows a new code every {en}.");
        messages.push_str(&notice("ok", &th, &en));
    }
    if done.password.is_some() {
        messages.push_str(&notice("ok", "ตั้งรหัสผ่านเรียบร้อยแล้ว", "Your password is set."));
    }
    if unfinished(account) {
        messages.push_str(&notice(
            "info",
            "บัญชีของท่านยังตั้งค่าไม่ครบ กรุณาตั้งรหัสผ่านและ OTP ตามรายการด้านล่าง เพื่อให้เข้าสู่ระบบด้วยชื่อผู้ใช้ รหัสผ่าน และ OTP ได้เมื่อไม่มีบัตรประชาชน",
            "Your account is not set up yet: set a password and the OTP below, so that you can log in without your ID card.",
        ));
    }
    let password = if account.password_hash.is_some() {
        r#"<li id="setup-password" data-state="done">รหัสผ่าน: ตั้งแล้ว <span lang="en">(Password: set)</span></li>"#.to_owned()
    } else {
        format!(
            r#"<li id="setup-password" data-state="missing">รหัสผ่าน: <strong>ยังไม่ได้ตั้ง</strong> <span lang="en">(Password: not set)</span>
{}</li>"#,
            password_form(session)
        )
    };
    let otp = match &account.totp_secret {
        Some(_) => format!(
            r#"<li id="setup-otp" data-state="done">OTP: ตั้งค่าแล้ว (แอปเปลี่ยนรหัสทุก {}) <span lang="en">(OTP: set up)</span> <a href="/me/otp" id="otp-setup-link">เปลี่ยนแอป OTP</a></li>"#,
            account.totp_step.every().0
        ),
        None => r#"<li id="setup-otp" data-state="missing">OTP: <strong>ยังไม่ได้ตั้งค่า</strong> <span lang="en">(OTP: not set up)</span> <a href="/me/otp" id="otp-setup-link" class="button">ตั้งค่า OTP</a></li>"#.to_owned(),
    };
    format!(
        "<section id=\"first-login\">\n<h2>การเข้าสู่ระบบด้วยรหัสผ่านและ OTP</h2>\n{messages}\n<ol id=\"setup-steps\">\n{password}\n{otp}\n</ol>\n</section>"
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
    csrf: String,
}

fn password_page(session: &Session, status: StatusCode, message: &str) -> Reply {
    let body = format!(
        "{message}\n{}\n<p><a href=\"/me\">กลับไปหน้าข้อมูลส่วนบุคคล</a></p>",
        password_form(session)
    );
    Reply::page(status, html::page("ตั้งรหัสผ่าน", Some(session), &body))
}

/// `POST /me/password` (field `password`): the account's first password. Changing a
/// password the account has is not done here.
pub async fn set_password(
    State(state): State<AppState>,
    LoggedIn { session, username }: LoggedIn,
    client: ClientAddr,
    Form(form): Form<PasswordForm>,
) -> WebResult {
    if !session.csrf_matches(&form.csrf) {
        return Ok(stale_form());
    }
    let Some(account) = users::find(&state.pool, &username).await? else {
        return Ok(Reply::see_other("/login"));
    };
    let has_one = notice(
        "error",
        "บัญชีนี้มีรหัสผ่านอยู่แล้ว หน้านี้ใช้ตั้งรหัสผ่านครั้งแรกเท่านั้น",
        "This account has a password already: this page only sets the first one.",
    );
    if account.password_hash.is_some() {
        return Ok(has_one_page(&session, &has_one));
    }
    let now = crate::now();
    let set = users::set_first_password(&state.pool, &username, &form.password).await;
    // Audited when set or refused as weak; a second form finding one set changed nothing.
    let outcome = match &set {
        Ok(true) => Some(Ok(())),
        Err(users::UserError::Weak(weak)) => Some(Err(weak.code())),
        Ok(false) | Err(_) => None,
    };
    if let Some(outcome) = outcome {
        let mut entry = audit::Entry::new(Method::PasswordSet);
        entry.set_outcome(outcome);
        entry.username = Some(username.clone());
        entry.remote = client.text();
        audit::record(&state.pool, &entry, now).await?;
    }
    match set {
        Ok(true) => Ok(Reply::see_other("/me?password=1")),
        Ok(false) => Ok(has_one_page(&session, &has_one)),
        Err(users::UserError::Weak(weak)) => {
            tracing::info!("a first password refused on /me: {weak}");
            let (th, en) = weak.explain();
            let message = format!(
                "{}<p class=\"code\">{}</p>",
                notice("error", th, en),
                weak.code().as_str()
            );
            Ok(password_page(
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                &message,
            ))
        }
        Err(users::UserError::Db(error)) => Err(error.into()),
        Err(other) => {
            tracing::error!("a first password: {other}");
            Err(crate::http::PageError)
        }
    }
}

fn has_one_page(session: &Session, message: &str) -> Reply {
    let body = format!("{message}\n<p><a href=\"/me\">กลับไปหน้าข้อมูลส่วนบุคคล</a></p>");
    Reply::page(
        StatusCode::CONFLICT,
        html::page("ตั้งรหัสผ่าน", Some(session), &body),
    )
}
