//! `/admin/api-keys` (admins): the API keys of other SSO front ends with the origins
//! their login pages run at, and making one ([`api_keys::create`], as `thaiid-server
//! apikey create NAME --origin …`), the key shown once.

use super::answers::{bad_request, ShownOnce};
use super::{page, Console};
use crate::api_keys::{self, ApiKeyError};
use crate::http::AppState;
use crate::web::html::{csrf_field, escape, notice, thai_time};
use crate::web::{stale_form, WebResult};
use axum::extract::State;
use axum::Form;

pub const PATH: &str = "/admin/api-keys";

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct KeyForm {
    name: String,
    /// One origin a line.
    origins: String,
    csrf: String,
}

async fn keys_page(
    state: &AppState,
    console: &Console,
    message: &str,
    form: &KeyForm,
) -> WebResult {
    let rows: String = api_keys::list(&state.pool)
        .await?
        .iter()
        .map(|key| {
            let origins: String = key
                .origins
                .iter()
                .map(|origin| format!("<li>{}</li>", escape(origin)))
                .collect();
            format!(
                "<tr><td>{}</td><td><ul>{origins}</ul></td><td>{}</td></tr>\n",
                escape(&key.name),
                thai_time(key.created_at)
            )
        })
        .collect();
    let body = format!(
        r#"{message}
<p class="hint">กุญแจของระบบ SSO อื่นที่ขอเข้าสู่ระบบด้วยบัตรผ่าน API ใช้ได้เฉพาะจากหน้าเว็บที่อยู่ตาม origin ที่ลงทะเบียนไว้ <span lang="en">(keys of other SSO front ends, each good only for its origins)</span></p>
<table id="api-keys"><thead><tr><th>ชื่อ <span lang="en">(name)</span></th><th>Origin</th><th>สร้างเมื่อ (เวลาประเทศไทย)</th></tr></thead>
<tbody>
{rows}</tbody></table>
<h2>สร้างกุญแจ API <span lang="en">(create a key)</span></h2>
<form method="post" action="{PATH}" id="api-key-create">
{csrf}
<label>ชื่อระบบ SSO เช่น hr-portal <span lang="en">(name)</span> <input name="name" id="api-key-name" value="{name}" required maxlength="64"></label>
<label>Origin ของหน้าเข้าสู่ระบบ บรรทัดละหนึ่ง เช่น https://hr.example.go.th <span lang="en">(origins, one a line)</span>
<textarea name="origins" id="api-key-origins" required>{origins}</textarea></label>
<button type="submit">สร้างกุญแจ</button>
</form>"#,
        csrf = csrf_field(&console.session),
        name = escape(&form.name),
        origins = escape(&form.origins),
    );
    Ok(page(console, "กุญแจ API", &body))
}

/// `GET /admin/api-keys`.
pub async fn list(State(state): State<AppState>, console: Console) -> WebResult {
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    keys_page(&state, &console, "", &KeyForm::default()).await
}

/// `POST /admin/api-keys`: a new key, as this admin, shown once.
pub async fn create(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<KeyForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let name = form.name.trim();
    let origins: Vec<String> = form
        .origins
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    match api_keys::create(&state.pool, name, &origins, &console.username, crate::now()).await {
        Ok(key) => Ok(ShownOnce {
            title: "กุญแจ API",
            done: (
                &format!("สร้างกุญแจ API ของ {name} แล้ว ตั้งค่ากุญแจนี้ที่ระบบ SSO นั้น"),
                &format!("The key of {name} is made: set it in that front end."),
            ),
            values: &[("กุญแจ (key)", "api-key", &key)],
            back: (PATH, "กลับไปหน้ากุญแจ API (API keys)"),
        }
        .reply(&console)),
        Err(ApiKeyError::Database(error)) => Err(error.into()),
        Err(error) => {
            let th = match error {
                ApiKeyError::BadName(_) => "ชื่อกุญแจต้องมี 1 ถึง 64 ตัวอักษร ไม่มีช่องว่าง เช่น hr-portal",
                ApiKeyError::NoOrigin => "กรุณาใส่ origin อย่างน้อยหนึ่งรายการ",
                ApiKeyError::BadOrigin(_) => {
                    "origin ไม่ถูกต้อง: ต้องเป็น https://ชื่อเครื่อง[:พอร์ต] ไม่มี path"
                }
                ApiKeyError::NameTaken(_) => "มีกุญแจชื่อนี้อยู่แล้ว",
                _ => "สร้างกุญแจไม่สำเร็จ",
            };
            let message = notice("error", th, &error.to_string());
            Ok(bad_request(
                keys_page(&state, &console, &message, &form).await?,
            ))
        }
    }
}
