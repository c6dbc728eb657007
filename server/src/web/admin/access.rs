//! `/admin/systems/{code}/access` (the system's owners, and admins): who has access to
//! the system, a page at a time; taking someone's access away; setting or clearing their
//! own account name in it ([`systems::access`], as `thaiid-server permission revoke|grant
//! --as` does), each audited with the console user's name.

use super::paging::Paging;
use super::{page, Console};
use crate::http::AppState;
use crate::systems::{self, access, System, SystemError};
use crate::web::html::{csrf_field, escape, notice};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    /// What was just done: revoked or named.
    done: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    username: String,
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NameForm {
    username: String,
    /// Empty: cleared, the system gets the SSO's user name.
    account_name: String,
    csrf: String,
}

/// The system at `code`, when this console user owns it: `Err` is the page to answer
/// (403 for another system's, 404 for none).
async fn owned(state: &AppState, console: &Console, code: &str) -> Result<System, WebResult> {
    // An owner of another system learns nothing, not even whether this one exists.
    if !console.owns(code) {
        return Err(Ok(console.refuse()));
    }
    match systems::all(&state.pool).await {
        Err(error) => Err(Err(error.into())),
        Ok(all) => match all.into_iter().find(|system| system.code == code) {
            Some(system) => Ok(system),
            None => {
                let message = notice("error", "ไม่พบระบบนี้", "No such system.");
                let mut reply = page(console, "ไม่พบระบบ", &message);
                set_status(&mut reply, StatusCode::NOT_FOUND);
                Err(Ok(reply))
            }
        },
    }
}

fn set_status(reply: &mut Reply, status: StatusCode) {
    if let Reply::Page { status: shown, .. } = reply {
        *shown = status;
    }
}

/// `GET /admin/systems/{code}/access`.
pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Path(code): Path<String>,
    Query(paging): Query<Paging>,
    Query(done): Query<Done>,
) -> WebResult {
    let system = match owned(&state, &console, &code).await {
        Ok(system) => system,
        Err(answer) => return answer,
    };
    let message = match done.done.as_deref() {
        Some("revoked") => notice("ok", "ยกเลิกสิทธิ์แล้ว", "Access revoked."),
        Some("named") => notice("ok", "บันทึกชื่อผู้ใช้ในระบบแล้ว", "Account name saved."),
        _ => String::new(),
    };
    access_page(&state, &console, &system, paging, &message).await
}

/// `POST /admin/systems/{code}/access/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    console: Console,
    Path(code): Path<String>,
    Form(form): Form<RevokeForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    let system = match owned(&state, &console, &code).await {
        Ok(system) => system,
        Err(answer) => return answer,
    };
    let username = form.username.trim();
    let done = access::revoke(
        &state.pool,
        username,
        &code,
        &console.username,
        crate::now(),
    )
    .await;
    answer(&state, &console, &system, done, "revoked").await
}

/// `POST /admin/systems/{code}/access/name`.
pub async fn name(
    State(state): State<AppState>,
    console: Console,
    Path(code): Path<String>,
    Form(form): Form<NameForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    let system = match owned(&state, &console, &code).await {
        Ok(system) => system,
        Err(answer) => return answer,
    };
    let account_name = Some(form.account_name.trim()).filter(|name| !name.is_empty());
    let done = access::name(
        &state.pool,
        form.username.trim(),
        &code,
        account_name,
        &console.username,
        crate::now(),
    )
    .await;
    answer(&state, &console, &system, done, "named").await
}

/// Back to the list after a change; the list with what was wrong (400) after a refusal.
async fn answer(
    state: &AppState,
    console: &Console,
    system: &System,
    done: Result<(), SystemError>,
    what: &str,
) -> WebResult {
    let message = match done {
        Ok(()) => {
            return Ok(Reply::see_other(&format!(
                "/admin/systems/{}/access?done={what}",
                system.code
            )))
        }
        Err(SystemError::Db(error)) => return Err(error.into()),
        Err(SystemError::BadAccountName) => notice(
            "error",
            &format!(
                "ชื่อผู้ใช้ในระบบต้องยาว 1 ถึง {} ตัวอักษร และไม่มีอักขระควบคุม",
                systems::MAX_ACCOUNT_NAME_CHARS
            ),
            &SystemError::BadAccountName.to_string(),
        ),
        Err(refused) => notice("error", "บุคคลนี้ไม่มีสิทธิ์ในระบบนี้", &refused.to_string()),
    };
    let mut reply = access_page(state, console, system, Paging::default(), &message).await?;
    set_status(&mut reply, StatusCode::BAD_REQUEST);
    Ok(reply)
}

async fn access_page(
    state: &AppState,
    console: &Console,
    system: &System,
    paging: Paging,
    message: &str,
) -> WebResult {
    let (limit, offset) = paging.limit_offset();
    let (holders, total) = access::holders(&state.pool, &system.code, limit, offset).await?;
    let code = escape(&system.code);
    let csrf = csrf_field(&console.session);
    let rows: String = holders
        .iter()
        .map(|holder| {
            let user = escape(&holder.username);
            let in_system = escape(holder.account_name.as_deref().unwrap_or_default());
            format!(
                r#"<tr id="holder-{user}"><td>{user}</td><td>{name}</td><td class="account-name">{in_system}</td>
<td><form method="post" action="/admin/systems/{code}/access/name" class="name">{csrf}<input type="hidden" name="username" value="{user}">
<label>ชื่อผู้ใช้ในระบบ (เว้นว่าง: ใช้ชื่อผู้ใช้ของ SSO) <input name="account_name" value="{in_system}" maxlength="{max}"></label>
<button type="submit">บันทึกชื่อ <span lang="en">(save name)</span></button></form>
<form method="post" action="/admin/systems/{code}/access/revoke" class="revoke">{csrf}<input type="hidden" name="username" value="{user}">
<button type="submit">ยกเลิกสิทธิ์ <span lang="en">(revoke access)</span></button></form></td></tr>
"#,
                name = escape(&holder.display_name),
                max = systems::MAX_ACCOUNT_NAME_CHARS,
            )
        })
        .collect();
    let body = format!(
        r#"{message}
<h2>ผู้มีสิทธิ์ใช้ระบบ {code} {name} <span lang="en">(who has access)</span></h2>
<table id="access"><thead><tr><th>ชื่อผู้ใช้</th><th>ชื่อ-นามสกุล</th><th>ชื่อผู้ใช้ในระบบ</th><th>จัดการ <span lang="en">(manage)</span></th></tr></thead>
<tbody>
{rows}</tbody></table>
{nav}
<p><a href="/admin/requests">คำขอสิทธิ์ที่รอพิจารณา <span lang="en">(pending requests)</span></a></p>"#,
        name = escape(&system.name),
        nav = paging.nav(&format!("/admin/systems/{}/access", system.code), total),
    );
    Ok(page(console, "ผู้มีสิทธิ์ใช้ระบบ", &body))
}
