//! An authorization request that found nobody signed in: the browser session is sent to the
//! login page, and once it has logged in (password + OTP or card) it goes back to the
//! request instead of the systems page.

use crate::db::Pool;
use crate::sessions::Session;
use crate::web::html;
use crate::web::Reply;
use axum::http::StatusCode;

/// How long a login may take before the system's request is forgotten.
pub const RESUME_TTL_SECS: i64 = 15 * 60;

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

/// Where `session`, logging in now, goes next: the request it came with, or the systems
/// page. Call it before the session is replaced by the logged-in one.
pub async fn after_login(
    pool: &Pool,
    session: &Session,
    now: i64,
) -> Result<AfterLogin, sqlx::Error> {
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
        .filter(|path| path.starts_with(super::AUTHORIZE_PATH))
        .map_or(AfterLogin::Systems, AfterLogin::Resume))
}
