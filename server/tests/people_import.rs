//! The bulk import of people from the HR export (SPEC §7b, issue 19): a file with good
//! rows, a bad check digit, duplicates, another's citizen ID and Thai text, imported
//! twice: the second run changes nothing. The same domain function behind the command
//! line (which fails when a row is refused) and the console's upload (helpdesk and admin
//! only, CSRF checked, the per-row report shown). Synthetic people only.

use thaiid_server::on_both_databases;
mod support;

use axum::http::{header, Request, StatusCode};
use support::browser::{browser, Browser, Page, SITE};
use support::TestDb;
use thaiid_server::import::{self, Report};
use thaiid_server::roles::{self, Role};
use thaiid_server::{audit, demo, users};

on_both_databases!(
    a_second_run_changes_nothing,
    the_command_line_reports_each_row_and_fails_on_a_refused_one,
    the_upload_is_the_helpdesks_and_checks_its_csrf,
    the_upload_shows_each_rows_outcome,
);

/// Rows 2–11: two new people (Thai names, a quoted comma), a bad check digit, a user name
/// on two rows, a citizen ID on two rows, another account's citizen ID, an account that
/// gets its name, citizen ID and systems, and the demo person as stored.
const HR_EXPORT: &str = "\u{feff}username,name_th,name_en,citizen_id,systems\r\n\
    malee.s,\"นางสาวมาลี สุขใจ\",Miss Malee Sukjai,1100000000016,01010101\r\n\
    preecha.w,นายปรีชา วงศ์ดี,\"Wongdee, Preecha\",1100000000024,\r\n\
    bad.digit,นายผิด เลขตรวจ,Mr Wrong,1100000000017,\r\n\
    twice.u,นายสอง ครั้ง,Mr Twice,1100000000032,\r\n\
    twice.u,นายสอง ครั้ง,Mr Twice,1100000000067,\r\n\
    dup.a,นายซ้ำ หนึ่ง,Mr Dup A,1100000000075,\r\n\
    dup.b,นายซ้ำ สอง,Mr Dup B,1100000000075,\r\n\
    taken.id,นายเอา ของคนอื่น,Mr Taken,1100000000059,\r\n\
    old.account,นายเก่า ชื่อใหม่,Mr Old Newname,1100000000041,01010101 02010101\r\n\
    somchai.t,นายสมชาย ทดสอบ,,1103700123458,01010101\r\n";

const FULL_IDS: [&str; 9] = [
    "1100000000016",
    "1100000000024",
    "1100000000017",
    "1100000000032",
    "1100000000067",
    "1100000000075",
    "1100000000059",
    "1100000000041",
    "1103700123458",
];

const REFUSALS: [(u64, &str, &str, &str); 6] = [
    (
        4,
        "bad.digit",
        "1-1000-xxxxx-xx-7",
        "refused: the citizen ID is not 13 digits with a right check digit",
    ),
    (
        5,
        "twice.u",
        "1-1000-xxxxx-xx-2",
        "refused: the user name is also on row 6",
    ),
    (
        6,
        "twice.u",
        "1-1000-xxxxx-xx-7",
        "refused: the user name is also on row 5",
    ),
    (
        7,
        "dup.a",
        "1-1000-xxxxx-xx-5",
        "refused: the citizen ID is also on row 8",
    ),
    (
        8,
        "dup.b",
        "1-1000-xxxxx-xx-5",
        "refused: the citizen ID is also on row 7",
    ),
    (
        9,
        "taken.id",
        "1-1000-xxxxx-xx-9",
        "refused: the citizen ID is linked to another account (linked.p)",
    ),
];

/// The demo person and systems, and two accounts from before the import.
async fn seeded(db: &TestDb) -> Browser {
    let b = browser(db).await;
    let now = thaiid_server::now();
    users::add(&db.pool, "old.account", "นายเก่า ชื่อเก่า", None, now)
        .await
        .unwrap();
    let linked = Some("1100000000059");
    users::add(&db.pool, "linked.p", "นายผูก แล้ว", linked, now)
        .await
        .unwrap();
    b
}

fn outcomes(report: &Report) -> Vec<(u64, String, String, String)> {
    report
        .rows
        .iter()
        .map(|row| {
            (
                row.row,
                row.username.clone(),
                row.citizen_id.clone().unwrap_or_default(),
                row.outcome.to_string(),
            )
        })
        .collect()
}

