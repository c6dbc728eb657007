//! The pages of a logged-in person: the systems they may use (with search), requests to
//! change those permissions, and their personal data.

use super::html::{self, csrf_field, escape, notice};
use super::{stale_form, Reply, WebResult};
use crate::http::extract::LoggedIn;
use crate::http::{AppState, PageError};
use crate::sessions::Session;
use crate::systems::{self, Change, SystemError};
use crate::{audit, users};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Search {
    q: String,
}

pub async fn systems(
    State(state): State<AppState>,
    LoggedIn { session, username }: LoggedIn,
    Query(search): Query<Search>,
) -> WebResult {
    let account = users::find(&state.pool, &username).await?;
    let mine = systems::of_user(&state.pool, &username).await?;
    let found = systems::search(&mine, &search.q);
    let rows: String = found
        .iter()
        .map(|permitted| {
            let system = &permitted.system;
            let name = if system.url.is_empty() {
                escape(&system.name)
            } else {
                format!(
                    r#"<a href="{}">{}</a>"#,
                    escape(&system.url),
                    escape(&system.name)
                )
            };
            // The slides' "รหัสผู้ใช้งาน : m01010101": the name this system knows them by.
            let account_name = permitted.account_name.as_deref().unwrap_or(&username);
            format!(
                "<tr data-code=\"{code}\"><td>{code}</td><td>{name}</td>\
                 <td class=\"account-name\">{account}</td></tr>\n",
                code = escape(&system.code),
                account = escape(account_name),
            )
        })
        .collect();
    let listing = if found.is_empty() {
        let (th, en) = if mine.is_empty() {
            (
                "ท่านยังไม่มีสิทธิ์ใช้งานระบบใด ยื่นคำขอได้ที่หน้า \"ขอเปลี่ยนสิทธิ์\"",
                "You may use no system yet: ask on the permissions page.",
            )
        } else {
            ("ไม่พบระบบที่ตรงกับคำค้น", "No system matches the search.")
        };
        notice("info", th, en)
    } else {
        format!(
            "<table id=\"systems\"><thead><tr><th>รหัสระบบ</th><th>ชื่อระบบ</th><th>รหัสผู้ใช้งาน</th></tr></thead>\n<tbody>\n{rows}</tbody></table>"
        )
    };
    let decisions = decisions(&state, &username).await?;
    let greeting = account.map(|a| a.display_name).unwrap_or(username);
    let body = format!(
        r#"<p>สวัสดี <span id="display-name">{name}</span></p>
<form method="get" action="/systems" role="search">
<label>ค้นหาระบบ <input name="q" id="q" value="{q}" placeholder="รหัสหรือชื่อระบบ"></label>
<button type="submit">ค้นหา</button>
</form>
<p class="count">{count} ระบบ</p>
{listing}
{decisions}"#,
        name = escape(&greeting),
        q = escape(&search.q),
        count = found.len(),
    );
    Ok(Reply::page(
        StatusCode::OK,
        html::page("ระบบงานที่ท่านมีสิทธิ์ใช้งาน", Some(&session), &body),
    ))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    system: String,
    change: String,
    reason: String,
    csrf: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Sent {
    sent: Option<String>,
    /// The system to ask for, chosen already (a system that refused the person links here).
    system: Option<String>,
}

/// How many decided requests the systems page shows; the rest are on `/permissions`.
const DECISIONS_SHOWN: usize = 5;

/// The decisions on the person's newest requests (SPEC §7b: status and reason on the
/// systems page), with a link to all of them.
async fn decisions(state: &AppState, username: &str) -> Result<String, PageError> {
    let items: String = systems::requests(&state.pool, Some(username))
        .await?
        .iter()
        .filter(|request| request.status != "pending")
        .take(DECISIONS_SHOWN)
        .map(|request| {
            format!(
                "<li>{} {}: <strong>{}</strong> {}</li>\n",
                escape(&request.system_code),
                if request.change == Change::Grant {
                    "ขอเพิ่มสิทธิ์"
                } else {
                    "ขอยกเลิกสิทธิ์"
                },
                status_th(&request.status),
                escape(request.decision_reason.as_deref().unwrap_or_default())
            )
        })
        .collect();
    if items.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(
        r#"<section id="decisions"><h2>ผลการพิจารณาคำขอของท่าน <span lang="en">(decisions on your requests)</span></h2>
<ul>
{items}</ul>
<p><a href="/permissions">คำขอทั้งหมด <span lang="en">(all your requests)</span></a></p></section>"#
    ))
}

fn status_th(status: &str) -> &'static str {
    match status {
        "approved" => "อนุมัติแล้ว",
        "rejected" => "ไม่อนุมัติ",
        _ => "รอพิจารณา",
    }
}

