//! `/admin/roles` (admins): who holds which role, and granting or revoking one, audited
//! with the admin's name ([`crate::roles`], as `thaiid-server role` does).

use super::{page, Console};
use crate::http::AppState;
use crate::roles::{self, Role, RoleError};
use crate::web::html::{csrf_field, escape, notice};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    username: String,
    role: String,
    system: String,
    /// `grant` or `revoke`.
    change: String,
    csrf: String,
}

async fn roles_page(state: &AppState, console: &Console, message: &str) -> WebResult {
    let rows: String = roles::list(&state.pool)
        .await?
        .iter()
        .map(|(user, role)| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(user),
                role.name(),
                escape(role.system().unwrap_or_default())
            )
        })
        .collect();
    let body = format!(
        r#"{message}
<table id="role-holders"><thead><tr><th>ชื่อผู้ใช้</th><th>บทบาท</th><th>ระบบงาน (เจ้าของระบบ)</th></tr></thead>
<tbody>
{rows}</tbody></table>
<h2>ให้หรือถอนบทบาท <span lang="en">(grant or revoke a role)</span></h2>
<form method="post" action="/admin/roles" id="role-change">
{csrf}
<label>ชื่อผู้ใช้ <input name="username" id="role-username" required></label>
<label>บทบาท <select name="role" id="role-name">
<option value="helpdesk">helpdesk (เจ้าหน้าที่ช่วยเหลือ)</option>
<option value="owner">owner (เจ้าของระบบงาน)</option>
<option value="auditor">auditor (ผู้ตรวจสอบ)</option>
<option value="admin">admin (ผู้ดูแลระบบ)</option>
</select></label>
<label>รหัสระบบ (เฉพาะเจ้าของระบบ) <input name="system" id="role-system"></label>
<label><input type="radio" name="change" value="grant" checked> ให้บทบาท</label>
<label><input type="radio" name="change" value="revoke"> ถอนบทบาท</label>
<button type="submit">บันทึก</button>
</form>"#,
        csrf = csrf_field(&console.session),
    );
    Ok(page(console, "บทบาทผู้ดูแล", &body))
}

/// `GET /admin/roles`.
pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(done): Query<Done>,
) -> WebResult {
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let message = match done.done {
        Some(_) => notice("ok", "บันทึกแล้ว", "Saved."),
        None => String::new(),
    };
    roles_page(&state, &console, &message).await
}

/// `POST /admin/roles`: grant or revoke, as this admin.
pub async fn change(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<RoleForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let now = crate::now();
    let system = Some(form.system.as_str()).filter(|code| !code.trim().is_empty());
    let changed = match Role::parse(&form.role, system) {
        Ok(role) if form.change == "revoke" => roles::revoke(
            &state.pool,
            form.username.trim(),
            &role,
            &console.username,
            now,
        )
        .await
        .map(|()| true),
        Ok(role) => {
            roles::grant(
                &state.pool,
                form.username.trim(),
                &role,
                &console.username,
                now,
            )
            .await
        }
        Err(refused) => Err(refused),
    };
    match changed {
        Ok(_) => Ok(Reply::see_other("/admin/roles?done=1")),
        Err(RoleError::Db(error)) => Err(error.into()),
        Err(refused) => {
            let message = notice("error", "บันทึกไม่สำเร็จ", &refused.to_string());
            let mut reply = roles_page(&state, &console, &message).await?;
            if let Reply::Page { status, .. } = &mut reply {
                *status = StatusCode::BAD_REQUEST;
            }
            Ok(reply)
        }
    }
}