fn expected(good: [(u64, &str, &str, &str); 4]) -> Vec<(u64, String, String, String)> {
    let mut rows: Vec<(u64, &str, &str, &str)> = good.into();
    rows.extend(REFUSALS);
    rows.sort();
    rows.into_iter()
        .map(|(n, user, id, outcome)| (n, user.into(), id.into(), outcome.into()))
        .collect()
}

/// The people and permissions, as text, to compare runs by.
async fn people(db: &TestDb) -> Vec<String> {
    let mut rows = Vec::new();
    let users = "SELECT username, display_name, name_en, citizen_id, created_at FROM users \
                 ORDER BY username";
    for row in sqlx::query(users).fetch_all(&db.pool).await.unwrap() {
        use sqlx::Row;
        let citizen_id: Option<String> = row.get(3);
        rows.push(format!(
            "{}|{}|{}|{}|{}",
            row.get::<String, _>(0),
            row.get::<String, _>(1),
            row.get::<String, _>(2),
            citizen_id.unwrap_or_default(),
            row.get::<i64, _>(4)
        ));
    }
    let permissions =
        "SELECT username, system_code FROM permissions ORDER BY username, system_code";
    for row in sqlx::query(permissions).fetch_all(&db.pool).await.unwrap() {
        use sqlx::Row;
        rows.push(format!(
            "{} may use {}",
            row.get::<String, _>(0),
            row.get::<String, _>(1)
        ));
    }
    rows
}

/// The import runs' audit rows: (actor, detail), newest first.
async fn import_runs(db: &TestDb) -> Vec<(String, String)> {
    audit::recent(&db.pool, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.entry.method == audit::Method::Import)
        .map(|row| {
            assert_eq!(row.entry.outcome, audit::OK);
            assert_eq!(row.entry.username, None);
            (
                row.entry.actor.unwrap_or_default(),
                row.entry.detail.unwrap_or_default(),
            )
        })
        .collect()
}

async fn a_second_run_changes_nothing(db: TestDb) {
    let _ = seeded(&db).await;
    let before = people(&db).await;
    let first = import::import(&db.pool, HR_EXPORT.as_bytes(), audit::CLI, 1_000)
        .await
        .unwrap();
    assert_eq!(
        outcomes(&first),
        expected([
            (2, "malee.s", "1-1000-xxxxx-xx-6", "created"),
            (3, "preecha.w", "1-1000-xxxxx-xx-4", "created"),
            (
                10,
                "old.account",
                "1-1000-xxxxx-xx-1",
                "updated: name, citizen ID linked, systems 01010101 02010101"
            ),
            (11, "somchai.t", "1-1037-xxxxx-xx-8", "unchanged"),
        ])
    );
    let reported = format!("{first:?}");
    for id in FULL_IDS {
        assert!(!reported.contains(id), "a full citizen ID in the report");
    }
    let after_first = people(&db).await;
    assert_ne!(after_first, before);
    for row in [
        "malee.s|นางสาวมาลี สุขใจ|Miss Malee Sukjai|1100000000016|1000",
        "preecha.w|นายปรีชา วงศ์ดี|Wongdee, Preecha|1100000000024|1000",
        "malee.s may use 01010101",
        "old.account may use 01010101",
        "old.account may use 02010101",
    ] {
        assert!(
            after_first.iter().any(|r| r == row),
            "{row}: {after_first:#?}"
        );
    }
    let old = users::find(&db.pool, "old.account").await.unwrap().unwrap();
    assert_eq!(old.display_name, "นายเก่า ชื่อใหม่");
    assert_eq!(old.citizen_id.as_deref(), Some("1100000000041"));
    for refused in ["bad.digit", "twice.u", "dup.a", "dup.b", "taken.id"] {
        assert!(users::find(&db.pool, refused).await.unwrap().is_none());
    }

    let second = import::import(&db.pool, HR_EXPORT.as_bytes(), audit::CLI, 2_000)
        .await
        .unwrap();
    assert_eq!(
        outcomes(&second),
        expected([
            (2, "malee.s", "1-1000-xxxxx-xx-6", "unchanged"),
            (3, "preecha.w", "1-1000-xxxxx-xx-4", "unchanged"),
            (10, "old.account", "1-1000-xxxxx-xx-1", "unchanged"),
            (11, "somchai.t", "1-1037-xxxxx-xx-8", "unchanged"),
        ])
    );
    assert_eq!(
        people(&db).await,
        after_first,
        "the second run changed nothing"
    );
    assert_eq!(
        import_runs(&db).await,
        [
            (
                "cli".into(),
                "10 rows: created 0, updated 0, unchanged 4, refused 6".into()
            ),
            (
                "cli".into(),
                "10 rows: created 2, updated 1, unchanged 1, refused 6".into()
            ),
        ]
    );
}

