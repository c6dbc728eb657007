//! The helpdesk's `/admin/people` (SPEC §7b): people found by name (Thai or English, any
//! case), user name or exact citizen ID, which is shown masked and never in full; people
//! created and citizen IDs linked, a bad check digit and a duplicate refused with a clear
//! message; each change audited with the helpdesk user's name. Refused without the
//! helpdesk's role, to owners and auditors, without the form's CSRF token, and asked for
//! the OTP after a stale sign-in.

use thaiid_server::on_both_databases;
mod support;

use axum::http::StatusCode;
use support::browser::{browser, code_now, Browser, Page};
use support::TestDb;
use thaiid_server::people::{self, NewPerson};
use thaiid_server::roles::{self, Role};
use thaiid_server::{audit, demo, users};

on_both_databases!(
    people_are_found_by_name_user_name_or_exact_citizen_id,
    a_person_is_created_and_a_citizen_id_linked,
    the_pages_are_the_helpdesks_and_admins_alone,
);

/// A synthetic person with an English name and a right check digit.
pub const MALEE_CID: &str = "3100500123458";
const OTHER_CID: &str = "5200300987659";

async fn grant(db: &TestDb, role: Role) {
    let now = thaiid_server::now();
    roles::grant(&db.pool, demo::USERNAME, &role, audit::CLI, now)
        .await
        .unwrap();
}

/// The demo person at the console with `role`, signed in by password + OTP.
async fn console(db: &TestDb, role: Role) -> Browser {
    let mut b = browser(db).await;
    grant(db, role).await;
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    b
}

async fn add_malee(db: &TestDb) {
    let person = NewPerson {
        username: "malee.s",
        display_name: "Malee Suksan",
        citizen_id: Some(MALEE_CID),
        ..NewPerson::default()
    };
    people::create(&db.pool, &person, audit::CLI, thaiid_server::now())
        .await
        .unwrap();
}

