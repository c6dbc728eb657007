//! `/admin/people/{username}` (helpdesk and admin): a person's state (card registered or
//! blocked, OTP and its step, password, lockout, recent logins, systems) and the forms of
//! the helpdesk's actions on them ([`super::people_actions`]).

use super::{page, Console};
use crate::http::AppState;
use crate::people::{self, CardState, PersonState};
use crate::web::html::{csrf_field, escape, notice, thai_time};
use crate::web::{Reply, WebResult};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    done: String,
}

/// What an action's redirect tells the page to say.
fn done_notice(done: &str) -> String {
    let (th, en) = match done {
        "created" => ("เพิ่มบุคลากรแล้ว", "Created."),
        "linked" => ("ผูกเลขประจำตัวประชาชนแล้ว", "Citizen ID linked."),
        "unlinked" => ("ยกเลิกการผูกเลขประจำตัวประชาชนแล้ว", "Citizen ID unlinked."),
        "blocked" => ("ระงับบัตรแล้ว บัตรนี้เข้าสู่ระบบไม่ได้อีก", "Card blocked."),
        "otp-reset" => (
            "ล้าง OTP แล้ว ผู้ใช้ต้องเข้าสู่ระบบด้วยบัตรแล้วตั้งค่า OTP ใหม่ที่หน้า /me/otp",
            "OTP cleared: the person logs in by card and sets up a new one on /me/otp.",
        ),
        "unlocked" => ("ปลดการล็อกแล้ว", "Lockout cleared."),
        _ => return String::new(),
    };
    notice("ok", th, en)
}

fn card_state(state: &PersonState) -> String {
    match &state.card {
        CardState::Registered(card) => {
            let laser = if card.laser {
                "พร้อมเลขหลังบัตร (laser ID)"
            } else {
                "ไม่มีเลขหลังบัตร: ต้องใช้ OTP ทุกครั้งหลังเข้าสู่ระบบด้วยบัตร"
            };
            format!(
                "ลงทะเบียนแล้ว <span lang=\"en\">(registered)</span>: {} · {laser} · {}",
                escape(&card.serial_masked),
                thai_time(card.registered_at)
            )
        }
        CardState::Blocked(card) => format!(
            "ระงับแล้ว <span lang=\"en\">(blocked)</span>: {} · {}",
            escape(&card.serial_masked),
            thai_time(card.blocked_at)
        ),
        CardState::None => "ยังไม่ได้ลงทะเบียนบัตร <span lang=\"en\">(none)</span>".into(),
    }
}

fn otp_state(state: &PersonState) -> String {
    if state.has_otp() {
        let (th, en) = state.account.totp_step.every();
        format!("ตั้งค่าแล้ว รหัสเปลี่ยนทุก {th} <span lang=\"en\">(set, every {en})</span>")
    } else {
        "ยังไม่ได้ตั้งค่า <span lang=\"en\">(not set)</span>".into()
    }
}

/// Failed guesses at the person's password or codes: from how many addresses, and until
/// when they count. Each address waits for its own failures; many addresses slow new
/// ones down; nobody is locked out from elsewhere.
fn guessing_state(state: &PersonState) -> String {
    let Some(guessing) = state.guessing else {
        return "ไม่มี <span lang=\"en\">(none)</span>".into();
    };
    let (failures, addresses) = (guessing.failures, guessing.addresses);
    let until = thai_time(guessing.until);
    let delayed = if guessing.delayed {
        " ถูกเดาจากหลายที่อยู่: ที่อยู่ใหม่ถูกหน่วงเวลา <span lang=\"en\">(guessed at from many addresses: new addresses are delayed)</span>"
    } else {
        ""
    };
    format!(
        "ผิด {failures} ครั้ง จาก {addresses} ที่อยู่ นับถึง {until} <span lang=\"en\">({failures} failures from {addresses} addresses, counted until {until})</span>{delayed}"
    )
}

fn yes_no(yes: bool, th: (&str, &str)) -> String {
    let (text, en) = if yes { (th.0, "yes") } else { (th.1, "no") };
    format!("{text} <span lang=\"en\">({en})</span>")
}

fn logins(state: &PersonState) -> String {
    let rows: String = state
        .logins
        .iter()
        .map(|row| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                thai_time(row.at),
                row.entry.method.as_str(),
                escape(&row.entry.outcome)
            )
        })
        .collect();
    format!(
        "<table id=\"person-logins\"><thead><tr><th>เวลา (เวลาประเทศไทย)</th><th>วิธี</th>\
         <th>ผล</th></tr></thead>\n<tbody>\n{rows}</tbody></table>"
    )
}

