//! `/admin/agents` (admins): the enrolled agents, the newest first, a page at a time,
//! each with its hostname, version, when it was last heard from and whether it is
//! revoked; revoking one ([`agents::revoke`], as `thaiid-server agent revoke ID`). The
//! enrollment tokens they enroll with are the page beside it, `/admin/agents/tokens`.

use super::answers::bad_request;
use super::paging::Paging;
use super::{page, Console};
use crate::agents::{self, AgentRecord};
use crate::http::AppState;
use crate::web::html::{csrf_field, escape, notice, thai_time};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::{Query, State};
use axum::Form;

pub const PATH: &str = "/admin/agents";

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    page: Option<String>,
    done: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    id: String,
    csrf: String,
}

fn row(agent: &AgentRecord, csrf: &str) -> String {
    let seen = agent.last_seen.map(thai_time).unwrap_or_else(|| "—".into());
    let (status, action) = if agent.revoked {
        ("ถูกเพิกถอน (revoked)", String::new())
    } else {
        (
            "ใช้งานได้ (active)",
            format!(
                r#"<form method="post" action="{PATH}/revoke" class="inline">{csrf}<input type="hidden" name="id" value="{id}"><button type="submit">เพิกถอน</button></form>"#,
                id = escape(&agent.id),
            ),
        )
    };
    format!(
        "<tr><td class=\"code\">{id}</td><td>{host}</td><td>{version}</td><td>{enrolled}</td><td>{seen}</td><td>{status}</td><td>{action}</td></tr>\n",
        id = escape(&agent.id),
        host = escape(&agent.hostname),
        version = escape(&agent.agent_version),
        enrolled = thai_time(agent.created_at),
    )
}

async fn agents_page(
    state: &AppState,
    console: &Console,
    paging: Paging,
    message: &str,
) -> WebResult {
    let mut agents = agents::newest(&state.pool, paging.offset(), paging.limit()).await?;
    let pages = paging.links(&mut agents, PATH);
    let csrf = csrf_field(&console.session);
    let rows: String = agents.iter().map(|agent| row(agent, &csrf)).collect();
    let body = format!(
        r#"{message}
<p><a href="/admin/agents/tokens" id="enroll-tokens-link">โทเค็นลงทะเบียนเครื่อง <span lang="en">(enrollment tokens)</span></a></p>
<table id="agents"><thead><tr><th>รหัสเครื่อง <span lang="en">(agent)</span></th><th>ชื่อเครื่อง <span lang="en">(hostname)</span></th><th>รุ่น <span lang="en">(version)</span></th><th>ลงทะเบียนเมื่อ (เวลาประเทศไทย)</th><th>ติดต่อล่าสุด (เวลาประเทศไทย) <span lang="en">(last seen)</span></th><th>สถานะ</th><th></th></tr></thead>
<tbody>
{rows}</tbody></table>
{pages}"#,
    );
    Ok(page(console, "เครื่องลูกข่าย", &body))
}

/// `GET /admin/agents`.
pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
) -> WebResult {
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let message = match query.done.as_deref() {
        Some("revoked") => notice(
            "ok",
            "เพิกถอนเครื่องแล้ว เครื่องนี้ใช้เข้าสู่ระบบด้วยบัตรไม่ได้อีก",
            "The agent is revoked: its card logins are refused from now on.",
        ),
        _ => String::new(),
    };
    agents_page(
        &state,
        &console,
        Paging::of(query.page.as_deref()),
        &message,
    )
    .await
}

/// `POST /admin/agents/revoke`: revokes one agent, as this admin.
pub async fn revoke(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<RevokeForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.is_admin() {
        return Ok(console.refuse());
    }
    let id = form.id.trim();
    if agents::revoke(&state.pool, id, &console.username, crate::now()).await? {
        return Ok(Reply::see_other(&format!("{PATH}?done=revoked")));
    }
    let message = notice(
        "error",
        "ไม่พบเครื่องนี้ หรือเครื่องนี้ถูกเพิกถอนไปแล้ว",
        &format!("No active agent {id}."),
    );
    let page = agents_page(&state, &console, Paging::of(None), &message).await?;
    Ok(bad_request(page))
}