async fn permissions_page(
    state: &AppState,
    session: &Session,
    username: &str,
    message: &str,
    chosen: Option<&str>,
) -> Result<String, PageError> {
    let options: String = systems::all(&state.pool)
        .await?
        .iter()
        .map(|s| {
            format!(
                "<option value=\"{code}\"{selected}>{code} {name}</option>",
                code = escape(&s.code),
                name = escape(&s.name),
                selected = if chosen == Some(s.code.as_str()) {
                    " selected"
                } else {
                    ""
                },
            )
        })
        .collect();
    let requests: String = systems::requests(&state.pool, Some(username))
        .await?
        .iter()
        .map(|r| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                html::thai_time(r.created_at),
                escape(&r.system_code),
                if r.change == Change::Grant {
                    "ขอเพิ่มสิทธิ์"
                } else {
                    "ขอยกเลิกสิทธิ์"
                },
                escape(&r.reason),
                status_th(&r.status),
                escape(r.decision_reason.as_deref().unwrap_or_default())
            )
        })
        .collect();
    let body = format!(
        r#"{message}
<form method="post" action="/permissions" id="permission-request">
{csrf}
<label>ระบบ <select name="system" id="system" required>{options}</select></label>
<fieldset><legend>คำขอ</legend>
<label><input type="radio" name="change" value="grant" checked> ขอเพิ่มสิทธิ์</label>
<label><input type="radio" name="change" value="revoke"> ขอยกเลิกสิทธิ์</label>
</fieldset>
<label>เหตุผล <textarea name="reason" id="reason" maxlength="{max}" required></textarea></label>
<button type="submit">ส่งคำขอ</button>
</form>
<h2>คำขอของท่าน</h2>
<table id="requests"><thead><tr><th>เวลา (เวลาประเทศไทย)</th><th>ระบบ</th><th>คำขอ</th><th>เหตุผล</th><th>สถานะ</th><th>เหตุผลของผลการพิจารณา <span lang="en">(why decided so)</span></th></tr></thead>
<tbody>
{requests}</tbody></table>"#,
        csrf = csrf_field(session),
        max = systems::MAX_REASON_CHARS,
    );
    Ok(html::page("ขอเปลี่ยนสิทธิ์การใช้งาน", Some(session), &body))
}

pub async fn permissions(
    State(state): State<AppState>,
    LoggedIn { session, username }: LoggedIn,
    Query(sent): Query<Sent>,
) -> WebResult {
    let message = if sent.sent.is_some() {
        notice(
            "ok",
            "ส่งคำขอแล้ว ผู้ดูแลระบบจะพิจารณาต่อไป",
            "Request sent; IT will decide on it.",
        )
    } else {
        String::new()
    };
    let chosen = sent.system.as_deref();
    let html = permissions_page(&state, &session, &username, &message, chosen).await?;
    Ok(Reply::page(StatusCode::OK, html))
}

pub async fn request_change(
    State(state): State<AppState>,
    LoggedIn { session, username }: LoggedIn,
    Form(form): Form<ChangeForm>,
) -> WebResult {
    if !session.csrf_matches(&form.csrf) {
        return Ok(stale_form());
    }
    let Some(change) = Change::parse(&form.change) else {
        return Ok(stale_form());
    };
    match systems::request(
        &state.pool,
        &username,
        &form.system,
        change,
        &form.reason,
        crate::now(),
    )
    .await
    {
        Ok(_) => Ok(Reply::see_other("/permissions?sent=1")),
        Err(SystemError::Db(error)) => Err(error.into()),
        Err(problem) => {
            tracing::info!("permission request refused: {problem}");
            let message = notice(
                "error",
                "ส่งคำขอไม่สำเร็จ กรุณาเลือกระบบและระบุเหตุผล (ไม่เกิน 500 ตัวอักษร)",
                "Not sent: choose a system and give a reason (at most 500 characters).",
            );
            let html = permissions_page(&state, &session, &username, &message, None).await?;
            Ok(Reply::page(StatusCode::BAD_REQUEST, html))
        }
    }
}

pub async fn me(
    State(state): State<AppState>,
    LoggedIn { session, username }: LoggedIn,
    Query(done): Query<super::first_login::Done>,
) -> WebResult {
    let Some(account) = users::find(&state.pool, &username).await? else {
        return Ok(Reply::see_other("/login"));
    };
    let yes_no = |yes: bool| if yes { "มี" } else { "ไม่มี" };
    let logins: String = audit::of_user(&state.pool, &username, 5)
        .await?
        .iter()
        .map(|row| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                html::thai_time(row.at),
                row.entry.method.as_str(),
                escape(&row.entry.outcome)
            )
        })
        .collect();
    let card = super::register::section(&state, &session, &account).await?;
    let setup = super::first_login::section(&session, &account, &done);
    let body = format!(
        r#"{setup}
<table id="profile">
<tr><th>ชื่อ-นามสกุล</th><td>{name}</td></tr>
<tr><th>ชื่อผู้ใช้</th><td>{username}</td></tr>
<tr><th>เลขประจำตัวประชาชน</th><td id="citizen-id">{cid}</td></tr>
<tr><th>หน่วยงาน</th><td>{department}</td></tr>
<tr><th>อีเมล</th><td>{email}</td></tr>
<tr><th>รหัสผ่าน</th><td>{password}</td></tr>
<tr><th>OTP</th><td>{otp}</td></tr>
</table>
<h2>การเข้าสู่ระบบล่าสุด</h2>
<table id="recent-logins"><thead><tr><th>เวลา (เวลาประเทศไทย)</th><th>วิธี</th><th>ผล</th></tr></thead>
<tbody>
{logins}</tbody></table>
{card}
<p>หากข้อมูลไม่ถูกต้อง กรุณาติดต่อผู้ดูแลระบบ</p>"#,
        card = card,
        name = escape(&account.display_name),
        username = escape(&account.username),
        cid = account
            .citizen_id_masked()
            .unwrap_or_else(|| "ยังไม่ได้ผูกบัตร".into()),
        department = escape(&account.department),
        email = escape(&account.email),
        password = yes_no(account.password_hash.is_some()),
        otp = yes_no(account.totp_secret.is_some()),
    );
    Ok(Reply::page(
        StatusCode::OK,
        html::page("ข้อมูลส่วนบุคคล", Some(&session), &body),
    ))
}
