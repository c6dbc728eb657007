//! Forgot password (SPEC §7a), `/forgot`: the person names their account, proves who
//! they are with the registered card ([`super::forgot_card`]) or a helpdesk reset code in
//! its place, then with the OTP if the account has one, and only then sets a new password
//! (`POST /forgot/password`), which ends every session of the account. The progress is
//! kept server side ([`password_resets`]); each step is audited (`forgot`), and the steps
//! that can be guessed at are rate-limited like a login.

use super::attempts::audit;
use super::forgot_page::{forgot_page, PATH};
use super::guessing;
use super::html::notice;
use super::login::form_session;
use super::second_factor::otp_refusal_notice;
use super::{stale_form, Reply, WebResult};
use crate::audit::Method;
use crate::http::extract::{ClientAddr, CurrentSession};
use crate::http::{cookie, AppState, PageError};
use crate::otp_check;
use crate::password_resets::{self, Proof, Reset, ResetError, Stage};
use crate::sessions::{self, Session};
use crate::users::{self, UserError};
use crate::{password_rules, reset_codes};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use thaiid_protocol::api::ServerErrorCode;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ForgotQuery {
    /// Start again with another name.
    again: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    username: String,
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
    csrf: String,
}

/// The session's reset, if it is at `stage`.
async fn at_stage(
    state: &AppState,
    session: &Session,
    stage: Stage,
) -> Result<Option<Reset>, sqlx::Error> {
    let reset = password_resets::load(&state.pool, &session.id_hash, crate::now()).await?;
    Ok(reset.filter(|reset| reset.stage == stage))
}

/// The step after the card or the code: the OTP, unless the account has none.
pub(super) async fn after_proof(state: &AppState, username: &str) -> Result<Stage, sqlx::Error> {
    let has_otp = users::find(&state.pool, username)
        .await?
        .is_some_and(|account| account.totp_secret.is_some());
    Ok(if has_otp { Stage::Proven } else { Stage::Ready })
}

/// The account's name for the audit log: only an account's, never a name as typed.
async fn known(state: &AppState, username: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(users::find(&state.pool, username)
        .await?
        .map(|account| account.username))
}

fn refused(
    state: &AppState,
    session: &Session,
    reset: &Reset,
    status: StatusCode,
    message: String,
) -> Reply {
    Reply::page(status, forgot_page(state, session, Some(reset), &message))
}

/// `GET /forgot`: the step the session is at (a new session if it has none).
pub async fn form(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Query(query): Query<ForgotQuery>,
) -> WebResult {
    let now = crate::now();
    let (session, set) = match current {
        Some(session) => (session, None),
        None => {
            let per_address = state.sessions_per_address;
            let (session, id) =
                sessions::create_anonymous(&state.pool, client.0, per_address, now).await?;
            (session, Some(cookie::set(&id)))
        }
    };
    if query.again.is_some() {
        password_resets::end(&state.pool, &session.id_hash).await?;
    }
    let reset = password_resets::load(&state.pool, &session.id_hash, now).await?;
    let page = forgot_page(&state, &session, reset.as_ref(), "");
    Ok(Reply::page(StatusCode::OK, page).with_cookie(set))
}

/// `POST /forgot` (field `username`): the account to reset. Whether it exists is not
/// said: the proof fails for a name that is nobody's.
pub async fn name(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Form(form): Form<NameForm>,
) -> WebResult {
    let Some(session) = form_session(current, &form.csrf) else {
        return Ok(stale_form());
    };
    let username = form.username.trim();
    if username.is_empty() {
        return Ok(Reply::see_other(PATH));
    }
    password_resets::begin(&state.pool, &session.id_hash, username, crate::now()).await?;
    let account = known(&state, username).await?;
    audit(&state, Method::Forgot, Ok(()), account.as_deref(), client).await?;
    Ok(Reply::see_other(PATH))
}

