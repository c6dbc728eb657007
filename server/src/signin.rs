//! Logging a browser session in, and going back to the request that waited for it. An
//! OpenID Connect authorization request that found nobody signed in, or a login older than it accepts
//! (`prompt=login`, `max_age`): the browser session is sent to the login page, and once it
//! has logged in (password + OTP or card) it goes back to the request instead of the
//! systems page. A page of the admin console that wants a new two-factor login comes back
//! the same way. The new session is remembered as logged in for that request, which
//! then counts that login as the new one it asked for.

use crate::amr::Amr;
use crate::db::Pool;
use crate::page::{html, Reply};
use crate::sessions::{self, Session};
use axum::http::StatusCode;

/// The OpenID Connect provider's authorization endpoint ([`crate::oidc`]), whose requests
/// a login goes back to.
pub const AUTHORIZE_PATH: &str = "/oidc/authorize";
/// The page where a session holding its first factor gives its OTP
/// ([`crate::web::second_factor`]); a request that needs more than the card sends it there.
pub const OTP_PATH: &str = "/login/otp";

/// How long a login may take before the system's request is forgotten.
pub const RESUME_TTL_SECS: i64 = 15 * 60;
/// How long after a login the request it was made for may come back and count it.
pub const FRESH_TTL_SECS: i64 = 120;

/// The path of the authorization request with `query`, as the browser asks for it again.
pub fn request_path(query: &str) -> String {
    format!("{AUTHORIZE_PATH}?{query}")
}

/// Remembers that `session` should go back to `path` (made by the server: no open
/// redirect) once it has logged in.
pub async fn remember(
    pool: &Pool,
    session: &Session,
    path: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_resumes (session_hash, path, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (session_hash) DO UPDATE SET path = $2, expires_at = $3",
    )
    .bind(&session.id_hash)
    .bind(path)
    .bind(now + RESUME_TTL_SECS)
    .execute(pool)
    .await?;
    Ok(())
}

/// Where a session that has just logged in goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterLogin {
    Systems,
    /// Back to the authorization request it came with.
    Resume(String),
}

impl AfterLogin {
    /// The answer that sends the browser there with its new session `cookie`. Back to a
    /// request it is a page that moves on by itself, not a redirect: the login form's
    /// `form-action 'self'` covers every redirect after the post, and the request ends in
    /// a redirect to the system, another origin, which the browser would block.
    pub fn reply(self, cookie: String) -> Reply {
        match self {
            AfterLogin::Systems => Reply::see_other("/systems"),
            AfterLogin::Resume(path) => {
                let body = format!(
                    r#"<meta http-equiv="refresh" content="0;url={path}">
<p>กำลังกลับไปยังระบบงาน <a href="{path}" id="resume">ไปต่อ</a></p>
<p lang="en">Going back to the system: <a href="{path}">continue</a>.</p>"#,
                    path = html::escape(&path)
                );
                Reply::page(StatusCode::OK, html::page("เข้าสู่ระบบแล้ว", None, &body))
            }
        }
        .with_cookie(Some(cookie))
    }
}

/// Whether `session` is to log in for a request: then the login page shows even to a
/// person signed in, whom the request asked to log in again.
pub async fn pending(pool: &Pool, session: &Session, now: i64) -> Result<bool, sqlx::Error> {
    let found = sqlx::query(
        "SELECT 1 AS one FROM oidc_resumes WHERE session_hash = $1 AND expires_at > $2",
    )
    .bind(&session.id_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Logs `old` in as `username` by `amr` ([`sessions::log_in`]: a new session, a new id):
/// where the browser goes next, and the new id for its cookie. A login for a request
/// is remembered as that request's new login ([`fresh_login`]).
pub async fn log_in(
    pool: &Pool,
    old: &Session,
    username: &str,
    amr: Amr,
    now: i64,
) -> Result<(AfterLogin, String), sqlx::Error> {
    let next = after_login(pool, old, now).await?;
    let (session, id) = sessions::log_in(pool, old, username, amr, now).await?;
    if let AfterLogin::Resume(path) = &next {
        sqlx::query(
            "INSERT INTO oidc_fresh_logins (session_hash, path, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(&session.id_hash)
        .bind(path)
        .bind(now + FRESH_TTL_SECS)
        .execute(pool)
        .await?;
    }
    Ok((next, id))
}

/// Whether `session` was made by a login for the request at `path` within
/// [`FRESH_TTL_SECS`]: spent by the first ask, so that the request counts it once.
pub async fn fresh_login(
    pool: &Pool,
    session: &Session,
    path: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let spent = sqlx::query(
        "DELETE FROM oidc_fresh_logins WHERE session_hash = $1 AND path = $2 \
         AND expires_at > $3 RETURNING session_hash",
    )
    .bind(&session.id_hash)
    .bind(path)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    Ok(spent.is_some())
}

/// Whether a login may go back to `path`: an authorization request, or a page of the
/// admin console that asked for a new two-factor login.
fn resumable(path: &str) -> bool {
    let admin = path
        .strip_prefix("/admin")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']));
    path.starts_with(AUTHORIZE_PATH) || admin
}

/// Where `session`, logging in now, goes next: the request it came with, or the systems
/// page. Called before the session is replaced by the logged-in one.
async fn after_login(pool: &Pool, session: &Session, now: i64) -> Result<AfterLogin, sqlx::Error> {
    let path: Option<String> = sqlx::query_scalar(
        "DELETE FROM oidc_resumes WHERE session_hash = $1 AND expires_at > $2 RETURNING path",
    )
    .bind(&session.id_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    sqlx::query("DELETE FROM oidc_resumes WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await?;
    Ok(path
        .filter(|path| resumable(path))
        .map_or(AfterLogin::Systems, AfterLogin::Resume))
}
