//! `/admin/audit` (auditors only, so that the admins' own actions are read by someone
//! else): the audit log searched by person, system, outcome, method and time in
//! Thailand's time, 50 rows a page newest first, the alerts of `audit --alerts`, and
//! links to the same search as CSV and JSON Lines ([`super::audit_files`]). Each search
//! is itself an audit row (method `export`, the auditor as actor, the search as detail).

use super::{page, Console};
use crate::alerts::{self, Alert};
use crate::audit::{self, Entry, Method};
use crate::audit_search::{self, Cursor, Found, Search, SearchError, SearchText};
use crate::db::Pool;
use crate::http::AppState;
use crate::web::html::{escape, notice, thai_time};
use crate::web::{Reply, WebResult};
use axum::extract::{Query, State};
use axum::http::StatusCode;

/// Rows a page shows.
pub const PAGE_ROWS: i64 = 50;

/// Where a page starts: after the `(at, id)` the previous page ended at.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Paging {
    before: String,
}

/// `GET /admin/audit`.
pub async fn search(
    State(state): State<AppState>,
    console: Console,
    Query(text): Query<SearchText>,
    Query(paging): Query<Paging>,
) -> WebResult {
    if !console.audits() {
        return Ok(console.refuse());
    }
    let parsed = Search::parse(&text).and_then(|search| {
        let before = Some(paging.before.trim())
            .filter(|cursor| !cursor.is_empty())
            .map(Cursor::parse)
            .transpose()?;
        Ok((search, before))
    });
    let (search, before) = match parsed {
        Ok(parsed) => parsed,
        Err(refused) => return Ok(refused_search(&console, &text, &refused)),
    };
    record(&state.pool, &console, &search.describe(&text), "search").await?;
    let mut rows =
        audit_search::fetch(&state.pool, &search, before.as_ref(), PAGE_ROWS + 1).await?;
    let more = rows.len() > PAGE_ROWS as usize;
    rows.truncate(PAGE_ROWS as usize);
    let next = match rows.last() {
        Some(last) if more => format!(
            r#"<p><a id="older" href="/admin/audit?{}">หน้าถัดไป (เก่ากว่า) <span lang="en">older</span></a></p>"#,
            escape(&query_string(&text, Some(&last.cursor())))
        ),
        _ => String::new(),
    };
    let first = match before {
        Some(_) => format!(
            r#"<p><a id="newest" href="/admin/audit?{}">กลับไปหน้าแรก (ใหม่สุด) <span lang="en">newest</span></a></p>"#,
            escape(&query_string(&text, None))
        ),
        None => String::new(),
    };
    let exports = format!(
        r#"<p id="exports">ส่งออกผลการค้นหาทั้งหมด <span lang="en">(export the whole search)</span>:
<a id="export-csv" href="/admin/audit.csv?{q}">CSV</a> ·
<a id="export-jsonl" href="/admin/audit.jsonl?{q}">JSON Lines</a></p>"#,
        q = escape(&query_string(&text, None))
    );
    let body = format!(
        "{alerts}{form}{exports}{table}{next}{first}",
        alerts = alerts_section(&state.pool).await?,
        form = form(&text),
        table = table(&rows),
    );
    Ok(page(&console, "บันทึกการใช้งาน", &body))
}

/// Writes the audit row of an auditor's search or export.
pub async fn record(
    pool: &Pool,
    console: &Console,
    search: &str,
    kind: &str,
) -> Result<(), sqlx::Error> {
    let mut entry = Entry::new(Method::Export);
    entry.outcome = audit::OK.into();
    entry.actor = Some(console.username.clone());
    entry.detail = Some(format!("{kind}: {search}"));
    audit::record(pool, &entry, crate::now()).await
}

/// The search form again, with what was wrong in it (`400`).
pub fn refused_search(console: &Console, text: &SearchText, refused: &SearchError) -> Reply {
    let body = format!(
        "{}{}",
        notice(
            "error",
            "เงื่อนไขการค้นหาไม่ถูกต้อง (เวลาให้พิมพ์เป็น ปปปป-ดด-วว หรือ ปปปป-ดด-ววTชช:นน ตามเวลาประเทศไทย ปีเป็น ค.ศ.)",
            &refused.to_string(),
        ),
        form(text)
    );
    let mut reply = page(console, "บันทึกการใช้งาน", &body);
    if let Reply::Page { status, .. } = &mut reply {
        *status = StatusCode::BAD_REQUEST;
    }
    reply
}

/// The query string of a search (its non-empty fields), and where its page starts.
pub fn query_string(text: &SearchText, before: Option<&Cursor>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("person", &text.person),
        ("system", &text.system),
        ("outcome", &text.outcome),
        ("method", &text.method),
        ("from", &text.from),
        ("to", &text.to),
    ] {
        if !value.trim().is_empty() {
            query.append_pair(name, value.trim());
        }
    }
    if let Some(cursor) = before {
        query.append_pair("before", &cursor.text());
    }
    query.finish()
}

