//! `/admin/people-import` (helpdesk and admin): the HR export uploaded as a file and
//! imported by [`crate::import`], as `thaiid-server user import` does, audited with the
//! console user's name; the page answers each row's outcome.
//!
//! The upload is `multipart/form-data` from a plain file input (no script). Its route
//! stands outside the site's 16 KiB body reader ([`upload_routes`]): the console's gate
//! runs on the headers first, so only a helpdesk user's body is read, within
//! [`MAX_UPLOAD_BYTES`] and [`UPLOAD_DEADLINE`].

use super::{page, Console};
use crate::http::AppState;
use crate::import::{self, ImportError, Outcome, Report, RowReport};
use crate::web::html::{csrf_field, escape, notice};
use crate::web::{stale_form, Reply, WebResult};
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use std::time::Duration;

pub const PATH: &str = "/admin/people-import";
/// The largest file the page takes: some 50,000 people (larger: the command line).
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;
/// 8 MiB in this time needs about 1.2 Mbit/s.
pub const UPLOAD_DEADLINE: Duration = Duration::from_secs(60);

/// The upload, with its own body limit (see the module's documentation).
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route(PATH, post(upload))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

fn form(console: &Console, message: &str) -> String {
    format!(
        r#"{message}
<h2>นำเข้ารายชื่อบุคลากรจากไฟล์ของฝ่ายบุคคล <span lang="en">(import people from the HR export)</span></h2>
<p>ไฟล์ CSV (UTF-8) แถวแรกเป็นชื่อคอลัมน์ <code>username,name_th,name_en,citizen_id,systems</code>
(คอลัมน์ systems ใส่หรือไม่ก็ได้: รหัสระบบงานคั่นด้วยช่องว่าง) นำเข้าซ้ำได้โดยไม่เกิดผลเสีย:
ระบบจะสร้างบัญชีใหม่ ปรับชื่อที่เปลี่ยน ผูกเลขประจำตัวประชาชนกับบัญชีที่ยังไม่มี และให้สิทธิ์ระบบงานที่ยังไม่มี โดยไม่ลบสิ่งใด</p>
<p lang="en">A CSV file (UTF-8) whose first row names the columns; systems is optional (codes
separated by spaces). It runs again without harm: it creates accounts, updates changed names,
links a citizen ID to an account without one and grants systems; it never deletes.
Up to {mib} MiB; larger files with <code>thaiid-server user import</code>.</p>
<form method="post" action="{PATH}" enctype="multipart/form-data" id="people-import">
{csrf}
<label>ไฟล์ CSV <input type="file" name="file" id="import-file" accept=".csv,text/csv" required></label>
<button type="submit">นำเข้า <span lang="en">(import)</span></button>
</form>"#,
        csrf = csrf_field(&console.session),
        mib = MAX_UPLOAD_BYTES / (1024 * 1024),
    )
}

/// `GET /admin/people-import`.
pub async fn show(console: Console) -> Reply {
    if !console.helps() {
        return console.refuse();
    }
    page(&console, "นำเข้ารายชื่อบุคลากร", &form(&console, ""))
}

