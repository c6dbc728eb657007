//! `/admin/systems` (admins): the systems, a page at a time, and adding one
//! ([`system_admin::add`], as `thaiid-server system add` does). A new confidential
//! client's secret is the answer to the POST, shown once.

use super::answers::{bad_request, ShownOnce};
use super::paging::Paging;
use super::system_form::{refusal, SystemForm};
use super::{page, Console};
use crate::http::AppState;
use crate::oidc::system_admin::{self, Listed, SystemAdminError};
use crate::web::html::{csrf_field, escape, notice};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::{Query, State};
use axum::Form;

pub const PATH: &str = "/admin/systems";

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    page: Option<String>,
}

/// How a system signs people in, in a word.
pub fn kind(listed: &Listed) -> &'static str {
    match listed.public_client {
        None => "—",
        Some(true) => "OIDC (public)",
        Some(false) => "OIDC (confidential)",
    }
}

async fn systems_page(
    state: &AppState,
    console: &Console,
    paging: Paging,
    message: &str,
    form: &SystemForm,
) -> WebResult {
    let mut systems = system_admin::page(&state.pool, paging.offset(), paging.limit()).await?;
    let pages = paging.links(&mut systems, PATH);
    let rows: String = systems
        .iter()
        .map(|listed| {
            let system = &listed.system;
            format!(
                "<tr><td><a href=\"{PATH}/{code}\">{code}</a></td><td>{name}</td><td>{url}</td><td>{level}</td><td>{kind}</td></tr>\n",
                code = escape(&system.code),
                name = escape(&system.name),
                url = escape(&system.url),
                level = listed.level,
                kind = kind(listed),
            )
        })
        .collect();
    let body = format!(
        r#"{message}
<table id="systems"><thead><tr><th>รหัส <span lang="en">(code)</span></th><th>ชื่อระบบ</th><th>ที่อยู่เว็บ</th><th>ระดับ</th><th>OpenID Connect</th></tr></thead>
<tbody>
{rows}</tbody></table>
{pages}
<h2>เพิ่มระบบงาน <span lang="en">(add a system)</span></h2>
<form method="post" action="{PATH}" id="system-add">
{csrf}
<label>รหัสระบบ <span lang="en">(code: letters and digits)</span> <input name="code" id="system-code" value="{code}" required maxlength="32"></label>
{fields}
<button type="submit">เพิ่มระบบ</button>
</form>"#,
        csrf = csrf_field(&console.session),
        code = escape(&form.code),
        fields = form.fields(),
    );
    Ok(page(console, "ระบบงาน", &body))
}

/// `GET /admin/systems`.
pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
) -> WebResult {
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let form = SystemForm {
        level: "one-factor".into(),
        ..SystemForm::default()
    };
    let paging = Paging::of(query.page.as_deref());
    systems_page(&state, &console, paging, "", &form).await
}

/// `POST /admin/systems`: adds a system, as this admin.
pub async fn add(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<SystemForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let settings = match form.settings(&form.code, false) {
        Ok(settings) => settings,
        Err(why) => {
            let message = notice("error", "ระดับการยืนยันตัวตนไม่ถูกต้อง", &why);
            return refused(&state, &console, &message, &form).await;
        }
    };
    let code = settings.code.clone();
    match system_admin::add(&state.pool, &settings, &console.username, crate::now()).await {
        Ok(None) => Ok(Reply::see_other(&format!("{PATH}/{code}?done=added"))),
        Ok(Some(secret)) => {
            let back = format!("{PATH}/{code}");
            Ok(ShownOnce {
                title: "เพิ่มระบบงานแล้ว",
                done: (
                    "เพิ่มระบบงานแล้ว ตั้งค่า client_id และ client_secret นี้ที่ระบบงาน",
                    "The system is added: set this client_id and client_secret in it.",
                ),
                values: &[
                    ("client_id", "client-id", &code),
                    ("client_secret", "client-secret", &secret),
                ],
                back: (&back, "ไปที่หน้าตั้งค่าของระบบ (the system's settings)"),
            }
            .reply(&console))
        }
        Err(SystemAdminError::Db(error)) => Err(error.into()),
        Err(error) => refused(&state, &console, &refusal(&error), &form).await,
    }
}

/// The list again, with why the form was refused and what was typed in it.
async fn refused(
    state: &AppState,
    console: &Console,
    message: &str,
    form: &SystemForm,
) -> WebResult {
    let page = systems_page(state, console, Paging::of(None), message, form).await?;
    Ok(bad_request(page))
}
