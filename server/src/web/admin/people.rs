//! `/admin/people` (helpdesk and admin): find a person by name, user name or exact
//! citizen ID (shown masked, and never written back in full), paged; and create one ([`crate::people::create`], as
//! `thaiid-server user add` does), audited with the helpdesk user's name.

use super::{page, Console};
use crate::http::{AppState, PageError};
use crate::people::{self, NewPerson, PersonError};
use crate::web::html::{csrf_field, escape, notice};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use thaiid_protocol::CitizenId;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SearchQuery {
    q: String,
    page: Option<u32>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    username: String,
    display_name: String,
    citizen_id: String,
    department: String,
    email: String,
    csrf: String,
}

/// A field left empty is not given.
pub(super) fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The rows of the people found, names and citizen IDs (masked) linking to their pages.
fn results(found: &people::Found) -> String {
    found
        .people
        .iter()
        .map(|account| {
            format!(
                "<tr><td><a href=\"/admin/people/{user}\">{user}</a></td><td>{name}</td>\
                 <td>{cid}</td><td>{department}</td></tr>\n",
                user = escape(&account.username),
                name = escape(&account.display_name),
                cid = account.citizen_id_masked().unwrap_or_else(|| "-".into()),
                department = escape(&account.department),
            )
        })
        .collect()
}