async fn the_command_line_reports_each_row_and_fails_on_a_refused_one(db: TestDb) {
    let _ = seeded(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hr.csv");
    std::fs::write(&file, HR_EXPORT).unwrap();
    let path = file.to_str().unwrap();
    let (code, out, err) = support::admin(&db.url, dir.path(), &["user", "import", path]);
    assert_eq!(code, Some(1), "a refused row fails the command: {out}{err}");
    assert!(
        out.contains("row 2\tmalee.s\t1-1000-xxxxx-xx-6\tcreated\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "row 4\tbad.digit\t1-1000-xxxxx-xx-7\trefused: the citizen ID is not 13 digits \
             with a right check digit\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("10 rows: created 2, updated 1, unchanged 1, refused 6\n"));
    assert!(
        err.contains("6 row(s) refused, the others imported"),
        "{err}"
    );
    for id in FULL_IDS {
        assert!(
            !out.contains(id) && !err.contains(id),
            "a full citizen ID printed"
        );
    }
    assert!(users::find(&db.pool, "malee.s").await.unwrap().is_some());

    // Only good rows: success, and a second time too.
    let good: String = HR_EXPORT
        .lines()
        .filter(|line| {
            !["bad.digit", "twice.u", "dup.", "taken.id"]
                .iter()
                .any(|s| line.contains(s))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(&file, &good).unwrap();
    let (code, out, err) = support::admin(&db.url, dir.path(), &["user", "import", path]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.ends_with("4 rows: created 0, updated 0, unchanged 4, refused 0\n"),
        "{out}"
    );

    // A file in TIS-620, or without its header: nothing imported, the reason said.
    std::fs::write(
        &file,
        b"username,name_th,name_en,citizen_id\nx.y,\xca\xc1,A,1100000000059\n",
    )
    .unwrap();
    let (code, _, err) = support::admin(&db.url, dir.path(), &["user", "import", path]);
    assert_eq!(code, Some(1));
    assert!(err.contains("row 2 is not UTF-8 text"), "{err}");
    std::fs::write(&file, "x.y,สมใจ,A,1100000000059\n").unwrap();
    let (code, _, err) = support::admin(&db.url, dir.path(), &["user", "import", path]);
    assert_eq!(code, Some(1));
    assert!(err.contains("the first row names the columns"), "{err}");
    assert!(users::find(&db.pool, "x.y").await.unwrap().is_none());
    let runs = import_runs(&db).await;
    assert_eq!(runs.len(), 2, "a file not read is no run: {runs:?}");
    assert!(runs.iter().all(|(actor, _)| actor == "cli"));
}

const BOUNDARY: &str = "----thaiid-import-test";

/// The upload form as a browser sends it: the CSRF field (if any), then the file.
async fn upload(b: &mut Browser, csrf: Option<&str>, csv: &str) -> Page {
    let mut body = String::new();
    if let Some(csrf) = csrf {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"hr.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{BOUNDARY}--\r\n"
    ));
    let request = Request::post("/admin/people/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::ORIGIN, SITE);
    b.send(request, body).await
}

async fn signed_in(db: &TestDb, role: Option<Role>) -> Browser {
    let mut b = seeded(db).await;
    if let Some(role) = role {
        roles::grant(
            &db.pool,
            demo::USERNAME,
            &role,
            audit::CLI,
            thaiid_server::now(),
        )
        .await
        .unwrap();
    }
    b.password(demo::PASSWORD).await;
    let code = demo::otp_now(&b.seeded, thaiid_server::now()).unwrap();
    b.otp(&code).await;
    b
}

async fn the_upload_is_the_helpdesks_and_checks_its_csrf(db: TestDb) {
    // No role: 403 for the page and the upload, the file not read.
    let mut b = signed_in(&db, None).await;
    let csrf = b.get("/systems").await.csrf();
    assert_eq!(
        b.get("/admin/people/import").await.status,
        StatusCode::FORBIDDEN
    );
    let refused = upload(&mut b, Some(&csrf), HR_EXPORT).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("ไม่มีสิทธิ์"), "{}", refused.body);
    // An auditor's role does not open it either.
    roles::grant(&db.pool, demo::USERNAME, &Role::Auditor, audit::CLI, 0)
        .await
        .unwrap();
    assert_eq!(
        upload(&mut b, Some(&csrf), HR_EXPORT).await.status,
        StatusCode::FORBIDDEN
    );

    // The helpdesk: the form; without the CSRF token, or with another, refused.
    roles::grant(&db.pool, demo::USERNAME, &Role::Helpdesk, audit::CLI, 0)
        .await
        .unwrap();
    let form = b.get("/admin/people/import").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains(r#"enctype="multipart/form-data""#));
    assert!(form.body.contains(r#"name="file""#));
    assert!(
        !form.body.contains("<script"),
        "no script: a plain file input"
    );
    for csrf in [None, Some("not-the-token")] {
        let stale = upload(&mut b, csrf, HR_EXPORT).await;
        assert_eq!(stale.status, StatusCode::FORBIDDEN, "{csrf:?}");
        assert!(stale.body.contains("แบบฟอร์มนี้หมดอายุ"), "{}", stale.body);
    }
    // From another site: refused by the site's guard.
    let request = Request::post("/admin/people/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::ORIGIN, "https://evil.example");
    assert_eq!(
        b.send(request, String::new()).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(users::find(&db.pool, "malee.s").await.unwrap().is_none());
    assert!(import_runs(&db).await.is_empty());

    // Not a file upload; a file over the limit: the form again, with the reason.
    let csrf = form.csrf();
    let not_multipart = b.post("/admin/people/import", &[("csrf", &csrf)]).await;
    assert_eq!(not_multipart.status, StatusCode::BAD_REQUEST);
    assert!(
        not_multipart.body.contains("Choose a file"),
        "{}",
        not_multipart.body
    );
    let huge = format!("{HR_EXPORT}{}", "x".repeat(8 * 1024 * 1024));
    let too_large = upload(&mut b, Some(&csrf), &huge).await;
    assert_eq!(too_large.status, StatusCode::BAD_REQUEST);
    assert!(too_large.body.contains("over 8 MiB"), "{}", too_large.body);
    assert!(import_runs(&db).await.is_empty());
}

async fn the_upload_shows_each_rows_outcome(db: TestDb) {
    let mut b = signed_in(&db, Some(Role::Helpdesk)).await;
    let csrf = b.get("/admin/people/import").await.csrf();
    let done = upload(&mut b, Some(&csrf), HR_EXPORT).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    for shown in [
        "10 rows: created 2, updated 1, unchanged 1, refused 6",
        "<tr><td>2</td><td>malee.s</td><td>1-1000-xxxxx-xx-6</td><td>สร้างใหม่</td><td lang=\"en\">created</td></tr>",
        "<tr><td>4</td><td>bad.digit</td><td>1-1000-xxxxx-xx-7</td>",
        "refused: the user name is also on row 6",
        "updated: name, citizen ID linked, systems 01010101 02010101",
        "ชื่อผู้ใช้ซ้ำกับแถวที่ 6",
        r#"<table id="import-refused">"#,
    ] {
        assert!(done.body.contains(shown), "{shown}: {}", done.body);
    }
    for id in FULL_IDS {
        assert!(!done.body.contains(id), "a full citizen ID on the page");
    }
    assert!(users::find(&db.pool, "malee.s").await.unwrap().is_some());

    // Again: nothing changes, and the page says so.
    let again = upload(&mut b, Some(&csrf), HR_EXPORT).await;
    assert!(again
        .body
        .contains("10 rows: created 0, updated 0, unchanged 4, refused 6"));
    let actor = demo::USERNAME.to_owned();
    assert_eq!(
        import_runs(&db).await,
        [
            (
                actor.clone(),
                "10 rows: created 0, updated 0, unchanged 4, refused 6".into()
            ),
            (
                actor,
                "10 rows: created 2, updated 1, unchanged 1, refused 6".into()
            ),
        ]
    );
}