fn systems(state: &PersonState) -> String {
    let items: String = state
        .systems
        .iter()
        .map(|permitted| {
            let name = permitted
                .account_name
                .as_deref()
                .map(|name| format!(" ({})", escape(name)))
                .unwrap_or_default();
            format!(
                "<li>{} {}{name}</li>",
                escape(&permitted.system.code),
                escape(&permitted.system.name)
            )
        })
        .collect();
    format!("<ul id=\"person-systems\">{items}</ul>")
}

/// One action's form: a button posting to `/admin/people/{user}/{action}`.
fn action(user: &str, csrf: &str, action: &str, th: &str) -> String {
    format!(
        r#"<form method="post" action="/admin/people/{user}/{action}" class="inline" id="{action}-form">{csrf}<button type="submit">{th}</button></form> "#
    )
}

/// The person's page, under `message`.
pub(super) fn person_page(console: &Console, state: &PersonState, message: &str) -> Reply {
    let account = &state.account;
    let user = escape(&account.username);
    let csrf = csrf_field(&console.session);
    let mut actions = String::new();
    if matches!(state.card, CardState::Registered(_)) {
        actions += &action(&user, &csrf, "block", "ระงับบัตร (บัตรหาย)");
    }
    if state.has_otp() {
        actions += &action(&user, &csrf, "otp-reset", "ล้าง OTP ให้ตั้งค่าใหม่");
    }
    actions += &action(&user, &csrf, "reset-code", "ออกรหัสรีเซ็ตรหัสผ่าน");
    if state.guessing.is_some() {
        actions += &action(&user, &csrf, "unlock", "ปลดการล็อก");
    }
    let body = format!(
        r#"{message}
<dl id="person">
<dt>ชื่อผู้ใช้</dt><dd>{user}</dd>
<dt>ชื่อ-นามสกุล</dt><dd>{name}</dd>
<dt>เลขประจำตัวประชาชน</dt><dd id="person-citizen-id">{cid}</dd>
<dt>หน่วยงาน</dt><dd>{department}</dd>
<dt>อีเมล</dt><dd>{email}</dd>
<dt>บัตรประชาชน</dt><dd id="card-state">{card}</dd>
<dt>OTP</dt><dd id="otp-state">{otp}</dd>
<dt>รหัสผ่าน</dt><dd id="password-state">{password}</dd>
<dt>การใส่รหัสผิด <span lang="en">(failed guesses)</span></dt><dd id="lockout-state">{lockout}</dd>
</dl>
<p><a href="/admin/people/{user}/card" id="register-card">ลงทะเบียนบัตรโดยเสียบบัตรที่เครื่องอ่าน <span lang="en">(register a card by inserting it)</span></a></p>
<h2>ดำเนินการ <span lang="en">(actions)</span></h2>
<p>{actions}</p>
<h2>ผูกเลขประจำตัวประชาชน <span lang="en">(link a citizen ID)</span></h2>
<form method="post" action="/admin/people/{user}/link" id="link">
{csrf}
<label>เลขประจำตัวประชาชน 13 หลัก <input name="citizen_id" id="link-citizen-id" inputmode="numeric" autocomplete="off"></label>
<button type="submit" name="change" value="link">ผูก</button>
<button type="submit" name="change" value="unlink">ยกเลิกการผูก</button>
</form>
<h2>การเข้าสู่ระบบล่าสุด <span lang="en">(recent logins)</span></h2>
{logins}
<h2>ระบบงานที่ใช้ได้ <span lang="en">(systems)</span></h2>
{systems}"#,
        name = escape(&account.display_name),
        cid = account.citizen_id_masked().unwrap_or_else(|| "-".into()),
        department = escape(&account.department),
        email = escape(&account.email),
        card = card_state(state),
        otp = otp_state(state),
        password = yes_no(state.has_password(), ("ตั้งแล้ว", "ยังไม่ได้ตั้ง")),
        lockout = guessing_state(state),
        logins = logins(state),
        systems = systems(state),
    );
    page(console, &account.display_name, &body)
}

/// No such person: 404 in the console's frame.
pub(super) fn unknown(console: &Console) -> Reply {
    let body = notice("error", "ไม่พบบุคลากรนี้", "No such person.");
    let mut reply = page(console, "ไม่พบบุคลากร", &body);
    if let Reply::Page { status, .. } = &mut reply {
        *status = StatusCode::NOT_FOUND;
    }
    reply
}

/// `GET /admin/people/{username}`.
pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(username): Path<String>,
    Query(done): Query<Done>,
) -> WebResult {
    if !console.helps() {
        return Ok(console.refuse());
    }
    match people::state(&state.pool, &username, crate::now()).await? {
        Some(person) => Ok(person_page(&console, &person, &done_notice(&done.done))),
        None => Ok(unknown(&console)),
    }
}