fn form(text: &SearchText) -> String {
    let options: String = std::iter::once(("", "ทุกวิธี (any)"))
        .chain(Method::ALL.iter().map(|m| (m.as_str(), m.as_str())))
        .map(|(value, label)| {
            let selected = if value == text.method.trim() {
                " selected"
            } else {
                ""
            };
            format!(r#"<option value="{value}"{selected}>{label}</option>"#)
        })
        .collect();
    let field = |id: &str, th: &str, en: &str, value: &str, hint: &str| {
        format!(
            r#"<label>{th} <span lang="en">({en})</span> <input name="{id}" id="audit-{id}" value="{}" placeholder="{hint}"></label>"#,
            escape(value)
        )
    };
    format!(
        r#"<form method="get" action="/admin/audit" role="search" id="audit-search">
{person}
{system}
{outcome}
<label>วิธี <span lang="en">(method)</span> <select name="method" id="audit-method">{options}</select></label>
{from}
{to}
<p class="hint">เวลาเป็นเวลาประเทศไทย (UTC+7) ปี ค.ศ. เช่น 2026-12-06 หรือ 2026-12-06T08:30 ช่วงเวลานับรวมวันหรือนาทีสุดท้าย
<span lang="en">Times are Thailand's (UTC+7); the range takes in the whole last day or minute.</span></p>
<button type="submit" id="audit-submit">ค้นหา</button>
</form>"#,
        person = field(
            "person",
            "ชื่อผู้ใช้ (ผู้ถูกกระทำหรือผู้กระทำ)",
            "username, or who acted",
            &text.person,
            "somchai.t"
        ),
        system = field("system", "รหัสระบบ", "system code", &text.system, "hr"),
        outcome = field(
            "outcome",
            "ผล",
            "OK, refused or a reason code",
            &text.outcome,
            "OK / refused / CARD_BLOCKED"
        ),
        from = field("from", "ตั้งแต่", "from", &text.from, "2026-12-01"),
        to = field("to", "ถึง", "to", &text.to, "2026-12-06T18:00"),
    )
}

fn table(rows: &[Found]) -> String {
    if rows.is_empty() {
        return notice("info", "ไม่พบรายการตามเงื่อนไข", "No rows match the search.");
    }
    let cell = |value: &Option<String>| escape(value.as_deref().unwrap_or_default());
    let lines: String = rows
        .iter()
        .map(|found| {
            let e = &found.row.entry;
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"outcome\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                thai_time(found.row.at),
                e.method.as_str(),
                escape(&e.outcome),
                cell(&e.username),
                cell(&e.actor),
                cell(&e.system),
                cell(&e.detail),
                cell(&e.citizen_id),
                cell(&e.card),
                cell(&e.agent_id),
                cell(&e.remote),
            )
        })
        .collect();
    format!(
        r#"<table id="audit-rows"><thead><tr><th>เวลา (เวลาประเทศไทย)</th><th>วิธี</th><th>ผล</th><th>ผู้ใช้</th><th>ผู้กระทำ</th><th>ระบบ</th><th>รายละเอียด</th><th>เลขประจำตัวประชาชน</th><th>บัตร</th><th>เครื่อง</th><th>ที่อยู่</th></tr></thead>
<tbody>
{lines}</tbody></table>"#
    )
}

/// The alerts of `thaiid-server audit --alerts` with its defaults: the last 24 hours.
async fn alerts_section(pool: &Pool) -> Result<String, sqlx::Error> {
    let now = crate::now();
    let rows = audit::since(pool, now - 24 * 3600).await?;
    let mut found = alerts::find(&rows, alerts::Thresholds::default());
    found.extend(alerts::cards_to_register_again(
        crate::cards::to_register_again(pool).await?,
    ));
    if found.is_empty() {
        return Ok(format!(
            r#"<section id="alerts"><h2>การแจ้งเตือน <span lang="en">(alerts)</span></h2>{}</section>"#,
            notice(
                "ok",
                "ไม่มีการแจ้งเตือนใน 24 ชั่วโมงที่ผ่านมา",
                "No alerts in the last 24 hours."
            )
        ));
    }
    let items: String = found.iter().map(alert_item).collect();
    Ok(format!(
        r#"<section id="alerts"><h2>การแจ้งเตือน <span lang="en">(alerts, last 24 hours)</span></h2>
<ul>{items}</ul></section>"#
    ))
}

fn alert_item(alert: &Alert) -> String {
    let or_dash = |value: &Option<String>| escape(value.as_deref().unwrap_or("-"));
    let what = match alert {
        Alert::ManyWorkstations {
            card,
            citizen_id,
            workstations,
            ..
        } => format!(
            "บัตร {} ({}) ถูกใช้จาก {workstations} เครื่องภายในหนึ่งชั่วโมง <span lang=\"en\">(CARD_MANY_WORKSTATIONS)</span>",
            escape(card),
            or_dash(citizen_id)
        ),
        Alert::BlockedCardTried {
            card,
            username,
            agent_id,
            ..
        } => format!(
            "มีผู้ใช้บัตรที่ถูกระงับ {} ({}) ที่เครื่อง {} <span lang=\"en\">(BLOCKED_CARD_TRIED)</span>",
            escape(card),
            or_dash(username),
            or_dash(agent_id)
        ),
        Alert::ManyRefusals {
            agent_id, refusals, ..
        } => format!(
            "เครื่อง {} ถูกปฏิเสธการเข้าสู่ระบบด้วยบัตร {refusals} ครั้งภายในหนึ่งชั่วโมง <span lang=\"en\">(AGENT_MANY_REFUSALS)</span>",
            escape(agent_id)
        ),
        Alert::AccountGuessed {
            username,
            addresses,
            ..
        } => format!(
            "บัญชี {} ถูกเดารหัสจาก {addresses} ที่อยู่ ที่อยู่ใหม่ถูกหน่วงเวลา เจ้าของบัญชียังเข้าสู่ระบบได้ <span lang=\"en\">(ACCOUNT_GUESSED)</span>",
            or_dash(username)
        ),
        Alert::CardToRegisterAgain { username, .. } => format!(
            "บัตรของ {} ลงทะเบียนด้วยหมายเลขบัตรอย่างเดียว ต้องลงทะเบียนใหม่พร้อมเลขหลังบัตร <span lang=\"en\">(CARD_WITHOUT_LASER_ID)</span>",
            escape(username)
        ),
    };
    format!("<li>{} — {what}</li>", thai_time(alert.at()))
}