/// What the upload carried.
#[derive(Default)]
struct Upload {
    csrf: String,
    file: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, MultipartError> {
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await? {
        match field.name() {
            Some("csrf") => upload.csrf = field.text().await?,
            Some("file") => upload.file = field.bytes().await?.to_vec(),
            _ => {}
        }
    }
    Ok(upload)
}

/// `POST /admin/people-import`: import the file as this console user; the report.
async fn upload(
    State(state): State<AppState>,
    console: Console,
    multipart: Result<Multipart, MultipartRejection>,
) -> WebResult {
    if !console.helps() {
        return Ok(console.refuse());
    }
    let refused = |th: &str, en: &str| {
        let mut reply = page(
            &console,
            "นำเข้าไม่สำเร็จ",
            &form(&console, &notice("error", th, en)),
        );
        if let Reply::Page { status, .. } = &mut reply {
            *status = StatusCode::BAD_REQUEST;
        }
        reply
    };
    let Ok(multipart) = multipart else {
        return Ok(refused(
            "กรุณาเลือกไฟล์แล้วส่งจากแบบฟอร์มนี้",
            "Choose a file and send it with this form.",
        ));
    };
    let upload = match tokio::time::timeout(UPLOAD_DEADLINE, read_upload(multipart)).await {
        Ok(Ok(upload)) => upload,
        Ok(Err(error)) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let mib = MAX_UPLOAD_BYTES / (1024 * 1024);
            return Ok(refused(
                &format!("ไฟล์ใหญ่เกิน {mib} MiB กรุณาแบ่งไฟล์ หรือใช้คำสั่ง thaiid-server user import"),
                &format!("The file is over {mib} MiB: split it, or use thaiid-server user import."),
            ));
        }
        Ok(Err(_)) => return Ok(refused("อ่านไฟล์ที่ส่งมาไม่ได้", "The upload could not be read.")),
        Err(_) => {
            return Ok(refused(
                "ส่งไฟล์ไม่ทันเวลา กรุณาลองใหม่",
                "The file did not arrive in time: try again.",
            ))
        }
    };
    if !console.csrf_ok(&upload.csrf) {
        return Ok(stale_form());
    }
    match import::import(&state.pool, &upload.file, &console.username, crate::now()).await {
        Ok(report) => Ok(page(
            &console,
            "ผลการนำเข้า",
            &report_body(&console, &report),
        )),
        Err(ImportError::Db(error)) => Err(error.into()),
        Err(error) => Ok(refused(
            "นำเข้าไม่สำเร็จ ไม่มีการเปลี่ยนแปลงใด",
            &error.to_string(),
        )),
    }
}

fn outcome_th(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Created => "สร้างใหม่".into(),
        Outcome::Updated(_) => "ปรับปรุง".into(),
        Outcome::Unchanged => "ไม่เปลี่ยนแปลง".into(),
        Outcome::Refused(refusal) => format!("ไม่นำเข้า: {}", refusal.thai()),
    }
}

fn table(id: &str, rows: &[&RowReport]) -> String {
    let rows: String = rows
        .iter()
        .map(|row| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td lang=\"en\">{}</td></tr>\n",
                row.row,
                escape(&row.username),
                escape(row.citizen_id.as_deref().unwrap_or("-")),
                escape(&outcome_th(&row.outcome)),
                escape(&row.outcome.to_string()),
            )
        })
        .collect();
    format!(
        r#"<table id="{id}"><thead><tr><th>แถว</th><th>ชื่อผู้ใช้</th><th>เลขประจำตัวประชาชน</th><th>ผล</th><th lang="en">outcome</th></tr></thead>
<tbody>
{rows}</tbody></table>"#
    )
}

fn report_body(console: &Console, report: &Report) -> String {
    let counts = report.counts();
    let summary = notice(
        if counts.refused == 0 { "ok" } else { "error" },
        &format!(
            "นำเข้าแล้ว: สร้างใหม่ {} ปรับปรุง {} ไม่เปลี่ยนแปลง {} ไม่นำเข้า {}",
            counts.created, counts.updated, counts.unchanged, counts.refused
        ),
        &counts.to_string(),
    );
    let refused: Vec<&RowReport> = report.refused().collect();
    let refused = if refused.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>แถวที่ไม่นำเข้า <span lang=\"en\">(rows refused: fix them and import the file again)</span></h2>\n{}",
            table("import-refused", &refused)
        )
    };
    let all: Vec<&RowReport> = report.rows.iter().collect();
    format!(
        "<div id=\"import-counts\">{summary}</div>\n{refused}\n<details><summary>ผลของทุกแถว <span lang=\"en\">(every row)</span></summary>\n{}\n</details>\n{}",
        table("import-rows", &all),
        form(console, ""),
    )
}