/// `POST /forgot/code` (field `code`): the helpdesk's reset code, in place of the card.
pub async fn code(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Form(form): Form<CodeForm>,
) -> WebResult {
    let Some(session) = form_session(current, &form.csrf) else {
        return Ok(stale_form());
    };
    let Some(reset) = at_stage(&state, &session, Stage::Named).await? else {
        return Ok(Reply::see_other(PATH));
    };
    let account = known(&state, &reset.username).await?;
    let account = account.as_deref();
    let counted = guessing::attempt(&state, Method::Forgot, &reset.username, account, client);
    if let Err(wait) = counted.await? {
        return Ok(refused(
            &state,
            &session,
            &reset,
            StatusCode::TOO_MANY_REQUESTS,
            guessing::wait_notice(wait),
        )
        .with_retry_after(wait.0));
    }
    let now = crate::now();
    if reset_codes::spend(&state.pool, &reset.username, &form.code, now)
        .await?
        .is_err()
    {
        audit(
            &state,
            Method::Forgot,
            Err(ServerErrorCode::BadResetCode),
            account,
            client,
        )
        .await?;
        let message = notice(
            "error",
            "รหัสรีเซ็ตไม่ถูกต้อง ใช้ไปแล้ว หรือหมดอายุ (ใช้ได้ครั้งเดียวภายใน 15 นาที) กรุณาขอรหัสใหม่จากเจ้าหน้าที่",
            "Wrong, used or expired reset code (one use, within 15 minutes): ask the helpdesk for a new one.",
        );
        return Ok(refused(
            &state,
            &session,
            &reset,
            StatusCode::UNAUTHORIZED,
            message,
        ));
    }
    guessing::right(&state, &reset.username, client).await?;
    let next = after_proof(&state, &reset.username).await?;
    password_resets::advance(
        &state.pool,
        &session.id_hash,
        Stage::Named,
        next,
        Some(Proof::Code),
        now,
    )
    .await?;
    audit(&state, Method::Forgot, Ok(()), account, client).await?;
    Ok(Reply::see_other(PATH))
}

/// `POST /forgot/otp` (field `code`): the account's OTP, after the card or the code.
pub async fn otp(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Form(form): Form<CodeForm>,
) -> WebResult {
    let Some(session) = form_session(current, &form.csrf) else {
        return Ok(stale_form());
    };
    let Some(reset) = at_stage(&state, &session, Stage::Proven).await? else {
        return Ok(Reply::see_other(PATH));
    };
    let username = reset.username.as_str();
    let counted = guessing::attempt(&state, Method::Forgot, username, Some(username), client);
    if let Err(wait) = counted.await? {
        return Ok(refused(
            &state,
            &session,
            &reset,
            StatusCode::TOO_MANY_REQUESTS,
            guessing::wait_notice(wait),
        )
        .with_retry_after(wait.0));
    }
    let now = crate::now();
    let checked = otp_check::check(&state.pool, &state.otp_key, username, &form.code, now).await?;
    if let Some(code) = checked.refusal() {
        audit(&state, Method::Forgot, Err(code), Some(username), client).await?;
        let message = otp_refusal_notice(checked);
        return Ok(refused(
            &state,
            &session,
            &reset,
            StatusCode::UNAUTHORIZED,
            message,
        ));
    }
    guessing::right(&state, username, client).await?;
    password_resets::advance(
        &state.pool,
        &session.id_hash,
        Stage::Proven,
        Stage::Ready,
        None,
        now,
    )
    .await?;
    audit(&state, Method::Forgot, Ok(()), Some(username), client).await?;
    Ok(Reply::see_other(PATH))
}

/// `POST /forgot/password` (field `password`): the new password, for a session that has
/// given every proof. Every session of the account ends; the person logs in with it.
pub async fn password(
    State(state): State<AppState>,
    CurrentSession(current): CurrentSession,
    client: ClientAddr,
    Form(form): Form<PasswordForm>,
) -> WebResult {
    let Some(session) = form_session(current, &form.csrf) else {
        return Ok(stale_form());
    };
    let now = crate::now();
    match password_resets::set_password(&state.pool, &session.id_hash, &form.password, now).await {
        Ok(username) => {
            audit(&state, Method::Forgot, Ok(()), Some(&username), client).await?;
            Ok(Reply::see_other("/login?reset=1"))
        }
        Err(ResetError::Weak(weak)) => {
            let reset = at_stage(&state, &session, Stage::Ready).await?;
            let Some(reset) = reset else {
                return Ok(Reply::see_other(PATH));
            };
            let refusal = Err(weak.code());
            audit(
                &state,
                Method::Forgot,
                refusal,
                Some(&reset.username),
                client,
            )
            .await?;
            let (th, en) = password_rules::WeakPassword::explain(weak);
            let message = notice("error", th, en);
            Ok(refused(
                &state,
                &session,
                &reset,
                StatusCode::UNPROCESSABLE_ENTITY,
                message,
            ))
        }
        Err(ResetError::User(UserError::Db(error))) => Err(PageError::from(error)),
        // Not ready, or the account went away meanwhile: the page says where it stands.
        Err(_) => Ok(Reply::see_other(PATH)),
    }
}
