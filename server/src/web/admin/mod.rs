//! The admin console (`/admin`, SPEC §7b): pages for the helpdesk, system owners,
//! auditors and admins, each refused (403) to anyone without its role. Every page needs a
//! two-factor sign-in from the last [`FRESH_SECS`]: an older one, or the card alone, is
//! asked for the OTP first (the step-up of SPEC §7, `/login/otp`) and comes back here.
//! The pages are the SSO's own (same frame, CSP, CSRF on every POST); what they change
//! goes through the same domain functions as the command line, audited with who did it.

mod access;
mod agents;
mod answers;
mod api_keys;
mod audit;
mod audit_files;
mod desk_card;
mod enroll_tokens;
mod gate;
mod paging;
mod people;
mod people_actions;
mod people_import;
mod people_person;
mod requests;
mod roles;
mod system;
mod system_form;
mod systems;

pub use gate::Console;

use super::html::{self, escape};
use super::Reply;
use crate::http::AppState;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

/// How old a sign-in the console accepts.
pub const FRESH_SECS: i64 = 15 * 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/roles", get(roles::list).post(roles::change))
        .route("/admin/requests", get(requests::list))
        .route("/admin/requests/{id}", post(requests::decide))
        .route("/admin/systems/{code}/access", get(access::list))
        .route("/admin/systems/{code}/access/revoke", post(access::revoke))
        .route("/admin/systems/{code}/access/name", post(access::name))
        .route("/admin/people", get(people::search).post(people::create))
        .route("/admin/people-search", post(people::find))
        .route("/admin/people/{username}", get(people_person::show))
        .route("/admin/people/{username}/link", post(people_actions::link))
        .route(
            "/admin/people/{username}/block",
            post(people_actions::block),
        )
        .route(
            "/admin/people/{username}/otp-reset",
            post(people_actions::otp_reset),
        )
        .route(
            "/admin/people/{username}/reset-code",
            post(people_actions::reset_code),
        )
        .route(
            "/admin/people/{username}/unlock",
            post(people_actions::unlock),
        )
        .route(systems::PATH, get(systems::list).post(systems::add))
        .route(
            "/admin/systems/{code}",
            get(system::show).post(system::save),
        )
        .route("/admin/systems/{code}/secret", post(system::new_secret))
        .route(agents::PATH, get(agents::list))
        .route("/admin/agents/revoke", post(agents::revoke))
        .route(
            enroll_tokens::PATH,
            get(enroll_tokens::list).post(enroll_tokens::create),
        )
        .route(api_keys::PATH, get(api_keys::list).post(api_keys::create))
        .route("/admin/people/{username}/card", get(desk_card::form))
        .route(
            "/admin/people/{username}/card/nonce",
            post(desk_card::nonce),
        )
        .route(
            "/admin/people/{username}/card/complete",
            get(desk_card::complete),
        )
        .route("/admin/audit", get(audit::search))
        .route("/admin/audit.csv", get(audit_files::csv))
        .route("/admin/audit.jsonl", get(audit_files::jsonl))
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
    ("/admin/api-keys", "กุญแจ API", "API keys", Console::is_admin),
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
