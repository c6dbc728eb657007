//! `/admin/requests` (system owners, for their systems, and admins): the pending
//! permission requests, a page at a time, each approved or rejected with a reason the
//! requester reads on `/permissions` ([`systems::decide`], as `thaiid-server permission
//! approve|reject` does). An owner of one system is refused another system's request.

use super::paging::Paging;
use super::{page, Console};
use crate::http::AppState;
use crate::systems::{self, Change, Request, Scope, SystemError, Verdict};
use crate::web::html::{self, csrf_field, escape, notice};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use std::collections::BTreeMap;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    /// The status of the request just decided: approved or rejected.
    done: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    /// `approve` or `reject`.
    verdict: String,
    /// For the requester: needed for a rejection.
    reason: String,
    csrf: String,
}

/// `GET /admin/requests`.
pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(paging): Query<Paging>,
    Query(done): Query<Done>,
) -> WebResult {
    if !console.owns_any() {
        return Ok(console.refuse());
    }
    let message = match done.done.as_deref() {
        Some("approved") => notice("ok", "อนุมัติคำขอแล้ว", "Request approved."),
        Some("rejected") => notice("ok", "ไม่อนุมัติคำขอแล้ว", "Request rejected."),
        _ => String::new(),
    };
    requests_page(&state, &console, paging, &message, StatusCode::OK).await
}

/// `POST /admin/requests/{id}`: approve or reject, as this console user.
pub async fn decide(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.owns_any() {
        return Ok(console.refuse());
    }
    let Some(request) = systems::find_request(&state.pool, &id).await? else {
        let message = notice("error", "ไม่พบคำขอนี้", "No such request.");
        return refused(&state, &console, &message, StatusCode::NOT_FOUND).await;
    };
    // Another system's owner learns nothing of the request, not even its status.
    if !console.owns(&request.system_code) {
        return Ok(console.refuse());
    }
    let Some(verdict) = Verdict::parse(&form.verdict) else {
        let message = notice(
            "error",
            "กรุณาเลือกอนุมัติหรือไม่อนุมัติ",
            "Choose approve or reject.",
        );
        return refused(&state, &console, &message, StatusCode::BAD_REQUEST).await;
    };
    let now = crate::now();
    let decided = systems::decide(
        &state.pool,
        &id,
        verdict,
        &form.reason,
        &console.username,
        now,
    )
    .await;
    let message = match decided {
        Ok(decided) => {
            return Ok(Reply::see_other(&format!(
                "/admin/requests?done={}",
                decided.status
            )))
        }
        Err(SystemError::Db(error)) => return Err(error.into()),
        Err(SystemError::BadReason) => notice(
            "error",
            &format!(
                "การไม่อนุมัติต้องระบุเหตุผล (ไม่เกิน {} ตัวอักษร) เพื่อแจ้งผู้ขอ",
                systems::MAX_REASON_CHARS
            ),
            &format!(
                "A rejection needs a reason for the requester (at most {} characters).",
                systems::MAX_REASON_CHARS
            ),
        ),
        Err(other) => notice("error", "คำขอนี้ได้รับการพิจารณาไปแล้ว", &other.to_string()),
    };
    refused(&state, &console, &message, StatusCode::BAD_REQUEST).await
}

/// The first page again, with what went wrong on top.
async fn refused(
    state: &AppState,
    console: &Console,
    message: &str,
    status: StatusCode,
) -> WebResult {
    requests_page(state, console, Paging::default(), message, status).await
}

async fn requests_page(
    state: &AppState,
    console: &Console,
    paging: Paging,
    message: &str,
    status: StatusCode,
) -> WebResult {
    let owned: Vec<String> = console.owned().map(str::to_owned).collect();
    let scope = match console.is_admin() {
        true => Scope::All,
        false => Scope::Systems(&owned),
    };
    let (limit, offset) = paging.limit_offset();
    let (pending, total) = systems::pending(&state.pool, scope, limit, offset).await?;
    let names: BTreeMap<String, String> = systems::all(&state.pool)
        .await?
        .into_iter()
        .map(|system| (system.code, system.name))
        .collect();
    let rows: String = pending
        .iter()
        .map(|request| row(console, request, &names))
        .collect();
    let yours: String = names
        .iter()
        .filter(|(code, _)| console.owns(code))
        .map(|(code, name)| {
            format!(
                r#"<li><a href="/admin/systems/{code}/access">{code} {name}</a></li>"#,
                code = escape(code),
                name = escape(name)
            )
        })
        .collect();
    let empty = match pending.is_empty() {
        true => {
            r#"<p id="no-requests">ไม่มีคำขอรอพิจารณา <span lang="en">(no pending requests)</span></p>"#
        }
        false => "",
    };
    let body = format!(
        r#"{message}
<h2>คำขอรอพิจารณา <span lang="en">(pending permission requests)</span></h2>
{empty}
<table id="pending-requests"><thead><tr><th>เวลา (เวลาประเทศไทย)</th><th>ผู้ขอ</th><th>ระบบ</th><th>คำขอ</th><th>เหตุผลของผู้ขอ</th><th>พิจารณา <span lang="en">(decide)</span></th></tr></thead>
<tbody>
{rows}</tbody></table>
{nav}
<h2>ผู้มีสิทธิ์ในระบบที่ท่านดูแล <span lang="en">(who has access to your systems)</span></h2>
<ul id="owned-systems">{yours}</ul>"#,
        nav = paging.nav("/admin/requests", total),
    );
    let mut reply = page(console, "คำขอสิทธิ์", &body);
    if let Reply::Page { status: shown, .. } = &mut reply {
        *shown = status;
    }
    Ok(reply)
}

/// One pending request, with its form: a reason and the two answers.
fn row(console: &Console, request: &Request, names: &BTreeMap<String, String>) -> String {
    let change = match request.change {
        Change::Grant => "ขอเพิ่มสิทธิ์ <span lang=\"en\">(grant)</span>",
        Change::Revoke => "ขอยกเลิกสิทธิ์ <span lang=\"en\">(revoke)</span>",
    };
    let system = names
        .get(&request.system_code)
        .map(String::as_str)
        .unwrap_or_default();
    format!(
        r#"<tr id="request-{id}"><td>{at}</td><td>{user}</td><td>{code} {system}</td><td>{change}</td><td>{reason}</td>
<td><form method="post" action="/admin/requests/{id}" class="decide">
{csrf}
<label>เหตุผลของผลการพิจารณา (ต้องระบุเมื่อไม่อนุมัติ) <textarea name="reason" maxlength="{max}"></textarea></label>
<button type="submit" name="verdict" value="approve">อนุมัติ <span lang="en">(approve)</span></button>
<button type="submit" name="verdict" value="reject">ไม่อนุมัติ <span lang="en">(reject)</span></button>
</form></td></tr>
"#,
        id = escape(&request.id),
        at = html::thai_time(request.created_at),
        user = escape(&request.username),
        code = escape(&request.system_code),
        system = escape(system),
        reason = escape(&request.reason),
        csrf = csrf_field(&console.session),
        max = systems::MAX_REASON_CHARS,
    )
}
