//! The admin console (`/admin`, SPEC §7b): pages for the helpdesk, system owners,
//! auditors and admins, each refused (403) to anyone without its role. Every page needs a
//! two-factor sign-in from the last [`FRESH_SECS`]: an older one, or the card alone, is
//! asked for the OTP first (the step-up of SPEC §7, `/login/otp`) and comes back here.
//! The pages are the SSO's own (same frame, CSP, CSRF on every POST); what they change
//! goes through the same domain functions as the command line, audited with who did it.

mod gate;
mod people_import;
mod roles;

pub use gate::Console;

use super::html::{self, escape};
use super::Reply;
use crate::http::AppState;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

/// How old a sign-in the console accepts.
pub const FRESH_SECS: i64 = 15 * 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/roles", get(roles::list).post(roles::change))
        .route(people_import::PATH, get(people_import::show))
}

/// The console's uploads, whose bodies are larger than the site's limit: read by their
/// handlers after the console's gate.
pub fn upload_routes() -> Router<AppState> {
    people_import::upload_routes()
}

/// A page of the console: its path, its name in Thai and English, and who may open it.
type Section = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Console) -> bool,
);

/// The console's pages, and who may open each: the menu links those the person's roles
/// open.
const SECTIONS: &[Section] = &[
    (
        "/admin/people",
        "บุคลากรและบัตร",
        "People and cards",
        Console::helps,
    ),
    (
        "/admin/requests",
        "คำขอสิทธิ์",
        "Permission requests",
        Console::owns_any,
    ),
    ("/admin/systems", "ระบบงาน", "Systems", Console::is_admin),
    ("/admin/agents", "เครื่องลูกข่าย", "Agents", Console::is_admin),
    ("/admin/roles", "บทบาทผู้ดูแล", "Roles", Console::is_admin),
    ("/admin/audit", "บันทึกการใช้งาน", "Audit log", Console::audits),
];

/// A page of the console: the SSO's frame with the console's own menu.
pub fn page(console: &Console, title: &str, body: &str) -> Reply {
    let links: String = SECTIONS
        .iter()
        .filter(|(.., opens)| opens(console))
        .map(|(path, th, en, _)| {
            format!(r#"<a href="{path}">{th} <span lang="en">{en}</span></a> "#)
        })
        .collect();
    let body = format!(
        "<nav class=\"admin\" aria-label=\"admin console\"><a href=\"/admin\">หน้าหลักผู้ดูแล</a> {links}</nav>\n{body}"
    );
    Reply::page(
        StatusCode::OK,
        html::page(title, Some(&console.session), &body),
    )
}

/// `GET /admin`: what the person's roles let them do.
async fn home(console: Console) -> Reply {
    let roles: String = console
        .roles
        .iter()
        .map(|role| format!("<li>{}</li>", escape(&role.to_string())))
        .collect();
    let body = format!(
        r#"<p>{name}: บทบาทของท่านในระบบผู้ดูแล <span lang="en">(your roles in the console)</span>:</p>
<ul id="roles">{roles}</ul>"#,
        name = escape(&console.username),
    );
    page(&console, "ระบบผู้ดูแล", &body)
}
