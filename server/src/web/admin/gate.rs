//! Who may open the console, asked by every console handler ([`Console`]): a person
//! signed in who holds a role, by two factors, within [`super::FRESH_SECS`]. Nobody signed
//! in goes to the login page and comes back; no role is `403`; the card alone, or an
//! older sign-in, is asked for the OTP (`/login/otp`) and comes back.

use crate::amr::Level;
use crate::http::extract::{session_of, ClientAddr};
use crate::http::{cookie, AppState, PageError};
use crate::oidc::step_up::{self, StepUp};
use crate::roles::{self, Role};
use crate::sessions::{self, Session};
use crate::signin;
use crate::users;
use crate::web::html::{self, notice};
use crate::web::Reply;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use thaiid_protocol::api::ServerErrorCode;

/// A person at the console: their session, name and roles.
pub struct Console {
    pub session: Session,
    pub username: String,
    pub roles: Vec<Role>,
}

impl Console {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    /// The helpdesk's pages: helpdesk and admin.
    pub fn helps(&self) -> bool {
        self.is_admin() || self.roles.contains(&Role::Helpdesk)
    }

    /// Whether the person decides for some system (the requests page).
    pub fn owns_any(&self) -> bool {
        self.is_admin() || self.roles.iter().any(|role| role.system().is_some())
    }

    /// Whether the person decides for system `code`: its owner, or an admin.
    pub fn owns(&self, code: &str) -> bool {
        self.is_admin() || self.owned().any(|owned| owned == code)
    }

    /// The systems the person owns (an admin's are all, without owning any).
    pub fn owned(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().filter_map(Role::system)
    }

    /// The audit log is the auditors' alone, so that admins' actions are read by others.
    pub fn audits(&self) -> bool {
        self.roles.contains(&Role::Auditor)
    }

    /// Whether the person may act on `username`'s account (block its card, reset its OTP,
    /// give a reset code, register a card): the helpdesk, for people who hold no role;
    /// an account that holds one (an admin's, an auditor's) only an admin. Else a helpdesk
    /// user could register a card of their own making to an admin's account, clear its OTP,
    /// set a new one up after that card's login, and hold the admin's console.
    pub async fn may_act_on(
        &self,
        pool: &crate::db::Pool,
        username: &str,
    ) -> Result<bool, sqlx::Error> {
        if self.is_admin() {
            return Ok(true);
        }
        Ok(self.helps() && roles::of_user(pool, username).await?.is_empty())
    }

    /// Whether a form's CSRF token is this session's.
    pub fn csrf_ok(&self, token: &str) -> bool {
        self.session.csrf_matches(token)
    }

    /// The page for a person whose roles do not open what they asked for.
    pub fn refuse(&self) -> Reply {
        forbidden(Some(&self.session))
    }
}

/// `403` in Thai and English.
pub fn forbidden(session: Option<&Session>) -> Reply {
    let body = notice(
        "error",
        "ท่านไม่มีสิทธิ์เข้าถึงหน้านี้ของระบบผู้ดูแล หากต้องการสิทธิ์ กรุณาติดต่อผู้ดูแลระบบ",
        "Your roles do not open this page of the admin console: ask an administrator.",
    );
    Reply::page(StatusCode::FORBIDDEN, html::page("ไม่มีสิทธิ์", session, &body))
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let fail = |error: sqlx::Error| PageError::from(error).into_response();
        let now = crate::now();
        // Where to come back to after a login: the page asked for (a form's target is
        // not asked for again).
        let back = match parts.method {
            Method::GET => parts
                .uri
                .path_and_query()
                .map_or("/admin", |path| path.as_str())
                .to_owned(),
            _ => "/admin".to_owned(),
        };
        let session = session_of(&state.pool, &parts.headers, now)
            .await
            .map_err(fail)?;
        let Some((session, username, amr)) = session
            .clone()
            .and_then(|s| Some((s.clone(), s.username.clone()?, s.amr?)))
        else {
            let Ok(client) = ClientAddr::from_request_parts(parts, state).await;
            return Err(to_login(state, session, client, &back, now)
                .await
                .map_err(fail)?);
        };
        let roles = roles::of_user(&state.pool, &username).await.map_err(fail)?;
        if roles.is_empty() {
            return Err(forbidden(Some(&session)).into_response());
        }
        let fresh = now.saturating_sub(session.created_at) <= super::FRESH_SECS;
        if amr.level() < Level::TwoFactor || !fresh {
            let has_otp = users::find(&state.pool, &username)
                .await
                .map_err(fail)?
                .is_some_and(|account| account.totp_secret.is_some());
            return Err(match StepUp::of(amr, has_otp) {
                StepUp::NoOtp => no_otp(&session).into_response(),
                StepUp::Otp(factor) => {
                    step_up::ask_otp(&state.pool, &session, &username, factor, &back, now)
                        .await
                        .map_err(fail)?
                        .into_response()
                }
            });
        }
        Ok(Console {
            session,
            username,
            roles,
        })
    }
}

/// To the login page, remembering where to come back.
async fn to_login(
    state: &AppState,
    session: Option<Session>,
    client: ClientAddr,
    back: &str,
    now: i64,
) -> Result<Response, sqlx::Error> {
    let (session, cookie) = match session {
        Some(session) => (session, None),
        None => {
            let per_address = state.sessions_per_address;
            let (session, id) =
                sessions::create_anonymous(&state.pool, client.0, per_address, now).await?;
            (session, Some(cookie::set(&id)))
        }
    };
    signin::remember(&state.pool, &session, back, now).await?;
    Ok(Reply::see_other("/login")
        .with_cookie(cookie)
        .into_response())
}

/// The console needs the OTP, and the account has none.
fn no_otp(session: &Session) -> Reply {
    let body = format!(
        "{}<p class=\"code\">{}</p><p><a href=\"/me/otp\">ตั้งค่า OTP</a></p>",
        notice(
            "error",
            "ระบบผู้ดูแลต้องยืนยันตัวตนสองขั้น (รหัส OTP) แต่บัญชีของท่านยังไม่ได้ตั้งค่า OTP กรุณาตั้งค่าที่หน้า /me/otp",
            "The admin console needs two factors, and your account has no OTP yet: set it up on /me/otp.",
        ),
        ServerErrorCode::NoOtp.as_str()
    );
    Reply::page(
        StatusCode::FORBIDDEN,
        html::page("ต้องใช้รหัส OTP", Some(session), &body),
    )
}
