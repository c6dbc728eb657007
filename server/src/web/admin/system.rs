//! `/admin/systems/{code}` (admins): one system's settings (name, URL, required level,
//! redirect URIs, post-logout redirect URIs) and a new client secret, shown once
//! ([`system_admin::change`] and [`system_admin::replace_secret`], as `thaiid-server
//! system add|require|secret` do). Who has access is the owners' page beside it,
//! `/admin/systems/{code}/access`.

use super::answers::{bad_request, not_found, ShownOnce};
use super::system_form::{refusal, SystemForm};
use super::systems::{kind, PATH};
use super::{page, Console};
use crate::http::AppState;
use crate::oidc::clients;
use crate::oidc::system_admin::{self, Listed, SystemAdminError};
use crate::web::html::{csrf_field, escape, notice};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::{Path, Query, State};
use axum::Form;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SecretForm {
    csrf: String,
}

fn no_system(console: &Console, code: &str) -> Reply {
    not_found(
        console,
        &format!("ไม่พบระบบรหัส {code}"),
        &format!("There is no system {code}."),
    )
}

/// The system's page: `form` is its settings as stored, or as just refused.
async fn system_page(
    state: &AppState,
    console: &Console,
    listed: &Listed,
    message: &str,
    form: Option<SystemForm>,
) -> WebResult {
    let code = escape(&listed.system.code);
    let form = match form {
        Some(form) => form,
        None => {
            let client = clients::find(&state.pool, &listed.system.code).await?;
            let uris = client
                .as_ref()
                .map(|c| (&c.redirect_uris[..], &c.post_logout_redirect_uris[..]))
                .unwrap_or_default();
            SystemForm::of(listed, uris)
        }
    };
    let secret = match listed.public_client {
        Some(false) => format!(
            r#"<h2>รหัสลับของไคลเอนต์ <span lang="en">(client secret)</span></h2>
<p>ออกรหัสลับใหม่: รหัสเดิมใช้ไม่ได้ทันที ต้องนำรหัสใหม่ไปตั้งค่าที่ระบบงาน <span lang="en">(a new secret: the old one stops working at once)</span></p>
<form method="post" action="{PATH}/{code}/secret" id="system-secret">{csrf}<button type="submit">ออกรหัสลับใหม่</button></form>"#,
            csrf = csrf_field(&console.session),
        ),
        _ => String::new(),
    };
    let body = format!(
        r#"{message}
<p>รหัสระบบ (client_id): <code id="system-code">{code}</code> · {kind}</p>
<p><a href="{PATH}/{code}/access" id="system-access">ผู้มีสิทธิ์ใช้ระบบนี้ <span lang="en">(who has access)</span></a> · <a href="{PATH}">ระบบงานทั้งหมด</a></p>
<h2>ตั้งค่าระบบ <span lang="en">(settings)</span></h2>
<form method="post" action="{PATH}/{code}" id="system-settings">
{csrf}
{fields}
<button type="submit">บันทึก</button>
</form>
{secret}"#,
        kind = kind(listed),
        csrf = csrf_field(&console.session),
        fields = form.fields(),
    );
    Ok(page(console, &listed.system.name, &body))
}

/// `GET /admin/systems/{code}`.
pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(code): Path<String>,
    Query(done): Query<Done>,
) -> WebResult {
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let Some(listed) = system_admin::one(&state.pool, &code).await? else {
        return Ok(no_system(&console, &code));
    };
    let message = match done.done.as_deref() {
        Some("added") => notice("ok", "เพิ่มระบบงานแล้ว", "The system is added."),
        Some(_) => notice("ok", "บันทึกแล้ว", "Saved."),
        None => String::new(),
    };
    system_page(&state, &console, &listed, &message, None).await
}

/// `POST /admin/systems/{code}`: saves its settings, as this admin.
pub async fn save(
    State(state): State<AppState>,
    console: Console,
    Path(code): Path<String>,
    Form(form): Form<SystemForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let Some(listed) = system_admin::one(&state.pool, &code).await? else {
        return Ok(no_system(&console, &code));
    };
    let settings = match form.settings(&code, listed.public_client.is_some()) {
        Ok(settings) => settings,
        Err(why) => {
            let message = notice("error", "ระดับการยืนยันตัวตนไม่ถูกต้อง", &why);
            let page = system_page(&state, &console, &listed, &message, Some(form)).await?;
            return Ok(bad_request(page));
        }
    };
    match system_admin::change(&state.pool, &settings, &console.username, crate::now()).await {
        Ok(None) => Ok(Reply::see_other(&format!("{PATH}/{code}?done=saved"))),
        // A public client made confidential gets its first secret.
        Ok(Some(secret)) => Ok(secret_shown(&console, &code, &secret)),
        Err(SystemAdminError::Db(error)) => Err(error.into()),
        Err(error) => {
            let message = refusal(&error);
            let page = system_page(&state, &console, &listed, &message, Some(form)).await?;
            Ok(bad_request(page))
        }
    }
}

/// `POST /admin/systems/{code}/secret`: a new client secret, shown once.
pub async fn new_secret(
    State(state): State<AppState>,
    console: Console,
    Path(code): Path<String>,
    Form(form): Form<SecretForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let Some(listed) = system_admin::one(&state.pool, &code).await? else {
        return Ok(no_system(&console, &code));
    };
    match system_admin::replace_secret(&state.pool, &code, &console.username, crate::now()).await {
        Ok(secret) => Ok(secret_shown(&console, &code, &secret)),
        Err(SystemAdminError::Db(error)) => Err(error.into()),
        Err(error) => {
            let page = system_page(&state, &console, &listed, &refusal(&error), None).await?;
            Ok(bad_request(page))
        }
    }
}

fn secret_shown(console: &Console, code: &str, secret: &str) -> Reply {
    let back = format!("{PATH}/{code}");
    ShownOnce {
        title: "รหัสลับใหม่ของระบบ",
        done: (
            "ออกรหัสลับใหม่แล้ว รหัสเดิมใช้ไม่ได้อีก ตั้งค่ารหัสนี้ที่ระบบงาน",
            "A new secret is made and the old one no longer works: set this one in the system.",
        ),
        values: &[
            ("client_id", "client-id", code),
            ("client_secret", "client-secret", secret),
        ],
        back: (&back, "กลับไปหน้าตั้งค่าของระบบ (the system's settings)"),
    }
    .reply(console)
}