async fn find(b: &mut Browser, query: &str) -> String {
    let csrf = b.get("/admin/people").await.csrf();
    let page = b
        .post("/admin/people-search", &[("q", query), ("csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
}

fn listed(body: &str, username: &str) -> bool {
    body.contains(&format!(r#"<a href="/admin/people/{username}">"#))
}

/// Posts `form` with the session's CSRF token.
async fn send(b: &mut Browser, path: &str, form: &[(&str, &str)], csrf: &str) -> Page {
    let mut form = form.to_vec();
    form.push(("csrf", csrf));
    b.post(path, &form).await
}

async fn people_are_found_by_name_user_name_or_exact_citizen_id(db: TestDb) {
    let mut b = console(&db, Role::Helpdesk).await;
    add_malee(&db).await;
    for (query, somchai, malee) in [
        ("สมชาย", true, false),
        ("SUKSAN", false, true),
        ("malee su", false, true),
        ("chai.t", true, false),
        (MALEE_CID, false, true),
        ("3-1005-00123-45-8", false, true),
        // A part of a citizen ID finds nobody: the search is no way to guess them.
        ("310050012345", false, false),
        ("", true, true),
    ] {
        let body = find(&mut b, query).await;
        assert_eq!(listed(&body, demo::USERNAME), somchai, "{query}: {body}");
        assert_eq!(listed(&body, "malee.s"), malee, "{query}: {body}");
        assert!(!body.contains(MALEE_CID) && !body.contains(demo::CITIZEN_ID));
    }
    let body = find(&mut b, MALEE_CID).await;
    assert!(body.contains("<td>3-1005-xxxxx-xx-8</td>"), "{body}");
    let empty = find(&mut b, "nobody-like-this").await;
    assert!(empty.contains("ไม่พบบุคลากรที่ค้นหา"), "{empty}");
    // Name searches page by GET, 50 a page.
    for n in 0..=people::PAGE_SIZE {
        let username = format!("staff.{n:03}");
        let person = NewPerson {
            username: &username,
            display_name: "เจ้าหน้าที่ทดสอบ",
            ..NewPerson::default()
        };
        people::create(&db.pool, &person, audit::CLI, 0)
            .await
            .unwrap();
    }
    let first = b.get("/admin/people?q=staff").await.body;
    assert!(listed(&first, "staff.049") && !listed(&first, "staff.050"));
    assert!(first.contains(r#"href="/admin/people?q=staff&amp;page=2""#));
    let second = b
        .get("/admin/people?q=%E0%B8%97%E0%B8%94%E0%B8%AA%E0%B8%AD%E0%B8%9A&page=2")
        .await
        .body;
    assert!(second.contains("page-previous"), "{second}");
}

async fn a_person_is_created_and_a_citizen_id_linked(db: TestDb) {
    let mut b = console(&db, Role::Helpdesk).await;
    let csrf = b.get("/admin/people").await.csrf();
    let create = |username: &'static str, cid: &'static str| {
        [
            ("username", username),
            ("display_name", "นางสาวมาลี สุขสันต์"),
            ("citizen_id", cid),
            ("department", "สำนักงานเขตทดสอบ"),
            ("email", ""),
        ]
    };
    // A bad check digit: refused, clearly, and nobody added.
    let bad = send(
        &mut b,
        "/admin/people",
        &create("malee.s", "3100500123450"),
        &csrf,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("เลขประจำตัวประชาชนไม่ถูกต้อง"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("check digit"), "{}", bad.body);
    assert!(users::find(&db.pool, "malee.s").await.unwrap().is_none());
    // The demo person's citizen ID is taken.
    let taken = send(
        &mut b,
        "/admin/people",
        &create("malee.s", demo::CITIZEN_ID),
        &csrf,
    )
    .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("มีผู้ใช้แล้ว"), "{}", taken.body);
    assert!(!taken.body.contains(demo::CITIZEN_ID));

    let made = send(
        &mut b,
        "/admin/people",
        &create("malee.s", MALEE_CID),
        &csrf,
    )
    .await;
    assert_eq!(
        made.location, "/admin/people/malee.s?done=created",
        "{}",
        made.body
    );
    let page = b.get("/admin/people/malee.s?done=created").await;
    assert!(page.body.contains("เพิ่มบุคลากรแล้ว"));
    assert!(page.body.contains("3-1005-xxxxx-xx-8") && !page.body.contains(MALEE_CID));
    assert!(page.body.contains("สำนักงานเขตทดสอบ"));
    // The same user name again.
    let again = send(&mut b, "/admin/people", &create("malee.s", ""), &csrf).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);

    // Link another citizen ID: a bad one and the demo person's refused, a right one kept.
    let link = |cid: &'static str| [("citizen_id", cid), ("change", "link")];
    let bad = send(
        &mut b,
        "/admin/people/malee.s/link",
        &link("5200300987650"),
        &csrf,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("check digit"), "{}", bad.body);
    let taken = send(
        &mut b,
        "/admin/people/malee.s/link",
        &link(demo::CITIZEN_ID),
        &csrf,
    )
    .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.body.contains("taken"), "{}", taken.body);
    let linked = send(
        &mut b,
        "/admin/people/malee.s/link",
        &link(OTHER_CID),
        &csrf,
    )
    .await;
    assert_eq!(linked.location, "/admin/people/malee.s?done=linked");
    let account = users::find(&db.pool, "malee.s").await.unwrap().unwrap();
    assert_eq!(account.citizen_id.as_deref(), Some(OTHER_CID));
    let unlink = [("change", "unlink")];
    let unlinked = send(&mut b, "/admin/people/malee.s/link", &unlink, &csrf).await;
    assert_eq!(unlinked.location, "/admin/people/malee.s?done=unlinked");
    let account = users::find(&db.pool, "malee.s").await.unwrap().unwrap();
    assert_eq!(account.citizen_id, None);

    let rows = audit::recent(&db.pool, 10).await.unwrap();
    let changes: Vec<(Option<&str>, Option<&str>, Option<&str>)> = rows
        .iter()
        .filter(|row| row.entry.method == audit::Method::Person)
        .map(|row| {
            (
                row.entry.actor.as_deref(),
                row.entry.detail.as_deref(),
                row.entry.citizen_id.as_deref(),
            )
        })
        .collect();
    let helpdesk = Some(demo::USERNAME);
    assert_eq!(
        changes,
        [
            (helpdesk, Some("citizen ID unlinked"), None),
            (
                helpdesk,
                Some("citizen ID linked"),
                Some("5-2003-xxxxx-xx-9")
            ),
            (helpdesk, Some("created"), Some("3-1005-xxxxx-xx-8")),
        ]
    );
}

async fn the_pages_are_the_helpdesks_and_admins_alone(db: TestDb) {
    add_malee(&db).await;
    let mut b = browser(&db).await;
    b.password(demo::PASSWORD).await;
    b.otp(&code_now(&b)).await;
    // No role at all; then an owner; then an auditor: 403 on every page and action.
    for role in [
        None,
        Some(Role::Owner("01010101".into())),
        Some(Role::Auditor),
    ] {
        if let Some(role) = role {
            grant(&db, role).await;
        }
        for path in ["/admin/people", "/admin/people/malee.s"] {
            assert_eq!(b.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
        }
        let csrf = b.get("/systems").await.csrf();
        let posted = b
            .post("/admin/people/malee.s/reset-code", &[("csrf", &csrf)])
            .await;
        assert_eq!(posted.status, StatusCode::FORBIDDEN);
        assert!(!posted.body.contains("reset-code\""));
    }
    assert!(b.outcomes(audit::Method::ResetCode).await.is_empty());

    // The helpdesk: a POST without the form's token is refused and changes nothing.
    grant(&db, Role::Helpdesk).await;
    assert_eq!(b.get("/admin/people").await.status, StatusCode::OK);
    let stale = b.post("/admin/people/malee.s/otp-reset", &[]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert!(stale.body.contains("แบบฟอร์มนี้หมดอายุ"), "{}", stale.body);
    let stale = b
        .post(
            "/admin/people",
            &[("username", "x.y"), ("display_name", "x")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    assert!(users::find(&db.pool, "x.y").await.unwrap().is_none());
    // An admin's too.
    roles::revoke(&db.pool, demo::USERNAME, &Role::Helpdesk, audit::CLI, 0)
        .await
        .unwrap();
    grant(&db, Role::Admin).await;
    assert_eq!(b.get("/admin/people/malee.s").await.status, StatusCode::OK);
    // A sign-in older than 15 minutes is asked for the OTP first.
    sqlx::query("UPDATE sessions SET created_at = created_at - 960 WHERE id_hash = $1")
        .bind(b.session_hash())
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(b.get("/admin/people").await.location, "/login/otp");
}