/// The links to the pages before and after `number`.
fn pager(query: &str, number: u32, more: bool) -> String {
    let link = |to: u32, th: &str, id: &str| {
        format!(
            r#"<a href="/admin/people?q={q}&amp;page={to}" id="{id}">{th}</a> "#,
            q = escape(&encoded(query)),
        )
    };
    let mut links = String::new();
    if number > 1 {
        links += &link(number - 1, "ก่อนหน้า", "page-previous");
    }
    if more {
        links += &link(number + 1, "ถัดไป", "page-next");
    }
    format!(r#"<p class="pager">หน้า {number} {links}</p>"#)
}

const CREATE_FORM: &str = r#"<p><a href="/admin/people-import" id="import-link">นำเข้าบุคลากรจากไฟล์ของฝ่ายบุคคล (CSV) <span lang="en">(import people from the HR export)</span></a></p>
<h2>เพิ่มบุคลากร <span lang="en">(create a person)</span></h2>
<form method="post" action="/admin/people" id="person-create">
{csrf}
<label>ชื่อผู้ใช้ (username) <input name="username" id="new-username" required pattern="[A-Za-z0-9._\-]+" autocomplete="off"></label>
<label>ชื่อ-นามสกุล (ภาษาไทย) <input name="display_name" id="new-display-name" required></label>
<label>เลขประจำตัวประชาชน 13 หลัก (ถ้ามี) <input name="citizen_id" id="new-citizen-id" inputmode="numeric" autocomplete="off"></label>
<label>หน่วยงาน (ถ้ามี) <input name="department" id="new-department"></label>
<label>อีเมล (ถ้ามี) <input name="email" id="new-email" type="email"></label>
<button type="submit">เพิ่มบุคลากร</button>
</form>"#;

async fn people_page(
    state: &AppState,
    console: &Console,
    query: &SearchQuery,
    message: &str,
) -> WebResult {
    let number = query.page.unwrap_or(1).max(1);
    let found = people::search(&state.pool, &query.q, number).await?;
    let rows = results(&found);
    let table = if found.people.is_empty() {
        notice("info", "ไม่พบบุคลากรที่ค้นหา", "Nobody found.")
    } else {
        format!(
            "<table id=\"people\"><thead><tr><th>ชื่อผู้ใช้</th><th>ชื่อ-นามสกุล</th>\
             <th>เลขประจำตัวประชาชน</th><th>หน่วยงาน</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n{}",
            pager(&query.q, number, found.more)
        )
    };
    // A citizen ID searched for is not written back in full, not even into the box.
    let (shown, searched) = match people::citizen_id(&query.q) {
        Some(id) => {
            let masked = CitizenId::parse(&id)
                .map(|id| id.masked())
                .unwrap_or_default();
            let th = format!("ผลการค้นหาเลขประจำตัวประชาชน {masked}");
            let en = format!("People with the citizen ID {masked}.");
            (String::new(), notice("info", &th, &en))
        }
        None => (escape(&query.q), String::new()),
    };
    let csrf = csrf_field(&console.session);
    let body = format!(
        r#"{message}
<form method="post" action="/admin/people-search" id="people-search" role="search">
{csrf}
<label>ค้นหาด้วยชื่อ ชื่อผู้ใช้ หรือเลขประจำตัวประชาชน 13 หลัก <span lang="en">(name, user name or citizen ID)</span>
<input name="q" id="people-q" value="{shown}" type="search"></label>
<button type="submit" id="people-find">ค้นหา</button>
</form>
{searched}
{table}
{create}"#,
        create = CREATE_FORM.replace("{csrf}", &csrf),
    );
    Ok(page(console, "บุคลากรและบัตร", &body))
}

/// `GET /admin/people?q=…&page=N`.
pub async fn search(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<SearchQuery>,
) -> WebResult {
    if !console.helps() {
        return Ok(console.refuse());
    }
    people_page(&state, &console, &query, "").await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FindForm {
    q: String,
    csrf: String,
}

/// `POST /admin/people-search`: the first page of a search, posted so that a citizen ID
/// searched for stays out of URLs (the browser's history, a proxy's access log); the
/// links to further pages are GETs of name searches. Not under `/admin/people/`, where it
/// would shadow a person named `search`.
pub async fn find(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<FindForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.helps() {
        return Ok(console.refuse());
    }
    let query = SearchQuery {
        q: form.q,
        page: None,
    };
    people_page(&state, &console, &query, "").await
}

/// The page a refused form gets back: its reason, 400.
pub(super) fn refused(mut reply: Reply) -> Reply {
    if let Reply::Page { status, .. } = &mut reply {
        *status = StatusCode::BAD_REQUEST;
    }
    reply
}

/// The refusal in `error` for the person at the console, or the database's failure
/// (a page error, logged).
pub(super) fn refusal_of(error: PersonError) -> Result<PersonError, PageError> {
    use crate::cards::CardError;
    use crate::reset_codes::ResetCodeError;
    use crate::users::UserError;
    match error {
        PersonError::Db(error)
        | PersonError::User(UserError::Db(error))
        | PersonError::Card(CardError::Db(error))
        | PersonError::ResetCode(ResetCodeError::Db(error)) => Err(PageError::from(error)),
        error => Ok(error),
    }
}

/// Thai for why a person's change was refused; the English is the error's own.
pub(super) fn refusal_th(error: &PersonError) -> &'static str {
    use crate::users::UserError;
    match error {
        PersonError::User(UserError::BadCitizenId) => {
            "เลขประจำตัวประชาชนไม่ถูกต้อง (ต้องเป็นตัวเลข 13 หลักและหลักสุดท้ายตรวจสอบถูกต้อง)"
        }
        PersonError::User(UserError::Taken) => "ชื่อผู้ใช้หรือเลขประจำตัวประชาชนนี้มีผู้ใช้แล้ว",
        PersonError::User(UserError::BadUsername(_)) => {
            "ชื่อผู้ใช้ใช้ได้เฉพาะตัวอักษรภาษาอังกฤษ ตัวเลข และ . _ -"
        }
        PersonError::NoName => "กรุณากรอกชื่อ-นามสกุล",
        PersonError::Card(crate::cards::CardError::NoCard(_)) => "บัญชีนี้ไม่มีบัตรที่ลงทะเบียนไว้ให้ระงับ",
        _ => "บันทึกไม่สำเร็จ",
    }
}

/// `POST /admin/people`: create a person, as this helpdesk user.
pub async fn create(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<CreateForm>,
) -> WebResult {
    if !console.csrf_ok(&form.csrf) {
        return Ok(stale_form());
    }
    if !console.helps() {
        return Ok(console.refuse());
    }
    let username = form.username.trim();
    let person = NewPerson {
        username,
        display_name: &form.display_name,
        citizen_id: given(&form.citizen_id),
        department: given(&form.department),
        email: given(&form.email),
    };
    match people::create(&state.pool, &person, &console.username, crate::now()).await {
        Ok(()) => Ok(Reply::see_other(&format!(
            "/admin/people/{}?done=created",
            encoded(username)
        ))),
        Err(error) => {
            let error = refusal_of(error)?;
            let message = notice("error", refusal_th(&error), &error.to_string());
            let query = SearchQuery::default();
            Ok(refused(
                people_page(&state, &console, &query, &message).await?,
            ))
        }
    }
}
