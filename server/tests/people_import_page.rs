//! The console's upload of the HR export (`/admin/people-import`, SPEC §7b): helpdesk
//! and admin only, the CSRF token checked before anything is imported, a bounded body, and
//! the per-row report shown, audited with the console user's name. Synthetic people only.

use thaiid_server::on_both_databases;
mod support;

use axum::http::{header, Request, StatusCode};
use support::browser::{Browser, Page, SITE};
use support::hr_export::{import_runs, seeded, FULL_IDS, HR_EXPORT};
use support::TestDb;
use thaiid_server::roles::{self, Role};
use thaiid_server::{audit, demo, users};

on_both_databases!(
    the_upload_is_the_helpdesks_and_checks_its_csrf,
    the_upload_shows_each_rows_outcome,
);

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
    let request = Request::post("/admin/people-import")
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
        b.get("/admin/people-import").await.status,
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
    let form = b.get("/admin/people-import").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    // The upload's path is no person's: someone whose user name is `import` has a page.
    thaiid_server::users::add(&db.pool, "import", "นำเข้า ทดสอบ", None, 0)
        .await
        .unwrap();
    let person = b.get("/admin/people/import").await;
    assert_eq!(person.status, StatusCode::OK, "{}", person.body);
    assert!(person.body.contains("นำเข้า ทดสอบ"), "{}", person.body);
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
    let request = Request::post("/admin/people-import")
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
    let not_multipart = b.post("/admin/people-import", &[("csrf", &csrf)]).await;
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
    let csrf = b.get("/admin/people-import").await.csrf();
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
